/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbor-resolution requests, worker -> genkand. A lock-free ring
 * (spsc.h) with exactly one producer (the worker) and one consumer
 * (genkand's control tick), so the worker never makes a syscall to ask
 * the kernel to resolve a next hop; at most one eventfd write wakes an
 * idle genkand (gk_nreq_wake).
 */
#ifndef GK_NREQ_H
#define GK_NREQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct gk_nreq {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t pad[3];
	uint32_t ifindex;
	uint8_t addr[16];	/* network order, IPv4 in the first 4 bytes */
};

struct gk_nreq_ring;

/* size_pow2 slots (a power of two >= 2); NULL on bad size or ENOMEM. */
struct gk_nreq_ring *gk_nreq_ring_create(unsigned int size_pow2);
void gk_nreq_ring_destroy(struct gk_nreq_ring *r);
/* Producer side only. False when the ring is full. */
bool gk_nreq_push(struct gk_nreq_ring *r, const struct gk_nreq *q);
/* Consumer side only. Returns how many were copied to out. */
unsigned int gk_nreq_pop(struct gk_nreq_ring *r, struct gk_nreq *out,
			 unsigned int max);

/*
 * genkand's wake-up, shared by all workers. While genkand's tick is slow
 * (an idle gateway) it arms this; the first worker that then queues a
 * request disarms it and writes the eventfd, so a first packet to a new
 * neighbour does not wait for a slow tick. Disarmed, it costs a load.
 */
struct gk_nreq_wake {
	_Atomic bool armed;
	int efd;			/* nonblocking eventfd genkand polls */
	_Atomic uint64_t failed;	/* eventfd writes that failed */
};

/* Producer side, after a successful gk_nreq_push(); w may be NULL. */
void gk_nreq_wake(struct gk_nreq_wake *w);
/*
 * Consumer side: arm, then look at the rings again (a request queued
 * just before the arm saw it disarmed and wrote nothing).
 */
void gk_nreq_wake_arm(struct gk_nreq_wake *w);

#endif
