// SPDX-License-Identifier: BSD-3-Clause
/*
 * The software classifier (dataplane/core/parse.c) on struct
 * gk_cls_tables built from the fixed config (fuzz_cfg.h) for each role.
 * Per frame, ctl bits 0-1 pick the ingress port, bits 2-3 the role/flags
 * table. What it hands a worker must describe the frame: offsets inside
 * it, and exactly one IP family.
 */
#include <stdlib.h>

#include <genkan/bpf_maps.h>
#include "fuzz_cfg.h"
#include "fuzz_pkt.h"

static struct gk_cls_tables *tbl[FZ_NR_CLS];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_cls_sets(tbl);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_frames f;
	unsigned i;

	fz_split(&f, data, size);
	for (i = 0; i < f.n; i++) {
		struct gk_pkt *p = &f.pkt[i];
		struct gk_classify_cfg cfg;
		const struct gk_xdp_meta *m = &p->meta;

		gk_cls_tables_cfg(tbl[(f.ctl[i] >> 2) & 3], f.ctl[i] & 3, &cfg);
		if (!fz_classify(p, &cfg))
			continue;
		if (m->magic != GK_META_MAGIC || m->class >= GK_CLASS_MAX ||
		    m->l3_off >= p->len ||
		    !(m->flags & GK_META_F_IPV4) == !(m->flags & GK_META_F_IPV6) ||
		    ((m->flags & GK_META_F_L4) && m->l4_off > p->len))
			abort();
	}
	fz_free(&f);
	return 0;
}
