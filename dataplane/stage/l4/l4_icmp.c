// SPDX-License-Identifier: BSD-3-Clause
/* ICMP errors about the front door's flows; see l4_icmp.h, docs/l4.md. */
#include <string.h>
#include <arpa/inet.h>

#include <genkan/flowhash.h>

#include "csum.h"
#include "l4_icmp.h"
#include "l4_snat.h"
#include "pkthdr.h"

#define P_ICMP		1
#define P_TCP		6
#define P_UDP		17
#define P_ICMPV6	58
#define ICMP_HLEN	8

/* Store a 16-bit word of the ICMP message; its checksum follows. */
static void put16(uint8_t *icmp, uint8_t *at, uint16_t v)
{
	uint16_t old = gk_ld16(at);

	if (old == v)
		return;
	gk_st16(icmp + 2, gk_csum_replace16(gk_ld16(icmp + 2), old, v));
	gk_st16(at, v);
}

/* A checksum of the quoted TCP/UDP header follows old -> new_. */
static void quote_l4_csum(const struct gk_l4_quote *q, uint32_t cs,
			  uint32_t old, uint32_t new_, bool wide)
{
	uint16_t v;

	if (!cs)
		return;
	v = wide ? gk_csum_replace32(gk_ld16(q->l4 + cs), old, new_) :
		   gk_csum_replace16(gk_ld16(q->l4 + cs), (uint16_t)old,
				     (uint16_t)new_);
	/* RFC 768: a computed zero goes out as all ones */
	put16(q->icmp, q->l4 + cs, cs == 6 && !v ? 0xffff : v);
}

int gk_l4_quote_parse(uint8_t *icmp, uint32_t len, bool v4,
		      struct gk_l4_quote *q)
{
	uint8_t *ip = icmp + ICMP_HLEN;
	uint32_t ihl;

	if (len < ICMP_HLEN + (v4 ? 20u : 40u))
		return -1;
	len -= ICMP_HLEN;
	if (v4) {
		ihl = (uint32_t)(ip[0] & 0xf) * 4;
		/* RFC 792: the header and 64 bits of the datagram's data */
		if (ip[0] >> 4 != 4 || ihl < 20 || len < ihl + 4 ||
		    (gk_rd16(ip + 6) & 0x1fff))
			return -1;
		q->proto = ip[9];
		q->family = 4;
	} else {
		ihl = 40;
		if (ip[0] >> 4 != 6 || len < ihl + 4)
			return -1;
		q->proto = ip[6];
		q->family = 6;
	}
	if (q->proto != P_TCP && q->proto != P_UDP)
		return -1;
	q->icmp = icmp;
	q->ip = ip;
	q->l4 = ip + ihl;
	q->l4_len = len - ihl;
	return 0;
}

void gk_l4_quote_set(const struct gk_l4_quote *q, bool dst,
		     const uint8_t *addr, uint16_t port)
{
	const bool v4 = q->family == 4;
	uint8_t *a = q->ip + (v4 ? 12 : 8) + (dst ? (v4 ? 4 : 16) : 0);
	uint8_t *pp = q->l4 + (dst ? 2 : 0);
	uint32_t cs = 0;
	unsigned i;

	/* the quoted L4 checksum, when quoted (IPv4 UDP 0: none sent) */
	if (q->proto == P_TCP && q->l4_len >= 18)
		cs = 16;
	else if (q->proto == P_UDP && q->l4_len >= 8 &&
		 !(v4 && !gk_ld16(q->l4 + 6)))
		cs = 6;
	for (i = 0; i < (v4 ? 1u : 4u); i++) {
		uint32_t old = gk_ld32(a + 4 * i), new_;

		memcpy(&new_, addr + 4 * i, 4);
		if (old == new_)
			continue;
		if (v4)
			put16(q->icmp, q->ip + 10,
			      gk_csum_replace32(gk_ld16(q->ip + 10), old, new_));
		quote_l4_csum(q, cs, old, new_, true);
		put16(q->icmp, a + 4 * i, gk_ld16(addr + 4 * i));
		put16(q->icmp, a + 4 * i + 2, gk_ld16(addr + 4 * i + 2));
	}
	if (port && gk_ld16(pp) != htons(port)) {
		quote_l4_csum(q, cs, gk_ld16(pp), htons(port), false);
		put16(q->icmp, pp, htons(port));
	}
}

/*
 * The outer source (dst false) or destination becomes addr: the IPv4
 * header checksum follows, or for ICMPv6 the ICMP checksum (RFC 4443 2.3,
 * the pseudo-header).
 */
static void outer_set(uint8_t *ip, bool v4, bool dst, const uint8_t *addr,
		      uint8_t *icmp)
{
	uint8_t *a = ip + (v4 ? 12 : 8) + (dst ? (v4 ? 4 : 16) : 0);
	unsigned i;

	for (i = 0; i < (v4 ? 1u : 4u); i++) {
		uint32_t old = gk_ld32(a + 4 * i), new_;

		memcpy(&new_, addr + 4 * i, 4);
		if (old == new_)
			continue;
		if (v4)
			gk_st16(ip + 10, gk_csum_replace32(gk_ld16(ip + 10),
							   old, new_));
		else
			gk_st16(icmp + 2, gk_csum_replace32(gk_ld16(icmp + 2),
							    old, new_));
		gk_st32(a + 4 * i, new_);
	}
}

/*
 * The outer IP header and the ICMP message p's metadata describe: an
 * error of the family's ICMP, whose quote q holds. *len: bytes of the
 * message, bounded by the datagram and the frame. 0, -1 (no ICMP error:
 * the metadata lies or it is a query), -2 (an error, quote unusable).
 */
static int error_of(const struct gk_pkt *p, uint8_t **ip, bool *v4,
		    struct gk_l4_quote *q)
{
	const struct gk_xdp_meta *m = &p->meta;
	uint32_t l3 = m->l3_off, l4 = m->l4_off, end;

	*v4 = m->flags & GK_META_F_IPV4;
	if (!(m->flags & GK_META_F_L4) || (m->flags & GK_META_F_LATER_FRAG) ||
	    !(m->flags & (GK_META_F_IPV4 | GK_META_F_IPV6)) ||
	    m->l4_proto != (*v4 ? P_ICMP : P_ICMPV6) ||
	    l4 < l3 + (*v4 ? 20u : 40u) || l4 + ICMP_HLEN > p->len)
		return -1;
	*ip = p->data + l3;
	end = *v4 ? l3 + gk_rd16(*ip + 2) : l3 + 40 + gk_rd16(*ip + 4);
	if (end > p->len)
		end = p->len;
	if (l4 + ICMP_HLEN > end ||
	    !gk_l4_icmp_is_error(*v4, p->data[l4]))
		return -1;
	if (gk_l4_quote_parse(p->data + l4, end - l4, *v4, q) ||
	    q->family != (*v4 ? 4 : 6))
		return -2;
	return 0;
}

static inline void fail(struct gk_l4_ctx *c, struct gk_pkt *p,
			enum gk_l4_cnt why)
{
	c->cnt[why]++;
	gk_wk_drop(c->stats, p, GK_WK_DROP_L4);
}

/* The flow_hash the classifier gave the flow's forward packets. */
static uint32_t fwd_hash(const struct gk_l4_quote *q)
{
	uint8_t pr[4];
	uint32_t s[4], d[4];
	unsigned i;

	/* quoted: listen -> client; forward: client -> listen */
	memcpy(pr, q->l4 + 2, 2);
	memcpy(pr + 2, q->l4, 2);
	if (q->family == 4)
		return gk_flow_hash4(gk_ld32(q->ip + 16), gk_ld32(q->ip + 12),
				     gk_ld32(pr), q->proto);
	for (i = 0; i < 4; i++) {
		s[i] = gk_ld32(q->ip + 24 + 4 * i);
		d[i] = gk_ld32(q->ip + 8 + 4 * i);
	}
	return gk_flow_hash6(s, d, gk_ld32(pr), q->proto);
}

void gk_l4_icmp_fwd(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		    struct gk_pkt *p)
{
	const struct gk_l4_service *s;
	const struct gk_l4_backend *be;
	const uint8_t *laddr, *caddr;
	struct gk_l4_quote q;
	struct gk_l4_flow *f;
	uint16_t lport, cport;
	uint8_t *ip;
	int svc, b, r;
	bool v4;

	r = error_of(p, &ip, &v4, &q);
	if (r) {
		fail(c, p, r == -1 ? GK_L4_BAD_L4 : GK_L4_ICMP_BAD);
		return;
	}
	/* quoted: a reply, listen addr:port -> client addr:port */
	laddr = q.ip + (v4 ? 12 : 8);
	caddr = q.ip + (v4 ? 16 : 24);
	lport = gk_rd16(q.l4);
	cport = gk_rd16(q.l4 + 2);
	svc = gk_l4_find_listen(t, q.family, q.proto, laddr, lport);
	if (svc < 0) {
		fail(c, p, GK_L4_ICMP_BAD);
		return;
	}
	s = &t->svc[svc];
	f = gk_l4_flow_find(c, t, fwd_hash(&q), (uint32_t)svc, q.family,
			    q.proto, caddr, cport, lport);
	if (s->snat) {
		/* the backend knows the client as the flow's pool
		 * address:port, which only the flow's worker knows */
		if (!f || f->be >= s->nr_be || !f->snat_pidx ||
		    f->snat_pidx > t->nr_pool) {
			fail(c, p, GK_L4_ICMP_BAD);
			return;
		}
		b = (int)f->be;
	} else if (f && f->be < s->nr_be) {
		b = (int)f->be;
	} else {
		/* the flow's worker is another (RSS), or it is gone */
		b = gk_l4_pick(s, caddr, cport, lport);
		if (b < 0) {
			fail(c, p, GK_L4_NO_BACKEND);
			return;
		}
		c->cnt[GK_L4_ICMP_PICKED]++;
	}
	be = &s->be[b];
	gk_l4_quote_set(&q, false, be->addr, be->port);
	if (s->snat)
		gk_l4_quote_set(&q, true, t->pool[f->snat_pidx - 1].addr,
				f->snat_port);
	outer_set(ip, v4, true, be->addr, q.icmp);
	c->cnt[GK_L4_ICMP_IN]++;
	/* routed on as any transit packet; no flow is made or refreshed */
	p->meta.class = GK_CLASS_TRANSIT;
}

/*
 * A snat flow's error the worker built: the quote is pool address:port ->
 * backend, the error is addressed to the pool address. The flow (this
 * worker sent the packet, so it holds the flow) gives the client back,
 * for the quoted source and the outer destination, and the listen port
 * for the quoted destination. false: no such flow.
 */
static bool snat_client(struct gk_l4_ctx *c, const struct gk_l4_table *t,
			uint32_t svc, const struct gk_l4_quote *q, uint8_t *ip,
			bool v4)
{
	const struct gk_l4_service *s = &t->svc[svc];
	const uint8_t *baddr;
	struct gk_l4_flow *f;
	uint16_t bport;
	int pidx;

	pidx = gk_l4_snat_pool_of(s, q->ip + (v4 ? 12 : 8));
	f = pidx < 0 ? NULL : gk_l4_snat_find(c, (uint32_t)pidx,
					      gk_rd16(q->l4), q->proto);
	if (!f || f->svc != svc || f->be >= s->nr_be)
		return false;
	/* the quoted destination is the flow's own backend */
	baddr = gk_l4_snat_backend(s, f, &bport);
	if (bport != gk_rd16(q->l4 + 2) ||
	    memcmp(baddr, q->ip + (v4 ? 16 : 24), v4 ? 4 : 16))
		return false;
	gk_l4_quote_set(q, false, f->caddr, f->cport);
	gk_l4_quote_set(q, true, s->addr, f->lport);
	outer_set(ip, v4, true, f->caddr, q->icmp);
	return true;
}

/* Toward a client; built: an error this worker made (gk_l4_err_burst). */
static bool icmp_out(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		     struct gk_pkt *p, bool built)
{
	const struct gk_l4_service *s;
	const struct gk_l4_lkey *k;
	struct gk_l4_quote q;
	uint8_t *ip;
	bool v4;

	if (!t || error_of(p, &ip, &v4, &q))
		return false;
	/* quoted: client -> backend addr:port */
	k = gk_l4_find_backend(t, q.family, q.proto, q.ip + (v4 ? 16 : 24),
			       gk_rd16(q.l4 + 2));
	if (!k)
		return false;
	s = &t->svc[k->svc];
	/*
	 * snat: the quote is pool address:port -> backend. A routed error
	 * (from home) goes to the pool port's owner, which holds the flow,
	 * as a reply does; an error the worker built is about a packet it
	 * sent, so it holds the flow. A source port outside snat_ports is
	 * not the service's (the host's own connection from that address).
	 */
	if (s->snat) {
		uint16_t pport = gk_rd16(q.l4);
		unsigned owner;

		if (!built) {
			if (gk_l4_snat_pool_of(s, q.ip + (v4 ? 12 : 8)) < 0 ||
			    pport < s->snat_plo || pport > s->snat_phi)
				return false;
			owner = gk_l4_snat_owner(c, pport);
			if (owner != c->wid) {
				if (c->nr_away < GK_L4_AWAY_MAX) {
					c->away_to[c->nr_away] = (uint16_t)owner;
					c->away[c->nr_away++] = p;
				} else {
					fail(c, p, GK_L4_HANDOFF_FULL);
				}
				return true;
			}
		}
		if (!snat_client(c, t, k->svc, &q, ip, v4)) {
			if (!built)
				fail(c, p, GK_L4_ICMP_BAD);
			return !built;
		}
	} else {
		gk_l4_quote_set(&q, true, s->addr, k->port ? s->port_lo : 0);
	}
	/*
	 * From the door: the client knows no other address of this flow,
	 * and the sender (the backend, a router at home) is in private
	 * space that must not leak or could not be routed back to.
	 */
	outer_set(ip, v4, false, s->addr, q.icmp);
	c->cnt[GK_L4_ICMP_OUT]++;
	return true;
}

bool gk_l4_icmp_rev(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		    struct gk_pkt *p)
{
	return icmp_out(c, t, p, false);
}

void gk_l4_err_burst(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		     struct gk_pkt **pkts, uint16_t n)
{
	uint16_t i;

	if (!t || !t->nr_rev)
		return;
	for (i = 0; i < n; i++)
		if (pkts[i]->verdict == GK_V_TX)
			icmp_out(c, t, pkts[i], true);
}
