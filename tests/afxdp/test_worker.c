// SPDX-License-Identifier: BSD-3-Clause
/*
 * Worker on the memory backend: two mem ports of one pool, a small FIB,
 * scapy-built frames in on port 0 (worker_fixtures.h), captured frames and
 * counters checked. A fake port covers what the memory backend never
 * delivers (bad metadata, non-transit classes) and a full TX ring.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <urcu-qsbr.h>

#include "backend_mem.h"
#include "cls_tables.h"
#include "map_table.h"
#include "neigh_hold.h"
#include "nreq.h"
#include "parse.h"
#include "tables.h"
#include "testbed.h"
#include "worker.h"
#include "worker_fixtures.h"
#include "worker_mape_fixtures.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t mac0[6] = { 2, 0, 0, 0, 0, 0x0a };
static const uint8_t mac1[6] = { 2, 0, 0, 0, 0, 0x0b };

#define A4(a, b, c, d)	{ a, b, c, d }

struct rig {
	struct gk_mem_pool *pool;
	struct gk_port *port[2];
	struct gk_tables *tables;
	struct gk_nreq_ring *nreq;
	struct gk_worker w;
};

static struct rig rig;

/* The twin's tables for rig ports: like the mem ports' classifier, empty. */
static struct gk_cls_tables *rig_cls;

static void rig_up_hand(struct rig *r, uint8_t hand)
{
	struct gk_worker_cfg cfg = { .cpu = -1 };
	size_t i;

	memset(r, 0, sizeof(*r));
	r->pool = gk_mem_pool_create(256, 2048);
	assert_non_null(r->pool);
	r->port[0] = gk_mem_port_create(r->pool, 0, mac0, NULL);
	r->port[1] = gk_mem_port_create(r->pool, 1, mac1, NULL);
	assert_non_null(r->port[0]);
	assert_non_null(r->port[1]);
	gk_mem_port_set_capture(r->port[0], 64);
	gk_mem_port_set_capture(r->port[1], 64);
	r->tables = tb_l3_tables();
	r->nreq = gk_nreq_ring_create(16);
	assert_non_null(r->nreq);
	for (i = 0; i < ARRAY_SIZE(wfx); i++)
		assert_int_equal(gk_mem_port_add_frame(r->port[0], wfx[i].in,
						       wfx[i].in_len), 0);
	cfg.ports[0] = r->port[0];
	cfg.ports[1] = r->port[1];
	cfg.nr_ports = 2;
	cfg.tables = &r->tables;
	cfg.nreq = r->nreq;
	cfg.cls = &rig_cls;
	atomic_store(&r->port[0]->hand, hand);
	atomic_store(&r->port[1]->hand, hand);
	assert_int_equal(gk_worker_init(&r->w, &cfg), 0);
}

static void rig_up(struct rig *r)
{
	rig_up_hand(r, GK_HAND_META);
}

static void rig_down(struct rig *r)
{
	r->port[0]->ops->close(r->port[0]);
	r->port[1]->ops->close(r->port[1]);
	assert_int_equal(gk_mem_pool_nr_free(r->pool), 256);
	gk_mem_pool_destroy(r->pool);
	gk_tables_free(r->tables);
	gk_nreq_ring_destroy(r->nreq);
}

/* Every fixture left where scapy says, and every counter agrees. */
static void check_results(struct rig *r)
{
	const struct gk_wk_stats *st = &r->w.stats;
	uint64_t drops[GK_WK_DROP_MAX] = { 0 };
	size_t i, seen[2] = { 0, 0 }, ntx = 0, nrx_bytes = 0;
	struct gk_nreq q[4];
	const uint8_t *b;
	uint32_t len;

	for (i = 0; i < ARRAY_SIZE(wfx); i++) {
		nrx_bytes += wfx[i].in_len;
		if (wfx[i].out_port < 0) {
			drops[wfx[i].drop]++;
			continue;
		}
		b = gk_mem_port_captured(r->port[wfx[i].out_port],
					 seen[wfx[i].out_port]++, &len);
		assert_non_null(b);
		if (len != wfx[i].out_len || memcmp(b, wfx[i].out, len))
			fail_msg("%s: output differs from scapy", wfx[i].what);
		ntx++;
	}
	assert_int_equal(gk_mem_port_nr_captured(r->port[0]), seen[0]);
	assert_int_equal(gk_mem_port_nr_captured(r->port[1]), seen[1]);
	assert_int_equal(st->rx_packets, ARRAY_SIZE(wfx));
	assert_int_equal(st->rx_bytes, nrx_bytes);
	assert_int_equal(st->tx_packets, ntx);
	assert_int_equal(st->class_packets[GK_CLASS_TRANSIT], ARRAY_SIZE(wfx));
	for (i = 0; i < GK_WK_DROP_MAX; i++)
		if (st->drops[i] != drops[i])
			fail_msg("drop %s: %lu, want %lu", gk_wk_drop_names[i],
				 (unsigned long)st->drops[i],
				 (unsigned long)drops[i]);
	/* The unresolved connected neighbor went to genkand, once. */
	assert_int_equal(st->neigh_requests, 1);
	assert_int_equal(gk_nreq_pop(r->nreq, q, 4), 1);
	assert_int_equal(q[0].family, AF_INET);
	assert_int_equal(q[0].ifindex, 11);
	assert_memory_equal(q[0].addr, ((uint8_t[]){ 198, 18, 0, 77 }), 4);
}

static void test_poll_inline(void **state)
{
	struct rig *r = &rig;
	unsigned int got = 0, i;

	rig_up(r);
	/* This thread is the QSBR reader gk_worker_poll() expects. */
	rcu_register_thread();
	for (i = 0; i < 4; i++)
		got += gk_worker_poll(&r->w);
	rcu_unregister_thread();
	assert_int_equal(got, ARRAY_SIZE(wfx));
	assert_int_equal(r->w.stats.polls, 4);
	assert_true(r->w.stats.busy_cycles > 0);
	assert_true(atomic_load(&r->w.heartbeat_ns) > 0);
	check_results(r);
	rig_down(r);
}

/*
 * The same corpus in every hand-off mode (meta in the descriptor, head
 * prepended and stripped, parse by the worker's twin): the scapy outputs
 * and every counter but the per-mode one are identical.
 */
static void test_hand_modes(void **state)
{
	static const uint8_t modes[] = { GK_HAND_META, GK_HAND_HEAD,
					 GK_HAND_PARSE };
	struct gk_cls_input none = { 0 };
	struct gk_wk_stats first;
	struct rig *r = &rig;
	unsigned int got, i, k;

	rig_cls = gk_cls_tables_build(&none);
	assert_non_null(rig_cls);
	for (k = 0; k < ARRAY_SIZE(modes); k++) {
		const struct gk_wk_stats *st;

		rig_up_hand(r, modes[k]);
		rcu_register_thread();
		for (got = 0, i = 0; i < 4; i++)
			got += gk_worker_poll(&r->w);
		rcu_unregister_thread();
		assert_int_equal(got, ARRAY_SIZE(wfx));
		check_results(r);
		st = &r->w.stats;
		assert_int_equal(st->hand_packets[modes[k]], ARRAY_SIZE(wfx));
		if (k == 0) {
			first = *st;
		} else {
			assert_memory_equal(st->drops, first.drops,
					    sizeof(first.drops));
			assert_memory_equal(st->class_packets, first.class_packets,
					    sizeof(first.class_packets));
			assert_memory_equal(st->events, first.events,
					    sizeof(first.events));
			assert_int_equal(st->tx_bytes, first.tx_bytes);
			assert_int_equal(st->rx_bytes, first.rx_bytes);
		}
		rig_down(r);
	}
	gk_cls_tables_free(rig_cls);
	rig_cls = NULL;
}

/*
 * Parse mode where the twin disagrees with what XDP decided (the tables
 * changed in between): such frames are dropped and counted, not routed.
 */
static void test_parse_refused(void **state)
{
	struct gk_cls_input in = { 0 };
	uint32_t loc[ARRAY_SIZE(wfx)];
	struct rig *r = &rig;
	size_t n = 0, i;

	/* every IPv4 destination of the corpus is one of ours by now */
	for (i = 0; i < ARRAY_SIZE(wfx); i++) {
		const uint8_t *f = wfx[i].in;

		if (wfx[i].in_len >= 34 && f[12] == 0x08 && f[13] == 0)
			memcpy(&loc[n++], f + 30, 4);
	}
	assert_true(n > 0);
	in.local4 = loc;
	in.nr_local4 = n;
	rig_cls = gk_cls_tables_build(&in);
	assert_non_null(rig_cls);
	rig_up_hand(r, GK_HAND_PARSE);
	rcu_register_thread();
	for (i = 0; i < 4; i++)
		gk_worker_poll(&r->w);
	rcu_unregister_thread();
	assert_int_equal(r->w.stats.drops[GK_WK_DROP_PARSE_REFUSED], n);
	assert_int_equal(r->w.stats.hand_packets[GK_HAND_PARSE],
			 ARRAY_SIZE(wfx));
	rig_down(r);
	gk_cls_tables_free(rig_cls);
	rig_cls = NULL;
}

static void test_thread(void **state)
{
	struct rig *r = &rig;
	struct timespec ms = { 0, 1000000 };
	unsigned int i;

	rig_up(r);
	r->w.cfg.cpu = 0;
	assert_int_equal(gk_worker_start(&r->w), 0);
	/* Wait for the work, not for a time: the bound only stops a hang. */
	for (i = 0; i < 20000 && r->w.stats.polls < 1000; i++)
		nanosleep(&ms, NULL);
	gk_worker_stop(&r->w);
	assert_false(r->w.started);
	assert_true(r->w.stats.polls >= 1000);
	assert_true(r->w.stats.idle_cycles > 0);
	check_results(r);
	gk_worker_stop(&r->w);	/* idempotent */
	rig_down(r);
}

/* rx = tx + held + dropped, over every frame the rig's worker took in. */
static void check_balance(const struct gk_worker *w)
{
	const struct gk_wk_stats *st = &w->stats;
	uint64_t drops = 0;
	unsigned i;

	for (i = 0; i < GK_WK_DROP_MAX; i++)
		drops += st->drops[i];
	if (st->rx_packets != st->tx_packets + gk_nhold_count(w->l3.hold) + drops)
		fail_msg("rx %lu != tx %lu + held %u + dropped %lu",
			 (unsigned long)st->rx_packets,
			 (unsigned long)st->tx_packets,
			 gk_nhold_count(w->l3.hold), (unsigned long)drops);
}

/* The rig's FIB with 198.18.0.77 and 2001:db8:ff::77 resolved. */
static struct gk_tables *build_tables_resolved(void)
{
	struct gk_neigh_entry ne[ARRAY_SIZE(tb_l3_neighs) + 2];
	struct gk_fib_input in = {
		.routes = tb_l3_routes, .nr_routes = ARRAY_SIZE(tb_l3_routes),
		.neighs = ne, .nr_neighs = ARRAY_SIZE(ne),
		.ports = tb_l3_ports, .nr_ports = ARRAY_SIZE(tb_l3_ports),
	};
	struct gk_neigh_entry *e = &ne[ARRAY_SIZE(tb_l3_neighs)];

	memcpy(ne, tb_l3_neighs, sizeof(tb_l3_neighs));
	memset(e, 0, 2 * sizeof(*e));
	e[0] = (struct gk_neigh_entry){ .family = AF_INET,
		.addr = A4(198, 18, 0, 77), .ifindex = 11,
		.mac = { 2, 0, 0, 0, 0x4d, 0x01 } };
	e[1] = (struct gk_neigh_entry){ .family = AF_INET6,
		.addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 0x77 },
		.ifindex = 11, .mac = { 2, 0, 0, 0, 0x4d, 0x06 } };
	return tb_tables(&in, 2);
}

/*
 * #13 bug 8: frames to neighbours the kernel is still resolving are held
 * (4 per neighbour), not dropped, and leave byte-exact (scapy), in order,
 * once a snapshot knows them; what does not fit, what ages out (1 s) and
 * what is held when the worker stops is counted, one drop per frame.
 * Every frame is accounted for at each step, and the pool is whole at the
 * end: the held frames are copies, no buffer is kept.
 */
static void test_neigh_hold(void **state)
{
	struct gk_worker_cfg cfg = { .cpu = -1 };
	const struct gk_wk_stats *st;
	struct gk_tables *unres, *res;
	struct rig *r = &rig;
	const uint8_t *b;
	size_t i, k;
	uint32_t len;

	(void)state;
	memset(r, 0, sizeof(*r));
	r->pool = gk_mem_pool_create(256, 2048);
	assert_non_null(r->pool);
	r->port[0] = gk_mem_port_create(r->pool, 0, mac0, NULL);
	r->port[1] = gk_mem_port_create(r->pool, 1, mac1, NULL);
	assert_non_null(r->port[0]);
	assert_non_null(r->port[1]);
	gk_mem_port_set_capture(r->port[1], 64);
	unres = tb_l3_tables();
	res = build_tables_resolved();
	r->tables = unres;
	r->nreq = gk_nreq_ring_create(16);
	assert_non_null(r->nreq);
	for (i = 0; i < ARRAY_SIZE(wfh); i++)
		assert_int_equal(gk_mem_port_add_frame(r->port[0], wfh[i].in,
						       wfh[i].in_len), 0);
	cfg.ports[0] = r->port[0];
	cfg.ports[1] = r->port[1];
	cfg.nr_ports = 2;
	cfg.tables = &r->tables;
	cfg.nreq = r->nreq;
	cfg.neigh_hold = 4;
	assert_int_equal(gk_worker_init(&r->w, &cfg), 0);
	st = &r->w.stats;
	rcu_register_thread();

	/* unresolved: 4 + 2 held, 2 over 198.18.0.77's share; both asked */
	for (i = 0; i < 4; i++)
		gk_worker_poll(&r->w);
	assert_int_equal(st->rx_packets, ARRAY_SIZE(wfh));
	assert_int_equal(st->tx_packets, 0);
	assert_int_equal(gk_mem_port_nr_captured(r->port[1]), 0);
	assert_int_equal(st->events[GK_WK_EV_NEIGH_HELD], 6);
	assert_int_equal(st->drops[GK_WK_DROP_NEIGH_HOLD_FULL], 2);
	assert_int_equal(st->drops[GK_WK_DROP_NO_NEIGH], 0);
	assert_int_equal(gk_nhold_count(r->w.l3.hold), 6);
	assert_int_equal(st->neigh_requests, 2);
	check_balance(&r->w);

	/* genkand publishes a snapshot with both: all six leave, in order */
	r->tables = res;
	for (i = 0; i < 2; i++)
		gk_worker_poll(&r->w);
	assert_int_equal(gk_mem_port_nr_captured(r->port[1]), 6);
	for (i = 0, k = 0; i < ARRAY_SIZE(wfh); i++) {
		if (!wfh[i].out)
			continue;
		b = gk_mem_port_captured(r->port[1], k++, &len);
		assert_non_null(b);
		if (len != wfh[i].out_len || memcmp(b, wfh[i].out, len))
			fail_msg("held frame %zu: output differs from scapy", i);
	}
	assert_int_equal(st->events[GK_WK_EV_NEIGH_HOLD_SENT], 6);
	assert_int_equal(st->tx_packets, 6);
	assert_int_equal(gk_nhold_count(r->w.l3.hold), 0);
	check_balance(&r->w);

	/* unresolved again: one held, then 2 s later (the worker's clock) aged */
	r->tables = unres;
	assert_int_equal(gk_mem_port_add_frame(r->port[0], wfh[0].in,
					       wfh[0].in_len), 0);
	gk_worker_poll(&r->w);
	assert_int_equal(gk_nhold_count(r->w.l3.hold), 1);
	check_balance(&r->w);
	assert_true(st->polls % 64 != 0);	/* the clock is not re-read */
	r->w.now_ns += 2000000000ull;
	gk_worker_poll(&r->w);
	assert_int_equal(gk_nhold_count(r->w.l3.hold), 0);
	assert_int_equal(st->drops[GK_WK_DROP_NEIGH_HOLD_AGED], 1);
	check_balance(&r->w);

	/* held when the worker stops: counted, and nothing leaks */
	assert_int_equal(gk_mem_port_add_frame(r->port[0], wfh[1].in,
					       wfh[1].in_len), 0);
	gk_worker_poll(&r->w);
	assert_int_equal(gk_nhold_count(r->w.l3.hold), 1);
	rcu_unregister_thread();
	gk_worker_fini(&r->w);
	assert_int_equal(st->drops[GK_WK_DROP_NEIGH_HOLD_AGED], 2);
	assert_int_equal(st->rx_packets, ARRAY_SIZE(wfh) + 2);
	check_balance(&r->w);
	gk_tables_free(res);
	rig_down(r);		/* also: all 256 buffers back in the pool */
}

/* A port that hands out prepared packets and records what it gets back. */
struct fake {
	struct gk_port port;
	struct gk_pkt pk[8];
	uint8_t buf[8][64];
	uint16_t nrx;
	uint16_t tx_room;
	unsigned int freed, txed, flushes;
};

static struct fake *fk(struct gk_port *p)
{
	return (struct fake *)p;
}

static uint16_t fake_rx(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	struct fake *f = fk(p);
	uint16_t i;

	if (n > f->nrx)
		n = f->nrx;
	for (i = 0; i < n; i++)
		pkts[i] = &f->pk[i];
	f->nrx = 0;
	return n;
}

static uint16_t fake_tx(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	struct fake *f = fk(p);
	uint16_t k = n < f->tx_room ? n : f->tx_room;

	f->txed += k;
	f->freed += n - k;
	return k;
}

static void fake_flush(struct gk_port *p)
{
	fk(p)->flushes++;
}

static void fake_free(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	fk(p)->freed += n;
}

static const struct gk_port_ops fake_ops = {
	.name = "fake", .rx_burst = fake_rx, .tx_burst = fake_tx,
	.flush = fake_flush, .free = fake_free,
};

static void fake_pkt(struct fake *f, unsigned int i, uint16_t magic,
		     uint8_t version, uint8_t cls)
{
	struct gk_pkt *p = &f->pk[i];

	memset(p, 0, sizeof(*p));
	p->data = f->buf[i];
	p->len = 60;
	p->meta.magic = magic;
	p->meta.version = version;
	p->meta.class = cls;
}

static void test_meta_and_classes(void **state)
{
	static struct fake f;
	static struct gk_worker w;
	struct gk_tables *none = NULL;
	struct gk_worker_cfg cfg = { .cpu = -1, .tables = &none };

	memset(&f, 0, sizeof(f));
	f.port.ops = &fake_ops;
	f.port.port_id = 3;
	fake_pkt(&f, 0, 0x1234, GK_META_VERSION, GK_CLASS_TRANSIT);
	fake_pkt(&f, 1, GK_META_MAGIC, GK_META_VERSION + 1, GK_CLASS_TRANSIT);
	fake_pkt(&f, 2, GK_META_MAGIC, GK_META_VERSION, GK_CLASS_MAX);
	fake_pkt(&f, 3, GK_META_MAGIC, GK_META_VERSION, GK_CLASS_LOCAL);
	fake_pkt(&f, 4, GK_META_MAGIC, GK_META_VERSION, GK_CLASS_WG_DATA);
	/* No snapshot published: transit has no route. */
	fake_pkt(&f, 5, GK_META_MAGIC, GK_META_VERSION, GK_CLASS_TRANSIT);
	f.nrx = 6;
	cfg.ports[3] = &f.port;

	/* Port ids must match their slot. */
	cfg.ports[2] = &f.port;
	assert_int_equal(gk_worker_init(&w, &cfg), -EINVAL);
	cfg.ports[2] = NULL;
	assert_int_equal(gk_worker_init(&w, &cfg), 0);

	rcu_register_thread();
	assert_int_equal(gk_worker_poll(&w), 6);
	assert_int_equal(gk_worker_poll(&w), 0);
	rcu_unregister_thread();

	assert_int_equal(w.stats.drops[GK_WK_DROP_BAD_META], 3);
	assert_int_equal(w.stats.drops[GK_WK_DROP_UNHANDLED], 2);
	assert_int_equal(w.stats.drops[GK_WK_DROP_NO_ROUTE], 1);
	assert_int_equal(w.stats.class_packets[GK_CLASS_LOCAL], 1);
	assert_int_equal(w.stats.class_packets[GK_CLASS_WG_DATA], 1);
	assert_int_equal(w.stats.class_packets[GK_CLASS_TRANSIT], 1);
	assert_int_equal(f.pk[3].drop_reason, GK_WK_DROP_UNHANDLED);
	assert_int_equal(f.freed, 6);
	assert_int_equal(f.flushes, 2);
	assert_int_equal(w.stats.rx_packets, 6);
	assert_int_equal(w.stats.tx_packets, 0);
	assert_int_equal(w.stats.polls, 2);
	assert_true(w.stats.idle_cycles > 0);
}

/* A tx ring with room for 2 of 5: 3 counted as tx_full, none leaked. */
static void test_tx_full(void **state)
{
	static struct fake in, out;
	static struct gk_worker w;
	struct gk_worker_cfg cfg = { .cpu = -1 };
	struct gk_tables *t = tb_l3_tables();
	enum gk_xdp_drop why;
	unsigned int i;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.port.ops = out.port.ops = &fake_ops;
	in.port.port_id = 0;
	out.port.port_id = 1;
	out.tx_room = 2;
	for (i = 0; i < 5; i++) {
		fake_pkt(&in, i, 0, 0, 0);
		memcpy(in.buf[i], wfx[0].in, wfx[0].in_len);
		in.pk[i].len = wfx[0].in_len;
		assert_int_equal(gk_classify(in.buf[i], in.pk[i].len, NULL,
					     &in.pk[i].meta, &why),
				 GK_CLS_WORKER);
	}
	in.nrx = 5;
	cfg.ports[0] = &in.port;
	cfg.ports[1] = &out.port;
	cfg.tables = &t;
	assert_int_equal(gk_worker_init(&w, &cfg), 0);
	rcu_register_thread();
	assert_int_equal(gk_worker_poll(&w), 5);
	rcu_unregister_thread();
	assert_int_equal(w.stats.tx_packets, 2);
	assert_int_equal(w.stats.tx_bytes, 2 * wfx[0].in_len);
	assert_int_equal(w.stats.drops[GK_WK_DROP_TX_FULL], 3);
	assert_int_equal(out.txed, 2);
	assert_int_equal(out.freed, 3);
	assert_int_equal(in.freed, 0);
	assert_int_equal(in.flushes + out.flushes, 2);
	gk_tables_free(t);
}

/*
 * ---- MAP-E through gk_worker_poll ----
 * A port with real headroom (the CE prepends 40 bytes in place) that
 * hands out prepared packets and keeps copies of what it transmits.
 */
#define MX_BUF		512
#define MX_HEADROOM	GK_PKT_HEADROOM
#define MX_PKTS		8

struct mxport {
	struct gk_port port;
	struct gk_pkt pk[MX_PKTS];
	uint8_t buf[MX_PKTS][MX_BUF];
	uint16_t nrx;
	unsigned int freed, ntx;
	const struct gk_pkt *tx[MX_PKTS];
	uint8_t txd[MX_PKTS][MX_BUF];
	uint32_t txlen[MX_PKTS];
};

static uint16_t mx_rx(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	struct mxport *m = (struct mxport *)p;
	uint16_t i;

	if (n > m->nrx)
		n = m->nrx;
	for (i = 0; i < n; i++)
		pkts[i] = &m->pk[i];
	m->nrx = 0;
	return n;
}

static uint16_t mx_tx(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	struct mxport *m = (struct mxport *)p;
	uint16_t i;

	for (i = 0; i < n && m->ntx < MX_PKTS; i++) {
		assert_true(pkts[i]->len <= MX_BUF);
		memcpy(m->txd[m->ntx], pkts[i]->data, pkts[i]->len);
		m->txlen[m->ntx] = pkts[i]->len;
		m->tx[m->ntx++] = pkts[i];
	}
	return n;
}

static void mx_flush(struct gk_port *p)
{
}

static void mx_free(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	((struct mxport *)p)->freed += n;
}

static const struct gk_port_ops mx_ops = {
	.name = "mx", .rx_burst = mx_rx, .tx_burst = mx_tx,
	.flush = mx_flush, .free = mx_free,
};

/* Queue fixture i on its port: classifier metadata, then the MAP-E class. */
static void mx_queue(struct mxport *m, size_t i)
{
	struct gk_pkt *p = &m->pk[m->nrx];
	uint8_t *d = m->buf[m->nrx] + MX_HEADROOM;
	enum gk_xdp_drop why;

	memset(p, 0, sizeof(*p));
	memcpy(d, wmx[i].in, wmx[i].in_len);
	p->data = d;
	p->len = wmx[i].in_len;
	p->buf_len = MX_BUF - MX_HEADROOM;
	p->in_port = m->port.port_id;
	p->handle = i;
	assert_int_equal(gk_classify(d, p->len, NULL, &p->meta, &why),
			 GK_CLS_WORKER);
	p->meta.class = wmx[i].cls;
	p->meta.flow_hash = WMX_FLOW;
	m->nrx++;
}

/*
 * CE: encap, decap, a port violation, TTL expiry answered with ICMP, and
 * plain transit in the same bursts; every frame compared with scapy's and
 * every worker and per-domain counter checked.
 */
static void test_mape_ce(void **state)
{
	static struct mxport m[2];
	static struct gk_worker w;
	struct gk_worker_cfg cfg = { .cpu = -1 };
	uint64_t wk[GK_WK_DROP_MAX] = { 0 }, md[GK_MAP_DROP_MAX] = { 0 };
	struct gk_tables *tb = tb_ce_fib(0, TB_CE_LAN4);
	struct gk_map_table *map = tb_ce_map_table(1460);
	unsigned int seen[2] = { 0, 0 }, nmape = 0, i, k;
	bool used[2][MX_PKTS] = { { false } };
	const struct gk_map_dom_stats *dom;

	memset(m, 0, sizeof(m));
	for (i = 0; i < 2; i++) {
		m[i].port.ops = &mx_ops;
		m[i].port.port_id = (uint16_t)i;
		cfg.ports[i] = &m[i].port;
	}
	for (i = 0; i < ARRAY_SIZE(wmx); i++)
		mx_queue(&m[wmx[i].in_port], i);
	cfg.tables = &tb;
	cfg.map = &map;
	cfg.map_nr_rules = 1;
	cfg.icmp_rate = 100;
	assert_int_equal(gk_worker_init(&w, &cfg), 0);
	assert_non_null(w.mape.dom);
	assert_int_equal(w.mape.nr_dom, 2);

	rcu_register_thread();
	assert_int_equal(gk_worker_poll(&w), ARRAY_SIZE(wmx));
	rcu_unregister_thread();

	for (i = 0; i < ARRAY_SIZE(wmx); i++) {
		const struct wmx_fixture *x = &wmx[i];
		const uint8_t *b;
		uint32_t len;

		nmape += x->cls == GK_CLASS_MAPE_CE;
		if (x->wk_drop[0])
			wk[tb_name_idx(gk_wk_drop_names, GK_WK_DROP_MAX,
				       x->wk_drop)]++;
		if (x->map_drop[0])
			md[tb_name_idx(gk_map_drop_names, GK_MAP_DROP_MAX,
				       x->map_drop)]++;
		if (x->out_port < 0)
			continue;
		/* ports are polled in turn: match frames, not positions */
		for (k = 0; k < m[x->out_port].ntx; k++) {
			if (used[x->out_port][k])
				continue;
			b = m[x->out_port].txd[k];
			len = m[x->out_port].txlen[k];
			if (x->icmp_type >= 0 ? tb_icmp4_answers(b, len, x->in,
							   x->icmp_type) :
			    len == x->out_len && !memcmp(b, x->out, len))
				break;
		}
		if (k == m[x->out_port].ntx)
			fail_msg("%s: no frame on port %d matches scapy's",
				 x->what, x->out_port);
		used[x->out_port][k] = true;
		seen[x->out_port]++;
	}
	assert_int_equal(m[0].ntx, seen[0]);
	assert_int_equal(m[1].ntx, seen[1]);
	for (i = 0; i < GK_WK_DROP_MAX; i++)
		if (w.stats.drops[i] != wk[i])
			fail_msg("drop %s: %lu, want %lu", gk_wk_drop_names[i],
				 (unsigned long)w.stats.drops[i],
				 (unsigned long)wk[i]);
	assert_int_equal(w.stats.class_packets[GK_CLASS_MAPE_CE], nmape);
	assert_int_equal(w.stats.events[GK_WK_EV_ICMP_TIME_EXCEEDED], 1);
	dom = &w.mape.dom[0];
	for (i = 0; i < GK_MAP_DROP_MAX; i++)
		if (dom->drops[i] != md[i])
			fail_msg("rfc drop %s: %lu, want %lu",
				 gk_map_drop_names[i],
				 (unsigned long)dom->drops[i],
				 (unsigned long)md[i]);
	assert_int_equal(dom->encap_pkts, 1);
	assert_int_equal(dom->decap_pkts, 1);
	assert_int_equal(dom->encap_bytes, wmx[0].in_len - 14);
	for (i = 0; i < GK_MAP_DROP_MAX; i++)
		assert_int_equal(w.mape.dom[1].drops[i], 0);
	assert_int_equal(m[0].freed + m[1].freed, 1);	/* the violation */

	gk_worker_fini(&w);
	assert_null(w.mape.dom);
	gk_worker_fini(&w);	/* idempotent */
	gk_map_table_free(map);
	gk_tables_free(tb);
}

/*
 * MAP-E packets while no table is published (slot empty), and on a worker
 * built without MAP-E at all: dropped, counted as unmatched / spare.
 */
static void test_mape_no_table(void **state)
{
	static struct mxport m[2];
	static struct gk_worker w;
	struct gk_worker_cfg cfg = { .cpu = -1 };
	struct gk_tables *tb = tb_ce_fib(0, TB_CE_LAN4);
	struct gk_map_table *none = NULL;
	unsigned int i, round;

	for (round = 0; round < 2; round++) {
		memset(m, 0, sizeof(m));
		for (i = 0; i < 2; i++) {
			m[i].port.ops = &mx_ops;
			m[i].port.port_id = (uint16_t)i;
			cfg.ports[i] = &m[i].port;
		}
		mx_queue(&m[0], 0);
		mx_queue(&m[1], 1);
		m[0].pk[0].meta.class = GK_CLASS_MAPE_BR;
		cfg.tables = &tb;
		cfg.map = round ? NULL : &none;
		cfg.map_nr_rules = round ? 0 : 3;
		assert_int_equal(gk_worker_init(&w, &cfg), 0);
		rcu_register_thread();
		assert_int_equal(gk_worker_poll(&w), 2);
		rcu_unregister_thread();
		assert_int_equal(w.stats.drops[GK_WK_DROP_MAPE], 2);
		assert_int_equal(w.stats.tx_packets, 0);
		assert_int_equal(m[0].freed + m[1].freed, 2);
		assert_int_equal(w.stats.class_packets[GK_CLASS_MAPE_BR], 1);
		assert_int_equal(w.stats.class_packets[GK_CLASS_MAPE_CE], 1);
		if (!round) {
			assert_int_equal(w.mape.nr_dom, 4);
			assert_int_equal(w.mape.dom[3].drops[GK_MAP_DROP_NO_RULE], 2);
		} else {
			assert_null(w.mape.dom);
			assert_int_equal(w.mape.spare.drops[GK_MAP_DROP_NO_RULE], 2);
		}
		gk_worker_fini(&w);
	}
	gk_tables_free(tb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poll_inline),
		cmocka_unit_test(test_thread),
		cmocka_unit_test(test_hand_modes),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_meta_and_classes),
		cmocka_unit_test(test_tx_full),
		cmocka_unit_test(test_neigh_hold),
		cmocka_unit_test(test_mape_ce),
		cmocka_unit_test(test_mape_no_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
