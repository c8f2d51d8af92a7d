// SPDX-License-Identifier: BSD-3-Clause
/* Control mailbox, control side; see mbox.h. */
#include <errno.h>
#include <time.h>

#include "clock.h"
#include "mbox.h"

int gk_mbox_idle(struct gk_mbox *m)
{
	return atomic_load_explicit(&m->req, memory_order_relaxed) ==
	       atomic_load_explicit(&m->ack, memory_order_acquire);
}

int gk_mbox_call(struct gk_mbox *m, void (*fn)(void *arg, void *worker_ctx),
		 void *arg, unsigned timeout_ms)
{
	const struct timespec nap = { .tv_nsec = 200 * 1000 };
	uint64_t r, deadline;

	if (!gk_mbox_idle(m))
		return -EBUSY;
	m->fn = fn;
	m->arg = arg;
	r = atomic_load_explicit(&m->req, memory_order_relaxed) + 1;
	/* Release: fn and arg are visible before the worker sees req. */
	atomic_store_explicit(&m->req, r, memory_order_release);
	deadline = gk_mono_ns() + (uint64_t)timeout_ms * 1000000;
	while (atomic_load_explicit(&m->ack, memory_order_acquire) != r) {
		if (gk_mono_ns() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
	return 0;
}
