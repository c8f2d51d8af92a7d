/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames held for unresolved next hops (neigh_hold.h, #13 bug 8): the
 * per-neighbour and per-table bounds, aging on an injected clock, and that
 * a neighbour's frames come back intact, in order, once a neighbour table
 * knows it, while the others keep waiting.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "neigh.h"
#include "neigh_hold.h"

#define SEC 1000000000ull

static uint8_t buf[GK_NHOLD_FRAME + 1];

/* A frame whose bytes say which it is (k), len bytes long. */
static struct gk_pkt frame(unsigned k, uint32_t len)
{
	struct gk_pkt p = { .data = buf, .len = len, .in_port = 1, .queue = 0 };
	uint32_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(k * 31 + i);
	p.meta.l3_off = 14;
	return p;
}

static const uint8_t A4[4] = { 198, 51, 100, 2 };
static const uint8_t B4[4] = { 198, 51, 100, 3 };
static const uint8_t A6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static void t_bounds(void **state)
{
	struct gk_nhold *h = gk_nhold_new(GK_NHOLD_MAX, GK_NHOLD_PER_NEIGH,
					  GK_NHOLD_FRAME);
	struct gk_pkt p = frame(0, 60);
	uint8_t a[4] = { 203, 0, 113, 0 };
	unsigned i;

	(void)state;
	assert_non_null(h);
	for (i = 0; i < GK_NHOLD_PER_NEIGH; i++)
		assert_int_equal(gk_nhold_add(h, &p, AF_INET, 3, A4, SEC), 0);
	/* that neighbour's share is used up; another's is not */
	assert_int_equal(gk_nhold_add(h, &p, AF_INET, 3, A4, SEC), -ENOSPC);
	assert_int_equal(gk_nhold_add(h, &p, AF_INET, 4, A4, SEC), 0);
	assert_int_equal(gk_nhold_add(h, &p, AF_INET6, 3, A6, SEC), 0);
	/* the table: 64 frames at most, whoever they are for */
	for (i = 0; gk_nhold_count(h) < GK_NHOLD_MAX; i++) {
		a[3] = (uint8_t)(i / GK_NHOLD_PER_NEIGH);
		assert_int_equal(gk_nhold_add(h, &p, AF_INET, 3, a, SEC), 0);
	}
	a[3] = 250;
	assert_int_equal(gk_nhold_add(h, &p, AF_INET, 3, a, SEC), -ENOSPC);
	assert_int_equal(gk_nhold_count(h), GK_NHOLD_MAX);
	/* too big to copy */
	gk_nhold_flush(h);
	p = frame(1, GK_NHOLD_FRAME + 1);
	assert_int_equal(gk_nhold_add(h, &p, AF_INET, 3, A4, SEC), -E2BIG);
	assert_int_equal(gk_nhold_count(h), 0);
	gk_nhold_free(h);
}

static void t_aging(void **state)
{
	struct gk_nhold *h = gk_nhold_new(8, 4, 128);
	struct gk_pkt p = frame(0, 60);

	(void)state;
	assert_non_null(h);
	assert_int_equal(gk_nhold_add(h, &p, AF_INET, 3, A4, 1 * SEC), 0);
	assert_int_equal(gk_nhold_add(h, &p, AF_INET, 3, A4, SEC + SEC / 2), 0);
	assert_int_equal(gk_nhold_expire(h, 2 * SEC - 1), 0);
	assert_int_equal(gk_nhold_expire(h, 2 * SEC), 1);	/* 1 s: aged */
	assert_int_equal(gk_nhold_count(h), 1);
	assert_int_equal(gk_nhold_expire(h, 2 * SEC + SEC / 2), 1);
	assert_int_equal(gk_nhold_count(h), 0);
	/* a clock at 0 still holds (0 is no deadline) */
	assert_int_equal(gk_nhold_add(h, &p, AF_INET, 3, A4, 0), 0);
	assert_int_equal(gk_nhold_count(h), 1);
	assert_int_equal(gk_nhold_flush(h), 1);
	gk_nhold_free(h);
}

static void t_resolve_in_order(void **state)
{
	struct gk_neigh_entry ne[] = {
		{ .family = AF_INET, .ifindex = 3, .mac = { 2, 0, 0, 0, 0, 2 } },
	};
	struct gk_nhold *h = gk_nhold_new(8, 4, 256);
	struct gk_neigh_tbl *nt;
	struct gk_nhold_pkt q;
	const uint8_t *addr;
	uint32_t ifindex;
	uint8_t family, want[256];
	unsigned k, pos = 0, waiting = 0;
	struct gk_pkt p;

	(void)state;
	assert_non_null(h);
	memcpy(ne[0].addr, A4, 4);
	nt = gk_neigh_build(ne, 1, NULL, 0);
	assert_non_null(nt);
	/* A B A B A: frame k for A (k even) or B */
	for (k = 0; k < 5; k++) {
		p = frame(k, 60 + k);
		p.meta.flow_hash = k;
		assert_int_equal(gk_nhold_add(h, &p, AF_INET, 3,
					      k % 2 ? B4 : A4, SEC), 0);
	}
	assert_int_equal(gk_nhold_resolve(h, NULL), 0);
	assert_int_equal(gk_nhold_resolve(h, nt), 3);
	while (gk_nhold_waiting(h, &pos, &family, &ifindex, &addr)) {
		assert_int_equal(family, AF_INET);
		assert_int_equal(ifindex, 3);
		assert_memory_equal(addr, B4, 4);
		waiting++;
	}
	assert_int_equal(waiting, 2);
	for (k = 0; k < 5; k += 2) {
		assert_int_equal(gk_nhold_pop(h, &q), 1);
		p = frame(k, 60 + k);
		memcpy(want, buf, 60 + k);
		assert_int_equal(q.len, 60 + k);
		assert_memory_equal(q.frame, want, q.len);
		assert_int_equal(q.meta.flow_hash, k);
		assert_int_equal(q.in_port, 1);
	}
	assert_int_equal(gk_nhold_pop(h, &q), 0);
	assert_int_equal(gk_nhold_count(h), 2);	/* B's still wait */
	/* a marked frame may still age out */
	assert_int_equal(gk_nhold_expire(h, 2 * SEC), 2);
	assert_int_equal(gk_nhold_count(h), 0);
	gk_neigh_free(nt);
	gk_nhold_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_bounds),
		cmocka_unit_test(t_aging),
		cmocka_unit_test(t_resolve_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
