#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# WireGuard end-to-end benchmark (issue #5, Bench): the same netns topology
# carries iperf3 through a WireGuard tunnel between two gateways, in three
# set-ups measured in the same run:
#   wggo-wggo   wireguard-go <-> wireguard-go (kernel forwards, TUN)
#   gk-gk       genkan <-> genkan (kernel forwarding off)
#   gk-wggo     genkan (A) <-> wireguard-go (B)
#   base-base   genkan from --base DIR <-> the same (before/after a change,
#               measured in the same run; add it to --only)
# For each: iperf3 TCP client -> server (1 and 4 streams) and a UDP
# small-packet rate (iperf3 -u -l 64 -b 0, packets the server received per
# second). It prints figures and the ratios to wireguard-go; it asserts
# nothing about speed (exit status only reflects setup failures).
#
#  c: client            A: gateway                     B: gateway            s: server
#  eth0 198.18.1.2 -- lan 198.18.1.1 | inet 203.0.113.1 -- inet 203.0.113.2 | lan 198.51.100.1 -- eth0 198.51.100.2
#
# Fairness: every set-up gets fresh namespaces and keys, the same veths
# (--queues RX/TX queues each, default: the genkan worker count, so no
# queue lacks a worker), the same MTU (client and server routes carry the
# tunnel MTU 1420, so TCP picks the same MSS everywhere) and the same
# iperf3 parameters. Non-genkan veth ends get tx off / gro on.
# wireguard-go runs as Debian ships it (GOMAXPROCS = all CPUs;
# --wggo-env adds environment, e.g. GOMAXPROCS=1, to try others).
# The set-ups run interleaved, --reps times (wggo, gk, gk-wggo, wggo, ...),
# so a burst of foreign load hits all of them alike; the table gives the
# median and min..max of each figure, and the ratios of the medians.
#
# genkan tuning (documented, applied to both genkan gateways alike):
# --workers N per gateway (default 1: on a 2-CPU box two gateways, two
# iperf3 and the softirqs already share two cores; see docs/wireguard.md),
# --cpus-a LIST / --cpus-b LIST their "cpus" (default: A on CPU 0, B on
# CPU 1 when workers = 1, else genkan's default), --idle-sleep-us N.
# For genkan gateways it also prints, per test, the workers' busy TSC
# cycles per packet received (both gateways summed: cycles / rx packets)
# and the tx_full and hand-off counters.
#
# Usage: bench/wg_bench.sh [--seconds N] [--reps R] [--workers N]
#                          [--queues N] [--cpus-a LIST] [--cpus-b LIST]
#                          [--idle-sleep-us N] [--wggo-env "K=V ..."]
#                          [--base BUILD_DIR] [--only "gk-gk ..."]
# Environment: GK_BUILD (default <repo>/build), WGB_KEEP=1 keeps logs.
# Needs root, iproute2, ethtool, iperf3, jq, wireguard-go and wg.
#
# Noise: everything (iperf3 both ends, both gateways' workers or
# wireguard-go threads, softirqs) shares the machine's cores, so absolute
# figures say little; compare set-ups of the same run, and check `uptime`
# first (another CPU-heavy job skews the figures of the set-up it meets).

set -u
umask 077		# keys are root's only

SECS=5
REPS=3
WORKERS=1
QUEUES=
CPUS_A=
CPUS_B=
IDLE_US=
WGGO_ENV=
GK_BASE=
ONLY="wggo-wggo gk-gk gk-wggo"

while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECS=$2; shift ;;
	--reps) REPS=$2; shift ;;
	--workers) WORKERS=$2; shift ;;
	--queues) QUEUES=$2; shift ;;
	--cpus-a) CPUS_A=$2; shift ;;
	--cpus-b) CPUS_B=$2; shift ;;
	--idle-sleep-us) IDLE_US=$2; shift ;;
	--wggo-env) WGGO_ENV=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--base) GK_BASE=$2; shift ;;
	*) sed -n '2,/^$/ s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
	shift
done
QUEUES=${QUEUES:-$WORKERS}
if [ "$WORKERS" = 1 ] && [ "$(nproc)" -ge 2 ]; then
	CPUS_A=${CPUS_A:-0}
	CPUS_B=${CPUS_B:-1}
fi

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
# lab_kill (TERM, then KILL after 5 s) is the lab's, as in veth_bench.sh.
. "$(dirname "$0")/../lab/lab.sh"
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
TAG=gkwb-$$
WGA=wba$$		# wireguard-go interface names: the UAPI socket
WGB=wbb$$		# directory is shared by all namespaces
ALLNS="c A B s"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root"
	exit 77
fi
for t in ip ethtool iperf3 jq wireguard-go wg; do
	command -v "$t" >/dev/null 2>&1 || { echo "missing tool: $t"; exit 1; }
done
if [ ! -x "$GKD" ] || [ ! -x "$GKCTL" ]; then
	echo "no genkand/genkanctl under $GK_BUILD/ctl (set GK_BUILD)"
	exit 1
fi
# A base build of either layout: ctl/genkand/genkand, or ctl/genkand.
BASE_GKD=${GK_BASE:-/nonexistent}/ctl/genkand/genkand
[ -x "$BASE_GKD" ] || BASE_GKD=${GK_BASE:-/nonexistent}/ctl/genkand
case " $ONLY " in
*base*) [ -f "$BASE_GKD" ] && [ -x "$BASE_GKD" ] ||
	{ echo "base-base needs --base BUILD_DIR with genkand"; exit 1; } ;;
esac

RUN=$(mktemp -d "/tmp/$TAG.XXXXXX")
chmod 700 "$RUN"
declare -A GKPID=()
declare -A WGPID=()
IPS_PID=

ns() { echo "$TAG-$1"; }
nx() { local n=$1; shift; nsenter --net="/run/netns/$(ns "$n")" "$@"; }
r() { local n=$1; shift; ip -n "$(ns "$n")" "$@"; }
sock() { echo "/run/genkan/$TAG-$1.sock"; }
log() { printf '# %s\n' "$*"; }

# Tear one set-up down: daemons first, then namespaces and mounts.
teardown()
{
	local g n

	[ -n "$IPS_PID" ] && lab_kill "$IPS_PID"
	IPS_PID=
	for g in "${!GKPID[@]}"; do
		lab_kill "${GKPID[$g]}"
		rm -f "$(sock "$g")"
		umount -l "$RUN/bpf-$g" 2>/dev/null
	done
	for g in "${!WGPID[@]}"; do
		lab_kill "${WGPID[$g]}"
	done
	GKPID=()
	WGPID=()
	for n in $ALLNS; do
		[ -e "/run/netns/$(ns "$n")" ] && ip netns del "$(ns "$n")" 2>/dev/null
	done
	rm -f "/var/run/wireguard/$WGA.sock" "/var/run/wireguard/$WGB.sock"
}

cleanup()
{
	trap - EXIT INT TERM
	teardown
	if [ -n "${WGB_KEEP:-}" ]; then
		echo "# run directory kept: $RUN"
	else
		rm -rf "$RUN"
	fi
}
trap cleanup EXIT
trap 'echo "# interrupted"; exit 130' INT
trap 'echo "# terminated"; exit 143' TERM

# veth A DEVA B DEVB: $QUEUES queues each way, in every set-up.
veth()
{
	ip -n "$(ns "$1")" link add "$2" numrxqueues "$QUEUES" numtxqueues "$QUEUES" \
		type veth peer name "$4" netns "$(ns "$3")" \
		numrxqueues "$QUEUES" numtxqueues "$QUEUES"
}
# Non-genkan ends: full checksums on the wire, NAPI for redirected frames.
peer() { nx "$1" ethtool -K "$2" tx off gro on >/dev/null 2>&1; }

# topo_up KINDA KINDB: KIND is gk or wggo (what runs on that gateway).
topo_up()
{
	local ka=$1 kb=$2 n

	for n in $ALLNS; do
		ip netns add "$(ns "$n")" || return 1
		nx "$n" sysctl -q -w net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.accept_dad=0 >/dev/null
		r "$n" link set lo up
	done
	veth c eth0 A lan && veth A inet B inet && veth B lan s eth0 || return 1
	peer c eth0
	peer s eth0
	# wireguard-go is a TUN device: its gateway's kernel must forward.
	# genkan gateways forward nothing in the kernel.
	[ "$ka" = wggo ] && { peer A lan; peer A inet; }
	[ "$kb" = wggo ] && { peer B lan; peer B inet; }
	r c addr add 198.18.1.2/24 dev eth0
	r A addr add 198.18.1.1/24 dev lan
	r A addr add 203.0.113.1/24 dev inet
	r B addr add 203.0.113.2/24 dev inet
	r B addr add 198.51.100.1/24 dev lan
	r s addr add 198.51.100.2/24 dev eth0
	for n in c:eth0 A:lan A:inet B:inet B:lan s:eth0; do
		r "${n%%:*}" link set "${n#*:}" up || return 1
	done
	r c route add default via 198.18.1.1 mtu 1420 || return 1
	r s route add default via 198.51.100.1 mtu 1420 || return 1
	nx A sysctl -q -w net.ipv4.ip_forward="$([ "$ka" = wggo ] && echo 1 || echo 0)"
	nx B sysctl -q -w net.ipv4.ip_forward="$([ "$kb" = wggo ] && echo 1 || echo 0)"
}

# wggo_up GW IFNAME KEY PEERPUB PEER_ENDPOINT ALLOWED
wggo_up()
{
	local g=$1 ifn=$2 k

	# shellcheck disable=SC2086 # --wggo-env is a list of K=V words
	ip netns exec "$(ns "$g")" env WG_PROCESS_FOREGROUND=1 $WGGO_ENV wireguard-go -f "$ifn" \
		>"$RUN/wggo-$g.log" 2>&1 &
	WGPID[$g]=$!
	for ((k = 0; k < 100; k++)); do
		r "$g" link show "$ifn" >/dev/null 2>&1 &&
			[ -S "/var/run/wireguard/$ifn.sock" ] && break
		sleep 0.1
	done
	nx "$g" wg set "$ifn" private-key "$3" listen-port 51820 \
		peer "$4" endpoint "$5" allowed-ips "$6" persistent-keepalive 25 || return 1
	r "$g" link set "$ifn" mtu 1420 up || return 1
	r "$g" route add "$6" dev "$ifn" || return 1
}

# gk_up GW KIND KEY PEERPUB PEER_ENDPOINT ALLOWED (KIND: gk or base)
gk_up()
{
	local g=$1 gkd=$GKD k cpus extra=

	[ "$2" = base ] && gkd=$BASE_GKD
	shift

	cpus=$([ "$g" = A ] && echo "$CPUS_A" || echo "$CPUS_B")
	[ -n "$cpus" ] && extra="cpus = $cpus"
	[ -n "$IDLE_US" ] && extra="$extra
idle_sleep_us = $IDLE_US"
	mkdir -p /run/genkan "$RUN/bpf-$g"
	cat >"$RUN/$g.conf" <<EOF
# genkan wg_bench: gateway $g
[genkan]
instance = $TAG-$g
socket = $(sock "$g")
bpffs = $RUN/bpf-$g
workers = $WORKERS
$extra

[port inet]
interface = inet

[port lan]
interface = lan

[wireguard]
PrivateKeyFile = $2
ListenPort = 51820
port = inet
mtu = 1420

[wireguard-peer other]
PublicKey = $3
AllowedIPs = $5
Endpoint = $4
PersistentKeepalive = 25
EOF
	mount -t bpf bpf "$RUN/bpf-$g" || return 1
	ip netns exec "$(ns "$g")" sh -c 'exec "$0" -c "$1" -f' "$gkd" "$RUN/$g.conf" \
		>>"$RUN/genkand-$g.log" 2>&1 &
	GKPID[$g]=$!
	for ((k = 0; k < 300; k++)); do
		kill -0 "${GKPID[$g]}" 2>/dev/null || return 1
		[ "$(nx "$g" "$GKCTL" -s "$(sock "$g")" -j status 2>/dev/null |
			jq -r .workers.running)" = "$WORKERS" ] && return 0
		sleep 0.1
	done
	return 1
}

# setup NAME: topology plus the two gateways of that set-up.
setup()
{
	local ka=${1%%-*} kb=${1#*-} k

	for k in A B; do
		wg genkey >"$RUN/$k.key"
		wg pubkey <"$RUN/$k.key" >"$RUN/$k.pub"
	done
	topo_up "$ka" "$kb" || return 1
	if [ "$ka" != wggo ]; then
		gk_up A "$ka" "$RUN/A.key" "$(cat "$RUN/B.pub")" 203.0.113.2:51820 198.51.100.0/24
	else
		wggo_up A "$WGA" "$RUN/A.key" "$(cat "$RUN/B.pub")" 203.0.113.2:51820 198.51.100.0/24
	fi || return 1
	if [ "$kb" != wggo ]; then
		gk_up B "$kb" "$RUN/B.key" "$(cat "$RUN/A.pub")" 203.0.113.1:51820 198.18.1.0/24
	else
		wggo_up B "$WGB" "$RUN/B.key" "$(cat "$RUN/A.pub")" 203.0.113.1:51820 198.18.1.0/24
	fi || return 1
	# nsenter itself, not the nx function: a backgrounded function is a
	# subshell, its $! is not iperf3's, and killing it left iperf3 running
	# (one per set-up and rep) after the namespaces were gone.
	nsenter --net="/run/netns/$(ns s)" iperf3 -s >"$RUN/iperf3-s.log" 2>&1 &
	IPS_PID=$!
	# The first packets wait for a handshake and ARP.
	for ((k = 0; k < 20; k++)); do
		nx c ping -n -q -c 1 -W 1 198.51.100.2 >/dev/null 2>&1 && return 0
	done
	return 1
}

# gk_snap GW: "busy_cycles rx_packets tx_full tx_drops handoff_out" now.
gk_snap()
{
	local g=$1 st ho

	st=$(nx "$g" "$GKCTL" -s "$(sock "$g")" -j stats 2>/dev/null |
		jq -r '[([.workers[].busy_cycles] | add),
			 ([.workers[].rx_packets] | add),
			 .worker_drops.tx_full,
			 ([.ports[].tx_drops] | add)] | @tsv' 2>/dev/null)
	ho=$(nx "$g" "$GKCTL" -s "$(sock "$g")" -j wg show 2>/dev/null |
		jq -r '.counters.handoff_out // 0' 2>/dev/null)
	echo "${st:-0 0 0 0}" "${ho:-0}"
}

# snap: the genkan gateways' counters summed (A and B), "-" for none.
snap()
{
	local g out="0 0 0 0 0" any=

	for g in A B; do
		[ -n "${GKPID[$g]:-}" ] || continue
		any=1
		out=$(awk -v a="$out" -v b="$(gk_snap "$g")" 'BEGIN {
			n = split(a, x); split(b, y)
			for (i = 1; i <= n; i++) printf "%s%.0f", (i > 1 ? " " : ""), x[i] + y[i]
		}')
	done
	[ -n "$any" ] && echo "$out" || echo "-"
}

# cpu_snap: "ticks_user ticks_sys ns" of both gateways' processes
# (genkand or wireguard-go; every thread, as /proc/PID/stat sums them).
cpu_snap()
{
	local p u=0 sy=0 f

	for p in "${GKPID[@]}" "${WGPID[@]}"; do
		read -r -a f <"/proc/$p/stat" 2>/dev/null || continue
		u=$((u + f[13]))
		sy=$((sy + f[14]))
	done
	echo "$u $sy $(date +%s%N)"
}

# cpu_delta BEFORE AFTER: "user% sys%" of one CPU over the interval.
cpu_delta()
{
	awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {
		split(a, x); split(b, y)
		t = (y[3] - x[3]) / 1e9
		if (t <= 0) { print "NA NA"; exit }
		printf "%.0f %.0f", 100 * (y[1] - x[1]) / hz / t, 100 * (y[2] - x[2]) / hz / t
	}'
}

# delta BEFORE AFTER: "cycles/pkt tx_full handoff_out" over a test.
delta()
{
	[ "$1" = - ] && { echo "- - -"; return; }
	awk -v a="$1" -v b="$2" 'BEGIN {
		split(a, x); split(b, y)
		p = y[2] - x[2]
		printf "%s %.0f %.0f", (p > 0 ? int((y[1] - x[1]) / p) : "NA"),
			y[3] - x[3] + y[4] - x[4], y[5] - x[5]
	}'
}

# TCP: Mbit/s the server received.
tcp() { nx c iperf3 -J -c 198.51.100.2 -t "$SECS" -P "$1" 2>/dev/null |
	jq -r '.end.sum_received.bits_per_second / 1e6 | floor' 2>/dev/null || echo NA; }
# UDP 64 B payload, unpaced: "received sent" packets per second (the
# sender is a single iperf3 thread; "sent" shows when it is the limit).
udp() { nx c iperf3 -J -c 198.51.100.2 -t "$SECS" -u -l 64 -b 0 2>/dev/null |
	jq -r '.end.sum | "\((.packets - .lost_packets) / .seconds | floor) \(.packets / .seconds | floor)"' \
	2>/dev/null || echo "NA NA"; }

# measure TEST: one iperf3 test with the counters around it; prints
# "value cycles/pkt tx_full handoff_out user% sys%" (UDP: "rx sent ...").
measure()
{
	local a b v ca cb

	a=$(snap)
	ca=$(cpu_snap)
	case $1 in
	tcp1) v=$(tcp 1) ;;
	tcp4) v=$(tcp 4) ;;
	udp64) v=$(udp) ;;
	esac
	cb=$(cpu_snap)
	b=$(snap)
	echo "$v $(delta "$a" "$b") $(cpu_delta "$ca" "$cb")"
}

TESTS="tcp1 tcp4 udp64"
# One line per (rep, set-up, test) in $RUN/results:
#   set-up test rep value cycles/pkt tx_full handoff user% sys% [udp: sent]
# (udp: value = received pps)
RESULTS=$RUN/results
: >"$RESULTS"
log "$(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg); genkan: $WORKERS worker(s)," \
	"cpus A '${CPUS_A:-default}' B '${CPUS_B:-default}', $QUEUES queue(s) per veth"
for ((rep = 1; rep <= REPS; rep++)); do
	for setup_name in $ONLY; do
		log "rep $rep set-up $setup_name"
		if ! setup "$setup_name"; then
			log "set-up $setup_name failed; logs:"
			tail -n 5 "$RUN"/*.log 2>/dev/null | sed 's/^/#   /'
			teardown
			continue
		fi
		[ "$rep" = 1 ] && [ -n "${GKPID[A]:-}" ] &&
			log "A crypto: $(nx A "$GKCTL" -s "$(sock A)" -j wg show 2>/dev/null | jq -r .crypto)"
		for t in $TESTS; do
			m=$(measure "$t")
			if [ "$t" = udp64 ]; then
				read -r rx sent cpp full ho us sy <<<"$m"
				echo "$setup_name $t $rep $rx $cpp $full $ho $us $sy $sent" >>"$RESULTS"
				log "  $t: rx $rx pps (sent $sent), cycles/pkt $cpp, tx_full $full," \
					"handoff $ho, gateway cpu user $us% sys $sy%"
			else
				read -r v cpp full ho us sy <<<"$m"
				echo "$setup_name $t $rep $v $cpp $full $ho $us $sy" >>"$RESULTS"
				log "  $t: $v Mbit/s, cycles/pkt $cpp, tx_full $full, handoff $ho," \
					"gateway cpu user $us% sys $sy%"
			fi
		done
		teardown
	done
done

# stat SETUP TEST FIELD: "median min max" over the reps (NA if none).
stat()
{
	awk -v s="$1" -v t="$2" -v f="$3" '$1 == s && $2 == t && $f ~ /^[0-9]+$/ { print $f }' \
		"$RESULTS" | sort -n | awk '{ v[NR] = $1 } END {
			if (!NR) { print "NA NA NA"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)
			print m, v[1], v[NR] }'
}

ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/ && b > 0)
		printf "%.2fx", a / b; else printf "NA" }'
}

echo
echo "WireGuard e2e, ${SECS} s per test, $REPS rep(s), $WORKERS genkan worker(s) per gateway," \
	"$(nproc) CPUs; median [min..max]"
printf '%-10s %-22s %-22s %-22s %s\n' set-up "tcp1 Mbit/s" "tcp4 Mbit/s" "udp64 rx pps" \
	"udp64 sent pps"
for s in $ONLY; do
	line=$(printf '%-10s' "$s")
	for t in tcp1 tcp4 udp64; do
		read -r m lo hi <<<"$(stat "$s" "$t" 4)"
		line="$line $(printf '%-22s' "$m [$lo..$hi]")"
	done
	read -r m lo hi <<<"$(stat "$s" udp64 10)"
	echo "$line $m [$lo..$hi]"
done
echo "genkan busy cycles per packet (both gateways; median), tx_full + tx_drops, hand-offs (sum):"
for s in $ONLY; do
	case $s in *gk*|*base*) ;; *) continue ;; esac
	line=$(printf '%-10s' "$s")
	for t in tcp1 tcp4 udp64; do
		read -r m _ <<<"$(stat "$s" "$t" 5)"
		full=$(awk -v s="$s" -v t="$t" '$1 == s && $2 == t { n += $6 } END { print n + 0 }' "$RESULTS")
		ho=$(awk -v s="$s" -v t="$t" '$1 == s && $2 == t { n += $7 } END { print n + 0 }' "$RESULTS")
		line="$line $(printf '%-22s' "$t $m c/p, $full, $ho")"
	done
	echo "$line"
done
echo "gateway processes' CPU (both; % of one CPU, median user+sys):"
for s in $ONLY; do
	line=$(printf '%-10s' "$s")
	for t in tcp1 tcp4 udp64; do
		read -r u _ <<<"$(stat "$s" "$t" 8)"
		read -r k _ <<<"$(stat "$s" "$t" 9)"
		line="$line $(printf '%-22s' "$t $u+$k")"
	done
	echo "$line"
done
if grep -q '^wggo-wggo ' "$RESULTS"; then
	echo "ratio of medians to wggo-wggo (goal gk-gk >= 3x):"
	for s in gk-gk gk-wggo base-base; do
		case " $ONLY " in *" $s "*) ;; *) continue ;; esac
		line=$(printf '%-10s' "$s")
		for t in tcp1 tcp4 udp64; do
			read -r x _ <<<"$(stat "$s" "$t" 4)"
			read -r b _ <<<"$(stat wggo-wggo "$t" 4)"
			line="$line $(printf '%-22s' "$(ratio "$x" "$b")")"
		done
		echo "$line"
	done
fi
[ -n "${WGB_RESULTS:-}" ] && cp "$RESULTS" "$WGB_RESULTS"
exit 0
