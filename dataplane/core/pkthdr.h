/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet header helpers every stage shares: unaligned loads and stores of
 * header fields, TTL/hop limit decrement, the metadata of a packet after
 * encapsulation or decapsulation: inline, because stages use them per
 * packet. The ICMP error headers (pkthdr.c) are out of line: errors are
 * rare. None allocates or fails.
 */
#ifndef GK_PKTHDR_H
#define GK_PKTHDR_H

#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <genkan/flowhash.h>
#include <genkan/meta.h>

/*
 * Big-endian (network order) fields as host-order values, at any
 * alignment. The byte shifts compile to one load or store and a swap.
 */
static inline uint16_t gk_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t gk_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void gk_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void gk_wr32(uint8_t *p, uint32_t v)
{
	gk_wr16(p, (uint16_t)(v >> 16));
	gk_wr16(p + 2, (uint16_t)v);
}

/*
 * Fields as they sit in the packet, not swapped, at any alignment: for
 * checksum arithmetic (csum.h works on stored values), addresses and
 * hashes.
 */
static inline uint16_t gk_ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t gk_ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void gk_st16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void gk_st32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/*
 * RFC 1812 section 5.3.1: TTL - 1, the caller having checked TTL > 1.
 * Header checksum by RFC 1624 section 3, eqn. 3 with m' = m - 0x0100 (TTL
 * is the high byte of its word): ~m + m' is the constant 0xfeff, so
 * HC' = ~(~HC + 0xfeff) = HC + 0x0100 with end-around carry, where a sum
 * of exactly 0xffff also wraps to 0 (eqn. 3 never yields 0xffff). Byte
 * order does not matter (RFC 1071 section 2(B)).
 */
static inline void gk_ip4_ttl_dec(uint8_t *ip)
{
	uint32_t csum;

	ip[8]--;
	csum = (uint32_t)gk_ld16(ip + 10) + htons(0x0100);
	gk_st16(ip + 10, (uint16_t)(csum + (csum >= 0xffff)));
}

/* RFC 8200 section 3: hop limit - 1 (no header checksum to fix). */
static inline void gk_ip6_hlim_dec(uint8_t *ip)
{
	ip[7]--;
}

/*
 * The flow hash (flowhash.h) of the IPv4 or IPv6 packet at ip, len bytes
 * of it readable (the caller checked its fixed header is), for the outer
 * IPv6 flow label of a stage that encapsulates it (RFC 6437 3, RFC 6438):
 * addresses, the first 32 bits of a TCP/UDP header right after the IP
 * header (IPv4: unless a later fragment; IPv6: no extension header
 * walked), else 0, and the protocol. For IPv4 this is the classifier's
 * flow_hash (bpf/classifier.bpf.c).
 */
static inline uint32_t gk_ip_flow_hash(const uint8_t *ip, uint32_t len)
{
	uint32_t ports = 0, s[4], d[4], hl;
	uint8_t proto;
	int i;

	if (ip[0] >> 4 == 4) {
		hl = (ip[0] & 0xfu) * 4u;
		proto = ip[9];
		if ((proto == 6 || proto == 17) && !(gk_rd16(ip + 6) & 0x1fff) &&
		    len >= hl + 4)
			ports = gk_ld32(ip + hl);
		return gk_flow_hash4(gk_ld32(ip + 12), gk_ld32(ip + 16), ports,
				     proto);
	}
	proto = ip[6];
	if ((proto == 6 || proto == 17) && len >= 40 + 4)
		ports = gk_ld32(ip + 40);
	for (i = 0; i < 4; i++) {
		s[i] = gk_ld32(ip + 8 + 4 * i);
		d[i] = gk_ld32(ip + 24 + 4 * i);
	}
	return gk_flow_hash6(s, d, ports, proto);
}

/*
 * Metadata of a packet whose IP header genkan just wrote (encapsulation, an
 * ICMP error): family is GK_META_F_IPV4 or _IPV6, the L4 header is at
 * l4_off. The VLAN flag stays; ORIGIN keeps l3fwd off the TTL/hop limit
 * genkan chose.
 */
static inline void gk_meta_built(struct gk_xdp_meta *m, uint8_t family,
				 uint32_t l4_off, uint8_t l4_proto)
{
	m->l4_off = (uint16_t)l4_off;
	m->l4_proto = l4_proto;
	m->flags = (uint8_t)((m->flags & GK_META_F_VLAN) | family |
			     GK_META_F_L4 | GK_META_F_ORIGIN);
	m->class = GK_CLASS_TRANSIT;
}

/*
 * Metadata of the IPv4 packet at ip (frame offset l3) a decapsulation
 * left, for l3fwd, which decrements its TTL: fragment flags as the
 * classifier sets them, no L4 header in a later fragment. The VLAN flag
 * stays.
 */
static inline void gk_meta_ip4(struct gk_xdp_meta *m, const uint8_t *ip,
			       uint32_t l3)
{
	uint8_t flags = (uint8_t)((m->flags & GK_META_F_VLAN) | GK_META_F_IPV4);
	uint16_t frag = gk_rd16(ip + 6);

	if (frag & 0x3fff)
		flags |= GK_META_F_FRAG;
	if (frag & 0x1fff) {
		flags |= GK_META_F_LATER_FRAG;
		m->l4_off = 0;
	} else {
		flags |= GK_META_F_L4;
		m->l4_off = (uint16_t)(l3 + (ip[0] & 0xfu) * 4u);
	}
	m->l4_proto = ip[9];
	m->flags = flags;
	m->class = GK_CLASS_TRANSIT;
}

/*
 * ICMP errors built in place, at ip, from the offending packet: the q
 * bytes at quote (which may overlap ip: the quote moves first) go behind
 * the new headers, then src and dst are read (they may point into the
 * packet, the moved quote included) and the headers written, checksums
 * included. The caller has sized q (RFC 1812 4.3.2.3, RFC 4443 2.4(c))
 * and the buffer. Both return the new IP packet's length.
 *
 * IPv4 + ICMP (RFC 792): precedence 6 (RFC 1812 4.3.2.5), DF and no ID
 * (RFC 6864 4.1), TTL 64; the low half of the second word holds mtu
 * (RFC 1191 4 next-hop MTU; 0 for other errors). 28 + q bytes.
 */
uint32_t gk_icmp4_err_build(uint8_t *ip, const uint8_t *quote, uint32_t q,
			    const uint8_t *src, const uint8_t *dst,
			    uint8_t type, uint8_t code, uint16_t mtu);
/*
 * IPv6 + ICMPv6 (RFC 4443 2.1): traffic class and flow label 0, hop limit
 * 255; word is the second 32-bit word (RFC 4443 3.2 MTU, 3.4 pointer,
 * else 0); checksum over the RFC 8200 8.1 pseudo-header. 48 + q bytes.
 */
uint32_t gk_icmp6_err_build(uint8_t *ip, const uint8_t *quote, uint32_t q,
			    const uint8_t *src, const uint8_t *dst,
			    uint8_t type, uint8_t code, uint32_t word);

#endif
