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
