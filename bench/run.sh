#!/usr/bin/env bash
# genkan benchmarks. They print figures and assert nothing about speed.
#  1. the L3 forwarding pipeline on the memory backend (64 B, 1,000 routes)
#  2. end-to-end veth forwarding: genkan against kernel forwarding, same run
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${GK_BUILD:-$here/../build}

echo "== bench 1: memory-backend L3 forwarding pipeline"
"$build/bench/bench_l3fwd" --routes 1000 "$@"
echo
echo "== bench 2: veth end to end, genkan vs kernel forwarding"
GK_BUILD=$build bash "$here/veth_bench.sh"
