#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# veth forwarding benchmark: the same small-packet flood crosses the gateway
# namespace first forwarded by the kernel, then by genkan once per hand-off
# mode (xdp_meta = meta, head, parse), and the packets per second that reach
# the server are compared with the kernel's figure of the same run. It
# measures, it asserts nothing about speed. Exit status: 0 when every phase
# produced a figure or was refused by this kernel (xdp_meta = meta where the
# verifier refuses bpf_xdp_adjust_meta), 1 on a setup failure, a generator
# that sent nothing, or a genkan mode that did not forward.
#
#   client ns: generator        gateway ns                        server ns: sink
#   gkc0 192.0.2.2  <veth>  gkg0 192.0.2.1 | gkg1 198.51.100.1  <veth>  gks0 198.51.100.2
#   phase kernel:      ip_forward=1, no genkan
#   phase genkan/MODE: ip_forward=0, genkand with etc/lab.conf + xdp_meta = MODE
#
# Generator (--gen). auto probes, on gkc0, for half a second each:
#  - xdpgen (bench/xdpgen.c): loops BPF_PROG_TEST_RUN with live XDP frames,
#    so each frame goes from gkc0 straight into gkg0's XDP ring without an
#    skb on the client side. Some kernels refuse live frames (EPERM); the
#    probe then fails and the output says why;
#  - afpgen (bench/afpgen.c): AF_PACKET with qdisc bypass, sendmmsg by
#    default (--afp-mode ring: a TPACKET_V2 TX ring); one skb per frame.
# The first that sends wins (--udp-csum: afpgen only, frames with a real UDP
# checksum instead of 0, so that "checksum = complete" has work to do). testpmd (dpdk-testpmd txonly over an AF_XDP
# vdev, gkc0 queue 0 only) and iperf3 (-u -b 0, through the client's stack)
# are there on request. The output names the generator that ran; a
# generator that sends nothing is an error, never a "0 pps" line.
# xdpgen and afpgen frames land on gkg0 RX queue (sending CPU % 2), so
# --gen-cpus picks the queues. UDP source ports cycle over 64 values. Their
# frames are checked byte for byte against scapy's build first.
# gkg0 has GRO on in every phase: xdpgen's frames need NAPI on the
# receiving veth end, and genkan's XDP program turns NAPI on anyway, so the
# kernel phase takes the same veth receive path.
# Sink: the RX packet counter of gks0 over the measured window. --sink stack
# (default): the server's stack drops the UDP port 9 flood (route lookup,
# ICMP port unreachable attempt), the same work for every phase, charged to
# the forwarder's CPU (the generator's softirq for the kernel, the worker's
# sendto for genkan). --sink xdp: an XDP program on gks0 drops it first;
# cheaper, but not symmetric: skbs from AF_XDP copy-mode TX have too little
# headroom for veth XDP and get copied (skb_pp_cow_data), kernel-forwarded
# ones built from xdp_frames do not.
# Offered load: gkc0's TX packets + TX drops over the same window (veth
# counts there the frames its peer took through ndo_xdp_xmit).
# Cycles per packet (genkan only): the workers' busy TSC cycles (polls that
# found work) over the packets they received in the window. The classifier
# runs in softirq on the generator's CPU and is not in it; the kernel's
# forwarding runs there too, which is why the kernel has no such figure.
#
# Pipelines (--pipeline, default l3: all of the above). The MAP-E ones run
# genkand as in tests/e2e/e2e_mape.sh and e2e_napt.sh, the RFC 7597
# Appendix A rule (2001:db8::/40 <-> 192.0.2.0/24, 16 EA bits, PSID offset
# 6, FMR; its CE is 192.0.2.18, PSID 0x34, 2001:db8:12:3400:0:c000:212:34;
# BR 2001:db8:ffff::1), and re-address the three namespaces:
#   br-decap  BR, ipv6_port lan: gkc0 2001:db8:ff00::1 | gkg0 ff00::2,
#             gkg1 203.0.113.1 | gks0 203.0.113.2. IPv4-in-IPv6 from the CE
#             to the BR (inner UDP to gks0 port 9, source ports of the CE's
#             set); gks0 gets the decapsulated IPv4.
#   br-encap  BR, ipv4_port lan: gkc0 203.0.113.2 | gkg0 203.0.113.1,
#             gkg1 2001:db8:ff00::2 | gks0 ff00::1 (::/0 of the BR). UDP from
#             1000 internet hosts (198.18.0.0/15) to 192.0.2.18, ports of its
#             set; gks0 gets IPv4-in-IPv6 to the CE address.
#   ce-napt   CE with [nat]: gkc0 198.51.100.2 | gkg0 198.51.100.1, gkg1
#             2001:db8:ff01::2 | gks0 ff01::1 (::/0 of the CE). UDP from 96
#             LAN endpoints (16 hosts x 6 ports) to 1000 destinations in
#             198.18.0.0/15: translated to 192.0.2.18 and ports of its set,
#             encapsulated to the BR; gks0 gets IPv4-in-IPv6.
# SIZE is the frame of the inner IPv4 packet (as the l3 pipeline's frame:
# SIZE - 14 bytes of IPv4), 42..1474: br-decap's frames carry 40 bytes of
# IPv6 more, and an encapsulated packet must leave as one frame (the tunnel
# MTU is the veth's 1500 - 40; above it genkan sends two IPv6 fragments and
# gks0 would count both). Default sizes: 64 1474.
# The frames come from a pcap that scapy writes (1000 frames per size) and
# afpgen --pcap sends (checked against scapy's first frame); MAP-E
# pipelines run genkan only, with afpgen and the stack sink. Once per run,
# before the windows, a paced second of them is captured on gks0 (tcpdump)
# and every frame must be what the pipeline makes (scapy: addresses, port
# set, TTL - 1, lengths, checksums); in each window genkan's MAP-E counter
# (decap_pkts for br-decap, else encap_pkts) must grow as well as gks0's,
# or the window failed. gks0's RX packet counter counts IPv4 and IPv6 alike.
#
# Usage: bench/veth_bench.sh [--seconds N] [--sizes "64 1514"]
#                            [--gen auto|xdpgen|afpgen|testpmd|iperf3]
#                            [--afp-mode mmsg|ring] [--udp-csum]
#                            [--gen-cpus LIST] [--gen-pps N]
#                            [--modes "meta head parse"] [--checksum MODE]
#                            [--workers N] [--worker-cpus LIST] [--sink xdp|stack]
#                            [--reps N] [--kernel-only] [--genkan-only]
#                            [--pipeline l3|br-decap|br-encap|ce-napt]
# Sizes are Ethernet frame lengths without FCS. --modes lists the xdp_meta
# values to run genkan with (meta, head, parse, auto), --checksum sets
# "checksum" (auto, trust, complete) in [genkan]; without it the config's
# default applies. --reps N repeats the whole sequence of phases N times,
# interleaved, and reports the median with min..max (default 1).
# --workers/--worker-cpus override "workers" and add "cpus"
# in the per-run copy of etc/lab.conf; --gen-cpus (default 0,1) is the
# xdpgen/afpgen thread list, --gen-pps caps their total rate (default 0:
# unpaced; a cap leaves CPU to the forwarder instead of burning it on frames
# dropped at the gateway). With --workers 1 the defaults become
# --worker-cpus 1 --gen-cpus 0: worker 0 serves RX queue 0, which only
# CPU 0's frames reach.
# Environment: GK_BUILD (default <repo>/build), LAB_KEEP=1 keeps logs.
#
# veth note: everything shares the machine's cores (generator threads, the
# softirq work they trigger, genkan's polling workers), so absolute figures
# say little about real NICs; the ratio to the kernel is the point. Each
# genkan phase prints per-size counter deltas (worker drops, port
# tx_drops/rx_no_buf, XDP events, worker busy share, packets per hand-off
# mode) to explain a gap.

set -u

SECS=10
SIZES=
GEN=auto
AFP_MODE=mmsg
UDP_CSUM=
GEN_CPUS=
GEN_PPS=0
SINK=auto
MODES="meta head parse"
CSUM=
WORKERS=
WORKER_CPUS=
REPS=1
KERNEL_ONLY=
GENKAN_ONLY=
PIPE=l3

usage()
{
	sed -n '3,/^$/ s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECS=$2; shift ;;
	--sizes) SIZES=$2; shift ;;
	--gen) GEN=$2; shift ;;
	--afp-mode) AFP_MODE=$2; shift ;;
	--udp-csum) UDP_CSUM=1 ;;
	--gen-cpus) GEN_CPUS=$2; shift ;;
	--gen-pps) GEN_PPS=$2; shift ;;
	--modes) MODES=$2; shift ;;
	--checksum) CSUM=$2; shift ;;
	--sink) SINK=$2; shift ;;
	--workers) WORKERS=$2; shift ;;
	--worker-cpus) WORKER_CPUS=$2; shift ;;
	--reps) REPS=$2; shift ;;
	--kernel-only) KERNEL_ONLY=1 ;;
	--genkan-only) GENKAN_ONLY=1 ;;
	--pipeline) PIPE=$2; shift ;;
	-h | --help) usage ;;
	*) echo "unknown argument: $1" >&2; usage ;;
	esac
	shift
done

case $PIPE in
l3) ;;
br-decap | br-encap | ce-napt)
	SIZES=${SIZES:-64 1474}
	# The kernel has no MAP-E here, xdpgen sends only its UDP frame and
	# the xdp sink counts only that.
	[ -n "$KERNEL_ONLY" ] && { echo "--pipeline $PIPE runs genkan only" >&2; usage; }
	GENKAN_ONLY=1
	case $GEN in auto | afpgen) GEN=afpgen ;;
	*) echo "--pipeline $PIPE needs --gen afpgen (--pcap)" >&2; usage ;;
	esac
	[ "$SINK" = xdp ] && { echo "--pipeline $PIPE needs --sink stack" >&2; usage; }
	[ -n "$UDP_CSUM" ] && { echo "--udp-csum does not apply to --pipeline $PIPE" >&2; usage; }
	;;
*) echo "unknown pipeline: $PIPE" >&2; usage ;;
esac
SIZES=${SIZES:-64 1514}
case $SINK in
auto | xdp | stack) ;;
*) echo "unknown sink: $SINK" >&2; usage ;;
esac
case $GEN in
auto | xdpgen | afpgen | testpmd | iperf3) ;;
*) echo "unknown generator: $GEN" >&2; usage ;;
esac
case $AFP_MODE in
mmsg | ring) ;;
*) echo "unknown afpgen mode: $AFP_MODE" >&2; usage ;;
esac
case $GEN in
auto | afpgen) ;;
*) [ -n "$UDP_CSUM" ] && { echo "--udp-csum needs --gen afpgen" >&2; usage; } ;;
esac
case $CSUM in
'' | auto | trust | complete) ;;
*) echo "unknown checksum mode: $CSUM" >&2; usage ;;
esac
for m in $MODES; do
	case $m in
	auto | meta | head | parse) ;;
	*) echo "unknown xdp_meta mode: $m" >&2; usage ;;
	esac
done
[ -n "$MODES" ] || { echo "--modes is empty" >&2; usage; }
[[ "$SECS" =~ ^[1-9][0-9]*$ ]] || { echo "bad --seconds: $SECS" >&2; usage; }
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || { echo "bad --reps: $REPS" >&2; usage; }
if [ -n "$WORKERS" ] && ! [[ "$WORKERS" =~ ^[1-9][0-9]*$ ]]; then
	echo "bad --workers: $WORKERS" >&2
	usage
fi
if [ "$WORKERS" = 1 ]; then
	WORKER_CPUS=${WORKER_CPUS:-1}
	GEN_CPUS=${GEN_CPUS:-0}
fi
GEN_CPUS=${GEN_CPUS:-0,1}

. "$(dirname "$0")/../lab/lab.sh"

XDPGEN=$GK_BUILD/bench/xdpgen
AFPGEN=$GK_BUILD/bench/afpgen
[ "$SINK" = auto ] && SINK=stack
[ "$SINK" = xdp ] && [ ! -x "$XDPGEN" ] &&
	{ echo "no $XDPGEN (ninja -C $GK_BUILD bench/xdpgen)" >&2; exit 1; }

# The per-run config: lab.sh's copy of etc/lab.conf, then our overrides
# (XDP_META is set per genkan phase).
XDP_META=
eval "lab_write_conf_base() $(declare -f lab_write_conf | tail -n +2)"
lab_write_conf()
{
	lab_write_conf_base || return 1
	if [ -n "$WORKERS" ]; then
		sed -i "s|^workers[[:space:]]*=.*|workers = $WORKERS|" "$GK_CONF"
		grep -q "^workers = $WORKERS\$" "$GK_CONF" ||
			lab_die "could not set workers in $GK_CONF"
	fi
	if [ -n "$WORKER_CPUS" ]; then
		sed -i "s|^workers[[:space:]]*=.*|&\ncpus = $WORKER_CPUS|" "$GK_CONF"
	fi
	# [genkan] is the first section: insert after its header.
	if [ -n "$XDP_META" ]; then
		sed -i "0,/^\[genkan\]/ s|^\[genkan\]\$|&\nxdp_meta = $XDP_META|" "$GK_CONF"
		grep -q "^xdp_meta = $XDP_META\$" "$GK_CONF" ||
			lab_die "could not set xdp_meta in $GK_CONF"
	fi
	if [ -n "$CSUM" ]; then
		sed -i "0,/^\[genkan\]/ s|^\[genkan\]\$|&\nchecksum = $CSUM|" "$GK_CONF"
		grep -q "^checksum = $CSUM\$" "$GK_CONF" ||
			lab_die "could not set checksum in $GK_CONF"
	fi
	[ "$PIPE" = l3 ] || pipe_conf >>"$GK_CONF"
	return 0
}

# ---------------------------------------------------------------- MAP-E pipelines

BR6=2001:db8:ffff::1
EUP=2001:db8:12:3400::/56

# pipe_conf: [mape] (and [nat]) of the pipeline, after lab.conf's [port lan]
# (gkg0, the generator's side) and [port wan] (gkg1, the sink's side).
pipe_conf()
{
	local v4=lan v6=wan role=br

	case $PIPE in
	br-decap) v4=wan v6=lan ;;
	ce-napt) role=ce ;;
	esac
	cat <<EOF

[mape]
role = $role
br_address = $BR6
ipv4_port = $v4
ipv6_port = $v6
EOF
	[ "$role" = ce ] && echo "end_user_prefix = $EUP"
	cat <<EOF

[map-rule rfc7597]
ipv6_prefix = 2001:db8::/40
ipv4_prefix = 192.0.2.0/24
ea_bits = 16
psid_offset = 6
fmr = yes
EOF
	[ "$PIPE" = ce-napt ] && printf '\n[nat]\nenabled = yes\nfiltering = apdf\n'
	return 0
}

lab_init
[ -z "$KERNEL_ONLY" ] && lab_check_binaries
lab_up

# readdr NS DEV ADDR...: DEV's global addresses and NS's default routes
# replaced (link-local ones stay for neighbour discovery).
readdr()
{
	local ns=$1 dev=$2 a

	shift 2
	ip -n "$ns" addr flush dev "$dev" scope global || return 1
	ip -n "$ns" route flush default 2>/dev/null
	ip -n "$ns" -6 route flush default 2>/dev/null
	for a in "$@"; do
		case $a in
		*:*) ip -n "$ns" addr add "$a" dev "$dev" nodad || return 1 ;;
		*) ip -n "$ns" addr add "$a" dev "$dev" || return 1 ;;
		esac
	done
}

# The MAP-E pipelines' addresses (see the head of this file). PIPE_NH: the
# gateway's next hops, near (gkc0) and far (gks0), for the warm-up; PIPE_KEY:
# the MAP-E counter that must grow.
case $PIPE in
br-decap)
	readdr "$NS_C" gkc0 2001:db8:ff00::1/64 &&
		readdr "$NS_G" gkg0 2001:db8:ff00::2/64 &&
		readdr "$NS_G" gkg1 203.0.113.1/24 &&
		readdr "$NS_S" gks0 203.0.113.2/24 &&
		ip -n "$NS_G" -6 route add default via 2001:db8:ff00::1 &&
		ip -n "$NS_C" -6 route add $BR6/128 via 2001:db8:ff00::2 &&
		ip -n "$NS_S" route add default via 203.0.113.1 ||
		lab_die "br-decap addresses"
	PIPE_NH="2001:db8:ff00::1 203.0.113.2" PIPE_KEY=decap_pkts
	;;
br-encap)
	readdr "$NS_C" gkc0 203.0.113.2/24 &&
		readdr "$NS_G" gkg0 203.0.113.1/24 &&
		readdr "$NS_G" gkg1 2001:db8:ff00::2/64 &&
		readdr "$NS_S" gks0 2001:db8:ff00::1/64 &&
		ip -n "$NS_G" -6 route add default via 2001:db8:ff00::1 &&
		ip -n "$NS_C" route add default via 203.0.113.1 &&
		ip -n "$NS_S" -6 route add $BR6/128 via 2001:db8:ff00::2 ||
		lab_die "br-encap addresses"
	PIPE_NH="203.0.113.2 2001:db8:ff00::1" PIPE_KEY=encap_pkts
	;;
ce-napt)
	readdr "$NS_C" gkc0 198.51.100.2/24 &&
		readdr "$NS_G" gkg0 198.51.100.1/24 &&
		readdr "$NS_G" gkg1 2001:db8:ff01::2/64 &&
		readdr "$NS_S" gks0 2001:db8:ff01::1/64 &&
		ip -n "$NS_G" -6 route add default via 2001:db8:ff01::1 &&
		ip -n "$NS_C" route add default via 198.51.100.1 ||
		lab_die "ce-napt addresses"
	PIPE_NH="198.51.100.2 2001:db8:ff01::1" PIPE_KEY=encap_pkts
	;;
esac
if [ "$PIPE" != l3 ]; then
	if [ "$PIPE" != ce-napt ]; then
		ip -n "$NS_G" addr add $BR6/128 dev lo ||
			lab_die "BR address on the gateway's lo"
	fi
	lab_log "$PIPE: namespaces re-addressed"
fi

# The pipelines' frames and their check, by scapy (independent of genkan):
#   pipe.py gen PIPE SIZE OUT.pcap      1000 frames
#   pipe.py check PIPE SIZE IN.pcap     what gks0 captured; exit 1 if any
#                                       frame is not what PIPE makes of them
cat >"$LAB_DIR/pipe.py" <<'EOF'
import ipaddress, sys
from scapy.all import Ether, IP, IPv6, UDP, Raw, rdpcap, wrpcap

CE4, CE6, BR6 = "192.0.2.18", "2001:db8:12:3400:0:c000:212:34", "2001:db8:ffff::1"
PSID, A_BITS, M_BITS = 0x34, 6, 2	# RFC 7597 Appendix A example 1
SRV = "203.0.113.2"
NET = ipaddress.ip_network("198.18.0.0/15")

def in_set(port):
    # RFC 7597 5.1: A (6 bits, not 0) | PSID (8 bits) | j (2 bits)
    return port >> (16 - A_BITS) != 0 and (port >> M_BITS) & 0xff == PSID

def set_port(i):
    return ((1 + i % 63) << 10) | (PSID << 2) | (i % 4)

def inet(i):
    return str(ipaddress.IPv4Address(int(NET[0]) + 128 * i + 1))

def udp(size):
    # the inner IPv4 packet of a SIZE-byte frame, as the l3 pipeline's
    return size - 14 - 28

def gen(pipe, size, out):
    pl = udp(size)
    # one frame each way: br-decap's 40 bytes more fit the veth's MTU of
    # 1500, and the encapsulated packets fit without fragments
    if pl < 0 or size > 1474:
        sys.exit("size %d: a MAP-E pipeline's frame must be 42..1474 bytes" % size)
    eth = Ether(src="02:00:00:00:aa:01", dst="02:00:00:00:00:0a")
    if pipe == "br-decap":
        f = [eth / IPv6(src=CE6, dst=BR6, nh=4, hlim=64) /
             IP(src=CE4, dst=SRV, ttl=64) /
             UDP(sport=set_port(i), dport=9) / Raw(bytes(pl)) for i in range(1000)]
    elif pipe == "br-encap":
        f = [eth / IP(src=inet(i), dst=CE4, ttl=64) /
             UDP(sport=2000, dport=set_port(i)) / Raw(bytes(pl)) for i in range(1000)]
    else:
        # 96 LAN endpoints (16 hosts x 6 ports) to 1000 destinations
        f = [eth / IP(src="198.51.100.%d" % (10 + i % 16), dst=inet(i), ttl=64) /
             UDP(sport=40000 + (i // 16) % 6, dport=9) / Raw(bytes(pl)) for i in range(1000)]
    wrpcap(out, f)

def csum_ok(p, layer):
    q = p.copy()
    del q[layer].chksum
    return bytes(q[layer]) == bytes(p[layer]) or layer is UDP and p[UDP].chksum == 0

def check(pipe, size, path):
    pk = rdpcap(path)
    bad = []
    for n, p in enumerate(pk, 1):
        why = None
        if pipe == "br-decap":
            if IPv6 in p or IP not in p or UDP not in p:
                why = "not a plain IPv4/UDP frame"
            else:
                ip = p[IP]
                if (ip.src, ip.dst, ip.ttl, ip.len) != (CE4, SRV, 63, size - 14):
                    why = "IPv4 %s -> %s ttl %d len %d" % (ip.src, ip.dst, ip.ttl, ip.len)
                elif not in_set(p[UDP].sport) or p[UDP].dport != 9:
                    why = "UDP ports %d -> %d" % (p[UDP].sport, p[UDP].dport)
                elif len(p) != size:
                    why = "%d bytes" % len(p)
        else:
            if IPv6 not in p or p[IPv6].nh != 4 or IP not in p or UDP not in p:
                why = "not IPv4-in-IPv6"
            else:
                o, ip = p[IPv6], p[IP]
                src6, dst6 = (BR6, CE6) if pipe == "br-encap" else (CE6, BR6)
                if (o.src, o.dst, o.plen) != (src6, dst6, size - 14):
                    why = "IPv6 %s -> %s plen %d" % (o.src, o.dst, o.plen)
                elif ip.ttl != 63 or ip.len != size - 14:
                    why = "inner ttl %d len %d" % (ip.ttl, ip.len)
                elif pipe == "br-encap" and (ipaddress.ip_address(ip.src) not in NET or
                                            ip.dst != CE4 or not in_set(p[UDP].dport)):
                    why = "inner %s -> %s:%d" % (ip.src, ip.dst, p[UDP].dport)
                elif pipe == "ce-napt" and (ip.src != CE4 or not in_set(p[UDP].sport) or
                                           ipaddress.ip_address(ip.dst) not in NET):
                    why = "inner %s:%d -> %s (not translated into the set)" % (
                        ip.src, p[UDP].sport, ip.dst)
                elif len(p) != size + 40:
                    why = "%d bytes" % len(p)
        if not why and not (csum_ok(p, IP) and csum_ok(p, UDP)):
            why = "bad IPv4 or UDP checksum"
        if why:
            bad.append("frame %d: %s" % (n, why))
    if len(pk) < 20 or bad:
        print("%d frames captured; %s" % (len(pk), "; ".join(bad[:3]) or "too few"))
        sys.exit(1)
    sp = sorted({p[UDP].sport if pipe != "br-encap" else p[UDP].dport for p in pk})
    print("%d frames, all as %s makes them (%s, ports of the set: %d distinct)" % (
        len(pk), pipe, {"br-decap": "IPv4 %s -> %s, TTL 63" % (CE4, SRV),
                        "br-encap": "IPv4-in-IPv6 %s -> %s, TTL 63" % (BR6, CE6),
                        "ce-napt": "translated to %s, IPv4-in-IPv6 %s -> %s, TTL 63" %
                                   (CE4, CE6, BR6)}[pipe], len(sp)))

{"gen": lambda a: gen(a[0], int(a[1]), a[2]),
 "check": lambda a: check(a[0], int(a[1]), a[2])}[sys.argv[1]](sys.argv[2:])
EOF
PROBE_SIZE=64
if [ "$PIPE" != l3 ]; then
	PROBE_SIZE=${SIZES%% *}
	for size in $SIZES; do
		"$GK_PY" "$LAB_DIR/pipe.py" gen "$PIPE" "$size" "$LAB_DIR/pipe-$size.pcap" ||
			lab_die "$PIPE frames of $size bytes"
	done
fi

# PPS/OFFERED/CPP: figures per "phase-size"; NOTE: why a phase-size has no
# figure ("refused by this kernel: ...", "failed: ..."); PHASES in order.
declare -A PPS OFFERED CPP NOTE HANDOFF
PHASES=()
FAILED=

# link_counter NS DEV rx|tx packets|dropped
link_counter()
{
	ip -n "$1" -j -s link show "$2" | "$GK_PY" -c '
import json, sys
print(json.load(sys.stdin)[0]["stats64"][sys.argv[1]][sys.argv[2]])' "$3" "$4"
}

sink_rx()
{
	link_counter "$NS_S" gks0 rx packets
}

gw_mac()
{
	ip -n "$NS_G" -j link show gkg0 | "$GK_PY" -c '
import json, sys
print(json.load(sys.stdin)[0]["address"])'
}

# pipe_count: genkan's MAP-E counter of the pipeline (PIPE_KEY summed over
# the domains), 0 for l3 or without an answer.
pipe_count()
{
	[ "$PIPE" = l3 ] && { echo 0; return; }
	lab_ctl -j map show 2>/dev/null |
		jq -r --arg k "$PIPE_KEY" '[.domains[].counters[$k]] | add // 0' 2>/dev/null ||
		echo 0
}

# Wait until the sink counter moves (and a pipeline's MAP-E counter): the
# gateway really forwards.
wait_flowing()
{
	local before m0 i

	before=$(sink_rx)
	m0=$(pipe_count)
	for ((i = 0; i < 150; i++)); do
		sleep 0.1
		[ "$(sink_rx)" != "$before" ] || continue
		[ "$PIPE" = l3 ] || [ "$(pipe_count)" -gt "$m0" ] || continue
		return 0
	done
	return 1
}

# pipe_warmup: the gateway's neighbours on both sides resolved (genkan takes
# the kernel's), from the gateway itself.
pipe_warmup()
{
	local a ok=0

	for a in $PIPE_NH; do
		lab_nx "$NS_G" ping -n -q -c 1 -W 1 "$a" >/dev/null 2>&1 ||
			lab_nx "$NS_G" ping -n -q -c 1 -W 2 "$a" >/dev/null 2>&1 || ok=1
	done
	return $ok
}

# pipe_frame_check SIZE: a paced second of the pipeline's frames, captured
# on gks0 (tcpdump, the tunnel or the UDP packets only), must all be what
# the pipeline makes of them (pipe.py check). Once per run.
pipe_frame_check()
{
	local size=$1 cap=$LAB_DIR/check-$1.pcap flt="ip6 and ip6[6] == 4" pid i out

	[ "$PIPE" = br-decap ] && flt="ip and udp dst port 9"
	lab_bg "$NS_S" "$LAB_DIR/tcpdump-check.log" tcpdump -i gks0 -n -p -U -c 200 \
		-w "$cap" "$flt"
	pid=$LAB_LAST_PID
	for ((i = 0; i < 50; i++)); do
		grep -q "listening on" "$LAB_DIR/tcpdump-check.log" 2>/dev/null && break
		sleep 0.1
	done
	lab_nx "$NS_C" "$AFPGEN" -i gkc0 --dst-mac "$(gw_mac)" --pcap "$LAB_DIR/pipe-$size.pcap" \
		--seconds 1 --pps 1000 --cpus "${GEN_CPUS%%[,-]*}" >"$LAB_DIR/afpgen-check.log" 2>&1 ||
		lab_die "afpgen for the frame check: $(cat "$LAB_DIR/afpgen-check.log")"
	for ((i = 0; i < 30; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	out=$("$GK_PY" "$LAB_DIR/pipe.py" check "$PIPE" "$size" "$cap" 2>&1) ||
		lab_die "frame check at gks0 ($PIPE, $size bytes): $out"
	echo "   frame check at gks0 ($size bytes): $out"
}

# Offered load as the client's veth sees it: frames its peer accepted plus
# frames it dropped (ring full, peer without NAPI), for any generator.
client_tx()
{
	ip -n "$NS_C" -j -s link show gkc0 | "$GK_PY" -c '
import json, sys
s = json.load(sys.stdin)[0]["stats64"]["tx"]
print(s["packets"] + s["dropped"])'
}

# gen_die MSG: the generator failed; no figure can be trusted.
gen_die()
{
	lab_die "generator $GEN: $*"
}

# ---------------------------------------------------------------- generators
# Each generator has NAME_start SIZE and NAME_stop; _stop sets TP_SENT (frames
# the generator says it sent) and GEN_RC (0, or why it failed).

# cgen_bin: the binary of a C generator (xdpgen, afpgen).
cgen_bin()
{
	case $1 in
	xdpgen) echo "$XDPGEN" ;;
	afpgen) echo "$AFPGEN" ;;
	esac
}

# cgen_args NAME: the generator-specific options.
cgen_args()
{
	case $1 in
	xdpgen) echo "--pps $GEN_PPS" ;;
	afpgen) echo "--pps $GEN_PPS --mode $AFP_MODE${UDP_CSUM:+ --udp-csum}" ;;
	esac
}

# cgen_frames SIZE: what the generator sends, the UDP flood (l3) or the
# pipeline's pcap.
cgen_frames()
{
	if [ "$PIPE" = l3 ]; then
		echo "--src $C4 --dst $S4 --dport 9 --flows 64 --size $1"
	else
		echo "--pcap $LAB_DIR/pipe-$1.pcap"
	fi
}

# Compare the generator's frame with scapy's for each size.
cgen_selftest()
{
	local gen=$1 size hex extra=()

	[ "$gen" = afpgen ] && [ -n "$UDP_CSUM" ] && extra=(--udp-csum)
	[ "$PIPE" = l3 ] || { pcap_selftest; return; }
	for size in $SIZES; do
		hex=$("$(cgen_bin "$gen")" --dump --dst-mac 02:00:00:00:00:01 \
			--src-mac 02:00:00:00:00:02 --src $C4 --dst $S4 \
			--sport 1024 --dport 9 --size "$size" "${extra[@]}") || return 1
		"$GK_PY" - "$hex" "$size" "$C4" "$S4" "$gen" "${UDP_CSUM:-0}" <<'EOF' || return 1
import sys
from scapy.all import Ether, IP, UDP, Raw
got, size, src, dst, gen, csum = (sys.argv[1], int(sys.argv[2]), sys.argv[3],
                                  sys.argv[4], sys.argv[5], sys.argv[6] == "1")
p = (Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02") /
     IP(src=src, dst=dst, id=0, flags=0, ttl=64) /
     UDP(sport=1024, dport=9, chksum=None if csum else 0))
p = p / Raw(bytes(size - len(p)))
want = bytes(p).hex()
if got != want:
    print("%s frame (%d bytes):\n got  %s\n want %s" % (gen, size, got, want),
          file=sys.stderr)
    sys.exit(1)
EOF
	done
	lab_log "$gen frames match scapy for sizes: $SIZES"
}

# afpgen --pcap's first frame must be scapy's, MACs rewritten.
pcap_selftest()
{
	local size hex

	for size in $SIZES; do
		hex=$("$AFPGEN" --dump --dst-mac 02:00:00:00:00:01 \
			--src-mac 02:00:00:00:00:02 --pcap "$LAB_DIR/pipe-$size.pcap") || return 1
		"$GK_PY" - "$hex" "$LAB_DIR/pipe-$size.pcap" <<'EOF' || return 1
import sys
from scapy.all import Ether, rdpcap
p = rdpcap(sys.argv[2])[0]
p[Ether].dst, p[Ether].src = "02:00:00:00:00:01", "02:00:00:00:00:02"
if sys.argv[1] != bytes(p).hex():
    print("afpgen --pcap first frame:\n got  %s\n want %s" % (sys.argv[1], bytes(p).hex()),
          file=sys.stderr)
    sys.exit(1)
EOF
	done
	lab_log "afpgen --pcap frames match scapy's for sizes: $SIZES"
}

# cgen_run NAME LOG SECONDS SIZE: run in the foreground (the probe).
cgen_run()
{
	local gen=$1 log=$2 secs=$3 size=$4

	# shellcheck disable=SC2046
	lab_nx "$NS_C" "$(cgen_bin "$gen")" -i gkc0 --dst-mac "$(gw_mac)" \
		$(cgen_frames "$size") \
		--seconds "$secs" --cpus "$GEN_CPUS" $(cgen_args "$gen") \
		>"$log" 2>&1
}

# cgen_probe NAME: can it send here? Half a second of 64-byte frames (a
# pipeline's: its first size, the pcap exists for those only); it
# must exit 0, report frames sent and move gkc0's TX counters. PROBE_WHY
# says why not.
cgen_probe()
{
	local gen=$1 log=$LAB_DIR/probe-$1.log c0 c1 sent rc

	PROBE_WHY=
	if [ ! -x "$(cgen_bin "$gen")" ]; then
		PROBE_WHY="no $(cgen_bin "$gen") (ninja -C $GK_BUILD)"
		return 1
	fi
	c0=$(client_tx)
	cgen_run "$gen" "$log" 0.5 "$PROBE_SIZE"
	rc=$?
	c1=$(client_tx)
	sent=$(awk '$1 == "sent" { print $2 }' "$log")
	if [ "$rc" = 0 ] && [ "${sent:-0}" -gt 0 ] && [ "$c1" -gt "$c0" ]; then
		lab_log "$gen probe: $(grep '^sent ' "$log"), gkc0 took $((c1 - c0))"
		return 0
	fi
	PROBE_WHY="$(grep -v '^sent ' "$log" | awk '!seen[$0]++' | tr '\n' ' ')"
	PROBE_WHY="${PROBE_WHY% }; sent ${sent:-?}, gkc0 took $((c1 - c0)), exit $rc"
	return 1
}

cgen_start()
{
	local gen=$1 size=$2

	CG_LOG=$LAB_DIR/$gen-$PTAG-$size-$REP.log
	# shellcheck disable=SC2046
	lab_bg "$NS_C" "$CG_LOG" "$(cgen_bin "$gen")" -i gkc0 --dst-mac "$(gw_mac)" \
		$(cgen_frames "$size") \
		--seconds 0 --cpus "$GEN_CPUS" $(cgen_args "$gen")
	CG_PID=$LAB_LAST_PID
}

cgen_stop()
{
	local rc

	kill -INT "$CG_PID" 2>/dev/null
	wait "$CG_PID" 2>/dev/null
	rc=$?
	TP_SENT=$(awk '$1 == "sent" { print $2 }' "$CG_LOG")
	TP_SENT=${TP_SENT:-0}
	GEN_RC=0
	if [ "$rc" != 0 ] || [ "$TP_SENT" = 0 ]; then
		GEN_RC="exit $rc, sent $TP_SENT: $(grep -v '^sent ' "$CG_LOG" | awk '!seen[$0]++' | tr '\n' ' ')"
	fi
}

xdpgen_start() { cgen_start xdpgen "$@"; }
xdpgen_stop() { cgen_stop; }
afpgen_start() { cgen_start afpgen "$@"; }
afpgen_stop() { cgen_stop; }

# testpmd keeps forwarding until its stdin closes; a fifo held open by this
# shell gives a clean stop (and testpmd's own final statistics).
testpmd_start()
{
	local size=$1 mac fifo=$LAB_DIR/testpmd.in

	mac=$(gw_mac)
	rm -f "$fifo"
	mkfifo "$fifo"
	TP_LOG=$LAB_DIR/testpmd-$PTAG-$size-$REP.log
	# The AF_XDP PMD only accepts queue_count=1 on veth (no "combined"
	# channels). bpffs lets libxdp pin its dispatcher instead of warning.
	ip netns exec "$NS_C" sh -c 'mount -t bpf bpf /sys/fs/bpf 2>/dev/null; exec "$@"' sh \
		dpdk-testpmd --no-huge --no-shconf --no-pci -m 512 -l 0,1 \
		--file-prefix "gk$LAB_RUN" \
		--vdev=net_af_xdp0,iface=gkc0,start_queue=0,queue_count=1 -- \
		--nb-cores=1 --rxq=1 --txq=1 --total-num-mbufs=16384 \
		--forward-mode=txonly --txpkts="$size" --eth-peer=0,"$mac" \
		--tx-ip=$C4,$S4 --tx-udp=9,9 --txonly-multi-flow \
		<"$fifo" >"$TP_LOG" 2>&1 &
	TP_PID=$!
	LAB_PIDS+=("$TP_PID")
	exec {TP_FD}>"$fifo"
}

testpmd_stop()
{
	local i

	exec {TP_FD}>&-
	for ((i = 0; i < 100; i++)); do
		kill -0 "$TP_PID" 2>/dev/null || break
		sleep 0.1
	done
	lab_kill "$TP_PID"
	# The last "TX-packets:" line is testpmd's accumulated total.
	TP_SENT=$(awk '/TX-packets:/ { v = $2 } END { print v + 0 }' "$TP_LOG")
	GEN_RC=0
	[ "$TP_SENT" = 0 ] && GEN_RC="sent 0: $(tail -n 3 "$TP_LOG" | tr '\n' ' ')"
}

iperf3_start()
{
	local size=$1 len

	# UDP payload = frame - Ethernet 14 - IPv4 20 - UDP 8.
	len=$((size - 42))
	[ "$len" -lt 16 ] && len=16
	lab_bg "$NS_S" "$LAB_DIR/iperf3-s-$PTAG-$size-$REP.log" iperf3 -s -1 -p 5201
	IP_SPID=$LAB_LAST_PID
	lab_wait_listen "$NS_S" tcp 5201 10 || gen_die "iperf3 server did not listen"
	IP_JSON=$LAB_DIR/iperf3-$PTAG-$size-$REP.json
	lab_bg "$NS_C" "$IP_JSON" iperf3 -c $S4 -p 5201 -u -b 0 -l "$len" \
		-t $((SECS + 20)) -J
	IP_CPID=$LAB_LAST_PID
}

iperf3_stop()
{
	# SIGINT makes the iperf3 client stop early and still print its JSON.
	kill -INT "$IP_CPID" 2>/dev/null
	wait "$IP_CPID" 2>/dev/null
	lab_kill "$IP_SPID"
	TP_SENT=$(lab_jget "$IP_JSON" end.sum.packets)
	GEN_RC=0
	case $TP_SENT in
	'' | NA | 0) GEN_RC="sent ${TP_SENT:-NA} (see $IP_JSON)" ;;
	esac
}

# ---------------------------------------------------------------- genkan counters

# Worker/port/XDP counter deltas of genkand over one window, only what
# explains a gap: drops by reason, TX drops, RX without buffers, XDP
# events, each worker's busy share of its polls, packets per hand-off mode.
stats_delta()
{
	"$GK_PY" - "$1" "$2" <<'EOF'
import json, sys

def load(p):
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

a, b = load(sys.argv[1]), load(sys.argv[2])
if a is None or b is None:
    print("    (no stats)")
    sys.exit(0)

def flat(d, pre=""):
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(flat(v, pre + k + "."))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            out.update(flat(v, pre + str(i) + "."))
    elif isinstance(d, (int, float)) and not isinstance(d, bool):
        out[pre[:-1]] = d
    return out

fa, fb = flat(a), flat(b)
d = {k: fb[k] - fa.get(k, 0) for k in fb}
t = [(k, d[k]) for k in ("totals.rx_packets", "totals.tx_packets", "totals.drops")]
print("    totals: " + "  ".join("%s %d" % (k.split(".")[1], v) for k, v in t))
hand = sorted((k.split(".", 1)[1], d[k]) for k in d if k.startswith("worker_handoff."))
if hand:
    print("    worker rx by hand-off: " + "  ".join("%s %d" % kv for kv in hand))
for name in sorted(k for k in d if d[k] and k.startswith("worker_drops.")):
    print("    worker drop %-24s %d" % (name.split(".", 1)[1], d[name]))
for p in b.get("ports", []):
    i = b["ports"].index(p)
    keys = ("rx_packets", "tx_packets", "tx_drops", "rx_no_buf", "wakeups")
    vals = {k: d.get("ports.%d.%s" % (i, k), 0) for k in keys}
    if any(vals.values()):
        print("    port %-4s q%s w%s: %s" % (p.get("name"), p.get("queue"),
              p.get("worker"), "  ".join("%s %d" % kv for kv in vals.items())))
for k in sorted(x for x in d if d[x] and x.startswith("xdp.") and
                x.endswith(".packets") and not x.startswith("xdp.classes.")):
    print("    xdp %-32s %d" % (k[4:-8], d[k]))
for i, w in enumerate(b.get("workers", [])):
    busy = d.get("workers.%d.busy_cycles" % i, 0)
    idle = d.get("workers.%d.idle_cycles" % i, 0)
    if busy + idle:
        print("    worker %s busy %.0f%% of polled cycles, rx %d tx %d" % (
              w.get("id"), 100.0 * busy / (busy + idle),
              d.get("workers.%d.rx_packets" % i, 0),
              d.get("workers.%d.tx_packets" % i, 0)))
EOF
}

# cpp_delta BEFORE AFTER: "<busy cycles per received packet> <hand-off
# modes that received packets>", both summed over the workers.
cpp_delta()
{
	"$GK_PY" - "$1" "$2" <<'EOF'
import json, sys
try:
    a, b = (json.load(open(p)) for p in sys.argv[1:3])
except (OSError, ValueError):
    print("NA ?")
    sys.exit(0)
def tot(s, k):
    return sum(w.get(k, 0) for w in s.get("workers", []))
rx = tot(b, "rx_packets") - tot(a, "rx_packets")
cyc = tot(b, "busy_cycles") - tot(a, "busy_cycles")
ha, hb = a.get("worker_handoff", {}), b.get("worker_handoff", {})
modes = [m for m in hb if hb[m] - ha.get(m, 0) > 0]
print("%s %s" % ("%.0f" % (cyc / rx) if rx > 0 else "NA",
                 ",".join(sorted(modes)) or "?"))
EOF
}

# port_handoff: "lan:head(configured) wan:head(configured)" from status.
port_handoff()
{
	lab_ctl -j status 2>/dev/null | "$GK_PY" -c '
import json, sys
try:
    s = json.load(sys.stdin)
except ValueError:
    print("?")
    sys.exit(0)
out = []
for p in s.get("ports", []):
    h = p.get("handoff", {})
    sw = h.get("switches", 0)
    out.append("%s:%s(%s%s)" % (p.get("name"), h.get("mode", "?"),
               h.get("reason", "?"), ", %d switches" % sw if sw else ""))
print(" ".join(out) or "?")'
}

# handoff_is MODE: every port in MODE (any mode for auto), never switched.
handoff_is()
{
	lab_ctl -j status 2>/dev/null | "$GK_PY" -c '
import json, sys
want = sys.argv[1]
try:
    ports = json.load(sys.stdin).get("ports", [])
except ValueError:
    sys.exit(1)
ok = ports and all(p.get("handoff", {}).get("switches", 0) == 0 and
                   want in ("auto", p.get("handoff", {}).get("mode"))
                   for p in ports)
sys.exit(0 if ok else 1)' "$1"
}

# ethtool -S deltas (non-zero only) of one interface: XDP ring/redirect/xmit.
ethtool_delta()
{
	"$GK_PY" -c '
import sys
def parse(p):
    d = {}
    for line in open(p):
        k, _, v = line.strip().rpartition(":")
        if k and v.strip().lstrip("-").isdigit():
            d[k.strip()] = int(v)
    return d
a, b = parse(sys.argv[1]), parse(sys.argv[2])
for k in b:
    if k != "peer_ifindex" and b[k] - a.get(k, 0):
        print("    %s %s %d" % (sys.argv[3], k, b[k] - a.get(k, 0)))' "$1" "$2" "$3"
}

ethtool_snap()
{
	lab_nx "$1" ethtool -S "$2" >"$3" 2>/dev/null
}

# ---------------------------------------------------------------- one window

# run_one SIZE: one measured window of phase $PHASE; fills PPS/OFFERED/CPP
# for $PHASE-SIZE, or NOTE when the gateway forwarded nothing. A generator
# that sent nothing ends the bench (gen_die).
run_one()
{
	local size=$1 key=$PHASE-$1 snap=$LAB_DIR/$PTAG-$1-$REP r0 r1 c0 c1 m0 m1 cs cpp hm pps off

	c0=$(client_tx)
	"${GEN}_start" "$size"
	if ! wait_flowing; then
		c1=$(client_tx)
		"${GEN}_stop"
		[ "$GEN_RC" = 0 ] || gen_die "$GEN_RC"
		[ "$c1" -gt "$c0" ] ||
			gen_die "gkc0 sent no frame in 15 s ($PHASE, $size bytes)"
		NOTE[$key]="failed: no packet reached the server in 15 s ($((c1 - c0)) offered)"
		lab_log "$PHASE: ${NOTE[$key]}"
		FAILED=1
		return 1
	fi
	case $PHASE in genkan*) lab_ctl -j -a stats >"$snap.stats0" 2>/dev/null ;; esac
	ethtool_snap "$NS_C" gkc0 "$snap.c0"
	ethtool_snap "$NS_G" gkg0 "$snap.g0"
	c0=$(client_tx)
	m0=$(pipe_count)
	r0=$(sink_rx)
	sleep "$SECS"
	r1=$(sink_rx)
	m1=$(pipe_count)
	c1=$(client_tx)
	ethtool_snap "$NS_C" gkc0 "$snap.c1"
	ethtool_snap "$NS_G" gkg0 "$snap.g1"
	case $PHASE in genkan*) lab_ctl -j -a stats >"$snap.stats1" 2>/dev/null ;; esac
	"${GEN}_stop"
	[ "$GEN_RC" = 0 ] || gen_die "$GEN_RC ($PHASE, $size bytes)"
	[ "$c1" -gt "$c0" ] || gen_die "gkc0 sent no frame in the window ($PHASE, $size bytes)"
	off=$(((c1 - c0) / SECS))
	if [ "$r1" -le "$r0" ]; then
		NOTE[$key]="failed: no packet reached the server in the ${SECS} s window"
		lab_log "$PHASE: ${NOTE[$key]}"
		FAILED=1
		return 1
	fi
	# gks0's counter also counts the gateway's own frames (ND, ARP): the
	# pipeline must have done its work too.
	if [ "$PIPE" != l3 ] && [ "$m1" -le "$m0" ]; then
		NOTE[$key]="failed: genkan's MAP-E $PIPE_KEY did not grow in the ${SECS} s window"
		lab_log "$PHASE: ${NOTE[$key]}"
		FAILED=1
		return 1
	fi
	pps=$(((r1 - r0) / SECS))
	cpp=-
	cs=
	case $PHASE in
	genkan*)
		read -r cpp hm < <(cpp_delta "$snap.stats0" "$snap.stats1")
		# Modes seen over all repetitions.
		HANDOFF[$key]=$(tr ', ' '\n\n' <<<"${HANDOFF[$key]:-} $hm" |
			sort -u | grep -v '^$' | paste -sd, -)
		cs=", cycles/pkt $cpp, rx hand-off $hm"
		[ "$PIPE" = l3 ] || cs="$cs, map $PIPE_KEY $(((m1 - m0) / SECS))/s"
		;;
	esac
	PPS[$key]="${PPS[$key]:-} $pps"
	OFFERED[$key]="${OFFERED[$key]:-} $off"
	CPP[$key]="${CPP[$key]:-} $cpp"
	printf '  %-13s %5s bytes  %10s pps at the server, %10s pps offered  (%s, %s packets sent in total%s)\n' \
		"$PHASE" "$size" "$pps" "$off" "$GEN" "$TP_SENT" "$cs"
	ethtool_delta "$snap.c0" "$snap.c1" gkc0
	ethtool_delta "$snap.g0" "$snap.g1" gkg0
	case $PHASE in genkan*) stats_delta "$snap.stats0" "$snap.stats1" ;; esac
	return 0
}

# set_note WHY: every size of $PHASE gets the same note.
set_note()
{
	local size

	for size in $SIZES; do
		NOTE[$PHASE-$size]=$1
	done
}

# ---------------------------------------------------------------- set-up

# xdpgen's frames need NAPI on the receiving veth end; the other generators
# get the same receive path so the phases compare (see above).
lab_nx "$NS_G" ethtool -K gkg0 gro on >/dev/null ||
	lab_die "ethtool -K gkg0 gro on failed"

GEN_WHY=
case $GEN in
auto)
	gens="xdpgen afpgen"
	[ -n "$UDP_CSUM" ] && gens=afpgen	# xdpgen sends checksum 0 only
	for g in $gens; do
		if cgen_probe "$g"; then
			GEN=$g
			break
		fi
		lab_log "$g cannot send here: $PROBE_WHY"
		GEN_WHY="${GEN_WHY:+$GEN_WHY; }$g probe failed: $PROBE_WHY"
	done
	if [ "$GEN" = auto ]; then
		if command -v dpdk-testpmd >/dev/null; then
			GEN=testpmd
		else
			GEN=iperf3
		fi
	fi
	;;
xdpgen | afpgen)
	cgen_probe "$GEN" || gen_die "probe failed: $PROBE_WHY"
	;;
esac
case $GEN in
xdpgen | afpgen)
	# The generator's own check: its frame must match an independent
	# build of the same packet (scapy) byte for byte.
	cgen_selftest "$GEN" || lab_die "$GEN frame differs from the scapy reference"
	;;
testpmd) lab_need dpdk-testpmd ;;
esac
if [ "$SINK" = xdp ]; then
	lab_bg "$NS_S" "$LAB_DIR/sink.log" "$XDPGEN" --sink gks0 --dport 9 --seconds 0
	for ((i = 0; i < 100; i++)); do
		grep -q '^sink attached' "$LAB_DIR/sink.log" 2>/dev/null && break
		kill -0 "$LAB_LAST_PID" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^sink attached' "$LAB_DIR/sink.log" ||
		lab_die "xdp sink on gks0: $(cat "$LAB_DIR/sink.log")"
fi

case $GEN in
xdpgen) GEN_DESC="xdpgen (live-frame test runs) on CPUs $GEN_CPUS, pps cap $GEN_PPS" ;;
afpgen) GEN_DESC="afpgen (AF_PACKET $AFP_MODE, qdisc bypass) on CPUs $GEN_CPUS, pps cap $GEN_PPS, UDP checksum $([ -n "$UDP_CSUM" ] && echo on || echo 0)"
	[ "$PIPE" = l3 ] || GEN_DESC="afpgen --pcap (AF_PACKET $AFP_MODE, qdisc bypass) on CPUs $GEN_CPUS, pps cap $GEN_PPS, 1000 frames of $PIPE" ;;
testpmd) GEN_DESC="dpdk-testpmd txonly, net_af_xdp on gkc0 queue 0" ;;
iperf3) GEN_DESC="iperf3 -u -b 0" ;;
esac
echo "== veth bench: ${SECS}s per run, frame sizes: $SIZES, $REPS repetition(s) =="
echo "   CPUs: $(nproc), kernel $(uname -r), sink $SINK, pipeline $PIPE"
echo "   generator: $GEN_DESC"
[ -n "$GEN_WHY" ] && echo "   (auto: $GEN_WHY)"

# ---------------------------------------------------------------- phases

phase_kernel()
{
	PHASE=kernel PTAG=kernel
	lab_forwarding on
	echo "-- kernel forwarding ($(lab_forwarding_show))$REPTAG"
	lab_warmup || lab_die "no connectivity through the kernel"
	for size in $SIZES; do
		run_one "$size"
	done
}

# phase_genkan MODE: genkand with xdp_meta = MODE; a mode refused by this
# kernel, or a genkand that does not start, is not tried again.
phase_genkan()
{
	local mode=$1 why refused after

	PHASE=genkan/$mode PTAG=genkan-$mode
	[ -n "${SKIP[$PHASE]:-}" ] && return 0
	XDP_META=$mode
	lab_forwarding off
	echo "-- genkan, xdp_meta = $mode ($(lab_forwarding_show))$REPTAG"
	if ! lab_genkand_start 30 2>"$LAB_DIR/start-$mode.err"; then
		why=$(sed -n 's/.*genkand error: //p' "$GK_LOG" | tail -n 1)
		refused=
		# gk_hand_pick: "port P: xdp_meta = meta, but this kernel's
		# verifier refuses bpf_xdp_adjust_meta, ..." (ctl/hand_ctl.c);
		# a genkand without that check fails in the verifier instead.
		if [[ "$why" == *"xdp_meta = $mode, but this kernel"* ]]; then
			refused=$(grep -o "verifier refuses bpf_xdp_adjust_[a-z]*" \
				<<<"$why" | head -n 1)
			refused=${refused:-$why}
		elif [ "$mode" = meta ] &&
			grep -q "cannot use helper bpf_xdp_adjust_meta" "$GK_LOG"; then
			refused="verifier refuses bpf_xdp_adjust_meta"
		fi
		if [ -n "$refused" ]; then
			set_note "refused by this kernel ($refused)"
			echo "   refused by this kernel: ${why:-$refused}"
		else
			set_note "failed: genkand did not start: ${why:-see log}"
			echo "   genkand did not start: ${why:-$(tail -n 3 "$LAB_DIR/start-$mode.err")}"
			FAILED=1
		fi
		SKIP[$PHASE]=1
		lab_genkand_stop
		return 0
	fi
	echo "   config: $(grep -E '^(workers|cpus|xdp_meta|checksum)' "$GK_CONF" | tr '\n' ' ')"
	echo "   hand-off: $(port_handoff)"
	if [ "$PIPE" = l3 ]; then
		lab_warmup || lab_log "warning: pings through genkan fail"
	else
		pipe_warmup || lab_log "warning: the gateway's neighbours do not answer"
		echo "   map: $(lab_ctl map show 2>/dev/null | awk '/^ce ipv4|^ce psid|^role|^mape/' | tr -s ' ' | paste -sd';' -)"
		[ -n "$FRAME_CHECKED" ] || pipe_frame_check "${SIZES%% *}"
		FRAME_CHECKED=1
	fi
	for size in $SIZES; do
		run_one "$size"
	done
	# A port whose hand-off failed at run time switches mode: then the
	# figures above are not this mode's alone.
	after=$(port_handoff)
	echo "   hand-off after the runs: $after"
	if ! handoff_is "$mode"; then
		for size in $SIZES; do
			NOTE[$PHASE-$size]="hand-off left $mode during the run: $after"
		done
		FAILED=1
	fi
	if [ "$REP" = "$REPS" ]; then
		echo "-- genkanctl stats after the runs (xdp_meta = $mode)"
		lab_ctl stats 2>&1 | sed 's/^/  /'
		if [ "$PIPE" != l3 ]; then
			echo "-- genkanctl map show$([ "$PIPE" = ce-napt ] && echo ", nat stats")"
			lab_ctl map show 2>&1 | sed 's/^/  /'
			[ "$PIPE" = ce-napt ] && lab_ctl nat stats 2>&1 | sed 's/^/  /'
		fi
	fi
	lab_genkand_stop
}

declare -A SKIP
FRAME_CHECKED=
[ -z "$GENKAN_ONLY" ] && PHASES+=(kernel)
if [ -z "$KERNEL_ONLY" ]; then
	for mode in $MODES; do
		PHASES+=("genkan/$mode")
	done
fi
# Repetitions interleave the phases, so a neighbour's load on a shared
# machine lands on all of them rather than on one.
for ((REP = 1; REP <= REPS; REP++)); do
	REPTAG=
	[ "$REPS" -gt 1 ] && REPTAG=", repetition $REP/$REPS"
	[ -z "$GENKAN_ONLY" ] && phase_kernel
	if [ -z "$KERNEL_ONLY" ]; then
		for mode in $MODES; do
			phase_genkan "$mode"
		done
	fi
done

# ---------------------------------------------------------------- results

# stat "V1 V2 ...": "median min max" over the numeric values, NA if none.
stat()
{
	awk -v l="$1" 'BEGIN {
		n = 0
		for (i = split(l, a, " "); i > 0; i--)
			if (a[i] ~ /^[0-9.]+$/)
				v[++n] = a[i] + 0
		if (!n) { print "NA NA NA"; exit }
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++)
				if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		printf "%.0f %.0f %.0f\n", m, v[1], v[n]
	}'
}

echo
if [ "$REPS" -gt 1 ]; then
	echo "== results: packets per second delivered to the server," \
		"median of $REPS [min..max] =="
else
	echo "== results: packets per second delivered to the server =="
fi
printf '  %-6s %-13s %11s %7s %8s %11s  %-7s %s\n' size forwarder pps ratio cyc/pkt \
	offered rx-mode generator
for size in $SIZES; do
	read -r k _ _ < <(stat "${PPS[kernel-$size]:-}")
	for phase in "${PHASES[@]}"; do
		key=$phase-$size
		if [ -z "${PPS[$key]:-}" ]; then
			printf '  %-6s %-13s %s\n' "$size" "$phase" "${NOTE[$key]:-no figure}"
			continue
		fi
		read -r g gmin gmax < <(stat "${PPS[$key]}")
		read -r cpp _ _ < <(stat "${CPP[$key]}")
		read -r off _ _ < <(stat "${OFFERED[$key]}")
		[ "$phase" = kernel ] && cpp=-
		ratio=$(awk -v k="$k" -v g="$g" 'BEGIN {
			if (k + 0 > 0) printf "%.2f", g / k; else print "NA" }')
		range=
		[ "$REPS" -gt 1 ] && range="  [$gmin..$gmax]"
		printf '  %-6s %-13s %11s %7s %8s %11s  %-7s %s%s%s\n' "$size" "$phase" \
			"$g" "$ratio" "$cpp" "$off" "${HANDOFF[$key]:--}" "$GEN" \
			"$range" "${NOTE[$key]:+  (${NOTE[$key]})}"
	done
done
echo "  ratio = pps / the kernel's pps of this run (medians); cyc/pkt = genkan workers' busy TSC"
echo "  cycles per received packet (classifier excluded); offered = pps leaving gkc0;"
echo "  rx-mode = the hand-off modes the workers received packets in"
[ -n "$FAILED" ] && { echo "  some phases failed (see above)"; exit 1; }
exit 0
