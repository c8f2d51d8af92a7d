/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAPT44 in the worker (worker_nat.c): worker.c calls these only when
 * cfg.napt is set, so a config without [nat] runs exactly as before.
 */
#ifndef GK_WORKER_NAT_H
#define GK_WORKER_NAT_H

#include "worker.h"

int gk_wnat_init(struct gk_worker *w);
void gk_wnat_fini(struct gk_worker *w);
/*
 * Replaces gk_mape_ce_burst for MAPE_CE packets: LAN IPv4 -> owner check
 * -> NAPT out -> CE encap (hairpins stay IPv4 for the L3 stage); IPv6 ->
 * CE decap -> owner check -> NAPT in. Packets of other workers are handed
 * over (verdict DROP, uncounted: the handoff counters say where they
 * went). @resume: 0 for received packets, GK_HANDOFF_* for handed-over
 * ones. Created packets join @stage; returns its new length.
 */
uint16_t gk_wnat_ce(struct gk_worker *w, struct gk_pkt **ce, uint16_t n,
		    struct gk_pkt **stage, uint16_t nt, uint8_t resume);
/* Pops what other workers handed over and runs it; returns packets. */
unsigned gk_wnat_drain(struct gk_worker *w);

/* worker_mape.c: what the MAP-E stage made joins the L3 list. */
uint16_t gk_worker_take_extra(struct gk_mape_ctx *mc, struct gk_pkt **stage,
			      uint16_t nt);

#endif
