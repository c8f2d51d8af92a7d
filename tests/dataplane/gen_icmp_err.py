#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Fixture table for the ICMP error stage (dataplane/icmp_err.c), built with
scapy as the independent oracle. Each fixture is an input frame as l3fwd
would leave it (verdict and drop reason given), its classifier metadata
(computed here from scapy's layer lengths), and the expected result: the
exact ICMP error frame scapy builds, checksums included, or the unchanged
input and the event that explains why no error was sent.

The topology (ports with their addresses, routes) is emitted too, so the
test builds its FIB from the same numbers.

usage: gen_icmp_err.py OUT.h
"""
import sys

from scapy.all import (Dot1AD, Dot1Q, Ether, ICMP, IP, IPerror, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, Padding, Raw, TCP, UDP,
                       ICMPv6DestUnreach, ICMPv6EchoRequest, ICMPv6ND_Redirect,
                       ICMPv6PacketTooBig, ICMPv6TimeExceeded)
from scapy.layers.inet6 import _IPv6ExtHdr

AF_INET, AF_INET6 = 2, 10
F_IPV4, F_IPV6, F_VLAN, F_FRAG, F_L4, F_LATER_FRAG = 1, 2, 4, 8, 0x10, 0x20

# RFC 1812 4.3.2.3 and RFC 4443 2.4(c), restated here on purpose
V4_MAX, V6_MAX = 576, 1280

# ---- topology ------------------------------------------------------------
# port ids are not array indexes on purpose: the stage must look them up
PORTS = [
    # name, ifindex, port_id, mac, mtu, addr4, addr6
    ("west", 10, 1, "02:00:00:00:aa:01", 1500, "198.51.100.1", "2001:db8:1::1"),
    ("east", 11, 0, "02:00:00:00:aa:00", 1400, "203.0.113.1", "2001:db8:2::1"),
    ("v4only", 12, 5, "02:00:00:00:aa:05", 1500, "192.0.2.1", None),
]
PORT = {p[0]: p for p in PORTS}
ROUTES = [
    # family, prefix, plen, ifindex
    (AF_INET, "198.51.100.0", 24, 10),
    (AF_INET, "203.0.113.0", 24, 11),
    (AF_INET, "192.0.2.0", 24, 12),
    (AF_INET6, "2001:db8:1::", 64, 10),
    (AF_INET6, "2001:db8:2::", 64, 11),
]

HMAC = "02:00:00:00:bb:10"          # the sender, behind west
S4, D4 = "198.51.100.10", "203.0.113.20"
S6, D6 = "2001:db8:1::10", "2001:db8:2::20"
BUF = 2048                          # default buffer room

FIX = []
out = []


def macb(s):
    return bytes(int(x, 16) for x in s.split(":"))


def cbytes(b):
    return "{ " + ", ".join("0x%02x" % x for x in b) + " }"


def carr(name, b):
    out.append("static const uint8_t %s[%d] = %s;" % (name, max(len(b), 1),
                                                      cbytes(b or b"\0")))


def eth(dst=None, **kw):
    return Ether(src=kw.pop("src", HMAC), dst=dst or PORT["west"][3], **kw)


def meta(frame):
    """Classifier metadata, from scapy's view of the frame."""
    e = Ether(frame)
    flags = 0
    if Dot1Q in e or Dot1AD in e:
        flags |= F_VLAN
    if IP in e:
        ip = e[IP]
        l3 = len(frame) - len(ip)
        flags |= F_IPV4
        if ip.flags.MF or ip.frag:
            flags |= F_FRAG
        if ip.frag:
            return l3, 0, ip.proto, flags | F_LATER_FRAG
        l4 = l3 + ip.ihl * 4
        ok = {1: 8, 6: 20, 17: 8}.get(ip.proto, 0) <= ip.len - ip.ihl * 4
        return l3, l4 if ok else 0, ip.proto, flags | (F_L4 if ok else 0)
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
    up = layer.payload
    if len(up) < {6: 20, 17: 8, 58: 8}.get(nh, 0):
        return l3, 0, nh, flags
    return l3, len(frame) - len(up), nh, flags | F_L4


def reply_l2(frame, port, iplayer):
    """The input's L2 header (tags included), turned back to the sender."""
    e = Ether(frame)
    e[iplayer].underlayer.remove_payload()
    e.dst, e.src = e.src, port[3]
    return e


def expect4(frame, port, typ, code, mtu=0, quote=None):
    e = Ether(frame)
    raw = bytes(e[IP])[:e[IP].len]
    q = raw[:V4_MAX - 28] if quote is None else raw[:quote]
    icmp = ICMP(type=typ, code=code)
    if typ == 3:
        icmp.nexthopmtu = mtu
    return bytes(reply_l2(frame, port, IP) /
                 IP(src=port[5], dst=e[IP].src, ttl=64, tos=0xc0, id=0,
                    flags="DF", proto=1) / icmp / Raw(q))


def expect6(frame, port, too_big, mtu=0):
    e = Ether(frame)
    raw = bytes(e[IPv6])[:40 + e[IPv6].plen]
    q = raw[:V6_MAX - 48]
    icmp = ICMPv6PacketTooBig(mtu=mtu) if too_big else ICMPv6TimeExceeded(code=0)
    return bytes(reply_l2(frame, port, IPv6) /
                 IPv6(src=port[6], dst=e[IPv6].src, hlim=255, tc=0, fl=0,
                      nh=58) / icmp / Raw(q))


def add(name, pkt, reason="GK_WK_DROP_TTL", port="west", verdict="GK_V_DROP",
        out_verdict="GK_V_DROP", event="-1", expect=None, buf_len=BUF,
        in_port=None):
    frame = bytes(pkt)
    l3, l4, proto, flags = meta(frame)
    FIX.append(dict(name=name, frame=frame, reason=reason, verdict=verdict,
                    in_port=PORT[port][2] if in_port is None else in_port,
                    meta=(l3, l4, proto, flags), out_verdict=out_verdict,
                    event=event, expect=expect if expect else frame,
                    buf_len=buf_len))


def te4(name, pkt, port="west", quote=None, **kw):
    add(name, pkt, port=port, out_verdict="GK_V_TX",
        event="GK_WK_EV_ICMP_TIME_EXCEEDED",
        expect=expect4(bytes(pkt), PORT[port], 11, 0, quote=quote), **kw)


def te6(name, pkt, port="west", **kw):
    add(name, pkt, port=port, out_verdict="GK_V_TX",
        event="GK_WK_EV_ICMP_TIME_EXCEEDED",
        expect=expect6(bytes(pkt), PORT[port], False), **kw)


def sup(name, pkt, **kw):
    add(name, pkt, event="GK_WK_EV_ICMP_SUPPRESSED", **kw)


def build():
    udp = UDP(sport=40000, dport=33434) / Raw(b"genkan-icmp-err" * 2)
    ip4 = dict(src=S4, dst=D4, ttl=1)
    ip6 = dict(src=S6, dst=D6, hlim=1)

    # -- IPv4 Time Exceeded (RFC 792, RFC 1812 4.3.2.3)
    te4("v4_ttl_udp", eth() / IP(**ip4) / udp)
    te4("v4_ttl0_tcp", eth() / IP(src=S4, dst=D4, ttl=0) / TCP(sport=1, dport=2))
    te4("v4_ttl_icmp_echo_is_answered",
        eth() / IP(**ip4) / ICMP(type=8, id=1, seq=1) / Raw(b"traceroute"))
    p = eth() / IP(**ip4) / UDP(sport=1, dport=2)
    te4("v4_ttl_eth_padding_not_quoted", p / Padding(b"\0" * (60 - len(p))))
    te4("v4_ttl_ip_options_quoted",
        eth() / IP(options=b"\x94\x04\x00\x00", **ip4) / udp)
    te4("v4_ttl_big_quote_cut_at_576",
        eth() / IP(**ip4) / UDP(sport=5, dport=6) / Raw(bytes(range(256)) * 6))
    te4("v4_ttl_first_fragment",
        eth() / IP(flags="MF", **ip4) / UDP(sport=7, dport=8) / Raw(b"f" * 40))
    te4("v4_ttl_vlan_tag_kept",
        eth() / Dot1Q(vlan=42, prio=2) / IP(**ip4) / udp)
    te4("v4_ttl_port_found_by_id", eth(dst=PORT["v4only"][3]) /
        IP(src="192.0.2.77", dst=D4, ttl=1) / udp, port="v4only")
    # quote shrinks to the buffer, but keeps header + 64 bits (RFC 792)
    p = eth() / IP(**ip4) / UDP(sport=5, dport=6) / Raw(b"r" * 400)
    te4("v4_ttl_quote_cut_to_buffer", p, buf_len=len(p) + 8,
        quote=len(p) + 8 - 14 - 28)
    p = eth() / IP(**ip4) / UDP(sport=1, dport=2)
    p = p / Padding(b"\0" * (60 - len(p)))
    sup("v4_ttl_no_room_in_buffer", p, buf_len=60)

    # -- IPv4 Fragmentation Needed (RFC 792, RFC 1191 4): east MTU 1400
    big = UDP(sport=9, dport=9) / Raw(b"B" * 1392)          # 1420-byte IP
    p = eth() / IP(src=S4, dst=D4, ttl=64, flags="DF") / big
    add("v4_toobig_df_frag_needed", p, reason="GK_WK_DROP_TOO_BIG",
        out_verdict="GK_V_TX", event="GK_WK_EV_ICMP_FRAG_NEEDED",
        expect=expect4(bytes(p), PORT["west"], 3, 4, mtu=1400))
    # RFC 791: without DF the router fragments; genkan does not yet
    add("v4_toobig_no_df_stays_dropped",
        eth() / IP(src=S4, dst=D4, ttl=64) / big, reason="GK_WK_DROP_TOO_BIG")
    sup("v4_toobig_df_no_route", eth() / IP(src=S4, dst="198.18.0.1",
                                            flags="DF") / big,
        reason="GK_WK_DROP_TOO_BIG")

    # -- IPv4: never about these (RFC 1122 3.2.2, RFC 1812 4.3.2.7)
    sup("v4_later_fragment", eth() / IP(frag=10, proto=17, **ip4) / Raw(b"l" * 32))
    sup("v4_icmp_error_dest_unreach", eth() / IP(**ip4) / ICMP(type=3, code=1) /
        IPerror(src=D4, dst=S4) / Raw(b"q" * 8))
    sup("v4_icmp_error_time_exceeded", eth() / IP(**ip4) / ICMP(type=11) /
        IPerror(src=D4, dst=S4) / Raw(b"q" * 8))
    sup("v4_icmp_unknown_type", eth() / IP(**ip4) / ICMP(type=99) / Raw(b"u" * 8))
    sup("v4_icmp_no_type_byte", eth() / IP(proto=1, **ip4))
    sup("v4_dst_multicast", eth() / IP(src=S4, dst="233.252.0.1", ttl=1) / udp)
    sup("v4_dst_broadcast", eth() / IP(src=S4, dst="255.255.255.255", ttl=1) / udp)
    sup("v4_l2_broadcast", eth(dst="ff:ff:ff:ff:ff:ff") / IP(**ip4) / udp)
    for n, a in (("zero", "0.0.0.0"), ("this_net", "0.1.2.3"),
                 ("loopback", "127.0.0.1"), ("multicast", "224.0.0.5"),
                 ("class_e", "240.0.0.1"), ("broadcast", "255.255.255.255")):
        sup("v4_src_" + n, eth() / IP(src=a, dst=D4, ttl=1) / udp)

    # -- no address to send from
    add("v4_unknown_port_no_src", eth() / IP(**ip4) / udp, in_port=9,
        event="GK_WK_EV_ICMP_NO_SRC")

    # -- IPv6 Time Exceeded (RFC 4443 3.3)
    te6("v6_hlim_udp", eth() / IPv6(**ip6) / udp)
    te6("v6_hlim0_tcp", eth() / IPv6(src=S6, dst=D6, hlim=0) / TCP(sport=1, dport=2))
    te6("v6_hlim_echo_is_answered", eth() / IPv6(**ip6) /
        ICMPv6EchoRequest(id=2, seq=3, data=b"tr6"))
    te6("v6_hlim_exthdrs", eth() / IPv6(**ip6) / IPv6ExtHdrHopByHop() /
        IPv6ExtHdrDestOpt() / udp)
    te6("v6_hlim_big_quote_cut_at_1280", eth() / IPv6(**ip6) /
        UDP(sport=5, dport=6) / Raw(bytes(range(256)) * 6))
    te6("v6_hlim_qinq_tags_kept", Ether(src=HMAC, dst=PORT["west"][3],
                                        type=0x88a8) /
        Dot1AD(vlan=10, prio=1) / Dot1Q(vlan=20) / IPv6(**ip6) / udp)
    p = eth() / IPv6(**ip6) / UDP(sport=1, dport=2)
    te6("v6_hlim_eth_padding_not_quoted", p / Padding(b"\0" * 8))
    # RFC 4443 has no fragment rule; the first fragment carries the type
    te6("v6_hlim_later_fragment_answered", eth() / IPv6(**ip6) /
        IPv6ExtHdrFragment(nh=17, offset=4, m=1, id=7) / Raw(b"L" * 24))
    te6("v6_hlim_later_fragment_of_icmp6", eth() / IPv6(**ip6) /
        IPv6ExtHdrFragment(nh=58, offset=4, id=8) / Raw(b"\x01" * 24))

    # -- IPv6 Packet Too Big (RFC 4443 3.2): east MTU 1400
    p = eth() / IPv6(src=S6, dst=D6, hlim=64) / UDP(sport=9, dport=9) / \
        Raw(b"P" * 1402)                                     # 1450-byte IP
    add("v6_toobig_pkt_too_big", p, reason="GK_WK_DROP_TOO_BIG",
        out_verdict="GK_V_TX", event="GK_WK_EV_ICMP_PKT_TOO_BIG",
        expect=expect6(bytes(p), PORT["west"], True, mtu=1400))
    p = eth() / IPv6(src=S6, dst=D6, hlim=64) / \
        IPv6ExtHdrFragment(nh=17, offset=100, id=9) / Raw(b"p" * 1400)
    add("v6_toobig_later_fragment", p, reason="GK_WK_DROP_TOO_BIG",
        out_verdict="GK_V_TX", event="GK_WK_EV_ICMP_PKT_TOO_BIG",
        expect=expect6(bytes(p), PORT["west"], True, mtu=1400))
    sup("v6_toobig_no_route", eth() / IPv6(src=S6, dst="2001:db8:99::1") /
        UDP(sport=9, dport=9) / Raw(b"P" * 1402), reason="GK_WK_DROP_TOO_BIG")

    # -- IPv6: never about these (RFC 4443 2.4(e))
    sup("v6_icmp6_error_dest_unreach", eth() / IPv6(**ip6) /
        ICMPv6DestUnreach(code=3) / IPv6(src=D6, dst=S6) / UDP())
    sup("v6_icmp6_error_behind_exthdr", eth() / IPv6(**ip6) /
        IPv6ExtHdrDestOpt() / ICMPv6TimeExceeded() / IPv6(src=D6, dst=S6))
    sup("v6_icmp6_error_packet_too_big", eth() / IPv6(**ip6) /
        ICMPv6PacketTooBig(mtu=1280) / IPv6(src=D6, dst=S6))
    sup("v6_icmp6_redirect", eth() / IPv6(**ip6) /
        ICMPv6ND_Redirect(tgt="fe80::1", dst=D6))
    sup("v6_icmp6_truncated", eth() / IPv6(nh=58, **ip6) / Raw(b"\x80\x00"))
    sup("v6_dst_multicast", eth() / IPv6(src=S6, dst="ff0e::1", hlim=1) / udp)
    sup("v6_l2_multicast", eth(dst="33:33:00:00:00:01") / IPv6(**ip6) / udp)
    for n, a in (("unspecified", "::"), ("loopback", "::1"),
                 ("multicast", "ff02::1")):
        sup("v6_src_" + n, eth() / IPv6(src=a, dst=D6, hlim=1) / udp)
    add("v6_port_without_v6_addr_no_src", eth(dst=PORT["v4only"][3]) /
        IPv6(**ip6) / udp, port="v4only", event="GK_WK_EV_ICMP_NO_SRC")

    # -- other packets are not this stage's business
    p = eth() / IP(**ip4) / udp
    add("untouched_tx", p, reason="0", verdict="GK_V_TX", out_verdict="GK_V_TX")
    add("untouched_none", p, reason="0", verdict="GK_V_NONE",
        out_verdict="GK_V_NONE")
    add("untouched_kernel", p, reason="0", verdict="GK_V_KERNEL",
        out_verdict="GK_V_KERNEL")
    add("untouched_drop_no_route", p, reason="GK_WK_DROP_NO_ROUTE")
    add("untouched_drop_no_neigh_v6", eth() / IPv6(**ip6) / udp,
        reason="GK_WK_DROP_NO_NEIGH")


def main():
    build()
    out.append("/* generated by tests/dataplane/gen_icmp_err.py (scapy); "
               "do not edit */")
    out.append("#include <stdint.h>")
    out.append("")
    out.append("struct ie_port { uint32_t ifindex; uint16_t port_id; "
               "uint8_t mac[6]; uint32_t mtu; uint8_t has4, has6; "
               "uint8_t addr4[4]; uint8_t addr6[16]; };")
    out.append("static const struct ie_port ie_ports[] = {")
    import socket
    for name, ifi, pid, mac, mtu, a4, a6 in PORTS:
        b4 = socket.inet_pton(socket.AF_INET, a4) if a4 else bytes(4)
        b6 = socket.inet_pton(socket.AF_INET6, a6) if a6 else bytes(16)
        out.append("\t{ %d, %d, %s, %d, %d, %d, %s, %s }, /* %s */" %
                   (ifi, pid, cbytes(macb(mac)), mtu, a4 is not None,
                    a6 is not None, cbytes(b4), cbytes(b6), name))
    out.append("};")
    out.append("struct ie_route { uint8_t family, plen; uint8_t dst[16]; "
               "uint32_t ifindex; };")
    out.append("static const struct ie_route ie_routes[] = {")
    for fam, pfx, plen, ifi in ROUTES:
        b = socket.inet_pton(socket.AF_INET if fam == AF_INET else
                             socket.AF_INET6, pfx)
        out.append("\t{ %d, %d, %s, %d }," % (fam, plen, cbytes(b + bytes(16 - len(b))), ifi))
    out.append("};")
    out.append("")
    seen = set()
    for i, f in enumerate(FIX):
        assert f["name"] not in seen, f["name"]
        seen.add(f["name"])
        carr("ie_in_%d" % i, f["frame"])
        carr("ie_out_%d" % i, f["expect"])
    out.append("")
    out.append("struct ie_fx {\n\tconst char *name;\n\tuint16_t in_port;\n"
               "\tuint8_t verdict, reason;\n"
               "\tuint16_t l3_off, l4_off;\n\tuint8_t l4_proto, flags;\n"
               "\tuint32_t buf_len;\n\tconst uint8_t *in;\n\tuint32_t in_len;\n"
               "\tuint8_t out_verdict;\n\tint event;\n"
               "\tconst uint8_t *out;\n\tuint32_t out_len;\n};")
    out.append("static const struct ie_fx ie_fx[] = {")
    for i, f in enumerate(FIX):
        l3, l4, proto, flags = f["meta"]
        out.append('\t{ "%s", %d, %s, %s, %d, %d, %d, 0x%02x, %d, ie_in_%d, %d, '
                   '%s, %s, ie_out_%d, %d },' %
                   (f["name"], f["in_port"], f["verdict"], f["reason"], l3, l4,
                    proto, flags, f["buf_len"], i, len(f["frame"]),
                    f["out_verdict"], f["event"], i, len(f["expect"])))
    out.append("};")
    with open(sys.argv[1], "w") as fp:
        fp.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
