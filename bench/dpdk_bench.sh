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
#   genkan L3             1000 /25 routes, 64-byte UDP, the worker with the
#                         backend's twin at rx (what genkand runs)
#   genkan MAP-E BR decap RFC 7597 Appendix A rule: 64-byte IPv4 inside 40
#                         bytes of IPv6 (100-byte frames) from the rule's CE,
#                         decapsulated, routed over the same 1000 routes
#   genkan MAP-E BR encap the same BR the other way: 64-byte IPv4 to the CE's
#                         address and ports, encapsulated, routed (::/0)
#
# And once, after the repetitions: genkan over AF_XDP on veth
# (bench/veth_bench.sh --genkan-only, xdp_meta = parse: the worker's twin, as
# on DPDK), the whole path with afpgen on the other core, 64 B: what the
# kernel's copy path costs beside the DPDK figure (a different arrangement:
# read it as the backend's cost, not a like-for-like rate).
#
# cycles/packet: for testpmd TSC Hz / rate (its core spins at 100 %), for
# genkan the TSC over the run / packets (bench_dpdk measures it).
#
# usage: bench/dpdk_bench.sh [BUILD_DIR]   env: REPS (3), SECS (4), CPU (1),
#        OUT (JSON, default /tmp/dpdk_bench.json)

set -eu

BUILD=${1:-${GK_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}}
REPS=${REPS:-3}
SECS=${SECS:-4}
CPU=${CPU:-1}
OUT=${OUT:-/tmp/dpdk_bench.json}
BENCH=$BUILD/bench/bench_dpdk
PY=/usr/bin/python3

[ "$(id -u)" -eq 0 ] || { echo "dpdk_bench: needs root (EAL)"; exit 77; }
command -v dpdk-testpmd >/dev/null || { echo "dpdk_bench: no dpdk-testpmd (apt install dpdk)"; exit 77; }
[ -x "$BENCH" ] || { echo "dpdk_bench: no $BENCH (build with libdpdk)"; exit 1; }

DIR=$(mktemp -d /tmp/dpdk_bench.XXXXXX)
# EAL leaves /var/run/dpdk/<file-prefix> behind: testpmd's and l3fwd's go too
[ -n "${KEEP:-}" ] || trap 'rm -rf "$DIR" /var/run/dpdk/gktp$$ /var/run/dpdk/gkl3$$' EXIT

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

# testpmd MODE: Mpps of the sink port (the last stats period).
testpmd()
{
	local mode=$1 pps

	pps=$(timeout $((SECS + 3)) dpdk-testpmd --no-huge --no-shconf -m 256 --no-pci \
		--no-telemetry --file-prefix gktp$$ --lcores "0@0,1@$CPU" \
		--vdev "net_pcap0,rx_pcap=$DIR/l3_64.pcap,infinite_rx=1" \
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
	(cd "$DIR" && timeout -s INT "$SECS" "$L3FWD" --no-huge --no-shconf -m 256 --no-pci \
		--no-telemetry --file-prefix gkl3$$ --lcores "0@$CPU" \
		--vdev "net_pcap0,rx_pcap=$DIR/l3_64.pcap,infinite_rx=1" \
		--vdev net_null0,no-rx=1 --log-level='*:error' -- -p 0x3 \
		--config='(0,0,0),(1,0,0)' -P --parse-ptype --rule_ipv4=rules4.cfg \
		--rule_ipv6=rules6.cfg 2>/dev/null) |
		awk '/^GKBENCH/ { if ($5 > 0) printf "%.3f\n", $3 / $5 / 1e6; else print 0 }'
}

genkan()
{
	"$BENCH" "$DIR/l3_64.pcap" --seconds "$SECS" --cpu "$CPU" --routes 1000 --twin rx 2>/dev/null
}

genkan_br()
{
	"$BENCH" "$DIR/br_64.pcap" --seconds "$SECS" --cpu "$CPU" --routes 1000 --twin rx --br 2>/dev/null
}

genkan_bre()
{
	"$BENCH" "$DIR/bre_64.pcap" --seconds "$SECS" --cpu "$CPU" --routes 1000 --twin rx --br-encap 2>/dev/null
}

jget() { "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

declare -a IO MS L3 GK GKC BR BRC BE BEC
HZ=0
for ((r = 0; r < REPS; r++)); do
	IO+=("$(testpmd io)")
	MS+=("$(testpmd macswap)")
	v=$(l3fwd)
	L3+=("${v:-0}")
	j=$(genkan)
	GK+=("$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["mpps"])' "$j")")
	GKC+=("$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["cycles_per_pkt"])' "$j")")
	# the TSC rate bench_dpdk measured against CLOCK_MONOTONIC
	HZ=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["tsc_ghz"] * 1e9)' "$j")
	j=$(genkan_br)
	BR+=("$(jget "$j" mpps)")
	BRC+=("$(jget "$j" cycles_per_pkt)")
	j=$(genkan_bre)
	BE+=("$(jget "$j" mpps)")
	BEC+=("$(jget "$j" cycles_per_pkt)")
	echo "# rep $((r + 1)): testpmd io ${IO[r]} Mpps, macswap ${MS[r]} Mpps, l3fwd ${L3[r]} Mpps," \
		"genkan L3 ${GK[r]} Mpps (${GKC[r]} cycles/pkt), BR decap ${BR[r]} Mpps (${BRC[r]})," \
		"BR encap ${BE[r]} Mpps (${BEC[r]})"
done

AFX=0
if [ -x "$BUILD/ctl/genkand/genkand" ]; then
	AFX=$(GK_BUILD=$BUILD bash "$(dirname "$0")/veth_bench.sh" --genkan-only --modes parse \
		--seconds "$SECS" --reps 1 --sizes 64 2>/dev/null |
		awk '$1 == 64 && $2 == "genkan/parse" { printf "%.3f\n", $3 / 1e6 }')
	echo "# genkan over AF_XDP on veth (veth_bench.sh, parse): ${AFX:-none} Mpps"
fi

"$PY" - "$OUT" "$HZ" "${IO[*]}" "${MS[*]}" "${GK[*]}" "${GKC[*]}" "${BR[*]}" "${BRC[*]}" "${L3[*]}" "${BE[*]}" "${BEC[*]}" "${AFX:-0}" <<'EOF'
import json, statistics, sys
out, hz = sys.argv[1], float(sys.argv[2])
io, ms, gk, gkc, br, brc, l3, be, bec = ([float(x) for x in a.split()] for a in sys.argv[3:12])
afx = float(sys.argv[12] or 0)
med = statistics.median
r = {
    "arrangement": "net_pcap infinite_rx in, net_null out, one forwarder core, 64 B, --no-huge",
    "tsc_hz": hz,
    "runs": len(io),
    "testpmd_io": {"mpps": med(io), "cycles_per_pkt": hz / (med(io) * 1e6) if med(io) else None},
    "testpmd_macswap": {"mpps": med(ms), "cycles_per_pkt": hz / (med(ms) * 1e6) if med(ms) else None},
    "dpdk_l3fwd_500_routes": {"mpps": med(l3), "cycles_per_pkt": hz / (med(l3) * 1e6) if med(l3) else None},
    "genkan_l3_1k_routes": {"mpps": med(gk), "cycles_per_pkt": med(gkc),
                            "ratio_to_testpmd_io": med(gk) / med(io) if med(io) else None},
    "genkan_mape_br_decap": {"mpps": med(br), "cycles_per_pkt": med(brc),
                             "ratio_to_testpmd_io": med(br) / med(io) if med(io) else None,
                             "frame_bytes": 100},
    "genkan_mape_br_encap": {"mpps": med(be), "cycles_per_pkt": med(bec),
                             "ratio_to_testpmd_io": med(be) / med(io) if med(io) else None},
    "genkan_l3_afxdp_veth": {"mpps": afx, "note": "veth_bench.sh --genkan-only, parse, 64 B, "
                             "whole path with afpgen: a different arrangement, once"},
    "samples": {"io": io, "macswap": ms, "l3fwd": l3, "genkan_l3": gk,
                "genkan_mape_br_decap": br, "genkan_mape_br_encap": be},
}
json.dump(r, open(out, "w"), indent=1)
print("%-22s %8s %14s %10s" % ("app", "Mpps", "cycles/pkt", "vs io"))
for k in ("testpmd_io", "testpmd_macswap", "dpdk_l3fwd_500_routes", "genkan_l3_1k_routes",
          "genkan_mape_br_decap", "genkan_mape_br_encap"):
    v = r[k]
    ratio = v["mpps"] / r["testpmd_io"]["mpps"] if r["testpmd_io"]["mpps"] else 0
    print("%-22s %8.2f %14.0f %9.0f%%" % (k, v["mpps"], v["cycles_per_pkt"] or 0, ratio * 100))
if afx:
    print("%-22s %8.2f %14s %9s   (AF_XDP on veth, veth_bench.sh)" % ("genkan_l3_afxdp_veth", afx, "-", "-"))
print("# JSON: " + out)
EOF
