#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The front door (issue #11) end to end: an internet client reaches HTTPS
# and a UDP service at the front door's public address; genkan carries each
# packet through WireGuard to servers at home (wireguard-go, nginx, socat),
# which see the client's real address (client_ip = preserve) and answer
# through the tunnel by policy routing, as docs/l4.md tells a stock Linux
# home to do. The oracles are curl (certificate and sha256), nginx's access
# log, socat, wg(8) and the kernels' own counters.
#
#  cl: client               fd: genkand front door (ip_forward = 0)
# +------------------+     +--------------------------------------------+
# | eth0             |-----| wan 198.51.100.1/24                        |
# | 198.51.100.2/24  |     |   [l4-service web] 203.0.113.10:443 tcp    |
# +------------------+     |   [l4-service echo] 203.0.113.10:5300 udp  |
#  default via .1          | inet 192.0.2.1/24, [wireguard] 51820       |
#  (peer offloads left     +--------------------------------------------+
#   at their defaults)                          | WireGuard, 192.0.2.0/24
#                          +--------------------------------------------+
#                          | hm: home, wireguard-go "wgl<pid>"          |
#                          | inet 192.0.2.2/24                          |
#                          | wgl 198.18.8.2, .3, .4 /24 (3 backends)    |
#                          | nginx :443 (TLS, cert made now), socat udp |
#                          | ip rule: from 198.18.8.0/24 -> wgl         |
#                          +--------------------------------------------+
#
# Checks: curl verifies the certificate and the body's sha256; nginx logs
# the client's address; UDP echo; 300 connections spread 3:1:1 (within
# 25 % of each share); `l4 lookup` names the backend 20 connections with
# chosen source ports really reached; a drained backend keeps a running
# transfer and gets no new connection; health checks (tcp, 500 ms, from the
# door's host path [wireguard] Address) find all three up, mark a backend
# whose host stops answering down within fall x interval (+ the probe in
# flight) while a transfer on another backend completes untouched and new
# connections avoid it, and mark it up again when it is back; a SYN flood from 20000 spoofed
# sources is absorbed by the bounded flow table (evictions counted) while a
# transfer runs on; genkand refuses a service on its own SSH port; stats
# count flows and replies; the front door's kernel forwarded nothing.
#
# Environment: GK_BUILD (meson build root), E2E_KEEP=1 keeps the run dir.

set -u
umask 077

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
TAG=gkl4-$$
WGL=wgl$$
WGIFS=$WGL
PING_I=0.1 PING_W=3 WARM_TRIES=6
VIP=203.0.113.10
DOOR_T=198.18.9.1	# the door's tunnel address (host path): health checks
BE="198.18.8.2 198.18.8.3 198.18.8.4"

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_init wireguard-go wg nginx socat -- ip nsenter ping curl jq openssl sha256sum nft
GWS="fd"
ALLNS="cl fd hm"

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
	local a

	wggo hm "$WGL" || return 1
	nx hm wg set "$WGL" private-key "$RUN/hm.key" listen-port 51820 \
		peer "$FDPUB" endpoint 192.0.2.1:51820 persistent-keepalive 1 \
		allowed-ips 0.0.0.0/0 || return 1
	for a in $BE; do
		a4 hm "$a/24" "$WGL" || return 1
	done
	r hm link set "$WGL" up || return 1
	# docs/l4.md: the backends' replies go back into the tunnel they came
	# from, whatever the home's default route says.
	r hm rule add from 198.18.8.0/24 lookup 100 priority 100 || return 1
	r hm route add default dev "$WGL" table 100
}

servers_up()
{
	local a

	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=frontdoor.test" \
		-addext "subjectAltName=DNS:frontdoor.test" -keyout "$RUN/tls.key" \
		-out "$RUN/tls.crt" >/dev/null 2>&1 || return 1
	mkdir -p "$RUN/www"
	head -c 4194304 /dev/urandom >"$RUN/www/big"
	SHA=$(sha256sum <"$RUN/www/big" | cut -d' ' -f1)
	{
		echo "worker_processes 1; pid $RUN/nginx.pid; error_log $RUN/nginx.err;"
		echo "events { worker_connections 1024; }"
		echo "http { log_format l4 '\$remote_addr \$server_addr \$remote_port';"
		echo "  access_log $RUN/access.log l4;"
		echo "  client_body_temp_path $RUN; proxy_temp_path $RUN; fastcgi_temp_path $RUN;"
		echo "  uwsgi_temp_path $RUN; scgi_temp_path $RUN;"
		echo "  server {"
		for a in $BE; do
			echo "    listen $a:443 ssl;"
		done
		echo "    ssl_certificate $RUN/tls.crt; ssl_certificate_key $RUN/tls.key;"
		echo "    root $RUN/www;"
		echo "    location = /who { default_type text/plain; return 200 \"\$server_addr\\n\"; }"
		echo "  }"
		echo "}"
	} >"$RUN/nginx.conf"
	chmod 755 "$RUN" "$RUN/www"
	chmod 644 "$RUN/www/big"
	nx hm nginx -c "$RUN/nginx.conf" -g 'user root;' || return 1
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
workers = 2

[port wan]
interface = wan

[port inet]
interface = inet

[wireguard]
PrivateKeyFile = $RUN/fd.key
ListenPort = 51820
port = inet
Address = $DOOR_T/24

[wireguard-peer home]
PublicKey = $HMPUB
AllowedIPs = 198.18.8.0/24

[l4-service web]
listen = $VIP:443
proto = tcp
backend = 198.18.8.2 weight=3
backend = 198.18.8.3
backend = 198.18.8.4
table_size = 65537
health = tcp
health_interval = 500ms
max_flows = 2048

[l4-service echo]
listen = $VIP:5300
proto = udp
backend = 198.18.8.2
max_flows = 1024
EOF
}

# ccurl ARGS...: curl from the client to https://frontdoor.test at VIP,
# the certificate verified against the one made above.
ccurl()
{
	nx cl curl -sS --max-time "${CURL_MAX:-20}" --cacert "$RUN/tls.crt" \
		--resolve "frontdoor.test:443:$VIP" "$@"
}

who() { ccurl "$@" https://frontdoor.test/who; }

log "topology"
topo_up || { fail "topology"; summary; exit 1; }
home_up || { fail "wireguard-go at home"; summary; exit 1; }
servers_up || { fail "nginx and socat at home"; summary; exit 1; }
write_conf
read -r KF4_0 _ <<<"$(kfwd fd)"

out=$(ip netns exec "$(ns fd)" "$GKD" --check -c "$(conf fd)" 2>&1)
expect "--check accepts the front door config" "$?" = 0

# A service on port 22 of the front door's own address: the parser takes
# it (allow_port_22), genkand, which knows the host's addresses, refuses.
{ cat "$(conf fd)"; printf '\n[l4-service ssh]\nlisten = 198.51.100.1:22\nproto = tcp\nbackend = 198.18.8.3\nallow_port_22 = yes\n'; } >"$RUN/ssh.conf"
mkdir -p "$RUN/bpf-fd"
mountpoint -q "$RUN/bpf-fd" || mount -t bpf bpf "$RUN/bpf-fd"
out=$(timeout 20 ip netns exec "$(ns fd)" "$GKD" -c "$RUN/ssh.conf" -f 2>&1)
expect "genkand refuses a service on its own SSH port" "$?" != 0
check "... and names the line and why" \
	grep -q "ssh.conf:[0-9]*: \[l4-service ssh\]: listen takes TCP port 22 of this host's own address" <<<"$out"
# Health checks need the host path into the tunnel: without Address,
# genkand refuses (they would fail and take working backends down).
sed '/^Address = /d' "$(conf fd)" >"$RUN/nohp.conf"
out=$(timeout 20 ip netns exec "$(ns fd)" "$GKD" -c "$RUN/nohp.conf" -f 2>&1)
expect "genkand refuses health checks with no host path" "$?" != 0
check "... naming the backend's line and the way out" \
	grep -q "nohp.conf:[0-9]*: \[l4-service web\]: backend 198.18.8.2:443 is health-checked from this host, which has no path into the tunnel: set \[wireguard\] Address" <<<"$out"
gk_start fd
check "genkand starts" gk_ready fd
hs_up() { [ "$(nx hm wg show "$WGL" latest-handshakes | awk '{print $2}')" -gt 0 ]; }
check "the tunnel is up (a handshake with wireguard-go)" wait_for 15 hs_up
all_up() {
	[ "$(ctl fd -j l4 show web | jq -r '[.services[0].backends[] | "\(.state):\(.health.state):\(.health.checks > 0)"] | join(",")')" = \
		"up:up:true,up:up:true,up:up:true" ]
}
check "health checks through the door's host path ($DOOR_T) find all three up" \
	wait_for 15 all_up
ctl fd -j l4 show >"$RUN/show.json" 2>&1
expect "l4 show lists both services" \
	"$(jq -r '[.services[].name] | join(",")' "$RUN/show.json")" = "web,echo"
expect "web has three backends, all up" \
	"$(jq -r '[.services[0].backends[].state] | join(",")' "$RUN/show.json")" = "up,up,up"

# ---------------------------------------------------------------- HTTPS
log "HTTPS through the front door"
big_ok() { [ "$(ccurl https://frontdoor.test/big | sha256sum | cut -d' ' -f1)" = "$SHA" ]; }
check "curl: certificate verified, 4 MiB with the right sha256" big_ok
check "nginx logged the client's own address (198.51.100.2)" \
	grep -q "^198.51.100.2 198.18.8" "$RUN/access.log"
check "no access from a front door address" \
	bash -c '! grep -qv "^198.51.100.2 " "$1"' _ "$RUN/access.log"

# ---------------------------------------------------------------- UDP
log "UDP echo through the front door"
got=$(echo "hello front door" | nx cl timeout 5 socat -t 2 - UDP4:$VIP:5300 2>&1)
expect "UDP: the echo came back from the listen address" "$got" = "hello front door"

# ---------------------------------------------------------------- fragments
fr0=$(ctl fd -j l4 show | jq -r .counters.fragment)
nsx cl /usr/bin/python3 - "$VIP" <<'PY' >"$RUN/frag.log" 2>&1
import sys
from scapy.all import IP, UDP, Raw, fragment, send, conf
conf.verb = 0
send(fragment(IP(src="198.51.100.2", dst=sys.argv[1]) /
              UDP(sport=40100, dport=5300) / Raw(b"x" * 3000), fragsize=1000))
PY
fr1=$(ctl fd -j l4 show | jq -r .counters.fragment)
expect "fragments to the listen address are dropped and counted (4)" \
	"$((fr1 - fr0))" = 4

# ---------------------------------------------------------------- spread
log "300 connections, weights 3:1:1"
CURL_MAX=5
: >"$RUN/spread"
for ((k = 0; k < 300; k++)); do
	who >>"$RUN/spread" 2>/dev/null
done
n2=$(grep -c '^198.18.8.2$' "$RUN/spread")
n3=$(grep -c '^198.18.8.3$' "$RUN/spread")
n4=$(grep -c '^198.18.8.4$' "$RUN/spread")
log "spread: .2 $n2, .3 $n3, .4 $n4"
expect "all 300 connections answered" $((n2 + n3 + n4)) = 300
expect "backend .2 (weight 3) got 180 +- 25 %" "$n2" -ge 135
expect "backend .2 (weight 3) got 180 +- 25 %" "$n2" -le 225
expect "backend .3 (weight 1) got 60 +- 25 %" "$n3" -ge 30
expect "backend .3 (weight 1) got 60 +- 25 %" "$n3" -le 90
expect "backend .4 (weight 1) got 60 +- 25 %" "$n4" -ge 30

# ---------------------------------------------------------------- lookup
log "l4 lookup against where connections went"
bad=0
# Ports above the kernel's ephemeral range: none of the connections above
# (or their TIME_WAIT) holds them.
for ((p = 61000; p < 61020; p++)); do
	went=$(who --local-port "$p" 2>"$RUN/who.err") ||
		log "port $p: $(cat "$RUN/who.err")"
	said=$(ctl fd -j l4 lookup web "198.51.100.2:$p" | jq -r .backend)
	[ "$said" = "$went:443" ] || { bad=$((bad + 1)); log "port $p: lookup $said, went $went"; }
	sleep 0.05
done
expect "l4 lookup agrees with 20 real connections" "$bad" = 0

# ---------------------------------------------------------------- drain
log "drain the backend of a running transfer"
# The transfer's own source port (above the ephemeral range, unused so
# far) names its flow in l4 flows; earlier connections may linger there.
nx cl curl -sS --max-time 60 --limit-rate 400k --cacert "$RUN/tls.crt" \
	--local-port 62100 --resolve "frontdoor.test:443:$VIP" -o "$RUN/slow" \
	https://frontdoor.test/big 2>"$RUN/slow.err" &
SLOW=$!
sleep 1
ctl fd -j l4 flows web >"$RUN/flows.json" 2>&1
DB=$(jq -r '[.flows[] | select(.client == "198.51.100.2:62100")][0].backend // "NA"' \
	"$RUN/flows.json")
DB=${DB%:443}
log "the transfer's backend: $DB"
check "l4 flows lists the transfer's flow, pinned to a backend" \
	grep -qE '^198\.18\.8\.[234]$' <<<"$DB"
ctl fd -j l4 show web >"$RUN/show-live.json" 2>&1
expect "l4 show counts the transfer among its backend's live flows" \
	"$(jq -r --arg b "$DB" '.services[0].backends[] | select(.backend | startswith($b + ":")) | .flows' "$RUN/show-live.json")" -ge 1
expect "... from every worker" "$(jq -r .flows_complete "$RUN/show-live.json")" = true
out=$(ctl fd l4 backend web "$DB" drain 2>&1)
expect "l4 backend web $DB drain" "$?" = 0
: >"$RUN/after"
for ((k = 0; k < 30; k++)); do
	who >>"$RUN/after" 2>/dev/null
done
expect "30 new connections answered" "$(grep -c . "$RUN/after")" = 30
expect "no new connection went to the drained backend" \
	"$(grep -cx "$DB" "$RUN/after")" = 0
wait "$SLOW"
expect "the transfer on the drained backend completed" "$?" = 0
expect "... intact (sha256)" "$(sha256sum <"$RUN/slow" | cut -d' ' -f1)" = "$SHA"
ctl fd -j l4 show >"$RUN/show.json" 2>&1
expect "l4 show: $DB is draining" \
	"$(jq -r --arg b "$DB" '.services[0].backends[] | select(.backend | startswith($b + ":")) | .state' "$RUN/show.json")" = draining
out=$(ctl fd l4 backend web "$DB" enable 2>&1)
expect "l4 backend web $DB enable" "$?" = 0

# ---------------------------------------------------------------- health
log "health checks: a backend dies during a transfer on another"
be_state() {
	ctl fd -j l4 show web | jq -r --arg b "$1" \
		'.services[0].backends[] | select(.backend | startswith($b + ":")) | .state'
}
is_be() { [ "$(be_state "$1")" = "$2" ]; }
nx cl curl -sS --max-time 60 --limit-rate 400k --cacert "$RUN/tls.crt" \
	--local-port 62200 --resolve "frontdoor.test:443:$VIP" -o "$RUN/slow3" \
	https://frontdoor.test/big 2>"$RUN/slow3.err" &
SLOW=$!
sleep 1
ctl fd -j l4 flows web >"$RUN/flows3.json" 2>&1
TB=$(jq -r '[.flows[] | select(.client == "198.51.100.2:62200")][0].backend // "NA"' \
	"$RUN/flows3.json")
TB=${TB%:443}
# the victim: another backend than the transfer's
for KB in $BE; do
	[ "$KB" != "$TB" ] && break
done
log "transfer on $TB; killing $KB (the home drops all it receives)"
check "the health checks see every backend up first" all_up
tr0=$(ctl fd -j l4 show web | jq -r --arg b "$KB" '.services[0].backends[] | select(.backend | startswith($b + ":")) | .health.transitions')
nd0=$(grep -c "l4-service web: backend $KB:443 is down" "$(gklog fd)")
t0=$(date +%s%N)
# the backend host dies: nothing it receives gets an answer any more
nx hm nft -f - <<EOF
table inet gkdead {
	chain input { type filter hook input priority 0; ip daddr $KB drop; }
}
EOF
check "$KB is marked down" wait_for 10 is_be "$KB" down
ms=$((($(date +%s%N) - t0) / 1000000))
log "down after $ms ms (fall 3 x 500 ms, plus the probe in flight)"
expect "... within fall x interval + interval + 1 s slack (3 s)" "$ms" -le 3000
expect "the door logged it once" \
	"$(($(grep -c "l4-service web: backend $KB:443 is down" "$(gklog fd)") - nd0))" = 1
: >"$RUN/after3"
for ((k = 0; k < 30; k++)); do
	who >>"$RUN/after3" 2>/dev/null
done
expect "30 new connections answered while $KB is down" "$(grep -c . "$RUN/after3")" = 30
expect "none of them went to $KB" "$(grep -cx "$KB" "$RUN/after3")" = 0
wait "$SLOW"
expect "the transfer on $TB was not reset: it completed" "$?" = 0
expect "... intact (sha256)" "$(sha256sum <"$RUN/slow3" | cut -d' ' -f1)" = "$SHA"
nx hm nft delete table inet gkdead
check "$KB back: marked up again (rise 2)" wait_for 10 is_be "$KB" up
check "the door logged that" grep -q "l4-service web: backend $KB:443 is up" "$(gklog fd)"
ctl fd -j l4 show web >"$RUN/h.json"
expect "l4 show: its health counted failures" \
	"$(jq -r --arg b "$KB" '.services[0].backends[] | select(.backend | startswith($b + ":")) | .health.failures' "$RUN/h.json")" -ge 3
expect "l4 show: its health went down and up once more" \
	"$(($(jq -r --arg b "$KB" '.services[0].backends[] | select(.backend | startswith($b + ":")) | .health.transitions' "$RUN/h.json") - tr0))" = 2

# ---------------------------------------------------------------- flood
log "SYN flood from 20000 spoofed sources during a transfer"
nx cl curl -sS --max-time 60 --limit-rate 800k --cacert "$RUN/tls.crt" \
	--resolve "frontdoor.test:443:$VIP" -o "$RUN/slow2" \
	https://frontdoor.test/big 2>"$RUN/slow2.err" &
SLOW=$!
sleep 1
ev0=$(ctl fd -j l4 show | jq -r .counters.evicted)
nsx cl /usr/bin/python3 - "$VIP" <<'PY' >"$RUN/flood.log" 2>&1
import random, sys
from scapy.all import IP, TCP, send, conf
conf.verb = 0
random.seed(7)
pkts = [IP(src="198.51.100.%d" % random.randint(3, 250), dst=sys.argv[1]) /
        TCP(sport=random.randint(1024, 65535), dport=443, flags="S",
            seq=random.getrandbits(32)) for _ in range(20000)]
send(pkts, inter=0)
PY
ev1=$(ctl fd -j l4 show | jq -r .counters.evicted)
log "evicted: $ev0 -> $ev1"
expect "the bounded flow table evicted (and counted) under the flood" \
	"$((ev1 - ev0))" -ge 5000
wait "$SLOW"
expect "the transfer running through the flood completed" "$?" = 0
expect "... intact (sha256)" "$(sha256sum <"$RUN/slow2" | cut -d' ' -f1)" = "$SHA"
check "new connections still work after the flood" big_ok
check "genkand alive after the flood" kill -0 "${GKPID[fd]}"

# ---------------------------------------------------------------- counters
ctl fd -j l4 show >"$RUN/show.json" 2>&1
nf=$(jq -r .counters.new_flows "$RUN/show.json")
rv=$(jq -r .counters.reverse "$RUN/show.json")
expect "l4 counters: flows pinned (>= 351)" "$nf" -ge 351
expect "l4 counters: replies rewritten" "$rv" -ge 351
expect "l4 counters: nothing dropped for lack of a backend" \
	"$(jq -r .counters.no_backend "$RUN/show.json")" = 0
out=$(ctl fd l4 backend web 198.51.100.99 drain 2>&1)
expect "l4 backend: an unknown backend is refused" "$?" != 0
out=$(ctl fd l4 lookup nosuch 198.51.100.2:1 2>&1)
expect "l4 lookup: an unknown service is refused" "$?" != 0

log "genkanctl l4 show at the end:"
ctl fd l4 show >"$RUN/show.txt" 2>&1
sed 's/^/#   /' "$RUN/show.txt"
expect "l4 show: the udp service's backend has no health check" \
	"$(ctl fd l4 show echo | awk '$1 == "198.18.8.2:0" { print $4 }')" = none
expect "l4 show: web's backends are up (ok)" \
	"$(awk '$1 ~ /^198\.18\.8\.[234]:0$/ && $4 " " $5 == "up (ok)"' "$RUN/show.txt" | wc -l)" = 3
read -r KF4_1 _ <<<"$(kfwd fd)"
expect "the front door's kernel forwarded nothing" $((KF4_1 - KF4_0)) = 0
check "genkand still running" kill -0 "${GKPID[fd]}"

summary
