/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The front door (docs/l4.md): TCP/UDP for an [l4-service] listen
 * address:port is carried per packet to a backend, usually inside a
 * WireGuard peer's AllowedIPs, with the client's address kept.
 *
 * Forward (class L4_SERVICE): find the service, then the flow in the
 * worker's flow table (so an established flow keeps its backend whatever
 * happens to the backend set), else pick one from the service's Maglev
 * table (lib/maglev.h) and pin it; rewrite destination address and port
 * (RFC 1624 checksum updates) and hand the packet to the L3 stage.
 * Reverse (a routed packet from a backend address:port of a service):
 * rewrite the source back to the listen address:port, so the client sees
 * whom it talked to. client_ip = preserve: the reverse rewrite needs no
 * flow state, since a backend address:port belongs to one service.
 * client_ip = snat (l4_snat.h): the source becomes a pool address:port
 * the worker owns, and a reply to it finds its flow by that port.
 *
 * The table (struct gk_l4_table) is genkand's, published by RCU; the flow
 * table and counters are one worker's.
 */
#ifndef GK_STAGE_L4_H
#define GK_STAGE_L4_H

#include <stdbool.h>
#include <stdint.h>
#include <urcu-qsbr.h>

#include "pkt.h"
#include "wkstats.h"

/* Backend state: only UP takes new flows; every state keeps its flows. */
enum gk_l4_be_state {
	GK_L4_BE_UP, GK_L4_BE_DOWN, GK_L4_BE_DRAINING, GK_L4_BE_DISABLED,
	GK_L4_BE_STATE_MAX
};

struct gk_l4_backend {
	uint8_t family;		/* 4 or 6 */
	uint8_t state;		/* enum gk_l4_be_state */
	uint16_t port;		/* host order; 0: the packet's own port */
	uint8_t addr[16];	/* network order */
	uint32_t gidx;		/* index of its counters in a worker */
};

struct gk_l4_service {
	uint8_t family, proto;
	uint16_t port_lo, port_hi;	/* host order */
	uint8_t addr[16];
	uint32_t nr_be;
	struct gk_l4_backend *be;
	uint32_t m;			/* Maglev M */
	uint32_t *table;		/* [m]: backend index or GK_MAGLEV_NONE */
	uint64_t tcp_idle_ns, tcp_fin_ns, udp_idle_ns;
	/*
	 * client_ip = snat: the pool is snat_naddr addresses from snat_lo
	 * up (the last 32 bits count), ports snat_plo..snat_phi (host
	 * order), in the service's family. snat_pidx: gk_l4_table_new's.
	 */
	uint8_t snat;
	uint16_t snat_plo, snat_phi;
	uint32_t snat_naddr;
	uint8_t snat_lo[16];
	uint32_t *snat_pidx;	/* [snat_naddr]: index in the table's pool[] */
};

/* A pool address, once however many snat services share it. */
struct gk_l4_pool_addr {
	uint8_t family;
	uint8_t addr[16];
};

/* Sorted lookup keys: listen address:port (one per port) and backends. */
struct gk_l4_lkey {
	uint8_t family, proto;
	uint16_t port;		/* host order */
	uint8_t addr[16];
	uint32_t svc, be;	/* be: for backend keys */
};

#define GK_L4_MAX_HOST	16	/* host path addresses (config_wg.h) */

struct gk_l4_table {
	uint32_t nr_svc;
	struct gk_l4_service *svc;
	uint32_t nr_listen, nr_rev, nr_be_total;
	/*
	 * One bit per backend source address (gk_l4_src_bit): the reverse
	 * hook runs on every routed packet, and most are not replies.
	 */
	uint64_t src_filter[4];
	struct gk_l4_lkey *listen;	/* sorted (family, proto, port, addr) */
	struct gk_l4_lkey *rev;		/* backends, same order */
	/* Open-addressing indexes into listen[] / rev[] (+1; 0 = empty),
	 * GK_L4_HASH_LOAD times their entries, rounded to a power of two. */
	uint32_t *listen_h, *rev_h;
	uint32_t listen_mask, rev_mask;
	uint32_t nr_pool;
	struct gk_l4_pool_addr *pool;	/* snat pool addresses, distinct */
	/*
	 * The door's own addresses on its host path ([wireguard] Address):
	 * a backend's packet to one of them answers the host (a health
	 * check, an operator's curl), not a client, and keeps its source.
	 * Set by genkand after gk_l4_table_new.
	 */
	uint32_t nr_host;
	struct { uint8_t family, addr[16]; } host[GK_L4_MAX_HOST];
	struct rcu_head rcu;
};

/* Which of the 256 src_filter bits an address (the last 4 bytes) sets. */
static inline unsigned gk_l4_src_bit(const uint8_t *a4)
{
	uint32_t v;

	__builtin_memcpy(&v, a4, 4);
	return (v * 0x9e3779b1u) >> 24;
}

/* The builder takes ownership of svc[] (and each be/table). NULL: ENOMEM. */
struct gk_l4_table *gk_l4_table_new(struct gk_l4_service *svc, uint32_t n);
void gk_l4_table_free(struct gk_l4_table *t);
void gk_l4_table_publish(struct gk_l4_table **slot, struct gk_l4_table *next);
/* A listen key's service, or -1. */
int gk_l4_find_listen(const struct gk_l4_table *t, uint8_t family,
		      uint8_t proto, const uint8_t *addr, uint16_t port);
/* The backend a new flow of this tuple gets now, or -1 (none usable). */
int gk_l4_pick(const struct gk_l4_service *s, const uint8_t *caddr,
	       uint16_t cport, uint16_t lport);
/* The backend key of a backend address:port (port 0 keys: in the
 * service's range), or NULL. */
const struct gk_l4_lkey *gk_l4_find_backend(const struct gk_l4_table *t,
					    uint8_t family, uint8_t proto,
					    const uint8_t *addr, uint16_t port);

/* Drops and events of the stage, one counter each. */
#define GK_L4_CNT_LIST(X)						\
	X(NEW_FLOWS,	"new_flows")	/* flows pinned to a backend */	\
	X(HITS,		"flow_hits")	/* packets of a pinned flow */	\
	X(EVICTED,	"evicted")	/* live flows pushed out: table full */ \
	X(REUSED,	"expired_reused") /* expired slots taken over */	\
	X(CLOSED,	"closed")	/* FIN/RST seen: short timeout */	\
	X(REVERSE,	"reverse")	/* replies rewritten to the listen side */ \
	X(NO_SERVICE,	"no_service")	/* drop: class L4 but no service */ \
	X(NO_BACKEND,	"no_backend")	/* drop: no usable backend */	\
	X(BAD_L4,	"bad_l4")	/* drop: L4 metadata unusable */	\
	X(FRAGMENT,	"fragment")	/* drop: a fragment to a service */	\
	X(NO_TABLE,	"no_table")	/* drop: nothing published yet */ \
	X(ICMP_IN,	"icmp_in")	/* errors about a flow, to its backend */ \
	X(ICMP_OUT,	"icmp_out")	/* errors about a flow, to its client */ \
	X(ICMP_PICKED,	"icmp_picked")	/* flow not here: Maglev's backend */ \
	X(ICMP_BAD,	"icmp_bad")	/* drop: quote unusable or no service */ \
	X(SNAT_NEW,	"snat_new")	/* pool ports given to new flows */ \
	X(SNAT_RECLAIMED, "snat_reclaimed") /* pool ports of expired flows taken */ \
	X(SNAT_EXHAUSTED, "snat_exhausted") /* drop: no pool port free */ \
	X(SNAT_NO_FLOW,	"snat_no_flow")	/* drop: reply to a pool port, no flow */ \
	X(HANDED_OVER,	"handed_over")	/* snat replies sent to the port's owner */ \
	X(TAKEN_OVER,	"taken_over")	/* snat replies other workers sent us */ \
	X(HANDOFF_FULL,	"handoff_full")	/* drop: owner's ring full, frame too big */ \
	X(HANDOFF_NOBUF, "handoff_nobuf") /* drop: no buffer for a taken-over reply */ \
	X(TO_HOST,	"to_host")	/* a backend's packet to the door itself: left alone */

enum gk_l4_cnt {
#define GK_X(n, s) GK_L4_##n,
	GK_L4_CNT_LIST(GK_X)
#undef GK_X
	GK_L4_CNT_MAX
};

extern const char *const gk_l4_cnt_names[GK_L4_CNT_MAX];

struct gk_l4_flow {
	uint8_t used, family, proto, closing;
	uint16_t cport, lport;		/* host order */
	uint32_t svc, be;
	uint8_t caddr[16];
	uint64_t last_ns;
	/* snat: pool[snat_pidx - 1]:snat_port (host order); 0: none */
	uint16_t snat_pidx, snat_port;
};

/* One pool address's ports this worker owns: port p at p / nr_workers. */
struct gk_l4_pool {
	uint32_t *flow;			/* flow index + 1; 0: free */
	uint64_t *used;			/* bitmap of the same */
};

/* One snat service's allocator on this worker. */
struct gk_l4_snat_svc {
	uint32_t a, k;			/* next candidate: address a, k-th port */
	uint32_t in_use;		/* ports its flows hold */
	uint32_t count, base, cap;	/* owned ports per address, the first's
					 * slot, count x addresses */
};

/* Replies the reverse hook found another worker owns, at most. */
#define GK_L4_AWAY_MAX	256

#define GK_L4_WAYS	8	/* flow slots per bucket */

/* One worker's: flows, counters per backend (gidx) and per reason. */
struct gk_l4_ctx {
	struct gk_l4_flow *flows;
	uint32_t nr_buckets;		/* power of two */
	uint64_t cnt[GK_L4_CNT_MAX];
	uint64_t *be_pkts, *be_bytes;	/* [nr_be_max] */
	uint32_t nr_be_max;
	uint64_t now_ns;
	struct gk_wk_stats *stats;	/* the worker's: drops count as "l4" */
	/* snat (l4_snat.h): this worker of nr_workers owns pool ports p
	 * with p % nr_workers == wid; per pool address, per service. */
	unsigned wid, nr_workers;
	uint64_t wmul;			/* 2^64 / nr_workers, rounded up (> 1) */
	uint32_t nr_pool, nr_snat_svc;
	struct gk_l4_pool *pool;
	struct gk_l4_snat_svc *snat;
	/* Set by gk_l4_rev_burst: snat replies for away_to[i], untouched. */
	uint16_t nr_away;
	struct gk_pkt *away[GK_L4_AWAY_MAX];
	uint16_t away_to[GK_L4_AWAY_MAX];
};

/*
 * The live flow of this tuple (hash: the forward packet's flow_hash), or
 * NULL; looks only, creates and refreshes nothing.
 */
struct gk_l4_flow *gk_l4_flow_find(struct gk_l4_ctx *c,
				   const struct gk_l4_table *t, uint32_t hash,
				   uint32_t svc, uint8_t family, uint8_t proto,
				   const uint8_t *caddr, uint16_t cport,
				   uint16_t lport);

/* max_flows rounded up to a power-of-two number of GK_L4_WAYS buckets. */
int gk_l4_ctx_init(struct gk_l4_ctx *c, uint32_t max_flows, uint32_t nr_be);
void gk_l4_ctx_fini(struct gk_l4_ctx *c);

/*
 * Forward: class L4_SERVICE packets. Each leaves GK_V_NONE (rewritten,
 * class TRANSIT: routed on like any packet through a NAT router, TTL
 * spent) or GK_V_DROP (worker drop "l4") and a counter here. t may be NULL (all dropped, no_table).
 */
void gk_l4_fwd_burst(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		     struct gk_pkt **p, uint16_t n);
/*
 * Reverse: routed packets; replies of a backend get the listen source
 * (snat: and the client's destination, on the pool port's owner; those
 * another worker owns are left in c->away[] for the caller to hand over).
 */
void gk_l4_rev_burst(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		     struct gk_pkt **p, uint16_t n);

#endif
