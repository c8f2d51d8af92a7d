#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Fixtures for the data-plane unit tests, built with scapy as the independent
oracle: checksums, the l3fwd fixture table (topology, input frame, expected
verdict and output frame) and pcaps for the memory-backend round trip.

usage: gen_fixtures.py OUT.h IN.pcap EXPECT.pcap
"""
import random
import sys

from scapy.all import (ARP, Dot1Q, Ether, ICMP, IP, IPOption, IPv6,
                       IPv6ExtHdrHopByHop, Raw, TCP, UDP, wrpcap)

random.seed(20260126)
AF_INET, AF_INET6 = 2, 10

out = []


def carr(name, b):
    body = ", ".join("0x%02x" % x for x in b)
    out.append("static const uint8_t %s[%d] = { %s };" % (name, max(len(b), 1), body))


def ip4(s):
    return bytes(int(x) for x in s.split(".")) + bytes(12)


def ip6(s):
    import socket
    return socket.inet_pton(socket.AF_INET6, s)


def cbytes(b):
    return "{ " + ", ".join("0x%02x" % x for x in b) + " }"


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def rnd_ip4():
    return "%d.%d.%d.%d" % tuple(random.randrange(256) for _ in range(4))


# ---- checksums --------------------------------------------------------
ip_hdrs = []
for i in range(200):
    k = random.randrange(0, 6)
    p = IP(src=rnd_ip4(), dst=rnd_ip4(), ttl=random.randrange(2, 256),
           id=random.randrange(65536), tos=random.randrange(256),
           proto=random.randrange(256), flags=random.randrange(4),
           frag=random.randrange(8192),
           options=[IPOption(b"\x94\x04\x00\x00")] * k)
    p = IP(bytes(p))
    before = bytes(p)[: p.ihl * 4]
    q = IP(before)
    q.ttl -= 1
    del q.chksum
    after = bytes(IP(bytes(q)))[: p.ihl * 4]
    ip_hdrs.append((before, after))
for i, (b, a) in enumerate(ip_hdrs):
    carr("csum_ip_b%d" % i, b)
    carr("csum_ip_a%d" % i, a)
out.append("struct csum_ip_case { const uint8_t *before, *after; uint32_t len; };")
out.append("static const struct csum_ip_case csum_ip_cases[] = {")
for i, (b, a) in enumerate(ip_hdrs):
    out.append("\t{ csum_ip_b%d, csum_ip_a%d, %d }," % (i, i, len(b)))
out.append("};")

tcp_pkts = []
for i in range(100):
    p = IP(src=rnd_ip4(), dst=rnd_ip4()) / TCP(
        sport=random.randrange(65536), dport=random.randrange(65536),
        seq=random.randrange(2**32), flags="PA") / Raw(
        bytes(random.randrange(256) for _ in range(random.randrange(0, 101))))
    p = IP(bytes(p))
    tcp_pkts.append((bytes(p), p[TCP].chksum))
for i, (b, c) in enumerate(tcp_pkts):
    carr("csum_tcp_%d" % i, b)
out.append("struct csum_tcp_case { const uint8_t *pkt; uint32_t len; uint16_t csum; };")
out.append("static const struct csum_tcp_case csum_tcp_cases[] = {")
for i, (b, c) in enumerate(tcp_pkts):
    out.append("\t{ csum_tcp_%d, %d, 0x%04x }," % (i, len(b), c))
out.append("};")

# ---- l3fwd topology ---------------------------------------------------
PORT0_MAC, PORT1_MAC = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
PEER_MAC = "02:00:00:00:01:01"
ports = [(10, 0, PORT0_MAC, 1500), (11, 1, PORT1_MAC, 1400)]
NOT_GK = 20
# family, dst, plen, gw or None, ifindex, blackhole
routes = [
    (AF_INET, "192.0.2.0", 25, None, 10, 0),
    (AF_INET, "198.51.100.0", 24, None, 11, 0),
    (AF_INET, "203.0.113.0", 24, "198.51.100.1", 11, 0),
    (AF_INET, "203.0.113.0", 24, "198.51.100.9", 10, 0),  # dup: ignored
    (AF_INET, "203.0.113.128", 25, "198.51.100.2", 11, 0),  # unresolved
    (AF_INET, "198.18.0.0", 15, None, NOT_GK, 0),
    (AF_INET, "198.19.255.0", 24, None, 0, 1),
    (AF_INET6, "2001:db8:1::", 64, None, 11, 0),
    (AF_INET6, "2001:db8:2::", 48, "2001:db8:1::1", 11, 0),
    (AF_INET6, "2001:db8:2:5::", 64, "2001:db8:1::2", 11, 0),
    (AF_INET6, "2001:db8:3::", 48, None, NOT_GK, 0),
    (AF_INET6, "2001:db8:4::", 48, None, 10, 0),
    (AF_INET6, "2001:db8:dead::", 48, None, 0, 1),
]
NEIGH = {
    ("198.51.100.1", 11): "02:00:00:00:02:01",
    ("198.51.100.7", 11): "02:00:00:00:02:07",
    ("198.51.100.8", 10): "02:00:00:00:02:08",  # wrong ifindex on purpose
    ("198.51.100.9", 10): "02:00:00:00:02:09",
    ("192.0.2.5", 10): "02:00:00:00:03:05",
    ("2001:db8:1::1", 11): "02:00:00:00:06:01",
    ("2001:db8:1::7", 11): "02:00:00:00:06:07",
    ("2001:db8:4::5", 10): "02:00:00:00:07:05",
}


def addr(fam, s):
    return ip4(s) if fam == AF_INET else ip6(s)


out.append("static const struct gk_fib_port fx_ports[] = {")
for ifi, pid, m, mtu in ports:
    out.append("\t{ .ifindex = %d, .port_id = %d, .mac = %s, .mtu = %d }," %
               (ifi, pid, cbytes(mac(m)), mtu))
out.append("};")
out.append("static const struct gk_route fx_routes[] = {")
for fam, dst, plen, gw, ifi, bh in routes:
    out.append("\t{ .family = %d, .plen = %d, .has_gw = %d, .blackhole = %d, "
               ".dst = %s, .gw = %s, .ifindex = %d }," %
               (fam, plen, gw is not None, bh, cbytes(addr(fam, dst)),
                cbytes(addr(fam, gw) if gw else bytes(16)), ifi))
out.append("};")
out.append("static const struct gk_neigh_entry fx_neighs[] = {")
for (a, ifi), m in NEIGH.items():
    fam = AF_INET6 if ":" in a else AF_INET
    out.append("\t{ .family = %d, .addr = %s, .ifindex = %d, .mac = %s }," %
               (fam, cbytes(addr(fam, a)), ifi, cbytes(mac(m))))
out.append("};")

# ---- l3fwd cases ------------------------------------------------------
cases = []
PMAC = {0: PORT0_MAC, 1: PORT1_MAC}


def case(what, pkt, verdict, drop="0", out_port=0, nh_mac=None,
         nreq=None, l3_off=14, flags=None):
    """pkt is Ether()/IP... ; expected output built here with scapy."""
    raw = bytes(pkt)
    if flags is None:
        flags = ("GK_META_F_IPV4" if IP in pkt else
                 "GK_META_F_IPV6" if IPv6 in pkt else "0")
        if Dot1Q in pkt:
            flags += " | GK_META_F_VLAN"
    exp = b""
    if verdict == "GK_V_TX":
        e = Ether(raw)
        e.src = PMAC[out_port]
        e.dst = nh_mac
        if IP in e:
            e[IP].ttl -= 1
            del e[IP].chksum
        else:
            e[IPv6].hlim -= 1
        exp = bytes(Ether(bytes(e)))
        assert len(exp) == len(raw)
    cases.append(dict(what=what, inp=raw, verdict=verdict, drop=drop,
                      out_port=out_port, exp=exp, nreq=nreq, l3_off=l3_off,
                      flags=flags))


def E():
    return Ether(src=PEER_MAC, dst=PORT0_MAC)


def U4(dst, ttl=64, size=0, src="192.0.2.77", **kw):
    return E() / IP(src=src, dst=dst, ttl=ttl, **kw) / UDP(
        sport=1234, dport=5678) / Raw(b"x" * size)


def U6(dst, hlim=64, size=0, src="2001:db8:4::77"):
    return E() / IPv6(src=src, dst=dst, hlim=hlim) / UDP(
        sport=1234, dport=5678) / Raw(b"y" * size)


N = "02:00:00:00:02:07"
case("v4 connected", U4("198.51.100.7"), "GK_V_TX", out_port=1, nh_mac=N)
case("v4 gateway, first of duplicate routes wins",
     E() / IP(src="192.0.2.77", dst="203.0.113.9", ttl=17) / TCP(sport=80, dport=443),
     "GK_V_TX", out_port=1, nh_mac="02:00:00:00:02:01")
case("v4 gateway unresolved", U4("203.0.113.200"), "GK_V_DROP",
     "GK_WK_DROP_NO_NEIGH", nreq=(AF_INET, 11, "198.51.100.2"))
case("v4 connected, neighbor only on another ifindex", U4("198.51.100.8"),
     "GK_V_DROP", "GK_WK_DROP_NO_NEIGH", nreq=(AF_INET, 11, "198.51.100.8"))
case("v4 no route", U4("192.0.2.200"), "GK_V_DROP", "GK_WK_DROP_NO_ROUTE")
case("v4 ttl 1", U4("198.51.100.7", ttl=1), "GK_V_DROP", "GK_WK_DROP_TTL")
case("v4 ttl 0", U4("198.51.100.7", ttl=0), "GK_V_DROP", "GK_WK_DROP_TTL")
case("v4 ttl 2 leaves with 1", U4("198.51.100.7", ttl=2), "GK_V_TX",
     out_port=1, nh_mac=N)
case("v4 egress not a genkan port", U4("198.18.3.4"), "GK_V_DROP",
     "GK_WK_DROP_BAD_PORT")
case("v4 blackhole", U4("198.19.255.1"), "GK_V_DROP", "GK_WK_DROP_NO_ROUTE")
case("v4 /15 around the blackhole still bad port", U4("198.19.254.1"),
     "GK_V_DROP", "GK_WK_DROP_BAD_PORT")
case("v4 1401 bytes > mtu 1400", U4("198.51.100.7", size=1401 - 28),
     "GK_V_DROP", "GK_WK_DROP_TOO_BIG")
case("v4 1400 bytes == mtu", U4("198.51.100.7", size=1400 - 28), "GK_V_TX",
     out_port=1, nh_mac=N)
case("v4 with options", E() / IP(src="192.0.2.77", dst="198.51.100.7",
                                   options=[IPOption(b"\x94\x04\x00\x00")]) /
     ICMP(), "GK_V_TX", out_port=1, nh_mac=N, flags="GK_META_F_IPV4")
case("v4 hairpin is forwarded", U4("192.0.2.5"), "GK_V_TX", out_port=0,
     nh_mac="02:00:00:00:03:05")
case("vlan tagged goes to the kernel",
     Ether(src=PEER_MAC, dst=PORT0_MAC) / Dot1Q(vlan=5) /
     IP(src="192.0.2.77", dst="198.51.100.7") / UDP(), "GK_V_KERNEL",
     l3_off=18)
case("arp without ip meta", Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") /
     ARP(psrc="192.0.2.77", pdst="192.0.2.1"), "GK_V_DROP",
     "GK_WK_DROP_BAD_META")
for i in range(20):
    case("v4 random ttl/tos/id %d" % i,
         U4("198.51.100.7", ttl=random.randrange(2, 256),
            tos=random.randrange(256), id=random.randrange(65536),
            size=random.randrange(0, 64)),
         "GK_V_TX", out_port=1, nh_mac=N)

# Martians (#13 bug 6; RFC 1812 5.3.7, RFC 4291): each dropped with its
# own reason, ahead of the TTL (no ICMP error to a martian) and of the
# route (a default route must not carry them). The addresses outside the
# documentation ranges are the martians themselves and the edges of their
# ranges; they exist only in these in-memory frames.
M = "GK_WK_DROP_MARTIAN_"
for src, why in [("0.0.0.0", "SRC_UNSPEC"), ("0.255.255.255", "SRC_UNSPEC"),
                 ("127.0.0.1", "SRC_LOOPBACK"), ("127.255.255.255", "SRC_LOOPBACK"),
                 ("224.0.0.1", "SRC_MCAST"), ("239.255.255.255", "SRC_MCAST"),
                 ("240.0.0.1", "SRC_RESERVED"), ("255.255.255.255", "SRC_RESERVED")]:
    case("v4 martian source %s" % src, U4("198.51.100.7", src=src),
         "GK_V_DROP", M + why)
case("v4 martian source before ttl 1", U4("198.51.100.7", ttl=1,
                                          src="127.0.0.1"),
     "GK_V_DROP", M + "SRC_LOOPBACK")
for dst, why in [("0.0.0.0", "DST_UNSPEC"), ("0.1.2.3", "DST_UNSPEC"),
                 ("127.0.0.1", "DST_LOOPBACK"), ("240.0.0.1", "DST_RESERVED"),
                 ("255.255.255.255", "DST_RESERVED")]:
    case("v4 martian destination %s" % dst, U4(dst), "GK_V_DROP", M + why)
for src in ["1.0.0.0", "126.255.255.255", "128.0.0.0", "223.255.255.255"]:
    case("v4 source %s at a martian range's edge is forwarded" % src,
         U4("198.51.100.7", src=src), "GK_V_TX", out_port=1, nh_mac=N)

N6 = "02:00:00:00:06:07"
for src, why in [("::", "SRC_UNSPEC"), ("::1", "SRC_LOOPBACK"),
                 ("ff02::1", "SRC_MCAST"), ("ff0e::1", "SRC_MCAST"),
                 ("::ffff:127.0.0.1", "SRC_LOOPBACK"),
                 ("::ffff:192.0.2.1", "SRC_V4MAPPED"),
                 ("::ffff:0.0.0.0", "SRC_V4MAPPED")]:
    case("v6 martian source %s" % src, U6("2001:db8:1::7", src=src),
         "GK_V_DROP", M + why)
case("v6 martian source before hop limit 1",
     U6("2001:db8:1::7", hlim=1, src="ff02::1"), "GK_V_DROP", M + "SRC_MCAST")
for dst, why in [("::", "DST_UNSPEC"), ("::1", "DST_LOOPBACK"),
                 ("::ffff:127.0.0.1", "DST_LOOPBACK")]:
    case("v6 martian destination %s" % dst, U6(dst), "GK_V_DROP", M + why)
for src in ["::2", "::1:0:0:1", "::fffe:c000:201", "fe00::1", "00ff::1"]:
    case("v6 source %s next to a martian is forwarded" % src,
         U6("2001:db8:1::7", src=src), "GK_V_TX", out_port=1, nh_mac=N6)
case("v6 connected", U6("2001:db8:1::7"), "GK_V_TX", out_port=1, nh_mac=N6)
case("v6 gateway", U6("2001:db8:2:1::9"), "GK_V_TX", out_port=1,
     nh_mac="02:00:00:00:06:01")
case("v6 gateway unresolved", U6("2001:db8:2:5::9"), "GK_V_DROP",
     "GK_WK_DROP_NO_NEIGH", nreq=(AF_INET6, 11, "2001:db8:1::2"))
case("v6 connected no neighbor", U6("2001:db8:1::8"), "GK_V_DROP",
     "GK_WK_DROP_NO_NEIGH", nreq=(AF_INET6, 11, "2001:db8:1::8"))
case("v6 no route", U6("2001:db8:ffff::1"), "GK_V_DROP", "GK_WK_DROP_NO_ROUTE")
case("v6 hop limit 1", U6("2001:db8:1::7", hlim=1), "GK_V_DROP",
     "GK_WK_DROP_TTL")
case("v6 egress not a genkan port", U6("2001:db8:3::1"), "GK_V_DROP",
     "GK_WK_DROP_BAD_PORT")
case("v6 blackhole", U6("2001:db8:dead::1"), "GK_V_DROP", "GK_WK_DROP_NO_ROUTE")
case("v6 1401 bytes > mtu", U6("2001:db8:1::7", size=1401 - 48), "GK_V_DROP",
     "GK_WK_DROP_TOO_BIG")
case("v6 1400 bytes == mtu", U6("2001:db8:1::7", size=1400 - 48), "GK_V_TX",
     out_port=1, nh_mac=N6)
case("v6 hop-by-hop header", E() / IPv6(src="2001:db8:4::77",
                                         dst="2001:db8:1::7", hlim=9) /
     IPv6ExtHdrHopByHop() / UDP(), "GK_V_TX", out_port=1, nh_mac=N6)
case("v6 hairpin", U6("2001:db8:4::5"), "GK_V_TX", out_port=0,
     nh_mac="02:00:00:00:07:05")

for i, c in enumerate(cases):
    carr("l3_in_%d" % i, c["inp"])
    carr("l3_out_%d" % i, c["exp"])
out.append("static const struct l3_case l3_cases[] = {")
for i, c in enumerate(cases):
    nq = c["nreq"]
    nqs = ".nreq_family = 0"
    if nq:
        nqs = ".nreq_family = %d, .nreq_ifindex = %d, .nreq_addr = %s" % (
            nq[0], nq[1], cbytes(addr(nq[0], nq[2])))
    out.append('\t{ .what = "%s", .in = l3_in_%d, .in_len = %d, .l3_off = %d, '
               '.flags = %s, .verdict = %s, .drop = %s, .out_port = %d, '
               '.out = l3_out_%d, .out_len = %d, %s },' %
               (c["what"], i, len(c["inp"]), c["l3_off"], c["flags"],
                c["verdict"], c["drop"], c["out_port"], i, len(c["exp"]), nqs))
out.append("};")

# ---- memory backend pcaps --------------------------------------------
# Forwardable frames, one ARP for the kernel; expected: per egress port.
mem_in = [U4("198.51.100.7", size=i) for i in range(5)] + \
    [U6("2001:db8:1::7", size=3), U4("192.0.2.5", size=7),
     Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(pdst="192.0.2.1")]
mem_exp = []
for p in mem_in:
    if ARP in p:
        continue
    e = Ether(bytes(p))
    if IP in e:
        port = 0 if e[IP].dst == "192.0.2.5" else 1
        e.dst = "02:00:00:00:03:05" if port == 0 else N
        e[IP].ttl -= 1
        del e[IP].chksum
    else:
        port = 1
        e.dst = N6
        e[IPv6].hlim -= 1
    e.src = PMAC[port]
    mem_exp.append((port, bytes(Ether(bytes(e)))))
# Expected pcap holds port 1's frames then port 0's, in arrival order.
wrpcap(sys.argv[2], mem_in)
wrpcap(sys.argv[3], [Ether(b) for p, b in mem_exp if p == 1] +
       [Ether(b) for p, b in mem_exp if p == 0])
out.append("#define MEM_NR_IN %d" % len(mem_in))
out.append("#define MEM_NR_PORT1 %d" % sum(1 for p, _ in mem_exp if p == 1))
out.append("#define MEM_NR_PORT0 %d" % sum(1 for p, _ in mem_exp if p == 0))
out.append("#define MEM_NR_KERNEL 1")

PRELUDE = """/* generated by gen_fixtures.py (scapy); do not edit */
#ifndef DP_FIXTURES_H
#define DP_FIXTURES_H
#include <stdint.h>
#include "fib.h"
#include "pkt.h"
#include "wkstats.h"

struct l3_case {
	const char *what;
	const uint8_t *in;
	uint32_t in_len;
	uint16_t l3_off;
	uint8_t flags;		/* GK_META_F_* the classifier would set */
	uint8_t verdict;	/* expected enum gk_verdict */
	uint8_t drop;		/* expected enum gk_wk_drop if dropped */
	uint16_t out_port;
	const uint8_t *out;	/* expected frame if transmitted */
	uint32_t out_len;
	uint8_t nreq_family;	/* expected neighbor request, 0: none */
	uint32_t nreq_ifindex;
	uint8_t nreq_addr[16];
};

"""

with open(sys.argv[1], "w") as f:
    f.write(PRELUDE)
    f.write("\n".join(out))
    f.write("\n#endif\n")
