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
#include <stddef.h>
#include <stdint.h>

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

/*
 * What a sealed inner packet grows by on the way to the BR: outer IPv4 20
 * + UDP 8 + WireGuard header and tag 32. The WireGuard mtu must leave
 * that much under the MAP-E tunnel MTU (no outer fragments on that path).
 */
#define GK_CONFIG_WG_MAPE_OVERHEAD	60

/*
 * -EINVAL with a message (no file name) and the line to blame (mtu, or
 * [wireguard] for the default) when the mtu does not fit @tunnel_mtu;
 * 0 when it fits. Called by the validator for an explicit [mape]
 * tunnel_mtu and by genkand for the one it derives from the link.
 */
int gk_config_wg_mape_mtu(const struct gk_config *cfg, uint32_t tunnel_mtu,
			  char *msg, size_t len, unsigned *line);

/*
 * The outer IPv4 source of the tunnel on an enabled MAP-E CE: its shared
 * address (not a kernel address: the BR routes it to us over IPv6).
 * False when not a CE (the caller picks a kernel address as before).
 */
bool gk_config_wg_ce_src4(const struct gk_config *cfg, uint8_t src[4]);

/*
 * The ListenPort when an enabled [wireguard] runs on an enabled MAP-E CE
 * (the tunnel then goes through the data plane, docs/wireguard.md); else 0.
 */
uint16_t gk_config_wg_ce_port(const struct gk_config *cfg);

#endif
