/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L3 forwarding stage (RFC 1812 section 5.2/5.3 for IPv4, RFC 8200
 * section 3 for the IPv6 hop limit). For every packet still undecided
 * (verdict GK_V_NONE) it looks up the route, sets GK_V_TX and out_port
 * with rewritten MACs and decremented TTL/hop limit, or drops it with a
 * reason. Reads pkt->meta (l3_off, GK_META_F_IPV4/IPV6); never re-parses L2.
 *
 * Check order: meta sanity, martians (RFC 1812 section 5.3.7 / RFC 4291:
 * a reason each, martian.h), TTL, route (no_route for misses and
 * blackholes), egress port, MTU (L3 length from the IP header), neighbor.
 * VLAN-tagged input gets GK_V_KERNEL: the tag belongs to a kernel VLAN
 * device genkan does not model. Hairpinning (out_port == in_port) is
 * forwarded, as a router would.
 */
#ifndef GK_L3FWD_H
#define GK_L3FWD_H

#include <stdint.h>

#include "fib.h"
#include "neigh_hold.h"
#include "nreq.h"
#include "pkt.h"
#include "wkstats.h"

#define GK_L3FWD_NREQ_SLOTS	16	/* power of two */
#define GK_L3FWD_NREQ_NS	100000000ull	/* re-ask the same neighbor after */

/* Last time each (hashed) missing neighbor was requested. */
struct gk_l3fwd_nreq_slot {
	uint64_t last_ns;
	uint32_t ifindex;
	uint8_t family;		/* 0: empty */
	uint8_t addr[16];
};

/* Per worker; zero-initialise, then set the pointers. */
struct gk_l3fwd_ctx {
	const struct gk_fib *fib;	/* snapshot, valid for this burst */
	struct gk_wk_stats *stats;	/* owning worker's counters */
	struct gk_nreq_ring *nreq;	/* may be NULL */
	struct gk_nreq_wake *nreq_wake;	/* genkand's, may be NULL */
	uint64_t now_ns;		/* for rate-limiting neighbor requests */
	/* Frames for unresolved next hops are held here (neigh_hold.h)
	 * rather than dropped; NULL: dropped, no_neigh. */
	struct gk_nhold *hold;
	struct gk_l3fwd_nreq_slot nreq_cache[GK_L3FWD_NREQ_SLOTS];
};

void gk_l3fwd_burst(struct gk_l3fwd_ctx *ctx, struct gk_pkt **pkts, uint16_t n);
/*
 * Ask genkand (nreq) to resolve a neighbour, at most once per
 * GK_L3FWD_NREQ_NS: for frames held for it (neigh_hold.h), whose first
 * ask may have fallen in the window of an earlier one, or been lost.
 */
void gk_l3fwd_ask_neigh(struct gk_l3fwd_ctx *ctx, uint8_t family,
			uint32_t ifindex, const uint8_t *addr);

#endif
