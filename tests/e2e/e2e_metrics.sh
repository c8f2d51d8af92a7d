#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Prometheus metrics (issue #15 part 1, docs/metrics.md): genkand serves
# /metrics from [metrics] listen, a real Prometheus server scrapes it in the
# gateway's namespace, and its HTTP API shows the counters growing by exactly
# the traffic sent; misbehaving HTTP clients never touch forwarding or the
# ctl socket.
#
#   client ns                  gateway ns: genkand, ip_forward=0            server ns
#  +------------------+       +--------------------------------------+       +-------------------+
#  | gkc0             | veth  | gkg0 (lan)                gkg1 (wan) | veth  | gks0              |
#  | 192.0.2.2/24     |-------| 192.0.2.1/24        198.51.100.1/24  |-------| 198.51.100.2/24   |
#  +------------------+       |                                      |       +-------------------+
#                             |  lo: genkand /metrics 127.0.0.1:9469 |
#                             |      prometheus       127.0.0.1:9090 |
#                             |      (scrapes every 1 s, own config  |
#                             |       and TSDB in the run dir)       |
#                             +--------------------------------------+
#
# Checks (PASS/FAIL each, "N passed, M failed" at the end):
#  - /metrics answers 200 and `promtool check metrics` finds nothing wrong
#  - every metric family genkand writes is listed in docs/metrics.md
#  - Prometheus reports the target up
#  - N pings client -> server: Prometheus's
#    sum(genkan_worker_class_packets_total{class="transit"}) grows by exactly
#    2N and sum(genkan_xdp_class_bytes_total{class="transit"}) by exactly
#    2N x 98 (ping's 56-byte payload: 14 + 20 + 8 + 56 per frame), read
#    through Prometheus's HTTP API (the oracle: ping's own count, the sizes
#    from the RFCs)
#  - wrong path and wrong method: 404; headers of 64 KiB: refused (not 200),
#    genkand alive
#  - idle half-requests are dropped within the connection timeout
#  - 30 trickling clients: /metrics still answers; 100 slow connections
#    (over the connection limit of 64): genkanctl status answers and N pings
#    all go through meanwhile, all 100 are dropped within three timeouts, and
#    /metrics answers again once they are gone
#  - genkand restarted with listen = [::1]:9469 serves IPv6; a reload that
#    changes listen is refused and the server keeps answering
#  - each genkand stops cleanly ("stopped" logged; with GK_BUILD an ASan
#    build, no sanitizer report)
#
# Environment: GK_BUILD (meson sets it), E2E_N (pings, default 50),
# LAB_KEEP=1 keeps the run dir. Needs root, iproute2, curl, jq, prometheus
# (Debian's, with promtool), python3.

set -u

N=${E2E_N:-50}
MPORT=9469
PPORT=9090

. "$(dirname "$0")/../../lab/lab.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (network namespaces, XDP)"
	exit 77
fi
for t in prometheus promtool jq curl; do
	command -v $t >/dev/null || lab_die "$t not found (scripts/deps.sh installs it)"
done

MLISTEN=127.0.0.1:$MPORT
# lab.sh writes etc/lab.conf per run; the [metrics] section goes after it.
eval "lab_write_conf_base()$(declare -f lab_write_conf | tail -n +2)"
lab_write_conf()
{
	lab_write_conf_base || return 1
	printf '\n[metrics]\nlisten = %s\n' "$MLISTEN" >>"$GK_CONF"
}

lab_init
lab_up
lab_forwarding off
CLIENT=$LAB_ROOT/tests/e2e/metrics_client.py
DOC=$LAB_ROOT/docs/metrics.md

if ! lab_genkand_start 30; then
	lab_fail "genkand starts with [metrics] and answers status"
	lab_summary
	exit 1
fi
lab_pass "genkand starts with [metrics] and answers status"
lab_check "neighbours resolve (warm-up pings)" lab_warmup

# mget PATH [CURL ARGS]: the body of http://$MLISTEN$PATH, status in $LAB_DIR/code
mget()
{
	local path=$1
	shift
	lab_nx "$NS_G" curl -s -m 5 -o "$LAB_DIR/body" -w '%{http_code}' "$@" \
		"http://$MLISTEN$path" >"$LAB_DIR/code" 2>/dev/null
	cat "$LAB_DIR/body" 2>/dev/null
}

# ---------------------------------------------------------------- format
mget /metrics >"$LAB_DIR/m1.txt"
lab_check "/metrics answers 200" test "$(cat "$LAB_DIR/code")" = 200
lab_check "/metrics has worker counters" grep -q '^genkan_worker_rx_packets_total{worker="0"} ' "$LAB_DIR/m1.txt"
promtool check metrics <"$LAB_DIR/m1.txt" >"$LAB_DIR/promtool.out" 2>&1
rc=$?
sed 's/^/#   promtool: /' "$LAB_DIR/promtool.out" | head -20
lab_check "promtool check metrics passes (rc $rc, no findings)" \
	eval "[ $rc -eq 0 ] && [ ! -s '$LAB_DIR/promtool.out' ]"
missing=
nfam=0
for f in $(awk '$1 == "#" && $2 == "TYPE" { print $3 }' "$LAB_DIR/m1.txt"); do
	nfam=$((nfam + 1))
	grep -q "\`$f\`" "$DOC" || missing="$missing $f"
done
[ -n "$missing" ] && echo "# not in docs/metrics.md:$missing"
lab_check "docs/metrics.md lists all $nfam metric families" test -z "$missing"

# ---------------------------------------------------------------- Prometheus
PDIR=$LAB_DIR/prometheus
mkdir -p "$PDIR/data"
cat >"$PDIR/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: genkan
    static_configs:
      - targets: ['$MLISTEN']
EOC
lab_bg "$NS_G" "$PDIR/prometheus.log" prometheus \
	--config.file="$PDIR/prometheus.yml" --storage.tsdb.path="$PDIR/data" \
	--web.listen-address=127.0.0.1:$PPORT --log.level=warn
PROM_PID=$LAB_LAST_PID

# pq QUERY: the value of an instant query through the HTTP API, or NA.
pq()
{
	local v
	v=$(lab_nx "$NS_G" curl -s -m 3 "http://127.0.0.1:$PPORT/api/v1/query" \
		--data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // "NA"' 2>/dev/null)
	echo "${v:-NA}"
}

# pwait QUERY VALUE [SECS]: until Prometheus has VALUE for QUERY; prints the last.
pwait()
{
	local q=$1 want=$2 secs=${3:-20} i v=NA
	for ((i = 0; i < secs * 4; i++)); do
		v=$(pq "$q")
		[ "$v" = "$want" ] && break
		sleep 0.25
	done
	echo "$v"
}

up=NA
for ((i = 0; i < 120; i++)); do
	up=$(pq 'up{job="genkan"}')
	[ "$up" = 1 ] && break
	sleep 0.25
done
lab_check "Prometheus scrapes genkand: up{job=\"genkan\"} = 1 (got $up)" test "$up" = 1

QP='sum(genkan_worker_class_packets_total{class="transit"})'
QB='sum(genkan_xdp_class_bytes_total{class="transit"})'
# genkand's own figure when quiet, then Prometheus catching up to it
lab_ctl -j stats >"$LAB_DIR/s0.json"
P0=$(lab_jget "$LAB_DIR/s0.json" worker_classes.transit)
B0=$(lab_jget "$LAB_DIR/s0.json" xdp.classes.transit.bytes)
p=$(pwait "$QP" "$P0")
b=$(pwait "$QB" "$B0")
lab_check "Prometheus agrees with genkanctl stats before traffic ($p = $P0, $b = $B0)" \
	test "$p/$b" = "$P0/$B0"

lab_check "ping -c $N client -> server, all answered" lab_ping "$NS_C" $S4 "$N"
P1=$((P0 + 2 * N))
B1=$((B0 + 2 * N * 98))
p=$(pwait "$QP" "$P1")
b=$(pwait "$QB" "$B1")
lab_check "Prometheus: transit packets grew by exactly 2N = $((2 * N)) ($P0 -> $p)" test "$p" = "$P1"
lab_check "Prometheus: transit bytes grew by exactly 2N x 98 = $((2 * N * 98)) ($B0 -> $b)" test "$b" = "$B1"
sleep 2
lab_check "... and stays there over 2 more scrapes" test "$(pq "$QP")/$(pq "$QB")" = "$P1/$B1"
v=$(pq 'sum(genkan_metrics_scrapes_total)')
lab_check "genkan_metrics_scrapes_total counts Prometheus's scrapes ($v)" \
	test "${v%%.*}" -ge 3 2>/dev/null

# ---------------------------------------------------------------- bad requests
mget /nope >/dev/null
lab_check "wrong path: 404" test "$(cat "$LAB_DIR/code")" = 404
mget /metrics -X POST -d x=1 >/dev/null
lab_check "POST /metrics: 404" test "$(cat "$LAB_DIR/code")" = 404
r=$(lab_nx "$NS_G" "$GK_PY" "$CLIENT" huge 127.0.0.1 $MPORT 64)
echo "# 64 KiB of headers: $r"
lab_check "64 KiB of headers refused ($r)" eval "case '$r' in *' 200 '*|'') false;; *) true;; esac"
r=$(lab_nx "$NS_G" "$GK_PY" "$CLIENT" idle 127.0.0.1 $MPORT 20 12)
echo "# idle half-requests: $r"
lab_check "20 idle half-requests dropped within the 5 s timeout ($r)" \
	eval "[[ '$r' =~ ^closed\ 20\ of\ 20\ after\ ([0-9]+) ]] && [ \${BASH_REMATCH[1]} -le 8 ]"

lab_bg "$NS_G" "$LAB_DIR/trickle.out" "$GK_PY" "$CLIENT" trickle 127.0.0.1 $MPORT 30 8
TPID=$LAB_LAST_PID
sleep 2
t0=$(date +%s%N)
mget /metrics >/dev/null
t=$((($(date +%s%N) - t0) / 1000000))
lab_check "30 trickling clients: /metrics still answers 200 (in $t ms)" \
	test "$(cat "$LAB_DIR/code")" = 200
wait "$TPID" 2>/dev/null
echo "# trickle: $(cat "$LAB_DIR/trickle.out")"

# 64 at a time, the rest in the kernel's backlog: all gone in a few timeouts
lab_bg "$NS_G" "$LAB_DIR/flood.out" "$GK_PY" "$CLIENT" idle 127.0.0.1 $MPORT 100 25
FPID=$LAB_LAST_PID
sleep 1
lab_check "100 slow connections: genkanctl status answers" eval "lab_ctl status >/dev/null"
lab_check "100 slow connections: ping -c $N all answered" lab_ping "$NS_C" $S4 "$N"
wait "$FPID" 2>/dev/null
r=$(cat "$LAB_DIR/flood.out")
lab_check "100 slow connections all dropped within 3 x 5 s + slack ($r)" \
	eval "[[ '$r' =~ ^closed\ 100\ of\ 100\ after\ ([0-9]+) ]] && [ \${BASH_REMATCH[1]} -le 18 ]"
mget /metrics >/dev/null
lab_check "after the slow clients: /metrics answers 200" test "$(cat "$LAB_DIR/code")" = 200
lab_check "genkand still running" kill -0 "$GK_PID"
v=$(mget /metrics | awk '$1 == "genkan_metrics_not_found_total" { print $2 }')
lab_check "genkan_metrics_not_found_total counted the 2 bad requests ($v)" test "$v" = 2

lab_kill "$PROM_PID"
# stopped cleanly (the HTTP thread joined); under an ASan build, no report
clean_stop()
{
	lab_genkand_stop
	cp "$GK_LOG" "$LAB_DIR/genkand-$1.log"
	local log=$LAB_DIR/genkand-$1.log
	lab_check "genkand ($1) stopped cleanly, no sanitizer report" eval \
		"grep -q 'info: stopped' '$log' &&
		 ! grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$log'"
}
clean_stop v4
# ---------------------------------------------------------------- IPv6
MLISTEN="[::1]:$MPORT"
if lab_genkand_start 30; then
	mget /metrics >/dev/null
	lab_check "listen = [::1]:$MPORT: /metrics answers 200" test "$(cat "$LAB_DIR/code")" = 200
	sed -i "s|^listen = .*|listen = [::1]:$((MPORT + 1))|" "$GK_CONF"
	r=$(lab_ctl reload 2>&1)
	echo "# reload with another listen: $r"
	lab_check "reload refuses a changed [metrics]" eval "[[ '$r' == *'changing [metrics] needs a restart'* ]]"
	mget /metrics >/dev/null
	lab_check "... and the server still answers on [::1]:$MPORT" test "$(cat "$LAB_DIR/code")" = 200
	clean_stop v6
else
	lab_fail "genkand starts with listen = [::1]:$MPORT"
fi

lab_summary
