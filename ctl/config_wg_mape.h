/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * [wireguard] on a MAP-E CE (issue #5): the outer UDP source port is the
 * ListenPort, and a CE may only send from its own port set (RFC 7597
 * §5.1), or the BR drops the reply path. Kept out of config.c and
 * config_wg.c: config.c calls the check once everything is read.
 */
#ifndef GK_CONFIG_WG_MAPE_H
#define GK_CONFIG_WG_MAPE_H

#include "config_wg.h"

struct gk_config;

/*
 * With [wireguard] and an enabled [mape] role = ce whose BMR derives:
 * ListenPort must be in the CE's port set, and no udp [nat-map] may take
 * it. Reports through @perr at the ListenPort line; quiet otherwise (a
 * bad [mape] is reported by its own validator).
 */
void gk_config_wg_mape_validate(const struct gk_config *cfg,
				gk_config_wg_err_fn perr, void *ea);

#endif
