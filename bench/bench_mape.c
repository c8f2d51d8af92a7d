/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MAP-E benchmark (issue #3): 64-byte inner IPv4/UDP packets, a BR table
 * of 1,000 rules (198.18.0.0/15 cut into /25s, EA 15, PSID offset 6, PSID
 * length 8) and a CE with the RFC 7597 example BMR. Four directions:
 * BR decap with anti-spoofing validation, BR encap, CE encap, CE decap;
 * destinations/sources spread over random rules, addresses and ports.
 *
 * Two figures per direction:
 *  - stage: TSC around gk_mape_br_burst()/gk_mape_ce_burst() only, bursts
 *    of 32; restoring the frames between rounds is not timed.
 *  - worker: the real pipeline, gk_worker_poll() over two memory-backend
 *    ports (rx copy + classify-once metadata + MAP-E stage + l3fwd + tx)
 *    with the map table and a FIB published, this thread the QSBR reader.
 *
 * Directions and figures are interleaved over several runs so drifting
 * load on a shared machine hits them alike; median/min/max are printed.
 * TSC calibrated against CLOCK_MONOTONIC. Prints figures; asserts nothing
 * about speed, but fails if a packet is not forwarded.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <urcu-qsbr.h>

#include "backend_mem.h"
#include "clock.h"
#include "csum.h"
#include "fib.h"
#include "map_rule.h"
#include "map_table.h"
#include "mape_br.h"
#include "mape_ce.h"
#include "tables.h"
#include "worker.h"

#define NR_RULES	1000
#define NR_FRAMES	4096
#define INNER_LEN	64
#define HEADROOM	256
#define BUF		(HEADROOM + 256)
#define V4_PORT		0
#define V6_PORT		1
#define MAX_RUNS	64

enum mode { M_BR_DECAP, M_BR_ENCAP, M_CE_ENCAP, M_CE_DECAP, M_MAX };
static const char *const mode_name[M_MAX] = {
	"br-decap", "br-encap", "ce-encap", "ce-decap",
};
static const char *const mode_label[M_MAX] = {
	"BR decap + validation", "BR encap", "CE encap", "CE decap",
};

enum fig { F_STAGE, F_WORKER, F_MAX };
static const char *const fig_name[F_MAX] = { "stage", "worker" };
static const char *const fig_label[F_MAX] = {
	"stage alone (TSC around the burst call)",
	"worker pipeline (rx copy + MAP-E + l3fwd + tx)",
};

static const uint8_t br_addr[16] = {
	0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 1,
};
static const uint8_t inet[4] = { 203, 0, 113, 10 };
static const uint8_t eup[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x12, 0x34 };
static const uint8_t port_mac[2][6] = {
	{ 0x02, 0, 0, 0, 0, 0x0a }, { 0x02, 0, 0, 0, 0, 0x0b },
};

struct result {
	double mpps, cpp;
	uint64_t packets, ok;
};

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet + IPv4/UDP of INNER_LEN bytes at off (ethertype set by caller). */
static void inner4(uint8_t *f, unsigned off, const uint8_t src[4],
		   const uint8_t dst[4], uint16_t sport, uint16_t dport)
{
	uint8_t *ip = f + off, *udp = ip + 20;
	uint16_t c;

	memset(ip, 0, INNER_LEN);
	ip[0] = 0x45;
	put16(ip + 2, INNER_LEN);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	c = gk_csum_ip4_hdr(ip, 20);
	memcpy(ip + 10, &c, 2);
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, INNER_LEN - 20);
}

struct frame {
	uint8_t tmpl[BUF];	/* pristine copy */
	uint32_t len;
	struct gk_xdp_meta meta;
	uint16_t in_port;
	uint8_t buf[BUF];
	struct gk_pkt pkt;
};

static void eth(uint8_t *f, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	memcpy(f, macs, 12);
	put16(f + 12, type);
}

static void mk4(struct frame *fr, const uint8_t src[4], const uint8_t dst[4],
		uint16_t sport, uint16_t dport)
{
	uint8_t *f = fr->tmpl + HEADROOM;

	eth(f, 0x0800);
	inner4(f, 14, src, dst, sport, dport);
	fr->len = 14 + INNER_LEN;
	fr->in_port = V4_PORT;
	fr->meta = (struct gk_xdp_meta){
		.magic = GK_META_MAGIC, .version = GK_META_VERSION,
		.l3_off = 14, .l4_off = 34, .l4_proto = 17,
		.flags = GK_META_F_IPV4 | GK_META_F_L4, .flow_hash = rnd(),
	};
}

static void mk6(struct frame *fr, const uint8_t s6[16], const uint8_t d6[16],
		const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
		uint16_t dport)
{
	uint8_t *f = fr->tmpl + HEADROOM, *ip6 = f + 14;

	eth(f, 0x86dd);
	memset(ip6, 0, 40);
	ip6[0] = 0x60;
	put16(ip6 + 4, INNER_LEN);
	ip6[6] = 4;
	ip6[7] = 64;
	memcpy(ip6 + 8, s6, 16);
	memcpy(ip6 + 24, d6, 16);
	inner4(f, 54, src, dst, sport, dport);
	fr->len = 54 + INNER_LEN;
	fr->in_port = V6_PORT;
	fr->meta = (struct gk_xdp_meta){
		.magic = GK_META_MAGIC, .version = GK_META_VERSION,
		.l3_off = 14, .l4_off = 54, .l4_proto = 4,
		.flags = GK_META_F_IPV6 | GK_META_F_L4, .flow_hash = rnd(),
	};
}

static void restore(struct frame *fr)
{
	memcpy(fr->buf + HEADROOM, fr->tmpl + HEADROOM, fr->len);
	fr->pkt = (struct gk_pkt){
		.data = fr->buf + HEADROOM, .len = fr->len,
		.in_port = fr->in_port, .meta = fr->meta,
		.buf_len = BUF - HEADROOM,
	};
}

/* A port of psid's set (offset 6, PSID length 8: m = 2). */
static uint16_t port_of(uint16_t psid)
{
	return (uint16_t)(((1 + rnd() % 63) << 10) | (psid << 2) | (rnd() & 3));
}

static void rule_v4(const struct gk_map_rule *r, uint8_t v4[4])
{
	memcpy(v4, r->ipv4_prefix, 4);
	v4[3] = (uint8_t)(v4[3] | (rnd() & 0x7f));
}

/* Everything one direction needs, for both figures. */
struct bed {
	struct frame *fr;		/* NR_FRAMES */
	struct gk_map_table *map;
	unsigned nr_dom;
	struct gk_tables *tables;
	struct gk_mem_pool *pool;
	struct gk_port *port[2];
};

static struct gk_map_rule rules[NR_RULES], ce_rule;
static struct gk_map_table *br_map, *ce_map;
static struct gk_map_ce_params me;

static int build_maps(void)
{
	struct gk_map_table_cfg c = {
		.role = GK_MAPE_ROLE_BR, .rules = rules, .nr_rules = NR_RULES,
		.bmr = -1, .v4_port_id = V4_PORT, .v6_port_id = V6_PORT,
		.tunnel_mtu = 1460,
	};
	char err[200];
	unsigned i;

	for (i = 0; i < NR_RULES; i++) {
		struct gk_map_rule *r = &rules[i];
		uint32_t v4 = (198u << 24 | 18u << 16) + 128u * i;

		snprintf(r->name, sizeof(r->name), "big%u", i);
		r->ipv6_prefix[0] = 0x20;
		r->ipv6_prefix[1] = 0x01;
		r->ipv6_prefix[2] = 0x0d;
		r->ipv6_prefix[3] = 0xb8;
		r->ipv6_prefix[4] = (uint8_t)((0x1000 + i) >> 8);
		r->ipv6_prefix[5] = (uint8_t)(0x1000 + i);
		r->ipv6_plen = 48;
		r->ipv4_prefix[0] = (uint8_t)(v4 >> 24);
		r->ipv4_prefix[1] = (uint8_t)(v4 >> 16);
		r->ipv4_prefix[2] = (uint8_t)(v4 >> 8);
		r->ipv4_prefix[3] = (uint8_t)v4;
		r->ipv4_plen = 25;
		r->ea_bits = 15;
		r->psid_offset = 6;
		gk_map_rule_normalize(r);
	}
	memcpy(ce_rule.ipv6_prefix, eup, 4);
	ce_rule.ipv6_plen = 40;
	ce_rule.ipv4_prefix[0] = 192;
	ce_rule.ipv4_prefix[2] = 2;
	ce_rule.ipv4_plen = 24;
	ce_rule.ea_bits = 16;
	ce_rule.psid_offset = 6;
	gk_map_rule_normalize(&ce_rule);

	memcpy(c.br_addr, br_addr, 16);
	br_map = gk_map_table_build(&c, err, sizeof(err));
	if (!br_map) {
		fprintf(stderr, "br table: %s\n", err);
		return -EINVAL;
	}
	c.role = GK_MAPE_ROLE_CE;
	c.rules = &ce_rule;
	c.nr_rules = 1;
	c.bmr = 0;
	memcpy(c.eup, eup, 16);
	c.eup_len = 56;
	ce_map = gk_map_table_build(&c, err, sizeof(err));
	if (!ce_map) {
		fprintf(stderr, "ce table: %s\n", err);
		return -EINVAL;
	}
	if (gk_map_ce_derive(&ce_rule, eup, 56, &me, err, sizeof(err))) {
		fprintf(stderr, "ce derive: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

static void make_frames(enum mode m, struct frame *fr)
{
	struct gk_map_ce_params cp;
	unsigned i;

	for (i = 0; i < NR_FRAMES; i++) {
		const struct gk_map_rule *rl = &rules[rnd() % NR_RULES];
		uint16_t psid = (uint16_t)(rnd() & 0xff), port;
		uint8_t v4[4];

		rule_v4(rl, v4);
		port = port_of(psid);
		switch (m) {
		case M_BR_DECAP:
			gk_map_br_derive(rl, v4, port, &cp, NULL, 0);
			mk6(&fr[i], cp.ce_ipv6, br_addr, v4, inet, port, 53);
			break;
		case M_BR_ENCAP:
			mk4(&fr[i], inet, v4, 53, port);
			break;
		case M_CE_ENCAP:
			mk4(&fr[i], me.ipv4, inet, port_of(me.psid), 53);
			break;
		default:
			mk6(&fr[i], br_addr, me.ce_ipv6, inet, me.ipv4, 53,
			    port_of(me.psid));
			break;
		}
	}
}

/* What the XDP program's MAP-E maps would say (gk_xdp_mape_sync). */
static int cls_v6(void *arg, const uint8_t a[16])
{
	const struct gk_map_table *t = arg;

	if (t->role == GK_MAPE_ROLE_BR)
		return memcmp(a, br_addr, 16) ? 0 : GK_CLASS_MAPE_BR;
	return memcmp(a, me.ce_ipv6, 16) ? 0 : GK_CLASS_MAPE_CE;
}

static int cls_v4(void *arg, uint32_t a_be)
{
	uint32_t a = ntohl(a_be);

	(void)arg;
	return (a >> 17) == (198u << 7 | 18u >> 1) ? GK_CLASS_MAPE_BR : 0;
}

/* Default routes both ways via resolved gateways. */
static struct gk_tables *build_fib(void)
{
	static const struct gk_fib_port ports[] = {
		{ .ifindex = 10, .port_id = V4_PORT, .mtu = 1500,
		  .mac = { 0x02, 0, 0, 0, 0, 0x0a },
		  .has_addr4 = 1, .addr4 = { 198, 51, 100, 2 } },
		{ .ifindex = 11, .port_id = V6_PORT, .mtu = 1500,
		  .mac = { 0x02, 0, 0, 0, 0, 0x0b } },
	};
	static const struct gk_route rts[] = {
		{ .family = AF_INET, .plen = 0, .has_gw = 1,
		  .gw = { 198, 51, 100, 1 }, .ifindex = 10 },
		{ .family = AF_INET6, .plen = 0, .has_gw = 1,
		  .gw = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xfe, [15] = 1 },
		  .ifindex = 11 },
	};
	static const struct gk_neigh_entry nbs[] = {
		{ .family = AF_INET, .addr = { 198, 51, 100, 1 },
		  .ifindex = 10, .mac = { 2, 0, 0, 0, 0, 0xc8 } },
		{ .family = AF_INET6,
		  .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xfe, [15] = 1 },
		  .ifindex = 11, .mac = { 2, 0, 0, 0, 0xfe, 0x06 } },
	};
	struct gk_fib_input in = {
		.routes = rts, .nr_routes = 2, .neighs = nbs, .nr_neighs = 2,
		.ports = ports, .nr_ports = 2,
	};
	struct gk_fib *fib;
	struct gk_tables *t;
	char err[200];

	fib = gk_fib_build(&in, err, sizeof(err));
	if (!fib) {
		fprintf(stderr, "fib: %s\n", err);
		return NULL;
	}
	t = gk_tables_new(fib, 1);
	if (!t)
		gk_fib_free(fib);
	return t;
}

static void bed_down(struct bed *b)
{
	unsigned i;

	for (i = 0; i < 2; i++)
		if (b->port[i])
			b->port[i]->ops->close(b->port[i]);
	if (b->pool)
		gk_mem_pool_destroy(b->pool);
	if (b->tables)
		gk_tables_free(b->tables);
	free(b->fr);
	memset(b, 0, sizeof(*b));
}

static int bed_up(struct bed *b, enum mode m)
{
	struct gk_classify_cfg cls = { .mape_v6 = cls_v6, .mape_v4 = cls_v4 };
	unsigned i;
	int ret = -ENOMEM;

	memset(b, 0, sizeof(*b));
	b->map = m <= M_BR_ENCAP ? br_map : ce_map;
	b->nr_dom = gk_map_table_nr_rules(b->map) + 1;
	b->fr = calloc(NR_FRAMES, sizeof(*b->fr));
	if (!b->fr)
		return -ENOMEM;
	make_frames(m, b->fr);
	b->tables = build_fib();
	if (!b->tables)
		goto err;
	b->pool = gk_mem_pool_create(1024, 2048);
	if (!b->pool)
		goto err;
	cls.arg = b->map;
	for (i = 0; i < 2; i++) {
		cls.mape_ce_v4_port = m == M_CE_ENCAP && i == V4_PORT;
		b->port[i] = gk_mem_port_create(b->pool, (uint16_t)i,
						port_mac[i], &cls);
		if (!b->port[i])
			goto err;
	}
	for (i = 0; i < NR_FRAMES; i++) {
		struct frame *f = &b->fr[i];

		ret = gk_mem_port_add_frame(b->port[f->in_port],
					    f->tmpl + HEADROOM, f->len);
		if (ret)
			goto err;
	}
	return 0;
err:
	bed_down(b);
	return ret;
}

static void finish(struct result *r, uint64_t c, uint64_t packets, double tsc)
{
	r->packets = packets;
	r->cpp = (double)c / (double)packets;
	r->mpps = tsc * 1e3 / r->cpp;
}

static int run_stage(struct bed *b, enum mode m, uint64_t rounds, double tsc,
		     struct result *r)
{
	struct gk_map_dom_stats *dom = calloc(b->nr_dom, sizeof(*dom));
	struct gk_mape_ctx ctx;
	struct gk_wk_stats st;
	uint64_t c = 0, i, k;

	if (!dom)
		return -ENOMEM;
	memset(&ctx, 0, sizeof(ctx));
	memset(&st, 0, sizeof(st));
	ctx.map = b->map;
	ctx.stats = &st;
	ctx.dom = dom;
	ctx.nr_dom = b->nr_dom;
	gk_mape_init(&ctx, 0, 0);
	r->ok = 0;
	for (k = 0; k < rounds; k++) {
		for (i = 0; i < NR_FRAMES; i += GK_BURST) {
			struct gk_pkt *pk[GK_BURST];
			uint64_t t0;
			unsigned j;

			for (j = 0; j < GK_BURST; j++) {
				restore(&b->fr[i + j]);
				pk[j] = &b->fr[i + j].pkt;
			}
			t0 = gk_cycles();
			if (m <= M_BR_ENCAP)
				gk_mape_br_burst(&ctx, pk, GK_BURST);
			else
				gk_mape_ce_burst(&ctx, pk, GK_BURST);
			c += gk_cycles() - t0;
			for (j = 0; j < GK_BURST; j++)
				r->ok += pk[j]->verdict == GK_V_NONE;
		}
	}
	finish(r, c, rounds * NR_FRAMES, tsc);
	gk_mape_fini(&ctx);
	free(dom);
	return 0;
}

static int run_worker(struct bed *b, uint64_t rounds, double tsc,
		      struct result *r)
{
	static struct gk_worker w;
	struct gk_worker_cfg cfg = { .cpu = -1 };
	struct gk_map_table *map = b->map;
	uint64_t c0, total = 0;
	unsigned i;
	int ret;

	for (i = 0; i < 2; i++) {
		cfg.ports[i] = b->port[i];
		gk_mem_port_set_loop(b->port[i], rounds * NR_FRAMES);
	}
	cfg.nr_ports = 2;
	cfg.tables = &b->tables;
	cfg.map = &map;
	cfg.map_nr_rules = gk_map_table_nr_rules(map);
	ret = gk_worker_init(&w, &cfg);
	if (ret)
		return ret;
	c0 = gk_cycles();
	for (;;) {
		unsigned got = gk_worker_poll(&w);

		if (!got)
			break;
		total += got;
	}
	finish(r, gk_cycles() - c0, total, tsc);
	r->ok = w.stats.tx_packets;
	gk_worker_fini(&w);
	return total == rounds * NR_FRAMES ? 0 : -EIO;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *label, const struct result *res, unsigned runs)
{
	double mpps[MAX_RUNS], cpp[MAX_RUNS];
	unsigned i;

	for (i = 0; i < runs; i++) {
		mpps[i] = res[i].mpps;
		cpp[i] = res[i].cpp;
	}
	qsort(mpps, runs, sizeof(*mpps), cmp_double);
	qsort(cpp, runs, sizeof(*cpp), cmp_double);
	printf("    %-48s Mpps %6.2f (%6.2f..%6.2f)  cyc/pkt %6.1f (%6.1f..%6.1f)  ok %" PRIu64 "/%" PRIu64 "\n",
	       label, mpps[runs / 2], mpps[0], mpps[runs - 1],
	       cpp[runs / 2], cpp[0], cpp[runs - 1], res[0].ok,
	       res[0].packets);
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--rounds N] [--runs N] [--cpu N]\n"
		"  [--mode br-decap|br-encap|ce-encap|ce-decap] [--fig stage|worker]\n",
		prog);
}

static int lookup(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "runs", required_argument, NULL, 'n' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 'm' },
		{ "fig", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct result res[M_MAX][F_MAX][MAX_RUNS];
	static struct bed beds[M_MAX];
	uint64_t rounds = 200;
	unsigned runs = 5, i;
	int opt, only_m = -1, only_f = -1, cpu = -1, m, f, ret = 0;
	cpu_set_t set;
	double tsc;

	while ((opt = getopt_long(argc, argv, "r:n:c:m:f:h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			rounds = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			runs = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'm':
			only_m = lookup(mode_name, M_MAX, optarg);
			if (only_m < 0)
				goto bad;
			break;
		case 'f':
			only_f = lookup(fig_name, F_MAX, optarg);
			if (only_f < 0)
				goto bad;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			goto bad;
		}
	}
	if (!rounds || !runs || runs > MAX_RUNS || cpu >= CPU_SETSIZE)
		goto bad;
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			perror("sched_setaffinity");
	}
	if (build_maps())
		return 1;
	for (m = 0; m < M_MAX; m++)
		if ((only_m < 0 || only_m == m) && bed_up(&beds[m], m)) {
			fprintf(stderr, "%s: setup failed\n", mode_name[m]);
			return 1;
		}
	tsc = gk_tsc_calibrate();
	printf("TSC %.3f GHz; %u BR rules, %d-byte inner packets, %u frames x %" PRIu64 " rounds, %u runs (median (min..max))\n",
	       tsc, NR_RULES, INNER_LEN, NR_FRAMES, rounds, runs);
	/* gk_worker_poll() wants a registered QSBR reader: this thread. */
	rcu_register_thread();
	for (i = 0; i < runs && !ret; i++)
		for (m = 0; m < M_MAX && !ret; m++)
			for (f = 0; f < F_MAX && !ret; f++) {
				if ((only_m >= 0 && only_m != m) ||
				    (only_f >= 0 && only_f != f))
					continue;
				ret = f == F_STAGE ?
				      run_stage(&beds[m], m, rounds, tsc, &res[m][f][i]) :
				      run_worker(&beds[m], rounds, tsc, &res[m][f][i]);
				if (!ret && res[m][f][i].ok != res[m][f][i].packets) {
					fprintf(stderr, "%s %s: %" PRIu64 " of %" PRIu64 " forwarded\n",
						mode_name[m], fig_name[f],
						res[m][f][i].ok, res[m][f][i].packets);
					ret = -EIO;
				}
			}
	rcu_unregister_thread();
	if (!ret)
		for (m = 0; m < M_MAX; m++) {
			if (only_m >= 0 && only_m != m)
				continue;
			printf("  %s\n", mode_label[m]);
			for (f = 0; f < F_MAX; f++)
				if (only_f < 0 || only_f == f)
					report(fig_label[f], res[m][f], runs);
		}
	for (m = 0; m < M_MAX; m++)
		bed_down(&beds[m]);
	gk_map_table_free(br_map);
	gk_map_table_free(ce_map);
	return ret ? 1 : 0;
bad:
	usage(argv[0]);
	return 2;
}
