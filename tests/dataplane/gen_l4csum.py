#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Fixture table for TCP/UDP checksum completion (dataplane/l4csum.c), with
scapy as the independent oracle. Each fixture is an input frame, the
metadata the classifier would hand over (computed here from scapy's layer
lengths), the exact expected frame and the expected outcome:

  done     the checksum was recomputed: the expected frame is the one scapy
           builds with its own checksum (chksum=None)
  none     not TCP/UDP that can be completed: untouched, not counted
  skipped  lengths lie, or a source route hides the destination:
           untouched, counted

Partial inputs hold what a Linux sender with TX checksum offload leaves in
the field (CHECKSUM_PARTIAL): the folded, NOT complemented, one's
complement sum of the pseudo-header alone. It is computed here from the
RFCs (RFC 768, RFC 793 3.1, RFC 8200 8.1), not with scapy's helpers and not
with genkan's code.

usage: gen_l4csum.py OUT.h
"""
import socket
import struct
import sys

from scapy.all import (Dot1Q, Ether, ICMP, IP, IPOption, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw, TCP, UDP)
from scapy.layers.inet6 import HBHOptUnknown, _IPv6ExtHdr

F_IPV4, F_IPV6, F_VLAN, F_FRAG, F_L4, F_LATER_FRAG = 1, 2, 4, 8, 0x10, 0x20
OUT = {"none": "L4_NONE", "done": "L4_DONE", "skipped": "L4_SKIPPED"}

S4, D4 = "198.51.100.10", "203.0.113.20"
S6, D6 = "2001:db8:1::10", "2001:db8:2::20"
HOPS6 = ["2001:db8:3::1", "2001:db8:4::1"]

FIX = []
out = []


def ones_sum(b):
    """RFC 1071: one's complement sum of 16-bit big-endian words, folded."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def pseudo4(src, dst, proto, length):
    return (socket.inet_pton(socket.AF_INET, src) +
            socket.inet_pton(socket.AF_INET, dst) +
            struct.pack("!BBH", 0, proto, length))


def pseudo6(src, dst, proto, length):
    return (socket.inet_pton(socket.AF_INET6, src) +
            socket.inet_pton(socket.AF_INET6, dst) +
            struct.pack("!I3xB", length, proto))


def eth(**kw):
    return Ether(src="02:00:00:00:bb:10", dst="02:00:00:00:aa:01", **kw)


def meta(frame):
    """Classifier metadata, from scapy's view of the frame."""
    e = Ether(frame)
    flags = F_VLAN if Dot1Q in e else 0
    if IP in e:
        ip = e[IP]
        l3 = len(frame) - len(ip)
        flags |= F_IPV4
        if ip.flags.MF or ip.frag:
            flags |= F_FRAG
        if ip.frag:
            return l3, 0, ip.proto, flags | F_LATER_FRAG
        return l3, l3 + ip.ihl * 4, ip.proto, flags | F_L4
    ip6 = e[IPv6]
    l3 = len(frame) - len(ip6)
    flags |= F_IPV6
    layer, nh = ip6, ip6.nh
    while isinstance(layer.payload, _IPv6ExtHdr):
        layer = layer.payload
        if isinstance(layer, IPv6ExtHdrFragment):
            flags |= F_FRAG
            if layer.offset:
                return l3, 0, layer.nh, flags | F_LATER_FRAG
        nh = layer.nh
    return l3, len(frame) - len(layer.payload), nh, flags | F_L4


def field_off(frame):
    """Offset of the TCP/UDP checksum field in the frame."""
    l3, l4, proto, _ = meta(frame)
    return l4 + (16 if proto == 6 else 6)


def with_field(frame, value):
    o = field_off(frame)
    return frame[:o] + struct.pack("!H", value) + frame[o + 2:]


def partial(frame):
    """The frame as a CHECKSUM_PARTIAL sender hands it over."""
    e = Ether(frame)
    l3, l4, proto, _ = meta(frame)
    if IP in e:
        ip = e[IP]
        ln = ip.len - ip.ihl * 4
        if proto == 17:
            ln = e[UDP].len
        ph = pseudo4(ip.src, ip.dst, proto, ln)
    else:
        ip6 = e[IPv6]
        ln = l3 + 40 + ip6.plen - l4
        if proto == 17:
            ln = e[UDP].len
        ph = pseudo6(ip6.src, ip6.dst, proto, ln)
    return with_field(frame, ones_sum(ph))


def add(what, frame, outcome, expect=None, length=None, m=None):
    """length: pkt->len when it is not the frame's; m: metadata override."""
    FIX.append((what, bytes(frame), length, m or meta(bytes(frame)),
                bytes(expect if expect is not None else frame), outcome))


def both(what, pkt):
    """The partial frame completes to scapy's; a complete one stays as is."""
    good = bytes(pkt)
    p = partial(good)
    assert p != good or what.endswith("sum is its own partial"), what
    add(what + ", partial", p, "done", good)
    add(what + ", complete", good, "done", good)


def zero_sum_payload(build, payload):
    """A payload whose last word makes the complemented sum come out 0."""
    pkt = build(payload + b"\0\0")
    layer = pkt[TCP] if TCP in pkt else pkt[UDP]
    c = Ether(bytes(pkt))[type(layer)].chksum
    return payload + struct.pack("!H", c)


# ---- TCP/UDP over IPv4 and IPv6, partial and complete ---------------------
for n in (0, 1, 7, 100, 1460):
    data = bytes((i * 7 + n) & 0xff for i in range(n))
    both("tcp4 %d bytes" % n,
         eth() / IP(src=S4, dst=D4) / TCP(sport=40000, dport=80, seq=1,
                                          ack=2, flags="PA") / Raw(data))
    both("tcp6 %d bytes" % n,
         eth() / IPv6(src=S6, dst=D6) / TCP(sport=40000, dport=443, seq=3,
                                            flags="A") / Raw(data))
for n in (0, 1, 33, 1472):
    data = bytes((i * 13 + n) & 0xff for i in range(n))
    both("udp4 %d bytes" % n,
         eth() / IP(src=S4, dst=D4) / UDP(sport=5353, dport=9004) / Raw(data))
    both("udp6 %d bytes" % (n - 20 if n == 1472 else n),
         eth() / IPv6(src=S6, dst=D6) / UDP(sport=5353, dport=9006) /
         Raw(data[:n - 20] if n == 1472 else data))

both("tcp4 syn with options",
     eth() / IP(src=S4, dst=D4) /
     TCP(sport=40001, dport=80, flags="S",
         options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)),
                  ("NOP", None), ("WScale", 7)]))
both("tcp4 over 802.1Q",
     eth() / Dot1Q(vlan=42) / IP(src=S4, dst=D4) /
     TCP(sport=40002, dport=80, flags="PA") / Raw(b"GET / HTTP/1.1\r\n"))
both("tcp4 with a router alert option",
     eth() / IP(src=S4, dst=D4, options=[IPOption(b"\x94\x04\x00\x00")]) /
     TCP(sport=40003, dport=80, flags="A") / Raw(b"x" * 11))
both("udp6 behind hop-by-hop and destination options",
     eth() / IPv6(src=S6, dst=D6) / IPv6ExtHdrHopByHop() /
     IPv6ExtHdrDestOpt() / UDP(sport=5353, dport=9006) / Raw(b"y" * 21))
both("tcp6 behind a routing header with no segments left",
     eth() / IPv6(src=S6, dst=D6) /
     IPv6ExtHdrRouting(addresses=HOPS6, segleft=0) /
     TCP(sport=40004, dport=80, flags="A") / Raw(b"z" * 5))

# RFC 768: a computed zero goes out as all ones; TCP keeps its zero.
for fam, ipl in (("4", IP(src=S4, dst=D4)), ("6", IPv6(src=S6, dst=D6))):
    ub = lambda pl, ipl=ipl: eth() / ipl.copy() / UDP(sport=1, dport=2) / Raw(pl)
    pl = zero_sum_payload(ub, b"abcdef")
    pkt = ub(pl)
    assert Ether(bytes(pkt))[UDP].chksum == 0xffff
    both("udp%s whose sum computes to zero (sent as ffff)" % fam, pkt)
    tb = lambda pl, ipl=ipl: (eth() / ipl.copy() /
                              TCP(sport=1, dport=2, flags="A") / Raw(pl))
    pl = zero_sum_payload(tb, b"abcdef")
    pkt = tb(pl)
    assert Ether(bytes(pkt))[TCP].chksum == 0
    both("tcp%s whose sum computes to zero" % fam, pkt)

# Ethernet padding after a short datagram is not summed.
good = bytes(eth() / IP(src=S4, dst=D4) / UDP(sport=7, dport=9004) / Raw(b"p"))
pad = b"\xaa" * (60 - len(good))
add("udp4 in a padded frame, partial", partial(good) + pad, "done", good + pad)
good = bytes(eth() / IP(src=S4, dst=D4) / TCP(sport=7, dport=80, flags="A"))
add("tcp4 in a padded frame, partial", partial(good) + pad[:60 - len(good)],
    "done", good + pad[:60 - len(good)])

# A UDP length below the IP payload: the receiver sums the UDP length.
udp = bytes(IP(src=S4, dst=D4) / UDP(sport=11, dport=9004) / Raw(b"abc"))[20:]
good = bytes(eth() / IP(src=S4, dst=D4, proto=17) / Raw(udp + b"trail"))
add("udp4 shorter than its IP payload, partial", partial(good), "done", good)

# ---- left alone, not counted -----------------------------------------------
add("udp4 without checksum (0)",
    bytes(eth() / IP(src=S4, dst=D4) / UDP(sport=1, dport=2, chksum=0) /
          Raw(b"no sum")), "none")
frag = eth() / IP(src=S4, dst=D4, flags="MF", id=7) / \
    TCP(sport=1, dport=2, flags="A") / Raw(b"f" * 16)
add("tcp4 first fragment", with_field(bytes(frag), 0x1234), "none")
add("ipv4 later fragment",
    bytes(eth() / IP(src=S4, dst=D4, frag=3, proto=6, id=7) / Raw(b"g" * 24)),
    "none")
frag6 = eth() / IPv6(src=S6, dst=D6) / IPv6ExtHdrFragment(m=1, id=9) / \
    UDP(sport=1, dport=2) / Raw(b"h" * 16)
add("udp6 first fragment", with_field(bytes(frag6), 0x4321), "none")
add("icmp echo",
    bytes(eth() / IP(src=S4, dst=D4) / ICMP(id=1, seq=1) / Raw(b"ping")),
    "none")
good = bytes(eth() / IP(src=S4, dst=D4) / TCP(sport=1, dport=2))
l3, l4, pr, fl = meta(good)
add("tcp4, metadata without L4", partial(good), "none",
    m=(l3, l4, pr, fl & ~F_L4))

# ---- lengths that lie: left alone, counted ---------------------------------
good = bytes(eth() / IP(src=S4, dst=D4) / TCP(sport=1, dport=2) / Raw(b"t" * 40))
p = partial(good)
add("tcp4 frame cut short of its IP total length", p[:-10], "skipped")
add("tcp4 pkt->len short of the IP total length", p, "skipped",
    length=len(p) - 1)
q = bytearray(p)
q[14 + 2:14 + 4] = struct.pack("!H", 20 + 10)  # total length cuts the TCP header
add("tcp4 IP total length inside the TCP header", bytes(q), "skipped")
add("tcp4 metadata l4_off past the frame", p, "skipped",
    m=(l3, len(p) + 4, 6, F_IPV4 | F_L4))
add("tcp4 metadata l3_off past the frame", p, "skipped",
    m=(len(p) - 8, len(p) + 12, 6, F_IPV4 | F_L4))
add("tcp4 metadata l4_off not after the IP header", p, "skipped",
    m=(l3, l3 + 24, 6, F_IPV4 | F_L4))
good6 = bytes(eth() / IPv6(src=S6, dst=D6) / UDP(sport=1, dport=2) / Raw(b"u" * 30))
p6 = partial(good6)
add("udp6 frame cut short of its payload length", p6[:-1], "skipped")
q = bytearray(p6)
q[54 + 4:54 + 6] = struct.pack("!H", 8 + 31)   # UDP length past the payload
add("udp6 UDP length past the IP payload", bytes(q), "skipped")
q[54 + 4:54 + 6] = struct.pack("!H", 7)        # below the UDP header
add("udp6 UDP length below 8", bytes(q), "skipped")
l3, l4, pr, fl = meta(good6)
add("udp6 metadata l4_off inside the IPv6 header", p6, "skipped",
    m=(l3, l3 + 32, 17, fl))
add("udp6 metadata l4_off past an extension chain that is not there", p6,
    "skipped", m=(l3, l3 + 48, 17, fl))
do = bytes(eth() / IPv6(src=S6, dst=D6) /
           IPv6ExtHdrDestOpt(options=[HBHOptUnknown(
               otype=0x1e, optdata=b"\1" * 8 + b"\0\x14" + b"\1" * 2)]) /
           UDP(sport=1, dport=2) / Raw(b"v" * 12))
l3, l4, pr, fl = meta(do)
assert l4 == l3 + 56, l4
# (its bytes where the metadata puts UDP read as a plausible UDP length)
add("udp6 metadata l4_off inside a destination options header", partial(do),
    "skipped", m=(l3, l3 + 48, 17, fl))

# ---- source routes under way: the pseudo-header wants the final hop --------
lsrr = IPOption(b"\x83\x0b\x04" + socket.inet_pton(socket.AF_INET, "192.0.2.1") +
                socket.inet_pton(socket.AF_INET, D4) + b"\x00")
rr = eth() / IP(src=S4, dst="192.0.2.9", options=[lsrr]) / \
    TCP(sport=1, dport=2, flags="A") / Raw(b"r" * 9)
add("tcp4 with a loose source route under way", with_field(bytes(rr), 0x5555),
    "skipped")
rt = eth() / IPv6(src=S6, dst=HOPS6[0]) / \
    IPv6ExtHdrRouting(addresses=[HOPS6[1], D6], segleft=2) / \
    UDP(sport=1, dport=2) / Raw(b"s" * 9)
add("udp6 behind a routing header with segments left",
    with_field(bytes(rt), 0x6666), "skipped")


# ---- emit ------------------------------------------------------------------
def cbytes(b):
    return "{ " + ", ".join("0x%02x" % x for x in b) + " }"


out.append("/* Generated by gen_l4csum.py (scapy). Do not edit. */")
out.append("#include <stdint.h>")
out.append("enum l4_outcome { L4_NONE, L4_DONE, L4_SKIPPED };")
out.append("struct l4_fx {\n\tconst char *what;\n\tconst uint8_t *in;\n"
           "\tconst uint8_t *out;\n\tuint32_t frame_len;\t/* bytes in, out */\n"
           "\tuint32_t len;\t\t/* pkt->len */\n\tuint16_t l3_off, l4_off;\n"
           "\tuint8_t l4_proto, flags;\n\tenum l4_outcome outcome;\n};")
for i, (what, frame, length, m, exp, oc) in enumerate(FIX):
    assert len(exp) == len(frame), what
    out.append("static const uint8_t l4_in_%d[] = %s;" % (i, cbytes(frame)))
    out.append("static const uint8_t l4_out_%d[] = %s;" % (i, cbytes(exp)))
out.append("static const struct l4_fx l4_fx[] = {")
for i, (what, frame, length, m, exp, oc) in enumerate(FIX):
    out.append('\t{ "%s", l4_in_%d, l4_out_%d, %d, %d, %d, %d, %d, 0x%02x, %s },'
               % (what, i, i, len(frame), length if length is not None
                  else len(frame), m[0], m[1], m[2], m[3], OUT[oc]))
out.append("};")

with open(sys.argv[1], "w") as f:
    f.write("\n".join(out) + "\n")
