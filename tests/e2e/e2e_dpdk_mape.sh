#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# MAP-E with the BR on DPDK ports (issue #14): the core e2e_mape path,
# with the CE on AF_XDP and the BR's two ports net_af_packet vdevs whose
# TAPs carry the BR's kernel addresses.
#
#  h1 (IPv4 host)        ce1: genkand, AF_XDP       rt: IPv6 router     br: genkand, backend = dpdk      srv
# +----------------+    +---------------------+    +-------------+    +------------------------------+  +-----------------+
# | 198.18.0.2/24  |----| lan 198.18.0.1/24   |    |             |    | vcore: net_af_packet0        |  |                 |
# +----------------+    | MAP-E CE + NAPT44   |    |             |    |  core (TAP) 2001:db8:ff00::2 |--| eth0            |
#  default via .1       | wan 2001:db8:ff01::2|----| r1    r0    |----| vinet: net_af_packet1        |  | 203.0.113.2/24  |
#                       +---------------------+    +-------------+    |  inet (TAP) 203.0.113.1/24   |  +-----------------+
#                                                                     | lo 2001:db8:ffff::1 (BR)     |   default via .1
#                                                                     +------------------------------+
#
# One MAP domain, RFC 7597 Appendix A example 1 (2001:db8::/40 <->
# 192.0.2.0/24, 16 EA bits, PSID offset 6): the CE is 192.0.2.18, PSID
# 0x34, end-user prefix 2001:db8:12:3400::/56; NAPT44 on the CE puts the
# host behind it. Checks: both genkands start (the BR with its TAPs);
# ping h1 -> srv (encapsulated by the CE, decapsulated by the BR's worker
# on DPDK, and back); curl of a 2 MiB file from srv checked by sha256; the
# BR's workers counted mape_br packets; srv saw the CE's shared address;
# no gateway kernel forwarded anything.
#
# Environment: GK_BUILD, E2E_KEEP=1. Needs root, iproute2, nft, ethtool,
# nsenter, ping, curl, jq, sha256sum, /usr/bin/python3.

set -u

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
TAG=gkdm-$$
WORKERS=2
PING_I=0.02 PING_W=3 WARM_TRIES=6

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_init ip nft ethtool nsenter ping curl jq sha256sum /usr/bin/python3
GWS="ce1 br"
ALLNS="h1 ce1 rt br srv"

cleanup()
{
	trap - EXIT INT TERM
	teardown 20
}
traps

R6=2001:db8::/40 R4=192.0.2.0/24 EA=16 OFF=6
BR6=2001:db8:ffff::1 BR4=203.0.113.1 SRV4=203.0.113.2
LAN_H=198.18.0.2 LAN_GW=198.18.0.1
EUP=2001:db8:12:3400::/56	# RFC 7597 Appendix A: 192.0.2.18, PSID 0x34

mape_topo_up srv "$SRV4" || { fail "topology"; summary; exit 1; }

# The BR's kernel side moves to the TAPs genkand makes: the veths become
# vcore/vinet (DPDK's, no addresses; nft drops what the kernel would see
# after AF_PACKET took its copy), their names go to the TAPs.
r br addr flush dev core
r br addr flush dev inet
nx br nft add table netdev gkdm
for d in core inet; do
	r br link set "$d" down
	r br link set "$d" name "v$d"
	nx br sysctl -q -w "net.ipv6.conf.v$d.disable_ipv6=1"
	r br link set "v$d" up
	nx br nft add chain netdev gkdm "v$d" \
		"{ type filter hook ingress device v$d priority 0; policy drop; }"
done

{
	conf_head ce1 "MAP-E CE (AF_XDP)"
	echo
	conf_ce "$EUP"
	cat <<EOF

[nat]
enabled = yes
EOF
	conf_map_rule
} >"$(conf ce1)"
{
	conf_head br "MAP-E BR on DPDK"
	cat <<EOF
idle_sleep_us = 0

$(conf_dpdk)

$(conf_dpdk_port core "net_af_packet0,iface=vcore,qpairs=$WORKERS" core)

$(conf_dpdk_port inet "net_af_packet1,iface=vinet,qpairs=$WORKERS" inet)

[mape]
role = br
br_address = $BR6
ipv4_port = inet
ipv6_port = core
EOF
	conf_map_rule
} >"$(conf br)"

gws_start "$WORKERS workers running"
a6 br 2001:db8:ff00::2/64 core
a4 br "$BR4/24" inet
r br -6 route add default via 2001:db8:ff00::1
kfwd_snap

check "ping h1 -> srv through CE (AF_XDP) and BR (DPDK)" warm h1 "$SRV4" 10

head -c $((2 << 20)) /dev/urandom >"$RUN/blob"
want=$(sha256sum <"$RUN/blob" | cut -d' ' -f1)
bg srv "$RUN/http.log" /usr/bin/python3 -m http.server -d "$RUN" -b "$SRV4" 8080
check "HTTP server listens" wait_for 15 eval 'nx srv ss -ltn | grep -q 8080'
got=$(nx h1 curl -s --max-time 20 "http://$SRV4:8080/blob" | sha256sum | cut -d' ' -f1)
expect "curl 2 MiB h1 <- srv over MAP-E, sha256" "$got" = "$want"
check "srv saw the CE's shared address 192.0.2.18" grep -q "^192.0.2.18 " "$RUN/http.log"

ctl br -j stats >"$RUN/br.json"
mbr=$(jq '.worker_classes.mape_br // 0' "$RUN/br.json")
expect "BR workers (DPDK) took mape_br packets" "${mbr:-0}" -ge 20
for g in ce1 br; do
	expect "$g: the kernel forwarded nothing" "$(kfwd "$g")" = "${KF0[$g]}"
	check "genkand $g alive" kill -0 "${GKPID[$g]}"
done

summary
