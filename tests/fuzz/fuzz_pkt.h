/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames for the packet harnesses. A fuzz input is a list of records
 *   [u8 ctl][u16 len, big endian][len bytes]
 * (a record longer than what is left is cut to it). Each becomes one
 * struct gk_pkt in its own heap buffer with exactly GK_PKT_HEADROOM in
 * front (the backends' promise) and, when ctl has FZ_TIGHT, no tailroom at
 * all, so ASan sees any read or write past the frame or the headroom.
 * ctl's other bits are each harness's (port, direction, clock step).
 * Everything is freed by fz_free(); nothing is kept between inputs.
 */
#ifndef GK_FUZZ_PKT_H
#define GK_FUZZ_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"
#include "pkt.h"

#define FZ_MAX		GK_BURST	/* frames per input */
#define FZ_ROOM		2048		/* buf_len unless FZ_TIGHT */
#define FZ_TIGHT	0x80		/* ctl: buf_len = len */
#define FZ_MAX_EXTRA	256		/* buffers fz_alloc hands out per input */

struct fz_frames {
	unsigned n;
	uint8_t ctl[FZ_MAX];
	struct gk_pkt pkt[FZ_MAX];
	struct gk_pkt *ptr[FZ_MAX];
	uint8_t *base[FZ_MAX];		/* stages move data; buffers stay */
	/* buffers a stage asked for (fz_alloc), freed with the rest */
	unsigned nr_extra;
	struct gk_pkt *extra[FZ_MAX_EXTRA];
	uint8_t *extra_base[FZ_MAX_EXTRA];
};

/* Splits data into f (f is zeroed first). Returns the frame count. */
unsigned fz_split(struct fz_frames *f, const uint8_t *data, size_t size);
/* Frees every buffer of f, frames and extras. */
void fz_free(struct fz_frames *f);
/* A stage's alloc hook (struct gk_mape_ctx.alloc and the like); arg: f. */
uint16_t fz_alloc(void *arg, struct gk_pkt **p, uint16_t n);
/*
 * Meta as XDP or the software twin would write it for port in_port:
 * returns 1 when the classifier hands the frame to a worker (meta set,
 * verdict GK_V_NONE), 0 otherwise (verdict GK_V_KERNEL or GK_V_DROP,
 * so every stage skips it).
 */
int fz_classify(struct gk_pkt *p, const struct gk_classify_cfg *cfg);

/*
 * ctl bits every packet harness reads the same way: FZ_NEW_BURST starts
 * a new burst at this frame (the frames before it are a burst of their
 * own), and the clock then moves on by FZ_STEP(ctl) x 250 ms.
 */
#define FZ_NEW_BURST	0x40
#define FZ_STEP(ctl)	(((ctl) >> 4) & 3u)
#define FZ_STEP_NS	250000000ull

/*
 * Next burst of f starting at *pos: its frames in out (those the filter
 * keeps, when filter is not NULL), *now_ns advanced; 0 at the end.
 */
unsigned fz_next_burst(struct fz_frames *f, unsigned *pos, uint64_t *now_ns,
		       int (*filter)(void *arg, struct gk_pkt *p, uint8_t ctl),
		       void *arg, struct gk_pkt **out);

#endif
