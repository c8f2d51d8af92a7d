#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# `make demo`: a home server behind MAP-E, reached from the internet
# through a cloud front door. Three genkan gateways, each in its own
# network namespace with kernel forwarding off, and real programs around
# them (curl, nginx, iperf3, socat). The topology and configs are in
# lab/frontdoor_lib.sh; the gateways' configs are the shipped
# etc/frontdoor-*.conf.example with this run's keys and names.
#
#   internet client -- internet router -- front door (genkan: L4 80/443 + WireGuard)
#                            |
#                       ISP BR (genkan) == IPv6-only access == home CE (genkan: MAP-E CE
#                                                   + NAPT44 + WireGuard, return_path = flow)
#                                                              |
#                                                home LAN: web server (nginx) + a PC
#
# Usage: lab/frontdoor.sh [--seconds N] [--mb N]
#   --seconds N  iperf3 duration (default 5)
#   --mb N       size of the HTTPS download (default 8)
# Environment: GK_BUILD (default <repo>/build), E2E_KEEP=1 keeps the run
# directory (configs, logs). Exit status is non-zero when a step fails.

set -u
umask 077

SECS=5
FD_BIG_MB=8
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECS=$2; shift ;;
	--mb) FD_BIG_MB=$2; shift ;;
	-h | --help) sed -n '2,/^$/ s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
	shift
done

HERE=$(cd "$(dirname "$0")" && pwd)
GK_BUILD=${GK_BUILD:-$HERE/../build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
PY=/usr/bin/python3
TAG=gkdemo-$$
PING_I=0.1 PING_W=3 WARM_TRIES=6

# shellcheck source=tests/e2e/lib.sh
. "$HERE/../tests/e2e/lib.sh"
# shellcheck source=lab/frontdoor_lib.sh
. "$HERE/frontdoor_lib.sh"

e2e_init -- ip nsenter curl jq openssl sha256sum nginx iperf3 socat wg "$PY"

cleanup()
{
	trap - EXIT INT TERM
	fd_servers_down
	teardown 15
}
traps

T0=$(date +%s)
step() { printf '\n== %s\n' "$*"; }
declare -A SUM=()

step "1. The network: an internet, an ISP with MAP-E over IPv6, a home, a cloud VM"
if ! fd_topo_up; then
	fail "the namespaces and links come up"
	summary
	exit 1
fi
pass "9 namespaces: client, internet router, front door, BR, IPv6 router, home CE, LAN switch, web server, PC"
check "kernel forwarding is off on the three genkan gateways" fwd_off
kfwd_snap
fd_keys && fd_servers_up || { fail "keys, certificates and servers"; summary; exit 1; }
pass "nginx (HTTPS with a certificate from a CA made now) and iperf3 at home; a web server on the internet"
for g in $GWS; do
	fd_conf "$g"
done

step "2. genkan starts on the BR, the home CE and the front door"
fd_start || { summary; exit 1; }

step "3. WireGuard from behind MAP-E: the home CE calls the front door"
log "the CE has no public address of its own: it shares $CE4 and owns a port set"
check "the front door has a handshake with the home CE" wait_for 20 fd_handshake
ep=$(ctl fd -j wg show | jq -r '.peers[0].endpoint // "none"')
expect "the door sees the CE at its shared address and ListenPort" "$ep" = "$CE4:$LPORT"
check "the door's health checks reach the home server through the tunnel (https)" \
	wait_for 20 fd_health_up https
check "... and its HTTP health check answers (http)" wait_for 20 fd_health_up http

step "4. The internet client fetches https://$SITE/ at the front door's address $VIP"
body=$(fd_curl "" 2>"$RUN/curl.err")
expect "curl: the certificate is verified against the demo CA, the page arrives" \
	"$(printf '%s\n' "$body" | sha256sum | cut -d' ' -f1)" = "$INDEX_SHA"
t=$(fd_curl big -o "$RUN/big" -w '%{time_total}' 2>>"$RUN/curl.err")
got=$(sha256sum <"$RUN/big" 2>/dev/null | cut -d' ' -f1)
expect "curl: $FD_BIG_MB MiB over HTTPS, sha256 matches" "$got" = "$BIG_SHA"
SUM[https]="$FD_BIG_MB MiB in ${t}s"
line=$(grep ' "GET / ' "$RUN/access.log" | tail -n 1)
log "home nginx access log: $line"
expect "nginx at home logged the client's real address" "${line%% *}" = "$CL"
code=$(nx cl curl -sS -o /dev/null -w '%{http_code}' --max-time 10 \
	--resolve "$SITE:80:$VIP" "http://$SITE/")
expect "plain HTTP on port 80 too (the port Let's Encrypt's HTTP-01 uses)" "$code" = 200

step "5. The home PC reaches an internet server through NAPT44 and MAP-E"
seen=$(nx pc curl -sS --max-time 10 "http://$CL:8080/" 2>&1)
log "the internet server saw: $seen"
expect "... from the shared address $CE4" "${seen%% *}" = "$CE4"
check "... and a port of the CE's set (RFC 7597 arithmetic, by python)" \
	"$PY" -c 'import os,sys; sys.path.insert(0, os.environ["E2E_LIB"]); from e2e_lib import port_ranges; sys.exit(0 if int(sys.argv[1]) in {p for r in port_ranges(4, 8, 0x34) for p in r} else 1)' "${seen##* }"

step "6. The gateways idle for 10 s: what the front door costs"
FDPID=${GKPID[fd]}
sleep 2
c0=$(fd_cpu_ticks "$FDPID")
sleep 10
c1=$(fd_cpu_ticks "$FDPID")
hz=$(getconf CLK_TCK)
IDLE=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) * 100 / hz / 10 }')
RSS=$(fd_rss_kb "$FDPID")
log "front door genkand: RSS $((RSS / 1024)) MiB, idle CPU $IDLE % of one core (workers = $FD_WORKERS)"
expect "front door RSS at most 64 MiB" "$RSS" -le 65536
check "front door idle CPU at most 1 % of a core" awk -v x="$IDLE" 'BEGIN { exit !(x <= 1.0) }'
SUM[door_rss]="$((RSS / 1024)) MiB"
SUM[door_idle_cpu]="$IDLE % of a core"

step "7. iperf3 through the whole path: client -> front door -> WireGuard -> MAP-E -> home"
c0=$(fd_cpu_ticks "$FDPID")
nx cl iperf3 -c "$VIP" -p 5201 -t "$SECS" -R -J >"$RUN/iperf-down.json" 2>&1
c1=$(fd_cpu_ticks "$FDPID")
down=$(jq -r '.end.sum_received.bits_per_second // 0 | . / 1e6 | floor' "$RUN/iperf-down.json")
expect "iperf3 download (home -> client) moved data" "${down:-0}" -gt 0
BUSY=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v s="$SECS" 'BEGIN { printf "%.1f", (b - a) * 100 / hz / s }')
nx cl iperf3 -c "$VIP" -p 5201 -t "$SECS" -J >"$RUN/iperf-up.json" 2>&1
up=$(jq -r '.end.sum_received.bits_per_second // 0 | . / 1e6 | floor' "$RUN/iperf-up.json")
expect "iperf3 upload (client -> home) moved data" "${up:-0}" -gt 0
SUM[iperf3_down]="$down Mbit/s"
SUM[iperf3_up]="$up Mbit/s"
SUM[door_cpu_iperf3]="$BUSY % of a core"

step "8. Nothing went through a gateway's kernel"
for g in $GWS; do
	read -r f4 _ <<<"$(kfwd "$g")"
	read -r k4 _ <<<"${KF0[$g]}"
	expect "$g: the kernel forwarded no IPv4 packet" "$((f4 - k4))" = 0
done

step "Summary"
ctl fd -j l4 show >"$RUN/fd.l4" 2>/dev/null
ctl fd -j wg show >"$RUN/fd.wg" 2>/dev/null
ctl ce -j wg show >"$RUN/ce.wg" 2>/dev/null
ctl ce -j nat show >"$RUN/ce.nat" 2>/dev/null
ctl br -j stats >"$RUN/br.stats" 2>/dev/null
ctl ce -j stats >"$RUN/ce.stats" 2>/dev/null
{
	printf '%-34s %s\n' "measure" "value"
	for k in https iperf3_down iperf3_up door_rss door_idle_cpu door_cpu_iperf3; do
		printf '%-34s %s\n' "$k" "${SUM[$k]:-n/a}"
	done
	printf '%-34s %s\n' "fd l4 new flows / replies" \
		"$(jq -r '"\(.counters.new_flows) / \(.counters.reverse)"' "$RUN/fd.l4")"
	printf '%-34s %s\n' "fd wg rx / tx bytes" \
		"$(jq -r '"\(.peers[0].transfer_rx) / \(.peers[0].transfer_tx)"' "$RUN/fd.wg")"
	printf '%-34s %s\n' "ce wg rx / tx bytes" \
		"$(jq -r '"\(.peers[0].transfer_rx) / \(.peers[0].transfer_tx)"' "$RUN/ce.wg")"
	printf '%-34s %s\n' "ce worker rx / tx packets" \
		"$(jq -r '"\(.totals.rx_packets) / \(.totals.tx_packets)"' "$RUN/ce.stats")"
	printf '%-34s %s\n' "br worker rx / tx packets" \
		"$(jq -r '"\(.totals.rx_packets) / \(.totals.tx_packets)"' "$RUN/br.stats")"
	printf '%-34s %s\n' "demo time" "$(($(date +%s) - T0)) s"
} | sed 's/^/  /'
summary
