// SPDX-License-Identifier: BSD-3-Clause
/*
 * Frames held for an unresolved next hop (stage/l3 neigh_hold.h) in the
 * worker (#13 bug 8). The table hangs off the L3 context (w->l3.hold),
 * which the L3 stage fills instead of dropping no_neigh. Each pass, before
 * the ports, this stage ages held frames out (neigh_hold_aged, one drop
 * each) and, when a newer FIB snapshot came (or NHOLD_SCAN_NS passed),
 * sends those whose neighbour the snapshot knows: copied back into fresh
 * buffers of the first port's pool, oldest first, and routed again without
 * the stages' tx hooks (they ran before the frame was held). Held frames
 * are copies: no buffer is kept, so none can leak when the worker stops;
 * what is still held then counts as aged.
 */
#include <errno.h>
#include <string.h>

#include "neigh_hold.h"
#include "stage.h"
#include "worker.h"

#define NHOLD_SCAN_NS	10000000ull	/* same snapshot: look again after */

static bool nhold_on(const struct gk_worker_cfg *cfg)
{
	return cfg->neigh_hold != 0;
}

static int nhold_init(struct gk_worker *w)
{
	w->l3.hold = gk_nhold_new(GK_NHOLD_MAX, w->cfg.neigh_hold,
				  GK_NHOLD_FRAME);
	return w->l3.hold ? 0 : -ENOMEM;
}

static void nhold_fini(struct gk_worker *w)
{
	w->stats.drops[GK_WK_DROP_NEIGH_HOLD_AGED] +=
		gk_nhold_flush(w->l3.hold);
	gk_nhold_free(w->l3.hold);
	w->l3.hold = NULL;
	w->nhold_fib = NULL;
}

/* Up to n marked frames into fresh buffers of port; how many. */
static uint16_t take(struct gk_worker *w, struct gk_port *port,
		     struct gk_pkt **pkts, uint16_t n)
{
	struct gk_nhold_pkt q;
	uint16_t got, i;

	got = port->ops->alloc ? port->ops->alloc(port, pkts, n) : 0;
	for (i = 0; i < got; i++) {
		struct gk_pkt *p = pkts[i];

		if (!gk_nhold_pop(w->l3.hold, &q))
			break;
		p->out_port = 0;
		p->verdict = GK_V_NONE;
		p->drop_reason = 0;
		if (unlikely(q.len > p->buf_len)) {
			gk_wk_drop(&w->stats, p, GK_WK_DROP_NO_NEIGH);
			continue;
		}
		memcpy(p->data, q.frame, q.len);
		p->len = q.len;
		p->in_port = q.in_port;
		p->queue = q.queue;
		p->meta = q.meta;
		w->stats.events[GK_WK_EV_NEIGH_HOLD_SENT]++;
	}
	if (i < got)
		gk_port_free(port, pkts + i, got - i);
	return i;
}

/*
 * The kernel is asked once per neighbour and GK_L3FWD_NREQ_NS: a frame
 * held right after an earlier ask (a neighbour flushed since) would wait
 * for nothing. Its neighbour is asked again, within the same limit.
 */
static void ask_again(struct gk_worker *w)
{
	const uint8_t *addr;
	uint32_t ifindex;
	uint8_t family;
	unsigned pos = 0;

	w->l3.now_ns = w->now_ns;
	while (gk_nhold_waiting(w->l3.hold, &pos, &family, &ifindex, &addr))
		gk_l3fwd_ask_neigh(&w->l3, family, ifindex, addr);
}

static unsigned nhold_pass(struct gk_worker *w)
{
	struct gk_nhold *h = w->l3.hold;
	const struct gk_fib *fib = w->l3.fib;
	struct gk_pkt *pkts[GK_BURST];
	struct gk_port *port = w->rx[0];
	unsigned ready, total = 0;
	uint16_t n;

	if (likely(!gk_nhold_count(h)))
		return 0;
	w->stats.drops[GK_WK_DROP_NEIGH_HOLD_AGED] +=
		gk_nhold_expire(h, w->now_ns);
	if (!fib || (fib == w->nhold_fib &&
		     w->now_ns - w->nhold_scan_ns < NHOLD_SCAN_NS))
		return 0;
	w->nhold_fib = fib;
	w->nhold_scan_ns = w->now_ns;
	ready = gk_nhold_resolve(h, fib->neigh);
	if (ready < gk_nhold_count(h))
		ask_again(w);
	while (ready) {
		n = take(w, port, pkts, ready < GK_BURST ? ready : GK_BURST);
		if (!n) {
			w->nhold_fib = NULL;	/* no buffer: next pass */
			break;
		}
		gk_worker_reroute(w, port, pkts, n);
		ready -= n;
		total += n;
	}
	return total;
}

static unsigned nhold_held(struct gk_worker *w)
{
	return w->l3.hold ? gk_nhold_count(w->l3.hold) : 0;
}

const struct gk_stage gk_stage_nhold = {
	.name = "neigh_hold",
	.on = nhold_on,
	.init = nhold_init,
	.fini = nhold_fini,
	.pass = nhold_pass,
	.held = nhold_held,
};
