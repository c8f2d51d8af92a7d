/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory backend round trip: scapy wrote the input pcap and the expected
 * output pcap; we load, classify, forward with l3fwd, capture per egress
 * port, write a pcap and compare it with scapy's frame by frame.
 * argv[1] = input pcap, argv[2] = expected pcap, argv[3] = scratch dir.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <cmocka.h>

#include "backend_mem.h"
#include "l3fwd.h"
#include "dp_fixtures.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *in_pcap, *exp_pcap, *scratch;

struct rig {
	struct gk_mem_pool *pool;
	struct gk_port *port[2];
	struct gk_fib *fib;
	struct gk_wk_stats stats;
	struct gk_l3fwd_ctx ctx;
};

static void rig_up(struct rig *r, uint32_t nbufs)
{
	struct gk_fib_input in = {
		.routes = fx_routes, .nr_routes = ARRAY_SIZE(fx_routes),
		.neighs = fx_neighs, .nr_neighs = ARRAY_SIZE(fx_neighs),
		.ports = fx_ports, .nr_ports = ARRAY_SIZE(fx_ports),
	};
	char err[128];
	int i;

	memset(r, 0, sizeof(*r));
	r->pool = gk_mem_pool_create(nbufs, 2048);
	assert_non_null(r->pool);
	for (i = 0; i < 2; i++) {
		r->port[i] = gk_mem_port_create(r->pool, fx_ports[i].port_id,
						fx_ports[i].mac, NULL);
		assert_non_null(r->port[i]);
	}
	r->fib = gk_fib_build(&in, err, sizeof(err));
	assert_non_null(r->fib);
	r->ctx.fib = r->fib;
	r->ctx.stats = &r->stats;
}

static void rig_down(struct rig *r)
{
	r->port[0]->ops->close(r->port[0]);
	r->port[1]->ops->close(r->port[1]);
	gk_mem_pool_destroy(r->pool);
	gk_fib_free(r->fib);
}

/* rx on port 0 -> l3fwd -> tx on out_port; returns packets received. */
static uint64_t pump(struct rig *r)
{
	struct gk_pkt *pkts[GK_BURST], *out[2][GK_BURST], *drop[GK_BURST];
	uint64_t total = 0;
	uint16_t n, i, no[2], nd;

	while ((n = gk_port_rx(r->port[0], pkts, GK_BURST)) > 0) {
		total += n;
		gk_l3fwd_burst(&r->ctx, pkts, n);
		no[0] = no[1] = nd = 0;
		for (i = 0; i < n; i++) {
			if (pkts[i]->verdict == GK_V_TX && pkts[i]->out_port < 2)
				out[pkts[i]->out_port][no[pkts[i]->out_port]++] = pkts[i];
			else
				drop[nd++] = pkts[i];
		}
		gk_port_tx(r->port[0], out[0], no[0]);
		gk_port_tx(r->port[1], out[1], no[1]);
		gk_port_free(r->port[0], drop, nd);
	}
	return total;
}

static void read_pcap(const char *path, uint8_t **frames, uint32_t *lens,
		      size_t max, size_t *n)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc = pcap_open_offline(path, errbuf);

	assert_non_null(pc);
	*n = 0;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		assert_true(*n < max);
		frames[*n] = malloc(h->caplen);
		memcpy(frames[*n], d, h->caplen);
		lens[(*n)++] = h->caplen;
	}
	pcap_close(pc);
}

/*
 * Frames classified once when queued (the default) or at every rx must
 * give the same packets, the same metadata and so the same output.
 */
static void round_trip(bool per_packet)
{
	uint8_t *exp[64], *got[64];
	uint32_t exp_len[64], got_len[64], len;
	size_t nexp, ngot, i, k = 0;
	char out1[512], out0[512];
	struct rig r;
	const uint8_t *c;

	rig_up(&r, 64);
	assert_int_equal(gk_mem_port_load_pcap(r.port[0], in_pcap), MEM_NR_IN);
	gk_mem_port_set_rx_classify(r.port[0], per_packet);
	gk_mem_port_set_capture(r.port[0], 64);
	gk_mem_port_set_capture(r.port[1], 64);
	assert_int_equal(pump(&r), MEM_NR_IN - MEM_NR_KERNEL);
	assert_int_equal(gk_mem_port_rx_stats(r.port[0])->to_kernel,
			 MEM_NR_KERNEL);
	assert_int_equal(gk_mem_port_nr_captured(r.port[1]), MEM_NR_PORT1);
	assert_int_equal(gk_mem_port_nr_captured(r.port[0]), MEM_NR_PORT0);
	assert_int_equal(gk_mem_pool_nr_free(r.pool), 64);

	snprintf(out1, sizeof(out1), "%s/mem_out1.pcap", scratch);
	snprintf(out0, sizeof(out0), "%s/mem_out0.pcap", scratch);
	assert_int_equal(gk_mem_port_write_pcap(r.port[1], out1), 0);
	assert_int_equal(gk_mem_port_write_pcap(r.port[0], out0), 0);

	read_pcap(exp_pcap, exp, exp_len, 64, &nexp);
	assert_int_equal(nexp, MEM_NR_PORT1 + MEM_NR_PORT0);
	read_pcap(out1, got, got_len, 64, &ngot);
	read_pcap(out0, got + ngot, got_len + ngot, 64 - ngot, &i);
	ngot += i;
	assert_int_equal(ngot, nexp);
	for (i = 0; i < nexp; i++) {
		assert_int_equal(got_len[i], exp_len[i]);
		assert_memory_equal(got[i], exp[i], exp_len[i]);
		free(got[i]);
	}
	/* The in-memory captures match too. */
	for (i = 0; i < MEM_NR_PORT1; i++, k++) {
		c = gk_mem_port_captured(r.port[1], i, &len);
		assert_non_null(c);
		assert_int_equal(len, exp_len[k]);
		assert_memory_equal(c, exp[k], len);
	}
	assert_null(gk_mem_port_captured(r.port[1], MEM_NR_PORT1, &len));
	for (i = 0; i < nexp; i++)
		free(exp[i]);
	rig_down(&r);
}

static void test_pcap_round_trip(void **state)
{
	round_trip(false);
}

static void test_pcap_round_trip_rx_classify(void **state)
{
	round_trip(true);
}

static bool all_local;

static bool local4(void *arg, uint32_t addr_be)
{
	return all_local;
}

static bool local6(void *arg, const uint8_t addr[16])
{
	return all_local;
}

/*
 * When the classifier runs: queued frames keep the answer they got when
 * queued; per-packet mode asks at every rx; switching back asks again.
 * With every address local, nothing is transit and all goes to the kernel.
 */
static void test_classify_when(void **state)
{
	const struct gk_classify_cfg cls = { .is_local4 = local4,
					     .is_local6 = local6 };
	const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	const uint64_t fwd = MEM_NR_IN - MEM_NR_KERNEL;
	struct rig r;

	rig_up(&r, 64);
	r.port[0]->ops->close(r.port[0]);
	r.port[0] = gk_mem_port_create(r.pool, fx_ports[0].port_id, mac, &cls);
	assert_non_null(r.port[0]);
	all_local = false;
	assert_int_equal(gk_mem_port_load_pcap(r.port[0], in_pcap), MEM_NR_IN);

	all_local = true;
	assert_int_equal(pump(&r), fwd);	/* answers from queue time */
	assert_int_equal(gk_mem_port_rx_stats(r.port[0])->to_kernel,
			 MEM_NR_KERNEL);

	gk_mem_port_set_rx_classify(r.port[0], true);
	gk_mem_port_set_loop(r.port[0], 0);	/* rewind */
	assert_int_equal(pump(&r), 0);
	assert_int_equal(gk_mem_port_rx_stats(r.port[0])->to_kernel,
			 MEM_NR_KERNEL + MEM_NR_IN);

	gk_mem_port_set_rx_classify(r.port[0], false);
	gk_mem_port_set_loop(r.port[0], 0);
	assert_int_equal(pump(&r), 0);		/* re-classified: local */

	all_local = false;
	gk_mem_port_set_rx_classify(r.port[0], false);
	gk_mem_port_set_loop(r.port[0], 0);
	assert_int_equal(pump(&r), fwd);
	assert_int_equal(gk_mem_port_rx_stats(r.port[0])->to_kernel,
			 2 * MEM_NR_KERNEL + 2 * MEM_NR_IN);
	assert_int_equal(gk_mem_pool_nr_free(r.pool), 64);
	rig_down(&r);
}

/* Cyclic replay delivers exactly the requested total, with few buffers. */
static void test_loop(void **state)
{
	const uint64_t total = 1000;
	struct rig r;
	uint64_t fwd_per_pass = MEM_NR_IN - MEM_NR_KERNEL;
	uint64_t got;

	rig_up(&r, 40);
	assert_int_equal(gk_mem_port_load_pcap(r.port[0], in_pcap), MEM_NR_IN);
	gk_mem_port_set_loop(r.port[0], total);
	got = pump(&r);
	/* total counts frames taken, the ARP included. */
	assert_int_equal(got, total / MEM_NR_IN * fwd_per_pass +
			 (total % MEM_NR_IN > fwd_per_pass ? fwd_per_pass :
			  total % MEM_NR_IN));
	assert_int_equal(r.port[0]->stats.tx_packets + r.port[1]->stats.tx_packets,
			 got);
	assert_int_equal(gk_mem_pool_nr_free(r.pool), 40);
	rig_down(&r);
}

/* A starved pool stops rx without losing frames. */
static void test_no_buf(void **state)
{
	struct gk_pkt *pkts[GK_BURST];
	struct gk_port_xstats x;
	struct rig r;
	uint16_t n;

	rig_up(&r, 2);
	assert_int_equal(gk_mem_port_load_pcap(r.port[0], in_pcap), MEM_NR_IN);
	n = gk_port_rx(r.port[0], pkts, GK_BURST);
	assert_int_equal(n, 2);
	assert_int_equal(r.port[0]->stats.rx_no_buf, 1);
	/* No kernel below the memory backend: xstats is optional, absent. */
	assert_int_equal(gk_port_xstats(r.port[0], &x), -EOPNOTSUPP);
	gk_port_free(r.port[0], pkts, n);
	assert_int_equal(gk_mem_pool_nr_free(r.pool), 2);
	assert_int_equal(pump(&r), MEM_NR_IN - MEM_NR_KERNEL - 2);
	rig_down(&r);
}

/*
 * A buffer of another pool is not the port's to send: tx_burst reports it
 * unsent (the worker's accounting counts tx as what a port accepted), as
 * the port's tx_drops does. On main it was reported sent.
 */
static void test_tx_foreign(void **state)
{
	struct gk_mem_pool *other = gk_mem_pool_create(2, 2048);
	struct gk_port *op, *mine;
	struct gk_pkt *pkts[2];
	struct rig r;

	(void)state;
	assert_non_null(other);
	rig_up(&r, 4);
	op = gk_mem_port_create(other, 0, (uint8_t[6]){ 2 }, NULL);
	assert_non_null(op);
	assert_int_equal(op->ops->alloc(op, &pkts[0], 1), 1);
	mine = r.port[0];
	assert_int_equal(mine->ops->alloc(mine, &pkts[1], 1), 1);
	pkts[0]->len = pkts[1]->len = 60;
	assert_int_equal(gk_port_tx(mine, pkts, 2), 1);
	assert_int_equal(mine->stats.tx_packets, 1);
	assert_int_equal(mine->stats.tx_drops, 1);
	gk_port_free(op, &pkts[0], 1);
	op->ops->close(op);
	assert_int_equal(gk_mem_pool_nr_free(other), 2);
	gk_mem_pool_destroy(other);
	rig_down(&r);
}

static void test_errors(void **state)
{
	uint8_t big[4096] = { 0 };
	struct rig r;

	rig_up(&r, 4);
	assert_int_equal(gk_mem_port_load_pcap(r.port[0], "/nonexistent/x.pcap"),
			 -ENOENT);
	assert_int_equal(gk_mem_port_add_frame(r.port[0], big, sizeof(big)),
			 -EMSGSIZE);
	assert_null(gk_mem_pool_create(0, 2048));
	rig_down(&r);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_round_trip),
		cmocka_unit_test(test_pcap_round_trip_rx_classify),
		cmocka_unit_test(test_classify_when),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_no_buf),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_tx_foreign),
	};

	if (argc != 4) {
		fprintf(stderr, "usage: %s IN.pcap EXPECT.pcap SCRATCH_DIR\n",
			argv[0]);
		return 2;
	}
	in_pcap = argv[1];
	exp_pcap = argv[2];
	scratch = argv[3];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
