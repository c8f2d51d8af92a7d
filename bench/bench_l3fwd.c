/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L3 forwarding pipeline benchmark on the memory backend: UDP frames (64
 * bytes unless --size says otherwise) whose destinations spread over random
 * routes (IPv4 /16../28, IPv6 /32../64) with resolved gateways on two ports
 * of one pool. Their UDP checksum fields hold the pseudo-header sum alone,
 * as a sender with TX checksum offload leaves them (CHECKSUM_PARTIAL).
 *
 * The pipeline figure is the real worker: gk_worker_poll() over both ports
 * with a published struct gk_tables, this thread being the QSBR reader.
 * It is measured twice: with frames classified once when queued (the
 * worker's own cost, the classifier being XDP in the kernel) and with the
 * software classifier run per packet at rx (worker + software XDP).
 * The l3fwd stage alone is timed with the TSC around gk_l3fwd_burst().
 * The cost of completing TCP/UDP checksums at rx (gk_port.csum_complete,
 * dataplane/l4csum.c) is the worker pipeline run again on the same frames
 * with the flag on, printed as a ratio and a difference in cycles/packet,
 * and gk_l4csum_burst() alone under the TSC.
 *
 * Each figure is run several times; min/median/max are printed because the
 * machine may be shared. TSC is calibrated against CLOCK_MONOTONIC.
 * A benchmark: prints figures, asserts nothing about speed.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <urcu-qsbr.h>

#include "backend_mem.h"
#include "cls_tables.h"
#include "clock.h"
#include "csum.h"
#include "fib.h"
#include "l3fwd.h"
#include "l4csum.h"
#include "tables.h"
#include "worker.h"

#define NR_FRAMES	4096
#define MIN_LEN		64
#define MAX_LEN		1514	/* the pool's 2048-byte buffers less headroom */
#define NR_GW		64
#define MAX_RUNS	64

struct opts {
	uint64_t packets;
	unsigned int routes;
	unsigned int runs;
	int family;		/* 0: both */
	int mode;		/* enum mode; M_MAX: all */
	unsigned int size;	/* frame length */
};

enum mode {
	M_WORKER,		/* gk_worker_poll, pre-classified rx */
	M_WORKER_CLS,		/* gk_worker_poll, classifier per packet */
	M_STAGE,		/* TSC around gk_l3fwd_burst only */
	M_WORKER_CSUM,		/* M_WORKER with csum_complete on the rx port */
	M_CSUM_STAGE,		/* TSC around gk_l4csum_burst only */
	M_WORKER_HEAD,		/* M_WORKER, metadata prepended and stripped */
	M_WORKER_PARSE,		/* M_WORKER, the worker's software twin */
	M_MAX
};

static const char *const mode_name[M_MAX] = {
	[M_WORKER] = "worker", [M_WORKER_CLS] = "cls", [M_STAGE] = "stage",
	[M_WORKER_CSUM] = "csum", [M_CSUM_STAGE] = "csum-stage",
	[M_WORKER_HEAD] = "head", [M_WORKER_PARSE] = "parse",
};

static const char *const mode_label[M_MAX] = {
	[M_WORKER] = "worker pipeline (rx copy+worker+tx), frames pre-classified",
	[M_WORKER_CLS] = "worker pipeline + software classifier per packet",
	[M_STAGE] = "l3fwd stage alone (gk_l3fwd_burst)",
	[M_WORKER_CSUM] = "worker pipeline, pre-classified, csum_complete on",
	[M_CSUM_STAGE] = "checksum completion alone (gk_l4csum_burst)",
	[M_WORKER_HEAD] = "worker pipeline, hand-off head (metadata stripped at rx)",
	[M_WORKER_PARSE] = "worker pipeline, hand-off parse (worker's software twin)",
};

/* One family's test bed: FIB published in tables, two ports, frames. */
struct bed {
	struct gk_tables *tables;
	struct gk_cls_tables *cls;	/* the parse hand-off's twin tables */
	struct gk_mem_pool *pool;
	struct gk_port *port[2];
};

struct result {
	uint64_t packets;
	uint64_t forwarded;
	uint64_t completed;	/* checksums completed (csum modes) */
	double mpps;
	double cpp;		/* TSC cycles per packet */
};

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static const uint8_t port_mac[2][6] = {
	{ 0x02, 0, 0, 0, 0, 0x0a }, { 0x02, 0, 0, 0, 0, 0x0b },
};

static void gw_addr(int family, unsigned int i, uint8_t *a)
{
	memset(a, 0, 16);
	if (family == AF_INET) {
		a[0] = 198;
		a[1] = 51;
		a[2] = 100;
		a[3] = (uint8_t)(1 + i);
	} else {
		a[0] = 0x20;
		a[1] = 0x01;
		a[2] = 0x0d;
		a[3] = 0xb8;
		a[15] = (uint8_t)(1 + i);
	}
}

static void random_in(int family, const struct gk_route *r, uint8_t *a)
{
	unsigned int bytes = family == AF_INET ? 4 : 16, i;

	memset(a, 0, 16);
	for (i = 0; i < bytes; i++) {
		unsigned int keep = r->plen > i * 8 ? r->plen - i * 8 : 0;
		uint8_t m = keep >= 8 ? 0xff : (uint8_t)(0xff00u >> keep);

		a[i] = (uint8_t)((r->dst[i] & m) | (rnd() & ~m));
	}
}

/* What a CHECKSUM_PARTIAL sender leaves: the pseudo-header sum, folded, not complemented. */
static void partial_udp(const uint8_t *addrs, size_t alen, uint8_t *udp,
			unsigned int udp_len)
{
	uint32_t s = (uint32_t)htons(17) + htons((uint16_t)udp_len);
	uint16_t c;

	c = (uint16_t)~gk_csum_fold(gk_csum_partial(addrs, alen, s));
	memcpy(udp + 6, &c, 2);
}

static void make_frame(int family, const uint8_t *dst, uint8_t *f,
		       unsigned int len)
{
	uint8_t *ip = f + 14;
	uint16_t c;
	unsigned int i;

	memset(f, 0, len);
	/* A payload that is not all zeros, so the sum has carries to do. */
	for (i = 62; i < len; i++)
		f[i] = (uint8_t)(i * 7);
	memcpy(f, port_mac[0], 6);
	f[6] = 0x02;
	f[11] = 0x01;
	if (family == AF_INET) {
		f[12] = 0x08;
		ip[0] = 0x45;
		ip[2] = (uint8_t)((len - 14) >> 8);
		ip[3] = (uint8_t)(len - 14);
		ip[8] = 64;
		ip[9] = 17;
		ip[12] = 192;
		ip[13] = 0;
		ip[14] = 2;
		ip[15] = 77;
		memcpy(ip + 16, dst, 4);
		c = gk_csum_ip4_hdr(ip, 20);
		memcpy(ip + 10, &c, 2);
		ip[20] = 0x30;
		ip[22] = 0x30;
		ip[24] = (uint8_t)((len - 34) >> 8);
		ip[25] = (uint8_t)(len - 34);
		partial_udp(ip + 12, 8, ip + 20, len - 34);
	} else {
		f[12] = 0x86;
		f[13] = 0xdd;
		ip[0] = 0x60;
		ip[4] = (uint8_t)((len - 54) >> 8);
		ip[5] = (uint8_t)(len - 54);
		ip[6] = 17;
		ip[7] = 64;
		ip[8] = 0x20;
		ip[9] = 0x01;
		ip[10] = 0x0d;
		ip[11] = 0xb8;
		ip[23] = 0x77;
		memcpy(ip + 24, dst, 16);
		ip[40] = 0x30;
		ip[42] = 0x30;
		ip[44] = (uint8_t)((len - 54) >> 8);
		ip[45] = (uint8_t)(len - 54);
		partial_udp(ip + 8, 32, ip + 40, len - 54);
	}
}

static int build_fib(int family, const struct opts *o, struct gk_route *routes,
		     struct gk_fib **out)
{
	struct gk_neigh_entry neigh[2 * NR_GW];
	struct gk_fib_port ports[2] = {
		{ .ifindex = 10, .port_id = 0, .mtu = 1500 },
		{ .ifindex = 11, .port_id = 1, .mtu = 1500 },
	};
	struct gk_fib_input in = { 0 };
	unsigned int i, bytes = family == AF_INET ? 4 : 16;
	char err[256];

	memcpy(ports[0].mac, port_mac[0], 6);
	memcpy(ports[1].mac, port_mac[1], 6);
	for (i = 0; i < o->routes; i++) {
		struct gk_route *r = &routes[i];
		unsigned int j;

		r->family = (uint8_t)family;
		r->plen = (uint8_t)(family == AF_INET ? 16 + rnd() % 13 :
				    32 + rnd() % 33);
		for (j = 0; j < bytes; j++)
			r->dst[j] = (uint8_t)rnd();
		/* Unicast only, or the classifier hands frames to the kernel. */
		if (family == AF_INET)
			r->dst[0] = (uint8_t)(1 + rnd() % 223);
		else
			r->dst[0] = (uint8_t)(0x20 | (r->dst[0] & 0x1f));
		if (family == AF_INET && r->dst[0] == 127)
			r->dst[0] = 10;
		r->has_gw = 1;
		r->ifindex = 10 + (i & 1);
		gw_addr(family, i % NR_GW, r->gw);
	}
	for (i = 0; i < 2 * NR_GW; i++) {
		neigh[i].family = (uint8_t)family;
		neigh[i].ifindex = 10 + i / NR_GW;
		gw_addr(family, i % NR_GW, neigh[i].addr);
		memset(neigh[i].mac, 0, 6);
		neigh[i].mac[0] = 0x02;
		neigh[i].mac[5] = (uint8_t)i;
	}
	in.routes = routes;
	in.nr_routes = o->routes;
	in.neighs = neigh;
	in.nr_neighs = 2 * NR_GW;
	in.ports = ports;
	in.nr_ports = 2;
	*out = gk_fib_build(&in, err, sizeof(err));
	if (!*out) {
		fprintf(stderr, "fib: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

static void bed_down(struct bed *b)
{
	if (b->port[1])
		b->port[1]->ops->close(b->port[1]);
	if (b->port[0])
		b->port[0]->ops->close(b->port[0]);
	gk_mem_pool_destroy(b->pool);
	gk_tables_free(b->tables);
	gk_cls_tables_free(b->cls);
	memset(b, 0, sizeof(*b));
}

static int bed_up(struct bed *b, int family, const struct opts *o)
{
	struct gk_route *routes;
	struct gk_fib *fib;
	uint8_t frame[MAX_LEN], a[16];
	unsigned int i;
	int ret;

	memset(b, 0, sizeof(*b));
	routes = calloc(o->routes, sizeof(*routes));
	if (!routes)
		return -ENOMEM;
	ret = build_fib(family, o, routes, &fib);
	if (ret)
		goto err_routes;
	ret = -ENOMEM;
	b->tables = gk_tables_new(fib, 1);
	if (!b->tables) {
		gk_fib_free(fib);
		goto err_routes;
	}
	b->pool = gk_mem_pool_create(1024, 2048);
	b->cls = gk_cls_tables_build(&(struct gk_cls_input){ 0 });
	if (!b->pool || !b->cls)
		goto err_bed;
	b->port[0] = gk_mem_port_create(b->pool, 0, port_mac[0], NULL);
	b->port[1] = gk_mem_port_create(b->pool, 1, port_mac[1], NULL);
	if (!b->port[0] || !b->port[1])
		goto err_bed;
	for (i = 0; i < NR_FRAMES; i++) {
		random_in(family, &routes[rnd() % o->routes], a);
		make_frame(family, a, frame, o->size);
		ret = gk_mem_port_add_frame(b->port[0], frame, o->size);
		if (ret)
			goto err_bed;
	}
	free(routes);
	return 0;

err_bed:
	bed_down(b);
err_routes:
	free(routes);
	return ret;
}

/* The real pipeline: what a worker thread does, pass after pass. */
static int run_worker(struct bed *b, const struct opts *o, bool per_pkt_cls,
		      bool csum, uint8_t hand, double tsc_per_ns,
		      struct result *r)
{
	static struct gk_worker w;
	struct gk_worker_cfg cfg = { .cpu = -1 };
	uint64_t t0, t1, c0, c1, total = 0;
	int ret;

	cfg.ports[0] = b->port[0];
	cfg.ports[1] = b->port[1];
	cfg.nr_ports = 2;
	cfg.tables = &b->tables;
	/* the twin's tables: like the mem ports' classifier, nothing local */
	cfg.cls = &b->cls;
	atomic_store(&b->port[0]->hand, hand);
	ret = gk_worker_init(&w, &cfg);
	if (ret)
		return ret;
	gk_mem_port_set_rx_classify(b->port[0], per_pkt_cls);
	gk_mem_port_set_loop(b->port[0], o->packets);
	b->port[0]->csum_complete = csum;

	t0 = gk_mono_ns();
	c0 = gk_cycles();
	for (;;) {
		unsigned int got = gk_worker_poll(&w);

		if (!got)
			break;
		total += got;
	}
	c1 = gk_cycles();
	t1 = gk_mono_ns();

	b->port[0]->csum_complete = 0;
	atomic_store(&b->port[0]->hand, GK_HAND_META);
	r->packets = total;
	r->forwarded = w.stats.tx_packets;
	r->completed = w.stats.events[GK_WK_EV_CSUM_COMPLETED];
	r->mpps = (double)total / (double)(t1 - t0) * 1e3;
	r->cpp = (double)(c1 - c0) / (double)total;
	(void)tsc_per_ns;
	return 0;
}

/* The stage alone: rx and tx are outside the timed region. */
static int run_stage(struct bed *b, const struct opts *o, double tsc_per_ns,
		     struct result *r)
{
	struct gk_wk_stats stats;
	struct gk_l3fwd_ctx ctx;
	struct gk_pkt *pkts[GK_BURST], *out[2][GK_BURST], *drop[GK_BURST];
	uint64_t stage = 0, total = 0, fwd = 0, c0, c1;

	memset(&stats, 0, sizeof(stats));
	memset(&ctx, 0, sizeof(ctx));
	ctx.fib = b->tables->fib;
	ctx.stats = &stats;
	gk_mem_port_set_rx_classify(b->port[0], false);
	gk_mem_port_set_loop(b->port[0], o->packets);

	for (;;) {
		uint16_t n, k, no[2] = { 0, 0 }, nd = 0;

		n = gk_port_rx(b->port[0], pkts, GK_BURST);
		if (!n)
			break;
		c0 = gk_cycles();
		gk_l3fwd_burst(&ctx, pkts, n);
		c1 = gk_cycles();
		stage += c1 - c0;
		total += n;
		for (k = 0; k < n; k++) {
			struct gk_pkt *p = pkts[k];

			if (p->verdict == GK_V_TX)
				out[p->out_port & 1][no[p->out_port & 1]++] = p;
			else
				drop[nd++] = p;
		}
		fwd += no[0] + no[1];
		gk_port_tx(b->port[0], out[0], no[0]);
		gk_port_tx(b->port[1], out[1], no[1]);
		if (nd)
			gk_port_free(b->port[0], drop, nd);
	}
	r->packets = total;
	r->forwarded = fwd;
	r->cpp = (double)stage / (double)total;
	r->mpps = tsc_per_ns * 1e3 / r->cpp;
	return 0;
}

/* Checksum completion alone: rx and tx are outside the timed region. */
static int run_csum_stage(struct bed *b, const struct opts *o,
			  double tsc_per_ns, struct result *r)
{
	struct gk_wk_stats stats;
	struct gk_pkt *pkts[GK_BURST];
	uint64_t stage = 0, total = 0, c0, c1;

	memset(&stats, 0, sizeof(stats));
	gk_mem_port_set_rx_classify(b->port[0], false);
	gk_mem_port_set_loop(b->port[0], o->packets);
	for (;;) {
		uint16_t n = gk_port_rx(b->port[0], pkts, GK_BURST);

		if (!n)
			break;
		c0 = gk_cycles();
		gk_l4csum_burst(&stats, pkts, n);
		c1 = gk_cycles();
		stage += c1 - c0;
		total += n;
		gk_port_free(b->port[0], pkts, n);
	}
	r->packets = total;
	r->forwarded = 0;
	r->completed = stats.events[GK_WK_EV_CSUM_COMPLETED];
	r->cpp = (double)stage / (double)total;
	r->mpps = tsc_per_ns * 1e3 / r->cpp;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_cpp(const struct result *res, unsigned int runs)
{
	double cpp[MAX_RUNS];
	unsigned int i;

	for (i = 0; i < runs; i++)
		cpp[i] = res[i].cpp;
	qsort(cpp, runs, sizeof(*cpp), cmp_double);
	return cpp[runs / 2];
}

static void report(const char *label, const struct result *res,
		   unsigned int runs)
{
	double mpps[MAX_RUNS], cpp[MAX_RUNS];
	unsigned int i;

	for (i = 0; i < runs; i++) {
		mpps[i] = res[i].mpps;
		cpp[i] = res[i].cpp;
	}
	qsort(mpps, runs, sizeof(*mpps), cmp_double);
	qsort(cpp, runs, sizeof(*cpp), cmp_double);
	printf("  %s\n", label);
	printf("    Mpps/core   median %6.2f  (min %6.2f, max %6.2f)\n",
	       mpps[runs / 2], mpps[0], mpps[runs - 1]);
	printf("    cycles/pkt  median %6.1f  (min %6.1f, max %6.1f)\n",
	       cpp[runs / 2], cpp[0], cpp[runs - 1]);
	printf("    %" PRIu64 " packets/run, %" PRIu64 " forwarded",
	       res[0].packets, res[0].forwarded);
	if (res[0].completed)
		printf(", %" PRIu64 " checksums completed", res[0].completed);
	printf("\n");
}

/* A mode runs when asked for, or when the csum comparison needs it. */
static bool wanted(const struct opts *o, unsigned int m)
{
	return o->mode == M_MAX || o->mode == (int)m ||
	       ((o->mode == M_WORKER_CSUM || o->mode == M_WORKER_HEAD ||
		 o->mode == M_WORKER_PARSE) && m == M_WORKER);
}

static int run(int family, const struct opts *o, double tsc_per_ns)
{
	struct result res[M_MAX][MAX_RUNS];
	const struct gk_fib *fib;
	struct bed b;
	unsigned int i, m;
	int ret;

	ret = bed_up(&b, family, o);
	if (ret)
		return ret;
	fib = b.tables->fib;
	printf("%s: %u routes, %u-byte frames, %u distinct, %u runs\n",
	       family == AF_INET ? "IPv4" : "IPv6", o->routes, o->size,
	       NR_FRAMES, o->runs);
	printf("  lpm memory: %zu KiB\n", (family == AF_INET ?
	       gk_lpm4_mem(fib->lpm4) : gk_lpm6_mem(fib->lpm6)) / 1024);
	/* Interleave the modes so drifting load hits them alike. */
	for (i = 0; i < o->runs && !ret; i++) {
		for (m = 0; m < M_MAX && !ret; m++) {
			struct result *r = &res[m][i];

			if (!wanted(o, m))
				continue;
			if (m == M_STAGE)
				ret = run_stage(&b, o, tsc_per_ns, r);
			else if (m == M_CSUM_STAGE)
				ret = run_csum_stage(&b, o, tsc_per_ns, r);
			else
				ret = run_worker(&b, o, m == M_WORKER_CLS,
						 m == M_WORKER_CSUM,
						 m == M_WORKER_HEAD ? GK_HAND_HEAD :
						 m == M_WORKER_PARSE ?
						 GK_HAND_PARSE : GK_HAND_META,
						 tsc_per_ns, r);
		}
	}
	if (!ret)
		for (m = 0; m < M_MAX; m++)
			if (wanted(o, m))
				report(mode_label[m], res[m], o->runs);
	if (!ret && wanted(o, M_WORKER) && wanted(o, M_WORKER_CSUM)) {
		double off = median_cpp(res[M_WORKER], o->runs);
		double on = median_cpp(res[M_WORKER_CSUM], o->runs);

		printf("  checksum completion, %u-byte frames: worker %.1f -> "
		       "%.1f cycles/pkt (x%.3f, %+.1f cycles/pkt)\n", o->size,
		       off, on, on / off, on - off);
	}
	if (!ret && wanted(o, M_WORKER) &&
	    (wanted(o, M_WORKER_HEAD) || wanted(o, M_WORKER_PARSE))) {
		double meta = median_cpp(res[M_WORKER], o->runs);

		printf("  hand-off, %u-byte frames: meta %.1f cycles/pkt", o->size,
		       meta);
		for (m = M_WORKER_HEAD; m <= M_WORKER_PARSE; m++) {
			double c;

			if (!wanted(o, m))
				continue;
			c = median_cpp(res[m], o->runs);
			printf(", %s %.1f (x%.3f, %+.1f)", mode_name[m], c,
			       c / meta, c - meta);
		}
		printf("\n");
	}
	bed_down(&b);
	return ret;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--packets N] [--routes N] [--runs N] "
		"[--family 4|6] [--mode worker|cls|stage|csum|csum-stage|head|parse] "
		"[--size %u..%u] [--cpu N]\n", prog, MIN_LEN, MAX_LEN);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "packets", required_argument, NULL, 'p' },
		{ "routes", required_argument, NULL, 'r' },
		{ "runs", required_argument, NULL, 'n' },
		{ "family", required_argument, NULL, 'f' },
		{ "mode", required_argument, NULL, 'm' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct opts o = { .packets = 10000000, .routes = 1000, .runs = 5,
			  .mode = M_MAX, .size = MIN_LEN };
	cpu_set_t set;
	double tsc;
	int c, ret = 0, cpu = -1;

	while ((c = getopt_long(argc, argv, "p:r:n:f:m:c:s:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o.packets = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			o.routes = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			o.runs = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'f':
			o.family = atoi(optarg);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 's':
			o.size = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'm':
			for (o.mode = 0; o.mode < M_MAX; o.mode++)
				if (!strcmp(optarg, mode_name[o.mode]))
					break;
			if (o.mode == M_MAX) {
				usage(argv[0]);
				return 2;
			}
			break;
		default:
			usage(argv[0]);
			return c == 'h' ? 0 : 2;
		}
	}
	if (!o.packets || !o.routes || !o.runs || o.runs > MAX_RUNS ||
	    o.size < MIN_LEN || o.size > MAX_LEN ||
	    (o.family && o.family != 4 && o.family != 6) ||
	    cpu >= CPU_SETSIZE) {
		usage(argv[0]);
		return 2;
	}
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			perror("sched_setaffinity");
	}
	tsc = gk_tsc_calibrate();
	printf("TSC %.3f GHz (calibrated against CLOCK_MONOTONIC)\n", tsc);
	/* gk_worker_poll() wants a registered QSBR reader: this thread. */
	rcu_register_thread();
	if (o.family != 6)
		ret = run(AF_INET, &o, tsc);
	if (!ret && o.family != 4)
		ret = run(AF_INET6, &o, tsc);
	rcu_unregister_thread();
	return ret ? 1 : 0;
}
