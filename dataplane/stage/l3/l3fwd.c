/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <genkan/flowhash.h>
#include "l3fwd.h"
#include "martian.h"
#include "pkthdr.h"

/* Ask genkand to resolve addr, at most once per GK_L3FWD_NREQ_NS each. */
static void ask_neigh(struct gk_l3fwd_ctx *ctx, uint8_t family,
		      uint32_t ifindex, const uint8_t *addr)
{
	unsigned int alen = family == AF_INET ? 4 : 16;
	struct gk_l3fwd_nreq_slot *s;
	struct gk_nreq q = { .family = family, .ifindex = ifindex };
	uint32_t h, w;

	if (!ctx->nreq)
		return;
	memcpy(&w, addr + alen - 4, 4);
	h = gk_hash_final(gk_hash_mix(ifindex ^ family, w));
	s = &ctx->nreq_cache[h & (GK_L3FWD_NREQ_SLOTS - 1)];
	if (s->family == family && s->ifindex == ifindex &&
	    !memcmp(s->addr, addr, alen) &&
	    ctx->now_ns - s->last_ns < GK_L3FWD_NREQ_NS)
		return;
	memcpy(q.addr, addr, alen);
	if (!gk_nreq_push(ctx->nreq, &q))
		return;		/* full: genkand is behind, ask again later */
	gk_nreq_wake(ctx->nreq_wake);
	ctx->stats->neigh_requests++;
	s->family = family;
	s->ifindex = ifindex;
	memset(s->addr, 0, sizeof(s->addr));
	memcpy(s->addr, addr, alen);
	s->last_ns = ctx->now_ns;
}

void gk_l3fwd_ask_neigh(struct gk_l3fwd_ctx *ctx, uint8_t family,
			uint32_t ifindex, const uint8_t *addr)
{
	ask_neigh(ctx, family, ifindex, addr);
}

/*
 * A next hop without a MAC: the kernel is asked, and the frame is held
 * (neigh_hold.h; a copy, so the caller frees the buffer as a drop that is
 * not counted: the frame is held, neigh_held) or dropped.
 */
static void unresolved(struct gk_l3fwd_ctx *ctx, struct gk_pkt *p,
		       uint8_t family, uint32_t ifindex, const uint8_t *addr)
{
	int ret;

	ask_neigh(ctx, family, ifindex, addr);
	if (!ctx->hold) {
		gk_wk_drop(ctx->stats, p, GK_WK_DROP_NO_NEIGH);
		return;
	}
	ret = gk_nhold_add(ctx->hold, p, family, ifindex, addr, ctx->now_ns);
	if (ret) {
		gk_wk_drop(ctx->stats, p, ret == -ENOSPC ?
			   GK_WK_DROP_NEIGH_HOLD_FULL : GK_WK_DROP_NO_NEIGH);
		return;
	}
	ctx->stats->events[GK_WK_EV_NEIGH_HELD]++;
	p->verdict = GK_V_DROP;
	p->drop_reason = GK_WK_DROP_NO_NEIGH;
}

/*
 * Everything but the common case: miss, blackhole, foreign port, too big,
 * unresolved gateway, or a connected route (neighbor looked up per packet).
 * Returns the destination MAC, or NULL having dropped the packet.
 */
static __attribute__((noinline))
const uint8_t *resolve_slow(struct gk_l3fwd_ctx *ctx, struct gk_pkt *p,
			    const struct gk_fib_nh *nh, uint8_t family,
			    const uint8_t *dst, uint32_t l3_len)
{
	const uint8_t *mac;

	if (!nh) {
		gk_wk_drop(ctx->stats, p, GK_WK_DROP_NO_ROUTE);
		return NULL;
	}
	if (nh->flags & (GK_NH_F_BLACKHOLE | GK_NH_F_NOPORT)) {
		gk_wk_drop(ctx->stats, p, nh->flags & GK_NH_F_BLACKHOLE ?
			   GK_WK_DROP_NO_ROUTE : GK_WK_DROP_BAD_PORT);
		return NULL;
	}
	if (nh->mtu && l3_len > nh->mtu) {
		gk_wk_drop(ctx->stats, p, GK_WK_DROP_TOO_BIG);
		return NULL;
	}
	/* A link without neighbours (the host path's TUN): any MACs do. */
	if (nh->flags & GK_NH_F_NOARP)
		return nh->dst_mac;
	if (nh->flags & GK_NH_F_GATEWAY) {
		if (nh->flags & GK_NH_F_UNRESOLVED) {
			unresolved(ctx, p, family, nh->ifindex, nh->gw);
			return NULL;
		}
		return nh->dst_mac;
	}
	mac = gk_neigh_lookup(ctx->fib->neigh, family, nh->ifindex, dst);
	if (!mac) {
		unresolved(ctx, p, family, nh->ifindex, dst);
		return NULL;
	}
	return mac;
}

/*
 * Next-hop checks and MAC rewrite for both families, in the order the
 * header gives. The common case, a resolved gateway route that fits the
 * MTU, is one compare (gk_fib_nh.fast_len); the rest goes out of line.
 * Returns 0 when the packet may go out, having set verdict and out_port.
 */
static inline __attribute__((always_inline))
int resolve(struct gk_l3fwd_ctx *ctx, struct gk_pkt *p,
	    const struct gk_fib_nh *nh, uint8_t family, const uint8_t *dst,
	    uint32_t l3_len)
{
	const uint8_t *mac;

	/* fast_len: a resolved gateway's MTU, 0 for every other next hop */
	if (likely(nh && l3_len <= nh->fast_len)) {
		/* dst_mac, src_mac: the header's 12 bytes in one copy */
		memcpy(p->data, nh->dst_mac, 12);
	} else {
		mac = resolve_slow(ctx, p, nh, family, dst, l3_len);
		if (!mac)
			return -1;
		memcpy(p->data, mac, 6);
		memcpy(p->data + 6, nh->src_mac, 6);
	}
	p->out_port = nh->port_id;
	p->verdict = GK_V_TX;
	return 0;
}

static inline void fwd4(struct gk_l3fwd_ctx *ctx, struct gk_pkt *p,
			const struct gk_fib_nh *nh)
{
	uint8_t *ip = p->data + p->meta.l3_off;
	uint16_t tot;

	/* RFC 1812 section 5.3.1: never forward with TTL reaching 0. */
	if (unlikely(ip[8] <= 1) && !(p->meta.flags & GK_META_F_ORIGIN)) {
		gk_wk_drop(ctx->stats, p, GK_WK_DROP_TTL);
		return;
	}
	memcpy(&tot, ip + 2, 2);
	if (resolve(ctx, p, nh, AF_INET, ip + 16, ntohs(tot)))
		return;
	/* Packets genkan built itself leave with the TTL it gave them. */
	if (unlikely(p->meta.flags & GK_META_F_ORIGIN))
		return;
	gk_ip4_ttl_dec(ip);
}

static inline void fwd6(struct gk_l3fwd_ctx *ctx, struct gk_pkt *p,
			const struct gk_fib_nh *nh)
{
	uint8_t *ip = p->data + p->meta.l3_off;
	uint16_t plen;

	/* RFC 8200 section 3 / RFC 4443 section 3.3: hop limit 1 stops here. */
	if (unlikely(ip[7] <= 1) && !(p->meta.flags & GK_META_F_ORIGIN)) {
		gk_wk_drop(ctx->stats, p, GK_WK_DROP_TTL);
		return;
	}
	memcpy(&plen, ip + 4, 2);
	if (resolve(ctx, p, nh, AF_INET6, ip + 24, 40u + ntohs(plen)))
		return;
	if (likely(!(p->meta.flags & GK_META_F_ORIGIN)))
		gk_ip6_hlim_dec(ip);
}

/* LPM result to next hop, prefetched: the fwd pass reads it next. */
static inline const struct gk_fib_nh *nh_of(const struct gk_fib *fib,
					    uint32_t idx)
{
	const struct gk_fib_nh *nh = gk_fib_nh(fib, idx);

	if (nh)
		__builtin_prefetch(nh);
	return nh;
}

/*
 * RFC 1812 section 5.3.7, RFC 4291 2.5.2-2.5.5.2 and 2.7: a burst in which
 * the cheap test flagged a packet. Drops the martians (a reason each,
 * before the TTL check: no ICMP error goes to one) and packs the rest.
 */
static __attribute__((noinline))
void drop_martians(struct gk_l3fwd_ctx *ctx, struct gk_pkt **p4,
		   uint32_t *dst4, unsigned int *n4, struct gk_pkt **p6,
		   uint8_t (*dst6)[16], unsigned int *n6)
{
	unsigned int i, k;

	for (i = k = 0; i < *n4; i++) {
		unsigned why = gk_martian4(p4[i]->data + p4[i]->meta.l3_off);

		if (why != GK_MARTIAN_NONE) {
			gk_wk_drop(ctx->stats, p4[i], (enum gk_wk_drop)why);
			continue;
		}
		p4[k] = p4[i];
		dst4[k++] = dst4[i];
	}
	*n4 = k;
	for (i = k = 0; i < *n6; i++) {
		unsigned why = gk_martian6(p6[i]->data + p6[i]->meta.l3_off);

		if (why != GK_MARTIAN_NONE) {
			gk_wk_drop(ctx->stats, p6[i], (enum gk_wk_drop)why);
			continue;
		}
		p6[k] = p6[i];
		if (k != i)
			memcpy(dst6[k], dst6[i], 16);
		k++;
	}
	*n6 = k;
}

static void burst(struct gk_l3fwd_ctx *ctx, struct gk_pkt **pkts, uint16_t n)
{
	const struct gk_fib *fib = ctx->fib;
	const struct gk_fib_nh *nh[GK_BURST];
	struct gk_pkt *p4[GK_BURST], *p6[GK_BURST];
	uint32_t dst4[GK_BURST], idx[GK_BURST];
	uint8_t dst6[GK_BURST][16];
	unsigned int i, n4 = 0, n6 = 0;
	bool mart = false;	/* a packet may be a martian (martian.h) */

	/*
	 * No prefetch: the headers are warm. Whoever gave the packet its
	 * metadata read them just before (XDP, or the software twin in the
	 * worker or the DPDK backend).
	 */
	/* Split the burst by family and gather destinations for bulk LPM. */
	for (i = 0; i < n; i++) {
		struct gk_pkt *p = pkts[i];
		uint32_t l3 = p->meta.l3_off;
		uint8_t flags = p->meta.flags;

		if (unlikely(p->verdict != GK_V_NONE))
			continue;
		if (unlikely(flags & GK_META_F_VLAN)) {
			p->verdict = GK_V_KERNEL;
			continue;
		}
		if (likely(flags & GK_META_F_IPV4)) {
			if (unlikely(l3 + 20 > p->len))
				goto bad_meta;
			mart |= gk_martian4_maybe(p->data + l3);
			memcpy(&dst4[n4], p->data + l3 + 16, 4);
			p4[n4++] = p;
		} else if (flags & GK_META_F_IPV6) {
			if (unlikely(l3 + 40 > p->len))
				goto bad_meta;
			mart |= gk_martian6_maybe(p->data + l3);
			memcpy(dst6[n6], p->data + l3 + 24, 16);
			p6[n6++] = p;
		} else {
			goto bad_meta;
		}
		continue;
bad_meta:
		gk_wk_drop(ctx->stats, p, GK_WK_DROP_BAD_META);
	}
	if (unlikely(mart))
		drop_martians(ctx, p4, dst4, &n4, p6, dst6, &n6);

	if (n4) {
		/* The next hops of a burst are few and hot: no prefetch pass. */
		gk_lpm4_lookup_bulk(fib->lpm4, dst4, idx, n4);
		for (i = 0; i < n4; i++)
			fwd4(ctx, p4[i], gk_fib_nh(fib, idx[i]));
	}
	if (n6) {
		gk_lpm6_lookup_bulk(fib->lpm6, (const uint8_t (*)[16])dst6,
				    idx, n6);
		for (i = 0; i < n6; i++)
			nh[i] = nh_of(fib, idx[i]);
		for (i = 0; i < n6; i++)
			fwd6(ctx, p6[i], nh[i]);
	}
}

void gk_l3fwd_burst(struct gk_l3fwd_ctx *ctx, struct gk_pkt **pkts, uint16_t n)
{
	uint16_t k, m;

	for (k = 0; k < n; k += m) {
		m = n - k < GK_BURST ? n - k : GK_BURST;
		burst(ctx, pkts + k, m);
	}
}
