#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Fixture table for the MAP-E stages (dataplane/mape_ce.c, mape_br.c), built
with scapy as the independent oracle. Rule math (RFC 7597 §5.1, §5.2, §6
and the draft-03 interface id) is re-implemented here from the RFC text,
not taken from genkan. Each fixture: role, input frame, its classifier
metadata, and the expected result: verdict, drop reasons, and for packets
the stage keeps, the exact output frame (pre-l3fwd: the L2 header is the
input's, only the ethertype changes) and its metadata.

usage: gen_mape.py OUT.h
"""
import ipaddress
import os
import random
import sys

from scapy.all import (Ether, ICMP, IP, IPerror, IPv6, Raw, TCP, UDP, UDPerror,
                       TCPerror, ICMPv6PacketTooBig, ICMPv6DestUnreach,
                       ICMPv6EchoRequest, IPv6ExtHdrFragment, fragment,
                       fragment6)

# the classifier's flow hash, modelled independently of genkan's C
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "classify"))
import gen_fixtures as cls  # noqa: E402

F_IPV4, F_IPV6, F_VLAN, F_FRAG, F_L4, F_LATER_FRAG, F_ORIGIN = \
    1, 2, 4, 8, 0x10, 0x20, 0x40

V4_PORT, V6_PORT = 1, 2
TUNNEL_MTU = 1460
MSS = 1360
ROUTER_MAC, HOST_MAC = "02:00:00:00:aa:01", "02:00:00:00:bb:02"
CE_V4_PORT_ADDR, BR_V4_PORT_ADDR = "203.0.113.254", "203.0.113.1"
BR = "2001:db8:ffff::1"
INET = "203.0.113.10"

# name, ipv6 prefix, plen, ipv4 prefix, plen, ea bits, psid offset, draft03, fmr, mss
RFC = ("rfc", "2001:db8::", 40, "192.0.2.0", 24, 16, 6, 0, 1, MSS)
D03 = ("d03", "2001:db8:100::", 40, "198.51.100.0", 24, 16, 6, 1, 1, 0)
BIG = [("big%d" % i, str(ipaddress.IPv6Address("2001:db8:%x::" % (0x1000 + i))),
        48, str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("198.18.0.0"))
                                      + 128 * i)), 25, 15, 6, 0, 0, 0)
       for i in range(1000)]
CE_RULES = [RFC, D03]
CE_BMR = 0
EUP, EUP_LEN = "2001:db8:12:3400::", 56
BR_RULES = [RFC, D03] + BIG


def ce_addr(rule, v4, port=None, psid=None):
    """RFC 7597 §5.2 EA bits, §6 interface id (or draft-03)."""
    _, p6, r6, p4, r4, o, a, d03 = rule[:8]
    p = 32 - r4
    k = o - p if o > p else 0
    v4i = int(ipaddress.IPv4Address(v4))
    if psid is None:
        psid = (port >> (16 - a - k)) & ((1 << k) - 1) if k else 0
    suffix = v4i & ((1 << p) - 1)
    ea = (suffix << k) | psid
    hi = int(ipaddress.IPv6Address(p6)) >> 64
    hi |= ea << (64 - r6 - o)
    if d03:
        iid = (v4i << 24) | (psid << 8)
    else:
        iid = (v4i << 16) | psid
    return str(ipaddress.IPv6Address((hi << 64) | iid))


CE6 = ce_addr(RFC, "192.0.2.18", psid=0x34)
assert CE6 == "2001:db8:12:3400:0:c000:212:34"      # RFC 7597 Appendix A
CE4 = "192.0.2.18"

FIX = []
out = []


def cbytes(b):
    return "{ " + ", ".join("0x%02x" % x for x in b) + " }"


def meta(frame):
    e = Ether(frame)
    if IPv6 in e and IPv6ExtHdrFragment in e:
        l3 = len(frame) - len(e[IPv6])
        fh = e[IPv6ExtHdrFragment]
        if fh.offset:
            return l3, 0, fh.nh, F_IPV6 | F_FRAG | F_LATER_FRAG
        return l3, l3 + 48, fh.nh, F_IPV6 | F_FRAG | F_L4
    if IP in e and not (IPv6 in e and e[IPv6].nh in (4, 58)):
        ip = e[IP]
        l3 = len(frame) - len(ip)
        flags = F_IPV4
        if ip.flags.MF or ip.frag:
            flags |= F_FRAG
        if ip.frag:
            return l3, 0, ip.proto, flags | F_LATER_FRAG
        return l3, l3 + ip.ihl * 4, ip.proto, flags | F_L4
    ip6 = e[IPv6]
    l3 = len(frame) - len(ip6)
    return l3, l3 + 40, ip6.nh, F_IPV6 | F_L4


def add(role, name, pkt, in_port, verdict="GK_V_NONE", wk=0, map_drop=-1,
        expect=None, origin=False, flow=None, icmp_table=0):
    frame = bytes(pkt)
    flow = flow if flow is not None else (0x9abcd000 + len(FIX) * 0x1111)
    l3, l4, proto, flags = meta(frame)
    if expect is not None:
        exp = bytes(expect)
        ol3, ol4, oproto, oflags = meta(exp)
        if origin:
            oflags |= F_ORIGIN
    else:
        exp = frame
        ol3, ol4, oproto, oflags = l3, l4, proto, flags
    FIX.append(dict(role=role, name=name, frame=frame, in_port=in_port,
                    meta=(l3, l4, proto, flags), flow=flow, verdict=verdict,
                    wk=wk, map_drop=map_drop, expect=exp,
                    ometa=(ol3, ol4, oproto, oflags), icmp_table=icmp_table))


def eth(t=None):
    return Ether(src=HOST_MAC, dst=ROUTER_MAC)


def l2_of(frame):
    """Input L2 header; the stage changes only the ethertype."""
    e = Ether(frame)
    return Ether(src=e.src, dst=e.dst)


def dec_ttl(ip):
    ip = ip.copy()
    ip.ttl -= 1
    del ip.chksum
    return ip


def encapped(frame, ip4, src6, dst6, flow):
    """RFC 2473: outer IPv6 (tc from TOS, fl from the hash) + inner."""
    return (l2_of(frame) /
            IPv6(src=src6, dst=dst6, nh=4, hlim=64, tc=ip4.tos,
                 fl=flow & 0xfffff) / ip4)


def fixt_flow():
    return 0x9abcd000 + len(FIX) * 0x1111


def enc(role, name, ip4, src6, dst6, transform=None, **kw):
    p = eth() / ip4
    inner = IP(bytes(ip4))
    inner = dec_ttl(inner)
    if transform:
        inner = transform(inner)
    inner = IP(bytes(inner))
    flow = fixt_flow()
    add(role, name, p, V4_PORT, expect=encapped(bytes(p), inner, src6, dst6,
                                                  flow), origin=True, **kw)


def dec(role, name, src6, dst6, ip4, transform=None, **kw):
    p = eth() / IPv6(src=src6, dst=dst6, nh=4, hlim=60) / ip4
    inner = IP(bytes(ip4))
    if transform:
        inner = IP(bytes(transform(inner)))
    add(role, name, p, V6_PORT, expect=l2_of(bytes(p)) / inner, **kw)


def drop(role, name, pkt, port, why, wk="GK_WK_DROP_MAPE", **kw):
    add(role, name, pkt, port, verdict="GK_V_DROP", wk=wk,
        map_drop="GK_MAP_DROP_" + why, **kw)


def clamp(mss):
    def f(ip):
        ip = ip.copy()
        ip[TCP].options = [(o, mss if o == "MSS" else v)
                           for o, v in ip[TCP].options]
        del ip[TCP].chksum
        return ip
    return f


def ptb(frame_sent, mtu, src="2001:db8:ffff::99"):
    """What a router on the IPv6 path sends about frame_sent."""
    e = Ether(frame_sent)
    quoted = bytes(e[IPv6])
    return (Ether(src=HOST_MAC, dst=ROUTER_MAC) /
            IPv6(src=src, dst=e[IPv6].src, hlim=60) /
            ICMPv6PacketTooBig(mtu=mtu) / Raw(quoted))


def frag_needed(frame_ptb, sender_mac_frame, src4, mtu):
    e = Ether(frame_ptb)
    inner = bytes(e[ICMPv6PacketTooBig].payload)[40:]
    q = IP(inner)
    return (l2_of(frame_ptb) /
            IP(src=src4, dst=q.src, ttl=64, tos=0xc0, id=0, flags="DF",
               proto=1) / ICMP(type=3, code=4, nexthopmtu=mtu) /
            Raw(inner[:576 - 28]))


def build():
    udp_out = UDP(sport=1232, dport=53) / Raw(b"genkan-mape")
    i4 = dict(src=CE4, dst=INET, ttl=64, tos=0x28)

    # ---- CE encap (RFC 7597 §7.1) ------------------------------------
    enc("ce", "ce_encap_udp", IP(**i4) / udp_out, CE6, BR)
    enc("ce", "ce_encap_udp_last_range",
        IP(**i4) / UDP(sport=64723, dport=53), CE6, BR)
    enc("ce", "ce_encap_tcp_syn_mss_clamp",
        IP(**i4) / TCP(sport=2257, dport=80, flags="S",
                       options=[("MSS", 1460), ("SAckOK", b"")]),
        CE6, BR, transform=clamp(MSS))
    enc("ce", "ce_encap_tcp_syn_mss_odd_offset",
        IP(**i4) / TCP(sport=2258, dport=80, flags="S",
                       options=[("NOP", None), ("MSS", 1440),
                                ("NOP", None), ("NOP", None), ("NOP", None)]),
        CE6, BR, transform=clamp(MSS))
    enc("ce", "ce_encap_tcp_syn_small_mss_kept",
        IP(**i4) / TCP(sport=2259, dport=80, flags="S",
                       options=[("MSS", 1200)]), CE6, BR)
    enc("ce", "ce_encap_tcp_ack_not_clamped",
        IP(**i4) / TCP(sport=2259, dport=80, flags="A",
                       options=[("MSS", 1460)]), CE6, BR)
    enc("ce", "ce_encap_icmp_echo",
        IP(**i4) / ICMP(type=8, id=1233, seq=7) / Raw(b"ping"), CE6, BR)
    # an error the CE host sends about a packet it got: quoted dst port
    enc("ce", "ce_encap_icmp_error_quoted_dst_port",
        IP(**i4) / ICMP(type=3, code=3) /
        IPerror(src=INET, dst=CE4) / UDPerror(sport=53, dport=1234), CE6, BR)
    # §7.2 mesh via an FMR (draft-03 interface id on the peer)
    enc("ce", "ce_encap_fmr_mesh_draft03",
        IP(src=CE4, dst="198.51.100.7", ttl=64) / UDP(sport=1232, dport=2000),
        CE6, ce_addr(D03, "198.51.100.7", 2000))
    enc("ce", "ce_encap_fmr_mesh_same_domain",
        IP(src=CE4, dst="192.0.2.77", ttl=64) / UDP(sport=1232, dport=5000),
        CE6, ce_addr(RFC, "192.0.2.77", 5000))
    drop("ce", "ce_encap_port_violation_udp",
         eth() / IP(**i4) / UDP(sport=1000, dport=53), V4_PORT,
         "PORT_VIOLATION")
    drop("ce", "ce_encap_port_violation_excluded",
         eth() / IP(**i4) / UDP(sport=0xd0 >> 2 << 2 | 0, dport=53), V4_PORT,
         "PORT_VIOLATION")
    drop("ce", "ce_encap_port_violation_icmp_id",
         eth() / IP(**i4) / ICMP(type=8, id=5), V4_PORT, "PORT_VIOLATION")
    drop("ce", "ce_encap_port_violation_gre",
         eth() / IP(proto=47, **i4) / Raw(b"\0" * 8), V4_PORT,
         "PORT_VIOLATION")
    drop("ce", "ce_encap_spoofed_source",
         eth() / IP(src="192.0.2.19", dst=INET) / udp_out, V4_PORT,
         "SPOOF_ADDR")
    drop("ce", "ce_encap_ttl1", eth() / IP(src=CE4, dst=INET, ttl=1) /
         udp_out, V4_PORT, "TTL", wk="GK_WK_DROP_TTL")
    drop("ce", "ce_encap_too_big", eth() / IP(src=CE4, dst=INET) /
         UDP(sport=1232, dport=9) / Raw(b"x" * (TUNNEL_MTU + 1 - 28)),
         V4_PORT, "TOO_BIG")
    add("ce", "ce_encap_fits_tunnel_mtu_exactly",
        eth() / IP(src=CE4, dst=INET) / UDP(sport=1232, dport=9) /
        Raw(b"x" * (TUNNEL_MTU - 28)), V4_PORT,
        expect=None, verdict="GK_V_NONE")
    FIX.pop()   # re-add with its expected frame
    enc("ce", "ce_encap_fits_tunnel_mtu_exactly",
        IP(src=CE4, dst=INET) / UDP(sport=1232, dport=9) /
        Raw(b"x" * (TUNNEL_MTU - 28)), CE6, BR)

    # ---- CE decap -----------------------------------------------------
    dec("ce", "ce_decap_udp", BR, CE6,
        IP(src=INET, dst=CE4, ttl=50) / UDP(sport=53, dport=1234) / Raw(b"r"))
    dec("ce", "ce_decap_tcp_synack_mss_clamp", BR, CE6,
        IP(src=INET, dst=CE4) / TCP(sport=80, dport=2257, flags="SA",
                                    options=[("MSS", 1460)]),
        transform=clamp(MSS))
    dec("ce", "ce_decap_icmp_echo_reply", BR, CE6,
        IP(src=INET, dst=CE4) / ICMP(type=0, id=1235, seq=1))
    dec("ce", "ce_decap_icmp_error_quoted_src_port", BR, CE6,
        IP(src="203.0.113.20", dst=CE4) / ICMP(type=11, code=0) /
        IPerror(src=CE4, dst=INET, ttl=1) / UDPerror(sport=1233, dport=53))
    dec("ce", "ce_decap_from_fmr_peer",
        ce_addr(D03, "198.51.100.7", 2000), CE6,
        IP(src="198.51.100.7", dst=CE4) / UDP(sport=2000, dport=1232))
    drop("ce", "ce_decap_port_not_ours",
         eth() / IPv6(src=BR, dst=CE6, nh=4) /
         IP(src=INET, dst=CE4) / UDP(sport=53, dport=1300), V6_PORT,
         "NOT_OURS")
    drop("ce", "ce_decap_addr_not_ours",
         eth() / IPv6(src=BR, dst=CE6, nh=4) /
         IP(src=INET, dst="192.0.2.19") / UDP(sport=53, dport=1232), V6_PORT,
         "NOT_OURS")
    drop("ce", "ce_decap_outer_dst_not_ours",
         eth() / IPv6(src=BR, dst="2001:db8:12:3400::1", nh=4) /
         IP(src=INET, dst=CE4) / UDP(sport=53, dport=1232), V6_PORT,
         "NOT_OURS")
    drop("ce", "ce_decap_spoofed_outer_source",
         eth() / IPv6(src="2001:db8:ffff::2", dst=CE6, nh=4) /
         IP(src=INET, dst=CE4) / UDP(sport=53, dport=1232), V6_PORT,
         "SPOOF_ADDR")
    drop("ce", "ce_decap_fmr_peer_wrong_port",
         eth() / IPv6(src=ce_addr(D03, "198.51.100.7", 2000), dst=CE6, nh=4) /
         IP(src="198.51.100.7", dst=CE4) / UDP(sport=3000, dport=1232),
         V6_PORT, "SPOOF_ADDR")
    drop("ce", "ce_decap_inner_truncated",
         eth() / IPv6(src=BR, dst=CE6, nh=4) / Raw(b"\x45\0\0\x40" + b"\0" * 16),
         V6_PORT, "BAD_INNER")
    # ICMPv6 Packet Too Big about our encapsulation -> Frag Needed (§8.2)
    sent = bytes(eth() / IPv6(src=CE6, dst=BR, nh=4, hlim=64) /
                 IP(src=CE4, dst=INET, ttl=63, flags="DF") /
                 UDP(sport=1232, dport=53) / Raw(b"p" * 1400))
    f = ptb(sent, 1400)
    add("ce", "ce_icmpv6_ptb_to_frag_needed", f, V6_PORT,
        expect=frag_needed(bytes(f), None, CE_V4_PORT_ADDR, 1360), origin=True)
    f = ptb(bytes(eth() / IPv6(src="2001:db8:12:3400::5", dst=BR, nh=4) /
                  IP(src=CE4, dst=INET) / UDP(sport=1232, dport=53)), 1400)
    add("ce", "ce_icmpv6_ptb_not_about_us_to_kernel", f, V6_PORT,
        verdict="GK_V_KERNEL")
    add("ce", "ce_ipv6_echo_to_kernel",
        eth() / IPv6(src=BR, dst=CE6) / ICMPv6EchoRequest(), V6_PORT,
        verdict="GK_V_KERNEL")

    # ---- BR decap with anti-spoofing (§8.1) ---------------------------
    up = IP(src=CE4, dst=INET, ttl=64) / UDP(sport=1232, dport=53) / Raw(b"u")
    dec("br", "br_decap_udp", CE6, BR, up)
    dec("br", "br_decap_icmp_echo", CE6, BR,
        IP(src=CE4, dst=INET) / ICMP(type=8, id=1233))
    dec("br", "br_decap_icmp_error_quoted_dst_port", CE6, BR,
        IP(src=CE4, dst=INET) / ICMP(type=3, code=3) /
        IPerror(src=INET, dst=CE4) / UDPerror(sport=53, dport=1234))
    dec("br", "br_decap_tcp_syn_mss_clamp", CE6, BR,
        IP(src=CE4, dst=INET) / TCP(sport=2257, dport=80, flags="S",
                                    options=[("MSS", 1460)]),
        transform=clamp(MSS))
    dec("br", "br_decap_draft03", ce_addr(D03, "198.51.100.7", 2000), BR,
        IP(src="198.51.100.7", dst=INET) / UDP(sport=2000, dport=53))
    drop("br", "br_decap_spoofed_inner_address",
         eth() / IPv6(src=CE6, dst=BR, nh=4) /
         IP(src="192.0.2.19", dst=INET) / UDP(sport=1232, dport=53), V6_PORT,
         "SPOOF_ADDR")
    drop("br", "br_decap_spoofed_address_outside_rule",
         eth() / IPv6(src=CE6, dst=BR, nh=4) /
         IP(src="203.0.113.50", dst=INET) / UDP(sport=1232, dport=53),
         V6_PORT, "SPOOF_ADDR")
    drop("br", "br_decap_spoofed_port",
         eth() / IPv6(src=CE6, dst=BR, nh=4) /
         IP(src=CE4, dst=INET) / UDP(sport=1300, dport=53), V6_PORT,
         "SPOOF_PORT")
    drop("br", "br_decap_spoofed_port_excluded",
         eth() / IPv6(src=CE6, dst=BR, nh=4) /
         IP(src=CE4, dst=INET) / TCP(sport=80, dport=80), V6_PORT,
         "SPOOF_PORT")
    drop("br", "br_decap_spoofed_icmp_id",
         eth() / IPv6(src=CE6, dst=BR, nh=4) /
         IP(src=CE4, dst=INET) / ICMP(type=8, id=7), V6_PORT, "SPOOF_PORT")
    drop("br", "br_decap_no_rule",
         eth() / IPv6(src="2001:db8:ff00::1", dst=BR, nh=4) / up, V6_PORT,
         "NO_RULE")
    drop("br", "br_decap_not_to_br",
         eth() / IPv6(src=CE6, dst="2001:db8:ffff::2", nh=4) / up, V6_PORT,
         "NOT_OURS")
    # RFC 4443 3.1 code 5 on spoof when configured
    sp = (eth() / IPv6(src=CE6, dst=BR, nh=4, hlim=64) /
          IP(src="192.0.2.19", dst=INET) / UDP(sport=1232, dport=53))
    add("br", "br_decap_spoof_icmpv6_unreachable", sp, V6_PORT,
        expect=l2_of(bytes(sp)) / IPv6(src=BR, dst=CE6, hlim=255) /
        ICMPv6DestUnreach(code=5) / Raw(bytes(sp[IPv6])),
        origin=True, icmp_table=1, map_drop="GK_MAP_DROP_SPOOF_ADDR")

    # ---- BR hairpin (§8.2): CE to CE, never via IPv4 -------------------
    hp = IP(src=CE4, dst="192.0.2.77", ttl=64) / UDP(sport=1232, dport=5000)
    p = eth() / IPv6(src=CE6, dst=BR, nh=4, hlim=60) / hp
    # the outer flow label is the inner packet's flow hash, whatever the
    # tunnel packet's meta held (RFC 6437: a label per flow)
    add("br", "br_hairpin_ce_to_ce", p, V6_PORT,
        expect=encapped(bytes(p), IP(bytes(dec_ttl(hp))), BR,
                        ce_addr(RFC, "192.0.2.77", 5000),
                        cls.hash4(CE4, "192.0.2.77", 1232, 5000, 17)),
        origin=True)

    # ---- BR encap (§8.2) -------------------------------------------------
    dn = dict(src=INET, dst=CE4, ttl=64)
    enc("br", "br_encap_udp", IP(**dn) / UDP(sport=53, dport=1232), BR, CE6)
    enc("br", "br_encap_tcp_synack_mss_clamp",
        IP(**dn) / TCP(sport=80, dport=2257, flags="SA",
                       options=[("MSS", 1460), ("NOP", None), ("NOP", None),
                                ("SAckOK", b"")]),
        BR, CE6, transform=clamp(MSS))
    enc("br", "br_encap_icmp_echo_reply",
        IP(**dn) / ICMP(type=0, id=1233), BR, CE6)
    enc("br", "br_encap_icmp_error_by_quoted_src_port",
        IP(src="203.0.113.20", dst=CE4, ttl=64) / ICMP(type=11) /
        IPerror(src=CE4, dst=INET, ttl=1) / UDPerror(sport=1234, dport=53),
        BR, CE6)
    enc("br", "br_encap_icmp_error_quoted_tcp",
        IP(src="203.0.113.20", dst=CE4, ttl=64) / ICMP(type=3, code=4) /
        IPerror(src=CE4, dst=INET) / TCPerror(sport=2256, dport=443),
        BR, CE6)
    enc("br", "br_encap_draft03", IP(src=INET, dst="198.51.100.7") /
        UDP(sport=53, dport=2000), BR, ce_addr(D03, "198.51.100.7", 2000))
    drop("br", "br_encap_excluded_port",
         eth() / IP(**dn) / UDP(sport=53, dport=80), V4_PORT, "NO_RULE")
    drop("br", "br_encap_no_rule",
         eth() / IP(src=INET, dst="203.0.113.99") / UDP(sport=1, dport=2000),
         V4_PORT, "NO_RULE")
    drop("br", "br_encap_ttl1", eth() / IP(src=INET, dst=CE4, ttl=1) /
         UDP(sport=53, dport=1232), V4_PORT, "TTL", wk="GK_WK_DROP_TTL")
    # martian sources from the internet (#13 bug 6): never tunnelled to a
    # CE, checked before the TTL (no ICMP error to a martian)
    for i, src in enumerate(["127.0.0.1", "0.0.0.0", "224.0.0.1",
                             "240.0.0.1", "255.255.255.255"]):
        drop("br", "br_encap_martian_source_%d" % i,
             eth() / IP(src=src, dst=CE4, ttl=1 + i % 2) /
             UDP(sport=53, dport=1232), V4_PORT, "MARTIAN")
    drop("br", "br_encap_icmp_error_about_error",
         eth() / IP(src="203.0.113.20", dst=CE4) / ICMP(type=3, code=1) /
         IPerror(src=CE4, dst=INET) / ICMP(type=3, code=3),
         V4_PORT, "ICMP_UNSUPPORTED")

    # ---- BR: ICMPv6 PTB about our encapsulation -------------------------
    sent = bytes(eth() / IPv6(src=BR, dst=CE6, nh=4, hlim=64) /
                 IP(src=INET, dst=CE4, ttl=63) /
                 UDP(sport=53, dport=1232) / Raw(b"q" * 1300))
    f = ptb(sent, 1280)
    add("br", "br_icmpv6_ptb_to_frag_needed", f, V6_PORT,
        expect=frag_needed(bytes(f), None, BR_V4_PORT_ADDR, 1240),
        origin=True)

    # ---- 1,000-rule BR table: seeded random lookups both ways ------------
    rnd = random.Random(7597)
    for j in range(24):
        r = BIG[rnd.randrange(len(BIG))]
        base = int(ipaddress.IPv4Address(r[3]))
        v4 = str(ipaddress.IPv4Address(base + rnd.randrange(128)))
        port = rnd.randrange(1024, 65536)
        if j % 2:
            enc("br", "br_1000_encap_%s_%s_%d" % (r[0], v4, port),
                IP(src=INET, dst=v4) / UDP(sport=53, dport=port), BR,
                ce_addr(r, v4, port))
        else:
            dec("br", "br_1000_decap_%s_%s_%d" % (r[0], v4, port),
                ce_addr(r, v4, port), BR,
                IP(src=v4, dst=INET) / UDP(sport=port, dport=53))
    r = BIG[999]
    drop("br", "br_1000_decap_wrong_rule_v4",
         eth() / IPv6(src=ce_addr(r, "198.19.243.129", 5000), dst=BR, nh=4) /
         IP(src="198.18.0.1", dst=INET) / UDP(sport=5000, dport=53),
         V6_PORT, "SPOOF_ADDR")


# ---- multi-packet scenarios: fragments (RFC 7597 §8.3) ----------------
# Each: role, name, options, steps [(dt_ns, frame, in_port)], the frames
# the stage must leave with GK_V_NONE (burst packet, then extra[]), and
# per-domain drop counters summed over domains {reason: count}.
SCN = []
FRAG_ID = 0x6b616e00


def scn(role, name, steps, outs, drops=None, policy_icmp=0, alloc=1,
        nr_reasm=0):
    SCN.append(dict(role=role, name=name, steps=steps, outs=outs,
                    drops=drops or {}, policy_icmp=policy_icmp, alloc=alloc,
                    nr_reasm=nr_reasm))


def frags6(outer, size, fid):
    """What the IPv6 source would send: scapy's fragment6."""
    ip6 = outer.copy()
    ip6 = IPv6(bytes(ip6[IPv6]))
    ip6.remove_payload()
    ip6.nh = 44
    pay = outer[IPv6].payload
    p = IPv6(src=ip6.src, dst=ip6.dst, hlim=ip6.hlim, tc=ip6.tc, fl=ip6.fl) / \
        IPv6ExtHdrFragment(nh=outer[IPv6].nh, id=fid) / pay
    return [eth() / IPv6(bytes(f)) for f in fragment6(p, size)]


def build_frag():
    S = 1000000000
    big_up = IP(src=CE4, dst=INET, ttl=64, id=77) / UDP(sport=1232, dport=53) / \
        Raw(bytes(range(256)) * 6)                     # 1512 bytes inner
    # ---- decap of fragmented IPv6, both roles ---------------------------
    out_br = eth() / IPv6(src=CE6, dst=BR, nh=4, hlim=60) / big_up
    fr = frags6(out_br, 1280, 0x1234)
    want = [l2_of(bytes(out_br)) / IP(bytes(big_up))]
    scn("br", "br_reasm_in_order", [(0, f, V6_PORT) for f in fr], want)
    fr3 = frags6(out_br, 600, 0x1235)
    assert len(fr3) == 3
    scn("br", "br_reasm_out_of_order",
        [(0, fr3[2], V6_PORT), (0, fr3[0], V6_PORT), (0, fr3[1], V6_PORT)],
        want)
    down = IP(src=INET, dst=CE4, ttl=50, id=5) / UDP(sport=53, dport=1234) / \
        Raw(b"d" * 1400)
    out_ce = eth() / IPv6(src=BR, dst=CE6, nh=4, hlim=60) / down
    fr = frags6(out_ce, 1000, 0x99)
    scn("ce", "ce_reasm_out_of_order",
        [(0, fr[1], V6_PORT), (0, fr[0], V6_PORT)],
        [l2_of(bytes(out_ce)) / IP(bytes(down))])
    # RFC 5722: an overlap kills the datagram, later pieces included
    a = frags6(out_br, 600, 0x1236)
    b = frags6(out_br, 1000, 0x1236)
    scn("br", "br_reasm_overlap",
        [(0, a[0], V6_PORT), (0, a[1], V6_PORT), (0, b[1], V6_PORT),
         (0, a[2], V6_PORT), (0, a[0], V6_PORT)], [],
        {"REASM_OVERLAP": 3, "REASM_DISCARDED": 2})
    # RFC 8200 §4.5 timeout (ours: 2 s), injected clock
    scn("br", "br_reasm_timeout",
        [(0, fr3[0], V6_PORT), (3 * S, fr3[1], V6_PORT),
         (3 * S, fr3[2], V6_PORT)], [], {"REASM_TIMEOUT": 2})
    # #13 bug 4: the held frames of a datagram given up count one each
    # (three first fragments of four; test_mape's flood reuses them)
    f4 = frags6(out_br, 500, 0x1300)
    assert len(f4) == 4
    scn("br", "br_reasm_first3_timeout",
        [(0, f4[0], V6_PORT), (0, f4[1], V6_PORT), (0, f4[2], V6_PORT),
         (3 * S, frags6(out_br, 400, 0x1301)[0], V6_PORT)], [],
        {"REASM_TIMEOUT": 3})
    # bounded: 4 contexts (one set); the fifth datagram finds no room
    steps = [(0, frags6(out_br, 600, 0x2000 + k)[0], V6_PORT)
             for k in range(5)]
    scn("br", "br_reasm_full", list(steps), [], {"REASM_FULL": 1},
        nr_reasm=4)
    # after the timeout the set is usable again (and the old ones counted)
    steps.append((3 * S, fr3[0], V6_PORT))
    steps.append((0, fr3[1], V6_PORT))
    steps.append((0, fr3[2], V6_PORT))
    scn("br", "br_reasm_full_then_timeout", steps, want,
        {"REASM_FULL": 1, "REASM_TIMEOUT": 4}, nr_reasm=4)

    # ---- tunnel MTU on encap -------------------------------------------
    big_df = IP(src=CE4, dst=INET, ttl=64, id=9, flags="DF") / \
        UDP(sport=1232, dport=53) / Raw(b"m" * 1472)     # 1500 > 1460
    def fneed(ip4, src4):
        q = bytes(ip4)[:576 - 28]
        return (eth() / IP(src=src4, dst=ip4.src, ttl=64, tos=0xc0, id=0,
                           flags="DF", proto=1) /
                ICMP(type=3, code=4, nexthopmtu=TUNNEL_MTU) / Raw(q))
    scn("ce", "ce_frag_needed_df", [(0, eth() / big_df, V4_PORT)],
        [fneed(big_df, CE_V4_PORT_ADDR)])
    big_nodf = IP(src=CE4, dst=INET, ttl=64, id=10) / \
        UDP(sport=1232, dport=53) / Raw(b"n" * 1472)
    scn("ce", "ce_frag_needed_policy_icmp", [(0, eth() / big_nodf, V4_PORT)],
        [fneed(big_nodf, CE_V4_PORT_ADDR)], policy_icmp=1)
    # RFC 2473 §7.3: outer fragments, as fragment6 cuts them
    p = eth() / big_nodf
    flow = 0x12345
    enc = encapped(bytes(p), IP(bytes(dec_ttl(big_nodf))), CE6, BR, flow)
    scn("ce", "ce_outer_fragmentation", [(0, p, V4_PORT)],
        frags6(enc, TUNNEL_MTU + 40, FRAG_ID))
    # no buffers: dropped as too big, untouched
    scn("ce", "ce_outer_fragmentation_no_alloc", [(0, p, V4_PORT)], [],
        {"TOO_BIG": 1}, alloc=0)
    # ---- BR virtual reassembly of IPv4 fragments from the internet -------
    dgram = IP(src=INET, dst=CE4, ttl=64, id=4242) / \
        UDP(sport=53, dport=1232) / Raw(b"v" * 1200)
    v4f = fragment(dgram, fragsize=400)
    assert len(v4f) == 4
    wantf = [encapped(bytes(eth() / f), IP(bytes(dec_ttl(f))), BR, CE6, flow)
             for f in v4f]
    scn("br", "br_vfrag_in_order", [(0, eth() / f, V4_PORT) for f in v4f],
        wantf)
    scn("br", "br_vfrag_out_of_order",
        [(0, eth() / v4f[2], V4_PORT), (0, eth() / v4f[1], V4_PORT),
         (0, eth() / v4f[0], V4_PORT), (0, eth() / v4f[3], V4_PORT)],
        [wantf[0], wantf[2], wantf[1], wantf[3]])
    scn("br", "br_vfrag_timeout",
        [(0, eth() / v4f[1], V4_PORT), (3 * S, eth() / v4f[0], V4_PORT)],
        [wantf[0]], {"VFRAG_TIMEOUT": 1})
    # CE: later fragments of a LAN datagram follow the first's port check
    lan = IP(src=CE4, dst=INET, ttl=64, id=31) / UDP(sport=1232, dport=53) / \
        Raw(b"c" * 600)
    lf = fragment(lan, fragsize=304)
    scn("ce", "ce_vfrag_out_of_order",
        [(0, eth() / lf[1], V4_PORT), (0, eth() / lf[0], V4_PORT)],
        [encapped(bytes(eth() / f), IP(bytes(dec_ttl(f))), CE6, BR, flow)
         for f in (lf[0], lf[1])])
    # decap: inner IPv4 fragments, later ones vouched for by the first
    upf = fragment(IP(src=CE4, dst=INET, ttl=64, id=33) /
                   UDP(sport=1232, dport=53) / Raw(b"i" * 600), fragsize=304)
    other = ce_addr(RFC, CE4, psid=0x35)
    scn("br", "br_decap_inner_fragments",
        [(0, eth() / IPv6(src=CE6, dst=BR, nh=4, hlim=60) / f, V6_PORT)
         for f in upf] +
        [(0, eth() / IPv6(src=other, dst=BR, nh=4, hlim=60) / upf[1],
          V6_PORT)],
        [eth() / IP(bytes(f)) for f in upf], {"VFRAG_UNKNOWN": 1})
    scn("br", "br_decap_inner_later_fragment_first",
        [(0, eth() / IPv6(src=CE6, dst=BR, nh=4, hlim=60) / upf[1],
          V6_PORT)], [], {"VFRAG_UNKNOWN": 1})
    dnf = fragment(IP(src=INET, dst=CE4, ttl=60, id=34) /
                   UDP(sport=53, dport=1232) / Raw(b"j" * 600), fragsize=304)
    scn("ce", "ce_decap_inner_fragments",
        [(0, eth() / IPv6(src=BR, dst=CE6, nh=4, hlim=60) / f, V6_PORT)
         for f in dnf], [eth() / IP(bytes(f)) for f in dnf])
    bad = IP(src=CE4, dst=INET, ttl=64, id=32) / UDP(sport=1000, dport=53) / \
        Raw(b"c" * 600)
    bf = fragment(bad, fragsize=304)
    scn("ce", "ce_vfrag_port_violation_first",
        [(0, eth() / bf[0], V4_PORT), (0, eth() / bf[1], V4_PORT),
         (3 * S, eth() / lan, V4_PORT)],
        [encapped(bytes(eth() / lan), IP(bytes(dec_ttl(lan))), CE6, BR,
                  flow)], {"PORT_VIOLATION": 1, "VFRAG_TIMEOUT": 1})


def emit_scn(o):
    o.append("#define MX_FLOW 0x12345")
    o.append("#define MX_FRAG_ID 0x%x" % FRAG_ID)
    o.append("struct mx_step { uint64_t dt; const uint8_t *in; uint32_t len; "
             "uint16_t in_port, l3, l4; uint8_t proto, flags; };")
    o.append("struct mx_out { const uint8_t *b; uint32_t len; };")
    o.append("struct mx_cnt { int why; unsigned n; };")
    o.append("struct mx_scn { const char *name; int br, policy_icmp, alloc; "
             "unsigned nr_reasm; const struct mx_step *st; unsigned nst; "
             "const struct mx_out *out; unsigned nout; "
             "const struct mx_cnt *cnt; unsigned ncnt; };")
    for i, c in enumerate(SCN):
        st = []
        for j, (dt, f, port) in enumerate(c["steps"]):
            b = bytes(f)
            o.append("static const uint8_t mxs_%d_%d[] = %s;" % (i, j, cbytes(b)))
            m = meta(b)
            st.append("{ %dull, mxs_%d_%d, %d, %d, %d, %d, %d, 0x%x }" %
                      (dt, i, j, len(b), port, m[0], m[1], m[2], m[3]))
        o.append("static const struct mx_step mxs_%d[] = { %s };" %
                 (i, ", ".join(st)))
        ou = []
        for j, f in enumerate(c["outs"]):
            b = bytes(f)
            o.append("static const uint8_t mxo_%d_%d[] = %s;" % (i, j, cbytes(b)))
            ou.append("{ mxo_%d_%d, %d }" % (i, j, len(b)))
        o.append("static const struct mx_out mxo_%d[] = { %s };" %
                 (i, ", ".join(ou) if ou else "{ 0, 0 }"))
        cn = ["{ GK_MAP_DROP_%s, %d }" % (k, v) for k, v in c["drops"].items()]
        o.append("static const struct mx_cnt mxc_%d[] = { %s };" %
                 (i, ", ".join(cn) if cn else "{ -1, 0 }"))
    o.append("static const struct mx_scn mx_scn[] = {")
    for i, c in enumerate(SCN):
        o.append('\t{ "%s", %d, %d, %d, %d, mxs_%d, %d, mxo_%d, %d, mxc_%d, %d },' %
                 (c["name"], c["role"] == "br", c["policy_icmp"], c["alloc"],
                  c["nr_reasm"], i, len(c["steps"]), i, len(c["outs"]), i,
                  len(c["drops"])))
    o.append("};")


def emit(path):
    build()
    build_frag()
    o = out
    o.append("/* generated by gen_mape.py (scapy) -- do not edit */")
    o.append("#include <stdint.h>")
    o.append("#define MX_TUNNEL_MTU %d" % TUNNEL_MTU)
    o.append("#define MX_MSS %d" % MSS)
    o.append("#define MX_V4_PORT %d" % V4_PORT)
    o.append("#define MX_V6_PORT %d" % V6_PORT)
    o.append("#define MX_CE_BMR %d" % CE_BMR)
    o.append("#define MX_EUP_LEN %d" % EUP_LEN)

    def v6b(s):
        return cbytes(ipaddress.IPv6Address(s).packed)

    def v4b(s):
        return cbytes(ipaddress.IPv4Address(s).packed)
    o.append("static const uint8_t mx_br[16] = %s;" % v6b(BR))
    o.append("static const uint8_t mx_eup[16] = %s;" % v6b(EUP))
    o.append("static const uint8_t mx_ce_v4_port_addr[4] = %s;" %
             v4b(CE_V4_PORT_ADDR))
    o.append("static const uint8_t mx_br_v4_port_addr[4] = %s;" %
             v4b(BR_V4_PORT_ADDR))
    o.append("struct mx_rule { const char *name; uint8_t v6[16], r6, v4[4], "
             "r4, ea, a, draft03, fmr; uint16_t mss; };")
    for nm, rules in (("mx_ce_rules", CE_RULES), ("mx_br_rules", BR_RULES)):
        o.append("static const struct mx_rule %s[] = {" % nm)
        for r in rules:
            o.append('\t{ "%s", %s, %d, %s, %d, %d, %d, %d, %d, %d },' %
                     (r[0], v6b(r[1]), r[2], v4b(r[3]), r[4], r[5], r[6],
                      r[7], r[8], r[9]))
        o.append("};")
    o.append("static const uint8_t mx_ce6[16] = %s;" % v6b(CE6))
    for i, f in enumerate(FIX):
        o.append("static const uint8_t mx_in_%d[] = %s;" % (i, cbytes(f["frame"])))
        o.append("static const uint8_t mx_out_%d[] = %s;" % (i, cbytes(f["expect"])))
    o.append("struct mx_fx { const char *name; int br; uint16_t in_port; "
             "const uint8_t *in; uint32_t in_len; uint16_t l3, l4; "
             "uint8_t proto, flags; uint32_t flow; int verdict; int wk; "
             "int map_drop; const uint8_t *out; uint32_t out_len; "
             "uint16_t ol3, ol4; uint8_t oproto, oflags; int icmp_table; };")
    o.append("static const struct mx_fx mx_fx[] = {")
    for i, f in enumerate(FIX):
        m, om = f["meta"], f["ometa"]
        o.append('\t{ "%s", %d, %d, mx_in_%d, %d, %d, %d, %d, 0x%x, 0x%x, %s, '
                 '%s, %s, mx_out_%d, %d, %d, %d, %d, 0x%x, %d },' %
                 (f["name"], f["role"] == "br", f["in_port"], i,
                  len(f["frame"]), m[0], m[1], m[2], m[3], f["flow"],
                  f["verdict"], f["wk"], f["map_drop"], i, len(f["expect"]),
                  om[0], om[1], om[2], om[3], f["icmp_table"]))
    o.append("};")
    emit_scn(o)
    open(path, "w").write("\n".join(o) + "\n")


if __name__ == "__main__":
    emit(sys.argv[1])
