// SPDX-License-Identifier: BSD-3-Clause
/*
 * [wireguard] on a MAP-E CE (ctl/config_wg_mape.c): ListenPort must be in
 * the CE's port set. The CE is the RFC 7597 style one of test_config_nat.c:
 * rule 2001:db8::/40 -> 192.0.2.0/24, ea_bits 16, psid_len 8, EUP
 * 2001:db8:12:3400::/56 -> 192.0.2.18, PSID 0x34, a = 6. Its set, listed by
 * a Python one-liner independent of genkan ((p >> 2) & 0xff == 0x34 and
 * p >= 1024): 1232-1235, 2256-2259, 3280-3283, ... 51408 is in it; 51820
 * (A = 50, PSID 0x9b) and 208 (PSID 0x34 but in the excluded A = 0 range)
 * are not.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "config_wg_mape.h"

#define PORTS "[port lan]\ninterface = eth0\n[port wan]\ninterface = eth1\n"
#define RULE								\
	"[map-rule rfc]\nipv6_prefix = 2001:db8::/40\n"			\
	"ipv4_prefix = 192.0.2.0/24\nea_bits = 16\npsid_len = 8\n"
/* lines 1-15 */
#define CE_HEAD PORTS							\
	"[mape]\nrole = ce\nbr_address = 2001:db8:ffff::1\n"		\
	"ipv4_port = lan\nipv6_port = wan\n"				\
	"end_user_prefix = 2001:db8:12:3400::/56\n" RULE
/* RFC 7748 §6.1 Alice's private key: a valid key, not a secret. */
#define WG(port)							\
	"[wireguard]\n"							\
	"PrivateKey = dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n"	\
	"ListenPort = " port "\n"	/* line 18 after CE_HEAD */	\
	"port = wan\n"

static int parse(const char *text, char *err, size_t len)
{
	struct gk_config cfg;
	int ret;

	ret = gk_config_parse(text, strlen(text), "w.conf", &cfg, err, len);
	if (!ret)
		gk_config_free(&cfg);
	return ret;
}

static void test_in_set(void **state)
{
	char err[1024];

	(void)state;
	assert_int_equal(parse(CE_HEAD WG("51408"), err, sizeof(err)), 0);
	assert_int_equal(parse(CE_HEAD WG("1232"), err, sizeof(err)), 0);
	assert_int_equal(parse(CE_HEAD WG("3283"), err, sizeof(err)), 0);
}

static void test_outside_set(void **state)
{
	static const char *const ports[] = { "51820", "208", "1236", "1231" };
	char err[1024], want[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		char text[1024];

		snprintf(text, sizeof(text), "%s%s%s%s%s", CE_HEAD,
			 "[wireguard]\nPrivateKey = dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n",
			 "ListenPort = ", ports[i], "\nport = wan\n");
		assert_int_equal(parse(text, err, sizeof(err)), -EINVAL);
		snprintf(want, sizeof(want),
			 "w.conf:18: ListenPort %s is outside this MAP-E CE's port set (psid 0x34, psid_offset 6, psid_len 8: ports 1232-1235, 2256-2259, 3280-3283, ...)",
			 ports[i]);
		if (!strstr(err, want))
			fail_msg("port %s: want '%s', got:\n%s", ports[i], want,
				 err);
		assert_null(strstr(err, "dwdtCnMYpX08"));
	}
}

/* Only a CE shares its address: a BR or a disabled [mape] is not checked. */
static void test_not_ce(void **state)
{
	char err[1024];

	(void)state;
	assert_int_equal(parse(PORTS
			       "[mape]\nrole = br\nbr_address = 2001:db8:ffff::1\n"
			       "ipv4_port = lan\nipv6_port = wan\n" RULE
			       WG("51820"), err, sizeof(err)), 0);
	assert_int_equal(parse(PORTS
			       "[mape]\nrole = ce\nenabled = no\nbr_address = 2001:db8:ffff::1\n"
			       "ipv4_port = lan\nipv6_port = wan\n"
			       "end_user_prefix = 2001:db8:12:3400::/56\n" RULE
			       WG("51820"), err, sizeof(err)), 0);
	assert_int_equal(parse(PORTS WG("51820"), err, sizeof(err)), 0);
}

/* A udp nat-map on the same public port would steal the tunnel. */
static void test_nat_map_clash(void **state)
{
	char err[1024];

	(void)state;
	assert_int_equal(parse(CE_HEAD WG("51408")
			       "[nat]\n"			/* 20 */
			       "[nat-map x]\nproto = udp\npublic_port = 51408\n"
			       "host = 198.18.0.2\nhost_port = 51820\n",
			       err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err,
		"w.conf:18: ListenPort 51408 is also the public_port of nat-map 'x' (line 21)"));
	/* tcp on the same number is another port. */
	assert_int_equal(parse(CE_HEAD WG("51408")
			       "[nat]\n"
			       "[nat-map x]\nproto = tcp\npublic_port = 51408\n"
			       "host = 198.18.0.2\nhost_port = 51820\n",
			       err, sizeof(err)), 0);
}

/* The tunnel's outer IPv4 source on a CE: 192.0.2.18 (worked above). */
static void test_src4(void **state)
{
	static const char ce[] = CE_HEAD WG("51408");
	static const char no_mape[] = PORTS WG("51820");
	static const uint8_t want[4] = { 192, 0, 2, 18 };
	struct gk_config cfg;
	uint8_t src[4] = { 0 };
	char err[1024];

	(void)state;
	assert_int_equal(gk_config_parse(ce, strlen(ce), "w.conf", &cfg, err,
					 sizeof(err)), 0);
	assert_true(gk_config_wg_ce_src4(&cfg, src));
	assert_memory_equal(src, want, 4);
	gk_config_free(&cfg);
	assert_int_equal(gk_config_parse(no_mape, strlen(no_mape), "w.conf",
					 &cfg, err, sizeof(err)), 0);
	assert_false(gk_config_wg_ce_src4(&cfg, src));
	gk_config_free(&cfg);
}

/*
 * WireGuard mtu + 60 (outer IPv4 20, UDP 8, WireGuard 32) must fit the
 * MAP-E tunnel MTU: 1460 - 60 = 1400.
 */
#define CE_MTU(tm) PORTS						\
	"[mape]\nrole = ce\nbr_address = 2001:db8:ffff::1\n"		\
	"ipv4_port = lan\nipv6_port = wan\n"				\
	"end_user_prefix = 2001:db8:12:3400::/56\n"			\
	"tunnel_mtu = " tm "\n" RULE	/* [wireguard] on line 17 */

static void test_mtu(void **state)
{
	char err[1024];

	(void)state;
	assert_int_equal(parse(CE_MTU("1460") WG("51408") "mtu = 1400\n", err,
			       sizeof(err)), 0);
	assert_int_equal(parse(CE_MTU("1460") WG("51408") "mtu = 1401\n", err,
			       sizeof(err)), -EINVAL);
	if (!strstr(err, "w.conf:21: [wireguard] mtu 1401 is above the MAP-E tunnel MTU 1460 minus 60 (outer IPv4 20 + UDP 8 + WireGuard 32): set mtu = 1400 or less"))
		fail_msg("got:\n%s", err);
	/* the default 1420 does not fit 1460 either: blame [wireguard] */
	assert_int_equal(parse(CE_MTU("1460") WG("51408"), err, sizeof(err)),
			 -EINVAL);
	if (!strstr(err, "w.conf:17: [wireguard] mtu 1420 (the default) is above the MAP-E tunnel MTU 1460"))
		fail_msg("got:\n%s", err);
	assert_int_equal(parse(CE_MTU("1480") WG("51408"), err, sizeof(err)), 0);
	/* a BR shares nothing: not checked */
	assert_int_equal(parse(PORTS
			       "[mape]\nrole = br\nbr_address = 2001:db8:ffff::1\n"
			       "ipv4_port = lan\nipv6_port = wan\ntunnel_mtu = 1280\n"
			       RULE WG("51820"), err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_set),
		cmocka_unit_test(test_outside_set),
		cmocka_unit_test(test_not_ce),
		cmocka_unit_test(test_nat_map_clash),
		cmocka_unit_test(test_src4),
		cmocka_unit_test(test_mtu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
