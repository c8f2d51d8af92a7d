#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Front door (dataplane/stage/l4) fixtures -> l4_fixtures.h.

Everything expected is computed here, never by genkan code:
  - packets, rewritten packets and their checksums (IPv4 header, TCP, UDP
    with RFC 768's zero rules) come from scapy;
  - the metadata is what the classifier hands a worker (rule 10), from
    scapy layer lengths, and the flow hash from the Python mixer of
    tests/classify/gen_fixtures.py;
  - which backend a new flow gets comes from the independent Maglev and
    SipHash-2-4 model of tests/maglev/gen_maglev.py (imported), on the
    services below, with backends out of the table unless up and weighted,
    as genkand builds them.

Fixture groups share one flow table, in order (SYN, data, FIN of a flow);
every fixture says which counters of the stage move and by how much.

Usage: gen_l4.py OUT.h
"""
import importlib.util
import ipaddress
import logging
import os
import sys

from scapy.all import (IP, TCP, UDP, Dot1Q, Ether, IPOption, IPv6,
                       IPv6ExtHdrFragment, Raw, conf)

conf.verb = 0
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name, rel):
    spec = importlib.util.spec_from_file_location(name,
                                                  os.path.join(HERE, rel))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


mg = _load("gen_maglev", "../maglev/gen_maglev.py")
cls = _load("gen_cls_fixtures", "../classify/gen_fixtures.py")

# include/genkan/meta.h and dataplane/stage/l4/l4.h, restated (ABI check).
F_IPV4, F_IPV6, F_VLAN, F_FRAG, F_L4, F_LATER = 1, 2, 4, 8, 0x10, 0x20
UP, DOWN, DRAINING, DISABLED = 0, 1, 2, 3
STATE_C = ["GK_L4_BE_UP", "GK_L4_BE_DOWN", "GK_L4_BE_DRAINING",
           "GK_L4_BE_DISABLED"]
TCP_P, UDP_P = 6, 17
# Timeouts of every service (ms): a FIN shortens the TCP one.
TCP_IDLE, TCP_FIN, UDP_IDLE = 300000, 10000, 30000

# The worker rig (test_l4_worker.c restates these: MACs, routes).
PEER = "02:00:00:00:aa:01"      # the router that sends clients' traffic
MAC0 = "02:00:00:00:00:0a"      # genkan port 0 (clients' side)
MAC1 = "02:00:00:00:00:0b"      # genkan port 1 (backends' side)
GW4, GW4_MAC = "192.0.2.254", "02:00:00:00:fe:01"
GW6, GW6_MAC = "2001:db8:ff::1", "02:00:00:00:fe:06"


def be_mac(addr):
    """Backends' MACs in the worker rig: 02:00:00:00:01:<last byte>."""
    return "02:00:00:00:01:%02x" % ipaddress.ip_address(addr).packed[-1]


def B(addr, port=0, weight=1, state=UP):
    return {"addr": addr, "port": port, "weight": weight, "state": state}


def S(name, addr, proto, lo, bes, hi=None, m=251):
    return {"name": name, "addr": addr, "proto": proto, "lo": lo,
            "hi": hi if hi is not None else lo, "be": bes, "m": m,
            "family": ipaddress.ip_address(addr).version}


SERVICES = [
    S("web4", "203.0.113.80", TCP_P, 443, [B("10.0.1.1")]),
    S("web4p", "203.0.113.80", TCP_P, 80, [B("10.0.1.2", 8080)]),
    S("dns4", "203.0.113.80", UDP_P, 53, [B("10.0.1.3")]),
    S("dns4p", "203.0.113.81", UDP_P, 5300, [B("10.0.1.4", 53)]),
    S("range4", "203.0.113.82", UDP_P, 10000, [B("10.0.1.5")], hi=10009),
    S("web6", "2001:db8:80::1", TCP_P, 443, [B("fd00:1::1")]),
    S("web6p", "2001:db8:80::1", TCP_P, 80, [B("fd00:1::2", 8080)]),
    S("dns6", "2001:db8:80::1", UDP_P, 53, [B("fd00:1::3")]),
    S("dns6p", "2001:db8:80::1", UDP_P, 5353, [B("fd00:1::4", 53)]),
    S("zero4", "203.0.113.83", TCP_P, 443,
      [B("10.0.2.1", weight=0), B("10.0.2.2", weight=0)]),
    S("down4", "203.0.113.84", TCP_P, 443,
      [B("10.0.2.3", state=DOWN), B("10.0.2.4", state=DOWN)]),
    S("idle6", "2001:db8:80::84", TCP_P, 443,
      [B("fd00:2::1", state=DRAINING), B("fd00:2::2", state=DISABLED)]),
    # Maglev at work: weights 3:1:1:2:1, ports kept and changed.
    S("pool4", "203.0.113.90", TCP_P, 443,
      [B("10.0.3.1", 0, 3), B("10.0.3.2", 8443, 1), B("10.0.3.3", 0, 1),
       B("10.0.3.4", 9443, 2), B("10.0.3.5", 0, 1)]),
    S("pool4d", "203.0.113.92", TCP_P, 443,
      [B("10.0.6.1", 0, 3), B("10.0.6.2", 8443, 1),
       B("10.0.6.3", 0, 1, DOWN), B("10.0.6.4", 9443, 2),
       B("10.0.6.5", 0, 1)]),
    S("pool6", "2001:db8:80::90", UDP_P, 4433,
      [B("fd00:3::1"), B("fd00:3::2"), B("fd00:3::3", 0, 2),
       B("fd00:3::4")], m=1021),
    # The flow tests' services (test_l4.c changes their backends' states).
    S("flowt4", "203.0.113.91", TCP_P, 7000,
      [B("10.0.5.%d" % i) for i in range(1, 5)]),
    S("flowu4", "203.0.113.91", UDP_P, 7000,
      [B("10.0.4.%d" % i) for i in range(1, 5)]),
    S("flowt6", "2001:db8:80::91", TCP_P, 7000,
      [B("fd00:5::%d" % i) for i in range(1, 5)], m=1021),
]
SVC = {s["name"]: i for i, s in enumerate(SERVICES)}


def table(s):
    """The Maglev table genkand builds: up and weighted backends only."""
    bs = [mg.be(b["addr"], b["port"], b["weight"], b["state"] != UP)
          for b in s["be"]]
    return mg.maglev(bs, s["m"])


TABLES = [table(s) for s in SERVICES]


def pick(si, caddr, cport, lport):
    s = SERVICES[si]
    h = mg.flow_hash(caddr, cport, s["addr"], lport, s["proto"])
    b = TABLES[si][h % s["m"]]
    return (None if b == mg.NONE else b), h


# ---------------------------------------------------------------- packets

def l3_of(pkt):
    return pkt[IP] if IP in pkt else pkt[IPv6]


def l4_of(pkt):
    return pkt[TCP] if TCP in pkt else pkt[UDP]


def pad(b):
    return b + bytes(max(0, 60 - len(b)))


def meta(pkt, cls_name="GK_CLASS_L4_SERVICE", flags=None, l4=True):
    """What the classifier hands a worker for this frame."""
    raw = bytes(pkt)
    l3 = l3_of(pkt)
    l3_off = len(raw) - len(bytes(l3))
    v4 = IP in pkt
    f = F_IPV4 if v4 else F_IPV6
    if Dot1Q in pkt:
        f |= F_VLAN
    l4_off, proto, sport, dport = 0, 0, None, None
    if l4 and (TCP in pkt or UDP in pkt):
        t = l4_of(pkt)
        l4_off = len(raw) - len(bytes(t))
        proto = TCP_P if TCP in pkt else UDP_P
        sport, dport = t.sport, t.dport
        f |= F_L4
    if flags is not None:
        f = flags
    if v4:
        fh = cls.hash4(l3.src, l3.dst, sport, dport, proto or l3.proto)
    else:
        fh = cls.hash6(l3.src, l3.dst, sport, dport, proto or l3.nh)
    # No WireGuard here: TRANSIT carries no flow hash, nor does a fragment
    # to a listen address, which was TRANSIT (gen_fixtures.flow_rule).
    name = cls_name[len("GK_CLASS_"):].lower()
    if name == "l4_service" and f & F_FRAG:
        name = "transit"
    fh = cls.flow_rule(name, fh, "wg=off")
    return {"class": cls_name, "l3_off": l3_off, "l4_off": l4_off,
            "proto": proto or (l3.proto if v4 else l3.nh), "flags": f,
            "fh": fh, "tci": pkt[Dot1Q].vlan if Dot1Q in pkt else 0}


def frame(l3, vlan=None):
    if vlan is None:
        return Ether(src=PEER, dst=MAC0) / l3
    return Ether(src=PEER, dst=MAC0) / Dot1Q(vlan=vlan) / l3


def rewrite(pkt, dst=None, dport=None, src=None, sport=None):
    """A copy with new addresses/ports and checksums scapy recomputes
    (an explicit UDP checksum 0 is kept: RFC 768, none sent)."""
    p = pkt.copy()
    l3, l4 = l3_of(p), l4_of(p)
    if dst is not None:
        l3.dst = dst
    if src is not None:
        l3.src = src
    if dport is not None:
        l4.dport = dport
    if sport is not None:
        l4.sport = sport
    if IP in p:
        l3.chksum = None
    if not (UDP in p and pkt[UDP].chksum == 0):
        l4.chksum = None
    return p


def csum_of(pkt):
    return l4_of(pkt.__class__(bytes(pkt))).chksum


FIX = []        # fixtures for the stage
WK = []         # frames for the worker rig
GROUP = [0]


def new_group():
    GROUP[0] += 1
    return GROUP[0]


def add(what, direction, pkt, out=None, verdict="GK_V_NONE", cnt=None,
        m=None, svc=-1, be=-1, tail=b"", group=None, in_verdict="GK_V_NONE",
        raw=None):
    FIX.append({"what": what, "dir": direction,
                "in": raw if raw is not None else pad(bytes(pkt)),
                "out": None if out is None else pad(bytes(out)),
                "verdict": verdict, "cnt": cnt or {}, "meta": m or meta(pkt),
                "svc": svc, "be": be, "tail": tail,
                "group": group if group is not None else new_group(),
                "in_verdict": in_verdict})


def fwd(what, pkt, svc_name, group=None, cnt=None, worker=False):
    """A packet for a service, rewritten to the backend Maglev picks."""
    si = SVC[svc_name]
    s = SERVICES[si]
    l3, l4 = l3_of(pkt), l4_of(pkt)
    b, _ = pick(si, l3.src, l4.sport, l4.dport)
    assert b is not None, what
    be = s["be"][b]
    out = rewrite(pkt, dst=be["addr"], dport=be["port"] or None)
    if cnt is None:
        cnt = {"NEW_FLOWS": 1}
    add(what, "FX_FWD", pkt, out, cnt=cnt, svc=si, be=b, group=group)
    if worker:
        wk_fwd(what, pkt, out, be["addr"])
    return out, be


def rev(what, pkt, svc_name, group=None, worker=False):
    """A backend's reply: the source goes back to the listen side."""
    s = SERVICES[SVC[svc_name]]
    l4 = l4_of(pkt)
    lport = l4.sport
    for b in s["be"]:
        if b["addr"] == l3_of(pkt).src and b["port"]:
            lport = s["lo"]
    out = rewrite(pkt, src=s["addr"], sport=lport)
    add(what, "FX_REV", pkt, out, cnt={"REVERSE": 1},
        m=meta(pkt, "GK_CLASS_TRANSIT"), group=group)
    if worker:
        wk_rev(what, pkt, out)
    return out


def rev_none(what, pkt, m=None, in_verdict="GK_V_NONE"):
    add(what, "FX_REV", pkt, None, m=m or meta(pkt, "GK_CLASS_TRANSIT"),
        in_verdict=in_verdict, verdict=in_verdict)


def drop(what, pkt, why, m=None, tail=b"", raw=None):
    add(what, "FX_FWD", pkt, None, verdict="GK_V_DROP", cnt={why: 1}, m=m,
        tail=tail, raw=raw)


# ------------------------------------------------------- worker frames

def routed(pkt, smac, dmac):
    """What the L3 stage makes of it: new MACs, TTL/hop limit - 1."""
    p = pkt.copy()
    if IP in p:
        p[IP].ttl -= 1
        p[IP].chksum = None
    else:
        p[IPv6].hlim -= 1
    return Ether(src=smac, dst=dmac) / l3_of(p)


def wk_fwd(what, pkt, out, be_addr):
    WK.append({"what": what, "in_port": 0,
               "in": pad(bytes(Ether(src=PEER, dst=MAC0) / l3_of(pkt))),
               "out_port": 1,
               "out": pad(bytes(routed(out, MAC1, be_mac(be_addr)))),
               "drop": None})


def wk_rev(what, pkt, out):
    v4 = IP in pkt
    WK.append({"what": what, "in_port": 1,
               "in": pad(bytes(Ether(src=be_mac(l3_of(pkt).src), dst=MAC1) /
                               l3_of(pkt))),
               "out_port": 0,
               "out": pad(bytes(routed(out, MAC0, GW4_MAC if v4 else
                                       GW6_MAC))),
               "drop": None})


# ------------------------------------------------------------- the cases

C4, C6 = "198.51.100.7", "2001:db8:c::7"


def tcp4(dst, sport, dport, flags="S", payload=b"", src=C4, **ipkw):
    return frame(IP(src=src, dst=dst, ttl=64, **ipkw) /
                 TCP(sport=sport, dport=dport, flags=flags, seq=1000,
                     ack=0 if flags == "S" else 2000, window=65535) /
                 Raw(payload))


def udp4(dst, sport, dport, payload=b"q", src=C4, chksum=None):
    u = UDP(sport=sport, dport=dport)
    if chksum is not None:
        u.chksum = chksum
    return frame(IP(src=src, dst=dst, ttl=64) / u / Raw(payload))


def tcp6(dst, sport, dport, flags="S", payload=b"", src=C6):
    return frame(IPv6(src=src, dst=dst, hlim=64) /
                 TCP(sport=sport, dport=dport, flags=flags, seq=1000,
                     ack=0 if flags == "S" else 2000, window=65535) /
                 Raw(payload))


def udp6(dst, sport, dport, payload=b"q", src=C6):
    return frame(IPv6(src=src, dst=dst, hlim=64) /
                 UDP(sport=sport, dport=dport) / Raw(payload))


def tcp_flow(tag, mk, listen, lport, svc_name, cport, worker=False):
    """SYN, data, FIN from the client; SYN-ACK, data, FIN-ACK back."""
    s = SERVICES[SVC[svc_name]]
    g = new_group()
    _, be = fwd(tag + " SYN", mk(listen, cport, lport, "S"), svc_name,
                group=g, worker=worker)
    fwd(tag + " data", mk(listen, cport, lport, "PA", b"GET / HTTP/1.1\r\n"),
        svc_name, group=g, cnt={"HITS": 1})
    fwd(tag + " FIN", mk(listen, cport, lport, "FA"), svc_name, group=g,
        cnt={"HITS": 1, "CLOSED": 1})
    bport = be["port"] or lport
    client = C4 if s["family"] == 4 else C6
    for f, pl, name in (("SA", b"", "SYN-ACK"),
                        ("PA", b"HTTP/1.1 200 OK\r\n", "data"),
                        ("FA", b"", "FIN-ACK")):
        rev(tag + " reply " + name,
            mk(client, bport, cport, f, pl, src=be["addr"]), svc_name,
            group=g, worker=worker and name == "SYN-ACK")


def zero_sum_payload(mk_out, base):
    """A payload whose packet, once rewritten (mk_out), sums to a UDP
    checksum of 0: RFC 768 sends that as all ones. Two bytes at an even
    offset of the payload take the complement of the rest's sum."""
    assert len(base) % 2 == 0
    p = mk_out(base + b"\0\0")
    c = csum_of(p)
    assert c not in (0, 0xffff)
    pl = base + c.to_bytes(2, "big")
    assert csum_of(mk_out(pl)) == 0xffff     # scapy: 0 goes out as ffff
    return pl


def build():
    # TCP, both families, backend port kept and changed; replies back.
    tcp_flow("tcp4 same port", tcp4, "203.0.113.80", 443, "web4", 40001,
             worker=True)
    tcp_flow("tcp4 port 80->8080", tcp4, "203.0.113.80", 80, "web4p", 40002,
             worker=True)
    tcp_flow("tcp6 same port", tcp6, "2001:db8:80::1", 443, "web6", 40003,
             worker=True)
    tcp_flow("tcp6 port 80->8080", tcp6, "2001:db8:80::1", 80, "web6p",
             40004)

    # UDP, both families, same/different port, and the replies.
    for tag, mk, listen, lport, name, cport, bport, wk in (
            ("udp4 same port", udp4, "203.0.113.80", 53, "dns4", 40011, 53,
             False),
            ("udp4 port 5300->53", udp4, "203.0.113.81", 5300, "dns4p", 40012,
             53, True),
            ("udp6 same port", udp6, "2001:db8:80::1", 53, "dns6", 40013, 53,
             False),
            ("udp6 port 5353->53", udp6, "2001:db8:80::1", 5353, "dns6p",
             40014, 53, True)):
        g = new_group()
        _, be = fwd(tag, mk(listen, cport, lport, b"query"), name, group=g,
                    worker=wk)
        rev(tag + " reply", mk(C4 if mk is udp4 else C6, bport, cport,
                               b"answer", src=be["addr"]), name, group=g,
            worker=wk)

    # RFC 768: an IPv4 UDP checksum of 0 means none; it stays 0 both ways.
    g = new_group()
    p = udp4("203.0.113.81", 40021, 5300, b"nocsum", chksum=0)
    out, be = fwd("udp4 checksum 0 stays 0", p, "dns4p", group=g)
    assert bytes(out)[40:42] == b"\0\0"
    rev("udp4 checksum 0 stays 0, reply",
        udp4(C4, 53, 40021, b"nocsum-reply", src="10.0.1.4", chksum=0),
        "dns4p", group=g)

    # A rewrite whose checksum comes to 0 goes out as 0xffff (UDP only).
    dns4p = SERVICES[SVC["dns4p"]]
    pl = zero_sum_payload(lambda pl: rewrite(
        udp4("203.0.113.81", 40022, 5300, pl), dst="10.0.1.4", dport=53),
        b"zero")
    p = udp4("203.0.113.81", 40022, 5300, pl)
    assert csum_of(p) not in (0, 0xffff)
    out, _ = fwd("udp4 checksum that becomes 0 goes out 0xffff", p, "dns4p")
    assert l4_of(out).chksum is None and csum_of(out) == 0xffff
    pl = zero_sum_payload(lambda pl: rewrite(
        udp4(C4, 53, 40022, pl, src="10.0.1.4"), src=dns4p["addr"],
        sport=5300), b"zr")
    rev("udp4 reply checksum that becomes 0 goes out 0xffff",
        udp4(C4, 53, 40022, pl, src="10.0.1.4"), "dns4p")
    pl = zero_sum_payload(lambda pl: rewrite(
        udp6("2001:db8:80::1", 40023, 5353, pl), dst="fd00:1::4", dport=53),
        b"zero06")
    fwd("udp6 checksum that becomes 0 goes out 0xffff",
        udp6("2001:db8:80::1", 40023, 5353, pl), "dns6p")
    pl = zero_sum_payload(lambda pl: rewrite(
        udp6(C6, 53, 40023, pl, src="fd00:1::4"), src="2001:db8:80::1",
        sport=5353), b"z6")
    rev("udp6 reply checksum that becomes 0 goes out 0xffff",
        udp6(C6, 53, 40023, pl, src="fd00:1::4"), "dns6p")

    # TCP has no such rule: a checksum that comes to 0 stays 0.
    for pl0 in range(256):
        pl = bytes([0x41, pl0])
        mk = lambda x: rewrite(tcp4("203.0.113.80", 40024, 80, "PA", x),
                               dst="10.0.1.2", dport=8080)
        c = csum_of(mk(pl + b"\0\0"))
        if c not in (0, 0xffff):
            pl = pl + c.to_bytes(2, "big")
            break
    out, _ = fwd("tcp4 checksum that becomes 0 stays 0",
                 tcp4("203.0.113.80", 40024, 80, "PA", pl), "web4p")
    assert csum_of(out) == 0

    # A port range keeps the port; its replies come from that port.
    g = new_group()
    fwd("udp4 port range, port 10005 kept",
        udp4("203.0.113.82", 40031, 10005, b"r"), "range4", group=g)
    rev("udp4 port range reply from 10005",
        udp4(C4, 10005, 40031, b"r", src="10.0.1.5"), "range4", group=g)

    # Metadata of other shapes: IPv4 options, an 802.1Q tag, RST.
    fwd("tcp4 with IPv4 options (IHL 6)",
        tcp4("203.0.113.80", 40041, 443, "S",
             options=[IPOption(b"\x94\x04\x00\x00")]), "web4")
    p = frame(IP(src=C4, dst="203.0.113.80", ttl=64) /
              UDP(sport=40042, dport=53) / Raw(b"vlan"), vlan=42)
    fwd("udp4 in an 802.1Q tag", p, "dns4")
    g = new_group()
    fwd("tcp4 SYN before RST", tcp4("203.0.113.80", 40043, 443, "S"), "web4",
        group=g)
    fwd("tcp4 RST closes", tcp4("203.0.113.80", 40043, 443, "R"), "web4",
        group=g, cnt={"HITS": 1, "CLOSED": 1})
    fwd("tcp4 TTL 1 still rewritten (L3 answers it)",
        frame(IP(src=C4, dst="203.0.113.80", ttl=1) /
              TCP(sport=40044, dport=443, flags="S")), "web4")

    # Maglev-picked backends (the model's pick), weights and ports.
    for i, (ca, cp) in enumerate((("198.51.100.20", 50001),
                                  ("198.51.100.21", 50002),
                                  ("198.51.100.22", 50003),
                                  ("198.51.100.23", 50004))):
        fwd("tcp4 pool (Maglev) client %d" % i,
            tcp4("203.0.113.90", cp, 443, "S", src=ca), "pool4")
    for i, (ca, cp) in enumerate((("2001:db8:c::20", 50011),
                                  ("2001:db8:c::21", 50012),
                                  ("2001:db8:c::22", 50013))):
        fwd("udp6 pool (Maglev) client %d" % i,
            udp6("2001:db8:80::90", cp, 4433, b"pool", src=ca), "pool6")

    # Drops: fragments.
    p = frame(IP(src=C4, dst="203.0.113.80", flags="MF", ttl=64) /
              UDP(sport=40051, dport=53, len=100) / Raw(b"f" * 24))
    drop("udp4 first fragment (MF)", p, "FRAGMENT",
         m=meta(p, flags=F_IPV4 | F_FRAG | F_L4))
    p = frame(IP(src=C4, dst="203.0.113.80", frag=3, proto=17, ttl=64) /
              Raw(b"g" * 24))
    drop("udp4 later fragment", p, "FRAGMENT",
         m=meta(p, flags=F_IPV4 | F_FRAG | F_LATER, l4=False))
    p = frame(IPv6(src=C6, dst="2001:db8:80::1", hlim=64) /
              IPv6ExtHdrFragment(m=1, id=7) /
              UDP(sport=40052, dport=53, len=100) / Raw(b"h" * 24))
    drop("udp6 first fragment (fragment header)", p, "FRAGMENT",
         m=meta(p, flags=F_IPV6 | F_FRAG | F_L4))

    # Drops: truncated L4 and metadata that lies.
    p = tcp4("203.0.113.80", 40061, 443, "S")
    raw = bytes(p)[:14 + 20 + 12]
    drop("tcp4 header cut short (12 of 20 bytes)", p, "BAD_L4", raw=raw,
         m=meta(p))
    p = udp4("203.0.113.80", 40062, 53)
    raw = bytes(p)[:14 + 20 + 4]
    drop("udp4 header cut short (4 of 8 bytes)", p, "BAD_L4", raw=raw,
         m=meta(p))
    p = tcp4("203.0.113.80", 40063, 443, "S")
    m = meta(p)
    m["flags"] &= ~F_L4
    drop("tcp4 without the L4 flag", p, "BAD_L4", m=m)
    m = meta(p)
    m["proto"] = 1
    drop("l4_proto ICMP", p, "BAD_L4", m=m)
    m = meta(p)
    m["l4_off"] = m["l3_off"] + 12
    drop("l4_off inside the IPv4 header", p, "BAD_L4", m=m)
    m = meta(p)
    m["l4_off"] = len(pad(bytes(p)))
    drop("l4_off at the end of the frame", p, "BAD_L4", m=m)
    # IPv6 with l4_off 20 bytes in: the destination address the stage
    # would read (and write) lies 12 bytes past the frame, where this
    # fixture puts a listen address.
    svc6 = ipaddress.IPv6Address("2001:db8:80::1").packed
    p = udp6("2001:db8:80::1", 40064, 53)
    full = bytes(p)
    raw = full[:14 + 20] + (40064).to_bytes(2, "big") + \
        (53).to_bytes(2, "big") + svc6[:4]
    m = meta(p)
    m["l4_off"] = m["l3_off"] + 20
    drop("udp6 l4_off inside the IPv6 header, listen address past the "
         "frame", p, "BAD_L4", m=m, raw=raw, tail=svc6[4:])

    # Drops: no service for the address:port (or protocol, or family).
    drop("tcp4 port with no service", tcp4("203.0.113.80", 40071, 444),
         "NO_SERVICE")
    drop("udp4 to a TCP-only address:port", udp4("203.0.113.80", 40072, 443),
         "NO_SERVICE")
    drop("tcp6 address with no service",
         tcp6("2001:db8:80::2", 40073, 443), "NO_SERVICE")
    drop("udp4 past the port range", udp4("203.0.113.82", 40074, 10010),
         "NO_SERVICE")
    drop("udp4 below the port range", udp4("203.0.113.82", 40075, 9999),
         "NO_SERVICE")

    # Drops: no usable backend.
    drop("tcp4 all weights 0", tcp4("203.0.113.83", 40081, 443),
         "NO_BACKEND")
    drop("tcp4 all down", tcp4("203.0.113.84", 40082, 443), "NO_BACKEND")
    drop("tcp6 draining and disabled only",
         tcp6("2001:db8:80::84", 40083, 443), "NO_BACKEND")

    # Routed packets that are not replies of a backend: left alone.
    rev_none("tcp4 from an address that is no backend",
             tcp4(C4, 443, 40091, "SA", src="10.0.9.9"))
    rev_none("udp4 from the range backend, port outside the range",
             udp4(C4, 9999, 40092, src="10.0.1.5"))
    rev_none("tcp4 from a backend address, not its port (80 vs 8080)",
             tcp4(C4, 80, 40093, "SA", src="10.0.1.2"))
    rev_none("tcp4 from a UDP backend's address:port",
             tcp4(C4, 53, 40094, "SA", src="10.0.1.4"))
    p = udp4(C4, 53, 40095, src="10.0.1.4")
    rev_none("udp4 reply already dropped by a stage", p,
             in_verdict="GK_V_DROP")
    p = frame(IP(src="10.0.1.4", dst=C4, frag=3, proto=17, ttl=64) /
              Raw(b"g" * 24))
    rev_none("udp4 later fragment from a backend", p,
             m=meta(p, "GK_CLASS_TRANSIT", flags=F_IPV4 | F_FRAG | F_LATER,
                    l4=False))

    # Worker: a packet for a service whose backends are all out.
    p = tcp4("203.0.113.84", 40101, 443)
    WK.append({"what": "tcp4 all down (worker)", "in_port": 0,
               "in": pad(bytes(p)), "out_port": -1, "out": None,
               "drop": "GK_WK_DROP_L4"})


# Tuples for gk_l4_pick() against the model.
def picks():
    out = []
    tuples4 = [("198.51.100.%d" % i, 1024 + 977 * i) for i in range(1, 9)]
    tuples4 += [("0.0.0.1", 1), ("255.255.255.254", 65535)]
    tuples6 = [("2001:db8:c::%x" % (i * 257), 2048 + 1999 * i)
               for i in range(1, 9)]
    for name in ("pool4", "pool4d", "flowt4", "flowu4", "web4p"):
        s = SERVICES[SVC[name]]
        for ca, cp in tuples4:
            b, h = pick(SVC[name], ca, cp, s["lo"])
            out.append((SVC[name], ca, cp, s["lo"], h, -1 if b is None else b))
    for name in ("pool6", "flowt6", "zero4", "down4"):
        s = SERVICES[SVC[name]]
        for ca, cp in (tuples6 if s["family"] == 6 else tuples4[:3]):
            b, h = pick(SVC[name], ca, cp, s["lo"])
            out.append((SVC[name], ca, cp, s["lo"], h, -1 if b is None else b))
    return out


# ------------------------------------------------------------------ output

def carr(name, b):
    return "static const uint8_t %s[%d] FX_UNUSED = {%s};\n" % (
        name, max(len(b), 1), ",".join("0x%02x" % x for x in b) or "0")


def a16(addr):
    a = ipaddress.ip_address(addr)
    return "{ " + ", ".join("0x%02x" % x for x in a.packed) + " }"


def main():
    mg.self_check(mg.load_vectors())
    build()
    o = ["/* Generated by tests/l4/gen_l4.py (scapy, gen_maglev model). */",
         "#include <stdint.h>", "#include <genkan/meta.h>",
         '#include "l4.h"', '#include "pkt.h"', '#include "wkstats.h"', "",
         "/* Each test uses its share; two files include this one. */",
         "#define FX_UNUSED __attribute__((unused))", ""]
    o.append("#define FX_TCP_IDLE_MS %d" % TCP_IDLE)
    o.append("#define FX_TCP_FIN_MS %d" % TCP_FIN)
    o.append("#define FX_UDP_IDLE_MS %d" % UDP_IDLE)
    o.append("""
struct fx_be { uint8_t family; uint16_t port; uint8_t addr[16];
	uint32_t weight; uint8_t state; };
struct fx_svc { const char *name; uint8_t family, proto;
	uint16_t port_lo, port_hi; uint8_t addr[16]; uint32_t m, nr_be;
	const struct fx_be *be; const uint32_t *table; };
enum { FX_FWD, FX_REV };
struct fx_pkt { const char *what; unsigned group; uint8_t dir;
	uint8_t in_verdict; const uint8_t *in; uint32_t in_len;
	const uint8_t *tail; uint32_t tail_len; struct gk_xdp_meta meta;
	uint8_t verdict; int svc, be; uint64_t cnt[GK_L4_CNT_MAX];
	const uint8_t *out; uint32_t out_len; };
struct fx_pick { int svc; uint8_t caddr[16]; uint16_t cport, lport;
	uint64_t hash; int be; };
struct fx_wk { const char *what; int in_port; const uint8_t *in;
	uint32_t in_len; int out_port; const uint8_t *out; uint32_t out_len;
	int drop; };
""")
    for i, s in enumerate(SERVICES):
        o.append("static const struct fx_be fx_be%d[] FX_UNUSED = {" % i)
        for b in s["be"]:
            o.append("\t{ %d, %d, %s, %d, %s }," % (
                ipaddress.ip_address(b["addr"]).version, b["port"],
                a16(b["addr"]), b["weight"], STATE_C[b["state"]]))
        o.append("};")
        t = TABLES[i]
        o.append("static const uint32_t fx_tbl%d[%d] FX_UNUSED = {"
                 % (i, s["m"]))
        for r in range(0, s["m"], 16):
            o.append("\t" + ", ".join("%du" % x for x in t[r:r + 16]) + ",")
        o.append("};")
    o.append("#define FX_SVC_%s %d" % ("MAX", len(SERVICES)))
    for name, i in SVC.items():
        o.append("#define FX_SVC_%s %d" % (name.upper(), i))
    o.append("static const struct fx_svc fx_svc[] FX_UNUSED = {")
    for i, s in enumerate(SERVICES):
        o.append('\t{ "%s", %d, %d, %d, %d, %s, %d, %d, fx_be%d, fx_tbl%d },'
                 % (s["name"], s["family"], s["proto"], s["lo"], s["hi"],
                    a16(s["addr"]), s["m"], len(s["be"]), i, i))
    o.append("};")
    o.append("")

    body = []
    for i, f in enumerate(FIX):
        body.append(carr("fx_in%d" % i, f["in"]))
        body.append(carr("fx_tail%d" % i, f["tail"]))
        if f["out"] is not None:
            assert len(f["out"]) == len(f["in"]), f["what"]
            body.append(carr("fx_out%d" % i, f["out"]))
    o.append("".join(body))
    o.append("static const struct fx_pkt fx_pkts[] FX_UNUSED = {")
    for i, f in enumerate(FIX):
        m = f["meta"]
        cnt = ", ".join("[GK_L4_%s] = %d" % kv for kv in f["cnt"].items())
        out = ("fx_out%d, sizeof(fx_out%d)" % (i, i) if f["out"] is not None
               else "NULL, 0")
        o.append('\t{ "%s", %d, %s, %s, fx_in%d, %d, fx_tail%d, %d,\n'
                 '\t  { .magic = GK_META_MAGIC, .version = GK_META_VERSION, '
                 '.class = %s, .l3_off = %d, .l4_off = %d, .l4_proto = %d, '
                 '.flags = 0x%02x, .vlan_tci = %d, .flow_hash = 0x%08xu },\n'
                 '\t  %s, %d, %d, { %s }, %s },'
                 % (f["what"], f["group"], f["dir"], f["in_verdict"], i,
                    len(f["in"]), i, len(f["tail"]), m["class"], m["l3_off"],
                    m["l4_off"], m["proto"], m["flags"], m["tci"], m["fh"],
                    f["verdict"], f["svc"], f["be"], cnt, out))
    o.append("};")
    o.append("")
    o.append("static const struct fx_pick fx_picks[] FX_UNUSED = {")
    for si, ca, cp, lp, h, b in picks():
        o.append("\t{ %d, %s, %d, %d, 0x%016xull, %d }," % (
            si, a16(ca if ":" in ca else "::ffff:" + ca), cp, lp, h, b))
    o.append("};")
    o.append("")
    for i, w in enumerate(WK):
        o.append(carr("fx_wk_in%d" % i, w["in"]).rstrip())
        if w["out"] is not None:
            o.append(carr("fx_wk_out%d" % i, w["out"]).rstrip())
    o.append("static const struct fx_wk fx_wk[] FX_UNUSED = {")
    for i, w in enumerate(WK):
        out = ("fx_wk_out%d, sizeof(fx_wk_out%d)" % (i, i)
               if w["out"] is not None else "NULL, 0")
        o.append('\t{ "%s", %d, fx_wk_in%d, sizeof(fx_wk_in%d), %d, %s, %s },'
                 % (w["what"], w["in_port"], i, i, w["out_port"], out,
                    w["drop"] or "-1"))
    o.append("};")
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(o) + "\n")


if __name__ == "__main__":
    main()
