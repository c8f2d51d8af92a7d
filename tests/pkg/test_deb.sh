#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The Debian package end to end (issue #15 item 2): `make deb` builds it,
# `apt-get install ./genkan_*.deb` installs it (offline: scripts/deps.sh
# brought every dependency), the installed files work, and `apt-get purge`
# leaves none of them behind.
#
#   gkpkg-<pid>-h                 gkpkg-<pid>-gw: /usr/sbin/genkand
#  +------------------+          +-----------------------------------+
#  | h0 198.51.100.2  |---veth---| gw0 198.51.100.1 (port wan, XDP)  |
#  +------------------+          | [wireguard] on wan, one peer      |
#                                +-----------------------------------+
#
# Checks (PASS/FAIL lines, then "N passed, M failed"):
#   1 make deb builds genkan_<version>_amd64.deb (seconds shown), configured
#     with -Dmarch_native=false -Ddpdk=disabled, no -march=native anywhere
#   2 apt-get install of the .deb, offline (it installs nothing else); the
#     files where they belong
#   3 genkand --version, genkanctl version; --check of every shipped example
#     (every etc/*.conf.example is shipped; one on DPDK ports is refused,
#     as any backend = dpdk port: the package has no DPDK backend); man -w
#     and rendering of the three pages; the bash completion loads on
#     demand; the unit verifies (systemd-analyze) with the installed
#     genkand, and the package enabled nothing
#   4 no AVX/AVX-512 instruction in genkand or genkanctl (built without
#     -march=native), while the started genkand's WireGuard AEAD is
#     intel-ipsec-mb's AVX2/AVX-512 code whenever the CPU has AVX2
#   5 the installed genkand started in a namespace: it answers, its worker
#     runs, its XDP program is attached to gw0; SIGTERM detaches it
#   6 apt-get purge: not installed, and no file of the package is left
#   7 lintian's findings are printed; an error (E:) fails, warnings don't
#
# A genkan left installed by an earlier run is purged first. It must run as
# root and fails (never skips) otherwise. Other tests are not affected by
# the package: they run the build tree's binaries by path.
#
# usage: test_deb.sh SOURCE_ROOT VERSION
set -u

src=$1
version=$2
if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL: test_deb.sh needs root (dpkg-buildpackage, apt-get install, namespaces)"
	echo "0 passed, 1 failed"
	exit 1
fi

GKD=/usr/sbin/genkand
GKCTL=/usr/bin/genkanctl
TAG=gkpkg-$$
ALLNS="h gw"
GWS="gw"
WORKERS=1
EX=/usr/share/doc/genkan/examples
UNIT=/lib/systemd/system/genkand@.service
APT=(apt-get -q -y -o DPkg::Lock::Timeout=300)

# shellcheck source=tests/e2e/lib.sh
. "$src/tests/e2e/lib.sh"

NPASS=0
NFAIL=0
declare -A GKPID=()
declare -A WGPID=()
HELPERS=()
RUN=$(mktemp -d "/tmp/$TAG.XXXXXX")
installed=0

installed_now() { dpkg-query -W -f='${db:Status-Abbrev}' genkan 2>/dev/null | grep -q '^.[ic]'; }

purge()
{
	DEBIAN_FRONTEND=noninteractive "${APT[@]}" purge genkan >"$RUN/purge.log" 2>&1 ||
		dpkg --purge --force-all genkan >>"$RUN/purge.log" 2>&1
}

cleanup()
{
	trap - EXIT INT TERM
	# A failed run leaves nothing installed behind (the next run would
	# purge it anyway).
	[ "$installed" = 1 ] && installed_now && purge
	teardown 20
}
traps

for t in dpkg-buildpackage apt-get lintian objdump man systemd-analyze jq ip nsenter make; do
	command -v "$t" >/dev/null || { fail "missing tool: $t (scripts/deps.sh)"; summary; exit 1; }
done

# ------------------------------------------------------------------ 1 build

if installed_now; then
	log "genkan $(dpkg-query -W -f='${Version}' genkan) is installed (an earlier run?): purging it first"
	purge || { fail "purge the genkan left installed"; cat "$RUN/purge.log"; summary; exit 1; }
fi

out=$RUN/deb
deb=$out/genkan_${version}_amd64.deb
t0=$(date +%s)
if nice make -C "$src" deb DEB_OUT="$out" >"$RUN/build.log" 2>&1 && [ -f "$deb" ]; then
	pass "make deb: $(basename "$deb") in $(($(date +%s) - t0)) s"
else
	fail "make deb: no $(basename "$deb")"
	tail -n 40 "$RUN/build.log" | sed 's/^/#   /'
	summary
	exit 1
fi
# The compile lines of the package build: never -march=native.
if grep -q -- '-march=native' "$RUN/build.log"; then
	fail "the package build compiles with -march=native"
else
	pass "no -march=native in the package build's compile lines"
fi
grep -q -- '-Dmarch_native=false -Ddpdk=disabled' "$RUN/build.log" &&
	pass "configured with -Dmarch_native=false -Ddpdk=disabled" ||
	fail "configured with -Dmarch_native=false -Ddpdk=disabled"

# ------------------------------------------------------------------ 2 install

# Offline: apt installs genkan and nothing else (scripts/deps.sh brought
# every dependency), so nothing is downloaded.
got=$("${APT[@]}" --no-install-recommends -s install "$deb" 2>&1 | sed -n 's/^Inst \([^ ]*\).*/\1/p' | tr '\n' ' ')
expect "apt-get install -s: only genkan to install (its dependencies are there)" "$got" = "genkan "
installed=1
if DEBIAN_FRONTEND=noninteractive "${APT[@]}" --no-install-recommends \
	install "$deb" >"$RUN/install.log" 2>&1 && installed_now; then
	pass "apt-get install $(basename "$deb")"
else
	fail "apt-get install $(basename "$deb")"
	tail -n 20 "$RUN/install.log" | sed 's/^/#   /'
	summary
	exit 1
fi
dpkg -L genkan >"$RUN/files"
expect "installed version" "$(dpkg-query -W -f='${Version}' genkan)" = "$version"
for f in "$GKD" "$GKCTL" "$UNIT" /etc/genkan \
	/usr/share/man/man8/genkand.8.gz /usr/share/man/man8/genkanctl.8.gz \
	/usr/share/man/man5/genkan.conf.5.gz \
	/usr/share/bash-completion/completions/genkanctl \
	/usr/share/doc/genkan/security.md /usr/share/doc/genkan/copyright; do
	check "installed: $f" grep -qx "$f" "$RUN/files"
done

# ------------------------------------------------------------------ 3 files

expect "genkand --version" "$("$GKD" --version 2>&1)" = "genkand $version"
expect "genkanctl --version" "$("$GKCTL" --version 2>&1)" \
	= "genkanctl $version (protocol 1)"
# `genkanctl version` prints its own first, then asks the daemon (none
# here: exit 3).
expect "genkanctl version (no daemon)" "$("$GKCTL" -s "$RUN/none.sock" version 2>/dev/null)" \
	= "genkanctl $version (protocol 1)"

shipped=$(cd "$EX" && ls -- *.conf.example | sort | tr '\n' ' ')
want=$(cd "$src/etc" && ls -- *.conf.example | sort | tr '\n' ' ')
expect "every etc/*.conf.example is shipped in $EX" "$shipped" = "$want"
# The package has no DPDK backend: an example on DPDK ports must be refused
# for that reason, every other one must pass.
mkdir "$RUN/ex"
for f in "$EX"/*.conf.example; do
	if grep -Eq '^[[:space:]]*backend[[:space:]]*=[[:space:]]*dpdk' "$f"; then
		check "$(basename "$f"): refused, no DPDK in the package" \
			bash -c '! out=$("$0" --check -c "$1" 2>&1) && grep -q "built without DPDK" <<<"$out"' "$GKD" "$f"
	else
		cp "$f" "$RUN/ex/"
	fi
done
if bash "$src/tests/ctl/check_examples.sh" "$GKD" "$GKCTL" "$RUN/ex" >"$RUN/examples.log" 2>&1; then
	pass "installed genkand --check passes every shipped example ($(grep -c ^PASS "$RUN/examples.log"))"
else
	fail "installed genkand --check on the shipped examples"
fi
sed 's/^/#   /' "$RUN/examples.log"
printf '[genkan]\ninstance = pkg\n\n[port wan]\ninterface = gw0\nbackend = dpdk\n' >"$RUN/dpdk.conf"
got=$("$GKD" --check -c "$RUN/dpdk.conf" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && grep -q "built without DPDK" <<<"$got"; then
	pass "built with -Ddpdk=disabled: --check refuses backend = dpdk"
else
	fail "built with -Ddpdk=disabled: --check of backend = dpdk (exit $rc): $got"
fi

for p in "8 genkand" "8 genkanctl" "5 genkan.conf"; do
	got=$(man -w $p 2>&1)
	expect "man -w $p" "$got" = "/usr/share/man/man${p%% *}/${p#* }.${p%% *}.gz"
	check "man $p renders" bash -c "MANWIDTH=80 man -P cat $p 2>/dev/null | grep -q ."
done

# As bash-completion loads it when genkanctl is first completed.
got=$(bash -c '. /usr/share/bash-completion/bash_completion
	__load_completion genkanctl && complete -p genkanctl' 2>&1)
expect "bash completion loaded on demand" "$got" = "complete -F _genkanctl genkanctl"

# The template as systemd loads an instance of it, with the real genkand.
mkdir "$RUN/units"
cp "$UNIT" "$RUN/units/genkand@pkgtest.service"
check "unit names /usr/sbin/genkand" grep -q "^ExecStart=$GKD " "$UNIT"
if got=$(systemd-analyze verify "$RUN/units/genkand@pkgtest.service" 2>&1) && [ -z "$got" ]; then
	pass "systemd-analyze verify genkand@pkgtest.service: clean"
else
	fail "systemd-analyze verify genkand@pkgtest.service: $got"
fi
got=$(find /etc/systemd/system -name 'genkand@*' 2>/dev/null | tr '\n' ' ')
expect "the package enabled no genkand unit" "$got" = ""

# ------------------------------------------------------------------ 4 CPU

for b in "$GKD" "$GKCTL"; do
	n=$(objdump -d --no-show-raw-insn "$b" | grep -cE '%[yz]mm[0-9]')
	expect "AVX/AVX-512 (ymm/zmm) instructions in $b" "$n" -eq 0
done

# ------------------------------------------------------------------ 5 genkand runs

gw_conf()
{
	conf_head gw test_deb
	cat <<EOF

[port wan]
interface = gw0

[wireguard]
PrivateKeyFile = $RUN/wg.key
ListenPort = 51820
port = wan

[wireguard-peer far]
PublicKey = $("$GKCTL" wg genkey | "$GKCTL" wg pubkey)
AllowedIPs = 203.0.113.0/24
Endpoint = 198.51.100.2:51820
EOF
}

mkdir -p /run/genkan
(umask 077 && "$GKCTL" wg genkey >"$RUN/wg.key")
gw_conf >"$(conf gw)"
if ns_up && veth h h0 gw gw0 1 && r h link set h0 up && r gw link set gw0 up &&
	a4 h 198.51.100.2/24 h0 && a4 gw 198.51.100.1/24 gw0 && gws_noforward; then
	pass "namespaces and veth up"
else
	fail "namespaces and veth up"
fi
check "installed genkand --check the test's config" "$GKD" --check -c "$(conf gw)"
gk_start gw
if gw_ready gw "its worker runs"; then
	check "XDP program attached to gw0" bash -c "ip -n $(ns gw) -d link show gw0 | grep -q 'prog/xdp id'"
	got=$(ctl gw version 2>&1)
	check "genkanctl version: client and daemon $version" \
		grep -q "genkand $version" <<<"$got"
	crypto=$(ctl gw -j wg show 2>/dev/null | jq -r '.. | .crypto? // empty' | head -n 1)
	if grep -qw avx2 /proc/cpuinfo; then
		check "WireGuard AEAD picked at run time: '$crypto' (the CPU has AVX2)" \
			grep -Eq '^ipsec-mb avx(2|512)$' <<<"$crypto"
	else
		expect "WireGuard AEAD without AVX2" "$crypto" = "openssl"
	fi
	stop_pid "${GKPID[gw]}" TERM
	GKPID[gw]=
	got=$(ip -n "$(ns gw)" -d link show gw0)
	if grep -q 'prog/xdp' <<<"$got"; then
		fail "SIGTERM: XDP detached from gw0"
	else
		pass "SIGTERM: XDP detached from gw0"
	fi
fi

# ------------------------------------------------------------------ 6 purge

if purge && ! installed_now; then
	pass "apt-get purge genkan"
else
	fail "apt-get purge genkan"
	tail -n 20 "$RUN/purge.log" | sed 's/^/#   /'
fi
# What is left of the package's paths: directories other packages own.
left=()
while read -r p; do
	[ "$p" = /. ] && continue
	[ -e "$p" ] || [ -L "$p" ] || continue
	[ -d "$p" ] && dpkg-query -S "$p" >/dev/null 2>&1 && continue
	left+=("$p")
done <"$RUN/files"
expect "files of the package left after purge (${left[*]:-none})" "${#left[@]}" -eq 0
installed=0

# ------------------------------------------------------------------ 7 lintian

lintian --allow-root -EIL +pedantic "$out/genkan_${version}_amd64.changes" \
	>"$RUN/lintian.log" 2>&1
sed 's/^/# lintian: /' "$RUN/lintian.log"
expect "lintian errors" "$(grep -c '^E:' "$RUN/lintian.log")" -eq 0
log "lintian: $(grep -c '^W:' "$RUN/lintian.log") warnings, $(grep -c '^[IP]:' "$RUN/lintian.log") info/pedantic"

summary
