// SPDX-License-Identifier: BSD-3-Clause
/*
 * MAP-E (stage/mape) in the worker: the CE stage, with NAPT44 around it
 * (worker_nat.c) and WireGuard behind it (worker_wgce.c) when configured,
 * and the BR stage. Every packet they saw or made joins the L3 list:
 * those left GK_V_NONE (rewritten to TRANSIT) get routed, those dropped
 * for TTL/size get their ICMP error, the rest are freed by the router.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <urcu-qsbr.h>

#include "frag.h"
#include "mape_br.h"
#include "mape_ce.h"
#include "stage.h"
#include "worker.h"
#include "worker_nat.h"
#include "worker_wgce.h"

/* Buffers for packets the MAP-E stages create: the ingress port's pool. */
static uint16_t port_alloc(void *arg, struct gk_pkt **pkts, uint16_t n)
{
	struct gk_port *p = arg;

	return p->ops->alloc ? p->ops->alloc(p, pkts, n) : 0;
}

/* What a stage call created joins the list, exactly like its own. */
uint16_t gk_worker_take_extra(struct gk_mape_ctx *mc, struct gk_pkt **stage,
			      uint16_t nt)
{
	uint16_t i;

	for (i = 0; i < mc->nr_extra && i < GK_BURST; i++)
		stage[nt++] = mc->extra[i];
	mc->nr_extra = 0;
	return nt;
}

/*
 * One context for both roles. Without a table configured, MAP-E packets
 * (the classifier only sends them when genkand steers MAP-E) meet the
 * "no rule" drop, counted as unmatched.
 */
static int mape_init(struct gk_worker *w)
{
	w->mape.stats = &w->stats;
	if (!w->cfg.map)
		return 0;
	w->mape.nr_dom = w->cfg.map_nr_rules + 1;
	w->mape.dom = calloc(w->mape.nr_dom, sizeof(*w->mape.dom));
	if (!w->mape.dom)
		return -ENOMEM;
	w->mape.alloc = port_alloc;
	gk_mape_init(&w->mape, w->cfg.icmp_rate, 0);
	/*
	 * icmp_rate 0 means "send none" here but "default" to the MAP-E
	 * bucket: an empty bucket that never refills says none.
	 */
	if (!w->cfg.icmp_rate)
		gk_tb_init(&w->mape.tb, 0, UINT64_MAX);
	return 0;
}

static unsigned mape_held(struct gk_worker *w);

static void mape_fini(struct gk_worker *w)
{
	/* held when the worker stops: dropped, one each (accounting) */
	w->stats.drops[GK_WK_DROP_MAPE] += mape_held(w);
	gk_mape_fini(&w->mape);
	free(w->mape.dom);
	w->mape.dom = NULL;
	w->mape.nr_dom = 0;
}

static void mape_begin(struct gk_worker *w)
{
	w->mape.map = w->cfg.map ? rcu_dereference(*w->cfg.map) : NULL;
}

static void mape_end(struct gk_worker *w)
{
	w->mape.map = NULL;
	w->mape.fib = NULL;
}

/* The stage context for this burst; false: no table, all dropped. */
static bool mape_ready(struct gk_worker *w, struct gk_port *in,
		       struct gk_pkt **p, uint16_t n)
{
	struct gk_mape_ctx *mc = &w->mape;
	uint16_t i;

	if (unlikely(!mc->map)) {
		/* Nothing published: no rule can match; count as unmatched. */
		struct gk_map_dom_stats *dom =
			gk_mape_dom(mc, w->cfg.map_nr_rules);

		for (i = 0; i < n; i++)
			gk_mape_drop(mc, p[i], dom, GK_MAP_DROP_NO_RULE);
		return false;
	}
	mc->fib = w->l3.fib;
	mc->now_ns = w->now_ns;
	mc->alloc_arg = in;
	mc->nr_extra = 0;
	return true;
}

static void ce_rx(struct gk_worker *w, struct gk_port *in,
		  struct gk_rx_burst *b)
{
	struct gk_pkt **ce = b->bkt[GK_CLASS_MAPE_CE];
	uint16_t *nce = &b->n[GK_CLASS_MAPE_CE], i;

	/* Behind a CE, AllowedIPs win over NAPT + encap (worker_wgce.h). */
	if (unlikely(w->cfg.wg_ce_port) && !b->resume)
		b->nl3 = gk_worker_wgce_claim(w, ce, nce, b->l3, b->nl3);
	if (*nce && mape_ready(w, in, ce, *nce)) {
		if (w->cfg.napt) {
			/* NAPT44 around the CE stage, one pass */
			b->nl3 = gk_wnat_ce(w, ce, *nce, b->l3, b->nl3,
					    b->resume);
		} else {
			gk_mape_ce_burst(&w->mape, ce, *nce);
			b->nl3 = gk_worker_take_extra(&w->mape, b->l3, b->nl3);
			/* WireGuard behind the CE: not for l3fwd */
			if (unlikely(w->cfg.wg_ce_port))
				gk_worker_wgce_in(w, ce, *nce);
		}
	}
	/* only gk_worker_wgce_in makes WG_DATA: without it, all go to l3 */
	if (likely(!w->cfg.wg_ce_port)) {
		memcpy(b->l3 + b->nl3, ce, *nce * sizeof(*ce));
		b->nl3 += *nce;
		*nce = 0;
		return;
	}
	for (i = 0; i < *nce; i++) {
		/* decapsulated WireGuard data: the WireGuard stage's bucket */
		if (unlikely(ce[i]->meta.class == GK_CLASS_WG_DATA) &&
		    ce[i]->verdict == GK_V_NONE &&
		    b->n[GK_CLASS_WG_DATA] < GK_BURST)
			b->bkt[GK_CLASS_WG_DATA][b->n[GK_CLASS_WG_DATA]++] = ce[i];
		else
			b->l3[b->nl3++] = ce[i];
	}
	*nce = 0;
}

static void br_rx(struct gk_worker *w, struct gk_port *in,
		  struct gk_rx_burst *b)
{
	struct gk_pkt **br = b->bkt[GK_CLASS_MAPE_BR];
	uint16_t nbr = b->n[GK_CLASS_MAPE_BR];

	if (mape_ready(w, in, br, nbr)) {
		gk_mape_br_burst(&w->mape, br, nbr);
		b->nl3 = gk_worker_take_extra(&w->mape, b->l3, b->nl3);
	}
	/* all of them, in order: one copy rather than a loop */
	memcpy(b->l3 + b->nl3, br, nbr * sizeof(*br));
	b->nl3 += nbr;
	b->n[GK_CLASS_MAPE_BR] = 0;
}

/* IPv6 pieces in reassembly, IPv4 fragments waiting for their first. */
static unsigned mape_held(struct gk_worker *w)
{
	const struct gk_mape_ctx *mc = &w->mape;

	return (mc->reasm ? gk_frag_reasm_held(mc->reasm) : 0) +
	       (mc->vfrag ? gk_frag_virt_nr_held(mc->vfrag) : 0);
}

/*
 * Held fragments age out on the worker's clock even when no MAP-E packet
 * comes (the bursts tick too): one drop each when their time is up.
 */
static unsigned mape_pass(struct gk_worker *w)
{
	struct gk_mape_ctx *mc = &w->mape;

	if (likely(!mape_held(w)) || !mc->map)
		return 0;
	mc->now_ns = w->now_ns;
	gk_mape_frag_tick(mc);
	return 0;
}

/* The context is shared: the CE stage owns its life, the BR stage uses it. */
const struct gk_stage gk_stage_mape_ce = {
	.name = "mape_ce",
	.classes = 1u << GK_CLASS_MAPE_CE,
	.init = mape_init,
	.fini = mape_fini,
	.begin = mape_begin,
	.pass = mape_pass,
	.end = mape_end,
	.rx = ce_rx,
	.held = mape_held,
};

const struct gk_stage gk_stage_mape_br = {
	.name = "mape_br",
	.classes = 1u << GK_CLASS_MAPE_BR,
	.rx = br_rx,
};
