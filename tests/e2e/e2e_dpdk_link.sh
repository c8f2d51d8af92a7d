#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The TAP's carrier follows the DPDK device's link (docs/dpdk.md, the
# exception path): genkand's port is a net_memif server, whose link is up
# only while a client is connected; the client is a separate dpdk-testpmd,
# started, stopped and killed under genkand.
#
#   gw ns: genkand (backend = dpdk, 1 worker)           no ns needed: a unix socket
#  +--------------------------------------------+      +-----------------------------+
#  | lan: net_memif0 (role=server) -------------|------| dpdk-testpmd: net_memif0    |
#  |   socket $RUN/memif.sock (not abstract)    | memif|   role=client, txonly       |
#  | dlan (TAP): carrier = the memif's link     |      |   (interactive, on a FIFO)  |
#  +--------------------------------------------+      +-----------------------------+
#
# Checks: with no peer the TAP's carrier is off and the start log says the
# link is down; the peer connects -> carrier on within 5 s (the supervision
# tick is heartbeat_ms, 100 ms here), logged once; the peer's txonly frames
# reach genkand's worker (its rx grows, the oracle is testpmd's own TX
# count); the peer stops forwarding and quits -> carrier off within 5 s,
# logged; genkand alive and `genkanctl status` answers; a second peer
# connects -> carrier on again; that peer is killed (SIGKILL, no goodbye
# on the socket) -> carrier off again; genkand still alive; every frame
# accounted for; the stop is clean: no TAP, no EAL runtime directory of
# either process, no socket.
#
# Environment: GK_BUILD, E2E_KEEP=1. Needs root, iproute2, nsenter, jq,
# dpdk-testpmd (Debian's dpdk; net_memif comes with libdpdk-dev).

set -u

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
TAG=gkdl-$$
WORKERS=1

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_init ip nsenter jq dpdk-testpmd
GWS="gw"
ALLNS="gw"
MSOCK=$RUN/memif.sock
PEERPFX=gkdl-peer-$$
PEERPID=

# peer_gone: the peer testpmd reaped, its FIFO closed, and its EAL
# runtime directory removed (testpmd leaves it, even with --no-shconf)
peer_gone()
{
	wait "$PEERPID" 2>/dev/null
	PEERPID=
	exec 7>&-
	rm -rf "/var/run/dpdk/$PEERPFX"
}

# peer_stop: the peer testpmd, if any, killed
peer_stop()
{
	[ -n "$PEERPID" ] || return 0
	kill -KILL "$PEERPID" 2>/dev/null
	peer_gone
}

cleanup()
{
	trap - EXIT INT TERM
	peer_stop
	teardown 25
}
traps

conf_gw()
{
	conf_head gw "a DPDK port over net_memif"
	cat <<EOF
cpus = 1
idle_sleep_us = 0

$(conf_dpdk)

$(conf_dpdk_port lan "net_memif0,role=server,id=0,socket=$MSOCK,socket-abstract=no,mac=02:00:00:00:00:0b" dlan)
EOF
}

# peer_start N: a memif client testpmd, interactive on a FIFO (fd 7), its
# output in $RUN/peerN.out. A memif client that finds no server does not
# try again: genkand's port is started before this runs (gw_ready).
peer_start()
{
	local n=$1 fifo=$RUN/peer$1.in

	rm -f "$fifo"
	mkfifo "$fifo"
	dpdk-testpmd --no-huge --no-shconf -m 128 --no-pci --no-telemetry \
		--file-prefix "$PEERPFX" --lcores "0@0,1@1" \
		--vdev "net_memif0,role=client,id=0,socket=$MSOCK,socket-abstract=no,mac=02:00:00:00:00:0a" \
		--log-level='*:error' -- -i --forward-mode=txonly \
		--eth-peer=0,02:00:00:00:00:0b --txpkts=64 --total-num-mbufs=4096 \
		--port-topology=loop <"$fifo" >"$RUN/peer$n.out" 2>&1 &
	PEERPID=$!
	exec 7>"$fifo"
}

peer_cmd() { echo "$1" >&7; }

carrier() { nsx gw cat /sys/class/net/dlan/carrier 2>/dev/null; }
carrier_is() { [ "$(carrier)" = "$1" ]; }
# the lines genkand logged since the mark in MARK
MARK=0
mark() { MARK=$(wc -l <"$(gklog gw)"); }
since() { tail -n +"$((MARK + 1))" "$(gklog gw)"; }
said_n() { since | grep -c "$1"; }
said() { since | grep -q "$1"; }
peer_exited() { ! kill -0 "$PEERPID" 2>/dev/null; }
wrx() { ctl gw -j stats | jq '[.workers[].rx_packets] | add'; }

ns_up || { fail "namespaces"; exit 1; }

# ---- genkand with no peer: the memif link is down, so is the carrier
conf_gw >"$(conf gw)"
gk_start gw
gw_ready gw "1 worker running (memif server, no peer)" || { summary; exit 1; }
check "the memif socket exists" test -S "$MSOCK"
check "the start log says lan's link is down" \
	grep -q "port lan: DPDK net_memif0.*link down, kernel side TAP dlan" "$(gklog gw)"
expect "no peer: dlan's carrier is 0" "$(carrier)" = 0
check "no peer: ip link shows dlan NO-CARRIER" \
	eval 'r gw link show dlan | grep -q NO-CARRIER'

LINKUP="port lan: DPDK link up, TAP dlan carrier on"
LINKDOWN="port lan: DPDK link down, TAP dlan carrier off"

# ---- the peer connects: carrier on
mark
peer_start 1
check "peer 1 connects: dlan's carrier is 1 within 5 s" wait_for 5 carrier_is 1
check "ip link shows dlan LOWER_UP" eval 'r gw link show dlan | grep -q LOWER_UP'
check "genkand logs the link up" wait_for 2 said "$LINKUP"
expect "... once" "$(said_n "$LINKUP")" = 1

# ---- traffic over the memif, then the peer quits (it closes its port: a
# goodbye on the socket). testpmd's output is a file, buffered until it
# exits: its TX count is read after the quit. The peer stops forwarding
# before it closes (a polling memif side can crash when its peer closes).
rx0=$(wrx)
peer_cmd start
sleep 1
peer_cmd stop
sleep 0.5
expect "carrier still 1 after the traffic" "$(carrier)" = 1
mark
peer_cmd quit
check "peer 1 quits" wait_for 10 peer_exited
peer_gone
check "peer 1 gone: dlan's carrier is 0 within 5 s" wait_for 5 carrier_is 0
check "ip link shows dlan NO-CARRIER" eval 'r gw link show dlan | grep -q NO-CARRIER'
check "genkand logs the link down" wait_for 2 said "$LINKDOWN"
expect "... once" "$(said_n "$LINKDOWN")" = 1
check "genkand survives the peer leaving" kill -0 "${GKPID[gw]}"
check "genkanctl status answers" eval 'ctl gw status >/dev/null'
ptx=$(awk '/Accumulated forward statistics/ { a = 1 } a && /TX-packets:/ { print $2; exit }' \
	"$RUN/peer1.out")
expect "peer 1 sent frames (testpmd's TX-packets)" "${ptx:-0}" -gt 0
# what the peer put on the ring, the worker took: exactly that many
rx1=$(wrx)
log "peer 1 sent ${ptx:-?} frames; genkand's worker rx +$((rx1 - rx0))"
expect "genkand's worker received exactly the peer's frames" "$((rx1 - rx0))" = "${ptx:-x}"

# ---- a second peer: carrier on again; then killed without a goodbye
mark
peer_start 2
check "peer 2 connects: dlan's carrier is 1 again within 5 s" wait_for 5 carrier_is 1
check "genkand logs the link up again" wait_for 2 said "$LINKUP"
mark
# its forwarding never started: only genkand polls the rings when it goes
peer_stop
check "peer 2 killed: dlan's carrier is 0 within 5 s" wait_for 5 carrier_is 0
check "genkand logs the link down again" wait_for 2 said "$LINKDOWN"
sleep 0.5
check "genkand survives the peer vanishing" kill -0 "${GKPID[gw]}"
check "genkanctl status answers" eval 'ctl gw status >/dev/null'

# ---- clean stop, every frame the worker took from the memif accounted
# for (docs/accounting.md)
dpdk_stop gw
check "no TAP left after the stop" eval '! r gw link show dlan >/dev/null 2>&1'
check "no memif socket left after the stop" test ! -e "$MSOCK"
check "no peer EAL runtime directory left" test ! -e "/var/run/dpdk/$PEERPFX"

summary
