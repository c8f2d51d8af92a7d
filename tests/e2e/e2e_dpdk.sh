#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The gateway's ports as DPDK ports (issue #14): net_af_packet vdevs on the
# gateway's veths, each with the TAP genkand makes as its kernel side.
#
#   c ns                       gw ns: genkand (backend = dpdk), ip_forward=0          s ns
#  +------------------+      +-------------------------------------------------+      +-------------------+
#  | eth0             | veth | vc: net_af_packet0            vs: net_af_packet1 | veth | eth0              |
#  | 192.0.2.2/24     |------|  (nft ingress drop: the kernel never sees them)  |------| 198.51.100.2/24   |
#  | 2001:db8:1::2/64 |      | dlan (TAP): 192.0.2.1/24  dwan: 198.51.100.1/24  |      | 2001:db8:2::2/64  |
#  +------------------+      |   2001:db8:1::1/64          2001:db8:2::1/64     |      | lo: 203.0.113.9   |
#   default via .1           +-------------------------------------------------+      +-------------------+
#
# Checks: genkand starts with two DPDK ports and makes their TAPs with the
# devices' MACs; ARP/ND and ping v4/v6 to the gateway's own addresses go
# through the exception path (the TAP); ping v4/v6 client <-> server is
# forwarded by the workers (worker tx grows, the kernel forwarded nothing);
# a TCP connection to the gateway's own address (socat on the TAP's
# address); curl of a 4 MiB file checked by sha256; iperf3 for 2 s; a
# route added live with `ip route add` is followed (ping 203.0.113.9);
# genkand stops cleanly and leaves no TAP behind; a bad devargs, and EAL
# without hugepages (when none are reserved), fail the start with the port
# or [dpdk] and DPDK's reason, leaving no TAP and no EAL runtime directory.
# The exception path's counters (genkanctl stats) grow by exactly the
# TAP's own rx/tx packet counts over a window of pings to the gateway, and
# /metrics ([metrics] on 127.0.0.1 in gw) shows the same values.
# A second start (lan mtu = 3000): the TAP's MTU is capped at what one mbuf
# holds; raised past it by the operator, the kernel's longer frames are
# dropped and counted (tap_too_big), none reaches the client cut (tcpdump
# there); `ip link del` of the TAP: genkand makes it again (MAC, MTU, new
# ifindex followed), and with its addresses re-added ping works again.
#
# Environment: GK_BUILD, E2E_KEEP=1. Needs root, iproute2, nft, ethtool,
# nsenter, ping, curl, iperf3, socat, python3, jq, sha256sum, tcpdump.

set -u

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
TAG=gkdp-$$
WORKERS=1
PING_I=0.02 PING_W=3 WARM_TRIES=5

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_init iperf3 socat -- ip nft ethtool nsenter ping curl jq sha256sum tcpdump /usr/bin/python3
GWS="gw"
ALLNS="c gw s"

cleanup()
{
	trap - EXIT INT TERM
	teardown 25
}
traps

conf_gw()
{
	conf_head gw "DPDK ports"
	cat <<EOF
cpus = 1
idle_sleep_us = 0

$(conf_dpdk "${2:-}")

[metrics]
listen = 127.0.0.1:9469

$(conf_dpdk_port lan "${1:-net_af_packet0,iface=vc}" dlan)

$(conf_dpdk_port wan net_af_packet1,iface=vs dwan)
EOF
}

ns_up || { fail "namespaces"; exit 1; }
veth c eth0 gw vc 1
veth gw vs s eth0 1
nx gw nft add table netdev gkdp
for d in vc vs; do
	# the veths are DPDK's: no kernel addresses, and the netdev ingress
	# hook drops what the kernel would see after AF_PACKET took its copy
	nx gw sysctl -q -w "net.ipv6.conf.$d.disable_ipv6=1"
	r gw link set "$d" up
	nx gw nft add chain netdev gkdp "$d" \
		"{ type filter hook ingress device $d priority 0; policy drop; }"
done
gws_noforward
a4 c 192.0.2.2/24 eth0
a6 c 2001:db8:1::2/64 eth0
r c link set eth0 up
r c route add default via 192.0.2.1
r c -6 route add default via 2001:db8:1::1
a4 s 198.51.100.2/24 eth0
a6 s 2001:db8:2::2/64 eth0
r s link set eth0 up
a4 s 203.0.113.9/32 lo
r s route add default via 198.51.100.1
r s -6 route add default via 2001:db8:2::1
# full checksums on the wire: the TAP path hands frames to the kernel as
# they came
peer c eth0
peer s eth0

# ---- a bad devargs: a clear error, nothing left behind
conf_gw net_nosuchpmd0 >"$(conf gw)"
gk_start gw
wait "${GKPID[gw]}"
rc=$?
GKPID[gw]=
expect "bad devargs: genkand exits non-zero" "$rc" -ne 0
check "bad devargs: the error names the port and the devargs" \
	grep -q "port lan: net_nosuchpmd0: probe" "$(gklog gw)"
check "bad devargs: no TAP left" eval '! r gw link show dlan >/dev/null 2>&1'
check "bad devargs: no EAL runtime directory left" test ! -e "/var/run/dpdk/genkan-$TAG-gw"
: >"$(gklog gw)"

# ---- no hugepages (this machine has none reserved): EAL fails, said so
if [ "$(awk '/^HugePages_Total:/ { print $2 }' /proc/meminfo)" = 0 ] ||
   ! grep -q '^HugePages_Total:' /proc/meminfo; then
	conf_gw "" "-m 64" >"$(conf gw)"
	gk_start gw
	wait "${GKPID[gw]}"
	rc=$?
	GKPID[gw]=
	expect "no hugepages: genkand exits non-zero" "$rc" -ne 0
	check "no hugepages: the error names [dpdk] eal_args and EAL" \
		grep -q "\[dpdk\] eal_args '-m 64 .*': rte_eal_init" "$(gklog gw)"
	check "no hugepages: no TAP left" eval '! r gw link show dlan >/dev/null 2>&1'
	check "no hugepages: no EAL runtime directory left" \
		test ! -e "/var/run/dpdk/genkan-$TAG-gw"
	: >"$(gklog gw)"
else
	log "hugepages reserved here: the no-hugepages start is not tried"
fi

# ---- the real start
conf_gw >"$(conf gw)"
gk_start gw
gw_ready gw "1 worker running" || { summary; exit 1; }
macvc=$(r gw -j link show vc | jq -r '.[0].address')
macl=$(r gw -j link show dlan | jq -r '.[0].address')
expect "TAP dlan has the DPDK port's MAC (vc's, af_packet)" "$macl" = "$macvc"
check "TAP dlan is up" eval 'r gw link show dlan | grep -q "state UP\|UNKNOWN"'
ctl gw -j status >"$RUN/status.json"
expect "status lists 2 ports" "$(jq '.ports | length' "$RUN/status.json")" = 2
check "status: the DPDK backend classifies (hand-off reason)" \
	grep -q "dpdk: no XDP" "$RUN/status.json"

a4 gw 192.0.2.1/24 dlan
a6 gw 2001:db8:1::1/64 dlan
a4 gw 198.51.100.1/24 dwan
a6 gw 2001:db8:2::1/64 dwan

# ---- the exception path: ARP/ND and the gateway's own addresses
check "ping 192.0.2.1 (ARP + echo through the TAP)" warm c 192.0.2.1 3
check "ping 2001:db8:1::1 (ND + echo through the TAP)" warm c 2001:db8:1::1 3
check "the kernel learnt the client's MAC on dlan" \
	eval 'r gw neigh show dev dlan | grep -q 192.0.2.2'
ctl gw -j stats >"$RUN/stats0.json"
expect "stats dpdk: lan sent >= 6 frames to the kernel (ARP, ND, echoes)" \
	"$(jq '.dpdk[0].to_kernel' "$RUN/stats0.json")" -ge 6
expect "stats dpdk: lan sent >= 6 frames from the kernel (replies)" \
	"$(jq '.dpdk[0].from_kernel' "$RUN/stats0.json")" -ge 6
expect "stats dpdk: no TAP write failed" \
	"$(jq '.dpdk[0].to_kernel_fail' "$RUN/stats0.json")" = 0

# ---- the exception path's counters against the kernel's own TAP counters
# tun.c counts a TAP's rx_packets inside the write() that hands it a frame
# and its tx_packets inside the read() that takes one, so over any window
# dlan's rx_packets grow by lan's to_kernel and its tx_packets by lan's
# from_kernel, frame for frame: background ND/MLD/RS traffic of c or the
# gateway kernel lands on both sides alike. What needs care is the window's
# ends: the TAP's counters move a few ns before genkand's, so exc_snap takes
# the TAP's, stats, the TAP's again and stats again, and keeps only a pair
# where neither moved (a frame in between makes it retry). The 20 echoes
# each way only give a floor: background frames may add to them.
tap_cnt() { nsx gw cat /sys/class/net/dlan/statistics/rx_packets \
	/sys/class/net/dlan/statistics/tx_packets | tr '\n' ' '; }
exc_cnt() { ctl gw -j stats | jq -r '.dpdk[0] | "\(.to_kernel) \(.to_kernel_fail) \(.from_kernel) \(.from_kernel_drop)"'; }
# prints "tap_rx tap_tx to_kernel to_kernel_fail from_kernel from_kernel_drop"
exc_snap()
{
	local a b j1 j2 k

	for ((k = 0; k < 20; k++)); do
		a=$(tap_cnt) j1=$(exc_cnt) b=$(tap_cnt) j2=$(exc_cnt)
		if [ "$a" = "$b" ] && [ "$j1" = "$j2" ]; then
			echo "$a$j1"
			return 0
		fi
		sleep 0.1
	done
	return 1
}
exc_snap >"$RUN/exc0"
check "ping 192.0.2.1 x20 (the exception path, counted)" pingn c 192.0.2.1 20
check "ping 2001:db8:1::1 x20 (the same in IPv6)" pingn c 2001:db8:1::1 20
if [ -s "$RUN/exc0" ] && exc_snap >"$RUN/exc1"; then
	read -r rx0 tx0 tk0 tkf0 fk0 fkd0 <"$RUN/exc0"
	read -r rx1 tx1 tk1 tkf1 fk1 fkd1 <"$RUN/exc1"
	log "window: TAP rx +$((rx1 - rx0)) tx +$((tx1 - tx0)), to_kernel +$((tk1 - tk0)), from_kernel +$((fk1 - fk0))"
	expect "exc: to_kernel grew by the TAP's rx_packets (exact)" \
		"$((tk1 - tk0))" -eq "$((rx1 - rx0))"
	expect "exc: from_kernel grew by the TAP's tx_packets (exact)" \
		"$((fk1 - fk0))" -eq "$((tx1 - tx0))"
	expect "exc: to_kernel grew by >= the 40 echo requests" "$((tk1 - tk0))" -ge 40
	expect "exc: from_kernel grew by >= the 40 echo replies" "$((fk1 - fk0))" -ge 40
	expect "exc: no TAP write failed in the window" "$((tkf1 - tkf0))" -eq 0
	expect "exc: nothing from the TAP dropped in the window" "$((fkd1 - fkd0))" -eq 0
else
	fail "exc: no quiet snapshot of the TAP's and genkand's counters in 20 tries"
fi
ctl gw stats >"$RUN/stats-text.txt"
check "exc: genkanctl stats shows lan's exception path" \
	grep -q "^dpdk port lan (net_af_packet0,iface=vc), exception path to/from TAP dlan:" \
	"$RUN/stats-text.txt"
tkt=$(awk '/^dpdk port lan \(/ { on = 1; next } on && /^$/ { exit } on && $1 == "to_kernel" { print $2 }' \
	"$RUN/stats-text.txt")
expect "exc: its to_kernel line holds at least the last snapshot's" "${tkt:-x}" -ge "${tk1:-1}"
check "exc: the wan port has its own entry" \
	test "$(ctl gw -j stats | jq -r '.dpdk[1] | "\(.name) \(.tap)"')" = "wan dwan"
# the metrics endpoint: the same counters, read between two equal stats
exc_prom()
{
	local j1 j2 m k

	for ((k = 0; k < 20; k++)); do
		j1=$(exc_cnt)
		m=$(nx gw curl -s -m 5 http://127.0.0.1:9469/metrics |
			awk -F'[{}" ]' '$1 ~ /^genkan_dpdk_exception_(to|from)_kernel_total$/ &&
				$3 == "lan" { v[$1] = $NF }
				END { print v["genkan_dpdk_exception_to_kernel_total"] + 0,
				      v["genkan_dpdk_exception_from_kernel_total"] + 0 }')
		j2=$(exc_cnt)
		if [ "$j1" = "$j2" ]; then
			read -r a _ b _ <<<"$j1"
			echo "$m = $a $b"
			return 0
		fi
		sleep 0.1
	done
	return 1
}
got=$(exc_prom)
check "exc: /metrics genkan_dpdk_exception_{to,from}_kernel_total{port=lan} = stats ($got)" \
	eval '[ -n "$got" ] && [ "${got% = *}" = "${got#* = }" ] && [ "${got% = *}" != "0 0" ]'
check "exc: /metrics has wan's drops by reason" \
	eval 'nx gw curl -s -m 5 http://127.0.0.1:9469/metrics |
		grep -q "^genkan_dpdk_exception_drops_total{port=\"wan\",reason=\"bad_src\"} "'

# ---- forwarding by the workers
kf0=$(kfwd gw)
tx0=$(ctl gw -j stats | jq '[.workers[].tx_packets] | add')
check "ping client -> server v4 (forwarded)" warm c 198.51.100.2 10
check "ping client -> server v6 (forwarded)" warm c 2001:db8:2::2 10
tx1=$(ctl gw -j stats | jq '[.workers[].tx_packets] | add')
expect "worker tx grew by >= 40" "$((tx1 - tx0))" -ge 40
expect "the gateway kernel forwarded nothing" "$(kfwd gw)" = "$kf0"

# ---- a TCP connection to the gateway's own address (exception path)
bg gw "$RUN/socat.log" socat -T 5 TCP-LISTEN:2222,bind=192.0.2.1,reuseaddr \
	SYSTEM:'echo hello-from-gw'
check "socat listens on the gateway" wait_for 15 eval 'nx gw ss -ltn | grep -q 2222'
got=$(nx c timeout 5 socat -T 3 - TCP:192.0.2.1:2222 </dev/null 2>&1)
expect "TCP to the gateway's own address answers" "$got" = "hello-from-gw"

# ---- curl, checked by sha256
head -c $((4 << 20)) /dev/urandom >"$RUN/blob"
want=$(sha256sum <"$RUN/blob" | cut -d' ' -f1)
bg s "$RUN/http.log" /usr/bin/python3 -m http.server -d "$RUN" -b 198.51.100.2 8080
check "HTTP server listens" wait_for 15 eval 'nx s ss -ltn | grep -q 8080'
got=$(nx c curl -s --max-time 20 http://198.51.100.2:8080/blob | sha256sum | cut -d' ' -f1)
expect "curl 4 MiB through the DPDK ports, sha256" "$got" = "$want"

# ---- iperf3
bg s "$RUN/iperf.log" iperf3 -s -B 198.51.100.2 -1
check "iperf3 server listens" wait_for 15 eval 'nx s ss -ltn | grep -q 5201'
bps=$(nx c iperf3 -c 198.51.100.2 -t 2 -J 2>/dev/null | jq '.end.sum_received.bits_per_second // 0 | floor')
expect "iperf3 TCP through the DPDK ports (bit/s)" "${bps:-0}" -gt 1000000
log "iperf3: $((${bps:-0} / 1000000)) Mbit/s"

# ---- a route added live is followed
r gw route add 203.0.113.0/24 via 198.51.100.2
check "ip route add followed live (ping 203.0.113.9)" warm c 203.0.113.9 5

expect "the gateway kernel still forwarded nothing" "$(kfwd gw)" = "$kf0"
check "genkand alive" kill -0 "${GKPID[gw]}"

# ---- clean stop, every frame the DPDK workers touched accounted for
# (docs/accounting.md); the TAPs go with genkand
dpdk_stop gw
check "no TAP left after the stop" eval '! r gw link show dlan >/dev/null 2>&1'


# ---- the TAP's MTU cap and a deleted TAP (docs/dpdk.md, the exception path)
# A second start: lan with mtu = 3000, over what one mbuf carries (2048
# bytes of data room less the 14-byte Ethernet header: 2034). lan is a
# net_pcap vdev on vc here, and the client link is at MTU 9000: a cut frame
# of 2048 bytes would reach the client and be seen there (net_af_packet
# drops frames over its 2016-byte slots itself, cut or not).
TAPCAP=$((2048 - 14))
r gw link set vc mtu 9000
r c link set eth0 mtu 9000
conf_gw "net_pcap0,iface=vc" |
	sed '/^\[port lan\]$/a mtu = 3000' >"$(conf gw)"
gklines=$(wc -l <"$(gklog gw)")
gklog2() { tail -n +"$((gklines + 1))" "$(gklog gw)"; }
said2() { gklog2 | grep -q "$1"; }
gk_start gw
if gw_ready gw "1 worker running (lan mtu = 3000)"; then
	expect "TAP dlan MTU is the cap ($TAPCAP) under mtu = 3000" \
		"$(r gw -j link show dlan | jq '.[0].mtu')" = "$TAPCAP"
	check "the log says dlan's MTU is capped" \
		said2 "TAP dlan MTU $TAPCAP, not the port.s 3000"
	expect "TAP dwan MTU is the device's (DPDK's default 1500)" \
		"$(r gw -j link show dwan | jq '.[0].mtu')" = 1500
	a4 gw 192.0.2.1/24 dlan
	a6 gw 2001:db8:1::1/64 dlan
	a4 gw 198.51.100.1/24 dwan
	a6 gw 2001:db8:2::1/64 dwan
	# net_pcap's MAC is not af_packet's: the client learns it afresh
	r c neigh flush dev eth0
	check "ping -M do -s 1900 gw -> client (1942-byte frames, under the cap)" \
		warm gw 192.0.2.2 3 -M "do" -s 1900

	# (a) the operator raises the TAP's MTU past the cap: the kernel's
	# 3042-byte frames are dropped and counted, never sent cut
	cap_start tapbig c eth0 "ip"
	r gw link set dlan mtu 4000
	txk0=$(r gw -j -s link show dlan | jq '.[0].stats64.tx.packets')
	big0=$(ctl gw -j stats | jq '.dpdk[0].tap_too_big')
	nx gw ping -n -q -c 3 -i 0.2 -W 1 -M "do" -s 3000 192.0.2.2 >"$RUN/ping3000.log" 2>&1
	check "ping -M do -s 3000 gw -> client: no reply (nothing reached it)" \
		grep -q " 0 received" "$RUN/ping3000.log"
	check "control: ping -M do -s 1900 still answered" pingn gw 192.0.2.2 3 -M "do" -s 1900
	check "the control echoes are in the client's capture" \
		wait_for 5 cap_has tapbig "icmp and src 192.0.2.1 and len = 1942" 3
	cap_stop tapbig
	expect "no cut frame reached the client (every IPv4 frame holds its whole packet)" \
		"$(cap_count tapbig 'ip and len > 60 and ip[2:2] + 14 != len')" = 0
	expect "no echo of 2048 bytes or more from the gateway reached the client" \
		"$(cap_count tapbig 'icmp and src 192.0.2.1 and len >= 2048')" = 0
	txk1=$(r gw -j -s link show dlan | jq '.[0].stats64.tx.packets')
	expect "the kernel did send the big frames to dlan (its tx grew by >= 6)" \
		"$((txk1 - txk0))" -ge 6
	big1=$(ctl gw -j stats | jq '.dpdk[0].tap_too_big')
	expect "stats dpdk: lan tap_too_big grew by 3" "$((big1 - big0))" = 3
	check "the log says dlan's MTU is over the cap" \
		said2 "TAP dlan MTU is 4000, over $TAPCAP"
	check "the log says the first oversized frame was dropped" \
		said2 "from TAP dlan longer than an mbuf (2048 bytes) dropped"

	# (b) the TAP deleted under genkand: made again, with the port's MAC
	# and MTU; the operator re-adds the addresses and the kernel side works
	check "control: ping 2001:db8:1::1 through dlan before it goes" \
		warm c 2001:db8:1::1 3
	ifx0=$(r gw -j link show dlan | jq '.[0].ifindex')
	mac0=$(r gw -j link show dlan | jq -r '.[0].address')
	r gw link del dlan
	check "dlan deleted: genkand makes it again within 5 s" \
		wait_for 5 eval 'r gw link show dlan >/dev/null 2>&1'
	ifx1=$(r gw -j link show dlan 2>/dev/null | jq '.[0].ifindex')
	expect "the new dlan is another device (ifindex $ifx0 -> ${ifx1:-none})" \
		"${ifx1:-0}" -ne "$ifx0"
	expect "the new dlan has the DPDK port's MAC, as the old one" \
		"$(r gw -j link show dlan | jq -r '.[0].address')" = "$mac0"
	expect "the new dlan has the port's MTU (the cap), not the old one's 4000" \
		"$(r gw -j link show dlan | jq '.[0].mtu')" = "$TAPCAP"
	check "the new dlan is up" eval 'r gw link show dlan | grep -q "state UP\|UNKNOWN"'
	expect "the log says so once" \
		"$(gklog2 | grep -c 'TAP dlan was deleted; made again')" = 1
	ctl gw -j status >"$RUN/status2.json"
	expect "status: port lan follows the new ifindex" \
		"$(jq '.ports[] | select(.name == "lan") | .ifindex' "$RUN/status2.json")" = "${ifx1:-0}"
	expect "stats dpdk: lan tap_recreated = 1" \
		"$(ctl gw -j stats | jq '.dpdk[0].tap_recreated')" = 1
	a4 gw 192.0.2.1/24 dlan
	a6 gw 2001:db8:1::1/64 dlan
	check "ping 192.0.2.1 through the new TAP" warm c 192.0.2.1 3
	check "ping 2001:db8:1::1 through the new TAP" warm c 2001:db8:1::1 3
	check "ping client -> server v4 forwarded again" warm c 198.51.100.2 5
	check "ping client -> server v6 forwarded again" warm c 2001:db8:2::2 5

	# a reload that lowers lan's mtu: the TAP follows it
	conf_gw "net_pcap0,iface=vc" |
		sed '/^\[port lan\]$/a mtu = 1400' >"$(conf gw)"
	check "reload with lan mtu = 1400" eval 'ctl gw reload >/dev/null'
	expect "TAP dlan MTU follows the reload (1400)" \
		"$(r gw -j link show dlan | jq '.[0].mtu')" = 1400
	check "ping -M do -s 1372 gw -> client (1400-byte packets)" \
		warm gw 192.0.2.2 3 -M "do" -s 1372
	check "genkand alive" kill -0 "${GKPID[gw]}"
	stop_pid "${GKPID[gw]}" TERM
	GKPID[gw]=
	check "genkand stopped cleanly (second start)" said2 stopped
	check "no TAP left after the second stop" eval '! r gw link show dlan >/dev/null 2>&1'
fi

summary
