#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# contrib/bash-completion/genkanctl, driven as bash drives it: COMP_WORDS,
# COMP_CWORD, then _genkanctl, and COMPREPLY compared with what genkanctl
# accepts. Each case runs with bash-completion's _init_completion and with
# the plain fallback. Daemon names: from a stand-in genkanctl that prints
# the daemon's JSON (jq and the python3 fallback), and, with the real
# genkanctl and no daemon, nothing at all on stdout or stderr.
# usage: test_completion.sh COMPLETION_FILE GENKANCTL_BINARY
set -u
comp=$1
ctl=$2
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/real" "$tmp/fake" "$tmp/nojq" "$tmp/run"
ln -s "$(readlink -f "$ctl")" "$tmp/real/genkanctl"
# The daemon's JSON, as genkanctl -j map|l4|wg show prints it.
cat >"$tmp/fake/genkanctl" <<'FAKE'
#!/bin/sh
case "$*" in
*"map show"*) echo '{"role": "ce", "domains": [{"name": "bmr"}, {"name": "fmr-west"}]}' ;;
*"l4 show"*) echo '{"services": [{"name": "web"}, {"name": "game"}], "counters": {}}' ;;
*"wg show"*) echo '{"enabled": true, "peers": [{"name": "home", "public_key": "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="}]}' ;;
*) exit 3 ;;
esac
FAKE
chmod +x "$tmp/fake/genkanctl"
cp "$tmp/fake/genkanctl" "$tmp/nojq/genkanctl"
ln -s /usr/bin/python3 "$tmp/nojq/python3"	# not a pyenv shim
for b in sh cat; do ln -s "$(type -P "$b")" "$tmp/nojq/$b"; done
# Two instances' sockets, and a file that is not a socket.
/usr/bin/python3 -c '
import socket, sys
for n in ("default", "edge"):
    socket.socket(socket.AF_UNIX).bind(sys.argv[1] + "/" + n + ".sock")' "$tmp/run"
touch "$tmp/run/stale.sock"

# check MODE PATH EXPECTED_WORDS -- LINE: complete LINE (its last word,
# maybe empty, is the one being completed), expect exactly EXPECTED_WORDS.
check()
{
	local mode=$1 path=$2 want=$3 out err
	shift 4
	out=$(
		PATH=$path
		GENKANCTL_RUN_DIR=$tmp/run
		if [[ $mode == full ]]; then
			# shellcheck disable=SC1091
			source /usr/share/bash-completion/bash_completion
		fi
		# shellcheck disable=SC1090
		source "$comp"
		[[ $mode == full ]] || unset -f _init_completion
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_genkanctl genkanctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf '%s\n' "${COMPREPLY[@]}"
	) 2>"$tmp/stderr"
	out=$(LC_ALL=C sort <<<"$out" | tr '\n' ' ')
	out=${out# }
	out=${out% }
	err=$(cat "$tmp/stderr")
	if [[ $out != "$want" || -n $err ]]; then
		echo "FAIL [$mode] '$*': got '$out', want '$want'${err:+, stderr: $err}"
		fail=1
	else
		echo "ok   [$mode] '$*' -> $out"
	fi
}

if [[ ! -f /usr/share/bash-completion/bash_completion ]]; then
	echo "bash-completion is not installed (scripts/deps.sh)"
	exit 1
fi

for mode in full plain; do
	R=$tmp/real:/usr/bin:/bin
	F=$tmp/fake:/usr/bin:/bin
	check $mode "$R" "help l4 map nat neigh neighbors reload routes stats status version wg workers" -- genkanctl ""
	check $mode "$R" "stats status" -- genkanctl st
	check $mode "$R" "--all --help --instance --json --socket --timeout --version -V -a -h -i -j -s -t" -- genkanctl -j -t 100 -
	check $mode "$R" "--all --help --instance --json --socket --timeout --version" -- genkanctl --
	check $mode "$R" "default edge" -- genkanctl -i ""
	check $mode "$R" "edge" -- genkanctl --instance e
	check $mode "$R" "calc show" -- genkanctl -j map ""
	check $mode "$R" "--ea-bits --end-user-prefix" -- genkanctl map calc --ipv6-prefix 2001:db8::/32 --e
	check $mode "$R" "" -- genkanctl map calc --ea-bits ""
	check $mode "$R" "backend flows lookup show" -- genkanctl l4 ""
	check $mode "$R" "disable drain enable" -- genkanctl l4 backend web 198.18.0.2:443 ""
	check $mode "$R" "mappings sessions stats" -- genkanctl nat ""
	check $mode "$R" "add del list" -- genkanctl nat mappings ""
	check $mode "$R" "tcp udp" -- genkanctl nat mappings del ""
	check $mode "$R" "--missing-ok" -- genkanctl nat mappings del tcp 1234 ""
	check $mode "$R" "icmp tcp udp" -- genkanctl nat sessions --proto ""
	check $mode "$R" "genkey pubkey set show" -- genkanctl -t 500 wg ""
	check $mode "$R" "peer" -- genkanctl wg set ""
	check $mode "$R" "--all -a" -- genkanctl stats ""
	# Names from the daemon: none running here, so nothing, quietly.
	check $mode "$R" "" -- genkanctl -s "$tmp/none.sock" map show ""
	check $mode "$R" "" -- genkanctl -i nosuchinstance l4 show ""
	check $mode "$R" "" -- genkanctl wg set peer ""
	# ... and from a daemon's JSON.
	check $mode "$F" "bmr fmr-west" -- genkanctl map show ""
	check $mode "$F" "fmr-west" -- genkanctl -i edge map show f
	check $mode "$F" "game web" -- genkanctl l4 lookup ""
	check $mode "$F" "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=" -- genkanctl wg set peer x
	check $mode "$F" "allowed-ips endpoint name persistent-keepalive remove" -- genkanctl wg set peer xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg= ""
	check $mode "$tmp/nojq" "game web" -- genkanctl l4 show ""
done
exit $fail
