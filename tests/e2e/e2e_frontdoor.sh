#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The front-door scenario of `make demo` (lab/frontdoor.sh, issue #12) as a
# test: the same namespaces and the shipped etc/frontdoor-*.conf.example
# configs (lab/frontdoor_lib.sh), checked with exact counters, plus a
# failure: the home genkand stops during a transfer and comes back.
#
#   client -- internet router -- front door (genkan: L4 + WireGuard, workers = 1)
#                   |
#              ISP BR (genkan) == IPv6 == home CE (genkan: MAP-E CE + NAPT44 +
#                                         WireGuard, return_path = flow)
#                                              |  web (nginx, iperf3), pc
#
# Checks: the handshake from behind MAP-E (the door sees the shared address
# and ListenPort); health checks through the door's host path; 20 HTTPS
# connections: exactly 20 new flows at the door, 20 access log lines with
# the client's address, 20 return-path flows learned at the CE, nothing
# dropped for want of a backend; 10 connections from the PC through NAPT44
# seen by the internet server from the shared address with 10 distinct
# ports of the set; the home genkand stopped for longer than fall x
# interval during a rate-limited transfer: the door marks the backend down
# (log and l4 show), new connections fail fast while it is down (no
# backend), the home genkand starts again, the tunnel comes back, the
# backend goes up, new connections work, and the transfer that ran across
# the outage either completed intact or failed cleanly (logged); no
# gateway kernel forwarded anything; all three genkands are alive.
#
# Environment: GK_BUILD (meson build root), E2E_KEEP=1 keeps the run dir.

set -u
umask 077

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
PY=/usr/bin/python3
TAG=gkfd-$$
FD_BIG_MB=8
PING_I=0.1 PING_W=3 WARM_TRIES=6
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# shellcheck source=tests/e2e/lib.sh
. "$HERE/lib.sh"
# shellcheck source=lab/frontdoor_lib.sh
. "$HERE/../../lab/frontdoor_lib.sh"

e2e_init wireguard-go nginx socat iperf3 -- ip nsenter curl jq openssl sha256sum wg "$PY"

cleanup()
{
	trap - EXIT INT TERM
	fd_servers_down
	teardown 30
}
traps

# l4c SERVICE COUNTER: a door l4 counter (all services summed).
l4c() { ctl fd -j l4 show 2>/dev/null | jq -r ".counters.$1 // \"NA\""; }
# rpc COUNTER: a return-path counter of the CE's WireGuard.
rpc() { ctl ce -j wg show 2>/dev/null | jq -r ".return_path.$1 // \"NA\""; }
# hstate SERVICE: the door's health verdict for the service's backend.
hstate() { ctl fd -j l4 show "$1" 2>/dev/null | jq -r '.services[0].backends[0].state'; }
is_state() { [ "$(hstate "$1")" = "$2" ]; }

if ! fd_topo_up; then
	fail "topology"
	summary
	exit 1
fi
pass "topology: 9 namespaces, neighbours resolved"
check "kernel forwarding is off on fd, br and ce" fwd_off
kfwd_snap
fd_keys && fd_servers_up || { fail "keys, certificates, servers"; summary; exit 1; }
for g in $GWS; do
	fd_conf "$g"
	out=$("$GKD" -c "$(conf "$g")" --check 2>&1)
	expect "genkand --check accepts the shipped $g config" "$?" = 0
done
fd_start || { summary; exit 1; }

# ---------------------------------------------------------------- tunnel
check "handshake between the door and the home CE" wait_for 20 fd_handshake
expect "the door sees the CE at its shared address and ListenPort" \
	"$(ctl fd -j wg show | jq -r '.peers[0].endpoint')" = "$CE4:$LPORT"
check "health (tcp) through the door's host path: up" wait_for 20 fd_health_up https
check "health (http GET /healthz): up" wait_for 20 fd_health_up http

# ---------------------------------------------------------------- HTTPS x 20
nf0=$(l4c new_flows) nb0=$(l4c no_backend) lr0=$(rpc learned)
al0=$(grep -c . "$RUN/access.log")
ok=0
for ((k = 0; k < 20; k++)); do
	b=$(fd_curl "" 2>>"$RUN/curl.err" | sha256sum | cut -d' ' -f1)
	[ "$b" = "$INDEX_SHA" ] && ok=$((ok + 1))
done
expect "20 HTTPS fetches, certificate verified, body sha256" "$ok" = 20
expect "the door pinned exactly 20 new flows" "$(($(l4c new_flows) - nf0))" = 20
expect "... and dropped none for want of a backend" "$(($(l4c no_backend) - nb0))" = 0
expect "the CE learned exactly 20 return-path flows" "$(($(rpc learned) - lr0))" = 20
sleep 0.5
expect "nginx logged 20 requests" "$(($(grep -c . "$RUN/access.log") - al0))" = 20
expect "... all from the client's own address" \
	"$(tail -n 20 "$RUN/access.log" | awk -v c="$CL" '$1 != c' | wc -l)" = 0
got=$(fd_curl big 2>>"$RUN/curl.err" | sha256sum | cut -d' ' -f1)
expect "$FD_BIG_MB MiB over HTTPS, sha256" "$got" = "$BIG_SHA"

# ---------------------------------------------------------------- NAPT44 x 10
: >"$RUN/seen"
for ((k = 0; k < 10; k++)); do
	nx pc curl -sS --max-time 10 "http://$CL:8080/" >>"$RUN/seen" 2>>"$RUN/curl.err"
done
expect "the internet server saw 10 connections from the PC" "$(grep -c . "$RUN/seen")" = 10
expect "... all from the shared address $CE4" "$(awk -v a="$CE4" '$1 != a' "$RUN/seen" | wc -l)" = 0
expect "... from 10 distinct ports" "$(awk '{ print $2 }' "$RUN/seen" | sort -u | wc -l)" = 10
check "... every one in the CE's port set (RFC 7597 arithmetic, python)" \
	"$PY" -c 'import os, sys
sys.path.insert(0, os.environ["E2E_LIB"])
from e2e_lib import port_ranges
s = {p for r in port_ranges(4, 8, 0x34) for p in r}
sys.exit(0 if all(int(l.split()[1]) in s for l in open(sys.argv[1])) else 1)' "$RUN/seen"

# ---------------------------------------------------------------- iperf3
nx cl iperf3 -c "$VIP" -p 5201 -t 3 -R -J >"$RUN/iperf.json" 2>&1
expect "iperf3 (home -> client) through the whole path moved data" \
	"$(jq -r '.end.sum_received.bytes // 0' "$RUN/iperf.json")" -gt 1000000

# ---------------------------------------------------------------- home restart
log "the home genkand stops during a transfer, and comes back"
# its accounting so far, while it is quiet; teardown checks the next one
acct_check ce
nx cl curl -sS --max-time 40 --limit-rate 500k --cacert "$RUN/ca.crt" \
	--resolve "$SITE:443:$VIP" -o "$RUN/slow" "https://$SITE/big" \
	2>"$RUN/slow.err" &
SLOW=$!
sleep 1.5
stop_pid "${GKPID[ce]}" TERM
GKPID[ce]=
t0=$(date +%s%N)
check "the door's health check marks the https backend down" wait_for 15 is_state https down
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
log "down after $ms ms (fall 3 x interval 1 s, plus the probe in flight)"
expect "... within fall x interval + interval + 1 s slack (5 s)" "$ms" -le 5000
if [ "$ms" -gt 5000 ]; then
	ctl fd -j l4 show https | jq -c '.services[0].backends[0].health'
	grep -h "is down\|is up\|signal 15\|handshake" "$(gklog fd)" "$(gklog ce)" | sort
fi
check "the door logged it" grep -q "l4-service https: backend $WEB:443 is down" "$(gklog fd)"
code=$(nx cl curl -sS -o /dev/null -w '%{http_code}' --max-time 3 --cacert "$RUN/ca.crt" \
	--resolve "$SITE:443:$VIP" "https://$SITE/" 2>/dev/null)
expect "a new connection while home is down gets no answer" "$code" = 000
check "... the door counted it as no_backend" test "$(l4c no_backend)" -gt 0
sleep 1
gk_start ce || fail "bpffs for ce"
check "the home genkand is back" gk_ready ce
hs_after() {
	local h
	h=$(ctl ce -j wg show 2>/dev/null | jq -r '.peers[0].latest_handshake // 0')
	[ "${h:-0}" != 0 ] && [ "${h:-0}" != null ]
}
check "the tunnel comes back (a new handshake)" wait_for 30 hs_after
check "the door's health check marks the backend up again" wait_for 20 is_state https up
check "the door logged that" grep -q "l4-service https: backend $WEB:443 is up" "$(gklog fd)"
b=$(fd_curl "" 2>>"$RUN/curl.err" | sha256sum | cut -d' ' -f1)
expect "a new connection works" "$b" = "$INDEX_SHA"
wait "$SLOW"
rc=$?
if [ "$rc" = 0 ]; then
	expect "the transfer across the outage completed intact" \
		"$(sha256sum <"$RUN/slow" | cut -d' ' -f1)" = "$BIG_SHA"
else
	log "the transfer across the outage ended with curl exit $rc: $(tail -n 1 "$RUN/slow.err")"
	pass "the transfer across the outage failed cleanly (curl exit $rc)"
fi

# ---------------------------------------------------------------- the end
for g in $GWS; do
	read -r f4 _ <<<"$(kfwd "$g")"
	read -r k4 _ <<<"${KF0[$g]}"
	expect "$g: the kernel forwarded nothing" "$((f4 - k4))" = 0
	check "genkand $g alive" kill -0 "${GKPID[$g]}"
done
summary
