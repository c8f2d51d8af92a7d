#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""client_ip = snat fixtures (dataplane/stage/l4/l4_snat.c) -> l4_snat_fixtures.h.

Everything expected is computed here, never by genkan code: packets and
their rewrites with every checksum (IPv4 header, TCP, UDP with RFC 768's
zero rules) come from scapy; the metadata is what the classifier hands a
worker (rule 10 for clients' packets, transit for replies), with the flow
hash of tests/classify/gen_fixtures.py. Each service has one backend, so
the pick needs no Maglev model. The pool port a new flow gets is the
documented policy applied by hand below: each worker of W owns the ports
p with p % W == its id; it hands them out in order, address by address
(lowest first), port by port, and goes on from where it stopped; a full
pool takes an expired flow's port from where it stopped.

Fixtures run in order on one flow table per "reset"; each says which
counters of the stage move and by how much (all others stay).

Usage: gen_l4_snat.py OUT.h
"""
import importlib.util
import ipaddress
import logging
import os
import sys

from scapy.all import IP, TCP, UDP, Ether, IPv6, Raw, conf

conf.verb = 0
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name, rel):
    spec = importlib.util.spec_from_file_location(name,
                                                  os.path.join(HERE, rel))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


cls = _load("gen_cls_fixtures", "../classify/gen_fixtures.py")

F_IPV4, F_IPV6, F_L4 = 1, 2, 0x10
TCP_P, UDP_P = 6, 17
TCP_IDLE, TCP_FIN, UDP_IDLE = 300000, 10000, 30000      # ms

# The worker rig (test_l4_snat.c restates these: MACs, routes).
PEER = "02:00:00:00:aa:01"      # the router clients' traffic comes from
MAC0 = "02:00:00:00:00:0a"      # genkan port 0 (clients' side)
MAC1 = "02:00:00:00:00:0b"      # genkan port 1 (backends' side)
GW4_MAC = "02:00:00:00:fe:01"   # 192.0.2.254, the clients' router
GW6_MAC = "02:00:00:00:fe:06"   # 2001:db8:ff::1


def be_mac(addr):
    """Backends' MACs in the worker rig: 02:00:00:00:01:<last byte>."""
    return "02:00:00:00:01:%02x" % ipaddress.ip_address(addr).packed[-1]


def S(name, addr, proto, lo, be, be_port, pool_lo, pool_hi, plo, phi):
    return {"name": name, "addr": addr, "proto": proto, "lo": lo,
            "be": be, "be_port": be_port, "pool_lo": pool_lo,
            "pool_hi": pool_hi, "plo": plo, "phi": phi,
            "family": ipaddress.ip_address(addr).version}


SERVICES = [
    # two pool addresses, four ports each
    S("t4", "203.0.113.100", TCP_P, 443, "198.18.1.1", 8443,
      "198.18.0.1", "198.18.0.2", 40000, 40003),
    # the same first pool address, other ports; backend keeps the port
    S("u4", "203.0.113.100", UDP_P, 53, "198.18.1.2", 0,
      "198.18.0.1", "198.18.0.1", 50000, 50009),
    S("t6", "2001:db8:100::1", TCP_P, 443, "2001:db8:1::1", 0,
      "2001:db8:ffff::1", "2001:db8:ffff::1", 40000, 40009),
    S("u6", "2001:db8:100::1", UDP_P, 5353, "2001:db8:1::2", 53,
      "2001:db8:ffff::2", "2001:db8:ffff::3", 1024, 65535),
    # two ports in all: exhaustion and reuse
    S("x4", "203.0.113.101", TCP_P, 80, "198.18.1.3", 0,
      "198.18.0.9", "198.18.0.9", 61000, 61001),
]
SVC = {s["name"]: i for i, s in enumerate(SERVICES)}


def l3_of(pkt):
    return pkt[IP] if IP in pkt else pkt[IPv6]


def l4_of(pkt):
    return pkt[TCP] if TCP in pkt else pkt[UDP]


def pad(b):
    return b + bytes(max(0, 60 - len(b)))


def meta(pkt, cls_name):
    raw = bytes(pkt)
    l3, l4 = l3_of(pkt), l4_of(pkt)
    v4 = IP in pkt
    proto = TCP_P if TCP in pkt else UDP_P
    h = (cls.hash4 if v4 else cls.hash6)(l3.src, l3.dst, l4.sport, l4.dport,
                                         proto)
    # no WireGuard here: TRANSIT carries no flow hash (gen_fixtures.flow_rule)
    h = cls.flow_rule(cls_name[len("GK_CLASS_"):].lower(), h, "wg=off")
    return {"class": cls_name, "l3_off": len(raw) - len(bytes(l3)),
            "l4_off": len(raw) - len(bytes(l4)), "proto": proto,
            "flags": (F_IPV4 if v4 else F_IPV6) | F_L4, "fh": h}


def rewrite(pkt, src, sport, dst, dport):
    """A copy with new ends, checksums recomputed by scapy (an explicit
    UDP checksum 0 is kept: RFC 768, none sent)."""
    p = pkt.copy()
    l3, l4 = l3_of(p), l4_of(p)
    l3.src, l3.dst = src, dst
    l4.sport, l4.dport = sport, dport
    if IP in p:
        l3.chksum = None
    if not (UDP in p and pkt[UDP].chksum == 0):
        l4.chksum = None
    return p.__class__(bytes(p))


def frame(l3, src=PEER, dst=MAC0):
    return Ether(src=src, dst=dst) / l3


def tcp(src, dst, sport, dport, flags="S", payload=b""):
    ip = (IP(src=src, dst=dst, ttl=64) if ":" not in src else
          IPv6(src=src, dst=dst, hlim=64))
    return frame(ip / TCP(sport=sport, dport=dport, flags=flags, seq=1000,
                          ack=0 if flags == "S" else 2000, window=65535) /
                 Raw(payload))


def udp(src, dst, sport, dport, payload=b"q", chksum=None):
    ip = (IP(src=src, dst=dst, ttl=64) if ":" not in src else
          IPv6(src=src, dst=dst, hlim=64))
    u = UDP(sport=sport, dport=dport)
    if chksum is not None:
        u.chksum = chksum
    return frame(ip / u / Raw(payload))


FIX = []


def add(what, d, pkt, out, verdict="GK_V_NONE", cnt=None, cls_name=None,
        reset=False, advance_ms=0):
    FIX.append({"what": what, "dir": d, "in": pad(bytes(pkt)),
                "out": None if out is None else pad(bytes(out)),
                "verdict": verdict, "cnt": cnt or {},
                "meta": meta(pkt, cls_name or ("GK_CLASS_L4_SERVICE"
                                               if d == "FS_FWD" else
                                               "GK_CLASS_TRANSIT")),
                "reset": reset, "advance_ms": advance_ms})


class Flow:
    """One client flow: its ends before and after the door."""

    def __init__(self, svc, caddr, cport, pool_addr, pool_port):
        s = SERVICES[SVC[svc]]
        self.s = s
        self.caddr, self.cport = caddr, cport
        self.pool, self.pport = pool_addr, pool_port
        self.baddr, self.bport = s["be"], s["be_port"] or s["lo"]

    def fwd(self, pkt):
        return rewrite(pkt, self.pool, self.pport, self.baddr, self.bport)

    def rev(self, pkt):
        return rewrite(pkt, self.s["addr"], self.s["lo"], self.caddr,
                       self.cport)

    def client(self, mk, **kw):
        return mk(self.caddr, self.s["addr"], self.cport, self.s["lo"], **kw)

    def backend(self, mk, **kw):
        return mk(self.baddr, self.pool, self.bport, self.pport, **kw)


NEW = {"NEW_FLOWS": 1, "SNAT_NEW": 1}


def cases():
    C4, C4b, C6 = "198.51.100.7", "198.51.100.8", "2001:db8:c::7"

    # TCP over IPv4: the first pool address, first port; its reply.
    a = Flow("t4", C4, 33000, "198.18.0.1", 40000)
    p = a.client(tcp)
    add("t4 SYN: src -> 198.18.0.1:40000, dst -> backend", "FS_FWD", p,
        a.fwd(p), cnt=NEW, reset=True)
    p = a.backend(tcp, flags="SA")
    add("t4 SYN-ACK: back to the client from the listen side", "FS_REV", p,
        a.rev(p), cnt={"REVERSE": 1})
    b = Flow("t4", C4b, 33000, "198.18.0.1", 40001)
    p = b.client(tcp)
    add("t4 second client: the next port", "FS_FWD", p, b.fwd(p), cnt=NEW)
    p = a.client(tcp, flags="A", payload=b"GET / HTTP/1.1\r\n\r\n")
    add("t4 data of the first flow: its port again", "FS_FWD", p, a.fwd(p),
        cnt={"HITS": 1})
    p = b.backend(tcp, flags="A", payload=b"HTTP/1.1 200 OK\r\n\r\nhi")
    add("t4 reply of the second flow", "FS_REV", p, b.rev(p),
        cnt={"REVERSE": 1})
    # Four ports per address: ports 40002, 40003, then the second address.
    for i, (pa, pp) in enumerate([("198.18.0.1", 40002),
                                  ("198.18.0.1", 40003),
                                  ("198.18.0.2", 40000)]):
        f = Flow("t4", "198.51.100.%d" % (20 + i), 1024 + i, pa, pp)
        p = f.client(tcp)
        add("t4 flow %d: %s:%d" % (3 + i, pa, pp), "FS_FWD", p, f.fwd(p),
            cnt=NEW)
    last = f
    p = last.backend(tcp, flags="SA")
    add("t4 reply to the second pool address", "FS_REV", p, last.rev(p),
        cnt={"REVERSE": 1})

    # Replies that are not a flow's.
    p = tcp("198.18.1.1", "198.18.0.2", 8443, 40001, flags="SA")
    add("t4 reply to a pool port no flow holds: dropped", "FS_REV", p, None,
        verdict="GK_V_DROP", cnt={"SNAT_NO_FLOW": 1})
    p = tcp("198.18.1.1", "198.18.0.1", 8443, 39999, flags="SA")
    add("t4 backend to the pool address outside snat_ports: left alone",
        "FS_REV", p, None)
    p = tcp("198.18.1.1", "198.51.100.99", 8443, 40000, flags="SA")
    add("t4 backend to an address outside the pool: left alone", "FS_REV",
        p, None)
    p = tcp("198.18.1.1", "198.18.0.1", 8444, 40000, flags="SA")
    add("t4 another port of the backend's address: left alone", "FS_REV",
        p, None)

    # UDP over IPv4 on a shared pool address; a zero checksum stays zero.
    u = Flow("u4", C4, 5000, "198.18.0.1", 50000)
    p = u.client(udp, payload=b"query")
    add("u4 query: 198.18.0.1:50000, port kept", "FS_FWD", p, u.fwd(p),
        cnt=NEW)
    p = u.backend(udp, payload=b"answer")
    add("u4 answer", "FS_REV", p, u.rev(p), cnt={"REVERSE": 1})
    u2 = Flow("u4", C4, 5001, "198.18.0.1", 50001)
    p = u2.client(udp, payload=b"no checksum", chksum=0)
    add("u4 checksum 0 (none): stays 0", "FS_FWD", p, u2.fwd(p), cnt=NEW)
    p = u2.backend(udp, payload=b"none back", chksum=0)
    add("u4 answer without checksum", "FS_REV", p, u2.rev(p),
        cnt={"REVERSE": 1})
    p = udp("198.18.1.2", "198.18.0.1", 53, 50002)
    add("u4 answer to a free port: dropped", "FS_REV", p, None,
        verdict="GK_V_DROP", cnt={"SNAT_NO_FLOW": 1})
    p = udp("198.18.1.2", "198.18.0.1", 53, 40000)
    add("u4 backend to the TCP service's port range: left alone", "FS_REV",
        p, None)

    # IPv6, TCP and UDP (backend port kept / changed).
    s6 = Flow("t6", C6, 40404, "2001:db8:ffff::1", 40000)
    p = s6.client(tcp)
    add("t6 SYN", "FS_FWD", p, s6.fwd(p), cnt=NEW)
    p = s6.backend(tcp, flags="SA")
    add("t6 SYN-ACK", "FS_REV", p, s6.rev(p), cnt={"REVERSE": 1})
    p = s6.client(tcp, flags="FA")
    add("t6 FIN: closing", "FS_FWD", p, s6.fwd(p),
        cnt={"HITS": 1, "CLOSED": 1})
    u6 = Flow("u6", C6, 5353, "2001:db8:ffff::2", 1024)
    p = u6.client(udp, payload=b"mdns?")
    add("u6 query: [2001:db8:ffff::2]:1024, backend port 53", "FS_FWD", p,
        u6.fwd(p), cnt=NEW)
    p = u6.backend(udp, payload=b"mdns!")
    add("u6 answer", "FS_REV", p, u6.rev(p), cnt={"REVERSE": 1})

    # Exhaustion and reuse: two ports.
    xa = Flow("x4", C4, 1111, "198.18.0.9", 61000)
    xb = Flow("x4", C4, 2222, "198.18.0.9", 61001)
    p = xa.client(tcp)
    add("x4 A: 61000", "FS_FWD", p, xa.fwd(p), cnt=NEW, reset=True)
    p = xb.client(tcp)
    add("x4 B: 61001", "FS_FWD", p, xb.fwd(p), cnt=NEW)
    xc = Flow("x4", C4, 3333, "198.18.0.9", 61001)
    p = xc.client(tcp)
    add("x4 C: pool exhausted, dropped", "FS_FWD", p, None,
        verdict="GK_V_DROP", cnt={"SNAT_EXHAUSTED": 1})
    p = xa.client(tcp)
    add("x4 A again after its idle timeout: restarts, its port came back "
        "and is the first free", "FS_FWD", p, xa.fwd(p),
        cnt={"NEW_FLOWS": 1, "SNAT_NEW": 1, "REUSED": 1},
        advance_ms=TCP_IDLE + 1)
    p = xc.client(tcp)
    add("x4 C: B's port, B expired", "FS_FWD", p, xc.fwd(p),
        cnt={"NEW_FLOWS": 1, "SNAT_NEW": 1, "SNAT_RECLAIMED": 1})
    p = xc.backend(tcp, flags="SA")
    add("x4 reply on 61001: C's now", "FS_REV", p, xc.rev(p),
        cnt={"REVERSE": 1})
    p = xb.client(tcp)
    add("x4 B again: both ports live, dropped", "FS_FWD", p, None,
        verdict="GK_V_DROP", cnt={"SNAT_EXHAUSTED": 1})
    p = xa.client(tcp, flags="R")
    add("x4 A resets: short timeout", "FS_FWD", p, xa.fwd(p),
        cnt={"HITS": 1, "CLOSED": 1})
    p = xb.client(tcp)
    add("x4 B after A's FIN timeout: A's port", "FS_FWD", p,
        Flow("x4", C4, 2222, "198.18.0.9", 61000).fwd(p),
        cnt={"NEW_FLOWS": 1, "SNAT_NEW": 1, "SNAT_RECLAIMED": 1},
        advance_ms=TCP_FIN + 1)


# Two workers (W = 2): worker 0 owns even pool ports, worker 1 odd ones.
WK = []


def routed(pkt, smac, dmac):
    p = pkt.copy()
    if IP in p:
        p[IP].ttl -= 1
        p[IP].chksum = None
    else:
        p[IPv6].hlim -= 1
    return Ether(src=smac, dst=dmac) / l3_of(p)


def wk(what, in_w, in_port, pkt, out_w, out_port, out):
    src = PEER if in_port == 0 else be_mac(l3_of(pkt).src)
    WK.append({"what": what, "in_w": in_w, "in_port": in_port,
               "in": pad(bytes(Ether(src=src, dst=MAC0 if in_port == 0
                                     else MAC1) / l3_of(pkt))),
               "out_w": out_w, "out_port": out_port,
               "out": None if out is None else pad(bytes(out))})


def worker_cases():
    w0 = Flow("t4", "198.51.100.7", 33000, "198.18.0.1", 40000)
    w1 = Flow("t4", "198.51.100.8", 33001, "198.18.0.1", 40001)
    p = w0.client(tcp)
    wk("SYN on worker 0: its first even port", 0, 0, p, 0, 1,
       routed(w0.fwd(p), MAC1, be_mac(w0.baddr)))
    p = w1.client(tcp)
    wk("SYN on worker 1: its first odd port", 1, 0, p, 1, 1,
       routed(w1.fwd(p), MAC1, be_mac(w1.baddr)))
    p = w0.backend(tcp, flags="SA")
    wk("reply to 40000 lands on worker 1: worker 0 sends it", 1, 1, p, 0, 0,
       routed(w0.rev(p), MAC0, GW4_MAC))
    p = w1.backend(tcp, flags="SA")
    wk("reply to 40001 lands on worker 0: worker 1 sends it", 0, 1, p, 1, 0,
       routed(w1.rev(p), MAC0, GW4_MAC))
    p = tcp("198.18.1.1", "198.18.0.1", 8443, 40003, flags="SA")
    wk("reply to 40003 (worker 1's, no flow) lands on worker 0: handed "
       "over, dropped there", 0, 1, p, 1, -1, None)
    u = Flow("u6", "2001:db8:c::7", 6000, "2001:db8:ffff::2", 1025)
    p = u.client(udp, payload=b"v6 on worker 1")
    wk("u6 on worker 1: 1025, its first odd port", 1, 0, p, 1, 1,
       routed(u.fwd(p), MAC1, be_mac(u.baddr)))
    p = u.backend(udp, payload=b"v6 back via worker 0")
    wk("u6 answer lands on worker 0: worker 1 sends it", 0, 1, p, 1, 0,
       routed(u.rev(p), MAC0, GW6_MAC))


# ------------------------------------------------------------------ output

def carr(name, b):
    return "static const uint8_t %s[%d] = {%s};" % (
        name, max(len(b), 1), ",".join("0x%02x" % x for x in b) or "0")


def a16(addr):
    a = ipaddress.ip_address(addr)
    return "{ " + ", ".join("0x%02x" % x for x in a.packed) + " }"


def main():
    cases()
    worker_cases()
    o = ["/* Generated by tests/l4/gen_l4_snat.py (scapy). */",
         "#include <stdint.h>", "#include <genkan/meta.h>",
         '#include "l4.h"', '#include "pkt.h"', ""]
    o.append("#define FS_TCP_IDLE_MS %d" % TCP_IDLE)
    o.append("#define FS_TCP_FIN_MS %d" % TCP_FIN)
    o.append("#define FS_UDP_IDLE_MS %d" % UDP_IDLE)
    o.append("""
struct fs_svc { const char *name; uint8_t family, proto; uint16_t port;
	uint8_t addr[16]; uint8_t be[16]; uint16_t be_port;
	uint8_t pool_lo[16]; uint32_t naddr; uint16_t plo, phi; };
enum { FS_FWD, FS_REV };
struct fs_pkt { const char *what; uint8_t dir, reset; uint32_t advance_ms;
	const uint8_t *in; uint32_t in_len; struct gk_xdp_meta meta;
	uint8_t verdict; int64_t cnt[GK_L4_CNT_MAX];
	const uint8_t *out; uint32_t out_len; };
struct fs_wk { const char *what; int in_w, in_port; const uint8_t *in;
	uint32_t in_len; int out_w, out_port; const uint8_t *out;
	uint32_t out_len; };
""")
    o.append("#define FS_SVC_MAX %d" % len(SERVICES))
    o.append("static const struct fs_svc fs_svc[] = {")
    for s in SERVICES:
        lo = ipaddress.ip_address(s["pool_lo"])
        hi = ipaddress.ip_address(s["pool_hi"])
        o.append('\t{ "%s", %d, %d, %d, %s, %s, %d, %s, %d, %d, %d },' % (
            s["name"], s["family"], s["proto"], s["lo"], a16(s["addr"]),
            a16(s["be"]), s["be_port"], a16(s["pool_lo"]),
            int(hi) - int(lo) + 1, s["plo"], s["phi"]))
    o.append("};")
    for i, f in enumerate(FIX):
        o.append(carr("fs_in%d" % i, f["in"]))
        if f["out"] is not None:
            assert len(f["out"]) == len(f["in"]), f["what"]
            o.append(carr("fs_out%d" % i, f["out"]))
    o.append("static const struct fs_pkt fs_pkts[] = {")
    for i, f in enumerate(FIX):
        m = f["meta"]
        cnt = ", ".join("[GK_L4_%s] = %d" % kv for kv in f["cnt"].items())
        out = ("fs_out%d, sizeof(fs_out%d)" % (i, i) if f["out"] is not None
               else "NULL, 0")
        o.append('\t{ "%s", %s, %d, %d, fs_in%d, sizeof(fs_in%d),\n'
                 '\t  { .magic = GK_META_MAGIC, .version = GK_META_VERSION, '
                 '.class = %s, .l3_off = %d, .l4_off = %d, .l4_proto = %d, '
                 '.flags = 0x%02x, .flow_hash = 0x%08xu },\n'
                 '\t  %s, { %s }, %s },'
                 % (f["what"], f["dir"], f["reset"], f["advance_ms"], i, i,
                    m["class"], m["l3_off"], m["l4_off"], m["proto"],
                    m["flags"], m["fh"], f["verdict"], cnt or "0", out))
    o.append("};")
    for i, w in enumerate(WK):
        o.append(carr("fs_wk_in%d" % i, w["in"]))
        if w["out"] is not None:
            o.append(carr("fs_wk_out%d" % i, w["out"]))
    o.append("static const struct fs_wk fs_wk[] = {")
    for i, w in enumerate(WK):
        out = ("fs_wk_out%d, sizeof(fs_wk_out%d)" % (i, i)
               if w["out"] is not None else "NULL, 0")
        o.append('\t{ "%s", %d, %d, fs_wk_in%d, sizeof(fs_wk_in%d), %d, %d, '
                 '%s },' % (w["what"], w["in_w"], w["in_port"], i, i,
                            w["out_w"], w["out_port"], out))
    o.append("};")
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(o) + "\n")


if __name__ == "__main__":
    main()
