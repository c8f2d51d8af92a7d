/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * l3fwd fixture table: topology, input frames and expected output frames
 * all come from gen_fixtures.py (scapy). Each case runs alone, then all of
 * them run as one burst, which must not change any outcome.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "csum.h"
#include "l3fwd.h"
#include "nreq.h"
#include "dp_fixtures.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NCASES ARRAY_SIZE(l3_cases)
#define SEC 1000000000ull

struct fx {
	struct gk_fib *fib;
	struct gk_nreq_ring *ring;
	struct gk_wk_stats stats;
	struct gk_l3fwd_ctx ctx;
	uint8_t bufs[NCASES][2048];
	struct gk_pkt pkts[NCASES];
};

static int setup(void **state)
{
	struct gk_fib_input in = {
		.routes = fx_routes, .nr_routes = ARRAY_SIZE(fx_routes),
		.neighs = fx_neighs, .nr_neighs = ARRAY_SIZE(fx_neighs),
		.ports = fx_ports, .nr_ports = ARRAY_SIZE(fx_ports),
	};
	struct fx *f = calloc(1, sizeof(*f));
	char err[128];

	if (!f)
		return -1;
	f->fib = gk_fib_build(&in, err, sizeof(err));
	if (!f->fib) {
		fprintf(stderr, "fib: %s\n", err);
		return -1;
	}
	f->ring = gk_nreq_ring_create(64);
	f->ctx.fib = f->fib;
	f->ctx.stats = &f->stats;
	f->ctx.nreq = f->ring;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	gk_nreq_ring_destroy(f->ring);
	gk_fib_free(f->fib);
	free(f);
	return 0;
}

static void load(struct fx *f, size_t i)
{
	const struct l3_case *k = &l3_cases[i];
	struct gk_pkt *p = &f->pkts[i];

	memset(p, 0, sizeof(*p));
	memcpy(f->bufs[i], k->in, k->in_len);
	p->data = f->bufs[i];
	p->len = k->in_len;
	p->buf_len = sizeof(f->bufs[i]);
	p->in_port = 0;
	p->out_port = 0xffff;
	p->meta.magic = GK_META_MAGIC;
	p->meta.version = GK_META_VERSION;
	p->meta.class = GK_CLASS_TRANSIT;
	p->meta.l3_off = k->l3_off;
	p->meta.flags = k->flags;
}

static void check(struct fx *f, size_t i)
{
	const struct l3_case *k = &l3_cases[i];
	struct gk_pkt *p = &f->pkts[i];

	print_message("case %zu: %s\n", i, k->what);
	assert_int_equal(p->verdict, k->verdict);
	if (k->verdict == GK_V_DROP)
		assert_int_equal(p->drop_reason, k->drop);
	if (k->verdict == GK_V_TX) {
		assert_int_equal(p->out_port, k->out_port);
		assert_int_equal(p->len, k->out_len);
		assert_memory_equal(p->data, k->out, k->out_len);
	} else {
		/* Anything not transmitted is left untouched. */
		assert_memory_equal(p->data, k->in, k->in_len);
	}
}

static void check_nreqs(struct fx *f, const size_t *idx, size_t n)
{
	struct gk_nreq q[64];
	unsigned int got, j = 0;
	size_t i;

	got = gk_nreq_pop(f->ring, q, 64);
	for (i = 0; i < n; i++) {
		const struct l3_case *k = &l3_cases[idx[i]];

		if (!k->nreq_family)
			continue;
		assert_true(j < got);
		assert_int_equal(q[j].family, k->nreq_family);
		assert_int_equal(q[j].ifindex, k->nreq_ifindex);
		assert_memory_equal(q[j].addr, k->nreq_addr, 16);
		j++;
	}
	assert_int_equal(j, got);
}

static void test_one_by_one(void **state)
{
	struct fx *f = *state;
	uint64_t drops[GK_WK_DROP_MAX] = { 0 };
	size_t i;

	for (i = 0; i < NCASES; i++) {
		struct gk_pkt *p = &f->pkts[i];

		load(f, i);
		f->ctx.now_ns += SEC;
		gk_l3fwd_burst(&f->ctx, &p, 1);
		check(f, i);
		check_nreqs(f, &i, 1);
		if (l3_cases[i].verdict == GK_V_DROP)
			drops[l3_cases[i].drop]++;
	}
	assert_memory_equal(f->stats.drops, drops, sizeof(drops));
}

static void test_one_burst(void **state)
{
	struct fx *f = *state;
	struct gk_pkt *ptrs[NCASES];
	size_t idx[NCASES];
	size_t i;

	memset(&f->stats, 0, sizeof(f->stats));
	memset(f->ctx.nreq_cache, 0, sizeof(f->ctx.nreq_cache));
	for (i = 0; i < NCASES; i++) {
		load(f, i);
		ptrs[i] = &f->pkts[i];
		idx[i] = i;
	}
	f->ctx.now_ns += SEC;
	gk_l3fwd_burst(&f->ctx, ptrs, NCASES);
	for (i = 0; i < NCASES; i++)
		check(f, i);
	check_nreqs(f, idx, NCASES);
}

/* A stage after a decided verdict must not touch the packet. */
static void test_decided_untouched(void **state)
{
	struct fx *f = *state;
	struct gk_pkt *p = &f->pkts[0];

	load(f, 0);
	p->verdict = GK_V_KERNEL;
	gk_l3fwd_burst(&f->ctx, &p, 1);
	assert_int_equal(p->verdict, GK_V_KERNEL);
	assert_memory_equal(p->data, l3_cases[0].in, l3_cases[0].in_len);
}

/* The same missing neighbor is asked for at most once per 100 ms. */
static void test_nreq_rate_limit(void **state)
{
	struct fx *f = *state;
	struct gk_nreq q[8];
	struct gk_pkt *p;
	size_t i, k = NCASES;

	for (i = 0; i < NCASES; i++)
		if (l3_cases[i].nreq_family) {
			k = i;
			break;
		}
	assert_true(k < NCASES);
	p = &f->pkts[k];
	memset(f->ctx.nreq_cache, 0, sizeof(f->ctx.nreq_cache));
	gk_nreq_pop(f->ring, q, 8);
	f->stats.neigh_requests = 0;
	f->ctx.now_ns = 50 * SEC;

	for (i = 0; i < 3; i++) {
		load(f, k);
		gk_l3fwd_burst(&f->ctx, &p, 1);
	}
	assert_int_equal(gk_nreq_pop(f->ring, q, 8), 1);
	f->ctx.now_ns += GK_L3FWD_NREQ_NS - 1;
	load(f, k);
	gk_l3fwd_burst(&f->ctx, &p, 1);
	assert_int_equal(gk_nreq_pop(f->ring, q, 8), 0);
	f->ctx.now_ns += 1;
	load(f, k);
	gk_l3fwd_burst(&f->ctx, &p, 1);
	assert_int_equal(gk_nreq_pop(f->ring, q, 8), 1);
	assert_int_equal(f->stats.neigh_requests, 2);
	assert_int_equal(f->stats.drops[GK_WK_DROP_NO_NEIGH], 5);

	/* Without a ring, still dropped, nothing to push to. */
	f->ctx.nreq = NULL;
	f->ctx.now_ns += SEC;
	load(f, k);
	gk_l3fwd_burst(&f->ctx, &p, 1);
	assert_int_equal(p->verdict, GK_V_DROP);
	f->ctx.nreq = f->ring;
}

/*
 * The TTL checksum update against a full RFC 1071 recomputation, for
 * every IP ID (so every checksum value the header can have), in bursts.
 * RFC 1624 eqn. 3 and a recomputation agree everywhere (neither yields
 * 0xffff for a real header), so the stored field must match exactly.
 */
static void test_ttl_csum_all(void **state)
{
	struct fx *f = *state;
	const struct l3_case *k = &l3_cases[0];
	static uint8_t bufs[GK_BURST][2048];
	struct gk_pkt pk[GK_BURST], *ptrs[GK_BURST];
	unsigned int id, i, ihl;
	uint16_t c, want;

	assert_int_equal(k->verdict, GK_V_TX);
	assert_true(k->flags & GK_META_F_IPV4);
	ihl = (k->in[k->l3_off] & 0x0f) * 4u;
	for (id = 0; id < 65536; id += GK_BURST) {
		for (i = 0; i < GK_BURST; i++) {
			uint8_t *ip = bufs[i] + k->l3_off;

			memcpy(bufs[i], k->in, k->in_len);
			ip[4] = (uint8_t)((id + i) >> 8);
			ip[5] = (uint8_t)(id + i);
			ip[10] = ip[11] = 0;
			c = gk_csum_ip4_hdr(ip, ihl);
			memcpy(ip + 10, &c, 2);
			memset(&pk[i], 0, sizeof(pk[i]));
			pk[i].data = bufs[i];
			pk[i].len = k->in_len;
			pk[i].buf_len = sizeof(bufs[i]);
			pk[i].meta.l3_off = k->l3_off;
			pk[i].meta.flags = k->flags;
			ptrs[i] = &pk[i];
		}
		gk_l3fwd_burst(&f->ctx, ptrs, GK_BURST);
		for (i = 0; i < GK_BURST; i++) {
			uint8_t *ip = bufs[i] + k->l3_off;
			uint8_t hdr[60];

			assert_int_equal(pk[i].verdict, GK_V_TX);
			assert_int_equal(ip[8], k->in[k->l3_off + 8] - 1);
			memcpy(hdr, ip, ihl);
			hdr[10] = hdr[11] = 0;
			want = gk_csum_ip4_hdr(hdr, ihl);
			memcpy(&c, ip + 10, 2);
			if (c != want)
				fail_msg("id %u: checksum %04x, recomputed %04x",
					 id + i, c, want);
		}
	}
}

static int reset_stats(void **state)
{
	struct fx *f = *state;

	memset(&f->stats, 0, sizeof(f->stats));
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_one_by_one, reset_stats),
		cmocka_unit_test_setup(test_one_burst, reset_stats),
		cmocka_unit_test(test_decided_untouched),
		cmocka_unit_test_setup(test_nreq_rate_limit, reset_stats),
		cmocka_unit_test(test_ttl_csum_all),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
