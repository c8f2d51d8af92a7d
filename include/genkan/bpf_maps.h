/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keys and values of the classifier's BPF maps, shared by bpf/ and genkand.
 * genkand is the only writer of these maps. Byte order is explicit.
 */
#ifndef GENKAN_BPF_MAPS_H
#define GENKAN_BPF_MAPS_H

#include <linux/types.h>

#define GK_MAX_PORTS	16	/* genkan ports per instance */
#define GK_MAX_QUEUES	64	/* RX queues per port */
#define GK_MAX_LOCAL	1024	/* host addresses per family */
#define GK_MAX_MAPE_V6	64	/* MAP-E CE/BR addresses (gk_mape_v6) */
#define GK_MAX_MAPE_V4	4096	/* MAP-E rule IPv4 prefixes (gk_mape_v4) */

/* gk_xsks key: one AF_XDP socket per (port, rx queue). */
#define GK_XSK_KEY(port_id, queue)	((port_id) * GK_MAX_QUEUES + (queue))

/* gk_ports value, keyed by __u32 ifindex. */
struct gk_port_info {
	__u32 port_id;		/* dense id, indexes worker port arrays */
	__u32 flags;		/* GK_PORT_F_* */
};
_Static_assert(sizeof(struct gk_port_info) == 8, "ABI");

#define GK_PORT_F_ENABLED	0x1	/* redirect to workers; else pass all */
#define GK_PORT_F_MAPE_CE_V4	0x2	/* MAP-E CE LAN side: IPv4 transit -> MAPE_CE */
/*
 * How the port's worker-bound frames carry struct gk_xdp_meta (the
 * hand-off, docs/architecture.md): neither flag = XDP metadata
 * (bpf_xdp_adjust_meta); HEAD = prepended to the frame with
 * bpf_xdp_adjust_head; PARSE = nothing, the worker runs the software twin.
 * HOLD (a run-time mode switch in progress): worker-bound frames are
 * dropped (event HOLD) until the port's rx rings have drained, so no frame
 * of the old mode meets a worker of the new one.
 */
#define GK_PORT_F_HAND_HEAD	0x4
#define GK_PORT_F_HAND_PARSE	0x8
#define GK_PORT_F_HOLD		0x10

/*
 * gk_wg (array, one entry): WireGuard's outer UDP. Set by genkand when
 * [wireguard] is on; listen_port 0 (the default) turns the rule off. UDP
 * to listen_port at one of our addresses (gk_local4/6) arriving on port
 * port_id: type 4, >= 32 bytes -> WG_DATA (redirected), types 1-3 ->
 * WG_HANDSHAKE (PASS, genkand's UDP socket reads them).
 */
struct gk_wg_xdp {
	__u16 listen_port;	/* network order; 0: off */
	__u16 pad;
	__u32 port_id;		/* the genkan port carrying the outer UDP */
};
_Static_assert(sizeof(struct gk_wg_xdp) == 8, "ABI");

/* gk_local6 key. gk_local4 is keyed by a __be32 address. */
struct gk_in6 {
	__be32 w[4];
};
_Static_assert(sizeof(struct gk_in6) == 16, "ABI");

/*
 * gk_mape_v4 key (LPM trie): prefixlen counts the bits of addr that matter.
 * gk_mape_v4 and gk_mape_v6 (keyed by struct gk_in6) map to a __u8 value,
 * GK_CLASS_MAPE_CE or GK_CLASS_MAPE_BR; any other value is ignored.
 */
struct gk_lpm4_key {
	__u32 prefixlen;
	__be32 addr;
};
_Static_assert(sizeof(struct gk_lpm4_key) == 8, "ABI");

/*
 * gk_hand_fail: per-CPU array of GK_MAX_PORTS __u64, indexed by port_id:
 * frames dropped because the port's hand-off could not be attached
 * (event HAND_FAIL). genkand watches it to switch the port's mode.
 */

/*
 * gk_l4svc (hash): one key per (service, listen port). TCP/UDP to such a
 * key, not a fragment, is class L4_SERVICE whatever else the address is
 * (a host address of the gateway, or none). The value is the service id.
 */
#define GK_MAX_L4_KEYS	4096
struct gk_l4_key {
	__u8 family;		/* 4 or 6 */
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__be16 port;		/* listen port */
	__be32 addr[4];		/* IPv4 in addr[0], the rest zero */
};
_Static_assert(sizeof(struct gk_l4_key) == 20, "ABI");

/* Value of gk_stats (per-CPU array of GK_STAT_MAX entries). */
struct gk_xdp_counter {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct gk_xdp_counter) == 16, "ABI");

/*
 * Load-time configuration (rodata of bpf/classifier.bpf.c), set by genkand
 * before load:
 *   const volatile __u32 gk_cfg_nr_queues;  RX queues served by workers;
 *                                           packets from higher queues pass.
 *   const volatile __u32 gk_cfg_flags;      GK_CFG_F_*.
 */
#define GK_CFG_F_PASS_ALL	0x1	/* classify and count, but pass everything */
#define GK_CFG_F_TTL_TO_KERNEL	0x2	/* TTL/hop limit <= 1: pass, not a worker */
/*
 * The verifier refuses the helper (probed before load): its path is dead
 * code, so the program still loads; a port in that mode drops (HAND_FAIL).
 */
#define GK_CFG_F_NO_META	0x4	/* bpf_xdp_adjust_meta */
#define GK_CFG_F_NO_HEAD	0x8	/* bpf_xdp_adjust_head */
/* [l4-service]s configured: look up gk_l4svc (else the rule costs nothing). */
#define GK_CFG_F_L4		0x20
/* Tests only (genkand: GENKAN_TEST_HAND_FAIL=1): attaching always fails. */
#define GK_CFG_F_TEST_HAND_FAIL	0x10

/* Names of the maps as pinned under <bpffs>/genkan/<instance>/. */
#define GK_MAP_XSKS	"gk_xsks"
#define GK_MAP_PORTS	"gk_ports"
#define GK_MAP_LOCAL4	"gk_local4"
#define GK_MAP_LOCAL6	"gk_local6"
#define GK_MAP_STATS	"gk_stats"
#define GK_MAP_MAPE_V6	"gk_mape_v6"
#define GK_MAP_MAPE_V4	"gk_mape_v4"
#define GK_MAP_HAND_FAIL	"gk_hand_fail"
#define GK_MAP_L4SVC	"gk_l4svc"

#endif
