#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
A known mixed stream for the packet accounting test (test_accounting.c,
docs/accounting.md), built with scapy: a MAP-E CE (RFC 7597 Appendix A,
example 1: 192.0.2.18, PSID 0x34, CE 2001:db8:12:3400:0:c000:212:34) with
a LAN port 0 and a WAN port 1. Each case says what it must do to each
accounting term and drop reason; the totals the test expects are summed
here from the stream's composition, never from genkan.

Phase 1 is every frame once; phase 2 is after the worker's clock passed
the reassembly and neighbour-hold timeouts (2 s, 1 s), with no new frame.

usage: gen_accounting.py OUT.h
"""
import sys

from scapy.all import IP, UDP, IPv6, Ether, Raw, fragment6, \
    IPv6ExtHdrFragment

MAC0 = "02:00:00:00:00:0a"      # port 0, LAN
MAC1 = "02:00:00:00:00:0b"      # port 1, WAN
HOST = "02:00:00:00:00:c8"      # the LAN host behind the CE
GW6 = "02:00:00:00:fe:06"       # IPv6 next hop on the WAN
CE4 = "192.0.2.18"
CE6 = "2001:db8:12:3400:0:c000:212:34"   # RFC 7597 Appendix A
BR = "2001:db8:ffff::1"
INET = "203.0.113.10"
TUNNEL_MTU = 1460

TERMS = ["rx", "handed_in", "generated", "split", "tx", "handed_off",
         "punted", "consumed", "held", "dropped", "merged"]

# (what, port, frames, phase 1 terms, phase 2 changes, drops by reason in
# phase 1, more in phase 2)
CASES = []


def case(what, port, frames, p1, p2=None, drops=None, later=None):
    CASES.append((what, port, [bytes(f) for f in frames], p1, p2 or {},
                  drops or {}, later or {}))


def lan(sport, ttl=64, size=12, df=False):
    return (Ether(src=HOST, dst=MAC0)
            / IP(src=CE4, dst=INET, ttl=ttl, flags="DF" if df else 0)
            / UDP(sport=sport, dport=53) / Raw(b"a" * size))


def v6_lan(dst, hlim=64):
    return (Ether(src=HOST, dst=MAC0)
            / IPv6(src="2001:db8:12:3400::5", dst=dst, hlim=hlim)
            / UDP(sport=4000, dport=4001) / Raw(b"acct-v6"))


def from_br(inner):
    return Ether(src=GW6, dst=MAC1) / IPv6(src=BR, dst=CE6, nh=4, hlim=60) \
        / inner


def inner4(dport=1232, size=16, ttl=60):
    return IP(src=INET, dst=CE4, ttl=ttl) / UDP(sport=53, dport=dport) \
        / Raw(b"i" * size)


# Forwardable: IPv6 transit LAN -> WAN (3), MAP-E encap (2), decap (1).
for k in range(3):
    case("v6 transit %d" % k, 0, [v6_lan("2001:db8:1::%d" % (k + 1))],
         {"rx": 1, "tx": 1})
for k in range(2):
    case("mape encap %d" % k, 0, [lan(1233 + k)], {"rx": 1, "tx": 1})
case("mape decap", 1, [from_br(inner4())], {"rx": 1, "tx": 1})

# RFC 2473 §7.3: an inner packet over the tunnel MTU without DF leaves as
# outer fragments of the largest multiple of 8 that fits tunnel_mtu + 40.
big = lan(1234, size=1480 - 28)
chunk = (TUNNEL_MTU - 8) & ~7
pieces = -(-len(big[IP]) // chunk)
assert pieces == 2
case("mape encap, outer fragments", 0, [big],
     {"rx": 1, "split": pieces - 1, "tx": pieces})

# TTL 1 from the LAN: dropped ttl_expired, answered by ICMP time exceeded.
for k in range(3):
    case("ttl 1 %d" % k, 0, [lan(1235, ttl=1)],
         {"rx": 1, "dropped": 1, "generated": 1, "tx": 1},
         drops={"ttl_expired": 1})

# Malformed or refused, dropped by reason (MAP-E: per-domain detail).
for k in range(2):
    case("port violation %d" % k, 0, [lan(1000 + k)],
         {"rx": 1, "dropped": 1}, drops={"mape": 1})
for k in range(2):
    case("truncated inner %d" % k, 1,
         [from_br(Raw(bytes(inner4())[:12 + k]))],
         {"rx": 1, "dropped": 1}, drops={"mape": 1})
for k in range(2):
    case("no route %d" % k, 0, [v6_lan("2001:db8:9::%d" % (k + 1))],
         {"rx": 1, "dropped": 1}, drops={"no_route": 1})

# IPv6 fragments from the BR (fragment6 cuts them as a source would):
# the pieces before the last merge into it, the datagram leaves once.
for k in range(2):
    p = IPv6(src=BR, dst=CE6, nh=44, hlim=60) / IPv6ExtHdrFragment(
        id=0x100 + k, nh=4) / inner4(size=1150)
    fr = fragment6(p, 500)
    n = len(fr)
    assert n == 3
    case("reassembled %d" % k, 1,
         [Ether(src=GW6, dst=MAC1) / f for f in fr],
         {"rx": n, "merged": n - 1, "tx": 1})

# Three first pieces of a datagram of four: held, then timed out (2 s),
# one drop each.
p = IPv6(src=BR, dst=CE6, nh=44, hlim=60) / IPv6ExtHdrFragment(
    id=0x200, nh=4) / inner4(size=1600)
fr = fragment6(p, 500)
assert len(fr) == 4
case("reassembly given up", 1, [Ether(src=GW6, dst=MAC1) / f
                                for f in fr[:3]],
     {"rx": 3, "held": 3}, {"held": -3, "dropped": 3}, later={"mape": 3})

# To a neighbour the kernel has not resolved: held, then aged (1 s).
for k in range(2):
    case("unresolved neighbour %d" % k, 0, [v6_lan("2001:db8:ff::77")],
         {"rx": 1, "held": 1}, {"held": -1, "dropped": 1},
         later={"neigh_hold_aged": 1})


def total(phase):
    t = dict.fromkeys(TERMS, 0)
    for c in CASES:
        for k, v in c[3].items():
            t[k] += v
        if phase == 2:
            for k, v in c[4].items():
                t[k] += v
    return t


def drops(phase):
    d = {}
    for c in CASES:
        for k, v in list(c[5].items()) + \
                (list(c[6].items()) if phase == 2 else []):
            d[k] = d.get(k, 0) + v
    return d


def tx_on(port):
    """Frames that leave on port (the answers go back where they came)."""
    n = 0
    for what, _, _, p1, _, _, _ in CASES:
        if not p1.get("tx"):
            continue
        to_lan = what.startswith(("mape decap", "reassembled", "ttl 1"))
        n += p1["tx"] if (port == 0) == to_lan else 0
    return n


def carr(b):
    return "{" + ",".join("0x%02x" % x for x in b) + "}"


with open(sys.argv[1], "w") as o:
    o.write("/* generated by gen_accounting.py (scapy); do not edit */\n")
    o.write("#define ACX_TUNNEL_MTU %d\n" % TUNNEL_MTU)
    nf = 0
    for c in CASES:
        for f in c[2]:
            o.write("static const uint8_t acx_f%d[] = %s;\n" % (nf, carr(f)))
            nf += 1
    o.write("static const struct acx_frame {\n\tconst char *what;\n"
            "\tint port;\n\tconst uint8_t *b;\n\tuint32_t len;\n} acx[] = {\n")
    nf = 0
    for c in CASES:
        for f in c[2]:
            o.write('\t{ "%s", %d, acx_f%d, sizeof(acx_f%d) },\n'
                    % (c[0], c[1], nf, nf))
            nf += 1
    o.write("};\n")
    o.write("static const char *const acx_terms[] = { %s };\n"
            % ", ".join('"%s"' % t for t in TERMS))
    for ph in (1, 2):
        t = total(ph)
        o.write("static const uint64_t acx_want%d[] = { %s };\n"
                % (ph, ", ".join(str(t[k]) for k in TERMS)))
        d = drops(ph)
        o.write("static const struct { const char *reason; uint64_t n; } "
                "acx_drops%d[] = {\n" % ph)
        for k in sorted(d):
            o.write('\t{ "%s", %d },\n' % (k, d[k]))
        o.write("\t{ NULL, 0 },\n};\n")
    o.write("#define ACX_TX_PORT0 %d\n#define ACX_TX_PORT1 %d\n"
            % (tx_on(0), tx_on(1)))
