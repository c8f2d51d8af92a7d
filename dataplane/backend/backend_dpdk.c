// SPDX-License-Identifier: BSD-3-Clause
/*
 * DPDK backend: rte_ethdev queues and mbufs behind struct gk_port_ops
 * (backend_dpdk.h, docs/dpdk.md).
 *
 * Buffer life cycle: pool -> device rx ring -> rx_burst (gk_pkt in the
 * mbuf's private area, handle = the mbuf) -> stages -> tx_burst (the
 * mbuf's data_off/len follow gk_pkt.data/len) -> device tx ring -> pool
 * (the PMD frees it on completion); drops go back with rte_pktmbuf_free.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_dev.h>

#include "backend_dpdk.h"
#include "cls_tables.h"
#include "parse.h"

#define MAX_EAL_ARGS	64
#define DEF_DESC	1024
#define DATA_ROOM	GK_DPDK_DATA_ROOM	/* after RTE_PKTMBUF_HEADROOM */
/*
 * An empty TAP read is a syscall: after one, skip this many polls (under
 * full load about 2000 frames, 50 us; idle, a few us).
 */
#define TAP_SKIP	64

_Static_assert(RTE_PKTMBUF_HEADROOM >= GK_PKT_HEADROOM,
	       "mbufs leave the headroom stages prepend into");
_Static_assert(GK_DPDK_TAP_MTU_MAX + RTE_ETHER_HDR_LEN == DATA_ROOM,
	       "a frame of the TAP's largest MTU fills one mbuf");

struct gk_dpdk_pool {
	struct rte_mempool *mp;
};

struct gk_dpdk_dev {
	uint16_t port;		/* ethdev port id */
	uint16_t nr_queues;
	uint16_t nr_open;	/* queue ports not closed yet */
	uint8_t mac[6];
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_device *rdev;
	struct rte_mempool **mp;	/* [nr_queues]: queue q's pool */
};

struct dpdk_port {
	struct gk_port port;	/* first: ops get a struct gk_port * */
	struct gk_dpdk_dev *dev;
	uint16_t eport;		/* ethdev port id */
	uint16_t queue;
	struct rte_mempool *mp;	/* this queue's pool (alloc) */
	struct gk_cls_tables **cls;
	int tap_fd;
	uint32_t tap_skip;
	/* A TAP read spills here when the frame does not fit an mbuf. */
	uint8_t tap_spill;
	struct gk_dpdk_exc_stats exc;
};

static bool eal_up;
/* This thread asked EAL for an lcore id (lcore_register). */
static __thread bool lcore_asked;

static inline struct dpdk_port *to_dp(struct gk_port *p)
{
	return (struct dpdk_port *)p;
}

static inline struct gk_pkt *mbuf_pkt(struct rte_mbuf *m)
{
	return rte_mbuf_to_priv(m);
}

static inline struct rte_mbuf *pkt_mbuf(const struct gk_pkt *pkt)
{
	return (struct rte_mbuf *)(uintptr_t)pkt->handle;
}

/*
 * A fresh descriptor over m's data (len bytes), as a NIC buffer would come.
 * Little-endian: the fields go as three 8-byte stores and the handle
 * (len, in_port, out_port; handle; verdict, drop_reason, queue, buf_len).
 */
static inline struct gk_pkt *pkt_init(struct rte_mbuf *m, uint32_t len,
				      uint16_t port_id, uint16_t queue)
{
	struct gk_pkt *pkt = mbuf_pkt(m);
	uint16_t off = m->data_off;

	pkt->data = (uint8_t *)m->buf_addr + off;
	pkt->handle = (uint64_t)(uintptr_t)m;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	{
		uint64_t w0 = len | (uint64_t)port_id << 32;	/* out_port 0 */
		/* verdict GK_V_NONE, drop_reason 0 */
		uint64_t w1 = (uint64_t)queue << 16 |
			      (uint64_t)(uint32_t)(m->buf_len - off) << 32;

		_Static_assert(offsetof(struct gk_pkt, in_port) == 12 &&
			       offsetof(struct gk_pkt, out_port) == 14 &&
			       offsetof(struct gk_pkt, verdict) + 8 ==
			       offsetof(struct gk_pkt, buf_len) + 4 &&
			       offsetof(struct gk_pkt, drop_reason) ==
			       offsetof(struct gk_pkt, verdict) + 1 &&
			       offsetof(struct gk_pkt, queue) ==
			       offsetof(struct gk_pkt, verdict) + 2 &&
			       GK_V_NONE == 0, "pkt_init's layout");
		memcpy((uint8_t *)pkt + offsetof(struct gk_pkt, len), &w0, 8);
		memcpy((uint8_t *)pkt + offsetof(struct gk_pkt, verdict), &w1, 8);
	}
#else
	pkt->len = len;
	pkt->in_port = port_id;
	pkt->out_port = 0;
	pkt->verdict = GK_V_NONE;
	pkt->drop_reason = 0;
	pkt->queue = queue;
	pkt->buf_len = (uint32_t)(m->buf_len - off);
#endif
	return pkt;
}

/* The twin's verdict on a frame it will not give a worker. */
static void not_worker(struct dpdk_port *dp, struct rte_mbuf *m,
		       enum gk_cls_action act, enum gk_xdp_drop why)
{
	if (act == GK_CLS_DROP) {
		dp->exc.cls_drops++;
		if ((unsigned int)why < GK_XDP_DROP_MAX)
			dp->exc.drops[why]++;
	} else if (dp->tap_fd >= 0 &&
		   write(dp->tap_fd, rte_pktmbuf_mtod(m, void *),
			 m->data_len) == (ssize_t)m->data_len) {
		/* The kernel's copy: the slow path, one syscall a frame. */
		dp->exc.to_kernel++;
	} else {
		dp->exc.to_kernel_fail++;
	}
	rte_pktmbuf_free(m);
}

/*
 * Frames the kernel sent on the TAP queue leave on this DPDK queue. Each
 * is read into one mbuf's room plus a spill byte: a read that reaches the
 * spill was a frame longer than the room (the kernel cuts it to the buffer
 * and says so only by filling it), which is dropped and counted, never
 * sent cut. genkand sets the TAP's MTU so that it does not happen unless
 * the operator raises it (gk_dpdk_ctl: GK_DPDK_TAP_MTU_MAX).
 */
static void tap_poll(struct dpdk_port *dp)
{
	struct rte_mbuf *m[GK_BURST], *spare = NULL;
	uint16_t n = 0, sent, i, tries;

	if (dp->tap_skip) {
		dp->tap_skip--;
		return;
	}
	/* Bounded: a kernel sending only oversized frames cannot hold rx. */
	for (tries = 0; n < GK_BURST && tries < 2 * GK_BURST; tries++) {
		struct iovec iov[2];
		struct rte_mbuf *b;
		ssize_t r;

		b = spare ? spare : rte_pktmbuf_alloc(dp->mp);
		spare = NULL;
		if (!b) {
			dp->exc.from_kernel_drop++;
			break;
		}
		iov[0].iov_base = rte_pktmbuf_mtod(b, void *);
		iov[0].iov_len = rte_pktmbuf_tailroom(b);
		iov[1].iov_base = &dp->tap_spill;
		iov[1].iov_len = 1;
		r = readv(dp->tap_fd, iov, 2);
		if (r <= 0) {
			rte_pktmbuf_free(b);
			break;
		}
		if (unlikely((size_t)r > iov[0].iov_len)) {
			dp->exc.tap_too_big++;
			spare = b;
			continue;
		}
		b->data_len = (uint16_t)r;
		b->pkt_len = (uint32_t)r;
		m[n++] = b;
	}
	if (spare)
		rte_pktmbuf_free(spare);
	if (!n) {
		dp->tap_skip = TAP_SKIP;
		return;
	}
	sent = rte_eth_tx_burst(dp->eport, dp->queue, m, n);
	for (i = sent; i < n; i++)
		rte_pktmbuf_free(m[i]);
	dp->exc.from_kernel += sent;
	dp->exc.from_kernel_drop += n - sent;
}

/*
 * A worker is genkan's pthread, not an EAL lcore: on its first burst it
 * registers with EAL (rte_thread_register), so the pool's per-lcore cache
 * serves it and the PMDs it calls. Workers live as long as genkand, so the
 * id is never given back. Without a free id the thread goes on uncached.
 */
static inline void lcore_register(void)
{
	if (likely(lcore_asked))
		return;
	lcore_asked = true;
	if (rte_lcore_id() == LCORE_ID_ANY)
		rte_thread_register();
}

/* Whether the twin gave every one of n frames to the worker. */
static inline bool all_worker(const uint8_t *act, uint16_t n)
{
	uint8_t any = 0;
	uint16_t i;

	_Static_assert(GK_CLS_WORKER == 0, "the OR below tests for 0");
	for (i = 0; i < n; i++)
		any |= act[i];
	return !any;
}

static uint16_t dpdk_rx_burst(struct gk_port *p, struct gk_pkt **pkts,
			      uint16_t nmax)
{
	struct dpdk_port *dp = to_dp(p);
	struct rte_mbuf *m[GK_BURST];
	struct gk_cls_burst cb;
	uint8_t act[GK_BURST], why[GK_BURST];
	uint16_t n, i, i0, e, k = 0, got = 0;
	const uint16_t port_id = p->port_id, queue = p->queue;
	uint64_t bytes = 0;
	uint8_t hand;

	lcore_register();
	if (unlikely(dp->tap_fd >= 0))
		tap_poll(dp);
	if (nmax > GK_BURST)
		nmax = GK_BURST;
	n = rte_eth_rx_burst(dp->eport, dp->queue, m, nmax);
	if (!n)
		return 0;
	hand = atomic_load_explicit(&p->hand, memory_order_acquire);
	if (dp->cls)
		/* The worker's pass is its QSBR read side. */
		gk_cls_burst_init(&cb, __atomic_load_n(dp->cls,
						       __ATOMIC_ACQUIRE),
				  p->port_id);
	/*
	 * By eight: the twin's work on a few frames hides the stores of
	 * pkt_init on the next ones (the whole burst's at once stall). The
	 * bytes are summed here, while the lengths are in registers: a second
	 * pass over the burst's descriptors costs a reload each.
	 */
	for (i0 = 0; i0 < n; i0 = e) {
		uint16_t k0 = k;

		e = n - i0 > 8 ? i0 + 8 : n;
		for (i = i0; i < e; i++) {
			if (unlikely(m[i]->nb_segs != 1)) {
				dp->exc.rx_multiseg++;
				rte_pktmbuf_free(m[i]);
				continue;
			}
			uint32_t len = m[i]->data_len;

			pkts[k++] = pkt_init(m[i], len, port_id, queue);
			bytes += len;
		}
		if (dp->cls)
			gk_cls_burst_classify(&cb, pkts + k0, (uint16_t)(k - k0),
					      act + k0, why + k0);
		else
			for (i = k0; i < k; i++)
				pkts[i]->meta.magic = 0;	/* parse: the worker's twin */
	}
	got = k;
	if (dp->cls && unlikely(!all_worker(act, k))) {
		/* What XDP would not redirect: to the TAP, or dropped. */
		for (got = 0, i = 0; i < k; i++) {
			struct gk_pkt *pkt = pkts[i];

			if (act[i] != GK_CLS_WORKER) {
				bytes -= pkt->len;
				not_worker(dp, pkt_mbuf(pkt), act[i], why[i]);
				continue;
			}
			pkts[got++] = pkt;
		}
	}
	p->rx_hand = hand;
	p->stats.rx_packets += got;
	p->stats.rx_bytes += bytes;
	return got;
}

static uint16_t dpdk_tx_burst(struct gk_port *p, struct gk_pkt **pkts,
			      uint16_t n)
{
	struct dpdk_port *dp = to_dp(p);
	struct rte_mbuf *m[GK_BURST];
	uint16_t i, k, s, sent = 0, done;
	uint64_t bytes = 0;

	for (done = 0; done < n; done += k) {
		k = (uint16_t)(n - done < GK_BURST ? n - done : GK_BURST);
		for (i = 0; i < k; i++) {
			struct gk_pkt *pkt = pkts[done + i];
			struct rte_mbuf *mb = pkt_mbuf(pkt);

			/* Stages may have moved the start (MAP-E's header). */
			mb->data_off = (uint16_t)(pkt->data -
						  (uint8_t *)mb->buf_addr);
			mb->data_len = (uint16_t)pkt->len;
			mb->pkt_len = pkt->len;
			bytes += pkt->len;
			m[i] = mb;
		}
		s = rte_eth_tx_burst(dp->eport, dp->queue, m, k);
		if (unlikely(s < k)) {
			/* The refused ones are still ours: their bytes were not sent. */
			for (i = s; i < k; i++)
				bytes -= m[i]->pkt_len;
			rte_pktmbuf_free_bulk(m + s, (unsigned int)(k - s));
		}
		sent += s;
	}
	p->stats.tx_packets += sent;
	p->stats.tx_bytes += bytes;
	p->stats.tx_drops += n - sent;
	return sent;
}

static uint16_t dpdk_alloc(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	struct dpdk_port *dp = to_dp(p);
	struct rte_mbuf *m[GK_BURST];
	uint16_t i, got = 0;

	while (got < n) {
		uint16_t k = (uint16_t)(n - got < GK_BURST ? n - got : GK_BURST);

		if (rte_pktmbuf_alloc_bulk(dp->mp, m, k)) {
			/* all or nothing: take what is left one by one */
			for (i = 0; i < k; i++) {
				m[i] = rte_pktmbuf_alloc(dp->mp);
				if (!m[i])
					break;
			}
			k = i;
		}
		for (i = 0; i < k; i++) {
			struct gk_pkt *pkt = pkt_init(m[i], 0, p->port_id,
						      p->queue);

			memset(&pkt->meta, 0, sizeof(pkt->meta));
			pkts[got++] = pkt;
		}
		if (k < GK_BURST && got < n)
			break;
	}
	return got;
}

static void dpdk_free(struct gk_port *p, struct gk_pkt **pkts, uint16_t n)
{
	struct rte_mbuf *m[GK_BURST];
	uint16_t i, k;

	/* One pool operation per burst, not one per mbuf. */
	while (n) {
		k = n < GK_BURST ? n : GK_BURST;
		for (i = 0; i < k; i++)
			m[i] = pkt_mbuf(pkts[i]);
		rte_pktmbuf_free_bulk(m, k);
		pkts += k;
		n = (uint16_t)(n - k);
	}
}

static void dpdk_close(struct gk_port *p)
{
	struct dpdk_port *dp = to_dp(p);

	if (dp->dev->nr_open)
		dp->dev->nr_open--;
	rte_free(dp);
}

/*
 * The device's counters, on queue 0's port only (they are the device's,
 * not the queue's): imissed is a full rx ring, rx_nombuf an empty pool,
 * ierrors/oerrors what the device refused. rte_eth_stats_get only reads
 * counters, as dpdk-testpmd does from its main lcore.
 */
static int dpdk_xstats(struct gk_port *p, struct gk_port_xstats *out)
{
	struct dpdk_port *dp = to_dp(p);
	struct rte_eth_stats st;
	int ret;

	memset(out, 0, sizeof(*out));
	if (dp->queue)
		return 0;
	ret = rte_eth_stats_get(dp->eport, &st);
	if (ret)
		return ret < 0 ? ret : -EIO;
	out->rx_dropped = st.ierrors;
	out->rx_ring_full = st.imissed;
	out->rx_fill_ring_empty_descs = st.rx_nombuf;
	out->tx_invalid_descs = st.oerrors;
	return 0;
}

static const struct gk_port_ops dpdk_ops = {
	.name = "dpdk",
	.rx_burst = dpdk_rx_burst,
	.tx_burst = dpdk_tx_burst,
	.flush = NULL,		/* tx_burst rings the doorbell */
	.alloc = dpdk_alloc,
	.free = dpdk_free,
	.close = dpdk_close,
	.wait_fd = NULL,	/* no rx interrupts: poll */
	.xstats = dpdk_xstats,
};

/*
 * EAL leaves its runtime directory (/var/run/dpdk/<file-prefix>) behind:
 * empty after a clean stop with --no-shconf, with its config and sockets
 * after a failed init. Remove what EAL makes there, then the directory.
 * The prefix is genkan-<instance>, and genkand refuses a second instance
 * of a name before it gets here (ctl socket).
 */
static void runtime_dir_remove(const char *dir)
{
	static const char *const eal_files[] = {
		"config", "mp_socket", "hugepage_info", "fbarray_", "dpdk_telemetry",
	};
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	size_t i;

	if (!dir[0] || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		for (i = 0; i < sizeof(eal_files) / sizeof(eal_files[0]); i++)
			if (!strncmp(de->d_name, eal_files[i], strlen(eal_files[i])))
				break;
		if (i == sizeof(eal_files) / sizeof(eal_files[0]))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) <
		    (int)sizeof(path))
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* EAL keeps pointers into its argv for the process's life. */
static char *eal_argv[MAX_EAL_ARGS + 2];
static char *eal_args_copy;

int gk_dpdk_eal_init(const char *args, char *err, size_t errlen)
{
	char *tok, *save = NULL;
	int argc = 0, ret;

	if (eal_up || eal_args_copy) {
		snprintf(err, errlen, "EAL already initialised (once per process)");
		return -EALREADY;
	}
	eal_args_copy = strdup(args ? args : "");
	if (!eal_args_copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	eal_argv[argc++] = (char *)"genkand";
	for (tok = strtok_r(eal_args_copy, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (argc > MAX_EAL_ARGS) {
			snprintf(err, errlen, "more than %d EAL arguments",
				 MAX_EAL_ARGS);
			free(eal_args_copy);
			eal_args_copy = NULL;
			return -E2BIG;
		}
		eal_argv[argc++] = tok;
	}
	eal_argv[argc] = NULL;
	ret = rte_eal_init(argc, eal_argv);
	if (ret < 0) {
		ret = rte_errno ? -rte_errno : -EINVAL;
		snprintf(err, errlen, "rte_eal_init: %s", rte_strerror(-ret));
		runtime_dir_remove(rte_eal_get_runtime_dir());
		return ret;	/* EAL may not be tried again in this process */
	}
	eal_up = true;
	return 0;
}

bool gk_dpdk_eal_ready(void)
{
	return eal_up;
}

void gk_dpdk_eal_cleanup(void)
{
	char dir[PATH_MAX];

	if (!eal_up)
		return;
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	eal_up = false;
	runtime_dir_remove(dir);
	/* eal_args_copy stays: EAL cannot be initialised twice anyway */
}

/* The per-lcore cache: what DPDK allows for n mbufs, at most 256. */
static unsigned int cache(uint32_t n)
{
	unsigned int c = 256;

	while (c && (c > RTE_MEMPOOL_CACHE_MAX_SIZE || c * 3 / 2 > n))
		c /= 2;
	return c;
}

struct gk_dpdk_pool *gk_dpdk_pool_create(const char *name, uint32_t nmbufs,
					 int socket, char *err, size_t errlen)
{
	struct gk_dpdk_pool *pool;
	/*
	 * The private area (gk_pkt) rounded up to a cache line, so that the
	 * frame starts on one (mbuf, priv and headroom are whole lines): a
	 * 64-byte frame then spans one line, not two. bench_dpdk, interleaved
	 * runs: see the commit that made it so.
	 */
	uint16_t priv = (uint16_t)RTE_ALIGN(sizeof(struct gk_pkt),
					    RTE_CACHE_LINE_SIZE);

	if (!eal_up) {
		snprintf(err, errlen, "EAL not initialised");
		return NULL;
	}
	if (nmbufs < 2 * GK_BURST) {
		snprintf(err, errlen, "%u mbufs: want at least %u", nmbufs,
			 2 * GK_BURST);
		return NULL;
	}
	pool = calloc(1, sizeof(*pool));
	if (!pool) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/*
	 * A per-lcore cache (workers register on their first burst, see
	 * lcore_register) over DPDK's "stack" driver: a LIFO under a lock
	 * nobody contends (only the owning worker gets and puts while it
	 * runs, genkand only before start and after stop), which hands back
	 * warm buffers when the cache spills or runs dry. bench_dpdk, same
	 * runs: FIFO ring, no cache 5.3 Mpps; stack, no cache 7.0; stack and
	 * cache 8.5. The ring is the fallback where the stack driver is not
	 * built.
	 */
	pool->mp = rte_pktmbuf_pool_create_by_ops(name, nmbufs, cache(nmbufs), priv,
						  RTE_PKTMBUF_HEADROOM + DATA_ROOM,
						  socket < 0 ? SOCKET_ID_ANY : socket,
						  "stack");
	if (!pool->mp)
		pool->mp = rte_pktmbuf_pool_create_by_ops(name, nmbufs, cache(nmbufs), priv,
							  RTE_PKTMBUF_HEADROOM + DATA_ROOM,
							  socket < 0 ? SOCKET_ID_ANY : socket,
							  "ring_sp_sc");
	if (!pool->mp) {
		snprintf(err, errlen, "mbuf pool %s (%u mbufs): %s", name,
			 nmbufs, rte_strerror(rte_errno));
		free(pool);
		return NULL;
	}
	return pool;
}

void gk_dpdk_pool_destroy(struct gk_dpdk_pool *pool)
{
	if (!pool)
		return;
	rte_mempool_free(pool->mp);
	free(pool);
}

uint32_t gk_dpdk_pool_nr_free(const struct gk_dpdk_pool *pool)
{
	return rte_mempool_avail_count(pool->mp);
}

/* The device name of devargs: what comes before the first comma. */
static void dev_name(const char *devargs, char *name, size_t len)
{
	size_t n = strcspn(devargs, ",");

	if (n >= len)
		n = len - 1;
	memcpy(name, devargs, n);
	name[n] = '\0';
}

static int dev_setup(struct gk_dpdk_dev *dev, const struct gk_dpdk_dev_cfg *cfg,
		     char *err, size_t errlen)
{
	/* Toeplitz with 0x6d5a repeated hashes (a, b) and (b, a) alike. */
	static uint8_t sym_key[40];
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_ether_addr ea;
	uint16_t rxd = cfg->rx_desc ? cfg->rx_desc : DEF_DESC;
	uint16_t txd = cfg->tx_desc ? cfg->tx_desc : DEF_DESC;
	uint16_t q;
	int ret, socket;

	ret = rte_eth_dev_info_get(dev->port, &info);
	if (ret) {
		snprintf(err, errlen, "%s: device info: %s", dev->name,
			 rte_strerror(-ret));
		return ret;
	}
	if (cfg->nr_queues > info.max_rx_queues ||
	    cfg->nr_queues > info.max_tx_queues) {
		snprintf(err, errlen,
			 "%s: %u workers need %u rx and tx queues, the device has %u/%u",
			 dev->name, cfg->nr_queues, cfg->nr_queues,
			 info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	memset(&conf, 0, sizeof(conf));
	/* No offloads: the stages complete checksums themselves. */
	if (cfg->nr_queues > 1 && info.flow_type_rss_offloads) {
		for (q = 0; q < sizeof(sym_key); q += 2) {
			sym_key[q] = 0x6d;
			sym_key[q + 1] = 0x5a;
		}
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = sym_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(sym_key);
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	}
	ret = rte_eth_dev_configure(dev->port, cfg->nr_queues, cfg->nr_queues,
				    &conf);
	if (ret) {
		snprintf(err, errlen, "%s: configure %u queues: %s", dev->name,
			 cfg->nr_queues, rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(dev->port, &rxd, &txd);
	if (ret) {
		snprintf(err, errlen, "%s: descriptors: %s", dev->name,
			 rte_strerror(-ret));
		return ret;
	}
	socket = rte_eth_dev_socket_id(dev->port);
	for (q = 0; q < cfg->nr_queues; q++) {
		ret = rte_eth_rx_queue_setup(dev->port, q, rxd, (unsigned)socket,
					     NULL, cfg->pools[q]->mp);
		if (ret) {
			snprintf(err, errlen, "%s: rx queue %u: %s", dev->name, q,
				 rte_strerror(-ret));
			return ret;
		}
		ret = rte_eth_tx_queue_setup(dev->port, q, txd, (unsigned)socket,
					     NULL);
		if (ret) {
			snprintf(err, errlen, "%s: tx queue %u: %s", dev->name, q,
				 rte_strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_dev_start(dev->port);
	if (ret) {
		snprintf(err, errlen, "%s: start: %s", dev->name,
			 rte_strerror(-ret));
		return ret;
	}
	/* Router: our MAC, broadcast and multicast (ARP/ND for the kernel). */
	rte_eth_allmulticast_enable(dev->port);
	ret = rte_eth_macaddr_get(dev->port, &ea);
	if (ret) {
		snprintf(err, errlen, "%s: MAC address: %s", dev->name,
			 rte_strerror(-ret));
		rte_eth_dev_stop(dev->port);
		return ret;
	}
	memcpy(dev->mac, ea.addr_bytes, 6);
	return 0;
}

int gk_dpdk_dev_open(const struct gk_dpdk_dev_cfg *cfg,
		     struct gk_dpdk_dev **out, char *err, size_t errlen)
{
	struct gk_dpdk_dev *dev;
	struct rte_eth_dev_info info;
	uint16_t q;
	int ret;

	*out = NULL;
	if (!eal_up) {
		snprintf(err, errlen, "EAL not initialised");
		return -ENODEV;
	}
	if (!cfg->devargs || !*cfg->devargs || !cfg->nr_queues ||
	    !cfg->pools) {
		snprintf(err, errlen, "devargs, queues and pools needed");
		return -EINVAL;
	}
	dev = calloc(1, sizeof(*dev));
	if (dev)
		dev->mp = calloc(cfg->nr_queues, sizeof(*dev->mp));
	if (!dev || !dev->mp) {
		free(dev);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (q = 0; q < cfg->nr_queues; q++)
		dev->mp[q] = cfg->pools[q]->mp;
	dev_name(cfg->devargs, dev->name, sizeof(dev->name));
	ret = rte_dev_probe(cfg->devargs);
	if (ret) {
		snprintf(err, errlen, "%s: probe: %s", cfg->devargs,
			 rte_strerror(-ret));
		goto err_free;
	}
	ret = rte_eth_dev_get_port_by_name(dev->name, &dev->port);
	if (ret) {
		snprintf(err, errlen, "%s: probed, but no ethdev named %s",
			 cfg->devargs, dev->name);
		ret = -ENODEV;
		goto err_free;
	}
	ret = rte_eth_dev_info_get(dev->port, &info);
	dev->rdev = ret ? NULL : info.device;
	dev->nr_queues = cfg->nr_queues;
	ret = dev_setup(dev, cfg, err, errlen);
	if (ret)
		goto err_remove;
	*out = dev;
	return 0;

err_remove:
	rte_eth_dev_close(dev->port);
	if (dev->rdev)
		rte_dev_remove(dev->rdev);
err_free:
	free(dev->mp);
	free(dev);
	return ret < 0 ? ret : -EINVAL;
}

void gk_dpdk_dev_close(struct gk_dpdk_dev *dev)
{
	if (!dev)
		return;
	rte_eth_dev_stop(dev->port);
	rte_eth_dev_close(dev->port);
	if (dev->rdev)
		rte_dev_remove(dev->rdev);
	free(dev->mp);
	free(dev);
}

void gk_dpdk_dev_mac(const struct gk_dpdk_dev *dev, uint8_t mac[6])
{
	memcpy(mac, dev->mac, 6);
}

uint16_t gk_dpdk_dev_port(const struct gk_dpdk_dev *dev)
{
	return dev->port;
}

uint16_t gk_dpdk_nr_devs(void)
{
	return rte_eth_dev_count_total();
}

int gk_dpdk_dev_mtu(const struct gk_dpdk_dev *dev)
{
	uint16_t mtu;
	int ret;

	ret = rte_eth_dev_get_mtu(dev->port, &mtu);
	return ret ? (ret < 0 ? ret : -EIO) : mtu;
}

int gk_dpdk_dev_link(const struct gk_dpdk_dev *dev)
{
	struct rte_eth_link link;
	int ret;

	ret = rte_eth_link_get_nowait(dev->port, &link);
	if (ret)
		return ret;
	return link.link_status == RTE_ETH_LINK_UP;
}

struct gk_port *gk_dpdk_port_open(struct gk_dpdk_dev *dev,
				  const struct gk_dpdk_port_cfg *cfg,
				  char *err, size_t errlen)
{
	struct dpdk_port *dp;

	if (cfg->queue >= dev->nr_queues) {
		snprintf(err, errlen, "%s: queue %u of %u", dev->name,
			 cfg->queue, dev->nr_queues);
		return NULL;
	}
	if (cfg->port_id >= GK_MAX_PORTS) {
		snprintf(err, errlen, "%s: port id %u out of range", dev->name,
			 cfg->port_id);
		return NULL;
	}
	dp = rte_zmalloc("gk_dpdk_port", sizeof(*dp), GK_CACHELINE);
	if (!dp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	dp->dev = dev;
	dp->eport = dev->port;
	dp->queue = cfg->queue;
	dp->mp = dev->mp[cfg->queue];
	dp->cls = cfg->cls;
	dp->tap_fd = cfg->tap_fd;
	dp->port.ops = &dpdk_ops;
	dp->port.priv = dp;
	dp->port.port_id = cfg->port_id;
	dp->port.queue = cfg->queue;
	dp->port.ifindex = cfg->ifindex;
	memcpy(dp->port.mac, cfg->mac ? cfg->mac : dev->mac, 6);
	atomic_init(&dp->port.hand, cfg->cls ? GK_HAND_META : GK_HAND_PARSE);
	dp->port.rx_hand = cfg->cls ? GK_HAND_META : GK_HAND_PARSE;
	dev->nr_open++;
	return &dp->port;
}

bool gk_dpdk_port_is(const struct gk_port *p)
{
	return p && p->ops == &dpdk_ops;
}

const struct gk_dpdk_exc_stats *gk_dpdk_port_exc_stats(const struct gk_port *p)
{
	return &((const struct dpdk_port *)p)->exc;
}
