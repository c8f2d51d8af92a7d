/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TUN port backend: the gateway host's own path through genkan's tunnels
 * (docs/architecture.md "Host path"). One port is one queue fd of an
 * IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE device, owned by one worker.
 *
 * It has no buffers of its own: frames come from, and go back to, the
 * pool of a sibling port of the same worker (an AF_XDP port: all of a
 * worker's ports share one UMEM), so a packet read from the host leaves
 * on any port of that worker without a copy, and a packet routed to the
 * host is written from the frame it arrived in. rx reads IP packets with
 * room for a 14-byte Ethernet header in front, which it fills in (zero
 * MACs, the EtherType from the IP version), and hands them over in mode
 * GK_HAND_PARSE: the worker's software twin classifies them. tx writes
 * the IP packet (from meta.l3_off) and returns the frame to the pool.
 * Like every port, it is used by its worker's thread only.
 */
#ifndef GK_BACKEND_TUN_H
#define GK_BACKEND_TUN_H

#include <stddef.h>
#include <stdint.h>

#include "port.h"

/* TUN counters beside gk_port_stats, X(field, json name). */
#define GK_TUN_CNT_LIST(X)						\
	X(rx_bad,	"rx_bad")	/* read neither IPv4 nor IPv6, or short */ \
	X(rx_errors,	"rx_errors")	/* read() failed other than EAGAIN */ \
	X(tx_errors,	"tx_errors")	/* write() failed (counted in tx_drops too) */ \
	X(tx_bad,	"tx_bad")	/* no IP packet at meta.l3_off (tx_drops too) */

struct gk_tun_stats {
#define GK_X(f, s) uint64_t f;
	GK_TUN_CNT_LIST(GK_X)
#undef GK_X
};

struct gk_tun_port_cfg {
	int fd;			/* the queue fd; O_NONBLOCK; the port owns it */
	uint16_t port_id;
	uint16_t queue;
	uint32_t ifindex;
	/*
	 * A port of the same worker whose alloc/free this port uses for
	 * every frame. It must outlive this port (close this one first).
	 */
	struct gk_port *pool;
	uint8_t mac[6];		/* written as both MACs of received frames */
};

/*
 * NULL with a message in err when cfg is bad (no pool, or a pool without
 * alloc/free) or on ENOMEM. Close with p->ops->close(p): the frames it
 * holds go back to the pool and the fd is closed.
 */
struct gk_port *gk_tun_port_open(const struct gk_tun_port_cfg *cfg,
				 char *err, size_t errlen);
/* True if p was opened by gk_tun_port_open(). */
int gk_tun_port_is(const struct gk_port *p);
/*
 * The TUN counters of p (racy, never torn: written by the owning worker
 * only). Zeroes for a port that is not a TUN port.
 */
void gk_tun_port_stats(const struct gk_port *p, struct gk_tun_stats *out);

#endif
