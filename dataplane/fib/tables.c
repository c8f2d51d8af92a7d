/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>

#include "tables.h"

struct gk_tables *gk_tables_new(struct gk_fib *fib, uint64_t generation)
{
	struct gk_tables *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->fib = fib;
	t->generation = generation;
	return t;
}

void gk_tables_free(struct gk_tables *t)
{
	if (!t)
		return;
	gk_fib_free(t->fib);
	free(t);
}

static void free_rcu(struct rcu_head *head)
{
	gk_tables_free(caa_container_of(head, struct gk_tables, rcu));
}

void gk_tables_publish(struct gk_tables **slot, struct gk_tables *next)
{
	struct gk_tables *old = rcu_xchg_pointer(slot, next);

	if (old)
		call_rcu(&old->rcu, free_rcu);
}
