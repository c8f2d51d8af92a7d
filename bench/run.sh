#!/usr/bin/env bash
# genkan benchmarks. They print figures and assert nothing about speed.
#  1. the L3 forwarding pipeline on the memory backend (64 B, 1,000 routes),
#     per hand-off mode (meta, head, parse: the worker's software twin) and
#     with checksum completion; then the front door stage (bench_l4, against
#     plain forwarding in the same run) and the Maglev table (bench_maglev)
#  2. MAP-E stages and worker pipeline (64 B inner, 1,000 BR rules)
#  3. WireGuard AEAD and data stage against raw intel-ipsec-mb, same run
#  4. end-to-end veth forwarding: kernel forwarding, then genkan once per
#     hand-off mode (xdp_meta = meta, head, parse), same run, three
#     interleaved repetitions of 5 s (median, min..max)
#  5. WireGuard end to end: wireguard-go and genkan gateways, same run,
#     interleaved repetitions (median, min..max)
#  6. the front door against the stacks it replaces (issue #12): genkan,
#     nginx stream + wireguard-go, HAProxy + wireguard-go, nftables DNAT +
#     wireguard-go, interleaved rounds; wrk and iperf3 through the door, its
#     CPU per GB and per 10k connections; a JSON and a PNG (paths printed)
#  7. DPDK (issue #14, with libdpdk): genkan's worker on net_pcap -> net_null
#     (L3, MAP-E BR decap/encap, CE + NAPT44, WireGuard encrypt beside raw
#     ipsec-mb) beside dpdk-testpmd io and macswap and dpdk-l3fwd in the same
#     seat, interleaved; then over a net_memif pair with testpmd flowgen, and
#     over AF_XDP on veth; a JSON and a PNG (paths printed)
# Every bench runs; the exit status is 1 if any of them failed (a setup
# error, a generator that sent nothing, a genkan mode that did not forward).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${GK_BUILD:-$here/../build}
failed=()

# bench NAME CMD...: run one bench, remember a failure, go on.
bench()
{
	local name=$1
	shift
	"$@" || failed+=("$name (exit $?)")
}

echo "== bench 1: memory-backend L3 forwarding pipeline"
bench l3fwd "$build/bench/bench_l3fwd" --routes 1000
bench l4 "$build/bench/bench_l4"
bench maglev "$build/bench/bench_maglev"
echo
echo "== bench 2: MAP-E (issue #3)"
bench mape "$build/bench/bench_mape"
echo
echo "== bench 3: WireGuard crypto and data stage (issue #5)"
bench wg "$build/bench/bench_wg"
echo
echo "== bench 4: veth end to end, genkan per hand-off mode vs kernel forwarding"
bench veth env GK_BUILD="$build" bash "$here/veth_bench.sh" --seconds 5 --reps 3
echo
echo "== bench 5: WireGuard end to end, genkan vs wireguard-go (issue #5)"
bench wg_e2e env GK_BUILD="$build" bash "$here/wg_bench.sh"
echo
echo "== bench 6: the front door vs nginx/HAProxy/nftables + wireguard-go (issue #12)"
bench frontdoor env GK_BUILD="$build" bash "$here/frontdoor_bench.sh"
if [ -x "$build/bench/bench_dpdk" ]; then
	echo
	echo "== bench 7: DPDK ports, genkan vs dpdk-testpmd (issue #14)"
	bench dpdk bash "$here/dpdk_bench.sh" "$build"
fi

if [ ${#failed[@]} -gt 0 ]; then
	echo
	echo "benches that failed: ${failed[*]}" >&2
	exit 1
fi
