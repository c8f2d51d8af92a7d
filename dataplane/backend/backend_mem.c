/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pcap/pcap.h>

#include "backend_mem.h"

struct gk_mem_pool {
	uint8_t *mem;		/* nbufs * stride */
	struct gk_pkt *pkts;	/* descriptor i owns buffer i (handle = i) */
	uint32_t *free_idx;	/* LIFO: recently freed buffers are warm */
	uint32_t nr_free;
	uint32_t nbufs;
	uint32_t buf_size;	/* usable, headroom included */
	uint32_t stride;	/* buffer to buffer, an odd number of lines */
};

/*
 * Slack after the last queued frame so rx can copy whole 64-byte blocks;
 * pool buffers have the same slack because their size is a multiple of 64.
 */
#define COPY_BLOCK	64

/* A queued rx frame and what the classifier said about it when queued. */
struct frame {
	size_t off;		/* into mem_port.blob */
	uint32_t len;
	uint8_t act;		/* enum gk_cls_action */
	uint8_t why;		/* enum gk_xdp_drop when act is GK_CLS_DROP */
	uint16_t pad;
	struct gk_xdp_meta meta;
};
_Static_assert(sizeof(struct frame) == 32, "two queued frames per cache line");

struct mem_port {
	struct gk_mem_pool *pool;
	struct gk_classify_cfg cls;
	uint8_t *blob;		/* rx frames, back to back */
	size_t blob_len, blob_cap;
	struct frame *frames;
	size_t nr_frames, cap_frames;
	size_t cursor;		/* next frame to take */
	bool rx_classify;	/* classify at every rx, not once when queued */
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
	/*
	 * A power-of-two stride puts every buffer's first line in the same
	 * few L1 sets, so a burst of 32 evicts itself between rx and the
	 * stages; an odd number of lines walks all the sets.
	 */
	pool->stride = buf_size | GK_CACHELINE;
	pool->mem = aligned_alloc(4096, (((size_t)nbufs * pool->stride) + 4095) &
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

/* Resets every field a stage may have changed, as a fresh NIC buffer. */
static inline struct gk_pkt *pool_take(struct gk_mem_pool *pool, uint32_t i,
				       uint16_t port_id, uint16_t queue)
{
	struct gk_pkt *pkt = &pool->pkts[i];

	*pkt = (struct gk_pkt){
		.data = pool->mem + (size_t)i * pool->stride + GK_MEM_HEADROOM,
		.buf_len = pool->buf_size - GK_MEM_HEADROOM,
		.in_port = port_id,
		.queue = queue,
		.handle = i,
	};
	return pkt;
}

static struct gk_pkt *pool_get(struct gk_mem_pool *pool, uint16_t port_id)
{
	if (!pool->nr_free)
		return NULL;
	return pool_take(pool, pool->free_idx[--pool->nr_free], port_id, 0);
}

static bool pool_owns(const struct gk_mem_pool *pool, const struct gk_pkt *pkt)
{
	return pkt->handle < pool->nbufs && &pool->pkts[pkt->handle] == pkt;
}

static void pool_put(struct gk_mem_pool *pool, struct gk_pkt *pkt)
{
	pool->free_idx[pool->nr_free++] = (uint32_t)pkt->handle;
}

/*
 * Whole 64-byte blocks: fixed-size moves the compiler inlines, where a
 * libc memcpy of a run-time length costs a call and a size dispatch. Both
 * ends have COPY_BLOCK slack (see COPY_BLOCK).
 */
static inline void copy_frame(uint8_t *dst, const uint8_t *src, uint32_t len)
{
	uint32_t off;

	for (off = 0; off < len; off += COPY_BLOCK)
		memcpy(dst + off, src + off, COPY_BLOCK);
}

/* A frame XDP would not redirect: count it where XDP would. */
static void rx_not_worker(struct mem_port *mp, enum gk_cls_action act,
			  enum gk_xdp_drop why)
{
	if (act == GK_CLS_DROP) {
		mp->rxs.dropped++;
		if ((unsigned int)why < GK_XDP_DROP_MAX)
			mp->rxs.drops[why]++;
	} else {
		mp->rxs.to_kernel++;
	}
}

/*
 * Like AF_XDP copy mode: the frame and the metadata XDP put in front of it
 * are copied into a pool buffer. The classifier ran when the frame was
 * queued (XDP runs in the kernel, before the worker), unless rx_classify
 * asks for it here. The outer loop settles wrap-around and the loop quota
 * once per run of frames, so the inner one only moves packets.
 */
static uint16_t mem_rx(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	struct mem_port *mp = p->priv;
	struct gk_mem_pool *pool = mp->pool;
	/* Locals: the packet stores below could alias the pool's fields. */
	struct gk_pkt *const descs = pool->pkts;
	const uint32_t *const free_idx = pool->free_idx;
	uint8_t *const mem = pool->mem + GK_MEM_HEADROOM;
	const size_t stride = pool->stride;
	const uint32_t buf_len = pool->buf_size - GK_MEM_HEADROOM;
	const uint16_t port_id = p->port_id, queue = p->queue;
	const bool cls = mp->rx_classify;
	/* The hand-off modes as AF_XDP sees them (port.h enum gk_hand). */
	const uint8_t hand = atomic_load_explicit(&p->hand,
						  memory_order_acquire);
	uint32_t nr_free = pool->nr_free;
	uint64_t bytes = 0;
	uint16_t got = 0;
	bool starved = false;

	while (got < n && !starved) {
		const struct frame *fr;
		const uint8_t *blob = mp->blob;
		size_t left = mp->nr_frames - mp->cursor, k, j;

		if (mp->loop_total) {
			uint64_t quota = mp->loop_total - mp->taken;

			if (!quota || !mp->nr_frames)
				break;
			if (!left) {
				mp->cursor = 0;
				left = mp->nr_frames;
			}
			if (left > quota)
				left = quota;
		} else if (!left) {
			break;
		}
		k = left < (size_t)(n - got) ? left : (size_t)(n - got);
		fr = &mp->frames[mp->cursor];

		for (j = 0; j < k; j++, fr++) {
			const uint8_t *src = blob + fr->off;
			const struct gk_xdp_meta *m = &fr->meta;
			enum gk_cls_action act = (enum gk_cls_action)fr->act;
			enum gk_xdp_drop why = (enum gk_xdp_drop)fr->why;
			const uint32_t len = fr->len;
			struct gk_xdp_meta meta;
			struct gk_pkt *pkt;
			uint8_t *data;
			uint32_t i;

			if (unlikely(cls)) {
				act = gk_classify(src, len, &mp->cls, &meta, &why);
				m = &meta;
			}
			if (unlikely(act != GK_CLS_WORKER)) {
				rx_not_worker(mp, act, why);
				continue;
			}
			if (unlikely(!nr_free)) {
				/* The frame stays queued, like a full ring. */
				p->stats.rx_no_buf++;
				starved = true;
				break;
			}
			i = free_idx[--nr_free];
			pkt = &descs[i];
			data = mem + i * stride;
			*pkt = (struct gk_pkt){
				.data = data,
				.len = len,
				.in_port = port_id,
				.handle = i,
				.meta = *m,
				.queue = queue,
				.buf_len = buf_len,
			};
			if (unlikely(hand == GK_HAND_HEAD)) {
				/* prepended, as bpf_xdp_adjust_head leaves it;
				 * stripped again as the AF_XDP backend does */
				memcpy(data - sizeof(*m), m, sizeof(*m));
				copy_frame(data, src, len);
				memcpy(&pkt->meta, data - sizeof(*m), sizeof(*m));
			} else {
				copy_frame(data, src, len);
				if (unlikely(hand == GK_HAND_PARSE))
					pkt->meta.magic = 0;	/* worker parses */
			}
			bytes += len;
			pkts[got++] = pkt;
		}
		mp->cursor += j;
		mp->taken += j;
	}
	pool->nr_free = nr_free;
	p->rx_hand = hand;
	p->stats.rx_packets += got;
	p->stats.rx_bytes += bytes;
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
	struct gk_mem_pool *pool = mp->pool;
	uint32_t *const free_idx = pool->free_idx;
	uint32_t nr_free = pool->nr_free;
	uint64_t bytes = 0, bad = 0;
	uint16_t i;

	if (unlikely(mp->cap_max))
		for (i = 0; i < n; i++)
			if (pool_owns(pool, pkts[i]))
				capture(mp, pkts[i]);
	/* Sent at once: the frame is gone, its buffer goes back. */
	for (i = 0; i < n; i++) {
		struct gk_pkt *pkt = pkts[i];

		if (unlikely(!pool_owns(pool, pkt))) {
			bad++;	/* not ours to free */
			continue;
		}
		bytes += pkt->len;
		free_idx[nr_free++] = (uint32_t)pkt->handle;
	}
	pool->nr_free = nr_free;
	p->stats.tx_packets += n - bad;
	p->stats.tx_bytes += bytes;
	p->stats.tx_drops += bad;
	/* sent: what the port accepted (the worker counts the rest tx_full) */
	return (uint16_t)(n - bad);
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

/* What XDP would decide for the frame, done once when it is queued. */
static void classify_frame(struct mem_port *mp, struct frame *fr)
{
	enum gk_xdp_drop why = 0;

	fr->act = (uint8_t)gk_classify(mp->blob + fr->off, fr->len, &mp->cls,
				       &fr->meta, &why);
	fr->why = (uint8_t)why;
}

int gk_mem_port_add_frame(struct gk_port *p, const uint8_t *frame, uint32_t len)
{
	struct mem_port *mp = p->priv;
	struct frame *fr;

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
	if (mp->blob_len + len + COPY_BLOCK > mp->blob_cap) {
		size_t cap = mp->blob_cap ? mp->blob_cap : 16384;
		uint8_t *b;

		while (cap < mp->blob_len + len + COPY_BLOCK)
			cap *= 2;
		b = realloc(mp->blob, cap);
		if (!b)
			return -ENOMEM;
		mp->blob = b;
		mp->blob_cap = cap;
	}
	memcpy(mp->blob + mp->blob_len, frame, len);
	/* Defined bytes for the block copy's tail, never delivered. */
	memset(mp->blob + mp->blob_len + len, 0, COPY_BLOCK);
	fr = &mp->frames[mp->nr_frames++];
	memset(fr, 0, sizeof(*fr));
	fr->off = mp->blob_len;
	fr->len = len;
	classify_frame(mp, fr);
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

void gk_mem_port_set_rx_classify(struct gk_port *p, bool per_packet)
{
	struct mem_port *mp = p->priv;
	size_t i;

	mp->rx_classify = per_packet;
	if (per_packet)
		return;
	/* The classifier's answers may have changed since they were queued. */
	for (i = 0; i < mp->nr_frames; i++)
		classify_frame(mp, &mp->frames[i]);
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
