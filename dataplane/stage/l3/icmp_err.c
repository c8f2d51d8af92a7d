/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>
#include <string.h>
#include <arpa/inet.h>

#include "icmp_err.h"
#include "pkthdr.h"
#include "ratelimit.h"

#define ETH_HLEN_	14
#define IP4_HLEN	20
#define IP6_HLEN	40
#define ICMP_HLEN	8

/* RFC 1812 4.3.2.3: the whole error datagram fits in 576 bytes. */
#define IP4_ERR_MAX	576
/* RFC 4443 2.4(c): the error packet must not exceed the minimum MTU. */
#define IP6_ERR_MAX	1280

#define P_ICMP		1
#define P_ICMPV6	58

#define IP4_DF		0x4000
#define IP4_OFFSET	0x1fff

#define NO_EVENT	(-1)

void gk_icmp_err_init(struct gk_icmp_err_ctx *ctx, uint32_t rate_pps,
		      uint32_t burst)
{
	ctx->rate_pps = rate_pps ? rate_pps : GK_ICMP_ERR_RATE_PPS;
	ctx->burst = burst ? burst : GK_ICMP_ERR_BURST;
	gk_tb_init(&ctx->tb, ctx->burst, ctx->now_ns);
}

/* RFC 1812 4.3.2.8, RFC 4443 2.4(f): a token bucket per worker. */
static inline bool take_token(struct gk_icmp_err_ctx *ctx)
{
	return gk_tb_take(&ctx->tb, ctx->now_ns,
			  ctx->rate_pps ? ctx->rate_pps : GK_ICMP_ERR_RATE_PPS,
			  ctx->burst ? ctx->burst : GK_ICMP_ERR_BURST);
}

/*
 * RFC 1122 3.2.2 / RFC 1812 4.3.2.7: only 3, 4, 5, 11, 12 are errors, but
 * an unknown type might be one too, so only known queries are answered.
 */
static bool icmp4_maybe_error(uint8_t type)
{
	switch (type) {
	case 0: case 8:			/* echo */
	case 9: case 10:		/* router advertisement/solicitation */
	case 13: case 14:		/* timestamp */
	case 15: case 16:		/* information */
	case 17: case 18:		/* address mask */
	case 42: case 43:		/* extended echo, RFC 8335 */
		return false;
	default:
		return true;
	}
}

/* RFC 1812 4.3.2.7: the source must name one host (5.3.7 lists them). */
static bool v4_src_not_a_host(const uint8_t *a)
{
	/* 0/8 this network, 127/8 loopback, 224/4 multicast, 240/4 incl.
	 * 255.255.255.255 */
	return a[0] == 0 || a[0] == 127 || a[0] >= 224;
}

static bool v4_dst_group(const uint8_t *a)
{
	return (a[0] & 0xf0) == 0xe0 ||
	       (a[0] == 0xff && a[1] == 0xff && a[2] == 0xff && a[3] == 0xff);
}

/* RFC 4443 2.4(e.5): unspecified, loopback or multicast source. */
static bool v6_src_not_a_host(const uint8_t *a)
{
	static const uint8_t zero[15];

	if (a[0] == 0xff)
		return true;
	return !memcmp(a, zero, 15) && (a[15] == 0 || a[15] == 1);
}

/*
 * Room for hdrs + the quote at l3, shrinking the quote to the buffer if it
 * must; 0 if even the minimum quote does not fit.
 */
static uint32_t fit_quote(const struct gk_pkt *p, uint32_t hdrs, uint32_t q,
			  uint32_t min_q)
{
	uint32_t l3 = p->meta.l3_off;

	if (p->buf_len < l3 + hdrs + min_q)
		return 0;
	if (q > p->buf_len - l3 - hdrs)
		q = p->buf_len - l3 - hdrs;
	return q;
}

/* New L2 header: back to the sender; tags between the MACs and l3 stay. */
static void l2_reply(struct gk_pkt *p, const uint8_t *sender_mac,
		     const struct gk_fib_port *port)
{
	memcpy(p->data, sender_mac, 6);
	memcpy(p->data + 6, port->mac, 6);
}

static void sent(struct gk_pkt *p, uint32_t l4_off, uint8_t proto)
{
	p->verdict = GK_V_TX;
	p->drop_reason = 0;
	p->out_port = p->in_port;
	p->meta.l4_off = (uint16_t)l4_off;
	p->meta.l4_proto = proto;
	p->meta.flags = (uint8_t)((p->meta.flags &
				   (GK_META_F_IPV4 | GK_META_F_IPV6 |
				    GK_META_F_VLAN)) | GK_META_F_L4);
}

static int answer4(struct gk_icmp_err_ctx *ctx, struct gk_pkt *p)
{
	const bool too_big = p->drop_reason == GK_WK_DROP_TOO_BIG;
	const struct gk_fib_port *port;
	const struct gk_fib_nh *nh;
	uint32_t l3 = p->meta.l3_off, ihl, dlen, q, mtu = 0, dst_be;
	uint8_t *ip = p->data + l3, smac[6], type, code;
	uint16_t frag;

	if (unlikely(l3 < ETH_HLEN_ || l3 + IP4_HLEN > p->len))
		return GK_WK_EV_ICMP_SUPPRESSED;
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	dlen = gk_rd16(ip + 2);
	if (unlikely(ihl < IP4_HLEN || dlen < ihl || l3 + ihl > p->len))
		return GK_WK_EV_ICMP_SUPPRESSED;
	/* the datagram, not the Ethernet padding after it */
	if (dlen > p->len - l3)
		dlen = p->len - l3;

	frag = gk_rd16(ip + 6);
	/*
	 * RFC 1191 4: Fragmentation Needed is owed only when DF forbids
	 * fragmenting. Without DF a router fragments (RFC 791); genkan
	 * does not yet, so those stay dropped as too_big.
	 */
	if (too_big && !(frag & IP4_DF))
		return NO_EVENT;
	/* RFC 1122 3.2.2, RFC 1812 4.3.2.7 */
	if ((frag & IP4_OFFSET) || (p->data[0] & 1) || v4_dst_group(ip + 16) ||
	    v4_src_not_a_host(ip + 12))
		return GK_WK_EV_ICMP_SUPPRESSED;
	if (ip[9] == P_ICMP && (dlen <= ihl || icmp4_maybe_error(ip[ihl])))
		return GK_WK_EV_ICMP_SUPPRESSED;

	port = gk_fib_port(ctx->fib, p->in_port);
	if (!port || !port->has_addr4)
		return GK_WK_EV_ICMP_NO_SRC;
	if (too_big && ctx->mtu_of)
		mtu = ctx->mtu_of(ctx->mtu_arg, p);
	if (too_big && !mtu) {
		memcpy(&dst_be, ip + 16, 4);
		nh = gk_fib_nh(ctx->fib,
			       gk_lpm4_lookup(ctx->fib->lpm4, dst_be));
		if (!nh || !nh->mtu)
			return GK_WK_EV_ICMP_SUPPRESSED;
		mtu = nh->mtu;
	}
	if (mtu > 0xffff)
		mtu = 0xffff;
	/* RFC 792: at least the header and 64 bits of data */
	q = dlen < IP4_ERR_MAX - IP4_HLEN - ICMP_HLEN ?
	    dlen : IP4_ERR_MAX - IP4_HLEN - ICMP_HLEN;
	q = fit_quote(p, IP4_HLEN + ICMP_HLEN, q,
		      dlen < ihl + 8 ? dlen : ihl + 8);
	if (!q)
		return GK_WK_EV_ICMP_SUPPRESSED;
	if (!take_token(ctx))
		return GK_WK_EV_ICMP_RATELIMITED;

	memcpy(smac, p->data + 6, 6);
	l2_reply(p, smac, port);
	if (too_big) {
		/* RFC 792 Destination Unreachable, RFC 1191 4 next-hop MTU */
		type = 3;
		code = 4;
	} else {
		/* RFC 792 Time Exceeded, code 0: TTL exceeded in transit */
		type = 11;
		code = 0;
	}
	/* back to the sender (ip + 12), which the quote leaves in place */
	p->len = l3 + gk_icmp4_err_build(ip, ip, q, port->addr4, ip + 12, type,
					 code, (uint16_t)mtu);
	sent(p, l3 + IP4_HLEN, P_ICMP);
	return too_big ? GK_WK_EV_ICMP_FRAG_NEEDED :
			 GK_WK_EV_ICMP_TIME_EXCEEDED;
}

static int answer6(struct gk_icmp_err_ctx *ctx, struct gk_pkt *p)
{
	const bool too_big = p->drop_reason == GK_WK_DROP_TOO_BIG;
	const struct gk_fib_port *port;
	const struct gk_fib_nh *nh;
	uint32_t l3 = p->meta.l3_off, l4, dlen, q, mtu = 0;
	uint8_t *ip = p->data + l3, smac[6];

	if (unlikely(l3 < ETH_HLEN_ || l3 + IP6_HLEN > p->len))
		return GK_WK_EV_ICMP_SUPPRESSED;
	dlen = IP6_HLEN + gk_rd16(ip + 4);
	if (dlen > p->len - l3)
		dlen = p->len - l3;

	/*
	 * RFC 4443 2.4(e.3), (e.4): not about multicast, IP or link layer.
	 * The Packet Too Big exception there does not arise: the classifier
	 * hands all multicast to the kernel.
	 */
	if ((p->data[0] & 1) || ip[24] == 0xff || v6_src_not_a_host(ip + 8))
		return GK_WK_EV_ICMP_SUPPRESSED;
	/*
	 * RFC 4443 2.4(e.1), (e.2): not about an ICMPv6 error or redirect.
	 * Unlike IPv4, later fragments are answered: RFC 4443 has no such
	 * rule, and path MTU discovery needs the Packet Too Big for every
	 * fragment that does not fit. Their type is unknowable; the first
	 * fragment carries it.
	 */
	if (p->meta.l4_proto == P_ICMPV6 &&
	    !(p->meta.flags & GK_META_F_LATER_FRAG)) {
		l4 = p->meta.l4_off;
		if (!(p->meta.flags & GK_META_F_L4) || l4 < l3 + IP6_HLEN ||
		    l4 >= l3 + dlen)
			return GK_WK_EV_ICMP_SUPPRESSED;
		if (p->data[l4] < 128 || p->data[l4] == 137)
			return GK_WK_EV_ICMP_SUPPRESSED;
	}

	port = gk_fib_port(ctx->fib, p->in_port);
	if (!port || !port->has_addr6)
		return GK_WK_EV_ICMP_NO_SRC;
	if (too_big && ctx->mtu_of)
		mtu = ctx->mtu_of(ctx->mtu_arg, p);
	if (too_big && !mtu) {
		nh = gk_fib_nh(ctx->fib,
			       gk_lpm6_lookup(ctx->fib->lpm6, ip + 24));
		if (!nh || !nh->mtu)
			return GK_WK_EV_ICMP_SUPPRESSED;
		mtu = nh->mtu;
	}
	q = dlen < IP6_ERR_MAX - IP6_HLEN - ICMP_HLEN ?
	    dlen : IP6_ERR_MAX - IP6_HLEN - ICMP_HLEN;
	q = fit_quote(p, IP6_HLEN + ICMP_HLEN, q, IP6_HLEN);
	if (!q)
		return GK_WK_EV_ICMP_SUPPRESSED;
	if (!take_token(ctx))
		return GK_WK_EV_ICMP_RATELIMITED;

	memcpy(smac, p->data + 6, 6);
	l2_reply(p, smac, port);
	/*
	 * RFC 4443 3.2 Packet Too Big, or 3.3 Time Exceeded code 0 (hop
	 * limit). RFC 4443 2.2: from the port's own address (genkan routes,
	 * so the packet was never addressed to one of ours) back to the
	 * sender (ip + 8, which the quote leaves in place).
	 */
	p->len = l3 + gk_icmp6_err_build(ip, ip, q, port->addr6, ip + 8,
					 too_big ? 2 : 3, 0, mtu);
	sent(p, l3 + IP6_HLEN, P_ICMPV6);
	return too_big ? GK_WK_EV_ICMP_PKT_TOO_BIG :
			 GK_WK_EV_ICMP_TIME_EXCEEDED;
}

static __attribute__((noinline, cold))
void answer(struct gk_icmp_err_ctx *ctx, struct gk_pkt *p)
{
	int ev;

	if (p->meta.flags & GK_META_F_IPV4)
		ev = answer4(ctx, p);
	else if (p->meta.flags & GK_META_F_IPV6)
		ev = answer6(ctx, p);
	else
		ev = GK_WK_EV_ICMP_SUPPRESSED;
	if (ev != NO_EVENT)
		ctx->stats->events[ev]++;
}

void gk_icmp_err_burst(struct gk_icmp_err_ctx *ctx, struct gk_pkt **pkts,
		       uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct gk_pkt *p = pkts[i];

		if (likely(p->verdict != GK_V_DROP))
			continue;
		if (p->drop_reason == GK_WK_DROP_TTL ||
		    p->drop_reason == GK_WK_DROP_TOO_BIG)
			answer(ctx, p);
	}
}
