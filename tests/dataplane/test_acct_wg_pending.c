// SPDX-License-Identifier: BSD-3-Clause
/*
 * Packets staged for a WireGuard handshake (wg_pending.h) that leave as
 * drops are worker drops too (#13 item 2, docs/accounting.md): the oldest
 * made room for a newer one, expired after REKEY_ATTEMPT_TIME, too big for
 * a slot, or for a peer id out of range. On main only the stage's own
 * counters moved: those packets were in no worker term.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "wg_pending.h"

static uint8_t buf[256];

static void test_drops_reach_the_worker(void **state)
{
	struct gk_wg_pending s;
	struct gk_pkt p = { .data = buf, .len = 100 };
	uint64_t wk = 0;
	unsigned i;

	(void)state;
	assert_int_equal(gk_wg_pending_init(&s, 4, 8, 2, 128), 0);
	s.wk_drops = &wk;
	/* peer 1 keeps 2: the third and fourth push the oldest out */
	for (i = 0; i < 4; i++)
		gk_wg_pending_push(&s, 1, &p, 1000);
	assert_int_equal(s.used, 2);
	assert_int_equal(s.cnt[GK_WG_PENDING_FULL], 2);
	assert_int_equal(wk, 2);
	/* too big for a slot, and a peer id past max_peers: never held */
	p.len = 129;
	gk_wg_pending_push(&s, 2, &p, 1000);
	p.len = 100;
	gk_wg_pending_push(&s, 9, &p, 1000);
	assert_int_equal(s.used, 2);
	assert_int_equal(wk, 4);
	/* the two held ones expire: dropped, one each */
	gk_wg_pending_sync(&s, NULL, 1000 + GK_WG_REKEY_ATTEMPT_TIME_NS);
	assert_int_equal(s.used, 0);
	assert_int_equal(s.cnt[GK_WG_PENDING_EXPIRED], 2);
	assert_int_equal(wk, 6);
	/* staged = held now + dropped: every push is accounted for */
	assert_int_equal(s.cnt[GK_WG_PENDING_STAGED] + 2, 6);
	gk_wg_pending_fini(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drops_reach_the_worker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
