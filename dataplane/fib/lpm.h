/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Longest-prefix match for IPv4 and IPv6: a multibit trie with leaf
 * pushing, one 16-bit first stride and 8-bit strides below it (IPv4
 * 16-8-8, IPv6 16-8-...-8). A table is built once and is read-only
 * afterwards, so any number of workers may look up concurrently.
 *
 * Duplicate prefixes: the first entry in the input wins. Host bits past
 * plen are ignored. Next-hop values must be below GK_LPM_NH_MAX.
 * Memory: 256 KiB for the first level plus 1 KiB per 8-bit node, so long
 * IPv6 prefixes cost up to 14 KiB each.
 */
#ifndef GK_LPM_H
#define GK_LPM_H

#include <stddef.h>
#include <stdint.h>

#define GK_LPM_MISS	UINT32_MAX
#define GK_LPM_NH_MAX	0x7fffffffu	/* exclusive bound on next-hop values */

struct gk_lpm_entry4 {
	uint32_t prefix_be;	/* network order */
	uint8_t plen;		/* 0..32 */
	uint32_t nh;
};

struct gk_lpm_entry6 {
	uint8_t prefix[16];	/* network order */
	uint8_t plen;		/* 0..128 */
	uint32_t nh;
};

struct gk_lpm4;
struct gk_lpm6;

/* Returns NULL and a message in err on bad input or ENOMEM. */
struct gk_lpm4 *gk_lpm4_build(const struct gk_lpm_entry4 *e, size_t n,
			      char *err, size_t errlen);
uint32_t gk_lpm4_lookup(const struct gk_lpm4 *t, uint32_t addr_be);
void gk_lpm4_lookup_bulk(const struct gk_lpm4 *t, const uint32_t *addr_be,
			 uint32_t *nh, unsigned int n);
void gk_lpm4_free(struct gk_lpm4 *t);
size_t gk_lpm4_mem(const struct gk_lpm4 *t);

struct gk_lpm6 *gk_lpm6_build(const struct gk_lpm_entry6 *e, size_t n,
			      char *err, size_t errlen);
uint32_t gk_lpm6_lookup(const struct gk_lpm6 *t, const uint8_t addr[16]);
/* addr points at n addresses of 16 bytes each, packed. */
void gk_lpm6_lookup_bulk(const struct gk_lpm6 *t, const uint8_t (*addr)[16],
			 uint32_t *nh, unsigned int n);
void gk_lpm6_free(struct gk_lpm6 *t);
size_t gk_lpm6_mem(const struct gk_lpm6 *t);

#endif
