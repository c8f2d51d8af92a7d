#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
#   netns h4-afxw-<pid>
#   +--------------------------------------------------------+
#   |  test_worker_afxdp: one worker, the memory backend too  |
#   |     port 0: xsk q0               port 1: xsk q0         |
#   |         |                            |                  |
#   |      h4wa0 ====== h4wb0           h4wa1 ====== h4wb1    |
#   |   02:..:00:0a     AF_PACKET     02:..:00:0b   AF_PACKET |
#   +--------------------------------------------------------+
#
# usage: test_worker_afxdp.sh <test_worker_afxdp binary> [skb]
set -eu

bin=$1
mode=${2:-native}

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }

ns=h4-afxw-$$
cleanup() {
	ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$ns"
# No IPv6 on the pairs: no ND/MLD frames to mix with the worker's.
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
mac=(02:00:00:00:00:0a 02:00:00:00:00:0b)	# the worker's ports (wcorpus.c)
for k in 0 1; do
	# One queue: every frame sent from B lands on the socket's queue.
	ip -n "$ns" link add h4wa$k address "${mac[$k]}" \
		numrxqueues 1 numtxqueues 1 type veth \
		peer name h4wb$k numrxqueues 1 numtxqueues 1
	ip -n "$ns" link set h4wa$k up
	ip -n "$ns" link set h4wb$k up
done

ip netns exec "$ns" "$bin" h4wa0 h4wb0 h4wa1 h4wb1 "$mode"
