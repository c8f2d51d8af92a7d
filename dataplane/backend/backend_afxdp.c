// SPDX-License-Identifier: BSD-3-Clause
/*
 * AF_XDP backend: a UMEM per worker shared by all of its sockets, a free
 * frame stack, batched ring operations and need_wakeup-aware kicks.
 *
 * Frame life cycle (owner[] records the kernel-side states so a socket can
 * be closed without leaking the frames it held):
 *   free stack -> fill ring of socket s -> rx ring of s -> caller (gk_pkt)
 *   caller -> tx ring of socket t -> completion ring of t -> free stack
 *   caller -> free stack (drops)
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include <genkan/bpf_maps.h>
#include "backend_afxdp.h"

#define HUGE_2M		(2u << 20)
#define MAX_SOCKS	64	/* sockets per UMEM; owner[] encodes the slot */
#define DEF_RING	2048
#define META_LEN	sizeof(struct gk_xdp_meta)

/* owner[] values: the worker (stack or caller), or a socket's ring. */
#define OWN_WORKER	0
#define OWN_FILL(s)	((uint8_t)(1 + 2 * (s)))
#define OWN_TX(s)	((uint8_t)(2 + 2 * (s)))

struct gk_xsk_umem {
	struct xsk_umem *umem;
	uint8_t *area;
	size_t area_len;
	bool huge;
	uint32_t nframes;
	uint32_t frame_size;
	uint32_t frame_shift;
	uint32_t fill_size;	/* every socket's fill ring */
	uint32_t comp_size;	/* every socket's completion ring */
	uint32_t nfree;
	uint32_t *free_stack;	/* frame numbers */
	uint8_t *owner;		/* per frame, OWN_* */
	struct gk_pkt *pkts;	/* per frame, indexed by frame number */
	/* Rings xsk_umem__create maps on the UMEM fd; libxdp copies them
	 * into the first socket's own ring structs. */
	struct xsk_ring_prod fq0;
	struct xsk_ring_cons cq0;
	int mode;		/* enum gk_xsk_bind the first socket got */
	unsigned int nsocks;
	struct xsk_port *socks[MAX_SOCKS];
};

struct xsk_port {
	struct gk_port port;	/* first: ops get a struct gk_port * */
	struct gk_xsk_umem *u;
	struct xsk_socket *xsk;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	uint32_t fill_target;	/* frames we keep posted on fq */
	uint32_t fill_out;	/* frames posted on fq, not yet received */
	uint32_t tx_out;	/* descriptors on tx, not yet completed */
	int fd;
	int mode;
	int map_fd;
	uint32_t map_key;
	uint8_t slot;
	/*
	 * A re-bound socket (gk_xsk_port_rebind) registers the UMEM's area
	 * again on its own fd: the UMEM's first socket, which the others
	 * share it through, may be bound to a device that is gone.
	 */
	struct xsk_umem *own;
};

/* Unbound (gk_xsk_port_unbind, or a re-bind that failed): no socket. */
static inline bool xp_down(const struct xsk_port *xp)
{
	return !xp->xsk;
}

static const struct gk_port_ops xsk_ops;

static inline struct xsk_port *to_xp(struct gk_port *p)
{
	return (struct xsk_port *)p;
}

static inline uint32_t pkt_frame(const struct gk_xsk_umem *u,
				 const struct gk_pkt *pkt)
{
	return (uint32_t)(pkt - u->pkts);
}

static inline void frame_put(struct gk_xsk_umem *u, uint32_t frame)
{
	u->owner[frame] = OWN_WORKER;
	u->free_stack[u->nfree++] = frame;
}

/* Hand frames from the stack to the kernel in one reserve/submit. */
static void refill(struct xsk_port *xp)
{
	struct gk_xsk_umem *u = xp->u;
	uint32_t want, room, idx, i;

	want = xp->fill_target - xp->fill_out;
	/* Refill in bursts, except when the ring is running dry. */
	if (want < GK_BURST && xp->fill_out >= GK_BURST)
		return;
	if (want > u->nfree) {
		xp->port.stats.rx_no_buf++;
		want = u->nfree;
	}
	if (!want)
		return;
	room = xsk_prod_nb_free(&xp->fq, want);
	if (want > room)
		want = room;
	if (!want || xsk_ring_prod__reserve(&xp->fq, want, &idx) != want)
		return;
	for (i = 0; i < want; i++) {
		uint32_t f = u->free_stack[--u->nfree];

		u->owner[f] = OWN_FILL(xp->slot);
		*xsk_ring_prod__fill_addr(&xp->fq, idx + i) =
			(uint64_t)f << u->frame_shift;
	}
	xsk_ring_prod__submit(&xp->fq, want);
	xp->fill_out += want;
}

static void reap_completions(struct xsk_port *xp)
{
	struct gk_xsk_umem *u = xp->u;
	uint32_t n, idx, i;

	while (xp->tx_out) {
		n = xsk_ring_cons__peek(&xp->cq, u->comp_size, &idx);
		if (!n)
			break;
		for (i = 0; i < n; i++) {
			uint64_t addr = *xsk_ring_cons__comp_addr(&xp->cq, idx + i);

			frame_put(u, (uint32_t)(addr >> u->frame_shift));
		}
		xsk_ring_cons__release(&xp->cq, n);
		xp->tx_out -= n;
	}
}

static inline void kick_tx(struct xsk_port *xp)
{
	/* Errors (EAGAIN, EBUSY, ENOBUFS) only mean "try again later". */
	sendto(xp->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
	xp->port.stats.wakeups++;
}

static uint16_t xsk_rx_burst(struct gk_port *p, struct gk_pkt **pkts,
			     uint16_t nmax)
{
	struct xsk_port *xp = to_xp(p);
	struct gk_xsk_umem *u = xp->u;
	uint32_t mask = u->frame_size - 1;
	uint32_t n, idx, i;
	uint64_t bytes = 0;
	uint8_t hand;

	if (unlikely(xp_down(xp)))
		return 0;
	n = xsk_ring_cons__peek(&xp->rx, nmax, &idx);
	if (!n) {
		refill(xp);
		/* Zerocopy drivers sleep when fq ran empty; copy mode never
		 * sets this flag, so it costs nothing there. */
		if (xsk_ring_prod__needs_wakeup(&xp->fq)) {
			recvfrom(xp->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
			p->stats.wakeups++;
		}
		return 0;
	}
	hand = atomic_load_explicit(&p->hand, memory_order_acquire);
	p->rx_hand = hand;
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&xp->rx, idx + i);
		uint32_t f = (uint32_t)(d->addr >> u->frame_shift);
		struct gk_pkt *pkt = &u->pkts[f];

		pkt->data = u->area + d->addr;
		__builtin_prefetch(pkt->data);
		pkt->len = d->len;
		pkt->buf_len = u->frame_size - (uint32_t)(d->addr & mask);
		pkt->handle = d->addr & ~(uint64_t)mask;
		pkt->in_port = p->port_id;
		pkt->queue = p->queue;
		pkt->out_port = 0;
		pkt->verdict = GK_V_NONE;
		pkt->drop_reason = 0;
		if (likely(hand == GK_HAND_META)) {
			/* bpf_xdp_adjust_meta()'s area sits right before the
			 * frame; copy mode copies it into the headroom. */
			memcpy(&pkt->meta, pkt->data - META_LEN, META_LEN);
		} else if (hand == GK_HAND_HEAD && likely(d->len >= META_LEN)) {
			/* bpf_xdp_adjust_head() put it in front: strip it */
			memcpy(&pkt->meta, pkt->data, META_LEN);
			pkt->data += META_LEN;
			pkt->len -= META_LEN;
			pkt->buf_len -= META_LEN;
		} else {
			/* parse: the worker's software twin fills it in; a
			 * short head frame stays invalid (bad_meta) */
			pkt->meta.magic = 0;
		}
		u->owner[f] = OWN_WORKER;
		bytes += pkt->len;
		pkts[i] = pkt;
	}
	xsk_ring_cons__release(&xp->rx, n);
	xp->fill_out -= n;
	p->stats.rx_packets += n;
	p->stats.rx_bytes += bytes;
	refill(xp);
	return (uint16_t)n;
}

static uint16_t xsk_tx_burst(struct gk_port *p, struct gk_pkt **pkts,
			     uint16_t n)
{
	struct xsk_port *xp = to_xp(p);
	struct gk_xsk_umem *u = xp->u;
	uint32_t room, idx, i;
	uint64_t bytes = 0;

	if (!n)
		return 0;
	if (unlikely(xp_down(xp))) {
		/* no device: what the worker sends here is dropped */
		for (i = 0; i < n; i++)
			frame_put(u, pkt_frame(u, pkts[i]));
		p->stats.tx_drops += n;
		return 0;
	}
	room = xsk_prod_nb_free(&xp->tx, n);
	if (room < n && xsk_ring_prod__needs_wakeup(&xp->tx)) {
		/* The kernel only drains the ring when kicked. */
		kick_tx(xp);
		reap_completions(xp);
		room = xsk_prod_nb_free(&xp->tx, n);
	}
	if (room > n)
		room = n;
	if (room && xsk_ring_prod__reserve(&xp->tx, room, &idx) == room) {
		for (i = 0; i < room; i++) {
			struct xdp_desc *d = xsk_ring_prod__tx_desc(&xp->tx, idx + i);
			struct gk_pkt *pkt = pkts[i];

			d->addr = (uint64_t)(pkt->data - u->area);
			d->len = pkt->len;
			d->options = 0;
			u->owner[pkt_frame(u, pkt)] = OWN_TX(xp->slot);
			bytes += pkt->len;
		}
		xsk_ring_prod__submit(&xp->tx, room);
		xp->tx_out += room;
		p->stats.tx_packets += room;
		p->stats.tx_bytes += bytes;
	} else {
		room = 0;
	}
	for (i = room; i < n; i++)
		frame_put(u, pkt_frame(u, pkts[i]));
	p->stats.tx_drops += n - room;
	return (uint16_t)room;
}

static void xsk_flush(struct gk_port *p)
{
	struct xsk_port *xp = to_xp(p);
	uint32_t queued;

	if (!xp->tx_out || xp_down(xp))
		return;
	/* Kick only if descriptors wait in the ring and the kernel asks. */
	queued = xp->tx.cached_prod -
		 __atomic_load_n(xp->tx.consumer, __ATOMIC_ACQUIRE);
	if (queued && xsk_ring_prod__needs_wakeup(&xp->tx))
		kick_tx(xp);
	reap_completions(xp);
}

static uint16_t xsk_alloc(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	struct gk_xsk_umem *u = to_xp(p)->u;
	uint16_t i;

	if (n > u->nfree)
		n = (uint16_t)u->nfree;
	for (i = 0; i < n; i++) {
		uint32_t f = u->free_stack[--u->nfree];
		struct gk_pkt *pkt = &u->pkts[f];
		uint64_t base = (uint64_t)f << u->frame_shift;

		/* Same headroom as a received frame, for pushed headers. */
		pkt->data = u->area + base + XDP_PACKET_HEADROOM;
		pkt->len = 0;
		pkt->buf_len = u->frame_size - XDP_PACKET_HEADROOM;
		pkt->handle = base;
		pkt->in_port = p->port_id;
		pkt->queue = p->queue;
		pkt->out_port = 0;
		pkt->verdict = GK_V_NONE;
		pkt->drop_reason = 0;
		memset(&pkt->meta, 0, sizeof(pkt->meta));
		pkts[i] = pkt;
	}
	return n;
}

static void xsk_free(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	struct gk_xsk_umem *u = to_xp(p)->u;
	uint16_t i;

	for (i = 0; i < n; i++)
		frame_put(u, pkt_frame(u, pkts[i]));
}

/* Close the socket, keep the port: its frames come back to the stack. */
static void sock_release(struct xsk_port *xp)
{
	struct gk_xsk_umem *u = xp->u;
	uint32_t f;

	if (xp->map_fd >= 0)
		bpf_map_delete_elem(xp->map_fd, &xp->map_key);
	xp->map_fd = -1;
	xsk_socket__delete(xp->xsk);
	xp->xsk = NULL;
	if (xp->own)
		xsk_umem__delete(xp->own);
	xp->own = NULL;
	/* Whatever sat in this socket's rings is ours again. */
	for (f = 0; f < u->nframes; f++)
		if (u->owner[f] == OWN_FILL(xp->slot) ||
		    u->owner[f] == OWN_TX(xp->slot))
			frame_put(u, f);
	xp->fill_out = 0;
	xp->tx_out = 0;
	xp->fd = -1;
	memset(&xp->rx, 0, sizeof(xp->rx));
	memset(&xp->tx, 0, sizeof(xp->tx));
	memset(&xp->fq, 0, sizeof(xp->fq));
	memset(&xp->cq, 0, sizeof(xp->cq));
}

static void xsk_close(struct gk_port *p)
{
	struct xsk_port *xp = to_xp(p);
	struct gk_xsk_umem *u = xp->u;

	if (!xp_down(xp))
		sock_release(xp);
	u->socks[xp->slot] = NULL;
	u->nsocks--;
	free(xp);
}

static int xsk_wait_fd(struct gk_port *p)
{
	if (xp_down(to_xp(p)))
		return -1;
	return gk_xsk_port_fd(p);
}

/*
 * getsockopt only: the socket's counters are read under the kernel's own
 * lock, so genkand's ctl thread may call this while the worker polls.
 * The kernel writes back how much it filled; older kernels (< 5.9) stop
 * after tx_invalid_descs and the rest stays 0.
 */
static int xsk_xstats(struct gk_port *p, struct gk_port_xstats *out)
{
	struct xdp_statistics st;
	socklen_t len = sizeof(st);

	memset(&st, 0, sizeof(st));
	if (xp_down(to_xp(p)))
		return -ENETDOWN;
	if (getsockopt(to_xp(p)->fd, SOL_XDP, XDP_STATISTICS, &st, &len))
		return -errno;
	out->rx_dropped = st.rx_dropped;
	out->rx_invalid_descs = st.rx_invalid_descs;
	out->tx_invalid_descs = st.tx_invalid_descs;
	out->rx_ring_full = st.rx_ring_full;
	out->rx_fill_ring_empty_descs = st.rx_fill_ring_empty_descs;
	out->tx_ring_empty_descs = st.tx_ring_empty_descs;
	return 0;
}

static const struct gk_port_ops xsk_ops = {
	.name = "af_xdp",
	.rx_burst = xsk_rx_burst,
	.tx_burst = xsk_tx_burst,
	.flush = xsk_flush,
	.alloc = xsk_alloc,
	.free = xsk_free,
	.close = xsk_close,
	.wait_fd = xsk_wait_fd,
	.xstats = xsk_xstats,
};

static void *area_map(size_t *len, bool *huge)
{
	size_t hlen = (*len + HUGE_2M - 1) & ~(size_t)(HUGE_2M - 1);
	void *a;

	a = mmap(NULL, hlen, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (a != MAP_FAILED) {
		*len = hlen;
		*huge = true;
		return a;
	}
	a = mmap(NULL, *len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	*huge = false;
	return a == MAP_FAILED ? NULL : a;
}

static uint32_t pow2_floor(uint32_t v)
{
	uint32_t r = 1;

	while (r <= v / 2)
		r <<= 1;
	return r;
}

struct gk_xsk_umem *gk_xsk_umem_create(uint32_t nframes, uint32_t frame_size,
				       char *err, size_t errlen)
{
	struct xsk_umem_config ucfg = {
		.frame_headroom = 0,
		.flags = 0,
	};
	struct gk_xsk_umem *u;
	uint32_t i;
	int ret;

	/* Aligned chunk mode: the kernel takes powers of two up to a page. */
	if (frame_size != 2048 && frame_size != 4096) {
		snprintf(err, errlen, "frame size %u: want 2048 or 4096",
			 frame_size);
		return NULL;
	}
	if (nframes < 2 * GK_BURST || nframes > (1u << 24)) {
		snprintf(err, errlen, "%u frames: want %u..%u", nframes,
			 2 * GK_BURST, 1u << 24);
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->nframes = nframes;
	u->frame_size = frame_size;
	u->frame_shift = (uint32_t)__builtin_ctz(frame_size);
	u->free_stack = calloc(nframes, sizeof(*u->free_stack));
	u->owner = calloc(nframes, sizeof(*u->owner));
	u->pkts = aligned_alloc(GK_CACHELINE,
				((size_t)nframes * sizeof(*u->pkts) +
				 GK_CACHELINE - 1) & ~(size_t)(GK_CACHELINE - 1));
	if (!u->free_stack || !u->owner || !u->pkts) {
		snprintf(err, errlen, "out of memory");
		goto err_free;
	}
	memset(u->pkts, 0, (size_t)nframes * sizeof(*u->pkts));

	u->area_len = (size_t)nframes * frame_size;
	u->area = area_map(&u->area_len, &u->huge);
	if (!u->area) {
		ret = -errno;
		snprintf(err, errlen, "mmap %zu bytes: %s", u->area_len,
			 strerror(-ret));
		goto err_free;
	}

	/* Big enough to cover every socket's rings, small enough that a
	 * handful of sockets cannot pin all frames in fill rings. */
	u->fill_size = pow2_floor(nframes / 2);
	if (u->fill_size > DEF_RING)
		u->fill_size = DEF_RING;
	u->comp_size = u->fill_size;
	ucfg.fill_size = u->fill_size;
	ucfg.comp_size = u->comp_size;
	ucfg.frame_size = frame_size;
	ret = xsk_umem__create(&u->umem, u->area, (uint64_t)nframes * frame_size,
			       &u->fq0, &u->cq0, &ucfg);
	if (ret) {
		snprintf(err, errlen, "xsk_umem__create: %s", strerror(-ret));
		goto err_unmap;
	}
	for (i = 0; i < nframes; i++)
		u->free_stack[i] = nframes - 1 - i;
	u->nfree = nframes;
	return u;

err_unmap:
	munmap(u->area, u->area_len);
err_free:
	free(u->pkts);
	free(u->owner);
	free(u->free_stack);
	free(u);
	return NULL;
}

void gk_xsk_umem_destroy(struct gk_xsk_umem *u)
{
	if (!u)
		return;
	xsk_umem__delete(u->umem);
	munmap(u->area, u->area_len);
	free(u->pkts);
	free(u->owner);
	free(u->free_stack);
	free(u);
}

uint32_t gk_xsk_umem_nfree(const struct gk_xsk_umem *u)
{
	return u->nfree;
}

uint32_t gk_xsk_umem_nframes(const struct gk_xsk_umem *u)
{
	return u->nframes;
}

bool gk_xsk_umem_hugepages(const struct gk_xsk_umem *u)
{
	return u->huge;
}

static int sock_create(struct xsk_port *xp, const struct gk_xsk_port_cfg *cfg,
		       uint16_t bind_flags)
{
	struct xsk_socket_config scfg = {
		.rx_size = cfg->rx_size ? cfg->rx_size : DEF_RING,
		.tx_size = cfg->tx_size ? cfg->tx_size : DEF_RING,
		.bind_flags = bind_flags | XDP_USE_NEED_WAKEUP,
	};

	struct gk_xsk_umem *u = xp->u;
	int ret;

	if (cfg->xsks_map_fd >= 0)
		scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
	else
		scfg.xdp_flags = cfg->skb_mode ? XDP_FLAGS_SKB_MODE : 0;
	if (u->nsocks)
		return xsk_socket__create_shared(&xp->xsk, cfg->ifname,
						 cfg->queue, u->umem, &xp->rx,
						 &xp->tx, &xp->fq, &xp->cq,
						 &scfg);
	/*
	 * The first socket binds on the UMEM fd and uses the rings
	 * xsk_umem__create mapped. Hand libxdp those very structs: given
	 * others, a failed bind (zerocopy probe) would unmap them.
	 */
	ret = xsk_socket__create_shared(&xp->xsk, cfg->ifname, cfg->queue,
					u->umem, &xp->rx, &xp->tx, &u->fq0,
					&u->cq0, &scfg);
	if (!ret) {
		xp->fq = u->fq0;
		xp->cq = u->cq0;
	}
	return ret;
}

static int bound_mode(int fd)
{
	struct xdp_options opts = { 0 };
	socklen_t len = sizeof(opts);

	if (getsockopt(fd, SOL_XDP, XDP_OPTIONS, &opts, &len))
		return -errno;
	return (opts.flags & XDP_OPTIONS_ZEROCOPY) ? GK_XSK_BIND_ZEROCOPY :
						      GK_XSK_BIND_COPY;
}

struct gk_port *gk_xsk_port_open(struct gk_xsk_umem *u,
				 const struct gk_xsk_port_cfg *cfg,
				 char *err, size_t errlen)
{
	struct xsk_port *xp;
	unsigned int slot;
	uint32_t ifindex;
	int ret, fd;

	ifindex = cfg->ifindex ? cfg->ifindex : if_nametoindex(cfg->ifname);
	if (!ifindex) {
		snprintf(err, errlen, "%s: no such device", cfg->ifname);
		return NULL;
	}
	if (cfg->port_id >= GK_MAX_PORTS || cfg->queue >= GK_MAX_QUEUES) {
		snprintf(err, errlen, "%s: port %u queue %u out of range",
			 cfg->ifname, cfg->port_id, cfg->queue);
		return NULL;
	}
	for (slot = 0; slot < MAX_SOCKS && u->socks[slot]; slot++)
		;
	if (slot == MAX_SOCKS) {
		snprintf(err, errlen, "UMEM already has %u sockets", MAX_SOCKS);
		return NULL;
	}
	xp = aligned_alloc(GK_CACHELINE, sizeof(*xp));
	if (!xp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(xp, 0, sizeof(*xp));
	xp->u = u;
	xp->slot = (uint8_t)slot;
	xp->map_fd = -1;

	if (u->nsocks) {
		/* Shared UMEM: the kernel reuses the first socket's mode. */
		ret = sock_create(xp, cfg, 0);
	} else if (cfg->bind_mode == GK_XSK_BIND_COPY) {
		ret = sock_create(xp, cfg, XDP_COPY);
	} else {
		ret = sock_create(xp, cfg, XDP_ZEROCOPY);
		if (ret && cfg->bind_mode == GK_XSK_BIND_AUTO)
			ret = sock_create(xp, cfg, XDP_COPY);
	}
	if (ret) {
		snprintf(err, errlen, "%s queue %u: AF_XDP socket: %s",
			 cfg->ifname, cfg->queue, strerror(-ret));
		goto err_free;
	}
	fd = xsk_socket__fd(xp->xsk);
	xp->fd = fd;
	ret = bound_mode(fd);
	if (ret < 0) {
		snprintf(err, errlen, "%s: XDP_OPTIONS: %s", cfg->ifname,
			 strerror(-ret));
		goto err_sock;
	}
	xp->mode = ret;
	if (cfg->bind_mode == GK_XSK_BIND_ZEROCOPY &&
	    xp->mode != GK_XSK_BIND_ZEROCOPY) {
		snprintf(err, errlen, "%s: zerocopy requested, UMEM is in copy mode",
			 cfg->ifname);
		goto err_sock;
	}
	if (cfg->xsks_map_fd >= 0) {
		xp->map_key = GK_XSK_KEY(cfg->port_id, cfg->queue);
		if (bpf_map_update_elem(cfg->xsks_map_fd, &xp->map_key, &fd, 0)) {
			ret = -errno;
			snprintf(err, errlen, "%s: gk_xsks[%u]: %s", cfg->ifname,
				 xp->map_key, strerror(-ret));
			goto err_sock;
		}
		xp->map_fd = cfg->xsks_map_fd;
	}

	xp->port.ops = &xsk_ops;
	xp->port.priv = xp;
	xp->port.port_id = cfg->port_id;
	xp->port.queue = cfg->queue;
	xp->port.ifindex = ifindex;
	atomic_init(&xp->port.hand, cfg->hand < GK_HAND_MAX ? cfg->hand : GK_HAND_PARSE);
	xp->port.rx_hand = cfg->hand;
	memcpy(xp->port.mac, cfg->mac, sizeof(xp->port.mac));
	xp->fill_target = cfg->rx_size ? cfg->rx_size : DEF_RING;
	if (xp->fill_target > u->fill_size)
		xp->fill_target = u->fill_size;
	u->socks[slot] = xp;
	u->nsocks++;
	if (!u->mode)
		u->mode = xp->mode;
	refill(xp);
	return &xp->port;

err_sock:
	xsk_socket__delete(xp->xsk);
err_free:
	free(xp);
	return NULL;
}

int gk_xsk_port_bind_mode(const struct gk_port *p)
{
	return ((const struct xsk_port *)p)->mode;
}

int gk_xsk_port_fd(const struct gk_port *p)
{
	return ((const struct xsk_port *)p)->fd;
}

bool gk_xsk_port_is(const struct gk_port *p)
{
	return p && p->ops == &xsk_ops;
}

void gk_xsk_port_unbind(struct gk_port *p)
{
	struct xsk_port *xp = to_xp(p);

	if (!xp_down(xp))
		sock_release(xp);
}

bool gk_xsk_port_down(const struct gk_port *p)
{
	return xp_down((const struct xsk_port *)p);
}

/* A socket on xp->own, the first and only one there: it maps xp->fq/cq. */
static int own_sock_create(struct xsk_port *xp, const struct gk_xsk_port_cfg *cfg,
			   uint16_t bind_flags)
{
	struct xsk_socket_config scfg = {
		.rx_size = cfg->rx_size ? cfg->rx_size : DEF_RING,
		.tx_size = cfg->tx_size ? cfg->tx_size : DEF_RING,
		.bind_flags = bind_flags | XDP_USE_NEED_WAKEUP,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
	};

	return xsk_socket__create_shared(&xp->xsk, cfg->ifname, cfg->queue, xp->own,
					 &xp->rx, &xp->tx, &xp->fq, &xp->cq, &scfg);
}

int gk_xsk_port_rebind(struct gk_port *p, const struct gk_xsk_port_cfg *cfg,
		       char *err, size_t errlen)
{
	struct xsk_port *xp = to_xp(p);
	struct gk_xsk_umem *u = xp->u;
	struct xsk_umem_config ucfg = {
		.fill_size = u->fill_size,
		.comp_size = u->comp_size,
		.frame_size = u->frame_size,
		.frame_headroom = 0,
		.flags = 0,
	};
	uint32_t key;
	int ret, fd;

	if (!xp_down(xp))
		sock_release(xp);
	if (!cfg->ifindex || cfg->xsks_map_fd < 0 || cfg->queue != p->queue) {
		snprintf(err, errlen, "%s: re-bind needs the ifindex, gk_xsks and queue %u",
			 cfg->ifname, p->queue);
		return -EINVAL;
	}
	ret = xsk_umem__create(&xp->own, u->area, (uint64_t)u->nframes * u->frame_size,
			       &xp->fq, &xp->cq, &ucfg);
	if (ret) {
		xp->own = NULL;
		snprintf(err, errlen, "%s queue %u: UMEM: %s", cfg->ifname, cfg->queue,
			 strerror(-ret));
		return ret;
	}
	if (cfg->bind_mode == GK_XSK_BIND_COPY) {
		ret = own_sock_create(xp, cfg, XDP_COPY);
	} else {
		ret = own_sock_create(xp, cfg, XDP_ZEROCOPY);
		if (ret && cfg->bind_mode == GK_XSK_BIND_AUTO)
			ret = own_sock_create(xp, cfg, XDP_COPY);
	}
	if (ret) {
		xp->xsk = NULL;
		snprintf(err, errlen, "%s queue %u: AF_XDP socket: %s", cfg->ifname,
			 cfg->queue, strerror(-ret));
		goto err_umem;
	}
	fd = xsk_socket__fd(xp->xsk);
	ret = bound_mode(fd);
	if (ret < 0) {
		snprintf(err, errlen, "%s: XDP_OPTIONS: %s", cfg->ifname, strerror(-ret));
		goto err_sock;
	}
	xp->mode = ret;
	key = GK_XSK_KEY(p->port_id, p->queue);
	if (bpf_map_update_elem(cfg->xsks_map_fd, &key, &fd, 0)) {
		ret = -errno;
		snprintf(err, errlen, "%s: gk_xsks[%u]: %s", cfg->ifname, key, strerror(-ret));
		goto err_sock;
	}
	xp->fd = fd;
	xp->map_key = key;
	xp->map_fd = cfg->xsks_map_fd;
	p->ifindex = cfg->ifindex;
	memcpy(p->mac, cfg->mac, sizeof(p->mac));
	xp->fill_target = cfg->rx_size ? cfg->rx_size : DEF_RING;
	if (xp->fill_target > u->fill_size)
		xp->fill_target = u->fill_size;
	refill(xp);
	return 0;

err_sock:
	xsk_socket__delete(xp->xsk);
	xp->xsk = NULL;
err_umem:
	xsk_umem__delete(xp->own);
	xp->own = NULL;
	xp->fd = -1;
	return ret < 0 ? ret : -EINVAL;
}
