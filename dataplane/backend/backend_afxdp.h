/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AF_XDP port backend. One UMEM per worker, shared by every socket of that
 * worker (any device, any queue), so a frame received on one port leaves on
 * another without a copy. Each socket has its own fill and completion ring;
 * frame bookkeeping is a worker-local stack, so nothing here locks: a UMEM
 * and all its ports must only be used from one thread at a time.
 */
#ifndef GK_BACKEND_AFXDP_H
#define GK_BACKEND_AFXDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "port.h"

struct gk_xsk_umem;

/* Bind modes for gk_xsk_port_cfg.bind_mode and gk_xsk_port_bind_mode(). */
enum gk_xsk_bind {
	GK_XSK_BIND_AUTO = 0,	/* try zerocopy, fall back to copy */
	GK_XSK_BIND_COPY = 1,
	GK_XSK_BIND_ZEROCOPY = 2,
};

/*
 * nframes of frame_size bytes (power of two, 2048 or 4096). Tries 2 MiB
 * huge pages first, then 4K pages. Returns NULL and fills err on failure.
 */
struct gk_xsk_umem *gk_xsk_umem_create(uint32_t nframes, uint32_t frame_size,
				       char *err, size_t errlen);
/* Only after every port opened on it is closed. */
void gk_xsk_umem_destroy(struct gk_xsk_umem *u);
/* Frames currently on the free stack (owned by neither kernel nor caller). */
uint32_t gk_xsk_umem_nfree(const struct gk_xsk_umem *u);
uint32_t gk_xsk_umem_nframes(const struct gk_xsk_umem *u);
/* True when the area came from huge pages. */
bool gk_xsk_umem_hugepages(const struct gk_xsk_umem *u);

struct gk_xsk_port_cfg {
	const char *ifname;
	uint32_t ifindex;	/* 0: looked up from ifname */
	uint16_t queue;
	uint16_t port_id;
	/*
	 * genkan's gk_xsks map: the socket goes in at
	 * GK_XSK_KEY(port_id, queue) and libxdp loads no program. -1 lets
	 * libxdp load its default redirect program (tests only).
	 */
	int xsks_map_fd;
	int bind_mode;		/* enum gk_xsk_bind */
	bool skb_mode;		/* XDP_FLAGS_SKB_MODE when libxdp loads */
	uint32_t rx_size, tx_size; /* ring sizes, power of two; 0: 2048 */
	uint8_t hand;		/* enum gk_hand the classifier uses on this port */
	uint8_t mac[6];
};

/*
 * Opens one (device, queue) socket on u. The first port opened on a UMEM
 * decides copy vs zerocopy for all later ones (a kernel rule for shared
 * UMEMs). The returned port is closed with p->ops->close(p), which also
 * removes its gk_xsks entry and takes back the frames the kernel held.
 */
struct gk_port *gk_xsk_port_open(struct gk_xsk_umem *u,
				 const struct gk_xsk_port_cfg *cfg,
				 char *err, size_t errlen);

/*
 * Interfaces that come and go (docs/architecture.md "Ports whose interface
 * comes and goes"). Both run on the thread that owns the UMEM (the worker),
 * between bursts; the struct gk_port stays, with its stats.
 *
 * unbind: close the socket (its gk_xsks entry goes, its frames come back).
 * Until a re-bind, rx gives nothing, tx drops (tx_drops), no wait_fd, and
 * xstats is -ENETDOWN.
 *
 * rebind: a new socket on cfg's device and p's queue, into gk_xsks at
 * GK_XSK_KEY(port_id, queue); cfg->ifindex, cfg->mac and the ring sizes
 * are taken, port_id, queue and hand are p's. The socket registers the
 * UMEM's area again on its own fd, so it does not depend on the UMEM's
 * first socket (bound to a device that may be gone). 0, or -errno with
 * err filled and p left unbound.
 */
void gk_xsk_port_unbind(struct gk_port *p);
int gk_xsk_port_rebind(struct gk_port *p, const struct gk_xsk_port_cfg *cfg,
		       char *err, size_t errlen);
/* True while p has no socket. */
bool gk_xsk_port_down(const struct gk_port *p);

/* GK_XSK_BIND_COPY or GK_XSK_BIND_ZEROCOPY: what the kernel actually bound. */
int gk_xsk_port_bind_mode(const struct gk_port *p);
/* The AF_XDP socket, for poll() in tests and diagnostics. */
int gk_xsk_port_fd(const struct gk_port *p);
/* True if p was opened by gk_xsk_port_open(). */
bool gk_xsk_port_is(const struct gk_port *p);

#endif
