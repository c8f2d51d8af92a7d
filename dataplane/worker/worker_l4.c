// SPDX-License-Identifier: BSD-3-Clause
/*
 * The front door (stage/l4) in the worker: L4_SERVICE packets are
 * rewritten towards their flow's backend and routed (sealed into the
 * tunnel by the WireGuard stage's tx hook, which runs after this one);
 * routed replies from a backend get the listen address back.
 *
 * client_ip = snat (l4_snat.h): a reply to a pool port another worker
 * owns (WireGuard decrypts on the keypair's owner, which need not be the
 * flow's) is copied into that worker's hand-off ring and taken in there
 * ahead of its rx, as a routed packet the reverse hook then finds its
 * flow for. The owner is woken through its l4_wake eventfd if it sleeps.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <urcu-qsbr.h>

#include "efd.h"
#include "handoff.h"
#include "l4.h"
#include "l4_icmp.h"
#include "l4_snat.h"
#include "stage.h"
#include "worker.h"
#include "worker_wg.h"

static bool l4_on(const struct gk_worker_cfg *cfg)
{
	return cfg->l4 != NULL;
}

/* snat: the pool ports this worker owns, the rings replies come over. */
static int snat_init(struct gk_worker *w)
{
	/* genkand publishes the table before it starts workers */
	const struct gk_l4_table *t = rcu_dereference(*w->cfg.l4);
	unsigned nr = w->cfg.l4_nr_workers ? w->cfg.l4_nr_workers : 1;

	if (!t || !t->nr_pool)
		return 0;
	if (nr > 1) {
		if (!w->cfg.l4_handoff || w->cfg.id >= nr ||
		    gk_handoff_workers(w->cfg.l4_handoff) != nr)
			return -EINVAL;
		w->l4_hbuf = calloc(GK_BURST, sizeof(*w->l4_hbuf));
		if (!w->l4_hbuf)
			return -ENOMEM;
	}
	return gk_l4_snat_init(w->l4, t, nr > 1 ? w->cfg.id : 0, nr);
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
	return snat_init(w);
}

static void l4_fini(struct gk_worker *w)
{
	free(w->l4_hbuf);
	w->l4_hbuf = NULL;
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

/*
 * snat replies for other workers' pool ports: a copy to the owner's ring
 * (our buffer is done with: freed uncounted), then one fence and at most
 * one wake-up per owner.
 */
static void hand_over(struct gk_worker *w, struct gk_l4_ctx *c)
{
	uint64_t woken = 0;
	uint16_t i;

	for (i = 0; i < c->nr_away; i++) {
		struct gk_pkt *p = c->away[i];
		unsigned to = c->away_to[i];

		if (w->cfg.l4_handoff &&
		    gk_handoff_push(w->cfg.l4_handoff, w->cfg.id, to, p, 0)) {
			c->cnt[GK_L4_HANDED_OVER]++;
			w->stats.acct[GK_WK_ACCT_HANDED_OFF]++;
			p->verdict = GK_V_DROP;
			p->drop_reason = 0;
			if (to < 64)
				woken |= 1ull << to;
		} else {
			c->cnt[GK_L4_HANDOFF_FULL]++;
			gk_wk_drop(c->stats, p, GK_WK_DROP_L4);
		}
	}
	c->nr_away = 0;
	if (!woken || !w->cfg.l4_wake)
		return;
	atomic_thread_fence(memory_order_seq_cst);
	while (woken) {
		(void)gk_wg_wake_poke(&w->cfg.l4_wake[__builtin_ctzll(woken)]);
		woken &= woken - 1;
	}
}

static void l4_tx(struct gk_worker *w, struct gk_pkt **pkts, uint16_t n)
{
	struct gk_l4_ctx *c = w->l4;

	gk_l4_rev_burst(c, w->l4t, pkts, n);
	if (unlikely(c->nr_away))
		hand_over(w, c);
}

/*
 * snat replies other workers handed us, ahead of the first port's rx:
 * routed packets again, which our reverse hook now owns. Only as many as
 * buffers can be had; the rest wait in their rings.
 */
static uint16_t l4_handin(struct gk_worker *w, struct gk_port *in,
			  struct gk_pkt **pkts, uint16_t room)
{
	struct gk_handoff *h = w->cfg.l4_handoff;
	struct gk_l4_ctx *c = w->l4;
	unsigned nr = w->cfg.l4_nr_workers, from, k, i;
	uint16_t got = 0, want, n, j;

	if (likely(!w->l4_hbuf) || in != w->rx[0] || !in->ops->alloc)
		return 0;
	for (from = 0; from < nr && got < room; from++) {
		if (from == w->cfg.id)
			continue;
		want = (uint16_t)gk_handoff_avail(h, from, w->cfg.id);
		if (!want)
			continue;
		if (want > room - got)
			want = room - got;
		if (want > GK_BURST)
			want = GK_BURST;
		n = in->ops->alloc(in, pkts + got, want);
		k = gk_handoff_pop(h, from, w->cfg.id, w->l4_hbuf, n);
		for (i = 0, j = got; i < k; i++) {
			const struct gk_handoff_pkt *e = &w->l4_hbuf[i];
			struct gk_pkt *p = pkts[j];

			if (unlikely(p->buf_len < e->len)) {
				c->cnt[GK_L4_HANDOFF_NOBUF]++;
				w->stats.drops[GK_WK_DROP_L4]++;
				continue;	/* the buffer takes the next one */
			}
			memcpy(p->data, e->data, e->len);
			p->len = e->len;
			p->meta = e->meta;
			p->in_port = in->port_id;
			p->verdict = GK_V_NONE;
			p->drop_reason = 0;
			j++;
		}
		c->cnt[GK_L4_TAKEN_OVER] += k;
		w->stats.acct[GK_WK_ACCT_HANDED_IN] += k;
		if (j < got + n)
			gk_port_free(in, pkts + j, (uint16_t)(got + n - j));
		got = j;
		if (n < want)
			break;		/* no buffer: the rest waits in the ring */
	}
	return got;
}

/* Errors the worker built about DNAT-ed packets quote the listen side. */
static void l4_icmp(struct gk_worker *w, struct gk_pkt **pkts, uint16_t n)
{
	gk_l4_err_burst(w->l4, w->l4t, pkts, n);
}

/* Other workers' snat replies wake us through our eventfd (l4_wake). */
static int l4_idle_fd(struct gk_worker *w)
{
	return w->l4_hbuf && w->cfg.l4_wake ? w->cfg.l4_wake[w->cfg.id].efd : -1;
}

static bool l4_idle_enter(struct gk_worker *w)
{
	struct gk_wg_wake *k;
	unsigned from;

	if (!w->l4_hbuf || !w->cfg.l4_wake)
		return true;
	k = &w->cfg.l4_wake[w->cfg.id];
	atomic_store_explicit(&k->asleep, 1, memory_order_relaxed);
	/* Pairs with hand_over()'s fence after its pushes. */
	atomic_thread_fence(memory_order_seq_cst);
	for (from = 0; from < w->cfg.l4_nr_workers; from++) {
		if (from == w->cfg.id ||
		    !gk_handoff_avail(w->cfg.l4_handoff, from, w->cfg.id))
			continue;
		atomic_store_explicit(&k->asleep, 0, memory_order_relaxed);
		return false;
	}
	return true;
}

static void l4_idle_leave(struct gk_worker *w, bool ready)
{
	if (!w->l4_hbuf || !w->cfg.l4_wake)
		return;
	if (ready)
		(void)gk_efd_drain(w->cfg.l4_wake[w->cfg.id].efd);
	atomic_store_explicit(&w->cfg.l4_wake[w->cfg.id].asleep, 0,
			      memory_order_relaxed);
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
	.handin = l4_handin,
	.tx = l4_tx,
	.icmp = l4_icmp,
	.idle_fd = l4_idle_fd,
	.idle_enter = l4_idle_enter,
	.idle_leave = l4_idle_leave,
};
