// SPDX-License-Identifier: BSD-3-Clause
/*
 * Poll-mode worker loop. Per pass: each stage's begin and pass hooks
 * (stage.h), then per port: rx burst (stages' hand-ins first) -> hand-off
 * (metadata, or the software twin) -> checksum completion -> sort by class
 * -> each stage's rx on its buckets -> stages' tx hooks -> L3 stage ->
 * ICMP errors -> bucket by egress port -> tx bursts; then flush every port,
 * the stages' end hooks and a QSBR quiescent state. No feature is named
 * here: features are stages, registered in stages.c. No malloc, locks or
 * printf; the only syscalls are the need_wakeup kicks inside the backends.
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
#include "l4csum.h"
#include "mbox.h"
#include "stage.h"
#include "tables.h"
#include "worker.h"

#define HB_PASSES	64	/* clock refresh period, in passes */
#define RX_ROUNDS	8	/* rounds in a pass, while a port gives full bursts */

/* Index the registry's stages this worker runs by hook. */
static void index_stages(struct gk_worker *w)
{
	unsigned int i;

	for (i = 0; i < w->nr_stages; i++) {
		const struct gk_stage *s = w->stages[i];

		if (s->begin)
			w->has_begin[w->nr_begin++] = s;
		if (s->pass)
			w->has_pass[w->nr_pass++] = s;
		if (s->end)
			w->has_end[w->nr_end++] = s;
		if (s->handin)
			w->has_handin[w->nr_handin++] = s;
		if (s->rx) {
			w->has_rxs[w->nr_rxs++] = s;
			w->rx_classes |= s->classes;
		}
		if (s->tx)
			w->has_tx[w->nr_tx++] = s;
		if (s->icmp)
			w->has_icmp[w->nr_icmp++] = s;
		if (s->idle_fd)
			w->has_idle[w->nr_idle++] = s;
		if (s->held)
			w->has_held[w->nr_held++] = s;
	}
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
	w->l3.nreq_wake = cfg->nreq_wake;
	gk_icmp_err_init(&w->icmp, cfg->icmp_rate, 0);
	w->icmp.stats = &w->stats;

	for (i = 0; gk_stages[i]; i++) {
		const struct gk_stage *s = gk_stages[i];
		int ret;

		if (s->on && !s->on(cfg))
			continue;
		if (w->nr_stages == GK_WORKER_STAGES) {
			gk_worker_fini(w);
			return -E2BIG;
		}
		w->stages[w->nr_stages++] = s;
		ret = s->init ? s->init(w) : 0;
		if (ret) {
			gk_worker_fini(w);
			return ret;
		}
	}
	index_stages(w);
	atomic_store_explicit(&w->stop, 0, memory_order_relaxed);
	return 0;
}

void gk_worker_fini(struct gk_worker *w)
{
	/* Reverse order; a stage whose init failed is finished too. */
	while (w->nr_stages) {
		const struct gk_stage *s = w->stages[--w->nr_stages];

		if (s->fini)
			s->fini(w);
	}
	w->nr_begin = w->nr_pass = w->nr_end = w->nr_handin = 0;
	w->nr_rxs = w->nr_tx = w->nr_idle = w->nr_icmp = w->nr_held = 0;
	w->rx_classes = 0;
	/* what the stages held, their fini counted as dropped */
	w->stats.acct[GK_WK_ACCT_HELD] = 0;
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

/*
 * Not every packet is valid TRANSIT: sort the burst one by one. TRANSIT
 * and TTL-expired transit go to the L3 list, classes a stage takes to
 * that stage's bucket; the rest are counted and in dropped[].
 */
static __attribute__((noinline))
void sort_classes(struct gk_worker *w, struct gk_pkt **pkts, uint16_t n,
		  struct gk_rx_burst *b, struct gk_pkt **dropped, uint16_t *nd)
{
	struct gk_wk_stats *st = &w->stats;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct gk_pkt *p = pkts[i];
		uint8_t c = p->meta.class;

		if (p->meta.magic != GK_META_MAGIC ||
		    p->meta.version != GK_META_VERSION || c >= GK_CLASS_MAX) {
			drop(st, p, GK_WK_DROP_BAD_META, dropped, nd);
			continue;
		}
		if (unlikely(c == GK_CLASS_DROPPED)) {
			drop(st, p, GK_WK_DROP_PARSE_REFUSED, dropped, nd);
			continue;
		}
		st->class_packets[c]++;
		/* TTL-expired transit: the L3 stage drops it, ICMP answers. */
		if (c == GK_CLASS_TRANSIT || c == GK_CLASS_TTL_EXPIRED)
			b->l3[b->nl3++] = p;
		else if (w->rx_classes & 1u << c)
			b->bkt[c][b->n[c]++] = p;
		else
			drop(st, p, GK_WK_DROP_UNHANDLED, dropped, nd);
	}
}

/*
 * A burst whose packets all carry the same first metadata word (magic,
 * version, class): when that class is one a stage takes, the burst is
 * its bucket as it is. Anything else goes through sort_classes.
 */
static inline bool one_class(const struct gk_worker *w, struct gk_pkt **pkts,
			     uint16_t n, struct gk_rx_burst *b)
{
	const struct gk_xdp_meta *m = &pkts[0]->meta;
	uint8_t c = m->class;

	if (m->magic != GK_META_MAGIC || m->version != GK_META_VERSION ||
	    c >= GK_CLASS_MAX || c == GK_CLASS_TRANSIT ||
	    c == GK_CLASS_TTL_EXPIRED || c == GK_CLASS_DROPPED ||
	    !(w->rx_classes & 1u << c) || n > GK_BURST)
		return false;
	memcpy(b->bkt[c], pkts, n * sizeof(*pkts));
	b->n[c] = n;
	return true;
}

/* Each stage with a non-empty bucket, in registry order. */
static void run_stages(struct gk_worker *w, struct gk_port *in,
		       struct gk_rx_burst *b)
{
	unsigned int i, c;

	for (i = 0; i < w->nr_rxs; i++) {
		const struct gk_stage *s = w->has_rxs[i];
		uint32_t m = s->classes;
		bool work = false;

		while (m && !work) {
			c = (unsigned int)__builtin_ctz(m);
			m &= m - 1;
			work = b->n[c] != 0;
		}
		if (work)
			s->rx(w, in, b);
	}
}

/*
 * Send n packets on port o; what the ring refuses counts as tx_full.
 * len: their lengths, bytes: their sum (what tx_burst takes is no longer
 * ours to read).
 */
static void send_pkts(struct gk_worker *w, uint16_t o, struct gk_pkt **pkts,
		      uint16_t n, const uint32_t *len, uint64_t bytes)
{
	struct gk_wk_stats *st = &w->stats;
	uint16_t sent = gk_port_tx(w->cfg.ports[o], pkts, n), k;

	if (unlikely(sent != n)) {
		for (bytes = 0, k = 0; k < sent; k++)
			bytes += len[k];
		st->drops[GK_WK_DROP_TX_FULL] += n - sent;
	}
	st->tx_packets += sent;
	st->tx_bytes += bytes;
}

/* Send one egress bucket. */
static void tx_bucket(struct gk_worker *w, uint16_t o, const uint32_t *olen,
		      uint64_t b)
{
	uint16_t c = w->txn[o];

	w->txn[o] = 0;
	send_pkts(w, o, w->txb[o], c, olen, b);
}

/*
 * The common burst: every packet leaves by the same port of ours. Checks
 * that in one pass, noting the lengths (what tx_burst takes is no longer
 * ours) and their sum; false sends the burst the per-packet way.
 */
static inline bool one_port(const struct gk_worker *w, struct gk_pkt **pkts,
			    uint16_t n, uint32_t *len, uint64_t *bytes)
{
	uint16_t o = pkts[0]->out_port, i;
	uint64_t b = 0;
	bool same = true;

	for (i = 0; i < n; i++) {
		const struct gk_pkt *p = pkts[i];

		same &= (p->verdict == GK_V_TX) & (p->out_port == o);
		len[i] = p->len;
		b += p->len;
	}
	*bytes = b;
	return same && o < GK_MAX_PORTS && w->cfg.ports[o] && !w->txn[o];
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
	uint8_t act[GK_BURST], why[GK_BURST];
	uint16_t i;

	gk_cls_tables_classify(t, in->port_id, pkts, n, act, why);
	for (i = 0; i < n; i++)
		if (act[i] != GK_CLS_WORKER)
			pkts[i]->meta.class = GK_CLASS_DROPPED;
}

/*
 * One burst from in (what other workers handed over first), through the
 * stages and out. Adds the packets to *total; true when the burst was
 * full, so more may wait.
 */
static bool poll_port(struct gk_worker *w, struct gk_port *in,
		      unsigned int *total)
{
	struct gk_pkt *pkts[GK_BURST], *sorted[GK_STAGE_LIST_MAX];
	struct gk_pkt *dropped[GK_STAGE_LIST_MAX];
	struct gk_pkt **transit = pkts;
	struct gk_wk_stats *st = &w->stats;
	const uint32_t tw = transit_word();
	struct gk_rx_burst b;
	uint64_t bytes = 0, errs;
	uint16_t n = 0, nt, nd = 0, i, nh, got;
	uint32_t odd = 0, w0;
	bool full;

	/* What other workers handed over to us comes first. */
	for (i = 0; unlikely(i < w->nr_handin); i++)
		n += w->has_handin[i]->handin(w, in, pkts + n, GK_BURST - n);
	nh = n;
	got = gk_port_rx(in, pkts + n, GK_BURST - n);
	/* An emptied ring: what a hand-off mode switch waits for. */
	if (got < GK_BURST - n)
		in->stats.rx_drained++;
	n += got;
	full = n == GK_BURST;
	if (!n)
		return false;
	*total += n;
	st->acct[GK_WK_ACCT_RX] += got;
	st->hand_packets[in->rx_hand < GK_HAND_MAX ? in->rx_hand : 0] += got;
	if (unlikely(in->rx_hand == GK_HAND_PARSE))
		parse_twin(w, in, pkts + nh, got);
	/* Peers with TX checksum offload hand over partial TCP/UDP sums. */
	if (unlikely(in->csum_complete))
		gk_l4csum_burst(st, pkts + nh, got);

	/* One class for the whole burst (the common case): no sorting. */
	w0 = meta_word(pkts[0]);
	for (i = 0; i < n; i++) {
		bytes += pkts[i]->len;
		odd |= meta_word(pkts[i]) ^ w0;
	}
	st->rx_packets += n;
	st->rx_bytes += bytes;
	/* Before the stages: their TTL drops are answered by ICMP too. */
	errs = gk_worker_icmp_owed(w);
	if (likely(!odd && w0 == tw)) {
		st->class_packets[GK_CLASS_TRANSIT] += n;
		nt = n;
	} else {
		memset(b.n, 0, sizeof(b.n));
		b.l3 = sorted;
		b.nl3 = 0;
		b.resume = 0;
		if (!odd && one_class(w, pkts, n, &b))
			st->class_packets[pkts[0]->meta.class] += n;
		else
			sort_classes(w, pkts, n, &b, dropped, &nd);
		run_stages(w, in, &b);
		transit = sorted;
		nt = b.nl3;
	}
	gk_worker_route(w, in, transit, nt, dropped, nd, errs);
	return full;
}

void gk_worker_resume(struct gk_worker *w, struct gk_port *in, uint8_t cls,
		      struct gk_pkt **pkts, uint16_t n, uint8_t resume)
{
	struct gk_pkt *sorted[GK_STAGE_LIST_MAX], *dropped[GK_STAGE_LIST_MAX];
	struct gk_rx_burst b;
	uint16_t k;

	/* a bucket holds a burst: more goes through in bursts */
	for (; n; pkts += k, n -= k) {
		uint64_t errs = gk_worker_icmp_owed(w);

		k = n < GK_BURST ? n : GK_BURST;
		memset(b.n, 0, sizeof(b.n));
		b.l3 = sorted;
		b.nl3 = 0;
		b.resume = resume;
		memcpy(b.bkt[cls], pkts, k * sizeof(*pkts));
		b.n[cls] = k;
		run_stages(w, in, &b);
		gk_worker_route(w, in, sorted, b.nl3, dropped, 0, errs);
	}
}

uint64_t gk_worker_icmp_owed(const struct gk_worker *w)
{
	return w->stats.drops[GK_WK_DROP_TTL] +
	       w->stats.drops[GK_WK_DROP_TOO_BIG];
}

/*
 * The ICMP errors owed for pkts' TTL and too-big drops, built in place;
 * the stages' icmp hooks then see the ones that were built.
 */
static __attribute__((noinline, cold))
void icmp_errors(struct gk_worker *w, struct gk_pkt **pkts, uint16_t n)
{
	struct gk_pkt *owed[GK_BURST];
	uint16_t i = 0, k, m, s;

	w->icmp.fib = w->l3.fib;
	w->icmp.now_ns = w->now_ns;
	while (i < n) {
		for (k = 0; i < n && k < GK_BURST; i++)
			if (pkts[i]->verdict == GK_V_DROP &&
			    (pkts[i]->drop_reason == GK_WK_DROP_TTL ||
			     pkts[i]->drop_reason == GK_WK_DROP_TOO_BIG))
				owed[k++] = pkts[i];
		gk_icmp_err_burst(&w->icmp, owed, k);
		for (m = 0, s = 0; s < k; s++)
			if (owed[s]->verdict == GK_V_TX)
				owed[m++] = owed[s];
		/* the dropped frame stays counted; its error is a new one */
		w->stats.acct[GK_WK_ACCT_GENERATED] += m;
		for (s = 0; m && s < w->nr_icmp; s++)
			w->has_icmp[s]->icmp(w, owed, m);
	}
}

/*
 * Stages' tx hooks -> L3 stage -> ICMP errors -> TX buckets -> tx bursts.
 * The checks are made per burst where they can be: one pass proves every
 * packet is valid TRANSIT (the common case) before any per-packet
 * sorting, and only the egress ports that got packets are visited.
 */
static inline __attribute__((always_inline))
void route(struct gk_worker *w, struct gk_port *in, struct gk_pkt **transit,
	   uint16_t nt, struct gk_pkt **dropped, uint16_t nd, uint64_t errs,
	   bool hooks)
{
	struct gk_wk_stats *st = &w->stats;
	uint64_t obytes[GK_MAX_PORTS];
	uint32_t olen[GK_MAX_PORTS][GK_BURST];
	uint8_t touched[GK_MAX_PORTS];
	uint32_t tmask = 0;
	uint16_t nto = 0, i;

	/* No stage with a tx hook: this one count check is all it costs. */
	for (i = 0; hooks && unlikely(i < w->nr_tx) && nt; i++)
		w->has_tx[i]->tx(w, transit, nt);

	if (likely(nt)) {
		if (likely(w->l3.fib)) {
			w->l3.now_ns = w->now_ns;
			gk_l3fwd_burst(&w->l3, transit, nt);
			/* Rare: only bursts that had such drops pay for this. */
			if (unlikely(st->drops[GK_WK_DROP_TTL] +
				     st->drops[GK_WK_DROP_TOO_BIG] != errs) &&
			    w->cfg.icmp_rate)
				icmp_errors(w, transit, nt);
		} else {
			/* No snapshot published yet: nothing is routable. */
			for (i = 0; i < nt; i++)
				if (transit[i]->verdict == GK_V_NONE)
					gk_wk_drop(st, transit[i],
						   GK_WK_DROP_NO_ROUTE);
		}
	}

	if (likely(nt && nt <= GK_BURST && !nd) &&
	    one_port(w, transit, nt, olen[0], &obytes[0])) {
		uint16_t o = transit[0]->out_port;

		send_pkts(w, o, transit, nt, olen[0], obytes[0]);
		return;
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

void gk_worker_route(struct gk_worker *w, struct gk_port *in,
		     struct gk_pkt **transit, uint16_t nt,
		     struct gk_pkt **dropped, uint16_t nd, uint64_t errs)
{
	route(w, in, transit, nt, dropped, nd, errs, true);
}

void gk_worker_reroute(struct gk_worker *w, struct gk_port *in,
		       struct gk_pkt **pkts, uint16_t n)
{
	struct gk_pkt *dropped[GK_STAGE_LIST_MAX];

	route(w, in, pkts, n, dropped, 0, gk_worker_icmp_owed(w), false);
}

/* The accounting's held gauge (wkstats.h): what the stages keep now. */
uint64_t gk_worker_held(struct gk_worker *w)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < w->nr_held; i++)
		n += w->has_held[i]->held(w);
	w->stats.acct[GK_WK_ACCT_HELD] = n;
	return n;
}

unsigned int gk_worker_poll(struct gk_worker *w)
{
	struct gk_wk_stats *st = &w->stats;
	struct gk_tables *t = NULL;
	unsigned int total = 0, i, r;
	uint64_t c0 = gk_cycles(), c1;
	bool full = true;

	if (!(st->polls % HB_PASSES)) {
		w->now_ns = gk_mono_ns();
		atomic_store_explicit(&w->heartbeat_ns, w->now_ns,
				      memory_order_relaxed);
	}
	/* One snapshot for the whole pass. */
	if (w->cfg.tables)
		t = rcu_dereference(*w->cfg.tables);
	w->l3.fib = t ? t->fib : NULL;
	for (i = 0; i < w->nr_begin; i++)
		w->has_begin[i]->begin(w);

	/*
	 * Rounds, while some port gives full bursts, up to RX_ROUNDS: each
	 * is the queued work, a burst from every port and the tx kicks, so
	 * what other workers hand over drains as fast as rx comes in. The
	 * rest of the pass (clock, snapshot, hooks, mailbox, QSBR) is paid
	 * once for all its rounds.
	 */
	for (r = 0; r < RX_ROUNDS && full; r++) {
		full = false;
		/* Work queued elsewhere (hand-offs, injections, pending packets). */
		for (i = 0; i < w->nr_pass; i++)
			total += w->has_pass[i]->pass(w);
		for (i = 0; i < w->nr_rx; i++)
			full |= poll_port(w, w->rx[i], &total);
		for (i = 0; i < w->nr_rx; i++)
			gk_port_flush(w->rx[i]);
	}
	if (w->cfg.mbox)
		gk_mbox_poll(w->cfg.mbox, w);

	for (i = 0; i < w->nr_end; i++)
		w->has_end[i]->end(w);
	gk_worker_held(w);
	w->l3.fib = NULL;
	rcu_quiescent_state();
	st->polls++;
	c1 = gk_cycles();
	if (total)
		st->busy_cycles += c1 - c0;
	else
		st->idle_cycles += c1 - c0;
	return total;
}

#define IDLE_NAP_MS	10	/* the first nap; it doubles while idle */

/*
 * Sleep until a socket has rx work, a stage's eventfd says a ring of its
 * has, or ms pass. QSBR: an offline thread never holds up a grace
 * period, so the daemon can still publish and free snapshots while we
 * sleep. True when something woke us before the time ran out.
 */
static bool idle_wait(struct gk_worker *w, int ms)
{
	struct pollfd pfd[GK_MAX_PORTS + GK_WORKER_STAGES];
	unsigned int at[GK_WORKER_STAGES];
	unsigned int i, k, n = 0;
	bool woke;

	for (i = 0; i < w->nr_rx; i++) {
		struct gk_port *p = w->rx[i];

		if (p->ops->wait_fd && (pfd[n].fd = p->ops->wait_fd(p)) >= 0)
			pfd[n++].events = POLLIN;
	}
	if (!n)
		return true;	/* nothing to sleep on: keep spinning */
	for (i = 0; i < w->nr_idle; i++) {
		const struct gk_stage *s = w->has_idle[i];
		int fd = s->idle_fd(w);

		at[i] = fd < 0 ? UINT32_MAX : n;
		if (fd < 0)
			continue;
		pfd[n].fd = fd;
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	/* A stage that finds work already cancels the sleep. */
	for (i = 0; i < w->nr_idle; i++) {
		const struct gk_stage *s = w->has_idle[i];

		if (!s->idle_enter || s->idle_enter(w))
			continue;
		for (k = 0; k < i; k++)
			if (w->has_idle[k]->idle_leave)
				w->has_idle[k]->idle_leave(w, false);
		return true;
	}
	rcu_thread_offline();
	woke = poll(pfd, n, ms) > 0;
	if (!woke)
		for (i = 0; i < n; i++)
			pfd[i].revents = 0;
	for (i = 0; i < w->nr_idle; i++) {
		const struct gk_stage *s = w->has_idle[i];

		if (s->idle_leave)
			s->idle_leave(w, at[i] < n &&
					 (pfd[at[i]].revents & POLLIN));
	}
	rcu_thread_online();
	w->now_ns = gk_mono_ns();
	atomic_store_explicit(&w->heartbeat_ns, w->now_ns,
			      memory_order_relaxed);
	return woke;
}

/*
 * Adaptive polling (docs/config.md idle_sleep_us): spin while packets
 * come and idle_sleep_us after the last one, then sleep. Every packet or
 * eventfd wakes the thread at once; the timeout only bounds how long
 * timers and the heartbeat wait. It starts at IDLE_NAP_MS and doubles
 * while the naps find nothing, up to heartbeat_ms, and a nap that found
 * nothing goes back to sleep without spinning first: an idle worker
 * costs one empty pass per nap.
 */
static void *worker_main(void *arg)
{
	struct gk_worker *w = arg;
	uint64_t idle_since = 0;
	int nap = 0, max = w->cfg.idle_max_ms ? (int)w->cfg.idle_max_ms :
			   IDLE_NAP_MS;

	rcu_register_thread();
	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		if (gk_worker_poll(w) || !w->cfg.idle_sleep_us) {
			idle_since = 0;
			nap = 0;
			continue;
		}
		if (nap) {
			/* Napping: the pass after a nap found nothing. */
			w->stats.naps++;
			if (idle_wait(w, nap))
				nap = IDLE_NAP_MS < max ? IDLE_NAP_MS : max;
			else
				nap = nap * 2 < max ? nap * 2 : max;
			continue;
		}
		/* now_ns is refreshed every HB_PASSES polls: coarse is fine. */
		if (!idle_since) {
			idle_since = w->now_ns ? w->now_ns : gk_mono_ns();
		} else if (w->now_ns - idle_since >=
			   (uint64_t)w->cfg.idle_sleep_us * 1000) {
			idle_since = 0;
			nap = IDLE_NAP_MS < max ? IDLE_NAP_MS : max;
			w->stats.naps++;
			idle_wait(w, nap);
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
