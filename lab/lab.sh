# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# genkan lab library: sourced by lab/demo.sh, tests/e2e/e2e_forward.sh and
# bench/veth_bench.sh. It builds three network namespaces joined by two
# multi-queue veth pairs, runs genkand in the middle one and offers helpers for
# traffic, counters and PASS/FAIL bookkeeping.
#
#   client ns                gateway ns (genkand)                    server ns
#  +---------------+        +---------------------------------+        +-----------------+
#  | gkc0          |  veth  | gkg0                       gkg1 |  veth  | gks0            |
#  | 192.0.2.2/24  |--------| 192.0.2.1/24    198.51.100.1/24 |--------| 198.51.100.2/24 |
#  | 2001:db8:1::2 |        | 2001:db8:1::1    2001:db8:2::1  |        | 2001:db8:2::2   |
#  +---------------+        +---------------------------------+        +-----------------+
#   default via .1 / ::1      ip_forward = 0 under genkan              default via .1 / ::1
#
# Environment:
#   GK_BUILD       meson build dir holding ctl/genkand/genkand and ctl/genkanctl/genkanctl
#                  (default <repo>/build)
#   LAB_RUN        unique run tag; namespaces are gk-<LAB_RUN>-{cli,gw,srv}
#                  (default: the shell's pid)
#   LAB_KEEP=1     keep the run directory (logs, config) after exit
#   LAB_VERBOSE=1  echo every namespace command
#
# Callers: source this file, call lab_init, then lab_up, and let the EXIT trap
# installed by lab_init tear everything down.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GK_BUILD=${GK_BUILD:-$LAB_ROOT/build}
GK_PY=/usr/bin/python3	# the one with scapy; the first python3 on PATH may not be

LAB_PASS=0
LAB_FAIL=0
LAB_PIDS=()
GK_PID=
LAB_CLEANED=

lab_log()
{
	printf '[lab] %s\n' "$*" >&2
}

lab_die()
{
	printf '[lab] error: %s\n' "$*" >&2
	exit 1
}

# Run a command inside a namespace with a fresh /sys (needed by anything that
# looks at /sys/class/net, e.g. scapy or genkand itself).
lab_x()
{
	local ns=$1
	shift
	[ -n "${LAB_VERBOSE:-}" ] && lab_log "[$ns] $*"
	ip netns exec "$ns" "$@"
}

# Enter only the network namespace: cheaper, keeps the host's mounts.
lab_nx()
{
	local ns=$1
	shift
	[ -n "${LAB_VERBOSE:-}" ] && lab_log "[$ns] $*"
	nsenter --net="/run/netns/$ns" "$@"
}

lab_need()
{
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			lab_die "missing tool '$t' (see scripts/deps.sh)"
	done
}

# Set names, the run directory and the cleanup traps. Call once, first.
lab_init()
{
	[ "$(id -u)" -eq 0 ] || lab_die "must run as root (network namespaces)"
	lab_need ip nsenter ethtool ping curl iperf3 ss sha256sum
	[ -x "$GK_PY" ] || lab_die "$GK_PY not found"

	LAB_RUN=${LAB_RUN:-$$}
	NS_C=gk-$LAB_RUN-cli
	NS_G=gk-$LAB_RUN-gw
	NS_S=gk-$LAB_RUN-srv
	LAB_DIR=$(mktemp -d "/tmp/gk-lab-$LAB_RUN.XXXXXX")
	# genkand accepts [A-Za-z0-9_-]{1,31} as an instance name.
	GK_INSTANCE=lab-${LAB_RUN//[^A-Za-z0-9_-]/}
	GK_INSTANCE=${GK_INSTANCE:0:31}
	GK_SOCK=/run/genkan/$GK_INSTANCE.sock
	GK_CONF=$LAB_DIR/genkan.conf
	GK_LOG=$LAB_DIR/genkand.log

	# Addresses of the drawing above.
	C4=192.0.2.2 G4L=192.0.2.1 G4W=198.51.100.1 S4=198.51.100.2
	C6=2001:db8:1::2 G6L=2001:db8:1::1 G6W=2001:db8:2::1 S6=2001:db8:2::2

	trap lab_cleanup EXIT
	trap 'lab_log "interrupted"; exit 130' INT
	trap 'lab_log "terminated"; exit 143' TERM
}

lab_sysctl()
{
	local ns=$1
	shift
	lab_nx "$ns" sysctl -q -w "$@" >/dev/null
}

# Create namespaces, veths, addresses and routes. Kernel forwarding starts off.
lab_up()
{
	local ns

	for ns in "$NS_C" "$NS_G" "$NS_S"; do
		ip netns add "$ns" || lab_die "cannot create netns $ns"
		# No DAD: addresses are usable at once, no sleeps needed.
		lab_sysctl "$ns" net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.accept_ra=0
		lab_nx "$ns" ip link set lo up
	done

	# Create each end directly in its namespace so no name ever touches the
	# host's namespace (parallel runs cannot collide).
	ip -n "$NS_G" link add gkg0 numtxqueues 2 numrxqueues 2 type veth \
		peer name gkc0 netns "$NS_C" numtxqueues 2 numrxqueues 2 ||
		lab_die "veth gkg0/gkc0"
	ip -n "$NS_G" link add gkg1 numtxqueues 2 numrxqueues 2 type veth \
		peer name gks0 netns "$NS_S" numtxqueues 2 numrxqueues 2 ||
		lab_die "veth gkg1/gks0"

	lab_peer_setup "$NS_C" gkc0
	lab_peer_setup "$NS_S" gks0
	lab_gw_port_setup gkg0
	lab_gw_port_setup gkg1

	ip -n "$NS_C" addr add $C4/24 dev gkc0
	ip -n "$NS_C" addr add $C6/64 dev gkc0 nodad
	ip -n "$NS_G" addr add $G4L/24 dev gkg0
	ip -n "$NS_G" addr add $G6L/64 dev gkg0 nodad
	ip -n "$NS_G" addr add $G4W/24 dev gkg1
	ip -n "$NS_G" addr add $G6W/64 dev gkg1 nodad
	ip -n "$NS_S" addr add $S4/24 dev gks0
	ip -n "$NS_S" addr add $S6/64 dev gks0 nodad

	ip -n "$NS_C" link set gkc0 up
	ip -n "$NS_G" link set gkg0 up
	ip -n "$NS_G" link set gkg1 up
	ip -n "$NS_S" link set gks0 up

	ip -n "$NS_C" route add default via $G4L
	ip -n "$NS_C" -6 route add default via $G6L
	ip -n "$NS_S" route add default via $G4W
	ip -n "$NS_S" -6 route add default via $G6W

	lab_forwarding off
	lab_log "topology up: $NS_C <-> $NS_G <-> $NS_S (run dir $LAB_DIR)"
}

# Outer ends (client/server). Native XDP redirected *into* a veth (devmap or
# XDP_TX towards gkc0/gks0) only works when the receiving peer runs NAPI, which
# veth enables when the peer has GRO on or an XDP program (kernel >= 5.13).
# TX offloads stay as the kernel sets them, as on any host: with checksum
# offload on, the peers send CHECKSUM_PARTIAL frames that reach XDP/AF_XDP
# with only the pseudo-header sum, and genkan's workers complete them
# (checksum = auto on veth, docs/config.md). LAB_PEER_TX=off turns TX
# checksum offload (and TSO with it) off instead, as the lab did before.
lab_peer_setup()
{
	local ns=$1 dev=$2 k="gro on"

	[ "${LAB_PEER_TX:-on}" = off ] && k="gro on tx off"
	lab_nx "$ns" ethtool -L "$dev" rx 2 tx 2 >/dev/null 2>&1 || true
	# shellcheck disable=SC2086  # $k is a list of ethtool words
	lab_nx "$ns" ethtool -K "$dev" $k >/dev/null 2>&1 ||
		lab_die "ethtool -K $dev $k failed"
}

# lab_peer_tx_csum NS DEV: true when DEV's TX checksum offload is on.
lab_peer_tx_csum()
{
	lab_nx "$1" ethtool -k "$2" 2>/dev/null | grep -q '^tx-checksumming: on'
}

# Gateway ends: two RX/TX queues so each of the two workers gets one queue.
lab_gw_port_setup()
{
	local dev=$1 rx

	lab_nx "$NS_G" ethtool -L "$dev" rx 2 tx 2 >/dev/null 2>&1 || true
	rx=$(lab_nx "$NS_G" ethtool -l "$dev" |
		awk '/Current hardware/ { cur = 1 } cur && /^RX:/ { print $2; exit }')
	[ "$rx" = 2 ] || lab_die "$dev has $rx rx queues, want 2"
}

# Kernel forwarding in the gateway namespace: on for the baseline, off for genkan.
lab_forwarding()
{
	local v=0

	[ "$1" = on ] && v=1
	lab_sysctl "$NS_G" net.ipv4.ip_forward=$v net.ipv6.conf.all.forwarding=$v
}

# Print "ip_forward=X ipv6.forwarding=Y" for the gateway.
lab_forwarding_show()
{
	printf 'ip_forward=%s ipv6.forwarding=%s\n' \
		"$(lab_nx "$NS_G" sysctl -n net.ipv4.ip_forward)" \
		"$(lab_nx "$NS_G" sysctl -n net.ipv6.conf.all.forwarding)"
}

lab_forwarding_is_off()
{
	[ "$(lab_nx "$NS_G" sysctl -n net.ipv4.ip_forward)" = 0 ] &&
		[ "$(lab_nx "$NS_G" sysctl -n net.ipv6.conf.all.forwarding)" = 0 ]
}

# Kernel forwarding counters of the gateway: "<v4 ForwDatagrams> <v6 OutForwDatagrams>".
lab_kernel_forwarded()
{
	local v4 v6

	v4=$(lab_nx "$NS_G" awk '$1 == "Ip:" && !h { for (i = 2; i <= NF; i++) n[i] = $i; h = 1; next }
		$1 == "Ip:" { for (i = 2; i <= NF; i++) if (n[i] == "ForwDatagrams") print $i }' \
		/proc/net/snmp)
	v6=$(lab_nx "$NS_G" awk '$1 == "Ip6OutForwDatagrams" { print $2 }' /proc/net/snmp6)
	echo "${v4:-NA} ${v6:-NA}"
}

# ---------------------------------------------------------------- genkand

lab_check_binaries()
{
	[ -x "$GK_BUILD/ctl/genkand/genkand" ] && [ -x "$GK_BUILD/ctl/genkanctl/genkanctl" ] ||
		lab_die "no genkand/genkanctl in $GK_BUILD/ctl (set GK_BUILD or run: meson setup build && ninja -C build)"
}

# Per-run copy of etc/lab.conf: unique instance name and control socket.
lab_write_conf()
{
	mkdir -p /run/genkan
	sed -e "s|^instance[[:space:]]*=.*|instance = $GK_INSTANCE\nsocket = $GK_SOCK|" \
		"$LAB_ROOT/etc/lab.conf" >"$GK_CONF"
	grep -q "^socket = $GK_SOCK" "$GK_CONF" || lab_die "could not rewrite $GK_CONF"
	# GK_XDP_META forces a hand-off mode (meson's e2e_forward_parse)
	if [ -n "${GK_XDP_META:-}" ]; then
		sed -i "s|^socket = $GK_SOCK\$|&\nxdp_meta = $GK_XDP_META|" "$GK_CONF"
		grep -q "^xdp_meta = $GK_XDP_META" "$GK_CONF" ||
			lab_die "could not set xdp_meta in $GK_CONF"
	fi
	# GK_CHECKSUM sets [genkan] checksum (auto, trust, complete)
	if [ -n "${GK_CHECKSUM:-}" ]; then
		sed -i "s|^socket = $GK_SOCK\$|&\nchecksum = $GK_CHECKSUM|" "$GK_CONF"
		grep -q "^checksum = $GK_CHECKSUM" "$GK_CONF" ||
			lab_die "could not set checksum in $GK_CONF"
	fi
	return 0
}

lab_ctl()
{
	lab_nx "$NS_G" "$GK_BUILD/ctl/genkanctl/genkanctl" -s "$GK_SOCK" "$@"
}

# Start genkand in the gateway namespace and wait until it answers "status".
# bpffs is mounted inside the same long-lived "ip netns exec" that runs
# genkand: each ip netns exec gets its own /sys, so a mount made by an earlier
# call would not be visible.
lab_genkand_start()
{
	local timeout=${1:-30} i

	lab_check_binaries
	lab_write_conf
	rm -f "$GK_SOCK"
	ip netns exec "$NS_G" sh -c \
		'mount -t bpf bpf /sys/fs/bpf || exit 1; exec "$0" -c "$1" -f' \
		"$GK_BUILD/ctl/genkand/genkand" "$GK_CONF" >"$GK_LOG" 2>&1 &
	GK_PID=$!
	for ((i = 0; i < timeout * 10; i++)); do
		if ! kill -0 "$GK_PID" 2>/dev/null; then
			wait "$GK_PID"
			lab_log "genkand exited early (rc $?); log:"
			tail -n 30 "$GK_LOG" >&2
			GK_PID=
			return 1
		fi
		lab_ctl status >/dev/null 2>&1 && break
		sleep 0.1
	done
	if ((i >= timeout * 10)); then
		lab_log "genkand not ready after ${timeout}s; log:"
		tail -n 30 "$GK_LOG" >&2
		return 1
	fi
	lab_log "genkand up (pid $GK_PID, socket $GK_SOCK)"
}

# lab_acct_py MODE FILE: from a `genkanctl -j stats` file, MODE snap prints
# each worker's accounting on one line (nothing without it), MODE judge
# one line per worker whose in_total != out_total, naming every term.
lab_acct_py()
{
	"$GK_PY" - "$@" <<'EOF'
import json, sys
mode, path = sys.argv[1], sys.argv[2]
try:
    ws = [(w["id"], w["accounting"]) for w in json.load(open(path))["workers"]]
    if any(a is None for i, a in ws):
        sys.exit(0)
except (OSError, ValueError, KeyError, TypeError):
    sys.exit(0)
for i, a in ws:
    terms = ", ".join("%s %s" % kv for kv in a.items())
    if mode == "snap" or a["in_total"] != a["out_total"]:
        print("worker %s: %s" % (i, terms))
EOF
}

# lab_acct_check: every packet accounted for (docs/accounting.md, #13
# item 2), as tests/e2e/lib.sh's acct_check: once two snapshots of the
# workers' accounting 0.2 s apart agree (up to ~3 s), each worker's in_total
# must equal its out_total, or lab_fail names the worker and every term
# and it returns 1. No answer or traffic that never stops is logged, not
# judged. Runs once per genkand (LAB_ACCT_DONE holds its pid).
lab_acct_check()
{
	local f a b i bad quiet=0

	[ -n "$GK_PID" ] && kill -0 "$GK_PID" 2>/dev/null || return 0
	[ "${LAB_ACCT_DONE:-}" = "$GK_PID" ] && return 0
	LAB_ACCT_DONE=$GK_PID
	f=$LAB_DIR/acct.json
	lab_ctl -j stats >"$f" 2>/dev/null
	a=$(lab_acct_py snap "$f")
	[ -n "$a" ] || { lab_log "accounting: no stats, not checked"; return 0; }
	for ((i = 0; i < 15; i++)); do
		sleep 0.2
		lab_ctl -j stats >"$f" 2>/dev/null
		b=$(lab_acct_py snap "$f")
		[ -n "$b" ] || { lab_log "accounting: no stats, not checked"; return 0; }
		[ "$a" = "$b" ] && { quiet=1; break; }
		a=$b
	done
	if [ "$quiet" = 0 ]; then
		lab_log "accounting: still moving after 3 s, not checked"
		return 0
	fi
	bad=$(lab_acct_py judge "$f")
	if [ -n "$bad" ]; then
		while read -r i; do
			lab_fail "genkand packet accounting unbalanced: $i"
		done <<<"$bad"
		return 1
	fi
	lab_pass "genkand packet accounting balanced"
	while read -r i; do
		printf '      %s\n' "$i"
	done <<<"$b"
}

# SIGTERM, then SIGKILL if it lingers; the packet accounting is checked
# first (lab_acct_check).
lab_genkand_stop()
{
	local i

	[ -n "$GK_PID" ] || return 0
	lab_acct_check
	kill -TERM "$GK_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$GK_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$GK_PID" 2>/dev/null; then
		lab_log "genkand ignored SIGTERM for 10s, killing it"
		kill -KILL "$GK_PID" 2>/dev/null
	fi
	wait "$GK_PID" 2>/dev/null
	GK_PID=
}

# Save "genkanctl -j stats" into a file.
lab_stats()
{
	lab_ctl -j stats >"$1" 2>"$1.err"
}

# lab_jget FILE PATH: value at a dotted path (totals.tx_packets), NA if absent.
lab_jget()
{
	"$GK_PY" "$LAB_ROOT/lab/jget.py" get "$@"
}

# lab_jdelta BEFORE AFTER PATH: AFTER.PATH - BEFORE.PATH, NA if absent.
lab_jdelta()
{
	"$GK_PY" "$LAB_ROOT/lab/jget.py" delta "$@"
}

# ---------------------------------------------------------------- background jobs

# lab_bg NS LOGFILE CMD...: start CMD in NS, remember its pid for cleanup.
lab_bg()
{
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	LAB_PIDS+=("$!")
	LAB_LAST_PID=$!
}

lab_kill()
{
	local pid=$1 i

	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# lab_wait_listen NS PROTO PORT [TIMEOUT]: until something listens on PORT.
lab_wait_listen()
{
	local ns=$1 proto=$2 port=$3 timeout=${4:-10} i flag=-Hltn

	[ "$proto" = udp ] && flag=-Hlun
	for ((i = 0; i < timeout * 10; i++)); do
		[ -n "$(lab_nx "$ns" ss $flag "sport = :$port")" ] && return 0
		sleep 0.1
	done
	lab_log "nothing listening on $proto/$port in $ns after ${timeout}s"
	return 1
}

lab_cleanup()
{
	local rc=$? pid ns fails=$LAB_FAIL

	[ -n "$LAB_CLEANED" ] && return
	LAB_CLEANED=1
	trap - INT TERM
	# checks a genkand's accounting if lab_summary did not: a hole fails
	lab_genkand_stop
	[ "$LAB_FAIL" -gt "$fails" ] && [ "$rc" = 0 ] && rc=1
	for pid in "${LAB_PIDS[@]}"; do
		lab_kill "$pid"
	done
	for ns in "${NS_S:-}" "${NS_G:-}" "${NS_C:-}"; do
		[ -n "$ns" ] && [ -e "/run/netns/$ns" ] || continue
		# Anything still inside was started by this run.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "${GK_SOCK:-}" ] && rm -f "$GK_SOCK"
	if [ -n "${LAB_DIR:-}" ] && [ -d "$LAB_DIR" ]; then
		if [ -n "${LAB_KEEP:-}" ]; then
			lab_log "kept $LAB_DIR"
		else
			rm -rf "$LAB_DIR"
		fi
	fi
	exit "$rc"
}

# ---------------------------------------------------------------- checks

lab_pass()
{
	LAB_PASS=$((LAB_PASS + 1))
	printf 'PASS  %s\n' "$*"
}

lab_fail()
{
	LAB_FAIL=$((LAB_FAIL + 1))
	printf 'FAIL  %s\n' "$*"
}

# lab_check DESC CMD...: PASS if CMD succeeds.
lab_check()
{
	local desc=$1
	shift
	if "$@"; then
		lab_pass "$desc"
	else
		lab_fail "$desc"
	fi
}

# lab_expect DESC VALUE OP BOUND: numeric comparison, NA fails.
lab_expect()
{
	local desc=$1 val=$2 op=$3 bound=$4

	if ! [[ "$val" =~ ^-?[0-9]+$ ]]; then
		lab_fail "$desc (value '$val' missing)"
		return 1
	fi
	if test "$val" "$op" "$bound"; then
		lab_pass "$desc ($val $op $bound)"
	else
		lab_fail "$desc ($val not $op $bound)"
		return 1
	fi
}

# Prints "N passed, M failed"; returns non-zero when anything failed. A
# genkand still running has its packet accounting checked first.
lab_summary()
{
	lab_acct_check
	echo "$LAB_PASS passed, $LAB_FAIL failed"
	[ "$LAB_FAIL" -eq 0 ]
}

# ---------------------------------------------------------------- traffic

# lab_ping NS DST COUNT [ARGS]: true when every echo was answered.
# Prints ping's summary lines.
lab_ping()
{
	local ns=$1 dst=$2 count=$3 out
	shift 3

	out=$(lab_nx "$ns" ping -n -q -c "$count" -i 0.01 -W 2 "$@" "$dst" 2>&1)
	printf '%s\n' "$out" | grep -E 'transmitted|rtt' | sed 's/^/      /'
	printf '%s\n' "$out" | grep -q " $count received,"
}

# Warm neighbor caches on every hop so counted traffic is not lost to
# resolution (a first packet may legitimately be dropped while ARP/ND runs).
lab_warmup()
{
	local i

	for i in 1 2 3; do
		lab_nx "$NS_C" ping -n -q -c 1 -W 1 $S4 >/dev/null 2>&1 &&
			lab_nx "$NS_C" ping -n -q -c 1 -W 1 $S6 >/dev/null 2>&1 &&
			lab_nx "$NS_S" ping -n -q -c 1 -W 1 $C4 >/dev/null 2>&1 &&
			lab_nx "$NS_S" ping -n -q -c 1 -W 1 $C6 >/dev/null 2>&1 &&
			return 0
	done
	return 1
}

# HTTP server over a random blob of SIZE_MB in the server namespace.
# Sets LAB_BLOB (path) and LAB_BLOB_SHA.
lab_http_start()
{
	local mb=${1:-20} port=${2:-8080}

	mkdir -p "$LAB_DIR/www"
	LAB_BLOB=$LAB_DIR/www/blob.bin
	head -c "$((mb * 1024 * 1024))" /dev/urandom >"$LAB_BLOB"
	LAB_BLOB_SHA=$(sha256sum "$LAB_BLOB" | cut -d' ' -f1)
	LAB_HTTP_PORT=$port
	# "::" makes http.server dual-stack (it clears IPV6_V6ONLY).
	lab_bg "$NS_S" "$LAB_DIR/http.log" "$GK_PY" -m http.server \
		--bind :: --directory "$LAB_DIR/www" "$port"
	lab_wait_listen "$NS_S" tcp "$port" 15
}

# lab_http_get HOST OUT: download the blob from the client namespace.
# Prints "<bytes> <bytes/s>"; fails on an HTTP or transport error.
lab_http_get()
{
	local host=$1 out=$2

	lab_nx "$NS_C" curl -g -s -S -f --connect-timeout 5 --max-time 60 -o "$out" \
		-w '%{size_download} %{speed_download}\n' \
		"http://$host:$LAB_HTTP_PORT/blob.bin"
}

lab_sha_ok()
{
	[ "$(sha256sum "$1" | cut -d' ' -f1)" = "$LAB_BLOB_SHA" ]
}

# lab_iperf_tcp DST SECONDS OUTJSON [ARGS]: one iperf3 TCP run client -> server.
lab_iperf_tcp()
{
	local dst=$1 secs=$2 out=$3 pid
	shift 3

	lab_bg "$NS_S" "$LAB_DIR/iperf3-server.log" iperf3 -s -1 -p 5201
	pid=$LAB_LAST_PID
	lab_wait_listen "$NS_S" tcp 5201 10 || return 1
	lab_nx "$NS_C" iperf3 -c "$dst" -p 5201 -t "$secs" -J "$@" >"$out" 2>&1
	local rc=$?
	lab_kill "$pid"
	return $rc
}

# Mbit/s received by the server in an iperf3 -J file.
lab_iperf_mbps()
{
	"$GK_PY" "$LAB_ROOT/lab/jget.py" mbps "$1"
}

# lab_udp_count DST PORT COUNT RESULTFILE [SIZE]: send exactly COUNT
# datagrams from the client to the server; RESULTFILE gets the number of
# distinct datagrams the server received.
lab_udp_count()
{
	local dst=$1 port=$2 count=$3 res=$4 size=${5:-200} pid rc

	lab_bg "$NS_S" "$LAB_DIR/udp-sink.log" "$GK_PY" "$LAB_ROOT/lab/udp.py" \
		sink --port "$port" --count "$count" --out "$res"
	pid=$LAB_LAST_PID
	lab_wait_listen "$NS_S" udp "$port" 10 || return 1
	lab_nx "$NS_C" "$GK_PY" "$LAB_ROOT/lab/udp.py" source --dst "$dst" \
		--port "$port" --count "$count" --size "$size"
	rc=$?
	# The sink stops by itself once it has COUNT datagrams or the line has
	# been quiet for a while; wait for it rather than for a fixed delay.
	wait "$pid" 2>/dev/null
	return $rc
}
