#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Oracle for the NAPT44 stage (dataplane/napt.c), independent of genkan:

* port sets (RFC 7597 §5.1) recomputed from the RFC text, and the worker
  partition docs/napt.md specifies (port j of range r -> worker
  (j + r) % W), as tables;
* translation scenarios built with scapy. The stage picks the outside
  port itself, so every frame that carries it is emitted once per port the
  worker owns (15 with W = 16): the test finds which one the stage chose
  on the first outbound step and then requires every later frame of the
  scenario to equal that variant byte for byte.

usage: gen_napt.py OUT.h
"""
import sys

from scapy.all import Ether, ICMP, IP, IPerror, TCP, UDP, Raw

EXT = "192.0.2.18"
LAN_A, LAN_B, LAN_SRV = "198.51.100.10", "198.51.100.11", "198.51.100.20"
REM1, REM2, REM3 = "203.0.113.10", "203.0.113.20", "203.0.113.30"
MAC_R, MAC_H = "02:00:00:00:aa:01", "02:00:00:00:bb:02"

# (name, a, k, psid): v6plus-like 240 ports, OCN-like 1008 ports
SETS = [("v6p", 4, 8, 0x34), ("ocn", 6, 6, 0x2a)]
XW = 16          # workers in the translation scenarios
XSET = SETS[0]


def port_set(a, k, psid):
    """RFC 7597 §5.1: ports whose PSID bits equal psid, A > 0 when a > 0."""
    m = 16 - a - k
    out = []
    for p in range(65536):
        if (p >> m) & ((1 << k) - 1) != psid:
            continue
        if a and (p >> (16 - a)) == 0:
            continue
        out.append(p)
    return out


def range_of(a, p):
    return (p >> (16 - a)) - 1 if a else 0


def owner(a, k, p, w):
    m = 16 - a - k
    return ((p & ((1 << m) - 1)) + range_of(a, p)) % w


_, XA, XK, XPSID = XSET
OWNED0 = sorted(p for p in port_set(XA, XK, XPSID) if owner(XA, XK, p, XW) == 0)
STATIC_PORT = OWNED0[7]            # a static mapping target inside the set
# a static port of worker 1: hairpins to it cross workers (0 -> 1 -> 0)
STATIC_W1 = sorted(p for p in port_set(XA, XK, XPSID)
                   if owner(XA, XK, p, XW) == 1)[3]
DYN = [p for p in OWNED0]          # variants: any port the worker owns
OUTSIDE_PORT = 0x1000 | (0x35 << 4) | 3    # other PSID: outside the set


def eth():
    return Ether(src=MAC_H, dst=MAC_R)


def frame(pkt):
    return bytes(eth() / pkt)


def l4_off(b):
    return 14 + (b[14] & 15) * 4


SCN = []


def scn(name, filt="GK_NAPT_FILTER_APDF", static=None, sworker=0):
    s = dict(name=name, filt=filt, static=static, sworker=sworker, steps=[])
    SCN.append(s)
    return s


def step(s, d, fin, fexp=None, verdict="GK_V_NONE", drop=None, w=0):
    """fin/fexp: functions of the outside port P giving scapy packets;
    w: the stage instance (worker 0 or 1 of XW) that runs the step."""
    ins = [frame(fin(p)) for p in DYN]
    exps = [frame(fexp(p)) for p in DYN] if fexp else ins
    var = len(set(ins)) > 1 or len(set(exps)) > 1
    s["steps"].append(dict(dir=d, w=w, ins=ins, exps=exps, verdict=verdict,
                           drop=drop, var=var))


def u(src, sp, dst, dp, pl=b"genkan-napt", chk=None):
    p = IP(src=src, dst=dst, ttl=63, id=0x4242) / UDP(sport=sp, dport=dp)
    if chk is not None:
        p[UDP].chksum = chk
    return p / Raw(pl)


def t(src, sp, dst, dp, flags, seq=1000, ack=0, pl=b""):
    return IP(src=src, dst=dst, ttl=63, id=7) / \
        TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack,
            window=8192) / Raw(pl)


def echo(src, dst, ident, typ=8):
    return IP(src=src, dst=dst, ttl=63) / ICMP(type=typ, id=ident, seq=3) / \
        Raw(b"pingpingping")


def icmp_err(src, dst, typ, code, quoted):
    """RFC 792 error quoting @quoted (bytes of a full IPv4 packet)."""
    return IP(src=src, dst=dst, ttl=60) / ICMP(type=typ, code=code) / \
        IPerror(quoted)


def build():
    # UDP: EIM across destinations, APDF filtering (RFC 4787 REQ-1, REQ-8)
    s = scn("udp_eim_apdf")
    step(s, 0, lambda P: u(LAN_A, 5000, REM1, 53),
         lambda P: u(EXT, P, REM1, 53))
    step(s, 1, lambda P: u(REM1, 53, EXT, P), lambda P: u(REM1, 53, LAN_A, 5000))
    step(s, 0, lambda P: u(LAN_A, 5000, REM2, 53),
         lambda P: u(EXT, P, REM2, 53))
    step(s, 1, lambda P: u(REM2, 53, EXT, P), lambda P: u(REM2, 53, LAN_A, 5000))
    step(s, 1, lambda P: u(REM3, 53, EXT, P), verdict="GK_V_DROP",
         drop="filtered")
    step(s, 1, lambda P: u(REM2, 54, EXT, P), verdict="GK_V_DROP",
         drop="filtered")

    # EIF: any remote may use an existing binding
    s = scn("udp_eif", filt="GK_NAPT_FILTER_EIF")
    step(s, 0, lambda P: u(LAN_A, 5001, REM1, 53), lambda P: u(EXT, P, REM1, 53))
    step(s, 1, lambda P: u(REM3, 4444, EXT, P),
         lambda P: u(REM3, 4444, LAN_A, 5001))
    step(s, 0, lambda P: u(LAN_A, 5001, REM3, 4444),
         lambda P: u(EXT, P, REM3, 4444))

    # UDP checksum 0 (none) stays 0 both ways
    s = scn("udp_csum0")
    step(s, 0, lambda P: u(LAN_A, 6000, REM1, 69, chk=0),
         lambda P: u(EXT, P, REM1, 69, chk=0))
    step(s, 1, lambda P: u(REM1, 69, EXT, P, chk=0),
         lambda P: u(REM1, 69, LAN_A, 6000, chk=0))

    # TCP handshake, data, close
    s = scn("tcp_flow")
    step(s, 0, lambda P: t(LAN_A, 40000, REM1, 443, "S"),
         lambda P: t(EXT, P, REM1, 443, "S"))
    step(s, 1, lambda P: t(REM1, 443, EXT, P, "SA", 9000, 1001),
         lambda P: t(REM1, 443, LAN_A, 40000, "SA", 9000, 1001))
    step(s, 0, lambda P: t(LAN_A, 40000, REM1, 443, "PA", 1001, 9001, b"GET /"),
         lambda P: t(EXT, P, REM1, 443, "PA", 1001, 9001, b"GET /"))
    step(s, 1, lambda P: t(REM1, 443, EXT, P, "FA", 9001, 1006),
         lambda P: t(REM1, 443, LAN_A, 40000, "FA", 9001, 1006))
    # unsolicited: a port nobody holds, and a non-SYN new flow
    step(s, 1, lambda P: t(REM2, 443, EXT, OUTSIDE_PORT, "S"),
         verdict="GK_V_DROP", drop="no_mapping")
    step(s, 0, lambda P: t(LAN_B, 40001, REM1, 443, "A"),
         verdict="GK_V_DROP", drop="tcp_no_syn")

    # ICMP echo: the query id is the "port"
    s = scn("icmp_echo")
    step(s, 0, lambda P: echo(LAN_A, REM1, 0x1234),
         lambda P: echo(EXT, REM1, P))
    step(s, 1, lambda P: echo(REM1, EXT, P, 0),
         lambda P: echo(REM1, LAN_A, 0x1234, 0))
    step(s, 1, lambda P: echo(REM2, EXT, P, 0), verdict="GK_V_DROP",
         drop="filtered")

    # ICMP errors about each protocol (RFC 5508 REQ-3, RFC 5382 REQ-9)
    s = scn("icmp_err_udp")
    step(s, 0, lambda P: u(LAN_A, 5353, REM1, 53), lambda P: u(EXT, P, REM1, 53))
    step(s, 1, lambda P: icmp_err(REM1, EXT, 3, 3, bytes(u(EXT, P, REM1, 53))),
         lambda P: icmp_err(REM1, LAN_A, 3, 3, bytes(u(LAN_A, 5353, REM1, 53))))
    # router on the way: time exceeded from another address, quote of 28 bytes
    step(s, 1, lambda P: icmp_err(REM3, EXT, 11, 0,
                                  bytes(u(EXT, P, REM1, 53))[:28]),
         lambda P: icmp_err(REM3, LAN_A, 11, 0,
                            bytes(u(LAN_A, 5353, REM1, 53))[:28]))
    # an error about a flow we never had
    step(s, 1, lambda P: icmp_err(REM1, EXT, 3, 3, bytes(u(EXT, P, REM2, 53))),
         verdict="GK_V_DROP", drop="icmp_err")

    s = scn("icmp_err_tcp")
    step(s, 0, lambda P: t(LAN_A, 41000, REM1, 80, "S"),
         lambda P: t(EXT, P, REM1, 80, "S"))
    # whole quote: the embedded TCP checksum is there and must be fixed
    step(s, 1, lambda P: icmp_err(REM1, EXT, 3, 4, bytes(t(EXT, P, REM1, 80, "S"))),
         lambda P: icmp_err(REM1, LAN_A, 3, 4, bytes(t(LAN_A, 41000, REM1, 80, "S"))))
    # RFC 792 minimum: 8 bytes of TCP, no checksum in the quote
    step(s, 1, lambda P: icmp_err(REM1, EXT, 3, 1,
                                  bytes(t(EXT, P, REM1, 80, "S"))[:28]),
         lambda P: icmp_err(REM1, LAN_A, 3, 1,
                            bytes(t(LAN_A, 41000, REM1, 80, "S"))[:28]))

    s = scn("icmp_err_echo")
    step(s, 0, lambda P: echo(LAN_A, REM2, 0x0777), lambda P: echo(EXT, REM2, P))
    step(s, 1, lambda P: icmp_err(REM3, EXT, 11, 0, bytes(echo(EXT, REM2, P))),
         lambda P: icmp_err(REM3, LAN_A, 11, 0, bytes(echo(LAN_A, REM2, 0x0777))))

    # martians from the LAN (#13 bug 6): translated, their source would
    # leave as our address; no session is made (the reply finds none)
    s = scn("martian_out")
    for src in ["127.0.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1",
                "255.255.255.255"]:
        step(s, 0, lambda P, src=src: u(src, 5000, REM1, 53),
             verdict="GK_V_DROP", drop="martian")
    step(s, 0, lambda P: u(LAN_A, 5000, "127.0.0.1", 53),
         verdict="GK_V_DROP", drop="martian")
    step(s, 0, lambda P: t(LAN_A, 40000, "0.0.0.1", 443, "S"),
         verdict="GK_V_DROP", drop="martian")
    step(s, 0, lambda P: echo("127.0.0.1", REM1, 0x1234),
         verdict="GK_V_DROP", drop="martian")

    # static mapping: inbound from anywhere, and the reply
    st = (6, STATIC_PORT, LAN_SRV, 80)
    s = scn("static_in", static=st)
    step(s, 1, lambda P: t(REM1, 50000, EXT, STATIC_PORT, "S"),
         lambda P: t(REM1, 50000, LAN_SRV, 80, "S"))
    step(s, 0, lambda P: t(LAN_SRV, 80, REM1, 50000, "SA", 5, 1001),
         lambda P: t(EXT, STATIC_PORT, REM1, 50000, "SA", 5, 1001))
    step(s, 1, lambda P: t(REM2, 50000, EXT, STATIC_PORT, "S"),
         lambda P: t(REM2, 50000, LAN_SRV, 80, "S"))

    # hairpin (RFC 4787 REQ-9, RFC 5382 REQ-8): LAN -> our own address
    s = scn("hairpin", static=st)
    step(s, 0, lambda P: t(LAN_A, 42000, EXT, STATIC_PORT, "S"),
         lambda P: t(EXT, P, LAN_SRV, 80, "S"))
    step(s, 0, lambda P: t(LAN_SRV, 80, EXT, P, "SA", 5, 1001),
         lambda P: t(EXT, STATIC_PORT, LAN_A, 42000, "SA", 5, 1001))
    step(s, 0, lambda P: t(LAN_A, 42000, EXT, STATIC_PORT, "A", 1001, 6),
         lambda P: t(EXT, P, LAN_SRV, 80, "A", 1001, 6))

    # hairpin across workers: LAN_A's flow belongs to worker 0 (port P),
    # the static port to worker 1. Each worker translates its half: the
    # out pass leaves the packet addressed to our own address for the
    # destination port's owner, whose in pass maps it to the LAN.
    st1 = (6, STATIC_W1, LAN_SRV, 80)
    s = scn("hairpin_xworker", static=st1, sworker=1)
    step(s, 0, lambda P: t(LAN_A, 42000, EXT, STATIC_W1, "S"),
         lambda P: t(EXT, P, EXT, STATIC_W1, "S"))
    step(s, 1, lambda P: t(EXT, P, EXT, STATIC_W1, "S"),
         lambda P: t(EXT, P, LAN_SRV, 80, "S"), w=1)
    step(s, 0, lambda P: t(LAN_SRV, 80, EXT, P, "SA", 5, 1001),
         lambda P: t(EXT, STATIC_W1, EXT, P, "SA", 5, 1001), w=1)
    step(s, 1, lambda P: t(EXT, STATIC_W1, EXT, P, "SA", 5, 1001),
         lambda P: t(EXT, STATIC_W1, LAN_A, 42000, "SA", 5, 1001))
    step(s, 0, lambda P: t(LAN_A, 42000, EXT, STATIC_W1, "A", 1001, 6),
         lambda P: t(EXT, P, EXT, STATIC_W1, "A", 1001, 6))
    step(s, 1, lambda P: t(EXT, P, EXT, STATIC_W1, "A", 1001, 6),
         lambda P: t(EXT, P, LAN_SRV, 80, "A", 1001, 6), w=1)


def c(b):
    return "{" + ",".join("0x%02x" % x for x in b) + "}"


def emit(path):
    o = ["/* generated by gen_napt.py: do not edit */",
         "#include <stdint.h>", "#include <stddef.h>",
         "#define NX_EXT {192, 0, 2, 18}",
         "#define NX_W %d" % XW,
         "#define NX_NV %d" % len(DYN),
         "#define NX_STATIC_PORT %d" % STATIC_PORT,
         "#define NX_OUTSIDE_PORT %d" % OUTSIDE_PORT,
         "#define NX_NSETS %d" % len(SETS),
         "#define NX_MAXW 3"]
    o.append("static const uint16_t nx_dyn[NX_NV] = {%s};" %
             ",".join(str(p) for p in DYN))
    # port sets, with the range index and the owner for W = 3
    for name, a, k, psid in SETS:
        ps = port_set(a, k, psid)
        o.append("static const uint16_t nx_%s_ports[] = {%s};" %
                 (name, ",".join(str(p) for p in ps)))
        o.append("static const uint8_t nx_%s_range[] = {%s};" %
                 (name, ",".join(str(range_of(a, p)) for p in ps)))
        o.append("static const uint8_t nx_%s_owner3[] = {%s};" %
                 (name, ",".join(str(owner(a, k, p, 3)) for p in ps)))
    o.append("struct nx_set { const char *name; uint8_t a, k; uint16_t psid;"
             " const uint16_t *ports; const uint8_t *range;"
             " const uint8_t *owner3; unsigned n, nranges; };")
    o.append("static const struct nx_set nx_sets[NX_NSETS] = {")
    for name, a, k, psid in SETS:
        o.append('\t{"%s", %d, %d, %d, nx_%s_ports, nx_%s_range, nx_%s_owner3,'
                 ' %d, %d},' % (name, a, k, psid, name, name, name,
                                len(port_set(a, k, psid)), (1 << a) - 1))
    o.append("};")

    o.append("struct nx_frame { const uint8_t *b; uint16_t len; };")
    o.append("struct nx_step { int dir; int w; int var; int verdict; const char *drop;"
             " struct nx_frame in[NX_NV], exp[NX_NV]; };")
    for si, s in enumerate(SCN):
        for ti, st in enumerate(s["steps"]):
            for vi in range(len(DYN)):
                if vi and not st["var"]:
                    break
                o.append("static const uint8_t nx_s%d_%d_in%d[] = %s;" %
                         (si, ti, vi, c(st["ins"][vi])))
                o.append("static const uint8_t nx_s%d_%d_exp%d[] = %s;" %
                         (si, ti, vi, c(st["exps"][vi])))
        o.append("static const struct nx_step nx_s%d[] = {" % si)
        for ti, st in enumerate(s["steps"]):
            vs = range(len(DYN)) if st["var"] else [0] * len(DYN)
            ins = ",".join("{nx_s%d_%d_in%d, %d}" % (si, ti, v, len(st["ins"][v]))
                           for v in vs)
            exps = ",".join("{nx_s%d_%d_exp%d, %d}" % (si, ti, v, len(st["exps"][v]))
                            for v in vs)
            o.append("\t{%d, %d, %d, %s, %s, {%s}, {%s}}," %
                     (st["dir"], st["w"], int(st["var"]), st["verdict"],
                      '"%s"' % st["drop"] if st["drop"] else "NULL", ins, exps))
        o.append("};")
    o.append("struct nx_scn { const char *name; int filter; int has_static;"
             " uint8_t sproto; uint16_t sport; uint8_t saddr[4]; uint16_t sin;"
             " const struct nx_step *steps; unsigned n; int sworker; };")
    o.append("static const struct nx_scn nx_scn[] = {")
    for si, s in enumerate(SCN):
        st = s["static"] or (0, 0, "0.0.0.0", 0)
        o.append('\t{"%s", %s, %d, %d, %d, {%s}, %d, nx_s%d, %d, %d},' %
                 (s["name"], s["filt"], int(bool(s["static"])), st[0], st[1],
                  st[2].replace(".", ","), st[3], si, len(s["steps"]),
                  s["sworker"]))
    o.append("};")
    open(path, "w").write("\n".join(o) + "\n")


if __name__ == "__main__":
    build()
    emit(sys.argv[1])
