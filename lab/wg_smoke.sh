#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# By-hand smoke check, genkand <-> wireguard-go (the full test is tests/e2e/e2e_wg.sh).
#   c (198.51.100.2) -- lan [genkand] wan 192.0.2.1:51820 -- 192.0.2.2:51821 wireguard-go (203.0.113.1)
# Env: B=build dir, N=pings, PEER_EP=1 GK_EP="#" BEFORE="cmd": genkan as responder.
set -u
B=${B:-/tmp/build-w4}
T=w4s$$
NC=$T-c NG=$T-g NP=$T-p
RUN=$(mktemp -d /tmp/$T.XXXX)
WGPID= GKPID=
cleanup() {
	[ -n "$GKPID" ] && kill $GKPID 2>/dev/null && sleep 1
	[ -n "$WGPID" ] && kill $WGPID 2>/dev/null
	ip netns del $NC 2>/dev/null; ip netns del $NG 2>/dev/null; ip netns del $NP 2>/dev/null
	rm -f /var/run/wireguard/wgp$$.sock
}
trap cleanup EXIT
for n in $NC $NG $NP; do ip netns add $n; ip -n $n link set lo up; done
ip -n $NC link add eth0 numrxqueues ${Q:-1} numtxqueues ${Q:-1} type veth peer name lan netns $NG numrxqueues ${Q:-1} numtxqueues ${Q:-1}
ip -n $NP link add eth0 numrxqueues ${Q:-1} numtxqueues ${Q:-1} type veth peer name wan netns $NG numrxqueues ${Q:-1} numtxqueues ${Q:-1}
ip -n $NC addr add 198.51.100.2/24 dev eth0; ip -n $NC link set eth0 up
ip -n $NC route add default via 198.51.100.1
ip -n $NG addr add 198.51.100.1/24 dev lan; ip -n $NG link set lan up
ip -n $NG addr add 192.0.2.1/24 dev wan; ip -n $NG link set wan up
ip -n $NP addr add 192.0.2.2/24 dev eth0; ip -n $NP link set eth0 up
ip netns exec $NC ethtool -K eth0 tx off gro on >/dev/null
ip netns exec $NP ethtool -K eth0 tx off gro on >/dev/null
umask 077; wg genkey > $RUN/g.key; wg genkey > $RUN/p.key
GPUB=$(wg pubkey < $RUN/g.key); PPUB=$(wg pubkey < $RUN/p.key)
ip netns exec $NP env WG_PROCESS_FOREGROUND=1 wireguard-go -f wgp$$ > $RUN/wggo.log 2>&1 &
WGPID=$!
for i in $(seq 50); do [ -S /var/run/wireguard/wgp$$.sock ] && break; sleep 0.1; done
ip netns exec $NP wg set wgp$$ private-key $RUN/p.key listen-port 51821 peer $GPUB allowed-ips 198.51.100.0/24 ${PEER_EP:+endpoint 192.0.2.1:51820}
ip -n $NP addr add 203.0.113.1/24 dev wgp$$; ip -n $NP link set wgp$$ up
ip -n $NP route add 198.51.100.0/24 dev wgp$$ 2>/dev/null
cat > $RUN/g.conf <<EOC
[genkan]
instance = $T
workers = ${WORKERS:-1}
xdp_mode = skb
idle_sleep_us = 0
[port lan]
interface = lan
[port wan]
interface = wan
[wireguard]
PrivateKeyFile = $RUN/g.key
ListenPort = 51820
port = wan
[wireguard-peer home]
PublicKey = $PPUB
AllowedIPs = 203.0.113.0/24
${GK_EP:-Endpoint = 192.0.2.2:51821}
EOC
ip netns exec $NG sh -c "exec $B/ctl/genkand/genkand -c $RUN/g.conf" > $RUN/gk.log 2>&1 &
GKPID=$!
CTL="nsenter --net=/run/netns/$NG $B/ctl/genkanctl/genkanctl -s /run/genkan/$T.sock"
for i in $(seq 100); do $CTL status >/dev/null 2>&1 && break; sleep 0.1; done
eval "${BEFORE:-true}"
ip netns exec $NC ping -n -c ${N:-5} -i 0.3 -W 1 203.0.113.1; echo "ping rc=$?"
$CTL wg show
ip netns exec $NP wg show
$CTL -j stats | jq -c "{t:.totals, wd:.worker_drops, wc:.worker_classes, xc:(.xdp.classes|map_values(.packets)), xe:(.xdp.events|map_values(.packets))}"; $CTL -j wg show | jq -c "[.counters, .drops, .events]"
echo "--- genkand log"; cat $RUN/gk.log | tail -15
