/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bundle of snapshots workers read, published with liburcu QSBR.
 * Workers: rcu_dereference(*slot) once per poll loop iteration, use it for
 * the whole burst, and call rcu_quiescent_state() between bursts.
 * genkand: build a new bundle, gk_tables_publish() it; the old one is freed
 * after a grace period.
 */
#ifndef GK_TABLES_H
#define GK_TABLES_H

#include <stdint.h>
#include <urcu-qsbr.h>

#include "fib.h"

struct gk_tables {
	struct gk_fib *fib;
	uint64_t generation;	/* bumps on every publish, for stats/debug */
	struct rcu_head rcu;
};

/* Takes ownership of fib on success; on NULL (ENOMEM) the caller keeps it. */
struct gk_tables *gk_tables_new(struct gk_fib *fib, uint64_t generation);
/*
 * Daemon only; the calling thread must be registered with
 * rcu_register_thread(). next may be NULL (shutdown).
 */
void gk_tables_publish(struct gk_tables **slot, struct gk_tables *next);
/* Immediate free: for bundles never published or after synchronize_rcu(). */
void gk_tables_free(struct gk_tables *t);

#endif
