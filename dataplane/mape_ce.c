/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>
#include <arpa/inet.h>

#include "mape_ce.h"

/* RFC 7597 §7.1 (CE sending): BMR to the BR, FMR to a peer CE. */
static void encap(struct gk_mape_ctx *ctx, struct gk_pkt *p)
{
	const struct gk_map_table *t = ctx->map;
	const struct gk_map_rt *rt = &t->rt[t->bmr];
	struct gk_map_dom_stats *dom = gk_mape_dom(ctx, (unsigned)t->bmr);
	uint32_t l3 = p->meta.l3_off, len, dst, fi;
	uint8_t *ip, dst6[16], why;
	uint16_t port;

	len = gk_mape_ip4_len(p, l3);
	if (unlikely(!len)) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_BAD_INNER);
		return;
	}
	ip = p->data + l3;
	if (unlikely((gk_mape_rd32(ip + 12) & t->ce_v4mask) != t->ce_v4)) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_SPOOF_ADDR);
		return;
	}
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

	dst = gk_mape_rd32(ip + 16);
	fi = t->lpm4 ? gk_lpm4_lookup(t->lpm4, htonl(dst)) : GK_LPM_MISS;
	if (fi == GK_LPM_MISS) {
		memcpy(dst6, t->br_addr, 16);
	} else {
		/* §7.2 mesh: the peer's address from dst address + port */
		uint16_t psid = 0;

		rt = &t->rt[fi];
		dom = gk_mape_dom(ctx, fi);
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
		gk_map_rt_ce_addr(rt, dst, psid, dst6);
	}

	/* RFC 1812 5.3.1: TTL first, then the MTU, as l3fwd does */
	if (unlikely(ip[8] <= 1)) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_TTL);
		return;
	}
	/*
	 * §8.3 wants Fragmentation Needed (DF) or outer fragmentation here;
	 * both come with the fragment work. Until then: dropped, counted.
	 */
	if (unlikely(len > t->tunnel_mtu)) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_TOO_BIG);
		return;
	}
	gk_mape_ttl_dec(ip);
	if (rt->mss && ip[9] == 6 && gk_mape_mss_clamp(ip, len, rt->mss))
		dom->mss_clamped++;
	gk_mape_encap(p, t->ce.ce_ipv6, dst6, len);
	dom->encap_pkts++;
	dom->encap_bytes += len;
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
	if (unlikely(memcmp(o6 + 24, t->ce.ce_ipv6, 16))) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_NOT_OURS);
		return;
	}
	len = gk_mape_ip4_len(p, inner);
	if (unlikely(!len || inner + len > l3 + 40 + gk_mape_rd16(o6 + 4))) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_BAD_INNER);
		return;
	}
	ip = p->data + inner;

	if (memcmp(o6 + 8, t->br_addr, 16)) {
		/* §7.2 mesh: the peer must own the inner source address+port */
		uint16_t psid = 0;

		src = gk_mape_rd32(ip + 12);
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

	if (unlikely((gk_mape_rd32(ip + 16) & t->ce_v4mask) != t->ce_v4)) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_NOT_OURS);
		return;
	}
	if (t->ce.psid_len) {
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
	}
	if (rt->mss && ip[9] == 6 && gk_mape_mss_clamp(ip, len, rt->mss))
		dom->mss_clamped++;
	gk_mape_decap(p, inner, len);
	dom->decap_pkts++;
	dom->decap_bytes += len;
}

static void from_v6(struct gk_mape_ctx *ctx, struct gk_pkt *p)
{
	if (likely(p->meta.l4_proto == 4)) {
		decap(ctx, p);
		return;
	}
	if (p->meta.l4_proto == 58 &&
	    !gk_mape_icmp6_translate(ctx, p, ctx->map->ce.ce_ipv6))
		return;
	p->verdict = GK_V_KERNEL;
}

void gk_mape_ce_burst(struct gk_mape_ctx *ctx, struct gk_pkt **pkts, uint16_t n)
{
	const struct gk_map_table *t = ctx->map;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct gk_pkt *p = pkts[i];
		uint8_t f = p->meta.flags;

		if (i + 4 < n)
			__builtin_prefetch(pkts[i + 4]->data +
					   pkts[i + 4]->meta.l3_off, 1);
		if (unlikely(p->verdict != GK_V_NONE))
			continue;
		if (unlikely(!t || t->role != GK_MAPE_ROLE_CE ||
			     p->meta.l3_off < 14)) {
			gk_wk_drop(ctx->stats, p, GK_WK_DROP_BAD_META);
			continue;
		}
		if ((f & GK_META_F_IPV4) && p->in_port == t->v4_port_id)
			encap(ctx, p);
		else if ((f & GK_META_F_IPV6) && p->in_port == t->v6_port_id)
			from_v6(ctx, p);
		else
			p->verdict = GK_V_KERNEL;
	}
}
