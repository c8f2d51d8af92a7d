# Shared helpers of the netns e2e scripts (e2e_mape, e2e_napt, e2e_wg).
# Sourced after the script has set TAG, RUN, GKD, GKCTL, NPASS/NFAIL and
# HELPERS; every function reads those when called.
# shellcheck shell=bash

log() { printf '# %s\n' "$*"; }

pass() { echo "PASS: $*"; NPASS=$((NPASS + 1)); }

fail() { echo "FAIL: $*"; NFAIL=$((NFAIL + 1)); }

check()
{
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# expect DESC GOT OP WANT: numeric (or = / != string) comparison, shown.
expect()
{
	local desc=$1 got=$2 op=$3 want=$4 ok=1

	case $op in
	=) [ "$got" = "$want" ] && ok=0 ;;
	!=) [ "$got" != "$want" ] && ok=0 ;;
	*) [[ "$got" =~ ^-?[0-9]+$ ]] && test "$got" "$op" "$want" && ok=0 ;;
	esac
	if [ $ok = 0 ]; then
		pass "$desc ($got $op $want)"
	else
		fail "$desc (got '$got', want $op $want)"
	fi
}

summary()
{
	echo "$NPASS passed, $NFAIL failed"
	[ "$NFAIL" -eq 0 ]
}

ns() { echo "$TAG-$1"; }

nx() { local n=$1; shift; nsenter --net="/run/netns/$(ns "$n")" "$@"; }

sock() { echo "/run/genkan/$TAG-$1.sock"; }

conf() { echo "$RUN/$1.conf"; }

gklog() { echo "$RUN/genkand-$1.log"; }

ctl() { local g=$1; shift; nx "$g" "$GKCTL" -s "$(sock "$g")" "$@"; }

# bg NS LOG CMD...: a helper process in NS, killed at exit; pid in BG_PID.
bg()
{
	local n=$1 lg=$2
	shift 2
	nsenter --net="/run/netns/$(ns "$n")" "$@" >"$lg" 2>&1 &
	BG_PID=$!
	HELPERS+=("$BG_PID")
}

stop_pid()
{
	local pid=$1 sig=${2:-TERM} k

	kill -"$sig" "$pid" 2>/dev/null || return 0
	for ((k = 0; k < 50; k++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# wait_for TIMEOUT_S CMD...: poll CMD until it succeeds (bounded).
wait_for()
{
	local t=$1 k
	shift

	for ((k = 0; k < t * 10; k++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# Non-genkan ends: full checksums on the wire (genkan forwards raw frames)
# and GRO on so veth runs NAPI for frames XDP redirects towards them.
peer() { nx "$1" ethtool -K "$2" tx off gro on >/dev/null 2>&1; }

r() { local n=$1; shift; ip -n "$(ns "$n")" "$@"; }

fwd_off()
{
	local n

	for n in $GWS; do
		[ "$(nx "$n" sysctl -n net.ipv4.ip_forward)" = 0 ] &&
			[ "$(nx "$n" sysctl -n net.ipv6.conf.all.forwarding)" = 0 ] ||
			return 1
	done
}

# kfwd NS: "<Ip ForwDatagrams> <Ip6OutForwDatagrams>" of a gateway kernel.
kfwd()
{
	local v4 v6

	v4=$(nx "$1" awk '$1 == "Ip:" && !h { for (i = 2; i <= NF; i++) n[i] = $i; h = 1; next }
		$1 == "Ip:" { for (i = 2; i <= NF; i++) if (n[i] == "ForwDatagrams") print $i }' \
		/proc/net/snmp)
	v6=$(nx "$1" awk '$1 == "Ip6OutForwDatagrams" { print $2 }' /proc/net/snmp6)
	echo "${v4:-NA} ${v6:-NA}"
}

gk_ready()
{
	local g=$1 k

	for ((k = 0; k < 300; k++)); do
		kill -0 "${GKPID[$g]}" 2>/dev/null || return 1
		ctl "$g" status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# cap_count NAME FILTER: packets of NAME.pcap matching FILTER.
cap_count() { tcpdump -r "$RUN/$1.pcap" -n "$2" 2>/dev/null | wc -l; }

# cap_has NAME FILTER MIN: at least MIN written so far. A capture is only
# stopped once its positive control is in the file: tcpdump may still hold
# packets the kernel already gave it.
cap_has() { [ "$(cap_count "$1" "$2")" -ge "$3" ]; }
