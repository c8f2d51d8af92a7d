// SPDX-License-Identifier: BSD-3-Clause
/*
 * Poll-mode worker loop. Per port and pass: rx burst -> metadata check ->
 * class counters -> L3 stage on TRANSIT -> bucket by egress port -> tx
 * bursts; then flush every port and declare a QSBR quiescent state.
 * No malloc, locks or printf here; the only syscalls are the need_wakeup
 * kicks inside the backends.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include <urcu-qsbr.h>

#include "tables.h"
#include "worker.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#define HB_PASSES	64	/* clock refresh period, in passes */

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	/* vDSO: no syscall. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Cycle counter for busy/idle accounting; ns where there is no TSC. */
static inline uint64_t cycles(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	return mono_ns();
#endif
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
	atomic_store_explicit(&w->stop, 0, memory_order_relaxed);
	return 0;
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
 * Not every packet is valid TRANSIT: sort the burst one by one. Returns
 * the transit packets in transit[]; the rest are counted and in dropped[].
 */
static __attribute__((noinline))
uint16_t sort_classes(struct gk_wk_stats *st, struct gk_pkt **pkts,
		      uint16_t n, struct gk_pkt **transit,
		      struct gk_pkt **dropped, uint16_t *nd)
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
		st->class_packets[p->meta.class]++;
		/* TTL-expired transit: the L3 stage drops it, ICMP answers. */
		if (p->meta.class == GK_CLASS_TRANSIT ||
		    p->meta.class == GK_CLASS_TTL_EXPIRED)
			transit[nt++] = p;
		else
			drop(st, p, GK_WK_DROP_UNHANDLED, dropped, nd);
	}
	return nt;
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
static unsigned int poll_port(struct gk_worker *w, struct gk_port *in)
{
	struct gk_pkt *pkts[GK_BURST], *sorted[GK_BURST], *dropped[GK_BURST];
	struct gk_pkt **transit = pkts;
	struct gk_wk_stats *st = &w->stats;
	const uint32_t tw = transit_word();
	uint64_t bytes = 0, obytes[GK_MAX_PORTS];
	uint32_t olen[GK_MAX_PORTS][GK_BURST];
	uint8_t touched[GK_MAX_PORTS];
	uint16_t n, nt, nd = 0, nto = 0, i;
	uint32_t odd = 0;

	n = gk_port_rx(in, pkts, GK_BURST);
	if (!n)
		return 0;

	for (i = 0; i < n; i++) {
		bytes += pkts[i]->len;
		odd |= meta_word(pkts[i]) ^ tw;
	}
	st->rx_packets += n;
	st->rx_bytes += bytes;
	if (likely(!odd)) {
		st->class_packets[GK_CLASS_TRANSIT] += n;
		nt = n;
	} else {
		nt = sort_classes(st, pkts, n, sorted, dropped, &nd);
		transit = sorted;
	}

	if (likely(nt)) {
		if (likely(w->l3.fib)) {
			uint64_t errs = st->drops[GK_WK_DROP_TTL] +
					st->drops[GK_WK_DROP_TOO_BIG];

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
				gk_wk_drop(st, transit[i], GK_WK_DROP_NO_ROUTE);
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
		k = w->txn[o]++;
		if (!k) {
			touched[nto++] = (uint8_t)o;
			obytes[o] = 0;
		}
		w->txb[o][k] = p;
		/* Lengths now: what tx_burst takes is no longer ours. */
		olen[o][k] = p->len;
		obytes[o] += p->len;
	}

	for (i = 0; i < nto; i++) {
		uint16_t o = touched[i], c = w->txn[o], sent, k;
		uint64_t b = obytes[o];

		w->txn[o] = 0;
		sent = gk_port_tx(w->cfg.ports[o], w->txb[o], c);
		if (unlikely(sent != c)) {
			for (b = 0, k = 0; k < sent; k++)
				b += olen[o][k];
			st->drops[GK_WK_DROP_TX_FULL] += c - sent;
		}
		st->tx_packets += sent;
		st->tx_bytes += b;
	}
	if (nd)
		gk_port_free(in, dropped, nd);
	return n;
}

unsigned int gk_worker_poll(struct gk_worker *w)
{
	struct gk_wk_stats *st = &w->stats;
	struct gk_tables *t = NULL;
	unsigned int total = 0, i;
	uint64_t c0 = cycles(), c1;

	if (!(st->polls % HB_PASSES)) {
		w->now_ns = mono_ns();
		atomic_store_explicit(&w->heartbeat_ns, w->now_ns,
				      memory_order_relaxed);
	}
	/* One snapshot for the whole pass. */
	if (w->cfg.tables)
		t = rcu_dereference(*w->cfg.tables);
	w->l3.fib = t ? t->fib : NULL;

	for (i = 0; i < w->nr_rx; i++)
		total += poll_port(w, w->rx[i]);
	for (i = 0; i < w->nr_rx; i++)
		gk_port_flush(w->rx[i]);

	w->l3.fib = NULL;
	rcu_quiescent_state();
	st->polls++;
	c1 = cycles();
	if (total)
		st->busy_cycles += c1 - c0;
	else
		st->idle_cycles += c1 - c0;
	return total;
}

static void *worker_main(void *arg)
{
	struct gk_worker *w = arg;

	rcu_register_thread();
	while (!atomic_load_explicit(&w->stop, memory_order_relaxed))
		gk_worker_poll(w);
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
