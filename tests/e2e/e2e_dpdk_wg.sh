#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# WireGuard on a gateway whose ports are DPDK ports (issue #14): the
# workers open and seal on net_af_packet queues, handshakes go to
# genkand's socket through the TAP, and the host path's TUN ([wireguard]
# Address) borrows the DPDK pool. The oracles are wireguard-go and wg(8)
# (the real peer), ping, socat and curl (sha256 of what arrives) and the
# gateway kernel's own counters; never genkan's code.
#
#  hm: home, wireguard-go "wgd<pid>"   gw: genkand, backend = dpdk, 2 workers, ip_forward = 0    s: server
# +-------------------------------+    +--------------------------------------------------+    +--------------------+
# | eth0 203.0.113.2/24           |----| vw: net_af_packet1        vs: net_af_packet0     |----| eth0               |
# | wgd  192.0.2.2/24             |veth|  (nft ingress drop: the kernel never sees them)  |veth| 198.51.100.2/24    |
# |      2001:db8:8::2/64         |    | dwan (TAP) 203.0.113.1/24  dlan (TAP)            |    | 2001:db8:51::2/64  |
# | lo   198.18.5.1, 2001:db8:5::1|    |  [wireguard] :51820 on wan   198.51.100.1/24     |    +--------------------+
# | peer gw 203.0.113.1:51820:    |    |                              2001:db8:51::1/64   |     default via .1
# |   AllowedIPs 192.0.2.1/32,    |    | gkd<pid> (host TUN, genkand's): 192.0.2.1/24,    |
# |   2001:db8:8::1/128,          |    |   2001:db8:8::1/64; routes to the AllowedIPs     |
# |   198.51.100.0/24,            |    | peer home: AllowedIPs 192.0.2.2/32, 198.18.5.0/24|
# |   2001:db8:51::/64            |    |   2001:db8:8::2/128, 2001:db8:5::/64; no Endpoint|
# +-------------------------------+    +--------------------------------------------------+
#
# Checks: genkand starts with two DPDK ports (qpairs = 2), the TAPs and
# the TUN; wireguard-go initiates and the handshake completes (its latest
# handshake is set, genkan learnt its endpoint, each side's endpoint is
# the other's address, the times agree); ping v4/v6 home <-> server over
# the tunnel (the workers open and seal on DPDK queues); a keypair owned
# by the worker that does not receive its data (new handshakes until one
# is): the echoes are handed to the owner; the host path:
# home pings the gateway's tunnel addresses (the TUN), a TCP connection
# from home to a socat listener on 192.0.2.1 carries 2 MiB (sha256), the
# gateway host pings home and reads 1 MiB from a socat listener at home
# (sha256); curl of 4 MiB home <- server (sha256); over a quiet window of
# pings genkan's transfer_rx/tx grow by exactly wireguard-go's tx/rx;
# the TUN queues' and the TAPs' counters moved, with no error; no
# WireGuard or worker drop, no_punt 0; the gateway kernel forwarded
# nothing; the packet accounting balances; SIGTERM takes the TUN and the
# TAPs away.
#
# Environment: GK_BUILD, E2E_KEEP=1. Needs root, iproute2, nft, ethtool,
# nsenter, ping, curl, socat, jq, sha256sum, wireguard-go, wg,
# /usr/bin/python3.

set -u
umask 077		# keys are root's only

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
TAG=gkdw-$$
WGH=wgd$$		# wireguard-go's interface: the UAPI socket directory
TUN=gkd$$		# is shared by all namespaces, so names carry the pid
WGIFS=$WGH
# Two workers: the outer flow lands on one queue, the keypair's owner
# may be the other worker (hand-off), and the TUN has a queue per worker.
WORKERS=2
N=20			# echo requests per counted ping
PING_I=0.05 PING_W=3 WARM_TRIES=8

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_init wireguard-go wg socat -- ip nft ethtool nsenter ping curl jq sha256sum \
	/usr/bin/python3
GWS="gw"
ALLNS="hm gw s"

cleanup()
{
	trap - EXIT INT TERM
	teardown 30
}
traps

for k in gw hm; do
	wg genkey >"$RUN/$k.key"
	wg pubkey <"$RUN/$k.key" >"$RUN/$k.pub"
done
GWPUB=$(cat "$RUN/gw.pub") HMPUB=$(cat "$RUN/hm.pub")

conf_gw()
{
	conf_head gw "WireGuard on DPDK ports"
	cat <<EOF
idle_sleep_us = 0

$(conf_dpdk)

$(conf_dpdk_port lan "net_af_packet0,iface=vs,qpairs=$WORKERS" dlan)

$(conf_dpdk_port wan "net_af_packet1,iface=vw,qpairs=$WORKERS" dwan)

[wireguard]
PrivateKeyFile = $RUN/gw.key
ListenPort = 51820
port = wan
Address = 192.0.2.1/24
Address = 2001:db8:8::1/64
host_interface = $TUN

[wireguard-peer home]
PublicKey = $HMPUB
AllowedIPs = 192.0.2.2/32, 198.18.5.0/24, 2001:db8:8::2/128, 2001:db8:5::/64
EOF
}

topo_up()
{
	ns_up net.ipv6.conf.default.accept_ra=0 || return 1
	veth hm eth0 gw vw "$WORKERS" && veth gw vs s eth0 "$WORKERS" || return 1
	nx gw nft add table netdev gkdw || return 1
	for d in vw vs; do
		# the veths are DPDK's: no kernel addresses, and the netdev
		# ingress hook drops what the kernel would see after AF_PACKET
		# took its copy
		nx gw sysctl -q -w "net.ipv6.conf.$d.disable_ipv6=1" || return 1
		r gw link set "$d" up || return 1
		nx gw nft add chain netdev gkdw "$d" \
			"{ type filter hook ingress device $d priority 0; policy drop; }" ||
			return 1
	done
	gws_noforward || return 1
	a4 hm 203.0.113.2/24 eth0
	r hm link set eth0 up || return 1
	a4 s 198.51.100.2/24 eth0
	a6 s 2001:db8:51::2/64 eth0
	r s link set eth0 up || return 1
	r s route add default via 198.51.100.1 || return 1
	r s -6 route add default via 2001:db8:51::1 || return 1
	# full checksums on the wire: the TAP path hands frames to the
	# kernel as they came
	peer hm eth0 && peer s eth0
}

home_up()
{
	wggo hm "$WGH" || return 1
	wgx hm set "$WGH" private-key "$RUN/hm.key" listen-port 51820 \
		peer "$GWPUB" endpoint 203.0.113.1:51820 \
		allowed-ips 192.0.2.1/32,2001:db8:8::1/128,198.51.100.0/24,2001:db8:51::/64 ||
		return 1
	a4 hm 192.0.2.2/24 "$WGH" && a6 hm 2001:db8:8::2/64 "$WGH" &&
		a4 hm 198.18.5.1/32 lo && a6 hm 2001:db8:5::1/128 lo || return 1
	r hm link set "$WGH" up || return 1
	r hm route add 198.51.100.0/24 dev "$WGH" || return 1
	r hm -6 route add 2001:db8:51::/64 dev "$WGH"
}

# gw_has ARGS...: `ip ARGS` in gw prints something; gw_lacks: it fails.
gw_has() { [ -n "$(r gw "$@" 2>/dev/null)" ]; }
gw_lacks() { ! r gw "$@" >/dev/null 2>&1; }

# wgj FIELD: FIELD of genkan's only peer in `genkanctl -j wg show`.
wgj() { ctl gw -j wg show | jq -r --arg f "$1" '.peers[0][$f] // "NA"'; }

# tun_sum FIELD: FIELD summed over the TUN's queues in `genkanctl -j stats`.
tun_sum() { jq --arg t "$TUN" "[.ports[] | select(.name == \$t) | $1] | add // 0" "$2"; }

# tr_snap: "genkan_rx genkan_tx wggo_rx wggo_tx" (bytes), from two reads
# of each side in a row that agree: nothing was in flight between them.
tr_snap()
{
	local a b k q='.peers[0] | "\(.transfer_rx) \(.transfer_tx)"'

	for ((k = 0; k < 20; k++)); do
		sleep 0.3
		a="$(ctl gw -j wg show | jq -r "$q") $(wggo_peer hm "$WGH" | awk '{ print $3, $4 }')"
		b="$(ctl gw -j wg show | jq -r "$q") $(wggo_peer hm "$WGH" | awk '{ print $3, $4 }')"
		[ "$a" = "$b" ] && { echo "$a"; return 0; }
	done
	return 1
}

log "topology"
topo_up || { fail "topology"; summary; exit 1; }
home_up || { fail "wireguard-go at home"; summary; exit 1; }
conf_gw >"$(conf gw)"
out=$(ip netns exec "$(ns gw)" "$GKD" --check -c "$(conf gw)" 2>&1)
expect "genkand --check accepts the config" "$?" = 0 || log "$out"

gk_start gw
gw_ready gw "$WORKERS workers running" || { summary; exit 1; }
a4 gw 198.51.100.1/24 dlan
a6 gw 2001:db8:51::1/64 dlan
a4 gw 203.0.113.1/24 dwan
kfwd_snap

# ---------------------------------------------------------------- devices
macvw=$(r gw -j link show vw | jq -r '.[0].address')
expect "TAP dwan has the DPDK port's MAC (vw's, af_packet)" \
	"$(r gw -j link show dwan | jq -r '.[0].address')" = "$macvw"
lk=$(r gw -j link show "$TUN" 2>/dev/null)
expect "genkand made the host TUN $TUN" "$(jq -r '.[0].ifname' <<<"$lk")" = "$TUN"
expect "$TUN: the WireGuard mtu" "$(jq -r '.[0].mtu' <<<"$lk")" = 1420
expect "$TUN: one queue per worker" \
	"$(nsx gw ls "/sys/class/net/$TUN/queues" 2>/dev/null | grep -c '^rx-')" = "$WORKERS"
check "$TUN: route 198.18.5.0/24 (AllowedIPs)" gw_has route show 198.18.5.0/24 dev "$TUN"
check "$TUN: route 2001:db8:5::/64 (AllowedIPs)" gw_has -6 route show 2001:db8:5::/64 dev "$TUN"
ctl gw -j stats >"$RUN/stats0.json"
expect "genkanctl stats lists the TUN port per worker" \
	"$(jq --arg t "$TUN" '[.ports[] | select(.name == $t and .kind == "tun")] | length' \
		"$RUN/stats0.json")" = "$WORKERS"
expect "genkanctl stats: two DPDK ports" "$(jq '.dpdk | length' "$RUN/stats0.json")" = 2
check "the gateway reaches home's outer address (ARP through the TAP)" \
	warm gw 203.0.113.2 3

# ---------------------------------------------------------------- handshake
log "wireguard-go initiates"
check "ping home -> server 198.51.100.2 (the first one starts the handshake)" \
	warm hm 198.51.100.2 3
whs=$(wgx hm show "$WGH" latest-handshakes | awk '{ print $2 }')
expect "wg show ($WGH): the handshake with the gateway completed" "${whs:-0}" -gt 0
expect "genkanctl wg show: home's endpoint is wireguard-go's address" \
	"$(wgj endpoint)" = 203.0.113.2:51820
read -r wep _ _ _ <<<"$(wggo_peer hm "$WGH")"
expect "wg show ($WGH): the gateway's endpoint" "$wep" = 203.0.113.1:51820
ghs=$(wgj latest_handshake)
[[ "$ghs" =~ ^[0-9]+$ ]] || ghs=-999
expect "genkan's and wireguard-go's handshake times agree within 5 s" \
	"$(( ghs > ${whs:-0} ? ghs - ${whs:-0} : ${whs:-0} - ghs ))" -le 5
ctl gw -j stats >"$RUN/stats1.json"
expect "the initiation reached the kernel through the TAP (wan to_kernel)" \
	"$(jq '.dpdk[] | select(.name == "wan") | .to_kernel' "$RUN/stats1.json")" -ge 1
expect "the response left through the TAP (wan from_kernel)" \
	"$(jq '.dpdk[] | select(.name == "wan") | .from_kernel' "$RUN/stats1.json")" -ge 1

# ---------------------------------------------------------------- data path
log "home <-> server over the tunnel"
tr0=$(tr_snap)
gp0=$(ctl gw -j wg show | jq -r '.peers[0] | "\(.rx_packets) \(.tx_packets)"')
check "ping -c $N home -> server" pingn hm 198.51.100.2 $N
check "ping -c $N server -> home (192.0.2.2)" pingn s 192.0.2.2 $N
tr1=$(tr_snap)
gp1=$(ctl gw -j wg show | jq -r '.peers[0] | "\(.rx_packets) \(.tx_packets)"')
if [ -n "$tr0" ] && [ -n "$tr1" ]; then
	read -r grx0 gtx0 wrx0 wtx0 <<<"$tr0"
	read -r grx1 gtx1 wrx1 wtx1 <<<"$tr1"
	log "window: genkan rx +$((grx1 - grx0)) tx +$((gtx1 - gtx0)), wireguard-go rx +$((wrx1 - wrx0)) tx +$((wtx1 - wtx0))"
	expect "genkan's transfer_rx grew by exactly wireguard-go's tx" \
		"$((grx1 - grx0))" -eq "$((wtx1 - wtx0))"
	expect "genkan's transfer_tx grew by exactly wireguard-go's rx" \
		"$((gtx1 - gtx0))" -eq "$((wrx1 - wrx0))"
	# 2N packets each way of at least 84 + 32 bytes
	expect "... by at least the $((2 * N)) echoes each way" \
		"$((grx1 - grx0))" -ge $((2 * N * 116))
else
	fail "no quiet snapshot of genkan's and wireguard-go's transfer counters"
fi
read -r gpr0 gpt0 <<<"$gp0"
read -r gpr1 gpt1 <<<"$gp1"
expect "genkan's peer rx_packets grew by >= $((2 * N))" "$((gpr1 - gpr0))" -ge $((2 * N))
expect "genkan's peer tx_packets grew by >= $((2 * N))" "$((gpt1 - gpt0))" -ge $((2 * N))
check "ping home (198.18.5.1) -> server" warm hm 198.51.100.2 3 -I 198.18.5.1
check "ping server -> home's LAN 198.18.5.1" warm s 198.18.5.1 3
check "ping6 home -> server 2001:db8:51::2" warm hm 2001:db8:51::2 3
check "ping6 server -> home 2001:db8:8::2" warm s 2001:db8:8::2 3
check "ping6 server -> home's LAN 2001:db8:5::1" warm s 2001:db8:5::1 3

# ---------------------------------------------------------------- hand-off
# The outer flow lands on the queue af_packet's fanout hashes it to; the
# keypair's owner is its receiver index's hash (docs/wireguard.md,
# Workers). When they differ the worker copies the frame into the owner's
# ring and the owner into a buffer of its own DPDK pool. A new handshake
# (wireguard-go forgets the peer) draws a new index: each one has an even
# chance, so up to 24 are tried (all missing: 1 run in 16 million) until
# one lands on the other worker.
log "the hand-off between workers"
ho=$(ctl gw -j wg show | jq '.counters.handoff_out')
for ((k = 0; k < 24 && ho == 0; k++)); do
	wgx hm set "$WGH" peer "$GWPUB" remove
	wgx hm set "$WGH" peer "$GWPUB" endpoint 203.0.113.1:51820 \
		allowed-ips 192.0.2.1/32,2001:db8:8::1/128,198.51.100.0/24,2001:db8:51::/64
	r hm route replace 198.51.100.0/24 dev "$WGH"
	r hm -6 route replace 2001:db8:51::/64 dev "$WGH"
	warm hm 198.51.100.2 3 || break
	ho=$(ctl gw -j wg show | jq '.counters.handoff_out')
done
log "$k new handshake(s); hand-offs so far: $ho"
if [ "$ho" -gt 0 ]; then
	ho0=$ho
	check "ping -c $N home -> server, the keypair owned by the other worker" \
		pingn hm 198.51.100.2 $N
	ho1=$(ctl gw -j wg show | jq '.counters.handoff_out')
	expect "the $N echo requests were handed to the owner" "$((ho1 - ho0))" -ge $N
else
	fail "a keypair owned by the worker that does not receive its data (24 handshakes)"
fi

# ---------------------------------------------------------------- host path
log "the host path: the gateway's own sockets through the TUN"
check "home: ping 192.0.2.1 (the gateway's tunnel address, its TUN)" warm hm 192.0.2.1 5
check "home: ping6 2001:db8:8::1" warm hm 2001:db8:8::1 5
# xfer SRV ADDR PORT MIB CLI WHAT: MIB random MiB served by socat in SRV
# on ADDR:PORT, read by CLI to the end, compared by sha256.
xfer()
{
	local srv=$1 addr=$2 port=$3 mib=$4 cli=$5 what=$6 sha rc

	head -c $((mib << 20)) /dev/urandom >"$RUN/blob-$port"
	sha=$(sha256sum <"$RUN/blob-$port" | cut -d' ' -f1)
	bg "$srv" "$RUN/listen-$port.log" socat -U \
		TCP-LISTEN:"$port",bind="$addr",reuseaddr FILE:"$RUN/blob-$port"
	check "$srv: socat listens on $addr:$port" \
		wait_for 10 eval "[ -n \"\$(nx $srv ss -Hltn 'sport = :$port')\" ]"
	nx "$cli" timeout 30 socat -u TCP:"$addr":"$port" CREATE:"$RUN/got-$port" \
		2>"$RUN/recv-$port.err"
	rc=$?
	expect "$cli: TCP to the $what's listener, read to the end" "$rc" = 0
	expect "... $mib MiB from the $what, intact (sha256)" \
		"$(sha256sum <"$RUN/got-$port" | cut -d' ' -f1)" = "$sha"
}
xfer gw 192.0.2.1 7000 2 hm "gateway host"
check "gw: ping 192.0.2.2 (home's tunnel address)" warm gw 192.0.2.2 5
check "gw: ping 198.18.5.1 (home's LAN, an AllowedIPs route)" warm gw 198.18.5.1 5
check "gw: ping6 2001:db8:8::2" warm gw 2001:db8:8::2 5
xfer hm 198.18.5.1 7001 1 gw home

# ---------------------------------------------------------------- curl
log "curl home <- server"
mkdir -p "$RUN/www"
head -c $((4 << 20)) /dev/urandom >"$RUN/www/blob"
want=$(sha256sum <"$RUN/www/blob" | cut -d' ' -f1)
chmod 755 "$RUN" "$RUN/www"
chmod 644 "$RUN/www/blob"
# http.server's own main would look up the server's name (getfqdn): a DNS
# query to the host's resolver, which the gateway has no route for
bg s "$RUN/http.log" /usr/bin/python3 -c '
import functools, http.server, socketserver, sys
socketserver.TCPServer.allow_reuse_address = True
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
socketserver.TCPServer(("198.51.100.2", 8080), h).serve_forever()' "$RUN/www"
check "HTTP server listens" wait_for 15 eval 'nx s ss -ltn | grep -q 8080'
got=$(nx hm curl -s --max-time 30 http://198.51.100.2:8080/blob | sha256sum | cut -d' ' -f1)
expect "curl 4 MiB home <- server through the tunnel, sha256" "$got" = "$want"
check "the server saw home's tunnel address" grep -q '^192\.0\.2\.2 ' "$RUN/http.log"

# ---------------------------------------------------------------- counters
log "counters"
ctl gw -j stats >"$RUN/stats2.json"
ctl gw -j wg show >"$RUN/wg2.json"
tun_rx=$(tun_sum .rx_packets "$RUN/stats2.json")
tun_tx=$(tun_sum .tx_packets "$RUN/stats2.json")
log "TUN port: rx $tun_rx tx $tun_tx; wg counters $(jq -c .counters "$RUN/wg2.json")"
# 2 MiB out and 1 MiB in, at most 1420 bytes a packet
expect "TUN queues read the host's packets (2 MiB of data, ACKs)" "$tun_rx" -ge 1500
expect "TUN queues wrote to the host (1 MiB of data, ACKs)" "$tun_tx" -ge 700
expect "TUN queues: no bad packets or errors" \
	"$(tun_sum '.tun | .rx_bad + .rx_errors + .tx_errors + .tx_bad' "$RUN/stats2.json")" = 0
expect "TUN queues: never short of a buffer from the DPDK pool" \
	"$(tun_sum .rx_no_buf "$RUN/stats2.json")" = 0
expect "no packet given up for want of a punt path (no_punt)" \
	"$(jq -r '.worker_drops.no_punt // 0' "$RUN/stats2.json")" = 0
expect "no TAP write failed" \
	"$(jq '[.dpdk[].to_kernel_fail] | add' "$RUN/stats2.json")" = 0
expect "no frame from a TAP dropped" \
	"$(jq '[.dpdk[].from_kernel_drop] | add' "$RUN/stats2.json")" = 0
expect "no data message reached genkand's socket (the workers took them all)" \
	"$(jq '.counters.data_on_socket' "$RUN/wg2.json")" = 0
expect "no hand-off dropped" "$(jq '.counters.handoff_drops' "$RUN/wg2.json")" = 0
expect "WireGuard dropped nothing (wg show -j drops)" \
	"$(jq '[.drops[]] | add' "$RUN/wg2.json")" = 0
expect "the workers dropped nothing (stats worker_drops)" \
	"$(jq '[.worker_drops[]] | add' "$RUN/stats2.json")" = 0
expect "handoff_in = handoff_out" \
	"$(jq '.counters.handoff_in' "$RUN/wg2.json")" = "$(jq '.counters.handoff_out' "$RUN/wg2.json")"
read -r _ _ wrx wtx <<<"$(wggo_peer hm "$WGH")"
expect "wireguard-go received the 4 MiB, the 2 MiB and the echoes" "$wrx" -ge $((6 << 20))
expect "wireguard-go sent the 1 MiB and the echoes" "$wtx" -ge $((1 << 20))
check "the gateway kernel never forwarded (ip_forward = 0)" fwd_off
expect "the gateway kernel forwarded nothing" "$(kfwd gw)" = "${KF0[gw]}"
check "genkand alive" kill -0 "${GKPID[gw]}"

# ---------------------------------------------------------------- stop
dpdk_stop gw
check "SIGTERM: $TUN is gone with genkand" wait_for 5 gw_lacks link show "$TUN"
check "SIGTERM: the TAPs are gone" eval 'gw_lacks link show dlan && gw_lacks link show dwan'

summary
