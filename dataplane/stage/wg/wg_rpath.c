// SPDX-License-Identifier: BSD-3-Clause
/* Return-path flows for return_path = flow peers; see wg_rpath.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "pkthdr.h"
#include "wg_rpath.h"

#define TCP_FIN	0x01
#define TCP_SYN	0x02
#define TCP_RST	0x04
#define TCP_ACK	0x10

const char *const gk_wg_rpath_cnt_names[GK_WG_RPATH_CNT_MAX] = {
#define GK_X(n, s) s,
	GK_WG_RPATH_CNT_LIST(GK_X)
#undef GK_X
};

int gk_wg_rpath_init(struct gk_wg_rpath *t, uint32_t max_flows)
{
	uint32_t b = 1;

	memset(t, 0, sizeof(*t));
	while ((uint64_t)b * GK_WG_RPATH_WAYS < max_flows && b < (1u << 22))
		b <<= 1;
	/* Clients choose addresses and ports: a seed they cannot guess. */
	if (getrandom(&t->seed, sizeof(t->seed), 0) != sizeof(t->seed))
		t->seed = 0x9e3779b9u ^ (uint32_t)(uintptr_t)t;
	t->flows = calloc((size_t)b * GK_WG_RPATH_WAYS, sizeof(*t->flows));
	t->tags = calloc(b, sizeof(*t->tags));
	t->clients = calloc(GK_WG_RPATH_CLIENTS, sizeof(*t->clients));
	if (!t->flows || !t->tags || !t->clients) {
		gk_wg_rpath_fini(t);
		return -ENOMEM;
	}
	t->nr_buckets = b;
	return 0;
}

void gk_wg_rpath_fini(struct gk_wg_rpath *t)
{
	free(t->flows);
	free(t->tags);
	free(t->clients);
	t->flows = NULL;
	t->tags = NULL;
	t->clients = NULL;
	t->nr_buckets = 0;
}

/* A flow's 5-tuple in reply terms: b = backend (home), c = client. */
struct tuple {
	uint8_t family, proto, tcp_flags;
	bool error;			/* an ICMP error quoting the flow */
	uint16_t bport, cport;
	const uint8_t *baddr, *caddr;
};

static inline bool icmp_error(uint8_t proto, uint8_t type)
{
	if (proto == 1)		/* RFC 792: unreachable, time exceeded, parameter */
		return type == 3 || type == 11 || type == 12;
	return type >= 1 && type <= 4;	/* RFC 4443 2.1 */
}

/*
 * An ICMP error from home to the client about one of its packets (RFC 792,
 * RFC 4443): the quoted packet is the client's, so the flow is the quoted
 * one, and the error must go to the quoted source. q: the quote, end: the
 * end of the packet. Echo requests, TCP and UDP; no IPv6 extension headers.
 */
static bool quoted(const uint8_t *q, const uint8_t *end, const uint8_t *dst,
		   struct tuple *k)
{
	const uint8_t *src, *qdst, *h;
	uint32_t hl;
	uint8_t proto;

	if (k->family == 4) {
		if (q + 20 > end || q[0] >> 4 != 4)
			return false;
		hl = (q[0] & 0xfu) * 4u;
		if (hl < 20 || (gk_rd16(q + 6) & 0x1fff))
			return false;	/* a later fragment quotes no ports */
		proto = q[9];
		src = q + 12;
		qdst = q + 16;
	} else {
		if (q + 40 > end || q[0] >> 4 != 6)
			return false;
		hl = 40;
		proto = q[6];
		src = q + 8;
		qdst = q + 24;
	}
	if (memcmp(src, dst, k->family == 4 ? 4 : 16))
		return false;
	h = q + hl;
	if (h + 8 > end)
		return false;	/* RFC 792: at least 8 bytes of the datagram */
	if (proto == 6 || proto == 17) {
		k->cport = gk_rd16(h);
		k->bport = gk_rd16(h + 2);
	} else if ((proto == 1 && k->family == 4 && h[0] == 8) ||
		   (proto == 58 && k->family == 6 && h[0] == 128)) {
		k->cport = k->bport = gk_rd16(h + 4);
	} else {
		return false;
	}
	k->proto = proto;
	k->caddr = src;
	k->baddr = qdst;
	k->tcp_flags = 0;
	k->error = true;
	return true;
}

/*
 * reply false: p goes client -> backend (decrypted); true: backend ->
 * client (routed), or an ICMP error to the client about one of its
 * packets. Bounds are checked against p->len; fragments, other protocols
 * and other ICMP have no tuple.
 */
static bool tuple_of(const struct gk_pkt *p, bool reply, struct tuple *k)
{
	uint32_t l3 = p->meta.l3_off, l4 = p->meta.l4_off, need;
	const uint8_t *ip = p->data + l3, *src, *dst, *h;
	uint16_t sport, dport;
	uint8_t flags = p->meta.flags, proto = p->meta.l4_proto;

	if ((flags & (GK_META_F_FRAG | GK_META_F_LATER_FRAG)) ||
	    !(flags & GK_META_F_L4))
		return false;
	if (flags & GK_META_F_IPV4) {
		if (l3 + 20 > p->len || l4 < l3 + 20)
			return false;
		k->family = 4;
		src = ip + 12;
		dst = ip + 16;
	} else if (flags & GK_META_F_IPV6) {
		if (l3 + 40 > p->len || l4 < l3 + 40)
			return false;
		k->family = 6;
		src = ip + 8;
		dst = ip + 24;
	} else {
		return false;
	}
	switch (proto) {
	case 6:
		need = 14;
		break;
	case 17:
		need = 4;
		break;
	case 1:
	case 58:
		if ((proto == 1) != (k->family == 4))
			return false;
		need = 8;
		break;
	default:
		return false;
	}
	if (l4 + need > p->len)
		return false;
	h = p->data + l4;
	k->tcp_flags = proto == 6 ? h[13] : 0;
	k->error = false;
	if (reply && (proto == 1 || proto == 58) && icmp_error(proto, h[0]))
		return quoted(h + 8, p->data + p->len, dst, k);
	if (proto == 1 || proto == 58) {
		/* Echo only: request from the client, reply from the backend. */
		uint8_t want = proto == 1 ? (reply ? 0 : 8) : (reply ? 129 : 128);

		if (h[0] != want || h[1] != 0)
			return false;
		sport = dport = gk_rd16(h + 4);
	} else {
		sport = gk_rd16(h);
		dport = gk_rd16(h + 2);
	}
	k->proto = proto;
	if (reply) {
		k->baddr = src;
		k->bport = sport;
		k->caddr = dst;
		k->cport = dport;
	} else {
		k->caddr = src;
		k->cport = sport;
		k->baddr = dst;
		k->bport = dport;
	}
	return true;
}

static inline uint32_t mix(uint32_t h, uint32_t w)
{
	w *= 0xcc9e2d51u;
	w = w << 15 | w >> 17;
	w *= 0x1b873593u;
	h ^= w;
	h = h << 13 | h >> 19;
	return h * 5 + 0xe6546b64u;
}

/* Murmur3-style over the tuple, seeded per table. */
static uint32_t hash(const struct gk_wg_rpath *t, const struct tuple *k)
{
	unsigned words = k->family == 4 ? 1 : 4, i;
	uint32_t h = t->seed, w;

	h = mix(h, (uint32_t)k->proto << 8 | k->family);
	h = mix(h, (uint32_t)k->bport << 16 | k->cport);
	for (i = 0; i < words; i++) {
		memcpy(&w, k->baddr + 4 * i, 4);
		h = mix(h, w);
		memcpy(&w, k->caddr + 4 * i, 4);
		h = mix(h, w);
	}
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static inline bool same(const struct gk_wg_rpath_flow *f, const struct tuple *k)
{
	size_t alen = k->family == 4 ? 4 : 16;

	return f->bport == k->bport && f->cport == k->cport &&
	       f->proto == k->proto && f->family == k->family &&
	       !memcmp(f->baddr, k->baddr, alen) &&
	       !memcmp(f->caddr, k->caddr, alen);
}

static inline uint64_t timeout(const struct gk_wg_rpath_flow *f)
{
	if (f->proto == 6)
		return f->closing ? GK_WG_RPATH_TCP_FIN_NS : GK_WG_RPATH_TCP_NS;
	if (f->proto == 17)
		return GK_WG_RPATH_UDP_NS;
	return GK_WG_RPATH_ICMP_NS;
}

static inline bool expired(const struct gk_wg_rpath_flow *f, uint64_t now)
{
	return now - f->last_ns > timeout(f);
}

/* The client address's counter in t->clients. */
static inline uint32_t *client(const struct gk_wg_rpath *t, uint8_t family,
			       const uint8_t *a)
{
	uint32_t x, y;

	memcpy(&x, a, 4);
	if (family == 6) {
		memcpy(&y, a + 12, 4);
		x ^= y;
	}
	x = (x ^ t->seed) * 0x9e3779b1u;
	return &t->clients[x >> (32 - GK_WG_RPATH_CLIENTS_LOG2)];
}

/* Slot i of w leaves the table. */
static inline void forget(struct gk_wg_rpath *t, struct gk_wg_rpath_flow *f,
			  uint16_t *tag)
{
	(*client(t, f->family, f->caddr))--;
	f->used = 0;
	*tag = 0;
}

/* A flow's bucket (its slots, its tags) and its tag: never 0 (free). */
struct where {
	struct gk_wg_rpath_flow *f;
	uint16_t *tag;
	uint16_t tg;
};

static inline void bucket(const struct gk_wg_rpath *t, const struct tuple *k,
			  struct where *w)
{
	uint32_t h = hash(t, k), b = h & (t->nr_buckets - 1);

	w->f = &t->flows[(size_t)b * GK_WG_RPATH_WAYS];
	w->tag = t->tags[b].tag;
	w->tg = (uint16_t)(h >> 16) | 1;
}

/* FIN or RST: the short timeout; a new SYN on a closing tuple: a new flow. */
static inline void tcp_state(struct gk_wg_rpath *t, struct gk_wg_rpath_flow *f,
			     uint8_t tf)
{
	if (f->proto != 6)
		return;
	if ((tf & (TCP_FIN | TCP_RST)) && !f->closing) {
		f->closing = 1;
		t->cnt[GK_WG_RPATH_CLOSED]++;
	} else if (f->closing && (tf & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN) {
		f->closing = 0;
	}
}

/*
 * The flow of k: its slot, else a free or expired one, else the least
 * recently used of the bucket (evicted, counted), set up for k. *fresh
 * says a new flow starts there (a match past its timeout starts over).
 */
static struct gk_wg_rpath_flow *slot(struct gk_wg_rpath *t,
				     const struct tuple *k, uint64_t now_ns,
				     bool *fresh)
{
	struct gk_wg_rpath_flow *f;
	int free_ = -1, old = -1;
	struct where w;
	size_t alen;
	unsigned i;

	bucket(t, k, &w);
	for (i = 0; i < GK_WG_RPATH_WAYS; i++) {
		f = &w.f[i];
		if (!w.tag[i]) {
			if (free_ < 0)
				free_ = (int)i;
			continue;
		}
		if (w.tag[i] == w.tg && same(f, k)) {
			*fresh = expired(f, now_ns);
			if (*fresh) {
				t->cnt[GK_WG_RPATH_EXPIRED]++;
				f->closing = 0;
			}
			return f;
		}
		if (free_ < 0 && expired(f, now_ns)) {
			free_ = (int)i;
			continue;
		}
		if (old < 0 || f->last_ns < w.f[old].last_ns)
			old = (int)i;
	}
	if (free_ < 0) {
		free_ = old;
		t->cnt[GK_WG_RPATH_EVICTED]++;
	} else if (w.tag[free_]) {
		t->cnt[GK_WG_RPATH_EXPIRED]++;
	}
	f = &w.f[free_];
	if (w.tag[free_])
		forget(t, f, &w.tag[free_]);
	w.tag[free_] = w.tg;
	(*client(t, k->family, k->caddr))++;
	alen = k->family == 4 ? 4 : 16;
	memset(f, 0, sizeof(*f));
	f->used = 1;
	f->family = k->family;
	f->proto = k->proto;
	f->bport = k->bport;
	f->cport = k->cport;
	memcpy(f->baddr, k->baddr, alen);
	memcpy(f->caddr, k->caddr, alen);
	f->peer_id = UINT32_MAX;
	t->live++;
	*fresh = true;
	return f;
}

/* Queue f for the other workers (share). */
static void tell(struct gk_wg_rpath *t, struct gk_wg_rpath_flow *f,
		 uint64_t now_ns)
{
	struct gk_wg_rpath_msg *m;

	f->sync = (uint32_t)(now_ns >> 30);
	if (unlikely(t->nr_out == GK_WG_RPATH_OUTBOX)) {
		t->cnt[GK_WG_RPATH_SHARE_FULL]++;
		return;
	}
	m = &t->out[t->nr_out++];
	memset(m, 0, sizeof(*m));
	m->family = f->family;
	m->proto = f->proto;
	m->closing = f->closing;
	m->bport = f->bport;
	m->cport = f->cport;
	m->peer = f->peer;
	m->peer_id = f->peer_id;
	memcpy(m->baddr, f->baddr, 16);
	memcpy(m->caddr, f->caddr, 16);
}

void gk_wg_rpath_learn(struct gk_wg_rpath *t, const struct gk_pkt *p,
		       uint32_t peer, uint32_t peer_id, uint64_t now_ns)
{
	struct gk_wg_rpath_flow *f;
	struct tuple k;
	bool fresh, news;
	uint8_t closing;

	t->cnt[GK_WG_RPATH_FOREIGN_SRC]++;
	if (!tuple_of(p, false, &k)) {
		t->cnt[GK_WG_RPATH_NOT_LEARNED]++;
		return;
	}
	f = slot(t, &k, now_ns, &fresh);
	news = fresh;
	if (fresh) {
		t->cnt[GK_WG_RPATH_LEARNED]++;
	} else {
		t->cnt[GK_WG_RPATH_REFRESHED]++;
		if (f->peer_id != peer_id) {
			t->cnt[GK_WG_RPATH_MOVED]++;
			news = true;
		}
	}
	f->peer = peer;
	f->peer_id = peer_id;
	f->last_ns = now_ns;
	closing = f->closing;
	tcp_state(t, f, k.tcp_flags);
	if (t->share && (news || closing != f->closing ||
			 f->sync != (uint32_t)(now_ns >> 30)))
		tell(t, f, now_ns);
}

void gk_wg_rpath_apply(struct gk_wg_rpath *t, const struct gk_wg_rpath_msg *m,
		       uint64_t now_ns)
{
	struct gk_wg_rpath_flow *f;
	struct tuple k = {
		.family = m->family, .proto = m->proto, .bport = m->bport,
		.cport = m->cport, .baddr = m->baddr, .caddr = m->caddr,
	};
	bool fresh;

	if (m->family != 4 && m->family != 6)
		return;
	t->cnt[GK_WG_RPATH_SYNCED]++;
	f = slot(t, &k, now_ns, &fresh);
	f->peer = m->peer;
	f->peer_id = m->peer_id;
	f->last_ns = now_ns;
	f->closing = m->closing ? 1 : 0;
}

/* The flow's peer in s, by index, else by id (peers moved); or none. */
static uint32_t peer_of(struct gk_wg_rpath_flow *f, const struct gk_wg_peers *s)
{
	uint32_t i;

	if (likely(f->peer < s->nr_peers && s->peers[f->peer].id == f->peer_id))
		return s->peers[f->peer].rpath ? f->peer : GK_WG_NO_PEER;
	for (i = 0; i < s->nr_peers; i++)
		if (s->peers[i].id == f->peer_id) {
			f->peer = i;
			return s->peers[i].rpath ? i : GK_WG_NO_PEER;
		}
	return GK_WG_NO_PEER;
}

uint32_t gk_wg_rpath_lookup(struct gk_wg_rpath *t, const struct gk_wg_peers *s,
			    const struct gk_pkt *p, uint64_t now_ns, bool touch)
{
	struct gk_wg_rpath_flow *f;
	struct where w;
	struct tuple k;
	uint32_t peer;
	unsigned i;

	if (!t->live || !tuple_of(p, true, &k) ||
	    !*client(t, k.family, k.caddr))
		return GK_WG_NO_PEER;
	/* One cache line of tags decides the other misses. */
	bucket(t, &k, &w);
	for (i = 0; i < GK_WG_RPATH_WAYS; i++) {
		if (w.tag[i] != w.tg)
			continue;
		f = &w.f[i];
		if (!same(f, &k))
			continue;
		if (expired(f, now_ns)) {
			forget(t, f, &w.tag[i]);
			t->cnt[GK_WG_RPATH_EXPIRED]++;
			return GK_WG_NO_PEER;
		}
		peer = peer_of(f, s);
		if (peer == GK_WG_NO_PEER) {
			forget(t, f, &w.tag[i]);
			t->cnt[GK_WG_RPATH_STALE_PEER]++;
			return GK_WG_NO_PEER;
		}
		if (touch) {
			t->cnt[GK_WG_RPATH_HITS]++;
			/* an error is no sign of life */
			if (!k.error) {
				f->last_ns = now_ns;
				tcp_state(t, f, k.tcp_flags);
			}
		}
		return peer;
	}
	return GK_WG_NO_PEER;
}
