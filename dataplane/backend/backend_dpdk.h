/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK backend (issue #14): struct gk_port_ops on rte_ethdev queues and
 * mbufs. docs/dpdk.md has the design; in short:
 *
 * - EAL is initialised once per process (gk_dpdk_eal_init), before genkand
 *   drops its privileges.
 * - Each worker has one mbuf pool (gk_dpdk_pool): every DPDK port's queue
 *   q takes its rx buffers from worker q's pool, so a frame received on
 *   one port leaves on another as is. The struct gk_pkt of an mbuf lives
 *   in the mbuf's private area; gk_pkt.handle is the mbuf.
 * - Workers stay genkan's own pthreads, pinned and supervised by genkand;
 *   on its first rx burst each registers with EAL (rte_thread_register),
 *   so the pool's per-lcore cache serves it and the PMDs it calls. The
 *   pools use DPDK's "stack" driver (a LIFO: warm buffers), else the
 *   single-producer/consumer ring; only the owning worker gets and puts
 *   buffers while it runs, genkand only before start and after stop.
 * - There is no XDP. Without an exception path a port runs in hand-off
 *   mode parse (the worker's software twin classifies). With one
 *   (gk_dpdk_port_cfg.cls and .tap_fd) the backend runs the twin at rx,
 *   as XDP would: frames for the worker come with their metadata (mode
 *   meta), frames for the kernel are written to the port's TAP queue, and
 *   what the kernel writes there leaves on the DPDK queue.
 */
#ifndef GK_BACKEND_DPDK_H
#define GK_BACKEND_DPDK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <genkan/meta.h>
#include "port.h"

/*
 * An mbuf's data room after RTE_PKTMBUF_HEADROOM, and so the longest frame
 * a TAP read can take: the TAP's MTU is capped at the room minus the
 * Ethernet header, so the kernel builds no frame the port cannot carry.
 */
#define GK_DPDK_DATA_ROOM	2048
#define GK_DPDK_TAP_MTU_MAX	(GK_DPDK_DATA_ROOM - 14)

struct gk_cls_tables;
struct gk_dpdk_pool;
struct gk_dpdk_dev;

/*
 * rte_eal_init with args split on blanks (argv[0] is added). Once per
 * process: a second call returns -EALREADY. 0 or -errno; err has DPDK's
 * reason.
 */
int gk_dpdk_eal_init(const char *args, char *err, size_t errlen);
bool gk_dpdk_eal_ready(void);
/* After every device and pool is gone. */
void gk_dpdk_eal_cleanup(void);

/*
 * A worker's mbuf pool: nmbufs buffers of GK_DPDK_DATA_ROOM bytes plus
 * RTE_PKTMBUF_HEADROOM (128 = GK_PKT_HEADROOM) on NUMA node socket (-1:
 * any). name must be unique in the process. NULL with err on failure.
 */
struct gk_dpdk_pool *gk_dpdk_pool_create(const char *name, uint32_t nmbufs,
					 int socket, char *err, size_t errlen);
/* Every device whose queues use it must be closed first. */
void gk_dpdk_pool_destroy(struct gk_dpdk_pool *pool);
uint32_t gk_dpdk_pool_nr_free(const struct gk_dpdk_pool *pool);

struct gk_dpdk_dev_cfg {
	/* "0000:03:00.0" or a vdev "net_pcap0,rx_pcap=a.pcap,tx_pcap=b.pcap" */
	const char *devargs;
	uint16_t nr_queues;		/* rx and tx queues: one per worker */
	struct gk_dpdk_pool **pools;	/* [nr_queues]: queue q's rx buffers */
	uint16_t rx_desc, tx_desc;	/* ring sizes; 0: 1024 */
};

/*
 * Probe devargs, configure nr_queues rx/tx queues (RSS with a symmetric
 * key when nr_queues > 1 and the device hashes), start it. 0 or -errno
 * with err naming DPDK's reason; nothing is left behind on failure.
 */
int gk_dpdk_dev_open(const struct gk_dpdk_dev_cfg *cfg,
		     struct gk_dpdk_dev **out, char *err, size_t errlen);
/* Stop, close and detach; every queue port must be closed first. */
void gk_dpdk_dev_close(struct gk_dpdk_dev *dev);
void gk_dpdk_dev_mac(const struct gk_dpdk_dev *dev, uint8_t mac[6]);
uint16_t gk_dpdk_dev_port(const struct gk_dpdk_dev *dev); /* ethdev port id */
/* Ethdevs attached in the process (a failed open leaves none behind). */
uint16_t gk_dpdk_nr_devs(void);
/* The device's MTU (rte_eth_dev_get_mtu) or -errno. */
int gk_dpdk_dev_mtu(const struct gk_dpdk_dev *dev);
/* Link up (1), down (0) or -errno; does not wait. */
int gk_dpdk_dev_link(const struct gk_dpdk_dev *dev);

struct gk_dpdk_port_cfg {
	uint16_t port_id;		/* genkan's dense id */
	uint16_t queue;			/* = the worker's id */
	uint32_t ifindex;		/* the exception interface's, or 0 */
	const uint8_t *mac;		/* NULL: the device's */
	/*
	 * The exception path. cls: the twin's RCU slot (read from the
	 * worker, inside its QSBR read side); non-NULL makes rx classify
	 * as XDP would (port mode meta). tap_fd: this queue's TAP fd
	 * (O_NONBLOCK, IFF_NO_PI) or -1; frames the classifier passes go
	 * there (without it they are counted and freed), frames read from
	 * it leave on this queue. The port does not own the fd; the worker
	 * uses it while the port is open, so the owner may swap the file
	 * behind the number (dup3) but must not close it before the port.
	 */
	struct gk_cls_tables **cls;
	int tap_fd;
};

/* Queue cfg->queue of dev as a genkan port; close with p->ops->close. */
struct gk_port *gk_dpdk_port_open(struct gk_dpdk_dev *dev,
				  const struct gk_dpdk_port_cfg *cfg,
				  char *err, size_t errlen);
bool gk_dpdk_port_is(const struct gk_port *p);

/*
 * The exception path's counters, written by the owning worker only. Every
 * scalar is in GK_DPDK_EXC_CNT_LIST (field, its name in `genkanctl stats`
 * and the metrics): tests/ctl/test_counters.c fails on a field left out.
 */
#define GK_DPDK_EXC_CNT_LIST(X)					\
	X(to_kernel, "to_kernel")				\
	X(to_kernel_fail, "to_kernel_fail")			\
	X(from_kernel, "from_kernel")				\
	X(from_kernel_drop, "from_kernel_drop")			\
	X(tap_too_big, "tap_too_big")				\
	X(cls_drops, "cls_drops")				\
	X(rx_multiseg, "rx_multiseg")
struct gk_dpdk_exc_stats {
	uint64_t to_kernel;		/* classifier said PASS: to the TAP */
	uint64_t to_kernel_fail;	/* TAP write failed, or no TAP */
	uint64_t from_kernel;		/* read from the TAP, sent */
	uint64_t from_kernel_drop;	/* read but not sent (no mbuf, ring full) */
	uint64_t tap_too_big;		/* read, longer than an mbuf: dropped */
	uint64_t cls_drops;		/* the classifier said DROP */
	uint64_t drops[GK_XDP_DROP_MAX];	/* by reason */
	uint64_t rx_multiseg;		/* chained mbufs: dropped */
};
const struct gk_dpdk_exc_stats *gk_dpdk_port_exc_stats(const struct gk_port *p);

#endif
