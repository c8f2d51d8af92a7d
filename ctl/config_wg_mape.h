/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * [wireguard] on a MAP-E CE (issue #5): the outer UDP source port is the
 * ListenPort, and a CE may only send from its own port set (RFC 7597
 * §5.1), or the BR drops the reply path. Kept out of config.c and
 * config_wg.c: config.c calls the check once everything is read.
 */
#ifndef GK_CONFIG_WG_MAPE_H
#define GK_CONFIG_WG_MAPE_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl/config_wg.h"

struct gk_config;

/*
 * With [wireguard] and an enabled [mape] role = ce whose BMR derives:
 * ListenPort must be in the CE's port set, and no udp [nat-map] may take
 * it. Reports through @perr at the ListenPort line; quiet otherwise (a
 * bad [mape] is reported by its own validator).
 */
void gk_config_wg_mape_validate(const struct gk_config *cfg,
				gk_config_wg_err_fn perr, void *ea);

/*
 * The outer IPv4 source of the tunnel on an enabled MAP-E CE: its shared
 * address (not a kernel address: the BR routes it to us over IPv6).
 * False when not a CE (the caller picks a kernel address as before).
 */
bool gk_config_wg_ce_src4(const struct gk_config *cfg, uint8_t src[4]);

#endif
