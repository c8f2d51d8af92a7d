/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lock-free ring of fixed-size elements between exactly one producer
 * thread and one consumer thread (a worker and genkand). Neither side
 * takes a lock or makes a syscall, so a worker can hand work to the
 * daemon from the packet path. Typed rings (nreq.h, wg_data.h) wrap it.
 */
#ifndef GK_SPSC_H
#define GK_SPSC_H

#include <stdbool.h>
#include <stddef.h>

struct gk_spsc;

/*
 * size_pow2 slots of elem_size bytes; size_pow2 a power of two in
 * [2, GK_SPSC_MAX]. NULL on a bad size or ENOMEM. Slots start zeroed.
 */
#define GK_SPSC_MAX	(1u << 24)
struct gk_spsc *gk_spsc_create(size_t elem_size, unsigned int size_pow2);
void gk_spsc_destroy(struct gk_spsc *r);
/* Producer side only. Copies one element in; false when the ring is full. */
bool gk_spsc_push(struct gk_spsc *r, const void *elem);
/* Consumer side only. Copies up to max elements to out; returns how many. */
unsigned int gk_spsc_pop(struct gk_spsc *r, void *out, unsigned int max);

/*
 * In place, for large elements of which only a part is used (a frame and
 * its length): no copy of the whole element on either side.
 * Producer: the next free slot or NULL when full; gk_spsc_commit()
 * publishes it. Consumer: gk_spsc_avail() filled slots, gk_spsc_slot(r, i)
 * the i-th of them, gk_spsc_release() hands n back; i < n <= what the
 * last gk_spsc_avail() returned.
 */
void *gk_spsc_reserve(struct gk_spsc *r);
void gk_spsc_commit(struct gk_spsc *r);
unsigned int gk_spsc_avail(struct gk_spsc *r);
const void *gk_spsc_slot(const struct gk_spsc *r, unsigned int i);
void gk_spsc_release(struct gk_spsc *r, unsigned int n);

#endif
