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
#    (and the door's initiation -> CE response times are logged)
#  - roaming behind MAP-E: the front door's address (203.0.113.2 -> .3),
#    then its port (51820 -> 51830) change; the CE's endpoint follows the
#    door's authenticated data (decapsulated by the CE), wg show says so,
#    and the CE's data goes to the new endpoint only (captured)
#  - handshake flood through the BR: scapy initiations (valid mac1 for the
#    CE's key by python hashlib, zero mac2) from 64 sources to
#    192.0.2.18:51408: cookie replies (type 3, 64 B) come back through the
#    inject path to flood sources, no response to a forged initiation;
#    genkanctl answers during and after; the door re-handshakes during the
#    flood and pings; punt/inject counters add up (punted = received by
#    genkand, captured cookies <= injected); initiations of a wrong size
#    are counted (punt_bad_len), not punted
#  - worker 0 was woken from its idle sleep by the inject eventfd
#  - the gateway kernels forwarded nothing; both genkands are alive
#
# Environment: GK_BUILD (meson build root), E2E_KEEP=1 keeps the run dir,
# E2E_WGM_WORKERS (2), E2E_WGM_FLOOD (3000 forged initiations). Needs root, iproute2, ethtool, nsenter, ping, curl,
# tcpdump, jq, sha256sum, wireguard-go, wg and /usr/bin/python3 + scapy.

set -u
umask 077		# keys and captures are root's only

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
PY=/usr/bin/python3
TAG=wgmape-$$
N=10			# echo requests per ping check
WORKERS=${E2E_WGM_WORKERS:-2}
WGM=wgm$$		# wireguard-go's interface: unique per run
LPORT=51408		# the CE's ListenPort: A = 50, PSID 0x34, in the set
BLOB_KB=4096
FLOOD=${E2E_WGM_FLOOD:-3000}

WGIFS=$WGM
PING_I=0.05 PING_W=3 WARM_TRIES=8

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_init wireguard-go wg -- ip ethtool nsenter ping curl tcpdump jq sha256sum "$PY"
GWS="ce1 br"
ALLNS="h1 ce1 rt br fd"

cleanup()
{
	trap - EXIT INT TERM
	if [ -n "${E2E_KEEP:-}" ] || [ "$NFAIL" -gt 0 ]; then
		if [ -n "${GKPID[ce1]:-}" ] && kill -0 "${GKPID[ce1]}" 2>/dev/null; then
			echo "# genkanctl -j wg show (ce1)"
			ctl ce1 -j wg show 2>&1 | head -n 80 | sed 's/^/#   /'
		fi
	fi
	teardown 20
}
traps

# ------------------------------------------------------------------ oracle (python)

cat >"$RUN/wgm.py" <<'EOF'
import ipaddress, os, sys
sys.path.insert(0, os.environ['E2E_LIB'])
from e2e_lib import flood, port_ranges

# flood: e2e_lib.py's, its random contents from seed 7.

# Appendix A's CE set (a = 6, k = 8, PSID 0x34), RFC 7597 §5.1.
def ce_set():
    return {p for r in port_ranges(6, 8, 0x34) for p in r}

# inset PORT: is PORT in Appendix A's CE set (a = 6, k = 8, PSID 0x34)?
def inset(argv):
    sys.exit(0 if int(argv[0]) in ce_set() else 1)

# outside: a port near ListenPort that is not in the set.
def outside(argv):
    s = ce_set()
    print(next(p for p in range(int(argv[0]), 65536) if p not in s))

# pcap PCAP CE4 DOOR4 LPORT LAN_PREFIX: WireGuard packets between the CE
# and the door as shell variables.
def pcap(argv):
    from scapy.all import PcapReader, IP, UDP
    path, ce4, door, lport, lan = argv[0], argv[1], argv[2], int(argv[3]), \
        ipaddress.ip_network(argv[4])
    s = ce_set()
    c = dict(FROM_CE=0, FROM_CE_OK=0, FROM_CE_BAD=0, TO_CE=0, TO_CE_OK=0,
             LAN_LEAK=0)
    tf, tt = set(), set()
    init_t, rtt = None, []
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
            if t == 2 and init_t is not None:
                rtt.append((float(p.time) - init_t) * 1000)
                init_t = None
        elif ip.src == door and ip.dst == ce4:
            c['TO_CE'] += 1
            if u.dport == lport:
                c['TO_CE_OK'] += 1
            tt.add(t)
            if t == 1:
                init_t = float(p.time)
    c['TYPES_FROM_CE'] = '"%s"' % ' '.join(map(str, sorted(tf)))
    c['TYPES_TO_CE'] = '"%s"' % ' '.join(map(str, sorted(tt)))
    # the door's initiation -> the CE's response, as the door sees it
    c['HS_RTT_MS'] = '"%s"' % ' '.join('%.2f' % x for x in rtt)
    print(' '.join('CAP_%s=%s' % kv for kv in c.items()))

{'inset': inset, 'outside': outside, 'pcap': pcap,
 'flood': lambda a: flood(a, 7)}[sys.argv[1]](sys.argv[2:])
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

topo_up() { mape_topo_up fd "$DOOR4"; }

# ------------------------------------------------------------------ wireguard-go

# The door knows the CE's key and LAN but no endpoint: the CE calls first.
wg_up()
{
	wggo fd "$WGM"
	nx fd wg set "$WGM" private-key "$RUN/door.key" listen-port 51820 \
		peer "$CEPUB" allowed-ips 198.18.0.0/24 || return 1
	a4 fd $DOOR_T/24 "$WGM"
	# 1400 + 60 of outer IPv4/UDP/WireGuard = the MAP-E tunnel MTU 1460.
	r fd link set "$WGM" mtu 1400 up || return 1
	r fd route add 198.18.0.0/24 dev "$WGM" || return 1
}

# ------------------------------------------------------------------ genkand

# write_conf GW [LISTENPORT [MTU]]
write_conf()
{
	local g=$1 lp=${2:-$LPORT} mtu=${3:-1400}

	mkdir -p /run/genkan
	{
		conf_head "$g" e2e_wg_mape
		echo
		case $g in
		ce1)
			conf_ce "$EUP"
			cat <<EOF

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
			conf_br
			;;
		esac
		conf_map_rule
	} >"$(conf "$g")"
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
door_hs_after() { local h; read -r _ h _ _ <<<"$(wggo_peer fd "$WGM")"; [ "${h:-0}" -gt "$1" ]; }

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

kfwd_snap
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
	gw_ready "$g" "$WORKERS worker(s) running" || { summary; exit 1; }
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
read -r wep whs _ _ <<<"$(wggo_peer fd "$WGM")"
expect "wg-go's endpoint for the CE is the shared address and ListenPort" "$wep" = "$CE4:$LPORT"
check "ping -n -c $N front door -> LAN host over the tunnel" pingn fd $LAN_H $N -I $DOOR_T

# ---------------------------------------------------------------- TCP + NAPT at once
# Both views of the tunnel before the transfers (quiet: every echo above
# was answered); after them genkan's must have grown by exactly what the
# real peer says it sent and received, less the messages lost on the way
# where a counter saw them go: the front door's UDP receive errors
# (wg-go's socket buffer full: sent by genkan, never read by wg-go; 45 in
# one run with the 2 cores busy) and the CE's AF_XDP rx drops on wan (sent
# by wg-go, never seen by a worker; NAPT's frames share them).
udp_errs() { nx fd awk '/^Udp:/ && n++ { print $4 }' /proc/net/snmp; }
wan_drops() { ctl ce1 -j stats | jq '[.port_xsk[] | select(.name == "wan") | .rx_dropped + .rx_ring_full] | add'; }
wshow t1a
g_rx0=$(wpeer "$S/ce1.t1a" transfer_rx) g_tx0=$(wpeer "$S/ce1.t1a" transfer_tx)
read -r _ _ w_rx0 w_tx0 <<<"$(wggo_peer fd "$WGM")"
ue0=$(udp_errs) wd0=$(wan_drops)
log "curl over the tunnel (front door -> LAN host) and through NAPT (LAN host -> front door) together"
# Both paced (2 MB/s, about 2 s each): the ping below must get every
# reply while they run, which says nothing unless the links have room. At
# full speed two TCP flows fill the veths' AF_XDP rings on a loaded 2-core
# machine, and a lost echo there is congestion (counted by the kernel),
# not a fault of the concurrent paths this checks.
nx fd curl -s -m 60 --limit-rate 2M -o "$RUN/tun.out" "http://$LAN_H:8080/blob" &
c1=$!
nx h1 curl -s -m 60 --limit-rate 2M -o "$RUN/nat.out" "http://$DOOR4:8081/blob" &
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
# The blob went LAN host -> door (sealed by the CE), the ACKs came back:
# over the transfers genkan's rx/tx grew by wg-go's tx/rx (read again
# until no message is in flight between the two reads). Both count
# handshake messages too: a rekey inside the window is in both views.
# What one side has and the other lacks must be whole lost messages, each
# 32 (a keepalive) to 1432 bytes (1500 - 40 - 20 - 8 behind the CE): none
# missing without a lost one counted, never more than they can hold.
views_agree()
{
	local ue wd

	wshow t1
	g_rx=$(wpeer "$S/ce1.t1" transfer_rx) g_tx=$(wpeer "$S/ce1.t1" transfer_tx)
	read -r _ _ w_rx w_tx <<<"$(wggo_peer fd "$WGM")"
	ue=$(udp_errs) wd=$(wan_drops)
	[[ "$g_rx$g_tx$w_rx$w_tx$g_rx0$g_tx0$w_rx0$w_tx0$ue$ue0$wd$wd0" =~ ^[0-9]+$ ]] || return 1
	# genkan sent, wg-go read: short by whole messages its socket dropped
	d_tx=$(( (g_tx - g_tx0) - (w_rx - w_rx0) )) lost_tx=$((ue - ue0))
	# wg-go sent, genkan opened: short by at most the frames wan dropped
	d_rx=$(( (w_tx - w_tx0) - (g_rx - g_rx0) )) lost_rx=$((wd - wd0))
	[ "$d_tx" -ge $((32 * lost_tx)) ] && [ "$d_tx" -le $((1432 * lost_tx)) ] &&
		[ "$d_rx" -ge 0 ] && [ "$d_rx" -le $((1432 * lost_rx)) ]
}
check "genkan's rx/tx over the transfers equal wg-go's tx/rx, less lost messages a counter saw" \
	wait_for 10 views_agree
log "over the transfers: genkan rx +$((g_rx - g_rx0)) tx +$((g_tx - g_tx0)), wg-go rx +$((w_rx - w_rx0)) tx +$((w_tx - w_tx0)) bytes;" \
	"lost: $lost_tx at the door's UDP socket ($d_tx bytes), $lost_rx AF_XDP rx drops on the CE's wan ($d_rx bytes)"
expect "wg show -j: tx bytes to the door over the transfers > the blob" "$((g_tx - g_tx0))" -gt $((BLOB_KB * 1024))
expect "wg show -j: rx bytes from the door over the transfers (the ACKs) > 0" "$((g_rx - g_rx0))" -gt 0
expect "wg show -j: the door's endpoint" "$(wpeer "$S/ce1.t1" endpoint)" = "$DOOR4:51820"
ctl ce1 wg show >"$S/ce1.plain" 2>&1
check "wg show (plain): latest handshake and transfer lines" \
	eval "grep -qi 'latest handshake' '$S/ce1.plain' && grep -qi 'transfer' '$S/ce1.plain'"
expect "handshake messages were punted to genkand" "$(delta "$c0_punt" "$(wce "$S/ce1.t1" punted)")" -ge 1
expect "genkand's messages were injected by a worker" "$(delta "$c0_inj" "$(wce "$S/ce1.t1" injected)")" -ge 1

# ---------------------------------------------------------------- door initiates
log "the front door initiates: its peer is reset with the CE's endpoint"
hs_n0=$(handshakes "$S/ce1.t1")
read -r _ wh0 _ _ <<<"$(wggo_peer fd "$WGM")"
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
# A measurement, not a check: worker 0 no longer sleeps on genkand's answer.
log "door initiation -> CE response at the door (ms): ${CAP_HS_RTT_MS:-NA}"

# ---------------------------------------------------------------- roaming
log "roaming: the front door's address $DOOR4 -> 203.0.113.3, then its port 51820 -> 51830"
DOOR4B=203.0.113.3
nx fd sysctl -q -w net.ipv4.conf.eth0.promote_secondaries=1 >/dev/null
a4 fd $DOOR4B/24 eth0
r fd addr del $DOOR4/24 dev eth0
r fd route replace default via $BR4
check "ping front door -> LAN host from the door's new address" warm fd $LAN_H 1 -I $DOOR_T
wshow m1
expect "wg show -j: the CE's endpoint for the door followed its address" \
	"$(wpeer "$S/ce1.m1" endpoint)" = "$DOOR4B:51820"
check "ping -n -c $N LAN host -> front door tunnel address (to the new address)" \
	pingn h1 $DOOR_T $N
nx fd wg set "$WGM" listen-port 51830
check "ping front door -> LAN host from the door's new port" warm fd $LAN_H 1 -I $DOOR_T
wshow m2
expect "wg show -j: the CE's endpoint followed the port" \
	"$(wpeer "$S/ce1.m2" endpoint)" = "$DOOR4B:51830"
cap_start rm fd eth0 "udp and src host $CE4 and src port $LPORT" || fail "capture rm starts"
check "ping -n -c $N LAN host -> front door tunnel address (to the new port)" \
	pingn h1 $DOOR_T $N
wait_for 10 cap_has rm "udp[8] == 4 and dst host $DOOR4B and dst port 51830" $N
cap_stop rm
expect "capture: the CE's data goes to $DOOR4B:51830" \
	"$(cap_count rm "udp[8] == 4 and dst host $DOOR4B and dst port 51830")" -ge $N
expect "capture: nothing from the CE to the old endpoints" \
	"$(cap_count rm "not (dst host $DOOR4B and dst port 51830)")" -eq 0
read -r wep _ _ _ <<<"$(wggo_peer fd "$WGM")"
expect "wg-go still sees the CE at the shared address and ListenPort" "$wep" = "$CE4:$LPORT"

# ---------------------------------------------------------------- flood
log "handshake flood through the BR: $FLOOD initiations to $CE4:$LPORT, valid mac1, bad mac2, 64 sources"
# Flood sources: the door's own /32s, so the BR resolves the cookie replies.
for k in $(seq 128 191); do
	a4 fd 203.0.113.$k/32 eth0 || fail "flood source 203.0.113.$k"
done
BRMAC=$(r br -j link show dev inet | jq -r '.[0].address')
cap_start fl fd eth0 "udp and src host $CE4 and src port $LPORT and (udp[8] == 2 or udp[8] == 3)" ||
	fail "capture fl starts"
wshow f0
hs_f0=$(handshakes "$S/ce1.f0")
read -r _ whf _ _ <<<"$(wggo_peer fd "$WGM")"
nsx fd "$PY" "$RUN/wgm.py" flood eth0 "$BRMAC" $CE4 $LPORT "$CEPUB" "$FLOOD" \
	203.0.113 128 64 >"$RUN/flood.log" 2>&1 &
FLPID=$!
HELPERS+=("$FLPID")
# While it runs (its first cookie reply is seen): genkanctl, and a fresh
# handshake from the door.
check "the first cookie replies arrive" wait_for 30 cap_has fl 'udp[8] == 3' 1
check "genkanctl status answers during the flood" eval 'ctl ce1 status >/dev/null'
nx fd wg set "$WGM" peer "$CEPUB" remove
nx fd wg set "$WGM" peer "$CEPUB" allowed-ips 198.18.0.0/24 endpoint "$CE4:$LPORT"
r fd route replace 198.18.0.0/24 dev "$WGM"
sleep 1
check "ping front door -> LAN host: the door handshakes during the flood" \
	warm fd $LAN_H 1 -I $DOOR_T
wait "$FLPID"
rc=$?
expect "scapy flood ran ($(tail -n 1 "$RUN/flood.log" 2>/dev/null))" "$rc" -eq 0
check "genkanctl status answers right after the flood" eval 'ctl ce1 status >/dev/null'
check "wg-go has a newer handshake (during/after the flood)" wait_for 10 door_hs_after "${whf:-0}"
check "ping -n -c $N LAN host -> front door tunnel address after the flood" pingn h1 $DOOR_T $N
check "ping -n -c $N front door -> LAN host after the flood" pingn fd $LAN_H $N -I $DOOR_T
wait_for 10 cap_has fl 'udp[8] == 3' 1
cap_stop fl
ncookie=$(cap_count fl 'udp[8] == 3')
log "cookie replies captured: $ncookie for $FLOOD initiations"
expect "capture: cookie replies (type 3) came back through the BR" "$ncookie" -ge 1
expect "capture: every cookie reply is 64 bytes" "$(cap_count fl 'udp[8] == 3 and udp[4:2] != 72')" -eq 0
expect "capture: cookie replies went to flood sources" \
	"$(cap_count fl 'udp[8] == 3 and dst net 203.0.113.128/26')" -ge 1
expect "capture: no handshake response to a forged initiation" \
	"$(cap_count fl 'udp[8] == 2 and dst net 203.0.113.128/26')" -eq 0
# The tick drains what the wake-ups left: punted and received meet.
punt_settled() { wshow f1 && [ "$(wce "$S/ce1.f1" punted)" = "$(wce "$S/ce1.f1" punt_received)" ]; }
check "genkand received every punted message (punted = punt_received)" wait_for 10 punt_settled
wshow f1
log "mape_ce after the flood: $(jq -c .mape_ce "$S/ce1.f1" 2>/dev/null)"
expect "mape_ce.punted grew by the flood" "$(delta "$(wce "$S/ce1.f0" punted)" "$(wce "$S/ce1.f1" punted)")" -ge 1
for f in punt_drops punt_bad_len inject_ring_full inject_drops wake_failed; do
	expect "mape_ce.$f is visible" "$(wce "$S/ce1.f1" "$f")" -ge 0
done
expect "mape_ce.punt_malformed is 0" "$(wce "$S/ce1.f1" punt_malformed)" -eq 0
expect "captured cookie replies <= injected messages" \
	"$(delta "$(wce "$S/ce1.f0" injected)" "$(wce "$S/ce1.f1" injected)")" -ge "$ncookie"
expect "captured cookie replies <= genkand's cookie_replies_sent" \
	"$(delta "$(jq -r .counters.cookie_replies_sent "$S/ce1.f0")" \
		"$(jq -r .counters.cookie_replies_sent "$S/ce1.f1")")" -ge "$ncookie"
expect "wg show -j: handshakes_completed grew" "$(delta "$hs_f0" "$(handshakes "$S/ce1.f1")")" -ge 1
log "wrong-size initiations (149 B): dropped by the worker, counted, not punted"
nsx fd "$PY" "$RUN/wgm.py" flood eth0 "$BRMAC" $CE4 $LPORT "$CEPUB" 20 \
	203.0.113 128 4 149 >"$RUN/badlen.log" 2>&1 || fail "scapy 149 B initiations"
bad_seen() { wshow f2 && [ "$(delta "$(wce "$S/ce1.f1" punt_bad_len)" "$(wce "$S/ce1.f2" punt_bad_len)")" -ge 1 ]; }
check "mape_ce.punt_bad_len counts them" wait_for 10 bad_seen
expect "... and none was punted" "$(delta "$(wce "$S/ce1.f1" punted)" "$(wce "$S/ce1.f2" punted)")" -eq 0
expect "mape_ce.inject_wakeups: worker 0 was woken for genkand's messages" \
	"$(wce "$S/ce1.f2" inject_wakeups)" -ge 1

# ---------------------------------------------------------------- the end
for g in $GWS; do
	expect "kernel of $g forwarded nothing (v4 v6)" "$(kfwd "$g")" = "${KF0[$g]}"
	check "genkand $g is still running" kill -0 "${GKPID[$g]}"
done
summary
