// SPDX-License-Identifier: BSD-3-Clause
/*
 * client_ip = snat (dataplane/stage/l4/l4_snat.c). Packets, rewrites and
 * every checksum come from scapy (gen_l4_snat.py, l4_snat_fixtures.h):
 *
 *  - the stage alone, fixture by fixture on one flow table: clients'
 *    packets leave from a pool address:port to the backend, the backend's
 *    replies go back to the client from the listen address:port (TCP,
 *    UDP, IPv4, IPv6, a UDP checksum 0 kept), replies no flow holds are
 *    dropped (snat_no_flow), what is not a reply is left alone; a pool of
 *    two ports runs out (snat_exhausted) and its ports come back after the
 *    flows' timeouts (a restarted flow, an expired holder reclaimed);
 *    canary bytes around every frame;
 *  - port ownership with two workers' stage contexts: each hands out only
 *    its own ports (p % 2), a reply to the other's port is left for the
 *    hand-off, and flows given back make the pool whole again;
 *  - two workers on memory ports with hand-off rings:
 *
 *     clients             router               genkan             backends
 *     198.51.100.0/24 -- 192.0.2.254 ------ port 0 [w0] port 1 -- 198.18.1.0/24
 *     2001:db8:c::/48    2001:db8:ff::1     port 0 [w1] port 1    2001:db8:1::/64
 *                                     pool 198.18.0.1-2, 2001:db8:ffff::2-3
 *
 *    a reply that lands on the worker not owning its pool port is handed
 *    over and leaves, translated, from the owner.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <urcu-qsbr.h>

#include "backend_mem.h"
#include "handoff.h"
#include "l4.h"
#include "l4_snat.h"
#include "l4_snat_fixtures.h"
#include "maglev.h"
#include "pkthdr.h"
#include "tables.h"
#include "worker.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define A4(a, b, c, d)	{ a, b, c, d }
#define BUF		2048
#define HEAD		128
#define CANARY		0xa5
#define MS		1000000ull
#define SEC		1000000000ull

/* The fixtures' services as genkand's build() makes them (l4_ctl.c). */
static struct gk_l4_table *snat_table(void)
{
	struct gk_l4_service *svc = calloc(FS_SVC_MAX, sizeof(*svc));
	size_t i;

	assert_non_null(svc);
	for (i = 0; i < FS_SVC_MAX; i++) {
		const struct fs_svc *f = &fs_svc[i];
		struct gk_l4_service *s = &svc[i];
		struct gk_maglev_backend mb;

		s->family = f->family;
		s->proto = f->proto;
		s->port_lo = s->port_hi = f->port;
		memcpy(s->addr, f->addr, 16);
		s->m = 251;
		s->tcp_idle_ns = FS_TCP_IDLE_MS * MS;
		s->tcp_fin_ns = FS_TCP_FIN_MS * MS;
		s->udp_idle_ns = FS_UDP_IDLE_MS * MS;
		s->snat = 1;
		s->snat_plo = f->plo;
		s->snat_phi = f->phi;
		s->snat_naddr = f->naddr;
		memcpy(s->snat_lo, f->pool_lo, 16);
		s->nr_be = 1;
		s->be = calloc(1, sizeof(*s->be));
		s->table = calloc(s->m, sizeof(*s->table));
		assert_non_null(s->be);
		assert_non_null(s->table);
		s->be[0].family = f->family;
		s->be[0].port = f->be_port;
		memcpy(s->be[0].addr, f->be, 16);
		memset(&mb, 0, sizeof(mb));
		assert_int_equal(gk_maglev_key_inet(&mb, f->family == 4 ? AF_INET :
						    AF_INET6, f->be, f->be_port), 0);
		mb.weight = 1;
		assert_int_equal(gk_maglev_build(&mb, 1, s->m, s->table), 0);
	}
	return gk_l4_table_new(svc, FS_SVC_MAX);
}

static struct gk_wk_stats wst;

struct tp {
	struct gk_pkt p;
	uint8_t buf[BUF];
};

static struct tp tp;

static void ctx_up(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		   unsigned wid, unsigned nr)
{
	assert_int_equal(gk_l4_ctx_init(c, 65536, 16), 0);
	assert_int_equal(gk_l4_snat_init(c, t, wid, nr), 0);
	c->stats = &wst;
	c->now_ns = SEC;
}

static void load(struct tp *t, const uint8_t *in, uint32_t len,
		 const struct gk_xdp_meta *m)
{
	memset(t->buf, CANARY, sizeof(t->buf));
	memcpy(t->buf + HEAD, in, len);
	memset(&t->p, 0, sizeof(t->p));
	t->p.data = t->buf + HEAD;
	t->p.len = len;
	t->p.buf_len = BUF - HEAD;
	t->p.meta = *m;
	t->p.verdict = GK_V_NONE;
}

/* Bytes as scapy says, nothing written around them. */
static void check_bytes(const struct tp *t, const char *what,
			const uint8_t *want, uint32_t len)
{
	size_t i;

	assert_int_equal(t->p.len, len);
	if (memcmp(t->p.data, want, len)) {
		for (i = 0; i < len && t->p.data[i] == want[i]; i++)
			;
		fail_msg("%s: byte %zu is 0x%02x, scapy says 0x%02x", what, i,
			 t->p.data[i], want[i]);
	}
	for (i = 0; i < HEAD; i++)
		if (t->buf[i] != CANARY)
			fail_msg("%s: headroom written", what);
	for (i = HEAD + len; i < BUF; i++)
		if (t->buf[i] != CANARY)
			fail_msg("%s: written past the frame", what);
}

static void test_fixtures(void **state)
{
	struct gk_l4_table *t = snat_table();
	struct gk_l4_ctx c = { 0 };
	size_t i, k;

	(void)state;
	assert_non_null(t);
	/* services 0 and 1 share 198.18.0.1: one pool index */
	assert_int_equal(t->svc[0].snat_pidx[0], t->svc[1].snat_pidx[0]);
	for (i = 0; i < ARRAY_SIZE(fs_pkts); i++) {
		const struct fs_pkt *f = &fs_pkts[i];
		uint64_t before[GK_L4_CNT_MAX], drops;
		struct gk_pkt *p = &tp.p;

		if (f->reset) {
			if (c.flows)
				gk_l4_ctx_fini(&c);
			ctx_up(&c, t, 0, 1);
		}
		c.now_ns += f->advance_ms * MS;
		memcpy(before, c.cnt, sizeof(before));
		drops = wst.drops[GK_WK_DROP_L4];
		load(&tp, f->in, f->in_len, &f->meta);
		if (f->dir == FS_FWD)
			gk_l4_fwd_burst(&c, t, &p, 1);
		else
			gk_l4_rev_burst(&c, t, &p, 1);
		if (p->verdict != f->verdict)
			fail_msg("%s: verdict %u, want %u", f->what, p->verdict,
				 f->verdict);
		assert_int_equal(c.nr_away, 0);
		check_bytes(&tp, f->what, f->out ? f->out : f->in, f->in_len);
		for (k = 0; k < GK_L4_CNT_MAX; k++)
			if (c.cnt[k] - before[k] != (uint64_t)f->cnt[k])
				fail_msg("%s: counter %s moved %lu, want %ld",
					 f->what, gk_l4_cnt_names[k],
					 (unsigned long)(c.cnt[k] - before[k]),
					 (long)f->cnt[k]);
		assert_int_equal(wst.drops[GK_WK_DROP_L4] - drops,
				 f->verdict == GK_V_DROP ? 1 : 0);
	}
	gk_l4_ctx_fini(&c);
	gk_l4_ctx_fini(&c);	/* idempotent */
	gk_l4_table_free(t);
}

/* A SYN of service 0 (t4) from 198.51.100.7:cport, TCP checksum left
 * stale: the stage updates it incrementally and never reads it. */
static void syn_of(struct tp *t, uint16_t cport, uint32_t hash)
{
	const struct fs_pkt *f = &fs_pkts[0];
	struct gk_xdp_meta m = f->meta;

	m.flow_hash = hash;
	load(t, f->in, f->in_len, &m);
	gk_wr16(t->p.data + m.l4_off, cport);
}

/* Each worker hands out only its own ports, all of them, once each. */
static void test_ownership(void **state)
{
	struct gk_l4_table *t = snat_table();
	struct gk_l4_ctx c[2];
	uint8_t seen[2][65536 / 8];
	struct gk_pkt *p = &tp.p;
	unsigned w, i;

	(void)state;
	assert_non_null(t);
	memset(seen, 0, sizeof(seen));
	for (w = 0; w < 2; w++) {
		ctx_up(&c[w], t, w, 2);
		/* t4: 2 addresses x ports 40000-40003, two of them each */
		assert_int_equal(gk_l4_snat_capacity(&c[w], &t->svc[0]), 4);
		for (i = 0; i < 5; i++) {
			const uint8_t *ip, *l4;
			uint16_t sport;
			unsigned a;

			syn_of(&tp, (uint16_t)(30000 + i), 1000 * w + i);
			gk_l4_fwd_burst(&c[w], t, &p, 1);
			if (i == 4) {
				assert_int_equal(p->verdict, GK_V_DROP);
				assert_int_equal(c[w].cnt[GK_L4_SNAT_EXHAUSTED], 1);
				continue;
			}
			assert_int_equal(p->verdict, GK_V_NONE);
			ip = p->data + p->meta.l3_off;
			l4 = p->data + p->meta.l4_off;
			sport = gk_rd16(l4);
			a = ip[15];	/* 198.18.0.1 or .2 */
			assert_true(a == 1 || a == 2);
			assert_int_equal(sport % 2, w);
			assert_in_range(sport, 40000, 40003);
			assert_false(seen[a - 1][sport / 8] & 1 << (sport % 8));
			seen[a - 1][sport / 8] |= 1 << (sport % 8);
		}
		assert_int_equal(c[w].snat[0].in_use, 4);
	}
	/* A reply to worker 0's 198.18.0.1:40000 seen by worker 1: left for
	 * the hand-off, untouched; on worker 0 it is translated. */
	{
		const struct fs_pkt *f = &fs_pkts[1];	/* SYN-ACK to 40000 */
		struct gk_pkt *q = &tp.p;

		load(&tp, f->in, f->in_len, &f->meta);
		gk_l4_rev_burst(&c[1], t, &q, 1);
		assert_int_equal(c[1].nr_away, 1);
		assert_ptr_equal(c[1].away[0], q);
		assert_int_equal(c[1].away_to[0], 0);
		assert_int_equal(q->verdict, GK_V_NONE);
		check_bytes(&tp, "reply on the non-owner", f->in, f->in_len);
		gk_l4_rev_burst(&c[0], t, &q, 1);
		assert_int_equal(c[0].nr_away, 0);
		assert_int_equal(c[0].cnt[GK_L4_REVERSE], 1);
		/* worker 0's first flow was 198.51.100.7:30000 */
		assert_int_equal(gk_rd16(q->data + q->meta.l4_off + 2), 30000);
	}
	/* Idle past the timeout: every port comes back, flow by flow. */
	for (w = 0; w < 2; w++) {
		c[w].now_ns += FS_TCP_IDLE_MS * MS + 1;
		for (i = 0; i < 4; i++) {
			syn_of(&tp, (uint16_t)(31000 + i), 5000 + 1000 * w + i);
			gk_l4_fwd_burst(&c[w], t, &p, 1);
			assert_int_equal(p->verdict, GK_V_NONE);
			assert_int_equal(gk_rd16(p->data + p->meta.l4_off) % 2, w);
		}
		assert_int_equal(c[w].cnt[GK_L4_SNAT_RECLAIMED], 4);
		assert_int_equal(c[w].snat[0].in_use, 4);
		gk_l4_ctx_fini(&c[w]);
	}
	gk_l4_table_free(t);
}

static const struct fs_pkt *fixture(const char *prefix)
{
	for (size_t i = 0; i < ARRAY_SIZE(fs_pkts); i++)
		if (!strncmp(fs_pkts[i].what, prefix, strlen(prefix)))
			return &fs_pkts[i];
	fail_msg("no fixture '%s'", prefix);
	return NULL;
}

/*
 * The pool is the door's own host path address: replies to pool ports
 * are still translated (never left to the host), other packets from the
 * backend to that address go to the host untouched (to_host).
 */
static void test_pool_is_host(void **state)
{
	static const char *const seq[] = {
		"t4 SYN:", "t4 SYN-ACK:", "t4 reply to a pool port no flow",
		"t4 backend to the pool address outside snat_ports",
	};
	struct gk_l4_table *t = snat_table();
	struct gk_pkt *p = &tp.p;
	struct gk_l4_ctx c;
	size_t i;

	(void)state;
	assert_non_null(t);
	t->nr_host = 1;
	t->host[0].family = 4;
	memcpy(t->host[0].addr, (uint8_t[4]){ 198, 18, 0, 1 }, 4);
	ctx_up(&c, t, 0, 1);
	for (i = 0; i < ARRAY_SIZE(seq); i++) {
		const struct fs_pkt *f = fixture(seq[i]);
		uint64_t rv = c.cnt[GK_L4_REVERSE], th = c.cnt[GK_L4_TO_HOST];

		load(&tp, f->in, f->in_len, &f->meta);
		if (f->dir == FS_FWD)
			gk_l4_fwd_burst(&c, t, &p, 1);
		else
			gk_l4_rev_burst(&c, t, &p, 1);
		assert_int_equal(p->verdict, f->verdict);
		check_bytes(&tp, f->what, f->out ? f->out : f->in, f->in_len);
		/* the SYN-ACK is translated, the out-of-range one is the host's;
		 * the no-flow reply (to 198.18.0.2) drops as before */
		assert_int_equal(c.cnt[GK_L4_REVERSE] - rv, i == 1);
		assert_int_equal(c.cnt[GK_L4_TO_HOST] - th, i == 3);
	}
	gk_l4_ctx_fini(&c);
	gk_l4_table_free(t);
}

/* A flow pushed out of a full flow table gives its port back. */
static void test_eviction_returns_port(void **state)
{
	struct gk_l4_table *t = snat_table();
	struct gk_l4_ctx c;
	struct gk_pkt *p = &tp.p;
	unsigned i;

	(void)state;
	assert_non_null(t);
	assert_int_equal(gk_l4_ctx_init(&c, GK_L4_WAYS, 16), 0);	/* one bucket */
	assert_int_equal(gk_l4_snat_init(&c, t, 0, 1), 0);
	c.stats = &wst;
	c.now_ns = SEC;
	for (i = 0; i < 100; i++) {
		c.now_ns += MS;
		syn_of(&tp, (uint16_t)(20000 + i), i);
		gk_l4_fwd_burst(&c, t, &p, 1);
		assert_int_equal(p->verdict, GK_V_NONE);
	}
	/* 8 live flows hold 8 ports: the 92 evicted gave theirs back */
	assert_int_equal(c.cnt[GK_L4_EVICTED], 100 - GK_L4_WAYS);
	assert_int_equal(c.snat[0].in_use, GK_L4_WAYS);
	assert_int_equal(c.cnt[GK_L4_SNAT_EXHAUSTED], 0);
	assert_int_equal(c.cnt[GK_L4_SNAT_RECLAIMED], 0);
	gk_l4_ctx_fini(&c);
	gk_l4_table_free(t);
}

/* ------------------------------------------------------- two workers */

static const uint8_t mac0[6] = { 2, 0, 0, 0, 0, 0x0a };
static const uint8_t mac1[6] = { 2, 0, 0, 0, 0, 0x0b };

static const struct gk_fib_port fports[] = {
	{ .ifindex = 10, .port_id = 0, .mac = { 2, 0, 0, 0, 0, 0x0a } },
	{ .ifindex = 11, .port_id = 1, .mac = { 2, 0, 0, 0, 0, 0x0b } },
};

static const struct gk_route routes[] = {
	{ .family = AF_INET, .plen = 24, .has_gw = 1,
	  .dst = A4(198, 51, 100, 0), .gw = A4(192, 0, 2, 254), .ifindex = 10 },
	{ .family = AF_INET, .plen = 24, .dst = A4(192, 0, 2, 0), .ifindex = 10 },
	{ .family = AF_INET, .plen = 24, .dst = A4(198, 18, 1, 0), .ifindex = 11 },
	{ .family = AF_INET6, .plen = 48, .has_gw = 1,
	  .dst = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0c },
	  .gw = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 1 }, .ifindex = 10 },
	{ .family = AF_INET6, .plen = 64, .dst = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff },
	  .ifindex = 10 },
	{ .family = AF_INET6, .plen = 64, .dst = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 },
	  .ifindex = 11 },
};

static bool listen_cb(void *arg, uint8_t family, uint8_t proto,
		      const uint8_t *addr, uint16_t port)
{
	(void)arg;
	for (size_t i = 0; i < FS_SVC_MAX; i++) {
		const struct fs_svc *s = &fs_svc[i];

		if (s->family == family && s->proto == proto && port == s->port &&
		    !memcmp(s->addr, addr, family == 4 ? 4 : 16))
			return true;
	}
	return false;
}

static struct gk_tables *build_tables(void)
{
	struct gk_neigh_entry nb[2 + FS_SVC_MAX];
	struct gk_fib_input in = {
		.routes = routes, .nr_routes = ARRAY_SIZE(routes),
		.neighs = nb, .ports = fports, .nr_ports = ARRAY_SIZE(fports),
	};
	struct gk_tables *t;
	struct gk_fib *fib;
	size_t n = 0;
	char err[128];

	memset(nb, 0, sizeof(nb));
	nb[n++] = (struct gk_neigh_entry){ .family = AF_INET,
		.addr = A4(192, 0, 2, 254), .ifindex = 10,
		.mac = { 2, 0, 0, 0, 0xfe, 0x01 } };
	nb[n++] = (struct gk_neigh_entry){ .family = AF_INET6,
		.addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 1 },
		.ifindex = 10, .mac = { 2, 0, 0, 0, 0xfe, 0x06 } };
	for (size_t i = 0; i < FS_SVC_MAX; i++) {
		const struct fs_svc *s = &fs_svc[i];

		nb[n].family = s->family == 4 ? AF_INET : AF_INET6;
		memcpy(nb[n].addr, s->be, 16);
		nb[n].ifindex = 11;
		nb[n].mac[0] = 2;
		nb[n].mac[4] = 1;
		nb[n].mac[5] = s->be[s->family == 4 ? 3 : 15];
		n++;
	}
	in.nr_neighs = n;
	fib = gk_fib_build(&in, err, sizeof(err));
	if (!fib)
		fail_msg("fib: %s", err);
	t = gk_tables_new(fib, 1);
	assert_non_null(t);
	return t;
}

struct wrig {
	struct gk_mem_pool *pool[2];
	struct gk_port *port[2][2];
	struct gk_tables *tables;
	struct gk_l4_table *l4;
	struct gk_handoff *ho;
	struct gk_worker w[2];
};

static struct wrig wr;

static void add_frames(struct wrig *r, int in_port)
{
	for (size_t i = 0; i < ARRAY_SIZE(fs_wk); i++)
		if (fs_wk[i].in_port == in_port)
			assert_int_equal(gk_mem_port_add_frame(
				r->port[fs_wk[i].in_w][in_port], fs_wk[i].in,
				fs_wk[i].in_len), 0);
}

static void poll_all(struct wrig *r, unsigned rounds)
{
	rcu_register_thread();
	while (rounds--) {
		gk_worker_poll(&r->w[0]);
		gk_worker_poll(&r->w[1]);
	}
	rcu_unregister_thread();
}

static void test_two_workers(void **state)
{
	struct gk_classify_cfg cls = { .l4svc = listen_cb };
	struct wrig *r = &wr;
	size_t seen[2][2] = { { 0 } }, i;
	unsigned w, p;

	(void)state;
	memset(r, 0, sizeof(*r));
	r->tables = build_tables();
	r->l4 = snat_table();
	assert_non_null(r->l4);
	r->ho = gk_handoff_create(2, 64);
	assert_non_null(r->ho);
	for (w = 0; w < 2; w++) {
		struct gk_worker_cfg cfg = { .id = w, .cpu = -1 };

		r->pool[w] = gk_mem_pool_create(256, 2048);
		assert_non_null(r->pool[w]);
		for (p = 0; p < 2; p++) {
			r->port[w][p] = gk_mem_port_create(r->pool[w], (uint16_t)p,
							   p ? mac1 : mac0, &cls);
			assert_non_null(r->port[w][p]);
			gk_mem_port_set_capture(r->port[w][p], 64);
			cfg.ports[p] = r->port[w][p];
		}
		cfg.nr_ports = 2;
		cfg.tables = &r->tables;
		cfg.l4 = &r->l4;
		cfg.l4_max_flows = 1024;
		cfg.l4_nr_be = FS_SVC_MAX;
		cfg.l4_nr_workers = 2;
		cfg.l4_handoff = r->ho;
		assert_int_equal(gk_worker_init(&r->w[w], &cfg), 0);
		assert_non_null(r->w[w].l4);
		assert_int_equal(r->w[w].l4->nr_workers, 2);
	}
	/* Clients first (flows open), then the backends' replies. */
	add_frames(r, 0);
	poll_all(r, 2);
	add_frames(r, 1);
	poll_all(r, 3);
	for (i = 0; i < ARRAY_SIZE(fs_wk); i++) {
		const struct fs_wk *f = &fs_wk[i];
		const uint8_t *b;
		uint32_t len;

		if (f->out_port < 0)
			continue;
		b = gk_mem_port_captured(r->port[f->out_w][f->out_port],
					 seen[f->out_w][f->out_port]++, &len);
		if (!b)
			fail_msg("%s: nothing on worker %d port %d", f->what,
				 f->out_w, f->out_port);
		if (len != f->out_len || memcmp(b, f->out, len))
			fail_msg("%s: output differs from scapy", f->what);
	}
	for (w = 0; w < 2; w++)
		for (p = 0; p < 2; p++)
			if (gk_mem_port_nr_captured(r->port[w][p]) != seen[w][p])
				fail_msg("worker %u port %u: %zu frames, want %zu",
					 w, p, gk_mem_port_nr_captured(r->port[w][p]),
					 seen[w][p]);
	/* w0 got the replies for 40001, 40003 and the u6 answer; w1 one */
	assert_int_equal(r->w[0].l4->cnt[GK_L4_HANDED_OVER], 3);
	assert_int_equal(r->w[1].l4->cnt[GK_L4_TAKEN_OVER], 3);
	assert_int_equal(r->w[1].l4->cnt[GK_L4_HANDED_OVER], 1);
	assert_int_equal(r->w[0].l4->cnt[GK_L4_TAKEN_OVER], 1);
	assert_int_equal(r->w[1].l4->cnt[GK_L4_SNAT_NO_FLOW], 1);
	assert_int_equal(r->w[0].l4->cnt[GK_L4_SNAT_NO_FLOW], 0);
	assert_int_equal(r->w[0].l4->cnt[GK_L4_REVERSE], 1);
	assert_int_equal(r->w[1].l4->cnt[GK_L4_REVERSE], 2);
	assert_int_equal(r->w[0].l4->cnt[GK_L4_HANDOFF_FULL] +
			 r->w[1].l4->cnt[GK_L4_HANDOFF_FULL], 0);
	for (w = 0; w < 2; w++) {
		for (i = 0; i < GK_WK_DROP_MAX; i++)
			if (i != GK_WK_DROP_L4 && r->w[w].stats.drops[i])
				fail_msg("worker %u drop %s: %lu", w,
					 gk_wk_drop_names[i],
					 (unsigned long)r->w[w].stats.drops[i]);
	}
	assert_int_equal(r->w[1].stats.drops[GK_WK_DROP_L4], 1);
	for (w = 0; w < 2; w++) {
		gk_worker_fini(&r->w[w]);
		for (p = 0; p < 2; p++)
			r->port[w][p]->ops->close(r->port[w][p]);
		assert_int_equal(gk_mem_pool_nr_free(r->pool[w]), 256);
		gk_mem_pool_destroy(r->pool[w]);
	}
	gk_handoff_free(r->ho);
	gk_tables_free(r->tables);
	gk_l4_table_free(r->l4);
}

/* More than one worker without rings cannot keep replies apart. */
static void test_rings_required(void **state)
{
	struct gk_classify_cfg cls = { .l4svc = listen_cb };
	struct gk_worker_cfg cfg = { .id = 1, .cpu = -1 };
	struct gk_l4_table *t = snat_table();
	struct gk_mem_pool *pool = gk_mem_pool_create(16, 2048);
	struct gk_port *port;
	struct gk_worker w;

	(void)state;
	assert_non_null(t);
	assert_non_null(pool);
	port = gk_mem_port_create(pool, 0, mac0, &cls);
	assert_non_null(port);
	cfg.ports[0] = port;
	cfg.nr_ports = 1;
	cfg.l4 = &t;
	cfg.l4_nr_be = FS_SVC_MAX;
	cfg.l4_nr_workers = 2;
	assert_int_equal(gk_worker_init(&w, &cfg), -EINVAL);
	port->ops->close(port);
	gk_mem_pool_destroy(pool);
	gk_l4_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_ownership),
		cmocka_unit_test(test_pool_is_host),
		cmocka_unit_test(test_eviction_returns_port),
		cmocka_unit_test(test_two_workers),
		cmocka_unit_test(test_rings_required),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
