#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# End-to-end forwarding test: genkan routes between two namespaces while the
# gateway's kernel forwarding is off, and its counters account for exactly the
# traffic we sent.
#
#   client ns                  gateway ns: genkand, ip_forward=0            server ns
#  +------------------+       +--------------------------------------+       +-------------------+
#  | gkc0             | veth  | gkg0 (lan)                gkg1 (wan) | veth  | gks0              |
#  | 192.0.2.2/24     |-------| 192.0.2.1/24        198.51.100.1/24  |-------| 198.51.100.2/24   |
#  | 2001:db8:1::2/64 |       | 2001:db8:1::1/64    2001:db8:2::1/64 |       | 2001:db8:2::2/64  |
#  +------------------+       +--------------------------------------+       +-------------------+
#   default via 192.0.2.1       XDP classifier -> AF_XDP workers (2)          default via 198.51.100.1
#   ::/0 via 2001:db8:1::1                                                    ::/0 via 2001:db8:2::1
#   TX checksum offload on                                                    TX checksum offload on
#
# Checks (each prints PASS/FAIL; the run ends with "N passed, M failed"):
#  - client and server keep their TX offloads as the kernel set them, so
#    their TCP/UDP frames reach genkan with partial checksums
#    (CHECKSUM_PARTIAL); genkan says it completes them on both veth ports
#    (checksum = auto), and worker event csum_completed grows with the UDP
#    and TCP traffic below
#  - first contact (#13 bug 8): every neighbour flushed (gateway, client,
#    server), then one ping -c 1 -W 2 per family is answered, no retry:
#    genkan held the request while the kernel resolved the server
#    (worker events neigh_held = neigh_hold_sent, no neigh drop)
#  - ping -c N both families: every echo answered; worker transit, worker TX
#    and XDP redirect counters grew by at least 4N and not absurdly more
#  - exactly N UDP datagrams (v4 and v6): the server saw all N; counters
#    grew by >= N and <= N + slack
#  - an HTTP transfer of a known size arrives intact; worker TX bytes grew by
#    at least that size
#  - the gateway kernel forwarded nothing (Ip ForwDatagrams,
#    Ip6OutForwDatagrams unchanged)
#  - a TTL/hop-limit 1 UDP probe gets ICMP Time Exceeded from the gateway
#  - N frames from each of 10 martian sources (127.0.0.1, 0.0.0.0,
#    255.255.255.255, 224.0.0.1, 240.0.0.1, ::1, ::, ff02::1,
#    ::ffff:127.0.0.1, ::ffff:192.0.2.9; scapy): each counted under its
#    martian_src_* worker drop reason, exactly; the server captures none
#  - genkand is still alive at the end
#  - the control: genkand restarted with checksum = trust forwards the same
#    UDP datagrams with their partial checksums, and the server drops them
#    (Udp InCsumErrors), which shows the checks above test something
#
# Environment: GK_BUILD (meson sets it), E2E_N (packets per check, default 100),
# LAB_KEEP=1 to keep logs. E2E_KERNEL=1 is a self-check of the test itself:
# the gateway's kernel forwards instead of genkan, genkan counter checks are
# skipped and the "kernel forwarded nothing" checks must then FAIL.
# LAB_PEER_TX=off turns the peers' TX checksum offload off (no partial sums:
# the control is skipped). Needs root, iproute2, ethtool, iputils-ping, curl,
# iperf3, python3-scapy.

set -u

N=${E2E_N:-100}
SLACK=${E2E_SLACK:-50}		# unrelated packets tolerated per window
HTTP_MB=8

. "$(dirname "$0")/../../lab/lab.sh"

KMODE=${E2E_KERNEL:-}
HAND=

# meson reads 77 as "skipped"
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (network namespaces, XDP)"
	exit 77
fi

lab_init
[ -z "$KMODE" ] && lab_check_binaries
lab_up

S=$LAB_DIR/stats
mkdir -p "$S"

PARTIAL=
if [ "${LAB_PEER_TX:-on}" != off ]; then
	PARTIAL=1
	lab_check "client and server keep TX checksum offload on" \
		eval 'lab_peer_tx_csum "$NS_C" gkc0 && lab_peer_tx_csum "$NS_S" gks0'
fi

if [ -n "$KMODE" ]; then
	echo "# SELF-CHECK MODE: the gateway kernel forwards, genkan is not started"
	lab_forwarding on
	echo "# gateway: $(lab_forwarding_show)"
else
	lab_forwarding off
	echo "# gateway: $(lab_forwarding_show)"
	lab_check "kernel forwarding is off in the gateway" lab_forwarding_is_off
	if ! lab_genkand_start 30; then
		lab_fail "genkand starts and answers status"
		lab_summary
		exit 1
	fi
	lab_pass "genkand starts and answers status"
	# the hand-off: forced (GK_XDP_META) or what auto picked on this kernel
	lab_ctl -j status >"$S/status.json" 2>&1
	HAND=$(lab_jget "$S/status.json" ports.0.handoff.mode)
	echo "# hand-off: $HAND ($(lab_jget "$S/status.json" ports.0.handoff.reason))"
	if [ -n "${GK_XDP_META:-}" ]; then
		lab_check "both ports hand off in mode $GK_XDP_META" test \
			"$HAND/$(lab_jget "$S/status.json" ports.1.handoff.mode)" = \
			"$GK_XDP_META/$GK_XDP_META"
	fi
	for p in 0 1; do
		echo "# port $p checksum: $(lab_jget "$S/status.json" ports.$p.checksum.mode)" \
			"($(lab_jget "$S/status.json" ports.$p.checksum.reason))"
	done
	lab_check "both veth ports complete checksums (auto: driver veth)" test \
		"$(lab_jget "$S/status.json" ports.0.checksum.reason)/$(lab_jget "$S/status.json" ports.1.checksum.reason)" = \
		"auto: driver veth can hand over partial checksums/auto: driver veth can hand over partial checksums"
fi

lab_check "neighbours resolve (warm-up pings)" lab_warmup

read -r KF4_0 KF6_0 < <(lab_kernel_forwarded)
echo "# gateway kernel forward counters at start: v4=$KF4_0 v6=$KF6_0"

# num_delta A B: B - A, or NA when either is not a number.
num_delta()
{
	if [[ "$1" =~ ^[0-9]+$ && "$2" =~ ^[0-9]+$ ]]; then
		echo $(($2 - $1))
	else
		echo NA
	fi
}

# check_window TAG LOW HIGH: counters between stats/TAG.0 and stats/TAG.1.
check_window()
{
	local tag=$1 low=$2 high=$3 b=$S/$1.0 a=$S/$1.1 d

	[ -n "$KMODE" ] && return 0
	d=$(lab_jdelta "$b" "$a" worker_classes.transit)
	lab_expect "$tag: worker class transit grew >= $low" "$d" -ge "$low" &&
		lab_expect "$tag: worker class transit grew <= $high" "$d" -le "$high"
	d=$(lab_jdelta "$b" "$a" totals.tx_packets)
	lab_expect "$tag: worker tx_packets grew >= $low" "$d" -ge "$low" &&
		lab_expect "$tag: worker tx_packets grew <= $high" "$d" -le "$high"
	d=$(lab_jdelta "$b" "$a" xdp.events.redirect.packets)
	lab_expect "$tag: xdp redirect events grew >= $low" "$d" -ge "$low" &&
		lab_expect "$tag: xdp redirect events grew <= $high" "$d" -le "$high"
	d=$(lab_jdelta "$b" "$a" "worker_handoff.$HAND")
	lab_expect "$tag: worker packets received in hand-off $HAND grew >= $low" \
		"$d" -ge "$low"
	d=$(lab_jdelta "$b" "$a" xdp.events.meta_fail.packets)
	lab_expect "$tag: no hand-off failed (xdp meta_fail)" "$d" -eq 0
}

snap()
{
	[ -n "$KMODE" ] && return 0
	lab_stats "$S/$1" || lab_fail "genkanctl -j stats ($(cat "$S/$1.err"))"
}

# check_csum TAG LOW: the workers completed at least LOW checksums in TAG.
check_csum()
{
	local d

	[ -n "$KMODE" ] && return 0
	d=$(lab_jdelta "$S/$1.0" "$S/$1.1" worker_events.csum_completed)
	lab_expect "$1: worker event csum_completed grew >= $2" "$d" -ge "$2"
}

# First contact (#13 bug 8): no neighbour known on any hop, then one echo
# request, no retry, must be answered: genkan holds the request and the
# reply while the kernel resolves each next hop (as the kernel's own
# unres_qlen would) and sends them when the neighbour shows up in its FIB.
forget_neighbours()
{
	local f i

	for f in -4 -6; do
		ip -n "$NS_G" $f neigh flush dev gkg0
		ip -n "$NS_G" $f neigh flush dev gkg1
		ip -n "$NS_C" $f neigh flush dev gkc0
		ip -n "$NS_S" $f neigh flush dev gks0
	done
	[ -n "$KMODE" ] && return 0
	# genkand's FIB follows the kernel's table: wait until it forgot them
	for i in $(seq 50); do
		lab_ctl -j neighbors 2>/dev/null |
			grep -qE '"addr": *"('"$C4|$S4|$C6|$S6"')"' || return 0
		sleep 0.1
	done
	return 1
}
first_ping()
{
	lab_nx "$NS_C" ping -n -q -c 1 -W 2 "$1" >/dev/null 2>&1
}
echo "# first contact: neighbours flushed, one echo request per family"
snap first.0
lab_check "IPv4 neighbours forgotten (gateway, client, server)" forget_neighbours
lab_check "first ping -c 1 to a fresh IPv4 neighbour answered, no retry" first_ping $S4
lab_check "IPv6 neighbours forgotten (gateway, client, server)" forget_neighbours
lab_check "first ping -c 1 to a fresh IPv6 neighbour answered, no retry" first_ping $S6
snap first.1
if [ -z "$KMODE" ]; then
	held=$(lab_jdelta "$S/first.0" "$S/first.1" worker_events.neigh_held)
	lab_expect "first contact: the requests held, both families (neigh_held >= 2)" \
		"$held" -ge 2
	lab_expect "first contact: every held frame sent (neigh_hold_sent = neigh_held)" \
		"$(lab_jdelta "$S/first.0" "$S/first.1" worker_events.neigh_hold_sent)" -eq "$held"
	for r in no_neigh neigh_hold_full neigh_hold_aged; do
		lab_expect "first contact: no frame dropped $r" \
			"$(lab_jdelta "$S/first.0" "$S/first.1" worker_drops.$r)" -eq 0
	done
fi

echo "# ping: $N echo requests per family, each answered = 4N forwarded packets"
snap ping.0
lab_check "ping -n -c $N client -> server IPv4, all answered" lab_ping "$NS_C" $S4 "$N"
lab_check "ping -n -c $N client -> server IPv6, all answered" lab_ping "$NS_C" $S6 "$N"
snap ping.1
check_window ping $((4 * N)) $((4 * N + SLACK))

echo "# UDP: exactly $N datagrams per family, client -> server, one way"
for fam in 4 6; do
	dst=$S4
	[ $fam = 6 ] && dst=$S6
	res=$LAB_DIR/udp$fam.count
	snap udp$fam.0
	lab_udp_count "$dst" $((9000 + fam)) "$N" "$res" 300 >/dev/null
	snap udp$fam.1
	got=$(cat "$res" 2>/dev/null || echo NA)
	lab_expect "UDP IPv$fam: server received all $N datagrams" "$got" -eq "$N"
	check_window udp$fam "$N" $((N + SLACK))
	check_csum udp$fam "$N"
done

echo "# TCP: HTTP download of ${HTTP_MB} MB from the server"
if lab_http_start "$HTTP_MB" 8080; then
	size=$((HTTP_MB * 1024 * 1024))
	snap tcp.0
	out=$LAB_DIR/got.bin
	r=$(lab_http_get $S4 "$out") || r=
	snap tcp.1
	lab_check "HTTP IPv4 $size bytes arrive with the right sha256" lab_sha_ok "$out"
	if [ -z "$KMODE" ]; then
		d=$(lab_jdelta "$S/tcp.0" "$S/tcp.1" totals.tx_bytes)
		lab_expect "TCP: worker tx_bytes grew >= transfer size" "$d" -ge "$size"
		# A 1500-byte MTU carries at most 1460 payload bytes per segment.
		d=$(lab_jdelta "$S/tcp.0" "$S/tcp.1" worker_classes.transit)
		lab_expect "TCP: worker transit packets >= size/1460" "$d" \
			-ge $((size / 1460))
		check_csum tcp $((size / 1460))
	fi
	rm -f "$out"
	r=$(lab_http_get "[$S6]" "$out") || r=
	lab_check "HTTP IPv6 $size bytes arrive with the right sha256" lab_sha_ok "$out"
else
	lab_fail "HTTP server starts in the server namespace"
fi

read -r KF4_1 KF6_1 < <(lab_kernel_forwarded)
echo "# gateway kernel forward counters at end: v4=$KF4_1 v6=$KF6_1"
# In self-check mode these two must FAIL: that shows they can.
lab_expect "gateway kernel forwarded no IPv4 (ForwDatagrams delta)" \
	"$(num_delta "$KF4_0" "$KF4_1")" -eq 0
lab_expect "gateway kernel forwarded no IPv6 (Ip6OutForwDatagrams delta)" \
	"$(num_delta "$KF6_0" "$KF6_1")" -eq 0

echo "# TTL: UDP probe with TTL/hop limit 1 (scapy), expect ICMP Time Exceeded"
snap ttl.0
lab_check "IPv4 TTL 1 -> ICMP time exceeded from $G4L" \
	lab_x "$NS_C" "$GK_PY" "$LAB_ROOT/lab/ttl.py" $S4 $G4L
lab_check "IPv6 hop limit 1 -> ICMPv6 time exceeded from $G6L" \
	lab_x "$NS_C" "$GK_PY" "$LAB_ROOT/lab/ttl.py" $S6 $G6L
snap ttl.1
if [ -z "$KMODE" ]; then
	d=$(lab_jdelta "$S/ttl.0" "$S/ttl.1" xdp.classes.ttl_expired.packets)
	lab_expect "xdp class ttl_expired counted the probes" "$d" -ge 2

	# Martian sources (#13 bug 6): each dropped by the L3 stage under its
	# own reason, none reaches the server (its capture).
	echo "# martians: $N frames from each of 10 martian sources (scapy)"
	GWMAC=$(ip -n "$NS_G" -j link show gkg0 | jq -r '.[0].address')
	lab_bg "$NS_S" "$LAB_DIR/martian.tcpdump.log" tcpdump -n -i gks0 -U \
		-w "$LAB_DIR/martian.pcap" 'udp port 9099'
	MPID=$LAB_LAST_PID
	sleep 1
	snap mart.0
	sent=$(lab_x "$NS_C" "$GK_PY" "$LAB_ROOT/lab/martian.py" gkc0 "$GWMAC" \
		$S4 $S6 "$N") || sent=NA
	sleep 1
	snap mart.1
	kill "$MPID" 2>/dev/null
	wait "$MPID" 2>/dev/null
	lab_expect "martians: scapy sent 10 x $N frames" "$sent" -eq $((10 * N))
	while read -r why k; do
		d=$(lab_jdelta "$S/mart.0" "$S/mart.1" "worker_drops.$why")
		lab_expect "martians: worker drop $why grew by exactly $((k * N))" \
			"$d" -eq $((k * N))
	done < <("$GK_PY" "$LAB_ROOT/lab/martian.py" expect)
	got=$(tcpdump -n -r "$LAB_DIR/martian.pcap" 2>/dev/null | wc -l)
	lab_expect "martians: the server saw none of them" "$got" -eq 0

	echo "# gateway after the run: $(lab_forwarding_show)"
	lab_check "kernel forwarding is still off" lab_forwarding_is_off
	lab_check "genkand still running" kill -0 "$GK_PID"

	echo "# genkanctl stats"
	lab_ctl stats 2>&1 | sed 's/^/# /'
fi

# udp_csum_errors NS: the namespace's Udp InCsumErrors (IPv4).
udp_csum_errors()
{
	lab_nx "$1" awk '$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) n[i] = $i; h = 1; next }
		$1 == "Udp:" { for (i = 2; i <= NF; i++) if (n[i] == "InCsumErrors") print $i }' \
		/proc/net/snmp
}

if [ -z "$KMODE" ] && [ -n "$PARTIAL" ]; then
	echo "# control: checksum = trust, the partial sums cross genkan as they are"
	lab_genkand_stop
	if GK_CHECKSUM=trust lab_genkand_start 30; then
		lab_ctl -j status >"$S/status-trust.json" 2>&1
		lab_check "checksum = trust: both ports trust" test \
			"$(lab_jget "$S/status-trust.json" ports.0.checksum.mode)/$(lab_jget "$S/status-trust.json" ports.1.checksum.mode)" = \
			trust/trust
		lab_warmup >/dev/null
		e0=$(udp_csum_errors "$NS_S")
		snap trust.0
		res=$LAB_DIR/udp-trust.count
		lab_udp_count $S4 9014 "$N" "$res" 300 >/dev/null
		snap trust.1
		e1=$(udp_csum_errors "$NS_S")
		got=$(cat "$res" 2>/dev/null || echo NA)
		# A datagram whose partial sum happens to be the right one passes.
		lab_expect "trust: the server took (almost) none of $N datagrams" \
			"$got" -le 2
		lab_expect "trust: the server counted UDP checksum errors" \
			"$(num_delta "$e0" "$e1")" -ge $((N - 2))
		d=$(lab_jdelta "$S/trust.0" "$S/trust.1" worker_classes.transit)
		lab_expect "trust: genkan forwarded them all the same" "$d" -ge "$N"
		d=$(lab_jdelta "$S/trust.0" "$S/trust.1" worker_events.csum_completed)
		lab_expect "trust: worker event csum_completed stayed" "$d" -eq 0
	else
		lab_fail "genkand restarts with checksum = trust"
	fi
fi

lab_summary
