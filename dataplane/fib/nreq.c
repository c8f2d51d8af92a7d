/* SPDX-License-Identifier: BSD-3-Clause */
#include "efd.h"
#include "nreq.h"
#include "spsc.h"

/*
 * A gk_nreq_ring is a gk_spsc of struct gk_nreq: the handle is the generic
 * ring itself, never dereferenced as its own type, which only keeps a
 * caller from pushing some other element into it.
 */
static inline struct gk_spsc *spsc(struct gk_nreq_ring *r)
{
	return (struct gk_spsc *)r;
}

struct gk_nreq_ring *gk_nreq_ring_create(unsigned int size_pow2)
{
	return (struct gk_nreq_ring *)gk_spsc_create(sizeof(struct gk_nreq),
						     size_pow2);
}

void gk_nreq_ring_destroy(struct gk_nreq_ring *r)
{
	gk_spsc_destroy(spsc(r));
}

bool gk_nreq_push(struct gk_nreq_ring *r, const struct gk_nreq *q)
{
	return gk_spsc_push(spsc(r), q);
}

unsigned int gk_nreq_pop(struct gk_nreq_ring *r, struct gk_nreq *out,
			 unsigned int max)
{
	return gk_spsc_pop(spsc(r), out, max);
}

void gk_nreq_wake(struct gk_nreq_wake *w)
{
	if (!w)
		return;
	/* The push before is seen by whoever sees this load's answer. */
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(&w->armed, memory_order_relaxed) ||
	    !atomic_exchange_explicit(&w->armed, false, memory_order_acq_rel))
		return;
	if (gk_efd_signal(w->efd))
		atomic_fetch_add_explicit(&w->failed, 1, memory_order_relaxed);
}

void gk_nreq_wake_arm(struct gk_nreq_wake *w)
{
	atomic_store_explicit(&w->armed, true, memory_order_seq_cst);
	atomic_thread_fence(memory_order_seq_cst);
}
