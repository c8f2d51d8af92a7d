/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Staging of packets routed into the tunnel while their peer has no usable
 * sending keypair (issue #5), as kernel WireGuard does (send.c
 * wg_packet_send_staged_packets, MAX_STAGED_PACKETS): instead of losing
 * the first ping or TCP SYN of a cold tunnel, the worker keeps a copy
 * until genkand publishes a snapshot with a current keypair for the peer,
 * then seals and sends the copies in their order.
 *
 * One struct gk_wg_pending per worker, written by that worker only (no
 * locks); genkand reads cnt[] racily, like the other worker counters.
 * All memory comes from init: a fixed number of slots of frame_max bytes,
 * at most GK_WG_PENDING_PER_PEER per peer. When a peer's queue or the whole
 * stage is full, the oldest packet (of that peer, or of all) makes room
 * and is counted; a packet older than REKEY_ATTEMPT_TIME (the kernel
 * purges its queue when the handshake attempts give up) and the packets
 * of a peer that left the snapshot are dropped and counted.
 *
 * Slots sit on two lists: their peer's FIFO (send order) and one age list
 * over all peers, so expiry and "stage full" are O(1) at its old end. The
 * oldest packet of the stage is always the oldest of its peer, so every
 * removal takes a peer's head.
 */
#ifndef GK_WG_PENDING_H
#define GK_WG_PENDING_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"
#include "wg_peers.h"

#define GK_WG_PENDING_PER_PEER	128	/* kernel: MAX_STAGED_PACKETS */
#define GK_WG_PENDING_SLOTS	1024	/* per worker, all peers */
/* Whitepaper §6.1 REKEY_ATTEMPT_TIME: the handshake attempts give up. */
#define GK_WG_REKEY_ATTEMPT_TIME_NS	(90ull * 1000000000ull)
#define GK_WG_PENDING_NIL		UINT32_MAX

#define GK_WG_PENDING_CNT_LIST(X)						\
	X(STAGED,	"staged")		/* copies taken */		\
	X(SENT,		"staged_sent")		/* handed back for sealing */	\
	X(FULL,		"staged_dropped_full")	/* oldest made room */		\
	X(EXPIRED,	"staged_dropped_expired") /* older than REKEY_ATTEMPT_TIME */ \
	X(GONE,		"staged_dropped_gone")	/* peer left the snapshot */	\
	X(TOO_BIG,	"staged_dropped_too_big") /* frame above frame_max */

enum gk_wg_pending_cnt {
#define GK_X(n, s) GK_WG_PENDING_##n,
	GK_WG_PENDING_CNT_LIST(GK_X)
#undef GK_X
	GK_WG_PENDING_CNT_MAX
};

extern const char *const gk_wg_pending_cnt_names[GK_WG_PENDING_CNT_MAX];

/* One peer id's FIFO. */
struct gk_wg_pending_q {
	uint32_t head, tail;	/* slot numbers, GK_WG_PENDING_NIL: empty */
	uint32_t n;
	uint32_t mark;		/* sync epoch that found the peer */
	uint32_t apos;		/* position in active[] while n > 0 */
	bool ready;		/* usable current keypair at the last sync */
};

struct gk_wg_pending {
	uint64_t cnt[GK_WG_PENDING_CNT_MAX];
	uint32_t used;		/* slots holding a packet */
	uint32_t ready;		/* of which ready peers hold this many */
	uint32_t max_peers, nr_slots, per_peer, frame_max, stride;
	uint32_t free;		/* free slot list */
	uint32_t oldest, newest;	/* age list over all peers */
	uint32_t nr_active, epoch;
	const struct gk_wg_peers *seen;	/* compared only, never read */
	uint64_t seen_ns;
	struct gk_wg_pending_q *q;	/* [max_peers], by peer id */
	uint32_t *active;		/* [max_peers] ids with n > 0 */
	uint8_t *mem;			/* [nr_slots * stride] */
	/* Each frame that leaves as a drop (the _dropped_ counts) bumps
	 * this too when set: the worker's drops[GK_WK_DROP_WG]. */
	uint64_t *wk_drops;
};

/*
 * Zeroes s and allocates nr_slots slots for frames up to frame_max
 * bytes, per_peer of them at most per peer id (< max_peers). 0 or -errno.
 */
int gk_wg_pending_init(struct gk_wg_pending *s, uint32_t max_peers,
		     uint32_t nr_slots, uint32_t per_peer, uint32_t frame_max);
void gk_wg_pending_fini(struct gk_wg_pending *s);

/* Copies p (frame and metadata) to the tail of peer id's queue. */
void gk_wg_pending_push(struct gk_wg_pending *s, uint32_t id,
		      const struct gk_pkt *p, uint64_t now_ns);

static inline bool gk_wg_pending_holds(const struct gk_wg_pending *s, uint32_t id)
{
	return s->used && id < s->max_peers && s->q[id].n;
}

/*
 * Can pe send now? Its endpoint is known and its current keypair is
 * within REJECT_AFTER_TIME (the test wg_data.c's encrypt makes).
 */
static inline bool gk_wg_pending_usable(const struct gk_wg_peers *t,
				      const struct gk_wg_peer *pe,
				      uint64_t now_ns)
{
	uint32_t ki = pe->kp[GK_WG_KP_CURRENT];
	const struct gk_wg_kp *kp;

	if (!pe->ep.family || ki == GK_WG_NO_KP)
		return false;
	kp = &t->kps[ki];
	return !(now_ns > kp->birth_ns &&
		 now_ns - kp->birth_ns >= t->reject_after_time_ns);
}

/*
 * Drops what expired; then, when t or now_ns changed since the last call,
 * drops the packets of peers t no longer has and marks the peers t lets
 * send (s->ready counts their packets). t NULL: nothing published, only
 * expiry runs.
 */
void gk_wg_pending_sync(struct gk_wg_pending *s, const struct gk_wg_peers *t,
		      uint64_t now_ns);

/*
 * Moves up to n packets of ready peers, each peer's in order, into the
 * empty buffers pkts[0..n) (frame, metadata, in_port; verdict NONE).
 * Returns how many buffers it filled; the caller frees the rest.
 */
uint16_t gk_wg_pending_pop(struct gk_wg_pending *s, struct gk_pkt **pkts,
			 uint16_t n);

#endif
