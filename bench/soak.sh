#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# `make soak` (issue #13 item 6): the front-door scenario of `make demo`
# (lab/frontdoor_lib.sh: a door, an ISP BR and a home CE) under SOAK_MINUTES
# of mixed legitimate and fuzzed traffic, a reload of every gateway and a
# link flap every minute. A bench, not a CI test: it takes minutes.
#
#  cl (client, inet web :8080) -- ir (router) -- fd: door (genkan: L4 80/443/5201 + WireGuard)
#                                  |  <-- fuzz: f0 -> fd wan, b0 -> br inet
#                                  |
#                        br: ISP BR (genkan) == rt (IPv6) == ce: home CE (genkan: MAP-E CE
#                                  <-- fuzz: r0 -> br core,  r1 -> ce wan     + NAPT44 + WireGuard)
#                                                                   |  lan
#                                                              sw (bridge) -- web (nginx, iperf3)
#                                                                          -- pc <-- fuzz: -> ce lan
#
# Traffic, the whole time:
#   legitimate  iperf3 client -> door -> WireGuard -> MAP-E -> home (10 s
#               runs at SOAK_IPERF_RATE, both directions in turn); HTTPS
#               fetches of the home page through the door (sha256 checked);
#               the PC's HTTP fetches from the internet server through NAPT44
#               and MAP-E (the server must see the shared address); pings
#               pc -> client (NAPT + MAP-E) and door -> web (the door's host
#               path and the tunnel), 25 a round
#   fuzzed      bench/soak_fuzz.py (scapy) into every port, SOAK_FUZZ_PPS a
#               port: truncated headers, bad lengths, random IPv6-in-IPv4,
#               IPv4-in-IPv6 with bad inner packets, WireGuard-shaped
#               messages of wrong lengths (and a few right ones with a
#               valid mac1) to both ListenPorts, fragments that never
#               complete, martians, random EtherTypes and bytes
# Every minute: `genkanctl reload` of each gateway (every other minute with
# a harmless change, stall_ms 1000 <-> 1500), and one link flap (down 2 s,
# then up), in turn: the door's peer, the BR's two peers, the CE's wan peer,
# the CE's lan peer, and the CE's lan port itself. At the end of each
# minute one block: per gateway genkand's RSS (VmRSS) and open fds, the
# packet accounting of each worker (`genkanctl stats -j`, workers[].accounting:
# in_total - out_total is what is in flight while traffic runs) and the
# non-zero worker drop reasons; the minute's legitimate successes.
#
# At the end the traffic stops, and the run checks (PASS/FAIL each):
#   balanced   each worker of each gateway: in_total == out_total, on two
#              identical snapshots (quiescent), within SOAK_QUIET_S
#   rss flat   last minute's VmRSS <= minute 2's + max(2 MiB, 5 %)
#   fds flat   last minute's open fds == minute 2's
#   legit      each kind: >= SOAK_LEGIT_PCT % good of the attempts away
#              from flaps (not within a flap or SOAK_FLAP_GRACE s after
#              it), and a good one within 30 s after each flap's grace
#   reloads    every reload answered reloaded
#   alive      the three genkands run with their first pids
#   sanitizer  no AddressSanitizer/LeakSanitizer/UBSan report in any
#              genkand log (leaks show at exit; needs an ASan build)
# Exit status: 0 when all pass.
#
# Environment:
#   SOAK_MINUTES   duration (10)
#   GK_BUILD       meson build root; default <repo>/build-asan when it has a
#                  genkand (ASan+UBSan, `make build-asan`), else <repo>/build
#   SOAK_WORKERS   workers per gateway (1, as the shipped configs)
#   SOAK_FUZZ_PPS  fuzzed frames per second per port (200)
#   SOAK_FUZZ_FLOWS 0: no spoofed connections to the door's services (1)
#   SOAK_IPERF_RATE iperf3 -b (20M)
#   SOAK_LEGIT_PCT good legitimate attempts away from flaps, %, per kind (95)
#   SOAK_FLAP_GRACE s after a flap in which failures are the flap's (15)
#   SOAK_QUIET_S   how long the end waits for quiescence (30)
#   E2E_KEEP=1     keeps the run directory (configs, logs, stats)

set -u
umask 077

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SOAK_MINUTES=${SOAK_MINUTES:-10}
SOAK_FUZZ_PPS=${SOAK_FUZZ_PPS:-200}
SOAK_FUZZ_FLOWS=${SOAK_FUZZ_FLOWS:-1}
SOAK_IPERF_RATE=${SOAK_IPERF_RATE:-20M}
SOAK_LEGIT_PCT=${SOAK_LEGIT_PCT:-95}
SOAK_FLAP_GRACE=${SOAK_FLAP_GRACE:-15}
SOAK_QUIET_S=${SOAK_QUIET_S:-30}
if [ -z "${GK_BUILD:-}" ]; then
	GK_BUILD=$REPO/build
	[ -x "$REPO/build-asan/ctl/genkand/genkand" ] && GK_BUILD=$REPO/build-asan
fi
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
PY=/usr/bin/python3
TAG=gksoak-$$
FD_BIG_MB=1
FD_WORKERS=${SOAK_WORKERS:-1}
FD_IPERF3_IDLE=10
PING_I=0.1 PING_W=3 WARM_TRIES=6

# shellcheck source=tests/e2e/lib.sh
. "$REPO/tests/e2e/lib.sh"
# shellcheck source=lab/frontdoor_lib.sh
. "$REPO/lab/frontdoor_lib.sh"

e2e_init -- ip nsenter curl jq openssl sha256sum nginx iperf3 socat wg timeout "$PY"

[[ "$SOAK_MINUTES" =~ ^[1-9][0-9]*$ ]] || { echo "SOAK_MINUTES: a whole number >= 1"; exit 2; }
# ASan's quarantine (256 MB by default) keeps freed memory until it is
# full: genkand's RSS would grow by its malloc churn (each FIB snapshot it
# builds, a few MB a minute here) for an hour. At 4 MB it is full within
# the first minute, and RSS shows what genkand keeps.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=4}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
SANITIZED=0
ldd "$GKD" 2>/dev/null | grep -q libasan && SANITIZED=1

FUZZ_PIDS=()
LEGIT_PIDS=()

# stop_traffic: the legitimate loops finish their attempt (the stop file),
# the fuzzers write their counts (SIGTERM).
stop_traffic()
{
	local p k

	: >"$RUN/stop"
	for p in ${FUZZ_PIDS[@]+"${FUZZ_PIDS[@]}"}; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in ${LEGIT_PIDS[@]+"${LEGIT_PIDS[@]}"} ${FUZZ_PIDS[@]+"${FUZZ_PIDS[@]}"}; do
		for ((k = 0; k < 400; k++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		stop_pid "$p" TERM
	done
	FUZZ_PIDS=()
	LEGIT_PIDS=()
}

cleanup()
{
	trap - EXIT INT TERM
	stop_traffic
	fd_servers_down
	teardown 30
}
traps

minute() { cat "$RUN/minute" 2>/dev/null || echo 0; }
# res KIND GOOD T0 [DETAIL]: one attempt of a legitimate kind that began at
# T0 (epoch s): "minute good t0 t1 detail" in legit-KIND.
res() { echo "$(minute) $2 $3 $(date +%s) ${4:-}" >>"$RUN/legit-$1"; }
stopping() { [ -e "$RUN/stop" ]; }

# ------------------------------------------------------------ legitimate loops

loop_iperf()
{
	local k=0 dir out b t0

	while ! stopping; do
		t0=$(date +%s)
		dir=()
		((k++ % 2)) && dir=(-R)
		out=$RUN/iperf.json
		timeout 30 nsenter --net="/run/netns/$(ns cl)" iperf3 -c "$VIP" -p 5201 -t 10 \
			-b "$SOAK_IPERF_RATE" --connect-timeout 3000 "${dir[@]}" -J >"$out" 2>&1
		b=$(jq -r '.end.sum_received.bytes // 0' "$out" 2>/dev/null)
		if [[ "${b:-0}" =~ ^[0-9]+$ ]] && [ "$b" -gt 0 ]; then
			res iperf 1 "$t0" "$b"
		else
			res iperf 0 "$t0" "$(jq -r '.error // "no json"' "$out" 2>/dev/null | tr ' ' _)"
			sleep 1
		fi
	done
}

loop_https()
{
	local b t0

	while ! stopping; do
		t0=$(date +%s)
		b=$(CURL_MAX=10 fd_curl "" 2>>"$RUN/curl.err" | sha256sum | cut -d' ' -f1)
		if [ "$b" = "$INDEX_SHA" ]; then res https 1 "$t0"; else res https 0 "$t0"; fi
		sleep 0.5
	done
}

loop_napt()
{
	local s t0

	# Every 2 s: each fetch takes a port of the CE's 240, held down for
	# 120 s after the connection ends (docs/napt.md).
	while ! stopping; do
		t0=$(date +%s)
		s=$(nx pc curl -sS --max-time 10 "http://$CL:8080/" 2>>"$RUN/curl.err")
		if [ "${s%% *}" = "$CE4" ]; then res napt 1 "$t0"; else res napt 0 "$t0"; fi
		sleep 2
	done
}

# loop_ping NAME NS DST: rounds of 25 echoes; a round is good when at most
# one is lost (a flap's 2 s fall in one round); the counts are kept.
loop_ping()
{
	local name=$1 n=$2 dst=$3 out tx rx t0

	while ! stopping; do
		t0=$(date +%s)
		out=$(nx "$n" ping -n -q -c 25 -i 0.2 -W 2 "$dst" 2>&1)
		tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out")
		rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
		if [ "${tx:-0}" -gt 0 ] && [ "${rx:-0}" -ge $((tx - 1)) ]; then
			res "$name" 1 "$t0" "${tx:-0}/${rx:-0}"
		else
			res "$name" 0 "$t0" "${tx:-0}/${rx:-0}"
		fi
	done
}

LEGIT_KINDS="iperf https napt ping_napt ping_tunnel"

legit_start()
{
	local f

	for f in $LEGIT_KINDS; do
		: >"$RUN/legit-$f"
	done
	loop_iperf & LEGIT_PIDS+=($!)
	loop_https & LEGIT_PIDS+=($!)
	loop_napt & LEGIT_PIDS+=($!)
	loop_ping ping_napt pc "$CL" & LEGIT_PIDS+=($!)
	loop_ping ping_tunnel fd "$WEB" & LEGIT_PIDS+=($!)
}

# legit_line M: "kind good/all" of minute M (all minutes: M = all).
legit_line()
{
	local m=$1 f

	for f in $LEGIT_KINDS; do
		awk -v m="$m" -v k="$f" '
			m == "all" || $1 == m { n++; g += $2
				if (k ~ /^ping/) { split($5, a, "/"); tx += a[1]; rx += a[2] }
				if (k == "iperf" && $2) mb += $5 / 1048576 }
			END {
				printf "%s %d/%d", k, g, n
				if (k ~ /^ping/) printf " (%d/%d echoes)", rx, tx
				if (k == "iperf") printf " (%.0f MiB)", mb
				printf "; "
			}' "$RUN/legit-$f"
	done
}

# ------------------------------------------------------------ fuzzers

mac() { r "$1" -j link show dev "$2" | jq -r '.[0].address'; }

fuzz_start()
{
	local ce6 lan

	ce6=$("$PY" -c 'import os, sys
sys.path.insert(0, os.environ["E2E_LIB"])
from e2e_lib import ce_params
print(ce_params("2001:db8::/40", sys.argv[1], 16, sys.argv[2])[3])' "$R4" "$EUP") || return 1
	CE6=$ce6
	ip netns exec "$(ns ir)" "$PY" "$HERE/soak_fuzz.py" --pps "$SOAK_FUZZ_PPS" --seed $$ \
		--out "$RUN/fuzz-ir.json" \
		"f0,door,$(mac fd wan),dst4=$DOOR,vip=$VIP,wg=51820,pub=$DOORPUB,flows=$SOAK_FUZZ_FLOWS" \
		"b0,br4,$(mac br inet),ce4=$CE4,psid=$PSID,a=$OFF,k=8" \
		>"$RUN/fuzz-ir.log" 2>&1 &
	FUZZ_PIDS+=($!)
	ip netns exec "$(ns rt)" "$PY" "$HERE/soak_fuzz.py" --pps "$SOAK_FUZZ_PPS" --seed $(($$ + 1)) \
		--out "$RUN/fuzz-rt.json" \
		"r0,br6,$(mac br core),br6=$BR6,ce6=$CE6,ce4=$CE4" \
		"r1,ce6,$(mac ce wan),br6=$BR6,ce6=$CE6,ce4=$CE4,wg=$LPORT,pub=$CEPUB" \
		>"$RUN/fuzz-rt.log" 2>&1 &
	FUZZ_PIDS+=($!)
	lan=$(mac ce lan)
	ip netns exec "$(ns pc)" "$PY" "$HERE/soak_fuzz.py" --pps "$SOAK_FUZZ_PPS" --seed $(($$ + 2)) \
		--out "$RUN/fuzz-pc.json" "eth0,lan,$lan,src=$PC,dst=$CL" \
		>"$RUN/fuzz-pc.log" 2>&1 &
	FUZZ_PIDS+=($!)
}

fuzz_alive()
{
	local p n=0

	for p in "${FUZZ_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}

# ------------------------------------------------------------ each minute

declare -A RSS=() FDS=() FIBGEN=()
RELOAD_BAD=0 RELOADS=0

reload_all()
{
	local m=$1 g out ch=unchanged

	if ((m % 2 == 0)); then
		ch="stall_ms 1500"
		for g in $GWS; do
			sed -i '/^stall_ms = /d; /^workers = /a stall_ms = 1500' "$(conf "$g")"
		done
	else
		for g in $GWS; do
			grep -q '^stall_ms = ' "$(conf "$g")" && ch="stall_ms back to 1000"
			sed -i '/^stall_ms = /d' "$(conf "$g")"
		done
	fi
	RELOAD_MSG="reload ($ch):"
	for g in $GWS; do
		RELOADS=$((RELOADS + 1))
		out=$(ctl "$g" -j reload 2>&1)
		if [ "$(jq -r '.reloaded // false' <<<"$out" 2>/dev/null)" = true ]; then
			RELOAD_MSG+=" $g ok"
		else
			RELOAD_MSG+=" $g FAILED"
			RELOAD_BAD=$((RELOAD_BAD + 1))
			echo "# reload $g: $out" >>"$RUN/reload.err"
		fi
	done
}

# The flaps, in turn: NS:DEV WHAT.
FLAPS=("ir:f0:the door's peer" "rt:r0:the BR core's peer" "rt:r1:the CE wan's peer"
       "sw:p0:the CE lan's peer" "ir:b0:the BR inet's peer" "ce:lan:the CE's lan port itself")

# flap M: minute M's link down for 2 s, then up; "start end" (epoch s) of
# the flap appended to RUN/flaps. The link keeps its IPv6 addresses and
# gets its routes back, as an operator's network manager would do: what is
# tested is genkan following its port's link, not a lab that lost its
# addresses (a down link drops IPv6 addresses and the routes through it).
flap()
{
	local m=$1 f n d t0 rt4 rt6 line

	f=${FLAPS[$(((m - 1) % ${#FLAPS[@]}))]}
	n=${f%%:*}
	d=${f#*:}
	d=${d%%:*}
	FLAP_MSG="flap: $n $d (${f##*:}) down 2 s"
	rt4=$(r "$n" -4 route show)
	rt6=$(r "$n" -6 route show)
	nx "$n" sysctl -q -w "net.ipv6.conf.$d.keep_addr_on_down=1" >/dev/null
	t0=$(date +%s)
	r "$n" link set "$d" down
	sleep 2
	r "$n" link set "$d" up || FLAP_MSG+=" UP FAILED"
	# shellcheck disable=SC2086 # a route line's words are ip's arguments
	while read -r line; do
		[ -n "$line" ] && r "$n" -4 route replace $line
	done <<<"$rt4"
	# shellcheck disable=SC2086
	while read -r line; do
		[ -n "$line" ] && r "$n" -6 route replace $line
	done <<<"$rt6"
	echo "$t0 $(date +%s)" >>"$RUN/flaps"
}

# nfds PID: open fds, the least of 5 looks 0.2 s apart: a health check's
# socket or a ctl client comes and goes, a leaked fd stays.
nfds()
{
	local k n min=

	for ((k = 0; k < 5; k++)); do
		n=$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
		[ -z "$min" ] || [ "$n" -lt "$min" ] && min=$n
		sleep 0.2
	done
	echo "$min"
}

# smaps PID: "range rss_kB" of each of the process's mappings.
smaps() { awk '/^[0-9a-f]+-[0-9a-f]+ / { r = $1 } /^Rss:/ { print r, $2 }' "/proc/$1/smaps" 2>/dev/null; }

# block M: the minute's figures; RSS and FDS of M kept.
block()
{
	local m=$1 g pid s

	printf '\n== minute %d/%d (t+%d s) %s; %s\n' "$m" "$SOAK_MINUTES" \
		$(($(date +%s) - TS)) "$RELOAD_MSG" "$FLAP_MSG"
	for g in $GWS; do
		pid=${GKPID[$g]}
		if ! kill -0 "$pid" 2>/dev/null; then
			printf '  %-3s genkand pid %s: NOT RUNNING\n' "$g" "$pid"
			continue
		fi
		RSS[$m,$g]=$(fd_rss_kb "$pid")
		smaps "$pid" >"$RUN/smaps-$g-$m"
		FDS[$m,$g]=$(nfds "$pid")
		s=$RUN/stats-$g-$m.json
		ctl "$g" -j stats >"$s" 2>/dev/null
		FIBGEN[$m,$g]=$(ctl "$g" -j status 2>/dev/null | jq -r '.fib.generation // 0')
		printf '  %-3s genkand pid %s  RSS %s kB (%.1f MiB, %+d kB in the minute)  fds %s  fib generation %s (%+d)\n' \
			"$g" "$pid" "${RSS[$m,$g]}" \
			"$(awk -v k="${RSS[$m,$g]}" 'BEGIN { print k / 1024 }')" \
			$((${RSS[$m,$g]} - ${RSS[$((m - 1)),$g]:-${RSS[$m,$g]}})) "${FDS[$m,$g]}" \
			"${FIBGEN[$m,$g]}" $((${FIBGEN[$m,$g]:-0} - ${FIBGEN[$((m - 1)),$g]:-0}))
		ctl "$g" -j nat stats 2>/dev/null | jq -r '"      nat: \(.totals.sessions) sessions, ports in use \(.ports_in_use | to_entries | map("\(.key) \(.value)") | join(", ")), refused (port set exhausted) \(.totals.exhausted)"' 2>/dev/null
		jq -r '.workers[] |
			if .accounting then
				"      w\(.id) accounting: " +
				(.accounting | to_entries | map(select(.key != "in_total" and .key != "out_total")) |
				 map("\(.key)=\(.value)") | join(" ")) +
				"  in_total=\(.accounting.in_total) out_total=\(.accounting.out_total)" +
				" in flight \(.accounting.in_total - .accounting.out_total)"
			else "      w\(.id) accounting: n/a" end,
			"      w\(.id) drops: " + ((.drops // {}) | to_entries | map(select(.value != 0)) |
				map("\(.key)=\(.value)") | join(" ") | if . == "" then "none" else . end)' \
			"$s" 2>/dev/null || echo "      stats: no answer"
	done
	printf '  legit this minute: %s\n' "$(legit_line "$m")"
	printf '  fuzzers running: %s of %s\n' "$(fuzz_alive)" "${#FUZZ_PIDS[@]}"
}

# ------------------------------------------------------------ the end

# acct GW: each worker's accounting, one line (null without it).
acct() { ctl "$1" -j stats 2>/dev/null | jq -c '[.workers[] | .accounting]'; }

# quiet GW: two snapshots 0.3 s apart are identical, and every worker's
# in_total == out_total. QUIET[GW] = the last snapshot.
declare -A QUIET=()
quiet()
{
	local g=$1 a b

	a=$(acct "$g")
	sleep 0.3
	b=$(acct "$g")
	QUIET[$g]=$b
	[ -n "$a" ] && [ "$a" = "$b" ] &&
		jq -e 'length > 0 and all(.[]; . != null and .in_total == .out_total)' \
			<<<"$b" >/dev/null
}

has_acct() { jq -e 'length > 0 and all(.[]; . != null)' <<<"${QUIET[$1]:-[]}" >/dev/null; }

declare -a VERDICT=()
verdict()
{
	local ok=$1 what=$2

	case $ok in
	0) VERDICT+=("PASS  $what"); pass "$what" ;;
	na) VERDICT+=("N/A   $what") ;;
	*) VERDICT+=("FAIL  $what"); fail "$what" ;;
	esac
}

# ------------------------------------------------------------ run

echo "# soak: $SOAK_MINUTES min; genkand $GKD ($([ $SANITIZED = 1 ] &&
	echo "ASan+UBSan" || echo "no sanitizer: the sanitizer check is n/a"))"
echo "# workers per gateway $FD_WORKERS, fuzz $SOAK_FUZZ_PPS frames/s per port, iperf3 -b $SOAK_IPERF_RATE"
if ! fd_topo_up; then
	fail "topology"
	summary
	exit 1
fi
kfwd_snap
if ! fd_keys || ! fd_servers_up; then
	fail "keys, certificates, servers"
	summary
	exit 1
fi
for g in $GWS; do
	fd_conf "$g"
done
fd_start || { summary; exit 1; }
check "handshake between the door and the home CE" wait_for 20 fd_handshake
check "the door's https health check: up" wait_for 20 fd_health_up https
declare -A PID0=()
for g in $GWS; do
	PID0[$g]=${GKPID[$g]}
done
[ "$NFAIL" = 0 ] || { summary; exit 1; }

echo 1 >"$RUN/minute"
: >"$RUN/flaps"
legit_start
fuzz_start || { fail "fuzzers"; summary; exit 1; }
TS=$(date +%s)
for ((m = 1; m <= SOAK_MINUTES; m++)); do
	echo "$m" >"$RUN/minute"
	RELOAD_MSG='' FLAP_MSG=''
	sleep 5
	reload_all "$m"
	while [ $(($(date +%s) - TS)) -lt $(((m - 1) * 60 + 30)) ]; do sleep 1; done
	flap "$m"
	while [ $(($(date +%s) - TS)) -lt $((m * 60)) ]; do sleep 1; done
	block "$m"
done

printf '\n== the end: traffic stops\n'
stop_traffic
for f in "$RUN"/fuzz-*.json; do
	[ -s "$f" ] && jq -r 'to_entries[] | "# fuzz \(.key): \(.value.sent) frames sent (\(.value.errors) send errors)"' "$f"
done
log "legit, all minutes: $(legit_line all)"

# Quiescence, then the balance of every worker.
bal=0 na=0
for g in $GWS; do
	t0=$(date +%s)
	q=1
	while :; do
		quiet "$g" && { q=0; break; }
		has_acct "$g" || break
		[ $(($(date +%s) - t0)) -ge "$SOAK_QUIET_S" ] && break
		sleep 0.5
	done
	if ! has_acct "$g"; then
		log "$g: accounting: n/a (no workers[].accounting in stats -j)"
		na=1
		continue
	fi
	log "$g: $(jq -r 'to_entries | map("w\(.key) in_total=\(.value.in_total) out_total=\(.value.out_total)") | join(", ")' <<<"${QUIET[$g]}")"
	if [ "$q" = 0 ]; then
		log "$g: quiescent and balanced after $(($(date +%s) - t0)) s"
	else
		bal=1
		log "$g: no quiescent balanced snapshot within ${SOAK_QUIET_S} s; the last one:"
		jq -r 'to_entries[] | "#   w\(.key): \(.value)"' <<<"${QUIET[$g]}"
	fi
done
[ "$na" = 1 ] && [ "$bal" = 0 ] && bal=na
verdict "$bal" "balanced: every worker in_total == out_total when quiescent"

# RSS: minute 2 against the last (minute 1 on a one-minute run). genkand
# allocates its tables whole at start (flows, sessions, return paths, UMEM:
# calloc, mmap) and the kernel hands their pages out as they are first
# touched, so RSS grows while traffic reaches new buckets, up to the
# tables' size. That growth stays inside large mappings (>= 1 MiB, not
# ASan's allocator or shadow) whose address range has not changed since
# minute 2; what genkand allocates shows elsewhere (the heap grows, the
# allocator maps more or touches more, new mappings). The second must stay
# within max(2 MiB, 5 %); both are printed.
rss_split()
{
	"$PY" - "$1" "$2" <<'EOF'
import sys
ASAN = (0x600000000000, 0x640000000000)	# ASan's allocator space (x86_64)
old = dict(l.split() for l in open(sys.argv[1]))
paged = total = 0
for line in open(sys.argv[2]):
    r, kb = line.split()
    total += int(kb)
    lo, hi = (int(x, 16) for x in r.split("-"))
    big = (1 << 20) <= hi - lo < (1 << 40) and not ASAN[0] <= lo < ASAN[1]
    if r in old and big:
        paged += int(kb) - int(old[r])
print(paged, total - sum(int(v) for v in old.values()) - paged)
EOF
}
m0=2
[ "$SOAK_MINUTES" -lt 2 ] && m0=1
ok=0
for g in $GWS; do
	a=${RSS[$m0,$g]:-0} b=${RSS[$SOAK_MINUTES,$g]:-0}
	lim=$(awk -v a="$a" 'BEGIN { d = a * 0.05; if (d < 2048) d = 2048; printf "%d", d }')
	read -r paged other < <(rss_split "$RUN/smaps-$g-$m0" "$RUN/smaps-$g-$SOAK_MINUTES")
	log "$g RSS: minute $m0 $a kB, minute $SOAK_MINUTES $b kB ($((b - a)) kB more): ${paged:-?} kB paged in inside mappings unchanged since minute $m0 (tables, UMEM), ${other:-?} kB elsewhere (heap, allocator, new mappings; limit $lim kB)"
	[ "$b" -gt 0 ] && [ -n "$other" ] && [ "$other" -le "$lim" ] || ok=1
done
verdict "$ok" "RSS flat: since minute $m0, at most max(2 MiB, 5 %) more outside the preallocated mappings"
ok=0
for g in $GWS; do
	log "$g fds: minute $m0 ${FDS[$m0,$g]:-?}, minute $SOAK_MINUTES ${FDS[$SOAK_MINUTES,$g]:-?}"
	[ "${FDS[$m0,$g]:-x}" = "${FDS[$SOAK_MINUTES,$g]:-y}" ] || ok=1
done
verdict "$ok" "fds flat: last minute's open fds equal minute $m0's"

# Legitimate traffic: an attempt that overlaps a flap or the
# SOAK_FLAP_GRACE s after it (the door's health check takes its backend
# down and up again, neighbours are asked again) is "near a flap"; of the
# others at least SOAK_LEGIT_PCT % must be good, and after every flap's
# grace a good attempt must begin within 30 s (the traffic came back).
ok=0
for f in $LEGIT_KINDS; do
	read -r gi ni go no miss < <(awk -v G="$SOAK_FLAP_GRACE" '
		FNR == NR { fs[++nf] = $1; fe[nf] = $2; next }
		{
			near = 0
			for (i = 1; i <= nf; i++)
				if ($3 <= fe[i] + G && $4 >= fs[i]) near = 1
			if (near) { ni++; gi += $2 } else { no++; go += $2 }
			for (i = 1; i <= nf; i++)
				if ($2 && $3 > fe[i] + G && $3 <= fe[i] + G + 30) back[i] = 1
		}
		END {
			for (i = 1; i <= nf; i++) if (!back[i]) m = m "," i
			print gi + 0, ni + 0, go + 0, no + 0, (m == "" ? "-" : substr(m, 2))
		}' "$RUN/flaps" "$RUN/legit-$f")
	log "$f: $go of $no good away from flaps, $gi of $ni near one; not back after flap(s): $miss"
	[ "$no" -gt 0 ] && [ $((go * 100)) -ge $((no * SOAK_LEGIT_PCT)) ] && [ "$miss" = - ] || ok=1
done
verdict "$ok" "legit traffic kept working: each kind >= $SOAK_LEGIT_PCT % good away from flaps, back after every flap"
verdict "$([ "$RELOAD_BAD" = 0 ] && echo 0 || echo 1)" "reloads: $((RELOADS - RELOAD_BAD)) of $RELOADS answered reloaded"

ok=0
for g in $GWS; do
	[ "${GKPID[$g]}" = "${PID0[$g]}" ] && kill -0 "${GKPID[$g]}" 2>/dev/null || ok=1
done
verdict "$ok" "alive: the three genkands run with their first pids"

# Stopped here, so their exit (LeakSanitizer) is in the logs read below;
# teardown stops nothing more.
for g in $GWS; do
	stop_pid "${GKPID[$g]}" TERM
done
ok=0
for g in $GWS; do
	if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$(gklog "$g")"; then
		ok=1
		grep -E -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$(gklog "$g")" |
			head -n 30 | sed "s/^/# $g: /"
	fi
done
[ "$SANITIZED" = 1 ] || ok=na
verdict "$ok" "sanitizer: no ASan/LSan/UBSan report in the genkand logs"

printf '\n== soak summary (%d min, %s)\n' "$SOAK_MINUTES" \
	"$([ $SANITIZED = 1 ] && echo "ASan+UBSan genkand" || echo "genkand without sanitizers")"
printf '  %s\n' "${VERDICT[@]}"
summary
