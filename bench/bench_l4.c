/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Front door benchmark (issue #11): 64-byte IPv4/TCP frames from clients
 * in 100.64.0.0/10 to a service 203.0.113.80:443 with 8 backends (Maglev
 * M = 65537), among --services listen ports in all, on the memory backend.
 *
 * Figures, each run several times with the modes interleaved (median,
 * min, max: the machine may be shared):
 *  - established flows (--flows of them, pinned by an untimed first pass):
 *    gk_l4_fwd_burst() alone under the TSC (rx and free outside), and the
 *    worker pipeline (gk_worker_poll: rx copy, sort, stage, reply hook,
 *    L3, tx) as bench_l3fwd measures it;
 *  - the same worker forwarding the same frames addressed to the backends
 *    themselves (plain transit, one route and the same neighbors), with
 *    no [l4-service] and with one (every routed packet then passes the
 *    reverse hook): the ratio established / plain forwarding;
 *  - replies from the backends through the worker (reverse rewrite);
 *  - new flows: the stage alone with a tuple never seen before in every
 *    packet (tuple patched outside the timed region), into a table with
 *    room and into a full one (every new flow evicts), and the worker
 *    cycling over 4 x max_flows distinct frames (each packet new);
 *  - 1M active flows: --active flows pinned, then packets for them in
 *    random order (stage) or in frame order (worker), table of 2M slots.
 *
 * --snat: every service client_ip = snat from one pool of 256 addresses
 * (198.18.200.0-255, ports 1024-65535, one worker's), so each new flow
 * also takes a pool port and each packet rewrites both ends; the replies
 * come from each flow's backend to its pool address:port (the order the
 * allocator hands them out, docs/l4.md), after the established flows were
 * pinned on the same worker.
 *
 * Goals of the issue: >= 10 Mpps/core established through the worker,
 * >= 2M new flows/s. Prints figures, asserts nothing about speed; exits 1
 * on a setup error or when a mode forwards less than it should.
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

#include <genkan/flowhash.h>
#include "backend_mem.h"
#include "clock.h"
#include "fib.h"
#include "l4.h"
#include "l4_snat.h"
#include "maglev.h"
#include "tables.h"
#include "worker.h"

#define FRAME		64
#define NR_BE		8
#define MAX_RUNS	64
#define LPORT		443
#define EST_MAX_FLOWS	65536u
#define NEW_MAX_FLOWS	65536u
#define ROOM_FLOWS	2000000u	/* new flows into a table of twice that */

struct opts {
	uint64_t packets;	/* established, plain forwarding, replies */
	uint64_t slow;		/* new flows, active flows */
	unsigned int runs;
	unsigned int flows;	/* established set */
	unsigned int active;	/* the big table's flows */
	unsigned int services;
	int mode;		/* enum mode; M_MAX: all */
	bool snat;		/* client_ip = snat */
};

enum mode {
	M_STAGE_EST,
	M_WORKER_EST,
	M_WORKER_L3,
	M_WORKER_L3_L4,
	M_WORKER_REV,
	M_STAGE_NEW,
	M_STAGE_NEW_FULL,
	M_WORKER_NEW,
	M_STAGE_ACTIVE,
	M_WORKER_ACTIVE,
	M_MAX
};

static const char *const mode_name[M_MAX] = {
	[M_STAGE_EST] = "stage", [M_WORKER_EST] = "worker",
	[M_WORKER_L3] = "l3", [M_WORKER_L3_L4] = "l3-l4on",
	[M_WORKER_REV] = "rev", [M_STAGE_NEW] = "stage-new",
	[M_STAGE_NEW_FULL] = "stage-new-full", [M_WORKER_NEW] = "worker-new",
	[M_STAGE_ACTIVE] = "stage-1m", [M_WORKER_ACTIVE] = "worker-1m",
};

static const char *const mode_label[M_MAX] = {
	[M_STAGE_EST] = "established flows, gk_l4_fwd_burst alone",
	[M_WORKER_EST] = "established flows, worker pipeline",
	[M_WORKER_L3] = "plain forwarding, worker pipeline, no [l4-service]",
	[M_WORKER_L3_L4] = "plain forwarding, worker pipeline, [l4-service] on "
			   "(reverse hook on every packet)",
	[M_WORKER_REV] = "backends' replies, worker pipeline (reverse rewrite)",
	[M_STAGE_NEW] = "new flows, gk_l4_fwd_burst alone, table with room "
			"(2M into 4M slots)",
	[M_STAGE_NEW_FULL] = "new flows, gk_l4_fwd_burst alone, table full "
			     "(each evicts)",
	[M_WORKER_NEW] = "new flows, worker pipeline, table full (each evicts)",
	[M_STAGE_ACTIVE] = "active flows in a big table, gk_l4_fwd_burst alone, "
			   "random order",
	[M_WORKER_ACTIVE] = "active flows in a big table, worker pipeline",
};

struct result {
	uint64_t packets, forwarded, new_flows, hits, evicted;
	double mpps;
	double cpp;
};

/* Ports: client side (id 0) and backend side (id 1), one of each per use. */
struct bed {
	struct gk_tables *tables;
	struct gk_l4_table *l4;
	uint32_t nr_be;
	struct gk_mem_pool *pool;
	struct gk_port *est;	/* id 0: established set, to the service */
	struct gk_port *plain;	/* id 0: the same, to the backends */
	struct gk_port *newf;	/* id 0: 4 x NEW_MAX_FLOWS distinct flows */
	struct gk_port *act;	/* id 0: --active distinct flows */
	struct gk_port *idle0;	/* id 0: nothing to receive */
	struct gk_port *back;	/* id 1: egress to the backends */
	struct gk_port *rev;	/* id 1: replies of the backends */
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
static const uint8_t listen4[4] = { 203, 0, 113, 80 };
static const uint8_t pool4[4] = { 198, 18, 200, 0 };	/* --snat: 256 of them */
#define POOL_ADDRS	256
#define POOL_PLO	1024
#define POOL_PORTS	(65535 - POOL_PLO + 1)

/* Client i: 100.64.0.0/10 address, then the port (unique below 2^22 x 64k). */
static void client(uint32_t i, uint8_t a[4], uint16_t *port)
{
	uint32_t h = htonl(0x64400000u | (i & 0x3fffff));

	memcpy(a, &h, 4);
	*port = (uint16_t)(1024 + (i >> 22));
}

static void backend(unsigned int j, uint8_t a[4])
{
	a[0] = 10;
	a[1] = 0;
	a[2] = 1;
	a[3] = (uint8_t)(1 + j);
}

/* An ACK of 10 payload bytes: 64 bytes on the wire without the FCS. */
static void mk_tcp(uint8_t *f, const uint8_t src[4], uint16_t sp,
		   const uint8_t dst[4], uint16_t dp, bool from_backend)
{
	uint8_t *ip = f + 14, *th = ip + 20;

	memset(f, 0, FRAME);
	memcpy(f, port_mac[from_backend], 6);
	f[6] = 0x02;
	f[11] = from_backend ? 0x21 : 0x01;
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = FRAME - 14;
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	th[0] = (uint8_t)(sp >> 8);
	th[1] = (uint8_t)sp;
	th[2] = (uint8_t)(dp >> 8);
	th[3] = (uint8_t)dp;
	th[12] = 0x50;
	th[13] = 0x10;
	th[14] = 0xff;
	th[15] = 0xff;
	for (unsigned int i = 54; i < FRAME; i++)
		f[i] = (uint8_t)(i * 7);
	/* checksums: the stage and L3 update them, never check them */
	th[16] = 0x12;
	th[17] = 0x34;
	ip[10] = 0x56;
	ip[11] = 0x78;
}

/* The service table genkand would publish: --services ports, 8 backends. */
static struct gk_l4_table *build_l4(const struct opts *o, uint32_t *nr_be)
{
	struct gk_l4_service *svc = calloc(o->services, sizeof(*svc));
	struct gk_maglev_backend mb[NR_BE];
	unsigned int i, j;

	if (!svc)
		return NULL;
	for (i = 0; i < o->services; i++) {
		struct gk_l4_service *s = &svc[i];

		s->family = 4;
		s->proto = 6;
		/* the service under test first, then other ports */
		s->port_lo = s->port_hi = (uint16_t)(i ? 8000 + i : LPORT);
		memcpy(s->addr, listen4, 4);
		s->m = GK_MAGLEV_M_DEFAULT;
		s->tcp_idle_ns = 300ull * 1000000000;
		s->tcp_fin_ns = 10ull * 1000000000;
		s->udp_idle_ns = 30ull * 1000000000;
		if (o->snat) {
			s->snat = 1;
			s->snat_plo = POOL_PLO;
			s->snat_phi = 65535;
			s->snat_naddr = POOL_ADDRS;
			memcpy(s->snat_lo, pool4, 4);
		}
		s->nr_be = NR_BE;
		s->be = calloc(NR_BE, sizeof(*s->be));
		s->table = calloc(s->m, sizeof(*s->table));
		if (!s->be || !s->table)
			goto err;
		memset(mb, 0, sizeof(mb));
		for (j = 0; j < NR_BE; j++) {
			s->be[j].family = 4;
			s->be[j].state = GK_L4_BE_UP;
			/* other services: other backends (replies tell them apart) */
			backend(j, s->be[j].addr);
			s->be[j].addr[2] = (uint8_t)(1 + i);
			if (gk_maglev_key_inet(&mb[j], AF_INET, s->be[j].addr, 0))
				goto err;
			mb[j].weight = 1;
		}
		if (gk_maglev_build(mb, NR_BE, s->m, s->table))
			goto err;
	}
	*nr_be = o->services * NR_BE;
	return gk_l4_table_new(svc, o->services);

err:
	for (i = 0; i < o->services; i++) {
		free(svc[i].be);
		free(svc[i].table);
	}
	free(svc);
	return NULL;
}

/*
 * Clients behind a router on port 0, backends behind one on port 1 (as
 * behind a tunnel peer): next hops resolved once per route, as in
 * bench_l3fwd, not per destination.
 */
static struct gk_tables *build_fib(void)
{
	struct gk_route routes[2] = {
		{ .family = AF_INET, .plen = 10, .has_gw = 1,
		  .dst = { 100, 64 }, .gw = { 192, 0, 2, 254 }, .ifindex = 10 },
		{ .family = AF_INET, .plen = 16, .has_gw = 1, .dst = { 10, 0 },
		  .gw = { 198, 18, 0, 1 }, .ifindex = 11 },
	};
	struct gk_neigh_entry neigh[2];
	struct gk_fib_port ports[2] = {
		{ .ifindex = 10, .port_id = 0, .mtu = 1500 },
		{ .ifindex = 11, .port_id = 1, .mtu = 1500 },
	};
	struct gk_fib_input in = { 0 };
	struct gk_tables *t;
	struct gk_fib *fib;
	char err[256];
	unsigned int j;

	memcpy(ports[0].mac, port_mac[0], 6);
	memcpy(ports[1].mac, port_mac[1], 6);
	memset(neigh, 0, sizeof(neigh));
	for (j = 0; j < 2; j++) {
		neigh[j].family = AF_INET;
		neigh[j].ifindex = routes[j].ifindex;
		memcpy(neigh[j].addr, routes[j].gw, 4);
		neigh[j].mac[0] = 0x02;
		neigh[j].mac[4] = 0xfe;
		neigh[j].mac[5] = (uint8_t)j;
	}
	in.routes = routes;
	in.nr_routes = 2;
	in.neighs = neigh;
	in.nr_neighs = 2;
	in.ports = ports;
	in.nr_ports = 2;
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

/* Rule 10 of the classifier: the memory ports' stand-in for gk_l4svc. */
static const struct gk_l4_table *cls_l4;

static bool l4svc(void *arg, uint8_t family, uint8_t proto,
		  const uint8_t *addr, uint16_t port)
{
	(void)arg;
	return gk_l4_find_listen(cls_l4, family, proto, addr, port) >= 0;
}

/* n frames of flows first.. to the listen address, or to the backends. */
static int fill(struct gk_port *p, uint32_t first, uint32_t n, bool to_backend)
{
	uint8_t f[FRAME], a[4], d[4];
	uint16_t sp;
	uint32_t i;
	int ret;

	for (i = 0; i < n; i++) {
		client(first + i, a, &sp);
		if (to_backend)
			backend(i % NR_BE, d);
		mk_tcp(f, a, sp, to_backend ? d : listen4, LPORT, false);
		ret = gk_mem_port_add_frame(p, f, FRAME);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Replies: backend j of the service to the established clients; with
 * snat, flow i's backend to the pool address:port it got (the i-th).
 */
static int fill_rev(struct gk_port *p, const struct gk_l4_table *t,
		    uint32_t n, bool snat)
{
	uint8_t f[FRAME], a[4], b[4];
	uint16_t sp;
	uint32_t i;
	int ret;

	for (i = 0; i < n; i++) {
		client(i, a, &sp);
		backend(i % NR_BE, b);
		if (snat) {
			int k = gk_l4_pick(&t->svc[0], a, sp, LPORT);

			if (k < 0)
				return -EINVAL;
			memcpy(b, t->svc[0].be[k].addr, 4);
			memcpy(a, pool4, 4);
			a[3] = (uint8_t)(i / POOL_PORTS);
			sp = (uint16_t)(POOL_PLO + i % POOL_PORTS);
		}
		mk_tcp(f, b, LPORT, a, sp, true);
		ret = gk_mem_port_add_frame(p, f, FRAME);
		if (ret)
			return ret;
	}
	return 0;
}

static void bed_down(struct bed *b)
{
	struct gk_port *ports[] = { b->est, b->plain, b->newf, b->act,
				    b->idle0, b->back, b->rev };

	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (ports[i])
			ports[i]->ops->close(ports[i]);
	gk_mem_pool_destroy(b->pool);
	gk_tables_free(b->tables);
	gk_l4_table_free(b->l4);
	memset(b, 0, sizeof(*b));
}

static int bed_up(struct bed *b, const struct opts *o)
{
	struct gk_classify_cfg cls = { .l4svc = l4svc };
	int ret = -ENOMEM;

	memset(b, 0, sizeof(*b));
	b->tables = build_fib();
	b->l4 = build_l4(o, &b->nr_be);
	b->pool = gk_mem_pool_create(1024, 2048);
	if (!b->tables || !b->l4 || !b->pool)
		goto err;
	cls_l4 = b->l4;
	b->est = gk_mem_port_create(b->pool, 0, port_mac[0], &cls);
	b->plain = gk_mem_port_create(b->pool, 0, port_mac[0], &cls);
	b->newf = gk_mem_port_create(b->pool, 0, port_mac[0], &cls);
	b->act = gk_mem_port_create(b->pool, 0, port_mac[0], &cls);
	b->idle0 = gk_mem_port_create(b->pool, 0, port_mac[0], &cls);
	b->back = gk_mem_port_create(b->pool, 1, port_mac[1], &cls);
	b->rev = gk_mem_port_create(b->pool, 1, port_mac[1], &cls);
	if (!b->est || !b->plain || !b->newf || !b->act || !b->idle0 ||
	    !b->back || !b->rev)
		goto err;
	ret = fill(b->est, 0, o->flows, false);
	if (!ret)
		ret = fill(b->plain, 0, o->flows, true);
	if (!ret)
		ret = fill(b->newf, 1u << 24, 4 * NEW_MAX_FLOWS, false);
	if (!ret)
		ret = fill(b->act, 1u << 25, o->active, false);
	if (!ret)
		ret = fill_rev(b->rev, b->l4, o->flows, o->snat);
	if (ret)
		goto err;
	return 0;

err:
	bed_down(b);
	return ret;
}

/* ----------------------------------------------------------- the worker */

/*
 * The pipeline a worker thread runs: rx0 on the client side, rx1 on the
 * backends' side (one of them has frames). warm packets first, untimed.
 */
static int run_worker(struct bed *b, struct gk_port *rx0, struct gk_port *rx1,
		      struct gk_port *src, bool l4, uint32_t max_flows,
		      struct gk_port *warm_src, uint64_t warm, uint64_t packets,
		      struct result *r)
{
	static struct gk_worker w;
	struct gk_worker_cfg cfg = { .cpu = -1 };
	uint64_t t0, t1, c0, c1, total = 0, tx0, cnt0[GK_L4_CNT_MAX] = { 0 };
	int ret;

	cfg.ports[0] = rx0;
	cfg.ports[1] = rx1;
	cfg.nr_ports = 2;
	cfg.tables = &b->tables;
	if (l4) {
		cfg.l4 = &b->l4;
		cfg.l4_max_flows = max_flows;
		cfg.l4_nr_be = b->nr_be;
	}
	ret = gk_worker_init(&w, &cfg);
	if (ret)
		return ret;
	/* the other port has no frames; src's pin the flows first */
	if (warm) {
		gk_mem_port_set_loop(warm_src ? warm_src : src, warm);
		while (gk_worker_poll(&w))
			;
	}
	gk_mem_port_set_loop(src, packets);
	tx0 = w.stats.tx_packets;
	if (w.l4)
		memcpy(cnt0, w.l4->cnt, sizeof(cnt0));

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

	r->packets = total;
	r->forwarded = w.stats.tx_packets - tx0;
	if (w.l4) {
		r->new_flows = w.l4->cnt[GK_L4_NEW_FLOWS] - cnt0[GK_L4_NEW_FLOWS];
		r->hits = w.l4->cnt[GK_L4_HITS] - cnt0[GK_L4_HITS];
		r->evicted = w.l4->cnt[GK_L4_EVICTED] - cnt0[GK_L4_EVICTED];
	}
	r->mpps = (double)total / (double)(t1 - t0) * 1e3;
	r->cpp = (double)(c1 - c0) / (double)total;
	gk_worker_fini(&w);
	return 0;
}

/* ------------------------------------------------------------ the stage */

enum patch { P_NONE, P_SEQ, P_RANDOM };

/* Give a received packet flow i's tuple, as the classifier would hash it. */
static void retuple(struct gk_pkt *p, uint32_t i)
{
	uint8_t *ip = p->data + 14, a[4];
	uint32_t s, d, ports;
	uint16_t sp;

	client(i, a, &sp);
	memcpy(ip + 12, a, 4);
	ip[20] = (uint8_t)(sp >> 8);
	ip[21] = (uint8_t)sp;
	memcpy(&s, ip + 12, 4);
	memcpy(&d, ip + 16, 4);
	memcpy(&ports, ip + 20, 4);
	p->meta.flow_hash = gk_flow_hash4(s, d, ports, 6);
}

/*
 * gk_l4_fwd_burst under the TSC; rx, re-tupling and free outside. P_SEQ:
 * flow first, first + 1, ...; P_RANDOM: one of first..first+span-1.
 */
static void stage_pass(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		       struct gk_port *src, uint64_t packets, enum patch how,
		       uint32_t first, uint32_t span, struct result *r)
{
	struct gk_pkt *pkts[GK_BURST];
	uint64_t cyc = 0, total = 0, fwd = 0, c0, c1;
	uint32_t seq = first;
	uint16_t n, k;

	gk_mem_port_set_loop(src, packets);
	for (;;) {
		n = gk_port_rx(src, pkts, GK_BURST);
		if (!n)
			break;
		if (how == P_SEQ)
			for (k = 0; k < n; k++)
				retuple(pkts[k], seq++);
		else if (how == P_RANDOM)
			for (k = 0; k < n; k++)
				retuple(pkts[k], first + rnd() % span);
		c0 = gk_cycles();
		gk_l4_fwd_burst(c, t, pkts, n);
		c1 = gk_cycles();
		cyc += c1 - c0;
		total += n;
		for (k = 0; k < n; k++)
			fwd += pkts[k]->verdict == GK_V_NONE;
		gk_port_free(src, pkts, n);
	}
	if (r) {
		r->packets = total;
		r->forwarded = fwd;
		r->cpp = (double)cyc / (double)(total ? total : 1);
	}
}

static int run_stage(struct bed *b, const struct opts *o, enum mode m,
		     double tsc, struct result *r)
{
	static struct gk_wk_stats stats;
	struct gk_l4_ctx c;
	uint64_t cnt0[GK_L4_CNT_MAX];
	uint32_t max = m == M_STAGE_EST ? EST_MAX_FLOWS :
		       m == M_STAGE_NEW_FULL ? NEW_MAX_FLOWS :
		       m == M_STAGE_NEW ? 2 * ROOM_FLOWS : 2 * o->active;
	uint64_t packets = m == M_STAGE_EST ? o->packets :
			   m == M_STAGE_NEW && o->slow > ROOM_FLOWS ?
			   ROOM_FLOWS : o->slow;
	int ret = gk_l4_ctx_init(&c, max, b->nr_be);

	if (!ret)
		ret = gk_l4_snat_init(&c, b->l4, 0, 1);
	if (ret) {
		gk_l4_ctx_fini(&c);
		return ret;
	}
	c.stats = &stats;
	c.now_ns = 1000000000ull;
	/* a worker's table is in use long before: no first-touch faults */
	memset(c.flows, 0, (size_t)c.nr_buckets * GK_L4_WAYS *
	       sizeof(*c.flows));
	switch (m) {
	case M_STAGE_EST:
		stage_pass(&c, b->l4, b->est, o->flows, P_NONE, 0, 0, NULL);
		memcpy(cnt0, c.cnt, sizeof(cnt0));
		stage_pass(&c, b->l4, b->est, packets, P_NONE, 0, 0, r);
		break;
	case M_STAGE_NEW:
	case M_STAGE_NEW_FULL:
		if (m == M_STAGE_NEW_FULL)	/* fill it first */
			stage_pass(&c, b->l4, b->est, 4 * NEW_MAX_FLOWS, P_SEQ,
				   1u << 26, 0, NULL);
		memcpy(cnt0, c.cnt, sizeof(cnt0));
		stage_pass(&c, b->l4, b->est, packets, P_SEQ, 1u << 27, 0, r);
		break;
	default:
		stage_pass(&c, b->l4, b->est, o->active, P_SEQ, 1u << 25, 0,
			   NULL);
		memcpy(cnt0, c.cnt, sizeof(cnt0));
		stage_pass(&c, b->l4, b->est, packets, P_RANDOM, 1u << 25,
			   o->active, r);
		break;
	}
	r->new_flows = c.cnt[GK_L4_NEW_FLOWS] - cnt0[GK_L4_NEW_FLOWS];
	r->hits = c.cnt[GK_L4_HITS] - cnt0[GK_L4_HITS];
	r->evicted = c.cnt[GK_L4_EVICTED] - cnt0[GK_L4_EVICTED];
	r->mpps = tsc * 1e3 / r->cpp;
	gk_l4_ctx_fini(&c);
	return 0;
}

static int run_mode(struct bed *b, const struct opts *o, enum mode m,
		    double tsc, struct result *r)
{
	memset(r, 0, sizeof(*r));
	switch (m) {
	case M_WORKER_EST:
		return run_worker(b, b->est, b->back, b->est, true,
				  EST_MAX_FLOWS, NULL, o->flows, o->packets, r);
	case M_WORKER_L3:
		return run_worker(b, b->plain, b->back, b->plain, false, 0, NULL,
				  0, o->packets, r);
	case M_WORKER_L3_L4:
		return run_worker(b, b->plain, b->back, b->plain, true,
				  EST_MAX_FLOWS, NULL, 0, o->packets, r);
	case M_WORKER_REV:
		/* snat: replies need their flows, pinned first */
		if (o->snat)
			return run_worker(b, b->est, b->rev, b->rev, true,
					  EST_MAX_FLOWS, b->est, o->flows,
					  o->packets, r);
		return run_worker(b, b->idle0, b->rev, b->rev, true,
				  EST_MAX_FLOWS, NULL, 0, o->packets, r);
	case M_WORKER_NEW:
		return run_worker(b, b->newf, b->back, b->newf, true,
				  NEW_MAX_FLOWS, NULL, 4 * NEW_MAX_FLOWS, o->slow, r);
	case M_WORKER_ACTIVE:
		return run_worker(b, b->act, b->back, b->act, true,
				  2 * o->active, NULL, o->active, o->slow, r);
	default:
		return run_stage(b, o, m, tsc, r);
	}
}

/* ------------------------------------------------------------- report */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const struct result *res, unsigned int runs, bool cpp)
{
	double v[MAX_RUNS];

	for (unsigned int i = 0; i < runs; i++)
		v[i] = cpp ? res[i].cpp : res[i].mpps;
	qsort(v, runs, sizeof(*v), cmp_double);
	return v[runs / 2];
}

static void report(enum mode m, const struct result *res, unsigned int runs)
{
	double mpps[MAX_RUNS], cpp[MAX_RUNS];
	unsigned int i;

	for (i = 0; i < runs; i++) {
		mpps[i] = res[i].mpps;
		cpp[i] = res[i].cpp;
	}
	qsort(mpps, runs, sizeof(*mpps), cmp_double);
	qsort(cpp, runs, sizeof(*cpp), cmp_double);
	printf("  %s [%s]\n", mode_label[m], mode_name[m]);
	printf("    Mpps/core   median %6.2f  (min %6.2f, max %6.2f)\n",
	       mpps[runs / 2], mpps[0], mpps[runs - 1]);
	printf("    cycles/pkt  median %6.1f  (min %6.1f, max %6.1f)\n",
	       cpp[runs / 2], cpp[0], cpp[runs - 1]);
	printf("    %" PRIu64 " packets/run, %" PRIu64 " forwarded",
	       res[0].packets, res[0].forwarded);
	if (res[0].new_flows || res[0].hits)
		printf(", %" PRIu64 " new flows, %" PRIu64 " hits, %" PRIu64
		       " evicted", res[0].new_flows, res[0].hits,
		       res[0].evicted);
	printf("\n");
}

static bool wanted(const struct opts *o, unsigned int m)
{
	return o->mode == M_MAX || o->mode == (int)m;
}

/* What a mode must have done: forwarded everything, hit or missed. */
static bool sane(enum mode m, const struct result *r)
{
	if (r->forwarded != r->packets || !r->packets)
		return false;
	switch (m) {
	case M_STAGE_EST:
	case M_WORKER_EST:
		return r->hits == r->packets;
	case M_STAGE_NEW:
	case M_STAGE_NEW_FULL:
	case M_WORKER_NEW:
		return r->new_flows == r->packets;
	default:
		return true;
	}
}

static int run(const struct opts *o, double tsc)
{
	static struct result res[M_MAX][MAX_RUNS];
	struct bed b;
	unsigned int i, m;
	int ret;

	ret = bed_up(&b, o);
	if (ret) {
		fprintf(stderr, "bench_l4: setup: %s\n", strerror(-ret));
		return ret;
	}
	printf("front door (stage/l4, issue #11), memory backend: IPv4/TCP, "
	       "%u-byte frames, %u services (8 backends each, M = %u), %u "
	       "established flows, %u active flows, %u runs%s\n", FRAME,
	       o->services, GK_MAGLEV_M_DEFAULT, o->flows, o->active, o->runs,
	       o->snat ? ", client_ip = snat (pool 198.18.200.0-255)" : "");
	for (i = 0; i < o->runs && !ret; i++) {
		for (m = 0; m < M_MAX && !ret; m++) {
			if (!wanted(o, m))
				continue;
			ret = run_mode(&b, o, m, tsc, &res[m][i]);
			if (!ret && !sane(m, &res[m][i])) {
				fprintf(stderr, "bench_l4: %s: %" PRIu64
					" packets, %" PRIu64 " forwarded, %"
					PRIu64 " new, %" PRIu64 " hits\n",
					mode_name[m], res[m][i].packets,
					res[m][i].forwarded,
					res[m][i].new_flows, res[m][i].hits);
				ret = -EPROTO;
			}
		}
	}
	if (!ret) {
		for (m = 0; m < M_MAX; m++)
			if (wanted(o, m))
				report(m, res[m], o->runs);
	}
	if (!ret && wanted(o, M_WORKER_EST) && wanted(o, M_WORKER_L3)) {
		double l3 = median(res[M_WORKER_L3], o->runs, true);
		double est = median(res[M_WORKER_EST], o->runs, true);

		printf("  established vs plain forwarding, worker: %.1f vs %.1f "
		       "cycles/pkt (x%.2f, %+.1f)", est, l3, est / l3, est - l3);
		if (wanted(o, M_WORKER_L3_L4)) {
			double on = median(res[M_WORKER_L3_L4], o->runs, true);

			printf("; plain forwarding with [l4-service] on: %.1f "
			       "(%+.1f)", on, on - l3);
		}
		printf("\n");
	}
	if (!ret && wanted(o, M_WORKER_EST))
		printf("  goal >= 10 Mpps/core established through the worker: "
		       "%.2f Mpps (median)\n",
		       median(res[M_WORKER_EST], o->runs, false));
	if (!ret && (wanted(o, M_STAGE_NEW_FULL) || wanted(o, M_WORKER_NEW))) {
		printf("  goal >= 2M new flows/s:");
		if (wanted(o, M_STAGE_NEW))
			printf(" stage %.2f M/s (room),",
			       median(res[M_STAGE_NEW], o->runs, false));
		if (wanted(o, M_STAGE_NEW_FULL))
			printf(" stage %.2f M/s (full),",
			       median(res[M_STAGE_NEW_FULL], o->runs, false));
		if (wanted(o, M_WORKER_NEW))
			printf(" worker %.2f M/s (full)",
			       median(res[M_WORKER_NEW], o->runs, false));
		printf(" (medians)\n");
	}
	bed_down(&b);
	return ret;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--packets N] [--slow-packets N] [--runs N] "
		"[--flows N] [--active N] [--services N] [--cpu N] [--snat] [--mode ",
		prog);
	for (unsigned int m = 0; m < M_MAX; m++)
		fprintf(stderr, "%s%s", m ? "|" : "", mode_name[m]);
	fprintf(stderr, "]\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "packets", required_argument, NULL, 'p' },
		{ "slow-packets", required_argument, NULL, 'P' },
		{ "runs", required_argument, NULL, 'n' },
		{ "flows", required_argument, NULL, 'f' },
		{ "active", required_argument, NULL, 'a' },
		{ "services", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "snat", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct opts o = { .packets = 10000000, .slow = 2000000, .runs = 5,
			  .flows = 4096,
			  .active = 1000000, .services = 16, .mode = M_MAX };
	cpu_set_t set;
	double tsc;
	int c, ret, cpu = -1;

	while ((c = getopt_long(argc, argv, "p:P:n:f:a:s:m:c:Sh", lopts,
				NULL)) != -1) {
		switch (c) {
		case 'p':
			o.packets = strtoull(optarg, NULL, 0);
			break;
		case 'P':
			o.slow = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			o.runs = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'f':
			o.flows = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'a':
			o.active = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 's':
			o.services = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'S':
			o.snat = true;
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
	if (!o.packets || !o.slow || !o.runs || o.runs > MAX_RUNS || !o.flows ||
	    o.flows > EST_MAX_FLOWS / 2 || !o.active || o.active > (1u << 24) ||
	    !o.services || o.services > 200 || cpu >= CPU_SETSIZE) {
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
	rcu_register_thread();
	ret = run(&o, tsc);
	rcu_unregister_thread();
	return ret ? 1 : 0;
}
