// SPDX-License-Identifier: BSD-3-Clause
/* [wireguard] x [mape] role = ce cross checks (config_wg_mape.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include "config.h"
#include "config_nat.h"
#include "config_wg_mape.h"
#include "map_rule.h"

/* Enough ranges to let an operator pick a port without a calculator. */
#define SHOW_RANGES 3

void gk_config_wg_mape_validate(const struct gk_config *cfg,
				gk_config_wg_err_fn perr, void *ea)
{
	const struct gk_config_wg *wg = cfg->wg;
	const struct gk_config_mape *m = &cfg->mape;
	uint16_t r[SHOW_RANGES][2];
	struct gk_map_ce_params cp;
	char why[256], set[128];
	unsigned line, n, i;
	size_t off = 0;

	if (!wg || !wg->line || !wg->key_line[WGI_LISTEN_PORT] ||
	    !wg->listen_port)
		return;
	if (!m->present || !m->enabled || m->role != GK_MAPE_CE)
		return;
	/* No usable BMR: validate_mape() already said why. */
	if (gk_config_nat_ce(cfg, &cp, why, sizeof(why)))
		return;
	line = wg->key_line[WGI_LISTEN_PORT];

	if (!gk_map_port_ok(cp.psid_offset, cp.psid_len, cp.psid,
			    wg->listen_port)) {
		n = gk_map_port_ranges(cp.psid_offset, cp.psid_len, cp.psid,
				       r, SHOW_RANGES);
		set[0] = '\0';
		for (i = 0; i < n && i < SHOW_RANGES && off < sizeof(set); i++)
			off += (size_t)snprintf(set + off, sizeof(set) - off,
						"%s%u-%u", i ? ", " : "",
						r[i][0], r[i][1]);
		if (n > SHOW_RANGES && off < sizeof(set))
			snprintf(set + off, sizeof(set) - off, ", ...");
		perr(ea, line,
		     "ListenPort %u is outside this MAP-E CE's port set (psid 0x%x, psid_offset %u, psid_len %u: ports %s)",
		     wg->listen_port, cp.psid, cp.psid_offset, cp.psid_len,
		     set);
	}
	/* tunnel_mtu 0 (from the link) is checked by genkand at start. */
	if (m->tunnel_mtu && gk_config_wg_mape_mtu(cfg, m->tunnel_mtu, why,
						    sizeof(why), &line))
		perr(ea, line, "%s", why);
	line = wg->key_line[WGI_LISTEN_PORT];
	if (!cfg->nat.present || !cfg->nat.enabled)
		return;
	for (i = 0; i < cfg->nat.nr_maps; i++)
		if (cfg->nat.maps[i].proto == IPPROTO_UDP &&
		    cfg->nat.maps[i].public_port == wg->listen_port)
			perr(ea, line,
			     "ListenPort %u is also the public_port of nat-map '%s' (line %u)",
			     wg->listen_port, cfg->nat.maps[i].name,
			     cfg->nat.maps[i].line);
}

int gk_config_wg_mape_mtu(const struct gk_config *cfg, uint32_t tunnel_mtu,
			  char *msg, size_t len, unsigned *line)
{
	const struct gk_config_wg *wg = cfg->wg;
	bool dflt = !wg->key_line[WGI_MTU];

	*line = dflt ? wg->line : wg->key_line[WGI_MTU];
	if (wg->mtu + GK_CONFIG_WG_MAPE_OVERHEAD <= tunnel_mtu)
		return 0;
	snprintf(msg, len,
		 "[wireguard] mtu %u%s is above the MAP-E tunnel MTU %u minus %u (outer IPv4 20 + UDP 8 + WireGuard 32): set mtu = %u or less",
		 wg->mtu, dflt ? " (the default)" : "", tunnel_mtu,
		 GK_CONFIG_WG_MAPE_OVERHEAD,
		 tunnel_mtu > GK_CONFIG_WG_MAPE_OVERHEAD ?
		 tunnel_mtu - GK_CONFIG_WG_MAPE_OVERHEAD : 0);
	return -EINVAL;
}

bool gk_config_wg_ce_src4(const struct gk_config *cfg, uint8_t src[4])
{
	const struct gk_config_mape *m = &cfg->mape;
	struct gk_map_ce_params cp;
	char why[256];

	if (!m->present || !m->enabled || m->role != GK_MAPE_CE ||
	    gk_config_nat_ce(cfg, &cp, why, sizeof(why)))
		return false;
	memcpy(src, cp.ipv4, 4);
	return true;
}

uint16_t gk_config_wg_ce_port(const struct gk_config *cfg)
{
	uint8_t a[4];

	if (!cfg->wg || !cfg->wg->enabled || !gk_config_wg_ce_src4(cfg, a))
		return 0;
	return cfg->wg->listen_port;
}
