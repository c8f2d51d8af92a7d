// SPDX-License-Identifier: BSD-3-Clause
/*
 * Packet accounting (#13 item 2, docs/accounting.md) of a real worker:
 * a MAP-E CE with neighbour hold on two memory ports of one pool, fed a
 * known mixed stream built by scapy (gen_accounting.py: forwardable
 * transit, MAP-E encap/decap, outer fragmentation, TTL 1 answered by ICMP,
 * malformed and unroutable frames, IPv6 fragments that merge, a datagram
 * that never completes, frames to an unresolved neighbour). Each term and
 * each drop reason must be what the stream's composition says, before and
 * after the held frames time out, and the two sides must balance.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <urcu-qsbr.h>

#include "backend_mem.h"
#include "map_table.h"
#include "nreq.h"
#include "parse.h"
#include "tables.h"
#include "testbed.h"
#include "worker.h"
#include "accounting_fixtures.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NBUFS		256

static const uint8_t mac0[6] = { 2, 0, 0, 0, 0, 0x0a };
static const uint8_t mac1[6] = { 2, 0, 0, 0, 0, 0x0b };

/* What XDP would do for the CE's WAN port: its MAP-E address is the CE's. */
static int wan_mape_v6(void *arg, const uint8_t addr[16])
{
	(void)arg;
	return memcmp(addr, tb_ce_addr6, 16) ? 0 : GK_CLASS_MAPE_CE;
}

static int term(const char *name)
{
	return tb_name_idx(gk_wk_acct_names, GK_WK_ACCT_MAX, name);
}

/* Every term as the stream says, every drop reason, and the balance. */
static void check(const struct gk_worker *w, const uint64_t *want,
		  const void *drops_, const char *when)
{
	const struct { const char *reason; uint64_t n; } *drops = drops_;
	uint64_t t[GK_WK_ACCT_MAX], in, out, wd[GK_WK_DROP_MAX] = { 0 };
	unsigned i, k;
	bool ok;

	assert_int_equal(ARRAY_SIZE(acx_terms), GK_WK_ACCT_MAX);
	ok = gk_wk_acct(&w->stats, t, &in, &out);
	for (i = 0; i < GK_WK_ACCT_MAX; i++) {
		int j = term(acx_terms[i]);

		if (t[j] != want[i])
			fail_msg("%s: %s %lu, want %lu", when, acx_terms[i],
				 (unsigned long)t[j], (unsigned long)want[i]);
	}
	if (!ok || in != out)
		fail_msg("%s: in %lu != out %lu", when, (unsigned long)in,
			 (unsigned long)out);
	for (i = 0; drops[i].reason; i++) {
		for (k = 0; k < GK_WK_DROP_MAX; k++)
			if (!strcmp(gk_wk_drop_names[k], drops[i].reason))
				break;
		if (k == GK_WK_DROP_MAX)
			fail_msg("no drop reason %s", drops[i].reason);
		wd[k] = drops[i].n;
	}
	for (k = 0; k < GK_WK_DROP_MAX; k++)
		if (w->stats.drops[k] != wd[k])
			fail_msg("%s: drop %s %lu, want %lu", when,
				 gk_wk_drop_names[k],
				 (unsigned long)w->stats.drops[k],
				 (unsigned long)wd[k]);
}

static void test_mixed_stream(void **state)
{
	static struct gk_worker w;
	struct gk_worker_cfg cfg = { .cpu = -1 };
	struct gk_classify_cfg lan = { .mape_ce_v4_port = true };
	struct gk_classify_cfg wan = { .mape_v6 = wan_mape_v6 };
	struct gk_tables *tb = tb_ce_fib(48, TB_CE_LAN4 | TB_CE_TRANSIT6);
	struct gk_map_table *map = tb_ce_map_table(ACX_TUNNEL_MTU);
	struct gk_nreq_ring *nreq = gk_nreq_ring_create(16);
	struct gk_mem_pool *pool;
	struct gk_port *port[2];
	unsigned i, quiet;

	(void)state;
	pool = gk_mem_pool_create(NBUFS, 2048);
	assert_non_null(pool);
	assert_non_null(nreq);
	port[0] = gk_mem_port_create(pool, 0, mac0, &lan);
	port[1] = gk_mem_port_create(pool, 1, mac1, &wan);
	assert_non_null(port[0]);
	assert_non_null(port[1]);
	gk_mem_port_set_capture(port[0], 64);
	gk_mem_port_set_capture(port[1], 64);
	for (i = 0; i < ARRAY_SIZE(acx); i++)
		assert_int_equal(gk_mem_port_add_frame(port[acx[i].port],
						       acx[i].b, acx[i].len), 0);
	/* every frame reaches the worker: none stays with "XDP" */
	for (i = 0; i < 2; i++) {
		assert_int_equal(gk_mem_port_rx_stats(port[i])->dropped, 0);
		assert_int_equal(gk_mem_port_rx_stats(port[i])->to_kernel, 0);
	}
	cfg.ports[0] = port[0];
	cfg.ports[1] = port[1];
	cfg.nr_ports = 2;
	cfg.tables = &tb;
	cfg.nreq = nreq;
	cfg.map = &map;
	cfg.map_nr_rules = 1;
	cfg.icmp_rate = 100;
	cfg.neigh_hold = 4;
	assert_int_equal(gk_worker_init(&w, &cfg), 0);
	rcu_register_thread();

	/* phase 1: the stream, until the worker is quiet */
	for (i = 0, quiet = 0; i < 100 && quiet < 4; i++)
		quiet = gk_worker_poll(&w) ? 0 : quiet + 1;
	assert_int_equal(quiet, 4);
	check(&w, acx_want1, acx_drops1, "phase 1");
	assert_int_equal(gk_mem_port_nr_captured(port[0]), ACX_TX_PORT0);
	assert_int_equal(gk_mem_port_nr_captured(port[1]), ACX_TX_PORT1);

	/* phase 2: 3 s later on the worker's clock, with no new frame, the
	 * reassembly (2 s) and the neighbour hold (1 s) give up */
	assert_true(w.stats.polls % 64 != 0);	/* the clock is not re-read */
	w.now_ns += 3000000000ull;
	gk_worker_poll(&w);
	check(&w, acx_want2, acx_drops2, "phase 2");
	assert_int_equal(w.mape.dom[0].drops[GK_MAP_DROP_REASM_TIMEOUT], 3);
	assert_int_equal(w.mape.dom[0].drops[GK_MAP_DROP_PORT_VIOLATION], 2);
	assert_int_equal(w.mape.dom[0].drops[GK_MAP_DROP_BAD_INNER], 2);
	assert_int_equal(gk_mem_port_nr_captured(port[0]), ACX_TX_PORT0);
	assert_int_equal(gk_mem_port_nr_captured(port[1]), ACX_TX_PORT1);

	/* phase 3: a first fragment and a frame for the unresolved
	 * neighbour again, held when the worker stops: one drop each */
	for (i = 0; i < ARRAY_SIZE(acx); i++)
		if (!strcmp(acx[i].what, "reassembly given up") ||
		    !strcmp(acx[i].what, "unresolved neighbour 0")) {
			assert_int_equal(gk_mem_port_add_frame(port[acx[i].port],
					 acx[i].b, acx[i].len), 0);
			if (acx[i].port == 1)
				i += 2;	/* one piece of the three */
		}
	for (i = 0, quiet = 0; i < 100 && quiet < 4; i++)
		quiet = gk_worker_poll(&w) ? 0 : quiet + 1;
	rcu_unregister_thread();
	{
		uint64_t t[GK_WK_ACCT_MAX], in, out;
		uint64_t mape = w.stats.drops[GK_WK_DROP_MAPE];
		uint64_t aged = w.stats.drops[GK_WK_DROP_NEIGH_HOLD_AGED];

		assert_string_equal(acx_terms[0], "rx");
		assert_string_equal(acx_terms[2], "generated");
		assert_string_equal(acx_terms[3], "split");
		assert_true(gk_wk_acct(&w.stats, t, &in, &out));
		assert_int_equal(t[GK_WK_ACCT_RX], acx_want2[0] + 2);
		assert_int_equal(t[GK_WK_ACCT_HELD], 2);
		gk_worker_fini(&w);
		assert_true(gk_wk_acct(&w.stats, t, &in, &out));
		assert_int_equal(t[GK_WK_ACCT_HELD], 0);
		assert_int_equal(w.stats.drops[GK_WK_DROP_MAPE], mape + 1);
		assert_int_equal(w.stats.drops[GK_WK_DROP_NEIGH_HOLD_AGED],
				 aged + 1);
		assert_int_equal(in, acx_want2[0] + 2 + acx_want2[2] +
				 acx_want2[3]);
	}
	port[0]->ops->close(port[0]);
	port[1]->ops->close(port[1]);
	assert_int_equal(gk_mem_pool_nr_free(pool), NBUFS);	/* no leak */
	gk_mem_pool_destroy(pool);
	gk_map_table_free(map);
	gk_tables_free(tb);
	gk_nreq_ring_destroy(nreq);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mixed_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
