// SPDX-License-Identifier: BSD-3-Clause
/*
 * MAP-E rule math. Expected values come from RFC 7597 Appendix A (copied
 * from the RFC text, not computed) or were worked out by hand from the
 * §5.1/§5.2/§6 layouts, shown beside each case. The property tests check
 * invariants over seeded random rules; tests/map/test_map_calc.py adds an
 * independent Python implementation as a second oracle.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "map_rule.h"

static void pton6(const char *s, uint8_t out[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

static void pton4(const char *s, uint8_t out[4])
{
	assert_int_equal(inet_pton(AF_INET, s, out), 1);
}

static struct gk_map_rule mk_rule(const char *v6, unsigned l6, const char *v4,
				  unsigned l4, unsigned ea, unsigned a)
{
	struct gk_map_rule r = { 0 };

	pton6(v6, r.ipv6_prefix);
	r.ipv6_plen = (uint8_t)l6;
	pton4(v4, r.ipv4_prefix);
	r.ipv4_plen = (uint8_t)l4;
	r.ea_bits = (uint8_t)ea;
	r.psid_offset = (uint8_t)a;
	gk_map_rule_normalize(&r);
	return r;
}

static void assert_v6(const uint8_t got[16], const char *want)
{
	uint8_t w[16];
	char g[INET6_ADDRSTRLEN];

	pton6(want, w);
	if (memcmp(got, w, 16)) {
		inet_ntop(AF_INET6, got, g, sizeof(g));
		fail_msg("got %s, want %s", g, want);
	}
}

static void assert_v4(const uint8_t got[4], const char *want)
{
	uint8_t w[4];
	char g[INET_ADDRSTRLEN];

	pton4(want, w);
	if (memcmp(got, w, 4)) {
		inet_ntop(AF_INET, got, g, sizeof(g));
		fail_msg("got %s, want %s", g, want);
	}
}

/*
 * RFC 7597 Appendix A, Example 1 (BMR): 2001:db8::/40 -> 192.0.2.0/24,
 * EA-bits 16, PSID offset 6, end-user prefix 2001:db8:0012:3400::/56:
 * IPv4 192.0.2.18, PSID 0x34, 63 ranges 1232-1235, 2256-2259, ...,
 * 63696-63699, 64720-64723; CE 2001:db8:0012:3400:0000:c000:0212:0034.
 */
static void test_rfc7597_example1_ce(void **state)
{
	struct gk_map_rule r = mk_rule("2001:db8::", 40, "192.0.2.0", 24, 16, 6);
	uint16_t ranges[64][2];
	struct gk_map_ce_params cp;
	uint8_t eup[16];
	char err[256];
	unsigned i;

	pton6("2001:db8:0012:3400::", eup);
	assert_int_equal(gk_map_rule_check(&r, err, sizeof(err)), 0);
	assert_int_equal(gk_map_ce_derive(&r, eup, 56, &cp, err, sizeof(err)), 0);
	assert_v4(cp.ipv4, "192.0.2.18");
	assert_int_equal(cp.ipv4_plen, 32);
	assert_int_equal(cp.psid, 0x34);
	assert_int_equal(cp.psid_len, 8);
	assert_int_equal(cp.psid_offset, 6);
	assert_v6(cp.ce_ipv6, "2001:db8:0012:3400:0000:c000:0212:0034");
	assert_v6(cp.eup, "2001:db8:0012:3400::");
	assert_int_equal(cp.eup_len, 56);
	assert_int_equal(cp.nr_ports, 63 * 4);

	assert_int_equal(gk_map_port_ranges(6, 8, 0x34, ranges, 64), 63);
	assert_int_equal(ranges[0][0], 1232);
	assert_int_equal(ranges[0][1], 1235);
	assert_int_equal(ranges[1][0], 2256);
	assert_int_equal(ranges[1][1], 2259);
	assert_int_equal(ranges[61][0], 63696);
	assert_int_equal(ranges[61][1], 63699);
	assert_int_equal(ranges[62][0], 64720);
	assert_int_equal(ranges[62][1], 64723);
	for (i = 0; i < 63; i++) {
		/* every range is 4 ports, 1024 apart */
		assert_int_equal(ranges[i][1] - ranges[i][0], 3);
		assert_int_equal(ranges[i][0], 1232 + 1024 * i);
	}
	/* max smaller than the count: only max written, full count returned */
	memset(ranges, 0, sizeof(ranges));
	assert_int_equal(gk_map_port_ranges(6, 8, 0x34, ranges, 2), 63);
	assert_int_equal(ranges[2][0], 0);
	assert_int_equal(gk_map_port_ranges(6, 8, 0x34, NULL, 0), 63);
}

/*
 * RFC 7597 Appendix A, Example 2 (BR): destination 192.0.2.18 port 1232,
 * same rule as an FMR -> PSID 0x34 -> IPv6 destination
 * 2001:db8:0012:3400:0000:c000:0212:0034.
 */
static void test_rfc7597_example2_br(void **state)
{
	struct gk_map_rule r = mk_rule("2001:db8::", 40, "192.0.2.0", 24, 16, 6);
	struct gk_map_ce_params cp;
	uint8_t ip[4];
	char err[256];

	pton4("192.0.2.18", ip);
	assert_int_equal(gk_map_br_derive(&r, ip, 1232, &cp, err, sizeof(err)), 0);
	assert_int_equal(cp.psid, 0x34);
	assert_v6(cp.ce_ipv6, "2001:db8:0012:3400:0000:c000:0212:0034");
	assert_v6(cp.eup, "2001:db8:0012:3400::");
	assert_int_equal(cp.eup_len, 56);
	assert_int_equal(gk_map_port_psid(6, 8, 1232), 0x34);
	assert_true(gk_map_port_ok(6, 8, 0x34, 1232));
	assert_true(gk_map_port_ok(6, 8, 0x34, 64723));
	assert_false(gk_map_port_ok(6, 8, 0x34, 1236));
	assert_false(gk_map_port_ok(6, 8, 0x35, 1232));
	/* 208 = (0 << 10) | (0x34 << 2): PSID 0x34 but in the excluded A = 0 block */
	assert_false(gk_map_port_ok(6, 8, 0x34, 208));

	/* every port of the set maps to the same CE */
	for (unsigned port = 1024; port < 65536; port++) {
		struct gk_map_ce_params c2;

		if (!gk_map_port_ok(6, 8, 0x34, (uint16_t)port))
			continue;
		assert_int_equal(gk_map_br_derive(&r, ip, (uint16_t)port, &c2,
						  err, sizeof(err)), 0);
		assert_memory_equal(c2.ce_ipv6, cp.ce_ipv6, 16);
	}
}

/*
 * draft-ietf-softwire-map-03 interface id: 0x00, IPv4 (c0 00 02 12),
 * PSID (00 34), 0x00 -> ...:00c0:0002:1200:3400.
 */
static void test_draft03(void **state)
{
	struct gk_map_rule r = mk_rule("2001:db8::", 40, "192.0.2.0", 24, 16, 6);
	struct gk_map_ce_params cp;
	uint8_t eup[16], ip[4];
	char err[256];

	r.flags |= GK_MAP_F_DRAFT03;
	pton6("2001:db8:12:3400::", eup);
	assert_int_equal(gk_map_ce_derive(&r, eup, 56, &cp, err, sizeof(err)), 0);
	assert_v6(cp.ce_ipv6, "2001:db8:12:3400:00c0:0002:1200:3400");
	pton4("192.0.2.18", ip);
	assert_int_equal(gk_map_br_derive(&r, ip, 2256, &cp, err, sizeof(err)), 0);
	assert_v6(cp.ce_ipv6, "2001:db8:12:3400:00c0:0002:1200:3400");
}

/*
 * o < p: 2001:db8::/40 -> 198.51.100.0/24 with 4 EA bits gives each CE a
 * /28 and no PSID. EUP 2001:db8:a0::/44 carries EA bits 0xa (bits 40..43)
 * -> 198.51.100.160/28; §6 id holds 198.51.100.160 (c6 33 64 a0), PSID 0.
 */
static void test_ipv4_prefix_k0(void **state)
{
	struct gk_map_rule r = mk_rule("2001:db8::", 40, "198.51.100.0", 24, 4, 6);
	uint16_t ranges[2][2];
	struct gk_map_ce_params cp;
	uint8_t eup[16], ip[4];
	char err[256];

	assert_int_equal(r.psid_len, 0);
	pton6("2001:db8:a0::", eup);
	assert_int_equal(gk_map_ce_derive(&r, eup, 44, &cp, err, sizeof(err)), 0);
	assert_v4(cp.ipv4, "198.51.100.160");
	assert_int_equal(cp.ipv4_plen, 28);
	assert_int_equal(cp.psid, 0);
	assert_int_equal(cp.psid_len, 0);
	assert_int_equal(cp.nr_ports, 65536);
	assert_v6(cp.ce_ipv6, "2001:db8:a0:0:0:c633:64a0:0");
	assert_int_equal(gk_map_port_ranges(6, 0, 0, ranges, 2), 1);
	assert_int_equal(ranges[0][0], 0);
	assert_int_equal(ranges[0][1], 65535);
	assert_true(gk_map_port_ok(6, 0, 0, 0));
	assert_true(gk_map_port_ok(6, 0, 0, 80));

	/* BR: any address of the /28, any port (even < 1024) */
	pton4("198.51.100.171", ip);
	assert_int_equal(gk_map_br_derive(&r, ip, 80, &cp, err, sizeof(err)), 0);
	assert_v4(cp.ipv4, "198.51.100.160");
	assert_v6(cp.ce_ipv6, "2001:db8:a0:0:0:c633:64a0:0");
	assert_int_equal(cp.eup_len, 44);
	assert_v6(cp.eup, "2001:db8:a0::");
}

/*
 * o == p: a full address per CE. 2001:db8:ff00::/40 -> 192.0.2.0/24, EA 8,
 * EUP 2001:db8:ff12::/48 -> 192.0.2.18, k = 0.
 */
static void test_full_address(void **state)
{
	struct gk_map_rule r = mk_rule("2001:db8:ff00::", 40, "192.0.2.0", 24, 8, 6);
	struct gk_map_ce_params cp;
	uint8_t eup[16];
	char err[256];

	pton6("2001:db8:ff12::", eup);
	assert_int_equal(gk_map_ce_derive(&r, eup, 48, &cp, err, sizeof(err)), 0);
	assert_v4(cp.ipv4, "192.0.2.18");
	assert_int_equal(cp.ipv4_plen, 32);
	assert_int_equal(cp.psid_len, 0);
	assert_v6(cp.ce_ipv6, "2001:db8:ff12:0:0:c000:212:0");
}

/*
 * No EA bits, one /32 for one CE: 2001:db8:12:3400::/56 -> 192.0.2.1/32,
 * EA 0 -> CE 2001:db8:12:3400:0:c000:201:0.
 */
static void test_no_ea_bits(void **state)
{
	struct gk_map_rule r = mk_rule("2001:db8:12:3400::", 56, "192.0.2.1", 32, 0, 6);
	struct gk_map_ce_params cp;
	uint8_t eup[16];
	char err[256];

	pton6("2001:db8:12:3400::", eup);
	assert_int_equal(gk_map_ce_derive(&r, eup, 56, &cp, err, sizeof(err)), 0);
	assert_v4(cp.ipv4, "192.0.2.1");
	assert_v6(cp.ce_ipv6, "2001:db8:12:3400:0:c000:201:0");
	/* a longer delegation still uses subnet id 0 for the CE address */
	pton6("2001:db8:12:3456::", eup);
	assert_int_equal(gk_map_ce_derive(&r, eup, 64, &cp, err, sizeof(err)), 0);
	assert_v6(cp.ce_ipv6, "2001:db8:12:3400:0:c000:201:0");
	assert_v6(cp.eup, "2001:db8:12:3456::");
	assert_int_equal(cp.eup_len, 64);
}

/*
 * a = 0: one contiguous range. 2001:db8::/48 -> 203.0.113.0/24, EA 12,
 * offset 0 -> k = 4, m = 12. EUP 2001:db8:0:5a70::/60: EA bits 0x5a7 =
 * suffix 0x5a (90) || PSID 7 -> 203.0.113.90, ports 7<<12 .. +4095.
 */
static void test_offset_zero(void **state)
{
	struct gk_map_rule r = mk_rule("2001:db8::", 48, "203.0.113.0", 24, 12, 0);
	uint16_t ranges[2][2];
	struct gk_map_ce_params cp;
	uint8_t eup[16];
	char err[256];

	assert_int_equal(r.psid_len, 4);
	pton6("2001:db8:0:5a70::", eup);
	assert_int_equal(gk_map_ce_derive(&r, eup, 60, &cp, err, sizeof(err)), 0);
	assert_v4(cp.ipv4, "203.0.113.90");
	assert_int_equal(cp.psid, 7);
	assert_int_equal(cp.nr_ports, 4096);
	assert_v6(cp.ce_ipv6, "2001:db8:0:5a70:0:cb00:715a:7");
	assert_int_equal(gk_map_port_ranges(0, 4, 7, ranges, 2), 1);
	assert_int_equal(ranges[0][0], 28672);
	assert_int_equal(ranges[0][1], 32767);
	/* a = 0 excludes nothing: PSID 0 owns port 0 */
	assert_true(gk_map_port_ok(0, 4, 0, 0));
}

/* psid_len given explicitly must agree with o - p. */
static void test_explicit_psid_len(void **state)
{
	struct gk_map_rule r = mk_rule("2001:db8::", 40, "192.0.2.0", 24, 16, 6);
	struct gk_map_ce_params cp;
	uint8_t eup[16];
	char err[256];

	r.flags |= GK_MAP_F_PSID_LEN;
	r.psid_len = 8;
	gk_map_rule_normalize(&r);
	assert_int_equal(r.psid_len, 8);
	pton6("2001:db8:12:3400::", eup);
	assert_int_equal(gk_map_ce_derive(&r, eup, 56, &cp, err, sizeof(err)), 0);
	assert_int_equal(cp.psid, 0x34);

	r.psid_len = 6;
	gk_map_rule_normalize(&r);	/* explicit: left alone */
	assert_int_equal(gk_map_rule_check(&r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
		"psid_len 6 disagrees with ea_bits 16 - (32 - ipv4 prefix length 24) = 8");
	assert_int_equal(gk_map_ce_derive(&r, eup, 56, &cp, err, sizeof(err)), -EINVAL);
}

struct bad_rule {
	const char *what;
	const char *v6; unsigned l6;
	const char *v4; unsigned l4;
	unsigned ea, a, k;	/* k = 99: derived */
	const char *err;
};

static const struct bad_rule bad_rules[] = {
	{ "v6 + ea > 64", "2001:db8::", 56, "192.0.2.0", 24, 16, 6, 99,
	  "ipv6 prefix length 56 + ea_bits 16 = 72 exceeds 64" },
	{ "ea > 48", "2001::", 16, "192.0.2.0", 24, 49, 6, 99,
	  "ea_bits 49 out of range (0..48)" },
	{ "v4 plen > 32", "2001:db8::", 40, "192.0.2.0", 33, 16, 6, 99,
	  "ipv4 prefix length 33 out of range (0..32)" },
	{ "v6 plen > 128", "2001:db8::", 129, "192.0.2.0", 24, 0, 6, 99,
	  "ipv6 prefix length 129 out of range (0..128)" },
	{ "offset > 16", "2001:db8::", 40, "192.0.2.0", 24, 16, 17, 99,
	  "psid_offset 17 out of range (0..16)" },
	{ "a + k > 16", "2001:db8::", 32, "192.0.2.0", 24, 20, 6, 99,
	  "psid_offset 6 + psid_len 12 = 18 exceeds 16 (ea_bits 20 with ipv4 prefix length 24)" },
	{ "v6 host bits", "2001:db8::1", 40, "192.0.2.0", 24, 16, 6, 99,
	  "ipv6_prefix 2001:db8::1 has bits set beyond /40" },
	{ "v4 host bits", "2001:db8::", 40, "192.0.2.1", 24, 16, 6, 99,
	  "ipv4_prefix 192.0.2.1 has bits set beyond /24" },
	{ "psid without ea bits", "2001:db8::", 40, "192.0.2.0", 24, 4, 6, 2,
	  "psid_len 2 needs ea_bits > 32 - ipv4 prefix length = 8 (ea_bits 4 carry no PSID)" },
	{ "psid_len mismatch", "2001:db8::", 40, "192.0.2.0", 24, 16, 6, 7,
	  "psid_len 7 disagrees with ea_bits 16 - (32 - ipv4 prefix length 24) = 8" },
};

static void test_check_errors(void **state)
{
	size_t i, failed = 0;

	for (i = 0; i < sizeof(bad_rules) / sizeof(bad_rules[0]); i++) {
		const struct bad_rule *b = &bad_rules[i];
		struct gk_map_rule r = { 0 };
		char err[256] = "";
		int ret;

		pton6(b->v6, r.ipv6_prefix);
		pton4(b->v4, r.ipv4_prefix);
		r.ipv6_plen = (uint8_t)b->l6;
		r.ipv4_plen = (uint8_t)b->l4;
		r.ea_bits = (uint8_t)b->ea;
		r.psid_offset = (uint8_t)b->a;
		if (b->k != 99) {
			r.flags |= GK_MAP_F_PSID_LEN;
			r.psid_len = (uint8_t)b->k;
		}
		gk_map_rule_normalize(&r);
		ret = gk_map_rule_check(&r, err, sizeof(err));
		if (ret != -EINVAL || strcmp(err, b->err)) {
			print_error("case '%s': ret %d, err '%s', want '%s'\n",
				    b->what, ret, err, b->err);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void test_derive_errors(void **state)
{
	struct gk_map_rule r = mk_rule("2001:db8::", 40, "192.0.2.0", 24, 16, 6);
	struct gk_map_ce_params cp;
	uint8_t eup[16], ip[4];
	char err[256];

	pton6("2001:db9:12:3400::", eup);
	assert_int_equal(gk_map_ce_derive(&r, eup, 56, &cp, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "end-user prefix 2001:db9:12:3400::/56 does not match rule prefix 2001:db8::/40");
	pton6("2001:db8:12::", eup);
	assert_int_equal(gk_map_ce_derive(&r, eup, 48, &cp, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "end-user prefix /48 is shorter than ipv6 prefix length 40 + ea_bits 16 = /56");
	assert_int_equal(gk_map_ce_derive(&r, eup, 72, &cp, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "end-user prefix /72 is longer than /64");

	pton4("198.51.100.18", ip);
	assert_int_equal(gk_map_br_derive(&r, ip, 1232, &cp, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "198.51.100.18 is outside the rule's ipv4 prefix 192.0.2.0/24");
	pton4("192.0.2.18", ip);
	assert_int_equal(gk_map_br_derive(&r, ip, 1023, &cp, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "port 1023 is in the excluded range 0-1023 (psid_offset 6)");
	/* NULL err is allowed */
	assert_int_equal(gk_map_br_derive(&r, ip, 1023, &cp, NULL, 0), -EINVAL);
}

static void test_overlap(void **state)
{
	struct gk_map_rule a = mk_rule("2001:db8::", 40, "192.0.2.0", 24, 16, 6);
	struct gk_map_rule b = mk_rule("2001:db8:100::", 40, "198.51.100.0", 24, 16, 6);
	struct gk_map_rule c = mk_rule("2001:db8:200::", 40, "192.0.2.128", 25, 15, 6);
	struct gk_map_rule d = mk_rule("2001:db8:80::", 41, "203.0.113.0", 24, 16, 6);
	struct gk_map_rule e = mk_rule("2001:db8::", 32, "203.0.113.0", 24, 16, 6);

	assert_false(gk_map_rules_overlap(&a, &b));
	assert_false(gk_map_rules_overlap(&b, &a));
	assert_true(gk_map_rules_overlap(&a, &c));	/* /25 inside /24 */
	assert_true(gk_map_rules_overlap(&c, &a));
	assert_true(gk_map_rules_overlap(&a, &d));	/* /41 inside /40 */
	assert_false(gk_map_rules_overlap(&b, &d));
	assert_true(gk_map_rules_overlap(&e, &b));	/* /32 covers everything */
	assert_true(gk_map_rules_overlap(&a, &a));
}

/* ---- property tests over seeded random rules ---- */

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64*: deterministic for a given seed, no libc dependence */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static unsigned rnd_below(unsigned n)
{
	return n ? rnd() % n : 0;
}

static void rnd_bits(uint8_t *buf, unsigned bytes, unsigned plen)
{
	unsigned i;

	for (i = 0; i < bytes; i++) {
		buf[i] = (uint8_t)rnd();
		if (plen >= (i + 1) * 8)
			continue;
		buf[i] = plen <= i * 8 ? 0 : (uint8_t)(buf[i] & (0xff00u >> (plen - i * 8)));
	}
}

/* A random rule that passes gk_map_rule_check(). */
static struct gk_map_rule rnd_rule(void)
{
	struct gk_map_rule r;

	for (;;) {
		memset(&r, 0, sizeof(r));
		r.ipv4_plen = (uint8_t)(8 + rnd_below(25));		/* 8..32 */
		r.psid_offset = (uint8_t)rnd_below(9);			/* 0..8 */
		/* p - 4 .. p + (16 - a), clipped to 0 */
		{
			int p = 32 - r.ipv4_plen;
			int lo = p - 4 < 0 ? 0 : p - 4;
			int hi = p + 16 - r.psid_offset;

			if (hi > 48)
				hi = 48;
			r.ea_bits = (uint8_t)(lo + (int)rnd_below((unsigned)(hi - lo + 1)));
		}
		if (r.ea_bits > 64 - 16)
			continue;
		r.ipv6_plen = (uint8_t)(16 + rnd_below(64 - 16 - r.ea_bits + 1));
		rnd_bits(r.ipv6_prefix, 16, r.ipv6_plen);
		rnd_bits(r.ipv4_prefix, 4, r.ipv4_plen);
		if (rnd() & 1)
			r.flags |= GK_MAP_F_DRAFT03;
		gk_map_rule_normalize(&r);
		if (!gk_map_rule_check(&r, NULL, 0))
			return r;
	}
}

static void set_bit(uint8_t *buf, unsigned b, unsigned v)
{
	if (v)
		buf[b >> 3] |= (uint8_t)(0x80u >> (b & 7));
	else
		buf[b >> 3] &= (uint8_t)~(0x80u >> (b & 7));
}

/* Every port in a set maps back to its PSID; sets are disjoint and cover
 * exactly the non-excluded ports. */
static void test_prop_port_sets(void **state)
{
	static uint8_t owner[65536];
	static uint16_t ranges[65536][2];
	unsigned iter;

	rng_state = 0x9e3779b97f4a7c15ull;
	for (iter = 0; iter < 300; iter++) {
		unsigned a = rnd_below(9), k = 1 + rnd_below(16 - a);
		unsigned excluded = a ? 1u << (16 - a) : 0, covered = 0;
		unsigned psid, port;

		memset(owner, 0, sizeof(owner));
		for (psid = 0; psid < (1u << k); psid++) {
			unsigned nr = gk_map_port_ranges((uint8_t)a, (uint8_t)k,
							 (uint16_t)psid, ranges, 65536);
			uint32_t size = 0;

			assert_int_equal(nr, a ? (1u << a) - 1 : 1);
			for (unsigned i = 0; i < nr; i++) {
				assert_true(ranges[i][0] <= ranges[i][1]);
				if (i)
					assert_true(ranges[i][0] > ranges[i - 1][1]);
				for (port = ranges[i][0]; port <= ranges[i][1]; port++) {
					assert_int_equal(gk_map_port_psid((uint8_t)a, (uint8_t)k,
									  (uint16_t)port), psid);
					assert_true(gk_map_port_ok((uint8_t)a, (uint8_t)k,
								   (uint16_t)psid, (uint16_t)port));
					assert_int_equal(owner[port], 0);	/* disjoint */
					owner[port] = 1;
					size++;
				}
			}
			assert_int_equal(size, gk_map_port_count((uint8_t)a, (uint8_t)k));
			covered += size;
		}
		assert_int_equal(covered, 65536 - excluded);
		for (port = 0; port < 65536; port++) {
			assert_int_equal(owner[port], port >= excluded);
			/* port_ok agrees with the ranges for a random PSID */
			psid = rnd_below(1u << k);
			assert_int_equal(gk_map_port_ok((uint8_t)a, (uint8_t)k,
							(uint16_t)psid, (uint16_t)port),
					 port >= excluded &&
					 gk_map_port_psid((uint8_t)a, (uint8_t)k,
							  (uint16_t)port) == psid);
		}
	}
}

/* CE derive, then BR derive from any (ipv4, port in the set): same CE. */
static void test_prop_ce_br_roundtrip(void **state)
{
	static uint16_t ranges[65536][2];
	unsigned iter;

	rng_state = 0x243f6a8885a308d3ull;
	for (iter = 0; iter < 20000; iter++) {
		struct gk_map_rule r = rnd_rule();
		struct gk_map_ce_params ce, br;
		unsigned need = r.ipv6_plen + r.ea_bits, eup_len, nr, j;
		uint8_t eup[16], ip[4];
		char err[256];

		eup_len = need + rnd_below(64 - need + 1);
		memcpy(eup, r.ipv6_prefix, 16);
		for (j = r.ipv6_plen; j < 128; j++)
			set_bit(eup, j, j < eup_len ? rnd() & 1 : 0);
		if (gk_map_ce_derive(&r, eup, (uint8_t)eup_len, &ce, err, sizeof(err)))
			fail_msg("ce_derive: %s", err);
		assert_true(ce.ipv4_plen >= r.ipv4_plen);
		assert_int_equal(ce.psid >> r.psid_len, 0);

		nr = gk_map_port_ranges(ce.psid_offset, ce.psid_len, ce.psid, ranges, 65536);
		for (j = 0; j < 4; j++) {
			unsigned i = rnd_below(nr);
			uint16_t port = (uint16_t)(ranges[i][0] +
				rnd_below((unsigned)(ranges[i][1] - ranges[i][0]) + 1));

			/* any address of the CE's IPv4 prefix (one when shared) */
			memcpy(ip, ce.ipv4, 4);
			for (unsigned b = ce.ipv4_plen; b < 32; b++)
				set_bit(ip, b, rnd() & 1);
			if (gk_map_br_derive(&r, ip, port, &br, err, sizeof(err)))
				fail_msg("br_derive: %s", err);
			assert_memory_equal(br.ce_ipv6, ce.ce_ipv6, 16);
			assert_memory_equal(br.ipv4, ce.ipv4, 4);
			assert_int_equal(br.psid, ce.psid);
			assert_int_equal(br.ipv4_plen, ce.ipv4_plen);
			/* the BR's EUP is the CE's, cut to r6 + o */
			assert_int_equal(br.eup_len, need);
			for (unsigned b = 0; b < 128; b++)
				assert_int_equal((br.eup[b >> 3] >> (7 - (b & 7))) & 1,
						 b < need ? (ce.eup[b >> 3] >> (7 - (b & 7))) & 1 : 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7597_example1_ce),
		cmocka_unit_test(test_rfc7597_example2_br),
		cmocka_unit_test(test_draft03),
		cmocka_unit_test(test_ipv4_prefix_k0),
		cmocka_unit_test(test_full_address),
		cmocka_unit_test(test_no_ea_bits),
		cmocka_unit_test(test_offset_zero),
		cmocka_unit_test(test_explicit_psid_len),
		cmocka_unit_test(test_check_errors),
		cmocka_unit_test(test_derive_errors),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_prop_port_sets),
		cmocka_unit_test(test_prop_ce_br_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
