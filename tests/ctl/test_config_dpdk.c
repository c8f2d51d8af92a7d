// SPDX-License-Identifier: BSD-3-Clause
/*
 * [dpdk] and the per-port backend/devargs keys (issue #14): a good file
 * parses to the values written in it, every bad key or value is refused
 * with its line and a message that names it. A build without DPDK refuses
 * backend = dpdk.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <gk_config.h>
#include "config.h"
#include "has_error.h"

static const char good[] =
	"[genkan]\n"
	"workers = 2\n"
	"[dpdk]\n"
	"eal_args = --no-huge --no-shconf -m 256 --no-pci\n"
	"mbufs = 16384\n"
	"rx_desc = 512\n"
	"tx_desc = 2048\n"
	"[port lan]\n"
	"backend = dpdk\n"
	"devargs = net_af_packet0,iface=veth-lan,qpairs=2\n"
	"interface = dp-lan\n"
	"[port wan]\n"
	"backend = dpdk\n"
	"devargs = 0000:03:00.0\n"
	"interface = dp-wan\n";

static void test_good(void **state)
{
	struct gk_config cfg;
	char err[1024] = "";
	int ret;

	ret = gk_config_parse(good, strlen(good), "d.conf", &cfg, err,
			      sizeof(err));
#if GK_HAVE_DPDK
	if (ret)
		fail_msg("%s", err);
	assert_int_equal(cfg.dpdk.line, 3);
	assert_string_equal(cfg.dpdk.eal_args,
			    "--no-huge --no-shconf -m 256 --no-pci");
	assert_int_equal(cfg.dpdk.mbufs, 16384);
	assert_int_equal(cfg.dpdk.rx_desc, 512);
	assert_int_equal(cfg.dpdk.tx_desc, 2048);
	assert_int_equal(cfg.nr_dpdk_ports, 2);
	assert_int_equal(cfg.ports[0].backend, GK_BACKEND_DPDK);
	assert_string_equal(cfg.ports[0].devargs,
			    "net_af_packet0,iface=veth-lan,qpairs=2");
	assert_string_equal(cfg.ports[0].ifname, "dp-lan");
	assert_string_equal(cfg.ports[1].devargs, "0000:03:00.0");
	gk_config_free(&cfg);
#else
	assert_int_equal(ret, -EINVAL);
	assert_true(has_error(err, "d.conf", 9, "built without DPDK"));
#endif
}

/* No [dpdk], no backend: AF_XDP and the defaults. */
static void test_defaults(void **state)
{
	static const char text[] = "[port a]\ninterface = eth0\n";
	struct gk_config cfg;
	char err[256];

	assert_int_equal(gk_config_parse(text, strlen(text), "d.conf", &cfg,
					 err, sizeof(err)), 0);
	assert_int_equal(cfg.ports[0].backend, GK_BACKEND_AFXDP);
	assert_string_equal(cfg.ports[0].devargs, "");
	assert_int_equal(cfg.nr_dpdk_ports, 0);
	assert_int_equal(cfg.dpdk.line, 0);
	assert_int_equal(cfg.dpdk.mbufs, 8192);
	assert_int_equal(cfg.dpdk.rx_desc, 1024);
	assert_int_equal(cfg.dpdk.tx_desc, 1024);
	gk_config_free(&cfg);
}

struct bad {
	const char *what;
	const char *text;
	unsigned line;
	const char *frag;
};

#define DP "[port a]\ninterface = dp0\nbackend = dpdk\n"

static const struct bad bad[] = {
	{ "unknown backend", "[port a]\ninterface = eth0\nbackend = netmap\n", 3,
	  "invalid backend 'netmap'" },
	{ "devargs without dpdk", "[port a]\ninterface = eth0\ndevargs = net_null0\n",
	  3, "devargs is only for backend = dpdk" },
#if GK_HAVE_DPDK
	{ "dpdk without devargs", DP, 3, "backend = dpdk needs devargs" },
	{ "devargs blank", DP "devargs = net_null0, size=64\n", 4, "no blanks" },
	{ "devargs not a device", DP "devargs = eth0\n", 4,
	  "expected a PCI address" },
	{ "devargs bad pci", DP "devargs = 0000:3:00.0\n", 4,
	  "expected a PCI address" },
	{ "devargs not key=value", DP "devargs = net_pcap0,rx_pcap\n", 4,
	  "'rx_pcap' is not key=value" },
	{ "devargs empty pair", DP "devargs = net_null0,,size=64\n", 4,
	  "is not key=value" },
	{ "mixed backends", DP "devargs = net_null0\n[port b]\ninterface = eth1\n",
	  0, "every port must use the same backend" },
#endif
	{ "dpdk with a name", "[dpdk x]\n[port a]\ninterface = eth0\n", 1,
	  "section [dpdk] takes no name" },
	{ "dpdk twice", "[dpdk]\n[dpdk]\n[port a]\ninterface = eth0\n", 2,
	  "duplicate section [dpdk] (first at line 1)" },
	{ "dpdk unknown key", "[dpdk]\nhuge = 1\n[port a]\ninterface = eth0\n", 2,
	  "unknown key 'huge' in [dpdk]" },
	{ "dpdk duplicate key", "[dpdk]\nmbufs = 2048\nmbufs = 4096\n"
	  "[port a]\ninterface = eth0\n", 3, "duplicate key 'mbufs' (first at line 2)" },
	{ "mbufs too few", "[dpdk]\nmbufs = 100\n[port a]\ninterface = eth0\n", 2,
	  "invalid mbufs '100'" },
	{ "mbufs not a number", "[dpdk]\nmbufs = lots\n[port a]\ninterface = eth0\n",
	  2, "invalid mbufs 'lots'" },
	{ "rx_desc not a power of two", "[dpdk]\nrx_desc = 1000\n"
	  "[port a]\ninterface = eth0\n", 2, "invalid rx_desc '1000'" },
	{ "tx_desc too big", "[dpdk]\ntx_desc = 32768\n[port a]\ninterface = eth0\n",
	  2, "invalid tx_desc '32768'" },
	{ "eal_args empty", "[dpdk]\neal_args =\n[port a]\ninterface = eth0\n", 2,
	  "missing value for 'eal_args'" },
	{ "eal_args file prefix", "[dpdk]\neal_args = --file-prefix x\n"
	  "[port a]\ninterface = eth0\n", 2, "--file-prefix is genkand's" },
};

static void test_bad(void **state)
{
	size_t i, failed = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct bad *b = &bad[i];
		struct gk_config cfg;
		char err[2048] = "";
		int ret;

		ret = gk_config_parse(b->text, strlen(b->text), "d.conf", &cfg,
				      err, sizeof(err));
		if (ret != -EINVAL || !has_error(err, "d.conf", b->line, b->frag)) {
			print_error("case '%s': ret %d, want line %u '%s', got:\n%s\n",
				    b->what, ret, b->line, b->frag, err);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
