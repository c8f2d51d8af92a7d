#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seed corpora and dictionaries for the libFuzzer harnesses (tests/fuzz).

usage: gen_corpus.py OUTDIR

Writes OUTDIR/<harness>/ seeds and OUTDIR/<harness>.dict. Packet seeds are
records [ctl][u16 len][frame] (fuzz_pkt.h) from two scapy sources:
  - every Ethernet frame of the unit tests' scapy fixture generators
    (tests/**/gen_*.py, run into a scratch dir and read back from the C
    headers they write);
  - frames built here for the harnesses' fixed config (fuzz_cfg.h), so the
    first inputs already reach each stage's inner paths (a CE's port set,
    a BR's domain, an L4 service, a sealed WireGuard packet).
Config seeds are etc/*.conf*; ctl seeds are framed requests and replies.
The regression seeds committed in tests/fuzz/corpus/<harness>/ are read
by run.sh beside these. Deterministic: the same files every run.
"""
import glob
import hashlib
import os
import re
import struct
import subprocess
import sys
import tempfile

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, ICMPv6DestUnreach,
                       ICMPv6EchoRequest, ICMPv6PacketTooBig, IPv6,
                       IPv6ExtHdrFragment, Raw, fragment, fragment6)

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))

# ---- the fixed config of fuzz_cfg.h -------------------------------------
PORT_MAC = ["02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03"]
PEER_MAC = "02:00:00:00:00:50"
WAN, LAN, WG = 0, 1, 2
BR6 = "2001:db8:ffff::1"
CE6 = "2001:db8:112:3400:0:c633:6412:34"
CE4 = "198.51.100.18"
CE_PORT = 0x4cd2          # A = 0x13, PSID 0x34, j = 2 (k = 8, a = 6)
CE_STATIC = 0x4cd1        # fuzz_napt.c's static mapping (tcp -> :22)
FZ_TIGHT, FZ_NEW_BURST = 0x80, 0x40


def eth(port, p):
    return Ether(dst=PORT_MAC[port], src=PEER_MAC) / p


def rec(frame, ctl=0):
    b = bytes(frame)
    return struct.pack(">BH", ctl, len(b)) + b


def step(n):
    """ctl bits: a new burst, the clock n x 250 ms on."""
    return FZ_NEW_BURST | (n & 3) << 4


def payload(n):
    return Raw(bytes((i * 7) & 0xff for i in range(n)))


# ---- frames from the unit tests' fixture generators ---------------------
GENS = {
    "classify": ["classify/gen_fixtures.py"],
    "dataplane": ["dataplane/gen_fixtures.py", "dataplane/gen_icmp_err.py"],
    "mape": ["mape/gen_mape.py", "afxdp/gen_worker_mape.py",
             "mape/gen_wgce.py"],
    "napt": ["napt/gen_napt.py"],
    "l4": ["l4/gen_l4.py", "l4/gen_l4_icmp.py", "l4/gen_l4_snat.py"],
    "wg": ["wg/gen_wg_data.py", "wg/gen_wg_stage.py"],
}
ETHERTYPES = {b"\x08\x00", b"\x86\xdd", b"\x81\x00", b"\x88\xa8", b"\x08\x06"}
BRACES = re.compile(r"\{\s*((?:0x[0-9a-fA-F]{2}\s*,\s*){13,}0x[0-9a-fA-F]{2})\s*,?\s*\}")
HEXSTR = re.compile(r"\b([0-9a-f]{28,})\b")


def fixture_frames(group, scratch):
    frames = []
    for g in GENS[group]:
        src = os.path.join(TOP, "tests", g)
        out = os.path.join(scratch, g.replace("/", "_") + ".h")
        extra = [os.path.join(scratch, "x1.pcap"), os.path.join(scratch, "x2.pcap")]
        subprocess.run([sys.executable, src, out] + extra, check=True,
                       cwd=os.path.dirname(src), stdout=subprocess.DEVNULL)
        with open(out) as f:
            text = f.read()
        for m in BRACES.finditer(text):
            frames.append(bytes(int(x, 16) for x in re.findall(r"0x([0-9a-fA-F]{2})", m.group(1))))
        for m in HEXSTR.finditer(text):
            if len(m.group(1)) % 2 == 0:
                frames.append(bytes.fromhex(m.group(1)))
    seen, keep = set(), []
    for fr in frames:
        if len(fr) >= 14 and fr[12:14] in ETHERTYPES and len(fr) <= 2048 and fr not in seen:
            seen.add(fr)
            keep.append(fr)
    return keep


# ---- frames for the fixed config ----------------------------------------
def own_router():
    v4 = IP(src="198.51.100.2", dst="192.0.2.99", ttl=64)
    v6 = IPv6(src="2001:db8:0:2::2", dst="2001:db8:0:1::99", hlim=64)
    return [
        rec(eth(LAN, v4 / UDP(sport=5000, dport=53) / payload(20)), LAN),
        rec(eth(LAN, v4 / TCP(sport=5000, dport=80, flags="S")), LAN),
        rec(eth(WAN, IP(src="192.0.2.99", dst="198.51.100.2") / ICMP()), WAN),
        rec(eth(WAN, IP(src="192.0.2.99", dst="198.51.100.3") / ICMP()), WAN),
        rec(eth(WAN, IP(src="192.0.2.99", dst="198.18.0.1") / ICMP()), WAN),
        rec(eth(WAN, IP(src="192.0.2.99", dst="203.0.113.200", ttl=1) / UDP()), WAN),
        rec(eth(LAN, v4 / UDP() / payload(1600)), LAN),
        rec(eth(LAN, IP(src="198.51.100.2", dst="192.0.2.99", flags="DF") / UDP() / payload(1490)), LAN),
        rec(eth(LAN, v6 / ICMPv6EchoRequest()), LAN),
        rec(eth(LAN, IPv6(src="2001:db8:0:2::2", dst="2001:db8:0:1::99", hlim=1) / UDP()), LAN),
        rec(eth(WAN, IPv6(src="2001:db8:0:1::99", dst="2001:db8:0:2::3") / UDP()), WAN),
        rec(eth(LAN, Dot1Q(vlan=5) / v4 / UDP()), LAN),
        rec(eth(LAN, ARP(psrc="198.51.100.2", pdst="198.51.100.1")), LAN),
        rec(eth(LAN, IP(src="127.0.0.1", dst="192.0.2.99") / UDP()), LAN),
        rec(eth(LAN, v4 / UDP() / payload(30)), LAN | FZ_TIGHT)
        + rec(eth(LAN, v4 / UDP() / payload(30)), LAN | step(1))
        + rec(eth(LAN, v6 / UDP()), LAN | step(3)),
    ]


def ce_encap():
    def v4(dst="192.0.2.99", sport=CE_PORT, **kw):
        return IP(src=CE4, dst=dst, **kw)
    out = [
        rec(eth(LAN, v4() / UDP(sport=CE_PORT, dport=53) / payload(12))),
        rec(eth(LAN, v4() / TCP(sport=CE_PORT, dport=443, flags="S",
                                options=[("MSS", 1460)]))),
        rec(eth(LAN, v4() / ICMP(id=CE_PORT))),
        rec(eth(LAN, v4() / UDP(sport=1234, dport=53))),
        rec(eth(LAN, v4(dst="198.19.0.77") / UDP(sport=CE_PORT, dport=9))),
        rec(eth(LAN, v4(flags="DF") / UDP(sport=CE_PORT) / payload(1460))),
        rec(eth(LAN, v4() / UDP(sport=CE_PORT) / payload(1460))),
        rec(eth(LAN, v4(ttl=1) / UDP(sport=CE_PORT))),
        rec(eth(LAN, v4() / ICMP(type=3, code=3) /
                IP(src="192.0.2.99", dst=CE4) / UDP(sport=53, dport=CE_PORT))),
    ]
    frags = fragment(v4(id=77) / UDP(sport=CE_PORT, dport=53) / payload(600), fragsize=256)
    out.append(b"".join(rec(eth(LAN, f)) for f in frags))
    out.append(b"".join(rec(eth(LAN, f)) for f in reversed(frags)))
    return out


def tunnel(src6, dst6, inner):
    return IPv6(src=src6, dst=dst6, nh=4, hlim=64) / inner


def ce_decap():
    inner = IP(src="192.0.2.99", dst=CE4)
    out = [
        rec(eth(WAN, tunnel(BR6, CE6, inner / UDP(sport=53, dport=CE_PORT) / payload(8)))),
        rec(eth(WAN, tunnel(BR6, CE6, inner / TCP(sport=443, dport=CE_PORT, flags="SA")))),
        rec(eth(WAN, tunnel(BR6, CE6, inner / ICMP(type=0, id=CE_PORT)))),
        rec(eth(WAN, tunnel(BR6, CE6, inner / UDP(sport=53, dport=1234)))),
        rec(eth(WAN, tunnel("2001:db8:24d:3400:0:c613:4d:34", CE6,
                            IP(src="198.19.0.77", dst=CE4) / UDP(sport=CE_PORT, dport=CE_PORT)))),
        rec(eth(WAN, IPv6(src="2001:db8:0:1::fe", dst=CE6) /
                ICMPv6PacketTooBig(mtu=1280) /
                tunnel(CE6, BR6, IP(src=CE4, dst="192.0.2.99") / UDP(sport=CE_PORT, dport=53)))),
        rec(eth(WAN, IPv6(src="2001:db8:0:1::fe", dst=CE6) /
                ICMPv6DestUnreach() /
                tunnel(CE6, BR6, IP(src=CE4, dst="192.0.2.99") / ICMP(id=CE_PORT)))),
    ]
    big = tunnel(BR6, CE6, inner / UDP(sport=53, dport=CE_PORT) / payload(1400))
    frags = fragment6(IPv6(src=BR6, dst=CE6, nh=4) / IPv6ExtHdrFragment(id=9, nh=4) /
                      big.payload, 600)
    out.append(b"".join(rec(eth(WAN, f)) for f in frags))
    out.append(b"".join(rec(eth(WAN, f), step(i)) for i, f in enumerate(reversed(frags))))
    return out


def br_decap():
    def t(inner):
        return tunnel(CE6, BR6, inner)
    inner = IP(src=CE4, dst="192.0.2.99")
    out = [
        rec(eth(WAN, t(inner / UDP(sport=CE_PORT, dport=53) / payload(8)))),
        rec(eth(WAN, t(inner / TCP(sport=CE_PORT, dport=443, flags="S",
                                   options=[("MSS", 1460)])))),
        rec(eth(WAN, t(inner / ICMP(id=CE_PORT)))),
        rec(eth(WAN, t(inner / UDP(sport=1234, dport=53)))),
        rec(eth(WAN, t(IP(src="198.51.100.19", dst="192.0.2.99") / UDP(sport=CE_PORT)))),
        rec(eth(WAN, t(IP(src=CE4, dst="198.51.100.18") / UDP(sport=CE_PORT, dport=CE_PORT)))),
        rec(eth(WAN, t(IP(src=CE4, dst="198.19.0.7") / UDP(sport=CE_PORT, dport=53)))),
    ]
    frags = fragment(IP(src=CE4, dst="192.0.2.99", id=5) / UDP(sport=CE_PORT) / payload(500), 200)
    out.append(b"".join(rec(eth(WAN, t(f))) for f in frags))
    big = t(inner / UDP(sport=CE_PORT, dport=53) / payload(1400))
    f6 = fragment6(IPv6(src=CE6, dst=BR6, nh=4) / IPv6ExtHdrFragment(id=3, nh=4) /
                   big.payload, 600)
    out.append(b"".join(rec(eth(WAN, f)) for f in f6))
    return out


def br_encap():
    def v4(**kw):
        return IP(src="192.0.2.99", dst=CE4, **kw)
    out = [
        rec(eth(LAN, v4() / UDP(sport=53, dport=CE_PORT) / payload(8))),
        rec(eth(LAN, v4() / TCP(sport=443, dport=CE_PORT, flags="SA",
                                options=[("MSS", 1460)]))),
        rec(eth(LAN, v4() / ICMP(type=0, id=CE_PORT))),
        rec(eth(LAN, v4() / UDP(sport=53, dport=1234))),
        rec(eth(LAN, v4(flags="DF") / UDP(dport=CE_PORT) / payload(1460))),
        rec(eth(LAN, v4() / UDP(dport=CE_PORT) / payload(1460))),
        rec(eth(LAN, IP(src="192.0.2.99", dst=CE4) / ICMP(type=11) /
                IP(src=CE4, dst="192.0.2.99") / UDP(sport=CE_PORT, dport=53))),
    ]
    frags = fragment(v4(id=44) / UDP(sport=53, dport=CE_PORT) / payload(700), 256)
    out.append(b"".join(rec(eth(LAN, f)) for f in frags))
    out.append(b"".join(rec(eth(LAN, f), step(i)) for i, f in enumerate(frags[::-1])))
    return out


def napt():
    h = "198.51.100.2"
    out_ = IP(src=h, dst="192.0.2.99")
    in_ = IP(src="192.0.2.99", dst=CE4)
    o, i = 0, 1        # ctl bit 0: 0 out, 1 in
    s = []
    s.append(rec(eth(LAN, out_ / TCP(sport=40000, dport=80, flags="S")), o) +
             rec(eth(WAN, in_ / TCP(sport=80, dport=CE_PORT, flags="SA")), i | step(0)) +
             rec(eth(LAN, out_ / TCP(sport=40000, dport=80, flags="A")), o | step(1)) +
             rec(eth(LAN, out_ / TCP(sport=40000, dport=80, flags="F")), o | step(1)) +
             rec(eth(WAN, in_ / TCP(sport=80, dport=CE_PORT, flags="FA")), i | step(2)))
    s.append(rec(eth(LAN, out_ / UDP(sport=5353, dport=53) / payload(10)), o) +
             rec(eth(WAN, in_ / UDP(sport=53, dport=CE_PORT)), i | step(1)) +
             rec(eth(WAN, IP(src="192.0.2.98", dst=CE4) / UDP(sport=53, dport=CE_PORT)), i))
    s.append(rec(eth(LAN, out_ / ICMP(id=7, seq=1)), o) +
             rec(eth(WAN, in_ / ICMP(type=0, id=CE_PORT, seq=1)), i | step(1)))
    s.append(rec(eth(LAN, out_ / UDP(sport=5353, dport=53)), o) +
             rec(eth(WAN, IP(src="192.0.2.1", dst=CE4) / ICMP(type=3, code=4, nexthopmtu=1400) /
                     IP(src=CE4, dst="192.0.2.99") / UDP(sport=CE_PORT, dport=53)), i | step(1)))
    s.append(rec(eth(WAN, in_ / TCP(sport=5555, dport=CE_STATIC, flags="S")), i))
    s.append(rec(eth(LAN, out_ / TCP(sport=40001, dport=80, flags="A")), o))
    s.append(rec(eth(LAN, IP(src=h, dst=CE4) / UDP(sport=1, dport=CE_STATIC)), o))
    s.append(b"".join(rec(eth(LAN, IP(src="198.51.100.%d" % (10 + n), dst="192.0.2.99") /
                               UDP(sport=1000 + n, dport=53)), o) for n in range(20)))
    s.append(b"".join(rec(eth(LAN, f), o) for f in
                      fragment(out_ / UDP(sport=5000, dport=53) / payload(400), 200)))
    return s


def l4():
    c = IP(src="192.0.2.99", dst="203.0.113.10")
    back = IP(src="198.51.100.2", dst="192.0.2.99")
    s = [
        rec(eth(WAN, c / TCP(sport=33000, dport=443, flags="S")), 0) +
        rec(eth(LAN, back / TCP(sport=8443, dport=33000, flags="SA")), 1) +
        rec(eth(WAN, c / TCP(sport=33000, dport=443, flags="F")), step(1)) +
        rec(eth(WAN, c / TCP(sport=33000, dport=443, flags="R")), step(2)),
        rec(eth(WAN, c / UDP(sport=33001, dport=53) / payload(20)), 0) +
        rec(eth(LAN, IP(src="198.51.100.5", dst="198.51.100.200") /
                UDP(sport=53, dport=20000)), 1 | step(1)),
        rec(eth(WAN, IPv6(src="2001:db8:0:1::99", dst="2001:db8:0:9::10") /
                TCP(sport=33002, dport=443, flags="S")), 0),
        rec(eth(WAN, IP(src="192.0.2.98", dst="203.0.113.10") / ICMP(type=3, code=4) /
                IP(src="203.0.113.10", dst="192.0.2.99") / TCP(sport=443, dport=33000)), 0),
        rec(eth(LAN, IP(src="198.51.100.1", dst="198.51.100.2") / ICMP(type=3, code=3) /
                IP(src="198.51.100.2", dst="192.0.2.99") / TCP(sport=8443, dport=33000)), 1),
        rec(eth(LAN, IP(src="198.51.100.2", dst="203.0.113.1") / TCP(sport=8443, dport=80)), 1),
        b"".join(rec(eth(WAN, IP(src="192.0.2.%d" % n, dst="203.0.113.10") /
                         UDP(sport=40000 + n, dport=53)), 0) for n in range(1, 25)),
    ]
    return s


def wg_sealed(sel, counter, plain):
    body = bytes([sel]) + struct.pack("<Q", counter) + bytes(plain)
    return struct.pack(">BH", 1, len(body)) + body


def wg():
    p0 = IP(src="203.0.113.130", dst="198.51.100.2") / UDP(sport=1000, dport=53) / payload(8)
    p6 = IPv6(src="2001:db8:0:a::2", dst="2001:db8:0:2::2") / UDP(sport=1, dport=2)
    p1 = IP(src="192.0.2.200", dst="198.51.100.2") / TCP(sport=1, dport=2)
    return [
        wg_sealed(0, 0, p0) + wg_sealed(0, 1, p0) + wg_sealed(0, 1, p0),
        wg_sealed(0, 0, b""),
        wg_sealed(1, 5, p6),
        wg_sealed(2, 0, p0),
        wg_sealed(4, 0, p0),
        wg_sealed(8, 0, p1) + wg_sealed(8, 1, p1),
        wg_sealed(12, 0, p0),
        wg_sealed(0, 0, IP(src="198.51.100.9", dst="198.51.100.2") / UDP()),
        wg_sealed(0, 0, b"\x45" + bytes(30)),
        wg_sealed(0, 2000, p0) + wg_sealed(0, 3, p0) + wg_sealed(0, 2000, p0),
    ]


def frag6():
    base = IPv6(src="2001:db8:0:1::99", dst="2001:db8:0:2::2") / IPv6ExtHdrFragment(id=1)
    fr = fragment6(base / UDP(sport=1, dport=2) / payload(2000), 600)
    fr2 = fragment6(IPv6(src="2001:db8:0:1::98", dst="2001:db8:0:2::2") /
                    IPv6ExtHdrFragment(id=2) / UDP() / payload(900), 400)
    overlap = IPv6ExtHdrFragment(id=3, offset=1, m=1)
    return [
        b"".join(rec(eth(WAN, f)) for f in fr),
        b"".join(rec(eth(WAN, f), step(1) if i else 0) for i, f in enumerate(fr[::-1])),
        b"".join(rec(eth(WAN, a)) + rec(eth(WAN, b), 1) for a, b in zip(fr, fr2)),
        rec(eth(WAN, IPv6(src="2001:db8:0:1::99", dst="2001:db8:0:2::2") /
                IPv6ExtHdrFragment(id=4, offset=0, m=0) / UDP())),
        rec(eth(WAN, fr[0])) + rec(eth(WAN, IPv6(src="2001:db8:0:1::99", dst="2001:db8:0:2::2") /
                                       overlap / payload(64))),
        rec(eth(WAN, fr[0])) + rec(eth(WAN, fr[1]), step(3)) + rec(eth(WAN, fr[2]), step(3)),
    ] + ce_decap()[-2:] + br_decap()[-1:]


def frag4():
    fr = fragment(IP(src="192.0.2.99", dst=CE4, id=9) / UDP(dport=CE_PORT) / payload(1000), 256)
    fr2 = fragment(IP(src="192.0.2.98", dst=CE4, id=9) / UDP(dport=CE_PORT) / payload(600), 200)
    return [
        b"".join(rec(eth(WAN, f)) for f in fr),
        b"".join(rec(eth(WAN, f)) for f in fr[::-1]),
        b"".join(rec(eth(WAN, f), step(1) if i == 2 else 0) for i, f in enumerate(fr[1:] + fr[:1])),
        b"".join(rec(eth(WAN, a)) + rec(eth(WAN, b), 1) for a, b in zip(fr[::-1], fr2)),
        b"".join(rec(eth(WAN, f), step(3)) for f in fr[::-1]),
    ] + br_encap()[-2:] + ce_encap()[-2:]


# ---- genkand's handshake handler (fuzz_wgd.c) --------------------------
def wgd():
    def init(peer, sender, sec, corrupt=b"", ctl_extra=0):
        ts = struct.pack(">QI", 0x400000000000000a + sec, 0)
        body = struct.pack("<I", sender) + ts + corrupt
        return struct.pack(">BH", 1 | peer << 2 | ctl_extra, len(body)) + body

    def raw(msg, ctl=0):
        return struct.pack(">BH", ctl, len(msg)) + msg

    def typed(t, n):
        return struct.pack("<I", t) + bytes((i * 11) & 0xff for i in range(n - 4))
    return [
        init(0, 1, 100),
        init(0, 1, 100) + init(0, 2, 100) + init(0, 3, 101, ctl_extra=0x10),
        init(1, 7, 100) + init(1, 8, 200, ctl_extra=0x30),
        init(0, 1, 100, ctl_extra=8),
        init(0, 5, 100, b"\x20\x01"),
        init(0, 5, 100, b"\x74\xff\xff"),
        b"".join(init(0, n, 100 + n) for n in range(70)),
        raw(typed(1, 148)) + raw(typed(2, 92)) + raw(typed(3, 64)) + raw(typed(4, 32)),
        raw(typed(1, 100)) + raw(typed(1, 149)) + raw(typed(2, 50)) + raw(typed(3, 63)),
        raw(typed(4, 31)) + raw(typed(5, 40)) + raw(b"\x01\x00\x01\x00" + bytes(144)),
        raw(b"\x01\x00"),
    ]


# ---- ctl --------------------------------------------------------------
def ctl_msg(payload_, seq=1, magic=0x474b4354, version=1, flags=0, length=None):
    b = payload_.encode()
    return struct.pack("=IHHII", magic, version, flags,
                       len(b) if length is None else length, seq) + b


def ctl():
    reqs = ['{"cmd":"status"}', '{"cmd":"help","args":{}}',
            '{"cmd":"stats","args":{"json":true}}',
            '{"cmd":"nat","args":{"sub":"sessions","limit":10}}',
            '{"cmd":"wg","args":{"sub":"set","peer":"a","endpoint":"[2001:db8::1]:51820"}}',
            '{"cmd":"reload"}', '{"cmd":1}', '{"args":{}}', '[]', '{"cmd":"x\\u0000y"}',
            '{"ok":true,"result":{"a":[1,2.5,null,"x"]}}',
            '{"ok":false,"error":"no such peer","errno":2}']
    out = [ctl_msg(r, seq=i + 1) for i, r in enumerate(reqs)]
    out.append(ctl_msg(reqs[0]) + ctl_msg(reqs[1], seq=2) + ctl_msg(reqs[2], seq=3))
    out.append(ctl_msg(reqs[0], version=2))
    out.append(ctl_msg(reqs[0], flags=1))
    out.append(ctl_msg(reqs[0], length=70000))
    out.append(ctl_msg(reqs[0], magic=0))
    return out


DICTS = {
    "ctl_proto": ['"{"', '"}"', '"\\"cmd\\""', '"\\"args\\""', '"\\"ok\\""',
                  '"\\"result\\""', '"\\"error\\""', '"\\"errno\\""', '"true"',
                  '"false"', '"null"', '"TCKG"', '"\\x01\\x00\\x00\\x00"'],
    "wgd": ['"\\x01\\x00\\x00\\x00"', '"\\x02\\x00\\x00\\x00"',
            '"\\x03\\x00\\x00\\x00"', '"\\x04\\x00\\x00\\x00"'],
    "wg_decrypt": ['"\\x04\\x00\\x00\\x00"', '"\\x44\\x33\\x22\\x11"',
                   '"\\x88\\x77\\x66\\x55"', '"\\x04\\x03\\x02\\x01"', '"\\xca\\x6c"'],
}


def config_dict():
    words = set()
    for f in glob.glob(os.path.join(TOP, "ctl/config/*.c")):
        with open(f) as fh:
            for w in re.findall(r'"([A-Za-z][A-Za-z0-9_-]{1,40})"', fh.read()):
                words.add(w)
    for f in glob.glob(os.path.join(TOP, "etc/*.conf*")):
        with open(f) as fh:
            for w in re.findall(r"^\s*(\[[a-z0-9-]+)", fh.read(), re.M):
                words.add(w)
    toks = sorted(words) + ["=", "\n", "#", "/", ":", ",", "[", "]", " = "]
    return ['"%s"' % t.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\x0a")
            for t in toks]


def write(outdir, name, seeds):
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    for s in seeds:
        with open(os.path.join(d, hashlib.sha1(s).hexdigest()), "wb") as f:
            f.write(s)


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        fx = {g: fixture_frames(g, scratch) for g in GENS}
    allfx = [fr for g in GENS for fr in fx[g]]

    def by_port(frames, ports, extra=0):
        return [rec(fr, p | extra) for fr in frames for p in ports]

    # every frame once, on a port and table of its own (fuzz_classify.c)
    cls = own_router() + [rec(fr, (0, 1 | 4, 2 | 8, 1 | 12)[n % 4])
                          for n, fr in enumerate(allfx)]
    write(outdir, "fuzz_classify", cls)
    write(outdir, "fuzz_classify_fast", cls)
    write(outdir, "fuzz_l3fwd",
          own_router() + by_port(fx["dataplane"] + fx["classify"], (0, 1)))
    write(outdir, "fuzz_mape_ce_encap", ce_encap() + by_port(fx["mape"], (0,)))
    write(outdir, "fuzz_mape_ce_decap", ce_decap() + by_port(fx["mape"], (0,)))
    write(outdir, "fuzz_mape_br_encap", br_encap() + by_port(fx["mape"], (0,)))
    write(outdir, "fuzz_mape_br_decap", br_decap() + by_port(fx["mape"], (0,)))
    write(outdir, "fuzz_frag_reasm6", frag6() + by_port(fx["mape"], (0,)))
    write(outdir, "fuzz_frag_virt4", frag4() + by_port(fx["mape"], (0,)))
    write(outdir, "fuzz_napt", napt() + by_port(fx["napt"], (0, 1)))
    write(outdir, "fuzz_l4", l4() + by_port(fx["l4"], (0, 1)))
    write(outdir, "fuzz_wg_decrypt", wg() + by_port(fx["wg"], (0,)))
    write(outdir, "fuzz_ctl_proto", ctl())
    write(outdir, "fuzz_wgd", wgd())
    confs = []
    for f in sorted(glob.glob(os.path.join(TOP, "etc/*.conf*"))):
        with open(f, "rb") as fh:
            confs.append(fh.read())
    confs.append(b"[genkan]\n" + b"".join(b"workers = x%d\n" % i for i in range(1, 41)))
    write(outdir, "fuzz_config", confs)
    DICTS["config"] = config_dict()
    for name, toks in DICTS.items():
        with open(os.path.join(outdir, "fuzz_%s.dict" % name), "w") as f:
            f.write("\n".join(toks) + "\n")
    for name in sorted(os.listdir(outdir)):
        d = os.path.join(outdir, name)
        if os.path.isdir(d):
            print("%-22s %4d seeds" % (name, len(os.listdir(d))))


if __name__ == "__main__":
    main()
