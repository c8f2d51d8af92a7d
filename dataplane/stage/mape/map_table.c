/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <arpa/inet.h>

#include "csum.h"
#include "ratelimit.h"
#include "map_table.h"

const char *const gk_map_drop_names[GK_MAP_DROP_MAX] = {
#define GK_X(n, s) s,
	GK_MAP_DROP_LIST(GK_X)
#undef GK_X
};

__attribute__((format(printf, 3, 4)))
static void *fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return NULL;
}

static uint32_t mask32(unsigned plen)
{
	return plen ? ~0u << (32 - plen) : 0;
}

static void rt_fill(struct gk_map_rt *rt, const struct gk_map_rule *r,
		    uint16_t tunnel_mtu)
{
	uint64_t hi = 0;
	unsigned i;

	for (i = 0; i < 8; i++)
		hi = hi << 8 | r->ipv6_prefix[i];
	if (r->ipv6_plen < 64)
		hi &= r->ipv6_plen ? ~0ull << (64 - r->ipv6_plen) : 0;
	rt->v6hi = hi;
	rt->v4mask = mask32(r->ipv4_plen);
	rt->v4pfx = gk_rd32(r->ipv4_prefix) & rt->v4mask;
	rt->p = (uint8_t)(32 - r->ipv4_plen);
	rt->o = r->ea_bits;
	rt->k = r->psid_len;
	rt->a = r->psid_offset;
	rt->ea_shift = (uint8_t)(64 - r->ipv6_plen - r->ea_bits);
	rt->draft03 = !!(r->flags & GK_MAP_F_DRAFT03);
	rt->sfx_mask = rt->p == 32 ? ~0u : (1u << rt->p) - 1u;
	rt->psid_mask = (uint16_t)((1u << rt->k) - 1u);
	rt->port_lo = rt->k && rt->a ? (uint16_t)(1u << (16 - rt->a)) : 0;
	if (r->mss_clamp == GK_MAP_MSS_AUTO)
		rt->mss = tunnel_mtu > 40 + 536 ? tunnel_mtu - 40 : 536;
	else
		rt->mss = r->mss_clamp;
}

/* Build the per-length hash; first rule wins on duplicates (as the LPM). */
static int v6h_build(struct gk_map_table *t, const struct gk_map_rule *r,
		     unsigned n)
{
	bool seen[65] = { false };
	uint32_t slots = 16, i, j;

	while (slots < 4 * n)
		slots <<= 1;
	t->v6h = malloc(slots * sizeof(*t->v6h));
	if (!t->v6h)
		return -ENOMEM;
	t->v6h_mask = slots - 1;
	for (i = 0; i < slots; i++)
		t->v6h[i].ri = GK_LPM_MISS;
	for (i = 0; i < n; i++) {
		uint64_t key = t->rt[i].v6hi;
		uint32_t plen = r[i].ipv6_plen;

		seen[plen] = true;
		for (j = gk_map_v6h_slot(key, plen, t->v6h_mask);
		     t->v6h[j].ri != GK_LPM_MISS; j = (j + 1) & t->v6h_mask)
			if (t->v6h[j].key == key && t->v6h[j].plen == plen)
				break;
		if (t->v6h[j].ri != GK_LPM_MISS)
			continue;
		t->v6h[j].key = key;
		t->v6h[j].plen = plen;
		t->v6h[j].ri = i;
	}
	t->nr_v6len = 0;
	for (i = 65; i-- > 0;)
		if (seen[i])
			t->v6len[t->nr_v6len++] = (uint8_t)i;
	return 0;
}

static int cmp_e4(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct gk_lpm_entry4 *)a)->prefix_be);
	uint32_t y = ntohl(((const struct gk_lpm_entry4 *)b)->prefix_be);

	return x < y ? -1 : x > y;
}

/*
 * The /16 bitmap of the lpm4 prefixes and whether any two overlap (sorted
 * by start, one overlaps the next iff the next starts before it ends).
 * Sorts e4.
 */
static int v4bm_build(struct gk_map_table *t, struct gk_lpm_entry4 *e4,
		      unsigned n)
{
	uint64_t end = 0;
	unsigned i;

	t->v4bm = calloc(65536 / 64, sizeof(*t->v4bm));
	if (!t->v4bm)
		return -ENOMEM;
	qsort(e4, n, sizeof(*e4), cmp_e4);
	t->v4_disjoint = true;
	for (i = 0; i < n; i++) {
		uint32_t lo = ntohl(e4[i].prefix_be) & mask32(e4[i].plen);
		uint64_t hi = (uint64_t)lo + (1ull << (32 - e4[i].plen));
		uint32_t b;

		if (i && lo < end)
			t->v4_disjoint = false;
		if (hi > end)
			end = hi;
		for (b = lo >> 16; b <= (uint32_t)((hi - 1) >> 16); b++)
			t->v4bm[b >> 6] |= 1ull << (b & 63);
	}
	return 0;
}

struct gk_map_table *gk_map_table_build(const struct gk_map_table_cfg *c,
					char *err, size_t errlen)
{
	struct gk_lpm_entry4 *e4 = NULL;
	struct gk_map_table *t;
	unsigned i, n4 = 0, n6 = 0;
	char why[160];

	if (c->fragment > 1)
		return fail(err, errlen, "map table: bad fragment policy %u",
			    c->fragment);
	if (c->role != GK_MAPE_ROLE_CE && c->role != GK_MAPE_ROLE_BR)
		return fail(err, errlen, "map table: bad role %d", c->role);
	if (c->nr_rules && !c->rules)
		return fail(err, errlen, "map table: no rules array");
	if (c->nr_rules >= GK_LPM_NH_MAX)
		return fail(err, errlen, "map table: too many rules");
	if (!c->tunnel_mtu || c->tunnel_mtu < 68)
		return fail(err, errlen, "map table: tunnel_mtu %u below 68",
			    c->tunnel_mtu);
	if (c->role == GK_MAPE_ROLE_CE &&
	    (c->bmr < 0 || (unsigned)c->bmr >= c->nr_rules))
		return fail(err, errlen, "map table: CE without a BMR");
	for (i = 0; i < c->nr_rules; i++)
		if (gk_map_rule_check(&c->rules[i], why, sizeof(why)))
			return fail(err, errlen, "map rule %u (%s): %s", i,
				    c->rules[i].name, why);

	t = calloc(1, sizeof(*t));
	if (!t)
		return fail(err, errlen, "map table: out of memory");
	t->role = c->role;
	t->nr_rules = c->nr_rules;
	t->bmr = c->role == GK_MAPE_ROLE_CE ? c->bmr : -1;
	memcpy(t->br_addr, c->br_addr, 16);
	t->v4_port_id = c->v4_port_id;
	t->v6_port_id = c->v6_port_id;
	t->tunnel_mtu = c->tunnel_mtu;
	t->icmp_unreachable = c->icmp_unreachable;
	t->fragment = c->fragment;
	t->rt = calloc(c->nr_rules ? c->nr_rules : 1, sizeof(*t->rt));
	e4 = calloc(c->nr_rules ? c->nr_rules : 1, sizeof(*e4));
	if (!t->rt || !e4) {
		fail(err, errlen, "map table: out of memory");
		goto err_free;
	}
	for (i = 0; i < c->nr_rules; i++) {
		const struct gk_map_rule *r = &c->rules[i];

		rt_fill(&t->rt[i], r, c->tunnel_mtu);
		if (c->role == GK_MAPE_ROLE_BR ||
		    (r->flags & GK_MAP_F_FMR)) {
			memcpy(&e4[n4].prefix_be, r->ipv4_prefix, 4);
			e4[n4].plen = r->ipv4_plen;
			e4[n4++].nh = i;
		}
		if (c->role == GK_MAPE_ROLE_BR)
			n6++;
	}
	if (c->role == GK_MAPE_ROLE_CE) {
		if (gk_map_ce_derive(&c->rules[c->bmr], c->eup, c->eup_len,
				     &t->ce, why, sizeof(why))) {
			fail(err, errlen, "map table: BMR %s: %s",
			     c->rules[c->bmr].name, why);
			goto err_free;
		}
		t->ce_v4mask = mask32(t->ce.ipv4_plen);
		t->ce_v4 = gk_rd32(t->ce.ipv4) & t->ce_v4mask;
	}
	if (n4) {
		t->lpm4 = gk_lpm4_build(e4, n4, why, sizeof(why));
		if (!t->lpm4) {
			fail(err, errlen, "map table: ipv4 lpm: %s", why);
			goto err_free;
		}
	}
	if (v4bm_build(t, e4, n4)) {
		fail(err, errlen, "map table: out of memory");
		goto err_free;
	}
	if (n6 && v6h_build(t, c->rules, c->nr_rules)) {
		fail(err, errlen, "map table: out of memory");
		goto err_free;
	}
	free(e4);
	return t;

err_free:
	free(e4);
	gk_map_table_free(t);
	return NULL;
}

void gk_map_table_free(struct gk_map_table *t)
{
	if (!t)
		return;
	gk_lpm4_free(t->lpm4);
	free(t->v4bm);
	free(t->v6h);
	free(t->rt);
	free(t);
}

unsigned gk_map_table_nr_rules(const struct gk_map_table *t)
{
	return t ? t->nr_rules : 0;
}

void gk_mape_init(struct gk_mape_ctx *ctx, uint32_t rate_pps, uint32_t burst)
{
	uint64_t seed[2] = { 0x6a09e667f3bcc908ull ^ (uintptr_t)ctx,
			     0xbb67ae8584caa73bull };

	gk_mape_fini(ctx);
	ctx->rate_pps = rate_pps ? rate_pps : GK_ICMP_ERR_RATE_PPS;
	ctx->burst = burst ? burst : GK_ICMP_ERR_BURST;
	gk_tb_init(&ctx->tb, ctx->burst, ctx->now_ns);
	ctx->nr_extra = 0;
	if (!ctx->nr_reasm)
		ctx->nr_reasm = GK_MAPE_NR_REASM;
	if (!ctx->nr_vfrag)
		ctx->nr_vfrag = GK_MAPE_NR_VFRAG;
	if (!ctx->nr_hold)
		ctx->nr_hold = GK_MAPE_NR_HOLD;
	if (!ctx->frag_max)
		ctx->frag_max = GK_MAPE_FRAG_MAX;
	/* unpredictable hash seeds and IDs (RFC 7739); a fixed seed will do */
	if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed[1] ^= ctx->now_ns;
	ctx->frag_id = (uint32_t)(seed[1] >> 32);
	ctx->reasm = gk_frag_reasm_new(ctx->nr_reasm, ctx->frag_max, seed[0]);
	ctx->vfrag = gk_frag_virt_new(ctx->nr_vfrag, ctx->nr_hold,
				      ctx->frag_max, seed[1]);
}

void gk_mape_fini(struct gk_mape_ctx *ctx)
{
	gk_frag_reasm_free(ctx->reasm);
	gk_frag_virt_free(ctx->vfrag);
	ctx->reasm = NULL;
	ctx->vfrag = NULL;
}

/* ---- helpers shared by mape_ce.c and mape_br.c ----------------------- */

void gk_mape_drop_undecided(struct gk_mape_ctx *ctx, struct gk_pkt **pkts,
			    uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		if (pkts[i]->verdict == GK_V_NONE)
			gk_wk_drop(ctx->stats, pkts[i], GK_WK_DROP_BAD_META);
}

bool gk_mape_take_token(struct gk_mape_ctx *ctx)
{
	return gk_tb_take(&ctx->tb, ctx->now_ns,
			  ctx->rate_pps ? ctx->rate_pps : GK_ICMP_ERR_RATE_PPS,
			  ctx->burst ? ctx->burst : GK_ICMP_ERR_BURST);
}

/* RFC 792 / RFC 1122 3.2.2: queries carry an identifier in bytes 4-5. */
static bool icmp4_query(uint8_t type)
{
	switch (type) {
	case 0: case 8: case 13: case 14: case 15: case 16: case 17: case 18:
		return true;
	default:
		return false;
	}
}

static bool icmp4_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/*
 * RFC 7597 §5.1 with the ICMP rules of §8.3 (RFC 6346 ICMP handling):
 * the identifier of a query is the port; an error is mapped by the port of
 * the packet it quotes, which travelled the other way.
 */
bool gk_mape_port_slow(const uint8_t *ip, uint32_t len, bool to_ce,
		       uint8_t noport_why, uint16_t *port, uint8_t *why)
{
	uint32_t ihl = (ip[0] & 0xfu) * 4u, eihl;
	const uint8_t *l4 = ip + ihl, *e, *el4;

	if (gk_rd16(ip + 6) & 0x1fff) {
		*why = GK_MAP_DROP_FRAGMENT;
		return false;
	}
	switch (ip[9]) {
	case 6:
	case 17:
		if (len < ihl + 4)
			goto bad;
		*port = gk_rd16(l4 + (to_ce ? 2 : 0));
		return true;
	case 1:
		if (len < ihl + 8)
			goto bad;
		if (icmp4_query(l4[0])) {
			*port = gk_rd16(l4 + 4);
			return true;
		}
		if (!icmp4_error(l4[0]))
			goto unsupported;
		e = l4 + 8;
		if (len < ihl + 8 + 20 || (e[0] >> 4) != 4)
			goto unsupported;
		eihl = (e[0] & 0xfu) * 4u;
		if (eihl < 20 || (gk_rd16(e + 6) & 0x1fff))
			goto unsupported;
		el4 = e + eihl;
		if (e[9] == 6 || e[9] == 17) {
			if (len < ihl + 8 + eihl + 4)
				goto unsupported;
			*port = gk_rd16(el4 + (to_ce ? 0 : 2));
			return true;
		}
		if (e[9] == 1) {
			if (len < ihl + 8 + eihl + 6 || !icmp4_query(el4[0]))
				goto unsupported;
			*port = gk_rd16(el4 + 4);
			return true;
		}
		goto unsupported;
	default:
		*why = noport_why;
		return false;
	}
bad:
	*why = GK_MAP_DROP_BAD_INNER;
	return false;
unsupported:
	*why = GK_MAP_DROP_ICMP_UNSUPPORTED;
	return false;
}

/*
 * RFC 6691 / RFC 4459 3.2: lower the MSS option of a SYN to mss. The TCP
 * checksum is fixed incrementally (RFC 1624 eqn. 3) over the aligned
 * 16-bit words the option value covers.
 */
bool gk_mape_mss_clamp(uint8_t *ip, uint32_t len, uint16_t mss)
{
	uint32_t ihl = (ip[0] & 0xfu) * 4u, thl, o;
	uint8_t *th = ip + ihl;
	uint16_t csum, old;
	uint32_t ow, nw;

	if (ip[9] != 6 || (gk_rd16(ip + 6) & 0x1fff) || len < ihl + 20)
		return false;
	if (!(th[13] & 0x02))	/* SYN */
		return false;
	thl = (th[12] >> 4) * 4u;
	if (thl < 20 || len < ihl + thl)
		return false;
	for (o = 20; o < thl;) {
		uint8_t kind = th[o];

		if (kind == 0)
			break;
		if (kind == 1) {
			o++;
			continue;
		}
		if (o + 1 >= thl || th[o + 1] < 2 || o + th[o + 1] > thl)
			break;
		if (kind == 2 && th[o + 1] == 4) {
			old = gk_rd16(th + o + 2);
			if (old <= mss)
				return false;
			memcpy(&csum, th + 16, 2);
			if (!((o + 2) & 1)) {
				uint16_t ov, nv;

				memcpy(&ov, th + o + 2, 2);
				gk_wr16(th + o + 2, mss);
				memcpy(&nv, th + o + 2, 2);
				csum = gk_csum_replace16(csum, ov, nv);
			} else {
				/* value straddles two words: update both */
				memcpy(&ow, th + o + 1, 4);
				gk_wr16(th + o + 2, mss);
				memcpy(&nw, th + o + 1, 4);
				csum = gk_csum_replace32(csum, ow, nw);
			}
			memcpy(th + 16, &csum, 2);
			return true;
		}
		o += th[o + 1];
	}
	return false;
}

/*
 * Move the L2 header (l3 bytes) by at least 40 bytes: the common untagged
 * case as a fixed 14-byte copy the compiler inlines, not a libc call.
 */
static inline void move_l2(uint8_t *to, const uint8_t *from, uint32_t l3)
{
	if (likely(l3 == 14))
		memcpy(to, from, 14);
	else
		memmove(to, from, l3);
}

/*
 * RFC 2473 §3.1, RFC 7597 §7: prepend an IPv6 header (next header 4) to
 * the IPv4 packet of ip_len bytes at l3_off, into the headroom, keeping
 * the L2 header in front. Traffic class from the TOS (RFC 2473 §6.5),
 * flow label from the flow hash (RFC 6437 §3).
 */
void gk_mape_encap(struct gk_pkt *p, const uint8_t src[16],
		   const uint8_t dst[16], uint32_t ip_len)
{
	uint32_t l3 = p->meta.l3_off;
	uint8_t *ip6, tos = p->data[l3 + 1];

	p->data -= 40;
	p->buf_len += 40;
	move_l2(p->data, p->data + 40, l3);
	gk_wr16(p->data + l3 - 2, 0x86dd);
	ip6 = p->data + l3;
	gk_wr32(ip6, 0x60000000u | (uint32_t)tos << 20 |
	     (p->meta.flow_hash & 0xfffffu));
	gk_wr16(ip6 + 4, (uint16_t)ip_len);
	ip6[6] = 4;
	ip6[7] = 64;
	memcpy(ip6 + 8, src, 16);
	memcpy(ip6 + 24, dst, 16);
	p->len = l3 + 40 + ip_len;
	gk_meta_built(&p->meta, GK_META_F_IPV6, l3 + 40, 4);
}

/*
 * Strip everything between the L2 header and the inner IPv4 packet at
 * inner (ip_len bytes) and describe what is left: an IPv4 packet for
 * l3fwd, which decrements its TTL.
 */
void gk_mape_decap(struct gk_pkt *p, uint32_t inner, uint32_t ip_len)
{
	uint32_t l3 = p->meta.l3_off, d = inner - l3;

	move_l2(p->data + d, p->data, l3);
	p->data += d;
	p->buf_len -= d;
	p->len = l3 + ip_len;
	gk_wr16(p->data + l3 - 2, 0x0800);
	gk_meta_ip4(&p->meta, p->data + l3, l3);
}

/* RFC 1812 4.3.2.3: the whole error fits in 576 bytes. */
#define IP4_ERR_QUOTE	(576 - 28)

/*
 * RFC 7597 §8.2 / RFC 2473 §8: an ICMPv6 error about one of our
 * encapsulations (the quoted IPv6 header has our source address and next
 * header 4) becomes the ICMPv4 error the inner sender is owed:
 * Packet Too Big -> Fragmentation Needed with MTU - 40, Destination
 * Unreachable -> Host Unreachable, Time Exceeded -> Time Exceeded.
 * Returns -1 when the packet is not such an error (the caller decides),
 * else 0 with the packet translated or dropped.
 */
int gk_mape_icmp6_translate(struct gk_mape_ctx *ctx, struct gk_pkt *p,
			    const uint8_t ours[16])
{
	const struct gk_map_table *t = ctx->map;
	struct gk_map_dom_stats *dom;
	const struct gk_fib_port *port;
	uint32_t l3 = p->meta.l3_off, l4 = p->meta.l4_off, e4, q, tot, dom_i;
	uint32_t mtu = 0, v4;
	uint8_t *icmp6, *e6, *ip, type, code;

	if (p->meta.l4_proto != 58 || !(p->meta.flags & GK_META_F_L4) ||
	    l4 + 8 + 40 + 20 > p->len)
		return -1;
	icmp6 = p->data + l4;
	e6 = icmp6 + 8;
	if (icmp6[0] < 1 || icmp6[0] > 3 || (e6[0] >> 4) != 6 || e6[6] != 4 ||
	    memcmp(e6 + 8, ours, 16))
		return -1;
	e4 = l4 + 48;
	ip = p->data + e4;
	/* the inner packet as quoted: its header must be whole */
	if ((ip[0] >> 4) != 4 || (ip[0] & 0xfu) < 5 ||
	    e4 + (ip[0] & 0xfu) * 4u > p->len)
		goto unsupported;
	v4 = gk_rd32(ip + 16);
	if (t->role == GK_MAPE_ROLE_CE) {
		dom_i = (unsigned)t->bmr;
	} else {
		dom_i = t->lpm4 ? gk_lpm4_lookup(t->lpm4, htonl(v4)) :
				  GK_LPM_MISS;
		if (dom_i == GK_LPM_MISS)
			dom_i = t->nr_rules;
	}
	dom = gk_mape_dom(ctx, dom_i);
	/* RFC 1812 4.3.2.7: no error about an ICMP error or a later fragment */
	if (gk_rd16(ip + 6) & 0x1fff)
		goto unsupported_d;
	if (ip[9] == 1) {
		uint32_t ihl = (ip[0] & 0xfu) * 4u;

		if (e4 + ihl + 1 > p->len || !icmp4_query(ip[ihl]))
			goto unsupported_d;
	}

	switch (icmp6[0]) {
	case 2:			/* RFC 4443 3.2 -> RFC 1191 4 */
		type = 3;
		code = 4;
		mtu = gk_rd32(icmp6 + 4);
		mtu = mtu > 40 + 68 ? mtu - 40 : 68;
		if (mtu > 0xffff)
			mtu = 0xffff;
		break;
	case 1:			/* RFC 4443 3.1 -> RFC 792 host unreachable */
		type = 3;
		code = 1;
		break;
	default:		/* RFC 4443 3.3 -> RFC 792 time exceeded */
		type = 11;
		code = 0;
		break;
	}

	port = gk_fib_port(ctx->fib, t->v4_port_id);
	if (!port || !port->has_addr4) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_ICMP_NO_SRC);
		return 0;
	}
	if (!gk_mape_take_token(ctx)) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_ICMP_RATELIMITED);
		return 0;
	}

	tot = gk_rd16(ip + 2);
	q = p->len - e4;
	if (tot < q)
		q = tot;
	if (q > IP4_ERR_QUOTE)
		q = IP4_ERR_QUOTE;
	/* to the inner sender, as the moved quote has it */
	p->len = l3 + gk_icmp4_err_build(p->data + l3, ip, q, port->addr4,
					 p->data + l3 + 28 + 12, type, code,
					 (uint16_t)mtu);
	gk_wr16(p->data + l3 - 2, 0x0800);
	gk_meta_built(&p->meta, GK_META_F_IPV4, l3 + 20, 1);
	dom->icmp_translated++;
	return 0;

unsupported:
	dom = gk_mape_dom(ctx, t->role == GK_MAPE_ROLE_CE ? (unsigned)t->bmr :
			  t->nr_rules);
unsupported_d:
	gk_mape_drop(ctx, p, dom, GK_MAP_DROP_ICMP_UNSUPPORTED);
	return 0;
}

/* ---- tunnel MTU and fragments (RFC 7597 §8.3) -------------------------- */

/*
 * RFC 1191 §4 / RFC 792: Fragmentation Needed, next-hop MTU = the tunnel
 * MTU, for the inner sender, built in place from the offending packet and
 * left for l3fwd to route back (ORIGIN: no TTL decrement). RFC 1812
 * 4.3.2.7: never about an ICMP error or a non-first fragment.
 */
static __attribute__((noinline, cold))
void frag_needed(struct gk_mape_ctx *ctx, struct gk_pkt *p,
		 struct gk_map_dom_stats *dom, uint32_t len)
{
	const struct gk_map_table *t = ctx->map;
	const struct gk_fib_port *port = gk_fib_port(ctx->fib, t->v4_port_id);
	uint32_t l3 = p->meta.l3_off, q;
	uint8_t *ip = p->data + l3;

	if ((gk_rd16(ip + 6) & 0x1fff) ||
	    (ip[9] == 1 && !icmp4_query(ip[(ip[0] & 0xfu) * 4u]))) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_TOO_BIG);
		return;
	}
	if (!port || !port->has_addr4) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_ICMP_NO_SRC);
		return;
	}
	if (!gk_mape_take_token(ctx)) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_ICMP_RATELIMITED);
		return;
	}
	q = len < IP4_ERR_QUOTE ? len : IP4_ERR_QUOTE;
	/* back to the sender (ip + 12), which the quote leaves in place */
	p->len = l3 + gk_icmp4_err_build(ip, ip, q, port->addr4, ip + 12, 3, 4,
					 t->tunnel_mtu);
	gk_meta_built(&p->meta, GK_META_F_IPV4, l3 + 20, 1);
	dom->frag_needed_sent++;
}

static struct gk_pkt *new_pkt(struct gk_mape_ctx *ctx, const struct gk_pkt *like)
{
	struct gk_pkt *q;

	if (!ctx->alloc || ctx->nr_extra >= GK_BURST ||
	    ctx->alloc(ctx->alloc_arg, &q, 1) != 1)
		return NULL;
	q->in_port = like->in_port;
	q->queue = like->queue;
	q->out_port = 0;
	q->verdict = GK_V_NONE;
	q->drop_reason = 0;
	q->meta = like->meta;
	ctx->extra[ctx->nr_extra++] = q;
	return q;
}

/*
 * RFC 2473 §7.3, RFC 8200 §4.5: the encapsulated packet p (outer header
 * at l3, payload plen) is cut into pieces of the largest multiple of 8
 * that keeps each within tunnel_mtu + 40, the way the IPv6 source stack
 * would: p keeps the first, new buffers take the rest. All or nothing.
 */
static void frag_outer(struct gk_mape_ctx *ctx, struct gk_pkt *p,
		       struct gk_map_dom_stats *dom)
{
	const struct gk_map_table *t = ctx->map;
	uint32_t l3 = p->meta.l3_off, plen, chunk, off, n, i, id;
	struct gk_pkt *q[GK_BURST];
	uint8_t *ip6 = p->data + l3, hdr[40];
	uint16_t start = ctx->nr_extra;

	plen = gk_rd16(ip6 + 4);
	chunk = (t->tunnel_mtu - 8u) & ~7u;
	n = (plen + chunk - 1) / chunk;
	if (n > GK_BURST || l3 + 48 + chunk > p->buf_len) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_TOO_BIG);
		return;
	}
	for (i = 1; i < n; i++) {
		q[i] = new_pkt(ctx, p);
		if (!q[i] || q[i]->buf_len < l3 + 48 + chunk) {
			/* give back what we took: they leave as drops */
			for (i = start; i < ctx->nr_extra; i++) {
				ctx->extra[i]->verdict = GK_V_DROP;
				ctx->extra[i]->drop_reason = GK_WK_DROP_MAPE;
			}
			gk_mape_drop(ctx, p, dom, GK_MAP_DROP_FRAG_NO_BUF);
			return;
		}
	}
	id = htonl(ctx->frag_id++);
	memcpy(hdr, ip6, 40);
	hdr[6] = 44;
	for (i = n; i-- > 0;) {
		uint32_t len = plen - i * chunk < chunk ? plen - i * chunk : chunk;
		struct gk_pkt *f = i ? q[i] : p;
		uint8_t *d;

		off = i * chunk;
		/* the first piece stays in p: move its data last */
		if (i)
			memcpy(f->data, p->data, l3);
		d = f->data + l3;
		memmove(d + 48, ip6 + 40 + off, len);
		memcpy(d, hdr, 40);
		gk_wr16(d + 4, (uint16_t)(8 + len));
		d[40] = 4;
		d[41] = 0;
		gk_wr16(d + 42, (uint16_t)(off | (i + 1 < n)));
		memcpy(d + 44, &id, 4);
		f->len = l3 + 48 + len;
		f->meta.l4_off = i ? 0 : (uint16_t)(l3 + 48);
		f->meta.l4_proto = 4;
		f->meta.flags = (uint8_t)((p->meta.flags & GK_META_F_VLAN) |
					  GK_META_F_IPV6 | GK_META_F_FRAG |
					  GK_META_F_ORIGIN |
					  (i ? GK_META_F_LATER_FRAG :
					       GK_META_F_L4));
		f->meta.class = GK_CLASS_TRANSIT;
	}
	dom->frag_out += n;
	/* one datagram in, n frames out: the accounting's split term */
	ctx->stats->acct[GK_WK_ACCT_SPLIT] += n - 1;
}

void gk_mape_send(struct gk_mape_ctx *ctx, struct gk_pkt *p,
		  struct gk_map_dom_stats *dom, uint16_t mss,
		  const uint8_t src6[16], const uint8_t dst6[16], uint32_t len)
{
	const struct gk_map_table *t = ctx->map;
	uint8_t *ip = p->data + p->meta.l3_off;
	bool big;

	/* RFC 1812 5.3.1: TTL first, then the MTU, as l3fwd does */
	if (unlikely(ip[8] <= 1)) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_TTL);
		return;
	}
	big = len > t->tunnel_mtu;
	/* RFC 7597 §8.3: DF set or policy icmp: the sender must shrink */
	if (unlikely(big) && (t->fragment || (gk_rd16(ip + 6) & 0x4000))) {
		frag_needed(ctx, p, dom, len);
		return;
	}
	/* no way to get buffers for the other pieces: as before, too big */
	if (unlikely(big) && !ctx->alloc) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_TOO_BIG);
		return;
	}
	gk_ip4_ttl_dec(ip);
	if (mss && ip[9] == 6 && gk_mape_mss_clamp(ip, len, mss))
		dom->mss_clamped++;
	gk_mape_encap(p, src6, dst6, len);
	dom->encap_pkts++;
	dom->encap_bytes += len;
	if (unlikely(big))
		frag_outer(ctx, p, dom);
}

int gk_mape_vfrag_later(struct gk_mape_ctx *ctx, struct gk_pkt *p,
			struct gk_map_dom_stats *dom, uint32_t tag,
			uint32_t len, struct gk_frag_dest *d)
{
	const uint8_t *ip = p->data + p->meta.l3_off;

	if (!(gk_rd16(ip + 6) & 0x1fff))
		return -1;
	if (!ctx->vfrag) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_FRAGMENT);
		return 0;
	}
	if (!gk_frag_virt_find(ctx->vfrag, ip, len, ctx->now_ns, d)) {
		gk_mape_dom(ctx, d->tag)->vfrag_ok++;
		return 1;
	}
	/* RFC 7597 §8.3: out of order, wait (briefly) for the first */
	if (gk_frag_virt_hold(ctx->vfrag, p, ctx->now_ns, tag)) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_VFRAG_UNKNOWN);
		return 0;
	}
	dom->vfrag_held++;
	p->verdict = GK_V_DROP;
	p->drop_reason = GK_WK_DROP_MAPE;
	return 0;
}

void gk_mape_vfrag_first(struct gk_mape_ctx *ctx, const uint8_t *ip,
			 uint32_t len, const uint8_t src6[16],
			 const struct gk_frag_dest *d)
{
	struct gk_frag_held h;
	uint8_t key[20];

	if (!ctx->vfrag || !(gk_rd16(ip + 6) & 0x2000))
		return;
	gk_frag_virt_add(ctx->vfrag, ip, len, ctx->now_ns, d);
	memcpy(key, ip, 20);	/* ip is about to be overwritten */
	while (gk_frag_virt_pop(ctx->vfrag, key, &h)) {
		struct gk_map_dom_stats *dom = gk_mape_dom(ctx, d->tag);
		struct gk_pkt like = { .in_port = h.in_port, .meta = h.meta };
		struct gk_pkt *q = new_pkt(ctx, &like);
		uint32_t l;

		if (!q || q->buf_len < h.len) {
			if (q) {
				q->verdict = GK_V_DROP;
				q->drop_reason = GK_WK_DROP_MAPE;
			}
			dom->drops[GK_MAP_DROP_FRAG_NO_BUF]++;
			ctx->stats->drops[GK_WK_DROP_MAPE]++;
			continue;
		}
		memcpy(q->data, h.frame, h.len);
		q->len = h.len;
		l = gk_mape_ip4_len(q, h.l3_off);
		gk_frag_virt_find(ctx->vfrag, q->data + h.l3_off, l,
				  ctx->now_ns, &(struct gk_frag_dest){ 0 });
		dom->vfrag_ok++;
		gk_mape_send(ctx, q, dom, 0, src6, d->addr6, l);
	}
}

/* Held frames let go of with their datagram: one drop each, worker and dom. */
static void reasm_lost(struct gk_mape_ctx *ctx, const struct gk_frag_gone *g,
		       enum gk_map_drop why)
{
	if (!g->frames)
		return;
	gk_mape_dom(ctx, g->tag)->drops[why] += g->frames;
	ctx->stats->drops[GK_WK_DROP_MAPE] += g->frames;
}

int gk_mape_reasm(struct gk_mape_ctx *ctx, struct gk_pkt *p,
		  struct gk_map_dom_stats *dom, uint32_t tag)
{
	struct gk_frag_gone gone = { 0 }, expired = { 0 };
	enum gk_map_drop why;

	if (!ctx->reasm) {
		gk_mape_drop(ctx, p, dom, GK_MAP_DROP_FRAGMENT);
		return -1;
	}
	switch (gk_frag_reasm_input(ctx->reasm, p, ctx->now_ns, tag, &gone,
				    &expired)) {
	case GK_FRAG_DONE:
		reasm_lost(ctx, &expired, GK_MAP_DROP_REASM_TIMEOUT);
		/* the pieces before this one live on in it */
		ctx->stats->events[GK_WK_EV_REASM_MERGED] += gone.frames;
		dom->reasm_ok++;
		return 0;
	case GK_FRAG_HELD:
		reasm_lost(ctx, &expired, GK_MAP_DROP_REASM_TIMEOUT);
		dom->reasm_pieces++;
		p->verdict = GK_V_DROP;
		p->drop_reason = GK_WK_DROP_MAPE;
		return -1;
	case GK_FRAG_E_OVERLAP:
		why = GK_MAP_DROP_REASM_OVERLAP;
		break;
	case GK_FRAG_E_FULL:
		why = GK_MAP_DROP_REASM_FULL;
		break;
	case GK_FRAG_E_TOO_BIG:
		why = GK_MAP_DROP_REASM_TOO_BIG;
		break;
	case GK_FRAG_E_DEAD:
		why = GK_MAP_DROP_REASM_DISCARDED;
		break;
	default:
		why = GK_MAP_DROP_REASM_BAD;
		break;
	}
	reasm_lost(ctx, &expired, GK_MAP_DROP_REASM_TIMEOUT);
	/* the datagram's earlier pieces go with it, under the same reason */
	reasm_lost(ctx, &gone, why);
	gk_mape_drop(ctx, p, dom, why);
	return -1;
}

void gk_mape_frag_tick(struct gk_mape_ctx *ctx)
{
	struct gk_frag_gone gone[16];
	uint32_t tags[16];
	unsigned i, n;

	ctx->nr_extra = 0;
	/* all that is due, 16 datagrams per table pass */
	while (ctx->reasm && gk_frag_reasm_live(ctx->reasm)) {
		n = gk_frag_reasm_expire(ctx->reasm, ctx->now_ns, gone, 16);
		for (i = 0; i < n; i++)
			reasm_lost(ctx, &gone[i], GK_MAP_DROP_REASM_TIMEOUT);
		if (n < 16)
			break;
	}
	if (ctx->vfrag && gk_frag_virt_nr_held(ctx->vfrag)) {
		n = gk_frag_virt_expire(ctx->vfrag, ctx->now_ns, tags, 16);
		for (i = 0; i < n; i++)
			gk_mape_dom(ctx, tags[i])->drops[GK_MAP_DROP_VFRAG_TIMEOUT]++;
		ctx->stats->drops[GK_WK_DROP_MAPE] += n;
	}
}
