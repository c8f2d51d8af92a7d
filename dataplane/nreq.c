/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdatomic.h>
#include <stdlib.h>

#include "nreq.h"
#include "pkt.h"

/*
 * head and tail count forever (wrap at 2^32) and are masked on use. Each
 * side caches the other's index so the shared line is only read when the
 * ring looks full (producer) or empty (consumer).
 */
struct gk_nreq_ring {
	_Atomic uint32_t head __gk_aligned;	/* written by the producer */
	uint32_t tail_cache;
	_Atomic uint32_t tail __gk_aligned;	/* written by the consumer */
	uint32_t head_cache;
	uint32_t mask __gk_aligned;
	struct gk_nreq slots[];
};

struct gk_nreq_ring *gk_nreq_ring_create(unsigned int size_pow2)
{
	struct gk_nreq_ring *r;
	size_t sz;

	if (size_pow2 < 2 || size_pow2 > (1u << 24) ||
	    (size_pow2 & (size_pow2 - 1)))
		return NULL;
	sz = sizeof(*r) + (size_t)size_pow2 * sizeof(struct gk_nreq);
	sz = (sz + GK_CACHELINE - 1) & ~(size_t)(GK_CACHELINE - 1);
	r = aligned_alloc(GK_CACHELINE, sz);
	if (!r)
		return NULL;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->tail_cache = 0;
	r->head_cache = 0;
	r->mask = size_pow2 - 1;
	return r;
}

void gk_nreq_ring_destroy(struct gk_nreq_ring *r)
{
	free(r);
}

bool gk_nreq_push(struct gk_nreq_ring *r, const struct gk_nreq *q)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (head - r->tail_cache > r->mask) {
		r->tail_cache = atomic_load_explicit(&r->tail,
						     memory_order_acquire);
		if (head - r->tail_cache > r->mask)
			return false;
	}
	r->slots[head & r->mask] = *q;
	/* Release: the slot contents are visible before the new head. */
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return true;
}

unsigned int gk_nreq_pop(struct gk_nreq_ring *r, struct gk_nreq *out,
			 unsigned int max)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	unsigned int n = 0;

	if (r->head_cache == tail)
		r->head_cache = atomic_load_explicit(&r->head,
						     memory_order_acquire);
	while (n < max && tail != r->head_cache) {
		out[n++] = r->slots[tail & r->mask];
		tail++;
	}
	/* Release: we are done reading the slots before handing them back. */
	atomic_store_explicit(&r->tail, tail, memory_order_release);
	return n;
}
