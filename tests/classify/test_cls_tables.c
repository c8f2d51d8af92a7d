// SPDX-License-Identifier: BSD-3-Clause
/*
 * The twin's table lookups (cls_tables.c: is_local4, is_local6) against a
 * plain linear scan with memcmp, over random address sets of every size
 * from 0 to 64 and probes that hit, miss, and sit next to members (the
 * searches' boundaries). IPv6 sets share long prefixes, so the order of
 * the second half matters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cls_tables.h"

static uint32_t rnd_state = 0x9e3779b9u;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static bool scan4(const uint32_t *set, size_t n, uint32_t a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(&set[i], &a, 4))
			return true;
	return false;
}

static bool scan6(const uint8_t (*set)[16], size_t n, const uint8_t *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(set[i], a, 16))
			return true;
	return false;
}

static void test_local4(void **state)
{
	uint32_t set[64], probe;
	size_t n, i, k;

	(void)state;
	for (n = 0; n <= 64; n++) {
		struct gk_cls_input in = { .local4 = set, .nr_local4 = n };
		struct gk_classify_cfg c;
		struct gk_cls_tables *t;

		for (i = 0; i < n; i++)
			set[i] = rnd() & 0xff0f00ffu;	/* clustered */
		t = gk_cls_tables_build(&in);
		assert_non_null(t);
		gk_cls_tables_cfg(t, 0, &c);
		for (k = 0; k < 400; k++) {
			probe = k < 2 * n ? set[k / 2] + (k & 1 ? 1 : 0) :
				rnd() & 0xff0f00ffu;
			if (k % 3 == 2 && n)
				probe = set[k % n] - 1;
			assert_int_equal(c.is_local4(c.arg, probe),
					 scan4(set, n, probe));
		}
		gk_cls_tables_free(t);
	}
}

static void test_local6(void **state)
{
	uint8_t set[64][16], probe[16];
	size_t n, i, k;

	(void)state;
	for (n = 0; n <= 64; n++) {
		struct gk_cls_input in = { .local6 = (const uint8_t (*)[16])set,
					   .nr_local6 = n };
		struct gk_classify_cfg c;
		struct gk_cls_tables *t;

		for (i = 0; i < n; i++) {
			memset(set[i], 0, 16);
			set[i][0] = 0x20;
			set[i][1] = 0x01;
			set[i][7] = (uint8_t)(rnd() & 3);	/* shared halves */
			set[i][8] = (uint8_t)(rnd() & 0x81);
			set[i][15] = (uint8_t)rnd();
		}
		t = gk_cls_tables_build(&in);
		assert_non_null(t);
		gk_cls_tables_cfg(t, 0, &c);
		for (k = 0; k < 400; k++) {
			if (n && k % 2) {
				memcpy(probe, set[k % n], 16);
				if (k % 4 == 3)
					probe[15 - (k % 3) * 7] ^= 1;
			} else {
				memcpy(probe, set[0], 16);
				probe[7] = (uint8_t)(rnd() & 3);
				probe[8] = (uint8_t)(rnd() & 0x81);
				probe[15] = (uint8_t)rnd();
			}
			assert_int_equal(c.is_local6(c.arg, probe),
					 scan6((const uint8_t (*)[16])set, n, probe));
		}
		gk_cls_tables_free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local4),
		cmocka_unit_test(test_local6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
