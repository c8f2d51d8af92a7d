/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>
#include <string.h>
#include <arpa/inet.h>

#include "mape_br.h"
#include "martian.h"

/* RFC 4443 2.4(c): an error must fit the minimum IPv6 MTU. */
#define IP6_ERR_MAX	1280

/* The CE (rule rt) for an IPv4 destination and its packet; -1: dropped. */
static int ce_of_dst(struct gk_mape_ctx *ctx, struct gk_pkt *p,
		     struct gk_map_dom_stats *dom, const struct gk_map_rt *rt,
		     const uint8_t *ip, uint32_t len, uint8_t out[16])
{
	uint16_t port, psid = 0;
	uint8_t why;

	if (rt->k) {
		if (unlikely(!gk_mape_port(ip, len, true, GK_MAP_DROP_NO_RULE,
					   &port, &why))) {
			gk_mape_drop(ctx, p, dom, why);
			return -1;
		}
		/* §5.1: ports 0 .. 2^(16-a)-1 belong to no CE */
		if (unlikely(rt->a && port < (1u << (16 - rt->a)))) {
			gk_mape_drop(ctx, p, dom, GK_MAP_DROP_NO_RULE);
			return -1;
		}
		psid = gk_map_port_psid(rt->a, rt->k, port);
	}
	gk_map_rt_ce_addr(rt, gk_rd32(ip + 16), psid, out);
	return 0;
}

/* RFC 7597 §8.2: IPv4 from the internet to the CE owning addr+port. */
static __attribute__((noinline))
void encap(struct gk_mape_ctx *ctx, struct gk_pkt *p, uint32_t ri)
{
	const struct gk_map_table *t = ctx->map;
	struct gk_map_dom_stats *dom;
	const struct gk_map_rt *rt;
	uint32_t l3 = p->meta.l3_off, len;
	struct gk_frag_dest d;
	uint8_t *ip;
	int later;

	len = gk_mape_ip4_len(p, l3);
	if (unlikely(!len)) {
		gk_mape_drop(ctx, p, gk_mape_dom(ctx, t->nr_rules),
			     GK_MAP_DROP_BAD_INNER);
		return;
	}
	ip = p->data + l3;
	if (unlikely(ri == GK_LPM_MISS)) {
		gk_mape_drop(ctx, p, gk_mape_dom(ctx, t->nr_rules),
			     GK_MAP_DROP_NO_RULE);
		return;
	}
	rt = &t->rt[ri];
	dom = gk_mape_dom(ctx, ri);
	/* from the internet to a CE: never tunnel a martian source in */
	if (unlikely(gk_martian4_maybe(ip)) &&
	    gk_martian4(ip) != GK_MARTIAN_NONE) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_MARTIAN);
		return;
	}
	/* §8.3 virtual reassembly: later fragments carry no port */
	later = gk_mape_vfrag_later(ctx, p, dom, ri, len, &d);
	if (later > 0)
		gk_mape_send(ctx, p, gk_mape_dom(ctx, d.tag), 0, t->br_addr,
			     d.addr6, len);
	if (later >= 0)
		return;
	if (ce_of_dst(ctx, p, dom, rt, ip, len, d.addr6))
		return;
	d.tag = ri;
	if (unlikely(gk_rd16(ip + 6) & 0x2000))
		gk_mape_vfrag_first(ctx, ip, len, t->br_addr, &d);
	gk_mape_send(ctx, p, dom, rt->mss, t->br_addr, d.addr6, len);
}

/*
 * RFC 7597 §8.1, RFC 4443 3.1 code 5: tell the CE its source failed the
 * ingress policy. Built in place from the offending packet; rate-limited.
 */
static __attribute__((noinline, cold))
void unreach6(struct gk_mape_ctx *ctx, struct gk_pkt *p,
	      struct gk_map_dom_stats *dom, enum gk_map_drop why)
{
	uint32_t l3 = p->meta.l3_off, q;
	uint8_t *ip = p->data + l3;

	dom->drops[why]++;
	q = 40u + gk_rd16(ip + 4);
	if (q > p->len - l3)
		q = p->len - l3;
	if (q > IP6_ERR_MAX - 48)
		q = IP6_ERR_MAX - 48;
	if (p->buf_len < l3 + 48 + q)
		q = p->buf_len > l3 + 48 + 40 ? p->buf_len - l3 - 48 : 0;
	if (!q || !gk_mape_take_token(ctx)) {
		if (q)
			dom->drops[GK_MAP_DROP_ICMP_RATELIMITED]++;
		gk_wk_drop(ctx->stats, p, GK_WK_DROP_MAPE);
		return;
	}
	/* back to the CE (ip + 8), which the quote leaves in place */
	p->len = l3 + gk_icmp6_err_build(ip, ip, q, ctx->map->br_addr, ip + 8,
					 1, 5, 0);
	gk_meta_built(&p->meta, GK_META_F_IPV6, l3 + 40, 58);
	dom->icmp_unreach_sent++;
}

/*
 * Why the outer source and the CE address computed from the inner source
 * differ: only in the PSID (spoofed port), or in more (spoofed address).
 */
static enum gk_map_drop spoof_kind(const struct gk_map_rt *rt, uint32_t src4,
				   const uint8_t *outer_src)
{
	uint8_t alt[16];
	uint64_t hi;
	uint16_t psid;

	if (!rt->k)
		return GK_MAP_DROP_SPOOF_ADDR;
	memcpy(&hi, outer_src, 8);
	hi = __builtin_bswap64(hi);
	psid = (uint16_t)((hi >> rt->ea_shift) & ((1u << rt->k) - 1u));
	gk_map_rt_ce_addr(rt, src4, psid, alt);
	return memcmp(alt, outer_src, 16) ? GK_MAP_DROP_SPOOF_ADDR :
					    GK_MAP_DROP_SPOOF_PORT;
}

/* Decap side of virtual reassembly: remember who sent a first fragment. */
static void inner_first(struct gk_mape_ctx *ctx, const uint8_t *ip,
			uint32_t len, const uint8_t *src6, uint32_t tag)
{
	struct gk_frag_dest d = { .tag = tag };

	if (!ctx->vfrag)
		return;
	memcpy(d.addr6, src6, 16);
	gk_frag_virt_add(ctx->vfrag, ip, len, ctx->now_ns, &d);
}

/* The first fragment came from this very tunnel source and passed. */
static bool inner_later_ok(struct gk_mape_ctx *ctx, const uint8_t *ip,
			   uint32_t len, const uint8_t *src6)
{
	struct gk_frag_dest d;

	return ctx->vfrag &&
	       !gk_frag_virt_find(ctx->vfrag, ip, len, ctx->now_ns, &d) &&
	       !memcmp(d.addr6, src6, 16);
}

/* RFC 7597 §8.1: decapsulate with anti-spoofing, or hairpin (§8.2). */
static __attribute__((noinline))
void decap(struct gk_mape_ctx *ctx, struct gk_pkt *p)
{
	const struct gk_map_table *t = ctx->map;
	struct gk_map_dom_stats *dom = gk_mape_dom(ctx, t->nr_rules);
	const struct gk_map_rt *rt;
	uint32_t l3 = p->meta.l3_off, inner = p->meta.l4_off, len, hi, ri;
	uint32_t src4;
	uint8_t *o6, *ip, why, want[16], dst6[16];
	uint16_t port, psid = 0;

	if (unlikely(p->meta.flags & GK_META_F_FRAG)) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_FRAGMENT);
		return;
	}
	if (unlikely(!(p->meta.flags & GK_META_F_L4) || l3 + 40 > p->len ||
		     inner < l3 + 40)) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_BAD_OUTER);
		return;
	}
	o6 = p->data + l3;
	if (unlikely(memcmp(o6 + 24, t->br_addr, 16))) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_NOT_OURS);
		return;
	}
	ri = gk_map_v6_lookup(t, o6 + 8);
	if (unlikely(ri == GK_LPM_MISS)) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_NO_RULE);
		return;
	}
	rt = &t->rt[ri];
	dom = gk_mape_dom(ctx, ri);
	len = gk_mape_ip4_len(p, inner);
	if (unlikely(!len || inner + len > l3 + 40 + gk_rd16(o6 + 4))) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_BAD_INNER);
		return;
	}
	ip = p->data + inner;
	src4 = gk_rd32(ip + 12);
	if (unlikely((src4 & rt->v4mask) != rt->v4pfx)) {
		why = GK_MAP_DROP_SPOOF_ADDR;
		goto spoofed;
	}
	/* §8.3: a later inner fragment is as good as its validated first */
	if (unlikely(gk_rd16(ip + 6) & 0x1fff) && rt->k) {
		if (!inner_later_ok(ctx, ip, len, o6 + 8)) {
			gk_mape_drop(ctx, p, dom, GK_MAP_DROP_VFRAG_UNKNOWN);
			return;
		}
		goto valid;
	}
	if (rt->k) {
		if (unlikely(!gk_mape_port(ip, len, false,
					   GK_MAP_DROP_SPOOF_PORT, &port,
					   &why))) {
			if (why == GK_MAP_DROP_SPOOF_PORT)
				goto spoofed;
			gk_mape_drop(ctx, p, dom, why);
			return;
		}
		if (unlikely(rt->a && port < (1u << (16 - rt->a)))) {
			why = GK_MAP_DROP_SPOOF_PORT;
			goto spoofed;
		}
		psid = gk_map_port_psid(rt->a, rt->k, port);
	}
	gk_map_rt_ce_addr(rt, src4, psid, want);
	if (unlikely(memcmp(want, o6 + 8, 16))) {
		why = spoof_kind(rt, src4, o6 + 8);
		goto spoofed;
	}
	if (unlikely(gk_rd16(ip + 6) & 0x2000))
		inner_first(ctx, ip, len, o6 + 8, ri);
valid:

	hi = t->lpm4 ? gk_lpm4_lookup(t->lpm4, htonl(gk_rd32(ip + 16))) :
		       GK_LPM_MISS;
	if (hi != GK_LPM_MISS) {
		/* §8.2 hairpin: CE to CE through the BR, never via IPv4 */
		struct gk_map_dom_stats *d2 = gk_mape_dom(ctx, hi);

		if (ce_of_dst(ctx, p, d2, &t->rt[hi], ip, len, dst6))
			return;
		if (unlikely(ip[8] <= 1)) {
			gk_mape_drop(ctx, p, d2, GK_MAP_DROP_TTL);
			return;
		}
		gk_ip4_ttl_dec(ip);
		if (t->rt[hi].mss && ip[9] == 6 &&
		    gk_mape_mss_clamp(ip, len, t->rt[hi].mss))
			d2->mss_clamped++;
		dom->decap_pkts++;
		dom->decap_bytes += len;
		/* its outer flow label: the tunnel packet carried no hash */
		p->meta.flow_hash = gk_ip_flow_hash(ip, len);
		gk_mape_decap(p, inner, len);
		gk_mape_encap(p, t->br_addr, dst6, len);
		d2->hairpin_pkts++;
		d2->encap_pkts++;
		d2->encap_bytes += len;
		return;
	}
	if (rt->mss && ip[9] == 6 && gk_mape_mss_clamp(ip, len, rt->mss))
		dom->mss_clamped++;
	gk_mape_decap(p, inner, len);
	dom->decap_pkts++;
	dom->decap_bytes += len;
	return;

spoofed:
	if (t->icmp_unreachable)
		unreach6(ctx, p, dom, why);
	else
		gk_mape_drop(ctx, p, dom, why);
}

/*
 * RFC 7597 §8.3: outer fragments to the BR address are reassembled first;
 * the datagram is tagged with the rule of its source. 0: p is whole now.
 */
static __attribute__((noinline))
int reasm(struct gk_mape_ctx *ctx, struct gk_pkt *p)
{
	const struct gk_map_table *t = ctx->map;
	const uint8_t *ip6 = p->data + p->meta.l3_off;
	uint32_t ri;

	if ((uint32_t)p->meta.l3_off + 40 > p->len || memcmp(ip6 + 24, t->br_addr, 16))
		return 0;	/* decap drops it: not ours / fragment */
	ri = gk_map_v6_lookup(t, ip6 + 8);
	if (ri == GK_LPM_MISS)
		ri = t->nr_rules;
	return gk_mape_reasm(ctx, p, gk_mape_dom(ctx, ri), ri);
}

/*
 * Per-burst state of the fast paths: the table's constants as words, the
 * last rule lookups, and the counters they owe the domains.
 */
/*
 * The last CE a fast path derived: rule ri, IPv4 address v4 and the port
 * bits that select the PSID (§5.1: port & pmask; ports below port_lo are
 * no CE's) gave the address w (as stored). The same inputs give the same
 * address, without the rule math.
 */
struct memo {
	uint64_t w[2];
	uint64_t key, kmask;	/* v4 << 32 | port, under v4 and pmask */
	uint32_t ri;
	uint16_t port_lo;
	uint16_t mss;		/* the rule's */
};

struct fast {
	const struct gk_map_table *t;
	uint64_t br[2];		/* t->br_addr as stored */
	const uint64_t *v4bm;	/* t->v4bm */
	uint16_t mtu;		/* t->tunnel_mtu */
	uint64_t v6key, v6mask;	/* last v6 hit at the longest length */
	uint32_t v6ri;		/* its rule, GK_LPM_MISS: none */
	uint32_t v4ri;		/* last lpm4 hit (v4_disjoint only) */
	struct memo dm, em;	/* decap: source CE; encap: destination CE */
	struct gk_mape_run dec, enc;
};

/* Empty: a key outside its mask never matches. */
static inline void memo_clear(struct memo *m)
{
	memset(m, 0, sizeof(*m));
	m->key = 1;
}

static inline bool memo_hit(const struct memo *m, uint32_t v4, uint16_t port)
{
	return (((uint64_t)v4 << 32 | port) & m->kmask) == m->key &&
	       port >= m->port_lo;
}

static inline void memo_set(struct memo *m, const struct gk_map_rt *rt,
			    uint32_t ri, uint32_t v4, uint16_t port,
			    uint64_t w0, uint64_t w1)
{
	uint16_t pmask = rt->k ? (uint16_t)(rt->psid_mask <<
					    (16 - rt->a - rt->k)) : 0;

	m->w[0] = w0;
	m->w[1] = w1;
	m->kmask = 0xffffffff00000000ull | pmask;
	m->key = ((uint64_t)v4 << 32 | port) & m->kmask;
	m->ri = ri;
	m->port_lo = rt->port_lo;
	m->mss = rt->mss;
}

/*
 * gk_map_v6_lookup() for an address whose upper half (host order) is hi.
 * A hit at the longest prefix length is what any address sharing those
 * bits gets too, so it is remembered.
 */
static inline uint32_t v6_rule(const struct gk_map_table *t, struct fast *f,
			       const uint8_t *src6, uint64_t hi)
{
	const struct gk_map_rt *rt;
	unsigned plen;
	uint32_t ri;

	if (likely(f->v6ri != GK_LPM_MISS && !((hi ^ f->v6key) & f->v6mask)))
		return f->v6ri;
	ri = gk_map_v6_lookup(t, src6);
	if (ri == GK_LPM_MISS)
		return ri;
	rt = &t->rt[ri];
	plen = 64u - rt->ea_shift - rt->o;
	if (plen == t->v6len[0]) {
		f->v6ri = ri;
		f->v6mask = plen ? ~0ull << (64 - plen) : 0;
		f->v6key = hi & f->v6mask;
	}
	return ri;
}

/*
 * decap() for a valid TCP/UDP packet from the CE its rule says, bound
 * for outside every rule (no hairpin); false: decap() decides.
 */
static inline bool decap_fast(struct gk_mape_ctx *ctx, struct fast *f,
			      struct gk_pkt *p)
{
	const struct gk_map_table *t = f->t;
	const struct gk_map_rt *rt;
	uint64_t w[4], hi, lo;
	uint32_t len, src4, dst, ri, inner = 14 + 40;
	uint16_t port, psid = 0;
	uint8_t *o6 = p->data + 14, *ip = o6 + 40, proto;

	if ((p->meta.flags & (GK_META_F_FRAG | GK_META_F_L4)) !=
	    GK_META_F_L4 || !gk_mape_offs_are(&p->meta, 14, inner) ||
	    inner + 20 > p->len || ip[0] != 0x45)
		return false;
	memcpy(w, o6 + 8, 32);
	if ((w[2] ^ f->br[0]) | (w[3] ^ f->br[1]))
		return false;
	len = gk_rd16(ip + 2);
	proto = ip[9];
	if (len < 24 || inner + len > p->len ||
	    inner + len > 14u + 40u + gk_rd16(o6 + 4) ||
	    (gk_rd16(ip + 6) & 0x3fff) || (proto != 6 && proto != 17))
		return false;
	src4 = gk_rd32(ip + 12);
	port = gk_rd16(ip + 20);
	if (unlikely(!memo_hit(&f->dm, src4, port) ||
		     ((w[0] ^ f->dm.w[0]) | (w[1] ^ f->dm.w[1])))) {
		hi = __builtin_bswap64(w[0]);
		ri = v6_rule(t, f, o6 + 8, hi);
		if (ri == GK_LPM_MISS)
			return false;
		rt = &t->rt[ri];
		if ((src4 & rt->v4mask) != rt->v4pfx)
			return false;
		if (rt->k) {
			if (port < rt->port_lo)
				return false;
			psid = gk_map_port_psid(rt->a, rt->k, port);
		}
		gk_map_rt_ce_hl(rt, src4, psid, &hi, &lo);
		if ((__builtin_bswap64(hi) ^ w[0]) |
		    (__builtin_bswap64(lo) ^ w[1]))
			return false;
		memo_set(&f->dm, rt, ri, src4, port, w[0], w[1]);
		gk_mape_run_to(ctx, &f->dec, false, ri);
	}
	ri = f->dm.ri;
	dst = gk_rd32(ip + 16);
	if (f->v4bm[dst >> 22] >> (dst >> 16 & 63) & 1)
		return false;
	if (f->dm.mss && proto == 6 && gk_mape_mss_clamp(ip, len, f->dm.mss))
		gk_mape_dom(ctx, ri)->mss_clamped++;
	gk_mape_decap14(p, len, proto);
	/* the run is the memo's rule */
	f->dec.pkts++;
	f->dec.bytes += len;
	return true;
}

/*
 * The rule of an IPv4 destination (host order): gk_lpm4_lookup(), or the
 * last rule again when its prefix covers dst and no prefix overlaps it.
 */
static inline uint32_t v4_rule(const struct gk_map_table *t, struct fast *f,
			       uint32_t dst)
{
	const struct gk_map_rt *rt;
	uint32_t ri;

	if (likely(f->v4ri != GK_LPM_MISS)) {
		rt = &t->rt[f->v4ri];
		if ((dst & rt->v4mask) == rt->v4pfx)
			return f->v4ri;
	}
	if (!t->lpm4)
		return GK_LPM_MISS;
	ri = gk_lpm4_lookup(t->lpm4, htonl(dst));
	if (t->v4_disjoint)
		f->v4ri = ri;
	return ri;
}

/*
 * encap() for an unfragmented TCP/UDP packet to a CE port, that fits the
 * tunnel and has TTL left; false: encap() decides.
 */
static inline bool encap_fast(struct gk_mape_ctx *ctx, struct fast *f,
			      struct gk_pkt *p)
{
	const struct gk_map_table *t = f->t;
	const struct gk_map_rt *rt;
	uint32_t len, ri, dst;
	uint8_t *ip = p->data + 14;
	uint64_t hi, lo;
	uint16_t port, psid = 0;

	len = gk_mape_ip4_fast_len(p, 24);
	if (!len || gk_martian4_maybe(ip) || (ip[9] != 6 && ip[9] != 17) ||
	    !gk_mape_send_fast_ok(f->mtu, ip, len))
		return false;
	dst = gk_rd32(ip + 16);
	port = gk_rd16(ip + 22);
	if (unlikely(!memo_hit(&f->em, dst, port))) {
		ri = v4_rule(t, f, dst);
		if (ri == GK_LPM_MISS)
			return false;
		rt = &t->rt[ri];
		if (rt->k) {
			if (port < rt->port_lo)
				return false;
			psid = gk_map_port_psid(rt->a, rt->k, port);
		}
		gk_map_rt_ce_hl(rt, dst, psid, &hi, &lo);
		memo_set(&f->em, rt, ri, dst, port, __builtin_bswap64(hi),
			 __builtin_bswap64(lo));
		gk_mape_run_to(ctx, &f->enc, true, ri);
	}
	ri = f->em.ri;
	gk_ip4_ttl_dec(ip);
	if (f->em.mss && ip[9] == 6 && gk_mape_mss_clamp(ip, len, f->em.mss))
		gk_mape_dom(ctx, ri)->mss_clamped++;
	gk_mape_encap14(p, f->br, f->em.w[0], f->em.w[1], len);
	f->enc.pkts++;
	f->enc.bytes += len;
	return true;
}

/* The lpm4 rule encap() gets: the destination's, when there is one. */
static uint32_t enc_rule(const struct gk_map_table *t, const struct gk_pkt *p)
{
	uint32_t l3 = p->meta.l3_off;

	if (!t->lpm4)
		return GK_LPM_MISS;
	return gk_lpm4_lookup(t->lpm4, l3 + 20 <= p->len ?
				       gk_ld32(p->data + l3 + 16) : 0);
}

enum { A_SKIP, A_DECAP, A_ENCAP, A_ICMP6 };

/*
 * The fast paths in the first pass, the rest deferred to a second pass,
 * in order. The fast paths touch nothing but their packet and counters,
 * so running them early changes nothing any packet sees.
 */
static inline __attribute__((always_inline))
void burst_as(struct gk_mape_ctx *ctx, struct gk_pkt **pkts, uint16_t n,
	      const bool fast)
{
	const struct gk_map_table *t = ctx->map;
	uint8_t act[GK_BURST];
	struct fast f;
	unsigned i, nslow = 0;
	uint16_t v4_port, v6_port;

	if (unlikely(!t || t->role != GK_MAPE_ROLE_BR)) {
		gk_mape_drop_undecided(ctx, pkts, n);
		return;
	}
	v4_port = t->v4_port_id;
	v6_port = t->v6_port_id;
	f.t = t;
	memcpy(f.br, t->br_addr, 16);
	f.v6ri = f.v4ri = GK_LPM_MISS;
	f.v6key = f.v6mask = 0;
	f.v4bm = t->v4bm;
	f.mtu = t->tunnel_mtu;
	memo_clear(&f.dm);
	memo_clear(&f.em);
	f.dec.ri = f.enc.ri = UINT32_MAX;
	f.dec.pkts = f.enc.pkts = 0;
	f.dec.bytes = f.enc.bytes = 0;
	for (i = 0; i < n && i < 4; i++)
		__builtin_prefetch(pkts[i]->data + 14, 1);
	memset(act, A_SKIP, sizeof(act));
	for (i = 0; i < n; i++) {
		struct gk_pkt *p = pkts[i];
		uint32_t l3 = p->meta.l3_off;
		uint8_t fl = p->meta.flags;

		if (i + 4 < n)
			/* untagged L3 start: a hint, no l3_off load */
			__builtin_prefetch(pkts[i + 4]->data + 14, 1);
		if (unlikely(p->verdict != GK_V_NONE))
			continue;
		/* the fast paths take l3 == 14 only: BAD_META is for the rest */
		if ((fl & GK_META_F_IPV6) && p->in_port == v6_port) {
			if (fast && p->meta.l4_proto == 4 &&
			    decap_fast(ctx, &f, p))
				continue;
			if (unlikely(l3 < 14))
				goto bad_meta;
			if (unlikely(fl & GK_META_F_FRAG) && reasm(ctx, p))
				continue;
			if (likely(p->meta.l4_proto == 4)) {
				act[i] = A_DECAP;
			} else if (p->meta.l4_proto == 58) {
				act[i] = A_ICMP6;
			} else {
				p->verdict = GK_V_KERNEL;
				continue;
			}
		} else if ((fl & GK_META_F_IPV4) && p->in_port == v4_port) {
			if (fast && encap_fast(ctx, &f, p))
				continue;
			if (unlikely(l3 < 14))
				goto bad_meta;
			act[i] = A_ENCAP;
		} else {
			if (unlikely(l3 < 14))
				goto bad_meta;
			p->verdict = GK_V_KERNEL;
			continue;
		}
		nslow++;
		continue;
bad_meta:
		gk_wk_drop(ctx->stats, p, GK_WK_DROP_BAD_META);
	}
	for (i = 0; nslow && i < n; i++) {
		struct gk_pkt *p = pkts[i];

		switch (act[i]) {
		case A_DECAP:
			decap(ctx, p);
			break;
		case A_ENCAP:
			encap(ctx, p, enc_rule(t, p));
			break;
		case A_ICMP6:
			if (gk_mape_icmp6_translate(ctx, p, t->br_addr))
				p->verdict = GK_V_KERNEL;
			break;
		default:
			break;
		}
	}
	gk_mape_run_flush(ctx, &f.dec, false);
	gk_mape_run_flush(ctx, &f.enc, true);
}
/* A copy of the burst loop per path: the fast one tests no flag. */
static void burst(struct gk_mape_ctx *ctx, struct gk_pkt **pkts, uint16_t n)
{
	if (likely(!ctx->ref))
		burst_as(ctx, pkts, n, true);
	else
		burst_as(ctx, pkts, n, false);
}

void gk_mape_br_burst(struct gk_mape_ctx *ctx, struct gk_pkt **pkts, uint16_t n)
{
	uint16_t k, m;

	gk_mape_frag_tick(ctx);
	for (k = 0; k < n; k += m) {
		m = n - k < GK_BURST ? n - k : GK_BURST;
		burst(ctx, pkts + k, m);
	}
}
