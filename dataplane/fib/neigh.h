/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbor table: (family, ifindex, address) -> MAC. Open addressing with
 * linear probing, built once per FIB snapshot and read-only afterwards.
 * Duplicate keys: the first entry wins.
 */
#ifndef GK_NEIGH_H
#define GK_NEIGH_H

#include <stddef.h>
#include <stdint.h>

struct gk_neigh_entry {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* network order; IPv4 in the first 4 bytes */
	uint32_t ifindex;
	uint8_t mac[6];
};

struct gk_neigh_tbl;

struct gk_neigh_tbl *gk_neigh_build(const struct gk_neigh_entry *e, size_t n,
				    char *err, size_t errlen);
/* Returns the MAC of the neighbor, or NULL. For IPv4 only addr[0..3] count. */
const uint8_t *gk_neigh_lookup(const struct gk_neigh_tbl *t, uint8_t family,
			       uint32_t ifindex, const uint8_t *addr);
size_t gk_neigh_count(const struct gk_neigh_tbl *t);
void gk_neigh_free(struct gk_neigh_tbl *t);

#endif
