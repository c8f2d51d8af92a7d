/* SPDX-License-Identifier: BSD-3-Clause */
/* Checksums against RFC 1071's example and scapy-computed values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "csum.h"
#include "dp_fixtures.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, so store 220d. */
static void test_rfc1071_example(void **state)
{
	const uint8_t buf[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint16_t c = gk_csum_fold(gk_csum_partial(buf, sizeof(buf), 0));
	uint8_t out[2];

	memcpy(out, &c, 2);
	assert_int_equal(out[0], 0x22);
	assert_int_equal(out[1], 0x0d);
	/* Split sums compose (section 2(C)), at an even boundary. */
	c = gk_csum_fold(gk_csum_partial(buf + 4, 4, gk_csum_partial(buf, 4, 0)));
	memcpy(out, &c, 2);
	assert_int_equal(out[0], 0x22);
	assert_int_equal(out[1], 0x0d);
}

static void test_odd_length(void **state)
{
	/* 0x0102 + 0x0300 = 0x0402 -> ~ = 0xfbfd */
	const uint8_t buf[] = { 0x01, 0x02, 0x03 };
	uint16_t c = gk_csum_fold(gk_csum_partial(buf, 3, 0));

	assert_int_equal(ntohs(c), 0xfbfd);
}

static void test_ip4_hdr_scapy(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(csum_ip_cases); i++) {
		const struct csum_ip_case *k = &csum_ip_cases[i];
		uint8_t h[60];
		uint16_t c;

		memcpy(h, k->before, k->len);
		/* A valid header sums to zero. */
		assert_int_equal(gk_csum_ip4_hdr(h, k->len), 0);
		h[10] = h[11] = 0;
		c = gk_csum_ip4_hdr(h, k->len);
		assert_memory_equal(&c, k->before + 10, 2);
	}
}

static void test_tcp_scapy(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(csum_tcp_cases); i++) {
		const struct csum_tcp_case *k = &csum_tcp_cases[i];
		uint8_t seg[256], ph[12];
		unsigned int ihl = (k->pkt[0] & 0xf) * 4;
		uint16_t tlen = (uint16_t)(k->len - ihl), c;
		uint32_t s;

		memcpy(seg, k->pkt + ihl, tlen);
		seg[16] = seg[17] = 0;
		/* RFC 793 section 3.1 pseudo header. */
		memcpy(ph, k->pkt + 12, 8);
		ph[8] = 0;
		ph[9] = 6;
		ph[10] = tlen >> 8;
		ph[11] = tlen & 0xff;
		s = gk_csum_partial(ph, sizeof(ph), 0);
		s = gk_csum_partial(seg, tlen, s);
		c = gk_csum_fold(s);
		assert_int_equal(ntohs(c), k->csum);
	}
}

/* TTL decrement via RFC 1624 equals scapy's full recompute. */
static void test_ttl_incremental(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(csum_ip_cases); i++) {
		const struct csum_ip_case *k = &csum_ip_cases[i];
		uint8_t h[60];
		uint16_t old, new_, c;

		memcpy(h, k->before, k->len);
		memcpy(&old, h + 8, 2);
		h[8]--;
		memcpy(&new_, h + 8, 2);
		memcpy(&c, h + 10, 2);
		c = gk_csum_replace16(c, old, new_);
		memcpy(h + 10, &c, 2);
		assert_memory_equal(h, k->after, k->len);
	}
}

/* Rewriting the source address: incremental equals recompute (itself checked above). */
static void test_replace32(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(csum_ip_cases); i++) {
		const struct csum_ip_case *k = &csum_ip_cases[i];
		uint8_t h[60];
		uint32_t old, new_ = htonl(0xc6336400u + (uint32_t)i);
		uint16_t c, full;

		memcpy(h, k->before, k->len);
		memcpy(&old, h + 12, 4);
		memcpy(h + 12, &new_, 4);
		memcpy(&c, h + 10, 2);
		c = gk_csum_replace32(c, old, new_);
		h[10] = h[11] = 0;
		full = gk_csum_ip4_hdr(h, k->len);
		assert_int_equal(c, full);
	}
}

/* RFC 1071 the plain way: 16-bit big-endian words, carries folded as they come. */
static uint16_t ref_sum(const uint8_t *p, size_t len, uint16_t start)
{
	uint32_t s = start;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
		s = (s & 0xffff) + (s >> 16);
	}
	if (len & 1) {
		s += (uint32_t)p[len - 1] << 8;
		s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)s;
}

/*
 * The wide, four-chain gk_csum_partial against the plain sum: every length
 * up to 300 and some long ones, odd start addresses, carry-heavy data
 * (all ones, alternating ones and zeros) and random data, a running sum
 * carried in, and a buffer that may end anywhere (ASan sees over-reads).
 */
static void test_partial_wide(void **state)
{
	static const size_t longs[] = { 511, 512, 1460, 1471, 1480, 1500, 9000,
					65535 };
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	size_t len, i, off, pat;

	for (pat = 0; pat < 3; pat++) {
		for (len = 0; len < 300 + ARRAY_SIZE(longs); len++) {
			size_t n = len < 300 ? len : longs[len - 300];

			for (off = 0; off < 8; off += 3) {
				uint8_t *buf = malloc(n + off + 1);
				uint16_t start = (uint16_t)(rng >> 40), want;
				uint32_t got;

				assert_non_null(buf);
				for (i = 0; i < n + off; i++) {
					rng ^= rng << 13;
					rng ^= rng >> 7;
					rng ^= rng << 17;
					buf[i] = pat == 0 ? 0xff : pat == 1 ?
						(i & 1 ? 0 : 0xff) : (uint8_t)rng;
				}
				want = ref_sum(buf + off, n, start);
				got = gk_csum_partial(buf + off, n, htons(start));
				assert_int_equal(gk_csum_fold(got),
						 (uint16_t)~htons(want));
				free(buf);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_odd_length),
		cmocka_unit_test(test_ip4_hdr_scapy),
		cmocka_unit_test(test_tcp_scapy),
		cmocka_unit_test(test_ttl_incremental),
		cmocka_unit_test(test_replace32),
		cmocka_unit_test(test_partial_wide),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
