// SPDX-License-Identifier: BSD-3-Clause
/*
 * Differential: the twin's straight-line path (gk_cls_tables_classify)
 * against the reference (gk_classify with gk_cls_tables_cfg) on arbitrary
 * frames, for every table set fuzz_classify uses and no tables at all.
 * Each frame alone with its own ctl (bits 0-1 the ingress port, bits 2-4
 * the tables), then all of them as one burst with the first frame's ctl,
 * with and without SIMD hashes: the action, every meta byte and the drop
 * reason must agree.
 */
#include <stdlib.h>
#include <string.h>

#include <genkan/bpf_maps.h>
#include "fuzz_cfg.h"
#include "fuzz_pkt.h"

#define NR_TBL	(FZ_NR_CLS + 1)

static struct gk_cls_tables *tbl[NR_TBL];	/* [4]: none */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_cls_sets(tbl);
	return 0;
}

static void check(uint8_t ctl, struct gk_pkt **p, unsigned n)
{
	const struct gk_cls_tables *t = tbl[((ctl >> 2) & 7) % NR_TBL];
	uint8_t act[FZ_MAX], why[FZ_MAX];
	struct gk_classify_cfg cfg;
	unsigned i;

	gk_cls_tables_classify(t, ctl & 3, p, (uint16_t)n, act, why);
	gk_cls_tables_cfg(t, ctl & 3, &cfg);
	for (i = 0; i < n; i++) {
		enum gk_xdp_drop rwhy;
		struct gk_xdp_meta rm;

		if (gk_classify(p[i]->data, p[i]->len, &cfg, &rm, &rwhy) !=
		    act[i] || memcmp(&rm, &p[i]->meta, sizeof(rm)) ||
		    (act[i] == GK_CLS_DROP && rwhy != why[i]))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_frames f;
	unsigned i;

	fz_split(&f, data, size);
	for (i = 0; i < f.n; i++)
		check(f.ctl[i], &f.ptr[i], 1);
	if (f.n) {
		/* flow hashes eight lanes at a time, then one by one */
		check(f.ctl[0], f.ptr, f.n);
		gk_cls_tables_simd(false);
		check(f.ctl[0], f.ptr, f.n);
		gk_cls_tables_simd(true);
	}
	fz_free(&f);
	return 0;
}
