#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Independent model of the Maglev table (lib/maglev.h) -> maglev_fixtures.h.

Written from the papers, not from lib/maglev.c:
  - SipHash-2-4 as the SipHash paper (Aumasson, Bernstein 2012) states
    it: pad the message with zeros to 7 mod 8 bytes, append len mod 256,
    c = 2 compression rounds per word, d = 4 finalization rounds. Checked
    here against the 64 vectors of the reference implementation and the
    paper's Appendix A example before anything is written.
  - The population loop of Maglev (NSDI 2016 §3.4, Pseudocode 1) with
    permutation[i][j] = (offset + j * skip) % M as the paper defines it,
    and Katran's MaglevHashV2 weighting: each pass over the backends adds
    a backend's weight to its credit; it takes a turn when the credit
    reaches the largest weight, which is then paid back.
  - Backends in key order (bytes, shorter first); table entries are the
    backends' positions in the list as given.

The C test compares gk_maglev_build() with these tables entry for entry,
gk_maglev_key_inet() with these keys, and the flow hash with these hashes.

Usage: gen_maglev.py OUT.h
"""
import ipaddress
import os
import random
import sys

MASK = (1 << 64) - 1
NONE = 0xffffffff
HERE = os.path.dirname(os.path.abspath(__file__))


def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & MASK


def sipround(v):
    v0, v1, v2, v3 = v
    v0 = (v0 + v1) & MASK
    v1 = rotl(v1, 13) ^ v0
    v0 = rotl(v0, 32)
    v2 = (v2 + v3) & MASK
    v3 = rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & MASK
    v3 = rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & MASK
    v1 = rotl(v1, 17) ^ v2
    v2 = rotl(v2, 32)
    return [v0, v1, v2, v3]


def siphash24(key, msg):
    """SipHash-2-4 of bytes msg under a 16-byte key, as an integer."""
    assert len(key) == 16
    k0 = int.from_bytes(key[:8], 'little')
    k1 = int.from_bytes(key[8:], 'little')
    v = [k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d,
         k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573]
    padded = msg + bytes((7 - len(msg) % 8) % 8) + bytes([len(msg) % 256])
    assert len(padded) % 8 == 0
    for w in range(0, len(padded), 8):
        m = int.from_bytes(padded[w:w + 8], 'little')
        v[3] ^= m
        v = sipround(sipround(v))
        v[0] ^= m
    v[2] ^= 0xff
    for _ in range(4):
        v = sipround(v)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def load_vectors():
    out = []
    with open(os.path.join(HERE, 'siphash_vectors.txt')) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                out.append(bytes.fromhex(line))
    assert len(out) == 64
    return out


def self_check(vectors):
    key = bytes(range(16))
    for i, want in enumerate(vectors):
        got = siphash24(key, bytes(range(i))).to_bytes(8, 'little')
        if got != want:
            sys.exit(f'gen_maglev: SipHash model fails vector {i}')
    # SipHash paper, Appendix A: 15-byte message 00..0e.
    if siphash24(key, bytes(range(15))) != 0xa129ca6149be45e5:
        sys.exit('gen_maglev: SipHash model fails the Appendix A example')


KEY_H1 = b'genkan maglev h1'
KEY_H2 = b'genkan maglev h2'
KEY_FLOW = b'genkan flow hash'


def inet_key(addr, port):
    """Backend identity: version, 0, port BE, address as 16 bytes."""
    a = ipaddress.ip_address(addr)
    if a.version == 4:
        packed = ipaddress.IPv6Address('::ffff:' + addr).packed
    else:
        packed = a.packed
    return bytes([a.version, 0]) + port.to_bytes(2, 'big') + packed


def is_prime(n):
    return n >= 2 and all(n % d for d in range(2, int(n ** 0.5) + 1))


def maglev(backends, M):
    """backends: list of dicts with key, weight, down. Pseudocode 1."""
    assert is_prime(M)
    order = sorted(range(len(backends)), key=lambda i: backends[i]['key'])
    live = [i for i in order
            if backends[i]['weight'] > 0 and not backends[i]['down']]
    entry = [NONE] * M
    if not live:
        return entry
    N = len(live)
    offset = [siphash24(KEY_H1, backends[i]['key']) % M for i in live]
    skip = [siphash24(KEY_H2, backends[i]['key']) % (M - 1) + 1 for i in live]
    weight = [backends[i]['weight'] for i in live]
    top = max(weight)
    credit = [0] * N
    nxt = [0] * N
    n = 0
    while True:
        for i in range(N):
            credit[i] += weight[i]
            if credit[i] < top:
                continue
            credit[i] -= top
            c = (offset[i] + nxt[i] * skip[i]) % M
            while entry[c] != NONE:
                nxt[i] += 1
                c = (offset[i] + nxt[i] * skip[i]) % M
            entry[c] = live[i]
            nxt[i] += 1
            n += 1
            if n == M:
                return entry


def flow_hash(caddr, cport, laddr, lport, proto):
    def a16(s):
        a = ipaddress.ip_address(s)
        return (ipaddress.IPv6Address('::ffff:' + s).packed if a.version == 4
                else a.packed)
    t = (a16(caddr) + a16(laddr) + cport.to_bytes(2, 'big') +
         lport.to_bytes(2, 'big') + bytes([proto]) + bytes(3))
    assert len(t) == 40
    return siphash24(KEY_FLOW, t)


def be(addr, port, weight=1, down=False):
    return {'addr': addr, 'port': port, 'weight': weight, 'down': down,
            'key': inet_key(addr, port)}


def raw(key, weight=1, down=False):
    return {'addr': None, 'port': 0, 'weight': weight, 'down': down,
            'key': key}


def v4pool(rng, n, base='10.1'):
    out = set()
    while len(out) < n:
        out.add((f'{base}.{rng.randrange(256)}.{rng.randrange(1, 255)}',
                 rng.choice((80, 443, 8080))))
    out = sorted(out)
    rng.shuffle(out)
    return out


def cases():
    rng = random.Random(11)
    c = []
    c.append(('3 backends, M = 7 (the paper\'s Table 1 size)', 7,
              [be('192.0.2.3', 80), be('192.0.2.1', 80), be('192.0.2.2', 80)]))
    c.append(('n = M: 7 backends, M = 7', 7,
              [be(f'192.0.2.{i}', 443) for i in (5, 1, 7, 3, 2, 6, 4)]))
    c.append(('5 equal, M = 13', 13,
              [be(f'2001:db8::{i:x}', 53) for i in (9, 2, 17, 4, 33)]))
    c.append(('weights 3:1:1, M = 101', 101,
              [be('198.51.100.2', 80, 1), be('198.51.100.1', 80, 3),
               be('198.51.100.3', 80, 1)]))
    c.append(('weights 300:100:100, M = 101 (same table as 3:1:1)', 101,
              [be('198.51.100.2', 80, 100), be('198.51.100.1', 80, 300),
               be('198.51.100.3', 80, 100)]))
    b = [be(a, p) for a, p in v4pool(rng, 10)]
    b[3]['down'] = True
    b[6]['weight'] = 0
    c.append(('10 backends, one down, one weight 0, M = 251', 251, b))
    b = [be(a, p, rng.randint(1, 5)) for a, p in v4pool(rng, 6, '172.16')]
    b += [be(f'2001:db8:{rng.randrange(65536):x}::{rng.randrange(1, 65536):x}',
             443, rng.randint(1, 5)) for _ in range(6)]
    rng.shuffle(b)
    c.append(('12 mixed IPv4/IPv6, weights 1..5, M = 1021', 1021, b))
    # Raw keys: a 16-byte key is a prefix of a 17-byte one (shorter first).
    k16 = bytes(range(16))
    c.append(('raw keys of 16, 17, 40 and 64 bytes, M = 257', 257,
              [raw(bytes(range(64)), 2), raw(k16 + b'\x00'), raw(k16),
               raw(b'\xff' * 40, 3)]))
    c.append(('weights 1000000:1, M = 4093', 4093,
              [be('203.0.113.9', 25, 1), be('203.0.113.8', 25, 1000000)]))
    c.append(('all weights 0, M = 13', 13,
              [be('192.0.2.1', 80, 0), be('192.0.2.2', 80, 0)]))
    c.append(('all down, M = 13', 13,
              [be('192.0.2.1', 80, 1, True), be('192.0.2.2', 80, 2, True)]))
    c.append(('one backend, M = 65537', 65537, [be('192.0.2.77', 8443)]))
    c.append(('weights 3:1:1, M = 65537', 65537,
              [be('198.51.100.3', 80, 1), be('198.51.100.1', 80, 3),
               be('198.51.100.2', 80, 1)]))
    c.append(('10 equal, M = 65537', 65537,
              [be(a, p) for a, p in v4pool(rng, 10, '10.2')]))
    c.append(('100 equal, M = 65537', 65537,
              [be(a, p) for a, p in v4pool(rng, 100, '10.3')]))
    c.append(('40 backends, weights 1..10, 3 down, M = 65537', 65537,
              [be(a, p, rng.randint(1, 10), rng.random() < 0.08)
               for a, p in v4pool(rng, 40, '10.4')]))
    return c


def flows():
    rng = random.Random(7)
    out = [
        ('192.0.2.1', 1234, '198.51.100.10', 80, 6),
        ('192.0.2.1', 1234, '198.51.100.10', 80, 17),
        ('198.51.100.10', 80, '192.0.2.1', 1234, 6),
        ('2001:db8::1', 50000, '2001:db8:ffff::10', 443, 6),
        ('0.0.0.0', 0, '0.0.0.0', 0, 0),
        ('255.255.255.255', 65535, '255.255.255.255', 65535, 255),
    ]
    for _ in range(24):
        if rng.random() < 0.5:
            ca = str(ipaddress.IPv4Address(rng.getrandbits(32)))
            la = str(ipaddress.IPv4Address(rng.getrandbits(32)))
        else:
            ca = str(ipaddress.IPv6Address(rng.getrandbits(128)))
            la = str(ipaddress.IPv6Address(rng.getrandbits(128)))
        out.append((ca, rng.randrange(65536), la, rng.randrange(65536),
                    rng.choice((6, 17, 132))))
    return [(f, flow_hash(*f)) for f in out]


def cbytes(b):
    return '{ ' + ', '.join(f'0x{x:02x}' for x in b) + ' }'


def main():
    vectors = load_vectors()
    self_check(vectors)
    o = ['/* Generated by tests/maglev/gen_maglev.py: an independent model. */',
         '#include <stddef.h>', '#include <stdint.h>', '']
    o.append('static const uint8_t fx_sip_vectors[64][8] = {')
    o += [f'\t{cbytes(v)},' for v in vectors]
    o.append('};')
    o.append('')
    o.append('struct fx_key { const char *ascii; uint64_t k0, k1; };')
    o.append('static const struct fx_key fx_keys[] = {')
    for k in (KEY_H1, KEY_H2, KEY_FLOW):
        o.append(f'\t{{ "{k.decode()}", 0x{int.from_bytes(k[:8], "little"):016x}ull, '
                 f'0x{int.from_bytes(k[8:], "little"):016x}ull }},')
    o.append('};')
    o.append('')
    o.append('struct fx_backend { const char *addr; uint16_t port; uint32_t weight;')
    o.append('\tuint8_t down; uint8_t key_len; uint8_t key[64]; };')
    o.append('struct fx_case { const char *what; uint32_t m; size_t n;')
    o.append('\tconst struct fx_backend *b; const uint32_t *table; };')
    o.append('')
    cs = cases()
    for ci, (what, m, bs) in enumerate(cs):
        o.append(f'static const struct fx_backend fx_b{ci}[] = {{')
        for b in bs:
            addr = f'"{b["addr"]}"' if b['addr'] else 'NULL'
            o.append(f'\t{{ {addr}, {b["port"]}, {b["weight"]}, '
                     f'{int(b["down"])}, {len(b["key"])}, {cbytes(b["key"])} }},')
        o.append('};')
        t = maglev(bs, m)
        o.append(f'static const uint32_t fx_t{ci}[{m}] = {{')
        for r in range(0, m, 16):
            o.append('\t' + ', '.join(f'{x}u' for x in t[r:r + 16]) + ',')
        o.append('};')
    o.append('static const struct fx_case fx_cases[] = {')
    for ci, (what, m, bs) in enumerate(cs):
        o.append(f'\t{{ "{what}", {m}, {len(bs)}, fx_b{ci}, fx_t{ci} }},')
    o.append('};')
    o.append('')
    o.append('struct fx_flow { const char *caddr; uint16_t cport;')
    o.append('\tconst char *laddr; uint16_t lport; uint8_t proto; uint64_t hash; };')
    o.append('static const struct fx_flow fx_flows[] = {')
    for (ca, cp, la, lp, pr), h in flows():
        o.append(f'\t{{ "{ca}", {cp}, "{la}", {lp}, {pr}, 0x{h:016x}ull }},')
    o.append('};')
    with open(sys.argv[1], 'w') as f:
        f.write('\n'.join(o) + '\n')


if __name__ == '__main__':
    main()
