#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The gateway host's own path through genkan's tunnels (issue #11, item 4):
# genkand's [wireguard] Address makes a TUN device on the door whose queues
# the workers serve, so the door's own kernel sockets (ping, curl, a socat
# listener; later genkand's health probes) reach the home network through
# genkan's WireGuard, with no kernel wg0 and ip_forward = 0. The oracles
# are ping, curl (sha256 of the body), socat, wg(8), iproute2 and the
# kernels' own counters.
#
#  fd: genkand front door (ip_forward = 0)     hm: home, wireguard-go "wgh<pid>"
# +-------------------------------------+     +-------------------------------+
# | inet 198.51.100.1/24  [wireguard]   |-----| inet 198.51.100.2/24          |
# |   51820, port inet                  |     | wgh 192.0.2.2/24,             |
# | gkh<pid>: TUN made by genkand       |     |     2001:db8:8::2/64          |
# |   192.0.2.1/24, 2001:db8:8::1/64    |     | lo 203.0.113.10 (nginx :8080) |
# |   routes 203.0.113.0/24, 192.0.2.2, |     | peer fd: AllowedIPs           |
# |   2001:db8:8::2 (AllowedIPs)        |     |   192.0.2.1/32, 2001:db8:8::1 |
# |   socat listener 192.0.2.1:7000     |     +-------------------------------+
# +-------------------------------------+
#
# Checks: --check takes Address and refuses one inside a peer's AllowedIPs
# (naming the line), genkand refuses a host_interface that exists; the TUN has the WireGuard mtu, the addresses and a
# route per AllowedIPs prefix; from the door: ping 192.0.2.2 and
# 2001:db8:8::2, curl 4 MiB from nginx at home (sha256); from home: ping
# the door's tunnel addresses, 2 MiB over TCP from a socat listener on
# 192.0.2.1 (sha256); the TUN port's counters moved in `genkanctl stats`,
# no packet was given up as "kernel" (no_punt), the door's kernel
# forwarded nothing; SIGTERM takes the device away.
#
# Environment: GK_BUILD (meson build root), E2E_KEEP=1 keeps the run dir.

set -u
umask 077

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
TAG=gkhp-$$
WGH=wgh$$
TUN=gkh$$
WGIFS=$WGH
WORKERS=2
PING_I=0.1 PING_W=3 WARM_TRIES=8

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_init wireguard-go wg nginx socat -- ip nsenter ping curl jq sha256sum
GWS="fd"
ALLNS="fd hm"

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
	ns_up net.ipv6.conf.default.accept_ra=0 || return 1
	veth fd inet hm inet || return 1
	peer hm inet || return 1
	a4 fd 198.51.100.1/24 inet
	a4 hm 198.51.100.2/24 inet
	r fd link set inet up && r hm link set inet up || return 1
	gws_noforward
}

home_up()
{
	wggo hm "$WGH" || return 1
	nx hm wg set "$WGH" private-key "$RUN/hm.key" listen-port 51820 \
		peer "$FDPUB" endpoint 198.51.100.1:51820 persistent-keepalive 1 \
		allowed-ips 192.0.2.1/32,2001:db8:8::1/128 || return 1
	a4 hm 192.0.2.2/24 "$WGH" && a6 hm 2001:db8:8::2/64 "$WGH" &&
		a4 hm 203.0.113.10/32 lo || return 1
	r hm link set "$WGH" up
}

servers_up()
{
	mkdir -p "$RUN/www"
	head -c 4194304 /dev/urandom >"$RUN/www/big"
	SHA=$(sha256sum <"$RUN/www/big" | cut -d' ' -f1)
	{
		echo "worker_processes 1; pid $RUN/nginx.pid; error_log $RUN/nginx.err;"
		echo "events { worker_connections 64; }"
		echo "http { access_log $RUN/access.log;"
		echo "  client_body_temp_path $RUN; proxy_temp_path $RUN; fastcgi_temp_path $RUN;"
		echo "  uwsgi_temp_path $RUN; scgi_temp_path $RUN;"
		echo "  server { listen 203.0.113.10:8080; root $RUN/www; }"
		echo "}"
	} >"$RUN/nginx.conf"
	chmod 755 "$RUN" "$RUN/www"
	chmod 644 "$RUN/www/big"
	nx hm nginx -c "$RUN/nginx.conf" -g 'user root;'
}

# write_conf [EXTRA_ALLOWED]: the door's config; the peer's AllowedIPs
# get EXTRA_ALLOWED appended (the refusal case).
write_conf()
{
	cat <<EOF
[genkan]
instance = $TAG-fd
socket = $(sock fd)
bpffs = $RUN/bpf-fd
workers = $WORKERS

[port inet]
interface = inet

[wireguard]
PrivateKeyFile = $RUN/fd.key
ListenPort = 51820
port = inet
Address = 192.0.2.1/24
Address = 2001:db8:8::1/64
host_interface = $TUN

[wireguard-peer home]
PublicKey = $HMPUB
Endpoint = 198.51.100.2:51820
AllowedIPs = 192.0.2.2/32, 203.0.113.0/24, 2001:db8:8::2/128${1:+, $1}
EOF
}

# fd_has ARGS...: `ip ARGS` in fd prints something; fd_lacks: it fails.
fd_has() { [ -n "$(r fd "$@" 2>/dev/null)" ]; }
fd_lacks() { ! r fd "$@" >/dev/null 2>&1; }

log "topology"
topo_up || { fail "topology"; summary; exit 1; }
home_up || { fail "wireguard-go at home"; summary; exit 1; }
servers_up || { fail "nginx at home"; summary; exit 1; }
write_conf >"$(conf fd)"
write_conf 192.0.2.0/28 >"$RUN/inside.conf"
read -r KF4_0 KF6_0 <<<"$(kfwd fd)"

# ---------------------------------------------------------------- config
out=$(ip netns exec "$(ns fd)" "$GKD" --check -c "$(conf fd)" 2>&1)
expect "--check accepts Address and host_interface" "$?" = 0
out=$(ip netns exec "$(ns fd)" "$GKD" --check -c "$RUN/inside.conf" 2>&1)
expect "--check refuses an Address inside a peer's AllowedIPs" "$?" != 0
check "... naming the Address line and the peer" \
	grep -q "inside.conf:14: Address 192.0.2.1 is inside AllowedIPs of wireguard-peer 'home' (line 21)" <<<"$out"

# A host_interface that exists (the port's own veth): refused at start.
sed "s/^host_interface = .*/host_interface = inet/" "$(conf fd)" >"$RUN/taken.conf"
mkdir -p "$RUN/bpf-fd"
mountpoint -q "$RUN/bpf-fd" || mount -t bpf bpf "$RUN/bpf-fd"
out=$(timeout 20 ip netns exec "$(ns fd)" "$GKD" -c "$RUN/taken.conf" -f 2>&1)
expect "genkand refuses a host_interface that exists" "$?" != 0
check "... naming the line" \
	grep -q "taken.conf:16: host path: interface inet exists already" <<<"$out"
check "... and inet is still there" fd_has link show inet

gk_start fd
check "genkand starts" gk_ready fd
check "genkand fd: both workers running" wait_for 10 workers_running fd

# ---------------------------------------------------------------- device
log "the host interface"
lk=$(r fd -j link show "$TUN" 2>/dev/null)
expect "genkand made $TUN" "$(jq -r '.[0].ifname' <<<"$lk")" = "$TUN"
expect "$TUN: the WireGuard mtu" "$(jq -r '.[0].mtu' <<<"$lk")" = 1420
expect "$TUN: up" "$(jq -r '.[0].flags | index("UP") != null' <<<"$lk")" = true
expect "$TUN: one queue per worker (a multi-queue TUN)" \
	"$(nsx fd ls "/sys/class/net/$TUN/queues" 2>/dev/null | grep -c '^rx-')" = "$WORKERS"
addrs=$(r fd -j addr show dev "$TUN" | jq -r '[.[0].addr_info[] | "\(.local)/\(.prefixlen)"] | sort | join(",")')
expect "$TUN: the Address entries, and no link-local" "$addrs" = "192.0.2.1/24,2001:db8:8::1/64"
check "$TUN: route 203.0.113.0/24 (AllowedIPs)" \
	fd_has route show 203.0.113.0/24 dev "$TUN"
check "$TUN: route 2001:db8:8::2 (AllowedIPs)" \
	fd_has -6 route show 2001:db8:8::2 dev "$TUN"
ctl fd -j stats >"$RUN/stats0.json"
expect "genkanctl stats lists the TUN port per worker" \
	"$(jq --arg t "$TUN" '[.ports[] | select(.name == $t and .kind == "tun")] | length' "$RUN/stats0.json")" = "$WORKERS"

# ---------------------------------------------------------------- door -> home
log "from the door's own shell into the tunnel"
check "door: ping 192.0.2.2 (home's tunnel address)" warm fd 192.0.2.2 5
check "door: ping 2001:db8:8::2" warm fd 2001:db8:8::2 5
big_ok()
{
	[ "$(nx fd curl -sS --max-time 30 http://203.0.113.10:8080/big | sha256sum | cut -d' ' -f1)" = "$SHA" ]
}
check "door: curl 4 MiB from nginx at home, sha256 intact" big_ok
check "nginx saw the door's tunnel address" grep -q '^192\.0\.2\.1 ' "$RUN/access.log"

# ---------------------------------------------------------------- home -> door
log "from home to the door's own sockets"
check "home: ping 192.0.2.1 (the door's tunnel address)" warm hm 192.0.2.1 5
check "home: ping 2001:db8:8::1" warm hm 2001:db8:8::1 5
head -c 2097152 /dev/urandom >"$RUN/up"
USHA=$(sha256sum <"$RUN/up" | cut -d' ' -f1)
bg fd "$RUN/listen.log" socat -U TCP-LISTEN:7000,bind=192.0.2.1,reuseaddr \
	FILE:"$RUN/up"
check "door: socat listens on 192.0.2.1:7000" \
	wait_for 10 eval "[ -n \"\$(nx fd ss -Hltn 'sport = :7000')\" ]"
nx hm timeout 30 socat -u TCP:192.0.2.1:7000 CREATE:"$RUN/got" 2>"$RUN/recv.err"
expect "home: connected to the door's listener, read to the end" "$?" = 0
expect "... 2 MiB from the door, intact (sha256)" \
	"$(sha256sum <"$RUN/got" | cut -d' ' -f1)" = "$USHA"

# ---------------------------------------------------------------- counters
ctl fd -j stats >"$RUN/stats.json"
tun_rx=$(jq --arg t "$TUN" '[.ports[] | select(.name == $t) | .rx_packets] | add' "$RUN/stats.json")
tun_tx=$(jq --arg t "$TUN" '[.ports[] | select(.name == $t) | .tx_packets] | add' "$RUN/stats.json")
tun_bad=$(jq --arg t "$TUN" '[.ports[] | select(.name == $t) | .tun | .rx_bad + .rx_errors + .tx_errors + .tx_bad] | add' "$RUN/stats.json")
log "TUN port: rx $tun_rx tx $tun_tx"
# 4 MiB in and 2 MiB out, at most 1420 bytes a packet
expect "TUN port read the host's packets (2 MiB of data, ACKs)" "$tun_rx" -ge 1500
expect "TUN port wrote to the host (4 MiB of data)" "$tun_tx" -ge 3000
expect "TUN port: no bad packets or errors" "$tun_bad" = 0
expect "no packet given up for want of a punt path (no_punt)" \
	"$(jq -r '.worker_drops.no_punt' "$RUN/stats.json")" = 0
hs=$(wggo_peer hm "$WGH")
log "wireguard-go's view of the door: $hs"
read -r _ _ wrx wtx <<<"$hs"
expect "wireguard-go received the door's 2 MiB" "$wrx" -ge 2097152
expect "wireguard-go sent nginx's 4 MiB" "$wtx" -ge 4194304

check "the door's kernel never forwarded (ip_forward = 0)" fwd_off
read -r KF4_1 KF6_1 <<<"$(kfwd fd)"
expect "the door's kernel forwarded no IPv4" $((KF4_1 - KF4_0)) = 0
expect "the door's kernel forwarded no IPv6" $((KF6_1 - KF6_0)) = 0
check "genkand still running" kill -0 "${GKPID[fd]}"

# ---------------------------------------------------------------- stop
acct_check fd	# before the stop: teardown finds no genkand to check
stop_pid "${GKPID[fd]}" TERM
GKPID[fd]=""
check "SIGTERM: $TUN is gone with genkand" \
	wait_for 5 fd_lacks link show "$TUN"

summary
