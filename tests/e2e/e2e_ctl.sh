#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The ctl socket under slow and idle clients (issue #13, bug 3): a real
# genkand, real UNIX sockets, genkanctl timed call by call.
#
#   gk13c-<pid>-p               gk13c-<pid>-g: genkand "gk13c-<pid>-g"
#  +------------------+  veth  +--------------------------------------+
#  | eth0             |--------| lan (port lan)                       |
#  | 192.0.2.2/24     |        | 192.0.2.1/24, 1 worker               |
#  +------------------+        | ctl: /run/genkan/gk13c-<pid>-g.sock  |
#                              +--------------------------------------+
#                                 ^ 32 tricklers, then 500 idle clients
#                                 ^ genkanctl status every 0.25 s
#
# Checks (each prints PASS/FAIL; the run ends with "N passed, M failed"):
#   1 the socket is mode 0660 (never world-writable), before and after
#   2 32 clients trickling a byte every 4-5 s (ctl_flood.py trickle, each
#     replaced as soon as it is closed): every genkanctl status succeeds
#     within 1 s; no trickled request is ever served; none lives more
#     than the 2 s request deadline (plus slack) after its first byte.
#     32 do not fit the 31 slots kept, so they churn, evicting each other;
#     16 do, and each is closed by the request deadline itself (ETIMEDOUT)
#   3 500 idle clients opened at once and held: every status succeeds
#     within 1 s; beyond the slots they are evicted (EBUSY), the rest are
#     closed by the idle deadline (ETIMEDOUT)
#   4 status -j "ctl": the evictions and timeouts counted, nothing
#     rejected; genkanctl status prints them
#   5 the log: the closes reported, at most one line per 10 s
#
# Environment: GK_BUILD (meson build root), E2E_KEEP=1 keeps the run
# directory. Needs root, iproute2, nsenter, jq, stat and /usr/bin/python3.

set -u

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
PY=/usr/bin/python3
TAG=gk13c-$$
WORKERS=1
GWS="g"
ALLNS="g p"
TRICKLE_S=14		# tricklers run this long, status asked for 10 s of it
IDLE_S=12		# idle clients held this long, status asked for 10 s
CALL_MS=1000		# each status call: within this, and genkanctl -t

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_init ip nsenter jq stat "$PY"
FLOOD=$E2E_LIB/ctl_flood.py

cleanup()
{
	trap - EXIT INT TERM
	teardown 30
}
traps

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# calls SECONDS: genkanctl status every 0.25 s for SECONDS; sets CALLS_OK,
# CALLS_BAD, CALLS_MAX (the slowest, ms) and CALLS_ERR (the first failure).
calls()
{
	local end t0 ms

	end=$(($(now_ms) + $1 * 1000))
	CALLS_OK=0 CALLS_BAD=0 CALLS_MAX=0 CALLS_ERR=
	while [ "$(now_ms)" -lt "$end" ]; do
		t0=$(now_ms)
		if ctl g -t "$CALL_MS" status >"$RUN/call.out" 2>&1; then
			CALLS_OK=$((CALLS_OK + 1))
		else
			CALLS_BAD=$((CALLS_BAD + 1))
			[ -n "$CALLS_ERR" ] || CALLS_ERR=$(head -c 200 "$RUN/call.out")
		fi
		ms=$(($(now_ms) - t0))
		[ "$ms" -gt "$CALLS_MAX" ] && CALLS_MAX=$ms
		sleep 0.25
	done
	log "status calls: $CALLS_OK ok, $CALLS_BAD failed${CALLS_ERR:+ (first: $CALLS_ERR)}, slowest $CALLS_MAX ms"
}

# fj FILE FILTER: one jq value of a flood result.
fj() { jq -r "$2" "$RUN/$1.json" 2>/dev/null; }

# flood_wait NAME: the flood's result file is there (bounded).
flood_wait() { wait_for 30 test -s "$RUN/$1.json"; }

ns_up || { fail "namespaces"; exit 1; }
veth g lan p eth0 1
a4 g 192.0.2.1/24 lan
a4 p 192.0.2.2/24 eth0
r g link set lan up
r p link set eth0 up

{
	conf_head g "ctl socket under slow clients"
	cat <<EOF

[port lan]
interface = lan
EOF
} >"$(conf g)"
gk_start g || { fail "bpffs"; exit 1; }
gw_ready g "worker running" || { summary; exit 1; }
SOCK=$(sock g)
T0=$(now_ms)

expect "socket mode" "$(stat -c %a "$SOCK")" = 660

# ---------------------------------------------------------------- tricklers
log "32 clients trickling one byte every 4-5 s for ${TRICKLE_S}s"
"$PY" "$FLOOD" trickle "$SOCK" 32 "$TRICKLE_S" "$RUN/trickle.json" \
	>"$RUN/trickle.log" 2>&1 &
HELPERS+=("$!")
sleep 2		# all 32 connected and started
calls 10
expect "tricklers: status calls failed" "$CALLS_BAD" -eq 0
expect "tricklers: status calls answered" "$CALLS_OK" -ge 20
expect "tricklers: slowest status call (ms)" "$CALLS_MAX" -lt "$CALL_MS"
if flood_wait trickle; then
	log "trickle: $(cat "$RUN/trickle.json")"
	expect "tricklers: requests served" "$(fj trickle .served)" -eq 0
	expect "tricklers: longest life after a first byte (ms)" \
		"$(fj trickle .max_hold_ms)" -lt 3000
	expect "tricklers: closed, evicted or timed out" \
		"$(fj trickle '[.closed_by["16"], .closed_by["110"]] | add // 0')" -ge 32
	expect "tricklers: connections opened" "$(fj trickle .opened)" -gt 64
else
	fail "trickle flood ended"
fi

log "16 clients trickling one byte every 4-5 s for 7s"
"$PY" "$FLOOD" trickle "$SOCK" 16 7 "$RUN/trickle16.json" \
	>"$RUN/trickle16.log" 2>&1 &
HELPERS+=("$!")
if flood_wait trickle16; then
	log "trickle16: $(cat "$RUN/trickle16.json")"
	expect "16 tricklers: requests served" "$(fj trickle16 .served)" -eq 0
	expect "16 tricklers: evicted" "$(fj trickle16 '.closed_by["16"] // 0')" -eq 0
	expect "16 tricklers: closed by the request deadline (ETIMEDOUT)" \
		"$(fj trickle16 '.closed_by["110"] // 0')" -ge 16
	expect "16 tricklers: longest life after a first byte (ms)" \
		"$(fj trickle16 .max_hold_ms)" -lt 2500
	expect "16 tricklers: none closed before 2 s (ms)" \
		"$(fj trickle16 .min_cut_ms)" -ge 1990
else
	fail "16 tricklers ended"
fi

# ---------------------------------------------------------------- idle clients
log "500 idle clients held for ${IDLE_S}s"
"$PY" "$FLOOD" idle "$SOCK" 500 "$IDLE_S" "$RUN/idle.json" \
	>"$RUN/idle.log" 2>&1 &
HELPERS+=("$!")
calls 10
expect "idle: status calls failed" "$CALLS_BAD" -eq 0
expect "idle: status calls answered" "$CALLS_OK" -ge 20
expect "idle: slowest status call (ms)" "$CALLS_MAX" -lt "$CALL_MS"
if flood_wait idle; then
	log "idle: $(cat "$RUN/idle.json")"
	expect "idle: connections opened" "$(fj idle .opened)" -eq 500
	# all but the 31 slots left: evicted (EBUSY), as the slowest
	expect "idle: evicted (EBUSY)" "$(fj idle '.closed_by["16"] // 0')" -ge 469
	# what stayed was closed by the 5 s idle deadline (ETIMEDOUT)
	expect "idle: closed as idle (ETIMEDOUT)" \
		"$(fj idle '.closed_by["110"] // 0')" -ge 1
	expect "idle: still held at the end" "$(fj idle .held_at_end)" -eq 0
else
	fail "idle flood ended"
fi

# ---------------------------------------------------------------- counters, log
ctl g -j status >"$RUN/status.json" 2>&1
cj() { jq -r ".ctl.$1" "$RUN/status.json" 2>/dev/null; }
log "status .ctl: $(jq -c .ctl "$RUN/status.json" 2>/dev/null)"
expect "ctl.evicted" "$(cj evicted)" -ge 469
expect "ctl.request_timeouts" "$(cj request_timeouts)" -ge 16
expect "ctl.idle_timeouts" "$(cj idle_timeouts)" -ge 1
expect "ctl.rejected" "$(cj rejected)" -eq 0
expect "ctl.request_ms" "$(cj request_ms)" -eq 2000
expect "ctl.max_clients" "$(cj max_clients)" -eq 32
check "genkanctl status prints the ctl socket line" \
	grep -q "^ctl socket .* evicted" <(ctl g status 2>&1)

ELAPSED_S=$((($(now_ms) - T0) / 1000))
NLOG=$(grep -c "ctl socket: closed" "$(gklog g)")
log "log lines about closed ctl clients: $NLOG in ${ELAPSED_S}s"
expect "log: closes reported" "$NLOG" -ge 1
expect "log: at most one line per 10 s" "$NLOG" -le $((ELAPSED_S / 10 + 1))

expect "socket mode after the floods" "$(stat -c %a "$SOCK")" = 660
check "genkand still running" kill -0 "${GKPID[g]}"

summary
