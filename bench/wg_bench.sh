#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# WireGuard end-to-end benchmark (issue #5, Bench): the same netns topology
# carries iperf3 through a WireGuard tunnel between two gateways, in three
# set-ups measured in the same run:
#   wggo-wggo   wireguard-go <-> wireguard-go (kernel forwards, TUN)
#   gk-gk       genkan <-> genkan (kernel forwarding off)
#   gk-wggo     genkan (A) <-> wireguard-go (B)
# For each: iperf3 TCP client -> server (1 and 4 streams) and a UDP
# small-packet rate (iperf3 -u -l 64 -b 0, packets the server received per
# second). It prints figures and the ratios to wireguard-go; it asserts
# nothing about speed (exit status only reflects setup failures).
#
#  c: client            A: gateway                     B: gateway            s: server
#  eth0 198.18.1.2 -- lan 198.18.1.1 | inet 203.0.113.1 -- inet 203.0.113.2 | lan 198.51.100.1 -- eth0 198.51.100.2
#
# Every set-up gets fresh namespaces and keys. Links into genkan have
# 2 queues (one per worker); non-genkan veth ends get tx off / gro on.
# Client and server routes carry the tunnel MTU (1420), so TCP picks a
# fitting MSS in every set-up alike.
#
# Usage: bench/wg_bench.sh [--seconds N] [--workers N] [--only "gk-gk ..."]
# Environment: GK_BUILD (default <repo>/build), WGB_KEEP=1 keeps logs.
# Needs root, iproute2, ethtool, iperf3, jq, wireguard-go and wg.
#
# Noise: everything (iperf3 both ends, both gateways' workers or
# wireguard-go threads, softirqs) shares the machine's cores, so absolute
# figures say little; compare set-ups of the same run.

set -u
umask 077		# keys are root's only

SECS=5
WORKERS=2
ONLY="wggo-wggo gk-gk gk-wggo"

while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECS=$2; shift ;;
	--workers) WORKERS=$2; shift ;;
	--only) ONLY=$2; shift ;;
	*) sed -n '2,/^$/ s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
	shift
done

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand
GKCTL=$GK_BUILD/ctl/genkanctl
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

stop_pid()
{
	local pid=$1 k

	kill -TERM "$pid" 2>/dev/null || return 0
	for ((k = 0; k < 50; k++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# Tear one set-up down: daemons first, then namespaces and mounts.
teardown()
{
	local g n

	[ -n "$IPS_PID" ] && stop_pid "$IPS_PID"
	IPS_PID=
	for g in "${!GKPID[@]}"; do
		stop_pid "${GKPID[$g]}"
		rm -f "$(sock "$g")"
		umount -l "$RUN/bpf-$g" 2>/dev/null
	done
	for g in "${!WGPID[@]}"; do
		stop_pid "${WGPID[$g]}"
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

# veth A DEVA B DEVB: 2 queues each way.
veth()
{
	ip -n "$(ns "$1")" link add "$2" numrxqueues 2 numtxqueues 2 type veth \
		peer name "$4" netns "$(ns "$3")" numrxqueues 2 numtxqueues 2
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
	# wireguard-go is a TUN device: its gateway's kernel must forward.
	# genkan gateways forward nothing in the kernel.
	nx A sysctl -q -w net.ipv4.ip_forward=$([ "$ka" = wggo ] && echo 1 || echo 0)
	nx B sysctl -q -w net.ipv4.ip_forward=$([ "$kb" = wggo ] && echo 1 || echo 0)
}

# wggo_up GW IFNAME KEY PEERPUB PEER_ENDPOINT ALLOWED
wggo_up()
{
	local g=$1 ifn=$2 k

	ip netns exec "$(ns "$g")" env WG_PROCESS_FOREGROUND=1 wireguard-go -f "$ifn" \
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

# gk_up GW KEY PEERPUB PEER_ENDPOINT ALLOWED
gk_up()
{
	local g=$1 k

	mkdir -p /run/genkan "$RUN/bpf-$g"
	cat >"$RUN/$g.conf" <<EOF
# genkan wg_bench: gateway $g
[genkan]
instance = $TAG-$g
socket = $(sock "$g")
bpffs = $RUN/bpf-$g
workers = $WORKERS

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
	ip netns exec "$(ns "$g")" sh -c 'exec "$0" -c "$1" -f' "$GKD" "$RUN/$g.conf" \
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
	if [ "$ka" = gk ]; then
		gk_up A "$RUN/A.key" "$(cat "$RUN/B.pub")" 203.0.113.2:51820 198.51.100.0/24
	else
		wggo_up A "$WGA" "$RUN/A.key" "$(cat "$RUN/B.pub")" 203.0.113.2:51820 198.51.100.0/24
	fi || return 1
	if [ "$kb" = gk ]; then
		gk_up B "$RUN/B.key" "$(cat "$RUN/A.pub")" 203.0.113.1:51820 198.18.1.0/24
	else
		wggo_up B "$WGB" "$RUN/B.key" "$(cat "$RUN/A.pub")" 203.0.113.1:51820 198.18.1.0/24
	fi || return 1
	nx s iperf3 -s >"$RUN/iperf3-s.log" 2>&1 &
	IPS_PID=$!
	# The first packets wait for a handshake and ARP.
	for ((k = 0; k < 20; k++)); do
		nx c ping -n -q -c 1 -W 1 198.51.100.2 >/dev/null 2>&1 && return 0
	done
	return 1
}

# TCP: Mbit/s the server received.
tcp() { nx c iperf3 -J -c 198.51.100.2 -t "$SECS" -P "$1" 2>/dev/null |
	jq -r '.end.sum_received.bits_per_second / 1e6 | floor' 2>/dev/null || echo NA; }
# UDP 64 B payload, unpaced: "received sent" packets per second (the
# sender is a single iperf3 thread; "sent" shows when it is the limit).
udp() { nx c iperf3 -J -c 198.51.100.2 -t "$SECS" -u -l 64 -b 0 2>/dev/null |
	jq -r '.end.sum | "\((.packets - .lost_packets) / .seconds | floor) \(.packets / .seconds | floor)"' \
	2>/dev/null || echo "NA NA"; }

declare -A RES=()
for setup_name in $ONLY; do
	log "set-up $setup_name"
	if ! setup "$setup_name"; then
		log "set-up $setup_name failed; logs:"
		tail -n 5 "$RUN"/*.log 2>/dev/null | sed 's/^/#   /'
		teardown
		RES[$setup_name]="NA NA NA NA"
		continue
	fi
	[ -n "${GKPID[A]:-}" ] &&
		log "A crypto: $(nx A "$GKCTL" -s "$(sock A)" -j wg show 2>/dev/null | jq -r .crypto)"
	t1=$(tcp 1); t4=$(tcp 4); u=$(udp)
	RES[$setup_name]="$t1 $t4 $u"
	log "$setup_name: tcp1 $t1 Mbit/s, tcp4 $t4 Mbit/s, udp64 received/sent $u pps"
	teardown
done

ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/ && b > 0)
		printf "%.2fx", a / b; else printf "NA" }'
}

echo
echo "WireGuard e2e, ${SECS} s per test, $WORKERS genkan worker(s) per gateway, $(nproc) CPUs"
printf '%-10s %14s %14s %14s %14s\n' set-up "tcp1 Mbit/s" "tcp4 Mbit/s" "udp64 rx pps" \
	"udp64 sent pps"
for s in $ONLY; do
	# shellcheck disable=SC2086
	printf '%-10s %14s %14s %14s %14s\n' "$s" ${RES[$s]}
done
if [ -n "${RES[wggo-wggo]:-}" ]; then
	read -r b1 b4 bu _ <<<"${RES[wggo-wggo]}"
	for s in gk-gk gk-wggo; do
		[ -n "${RES[$s]:-}" ] || continue
		read -r x1 x4 xu _ <<<"${RES[$s]}"
		printf '%-10s %14s %14s %14s   (/ wggo-wggo; goal gk-gk >= 3x)\n' "$s" \
			"$(ratio "$x1" "$b1")" "$(ratio "$x4" "$b4")" "$(ratio "$xu" "$bu")"
	done
fi
exit 0
