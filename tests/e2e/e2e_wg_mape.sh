#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# WireGuard from behind a MAP-E CE (issue #5) end to end: the CE shares
# 192.0.2.18 and owns only its port set, so its tunnel leaves from the
# shared address and ListenPort (in the set), through the BR, to a stock
# wireguard-go + wg(8) "front door" on the IPv4 internet. No gateway
# kernel forwards; the CE's handshakes go through the data plane (punt and
# inject rings), its data through the workers.
#
#  h1: LAN host              ce1: genkand, role ce               rt: IPv6 router
# +--------------------+    +-------------------------------+    (kernel, no IPv4)
# | eth0 198.18.0.2/24 |----| lan 198.18.0.1/24             |    +----------------+
# | http :8080         |    |           wan 2001:db8:ff01::2|----| r1 ff01::1/64  |
# +--------------------+    +-------------------------------+    |                |
#  default via .1            MAP-E CE 192.0.2.18 PSID 0x34,      |                |
#                            NAPT44, [wireguard] ListenPort      |                |
#                            51408 (in the set), peer "door"     |                |
#  fd: front door            br: genkand, role br                |                |
# +--------------------+    +-------------------------------+    |                |
# | eth0 203.0.113.2/24|----| inet 203.0.113.1/24           |    |                |
# | wgm<pid> (wg-go)   |    | lo   2001:db8:ffff::1 (BR)    |    |                |
# |  198.19.0.1/24     |    |          core 2001:db8:ff00::2|----| r0 ff00::1/64  |
# | http :8081         |    +-------------------------------+    +----------------+
# +--------------------+
#  default via .1; 198.18.0.0/24 dev wgm<pid>
#
# The MAP rule is RFC 7597 Appendix A's (2001:db8::/40 <-> 192.0.2.0/24,
# 16 EA bits, PSID offset 6, end-user prefix 2001:db8:12:3400::/56): the
# CE is 192.0.2.18, PSID 0x34, ports 1232-1235, ..., 64720-64723, computed
# by this script's own python (RFC arithmetic, not genkan's).
#
# Checks (PASS/FAIL lines, "N passed, M failed" at the end):
#  - genkand --check accepts the CE config ([wireguard] on a MAP-E CE);
#    refuses a ListenPort outside the set and an mtu above tunnel MTU - 60
#  - the CE initiates (the front door has no endpoint for it): the first
#    ping passes (staged during the handshake); ping
#    LAN host -> front door tunnel address; wg-go learns 192.0.2.18:51408
#  - ping front door -> LAN host over the tunnel
#  - TCP over the tunnel: curl front door -> LAN host web server (4 MiB,
#    sha256), while NAPT'd non-tunnel traffic runs at the same time (curl
#    LAN host -> front door's public address, sha256; ping)
#  - the front door initiates (its peer is reset with an endpoint): the
#    CE answers as responder (its log), data flows again
#  - `genkanctl wg show` (plain and -j): handshake, rx/tx bytes; the
#    punt/inject counters moved, nothing dropped on those paths
#  - the front door's capture (IPv4 side of the BR), parsed by scapy:
#    every WireGuard packet from the CE comes from 192.0.2.18:51408, a
#    port of the set; types 1, 2 and 4 both ways; no LAN address leaks
#  - the gateway kernels forwarded nothing; both genkands are alive
#
# Environment: GK_BUILD (meson build root), E2E_KEEP=1 keeps the run dir,
# E2E_WGM_WORKERS (2). Needs root, iproute2, ethtool, nsenter, ping, curl,
# tcpdump, jq, sha256sum, wireguard-go, wg and /usr/bin/python3 + scapy.

set -u
umask 077		# keys and captures are root's only

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand
GKCTL=$GK_BUILD/ctl/genkanctl
PY=/usr/bin/python3
TAG=wgmape-$$
N=10			# echo requests per ping check
WORKERS=${E2E_WGM_WORKERS:-2}
WGM=wgm$$		# wireguard-go's interface: unique per run
LPORT=51408		# the CE's ListenPort: A = 50, PSID 0x34, in the set
BLOB_KB=4096

NPASS=0
NFAIL=0
declare -A GKPID=()
WGPID=
HELPERS=()

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (network namespaces, XDP)"
	exit 77
fi
for t in wireguard-go wg; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done
for t in ip ethtool nsenter ping curl tcpdump jq sha256sum "$PY"; do
	command -v "$t" >/dev/null 2>&1 || { echo "missing tool: $t"; exit 1; }
done
if [ ! -x "$GKD" ] || [ ! -x "$GKCTL" ]; then
	echo "no genkand/genkanctl under $GK_BUILD/ctl (set GK_BUILD)"
	exit 1
fi

RUN=$(mktemp -d "/tmp/$TAG.XXXXXX")
chmod 700 "$RUN"
GWS="ce1 br"
ALLNS="h1 ce1 rt br fd"

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nsx() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

cleanup()
{
	local g k n

	trap - EXIT INT TERM
	if [ -n "${E2E_KEEP:-}" ] || [ "$NFAIL" -gt 0 ]; then
		if [ -n "${GKPID[ce1]:-}" ] && kill -0 "${GKPID[ce1]}" 2>/dev/null; then
			echo "# genkanctl -j wg show (ce1)"
			ctl ce1 -j wg show 2>&1 | head -n 80 | sed 's/^/#   /'
		fi
	fi
	for g in "${!GKPID[@]}"; do
		[ -n "${GKPID[$g]}" ] && stop_pid "${GKPID[$g]}" TERM
	done
	[ -n "$WGPID" ] && stop_pid "$WGPID" TERM
	for k in "${HELPERS[@]}"; do
		stop_pid "$k" TERM
	done
	for n in $ALLNS; do
		[ -e "/run/netns/$(ns "$n")" ] && ip netns del "$(ns "$n")" 2>/dev/null
	done
	rm -f "/var/run/wireguard/$WGM.sock"
	for g in $GWS; do
		rm -f "$(sock "$g")"
		umount -l "$RUN/bpf-$g" 2>/dev/null
	done
	if [ -n "${E2E_KEEP:-}" ] || [ "$NFAIL" -gt 0 ]; then
		for g in $GWS; do
			[ -s "$(gklog "$g")" ] || continue
			echo "# ---- genkand $g log (last 20 lines) ----"
			tail -n 20 "$(gklog "$g")" | sed 's/^/# /'
		done
	fi
	if [ -n "${E2E_KEEP:-}" ]; then
		echo "# run directory kept: $RUN"
	else
		rm -rf "$RUN"
	fi
}
trap cleanup EXIT
trap 'echo "# interrupted"; exit 130' INT
trap 'echo "# terminated"; exit 143' TERM

# ------------------------------------------------------------------ oracle (python)

cat >"$RUN/wgm.py" <<'EOF'
import ipaddress, sys

# RFC 7597 §5.1: the port set of PSID psid (offset a, length k).
def port_set(a, k, psid):
    m = 16 - a - k
    return {(A << (16 - a)) | (psid << m) | j
            for A in range(1, 1 << a) for j in range(1 << m)}

# inset PORT: is PORT in Appendix A's CE set (a = 6, k = 8, PSID 0x34)?
def inset(argv):
    sys.exit(0 if int(argv[0]) in port_set(6, 8, 0x34) else 1)

# outside: a port near ListenPort that is not in the set.
def outside(argv):
    s = port_set(6, 8, 0x34)
    print(next(p for p in range(int(argv[0]), 65536) if p not in s))

# pcap PCAP CE4 DOOR4 LPORT LAN_PREFIX: WireGuard packets between the CE
# and the door as shell variables.
def pcap(argv):
    from scapy.all import PcapReader, IP, UDP
    path, ce4, door, lport, lan = argv[0], argv[1], argv[2], int(argv[3]), \
        ipaddress.ip_network(argv[4])
    s = port_set(6, 8, 0x34)
    c = dict(FROM_CE=0, FROM_CE_OK=0, FROM_CE_BAD=0, TO_CE=0, TO_CE_OK=0,
             LAN_LEAK=0)
    tf, tt = set(), set()
    for p in PcapReader(path):
        if IP not in p:
            continue
        ip = p[IP]
        for a in (ip.src, ip.dst):
            if ipaddress.ip_address(a) in lan:
                c['LAN_LEAK'] += 1
        if UDP not in ip:
            continue
        u = ip[UDP]
        t = bytes(u.payload)[:1]
        t = t[0] if t else -1
        if ip.src == ce4 and ip.dst == door:
            c['FROM_CE'] += 1
            if u.sport == lport and u.sport in s:
                c['FROM_CE_OK'] += 1
            else:
                c['FROM_CE_BAD'] += 1
            tf.add(t)
        elif ip.src == door and ip.dst == ce4:
            c['TO_CE'] += 1
            if u.dport == lport:
                c['TO_CE_OK'] += 1
            tt.add(t)
    c['TYPES_FROM_CE'] = '"%s"' % ' '.join(map(str, sorted(tf)))
    c['TYPES_TO_CE'] = '"%s"' % ' '.join(map(str, sorted(tt)))
    print(' '.join('CAP_%s=%s' % kv for kv in c.items()))

{'inset': inset, 'outside': outside, 'pcap': pcap}[sys.argv[1]](sys.argv[2:])
EOF

# ------------------------------------------------------------------ addresses, keys

R6=2001:db8::/40 R4=192.0.2.0/24 EA=16 OFF=6
EUP=2001:db8:12:3400::/56
CE4=192.0.2.18
BR6=2001:db8:ffff::1
DOOR4=203.0.113.2 BR4=203.0.113.1
DOOR_T=198.19.0.1	# the front door's tunnel address
LAN_H=198.18.0.2 LAN_GW=198.18.0.1

for k in ce door; do
	wg genkey >"$RUN/$k.key"
	wg pubkey <"$RUN/$k.key" >"$RUN/$k.pub"
done
CEPUB=$(cat "$RUN/ce.pub") DOORPUB=$(cat "$RUN/door.pub")

# ------------------------------------------------------------------ topology

veth()
{
	ip -n "$(ns "$1")" link add "$2" numrxqueues 2 numtxqueues 2 type veth \
		peer name "$4" netns "$(ns "$3")" numrxqueues 2 numtxqueues 2
}

a6() { ip -n "$(ns "$1")" addr add "$2" dev "$3" nodad; }
a4() { ip -n "$(ns "$1")" addr add "$2" dev "$3"; }

topo_up()
{
	local n

	for n in $ALLNS; do
		ip netns add "$(ns "$n")" || return 1
		nx "$n" sysctl -q -w net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.accept_ra=0 >/dev/null || return 1
		r "$n" link set lo up
	done
	veth h1 eth0 ce1 lan && veth ce1 wan rt r1 &&
		veth br core rt r0 && veth br inet fd eth0 || return 1
	peer h1 eth0 && peer rt r0 && peer rt r1 && peer fd eth0 || return 1

	a4 h1 $LAN_H/24 eth0
	a4 ce1 $LAN_GW/24 lan
	a6 ce1 2001:db8:ff01::2/64 wan
	a6 rt 2001:db8:ff01::1/64 r1
	a6 rt 2001:db8:ff00::1/64 r0
	a6 br 2001:db8:ff00::2/64 core
	a6 br $BR6/128 lo
	a4 br $BR4/24 inet
	a4 fd $DOOR4/24 eth0
	for n in h1:eth0 ce1:lan ce1:wan rt:r0 rt:r1 br:core br:inet fd:eth0; do
		r "${n%%:*}" link set "${n#*:}" up || return 1
	done
	r h1 route add default via $LAN_GW || return 1
	r ce1 -6 route add default via 2001:db8:ff01::1 || return 1
	r rt -6 route add "$EUP" via 2001:db8:ff01::2 || return 1
	r rt -6 route add $BR6/128 via 2001:db8:ff00::2 || return 1
	r br -6 route add default via 2001:db8:ff00::1 || return 1
	r fd route add default via $BR4 || return 1
	nx rt sysctl -q -w net.ipv6.conf.all.forwarding=1 >/dev/null || return 1
	for n in $GWS; do
		nx "$n" sysctl -q -w net.ipv4.ip_forward=0 \
			net.ipv6.conf.all.forwarding=0 >/dev/null || return 1
	done
	return 0
}

pingn()
{
	local n=$1 dst=$2 c=$3 out
	shift 3

	out=$(nx "$n" ping -n -q -c "$c" -i 0.05 -W 3 "$@" "$dst" 2>&1)
	grep -q " $c received," <<<"$out"
}

# The first packet of a path may wait for ARP/ND or a handshake: retry.
warm() { local k; for k in 1 2 3 4 5 6 7 8; do pingn "$@" && return 0; done; return 1; }

# ------------------------------------------------------------------ wireguard-go

# The door knows the CE's key and LAN but no endpoint: the CE calls first.
wg_up()
{
	local k

	nsx fd env WG_PROCESS_FOREGROUND=1 wireguard-go -f "$WGM" \
		>"$RUN/wggo.log" 2>&1 &
	WGPID=$!
	for ((k = 0; k < 100; k++)); do
		r fd link show "$WGM" >/dev/null 2>&1 &&
			[ -S "/var/run/wireguard/$WGM.sock" ] && break
		sleep 0.1
	done
	nx fd wg set "$WGM" private-key "$RUN/door.key" listen-port 51820 \
		peer "$CEPUB" allowed-ips 198.18.0.0/24 || return 1
	a4 fd $DOOR_T/24 "$WGM"
	# 1400 + 60 of outer IPv4/UDP/WireGuard = the MAP-E tunnel MTU 1460.
	r fd link set "$WGM" mtu 1400 up || return 1
	r fd route add 198.18.0.0/24 dev "$WGM" || return 1
}

# wg-go's view: "endpoint handshake rx tx" of its only peer.
wggo_peer() { nx fd wg show "$WGM" dump | sed -n 2p | awk '{ print $3, $5, $6, $7 }'; }

# ------------------------------------------------------------------ genkand

# write_conf GW [LISTENPORT [MTU]]
write_conf()
{
	local g=$1 lp=${2:-$LPORT} mtu=${3:-1400}

	mkdir -p /run/genkan
	{
		cat <<EOF
# genkan e2e_wg_mape: $g
[genkan]
instance = $TAG-$g
socket = $(sock "$g")
bpffs = $RUN/bpf-$g
workers = $WORKERS

EOF
		case $g in
		ce1)
			cat <<EOF
[port lan]
interface = lan

[port wan]
interface = wan

[mape]
role = ce
br_address = $BR6
ipv4_port = lan
ipv6_port = wan
end_user_prefix = $EUP

[nat]
enabled = yes

[wireguard]
PrivateKeyFile = $RUN/ce.key
ListenPort = $lp
port = wan
mtu = $mtu

[wireguard-peer door]
PublicKey = $DOORPUB
AllowedIPs = 198.19.0.0/24
Endpoint = $DOOR4:51820
EOF
			;;
		br)
			cat <<EOF
[port core]
interface = core

[port inet]
interface = inet

[mape]
role = br
br_address = $BR6
ipv4_port = inet
ipv6_port = core
EOF
			;;
		esac
		cat <<EOF

[map-rule rfc7597]
ipv6_prefix = $R6
ipv4_prefix = $R4
ea_bits = $EA
psid_offset = $OFF
fmr = yes
EOF
	} >"$(conf "$g")"
}

gk_start()
{
	local g=$1

	mkdir -p "$RUN/bpf-$g"
	mountpoint -q "$RUN/bpf-$g" || mount -t bpf bpf "$RUN/bpf-$g" || return 1
	ip netns exec "$(ns "$g")" sh -c 'exec "$0" -c "$1" -f' "$GKD" "$(conf "$g")" \
		>>"$(gklog "$g")" 2>&1 &
	GKPID[$g]=$!
}

workers_running()
{
	[ "$(ctl "$1" -j status 2>/dev/null | jq -r .workers.running)" = "$WORKERS" ]
}

S=$RUN/stats
mkdir -p "$S"
wshow() { ctl ce1 -j wg show >"$S/ce1.$1" 2>"$S/ce1.$1.err"; }
# wpeer FILE FIELD: FIELD of the door peer.
wpeer() { jq -r --arg f "$2" '.peers[0][$f] // "NA"' "$1" 2>/dev/null || echo NA; }
# wce FILE FIELD: the CE punt/inject counter FIELD.
wce() { jq -r --arg f "$2" '.mape_ce[$f] // "NA"' "$1" 2>/dev/null || echo NA; }
delta()
{
	[[ "$1" =~ ^[0-9]+$ && "$2" =~ ^[0-9]+$ ]] && echo $(($2 - $1)) || echo NA
}
handshakes() { jq -r '.counters.handshakes_completed // 0' "$1" 2>/dev/null || echo 0; }
responder_logged() { grep -q "handshake completed (responder)" "$(gklog ce1)"; }
# door_hs_after T: wg-go's latest handshake with the CE is newer than T.
door_hs_after() { local h; read -r _ h _ _ <<<"$(wggo_peer)"; [ "${h:-0}" -gt "$1" ]; }

# ==================================================================== tests

log "run directory $RUN, build $GK_BUILD"
if ! topo_up; then
	fail "topology comes up"
	summary
	exit 1
fi
pass "topology comes up (5 namespaces)"
check "kernel forwarding is off in ce1 and br" fwd_off
if ! wg_up; then
	fail "wireguard-go front door comes up"
	summary
	exit 1
fi
pass "wireguard-go front door comes up ($WGM)"
check "oracle: ListenPort $LPORT is in the CE's port set" "$PY" "$RUN/wgm.py" inset $LPORT

# ---------------------------------------------------------------- config checks
write_conf ce1 "$("$PY" "$RUN/wgm.py" outside $LPORT)"
out=$("$GKD" -c "$(conf ce1)" --check 2>&1)
rc=$?
expect "genkand --check refuses a ListenPort outside the set" "$rc" -ne 0
check "... naming the port set" grep -q "outside this MAP-E CE's port set" <<<"$out"
write_conf ce1 $LPORT 1401
out=$("$GKD" -c "$(conf ce1)" --check 2>&1)
rc=$?
# The tunnel MTU comes from the wan link (1500 - 40): known at start only.
if [ $rc -eq 0 ]; then
	gk_start ce1 || fail "bpffs for ce1"
	for ((k = 0; k < 100; k++)); do
		kill -0 "${GKPID[ce1]}" 2>/dev/null || break
		sleep 0.1
	done
	wait "${GKPID[ce1]}" 2>/dev/null
	rc=$?
	out=$(cat "$(gklog ce1)")
	: >"$(gklog ce1)"
	unset 'GKPID[ce1]'
fi
expect "genkand refuses [wireguard] mtu 1401 above tunnel MTU 1460 - 60" "$rc" -ne 0
check "... saying which line and what fits" grep -q "mtu 1401 is above the MAP-E tunnel MTU 1460 minus 60.*set mtu = 1400 or less" <<<"$out"

declare -A KF0=()
for g in $GWS; do
	KF0[$g]=$(kfwd "$g")
done
log "starting genkand in ce1 (MAP-E CE + NAPT44 + WireGuard) and br"
for g in $GWS; do
	write_conf "$g"
	out=$("$GKD" -c "$(conf "$g")" --check 2>&1)
	expect "genkand --check accepts the $g config" "$?" -eq 0 || log "$out"
	if grep -q -F "$(cat "$RUN/ce.key")" <<<"$out"; then
		fail "genkand --check prints no key"
	fi
	gk_start "$g" || fail "bpffs for $g"
done
for g in $GWS; do
	if ! gk_ready "$g"; then
		fail "genkand $g answers status"
		tail -n 5 "$(gklog "$g")" | sed 's/^/#   /'
		summary
		exit 1
	fi
	pass "genkand $g answers status"
	check "genkand $g: $WORKERS worker(s) running" wait_for 10 workers_running "$g"
done
check "ce1 logs the WireGuard data-plane path" \
	grep -q "IPv4 through the MAP-E CE data plane" "$(gklog ce1)"

# Web content on both ends: the tunnel and NAPT each carry one copy.
mkdir -p "$RUN/www"
head -c $((BLOB_KB * 1024)) /dev/urandom >"$RUN/www/blob"
SUM=$(sha256sum <"$RUN/www/blob" | cut -d' ' -f1)
bg h1 "$RUN/http-h1.log" "$PY" -m http.server 8080 --bind $LAN_H --directory "$RUN/www"
bg fd "$RUN/http-fd.log" "$PY" -m http.server 8081 --bind $DOOR4 --directory "$RUN/www"
check "web servers listen" wait_for 10 eval \
	"[ -n \"\$(nx h1 ss -Hltn 'sport = :8080')\" ] && [ -n \"\$(nx fd ss -Hltn 'sport = :8081')\" ]"

# The IPv4 side of the BR, as the front door's NIC sees it.
bg fd "$RUN/tcpdump.log" tcpdump -i eth0 -n -U -w "$RUN/door.pcap" "udp port $LPORT or udp port 51820 or net 198.18.0.0/24"
CAPPID=$BG_PID
check "capture on the front door runs" wait_for 10 eval "[ -s '$RUN/door.pcap' ]"

wshow t0
c0_punt=$(wce "$S/ce1.t0" punted) c0_inj=$(wce "$S/ce1.t0" injected)

# ---------------------------------------------------------------- CE initiates
log "the CE initiates: LAN host -> front door tunnel address"
check "non-tunnel path first: ping LAN host -> front door public address (NAPT)" \
	warm h1 $DOOR4 1
# No retry: the CE's worker stages the request while genkand initiates,
# then seals and CE-encapsulates it once the keypair is published.
check "the first ping LAN host -> front door tunnel address gets through (-c 1 -W 5)" \
	pingn h1 $DOOR_T 1 -W 5
check "ping -n -c $N LAN host -> front door tunnel address" pingn h1 $DOOR_T $N
read -r wep whs _ _ <<<"$(wggo_peer)"
expect "wg-go's endpoint for the CE is the shared address and ListenPort" "$wep" = "$CE4:$LPORT"
check "ping -n -c $N front door -> LAN host over the tunnel" pingn fd $LAN_H $N -I $DOOR_T

# ---------------------------------------------------------------- TCP + NAPT at once
log "curl over the tunnel (front door -> LAN host) and through NAPT (LAN host -> front door) together"
nx fd curl -s -m 60 -o "$RUN/tun.out" "http://$LAN_H:8080/blob" &
c1=$!
nx h1 curl -s -m 60 -o "$RUN/nat.out" "http://$DOOR4:8081/blob" &
c2=$!
pingn h1 $DOOR4 $N
prc=$?
wait $c1
r1=$?
wait $c2
r2=$?
expect "curl over the tunnel exits 0" "$r1" -eq 0
expect "tunnel download sha256" "$(sha256sum <"$RUN/tun.out" 2>/dev/null | cut -d' ' -f1)" = "$SUM"
expect "curl through NAPT at the same time exits 0" "$r2" -eq 0
expect "NAPT download sha256" "$(sha256sum <"$RUN/nat.out" 2>/dev/null | cut -d' ' -f1)" = "$SUM"
expect "ping -n -c $N LAN host -> front door public address during the transfers" "$prc" -eq 0

wshow t1
hs=$(wpeer "$S/ce1.t1" latest_handshake)
expect "wg show -j: latest handshake with the door is set" "$hs" -gt 0
[[ "$hs" =~ ^[0-9]+$ ]] || hs=-999
expect "genkan's and wg-go's handshake times agree within 5 s" "$(( hs > whs ? hs - whs : whs - hs ))" -le 5
# The blob went LAN host -> door (sealed by the CE), the ACKs came back.
expect "wg show -j: tx bytes to the door > the blob" "$(wpeer "$S/ce1.t1" transfer_tx)" -gt $((BLOB_KB * 1024))
expect "wg show -j: rx bytes from the door > 20 KB" "$(wpeer "$S/ce1.t1" transfer_rx)" -gt 20000
read -r _ _ wrx wtx <<<"$(wggo_peer)"
expect "wg-go rx bytes from the CE > the blob" "$wrx" -gt $((BLOB_KB * 1024))
expect "wg-go tx bytes to the CE > 20 KB" "$wtx" -gt 20000
expect "wg show -j: the door's endpoint" "$(wpeer "$S/ce1.t1" endpoint)" = "$DOOR4:51820"
ctl ce1 wg show >"$S/ce1.plain" 2>&1
check "wg show (plain): latest handshake and transfer lines" \
	eval "grep -qi 'latest handshake' '$S/ce1.plain' && grep -qi 'transfer' '$S/ce1.plain'"
expect "handshake messages were punted to genkand" "$(delta "$c0_punt" "$(wce "$S/ce1.t1" punted)")" -ge 1
expect "genkand's messages were injected by a worker" "$(delta "$c0_inj" "$(wce "$S/ce1.t1" injected)")" -ge 1

# ---------------------------------------------------------------- door initiates
log "the front door initiates: its peer is reset with the CE's endpoint"
hs_n0=$(handshakes "$S/ce1.t1")
read -r _ wh0 _ _ <<<"$(wggo_peer)"
nx fd wg set "$WGM" peer "$CEPUB" remove
nx fd wg set "$WGM" peer "$CEPUB" allowed-ips 198.18.0.0/24 endpoint "$CE4:$LPORT"
r fd route replace 198.18.0.0/24 dev "$WGM"
# wg-go's clock has 1 s resolution: a new handshake must be a later second.
sleep 1
check "ping front door -> LAN host (the door's initiation)" warm fd $LAN_H 1 -I $DOOR_T
check "ping -n -c $N front door -> LAN host" pingn fd $LAN_H $N -I $DOOR_T
check "the CE completed a handshake as responder (its log)" wait_for 10 responder_logged
check "wg-go has a newer handshake" wait_for 10 door_hs_after "${wh0:-0}"
wshow t2
expect "wg show -j: handshakes_completed grew" "$(delta "$hs_n0" "$(handshakes "$S/ce1.t2")")" -ge 1
check "ping -n -c $N LAN host -> front door tunnel address (after the door's handshake)" \
	pingn h1 $DOOR_T $N
for f in punt_drops punt_malformed inject_ring_full inject_too_big inject_drops; do
	expect "mape_ce.$f is 0" "$(wce "$S/ce1.t2" "$f")" -eq 0
done

# ---------------------------------------------------------------- capture
check "the capture holds the door's last echo replies" wait_for 10 cap_has door \
	"udp and src host $CE4 and src port $LPORT" 20
stop_pid "$CAPPID" INT
eval "$("$PY" "$RUN/wgm.py" pcap "$RUN/door.pcap" $CE4 $DOOR4 $LPORT 198.18.0.0/24)"
log "capture: ${CAP_FROM_CE:-NA} from the CE (types ${CAP_TYPES_FROM_CE:-NA}), ${CAP_TO_CE:-NA} to it (types ${CAP_TYPES_TO_CE:-NA})"
expect "capture: WireGuard packets from the CE" "${CAP_FROM_CE:-NA}" -gt 100
expect "capture: all of them from $CE4:$LPORT, a port of the set" "${CAP_FROM_CE_BAD:-NA}" -eq 0
expect "capture: all packets to the CE go to port $LPORT" "${CAP_TO_CE_OK:-NA}" = "${CAP_TO_CE:-x}"
expect "capture: the CE sent initiation, response and data (types 1 2 4)" "${CAP_TYPES_FROM_CE:-NA}" = "1 2 4"
expect "capture: the door sent initiation, response and data (types 1 2 4)" "${CAP_TYPES_TO_CE:-NA}" = "1 2 4"
expect "capture: no LAN address on the IPv4 side" "${CAP_LAN_LEAK:-NA}" -eq 0

# ---------------------------------------------------------------- the end
for g in $GWS; do
	expect "kernel of $g forwarded nothing (v4 v6)" "$(kfwd "$g")" = "${KF0[$g]}"
	check "genkand $g is still running" kill -0 "${GKPID[$g]}"
done
summary
