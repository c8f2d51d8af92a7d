/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * client_ip = snat (docs/l4.md "client_ip = snat"): a new flow's source
 * becomes a pool address:port, for backends that cannot route back to
 * the client. Each worker of nr_workers owns the pool ports p with
 * p % nr_workers == its id, on every pool address, so it allocates
 * without locks (as NAPT's port ownership) and a reply's owner is its
 * destination port % nr_workers. Per pool address and worker, a flow
 * index per owned port (the reply's lookup) and a bitmap of the same
 * (the allocator's scan); per service and worker, a cursor and a count.
 * A flow gives its port back when it is evicted, its slot is reused or
 * it restarts after expiring; a full pool takes the port of an expired
 * flow found near the cursor (ports go out in order: the oldest are
 * there), else the packet is dropped (snat_exhausted).
 *
 * The functions below are what the reverse path and the ICMP error
 * translation use; all run on the worker that owns the ctx.
 */
#ifndef GK_STAGE_L4_SNAT_H
#define GK_STAGE_L4_SNAT_H

#include <stdbool.h>
#include <stdint.h>

#include "l4.h"

/* Pool ports probed for an expired holder when the pool is full. */
#define GK_L4_SNAT_RECLAIM	256

/* Builder (gk_l4_table_new): t->pool[] and each snat service's snat_pidx. */
int gk_l4_snat_index(struct gk_l4_table *t);

/* This worker's pool state, sized by t (services cannot change without a
 * restart). 0 or -ENOMEM; fini is idempotent. */
int gk_l4_snat_init(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		    unsigned wid, unsigned nr_workers);
void gk_l4_snat_fini(struct gk_l4_ctx *c);

/*
 * port / nr_workers: the slot of a pool port in its owner's arrays. A
 * multiply, not a division, on the reply path (Lemire, Kaser and Kurz,
 * "Faster remainder by direct computation", 2019: exact for 32-bit
 * numerators).
 */
static inline uint32_t gk_l4_snat_slot(const struct gk_l4_ctx *c,
				       uint16_t port)
{
	if (c->nr_workers <= 1)
		return port;
	return (uint32_t)(((unsigned __int128)c->wmul * port) >> 64);
}

/* The worker owning a pool port (host order): port % nr_workers. */
static inline unsigned gk_l4_snat_owner(const struct gk_l4_ctx *c,
					uint16_t port)
{
	if (c->nr_workers <= 1)
		return 0;
	return port - gk_l4_snat_slot(c, port) * c->nr_workers;
}

/* Pool ports of service s this worker may hand out (all its addresses). */
uint32_t gk_l4_snat_capacity(const struct gk_l4_ctx *c,
			     const struct gk_l4_service *s);

/* f (fresh, of snat service svc) gets a pool address:port; false:
 * exhausted (the caller counts the drop; f untouched). */
bool gk_l4_snat_alloc(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		      uint32_t svc, struct gk_l4_flow *f);
/* Gives f's pool port back (none: nothing). */
void gk_l4_snat_release(struct gk_l4_ctx *c, struct gk_l4_flow *f);

/* The table's pool index of addr if it is one of s's pool addresses, or -1. */
int gk_l4_snat_pool_of(const struct gk_l4_service *s, const uint8_t *addr);

/*
 * The live flow on this worker holding pool[pidx]:port for proto, or
 * NULL. The caller checks the peer end (a reply's source must be the
 * flow's backend: gk_l4_snat_backend()).
 */
struct gk_l4_flow *gk_l4_snat_find(struct gk_l4_ctx *c, uint32_t pidx,
				   uint16_t port, uint8_t proto);

/* The backend address and port (host order) a flow of s talks to. */
static inline const uint8_t *gk_l4_snat_backend(const struct gk_l4_service *s,
						const struct gk_l4_flow *f,
						uint16_t *port)
{
	const struct gk_l4_backend *b = &s->be[f->be];

	*port = b->port ? b->port : f->lport;
	return b->addr;
}

#endif
