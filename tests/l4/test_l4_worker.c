// SPDX-License-Identifier: BSD-3-Clause
/*
 * The front door in the worker, on the memory backend:
 *
 *   clients            router                genkan              backends
 *   198.51.100.0/24 -- 192.0.2.254 ----- port 0 [ ] port 1 ----- 10.0.0.0/8
 *   2001:db8:c::/48    2001:db8:ff::1                            fd00::/8
 *
 * The memory port's classifier knows the listen addresses (rule 10, as
 * gk_l4svc does in XDP), so frames for a service arrive as L4_SERVICE;
 * the stage rewrites them, the L3 stage routes them to the backend
 * (MACs, TTL). Replies from a backend arrive on port 1 as transit; the
 * stage's tx hook gives them the listen source before L3 routes them back
 * to the client. Expected frames from scapy (gen_l4.py).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <urcu-qsbr.h>

#include "backend_mem.h"
#include "l4.h"
#include "l4_fixtures.h"
#include "l4_rig.h"
#include "tables.h"
#include "worker.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define A4(a, b, c, d)	{ a, b, c, d }

static const uint8_t mac0[6] = { 2, 0, 0, 0, 0, 0x0a };
static const uint8_t mac1[6] = { 2, 0, 0, 0, 0, 0x0b };

static const struct gk_fib_port fports[] = {
	{ .ifindex = 10, .port_id = 0, .mac = { 2, 0, 0, 0, 0, 0x0a } },
	{ .ifindex = 11, .port_id = 1, .mac = { 2, 0, 0, 0, 0, 0x0b } },
};

static const struct gk_route routes[] = {
	{ .family = AF_INET, .plen = 24, .has_gw = 1,
	  .dst = A4(198, 51, 100, 0), .gw = A4(192, 0, 2, 254), .ifindex = 10 },
	{ .family = AF_INET, .plen = 24, .dst = A4(192, 0, 2, 0), .ifindex = 10 },
	{ .family = AF_INET, .plen = 8, .dst = A4(10, 0, 0, 0), .ifindex = 11 },
	{ .family = AF_INET6, .plen = 48, .has_gw = 1,
	  .dst = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0c },
	  .gw = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 1 }, .ifindex = 10 },
	{ .family = AF_INET6, .plen = 64, .dst = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff },
	  .ifindex = 10 },
	{ .family = AF_INET6, .plen = 8, .dst = { 0xfd }, .ifindex = 11 },
};

/* Rule 10's table, as gk_l4svc holds it: every listen address:port. */
static bool listen_cb(void *arg, uint8_t family, uint8_t proto,
		      const uint8_t *addr, uint16_t port)
{
	(void)arg;
	for (size_t i = 0; i < FX_SVC_MAX; i++) {
		const struct fx_svc *s = &fx_svc[i];

		if (s->family == family && s->proto == proto &&
		    port >= s->port_lo && port <= s->port_hi &&
		    !memcmp(s->addr, addr, family == 4 ? 4 : 16))
			return true;
	}
	return false;
}

struct rig {
	struct gk_mem_pool *pool;
	struct gk_port *port[2];
	struct gk_tables *tables;
	struct gk_l4_table *l4;
	struct gk_worker w;
};

static struct rig rig;

/* The router on port 0 and every backend on port 1 (gen_l4.py's MACs). */
static struct gk_tables *build_tables(void)
{
	struct gk_neigh_entry nb[2 + 64];
	struct gk_fib_input in = {
		.routes = routes, .nr_routes = ARRAY_SIZE(routes),
		.neighs = nb, .ports = fports, .nr_ports = ARRAY_SIZE(fports),
	};
	struct gk_tables *t;
	struct gk_fib *fib;
	size_t n = 0;
	char err[128];

	memset(nb, 0, sizeof(nb));
	nb[n] = (struct gk_neigh_entry){ .family = AF_INET,
		.addr = A4(192, 0, 2, 254), .ifindex = 10,
		.mac = { 2, 0, 0, 0, 0xfe, 0x01 } };
	n++;
	nb[n] = (struct gk_neigh_entry){ .family = AF_INET6,
		.addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 1 },
		.ifindex = 10, .mac = { 2, 0, 0, 0, 0xfe, 0x06 } };
	n++;
	for (size_t i = 0; i < FX_SVC_MAX; i++) {
		for (size_t j = 0; j < fx_svc[i].nr_be; j++) {
			const struct fx_be *b = &fx_svc[i].be[j];

			assert_true(n < ARRAY_SIZE(nb));
			nb[n].family = b->family == 4 ? AF_INET : AF_INET6;
			memcpy(nb[n].addr, b->addr, 16);
			nb[n].ifindex = 11;
			nb[n].mac[0] = 2;
			nb[n].mac[4] = 1;
			nb[n].mac[5] = b->addr[b->family == 4 ? 3 : 15];
			n++;
		}
	}
	in.nr_neighs = n;
	fib = gk_fib_build(&in, err, sizeof(err));
	if (!fib)
		fail_msg("fib: %s", err);
	t = gk_tables_new(fib, 1);
	assert_non_null(t);
	return t;
}

static void rig_up(struct rig *r)
{
	struct gk_classify_cfg cls = { .l4svc = listen_cb };
	struct gk_worker_cfg cfg = { .cpu = -1 };
	size_t i;

	memset(r, 0, sizeof(*r));
	r->pool = gk_mem_pool_create(256, 2048);
	assert_non_null(r->pool);
	r->port[0] = gk_mem_port_create(r->pool, 0, mac0, &cls);
	r->port[1] = gk_mem_port_create(r->pool, 1, mac1, &cls);
	assert_non_null(r->port[0]);
	assert_non_null(r->port[1]);
	gk_mem_port_set_capture(r->port[0], 64);
	gk_mem_port_set_capture(r->port[1], 64);
	r->tables = build_tables();
	r->l4 = rig_table(NULL, 0);
	assert_non_null(r->l4);
	for (i = 0; i < ARRAY_SIZE(fx_wk); i++)
		assert_int_equal(gk_mem_port_add_frame(r->port[fx_wk[i].in_port],
						       fx_wk[i].in,
						       fx_wk[i].in_len), 0);
	cfg.ports[0] = r->port[0];
	cfg.ports[1] = r->port[1];
	cfg.nr_ports = 2;
	cfg.tables = &r->tables;
	cfg.l4 = &r->l4;
	cfg.l4_max_flows = 1024;
	cfg.l4_nr_be = rig_nr_be();
	assert_int_equal(gk_worker_init(&r->w, &cfg), 0);
	assert_non_null(r->w.l4);
}

static void rig_down(struct rig *r)
{
	gk_worker_fini(&r->w);
	r->port[0]->ops->close(r->port[0]);
	r->port[1]->ops->close(r->port[1]);
	assert_int_equal(gk_mem_pool_nr_free(r->pool), 256);
	gk_mem_pool_destroy(r->pool);
	gk_tables_free(r->tables);
	gk_l4_table_free(r->l4);
}

static void test_worker(void **state)
{
	const struct gk_wk_stats *st;
	struct rig *r = &rig;
	uint64_t in[2] = { 0, 0 }, drops = 0, ntx = 0;
	size_t i, seen[2] = { 0, 0 };
	unsigned int got = 0;
	const uint8_t *b;
	uint32_t len;

	rig_up(r);
	rcu_register_thread();
	for (i = 0; i < 4; i++)
		got += gk_worker_poll(&r->w);
	rcu_unregister_thread();
	assert_int_equal(got, ARRAY_SIZE(fx_wk));
	for (i = 0; i < ARRAY_SIZE(fx_wk); i++) {
		const struct fx_wk *f = &fx_wk[i];

		in[f->in_port]++;
		if (f->out_port < 0) {
			drops++;
			continue;
		}
		b = gk_mem_port_captured(r->port[f->out_port],
					 seen[f->out_port]++, &len);
		if (!b)
			fail_msg("%s: nothing left on port %d", f->what,
				 f->out_port);
		if (len != f->out_len || memcmp(b, f->out, len))
			fail_msg("%s: output differs from scapy", f->what);
		ntx++;
	}
	st = &r->w.stats;
	assert_int_equal(gk_mem_port_nr_captured(r->port[0]), seen[0]);
	assert_int_equal(gk_mem_port_nr_captured(r->port[1]), seen[1]);
	assert_int_equal(st->tx_packets, ntx);
	assert_int_equal(st->class_packets[GK_CLASS_L4_SERVICE], in[0]);
	assert_int_equal(st->class_packets[GK_CLASS_TRANSIT], in[1]);
	assert_int_equal(st->drops[GK_WK_DROP_L4], drops);
	for (i = 0; i < GK_WK_DROP_MAX; i++)
		if (i != GK_WK_DROP_L4 && st->drops[i])
			fail_msg("drop %s: %lu", gk_wk_drop_names[i],
				 (unsigned long)st->drops[i]);
	/* every client frame but the dropped one opened a flow */
	assert_int_equal(r->w.l4->cnt[GK_L4_NEW_FLOWS], in[0] - drops);
	assert_int_equal(r->w.l4->cnt[GK_L4_REVERSE], in[1]);
	assert_int_equal(r->w.l4->cnt[GK_L4_NO_BACKEND], drops);
	rig_down(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
