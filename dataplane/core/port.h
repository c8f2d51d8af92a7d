/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port backend interface. One struct gk_port is one (device, queue) endpoint
 * owned by exactly one worker, so none of these ops lock. AF_XDP, the memory
 * /pcap backend and (later) DPDK all implement struct gk_port_ops.
 *
 * Ownership: rx_burst hands packets to the caller. tx_burst takes ownership
 * of every packet passed, sent or not: what it cannot queue it frees and
 * counts in tx_drops. free returns packets to the backend. alloc gives fresh
 * empty buffers (for packets a stage creates, such as ICMP errors).
 */
#ifndef GK_PORT_H
#define GK_PORT_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include "pkt.h"

struct gk_port;
struct gk_port_xstats;

struct gk_port_ops {
	const char *name;
	uint16_t (*rx_burst)(struct gk_port *p, struct gk_pkt **pkts, uint16_t n);
	uint16_t (*tx_burst)(struct gk_port *p, struct gk_pkt **pkts, uint16_t n);
	/* Push queued TX to the device (kick / doorbell), reap completions. */
	void (*flush)(struct gk_port *p);
	uint16_t (*alloc)(struct gk_port *p, struct gk_pkt **pkts, uint16_t n);
	void (*free)(struct gk_port *p, struct gk_pkt **pkts, uint16_t n);
	void (*close)(struct gk_port *p);
	/* Optional: an fd that polls readable when rx has work (idle sleep). */
	int (*wait_fd)(struct gk_port *p);
	/*
	 * Optional: the device's own drop counters (for AF_XDP the socket's
	 * XDP_STATISTICS). Unlike the ops above it may be called from
	 * another thread while the owning worker runs, so it must not touch
	 * rings or stats. 0 or -errno.
	 */
	int (*xstats)(struct gk_port *p, struct gk_port_xstats *out);
};

/*
 * Kernel-side counters, cumulative since the socket was bound, X(field,
 * json name) in the order `stats` prints them in "port_xsk". A kernel
 * older than a field leaves it 0 (5.8 and older report only the first
 * three).
 */
#define GK_PORT_XSTATS_LIST(X)						\
	X(rx_dropped,	"rx_dropped")	/* other rx drops (e.g. no fill frame) */ \
	X(rx_invalid_descs, "rx_invalid_descs")				\
	X(tx_invalid_descs, "tx_invalid_descs")				\
	X(rx_ring_full,	"rx_ring_full")	/* rx ring had no room */	\
	X(rx_fill_ring_empty_descs, "rx_fill_ring_empty_descs")		\
	X(tx_ring_empty_descs, "tx_ring_empty_descs")

struct gk_port_xstats {
#define GK_X(f, s) uint64_t f;
	GK_PORT_XSTATS_LIST(GK_X)
#undef GK_X
};

struct gk_port_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_drops;	/* ring full or no buffer */
	uint64_t rx_no_buf;	/* fill ring starved */
	uint64_t wakeups;	/* syscalls made for need_wakeup */
	uint64_t rx_drained;	/* rx bursts that emptied the ring (worker) */
};

/*
 * How a port's frames carry the classifier's results (gk_port.hand),
 * docs/architecture.md "Hand-off". Known per port, never guessed from the
 * frame's bytes.
 */
enum gk_hand {
	GK_HAND_META = 0,	/* XDP metadata area just before the frame */
	GK_HAND_HEAD,		/* prepended to the frame; rx strips it */
	GK_HAND_PARSE,		/* none: the worker runs the software twin */
	GK_HAND_MAX
};

struct gk_port {
	const struct gk_port_ops *ops;
	void *priv;		/* backend state */
	uint16_t port_id;	/* dense id (matches gk_port_info.port_id) */
	uint16_t queue;
	uint32_t ifindex;	/* 0 for virtual backends */
	uint8_t mac[6];		/* source MAC for frames sent here */
	/*
	 * enum gk_hand. Read by the owning worker each burst; genkand changes
	 * it only while the classifier holds the port's worker traffic and
	 * the rx ring has been seen empty (run-time switch, daemon.c).
	 */
	_Atomic uint8_t hand;
	uint8_t rx_hand;	/* the mode rx_burst applied to its last burst */
	/* The worker completes TCP/UDP checksums of this port's frames at rx. */
	uint8_t csum_complete;
	struct gk_port_stats stats;
} __attribute__((aligned(64)));

static inline uint16_t gk_port_rx(struct gk_port *p, struct gk_pkt **pkts,
				  uint16_t n)
{
	return p->ops->rx_burst(p, pkts, n);
}

static inline uint16_t gk_port_tx(struct gk_port *p, struct gk_pkt **pkts,
				  uint16_t n)
{
	return p->ops->tx_burst(p, pkts, n);
}

static inline void gk_port_flush(struct gk_port *p)
{
	if (p->ops->flush)
		p->ops->flush(p);
}

static inline int gk_port_xstats(struct gk_port *p,
				  struct gk_port_xstats *out)
{
	if (!p->ops->xstats)
		return -EOPNOTSUPP;
	return p->ops->xstats(p, out);
}

static inline void gk_port_free(struct gk_port *p, struct gk_pkt **pkts,
				uint16_t n)
{
	p->ops->free(p, pkts, n);
}

#endif
