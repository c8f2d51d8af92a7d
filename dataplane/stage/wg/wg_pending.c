// SPDX-License-Identifier: BSD-3-Clause
/* Packets waiting for a handshake; see wg_pending.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wg_pending.h"

const char *const gk_wg_pending_cnt_names[GK_WG_PENDING_CNT_MAX] = {
#define GK_X(n, s) [GK_WG_PENDING_##n] = s,
	GK_WG_PENDING_CNT_LIST(GK_X)
#undef GK_X
};

struct slot {
	uint32_t older, newer;	/* age list */
	uint32_t next;		/* same peer, younger */
	uint32_t peer;
	uint64_t born_ns;
	uint32_t len;
	uint16_t in_port;
	struct gk_xdp_meta meta;
	uint8_t data[];
};

static inline struct slot *slot(const struct gk_wg_pending *s, uint32_t i)
{
	return (struct slot *)(s->mem + (size_t)i * s->stride);
}

int gk_wg_pending_init(struct gk_wg_pending *s, uint32_t max_peers,
		     uint32_t nr_slots, uint32_t per_peer, uint32_t frame_max)
{
	uint32_t i;

	memset(s, 0, sizeof(*s));
	if (!max_peers || !nr_slots || !per_peer || !frame_max ||
	    nr_slots >= GK_WG_PENDING_NIL || frame_max > 65536)
		return -EINVAL;
	s->stride = (uint32_t)((sizeof(struct slot) + frame_max + 63) & ~63ul);
	s->q = calloc(max_peers, sizeof(*s->q));
	s->active = calloc(max_peers, sizeof(*s->active));
	s->mem = aligned_alloc(64, (size_t)nr_slots * s->stride);
	if (!s->q || !s->active || !s->mem) {
		gk_wg_pending_fini(s);
		return -ENOMEM;
	}
	s->max_peers = max_peers;
	s->nr_slots = nr_slots;
	s->per_peer = per_peer;
	s->frame_max = frame_max;
	for (i = 0; i < max_peers; i++)
		s->q[i].head = s->q[i].tail = GK_WG_PENDING_NIL;
	for (i = 0; i < nr_slots; i++)
		slot(s, i)->next = i + 1 < nr_slots ? i + 1 : GK_WG_PENDING_NIL;
	s->free = 0;
	s->oldest = s->newest = GK_WG_PENDING_NIL;
	return 0;
}

void gk_wg_pending_fini(struct gk_wg_pending *s)
{
	free(s->q);
	free(s->active);
	free(s->mem);
	s->q = NULL;
	s->active = NULL;
	s->mem = NULL;
	s->used = s->ready = 0;
}

static void activate(struct gk_wg_pending *s, uint32_t id)
{
	s->q[id].apos = s->nr_active;
	s->q[id].ready = false;
	s->active[s->nr_active++] = id;
}

static void deactivate(struct gk_wg_pending *s, uint32_t id)
{
	uint32_t pos = s->q[id].apos, last = s->active[--s->nr_active];

	s->active[pos] = last;
	s->q[last].apos = pos;
	s->q[id].ready = false;
}

/* Takes peer id's oldest packet off both lists; returns its slot. */
static uint32_t take_head(struct gk_wg_pending *s, uint32_t id)
{
	struct gk_wg_pending_q *q = &s->q[id];
	uint32_t i = q->head;
	struct slot *sl = slot(s, i);

	q->head = sl->next;
	if (q->head == GK_WG_PENDING_NIL)
		q->tail = GK_WG_PENDING_NIL;
	if (sl->older != GK_WG_PENDING_NIL)
		slot(s, sl->older)->newer = sl->newer;
	else
		s->oldest = sl->newer;
	if (sl->newer != GK_WG_PENDING_NIL)
		slot(s, sl->newer)->older = sl->older;
	else
		s->newest = sl->older;
	s->used--;
	if (q->ready)
		s->ready--;
	if (!--q->n)
		deactivate(s, id);
	return i;
}

static inline void put_free(struct gk_wg_pending *s, uint32_t i)
{
	slot(s, i)->next = s->free;
	s->free = i;
}

/* A frame (held or offered) that leaves as a drop. */
static inline void count_drop(struct gk_wg_pending *s,
			      enum gk_wg_pending_cnt why)
{
	s->cnt[why]++;
	if (s->wk_drops)
		(*s->wk_drops)++;
}

static void drop_head(struct gk_wg_pending *s, uint32_t id,
		      enum gk_wg_pending_cnt why)
{
	put_free(s, take_head(s, id));
	count_drop(s, why);
}

void gk_wg_pending_push(struct gk_wg_pending *s, uint32_t id,
		      const struct gk_pkt *p, uint64_t now_ns)
{
	struct gk_wg_pending_q *q;
	struct slot *sl;
	uint32_t i;

	if (unlikely(id >= s->max_peers)) {
		count_drop(s, GK_WG_PENDING_FULL);
		return;
	}
	if (unlikely(p->len > s->frame_max)) {
		count_drop(s, GK_WG_PENDING_TOO_BIG);
		return;
	}
	q = &s->q[id];
	if (q->n >= s->per_peer)
		drop_head(s, id, GK_WG_PENDING_FULL);
	else if (s->free == GK_WG_PENDING_NIL)
		drop_head(s, slot(s, s->oldest)->peer, GK_WG_PENDING_FULL);

	i = s->free;
	sl = slot(s, i);
	s->free = sl->next;
	sl->next = GK_WG_PENDING_NIL;
	sl->peer = id;
	sl->born_ns = now_ns;
	sl->len = p->len;
	sl->in_port = p->in_port;
	sl->meta = p->meta;
	memcpy(sl->data, p->data, p->len);

	sl->newer = GK_WG_PENDING_NIL;
	sl->older = s->newest;
	if (s->newest != GK_WG_PENDING_NIL)
		slot(s, s->newest)->newer = i;
	else
		s->oldest = i;
	s->newest = i;
	if (q->tail != GK_WG_PENDING_NIL)
		slot(s, q->tail)->next = i;
	else
		q->head = i;
	q->tail = i;
	if (!q->n++)
		activate(s, id);
	else if (q->ready)
		s->ready++;
	s->used++;
	s->cnt[GK_WG_PENDING_STAGED]++;
}

static void drop_peer(struct gk_wg_pending *s, uint32_t id)
{
	while (s->q[id].n)
		drop_head(s, id, GK_WG_PENDING_GONE);
}

void gk_wg_pending_sync(struct gk_wg_pending *s, const struct gk_wg_peers *t,
		      uint64_t now_ns)
{
	uint32_t i, k;

	/* Age order: only the old end can have expired. */
	while (s->oldest != GK_WG_PENDING_NIL) {
		const struct slot *sl = slot(s, s->oldest);

		if (!(now_ns > sl->born_ns &&
		      now_ns - sl->born_ns >= GK_WG_REKEY_ATTEMPT_TIME_NS))
			break;
		drop_head(s, sl->peer, GK_WG_PENDING_EXPIRED);
	}
	/*
	 * Compare the clock too: a new snapshot may reuse a freed one's
	 * address, and a keypair may have aged out.
	 */
	if (!s->used || (t == s->seen && now_ns == s->seen_ns))
		return;
	s->seen = t;
	s->seen_ns = now_ns;
	if (!t)
		return;
	s->epoch++;
	for (i = 0; i < t->nr_peers; i++) {
		const struct gk_wg_peer *pe = &t->peers[i];
		struct gk_wg_pending_q *q;
		bool ready;

		if (pe->id >= s->max_peers || !s->q[pe->id].n)
			continue;
		q = &s->q[pe->id];
		q->mark = s->epoch;
		ready = gk_wg_pending_usable(t, pe, now_ns);
		if (ready && !q->ready)
			s->ready += q->n;
		else if (!ready && q->ready)
			s->ready -= q->n;
		q->ready = ready;
	}
	/* Backwards: a removal moves the last entry, already visited, here. */
	for (k = s->nr_active; k-- > 0;) {
		uint32_t id = s->active[k];

		if (s->q[id].mark != s->epoch)
			drop_peer(s, id);
	}
}

uint16_t gk_wg_pending_pop(struct gk_wg_pending *s, struct gk_pkt **pkts,
			 uint16_t n)
{
	uint16_t got = 0;
	uint32_t k;

	for (k = s->nr_active; k-- > 0 && got < n;) {
		uint32_t id = s->active[k];

		if (!s->q[id].ready)
			continue;
		/* take_head may move another id into slot k: visited already */
		while (got < n && s->q[id].n) {
			uint32_t i = take_head(s, id);
			const struct slot *sl = slot(s, i);
			struct gk_pkt *p = pkts[got];

			if (unlikely(sl->len > p->buf_len)) {
				put_free(s, i);
				count_drop(s, GK_WG_PENDING_TOO_BIG);
				continue;
			}
			memcpy(p->data, sl->data, sl->len);
			p->len = sl->len;
			p->meta = sl->meta;
			p->in_port = sl->in_port;
			p->out_port = 0;
			p->verdict = GK_V_NONE;
			p->drop_reason = 0;
			put_free(s, i);
			got++;
		}
	}
	s->cnt[GK_WG_PENDING_SENT] += got;
	return got;
}
