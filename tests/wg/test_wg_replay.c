/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replay window: a scripted sequence through every edge, then a long
 * random walk against a model that remembers every counter ever seen
 * (a flat bitmap) and applies the rule from wg_replay.h literally:
 * accept iff below the limit, never seen, and at most GK_REPLAY_WINDOW
 * below the highest accepted counter.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wg_replay.h"

#define LIM	GK_WG_REJECT_AFTER_MESSAGES

static struct gk_replay r;

static bool chk(uint64_t c)
{
	return gk_replay_check_and_update(&r, c, LIM);
}

static void test_constants(void **state)
{
	/* 2^64 - 2^13 - 1, written out in decimal. */
	assert_true(GK_WG_REJECT_AFTER_MESSAGES == 18446744073709543423ull);
	assert_int_equal(GK_REPLAY_BITS, 8192);
	if (sizeof(unsigned long) == 8)
		assert_int_equal(GK_REPLAY_WINDOW, 8128);
	assert_int_equal(sizeof(r.bits) * 8, 8192);
}

static void test_basic(void **state)
{
	gk_replay_init(&r);
	assert_true(chk(0));		/* counter 0 is a normal value */
	assert_false(chk(0));		/* duplicate */
	assert_true(chk(1));
	assert_true(chk(3));
	assert_true(chk(2));		/* out of order, in window */
	assert_false(chk(2));
	assert_false(chk(3));
	assert_false(chk(1));
	assert_true(chk(10));
	assert_true(chk(5));
	assert_true(chk(4));
	assert_false(chk(5));
	assert_true(chk(9));
	assert_true(chk(6));
	assert_false(chk(10));
}

static void test_window_edges(void **state)
{
	const uint64_t w = GK_REPLAY_WINDOW, n = 10000;

	gk_replay_init(&r);
	assert_true(chk(n));
	assert_true(chk(n - w));	/* exactly the window size below */
	assert_false(chk(n - w));	/* ... once */
	assert_false(chk(n - w - 1));	/* one more: too old */
	assert_false(chk(0));		/* counter 0, long gone */
	assert_true(chk(n - 1));
	assert_true(chk(n - w + 1));

	/* Move the top by one: the old edge falls out. */
	assert_true(chk(n + 1));
	assert_false(chk(n - w));
	assert_true(chk(n + 1 - w + 1 + 1)); /* n - w + 3: unseen, inside */
}

static void test_jumps(void **state)
{
	const uint64_t w = GK_REPLAY_WINDOW, ring = GK_REPLAY_BITS;
	uint64_t n = 5000, i;

	gk_replay_init(&r);
	for (i = n - 100; i <= n; i++)
		assert_true(chk(i));

	/* Exactly the ring size: every slot aliases an old counter. */
	assert_true(chk(n + ring));
	assert_false(chk(n));		/* 8192 below: too old */
	for (i = n + ring - w; i < n + ring; i += 97)
		assert_true(chk(i));	/* aliases of old bits are clear */
	assert_false(chk(n + ring - w - 1));
	n += ring;

	/* Exactly the window size, then window + 1. */
	assert_true(chk(n + w));
	assert_true(chk(n + 1));	/* n + w - w + 1: still inside */
	assert_false(chk(n));		/* exactly w below, already seen */
	n += w;
	assert_true(chk(n + w + 1));
	assert_false(chk(n));		/* w + 1 below */
	n += w + 1;

	/* One less than the ring, one more, and far beyond. */
	assert_true(chk(n + ring - 1));
	n += ring - 1;
	assert_true(chk(n + ring + 1));
	n += ring + 1;
	assert_true(chk(n + 5 * ring + 12345));
	assert_false(chk(n));
	n += 5 * ring + 12345;
	for (i = n - w; i < n; i += 61)
		assert_true(chk(i));
	for (i = n - w; i < n; i += 61)
		assert_false(chk(i));
	/* Jump of 2^40: nothing old may linger. */
	assert_true(chk(n + (1ull << 40)));
	for (i = n + (1ull << 40) - w; i < n + (1ull << 40); i += 61)
		assert_true(chk(i));
}

static void test_index_wrap(void **state)
{
	const uint64_t ring = GK_REPLAY_BITS;
	uint64_t i, end = 3 * ring + 200;

	/* In order through several wraps of the ring index. */
	gk_replay_init(&r);
	for (i = 0; i <= end; i++)
		assert_true(chk(i));
	for (i = end - GK_REPLAY_WINDOW; i <= end; i++)
		assert_false(chk(i));
	assert_false(chk(end - GK_REPLAY_WINDOW - 1));

	/* Out of order across a word boundary and a ring boundary. */
	gk_replay_init(&r);
	assert_true(chk(ring + 1));
	assert_true(chk(ring - 1));
	assert_true(chk(ring));
	assert_true(chk(ring + 1 - GK_REPLAY_WINDOW));
	assert_false(chk(ring - GK_REPLAY_WINDOW));
	assert_false(chk(ring));
	assert_true(chk(ring + 3));
	/* Same ring slot as ring + 3: the slide must have cleared it. */
	assert_true(chk(2 * ring + 3));
	assert_false(chk(ring + 3));	/* now too old */
	assert_true(chk(2 * ring + 2));
	assert_false(chk(2 * ring + 3));
	assert_true(chk(2 * ring + 64));
	assert_true(chk(2 * ring + 63));
	assert_true(chk(2 * ring + 65));
	assert_false(chk(2 * ring + 64));
	assert_true(chk(3 * ring + 2));	/* alias of 2 * ring + 2 */
}

static void test_reject_after(void **state)
{
	const uint64_t w = GK_REPLAY_WINDOW;

	gk_replay_init(&r);
	assert_false(chk(LIM));
	assert_false(chk(UINT64_MAX));
	assert_false(chk(LIM + 1));
	assert_true(chk(LIM - 1));	/* the last usable counter */
	assert_false(chk(LIM - 1));
	assert_true(chk(LIM - 2));
	assert_true(chk(LIM - 1 - w));
	assert_false(chk(LIM - 2 - w));
	assert_false(chk(LIM));
	assert_false(chk(0));

	/* The window never overflows even when the caller allows 2^64 - 2. */
	gk_replay_init(&r);
	assert_true(gk_replay_check_and_update(&r, UINT64_MAX - 1, UINT64_MAX));
	assert_false(gk_replay_check_and_update(&r, UINT64_MAX - 1, UINT64_MAX));
	assert_false(gk_replay_check_and_update(&r, UINT64_MAX, UINT64_MAX));
	assert_true(gk_replay_check_and_update(&r, UINT64_MAX - 1 - w,
					       UINT64_MAX));
	assert_false(gk_replay_check_and_update(&r, UINT64_MAX - 2 - w,
						UINT64_MAX));

	/* A small limit, as a caller may pass for a keypair near its end. */
	gk_replay_init(&r);
	assert_true(gk_replay_check_and_update(&r, 99, 100));
	assert_false(gk_replay_check_and_update(&r, 100, 100));
	assert_true(gk_replay_check_and_update(&r, 0, 100));
}

static uint64_t rng = 0xd1b54a32d192ed03ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

#define SPACE	(1u << 24)

static void test_model(void **state)
{
	uint8_t *seen = calloc(SPACE / 8, 1);
	uint64_t max = 0, c, accepted = 0, rejected = 0;
	bool any = false, want, got;
	unsigned int step;

	assert_non_null(seen);
	gk_replay_init(&r);
	for (step = 0; step < 400000; step++) {
		uint64_t k = rnd() % 100;
		int64_t d;

		if (k < 55)		/* reordering near the top */
			d = (int64_t)(rnd() % 80) - 40;
		else if (k < 80)	/* around the window edge */
			d = -(int64_t)GK_REPLAY_WINDOW - 3 + (int64_t)(rnd() % 7);
		else if (k < 95)	/* anywhere in or below the window */
			d = -(int64_t)(rnd() % (GK_REPLAY_WINDOW + 500));
		else if (k < 98)	/* jumps of about one ring */
			d = GK_REPLAY_BITS - 2 + (int64_t)(rnd() % 5);
		else
			d = (int64_t)(rnd() % 30000);
		if (d < 0 && (uint64_t)-d > max)
			c = rnd() % (max + 1);
		else
			c = max + (uint64_t)d;
		if (c >= SPACE - 100000) {
			/* Keep the model's bitmap small: start over. */
			gk_replay_init(&r);
			memset(seen, 0, SPACE / 8);
			max = 0;
			any = false;
			continue;
		}
		want = !(seen[c / 8] & (1u << (c % 8))) &&
		       (!any || c + GK_REPLAY_WINDOW >= max);
		got = chk(c);
		if (got != want)
			fail_msg("step %u counter %llu max %llu: got %d want %d",
				 step, (unsigned long long)c,
				 (unsigned long long)max, got, want);
		if (want) {
			seen[c / 8] |= 1u << (c % 8);
			if (!any || c > max)
				max = c;
			any = true;
			accepted++;
		} else {
			rejected++;
		}
	}
	/* The walk must exercise both outcomes substantially. */
	assert_true(accepted > 50000);
	assert_true(rejected > 50000);
	free(seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_window_edges),
		cmocka_unit_test(test_jumps),
		cmocka_unit_test(test_index_wrap),
		cmocka_unit_test(test_reject_after),
		cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
