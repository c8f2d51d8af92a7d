/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * LPM against a brute-force oracle: scan every prefix, keep the longest
 * match, the earliest on ties (duplicates: first wins). Random prefix sets
 * are grown from a few seeds so that prefixes nest deeply.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "lpm.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

static int match(const uint8_t *a, const uint8_t *p, unsigned int plen)
{
	unsigned int full = plen / 8, rem = plen % 8;

	if (memcmp(a, p, full))
		return 0;
	if (!rem)
		return 1;
	return !((a[full] ^ p[full]) & (0xff00u >> rem));
}

/* Oracle over byte strings; entries given as (key, plen, nh). */
static uint32_t oracle(const uint8_t (*keys)[16], const uint8_t *plens,
		       const uint32_t *nhs, size_t n, const uint8_t *a)
{
	uint32_t best = GK_LPM_MISS;
	int best_len = -1;
	size_t i;

	for (i = 0; i < n; i++)
		if ((int)plens[i] > best_len && match(a, keys[i], plens[i])) {
			best_len = plens[i];
			best = nhs[i];
		}
	return best;
}

static void random_set(uint8_t (*keys)[16], uint8_t *plens, uint32_t *nhs,
		       size_t n, unsigned int bytes)
{
	uint8_t seeds[8][16];
	size_t i, j;

	for (i = 0; i < 8; i++)
		for (j = 0; j < 16; j++)
			seeds[i][j] = (uint8_t)rnd();
	for (i = 0; i < n; i++) {
		memset(keys[i], 0, 16);
		memcpy(keys[i], seeds[rnd() % 8], bytes);
		/* Flip a few bits so siblings and nested prefixes both occur. */
		for (j = rnd() % 3; j > 0; j--) {
			unsigned int bit = rnd() % (bytes * 8);

			keys[i][bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
		}
		plens[i] = (uint8_t)(rnd() % (bytes * 8 + 1));
		if (rnd() % 4 == 0 && i > 0) {	/* exact duplicates */
			memcpy(keys[i], keys[i - 1], 16);
			plens[i] = plens[i - 1];
		}
		nhs[i] = (uint32_t)i * 7 + 1;
	}
}

/* An address near one of the prefixes, or fully random. */
static void random_addr(uint8_t (*keys)[16], size_t n, unsigned int bytes,
			uint8_t *a)
{
	unsigned int j;

	memset(a, 0, 16);
	if (rnd() % 8 == 0) {
		for (j = 0; j < bytes; j++)
			a[j] = (uint8_t)rnd();
		return;
	}
	memcpy(a, keys[rnd() % n], bytes);
	for (j = rnd() % 4; j > 0; j--) {
		unsigned int bit = rnd() % (bytes * 8);

		a[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
	}
}

static void run_random4(size_t n, size_t lookups)
{
	uint8_t (*keys)[16] = calloc(n, 16);
	uint8_t *plens = calloc(n, 1);
	uint32_t *nhs = calloc(n, 4);
	struct gk_lpm_entry4 *e = calloc(n, sizeof(*e));
	struct gk_lpm4 *t;
	char err[128];
	size_t i;

	random_set(keys, plens, nhs, n, 4);
	for (i = 0; i < n; i++) {
		memcpy(&e[i].prefix_be, keys[i], 4);
		e[i].plen = plens[i];
		e[i].nh = nhs[i];
	}
	t = gk_lpm4_build(e, n, err, sizeof(err));
	assert_non_null(t);
	for (i = 0; i < lookups; i++) {
		uint8_t a[16];
		uint32_t be, want, bulk[3], addrs[3];

		random_addr(keys, n, 4, a);
		memcpy(&be, a, 4);
		want = oracle((const uint8_t (*)[16])keys, plens, nhs, n, a);
		assert_int_equal(gk_lpm4_lookup(t, be), want);
		addrs[0] = be;
		addrs[1] = be ^ htonl(1);
		addrs[2] = be;
		gk_lpm4_lookup_bulk(t, addrs, bulk, 3);
		assert_int_equal(bulk[0], want);
		assert_int_equal(bulk[2], want);
		assert_int_equal(bulk[1], gk_lpm4_lookup(t, addrs[1]));
	}
	gk_lpm4_free(t);
	free(e);
	free(nhs);
	free(plens);
	free(keys);
}

static void run_random6(size_t n, size_t lookups)
{
	uint8_t (*keys)[16] = calloc(n, 16);
	uint8_t *plens = calloc(n, 1);
	uint32_t *nhs = calloc(n, 4);
	struct gk_lpm_entry6 *e = calloc(n, sizeof(*e));
	uint8_t (*batch)[16] = calloc(40, 16);
	uint32_t want[40], got[40];
	struct gk_lpm6 *t;
	char err[128];
	size_t i, j;

	random_set(keys, plens, nhs, n, 16);
	for (i = 0; i < n; i++) {
		memcpy(e[i].prefix, keys[i], 16);
		e[i].plen = plens[i];
		e[i].nh = nhs[i];
	}
	t = gk_lpm6_build(e, n, err, sizeof(err));
	assert_non_null(t);
	for (i = 0; i < lookups; i += 40) {
		for (j = 0; j < 40; j++) {
			random_addr(keys, n, 16, batch[j]);
			want[j] = oracle((const uint8_t (*)[16])keys, plens,
					 nhs, n, batch[j]);
			assert_int_equal(gk_lpm6_lookup(t, batch[j]), want[j]);
		}
		gk_lpm6_lookup_bulk(t, (const uint8_t (*)[16])batch, got, 40);
		assert_memory_equal(got, want, sizeof(want));
	}
	gk_lpm6_free(t);
	free(batch);
	free(e);
	free(nhs);
	free(plens);
	free(keys);
}

static void test_random4(void **state)
{
	run_random4(3000, 30000);
	run_random4(50, 5000);
}

static void test_random6(void **state)
{
	run_random6(1500, 20000);
	run_random6(20, 2000);
}

static uint32_t a4(const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void test_hand4(void **state)
{
	struct gk_lpm_entry4 e[] = {
		{ a4("0.0.0.0"), 0, 1 },
		{ a4("10.0.0.0"), 8, 2 },
		{ a4("10.1.0.0"), 16, 3 },
		{ a4("10.1.1.0"), 24, 4 },
		{ a4("10.1.1.1"), 32, 5 },
		{ a4("10.1.1.128"), 25, 6 },
		{ a4("10.1.1.255"), 32, 7 },
		{ a4("10.1.0.0"), 16, 99 },	/* duplicate: ignored */
		{ a4("192.0.2.77"), 24, 8 },	/* host bits ignored */
		{ a4("198.51.100.0"), 23, 9 },
		{ a4("255.255.255.255"), 32, 10 },
	};
	struct gk_lpm4 *t;
	char err[128];

	t = gk_lpm4_build(e, sizeof(e) / sizeof(e[0]), err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(gk_lpm4_lookup(t, a4("1.2.3.4")), 1);
	assert_int_equal(gk_lpm4_lookup(t, a4("10.2.0.0")), 2);
	assert_int_equal(gk_lpm4_lookup(t, a4("10.1.2.3")), 3);
	assert_int_equal(gk_lpm4_lookup(t, a4("10.1.1.0")), 4);
	assert_int_equal(gk_lpm4_lookup(t, a4("10.1.1.1")), 5);
	assert_int_equal(gk_lpm4_lookup(t, a4("10.1.1.2")), 4);
	assert_int_equal(gk_lpm4_lookup(t, a4("10.1.1.127")), 4);
	assert_int_equal(gk_lpm4_lookup(t, a4("10.1.1.128")), 6);
	assert_int_equal(gk_lpm4_lookup(t, a4("10.1.1.254")), 6);
	assert_int_equal(gk_lpm4_lookup(t, a4("10.1.1.255")), 7);
	assert_int_equal(gk_lpm4_lookup(t, a4("192.0.2.0")), 8);
	assert_int_equal(gk_lpm4_lookup(t, a4("192.0.2.255")), 8);
	assert_int_equal(gk_lpm4_lookup(t, a4("192.0.3.0")), 1);
	assert_int_equal(gk_lpm4_lookup(t, a4("198.51.101.9")), 9);
	assert_int_equal(gk_lpm4_lookup(t, a4("198.51.102.9")), 1);
	assert_int_equal(gk_lpm4_lookup(t, a4("255.255.255.255")), 10);
	assert_int_equal(gk_lpm4_lookup(t, a4("255.255.255.254")), 1);
	gk_lpm4_free(t);

	/* Without a default route, misses are misses. */
	t = gk_lpm4_build(e + 1, 1, err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(gk_lpm4_lookup(t, a4("11.0.0.0")), GK_LPM_MISS);
	assert_int_equal(gk_lpm4_lookup(t, a4("10.255.255.255")), 2);
	gk_lpm4_free(t);

	t = gk_lpm4_build(NULL, 0, err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(gk_lpm4_lookup(t, a4("0.0.0.0")), GK_LPM_MISS);
	gk_lpm4_free(t);
}

static void test_bad_input(void **state)
{
	struct gk_lpm_entry4 e4 = { 0, 33, 1 };
	struct gk_lpm_entry6 e6 = { { 0 }, 129, 1 };
	char err[128] = "";

	assert_null(gk_lpm4_build(&e4, 1, err, sizeof(err)));
	assert_true(strlen(err) > 0);
	e4.plen = 32;
	e4.nh = GK_LPM_NH_MAX;
	assert_null(gk_lpm4_build(&e4, 1, err, sizeof(err)));
	assert_null(gk_lpm6_build(&e6, 1, err, sizeof(err)));
}

static void test_hand6(void **state)
{
	struct gk_lpm_entry6 e[6];
	uint8_t a[16];
	struct gk_lpm6 *t;
	char err[128];

	memset(e, 0, sizeof(e));
	e[0].plen = 0;
	e[0].nh = 1;
	inet_pton(AF_INET6, "2001:db8::", e[1].prefix);
	e[1].plen = 32;
	e[1].nh = 2;
	inet_pton(AF_INET6, "2001:db8:1::", e[2].prefix);
	e[2].plen = 48;
	e[2].nh = 3;
	inet_pton(AF_INET6, "2001:db8:1::1", e[3].prefix);
	e[3].plen = 128;
	e[3].nh = 4;
	inet_pton(AF_INET6, "2001:db8:1::", e[4].prefix);
	e[4].plen = 127;
	e[4].nh = 5;
	inet_pton(AF_INET6, "2001:db8:1:0:8000::", e[5].prefix);
	e[5].plen = 65;
	e[5].nh = 6;
	t = gk_lpm6_build(e, 6, err, sizeof(err));
	assert_non_null(t);
#define L6(s, want) do {						\
		assert_int_equal(inet_pton(AF_INET6, s, a), 1);		\
		assert_int_equal(gk_lpm6_lookup(t, a), want);		\
	} while (0)
	L6("::1", 1);
	L6("2001:db8:ffff::", 2);
	L6("2001:db8:1:2::", 3);
	L6("2001:db8:1::1", 4);
	L6("2001:db8:1::", 5);
	L6("2001:db8:1::2", 3);
	L6("2001:db8:1::3", 3);
	L6("2001:db8:1:0:8000::1", 6);
	L6("2001:db8:1:0:7fff::1", 3);
	gk_lpm6_free(t);

	t = gk_lpm6_build(e + 3, 1, err, sizeof(err));
	assert_non_null(t);
	L6("2001:db8:1::1", 4);
	L6("2001:db8:1::", GK_LPM_MISS);
	L6("::", GK_LPM_MISS);
#undef L6
	gk_lpm6_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand4),
		cmocka_unit_test(test_hand6),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_random4),
		cmocka_unit_test(test_random6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
