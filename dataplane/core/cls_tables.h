/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the software twin (parse.c) needs to classify like the XDP program:
 * a read-only copy of the classifier's maps (gk_local4/6, gk_mape_v4/v6,
 * gk_wg, the port flags), for ports whose hand-off mode is parse. genkand
 * writes both from the same inputs (ctl/xdp_loader.c) and publishes this
 * with liburcu QSBR, like struct gk_tables.
 */
#ifndef GK_CLS_TABLES_H
#define GK_CLS_TABLES_H

#include <stddef.h>
#include <stdint.h>
#include <urcu-qsbr.h>

#include <genkan/bpf_maps.h>
#include "parse.h"
#include "pkt.h"

#define GK_CLS_BLOOM	1024	/* prefilter buckets per family */

struct gk_cls_v6 {
	uint8_t addr[16];
	uint8_t cls;		/* GK_CLASS_MAPE_CE / _BR */
};

struct gk_cls_v4 {
	uint32_t prefix;	/* network order, host bits clear */
	uint32_t mask;		/* network order */
	uint8_t plen;
	uint8_t cls;
};

struct gk_cls_tables {
	uint32_t *local4;		/* network order, sorted as uint32_t */
	size_t nr_local4;
	uint8_t (*local6)[16];		/* sorted by memcmp */
	size_t nr_local6;
	struct gk_cls_v6 *mape6;
	size_t nr_mape6;
	struct gk_cls_v4 *mape4;	/* longest prefix first */
	size_t nr_mape4;
	struct gk_l4_key *l4;		/* gk_l4svc keys, sorted by memcmp */
	size_t nr_l4;
	uint32_t cfg_flags;		/* GK_CFG_F_TTL_TO_KERNEL, _L4 */
	uint16_t wg_listen_port;	/* host order; 0: off */
	uint16_t wg_port_id;
	uint32_t port_flags[GK_MAX_PORTS];	/* GK_PORT_F_* */
	/*
	 * gk_cls_tables_classify's prefilters: one bucket set per local
	 * address (a hash of it), so a clear bucket proves an address is not
	 * local and a set one sends the frame to the reference classifier.
	 * A byte a bucket: one load and compare per frame.
	 */
	uint8_t bloom4[GK_CLS_BLOOM];
	uint8_t bloom6[GK_CLS_BLOOM];
	/*
	 * The same over the L4 services' addresses (gk_l4_key.addr by
	 * family), set only with GK_CFG_F_L4: a TCP/UDP frame to a clear
	 * bucket is to no listen address, so it stays TRANSIT.
	 */
	uint8_t l4bloom4[GK_CLS_BLOOM];
	uint8_t l4bloom6[GK_CLS_BLOOM];
	struct rcu_head rcu;
};

/* The builder's input: plain arrays, any order, duplicates allowed. */
struct gk_cls_input {
	const uint32_t *local4;
	size_t nr_local4;
	const uint8_t (*local6)[16];
	size_t nr_local6;
	const struct gk_cls_v6 *mape6;
	size_t nr_mape6;
	const struct gk_cls_v4 *mape4;	/* prefix and plen; mask is derived */
	size_t nr_mape4;
	const struct gk_l4_key *l4;	/* used with GK_CFG_F_L4 in cfg_flags */
	size_t nr_l4;
	uint32_t cfg_flags;
	uint16_t wg_listen_port;
	uint16_t wg_port_id;
	const uint32_t *port_flags;	/* [GK_MAX_PORTS] or NULL */
};

/* NULL on ENOMEM or a bad entry (plen > 32). */
struct gk_cls_tables *gk_cls_tables_build(const struct gk_cls_input *in);
void gk_cls_tables_free(struct gk_cls_tables *t);
/* genkand only, from a registered RCU thread; next may be NULL. */
void gk_cls_tables_publish(struct gk_cls_tables **slot,
			   struct gk_cls_tables *next);
/*
 * The twin's configuration for frames of port_id, as XDP would see them
 * there. t NULL: nothing local, no MAP-E, no WireGuard.
 */
void gk_cls_tables_cfg(const struct gk_cls_tables *t, uint16_t port_id,
		       struct gk_classify_cfg *out);
/*
 * The twin for a burst from port_id: for each pkts[i], what gk_classify()
 * with gk_cls_tables_cfg(t, port_id) gives, the same meta written into
 * pkts[i]->meta, act[i] the enum gk_cls_action and why[i] the enum
 * gk_xdp_drop (set only for GK_CLS_DROP). Common frames (untagged unicast
 * IPv4 TCP/UDP, no options, not a fragment, TTL > 1, not local; IPv6
 * TCP/UDP/IPIP without extension headers; also WireGuard data messages
 * to a local address on WireGuard's port and, with L4 services, frames
 * to a listen address and port) take a straight-line path, everything
 * else the reference. Returns how many took the straight line
 * (tests check it is used).
 */
uint16_t gk_cls_tables_classify(const struct gk_cls_tables *t,
				uint16_t port_id, struct gk_pkt *const *pkts,
				uint16_t n, uint8_t *act, uint8_t *why);
/*
 * The same in steps, for a caller that interleaves other per-frame work
 * (dpdk_rx_burst): gk_cls_burst_init once per burst (what it reads of t,
 * once), then gk_cls_burst_classify on each run of frames. The fields are
 * the classifier's own.
 */
struct gk_cls_burst {
	const struct gk_cls_tables *t;		/* never NULL */
	const struct gk_cls_tables *ref;	/* as given: the reference's */
	uint16_t port_id;
	uint8_t cls4;		/* IPv4 transit's class; 0: mape4, then l4 */
	bool l4;		/* [l4-service]s on: rule 10's test (l4bloom*) */
	uint16_t wg4;		/* WireGuard's listen port on this port, 0: none */
	uint8_t m6cls;		/* mape6[0]'s class (0: none) */
	uint8_t m4cls;		/* mape4[0]'s class (TRANSIT: none) */
	uint32_t m4mask, m4prefix;	/* mape4[0]'s prefix */
	uint64_t m6h, m6l;		/* mape6[0]'s address, as loaded */
	bool have_cfg;		/* cfg made (on the first frame it needs) */
	struct gk_classify_cfg cfg;
};

void gk_cls_burst_init(struct gk_cls_burst *b, const struct gk_cls_tables *t,
		       uint16_t port_id);
uint16_t gk_cls_burst_classify(struct gk_cls_burst *b,
			       struct gk_pkt *const *pkts, uint16_t n,
			       uint8_t *act, uint8_t *why);
/* Tests only: false hashes without SIMD, true (default) where the CPU can. */
void gk_cls_tables_simd(bool on);

#endif
