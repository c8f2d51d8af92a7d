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

#endif
