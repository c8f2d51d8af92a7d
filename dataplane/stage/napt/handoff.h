/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet handoff between workers (NAPT44 ownership, docs/napt.md; the
 * front door's client_ip = snat replies use a set of their own).
 *
 * An XDP program cannot redirect a frame to another queue's AF_XDP socket,
 * so a packet may land on a worker that does not own its NAT state. That
 * worker copies it (length, bytes, metadata, stage) into the SPSC ring
 * (from, to) and frees its own buffer; the owner pops it once per pass,
 * copies it into a buffer of its own UMEM and processes it as if received.
 * One ring per ordered pair keeps every ring single-producer single-
 * consumer: no locks, no atomics beyond the ring's own.
 */
#ifndef GK_HANDOFF_H
#define GK_HANDOFF_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"

#define GK_HANDOFF_DATA		2048	/* largest frame carried, bytes */

/* Where the owner resumes: before NAPT out, or before NAPT in. */
enum { GK_HANDOFF_OUT = 1, GK_HANDOFF_IN = 2 };

struct gk_handoff_pkt {
	uint16_t len;
	uint16_t in_port;
	uint8_t stage;			/* GK_HANDOFF_* */
	uint8_t pad[3];
	struct gk_xdp_meta meta;
	uint8_t data[GK_HANDOFF_DATA];
};

struct gk_handoff;

/* nr_workers >= 1; ring_pow2 slots per ordered pair. NULL on bad args/ENOMEM. */
struct gk_handoff *gk_handoff_create(unsigned nr_workers, unsigned ring_pow2);
void gk_handoff_free(struct gk_handoff *h);
unsigned gk_handoff_workers(const struct gk_handoff *h);

/*
 * Producer (worker @from): copies @p for worker @to. false when the ring
 * is full or the frame is larger than GK_HANDOFF_DATA: the caller drops.
 */
bool gk_handoff_push(struct gk_handoff *h, unsigned from, unsigned to,
		     const struct gk_pkt *p, uint8_t stage);
/* Consumer (worker @to): up to @max copies from worker @from. */
unsigned gk_handoff_pop(struct gk_handoff *h, unsigned from, unsigned to,
			struct gk_handoff_pkt *out, unsigned max);
/* Consumer (worker @to): copies waiting from worker @from. */
unsigned gk_handoff_avail(struct gk_handoff *h, unsigned from,
			  unsigned to);

/*
 * Static mappings break the outbound hash rule: their LAN endpoint's
 * packets belong to the owner of the public port. genkand (one writer)
 * records them here; workers look them up lock-free (atomic slots).
 * @addr host order. Owner < 128. set/del: 0, -ENOSPC, -ENOENT.
 */
#define GK_HANDOFF_STATIC_SLOTS	1024
int gk_handoff_static_set(struct gk_handoff *h, uint8_t proto, uint32_t addr,
			  uint16_t port, unsigned owner);
int gk_handoff_static_del(struct gk_handoff *h, uint8_t proto, uint32_t addr,
			  uint16_t port);
/* The owner, or -1 when the endpoint has no static mapping. */
int gk_handoff_static_owner(const struct gk_handoff *h, uint8_t proto,
			    uint32_t addr, uint16_t port);

#endif
