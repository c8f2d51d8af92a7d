#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Fuzzed traffic for the soak (bench/soak.sh): malformed and random frames
into a gateway's port, at a steady rate, until SIGTERM.

usage: soak_fuzz.py [--pps N] [--seed S] [--out FILE] TARGET...
  TARGET = IFACE,ROLE,GW_MAC[,KEY=VALUE...]: frames go out of IFACE (this
  namespace's end of the veth, or a host on the gateway's LAN) to GW_MAC.
  ROLE and its keys:
    door  dst4 (the door's address), vip, wg (its ListenPort), pub (its
          WireGuard public key, base64), flows (0: no spoofed TCP to the
          services, which the door forwards home as new flows): IPv4 to the door
    br4   ce4 (a CE's shared address), psid, a, k: IPv4 into a MAP-E domain
    br6   br6, ce6 (a CE's MAP-E address), ce4: IPv6 (IPv4-in-IPv6) to a BR
    ce6   br6, ce6, ce4, wg (the CE's ListenPort), pub: IPv6 from the BR
    lan   src (the host's address), dst (an internet host): from a LAN host;
          malformed only (a valid random flow would take NAPT ports)
Every role gets the common kinds too: frames cut anywhere, bad IPv4 IHL
and total length, bad IPv6 payload length, random IPv6-in-IPv4 (protocol
41), first IPv4/IPv6 fragments that never complete, martian sources,
TTL 0/1, random EtherTypes and random bytes. Never ARP, NDP or ICMP
redirects: they would rewrite the gateway kernel's neighbours and routes,
which is not what the soak tests.

Frames are built by scapy into a pool (rebuilt from a fresh random state
every POOL_S seconds) and written raw to an AF_PACKET socket, PPS a target.
At exit (SIGTERM/SIGINT) the counts per target and kind go to FILE as JSON
(stdout without --out).
"""
import base64
import hashlib
import json
import random
import signal
import socket
import struct
import sys
import time

from scapy.all import (IP, ICMP, TCP, UDP, Ether, IPv6, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, Raw, conf, get_if_hwaddr)

POOL = 1500		# frames per pool and target
POOL_S = 60		# a new pool this often

# Never sent: ARP (0x0806) and the ICMP types that change a kernel's state.
ETYPES = [0x0800, 0x86DD, 0x8100, 0x88A8, 0x8847, 0x88CC, 0x0842, 0x9000,
          0x1234, 0xFFFF]
MARTIANS4 = ["127.0.0.1", "0.0.0.0", "255.255.255.255", "224.0.0.1",
             "240.0.0.1", "169.254.1.1"]
MARTIANS6 = ["::1", "::", "ff02::1", "::ffff:127.0.0.1", "fe80::1"]


def rnd(r, n):
    return bytes(r.getrandbits(8) for _ in range(n))


def rnd4(r, net="198.18.0.0/15"):
    """A random address of the soak's own ranges (or of net)."""
    base, plen = net.split("/")
    b = struct.unpack("!I", socket.inet_aton(base))[0]
    h = r.getrandbits(32 - int(plen)) if int(plen) < 32 else 0
    return socket.inet_ntoa(struct.pack("!I", b | h))


def rnd6(r):
    return "2001:db8:%x:%x::%x" % (r.getrandbits(16), r.getrandbits(16),
                                    r.getrandbits(16))


def safe_icmp(r):
    # echo, unreachable, time exceeded, parameter problem, a few unknowns
    return ICMP(type=r.choice([0, 3, 8, 11, 12, 13, 42, 200]),
                code=r.getrandbits(8) if r.random() < 0.3 else 0)


def l4(r, dport=None, sport=None):
    """A random TCP/UDP/ICMP header (bad checksums, lengths, flags)."""
    k = r.random()
    sp = sport if sport is not None else r.getrandbits(16)
    dp = dport if dport is not None else r.getrandbits(16)
    if k < 0.45:
        u = UDP(sport=sp, dport=dp)
        if r.random() < 0.3:
            u.len = r.getrandbits(16)
        if r.random() < 0.3:
            u.chksum = r.getrandbits(16)
        return u / rnd(r, r.randint(0, 64))
    if k < 0.85:
        t = TCP(sport=sp, dport=dp, flags=r.getrandbits(8),
                seq=r.getrandbits(32), dataofs=r.choice([None, None, 0, 3, 15]))
        if r.random() < 0.3:
            t.chksum = r.getrandbits(16)
        return t / rnd(r, r.randint(0, 32))
    return safe_icmp(r) / rnd(r, r.randint(0, 48))


def wg_msg(r, pub=None):
    """A WireGuard-shaped message, mostly of a wrong length for its type
    (whitepaper section 5.4: initiation 148, response 92, cookie 64, data
    >= 32 bytes); a few initiations of the right length whose mac1 is
    valid (keyed BLAKE2s, 5.4.4), so they reach the handshake itself."""
    k = r.random()
    if k < 0.15 and pub:
        msg = bytearray(struct.pack("<I", 1) + rnd(r, 112))
        key = hashlib.blake2s(b"mac1----" + base64.b64decode(pub)).digest()
        msg += hashlib.blake2s(bytes(msg), key=key, digest_size=16).digest()
        msg += bytes(16)
        return bytes(msg)
    t = r.choice([1, 1, 2, 3, 4, 4, 0, 5, 255])
    want = {1: 148, 2: 92, 3: 64}.get(t)
    if t == 4:
        n = r.choice([0, 8, 16, 31, r.randint(32, 1400)])
    elif want and r.random() < 0.85:
        n = r.choice([want - 1, want + 1, 100, 149, 50, 63, 4,
                      r.randint(0, 400)])
    else:
        n = r.randint(0, 200)
    return (struct.pack("<I", t) + rnd(r, 400))[:n] if n >= 4 else \
        struct.pack("<I", t)[:n]


def v4frag(r, src, dst, payload):
    """A first (or middle) fragment whose datagram never completes."""
    first = r.random() < 0.7
    return IP(src=src, dst=dst, id=r.getrandbits(16), flags="MF",
              frag=0 if first else r.randint(1, 200), proto=17) / payload


def v6frag(r, src, dst, nh, payload):
    first = r.random() < 0.7
    return IPv6(src=src, dst=dst) / IPv6ExtHdrFragment(
        nh=nh, m=1, offset=0 if first else r.randint(1, 200),
        id=r.getrandbits(32)) / payload


def mangle4(r, pkt):
    """Bad version, IHL, total length, TTL or flags on an IPv4 packet."""
    b = bytearray(bytes(pkt))
    k = r.random()
    if k < 0.25:
        b[0] = (b[0] & 0xF0) | r.choice([0, 1, 4, 6, 15])	# IHL
    elif k < 0.5:
        b[2:4] = struct.pack("!H", r.choice([0, 19, 20, len(b) + 1,
                                             len(b) + 500, 0xFFFF,
                                             r.getrandbits(16)]))
    elif k < 0.6:
        b[0] = (r.choice([0, 5, 6, 7, 15]) << 4) | (b[0] & 0x0F)
    elif k < 0.8:
        b[8] = r.choice([0, 1])					# TTL
    else:
        b[6] = r.getrandbits(8)				# flags, frag offset
    return bytes(b)


def mangle6(r, pkt):
    b = bytearray(bytes(pkt))
    k = r.random()
    if k < 0.6:
        b[4:6] = struct.pack("!H", r.choice([0, 1, 7, len(b), len(b) + 100,
                                             0xFFFF, r.getrandbits(16)]))
    elif k < 0.8:
        b[7] = r.choice([0, 1])					# hop limit
    else:
        b[0] = (r.choice([0, 4, 5, 7, 15]) << 4) | (b[0] & 0x0F)
    return bytes(b)


class Target:
    def __init__(self, spec):
        f = spec.split(",")
        self.ifname, self.role, self.mac = f[0], f[1], f[2]
        self.kv = dict(x.split("=", 1) for x in f[3:])
        self.smac = get_if_hwaddr(self.ifname)
        self.name = "%s:%s" % (self.ifname, self.role)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.sock.bind((self.ifname, 0))
        self.pool = []
        self.sent = {}
        self.errors = 0

    def eth(self, r, etype=None):
        dst = self.mac if r.random() < 0.95 else \
            "02:%02x:%02x:%02x:%02x:%02x" % tuple(rnd(r, 5))
        return Ether(src=self.smac, dst=dst, type=etype) if etype else \
            Ether(src=self.smac, dst=dst)

    def role_frame(self, r):
        """One frame of what this role's port expects, fuzzed."""
        kv, ro = self.kv, self.role
        if ro == "door":
            dst = kv["dst4"] if r.random() < 0.6 else kv["vip"]
            src = rnd4(r, "198.51.100.0/24")
            k = r.random()
            if k < 0.5:
                return "wg", IP(src=src, dst=kv["dst4"]) / UDP(
                    sport=r.getrandbits(16), dport=int(kv["wg"])) / \
                    wg_msg(r, kv.get("pub"))
            if k < 0.6 and kv.get("flows", "1") != "0":
                # new connections to the services, spoofed: a few flows
                return "l4", IP(src=src, dst=kv["vip"]) / TCP(
                    sport=r.getrandbits(16), dport=r.choice([80, 443, 5201]),
                    flags=r.choice(["S", "A", "R", "FA", "SA", ""]))
            return "ip4", IP(src=src, dst=dst) / l4(r)
        if ro == "br4":
            k = r.random()
            if k < 0.5:
                # into the CE's port set or beside it, no NAPT session
                a, kk, psid = int(kv["a"]), int(kv["k"]), int(kv["psid"], 0)
                m = 16 - a - kk
                p = (r.randint(1, (1 << a) - 1) << (16 - a)) | \
                    ((psid if r.random() < 0.7 else r.getrandbits(kk)) << m) | \
                    r.getrandbits(m)
                return "mape4", IP(src=rnd4(r, "198.51.100.0/24"),
                                   dst=kv["ce4"]) / l4(r, dport=p)
            return "mape4_dom", IP(src=rnd4(r, "198.51.100.0/24"),
                                   dst=rnd4(r, "192.0.2.0/24")) / l4(r)
        if ro in ("br6", "ce6"):
            if ro == "br6":
                s6 = kv["ce6"] if r.random() < 0.5 else rnd6(r)
                d6 = kv["br6"]
                inner = IP(src=kv["ce4"] if r.random() < 0.6 else rnd4(r),
                           dst=rnd4(r, "198.51.100.0/24"))
            else:
                s6 = kv["br6"] if r.random() < 0.8 else rnd6(r)
                d6 = kv["ce6"]
                inner = IP(src=rnd4(r, "198.51.100.0/24"), dst=kv["ce4"])
            k = r.random()
            if ro == "ce6" and k < 0.3:
                return "wg", IPv6(src=s6, dst=d6) / inner / UDP(
                    sport=r.getrandbits(16), dport=int(kv["wg"])) / \
                    wg_msg(r, kv.get("pub"))
            if k < 0.5:
                return "4in6", IPv6(src=s6, dst=d6) / inner / l4(r)
            if k < 0.65:
                # a truncated or mangled inner IPv4 header
                ib = mangle4(r, inner / l4(r))
                return "4in6_bad", IPv6(src=s6, dst=d6, nh=4) / \
                    Raw(ib[:r.randint(0, len(ib))])
            if k < 0.8:
                return "frag6", v6frag(r, s6, d6, 4,
                                       bytes(inner / UDP() / rnd(r, 64)))
            if k < 0.9:
                return "ext6", IPv6(src=s6, dst=d6) / IPv6ExtHdrHopByHop(
                    options=[]) / Raw(rnd(r, r.randint(0, 80)))
            return "nh6", IPv6(src=s6, dst=d6, nh=r.getrandbits(8)) / \
                Raw(rnd(r, r.randint(0, 80)))
        if ro == "lan":
            k = r.random()
            if k < 0.5:
                return "lan_bad", mangle4(r, IP(src=kv["src"], dst=kv["dst"]) /
                                          UDP(sport=1, dport=9) / rnd(r, 20))
            return "lan_frag", v4frag(r, kv["src"], kv["dst"],
                                      bytes(UDP(sport=r.randint(1, 8),
                                                dport=9) / rnd(r, 40)))
        raise SystemExit("unknown role " + ro)

    def frame(self, r):
        """(kind, bytes) of one fuzzed frame for this target."""
        k = r.random()
        src4 = self.kv.get("src", rnd4(r, "198.51.100.0/24"))
        dst4 = self.kv.get("dst4", self.kv.get("dst", self.kv.get("ce4",
                                                               "198.51.100.2")))
        if k < 0.45:
            kind, p = self.role_frame(r)
            e = bytes(self.eth(r)) + bytes(p)
        elif k < 0.55:
            # a frame of this role cut anywhere: truncated headers
            kind, p = self.role_frame(r)
            b = bytes(self.eth(r)) + bytes(p)
            # (the kernel sends nothing shorter than an Ethernet header)
            kind, e = "cut", b[:r.randint(14, len(b) - 1)]
        elif k < 0.65:
            kind, p = self.role_frame(r)
            p = bytes(p)
            if p[0] >> 4 == 4:
                kind, e = "bad4", bytes(self.eth(r)) + mangle4(r, p)
            else:
                kind, e = "bad6", bytes(self.eth(r)) + mangle6(r, p)
        elif k < 0.72:
            inner = IPv6(src=rnd6(r), dst=rnd6(r), nh=r.choice([4, 6, 17, 41,
                                                                  58, 59])) \
                if r.random() < 0.6 else Raw(rnd(r, r.randint(0, 60)))
            kind, e = "6in4", bytes(self.eth(r) / IP(src=src4, dst=dst4,
                                                      proto=41) / inner)
        elif k < 0.79:
            # from the LAN, 8 source ports only: a first fragment makes a
            # NAPT session, and random ones would take the CE's 240 ports
            lan = self.role == "lan"
            kind, e = "frag4", bytes(self.eth(r) / v4frag(
                r, src4, dst4, bytes(UDP(sport=r.randint(1, 8) if lan else
                                         r.getrandbits(16),
                                         dport=9 if lan else
                                         r.getrandbits(16)) /
                                     rnd(r, 64))))
        elif k < 0.84:
            if r.random() < 0.5:
                kind, e = "martian4", bytes(self.eth(r) / IP(
                    src=r.choice(MARTIANS4), dst=dst4) / UDP(dport=9))
            else:
                kind, e = "martian6", bytes(self.eth(r) / IPv6(
                    src=r.choice(MARTIANS6),
                    dst=self.kv.get("ce6", self.kv.get("br6", "2001:db8::1"))) /
                    UDP(dport=9))
        elif k < 0.92:
            kind = "etype"
            e = bytes(self.eth(r, r.choice(ETYPES))) + rnd(r, r.randint(0, 100))
        else:
            kind = "random"
            e = rnd(r, r.randint(14, 200))
            if len(e) >= 14 and e[12:14] == b"\x08\x06":
                e = e[:12] + b"\x08\x00" + e[14:]
        if len(e) > 1514:
            e = e[:1514]
        return kind, e

    def build(self, r):
        self.pool = [self.frame(r) for _ in range(POOL)]


def main():
    a = sys.argv[1:]
    pps, seed, out = 200, int(time.time()), None
    while a and a[0].startswith("--"):
        o = a.pop(0)
        if o == "--pps":
            pps = int(a.pop(0))
        elif o == "--seed":
            seed = int(a.pop(0))
        elif o == "--out":
            out = a.pop(0)
        else:
            sys.exit(__doc__)
    if not a:
        sys.exit(__doc__)
    conf.verb = 0
    r = random.Random(seed)
    ts = [Target(s) for s in a]
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    built = 0.0
    tick = 0.02
    per_tick = max(1, round(pps * tick))
    nxt = time.monotonic()
    i = 0
    while not stop:
        if time.monotonic() - built > POOL_S:
            for t in ts:
                t.build(r)
            built = time.monotonic()
            nxt = time.monotonic()
        for t in ts:
            for _ in range(per_tick):
                kind, f = t.pool[i % len(t.pool)]
                i += 1
                try:
                    t.sock.send(f)
                    t.sent[kind] = t.sent.get(kind, 0) + 1
                except OSError:
                    # a link flap takes the interface down for a moment
                    t.errors += 1
        nxt += tick
        d = nxt - time.monotonic()
        if d > 0:
            time.sleep(d)
        else:
            nxt = time.monotonic()
    res = {t.name: {"sent": sum(t.sent.values()), "errors": t.errors,
                    "kinds": t.sent} for t in ts}
    txt = json.dumps(res, sort_keys=True)
    if out:
        with open(out, "w") as f:
            f.write(txt + "\n")
    else:
        print(txt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
