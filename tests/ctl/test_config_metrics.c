// SPDX-License-Identifier: BSD-3-Clause
/*
 * [metrics] (ctl/config/config_metrics.c): off by default, listen takes any
 * numeric IPv4 or bracketed IPv6 address and a port 1-65535, and every
 * mistake is reported on its own line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "config.h"

#define HEAD "[port lan]\ninterface = eth0\n"	/* lines 1-2 */

static int parse(const char *text, struct gk_config *cfg, char *err,
		 size_t errlen)
{
	return gk_config_parse(text, strlen(text), "m.conf", cfg, err, errlen);
}

static void test_absent(void **state)
{
	struct gk_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(HEAD, &cfg, err, sizeof(err)), 0);
	assert_false(cfg.metrics.enabled);
	gk_config_free(&cfg);
}

static void test_v4(void **state)
{
	static const uint8_t lo[4] = { 127, 0, 0, 1 };
	struct gk_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(HEAD "[metrics]\nlisten = 127.0.0.1:9469\n",
			       &cfg, err, sizeof(err)), 0);
	assert_true(cfg.metrics.enabled);
	assert_int_equal(cfg.metrics.family, AF_INET);
	assert_memory_equal(cfg.metrics.addr, lo, 4);
	assert_int_equal(cfg.metrics.port, 9469);
	assert_int_equal(cfg.metrics.line, 3);
	assert_int_equal(cfg.metrics.listen_line, 4);
	assert_string_equal(cfg.metrics.listen, "127.0.0.1:9469");
	gk_config_free(&cfg);
}

static void test_v6(void **state)
{
	static const uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 };
	struct gk_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(HEAD "[metrics]\nlisten = [2001:db8::9]:1\n",
			       &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.metrics.family, AF_INET6);
	assert_memory_equal(cfg.metrics.addr, a, 16);
	assert_int_equal(cfg.metrics.port, 1);
	gk_config_free(&cfg);
	assert_int_equal(parse(HEAD "[metrics]\nlisten = [::]:65535\n",
			       &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.metrics.port, 65535);
	gk_config_free(&cfg);
}

/* Each bad value: refused, the message on the listen line. */
static void test_bad(void **state)
{
	static const struct {
		const char *listen, *msg;
	} bad[] = {
		{ "127.0.0.1", "want ADDR:PORT" },
		{ "127.0.0.1:0", "port must be 1-65535" },
		{ "127.0.0.1:65536", "port must be 1-65535" },
		{ "127.0.0.1:+80", "missing port" },
		{ "127.0.0.1:0x50", "port must be 1-65535" },
		{ "127.0.0.1:", "missing port" },
		{ "localhost:9469", "not a numeric IPv4 address" },
		{ "::1:9469", "want ADDR:PORT" },
		{ "[::1]9469", "[ADDR]:PORT" },
		{ "[::1:9469", "[ADDR]:PORT" },
		{ "[127.0.0.1]:9469", "not a numeric IPv6 address" },
		{ "256.0.0.1:80", "not a numeric IPv4 address" },
	};
	char text[256], err[512];
	struct gk_config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), HEAD "[metrics]\nlisten = %s\n",
			 bad[i].listen);
		assert_int_equal(parse(text, &cfg, err, sizeof(err)), -EINVAL);
		if (!strstr(err, "m.conf:4: ") || !strstr(err, bad[i].msg))
			fail_msg("'%s': got '%s'", bad[i].listen, err);
	}
}

static void test_section_errors(void **state)
{
	struct gk_config cfg;
	char err[512];

	(void)state;
	assert_int_equal(parse(HEAD "[metrics]\n", &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "m.conf:3: [metrics] needs listen"));
	assert_int_equal(parse(HEAD "[metrics]\nport = 9469\nlisten = 127.0.0.1:1\n",
			       &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "m.conf:4: unknown key 'port' in [metrics]"));
	assert_int_equal(parse(HEAD "[metrics]\nlisten = 127.0.0.1:1\n"
			       "listen = 127.0.0.1:2\n", &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "m.conf:5: duplicate key 'listen' (first at line 4)"));
	assert_int_equal(parse(HEAD "[metrics]\nlisten = 127.0.0.1:1\n"
			       "[metrics]\n", &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "m.conf:5: duplicate section [metrics] (first at line 3)"));
	assert_int_equal(parse(HEAD "[metrics x]\nlisten = 127.0.0.1:1\n",
			       &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "m.conf:3: section [metrics] takes no name"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_v4),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_section_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
