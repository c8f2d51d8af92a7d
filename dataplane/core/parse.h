/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software twin of bpf/classifier.bpf.c for backends without XDP (memory,
 * pcap, DPDK later): the same decisions, the same struct gk_xdp_meta, minus
 * the port and AF_XDP socket checks. The rule list lives at the top of
 * bpf/classifier.bpf.c; keep both in step (tests/classify checks both).
 */
#ifndef GK_PARSE_H
#define GK_PARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <genkan/meta.h>

enum gk_cls_action {
	GK_CLS_WORKER,	/* TRANSIT, MAPE_*, TTL_EXPIRED (see flags): a worker */
	GK_CLS_KERNEL,	/* hand to the kernel / punt path */
	GK_CLS_DROP,	/* malformed: *why says which check failed */
};

struct gk_classify_cfg {
	bool (*is_local4)(void *arg, uint32_t addr_be);		/* may be NULL: none local */
	bool (*is_local6)(void *arg, const uint8_t addr[16]);	/* may be NULL */
	void *arg;
	uint32_t flags;		/* GK_CFG_F_TTL_TO_KERNEL; others ignored */
	/*
	 * MAP-E, as gk_mape_v6 / gk_mape_v4 / GK_PORT_F_MAPE_CE_V4 in XDP.
	 * Callbacks return GK_CLASS_MAPE_CE, GK_CLASS_MAPE_BR or 0 (none;
	 * other values count as none). NULL/false: MAP-E off.
	 */
	int (*mape_v6)(void *arg, const uint8_t addr[16]);	/* class or 0 */
	int (*mape_v4)(void *arg, uint32_t addr_be);		/* class or 0 */
	bool mape_ce_v4_port;	/* frames come from a CE's IPv4 (LAN) port */
	/* WireGuard, as gk_wg in XDP for frames of its port: 0 off. */
	uint16_t wg_listen_port;	/* host order */
	/*
	 * [l4-service]s, as gk_l4svc with GK_CFG_F_L4 (rule 10): whether
	 * (family 4|6, IPPROTO_TCP|UDP, dst, dst port host order) is a
	 * listen address:port. NULL: none.
	 */
	bool (*l4svc)(void *arg, uint8_t family, uint8_t proto,
		      const uint8_t *addr, uint16_t port);
};

/*
 * Classify one frame. Always fills meta (magic, version, class; for
 * GK_CLS_WORKER also offsets, flags, vlan_tci and flow_hash as the XDP
 * program would prepend them: 0 for TRANSIT, MAP-E over IPv6 and
 * TTL_EXPIRED). *why is set only for GK_CLS_DROP.
 * Safe on any len, no allocation; cfg may be NULL (nothing local, flags
 * clear: TTL_EXPIRED goes to a worker).
 */
enum gk_cls_action gk_classify(const uint8_t *frame, uint32_t len,
			       const struct gk_classify_cfg *cfg,
			       struct gk_xdp_meta *meta, enum gk_xdp_drop *why);

#endif
