/* SPDX-License-Identifier: BSD-3-Clause */
#include "wkstats.h"

const char *const gk_wk_drop_names[GK_WK_DROP_MAX] = {
#define GK_X(n, s) [GK_WK_DROP_##n] = s,
	GK_WK_DROP_LIST(GK_X)
#undef GK_X
};

const char *const gk_wk_event_names[GK_WK_EVENT_MAX] = {
#define GK_X(n, s) [GK_WK_EV_##n] = s,
	GK_WK_EVENT_LIST(GK_X)
#undef GK_X
};

const char *const gk_wk_acct_names[GK_WK_ACCT_MAX] = {
#define GK_X(n, s, side) [GK_WK_ACCT_##n] = s,
	GK_WK_ACCT_LIST(GK_X)
#undef GK_X
};

const uint8_t gk_wk_acct_side[GK_WK_ACCT_MAX] = {
#define GK_X(n, s, side) [GK_WK_ACCT_##n] = side,
	GK_WK_ACCT_LIST(GK_X)
#undef GK_X
};

bool gk_wk_acct(const struct gk_wk_stats *st, uint64_t t[GK_WK_ACCT_MAX],
		uint64_t *in, uint64_t *out)
{
	const volatile uint64_t *a = st->acct;
	uint64_t sum[2] = { 0, 0 };
	unsigned i;

	for (i = 0; i < GK_WK_ACCT_MAX; i++)
		t[i] = a[i];
	t[GK_WK_ACCT_TX] = *(const volatile uint64_t *)&st->tx_packets;
	t[GK_WK_ACCT_MERGED] =
		*(const volatile uint64_t *)&st->events[GK_WK_EV_REASM_MERGED];
	t[GK_WK_ACCT_DROPPED] = 0;
	for (i = 0; i < GK_WK_DROP_MAX; i++)
		t[GK_WK_ACCT_DROPPED] +=
			*(const volatile uint64_t *)&st->drops[i];
	for (i = 0; i < GK_WK_ACCT_MAX; i++)
		sum[gk_wk_acct_side[i]] += t[i];
	if (in)
		*in = sum[0];
	if (out)
		*out = sum[1];
	return sum[0] == sum[1];
}
