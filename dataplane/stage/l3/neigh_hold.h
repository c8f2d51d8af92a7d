/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packets held for an unresolved next hop (#13 bug 8), as the kernel's
 * neighbour layer holds them (unres_qlen, net.ipv4.neigh.*.unres_qlen):
 * while genkand asks the kernel to resolve a neighbour (the nreq ring),
 * the L3 stage copies what it would send there into this table instead of
 * dropping it, and the worker sends the copies once a FIB snapshot knows
 * the neighbour.
 *
 * Bounded: per_neigh frames per (family, ifindex, address), nr per worker,
 * each for at most GK_NHOLD_NS; frames over frame_len bytes are not held.
 * The frame is copied, so its buffer goes back to its pool at once, as
 * MAP-E reassembly and WireGuard's staging do: no buffer changes owner,
 * none can leak when the worker stops. Allocated once (init time), then
 * fixed; one table per worker, written by its thread only, no locks.
 */
#ifndef GK_NEIGH_HOLD_H
#define GK_NEIGH_HOLD_H

#include <stdint.h>

#include "neigh.h"
#include "pkt.h"

#define GK_NHOLD_PER_NEIGH	16	/* the kernel holds ~100 (unres_qlen_bytes); 16 ride out a slow resolution */
#define GK_NHOLD_MAX		128	/* per worker (512 KiB of frames; adds scan it) */
#define GK_NHOLD_NS		1000000000ull	/* then dropped, aged */
#define GK_NHOLD_FRAME		4096	/* largest frame held */

struct gk_nhold;

/* A frame taken out to be routed again; frame valid until the next add. */
struct gk_nhold_pkt {
	const uint8_t *frame;
	uint32_t len;
	uint16_t in_port, queue;
	struct gk_xdp_meta meta;
};

/* NULL on ENOMEM or a zero size. */
struct gk_nhold *gk_nhold_new(unsigned nr, unsigned per_neigh,
			      uint32_t frame_len);
void gk_nhold_free(struct gk_nhold *h);

/*
 * Copy p (to be sent to the neighbour addr on ifindex, IPv4 in addr[0..3])
 * in: 0, or -ENOSPC (that neighbour's share or the table is full), -E2BIG
 * (over frame_len). p's buffer is the caller's either way.
 */
int gk_nhold_add(struct gk_nhold *h, const struct gk_pkt *p, uint8_t family,
		 uint32_t ifindex, const uint8_t *addr, uint64_t now_ns);
/* Forget frames held GK_NHOLD_NS or longer; returns how many. */
unsigned gk_nhold_expire(struct gk_nhold *h, uint64_t now_ns);
/*
 * Mark the frames whose neighbour neigh now knows; returns how many are
 * marked (earlier marks included).
 */
unsigned gk_nhold_resolve(struct gk_nhold *h, const struct gk_neigh_tbl *neigh);
/*
 * Take the oldest marked frame out: 1 with *out filled, 0 when none is
 * marked. Frames of one neighbour leave in the order they came.
 */
int gk_nhold_pop(struct gk_nhold *h, struct gk_nhold_pkt *out);
/*
 * The neighbour of the next unmarked frame from *pos on (start at 0): 1
 * with family/ifindex/addr set (addr valid until the next add), 0 at the
 * end. A neighbour with several frames comes once per frame.
 */
int gk_nhold_waiting(const struct gk_nhold *h, unsigned *pos, uint8_t *family,
		     uint32_t *ifindex, const uint8_t **addr);
/* Frames held now. */
unsigned gk_nhold_count(const struct gk_nhold *h);
/* Forget every frame (the worker stops); returns how many there were. */
unsigned gk_nhold_flush(struct gk_nhold *h);

#endif
