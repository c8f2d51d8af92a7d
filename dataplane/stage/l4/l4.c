// SPDX-License-Identifier: BSD-3-Clause
/* The front door stage; see l4.h and docs/l4.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "l4.h"
#include "l4_icmp.h"
#include "l4_snat.h"
#include "maglev.h"
#include "pkthdr.h"

#define P_ICMP	1
#define P_TCP	6
#define P_UDP	17
#define P_ICMPV6	58
#define TCP_FIN	0x01
#define TCP_RST	0x04

const char *const gk_l4_cnt_names[GK_L4_CNT_MAX] = {
#define GK_X(n, s) [GK_L4_##n] = s,
	GK_L4_CNT_LIST(GK_X)
#undef GK_X
};

/* ------------------------------------------------------------ the table */

static int lkey_cmp(const void *a, const void *b)
{
	const struct gk_l4_lkey *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	if (x->proto != y->proto)
		return x->proto - y->proto;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

/* Key words as the hash and the compare see them. */
static inline uint64_t key_hash(uint8_t family, uint8_t proto, uint16_t port,
				const uint8_t *addr)
{
	uint64_t h = (uint64_t)family << 56 | (uint64_t)proto << 48 |
		     (uint64_t)port << 32;
	uint32_t w;

	memcpy(&w, addr + (family == 4 ? 0 : 12), 4);
	h ^= w;
	if (family == 6) {
		uint64_t x;

		memcpy(&x, addr, 8);
		h ^= x * 0xff51afd7ed558ccdull;
		memcpy(&w, addr + 8, 4);
		h ^= (uint64_t)w << 16;
	}
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static inline bool key_eq(const struct gk_l4_lkey *k, uint8_t family,
			  uint8_t proto, uint16_t port, const uint8_t *addr)
{
	if (k->family != family || k->proto != proto || k->port != port)
		return false;
	if (family == 4)
		return !memcmp(k->addr, addr, 4);
	return !memcmp(k->addr, addr, 16);
}

static const struct gk_l4_lkey *find(const struct gk_l4_lkey *keys,
				     const uint32_t *h, uint32_t mask,
				     uint8_t family, uint8_t proto,
				     const uint8_t *addr, uint16_t port)
{
	uint32_t i = (uint32_t)key_hash(family, proto, port, addr) & mask;

	if (!h)
		return NULL;
	for (; h[i]; i = (i + 1) & mask) {
		const struct gk_l4_lkey *k = &keys[h[i] - 1];

		if (key_eq(k, family, proto, port, addr))
			return k;
	}
	return NULL;
}

#define GK_L4_HASH_LOAD	4

/* Index n keys (addresses zero-padded to 16 bytes) by key_hash. */
static uint32_t *index_keys(const struct gk_l4_lkey *keys, uint32_t n,
			    uint32_t *mask)
{
	uint32_t size = 16, i, j;
	uint32_t *h;

	while (size < (uint64_t)n * GK_L4_HASH_LOAD)
		size <<= 1;
	h = calloc(size, sizeof(*h));
	if (!h)
		return NULL;
	*mask = size - 1;
	for (i = 0; i < n; i++) {
		j = (uint32_t)key_hash(keys[i].family, keys[i].proto,
				       keys[i].port, keys[i].addr) & *mask;
		while (h[j])
			j = (j + 1) & *mask;
		h[j] = i + 1;
	}
	return h;
}

void gk_l4_table_free(struct gk_l4_table *t)
{
	uint32_t i;

	if (!t)
		return;
	for (i = 0; i < t->nr_svc; i++) {
		free(t->svc[i].be);
		free(t->svc[i].table);
		free(t->svc[i].snat_pidx);
	}
	free(t->svc);
	free(t->pool);
	free(t->listen);
	free(t->rev);
	free(t->listen_h);
	free(t->rev_h);
	free(t);
}

struct gk_l4_table *gk_l4_table_new(struct gk_l4_service *svc, uint32_t n)
{
	struct gk_l4_table *t = calloc(1, sizeof(*t));
	uint32_t i, j, nl = 0, nr = 0, port;
	unsigned b;

	if (!t)
		goto err_svc;
	t->svc = svc;
	t->nr_svc = n;
	for (i = 0; i < n; i++) {
		nl += (uint32_t)svc[i].port_hi - svc[i].port_lo + 1;
		nr += svc[i].nr_be;
	}
	t->listen = calloc(nl ? nl : 1, sizeof(*t->listen));
	t->rev = calloc(nr ? nr : 1, sizeof(*t->rev));
	if (!t->listen || !t->rev) {
		gk_l4_table_free(t);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		const struct gk_l4_service *s = &svc[i];

		for (port = s->port_lo; port <= s->port_hi; port++) {
			struct gk_l4_lkey *k = &t->listen[t->nr_listen++];

			k->family = s->family;
			k->proto = s->proto;
			k->port = (uint16_t)port;
			memcpy(k->addr, s->addr, 16);
			k->svc = i;
		}
		for (j = 0; j < s->nr_be; j++) {
			struct gk_l4_lkey *k = &t->rev[t->nr_rev++];

			k->family = s->be[j].family;
			k->proto = s->proto;
			/* 0: the listen port carries over (a range) */
			k->port = s->be[j].port;
			memcpy(k->addr, s->be[j].addr, 16);
			k->svc = i;
			k->be = j;
			s->be[j].gidx = t->nr_be_total++;
			b = gk_l4_src_bit(k->addr + (k->family == 4 ? 0 : 12));
			t->src_filter[b >> 6] |= 1ull << (b & 63);
		}
	}
	qsort(t->listen, t->nr_listen, sizeof(*t->listen), lkey_cmp);
	qsort(t->rev, t->nr_rev, sizeof(*t->rev), lkey_cmp);
	t->listen_h = index_keys(t->listen, t->nr_listen, &t->listen_mask);
	t->rev_h = index_keys(t->rev, t->nr_rev, &t->rev_mask);
	if (!t->listen_h || !t->rev_h || gk_l4_snat_index(t)) {
		gk_l4_table_free(t);
		return NULL;
	}
	return t;

err_svc:
	for (i = 0; i < n; i++) {
		free(svc[i].be);
		free(svc[i].table);
	}
	free(svc);
	return NULL;
}

static void free_rcu(struct rcu_head *h)
{
	gk_l4_table_free(caa_container_of(h, struct gk_l4_table, rcu));
}

void gk_l4_table_publish(struct gk_l4_table **slot, struct gk_l4_table *next)
{
	struct gk_l4_table *old = rcu_xchg_pointer(slot, next);

	if (old)
		call_rcu(&old->rcu, free_rcu);
}

int gk_l4_find_listen(const struct gk_l4_table *t, uint8_t family,
		      uint8_t proto, const uint8_t *addr, uint16_t port)
{
	const struct gk_l4_lkey *k = find(t->listen, t->listen_h,
					  t->listen_mask, family, proto, addr,
					  port);

	return k ? (int)k->svc : -1;
}

const struct gk_l4_lkey *gk_l4_find_backend(const struct gk_l4_table *t,
					    uint8_t family, uint8_t proto,
					    const uint8_t *addr, uint16_t port)
{
	const struct gk_l4_lkey *k;
	const struct gk_l4_service *s;

	k = find(t->rev, t->rev_h, t->rev_mask, family, proto, addr, port);
	if (k)
		return k->svc < t->nr_svc ? k : NULL;
	/* a backend that keeps the listen port (0: any in range) */
	k = find(t->rev, t->rev_h, t->rev_mask, family, proto, addr, 0);
	if (!k || k->svc >= t->nr_svc)
		return NULL;
	s = &t->svc[k->svc];
	return port < s->port_lo || port > s->port_hi ? NULL : k;
}

/* The flow hash Maglev and `genkanctl l4 lookup` share (lib/maglev.h). */
static uint64_t flow_key(const struct gk_l4_service *s, const uint8_t *caddr,
			 uint16_t cport, uint16_t lport)
{
	if (s->family == 4)
		return gk_maglev_flow_hash4(caddr, cport, s->addr, lport,
					    s->proto);
	return gk_maglev_flow_hash(caddr, cport, s->addr, lport, s->proto);
}

int gk_l4_pick(const struct gk_l4_service *s, const uint8_t *caddr,
	       uint16_t cport, uint16_t lport)
{
	uint32_t b;

	if (!s->table || !s->m)
		return -1;
	b = gk_maglev_lookup(s->table, s->m, flow_key(s, caddr, cport, lport));
	return b == GK_MAGLEV_NONE || b >= s->nr_be ? -1 : (int)b;
}

/* ----------------------------------------------------------- the flows */

int gk_l4_ctx_init(struct gk_l4_ctx *c, uint32_t max_flows, uint32_t nr_be)
{
	uint32_t b = 1;

	memset(c, 0, sizeof(*c));
	while ((uint64_t)b * GK_L4_WAYS < max_flows && b < (1u << 24))
		b <<= 1;
	c->nr_buckets = b;
	c->nr_workers = 1;	/* gk_l4_snat_init() says otherwise */
	c->flows = calloc((size_t)b * GK_L4_WAYS, sizeof(*c->flows));
	c->nr_be_max = nr_be;
	c->be_pkts = calloc(nr_be ? nr_be : 1, sizeof(*c->be_pkts));
	c->be_bytes = calloc(nr_be ? nr_be : 1, sizeof(*c->be_bytes));
	if (!c->flows || !c->be_pkts || !c->be_bytes) {
		gk_l4_ctx_fini(c);
		return -ENOMEM;
	}
	return 0;
}

void gk_l4_ctx_fini(struct gk_l4_ctx *c)
{
	gk_l4_snat_fini(c);
	free(c->flows);
	free(c->be_pkts);
	free(c->be_bytes);
	c->flows = NULL;
	c->be_pkts = c->be_bytes = NULL;
}

static uint64_t timeout(const struct gk_l4_service *s, const struct gk_l4_flow *f)
{
	if (f->proto == P_UDP)
		return s->udp_idle_ns;
	return f->closing ? s->tcp_fin_ns : s->tcp_idle_ns;
}

/*
 * The flow's slot: a match, else a free or expired one, else the least
 * recently used of the bucket (evicted, counted). *fresh says which.
 */
static struct gk_l4_flow *flow_slot(struct gk_l4_ctx *c,
				    const struct gk_l4_table *t,
				    uint32_t hash, uint32_t svc, uint8_t family,
				    uint8_t proto, const uint8_t *caddr,
				    uint16_t cport, uint16_t lport, bool *fresh)
{
	struct gk_l4_flow *b = &c->flows[(size_t)(hash & (c->nr_buckets - 1)) *
					 GK_L4_WAYS];
	struct gk_l4_flow *free_ = NULL, *old = NULL;
	const size_t alen = family == 4 ? 4 : 16;
	bool reused = false;
	unsigned i;

	*fresh = false;
	for (i = 0; i < GK_L4_WAYS; i++) {
		struct gk_l4_flow *f = &b[i];

		if (!f->used) {
			if (!free_)
				free_ = f;
			continue;
		}
		if (f->svc == svc && f->cport == cport && f->lport == lport &&
		    f->proto == proto && f->family == family &&
		    !memcmp(f->caddr, caddr, alen)) {
			/* an expired flow starts over: a new pick */
			if (f->svc < t->nr_svc &&
			    c->now_ns - f->last_ns > timeout(&t->svc[f->svc], f)) {
				*fresh = true;
				f->closing = 0;	/* a new flow: no FIN seen */
				gk_l4_snat_release(c, f);
				c->cnt[GK_L4_REUSED]++;
			}
			return f;
		}
		if (!free_ && f->svc < t->nr_svc &&
		    c->now_ns - f->last_ns > timeout(&t->svc[f->svc], f)) {
			free_ = f;
			reused = true;	/* counted if no match follows */
			continue;
		}
		if (!old || f->last_ns < old->last_ns)
			old = f;
	}
	if (reused)
		c->cnt[GK_L4_REUSED]++;
	if (!free_) {
		free_ = old;
		c->cnt[GK_L4_EVICTED]++;
	}
	if (free_->used)
		gk_l4_snat_release(c, free_);	/* its pool port goes back */
	memset(free_, 0, sizeof(*free_));
	free_->used = 1;
	free_->svc = svc;
	free_->family = family;
	free_->proto = proto;
	free_->cport = cport;
	free_->lport = lport;
	memcpy(free_->caddr, caddr, alen);
	*fresh = true;
	return free_;
}

struct gk_l4_flow *gk_l4_flow_find(struct gk_l4_ctx *c,
				   const struct gk_l4_table *t, uint32_t hash,
				   uint32_t svc, uint8_t family, uint8_t proto,
				   const uint8_t *caddr, uint16_t cport,
				   uint16_t lport)
{
	struct gk_l4_flow *b = &c->flows[(size_t)(hash & (c->nr_buckets - 1)) *
					 GK_L4_WAYS];
	const size_t alen = family == 4 ? 4 : 16;
	unsigned i;

	if (svc >= t->nr_svc)
		return NULL;
	for (i = 0; i < GK_L4_WAYS; i++) {
		struct gk_l4_flow *f = &b[i];

		if (f->used && f->svc == svc && f->cport == cport &&
		    f->lport == lport && f->proto == proto &&
		    f->family == family && !memcmp(f->caddr, caddr, alen))
			return c->now_ns - f->last_ns >
			       timeout(&t->svc[svc], f) ? NULL : f;
	}
	return NULL;
}

/* ------------------------------------------------------------ rewrites */

/* L4 checksum field offset, or 0 (IPv4 UDP without a checksum: none). */
static uint32_t l4_csum_at(const uint8_t *l4, uint8_t proto, bool v4)
{
	if (proto == P_TCP)
		return 16;
	/* RFC 768: zero means none (IPv4 only) */
	return v4 && !gk_ld16(l4 + 6) ? 0 : 6;
}

/* Replace a 4- or 16-byte address at ip + off; both checksums follow. */
static void set_addr(uint8_t *ip, uint32_t off, const uint8_t *to, bool v4,
		     uint8_t *l4, uint32_t cs)
{
	unsigned i;

	for (i = 0; i < (v4 ? 1u : 4u); i++) {
		uint32_t old = gk_ld32(ip + off + 4 * i), new_;

		memcpy(&new_, to + 4 * i, 4);
		if (old == new_)
			continue;
		if (v4)
			gk_st16(ip + 10, gk_csum_replace32(gk_ld16(ip + 10),
							   old, new_));
		if (cs) {
			uint16_t v = gk_csum_replace32(gk_ld16(l4 + cs), old,
						       new_);

			/* RFC 768: a computed zero goes out as all ones */
			gk_st16(l4 + cs, cs == 6 && !v ? 0xffff : v);
		}
		gk_st32(ip + off + 4 * i, new_);
	}
}

static void set_port(uint8_t *l4, uint32_t at, uint16_t to, uint32_t cs)
{
	uint16_t old = gk_ld16(l4 + at), new_ = htons(to);

	if (old == new_)
		return;
	if (cs) {
		uint16_t v = gk_csum_replace16(gk_ld16(l4 + cs), old, new_);

		gk_st16(l4 + cs, cs == 6 && !v ? 0xffff : v);
	}
	gk_st16(l4 + at, new_);
}

static inline void fail(struct gk_l4_ctx *c, struct gk_pkt *p,
			enum gk_l4_cnt why)
{
	c->cnt[why]++;
	gk_wk_drop(c->stats, p, GK_WK_DROP_L4);
}

/* Where the headers are, if the metadata and lengths allow the rewrite. */
static bool hdrs(const struct gk_pkt *p, uint8_t **ip, uint8_t **l4, bool *v4)
{
	const struct gk_xdp_meta *m = &p->meta;
	uint32_t need;

	if (!(m->flags & GK_META_F_L4) ||
	    (m->l4_proto != P_TCP && m->l4_proto != P_UDP))
		return false;
	need = m->l4_proto == P_TCP ? 20 : 8;
	*v4 = m->flags & GK_META_F_IPV4;
	/* the addresses rewritten lie in the IP header, before L4 */
	if ((uint32_t)m->l4_off + need > p->len ||
	    (uint32_t)m->l3_off + (*v4 ? 20 : 40) > m->l4_off)
		return false;
	*ip = p->data + m->l3_off;
	*l4 = p->data + m->l4_off;
	return true;
}

void gk_l4_fwd_burst(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		     struct gk_pkt **pkts, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct gk_pkt *p = pkts[i];
		const struct gk_l4_service *s;
		const struct gk_l4_backend *be;
		uint8_t *ip, *l4, family, proto;
		const uint8_t *caddr, *laddr;
		uint16_t cport, lport;
		struct gk_l4_flow *f;
		bool v4, fresh;
		uint32_t cs;
		int svc, b;

		if (unlikely(!t)) {
			fail(c, p, GK_L4_NO_TABLE);
			continue;
		}
		if (unlikely(p->meta.flags & (GK_META_F_FRAG |
					      GK_META_F_LATER_FRAG))) {
			fail(c, p, GK_L4_FRAGMENT);
			continue;
		}
		/* an ICMP error about a flow (l4_icmp.c) */
		if (unlikely(p->meta.l4_proto == P_ICMP ||
			     p->meta.l4_proto == P_ICMPV6)) {
			gk_l4_icmp_fwd(c, t, p);
			continue;
		}
		if (unlikely(!hdrs(p, &ip, &l4, &v4))) {
			fail(c, p, GK_L4_BAD_L4);
			continue;
		}
		family = v4 ? 4 : 6;
		proto = p->meta.l4_proto;
		caddr = v4 ? ip + 12 : ip + 8;
		laddr = v4 ? ip + 16 : ip + 24;
		cport = gk_rd16(l4);
		lport = gk_rd16(l4 + 2);
		svc = gk_l4_find_listen(t, family, proto, laddr, lport);
		if (unlikely(svc < 0)) {
			fail(c, p, GK_L4_NO_SERVICE);
			continue;
		}
		s = &t->svc[svc];
		f = flow_slot(c, t, p->meta.flow_hash, (uint32_t)svc, family,
			      proto, caddr, cport, lport, &fresh);
		if (fresh) {
			b = gk_l4_pick(s, caddr, cport, lport);
			if (b < 0) {
				f->used = 0;
				fail(c, p, GK_L4_NO_BACKEND);
				continue;
			}
			f->be = (uint32_t)b;
			if (s->snat && !gk_l4_snat_alloc(c, t, (uint32_t)svc,
							 f)) {
				f->used = 0;
				fail(c, p, GK_L4_SNAT_EXHAUSTED);
				continue;
			}
			c->cnt[GK_L4_NEW_FLOWS]++;
		} else {
			c->cnt[GK_L4_HITS]++;
		}
		f->last_ns = c->now_ns;
		if (proto == P_TCP && (l4[13] & (TCP_FIN | TCP_RST)) &&
		    !f->closing) {
			f->closing = 1;
			c->cnt[GK_L4_CLOSED]++;
		}
		if (unlikely(f->be >= s->nr_be)) {
			f->used = 0;
			fail(c, p, GK_L4_NO_BACKEND);
			continue;
		}
		be = &s->be[f->be];
		cs = l4_csum_at(l4, proto, v4);
		set_addr(ip, v4 ? 16 : 24, be->addr, v4, l4, cs);
		if (be->port)
			set_port(l4, 2, be->port, cs);
		if (s->snat) {
			/* fresh flows got one; c->pool is sized by t */
			if (unlikely(!f->snat_pidx ||
				     f->snat_pidx > t->nr_pool)) {
				gk_l4_snat_release(c, f);
				f->used = 0;
				fail(c, p, GK_L4_SNAT_EXHAUSTED);
				continue;
			}
			set_addr(ip, v4 ? 12 : 8, t->pool[f->snat_pidx - 1].addr,
				 v4, l4, cs);
			set_port(l4, 0, f->snat_port, cs);
		}
		if (be->gidx < c->nr_be_max) {
			c->be_pkts[be->gidx]++;
			c->be_bytes[be->gidx] += p->len;
		}
		/* routed on as any transit packet: a hop that spends TTL */
		p->meta.class = GK_CLASS_TRANSIT;
	}
}

/*
 * A packet from a backend of snat service s: to one of its pool
 * address:ports, the flow holding that port (on its owner: else it waits
 * in c->away[]) gets it back, to the client from the listen side; true.
 * To anything else it is not a reply of the service: false, routed as
 * it is.
 */
static bool snat_rev(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		     const struct gk_l4_service *s, uint32_t svc,
		     struct gk_pkt *p, uint8_t *ip, uint8_t *l4, bool v4)
{
	const uint8_t proto = p->meta.l4_proto;
	uint16_t dport = gk_rd16(l4 + 2), bport;
	const uint8_t *baddr;
	struct gk_l4_flow *f;
	unsigned owner;
	uint32_t cs;
	int pidx;

	pidx = gk_l4_snat_pool_of(s, v4 ? ip + 16 : ip + 24);
	if (pidx < 0 || dport < s->snat_plo || dport > s->snat_phi)
		return false;
	owner = gk_l4_snat_owner(c, dport);
	if (owner != c->wid) {
		if (likely(c->nr_away < GK_L4_AWAY_MAX)) {
			c->away_to[c->nr_away] = (uint16_t)owner;
			c->away[c->nr_away++] = p;
		} else {
			fail(c, p, GK_L4_HANDOFF_FULL);
		}
		return true;
	}
	f = gk_l4_snat_find(c, (uint32_t)pidx, dport, proto);
	if (f && f->svc == svc && f->be < s->nr_be) {
		baddr = gk_l4_snat_backend(s, f, &bport);
		if (bport != gk_rd16(l4) ||
		    (v4 ? memcmp(baddr, ip + 12, 4) : memcmp(baddr, ip + 8, 16)))
			f = NULL;
	} else {
		f = NULL;
	}
	if (!f) {
		fail(c, p, GK_L4_SNAT_NO_FLOW);
		return true;
	}
	f->last_ns = c->now_ns;
	if (proto == P_TCP && (l4[13] & (TCP_FIN | TCP_RST)) && !f->closing) {
		f->closing = 1;
		c->cnt[GK_L4_CLOSED]++;
	}
	cs = l4_csum_at(l4, proto, v4);
	set_addr(ip, v4 ? 12 : 8, s->addr, v4, l4, cs);
	set_port(l4, 0, f->lport, cs);
	set_addr(ip, v4 ? 16 : 24, f->caddr, v4, l4, cs);
	set_port(l4, 2, f->cport, cs);
	c->cnt[GK_L4_REVERSE]++;
	return true;
}

/* Is the packet addressed to one of the door's own host path addresses? */
static bool to_host(const struct gk_l4_table *t, const uint8_t *ip, bool v4)
{
	for (uint32_t i = 0; i < t->nr_host; i++)
		if (t->host[i].family == (v4 ? 4 : 6) &&
		    !memcmp(t->host[i].addr, v4 ? ip + 16 : ip + 24, v4 ? 4 : 16))
			return true;
	return false;
}

void gk_l4_rev_burst(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		     struct gk_pkt **pkts, uint16_t n)
{
	uint16_t i;

	c->nr_away = 0;
	if (!t || !t->nr_rev)
		return;
	for (i = 0; i < n; i++) {
		struct gk_pkt *p = pkts[i];
		const struct gk_l4_service *s;
		const struct gk_l4_lkey *k;
		uint8_t *ip, *l4;
		uint16_t sport;
		unsigned b;
		uint32_t cs;
		bool v4;

		/* the common case, not from a backend: one multiply (the
		 * source address is inside any IP header genkan routes) */
		if (p->verdict != GK_V_NONE ||
		    (uint32_t)p->meta.l3_off + 24 > p->len)
			continue;
		/* an ICMP error from anywhere may quote a backend's flow */
		if (unlikely(p->meta.l4_proto == P_ICMP ||
			     p->meta.l4_proto == P_ICMPV6)) {
			gk_l4_icmp_rev(c, t, p);
			continue;
		}
		ip = p->data + p->meta.l3_off;
		b = gk_l4_src_bit(p->meta.flags & GK_META_F_IPV4 ? ip + 12 :
				  ip + 20);
		if (likely(!(t->src_filter[b >> 6] & (1ull << (b & 63)))))
			continue;
		if ((p->meta.flags & GK_META_F_LATER_FRAG) ||
		    !hdrs(p, &ip, &l4, &v4))
			continue;
		sport = gk_rd16(l4);
		k = find(t->rev, t->rev_h, t->rev_mask, v4 ? 4 : 6,
			 p->meta.l4_proto, v4 ? ip + 12 : ip + 8, sport);
		/* a backend that keeps the listen port (0: any in range) */
		if (!k)
			k = find(t->rev, t->rev_h, t->rev_mask, v4 ? 4 : 6,
				 p->meta.l4_proto, v4 ? ip + 12 : ip + 8, 0);
		if (!k || k->svc >= t->nr_svc)
			continue;
		s = &t->svc[k->svc];
		if (!k->port && (sport < s->port_lo || sport > s->port_hi))
			continue;
		/* snat first: the pool may be the door's own address; what
		 * is not to a pool port is routed as it is */
		if (s->snat) {
			if (!snat_rev(c, t, s, k->svc, p, ip, l4, v4) &&
			    unlikely(t->nr_host) && to_host(t, ip, v4))
				c->cnt[GK_L4_TO_HOST]++;
			continue;
		}
		if (unlikely(t->nr_host) && to_host(t, ip, v4)) {
			c->cnt[GK_L4_TO_HOST]++;
			continue;
		}
		cs = l4_csum_at(l4, p->meta.l4_proto, v4);
		set_addr(ip, v4 ? 12 : 8, s->addr, v4, l4, cs);
		if (k->port)
			set_port(l4, 0, s->port_lo, cs);
		c->cnt[GK_L4_REVERSE]++;
	}
}
