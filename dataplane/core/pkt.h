/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend-neutral packet descriptor. AF_XDP keeps one per UMEM frame, the
 * memory backend one per buffer, DPDK will keep one in each mbuf's private
 * area. Stages only ever see struct gk_pkt.
 */
#ifndef GK_PKT_H
#define GK_PKT_H

#include <stdint.h>
#include <genkan/meta.h>

#define GK_BURST	32	/* packets per rx/tx burst */

/*
 * Every backend leaves at least this much room in front of pkt->data at
 * rx, so a stage may prepend headers (MAP-E's IPv6 header) in place.
 * AF_XDP frames have XDP_PACKET_HEADROOM (256) minus the metadata; the
 * memory backend reserves 256.
 */
#define GK_PKT_HEADROOM	128

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

#define GK_CACHELINE	64
#define __gk_aligned	__attribute__((aligned(GK_CACHELINE)))

/* What a stage decided for a packet. */
enum gk_verdict {
	GK_V_NONE = 0,		/* not decided yet: next stage */
	GK_V_TX,		/* transmit on out_port */
	GK_V_DROP,		/* free it; drop_reason says why */
	GK_V_KERNEL,		/* hand to the kernel (punt path) */
};

struct gk_pkt {
	uint8_t *data;		/* first byte of the L2 frame */
	uint32_t len;		/* frame length */
	uint16_t in_port;	/* ingress port id */
	uint16_t out_port;	/* egress port id, set by a stage */
	uint64_t handle;	/* backend buffer handle (UMEM addr, mbuf) */
	struct gk_xdp_meta meta; /* classifier results */
	uint8_t verdict;	/* enum gk_verdict */
	uint8_t drop_reason;	/* enum gk_wk_drop when verdict is DROP */
	uint16_t queue;		/* ingress queue */
	uint32_t buf_len;	/* room from data to end of buffer */
};

#endif
