# Shared helpers of the netns e2e scripts. They define functions and
# E2E_LIB, so a script may source this first; each function reads the
# script's globals when it is called: TAG, RUN, GK_BUILD, GKD, GKCTL,
# NPASS/NFAIL, GKPID, HELPERS and, where used, PY, ALLNS, GWS, WORKERS,
# WGPID, WGIFS, PING_I, PING_W, WARM_TRIES and the MAP-E plan: BR6, BR4,
# R6, R4, EA, OFF, EUP, LAN_H, LAN_GW.
# shellcheck shell=bash

# The python beside this file (e2e_lib.py), for the scripts' helpers.
E2E_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export E2E_LIB

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

# preflight [SKIPTOOL... --] TOOL...: skip (77, as meson reads it) without
# root or a SKIPTOOL; fail without a TOOL or the genkan binaries.
preflight()
{
	local t

	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root (network namespaces, XDP)"
		exit 77
	fi
	if [[ " $* " == *" -- "* ]]; then
		while [ "$1" != -- ]; do
			command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 not installed"; exit 77; }
			shift
		done
		shift
	fi
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || { echo "missing tool: $t"; exit 1; }
	done
	if [ ! -x "$GKD" ] || [ ! -x "$GKCTL" ]; then
		echo "no genkand/genkanctl under $GK_BUILD/ctl (set GK_BUILD)"
		exit 1
	fi
}

# e2e_init [SKIPTOOL... --] TOOL...: preflight, then zeroed counters,
# empty pid tables and a fresh run directory RUN (mode 0700, as mktemp
# makes it).
e2e_init()
{
	preflight "$@"
	NPASS=0
	NFAIL=0
	declare -gA GKPID=() WGPID=()
	HELPERS=()
	RUN=$(mktemp -d "/tmp/$TAG.XXXXXX")
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

# With a fresh /sys (ip netns exec remounts it): scapy and wireguard-go
# read interfaces from it.
nsx() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

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

a4() { r "$1" addr add "$2" dev "$3"; }
a6() { r "$1" addr add "$2" dev "$3" nodad; }

# ns_up [SYSCTL...]: the namespaces of ALLNS without DAD (addresses are
# usable at once) and with the script's SYSCTLs, lo up.
ns_up()
{
	local n

	for n in $ALLNS; do
		ip netns add "$(ns "$n")" || return 1
		nx "$n" sysctl -q -w net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 "$@" >/dev/null || return 1
		r "$n" link set lo up
	done
}

# veth A DEVA B DEVB [QUEUES]: a veth pair, each end created in its netns.
# Links to genkan get one queue per worker (QUEUES, 2): a veth delivers on
# the queue the sender's TX queue picks, and a queue no worker serves goes
# to the kernel, which forwards nothing here.
veth()
{
	local q=${5:-2}

	ip -n "$(ns "$1")" link add "$2" numrxqueues "$q" numtxqueues "$q" type veth \
		peer name "$4" netns "$(ns "$3")" numrxqueues "$q" numtxqueues "$q"
}

# mape_topo_up FAR FAR4: the one-CE MAP-E chain (ALLNS: h1 ce1 rt br FAR):
# LAN host h1 (LAN_H) -- CE ce1 (LAN_GW; wan 2001:db8:ff01::2) -- IPv6
# router rt (routes EUP to the CE, BR6 to the BR) -- BR br (BR4, core
# 2001:db8:ff00::2) -- FAR (FAR4/24 on eth0, default via BR4).
mape_topo_up()
{
	local far=$1 far4=$2 n

	ns_up net.ipv6.conf.default.accept_ra=0 || return 1
	veth h1 eth0 ce1 lan && veth ce1 wan rt r1 &&
		veth br core rt r0 && veth br inet "$far" eth0 || return 1
	peer h1 eth0 && peer rt r0 && peer rt r1 && peer "$far" eth0 || return 1

	a4 h1 "$LAN_H/24" eth0
	a4 ce1 "$LAN_GW/24" lan
	a6 ce1 2001:db8:ff01::2/64 wan
	a6 rt 2001:db8:ff01::1/64 r1
	a6 rt 2001:db8:ff00::1/64 r0
	a6 br 2001:db8:ff00::2/64 core
	a6 br "$BR6/128" lo
	a4 br "$BR4/24" inet
	a4 "$far" "$far4/24" eth0
	for n in h1:eth0 ce1:lan ce1:wan rt:r0 rt:r1 br:core br:inet "$far:eth0"; do
		r "${n%%:*}" link set "${n#*:}" up || return 1
	done
	r h1 route add default via "$LAN_GW" || return 1
	r ce1 -6 route add default via 2001:db8:ff01::1 || return 1
	r rt -6 route add "$EUP" via 2001:db8:ff01::2 || return 1
	r rt -6 route add "$BR6/128" via 2001:db8:ff00::2 || return 1
	r br -6 route add default via 2001:db8:ff00::1 || return 1
	r "$far" route add default via "$BR4" || return 1
	nx rt sysctl -q -w net.ipv6.conf.all.forwarding=1 >/dev/null || return 1
	gws_noforward
}

# gws_noforward: genkan's workers forward, never the gateways' kernels.
gws_noforward()
{
	local n

	for n in $GWS; do
		nx "$n" sysctl -q -w net.ipv4.ip_forward=0 \
			net.ipv6.conf.all.forwarding=0 >/dev/null || return 1
	done
}

# pingn NS DST COUNT [ARGS]: all COUNT echo requests answered. PING_I (the
# interval) and PING_W (-W) suit the script's load.
pingn()
{
	local n=$1 dst=$2 c=$3 out
	shift 3

	out=$(nx "$n" ping -n -q -c "$c" -i "${PING_I:-0.05}" -W "${PING_W:-5}" "$@" "$dst" 2>&1)
	grep -q " $c received," <<<"$out"
}

# warm NS DST COUNT [ARGS]: pingn, tried up to WARM_TRIES times: the first
# packets of a path may wait for ARP/ND or a handshake, counted checks
# must not.
warm()
{
	local k

	for ((k = 0; k < ${WARM_TRIES:-6}; k++)); do
		pingn "$@" && return 0
	done
	return 1
}

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

# gk_start GW: genkand with conf GW in GW's namespace, in the background,
# on its own bpffs; pid in GKPID[GW].
gk_start()
{
	local g=$1

	mkdir -p "$RUN/bpf-$g"
	mountpoint -q "$RUN/bpf-$g" || mount -t bpf bpf "$RUN/bpf-$g" || return 1
	ip netns exec "$(ns "$g")" sh -c 'exec "$0" -c "$1" -f' "$GKD" "$(conf "$g")" \
		>>"$(gklog "$g")" 2>&1 &
	GKPID[$g]=$!
}

workers_running()
{
	[ "$(ctl "$1" -j status 2>/dev/null | jq -r .workers.running)" = "$WORKERS" ]
}

# kfwd_snap: KF0[GW] = kfwd GW of every GWS, what the gateway kernels
# had forwarded before genkan started.
# shellcheck disable=SC2034 # KF0 is the scripts'
kfwd_snap()
{
	local g

	declare -gA KF0=()
	for g in $GWS; do
		KF0[$g]=$(kfwd "$g")
	done
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

# gw_ready GW WHAT: genkand GW answers status (else the tail of its log,
# and false), then the check "genkand GW: WHAT" of its workers running.
gw_ready()
{
	local g=$1

	if ! gk_ready "$g"; then
		fail "genkand $g answers status"
		tail -n 5 "$(gklog "$g")" | sed 's/^/#   /'
		return 1
	fi
	pass "genkand $g answers status"
	check "genkand $g: $2" wait_for 10 workers_running "$g"
}

# gws_start WHAT: genkand in every GWS; each answers status, or the run
# ends once all were asked; then "genkand GW: WHAT" of each one's workers.
gws_start()
{
	local g up=1

	for g in $GWS; do
		gk_start "$g" || fail "bpffs for $g"
	done
	for g in $GWS; do
		if gk_ready "$g"; then
			pass "genkand $g answers status"
		else
			fail "genkand $g answers status"
			tail -n 5 "$(gklog "$g")" | sed 's/^/#   /'
			up=0
		fi
	done
	if [ $up = 0 ]; then
		summary
		exit 1
	fi
	for g in $GWS; do
		check "genkand $g: $1" wait_for 10 workers_running "$g"
	done
}

# cap_start NAME NS IFACE FILTER [TCPDUMP_ARGS...]: tcpdump into NAME.pcap,
# waits (bounded) until it listens. -Z root: the run directory is root's.
cap_start()
{
	local name=$1 n=$2 ifc=$3 flt=$4

	bg "$n" "$RUN/$name.cap.log" tcpdump -Z root -i "$ifc" -n -U "${@:5}" \
		-w "$RUN/$name.pcap" "$flt"
	eval "CAP_PID_$name=$BG_PID"
	wait_for 10 grep -qs 'listening on' "$RUN/$name.cap.log"
}

cap_stop() { local pid; eval "pid=\$CAP_PID_$1"; stop_pid "$pid" INT; }

# sink_start NAME NS PORT: a UDP sink in NS writing "tag src sport" per
# datagram into NAME.sink; waits (bounded) until it listens.
sink_start()
{
	local name=$1 n=$2 port=$3

	: >"$RUN/$name.sink"
	bg "$n" "$RUN/$name.sink.log" "$PY" "$E2E_LIB/e2e_lib.py" sink "$port" "$RUN/$name.sink"
	wait_for 10 eval "[ -n \"\$(nx $n ss -Hlun 'sport = :$port')\" ]"
}

# cap_count NAME FILTER: packets of NAME.pcap matching FILTER.
cap_count() { tcpdump -r "$RUN/$1.pcap" -n "$2" 2>/dev/null | wc -l; }

# cap_has NAME FILTER MIN: at least MIN written so far. A capture is only
# stopped once its positive control is in the file: tcpdump may still hold
# packets the kernel already gave it.
cap_has() { [ "$(cap_count "$1" "$2")" -ge "$3" ]; }

# ------------------------------------------------------------------ configs

# conf_dpdk [MEMORY]: the [dpdk] section of the DPDK suites. EAL's memory
# (default: no hugepages, 128 MB), no PCI, and the lcore map genkan's own
# pinned workers register into.
conf_dpdk()
{
	cat <<EOF
[dpdk]
eal_args = ${1:---no-huge --no-shconf -m 128} --no-pci --no-telemetry --lcores 0@(0-1) --log-level=*:warning
mbufs = 4096
EOF
}

# conf_dpdk_port NAME DEVARGS TAP: a [port] section on a DPDK device, its
# kernel side the TAP of that name.
conf_dpdk_port()
{
	printf '[port %s]\nbackend = dpdk\ndevargs = %s\ninterface = %s\n' "$1" "$2" "$3"
}

# conf_head GW TITLE: the [genkan] section of GW's config.
conf_head()
{
	cat <<EOF
# genkan $2: $1
[genkan]
instance = $TAG-$1
socket = $(sock "$1")
bpffs = $RUN/bpf-$1
workers = $WORKERS
EOF
	# E2E_XDP_META forces a hand-off mode (the meson *_parse variants)
	[ -n "${E2E_XDP_META:-}" ] && echo "xdp_meta = $E2E_XDP_META"
	return 0
}

# conf_ce EUP: the ports (lan, wan) and [mape] of a CE with end-user
# prefix EUP, its BR at BR6.
conf_ce()
{
	cat <<EOF
[port lan]
interface = lan

[port wan]
interface = wan

[mape]
role = ce
br_address = $BR6
ipv4_port = lan
ipv6_port = wan
end_user_prefix = $1
EOF
}

# conf_br: the ports (core, inet) and [mape] of the BR at BR6.
conf_br()
{
	cat <<EOF
[port core]
interface = core

[port inet]
interface = inet

[mape]
role = br
br_address = $BR6
ipv4_port = inet
ipv6_port = core
EOF
}

# conf_map_rule: a blank line, then the one MAP rule (R6, R4, EA, OFF), an FMR.
conf_map_rule()
{
	cat <<EOF

[map-rule rfc7597]
ipv6_prefix = $R6
ipv4_prefix = $R4
ea_bits = $EA
psid_offset = $OFF
fmr = yes
EOF
}

# ------------------------------------------------------------------ wireguard-go

# wggo NS IFNAME: wireguard-go in NS (foreground, so it is ours; pid in
# WGPID[NS]), waits (bounded) for its interface and UAPI socket.
wggo()
{
	local n=$1 ifn=$2 k

	nsx "$n" env WG_PROCESS_FOREGROUND=1 wireguard-go -f "$ifn" \
		>"$RUN/wggo-$n.log" 2>&1 &
	WGPID[$n]=$!
	for ((k = 0; k < 100; k++)); do
		r "$n" link show "$ifn" >/dev/null 2>&1 &&
			[ -S "/var/run/wireguard/$ifn.sock" ] && return 0
		sleep 0.1
	done
	return 1
}

wgx() { local n=$1; shift; nx "$n" wg "$@"; }

# wggo_peer NS IFNAME: wg-go's view, "endpoint handshake rx tx" of its
# only peer.
wggo_peer()
{
	wgx "$1" show "$2" dump | sed -n 2p | awk '{ print $3, $5, $6, $7 }'
}

# ------------------------------------------------------------------ the end

# dpdk_stop GW: stop genkand GW (DPDK ports) and judge the stop: its
# accounting first (teardown finds no genkand once it is gone), SIGTERM, a
# clean stop in its log, no EAL runtime directory left. The caller checks
# its own TAPs (and TUN) are gone.
dpdk_stop()
{
	acct_check "$1"
	stop_pid "${GKPID[$1]}" TERM
	GKPID[$1]=
	check "genkand stopped cleanly" grep -q "stopped" "$(gklog "$1")"
	check "no EAL runtime directory left after the stop" \
		test ! -e "/var/run/dpdk/genkan-$TAG-$1"
}

# acct_check GW: genkand GW's packet accounting (docs/accounting.md). The
# counters are read while the workers run, so they are compared only once
# two snapshots of `genkanctl -j stats` 0.2 s apart agree (up to ~3 s); then every
# worker's in_total must equal its out_total, or the run fails, naming
# the worker and every term. A genkand that does not answer, or traffic
# that never stops, is logged and not judged. Returns 1 on a hole.
acct_check()
{
	local g=$1 a b i bad quiet=0
	local q='[.workers[] | {id, accounting}]'

	a=$(ctl "$g" -j stats 2>/dev/null | jq -ce "$q" 2>/dev/null)
	[ -n "$a" ] || { log "accounting $g: no stats, not checked"; return 0; }
	for ((i = 0; i < 15; i++)); do
		sleep 0.2
		b=$(ctl "$g" -j stats 2>/dev/null | jq -ce "$q" 2>/dev/null)
		[ -n "$b" ] ||
			{ log "accounting $g: no stats, not checked"; return 0; }
		[ "$a" = "$b" ] && { quiet=1; break; }
		a=$b
	done
	if [ "$quiet" = 0 ]; then
		log "accounting $g: still moving after 3 s, not checked"
		return 0
	fi
	if jq -e 'any(.[]; .accounting == null)' <<<"$b" >/dev/null; then
		log "accounting $g: no accounting in stats, not checked"
		return 0
	fi
	bad=$(jq -r '.[] | select(.accounting.in_total != .accounting.out_total)
		| "worker \(.id): " + ([.accounting | to_entries[]
		| "\(.key) \(.value)"] | join(", "))' <<<"$b")
	if [ -n "$bad" ]; then
		while read -r i; do
			fail "genkand $g: packet accounting unbalanced: $i"
		done <<<"$bad"
		return 1
	fi
	# balanced: each worker's non-zero terms, for the record
	log "accounting $g balanced: $(jq -r '[.[] | "worker \(.id) " +
		([.accounting | to_entries[] | select(.value != 0) |
		  "\(.key) \(.value)"] | join(" ") | if . == "" then "idle"
		  else . end)] | join("; ")' <<<"$b")"
	return 0
}

# teardown [TAIL]: stop genkand (GKPID), wireguard-go (WGPID) and HELPERS;
# delete the namespaces of ALLNS, the UAPI sockets of WGIFS, the ctl
# sockets and bpffs of GWS; after a failure or with E2E_KEEP show the last
# TAIL (20) lines of each genkand log; remove RUN unless E2E_KEEP. A
# sanitizer report in a genkand log (an ASan/UBSan build) is a failure,
# and so is a running genkand whose packet accounting does not balance
# (acct_check): the script then exits 1.
teardown()
{
	local tl=${1:-20} g k n sanitized=0 unbalanced=0

	# Every packet accounted for (#13 item 2), before genkand stops.
	for g in "${!GKPID[@]}"; do
		[ -n "${GKPID[$g]}" ] && kill -0 "${GKPID[$g]}" 2>/dev/null &&
			! acct_check "$g" && unbalanced=1
	done
	for g in "${!GKPID[@]}"; do
		[ -n "${GKPID[$g]}" ] && stop_pid "${GKPID[$g]}" TERM
	done
	# A genkand built with ASan/UBSan (GK_BUILD=build-asan) reports at
	# exit too (leaks): any report in any log fails the run.
	for g in $GWS; do
		if [ -s "$(gklog "$g")" ] &&
		   grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$(gklog "$g")"; then
			echo "FAIL: genkand $g: sanitizer report in its log"
			grep -E -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
				"$(gklog "$g")" | head -n 40 | sed 's/^/#   /'
			sanitized=1
			NFAIL=$((NFAIL + 1))
		fi
	done
	for k in ${WGPID[@]+"${WGPID[@]}"}; do
		stop_pid "$k" TERM
	done
	for k in "${HELPERS[@]}"; do
		stop_pid "$k" TERM
	done
	for n in $ALLNS; do
		[ -e "/run/netns/$(ns "$n")" ] && ip netns del "$(ns "$n")" 2>/dev/null
	done
	for n in ${WGIFS:-}; do
		rm -f "/var/run/wireguard/$n.sock"
	done
	for g in $GWS; do
		rm -f "$(sock "$g")"
		# Pins left by a failure would keep the bpffs busy: unmount lazily.
		umount -l "$RUN/bpf-$g" 2>/dev/null
	done
	if [ -n "${E2E_KEEP:-}" ] || [ "$NFAIL" -gt 0 ]; then
		for g in $GWS; do
			[ -s "$(gklog "$g")" ] || continue
			echo "# ---- genkand $g log (last $tl lines) ----"
			tail -n "$tl" "$(gklog "$g")" | sed 's/^/# /'
		done
	fi
	if [ -n "${E2E_KEEP:-}" ]; then
		echo "# run directory kept: $RUN"
	else
		rm -rf "$RUN"
	fi
	[ "$sanitized" = 0 ] || exit 1
	[ "$unbalanced" = 0 ] || exit 1
}

# traps: the script's cleanup() runs on every way out.
traps()
{
	trap cleanup EXIT
	trap 'echo "# interrupted"; exit 130' INT
	trap 'echo "# terminated"; exit 143' TERM
}
