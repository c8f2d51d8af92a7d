#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# veth forwarding benchmark: the same small-packet flood crosses the gateway
# namespace twice, first forwarded by the kernel, then by genkan, and the
# packets per second that reach the server are compared. It measures, it
# asserts nothing about speed (exit status only reflects setup failures).
#
#   client ns: generator        gateway ns                        server ns: sink
#   gkc0 192.0.2.2  <veth>  gkg0 192.0.2.1 | gkg1 198.51.100.1  <veth>  gks0 198.51.100.2
#   phase 1 (kernel): ip_forward=1, no genkan
#   phase 2 (genkan): ip_forward=0, genkand with etc/lab.conf
#
# Generator (--gen): by default xdpgen (bench/xdpgen.c), which loops
# BPF_PROG_TEST_RUN with live XDP frames so each frame goes from gkc0 straight
# into gkg0's XDP ring, without an skb or a socket on the client side: the
# generator is no longer the bottleneck. veth only accepts such frames while
# the receiving end runs NAPI, so for xdpgen gkg0 gets GRO on in both phases
# (genkan's XDP program would enable NAPI anyway). Frames land on gkg0 RX
# queue (sending CPU % 2), so --gen-cpus picks the queues. UDP source
# ports cycle over 64 values. Fallbacks: dpdk-testpmd txonly over an AF_XDP
# vdev (copy mode, ~220 kpps here), iperf3 -u -b 0. The output says which ran.
# Sink: the RX packet counter of gks0 over the measured window. --sink stack
# (default): the server's stack drops the UDP port 9 flood (route lookup,
# ICMP port unreachable attempt), the same work for both phases, charged to
# the forwarder's CPU (the generator's softirq for the kernel, the worker's
# sendto for genkan). --sink xdp: an XDP program on gks0 drops it first;
# cheaper, but not symmetric: skbs from AF_XDP copy-mode TX have too little
# headroom for veth XDP and get copied (skb_pp_cow_data), kernel-forwarded
# ones built from xdp_frames do not.
# Offered load: gkc0's TX packets + TX drops over the same window (veth
# counts there the frames its peer took through ndo_xdp_xmit).
#
# Usage: bench/veth_bench.sh [--seconds N] [--sizes "64 1514"]
#                            [--gen auto|xdpgen|testpmd|iperf3]
#                            [--gen-cpus LIST] [--gen-pps N]
#                            [--workers N] [--worker-cpus LIST] [--sink xdp|stack]
#                            [--kernel-only] [--genkan-only]
# Sizes are Ethernet frame lengths without FCS. --workers/--worker-cpus
# override "workers" and add "cpus" in the per-run copy of etc/lab.conf;
# --gen-cpus (default 0,1) is the xdpgen thread list, --gen-pps caps
# xdpgen's total rate (default 0: unpaced; a cap leaves CPU to the
# forwarder instead of burning it on frames dropped at the gateway). With
# --workers 1 the defaults become --worker-cpus 1 --gen-cpus 0: worker 0
# serves RX queue 0, which only CPU 0's frames reach.
# Environment: GK_BUILD (default <repo>/build), LAB_KEEP=1 keeps logs.
#
# veth note: everything shares the machine's cores (generator threads, the
# softirq work they trigger, genkan's busy-polling workers), so absolute
# figures say little about real NICs; the kernel/genkan ratio is the point.
# The genkan phase prints per-size counter deltas (worker drops, port
# tx_drops/rx_no_buf, XDP events, worker busy share) to explain a gap.

set -u

SECS=10
SIZES="64 1514"
GEN=auto
GEN_CPUS=
GEN_PPS=0
SINK=auto
WORKERS=
WORKER_CPUS=
KERNEL_ONLY=
GENKAN_ONLY=

usage()
{
	sed -n '2,/^$/ s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECS=$2; shift ;;
	--sizes) SIZES=$2; shift ;;
	--gen) GEN=$2; shift ;;
	--gen-cpus) GEN_CPUS=$2; shift ;;
	--gen-pps) GEN_PPS=$2; shift ;;
	--sink) SINK=$2; shift ;;
	--workers) WORKERS=$2; shift ;;
	--worker-cpus) WORKER_CPUS=$2; shift ;;
	--kernel-only) KERNEL_ONLY=1 ;;
	--genkan-only) GENKAN_ONLY=1 ;;
	-h | --help) usage ;;
	*) echo "unknown argument: $1" >&2; usage ;;
	esac
	shift
done

case $SINK in
auto | xdp | stack) ;;
*) echo "unknown sink: $SINK" >&2; usage ;;
esac
case $GEN in
auto | xdpgen | testpmd | iperf3) ;;
*) echo "unknown generator: $GEN" >&2; usage ;;
esac
if [ -n "$WORKERS" ] && ! [[ "$WORKERS" =~ ^[1-9][0-9]*$ ]]; then
	echo "bad --workers: $WORKERS" >&2
	usage
fi
if [ "$WORKERS" = 1 ]; then
	WORKER_CPUS=${WORKER_CPUS:-1}
	GEN_CPUS=${GEN_CPUS:-0}
fi
GEN_CPUS=${GEN_CPUS:-0,1}

. "$(dirname "$0")/../lab/lab.sh"

XDPGEN=$GK_BUILD/bench/xdpgen

# Resolve "auto" once so both phases use the same generator.
if [ "$GEN" = auto ]; then
	if [ -x "$XDPGEN" ]; then
		GEN=xdpgen
	elif command -v dpdk-testpmd >/dev/null; then
		GEN=testpmd
	else
		GEN=iperf3
	fi
	GEN_AUTO=1
fi
[ "$SINK" = auto ] && SINK=stack
[ "$GEN" = xdpgen ] || [ "$SINK" = xdp ] && [ ! -x "$XDPGEN" ] &&
	{ echo "no $XDPGEN (ninja -C $GK_BUILD bench/xdpgen)" >&2; exit 1; }

# The per-run config: lab.sh's copy of etc/lab.conf, then our overrides.
eval "lab_write_conf_base() $(declare -f lab_write_conf | tail -n +2)"
lab_write_conf()
{
	lab_write_conf_base || return 1
	if [ -n "$WORKERS" ]; then
		sed -i "s|^workers[[:space:]]*=.*|workers = $WORKERS|" "$GK_CONF"
		grep -q "^workers = $WORKERS\$" "$GK_CONF" ||
			lab_die "could not set workers in $GK_CONF"
	fi
	if [ -n "$WORKER_CPUS" ]; then
		sed -i "s|^workers[[:space:]]*=.*|&\ncpus = $WORKER_CPUS|" "$GK_CONF"
	fi
	return 0
}

lab_init
[ -z "$KERNEL_ONLY" ] && lab_check_binaries
lab_up

declare -A PPS OFFERED GENUSED GENPPS

# link_counter NS DEV rx|tx packets|dropped
link_counter()
{
	ip -n "$1" -j -s link show "$2" | "$GK_PY" -c '
import json, sys
print(json.load(sys.stdin)[0]["stats64"][sys.argv[1]][sys.argv[2]])' "$3" "$4"
}

sink_rx()
{
	link_counter "$NS_S" gks0 rx packets
}

gw_mac()
{
	ip -n "$NS_G" -j link show gkg0 | "$GK_PY" -c '
import json, sys
print(json.load(sys.stdin)[0]["address"])'
}

# Wait until the sink counter moves: the generator is really sending.
wait_flowing()
{
	local before i

	before=$(sink_rx)
	for ((i = 0; i < 150; i++)); do
		sleep 0.1
		[ "$(sink_rx)" != "$before" ] && return 0
	done
	return 1
}

# Offered load as the client's veth sees it: frames its peer accepted plus
# frames it dropped (ring full, peer without NAPI), for any generator.
client_tx()
{
	ip -n "$NS_C" -j -s link show gkc0 | "$GK_PY" -c '
import json, sys
s = json.load(sys.stdin)[0]["stats64"]["tx"]
print(s["packets"] + s["dropped"])'
}

# Compare xdpgen's frame (one non-live test run) with scapy's for each size.
xdpgen_selftest()
{
	local size hex

	for size in $SIZES; do
		hex=$("$XDPGEN" --dump --dst-mac 02:00:00:00:00:01 \
			--src-mac 02:00:00:00:00:02 --src $C4 --dst $S4 \
			--sport 1024 --dport 9 --size "$size") || return 1
		"$GK_PY" - "$hex" "$size" "$C4" "$S4" <<'EOF' || return 1
import sys
from scapy.all import Ether, IP, UDP, Raw
got, size, src, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
p = (Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02") /
     IP(src=src, dst=dst, id=0, flags=0, ttl=64) /
     UDP(sport=1024, dport=9, chksum=0))
p = p / Raw(bytes(size - len(p)))
want = bytes(p).hex()
if got != want:
    print("xdpgen frame (%d bytes):\n got  %s\n want %s" % (size, got, want),
          file=sys.stderr)
    sys.exit(1)
EOF
	done
	lab_log "xdpgen frames match scapy for sizes: $SIZES"
}

xdpgen_start()
{
	local size=$1

	XG_LOG=$LAB_DIR/xdpgen-$PHASE-$size.log
	lab_bg "$NS_C" "$XG_LOG" "$XDPGEN" -i gkc0 --dst-mac "$(gw_mac)" \
		--src $C4 --dst $S4 --dport 9 --flows 64 --size "$size" \
		--seconds 0 --cpus "$GEN_CPUS" --pps "$GEN_PPS"
	XG_PID=$LAB_LAST_PID
}

xdpgen_stop()
{
	kill -INT "$XG_PID" 2>/dev/null
	wait "$XG_PID" 2>/dev/null
	TP_SENT=$(awk '$1 == "sent" { print $2 }' "$XG_LOG")
	TP_SENT=${TP_SENT:-NA}
	grep -v '^sent ' "$XG_LOG" >&2
}

# testpmd keeps forwarding until its stdin closes; a fifo held open by this
# shell gives a clean stop (and testpmd's own final statistics).
testpmd_start()
{
	local size=$1 mac fifo=$LAB_DIR/testpmd.in

	mac=$(gw_mac)
	rm -f "$fifo"
	mkfifo "$fifo"
	TP_LOG=$LAB_DIR/testpmd-$PHASE-$size.log
	# The AF_XDP PMD only accepts queue_count=1 on veth (no "combined"
	# channels). bpffs lets libxdp pin its dispatcher instead of warning.
	ip netns exec "$NS_C" sh -c 'mount -t bpf bpf /sys/fs/bpf 2>/dev/null; exec "$@"' sh \
		dpdk-testpmd --no-huge --no-shconf --no-pci -m 512 -l 0,1 \
		--file-prefix "gk$LAB_RUN" \
		--vdev=net_af_xdp0,iface=gkc0,start_queue=0,queue_count=1 -- \
		--nb-cores=1 --rxq=1 --txq=1 --total-num-mbufs=16384 \
		--forward-mode=txonly --txpkts="$size" --eth-peer=0,"$mac" \
		--tx-ip=$C4,$S4 --tx-udp=9,9 --txonly-multi-flow \
		<"$fifo" >"$TP_LOG" 2>&1 &
	TP_PID=$!
	LAB_PIDS+=("$TP_PID")
	exec {TP_FD}>"$fifo"
}

testpmd_stop()
{
	local i

	exec {TP_FD}>&-
	for ((i = 0; i < 100; i++)); do
		kill -0 "$TP_PID" 2>/dev/null || break
		sleep 0.1
	done
	lab_kill "$TP_PID"
	# The last "TX-packets:" line is testpmd's accumulated total.
	TP_SENT=$(awk '/TX-packets:/ { v = $2 } END { print v + 0 }' "$TP_LOG")
}

iperf3_start()
{
	local size=$1 len

	# UDP payload = frame - Ethernet 14 - IPv4 20 - UDP 8.
	len=$((size - 42))
	[ "$len" -lt 16 ] && len=16
	lab_bg "$NS_S" "$LAB_DIR/iperf3-s-$PHASE-$size.log" iperf3 -s -1 -p 5201
	IP_SPID=$LAB_LAST_PID
	lab_wait_listen "$NS_S" tcp 5201 10 || return 1
	IP_JSON=$LAB_DIR/iperf3-$PHASE-$size.json
	lab_bg "$NS_C" "$IP_JSON" iperf3 -c $S4 -p 5201 -u -b 0 -l "$len" \
		-t $((SECS + 20)) -J
	IP_CPID=$LAB_LAST_PID
}

iperf3_stop()
{
	# SIGINT makes the iperf3 client stop early and still print its JSON.
	kill -INT "$IP_CPID" 2>/dev/null
	wait "$IP_CPID" 2>/dev/null
	lab_kill "$IP_SPID"
	TP_SENT=$(lab_jget "$IP_JSON" end.sum.packets)
}

# Worker/port/XDP counter deltas of genkand over one window, only what
# explains a gap: drops by reason, TX drops, RX without buffers, XDP
# events, and each worker's busy share of its polls.
stats_delta()
{
	"$GK_PY" - "$1" "$2" <<'EOF'
import json, sys

def load(p):
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

a, b = load(sys.argv[1]), load(sys.argv[2])
if a is None or b is None:
    print("    (no stats)")
    sys.exit(0)

def flat(d, pre=""):
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(flat(v, pre + k + "."))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            out.update(flat(v, pre + str(i) + "."))
    elif isinstance(d, (int, float)) and not isinstance(d, bool):
        out[pre[:-1]] = d
    return out

fa, fb = flat(a), flat(b)
d = {k: fb[k] - fa.get(k, 0) for k in fb}
t = [(k, d[k]) for k in ("totals.rx_packets", "totals.tx_packets", "totals.drops")]
print("    totals: " + "  ".join("%s %d" % (k.split(".")[1], v) for k, v in t))
for name in sorted(k for k in d if d[k] and k.startswith("worker_drops.")):
    print("    worker drop %-24s %d" % (name.split(".", 1)[1], d[name]))
for p in b.get("ports", []):
    i = b["ports"].index(p)
    keys = ("rx_packets", "tx_packets", "tx_drops", "rx_no_buf", "wakeups")
    vals = {k: d.get("ports.%d.%s" % (i, k), 0) for k in keys}
    if any(vals.values()):
        print("    port %-4s q%s w%s: %s" % (p.get("name"), p.get("queue"),
              p.get("worker"), "  ".join("%s %d" % kv for kv in vals.items())))
for k in sorted(x for x in d if d[x] and x.startswith("xdp.") and
                x.endswith(".packets") and not x.startswith("xdp.classes.")):
    print("    xdp %-32s %d" % (k[4:-8], d[k]))
for i, w in enumerate(b.get("workers", [])):
    busy = d.get("workers.%d.busy_cycles" % i, 0)
    idle = d.get("workers.%d.idle_cycles" % i, 0)
    if busy + idle:
        print("    worker %s busy %.0f%% of polled cycles, rx %d tx %d" % (
              w.get("id"), 100.0 * busy / (busy + idle),
              d.get("workers.%d.rx_packets" % i, 0),
              d.get("workers.%d.tx_packets" % i, 0)))
EOF
}

# ethtool -S deltas (non-zero only) of one interface: XDP ring/redirect/xmit.
ethtool_delta()
{
	"$GK_PY" -c '
import sys
def parse(p):
    d = {}
    for line in open(p):
        k, _, v = line.strip().rpartition(":")
        if k and v.strip().lstrip("-").isdigit():
            d[k.strip()] = int(v)
    return d
a, b = parse(sys.argv[1]), parse(sys.argv[2])
for k in b:
    if k != "peer_ifindex" and b[k] - a.get(k, 0):
        print("    %s %s %d" % (sys.argv[3], k, b[k] - a.get(k, 0)))' "$1" "$2" "$3"
}

ethtool_snap()
{
	lab_nx "$1" ethtool -S "$2" >"$3" 2>/dev/null
}

# run_one SIZE: one measured window; fills PPS/OFFERED for $PHASE-SIZE.
run_one()
{
	local size=$1 gen=$GEN r0 r1 c0 c1 key=$PHASE-$1 snap=$LAB_DIR/$PHASE-$1

	while :; do
		"${gen}_start" "$size"
		if wait_flowing; then
			break
		fi
		"${gen}_stop"
		if [ "$gen" = testpmd ] && [ -n "${GEN_AUTO:-}" ]; then
			lab_log "testpmd sent nothing (log $TP_LOG), falling back to iperf3"
			tail -n 5 "$TP_LOG" >&2
			gen=iperf3
			continue
		fi
		lab_log "$gen: no packets reach the server ($PHASE, $size bytes)"
		PPS[$key]=0 OFFERED[$key]=NA GENUSED[$key]=$gen
		return 1
	done
	[ "$PHASE" = genkan ] && lab_ctl -j -a stats >"$snap.stats0" 2>/dev/null
	ethtool_snap "$NS_C" gkc0 "$snap.c0"
	ethtool_snap "$NS_G" gkg0 "$snap.g0"
	c0=$(client_tx)
	r0=$(sink_rx)
	sleep "$SECS"
	r1=$(sink_rx)
	c1=$(client_tx)
	ethtool_snap "$NS_C" gkc0 "$snap.c1"
	ethtool_snap "$NS_G" gkg0 "$snap.g1"
	[ "$PHASE" = genkan ] && lab_ctl -j -a stats >"$snap.stats1" 2>/dev/null
	"${gen}_stop"
	PPS[$key]=$(((r1 - r0) / SECS))
	OFFERED[$key]=$(((c1 - c0) / SECS))
	GENUSED[$key]=$gen
	printf '  %-7s %5s bytes  %10s pps at the server, %10s pps offered  (%s, %s packets sent in total)\n' \
		"$PHASE" "$size" "${PPS[$key]}" "${OFFERED[$key]}" "$gen" "$TP_SENT"
	ethtool_delta "$snap.c0" "$snap.c1" gkc0
	ethtool_delta "$snap.g0" "$snap.g1" gkg0
	[ "$PHASE" = genkan ] && stats_delta "$snap.stats0" "$snap.stats1"
	return 0
}

if [ "$GEN" = xdpgen ]; then
	# xdpgen's frames need NAPI on the receiving veth end (see above).
	lab_nx "$NS_G" ethtool -K gkg0 gro on >/dev/null ||
		lab_die "ethtool -K gkg0 gro on failed"
	# The generator's own check: its frame must match an independent
	# build of the same packet (scapy) byte for byte.
	xdpgen_selftest || lab_die "xdpgen frame differs from the scapy reference"
fi
if [ "$SINK" = xdp ]; then
	lab_bg "$NS_S" "$LAB_DIR/sink.log" "$XDPGEN" --sink gks0 --dport 9 --seconds 0
	for ((i = 0; i < 100; i++)); do
		grep -q '^sink attached' "$LAB_DIR/sink.log" 2>/dev/null && break
		kill -0 "$LAB_LAST_PID" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^sink attached' "$LAB_DIR/sink.log" ||
		lab_die "xdp sink on gks0: $(cat "$LAB_DIR/sink.log")"
fi

echo "== veth bench: ${SECS}s per run, frame sizes: $SIZES =="
echo "   CPUs: $(nproc), kernel $(uname -r), generator $GEN" \
	"$([ "$GEN" = xdpgen ] && echo "on CPUs $GEN_CPUS, pps cap $GEN_PPS"), sink $SINK"

if [ -z "$GENKAN_ONLY" ]; then
	PHASE=kernel
	lab_forwarding on
	echo "-- phase 1: kernel forwarding ($(lab_forwarding_show))"
	lab_warmup || lab_die "no connectivity through the kernel"
	for size in $SIZES; do
		run_one "$size"
	done
fi

if [ -z "$KERNEL_ONLY" ]; then
	PHASE=genkan
	lab_forwarding off
	echo "-- phase 2: genkan ($(lab_forwarding_show))"
	lab_genkand_start 30 || lab_die "genkand did not start"
	echo "   config: $(grep -E '^(workers|cpus)' "$GK_CONF" | tr '\n' ' ')"
	lab_warmup || lab_log "warning: pings through genkan fail"
	for size in $SIZES; do
		run_one "$size"
	done
	echo "-- genkanctl stats after the runs"
	lab_ctl stats 2>&1 | sed 's/^/  /'
fi

echo
echo "== results (packets per second delivered to the server) =="
printf '  %-6s %12s %12s %8s %12s %12s  %s\n' size kernel genkan ratio \
	offered-k offered-g generator
for size in $SIZES; do
	k=${PPS[kernel-$size]:-NA}
	g=${PPS[genkan-$size]:-NA}
	ratio=$(awk -v k="$k" -v g="$g" 'BEGIN {
		if (k + 0 > 0 && g != "NA") printf "%.2f", g / k; else print "NA" }')
	printf '  %-6s %12s %12s %8s %12s %12s  %s\n' "$size" "$k" "$g" "$ratio" \
		"${OFFERED[kernel-$size]:-NA}" "${OFFERED[genkan-$size]:-NA}" \
		"${GENUSED[kernel-$size]:-?}/${GENUSED[genkan-$size]:-?}"
done
echo "  ratio = genkan / kernel; offered = pps leaving gkc0 (accepted + dropped)"
