// SPDX-License-Identifier: BSD-3-Clause
/*
 * Poll-mode worker loop. Per port and pass: rx burst -> metadata check ->
 * class counters -> MAP-E stage on MAPE_CE/MAPE_BR -> L3 stage on TRANSIT
 * and MAP-E survivors -> ICMP errors -> bucket by egress port -> tx
 * bursts; then flush every port and declare a QSBR quiescent state.
 * No malloc, locks or printf here; the only syscalls are the need_wakeup
 * kicks inside the backends.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <urcu-qsbr.h>

#include "clock.h"
#include "cls_tables.h"
#include "efd.h"
#include "l4csum.h"
#include "mape_br.h"
#include "mape_ce.h"
#include "mbox.h"
#include "napt.h"
#include "tables.h"
#include "worker.h"
#include "worker_nat.h"
#include "wg_pending.h"
#include "worker_wg.h"

#define HB_PASSES	64	/* clock refresh period, in passes */
/* Staged WireGuard bursts sent per pass at most: a full peer queue. */
#define WG_FLUSH_BURSTS	(GK_WG_PENDING_PER_PEER / GK_BURST)
/*
 * A burst plus what the CE and BR stages may create (fragments); with
 * NAPT the CE stage runs twice per burst (encap and decap).
 */
#define STAGE_MAX	(4 * GK_BURST)

/* Buffers for packets the MAP-E stages create: the ingress port's pool. */
static uint16_t port_alloc(void *arg, struct gk_pkt **pkts, uint16_t n)
{
	struct gk_port *p = arg;

	return p->ops->alloc ? p->ops->alloc(p, pkts, n) : 0;
}

int gk_worker_init(struct gk_worker *w, const struct gk_worker_cfg *cfg)
{
	unsigned int i;

	if (!cfg)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->cfg = *cfg;
	for (i = 0; i < GK_MAX_PORTS; i++) {
		struct gk_port *p = cfg->ports[i];

		if (!p)
			continue;
		if (p->port_id != i)
			return -EINVAL;
		w->rx[w->nr_rx++] = p;
	}
	if (!w->nr_rx)
		return -EINVAL;
	w->l3.stats = &w->stats;
	w->l3.nreq = cfg->nreq;
	gk_icmp_err_init(&w->icmp, cfg->icmp_rate, 0);
	w->icmp.stats = &w->stats;

	/* Without cfg->map, MAP-E packets only meet the "no table" drop. */
	w->mape.stats = &w->stats;
	if (cfg->map) {
		w->mape.nr_dom = cfg->map_nr_rules + 1;
		w->mape.dom = calloc(w->mape.nr_dom, sizeof(*w->mape.dom));
		if (!w->mape.dom)
			return -ENOMEM;
		w->mape.alloc = port_alloc;
		gk_mape_init(&w->mape, cfg->icmp_rate, 0);
		/*
		 * icmp_rate 0 means "send none" here but "default" to the
		 * MAP-E bucket: an empty bucket that never refills says none.
		 */
		if (!cfg->icmp_rate)
			gk_tb_init(&w->mape.tb, 0, UINT64_MAX);
	}
	if (cfg->napt) {
		int ret = gk_wnat_init(w);

		if (ret) {
			gk_worker_fini(w);
			return ret;
		}
	}
	if (gk_worker_wg_init(w) || gk_worker_wgce_init(w)) {
		gk_worker_fini(w);
		return -ENOMEM;
	}
	atomic_store_explicit(&w->stop, 0, memory_order_relaxed);
	return 0;
}

void gk_worker_fini(struct gk_worker *w)
{
	gk_worker_wgce_fini(w);
	gk_worker_wg_fini(w);
	gk_mape_fini(&w->mape);
	free(w->mape.dom);
	w->mape.dom = NULL;
	w->mape.nr_dom = 0;
	gk_wnat_fini(w);
}

static inline void drop(struct gk_wk_stats *st, struct gk_pkt *p,
			enum gk_wk_drop why, struct gk_pkt **dropped,
			uint16_t *nd)
{
	gk_wk_drop(st, p, why);
	dropped[(*nd)++] = p;
}

/* First 4 bytes of a TRANSIT packet's metadata: magic, version, class. */
static inline uint32_t transit_word(void)
{
	const struct gk_xdp_meta m = {
		.magic = GK_META_MAGIC,
		.version = GK_META_VERSION,
		.class = GK_CLASS_TRANSIT,
	};
	uint32_t w;

	memcpy(&w, &m, sizeof(w));
	return w;
}

static inline uint32_t meta_word(const struct gk_pkt *p)
{
	uint32_t w;

	memcpy(&w, &p->meta, sizeof(w));
	return w;
}

/* Per-burst buckets of the packets the MAP-E stages take. */
struct mape_bkt {
	struct gk_pkt *ce[GK_BURST], *br[GK_BURST], *wg[GK_BURST];
	uint16_t nce, nbr, nwg;
};

/*
 * Not every packet is valid TRANSIT: sort the burst one by one. Returns
 * the transit packets in transit[], MAP-E ones go to mb; the rest are
 * counted and in dropped[].
 */
static __attribute__((noinline))
uint16_t sort_classes(struct gk_wk_stats *st, struct gk_pkt **pkts,
		      uint16_t n, struct gk_pkt **transit,
		      struct mape_bkt *mb, struct gk_pkt **dropped,
		      uint16_t *nd)
{
	uint16_t i, nt = 0;

	for (i = 0; i < n; i++) {
		struct gk_pkt *p = pkts[i];

		if (p->meta.magic != GK_META_MAGIC ||
		    p->meta.version != GK_META_VERSION ||
		    p->meta.class >= GK_CLASS_MAX) {
			drop(st, p, GK_WK_DROP_BAD_META, dropped, nd);
			continue;
		}
		if (unlikely(p->meta.class == GK_CLASS_DROPPED)) {
			drop(st, p, GK_WK_DROP_PARSE_REFUSED, dropped, nd);
			continue;
		}
		st->class_packets[p->meta.class]++;
		/* TTL-expired transit: the L3 stage drops it, ICMP answers. */
		if (p->meta.class == GK_CLASS_TRANSIT ||
		    p->meta.class == GK_CLASS_TTL_EXPIRED)
			transit[nt++] = p;
		else if (p->meta.class == GK_CLASS_MAPE_CE)
			mb->ce[mb->nce++] = p;
		else if (p->meta.class == GK_CLASS_MAPE_BR)
			mb->br[mb->nbr++] = p;
		else if (p->meta.class == GK_CLASS_WG_DATA)
			mb->wg[mb->nwg++] = p;
		else
			drop(st, p, GK_WK_DROP_UNHANDLED, dropped, nd);
	}
	return nt;
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
 * MAP-E encap/decap in place. Every packet the stages saw or made joins
 * the L3 list: those left GK_V_NONE (rewritten to TRANSIT) get routed,
 * those dropped for TTL/size get their ICMP error, the rest fall to
 * not_tx(). Returns the new length of stage[] (room: STAGE_MAX).
 */
static __attribute__((noinline))
uint16_t mape_stages(struct gk_worker *w, struct gk_port *in,
		     struct gk_pkt **stage, uint16_t nt, struct mape_bkt *mb,
		     uint8_t resume)
{
	struct gk_mape_ctx *mc = &w->mape;
	uint16_t i;

	if (unlikely(!mc->map)) {
		/* Nothing published: no rule can match; count as unmatched. */
		struct gk_map_dom_stats *dom =
			gk_mape_dom(mc, w->cfg.map_nr_rules);

		for (i = 0; i < mb->nce; i++)
			gk_mape_drop(mc, mb->ce[i], dom, GK_MAP_DROP_NO_RULE);
		for (i = 0; i < mb->nbr; i++)
			gk_mape_drop(mc, mb->br[i], dom, GK_MAP_DROP_NO_RULE);
	} else {
		mc->fib = w->l3.fib;
		mc->now_ns = w->now_ns;
		mc->alloc_arg = in;
		mc->nr_extra = 0;
		if (mb->nce && w->cfg.napt) {
			/* NAPT44 around the CE stage, one pass (worker_nat.c) */
			nt = gk_wnat_ce(w, mb->ce, mb->nce, stage, nt, resume);
		} else if (mb->nce) {
			gk_mape_ce_burst(mc, mb->ce, mb->nce);
			nt = gk_worker_take_extra(mc, stage, nt);
			/* WireGuard behind the CE: not for l3fwd (worker_wgce.h) */
			if (unlikely(w->cfg.wg_ce_port))
				gk_worker_wgce_in(w, mb->ce, mb->nce);
		}
		if (mb->nbr) {
			gk_mape_br_burst(mc, mb->br, mb->nbr);
			nt = gk_worker_take_extra(mc, stage, nt);
		}
	}
	for (i = 0; i < mb->nce; i++) {
		/* decapsulated WireGuard data: the caller's rx bucket */
		if (unlikely(mb->ce[i]->meta.class == GK_CLASS_WG_DATA) &&
		    mb->ce[i]->verdict == GK_V_NONE)
			mb->wg[mb->nwg++] = mb->ce[i];
		else
			stage[nt++] = mb->ce[i];
	}
	for (i = 0; i < mb->nbr; i++)
		stage[nt++] = mb->br[i];
	return nt;
}

/* Send one egress bucket; what the ring refuses counts as tx_full. */
static void tx_bucket(struct gk_worker *w, uint16_t o, const uint32_t *olen,
		      uint64_t b)
{
	struct gk_wk_stats *st = &w->stats;
	uint16_t c = w->txn[o], sent, k;

	w->txn[o] = 0;
	sent = gk_port_tx(w->cfg.ports[o], w->txb[o], c);
	if (unlikely(sent != c)) {
		for (b = 0, k = 0; k < sent; k++)
			b += olen[k];
		st->drops[GK_WK_DROP_TX_FULL] += c - sent;
	}
	st->tx_packets += sent;
	st->tx_bytes += b;
}

/* Verdicts other than TX to a port of ours. */
static __attribute__((noinline))
void not_tx(struct gk_wk_stats *st, struct gk_pkt *p,
	    struct gk_pkt **dropped, uint16_t *nd)
{
	switch (p->verdict) {
	case GK_V_TX:
		drop(st, p, GK_WK_DROP_BAD_PORT, dropped, nd);
		break;
	case GK_V_DROP:
		/* The stage counted it. */
		dropped[(*nd)++] = p;
		break;
	case GK_V_KERNEL:
		drop(st, p, GK_WK_DROP_NO_KERNEL, dropped, nd);
		break;
	default:
		drop(st, p, GK_WK_DROP_UNHANDLED, dropped, nd);
		break;
	}
}

/*
 * rx burst -> metadata check -> L3 stage -> TX buckets -> tx bursts. The
 * checks are made per burst where they can be: one pass proves every
 * packet is valid TRANSIT (the common case) before any per-packet
 * sorting, and only the egress ports that got packets are visited.
 */
static void route_tx(struct gk_worker *w, struct gk_port *in,
		     struct gk_pkt **transit, uint16_t nt,
		     struct gk_pkt **dropped, uint16_t nd, uint64_t errs);

/*
 * Hand-off mode parse: XDP redirected these frames but handed nothing
 * over, so the software twin (parse.c) classifies them on the same tables
 * (cls_tables.h). A frame the twin would not give a worker (a table
 * changed in between) is marked DROPPED: sort_classes counts it.
 */
static __attribute__((noinline))
void parse_twin(struct gk_worker *w, struct gk_port *in, struct gk_pkt **pkts,
		uint16_t n)
{
	const struct gk_cls_tables *t =
		w->cfg.cls ? rcu_dereference(*w->cfg.cls) : NULL;
	struct gk_classify_cfg c;
	enum gk_xdp_drop why;
	uint16_t i;

	gk_cls_tables_cfg(t, in->port_id, &c);
	for (i = 0; i < n; i++) {
		struct gk_pkt *p = pkts[i];

		if (gk_classify(p->data, p->len, &c, &p->meta, &why) !=
		    GK_CLS_WORKER)
			p->meta.class = GK_CLASS_DROPPED;
	}
}

static unsigned int poll_port(struct gk_worker *w, struct gk_port *in)
{
	struct gk_pkt *pkts[GK_BURST], *sorted[STAGE_MAX], *dropped[STAGE_MAX];
	struct gk_pkt **transit = pkts;
	struct gk_wk_stats *st = &w->stats;
	const uint32_t tw = transit_word();
	struct mape_bkt mb;
	uint64_t bytes = 0, errs;
	uint16_t n, nt, nd = 0, i, nh, got;
	uint32_t odd = 0;

	/*
	 * WireGuard data other workers received for keypairs we own: first
	 * (it has waited already) and up to a share of the burst, so our own
	 * rx can neither starve it nor be starved.
	 */
	n = 0;
	if (unlikely(w->wg_handin) && in->port_id == w->cfg.wg_port_id)
		n = gk_worker_wg_handin(w, in, pkts, GK_WG_HANDIN_BURST);
	nh = n;
	got = gk_port_rx(in, pkts + n, GK_BURST - n);
	/* An emptied ring: what a hand-off mode switch waits for. */
	if (got < GK_BURST - n)
		in->stats.rx_drained++;
	n += got;
	if (!n)
		return 0;
	st->hand_packets[in->rx_hand < GK_HAND_MAX ? in->rx_hand : 0] += got;
	if (unlikely(in->rx_hand == GK_HAND_PARSE))
		parse_twin(w, in, pkts + nh, got);
	/* Peers with TX checksum offload hand over partial TCP/UDP sums. */
	if (unlikely(in->csum_complete))
		gk_l4csum_burst(st, pkts + nh, got);

	for (i = 0; i < n; i++) {
		bytes += pkts[i]->len;
		odd |= meta_word(pkts[i]) ^ tw;
	}
	st->rx_packets += n;
	st->rx_bytes += bytes;
	/* Before MAP-E: its TTL drops are answered by the ICMP stage too. */
	errs = st->drops[GK_WK_DROP_TTL] + st->drops[GK_WK_DROP_TOO_BIG];
	if (likely(!odd)) {
		st->class_packets[GK_CLASS_TRANSIT] += n;
		nt = n;
	} else {
		mb.nce = mb.nbr = mb.nwg = 0;
		nt = sort_classes(st, pkts, n, sorted, &mb, dropped, &nd);
		/* Behind a CE, AllowedIPs win over NAPT + encap. */
		if (unlikely(w->cfg.wg_ce_port) && mb.nce)
			nt = gk_worker_wgce_claim(w, mb.ce, &mb.nce, sorted, nt);
		if (mb.nce | mb.nbr)
			nt = mape_stages(w, in, sorted, nt, &mb, 0);
		if (mb.nwg)
			nt = gk_worker_wg_rx(w, sorted, nt, mb.wg, mb.nwg);
		transit = sorted;
	}
	route_tx(w, in, transit, nt, dropped, nd, errs);
	return n;
}

/*
 * Packets another worker handed over (worker_nat.c), already in buffers of
 * our pool: resume at the NAPT stage they were sent to, then as usual.
 */
void gk_worker_resume(struct gk_worker *w, struct gk_port *in,
		      struct gk_pkt **pkts, uint16_t n, uint8_t resume)
{
	struct gk_pkt *sorted[STAGE_MAX], *dropped[STAGE_MAX];
	struct gk_wk_stats *st = &w->stats;
	struct mape_bkt mb;
	uint64_t errs;
	uint16_t nt;

	errs = st->drops[GK_WK_DROP_TTL] + st->drops[GK_WK_DROP_TOO_BIG];
	mb.nbr = mb.nwg = 0;
	mb.nce = n;
	memcpy(mb.ce, pkts, n * sizeof(*pkts));
	nt = mape_stages(w, in, sorted, 0, &mb, resume);
	if (mb.nwg)
		nt = gk_worker_wg_rx(w, sorted, nt, mb.wg, mb.nwg);
	route_tx(w, in, sorted, nt, dropped, 0, errs);
}

/*
 * Handshake messages genkand sends from behind a MAP-E CE: built, CE
 * encapsulated (worker_wgce.c), then routed like any other packet.
 */
static unsigned wg_inject(struct gk_worker *w)
{
	struct gk_pkt *pkts[GK_BURST], *dropped[STAGE_MAX];
	const struct gk_map_table *t = w->mape.map;
	struct gk_port *port;
	uint64_t errs;
	uint16_t n;

	if (!t || t->v6_port_id >= GK_MAX_PORTS ||
	    !(port = w->cfg.ports[t->v6_port_id]))
		return 0;
	n = gk_worker_wgce_inject(w, port, pkts, GK_BURST);
	if (!n)
		return 0;
	errs = w->stats.drops[GK_WK_DROP_TTL] + w->stats.drops[GK_WK_DROP_TOO_BIG];
	route_tx(w, port, pkts, n, dropped, 0, errs);
	return n;
}

/*
 * Packets staged for a handshake (wg_pending.h) leave once their peer has
 * keys: sealed in worker_wg.c, then routed like any sealed packet. Before
 * the ports' bursts, so a peer's staged packets go ahead of its new ones.
 */
static unsigned wg_flush(struct gk_worker *w)
{
	struct gk_pkt *pkts[GK_BURST], *dropped[STAGE_MAX];
	struct gk_port *in;
	unsigned total = 0, k;
	uint64_t errs;
	uint16_t n;

	for (k = 0; k < WG_FLUSH_BURSTS; k++) {
		n = gk_worker_wg_flush(w, &in, pkts, GK_BURST);
		if (!n)
			break;
		errs = w->stats.drops[GK_WK_DROP_TTL] +
		       w->stats.drops[GK_WK_DROP_TOO_BIG];
		route_tx(w, in, pkts, n, dropped, 0, errs);
		total += n;
	}
	return total;
}

static void route_tx(struct gk_worker *w, struct gk_port *in,
		     struct gk_pkt **transit, uint16_t nt,
		     struct gk_pkt **dropped, uint16_t nd, uint64_t errs)
{
	struct gk_wk_stats *st = &w->stats;
	uint64_t obytes[GK_MAX_PORTS];
	uint32_t olen[GK_MAX_PORTS][GK_BURST];
	uint8_t touched[GK_MAX_PORTS];
	uint32_t tmask = 0;
	uint16_t nto = 0, i;

	/* WireGuard off: this one pointer check is all it costs. */
	if (unlikely(w->wgp) && nt)
		gk_worker_wg_tx(w, transit, nt);

	if (likely(nt)) {
		if (likely(w->l3.fib)) {
			w->l3.now_ns = w->now_ns;
			gk_l3fwd_burst(&w->l3, transit, nt);
			/* Rare: only bursts that had such drops pay for this. */
			if (unlikely(st->drops[GK_WK_DROP_TTL] +
				     st->drops[GK_WK_DROP_TOO_BIG] != errs) &&
			    w->cfg.icmp_rate) {
				w->icmp.fib = w->l3.fib;
				w->icmp.now_ns = w->now_ns;
				gk_icmp_err_burst(&w->icmp, transit, nt);
			}
		} else {
			/* No snapshot published yet: nothing is routable. */
			for (i = 0; i < nt; i++)
				if (transit[i]->verdict == GK_V_NONE)
					gk_wk_drop(st, transit[i],
						   GK_WK_DROP_NO_ROUTE);
		}
	}

	for (i = 0; i < nt; i++) {
		struct gk_pkt *p = transit[i];
		uint16_t o = p->out_port, k;

		if (unlikely(p->verdict != GK_V_TX || o >= GK_MAX_PORTS ||
			     !w->cfg.ports[o])) {
			not_tx(st, p, dropped, &nd);
			continue;
		}
		if (!(tmask & 1u << o)) {
			tmask |= 1u << o;
			touched[nto++] = (uint8_t)o;
			obytes[o] = 0;
		}
		/* Only MAP-E's extra packets can overfill a bucket. */
		if (unlikely(w->txn[o] == GK_BURST)) {
			tx_bucket(w, o, olen[o], obytes[o]);
			obytes[o] = 0;
		}
		k = w->txn[o]++;
		w->txb[o][k] = p;
		/* Lengths now: what tx_burst takes is no longer ours. */
		olen[o][k] = p->len;
		obytes[o] += p->len;
	}

	for (i = 0; i < nto; i++) {
		uint16_t o = touched[i];

		if (w->txn[o])
			tx_bucket(w, o, olen[o], obytes[o]);
	}
	if (nd)
		gk_port_free(in, dropped, nd);
}

unsigned int gk_worker_poll(struct gk_worker *w)
{
	struct gk_wk_stats *st = &w->stats;
	struct gk_tables *t = NULL;
	struct gk_map_table *m = NULL;
	unsigned int total = 0, i;
	uint64_t c0 = gk_cycles(), c1;

	if (!(st->polls % HB_PASSES)) {
		w->now_ns = gk_mono_ns();
		atomic_store_explicit(&w->heartbeat_ns, w->now_ns,
				      memory_order_relaxed);
	}
	/* One snapshot for the whole pass. */
	if (w->cfg.tables)
		t = rcu_dereference(*w->cfg.tables);
	w->l3.fib = t ? t->fib : NULL;
	if (w->cfg.map)
		m = rcu_dereference(*w->cfg.map);
	w->mape.map = m;
	w->wgp = w->cfg.wg ? rcu_dereference(*w->cfg.wg) : NULL;

	if (w->cfg.napt) {
		gk_napt_set_now(w->cfg.napt, w->now_ns);
		/* Handed-over packets first: they have waited already. */
		if (w->cfg.handoff)
			total += gk_wnat_drain(w);
	}
	if (unlikely(w->cfg.wg_inject))
		total += wg_inject(w);
	if (unlikely(w->wg_pending && w->wg_pending->used))
		total += wg_flush(w);
	for (i = 0; i < w->nr_rx; i++)
		total += poll_port(w, w->rx[i]);
	for (i = 0; i < w->nr_rx; i++)
		gk_port_flush(w->rx[i]);
	if (w->cfg.mbox)
		gk_mbox_poll(w->cfg.mbox, w);

	w->l3.fib = NULL;
	w->mape.map = NULL;
	w->mape.fib = NULL;
	w->wgp = NULL;
	rcu_quiescent_state();
	st->polls++;
	c1 = gk_cycles();
	if (total)
		st->busy_cycles += c1 - c0;
	else
		st->idle_cycles += c1 - c0;
	return total;
}

#define IDLE_WAIT_MS	10	/* bounded: the heartbeat keeps beating */

/* Adds an eventfd to the poll set; its index, or GK_MAX_PORTS + 2 for none. */
static unsigned int poll_efd(struct pollfd *pfd, unsigned int *n, int fd)
{
	if (fd <= 0)
		return GK_MAX_PORTS + 2;
	pfd[*n].fd = fd;
	pfd[*n].events = POLLIN;
	return (*n)++;
}

/* Counts the wake-up of an eventfd that ended the sleep, and resets it. */
static void efd_woke(const struct pollfd *pfd, unsigned int n,
		     unsigned int i, uint64_t *wakes, uint64_t *fail)
{
	if (i >= n || !(pfd[i].revents & POLLIN))
		return;
	if (gk_efd_drain(pfd[i].fd))
		(*fail)++;
	else
		(*wakes)++;
}

/*
 * Sleep until a socket has rx work, an eventfd says a ring of ours has,
 * or IDLE_WAIT_MS pass. QSBR: an offline thread never holds up a grace
 * period, so the daemon can still publish and free snapshots while we
 * sleep.
 */
static void idle_wait(struct gk_worker *w)
{
	struct pollfd pfd[GK_MAX_PORTS + 2];
	unsigned int i, n = 0, inj, wake;

	for (i = 0; i < w->nr_rx; i++) {
		struct gk_port *p = w->rx[i];

		if (p->ops->wait_fd && (pfd[n].fd = p->ops->wait_fd(p)) >= 0)
			pfd[n++].events = POLLIN;
	}
	if (!n)
		return;		/* nothing to sleep on: keep spinning */
	/* genkand's handshakes behind a CE must not wait out the sleep */
	inj = poll_efd(pfd, &n, w->cfg.wg_inject ? w->cfg.wg_inject_efd : -1);
	/* other workers' WireGuard hand-offs (worker_wg.h gk_wg_wake) */
	wake = poll_efd(pfd, &n, w->wg_handin ?
			w->cfg.wg_wake[w->cfg.id].efd : -1);
	if (wake < n && !gk_worker_wg_sleep(w))
		return;
	rcu_thread_offline();
	/* Reset after the wake only: the next pass drains the rings. */
	if (poll(pfd, n, IDLE_WAIT_MS) > 0) {
		efd_woke(pfd, n, inj, &w->wgce.inject_wakes, &w->wgce.wake_fail);
		efd_woke(pfd, n, wake, &w->wg_woken, &w->wg_wake_fail);
	}
	if (wake < n)
		gk_worker_wg_awake(w);
	rcu_thread_online();
	w->now_ns = gk_mono_ns();
	atomic_store_explicit(&w->heartbeat_ns, w->now_ns,
			      memory_order_relaxed);
}

static void *worker_main(void *arg)
{
	struct gk_worker *w = arg;
	uint64_t idle_since = 0;

	rcu_register_thread();
	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		if (gk_worker_poll(w) || !w->cfg.idle_sleep_us) {
			idle_since = 0;
			continue;
		}
		/* now_ns is refreshed every HB_PASSES polls: coarse is fine. */
		if (!idle_since) {
			idle_since = w->now_ns ? w->now_ns : gk_mono_ns();
		} else if (w->now_ns - idle_since >=
			   (uint64_t)w->cfg.idle_sleep_us * 1000) {
			idle_wait(w);
			idle_since = 0;
		}
	}
	rcu_unregister_thread();
	return NULL;
}

int gk_worker_start(struct gk_worker *w)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int ret;

	if (w->started)
		return -EALREADY;
	ret = pthread_attr_init(&attr);
	if (ret)
		return -ret;
	if (w->cfg.cpu >= 0) {
		if (w->cfg.cpu >= CPU_SETSIZE) {
			ret = EINVAL;
			goto err_attr;
		}
		CPU_ZERO(&set);
		CPU_SET(w->cfg.cpu, &set);
		ret = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (ret)
			goto err_attr;
	}
	atomic_store(&w->stop, 0);
	ret = pthread_create(&w->thread, &attr, worker_main, w);
	if (ret)
		goto err_attr;
	w->started = true;
	pthread_attr_destroy(&attr);
	return 0;

err_attr:
	pthread_attr_destroy(&attr);
	return -ret;
}

void gk_worker_stop(struct gk_worker *w)
{
	if (!w->started)
		return;
	atomic_store(&w->stop, 1);
	pthread_join(w->thread, NULL);
	w->started = false;
}
