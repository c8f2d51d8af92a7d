/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>
#include <arpa/inet.h>

#include "mape_ce.h"

/* RFC 7597 §7.1 (CE sending): BMR to the BR, FMR to a peer CE. */
static __attribute__((noinline))
void encap(struct gk_mape_ctx *ctx, struct gk_pkt *p)
{
	const struct gk_map_table *t = ctx->map;
	const struct gk_map_rt *rt = &t->rt[t->bmr];
	struct gk_map_dom_stats *dom = gk_mape_dom(ctx, (unsigned)t->bmr);
	uint32_t l3 = p->meta.l3_off, len, dst, fi, di = (unsigned)t->bmr;
	struct gk_frag_dest d;
	uint8_t *ip, why;
	uint16_t port;
	int later;

	len = gk_mape_ip4_len(p, l3);
	if (unlikely(!len)) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_BAD_INNER);
		return;
	}
	ip = p->data + l3;
	if (unlikely((gk_rd32(ip + 12) & t->ce_v4mask) != t->ce_v4)) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_SPOOF_ADDR);
		return;
	}
	/* §8.3: a later fragment follows its first fragment's decision */
	later = gk_mape_vfrag_later(ctx, p, dom, di, len, &d);
	if (later > 0)
		gk_mape_send(ctx, p, gk_mape_dom(ctx, d.tag), 0,
			     t->ce.ce_ipv6, d.addr6, len);
	if (later >= 0)
		return;
	/* §8.2 / issue: source ports outside the set never leave the CE */
	if (t->ce.psid_len) {
		if (unlikely(!gk_mape_port(ip, len, false,
					   GK_MAP_DROP_PORT_VIOLATION, &port,
					   &why))) {
			gk_mape_drop(ctx, p, dom, why);
			return;
		}
		if (unlikely(!gk_map_port_ok(t->ce.psid_offset, t->ce.psid_len,
					     t->ce.psid, port))) {
			gk_mape_drop(ctx, p, dom, GK_MAP_DROP_PORT_VIOLATION);
			return;
		}
	}

	dst = gk_rd32(ip + 16);
	fi = t->lpm4 ? gk_lpm4_lookup(t->lpm4, htonl(dst)) : GK_LPM_MISS;
	if (fi == GK_LPM_MISS) {
		memcpy(d.addr6, t->br_addr, 16);
	} else {
		/* §7.2 mesh: the peer's address from dst address + port */
		uint16_t psid = 0;

		rt = &t->rt[fi];
		dom = gk_mape_dom(ctx, fi);
		di = fi;
		if (rt->k) {
			if (!gk_mape_port(ip, len, true, GK_MAP_DROP_NO_RULE,
					  &port, &why)) {
				gk_mape_drop(ctx, p, dom, why);
				return;
			}
			if (rt->a && port < (1u << (16 - rt->a))) {
				gk_mape_drop(ctx, p, dom, GK_MAP_DROP_NO_RULE);
				return;
			}
			psid = gk_map_port_psid(rt->a, rt->k, port);
		}
		gk_map_rt_ce_addr(rt, dst, psid, d.addr6);
	}
	d.tag = di;
	if (unlikely(gk_rd16(ip + 6) & 0x2000))
		gk_mape_vfrag_first(ctx, ip, len, t->ce.ce_ipv6, &d);
	gk_mape_send(ctx, p, dom, rt->mss, t->ce.ce_ipv6, d.addr6, len);
}

/* RFC 7597 §7.1 (CE receiving), §8.1 checks turned around. */
static void decap(struct gk_mape_ctx *ctx, struct gk_pkt *p)
{
	const struct gk_map_table *t = ctx->map;
	const struct gk_map_rt *rt = &t->rt[t->bmr];
	struct gk_map_dom_stats *dom = gk_mape_dom(ctx, (unsigned)t->bmr);
	uint32_t l3 = p->meta.l3_off, inner = p->meta.l4_off, len, src, fi;
	uint8_t *o6, *ip, why, want[16];
	uint16_t port;

	if (unlikely(!(p->meta.flags & GK_META_F_L4) || l3 + 40 > p->len ||
		     inner < l3 + 40)) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_BAD_OUTER);
		return;
	}
	o6 = p->data + l3;
	if (unlikely(memcmp(o6 + 24, t->ce.ce_ipv6, 16))) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_NOT_OURS);
		return;
	}
	len = gk_mape_ip4_len(p, inner);
	if (unlikely(!len || inner + len > l3 + 40 + gk_rd16(o6 + 4))) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_BAD_INNER);
		return;
	}
	ip = p->data + inner;

	if (memcmp(o6 + 8, t->br_addr, 16)) {
		/* §7.2 mesh: the peer must own the inner source address+port */
		uint16_t psid = 0;

		src = gk_rd32(ip + 12);
		fi = t->lpm4 ? gk_lpm4_lookup(t->lpm4, htonl(src)) :
			       GK_LPM_MISS;
		if (fi == GK_LPM_MISS) {
			gk_mape_drop(ctx, p, dom, GK_MAP_DROP_SPOOF_ADDR);
			return;
		}
		dom = gk_mape_dom(ctx, fi);
		if (t->rt[fi].k) {
			if (!gk_mape_port(ip, len, false,
					  GK_MAP_DROP_SPOOF_PORT, &port,
					  &why)) {
				gk_mape_drop(ctx, p, dom, why);
				return;
			}
			psid = gk_map_port_psid(t->rt[fi].a, t->rt[fi].k, port);
		}
		gk_map_rt_ce_addr(&t->rt[fi], src, psid, want);
		if (memcmp(want, o6 + 8, 16)) {
			gk_mape_drop(ctx, p, dom, GK_MAP_DROP_SPOOF_ADDR);
			return;
		}
	}

	if (unlikely((gk_rd32(ip + 16) & t->ce_v4mask) != t->ce_v4)) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_NOT_OURS);
		return;
	}
	/* §8.3: later inner fragments follow their validated first one */
	if (unlikely(gk_rd16(ip + 6) & 0x1fff) && t->ce.psid_len) {
		struct gk_frag_dest d;

		if (!ctx->vfrag ||
		    gk_frag_virt_find(ctx->vfrag, ip, len, ctx->now_ns, &d) ||
		    memcmp(d.addr6, o6 + 8, 16)) {
			gk_mape_drop(ctx, p, dom, GK_MAP_DROP_VFRAG_UNKNOWN);
			return;
		}
	} else if (t->ce.psid_len) {
		if (!gk_mape_port(ip, len, true, GK_MAP_DROP_NOT_OURS, &port,
				  &why)) {
			gk_mape_drop(ctx, p, dom, why);
			return;
		}
		if (!gk_map_port_ok(t->ce.psid_offset, t->ce.psid_len,
				    t->ce.psid, port)) {
			gk_mape_drop(ctx, p, dom, GK_MAP_DROP_NOT_OURS);
			return;
		}
		if (unlikely(gk_rd16(ip + 6) & 0x2000) && ctx->vfrag) {
			struct gk_frag_dest d = { .tag = (unsigned)t->bmr };

			memcpy(d.addr6, o6 + 8, 16);
			gk_frag_virt_add(ctx->vfrag, ip, len, ctx->now_ns, &d);
		}
	}
	if (rt->mss && ip[9] == 6 && gk_mape_mss_clamp(ip, len, rt->mss))
		dom->mss_clamped++;
	gk_mape_decap(p, inner, len);
	dom->decap_pkts++;
	dom->decap_bytes += len;
}

static void from_v6(struct gk_mape_ctx *ctx, struct gk_pkt *p)
{
	const struct gk_map_table *t = ctx->map;

	/* RFC 7597 §8.3: reassemble outer fragments sent to us */
	if (unlikely(p->meta.flags & GK_META_F_FRAG)) {
		struct gk_map_dom_stats *dom = gk_mape_dom(ctx, (unsigned)t->bmr);

		if ((uint32_t)p->meta.l3_off + 40 > p->len ||
		    memcmp(p->data + p->meta.l3_off + 24, t->ce.ce_ipv6, 16)) {
			p->verdict = GK_V_KERNEL;
			return;
		}
		if (gk_mape_reasm(ctx, p, dom, (unsigned)t->bmr))
			return;
	}
	if (likely(p->meta.l4_proto == 4)) {
		decap(ctx, p);
		return;
	}
	if (p->meta.l4_proto == 58 &&
	    !gk_mape_icmp6_translate(ctx, p, ctx->map->ce.ce_ipv6))
		return;
	p->verdict = GK_V_KERNEL;
}

/*
 * Per-burst constants of the encap fast path: the addresses as words, the
 * port set (§5.1) as mask, bits and lowest port, and the counters owed.
 */
struct fast {
	uint64_t src[2];	/* t->ce.ce_ipv6 as stored */
	uint64_t br[2];		/* t->br_addr as stored */
	const uint64_t *v4bm;	/* t->v4bm: FMR destinations */
	uint32_t v4, v4mask;	/* t->ce_v4, t->ce_v4mask */
	uint16_t mtu;		/* t->tunnel_mtu */
	uint16_t min_len;	/* of a packet the fast path takes */
	uint32_t pmask, pbits;	/* port & pmask == pbits: the PSID's */
	uint16_t port_lo;	/* 2^(16-a): ports below are no CE's */
	uint16_t mss;		/* the BMR's */
	bool need_port;		/* the address is shared (psid_len > 0) */
	struct gk_mape_run enc;
};

static void fast_init(struct fast *f, const struct gk_map_table *t)
{
	unsigned a = t->ce.psid_offset, k = t->ce.psid_len;

	memcpy(f->src, t->ce.ce_ipv6, 16);
	memcpy(f->br, t->br_addr, 16);
	f->v4bm = t->v4bm;
	f->v4 = t->ce_v4;
	f->v4mask = t->ce_v4mask;
	f->mtu = t->tunnel_mtu;
	f->need_port = k != 0;
	f->min_len = k ? 24 : 20;
	f->pmask = k ? ((1u << k) - 1u) << (16 - a - k) : 0;
	f->pbits = k ? (uint32_t)t->ce.psid << (16 - a - k) : 0;
	f->port_lo = k && a ? (uint16_t)(1u << (16 - a)) : 0;
	f->mss = t->rt[t->bmr].mss;
	f->enc.ri = (uint32_t)t->bmr;
	f->enc.pkts = 0;
	f->enc.bytes = 0;
}

/*
 * encap() for an unfragmented packet from our address (and port set) to
 * outside every FMR, that fits the tunnel and has TTL left: to the BR.
 * false: encap() decides.
 */
static inline __attribute__((always_inline))
bool encap_fast(struct gk_mape_ctx *ctx, struct fast *f, struct gk_pkt *p)
{
	const struct gk_map_table *t = ctx->map;
	uint8_t *ip = p->data + 14;
	uint32_t len, dst;
	uint16_t port;

	len = gk_mape_ip4_fast_len(p, f->min_len);
	if (!len || (gk_rd32(ip + 12) & f->v4mask) != f->v4)
		return false;
	if (f->need_port) {
		if (ip[9] != 6 && ip[9] != 17)
			return false;
		port = gk_rd16(ip + 20);
		if ((port & f->pmask) != f->pbits || port < f->port_lo)
			return false;
	}
	dst = gk_rd32(ip + 16);
	if ((f->v4bm[dst >> 22] >> (dst >> 16 & 63) & 1) ||
	    !gk_mape_send_fast_ok(f->mtu, ip, len))
		return false;
	gk_ip4_ttl_dec(ip);
	if (f->mss && ip[9] == 6 && gk_mape_mss_clamp(ip, len, f->mss))
		gk_mape_dom(ctx, (unsigned)t->bmr)->mss_clamped++;
	gk_mape_encap14(p, f->src, f->br[0], f->br[1], len);
	f->enc.pkts++;
	f->enc.bytes += len;
	return true;
}

static inline __attribute__((always_inline))
void burst_as(struct gk_mape_ctx *ctx, struct gk_pkt **pkts, uint16_t n,
	      const bool fast)
{
	const struct gk_map_table *t = ctx->map;
	uint16_t i, v4_port = t->v4_port_id, v6_port = t->v6_port_id;
	struct fast f;

	fast_init(&f, t);
	for (i = 0; i < n; i++) {
		struct gk_pkt *p = pkts[i];
		uint8_t fl = p->meta.flags;

		if (i + 4 < n)
			/* untagged L3 start: a hint, no l3_off load */
			__builtin_prefetch(pkts[i + 4]->data + 14, 1);
		if (unlikely(p->verdict != GK_V_NONE))
			continue;
		/* the fast path takes l3_off 14 only: BAD_META is for the rest */
		if ((fl & GK_META_F_IPV4) && p->in_port == v4_port) {
			if (fast && encap_fast(ctx, &f, p))
				continue;
			if (unlikely(p->meta.l3_off < 14))
				goto bad_meta;
			encap(ctx, p);
			continue;
		}
		if (unlikely(p->meta.l3_off < 14))
			goto bad_meta;
		if ((fl & GK_META_F_IPV6) && p->in_port == v6_port)
			from_v6(ctx, p);
		else
			p->verdict = GK_V_KERNEL;
		continue;
bad_meta:
		gk_wk_drop(ctx->stats, p, GK_WK_DROP_BAD_META);
	}
	gk_mape_run_flush(ctx, &f.enc, true);
}

void gk_mape_ce_burst(struct gk_mape_ctx *ctx, struct gk_pkt **pkts, uint16_t n)
{
	const struct gk_map_table *t = ctx->map;

	gk_mape_frag_tick(ctx);
	if (unlikely(!t || t->role != GK_MAPE_ROLE_CE)) {
		gk_mape_drop_undecided(ctx, pkts, n);
		return;
	}
	/* a copy of the loop per path: the fast one tests no flag */
	if (likely(!ctx->ref))
		burst_as(ctx, pkts, n, true);
	else
		burst_as(ctx, pkts, n, false);
}

void gk_mape_ce_encap_burst(struct gk_mape_ctx *ctx, struct gk_pkt **pkts,
			    uint16_t n)
{
	const struct gk_map_table *t = ctx->map;
	bool fast = !ctx->ref;
	struct fast f;
	uint16_t i;

	if (t && t->role == GK_MAPE_ROLE_CE)
		fast_init(&f, t);
	for (i = 0; i < n; i++) {
		struct gk_pkt *p = pkts[i];

		if (p->verdict != GK_V_NONE)
			continue;
		if (unlikely(!t || t->role != GK_MAPE_ROLE_CE ||
			     !(p->meta.flags & GK_META_F_IPV4) ||
			     p->meta.l3_off < 14)) {
			gk_wk_drop(ctx->stats, p, GK_WK_DROP_BAD_META);
			continue;
		}
		if (likely(fast) && encap_fast(ctx, &f, p))
			continue;
		encap(ctx, p);
	}
	if (t && t->role == GK_MAPE_ROLE_CE)
		gk_mape_run_flush(ctx, &f.enc, true);
}
