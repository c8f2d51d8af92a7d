/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "frag.h"
#include "pkthdr.h"

#define P_HOPOPTS	0
#define P_ROUTING	43
#define P_FRAGMENT	44
#define P_DSTOPTS	60
#define EXTHDR_MAX	4

static unsigned pow2_at_least(unsigned n, unsigned min)
{
	unsigned v = min;

	while (v < n && v < (1u << 30))
		v <<= 1;
	return v;
}

/* Seeded 64-bit mix (splitmix64 finaliser) over 8-byte words. */
static uint64_t mix(uint64_t h, uint64_t w)
{
	h ^= w + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

/* ---- IPv6 reassembly --------------------------------------------------- */

struct rctx {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint32_t tag;
	uint64_t deadline;		/* 0: slot free */
	uint32_t total;			/* 0 until the last piece came */
	uint32_t have;			/* payload bytes received */
	uint8_t nr;			/* pieces */
	uint8_t dead;			/* discarded: swallow the rest */
	uint8_t first;			/* offset 0 seen: hdr/nh valid */
	uint8_t nh;
	uint8_t hdr[40];
	uint16_t rng[GK_FRAG_MAX_PIECES][2];	/* [off, end) bytes */
	uint8_t *data;
};

struct gk_frag_reasm {
	unsigned nr, mask;		/* contexts; sets - 1 */
	uint32_t max_len;
	uint64_t seed;
	unsigned live;
	unsigned held;			/* frames in live, not dead contexts */
	uint64_t next_exp;		/* no live deadline before this */
	struct rctx *c;
	uint8_t *mem;
};

struct gk_frag_reasm *gk_frag_reasm_new(unsigned nr_ctx, uint32_t max_len,
					uint64_t seed)
{
	struct gk_frag_reasm *r = calloc(1, sizeof(*r));
	unsigned i;

	if (!r)
		return NULL;
	r->nr = pow2_at_least(nr_ctx, GK_FRAG_WAYS);
	r->mask = r->nr / GK_FRAG_WAYS - 1;
	r->max_len = max_len;
	r->seed = seed;
	r->c = calloc(r->nr, sizeof(*r->c));
	r->mem = malloc((size_t)r->nr * max_len);
	if (!r->c || !r->mem)
		goto err_free;
	for (i = 0; i < r->nr; i++)
		r->c[i].data = r->mem + (size_t)i * max_len;
	return r;

err_free:
	gk_frag_reasm_free(r);
	return NULL;
}

void gk_frag_reasm_free(struct gk_frag_reasm *r)
{
	if (!r)
		return;
	free(r->mem);
	free(r->c);
	free(r);
}

unsigned gk_frag_reasm_live(const struct gk_frag_reasm *r)
{
	return r ? r->live : 0;
}

unsigned gk_frag_reasm_held(const struct gk_frag_reasm *r)
{
	return r ? r->held : 0;
}

static void rctx_put(struct gk_frag_reasm *r, struct rctx *c)
{
	if (!c->dead)
		r->held -= c->nr;
	c->deadline = 0;
	r->live--;
}

/* Discard c's datagram: its held frames are let go of (returned). */
static uint32_t rctx_kill(struct gk_frag_reasm *r, struct rctx *c)
{
	c->dead = 1;
	r->held -= c->nr;
	return c->nr;
}

/*
 * The context for (src, dst, id): found, or a free way of its set, or one
 * whose datagram timed out (its tag and held frames then go to *expired).
 * NULL when the set is full of live datagrams.
 */
static struct rctx *rctx_get(struct gk_frag_reasm *r, const uint8_t *ip6,
			     uint32_t id, uint64_t now, bool *fresh,
			     struct gk_frag_gone *expired)
{
	uint64_t h = r->seed, w;
	struct rctx *set, *room = NULL, *old = NULL;
	unsigned i;

	for (i = 0; i < 32; i += 8) {
		memcpy(&w, ip6 + 8 + i, 8);
		h = mix(h, w);
	}
	h = mix(h, id);
	set = &r->c[(h & r->mask) * GK_FRAG_WAYS];
	for (i = 0; i < GK_FRAG_WAYS; i++) {
		struct rctx *c = &set[i];

		if (!c->deadline) {
			if (!room)
				room = c;
			continue;
		}
		if (c->deadline <= now) {
			if (!old)
				old = c;
			continue;
		}
		if (c->id == id && !memcmp(c->src, ip6 + 8, 32))
			return c;
	}
	if (!room && old) {
		if (!old->dead) {
			expired->tag = old->tag;
			expired->frames = old->nr;
		}
		rctx_put(r, old);
		room = old;
	}
	*fresh = true;
	return room;
}

/* RFC 8200 §4.5: find the Fragment header; 0 if there is none. */
static uint32_t frag_hdr(const struct gk_pkt *p, uint32_t end)
{
	uint32_t off = p->meta.l3_off + 40u;
	uint8_t nh = p->data[p->meta.l3_off + 6];
	unsigned i;

	for (i = 0; i < EXTHDR_MAX; i++) {
		if (off + 8 > end)
			return 0;
		if (nh == P_FRAGMENT)
			return off;
		if (nh != P_HOPOPTS && nh != P_ROUTING && nh != P_DSTOPTS)
			return 0;
		nh = p->data[off];
		off += ((uint32_t)p->data[off + 1] + 1) * 8;
	}
	return 0;
}

static void done_meta(struct gk_pkt *p, uint8_t nh)
{
	p->meta.l4_off = (uint16_t)(p->meta.l3_off + 40);
	p->meta.l4_proto = nh;
	p->meta.flags = (uint8_t)((p->meta.flags & (GK_META_F_VLAN |
						    GK_META_F_ORIGIN)) |
				  GK_META_F_IPV6 | GK_META_F_L4);
}

enum gk_frag_res gk_frag_reasm_input(struct gk_frag_reasm *r, struct gk_pkt *p,
				     uint64_t now_ns, uint32_t tag,
				     struct gk_frag_gone *gone,
				     struct gk_frag_gone *expired)
{
	uint32_t l3 = p->meta.l3_off, end, fh, off, len, id, fo, i;
	uint8_t *ip6 = p->data + l3, nh;
	bool more, fresh = false;
	struct rctx *c;

	if (l3 + 40 > p->len)
		return GK_FRAG_E_BAD;
	end = l3 + 40 + gk_rd16(ip6 + 4);
	if (end > p->len)
		return GK_FRAG_E_BAD;
	fh = frag_hdr(p, end);
	if (!fh)
		return GK_FRAG_E_BAD;
	nh = p->data[fh];
	fo = gk_rd16(p->data + fh + 2);
	off = fo & 0xfff8u;
	more = fo & 1;
	memcpy(&id, p->data + fh + 4, 4);
	len = end - fh - 8;

	/* RFC 6946: an atomic fragment is a whole packet */
	if (!off && !more) {
		memmove(p->data + l3 + 40, p->data + fh + 8, len);
		gk_wr16(ip6 + 4, (uint16_t)len);
		ip6[6] = nh;
		p->len = l3 + 40 + len;
		done_meta(p, nh);
		return GK_FRAG_DONE;
	}
	/* RFC 8200 §4.5: all but the last carry a multiple of 8 bytes */
	if (!len || (more && (len & 7)) || off + len > 65535)
		return GK_FRAG_E_BAD;

	c = rctx_get(r, ip6, id, now_ns, &fresh, expired);
	if (!c)
		return GK_FRAG_E_FULL;
	if (fresh) {
		memset(c, 0, offsetof(struct rctx, rng));
		memcpy(c->src, ip6 + 8, 32);
		c->id = id;
		c->tag = tag;
		c->deadline = now_ns + GK_FRAG_TIMEOUT_NS;
		if (!r->live++ || c->deadline < r->next_exp)
			r->next_exp = c->deadline;
	}
	gone->tag = c->tag;
	if (c->dead)
		return GK_FRAG_E_DEAD;
	if (off + len > r->max_len) {
		gone->frames = rctx_kill(r, c);
		return GK_FRAG_E_TOO_BIG;
	}
	if ((!more && c->total && c->total != off + len) ||
	    (c->total && off + len > c->total) || c->nr == GK_FRAG_MAX_PIECES)
		goto bad;
	if (!more) {
		for (i = 0; i < c->nr; i++)
			if (c->rng[i][1] > off + len)
				goto bad;
		c->total = off + len;
	}
	/* RFC 5722: any overlap discards the whole datagram */
	for (i = 0; i < c->nr; i++)
		if (off < c->rng[i][1] && c->rng[i][0] < off + len) {
			gone->frames = rctx_kill(r, c);
			return GK_FRAG_E_OVERLAP;
		}
	c->rng[c->nr][0] = (uint16_t)off;
	c->rng[c->nr][1] = (uint16_t)(off + len);
	c->nr++;
	r->held++;
	memcpy(c->data + off, p->data + fh + 8, len);
	c->have += len;
	if (!off) {
		/* RFC 8200 §4.5: the unfragmentable part is the first's */
		memcpy(c->hdr, ip6, 40);
		c->nh = nh;
		c->first = 1;
	}
	if (!c->total || c->have != c->total)
		return GK_FRAG_HELD;

	/* complete: no overlaps and every byte counted once */
	gone->frames = c->nr - 1u;	/* the pieces before this one */
	if (l3 + 40 + c->total > p->buf_len) {
		rctx_put(r, c);
		return GK_FRAG_E_TOO_BIG;
	}
	memcpy(ip6, c->hdr, 40);
	gk_wr16(ip6 + 4, (uint16_t)c->total);
	ip6[6] = c->nh;
	memcpy(ip6 + 40, c->data, c->total);
	p->len = l3 + 40 + c->total;
	done_meta(p, c->nh);
	rctx_put(r, c);
	return GK_FRAG_DONE;

bad:
	gone->frames = rctx_kill(r, c);
	return GK_FRAG_E_BAD;
}

unsigned gk_frag_reasm_expire(struct gk_frag_reasm *r, uint64_t now_ns,
			      struct gk_frag_gone *out, unsigned max)
{
	uint64_t next = UINT64_MAX;
	unsigned i, n = 0;

	/* one full pass per expiry moment, none in between */
	if (!r->live || now_ns < r->next_exp)
		return 0;
	for (i = 0; i < r->nr; i++) {
		struct rctx *c = &r->c[i];

		if (!c->deadline)
			continue;
		if (c->deadline > now_ns || (!c->dead && n == max)) {
			if (c->deadline < next)
				next = c->deadline;
			continue;
		}
		if (!c->dead) {
			out[n].tag = c->tag;
			out[n++].frames = c->nr;
		}
		rctx_put(r, c);
	}
	r->next_exp = next;
	return n;
}

/* ---- IPv4 virtual reassembly ------------------------------------------- */

struct vent {
	uint32_t src, dst;
	uint16_t id;
	uint8_t proto;
	uint8_t has_total;
	uint32_t seen, total;		/* payload bytes */
	uint64_t deadline;		/* 0: free */
	struct gk_frag_dest d;
};

struct vhold {
	uint64_t deadline;		/* 0: free */
	uint32_t len, tag;
	uint16_t l3_off, in_port;
	struct gk_xdp_meta meta;
	uint8_t *frame;
};

struct gk_frag_virt {
	unsigned nr, mask, nr_hold, held;
	uint32_t hold_len;
	uint64_t seed;
	struct vent *e;
	struct vhold *h;
	uint8_t *mem;
};

struct gk_frag_virt *gk_frag_virt_new(unsigned nr_ent, unsigned nr_hold,
				      uint32_t hold_len, uint64_t seed)
{
	struct gk_frag_virt *v = calloc(1, sizeof(*v));
	unsigned i;

	if (!v)
		return NULL;
	v->nr = pow2_at_least(nr_ent, GK_FRAG_WAYS);
	v->mask = v->nr / GK_FRAG_WAYS - 1;
	v->nr_hold = nr_hold;
	v->hold_len = hold_len;
	v->seed = seed;
	v->e = calloc(v->nr, sizeof(*v->e));
	v->h = calloc(nr_hold ? nr_hold : 1, sizeof(*v->h));
	v->mem = malloc((size_t)(nr_hold ? nr_hold : 1) * hold_len + 1);
	if (!v->e || !v->h || !v->mem)
		goto err_free;
	for (i = 0; i < nr_hold; i++)
		v->h[i].frame = v->mem + (size_t)i * hold_len;
	return v;

err_free:
	gk_frag_virt_free(v);
	return NULL;
}

void gk_frag_virt_free(struct gk_frag_virt *v)
{
	if (!v)
		return;
	free(v->mem);
	free(v->h);
	free(v->e);
	free(v);
}

unsigned gk_frag_virt_nr_held(const struct gk_frag_virt *v)
{
	return v ? v->held : 0;
}

/* RFC 791: a datagram is (source, destination, protocol, identification). */
static bool same_dgram(const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a + 4, b + 4, 2) && a[9] == b[9] &&
	       !memcmp(a + 12, b + 12, 8);
}

static struct vent *vset(struct gk_frag_virt *v, const uint8_t *ip)
{
	uint64_t w, h;

	memcpy(&w, ip + 12, 8);
	h = mix(v->seed, w);
	h = mix(h, (uint64_t)gk_rd16(ip + 4) << 8 | ip[9]);
	return &v->e[(h & v->mask) * GK_FRAG_WAYS];
}

static bool vmatch(const struct vent *e, const uint8_t *ip)
{
	uint32_t s, d;

	memcpy(&s, ip + 12, 4);
	memcpy(&d, ip + 16, 4);
	return e->src == s && e->dst == d && e->id == gk_rd16(ip + 4) &&
	       e->proto == ip[9];
}

/* Payload bytes of this fragment; sets the total on the last one. */
static void vcount(struct vent *e, const uint8_t *ip, uint32_t ip_len)
{
	uint32_t pay = ip_len - (ip[0] & 0xfu) * 4u;
	uint16_t fo = gk_rd16(ip + 6);

	e->seen += pay;
	if (!(fo & 0x2000)) {
		e->total = (fo & 0x1fffu) * 8u + pay;
		e->has_total = 1;
	}
}

int gk_frag_virt_add(struct gk_frag_virt *v, const uint8_t *ip,
		     uint32_t ip_len, uint64_t now_ns,
		     const struct gk_frag_dest *d)
{
	struct vent *set = vset(v, ip), *e = NULL;
	unsigned i;
	int evicted = 0;

	for (i = 0; i < GK_FRAG_WAYS; i++) {
		struct vent *x = &set[i];

		if (x->deadline && x->deadline > now_ns && vmatch(x, ip)) {
			e = x;	/* a duplicate first fragment: refresh */
			break;
		}
		if (!e && (!x->deadline || x->deadline <= now_ns))
			e = x;
	}
	if (!e) {
		/* every way live: the oldest decision goes */
		e = &set[0];
		for (i = 1; i < GK_FRAG_WAYS; i++)
			if (set[i].deadline < e->deadline)
				e = &set[i];
		evicted = 1;
	}
	if (!e->deadline || e->deadline <= now_ns || !vmatch(e, ip)) {
		memset(e, 0, sizeof(*e));
		memcpy(&e->src, ip + 12, 4);
		memcpy(&e->dst, ip + 16, 4);
		e->id = gk_rd16(ip + 4);
		e->proto = ip[9];
	}
	e->d = *d;
	e->deadline = now_ns + GK_FRAG_TIMEOUT_NS;
	vcount(e, ip, ip_len);
	if (e->has_total && e->seen >= e->total)
		e->deadline = 0;
	return evicted;
}

int gk_frag_virt_find(struct gk_frag_virt *v, const uint8_t *ip,
		      uint32_t ip_len, uint64_t now_ns, struct gk_frag_dest *d)
{
	struct vent *set = vset(v, ip);
	unsigned i;

	for (i = 0; i < GK_FRAG_WAYS; i++) {
		struct vent *e = &set[i];

		if (!e->deadline || e->deadline <= now_ns || !vmatch(e, ip))
			continue;
		*d = e->d;
		vcount(e, ip, ip_len);
		/* every byte went through: later copies are strays */
		if (e->has_total && e->seen >= e->total)
			e->deadline = 0;
		return 0;
	}
	return -ENOENT;
}

int gk_frag_virt_hold(struct gk_frag_virt *v, const struct gk_pkt *p,
		      uint64_t now_ns, uint32_t tag)
{
	struct vhold *h = NULL;
	unsigned i;

	if (p->len > v->hold_len)
		return -E2BIG;
	for (i = 0; i < v->nr_hold; i++)
		if (!v->h[i].deadline) {
			h = &v->h[i];
			break;
		}
	if (!h)
		return -ENOSPC;
	memcpy(h->frame, p->data, p->len);
	h->len = p->len;
	h->l3_off = p->meta.l3_off;
	h->in_port = p->in_port;
	h->meta = p->meta;
	h->tag = tag;
	h->deadline = now_ns + GK_FRAG_TIMEOUT_NS;
	v->held++;
	return 0;
}

int gk_frag_virt_pop(struct gk_frag_virt *v, const uint8_t *ip,
		     struct gk_frag_held *out)
{
	unsigned i;

	if (!v->held)
		return 0;
	for (i = 0; i < v->nr_hold; i++) {
		struct vhold *h = &v->h[i];

		if (!h->deadline || !same_dgram(h->frame + h->l3_off, ip))
			continue;
		out->frame = h->frame;
		out->len = h->len;
		out->l3_off = h->l3_off;
		out->in_port = h->in_port;
		out->meta = h->meta;
		out->tag = h->tag;
		h->deadline = 0;
		v->held--;
		return 1;
	}
	return 0;
}

unsigned gk_frag_virt_expire(struct gk_frag_virt *v, uint64_t now_ns,
			     uint32_t *tags, unsigned max)
{
	unsigned i, n = 0;

	for (i = 0; i < v->nr_hold && v->held && n < max; i++) {
		struct vhold *h = &v->h[i];

		if (!h->deadline || h->deadline > now_ns)
			continue;
		tags[n++] = h->tag;
		h->deadline = 0;
		v->held--;
	}
	return n;
}
