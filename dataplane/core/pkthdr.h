/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet header helpers every stage shares: unaligned loads and stores of
 * header fields. Header-only and inline, because stages use them per
 * packet; none allocates or fails.
 */
#ifndef GK_PKTHDR_H
#define GK_PKTHDR_H

#include <stdint.h>
#include <string.h>

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

#endif
