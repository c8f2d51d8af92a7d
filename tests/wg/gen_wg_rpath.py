#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Fixtures for the return-path test (tests/wg/test_wg_rpath.c): a home
gateway (port 0: LAN with the server 198.51.100.10; port 1: WAN, the
front door's endpoint 203.0.113.2:51821 and a default route via the ISP
203.0.113.254) whose peer "door" has AllowedIPs 198.18.0.1/32 only. Built
with scapy and the `cryptography` module, independent of genkan:

 - in_*: type-4 messages from the door (sealed with the door's sending
   key = our receiving key, receiver index WGR_LOCAL_IDX, counters from
   0), outer 203.0.113.2:51821 -> 203.0.113.1:51820; inner packets from
   internet clients (192.0.2.7, 2001:db8:c::7) to the server.
 - lan_*: what the server sends to the LAN port: the exact inner packet
   as the server gets it (TTL - 1), and its replies.
 - seal_*: the replies sealed back to the door (TTL/hop limit - 1, zero
   padding to 16, ChaCha20-Poly1305 with our sending key, nonce
   0^4 || le64(counter), counters from 0; outer IPv4 TTL 64, ID from 0,
   DF clear, UDP checksum 0).
 - srv_err*: ICMP errors from home to the client quoting its packets
   (fragmentation needed quoting the SYN, packet too big quoting the
   UDP query), sealed like replies; one to another address than the
   quoted source is no flow's.
 - wan_*: the same replies routed to the ISP instead (TTL - 1, L2 only).

usage: gen_wg_rpath.py OUT.h
"""
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from scapy.all import Ether, ICMP, ICMPv6PacketTooBig, IP, IPv6, Raw, TCP, \
    UDP

LAN_MAC, WAN_MAC = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
SRV_MAC, DOOR_MAC, ISP_MAC = "02:00:00:00:5e:10", "02:00:00:00:fe:02", \
    "02:00:00:00:ee:fe"
LISTEN, DOOR_PORT = 51820, 51821
HOME4, DOOR4 = "203.0.113.1", "203.0.113.2"
SRV4, SRV6 = "198.51.100.10", "2001:db8:b::10"
CLI4, CLI6 = "192.0.2.7", "2001:db8:c::7"
MTU = 1420
SEND_KEY = bytes((i * 29 + 7) & 0xff for i in range(32))
RECV_KEY = bytes((i * 13 + 1) & 0xff for i in range(32))
LOCAL_IDX, REMOTE_IDX = 0x5151a001, 0xc0de0042


def pad16(pt):
    n = min((len(pt) + 15) // 16 * 16, MTU)
    return pt + b"\0" * (n - len(pt))


def msg(key, idx, counter, pt):
    nonce = b"\0" * 4 + struct.pack("<Q", counter)
    return struct.pack("<IIQ", 4, idx, counter) + \
        ChaCha20Poly1305(key).encrypt(nonce, pad16(pt), None)


def from_door(counter, inner):
    """The door's type-4 message carrying inner, as it reaches port 1."""
    return bytes(Ether(dst=WAN_MAC, src=DOOR_MAC) /
                 IP(src=DOOR4, dst=HOME4, ttl=64, id=900 + counter) /
                 UDP(sport=DOOR_PORT, dport=LISTEN) /
                 Raw(msg(RECV_KEY, LOCAL_IDX, counter, inner)))


def to_door(counter, inner):
    """Our type-4 message to the door, as it leaves port 1."""
    return bytes(Ether(dst=DOOR_MAC, src=WAN_MAC) /
                 IP(src=HOME4, dst=DOOR4, ttl=64, id=counter, flags=0) /
                 UDP(sport=LISTEN, dport=DOOR_PORT, chksum=0) /
                 Raw(msg(SEND_KEY, REMOTE_IDX, counter, inner)))


def fwd(ip):
    """ip as the next hop gets it: TTL / hop limit - 1."""
    ip = ip.__class__(bytes(ip))
    if isinstance(ip, IP):
        ip.ttl -= 1
        del ip.chksum
    else:
        ip.hlim -= 1
    return ip.__class__(bytes(ip))


def l2(ip, dst, src):
    typ = 0x0800 if isinstance(ip, IP) else 0x86dd
    return bytes(Ether(dst=dst, src=src, type=typ) / ip)


def carr(b):
    return "{ " + ", ".join("0x%02x" % x for x in b) + " }"


def main():
    # Client -> server through the door: TCP SYN, ICMP echo, UDP over IPv6,
    # and one from an address inside the door's AllowedIPs (not learned).
    c_syn = IP(src=CLI4, dst=SRV4, ttl=60, id=1) / \
        TCP(sport=40000, dport=80, flags="S", seq=1000, window=64240)
    c_echo = IP(src=CLI4, dst=SRV4, ttl=60, id=2) / \
        ICMP(type=8, id=0x1234, seq=1) / Raw(b"ping")
    c_udp6 = IPv6(src=CLI6, dst=SRV6, hlim=60) / \
        UDP(sport=5353, dport=53) / Raw(b"query")
    c_fin = IP(src=CLI4, dst=SRV4, ttl=60, id=3) / \
        TCP(sport=40000, dport=80, flags="FA", seq=1001, ack=5001)
    c_own = IP(src="198.18.0.1", dst=SRV4, ttl=60, id=4) / \
        TCP(sport=41000, dport=80, flags="S", seq=1)
    # Server -> client: the replies, and one of no flow (other port).
    s_synack = IP(src=SRV4, dst=CLI4, ttl=64, id=11) / \
        TCP(sport=80, dport=40000, flags="SA", seq=5000, ack=1001,
            window=65160) / Raw(b"hello from home")
    s_echo = IP(src=SRV4, dst=CLI4, ttl=64, id=12) / \
        ICMP(type=0, id=0x1234, seq=1) / Raw(b"ping")
    s_udp6 = IPv6(src=SRV6, dst=CLI6, hlim=64) / \
        UDP(sport=53, dport=5353) / Raw(b"answer")
    s_other = IP(src=SRV4, dst=CLI4, ttl=64, id=13) / \
        TCP(sport=80, dport=40001, flags="SA", seq=7000, ack=1)
    # ICMP errors from home to the client, quoting what the server got
    # (RFC 792: IP header + 8 bytes; RFC 4443: as much as fits)
    s_err4 = IP(src=SRV4, dst=CLI4, ttl=64, id=14) / \
        ICMP(type=3, code=4, nexthopmtu=1400) / Raw(bytes(fwd(c_syn))[:28])
    s_err6 = IPv6(src=SRV6, dst=CLI6, hlim=64) / \
        ICMPv6PacketTooBig(mtu=1280) / Raw(bytes(fwd(c_udp6)))
    # ... and one to an address that is not the quoted client: no flow
    s_err4_bad = IP(src=SRV4, dst="192.0.2.99", ttl=64, id=15) / \
        ICMP(type=3, code=4, nexthopmtu=1400) / Raw(bytes(fwd(c_syn))[:28])

    fx = [
        ("in_syn", from_door(0, bytes(c_syn))),
        ("in_echo", from_door(1, bytes(c_echo))),
        ("in_udp6", from_door(2, bytes(c_udp6))),
        ("in_fin", from_door(3, bytes(c_fin))),
        ("in_own", from_door(4, bytes(c_own))),
        ("lan_syn", l2(fwd(c_syn), SRV_MAC, LAN_MAC)),
        ("lan_echo", l2(fwd(c_echo), SRV_MAC, LAN_MAC)),
        ("lan_udp6", l2(fwd(c_udp6), SRV_MAC, LAN_MAC)),
        ("srv_synack", l2(s_synack, LAN_MAC, SRV_MAC)),
        ("srv_echo", l2(s_echo, LAN_MAC, SRV_MAC)),
        ("srv_udp6", l2(s_udp6, LAN_MAC, SRV_MAC)),
        ("srv_other", l2(s_other, LAN_MAC, SRV_MAC)),
        ("srv_err4", l2(s_err4, LAN_MAC, SRV_MAC)),
        ("srv_err6", l2(s_err6, LAN_MAC, SRV_MAC)),
        ("srv_err4_bad", l2(s_err4_bad, LAN_MAC, SRV_MAC)),
        # sealed in this order: counters 0, 1, 2, 3, 4
        ("seal_synack", to_door(0, bytes(fwd(s_synack)))),
        ("seal_echo", to_door(1, bytes(fwd(s_echo)))),
        ("seal_udp6", to_door(2, bytes(fwd(s_udp6)))),
        ("seal_err4", to_door(3, bytes(fwd(s_err4)))),
        ("seal_err6", to_door(4, bytes(fwd(s_err6)))),
        ("wan_synack", l2(fwd(s_synack), ISP_MAC, WAN_MAC)),
        ("wan_other", l2(fwd(s_other), ISP_MAC, WAN_MAC)),
        ("wan_err4_bad", l2(fwd(s_err4_bad), ISP_MAC, WAN_MAC)),
        # the bare inner packets, for the table alone (meta set by hand)
        ("ip_syn", bytes(Ether(dst=LAN_MAC, src=SRV_MAC) / c_syn)),
        ("ip_fin", bytes(Ether(dst=LAN_MAC, src=SRV_MAC) / c_fin)),
        ("ip_echo", bytes(Ether(dst=LAN_MAC, src=SRV_MAC) / c_echo)),
        ("ip_udp6", bytes(Ether(dst=LAN_MAC, src=SRV_MAC) / c_udp6)),
        ("ip_err4", bytes(Ether(dst=LAN_MAC, src=SRV_MAC) / s_err4)),
        ("ip_err6", bytes(Ether(dst=LAN_MAC, src=SRV_MAC) / s_err6)),
        ("ip_err4_bad", bytes(Ether(dst=LAN_MAC, src=SRV_MAC) / s_err4_bad)),
    ]
    out = ["/* Generated by gen_wg_rpath.py (scapy + cryptography): do not edit. */",
           "#define WGR_LISTEN %d" % LISTEN,
           "#define WGR_DOOR_PORT %d" % DOOR_PORT,
           "#define WGR_MTU %d" % MTU,
           "#define WGR_LOCAL_IDX 0x%08xu" % LOCAL_IDX,
           "#define WGR_REMOTE_IDX 0x%08xu" % REMOTE_IDX,
           "static const uint8_t wgr_send_key[32] = %s;" % carr(SEND_KEY),
           "static const uint8_t wgr_recv_key[32] = %s;" % carr(RECV_KEY)]
    for name, b in fx:
        out.append("static const uint8_t wgr_%s[] = %s;" % (name, carr(b)))
    with open(sys.argv[1], "w") as fh:
        fh.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
