# SPDX-License-Identifier: BSD-3-Clause
"""
Python shared by the netns e2e scripts (beside lib.sh, which exports its
directory as E2E_LIB): the RFC 7597 oracle (CE parameters, port sets), the WireGuard handshake flood,
a UDP sink. Independent of genkan's code: written from the RFC and the
WireGuard whitepaper.

usage: e2e_lib.py sink PORT OUT; the scripts' own helpers import the rest.
"""
import base64
import hashlib
import ipaddress
import random
import socket
import sys


# RFC 7597 §5.1, §5.2 and §6 with integers: the IPv4 address, PSID, PSID
# length and CE IPv6 address of end-user prefix EUP under rule R6, R4 with
# O EA bits.
def ce_params(r6, r4, o, eup):
    n6, n4, e = (ipaddress.ip_network(x) for x in (r6, r4, eup))
    p = 32 - n4.prefixlen
    k = o - p
    eui = int(e.network_address)
    ea = (eui >> (128 - n6.prefixlen - o)) & ((1 << o) - 1)
    v4 = int(n4.network_address) | (ea >> k)
    psid = ea & ((1 << k) - 1)
    cut = n6.prefixlen + o
    pfx64 = (eui >> (128 - cut)) << (64 - cut)	# subnet id 0
    iid = (v4 << 16) | psid			# 16 zero bits, IPv4, PSID
    return str(ipaddress.IPv4Address(v4)), psid, k, \
        str(ipaddress.IPv6Address((pfx64 << 64) | iid))


# RFC 7597 §5.1: port J of block A in the set of PSID psid (offset a,
# PSID length k).
def port(a, k, psid, A, j):
    m = 16 - a - k
    return (A << (16 - a)) | (psid << m) | j


# The set of PSID psid: one list of ports a block, A = 1 ... 2^a - 1.
def port_ranges(a, k, psid):
    m = 16 - a - k
    return [[port(a, k, psid, A, j) for j in range(1 << m)]
            for A in range(1, 1 << a)]


# flood IFACE DSTMAC DST DPORT RESPONDER_PUB_B64 COUNT SRC_PREFIX FIRST NSRC
# [LEN]: handshake initiations (type 1) with random contents (from SEED), a
# valid mac1 (whitepaper §5.4.4: mac1 = MAC(HASH("mac1----" || Spub_r),
# msg[0:116]), MAC = keyed BLAKE2s-128) and a zero, so wrong, mac2, from
# NSRC source addresses SRC_PREFIX.FIRST ...; LEN (148) pads or cuts the
# message.
def flood(argv, seed):
    from scapy.all import Ether, IP, UDP, Raw, sendp, get_if_hwaddr
    ifc, dmac, dst, dport, pub, n, pfx, first, nsrc = argv[:9]
    ln = int(argv[9]) if len(argv) > 9 else 148
    spub = base64.b64decode(pub)
    assert len(spub) == 32
    k1 = hashlib.blake2s(b'mac1----' + spub).digest()
    smac = get_if_hwaddr(ifc)
    rnd = random.Random(seed)
    pk = []
    for i in range(int(n)):
        body = b'\x01\x00\x00\x00' + rnd.randbytes(4 + 32 + 48 + 28)
        mac1 = hashlib.blake2s(body, key=k1, digest_size=16).digest()
        msg = body + mac1 + bytes(16)
        assert len(msg) == 148
        msg = (msg + bytes(max(0, ln - 148)))[:ln]
        src = '%s.%d' % (pfx, int(first) + i % int(nsrc))
        pk.append(Ether(src=smac, dst=dmac) / IP(src=src, dst=dst) /
                  UDP(sport=40000 + i % 1000, dport=int(dport)) / Raw(msg))
    sendp(pk, iface=ifc, verbose=False)


# sink PORT OUT: one line "payload-tag src sport" per datagram, flushed.
def sink(argv):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', int(argv[0])))
    with open(argv[1], 'a', buffering=1) as f:
        while True:
            b, (h, sp) = s.recvfrom(4096)
            f.write('%s %s %d\n' % (b.decode(errors='replace').split()[0], h, sp))


if __name__ == '__main__':
    {'sink': sink}[sys.argv[1]](sys.argv[2:])
