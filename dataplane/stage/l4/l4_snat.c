// SPDX-License-Identifier: BSD-3-Clause
/* client_ip = snat: pool indexing and per-worker port ownership; see l4_snat.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "l4_snat.h"
#include "pkthdr.h"

#define P_UDP	17

/* ------------------------------------------------------------ the table */

struct pent {
	uint8_t family;
	uint8_t addr[16];
	uint32_t svc, a;
};

static int pent_cmp(const void *x, const void *y)
{
	const struct pent *a = x, *b = y;

	if (a->family != b->family)
		return a->family - b->family;
	return memcmp(a->addr, b->addr, 16);
}

/* The a-th address of s's pool: snat_lo with a added to its last 32 bits. */
static void pool_addr(const struct gk_l4_service *s, uint32_t a, uint8_t *out)
{
	unsigned n = s->family == 4 ? 4 : 16;

	memset(out, 0, 16);
	memcpy(out, s->snat_lo, n);
	gk_wr32(out + n - 4, gk_rd32(s->snat_lo + n - 4) + a);
}

int gk_l4_snat_index(struct gk_l4_table *t)
{
	struct pent *e;
	uint32_t i, a, n = 0, k;

	for (i = 0; i < t->nr_svc; i++)
		if (t->svc[i].snat)
			n += t->svc[i].snat_naddr;
	if (!n)
		return 0;
	e = calloc(n, sizeof(*e));
	t->pool = calloc(n, sizeof(*t->pool));
	if (!e || !t->pool) {
		free(e);
		return -ENOMEM;
	}
	for (i = 0, k = 0; i < t->nr_svc; i++) {
		struct gk_l4_service *s = &t->svc[i];

		if (!s->snat)
			continue;
		s->snat_pidx = calloc(s->snat_naddr ? s->snat_naddr : 1,
				      sizeof(*s->snat_pidx));
		if (!s->snat_pidx) {
			free(e);
			return -ENOMEM;
		}
		for (a = 0; a < s->snat_naddr; a++, k++) {
			e[k].family = s->family;
			pool_addr(s, a, e[k].addr);
			e[k].svc = i;
			e[k].a = a;
		}
	}
	/* one index per distinct address, in address order: the same for
	 * every table built from one config */
	qsort(e, n, sizeof(*e), pent_cmp);
	for (k = 0; k < n; k++) {
		if (!k || pent_cmp(&e[k - 1], &e[k])) {
			t->pool[t->nr_pool].family = e[k].family;
			memcpy(t->pool[t->nr_pool].addr, e[k].addr, 16);
			t->nr_pool++;
		}
		t->svc[e[k].svc].snat_pidx[e[k].a] = t->nr_pool - 1;
	}
	free(e);
	return 0;
}

int gk_l4_snat_pool_of(const struct gk_l4_service *s, const uint8_t *addr)
{
	unsigned n = s->family == 4 ? 4 : 16;
	uint32_t d;

	if (!s->snat || !s->snat_pidx ||
	    (n == 16 && memcmp(addr, s->snat_lo, 12)))
		return -1;
	d = gk_rd32(addr + n - 4) - gk_rd32(s->snat_lo + n - 4);
	return d < s->snat_naddr ? (int)s->snat_pidx[d] : -1;
}

/* ------------------------------------------------------------ a worker */

/* Bitmap slots per pool address: one per port this worker may own. */
static uint32_t nslots(const struct gk_l4_ctx *c)
{
	return 65535u / c->nr_workers + 1;
}

static uint32_t owned(const struct gk_l4_ctx *c, uint32_t lo, uint32_t hi,
		      uint32_t *first);

/*
 * Zero pages from mmap, not calloc: a pool of many addresses reserves
 * much and touches little, and calloc may take it from the heap and
 * write every byte. NULL on failure.
 */
static void *zmap(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void zunmap(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

int gk_l4_snat_init(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		    unsigned wid, unsigned nr_workers)
{
	uint32_t i, n;

	c->wid = wid;
	c->nr_workers = nr_workers ? nr_workers : 1;
	c->wmul = c->nr_workers > 1 ? UINT64_MAX / c->nr_workers + 1 : 0;
	if (!t || !t->nr_pool)
		return 0;
	c->snat = calloc(t->nr_svc, sizeof(*c->snat));
	c->pool = calloc(t->nr_pool, sizeof(*c->pool));
	if (!c->snat || !c->pool)
		goto err;
	c->nr_snat_svc = t->nr_svc;
	c->nr_pool = t->nr_pool;
	/* the services stay what they are until a restart */
	for (i = 0; i < t->nr_svc; i++) {
		const struct gk_l4_service *s = &t->svc[i];
		struct gk_l4_snat_svc *st = &c->snat[i];
		uint32_t first;

		if (!s->snat)
			continue;
		st->count = owned(c, s->snat_plo, s->snat_phi, &first);
		st->base = first / c->nr_workers;
		st->cap = st->count * s->snat_naddr;
	}
	n = nslots(c);
	/* large and zero: pages are touched only as ports go out */
	for (i = 0; i < c->nr_pool; i++) {
		c->pool[i].flow = zmap(n * sizeof(*c->pool[i].flow));
		c->pool[i].used = zmap((n + 63) / 64 * sizeof(uint64_t));
		if (!c->pool[i].flow || !c->pool[i].used)
			goto err;
	}
	return 0;
err:
	gk_l4_snat_fini(c);
	return -ENOMEM;
}

void gk_l4_snat_fini(struct gk_l4_ctx *c)
{
	uint32_t i;

	for (i = 0; c->pool && i < c->nr_pool; i++) {
		zunmap(c->pool[i].flow, nslots(c) * sizeof(*c->pool[i].flow));
		zunmap(c->pool[i].used, (nslots(c) + 63) / 64 * sizeof(uint64_t));
	}
	free(c->pool);
	free(c->snat);
	c->pool = NULL;
	c->snat = NULL;
	c->nr_pool = c->nr_snat_svc = 0;
}

/* The first port of [lo, hi] this worker owns, and how many it owns. */
static uint32_t owned(const struct gk_l4_ctx *c, uint32_t lo, uint32_t hi,
		      uint32_t *first)
{
	uint32_t w = c->nr_workers, f = lo + (c->wid + w - lo % w) % w;

	*first = f;
	return f > hi ? 0 : (hi - f) / w + 1;
}

uint32_t gk_l4_snat_capacity(const struct gk_l4_ctx *c,
			     const struct gk_l4_service *s)
{
	uint32_t first;

	return s->snat ? owned(c, s->snat_plo, s->snat_phi, &first) *
			 s->snat_naddr : 0;
}

static inline bool bit(const uint64_t *bm, uint32_t i)
{
	return bm[i >> 6] >> (i & 63) & 1;
}

/* First clear bit in [lo, hi), or UINT32_MAX. */
static uint32_t find_zero(const uint64_t *bm, uint32_t lo, uint32_t hi)
{
	while (lo < hi) {
		uint32_t w = lo >> 6;
		uint64_t x = ~bm[w] & (~0ull << (lo & 63));

		if (x) {
			uint32_t i = (w << 6) + (uint32_t)__builtin_ctzll(x);

			return i < hi ? i : UINT32_MAX;
		}
		lo = (w + 1) << 6;
	}
	return UINT32_MAX;
}

static bool expired(const struct gk_l4_ctx *c, const struct gk_l4_table *t,
		    const struct gk_l4_flow *f)
{
	const struct gk_l4_service *s;
	uint64_t to;

	if (f->svc >= t->nr_svc)
		return true;
	s = &t->svc[f->svc];
	if (f->proto == P_UDP)
		to = s->udp_idle_ns;
	else
		to = f->closing ? s->tcp_fin_ns : s->tcp_idle_ns;
	return c->now_ns - f->last_ns > to;
}

static void take(struct gk_l4_ctx *c, uint32_t pidx, uint32_t slot,
		 uint32_t svc, struct gk_l4_flow *f)
{
	struct gk_l4_pool *p = &c->pool[pidx];

	p->flow[slot] = (uint32_t)(f - c->flows) + 1;
	p->used[slot >> 6] |= 1ull << (slot & 63);
	f->snat_pidx = (uint16_t)(pidx + 1);
	f->snat_port = (uint16_t)(slot * c->nr_workers + c->wid);
	c->snat[svc].in_use++;
	c->cnt[GK_L4_SNAT_NEW]++;
}

void gk_l4_snat_release(struct gk_l4_ctx *c, struct gk_l4_flow *f)
{
	uint32_t pidx = (uint32_t)f->snat_pidx - 1, slot;
	struct gk_l4_pool *p;

	if (!f->snat_pidx)
		return;
	f->snat_pidx = 0;
	if (pidx >= c->nr_pool)
		return;
	p = &c->pool[pidx];
	slot = gk_l4_snat_slot(c, f->snat_port);
	if (p->flow[slot] == (uint32_t)(f - c->flows) + 1) {
		p->flow[slot] = 0;
		p->used[slot >> 6] &= ~(1ull << (slot & 63));
		if (f->svc < c->nr_snat_svc && c->snat[f->svc].in_use)
			c->snat[f->svc].in_use--;
	}
}

/* The candidate after address a, port k of st. */
static inline void next(const struct gk_l4_snat_svc *st, uint32_t naddr,
			uint32_t *a, uint32_t *k)
{
	if (++*k < st->count)
		return;
	*k = 0;
	if (++*a == naddr)
		*a = 0;
}

bool gk_l4_snat_alloc(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		      uint32_t svc, struct gk_l4_flow *f)
{
	const struct gk_l4_service *s = &t->svc[svc];
	struct gk_l4_snat_svc *st;
	uint32_t a, k, i, slot, pidx;

	if (unlikely(svc >= c->nr_snat_svc || !s->snat_pidx))
		return false;
	st = &c->snat[svc];
	if (unlikely(!st->cap || st->a >= s->snat_naddr || st->k >= st->count))
		return false;
	/* Free ports: from the cursor to the end of the pool, then up to it. */
	if (st->in_use < st->cap) {
		for (i = 0, a = st->a; i <= s->snat_naddr; i++) {
			uint32_t lo = i ? 0 : st->k;
			uint32_t hi = i == s->snat_naddr ? st->k : st->count;

			pidx = s->snat_pidx[a];
			if (lo < hi && pidx < c->nr_pool &&
			    (slot = find_zero(c->pool[pidx].used, st->base + lo,
					      st->base + hi)) != UINT32_MAX) {
				take(c, pidx, slot, svc, f);
				st->a = a;
				st->k = slot - st->base;
				next(st, s->snat_naddr, &st->a, &st->k);
				return true;
			}
			if (++a == s->snat_naddr)
				a = 0;
		}
	}
	/* Full: an expired holder near the cursor gives its port up. */
	for (i = 0, a = st->a, k = st->k; i < GK_L4_SNAT_RECLAIM && i < st->cap;
	     i++, next(st, s->snat_naddr, &a, &k)) {
		struct gk_l4_flow *h;
		uint32_t v;

		pidx = s->snat_pidx[a];
		if (pidx >= c->nr_pool)
			continue;
		slot = st->base + k;
		v = c->pool[pidx].flow[slot];
		if (!v || !bit(c->pool[pidx].used, slot))
			continue;	/* another service's free port: skip */
		h = &c->flows[v - 1];
		if (!expired(c, t, h))
			continue;
		gk_l4_snat_release(c, h);
		h->used = 0;
		c->cnt[GK_L4_SNAT_RECLAIMED]++;
		take(c, pidx, slot, svc, f);
		next(st, s->snat_naddr, &a, &k);
		st->a = a;
		st->k = k;
		return true;
	}
	/* the next attempt probes on from here */
	st->a = a;
	st->k = k;
	return false;
}

struct gk_l4_flow *gk_l4_snat_find(struct gk_l4_ctx *c, uint32_t pidx,
				   uint16_t port, uint8_t proto)
{
	struct gk_l4_flow *f;
	uint32_t v;

	if (pidx >= c->nr_pool || gk_l4_snat_owner(c, port) != c->wid)
		return NULL;
	v = c->pool[pidx].flow[gk_l4_snat_slot(c, port)];
	if (!v)
		return NULL;
	f = &c->flows[v - 1];
	if (!f->used || f->snat_pidx != pidx + 1 || f->snat_port != port ||
	    f->proto != proto)
		return NULL;
	return f;
}
