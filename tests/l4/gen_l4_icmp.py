#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""ICMP errors about front door flows (dataplane/stage/l4/l4_icmp.c)
-> l4_icmp_fixtures.h.

Everything expected is computed here, never by genkan code: the errors
and what they must become are built by scapy from the packets they quote
(the quoted packet rewritten and its checksums recomputed, then cut to the
quoted length; the ICMP checksum over the message, for ICMPv6 with the
pseudo-header). The services, metadata helpers and the Maglev model come
from gen_l4.py (imported), so the backend an error goes to when its flow
is not on the worker is the independent model's pick.

Cases:
  FWD  an error from the internet about a reply, class L4_SERVICE, through
       gk_l4_fwd_burst: to the flow's backend (a forward packet pins the
       flow first, and a republished table then sends new flows elsewhere)
       or, without the flow, to Maglev's pick; drops with their counters.
  REV  an error routed from the home side (a backend's port unreachable, a
       home router's fragmentation needed), through gk_l4_rev_burst.
  ERR  an error the worker built itself (verdict TX), through
       gk_l4_err_burst.
  WK   frames for the worker rig of test_l4_icmp.c (memory ports, the
       software classifier, WireGuard with MTU 1400 to two backends).

Usage: gen_l4_icmp.py OUT.h
"""
import importlib.util
import os
import sys

from scapy.all import (ICMP, IP, TCP, UDP, Dot1Q, Ether, IPv6, Raw,
                       ICMPv6DestUnreach, ICMPv6EchoRequest,
                       ICMPv6PacketTooBig, ICMPv6TimeExceeded)

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("gen_l4",
                                              os.path.join(HERE, "gen_l4.py"))
g = importlib.util.module_from_spec(spec)
spec.loader.exec_module(g)

SVC, SERVICES, mg, cls = g.SVC, g.SERVICES, g.mg, g.cls
F_IPV4, F_IPV6, F_VLAN, F_L4 = g.F_IPV4, g.F_IPV6, g.F_VLAN, g.F_L4
UP, DRAINING = g.UP, g.DRAINING

R4, R6 = "198.51.100.254", "2001:db8:c::fe"     # routers on the internet
H4, H6 = "10.0.9.1", "fd00:9::1"                 # a router at home
DOOR4, DOOR6 = "192.0.2.1", "2001:db8:ff::a"     # the door's port 0
C4, C6 = "198.51.100.7", "2001:db8:c::7"
WG_MTU = 1400

FIX, SETUP, WK, SNAT_FIX = [], [], [], []
# client_ip = snat (test_l4_icmp.c builds this one service): one backend,
# one pool address; a worker alone hands its ports out in order.
SN_VIP, SN_BE, SN_POOL, SN_PLO, SN_PHI = ("203.0.113.95", "10.0.7.1",
                                          "198.18.0.10", 20000, 20009)


def pick_mod(si, mod, caddr, cport, lport):
    """Maglev's backend for a new flow, with mod = (be, state) applied."""
    s = SERVICES[si]
    bs = []
    for j, b in enumerate(s["be"]):
        st = b["state"]
        if mod is not None and mod[0] == j:
            st = mod[1]
        bs.append(mg.be(b["addr"], b["port"], b["weight"], st != UP))
    t = mg.maglev(bs, s["m"])
    b = t[mg.flow_hash(caddr, cport, s["addr"], lport, s["proto"]) % s["m"]]
    return None if b == mg.NONE else b


def imeta(pkt, cls_name):
    """What the classifier hands a worker for an ICMP error (rule 10 for
    ICMP errors, or ordinary transit): L4 at the ICMP header, ports 0."""
    raw = bytes(pkt)
    pkt = Ether(raw)
    v4 = IP in pkt
    l3 = pkt[IP] if v4 else pkt[IPv6]
    l3_off = len(raw) - len(bytes(l3))
    f = (F_IPV4 if v4 else F_IPV6) | F_L4
    if Dot1Q in pkt:
        f |= F_VLAN
    if v4:
        l4_off = l3_off + l3.ihl * 4
        fh = cls.hash4(l3.src, l3.dst, None, None, 1)
    else:
        l4_off = l3_off + 40
        fh = cls.hash6(l3.src, l3.dst, None, None, 58)
    # no WireGuard here: TRANSIT carries no flow hash (gen_fixtures.flow_rule)
    fh = cls.flow_rule(cls_name[len("GK_CLASS_"):].lower(), fh, "wg=off")
    return {"class": cls_name, "l3_off": l3_off, "l4_off": l4_off,
            "proto": 1 if v4 else 58, "flags": f, "fh": fh,
            "tci": pkt[Dot1Q].vlan if Dot1Q in pkt else 0}


def l4hdr(proto, sport, dport, csum0=False, **kw):
    if proto == g.TCP_P:
        return TCP(sport=sport, dport=dport, flags=kw.get("flags", "PA"),
                   seq=kw.get("seq", 123456), ack=kw.get("ack", 654321),
                   window=502)
    u = UDP(sport=sport, dport=dport)
    if csum0:
        u.chksum = 0
    return u


def ip_of(src, dst, ttl=57, **kw):
    if ":" in src:
        return IPv6(src=src, dst=dst, hlim=ttl)
    return IP(src=src, dst=dst, ttl=ttl, id=0x1234, flags="DF", **kw)


def recsum(p):
    """Every checksum scapy computes, recomputed (an explicit UDP 0 is
    RFC 768's none and stays)."""
    p = p.__class__(bytes(p))
    if IP in p:
        p[IP].chksum = None
    if TCP in p:
        p[TCP].chksum = None
    if UDP in p and p[UDP].chksum != 0:
        p[UDP].chksum = None
    return p.__class__(bytes(p))


def quoted(src, dst, proto, sport, dport, payload, csum0=False, **ipkw):
    return recsum(ip_of(src, dst, **ipkw) /
                  l4hdr(proto, sport, dport, csum0) / Raw(payload))


def moved(q, src=None, dst=None, sport=None, dport=None):
    """The quoted packet as it must read after the rewrite: scapy's own
    checksums over the new addresses and ports."""
    p = q.copy()
    l3 = p[IP] if IP in p else p[IPv6]
    l4 = p[TCP] if TCP in p else p[UDP]
    if src is not None:
        l3.src = src
    if dst is not None:
        l3.dst = dst
    if sport is not None:
        l4.sport = sport
    if dport is not None:
        l4.dport = dport
    return recsum(p)


def err(src, dst, icmp, quote, cut=None, vlan=None, ttl=60):
    """An ICMP error quoting cut bytes of quote (None: all of it)."""
    qb = bytes(quote)[:cut] if cut is not None else bytes(quote)
    return g.frame(ip_of(src, dst, ttl=ttl) / icmp.copy() / Raw(qb), vlan)


def add(what, direction, pkt, out=None, verdict="GK_V_NONE", cnt=None,
        m=None, setup=-1, mod=None, in_verdict="GK_V_NONE", into=None):
    (FIX if into is None else into).append({"what": what, "dir": direction, "in": g.pad(bytes(pkt)),
                "out": None if out is None else g.pad(bytes(out)),
                "verdict": verdict, "cnt": cnt or {}, "setup": setup,
                "mod": mod, "in_verdict": in_verdict,
                "meta": m or imeta(pkt, "GK_CLASS_L4_SERVICE"
                                   if direction == "IX_FWD"
                                   else "GK_CLASS_TRANSIT")})


def setup_flow(svc_name, client, cport, lport, proto):
    """A client's packet that pins its flow; returns (index, backend)."""
    si = SVC[svc_name]
    s = SERVICES[si]
    p = g.frame(ip_of(client, s["addr"], ttl=64) /
                l4hdr(proto, cport, lport, flags="S") / Raw(b""))
    b, _ = g.pick(si, client, cport, lport)
    assert b is not None
    SETUP.append({"in": g.pad(bytes(p)), "meta": g.meta(p), "svc": si,
                  "be": b})
    return len(SETUP) - 1, b


def fwd_case(what, svc_name, client, cport, lport, icmp, payload=b"reply",
             cut=None, pinned=False, mod=None, csum0=False, vlan=None,
             router=None):
    """An error about a reply of svc to client:cport, to the backend."""
    si = SVC[svc_name]
    s = SERVICES[si]
    proto = s["proto"]
    router = router or (R4 if s["family"] == 4 else R6)
    q = quoted(s["addr"], client, proto, lport, cport, payload, csum0)
    pkt = err(router, s["addr"], icmp, q, cut, vlan)
    setup = -1
    cnt = {"ICMP_IN": 1}
    if pinned:
        setup, b = setup_flow(svc_name, client, cport, lport, proto)
        if mod is not None:
            # the republished table sends this client elsewhere now
            assert pick_mod(si, mod, client, cport, lport) != b, what
    else:
        b = pick_mod(si, mod, client, cport, lport)
        assert b is not None
        cnt["ICMP_PICKED"] = 1
    be = s["be"][b]
    want = err(router, be["addr"], icmp,
               moved(q, src=be["addr"], sport=be["port"] or lport), cut,
               vlan)
    add(what, "IX_FWD", pkt, want, cnt=cnt, setup=setup,
        mod=None if mod is None else (si, mod[0], mod[1]))
    return pkt, want, be


def fwd_drop(what, pkt, why, m=None):
    add(what, "IX_FWD", pkt, None, verdict="GK_V_DROP", cnt={why: 1}, m=m)


def rev_case(what, svc_name, bi, client, cport, sender, icmp, lport=None,
             payload=b"request", cut=None, direction="IX_REV", csum0=False):
    """An error about client -> backend bi, on its way to the client."""
    s = SERVICES[SVC[svc_name]]
    be = s["be"][bi]
    lport = lport or s["lo"]
    bport = be["port"] or lport
    q = quoted(client, be["addr"], s["proto"], cport, bport, payload, csum0)
    pkt = err(sender, client, icmp, q, cut, ttl=63)
    want = err(s["addr"], client, icmp,
               moved(q, dst=s["addr"], dport=lport), cut, ttl=63)
    tx = direction == "IX_ERR"
    add(what, direction, pkt, want, cnt={"ICMP_OUT": 1},
        in_verdict="GK_V_TX" if tx else "GK_V_NONE",
        verdict="GK_V_TX" if tx else "GK_V_NONE")
    return pkt, want


def rev_none(what, pkt, direction="IX_REV"):
    v = "GK_V_TX" if direction == "IX_ERR" else "GK_V_NONE"
    add(what, direction, pkt, None, in_verdict=v, verdict=v)


def find_client(svc_name, be_want, mod, base_port):
    """A client port whose flow Maglev gives be_want with every backend up
    and another backend once mod applies."""
    si = SVC[svc_name]
    s = SERVICES[si]
    for cport in range(base_port, base_port + 5000):
        b, _ = g.pick(si, C4 if s["family"] == 4 else C6, cport, s["lo"])
        if b == be_want and pick_mod(si, mod, C4 if s["family"] == 4
                                     else C6, cport, s["lo"]) not in \
                (None, be_want):
            return cport
    raise AssertionError("no client port for " + svc_name)


def build():
    ptb4 = ICMP(type=3, code=4, nexthopmtu=1280)
    big = b"x" * 1400
    # -- toward the backend: the pinned flow wins over a new pick; the
    # backend 10.0.3.2 serves on 8443 (quoted source port changes too)
    cport = find_client("pool4", 1, (1, DRAINING), 41000)
    fwd_case("v4 tcp frag needed, pinned flow (backend drained since)",
             "pool4", C4, cport, 443, ptb4, payload=big, cut=548,
             pinned=True, mod=(1, DRAINING))
    fwd_case("v4 tcp frag needed, flow on another worker: Maglev's pick",
             "pool4", C4, cport, 443, ptb4, payload=big, cut=548,
             mod=(1, DRAINING))
    fwd_case("v4 tcp time exceeded, whole quote, port kept", "web4", C4,
             41101, 443, ICMP(type=11, code=0), pinned=True)
    fwd_case("v4 tcp port 80->8080, RFC 792 minimum quote (8 bytes: no "
             "TCP checksum)", "web4p", C4, 41102, 80, ptb4, cut=28,
             pinned=True)
    fwd_case("v4 udp 5300->53 port unreachable", "dns4p", C4, 41103, 5300,
             ICMP(type=3, code=3), payload=b"answer")
    fwd_case("v4 udp quote with checksum 0 (stays 0)", "dns4p", C4, 41104,
             5300, ICMP(type=3, code=3), payload=b"nocsum", csum0=True)
    fwd_case("v4 udp port range, ports only quoted", "range4", C4, 41105,
             10007, ICMP(type=3, code=1), cut=24)
    fwd_case("v4 tcp parameter problem in an 802.1Q tag", "web4", C4, 41106,
             443, ICMP(type=12, code=0), vlan=42)
    cport6 = find_client("pool6", 0, (0, DRAINING), 41200)
    fwd_case("v6 udp packet too big, pinned flow (backend drained since)",
             "pool6", C6, cport6, 4433, ICMPv6PacketTooBig(mtu=1280),
             payload=b"q" * 1300, cut=1232, pinned=True, mod=(0, DRAINING))
    fwd_case("v6 udp packet too big, no flow: Maglev's pick", "pool6", C6,
             cport6, 4433, ICMPv6PacketTooBig(mtu=1280),
             payload=b"q" * 1300, cut=1232, mod=(0, DRAINING))
    fwd_case("v6 tcp 80->8080 destination unreachable", "web6p", C6, 41202,
             80, ICMPv6DestUnreach(code=1), pinned=True)
    fwd_case("v6 tcp time exceeded", "web6", C6, 41203, 443,
             ICMPv6TimeExceeded(code=0))
    fwd_case("v6 udp 5353->53 port unreachable, 4 bytes of UDP", "dns6p",
             C6, 41204, 5353, ICMPv6DestUnreach(code=4), cut=44)

    # -- toward the backend: drops
    web4 = SERVICES[SVC["web4"]]
    q = quoted(web4["addr"], C4, g.TCP_P, 443, 41301, b"r")
    fwd_drop("v4 quote cut inside the ports: icmp_bad",
             err(R4, web4["addr"], ptb4, q, cut=22), "ICMP_BAD")
    fwd_drop("v4 quote cut inside the IP header: icmp_bad",
             err(R4, web4["addr"], ptb4, q, cut=12), "ICMP_BAD")
    fwd_drop("v4 no quote at all: icmp_bad",
             g.frame(ip_of(R4, web4["addr"]) / ICMP(type=11)), "ICMP_BAD")
    fwd_drop("v4 error about ICMP: icmp_bad",
             err(R4, web4["addr"], ptb4,
                 IP(src=web4["addr"], dst=C4) / ICMP(type=0) /
                 Raw(b"\x01\xbb" * 8)), "ICMP_BAD")
    fwd_drop("v4 quote of no service (port 444): icmp_bad",
             err(R4, web4["addr"], ptb4,
                 quoted(web4["addr"], C4, g.TCP_P, 444, 41302, b"r")),
             "ICMP_BAD")
    fwd_drop("v4 quote of a UDP packet from a TCP port: icmp_bad",
             err(R4, web4["addr"], ptb4,
                 quoted(web4["addr"], C4, g.UDP_P, 443, 41303, b"r")),
             "ICMP_BAD")
    v6 = SERVICES[SVC["web6"]]
    fwd_drop("v6 quote with an IPv4 header: icmp_bad",
             err(R6, v6["addr"], ICMPv6PacketTooBig(mtu=1280), q),
             "ICMP_BAD")
    fwd_drop("v4 quote of a service with no usable backend: no_backend",
             err(R4, "203.0.113.83", ptb4,
                 quoted("203.0.113.83", C4, g.TCP_P, 443, 41304, b"r")),
             "NO_BACKEND")
    fwd_drop("v4 echo request as L4_SERVICE: bad_l4",
             g.frame(ip_of(R4, web4["addr"]) / ICMP(type=8) / Raw(b"ping")),
             "BAD_L4")
    fwd_drop("v6 echo request as L4_SERVICE: bad_l4",
             g.frame(ip_of(R6, v6["addr"]) / ICMPv6EchoRequest()),
             "BAD_L4")
    p = err(R4, web4["addr"], ptb4, q)
    m = imeta(p, "GK_CLASS_L4_SERVICE")
    m["l4_off"] = len(g.pad(bytes(p))) - 4
    fwd_drop("v4 l4_off 4 bytes before the end: bad_l4", p, "BAD_L4", m=m)
    m = imeta(p, "GK_CLASS_L4_SERVICE")
    m["l4_off"] = m["l3_off"] + 8
    fwd_drop("v4 l4_off inside the IP header: bad_l4", p, "BAD_L4", m=m)

    # -- toward the client, routed from home
    rev_case("v4 udp port unreachable from the backend (53->5300)", "dns4p",
             0, C4, 41401, "10.0.1.4", ICMP(type=3, code=3))
    rev_case("v4 tcp frag needed from a home router (8080->80)", "web4p", 0,
             C4, 41402, H4, ICMP(type=3, code=4, nexthopmtu=1380),
             payload=big, cut=548)
    rev_case("v4 tcp time exceeded at home, port kept", "web4", 0, C4,
             41403, H4, ICMP(type=11, code=0))
    rev_case("v4 udp port range, checksum 0, 8 bytes quoted", "range4", 0,
             C4, 41404, "10.0.1.5", ICMP(type=3, code=3), lport=10003,
             cut=28, csum0=True)
    rev_case("v6 tcp packet too big from a home router", "web6", 0, C6,
             41405, H6, ICMPv6PacketTooBig(mtu=1380), payload=b"y" * 1400,
             cut=1232)
    rev_case("v6 udp port unreachable from the backend (53->5353)",
             "dns6p", 0, C6, 41406, "fd00:1::4", ICMPv6DestUnreach(code=4))
    rev_case("v6 tcp 8080->80, ports only quoted", "web6p", 0, C6, 41407,
             H6, ICMPv6DestUnreach(code=1), cut=44)
    # -- toward the client: left alone
    rng = SERVICES[SVC["range4"]]
    rev_none("v4 quote to a backend port outside the range",
             err("10.0.1.5", C4, ICMP(type=3, code=3),
                 quoted(C4, "10.0.1.5", g.UDP_P, 41501, 10010, b"r")))
    rev_none("v4 quote to an address that is no backend",
             err(H4, C4, ICMP(type=3, code=3),
                 quoted(C4, "10.0.9.9", g.UDP_P, 41502, 53, b"r")))
    rev_none("v4 quote to a backend address, other protocol",
             err("10.0.1.1", C4, ICMP(type=3, code=3),
                 quoted(C4, "10.0.1.1", g.UDP_P, 41503, 443, b"r")))
    rev_none("v4 echo reply from a backend",
             g.frame(ip_of("10.0.1.1", C4) / ICMP(type=0) / Raw(b"pong")))
    rev_none("v4 redirect quoting a backend flow (no error)",
             err(H4, C4, ICMP(type=5, code=1),
                 quoted(C4, "10.0.1.1", g.TCP_P, 41504, 443, b"r")))
    rev_none("v4 quote cut inside the ports",
             err(H4, C4, ICMP(type=3, code=4),
                 quoted(C4, "10.0.1.1", g.TCP_P, 41505, 443, b"r"), cut=22))
    rev_none("v6 error about ICMPv6",
             err(H6, C6, ICMPv6PacketTooBig(mtu=1280),
                 IPv6(src=C6, dst="fd00:1::1") / ICMPv6EchoRequest()))
    assert rng["lo"] == 10000

    # -- errors the worker built (verdict TX): the same translation
    rev_case("built: v4 frag needed about a DNAT-ed packet (8080->80)",
             "web4p", 0, C4, 41601, DOOR4,
             ICMP(type=3, code=4, nexthopmtu=WG_MTU), payload=big, cut=548,
             direction="IX_ERR")
    rev_case("built: v6 packet too big about a DNAT-ed packet", "web6", 0,
             C6, 41602, DOOR6, ICMPv6PacketTooBig(mtu=WG_MTU),
             payload=b"z" * 1400, cut=1232, direction="IX_ERR")
    rev_none("built: v4 time exceeded about another flow",
             err(DOOR4, C4, ICMP(type=11, code=0),
                 quoted(C4, "198.51.100.99", g.TCP_P, 41603, 443, b"r")),
             direction="IX_ERR")
    build_worker()
    build_snat()


def build_snat():
    """client_ip = snat: the backend knows the client as the flow's pool
    address:port; the flow's worker translates both quoted ends."""
    cport, pport = 41801, SN_PLO
    syn = g.frame(ip_of(C4, SN_VIP, ttl=64) /
                  l4hdr(g.TCP_P, cport, 443, flags="S") / Raw(b""))
    SETUP.append({"in": g.pad(bytes(syn)), "meta": g.meta(syn), "svc": -1,
                  "be": 0})
    si = len(SETUP) - 1
    ptb4 = ICMP(type=3, code=4, nexthopmtu=1280)
    q = quoted(SN_VIP, C4, g.TCP_P, 443, cport, b"reply" * 100)
    pkt = err(R4, SN_VIP, ptb4, q)
    add("snat: frag needed from the internet, both quoted ends",
        "IX_FWD", pkt,
        err(R4, SN_BE, ptb4, moved(q, src=SN_BE, dst=SN_POOL, dport=pport)),
        cnt={"ICMP_IN": 1}, setup=si, into=SNAT_FIX)
    add("snat: the same, the flow on another worker: icmp_bad", "IX_FWD",
        pkt, None, verdict="GK_V_DROP", cnt={"ICMP_BAD": 1}, into=SNAT_FIX)
    big = ICMP(type=3, code=4, nexthopmtu=WG_MTU)
    q = quoted(SN_POOL, SN_BE, g.TCP_P, pport, 443, b"x" * 1400)
    add("snat: built frag needed goes back to the client", "IX_ERR",
        err(DOOR4, SN_POOL, big, q, cut=548),
        err(SN_VIP, C4, big, moved(q, src=C4, sport=cport, dst=SN_VIP),
            cut=548),
        cnt={"ICMP_OUT": 1}, setup=si, in_verdict="GK_V_TX",
        verdict="GK_V_TX", into=SNAT_FIX)
    add("snat: built error, no flow of that pool port: left alone",
        "IX_ERR", err(DOOR4, SN_POOL, big, q, cut=548), None,
        in_verdict="GK_V_TX", verdict="GK_V_TX", into=SNAT_FIX)
    home = ICMP(type=3, code=3)
    add("snat: routed error from home about a pool port: to the client",
        "IX_REV", err(H4, SN_POOL, home, q, cut=548),
        err(SN_VIP, C4, home, moved(q, src=C4, sport=cport, dst=SN_VIP),
            cut=548),
        cnt={"ICMP_OUT": 1}, setup=si, into=SNAT_FIX)
    add("snat: routed error from home, no flow holds the pool port: icmp_bad",
        "IX_REV", err(H4, SN_POOL, home, q, cut=548), None,
        verdict="GK_V_DROP", cnt={"ICMP_BAD": 1}, into=SNAT_FIX)
    add("snat: routed error from home quoting no backend: left alone",
        "IX_REV", err(H4, SN_POOL, home,
                      moved(q, dport=444), cut=548), None,
        setup=si, into=SNAT_FIX)
    add("snat: routed error from home, a port outside snat_ports: left alone",
        "IX_REV", err(H4, SN_POOL, home,
                      moved(q, sport=SN_PLO - 1), cut=548), None,
        setup=si, into=SNAT_FIX)


# ------------------------------------------------------------- the worker

def routed(pkt, smac, dmac):
    return g.routed(pkt, smac, dmac)


def wk(what, in_port, frame_in, out_port, frame_out):
    WK.append({"what": what, "in_port": in_port,
               "in": g.pad(bytes(frame_in)), "out_port": out_port,
               "out": None if frame_out is None else g.pad(bytes(frame_out))})


def build_worker():
    """Frames through the worker: port 0 the internet (router PEER), port
    1 the backends (gen_l4's MACs). WireGuard peer 1's AllowedIPs are
    10.0.1.2/32 and fd00:1::1/128 (no keypair: what fits waits for one),
    with the tunnel MTU WG_MTU."""
    # internet -> door -> backend: routed like any forwarded packet
    s = SERVICES[SVC["dns4p"]]
    q = quoted(s["addr"], C4, g.UDP_P, 5300, 41701, b"answer")
    pkt = err(R4, s["addr"], ICMP(type=3, code=3), q, ttl=60)
    b, _ = g.pick(SVC["dns4p"], C4, 41701, 5300)
    be = s["be"][b]
    want = err(R4, be["addr"], ICMP(type=3, code=3),
               moved(q, src=be["addr"], sport=be["port"]), ttl=60)
    wk("internet -> backend: v4 port unreachable about a dns4p reply", 0,
       pkt, 1, routed(want, g.MAC1, g.be_mac(be["addr"])))
    s = SERVICES[SVC["dns6p"]]
    icmp6 = ICMPv6DestUnreach(code=4)
    q = quoted(s["addr"], C6, g.UDP_P, 5353, 41702, b"answer")
    pkt = err(R6, s["addr"], icmp6, q, ttl=60)
    be = s["be"][0]
    want = err(R6, be["addr"], icmp6,
               moved(q, src=be["addr"], sport=be["port"]), ttl=60)
    wk("internet -> backend: v6 port unreachable about a dns6p reply", 0,
       pkt, 1, routed(want, g.MAC1, g.be_mac(be["addr"])))
    # home -> door -> client
    s = SERVICES[SVC["dns4p"]]
    q = quoted(C4, "10.0.1.4", g.UDP_P, 41703, 53, b"query")
    pkt = Ether(src=g.be_mac("10.0.1.4"), dst=g.MAC1) / \
        ip_of("10.0.1.4", C4, ttl=64) / ICMP(type=3, code=3) / Raw(bytes(q))
    want = Ether() / ip_of(s["addr"], C4, ttl=64) / ICMP(type=3, code=3) / \
        Raw(bytes(moved(q, dst=s["addr"], dport=5300)))
    wk("backend -> client: v4 port unreachable from the backend", 1, pkt, 0,
       routed(want, g.MAC0, g.GW4_MAC))
    s = SERVICES[SVC["web6"]]
    q = quoted(C6, "fd00:1::1", g.TCP_P, 41704, 443, b"y" * 1400)
    icmp6 = ICMPv6PacketTooBig(mtu=1380)
    pkt = Ether(src=g.be_mac("fd00:1::1"), dst=g.MAC1) / \
        ip_of(H6, C6, ttl=64) / icmp6 / Raw(bytes(q)[:1232])
    want = Ether() / ip_of(s["addr"], C6, ttl=64) / icmp6 / \
        Raw(bytes(moved(q, dst=s["addr"]))[:1232])
    wk("backend -> client: v6 packet too big from a home router", 1, pkt, 0,
       routed(want, g.MAC0, g.GW6_MAC))
    # the door's own errors: the tunnel MTU (RFC 1191 with DF, RFC 8201)
    # and TTL; the quote is the client's packet as sent
    s = SERVICES[SVC["web4p"]]
    c = g.frame(IP(src=C4, dst=s["addr"], ttl=64, id=7, flags="DF") /
                TCP(sport=41705, dport=80, flags="PA", seq=1, ack=1) /
                Raw(b"p" * 1460))
    want = Ether(src=g.MAC0, dst=g.PEER) / \
        IP(src=s["addr"], dst=C4, tos=0xc0, id=0, flags="DF", ttl=64) / \
        ICMP(type=3, code=4, nexthopmtu=WG_MTU) / \
        Raw(bytes(c[IP])[:548])
    wk("door: v4 frag needed for the tunnel MTU quotes the listen side", 0,
       c, 0, want)
    s = SERVICES[SVC["web6"]]
    c = g.frame(IPv6(src=C6, dst=s["addr"], hlim=64) /
                TCP(sport=41706, dport=443, flags="PA", seq=1, ack=1) /
                Raw(b"p" * 1400))
    want = Ether(src=g.MAC0, dst=g.PEER) / \
        IPv6(src=s["addr"], dst=C6, hlim=255) / \
        ICMPv6PacketTooBig(mtu=WG_MTU) / Raw(bytes(c[IPv6])[:1232])
    wk("door: v6 packet too big for the tunnel MTU quotes the listen side",
       0, c, 0, want)
    s = SERVICES[SVC["web4"]]
    c = g.frame(IP(src=C4, dst=s["addr"], ttl=1, id=8) /
                TCP(sport=41707, dport=443, flags="S"))
    want = Ether(src=g.MAC0, dst=g.PEER) / \
        IP(src=s["addr"], dst=C4, tos=0xc0, id=0, flags="DF", ttl=64) / \
        ICMP(type=11, code=0) / Raw(bytes(c[IP]))
    wk("door: v4 time exceeded (TTL 1) quotes the listen side", 0, c, 0,
       want)


# ------------------------------------------------------------------ output

def carr(name, b):
    return "static const uint8_t %s[%d] = {%s};\n" % (
        name, max(len(b), 1), ",".join("0x%02x" % x for x in b) or "0")


def cmeta(m):
    return ("{ .magic = GK_META_MAGIC, .version = GK_META_VERSION, "
            ".class = %s, .l3_off = %d, .l4_off = %d, .l4_proto = %d, "
            ".flags = 0x%02x, .vlan_tci = %d, .flow_hash = 0x%08xu }"
            % (m["class"], m["l3_off"], m["l4_off"], m["proto"], m["flags"],
               m["tci"], m["fh"]))


def emit(o, name, tag, fix):
    """A struct ix_pkt table (and its frames) named name."""
    for i, f in enumerate(fix):
        o.append(carr("%s_in%d" % (tag, i), f["in"]).rstrip())
        if f["out"] is not None:
            assert len(f["out"]) == len(f["in"]), f["what"]
            o.append(carr("%s_out%d" % (tag, i), f["out"]).rstrip())
    o.append("static const struct ix_pkt %s[] = {" % name)
    for i, f in enumerate(fix):
        mod = f["mod"] or (-1, -1, -1)
        cnt = ", ".join("[GK_L4_%s] = %d" % kv for kv in f["cnt"].items())
        out = ("%s_out%d, sizeof(%s_out%d)" % (tag, i, tag, i)
               if f["out"] is not None else "NULL, 0")
        o.append('\t{ "%s", %s, %s, %s_in%d, %d,\n\t  %s,\n'
                 '\t  %d, %d, %d, %d, %s, { %s }, %s },'
                 % (f["what"], f["dir"], f["in_verdict"], tag, i,
                    len(f["in"]), cmeta(f["meta"]), f["setup"], mod[0],
                    mod[1], mod[2], f["verdict"], cnt, out))
    o.append("};")


def main():
    build()
    o = ["/* Generated by tests/l4/gen_l4_icmp.py (scapy, gen_l4 model). */",
         "#include <stdint.h>", "#include <genkan/meta.h>",
         '#include "l4.h"', '#include "pkt.h"', "",
         "#define IX_WG_MTU %d" % WG_MTU, "",
         "enum { IX_FWD, IX_REV, IX_ERR };",
         "struct ix_setup { const uint8_t *in; uint32_t in_len;",
         "\tstruct gk_xdp_meta meta; int svc, be; };",
         "struct ix_pkt { const char *what; uint8_t dir, in_verdict;",
         "\tconst uint8_t *in; uint32_t in_len; struct gk_xdp_meta meta;",
         "\tint setup, mod_svc, mod_be, mod_state; uint8_t verdict;",
         "\tuint64_t cnt[GK_L4_CNT_MAX]; const uint8_t *out;",
         "\tuint32_t out_len; };",
         "struct ix_wk { const char *what; int in_port; const uint8_t *in;",
         "\tuint32_t in_len; int out_port; const uint8_t *out;",
         "\tuint32_t out_len; };", ""]
    for i, s in enumerate(SETUP):
        o.append(carr("ix_setup_in%d" % i, s["in"]).rstrip())
    o.append("static const struct ix_setup ix_setup[] = {")
    for i, s in enumerate(SETUP):
        o.append("\t{ ix_setup_in%d, %d, %s, %d, %d }," % (
            i, len(s["in"]), cmeta(s["meta"]), s["svc"], s["be"]))
    o.append("};")
    emit(o, "ix_pkts", "ix", FIX)
    emit(o, "ix_snat", "ixs", SNAT_FIX)
    o.append("#define IX_SN_VIP \"%s\"" % SN_VIP)
    o.append("#define IX_SN_BE \"%s\"" % SN_BE)
    o.append("#define IX_SN_POOL \"%s\"" % SN_POOL)
    o.append("#define IX_SN_PLO %d" % SN_PLO)
    o.append("#define IX_SN_PHI %d" % SN_PHI)
    for i, w in enumerate(WK):
        o.append(carr("ix_wk_in%d" % i, w["in"]).rstrip())
        o.append(carr("ix_wk_out%d" % i, w["out"]).rstrip())
    o.append("static const struct ix_wk ix_wk[] = {")
    for i, w in enumerate(WK):
        o.append('\t{ "%s", %d, ix_wk_in%d, sizeof(ix_wk_in%d), %d, '
                 'ix_wk_out%d, sizeof(ix_wk_out%d) },'
                 % (w["what"], w["in_port"], i, i, w["out_port"], i, i))
    o.append("};")
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(o) + "\n")


if __name__ == "__main__":
    main()
