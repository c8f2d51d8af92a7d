#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interfaces that come and go (issue #13 bug 2): a port's interface is
# deleted and created again under the same name, as a VM or container
# restart does, while traffic flows through the other two ports.
#
#   gk13r-<pid>-c            gk13r-<pid>-g: genkand, 2 workers          gk13r-<pid>-s
#  +----------------+      +---------------------------------------+      +------------------+
#  | eth0           | veth | l<pid> (port lan)     w<pid> (port wan)| veth | eth0             |
#  | 192.0.2.2/24   |------| 192.0.2.1/24          198.51.100.1/24  |------| 198.51.100.2/24  |
#  +----------------+      |            d<pid> (port dmz)          |      +------------------+
#                          |            203.0.113.1/24             |
#                          +-------------------+-------------------+
#                                              | veth (deleted, created again)
#                                     +------------------+
#                                     | eth0  gk13r-<pid>-d |
#                                     | 203.0.113.2/24   |
#                                     +------------------+
#
# Checks (PASS/FAIL each; the run ends with "N passed, M failed"):
#   1 forwarding lan<->wan and lan<->dmz; XDP on d<pid>; the start left
#     no "bytes leftover" netlink warning in dmesg (bug 7)
#   2 d<pid> deleted during a 300-echo ping lan->wan: genkand logs the port
#     down, status shows it gone
#   3 d<pid> created again (same name, same peer): logged, status shows the
#     new ifindex attached, XDP on the new device, ping and TCP lan<->dmz
#     work again, without a restart (same pid)
#   4 the ping lan->wan across both changes: every echo answered
#   5 the same for l<pid>, whose sockets are each worker's first on its
#     UMEM, while a ping dmz->wan flows
#   6 d<pid> deleted, back with one queue for two workers (refused, said
#     once), deleted again and not created again: port gone, genkand alive,
#     lan<->wan still forwards, status and stats answer; SIGTERM: exit 0;
#     before it, a reload turns log_format = json on: the port_down event is
#     a JSON line with its fields (jq), every line after the switch is JSON
#
# Environment: GK_BUILD (meson build root), E2E_KEEP=1 keeps the run
# directory. Needs root, iproute2, ethtool, nsenter, ping, jq, socat.

set -u

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
TAG=gk13r-$$
WORKERS=2
ALLNS="c g s d"
GWS="g"
LAN=l$$
WAN=w$$
DMZ=d$$

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_init ip ethtool nsenter ping jq socat

# genkand under a name of this run's own, so dmesg lines about it are ours
cp "$GKD" "$RUN/gkd$$" || exit 1
GKD=$RUN/gkd$$
# leftover: dmesg's "bytes leftover after parsing attributes" about it (bug 7)
leftover() { dmesg 2>/dev/null | grep -c "bytes leftover after parsing attributes in process .gkd$$'"; }

cleanup()
{
	trap - EXIT INT TERM
	teardown 30
}
traps

# jport FILTER: one jq value of the port dmz in `genkanctl -j status`.
jport()
{
	ctl g -j status 2>/dev/null | jq -r ".ports[] | select(.name == \"dmz\") | $1" 2>/dev/null
}

xdp_on() { r g -d link show dev "$DMZ" 2>/dev/null | grep -q 'prog/xdp'; }

# dmz_up: the veth g:DMZ -- d:eth0 with its addresses, up.
dmz_up()
{
	veth g "$DMZ" d eth0 || return 1
	peer d eth0
	a4 g 203.0.113.1/24 "$DMZ" && a4 d 203.0.113.2/24 eth0 &&
		r g link set "$DMZ" up && r d link set eth0 up || return 1
	r d route replace default via 203.0.113.1
}

# tcp_echo: a TCP connection lan -> dmz (socat) carries a line and back.
tcp_echo()
{
	local got

	got=$(echo "relink-$$" | nx c timeout 5 socat -t 2 - TCP:203.0.113.2:7000,connect-timeout=3 2>/dev/null)
	[ "$got" = "relink-$$" ]
}

# logged RE: genkand's log has a line matching RE.
logged() { grep -Eq "$1" "$(gklog g)"; }

# ------------------------------------------------------------------ topology

ns_up || { fail "namespaces"; exit 1; }
veth c eth0 g "$LAN" && veth g "$WAN" s eth0 || { fail "veths"; exit 1; }
peer c eth0 && peer s eth0
a4 c 192.0.2.2/24 eth0 && a4 g 192.0.2.1/24 "$LAN" &&
	a4 g 198.51.100.1/24 "$WAN" && a4 s 198.51.100.2/24 eth0
for n in c:eth0 g:"$LAN" g:"$WAN" s:eth0; do
	r "${n%%:*}" link set "${n#*:}" up
done
r c route add default via 192.0.2.1
r s route add default via 198.51.100.1
dmz_up || { fail "dmz veth"; exit 1; }
gws_noforward

mkdir -p /run/genkan
{
	conf_head g "e2e_relink"
	cat <<EOF

[port lan]
interface = $LAN

[port wan]
interface = $WAN

[port dmz]
interface = $DMZ
EOF
} >"$(conf g)"

# a TCP echo in dmz, forked per connection, for the whole run
bg d "$RUN/echo.log" socat TCP-LISTEN:7000,reuseaddr,fork EXEC:cat
wait_for 10 eval "[ -n \"\$(nx d ss -Hltn 'sport = :7000')\" ]" || fail "echo server listens"

# ------------------------------------------------------------------ 1 up

lo0=$(leftover)
gws_start "$WORKERS workers running"
pid0=${GKPID[g]}
expect "no netlink 'bytes leftover' warning in dmesg at start" "$(leftover)" = "$lo0"
check "lan -> wan: ping" warm c 198.51.100.2 5
check "lan -> dmz: ping" warm c 203.0.113.2 5
check "lan -> dmz: TCP" tcp_echo
check "XDP on $DMZ" xdp_on
old=$(jport .ifindex)
expect "status: dmz attached" "$(jport .link.state)" = attached

# ------------------------------------------------------------------ 2 gone

# 300 echoes at 20 ms, over both changes; -W 2: a late answer is a lost one
nx c ping -n -q -c 300 -i 0.02 -W 2 198.51.100.2 >"$RUN/ping-wan.out" 2>&1 &
PING_BG=$!
sleep 1
r g link del "$DMZ"
check "genkand logs dmz down" wait_for 10 logged "port dmz: interface $DMZ \(ifindex $old\) is gone"
expect "status: dmz gone" "$(jport .link.state)" = gone
expect "status: dmz downs" "$(jport .link.downs)" = 1

# ------------------------------------------------------------------ 3 back

sleep 1
dmz_up || fail "dmz veth created again"
new=$(r g -j link show dev "$DMZ" | jq -r '.[0].ifindex')
check "the new $DMZ has another ifindex ($old -> $new)" [ "$new" != "$old" ]
check "genkand logs dmz back" wait_for 10 logged "port dmz: interface $DMZ is back \(ifindex $new, was $old\)"
check "status: dmz attached again" wait_for 5 eval '[ "$(jport .link.state)" = attached ]'
expect "status: dmz ifindex is the new one" "$(jport .ifindex)" = "$new"
expect "status: dmz returns" "$(jport .link.returns)" = 1
expect "status: no attach error" "$(jport .link.error)" = null
check "XDP on the new $DMZ" xdp_on
check "lan -> dmz: ping again" warm c 203.0.113.2 5
check "lan -> dmz: 50 pings" pingn c 203.0.113.2 50
check "lan -> dmz: TCP again" tcp_echo
expect "same genkand (no restart)" "${GKPID[g]}" = "$pid0"
check "genkand alive" kill -0 "$pid0"

# ------------------------------------------------------------------ 4 the other ports

wait "$PING_BG"
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$RUN/ping-wan.out")
expect "lan -> wan during both changes: echoes answered" "${got:-0}" = 300

# ------------------------------------------------------------------ 5 the first port

# lan's sockets were each worker's first on its UMEM, the ones the others
# share it through: wan and dmz must not notice lan going and coming back
lold=$(r g -j link show dev "$LAN" | jq -r '.[0].ifindex')
nx d ping -n -q -c 300 -i 0.02 -W 2 198.51.100.2 >"$RUN/ping-dmz.out" 2>&1 &
PING_BG=$!
sleep 1
r g link del "$LAN"
check "genkand logs lan down" wait_for 10 logged "port lan: interface $LAN \(ifindex $lold\) is gone"
sleep 1
veth c eth0 g "$LAN" && peer c eth0 && a4 c 192.0.2.2/24 eth0 &&
	a4 g 192.0.2.1/24 "$LAN" && r c link set eth0 up && r g link set "$LAN" up &&
	r c route replace default via 192.0.2.1 || fail "lan veth created again"
lnew=$(r g -j link show dev "$LAN" | jq -r '.[0].ifindex')
check "genkand logs lan back" wait_for 10 logged "port lan: interface $LAN is back \(ifindex $lnew, was $lold\)"
check "lan -> wan: ping after lan came back" warm c 198.51.100.2 5
check "lan -> wan: 50 pings" pingn c 198.51.100.2 50
check "lan -> dmz: TCP after lan came back" tcp_echo
wait "$PING_BG"
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$RUN/ping-dmz.out")
expect "dmz -> wan during lan's changes: echoes answered" "${got:-0}" = 300

# ------------------------------------------------------------------ 6 gone for good

# from here on genkand logs JSON lines (issue #15 item 5), turned on by a reload
sed -i 's/^\[genkan\]$/[genkan]\nlog_format = json/' "$(conf g)"
check "reload: log_format text -> json" eval 'ctl g reload >/dev/null'
nl0=$(grep -n '"msg":"reloaded ' "$(gklog g)" | head -1 | cut -d: -f1)
check "the reload's own line is JSON" [ -n "$nl0" ]
r g link del "$DMZ"
check "dmz down again" wait_for 10 eval '[ "$(jport .link.state)" = gone ]'
port_down_json() {
	tail -n +"${nl0:-1}" "$(gklog g)" | jq -ec --arg i "$DMZ" 'select(.event == "port_down"
		and .subsystem == "port" and .level == "warn" and .port == "dmz"
		and .interface == $i and (.ifindex | type) == "number"
		and (.ts | test("^[0-9-]+T[0-9:.]+Z$"))
		and (.msg | startswith("port dmz: interface \($i) ")))' >/dev/null
}
check "the port_down event: a JSON line with its fields" wait_for 5 port_down_json
expect "status: dmz downs" "$(jport .link.downs)" = 2
# back with one queue for two workers: refused, said once, port stays down
veth g "$DMZ" d eth0 1 && r g link set "$DMZ" up || fail "one-queue dmz"
check "genkand logs why the one-queue dmz is not attached" wait_for 10 \
	logged "port dmz: interface $DMZ .* cannot be attached: $DMZ has 1 rx queue\(s\) but workers = 2"
expect "status: dmz still gone" "$(jport .link.state)" = gone
check "status: the attach error" eval '[ "$(jport .link.error)" != null ]'
sleep 2.5
expect "the refusal logged once (retried each second)" "$(grep -c 'cannot be attached' "$(gklog g)")" = 1
r g link del "$DMZ"
sleep 1
check "genkand alive with dmz gone" kill -0 "$pid0"
check "lan -> wan: 50 pings with dmz gone" pingn c 198.51.100.2 50
check "stats answer" eval 'ctl g -j stats >/dev/null'
check "status (text) shows the link" eval 'ctl g status | grep -q "^link dmz: gone"'

# every frame of the deleted and re-bound ports accounted for (#13 item 2)
acct_check g
# a clean stop: the re-bound sockets and their UMEM registrations go too
kill -TERM "$pid0"
wait "$pid0"
expect "SIGTERM: genkand exits 0" "$?" = 0
GKPID[g]=
check "genkand logged its stop" logged "stopped"
check "every line since the switch is JSON" eval \
	'tail -n +"${nl0:-1}" "$(gklog g)" | jq -e . >/dev/null'
check "no sanitizer report" eval '! grep -Eq "ERROR: AddressSanitizer|runtime error:" "$(gklog g)"'

summary
