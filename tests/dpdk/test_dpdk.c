// SPDX-License-Identifier: BSD-3-Clause
/*
 * The DPDK backend (issue #14) on virtual PMDs, EAL with --no-huge:
 *
 * - ops contract on net_ring (tx loops back to rx) and net_null: frames
 *   and prepended headers survive, the pool is whole after every step,
 *   a full ring's frames are freed and counted;
 * - bad devargs: a clear error and no ethdev left behind;
 * - the L3 corpus (tests/afxdp gen_worker_fixtures.py, scapy) and the
 *   MAP-E CE corpus (gen_worker_mape.py) through the worker: pcap files
 *   in through net_pcap (rx_pcap=), out through net_pcap (tx_pcap=), the
 *   output pcaps compared with scapy's frames and byte for byte with
 *   what the memory backend sends for the same input, counters equal;
 * - the exception path: with the twin at rx, ARP and frames to a local
 *   address go to the TAP fd (a socketpair here), transit to the worker,
 *   and what the kernel writes leaves on the DPDK port; a TAP frame
 *   longer than an mbuf's room is dropped and counted, not sent cut.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include <urcu-qsbr.h>

#include "backend_dpdk.h"
#include "backend_mem.h"
#include "cls_tables.h"
#include "map_table.h"
#include "parse.h"
#include "tables.h"
#include "testbed.h"
#include "worker.h"
#include "worker_fixtures.h"
#include "worker_mape_fixtures.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NMBUFS		1024
#define MAXF		64

static char tmpdir[256];
static struct gk_dpdk_pool *pool;

static const uint8_t mac0[6] = { 2, 0, 0, 0, 0, 0x0a };
static const uint8_t mac1[6] = { 2, 0, 0, 0, 0, 0x0b };

/* ---- helpers ---- */

struct frames {
	size_t n;
	uint8_t *f[MAXF];
	uint32_t len[MAXF];
};

static void frames_add(struct frames *fs, const uint8_t *b, uint32_t len)
{
	assert_true(fs->n < MAXF);
	fs->f[fs->n] = malloc(len ? len : 1);
	assert_non_null(fs->f[fs->n]);
	memcpy(fs->f[fs->n], b, len);
	fs->len[fs->n++] = len;
}

static void frames_free(struct frames *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		free(fs->f[i]);
	fs->n = 0;
}

static void pcap_write(const char *path, const struct frames *fs)
{
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;
	size_t i;

	assert_non_null(pc);
	d = pcap_dump_open(pc, path);
	assert_non_null(d);
	for (i = 0; i < fs->n; i++) {
		struct pcap_pkthdr h = { .caplen = fs->len[i], .len = fs->len[i] };

		h.ts.tv_usec = (suseconds_t)i;
		pcap_dump((u_char *)d, &h, fs->f[i]);
	}
	pcap_dump_close(d);
	pcap_close(pc);
}

static void pcap_read(const char *path, struct frames *fs)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc = pcap_open_offline(path, eb);

	if (!pc)
		fail_msg("%s: %s", path, eb);
	while (pcap_next_ex(pc, &h, &data) == 1)
		frames_add(fs, data, h->caplen);
	pcap_close(pc);
}

static void path_of(char *buf, size_t len, const char *tag, const char *what,
		    int port)
{
	snprintf(buf, len, "%s/%s-%s%d.pcap", tmpdir, tag, what, port);
}

/* ---- one corpus through a worker on either backend ---- */

struct corpus {
	const char *tag;
	struct frames in[2];			/* per input port */
	struct gk_tables *tables;
	struct gk_cls_tables *cls;
	struct gk_map_table *map;		/* NULL: no MAP-E */
};

struct result {
	struct frames out[2];
	struct gk_wk_stats st;
};

static void worker_cfg(struct corpus *c, struct gk_worker_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cpu = -1;
	cfg->tables = &c->tables;
	cfg->cls = &c->cls;
	cfg->icmp_rate = 100;
	if (c->map) {
		cfg->map = &c->map;
		cfg->map_nr_rules = 1;
	}
	cfg->nr_ports = 2;
}

static void poll_worker(struct gk_worker *w, unsigned int passes)
{
	unsigned int i;

	rcu_register_thread();
	for (i = 0; i < passes; i++)
		gk_worker_poll(w);
	rcu_unregister_thread();
}

static void run_mem(struct corpus *c, struct result *r)
{
	static struct gk_worker w;
	struct gk_worker_cfg cfg;
	struct gk_mem_pool *mp = gk_mem_pool_create(256, 2048);
	struct gk_port *p[2];
	unsigned int k;
	size_t i;

	assert_non_null(mp);
	worker_cfg(c, &cfg);
	for (k = 0; k < 2; k++) {
		struct gk_classify_cfg cc;

		gk_cls_tables_cfg(c->cls, (uint16_t)k, &cc);
		p[k] = gk_mem_port_create(mp, (uint16_t)k, k ? mac1 : mac0, &cc);
		assert_non_null(p[k]);
		gk_mem_port_set_capture(p[k], MAXF);
		for (i = 0; i < c->in[k].n; i++)
			assert_int_equal(gk_mem_port_add_frame(p[k], c->in[k].f[i],
							       c->in[k].len[i]), 0);
		cfg.ports[k] = p[k];
	}
	assert_int_equal(gk_worker_init(&w, &cfg), 0);
	poll_worker(&w, 8);
	r->st = w.stats;
	for (k = 0; k < 2; k++) {
		for (i = 0; i < gk_mem_port_nr_captured(p[k]); i++) {
			uint32_t len;
			const uint8_t *b = gk_mem_port_captured(p[k], i, &len);

			frames_add(&r->out[k], b, len);
		}
	}
	gk_worker_fini(&w);
	p[0]->ops->close(p[0]);
	p[1]->ops->close(p[1]);
	assert_int_equal(gk_mem_pool_nr_free(mp), 256);
	gk_mem_pool_destroy(mp);
}

static void run_dpdk(struct corpus *c, struct result *r)
{
	static struct gk_worker w;
	struct gk_dpdk_dev *dev[2];
	struct gk_port *p[2];
	struct gk_worker_cfg cfg;
	char in[300], out[300], devargs[800], err[256];
	unsigned int k;

	worker_cfg(c, &cfg);
	for (k = 0; k < 2; k++) {
		struct gk_dpdk_dev_cfg dc = { .nr_queues = 1, .pools = &pool };
		struct gk_dpdk_port_cfg pc = {
			.port_id = (uint16_t)k, .mac = k ? mac1 : mac0,
			.tap_fd = -1,
		};

		path_of(in, sizeof(in), c->tag, "in", (int)k);
		path_of(out, sizeof(out), c->tag, "dpdk-out", (int)k);
		pcap_write(in, &c->in[k]);
		snprintf(devargs, sizeof(devargs),
			 "net_pcap%s%u,rx_pcap=%s,tx_pcap=%s", c->tag, k, in, out);
		dc.devargs = devargs;
		if (gk_dpdk_dev_open(&dc, &dev[k], err, sizeof(err)))
			fail_msg("%s", err);
		p[k] = gk_dpdk_port_open(dev[k], &pc, err, sizeof(err));
		if (!p[k])
			fail_msg("%s", err);
		/* no XDP: the worker's twin classifies */
		assert_int_equal(atomic_load(&p[k]->hand), GK_HAND_PARSE);
		cfg.ports[k] = p[k];
	}
	assert_int_equal(gk_worker_init(&w, &cfg), 0);
	poll_worker(&w, 8);
	r->st = w.stats;
	gk_worker_fini(&w);
	for (k = 0; k < 2; k++) {
		p[k]->ops->close(p[k]);
		gk_dpdk_dev_close(dev[k]);	/* flushes the tx pcap */
		path_of(out, sizeof(out), c->tag, "dpdk-out", (int)k);
		pcap_read(out, &r->out[k]);
	}
	assert_int_equal(gk_dpdk_pool_nr_free(pool), NMBUFS);
}

/* Both backends: the same frames on the same ports, the same counters. */
static void same_output(const struct result *a, const struct result *b)
{
	unsigned int k;
	size_t i;

	for (k = 0; k < 2; k++) {
		assert_int_equal(a->out[k].n, b->out[k].n);
		for (i = 0; i < a->out[k].n; i++) {
			assert_int_equal(a->out[k].len[i], b->out[k].len[i]);
			if (memcmp(a->out[k].f[i], b->out[k].f[i], a->out[k].len[i]))
				fail_msg("port %u frame %zu: mem and dpdk differ",
					 k, i);
		}
	}
	assert_memory_equal(a->st.drops, b->st.drops, sizeof(a->st.drops));
	assert_memory_equal(a->st.class_packets, b->st.class_packets,
			    sizeof(a->st.class_packets));
	assert_int_equal(a->st.rx_packets, b->st.rx_packets);
	assert_int_equal(a->st.tx_packets, b->st.tx_packets);
	assert_int_equal(a->st.tx_bytes, b->st.tx_bytes);
}

static void result_free(struct result *r)
{
	frames_free(&r->out[0]);
	frames_free(&r->out[1]);
}

/* ---- L3 corpus: the FIB of tests/afxdp/test_worker.c (testbed.h) ---- */

static void test_l3_pcap(void **state)
{
	struct gk_cls_input none = { 0 };
	struct corpus c = { .tag = "l3" };
	struct result rm = { 0 }, rd = { 0 };
	size_t i, seen[2] = { 0, 0 };
	uint64_t drops[GK_WK_DROP_MAX] = { 0 };

	c.tables = tb_l3_tables();
	c.cls = gk_cls_tables_build(&none);
	assert_non_null(c.cls);
	for (i = 0; i < ARRAY_SIZE(wfx); i++)
		frames_add(&c.in[0], wfx[i].in, wfx[i].in_len);
	run_mem(&c, &rm);
	run_dpdk(&c, &rd);

	/* scapy's frames, in order, on the right port */
	for (i = 0; i < ARRAY_SIZE(wfx); i++) {
		int o = wfx[i].out_port;

		if (o < 0) {
			drops[wfx[i].drop]++;
			continue;
		}
		assert_true(seen[o] < rd.out[o].n);
		if (rd.out[o].len[seen[o]] != wfx[i].out_len ||
		    memcmp(rd.out[o].f[seen[o]], wfx[i].out, wfx[i].out_len))
			fail_msg("%s: dpdk output differs from scapy", wfx[i].what);
		seen[o]++;
	}
	assert_int_equal(rd.out[0].n, seen[0]);
	assert_int_equal(rd.out[1].n, seen[1]);
	for (i = 0; i < GK_WK_DROP_MAX; i++)
		if (rd.st.drops[i] != drops[i])
			fail_msg("drop %s: %lu, want %lu", gk_wk_drop_names[i],
				 (unsigned long)rd.st.drops[i],
				 (unsigned long)drops[i]);
	assert_int_equal(rd.st.hand_packets[GK_HAND_PARSE], ARRAY_SIZE(wfx));
	same_output(&rm, &rd);

	result_free(&rm);
	result_free(&rd);
	frames_free(&c.in[0]);
	gk_cls_tables_free(c.cls);
	gk_tables_free(c.tables);
}

/* ---- MAP-E CE corpus: RFC 7597 Appendix A example 1 ---- */

/*
 * scapy's frame, but the IPv6 flow label: the fixture's comes from a hash
 * the test of the worker sets by hand, ours from the twin's flow hash.
 */
static bool same_but_flow(const uint8_t *b, uint32_t len,
			  const struct wmx_fixture *x)
{
	uint8_t e[2048];

	if (len != x->out_len || len > sizeof(e))
		return false;
	memcpy(e, x->out, len);
	if (len >= 18 && (e[12] << 8 | e[13]) == 0x86dd) {
		e[15] = (uint8_t)((e[15] & 0xf0) | (b[15] & 0x0f));
		e[16] = b[16];
		e[17] = b[17];
	}
	return !memcmp(b, e, len);
}

static void test_mape_ce_pcap(void **state)
{
	struct gk_cls_v6 m6 = { .cls = GK_CLASS_MAPE_CE };
	uint32_t pflags[GK_MAX_PORTS] = { [0] = GK_PORT_F_MAPE_CE_V4 };
	struct gk_cls_input ci = {
		.mape6 = &m6, .nr_mape6 = 1, .port_flags = pflags,
	};
	struct corpus c = { .tag = "mape" };
	struct result rm = { 0 }, rd = { 0 };
	bool used[2][MAXF] = { { false } };
	size_t i, k, seen[2] = { 0, 0 };

	memcpy(m6.addr, tb_ce_addr6, 16);
	c.tables = tb_ce_fib(0, TB_CE_LAN4);
	c.map = tb_ce_map_table(1460);
	c.cls = gk_cls_tables_build(&ci);
	assert_non_null(c.cls);
	for (i = 0; i < ARRAY_SIZE(wmx); i++)
		frames_add(&c.in[wmx[i].in_port], wmx[i].in, wmx[i].in_len);
	run_mem(&c, &rm);
	run_dpdk(&c, &rd);

	for (i = 0; i < ARRAY_SIZE(wmx); i++) {
		const struct wmx_fixture *x = &wmx[i];
		int o = x->out_port;

		if (o < 0)
			continue;
		for (k = 0; k < rd.out[o].n; k++) {
			if (used[o][k])
				continue;
			if (x->icmp_type >= 0 ?
			    tb_icmp4_answers(rd.out[o].f[k], rd.out[o].len[k],
					     x->in, x->icmp_type) :
			    same_but_flow(rd.out[o].f[k], rd.out[o].len[k], x))
				break;
		}
		if (k == rd.out[o].n)
			fail_msg("%s: no dpdk frame on port %d matches scapy's",
				 x->what, o);
		used[o][k] = true;
		seen[o]++;
	}
	assert_int_equal(rd.out[0].n, seen[0]);
	assert_int_equal(rd.out[1].n, seen[1]);
	assert_int_equal(rd.st.drops[GK_WK_DROP_MAPE], 1);	/* the violation */
	same_output(&rm, &rd);

	result_free(&rm);
	result_free(&rd);
	frames_free(&c.in[0]);
	frames_free(&c.in[1]);
	gk_cls_tables_free(c.cls);
	gk_map_table_free(c.map);
	gk_tables_free(c.tables);
}

/* ---- ops contract on net_ring and net_null ---- */

static struct gk_port *open_one(const char *devargs, struct gk_dpdk_dev **dev,
				struct gk_cls_tables **cls, int tap_fd)
{
	struct gk_dpdk_dev_cfg dc = { .devargs = devargs, .nr_queues = 1,
				      .pools = &pool };
	struct gk_dpdk_port_cfg pc = { .port_id = 3, .cls = cls,
				       .tap_fd = tap_fd };
	struct gk_port *p;
	char err[256];

	if (gk_dpdk_dev_open(&dc, dev, err, sizeof(err)))
		fail_msg("%s", err);
	p = gk_dpdk_port_open(*dev, &pc, err, sizeof(err));
	if (!p)
		fail_msg("%s", err);
	return p;
}

static void test_ring_contract(void **state)
{
	struct gk_pkt *pk[GK_BURST], *rx[GK_BURST];
	struct gk_dpdk_dev *dev;
	struct gk_port *p = open_one("net_ring_c0", &dev, NULL, -1);
	struct gk_port_xstats xs;
	uint8_t mac[6];
	uint16_t n, i;

	gk_dpdk_dev_mac(dev, mac);
	assert_memory_equal(p->mac, mac, 6);
	assert_true(gk_dpdk_port_is(p));
	n = p->ops->alloc(p, pk, 8);
	assert_int_equal(n, 8);
	for (i = 0; i < n; i++) {
		/* a stage may prepend into the headroom */
		assert_int_equal(pk[i]->len, 0);
		assert_true(pk[i]->buf_len >= 1514);
		pk[i]->data -= GK_PKT_HEADROOM;
		pk[i]->len = 60 + GK_PKT_HEADROOM;
		memset(pk[i]->data, 0x40 + i, pk[i]->len);
	}
	assert_int_equal(gk_dpdk_pool_nr_free(pool), NMBUFS - 8);
	assert_int_equal(gk_port_tx(p, pk, n), 8);
	assert_int_equal(p->stats.tx_packets, 8);
	assert_int_equal(p->stats.tx_bytes, 8 * (60 + GK_PKT_HEADROOM));
	/* net_ring: what went out comes back in */
	n = gk_port_rx(p, rx, GK_BURST);
	assert_int_equal(n, 8);
	for (i = 0; i < n; i++) {
		uint8_t want[60 + GK_PKT_HEADROOM];

		memset(want, 0x40 + i, sizeof(want));
		assert_int_equal(rx[i]->len, sizeof(want));
		assert_memory_equal(rx[i]->data, want, sizeof(want));
		assert_int_equal(rx[i]->in_port, 3);
		assert_int_equal(rx[i]->meta.magic, 0);	/* parse */
		assert_int_equal(rx[i]->verdict, GK_V_NONE);
	}
	assert_int_equal(p->rx_hand, GK_HAND_PARSE);
	assert_int_equal(p->stats.rx_packets, 8);
	p->ops->free(p, rx, n);
	assert_int_equal(gk_dpdk_pool_nr_free(pool), NMBUFS);
	assert_int_equal(gk_port_xstats(p, &xs), 0);
	p->ops->close(p);
	gk_dpdk_dev_close(dev);
	assert_int_equal(gk_dpdk_pool_nr_free(pool), NMBUFS);
}

static void test_null_sink(void **state)
{
	struct gk_pkt *pk[GK_BURST];
	struct gk_dpdk_dev *dev;
	struct gk_port *p = open_one("net_null_c0,copy=1", &dev, NULL, -1);
	unsigned int r;
	uint16_t n, i;

	for (r = 0; r < 100; r++) {
		n = p->ops->alloc(p, pk, GK_BURST);
		assert_int_equal(n, GK_BURST);
		for (i = 0; i < n; i++) {
			pk[i]->len = 64;
			memset(pk[i]->data, 0, 64);
		}
		assert_int_equal(gk_port_tx(p, pk, n), n);
	}
	assert_int_equal(p->stats.tx_packets, 100 * GK_BURST);
	assert_int_equal(gk_dpdk_pool_nr_free(pool), NMBUFS);
	p->ops->close(p);
	gk_dpdk_dev_close(dev);
}

static void test_bad_devargs(void **state)
{
	struct gk_dpdk_dev_cfg dc = { .nr_queues = 1, .pools = &pool };
	static const char *const bad[] = {
		"net_nosuchpmd0", "net_pcap_bad0,rx_pcap=/nonexistent/x.pcap,tx_pcap=/tmp/x.pcap",
		"",
	};
	struct gk_dpdk_dev *dev;
	uint16_t before = gk_dpdk_nr_devs();
	char err[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		dc.devargs = bad[i];
		err[0] = '\0';
		if (gk_dpdk_dev_open(&dc, &dev, err, sizeof(err)) >= 0)
			fail_msg("%s: opened", bad[i]);
		assert_null(dev);
		if (*bad[i] && !strstr(err, bad[i]))
			fail_msg("error '%s' does not name '%s'", err, bad[i]);
		assert_true(strlen(err) > 0);
	}
	assert_int_equal(gk_dpdk_nr_devs(), before);
	assert_int_equal(gk_dpdk_pool_nr_free(pool), NMBUFS);
}

/* ---- exception path: the twin at rx, a socketpair as the TAP ---- */

static void test_exception_path(void **state)
{
	/* scapy-independent here: ARP and IPv4 headers by RFC 826/791 layout */
	static const uint8_t arp[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06,
		0, 1, 0x08, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 192, 0, 2, 1,
		0, 0, 0, 0, 0, 0, 192, 0, 2, 2,
	};
	uint32_t local = htonl(0xc0000202);	/* 192.0.2.2 */
	struct gk_cls_input ci = { .local4 = &local, .nr_local4 = 1 };
	struct gk_cls_tables *cls = gk_cls_tables_build(&ci);
	struct gk_pkt *pk[GK_BURST];
	struct gk_dpdk_dev *dev;
	struct gk_port *p;
	uint8_t frame[2][64], buf[256];
	int sv[2];
	uint16_t n;
	unsigned int i;

	assert_non_null(cls);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	p = open_one("net_ring_x0", &dev, &cls, sv[0]);
	assert_int_equal(atomic_load(&p->hand), GK_HAND_META);

	/* [0] to the local address, [1] transit: IPv4/UDP, TTL 64 */
	for (i = 0; i < 2; i++) {
		uint8_t *f = frame[i];
		uint32_t s;
		unsigned int k;

		memset(f, 0, 64);
		memcpy(f, p->mac, 6);
		memcpy(f + 6, arp + 6, 6);
		f[12] = 0x08;
		f[14] = 0x45;
		f[17] = 46;
		f[22] = 64;
		f[23] = 17;
		memcpy(f + 26, (uint8_t[]){ 192, 0, 2, 1 }, 4);
		memcpy(f + 30, i ? (uint8_t[]){ 198, 51, 100, 9 } :
				   (uint8_t[]){ 192, 0, 2, 2 }, 4);
		for (s = 0, k = 14; k < 34; k += 2)
			s += (uint32_t)(f[k] << 8 | f[k + 1]);
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		f[24] = (uint8_t)(~s >> 8);
		f[25] = (uint8_t)~s;
		f[35] = 9;
		f[37] = 9;
		f[39] = 26;
	}
	/* the kernel sends ARP and the two frames through the TAP ... */
	assert_int_equal(write(sv[1], arp, sizeof(arp)), sizeof(arp));
	assert_int_equal(write(sv[1], frame[0], 64), 64);
	assert_int_equal(write(sv[1], frame[1], 64), 64);
	/*
	 * ... rx sends them out on the device first, and net_ring loops
	 * them back into the same burst: only transit is a worker's.
	 */
	rcu_register_thread();
	n = gk_port_rx(p, pk, GK_BURST);
	rcu_unregister_thread();
	assert_int_equal(gk_dpdk_port_exc_stats(p)->from_kernel, 3);
	if (n != 1)
		fail_msg("rx %u, to kernel %lu, fail %lu, drops %lu", n,
			 (unsigned long)gk_dpdk_port_exc_stats(p)->to_kernel,
			 (unsigned long)gk_dpdk_port_exc_stats(p)->to_kernel_fail,
			 (unsigned long)gk_dpdk_port_exc_stats(p)->cls_drops);
	assert_int_equal(pk[0]->len, 64);
	/* the port counts what the worker got, not what went to the kernel */
	assert_int_equal(p->stats.rx_packets, 1);
	assert_int_equal(p->stats.rx_bytes, 64);
	assert_memory_equal(pk[0]->data, frame[1], 64);
	assert_int_equal(pk[0]->meta.magic, GK_META_MAGIC);
	assert_int_equal(pk[0]->meta.class, GK_CLASS_TRANSIT);
	assert_int_equal(p->rx_hand, GK_HAND_META);
	p->ops->free(p, pk, n);
	/* ARP and the local frame reached the kernel side, as sent */
	assert_int_equal(gk_dpdk_port_exc_stats(p)->to_kernel, 2);
	assert_int_equal(read(sv[1], buf, sizeof(buf)), sizeof(arp));
	assert_memory_equal(buf, arp, sizeof(arp));
	assert_int_equal(read(sv[1], buf, sizeof(buf)), 64);
	assert_memory_equal(buf, frame[0], 64);

	p->ops->close(p);
	gk_dpdk_dev_close(dev);
	assert_int_equal(gk_dpdk_pool_nr_free(pool), NMBUFS);
	gk_cls_tables_free(cls);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A frame from the TAP longer than an mbuf's data room (2048 bytes,
 * docs/dpdk.md) is dropped and counted, never sent cut; one of exactly the
 * room is sent whole. A SEQPACKET socketpair cuts a record to the reader's
 * buffer as the TAP does.
 */
static void test_tap_too_big(void **state)
{
	static const uint32_t lens[] = { 64, 2049, 2048, 3000, 60 };
	static const uint32_t sent[] = { 64, 2048, 60 };
	static uint8_t f[3000];
	struct gk_pkt *pk[GK_BURST];
	struct gk_dpdk_dev *dev;
	struct gk_port *p;
	int sv[2];
	uint16_t n, i;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	p = open_one("net_ring_t0", &dev, NULL, sv[0]);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		memset(f, 0x10 + i, sizeof(f));
		assert_int_equal(write(sv[1], f, lens[i]), (ssize_t)lens[i]);
	}
	/* rx sends what the kernel wrote, and net_ring loops it back */
	n = gk_port_rx(p, pk, GK_BURST);
	assert_int_equal(gk_dpdk_port_exc_stats(p)->tap_too_big, 2);
	assert_int_equal(gk_dpdk_port_exc_stats(p)->from_kernel, 3);
	assert_int_equal(gk_dpdk_port_exc_stats(p)->from_kernel_drop, 0);
	assert_int_equal(n, ARRAY_SIZE(sent));
	for (i = 0; i < n; i++) {
		static const uint8_t fill[] = { 0x10, 0x12, 0x14 };

		assert_int_equal(pk[i]->len, sent[i]);
		memset(f, fill[i], sent[i]);
		assert_memory_equal(pk[i]->data, f, sent[i]);
	}
	p->ops->free(p, pk, n);
	/* nothing left to read, and every buffer is back */
	assert_int_equal(gk_port_rx(p, pk, GK_BURST), 0);
	assert_int_equal(gk_dpdk_port_exc_stats(p)->tap_too_big, 2);
	p->ops->close(p);
	gk_dpdk_dev_close(dev);
	assert_int_equal(gk_dpdk_pool_nr_free(pool), NMBUFS);
	close(sv[0]);
	close(sv[1]);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_contract),
		cmocka_unit_test(test_null_sink),
		cmocka_unit_test(test_bad_devargs),
		cmocka_unit_test(test_l3_pcap),
		cmocka_unit_test(test_mape_ce_pcap),
		cmocka_unit_test(test_exception_path),
		cmocka_unit_test(test_tap_too_big),
	};
	char args[512], err[256];
	int ret;

	snprintf(tmpdir, sizeof(tmpdir), "%s", argc > 1 ? argv[1] : "/tmp");
	snprintf(args, sizeof(args),
		 "--no-huge --no-shconf -m 128 --no-pci --no-telemetry -l 0 "
		 "--file-prefix gktest%d --log-level=*:warning", (int)getpid());
	if (gk_dpdk_eal_init(args, err, sizeof(err))) {
		fprintf(stderr, "EAL: %s\n", err);
		return 1;
	}
	pool = gk_dpdk_pool_create("gktest", NMBUFS, -1, err, sizeof(err));
	if (!pool) {
		fprintf(stderr, "pool: %s\n", err);
		return 1;
	}
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	gk_dpdk_pool_destroy(pool);
	gk_dpdk_eal_cleanup();
	return ret;
}
