#!/usr/bin/env bash
# etc/genkand@.service parses (systemd-analyze verify, no warning at all:
# an unknown key is only a warning there), with ExecStart pointed at the
# build's genkand, and its CapabilityBoundingSet is exactly the set genkand
# keeps (KEEP_LIST in ctl/genkand/priv.c).
# usage: check_unit.sh GENKAND UNIT PRIV_C
set -euo pipefail
genkand=$1 unit=$2 priv=$3
command -v systemd-analyze >/dev/null || { echo "FAIL: no systemd-analyze (scripts/deps.sh)"; exit 1; }
dir=$(mktemp -d /tmp/gk-unit-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail=0

grep -q '^ExecStart=/usr/sbin/genkand ' "$unit" || { echo "FAIL: ExecStart is not /usr/sbin/genkand"; fail=1; }
# A template is verified through an instance of it, as systemd loads it.
sed "s#/usr/sbin/genkand#$genkand#g" "$unit" > "$dir/genkand@lab.service"
if out=$(systemd-analyze verify "$dir/genkand@lab.service" 2>&1) && [ -z "$out" ]; then
	echo "PASS: systemd-analyze verify: clean"
else
	echo "FAIL: systemd-analyze verify:"; echo "$out"; fail=1
fi

want=$(grep -o 'X(CAP_[A-Z_]*)' "$priv" | sed 's/X(\(.*\))/\1/' | sort | tr '\n' ' ')
got=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ')
if [ -n "$want" ] && [ "$want" = "$got" ]; then
	echo "PASS: CapabilityBoundingSet = genkand's set: $got"
else
	echo "FAIL: CapabilityBoundingSet '$got', genkand keeps '$want'"; fail=1
fi
for k in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	 RuntimeDirectory=genkan ReadWritePaths=/sys/fs/bpf Restart=on-failure; do
	grep -qx "$k" "$unit" || { echo "FAIL: no $k"; fail=1; }
done
[ "$fail" = 0 ] && echo "unit OK"
exit "$fail"
