#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# MAP-E (RFC 7597) end to end: IPv4 hosts behind two genkan CEs, an
# IPv6-only network, a genkan BR, an IPv4 server. The CEs' and the BR's
# kernels forward nothing: every packet across them is genkan's work.
#
#  h1: IPv4 host              ce1: genkand, role ce              rt: IPv6 router
# +---------------------+    +------------------------------+    (kernel, no IPv4)
# | eth0 198.18.1.2/24  |----| lan 198.18.1.1/24            |    +----------------+
# |      192.0.2.18/32  |    |  192.0.2.18/32 via .2        |    |                |
# +---------------------+    |          wan 2001:db8:ff01::2|----| r1 ff01::1/64  |
#  default via 198.18.1.1    +------------------------------+    |                |
#  src 192.0.2.18             eup 2001:db8:12:3400::/56          |                |
#                             -> 192.0.2.18 PSID 0x34            |                |
#  h2: IPv4 host              ce2: genkand, role ce              |                |
# +---------------------+    +------------------------------+    |                |
# | eth0 198.18.2.2/24  |----| lan 198.18.2.1/24            |    |                |
# |      192.0.2.19/32  |    |  192.0.2.19/32 via .2        |    |                |
# +---------------------+    |          wan 2001:db8:ff02::2|----| r2 ff02::1/64  |
#  default via 198.18.2.1    +------------------------------+    |                |
#  src 192.0.2.19             eup 2001:db8:13:3400::/56          |                |
#                             -> 192.0.2.19 PSID 0x34            |                |
#  srv: IPv4 server           br: genkand, role br               |                |
# +---------------------+    +------------------------------+    |                |
# | eth0 203.0.113.2/24 |----| inet 203.0.113.1/24          |    |                |
# +---------------------+    | lo   2001:db8:ffff::1 (BR)   |    |                |
#  default via .1            |         core 2001:db8:ff00::2|----| r0 ff00::1/64  |
#                            +------------------------------+    +----------------+
#  CEs and BR: ::/0 via their rt link (2001:db8:ff0X::1); ip_forward = 0,
#  ipv6 forwarding = 0, 2 workers, 2-queue veths. rt routes
#  2001:db8:12:3400::/56 -> ff01::2, 2001:db8:13:3400::/56 -> ff02::2,
#  2001:db8:ffff::1/128 -> ff00::2. All rt links are 2001:db8:ff0X::/64.
#
# One MAP domain everywhere, the RFC 7597 Appendix A rule: 2001:db8::/40 <->
# 192.0.2.0/24, 16 EA bits, PSID offset 6, FMR. CE2 shares PSID 0x34 with
# CE1 but has its own IPv4 address, so one ICMP id / port pair is valid at
# both ends of the CE1 <-> CE2 mesh path. The IPv4 hosts use their CE's
# MAP IPv4 address themselves (no NAT yet) and only ports of its set. The
# expected addresses and ports come from this script's own RFC 7597
# arithmetic (self-checked against the RFC's numbers), never from genkan.
#
# Checks (each prints PASS/FAIL; the run ends with "N passed, M failed"):
#  - oracle: the RFC 7597 Appendix A numbers; topology: every link answers,
#    and without genkan host1 cannot reach the server (kernel forwarding off)
#  - three genkands start; `genkanctl -j map show` shows their role/domain
#  - ping host1 -> server and server -> host1 with ICMP ids inside the set:
#    all answered, CE1 and BR encap/decap counters grew
#  - an ICMP id outside the set: not answered, CE1 counts port_violation
#  - TCP (HTTP, sha256-checked, MSS clamped to the tunnel) host1 -> server
#    from source ports in the set, and server -> host1 on a port in the set
#  - UDP from a source port outside the set never leaves CE1 (capture on
#    the IPv6 link; port_violation counted); one inside the set arrives
#  - spoofed IPv4-in-IPv6 from the IPv6 network (scapy): wrong port for the
#    outer source -> spoof_port, another CE's outer source -> spoof_addr; the
#    server sees none of them, a well-formed one arrives
#  - CE1 -> CE2 over the FMR (ping and UDP): the outer packets go CE1 -> CE2
#    (captured), the BR's decap/encap/hairpin counters do not move
#  - the gateway kernels forwarded nothing; the genkands are still alive
#
# Environment: GK_BUILD (meson build root, holds ctl/genkand/genkand
# and ctl/genkanctl/genkanctl), E2E_N (echo requests per ping check, default 20),
# E2E_KEEP=1 keeps the run directory with the logs. Needs root, iproute2,
# ethtool, nsenter, iputils ping (-e), curl, tcpdump, jq, /usr/bin/python3
# with scapy.

set -u

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
PY=/usr/bin/python3
TAG=gkm-$$
N=${E2E_N:-20}
K=10		# datagrams per UDP / spoofing check
HTTP_MB=4
WORKERS=2
# -W 5: a loaded box (three poll-mode genkands on few CPUs) may hold a
# reply for a while; a passing run never waits for it.
PING_I=0.02 PING_W=5 WARM_TRIES=5

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_init ip ethtool nsenter ping curl tcpdump jq sha256sum "$PY"
GWS="ce1 ce2 br"
ALLNS="h1 ce1 h2 ce2 rt br srv"

cleanup()
{
	trap - EXIT INT TERM
	teardown 15
}
traps

# ------------------------------------------------------------------ helpers (python)

# The oracle and the traffic tools. The oracle is RFC 7597 §5.1, §5.2 and
# §6 written out with integers, independent of dataplane/map_rule.c.
cat >"$RUN/mape.py" <<'EOF'
import os, socket, sys, time
sys.path.insert(0, os.environ['E2E_LIB'])
from e2e_lib import ce_params, port

def oracle(argv):
    r6, r4, o, a = argv[0], argv[1], int(argv[2]), int(argv[3])
    for i, eup in enumerate(argv[4:], 1):
        v4, psid, k, v6 = ce_params(r6, r4, o, eup)
        m = 16 - a - k
        ranges = ['%d-%d' % (port(a, k, psid, A, 0), port(a, k, psid, A, (1 << m) - 1))
                  for A in range(1, 1 << a)]
        print('CE%d_V4=%s CE%d_PSID=%d CE%d_V6=%s CE%d_NRANGES=%d' %
              (i, v4, i, psid, i, v6, i, len(ranges)))
        print('CE%d_FIRST=%s CE%d_SECOND=%s CE%d_LAST=%s' %
              (i, ranges[0], i, ranges[1], i, ranges[-1]))
        # ports in the set: block A=1, 2, 40; one just outside (next PSID)
        print('CE%d_P1=%d CE%d_P2=%d CE%d_P3=%d CE%d_P4=%d' %
              (i, port(a, k, psid, 1, 0), i, port(a, k, psid, 1, 1),
               i, port(a, k, psid, 2, 0), i, port(a, k, psid, 2, 1)))
        print('CE%d_TCP_LO=%d CE%d_TCP_HI=%d' %
              (i, port(a, k, psid, 40, 0), i, port(a, k, psid, 40, (1 << m) - 1)))
        print('CE%d_OUT=%d' % (i, port(a, k, (psid + 1) % (1 << k), 1, 0)))

# send DST DPORT SPORT COUNT TAG: COUNT datagrams "TAG-i" from SPORT.
def send(argv):
    dst, dport, sport, n, tag = argv[0], int(argv[1]), int(argv[2]), int(argv[3]), argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', sport))
    for i in range(n):
        s.sendto(('%s-%d genkan-mape-e2e' % (tag, i)).encode(), (dst, dport))
        time.sleep(0.002)

# spoof IFACE DSTMAC TAG,COUNT,SRC6,DST6,SRC4,DST4,SPORT,DPORT...:
# IPv4-in-IPv6 UDP, the groups in order (one scapy start for all).
def spoof(argv):
    from scapy.all import Ether, IPv6, IP, UDP, Raw, sendp, get_if_hwaddr
    ifc, dmac = argv[:2]
    pk = []
    for g in argv[2:]:
        tag, n, s6, d6, s4, d4, sp, dp = g.split(',')
        pk += [Ether(src=get_if_hwaddr(ifc), dst=dmac) / IPv6(src=s6, dst=d6, hlim=64) /
               IP(src=s4, dst=d4, ttl=64) / UDP(sport=int(sp), dport=int(dp)) /
               Raw(('%s-%d genkan-mape-e2e' % (tag, i)).encode()) for i in range(int(n))]
    sendp(pk, iface=ifc, verbose=False)

{'oracle': oracle, 'send': send, 'spoof': spoof}[sys.argv[1]](sys.argv[2:])
EOF

# ------------------------------------------------------------------ the rule

R6=2001:db8::/40 R4=192.0.2.0/24 EA=16 OFF=6
EUP1=2001:db8:12:3400::/56 EUP2=2001:db8:13:3400::/56
BR6=2001:db8:ffff::1
SRV4=203.0.113.2 BR4=203.0.113.1

if ! eval "$("$PY" "$RUN/mape.py" oracle $R6 $R4 $EA $OFF $EUP1 $EUP2)"; then
	fail "oracle runs"
	summary
	exit 1
fi
log "CE1: $CE1_V4 PSID $(printf 0x%x "$CE1_PSID") $CE1_V6, ports $CE1_FIRST, $CE1_SECOND ... $CE1_LAST ($CE1_NRANGES ranges)"
log "CE2: $CE2_V4 PSID $(printf 0x%x "$CE2_PSID") $CE2_V6"
# RFC 7597 Appendix A, Example 1 (and the issue): the oracle must agree.
expect "oracle: RFC 7597 example IPv4" "$CE1_V4" = 192.0.2.18
expect "oracle: RFC 7597 example PSID 0x34" "$CE1_PSID" -eq $((0x34))
expect "oracle: RFC 7597 example CE address" "$CE1_V6" = 2001:db8:12:3400:0:c000:212:34
expect "oracle: RFC 7597 example port ranges" \
	"$CE1_NRANGES $CE1_FIRST $CE1_SECOND $CE1_LAST" = "63 1232-1235 2256-2259 64720-64723"
expect "oracle: CE2 is 192.0.2.19 with the same PSID" "$CE2_V4/$CE2_PSID" = "192.0.2.19/52"

# ------------------------------------------------------------------ topology

topo_up()
{
	local n

	ns_up net.ipv6.conf.default.accept_ra=0 || return 1
	veth h1 eth0 ce1 lan && veth h2 eth0 ce2 lan &&
		veth ce1 wan rt r1 && veth ce2 wan rt r2 &&
		veth br core rt r0 && veth br inet srv eth0 || return 1
	peer h1 eth0 && peer h2 eth0 && peer rt r0 && peer rt r1 &&
		peer rt r2 && peer srv eth0 || return 1

	# IPv4 hosts: the CE's MAP address is the host's own; ARP from the
	# link net address.
	for n in 1 2; do
		a4 h$n 198.18.$n.2/24 eth0
		a4 h$n "$(eval echo "\$CE${n}_V4")/32" eth0
		nx h$n sysctl -q -w net.ipv4.conf.all.arp_announce=2 >/dev/null
		a4 ce$n 198.18.$n.1/24 lan
		a6 ce$n 2001:db8:ff0$n::2/64 wan
		a6 rt 2001:db8:ff0$n::1/64 r$n
	done
	a6 rt 2001:db8:ff00::1/64 r0
	a6 br 2001:db8:ff00::2/64 core
	a6 br $BR6/128 lo
	a4 br $BR4/24 inet
	a4 srv $SRV4/24 eth0
	for n in h1:eth0 h2:eth0 ce1:lan ce1:wan ce2:lan ce2:wan rt:r0 rt:r1 \
		rt:r2 br:core br:inet srv:eth0; do
		r "${n%%:*}" link set "${n#*:}" up || return 1
	done
	r h1 route add default via 198.18.1.1 src "$CE1_V4" || return 1
	r h2 route add default via 198.18.2.1 src "$CE2_V4" || return 1
	r ce1 route add "$CE1_V4/32" via 198.18.1.2 dev lan || return 1
	r ce2 route add "$CE2_V4/32" via 198.18.2.2 dev lan || return 1
	r ce1 -6 route add default via 2001:db8:ff01::1 || return 1
	r ce2 -6 route add default via 2001:db8:ff02::1 || return 1
	r rt -6 route add $EUP1 via 2001:db8:ff01::2 || return 1
	r rt -6 route add $EUP2 via 2001:db8:ff02::2 || return 1
	r rt -6 route add $BR6/128 via 2001:db8:ff00::2 || return 1
	r br -6 route add default via 2001:db8:ff00::1 || return 1
	r srv route add default via $BR4 || return 1
	nx rt sysctl -q -w net.ipv6.conf.all.forwarding=1 >/dev/null || return 1
	gws_noforward
}

# ------------------------------------------------------------------ genkand

write_conf()
{
	local g=$1

	mkdir -p /run/genkan
	{
		conf_head "$g" e2e_mape
		echo
		case $g in
		ce*) conf_ce "$([ "$g" = ce1 ] && echo $EUP1 || echo $EUP2)" ;;
		br) conf_br ;;
		esac
		conf_map_rule
	} >"$(conf "$g")"
}

# ------------------------------------------------------------------ MAP counters

# mshow GW FILE: `genkanctl -j map show` of GW into FILE.
mshow() { ctl "$1" -j map show >"$2" 2>"$2.err"; }

# mget FILE KEY: KEY summed over the domains and the unmatched slot of a
# map show snapshot (encap_pkts, decap_pkts, hairpin_pkts, mss_clamped,
# too_big or any other drop reason).
mget()
{
	jq -r --arg k "$2" '
		[(.domains[]?.counters), .unmatched | objects |
		 (.[$k] // .drops[$k]) | numbers] |
		if length == 0 then "NA" else add end
	' "$1" 2>/dev/null || echo NA
}

# mdelta BEFORE AFTER KEY
mdelta()
{
	local a b

	a=$(mget "$1" "$3") b=$(mget "$2" "$3")
	if [[ "$a" =~ ^[0-9]+$ && "$b" =~ ^[0-9]+$ ]]; then
		echo $((b - a))
	else
		echo NA
	fi
}

# snap TAG: map show of every gateway into $S/<gw>.TAG
S=$RUN/stats
mkdir -p "$S"
snap()
{
	local g

	for g in $GWS; do
		mshow "$g" "$S/$g.$1" || echo "# map show $g failed: $(cat "$S/$g.$1.err")"
	done
}

# d GW KEY T0 T1: counter delta of GW between snapshots T0 and T1.
d() { mdelta "$S/$1.$3" "$S/$1.$4" "$2"; }

# ------------------------------------------------------------------ captures and sinks

# IPv4-in-IPv6 as tcpdump filters it.
IPIP6='ip6 and ip6[6] == 4'

# sink_has NAME TAGPREFIX: number of datagrams whose tag starts with it.
sink_n() { grep -c "^$2-" "$RUN/$1.sink" 2>/dev/null; }
sink_has() { [ "$(sink_n "$1" "$2")" -ge "${3:-1}" ]; }

# at_least GW KEY T0 WANT: the live counter grew by WANT since snapshot T0.
at_least()
{
	local g=$1 key=$2 t0=$3 want=$4 dv

	mshow "$g" "$S/$g.live" || return 1
	dv=$(mdelta "$S/$g.$t0" "$S/$g.live" "$key")
	[[ "$dv" =~ ^[0-9]+$ ]] && [ "$dv" -ge "$want" ]
}

# ==================================================================== tests

log "run directory $RUN, build $GK_BUILD"
if ! topo_up; then
	fail "topology comes up"
	summary
	exit 1
fi
pass "topology comes up (7 namespaces)"
check "kernel forwarding is off in ce1, ce2 and br" fwd_off
check "h1 reaches ce1's LAN address" warm h1 198.18.1.1 1
check "h2 reaches ce2's LAN address" warm h2 198.18.2.1 1
check "srv reaches br's IPv4 address" warm srv $BR4 1
check "rt reaches ce1, ce2 and br over IPv6" eval \
	'warm rt 2001:db8:ff01::2 1 && warm rt 2001:db8:ff02::2 1 && warm rt 2001:db8:ff00::2 1'
check "rt routes to the BR address (the kernel holds it on br's lo)" warm rt $BR6 1
if pingn h1 $SRV4 1 -e "$CE1_P1"; then
	fail "without genkan, host1 cannot reach the server"
else
	pass "without genkan, host1 cannot reach the server"
fi
kfwd_snap
log "kernel forward counters at start: ${KF0[*]}"

log "starting genkand in ce1, ce2, br"
for g in $GWS; do
	write_conf "$g"
	out=$("$GKD" -c "$(conf "$g")" --check 2>&1)
	expect "genkand --check accepts the $g config" "$?" -eq 0 || log "$out"
done
gws_start "2 workers running"

snap t0
for g in $GWS; do
	want=ce
	[ "$g" = br ] && want=br
	expect "map show $g: role" "$(jq -r '.role' "$S/$g.t0" 2>/dev/null)" = "$want"
	expect "map show $g: one domain" "$(jq -r '.domains | length' "$S/$g.t0" 2>/dev/null)" -eq 1
done
# genkan's own derivation against the oracle's.
for n in 1 2; do
	eval "want=\$CE${n}_V4/\$CE${n}_PSID/\$CE${n}_V6"
	expect "map show ce$n: IPv4/PSID/CE address as RFC 7597 computes" \
		"$(jq -r '"\(.ce.ipv4)/\(.ce.psid)/\(.ce.ce_ipv6)"' "$S/ce$n.t0" 2>/dev/null)" = "$want"
done

# ---------------------------------------------------------------- ICMP echo
log "ping: ICMP ids inside CE1's set (the id plays the port)"
check "warm-up host1 -> server" warm h1 $SRV4 1 -e "$CE1_P1"
check "warm-up server -> host1" warm srv "$CE1_V4" 1 -e "$CE1_P2"
snap p0
check "ping -n -c $N -e $CE1_P1 host1 -> server, all answered" pingn h1 $SRV4 "$N" -e "$CE1_P1"
check "ping -n -c $N -e $CE1_P3 server -> host1, all answered" pingn srv "$CE1_V4" "$N" -e "$CE1_P3"
snap p1
expect "ce1 encap grew >= 2N" "$(d ce1 encap_pkts p0 p1)" -ge $((2 * N))
expect "ce1 decap grew >= 2N" "$(d ce1 decap_pkts p0 p1)" -ge $((2 * N))
expect "br decap grew >= 2N" "$(d br decap_pkts p0 p1)" -ge $((2 * N))
expect "br encap grew >= 2N" "$(d br encap_pkts p0 p1)" -ge $((2 * N))
expect "ce2 saw none of it (encap)" "$(d ce2 encap_pkts p0 p1)" -eq 0
expect "ce1 dropped nothing for port_violation" "$(d ce1 port_violation p0 p1)" -eq 0
expect "br dropped nothing as spoofed port" "$(d br spoof_port p0 p1)" -eq 0

log "ping with an ICMP id outside CE1's set ($CE1_OUT): CE1 drops it"
snap v0
if pingn h1 $SRV4 3 -e "$CE1_OUT"; then
	fail "ping -n -e $CE1_OUT host1 -> server is not answered"
else
	pass "ping -n -e $CE1_OUT host1 -> server is not answered"
fi
snap v1
expect "ce1 port_violation grew by 3" "$(d ce1 port_violation v0 v1)" -eq 3
expect "br decap did not grow" "$(d br decap_pkts v0 v1)" -eq 0

# ---------------------------------------------------------------- TCP
log "TCP: HTTP ${HTTP_MB} MB each way, ports inside the set, MSS clamped"
mkdir -p "$RUN/www"
head -c $((HTTP_MB * 1024 * 1024)) /dev/urandom >"$RUN/www/blob.bin"
SHA=$(sha256sum "$RUN/www/blob.bin" | cut -d' ' -f1)
bg srv "$RUN/http-srv.log" "$PY" -m http.server --bind $SRV4 --directory "$RUN/www" 8080
bg h1 "$RUN/http-h1.log" "$PY" -m http.server --bind "$CE1_V4" --directory "$RUN/www" "$CE1_P4"
listens() { [ -n "$(nx "$1" ss -Hltn "sport = :$2")" ]; }
check "HTTP servers listen (srv :8080, host1 :$CE1_P4)" eval \
	"wait_for 15 listens srv 8080 && wait_for 15 listens h1 $CE1_P4"
sha_ok() { [ "$(sha256sum "$1" 2>/dev/null | cut -d' ' -f1)" = "$SHA" ]; }
snap t1
nx h1 curl -s -S -f --connect-timeout 20 --max-time 120 \
	--local-port "$CE1_TCP_LO-$CE1_TCP_HI" -o "$RUN/got-h1.bin" \
	"http://$SRV4:8080/blob.bin" 2>"$RUN/curl-h1.err"
check "host1 -> server: HTTP from ports $CE1_TCP_LO-$CE1_TCP_HI, sha256 ok" sha_ok "$RUN/got-h1.bin"
nx srv curl -s -S -f --connect-timeout 20 --max-time 120 -o "$RUN/got-srv.bin" \
	"http://$CE1_V4:$CE1_P4/blob.bin" 2>"$RUN/curl-srv.err"
check "server -> host1: HTTP to port $CE1_P4, sha256 ok" sha_ok "$RUN/got-srv.bin"
snap t2
for f in curl-h1.err curl-srv.err; do
	[ -s "$RUN/$f" ] && log "$f: $(head -c 300 "$RUN/$f")"
done
sz=$((HTTP_MB * 1024 * 1024))
# A 1460-byte tunnel MTU carries at most 1420 payload bytes per segment.
expect "br encap grew >= size/1420 (download to host1)" "$(d br encap_pkts t1 t2)" -ge $((sz / 1420))
expect "ce1 encap grew >= size/1420 (upload from host1)" "$(d ce1 encap_pkts t1 t2)" -ge $((sz / 1420))
expect "SYNs got their MSS clamped (ce1 + br)" \
	$(($(d ce1 mss_clamped t1 t2 | sed 's/NA/-999/') + $(d br mss_clamped t1 t2 | sed 's/NA/-999/'))) -ge 2
expect "nothing too big for the tunnel (ce1)" "$(d ce1 too_big t1 t2)" -eq 0
expect "nothing too big for the tunnel (br)" "$(d br too_big t1 t2)" -eq 0

# ---------------------------------------------------------------- port violation
log "UDP: $K datagrams from port $CE1_OUT (outside the set), then one from $CE1_P2"
sink_start srv srv 9999 || fail "UDP sink on the server listens"
cap_start pv rt r1 "$IPIP6" || fail "capture on rt r1 (CE1's IPv6 link) starts"
snap u0
nx h1 "$PY" "$RUN/mape.py" send $SRV4 9999 "$CE1_OUT" "$K" bad
nx h1 "$PY" "$RUN/mape.py" send $SRV4 9999 "$CE1_P2" 1 good
check "the in-set datagram reaches the server" wait_for 10 sink_has srv good
check "ce1 counted $K port violations" wait_for 10 at_least ce1 port_violation u0 "$K"
PVGOOD="src host $CE1_V6 and dst host $BR6 and ip6[49] == 17 and ip6[60:2] == $CE1_P2"
check "capture on CE1's IPv6 link: the in-set datagram, $CE1_V6 -> $BR6" \
	wait_for 10 cap_has pv "$PVGOOD" 1
cap_stop pv
snap u1
expect "server got none of the out-of-set datagrams" "$(sink_n srv bad)" -eq 0
expect "ce1 port_violation grew by exactly $K" "$(d ce1 port_violation u0 u1)" -eq "$K"
expect "capture on CE1's IPv6 link: no IPIP with inner sport $CE1_OUT" \
	"$(cap_count pv "ip6[6] == 4 and ip6[49] == 17 and ip6[60:2] == $CE1_OUT")" -eq 0

# ---------------------------------------------------------------- spoofing
BRMAC=$(ip -n "$(ns br)" -j link show dev core | jq -r '.[0].address')
log "spoofed IPv4-in-IPv6 from the IPv6 network (scapy in rt, towards $BR6)"
snap s0
# sport: outer source CE1, inner 192.0.2.18 but a port of another PSID.
# saddr: outer source CE2, inner source CE1's address and an in-set port.
# legit: well formed, outer CE1, inner CE1's address and port (last).
nsx rt "$PY" "$RUN/mape.py" spoof r0 "$BRMAC" \
	"sport,$K,$CE1_V6,$BR6,$CE1_V4,$SRV4,$CE1_OUT,9999" \
	"saddr,$K,$CE2_V6,$BR6,$CE1_V4,$SRV4,$CE1_P2,9999" \
	"legit,1,$CE1_V6,$BR6,$CE1_V4,$SRV4,$CE1_P2,9999" 2>"$RUN/scapy.err" ||
	fail "scapy sends the spoofed packets ($(tail -n 1 "$RUN/scapy.err"))"
check "the well-formed one reaches the server" wait_for 10 sink_has srv legit
check "br counted $K spoof_port" wait_for 10 at_least br spoof_port s0 "$K"
check "br counted $K spoof_addr" wait_for 10 at_least br spoof_addr s0 "$K"
snap s1
expect "server got none of the spoofed-port packets" "$(sink_n srv sport)" -eq 0
expect "server got none of the spoofed-address packets" "$(sink_n srv saddr)" -eq 0
expect "br spoof_port grew by exactly $K" "$(d br spoof_port s0 s1)" -eq "$K"
expect "br spoof_addr grew by exactly $K" "$(d br spoof_addr s0 s1)" -eq "$K"
expect "br decap grew by 1 (the well-formed one)" "$(d br decap_pkts s0 s1)" -eq 1

# ---------------------------------------------------------------- FMR mesh
log "CE1 -> CE2 over the FMR: host1 -> $CE2_V4, straight to $CE2_V6"
check "warm-up host1 -> host2" warm h1 "$CE2_V4" 1 -e "$CE1_P1"
sink_start h2 h2 "$CE2_P2" || fail "UDP sink on host2 listens"
cap_start fmr rt r2 "$IPIP6" || fail "capture on rt r2 (CE2's IPv6 link) starts"
snap f0
check "ping -n -c $N -e $CE1_P1 host1 -> host2, all answered" pingn h1 "$CE2_V4" "$N" -e "$CE1_P1"
nx h1 "$PY" "$RUN/mape.py" send "$CE2_V4" "$CE2_P2" "$CE1_P3" "$K" mesh
check "host2 got all $K datagrams from host1" wait_for 10 sink_has h2 mesh "$K"
wait_for 10 cap_has fmr "src host $CE2_V6 and dst host $CE1_V6" "$N"
wait_for 10 cap_has fmr "src host $CE1_V6 and dst host $CE2_V6" $((N + K))
cap_stop fmr
snap f1
expect "ce1 encap grew >= N + K" "$(d ce1 encap_pkts f0 f1)" -ge $((N + K))
expect "ce2 decap grew >= N + K" "$(d ce2 decap_pkts f0 f1)" -ge $((N + K))
expect "ce2 encap grew >= N (echo replies)" "$(d ce2 encap_pkts f0 f1)" -ge "$N"
for c in decap_pkts encap_pkts hairpin_pkts; do
	expect "br $c did not move (not via the BR)" "$(d br $c f0 f1)" -eq 0
done
expect "capture on CE2's link: IPIP $CE1_V6 -> $CE2_V6" \
	"$(cap_count fmr "src host $CE1_V6 and dst host $CE2_V6")" -ge $((N + K))
expect "capture on CE2's link: IPIP $CE2_V6 -> $CE1_V6 (replies)" \
	"$(cap_count fmr "src host $CE2_V6 and dst host $CE1_V6")" -ge "$N"
expect "capture on CE2's link: nothing from the BR address" \
	"$(cap_count fmr "src host $BR6")" -eq 0

# ---------------------------------------------------------------- the end
for g in $GWS; do
	read -r a4 a6 <<<"${KF0[$g]}"
	read -r b4 b6 <<<"$(kfwd "$g")"
	expect "$g kernel forwarded no IPv4 (ForwDatagrams)" $((b4 - a4)) -eq 0
	expect "$g kernel forwarded no IPv6 (Ip6OutForwDatagrams)" $((b6 - a6)) -eq 0
done
check "kernel forwarding still off in ce1, ce2 and br" fwd_off
for g in $GWS; do
	check "genkand $g still running" kill -0 "${GKPID[$g]}"
done
if [ -n "${E2E_KEEP:-}" ] || [ "$NFAIL" -gt 0 ]; then
	for g in $GWS; do
		echo "# genkanctl map show ($g)"
		ctl "$g" map show 2>&1 | sed 's/^/#   /'
		echo "# genkanctl stats ($g)"
		ctl "$g" stats 2>&1 | sed 's/^/#   /'
	done
fi

summary
