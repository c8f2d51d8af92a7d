#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# WireGuard (issue #5) end to end: a genkan "front door" against Debian's
# wireguard-go + wg(8) as real peers, and against a second genkan. The
# independent oracles are wireguard-go itself, wg(8), tcpdump captures,
# scapy and python's hashlib (mac1); never genkan's own code.
#
#  hh: home host          hp: home peer (wireguard-go "wgh<pid>")
# +-----------------+    +--------------------------------------+
# | eth0 198.18.1.2 |----| lan 198.18.1.1/24   ip_forward = 1   |
# +-----------------+    | wgh 198.18.100.2/24 2001:db8:100::2  |
#  default via .1        | inet 203.0.113.2/24 2001:db8:ff::2   |--+
#                        +--------------------------------------+  |
#  hq: 2nd wg-go peer "wgq<pid>": inet 203.0.113.5, 2001:db8:ff::5 |  ix: "internet"
#      wgq 198.18.200.2/24 (+ 198.18.100.99/32 for spoofing) ------+  bridge br0
#      no endpoint for genkan: genkan initiates, over IPv6          |  203.0.113.250
#                                                                   |  (scapy flood)
#  fd: genkand front door     srv: server                          |
# +--------------------------+  +---------------------+            |
# | inet 203.0.113.1/24      |--+                     |            |
# |      2001:db8:ff::1/64   |  | eth0 198.51.100.2   |            |
# | lan 198.51.100.1/24      |--| 2001:db8:51::2/64   |            |
# |     2001:db8:51::1/64    |  +---------------------+            |
# +--------------------------+   default via .1                    |
#  fd2: second genkand, inet 203.0.113.4, lan 198.18.3.1/24 -------+
#  h3: host behind fd2, 198.18.3.2
#
# fd and fd2 forward nothing in the kernel (ip_forward = 0): every tunnel
# packet through them is genkan's work.
#
# Checks (PASS/FAIL lines, "N passed, M failed" at the end):
#  - responder: wireguard-go (home) initiates; ping both ways (IPv4 from
#    hp and hh, IPv6 inner); iperf3 TCP both directions; genkan's and
#    wg-go's `wg show` views agree (handshake, endpoint, rx/tx)
#  - initiator: genkan initiates towards hq (wg-go has no endpoint), over
#    an IPv6 outer; the type-1 packet comes from genkan (captured); the
#    very first ping passes (genkan stages it during the handshake)
#  - forced rekey: the peer is removed and re-added on wg-go's side during
#    a running iperf3; a new initiation is captured, iperf3 completes
#  - replay: one captured type-4 packet re-sent by scapy is not delivered
#    again (UDP sink) and genkan counts it
#  - AllowedIPs: hq sends from 198.18.100.99 (home's range): the server
#    sees nothing, genkan counts it; hq's own address passes
#  - roaming: hp's outer address, then its port, change; genkan's endpoint
#    follows and server -> home traffic reaches the new endpoint
#  - handshake flood: scapy initiations with a valid mac1 (python hashlib)
#    and a bad mac2 from 64 sources: genkand answers cookie replies
#    (type 3, 64 B, captured), status answers, the tunnel keeps working
#  - wrong lengths: datagrams of each wrong size by type (1: 100/149 B,
#    2: 50 B, 3: 63 B, 4: 20 B), unknown types, 0 and 3 bytes: each
#    `wg show -j` counter grows by exactly what was sent
#  - genkan <-> genkan: h3 (behind fd2) <-> server, ping and iperf3; the
#    first ping over the fresh tunnel passes (staged on both sides), and
#    wg show -j counts it staged and sent
#  - fd's own outer address changes: the workers seal from the new one
#    (wg-go's endpoint for genkan follows), traffic keeps flowing
#  - kernels of fd/fd2 forwarded nothing; genkands still alive
#
# Environment: GK_BUILD (meson build root), E2E_KEEP=1 keeps the run dir.
# Needs root, iproute2, ethtool, nsenter, ping, iperf3, tcpdump, jq,
# wireguard-go, wg and /usr/bin/python3 with scapy.

set -u
umask 077		# keys and captures are root's only

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
PY=/usr/bin/python3
TAG=${E2E_TAG:-gkw}-$$	# E2E_TAG: namespace prefix of parallel runs
N=10			# echo requests per ping check
FLOOD=3000		# forged initiations
BADN=20			# datagrams of each wrong length / type
IPERF_S=4		# seconds per iperf3 run
# Two workers: type-4 data for a keypair that lands on the other worker's
# queue takes the handoff ring (docs/wireguard.md, Workers).
WORKERS=${E2E_WG_WORKERS:-2}
WGH=wgh$$		# wireguard-go interface names: unique per run, the
WGQ=wgq$$		# UAPI socket directory is shared by all namespaces
WGIFS="$WGH $WGQ"
PING_I=0.05 PING_W=5 WARM_TRIES=6

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_init wireguard-go wg -- ip ethtool nsenter ping iperf3 tcpdump jq "$PY"
GWS="fd fd2"
ALLNS="hh hp hq ix fd srv fd2 h3"

cleanup()
{
	trap - EXIT INT TERM
	# Debugging: E2E_HOLD=FILE keeps the namespaces up while FILE exists.
	while [ -n "${E2E_HOLD:-}" ] && [ -e "$E2E_HOLD" ]; do
		sleep 1
	done
	teardown 20
}
traps

# ------------------------------------------------------------------ python helpers

cat >"$RUN/wg.py" <<'EOF'
import os, socket, sys
sys.path.insert(0, os.environ['E2E_LIB'])
from e2e_lib import flood

# flood: e2e_lib.py's, its random contents from seed 5.

# send DST PORT TAG SIZE: one datagram "TAG pad..." of SIZE bytes.
def send(argv):
    dst, port, tag, size = argv[0], int(argv[1]), argv[2], int(argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b = (tag + ' ').encode()
    s.sendto(b + b'x' * (size - len(b)), (dst, port))

# replay PCAP IFACE: re-send every frame of PCAP as is on IFACE.
def replay(argv):
    from scapy.all import rdpcap, sendp
    pk = rdpcap(argv[0])
    sendp(pk, iface=argv[1], verbose=False)
    print(len(pk))

# badlen DST PORT COUNT: COUNT datagrams of each kind WireGuard (the
# whitepaper's sizes) does not accept: type 1 of 100 and of 149 B, type 2
# of 50 B, type 3 of 63 B, type 4 of 20 B, type 7 and a type 1 with a
# reserved byte set, 3 and 0 bytes.
def badlen(argv):
    dst, port, n = argv[0], int(argv[1]), int(argv[2])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    kinds = [bytes([1, 0, 0, 0]) + bytes(96), bytes([1, 0, 0, 0]) + bytes(145),
             bytes([2, 0, 0, 0]) + bytes(46), bytes([3, 0, 0, 0]) + bytes(59),
             bytes([4, 0, 0, 0]) + bytes(16), bytes([7, 0, 0, 0]) + bytes(36),
             bytes([1, 0, 1, 0]) + bytes(144), b'\x01\x00\x00', b'']
    for _ in range(n):
        for k in kinds:
            s.sendto(k, (dst, port))

{'send': send, 'replay': replay, 'badlen': badlen,
 'flood': lambda a: flood(a, 5)}[sys.argv[1]](sys.argv[2:])
EOF

# ------------------------------------------------------------------ keys (wg(8))

for k in fd fd2 hp hq; do
	wg genkey >"$RUN/$k.key"
	wg pubkey <"$RUN/$k.key" >"$RUN/$k.pub"
done
wg genpsk >"$RUN/home.psk"
wg genpsk >"$RUN/g2g.psk"
FDPUB=$(cat "$RUN/fd.pub") FD2PUB=$(cat "$RUN/fd2.pub")
HPPUB=$(cat "$RUN/hp.pub") HQPUB=$(cat "$RUN/hq.pub")

# ------------------------------------------------------------------ topology

# Links to genkan get one queue per worker: veth QUEUES is WORKERS.
topo_up()
{
	local n p

	ns_up net.ipv6.conf.default.accept_ra=0 || return 1
	r ix link add br0 type bridge || return 1
	veth hh eth0 hp lan && veth hp inet ix p-hp && veth hq inet ix p-hq &&
		veth fd inet ix p-fd "$WORKERS" && veth fd2 inet ix p-fd2 "$WORKERS" &&
		veth fd lan srv eth0 "$WORKERS" && veth h3 eth0 fd2 lan "$WORKERS" ||
		return 1
	for p in p-hp p-hq p-fd p-fd2; do
		r ix link set "$p" master br0 && r ix link set "$p" up || return 1
		peer ix "$p"
	done
	peer hh eth0 && peer hp lan && peer hp inet && peer hq inet &&
		peer srv eth0 && peer h3 eth0
	r ix link set br0 up
	a4 ix 203.0.113.250/24 br0
	a6 ix 2001:db8:ff::250/64 br0
	# Flood sources: real addresses, so the cookie replies resolve (ARP).
	for n in $(seq 100 163); do
		a4 ix 203.0.113.$n/32 br0 || return 1
	done

	a4 hh 198.18.1.2/24 eth0
	a4 hp 198.18.1.1/24 lan
	a4 hp 203.0.113.2/24 inet
	a6 hp 2001:db8:ff::2/64 inet
	a4 hq 203.0.113.5/24 inet
	a6 hq 2001:db8:ff::5/64 inet
	a4 fd 203.0.113.1/24 inet
	a6 fd 2001:db8:ff::1/64 inet
	a4 fd 198.51.100.1/24 lan
	a6 fd 2001:db8:51::1/64 lan
	a4 srv 198.51.100.2/24 eth0
	a6 srv 2001:db8:51::2/64 eth0
	a4 fd2 203.0.113.4/24 inet
	a4 fd2 198.18.3.1/24 lan
	a4 h3 198.18.3.2/24 eth0
	for n in hh:eth0 hp:lan hp:inet hq:inet fd:inet fd:lan srv:eth0 \
		fd2:inet fd2:lan h3:eth0; do
		r "${n%%:*}" link set "${n#*:}" up || return 1
	done
	r hh route add default via 198.18.1.1 || return 1
	r srv route add default via 198.51.100.1 || return 1
	r srv -6 route add default via 2001:db8:51::1 || return 1
	# h3 follows docs/wireguard.md (MTU): its route into the tunnel
	# carries the tunnel MTU, so its TCP advertises a fitting MSS.
	r h3 route add default via 198.18.3.1 mtu 1420 || return 1
	nx hp sysctl -q -w net.ipv4.ip_forward=1 \
		net.ipv4.conf.all.promote_secondaries=1 >/dev/null || return 1
	gws_noforward
}

# ------------------------------------------------------------------ wireguard-go

wg_up()
{
	wggo hp "$WGH" || return 1
	wgx hp set "$WGH" private-key "$RUN/hp.key" listen-port 51820 \
		peer "$FDPUB" preshared-key "$RUN/home.psk" \
		allowed-ips 198.51.100.0/24,2001:db8:51::/64 \
		endpoint 203.0.113.1:51820 || return 1
	a4 hp 198.18.100.2/24 "$WGH"
	a6 hp 2001:db8:100::2/64 "$WGH"
	r hp link set "$WGH" up || return 1
	r hp route add 198.51.100.0/24 dev "$WGH" || return 1
	r hp -6 route add 2001:db8:51::/64 dev "$WGH" || return 1

	# hq knows no endpoint: only genkan can start this session.
	wggo hq "$WGQ" || return 1
	wgx hq set "$WGQ" private-key "$RUN/hq.key" listen-port 51820 \
		peer "$FDPUB" allowed-ips 198.51.100.0/24 || return 1
	a4 hq 198.18.200.2/24 "$WGQ"
	a4 hq 198.18.100.99/32 "$WGQ"
	r hq link set "$WGQ" up || return 1
	r hq route add 198.51.100.0/24 dev "$WGQ" src 198.18.200.2 || return 1
}

# ------------------------------------------------------------------ genkand

write_conf()
{
	local g=$1

	mkdir -p /run/genkan
	{
		conf_head "$g" e2e_wg
		cat <<EOF

[port inet]
interface = inet

[port lan]
interface = lan

[wireguard]
PrivateKeyFile = $RUN/$g.key
ListenPort = 51820
port = inet
mtu = 1420
EOF
	} >"$(conf "$g")"
	case $g in
	fd)
		cat >>"$(conf "$g")" <<EOF

# pasted from a wg-quick [Peer] block: no Endpoint, the home peer calls in
[wireguard-peer home]
PublicKey = $HPPUB
PresharedKey = $(cat "$RUN/home.psk")
AllowedIPs = 198.18.100.2/32, 198.18.1.0/24, 2001:db8:100::/64

[wireguard-peer hq]
PublicKey = $HQPUB
AllowedIPs = 198.18.200.2/32
Endpoint = [2001:db8:ff::5]:51820

[wireguard-peer fd2]
PublicKey = $FD2PUB
PresharedKey = $(cat "$RUN/g2g.psk")
AllowedIPs = 198.18.3.0/24
Endpoint = 203.0.113.4:51820
EOF
		;;
	fd2)
		# fd2 seals with OpenSSL, fd with the default (auto): the
		# genkan <-> genkan checks cross the two AEAD implementations.
		cat >>"$(conf "$g")" <<EOF
crypto = openssl

[wireguard-peer fd]
PublicKey = $FDPUB
PresharedKey = $(cat "$RUN/g2g.psk")
AllowedIPs = 198.51.100.0/24
Endpoint = 203.0.113.1:51820
EOF
		;;
	esac
}

# ------------------------------------------------------------------ wg show -j

S=$RUN/stats
mkdir -p "$S"
# wshow GW TAG: `genkanctl -j wg show` of GW into $S/GW.TAG
wshow() { ctl "$1" -j wg show >"$S/$1.$2" 2>"$S/$1.$2.err"; }

# wpeer FILE PUB FIELD: FIELD of the peer with public key PUB.
wpeer()
{
	jq -r --arg k "$2" --arg f "$3" '
		[.. | objects | select((.public_key? // .publicKey? // .PublicKey?) == $k)][0] |
		.[$f] // "NA"' "$1" 2>/dev/null || echo NA
}

# wsum FILE REGEX: sum of every numeric value whose key matches REGEX,
# anywhere in the JSON (interface-wide and per-peer drop counters alike).
wsum()
{
	jq -r --arg re "$2" '
		[paths(numbers) as $p | select(($p[-1] | tostring) | test($re)) |
		 getpath($p)] | if length == 0 then "NA" else add end' "$1" 2>/dev/null ||
		echo NA
}

wdelta()
{
	local a b

	a=$(wsum "$S/$1.$3" "$2") b=$(wsum "$S/$1.$4" "$2")
	if [[ "$a" =~ ^[0-9]+$ && "$b" =~ ^[0-9]+$ ]]; then
		echo $((b - a))
	else
		echo NA
	fi
}

# wgrew GW REGEX T0 WANT: live counter grew by WANT since snapshot T0.
wgrew()
{
	local d

	wshow "$1" live || return 1
	d=$(wdelta "$1" "$2" "$3" live)
	[[ "$d" =~ ^[0-9]+$ ]] && [ "$d" -ge "$4" ]
}

# Counter names (regexes over `wg show -j` keys).
C_REPLAY='^replay$'
C_ALLOWED='^allowedips$'
C_STAGED='^staged$'
C_STAGED_SENT='^staged_sent$'
C_STAGED_DROP='^staged_dropped_'

# ------------------------------------------------------------------ captures, sinks

sink_n() { grep -c "^$2 " "$RUN/$1.sink" 2>/dev/null; }
sink_has() { [ "$(sink_n "$1" "$2")" -ge "${3:-1}" ]; }

# iperf3 CLIENT_NS DST [ARGS]: bytes received per iperf3's JSON, or NA.
iperf()
{
	local n=$1 dst=$2 out
	shift 2

	out=$RUN/iperf-$n-$RANDOM.json
	nx "$n" iperf3 -c "$dst" -t "$IPERF_S" -J --connect-timeout 10000 "$@" >"$out" 2>&1 ||
		{ echo NA; return; }
	jq -r '.end.sum_received.bytes // "NA"' "$out" 2>/dev/null || echo NA
}

# ==================================================================== tests

log "run directory $RUN, build $GK_BUILD"
if ! topo_up; then
	fail "topology comes up"
	summary
	exit 1
fi
pass "topology comes up (8 namespaces, internet bridge)"
check "kernel forwarding is off in fd and fd2" fwd_off
check "hp, hq, fd, fd2 reach each other on the internet bridge" eval \
	'warm hp 203.0.113.1 1 && warm hq 203.0.113.1 1 && warm fd2 203.0.113.1 1 &&
	 warm hq 2001:db8:ff::1 1'
check "srv reaches fd's LAN address" warm srv 198.51.100.1 1
check "h3 reaches fd2's LAN address" warm h3 198.18.3.1 1
if ! wg_up; then
	fail "wireguard-go peers come up"
	summary
	exit 1
fi
pass "wireguard-go peers come up ($WGH in hp, $WGQ in hq)"
if pingn hp 198.51.100.2 1 -W 2; then
	fail "without genkan, the home peer cannot reach the server"
else
	pass "without genkan, the home peer cannot reach the server"
fi
# That ping left wg-go retrying its initiation every 5 s (REKEY_TIMEOUT)
# and holding the packet; a fresh peer forgets both, so nothing reaches
# genkan before the responder test sends it.
wgx hp set "$WGH" peer "$FDPUB" remove
wgx hp set "$WGH" peer "$FDPUB" preshared-key "$RUN/home.psk" \
	allowed-ips 198.51.100.0/24,2001:db8:51::/64 endpoint 203.0.113.1:51820
kfwd_snap

log "starting genkand in fd and fd2"
for g in $GWS; do
	write_conf "$g"
	out=$("$GKD" -c "$(conf "$g")" --check 2>&1)
	expect "genkand --check accepts the $g config" "$?" -eq 0 || log "$out"
	if grep -q -F -e "$(cat "$RUN/$g.key")" -e "$(cat "$RUN/home.psk")" \
		-e "$(cat "$RUN/g2g.psk")" <<<"$out"; then
		fail "genkand --check prints no key"
	fi
done
gws_start "$WORKERS worker(s) running"

wshow fd t0
wshow fd2 t0
expect "wg show -j (fd2): crypto = openssl is what the workers use" \
	"$(jq -r '.crypto // "NA"' "$S/fd2.t0" 2>/dev/null)" = openssl
case $(jq -r '.crypto // "NA"' "$S/fd.t0" 2>/dev/null) in
ipsec-mb\ avx2 | ipsec-mb\ avx512 | openssl) pass "wg show -j (fd): crypto auto resolved ($(jq -r .crypto "$S/fd.t0"))" ;;
*) fail "wg show -j (fd): crypto auto resolved (got '$(jq -r .crypto "$S/fd.t0" 2>/dev/null)')" ;;
esac
expect "wg show -j (fd): listen port" "$(jq -r '.. | objects | (.listen_port? // .listenPort? // empty)' "$S/fd.t0" 2>/dev/null | head -n 1)" = 51820
expect "wg show -j (fd): public key from the private key file, as wg pubkey" \
	"$(jq -r '.. | objects | (.public_key? // .publicKey? // empty)' "$S/fd.t0" 2>/dev/null | head -n 1)" = "$FDPUB"
expect "wg show -j (fd): 3 peers" \
	"$(jq -r '[.. | objects | select(has("allowed_ips") or has("allowedIps"))] | length' "$S/fd.t0" 2>/dev/null)" -eq 3
ep0=$(wpeer "$S/fd.t0" "$HPPUB" endpoint)
case $ep0 in
NA | null | '' | '(none)') pass "wg show -j (fd): home peer has no endpoint yet ($ep0)" ;;
*) fail "wg show -j (fd): home peer has no endpoint yet (got '$ep0')" ;;
esac
ctl fd wg show >"$S/fd.plain" 2>&1
key_leak=0
for k in fd.key home.psk g2g.psk; do
	grep -q -F "$(cat "$RUN/$k")" "$S/fd.plain" "$S/fd.t0" && key_leak=1
done
expect "wg show (plain and -j) never prints a private or preshared key" $key_leak -eq 0

# ---------------------------------------------------------------- responder
log "genkan as responder: wireguard-go (home) initiates"
check "ping home peer -> server (first packet starts the handshake)" warm hp 198.51.100.2 1
check "ping -n -c $N home peer -> server" pingn hp 198.51.100.2 $N
check "ping -n -c $N home host (198.18.1.2, forwarded by hp) -> server" \
	eval "warm hh 198.51.100.2 1 && pingn hh 198.51.100.2 $N"
check "ping -n -c $N server -> home host" pingn srv 198.18.1.2 $N
check "ping -n -c $N server -> home peer tunnel address" pingn srv 198.18.100.2 $N
check "ping6 -c $N home peer -> server (IPv6 inner)" \
	eval "warm hp 2001:db8:51::2 1 && pingn hp 2001:db8:51::2 $N"
check "ping6 -c $N server -> home peer (IPv6 inner)" pingn srv 2001:db8:100::2 $N

bg srv "$RUN/iperf-srv.log" iperf3 -s
check "iperf3 server listens" wait_for 10 eval "[ -n \"\$(nx srv ss -Hltn 'sport = :5201')\" ]"
got=$(iperf hh 198.51.100.2)
expect "iperf3 TCP home host -> server: bytes received" "$got" -gt 1000000
got=$(iperf hh 198.51.100.2 -R)
expect "iperf3 TCP server -> home host (-R): bytes received" "$got" -gt 1000000

wshow fd t1
read -r wep whs wrx wtx <<<"$(wggo_peer hp "$WGH")"
expect "genkan's endpoint for home is wg-go's address" "$(wpeer "$S/fd.t1" "$HPPUB" endpoint)" = 203.0.113.2:51820
expect "wg-go's endpoint for genkan" "$wep" = 203.0.113.1:51820
hs=$(wpeer "$S/fd.t1" "$HPPUB" latest_handshake)
expect "genkan's latest handshake with home is set" "$hs" -gt 0
[[ "$hs" =~ ^[0-9]+$ ]] || hs=-999
expect "genkan's and wg-go's handshake times agree within 5 s" "$(( hs > whs ? hs - whs : whs - hs ))" -le 5
grx=$(wpeer "$S/fd.t1" "$HPPUB" transfer_rx) gtx=$(wpeer "$S/fd.t1" "$HPPUB" transfer_tx)
expect "genkan rx bytes from home >= 2 MB" "$grx" -gt 2000000
expect "genkan tx bytes to home >= 2 MB" "$gtx" -gt 2000000
expect "wg-go rx bytes from genkan >= 2 MB" "$wrx" -gt 2000000
expect "wg-go tx bytes to genkan >= 2 MB" "$wtx" -gt 2000000

# ---------------------------------------------------------------- initiator
log "genkan as initiator: hq's wireguard-go has no endpoint, genkan's config does (IPv6 outer)"
# udp[N] is IPv4 only in pcap filters: the IPv6 outer needs ip6[40 + N].
cap_start init ix br0 'ip6 and ip6[6] == 17 and ip6[42:2] == 51820 and ip6[48] == 1' || fail "capture of initiations starts"
# No retry: genkan stages the echo request while it initiates (as the
# kernel does), so the first packet of the fresh tunnel must arrive.
check "the first ping server -> hq gets through (genkan initiates, -c 1 -W 5)" \
	pingn srv 198.18.200.2 1
check "ping -n -c $N server -> hq" pingn srv 198.18.200.2 $N
check "ping -n -c $N hq -> server" pingn hq 198.51.100.2 $N
wait_for 5 cap_has init 'src host 2001:db8:ff::1 and dst host 2001:db8:ff::5' 1
cap_stop init
expect "capture: an initiation 2001:db8:ff::1 -> 2001:db8:ff::5 (genkan's)" \
	"$(cap_count init 'src host 2001:db8:ff::1 and dst host 2001:db8:ff::5')" -ge 1
expect "capture: no initiation from hq" "$(cap_count init 'src host 2001:db8:ff::5')" -eq 0
read -r qep qhs _ _ <<<"$(wggo_peer hq "$WGQ")"
expect "wg-go (hq) learned genkan's endpoint from the handshake" "$qep" = '[2001:db8:ff::1]:51820'
expect "wg-go (hq) has a handshake" "$qhs" -gt 0
# Everything genkan and hq's wg-go exchanged so far, the handshake
# included, is in both views: `wg` counts every message in transfer (the
# initiation and response are 148 + 92 bytes genkand sent and took itself).
hq_views_agree()
{
	local grx gtx qrx qtx

	wshow fd q1
	grx=$(wpeer "$S/fd.q1" "$HQPUB" transfer_rx) gtx=$(wpeer "$S/fd.q1" "$HQPUB" transfer_tx)
	read -r _ _ qrx qtx <<<"$(wggo_peer hq "$WGQ")"
	[[ "$grx$gtx$qrx$qtx" =~ ^[0-9]+$ ]] && [ "$grx" -eq "$qtx" ] && [ "$gtx" -eq "$qrx" ]
}
check "genkan's transfer with hq equals wg-go's (tx/rx), handshake included" wait_for 10 hq_views_agree

# ---------------------------------------------------------------- replay
log "replay: one captured data packet, re-sent by scapy"
sink_start srv srv 9999 || fail "UDP sink on the server listens"
cap_start rp hp inet 'udp and dst port 51820 and udp[8] == 4 and greater 700' ||
	fail "capture of data packets on hp starts"
nx hp "$PY" "$RUN/wg.py" send 198.51.100.2 9999 replayme 700
check "the original datagram reaches the server once" wait_for 10 sink_has srv replayme
wait_for 5 cap_has rp 'udp' 1
cap_stop rp
expect "capture: exactly one big data packet" "$(cap_count rp udp)" -eq 1
wshow fd r0
sent=$(nsx hp "$PY" "$RUN/wg.py" replay "$RUN/rp.pcap" inet 2>"$RUN/replay.err")
expect "scapy re-sent the captured packet" "$sent" -eq 1
check "genkan counts the replay" wait_for 10 wgrew fd "$C_REPLAY" r0 1
nx hp "$PY" "$RUN/wg.py" send 198.51.100.2 9999 afterreplay 100
check "a fresh datagram still passes" wait_for 10 sink_has srv afterreplay
expect "the server got the replayed datagram only once" "$(sink_n srv replayme)" -eq 1

# ---------------------------------------------------------------- AllowedIPs
log "AllowedIPs: hq sends from 198.18.100.99 (home's range, not hq's)"
cap_start spf srv eth0 'udp port 9999' || fail "capture on the server starts"
wshow fd a0
for i in 1 2 3 4 5; do
	nx hq "$PY" -c "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); \
s.bind(('198.18.100.99', 0)); s.sendto(b'spoofed x', ('198.51.100.2', 9999))"
done
nx hq "$PY" "$RUN/wg.py" send 198.51.100.2 9999 hqlegit 100
check "hq's datagram from its own address passes" wait_for 10 sink_has srv hqlegit
check "genkan counts 5 packets from outside hq's AllowedIPs" wait_for 10 wgrew fd "$C_ALLOWED" a0 5
cap_stop spf
wshow fd a1
expect "exactly 5 counted" "$(wdelta fd "$C_ALLOWED" a0 a1)" -eq 5
expect "the server saw none of them (sink)" "$(sink_n srv spoofed)" -eq 0
expect "the server saw none of them (capture)" "$(cap_count spf 'src host 198.18.100.99')" -eq 0

# ---------------------------------------------------------------- wg set
log "genkanctl wg set: remove hq at run time, then add it back"
out=$(ctl fd wg set peer "not-a-key" remove 2>&1)
rc=$?
expect "wg set with a malformed key fails (exit 1)" "$rc" -eq 1
expect "... and says why" "$([ -n "$out" ] && echo said || echo silent)" = said
check "wg set peer hq remove" ctl fd wg set peer "$HQPUB" remove
wshow fd s1
expect "wg show -j: 2 peers after the removal" "$(jq -r '.peers | length' "$S/fd.s1" 2>/dev/null)" -eq 2
expect "wg show -j: hq is gone" "$(wpeer "$S/fd.s1" "$HQPUB" endpoint)" = NA
if pingn srv 198.18.200.2 2 -W 2; then
	fail "server -> hq is not answered without the peer"
else
	pass "server -> hq is not answered without the peer"
fi
check "wg set peer hq allowed-ips ... endpoint [2001:db8:ff::5]:51820" \
	ctl fd wg set peer "$HQPUB" allowed-ips 198.18.200.2/32 endpoint '[2001:db8:ff::5]:51820'
wshow fd s2
expect "wg show -j: hq is back with its AllowedIPs" \
	"$(jq -r --arg k "$HQPUB" '.peers[] | select(.public_key == $k) | .allowed_ips | join(",")' "$S/fd.s2" 2>/dev/null)" = 198.18.200.2/32
check "ping server -> hq again (genkan initiates a new session)" warm srv 198.18.200.2 1
check "ping -n -c $N hq -> server" pingn hq 198.51.100.2 $N

# ---------------------------------------------------------------- rekey
log "forced rekey: remove and re-add genkan on wg-go's side during iperf3"
cap_start rk ix br0 'udp port 51820 and (udp[8] == 1 or udp[8] == 2)' ||
	fail "capture of handshakes starts"
wshow fd k0
hs0=$(wpeer "$S/fd.k0" "$HPPUB" latest_handshake)
RK_OUT=$RUN/iperf-rekey.txt
# Text output: iperf3 3.12 writes its JSON only at the end, the text
# intervals as they pass (--forceflush).
nx hh iperf3 -c 198.51.100.2 -t 10 -f k --forceflush >"$RK_OUT" 2>&1 &
RK_PID=$!
HELPERS+=("$RK_PID")
# Rekey once bytes flow: after the second one-second interval.
check "iperf3 reports 2 intervals before the rekey" \
	wait_for 15 eval "[ \"\$(grep -c ' sec ' \"$RK_OUT\")\" -ge 2 ]"
wgx hp set "$WGH" peer "$FDPUB" remove
wgx hp set "$WGH" peer "$FDPUB" preshared-key "$RUN/home.psk" \
	allowed-ips 198.51.100.0/24,2001:db8:51::/64 endpoint 203.0.113.1:51820
check "iperf3 still running when the peer came back" kill -0 "$RK_PID"
wait "$RK_PID"
rc=$?
expect "iperf3 across the rekey exits 0" "$rc" -eq 0
# "[  5]   0.00-10.00  sec  123456 KBytes  ...  receiver"
# "[  5]   0.00-10.00  sec  1.25 GBytes  1073741 Kbits/sec   receiver"
IPB='function b(v, u) { return v * (u == "KBytes" ? 1024 : u == "MBytes" ? 1048576 : u == "GBytes" ? 1073741824 : 1) }'
expect "iperf3 across the rekey: bytes received" \
	"$(awk "$IPB"' /receiver/ { printf "%d\n", b($5, $6) }' "$RK_OUT")" -gt 1000000
# Intervals without data are logged, not judged: a stall is timing.
log "iperf3 across the rekey: $(awk "$IPB"' / sec / && !/sender|receiver/ && b($5, $6) == 0 { n++ } END { print n + 0 }' "$RK_OUT") of 10 one-second intervals without data"
wait_for 5 cap_has rk 'src host 203.0.113.1 and udp[8] == 2' 1
cap_stop rk
expect "capture: wg-go sent a new initiation" "$(cap_count rk 'src host 203.0.113.2 and udp[8] == 1')" -ge 1
expect "capture: genkan answered it" "$(cap_count rk 'src host 203.0.113.1 and udp[8] == 2')" -ge 1
wshow fd k1
expect "genkan's latest handshake with home moved" "$(wpeer "$S/fd.k1" "$HPPUB" latest_handshake)" -gt "$hs0"
check "ping -n -c $N server -> home host after the rekey" pingn srv 198.18.1.2 $N

# ---------------------------------------------------------------- roaming
log "roaming: hp's outer address 203.0.113.2 -> 203.0.113.3, then port 51820 -> 51830"
a4 hp 203.0.113.3/24 inet
r hp addr del 203.0.113.2/24 dev inet
check "ping home host -> server from the new address" warm hh 198.51.100.2 1
wshow fd m1
expect "genkan's endpoint for home followed the address" "$(wpeer "$S/fd.m1" "$HPPUB" endpoint)" = 203.0.113.3:51820
check "ping -n -c $N server -> home host reaches the new endpoint" pingn srv 198.18.1.2 $N
wgx hp set "$WGH" listen-port 51830
check "ping home host -> server from the new port" warm hh 198.51.100.2 1
wshow fd m2
expect "genkan's endpoint for home followed the port" "$(wpeer "$S/fd.m2" "$HPPUB" endpoint)" = 203.0.113.3:51830
cap_start rm ix br0 'udp and src host 203.0.113.1 and udp[8] == 4' || fail "capture starts"
check "ping -n -c $N server -> home host after the port change" pingn srv 198.18.1.2 $N
wait_for 5 cap_has rm 'dst host 203.0.113.3 and dst port 51830' $N
cap_stop rm
expect "capture: genkan's data packets go to 203.0.113.3:51830" \
	"$(cap_count rm 'dst host 203.0.113.3 and dst port 51830')" -ge $N
expect "capture: none to the old endpoint" "$(cap_count rm 'dst host 203.0.113.2')" -eq 0

# ---------------------------------------------------------------- flood
log "handshake flood: $FLOOD initiations, valid mac1, bad mac2, 64 sources"
FDMAC=$(ip -n "$(ns fd)" -j link show dev inet | jq -r '.[0].address')
cap_start fl ix br0 'udp and src host 203.0.113.1 and src port 51820 and (udp[8] == 2 or udp[8] == 3)' ||
	fail "capture of genkan's answers starts"
wshow fd f0
nsx ix "$PY" "$RUN/wg.py" flood br0 "$FDMAC" 203.0.113.1 51820 "$FDPUB" "$FLOOD" \
	203.0.113 100 64 2>"$RUN/flood.err" || fail "scapy flood ($(tail -n 1 "$RUN/flood.err"))"
check "genkanctl status answers right after the flood" eval 'ctl fd status >/dev/null'
if out=$(nx hh ping -n -q -c "$N" -i "$PING_I" -W "$PING_W" 198.51.100.2 2>&1) &&
   grep -q " $N received," <<<"$out"; then
	pass "the home tunnel still passes ping"
else
	fail "the home tunnel still passes ping"
	log "$(grep -E 'transmitted|rtt' <<<"$out")"
	log "wg-go (hp): $(wgx hp show "$WGH" latest-handshakes) $(wgx hp show "$WGH" transfer)"
	log "fd: $(ctl fd -j wg show | jq -c '[.counters, .drops, .events]')"
	log "fd worker drops: $(ctl fd -j stats | jq -c .worker_drops)"
fi
wait_for 10 cap_has fl 'udp[8] == 3' 1
cap_stop fl
expect "capture: genkand sent cookie replies (type 3)" "$(cap_count fl 'udp[8] == 3')" -ge 1
expect "capture: every cookie reply is 64 bytes" "$(cap_count fl 'udp[8] == 3 and udp[4:2] != 72')" -eq 0
expect "capture: cookie replies went to flood sources" \
	"$(cap_count fl 'udp[8] == 3 and dst net 203.0.113.64/26')" -ge 1
expect "capture: no handshake response to a forged initiation" \
	"$(cap_count fl 'udp[8] == 2 and dst net 203.0.113.64/26')" -eq 0
log "cookie replies: $(cap_count fl 'udp[8] == 3') for $FLOOD initiations"
wshow fd f1
log "wg show -j after the flood: $(jq -c . "$S/fd.f1" 2>/dev/null | head -c 600)"

# ---------------------------------------------------------------- wrong lengths
# Each kind counted by what it claims to be (#13 bug 5: none was).
log "wrong lengths: $BADN datagrams of each of 9 kinds to genkand's socket"
wshow fd bl0
nx ix "$PY" "$RUN/wg.py" badlen 203.0.113.1 51820 "$BADN" 2>"$RUN/badlen.err" ||
	fail "badlen sender ($(tail -n 1 "$RUN/badlen.err"))"
bl_all() { wgrew fd '^(message_too_short|initiation_bad_length|response_bad_length|cookie_reply_bad_length|data_bad_length|unknown_type)$' bl0 $((9 * BADN)); }
wait_for 10 bl_all || log "wrong lengths: not all counted within 10 s"
sleep 0.3
wshow fd bl1
for c in initiation_bad_length:2 response_bad_length:1 cookie_reply_bad_length:1 \
	 data_bad_length:1 unknown_type:2 message_too_short:2; do
	expect "wg show -j: ${c%:*} grew by exactly $((${c#*:} * BADN))" \
		"$(wdelta fd "^${c%:*}\$" bl0 bl1)" = $((${c#*:} * BADN))
done
expect "wg show -j: none of them taken for data on the socket" \
	"$(wdelta fd '^data_on_socket$' bl0 bl1)" = 0
check "genkanctl status answers after the wrong lengths" eval 'ctl fd status >/dev/null'

# ---------------------------------------------------------------- genkan <-> genkan
log "genkan <-> genkan: h3 (behind fd2) <-> server (behind fd)"
# Both directions wait for keys: fd2 stages the request while it
# initiates, fd (responder) stages the reply until fd2's first data
# confirms its keypair. Without staging this first ping is lost.
wshow fd2 st0
check "the first ping h3 -> server over the fresh fd2 <-> fd tunnel gets through (-c 1 -W 5)" \
	pingn h3 198.51.100.2 1
wshow fd2 st1
expect "fd2 staged the first packet(s) (staged)" "$(wdelta fd2 "$C_STAGED" st0 st1)" -ge 1
expect "fd2 sent them once keyed (staged_sent)" "$(wdelta fd2 "$C_STAGED_SENT" st0 st1)" -ge 1
expect "fd2 dropped none of them" "$(wdelta fd2 "$C_STAGED_DROP" st0 st1)" -eq 0
check "ping -n -c $N h3 -> server" pingn h3 198.51.100.2 $N
check "ping -n -c $N server -> h3" pingn srv 198.18.3.2 $N
check "ping -n -M do -s 1392 (1420 bytes, the tunnel MTU) server -> h3" pingn srv 198.18.3.2 3 -M do -s 1392
# The server has no route MTU: a gateway must tell it (RFC 1191), as the
# kernel does in front of a wg device.
out=$(nx srv ping -n -c 1 -M do -s 1393 -W 2 198.18.3.2 2>&1)
expect "ping -n -M do -s 1393 server -> h3: fd answers fragmentation needed, mtu 1420" \
	"$(grep -o -m 1 'mtu = [0-9]*' <<<"$out")" = "mtu = 1420"
got=$(iperf h3 198.51.100.2)
expect "iperf3 TCP h3 -> server" "$got" -gt 1000000
got=$(iperf h3 198.51.100.2 -R)
expect "iperf3 TCP server -> h3 (-R)" "$got" -gt 1000000
wshow fd g1
wshow fd2 g1
expect "fd's endpoint for fd2" "$(wpeer "$S/fd.g1" "$FD2PUB" endpoint)" = 203.0.113.4:51820
expect "fd2's endpoint for fd" "$(wpeer "$S/fd2.g1" "$FDPUB" endpoint)" = 203.0.113.1:51820
expect "fd2 has a handshake with fd" "$(wpeer "$S/fd2.g1" "$FDPUB" latest_handshake)" -gt 0

# ---------------------------------------------------------------- own address
# The outer source is picked from fd's addresses when genkand builds a
# snapshot; an address change must reach the workers without waiting for
# a rekey. Without that, fd keeps sealing from 203.0.113.1, wg-go's
# replies go there, and fd (no longer owning it) never sees them.
log "fd's own outer address: 203.0.113.1 -> 203.0.113.6"
nx fd sysctl -qw net.ipv4.conf.inet.promote_secondaries=1
wshow fd o0
a4 fd 203.0.113.6/24 inet
r fd addr del 203.0.113.1/24 dev inet
# wg-go, like any WireGuard peer, keeps sending to .1 until an
# authenticated packet from .6 arrives: fd sends first (server -> home).
src_moved() {
	wshow fd o1 && [ "$(jq '.counters.source_changes' "$S/fd.o1")" -gt \
			 "$(jq '.counters.source_changes' "$S/fd.o0")" ]
}
check "genkand republished the snapshot for the new source (source_changes)" wait_for 5 src_moved
check "ping server -> home host after fd's address change" warm srv 198.18.1.2 1
expect "wireguard-go's endpoint for genkan is fd's new address" \
	"$(wgx hp show "$WGH" endpoints | awk -v k="$FDPUB" '$1 == k { print $2 }')" = 203.0.113.6:51820
check "ping -n -c $N home host -> server" pingn hh 198.51.100.2 $N

# ---------------------------------------------------------------- the end
for g in $GWS; do
	read -r a4 a6 <<<"${KF0[$g]}"
	read -r b4 b6 <<<"$(kfwd "$g")"
	expect "$g kernel forwarded no IPv4" $((b4 - a4)) -eq 0
	expect "$g kernel forwarded no IPv6" $((b6 - a6)) -eq 0
done
for g in $GWS; do
	check "genkand $g still running" kill -0 "${GKPID[$g]}"
done
# Hand-offs between the two workers wake a sleeping owner through its
# eventfd (docs/wireguard.md, Workers): no write fails, and every sleep the
# eventfd ended took at least one write.
for g in $GWS; do
	wshow "$g" end
	echo "# $g hand-off: $(jq -c '.counters | with_entries(select(.key | startswith("handoff")))' "$S/$g.end" 2>/dev/null)"
	expect "$g handoff_wake_failed" "$(jq '.counters.handoff_wake_failed // "NA"' "$S/$g.end")" -eq 0
	expect "$g handoff_wakeups <= handoff_wakeups_sent" \
		"$(jq '.counters.handoff_wakeups // "NA"' "$S/$g.end")" -le \
		"$(jq '.counters.handoff_wakeups_sent // "NA"' "$S/$g.end")"
done
if [ -n "${E2E_KEEP:-}" ] || [ "$NFAIL" -gt 0 ]; then
	for g in $GWS; do
		echo "# genkanctl -j stats ($g): worker drops"
		ctl "$g" -j stats 2>&1 | jq -c '.worker_drops' | sed 's/^/#   /'
		echo "# genkanctl -j wg show ($g)"
		ctl "$g" -j wg show 2>&1 | head -c 3000 | sed 's/^/#   /'
		echo
	done
fi

summary
