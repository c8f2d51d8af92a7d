// SPDX-License-Identifier: BSD-3-Clause
/*
 * TUN backend, see backend_tun.h. Frames belong to the sibling port's
 * pool; this port only keeps a few of them posted for its reads (spare[]),
 * as an AF_XDP socket keeps frames on its fill ring.
 *
 * An empty queue costs a read() that fails with EAGAIN. Host traffic is
 * light (probes, ssh), so after an empty read the port skips IDLE_SKIP
 * polls before it reads again; a worker about to sleep asks for wait_fd,
 * which ends the skip, so a packet that wakes it is read on the next pass.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_tun.h"

#define ETH_LEN		14
#define IDLE_SKIP	16	/* polls without a read after an empty one */

struct tun_port {
	struct gk_port port;	/* first: ops get a struct gk_port * */
	struct gk_port *pool;
	int fd;
	uint32_t skip;
	uint16_t nspare;
	struct gk_pkt *spare[GK_BURST];
	struct gk_tun_stats st;
};

static const struct gk_port_ops tun_ops;

static inline struct tun_port *to_tp(struct gk_port *p)
{
	return (struct tun_port *)p;
}

/* An IP packet of a plausible length for its version, or 0. */
static uint16_t ethertype_of(const uint8_t *ip, size_t len)
{
	if (len >= 20 && ip[0] >> 4 == 4)
		return 0x0800;
	if (len >= 40 && ip[0] >> 4 == 6)
		return 0x86dd;
	return 0;
}

static uint16_t tun_rx_burst(struct gk_port *p, struct gk_pkt **pkts,
			     uint16_t nmax)
{
	struct tun_port *tp = to_tp(p);
	struct gk_port *pool = tp->pool;
	uint64_t bytes = 0;
	uint16_t n = 0;

	p->rx_hand = GK_HAND_PARSE;
	if (tp->skip) {
		tp->skip--;
		return 0;
	}
	while (n < nmax) {
		struct gk_pkt *pkt;
		uint16_t et;
		ssize_t r;

		if (!tp->nspare) {
			tp->nspare = pool->ops->alloc(pool, tp->spare, GK_BURST);
			if (!tp->nspare) {
				p->stats.rx_no_buf++;
				break;
			}
		}
		pkt = tp->spare[tp->nspare - 1];
		if (unlikely(pkt->buf_len <= ETH_LEN))
			break;		/* cannot happen with a UMEM frame */
		r = read(tp->fd, pkt->data + ETH_LEN, pkt->buf_len - ETH_LEN);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (!n)
					tp->skip = IDLE_SKIP;
			} else {
				tp->st.rx_errors++;
			}
			break;
		}
		et = ethertype_of(pkt->data + ETH_LEN, (size_t)r);
		if (unlikely(!et)) {
			tp->st.rx_bad++;	/* the frame stays posted */
			continue;
		}
		tp->nspare--;
		memcpy(pkt->data, p->mac, 6);
		memcpy(pkt->data + 6, p->mac, 6);
		pkt->data[12] = (uint8_t)(et >> 8);
		pkt->data[13] = (uint8_t)et;
		pkt->len = (uint32_t)r + ETH_LEN;
		pkt->in_port = p->port_id;
		pkt->queue = p->queue;
		pkt->out_port = 0;
		pkt->verdict = GK_V_NONE;
		pkt->drop_reason = 0;
		pkt->meta.magic = 0;	/* parse: the software twin fills it */
		bytes += pkt->len;
		pkts[n++] = pkt;
	}
	p->stats.rx_packets += n;
	p->stats.rx_bytes += bytes;
	return n;
}

static uint16_t tun_tx_burst(struct gk_port *p, struct gk_pkt **pkts,
			     uint16_t n)
{
	struct tun_port *tp = to_tp(p);
	uint64_t bytes = 0;
	uint16_t i, sent = 0;

	for (i = 0; i < n; i++) {
		struct gk_pkt *pkt = pkts[i];
		uint32_t l3 = pkt->meta.l3_off;
		size_t len;

		/* The Ethernet header (and any tag) stays behind. */
		if (unlikely(l3 < ETH_LEN || l3 >= pkt->len ||
			     !ethertype_of(pkt->data + l3, pkt->len - l3))) {
			tp->st.tx_bad++;
			continue;
		}
		len = pkt->len - l3;
		if (unlikely(write(tp->fd, pkt->data + l3, len) != (ssize_t)len)) {
			tp->st.tx_errors++;
			continue;
		}
		sent++;
		bytes += len;
	}
	tp->pool->ops->free(tp->pool, pkts, n);
	p->stats.tx_packets += sent;
	p->stats.tx_bytes += bytes;
	p->stats.tx_drops += n - sent;
	return sent;
}

static uint16_t tun_alloc(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	struct gk_port *pool = to_tp(p)->pool;
	uint16_t got = pool->ops->alloc(pool, pkts, n), i;

	for (i = 0; i < got; i++)
		pkts[i]->in_port = p->port_id;
	return got;
}

static void tun_free(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	struct gk_port *pool = to_tp(p)->pool;

	pool->ops->free(pool, pkts, n);
}

static int tun_wait_fd(struct gk_port *p)
{
	struct tun_port *tp = to_tp(p);

	/* About to sleep on it: read as soon as it wakes us. */
	tp->skip = 0;
	return tp->fd;
}

static void tun_close(struct gk_port *p)
{
	struct tun_port *tp = to_tp(p);

	if (tp->nspare)
		tp->pool->ops->free(tp->pool, tp->spare, tp->nspare);
	close(tp->fd);
	free(tp);
}

static const struct gk_port_ops tun_ops = {
	.name = "tun",
	.rx_burst = tun_rx_burst,
	.tx_burst = tun_tx_burst,
	.alloc = tun_alloc,
	.free = tun_free,
	.close = tun_close,
	.wait_fd = tun_wait_fd,
};

struct gk_port *gk_tun_port_open(const struct gk_tun_port_cfg *cfg,
				 char *err, size_t errlen)
{
	struct tun_port *tp;

	if (!cfg->pool || !cfg->pool->ops->alloc || !cfg->pool->ops->free) {
		snprintf(err, errlen, "tun port %u: no buffer pool", cfg->port_id);
		return NULL;
	}
	if (cfg->fd < 0) {
		snprintf(err, errlen, "tun port %u: no queue fd", cfg->port_id);
		return NULL;
	}
	tp = aligned_alloc(GK_CACHELINE, (sizeof(*tp) + GK_CACHELINE - 1) &
				       ~(size_t)(GK_CACHELINE - 1));
	if (!tp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(tp, 0, sizeof(*tp));
	tp->pool = cfg->pool;
	tp->fd = cfg->fd;
	tp->port.ops = &tun_ops;
	tp->port.priv = tp;
	tp->port.port_id = cfg->port_id;
	tp->port.queue = cfg->queue;
	tp->port.ifindex = cfg->ifindex;
	memcpy(tp->port.mac, cfg->mac, sizeof(tp->port.mac));
	atomic_init(&tp->port.hand, GK_HAND_PARSE);
	tp->port.rx_hand = GK_HAND_PARSE;
	return &tp->port;
}

int gk_tun_port_is(const struct gk_port *p)
{
	return p && p->ops == &tun_ops;
}

void gk_tun_port_stats(const struct gk_port *p, struct gk_tun_stats *out)
{
	if (!gk_tun_port_is(p)) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = ((const struct tun_port *)p)->st;
}
