#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# WireGuard interop: genkan's handshake code against Debian's wireguard-go
# and wg(8), the independent oracle. Both directions of the handshake, each
# followed by one ICMP echo through the tunnel.
#
#   w2a-<pid>: wireguard-go "wgi<pid>"          w2b-<pid>: wg_interop_peer
#  +-------------------------------------+      +---------------------------+
#  | wgi<pid> 198.18.0.1 peer 198.18.0.2 |      | (tunnel endpoint in user  |
#  |   listen 51820                      |      |  space: 198.18.0.2)       |
#  | w2va 192.0.2.1/24                   |------| w2vb 192.0.2.2/24  :51821 |
#  +-------------------------------------+ veth +---------------------------+
#
# Checks:
#   1 wireguard-go initiates (ping from its side): we respond, decrypt the
#     echo request, encrypt the reply; ping succeeds
#   2 we initiate: wireguard-go responds, we send an echo request and
#     decrypt its echo reply
#   3 wg show on wireguard-go's side reports a handshake and traffic
#
# Usage: interop_wggo.sh PATH/TO/wg_interop_peer. Needs root, iproute2,
# wireguard-go and wireguard-tools (exit 77 = skipped without them).

set -u
umask 077
PEER_BIN=$1
NSA=w2a-$$
NSB=w2b-$$
IFN=wgi$$
TMP=$(mktemp -d /tmp/w2-interop.XXXXXX)
WGPID=
PASS=0
FAIL=0

for t in wireguard-go wg ip ping; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }

cleanup() {
	[ -n "$WGPID" ] && kill "$WGPID" 2>/dev/null && wait "$WGPID" 2>/dev/null
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -f "/var/run/wireguard/$IFN.sock"
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { echo "PASS: $*"; PASS=$((PASS + 1)); }
ko() { echo "FAIL: $*"; FAIL=$((FAIL + 1)); }
A() { ip netns exec "$NSA" "$@"; }
B() { ip netns exec "$NSB" "$@"; }

set -e
ip netns add "$NSA"
ip netns add "$NSB"
ip link add w2va netns "$NSA" type veth peer name w2vb netns "$NSB"
A ip addr add 192.0.2.1/24 dev w2va
B ip addr add 192.0.2.2/24 dev w2vb
A ip link set w2va up
B ip link set w2vb up
A ip link set lo up
B ip link set lo up

wg genkey > "$TMP/a.key"
wg genkey > "$TMP/b.key"
APUB=$(wg pubkey < "$TMP/a.key")
BPUB=$(wg pubkey < "$TMP/b.key")

# -f keeps it in the foreground so the trap can stop it by pid.
A env WG_PROCESS_FOREGROUND=1 wireguard-go -f "$IFN" > "$TMP/wggo.log" 2>&1 &
WGPID=$!
for _ in $(seq 100); do
	A ip link show "$IFN" >/dev/null 2>&1 && [ -S "/var/run/wireguard/$IFN.sock" ] && break
	sleep 0.1
done
A wg set "$IFN" private-key "$TMP/a.key" listen-port 51820 \
	peer "$BPUB" allowed-ips 198.18.0.2/32 endpoint 192.0.2.2:51821
A ip addr add 198.18.0.1 peer 198.18.0.2 dev "$IFN"
A ip link set "$IFN" up
set +e

# 1: wireguard-go initiates.
B "$PEER_BIN" respond "$(cat "$TMP/b.key")" "$APUB" 51821 192.0.2.1 51820 \
	198.18.0.2 198.18.0.1 > "$TMP/resp.out" 2> "$TMP/resp.err" &
RPID=$!
for _ in $(seq 100); do
	grep -q ready "$TMP/resp.out" 2>/dev/null && break
	sleep 0.1
done
if A ping -n -c 1 -W 15 198.18.0.2 > "$TMP/ping.out" 2>&1; then
	ok "ping from wireguard-go through genkan's responder handshake"
else
	ko "ping from wireguard-go failed"
	cat "$TMP/ping.out"
fi
if wait "$RPID"; then
	ok "responder: $(grep PASS "$TMP/resp.out")"
else
	ko "responder"
	cat "$TMP/resp.out" "$TMP/resp.err"
fi

# 2: we initiate.
if B "$PEER_BIN" initiate "$(cat "$TMP/b.key")" "$APUB" 51821 192.0.2.1 51820 \
	198.18.0.2 198.18.0.1 > "$TMP/init.out" 2> "$TMP/init.err"; then
	ok "initiator: $(grep PASS "$TMP/init.out")"
else
	ko "initiator"
	cat "$TMP/init.out" "$TMP/init.err"
fi

# 3: wireguard-go's own view of the peer.
A wg show "$IFN" dump > "$TMP/dump"
# peer line: pubkey psk endpoint allowed-ips latest-handshake rx tx keepalive
read -r _ _ ep _ hs rx tx _ < <(sed -n 2p "$TMP/dump")
if [ "${hs:-0}" -gt 0 ] && [ "${rx:-0}" -gt 0 ] && [ "${tx:-0}" -gt 0 ] &&
   [ "$ep" = "192.0.2.2:51821" ]; then
	ok "wg show: handshake at $hs, rx $rx B, tx $tx B, endpoint $ep"
else
	ko "wg show: $(sed -n 2p "$TMP/dump")"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ] && [ "$PASS" -eq 4 ]
