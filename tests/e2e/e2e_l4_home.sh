#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The front door's home side on a genkan home gateway (issue #11,
# [wireguard-peer] return_path = flow): a genkan front door DNATs an
# internet client's HTTP to a LAN server at home and seals it into
# WireGuard with the client's real address; the genkan home gateway
# decrypts it, remembers the flow, and seals the server's replies back to
# the door although its AllowedIPs for the door hold the door's tunnel
# address only and its default route points at an ISP. The oracles are
# curl (sha256 of the body), nginx's access log, tcpdump at the ISP, the
# gateways' kernel counters and genkanctl's.
#
#  cl: client            fd: genkand front door       hm: genkand home gateway
# +-----------------+   +-------------------------+   +-------------------------+
# | eth0            |---| wan 198.51.100.1/24     |   | lan 198.18.9.1/24       |---+
# | 198.51.100.2/24 |   | [l4-service web]        |   | [wireguard-peer door]   |   |
# +-----------------+   |  203.0.113.10:80 tcp -> |   |  AllowedIPs 198.18.0.1  |   |
#  default via .1       |  198.18.9.10:80         |   |  return_path = flow     |   |
#                       | inet 192.0.2.1/24       |---| wan 192.0.2.2/24        |   |
#                       | [wireguard-peer home]   |   | ext 198.19.0.1/24       |   |
#                       |  AllowedIPs 198.18.9/24 |   | default via 198.19.0.254|   |
#                       +-------------------------+   +-------------------------+   |
#                                                       | ext                       |
#                       isp: 198.19.0.254/24 (eth0) ----+   sv: 198.18.9.10/24 -----+
#                       tcpdump: must see no reply          nginx :80, default via .1
#
# Checks: curl from the client gets a 1 MiB body with the right sha256;
# UDP to a closed port at home comes back as port unreachable (the
# server's ICMP error sealed to the door as part of the flow);
# nginx logs the client's own address; the ISP sees none of the server's
# replies (and does see the positive control); the home gateway learned
# the flows, told its other worker of them and sealed the replies (wg
# show -j return_path counters). Both gateways run two workers.
# Then the home gateway restarts without return_path: curl fails, the
# client's packets are dropped by cryptokey routing (allowedips), nothing
# reaches the server. Neither gateway's kernel forwarded anything.
#
# Environment: GK_BUILD (meson build root), E2E_KEEP=1 keeps the run dir.

set -u
umask 077

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
TAG=gkhm-$$
WORKERS=2
VIP=203.0.113.10
SRV=198.18.9.10
CLI=198.51.100.2

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_init nginx wg -- ip nsenter curl jq sha256sum tcpdump
GWS="fd hm"
ALLNS="cl fd hm sv isp"

cleanup()
{
	trap - EXIT INT TERM
	[ -s "$RUN/nginx.pid" ] && kill "$(cat "$RUN/nginx.pid")" 2>/dev/null
	teardown 30
}
traps

for k in fd hm; do
	wg genkey >"$RUN/$k.key"
	wg pubkey <"$RUN/$k.key" >"$RUN/$k.pub"
done
FDPUB=$(cat "$RUN/fd.pub") HMPUB=$(cat "$RUN/hm.pub")

topo_up()
{
	local n

	ns_up || return 1
	# two queues per link: two workers per gateway, so the door's packets
	# and the server's replies need not meet on one worker
	veth cl eth0 fd wan && veth fd inet hm wan && veth hm lan sv eth0 &&
		veth hm ext isp eth0 || return 1
	peer cl eth0 && peer sv eth0 && peer isp eth0 || return 1
	a4 cl $CLI/24 eth0
	a4 fd 198.51.100.1/24 wan
	a4 fd 192.0.2.1/24 inet
	a4 hm 192.0.2.2/24 wan
	a4 hm 198.18.9.1/24 lan
	a4 hm 198.19.0.1/24 ext
	a4 sv $SRV/24 eth0
	a4 isp 198.19.0.254/24 eth0
	for n in cl:eth0 fd:wan fd:inet hm:wan hm:lan hm:ext sv:eth0 isp:eth0; do
		r "${n%%:*}" link set "${n#*:}" up || return 1
	done
	r cl route add default via 198.51.100.1 || return 1
	r sv route add default via 198.18.9.1 || return 1
	# the home's internet: everything not more specific goes to the ISP
	r hm route add default via 198.19.0.254 || return 1
	r isp route add 198.18.9.0/24 via 198.19.0.1 || return 1
	gws_noforward
}

server_up()
{
	mkdir -p "$RUN/www"
	head -c 1048576 /dev/urandom >"$RUN/www/big"
	SHA=$(sha256sum <"$RUN/www/big" | cut -d' ' -f1)
	{
		echo "worker_processes 1; pid $RUN/nginx.pid; error_log $RUN/nginx.err;"
		echo "events { worker_connections 64; }"
		echo "http { log_format home '\$remote_addr \$remote_port';"
		echo "  access_log $RUN/access.log home;"
		echo "  client_body_temp_path $RUN; proxy_temp_path $RUN; fastcgi_temp_path $RUN;"
		echo "  uwsgi_temp_path $RUN; scgi_temp_path $RUN;"
		echo "  server { listen $SRV:80; root $RUN/www; }"
		echo "}"
	} >"$RUN/nginx.conf"
	chmod 755 "$RUN" "$RUN/www"
	chmod 644 "$RUN/www/big"
	: >"$RUN/access.log"
	nx sv nginx -c "$RUN/nginx.conf" -g 'user root;'
}

conf_fd()
{
	conf_head fd "front door"
	cat <<EOF

[port wan]
interface = wan

[port inet]
interface = inet

[wireguard]
PrivateKeyFile = $RUN/fd.key
ListenPort = 51820
port = inet

[wireguard-peer home]
PublicKey = $HMPUB
AllowedIPs = 198.18.9.0/24
Endpoint = 192.0.2.2:51820

[l4-service web]
listen = $VIP:80
proto = tcp
backend = $SRV:80
health = none

[l4-service closed]
listen = $VIP:5353
proto = udp
backend = $SRV:5353
health = none
EOF
}

# conf_hm RETURN_PATH_LINE
conf_hm()
{
	conf_head hm "home gateway"
	cat <<EOF

[port wan]
interface = wan

[port lan]
interface = lan

[port ext]
interface = ext

[wireguard]
PrivateKeyFile = $RUN/hm.key
ListenPort = 51820
port = wan

[wireguard-peer door]
PublicKey = $FDPUB
AllowedIPs = 198.18.0.1/32
Endpoint = 192.0.2.1:51820
PersistentKeepalive = 5
$1
EOF
}

ccurl() { nx cl curl -sS --max-time "${CURL_MAX:-20}" "$@"; }
big_ok() { [ "$(ccurl "http://$VIP/big" | sha256sum | cut -d' ' -f1)" = "$SHA" ]; }
hs_done() { [ "$(ctl hm -j wg show | jq -r '.peers[0].latest_handshake')" -gt 0 ]; }
rp() { ctl hm -j wg show | jq -r ".return_path.$1"; }

log "topology"
topo_up || { fail "topology"; summary; exit 1; }
server_up || { fail "nginx on the LAN server"; summary; exit 1; }
conf_fd >"$(conf fd)"
kfwd_snap

# ------------------------------------------------------ return_path = flow
conf_hm "return_path = flow" >"$(conf hm)"
out=$(ip netns exec "$(ns hm)" "$GKD" --check -c "$(conf hm)" 2>&1)
expect "--check accepts the home gateway config" "$?" = 0
gws_start "worker running"
check "the tunnel is up (a handshake between the gateways)" wait_for 20 hs_done
expect "wg show: the door's return_path is flow" \
	"$(ctl hm -j wg show | jq -r '.peers[0].return_path')" = flow
wg_says_flow() { ctl hm wg show | grep -q '^  return path: flow$'; }
check "... and genkanctl wg show says so" wg_says_flow

cap_start isp isp eth0 "icmp or tcp" || fail "tcpdump at the ISP"

log "HTTP through the front door to the home server"
check "curl: 1 MiB with the right sha256 (8 connections)" big_ok
for k in 1 2 3 4 5 6 7; do big_ok || fail "curl $k"; done
check "nginx logged the client's own address ($CLI)" \
	grep -q "^$CLI " "$RUN/access.log"
check "... and no other" bash -c '! grep -qv "^$1 " "$2"' _ "$CLI" "$RUN/access.log"
expect "the home gateway learned the flows" "$(rp learned)" -ge 8
expect "... accepted the client's packets (foreign_src)" "$(rp foreign_src)" -ge 4
expect "... and sealed the server's replies back to the door" "$(rp hits)" -ge 700
expect "... closed flows seen (FIN)" "$(rp closed)" -ge 8
expect "the decrypting worker told the other worker of each flow" "$(rp shared)" -ge 8
expect "... which took them in" "$(rp synced)" = "$(rp shared)"
# One worker owns the door's keypair and decrypts everything; the
# server's replies of 8 connections reach both workers (RSS), so those on
# the other worker were sealed from what it was told (the ISP got none).
lanrx() { ctl hm -j stats | jq -r "[.ports[] | select(.name == \"lan\" and .worker == $1) | .rx_packets] | add"; }
expect "worker 0 took server replies on lan" "$(lanrx 0)" -ge 100
expect "worker 1 took server replies on lan" "$(lanrx 1)" -ge 100

# Nothing listens on the server's UDP 5353: its kernel answers port
# unreachable to the client, which the home gateway seals back as part of
# the flow and the door translates; the client's connected socket hears it.
refused()
{
	nx cl /usr/bin/python3 - "$VIP" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], 5353))
for _ in range(3):
    s.send(b"anyone?")
    try:
        s.recv(100)
    except ConnectionRefusedError:
        sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
PY
}
h0=$(rp hits)
check "UDP to a closed port at home: the client gets port unreachable" refused
expect "... sealed back to the door as part of the flow" "$(( $(rp hits) - h0 ))" -ge 1

# positive control: the ISP capture works (the server pings the ISP)
check "the server reaches the ISP (positive control)" \
	nx sv ping -n -q -c 2 -i 0.2 -W 3 198.19.0.254
check "... which the ISP capture holds" wait_for 10 cap_has isp "icmp" 2
cap_stop isp
expect "the ISP saw none of the server's replies" \
	"$(cap_count isp "tcp and src host $SRV")" = 0
expect "... nor anything for the client" "$(cap_count isp "dst host $CLI")" = 0

acct_check hm	# this instance's accounting; teardown checks the next one
stop_pid "${GKPID[hm]}" TERM
GKPID[hm]=""

# ------------------------------------------------------ without return_path
log "the home gateway again, without return_path"
conf_hm "" >"$(conf hm)"
: >"$RUN/access.log.2"
lines0=$(wc -l <"$RUN/access.log")
gk_start hm || fail "bpffs for hm"
check "genkand hm starts again" gk_ready hm
check "the tunnel is up again" wait_for 20 hs_done
expect "wg show: the door's return_path is allowed-ips" \
	"$(ctl hm -j wg show | jq -r '.peers[0].return_path')" = allowed-ips
wg_says_none() { ctl hm wg show | grep -q '^peer: ' && ! wg_says_flow; }
check "... and genkanctl wg show names none" wg_says_none
CURL_MAX=5
out=$(ccurl "http://$VIP/big" 2>&1 >/dev/null)
expect "curl fails without return_path" "$?" != 0
expect "the client's packets were dropped by cryptokey routing" \
	"$(ctl hm -j wg show | jq -r .drops.allowedips)" -ge 1
expect "no flow was learned" "$(rp learned)" = 0
expect "nginx saw no new request" "$(wc -l <"$RUN/access.log")" = "$lines0"

for g in fd hm; do
	read -r a b <<<"$(kfwd "$g")"
	read -r a0 b0 <<<"${KF0[$g]}"
	expect "the $g kernel forwarded nothing" "$((a - a0 + b - b0))" = 0
done
check "genkand fd still running" kill -0 "${GKPID[fd]}"
check "genkand hm still running" kill -0 "${GKPID[hm]}"

summary
