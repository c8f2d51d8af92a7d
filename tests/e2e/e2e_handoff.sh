#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Run-time hand-off switch (issue #9): the classifier's test switch makes
# every metadata hand-off fail, as a driver that accepts bpf_xdp_adjust_meta
# at load and fails it per packet would. genkand must notice (gk_hand_fail),
# switch the port to a mode that works without a restart, say so once, and
# traffic must keep flowing; no packet may go to the kernel instead.
#
#   client ns                  gateway ns: genkand, ip_forward=0            server ns
#  +------------------+       +--------------------------------------+       +-------------------+
#  | gkc0             | veth  | gkg0 (lan)                gkg1 (wan) | veth  | gks0              |
#  | 192.0.2.2/24     |-------| 192.0.2.1/24        198.51.100.1/24  |-------| 198.51.100.2/24   |
#  | 2001:db8:1::2/64 |       | 2001:db8:1::1/64    2001:db8:2::1/64 |       | 2001:db8:2::2/64  |
#  +------------------+       +--------------------------------------+       +-------------------+
#                    genkand runs with GENKAN_TEST_HAND_FAIL=1 in its environment
#
# Checks: the ports start in what auto picked (meta or head), first traffic
# fails the hand-off (xdp meta_fail counted, dropped: not passed), both ports
# switch to parse, the log says so exactly once per port, then ping and an
# HTTP transfer cross genkan with no further failure and the kernel forwarded
# nothing. Needs root, iproute2, ping, curl, python3.

set -u

N=${E2E_N:-50}
HTTP_MB=4

. "$(dirname "$0")/../../lab/lab.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (network namespaces, XDP)"
	exit 77
fi

lab_init
lab_check_binaries
lab_up
S=$LAB_DIR/stats
mkdir -p "$S"
lab_forwarding off

export GENKAN_TEST_HAND_FAIL=1
if ! lab_genkand_start 30; then
	lab_fail "genkand starts and answers status"
	lab_summary
	exit 1
fi
unset GENKAN_TEST_HAND_FAIL
lab_pass "genkand starts with the hand-off test switch"
lab_check "the test switch is announced" grep -q "GENKAN_TEST_HAND_FAIL=1" "$GK_LOG"

lab_ctl -j status >"$S/status.0" 2>&1
m0=$(lab_jget "$S/status.0" ports.0.handoff.mode)
echo "# start: hand-off $m0 ($(lab_jget "$S/status.0" ports.0.handoff.reason))"
lab_check "auto starts in a metadata mode (meta or head), not parse" \
	test "$m0" = meta -o "$m0" = head
read -r KF4_0 KF6_0 < <(lab_kernel_forwarded)

# parse mode reached on both ports
both_parse()
{
	lab_ctl -j status >"$S/status.1" 2>/dev/null || return 1
	[ "$(lab_jget "$S/status.1" ports.0.handoff.mode)" = parse ] &&
		[ "$(lab_jget "$S/status.1" ports.1.handoff.mode)" = parse ]
}

# The first packets fail the hand-off and are dropped; ARP/ND go to the
# kernel as always. Keep pinging until genkand has switched.
for ((i = 0; i < 50; i++)); do
	lab_x "$NS_C" ping -n -c 1 -W 0.2 $S4 >/dev/null 2>&1
	lab_x "$NS_S" ping -n -c 1 -W 0.2 $C4 >/dev/null 2>&1
	both_parse && break
	sleep 0.1
done
lab_check "both ports switched to parse at run time" both_parse
echo "# now: $(lab_jget "$S/status.1" ports.0.handoff.reason)"
lab_check "the reason names the run-time switch" \
	grep -q '"run-time switch from' "$S/status.1"
lab_stats "$S/sw.0"
d=$(lab_jget "$S/sw.0" xdp.events.meta_fail.packets)
lab_expect "hand-off failures were counted (xdp meta_fail)" "$d" -ge 1
n=$(grep -c "hand-off $m0 failed at run time" "$GK_LOG")
lab_expect "the switch is logged once per port" "$n" -eq 2

echo "# traffic after the switch"
lab_check "neighbours resolve (warm-up pings)" lab_warmup
lab_check "ping -c $N client -> server IPv4, all answered" lab_ping "$NS_C" $S4 "$N"
lab_check "ping -c $N client -> server IPv6, all answered" lab_ping "$NS_C" $S6 "$N"
if lab_http_start "$HTTP_MB" 8080; then
	out=$LAB_DIR/got.bin
	lab_http_get $S4 "$out" >/dev/null || true
	lab_check "HTTP IPv4 $((HTTP_MB * 1024 * 1024)) bytes arrive intact" lab_sha_ok "$out"
else
	lab_fail "HTTP server starts in the server namespace"
fi
lab_stats "$S/sw.1"
d=$(lab_jdelta "$S/sw.0" "$S/sw.1" xdp.events.meta_fail.packets)
lab_expect "no hand-off failed after the switch" "$d" -eq 0
d=$(lab_jdelta "$S/sw.0" "$S/sw.1" worker_handoff.parse)
lab_expect "the workers received in parse mode" "$d" -ge $((4 * N))
n=$(grep -c "hand-off $m0 failed at run time" "$GK_LOG")
lab_expect "still logged once per port" "$n" -eq 2

read -r KF4_1 KF6_1 < <(lab_kernel_forwarded)
lab_expect "gateway kernel forwarded no IPv4" $((KF4_1 - KF4_0)) -eq 0
lab_expect "gateway kernel forwarded no IPv6" $((KF6_1 - KF6_0)) -eq 0
lab_check "genkand still running" kill -0 "$GK_PID"

lab_summary
