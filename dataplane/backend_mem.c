/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pcap/pcap.h>

#include "backend_mem.h"

struct gk_mem_pool {
	uint8_t *mem;		/* nbufs * buf_size */
	struct gk_pkt *pkts;	/* descriptor i owns buffer i (handle = i) */
	uint32_t *free_idx;	/* LIFO: recently freed buffers are warm */
	uint32_t nr_free;
	uint32_t nbufs;
	uint32_t buf_size;
};

struct frame {
	size_t off;		/* into mem_port.blob */
	uint32_t len;
};

struct mem_port {
	struct gk_mem_pool *pool;
	struct gk_classify_cfg cls;
	uint8_t *blob;		/* rx frames, back to back */
	size_t blob_len, blob_cap;
	struct frame *frames;
	size_t nr_frames, cap_frames;
	size_t cursor;		/* next frame to take */
	uint64_t loop_total;	/* 0: one pass */
	uint64_t taken;
	uint8_t **cap_data;	/* captured tx frames */
	uint32_t *cap_len;
	size_t nr_cap, cap_max;
	struct gk_mem_rx_stats rxs;
};

static bool no_local4(void *arg, uint32_t addr_be)
{
	return false;
}

static bool no_local6(void *arg, const uint8_t addr[16])
{
	return false;
}

struct gk_mem_pool *gk_mem_pool_create(uint32_t nbufs, uint32_t buf_size)
{
	struct gk_mem_pool *pool;
	uint32_t i;

	if (!nbufs || buf_size <= GK_MEM_HEADROOM + 64)
		return NULL;
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	buf_size = (buf_size + GK_CACHELINE - 1) & ~(uint32_t)(GK_CACHELINE - 1);
	pool->mem = aligned_alloc(4096, (((size_t)nbufs * buf_size) + 4095) &
				  ~(size_t)4095);
	pool->pkts = aligned_alloc(GK_CACHELINE,
				   (((size_t)nbufs * sizeof(*pool->pkts)) +
				    GK_CACHELINE - 1) &
				   ~(size_t)(GK_CACHELINE - 1));
	pool->free_idx = calloc(nbufs, sizeof(*pool->free_idx));
	if (!pool->mem || !pool->pkts || !pool->free_idx)
		goto err_free;
	memset(pool->pkts, 0, (size_t)nbufs * sizeof(*pool->pkts));
	pool->nbufs = nbufs;
	pool->buf_size = buf_size;
	for (i = 0; i < nbufs; i++) {
		pool->pkts[i].handle = i;
		pool->free_idx[i] = nbufs - 1 - i;
	}
	pool->nr_free = nbufs;
	return pool;

err_free:
	free(pool->free_idx);
	free(pool->pkts);
	free(pool->mem);
	free(pool);
	return NULL;
}

void gk_mem_pool_destroy(struct gk_mem_pool *pool)
{
	if (!pool)
		return;
	free(pool->free_idx);
	free(pool->pkts);
	free(pool->mem);
	free(pool);
}

uint32_t gk_mem_pool_nr_free(const struct gk_mem_pool *pool)
{
	return pool->nr_free;
}

static struct gk_pkt *pool_get(struct gk_mem_pool *pool, uint16_t port_id)
{
	struct gk_pkt *pkt;
	uint32_t i;

	if (!pool->nr_free)
		return NULL;
	i = pool->free_idx[--pool->nr_free];
	pkt = &pool->pkts[i];
	pkt->data = pool->mem + (size_t)i * pool->buf_size + GK_MEM_HEADROOM;
	pkt->buf_len = pool->buf_size - GK_MEM_HEADROOM;
	pkt->len = 0;
	pkt->in_port = port_id;
	pkt->out_port = 0;
	pkt->verdict = GK_V_NONE;
	pkt->drop_reason = 0;
	pkt->queue = 0;
	memset(&pkt->meta, 0, sizeof(pkt->meta));
	return pkt;
}

static bool pool_owns(const struct gk_mem_pool *pool, const struct gk_pkt *pkt)
{
	return pkt->handle < pool->nbufs && &pool->pkts[pkt->handle] == pkt;
}

static void pool_put(struct gk_mem_pool *pool, struct gk_pkt *pkt)
{
	pool->free_idx[pool->nr_free++] = (uint32_t)pkt->handle;
}

static uint16_t mem_rx(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	struct mem_port *mp = p->priv;
	struct gk_mem_pool *pool = mp->pool;
	uint16_t got = 0;

	while (got < n) {
		const struct frame *fr;
		const uint8_t *src;
		struct gk_xdp_meta meta;
		enum gk_xdp_drop why;
		enum gk_cls_action act;
		struct gk_pkt *pkt;

		if (mp->loop_total && mp->taken >= mp->loop_total)
			break;
		if (mp->cursor == mp->nr_frames) {
			if (!mp->loop_total || !mp->nr_frames)
				break;
			mp->cursor = 0;
		}
		fr = &mp->frames[mp->cursor];
		src = mp->blob + fr->off;
		act = gk_classify(src, fr->len, &mp->cls, &meta, &why);
		if (act != GK_CLS_WORKER) {
			if (act == GK_CLS_DROP) {
				mp->rxs.dropped++;
				if ((unsigned int)why < GK_XDP_DROP_MAX)
					mp->rxs.drops[why]++;
			} else {
				mp->rxs.to_kernel++;
			}
			mp->cursor++;
			mp->taken++;
			continue;
		}
		pkt = pool_get(pool, p->port_id);
		if (!pkt) {
			p->stats.rx_no_buf++;
			break;	/* the frame stays queued, like a full ring */
		}
		memcpy(pkt->data, src, fr->len);
		pkt->len = fr->len;
		pkt->queue = p->queue;
		pkt->meta = meta;
		mp->cursor++;
		mp->taken++;
		p->stats.rx_packets++;
		p->stats.rx_bytes += fr->len;
		pkts[got++] = pkt;
	}
	return got;
}

static void capture(struct mem_port *mp, const struct gk_pkt *pkt)
{
	uint8_t *copy;

	if (mp->nr_cap >= mp->cap_max)
		return;
	copy = malloc(pkt->len ? pkt->len : 1);
	if (!copy)
		return;
	memcpy(copy, pkt->data, pkt->len);
	mp->cap_data[mp->nr_cap] = copy;
	mp->cap_len[mp->nr_cap++] = pkt->len;
}

static uint16_t mem_tx(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	struct mem_port *mp = p->priv;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct gk_pkt *pkt = pkts[i];

		if (!pool_owns(mp->pool, pkt)) {
			p->stats.tx_drops++;	/* not ours to free */
			continue;
		}
		if (mp->cap_max)
			capture(mp, pkt);
		p->stats.tx_packets++;
		p->stats.tx_bytes += pkt->len;
		pool_put(mp->pool, pkt);
	}
	return n;
}

static uint16_t mem_alloc(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	struct mem_port *mp = p->priv;
	uint16_t i;

	for (i = 0; i < n; i++) {
		pkts[i] = pool_get(mp->pool, p->port_id);
		if (!pkts[i])
			break;
	}
	return i;
}

static void mem_free(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	struct mem_port *mp = p->priv;
	uint16_t i;

	for (i = 0; i < n; i++)
		if (pool_owns(mp->pool, pkts[i]))
			pool_put(mp->pool, pkts[i]);
}

static void drop_captures(struct mem_port *mp)
{
	size_t i;

	for (i = 0; i < mp->nr_cap; i++)
		free(mp->cap_data[i]);
	free(mp->cap_data);
	free(mp->cap_len);
	mp->cap_data = NULL;
	mp->cap_len = NULL;
	mp->nr_cap = 0;
	mp->cap_max = 0;
}

static void mem_close(struct gk_port *p)
{
	struct mem_port *mp;

	if (!p)
		return;
	mp = p->priv;
	drop_captures(mp);
	free(mp->frames);
	free(mp->blob);
	free(mp);
	free(p);
}

static const struct gk_port_ops mem_ops = {
	.name = "mem",
	.rx_burst = mem_rx,
	.tx_burst = mem_tx,
	.flush = NULL,
	.alloc = mem_alloc,
	.free = mem_free,
	.close = mem_close,
};

struct gk_port *gk_mem_port_create(struct gk_mem_pool *pool, uint16_t port_id,
				   const uint8_t mac[6],
				   const struct gk_classify_cfg *cls)
{
	struct gk_port *p;
	struct mem_port *mp;

	p = aligned_alloc(GK_CACHELINE, sizeof(*p));
	if (!p)
		return NULL;
	memset(p, 0, sizeof(*p));
	mp = calloc(1, sizeof(*mp));
	if (!mp) {
		free(p);
		return NULL;
	}
	mp->pool = pool;
	if (cls) {
		mp->cls = *cls;
	} else {
		mp->cls.is_local4 = no_local4;
		mp->cls.is_local6 = no_local6;
	}
	p->ops = &mem_ops;
	p->priv = mp;
	p->port_id = port_id;
	memcpy(p->mac, mac, 6);
	return p;
}

int gk_mem_port_add_frame(struct gk_port *p, const uint8_t *frame, uint32_t len)
{
	struct mem_port *mp = p->priv;

	if (len > mp->pool->buf_size - GK_MEM_HEADROOM)
		return -EMSGSIZE;
	if (mp->nr_frames == mp->cap_frames) {
		size_t cap = mp->cap_frames ? mp->cap_frames * 2 : 256;
		struct frame *f = realloc(mp->frames, cap * sizeof(*f));

		if (!f)
			return -ENOMEM;
		mp->frames = f;
		mp->cap_frames = cap;
	}
	if (mp->blob_len + len > mp->blob_cap) {
		size_t cap = mp->blob_cap ? mp->blob_cap : 16384;
		uint8_t *b;

		while (cap < mp->blob_len + len)
			cap *= 2;
		b = realloc(mp->blob, cap);
		if (!b)
			return -ENOMEM;
		mp->blob = b;
		mp->blob_cap = cap;
	}
	memcpy(mp->blob + mp->blob_len, frame, len);
	mp->frames[mp->nr_frames].off = mp->blob_len;
	mp->frames[mp->nr_frames++].len = len;
	mp->blob_len += len;
	return 0;
}

int gk_mem_port_load_pcap(struct gk_port *p, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	int n = 0, ret, r;

	if (access(path, R_OK))
		return -errno;
	pc = pcap_open_offline(path, errbuf);
	if (!pc)
		return -EINVAL;
	if (pcap_datalink(pc) != DLT_EN10MB) {
		ret = -EPROTONOSUPPORT;
		goto err_close;
	}
	while ((r = pcap_next_ex(pc, &h, &data)) == 1) {
		ret = gk_mem_port_add_frame(p, data, h->caplen);
		if (ret)
			goto err_close;
		n++;
	}
	if (r != PCAP_ERROR_BREAK) {
		ret = -EIO;
		goto err_close;
	}
	pcap_close(pc);
	return n;

err_close:
	pcap_close(pc);
	return ret;
}

void gk_mem_port_set_loop(struct gk_port *p, uint64_t total)
{
	struct mem_port *mp = p->priv;

	mp->loop_total = total;
	mp->taken = 0;
	mp->cursor = 0;
}

void gk_mem_port_set_capture(struct gk_port *p, uint32_t max)
{
	struct mem_port *mp = p->priv;

	drop_captures(mp);
	if (!max)
		return;
	mp->cap_data = calloc(max, sizeof(*mp->cap_data));
	mp->cap_len = calloc(max, sizeof(*mp->cap_len));
	if (!mp->cap_data || !mp->cap_len) {
		drop_captures(mp);
		return;
	}
	mp->cap_max = max;
}

size_t gk_mem_port_nr_captured(struct gk_port *p)
{
	struct mem_port *mp = p->priv;

	return mp->nr_cap;
}

const uint8_t *gk_mem_port_captured(struct gk_port *p, size_t idx,
				    uint32_t *len)
{
	struct mem_port *mp = p->priv;

	if (idx >= mp->nr_cap)
		return NULL;
	*len = mp->cap_len[idx];
	return mp->cap_data[idx];
}

int gk_mem_port_write_pcap(struct gk_port *p, const char *path)
{
	struct mem_port *mp = p->priv;
	pcap_dumper_t *d;
	pcap_t *pc;
	size_t i;
	int ret = 0;

	pc = pcap_open_dead(DLT_EN10MB, 262144);
	if (!pc)
		return -ENOMEM;
	d = pcap_dump_open(pc, path);
	if (!d) {
		ret = -EIO;
		goto err_close;
	}
	for (i = 0; i < mp->nr_cap; i++) {
		/* Timestamps are only sequence numbers: there is no clock. */
		struct pcap_pkthdr h = {
			.ts = { .tv_sec = (time_t)(i / 1000000),
				.tv_usec = (suseconds_t)(i % 1000000) },
			.caplen = mp->cap_len[i],
			.len = mp->cap_len[i],
		};

		pcap_dump((u_char *)d, &h, mp->cap_data[i]);
	}
	if (pcap_dump_flush(d))
		ret = -EIO;
	pcap_dump_close(d);
err_close:
	pcap_close(pc);
	return ret;
}

const struct gk_mem_rx_stats *gk_mem_port_rx_stats(struct gk_port *p)
{
	struct mem_port *mp = p->priv;

	return &mp->rxs;
}
