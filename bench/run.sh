#!/usr/bin/env bash
# genkan benchmarks. They print figures and assert nothing about speed.
#  1. the L3 forwarding pipeline on the memory backend (64 B, 1,000 routes)
#  2. MAP-E stages and worker pipeline (64 B inner, 1,000 BR rules)
#  3. WireGuard AEAD and data stage against raw intel-ipsec-mb, same run
#  4. end-to-end veth forwarding: genkan against kernel forwarding, same run
#  5. WireGuard end to end: wireguard-go and genkan gateways, same run,
#     interleaved repetitions (median, min..max)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${GK_BUILD:-$here/../build}

echo "== bench 1: memory-backend L3 forwarding pipeline"
"$build/bench/bench_l3fwd" --routes 1000
echo
echo "== bench 2: MAP-E (issue #3)"
"$build/bench/bench_mape"
echo
echo "== bench 3: WireGuard crypto and data stage (issue #5)"
"$build/bench/bench_wg"
echo
echo "== bench 4: veth end to end, genkan vs kernel forwarding"
GK_BUILD=$build bash "$here/veth_bench.sh"
echo
echo "== bench 5: WireGuard end to end, genkan vs wireguard-go (issue #5)"
GK_BUILD=$build bash "$here/wg_bench.sh"
