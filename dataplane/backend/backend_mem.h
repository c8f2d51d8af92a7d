/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory/pcap backend: frames come from arrays or pcap files and go to
 * capture lists or nowhere. Used by unit tests and benches, and as the
 * reference for what a backend must do. It stands in for NIC + XDP: each
 * frame is classified by the software classifier once, when it is queued
 * (XDP runs in the kernel, not in the worker), and rx_burst copies frame
 * and metadata into a pool buffer as AF_XDP copy mode does. Frames the
 * classifier would not give a worker are counted at rx and not delivered,
 * as XDP would pass or drop them.
 *
 * A pool and all its ports belong to one thread. Packets from one pool may
 * be transmitted on any port of that pool (the shared-UMEM model).
 */
#ifndef GK_BACKEND_MEM_H
#define GK_BACKEND_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <genkan/meta.h>
#include "parse.h"
#include "port.h"

#define GK_MEM_HEADROOM	256	/* like the AF_XDP UMEM headroom */

struct gk_mem_pool;

/* buf_size includes the headroom. NULL on bad sizes or ENOMEM. */
struct gk_mem_pool *gk_mem_pool_create(uint32_t nbufs, uint32_t buf_size);
/* All ports of the pool must be closed first. */
void gk_mem_pool_destroy(struct gk_mem_pool *pool);
uint32_t gk_mem_pool_nr_free(const struct gk_mem_pool *pool);

/* cls is copied; NULL classifies with no local addresses. Close with ops->close. */
struct gk_port *gk_mem_port_create(struct gk_mem_pool *pool, uint16_t port_id,
				   const uint8_t mac[6],
				   const struct gk_classify_cfg *cls);
/* Queue a frame for rx (copied) and classify it. 0 or -errno. */
int gk_mem_port_add_frame(struct gk_port *p, const uint8_t *frame,
			  uint32_t len);
/* Ethernet pcap only. Returns frames loaded or -errno. */
int gk_mem_port_load_pcap(struct gk_port *p, const char *path);
/*
 * Replay the queued frames cyclically until total frames have been taken
 * (classified-away ones included); 0 = each frame once.
 */
void gk_mem_port_set_loop(struct gk_port *p, uint64_t total);
/*
 * per_packet: run the classifier in every rx_burst instead (its cost then
 * lands on the caller, and classifier callbacks whose answers change are
 * asked again). Switching back re-classifies every queued frame.
 */
void gk_mem_port_set_rx_classify(struct gk_port *p, bool per_packet);
/* Keep copies of up to max transmitted frames; 0 stops capturing. */
void gk_mem_port_set_capture(struct gk_port *p, uint32_t max);
size_t gk_mem_port_nr_captured(struct gk_port *p);
/* NULL past the end. */
const uint8_t *gk_mem_port_captured(struct gk_port *p, size_t idx,
				    uint32_t *len);
/* Write captured frames as an Ethernet pcap. 0 or -errno. */
int gk_mem_port_write_pcap(struct gk_port *p, const char *path);

/* What rx_burst kept from the workers. */
struct gk_mem_rx_stats {
	uint64_t to_kernel;			/* GK_CLS_KERNEL */
	uint64_t dropped;			/* GK_CLS_DROP */
	uint64_t drops[GK_XDP_DROP_MAX];	/* by reason */
};
const struct gk_mem_rx_stats *gk_mem_port_rx_stats(struct gk_port *p);

#endif
