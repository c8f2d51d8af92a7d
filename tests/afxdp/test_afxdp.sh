#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
#   netns h4-afxdp-<pid>
#   +--------------------------------------------------+
#   |  test_afxdp                                      |
#   |   xsk q0, xsk q1         xsk q0 + AF_PACKET      |
#   |        |                        |                |
#   |     h4a0 (2 rxq/2 txq) ===== h4b0 (2 rxq/2 txq)  |
#   +--------------------------------------------------+
#
# usage: test_afxdp.sh <test_afxdp binary> <gen_frames.py> [skb]
set -eu

bin=$1
gen=$2
mode=${3:-native}

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }

ns=h4-afxdp-$$
tmp=$(mktemp -d)
cleanup() {
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

/usr/bin/python3 "$gen" "$tmp/frames.bin"

ip netns add "$ns"
# No IPv6 on the pair: no ND/MLD frames to mix with ours.
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
ip -n "$ns" link add h4a0 numrxqueues 2 numtxqueues 2 type veth \
	peer name h4b0 numrxqueues 2 numtxqueues 2
ip -n "$ns" link set h4a0 up
ip -n "$ns" link set h4b0 up

ip netns exec "$ns" "$bin" h4a0 h4b0 "$tmp/frames.bin" "$mode"
