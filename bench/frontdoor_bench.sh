#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The front door against the stacks it replaces (issue #12, Bench): the same
# client, the same home and the same traffic, with four front doors measured
# in one run, interleaved (round 1: every set-up once, round 2: again, ...):
#
#   genkan   genkand: [l4-service] tcp 80, 443 and 5201 + [wireguard] to the
#            home, workers = 1 (FRONTDOOR_BENCH_SETUPS may add genkan2:
#            workers = 2); kernel forwarding off
#   seed     nginx `stream` proxy (TCP passthrough on 80, 443, 5201) +
#            wireguard-go, the stack a seed front door runs today
#   haproxy  HAProxy `mode tcp` on the same ports + wireguard-go
#   kernel   nftables DNAT + kernel forwarding + wireguard-go
#
#  cl: client              fd: front door                    hm: home
# +-----------------+     +----------------------------+     +-------------------------------+
# | eth0            |-----| wan 198.51.100.1/24        |     | inet 192.0.2.2/24             |
# | 198.51.100.2/24 |     |     203.0.113.10/32 (VIP)  |     | wireguard-go wfh<pid>         |
# | wrk, iperf3 -c, |     | inet 192.0.2.1/24 ---------|-----|   198.18.8.2/24, peer door    |
# | curl            |     | genkan, or wireguard-go    |     |   AllowedIPs 0.0.0.0/0        |
# +-----------------+     |   wfd<pid> 198.18.8.1/24   |     | nginx :80, :443 (TLS, cert    |
#  default via .1         |   + nginx/HAProxy/nft      |     |   made now), iperf3 -s :5201  |
#                         +----------------------------+     | ip rule from 198.18.8.0/24    |
#                                                            |   lookup 100: default dev wfh |
#                                                            +-------------------------------+
#
# The home is the same in every set-up: wireguard-go with the door's key as
# its peer, and the policy routing of docs/l4.md ("The home side"), as
# tests/e2e/e2e_l4.sh sets it up, so its replies go back into the tunnel.
# The door's wireguard-go (set-ups 2-4) holds the door's key and listens on
# 192.0.2.1:51820 as genkan does, so the home cannot tell them apart. With
# genkan and nftables the home sees the client's address; behind the two
# proxies it sees the door's tunnel address 198.18.8.1 (the run prints what
# the home saw). Every set-up gets fresh namespaces; the key pairs and the
# certificate are made once.
#
# Per set-up and round, after a check (curl: the small page over HTTP, 4 MiB
# over HTTPS with the certificate verified and the sha256 compared):
#   close  wrk -H 'Connection: close' on the small page: a new TCP
#          connection per request; requests/s, p50, p99
#   keep   the same with keep-alive
#   tcp1   iperf3 -R (home -> client, the direction a web server sends)
#          through the door's listen address, 1 stream; Mbit/s
#   tcp4   the same, 4 streams
# and around each: the CPU the door's processes used (utime + stime of
# genkand, or of nginx/HAProxy + wireguard-go, /proc/PID/stat), and the
# kernel time of the whole machine (/proc/stat system + irq + softirq over
# all CPUs). The second column is there because the kernel set-up's NAT
# and forwarding run in softirq, which no process is charged for; it holds
# the client's and the home's kernel work as well, the same in every
# set-up. CPU per GB comes from tcp1 + tcp4, CPU per 10k connections from
# close.
#
# Output: a table (medians, min..max over the rounds, ratios to the seed
# stack of the same run, and what bounds each set-up), a JSON file and a
# PNG bar chart (gnuplot) beside it.
#
# Environment:
#   GK_BUILD                 meson build root (default <repo>/build)
#   FRONTDOOR_BENCH_OUT      the JSON's path (default: a new directory
#                            /tmp/gkfb-result-<time>-<pid>/frontdoor.json)
#   FRONTDOOR_BENCH_QUICK=1  a smoke run: 2 s tests, one round
#   FRONTDOOR_BENCH_SECS     seconds per test (default 5)
#   FRONTDOOR_BENCH_REPS     rounds (default 3)
#   FRONTDOOR_BENCH_CONNS    wrk connections (default 32)
#   FRONTDOOR_BENCH_SETUPS   set-ups in order (default "genkan seed haproxy
#                            kernel"; genkan2 is genkan with workers = 2)
#   FRONTDOOR_BENCH_KEEP=1   keep the run directory (logs, configs)
# Needs root, iproute2, ethtool, jq, curl, openssl, wrk, iperf3, nginx with
# the stream module (libnginx-mod-stream), haproxy, nftables, wireguard-go,
# wg and gnuplot (scripts/deps.sh installs them).
#
# Noise and limits: the client, the door, the home and the load generators
# share this machine's cores, so a set-up is often bounded by the box, not
# by its door; compare set-ups of the same run. The exit status is 1 when a
# set-up failed its check, else 0; nothing is asserted about speed.

set -u
umask 077		# keys are root's only

SECS=${FRONTDOOR_BENCH_SECS:-5}
REPS=${FRONTDOOR_BENCH_REPS:-3}
if [ -n "${FRONTDOOR_BENCH_QUICK:-}" ]; then
	SECS=${FRONTDOOR_BENCH_SECS:-2}
	REPS=${FRONTDOOR_BENCH_REPS:-1}
fi
CONNS=${FRONTDOOR_BENCH_CONNS:-32}
SETUPS=${FRONTDOOR_BENCH_SETUPS:-genkan seed haproxy kernel}
TESTS="close keep tcp1 tcp4"

here=$(cd "$(dirname "$0")" && pwd)
GK_BUILD=${GK_BUILD:-$here/../build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
TAG=gkfb-$$		# not gkfd: e2e_frontdoor's
WFD=wfd$$		# wireguard-go interface names: the UAPI socket
WFH=wfh$$		# directory is shared by all namespaces
VIP=203.0.113.10
HOME_IP=198.18.8.2
DOOR_TUN=198.18.8.1
IPERF_PORT=5201
NGX_STREAM=/usr/lib/nginx/modules/ngx_stream_module.so

# ns, nx, nsx, r, a4, peer, sock, ctl, stop_pid, wait_for, kfwd, log
# shellcheck source=tests/e2e/lib.sh
. "$here/../tests/e2e/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root"
	exit 77
fi
for t in ip ethtool jq curl openssl sha256sum wrk iperf3 nginx haproxy nft \
	wireguard-go wg nsenter; do
	command -v "$t" >/dev/null 2>&1 || { echo "missing tool: $t (scripts/deps.sh)"; exit 1; }
done
[ -f "$NGX_STREAM" ] || { echo "no nginx stream module at $NGX_STREAM (libnginx-mod-stream)"; exit 1; }
case " $SETUPS " in
*" genkan"*)
	if [ ! -x "$GKD" ] || [ ! -x "$GKCTL" ]; then
		echo "no genkand/genkanctl under $GK_BUILD/ctl (set GK_BUILD)"
		exit 1
	fi ;;
esac
for s in $SETUPS; do
	case $s in genkan | genkan2 | seed | haproxy | kernel) ;;
	*) echo "unknown set-up '$s' (genkan genkan2 seed haproxy kernel)"; exit 2 ;;
	esac
done

RUN=$(mktemp -d "/tmp/$TAG.XXXXXX")
chmod 711 "$RUN"	# nginx workers (root here) read www/ below it
if [ -n "${FRONTDOOR_BENCH_OUT:-}" ]; then
	OUT=$FRONTDOOR_BENCH_OUT
else
	OUT=/tmp/gkfb-result-$(date -u +%Y%m%dT%H%M%SZ)-$$/frontdoor.json
	OUT_MADE=1	# an interrupted run leaves no empty directory
fi
mkdir -p "$(dirname "$OUT")" || exit 1
PNG=${OUT%.json}.png
RESULTS=$RUN/results
: >"$RESULTS"
ALLNS="cl fd hm"
declare -A GKPID=() WGPID=()
HELPERS=()
DOOR_MAIN=		# genkand, nginx's master or haproxy
CLIENT_PID=		# the running wrk or iperf3 client (timeout's pid)
DOOR_WG=		# the door's wireguard-go
HOME_WG=		# the home's wireguard-go
HOME_SRV=		# the home's nginx and iperf3 -s
FAILED=()

# Tear one set-up down: every process it started, then the namespaces.
teardown_setup()
{
	local p n

	# the load generator first, under its timeout (which would not pass
	# on a KILL); it holds no state
	if [ -n "$CLIENT_PID" ]; then
		for p in $(pgrep -P "$CLIENT_PID"); do
			kill -KILL "$p" 2>/dev/null
		done
		# (timeout dies of the child's signal: no "Killed" line)
		{ stop_pid "$CLIENT_PID" TERM; } 2>/dev/null
	fi
	for p in ${GKPID[@]+"${GKPID[@]}"} ${WGPID[@]+"${WGPID[@]}"} \
		${HELPERS[@]+"${HELPERS[@]}"}; do
		stop_pid "$p" TERM
	done
	CLIENT_PID=
	GKPID=()
	WGPID=()
	HELPERS=()
	DOOR_MAIN=
	DOOR_WG=
	HOME_WG=
	HOME_SRV=
	for n in $ALLNS; do
		[ -e "/run/netns/$(ns "$n")" ] && ip netns del "$(ns "$n")" 2>/dev/null
	done
	rm -f "/var/run/wireguard/$WFD.sock" "/var/run/wireguard/$WFH.sock" "$(sock fd)"
	umount -l "$RUN/bpf-fd" 2>/dev/null
}

cleanup()
{
	trap - EXIT INT TERM
	teardown_setup
	[ -n "${OUT_MADE:-}" ] && rmdir "$(dirname "$OUT")" 2>/dev/null
	if [ -n "${FRONTDOOR_BENCH_KEEP:-}" ]; then
		echo "# run directory kept: $RUN"
	else
		rm -rf "$RUN"
	fi
}
trap cleanup EXIT
trap 'echo "# interrupted"; exit 130' INT
trap 'echo "# terminated"; exit 143' TERM

# bgx NS LOG CMD...: CMD in NS (net namespace and a fresh /sys), in the
# background, ours: nsenter and ip netns exec exec CMD, so $! is CMD's own
# pid (a backgrounded shell function would be a subshell's, and killing
# that would leave CMD running). pid in BG_PID and HELPERS.
bgx()
{
	local n=$1 lg=$2
	shift 2
	ip netns exec "$(ns "$n")" "$@" >"$lg" 2>&1 &
	BG_PID=$!
	HELPERS+=("$BG_PID")
}

# listening NS PORT: something listens on TCP PORT in NS.
listening() { [ -n "$(nx "$1" ss -Hltn "sport = :$2")" ]; }

# ------------------------------------------------------------------ made once

for k in fd hm; do
	wg genkey >"$RUN/$k.key"
	wg pubkey <"$RUN/$k.key" >"$RUN/$k.pub"
done
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=frontdoor.test" \
	-addext "subjectAltName=DNS:frontdoor.test" -keyout "$RUN/tls.key" \
	-out "$RUN/tls.crt" >/dev/null 2>&1 || { echo "openssl failed"; exit 1; }
mkdir -p "$RUN/www" "$RUN/ngx-tmp"
# The small page: about the size of nginx's default index.html.
head -c 600 /dev/zero | tr '\0' 'x' >"$RUN/www/small"
head -c 4194304 /dev/urandom >"$RUN/www/big"
SHA=$(sha256sum <"$RUN/www/big" | cut -d' ' -f1)
chmod 755 "$RUN/www"
chmod 644 "$RUN/www/small" "$RUN/www/big" "$RUN/tls.crt"
cat >"$RUN/home-nginx.conf" <<EOF
# the home's web server, the same in every set-up
daemon off;
worker_processes auto;
pid $RUN/home-nginx.pid;
error_log $RUN/home-nginx.err;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 1000000;
	# nginx gives its temp directories to the workers' user (nobody):
	# a directory of their own, not the run directory with the keys
	client_body_temp_path $RUN/ngx-tmp; proxy_temp_path $RUN/ngx-tmp;
	fastcgi_temp_path $RUN/ngx-tmp; uwsgi_temp_path $RUN/ngx-tmp; scgi_temp_path $RUN/ngx-tmp;
	server {
		listen $HOME_IP:80;
		listen $HOME_IP:443 ssl;
		ssl_certificate $RUN/tls.crt; ssl_certificate_key $RUN/tls.key;
		root $RUN/www;
		# what the home sees as the client's address
		location = /who { default_type text/plain; return 200 "\$remote_addr\n"; }
	}
}
EOF
cat >"$RUN/door-nginx.conf" <<EOF
# the seed stack's front door: nginx stream, TCP passthrough, as Debian
# runs it (worker_processes auto)
load_module $NGX_STREAM;
daemon off;
worker_processes auto;
worker_rlimit_nofile 65536;
pid $RUN/door-nginx.pid;
error_log $RUN/door-nginx.err;
events { worker_connections 16384; }
stream {
	server { listen $VIP:80; proxy_pass $HOME_IP:80; }
	server { listen $VIP:443; proxy_pass $HOME_IP:443; }
	server { listen $VIP:$IPERF_PORT; proxy_pass $HOME_IP:$IPERF_PORT; }
}
EOF
cat >"$RUN/door-haproxy.cfg" <<EOF
# HAProxy mode tcp, threads as its default (one per CPU)
global
	maxconn 8000		# 2 fds each: within the 20000 fd limit here
defaults
	mode tcp
	timeout connect 5s
	timeout client 60s
	timeout server 60s
listen http
	bind $VIP:80
	server home $HOME_IP:80
listen https
	bind $VIP:443
	server home $HOME_IP:443
listen iperf
	bind $VIP:$IPERF_PORT
	server home $HOME_IP:$IPERF_PORT
EOF
cat >"$RUN/door.nft" <<EOF
table ip fdbench {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $VIP tcp dport { 80, 443, $IPERF_PORT } dnat to $HOME_IP
	}
}
EOF

# gk_conf WORKERS: genkand's config for the door.
gk_conf()
{
	local s p

	cat <<EOF
# genkan front door (bench)
[genkan]
instance = $TAG-fd
socket = $(sock fd)
bpffs = $RUN/bpf-fd
workers = $1

[port wan]
interface = wan

[port inet]
interface = inet

[wireguard]
PrivateKeyFile = $RUN/fd.key
ListenPort = 51820
port = inet
mtu = 1420

[wireguard-peer home]
PublicKey = $(cat "$RUN/hm.pub")
AllowedIPs = 198.18.8.0/24
EOF
	for s in http:80 https:443 iperf:$IPERF_PORT; do
		p=${s#*:}
		cat <<EOF

[l4-service ${s%%:*}]
listen = $VIP:$p
proto = tcp
backend = $HOME_IP:$p
health = none
max_flows = 65536
EOF
	done
}

# ------------------------------------------------------------------ one set-up

# topo_up QUEUES FORWARD: namespaces, veths with QUEUES queues, addresses;
# the door's kernel forwards when FORWARD is 1.
topo_up()
{
	local q=$1 n

	for n in $ALLNS; do
		ip netns add "$(ns "$n")" || return 1
		nx "$n" sysctl -q -w net.ipv4.ip_local_port_range="1024 65000" >/dev/null
		r "$n" link set lo up
	done
	veth cl eth0 fd wan "$q" && veth fd inet hm inet "$q" || return 1
	# The client's and the home's ends, in every set-up: full checksums
	# (genkan forwards raw frames) and GRO on.
	peer cl eth0
	peer hm inet
	a4 cl 198.51.100.2/24 eth0
	a4 fd 198.51.100.1/24 wan
	a4 fd "$VIP/32" wan
	a4 fd 192.0.2.1/24 inet
	a4 hm 192.0.2.2/24 inet
	for n in cl:eth0 fd:wan fd:inet hm:inet; do
		r "${n%%:*}" link set "${n#*:}" up || return 1
	done
	r cl route add default via 198.51.100.1 || return 1
	nx fd sysctl -q -w net.ipv4.ip_forward="$2" net.ipv6.conf.all.forwarding=0 >/dev/null
}

# wggo_up NS IFNAME: wireguard-go in NS, ours (pid in WGPID[NS]).
wggo_up()
{
	local n=$1 ifn=$2 k

	ip netns exec "$(ns "$n")" env WG_PROCESS_FOREGROUND=1 wireguard-go -f "$ifn" \
		>"$RUN/wggo-$n.log" 2>&1 &
	WGPID[$n]=$!
	for ((k = 0; k < 100; k++)); do
		r "$n" link show "$ifn" >/dev/null 2>&1 &&
			[ -S "/var/run/wireguard/$ifn.sock" ] && return 0
		sleep 0.1
	done
	return 1
}

# door_wg: the door's wireguard-go, the same key, port and peer as genkan's.
door_wg()
{
	wggo_up fd "$WFD" || return 1
	DOOR_WG=${WGPID[fd]}
	nx fd wg set "$WFD" private-key "$RUN/fd.key" listen-port 51820 \
		peer "$(cat "$RUN/hm.pub")" allowed-ips 198.18.8.0/24 || return 1
	a4 fd "$DOOR_TUN/24" "$WFD" || return 1
	r fd link set "$WFD" mtu 1420 up
}

# door_up SETUP
door_up()
{
	local k w=1

	case $1 in
	genkan | genkan2)
		[ "$1" = genkan2 ] && w=2
		gk_conf "$w" >"$RUN/fd.conf"
		mkdir -p /run/genkan "$RUN/bpf-fd"
		mount -t bpf bpf "$RUN/bpf-fd" || return 1
		ip netns exec "$(ns fd)" "$GKD" -c "$RUN/fd.conf" -f >>"$RUN/genkand-$1.log" 2>&1 &
		GKPID[fd]=$!
		DOOR_MAIN=$!
		for ((k = 0; k < 300; k++)); do
			kill -0 "$DOOR_MAIN" 2>/dev/null || return 1
			[ "$(ctl fd -j status 2>/dev/null | jq -r .workers.running)" = "$w" ] &&
				return 0
			sleep 0.1
		done
		return 1 ;;
	seed)
		door_wg || return 1
		bgx fd "$RUN/door-nginx.log" nginx -c "$RUN/door-nginx.conf"
		DOOR_MAIN=$BG_PID ;;
	haproxy)
		door_wg || return 1
		bgx fd "$RUN/door-haproxy.log" haproxy -db -f "$RUN/door-haproxy.cfg"
		DOOR_MAIN=$BG_PID ;;
	kernel)
		door_wg || return 1
		nx fd nft -f "$RUN/door.nft" || return 1 ;;
	esac
	[ "$1" = kernel ] && return 0
	wait_for 10 listening fd 80 && wait_for 5 listening fd "$IPERF_PORT"
}

home_up()
{
	wggo_up hm "$WFH" || return 1
	nx hm wg set "$WFH" private-key "$RUN/hm.key" listen-port 51820 \
		peer "$(cat "$RUN/fd.pub")" endpoint 192.0.2.1:51820 \
		persistent-keepalive 1 allowed-ips 0.0.0.0/0 || return 1
	a4 hm "$HOME_IP/24" "$WFH" || return 1
	r hm link set "$WFH" mtu 1420 up || return 1
	# docs/l4.md, "The home side": replies from the backend address go
	# back into the tunnel they came from.
	r hm rule add from 198.18.8.0/24 lookup 100 priority 100 || return 1
	r hm route add default dev "$WFH" table 100 || return 1
	bgx hm "$RUN/home-nginx.log" nginx -c "$RUN/home-nginx.conf"
	HOME_WG=${WGPID[hm]}
	HOME_SRV=$BG_PID
	bgx hm "$RUN/iperf3-s.log" iperf3 -s -B "$HOME_IP" -p "$IPERF_PORT"
	HOME_SRV="$HOME_SRV $BG_PID"
	wait_for 10 listening hm 80 && wait_for 5 listening hm "$IPERF_PORT"
}

hs_up() { [ "$(nx hm wg show "$WFH" latest-handshakes 2>/dev/null | awk '{ print $2 }')" -gt 0 ] 2>/dev/null; }

ccurl()
{
	nx cl curl -sS --max-time 10 --cacert "$RUN/tls.crt" \
		--resolve "frontdoor.test:443:$VIP" --resolve "frontdoor.test:80:$VIP" "$@"
}

# setup NAME: topology, door, home, tunnel, and the check; SEEN = the
# address the home saw.
setup()
{
	local q=1 fwd=0 k

	[ "$1" = genkan2 ] && q=2
	[ "$1" = kernel ] && fwd=1
	topo_up "$q" "$fwd" || { log "topology failed"; return 1; }
	door_up "$1" || { log "front door failed"; return 1; }
	home_up || { log "home failed"; return 1; }
	wait_for 15 hs_up || { log "no WireGuard handshake"; return 1; }
	for ((k = 0; k < 20; k++)); do
		SEEN=$(ccurl http://frontdoor.test/who 2>/dev/null) && break
		sleep 0.2
	done
	[ -n "$SEEN" ] || { log "check: no answer on http://$VIP/who"; return 1; }
	[ "$(ccurl http://frontdoor.test/small | wc -c)" = 600 ] ||
		{ log "check: the small page over HTTP is wrong"; return 1; }
	[ "$(ccurl https://frontdoor.test/big | sha256sum | cut -d' ' -f1)" = "$SHA" ] ||
		{ log "check: 4 MiB over HTTPS, sha256 differs"; return 1; }
}

# ------------------------------------------------------------------ measures

# ticks PID...: utime + stime of the processes and their children now.
ticks()
{
	local p c t=0 f

	for p in "$@"; do
		[ -n "$p" ] || continue
		for c in "$p" $(pgrep -P "$p" 2>/dev/null); do
			f=$(sed 's/^.*) //' "/proc/$c/stat" 2>/dev/null) || continue
			# after "pid (comm) ": state is field 1, utime 12, stime 13
			t=$((t + $(awk '{ print $12 + $13 }' <<<"$f")))
		done
	done
	echo "$t"
}

# cpu_snap: "main_ticks wg_ticks home_wg_ticks home_srv_ticks kernel_jiffies
# busy_jiffies ns" now.
cpu_snap()
{
	local st

	st=$(awk '$1 == "cpu" { print $4 + $7 + $8, $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat)
	# shellcheck disable=SC2086 # HOME_SRV is a list
	echo "$(ticks "$DOOR_MAIN") $(ticks "$DOOR_WG") $(ticks "$HOME_WG") $(ticks $HOME_SRV)" \
		"$st $(date +%s%N)"
}

# client CMD...: a load generator in the client's namespace, output in
# $RUN/client.out. It runs in the background and the shell waits for it: a
# Ctrl-C then reaches the INT trap at once (wait returns), rather than after
# the client (an iperf3 whose server died with the same Ctrl-C may spin),
# and teardown_setup kills it.
client()
{
	timeout -k 2 $((SECS + 15)) nsenter --net="/run/netns/$(ns cl)" "$@" \
		>"$RUN/client.out" 2>&1 &
	CLIENT_PID=$!
	wait "$CLIENT_PID"
	CLIENT_PID=
}

# wrk_run close|keep: VALUE = "req/s p50_ms p99_ms requests errors"
wrk_run()
{
	local hdr=()

	[ "$1" = close ] && hdr=(-H "Connection: close")
	client wrk -t 1 -c "$CONNS" -d "${SECS}s" --latency "${hdr[@]}" "http://$VIP/small"
	cat "$RUN/client.out" >>"$RUN/wrk.log"
	VALUE=$(awk '
	function ms(v) {
		if (v ~ /us$/) return v / 1000
		if (v ~ /ms$/) return v + 0
		if (v ~ /s$/) return v * 1000
		return "NA"
	}
	/^ +50%/ { p50 = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	/requests in/ { n = $1 }
	/^Requests\/sec:/ { rps = $2 }
	/Socket errors:/ { gsub(",", ""); e += $4 + $6 + $8 + $10 }
	/Non-2xx/ { e += $NF }
	END { printf "%s %s %s %s %d\n", (rps == "" ? "NA" : rps), (p50 == "" ? "NA" : p50),
		(p99 == "" ? "NA" : p99), (n == "" ? "NA" : n), e }' "$RUN/client.out")
}

# iperf_run STREAMS: VALUE = "Mbit/s NA NA bytes retransmits", home -> client.
iperf_run()
{
	client iperf3 -c "$VIP" -p "$IPERF_PORT" -t "$SECS" -P "$1" -R -J
	cat "$RUN/client.out" >>"$RUN/iperf3.log"
	VALUE=$(jq -r '"\(.end.sum_received.bits_per_second / 1e6) NA NA \(.end.sum_received.bytes) \(.end.sum_sent.retransmits // 0)"' \
		"$RUN/client.out" 2>/dev/null) || VALUE="NA NA NA NA 0"
}

# measure SETUP ROUND TEST: one line into RESULTS:
#   setup round test value p50_ms p99_ms units main_s wg_s home_wg_s
#   home_srv_s kern_s busy_s wall_s errors
# (units: requests for wrk, bytes for iperf3; *_s: CPU seconds)
measure()
{
	local a b

	a=$(cpu_snap)
	case $3 in
	close | keep) wrk_run "$3" ;;
	tcp1) iperf_run 1 ;;
	tcp4) iperf_run 4 ;;
	esac
	b=$(cpu_snap)
	awk -v s="$1" -v rd="$2" -v t="$3" -v v="$VALUE" -v a="$a" -v b="$b" \
		-v hz="$(getconf CLK_TCK)" 'BEGIN {
		split(a, x); split(b, y)
		printf "%s %s %s %s %.2f %.2f %.2f %.2f %.2f %.2f %.3f\n", s, rd, t, v,
			(y[1] - x[1]) / hz, (y[2] - x[2]) / hz, (y[3] - x[3]) / hz,
			(y[4] - x[4]) / hz, (y[5] - x[5]) / hz, (y[6] - x[6]) / hz,
			(y[7] - x[7]) / 1e9
	}' | awk '{ e = $8; $8 = ""; print $0, e }' | tr -s ' ' >>"$RESULTS"
}

# ------------------------------------------------------------------ the run

NSET=$(wc -w <<<"$SETUPS")
TOTAL=$((REPS * NSET))
T0=$(date +%s)
elapsed() { local s=$(($(date +%s) - T0)); printf '%d:%02d' $((s / 60)) $((s % 60)); }
declare -A SEEN_BY=() FWD_BY=() STALLS=()
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
COMMIT=$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo NA)
log "front door bench: set-ups '$SETUPS', $REPS round(s), ${SECS} s per test," \
	"wrk -c $CONNS; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
log "about $((TOTAL * (4 * SECS + 3) / 60 + 1)) min; results: $OUT"
step=0
for ((rd = 1; rd <= REPS; rd++)); do
	for s in $SETUPS; do
		step=$((step + 1))
		log "[$step/$TOTAL $(elapsed)] round $rd, $s: set-up"
		SEEN=
		if ! setup "$s"; then
			log "set-up $s failed (round $rd); logs:"
			tail -n 5 "$RUN"/*.log "$RUN"/*.err 2>/dev/null | sed 's/^/#   /'
			FAILED+=("$s/$rd")
			teardown_setup
			continue
		fi
		SEEN_BY[$s]=$SEEN
		read -r f0 _ <<<"$(kfwd fd)"
		line="  home sees $SEEN;"
		for t in $TESTS; do
			measure "$s" "$rd" "$t"
			read -r _ _ _ v p50 p99 _ m w _ _ _ _ _ e <<<"$(tail -n 1 "$RESULTS")"
			case $t in
			close | keep) line="$line $t $v req/s (p50 $p50 p99 $p99 ms, err $e," ;;
			*) line="$line $t $(printf '%.0f' "$v" 2>/dev/null || echo NA) Mbit/s (" ;;
			esac
			line="$line door CPU $m+$w s);"
		done
		read -r f1 _ <<<"$(kfwd fd)"
		FWD_BY[$s]=$((f1 - f0))
		log "$line door kernel forwarded $((f1 - f0))"
		if [ "${s#genkan}" != "$s" ]; then
			ctl fd -j l4 show 2>/dev/null | jq -c .counters >>"$RUN/genkan-l4.log"
			ctl fd -j stats 2>/dev/null | jq -c .worker_drops >>"$RUN/genkan-drops.log"
			# a worker the box starved for stall_ms (1 s): genkand logs it
			STALLS[$s]=$(grep -c 'stalled' "$RUN/genkand-$s.log")
			[ "${STALLS[$s]}" -gt 0 ] &&
				log "  genkand logged ${STALLS[$s]} worker stall(s) so far: a starved worker"
		fi
		teardown_setup
	done
done
log "done in $(elapsed)"

# ------------------------------------------------------------------ report

META=$RUN/meta.json
seen_json=$(for s in "${!SEEN_BY[@]}"; do printf '%s\t%s\n' "$s" "${SEEN_BY[$s]}"; done |
	jq -R -s 'split("\n") | map(select(. != "") | split("\t") | {(.[0]): .[1]}) | add // {}')
stall_json=$(for s in "${!STALLS[@]}"; do printf '%s\t%s\n' "$s" "${STALLS[$s]}"; done |
	jq -R -s 'split("\n") | map(select(. != "") | split("\t") | {(.[0]): (.[1] | tonumber)}) | add // {}')
fwd_json=$(for s in "${!FWD_BY[@]}"; do printf '%s\t%s\n' "$s" "${FWD_BY[$s]}"; done |
	jq -R -s 'split("\n") | map(select(. != "") | split("\t") | {(.[0]): (.[1] | tonumber)}) | add // {}')
jq -n --arg date "$(date -u +%FT%TZ)" --argjson cpus "$(nproc)" --arg kernel "$(uname -r)" \
	--argjson secs "$SECS" --argjson reps "$REPS" --argjson conns "$CONNS" \
	--arg setups "$SETUPS" --arg build "$GK_BUILD" \
	--arg commit "$COMMIT" \
	--arg load0 "$LOAD0" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
	--argjson seen "$seen_json" --argjson fwd "$fwd_json" --argjson stalls "$stall_json" \
	--arg failed "${FAILED[*]:-}" \
	'{date: $date, cpus: $cpus, kernel: $kernel, seconds_per_test: $secs,
	  rounds: $reps, wrk_connections: $conns, setups: ($setups | split(" ")),
	  genkan_build: $build, script_commit_at_start: $commit, load_before: $load0, load_after: $load,
	  home_sees: $seen, door_kernel_forwarded_last_round: $fwd,
	  genkan_worker_stalls: $stalls,
	  failed: ($failed | split(" ") | map(select(. != "")))}' >"$META"

# the raw lines beside the JSON, whatever the report makes of them
cp "$RESULTS" "${OUT%.json}.tsv"
/usr/bin/python3 - "$RESULTS" "$META" "$OUT" "$PNG" <<'PY'
import json, shutil, statistics, subprocess, sys

results, meta_path, out, png = sys.argv[1:5]
meta = json.load(open(meta_path))
names = {"genkan": "genkan (L4 + WG, 1 worker)", "genkan2": "genkan (2 workers)",
         "seed": "nginx stream + wireguard-go", "haproxy": "HAProxy tcp + wireguard-go",
         "kernel": "nftables DNAT + wireguard-go"}
tests = ["close", "keep", "tcp1", "tcp4"]
rows = []
for ln in open(results):
    f = ln.split()
    if len(f) < 15:
        continue
    def num(x):
        try:
            return float(x)
        except ValueError:
            return None
    rows.append({"setup": f[0], "round": int(f[1]), "test": f[2], "value": num(f[3]),
                 "p50_ms": num(f[4]), "p99_ms": num(f[5]), "units": num(f[6]),
                 "door_proc_cpu_s": round(num(f[7]) + num(f[8]), 2),
                 "door_main_cpu_s": num(f[7]), "door_wg_cpu_s": num(f[8]),
                 "home_wg_cpu_s": num(f[9]), "home_servers_cpu_s": num(f[10]),
                 "machine_kernel_cpu_s": num(f[11]), "machine_busy_cpu_s": num(f[12]),
                 "wall_s": num(f[13]), "errors": int(float(f[14]))})

def per_round(setup, fn):
    """fn(round's rows by test) -> value or None, for each round"""
    out = []
    for rd in sorted({r["round"] for r in rows if r["setup"] == setup}):
        by = {r["test"]: r for r in rows if r["setup"] == setup and r["round"] == rd}
        try:
            v = fn(by)
        except (KeyError, TypeError, ZeroDivisionError):
            v = None
        if v is not None:
            out.append(v)
    return out

def mmm(vals):
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals),
            "n": len(vals)}

ncpu = meta["cpus"]
metrics = {
    "close_rps": ("req/s, new connections", lambda b: b["close"]["value"]),
    "close_p50_ms": ("p50 ms, new connections", lambda b: b["close"]["p50_ms"]),
    "close_p99_ms": ("p99 ms, new connections", lambda b: b["close"]["p99_ms"]),
    "keep_rps": ("req/s, keep-alive", lambda b: b["keep"]["value"]),
    "keep_p50_ms": ("p50 ms, keep-alive", lambda b: b["keep"]["p50_ms"]),
    "keep_p99_ms": ("p99 ms, keep-alive", lambda b: b["keep"]["p99_ms"]),
    "tcp1_mbps": ("Mbit/s, 1 stream", lambda b: b["tcp1"]["value"]),
    "tcp4_mbps": ("Mbit/s, 4 streams", lambda b: b["tcp4"]["value"]),
    # door processes' CPU over the two iperf3 runs per GB they carried
    "door_cpu_s_per_gb": ("door CPU s/GB (processes)",
        lambda b: (b["tcp1"]["door_proc_cpu_s"] + b["tcp4"]["door_proc_cpu_s"]) /
                  ((b["tcp1"]["units"] + b["tcp4"]["units"]) / 1e9)),
    "machine_kernel_s_per_gb": ("machine kernel s/GB",
        lambda b: (b["tcp1"]["machine_kernel_cpu_s"] + b["tcp4"]["machine_kernel_cpu_s"]) /
                  ((b["tcp1"]["units"] + b["tcp4"]["units"]) / 1e9)),
    "door_cpu_s_per_10k_conn": ("door CPU s/10k conn (processes)",
        lambda b: b["close"]["door_proc_cpu_s"] / (b["close"]["units"] / 1e4)),
    "machine_kernel_s_per_10k_conn": ("machine kernel s/10k conn",
        lambda b: b["close"]["machine_kernel_cpu_s"] / (b["close"]["units"] / 1e4)),
    # what bounds a set-up: the door's processes in % of one CPU, the whole
    # machine in % of all CPUs
    "tcp4_door_main_pct": ("", lambda b: 100 * b["tcp4"]["door_main_cpu_s"] / b["tcp4"]["wall_s"]),
    "tcp4_door_wg_pct": ("", lambda b: 100 * b["tcp4"]["door_wg_cpu_s"] / b["tcp4"]["wall_s"]),
    "tcp4_machine_busy_pct": ("", lambda b: 100 * b["tcp4"]["machine_busy_cpu_s"] / b["tcp4"]["wall_s"] / ncpu),
    "tcp4_home_wg_pct": ("", lambda b: 100 * b["tcp4"]["home_wg_cpu_s"] / b["tcp4"]["wall_s"]),
    "tcp4_home_srv_pct": ("", lambda b: 100 * b["tcp4"]["home_servers_cpu_s"] / b["tcp4"]["wall_s"]),
    "close_door_main_pct": ("", lambda b: 100 * b["close"]["door_main_cpu_s"] / b["close"]["wall_s"]),
    "close_door_wg_pct": ("", lambda b: 100 * b["close"]["door_wg_cpu_s"] / b["close"]["wall_s"]),
    "close_machine_busy_pct": ("", lambda b: 100 * b["close"]["machine_busy_cpu_s"] / b["close"]["wall_s"] / ncpu),
    "close_home_wg_pct": ("", lambda b: 100 * b["close"]["home_wg_cpu_s"] / b["close"]["wall_s"]),
    "close_home_srv_pct": ("", lambda b: 100 * b["close"]["home_servers_cpu_s"] / b["close"]["wall_s"]),
    "errors": ("", lambda b: sum(b[t]["errors"] for t in ("close", "keep"))),
}
setups = [s for s in meta["setups"] if any(r["setup"] == s for r in rows)]
summary = {s: {k: mmm(per_round(s, fn)) for k, (_, fn) in metrics.items()} for s in setups}

def med(s, k):
    m = summary.get(s, {}).get(k)
    return m["median"] if m else None

def ratio(s, k):
    a, b = med(s, k), med("seed", k)
    return a / b if a is not None and b else None

for s in setups:
    summary[s]["ratio_to_seed"] = {k: ratio(s, k) for k in
        ("close_rps", "keep_rps", "tcp1_mbps", "tcp4_mbps", "door_cpu_s_per_gb",
         "door_cpu_s_per_10k_conn")} if "seed" in setups else None

def limit(s):
    """What bounds the set-up, from its own figures (medians of tcp4, close)."""
    def pct(k):
        v = med(s, k)
        return "NA" if v is None else "%.0f%%" % v
    out = []
    for t in ("tcp4", "close"):
        parts = []
        if s.startswith("genkan"):
            parts.append("genkand " + pct(t + "_door_main_pct"))
        else:
            if s != "kernel":
                parts.append(("nginx " if s == "seed" else "haproxy ") +
                             pct(t + "_door_main_pct"))
            parts.append("wireguard-go " + pct(t + "_door_wg_pct"))
        parts.append("home wireguard-go " + pct(t + "_home_wg_pct"))
        parts.append("home servers " + pct(t + "_home_srv_pct"))
        out.append("%s: box %s busy, %s" % (t, pct(t + "_machine_busy_pct"), ", ".join(parts)))
    return "; ".join(out)

for s in setups:
    summary[s]["limit"] = limit(s)
    summary[s]["home_sees"] = meta["home_sees"].get(s)

def fmt(m, nd=0):
    if not m:
        return "NA"
    f = "%%.%df" % nd
    return "%s [%s..%s]" % (f % m["median"], f % m["min"], f % m["max"])

def fr(x):
    return "NA" if x is None else "%.2fx" % x

print()
print("Front door, %d round(s) of %d s tests, wrk -c %d, %d CPUs shared by client, door, "
      "home and load generators; median [min..max]" %
      (meta["rounds"], meta["seconds_per_test"], meta["wrk_connections"], ncpu))
hdr = ["set-up", "close req/s", "keep req/s", "tcp1 Mbit/s", "tcp4 Mbit/s"]
w = [30, 22, 22, 22, 22]
print("".join(h.ljust(x) for h, x in zip(hdr, w)))
for s in setups:
    print("".join(c.ljust(x) for c, x in zip(
        [names[s], fmt(summary[s]["close_rps"]), fmt(summary[s]["keep_rps"]),
         fmt(summary[s]["tcp1_mbps"]), fmt(summary[s]["tcp4_mbps"])], w)))
print("latency, ms: p50 / p99 (medians)")
for s in setups:
    print("%-30s close %s / %s   keep %s / %s" % (names[s],
        *("NA" if med(s, k) is None else "%.2f" % med(s, k)
          for k in ("close_p50_ms", "close_p99_ms", "keep_p50_ms", "keep_p99_ms"))))
print("CPU: the door's processes (genkand, or proxy + wireguard-go) | the machine's kernel "
      "time (sys+irq+softirq, all namespaces)")
hdr = ["set-up", "proc s/GB", "proc s/10k conn", "kernel s/GB", "kernel s/10k conn"]
print("".join(h.ljust(x) for h, x in zip(hdr, w)))
for s in setups:
    print("".join(c.ljust(x) for c, x in zip(
        [names[s], fmt(summary[s]["door_cpu_s_per_gb"], 2),
         fmt(summary[s]["door_cpu_s_per_10k_conn"], 2),
         fmt(summary[s]["machine_kernel_s_per_gb"], 2),
         fmt(summary[s]["machine_kernel_s_per_10k_conn"], 2)], w)))
if "seed" in setups:
    print("ratio of medians to the seed stack (nginx stream + wireguard-go), same run:")
    print("%-30s %-10s %-10s %-10s %-10s %-12s %s" % ("set-up", "close", "keep", "tcp1",
          "tcp4", "proc s/GB", "proc s/10k conn"))
    for s in setups:
        r = summary[s]["ratio_to_seed"]
        print("%-30s %-10s %-10s %-10s %-10s %-12s %s" % (names[s], fr(r["close_rps"]),
              fr(r["keep_rps"]), fr(r["tcp1_mbps"]), fr(r["tcp4_mbps"]),
              fr(r["door_cpu_s_per_gb"]), fr(r["door_cpu_s_per_10k_conn"])))
print("what bounds each set-up: the box (%% of all CPUs busy, whatever runs on it), the door's "
      "processes and the home's (wireguard-go; nginx + iperf3 -s) in %% of one CPU; the rest is "
      "the client and softirqs; medians; load average before %s, after %s:" %
      (meta["load_before"], meta["load_after"]))
for s in setups:
    print("  %-28s %s" % (names[s], summary[s]["limit"]))
print("the home sees as the client: " + ", ".join(
    "%s %s" % (s, summary[s]["home_sees"]) for s in setups) +
    " (the proxies connect from the door's tunnel address)")
errs = {s: med(s, "errors") for s in setups if med(s, "errors")}
if errs:
    print("wrk socket errors or non-2xx (median per round): " +
          ", ".join("%s %d" % (s, v) for s, v in errs.items()))
st = {s: n for s, n in meta["genkan_worker_stalls"].items() if n}
if st:
    print("genkand logged worker stalls (no heartbeat for 1 s: the worker, pinned to its CPU, "
          "did not run): " + ", ".join("%s %d" % x for x in st.items()))
if meta["failed"]:
    print("FAILED set-ups (set-up/round): " + " ".join(meta["failed"]))

doc = {"meta": meta, "names": {s: names[s] for s in setups}, "summary": summary,
       "raw": rows}
with open(out, "w") as f:
    json.dump(doc, f, indent=1)
print("JSON: " + out)

# The chart: one panel per figure, one bar per set-up (median, min..max).
panels = [("close_rps", "req/s, new connections"), ("keep_rps", "req/s, keep-alive"),
          ("tcp1_mbps", "Mbit/s, 1 stream"), ("tcp4_mbps", "Mbit/s, 4 streams"),
          ("door_cpu_s_per_gb", "door CPU s per GB"),
          ("door_cpu_s_per_10k_conn", "door CPU s per 10k connections")]
gp = shutil.which("gnuplot")
if not gp:
    print("no gnuplot: no chart")
    sys.exit(0)
dat = out[:-5] + ".dat" if out.endswith(".json") else out + ".dat"
with open(dat, "w") as f:
    for i, (k, _) in enumerate(panels):
        f.write("# %s\n" % k)
        for j, s in enumerate(setups):
            m = summary[s][k]
            if m:
                f.write('%d "%s" %g %g %g\n' % (j, s, m["median"], m["min"], m["max"]))
        f.write("\n\n")
script = ['set terminal pngcairo size 1500,850 font "sans,10"', 'set output "%s"' % png,
          'set multiplot layout 2,3 title "genkan front door vs the stacks it replaces '
          '(%s, %d CPUs shared, median and min..max of %d rounds)"' %
          (meta["date"], ncpu, meta["rounds"]),
          "set style fill solid 0.6", "set boxwidth 0.6", "set yrange [0:*]",
          "set grid ytics", "unset key", "set xtics nomirror", "set xrange [-0.6:%g]" %
          (len(setups) - 0.4)]
for i, (k, t) in enumerate(panels):
    script.append('set title "%s"' % t)
    script.append('plot "%s" index %d using 1:3:xtic(2) with boxes lc rgb "#4477aa", '
                  '"" index %d using 1:3:4:5 with yerrorbars lc rgb "black" pt 0'
                  % (dat, i, i))
script.append("unset multiplot")
r = subprocess.run([gp], input="\n".join(script), text=True, capture_output=True)
if r.returncode != 0:
    print("gnuplot failed: " + r.stderr.strip()[:300])
else:
    print("PNG: " + png)
PY
rc=$?
[ $rc -eq 0 ] || FAILED+=("report")
[ ${#FAILED[@]} -eq 0 ]
