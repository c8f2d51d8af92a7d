#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# genkan's worker on DPDK ports beside dpdk-testpmd, in the same seat
# (issue #14, docs/dpdk.md "Bench"): one forwarder core, a net_pcap replay
# in (infinite_rx=1) and a net_null sink out (no-rx=1), EAL without
# hugepages. Each app's rate is the sink port's tx counter over the run:
# testpmd's own periodic port statistics (Tx-pps of port 1, the last
# period), genkan's port tx counter (bench_dpdk). Repetitions are
# interleaved (io, macswap, genkan, io, ...) so a loaded machine hurts
# them alike; the medians are reported.
#
#   dpdk-testpmd io       the PMD's own limit
#   dpdk-testpmd macswap  a forwarder that touches every frame
#   dpdk-l3fwd            DPDK's LPM forwarder (dpdk-doc's example, built
#                         here: rxmode.offloads = 0 for virtual devices, and a
#                         line that prints port 1's opackets and the seconds
#                         of forwarding at exit); 500 /24 routes over the same
#                         destinations (its LPM has 256 tbl8 groups: 1000
#                         /25s do not fit)
#   genkan backend io     bench_dpdk --io: the DPDK backend's rx/tx loops
#                         alone (gk_pkt descriptor per mbuf), no worker, no
#                         twin: what genkan's port layer adds to testpmd io
#   genkan L3             1000 /25 routes, 64-byte UDP, the worker with the
#                         backend's twin at rx (what genkand runs)
#   genkan MAP-E BR decap RFC 7597 Appendix A rule: 64-byte IPv4 inside 40
#                         bytes of IPv6 (100-byte frames) from the rule's CE,
#                         decapsulated, routed over the same 1000 routes
#   genkan MAP-E BR encap the same BR the other way: 64-byte IPv4 to the CE's
#                         address and ports, encapsulated, routed (::/0)
#   genkan MAP-E CE+NAPT44 the rule's CE (192.0.2.18, PSID 0x34) with [nat]:
#                         64-byte UDP from 240 LAN endpoints (24 hosts x 10
#                         ports) to 1000 destinations, translated into the
#                         port set, encapsulated to the BR, routed (::/0)
#   genkan WireGuard enc  1420-byte IP packets (1434-byte frames) sealed with
#                         ipsec-mb for one peer and routed; beside it, in the
#                         same repetition, bench_wg's raw ipsec-mb figure
#                         (its own job API, 1420 B, bursts of 32, on the
#                         same core): the per-core crypto limit; and
#                         testpmd io moving the same 1434-byte frames: the
#                         seat's own port cost at that size, which genkan
#                         pays on top of the crypto
#
# Then the realistic arrangement, interleaved REPS times: two processes over a
# net_memif pair (socket file in the run's directory, socket-abstract=no).
# dpdk-testpmd flowgen on core 0 is the generator and the sink (server, one
# port, --port-topology=loop, 64 B); in the forwarder's seat on core CPU,
# the client: dpdk-testpmd io, then genkan L3 (bench_dpdk --memif: the same
# pipeline, every route back out of its one port). The rate is the
# generator's Rx-pps over SECS (the same counter for both forwarders), with
# its Tx-pps (what was offered) beside. Both testpmds run interactive on a
# FIFO, so that forwarding stops on both sides before either closes (a
# polling memif side can crash when its peer closes); one --file-prefix per
# process, explicit --lcores, --total-num-mbufs bounded.
#
# And once, after the repetitions: genkan over AF_XDP on veth
# (bench/veth_bench.sh --genkan-only, xdp_meta = parse: the worker's twin, as
# on DPDK), the whole path with afpgen on the other core, 64 B: what the
# kernel's copy path costs beside the DPDK figure (a different arrangement:
# read it as the backend's cost, not a like-for-like rate); the three MAP-E
# pipelines the same way (veth_bench.sh --pipeline br-decap, br-encap,
# ce-napt: genkand as the RFC 7597 Appendix A BR, or its CE with [nat],
# afpgen --pcap replaying scapy's frames: IPv4-in-IPv6 from the CE, IPv4 to
# the CE's ports, 96 LAN endpoints to 1000 destinations; inner frames of
# 64 B; the rate is what reaches the far veth, and each run first checks
# that the frames arriving there are the pipeline's, decapsulated or
# encapsulated); and WireGuard over AF_XDP on veth (bench/wg_bench.sh
# --only gk-gk: iperf3 TCP, one stream, through two genkan gateways,
# tunnel MTU 1420), Gbit/s.
#
# cycles/packet for genkan is also given over the worker thread's own CPU
# time (bench_dpdk's cpu_cycles_per_pkt): on a loaded box the wall-clock
# figures include the time the scheduler gave the core to others.
#
# cycles/packet: for testpmd TSC Hz / rate (its core spins at 100 %), for
# genkan the TSC over the run / packets (bench_dpdk measures it).
#
# usage: bench/dpdk_bench.sh [BUILD_DIR]   env: REPS (3), SECS (4), CPU (1),
#        OUT (JSON, default /tmp/dpdk_bench.json), PNG (chart, default the
#        JSON's name with .png; gnuplot), MEMIF (1; 0 leaves the memif
#        arrangement out), HUGE (1: every app on 2 MB hugepages, reserved
#        for the run and given back; 0: --no-huge)

set -eu

BUILD=${1:-${GK_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}}
REPS=${REPS:-3}
SECS=${SECS:-4}
CPU=${CPU:-1}
OUT=${OUT:-/tmp/dpdk_bench.json}
PNG=${PNG:-${OUT%.json}.png}
MEMIF=${MEMIF:-1}
BENCH_WG=$BUILD/bench/bench_wg
BENCH=$BUILD/bench/bench_dpdk
PY=/usr/bin/python3

[ "$(id -u)" -eq 0 ] || { echo "dpdk_bench: needs root (EAL)"; exit 77; }
command -v dpdk-testpmd >/dev/null || { echo "dpdk_bench: no dpdk-testpmd (apt install dpdk)"; exit 77; }
[ -x "$BENCH" ] || { echo "dpdk_bench: no $BENCH (build with libdpdk)"; exit 1; }
# The outputs are files: say so now, not after minutes of runs.
for f in "$OUT" "$PNG"; do
	if [ -d "$f" ] || [ ! -d "$(dirname "$f")" ]; then
		echo "dpdk_bench: OUT and PNG name files in an existing directory: $f"
		exit 1
	fi
done

DIR=$(mktemp -d /tmp/dpdk_bench.XXXXXX)
HP=/proc/sys/vm/nr_hugepages
HP0= HPMNT=
cleanup()
{
	# EAL leaves /var/run/dpdk/<file-prefix> behind: testpmd's and l3fwd's go too
	[ -n "${KEEP:-}" ] || rm -rf "$DIR" /var/run/dpdk/gktp$$ /var/run/dpdk/gkl3$$ \
		/var/run/dpdk/gkgen$$ /var/run/dpdk/gkfw$$
	# the hugepages this run reserved go back
	[ -z "$HPMNT" ] || umount "$HPMNT" 2>/dev/null || true
	[ -z "$HP0" ] || echo "$HP0" >"$HP" 2>/dev/null || true
}
trap cleanup EXIT

# Every app's buffers on 2 MB hugepages (HUGE=1, the default), as DPDK is
# deployed (docs/dpdk.md): with --no-huge's 4 KiB pages each pass over a
# burst's buffers misses the TLB, which halves testpmd io and genkan alike
# on this machine. The run reserves what it needs (two 256 MB processes for
# memif, plus slack) and gives it back at exit; where it cannot, every app
# runs --no-huge, and the JSON says which.
EALMEM=--no-huge BENCHMEM=
if [ "${HUGE:-1}" = 1 ] && [ -w "$HP" ] &&
   grep -q '^Hugepagesize: *2048 kB' /proc/meminfo; then
	need=300
	free=$(awk '/^HugePages_Free/ { print $2 }' /proc/meminfo)
	if [ "$free" -lt "$need" ]; then
		HP0=$(cat "$HP")
		echo $((HP0 + need - free)) >"$HP" 2>/dev/null || true
	fi
	if ! grep -q ' hugetlbfs ' /proc/mounts; then
		mkdir -p /dev/hugepages
		mount -t hugetlbfs nodev /dev/hugepages && HPMNT=/dev/hugepages
	fi
	free=$(awk '/^HugePages_Free/ { print $2 }' /proc/meminfo)
	if [ "$free" -ge "$need" ] && grep -q ' hugetlbfs ' /proc/mounts; then
		EALMEM=--huge-unlink
		BENCHMEM=--huge
	else
		echo "# could not reserve $need hugepages: every app runs --no-huge"
	fi
fi
echo "# EAL memory: $EALMEM"

# 1000 frames of 60 bytes (64 on the wire), one per /25 route.
"$PY" - "$DIR/l3_64.pcap" <<'EOF'
import ipaddress, sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
base = int(ipaddress.IPv4Address("198.18.0.0"))
wrpcap(sys.argv[1], [
    Ether(src="02:00:00:00:aa:01", dst="02:00:00:00:00:0a")
    / IP(src="192.0.2.1", dst=str(ipaddress.IPv4Address(base + 128 * i + 1)), ttl=64)
    / UDP(sport=1000 + i, dport=2000) / Raw(b"x" * 18)
    for i in range(1000)])
EOF
# The same inner packets from the CE of RFC 7597 Appendix A example 1
# (2001:db8:12:3400:0:c000:212:34 = 192.0.2.18, PSID 0x34, offset 6):
# source ports of its set, A = 1..63.
"$PY" - "$DIR/br_64.pcap" <<'EOF'
import ipaddress, sys
from scapy.all import Ether, IP, IPv6, UDP, Raw, wrpcap
base = int(ipaddress.IPv4Address("198.18.0.0"))
wrpcap(sys.argv[1], [
    Ether(src="02:00:00:00:aa:01", dst="02:00:00:00:00:0a")
    / IPv6(src="2001:db8:12:3400:0:c000:212:34", dst="2001:db8:ffff::1", nh=4, hlim=64)
    / IP(src="192.0.2.18", dst=str(ipaddress.IPv4Address(base + 128 * i + 1)), ttl=64)
    / UDP(sport=((1 + i % 63) << 10) | (0x34 << 2) | (i % 4), dport=2000) / Raw(b"x" * 18)
    for i in range(1000)])
EOF
# and the other way: from 1000 internet hosts to the CE's ports
"$PY" - "$DIR/bre_64.pcap" <<'EOF'
import ipaddress, sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
base = int(ipaddress.IPv4Address("198.18.0.0"))
wrpcap(sys.argv[1], [
    Ether(src="02:00:00:00:aa:01", dst="02:00:00:00:00:0a")
    / IP(src=str(ipaddress.IPv4Address(base + 128 * i + 1)), dst="192.0.2.18", ttl=64)
    / UDP(sport=2000, dport=((1 + i % 63) << 10) | (0x34 << 2) | (i % 4)) / Raw(b"x" * 18)
    for i in range(1000)])
EOF

# The CE's LAN: 240 endpoints (24 hosts x 10 source ports, within the 252
# ports of the CE's set) to the 1000 destinations: 1000 flows.
"$PY" - "$DIR/ce_64.pcap" <<'EOF'
import ipaddress, sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
base = int(ipaddress.IPv4Address("198.18.0.0"))
wrpcap(sys.argv[1], [
    Ether(src="02:00:00:00:aa:01", dst="02:00:00:00:00:0a")
    / IP(src="198.51.100.%d" % (10 + i % 24), dst=str(ipaddress.IPv4Address(base + 128 * i + 1)), ttl=64)
    / UDP(sport=40000 + (i // 24) % 10, dport=2000) / Raw(b"x" * 18)
    for i in range(1000)])
EOF
# WireGuard: 1420-byte IP packets (the tunnel MTU) to the 1000 destinations
"$PY" - "$DIR/wg_1420.pcap" <<'EOF'
import ipaddress, sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
base = int(ipaddress.IPv4Address("198.18.0.0"))
wrpcap(sys.argv[1], [
    Ether(src="02:00:00:00:aa:01", dst="02:00:00:00:00:0a")
    / IP(src="192.0.2.1", dst=str(ipaddress.IPv4Address(base + 128 * i + 1)), ttl=64)
    / UDP(sport=1000 + i, dport=2000) / Raw(b"x" * (1420 - 28))
    for i in range(1000)])
EOF

# testpmd MODE [PCAP]: Mpps of the sink port (the last stats period).
testpmd()
{
	local mode=$1 pcap=${2:-$DIR/l3_64.pcap} pps

	pps=$(timeout $((SECS + 3)) dpdk-testpmd $EALMEM --no-shconf -m 256 --no-pci \
		--no-telemetry --file-prefix gktp$$ --lcores "0@0,1@$CPU" \
		--vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1" \
		--vdev net_null0,no-rx=1 --log-level='*:error' -- \
		--forward-mode="$mode" --total-num-mbufs=8192 --no-flush-rx \
		--stats-period "$SECS" -a 2>/dev/null |
		awk '/NIC statistics for port 1/ { p = 1 } p && /Tx-pps/ { v = $2; p = 0 } END { print v + 0 }')
	awk -v p="$pps" 'BEGIN { printf "%.3f\n", p / 1e6 }'
}

# dpdk-l3fwd from dpdk-doc's sources, patched as said above; L3FWD empty
# when they are not installed.
L3FWD=
if [ -d /usr/share/dpdk/examples/l3fwd ] && [ -d /usr/share/dpdk/examples/common ]; then
	cp -r /usr/share/dpdk/examples/l3fwd /usr/share/dpdk/examples/common "$DIR/"
	"$PY" - "$DIR/l3fwd/main.c" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("\t\t.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM,", "\t\t.offloads = 0,", 1)
launch = "\trte_eal_mp_remote_launch(l3fwd_lkp.main_loop, NULL, CALL_MAIN);\n"
assert launch in s
s = s.replace(launch, """\t{
\t\tuint64_t gk_t0 = rte_get_tsc_cycles(), gk_t1;
\t\tstruct rte_eth_stats gk_st;

\t\trte_eal_mp_remote_launch(l3fwd_lkp.main_loop, NULL, CALL_MAIN);
\t\trte_eal_mp_wait_lcore();
\t\tgk_t1 = rte_get_tsc_cycles();
\t\trte_eth_stats_get(1, &gk_st);
\t\tprintf("GKBENCH opackets %lu seconds %.3f\\n",
\t\t       (unsigned long)gk_st.opackets,
\t\t       (double)(gk_t1 - gk_t0) / rte_get_tsc_hz());
\t}
""", 1)
open(p, "w").write(s)
EOF
	"$PY" -c '
import ipaddress, sys
base = int(ipaddress.IPv4Address("198.18.0.0"))
open(sys.argv[1], "w").write("".join("R%s/24 1\n" % ipaddress.IPv4Address(base + 256 * i) for i in range(500)))
open(sys.argv[2], "w").write("R2001:db8::/32 1\n")' "$DIR/rules4.cfg" "$DIR/rules6.cfg"
	if make -s -C "$DIR/l3fwd" >"$DIR/l3fwd-build.log" 2>&1 && [ -x "$DIR/l3fwd/build/l3fwd" ]; then
		L3FWD=$DIR/l3fwd/build/l3fwd
	else
		echo "# dpdk-l3fwd did not build (see below): left out"
		tail -n 5 "$DIR/l3fwd-build.log" | sed 's/^/#   /'
	fi
else
	echo "# dpdk-doc's examples are not installed (apt install dpdk-doc): dpdk-l3fwd left out"
fi

# l3fwd: Mpps of port 1 over the forwarding time, 0 when left out.
l3fwd()
{
	[ -n "$L3FWD" ] || { echo 0; return; }
	(cd "$DIR" && timeout -s INT "$SECS" "$L3FWD" $EALMEM --no-shconf -m 256 --no-pci \
		--no-telemetry --file-prefix gkl3$$ --lcores "0@$CPU" \
		--vdev "net_pcap0,rx_pcap=$DIR/l3_64.pcap,infinite_rx=1" \
		--vdev net_null0,no-rx=1 --log-level='*:error' -- -p 0x3 \
		--config='(0,0,0),(1,0,0)' -P --parse-ptype --rule_ipv4=rules4.cfg \
		--rule_ipv6=rules6.cfg 2>/dev/null) |
		awk '/^GKBENCH/ { if ($5 > 0) printf "%.3f\n", $3 / $5 / 1e6; else print 0 }'
}

genkan()
{
	"$BENCH" $BENCHMEM "$DIR/l3_64.pcap" --seconds "$SECS" --cpu "$CPU" --routes 1000 --twin rx 2>/dev/null
}

# the DPDK backend's rx/tx loops alone (no worker, no twin): testpmd io's
# work plus genkan's descriptor
genkan_io()
{
	"$BENCH" $BENCHMEM "$DIR/l3_64.pcap" --seconds "$SECS" --cpu "$CPU" --io 2>/dev/null
}

genkan_br()
{
	"$BENCH" $BENCHMEM "$DIR/br_64.pcap" --seconds "$SECS" --cpu "$CPU" --routes 1000 --twin rx --br 2>/dev/null
}

genkan_bre()
{
	"$BENCH" $BENCHMEM "$DIR/bre_64.pcap" --seconds "$SECS" --cpu "$CPU" --routes 1000 --twin rx --br-encap 2>/dev/null
}

genkan_ce()
{
	"$BENCH" $BENCHMEM "$DIR/ce_64.pcap" --seconds "$SECS" --cpu "$CPU" --routes 1000 --twin rx --ce-napt 2>/dev/null
}

genkan_wg()
{
	"$BENCH" $BENCHMEM "$DIR/wg_1420.pcap" --seconds "$SECS" --cpu "$CPU" --routes 1000 --twin rx --wg 2>/dev/null
}

# raw ipsec-mb's ChaCha20-Poly1305 seal at 1420 B on core CPU:
# "Gbit/s cyc/pkt mean-cyc/pkt" (bench_wg: the median burst of each run and
# the run's mean, medians of 5 runs; the mean counts the interruptions a
# loaded machine adds, as the forwarding figures do)
wg_raw()
{
	[ -x "$BENCH_WG" ] || { echo "0 0 0"; return; }
	"$BENCH_WG" -c "$CPU" -b 1420 -d enc -r 5 2>/dev/null |
		awk '$1 == 1420 && $3 == "raw" { print $6, $7, $8; f = 1 } END { if (!f) print "0 0 0" }'
}

# The realistic arrangement: MODE io (testpmd) or genkan (bench_dpdk) as the
# memif client in the forwarder's seat; prints "sink_mpps offered_mpps
# dropped_share fwd_cpu_cycles_per_pkt": what the generator's ring took
# (Tx-pps), the share of flowgen's frames the ring refused over the whole run
# (near 1: the forwarder's side limits, not flowgen), and genkan's cycles per
# packet on its own CPU time (0 for testpmd).
memif_run()
{
	local mode=$1 sock=$DIR/memif.sock gi=$DIR/gen.in fi=$DIR/fwd.in go=$DIR/gen.out fo=$DIR/fwd.out
	local gpid fpid n

	rm -f "$sock" "$gi" "$fi" "$go" "$fo"
	mkfifo "$gi" "$fi"
	dpdk-testpmd $EALMEM --no-shconf -m 256 --no-pci --no-telemetry \
		--file-prefix gkgen$$ --lcores "0@0,1@0" \
		--vdev "net_memif0,role=server,id=0,socket=$sock,socket-abstract=no,mac=02:00:00:00:00:0b" \
		--log-level='*:error' -- -i --forward-mode=flowgen \
		--eth-peer=0,02:00:00:00:00:0a --txpkts=64 --total-num-mbufs=8192 \
		--port-topology=loop <"$gi" >"$go" 2>&1 &
	gpid=$!
	exec 7>"$gi"
	# a memif client that finds no server (its port started) does not
	# try again: wait for testpmd's link check, after its ports started
	for ((n = 0; n < 100; n++)); do
		[ -S "$sock" ] && grep -q 'Checking link' "$go" && break
		sleep 0.1
	done
	if [ "$mode" = io ]; then
		dpdk-testpmd $EALMEM --no-shconf -m 256 --no-pci --no-telemetry \
			--file-prefix gkfw$$ --lcores "0@0,1@$CPU" \
			--vdev "net_memif0,role=client,id=0,socket=$sock,socket-abstract=no,mac=02:00:00:00:00:0a" \
			--log-level='*:error' -- -i --forward-mode=io \
			--total-num-mbufs=8192 --port-topology=loop <"$fi" >"$fo" 2>&1 &
	else
		"$BENCH" $BENCHMEM --memif "$sock" --seconds $((SECS + 3)) --cpu "$CPU" \
			--routes 1000 --twin rx --hold <"$fi" >"$fo" 2>&1 &
	fi
	fpid=$!
	exec 8>"$fi"
	sleep 1
	echo start >&7
	[ "$mode" = io ] && echo start >&8
	sleep 1.5
	echo "show port stats 0" >&7
	sleep "$SECS"
	echo "show port stats 0" >&7
	sleep 0.5
	# both sides stop polling before either closes
	if [ "$mode" = io ]; then
		echo stop >&8
	else
		for ((n = 0; n < 100; n++)); do
			grep -q '"app"' "$fo" && break
			sleep 0.1
		done
	fi
	echo stop >&7
	sleep 0.5
	if [ "$mode" = io ]; then echo quit >&8; else echo go >&8; fi
	exec 8>&-
	wait "$fpid" || true
	echo quit >&7
	exec 7>&-
	wait "$gpid" || true
	awk -v c="$( [ "$mode" = io ] || grep -o '"cpu_cycles_per_pkt":[0-9.]*' "$fo" | cut -d: -f2)" '
	     /Throughput/ { t = 1 } t && /Rx-pps/ { rx = $2 } t && /Tx-pps/ { tx = $2 }
	     /Accumulated forward statistics/ { a = 1 }
	     a && /TX-dropped:/ { d = $4; n = $2; a = 0 }
	     END { printf "%.3f %.3f %.3f %.1f\n", rx / 1e6, tx / 1e6, (n + d) ? d / (n + d) : 0, c + 0 }' "$go"
}

# one of bench_dpdk's JSON fields; every line is kept for the report too
jget()
{
	grep -qxF "$1" "$DIR/genkan.jsonl" 2>/dev/null || echo "$1" >>"$DIR/genkan.jsonl"
	"$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

declare -a IO IOW MS L3 BIO BIOC GK GKC BR BRC BE BEC CE CEC WG WGG WGC RAWG RAWC RAWM
HZ=0
for ((r = 0; r < REPS; r++)); do
	IO+=("$(testpmd io)")
	MS+=("$(testpmd macswap)")
	v=$(l3fwd)
	L3+=("${v:-0}")
	j=$(genkan_io)
	BIO+=("$(jget "$j" mpps)")
	BIOC+=("$(jget "$j" cycles_per_pkt)")
	j=$(genkan)
	GK+=("$(jget "$j" mpps)")
	GKC+=("$(jget "$j" cycles_per_pkt)")
	# the TSC rate bench_dpdk measured against CLOCK_MONOTONIC
	HZ=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["tsc_ghz"] * 1e9)' "$j")
	j=$(genkan_br)
	BR+=("$(jget "$j" mpps)")
	BRC+=("$(jget "$j" cycles_per_pkt)")
	j=$(genkan_bre)
	BE+=("$(jget "$j" mpps)")
	BEC+=("$(jget "$j" cycles_per_pkt)")
	j=$(genkan_ce)
	CE+=("$(jget "$j" mpps)")
	CEC+=("$(jget "$j" cycles_per_pkt)")
	j=$(genkan_wg)
	WG+=("$(jget "$j" mpps)")
	WGG+=("$(jget "$j" gbps_ip)")
	WGC+=("$(jget "$j" cycles_per_pkt)")
	# the seat's own cost at WireGuard's frame size: testpmd io moving the
	# same 1434-byte frames (net_pcap's copy of each, net_null's free)
	IOW+=("$(testpmd io "$DIR/wg_1420.pcap")")
	read -r g c m < <(wg_raw)
	RAWG+=("$g")
	RAWC+=("$c")
	RAWM+=("$m")
	echo "# rep $((r + 1)): testpmd io ${IO[r]} Mpps, macswap ${MS[r]} Mpps, l3fwd ${L3[r]} Mpps," \
		"genkan backend io ${BIO[r]} Mpps (${BIOC[r]} cycles/pkt)," \
		"genkan L3 ${GK[r]} Mpps (${GKC[r]} cycles/pkt), BR decap ${BR[r]} Mpps (${BRC[r]})," \
		"BR encap ${BE[r]} Mpps (${BEC[r]}), CE+NAPT44 ${CE[r]} Mpps (${CEC[r]})," \
		"WireGuard ${WGG[r]} Gbit/s (${WGC[r]}), raw ipsec-mb ${RAWG[r]} Gbit/s (${RAWC[r]})," \
		"testpmd io at 1434 B ${IOW[r]} Mpps"
done

declare -a MIO MIOO MIOD MGK MGKO MGKD MGKC
if [ "$MEMIF" = 1 ]; then
	for ((r = 0; r < REPS; r++)); do
		read -r a b d c < <(memif_run io)
		MIO+=("$a")
		MIOO+=("$b")
		MIOD+=("$d")
		read -r a b d c < <(memif_run genkan)
		MGK+=("$a")
		MGKO+=("$b")
		MGKD+=("$d")
		MGKC+=("$c")
		echo "# memif rep $((r + 1)): testpmd io ${MIO[r]} Mpps (ring took ${MIOO[r]}," \
			"refused ${MIOD[r]} of flowgen's frames), genkan L3 ${MGK[r]} Mpps (ring took" \
			"${MGKO[r]}, refused ${MGKD[r]}; ${MGKC[r]} on-CPU cycles/pkt)"
	done
fi

# afx PIPELINE: Mpps of genkan over AF_XDP on veth (veth_bench.sh, parse,
# 64 B, once), empty when it gave no figure
afx()
{
	GK_BUILD=$BUILD bash "$(dirname "$0")/veth_bench.sh" --genkan-only --modes parse \
		--seconds "$SECS" --reps 1 --sizes 64 --pipeline "$1" 2>/dev/null |
		awk '$1 == 64 && $2 == "genkan/parse" && $3 ~ /^[0-9]+$/ { printf "%.3f\n", $3 / 1e6 }'
}

AFX=0 AFXWG=0 AFXBD=0 AFXBE=0 AFXCE=0 AFXRAN=0
if [ -x "$BUILD/ctl/genkand/genkand" ]; then
	AFXRAN=1
	AFX=$(afx l3)
	echo "# genkan over AF_XDP on veth (veth_bench.sh, parse): ${AFX:-none} Mpps"
	AFXBD=$(afx br-decap)
	AFXBE=$(afx br-encap)
	AFXCE=$(afx ce-napt)
	echo "# genkan MAP-E over AF_XDP on veth (veth_bench.sh --pipeline, parse): BR decap" \
		"${AFXBD:-none}, BR encap ${AFXBE:-none}, CE+NAPT44 ${AFXCE:-none} Mpps"
	# WireGuard over AF_XDP: iperf3 TCP (1 stream) through two genkan
	# gateways on veth (wg_bench.sh gk-gk), Gbit/s
	AFXWG=$(GK_BUILD=$BUILD bash "$(dirname "$0")/wg_bench.sh" --only gk-gk --reps 1 \
		--seconds "$SECS" 2>/dev/null |
		awk '/^set-up/ { h = 1; next } h && $1 == "gk-gk" { printf "%.3f\n", $2 / 1000; exit }')
	echo "# genkan WireGuard over AF_XDP on veth (wg_bench.sh gk-gk, iperf3 TCP): ${AFXWG:-none} Gbit/s"
fi

rc=0
env EALMEM="$EALMEM" HZ="$HZ" IO="${IO[*]}" IOW="${IOW[*]}" MS="${MS[*]}" L3="${L3[*]}" BIO="${BIO[*]}" BIOC="${BIOC[*]}" GK="${GK[*]}" GKC="${GKC[*]}" \
	BR="${BR[*]}" BRC="${BRC[*]}" BE="${BE[*]}" BEC="${BEC[*]}" CE="${CE[*]}" CEC="${CEC[*]}" \
	WG="${WG[*]}" WGG="${WGG[*]}" WGC="${WGC[*]}" RAWG="${RAWG[*]}" RAWC="${RAWC[*]}" RAWM="${RAWM[*]}" \
	MIO="${MIO[*]:-}" MIOO="${MIOO[*]:-}" MIOD="${MIOD[*]:-}" MGK="${MGK[*]:-}" \
	MGKO="${MGKO[*]:-}" MGKD="${MGKD[*]:-}" MGKC="${MGKC[*]:-}" AFX="${AFX:-0}" AFXWG="${AFXWG:-0}" \
	AFXBD="${AFXBD:-0}" AFXBE="${AFXBE:-0}" AFXCE="${AFXCE:-0}" AFXRAN="$AFXRAN" \
"$PY" - "$OUT" "$DIR/chart.dat" <<'EOF' || rc=$?
import json, os, statistics, sys
out, dat = sys.argv[1], sys.argv[2]
hz = float(os.environ["HZ"])
v = lambda k: [float(x) for x in os.environ.get(k, "").split()]
med = lambda a: statistics.median(a) if a else 0.0
io = med(v("IO"))

def dpdk_app(k, **extra):
    m = med(v(k))
    r = {"mpps": m, "cycles_per_pkt": hz / (m * 1e6) if m else None,
         "ratio_to_testpmd_io": m / io if io else None}
    r.update(extra)
    return r

lines = [json.loads(l) for l in open(os.path.join(os.path.dirname(dat), "genkan.jsonl"))
         if l.strip()] if os.path.exists(os.path.join(os.path.dirname(dat), "genkan.jsonl")) else []

def genkan(k, kc, app=None, **extra):
    m = med(v(k))
    r = {"mpps": m, "cycles_per_pkt": med(v(kc)),
         "ratio_to_testpmd_io": m / io if io else None}
    # over the worker thread's own CPU time (bench_dpdk's cpu_*): what the
    # pipeline costs when the scheduler gives the core to others
    for f in ("cpu_mpps", "cpu_cycles_per_pkt"):
        a = [l[f] for l in lines if l.get("app") == app and f in l]
        if a:
            r[f] = med(a)
    r.update(extra)
    return r

wgg, rawg = med(v("WGG")), med(v("RAWG"))
mio, mgk = med(v("MIO")), med(v("MGK"))
r = {
    "arrangement": "net_pcap infinite_rx in, net_null out, one forwarder core, 64 B, " + os.environ["EALMEM"],
    "tsc_hz": hz,
    "runs": len(v("IO")),
    "testpmd_io": dpdk_app("IO"),
    "testpmd_macswap": dpdk_app("MS"),
    "dpdk_l3fwd_500_routes": dpdk_app("L3"),
    "genkan_backend_io": genkan("BIO", "BIOC", "genkan-backend-io",
                                note="bench_dpdk --io: the DPDK backend's rx/tx loops "
                                "alone, no worker and no twin"),
    "genkan_l3_1k_routes": genkan("GK", "GKC", "genkan-l3"),
    "genkan_mape_br_decap": genkan("BR", "BRC", "genkan-mape-br-decap", frame_bytes=100),
    "genkan_mape_br_encap": genkan("BE", "BEC", "genkan-mape-br-encap"),
    "genkan_mape_ce_napt44": genkan("CE", "CEC", "genkan-mape-ce-napt", flows=1000,
                                    lan_endpoints=240),
    "genkan_wg_encrypt_1420": genkan("WG", "WGC", "genkan-wg-encrypt", gbps=wgg, ip_bytes=1420,
                                     ratio_to_raw_ipsec_mb=wgg / rawg if rawg else None),
    "testpmd_io_1434": dict(dpdk_app("IOW"), note="testpmd io moving the WireGuard "
                            "pcap's 1434-byte frames: the seat's own cost per packet at "
                            "that size (ratio_to_testpmd_io is against the 64 B io)"),
    "raw_ipsec_mb_chacha20poly1305_1420": {
        "gbps": rawg, "cycles_per_pkt": med(v("RAWC")),
        "cycles_per_pkt_mean": med(v("RAWM")),
        "gbps_from_mean": 1420 * 8 * hz / med(v("RAWM")) / 1e9 if med(v("RAWM")) else None,
        "note": "bench_wg raw: ipsec-mb job API, seal only, bursts of 32; gbps from the "
                "median burst, gbps_from_mean from the runs' means"},
    "memif": {
        "arrangement": "two processes over net_memif (socket-abstract=no); testpmd flowgen "
                       "generator and sink on core 0, 64 B; rate = the generator's Rx-pps",
        "testpmd_io": {"mpps": mio, "ring_took_mpps": med(v("MIOO")),
                       "flowgen_refused_share": med(v("MIOD"))},
        "genkan_l3": {"mpps": mgk, "ring_took_mpps": med(v("MGKO")),
                      "flowgen_refused_share": med(v("MGKD")),
                      "cpu_cycles_per_pkt": med(v("MGKC")),
                      "ratio_to_testpmd_io": mgk / mio if mio else None},
    },
    "genkan_l3_afxdp_veth": {"mpps": float(os.environ.get("AFX") or 0),
                             "note": "veth_bench.sh --genkan-only, parse, 64 B, "
                             "whole path with afpgen: a different arrangement, once"},
    "genkan_mape_br_decap_afxdp_veth": {
        "mpps": float(os.environ.get("AFXBD") or 0),
        "note": "veth_bench.sh --genkan-only --pipeline br-decap, parse, IPv4-in-IPv6 "
        "from the RFC 7597 CE (104-byte frames: a 64 B IPv4 frame's packet in 40 B of IPv6) to the BR, decapsulated IPv4 "
        "counted at the far veth; afpgen --pcap: a different arrangement, once"},
    "genkan_mape_br_encap_afxdp_veth": {
        "mpps": float(os.environ.get("AFXBE") or 0),
        "note": "veth_bench.sh --genkan-only --pipeline br-encap, parse, 64 B IPv4 from "
        "1000 hosts to the CE's address and ports, IPv4-in-IPv6 counted at the far veth; "
        "afpgen --pcap: a different arrangement, once"},
    "genkan_mape_ce_napt44_afxdp_veth": {
        "mpps": float(os.environ.get("AFXCE") or 0),
        "note": "veth_bench.sh --genkan-only --pipeline ce-napt, parse, 64 B UDP from 96 "
        "LAN endpoints to 1000 destinations, translated and encapsulated, counted at the "
        "far veth; afpgen --pcap: a different arrangement, once"},
    "genkan_wg_afxdp_veth": {"gbps": float(os.environ.get("AFXWG") or 0),
                             "note": "wg_bench.sh gk-gk: iperf3 TCP, 1 stream, through two "
                             "genkan gateways on veth (tunnel MTU 1420), whole path, once"},
    "samples": {k: v(e) for k, e in (
        ("testpmd_io", "IO"), ("testpmd_io_1434", "IOW"), ("testpmd_macswap", "MS"),
        ("l3fwd", "L3"),
        ("genkan_backend_io", "BIO"),
        ("genkan_l3", "GK"), ("genkan_mape_br_decap", "BR"), ("genkan_mape_br_encap", "BE"),
        ("genkan_mape_ce_napt44", "CE"), ("genkan_wg_encrypt_gbps", "WGG"),
        ("raw_ipsec_mb_gbps", "RAWG"), ("memif_testpmd_io", "MIO"),
        ("memif_genkan_l3", "MGK"))},
}
wge, rawc = r["genkan_wg_encrypt_1420"], med(v("RAWC"))
if wge.get("cpu_cycles_per_pkt") and rawc:
    # cycles per packet on the core, both: raw ipsec-mb's / genkan's
    wge["ratio_to_raw_ipsec_mb_on_cpu"] = rawc / wge["cpu_cycles_per_pkt"]
json.dump(r, open(out, "w"), indent=1)
print("%-26s %8s %14s %10s %12s" % ("app", "Mpps", "cycles/pkt", "vs io", "on-CPU c/p"))
rows = []
for k in ("testpmd_io", "testpmd_macswap", "dpdk_l3fwd_500_routes", "genkan_backend_io",
          "genkan_l3_1k_routes",
          "genkan_mape_br_decap", "genkan_mape_br_encap", "genkan_mape_ce_napt44",
          "genkan_wg_encrypt_1420"):
    e = r[k]
    print("%-26s %8.2f %14.0f %9.0f%% %12s" % (k, e["mpps"], e["cycles_per_pkt"] or 0,
                                              (e["ratio_to_testpmd_io"] or 0) * 100,
                                              "%.0f" % e["cpu_cycles_per_pkt"]
                                              if "cpu_cycles_per_pkt" in e else "-"))
    if k != "genkan_wg_encrypt_1420":
        rows.append((k, e["mpps"], 0))
print("%-26s %8.2f Gbit/s at 1420 B, %.0f%% of raw ipsec-mb (%.2f Gbit/s, %.0f cycles/pkt;"
      " its mean %.0f cycles/pkt)" % (
    "genkan WireGuard encrypt", wgg, (wgg / rawg if rawg else 0) * 100, rawg, med(v("RAWC")),
    med(v("RAWM"))))
iow = r["testpmd_io_1434"]
if iow["mpps"]:
    print("%-26s %8.2f Mpps at 1434 B, %.0f cycles/pkt: the seat's own port cost for"
          " WireGuard's frames; raw ipsec-mb + that = %.0f cycles/pkt, %.0f%% of raw" % (
        "testpmd io (1434 B)", iow["mpps"], iow["cycles_per_pkt"], med(v("RAWC")) + iow["cycles_per_pkt"],
        100 * med(v("RAWC")) / (med(v("RAWC")) + iow["cycles_per_pkt"]) if med(v("RAWC")) else 0))
if "ratio_to_raw_ipsec_mb_on_cpu" in wge:
    print("%-26s %8.0f cycles/pkt on its CPU time: %.0f%% of raw ipsec-mb's median burst" % (
        "", wge["cpu_cycles_per_pkt"], wge["ratio_to_raw_ipsec_mb_on_cpu"] * 100))
if mio or mgk:
    print("%-26s %8.2f Mpps testpmd io, %.2f genkan L3 (%.0f%%); flowgen's frames refused"
          " by the ring %.0f%% / %.0f%%; genkan %.0f on-CPU cycles/pkt" % (
        "memif (flowgen sink)", mio, mgk, (mgk / mio if mio else 0) * 100,
        med(v("MIOD")) * 100, med(v("MGKD")) * 100, med(v("MGKC"))))
    rows += [("memif_testpmd_io", mio, 1), ("memif_genkan_l3", mgk, 1)]
afx = r["genkan_l3_afxdp_veth"]["mpps"]
if afx:
    print("%-26s %8.2f %14s %9s   (AF_XDP on veth, veth_bench.sh)" % ("genkan_l3_afxdp_veth", afx, "-", "-"))
    rows.append(("genkan_l3_afxdp_veth", afx, 2))
for k in ("genkan_mape_br_decap_afxdp_veth", "genkan_mape_br_encap_afxdp_veth",
          "genkan_mape_ce_napt44_afxdp_veth"):
    m = r[k]["mpps"]
    if m:
        print("%-26s %8.2f %14s %9s   (AF_XDP on veth, veth_bench.sh --pipeline)" % (
            k.replace("_afxdp_veth", "_afxdp").replace("napt44", "napt"), m, "-", "-"))
        # the chart's label: short enough for the axis
        rows.append((k.replace("genkan_mape_", "afxdp_").replace("_afxdp_veth", ""), m, 2))
afxwg = r["genkan_wg_afxdp_veth"]["gbps"]
if afxwg:
    print("%-26s %8.2f Gbit/s   (WireGuard, AF_XDP on veth, wg_bench.sh gk-gk iperf3 TCP)" % (
        "genkan_wg_afxdp_veth", afxwg))
# the chart's data: Mpps (colour 0 pcap/null seat, 1 memif, 2 AF_XDP) and
# WireGuard's Gbit/s beside raw ipsec-mb's
with open(dat, "w") as f:
    for k, m, c in rows:
        f.write('"%s" %.3f %d\n' % (k.replace("_", " "), m, c))
with open(dat + ".wg", "w") as f:
    f.write('"genkan encrypt" %.3f 0\n"raw ipsec-mb" %.3f 0\n' % (wgg, rawg))
    if afxwg:
        f.write('"AF_XDP e2e (iperf3)" %.3f 2\n' % afxwg)
print("# JSON: " + out)
# a genkan pipeline that forwarded nothing fails the bench
dead = [k for k in ("genkan_backend_io", "genkan_l3_1k_routes", "genkan_mape_br_decap", "genkan_mape_br_encap",
                    "genkan_mape_ce_napt44", "genkan_wg_encrypt_1420") if not r[k]["mpps"]]
if v("MIO") and not mgk:
    dead.append("memif genkan_l3")
# veth_bench fails a MAP-E pipeline that forwarded nothing (no figure)
if os.environ.get("AFXRAN") == "1":
    dead += [k for k in ("genkan_mape_br_decap_afxdp_veth", "genkan_mape_br_encap_afxdp_veth",
                         "genkan_mape_ce_napt44_afxdp_veth") if not r[k]["mpps"]]
if dead:
    print("dpdk_bench: forwarded nothing: " + ", ".join(dead), file=sys.stderr)
    sys.exit(1)
EOF
if command -v gnuplot >/dev/null; then
	gnuplot <<EOF && echo "# PNG: $PNG"
set terminal pngcairo size 1200,600 font ",10" noenhanced
set output "$PNG"
set multiplot title "genkan on DPDK beside testpmd and l3fwd, one forwarder core (medians of $REPS runs of ${SECS} s)"
set style fill solid 0.85
set boxwidth 0.7
set yrange [0:*]
set offsets 0, 0, graph 0.08, 0
set xtics rotate by -35 left
set grid ytics
set bmargin 8
unset key
set size 0.7,0.95
set origin 0,0
set ylabel "Mpps at 64 B"
set title "blue: net_pcap in, net_null out; green: memif with flowgen; red: AF_XDP on veth"
plot "$DIR/chart.dat" using 0:2:(\$3 == 0 ? 0x3a6ea5 : \$3 == 1 ? 0x4a9a4a : 0xc04040):xtic(1) with boxes lc rgb variable, \
     "" using 0:2:(sprintf("%.2f", \$2)) with labels offset 0,0.7
set size 0.3,0.95
set origin 0.7,0
set xrange [-0.6:2.6]
set ylabel "Gbit/s (inner IP bytes)"
set title "WireGuard at 1420 B"
plot "$DIR/chart.dat.wg" using 0:2:(\$3 == 0 ? 0x8a5aa5 : 0xc04040):xtic(1) with boxes lc rgb variable, \
     "" using 0:2:(sprintf("%.1f", \$2)) with labels offset 0,0.7
unset multiplot
EOF
else
	echo "# no gnuplot (apt install gnuplot-nox): no chart"
fi
exit $rc
