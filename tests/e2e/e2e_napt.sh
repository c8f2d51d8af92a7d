#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NAPT44 on the MAP-E CE (issue #4) end to end: a LAN host with a private
# looking address behind a genkan CE (NAPT44 + MAP-E), an IPv6-only
# network, a genkan BR, an IPv4 server. Neither gateway kernel forwards:
# every packet across them is genkan's work.
#
#  h1: LAN host               ce1: genkand, role ce              rt: IPv6 router
# +---------------------+    +------------------------------+    (kernel, no IPv4)
# | eth0 198.18.0.2/24  |----| lan 198.18.0.1/24            |    +----------------+
# +---------------------+    |          wan 2001:db8:ff01::2|----| r1 ff01::1/64  |
#  default via 198.18.0.1    +------------------------------+    |                |
#                             [nat] -> 192.0.2.18, PSID 0x34     |                |
#  srv: IPv4 server           br: genkand, role br               |                |
# +---------------------+    +------------------------------+    |                |
# | eth0 203.0.113.2/24 |----| inet 203.0.113.1/24          |    |                |
# +---------------------+    | lo   2001:db8:ffff::1 (BR)   |    |                |
#  default via .1            |         core 2001:db8:ff00::2|----| r0 ff00::1/64  |
#                            +------------------------------+    +----------------+
#  ce1 and br: ::/0 via their rt link; ip_forward = 0, ipv6 forwarding = 0,
#  2 workers, 2-queue veths. rt routes the end-user prefix to ff01::2 and
#  the BR address to ff00::2.
#
# The MAP rule is RFC 7597 Appendix A's (2001:db8::/40 <-> 192.0.2.0/24,
# PSID offset 6, FMR) with 14 EA bits instead of 16: the CE still gets
# 192.0.2.18 and PSID 0x34, but a 6-bit PSID, so 1008 ports in 63 ranges
# of 16 (OCN-like). The Appendix A set (8-bit PSID) holds 252 ports, too
# few for the issue's 500 concurrent UDP flows (one outside port per
# inside endpoint: endpoint-independent mapping). E2E_PSID_LEN=8 runs the
# Appendix A set itself (then E2E_UDP_FLOWS must stay below 252).
#
# The CE address, PSID and port set come from this script's own RFC 7597
# arithmetic (python integers), never from genkan; genkan's `map show` is
# compared to it. Captures are parsed with scapy.
#
# Checks (each prints PASS/FAIL; the run ends with "N passed, M failed"):
#  - --check refuses a [nat-map] port outside the set, saying why
#  - phase 1 (no host limit, [nat-map web] tcp PORT -> 198.18.0.2:8080):
#    - before any dynamic traffic: `nat mappings add` at runtime (curl
#      through it), `del` (closed again), an out-of-set port refused
#    - E2E_UDP_FLOWS (500) UDP flows from distinct LAN source ports, all
#      open at once: every one gets its echo back; `nat sessions -j` lists
#      them all at once
#    - E2E_TCP_CONNS (100) TCP connections held open together, each echoes
#      64 KiB back intact
#    - ping LAN host -> server (ICMP id outside the set: translated)
#    - the server's capture (tcpdump -w, parsed by scapy): source
#      192.0.2.18 only, never the LAN address; UDP/TCP source ports and
#      ICMP ids only inside the set, from many ranges
#    - UDP to a closed server port: the ICMP port unreachable comes back
#      translated (the LAN socket gets ECONNREFUSED; icmp_err_pkts grows)
#    - APDF: a LAN socket that said hello to srv:7777 gets srv:7777's
#      datagrams on its outside port; srv:5555's are dropped ("filtered")
#    - curl from the server to 192.0.2.18:PORT reaches the LAN web server
#      through the static mapping (sha256 checked); `nat mappings` lists it
#    - hairpin: curl from the LAN host to 192.0.2.18:PORT, repeated until
#      connections with both NAT halves on one worker and on different
#      workers (`nat sessions -j` .worker) were each seen twice
#    - [nat] event_log: create + delete lines (ISO time, proto, inside,
#      outside, remote) for the runtime mapping's session (deleted by
#      `nat mappings del`), one create line per UDP flow (port in the set)
#  - phase 2 (ce1 restarted with host_port_limit = E2E_LIMIT): a flow
#    opened first keeps working after E2E_FLOOD more flows than the limit
#    allows; `nat stats -j` shows the refusals growing; the server never
#    sees more than the limit of source ports from the host
#  - the gateway kernels forwarded nothing; the genkands are still alive
#
# Environment: GK_BUILD (meson build root), E2E_UDP_FLOWS (500),
# E2E_TCP_CONNS (100), E2E_LIMIT (8), E2E_FLOOD (40), E2E_PSID_LEN (6),
# E2E_KEEP=1 keeps the run directory. Needs root, iproute2, ethtool,
# nsenter, iputils ping (-e), curl, tcpdump, jq, /usr/bin/python3 + scapy.

set -u

GK_BUILD=${GK_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
GKD=$GK_BUILD/ctl/genkand/genkand
GKCTL=$GK_BUILD/ctl/genkanctl/genkanctl
PY=/usr/bin/python3
TAG=gkn3-$$
NUDP=${E2E_UDP_FLOWS:-500}
NTCP=${E2E_TCP_CONNS:-100}
LIMIT=${E2E_LIMIT:-8}
FLOOD=${E2E_FLOOD:-40}
PSID_LEN=${E2E_PSID_LEN:-6}
N=10		# echo requests per ping check
WORKERS=2
PING_I=0.02 PING_W=5 WARM_TRIES=5

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e_init ip ethtool nsenter ping curl tcpdump jq sha256sum "$PY"
GWS="ce1 br"
ALLNS="h1 ce1 rt br srv"

cleanup()
{
	local g

	trap - EXIT INT TERM
	if [ -n "${E2E_KEEP:-}" ] || [ "$NFAIL" -gt 0 ]; then
		for g in $GWS; do
			[ -n "${GKPID[$g]:-}" ] && kill -0 "${GKPID[$g]}" 2>/dev/null || continue
			echo "# genkanctl nat stats ($g)"
			ctl "$g" nat stats 2>&1 | head -n 40 | sed 's/^/#   /'
			echo "# genkanctl map show ($g)"
			ctl "$g" map show 2>&1 | head -n 20 | sed 's/^/#   /'
		done
	fi
	teardown 15
}
traps

# ------------------------------------------------------------------ helpers (python)

# The oracle (RFC 7597 §5.1, §5.2, §6 with integers, independent of
# dataplane/map_rule.c) and the traffic tools.
cat >"$RUN/napt.py" <<'EOF'
import ipaddress, json, os, select, socket, sys, threading
sys.path.insert(0, os.environ['E2E_LIB'])
from e2e_lib import ce_params, port_ranges

# eup R4 O V4 PSID: the shortest end-user prefix under 2001:db8::/40 whose
# EA bits are V4's suffix then PSID (the inverse of §5.2, for the setup).
def eup(argv):
    r4, o, v4, psid = ipaddress.ip_network(argv[0]), int(argv[1]), argv[2], int(argv[3])
    p = 32 - r4.prefixlen
    k = o - p
    ea = ((int(ipaddress.IPv4Address(v4)) & ((1 << p) - 1)) << k) | psid
    base = int(ipaddress.IPv6Address('2001:db8::'))
    print('%s/%d' % (ipaddress.IPv6Address(base | (ea << (128 - 40 - o))), 40 + o))

# oracle R6 R4 O A EUP SETFILE: shell variables; the set, one range a line.
def oracle(argv):
    r6, r4, o, a, e, setf = argv[0], argv[1], int(argv[2]), int(argv[3]), argv[4], argv[5]
    v4, psid, k, v6 = ce_params(r6, r4, o, e)
    rs = port_ranges(a, k, psid)
    with open(setf, 'w') as f:
        for r in rs:
            f.write(' '.join(map(str, r)) + '\n')
    flat = [p for r in rs for p in r]
    print('CE_V4=%s CE_PSID=%d CE_PSID_LEN=%d CE_V6=%s' % (v4, psid, k, v6))
    print('NPORTS=%d NRANGES=%d RSIZE=%d' % (len(flat), len(rs), len(rs[0])))
    print('FIRST=%d-%d LAST=%d-%d' % (rs[0][0], rs[0][-1], rs[-1][0], rs[-1][-1]))
    # Static-mapping ports (range 30 offset 1: config; range 40 offset 3:
    # runtime) and an ICMP id / port outside the set.
    print('STATIC_PORT=%d RT_PORT=%d' % (rs[29][1], rs[39][3]))
    outside = [x for x in range(40000, 40100) if x not in set(flat)]
    print('OUT_ID=%d' % outside[0])

def load_set(path):
    rs = [list(map(int, l.split())) for l in open(path) if l.strip()]
    return {p: i for i, r in enumerate(rs) for p in r}

# udpecho PORT: echo every datagram back (the server side).
def udpecho(argv):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(('0.0.0.0', int(argv[0])))
    while True:
        b, peer = s.recvfrom(4096)
        s.sendto(b, peer)

# udpflows SRC DST DPORT BASE N ROUNDS: N sockets bound to SRC:BASE+i, all
# open at once; each sends "i" until its echo comes back (at most ROUNDS
# rounds; a round ends when no reply arrived for 2 s). Prints JSON.
def udpflows(argv):
    src, dst, dport, base, n, rounds = argv[0], argv[1], int(argv[2]), \
        int(argv[3]), int(argv[4]), int(argv[5])
    socks = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, base + i))
        s.setblocking(False)
        socks.append(s)
    fd = {s.fileno(): i for i, s in enumerate(socks)}
    got = [False] * n
    sent = 0
    for r in range(rounds):
        todo = [i for i in range(n) if not got[i]]
        if not todo:
            break
        for i in todo:
            socks[i].sendto(('flow-%d genkan-napt-e2e' % i).encode(), (dst, dport))
            sent += 1
            # Drain as we go: a burst of replies must not overflow a socket.
            if sent % 32 == 0:
                drain(socks, fd, got, 0)
        while drain(socks, fd, got, 2.0):
            if all(got):
                break
    print(json.dumps({'flows': n, 'answered': sum(got), 'sent': sent}))

def drain(socks, fd, got, tmo):
    rd, _, _ = select.select(socks, [], [], tmo)
    for s in rd:
        try:
            b, _ = s.recvfrom(4096)
        except BlockingIOError:
            continue
        i = fd[s.fileno()]
        if b.split()[0] == ('flow-%d' % i).encode():
            got[i] = True
    return bool(rd)

# udpone SRC SPORT DST DPORT TRIES: one flow from a fixed port, true when an
# echo came back (retries bounded, 1 s each).
def udpone(argv):
    src, sport, dst, dport, tries = argv[0], int(argv[1]), argv[2], int(argv[3]), int(argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    s.settimeout(1.0)
    for t in range(tries):
        s.sendto(b'one genkan-napt-e2e', (dst, dport))
        try:
            if s.recvfrom(4096)[0].startswith(b'one '):
                print('answered after %d tries' % (t + 1))
                sys.exit(0)
        except socket.timeout:
            pass
    print('no answer after %d tries' % tries)
    sys.exit(1)

# udpburst SRC DST DPORT BASE N: one datagram from each of N new ports.
def udpburst(argv):
    src, dst, dport, base, n = argv[0], argv[1], int(argv[2]), int(argv[3]), int(argv[4])
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, base + i))
        s.sendto(b'burst genkan-napt-e2e', (dst, dport))
        s.close()

# udprefused SRC DST DPORT TRIES: a connected UDP socket to a closed port;
# true once the ICMP port unreachable comes back to it as ECONNREFUSED (the
# kernel matches the error's quoted header against the socket).
def udprefused(argv):
    src, dst, dport, tries = argv[0], argv[1], int(argv[2]), int(argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.connect((dst, dport))
    s.settimeout(1.0)
    for t in range(tries):
        try:
            s.send(b'refused genkan-napt-e2e')
            s.recv(4096)
        except ConnectionRefusedError:
            print('refused after %d tries' % (t + 1))
            sys.exit(0)
        except socket.timeout:
            pass
    print('no ICMP error after %d tries' % tries)
    sys.exit(1)

# udpsink SRC PORT OUT DST DPORT: says hello to DST:DPORT three times (the
# NAT session), then writes one line per datagram (its first word) to OUT.
def udpsink(argv):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((argv[0], int(argv[1])))
    for i in range(3):
        s.sendto(b'hello genkan-napt-e2e', (argv[3], int(argv[4])))
    with open(argv[2], 'a', buffering=1) as f:
        while True:
            f.write(s.recv(4096).split()[0].decode(errors='replace') + '\n')

# udpfrom SPORT DST DPORT N WORD: N datagrams "WORD i" from a fixed port.
def udpfrom(argv):
    sport, dst, dport, n, word = int(argv[0]), argv[1], int(argv[2]), int(argv[3]), argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('0.0.0.0', sport))
    for i in range(n):
        s.sendto(('%s %d' % (word, i)).encode(), (dst, dport))

# tcpecho PORT: echo each connection until EOF (one thread each).
def tcpecho(argv):
    import socketserver
    class H(socketserver.BaseRequestHandler):
        def handle(self):
            while True:
                b = self.request.recv(65536)
                if not b:
                    break
                self.request.sendall(b)
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.daemon_threads = True
    socketserver.ThreadingTCPServer.request_queue_size = 256
    socketserver.ThreadingTCPServer(('0.0.0.0', int(argv[0])), H).serve_forever()

# tcpconns SRC DST DPORT N SIZE: connect N sockets at once (all held open,
# 30 s for all of them), then on each send SIZE random bytes and read the
# echo back (10 s without progress fails a connection), compare.
def tcpconns(argv):
    import time
    src, dst, dport, n, size = argv[0], argv[1], int(argv[2]), int(argv[3]), int(argv[4])
    socks = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.setblocking(False)
        s.connect_ex((dst, dport))
        socks.append(s)
    pending, up = set(socks), set()
    end = time.monotonic() + 30
    while pending and time.monotonic() < end:
        _, w, _ = select.select([], list(pending), [], max(0, end - time.monotonic()))
        for s in w:
            pending.discard(s)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                up.add(s)
    conn = len(up)
    socks = [s if s in up else None for s in socks]
    for s in socks:
        if s:
            s.setblocking(True)
            s.settimeout(10)
    res = [None] * n
    def xfer(i, s):
        data = os.urandom(size)
        try:
            t = threading.Thread(target=s.sendall, args=(data,))
            t.start()
            got = bytearray()
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += b
                if len(got) >= size:
                    break
            t.join()
            res[i] = bytes(got) == data
        except OSError as e:
            print('xfer %d: %s' % (i, e), file=sys.stderr)
            res[i] = False
    for i0 in range(0, n, 25):
        th = [threading.Thread(target=xfer, args=(i, socks[i]))
              for i in range(i0, min(n, i0 + 25)) if socks[i]]
        for t in th:
            t.start()
        for t in th:
            t.join()
    ok = sum(1 for r in res if r)
    for s in socks:
        if s:
            s.close()
    print(json.dumps({'conns': n, 'connected': conn, 'ok': ok}))

# pcap PCAP SETFILE SHARED LANADDR SRV: what reached the server, as shell
# variables: sources, ports/ids inside and outside the set, ranges used.
def pcap(argv):
    from scapy.all import PcapReader, IP, UDP, TCP, ICMP
    path, setf, shared, lan, srv = argv
    where = load_set(setf)
    c = {'PKTS': 0, 'FROM_SHARED': 0, 'FROM_LAN': 0, 'FROM_OTHER': 0,
         'UDP_PORTS': 0, 'TCP_PORTS': 0, 'ICMP_IDS': 0, 'OUTSIDE': 0}
    ports = {'udp': set(), 'tcp': set(), 'icmp': set()}
    ranges = {'udp': set(), 'tcp': set(), 'icmp': set()}
    bad = []
    for p in PcapReader(path):
        if IP not in p or p[IP].dst != srv:
            continue
        ip = p[IP]
        c['PKTS'] += 1
        if ip.src == shared:
            c['FROM_SHARED'] += 1
        elif ip.src == lan:
            c['FROM_LAN'] += 1
            continue
        else:
            c['FROM_OTHER'] += 1
            continue
        if UDP in ip:
            kind, v = 'udp', ip[UDP].sport
        elif TCP in ip:
            kind, v = 'tcp', ip[TCP].sport
        elif ICMP in ip and ip[ICMP].type == 8:
            kind, v = 'icmp', ip[ICMP].id
        else:
            continue
        ports[kind].add(v)
        if v in where:
            ranges[kind].add(where[v])
        else:
            c['OUTSIDE'] += 1
            bad.append('%s:%d' % (kind, v))
    c['UDP_PORTS'], c['TCP_PORTS'], c['ICMP_IDS'] = \
        len(ports['udp']), len(ports['tcp']), len(ports['icmp'])
    c['UDP_RANGES'], c['TCP_RANGES'], c['ICMP_RANGES'] = \
        len(ranges['udp']), len(ranges['tcp']), len(ranges['icmp'])
    c['ALL_RANGES'] = len(ranges['udp'] | ranges['tcp'] | ranges['icmp'])
    c['BAD'] = '"%s"' % ' '.join(bad[:10])
    print(' '.join('CAP_%s=%s' % kv for kv in c.items()))

# evlog LOG SETFILE T0 T1 FLOW...: the event log's lines as shell
# variables. Every line must read "ISO-time create|delete proto in:port
# out:port rem:port" with T0 <= time <= T1 (ISO strings, UTC). A FLOW is
# "proto inaddr:inport outaddr:OUTPORT remaddr:remport", OUTPORT '*' (any
# port of the set) or a number: EV_OK counts flows with exactly one create
# line whose outside port is in the set, EV_DEL those that also have
# exactly one delete line with the same tuples.
def evlog(argv):
    import re
    path, setf, t0, t1 = argv[:4]
    want = argv[4:]
    where = load_set(setf)
    rx = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (create|delete) '
                    r'(tcp|udp|icmp) (\S+):(\d+) (\S+):(\d+) (\S+):(\d+)$')
    lines = [l.rstrip('\n') for l in open(path)]
    bad, when, ev = 0, 0, {}
    for l in lines:
        m = rx.match(l)
        if not m:
            bad += 1
            continue
        if not t0 <= m.group(1) <= t1:
            when += 1
        key = (m.group(3), m.group(4), m.group(5), m.group(8), m.group(9))
        ev.setdefault(key, []).append((m.group(2), m.group(6), int(m.group(7))))
    ok = dels = 0
    miss = []
    for w in want:
        pr, i, o, r = w.split()
        ia, ip = i.split(':')
        oa, op = o.split(':')
        ra, rp = r.split(':')
        es = ev.get((pr, ia, ip, ra, rp), [])
        cr = [e for e in es if e[0] == 'create' and e[1] == oa and
              e[2] in where and (op == '*' or int(op) == e[2])]
        de = [e for e in es if e[0] == 'delete' and len(cr) == 1 and
              e[1:] == cr[0][1:]]
        if len(cr) == 1:
            ok += 1
            if len(de) == 1:
                dels += 1
        elif len(miss) < 3:
            miss.append(w.replace(' ', '_'))
    print('EV_LINES=%d EV_BAD=%d EV_WHEN=%d EV_OK=%d EV_DEL=%d EV_MISS="%s"' %
          (len(lines), bad, when, ok, dels, ' '.join(miss)))

{'eup': eup, 'oracle': oracle, 'evlog': evlog, 'udpecho': udpecho,
 'udpflows': udpflows,
 'udpone': udpone, 'udpburst': udpburst,
 'udprefused': udprefused, 'udpsink': udpsink, 'udpfrom': udpfrom, 'tcpecho': tcpecho,
 'tcpconns': tcpconns, 'pcap': pcap}[sys.argv[1]](sys.argv[2:])
EOF

# ------------------------------------------------------------------ the rule

R6=2001:db8::/40 R4=192.0.2.0/24 OFF=6
EA=$((8 + PSID_LEN))
BR6=2001:db8:ffff::1
SRV4=203.0.113.2 BR4=203.0.113.1
LAN_H=198.18.0.2 LAN_GW=198.18.0.1
SETF=$RUN/portset.txt
EVLOG=$RUN/nat-events.log	# phase 1's [nat] event_log

EUP=$("$PY" "$RUN/napt.py" eup $R4 $EA 192.0.2.18 $((0x34)))
if [ -z "$EUP" ] || ! eval "$("$PY" "$RUN/napt.py" oracle $R6 $R4 $EA $OFF "$EUP" "$SETF")"; then
	fail "oracle runs"
	summary
	exit 1
fi
log "CE: $CE_V4 PSID $(printf 0x%x "$CE_PSID")/$CE_PSID_LEN $CE_V6 (end-user prefix $EUP)"
log "port set: $NPORTS ports in $NRANGES ranges of $RSIZE: $FIRST ... $LAST"
# The oracle against RFC 7597 Appendix A, Example 1 (16 EA bits).
eval "$("$PY" "$RUN/napt.py" oracle $R6 $R4 16 6 2001:db8:12:3400::/56 "$RUN/rfc.txt" |
	sed 's/\([A-Z0-9_]*\)=/RFC_\1=/g')"
expect "oracle: RFC 7597 Appendix A (192.0.2.18, PSID 0x34, CE address, 63 ranges from 1232-1235)" \
	"$RFC_CE_V4 $RFC_CE_PSID $RFC_CE_V6 $RFC_NRANGES $RFC_FIRST $RFC_LAST" = \
	"192.0.2.18 52 2001:db8:12:3400:0:c000:212:34 63 1232-1235 64720-64723"
expect "oracle: our rule gives 192.0.2.18, PSID 0x34" "$CE_V4/$CE_PSID" = "192.0.2.18/52"
if [ "$NUDP" -ge "$NPORTS" ]; then
	log "E2E_UDP_FLOWS=$NUDP does not fit $NPORTS ports: using $((NPORTS - 20))"
	NUDP=$((NPORTS - 20))
fi

# ------------------------------------------------------------------ topology

topo_up() { mape_topo_up srv "$SRV4"; }

# ------------------------------------------------------------------ genkand

# write_conf GW [HOST_LIMIT]
write_conf()
{
	local g=$1 limit=${2:-}

	mkdir -p /run/genkan
	{
		conf_head "$g" e2e_napt
		echo
		case $g in
		ce1)
			conf_ce "$EUP"
			cat <<EOF

[nat]
enabled = yes
filtering = apdf
EOF
			[ -n "$limit" ] && echo "host_port_limit = $limit"
			[ -z "$limit" ] && echo "event_log = $EVLOG"
			cat <<EOF

[nat-map web]
proto = tcp
public_port = $STATIC_PORT
host = $LAN_H
host_port = 8080
EOF
			;;
		br)
			conf_br
			;;
		esac
		conf_map_rule
	} >"$(conf "$g")"
}

# up GW: start, wait for the ctl socket and both workers.
up()
{
	local g=$1

	gk_start "$g" || { fail "bpffs for $g"; return 1; }
	gw_ready "$g" "2 workers running"
}

# ------------------------------------------------------------------ NAT counters

# nstats FILE: `genkanctl -j nat stats` of ce1 into FILE.
nstats() { ctl ce1 -j nat stats >"$1" 2>"$1.err"; }

# nget FILE KEY: KEY from the top-level totals of a nat stats snapshot
# (.KEY, .drops.KEY or .totals.KEY/.totals.drops.KEY), NA when absent.
nget()
{
	jq -r --arg k "$2" '
		[.[$k], .drops[$k]?, .totals[$k]?, .totals.drops[$k]?] | map(numbers) |
		if length == 0 then "NA" else .[0] end
	' "$1" 2>/dev/null || echo NA
}

# nrefused FILE: new flows refused for lack of a port (exhausted + host_limit).
nrefused()
{
	local a b

	a=$(nget "$1" exhausted) b=$(nget "$1" host_limit)
	[[ "$a" =~ ^[0-9]+$ && "$b" =~ ^[0-9]+$ ]] && echo $((a + b)) || echo NA
}

delta()
{
	[[ "$1" =~ ^[0-9]+$ && "$2" =~ ^[0-9]+$ ]] && echo $(($2 - $1)) || echo NA
}

# nsess PROTO: live sessions of PROTO (udp, tcp, icmp) in `nat sessions -j`.
nsess()
{
	ctl ce1 -j nat sessions 2>/dev/null | jq -r --arg p "$1" '
		(if type == "array" then . else .sessions end) |
		map(select((.proto | tostring | ascii_downcase) as $x |
			$x == $p or ($p == "udp" and $x == "17") or
			($p == "tcp" and $x == "6") or ($p == "icmp" and $x == "1"))) |
		length' 2>/dev/null || echo NA
}

# evcheck FLOW...: the event log against FLOWs (napt.py evlog), into EV_*.
evcheck()
{
	EV_LINES=0 EV_BAD=0 EV_WHEN=0 EV_OK=0 EV_DEL=0 EV_MISS=
	[ -f "$EVLOG" ] || return 1
	eval "$("$PY" "$RUN/napt.py" evlog "$EVLOG" "$SETF" "$EV_T0" \
		"$(date -u +%Y-%m-%dT%H:%M:%S.999Z)" "$@")"
}

# ------------------------------------------------------------------ captures

# -B: 500 flows in a burst.
CAPOPT=(-B 8192 -s 128)

listens() { [ -n "$(nx "$1" ss -Hl"$2"n "sport = :$3")" ]; }

# ==================================================================== tests

log "run directory $RUN, build $GK_BUILD"
if ! topo_up; then
	fail "topology comes up"
	summary
	exit 1
fi
pass "topology comes up (5 namespaces)"
check "kernel forwarding is off in ce1 and br" fwd_off
check "h1 reaches ce1's LAN address" warm h1 $LAN_GW 1
check "srv reaches br's IPv4 address" warm srv $BR4 1
check "rt reaches ce1 and br over IPv6" eval \
	'warm rt 2001:db8:ff01::2 1 && warm rt 2001:db8:ff00::2 1 && warm rt $BR6 1'
if pingn h1 $SRV4 1; then
	fail "without genkan, the LAN host cannot reach the server"
else
	pass "without genkan, the LAN host cannot reach the server"
fi
kfwd_snap

log "starting genkand in ce1 (NAPT44, static tcp $STATIC_PORT -> $LAN_H:8080) and br"
for g in $GWS; do
	write_conf "$g"
	out=$("$GKD" -c "$(conf "$g")" --check 2>&1)
	expect "genkand --check accepts the $g config" "$?" -eq 0 || log "$out"
done
# A static port outside the set is refused with a clear error.
sed "s/^public_port = .*/public_port = $OUT_ID/" "$(conf ce1)" >"$RUN/bad.conf"
out=$("$GKD" -c "$RUN/bad.conf" --check 2>&1)
rc=$?
expect "--check refuses a static port outside the set ($OUT_ID)" "$rc" -ne 0
check "... and says why ('$(head -n 1 <<<"$out" | cut -c1-100)')" \
	grep -qi "outside\|port set" <<<"$out"
EV_T0=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)	# event log lines come after this
for g in $GWS; do
	up "$g" || { summary; exit 1; }
done
ctl ce1 -j map show >"$RUN/ce1.map" 2>&1
expect "map show ce1: IPv4/PSID/CE address as RFC 7597 computes" \
	"$(jq -r '"\(.ce.ipv4)/\(.ce.psid)/\(.ce.ce_ipv6)"' "$RUN/ce1.map" 2>/dev/null)" = \
	"$CE_V4/$CE_PSID/$CE_V6"

# ---------------------------------------------------------------- servers
bg srv "$RUN/udpecho.log" "$PY" "$RUN/napt.py" udpecho 7
bg srv "$RUN/tcpecho.log" "$PY" "$RUN/napt.py" tcpecho 7
mkdir -p "$RUN/www"
head -c $((1024 * 1024)) /dev/urandom >"$RUN/www/blob.bin"
SHA=$(sha256sum "$RUN/www/blob.bin" | cut -d' ' -f1)
bg h1 "$RUN/http-h1.log" "$PY" -m http.server --bind $LAN_H --directory "$RUN/www" 8080
bg h1 "$RUN/http-h1b.log" "$PY" -m http.server --bind $LAN_H --directory "$RUN/www" 8081
check "echo servers (srv udp/tcp 7) and the LAN web servers (h1 :8080, :8081) listen" eval \
	'wait_for 15 listens srv u 7 && wait_for 15 listens srv t 7 &&
	 wait_for 15 listens h1 t 8080 && wait_for 15 listens h1 t 8081'

# ---------------------------------------------------------------- runtime mapping
# Before any dynamic traffic: a dynamic binding may hold any port of the set
# (the add would then be refused with EBUSY, correctly).
log "runtime mapping: nat mappings add tcp $RT_PORT $LAN_H:8081, curl, del, curl"
out=$(ctl ce1 nat mappings add tcp "$RT_PORT" $LAN_H:8081 2>&1)
expect "nat mappings add tcp $RT_PORT $LAN_H:8081 succeeds${out:+ ($out)}" "$?" -eq 0
check "nat mappings -j lists it" eval \
	"ctl ce1 -j nat mappings | jq -e '.mappings[] | select(.public_port == $RT_PORT and .host_port == 8081)' >/dev/null"
rm -f "$RUN/got-rt.bin"
RT_CPORT=$(nx srv curl -s -S -f --connect-timeout 20 --max-time 60 -o "$RUN/got-rt.bin" \
	-w '%{local_port}' "http://$CE_V4:$RT_PORT/blob.bin" 2>"$RUN/curl-rt.err")
expect "curl http://$CE_V4:$RT_PORT/ through the runtime mapping, sha256 ok" \
	"$(sha256sum "$RUN/got-rt.bin" 2>/dev/null | cut -d' ' -f1)" = "$SHA"
out=$(ctl ce1 nat mappings del tcp "$RT_PORT" 2>&1)
expect "nat mappings del tcp $RT_PORT succeeds${out:+ ($out)}" "$?" -eq 0
if nx srv curl -s -f --connect-timeout 3 --max-time 5 -o /dev/null \
	"http://$CE_V4:$RT_PORT/blob.bin" 2>/dev/null; then
	fail "after del, port $RT_PORT is closed"
else
	pass "after del, port $RT_PORT is closed"
fi
# Event log: the curl's session was created, and deleted with the mapping
# (genkand writes the lines on its tick). Sessions are not deleted when
# genkand stops: only expiry and mapping deletion write delete lines.
RT_FLOW="tcp $LAN_H:8081 $CE_V4:$RT_PORT $SRV4:${RT_CPORT:-0}"
evdel() { evcheck "$RT_FLOW" && [ "$EV_DEL" = 1 ]; }
wait_for 5 evdel
log "event log after the runtime mapping: $EV_LINES lines ($EV_BAD malformed, $EV_WHEN out of time)"
expect "event log: one create line for $RT_FLOW" "$EV_OK" -eq 1
expect "event log: one delete line for it (nat mappings del ends it)" "$EV_DEL" -eq 1
expect "event log: every line well formed" "$EV_BAD" -eq 0
expect "event log: every timestamp within the run" "$EV_WHEN" -eq 0
out=$(ctl ce1 nat mappings add tcp "$OUT_ID" $LAN_H:8081 2>&1)
rc=$?
expect "nat mappings add with port $OUT_ID (outside the set) is refused" "$rc" -ne 0
check "... and says why ('$(head -n 1 <<<"$out" | cut -c1-100)')" grep -qi "outside" <<<"$out"

# ---------------------------------------------------------------- capture at the server
cap_start srv srv eth0 "ip and dst host $SRV4" "${CAPOPT[@]}" || fail "capture on the server starts"
check "warm-up: ping LAN host -> server" warm h1 $SRV4 1
nstats "$RUN/st.p0" || log "nat stats: $(cat "$RUN/st.p0.err")"

# ---------------------------------------------------------------- UDP
log "UDP: $NUDP flows from $LAN_H:30000-$((30000 + NUDP - 1)), all open at once"
out=$(nx h1 "$PY" "$RUN/napt.py" udpflows $LAN_H $SRV4 7 30000 "$NUDP" 5 2>&1)
log "udpflows: $out"
expect "UDP: every flow got its echo back" \
	"$(jq -r .answered <<<"$out" 2>/dev/null)" -eq "$NUDP"
expect "nat sessions -j: >= $NUDP live UDP sessions at once" "$(nsess udp)" -ge "$NUDP"
UDP_FLOWS=()
for ((i = 0; i < NUDP; i++)); do
	UDP_FLOWS+=("udp $LAN_H:$((30000 + i)) $CE_V4:* $SRV4:7")
done
evudp() { evcheck "${UDP_FLOWS[@]}" && [ "$EV_OK" -ge "$NUDP" ]; }
wait_for 5 evudp
log "event log after the UDP flows: $EV_LINES lines, missing e.g. $EV_MISS"
expect "event log: one create line (outside port in the set) per UDP flow" "$EV_OK" -eq "$NUDP"
expect "event log: every line well formed, timestamps within the run" \
	"$EV_BAD/$EV_WHEN" = "0/0"

# ---------------------------------------------------------------- TCP
log "TCP: $NTCP connections held open together, 64 KiB echoed on each"
out=$(nx h1 "$PY" "$RUN/napt.py" tcpconns $LAN_H $SRV4 7 "$NTCP" 65536 2>"$RUN/tcp.err")
log "tcpconns: $out"
[ -s "$RUN/tcp.err" ] && log "tcpconns stderr: $(head -n 3 "$RUN/tcp.err" | tr '\n' ' ')"
expect "TCP: all connections established" "$(jq -r .connected <<<"$out" 2>/dev/null)" -eq "$NTCP"
expect "TCP: every transfer came back intact" "$(jq -r .ok <<<"$out" 2>/dev/null)" -eq "$NTCP"

# ---------------------------------------------------------------- ICMP
log "ping LAN host -> server with ICMP id $OUT_ID (outside the set)"
check "ping -n -c $N -e $OUT_ID LAN host -> server, all answered" pingn h1 $SRV4 $N -e "$OUT_ID"

# ---------------------------------------------------------------- capture
# Positive controls before stopping: every flow and the pings are in the file.
wait_for 15 cap_has srv "udp and dst port 7" "$NUDP"
wait_for 15 cap_has srv "icmp[icmptype] == icmp-echo" "$N"
cap_stop srv
out=$("$PY" "$RUN/napt.py" pcap "$RUN/srv.pcap" "$SETF" "$CE_V4" $LAN_H $SRV4 2>"$RUN/pcap.err")
if ! eval "$out" 2>/dev/null || [ -z "${CAP_PKTS:-}" ]; then
	fail "scapy parses the server capture ($(tail -n 1 "$RUN/pcap.err"))"
	CAP_PKTS=0
fi
log "server capture: $CAP_PKTS packets, UDP ports $CAP_UDP_PORTS in $CAP_UDP_RANGES ranges," \
	"TCP ports $CAP_TCP_PORTS in $CAP_TCP_RANGES ranges, ICMP ids $CAP_ICMP_IDS in" \
	"$CAP_ICMP_RANGES ranges; $CAP_ALL_RANGES of $NRANGES ranges used"
expect "capture: every packet to the server comes from $CE_V4" \
	"$CAP_FROM_SHARED" -eq "$CAP_PKTS"
expect "capture: none from the LAN address $LAN_H" "$CAP_FROM_LAN" -eq 0
expect "capture: packets seen" "$CAP_PKTS" -ge $((NUDP + NTCP + N))
expect "capture: no source port / ICMP id outside the set [$CAP_BAD]" "$CAP_OUTSIDE" -eq 0
expect "capture: $NUDP distinct UDP source ports" "$CAP_UDP_PORTS" -eq "$NUDP"
expect "capture: $NTCP distinct TCP source ports" "$CAP_TCP_PORTS" -eq "$NTCP"
expect "capture: ICMP echo ids translated into the set" "$CAP_ICMP_IDS" -ge 1
# 500 flows over 63 ranges of 16: a spread allocator touches all of them;
# "more than one" is the issue's floor, 32 shows it is not filling range 1.
expect "capture: UDP ports drawn from more than one range" "$CAP_UDP_RANGES" -gt 1
expect "capture: UDP ports drawn from at least half the ranges" "$CAP_UDP_RANGES" -ge $(((NRANGES + 1) / 2))
expect "capture: TCP ports drawn from more than one range" "$CAP_TCP_RANGES" -gt 1

nstats "$RUN/st.p1"
expect "nat stats: nothing refused for lack of ports" \
	"$(delta "$(nrefused "$RUN/st.p0")" "$(nrefused "$RUN/st.p1")")" -eq 0

# ---------------------------------------------------------------- ICMP errors, filtering
log "ICMP error: UDP to the server's closed port 9; the port unreachable is translated back"
nstats "$RUN/st.i0"
check "the LAN socket gets ECONNREFUSED (ICMP error translated to the inside tuple)" \
	nx h1 "$PY" "$RUN/napt.py" udprefused $LAN_H $SRV4 9 5
nstats "$RUN/st.i1"
expect "nat stats: icmp_err_pkts grew" \
	"$(delta "$(nget "$RUN/st.i0" icmp_err_pkts)" "$(nget "$RUN/st.i1" icmp_err_pkts)")" -ge 1

log "APDF filtering: only the remote the LAN host contacted gets in"
: >"$RUN/apdf.sink"
bg h1 "$RUN/apdf.log" "$PY" "$RUN/napt.py" udpsink $LAN_H 29001 "$RUN/apdf.sink" $SRV4 7777
outport()
{
	OP=$(ctl ce1 -j nat sessions --host $LAN_H --proto udp --port 29001 2>/dev/null |
		jq -r '[.sessions[] | select(.inside_port == 29001 and .remote_port == 7777) |
			.outside_port][0] // empty')
	[ -n "$OP" ]
}
OP=NA
check "nat sessions --port 29001: $LAN_H:29001 -> $SRV4:7777 has a session" wait_for 10 outport
expect "... on an outside port in the set ($OP)" "$(grep -qw -- "$OP" "$SETF" && echo yes)" = yes
nstats "$RUN/st.f0"
nx srv "$PY" "$RUN/napt.py" udpfrom 5555 "$CE_V4" "$OP" 10 stranger
nx srv "$PY" "$RUN/napt.py" udpfrom 7777 "$CE_V4" "$OP" 10 friend
# The contacted remote is the positive control for the strangers sent before it.
check "the contacted remote ($SRV4:7777) reaches $LAN_H:29001 through $CE_V4:$OP" \
	wait_for 10 eval "[ \$(grep -c '^friend' '$RUN/apdf.sink') -ge 10 ]"
nstats "$RUN/st.f1"
expect "a stranger ($SRV4:5555) gets nothing through" "$(grep -c '^stranger' "$RUN/apdf.sink")" -eq 0
expect "nat stats: filtered grew by 10" \
	"$(delta "$(nget "$RUN/st.f0" filtered)" "$(nget "$RUN/st.f1" filtered)")" -eq 10

# ---------------------------------------------------------------- static mapping
log "static mapping: tcp $CE_V4:$STATIC_PORT -> $LAN_H:8080 (curl from the server)"
ctl ce1 -j nat mappings >"$RUN/maps.json" 2>&1
check "nat mappings -j lists tcp $STATIC_PORT -> $LAN_H:8080" \
	grep -q "$STATIC_PORT" "$RUN/maps.json"
nx srv curl -s -S -f --connect-timeout 20 --max-time 60 -o "$RUN/got-static.bin" \
	"http://$CE_V4:$STATIC_PORT/blob.bin" 2>"$RUN/curl-static.err"
[ -s "$RUN/curl-static.err" ] && log "curl: $(head -c 300 "$RUN/curl-static.err")"
expect "curl http://$CE_V4:$STATIC_PORT/ from the server: 1 MiB, sha256 ok" \
	"$(sha256sum "$RUN/got-static.bin" 2>/dev/null | cut -d' ' -f1)" = "$SHA"
check "the LAN web server saw the request from $SRV4" grep -q "^$SRV4 .*GET /blob.bin" "$RUN/http-h1.log"
# A port of the set without a mapping stays closed.
if nx srv curl -s -f --connect-timeout 3 --max-time 5 -o /dev/null \
	"http://$CE_V4:$((STATIC_PORT + 1))/blob.bin" 2>/dev/null; then
	fail "port $((STATIC_PORT + 1)) (in the set, unmapped) is closed"
else
	pass "port $((STATIC_PORT + 1)) (in the set, unmapped) is closed"
fi

# ---------------------------------------------------------------- hairpin
# RFC 4787 REQ-9 / RFC 5382 REQ-8: the LAN host reaches its own static
# mapping on the shared address. The connection's outbound flow belongs to
# hash(host, port) % 2, the static port to its owner: about half of the
# connections cross workers (handed over after NAPT out). nat sessions
# says which worker holds each half; curl until both cases were seen.
log "hairpin: curl from $LAN_H to $CE_V4:$STATIC_PORT (its own static mapping)"
HP_OK=0 HP_BAD=0 HP_X=0 HP_SAME=0
for ((k = 0; k < 24; k++)); do
	rm -f "$RUN/got-hp.bin"
	cport=$(nx h1 curl -s -S -f --connect-timeout 10 --max-time 30 -o "$RUN/got-hp.bin" \
		-w '%{local_port}' "http://$CE_V4:$STATIC_PORT/blob.bin" 2>>"$RUN/curl-hp.err")
	if [ "$(sha256sum "$RUN/got-hp.bin" 2>/dev/null | cut -d' ' -f1)" != "$SHA" ]; then
		HP_BAD=$((HP_BAD + 1))
		continue
	fi
	HP_OK=$((HP_OK + 1))
	ctl ce1 -j nat sessions --proto tcp >"$RUN/hp-sess.json" 2>&1
	# the client half (inside h1:cport) and the server half (inside
	# :8080, remote = the client half's outside port)
	read -r cw sw <<<"$(jq -r --arg h $LAN_H --arg e "$CE_V4" \
		--argjson c "${cport:-0}" --argjson s "$STATIC_PORT" '
		[.sessions[] | select(.inside_addr == $h and .inside_port == $c and
			.remote_addr == $e and .remote_port == $s)][0] as $cl |
		[.sessions[] | select(.inside_port == 8080 and .remote_addr == $e and
			.remote_port == $cl.outside_port)][0] as $sv |
		"\($cl.worker // "x") \($sv.worker // "y")"' "$RUN/hp-sess.json" 2>/dev/null)"
	if [ "${cw:-x}" = "${sw:-y}" ]; then
		HP_SAME=$((HP_SAME + 1))
	elif [[ "${cw:-x}${sw:-y}" =~ ^[0-9]+$ ]]; then
		HP_X=$((HP_X + 1))
	fi
	[ $HP_SAME -ge 2 ] && [ $HP_X -ge 2 ] && break
done
[ -s "$RUN/curl-hp.err" ] && log "curl: $(head -c 300 "$RUN/curl-hp.err")"
log "hairpin: $HP_OK ok, $HP_BAD failed; halves on one worker $HP_SAME, across workers $HP_X"
expect "hairpin: every curl from the LAN host to $CE_V4:$STATIC_PORT got the 1 MiB, sha256 ok" \
	"$HP_BAD" -eq 0
expect "hairpin: connections with both halves on one worker" "$HP_SAME" -ge 2
expect "hairpin: connections whose halves are on different workers (handed over)" "$HP_X" -ge 2
check "the LAN web server saw requests from $CE_V4 (hairpinned)" \
	grep -q "^$CE_V4 .*GET /blob.bin" "$RUN/http-h1.log"

# ---------------------------------------------------------------- exhaustion
log "exhaustion: ce1 restarted with host_port_limit = $LIMIT"
# the first ce1's accounting (its hairpins were handed over between
# workers); teardown checks the restarted one
acct_check ce1
stop_pid "${GKPID[ce1]}" TERM
GKPID[ce1]=
write_conf ce1 "$LIMIT"
out=$("$GKD" -c "$(conf ce1)" --check 2>&1)
expect "genkand --check accepts host_port_limit = $LIMIT" "$?" -eq 0 || log "$out"
up ce1 || { summary; exit 1; }
check "existing flow (udp $LAN_H:29000) opens" \
	nx h1 "$PY" "$RUN/napt.py" udpone $LAN_H 29000 $SRV4 7 10
cap_start ex srv eth0 "ip and dst host $SRV4 and udp" "${CAPOPT[@]}" || fail "capture on the server starts"
nstats "$RUN/st.e0" || log "nat stats: $(cat "$RUN/st.e0.err")"
log "$FLOOD new flows from $LAN_H:31000-$((31000 + FLOOD - 1)), one datagram each"
nx h1 "$PY" "$RUN/napt.py" udpburst $LAN_H $SRV4 7 31000 "$FLOOD"
# Every one of them is either translated (at the server) or refused (counted).
seen_or_refused()
{
	local ref got

	nstats "$RUN/st.e1" || return 1
	ref=$(delta "$(nrefused "$RUN/st.e0")" "$(nrefused "$RUN/st.e1")")
	got=$(cap_count ex "udp and dst port 7 and not src port 29000")
	[[ "$ref" =~ ^[0-9]+$ ]] && [ $((ref + got)) -ge "$FLOOD" ]
}
wait_for 15 seen_or_refused
check "the existing flow still gets its echo" \
	nx h1 "$PY" "$RUN/napt.py" udpone $LAN_H 29000 $SRV4 7 10
wait_for 10 cap_has ex "udp and dst port 7" 2
cap_stop ex
nstats "$RUN/st.e1"
REF=$(delta "$(nrefused "$RUN/st.e0")" "$(nrefused "$RUN/st.e1")")
NEWP=$(tcpdump -r "$RUN/ex.pcap" -n 'udp and dst port 7' 2>/dev/null |
	awk '{ print $3 }' | sort -u | wc -l)
log "nat stats: refused grew by $REF; the server saw $NEWP source ports"
expect "nat stats -j: exhaustion/limit counter grew by >= $((FLOOD - LIMIT))" "$REF" -ge $((FLOOD - LIMIT))
expect "the server saw at most $LIMIT source ports from the host" "$NEWP" -le "$LIMIT"
expect "the server saw the existing flow and some new ones" "$NEWP" -ge 2
# A second flood: the counter keeps growing, the flow keeps working.
nx h1 "$PY" "$RUN/napt.py" udpburst $LAN_H $SRV4 7 32000 "$FLOOD"
grew() { nstats "$RUN/st.e2" && [ "$(delta "$(nrefused "$RUN/st.e1")" "$(nrefused "$RUN/st.e2")")" -ge "$FLOOD" ] 2>/dev/null; }
check "a second flood of $FLOOD: all refused, counted" wait_for 15 grew
check "the existing flow still gets its echo" \
	nx h1 "$PY" "$RUN/napt.py" udpone $LAN_H 29000 $SRV4 7 10
# .hosts[] is per worker: a host whose flows hash to both appears twice.
HOSTREF=$(jq -r --arg h $LAN_H '[.hosts[]? | select(.addr == $h) | .refused | numbers] |
	add // "NA"' "$RUN/st.e2" 2>/dev/null)
expect "nat stats -j: per-host refusals for $LAN_H" "${HOSTREF:-NA}" -ge "$FLOOD"

# ---------------------------------------------------------------- the end
for g in $GWS; do
	read -r a4 a6 <<<"${KF0[$g]}"
	read -r b4 b6 <<<"$(kfwd "$g")"
	expect "$g kernel forwarded no IPv4 (ForwDatagrams)" $((b4 - a4)) -eq 0
	expect "$g kernel forwarded no IPv6 (Ip6OutForwDatagrams)" $((b6 - a6)) -eq 0
done
check "kernel forwarding still off in ce1 and br" fwd_off
for g in $GWS; do
	check "genkand $g still running" kill -0 "${GKPID[$g]}"
done

summary
