/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checksum completion per port (ctl/csum_ctl.c): the decision table for
 * complete/trust/auto against known and unknown drivers, and the driver
 * query on interfaces every namespace has (lo, which answers no driver)
 * or cannot have.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "csum_ctl.h"

static void test_decide(void **state)
{
	static const struct {
		enum gk_csum_mode mode;
		const char *drv;
		int err;
		bool complete;
		const char *why;
	} t[] = {
		{ GK_CSUM_COMPLETE, "ixgbe", 0, true, "configured" },
		{ GK_CSUM_COMPLETE, NULL, -EOPNOTSUPP, true, "configured" },
		{ GK_CSUM_TRUST, "veth", 0, false, "configured" },
		{ GK_CSUM_TRUST, NULL, -ENODEV, false, "configured" },
		{ GK_CSUM_AUTO, "veth", 0, true,
		  "auto: driver veth can hand over partial checksums" },
		{ GK_CSUM_AUTO, "tun", 0, true,
		  "auto: driver tun can hand over partial checksums" },
		{ GK_CSUM_AUTO, "ixgbe", 0, false,
		  "auto: driver ixgbe is not one that hands over partial "
		  "checksums (veth, tun)" },
		{ GK_CSUM_AUTO, "vethx", 0, false,
		  "auto: driver vethx is not one that hands over partial "
		  "checksums (veth, tun)" },
		{ GK_CSUM_AUTO, NULL, -EOPNOTSUPP, true,
		  "auto: driver unknown (ETHTOOL_GDRVINFO: Operation not "
		  "supported), completing to be safe" },
	};
	char why[120];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(why, 'x', sizeof(why));
		assert_int_equal(gk_csum_decide(t[i].mode, t[i].drv, t[i].err,
						why, sizeof(why)),
				 t[i].complete);
		assert_string_equal(why, t[i].why);
	}
	/* A short buffer truncates, never overruns. */
	assert_true(gk_csum_decide(GK_CSUM_AUTO, "veth", 0, why, 8));
	assert_string_equal(why, "auto: d");
}

static void test_driver(void **state)
{
	char drv[32] = "unchanged";
	int ret;

	/* lo has no ethtool driver info (or a kernel may name one). */
	ret = gk_csum_driver("lo", drv, sizeof(drv));
	assert_true(ret == 0 || ret == -EOPNOTSUPP || ret == -ENODATA);
	if (ret)
		assert_string_equal(drv, "unchanged");
	assert_int_equal(gk_csum_driver("gk-no-such-if0", drv, sizeof(drv)),
			 -ENODEV);
	assert_int_equal(gk_csum_driver("a-name-longer-than-ifnamsiz",
					drv, sizeof(drv)), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_driver),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
