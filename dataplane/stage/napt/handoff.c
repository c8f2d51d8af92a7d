// SPDX-License-Identifier: BSD-3-Clause
/* Worker-to-worker packet handoff; see handoff.h. */
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <stdatomic.h>

#include "handoff.h"
#include "spsc.h"

#define ST_VALID	(1ull << 63)
#define ST_KEY		((1ull << 56) - 1)
#define ST_TOMB		1ull		/* deleted: probing goes on */

struct gk_handoff {
	_Atomic unsigned nr_static;	/* live static entries */
	_Atomic uint64_t st[GK_HANDOFF_STATIC_SLOTS];
	unsigned nr;
	struct gk_spsc *ring[];		/* [from * nr + to]; NULL on the diagonal */
};

struct gk_handoff *gk_handoff_create(unsigned nr_workers, unsigned ring_pow2)
{
	struct gk_handoff *h;
	unsigned f, t;

	if (!nr_workers || nr_workers > 1024)
		return NULL;
	h = calloc(1, sizeof(*h) + sizeof(h->ring[0]) * nr_workers * nr_workers);
	if (!h)
		return NULL;
	h->nr = nr_workers;
	for (f = 0; f < nr_workers; f++) {
		for (t = 0; t < nr_workers; t++) {
			if (f == t)
				continue;
			h->ring[f * nr_workers + t] =
				gk_spsc_create(sizeof(struct gk_handoff_pkt),
					       ring_pow2);
			if (!h->ring[f * nr_workers + t]) {
				gk_handoff_free(h);
				return NULL;
			}
		}
	}
	return h;
}

void gk_handoff_free(struct gk_handoff *h)
{
	unsigned i;

	if (!h)
		return;
	for (i = 0; i < h->nr * h->nr; i++)
		gk_spsc_destroy(h->ring[i]);
	free(h);
}

unsigned gk_handoff_workers(const struct gk_handoff *h)
{
	return h->nr;
}

bool gk_handoff_push(struct gk_handoff *h, unsigned from, unsigned to,
		     const struct gk_pkt *p, uint8_t stage)
{
	struct gk_handoff_pkt e;

	if (unlikely(from >= h->nr || to >= h->nr || from == to ||
		     p->len > GK_HANDOFF_DATA))
		return false;
	/* Only the used bytes: the ring copies the whole element anyway. */
	e.len = (uint16_t)p->len;
	e.in_port = p->in_port;
	e.stage = stage;
	memset(e.pad, 0, sizeof(e.pad));
	e.meta = p->meta;
	memcpy(e.data, p->data, p->len);
	return gk_spsc_push(h->ring[from * h->nr + to], &e);
}

unsigned gk_handoff_pop(struct gk_handoff *h, unsigned from, unsigned to,
			struct gk_handoff_pkt *out, unsigned max)
{
	if (from >= h->nr || to >= h->nr || from == to)
		return 0;
	return gk_spsc_pop(h->ring[from * h->nr + to], out, max);
}

unsigned gk_handoff_avail(struct gk_handoff *h, unsigned from,
			  unsigned to)
{
	if (from >= h->nr || to >= h->nr || from == to)
		return 0;
	return gk_spsc_avail(h->ring[from * h->nr + to]);
}

static inline uint64_t st_key(uint8_t proto, uint32_t addr, uint16_t port)
{
	return (uint64_t)proto << 48 | (uint64_t)addr << 16 | port;
}

static inline unsigned st_slot(uint64_t key)
{
	key *= 0x9e3779b97f4a7c15ull;
	return (unsigned)(key >> 54) & (GK_HANDOFF_STATIC_SLOTS - 1);
}

int gk_handoff_static_owner(const struct gk_handoff *h, uint8_t proto,
			    uint32_t addr, uint16_t port)
{
	uint64_t key = st_key(proto, addr, port), v;
	unsigned i, s;

	if (likely(!atomic_load_explicit(&h->nr_static, memory_order_relaxed)))
		return -1;
	for (i = 0, s = st_slot(key); i < GK_HANDOFF_STATIC_SLOTS; i++) {
		v = atomic_load_explicit(&h->st[(s + i) & (GK_HANDOFF_STATIC_SLOTS - 1)],
					 memory_order_acquire);
		if (!v)
			return -1;
		if ((v & ST_VALID) && (v & ST_KEY) == key)
			return (int)(v >> 56 & 0x7f);
	}
	return -1;
}

/* Single writer (genkand): finds the key's slot, or -1. */
static int st_find(const struct gk_handoff *h, uint64_t key, int *free_slot)
{
	unsigned i, s, j;
	uint64_t v;

	*free_slot = -1;
	for (i = 0, s = st_slot(key); i < GK_HANDOFF_STATIC_SLOTS; i++) {
		j = (s + i) & (GK_HANDOFF_STATIC_SLOTS - 1);
		v = atomic_load_explicit(&h->st[j], memory_order_relaxed);
		if ((v & ST_VALID) && (v & ST_KEY) == key)
			return (int)j;
		if (!(v & ST_VALID) && *free_slot < 0)
			*free_slot = (int)j;
		if (!v)
			break;
	}
	return -1;
}

int gk_handoff_static_set(struct gk_handoff *h, uint8_t proto, uint32_t addr,
			  uint16_t port, unsigned owner)
{
	uint64_t key = st_key(proto, addr, port);
	int j, fs;

	if (owner > 0x7f)
		return -EINVAL;
	j = st_find(h, key, &fs);
	if (j < 0) {
		if (fs < 0)
			return -ENOSPC;
		j = fs;
		atomic_fetch_add_explicit(&h->nr_static, 1, memory_order_relaxed);
	}
	atomic_store_explicit(&h->st[j], ST_VALID | (uint64_t)owner << 56 | key,
			      memory_order_release);
	return 0;
}

int gk_handoff_static_del(struct gk_handoff *h, uint8_t proto, uint32_t addr,
			  uint16_t port)
{
	int j, fs;

	j = st_find(h, st_key(proto, addr, port), &fs);
	if (j < 0)
		return -ENOENT;
	atomic_store_explicit(&h->st[j], ST_TOMB, memory_order_release);
	atomic_fetch_sub_explicit(&h->nr_static, 1, memory_order_relaxed);
	return 0;
}
