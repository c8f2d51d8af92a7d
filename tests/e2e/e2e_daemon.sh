#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# genkand lifecycle end to end: config check, startup, ctl socket, live route
# following, reload under traffic, refused reloads, two instances side by
# side, crash leftovers, a duplicate daemon, clean shutdown.
#
# Two identical sites, each in its own three namespaces (i = 1, 2):
#
#   gk7-<pid>-c<i>            gk7-<pid>-g<i>: genkand "gk7-<pid>-<i>"      gk7-<pid>-s<i>
#  +------------------+      +----------------------------------------+      +-------------------+
#  | cl0              | veth | gw-lan (port lan)    gw-wan (port wan) | veth | sv0               |
#  | 192.0.2.2/24     |------| 192.0.2.1/24         198.51.100.1/24   |------| 198.51.100.2/24   |
#  | 2001:db8:1::2/64 |      | 2001:db8:1::1/64     2001:db8:2::1/64  |      | 2001:db8:2::2/64  |
#  +------------------+      +----------------------------------------+      +-------------------+
#   default via .1 / ::1       ip_forward = 0, 2 workers, 2 rx queues          default via .1 / ::1
#                              bpffs: <rundir>/bpf<i> (host-visible pins)
#                              ctl:   /run/genkan/gk7-<pid>-<i>.sock
#
# Checks (each prints PASS/FAIL; the run ends with "N passed, M failed"):
#   1 --check accepts a good file, rejects a bad one naming the lines
#   2 startup, socket mode, status JSON (instance, 2 ports, 2 workers),
#     capabilities of every thread, a port with a foreign XDP program
#     refused (docs/security.md)
#   3 genkanctl on a wrong socket: exit 3 and a clear reason
#   4 routes (connected, live add/delete, FIB generation), neighbors
#   5 forwarding; SIGHUP and `genkanctl reload` during a UDP flow, no loss
#   6 broken / layout-changing reloads are refused, old config keeps going
#     (40 bad lines too: more errors than the reply holds)
#   7 a second instance in its own gateway namespace, each -s reaches its own
#   8 kill -9: XDP detached, stale socket replaced by a fresh start
#   9 a duplicate genkand on the same socket fails and disturbs nothing
#  10 SIGTERM: exit 0, XDP detached, socket and pin dir removed
#
# Environment: GK_BUILD (meson build root, holds ctl/genkand/genkand
# and ctl/genkanctl/genkanctl), E2E_KEEP=1 keeps the run directory with the logs.
# Needs root, iproute2, ethtool, nsenter, ping, jq and /usr/bin/python3.

set -u

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
PY=/usr/bin/python3
TAG=gk7-$$

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_init ip ethtool nsenter ping jq stat "$PY"

# Sites are numbered (1, 2), each with three namespaces: these replace
# lib.sh's per-name nx, ctl, conf and gklog; sock I is lib.sh's.
ns_c() { echo "$TAG-c$1"; }
ns_g() { echo "$TAG-g$1"; }
ns_s() { echo "$TAG-s$1"; }
inst() { echo "$TAG-$1"; }
conf() { echo "$RUN/gw$1.conf"; }
pindir() { echo "$RUN/bpf$1/genkan/$TAG-$1"; }
gklog() { echo "$RUN/genkand$1.log"; }

nx() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }

# ctl I ARGS...: genkanctl of site I, run inside its gateway namespace.
ctl() { local i=$1; shift; nx "$(ns_g "$i")" "$GKCTL" -s "$(sock "$i")" "$@"; }

# jstatus I FILTER: one jq value from `genkanctl -j status`.
jstatus()
{
	ctl "$1" -j status 2>/dev/null | jq -r "$2" 2>/dev/null
}

cleanup()
{
	local i k

	trap - EXIT INT TERM
	for i in "${!GKPID[@]}"; do
		[ -n "${GKPID[$i]}" ] && stop_pid "${GKPID[$i]}" TERM
	done
	for k in "${HELPERS[@]}"; do
		kill "$k" 2>/dev/null
	done
	wait 2>/dev/null
	for i in 1 2; do
		for ns in "$(ns_c $i)" "$(ns_g $i)" "$(ns_s $i)"; do
			ip netns del "$ns" 2>/dev/null
		done
		rm -f "$(sock $i)"
		# Pins left by a failure would keep the bpffs busy: unmount lazily.
		umount -l "$RUN/bpf$i" 2>/dev/null
	done
	if [ -n "${E2E_KEEP:-}" ] || [ "$NFAIL" -gt 0 ]; then
		for i in 1 2; do
			[ -s "$(gklog $i)" ] || continue
			echo "# ---- genkand $i log (last 20 lines) ----"
			tail -n 20 "$(gklog $i)" | sed 's/^/# /'
		done
	fi
	if [ -n "${E2E_KEEP:-}" ]; then
		echo "# run directory kept: $RUN"
	else
		rm -rf "$RUN"
	fi
}
traps

# ------------------------------------------------------------------ topology

site_up()
{
	local i=$1 c g s ns

	c=$(ns_c "$i") g=$(ns_g "$i") s=$(ns_s "$i")
	for ns in "$c" "$g" "$s"; do
		ip netns add "$ns" || return 1
		nx "$ns" sysctl -q -w net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.accept_ra=0 >/dev/null
		ip -n "$ns" link set lo up
	done
	ip -n "$g" link add gw-lan numrxqueues 2 numtxqueues 2 type veth \
		peer name cl0 netns "$c" numrxqueues 2 numtxqueues 2 || return 1
	ip -n "$g" link add gw-wan numrxqueues 2 numtxqueues 2 type veth \
		peer name sv0 netns "$s" numrxqueues 2 numtxqueues 2 || return 1
	# Peers: full checksums on the wire (genkan forwards raw frames) and
	# GRO on so veth runs NAPI for frames redirected towards them.
	nx "$c" ethtool -K cl0 tx off gro on >/dev/null 2>&1 || return 1
	nx "$s" ethtool -K sv0 tx off gro on >/dev/null 2>&1 || return 1

	ip -n "$c" addr add 192.0.2.2/24 dev cl0
	ip -n "$c" addr add 2001:db8:1::2/64 dev cl0 nodad
	ip -n "$g" addr add 192.0.2.1/24 dev gw-lan
	ip -n "$g" addr add 2001:db8:1::1/64 dev gw-lan nodad
	ip -n "$g" addr add 198.51.100.1/24 dev gw-wan
	ip -n "$g" addr add 2001:db8:2::1/64 dev gw-wan nodad
	ip -n "$s" addr add 198.51.100.2/24 dev sv0
	ip -n "$s" addr add 2001:db8:2::2/64 dev sv0 nodad
	ip -n "$c" link set cl0 up
	ip -n "$g" link set gw-lan up
	ip -n "$g" link set gw-wan up
	ip -n "$s" link set sv0 up
	ip -n "$c" route add default via 192.0.2.1 || return 1
	ip -n "$c" -6 route add default via 2001:db8:1::1 || return 1
	ip -n "$s" route add default via 198.51.100.1 || return 1
	ip -n "$s" -6 route add default via 2001:db8:2::1 || return 1
	# genkan's workers forward, never the gateway's kernel.
	nx "$g" sysctl -q -w net.ipv4.ip_forward=0 \
		net.ipv6.conf.all.forwarding=0 >/dev/null || return 1

	# A bpffs in the host's mount namespace: `ip netns exec` inherits it,
	# so the pins genkand makes stay visible here after it is gone.
	mkdir -p "$RUN/bpf$i"
	mount -t bpf bpf "$RUN/bpf$i" || return 1
}

# write_conf I [EXTRA_GENKAN_LINES]: the good config of site I.
write_conf()
{
	local i=$1 extra=${2:-}

	mkdir -p /run/genkan
	cat >"$(conf "$i").tmp" <<EOF
# genkan e2e_daemon site $i
[genkan]
instance = $(inst "$i")
socket = $(sock "$i")
bpffs = $RUN/bpf$i
workers = 2
$extra
[port lan]
interface = gw-lan

[port wan]
interface = gw-wan
EOF
	# Atomic: a SIGHUP must never read a half-written file.
	mv "$(conf "$i").tmp" "$(conf "$i")"
}

# gk_start I: run genkand for site I in its gateway namespace (background).
gk_start()
{
	local i=$1

	ip netns exec "$(ns_g "$i")" "$GKD" -c "$(conf "$i")" -f \
		>>"$(gklog "$i")" 2>&1 &
	GKPID[$i]=$!
}

# gk_wait_ready I TIMEOUT_S: until `genkanctl status` answers.
gk_wait_ready()
{
	local i=$1 t=$2 k

	for ((k = 0; k < t * 10; k++)); do
		kill -0 "${GKPID[$i]}" 2>/dev/null || return 1
		ctl "$i" status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# gk_wait_exit I TIMEOUT_S: wait for genkand I to exit; its exit status
# goes to GK_RC ("timeout" if it is still running). Not in a subshell: only
# this shell can wait for its child.
gk_wait_exit()
{
	local i=$1 t=$2 k

	for ((k = 0; k < t * 10; k++)); do
		kill -0 "${GKPID[$i]}" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "${GKPID[$i]}" 2>/dev/null; then
		GK_RC=timeout
		return 1
	fi
	# Braces: also silence bash's own "Killed" job notice.
	{ wait "${GKPID[$i]}"; } 2>/dev/null
	GK_RC=$?
	GKPID[$i]=
}

# xdp_on NS DEV: an XDP program is attached to DEV.
xdp_on() { ip -n "$1" -d link show dev "$2" | grep -q 'prog/xdp'; }

has_pins() { [ -n "$(ls -A "$(pindir "$1")" 2>/dev/null)" ]; }
reload_ok() { ctl "$1" reload >/dev/null; }

# xdp_off_within NS TIMEOUT_S DEV...: none of DEVs has XDP (link release may
# trail the process exit a little, so give it a bounded moment).
xdp_off_within()
{
	local ns=$1 t=$2 k d on
	shift 2

	for ((k = 0; k < t * 10; k++)); do
		on=0
		for d in "$@"; do
			xdp_on "$ns" "$d" && on=1
		done
		[ $on = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# First contact with a neighbor: genkan drops until the kernel has resolved
# it (ARP/ND, asked for by genkan), so those checks retry (wait_for).
ping4() { nx "$(ns_c "$1")" ping -n -q -c "${2:-3}" -i 0.2 -W 2 198.51.100.2 >/dev/null 2>&1; }
ping6() { nx "$(ns_c "$1")" ping -n -6 -q -c "${2:-3}" -i 0.2 -W 2 2001:db8:2::2 >/dev/null 2>&1; }

# ------------------------------------------------------------------ UDP flow

# Sender: paced datagrams carrying a sequence number until the stop file
# appears, then the total goes to a file. Receiver: counts distinct sequence
# numbers; when the total is known it waits (bounded) for the stragglers.
cat >"$RUN/udp_send.py" <<'EOF'
import os, socket, struct, sys, time
dst, port, rate, stop, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
n, t0 = 0, time.monotonic()
while not os.path.exists(stop):
    s.sendto(struct.pack("!I", n) + b"genkan-e2e-daemon" * 8, (dst, port))
    n += 1
    delay = t0 + n / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
with open(out + ".tmp", "w") as f:
    f.write("%d\n" % n)
os.rename(out + ".tmp", out)
EOF
cat >"$RUN/udp_recv.py" <<'EOF'
import os, socket, struct, sys, time
port, ready, flowing, total_f, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind(("0.0.0.0", port))
s.settimeout(0.2)
open(ready, "w").close()
seen, total, deadline, hard = set(), None, None, time.monotonic() + 120
while time.monotonic() < hard:
    if total is None and os.path.exists(total_f):
        total = int(open(total_f).read())
        deadline = time.monotonic() + 10
    if total is not None and (len(seen) >= total or time.monotonic() > deadline):
        break
    try:
        b = s.recv(2048)
    except socket.timeout:
        continue
    if len(b) >= 4:
        seen.add(struct.unpack("!I", b[:4])[0])
        if len(seen) == 20:
            open(flowing, "w").close()
with open(out, "w") as f:
    f.write("%d\n" % len([x for x in seen if total is None or x < total]))
EOF

# ==================================================================== tests

log "run directory $RUN, build $GK_BUILD"
for i in 1 2; do
	if ! site_up "$i"; then
		fail "topology for site $i comes up"
		summary
		exit 1
	fi
	write_conf "$i"
done

# ---------------------------------------------------------------- 1. --check
log "1. genkand --check"
out=$("$GKD" -c "$(conf 1)" --check 2>&1)
rc=$?
expect "--check on a good file exits 0" "$rc" -eq 0
BAD=$RUN/bad.conf
cat >"$BAD" <<'EOF'
[genkan]
instance = bad
workers = 99
bogus_key = 1
[port lan]
interface = gw-lan
this line has no equals sign
EOF
out=$("$GKD" -c "$BAD" --check 2>&1)
rc=$?
expect "--check on a bad file exits non-zero" "$rc" -ne 0
for ln in 3 4 7; do
	if grep -q "bad.conf:$ln:" <<<"$out"; then
		pass "--check names the offending line $ln"
	else
		fail "--check names the offending line $ln (output: $out)"
	fi
done
if grep -q "bad.conf:[1256]:" <<<"$out"; then
	fail "--check blames no good line (output: $out)"
else
	pass "--check blames no good line"
fi

# ---------------------------------------------------------------- 2. startup
log "2. startup"
G1=$(ns_g 1)
# Without CAP_SYS_ADMIN genkand cannot open another XDP program by id to
# see whose it is: a port carrying one is refused, named, and left alone.
printf '%s\n' '__attribute__((section("xdp"), used)) int pass(void *c) { return 2; }' \
	'char _l[] __attribute__((section("license"), used)) = "GPL";' > "$RUN/pass.c"
if clang -O2 -target bpf -c "$RUN/pass.c" -o "$RUN/pass.o" &&
	ip -n "$G1" link set dev gw-wan xdpgeneric obj "$RUN/pass.o" sec xdp; then
	out=$(timeout 30 ip netns exec "$G1" "$GKD" -c "$(conf 1)" -f 2>&1)
	rc=$?
	expect "genkand refuses a port with another XDP program (exit $rc)" "$rc" = 1
	if grep -q "gw-wan already carries XDP program id [0-9]*, which genkand (without CAP_SYS_ADMIN) cannot inspect; refusing to replace it (detach it: ip link set dev gw-wan xdp off)" <<<"$out"; then
		pass "it names the interface and how to detach the program"
	else
		fail "it names the interface and how to detach the program (got: $(tail -3 <<<"$out"))"
	fi
	expect "the other program stays on gw-wan" \
		"$(ip -n "$G1" -j -d link show dev gw-wan | jq -r '.[0].xdp.prog.name // empty')" = pass
	ip -n "$G1" link set dev gw-wan xdpgeneric off
else
	fail "test setup: a foreign XDP program on gw-wan"
fi
gk_start 1
if gk_wait_ready 1 30; then
	pass "genkanctl status answers within 30 s"
else
	fail "genkanctl status answers within 30 s"
	summary
	exit 1
fi
S1=$(sock 1)
expect "ctl socket is a socket" "$(stat -c %F "$S1")" = socket
mode=$(stat -c %a "$S1")
expect "ctl socket is not world-writable (mode $mode)" $((8#$mode & 8#002)) -eq 0
expect "ctl socket has no permissions for others (mode $mode)" $((8#$mode & 8#007)) -eq 0
expect "status: instance" "$(jstatus 1 .instance)" = "$(inst 1)"
expect "status: pid is genkand's" "$(jstatus 1 .pid)" = "${GKPID[1]}"
expect "status: 2 ports" "$(jstatus 1 '.ports | length')" -eq 2
expect "status: ports are lan,wan on gw-lan,gw-wan" \
	"$(jstatus 1 '[.ports[] | .name + "@" + .ifname] | join(",")')" = \
	"lan@gw-lan,wan@gw-wan"
expect "status: 2 workers total" "$(jstatus 1 .workers.total)" -eq 2
# The heartbeat may lag the socket by a tick: wait (bounded) for both.
nr_running() { ctl 1 -j workers 2>/dev/null | jq '[.workers[] | select(.state == "running")] | length'; }
two_running() { [ "$(nr_running)" = 2 ]; }
wait_for 10 two_running
expect "workers: 2 running" "$(nr_running)" -eq 2
expect "status: 2 workers running, 0 stalled" \
	"$(jstatus 1 '"\(.workers.running)/\(.workers.stalled)"')" = "2/0"
check "XDP attached to gw-lan" xdp_on "$G1" gw-lan
check "XDP attached to gw-wan" xdp_on "$G1" gw-wan
expect "status: pin dir" "$(jstatus 1 .bpffs_pin_dir)" = "$(pindir 1)"
check "pin dir exists and holds pins" has_pins 1
# Least privilege (docs/security.md): every thread of genkand (workers,
# liburcu's, metrics') holds exactly these, read from the kernel's view.
cap_mask() {
	local m=0 c n
	for c in CAP_NET_ADMIN CAP_NET_RAW CAP_BPF CAP_PERFMON CAP_IPC_LOCK; do
		n=$(awk -v c="$c" '$1 == "#define" && $2 == c { print $3 }' /usr/include/linux/capability.h)
		m=$((m | (1 << n)))
	done
	printf '%016x' "$m"
}
CAPS=$(cap_mask)
caps_bad=""
nthr=0
for st in /proc/"${GKPID[1]}"/task/*/status; do
	nthr=$((nthr + 1))
	got=$(awk '/^Cap(Eff|Prm|Bnd|Inh|Amb):|^NoNewPrivs:/ { printf "%s%s ", $1, $2 }' "$st")
	[ "$got" = "CapInh:0000000000000000 CapPrm:$CAPS CapEff:$CAPS CapBnd:$CAPS CapAmb:0000000000000000 NoNewPrivs:1 " ] ||
		caps_bad+="$(basename "$(dirname "$st")"): $got; "
done
expect "all $nthr threads keep only net_admin,net_raw,bpf,perfmon,ipc_lock ($CAPS), no_new_privs" "$caps_bad" = ""
expect "genkand is still uid 0" "$(awk '/^Uid:/ { print $2 }' /proc/"${GKPID[1]}"/status)" = 0

# ---------------------------------------------------------------- 3. wrong socket
log "3. genkanctl on a wrong socket"
out=$(nx "$G1" "$GKCTL" -s "/run/genkan/$TAG-nosuch.sock" status 2>&1)
rc=$?
expect "wrong socket: exit 3" "$rc" -eq 3
if grep -qi "not running" <<<"$out" && grep -q "$TAG-nosuch.sock" <<<"$out"; then
	pass "wrong socket: message names the path and says not running"
else
	fail "wrong socket: clear message (got: $out)"
fi

# ---------------------------------------------------------------- 4. routes, neighbors
log "4. routes and neighbors"
ROUTES='.routes[] | "\(.dst)|\(.gateway)|\(.port)"'
r=$(ctl 1 -j routes | jq -r "$ROUTES")
for want in "192.0.2.0/24|null|lan" "198.51.100.0/24|null|wan" \
	"2001:db8:1::/64|null|lan" "2001:db8:2::/64|null|wan"; do
	if grep -qxF "$want" <<<"$r"; then
		pass "routes: connected $want"
	else
		fail "routes: connected $want (have: ${r//$'\n'/ })"
	fi
done
# The control tick slows to heartbeat_ms (100) after half a second with
# nothing to do, and an event makes it fast (10 ms) at once: `status`
# reports the tick it found (docs/architecture.md, genkand's control tick).
tick_slow() { sleep 1; [ "$(jstatus 1 .control.tick_ms)" = 100 ]; }
check "control tick: 100 ms after a quiet second" wait_for 30 tick_slow
# 1.2 s after a request: 50 fast ticks, then about 7 slow ones, not 120
TICKS=
few_ticks() {
	local t0 t1
	t0=$(jstatus 1 .control.ticks)
	sleep 1.2
	t1=$(jstatus 1 .control.ticks)
	TICKS="$t0 -> $t1"
	[ $((t1 - t0)) -gt 0 ] && [ $((t1 - t0)) -lt 80 ]
}
check "control tick: a quiet 1.2 s runs between 1 and 79 ticks" wait_for 5 few_ticks
log "control ticks: $TICKS"
gen0=$(ctl 1 -j routes | jq -r .fib_generation)
sleep 1.2
ip -n "$G1" route add 203.0.113.0/24 via 198.51.100.2
expect "control tick: 10 ms right after the kernel's route change" \
	"$(jstatus 1 .control.tick_ms)" = 10
route_present() { ctl 1 -j routes | jq -r "$ROUTES" | grep -qxF "203.0.113.0/24|198.51.100.2|wan"; }
route_gone() { ! ctl 1 -j routes | jq -r "$ROUTES" | grep -q "^203\.0\.113\.0/24|"; }
check "routes: added 203.0.113.0/24 via 198.51.100.2 shows up (port wan)" wait_for 10 route_present
gen1=$(ctl 1 -j routes | jq -r .fib_generation)
expect "routes: FIB generation grew after the add" "$gen1" -gt "$gen0"
ip -n "$G1" route del 203.0.113.0/24 via 198.51.100.2
check "routes: deleted route disappears" wait_for 10 route_gone
gen2=$(ctl 1 -j routes | jq -r .fib_generation)
expect "routes: FIB generation grew after the delete" "$gen2" -gt "$gen1"

check "ping client -> server IPv4" wait_for 10 ping4 1 3
# A packet to a neighbour the kernel forgot, with genkand idle: the
# worker's request wakes it rather than waiting for a slow tick. (The
# client's ARP entry for its gateway is fresh: no ARP, no netlink event
# wakes genkand first.)
ip -n "$G1" neigh flush dev gw-wan
check "control tick: slow again after the neighbour flush" wait_for 30 tick_slow
wakes0=$(jstatus 1 .control.neigh_wakes)
sleep 1.2
check "ping client -> server IPv4, the server's MAC flushed" wait_for 10 ping4 1 3
wakes1=$(jstatus 1 .control.neigh_wakes)
expect "control tick: a worker's neighbour request woke the idle genkand ($wakes0 -> $wakes1)" \
	$((wakes1 - wakes0)) -ge 1
expect "control tick: no failed wake-up" "$(jstatus 1 .control.neigh_wake_errors)" = 0
check "ping client -> server IPv6" wait_for 10 ping6 1 3
CMAC=$(ip -n "$(ns_c 1)" -j link show dev cl0 | jq -r '.[0].address')
SMAC=$(ip -n "$(ns_s 1)" -j link show dev sv0 | jq -r '.[0].address')
NEIGH='.neighbors[] | "\(.addr)|\(.lladdr)|\(.dev)"'
neigh_has() { ctl 1 -j neighbors | jq -r "$NEIGH" | grep -qxF "$1"; }
check "neighbors: 192.0.2.2 at the client's MAC on gw-lan" \
	wait_for 10 neigh_has "192.0.2.2|$CMAC|gw-lan"
check "neighbors: 198.51.100.2 at the server's MAC on gw-wan" \
	wait_for 10 neigh_has "198.51.100.2|$SMAC|gw-wan"
check "neighbors: 2001:db8:2::2 at the server's MAC on gw-wan" \
	wait_for 10 neigh_has "2001:db8:2::2|$SMAC|gw-wan"
# Kernel AF_XDP counters: each port's 2 sockets (one per worker) answer
# XDP_STATISTICS, and genkan never handed the kernel a bad descriptor.
XSK=$(ctl 1 -j stats | jq -r '.port_xsk[] | "\(.name):\(.sockets):\(.rx_invalid_descs + .tx_invalid_descs)"' | tr '\n' ' ')
expect "stats: port_xsk has lan and wan, 2 sockets each, no invalid descs" \
	"$XSK" = "lan:2:0 wan:2:0 "
expect "stats: plain output shows the kernel socket counters" \
	"$(ctl 1 stats | grep -c '^port sockets (kernel AF_XDP counters):$')" -eq 1

# ---------------------------------------------------------------- 5. reload under traffic
log "5. reloads during a UDP flow"
st0=$(ctl 1 -j stats | jq -r .totals.tx_packets)
rl0=$(jstatus 1 .reloads)
fg0=$(jstatus 1 .fib.generation)
F=$RUN/udp
rm -f "$F".*
# nsenter itself, not the nx function: $! must be the python process.
nsenter --net="/run/netns/$(ns_s 1)" "$PY" "$RUN/udp_recv.py" 9999 "$F.ready" "$F.flowing" "$F.total" \
	"$F.count" >"$F.recv.log" 2>&1 &
RECV=$!
HELPERS+=("$RECV")
check "UDP receiver ready" wait_for 20 test -e "$F.ready"
nsenter --net="/run/netns/$(ns_c 1)" "$PY" "$RUN/udp_send.py" 198.51.100.2 9999 100 "$F.stop" \
	"$F.total" >"$F.send.log" 2>&1 &
SEND=$!
HELPERS+=("$SEND")
check "UDP flow reaches the server" wait_for 20 test -e "$F.flowing"
reloads_are() { [ "$(jstatus 1 .reloads)" = "$1" ]; }
want=$rl0
ok_ctl=0
changes=
for k in 1 2 3 4 5 6; do
	want=$((want + 1))
	if ((k % 2)); then
		kill -HUP "${GKPID[1]}"
	else
		# Reload 4 also carries a real change to see it reported.
		[ $k = 4 ] && write_conf 1 "heartbeat_ms = 50"
		if out=$(ctl 1 -j reload 2>&1); then
			ok_ctl=$((ok_ctl + 1))
			[ $k = 4 ] && changes=$(jq -r '.changes[]' <<<"$out")
		else
			echo "# genkanctl reload failed: $out"
		fi
	fi
	# One at a time: SIGHUPs sent back to back may merge into one.
	wait_for 10 reloads_are "$want" || echo "# reload $k not seen"
	sleep 0.2
done
expect "genkanctl reload succeeded every time" "$ok_ctl" -eq 3
if grep -qF "heartbeat_ms 100 -> 50" <<<"$changes"; then
	pass "reload reports the change 'heartbeat_ms 100 -> 50'"
else
	fail "reload reports the change 'heartbeat_ms 100 -> 50' (got: $changes)"
fi
# Let the flow run a little past the last reload before stopping it.
sleep 0.5
touch "$F.stop"
wait "$SEND"
wait "$RECV"
sent=$(cat "$F.total" 2>/dev/null || echo NA)
got=$(cat "$F.count" 2>/dev/null || echo NA)
expect "status reloads grew by 6 (3 SIGHUP + 3 genkanctl)" "$(jstatus 1 .reloads)" -eq $((rl0 + 6))
expect "FIB generation grew by >= 6" "$(jstatus 1 .fib.generation)" -ge $((fg0 + 6))
expect "no last_reload_error after good reloads" "$(jstatus 1 .last_reload_error)" = null
expect "UDP flow long enough to span the reloads" "$sent" -ge 100
expect "UDP: no datagram lost across reloads (sent $sent)" "$got" -eq "$sent"
st1=$(ctl 1 -j stats | jq -r .totals.tx_packets)
expect "the flow went through genkan's workers (worker tx grew >= sent)" \
	$((st1 - st0)) -ge "${sent//NA/1000000}"

# ---------------------------------------------------------------- 6. refused reloads
log "6. refused reloads"
write_conf 1
ctl 1 reload >/dev/null 2>&1
rl1=$(jstatus 1 .reloads)
# Line 4 becomes a syntax error.
write_conf 1
sed -i '4s/.*/socket \/run\/genkan\/oops.sock/' "$(conf 1)"
out=$(ctl 1 reload 2>&1)
rc=$?
expect "reload of a broken file: genkanctl exits 1" "$rc" -eq 1
if grep -q "gw1.conf:4:" <<<"$out"; then
	pass "reload of a broken file: error names line 4"
else
	fail "reload of a broken file: error names line 4 (got: $out)"
fi
le=$(jstatus 1 .last_reload_error)
if grep -q "gw1.conf:4:" <<<"$le"; then
	pass "status last_reload_error names line 4"
else
	fail "status last_reload_error names line 4 (got: $le)"
fi
expect "refused reload does not count" "$(jstatus 1 .reloads)" -eq "$rl1"
write_conf 1
check "good reload clears the error" reload_ok 1
expect "last_reload_error cleared" "$(jstatus 1 .last_reload_error)" = null
rl2=$(jstatus 1 .reloads)

# 40 bad lines (#13 bug 1): more errors than the reload's error buffer
# holds; the cut list was sorted by reading past its end (an ASan genkand
# aborted). Whole lines in line order, then "... and N more errors".
write_conf 1
for i in $(seq 1 40); do echo "workers = x$i"; done |
	sed -i '/^\[genkan\]$/r /dev/stdin' "$(conf 1)"
grep -c '^workers = x' "$(conf 1)" | grep -qx 40 || fail "test setup: 40 bad lines"
out=$(ctl 1 reload 2>&1)
rc=$?
expect "reload of 40 bad lines: genkanctl exits 1" "$rc" -eq 1
check "genkand still running after 40 bad lines" kill -0 "${GKPID[1]}"
le=$(jstatus 1 .last_reload_error)
if grep -q "gw1.conf:[0-9]*: .*workers" <<<"$le" &&
   grep -Eq '\.\.\. and [0-9]+ more errors' <<<"$le"; then
	pass "40 bad lines: errors named by line, then '... and N more errors'"
else
	fail "40 bad lines: errors named by line, then '... and N more errors' (got: $le)"
fi
expect "40 bad lines: refused reload does not count" "$(jstatus 1 .reloads)" -eq "$rl2"
write_conf 1

sed -i 's/^workers = 2$/workers = 1/' "$(conf 1)"
grep -q '^workers = 1$' "$(conf 1)" || fail "test setup: workers line rewritten"
kill -HUP "${GKPID[1]}"
le_has_workers() { jstatus 1 .last_reload_error | grep -q workers; }
check "SIGHUP with workers changed: last_reload_error mentions workers" \
	wait_for 10 le_has_workers
out=$(ctl 1 reload 2>&1)
rc=$?
expect "genkanctl reload with workers changed exits 1" "$rc" -eq 1
if grep -q "workers" <<<"$out" && grep -q "restart" <<<"$out"; then
	pass "refusal says workers needs a restart"
else
	fail "refusal says workers needs a restart (got: $out)"
fi
check "genkand still running after refused reloads" kill -0 "${GKPID[1]}"
expect "refused reloads do not count" "$(jstatus 1 .reloads)" -eq "$rl2"
expect "old config still in force: 2 workers" "$(jstatus 1 .workers.total)" -eq 2
check "still forwarding IPv4 with the old config" ping4 1 3
check "still forwarding IPv6 with the old config" ping6 1 3
write_conf 1
check "reload back to the good config" reload_ok 1

# ---------------------------------------------------------------- 7. two instances
log "7. a second instance"
G2=$(ns_g 2)
gk_start 2
if gk_wait_ready 2 30; then
	pass "second instance answers status"
else
	fail "second instance answers status"
fi
expect "-s socket 1 reaches instance 1" "$(jstatus 1 .instance)/$(jstatus 1 .pid)" = \
	"$(inst 1)/${GKPID[1]}"
expect "-s socket 2 reaches instance 2" "$(jstatus 2 .instance)/$(jstatus 2 .pid)" = \
	"$(inst 2)/${GKPID[2]}"
expect "instance 2 has its own pin dir" "$(jstatus 2 .bpffs_pin_dir)" = "$(pindir 2)"
check "site 2 forwards IPv4" wait_for 10 ping4 2 3
check "site 2 forwards IPv6" wait_for 10 ping6 2 3
check "site 1 still forwards IPv4" ping4 1 3
ip -n "$G2" route add 203.0.113.0/24 via 198.51.100.2
r2() { ctl 2 -j routes | jq -r "$ROUTES" | grep -qxF "203.0.113.0/24|198.51.100.2|wan"; }
check "a route added in gateway 2 shows up in instance 2" wait_for 10 r2
if ctl 1 -j routes | jq -r "$ROUTES" | grep -q "^203\.0\.113\.0/24|"; then
	fail "instance 1 does not see gateway 2's route"
else
	pass "instance 1 does not see gateway 2's route"
fi

# ---------------------------------------------------------------- 8. kill -9
log "8. crash leftovers"
OLD1=${GKPID[1]}
# Every packet accounted for (#13 item 2): instance 1's reloads under
# traffic, before the crash takes its counters.
acct_check 1
kill -KILL "$OLD1"
gk_wait_exit 1 10 2>/dev/null	# no "Killed" job notice
expect "genkand killed by SIGKILL" "$GK_RC" = 137
check "after kill -9: XDP detached from gw-lan and gw-wan" \
	xdp_off_within "$G1" 10 gw-lan gw-wan
check "after kill -9: the stale socket file is still there" test -S "$S1"
check "after kill -9: stale pins are still there" has_pins 1
out=$(ctl 1 status 2>&1)
rc=$?
expect "genkanctl on the stale socket exits 3" "$rc" -eq 3
if grep -qi "refused" <<<"$out"; then
	pass "genkanctl on the stale socket says connection refused"
else
	fail "genkanctl on the stale socket says connection refused (got: $out)"
fi
expect "instance 2 unaffected by the crash" "$(jstatus 2 .pid)" = "${GKPID[2]}"
gk_start 1
if gk_wait_ready 1 30; then
	pass "fresh start after the crash (stale socket, stale pins) answers status"
else
	fail "fresh start after the crash answers status"
fi
expect "the fresh daemon is the one answering" "$(jstatus 1 .pid)" = "${GKPID[1]}"
check "fresh daemon attaches XDP to gw-lan again" xdp_on "$G1" gw-lan
check "fresh daemon attaches XDP to gw-wan again" xdp_on "$G1" gw-wan
check "fresh daemon forwards IPv4" wait_for 10 ping4 1 3
check "fresh daemon forwards IPv6" wait_for 10 ping6 1 3

# ---------------------------------------------------------------- 9. duplicate daemon
log "9. a second genkand on the same socket"
prog1=$(ip -n "$G1" -j -d link show dev gw-lan | jq -r '.[0].xdp.prog.id // .[0].xdp.attached[0].prog.id // empty')
[[ "$prog1" =~ ^[0-9]+$ ]] || fail "test setup: XDP prog id of gw-lan (got '$prog1')"
out=$(timeout 30 ip netns exec "$G1" "$GKD" -c "$(conf 1)" -f 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then
	pass "duplicate genkand fails (exit $rc)"
else
	fail "duplicate genkand fails (exit $rc)"
fi
if grep -qF "$S1" <<<"$out" && grep -qiE "already|in use|another daemon" <<<"$out"; then
	pass "duplicate genkand says the socket is in use"
else
	fail "duplicate genkand says the socket is in use (got: $out)"
fi
check "the running genkand survives" kill -0 "${GKPID[1]}"
expect "the socket still reaches the running one" "$(jstatus 1 .pid)" = "${GKPID[1]}"
prog2=$(ip -n "$G1" -j -d link show dev gw-lan | jq -r '.[0].xdp.prog.id // .[0].xdp.attached[0].prog.id // empty')
expect "its XDP program is untouched" "${prog2:-none}" = "${prog1:-unknown}"
check "its pins are untouched" has_pins 1
check "it still forwards IPv4" ping4 1 3

# ---------------------------------------------------------------- 10. SIGTERM
log "10. SIGTERM"
for i in 1 2; do
	G=$(ns_g "$i")
	acct_check "$i"
	kill -TERM "${GKPID[$i]}"
	gk_wait_exit "$i" 10
	expect "instance $i: SIGTERM -> exit 0 within 10 s" "$GK_RC" = 0
	check "instance $i: XDP detached from gw-lan and gw-wan" \
		xdp_off_within "$G" 2 gw-lan gw-wan
	check "instance $i: socket file removed" test ! -e "$(sock "$i")"
	check "instance $i: pin dir removed" test ! -e "$(pindir "$i")"
done
# Kernel forwarding is off, so with genkan gone nothing crosses the gateway.
if ping4 1 1; then
	fail "without genkan the gateway no longer forwards"
else
	pass "without genkan the gateway no longer forwards"
fi

summary
