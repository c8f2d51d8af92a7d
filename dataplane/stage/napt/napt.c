/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "csum.h"
#include "map_rule.h"
#include "martian.h"
#include "napt.h"
#include "pkthdr.h"
#include "spsc.h"

const char *const gk_napt_drop_names[GK_NAPT_DROP_MAX] = {
#define GK_X(n, s) [GK_NAPT_DROP_##n] = s,
	GK_NAPT_DROP_LIST(GK_X)
#undef GK_X
};

#define NS		1000000000ull
#define PROTO_FREE	0xff
#define MAX_STATIC	4096

/* TCP flags seen, per direction (RFC 5382 REQ-5 state tracking). */
#define T_SYN_OUT	0x01
#define T_SYN_IN	0x02
#define T_FIN_OUT	0x04
#define T_FIN_IN	0x08
#define T_RST		0x10

#define B_USED		0x01
#define B_STATIC	0x02
#define B_RESERVED	0x04	/* cfg.reserved: genkan sends from it */

/*
 * Ports and addresses in host order inside the stage: one swap per packet.
 * The first 16 bytes are the outbound key as two words (out_find): on a
 * little-endian host in_addr << 32 | rem_addr and pr << 32 | in_port << 16
 * | rem_port, the words khash(K_OUT) mixes, when not_fast and zero are 0.
 */
struct sess {
	uint32_t rem_addr;
	uint32_t in_addr;
	uint16_t rem_port;	/* 0 for ICMP */
	uint16_t in_port;
	uint8_t pr;		/* enum gk_napt_proto, PROTO_FREE */
	/*
	 * 1: out_fast must not take it (a martian or our own address as
	 * remote: out_one drops or hairpins); the key words then never match.
	 */
	uint8_t not_fast;
	uint8_t zero[2];
	uint64_t expire_ns;	/* UINT64_MAX while free */
	/*
	 * RFC 1624 outbound deltas, folded (set_fast): ~in_addr + ext for
	 * the IP header, plus ~in_port + ext_port for TCP/UDP (as stored).
	 */
	uint16_t d_ip, d_l4;
	uint16_t ext_port;
	uint8_t tcp;		/* T_* */
	uint8_t pad;
};

_Static_assert(offsetof(struct sess, rem_addr) == 0 &&
	       offsetof(struct sess, in_addr) == 4 &&
	       offsetof(struct sess, rem_port) == 8 &&
	       offsetof(struct sess, in_port) == 10 &&
	       offsetof(struct sess, pr) == 12 &&
	       offsetof(struct sess, not_fast) == 13 &&
	       offsetof(struct sess, expire_ns) == 16,
	       "out_find reads the key as words");
_Static_assert(sizeof(struct sess) == 32, "sessions index with a shift");

struct bind {
	uint32_t in_addr;
	uint16_t in_port;
	uint8_t flags;		/* B_* */
	uint8_t pad;
	uint32_t nsess;
};

struct host {
	uint32_t addr;
	uint32_t ports;
	uint64_t refused;
	uint8_t used;
};

struct hold {
	uint64_t until_ns;
	uint32_t rem_addr;
	uint16_t rem_port;
	uint16_t ext_port;
	uint8_t pr;
};

/* Open addressing, linear probing, backward-shift delete: val 0 = empty. */
struct hslot {
	uint32_t hash;
	uint32_t val;
};

struct htab {
	struct hslot *s;
	uint32_t mask;
};

struct key {
	uint32_t in_addr, rem_addr;
	uint16_t in_port, rem_port, ext_port;
	uint8_t pr;
};

enum { K_OUT, K_IN, K_BIND };

struct gk_napt {
	struct gk_napt_cfg cfg;
	uint32_t ext;			/* host order */
	uint32_t ext_be;		/* as stored */
	bool slow;			/* gk_napt_set_fastpath(false) */
	uint64_t now;
	uint64_t to_ns[4];		/* udp, tcp est, tcp trans, icmp */
	uint64_t hold_ns;
	struct gk_wk_stats *wk;
	struct gk_napt_stats st;

	struct sess *sess;		/* sess0 + 1 */
	struct sess *sess0;		/* by hslot.val (index + 1): out_find */
	uint32_t *free_idx;
	uint32_t nfree, max_sess, scan;
	struct htab t_out, t_in, t_bind;

	struct bind *bind[GK_NAPT_NPROTO];	/* indexed by outside port */
	uint16_t *owned;		/* allocation-probe order */
	uint32_t nown;
	uint32_t port_free[GK_NAPT_NPROTO];
	uint32_t nstatic;

	struct host *hosts;
	uint32_t host_mask, nhosts, max_hosts;
	struct hold hold[GK_NAPT_HOLD_SLOTS];
};

/* End-around fold of a one's complement sum, not complemented: 0 only for 0. */
static inline uint16_t csum_delta(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)((s & 0xffff) + (s >> 16));
}

static inline uint32_t mix(uint64_t a, uint64_t b, uint32_t seed)
{
	uint64_t h = (a ^ seed) * 0x9e3779b97f4a7c15ull;

	h = (h ^ b ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (uint32_t)h;
}

/*
 * ~fold(~c + d) for a 16-bit d, as gk_csum_replace* compute it: the sum is
 * at most 0x1fffe, so one end-around carry leaves at most 0xffff.
 */
static inline uint16_t csum_sub(uint16_t c, uint16_t d)
{
	uint32_t s = (uint32_t)(c ^ 0xffffu) + d;

	return (uint16_t)~(s + (s >> 16));
}

/* Big-endian 64 bits at p as a host value. */
static inline uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/*
 * khash(K_OUT) of the words (a, b) for out_find, with fewer steps than
 * mix: the table takes the low bits, the top half of a product depends on
 * every input bit below it.
 */
static inline uint32_t out_hash(uint64_t a, uint64_t b, uint32_t seed)
{
	return (uint32_t)((((a ^ seed) * 0x9e3779b97f4a7c15ull) ^ b) *
			  0xbf58476d1ce4e5b9ull >> 32);
}

static inline uint32_t khash(const struct gk_napt *n, int kind,
			     const struct key *k)
{
	switch (kind) {
	case K_OUT:
		return out_hash((uint64_t)k->in_addr << 32 | k->rem_addr,
				(uint64_t)k->pr << 32 |
				(uint32_t)k->in_port << 16 | k->rem_port,
				n->cfg.seed);
	case K_IN:
		/* the words in_fast reads: source address, both ports */
		return out_hash((uint64_t)k->rem_addr << 32 |
				(uint32_t)k->rem_port << 16 | k->ext_port,
				k->pr, n->cfg.seed);
	default:
		return mix(k->in_addr, (uint64_t)k->pr << 16 | k->in_port,
			   n->cfg.seed);
	}
}

static inline void sess_key(const struct sess *s, struct key *k)
{
	k->in_addr = s->in_addr;
	k->rem_addr = s->rem_addr;
	k->in_port = s->in_port;
	k->rem_port = s->rem_port;
	k->ext_port = s->ext_port;
	k->pr = s->pr;
}

static inline bool keq(const struct gk_napt *n, int kind, uint32_t v,
		       const struct key *k)
{
	const struct sess *s;
	const struct bind *b;

	if (kind == K_BIND) {
		b = &n->bind[v >> 16][v & 0xffff];
		return (v >> 16) == k->pr && b->in_addr == k->in_addr &&
		       b->in_port == k->in_port;
	}
	s = &n->sess[v];
	if (s->pr != k->pr || s->rem_addr != k->rem_addr ||
	    s->rem_port != k->rem_port)
		return false;
	if (kind == K_OUT)
		return s->in_addr == k->in_addr && s->in_port == k->in_port;
	return s->ext_port == k->ext_port;
}

/* Value or UINT32_MAX. */
static inline uint32_t ht_find(const struct gk_napt *n, const struct htab *t,
			       int kind, const struct key *k, uint32_t h)
{
	uint32_t i = h & t->mask;

	while (t->s[i].val) {
		if (t->s[i].hash == h && keq(n, kind, t->s[i].val - 1, k))
			return t->s[i].val - 1;
		i = (i + 1) & t->mask;
	}
	return UINT32_MAX;
}

/* Callers bound the entries to half the slots: a free slot always exists. */
static void ht_add(struct htab *t, uint32_t h, uint32_t v)
{
	uint32_t i = h & t->mask;

	while (t->s[i].val)
		i = (i + 1) & t->mask;
	t->s[i].hash = h;
	t->s[i].val = v + 1;
}

static void ht_del(struct htab *t, uint32_t h, uint32_t v)
{
	uint32_t i = h & t->mask, j, home;

	while (t->s[i].val != v + 1) {
		if (!t->s[i].val)
			return;
		i = (i + 1) & t->mask;
	}
	/* backward shift: no tombstones, so probe chains stay short */
	j = i;
	for (;;) {
		j = (j + 1) & t->mask;
		if (!t->s[j].val)
			break;
		home = t->s[j].hash & t->mask;
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->s[i] = t->s[j];
		i = j;
	}
	t->s[i].val = 0;
}

static int ht_init(struct htab *t, uint32_t entries)
{
	uint32_t sz = 16;

	while (sz < 2 * entries)
		sz <<= 1;
	t->s = calloc(sz, sizeof(*t->s));
	t->mask = sz - 1;
	return t->s ? 0 : -ENOMEM;
}

static inline unsigned pr_of(uint8_t ipproto)
{
	return ipproto == 6 ? GK_NAPT_TCP : ipproto == 17 ? GK_NAPT_UDP :
	       GK_NAPT_ICMP;
}

static const uint8_t ipproto_of[GK_NAPT_NPROTO] = { 6, 17, 1 };

static struct host *host_get(struct gk_napt *n, uint32_t addr, bool create)
{
	uint32_t i = mix(addr, 0x686f7374, n->cfg.seed) & n->host_mask;

	while (n->hosts[i].used) {
		if (n->hosts[i].addr == addr)
			return &n->hosts[i];
		i = (i + 1) & n->host_mask;
	}
	if (!create || n->nhosts >= n->max_hosts)
		return NULL;
	/* entries stay: their refusal counts are what genkanctl shows */
	n->nhosts++;
	n->hosts[i].used = 1;
	n->hosts[i].addr = addr;
	return &n->hosts[i];
}

static void emit(struct gk_napt *n, uint8_t type, const struct sess *s)
{
	struct gk_napt_event ev = {
		.ts_ns = n->now, .type = type, .proto = ipproto_of[s->pr],
		.in_port = s->in_port, .ext_port = s->ext_port,
		.rem_port = s->rem_port,
	};
	uint32_t a;

	a = htonl(s->in_addr);
	memcpy(ev.in_addr, &a, 4);
	a = htonl(s->rem_addr);
	memcpy(ev.rem_addr, &a, 4);
	memcpy(ev.ext_addr, n->cfg.ext_addr, 4);
	if (!gk_spsc_push(n->cfg.log, &ev))
		n->st.log_full++;
}

static inline struct hold *hold_slot(struct gk_napt *n, unsigned pr,
				     uint16_t port, uint32_t rem, uint16_t rport)
{
	return &n->hold[mix((uint64_t)rem << 32 | rport,
			    (uint64_t)pr << 16 | port, n->cfg.seed) &
			(GK_NAPT_HOLD_SLOTS - 1)];
}

static void bind_release(struct gk_napt *n, unsigned pr, uint16_t port)
{
	struct bind *b = &n->bind[pr][port];
	struct key k = { .in_addr = b->in_addr, .in_port = b->in_port,
			 .pr = (uint8_t)pr };
	struct host *h;

	ht_del(&n->t_bind, khash(n, K_BIND, &k), (uint32_t)pr << 16 | port);
	h = host_get(n, b->in_addr, false);
	if (h && h->ports)
		h->ports--;
	n->st.ports_in_use[pr]--;
	n->port_free[pr]++;
	memset(b, 0, sizeof(*b));
}

static void sess_free(struct gk_napt *n, uint32_t idx)
{
	struct sess *s = &n->sess[idx];
	struct bind *b = &n->bind[s->pr][s->ext_port];
	struct hold *hd;
	struct key k;

	sess_key(s, &k);
	ht_del(&n->t_out, khash(n, K_OUT, &k), idx);
	ht_del(&n->t_in, khash(n, K_IN, &k), idx);
	if (n->hold_ns) {
		/* a newer record for the same slot wins: the record is lossy */
		hd = hold_slot(n, s->pr, s->ext_port, s->rem_addr, s->rem_port);
		hd->pr = s->pr;
		hd->ext_port = s->ext_port;
		hd->rem_addr = s->rem_addr;
		hd->rem_port = s->rem_port;
		hd->until_ns = n->now + n->hold_ns;
	}
	if (b->nsess)
		b->nsess--;
	if (!b->nsess && !(b->flags & B_STATIC))
		bind_release(n, s->pr, s->ext_port);
	if (n->cfg.log)
		emit(n, GK_NAPT_EV_DELETE, s);
	s->pr = PROTO_FREE;
	s->expire_ns = UINT64_MAX;
	n->free_idx[n->nfree++] = idx;
	n->st.sess_active--;
}

static inline bool held(struct gk_napt *n, unsigned pr, uint16_t port,
			const struct key *k)
{
	const struct hold *hd = hold_slot(n, pr, port, k->rem_addr, k->rem_port);

	return hd->until_ns > n->now && hd->pr == pr && hd->ext_port == port &&
	       hd->rem_addr == k->rem_addr && hd->rem_port == k->rem_port;
}

/*
 * Hashed start in the probe order, which steps to another range on every
 * probe, so flows spread over all ranges instead of filling range 1 first
 * (the nftables failure the issue describes). 0 when nothing is free.
 */
static uint16_t port_alloc(struct gk_napt *n, unsigned pr, const struct key *k)
{
	uint32_t i, at, start;
	uint16_t port;

	if (!n->port_free[pr])
		return 0;
	start = mix((uint64_t)k->in_addr << 16 | k->in_port,
		    (uint64_t)pr << 32 | k->rem_addr, n->cfg.seed) % n->nown;
	for (i = 0, at = start; i < n->nown; i++) {
		port = n->owned[at];
		if (!(n->bind[pr][port].flags & (B_USED | B_RESERVED)) &&
		    !held(n, pr, port, k))
			return port;
		if (++at == n->nown)
			at = 0;
	}
	return 0;
}

static inline void count_drop(struct gk_napt *n, struct gk_pkt *p,
			      enum gk_napt_drop why)
{
	n->st.drops[why]++;
	if (n->wk) {
		gk_wk_drop(n->wk, p, GK_WK_DROP_NAPT);
	} else {
		p->verdict = GK_V_DROP;
		p->drop_reason = GK_WK_DROP_NAPT;
	}
}

static inline void tcp_track(struct sess *s, uint8_t fl, bool out)
{
	/* a fresh SYN after RST/close starts over (port reuse by the host) */
	if ((fl & 0x12) == 0x02 && (s->tcp & T_RST))
		s->tcp = 0;
	if (fl & 0x04)
		s->tcp |= T_RST;
	if (fl & 0x02)
		s->tcp |= out ? T_SYN_OUT : T_SYN_IN;
	if (fl & 0x01)
		s->tcp |= out ? T_FIN_OUT : T_FIN_IN;
}

/* 0 opening, 1 established, 2 closing (transitory) */
static inline unsigned tcp_state(const struct sess *s)
{
	if ((s->tcp & T_RST) || (s->tcp & (T_FIN_OUT | T_FIN_IN)) ==
	    (T_FIN_OUT | T_FIN_IN))
		return 2;
	if ((s->tcp & (T_SYN_OUT | T_SYN_IN)) == (T_SYN_OUT | T_SYN_IN))
		return 1;
	return 0;
}

/* RFC 5382 REQ-5: only established sessions get the long timeout. */
static inline uint64_t timeout(const struct gk_napt *n, const struct sess *s)
{
	if (s->pr == GK_NAPT_UDP)
		return n->to_ns[0];
	if (s->pr == GK_NAPT_ICMP)
		return n->to_ns[3];
	return tcp_state(s) == 1 ? n->to_ns[1] : n->to_ns[2];
}

/*
 * RFC 1624 eqn. 3 terms of the outbound rewrite, summed once per session:
 * HC' = ~(~HC + d) with d folded (any positive d of the same residue gives
 * the same HC', so the per-packet result is gk_csum_replace32/16's).
 */
static void set_fast(const struct gk_napt *n, struct sess *s)
{
	uint32_t oa = ~htonl(s->in_addr), na = n->ext_be, d;
	uint8_t ip[20];

	d = (oa & 0xffff) + (oa >> 16) + (na & 0xffff) + (na >> 16);
	s->d_ip = csum_delta(d);
	d += (uint16_t)~htons(s->in_port) + htons(s->ext_port);
	s->d_l4 = csum_delta(d);
	/* out_one's martian and hairpin tests depend on the key alone */
	gk_wr32(ip + 12, s->in_addr);
	gk_wr32(ip + 16, s->rem_addr);
	s->not_fast = gk_martian4(ip) != GK_MARTIAN_NONE || s->rem_addr == n->ext;
}

/* New session for an existing binding; UINT32_MAX when the table is full. */
static uint32_t sess_new(struct gk_napt *n, const struct key *k)
{
	struct sess *s;
	uint32_t idx;

	if (!n->nfree)
		return UINT32_MAX;
	idx = n->free_idx[--n->nfree];
	s = &n->sess[idx];
	s->in_addr = k->in_addr;
	s->rem_addr = k->rem_addr;
	s->in_port = k->in_port;
	s->rem_port = k->rem_port;
	s->ext_port = k->ext_port;
	s->pr = k->pr;
	s->tcp = 0;
	s->expire_ns = n->now;
	set_fast(n, s);
	ht_add(&n->t_out, khash(n, K_OUT, k), idx);
	ht_add(&n->t_in, khash(n, K_IN, k), idx);
	n->bind[k->pr][k->ext_port].nsess++;
	n->st.sess_created++;
	n->st.sess_active++;
	if (n->cfg.log)
		emit(n, GK_NAPT_EV_CREATE, s);
	return idx;
}

/* Outbound miss: reuse the host endpoint's binding (EIM) or make one. */
static int out_new(struct gk_napt *n, struct key *k, uint32_t *idx)
{
	uint32_t v = ht_find(n, &n->t_bind, K_BIND, k, khash(n, K_BIND, k));
	struct host *h;
	struct bind *b;
	uint16_t port;

	if (!n->nfree)
		return GK_NAPT_DROP_SESS_FULL;
	if (v != UINT32_MAX) {
		k->ext_port = (uint16_t)v;
	} else {
		h = host_get(n, k->in_addr, true);
		if (!h)
			return GK_NAPT_DROP_HOST_TABLE;
		if (n->cfg.host_limit && h->ports >= n->cfg.host_limit) {
			h->refused++;
			return GK_NAPT_DROP_HOST_LIMIT;
		}
		port = port_alloc(n, k->pr, k);
		if (!port) {
			h->refused++;
			return GK_NAPT_DROP_EXHAUSTED;
		}
		b = &n->bind[k->pr][port];
		b->in_addr = k->in_addr;
		b->in_port = k->in_port;
		b->flags = B_USED;
		b->nsess = 0;
		h->ports++;
		n->port_free[k->pr]--;
		n->st.ports_in_use[k->pr]++;
		k->ext_port = port;
		ht_add(&n->t_bind, khash(n, K_BIND, k),
		       (uint32_t)k->pr << 16 | port);
	}
	*idx = sess_new(n, k);
	return -1;
}

/* Found and live, or UINT32_MAX; a stale hit is expired on the spot. */
static inline uint32_t find_live(struct gk_napt *n, int kind, struct htab *t,
				 const struct key *k)
{
	uint32_t idx = ht_find(n, t, kind, k, khash(n, kind, k));

	if (idx != UINT32_MAX && unlikely(n->sess[idx].expire_ns <= n->now)) {
		n->st.sess_expired++;
		sess_free(n, idx);
		return UINT32_MAX;
	}
	return idx;
}

/* RFC 768: a computed 0 is sent as all ones (0 means "no checksum"). */
static inline uint16_t udp_fix(uint16_t c)
{
	return c ? c : 0xffff;
}

/*
 * Rewrites one address (at ip + aoff: 12 source, 16 destination) and the
 * TCP/UDP port or ICMP id beside it, with RFC 1624 incremental updates of
 * the IP header checksum and the L4 checksum (pseudo-header included for
 * TCP/UDP; ICMP has none). Values are host order.
 */
static inline void rewrite(uint8_t *ip, uint8_t *l4, unsigned pr, int aoff,
			   uint32_t addr, uint16_t port)
{
	uint32_t oa = gk_ld32(ip + aoff), na = htonl(addr);
	uint16_t op, np = htons(port), c;
	int poff = aoff == 12 ? 0 : 2;

	gk_st32(ip + aoff, na);
	gk_st16(ip + 10, gk_csum_replace32(gk_ld16(ip + 10), oa, na));
	switch (pr) {
	case GK_NAPT_TCP:
		op = gk_ld16(l4 + poff);
		gk_st16(l4 + poff, np);
		c = gk_csum_replace32(gk_ld16(l4 + 16), oa, na);
		gk_st16(l4 + 16, gk_csum_replace16(c, op, np));
		break;
	case GK_NAPT_UDP:
		op = gk_ld16(l4 + poff);
		gk_st16(l4 + poff, np);
		c = gk_ld16(l4 + 6);
		if (c) {
			c = gk_csum_replace32(c, oa, na);
			gk_st16(l4 + 6, udp_fix(gk_csum_replace16(c, op, np)));
		}
		break;
	default:
		op = gk_ld16(l4 + 4);
		gk_st16(l4 + 4, np);
		gk_st16(l4 + 2, gk_csum_replace16(gk_ld16(l4 + 2), op, np));
		break;
	}
}

/* Validated view of a packet's IPv4 + L4 headers. */
struct view {
	uint8_t *ip, *l4, *end;
	unsigned pr;
	uint8_t type;		/* ICMP type */
};

static int parse(struct gk_pkt *p, struct view *v)
{
	const struct gk_xdp_meta *m = &p->meta;
	uint32_t tl, need;

	if (unlikely(!(m->flags & GK_META_F_IPV4)))
		return GK_NAPT_DROP_BAD_PKT;
	if (unlikely(m->flags & GK_META_F_LATER_FRAG))
		return GK_NAPT_DROP_FRAG;
	if (unlikely(!(m->flags & GK_META_F_L4) ||
		     (uint32_t)m->l3_off + 20 > p->len))
		return GK_NAPT_DROP_BAD_PKT;
	v->ip = p->data + m->l3_off;
	tl = ntohs(gk_ld16(v->ip + 2));
	if (unlikely((uint32_t)m->l3_off + tl > p->len))
		return GK_NAPT_DROP_BAD_PKT;
	v->end = v->ip + tl;
	v->l4 = p->data + m->l4_off;
	switch (m->l4_proto) {
	case 6:
		need = 20;
		break;
	case 17:
	case 1:
		need = 8;
		break;
	default:
		return GK_NAPT_DROP_PROTO;
	}
	if (unlikely(v->l4 < v->ip + 20 || v->l4 + need > v->end))
		return GK_NAPT_DROP_BAD_PKT;
	v->pr = pr_of(m->l4_proto);
	v->type = m->l4_proto == 1 ? v->l4[0] : 0;
	return -1;
}

static inline bool icmp_is_err(uint8_t type)
{
	return type == 3 || type == 11 || type == 12;
}

/*
 * Inbound translation of a TCP/UDP/ICMP-query packet whose key has
 * ext_port, rem_addr, rem_port, pr set. Creates a session when the
 * binding's filtering admits the remote (RFC 4787 REQ-8). -1 or a drop.
 */
static int in_xlate(struct gk_napt *n, struct view *v, struct key *k)
{
	uint32_t idx = find_live(n, K_IN, &n->t_in, k);
	struct bind *b;
	struct sess *s;

	if (idx == UINT32_MAX) {
		b = &n->bind[k->pr][k->ext_port];
		if (!(b->flags & B_USED))
			return GK_NAPT_DROP_NO_MAPPING;
		if (!(b->flags & B_STATIC) &&
		    n->cfg.filter == GK_NAPT_FILTER_APDF)
			return GK_NAPT_DROP_FILTERED;
		if (k->pr == GK_NAPT_TCP && (v->l4[13] & 0x16) != 0x02)
			return GK_NAPT_DROP_TCP_NOSYN;
		if (!n->nfree)
			return GK_NAPT_DROP_SESS_FULL;
		k->in_addr = b->in_addr;
		k->in_port = b->in_port;
		idx = sess_new(n, k);
	}
	s = &n->sess[idx];
	if (s->pr == GK_NAPT_TCP)
		tcp_track(s, v->l4[13], false);
	s->expire_ns = n->now + timeout(n, s);
	rewrite(v->ip, v->l4, s->pr, 16, s->in_addr, s->in_port);
	return -1;
}

static int out_one(struct gk_napt *n, struct gk_pkt *p, bool *hairpin)
{
	struct view v;
	struct key k;
	struct sess *s;
	uint32_t idx;
	int why = parse(p, &v);

	if (why >= 0)
		return why;
	/* translated, a martian source would leave as our address */
	if (unlikely(gk_martian4_maybe(v.ip)) &&
	    gk_martian4(v.ip) != GK_MARTIAN_NONE)
		return GK_NAPT_DROP_MARTIAN;
	if (v.pr == GK_NAPT_ICMP) {
		if (icmp_is_err(v.type))
			return GK_NAPT_DROP_LAN_ICMP_ERR;
		if (v.type != 8)
			return GK_NAPT_DROP_PROTO;
	}
	k.pr = (uint8_t)v.pr;
	k.in_addr = ntohl(gk_ld32(v.ip + 12));
	k.rem_addr = ntohl(gk_ld32(v.ip + 16));
	if (v.pr == GK_NAPT_ICMP) {
		/* our own address answers pings itself: not a NAT flow */
		if (k.rem_addr == n->ext) {
			p->verdict = GK_V_KERNEL;
			return -1;
		}
		k.in_port = ntohs(gk_ld16(v.l4 + 4));
		k.rem_port = 0;
	} else {
		k.in_port = ntohs(gk_ld16(v.l4));
		k.rem_port = ntohs(gk_ld16(v.l4 + 2));
	}
	idx = find_live(n, K_OUT, &n->t_out, &k);
	if (idx == UINT32_MAX) {
		if (v.pr == GK_NAPT_TCP && (v.l4[13] & 0x16) != 0x02)
			return GK_NAPT_DROP_TCP_NOSYN;
		why = out_new(n, &k, &idx);
		if (why >= 0)
			return why;
	}
	s = &n->sess[idx];
	if (s->pr == GK_NAPT_TCP)
		tcp_track(s, v.l4[13], true);
	s->expire_ns = n->now + timeout(n, s);
	rewrite(v.ip, v.l4, s->pr, 12, n->ext, s->ext_port);
	n->st.out_pkts++;
	if (likely(k.rem_addr != n->ext))
		return -1;
	*hairpin = true;
	/* RFC 4787 REQ-9 / RFC 5382 REQ-8: hairpin with the outside source */
	/*
	 * Another worker owns the destination port's binding: leave the
	 * packet translated outbound only (to our address) and let the
	 * worker hand it to that owner, whose inbound pass maps it.
	 */
	if (gk_napt_port_owner(&n->cfg, k.rem_port) != n->cfg.worker) {
		n->st.hairpin_pkts++;
		return -1;
	}
	k.ext_port = k.rem_port;
	k.rem_addr = n->ext;
	k.rem_port = s->ext_port;
	why = in_xlate(n, &v, &k);
	if (why < 0)
		n->st.hairpin_pkts++;
	return why;
}

/*
 * RFC 5508 REQ-3, RFC 5382 REQ-9: an ICMP error about a packet we sent
 * out. The quoted header (our outside source) is mapped back, its IP
 * checksum and L4 checksum (when quoted) fixed; every change is also
 * folded into the outer ICMP checksum (all changed words sit at even
 * offsets of the ICMP message).
 */
static int in_icmp_err(struct gk_napt *n, struct view *v)
{
	uint8_t *e = v->l4 + 8, *el4;
	struct key k;
	struct sess *s;
	uint32_t idx, oa, na;
	uint16_t c, op, np, ic = gk_ld16(v->l4 + 2);
	unsigned ihl, epr;

	if (e + 20 > v->end)
		return GK_NAPT_DROP_ICMP_ERR;
	ihl = (e[0] & 15u) * 4;
	el4 = e + ihl;
	if ((e[0] >> 4) != 4 || ihl < 20 || el4 + 8 > v->end ||
	    (ntohs(gk_ld16(e + 6)) & 0x1fff))
		return GK_NAPT_DROP_ICMP_ERR;
	switch (e[9]) {
	case 6:
	case 17:
		epr = pr_of(e[9]);
		k.ext_port = ntohs(gk_ld16(el4));
		k.rem_port = ntohs(gk_ld16(el4 + 2));
		break;
	case 1:
		if (el4[0] != 8)
			return GK_NAPT_DROP_ICMP_ERR;
		epr = GK_NAPT_ICMP;
		k.ext_port = ntohs(gk_ld16(el4 + 4));
		k.rem_port = 0;
		break;
	default:
		return GK_NAPT_DROP_ICMP_ERR;
	}
	if (ntohl(gk_ld32(e + 12)) != n->ext)
		return GK_NAPT_DROP_ICMP_ERR;
	k.pr = (uint8_t)epr;
	k.rem_addr = ntohl(gk_ld32(e + 16));
	idx = find_live(n, K_IN, &n->t_in, &k);
	if (idx == UINT32_MAX)
		return GK_NAPT_DROP_ICMP_ERR;
	s = &n->sess[idx];

	oa = gk_ld32(e + 12);
	na = htonl(s->in_addr);
	np = htons(s->in_port);
	gk_st32(e + 12, na);
	ic = gk_csum_replace32(ic, oa, na);
	c = gk_ld16(e + 10);
	gk_st16(e + 10, gk_csum_replace32(c, oa, na));
	ic = gk_csum_replace16(ic, c, gk_ld16(e + 10));
	if (epr == GK_NAPT_ICMP) {
		op = gk_ld16(el4 + 4);
		gk_st16(el4 + 4, np);
		ic = gk_csum_replace16(ic, op, np);
		c = gk_ld16(el4 + 2);
		gk_st16(el4 + 2, gk_csum_replace16(c, op, np));
		ic = gk_csum_replace16(ic, c, gk_ld16(el4 + 2));
	} else {
		op = gk_ld16(el4);
		gk_st16(el4, np);
		ic = gk_csum_replace16(ic, op, np);
		if (epr == GK_NAPT_UDP && gk_ld16(el4 + 6)) {
			c = gk_ld16(el4 + 6);
			gk_st16(el4 + 6, udp_fix(gk_csum_replace16(
				gk_csum_replace32(c, oa, na), op, np)));
			ic = gk_csum_replace16(ic, c, gk_ld16(el4 + 6));
		} else if (epr == GK_NAPT_TCP && el4 + 18 <= v->end) {
			c = gk_ld16(el4 + 16);
			gk_st16(el4 + 16, gk_csum_replace16(
				gk_csum_replace32(c, oa, na), op, np));
			ic = gk_csum_replace16(ic, c, gk_ld16(el4 + 16));
		}
	}
	gk_st16(v->l4 + 2, ic);
	/* the error names the flow but is not flow traffic: no refresh */
	oa = gk_ld32(v->ip + 16);
	gk_st32(v->ip + 16, na);
	gk_st16(v->ip + 10, gk_csum_replace32(gk_ld16(v->ip + 10), oa, na));
	n->st.icmp_err_pkts++;
	return -1;
}

static int in_one(struct gk_napt *n, struct gk_pkt *p)
{
	struct view v;
	struct key k;
	int why = parse(p, &v);

	if (why >= 0)
		return why;
	if (unlikely(ntohl(gk_ld32(v.ip + 16)) != n->ext))
		return GK_NAPT_DROP_NOT_OURS;
	k.pr = (uint8_t)v.pr;
	k.rem_addr = ntohl(gk_ld32(v.ip + 12));
	if (v.pr == GK_NAPT_ICMP) {
		if (icmp_is_err(v.type))
			return in_icmp_err(n, &v);
		if (v.type == 8) {
			/* a ping to the CE itself */
			p->verdict = GK_V_KERNEL;
			return -1;
		}
		if (v.type != 0)
			return GK_NAPT_DROP_PROTO;
		k.ext_port = ntohs(gk_ld16(v.l4 + 4));
		k.rem_port = 0;
		/* no binding admits unsolicited echo replies */
		if (ht_find(n, &n->t_in, K_IN, &k, khash(n, K_IN, &k)) ==
		    UINT32_MAX)
			return n->bind[GK_NAPT_ICMP][k.ext_port].flags ?
			       GK_NAPT_DROP_FILTERED : GK_NAPT_DROP_NO_MAPPING;
	} else {
		k.ext_port = ntohs(gk_ld16(v.l4 + 2));
		k.rem_port = ntohs(gk_ld16(v.l4));
	}
	why = in_xlate(n, &v, &k);
	if (why < 0)
		n->st.in_pkts++;
	return why;
}

static void expire_some(struct gk_napt *n, unsigned budget)
{
	uint32_t i = n->scan, end;
	const uint64_t now = n->now;	/* sess_free leaves it */
	const struct sess *s;

	while (budget) {
		end = i + budget < n->max_sess ? i + budget : n->max_sess;
		budget -= end - i;
		for (s = &n->sess[i]; i < end; i++, s++)
			/* free sessions expire at UINT64_MAX: one test per slot */
			if (unlikely(s->expire_ns <= now) && s->pr != PROTO_FREE) {
				n->st.sess_expired++;
				sess_free(n, i);
			}
		if (i == n->max_sess)
			i = 0;
	}
	n->scan = i;
}

/*
 * What out_fast reads of the stage, copied once per burst: packet stores
 * (bytes) may alias anything, so the compiler would reload them per packet.
 */
struct fast {
	const struct hslot *sl;		/* t_out, or t_in for in_fast */
	struct sess *sess0;
	uint64_t now, udp_expire, tcp_to[3];
	uint32_t mask, seed, ext_be;
};

static inline void fast_init(struct fast *f, const struct gk_napt *n,
			     const struct htab *t)
{
	f->sl = t->s;
	f->mask = t->mask;
	f->sess0 = n->sess0;
	f->now = n->now;
	f->udp_expire = n->now + n->to_ns[0];
	/* by tcp_state(): opening, established, closing */
	f->tcp_to[0] = n->to_ns[2];
	f->tcp_to[1] = n->to_ns[1];
	f->tcp_to[2] = n->to_ns[2];
	f->seed = n->cfg.seed;
	f->ext_be = n->ext_be;
}

/*
 * A packet that out_fast or in_fast takes renews its session: TCP after
 * tracking the segment's flags (out: sent from the inside), by the state
 * they leave; UDP by the UDP timeout.
 */
static __attribute__((always_inline)) inline void
fast_renew(const struct fast *f, struct sess *s, const uint8_t *l4, bool tcp,
	   bool out)
{
	if (tcp) {
		tcp_track(s, l4[13], out);
		s->expire_ns = f->now + f->tcp_to[tcp_state(s)];
	} else {
		s->expire_ns = f->udp_expire;
	}
}

/*
 * The session of the outbound key (a, b) that out_fast may take, live or
 * stale, or NULL. No slot hash test: a slot's session is read anyway, and
 * its key words decide.
 */
static inline struct sess *out_find(const struct fast *f, uint64_t a,
				    uint64_t b)
{
	size_t i = out_hash(a, b, f->seed) & f->mask, v;
	struct sess *s;
	uint64_t w[2];

	for (;; i = (i + 1) & f->mask) {
		v = f->sl[i].val;
		if (!v)
			return NULL;
		s = &f->sess0[v];
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		memcpy(w, s, sizeof(w));
#else
		w[0] = (uint64_t)s->in_addr << 32 | s->rem_addr;
		w[1] = (uint64_t)s->pr << 32 | (uint32_t)s->in_port << 16 |
		       s->rem_port | (uint64_t)s->not_fast << 40;
#endif
		if (w[0] == a && w[1] == b)
			return s;
	}
}

/*
 * Before a burst's out_fast (in: in_fast): the slot each TCP/UDP packet's
 * key hashes to (out_find's, in_find's), then the session it holds,
 * fetched for all of them at once, so that the lookup's two dependent
 * loads do not wait on memory one packet after another (a table of many
 * sessions is far larger than the caches). Prefetches only: what it reads
 * decides nothing.
 */
static void prefetch_burst(const struct fast *f, struct gk_pkt **p,
			   unsigned cnt, uint16_t ok, uint16_t mask, bool in)
{
	uint32_t idx[GK_BURST];
	unsigned i, k = 0;

	if (cnt > GK_BURST)
		cnt = GK_BURST;
	for (i = 0; i < cnt; i++) {
		const struct gk_pkt *q = p[i];
		uint16_t pf = (uint16_t)(q->meta.flags << 8 | q->meta.l4_proto) &
			      mask;
		uint32_t l3 = q->meta.l3_off, l4o = q->meta.l4_off;
		uint64_t pr = pf == (ok | 6) ? GK_NAPT_TCP : GK_NAPT_UDP, a, b;

		if ((pf != (ok | 17) && pf != (ok | 6)) || l4o < l3 + 20 ||
		    l4o + 8 > q->len)
			continue;
		if (in) {
			/* rem_addr << 32 | rem_port << 16 | ext_port, pr */
			a = (uint64_t)ntohl(gk_ld32(q->data + l3 + 12)) << 32 |
			    ntohl(gk_ld32(q->data + l4o));
			b = pr;
		} else {
			/* in_addr << 32 | rem_addr, pr << 32 | ports */
			a = rd64(q->data + l3 + 12);
			b = pr << 32 | ntohl(gk_ld32(q->data + l4o));
		}
		idx[k] = out_hash(a, b, f->seed) & f->mask;
		__builtin_prefetch(&f->sl[idx[k]]);
		k++;
	}
	for (i = 0; i < k; i++) {
		uint32_t v = f->sl[idx[i]].val;

		if (v)
			__builtin_prefetch(&f->sess0[v]);
	}
}

/*
 * out_one for its common case, a TCP (@tcp) or UDP packet of a live
 * session that is no hairpin and no martian, on meta's promise
 * (GK_META_F_L4, classifier rule 7: the minimal TCP/UDP header lies within
 * the IPv4 total length, within the frame; the frame bound is checked
 * anyway). Anything else returns false with nothing touched, and out_one
 * decides. Checksums take the session's deltas.
 */
static __attribute__((always_inline)) inline bool
out_fast(const struct fast *f, struct gk_pkt *p, bool tcp)
{
	uint8_t *ip = p->data + p->meta.l3_off, *l4 = p->data + p->meta.l4_off;
	struct sess *s;
	uint64_t a, b;
	uint16_t c;

	if (unlikely((uint32_t)p->meta.l4_off + (tcp ? 20 : 8) > p->len))
		return false;
	a = rd64(ip + 12);		/* in_addr << 32 | rem_addr */
	b = (uint64_t)(tcp ? GK_NAPT_TCP : GK_NAPT_UDP) << 32 |
	    ntohl(gk_ld32(l4));		/* in_port << 16 | rem_port */
	s = out_find(f, a, b);
	if (!s || unlikely(s->expire_ns <= f->now))
		return false;	/* new flow, hairpin, martian, or stale */
	fast_renew(f, s, l4, tcp, true);
	gk_st32(ip + 12, f->ext_be);
	gk_st16(ip + 10, csum_sub(gk_ld16(ip + 10), s->d_ip));
	gk_st16(l4, htons(s->ext_port));
	if (tcp)
		gk_st16(l4 + 16, csum_sub(gk_ld16(l4 + 16), s->d_l4));
	else if (likely(c = gk_ld16(l4 + 6)))
		gk_st16(l4 + 6, udp_fix(csum_sub(c, s->d_l4)));
	return true;
}

/* out_one and its verdict: true when p leaves for the outside. */
static __attribute__((noinline)) bool out_slow(struct gk_napt *n,
					       struct gk_pkt *p)
{
	bool hairpin = false;
	int why;

	if (p->verdict != GK_V_NONE)
		return false;
	why = out_one(n, p, &hairpin);
	if (unlikely(why >= 0)) {
		count_drop(n, p, (enum gk_napt_drop)why);
		return false;
	}
	return !hairpin && p->verdict == GK_V_NONE;
}

uint64_t gk_napt_out_burst(struct gk_napt *n, struct gk_pkt **p, uint16_t cnt)
{
	/* l4_proto and flags side by side: one load, one compare per proto */
	const uint16_t ok = (GK_META_F_IPV4 | GK_META_F_L4) << 8,
		       mask = (GK_META_F_IPV4 | GK_META_F_L4 |
			       GK_META_F_LATER_FRAG) << 8 | 0xff;
	struct fast f;
	uint64_t pass = cnt >= 64 ? ~0ull : (1ull << cnt) - 1;
	unsigned i, fast = 0, nfast = n->slow ? 0 : cnt;
	uint16_t pf;

	fast_init(&f, n, &n->t_out);
	if (nfast)
		prefetch_burst(&f, p, nfast, ok, mask, false);
	for (i = 0; i < nfast; i++) {
		if (unlikely(p[i]->verdict != GK_V_NONE)) {
			if (i < 64)
				pass &= ~(1ull << i);
			continue;
		}
		pf = (uint16_t)(p[i]->meta.flags << 8 | p[i]->meta.l4_proto) & mask;
		if (pf == (ok | 17) ? out_fast(&f, p[i], false) :
		    pf == (ok | 6) && out_fast(&f, p[i], true)) {
			fast++;
			continue;
		}
		if (!out_slow(n, p[i]) && i < 64)
			pass &= ~(1ull << i);
	}
	/* gk_napt_set_fastpath(false): the reference path alone */
	for (; i < cnt; i++)
		if (!out_slow(n, p[i]) && i < 64)
			pass &= ~(1ull << i);
	n->st.out_pkts += fast;
	expire_some(n, GK_NAPT_SCAN);
	return pass;
}

void gk_napt_set_fastpath(struct gk_napt *n, bool on)
{
	n->slow = !on;
}

/* The session of the inbound key (a: rem_addr << 32 | rem_port << 16 | ext_port). */
static inline struct sess *in_find(const struct fast *f, uint64_t a,
				   unsigned pr)
{
	size_t i = out_hash(a, pr, f->seed) & f->mask, v;
	struct sess *s;

	for (;; i = (i + 1) & f->mask) {
		v = f->sl[i].val;
		if (!v)
			return NULL;
		s = &f->sess0[v];
		if (s->rem_addr == a >> 32 && s->rem_port == (uint16_t)(a >> 16) &&
		    s->ext_port == (uint16_t)a && s->pr == pr)
			return s;
	}
}

/*
 * RFC 1624 delta of the inbound rewrite (ext -> in) from the outbound one:
 * its negative, ~d, in 1..0xffff. Exact because a not_fast == 0 session's
 * inside address is no martian, so never 0, and the inbound sum is never 0.
 */
static inline uint16_t in_delta(uint16_t d)
{
	d = (uint16_t)~d;
	return d ? d : 0xffff;
}

/*
 * in_one for its common case, a TCP or UDP packet to our address of a live
 * session that is no hairpin and no martian. Inbound meta comes from the
 * decapsulation (gk_meta_ip4), which promises less than the classifier: so
 * parse()'s bounds, all of them. Anything else returns false with nothing
 * touched, and in_one decides.
 */
static __attribute__((always_inline)) inline bool
in_fast(const struct fast *f, struct gk_pkt *p, bool tcp)
{
	uint32_t l3 = p->meta.l3_off, l4o = p->meta.l4_off,
		 need = tcp ? 20 : 8, tl;
	uint8_t *ip = p->data + l3, *l4 = p->data + l4o;
	struct sess *s;
	uint64_t a;
	uint16_t c;

	/* in an order that reads nothing unchecked */
	if (unlikely(l4o < l3 + 20 || l4o + need > p->len))
		return false;
	tl = gk_rd16(ip + 2);
	if (unlikely(l3 + tl > p->len || l4o + need > l3 + tl) ||
	    unlikely(gk_ld32(ip + 16) != f->ext_be))
		return false;
	a = (uint64_t)ntohl(gk_ld32(ip + 12)) << 32 | ntohl(gk_ld32(l4));
	s = in_find(f, a, tcp ? GK_NAPT_TCP : GK_NAPT_UDP);
	if (!s || unlikely(s->not_fast || s->expire_ns <= f->now))
		return false;	/* no session, hairpin, martian, or stale */
	fast_renew(f, s, l4, tcp, false);
	gk_st32(ip + 16, htonl(s->in_addr));
	gk_st16(ip + 10, csum_sub(gk_ld16(ip + 10), in_delta(s->d_ip)));
	gk_st16(l4 + 2, htons(s->in_port));
	if (tcp)
		gk_st16(l4 + 16, csum_sub(gk_ld16(l4 + 16), in_delta(s->d_l4)));
	else if (likely(c = gk_ld16(l4 + 6)))
		gk_st16(l4 + 6, udp_fix(csum_sub(c, in_delta(s->d_l4))));
	return true;
}

/* in_one and its verdict. */
static __attribute__((noinline)) void in_slow(struct gk_napt *n,
					      struct gk_pkt *p)
{
	int why;

	if (p->verdict != GK_V_NONE)
		return;
	why = in_one(n, p);
	if (unlikely(why >= 0))
		count_drop(n, p, (enum gk_napt_drop)why);
}

void gk_napt_in_burst(struct gk_napt *n, struct gk_pkt **p, uint16_t cnt)
{
	const uint16_t ok = (GK_META_F_IPV4 | GK_META_F_L4) << 8,
		       mask = (GK_META_F_IPV4 | GK_META_F_L4 |
			       GK_META_F_LATER_FRAG) << 8 | 0xff;
	unsigned i, fast = 0, nfast = n->slow ? 0 : cnt;
	struct fast f;
	uint16_t pf;

	fast_init(&f, n, &n->t_in);
	if (nfast)
		prefetch_burst(&f, p, nfast, ok, mask, true);
	for (i = 0; i < nfast; i++) {
		if (unlikely(p[i]->verdict != GK_V_NONE))
			continue;
		pf = (uint16_t)(p[i]->meta.flags << 8 | p[i]->meta.l4_proto) & mask;
		if (pf == (ok | 17) ? in_fast(&f, p[i], false) :
		    pf == (ok | 6) && in_fast(&f, p[i], true)) {
			fast++;
			continue;
		}
		in_slow(n, p[i]);
	}
	for (; i < cnt; i++)
		in_slow(n, p[i]);
	n->st.in_pkts += fast;
	expire_some(n, GK_NAPT_SCAN);
}

unsigned gk_napt_expire_all(struct gk_napt *n)
{
	uint64_t before = n->st.sess_expired;

	n->scan = 0;
	expire_some(n, n->max_sess);
	return (unsigned)(n->st.sess_expired - before);
}

static uint16_t nr_workers(const struct gk_napt_cfg *cfg)
{
	return cfg->nr_workers ? cfg->nr_workers : 1;
}

/* Port j of range r is worker (j + r) % W's: every worker, every range. */
unsigned gk_napt_port_owner(const struct gk_napt_cfg *cfg, uint16_t port)
{
	unsigned a = cfg->psid_offset, k = cfg->psid_len, m, r = 0;

	if (!k)
		return port % nr_workers(cfg);
	m = 16 - a - k;
	if (a)
		r = (port >> (16 - a)) - 1u;
	return ((port & ((1u << m) - 1u)) + r) % nr_workers(cfg);
}

static int build_owned(struct gk_napt *n)
{
	const struct gk_napt_cfg *c = &n->cfg;
	uint16_t (*rg)[2];
	unsigned nr, r, span, j, cnt = 0;
	uint16_t port;

	if (!c->psid_len) {
		n->owned = calloc(65536, sizeof(*n->owned));
		if (!n->owned)
			return -ENOMEM;
		/* whole address: keep the well-known ports for static maps */
		for (port = 1024; ; port++) {
			if (gk_napt_port_owner(c, port) == c->worker)
				n->owned[cnt++] = port;
			if (port == 65535)
				break;
		}
		n->nown = cnt;
		return cnt ? 0 : -EINVAL;
	}
	nr = gk_map_port_ranges(c->psid_offset, c->psid_len, c->psid, NULL, 0);
	rg = calloc(nr, sizeof(*rg));
	n->owned = calloc(gk_map_port_count(c->psid_offset, c->psid_len),
			  sizeof(*n->owned));
	if (!rg || !n->owned) {
		free(rg);
		return -ENOMEM;
	}
	gk_map_port_ranges(c->psid_offset, c->psid_len, c->psid, rg, nr);
	span = (unsigned)rg[0][1] - rg[0][0] + 1;
	/* (offset, range) order: neighbours in the list are in other ranges */
	for (j = 0; j < span; j++)
		for (r = 0; r < nr; r++) {
			port = (uint16_t)(rg[r][0] + j);
			if (gk_napt_port_owner(c, port) == c->worker)
				n->owned[cnt++] = port;
		}
	free(rg);
	n->nown = cnt;
	return cnt ? 0 : -EINVAL;
}

static int check_cfg(const struct gk_napt_cfg *c, char *err, size_t errlen)
{
	if (c->psid_offset + c->psid_len > 16) {
		snprintf(err, errlen, "psid offset %u + length %u exceeds 16 bits",
			 c->psid_offset, c->psid_len);
		return -EINVAL;
	}
	if (c->psid_len && c->psid >> c->psid_len) {
		snprintf(err, errlen, "psid %u does not fit in %u bits", c->psid,
			 c->psid_len);
		return -EINVAL;
	}
	if (c->worker >= nr_workers(c)) {
		snprintf(err, errlen, "worker %u of %u", c->worker, nr_workers(c));
		return -EINVAL;
	}
	if (c->udp_s && c->udp_s < GK_NAPT_UDP_MIN_S) {
		snprintf(err, errlen,
			 "udp timeout %u s is below %u s (RFC 4787 REQ-5)",
			 c->udp_s, GK_NAPT_UDP_MIN_S);
		return -EINVAL;
	}
	if (c->filter > GK_NAPT_FILTER_EIF) {
		snprintf(err, errlen, "unknown filtering mode %u", c->filter);
		return -EINVAL;
	}
	if (c->nr_reserved > GK_NAPT_MAX_RESERVED) {
		snprintf(err, errlen, "%u reserved ports, at most %u",
			 c->nr_reserved, GK_NAPT_MAX_RESERVED);
		return -EINVAL;
	}
	for (unsigned i = 0; i < c->nr_reserved; i++)
		if (c->reserved[i].proto != 6 && c->reserved[i].proto != 17) {
			snprintf(err, errlen,
				 "reserved ports are TCP or UDP, not protocol %u",
				 c->reserved[i].proto);
			return -EINVAL;
		}
	if (c->max_sessions > (1u << 26)) {
		snprintf(err, errlen, "max sessions %u above %u", c->max_sessions,
			 1u << 26);
		return -EINVAL;
	}
	return 0;
}

static bool is_owned(const struct gk_napt *n, uint16_t port);

/* cfg.reserved: out of the pool for good (a reserved port is never B_USED). */
static void reserve(struct gk_napt *n)
{
	const struct gk_napt_cfg *c = &n->cfg;

	for (unsigned i = 0; i < c->nr_reserved; i++) {
		unsigned pr = pr_of(c->reserved[i].proto);
		uint16_t port = c->reserved[i].port;
		struct bind *b = &n->bind[pr][port];

		if (!port || !is_owned(n, port) ||
		    gk_napt_port_owner(c, port) != c->worker ||
		    (b->flags & B_RESERVED))
			continue;
		b->flags = B_RESERVED;
		n->port_free[pr]--;
	}
}

struct gk_napt *gk_napt_create(const struct gk_napt_cfg *cfg, int *rc,
			       char *err, size_t errlen)
{
	struct gk_napt *n;
	uint32_t i, hs = 16;
	char dummy[1];
	int ret;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	ret = check_cfg(cfg, err, errlen);
	if (ret)
		goto err_out;
	ret = -ENOMEM;
	snprintf(err, errlen, "out of memory");
	n = calloc(1, sizeof(*n));
	if (!n)
		goto err_out;
	n->cfg = *cfg;
	n->cfg.nr_workers = nr_workers(cfg);
	memcpy(&n->ext, cfg->ext_addr, 4);
	n->ext_be = n->ext;
	n->ext = ntohl(n->ext);
	n->to_ns[0] = (cfg->udp_s ? cfg->udp_s : 300) * NS;
	n->to_ns[1] = (cfg->tcp_est_s ? cfg->tcp_est_s : 7440) * NS;
	n->to_ns[2] = (cfg->tcp_trans_s ? cfg->tcp_trans_s : 240) * NS;
	n->to_ns[3] = (cfg->icmp_s ? cfg->icmp_s : 60) * NS;
	n->hold_ns = cfg->holddown_s == UINT32_MAX ? 0 :
		     (cfg->holddown_s ? cfg->holddown_s : 120) * NS;
	n->max_sess = cfg->max_sessions ? cfg->max_sessions : 65536;
	n->max_hosts = cfg->max_hosts ? cfg->max_hosts : 1024;

	ret = build_owned(n);
	if (ret) {
		snprintf(err, errlen, ret == -EINVAL ?
			 "worker %u of %u owns no port of the set" :
			 "out of memory", cfg->worker, n->cfg.nr_workers);
		goto err_free;
	}
	ret = -ENOMEM;
	snprintf(err, errlen, "out of memory");
	n->sess0 = calloc(n->max_sess + 1, sizeof(*n->sess0));
	n->sess = n->sess0 ? n->sess0 + 1 : NULL;
	n->free_idx = calloc(n->max_sess, sizeof(*n->free_idx));
	if (!n->sess || !n->free_idx)
		goto err_free;
	for (i = 0; i < n->max_sess; i++) {
		n->sess[i].pr = PROTO_FREE;
		n->sess[i].expire_ns = UINT64_MAX;
		n->free_idx[i] = n->max_sess - 1 - i;
	}
	n->nfree = n->max_sess;
	for (i = 0; i < GK_NAPT_NPROTO; i++) {
		n->bind[i] = calloc(65536, sizeof(*n->bind[i]));
		if (!n->bind[i])
			goto err_free;
		n->port_free[i] = n->nown;
	}
	reserve(n);
	/* bindings: at most one per session, plus the static ones */
	if (ht_init(&n->t_out, n->max_sess) || ht_init(&n->t_in, n->max_sess) ||
	    ht_init(&n->t_bind, n->max_sess + MAX_STATIC))
		goto err_free;
	while (hs < 2 * n->max_hosts)
		hs <<= 1;
	n->hosts = calloc(hs, sizeof(*n->hosts));
	if (!n->hosts)
		goto err_free;
	n->host_mask = hs - 1;
	if (err != dummy)
		err[0] = 0;
	*rc = 0;
	return n;

err_free:
	gk_napt_free(n);
err_out:
	*rc = ret;
	return NULL;
}

void gk_napt_free(struct gk_napt *n)
{
	unsigned i;

	if (!n)
		return;
	for (i = 0; i < GK_NAPT_NPROTO; i++)
		free(n->bind[i]);
	free(n->t_out.s);
	free(n->t_in.s);
	free(n->t_bind.s);
	free(n->hosts);
	free(n->sess0);
	free(n->free_idx);
	free(n->owned);
	free(n);
}

void gk_napt_set_now(struct gk_napt *n, uint64_t now_ns)
{
	n->now = now_ns;
}

void gk_napt_set_wkstats(struct gk_napt *n, struct gk_wk_stats *wk)
{
	n->wk = wk;
}

const struct gk_napt_stats *gk_napt_stats(const struct gk_napt *n)
{
	return &n->st;
}

unsigned gk_napt_owned_ports(const struct gk_napt *n, uint16_t *out, unsigned max)
{
	unsigned i;

	for (i = 0; i < n->nown && i < max; i++)
		out[i] = n->owned[i];
	return n->nown;
}

static bool is_owned(const struct gk_napt *n, uint16_t port)
{
	if (!n->cfg.psid_len)
		return port >= 1024;
	return gk_map_port_ok(n->cfg.psid_offset, n->cfg.psid_len, n->cfg.psid,
			      port);
}

int gk_napt_static_add(struct gk_napt *n, const struct gk_napt_static *m,
		       bool exist_ok, char *err, size_t errlen)
{
	const struct gk_napt_cfg *c = &n->cfg;
	struct key k = { 0 };
	struct bind *b;
	struct host *h;
	char dummy[1];
	unsigned pr;
	uint32_t a;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (m->proto != 6 && m->proto != 17) {
		snprintf(err, errlen, "static mappings are TCP or UDP, not protocol %u",
			 m->proto);
		return -EPROTONOSUPPORT;
	}
	if (!m->ext_port || !m->in_port) {
		snprintf(err, errlen, "port 0 cannot be mapped");
		return -EINVAL;
	}
	if (c->psid_len && !gk_map_port_ok(c->psid_offset, c->psid_len, c->psid,
					   m->ext_port)) {
		snprintf(err, errlen,
			 "port %u is outside this CE's port set (PSID %u, offset %u, length %u)",
			 m->ext_port, c->psid, c->psid_offset, c->psid_len);
		return -ERANGE;
	}
	if (gk_napt_port_owner(c, m->ext_port) != c->worker) {
		snprintf(err, errlen, "port %u belongs to worker %u, not %u",
			 m->ext_port, gk_napt_port_owner(c, m->ext_port), c->worker);
		return -EXDEV;
	}
	pr = pr_of(m->proto);
	b = &n->bind[pr][m->ext_port];
	memcpy(&a, m->in_addr, 4);
	a = ntohl(a);
	if (b->flags & B_STATIC) {
		if (exist_ok && b->in_addr == a && b->in_port == m->in_port)
			return 0;
		snprintf(err, errlen, "port %u/%u is already mapped", m->ext_port,
			 m->proto);
		return -EEXIST;
	}
	if (b->flags & B_USED) {
		snprintf(err, errlen, "port %u/%u is in use by a dynamic binding",
			 m->ext_port, m->proto);
		return -EBUSY;
	}
	if (b->flags & B_RESERVED) {
		snprintf(err, errlen, "port %u/%u is reserved for genkan itself",
			 m->ext_port, m->proto);
		return -EBUSY;
	}
	k.pr = (uint8_t)pr;
	k.in_addr = a;
	k.in_port = m->in_port;
	if (ht_find(n, &n->t_bind, K_BIND, &k, khash(n, K_BIND, &k)) !=
	    UINT32_MAX) {
		snprintf(err, errlen, "LAN endpoint already has a binding");
		return -EBUSY;
	}
	if (n->nstatic >= MAX_STATIC) {
		snprintf(err, errlen, "at most %u static mappings", MAX_STATIC);
		return -ENOSPC;
	}
	b->in_addr = a;
	b->in_port = m->in_port;
	b->flags = B_USED | B_STATIC;
	b->nsess = 0;
	ht_add(&n->t_bind, khash(n, K_BIND, &k), (uint32_t)pr << 16 | m->ext_port);
	if (is_owned(n, m->ext_port))
		n->port_free[pr]--;
	n->st.ports_in_use[pr]++;
	n->nstatic++;
	h = host_get(n, a, true);
	if (h)
		h->ports++;
	return 0;
}

int gk_napt_static_del(struct gk_napt *n, uint8_t proto, uint16_t ext_port,
		       bool missing_ok)
{
	unsigned pr = pr_of(proto);
	struct bind *b;
	uint32_t i;

	if (proto != 6 && proto != 17)
		return -EPROTONOSUPPORT;
	b = &n->bind[pr][ext_port];
	if (!(b->flags & B_STATIC))
		return missing_ok ? 0 : -ENOENT;
	/* control path: a full sweep is fine */
	for (i = 0; i < n->max_sess && b->nsess; i++)
		if (n->sess[i].pr == pr && n->sess[i].ext_port == ext_port)
			sess_free(n, i);
	b->flags &= (uint8_t)~B_STATIC;
	bind_release(n, pr, ext_port);
	if (!is_owned(n, ext_port))
		n->port_free[pr]--;	/* bind_release counted it back */
	n->nstatic--;
	return 0;
}

unsigned gk_napt_static_list(const struct gk_napt *n, struct gk_napt_static *out,
			     unsigned max)
{
	unsigned pr, port, cnt = 0;
	uint32_t a;

	for (pr = 0; pr < GK_NAPT_ICMP; pr++)
		for (port = 0; port < 65536; port++) {
			const struct bind *b = &n->bind[pr][port];

			if (!(b->flags & B_STATIC))
				continue;
			if (cnt < max) {
				out[cnt].proto = ipproto_of[pr];
				out[cnt].ext_port = (uint16_t)port;
				a = htonl(b->in_addr);
				memcpy(out[cnt].in_addr, &a, 4);
				out[cnt].in_port = b->in_port;
			}
			cnt++;
		}
	return cnt;
}

unsigned gk_napt_sessions(const struct gk_napt *n, struct gk_napt_sess_info *out,
			  unsigned max)
{
	unsigned cnt = 0;
	uint32_t i, a;

	for (i = 0; i < n->max_sess; i++) {
		const struct sess *s = &n->sess[i];

		if (s->pr == PROTO_FREE)
			continue;
		if (cnt < max) {
			struct gk_napt_sess_info *o = &out[cnt];

			o->proto = ipproto_of[s->pr];
			o->tcp_state = s->pr == GK_NAPT_TCP ? tcp_state(s) : 0;
			o->in_port = s->in_port;
			o->ext_port = s->ext_port;
			o->rem_port = s->rem_port;
			a = htonl(s->in_addr);
			memcpy(o->in_addr, &a, 4);
			a = htonl(s->rem_addr);
			memcpy(o->rem_addr, &a, 4);
			o->expire_ns = s->expire_ns;
		}
		cnt++;
	}
	return cnt;
}

unsigned gk_napt_hosts(const struct gk_napt *n, struct gk_napt_host_info *out,
		       unsigned max)
{
	unsigned cnt = 0;
	uint32_t i, a;

	for (i = 0; i <= n->host_mask; i++) {
		if (!n->hosts[i].used)
			continue;
		if (cnt < max) {
			a = htonl(n->hosts[i].addr);
			memcpy(out[cnt].addr, &a, 4);
			out[cnt].ports = n->hosts[i].ports;
			out[cnt].refused = n->hosts[i].refused;
		}
		cnt++;
	}
	return cnt;
}

unsigned gk_napt_range_usage(const struct gk_napt *n, uint8_t proto,
			     uint32_t *out, unsigned max)
{
	unsigned a = n->cfg.psid_offset, nr, r, i, pr = pr_of(proto);

	nr = n->cfg.psid_len && a ? (1u << a) - 1u : 1u;
	for (r = 0; r < nr && r < max; r++)
		out[r] = 0;
	for (i = 0; i < n->nown; i++) {
		uint16_t port = n->owned[i];

		if (!(n->bind[pr][port].flags & B_USED))
			continue;
		r = n->cfg.psid_len && a ? (port >> (16 - a)) - 1u : 0;
		if (r < max)
			out[r]++;
	}
	return nr;
}
