// SPDX-License-Identifier: BSD-3-Clause
/*
 * The L3 stage: gk_l3fwd_burst with the neighbour hold table, then the
 * ICMP error stage on what it dropped, as the worker runs them, on the
 * fixed FIB (fuzz_cfg.h). Frames are classified for their port first
 * (ctl bits 0-1; 3 is no port); only what a worker would get reaches the
 * stage. Held frames are aged out and flushed before the next input.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_cfg.h"
#include "fuzz_pkt.h"
#include "icmp_err.h"
#include "l3fwd.h"
#include "neigh_hold.h"
#include "nreq.h"

static struct gk_fib *fib;
static struct gk_cls_tables *cls;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fib = fz_fib();
	cls = fz_cls(FZ_ROLE_ROUTER, 0);
	return 0;
}

static int transit(void *arg, struct gk_pkt *p, uint8_t ctl)
{
	struct gk_classify_cfg cfg;

	(void)arg;
	p->in_port = ctl & 3;
	gk_cls_tables_cfg(cls, p->in_port, &cfg);
	return fz_classify(p, &cfg) && (p->meta.class == GK_CLASS_TRANSIT ||
					p->meta.class == GK_CLASS_TTL_EXPIRED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_frames f;
	static struct gk_l3fwd_ctx ctx;
	struct gk_icmp_err_ctx ie;
	struct gk_wk_stats st;
	struct gk_pkt *b[FZ_MAX];
	struct gk_nhold_pkt hp;
	struct gk_nreq q[16];
	uint64_t now = 1000000000ull;
	unsigned pos = 0, n;

	fz_split(&f, data, size);
	memset(&ctx, 0, sizeof(ctx));
	memset(&st, 0, sizeof(st));
	memset(&ie, 0, sizeof(ie));
	ctx.fib = fib;
	ctx.stats = &st;
	ctx.nreq = gk_nreq_ring_create(16);
	/* 16 frames of FZ_ROOM: its bounds come sooner, and each input
	 * allocates 32 KiB rather than genkand's 256 KiB */
	ctx.hold = gk_nhold_new(16, GK_NHOLD_PER_NEIGH, FZ_ROOM);
	if (!ctx.nreq || !ctx.hold)
		abort();
	ie.fib = fib;
	ie.stats = &st;
	gk_icmp_err_init(&ie, 0, 0);
	while ((n = fz_next_burst(&f, &pos, &now, transit, NULL, b))) {
		ctx.now_ns = ie.now_ns = now;
		gk_nhold_expire(ctx.hold, now);
		gk_l3fwd_burst(&ctx, b, (uint16_t)n);
		gk_icmp_err_burst(&ie, b, (uint16_t)n);
		while (gk_nreq_pop(ctx.nreq, q, 16))
			;
	}
	gk_nhold_resolve(ctx.hold, fib->neigh);
	while (gk_nhold_pop(ctx.hold, &hp) == 1)
		;
	gk_nhold_flush(ctx.hold);
	gk_nhold_free(ctx.hold);
	gk_nreq_ring_destroy(ctx.nreq);
	fz_free(&f);
	return 0;
}
