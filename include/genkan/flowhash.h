/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow hash shared by the XDP classifier and the software classifier, so
 * both steer a flow identically. Inputs are the raw network-order words of
 * the addresses and ports; the hash is symmetric-free on purpose (direction
 * matters for steering NAT state later).
 */
#ifndef GENKAN_FLOWHASH_H
#define GENKAN_FLOWHASH_H

#include <linux/types.h>

static inline __u32 gk_rol32(__u32 w, unsigned int s)
{
	return (w << s) | (w >> ((-s) & 31));
}

/* One round of a murmur3-style mixer; cheap and good enough for steering. */
static inline __u32 gk_hash_mix(__u32 h, __u32 k)
{
	k *= 0xcc9e2d51u;
	k = gk_rol32(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = gk_rol32(h, 13);
	return h * 5 + 0xe6546b64u;
}

static inline __u32 gk_hash_final(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

#define GK_FLOWHASH_SEED 0x9e3779b9u

/*
 * IPv4: words are saddr, daddr (network order as loaded), ports is
 * (sport | dport << 16) as loaded from the packet (0 without L4 ports),
 * proto the IP protocol.
 */
static inline __u32 gk_flow_hash4(__u32 saddr, __u32 daddr, __u32 ports,
				  __u32 proto)
{
	__u32 h = GK_FLOWHASH_SEED;

	h = gk_hash_mix(h, saddr);
	h = gk_hash_mix(h, daddr);
	h = gk_hash_mix(h, ports);
	h = gk_hash_mix(h, proto);
	return gk_hash_final(h);
}

/* IPv6: s and d are the four 32-bit words of each address as loaded. */
static inline __u32 gk_flow_hash6(const __u32 *s, const __u32 *d, __u32 ports,
				  __u32 proto)
{
	__u32 h = GK_FLOWHASH_SEED;

	h = gk_hash_mix(h, s[0]);
	h = gk_hash_mix(h, s[1]);
	h = gk_hash_mix(h, s[2]);
	h = gk_hash_mix(h, s[3]);
	h = gk_hash_mix(h, d[0]);
	h = gk_hash_mix(h, d[1]);
	h = gk_hash_mix(h, d[2]);
	h = gk_hash_mix(h, d[3]);
	h = gk_hash_mix(h, ports);
	h = gk_hash_mix(h, proto);
	return gk_hash_final(h);
}

#endif
