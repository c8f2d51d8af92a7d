#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Fixture table for the XDP classifier (bpf/classifier.bpf.c) and its software
twin (dataplane/parse.c). Packets are built with scapy; every expectation is
written down by hand from how the packet was built (offsets from scapy layer
lengths, flow hash from the Python mixer below, and 0 where the rule says
no stage reads it: see flow_rule()), never from genkan code.

Output, one fixture per line, fields separated by one space:

  name action verdict l3_off l4_off l4_proto flags vlan_tci flow_hash hex [opt]

  action   redirect | pass | drop
  verdict  class name (redirect/pass) or drop reason name (drop), spelled as
           the strings in include/genkan/meta.h
           Actions are those of the default configuration: ttl_expired
           fixtures say redirect; with GK_CFG_F_TTL_TO_KERNEL the tests
           expect pass for them instead (no metadata).
  meta     decimal l3_off l4_off l4_proto, hex flags vlan_tci flow_hash;
           '-' for all six when action is not redirect
  hex      the frame
  opt      optional, comma-separated: "port=mape_ce_v4" -- the frame
           arrives on a port with GK_PORT_F_MAPE_CE_V4 (the software twin:
           cfg mape_ce_v4_port); "wg=off" -- gk_wg is empty for it
           (WireGuard off: the twin's wg_listen_port 0)

Local addresses (the tests put these in gk_local4/6): 192.0.2.1, 2001:db8::1,
2001:db8::b.

MAP-E maps (tests/classify/fixtures.h restates them for the tests):
  gk_mape_v6: 2001:db8:12:3400:0:c000:212:34 -> mape_ce (RFC 7597 example CE)
              2001:db8::b                    -> mape_br (also a local address)
              2001:db8:ffff::99              -> value 1 (not a MAP-E class:
                                                ignored)
  gk_mape_v4: 198.18.0.0/16 -> mape_br, 198.18.5.0/24 -> mape_ce (longest
              match wins), 192.0.2.0/28 -> mape_br (covers the local
              192.0.2.1), 198.19.0.0/16 -> value 1 (ignored)

WireGuard (gk_wg, fixtures.h FX_WG_PORT): listen port 51820 on the port
the fixtures arrive on, except for those marked wg=off.

flow_hash (bpf/classifier.bpf.c): only where the class's own stage reads
it. TTL_EXPIRED (the ICMP stage answers without), TRANSIT (routed;
WireGuard's tx hook hashes what it seals itself) and MAP-E over IPv6 (the
tunnel's own packets, decapsulated here) never have one, and an
L4_SERVICE fragment keeps what its TRANSIT or TTL_EXPIRED packet had:
none; every other class a worker gets has one.

L4 services (gk_l4svc with GK_CFG_F_L4, fixtures.h fx_l4): tcp
203.0.113.80:443, tcp 192.0.2.1:8443 (a local address), udp
203.0.113.80:5300, tcp [2001:db8:2::80]:443.

Usage: gen_fixtures.py OUTPUT
"""

import logging
import socket
import struct
import sys

from scapy.all import (ARP, ICMP, IP, IPOption, TCP, UDP, Dot1AD, Dot1Q, Ether, Raw,
                       Padding, IPv6, ICMPv6EchoRequest, ICMPv6ND_NS,
                       ICMPv6PacketTooBig, ICMPv6DestUnreach,
                       ICMPv6TimeExceeded,
                       ICMPv6ND_NA, ICMPv6ND_RA, ICMPv6ND_RS, ICMPv6ND_Redirect,
                       ICMPv6MLReport, ICMPv6MLQuery, ICMPv6MLDone,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrRouting, IPv6ExtHdrFragment, RouterAlert,
                       conf)
from scapy.contrib.igmp import IGMP
from scapy.contrib.igmpv3 import IGMPv3, IGMPv3mr
from scapy.layers.inet6 import ICMPv6MLReport2

conf.verb = 0
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

# include/genkan/meta.h, restated here on purpose (ABI check).
F_IPV4, F_IPV6, F_VLAN, F_FRAG, F_L4, F_LATER_FRAG = 1, 2, 4, 8, 0x10, 0x20

SMAC = "02:00:00:00:00:01"
DMAC = "02:00:00:00:00:02"
S4, D4, LOCAL4 = "198.51.100.10", "203.0.113.20", "192.0.2.1"
S6, D6, LOCAL6 = "2001:db8:1::10", "2001:db8:2::20", "2001:db8::1"
CE6 = "2001:db8:12:3400:0:c000:212:34"
BR6 = "2001:db8::b"
BAD6 = "2001:db8:ffff::99"
BR4 = "198.18.1.2"          # in 198.18.0.0/16 -> mape_br
BR4_CE = "198.18.5.7"       # in 198.18.5.0/24 -> mape_ce
BAD4 = "198.19.0.1"         # value 1: ignored
CE_V4 = "192.0.2.18"        # the CE's shared IPv4 address (inner packets)
CE_PORT = "port=mape_ce_v4"

# ---- independent flow hash (same mixer as include/genkan/flowhash.h) ----

M32 = 0xffffffff


def rol32(w, s):
    return ((w << s) | (w >> (32 - s))) & M32


def mix(h, k):
    k = (k * 0xcc9e2d51) & M32
    k = rol32(k, 15)
    k = (k * 0x1b873593) & M32
    h ^= k
    h = rol32(h, 13)
    return (h * 5 + 0xe6546b64) & M32


def final(h):
    h ^= h >> 16
    h = (h * 0x85ebca6b) & M32
    h ^= h >> 13
    h = (h * 0xc2b2ae35) & M32
    h ^= h >> 16
    return h


def words(raw):
    """32-bit words as a little/big-endian host loads them from memory."""
    fmt = "=" + "I" * (len(raw) // 4)
    return list(struct.unpack(fmt, raw))


def ports_word(sport, dport):
    if sport is None:
        return 0
    return words(struct.pack("!HH", sport, dport))[0]


def hash4(src, dst, sport, dport, proto):
    h = 0x9e3779b9
    for w in (words(socket.inet_pton(socket.AF_INET, src)) +
              words(socket.inet_pton(socket.AF_INET, dst)) +
              [ports_word(sport, dport), proto]):
        h = mix(h, w)
    return final(h)


def hash6(src, dst, sport, dport, proto):
    h = 0x9e3779b9
    for w in (words(socket.inet_pton(socket.AF_INET6, src)) +
              words(socket.inet_pton(socket.AF_INET6, dst)) +
              [ports_word(sport, dport), proto]):
        h = mix(h, w)
    return final(h)


# ---- fixture table ----

FIX = []


def hdrlen(pkt, layer):
    """Bytes of one layer's own header, from scapy's layer lengths."""
    l = pkt[layer]
    return len(l) - len(l.payload)


def add_pass(name, verdict, pkt, opt=None):
    FIX.append((name, "pass", verdict, None, bytes(pkt), opt))


def add_drop(name, reason, pkt, opt=None):
    FIX.append((name, "drop", reason, None, bytes(pkt), opt))


def wg_off(opt):
    return opt is not None and "wg=off" in opt.split(",")


def flow_rule(cls, fh, opt, flags=0):
    """The flow_hash a worker gets: fh (the tuple's hash) where a stage
    reads it, else 0 (module docstring); flags are the meta's (F_IPV6)."""
    if cls in ("ttl_expired", "transit"):
        return 0
    if cls in ("mape_br", "mape_ce") and flags & F_IPV6:
        return 0
    if cls == "l4_service" and flags & F_FRAG:
        return 0
    return fh


def add_redirect(name, pkt, l3, l4, proto, flags, tci, fh, cls="transit",
                 opt=None):
    FIX.append((name, "redirect", cls,
                (l3, l4, proto, flags, tci, flow_rule(cls, fh, opt, flags)),
                bytes(pkt), opt))


def eth(**kw):
    kw.setdefault("src", SMAC)
    kw.setdefault("dst", DMAC)
    return Ether(**kw)


def v4_transit(name, l4, sport=None, dport=None, pre=None, ipkw=None,
               tci=0, extra_flags=0, cls="transit", src=S4, dst=D4,
               opt=None):
    ipkw = dict(ipkw or {})
    ipkw.setdefault("ttl", 64)
    ip = IP(src=src, dst=dst, **ipkw)
    pkt = (pre if pre is not None else eth()) / ip / l4
    pkt = Ether(bytes(pkt))
    l3 = len(pkt) - len(pkt[IP])
    l4off = l3 + hdrlen(pkt, IP)
    proto = pkt[IP].proto
    fh = hash4(src, dst, sport, dport, proto)
    flags = F_IPV4 | F_L4 | extra_flags
    add_redirect(name, pkt, l3, l4off, proto, flags, tci, fh, cls, opt)


def v6_mape(name, dst, payload, proto, cls, pre=None, ext=None, hlim=64,
            tci=0, extra_flags=0, src=S6, sport=None, dport=None, opt=None):
    """IPv6 whose final next header is proto; the upper layer (IPIP's
    inner IPv4, or ICMPv6) is the last len(payload) bytes."""
    ip = IPv6(src=src, dst=dst, hlim=hlim)
    if ext is None:
        ip.nh = proto
    else:
        ip = ip / ext
    pkt = Ether(bytes((pre if pre is not None else eth()) / ip / payload))
    l3 = len(pkt) - len(pkt[IPv6])
    l4off = len(pkt) - len(bytes(payload))
    fh = hash6(src, dst, sport, dport, proto)
    add_redirect(name, pkt, l3, l4off, proto, F_IPV6 | F_L4 | extra_flags,
                 tci, fh, cls, opt)


def v6_transit(name, l4, sport=None, dport=None, pre=None, ext=None,
               tci=0, extra_flags=0, proto=None, hlim=64, cls="transit",
               opt=None):
    ip = IPv6(src=S6, dst=D6, hlim=hlim)
    if ext is not None:
        ip = ip / ext
    pkt = (pre if pre is not None else eth()) / ip / l4
    pkt = Ether(bytes(pkt))
    l3 = len(pkt) - len(pkt[IPv6])
    # l4 offset: the upper-layer header is the last len(l4) bytes
    l4off = len(pkt) - len(bytes(l4))
    fh = hash6(S6, D6, sport, dport, proto)
    flags = F_IPV6 | F_L4 | extra_flags
    add_redirect(name, pkt, l3, l4off, proto, flags, tci, fh, cls, opt)


def build():
    # -- transit IPv4
    v4_transit("v4_tcp", TCP(sport=1234, dport=80), 1234, 80)
    v4_transit("v4_udp", UDP(sport=5353, dport=53) / Raw(b"q" * 20), 5353, 53)
    v4_transit("v4_icmp_echo", ICMP(type=8, id=7, seq=1) / Raw(b"ping"))
    v4_transit("v4_tcp_ip_options",
               TCP(sport=40000, dport=443, flags="S"), 40000, 443,
               ipkw={"options": b"\x01\x01\x01\x00"})
    v4_transit("v4_gre_no_ports", Raw(b"\x00\x00\x08\x00" + b"x" * 24),
               ipkw={"proto": 47})
    # min-size frame: Ethernet pads a short UDP packet to 60 bytes
    pkt = eth() / IP(src=S4, dst=D4) / UDP(sport=1, dport=2)
    pkt = pkt / Padding(b"\x00" * (60 - len(pkt)))
    add_redirect("v4_udp_eth_padding", pkt, 14, 34, 17, F_IPV4 | F_L4, 0,
                 hash4(S4, D4, 1, 2, 17))
    # first fragment still has its L4 header; later ones do not (RFC 791)
    v4_transit("v4_frag_first", UDP(sport=1111, dport=2222) / Raw(b"a" * 32),
               1111, 2222, ipkw={"flags": "MF", "frag": 0},
               extra_flags=F_FRAG)
    pkt = Ether(bytes(eth() / IP(src=S4, dst=D4, proto=17, flags=0, frag=4)
                      / Raw(b"b" * 24)))
    add_redirect("v4_frag_later", pkt, 14, 0, 17,
                 F_IPV4 | F_FRAG | F_LATER_FRAG, 0, hash4(S4, D4, None, None, 17))
    pkt = Ether(bytes(eth() / IP(src=S4, dst=D4, proto=6, flags="MF", frag=1)
                      / Raw(b"c" * 8)))
    add_redirect("v4_frag_middle", pkt, 14, 0, 6,
                 F_IPV4 | F_FRAG | F_LATER_FRAG, 0, hash4(S4, D4, None, None, 6))

    # -- VLAN
    v4_transit("vlan1_v4_udp", UDP(sport=7, dport=9), 7, 9,
               pre=eth() / Dot1Q(vlan=100, prio=3), tci=(3 << 13) | 100,
               extra_flags=F_VLAN)
    v6_transit("vlan2_qinq_v6_udp", UDP(sport=53, dport=5353), 53, 5353,
               pre=eth(type=0x88a8) / Dot1AD(vlan=10, prio=1) / Dot1Q(vlan=20),
               tci=(1 << 13) | 10, extra_flags=F_VLAN, proto=17)
    v4_transit("vlan2_8100_8100_v4_tcp", TCP(sport=22, dport=2222), 22, 2222,
               pre=eth() / Dot1Q(vlan=4094) / Dot1Q(vlan=5), tci=4094,
               extra_flags=F_VLAN)
    v4_transit("vlan1_prio_tag_only", TCP(sport=22, dport=2222), 22, 2222,
               pre=eth() / Dot1Q(vlan=0, prio=5), tci=5 << 13,
               extra_flags=F_VLAN)
    add_drop("vlan3_too_deep", "vlan_depth",
             eth() / Dot1Q(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) /
             IP(src=S4, dst=D4) / UDP())
    add_drop("vlan_trunc", "trunc_vlan", eth(type=0x8100) / Raw(b"\x00\x64"))
    add_drop("vlan2_trunc_inner", "trunc_vlan",
             eth() / Dot1Q(vlan=1, type=0x8100) / Raw(b"\x00"))

    # -- transit IPv6
    v6_transit("v6_tcp", TCP(sport=1234, dport=80), 1234, 80, proto=6)
    v6_transit("v6_udp", UDP(sport=4500, dport=4500) / Raw(b"u" * 10),
               4500, 4500, proto=17)
    v6_transit("v6_icmp6_echo", ICMPv6EchoRequest(id=1, seq=2), proto=58)
    v6_transit("v6_ext_hbh_dst_rt_tcp", TCP(sport=1000, dport=2000),
               1000, 2000, proto=6,
               ext=IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() /
               IPv6ExtHdrRouting(type=4, segleft=0))
    v6_transit("v6_ext_frag_first", UDP(sport=3000, dport=4000) / Raw(b"f" * 16),
               3000, 4000, proto=17, extra_flags=F_FRAG,
               ext=IPv6ExtHdrFragment(m=1, offset=0, id=0x1234))
    pkt = Ether(bytes(eth() / IPv6(src=S6, dst=D6) /
                      IPv6ExtHdrFragment(nh=17, m=0, offset=3, id=0x1234) /
                      Raw(b"g" * 16)))
    add_redirect("v6_ext_frag_later", pkt, 14, 0, 17,
                 F_IPV6 | F_FRAG | F_LATER_FRAG, 0,
                 hash6(S6, D6, None, None, 17))
    v6_transit("v6_ext_6_destopts_ok", UDP(sport=9, dport=10), 9, 10,
               proto=17, ext=IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
               IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
               IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt())
    add_drop("v6_ext_7_destopts_chain", "exthdr_chain",
             eth() / IPv6(src=S6, dst=D6) / IPv6ExtHdrDestOpt() /
             IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
             IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
             UDP(sport=9, dport=10))
    # AH (RFC 4302 2.2): length in 4-octet units minus 2; 24 bytes here
    ah = bytes([6, 4, 0, 0]) + struct.pack("!II", 0x100, 1) + b"\xaa" * 12
    v6_transit("v6_ext_ah_tcp", TCP(sport=5000, dport=179), 5000, 179,
               proto=6, ext=Raw(ah))
    # fix the IPv6 next header for the raw AH (scapy can't guess it)
    name, act, verdict, meta, raw, opt = FIX[-1]
    raw = bytearray(raw)
    raw[14 + 6] = 51
    FIX[-1] = (name, act, verdict, meta, bytes(raw), opt)
    v6_transit("v6_esp_no_ports", Raw(struct.pack("!II", 0x200, 1) + b"e" * 16),
               proto=50)
    name, act, verdict, meta, raw, opt = FIX[-1]
    raw = bytearray(raw)
    raw[14 + 6] = 50
    FIX[-1] = (name, act, verdict, meta, bytes(raw), opt)

    # -- kernel-bound control traffic
    add_pass("arp_request", "control",
             eth(dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=S4, pdst=LOCAL4))
    add_pass("arp_in_vlan", "control",
             eth(dst="ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=7) / ARP(psrc=S4, pdst=LOCAL4))
    sn = "ff02::1:ff00:1"
    add_pass("nd_ns", "control",
             eth(dst="33:33:ff:00:00:01") / IPv6(src=S6, dst=sn, hlim=255) /
             ICMPv6ND_NS(tgt=LOCAL6))
    add_pass("nd_ns_unicast_transit_dst", "control",
             eth() / IPv6(src=S6, dst=D6, hlim=255) / ICMPv6ND_NS(tgt=D6))
    add_pass("nd_na", "control",
             eth() / IPv6(src=S6, dst=LOCAL6, hlim=255) / ICMPv6ND_NA(tgt=S6))
    add_pass("nd_ra", "control",
             eth(dst="33:33:00:00:00:01") /
             IPv6(src="fe80::1", dst="ff02::1", hlim=255) / ICMPv6ND_RA())
    add_pass("nd_rs", "control",
             eth(dst="33:33:00:00:00:02") /
             IPv6(src="fe80::2", dst="ff02::2", hlim=255) / ICMPv6ND_RS())
    add_pass("nd_redirect", "control",
             eth() / IPv6(src="fe80::1", dst="fe80::2", hlim=255) /
             ICMPv6ND_Redirect(tgt="fe80::3", dst=D6))
    # MLD (RFC 2710 3, RFC 3810 5) rides behind a hop-by-hop router alert
    hbh = IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)])
    add_pass("mld_v1_report", "control",
             eth(dst="33:33:00:00:00:fb") /
             IPv6(src="fe80::2", dst="ff02::fb", hlim=1) / hbh /
             ICMPv6MLReport(mladdr="ff02::fb"))
    add_pass("mld_query", "control",
             eth(dst="33:33:00:00:00:01") /
             IPv6(src="fe80::1", dst="ff02::1", hlim=1) / hbh / ICMPv6MLQuery())
    add_pass("mld_done", "control",
             eth(dst="33:33:00:00:00:02") /
             IPv6(src="fe80::2", dst="ff02::2", hlim=1) / hbh / ICMPv6MLDone())
    add_pass("mld_v2_report", "control",
             eth(dst="33:33:00:00:00:16") /
             IPv6(src="fe80::2", dst="ff02::16", hlim=1) / hbh /
             ICMPv6MLReport2())
    add_pass("igmp_v2_report", "control",
             eth(dst="01:00:5e:00:00:fb") /
             IP(src=S4, dst="224.0.0.251", ttl=1, options=b"\x94\x04\x00\x00") /
             IGMP(type=0x16, gaddr="224.0.0.251"))
    add_pass("igmp_v3_report", "control",
             eth(dst="01:00:5e:00:00:16") /
             IP(src=S4, dst="224.0.0.22", ttl=1, proto=2) / IGMPv3(type=0x22) /
             IGMPv3mr())

    # -- multicast / broadcast destinations
    add_pass("v4_mcast_mdns", "multicast",
             eth(dst="01:00:5e:00:00:fb") / IP(src=S4, dst="224.0.0.251", ttl=255) /
             UDP(sport=5353, dport=5353))
    add_pass("v4_mcast_routed_group", "multicast",
             eth(dst="01:00:5e:01:02:03") / IP(src=S4, dst="239.1.2.3", ttl=64) /
             UDP(sport=1, dport=2))
    add_pass("v4_limited_broadcast", "multicast",
             eth(dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") /
             UDP(sport=68, dport=67))
    add_pass("v6_mcast_mdns", "multicast",
             eth(dst="33:33:00:00:00:fb") / IPv6(src=S6, dst="ff02::fb") /
             UDP(sport=5353, dport=5353))
    add_pass("v6_mcast_echo_not_control", "multicast",
             eth(dst="33:33:00:00:00:01") / IPv6(src=S6, dst="ff02::1") /
             ICMPv6EchoRequest())
    # RFC 1812 5.3.4: a link-layer broadcast with a unicast IP destination
    # is never forwarded
    add_pass("v4_unicast_in_l2_broadcast", "multicast",
             eth(dst="ff:ff:ff:ff:ff:ff") / IP(src=S4, dst=D4) / UDP(sport=1, dport=2))
    add_pass("v6_unicast_in_l2_multicast", "multicast",
             eth(dst="33:33:00:00:00:01") / IPv6(src=S6, dst=D6) / UDP(sport=1, dport=2))

    # -- local
    add_pass("v4_local_tcp", "local",
             eth() / IP(src=S4, dst=LOCAL4) / TCP(sport=5555, dport=22))
    add_pass("v4_local_ttl1", "local",
             eth() / IP(src=S4, dst=LOCAL4, ttl=1) / ICMP())
    add_pass("v4_local_trunc_l4_kernel_judges", "local",
             eth() / IP(src=S4, dst=LOCAL4, proto=6) / Raw(b"\x00" * 4))
    add_pass("v4_local_igmp_unicast", "local",
             eth() / IP(src=S4, dst=LOCAL4, proto=2) / IGMP())
    add_pass("v6_local_tcp", "local",
             eth() / IPv6(src=S6, dst=LOCAL6) / TCP(sport=5555, dport=22))
    add_pass("v6_link_local_dst", "local",
             eth() / IPv6(src="fe80::2", dst="fe80::1") / UDP(sport=546, dport=547))
    add_pass("v6_link_local_febf", "local",
             eth() / IPv6(src="fe80::2", dst="febf::1") / UDP(sport=1, dport=2))
    add_pass("v6_local_later_frag", "local",
             eth() / IPv6(src=S6, dst=LOCAL6) /
             IPv6ExtHdrFragment(nh=17, offset=8) / Raw(b"z" * 8))
    # fec0::/10 is not link-local: it is routed
    v6_ip = IPv6(src=S6, dst="fec0::1", hlim=64)
    pkt = Ether(bytes(eth() / v6_ip / UDP(sport=1, dport=2)))
    add_redirect("v6_fec0_is_transit", pkt, 14, 54, 17, F_IPV6 | F_L4, 0,
                 hash6(S6, "fec0::1", 1, 2, 17))

    # -- TTL / hop limit (RFC 1812 5.3.1, RFC 8200 3): by default a worker
    # answers them, so they carry full metadata like transit
    TE = "ttl_expired"
    v4_transit("v4_ttl1", UDP(sport=33434, dport=33434), 33434, 33434,
               ipkw={"ttl": 1}, cls=TE)
    v4_transit("v4_ttl0", TCP(), 20, 80, ipkw={"ttl": 0}, cls=TE)
    v4_transit("v4_ttl2_forwarded", UDP(sport=1, dport=33435), 1, 33435,
               ipkw={"ttl": 2})
    v4_transit("v4_ttl1_icmp_echo", ICMP(type=8) / Raw(b"tr"),
               ipkw={"ttl": 1}, cls=TE)
    v4_transit("v4_ttl1_vlan", UDP(sport=5, dport=6), 5, 6,
               pre=eth() / Dot1Q(vlan=42), tci=42, extra_flags=F_VLAN,
               ipkw={"ttl": 1}, cls=TE)
    v4_transit("v4_ttl1_frag_first", UDP(sport=7, dport=8) / Raw(b"x" * 16),
               7, 8, ipkw={"ttl": 1, "flags": "MF"}, extra_flags=F_FRAG,
               cls=TE)
    pkt = Ether(bytes(eth() / IP(src=S4, dst=D4, ttl=1, proto=17, frag=3) /
                      Raw(b"y" * 16)))
    add_redirect("v4_ttl1_frag_later", pkt, 14, 0, 17,
                 F_IPV4 | F_FRAG | F_LATER_FRAG, 0,
                 hash4(S4, D4, None, None, 17), TE)
    v6_transit("v6_hlim1", UDP(sport=33434, dport=33434), 33434, 33434,
               proto=17, hlim=1, cls=TE)
    v6_transit("v6_hlim0_ext", TCP(), 20, 80, proto=6, hlim=0,
               ext=IPv6ExtHdrDestOpt(), cls=TE)
    v6_transit("v6_hlim1_icmp6_echo", ICMPv6EchoRequest(id=3, seq=4),
               proto=58, hlim=1, cls=TE)
    v6_transit("v6_hlim2_forwarded", UDP(sport=1, dport=2), 1, 2, proto=17,
               hlim=2)
    # a TTL-expired packet is answered whatever its L4 header looks like:
    # it keeps its class, without flag L4, l4_off 0 and no ports in the hash
    pkt = eth() / IP(src=S4, dst=D4, ttl=1, proto=6) / Raw(b"\x00" * 4)
    add_redirect("v4_ttl1_trunc_l4", pkt, 14, 0, 6, F_IPV4, 0,
                 hash4(S4, D4, None, None, 6), TE)
    pkt = eth() / IPv6(src=S6, dst=D6, hlim=1, nh=17) / Raw(b"\x00\x35")
    add_redirect("v6_hlim1_trunc_l4", pkt, 14, 0, 17, F_IPV6, 0,
                 hash6(S6, D6, None, None, 17), TE)
    # ... but a broken extension header chain is still a drop
    add_drop("v6_hlim1_trunc_exthdr", "trunc_exthdr",
             eth() / IPv6(src=S6, dst=D6, hlim=1, nh=60) /
             Raw(b"\x06\x00\x01\x02"))
    # local, multicast and control keep their class at TTL 1
    add_pass("v6_local_hlim1", "local",
             eth() / IPv6(src=S6, dst=LOCAL6, hlim=1) / UDP(sport=1, dport=2))
    add_pass("v4_ttl1_l2_broadcast", "multicast",
             eth(dst="ff:ff:ff:ff:ff:ff") / IP(src=S4, dst=D4, ttl=1) /
             UDP(sport=1, dport=2))
    add_pass("v4_ttl1_mcast_dst", "multicast",
             eth(dst="01:00:5e:01:02:03") / IP(src=S4, dst="239.1.2.3", ttl=1) /
             UDP(sport=1, dport=2))

    # -- non-IP
    add_pass("lldp", "non_ip",
             eth(dst="01:80:c2:00:00:0e", type=0x88cc) / Raw(b"\x02\x07\x04" + b"\x00" * 40))
    add_pass("ethertype_0x9000", "non_ip",
             eth(type=0x9000) / Raw(b"\x00" * 46))
    add_pass("llc_length_field", "non_ip",
             eth(type=0x0026) / Raw(b"\x42\x42\x03" + b"\x00" * 43))
    add_pass("vlan_mpls", "non_ip",
             eth() / Dot1Q(vlan=3, type=0x8847) / Raw(b"\x00\x01\x01\x40" + b"\x00" * 40))

    # -- bad sources
    add_drop("src_mac_multicast", "bad_src",
             Ether(src="01:00:5e:00:00:01", dst=DMAC) / IP(src=S4, dst=D4) / UDP())
    add_drop("src_mac_broadcast", "bad_src",
             Ether(src="ff:ff:ff:ff:ff:ff", dst=DMAC) / ARP())
    add_drop("src_mac_multicast_short", "bad_src",
             Ether(src="33:33:00:00:00:01", dst=DMAC, type=0x8100))

    # -- truncation and bad headers
    full = bytes(eth() / IP(src=S4, dst=D4) / TCP(sport=1, dport=2))
    add_drop("trunc_eth_0", "trunc_eth", b"")
    add_drop("trunc_eth_13", "trunc_eth", full[:13])
    add_drop("trunc_ip4_hdr_only_eth", "trunc_ip4", full[:14])
    add_drop("trunc_ip4_19", "trunc_ip4", full[:14 + 19])
    add_drop("bad_ip_version_5_in_ipv4", "bad_ip_version",
             eth() / IP(src=S4, dst=D4, version=5) / UDP())
    add_drop("bad_ip_version_4_in_ipv6", "bad_ip_version",
             eth(type=0x86dd) / IP(src=S4, dst=D4) / TCP(options=[("NOP", None)] * 8))
    add_drop("bad_ihl_4", "bad_ihl",
             eth() / IP(src=S4, dst=D4, ihl=4) / UDP())
    add_drop("bad_ihl_0", "bad_ihl",
             eth() / IP(src=S4, dst=D4, ihl=0) / UDP())
    add_drop("bad_ihl_past_end", "bad_ihl",
             eth() / IP(src=S4, dst=D4, ihl=15) / UDP())
    add_drop("bad_tot_len_over_frame", "bad_ip4_len",
             eth() / IP(src=S4, dst=D4, len=200) / UDP())
    add_drop("bad_tot_len_under_ihl", "bad_ip4_len",
             eth() / IP(src=S4, dst=D4, len=19) / UDP())
    add_drop("bad_tot_len_under_options", "bad_ip4_len",
             eth() / IP(src=S4, dst=D4, len=22, options=b"\x01\x01\x01\x00") / UDP())
    add_drop("trunc_l4_tcp", "trunc_l4",
             eth() / IP(src=S4, dst=D4, proto=6) /
             Raw(bytes(TCP(sport=1, dport=2))[:19]))
    # the frame holds a whole TCP header, but the IP length ends earlier:
    # the rest is Ethernet padding, not TCP
    add_drop("trunc_l4_tcp_in_padding", "trunc_l4",
             eth() / IP(src=S4, dst=D4, proto=6, len=30) / Raw(b"\x00" * 26))
    add_drop("trunc_l4_tcp_doff_4", "trunc_l4",
             eth() / IP(src=S4, dst=D4) / TCP(dataofs=4))
    add_drop("trunc_l4_tcp_doff_past_end", "trunc_l4",
             eth() / IP(src=S4, dst=D4) / TCP(dataofs=6))
    add_drop("trunc_l4_udp", "trunc_l4",
             eth() / IP(src=S4, dst=D4, proto=17) / Raw(b"\x00\x35\x00\x35\x00\x08\x00"))
    add_drop("trunc_l4_icmp", "trunc_l4",
             eth() / IP(src=S4, dst=D4, proto=1) / Raw(b"\x08\x00\x00\x00"))
    add_drop("trunc_l4_vlan_udp", "trunc_l4",
             eth() / Dot1Q(vlan=9) / IP(src=S4, dst=D4, proto=17) / Raw(b"\x00\x35"))
    add_drop("trunc_l4_v4_frag_first", "trunc_l4",
             eth() / IP(src=S4, dst=D4, proto=17, flags="MF") / Raw(b"\x00\x35"))
    v6full = bytes(eth() / IPv6(src=S6, dst=D6) / TCP())
    add_drop("trunc_ip6_39", "trunc_ip6", v6full[:14 + 39])
    add_drop("trunc_ip6_vlan", "trunc_ip6",
             bytes(eth() / Dot1Q(vlan=2) / IPv6(src=S6, dst=D6))[:18 + 20])
    add_drop("bad_ip6_len", "bad_ip6_len",
             eth() / IPv6(src=S6, dst=D6, plen=21) / TCP())
    add_drop("trunc_l4_v6_tcp", "trunc_l4",
             eth() / IPv6(src=S6, dst=D6, nh=6) / Raw(b"\x00" * 12))
    add_drop("trunc_l4_v6_tcp_in_padding", "trunc_l4",
             eth() / IPv6(src=S6, dst=D6, nh=6, plen=4) / Raw(b"\x00" * 20))
    add_drop("trunc_l4_v6_icmp6", "trunc_l4",
             eth() / IPv6(src=S6, dst=D6, nh=58) / Raw(b"\x80\x00\x00\x00"))
    add_drop("trunc_exthdr_hbh_len", "trunc_exthdr",
             eth() / IPv6(src=S6, dst=D6, nh=0) /
             Raw(bytes([6, 2]) + b"\x01\x04\x00\x00\x00\x00"))
    add_drop("trunc_exthdr_4_bytes", "trunc_exthdr",
             eth() / IPv6(src=S6, dst=D6, nh=60) / Raw(b"\x06\x00\x01\x02"))
    add_drop("trunc_exthdr_in_padding", "trunc_exthdr",
             eth() / IPv6(src=S6, dst=D6, nh=43, plen=0) /
             Raw(b"\x06\x00\x00\x00\x00\x00\x00\x00" + b"\x00" * 20))
    add_drop("trunc_exthdr_frag", "trunc_exthdr",
             eth() / IPv6(src=S6, dst=D6, nh=44) / Raw(b"\x11\x00\x00\x01"))
    add_drop("trunc_exthdr_second", "trunc_exthdr",
             eth() / IPv6(src=S6, dst=D6) / IPv6ExtHdrDestOpt(nh=43) /
             Raw(b"\x06\x05\x00\x00\x00\x00\x00\x00"))
    # malformed even though it is headed for this host: the chain is
    # walked before any class is chosen
    add_drop("local_v6_exthdr_chain", "exthdr_chain",
             eth() / IPv6(src=S6, dst=LOCAL6) / IPv6ExtHdrHopByHop() /
             IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting() / IPv6ExtHdrDestOpt() /
             IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
             TCP())

    build_mape()
    build_wg()
    build_l4()
    build_no_wg()


L4A4, L4A6 = "203.0.113.80", "2001:db8:2::80"


def build_l4():
    L4 = "l4_service"
    # rule 10: TCP/UDP to a listen address:port, wherever it would go
    v4_transit("l4_v4_tcp_syn", TCP(sport=40000, dport=443, flags="S"),
               40000, 443, dst=L4A4, cls=L4)
    v4_transit("l4_v4_udp", UDP(sport=40001, dport=5300) / Raw(b"u" * 12),
               40001, 5300, dst=L4A4, cls=L4)
    v4_transit("l4_v4_local_addr", TCP(sport=40002, dport=8443), 40002,
               8443, dst=LOCAL4, cls=L4)
    v4_transit("l4_v4_ttl1", TCP(sport=40003, dport=443), 40003, 443,
               dst=L4A4, ipkw={"ttl": 1}, cls=L4)
    v4_transit("l4_v4_vlan", TCP(sport=40004, dport=443), 40004, 443,
               dst=L4A4, pre=eth() / Dot1Q(vlan=9), tci=9,
               extra_flags=F_VLAN, cls=L4)
    pkt = Ether(bytes(eth() / IPv6(src=S6, dst=L4A6) /
                      TCP(sport=40005, dport=443)))
    add_redirect("l4_v6_tcp", pkt, 14, 54, 6, F_IPV6 | F_L4, 0,
                 hash6(S6, L4A6, 40005, 443, 6), L4)
    # not a service: the ordinary rules
    v4_transit("l4_v4_other_port", TCP(sport=40006, dport=444), 40006, 444,
               dst=L4A4)
    v4_transit("l4_v4_udp_to_tcp_port", UDP(sport=40007, dport=443),
               40007, 443, dst=L4A4)
    # fragments to a listen address (any port): the stage drops and counts
    # them; transit metadata kept (the first fragment's ports included)
    v4_transit("l4_v4_first_frag", TCP(sport=40008, dport=443), 40008, 443,
               dst=L4A4, ipkw={"flags": "MF"}, extra_flags=F_FRAG, cls=L4)
    pkt = Ether(bytes(eth() / IP(src=S4, dst=L4A4, frag=3, proto=6) /
                      Raw(b"f" * 16)))
    add_redirect("l4_v4_later_frag", pkt, 14, 0, 6,
                 F_IPV4 | F_FRAG | F_LATER_FRAG, 0,
                 hash4(S4, L4A4, None, None, 6), L4)
    # a listen address that is also the host's: its fragments are the
    # kernel's (it reassembles; its own services may need them)
    add_pass("l4_v4_frag_to_local_listen", "local", eth() /
             IP(src=S4, dst=LOCAL4, flags="MF") / TCP(sport=40012, dport=9999))
    pkt = Ether(bytes(eth() / IPv6(src=S6, dst=L4A6) /
                      IPv6ExtHdrFragment(m=1) / UDP(sport=40013, dport=53)))
    add_redirect("l4_v6_frag", pkt, 14, 62, 17, F_IPV6 | F_L4 | F_FRAG, 0,
                 hash6(S6, L4A6, 40013, 53, 17), L4)
    add_pass("l4_v4_local_other_port", "local", eth() /
             IP(src=S4, dst=LOCAL4) / TCP(sport=40009, dport=8444))
    pkt = Ether(bytes(eth() / IPv6(src=S6, dst=L4A6) / IPv6ExtHdrDestOpt() /
                      TCP(sport=40010, dport=443)))
    add_redirect("l4_v6_exthdr_is_transit", pkt, 14, 62, 6, F_IPV6 | F_L4,
                 0, hash6(S6, L4A6, 40010, 443, 6))
    # the service's L4 header cut short: dropped (a local address, so no
    # earlier rule looked at L4)
    add_drop("l4_v4_local_trunc_tcp", "trunc_l4", eth() /
             IP(src=S4, dst=LOCAL4, proto=6) /
             Raw(struct.pack("!HH", 40011, 8443) + b"\0" * 8))
    build_l4_icmp()


def build_l4_icmp():
    """Rule 10 for ICMP errors about a service's flows (gk_l4_icmp): the
    quote is a reply from the outer destination's listen port."""
    L4 = "l4_service"
    C4, C6 = "198.51.100.77", "2001:db8:1::77"

    def q4(l4, src=L4A4, **kw):
        return IP(src=src, dst=C4, ttl=63, **kw) / l4

    # errors from a router about the service's replies: to the workers
    v4_transit("l4_icmp_v4_frag_needed_tcp",
               ICMP(type=3, code=4, nexthopmtu=1400) /
               q4(TCP(sport=443, dport=40100, flags="A") / Raw(b"x" * 64)),
               dst=L4A4, cls=L4)
    v4_transit("l4_icmp_v4_time_exceeded_udp",
               ICMP(type=11, code=0) / q4(UDP(sport=5300, dport=40101)),
               dst=L4A4, cls=L4)
    v4_transit("l4_icmp_v4_param_problem_tcp",
               ICMP(type=12, code=0) / q4(TCP(sport=443, dport=40102)),
               dst=L4A4, cls=L4)
    # RFC 792's minimum: the header and 64 bits (ports and seq/length)
    v4_transit("l4_icmp_v4_port_unreach_8_bytes",
               ICMP(type=3, code=3) /
               Raw(bytes(q4(TCP(sport=443, dport=40103)))[:28]),
               dst=L4A4, cls=L4)
    v4_transit("l4_icmp_v4_ports_only",
               ICMP(type=3, code=1) /
               Raw(bytes(q4(UDP(sport=5300, dport=40104)))[:24]),
               dst=L4A4, cls=L4)
    v4_transit("l4_icmp_v4_quote_ip_options",
               ICMP(type=11, code=0) /
               q4(TCP(sport=443, dport=40105),
                  options=[IPOption(b"\x94\x04\x00\x00")]),
               dst=L4A4, cls=L4)
    v4_transit("l4_icmp_v4_to_local_listen",
               ICMP(type=3, code=4, nexthopmtu=1280) /
               q4(TCP(sport=8443, dport=40106), src=LOCAL4),
               dst=LOCAL4, cls=L4)
    v4_transit("l4_icmp_v4_vlan", ICMP(type=3, code=4, nexthopmtu=1400) /
               q4(TCP(sport=443, dport=40107)), dst=L4A4,
               pre=eth() / Dot1Q(vlan=9), tci=9, extra_flags=F_VLAN,
               cls=L4)
    v4_transit("l4_icmp_v4_quote_first_fragment",
               ICMP(type=3, code=4, nexthopmtu=1400) /
               q4(UDP(sport=5300, dport=40108), flags="MF"),
               dst=L4A4, cls=L4)
    for name, icmp6, proto, sport, dport in (
            ("l4_icmp_v6_packet_too_big_tcp", ICMPv6PacketTooBig(mtu=1280),
             TCP, 443, 40110),
            ("l4_icmp_v6_dest_unreach_tcp", ICMPv6DestUnreach(code=4),
             TCP, 443, 40111),
            ("l4_icmp_v6_time_exceeded_tcp", ICMPv6TimeExceeded(), TCP,
             443, 40112)):
        q = IPv6(src=L4A6, dst=C6, hlim=63) / proto(sport=sport, dport=dport)
        pkt = Ether(bytes(eth() / IPv6(src=S6, dst=L4A6) / icmp6 / q))
        add_redirect(name, pkt, 14, 54, 58, F_IPV6 | F_L4, 0,
                     hash6(S6, L4A6, None, None, 58), L4)
    # not about a service's flow: the ordinary rules
    v4_transit("l4_icmp_v4_other_port", ICMP(type=3, code=4) /
               q4(TCP(sport=444, dport=40120)), dst=L4A4)
    v4_transit("l4_icmp_v4_udp_quote_tcp_port", ICMP(type=3, code=3) /
               q4(UDP(sport=443, dport=40121)), dst=L4A4)
    v4_transit("l4_icmp_v4_quote_src_not_dst", ICMP(type=3, code=4) /
               q4(TCP(sport=443, dport=40122), src="203.0.113.81"),
               dst=L4A4)
    v4_transit("l4_icmp_v4_echo_request", ICMP(type=8) / Raw(b"ping"),
               dst=L4A4)
    v4_transit("l4_icmp_v4_redirect", ICMP(type=5, code=1) /
               q4(TCP(sport=443, dport=40123)), dst=L4A4)
    v4_transit("l4_icmp_v4_quote_cut_in_ports", ICMP(type=3, code=4) /
               Raw(bytes(q4(TCP(sport=443, dport=40124)))[:22]), dst=L4A4)
    v4_transit("l4_icmp_v4_quote_cut_in_ip", ICMP(type=3, code=4) /
               Raw(bytes(q4(TCP(sport=443, dport=40125)))[:16]), dst=L4A4)
    v4_transit("l4_icmp_v4_about_icmp", ICMP(type=3, code=4) /
               q4(ICMP(type=0) / Raw(b"\x01\xbb" * 4)), dst=L4A4)
    v4_transit("l4_icmp_v4_quote_later_fragment", ICMP(type=3, code=4) /
               q4(Raw(struct.pack("!HH", 443, 40126) + b"\0" * 4),
                  frag=8, proto=6), dst=L4A4)
    v4_transit("l4_icmp_v4_quote_bad_ihl", ICMP(type=3, code=4) /
               Raw(b"\x44" + bytes(q4(TCP(sport=443, dport=40127)))[1:]),
               dst=L4A4)
    # the host's own connections: the kernel's, as before
    add_pass("l4_icmp_v4_local_other_port", "local", eth() /
             IP(src=S4, dst=LOCAL4) / ICMP(type=3, code=4) /
             q4(TCP(sport=22, dport=40130), src=LOCAL4))
    pkt = Ether(bytes(eth() / IPv6(src=S6, dst=L4A6) /
                      ICMPv6PacketTooBig(mtu=1280) /
                      IPv6(src=L4A6, dst=C6) / IPv6ExtHdrDestOpt() /
                      TCP(sport=443, dport=40131)))
    add_redirect("l4_icmp_v6_quote_exthdr", pkt, 14, 54, 58, F_IPV6 | F_L4,
                 0, hash6(S6, L4A6, None, None, 58))
    pkt = Ether(bytes(eth() / IPv6(src=S6, dst=L4A6) /
                      ICMPv6DestUnreach(code=4) /
                      IPv6(src=L4A6, dst=C6) / UDP(sport=443, dport=40132)))
    add_redirect("l4_icmp_v6_udp_quote_tcp_port", pkt, 14, 54, 58,
                 F_IPV6 | F_L4, 0, hash6(S6, L4A6, None, None, 58))


WG_PORT = 51820


def wg_msg(mtype, length, reserved=b"\0\0\0"):
    """A WireGuard message: le32 type (type byte + 3 reserved), filler."""
    return bytes([mtype]) + reserved + bytes(range(length - 4))


def build_wg():
    WGD, WGH, LOC = "wg_data", "wg_handshake", "local"
    # data to our address and listen port: redirected, L4 metadata
    for name, n in (("wg4_data", 32 + 64), ("wg4_keepalive", 32)):
        pkt = Ether(bytes(eth() / IP(src=D4, dst=LOCAL4) /
                          UDP(sport=40000, dport=WG_PORT) /
                          Raw(wg_msg(4, n))))
        add_redirect(name, pkt, 14, 34, 17, F_IPV4 | F_L4, 0,
                     hash4(D4, LOCAL4, 40000, WG_PORT, 17), WGD)
    pkt = Ether(bytes(eth() / IPv6(src=S6, dst=LOCAL6) /
                      UDP(sport=40001, dport=WG_PORT) / Raw(wg_msg(4, 48))))
    add_redirect("wg6_data", pkt, 14, 54, 17, F_IPV6 | F_L4, 0,
                 hash6(S6, LOCAL6, 40001, WG_PORT, 17), WGD)
    pkt = Ether(bytes(eth() / Dot1Q(vlan=7) / IP(src=D4, dst=LOCAL4) /
                      UDP(sport=40000, dport=WG_PORT) / Raw(wg_msg(4, 32))))
    add_redirect("wg4_data_vlan", pkt, 18, 38, 17, F_IPV4 | F_L4 | F_VLAN, 7,
                 hash4(D4, LOCAL4, 40000, WG_PORT, 17), WGD)
    # handshakes: to the kernel, where genkand's socket listens
    for name, t, n in (("wg4_initiation", 1, 148), ("wg4_response", 2, 92),
                       ("wg4_cookie", 3, 64)):
        add_pass(name, WGH, eth() / IP(src=D4, dst=LOCAL4) /
                 UDP(sport=40000, dport=WG_PORT) / Raw(wg_msg(t, n)))
    add_pass("wg6_initiation", WGH, eth() / IPv6(src=S6, dst=LOCAL6) /
             UDP(sport=40000, dport=WG_PORT) / Raw(wg_msg(1, 148)))
    # not WireGuard data: stays local
    add_pass("wg4_data_short", LOC, eth() / IP(src=D4, dst=LOCAL4) /
             UDP(sport=40000, dport=WG_PORT) / Raw(wg_msg(4, 31)))
    add_pass("wg4_type5", LOC, eth() / IP(src=D4, dst=LOCAL4) /
             UDP(sport=40000, dport=WG_PORT) / Raw(wg_msg(5, 64)))
    add_pass("wg4_reserved_set", LOC, eth() / IP(src=D4, dst=LOCAL4) /
             UDP(sport=40000, dport=WG_PORT) /
             Raw(wg_msg(4, 64, reserved=b"\1\0\0")))
    add_pass("wg4_other_port", LOC, eth() / IP(src=D4, dst=LOCAL4) /
             UDP(sport=40000, dport=WG_PORT + 1) / Raw(wg_msg(4, 64)))
    add_pass("wg4_tcp_port", LOC, eth() / IP(src=D4, dst=LOCAL4) /
             TCP(sport=40000, dport=WG_PORT) / Raw(wg_msg(4, 64)))
    add_pass("wg4_first_frag", LOC, eth() /
             IP(src=D4, dst=LOCAL4, flags="MF") /
             UDP(sport=40000, dport=WG_PORT) / Raw(wg_msg(4, 64)))
    add_pass("wg6_frag", LOC, eth() / IPv6(src=S6, dst=LOCAL6) /
             IPv6ExtHdrFragment(m=1) / UDP(sport=40000, dport=WG_PORT) /
             Raw(wg_msg(4, 64)))
    # UDP length claims more than the packet holds: not data
    add_pass("wg4_udp_len_long", LOC, eth() / IP(src=D4, dst=LOCAL4) /
             UDP(sport=40000, dport=WG_PORT, len=8 + 200) / Raw(wg_msg(4, 64)))
    # to the listen port but not our address: plain transit
    v4_transit("wg4_not_local_is_transit", UDP(sport=40000, dport=WG_PORT) /
               Raw(wg_msg(4, 64)), 40000, WG_PORT)


def inner4(src=D4, dst=CE_V4, sport=80, dport=1232):
    """An IPv4 packet as it rides inside MAP-E (RFC 7597 example CE)."""
    return IP(src=src, dst=dst, ttl=63) / UDP(sport=sport, dport=dport) / \
        Raw(b"m" * 12)


def build_mape():
    CE, BR = "mape_ce", "mape_br"
    # ---- IPv6 toward the CE / BR addresses (RFC 7597 8)
    v6_mape("mape6_ipip_to_ce", CE6, inner4(), 4, CE)
    v6_mape("mape6_ipip_to_br", BR6, inner4(src=CE_V4, dst=D4), 4, BR,
            src=CE6)
    # the packet is for us: hop limit does not matter
    v6_mape("mape6_ipip_to_br_hlim1", BR6, inner4(src=CE_V4, dst=D4), 4, BR,
            src=CE6, hlim=1)
    v6_mape("mape6_ipip_to_ce_hlim0", CE6, inner4(), 4, CE, hlim=0)
    v6_mape("mape6_ipip_vlan", CE6, inner4(), 4, CE,
            pre=eth() / Dot1Q(vlan=33), tci=33, extra_flags=F_VLAN)
    v6_mape("mape6_ipip_after_destopt", CE6, inner4(), 4, CE,
            ext=IPv6ExtHdrDestOpt(nh=4))
    # RFC 7597 8.3 / RFC 2473: the outer packet may be fragmented; every
    # fragment goes to the MAP-E stage, which reassembles (or drops)
    v6_mape("mape6_ipip_frag_first", CE6, inner4(), 4, CE,
            ext=IPv6ExtHdrFragment(nh=4, m=1, offset=0, id=7),
            extra_flags=F_FRAG)
    pkt = Ether(bytes(eth() / IPv6(src=S6, dst=CE6) /
                      IPv6ExtHdrFragment(nh=4, m=0, offset=5, id=7) /
                      Raw(b"h" * 16)))
    add_redirect("mape6_ipip_frag_later", pkt, 14, 0, 4,
                 F_IPV6 | F_FRAG | F_LATER_FRAG, 0,
                 hash6(S6, CE6, None, None, 4), CE)
    pkt = Ether(bytes(eth() / IPv6(src=CE6, dst=BR6) /
                      IPv6ExtHdrFragment(nh=4, m=1, offset=9, id=8) /
                      Raw(b"i" * 16)))
    add_redirect("mape6_ipip_frag_later_to_br", pkt, 14, 0, 4,
                 F_IPV6 | F_FRAG | F_LATER_FRAG, 0,
                 hash6(CE6, BR6, None, None, 4), BR)
    # the inner packet is the stage's business (per-domain bad_inner):
    # cut short, empty or not even IPv4, it is still MAP-E traffic
    v6_mape("mape6_ipip_trunc_inner", CE6,
            Raw(bytes(inner4())[:10]), 4, CE)
    v6_mape("mape6_ipip_empty_inner", BR6, Raw(b""), 4, BR)
    v6_mape("mape6_ipip_inner_not_v4", CE6,
            Raw(bytes(IPv6(src=S6, dst=D6) / UDP())), 4, CE)
    # ICMPv6 errors about the tunnel come back to the tunnel endpoint
    quoted = IPv6(src=CE6, dst=BR6) / inner4(src=CE_V4, dst=D4, sport=1232,
                                              dport=80)
    v6_mape("mape6_icmp6_ptb_to_ce", CE6,
            ICMPv6PacketTooBig(mtu=1280) / quoted, 58, CE, src=S6)
    v6_mape("mape6_icmp6_unreach_to_ce", CE6,
            ICMPv6DestUnreach(code=3) / quoted, 58, CE, src=S6)
    quoted = IPv6(src=BR6, dst=CE6) / inner4()
    v6_mape("mape6_icmp6_time_exceeded_to_br", BR6,
            ICMPv6TimeExceeded() / quoted, 58, BR, src=S6)
    v6_mape("mape6_icmp6_echo_to_ce", CE6, ICMPv6EchoRequest(id=9, seq=1),
            58, CE)
    add_drop("mape6_icmp6_trunc", "trunc_l4",
             eth() / IPv6(src=S6, dst=CE6, nh=58) / Raw(b"\x02\x00\x00\x00"))
    # a broken chain is still a drop, MAP-E address or not
    add_drop("mape6_ipip_exthdr_chain", "exthdr_chain",
             eth() / IPv6(src=S6, dst=CE6) / IPv6ExtHdrDestOpt() /
             IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() /
             IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt(nh=4) /
             inner4())
    add_drop("mape6_ipip_trunc_exthdr", "trunc_exthdr",
             eth() / IPv6(src=S6, dst=CE6, nh=60) / Raw(b"\x04\x00\x01\x02"))
    # ND, RA and MLD to (or about) the MAP-E addresses stay with the kernel
    add_pass("mape6_nd_ns_to_ce", "control",
             eth() / IPv6(src=S6, dst=CE6, hlim=255) / ICMPv6ND_NS(tgt=CE6))
    add_pass("mape6_nd_na_to_br", "control",
             eth() / IPv6(src=S6, dst=BR6, hlim=255) / ICMPv6ND_NA(tgt=S6))
    add_pass("mape6_nd_ra_to_ce", "control",
             eth() / IPv6(src="fe80::1", dst=CE6, hlim=255) / ICMPv6ND_RA())
    # other protocols to a MAP-E address follow the ordinary rules
    v6_transit_to = IPv6(src=S6, dst=CE6, hlim=64)
    pkt = Ether(bytes(eth() / v6_transit_to / UDP(sport=7, dport=8)))
    add_redirect("mape6_udp_to_ce_addr_is_transit", pkt, 14, 54, 17,
                 F_IPV6 | F_L4, 0, hash6(S6, CE6, 7, 8, 17))
    add_pass("mape6_udp_to_br_addr_is_local", "local",
             eth() / IPv6(src=S6, dst=BR6) / UDP(sport=7, dport=8))
    add_pass("mape6_tcp_to_br_addr_is_local", "local",
             eth() / IPv6(src=S6, dst=BR6) / TCP(sport=7, dport=22))
    # IPIP / ICMPv6 to addresses outside gk_mape_v6
    v6_mape("ipip6_to_non_map_is_transit", D6, inner4(), 4, "transit")
    v6_mape("icmp6_ptb_to_non_map_is_transit", D6,
            ICMPv6PacketTooBig(mtu=1280) / IPv6(src=D6, dst=S6) / inner4(),
            58, "transit")
    add_pass("ipip6_to_local_non_map", "local",
             eth() / IPv6(src=S6, dst=LOCAL6, nh=4) / inner4())
    add_pass("ipip6_to_link_local", "local",
             eth() / IPv6(src="fe80::2", dst="fe80::1", nh=4) / inner4())
    add_pass("ipip6_to_multicast", "multicast",
             eth(dst="33:33:00:00:00:01") / IPv6(src=S6, dst="ff02::1", nh=4) /
             inner4())
    # a gk_mape_v6 value that is no MAP-E class is ignored
    v6_mape("ipip6_to_bad_value_is_transit", BAD6, inner4(), 4, "transit")
    v6_mape("ipip6_hlim1_to_non_map_expired", D6, inner4(), 4, "ttl_expired",
            hlim=1)

    # ---- IPv4 toward BR domains (gk_mape_v4, after multicast/local/TTL)
    v4_transit("mape4_br_udp", UDP(sport=80, dport=1232), 80, 1232,
               dst=BR4, cls=BR)
    v4_transit("mape4_br_tcp", TCP(sport=443, dport=2256), 443, 2256,
               dst=BR4, cls=BR)
    v4_transit("mape4_br_icmp_echo", ICMP(type=8, id=1232), dst=BR4, cls=BR)
    v4_transit("mape4_longest_match_ce", UDP(sport=1, dport=4000), 1, 4000,
               dst=BR4_CE, cls=CE)
    v4_transit("mape4_br_vlan", UDP(sport=5, dport=1233), 5, 1233,
               pre=eth() / Dot1Q(vlan=12), tci=12, extra_flags=F_VLAN,
               dst=BR4, cls=BR)
    v4_transit("mape4_br_frag_first", UDP(sport=9, dport=1234) / Raw(b"p" * 16),
               9, 1234, ipkw={"flags": "MF"}, extra_flags=F_FRAG, dst=BR4,
               cls=BR)
    pkt = Ether(bytes(eth() / IP(src=S4, dst=BR4, proto=17, frag=2) /
                      Raw(b"q" * 16)))
    add_redirect("mape4_br_frag_later", pkt, 14, 0, 17,
                 F_IPV4 | F_FRAG | F_LATER_FRAG, 0,
                 hash4(S4, BR4, None, None, 17), BR)
    v4_transit("mape4_br_ttl1_expired", UDP(sport=1, dport=1232), 1, 1232,
               ipkw={"ttl": 1}, dst=BR4, cls="ttl_expired")
    v4_transit("mape4_br_ttl2", UDP(sport=1, dport=1232), 1, 1232,
               ipkw={"ttl": 2}, dst=BR4, cls=BR)
    add_drop("mape4_br_trunc_l4", "trunc_l4",
             eth() / IP(src=S4, dst=BR4, proto=17) / Raw(b"\x00\x50"))
    add_pass("mape4_br_l2_broadcast", "multicast",
             eth(dst="ff:ff:ff:ff:ff:ff") / IP(src=S4, dst=BR4) /
             UDP(sport=1, dport=2))
    add_pass("mape4_local_inside_br_prefix", "local",
             eth() / IP(src=S4, dst=LOCAL4) / UDP(sport=1, dport=1232))
    v4_transit("mape4_inside_28", UDP(sport=1, dport=1232), 1, 1232,
               dst="192.0.2.5", cls=BR)
    v4_transit("mape4_edge_of_prefix_is_transit", UDP(sport=1, dport=2), 1, 2,
               dst="192.0.2.16")
    v4_transit("mape4_bad_value_is_transit", UDP(sport=1, dport=2), 1, 2,
               dst=BAD4)

    # ---- IPv4 on the CE's LAN port (GK_PORT_F_MAPE_CE_V4)
    lan = dict(src=CE_V4, opt=CE_PORT)
    v4_transit("ce4_lan_udp", UDP(sport=1232, dport=53), 1232, 53, dst=D4,
               cls=CE, **lan)
    v4_transit("ce4_lan_tcp", TCP(sport=1233, dport=443), 1233, 443, dst=D4,
               cls=CE, **lan)
    v4_transit("ce4_lan_icmp_echo", ICMP(type=8, id=1234), dst=D4, cls=CE,
               **lan)
    # the port flag wins over gk_mape_v4 (a CE has no BR domains anyway)
    v4_transit("ce4_lan_to_br_prefix", UDP(sport=1232, dport=53), 1232, 53,
               dst=BR4, cls=CE, **lan)
    v4_transit("ce4_lan_ttl1_expired", UDP(sport=1232, dport=53), 1232, 53,
               dst=D4, ipkw={"ttl": 1}, cls="ttl_expired", **lan)
    add_pass("ce4_lan_to_local", "local",
             eth() / IP(src=CE_V4, dst=LOCAL4) / UDP(sport=1232, dport=53),
             opt=CE_PORT)
    add_pass("ce4_lan_mcast", "multicast",
             eth(dst="01:00:5e:00:00:fb") / IP(src=CE_V4, dst="224.0.0.251") /
             UDP(sport=5353, dport=5353), opt=CE_PORT)
    add_pass("ce4_lan_arp", "control",
             eth(dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=CE_V4, pdst=LOCAL4),
             opt=CE_PORT)
    add_drop("ce4_lan_trunc_l4", "trunc_l4",
             eth() / IP(src=CE_V4, dst=D4, proto=6) / Raw(b"\x00" * 8),
             opt=CE_PORT)
    # the flag is about IPv4: IPv6 on that port follows the ordinary rules
    pkt = Ether(bytes(eth() / IPv6(src=S6, dst=D6) / UDP(sport=3, dport=4)))
    add_redirect("ce4_lan_v6_udp_is_transit", pkt, 14, 54, 17, F_IPV6 | F_L4,
                 0, hash6(S6, D6, 3, 4, 17), opt=CE_PORT)
    # the same packet as ce4_lan_udp on a port without the flag
    v4_transit("ce4_no_flag_udp_is_transit", UDP(sport=1232, dport=53), 1232,
               53, dst=D4, src=CE_V4)


def build_no_wg():
    """WireGuard off (gk_wg empty): its packets are the host's, every
    other class and flow hash as with it (flow_rule)."""
    NW = "wg=off"
    CEW = CE_PORT + "," + NW
    v4_transit("nowg_v4_tcp", TCP(sport=1234, dport=80), 1234, 80, opt=NW)
    v4_transit("nowg_v4_udp", UDP(sport=5353, dport=53) / Raw(b"q" * 20),
               5353, 53, opt=NW)
    v4_transit("nowg_v4_icmp_echo", ICMP(type=8, id=7, seq=1), opt=NW)
    v4_transit("nowg_vlan1_v4_udp", UDP(sport=7, dport=9), 7, 9,
               pre=eth() / Dot1Q(vlan=100), tci=100, extra_flags=F_VLAN,
               opt=NW)
    pkt = Ether(bytes(eth() / IP(src=S4, dst=D4, proto=17, frag=4) /
                      Raw(b"b" * 24)))
    add_redirect("nowg_v4_frag_later", pkt, 14, 0, 17,
                 F_IPV4 | F_FRAG | F_LATER_FRAG, 0,
                 hash4(S4, D4, None, None, 17), opt=NW)
    v6_transit("nowg_v6_tcp", TCP(sport=1234, dport=80), 1234, 80, proto=6,
               opt=NW)
    v6_transit("nowg_v6_udp", UDP(sport=4500, dport=4500) / Raw(b"u" * 10),
               4500, 4500, proto=17, opt=NW)
    v6_transit("nowg_v6_ext_dst_udp", UDP(sport=9, dport=10), 9, 10,
               proto=17, ext=IPv6ExtHdrDestOpt(), opt=NW)
    v4_transit("nowg_v4_ttl1_expired", UDP(sport=1, dport=2), 1, 2,
               ipkw={"ttl": 1}, cls="ttl_expired", opt=NW)
    v6_transit("nowg_v6_hlim1_expired", UDP(sport=1, dport=2), 1, 2,
               proto=17, hlim=1, cls="ttl_expired", opt=NW)
    # MAP-E over IPv4 keeps its hash (the encap's outer flow label); over
    # IPv6 (decapsulated here) it has none, WireGuard or not
    v4_transit("nowg_mape4_br_udp", UDP(sport=80, dport=1232), 80, 1232,
               dst=BR4, cls="mape_br", opt=NW)
    v4_transit("nowg_mape4_br_tcp", TCP(sport=443, dport=2256), 443, 2256,
               dst=BR4, cls="mape_br", opt=NW)
    v6_mape("nowg_mape6_ipip_to_ce", CE6, inner4(), 4, "mape_ce", opt=NW)
    v6_mape("nowg_mape6_ipip_to_br", BR6, inner4(src=CE_V4, dst=D4), 4,
            "mape_br", src=CE6, opt=NW)
    v6_mape("nowg_mape6_ipip_vlan", CE6, inner4(), 4, "mape_ce",
            pre=eth() / Dot1Q(vlan=100), tci=100, extra_flags=F_VLAN, opt=NW)
    v6_mape("nowg_mape6_icmp6_ptb_to_ce", CE6,
            ICMPv6PacketTooBig(mtu=1280) /
            IPv6(src=CE6, dst=BR6) / inner4(src=CE_V4, dst=D4), 58,
            "mape_ce", src=S6, opt=NW)
    v4_transit("nowg_ce4_lan_udp", UDP(sport=1232, dport=53), 1232, 53,
               dst=D4, src=CE_V4, cls="mape_ce", opt=CEW)
    v4_transit("nowg_ce4_lan_tcp", TCP(sport=1233, dport=443), 1233, 443,
               dst=D4, src=CE_V4, cls="mape_ce", opt=CEW)
    pkt = Ether(bytes(eth() / IPv6(src=S6, dst=D6) / UDP(sport=3, dport=4)))
    add_redirect("nowg_ce4_lan_v6_udp_is_transit", pkt, 14, 54, 17,
                 F_IPV6 | F_L4, 0, hash6(S6, D6, 3, 4, 17), opt=CEW)
    # no WireGuard: its data is just UDP to a local address
    add_pass("nowg_wg4_data_is_local", "local", eth() /
             IP(src=D4, dst=LOCAL4) / UDP(sport=40000, dport=WG_PORT) /
             Raw(wg_msg(4, 64)), opt=NW)
    # L4 services keep theirs; a fragment keeps its TRANSIT packet's: none
    v4_transit("nowg_l4_v4_tcp_syn", TCP(sport=40000, dport=443, flags="S"),
               40000, 443, dst=L4A4, cls="l4_service", opt=NW)
    pkt = Ether(bytes(eth() / IPv6(src=S6, dst=L4A6) /
                      TCP(sport=40005, dport=443)))
    add_redirect("nowg_l4_v6_tcp", pkt, 14, 54, 6, F_IPV6 | F_L4, 0,
                 hash6(S6, L4A6, 40005, 443, 6), "l4_service", opt=NW)
    pkt = Ether(bytes(eth() / IP(src=S4, dst=L4A4, frag=3, proto=6) /
                      Raw(b"f" * 16)))
    add_redirect("nowg_l4_v4_later_frag", pkt, 14, 0, 6,
                 F_IPV4 | F_FRAG | F_LATER_FRAG, 0, 0, "l4_service", opt=NW)
    v4_transit("nowg_l4_icmp_v4_time_exceeded_udp",
               ICMP(type=11, code=0) /
               IP(src=L4A4, dst="198.51.100.77", ttl=63) /
               UDP(sport=5300, dport=40101),
               dst=L4A4, cls="l4_service", opt=NW)


def main():
    build()
    seen = set()
    lines = ["# generated by tests/classify/gen_fixtures.py (scapy); "
             "do not edit"]
    for fx in FIX:
        name, act, verdict, meta, raw = fx[:5]
        opt = fx[5] if len(fx) > 5 else None
        assert name not in seen, name
        seen.add(name)
        if meta is None:
            m = "- - - - - -"
        else:
            l3, l4, proto, flags, tci, fh = meta
            m = "%d %d %d 0x%02x 0x%04x 0x%08x" % (l3, l4, proto, flags, tci, fh)
        line = "%s %s %s %s %s" % (name, act, verdict, m,
                                   raw.hex() if raw else "-")
        if opt:
            line += " " + opt
        lines.append(line)
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
