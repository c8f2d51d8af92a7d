#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Traceroute-style probe: one UDP datagram with TTL/hop limit 1 to DST.

Exit 0 when the answer is an ICMP Time Exceeded (RFC 792 type 11 code 0,
RFC 4443 section 3.3 type 3 code 0) from the expected router that quotes our
probe (same UDP destination port), 1 otherwise. Packets are built by scapy,
not by genkan.
"""
import random
import sys

from scapy.all import IP, IPv6, UDP, ICMP, ICMPv6TimeExceeded, IPerror, \
    IPerror6, UDPerror, conf, sr1


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: ttl.py DST EXPECTED_ROUTER')
    dst, router = sys.argv[1], sys.argv[2]
    conf.verb = 0
    dport = random.randint(33434, 33534)
    v6 = ':' in dst
    if v6:
        probe = IPv6(dst=dst, hlim=1) / UDP(sport=40000, dport=dport) / b'genkan-ttl'
    else:
        probe = IP(dst=dst, ttl=1) / UDP(sport=40000, dport=dport) / b'genkan-ttl'
    ans = None
    for _ in range(3):
        ans = sr1(probe, timeout=2)
        if ans is not None:
            break
    if ans is None:
        print('no answer to TTL 1 probe to %s' % dst)
        return 1
    print('answer: %s' % ans.summary())
    if v6:
        ok = (ans.haslayer(ICMPv6TimeExceeded) and ans[IPv6].src == router and
              ans[ICMPv6TimeExceeded].code == 0 and ans.haslayer(IPerror6) and
              ans.haslayer(UDPerror) and ans[UDPerror].dport == dport)
    else:
        ok = (ans.haslayer(ICMP) and ans[ICMP].type == 11 and ans[ICMP].code == 0 and
              ans[IP].src == router and ans.haslayer(IPerror) and
              ans.haslayer(UDPerror) and ans[UDPerror].dport == dport)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
