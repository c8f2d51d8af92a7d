/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * genkand's side of DPDK ports (issue #14, docs/dpdk.md): EAL once, a
 * mbuf pool per worker, each port's ethdev, and its TAP exception
 * interface (the port's kernel identity: addresses, ARP/ND, host traffic),
 * made before the netlink mirror's first dump so the port resolves like
 * any interface. Nothing here when no port has backend = dpdk.
 */
#ifndef GK_DPDK_CTL_H
#define GK_DPDK_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct gk_daemon;
struct gk_worker_cfg;

/* EAL, pools, devices and TAPs; before resolve_ports. 0 or -errno + err. */
int gk_dpdk_ctl_start(struct gk_daemon *d, char *err, size_t errlen);
/* Worker w's queue of every DPDK port into wc (and d->xports). */
int gk_dpdk_ctl_worker(struct gk_daemon *d, unsigned w,
		       struct gk_worker_cfg *wc, char *err, size_t errlen);
/* Is port i a DPDK port (no XDP, no AF_XDP socket)? */
bool gk_dpdk_ctl_port(const struct gk_daemon *d, unsigned i);
/*
 * genkand's tick: a TAP deleted under genkand is made again (the design
 * and its threads are at tap_follow), each TAP's carrier follows its
 * device's link, and an MTU raised over the cap is said.
 */
void gk_dpdk_ctl_tick(struct gk_daemon *d);
/* After a netlink change: port p's TAP made again if it was deleted. */
void gk_dpdk_ctl_follow(struct gk_daemon *d, unsigned p);
/* After a reload took d->cfg: each TAP's MTU follows its port's mtu key. */
void gk_dpdk_ctl_reload(struct gk_daemon *d);
/*
 * `stats`' "dpdk": per DPDK port ({"name","devargs","tap"}), its exception
 * path (GK_DPDK_EXC_CNT_LIST: to_kernel, to_kernel_fail, from_kernel,
 * from_kernel_drop, tap_too_big, cls_drops, rx_multiseg) and the twin's
 * drops by reason ("drops", every GK_XDP_DROP_LIST name), summed over its
 * queues, and genkand's "tap_recreated". An array, empty without DPDK
 * ports; NULL when memory ran out. The metrics (metrics.c) are made from
 * it.
 */
json_t *gk_dpdk_ctl_stats(const struct gk_daemon *d);
/* After the workers are joined and their ports closed. Idempotent. */
void gk_dpdk_ctl_stop(struct gk_daemon *d);

#endif
