/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SPSC ring's in-place API (the WireGuard hand-off): slots filled in
 * place come out in order, across the wrap, mixed with push/pop; a full
 * ring refuses; released slots are reused. Expected values are sequence
 * numbers the test writes itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "spsc.h"

struct elem {
	uint32_t seq;
	uint8_t fill[60];
};

static void put(struct gk_spsc *r, uint32_t seq)
{
	struct elem *e = gk_spsc_reserve(r);

	assert_non_null(e);
	e->seq = seq;
	memset(e->fill, (int)(seq & 0xff), sizeof(e->fill));
	gk_spsc_commit(r);
}

static void check(const struct elem *e, uint32_t seq)
{
	unsigned int i;

	assert_int_equal(e->seq, seq);
	for (i = 0; i < sizeof(e->fill); i++)
		assert_int_equal(e->fill[i], seq & 0xff);
}

static void test_in_place(void **state)
{
	struct gk_spsc *r = gk_spsc_create(sizeof(struct elem), 8);
	uint32_t next = 0, want = 0;
	unsigned int round, i, n;

	assert_non_null(r);
	assert_int_equal(gk_spsc_avail(r), 0);
	/* Uneven batches so head and tail cross the end of the slots. */
	for (round = 0; round < 50; round++) {
		n = 1 + round % 7;
		for (i = 0; i < n; i++)
			put(r, next++);
		assert_int_equal(gk_spsc_avail(r), n);
		for (i = 0; i < n; i++)
			check(gk_spsc_slot(r, i), want + i);
		/* Peeking does not consume. */
		check(gk_spsc_slot(r, 0), want);
		gk_spsc_release(r, n - n / 2);
		want += n - n / 2;
		assert_int_equal(gk_spsc_avail(r), n / 2);
		gk_spsc_release(r, n / 2);
		want += n / 2;
		assert_int_equal(gk_spsc_avail(r), 0);
	}
	assert_int_equal(want, next);
	gk_spsc_destroy(r);
}

static void test_full(void **state)
{
	struct gk_spsc *r = gk_spsc_create(sizeof(struct elem), 4);
	struct elem out[4];
	unsigned int i;

	assert_non_null(r);
	for (i = 0; i < 4; i++)
		put(r, 100 + i);
	assert_null(gk_spsc_reserve(r));
	/* One slot back: exactly one more fits, in that slot. */
	assert_int_equal(gk_spsc_avail(r), 4);
	check(gk_spsc_slot(r, 0), 100);
	gk_spsc_release(r, 1);
	put(r, 104);
	assert_null(gk_spsc_reserve(r));
	/* pop sees what reserve/commit wrote, in order (lazily: it may
	 * take two calls to see the last commit). */
	for (i = 0; i < 4; ) {
		unsigned int k = gk_spsc_pop(r, out + i, 4 - i);

		assert_true(k > 0);
		i += k;
	}
	for (i = 0; i < 4; i++)
		check(&out[i], 101 + i);
	assert_int_equal(gk_spsc_avail(r), 0);
	gk_spsc_destroy(r);
}

static void test_push_then_slot(void **state)
{
	struct gk_spsc *r = gk_spsc_create(sizeof(struct elem), 4);
	struct elem e;
	unsigned int i;

	assert_non_null(r);
	for (i = 0; i < 3; i++) {
		e.seq = 7 + i;
		memset(e.fill, (int)((7 + i) & 0xff), sizeof(e.fill));
		assert_true(gk_spsc_push(r, &e));
	}
	assert_int_equal(gk_spsc_avail(r), 3);
	for (i = 0; i < 3; i++)
		check(gk_spsc_slot(r, i), 7 + i);
	gk_spsc_release(r, 3);
	assert_int_equal(gk_spsc_pop(r, &e, 1), 0);
	gk_spsc_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_push_then_slot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
