#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# ICMP errors about front door flows (issue #11, docs/l4.md "ICMP errors")
# end to end, judged by real kernels: the client's UDP socket learns the
# tunnel MTU from the fragmentation needed the door builds, and gets
# ECONNREFUSED from a port unreachable the backend sends; neither would
# happen if the quote named the backend, which the client never talked to.
# An error from the internet about a reply reaches the backend through the
# tunnel, quoting the backend's own address:port.
#
#  cl: client (and an         fd: genkand front door (ip_forward = 0)
#      internet router)      +--------------------------------------------+
# +------------------+       | wan 198.51.100.1/24                        |
# | eth0             |-------|   [l4-service echo] 203.0.113.10:5300 udp  |
# | 198.51.100.2/24  |       |   [l4-service shut] 203.0.113.10:5301 udp  |
# +------------------+       | inet 192.0.2.1/24, [wireguard] mtu 1400    |
#  default via .1            +--------------------------------------------+
#                                               | WireGuard, 192.0.2.0/24
#                            +--------------------------------------------+
#                            | hm: home, wireguard-go "wgi<pid>"          |
#                            | wgi 198.18.8.2, .3 /24; socat echo on .2:  |
#                            | 5300, nothing on .3; from 198.18.8.0/24 -> |
#                            | wgi (docs/l4.md's policy routing)          |
#                            +--------------------------------------------+
#
# Environment: GK_BUILD (meson build root), E2E_KEEP=1 keeps the run dir.

set -u
umask 077

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
TAG=gkic-$$
WGI=wgi$$
WGIFS=$WGI
VIP=203.0.113.10
WORKERS=2

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_init wireguard-go wg socat tcpdump -- ip nsenter jq
GWS="fd"
ALLNS="cl fd hm"

cleanup()
{
	trap - EXIT INT TERM
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
	ns_up || return 1
	veth cl eth0 fd wan && veth fd inet hm inet || return 1
	a4 cl 198.51.100.2/24 eth0
	a4 fd 198.51.100.1/24 wan
	a4 fd 192.0.2.1/24 inet
	a4 hm 192.0.2.2/24 inet
	r cl link set eth0 up && r fd link set wan up && r fd link set inet up &&
		r hm link set inet up || return 1
	r cl route add default via 198.51.100.1 || return 1
	gws_noforward
}

home_up()
{
	wggo hm "$WGI" || return 1
	nx hm wg set "$WGI" private-key "$RUN/hm.key" listen-port 51820 \
		peer "$FDPUB" endpoint 192.0.2.1:51820 persistent-keepalive 1 \
		allowed-ips 0.0.0.0/0 || return 1
	a4 hm 198.18.8.2/24 "$WGI" && a4 hm 198.18.8.3/24 "$WGI" || return 1
	r hm link set "$WGI" mtu 1400 up || return 1
	r hm rule add from 198.18.8.0/24 lookup 100 priority 100 || return 1
	r hm route add default dev "$WGI" table 100 || return 1
	bg hm "$RUN/socat.log" socat UDP4-RECVFROM:5300,bind=198.18.8.2,fork \
		SYSTEM:'cat'
}

write_conf()
{
	cat >"$(conf fd)" <<EOF
[genkan]
instance = $TAG-fd
socket = $(sock fd)
bpffs = $RUN/bpf-fd
workers = $WORKERS

[port wan]
interface = wan

[port inet]
interface = inet

[wireguard]
PrivateKeyFile = $RUN/fd.key
ListenPort = 51820
port = inet
mtu = 1400

[wireguard-peer home]
PublicKey = $HMPUB
AllowedIPs = 198.18.8.0/24

[l4-service echo]
listen = $VIP:5300
proto = udp
backend = 198.18.8.2

[l4-service shut]
listen = $VIP:5301
proto = udp
backend = 198.18.8.3
EOF
}

cnt() { ctl fd -j l4 show | jq -r ".counters.$1"; }

log "topology"
topo_up || { fail "topology"; summary; exit 1; }
home_up || { fail "wireguard-go and socat at home"; summary; exit 1; }
write_conf
read -r KF4_0 _ <<<"$(kfwd fd)"
gk_start fd
gw_ready fd "workers running" || { summary; exit 1; }
hs_up() { [ "$(nx hm wg show "$WGI" latest-handshakes | awk '{print $2}')" -gt 0 ]; }
check "the tunnel is up (a handshake with wireguard-go)" wait_for 15 hs_up
# the first reply may meet an unresolved neighbour (no_neigh) at the door
echo_ok() { [ "$(echo hello | nx cl timeout 3 socat -t 1 - UDP4:$VIP:5300 2>&1)" = hello ]; }
check "UDP echo through the front door" wait_for 15 echo_ok

# ------------------------------------------------------- the tunnel MTU
log "a 1500-byte DF datagram: the door's fragmentation needed (MTU 1400)"
# ICMP from the listen address, quoting the listen address:5300
cap_start frag cl eth0 "icmp and src host $VIP and icmp[0] = 3 and icmp[1] = 4 and icmp[6:2] = 1400 and icmp[24:4] = 0xcb00710a and icmp[30:2] = 5300"
o0=$(cnt icmp_out)
nsx cl /usr/bin/python3 - "$VIP" >"$RUN/pmtu.log" 2>&1 <<'PY'
import errno, socket, sys, time
IP_MTU_DISCOVER, IP_PMTUDISC_DO, IP_MTU = 10, 2, 14
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)
s.connect((sys.argv[1], 5300))
s.settimeout(2)
print("mtu before", s.getsockopt(socket.IPPROTO_IP, IP_MTU))
s.send(b"b" * 1472)
time.sleep(1)
try:
    s.recv(2000)
    print("big echoed")
except OSError as e:
    print("recv", errno.errorcode.get(e.errno, e.errno))
print("mtu after", s.getsockopt(socket.IPPROTO_IP, IP_MTU))
try:
    s.send(b"b" * 1472)
    print("second big sent")
except OSError as e:
    print("second big", errno.errorcode.get(e.errno, e.errno))
s.send(b"s" * 1372)
print("fits echoed", len(s.recv(2000)))
PY
sed 's/^/#   /' "$RUN/pmtu.log"
check "the client's kernel learned the tunnel MTU (IP_MTU 1400)" \
	grep -qx "mtu after 1400" "$RUN/pmtu.log"
check "... and refuses a second 1500-byte DF datagram (EMSGSIZE)" \
	grep -qx "second big EMSGSIZE" "$RUN/pmtu.log"
check "... while 1400 bytes go through and come back" \
	grep -qx "fits echoed 1372" "$RUN/pmtu.log"
check "the error came from the listen address, quoting listen:5300" \
	wait_for 5 cap_has frag "icmp" 1
cap_stop frag
expect "icmp_out counted it" "$(($(cnt icmp_out) - o0))" -ge 1

# ------------------------------------------------ an error from the backend
log "a port unreachable from the backend reaches the client's socket"
o0=$(cnt icmp_out)
nsx cl /usr/bin/python3 - "$VIP" >"$RUN/refused.log" 2>&1 <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((sys.argv[1], 5301))
s.settimeout(3)
for _ in range(3):
    s.send(b"anyone?")
    try:
        s.recv(100)
        print("answered")
        break
    except ConnectionRefusedError:
        print("refused")
        break
    except socket.timeout:
        print("timeout")
PY
sed 's/^/#   /' "$RUN/refused.log"
check "ECONNREFUSED on the client's UDP socket (quote: listen:5301)" \
	grep -qx refused "$RUN/refused.log"
expect "icmp_out counted it" "$(($(cnt icmp_out) - o0))" -ge 1

# ------------------------------------------- an error from the internet
log "an error from the internet about a reply goes to the backend"
cap_start home hm "$WGI" "icmp and dst host 198.18.8.2 and icmp[0] = 3 and icmp[1] = 4 and icmp[20:4] = 0xc6120802 and icmp[28:2] = 5300 and icmp[24:4] = 0xc6336402"
i0=$(cnt icmp_in)
nsx cl /usr/bin/python3 - "$VIP" >"$RUN/inet.log" 2>&1 <<'PY'
import sys
from scapy.all import ICMP, IP, UDP, Raw, send, conf
conf.verb = 0
vip = sys.argv[1]
reply = IP(src=vip, dst="198.51.100.2", ttl=60) / UDP(sport=5300, dport=40999) / Raw(b"r" * 1300)
send(IP(src="198.51.100.2", dst=vip) / ICMP(type=3, code=4, nexthopmtu=1280) /
     Raw(bytes(reply)[:548]))
PY
check "the backend got it, quoting its own 198.18.8.2:5300 (through the tunnel)" \
	wait_for 5 cap_has home "icmp" 1
cap_stop home
expect "icmp_in counted it" "$(($(cnt icmp_in) - i0))" = 1
expect "nothing counted as icmp_bad" "$(cnt icmp_bad)" = 0

read -r KF4_1 _ <<<"$(kfwd fd)"
expect "the front door's kernel forwarded nothing" $((KF4_1 - KF4_0)) = 0
check "genkand still running" kill -0 "${GKPID[fd]}"

summary
