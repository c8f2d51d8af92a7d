/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MAP-E (RFC 7597) table snapshot and what the CE and BR stages share.
 *
 * struct gk_map_table is built by genkand from checked rules
 * (map_rule.h), published read-only like the FIB, and freed after a grace
 * period; any number of workers read it concurrently. Per rule it keeps
 * the rule math in a shift-and-or form (struct gk_map_rt) so a worker
 * computes a CE address without the bit loops of gk_map_ce_addr().
 *   BR: LPM over rule IPv4 prefixes (inbound, hairpin) and over rule IPv6
 *       prefixes (anti-spoofing on decap).
 *   CE: the BMR-derived parameters plus LPM over FMR IPv4 prefixes (mesh).
 *
 * Counters are per worker (struct gk_map_dom_stats, nr_rules + 1 of them,
 * the last for packets matching no rule), written by the owning worker.
 */
#ifndef GK_MAP_TABLE_H
#define GK_MAP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fib.h"
#include "frag.h"
#include "lpm.h"
#include "map_rule.h"
#include "pkt.h"
#include "pkthdr.h"
#include "ratelimit.h"
#include "wkstats.h"

#define GK_MAPE_ROLE_CE	0	/* ctl/config.h GK_MAPE_CE */
#define GK_MAPE_ROLE_BR	1	/* ctl/config.h GK_MAPE_BR */

#define GK_MAP_DROP_LIST(X)						\
	X(SPOOF_ADDR,	"spoof_addr")	/* source address not the rule's */ \
	X(SPOOF_PORT,	"spoof_port")	/* BR: inner source port not the CE's */ \
	X(PORT_VIOLATION, "port_violation") /* CE: source port outside the set */ \
	X(NOT_OURS,	"not_ours")	/* decap: inner dst not our addr/ports */ \
	X(NO_RULE,	"no_rule")	/* no rule, or port in the excluded range */ \
	X(BAD_INNER,	"bad_inner")	/* inner not IPv4, or truncated */ \
	X(BAD_OUTER,	"bad_outer")	/* meta/outer header unusable */ \
	X(TTL,		"ttl")		/* inner TTL <= 1 on encap */	\
	X(TOO_BIG,	"too_big")	/* over the tunnel MTU */	\
	X(FRAGMENT,	"fragment")	/* fragment, no fragment state (init failed) */ \
	X(ICMP_UNSUPPORTED, "icmp_unsupported") /* no id/port to map, or an error about an error */ \
	X(ICMP_RATELIMITED, "icmp_ratelimited") /* ICMP owed, bucket empty */ \
	X(ICMP_NO_SRC,	"icmp_no_src")	/* ICMPv4 owed, v4 port has no address */ \
	X(REASM_BAD,	"reasm_bad")	/* IPv6 fragment malformed, too many pieces (+ held ones) */ \
	X(REASM_OVERLAP, "reasm_overlap") /* RFC 5722: datagram discarded, its frames */ \
	X(REASM_FULL,	"reasm_full")	/* no reassembly context free */ \
	X(REASM_TOO_BIG, "reasm_too_big") /* over the limit/buffer, its frames */ \
	X(REASM_DISCARDED, "reasm_discarded") /* piece of a discarded datagram */ \
	X(REASM_TIMEOUT, "reasm_timeout") /* held frames of datagrams timed out/evicted */ \
	X(VFRAG_UNKNOWN, "vfrag_unknown") /* IPv4 later fragment, no first, no hold */ \
	X(VFRAG_TIMEOUT, "vfrag_timeout") /* held IPv4 fragment, first never came */ \
	X(FRAG_NO_BUF,	"frag_no_buf")	/* outer fragmentation: no buffer */ \
	X(MARTIAN,	"martian")	/* BR encap: martian inner source/dst (martian.h) */

enum gk_map_drop {
#define GK_X(n, s) GK_MAP_DROP_##n,
	GK_MAP_DROP_LIST(GK_X)
#undef GK_X
	GK_MAP_DROP_MAX
};

extern const char *const gk_map_drop_names[GK_MAP_DROP_MAX];

/*
 * Per-domain counters, X(field, json name): the fields of struct
 * gk_map_dom_stats, in this order. GK_MAP_DOM_CNT_LIST is what `map show`
 * and `stats` print (docs/ctl-protocol.md COUNTERS); the fragment counters
 * are counted but not shown yet.
 */
#define GK_MAP_DOM_CNT_LIST(X)						\
	X(encap_pkts,	"encap_pkts")					\
	X(encap_bytes,	"encap_bytes")	/* inner bytes */		\
	X(decap_pkts,	"decap_pkts")					\
	X(decap_bytes,	"decap_bytes")	/* inner bytes */		\
	X(hairpin_pkts,	"hairpin_pkts")	/* BR: CE to CE re-encap */	\
	X(icmp_translated, "icmp_translated") /* ICMPv6 error -> ICMPv4 sent */ \
	X(icmp_unreach_sent, "icmp_unreach_sent") /* BR: ICMPv6 1/5 on spoof */ \
	X(mss_clamped,	"mss_clamped")

#define GK_MAP_DOM_FRAG_CNT_LIST(X)					\
	X(frag_needed_sent, "frag_needed_sent") /* ICMPv4 3/4 for the tunnel MTU */ \
	X(frag_out,	"frag_out")	/* outer IPv6 fragments sent */	\
	X(reasm_pieces,	"reasm_pieces")	/* IPv6 fragments taken in */	\
	X(reasm_ok,	"reasm_ok")	/* IPv6 datagrams reassembled */ \
	X(vfrag_held,	"vfrag_held")	/* IPv4 fragments held for their first */ \
	X(vfrag_ok,	"vfrag_ok")	/* IPv4 later fragments forwarded */

struct gk_map_dom_stats {
#define GK_X(f, s) uint64_t f;
	GK_MAP_DOM_CNT_LIST(GK_X)
	GK_MAP_DOM_FRAG_CNT_LIST(GK_X)
#undef GK_X
	uint64_t drops[GK_MAP_DROP_MAX];
};

/* Rule math in shift form: CE address = (hi, lo) built from v4 and psid. */
struct gk_map_rt {
	uint64_t v6hi;		/* rule IPv6 prefix, masked, host order */
	uint32_t v4pfx;		/* rule IPv4 prefix, host order */
	uint32_t v4mask;	/* of the rule IPv4 prefix */
	uint8_t ea_shift;	/* 64 - r6 - o: where the EA bits sit in hi */
	uint8_t p, o, k, a;	/* RFC 7597 notation (map_rule.h) */
	uint8_t draft03;
	uint16_t mss;		/* effective TCP MSS clamp, 0 = off */
	uint32_t sfx_mask;	/* the p suffix bits of an IPv4 address */
	uint16_t psid_mask;	/* (1 << k) - 1 */
	uint16_t port_lo;	/* §5.1: lowest port of a CE, 2^(16-a) (0: a or k 0) */
};
_Static_assert(sizeof(struct gk_map_rt) == 32, "two rules per cache line");

struct gk_map_table_cfg {
	int role;			/* GK_MAPE_ROLE_CE or _BR */
	const struct gk_map_rule *rules;	/* normalized and checked */
	unsigned nr_rules;
	int bmr;			/* CE: index of the BMR, else -1 */
	uint8_t br_addr[16];		/* DMR /128 */
	uint8_t eup[16];		/* CE: end-user prefix */
	uint8_t eup_len;
	uint16_t v4_port_id, v6_port_id;	/* genkan port ids */
	uint16_t tunnel_mtu;		/* resolved (> 0) */
	bool icmp_unreachable;		/* BR: ICMPv6 1/5 on spoof */
	uint8_t fragment;		/* 0 outer, 1 icmp (config.mape.fragment) */
};

/*
 * BR: rule IPv6 prefixes (all <= 64 bits, map_rule.h) as one open
 * addressing hash of masked upper halves, probed once per distinct prefix
 * length, longest first: a single cache line per probe instead of one
 * trie level per byte.
 */
struct gk_map_v6ent {
	uint64_t key;			/* masked prefix, host order */
	uint32_t ri;			/* rule index, GK_LPM_MISS: empty */
	uint32_t plen;
};

/* Read-only after gk_map_table_build(); stages read the fields directly. */
struct gk_map_table {
	int role;
	unsigned nr_rules;
	struct gk_map_rt *rt;		/* nr_rules */
	struct gk_lpm4 *lpm4;		/* BR: all rules; CE: FMRs; may be NULL */
	struct gk_map_v6ent *v6h;	/* BR: all rules; CE: NULL */
	uint32_t v6h_mask;		/* slots - 1 */
	uint8_t nr_v6len;		/* distinct prefix lengths */
	uint8_t v6len[65];		/* longest first */
	int bmr;
	struct gk_map_ce_params ce;	/* CE: derived from the BMR */
	uint32_t ce_v4, ce_v4mask;	/* CE: our IPv4 (prefix), host order */
	uint8_t br_addr[16];
	uint16_t v4_port_id, v6_port_id;
	uint16_t tunnel_mtu;
	bool icmp_unreachable;
	uint8_t fragment;
	/*
	 * A superset of the lpm4 prefixes, one bit per /16 (all clear: no
	 * lpm4): a clear bit is a sure miss, so the fast paths skip the
	 * hairpin and mesh lookups for destinations outside every rule.
	 */
	uint64_t *v4bm;
	/* no two lpm4 prefixes overlap: a rule's own prefix is its match */
	bool v4_disjoint;
};

/* NULL and a one-line reason in err on bad input or ENOMEM. */
struct gk_map_table *gk_map_table_build(const struct gk_map_table_cfg *c,
					char *err, size_t errlen);
void gk_map_table_free(struct gk_map_table *t);
unsigned gk_map_table_nr_rules(const struct gk_map_table *t);

/*
 * The CE IPv6 address for an IPv4 address (host order) inside rule rt and
 * a PSID: the same bits as gk_map_ce_addr() (RFC 7597 §5.2 and §6),
 * without its bit loops, as two host-order halves. Inline: every encap
 * and every validated decap computes one.
 */
static inline void gk_map_rt_ce_hl(const struct gk_map_rt *rt, uint32_t v4,
				   uint16_t psid, uint64_t *hi_, uint64_t *lo_)
{
	uint64_t ea, hi, lo;

	if (__builtin_expect(rt->o >= rt->p, 1)) {
		psid &= rt->psid_mask;
		ea = (uint64_t)(v4 & rt->sfx_mask) << rt->k | psid;
	} else {
		/* an IPv4 prefix: bits past r4 + o are not the CE's */
		/* 64-bit: p - o is 32 for a /0 rule with no EA bits */
		ea = (uint64_t)(v4 & rt->sfx_mask) >> (rt->p - rt->o);
		v4 &= (uint32_t)(~0ull << (rt->p - rt->o));
		psid = 0;
	}
	hi = rt->v6hi | (rt->o ? ea << rt->ea_shift : 0);
	if (rt->draft03)
		lo = (uint64_t)v4 << 24 | (uint64_t)psid << 8;
	else
		lo = (uint64_t)v4 << 16 | psid;
	*hi_ = hi;
	*lo_ = lo;
}

/* The same as bytes, in network order. */
static inline void gk_map_rt_ce_addr(const struct gk_map_rt *rt, uint32_t v4,
				     uint16_t psid, uint8_t out[16])
{
	uint64_t hi, lo;

	gk_map_rt_ce_hl(rt, v4, psid, &hi, &lo);
	hi = __builtin_bswap64(hi);
	lo = __builtin_bswap64(lo);
	memcpy(out, &hi, 8);
	memcpy(out + 8, &lo, 8);
}

static inline uint32_t gk_map_v6h_slot(uint64_t key, uint32_t plen,
				       uint32_t mask)
{
	uint64_t h = (key ^ plen) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32) & mask;
}

/*
 * BR: the rule whose IPv6 prefix covers addr, GK_LPM_MISS if none.
 * Inline: once per decapsulated packet, usually a single probe.
 */
static inline uint32_t gk_map_v6_lookup(const struct gk_map_table *t,
					const uint8_t addr[16])
{
	uint64_t hi;
	unsigned l;

	if (!t->v6h)
		return GK_LPM_MISS;
	memcpy(&hi, addr, 8);
	hi = __builtin_bswap64(hi);
	for (l = 0; l < t->nr_v6len; l++) {
		uint32_t plen = t->v6len[l], j;
		uint64_t key = plen ? hi & (~0ull << (64 - plen)) : 0;
		const struct gk_map_v6ent *e;

		for (j = gk_map_v6h_slot(key, plen, t->v6h_mask);
		     (e = &t->v6h[j])->ri != GK_LPM_MISS;
		     j = (j + 1) & t->v6h_mask)
			if (e->key == key && e->plen == plen)
				return e->ri;
	}
	return GK_LPM_MISS;
}

/*
 * Per-worker stage context, shared by the CE and BR stages. Zero it, set
 * map/fib/stats/dom/nr_dom (and optionally alloc/alloc_arg and the
 * nr_reasm/nr_vfrag/nr_hold/frag_max sizes), call gk_mape_init(); refresh
 * map, fib and now_ns (CLOCK_MONOTONIC ns) before each burst; call
 * gk_mape_fini() when the worker stops. dom has nr_dom entries,
 * nr_dom == gk_map_table_nr_rules(map) + 1 (last: no rule); if it is
 * shorter, the extra domains count into spare.
 *
 * Packets a burst call creates (contract for the worker):
 *  - alloc(alloc_arg, pkts, n) must return up to n fresh empty buffers
 *    (struct gk_port_ops.alloc of the packet's ingress port will do):
 *    data at the start of usable room with at least GK_PKT_HEADROOM in
 *    front, buf_len and handle set. The stage fills len, in_port, queue,
 *    meta and verdict. NULL alloc: outer fragmentation and releasing
 *    held IPv4 fragments are impossible, such packets drop frag_no_buf.
 *  - Every gk_mape_ce_burst()/gk_mape_br_burst() call first sets
 *    nr_extra = 0, then appends to extra[] (at most GK_BURST; beyond,
 *    frag_no_buf). After the call the worker owns extra[0..nr_extra) and
 *    treats them exactly like the burst's own packets: GK_V_NONE join the
 *    TRANSIT packets for gk_l3fwd_burst (they are class TRANSIT with
 *    GK_META_F_ORIGIN, in_port = the original's), GK_V_DROP are freed
 *    (the ICMP error stage may answer TTL/TOO_BIG drops).
 *  - Fragments the stage swallows (IPv6 pieces copied into a reassembly
 *    context, IPv4 fragments held for their first fragment) leave with
 *    verdict GK_V_DROP, drop_reason GK_WK_DROP_MAPE but WITHOUT a worker
 *    drop counted (dom reasm_pieces / vfrag_held count them): free them.
 *    Their copies are then held frames (gk_frag_reasm_held +
 *    gk_frag_virt_nr_held) until they leave: as one worker drop "mape"
 *    each when their datagram is given up (timeout, eviction, overlap,
 *    too big, bad; the dom reason says which), merged into a reassembled
 *    datagram (worker event reasm_merged), or sent (IPv4, a new buffer).
 *    So per worker: rx = tx + held + drops + reasm_merged for them.
 */
struct gk_mape_ctx {
	const struct gk_map_table *map;
	const struct gk_fib *fib;	/* source address of ICMPv4 errors */
	struct gk_wk_stats *stats;
	struct gk_map_dom_stats *dom;
	unsigned nr_dom;
	uint64_t now_ns;
	/* ICMP token bucket (RFC 1812 4.3.2.8, RFC 4443 2.4(f)) */
	struct gk_tb tb;
	uint32_t rate_pps, burst;
	struct gk_map_dom_stats spare;
	/* buffers for packets the stage creates; see above */
	uint16_t (*alloc)(void *arg, struct gk_pkt **p, uint16_t n);
	void *alloc_arg;
	struct gk_pkt *extra[GK_BURST];
	uint16_t nr_extra;
	/* fragment state, made by gk_mape_init (0 sizes: defaults) */
	unsigned nr_reasm, nr_vfrag, nr_hold;
	uint32_t frag_max;		/* largest reassembled/held, bytes */
	struct gk_frag_reasm *reasm;	/* NULL: fragments drop "fragment" */
	struct gk_frag_virt *vfrag;
	uint32_t frag_id;		/* RFC 8200 §4.5 Identification, next */
	/*
	 * Tests: every packet takes the reference path (the fast paths off),
	 * so a differential test can hold the two against each other.
	 */
	bool ref;
};

#define GK_MAPE_NR_REASM	256
#define GK_MAPE_NR_VFRAG	4096
#define GK_MAPE_NR_HOLD		32
#define GK_MAPE_FRAG_MAX	4096

/*
 * rate_pps/burst 0: the icmp_err.h defaults. Fills the bucket and
 * allocates the fragment tables (init time; on ENOMEM they stay NULL and
 * fragments are dropped, reason "fragment").
 */
void gk_mape_init(struct gk_mape_ctx *ctx, uint32_t rate_pps, uint32_t burst);
/* Frees what gk_mape_init allocated. */
void gk_mape_fini(struct gk_mape_ctx *ctx);

/*
 * ---- Shared by the CE and BR stages (mape_ce.c, mape_br.c) ----
 * Per-packet helpers; none allocates. ip/len is an IPv4 packet already
 * bounds-checked with gk_mape_ip4_len().
 */
static inline struct gk_map_dom_stats *gk_mape_dom(struct gk_mape_ctx *ctx,
						   unsigned idx)
{
	return ctx->dom && idx < ctx->nr_dom ? &ctx->dom[idx] : &ctx->spare;
}

/*
 * Drop with a per-domain reason. TTL drops carry the worker's ttl_expired
 * reason on an untouched IPv4 packet, so the ICMP error stage
 * (icmp_err.h) answers them with Time Exceeded; all others are "mape".
 */
static inline void gk_mape_drop(struct gk_mape_ctx *ctx, struct gk_pkt *p,
				struct gk_map_dom_stats *dom,
				enum gk_map_drop why)
{
	dom->drops[why]++;
	gk_wk_drop(ctx->stats, p, why == GK_MAP_DROP_TTL ? GK_WK_DROP_TTL :
							  GK_WK_DROP_MAPE);
}

/*
 * No table in the stage's role (none loaded yet, or the other role's):
 * every packet no earlier stage decided drops "bad_meta". Out of line,
 * off both stages' hot paths.
 */
void gk_mape_drop_undecided(struct gk_mape_ctx *ctx, struct gk_pkt **pkts,
			    uint16_t n);
bool gk_mape_take_token(struct gk_mape_ctx *ctx);
/*
 * Total length of the IPv4 packet at off, 0 if it does not fit
 * (Ethernet padding excluded). Inline: once per packet either way.
 */
static inline uint32_t gk_mape_ip4_len(const struct gk_pkt *p, uint32_t off)
{
	const uint8_t *ip = p->data + off;
	uint32_t ihl, tot;

	if (off + 20 > p->len || (ip[0] >> 4) != 4)
		return 0;
	ihl = (ip[0] & 0xfu) * 4u;
	tot = gk_rd16(ip + 2);
	if (ihl < 20 || tot < ihl || off + tot > p->len)
		return 0;
	return tot;
}

/* gk_mape_port() for what is not an unfragmented TCP/UDP packet. */
bool gk_mape_port_slow(const uint8_t *ip, uint32_t len, bool to_ce,
		       uint8_t noport_why, uint16_t *port, uint8_t *why);

/*
 * The port that selects the CE (RFC 7597 §5.1, ICMP per RFC 7597 §8.3):
 * to_ce, the destination port / query id / quoted source port; else the
 * source port / query id / quoted destination port. false with *why set
 * (noport_why for protocols without ports). TCP/UDP inline, ICMP and the
 * errors out of line.
 */
static inline bool gk_mape_port(const uint8_t *ip, uint32_t len, bool to_ce,
				uint8_t noport_why, uint16_t *port,
				uint8_t *why)
{
	uint32_t ihl = (ip[0] & 0xfu) * 4u;

	if (__builtin_expect((ip[9] == 6 || ip[9] == 17) &&
			     !(gk_rd16(ip + 6) & 0x1fff) &&
			     len >= ihl + 4, 1)) {
		*port = gk_rd16(ip + ihl + (to_ce ? 2 : 0));
		return true;
	}
	return gk_mape_port_slow(ip, len, to_ce, noport_why, port, why);
}
/* Lower a SYN's MSS option to mss; true if changed. */
bool gk_mape_mss_clamp(uint8_t *ip, uint32_t len, uint16_t mss);
/* Prepend the outer IPv6 header; meta then describes it (ORIGIN set). */
void gk_mape_encap(struct gk_pkt *p, const uint8_t src[16],
		   const uint8_t dst[16], uint32_t ip_len);
/* Strip to the inner IPv4 at offset inner; meta then describes it. */
void gk_mape_decap(struct gk_pkt *p, uint32_t inner, uint32_t ip_len);
/*
 * The tunnel exit for an IPv4 packet (len bytes at l3_off) bound for dst6:
 * TTL, tunnel MTU (RFC 7597 §8.3: ICMPv4 Fragmentation Needed, or outer
 * IPv6 fragments, per policy and DF), TTL decrement, MSS clamp (mss != 0),
 * encapsulation, counters. Drops are counted on dom.
 */
void gk_mape_send(struct gk_mape_ctx *ctx, struct gk_pkt *p,
		  struct gk_map_dom_stats *dom, uint16_t mss,
		  const uint8_t src6[16], const uint8_t dst6[16], uint32_t len);
/*
 * Encap side of IPv4 virtual reassembly. For a later fragment (offset !=
 * 0): 1 with *d filled when its first fragment was seen; else the packet
 * is held or dropped and 0 is returned. Not a later fragment: -1.
 */
int gk_mape_vfrag_later(struct gk_mape_ctx *ctx, struct gk_pkt *p,
			struct gk_map_dom_stats *dom, uint32_t tag,
			uint32_t len, struct gk_frag_dest *d);
/*
 * After a first fragment (ip, len, decision d) was sent: record d and send
 * the held later fragments of its datagram through gk_mape_send.
 */
void gk_mape_vfrag_first(struct gk_mape_ctx *ctx, const uint8_t *ip,
			 uint32_t len, const uint8_t src6[16],
			 const struct gk_frag_dest *d);
/*
 * Outer IPv6 fragment on decap: 0 when p now holds the whole datagram
 * (meta rewritten), -1 when it was swallowed or dropped (counted on dom).
 */
int gk_mape_reasm(struct gk_mape_ctx *ctx, struct gk_pkt *p,
		  struct gk_map_dom_stats *dom, uint32_t tag);
/* Once per burst: count timed-out fragment state. */
void gk_mape_frag_tick(struct gk_mape_ctx *ctx);
/* ICMPv6 error about our tunnel -> ICMPv4 error; -1 if not one. */
int gk_mape_icmp6_translate(struct gk_mape_ctx *ctx, struct gk_pkt *p,
			    const uint8_t ours[16]);

/*
 * ---- Fast paths (mape_ce.c, mape_br.c) ----
 * The common packet (untagged, an unfragmented IPv4 header of 20 bytes,
 * nothing to answer) skips the general code; anything else takes the
 * reference path, which decides exactly as before. The fast paths only
 * count into gk_mape_run, added to the domain once per run of packets of
 * one rule.
 */
struct gk_mape_run {
	uint32_t ri;		/* domain index, UINT32_MAX: none yet */
	uint32_t pkts;
	uint64_t bytes;
};

static inline void gk_mape_run_flush(struct gk_mape_ctx *ctx,
				     struct gk_mape_run *r, bool encap)
{
	struct gk_map_dom_stats *dom;

	if (!r->pkts)
		return;
	dom = gk_mape_dom(ctx, r->ri);
	if (encap) {
		dom->encap_pkts += r->pkts;
		dom->encap_bytes += r->bytes;
	} else {
		dom->decap_pkts += r->pkts;
		dom->decap_bytes += r->bytes;
	}
	r->pkts = 0;
	r->bytes = 0;
}

/* Packets of rule ri follow: the run of another rule is added first. */
static inline void gk_mape_run_to(struct gk_mape_ctx *ctx,
				  struct gk_mape_run *r, bool encap,
				  uint32_t ri)
{
	if (r->ri != ri) {
		gk_mape_run_flush(ctx, r, encap);
		r->ri = ri;
	}
}

/* meta l3_off == l3 and l4_off == l4, as one load (adjacent fields). */
static inline bool gk_mape_offs_are(const struct gk_xdp_meta *m, uint16_t l3,
				    uint16_t l4)
{
	const struct { uint16_t l3, l4; } want = { l3, l4 };
	uint32_t a, b;

	_Static_assert(offsetof(struct gk_xdp_meta, l4_off) ==
		       offsetof(struct gk_xdp_meta, l3_off) + 2, "adjacent");
	memcpy(&a, &m->l3_off, 4);
	memcpy(&b, &want, 4);
	return a == b;
}

/*
 * Length of the untagged IPv4 packet at l3 == 14 when the fast paths may
 * take it: IHL 5, at least min (>= 20) bytes, whole in the frame, not a
 * fragment; else 0.
 */
static inline uint32_t gk_mape_ip4_fast_len(const struct gk_pkt *p,
					    uint32_t min)
{
	const uint8_t *ip = p->data + 14;
	uint32_t tot;

	if (p->meta.l3_off != 14 || 14 + 20 > p->len || ip[0] != 0x45)
		return 0;
	tot = gk_rd16(ip + 2);
	if (tot < min || 14 + tot > p->len || (gk_rd16(ip + 6) & 0x3fff))
		return 0;
	return tot;
}

/*
 * gk_mape_encap() for l3_off 14, the addresses as two 8-byte words each
 * (as stored): RFC 2473 §3.1, RFC 7597 §7, the same bytes and meta.
 */
static inline void gk_mape_encap14(struct gk_pkt *p, const uint64_t src[2],
				   uint64_t dhi, uint64_t dlo, uint32_t ip_len)
{
	uint8_t *d = p->data - 40, *ip6 = d + 14;
	uint32_t w0 = 0x60000000u | (uint32_t)p->data[15] << 20 |
		      (p->meta.flow_hash & 0xfffffu);
	uint32_t w1 = ip_len << 16 | 4u << 8 | 64u;

	/* 16 bytes in one go: the 2 past the L2 header are w0's, stored next */
	memcpy(d, p->data, 16);
	gk_wr16(d + 12, 0x86dd);
	w0 = __builtin_bswap32(w0);
	w1 = __builtin_bswap32(w1);
	memcpy(ip6, &w0, 4);
	memcpy(ip6 + 4, &w1, 4);
	memcpy(ip6 + 8, src, 16);
	memcpy(ip6 + 24, &dhi, 8);
	memcpy(ip6 + 32, &dlo, 8);
	p->data = d;
	p->buf_len += 40;
	p->len = 14 + 40 + ip_len;
	gk_meta_built(&p->meta, GK_META_F_IPV6, 14 + 40, 4);
}

/*
 * gk_mape_decap() of an inner IPv4 packet right behind a 40-byte outer
 * header at l3_off 14: IHL 5, unfragmented, transport protocol proto.
 */
static inline void gk_mape_decap14(struct gk_pkt *p, uint32_t ip_len,
				   uint8_t proto)
{
	uint8_t *d = p->data + 40;

	memcpy(d, p->data, 12);
	gk_wr16(d + 12, 0x0800);
	p->data = d;
	p->buf_len -= 40;
	p->len = 14 + ip_len;
	p->meta.l4_off = 14 + 20;
	p->meta.l4_proto = proto;
	p->meta.flags = (uint8_t)((p->meta.flags & GK_META_F_VLAN) |
				  GK_META_F_IPV4 | GK_META_F_L4);
	p->meta.class = GK_CLASS_TRANSIT;
}

/* The tunnel exit of gk_mape_send() when nothing is owed: TTL, MTU fit. */
static inline bool gk_mape_send_fast_ok(uint16_t tunnel_mtu, const uint8_t *ip,
					uint32_t len)
{
	return ip[8] > 1 && len <= tunnel_mtu;
}

#endif
