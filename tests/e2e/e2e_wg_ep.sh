#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# WireGuard Endpoint host names (issue #5): a wg-quick [Peer] block with
# `Endpoint = frontdoor.test:51820` pasted into genkan's config reaches a
# wireguard-go peer. The name resolves through gw's own /etc/hosts
# (/etc/netns/<ns>/hosts, bind-mounted by `ip netns exec`); no resolver can
# be reached: nsswitch is "files dns" and resolv.conf points at 192.0.2.53,
# which gw has no route to. Oracles: ping through wireguard-go, and the
# addresses written into the hosts file by this script.
#
#  wp: wireguard-go "wge<pid>"          gw: genkand                 srv
# +------------------------+     +--------------------------+    +-------------------+
# | inet 203.0.113.2/24    |-----| inet 203.0.113.1/24      |    |                   |
# |      2001:db8:ff::2/64 |     |      2001:db8:ff::1/64   |    |                   |
# | wge  198.18.100.2/24   |     | lan  198.51.100.1/24     |----| eth0 198.51.100.2 |
# +------------------------+     +--------------------------+    +-------------------+
#   no endpoint for gw:             hosts: 203.0.113.2 frontdoor.test
#   only genkan can initiate               2001:db8:ff::2 frontdoor6.test
#
# Checks (PASS/FAIL lines, "N passed, M failed" at the end):
#  - --check resolves frontdoor.test; with nowhere.test it fails, naming
#    the peer and the line, with no key, in bounded time (the lookup gets
#    "temporary failure" at once and is retried until it gives up)
#  - genkand starts, initiates to the resolved endpoint, srv <-> wp ping
#  - `wg show` shows 203.0.113.2:51820, not the name
#  - `wg set ... endpoint frontdoor6.test:51820` -> [2001:db8:ff::2]:51820,
#    ping still works (IPv6 outer); a name that does not resolve and a bad
#    form are refused and leave the endpoint alone
#  - reload of the unchanged file is accepted (names compare, not addresses)
#    and genkand still stops cleanly afterwards (exit status 0)
#
# Environment: GK_BUILD (meson build root), E2E_KEEP=1 keeps the run dir.

set -u
umask 077

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
TAG=gkwe-$$
WGE=wge$$
WGIFS=$WGE
PING_I=0.1 PING_W=3 WARM_TRIES=6

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_init wireguard-go wg -- ip ethtool nsenter ping jq
GWS="gw"
ALLNS="wp gw srv"

cleanup()
{
	trap - EXIT INT TERM
	rm -rf "/etc/netns/$(ns gw)"
	teardown 20
}
traps

# gw's /etc: written before the namespace exists, so every
# `ip netns exec` into it sees these files over the host's.
mkdir -p "/etc/netns/$(ns gw)"
cat >"/etc/netns/$(ns gw)/hosts" <<EOF
127.0.0.1	localhost
::1		localhost
203.0.113.2	frontdoor.test
2001:db8:ff::2	frontdoor6.test
EOF
printf 'hosts: files dns\n' >"/etc/netns/$(ns gw)/nsswitch.conf"
printf 'nameserver 192.0.2.53\noptions timeout:1 attempts:1\n' \
	>"/etc/netns/$(ns gw)/resolv.conf"

for k in gw wp; do
	wg genkey >"$RUN/$k.key"
	wg pubkey <"$RUN/$k.key" >"$RUN/$k.pub"
done
wg genpsk >"$RUN/wp.psk"
GWPUB=$(cat "$RUN/gw.pub") WPPUB=$(cat "$RUN/wp.pub")
PSK=$(cat "$RUN/wp.psk")

topo_up()
{
	ns_up || return 1
	r wp link add inet type veth peer name inet netns "$(ns gw)" || return 1
	r gw link add lan type veth peer name eth0 netns "$(ns srv)" || return 1
	peer wp inet && peer srv eth0
	a4 wp 203.0.113.2/24 inet
	a6 wp 2001:db8:ff::2/64 inet
	a4 gw 203.0.113.1/24 inet
	a6 gw 2001:db8:ff::1/64 inet
	a4 gw 198.51.100.1/24 lan
	a4 srv 198.51.100.2/24 eth0
	r wp link set inet up && r gw link set inet up && r gw link set lan up &&
		r srv link set eth0 up || return 1
	r srv route add default via 198.51.100.1 || return 1
	gws_noforward
}

wg_up()
{
	wggo wp "$WGE"
	# No endpoint: the tunnel comes up only if genkan found wp by name.
	nx wp wg set "$WGE" private-key "$RUN/wp.key" listen-port 51820 \
		peer "$GWPUB" preshared-key "$RUN/wp.psk" \
		allowed-ips 198.51.100.0/24 || return 1
	a4 wp 198.18.100.2/24 "$WGE"
	r wp link set "$WGE" up || return 1
	r wp route add 198.51.100.0/24 dev "$WGE"
}

# write_conf ENDPOINT: gw's config with the wg-quick [Peer] lines of wp.
write_conf()
{
	cat >"$(conf gw)" <<EOF
[genkan]
instance = $TAG-gw
socket = $(sock gw)
bpffs = $RUN/bpf-gw
workers = 1

[port inet]
interface = inet

[port lan]
interface = lan

[wireguard]
PrivateKeyFile = $RUN/gw.key
ListenPort = 51820
port = inet

# wp's [Peer] block as wg-quick has it
[wireguard-peer wp]
PublicKey = $WPPUB
PresharedKey = $PSK
AllowedIPs = 198.18.100.0/24
Endpoint = $1 # wp's front door
EOF
}
EP_LINE=23	# the Endpoint line of write_conf

# pingn/warm with 5 echo requests; the first waits for the handshake (a
# cold tunnel drops it): warm retries.
ep_of() { ctl gw -j wg show | jq -r --arg k "$WPPUB" \
	'[.. | objects | select(.public_key? == $k)][0].endpoint // "NA"'; }

log "topology"
topo_up || { fail "topology"; summary; exit 1; }
wg_up || { fail "wireguard-go"; summary; exit 1; }
mkdir -p /run/genkan "$RUN/bpf-gw"
mount -t bpf bpf "$RUN/bpf-gw" || { fail "bpffs"; summary; exit 1; }

# ------------------------------------------------------------------ --check
write_conf nowhere.test:51820
out=$(ip netns exec "$(ns gw)" "$GKD" --check -c "$(conf gw)" 2>&1)
rc=$?
log "$out"
expect "--check: a name that does not resolve fails" "$rc" = 1
check "--check: the error names the file, line, peer and name" \
	grep -q "$(conf gw):$EP_LINE: wireguard-peer 'wp': Endpoint 'nowhere.test' does not resolve" <<<"$out"
check "--check: no key in the message" \
	bash -c '! grep -qF -e "$1" -e "$2" <<<"$3"' _ "$PSK" "$WPPUB" "$out"

write_conf frontdoor.test:51820
out=$(ip netns exec "$(ns gw)" "$GKD" --check -c "$(conf gw)" 2>&1)
expect "--check: frontdoor.test resolves from the netns hosts file" "$?" = 0

# ------------------------------------------------------------------ start
gk_start gw
check "genkand starts with a named Endpoint" gk_ready gw

check "srv -> wp through the tunnel (genkan initiated to frontdoor.test)" \
	warm srv 198.18.100.2 5
check "wp -> srv" pingn wp 198.51.100.2 5
expect "wg show -j: endpoint is the resolved address" "$(ep_of)" = 203.0.113.2:51820
check "wg show: endpoint line numeric" \
	bash -c 'grep -q "endpoint: 203.0.113.2:51820" <<<"$1"' _ "$(ctl gw wg show)"

# ------------------------------------------------------------------ wg set
out=$(ctl gw wg set peer "$WPPUB" endpoint frontdoor6.test:51820 2>&1)
expect "wg set endpoint frontdoor6.test:51820 accepted" "$?" = 0
expect "wg show: [2001:db8:ff::2]:51820" "$(ep_of)" = "[2001:db8:ff::2]:51820"
check "srv -> wp over the IPv6 endpoint" warm srv 198.18.100.2 5

out=$(ctl gw wg set peer "$WPPUB" endpoint nowhere.test:51820 2>&1)
rc=$?
log "$out"
expect "wg set: a name that does not resolve is refused" "$rc" != 0
check "wg set: the error says so" grep -q "'nowhere.test:51820' does not resolve" <<<"$out"
out=$(ctl gw wg set peer "$WPPUB" endpoint 2001:db8:ff::2:51820 2>&1)
rc=$?
log "$out"
expect "wg set: IPv6 without brackets is refused" "$rc" != 0
check "wg set: the error says why" grep -q "needs brackets" <<<"$out"
expect "refused sets left the endpoint alone" "$(ep_of)" = "[2001:db8:ff::2]:51820"

# ------------------------------------------------------------------ reload
out=$(ctl gw reload 2>&1)
expect "reload of the unchanged file is accepted" "$?" = 0
# Twice: each reload frees the config the previous one installed.
out=$(ctl gw reload 2>&1)
expect "second reload accepted" "$?" = 0
check "genkand alive" kill -0 "${GKPID[gw]}"
acct_check gw	# before the stop: teardown finds no genkand to check
# The reloaded config (with its [wireguard]) is freed on the way out.
kill -TERM "${GKPID[gw]}"
wait "${GKPID[gw]}"
expect "genkand exits cleanly after the reload" "$?" = 0
GKPID[gw]=

summary
