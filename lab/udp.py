#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Exact-count UDP source and sink for the genkan lab.

The source sends COUNT datagrams, each carrying a run id and its sequence
number; the sink counts distinct sequence numbers of that run, so duplicates
or stray packets cannot inflate the result. The sink exits once it has seen
COUNT datagrams, or when nothing arrived for --idle seconds (only a failure
path: a passing run never waits for it).
"""
import argparse
import os
import socket
import struct
import sys
import time

HDR = struct.Struct('!4sII')	# magic, run id, sequence
MAGIC = b'GKLB'


def family(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def source(a):
    s = socket.socket(family(a.dst), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    if a.ttl:
        if family(a.dst) == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, a.ttl)
        else:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, a.ttl)
    pad = b'\0' * max(0, a.size - HDR.size)
    for seq in range(a.count):
        s.sendto(HDR.pack(MAGIC, a.run, seq) + pad, (a.dst, a.port))
        # Pace in small bursts: this measures correctness, not capacity, so
        # keep well below what a veth ring or socket buffer can absorb.
        if seq % a.burst == a.burst - 1:
            time.sleep(a.gap)
    print('sent %d datagrams of %d bytes to %s:%d' % (a.count, max(a.size, HDR.size),
                                                     a.dst, a.port))


def sink(a):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(('::', a.port))
    s.settimeout(a.idle)
    seen = set()
    runs = {}
    while len(seen) < a.count:
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        if len(data) < HDR.size:
            continue
        magic, run, seq = HDR.unpack_from(data)
        if magic != MAGIC:
            continue
        # The first run id seen is the one counted.
        runs.setdefault('id', run)
        if run == runs['id']:
            seen.add(seq)
    with open(a.out + '.tmp', 'w') as f:
        f.write('%d\n' % len(seen))
    os.rename(a.out + '.tmp', a.out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('mode', choices=['source', 'sink'])
    p.add_argument('--dst')
    p.add_argument('--port', type=int, required=True)
    p.add_argument('--count', type=int, required=True)
    p.add_argument('--size', type=int, default=200)
    p.add_argument('--ttl', type=int, default=0)
    p.add_argument('--burst', type=int, default=16)
    p.add_argument('--gap', type=float, default=0.002)
    p.add_argument('--idle', type=float, default=10.0)
    p.add_argument('--run', type=int, default=os.getpid())
    p.add_argument('--out')
    a = p.parse_args()
    if a.mode == 'source':
        if not a.dst:
            sys.exit('--dst needed')
        source(a)
    else:
        if not a.out:
            sys.exit('--out needed')
        sink(a)


if __name__ == '__main__':
    main()
