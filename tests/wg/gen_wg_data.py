#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Fixture table for the WireGuard data stage (dataplane/wg_data.c), built
with scapy and the `cryptography` module as the independent oracle: the
transport data message (whitepaper §5.4.6) is assembled here from its
definition -- type 4, 3 zero bytes, le32 receiver index, le64 counter,
ChaCha20-Poly1305 (RFC 8439) with nonce = 4 zero bytes || le64(counter),
empty AAD, plaintext zero-padded to a multiple of 16 but not past the MTU.

Each fixture is one burst through one direction of the stage, with the
expected verdict, drop reason and exact output frame of every packet, and
the event the stage must post to genkand (if any).

usage: gen_wg_data.py OUT.h
"""
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from scapy.all import Ether, ICMP, IP, IPv6, Raw, TCP, UDP

F_IPV4, F_IPV6, F_VLAN, F_FRAG, F_L4, F_LATER_FRAG, F_ORIGIN = \
    1, 2, 4, 8, 0x10, 0x20, 0x40
CLASS_TRANSIT, CLASS_WG_DATA = 1, 9
V_NONE, V_TX, V_DROP = 0, 1, 2
AF_INET, AF_INET6 = 2, 10

LISTEN = 51820
MTU = 1420
SEC = 1000000000
BIRTH = 5 * SEC
NOW = 10 * SEC
REJECT_AFTER_TIME = 180 * SEC
REJECT_AFTER_MESSAGES = 2**64 - 2**13 - 1
ROUTER_MAC, HOST_MAC = "02:00:00:00:aa:01", "02:00:00:00:bb:02"
# what the test puts in meta.flow_hash: the stage must not take it (the
# classifier hashes no TRANSIT packet), but the inner packet's own
FLOW_HASH = 0x9abcdef1

# the flow hash, modelled independently of genkan's C
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "classify"))
import gen_fixtures as cls  # noqa: E402


def inner_flow(inner):
    """RFC 6438: the outer IPv6 flow label is the inner packet's flow hash
    (addresses, TCP/UDP ports right after the IP header unless a later
    IPv4 fragment, protocol)."""
    if inner[0] >> 4 == 4:
        ip = IP(inner)
        proto, frag = ip.proto, ip.frag
    else:
        ip = IPv6(inner)
        proto, frag = ip.nh, 0
    sport = dport = None
    if proto in (6, 17) and frag == 0:
        sport, dport = struct.unpack("!HH", bytes(ip.payload)[:4])
    h = cls.hash4 if inner[0] >> 4 == 4 else cls.hash6
    return h(ip.src, ip.dst, sport, dport, proto)


def key(seed):
    return bytes((seed * 37 + i * 11) & 0xff for i in range(32))


# Keypairs: local index (receiver index of inbound data), remote index
# (what we put on outbound data), our send key, our receive key.
KP = {
    "p0cur": dict(local=0x11111111, remote=0xaaaa0001, send=key(1), recv=key(2)),
    "p0prev": dict(local=0x22222222, remote=0xaaaa0002, send=key(3), recv=key(4)),
    "p1cur": dict(local=0x33333333, remote=0xbbbb0001, send=key(5), recv=key(6)),
    "p1next": dict(local=0x44444444, remote=0xbbbb0002, send=key(7), recv=key(8)),
}
KP_ORDER = ["p0cur", "p0prev", "p1cur", "p1next"]

# Peers: id, endpoint, our outer source, UDP source port (0: listen port),
# AllowedIPs, keypairs by slot (current, previous, next).
PEERS = [
    dict(id=0, fam=AF_INET, ep="203.0.113.2", port=51821, src="203.0.113.1",
         sport=0, allowed=[("198.18.1.0", 24), ("2001:db8:1::", 48)],
         kp=["p0cur", "p0prev", None]),
    dict(id=1, fam=AF_INET6, ep="2001:db8:ff::2", port=51822,
         src="2001:db8:ff::1", sport=40000,
         allowed=[("198.18.2.0", 24), ("2001:db8:2::", 48)],
         kp=["p1cur", None, "p1next"]),
    dict(id=2, fam=AF_INET, ep="203.0.113.3", port=51823, src="203.0.113.1",
         sport=0, allowed=[("198.18.3.0", 24)], kp=[None, None, None]),
    dict(id=5, fam=0, ep="0.0.0.0", port=0, src="0.0.0.0", sport=0,
         allowed=[("198.18.4.0", 24)], kp=[None, None, None]),
]


def seal(k, counter, pt):
    """ct || tag with WireGuard's nonce and empty AAD."""
    nonce = b"\0" * 4 + struct.pack("<Q", counter)
    return ChaCha20Poly1305(k).encrypt(nonce, pt, None)


def wg_msg(kpname, counter, inner, pad_to=None, sender=False):
    """A type-4 message as the peer (sender=False) or we (True) build it."""
    kp = KP[kpname]
    idx = kp["remote"] if sender else kp["local"]
    k = kp["send"] if sender else kp["recv"]
    if pad_to is None:
        pad_to = min((len(inner) + 15) // 16 * 16, MTU)
    pt = inner + b"\0" * (pad_to - len(inner))
    return struct.pack("<IIQ", 4, idx, counter) + seal(k, counter, pt)


def ecn_out(tos):
    e = tos & 3
    return 2 if e == 3 else e


def inner4(src, dst, size=None, tos=0, payload=b"ping"):
    p = IP(src=src, dst=dst, ttl=63, tos=tos) / UDP(sport=1234, dport=5678)
    if size is not None:
        payload = bytes((i * 7) & 0xff for i in range(size - 28))
    return bytes(p / Raw(payload))


def inner6(src, dst, size=None, tc=0):
    p = IPv6(src=src, dst=dst, hlim=63, tc=tc) / TCP(sport=1234, dport=80,
                                                     flags="S")
    if size is not None:
        return bytes(p / Raw(bytes(i & 0xff for i in range(size - 60))))
    return bytes(p)


def l2(typ):
    return Ether(dst=ROUTER_MAC, src=HOST_MAC, type=typ)


def plain_frame(inner):
    v6 = inner[0] >> 4 == 6
    fr = bytes(l2(0x86dd if v6 else 0x0800)) + inner
    if v6:
        l4, proto = 14 + 40, inner[6]
    else:
        l4, proto = 14 + (inner[0] & 15) * 4, inner[9]
    return dict(frame=fr, l3=14, l4=l4, proto=proto,
                flags=(F_IPV6 if v6 else F_IPV4) | F_L4, cls=CLASS_TRANSIT)


def expect_enc(peer, kpname, counter, inner, ip_id):
    """What the stage must output for inner sealed to peer."""
    pr = PEERS[peer]
    msg = wg_msg(kpname, counter, inner, sender=True)
    tos = inner[1] if inner[0] >> 4 == 4 else \
        ((inner[0] & 15) << 4 | inner[1] >> 4)
    sport = pr["sport"] or LISTEN
    if pr["fam"] == AF_INET6:
        o = l2(0x86dd) / IPv6(src=pr["src"], dst=pr["ep"], hlim=64,
                               tc=ecn_out(tos), fl=inner_flow(inner) & 0xfffff) / \
            UDP(sport=sport, dport=pr["port"]) / Raw(msg)
        fl = F_IPV6
    else:
        o = l2(0x0800) / IP(src=pr["src"], dst=pr["ep"], ttl=64, id=ip_id,
                             flags=0, tos=ecn_out(tos)) / \
            UDP(sport=sport, dport=pr["port"], chksum=0) / Raw(msg)
        fl = F_IPV4
    out = bytes(o)
    ihl = 40 if pr["fam"] == AF_INET6 else 20
    return dict(out=out, out_l4=14 + ihl, out_proto=17,
                out_flags=fl | F_L4 | F_ORIGIN, out_cls=CLASS_TRANSIT,
                cnt=(pr["id"], len(msg)))


def cipher_frame(msg, src="203.0.113.2", sport=51821, dst="203.0.113.1",
                 dport=LISTEN):
    if ":" in src:
        o = l2(0x86dd) / IPv6(src=src, dst=dst, hlim=60) / \
            UDP(sport=sport, dport=dport) / Raw(msg)
        fl, ihl = F_IPV6, 40
    else:
        o = l2(0x0800) / IP(src=src, dst=dst, ttl=60) / \
            UDP(sport=sport, dport=dport) / Raw(msg)
        fl, ihl = F_IPV4, 20
    return dict(frame=bytes(o), l3=14, l4=14 + ihl, proto=17,
                flags=fl | F_L4, cls=CLASS_WG_DATA)


def expect_dec(inner):
    v6 = inner[0] >> 4 == 6
    out = bytes(l2(0x86dd if v6 else 0x0800)) + inner
    if v6:
        l4, proto = 14 + 40, inner[6]
    else:
        l4, proto = 14 + (inner[0] & 15) * 4, inner[9]
    return dict(out=out, out_l4=l4, out_proto=proto,
                out_flags=(F_IPV6 if v6 else F_IPV4) | F_L4,
                out_cls=CLASS_TRANSIT)


FX = []


def fx(name, d, pkts, now=NOW, counter0=0, ip_id=0x100, ev=None, evc=None):
    FX.append(dict(name=name, dir=d, pkts=pkts, now=now, counter0=counter0,
                   ip_id=ip_id, ev=ev, evc=evc))


def ok(inp, exp):
    r = dict(inp)
    r.update(exp)
    r["verdict"] = V_NONE
    r["drop"] = None
    return r


def dropped(inp, why):
    r = dict(inp)
    r["verdict"] = V_DROP
    r["drop"] = why
    r["out"] = None
    return r


# ---- encrypt ----
i = inner4("198.51.100.10", "198.18.1.5")
fx("enc v4 in v4", 0, [ok(plain_frame(i), expect_enc(0, "p0cur", 7, i, 0x100))],
   counter0=7)
i = inner6("2001:db8:99::1", "2001:db8:1::5")
fx("enc v6 in v4", 0, [ok(plain_frame(i), expect_enc(0, "p0cur", 0, i, 0x100))])
i = inner4("198.51.100.10", "198.18.2.5", tos=0x0b)
fx("enc v4 in v6, CE port, ECN", 0,
   [ok(plain_frame(i), expect_enc(1, "p1cur", 3, i, 0x100))], counter0=3)
i = inner6("2001:db8:99::1", "2001:db8:2::5", tc=0x02)
fx("enc v6 in v6", 0, [ok(plain_frame(i), expect_enc(1, "p1cur", 0, i, 0x100))])
i = inner4("198.51.100.10", "198.18.1.5", tos=0x03)
fx("enc CE inner -> ECT(0) outer", 0,
   [ok(plain_frame(i), expect_enc(0, "p0cur", 0, i, 0x100))])
i = inner4("198.51.100.10", "198.18.1.5", size=1408)
fx("enc pad: exact multiple of 16", 0,
   [ok(plain_frame(i), expect_enc(0, "p0cur", 0, i, 0x100))])
i = inner4("198.51.100.10", "198.18.1.5", size=1410)
fx("enc pad: capped at the MTU", 0,
   [ok(plain_frame(i), expect_enc(0, "p0cur", 0, i, 0x100))])
i = inner4("198.51.100.10", "198.18.1.5", size=MTU)
fx("enc pad: full MTU", 0,
   [ok(plain_frame(i), expect_enc(0, "p0cur", 0, i, 0x100))])
i = inner4("198.51.100.10", "198.18.1.5", size=MTU + 1)
fx("enc above the MTU", 0, [dropped(plain_frame(i), "too_big")])
i = inner4("198.51.100.10", "198.51.100.99")
fx("enc no AllowedIPs match", 0, [dropped(plain_frame(i), "no_peer")])
i = inner4("198.51.100.10", "198.18.3.5")
fx("enc peer without keypair", 0, [dropped(plain_frame(i), "no_keypair")],
   ev=dict(type=1, peer=2), evc="handshake_needed")
i = inner4("198.51.100.10", "198.18.4.5")
fx("enc peer without endpoint", 0, [dropped(plain_frame(i), "no_endpoint")])
i = inner4("198.51.100.10", "198.18.1.5")
fx("enc keypair past REJECT_AFTER_TIME", 0,
   [dropped(plain_frame(i), "no_keypair")],
   now=BIRTH + REJECT_AFTER_TIME, ev=dict(type=1, peer=0),
   evc="handshake_needed")
c0 = REJECT_AFTER_MESSAGES - 1
fx("enc REJECT_AFTER_MESSAGES", 0,
   [ok(plain_frame(i), expect_enc(0, "p0cur", c0, i, 0x100)),
    dropped(plain_frame(i), "no_keypair")],
   counter0=c0, ev=dict(type=1, peer=0), evc="handshake_needed")
# A mixed burst: two peers interleaved get consecutive counters each.
a = inner4("198.51.100.10", "198.18.1.5", payload=b"a")
b = inner6("2001:db8:99::1", "2001:db8:2::6")
c = inner4("198.51.100.10", "198.18.1.6", payload=b"ccc")
fx("enc mixed burst", 0,
   [ok(plain_frame(a), expect_enc(0, "p0cur", 20, a, 0x100)),
    ok(plain_frame(b), expect_enc(1, "p1cur", 20, b, 0x101)),
    dropped(plain_frame(inner4("198.51.100.10", "198.51.100.1")), "no_peer"),
    ok(plain_frame(c), expect_enc(0, "p0cur", 21, c, 0x101))],
   counter0=20)
# Martians (#13 bug 6): never sealed, whatever the route says.
for s_, d_ in [("127.0.0.1", "198.18.1.5"), ("0.0.0.0", "198.18.1.5"),
               ("224.0.0.1", "198.18.1.5"), ("255.255.255.255", "198.18.1.5")]:
    fx("enc martian inner source %s" % s_, 0,
       [dropped(plain_frame(inner4(s_, d_)), "martian")])
for s_ in ["::1", "::", "ff02::1", "::ffff:127.0.0.1"]:
    fx("enc martian inner source %s" % s_, 0,
       [dropped(plain_frame(inner6(s_, "2001:db8:1::5")), "martian")])
bad = plain_frame(inner4("198.51.100.10", "198.18.1.5"))
bad["frame"] = bad["frame"][:14 + 10]
fx("enc truncated inner", 0, [dropped(bad, "bad_inner")])

# ---- decrypt ----
i = inner4("198.18.1.7", "198.51.100.10")
fx("dec v4 in v4", 1,
   [ok(cipher_frame(wg_msg("p0cur", 5, i)), expect_dec(i))])
i = inner6("2001:db8:1::7", "2001:db8:99::1")
fx("dec v6 in v4 (previous keypair)", 1,
   [ok(cipher_frame(wg_msg("p0prev", 0, i)), expect_dec(i))])
i = inner4("198.18.2.7", "198.51.100.10")
fx("dec v4 in v6", 1,
   [ok(cipher_frame(wg_msg("p1cur", 9, i), src="2001:db8:ff::2", sport=51822,
                    dst="2001:db8:ff::1"), expect_dec(i))])
i = inner6("2001:db8:2::7", "2001:db8:99::1", size=1300)
fx("dec v6 in v6", 1,
   [ok(cipher_frame(wg_msg("p1cur", 1, i), src="2001:db8:ff::2", sport=51822,
                    dst="2001:db8:ff::1"), expect_dec(i))])
i = inner4("198.18.1.7", "198.51.100.10", size=MTU)
fx("dec full-MTU inner", 1,
   [ok(cipher_frame(wg_msg("p0cur", 2, i)), expect_dec(i))])
ka = cipher_frame(wg_msg("p0cur", 3, b""))
fx("dec keepalive", 1, [dict(dropped(ka, None))], evc="rx_keepalive")
fx("dec unknown receiver index", 1,
   [dropped(cipher_frame(struct.pack("<IIQ", 4, 0x55555555, 0) +
                         b"\0" * 32), "unknown_index")])
m = bytearray(wg_msg("p0cur", 4, inner4("198.18.1.7", "198.51.100.10")))
m[20] ^= 1
fx("dec bad tag", 1, [dropped(cipher_frame(bytes(m)), "bad_tag")])
fx("dec short message", 1,
   [dropped(cipher_frame(wg_msg("p0cur", 4, b"")[:31]), "short")])
m = bytearray(wg_msg("p0cur", 4, b""))
m[1] = 1
fx("dec reserved bytes set", 1, [dropped(cipher_frame(bytes(m)), "bad_type")])
fx("dec wrong port", 1,
   [dropped(cipher_frame(wg_msg("p0cur", 4, b""), dport=51999),
            "bad_outer")])
i = inner4("198.18.1.7", "198.51.100.10")
j = inner4("198.18.1.8", "198.51.100.10")
fx("dec replay after auth", 1,
   [ok(cipher_frame(wg_msg("p0cur", 5, i)), expect_dec(i)),
    dropped(cipher_frame(wg_msg("p0cur", 5, j)), "replay"),
    ok(cipher_frame(wg_msg("p0cur", 4, j)), expect_dec(j))])
# A forged packet far ahead must not move the window: tag first.
m = bytearray(wg_msg("p0cur", 9000, i))
m[-1] ^= 0x80
fx("dec forged counter does not move the window", 1,
   [dropped(cipher_frame(bytes(m)), "bad_tag"),
    ok(cipher_frame(wg_msg("p0cur", 1, i)), expect_dec(i))])
fx("dec counter far ahead", 1,
   [ok(cipher_frame(wg_msg("p0cur", 1, i)), expect_dec(i)),
    ok(cipher_frame(wg_msg("p0cur", 1000000, j)), expect_dec(j)),
    dropped(cipher_frame(wg_msg("p0cur", 2, i)), "replay"),
    ok(cipher_frame(wg_msg("p0cur", 1000000 - 8000, i)), expect_dec(i))])
fx("dec counter at REJECT_AFTER_MESSAGES", 1,
   [dropped(cipher_frame(wg_msg("p0cur", REJECT_AFTER_MESSAGES, i)),
            "replay")])
k = inner4("198.18.2.7", "198.51.100.10")
fx("dec inner source of another peer", 1,
   [dropped(cipher_frame(wg_msg("p0cur", 6, k)), "allowedips")])
k = inner6("2001:db8:77::7", "2001:db8:99::1")
fx("dec inner source outside all AllowedIPs", 1,
   [dropped(cipher_frame(wg_msg("p0cur", 6, k)), "allowedips")])
# Martians (#13 bug 6) are dropped before AllowedIPs (a peer allowed
# 0.0.0.0/0 would pass them on), so their own counter, not allowedips.
for s_ in ["127.0.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1"]:
    fx("dec martian inner source %s" % s_, 1,
       [dropped(cipher_frame(wg_msg("p0cur", 6, inner4(s_, "198.51.100.10"))),
                "martian")])
for s_ in ["::1", "ff02::1", "::ffff:127.0.0.1"]:
    fx("dec martian inner source %s" % s_, 1,
       [dropped(cipher_frame(wg_msg("p0cur", 6, inner6(s_, "2001:db8:99::1"))),
                "martian")])
fx("dec plaintext not IP", 1,
   [dropped(cipher_frame(wg_msg("p0cur", 6, b"\x12" * 40)), "bad_plaintext")])
fx("dec roaming: endpoint changed", 1,
   [ok(cipher_frame(wg_msg("p0cur", 8, i), src="198.51.100.77", sport=3333),
       expect_dec(i))],
   ev=dict(type=2, peer=0, fam=AF_INET, addr="198.51.100.77", port=3333),
   evc="endpoint_changed")
i6 = inner6("2001:db8:2::7", "2001:db8:99::1")
fx("dec next keypair confirmed", 1,
   [ok(cipher_frame(wg_msg("p1next", 0, i6), src="2001:db8:ff::2",
                    sport=51822, dst="2001:db8:ff::1"), expect_dec(i6))],
   ev=dict(type=3, peer=1, index=KP["p1next"]["local"]),
   evc="keypair_confirmed")
fx("dec keypair past REJECT_AFTER_TIME", 1,
   [dropped(cipher_frame(wg_msg("p0cur", 8, i)), "key_expired")],
   now=BIRTH + REJECT_AFTER_TIME)


def counted(f):
    """Per-peer id: (packets, bytes) the fixture must add to the counters.

    Sent: every packet sealed (bytes of the type-4 message, as wg show).
    Received: every packet delivered and every keepalive, counted for the
    peer that owns the receiver index."""
    c = {}
    for p in f["pkts"]:
        if f["dir"] == 0:
            if p["verdict"] != V_NONE:
                continue
            pid, n = p["cnt"]
        else:
            if p["verdict"] != V_NONE and p["drop"] is not None:
                continue
            msg = p["frame"][p["l4"] + 8:]
            idx = struct.unpack("<I", msg[4:8])[0]
            name = [k for k in KP if KP[k]["local"] == idx][0]
            pid = [q["id"] for q in PEERS if name in q["kp"]][0]
            n = len(msg)
        pk, by = c.get(pid, (0, 0))
        c[pid] = (pk + 1, by + n)
    return c


# ---- output ----
def carr(b):
    return "{ " + ", ".join("0x%02x" % x for x in b) + " }"


def addr_bytes(a):
    import ipaddress
    return ipaddress.ip_address(a).packed.ljust(16, b"\0")


def main():
    out = []
    w = out.append
    w("/* Generated by gen_wg_data.py (scapy + cryptography): do not edit. */")
    w("#define WGX_LISTEN %d" % LISTEN)
    w("#define WGX_MTU %d" % MTU)
    w("#define WGX_BIRTH %dull" % BIRTH)
    w("#define WGX_FLOW_HASH 0x%08xu" % FLOW_HASH)
    w("#define WGX_NR_KP %d" % len(KP_ORDER))
    w("#define WGX_NR_PEERS %d" % len(PEERS))
    max_id = max(p["id"] for p in PEERS) + 1
    w("#define WGX_MAX_ID %d" % max_id)
    w("static const struct wgx_kp wgx_kps[] = {")
    for n in KP_ORDER:
        kp = KP[n]
        w("\t{ .local = 0x%08x, .remote = 0x%08x, .send = %s, .recv = %s }," %
          (kp["local"], kp["remote"], carr(kp["send"]), carr(kp["recv"])))
    w("};")
    for pi, p in enumerate(PEERS):
        w("static const struct wgx_allowed wgx_allowed%d[] = {" % pi)
        for a, plen in p["allowed"]:
            w("\t{ %d, %d, %s }," % (AF_INET6 if ":" in a else AF_INET, plen,
                                     carr(addr_bytes(a))))
        w("};")
    w("static const struct wgx_peer wgx_peers[] = {")
    for pi, p in enumerate(PEERS):
        kps = ", ".join(str(KP_ORDER.index(k)) if k else "-1" for k in p["kp"])
        w("\t{ .id = %d, .fam = %d, .ep = %s, .port = %d, .src = %s, "
          ".sport = %d, .allowed = wgx_allowed%d, .nr_allowed = %d, "
          ".kp = { %s } }," %
          (p["id"], p["fam"], carr(addr_bytes(p["ep"])), p["port"],
           carr(addr_bytes(p["src"])), p["sport"], pi, len(p["allowed"]), kps))
    w("};")
    for fi, f in enumerate(FX):
        for pi, p in enumerate(f["pkts"]):
            w("static const uint8_t wgx_in_%d_%d[] = %s;" % (fi, pi,
                                                          carr(p["frame"])))
            if p["out"] is not None:
                w("static const uint8_t wgx_out_%d_%d[] = %s;" %
                  (fi, pi, carr(p["out"])))
        w("static const struct wgx_pkt wgx_pkts_%d[] = {" % fi)
        for pi, p in enumerate(f["pkts"]):
            s = ("\t{ .in = wgx_in_%d_%d, .in_len = %d, .l3 = %d, .l4 = %d, "
                 ".proto = %d, .flags = %d, .cls = %d, .verdict = %d, "
                 ".drop = %s" % (fi, pi, len(p["frame"]), p["l3"], p["l4"],
                                 p["proto"], p["flags"], p["cls"],
                                 p["verdict"],
                                 '"%s"' % p["drop"] if p["drop"] else "NULL"))
            if p["out"] is not None:
                s += (", .out = wgx_out_%d_%d, .out_len = %d, .out_l4 = %d, "
                      ".out_proto = %d, .out_flags = %d, .out_cls = %d" %
                      (fi, pi, len(p["out"]), p["out_l4"], p["out_proto"],
                       p["out_flags"], p["out_cls"]))
            w(s + " },")
        w("};")
    w("static const struct wgx_fx wgx_fx[] = {")
    for fi, f in enumerate(FX):
        ev = f["ev"]
        evs = ""
        if ev:
            evs = ", .ev_type = %d, .ev_peer = %d" % (ev["type"], ev["peer"])
            if "fam" in ev:
                evs += ", .ev_fam = %d, .ev_addr = %s, .ev_port = %d" % (
                    ev["fam"], carr(addr_bytes(ev["addr"])), ev["port"])
            if "index" in ev:
                evs += ", .ev_index = 0x%08x" % ev["index"]
        c = counted(f)
        evs += ", .want_pk = { %s }, .want_bytes = { %s }" % (
            ", ".join(str(c.get(d, (0, 0))[0]) for d in range(max_id)),
            ", ".join(str(c.get(d, (0, 0))[1]) for d in range(max_id)))
        w("\t{ .name = \"%s\", .dir = %d, .now = %dull, .counter0 = %dull, "
          ".ip_id = %d, .pkts = wgx_pkts_%d, .n = %d, .evc = %s%s }," %
          (f["name"], f["dir"], f["now"], f["counter0"], f["ip_id"], fi,
           len(f["pkts"]), '"%s"' % f["evc"] if f["evc"] else "NULL", evs))
    w("};")
    with open(sys.argv[1], "w") as fh:
        fh.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
