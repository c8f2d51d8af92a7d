/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"
#include "spsc.h"

/*
 * head and tail count forever (wrap at 2^32) and are masked on use. Each
 * side caches the other's index so the shared line is only read when the
 * ring looks full (producer) or empty (consumer). The indices sit on lines
 * of their own so the two threads do not bounce one line between them.
 */
struct gk_spsc {
	_Atomic uint32_t head __gk_aligned;	/* written by the producer */
	uint32_t tail_cache;
	_Atomic uint32_t tail __gk_aligned;	/* written by the consumer */
	uint32_t head_cache;
	uint32_t mask __gk_aligned;
	uint32_t elem_size;
	/* 16-aligned so typed elements may be copied as such */
	unsigned char slots[] __attribute__((aligned(16)));
};

struct gk_spsc *gk_spsc_create(size_t elem_size, unsigned int size_pow2)
{
	struct gk_spsc *r;
	size_t sz;

	if (!elem_size || elem_size > UINT32_MAX ||
	    size_pow2 < 2 || size_pow2 > GK_SPSC_MAX ||
	    (size_pow2 & (size_pow2 - 1)))
		return NULL;
	if (elem_size > (SIZE_MAX - sizeof(*r) - GK_CACHELINE) / size_pow2)
		return NULL;
	sz = sizeof(*r) + (size_t)size_pow2 * elem_size;
	sz = (sz + GK_CACHELINE - 1) & ~(size_t)(GK_CACHELINE - 1);
	r = aligned_alloc(GK_CACHELINE, sz);
	if (!r)
		return NULL;
	memset(r, 0, sz);
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->mask = size_pow2 - 1;
	r->elem_size = (uint32_t)elem_size;
	return r;
}

void gk_spsc_destroy(struct gk_spsc *r)
{
	free(r);
}

bool gk_spsc_push(struct gk_spsc *r, const void *elem)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (head - r->tail_cache > r->mask) {
		r->tail_cache = atomic_load_explicit(&r->tail,
						     memory_order_acquire);
		if (head - r->tail_cache > r->mask)
			return false;
	}
	memcpy(r->slots + (size_t)(head & r->mask) * r->elem_size, elem,
	       r->elem_size);
	/* Release: the slot contents are visible before the new head. */
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return true;
}

unsigned int gk_spsc_pop(struct gk_spsc *r, void *out, unsigned int max)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	unsigned char *dst = out;
	uint32_t avail, n, first;

	if (r->head_cache == tail)
		r->head_cache = atomic_load_explicit(&r->head,
						     memory_order_acquire);
	avail = r->head_cache - tail;
	n = avail < max ? avail : max;
	if (!n)
		return 0;
	/* At most two copies: up to the end of the slots, then from 0. */
	first = r->mask + 1 - (tail & r->mask);
	if (first > n)
		first = n;
	memcpy(dst, r->slots + (size_t)(tail & r->mask) * r->elem_size,
	       (size_t)first * r->elem_size);
	if (n > first)
		memcpy(dst + (size_t)first * r->elem_size, r->slots,
		       (size_t)(n - first) * r->elem_size);
	/* Release: we are done reading the slots before handing them back. */
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
	return n;
}

void *gk_spsc_reserve(struct gk_spsc *r)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (head - r->tail_cache > r->mask) {
		r->tail_cache = atomic_load_explicit(&r->tail,
						     memory_order_acquire);
		if (head - r->tail_cache > r->mask)
			return NULL;
	}
	return r->slots + (size_t)(head & r->mask) * r->elem_size;
}

void gk_spsc_commit(struct gk_spsc *r)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	/* Release: the slot contents are visible before the new head. */
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

unsigned int gk_spsc_avail(struct gk_spsc *r)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (r->head_cache == tail)
		r->head_cache = atomic_load_explicit(&r->head,
						     memory_order_acquire);
	return r->head_cache - tail;
}

const void *gk_spsc_slot(const struct gk_spsc *r, unsigned int i)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	return r->slots + (size_t)((tail + i) & r->mask) * r->elem_size;
}

void gk_spsc_release(struct gk_spsc *r, unsigned int n)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	/* Release: we are done reading the slots before handing them back. */
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
}
