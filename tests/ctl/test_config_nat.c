// SPDX-License-Identifier: BSD-3-Clause
/*
 * [nat] / [nat-map NAME] (ctl/config_nat.c). The CE below is RFC 7597
 * style: rule 2001:db8::/40 -> 192.0.2.0/24, ea_bits 16, psid_len 8, and
 * EUP 2001:db8:12:3400::/56 gives EA bits 0x1234: address 192.0.2.18,
 * PSID 0x34. With the default a = 6 (m = 2), range A = 1 holds ports
 * 1<<10 | 0x34<<2 | j = 1232..1235 (worked by hand, not by genkan).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "config.h"

#define CE_HEAD								\
	"[port lan]\ninterface = eth0\n[port wan]\ninterface = eth1\n"	\
	"[mape]\nrole = ce\nbr_address = 2001:db8:ffff::1\n"		\
	"ipv4_port = lan\nipv6_port = wan\n"				\
	"end_user_prefix = 2001:db8:12:3400::/56\n"			\
	"[map-rule rfc]\nipv6_prefix = 2001:db8::/40\n"			\
	"ipv4_prefix = 192.0.2.0/24\nea_bits = 16\npsid_len = 8\n"	\
	/* lines 1-15 */

static void test_nat_ok(void **state)
{
	static const char text[] = CE_HEAD
		"[nat]\n"				/* 16 */
		"filtering = eif\n"
		"udp_timeout = 120\n"
		"hold_down = 30\n"
		"host_port_limit = 64\n"		/* 20 */
		"event_log = /var/log/genkan-nat.log\n"
		"[nat-map web]\n"
		"proto = tcp\n"
		"public_port = 1232\n"
		"host = 198.18.0.2\n"			/* 25 */
		"host_port = 8080\n";
	struct gk_config cfg;
	char err[1024];

	(void)state;
	assert_int_equal(gk_config_parse(text, strlen(text), "n.conf", &cfg,
					 err, sizeof(err)), 0);
	assert_true(cfg.nat.present);
	assert_true(cfg.nat.enabled);
	assert_int_equal(cfg.nat.filter, 1);
	assert_int_equal(cfg.nat.udp_timeout, 120);
	assert_int_equal(cfg.nat.tcp_established_timeout, 7440);
	assert_int_equal(cfg.nat.tcp_transitory_timeout, 240);
	assert_int_equal(cfg.nat.icmp_timeout, 60);
	assert_int_equal(cfg.nat.hold_down, 30);
	assert_int_equal(cfg.nat.host_port_limit, 64);
	assert_string_equal(cfg.nat.event_log, "/var/log/genkan-nat.log");
	assert_int_equal(cfg.nat.nr_maps, 1);
	assert_int_equal(cfg.nat.maps[0].proto, IPPROTO_TCP);
	assert_int_equal(cfg.nat.maps[0].public_port, 1232);
	assert_int_equal(cfg.nat.maps[0].host[3], 2);
	assert_int_equal(cfg.nat.maps[0].host_port, 8080);
	gk_config_free(&cfg);
}

/* No [nat]: off, defaults untouched (the config behaves as before). */
static void test_nat_absent(void **state)
{
	static const char text[] = CE_HEAD;
	struct gk_config cfg;
	char err[512];

	(void)state;
	assert_int_equal(gk_config_parse(text, strlen(text), "n.conf", &cfg,
					 err, sizeof(err)), 0);
	assert_false(cfg.nat.present);
	assert_int_equal(cfg.nat.nr_maps, 0);
	gk_config_free(&cfg);
}

struct bad {
	const char *text;
	const char *msg;
};

static const struct bad bads[] = {
	{ "[port p]\ninterface = e\n[nat]\n",
	  "n.conf:3: [nat]: NAT needs a MAP-E CE" },
	{ CE_HEAD "[nat]\nudp_timeout = 119\n",
	  "n.conf:17: udp_timeout must be 120.." },
	{ CE_HEAD "[nat]\nfiltering = full\n",
	  "n.conf:17: filtering: expected apdf or eif" },
	{ CE_HEAD "[nat]\nbogus = 1\n", "n.conf:17: unknown key 'bogus' in [nat]" },
	{ CE_HEAD "[nat]\n[nat]\n", "n.conf:17: duplicate section [nat]" },
	{ CE_HEAD "[nat]\n[nat-map w]\nproto = tcp\npublic_port = 1236\n"
	  "host = 198.18.0.2\nhost_port = 80\n",
	  "n.conf:19: nat-map 'w': public_port 1236 is outside this CE's port set" },
	{ CE_HEAD "[nat]\n[nat-map w]\nproto = sctp\n",
	  "n.conf:18: proto: expected tcp or udp" },
	{ CE_HEAD "[nat]\n[nat-map w]\nproto = tcp\n",
	  "n.conf:17: nat-map 'w' needs proto, public_port, host and host_port" },
	{ CE_HEAD "[nat-map w]\nproto = tcp\npublic_port = 1232\n"
	  "host = 198.18.0.2\nhost_port = 80\n",
	  "n.conf:16: nat-map sections need a [nat] section" },
	{ CE_HEAD "[nat]\n[nat-map a]\nproto = udp\npublic_port = 1233\n"
	  "host = 198.18.0.2\nhost_port = 80\n[nat-map b]\nproto = udp\n"
	  "public_port = 1233\nhost = 198.18.0.3\nhost_port = 81\n",
	  "n.conf:24: nat-map 'b': udp port 1233 already mapped by 'a'" },
	{ CE_HEAD "[nat]\nevent_log = relative.log\n",
	  "n.conf:17: event_log: expected off or an absolute path" },
};

static void test_nat_bad(void **state)
{
	struct gk_config cfg;
	char err[2048];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		int ret = gk_config_parse(bads[i].text, strlen(bads[i].text),
					  "n.conf", &cfg, err, sizeof(err));

		if (ret != -EINVAL || !strstr(err, bads[i].msg))
			fail_msg("case %zu: ret %d, want '%s', got:\n%s", i, ret,
				 bads[i].msg, err);
	}
}

/* The [mape] BR role cannot NAT. */
static void test_nat_needs_ce(void **state)
{
	static const char text[] =
		"[port lan]\ninterface = eth0\n[port wan]\ninterface = eth1\n"
		"[mape]\nrole = br\nbr_address = 2001:db8:ffff::1\n"
		"ipv4_port = lan\nipv6_port = wan\n"
		"[map-rule rfc]\nipv6_prefix = 2001:db8::/40\n"
		"ipv4_prefix = 192.0.2.0/24\nea_bits = 16\npsid_len = 8\n"
		"[nat]\n";	/* 15 */
	struct gk_config cfg;
	char err[1024];

	(void)state;
	assert_int_equal(gk_config_parse(text, strlen(text), "n.conf", &cfg,
					 err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "n.conf:15: [nat]: NAT needs a MAP-E CE"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nat_ok),
		cmocka_unit_test(test_nat_absent),
		cmocka_unit_test(test_nat_bad),
		cmocka_unit_test(test_nat_needs_ce),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
