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
# Generator: dpdk-testpmd txonly over an AF_XDP vdev on gkc0 (UDP to port 9,
# --txonly-multi-flow), falling back to iperf3 -u -b 0 when testpmd is missing
# or sends nothing; the output says which ran. Sink: the RX packet counter
# of gks0 over the measured window (the server's stack drops port 9 datagrams).
#
# Usage: bench/veth_bench.sh [--seconds N] [--sizes "64 1514"] [--gen testpmd|iperf3]
#                            [--kernel-only]
# Sizes are Ethernet frame lengths without FCS.
# Environment: GK_BUILD (default <repo>/build), LAB_KEEP=1 keeps logs.
#
# veth note: every frame costs an skb on the generator side (AF_XDP copy mode
# on veth), and everything shares the machine's cores, so absolute figures
# say little about real NICs; the kernel/genkan ratio is the point.

set -u

SECS=10
SIZES="64 1514"
GEN=auto
KERNEL_ONLY=

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
	--kernel-only) KERNEL_ONLY=1 ;;
	-h | --help) usage ;;
	*) echo "unknown argument: $1" >&2; usage ;;
	esac
	shift
done

. "$(dirname "$0")/../lab/lab.sh"

lab_init
[ -z "$KERNEL_ONLY" ] && lab_check_binaries
lab_up

declare -A PPS OFFERED GENUSED

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

# run_one SIZE: one measured window; fills PPS/OFFERED for $PHASE-SIZE.
run_one()
{
	local size=$1 gen=$GEN r0 r1 key=$PHASE-$1

	if [ "$gen" = auto ]; then
		gen=iperf3
		command -v dpdk-testpmd >/dev/null && gen=testpmd
	fi
	while :; do
		"${gen}_start" "$size"
		if wait_flowing; then
			break
		fi
		"${gen}_stop"
		if [ "$gen" = testpmd ] && [ "$GEN" = auto ]; then
			lab_log "testpmd sent nothing (log $TP_LOG), falling back to iperf3"
			tail -n 5 "$TP_LOG" >&2
			gen=iperf3
			continue
		fi
		lab_log "$gen: no packets reach the server ($PHASE, $size bytes)"
		PPS[$key]=0 OFFERED[$key]=NA GENUSED[$key]=$gen
		return 1
	done
	r0=$(sink_rx)
	sleep "$SECS"
	r1=$(sink_rx)
	"${gen}_stop"
	PPS[$key]=$(((r1 - r0) / SECS))
	OFFERED[$key]=$TP_SENT
	GENUSED[$key]=$gen
	printf '  %-7s %5s bytes  %10s pps at the server  (%s, %s packets sent in total)\n' \
		"$PHASE" "$size" "${PPS[$key]}" "$gen" "$TP_SENT"
}

echo "== veth bench: ${SECS}s per run, frame sizes: $SIZES =="
echo "   CPUs: $(nproc), kernel $(uname -r)"

PHASE=kernel
lab_forwarding on
echo "-- phase 1: kernel forwarding ($(lab_forwarding_show))"
lab_warmup || lab_die "no connectivity through the kernel"
for size in $SIZES; do
	run_one "$size"
done

if [ -z "$KERNEL_ONLY" ]; then
	PHASE=genkan
	lab_forwarding off
	echo "-- phase 2: genkan ($(lab_forwarding_show))"
	lab_genkand_start 30 || lab_die "genkand did not start"
	lab_warmup || lab_log "warning: pings through genkan fail"
	for size in $SIZES; do
		run_one "$size"
	done
	echo "-- genkanctl stats after the runs"
	lab_ctl stats 2>&1 | sed 's/^/  /'
fi

echo
echo "== results (packets per second delivered to the server) =="
printf '  %-6s %12s %12s %8s  %s\n' size kernel genkan ratio generator
for size in $SIZES; do
	k=${PPS[kernel-$size]:-NA}
	g=${PPS[genkan-$size]:-NA}
	ratio=$(awk -v k="$k" -v g="$g" 'BEGIN {
		if (k + 0 > 0 && g != "NA") printf "%.2f", g / k; else print "NA" }')
	printf '  %-6s %12s %12s %8s  %s\n' "$size" "$k" "$g" "$ratio" \
		"${GENUSED[kernel-$size]:-?}/${GENUSED[genkan-$size]:-?}"
done
echo "  ratio = genkan / kernel"
