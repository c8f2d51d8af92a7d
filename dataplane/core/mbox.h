/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control mailbox: genkand runs a function on a worker's thread. Worker
 * state such as the NAPT tables (napt.h) is written by its worker only;
 * listing or changing it from genkand must happen there. One request slot
 * and two generations: genkand fills fn/arg and bumps req; the worker
 * checks once per pass (one relaxed load when idle), runs fn and sets ack.
 * No lock in the hot path; genkand waits with a timeout.
 */
#ifndef GK_MBOX_H
#define GK_MBOX_H

#include <stdatomic.h>
#include <stdint.h>

#include "pkt.h"

struct gk_mbox {
	_Atomic uint64_t req;
	_Atomic uint64_t ack;
	void (*fn)(void *arg, void *worker_ctx);
	void *arg;
};

/* Worker side, once per pass. */
static inline void gk_mbox_poll(struct gk_mbox *m, void *worker_ctx)
{
	uint64_t r = atomic_load_explicit(&m->req, memory_order_acquire);

	if (likely(r == atomic_load_explicit(&m->ack, memory_order_relaxed)))
		return;
	m->fn(m->arg, worker_ctx);
	atomic_store_explicit(&m->ack, r, memory_order_release);
}

/*
 * Control side (one caller at a time). Runs fn(arg) on the worker and
 * waits up to @timeout_ms. -ETIMEDOUT: the request stays posted, @arg must
 * stay valid until gk_mbox_idle(); -EBUSY: an earlier request is still
 * pending.
 */
int gk_mbox_call(struct gk_mbox *m, void (*fn)(void *arg, void *worker_ctx),
		 void *arg, unsigned timeout_ms);
/* True when no request is outstanding. */
int gk_mbox_idle(struct gk_mbox *m);

#endif
