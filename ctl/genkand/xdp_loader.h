/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loads the XDP classifier (bpf/classifier.bpf.c skeleton), pins its maps
 * under one directory per genkan instance, attaches it to ports through
 * bpf_links and keeps its maps in step with the daemon. Not thread-safe:
 * the daemon's control thread owns it.
 */
#ifndef GK_CTL_XDP_LOADER_H
#define GK_CTL_XDP_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "genkan/bpf_maps.h"
#include "genkan/meta.h"
#include "nlmirror.h"

#define GK_XDP_PROG_NAME	"gk_classify"

struct gk_xdp;

/* gk_mape_v6 entry: the CE (role ce) or BR (role br) address. */
struct gk_mape_v6_entry {
	uint8_t addr[16];
	uint8_t cls;		/* GK_CLASS_MAPE_CE or GK_CLASS_MAPE_BR */
};

/* gk_mape_v4 entry: a rule IPv4 prefix (role br: every rule; ce: FMRs). */
struct gk_mape_v4_entry {
	uint8_t prefix[4];	/* network order; host bits are ignored */
	uint8_t plen;		/* 0..32 */
	uint8_t cls;		/* GK_CLASS_MAPE_CE or GK_CLASS_MAPE_BR */
};

struct gk_xdp_opts {
	const char *pin_dir;	/* e.g. /sys/fs/bpf/genkan/<instance>; NULL: no pins */
	bool skb_mode;		/* generic XDP; else native (driver) mode */
	uint32_t nr_queues;	/* rodata gk_cfg_nr_queues */
	/*
	 * rodata gk_cfg_flags, GK_CFG_F_*. Set GK_CFG_F_NO_META /
	 * GK_CFG_F_NO_HEAD for helpers gk_xdp_probe_hand() found refused,
	 * or the load fails in the verifier.
	 */
	uint32_t flags;
};

/* gk_xdp_probe_hand() result bits: the verifier accepts the helper in XDP. */
#define GK_XDP_HAND_OK_META	0x1	/* bpf_xdp_adjust_meta */
#define GK_XDP_HAND_OK_HEAD	0x2	/* bpf_xdp_adjust_head */

/*
 * Asks the verifier (libbpf_probe_bpf_helper) which hand-off helpers XDP
 * programs may call on this kernel. Returns the GK_XDP_HAND_OK_* mask (a
 * probe that errs counts as refused) and, in why, one line saying so.
 */
unsigned gk_xdp_probe_hand(char *why, size_t whylen);

/*
 * Mounts bpffs at the parent of pin_dir's "genkan" dir if nothing is
 * mounted there (inside `ip netns exec`), removes stale pins left by a crash,
 * loads the skeleton and pins every map under pin_dir. NULL on error.
 */
struct gk_xdp *gk_xdp_load(const struct gk_xdp_opts *o, char *err, size_t errlen);
/*
 * Attach through a bpf_link, so a crash detaches automatically. A leftover
 * gk_classify attached the legacy (netlink) way is detached first; a foreign
 * XDP program makes this fail with -EBUSY, and so does any program when
 * the caller lacks CAP_SYS_ADMIN (genkand after gk_priv_drop()), as the
 * kernel then refuses to open it by id. Attaching twice is a no-op.
 */
int gk_xdp_attach(struct gk_xdp *x, uint32_t ifindex, char *err, size_t errlen);
/* 0, or -ENOENT when not attached there by us. */
int gk_xdp_detach(struct gk_xdp *x, uint32_t ifindex);
/* gk_ports[ifindex] = { port_id, GK_PORT_F_* }. */
int gk_xdp_set_port(struct gk_xdp *x, uint32_t ifindex, uint32_t port_id, uint32_t flags);
/* gk_wg[0]: WireGuard listen port and port; listen_port 0 turns it off. */
int gk_xdp_set_wg(struct gk_xdp *x, const struct gk_wg_xdp *wg);
/* 0, or -ENOENT when ifindex is not a port. */
int gk_xdp_del_port(struct gk_xdp *x, uint32_t ifindex);
/* Make gk_local4/gk_local6 equal the host addresses given (add missing, delete stale). */
int gk_xdp_sync_local(struct gk_xdp *x, const struct gk_nl_addr *addrs, size_t n);
/*
 * Make gk_mape_v6 and gk_mape_v4 equal the sets given (stale entries
 * deleted, the rest added or updated). Everything is checked before a map
 * is touched: -EINVAL for a class other than MAPE_CE/MAPE_BR or plen > 32,
 * -E2BIG for more entries than GK_MAX_MAPE_V6/GK_MAX_MAPE_V4. NULL with
 * n 0 empties a map. The CE's LAN port flag goes through gk_xdp_set_port().
 */
int gk_xdp_mape_sync(struct gk_xdp *x, const struct gk_mape_v6_entry *v6, size_t n6,
		     const struct gk_mape_v4_entry *v4, size_t n4);
/*
 * Make gk_l4svc hold exactly these keys, each mapping to its service id
 * (ids[i]); -E2BIG past GK_MAX_L4_KEYS, -EINVAL for a bad family/proto.
 * Proto 0 with port 0 is a listen address's key (fragments to it).
 * Needs GK_CFG_F_L4 at load to have any effect.
 */
int gk_xdp_l4_sync(struct gk_xdp *x, const struct gk_l4_key *keys,
		   const uint32_t *ids, size_t n);
/* XSKMAP fd, for xsk_socket__update_xskmap() at GK_XSK_KEY(port, queue). */
int gk_xdp_xsks_fd(const struct gk_xdp *x);
/* Sum the per-CPU gk_hand_fail into out[GK_MAX_PORTS]. */
int gk_xdp_read_hand_fail(const struct gk_xdp *x, uint64_t *out);
/* Sum the per-CPU gk_stats into out[GK_STAT_MAX]. */
int gk_xdp_read_stats(const struct gk_xdp *x, struct gk_xdp_counter *out);
struct gk_cls_tables;
/*
 * The maps' contents for the software twin (dataplane/cls_tables.h); NULL
 * on ENOMEM. The generation changes whenever a map write changed them.
 */
struct gk_cls_tables *gk_xdp_cls_build(const struct gk_xdp *x);
uint64_t gk_xdp_generation(const struct gk_xdp *x);
/* Detach from every interface, unpin maps, remove pin_dir, free. */
void gk_xdp_close(struct gk_xdp *x);

#endif
