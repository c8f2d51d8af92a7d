#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Writes the AF_XDP test frames: [u16 little-endian length][frame bytes]...
# scapy is the oracle: the C test only compares bytes against these.
import struct
import sys

from scapy.all import IP, UDP, TCP, ICMP, IPv6, Ether, Raw

SRC = "02:00:00:00:0a:01"
DST = "02:00:00:00:0b:01"

frames = [
    Ether(src=SRC, dst=DST) / IP(src="192.0.2.1", dst="198.51.100.7", ttl=64)
    / UDP(sport=4000, dport=5000) / Raw(b"h4-afxdp-udp4"),
    Ether(src=SRC, dst=DST) / IPv6(src="2001:db8::1", dst="2001:db8:1::7")
    / TCP(sport=1234, dport=80, flags="S") / Raw(b"h4-afxdp-tcp6"),
    Ether(src=SRC, dst=DST) / IP(src="203.0.113.9", dst="198.18.0.1")
    / ICMP(id=7, seq=1) / Raw(b"h4-afxdp-big" + bytes(range(256)) * 5),
    Ether(src=SRC, dst=DST) / IP(src="198.51.100.3", dst="192.0.2.200")
    / UDP(sport=53, dport=53) / Raw(b"h4-afxdp-min"),
]

with open(sys.argv[1], "wb") as f:
    for p in frames:
        b = bytes(p)
        if len(b) < 60:
            b += bytes(60 - len(b))
        f.write(struct.pack("<H", len(b)) + b)
