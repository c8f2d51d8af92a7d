// SPDX-License-Identifier: BSD-3-Clause
/*
 * The stage registry: one line per feature, in the order its hooks run.
 * MAP-E's CE stage comes first (NAPT44 and WireGuard-behind-a-CE hang off
 * it, and it may hand decapsulated WireGuard data to the WireGuard stage
 * below); the L3 stage is the worker's own tail (gk_worker_route).
 */
#include <stddef.h>

#include "stage.h"

extern const struct gk_stage gk_stage_mape_ce, gk_stage_mape_br,
	gk_stage_napt, gk_stage_wgce, gk_stage_l4, gk_stage_wg,
	gk_stage_wg_rpath, gk_stage_nhold;

const struct gk_stage *const gk_stages[] = {
	&gk_stage_wg_rpath,	/* return_path = flow replies, ahead of NAPT44 */
	&gk_stage_mape_ce,
	&gk_stage_mape_br,
	&gk_stage_napt,
	&gk_stage_wgce,
	&gk_stage_l4,		/* before WireGuard: its rewrites get sealed */
	&gk_stage_wg,
	&gk_stage_nhold,	/* frames held for a neighbour, sent when it comes */
	NULL,
};
