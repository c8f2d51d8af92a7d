/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * genkand state. One thread (this one) owns every table and BPF map; the
 * workers only read RCU snapshots published from here.
 */
#ifndef GK_DAEMON_H
#define GK_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <genkan/bpf_maps.h>

#include "config.h"
#include "mbox.h"
#include "nreq.h"

#define GK_MAX_WORKERS	64

struct gk_wgd;
struct gk_host_tun;
struct gk_dpdk_ctl;
struct gk_l4_table;
struct gk_handoff;
struct gk_wg_wake;
struct gk_l4_req;
struct gk_l4_health;

struct gk_dport {
	char name[16];
	char ifname[16];
	uint32_t ifindex;
	uint16_t port_id;
	uint8_t mac[6];
	uint32_t mtu;		/* effective: config override or kernel */
	uint32_t rx_queues;	/* as the device reports them */
	uint32_t xdp_flags;	/* GK_PORT_F_* other than the hand-off's */
	/* Hand-off (hand_ctl.c): the mode, why, and its run-time history. */
	uint8_t hand;		/* enum gk_hand */
	char hand_why[200];
	uint64_t hand_fail_seen;	/* gk_hand_fail[port_id] last read */
	unsigned hand_switches;
	/* TCP/UDP checksum completion (csum_ctl.c), decided at start. */
	bool csum_complete;
	char csum_why[120];
	/*
	 * Its interface came and went (port_link.c): gone since link_changed
	 * (ifindex is the old one then), how often, and why the last attempt
	 * to attach to a returned one failed ("" when it did not).
	 */
	bool link_gone;
	unsigned link_downs, link_returns;
	struct timespec link_changed;
	char link_error[256];
};

struct gk_daemon {
	struct gk_config cfg;
	char pin_dir[320];

	struct gk_xdp *xdp;
	struct gk_nlmirror *nl;
	struct gk_ctl_server *ctl;

	struct gk_dport ports[GK_MAX_PORTS];
	unsigned nr_ports;

	unsigned nr_workers;
	struct gk_worker *workers;		/* nr_workers, cache aligned */
	struct gk_xsk_umem *umem[GK_MAX_WORKERS];
	struct gk_port *xports[GK_MAX_WORKERS][GK_MAX_PORTS];
	struct gk_nreq_ring *nreq[GK_MAX_WORKERS];
	struct gk_nreq_wake nreq_wake;		/* armed while the tick is slow */
	bool stalled[GK_MAX_WORKERS];
	uint64_t last_supervise_ns;

	struct gk_tables *tables;		/* RCU slot read by workers */
	struct gk_cls_tables *cls;		/* RCU slot: the twin's tables */
	struct gk_l4_table *l4;			/* RCU slot: front door services */
	struct gk_l4_req *l4req[GK_MAX_WORKERS];	/* l4 flows (mailbox) */
	/* One mailbox per worker (core/mbox.h): genkand runs a function on
	 * a worker's thread to read or change what only it may touch. */
	struct gk_mbox mbox[GK_MAX_WORKERS];
	uint8_t **l4_state;			/* [service][backend] enum gk_l4_be_state */
	struct gk_l4_health *l4h;		/* health checks (l4_health.h), NULL: none */
	/* client_ip = snat with several workers: replies' hand-off rings
	 * and each worker's wake-up (l4_ctl.c), else NULL */
	struct gk_handoff *l4_ho;
	struct gk_wg_wake *l4_wake;
	uint64_t cls_gen;			/* gk_xdp_generation() it reflects */
	unsigned hand_ok;			/* GK_XDP_HAND_OK_* (probe) */
	char hand_probe[160];			/* the probe, in words */
	/*
	 * MAP-E table, its own RCU slot: built once at start from [mape]
	 * and [map-rule]s (changing them needs a restart). NULL when off.
	 */
	struct gk_map_table *map;
	struct gk_nat_state *nat;		/* [nat] (nat_ctl.c), NULL when off */
	struct gk_wgd *wgd;			/* WireGuard (wgd.h); NULL: off */
	/* The host path's TUN (host_tun.h), port id nr_ports; NULL: off. */
	struct gk_host_tun *htun;
	/* DPDK ports' EAL, pools, devices, TAPs (dpdk_ctl.h); NULL: none. */
	struct gk_dpdk_ctl *dpdk;
	struct gk_metrics *metrics;		/* [metrics] (metrics.h), NULL: off */
	uint64_t fib_generation;
	uint64_t fib_built_nl_gen;		/* nlmirror generation it reflects */
	struct timespec fib_updated;
	bool fib_dirty;
	bool local_dirty;
	uint64_t fib_build_errors;
	uint64_t neigh_resolves;

	int epfd;
	int sigfd;
	int timerfd;
	unsigned tick_ms;			/* the timerfd's period now */
	unsigned quiet_ticks;			/* fast ticks that found nothing */
	uint64_t ticks;				/* control ticks run */
	uint64_t nreq_wakes;			/* workers woke a slow tick */
	bool stop;
	bool reload_pending;

	struct timespec started;
	unsigned reloads;
	char last_reload_error[512];
};

int gk_daemon_start(struct gk_daemon *d, const struct gk_config *cfg,
		    char *err, size_t errlen);
int gk_daemon_run(struct gk_daemon *d);
void gk_daemon_stop(struct gk_daemon *d);

/* Re-read the config file; applies what can change live. */
int gk_daemon_reload(struct gk_daemon *d, char *err, size_t errlen,
		     char changes[][128], unsigned *nr_changes, unsigned max);
/* Rebuild and publish the FIB snapshot from the netlink mirror. */
int gk_daemon_publish_fib(struct gk_daemon *d, char *err, size_t errlen);

uint64_t gk_daemon_now_ns(void);
/* Number of RX queues the kernel exposes for a device (sysfs); 0: none. */
uint32_t gk_daemon_rx_queues(const char *ifname);

#endif
