// SPDX-License-Identifier: BSD-3-Clause
/*
 * The front door (stage/l4) in the worker: L4_SERVICE packets are
 * rewritten towards their flow's backend and routed (sealed into the
 * tunnel by the WireGuard stage's tx hook, which runs after this one);
 * routed replies from a backend get the listen address back.
 */
#include <errno.h>
#include <stdlib.h>

#include <urcu-qsbr.h>

#include "l4.h"
#include "l4_icmp.h"
#include "stage.h"
#include "worker.h"

static bool l4_on(const struct gk_worker_cfg *cfg)
{
	return cfg->l4 != NULL;
}

static int l4_init(struct gk_worker *w)
{
	struct gk_l4_ctx *c = calloc(1, sizeof(*c));
	int ret;

	if (!c)
		return -ENOMEM;
	ret = gk_l4_ctx_init(c, w->cfg.l4_max_flows ? w->cfg.l4_max_flows :
			     65536, w->cfg.l4_nr_be);
	if (ret) {
		free(c);
		return ret;
	}
	c->stats = &w->stats;
	w->l4 = c;
	return 0;
}

static void l4_fini(struct gk_worker *w)
{
	if (!w->l4)
		return;
	gk_l4_ctx_fini(w->l4);
	free(w->l4);
	w->l4 = NULL;
}

static void l4_begin(struct gk_worker *w)
{
	w->l4t = rcu_dereference(*w->cfg.l4);
	w->l4->now_ns = w->now_ns;
}

static void l4_end(struct gk_worker *w)
{
	w->l4t = NULL;
}

static void l4_rx(struct gk_worker *w, struct gk_port *in,
		  struct gk_rx_burst *b)
{
	struct gk_pkt **p = b->bkt[GK_CLASS_L4_SERVICE];
	uint16_t n = b->n[GK_CLASS_L4_SERVICE], i;

	gk_l4_fwd_burst(w->l4, w->l4t, p, n);
	for (i = 0; i < n; i++)
		b->l3[b->nl3++] = p[i];
	b->n[GK_CLASS_L4_SERVICE] = 0;
}

static void l4_tx(struct gk_worker *w, struct gk_pkt **pkts, uint16_t n)
{
	gk_l4_rev_burst(w->l4, w->l4t, pkts, n);
}

/* Errors the worker built about DNAT-ed packets quote the listen side. */
static void l4_icmp(struct gk_worker *w, struct gk_pkt **pkts, uint16_t n)
{
	gk_l4_err_burst(w->l4, w->l4t, pkts, n);
}

const struct gk_stage gk_stage_l4 = {
	.name = "l4",
	.classes = 1u << GK_CLASS_L4_SERVICE,
	.on = l4_on,
	.init = l4_init,
	.fini = l4_fini,
	.begin = l4_begin,
	.end = l4_end,
	.rx = l4_rx,
	.tx = l4_tx,
	.icmp = l4_icmp,
};
