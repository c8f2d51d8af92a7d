/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Return-path flows ([wireguard-peer] return_path = flow, docs/l4.md "The
 * home side"): a front door DNATs internet clients' packets to a home
 * backend and seals them into WireGuard with the client's real source.
 * Cryptokey routing alone would send the backend's replies wherever the
 * FIB's default route points (WAN, MAP-E, NAPT44), since no AllowedIPs
 * covers the client. So packets that arrive decrypted from such a peer,
 * with an inner source no peer's AllowedIPs covers, are remembered here,
 * and a routed packet that is the reply of one of them is sealed back to
 * the same peer.
 *
 * One table per worker, written by that worker only; genkand reads cnt[]
 * racily like the other worker counters. The key is the reply's 5-tuple:
 * protocol, backend address:port (the reply's source), client
 * address:port (its destination), IPv4 or IPv6; ICMP/ICMPv6 echo by its
 * identifier (both "ports"). The value is the peer (snapshot index and
 * stable id, checked on every hit) and the last time a packet of the flow
 * went either way. A hash of GK_WG_RPATH_WAYS-slot buckets, seeded at
 * init, with 16 bits of each slot's hash in a tag array beside them, so a
 * miss (every routed packet no AllowedIPs covers) reads one cache line of
 * tags, not the bucket's eight slots; before that, a counter of live flows
 * per hash of the client address turns away most packets, which go to no
 * client at all. A new flow takes a free or expired slot of its bucket, else the
 * least recently used one (evicted, counted). TCP flows whose FIN or RST
 * was seen expire after GK_WG_RPATH_TCP_FIN_NS, others after their idle
 * timeout. Fragments are neither learned nor matched (no ports). An ICMP
 * or ICMPv6 error to a client about one of its packets (the server's port
 * unreachable, a home router's packet too big) belongs to the quoted flow
 * and goes back the same way.
 * No allocation after init.
 *
 * Several workers: the door's packets are decrypted by the keypair's
 * owner, while RSS hands the server's replies to any worker. So with
 * share set, the worker that learns a flow also tells every other worker
 * (struct gk_wg_rpath_msg, queued in out[] for the worker to put on its
 * rings): when the flow is new, moved or began closing, and at most once
 * per GK_WG_RPATH_SYNC_NS while its client keeps sending. A reply is then
 * found wherever it lands, with no packet handed over; the message is on
 * the ring before the decrypted packet even leaves for the server.
 */
#ifndef GK_WG_RPATH_H
#define GK_WG_RPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"
#include "wg_peers.h"

#define GK_WG_RPATH_WAYS	8
#define GK_WG_RPATH_FLOWS	65536	/* per worker, the default */
#define GK_WG_RPATH_CLIENTS_LOG2	12
#define GK_WG_RPATH_CLIENTS	(1u << GK_WG_RPATH_CLIENTS_LOG2)
/* Idle timeouts: RFC 5382 REQ-5 (TCP), RFC 4787 REQ-5 (UDP), ICMP echo. */
#define GK_WG_RPATH_TCP_NS	(7440ull * 1000000000ull)
#define GK_WG_RPATH_TCP_FIN_NS	(10ull * 1000000000ull)
#define GK_WG_RPATH_UDP_NS	(300ull * 1000000000ull)
#define GK_WG_RPATH_ICMP_NS	(60ull * 1000000000ull)

#define GK_WG_RPATH_CNT_LIST(X)						\
	X(FOREIGN_SRC,	"foreign_src")	/* decrypted, inner source outside every AllowedIPs: accepted */ \
	X(LEARNED,	"learned")	/* new flows remembered */	\
	X(REFRESHED,	"refreshed")	/* client packets of a known flow */ \
	X(NOT_LEARNED,	"not_learned")	/* accepted, no 5-tuple: fragment, other protocol */ \
	X(HITS,		"hits")		/* replies sealed back to the flow's peer */ \
	X(CLOSED,	"closed")	/* TCP FIN/RST seen: short timeout */ \
	X(EXPIRED,	"expired")	/* flows found past their timeout */ \
	X(EVICTED,	"evicted")	/* live flows pushed out: bucket full */ \
	X(MOVED,	"moved")	/* a flow's packets came from another peer */ \
	X(STALE_PEER,	"stale_peer")	/* hit on a peer gone or no longer return_path = flow: forgotten */ \
	X(SHARED,	"shared")	/* flows told to the other workers (per worker told) */ \
	X(SHARE_FULL,	"share_dropped") /* not told: outbox or a ring full */ \
	X(SYNCED,	"synced")	/* flows other workers told this one */

enum gk_wg_rpath_cnt {
#define GK_X(n, s) GK_WG_RPATH_##n,
	GK_WG_RPATH_CNT_LIST(GK_X)
#undef GK_X
	GK_WG_RPATH_CNT_MAX
};

extern const char *const gk_wg_rpath_cnt_names[GK_WG_RPATH_CNT_MAX];

struct gk_wg_rpath_flow {
	uint8_t used, family, proto, closing;	/* family 4 or 6 */
	uint16_t bport, cport;			/* host order */
	uint32_t peer;				/* snapshot index */
	uint32_t peer_id;			/* stable id */
	uint32_t sync;				/* share: now_ns >> 30 when told */
	uint8_t baddr[16], caddr[16];		/* backend, client */
	uint64_t last_ns;
};

/* A flow as the worker that learned it tells the others (48 bytes). */
struct gk_wg_rpath_msg {
	uint8_t family, proto, closing, pad;
	uint16_t bport, cport;
	uint32_t peer, peer_id;
	uint8_t baddr[16], caddr[16];
};

#define GK_WG_RPATH_OUTBOX	64
#define GK_WG_RPATH_SYNC_NS	(1ull << 30)	/* ~1.07 s */

/* A bucket's tags, 4 buckets per cache line: 0 free, else hash bits | 1. */
struct gk_wg_rpath_tags {
	uint16_t tag[GK_WG_RPATH_WAYS];
};

struct gk_wg_rpath {
	struct gk_wg_rpath_flow *flows;
	struct gk_wg_rpath_tags *tags;	/* [nr_buckets] */
	/* live flows per client address hash: most routed packets go to
	 * no client of a flow, and one counter says so */
	uint32_t *clients;		/* [GK_WG_RPATH_CLIENTS] */
	uint32_t nr_buckets;		/* power of two */
	uint32_t seed;
	uint64_t live;			/* slots ever taken (0: skip lookups) */
	uint64_t cnt[GK_WG_RPATH_CNT_MAX];
	/* share: learns also go to out[0..nr_out) for the other workers */
	bool share;
	uint16_t nr_out;
	struct gk_wg_rpath_msg out[GK_WG_RPATH_OUTBOX];
};

/* max_flows rounded up to a power-of-two number of buckets. 0 or -errno. */
int gk_wg_rpath_init(struct gk_wg_rpath *t, uint32_t max_flows);
void gk_wg_rpath_fini(struct gk_wg_rpath *t);
/* Slots in the table. */
static inline uint32_t gk_wg_rpath_slots(const struct gk_wg_rpath *t)
{
	return t->nr_buckets * GK_WG_RPATH_WAYS;
}

/*
 * A decrypted packet p (meta describing the inner packet) from peer index
 * peer (stable id peer_id) of snapshot s: remember its flow, keyed by its
 * reply (counted: learned, refreshed, moved, not_learned, evicted).
 */
void gk_wg_rpath_learn(struct gk_wg_rpath *t, const struct gk_pkt *p,
		       uint32_t peer, uint32_t peer_id, uint64_t now_ns);

/*
 * A flow another worker learned (its message m): taken in, or refreshed,
 * as of now_ns (counted: synced, evicted).
 */
void gk_wg_rpath_apply(struct gk_wg_rpath *t, const struct gk_wg_rpath_msg *m,
		       uint64_t now_ns);

/*
 * A routed packet p: the peer index (in s) its flow came from when p is
 * the reply of a live flow whose peer still has return_path = flow, else
 * GK_WG_NO_PEER. touch: a hit counts, refreshes the flow and notes a FIN
 * or RST (false: a peek, e.g. to steer the packet before the real
 * decision). Stale flows are forgotten either way.
 */
uint32_t gk_wg_rpath_lookup(struct gk_wg_rpath *t, const struct gk_wg_peers *s,
			    const struct gk_pkt *p, uint64_t now_ns, bool touch);

#endif
