#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# genkan demo: a client and a server talk through genkan running in a gateway
# namespace (kernel forwarding off), with real tools: ping, curl, iperf3.
#
#   client ns                  gateway ns (genkand)                   server ns
#   gkc0 192.0.2.2/24  <veth>  gkg0 192.0.2.1/24    gkg1 198.51.100.1/24  <veth>  gks0 198.51.100.2/24
#        2001:db8:1::2/64           2001:db8:1::1/64     2001:db8:2::1/64              2001:db8:2::2/64
#
# Usage: lab/demo.sh [--kernel] [--seconds N] [--mb N]
#   --kernel     forward with the gateway's kernel instead of genkan (checks
#                the lab itself, and gives figures to compare with)
#   --seconds N  iperf3 duration (default 5)
#   --mb N       size of the HTTP download (default 20)
# Environment: GK_BUILD (default <repo>/build), LAB_KEEP=1 keeps logs.
# Exit status is non-zero when any check fails.

set -u

MODE=genkan
SECS=5
MB=20

usage()
{
	sed -n '2,/^$/ s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--kernel) MODE=kernel ;;
	--seconds) SECS=$2; shift ;;
	--mb) MB=$2; shift ;;
	-h | --help) usage ;;
	*) echo "unknown argument: $1" >&2; usage ;;
	esac
	shift
done

. "$(dirname "$0")/lab.sh"

lab_init
[ "$MODE" = genkan ] && lab_check_binaries
lab_up

declare -A RESULT
note()
{
	# note KEY "text": remember a line for the final summary
	RESULT[$1]=$2
}

echo "== genkan demo ($MODE forwarding) =="
if [ "$MODE" = kernel ]; then
	lab_forwarding on
	echo "gateway: $(lab_forwarding_show) (kernel forwards)"
else
	lab_forwarding off
	echo "gateway: $(lab_forwarding_show) (genkan forwards)"
	if ! lab_genkand_start 30; then
		lab_fail "genkand starts and answers status"
		lab_summary
		exit 1
	fi
	lab_pass "genkand starts and answers status"
fi

echo "-- neighbours"
lab_check "first packets get through (ARP/ND resolved)" lab_warmup

echo "-- ping"
lab_check "ping client -> server IPv4" lab_ping "$NS_C" $S4 10
lab_check "ping server -> client IPv4" lab_ping "$NS_S" $C4 10
lab_check "ping client -> server IPv6" lab_ping "$NS_C" $S6 10
lab_check "ping server -> client IPv6" lab_ping "$NS_S" $C6 10

echo "-- HTTP download (${MB} MB, sha256 checked)"
if lab_http_start "$MB" 8080; then
	for host in $S4 "[$S6]"; do
		out=$LAB_DIR/got.bin
		rm -f "$out"
		if r=$(lab_http_get "$host" "$out") && lab_sha_ok "$out"; then
			mbps=$(awk '{ printf "%.1f", $2 * 8 / 1e6 }' <<<"$r")
			lab_pass "curl http://$host:8080/ ${MB} MB, sha256 ok, $mbps Mbit/s"
			note "http $host" "$mbps Mbit/s"
		else
			lab_fail "curl http://$host:8080/ (${r:-transfer failed} or sha256 mismatch)"
		fi
	done
else
	lab_fail "HTTP server starts in the server namespace"
fi

echo "-- iperf3 TCP client -> server, ${SECS}s"
for dst in $S4 $S6; do
	js=$LAB_DIR/iperf-$dst.json
	if lab_iperf_tcp "$dst" "$SECS" "$js"; then
		mbps=$(lab_iperf_mbps "$js")
		lab_pass "iperf3 TCP to $dst: $mbps Mbit/s"
		note "iperf3 $dst" "$mbps Mbit/s"
	else
		lab_fail "iperf3 TCP to $dst ($(lab_jget "$js" error))"
	fi
done

if [ "$MODE" = genkan ]; then
	echo "-- genkanctl stats"
	lab_ctl stats || lab_fail "genkanctl stats"
	fw=$(lab_kernel_forwarded)
	echo "gateway kernel forwarded (v4 v6): $fw"
fi

echo
echo "== summary ($MODE) =="
for k in "${!RESULT[@]}"; do
	printf '  %-28s %s\n' "$k" "${RESULT[$k]}"
done | sort
lab_summary
