/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "neigh_hold.h"

struct slot {
	uint64_t deadline;		/* 0: free */
	uint64_t seq;			/* arrival order */
	uint32_t ifindex, len;
	uint16_t in_port, queue;
	uint8_t family;
	uint8_t ready;			/* neighbour known: to be sent */
	uint8_t addr[16];
	struct gk_xdp_meta meta;
	uint8_t *frame;
};

struct gk_nhold {
	unsigned nr, per_neigh, used, ready;
	uint32_t frame_len;
	uint64_t seq;
	uint64_t next_exp;		/* no deadline before this */
	struct slot *s;
	uint8_t *mem;
};

struct gk_nhold *gk_nhold_new(unsigned nr, unsigned per_neigh,
			      uint32_t frame_len)
{
	struct gk_nhold *h;
	unsigned i;

	if (!nr || !per_neigh || !frame_len)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->nr = nr;
	h->per_neigh = per_neigh;
	h->frame_len = frame_len;
	h->s = calloc(nr, sizeof(*h->s));
	h->mem = malloc((size_t)nr * frame_len);
	if (!h->s || !h->mem) {
		gk_nhold_free(h);
		return NULL;
	}
	for (i = 0; i < nr; i++)
		h->s[i].frame = h->mem + (size_t)i * frame_len;
	return h;
}

void gk_nhold_free(struct gk_nhold *h)
{
	if (!h)
		return;
	free(h->mem);
	free(h->s);
	free(h);
}

unsigned gk_nhold_count(const struct gk_nhold *h)
{
	return h ? h->used : 0;
}

static bool same(const struct slot *s, uint8_t family, uint32_t ifindex,
		 const uint8_t *addr)
{
	return s->family == family && s->ifindex == ifindex &&
	       !memcmp(s->addr, addr, family == AF_INET ? 4 : 16);
}

static void put(struct gk_nhold *h, struct slot *s)
{
	if (s->ready)
		h->ready--;
	s->deadline = 0;
	s->ready = 0;
	h->used--;
}

int gk_nhold_add(struct gk_nhold *h, const struct gk_pkt *p, uint8_t family,
		 uint32_t ifindex, const uint8_t *addr, uint64_t now_ns)
{
	struct slot *room = NULL;
	unsigned i, mine = 0;

	if (p->len > h->frame_len)
		return -E2BIG;
	if (h->used == h->nr)
		return -ENOSPC;
	for (i = 0; i < h->nr; i++) {
		struct slot *s = &h->s[i];

		if (!s->deadline) {
			if (!room)
				room = s;
		} else if (same(s, family, ifindex, addr) &&
			   ++mine == h->per_neigh) {
			return -ENOSPC;
		}
	}
	memcpy(room->frame, p->data, p->len);
	room->len = p->len;
	room->in_port = p->in_port;
	room->queue = p->queue;
	room->meta = p->meta;
	room->family = family;
	room->ifindex = ifindex;
	memset(room->addr, 0, sizeof(room->addr));
	memcpy(room->addr, addr, family == AF_INET ? 4 : 16);
	room->ready = 0;
	room->seq = h->seq++;
	/* never 0: that marks a free slot */
	room->deadline = (now_ns ? now_ns : 1) + GK_NHOLD_NS;
	if (!h->used++ || room->deadline < h->next_exp)
		h->next_exp = room->deadline;
	return 0;
}

unsigned gk_nhold_expire(struct gk_nhold *h, uint64_t now_ns)
{
	uint64_t next = UINT64_MAX;
	unsigned i, n = 0;

	if (!h->used || now_ns < h->next_exp)
		return 0;
	for (i = 0; i < h->nr; i++) {
		struct slot *s = &h->s[i];

		if (!s->deadline)
			continue;
		if (s->deadline <= now_ns) {
			put(h, s);
			n++;
		} else if (s->deadline < next) {
			next = s->deadline;
		}
	}
	h->next_exp = next;
	return n;
}

unsigned gk_nhold_resolve(struct gk_nhold *h, const struct gk_neigh_tbl *neigh)
{
	unsigned i;

	if (!neigh || h->ready == h->used)
		return h->ready;
	for (i = 0; i < h->nr; i++) {
		struct slot *s = &h->s[i];

		if (!s->deadline || s->ready ||
		    !gk_neigh_lookup(neigh, s->family, s->ifindex, s->addr))
			continue;
		s->ready = 1;
		h->ready++;
	}
	return h->ready;
}

int gk_nhold_pop(struct gk_nhold *h, struct gk_nhold_pkt *out)
{
	struct slot *best = NULL;
	unsigned i;

	if (!h->ready)
		return 0;
	for (i = 0; i < h->nr; i++) {
		struct slot *s = &h->s[i];

		if (s->deadline && s->ready && (!best || s->seq < best->seq))
			best = s;
	}
	out->frame = best->frame;
	out->len = best->len;
	out->in_port = best->in_port;
	out->queue = best->queue;
	out->meta = best->meta;
	put(h, best);
	return 1;
}

int gk_nhold_waiting(const struct gk_nhold *h, unsigned *pos, uint8_t *family,
		     uint32_t *ifindex, const uint8_t **addr)
{
	for (; *pos < h->nr; (*pos)++) {
		const struct slot *s = &h->s[*pos];

		if (!s->deadline || s->ready)
			continue;
		*family = s->family;
		*ifindex = s->ifindex;
		*addr = s->addr;
		(*pos)++;
		return 1;
	}
	return 0;
}

unsigned gk_nhold_flush(struct gk_nhold *h)
{
	unsigned n = h ? h->used : 0, i;

	for (i = 0; n && i < h->nr; i++)
		if (h->s[i].deadline)
			put(h, &h->s[i]);
	return n;
}
