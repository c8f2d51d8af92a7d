#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Martian sources (RFC 1812 5.3.7, RFC 4291): COUNT UDP datagrams from each
martian source address in KINDS to DST4 / DST6, sent as Ethernet frames to
the gateway's MAC on IFACE (the kernel would refuse most of these sources).
Built by scapy, never by genkan. Prints the number of frames sent.
"""
import sys

from scapy.all import IP, IPv6, UDP, Ether, conf, sendp

# source -> the genkan worker drop reason it must be counted as
KINDS4 = [("127.0.0.1", "martian_src_loopback"),
          ("0.0.0.0", "martian_src_unspec"),
          ("255.255.255.255", "martian_src_reserved"),
          ("224.0.0.1", "martian_src_multicast"),
          ("240.0.0.1", "martian_src_reserved")]
KINDS6 = [("::1", "martian_src_loopback"),
          ("::", "martian_src_unspec"),
          ("ff02::1", "martian_src_multicast"),
          ("::ffff:127.0.0.1", "martian_src_loopback"),
          ("::ffff:192.0.2.9", "martian_src_v4mapped")]


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "expect":
        # reason count per COUNT: what the e2e script checks
        want = {}
        for _, why in KINDS4 + KINDS6:
            want[why] = want.get(why, 0) + 1
        for why, n in sorted(want.items()):
            print(why, n)
        return 0
    if len(sys.argv) != 6:
        sys.exit("usage: martian.py IFACE GW_MAC DST4 DST6 COUNT | expect")
    iface, mac, dst4, dst6, n = sys.argv[1:6]
    conf.verb = 0
    frames = []
    for src, _ in KINDS4:
        frames.append(Ether(dst=mac) / IP(src=src, dst=dst4) /
                      UDP(sport=40000, dport=9099) / b"genkan-martian")
    for src, _ in KINDS6:
        frames.append(Ether(dst=mac) / IPv6(src=src, dst=dst6) /
                      UDP(sport=40000, dport=9099) / b"genkan-martian")
    frames = frames * int(n)
    sendp(frames, iface=iface, verbose=False)
    print(len(frames))
    return 0


if __name__ == "__main__":
    sys.exit(main())
