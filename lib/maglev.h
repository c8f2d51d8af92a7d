/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev lookup table (Eisenbud et al., "Maglev: A Fast and Reliable
 * Software Network Load Balancer", NSDI 2016, §3.4, Pseudocode 1), with
 * weights, and the flow hash that indexes it. Pure: no globals, no state;
 * genkand builds tables, workers and genkanctl look them up.
 *
 * The table depends on the backends' keys, weights and health and on M
 * only: not on the order backends are given in, nor on any seed, so two
 * gateways with the same config give every flow the same backend.
 *
 * Hash: SipHash-2-4 (Aumasson, Bernstein, "SipHash: a fast short-input
 * PRF", 2012) with fixed public keys, three of them: h1 and h2 of a
 * backend's key give its offset and skip, the third hashes flows. Keyed
 * means one function gives independent hashes; it is defined on bytes
 * (little-endian words), so it is the same on every host; and it has
 * published test vectors.
 */
#ifndef GK_MAGLEV_H
#define GK_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GK_MAGLEV_NONE		UINT32_MAX	/* table entry: no usable backend */
#define GK_MAGLEV_M_DEFAULT	65537u
#define GK_MAGLEV_M_MAX		1048573u	/* largest prime below 2^20 */
#define GK_MAGLEV_KEY_MIN	16
#define GK_MAGLEV_KEY_MAX	64
#define GK_MAGLEV_KEY_INET_LEN	20		/* gk_maglev_key_inet() */

/* SipHash keys (k0, k1): the 16 ASCII bytes shown, read as two LE words. */
#define GK_MAGLEV_H1_K0		0x6d206e616b6e6567ull	/* "genkan maglev h1" */
#define GK_MAGLEV_H1_K1		0x31682076656c6761ull
#define GK_MAGLEV_H2_K0		0x6d206e616b6e6567ull	/* "genkan maglev h2" */
#define GK_MAGLEV_H2_K1		0x32682076656c6761ull
#define GK_MAGLEV_FLOW_K0	0x66206e616b6e6567ull	/* "genkan flow hash" */
#define GK_MAGLEV_FLOW_K1	0x6873616820776f6cull

/*
 * A backend as the builder sees it. The key is its identity (two backends
 * with equal keys are refused); weight 0 or down != 0 leaves it out of the
 * table. Fill the key with gk_maglev_key_inet() or with any stable 16..64
 * bytes of your own.
 */
struct gk_maglev_backend {
	uint8_t key[GK_MAGLEV_KEY_MAX];
	uint8_t key_len;	/* GK_MAGLEV_KEY_MIN..GK_MAGLEV_KEY_MAX */
	uint8_t down;		/* health: nonzero = excluded */
	uint8_t pad[2];
	uint32_t weight;	/* relative share; 0 = excluded */
};

/*
 * Key of an address:port backend, GK_MAGLEV_KEY_INET_LEN bytes:
 *   [0] 4 or 6 (IP version), [1] 0, [2..3] port big-endian,
 *   [4..19] the address, IPv4 as ::ffff:a.b.c.d (RFC 4291 §2.5.5.2).
 * @addr is network order (struct in_addr / in6_addr bytes), @port a value.
 * Sets key and key_len only. 0, or -EAFNOSUPPORT for another family.
 */
int gk_maglev_key_inet(struct gk_maglev_backend *b, int family, const void *addr,
		       uint16_t port);

/* Trial division; M must be prime for every skip to visit every slot. */
bool gk_maglev_is_prime(uint32_t m);

/*
 * Fills table[0..m-1] with indices into @b (position in the caller's
 * array), or GK_MAGLEV_NONE everywhere when no backend is usable (n = 0,
 * all weights 0 or all down).
 *
 * Backends are taken in the order of their keys (bytewise, shorter first),
 * never in the order given. Backend i gets offset = h1 % m and
 * skip = h2 % (m - 1) + 1, h1/h2 = SipHash-2-4 of its key under the H1/H2
 * keys above, and fills its preference list (offset + j * skip) % m as in
 * Pseudocode 1. Weights as Katran's MaglevHashV2: a round visits every
 * usable backend once in key order, each adds its weight to a credit and
 * takes a turn (one slot) when the credit reaches the largest weight W,
 * paying W. Over W rounds a backend of weight w takes w turns, so shares
 * follow the weights and scaling every weight alike changes nothing.
 *
 * 0; -EINVAL if m is not a prime in 2..GK_MAGLEV_M_MAX, n > m, a key
 * length is out of range or two keys are equal; -ENOMEM. On error @table
 * is untouched. Allocates O(n) scratch; takes about m * ln(m) probes plus
 * n * m * W / (sum of weights) credit steps (m for equal weights).
 */
int gk_maglev_build(const struct gk_maglev_backend *b, size_t n, uint32_t m,
		    uint32_t *table);

/* Backend index for a flow, or GK_MAGLEV_NONE. */
static inline uint32_t gk_maglev_lookup(const uint32_t *table, uint32_t m,
					uint64_t flow_hash)
{
	return table[flow_hash % m];
}

/* Little-endian load on any host; compilers make it one load on x86. */
static inline uint64_t gk_maglev_le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	       (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
	       (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static inline uint64_t gk_maglev_rotl(uint64_t x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

#define GK_MAGLEV_SIPROUND(v0, v1, v2, v3)				\
	do {								\
		v0 += v1; v1 = gk_maglev_rotl(v1, 13); v1 ^= v0;	\
		v0 = gk_maglev_rotl(v0, 32);				\
		v2 += v3; v3 = gk_maglev_rotl(v3, 16); v3 ^= v2;	\
		v0 += v3; v3 = gk_maglev_rotl(v3, 21); v3 ^= v0;	\
		v2 += v1; v1 = gk_maglev_rotl(v1, 17); v1 ^= v2;	\
		v2 = gk_maglev_rotl(v2, 32);				\
	} while (0)

/* SipHash-2-4 with 64-bit output (SipHash paper §2); key = k0 || k1 LE. */
static inline uint64_t gk_maglev_siphash24(uint64_t k0, uint64_t k1,
					   const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull;
	uint64_t v3 = k1 ^ 0x7465646279746573ull;
	uint64_t m, last = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		m = gk_maglev_le64(p + i);
		v3 ^= m;
		GK_MAGLEV_SIPROUND(v0, v1, v2, v3);
		GK_MAGLEV_SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		last |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= last;
	GK_MAGLEV_SIPROUND(v0, v1, v2, v3);
	GK_MAGLEV_SIPROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	for (int r = 0; r < 4; r++)
		GK_MAGLEV_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

#define GK_MAGLEV_FLOW_LEN	40

/*
 * Flow hash of a connection to a Maglev service, the same in genkanctl
 * (`l4 lookup`) and in the data plane: SipHash-2-4 under the FLOW key of
 * these 40 bytes:
 *   [0..15]  client address     IPv6, or IPv4 as ::ffff:a.b.c.d
 *   [16..31] listen address     (the public address:port the client hit)
 *   [32..33] client port        big-endian
 *   [34..35] listen port        big-endian
 *   [36]     IP protocol        (6 TCP, 17 UDP, ...)
 *   [37..39] 0
 * Addresses are 16 bytes in network order, as they sit in the packet;
 * ports are values (host order: ntohs() of the header field). The index is
 * then hash % M (gk_maglev_lookup()).
 */
static inline uint64_t gk_maglev_flow_hash(const uint8_t caddr[16], uint16_t cport,
					   const uint8_t laddr[16], uint16_t lport,
					   uint8_t proto)
{
	uint8_t t[GK_MAGLEV_FLOW_LEN] = { 0 };

	memcpy(t, caddr, 16);
	memcpy(t + 16, laddr, 16);
	t[32] = (uint8_t)(cport >> 8);
	t[33] = (uint8_t)cport;
	t[34] = (uint8_t)(lport >> 8);
	t[35] = (uint8_t)lport;
	t[36] = proto;
	return gk_maglev_siphash24(GK_MAGLEV_FLOW_K0, GK_MAGLEV_FLOW_K1, t, sizeof(t));
}

/* The same for IPv4: 4-byte addresses in network order, mapped as above. */
static inline uint64_t gk_maglev_flow_hash4(const uint8_t caddr[4], uint16_t cport,
					    const uint8_t laddr[4], uint16_t lport,
					    uint8_t proto)
{
	uint8_t c[16] = { [10] = 0xff, [11] = 0xff };
	uint8_t l[16] = { [10] = 0xff, [11] = 0xff };

	memcpy(c + 12, caddr, 4);
	memcpy(l + 12, laddr, 4);
	return gk_maglev_flow_hash(c, cport, l, lport, proto);
}

#endif
