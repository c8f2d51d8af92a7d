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
#include "cls_tables.h"
#include "parse.h"
#include "wcorpus.h"
#include "worker.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NMBUFS		1024

static char tmpdir[256];
static struct gk_dpdk_pool *pool;

/* ---- pcap files ---- */

static void pcap_write(const char *path, const struct wc_frames *fs)
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

static void pcap_read(const char *path, struct wc_frames *fs)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc = pcap_open_offline(path, eb);

	if (!pc)
		fail_msg("%s: %s", path, eb);
	while (pcap_next_ex(pc, &h, &data) == 1)
		wc_frames_add(fs, data, h->caplen);
	pcap_close(pc);
}

static void path_of(char *buf, size_t len, const char *tag, const char *what,
		    int port)
{
	snprintf(buf, len, "%s/%s-%s%d.pcap", tmpdir, tag, what, port);
}

/* ---- one corpus (tests/afxdp/wcorpus.h) through a worker on net_pcap ---- */

static void run_dpdk(struct wc_corpus *c, struct wc_result *r)
{
	static struct gk_worker w;
	struct gk_dpdk_dev *dev[2];
	struct gk_port *p[2];
	struct gk_worker_cfg cfg;
	char in[300], out[300], devargs[800], err[256];
	unsigned int k;

	wc_worker_cfg(c, &cfg);
	for (k = 0; k < 2; k++) {
		struct gk_dpdk_dev_cfg dc = { .nr_queues = 1, .pools = &pool };
		struct gk_dpdk_port_cfg pc = {
			.port_id = (uint16_t)k, .mac = wc_mac[k],
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
	rcu_register_thread();
	for (k = 0; k < 8; k++)
		gk_worker_poll(&w);
	rcu_unregister_thread();
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

/*
 * The L3 corpus and the MAP-E CE corpus: scapy's frames, and byte for byte
 * the memory backend's with the same counters.
 */
static void run_corpus(enum wc_kind kind)
{
	struct wc_corpus c;
	struct wc_result rm = { 0 }, rd = { 0 };

	wc_corpus_init(&c, kind);
	wc_run_mem(&c, &rm);
	run_dpdk(&c, &rd);
	wc_check_scapy(&c, &rd, "dpdk");
	/* no XDP: every frame went through the twin */
	assert_int_equal(rd.st.hand_packets[GK_HAND_PARSE], wc_corpus_nr_in(&c));
	wc_same_output(&rm, &rd, "dpdk");
	wc_result_free(&rm);
	wc_result_free(&rd);
	wc_corpus_free(&c);
}

static void test_l3_pcap(void **state)
{
	run_corpus(WC_L3);
}

/* RFC 7597 Appendix A example 1 */
static void test_mape_ce_pcap(void **state)
{
	run_corpus(WC_MAPE_CE);
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
