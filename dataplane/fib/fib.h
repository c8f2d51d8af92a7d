/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * FIB snapshot read by workers: LPM tables whose results index an array of
 * next hops, plus the neighbor table. genkand builds one from plain arrays
 * (routes, neighbors, genkan ports), publishes it through tables.h and
 * never modifies it afterwards.
 *
 * Resolution: a gateway route's neighbor is looked up at build time (its MAC
 * is stored in the next hop, or GK_NH_F_UNRESOLVED is set); a connected
 * route leaves the packet's destination to be looked up per packet.
 * Duplicate prefixes: the first route in the input wins.
 * A gateway address has the route's family (no IPv4-via-IPv6).
 */
#ifndef GK_FIB_H
#define GK_FIB_H

#include <stddef.h>
#include <stdint.h>

#include "lpm.h"
#include "neigh.h"

struct gk_fib_port {
	uint32_t ifindex;
	uint16_t port_id;
	uint8_t mac[6];
	uint32_t mtu;		/* L3 MTU; 0: not checked */
	/* Primary address per family, network order: the source of the ICMP
	 * errors a worker sends from this port (dataplane/icmp_err.c). */
	uint8_t has_addr4, has_addr6;
	uint8_t addr4[4];
	uint8_t addr6[16];
	/*
	 * A link without neighbours (a TUN device: genkan's host path): next
	 * hops on it get GK_NH_F_NOARP and l3fwd writes the port's MACs.
	 */
	uint8_t noarp;
};

struct gk_route {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t plen;
	uint8_t has_gw;
	uint8_t blackhole;
	uint8_t dst[16];	/* network order, IPv4 in the first 4 bytes */
	uint8_t gw[16];
	uint32_t ifindex;	/* egress; unused for blackholes */
};

struct gk_fib_input {
	const struct gk_route *routes;
	size_t nr_routes;
	const struct gk_neigh_entry *neighs;
	size_t nr_neighs;
	const struct gk_fib_port *ports;
	size_t nr_ports;
};

/* gk_fib_nh.flags */
#define GK_NH_F_BLACKHOLE	0x01	/* drop silently (counted as no_route) */
#define GK_NH_F_GATEWAY		0x02	/* send to gw, else to the destination */
#define GK_NH_F_NOPORT		0x04	/* egress is not a genkan port */
#define GK_NH_F_UNRESOLVED	0x08	/* gateway without a neighbor entry */
#define GK_NH_F_NOARP		0x10	/* no neighbours on the link (TUN) */

/* One per route, indexed by the LPM result. 48 bytes. */
struct gk_fib_nh {
	uint8_t flags;		/* GK_NH_F_* */
	uint8_t family;
	uint16_t port_id;	/* valid unless BLACKHOLE or NOPORT */
	uint32_t ifindex;
	uint32_t mtu;
	/* In Ethernet header order: a resolved gateway's addresses are one copy. */
	uint8_t dst_mac[6];	/* gateway MAC when GATEWAY && !UNRESOLVED */
	uint8_t src_mac[6];	/* egress port MAC */
	uint8_t gw[16];
	/*
	 * A resolved gateway: packets up to this L3 length go out with no
	 * other check (the MTU, or ~0 without one); 0 for every other next
	 * hop, which the L3 stage's slow path handles.
	 */
	uint32_t fast_len;
	uint32_t pad;
};

_Static_assert(offsetof(struct gk_fib_nh, src_mac) ==
	       offsetof(struct gk_fib_nh, dst_mac) + 6,
	       "l3fwd copies dst_mac and src_mac as one Ethernet header");

/* Read-only after gk_fib_build(); stages read the fields directly. */
struct gk_fib {
	struct gk_lpm4 *lpm4;
	struct gk_lpm6 *lpm6;
	struct gk_neigh_tbl *neigh;
	struct gk_fib_nh *nh;
	size_t nr_nh;
	size_t nr_routes4;
	size_t nr_routes6;
	struct gk_fib_port *ports;
	size_t nr_ports;
};

/* NULL and a message in err on failure. */
struct gk_fib *gk_fib_build(const struct gk_fib_input *in, char *err,
			    size_t errlen);
void gk_fib_free(struct gk_fib *fib);
/* Routes given for family (duplicates included). */
size_t gk_fib_nr_routes(const struct gk_fib *fib, int family);

/* Next hop for an LPM result, NULL on GK_LPM_MISS. */
static inline const struct gk_fib_nh *gk_fib_nh(const struct gk_fib *fib,
						uint32_t idx)
{
	return idx == GK_LPM_MISS ? NULL : &fib->nh[idx];
}

/* A genkan port's entry by port id; NULL without a FIB. Off the fast path. */
static inline const struct gk_fib_port *gk_fib_port(const struct gk_fib *fib,
						    uint16_t id)
{
	size_t i;

	if (!fib)
		return NULL;
	for (i = 0; i < fib->nr_ports; i++)
		if (fib->ports[i].port_id == id)
			return &fib->ports[i];
	return NULL;
}

#endif
