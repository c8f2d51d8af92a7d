/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L3 forwarding micro-benchmark on the memory backend: 64-byte UDP frames
 * whose destinations spread over random routes (IPv4 /16../28, IPv6
 * /32../64) with resolved gateways on two ports. Loop: rx_burst ->
 * gk_l3fwd_burst -> tx_burst. Prints Mpps on one core and cycles/packet
 * for the stage alone and for the whole loop. Asserts nothing about speed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "dataplane/backend_mem.h"
#include "dataplane/csum.h"
#include "dataplane/fib.h"
#include "dataplane/l3fwd.h"

#define NR_FRAMES	4096
#define FRAME_LEN	64
#define NR_GW		64

struct opts {
	uint64_t packets;
	unsigned int routes;
};

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t cycles(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	return now_ns();
#endif
}

/* TSC ticks per nanosecond, measured against CLOCK_MONOTONIC. */
static double calibrate(void)
{
	uint64_t t0 = now_ns(), c0 = cycles(), t1, c1;

	do
		t1 = now_ns();
	while (t1 - t0 < 200000000ull);
	c1 = cycles();
	return (double)(c1 - c0) / (double)(t1 - t0);
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

static void make_frame(int family, const uint8_t *dst, uint8_t *f)
{
	uint8_t *ip = f + 14;
	uint16_t c;

	memset(f, 0, FRAME_LEN);
	memcpy(f, port_mac[0], 6);
	f[6] = 0x02;
	f[11] = 0x01;
	if (family == AF_INET) {
		f[12] = 0x08;
		ip[0] = 0x45;
		ip[3] = FRAME_LEN - 14;
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
		ip[25] = FRAME_LEN - 34;
	} else {
		f[12] = 0x86;
		f[13] = 0xdd;
		ip[0] = 0x60;
		ip[5] = FRAME_LEN - 54;
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
		ip[45] = FRAME_LEN - 54;
	}
}

static int run(int family, const struct opts *o, double tsc_per_ns)
{
	struct gk_route *routes;
	struct gk_neigh_entry neigh[2 * NR_GW];
	struct gk_fib_port ports[2] = {
		{ .ifindex = 10, .port_id = 0, .mtu = 1500 },
		{ .ifindex = 11, .port_id = 1, .mtu = 1500 },
	};
	struct gk_fib_input in = { 0 };
	struct gk_mem_pool *pool;
	struct gk_port *port[2];
	struct gk_fib *fib;
	struct gk_wk_stats stats;
	struct gk_l3fwd_ctx ctx;
	struct gk_pkt *pkts[GK_BURST], *out[2][GK_BURST], *drop[GK_BURST];
	uint64_t stage = 0, total = 0, fwd = 0, c0, c1, t0, t1;
	uint8_t frame[FRAME_LEN], a[16];
	unsigned int i, bytes = family == AF_INET ? 4 : 16;
	char err[256];
	int ret = -ENOMEM;

	memcpy(ports[0].mac, port_mac[0], 6);
	memcpy(ports[1].mac, port_mac[1], 6);
	routes = calloc(o->routes, sizeof(*routes));
	if (!routes)
		return -ENOMEM;
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
	fib = gk_fib_build(&in, err, sizeof(err));
	if (!fib) {
		fprintf(stderr, "fib: %s\n", err);
		ret = -EINVAL;
		goto err_routes;
	}
	pool = gk_mem_pool_create(1024, 2048);
	if (!pool)
		goto err_fib;
	port[0] = gk_mem_port_create(pool, 0, port_mac[0], NULL);
	port[1] = gk_mem_port_create(pool, 1, port_mac[1], NULL);
	if (!port[0] || !port[1])
		goto err_ports;
	for (i = 0; i < NR_FRAMES; i++) {
		random_in(family, &routes[rnd() % o->routes], a);
		make_frame(family, a, frame);
		ret = gk_mem_port_add_frame(port[0], frame, FRAME_LEN);
		if (ret)
			goto err_ports;
	}
	gk_mem_port_set_loop(port[0], o->packets);

	memset(&stats, 0, sizeof(stats));
	memset(&ctx, 0, sizeof(ctx));
	ctx.fib = fib;
	ctx.stats = &stats;

	t0 = now_ns();
	for (;;) {
		uint16_t n, k, no[2] = { 0, 0 }, nd = 0;

		n = gk_port_rx(port[0], pkts, GK_BURST);
		if (!n)
			break;
		c0 = cycles();
		gk_l3fwd_burst(&ctx, pkts, n);
		c1 = cycles();
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
		gk_port_tx(port[0], out[0], no[0]);
		gk_port_tx(port[1], out[1], no[1]);
		if (nd)
			gk_port_free(port[0], drop, nd);
	}
	t1 = now_ns();

	{
		double ns = (double)(t1 - t0);
		double loop_cpp = ns * tsc_per_ns / (double)total;
		double stage_cpp = (double)stage / (double)total;

		printf("%s: %u routes, %" PRIu64 " packets, %" PRIu64
		       " forwarded, %" PRIu64 " dropped\n",
		       family == AF_INET ? "IPv4" : "IPv6", o->routes, total,
		       fwd, total - fwd);
		printf("  whole loop (rx+l3fwd+tx): %7.2f Mpps/core  %6.1f cycles/pkt\n",
		       (double)total / ns * 1e3, loop_cpp);
		printf("  l3fwd stage alone:        %7.2f Mpps/core  %6.1f cycles/pkt\n",
		       tsc_per_ns * 1e3 / stage_cpp, stage_cpp);
		printf("  lpm memory: %zu KiB\n", (family == AF_INET ?
		       gk_lpm4_mem(fib->lpm4) : gk_lpm6_mem(fib->lpm6)) / 1024);
	}
	ret = 0;

err_ports:
	if (port[1])
		port[1]->ops->close(port[1]);
	if (port[0])
		port[0]->ops->close(port[0]);
	gk_mem_pool_destroy(pool);
err_fib:
	gk_fib_free(fib);
err_routes:
	free(routes);
	return ret;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--packets N] [--routes N]\n", prog);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "packets", required_argument, NULL, 'p' },
		{ "routes", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct opts o = { .packets = 20000000, .routes = 1000 };
	double tsc;
	int c;

	while ((c = getopt_long(argc, argv, "p:r:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o.packets = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			o.routes = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
			return c == 'h' ? 0 : 2;
		}
	}
	if (!o.packets || !o.routes) {
		usage(argv[0]);
		return 2;
	}
	tsc = calibrate();
	printf("TSC %.3f GHz (calibrated against CLOCK_MONOTONIC)\n", tsc);
	if (run(AF_INET, &o, tsc) || run(AF_INET6, &o, tsc))
		return 1;
	return 0;
}
