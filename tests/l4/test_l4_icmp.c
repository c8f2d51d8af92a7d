// SPDX-License-Identifier: BSD-3-Clause
/*
 * ICMP errors about front door flows (dataplane/stage/l4/l4_icmp.c),
 * against scapy (gen_l4_icmp.py, l4_icmp_fixtures.h), byte for byte:
 *
 *  - the stage alone: errors from the internet about replies go to the
 *    flow's backend (a forward packet pins the flow, then a republished
 *    table would send a new flow elsewhere), or to Maglev's pick when the
 *    flow is not on this worker (icmp_picked); errors routed from home
 *    and errors the worker built itself get the listen address:port back;
 *    malformed and unknown ones are dropped or left alone, counted. Each
 *    frame sits in canary bytes, and the counters of every case are
 *    checked, the untouched ones too.
 *  - the worker on memory ports (the software classifier's rule 10 for
 *    ICMP errors, the stage, WireGuard with a tunnel MTU, L3, the ICMP
 *    errors the worker builds):
 *
 *   clients            router               genkan               backends
 *   198.51.100.0/24 -- 192.0.2.254 ---- port 0 [ ] port 1 ----- 10.0.0.0/8
 *   2001:db8:c::/48    2001:db8:ff::1   192.0.2.1               fd00::/8
 *                                       2001:db8:ff::a
 *   WireGuard peer (no keypair yet): 10.0.1.2/32, fd00:1::1/128, MTU 1400
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
#include "l4.h"
#include "l4_fixtures.h"
#include "l4_icmp.h"
#include "l4_icmp_fixtures.h"
#include "l4_rig.h"
#include "l4_snat.h"
#include "pkthdr.h"
#include "tables.h"
#include "wg_data.h"
#include "wg_peers.h"
#include "worker.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define A4(a, b, c, d)	{ a, b, c, d }
#define BUF		2048
#define HEAD		128
#define CANARY		0xa5
#define SEC		1000000000ull

struct tp {
	struct gk_pkt p;
	uint8_t buf[BUF];
};

static struct gk_wk_stats wst;
static struct tp tp;

static void load(struct tp *t, const uint8_t *in, uint32_t len,
		 const struct gk_xdp_meta *m, uint8_t verdict)
{
	memset(t->buf, CANARY, sizeof(t->buf));
	memcpy(t->buf + HEAD, in, len);
	memset(&t->p, 0, sizeof(t->p));
	t->p.data = t->buf + HEAD;
	t->p.len = len;
	t->p.buf_len = BUF - HEAD;
	t->p.meta = *m;
	t->p.verdict = verdict;
}

static void check_canary(const struct tp *t, const char *what)
{
	size_t i;

	for (i = 0; i < HEAD; i++)
		if (t->buf[i] != CANARY)
			fail_msg("%s: headroom byte %zu touched", what, i);
	for (i = HEAD + t->p.len; i < BUF; i++)
		if (t->buf[i] != CANARY)
			fail_msg("%s: byte %zu past the frame touched", what,
				 i - HEAD);
}

static void diff(const char *what, const uint8_t *got, const uint8_t *want,
		 uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		if (got[i] != want[i])
			fail_msg("%s: byte %u is %#04x, scapy says %#04x", what,
				 i, got[i], want[i]);
}

/* The loaded packet through the hook a case's direction names. */
static void hook(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		 uint8_t dir)
{
	struct gk_pkt *p = &tp.p;

	switch (dir) {
	case IX_FWD:
		gk_l4_fwd_burst(c, t, &p, 1);
		break;
	case IX_REV:
		gk_l4_rev_burst(c, t, &p, 1);
		break;
	default:
		gk_l4_err_burst(c, t, &p, 1);
		break;
	}
}

static void run(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		const struct ix_pkt *f)
{
	load(&tp, f->in, f->in_len, &f->meta, f->in_verdict);
	hook(c, t, f->dir);
}

/* The case's verdict, bytes (scapy's) and counters, canaries intact. */
static void judge(const struct gk_l4_ctx *c, const struct ix_pkt *f,
		  const uint64_t *before)
{
	size_t k;

	check_canary(&tp, f->what);
	assert_int_equal(tp.p.len, f->in_len);
	if (tp.p.verdict != f->verdict)
		fail_msg("%s: verdict %u, want %u", f->what, tp.p.verdict,
			 f->verdict);
	if (f->verdict == GK_V_DROP) {
		assert_int_equal(tp.p.drop_reason, GK_WK_DROP_L4);
		assert_int_equal(wst.drops[GK_WK_DROP_L4], 1);
	} else {
		diff(f->what, tp.p.data, f->out ? f->out : f->in, f->in_len);
		if (f->dir == IX_FWD)
			assert_int_equal(tp.p.meta.class, GK_CLASS_TRANSIT);
	}
	for (k = 0; k < GK_L4_CNT_MAX; k++)
		if (c->cnt[k] - before[k] != f->cnt[k])
			fail_msg("%s: counter %s moved by %lu, want %lu",
				 f->what, gk_l4_cnt_names[k],
				 (unsigned long)(c->cnt[k] - before[k]),
				 (unsigned long)f->cnt[k]);
}

static void test_fixtures(void **state)
{
	size_t i, k, n_in = 0, n_out = 0, n_drop = 0;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ix_pkts); i++) {
		const struct ix_pkt *f = &ix_pkts[i];
		struct rig_mod mod = { f->mod_svc, f->mod_be, f->mod_state, -1 };
		struct gk_l4_table *t0 = rig_table(NULL, 0), *t = t0, *t1 = NULL;
		uint64_t before[GK_L4_CNT_MAX];
		struct gk_l4_ctx c;

		assert_non_null(t0);
		assert_int_equal(gk_l4_ctx_init(&c, 1024, rig_nr_be()), 0);
		c.stats = &wst;
		c.now_ns = SEC;
		if (f->mod_svc >= 0) {
			t1 = rig_table(&mod, 1);
			assert_non_null(t1);
		}
		if (f->setup >= 0) {
			const struct ix_setup *s = &ix_setup[f->setup];
			struct gk_pkt *p = &tp.p;

			load(&tp, s->in, s->in_len, &s->meta, GK_V_NONE);
			gk_l4_fwd_burst(&c, t0, &p, 1);
			assert_int_equal(p->verdict, GK_V_NONE);
			assert_int_equal(c.cnt[GK_L4_NEW_FLOWS], 1);
			/* the flow is pinned where the model says */
			assert_int_equal(rig_be_of(t0, s->svc, p->data +
						   p->meta.l3_off +
						   (p->meta.flags &
						    GK_META_F_IPV4 ? 16 : 24)),
					 s->be);
			c.now_ns += SEC;
		}
		if (t1)
			t = t1;
		memcpy(before, c.cnt, sizeof(before));
		wst.drops[GK_WK_DROP_L4] = 0;
		run(&c, t, f);
		judge(&c, f, before);
		n_drop += f->verdict == GK_V_DROP;
		/* no flow is made by an error */
		if (f->dir == IX_FWD && f->setup < 0) {
			for (k = 0; k < (size_t)c.nr_buckets * GK_L4_WAYS; k++)
				if (c.flows[k].used)
					fail_msg("%s: an error made a flow",
						 f->what);
		}
		n_in += f->cnt[GK_L4_ICMP_IN];
		n_out += f->cnt[GK_L4_ICMP_OUT];
		gk_l4_ctx_fini(&c);
		gk_l4_table_free(t0);
		gk_l4_table_free(t1);
	}
	print_message("%zu cases: %zu to backends, %zu to clients, %zu "
		      "dropped\n", ARRAY_SIZE(ix_pkts), n_in, n_out, n_drop);
	assert_true(n_in >= 10 && n_out >= 8 && n_drop >= 10);
}

/* A quote cut at every length: never a read or write past the message. */
static void test_cut_everywhere(void **state)
{
	size_t i, cut;
	uint64_t bad = 0;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ix_pkts); i++) {
		const struct ix_pkt *f = &ix_pkts[i];
		struct gk_l4_table *t;
		struct gk_l4_ctx c;
		uint32_t l3 = f->meta.l3_off;

		if (f->verdict == GK_V_DROP || !f->out)
			continue;
		t = rig_table(NULL, 0);
		assert_non_null(t);
		assert_int_equal(gk_l4_ctx_init(&c, 64, rig_nr_be()), 0);
		c.stats = &wst;
		for (cut = f->meta.l4_off; cut < f->in_len; cut += 3) {
			struct gk_xdp_meta m = f->meta;
			uint8_t *ip;

			load(&tp, f->in, (uint32_t)cut, &m, f->in_verdict);
			/* the datagram ends at the cut: the IP length says so */
			ip = tp.p.data + l3;
			if (m.flags & GK_META_F_IPV4)
				gk_wr16(ip + 2, (uint16_t)(cut - l3));
			else
				gk_wr16(ip + 4, (uint16_t)(cut - l3 - 40));
			hook(&c, t, f->dir);
			check_canary(&tp, f->what);
		}
		bad += c.cnt[GK_L4_ICMP_BAD] + c.cnt[GK_L4_BAD_L4];
		gk_l4_ctx_fini(&c);
		gk_l4_table_free(t);
	}
	assert_true(bad > 0);
}

/* client_ip = snat: one service, one backend, one pool address. */
static struct gk_l4_table *snat_table(void)
{
	struct gk_l4_service *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->family = 4;
	s->proto = 6;
	s->port_lo = s->port_hi = 443;
	assert_int_equal(inet_pton(AF_INET, IX_SN_VIP, s->addr), 1);
	s->m = 7;
	s->table = calloc(s->m, sizeof(*s->table));	/* all: backend 0 */
	s->nr_be = 1;
	s->be = calloc(1, sizeof(*s->be));
	assert_non_null(s->table);
	assert_non_null(s->be);
	s->be[0].family = 4;
	assert_int_equal(inet_pton(AF_INET, IX_SN_BE, s->be[0].addr), 1);
	s->tcp_idle_ns = 300 * SEC;
	s->tcp_fin_ns = 10 * SEC;
	s->udp_idle_ns = 30 * SEC;
	s->snat = 1;
	s->snat_plo = IX_SN_PLO;
	s->snat_phi = IX_SN_PHI;
	s->snat_naddr = 1;
	assert_int_equal(inet_pton(AF_INET, IX_SN_POOL, s->snat_lo), 1);
	return gk_l4_table_new(s, 1);
}

static void test_snat(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ix_snat); i++) {
		const struct ix_pkt *f = &ix_snat[i];
		struct gk_l4_table *t = snat_table();
		uint64_t before[GK_L4_CNT_MAX];
		struct gk_l4_ctx c;

		assert_non_null(t);
		assert_int_equal(gk_l4_ctx_init(&c, 1024, 1), 0);
		assert_int_equal(gk_l4_snat_init(&c, t, 0, 1), 0);
		c.stats = &wst;
		c.now_ns = SEC;
		if (f->setup >= 0) {
			const struct ix_setup *su = &ix_setup[f->setup];
			struct gk_pkt *p = &tp.p;
			uint8_t pool[4];

			load(&tp, su->in, su->in_len, &su->meta, GK_V_NONE);
			gk_l4_fwd_burst(&c, t, &p, 1);
			assert_int_equal(p->verdict, GK_V_NONE);
			assert_int_equal(c.cnt[GK_L4_SNAT_NEW], 1);
			/* the premise of the fixtures: the first pool port */
			inet_pton(AF_INET, IX_SN_POOL, pool);
			assert_memory_equal(p->data + p->meta.l3_off + 12, pool,
					    4);
			assert_int_equal(gk_rd16(p->data + p->meta.l4_off),
					 IX_SN_PLO);
			c.now_ns += SEC;
		}
		memcpy(before, c.cnt, sizeof(before));
		wst.drops[GK_WK_DROP_L4] = 0;
		run(&c, t, f);
		judge(&c, f, before);
		gk_l4_ctx_fini(&c);
		gk_l4_table_free(t);
	}
}

/*
 * A routed error from home about a pool port another worker owns (the
 * fixture's port 20000 belongs to worker 0 of 2; this is worker 1): left
 * untouched in c->away[] for the hand-off to its owner, as a reply is.
 */
static void test_snat_away(void **state)
{
	const struct ix_pkt *f = NULL;
	struct gk_l4_table *t = snat_table();
	struct gk_pkt *p = &tp.p;
	struct gk_l4_ctx c;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ix_snat); i++)
		if (strstr(ix_snat[i].what, "routed error from home about a pool port"))
			f = &ix_snat[i];
	assert_non_null(f);
	assert_non_null(t);
	assert_int_equal(IX_SN_PLO % 2, 0);
	assert_int_equal(gk_l4_ctx_init(&c, 1024, 1), 0);
	assert_int_equal(gk_l4_snat_init(&c, t, 1, 2), 0);
	c.stats = &wst;
	c.now_ns = SEC;
	load(&tp, f->in, f->in_len, &f->meta, GK_V_NONE);
	gk_l4_rev_burst(&c, t, &p, 1);
	assert_int_equal(c.nr_away, 1);
	assert_ptr_equal(c.away[0], p);
	assert_int_equal(c.away_to[0], 0);
	assert_int_equal(p->verdict, GK_V_NONE);
	assert_memory_equal(p->data, f->in, f->in_len);
	assert_int_equal(c.cnt[GK_L4_ICMP_OUT] + c.cnt[GK_L4_ICMP_BAD], 0);
	gk_l4_ctx_fini(&c);
	gk_l4_table_free(t);
}

/* ---------------------------------------------------------- the worker */

static const uint8_t mac0[6] = { 2, 0, 0, 0, 0, 0x0a };
static const uint8_t mac1[6] = { 2, 0, 0, 0, 0, 0x0b };

static const struct gk_fib_port fports[] = {
	{ .ifindex = 10, .port_id = 0, .mac = { 2, 0, 0, 0, 0, 0x0a },
	  .has_addr4 = 1, .addr4 = A4(192, 0, 2, 1), .has_addr6 = 1,
	  .addr6 = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 0x0a } },
	{ .ifindex = 11, .port_id = 1, .mac = { 2, 0, 0, 0, 0, 0x0b } },
};

static const struct gk_route routes[] = {
	{ .family = AF_INET, .plen = 24, .has_gw = 1,
	  .dst = A4(198, 51, 100, 0), .gw = A4(192, 0, 2, 254), .ifindex = 10 },
	{ .family = AF_INET, .plen = 24, .dst = A4(192, 0, 2, 0), .ifindex = 10 },
	{ .family = AF_INET, .plen = 8, .dst = A4(10, 0, 0, 0), .ifindex = 11 },
	{ .family = AF_INET6, .plen = 48, .has_gw = 1,
	  .dst = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0c },
	  .gw = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 1 }, .ifindex = 10 },
	{ .family = AF_INET6, .plen = 64, .dst = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff },
	  .ifindex = 10 },
	{ .family = AF_INET6, .plen = 8, .dst = { 0xfd }, .ifindex = 11 },
};

/* Rule 10's table, as gk_l4svc holds it: every listen address:port. */
static bool listen_cb(void *arg, uint8_t family, uint8_t proto,
		      const uint8_t *addr, uint16_t port)
{
	(void)arg;
	for (size_t i = 0; i < FX_SVC_MAX; i++) {
		const struct fx_svc *s = &fx_svc[i];

		if (s->family == family && s->proto == proto &&
		    port >= s->port_lo && port <= s->port_hi &&
		    !memcmp(s->addr, addr, family == 4 ? 4 : 16))
			return true;
	}
	return false;
}

struct rig {
	struct gk_mem_pool *pool;
	struct gk_port *port[2];
	struct gk_tables *tables;
	struct gk_l4_table *l4;
	struct gk_wg_peers *wg;
	struct gk_wg_evring *ev;
	struct gk_worker w;
};

static struct rig rig;

static struct gk_tables *build_tables(void)
{
	struct gk_neigh_entry nb[2 + 64];
	struct gk_fib_input in = {
		.routes = routes, .nr_routes = ARRAY_SIZE(routes),
		.neighs = nb, .ports = fports, .nr_ports = ARRAY_SIZE(fports),
	};
	struct gk_tables *t;
	struct gk_fib *fib;
	size_t n = 0;
	char err[128];

	memset(nb, 0, sizeof(nb));
	nb[n] = (struct gk_neigh_entry){ .family = AF_INET,
		.addr = A4(192, 0, 2, 254), .ifindex = 10,
		.mac = { 2, 0, 0, 0, 0xfe, 0x01 } };
	n++;
	nb[n] = (struct gk_neigh_entry){ .family = AF_INET6,
		.addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 1 },
		.ifindex = 10, .mac = { 2, 0, 0, 0, 0xfe, 0x06 } };
	n++;
	for (size_t i = 0; i < FX_SVC_MAX; i++) {
		for (size_t j = 0; j < fx_svc[i].nr_be; j++) {
			const struct fx_be *b = &fx_svc[i].be[j];

			assert_true(n < ARRAY_SIZE(nb));
			nb[n].family = b->family == 4 ? AF_INET : AF_INET6;
			memcpy(nb[n].addr, b->addr, 16);
			nb[n].ifindex = 11;
			nb[n].mac[0] = 2;
			nb[n].mac[4] = 1;
			nb[n].mac[5] = b->addr[b->family == 4 ? 3 : 15];
			n++;
		}
	}
	in.nr_neighs = n;
	fib = gk_fib_build(&in, err, sizeof(err));
	if (!fib)
		fail_msg("fib: %s", err);
	t = gk_tables_new(fib, 1);
	assert_non_null(t);
	return t;
}

/* One peer behind two backends (10.0.1.2, fd00:1::1), no keypair. */
static struct gk_wg_peers *build_peers(void)
{
	struct gk_wg_allowed al[2];
	struct gk_wg_peer_cfg pc;
	struct gk_wg_peers_cfg cfg = {
		.listen_port = 51820, .mtu = IX_WG_MTU, .peers = &pc,
		.nr_peers = 1,
	};
	struct gk_wg_peers *t;
	char err[128];

	memset(&pc, 0, sizeof(pc));
	memset(al, 0, sizeof(al));
	pc.id = 1;
	pc.ep.family = AF_INET;
	pc.ep.port = 51821;
	memcpy(pc.ep.addr, (uint8_t[]){ 203, 0, 113, 2 }, 4);
	memcpy(pc.src, (uint8_t[]){ 203, 0, 113, 1 }, 4);
	al[0].family = AF_INET;
	al[0].plen = 32;
	memcpy(al[0].addr, (uint8_t[]){ 10, 0, 1, 2 }, 4);
	al[1].family = AF_INET6;
	al[1].plen = 128;
	memcpy(al[1].addr, (uint8_t[]){ 0xfd, 0, 0, 1, [15] = 1 }, 16);
	pc.allowed = al;
	pc.nr_allowed = 2;
	t = gk_wg_peers_build(&cfg, err, sizeof(err));
	if (!t)
		fail_msg("peers: %s", err);
	return t;
}

static void rig_up(struct rig *r)
{
	struct gk_classify_cfg cls = { .l4svc = listen_cb };
	struct gk_worker_cfg cfg = { .cpu = -1 };
	size_t i;

	memset(r, 0, sizeof(*r));
	r->pool = gk_mem_pool_create(256, 2048);
	assert_non_null(r->pool);
	r->port[0] = gk_mem_port_create(r->pool, 0, mac0, &cls);
	r->port[1] = gk_mem_port_create(r->pool, 1, mac1, &cls);
	assert_non_null(r->port[0]);
	assert_non_null(r->port[1]);
	gk_mem_port_set_capture(r->port[0], 64);
	gk_mem_port_set_capture(r->port[1], 64);
	r->tables = build_tables();
	r->l4 = rig_table(NULL, 0);
	assert_non_null(r->l4);
	r->wg = build_peers();
	r->ev = gk_wg_evring_create(16);
	assert_non_null(r->ev);
	for (i = 0; i < ARRAY_SIZE(ix_wk); i++)
		assert_int_equal(gk_mem_port_add_frame(r->port[ix_wk[i].in_port],
						       ix_wk[i].in,
						       ix_wk[i].in_len), 0);
	cfg.ports[0] = r->port[0];
	cfg.ports[1] = r->port[1];
	cfg.nr_ports = 2;
	cfg.tables = &r->tables;
	cfg.l4 = &r->l4;
	cfg.l4_max_flows = 1024;
	cfg.l4_nr_be = rig_nr_be();
	cfg.wg = &r->wg;
	cfg.wg_events = r->ev;
	cfg.wg_max_peers = 8;
	cfg.wg_aead = GK_AEAD_OPENSSL;
	cfg.wg_nr_workers = 1;
	cfg.wg_port_id = 0;
	cfg.wg_mtu = IX_WG_MTU;
	cfg.icmp_rate = 1000;
	assert_int_equal(gk_worker_init(&r->w, &cfg), 0);
	assert_non_null(r->w.l4);
}

static void rig_down(struct rig *r)
{
	gk_worker_fini(&r->w);
	r->port[0]->ops->close(r->port[0]);
	r->port[1]->ops->close(r->port[1]);
	assert_int_equal(gk_mem_pool_nr_free(r->pool), 256);
	gk_mem_pool_destroy(r->pool);
	gk_tables_free(r->tables);
	gk_l4_table_free(r->l4);
	gk_wg_peers_free(r->wg);
	gk_wg_evring_destroy(r->ev);
}

static void test_worker(void **state)
{
	struct rig *r = &rig;
	size_t i, seen[2] = { 0, 0 };
	uint64_t used[2] = { 0, 0 };
	const uint8_t *b;
	uint32_t len;

	(void)state;
	rig_up(r);
	rcu_register_thread();
	for (i = 0; i < 4; i++)
		gk_worker_poll(&r->w);
	rcu_unregister_thread();
	/* each expected frame once, in whatever order the ports sent them */
	for (i = 0; i < ARRAY_SIZE(ix_wk); i++) {
		const struct ix_wk *f = &ix_wk[i];
		size_t k, n = gk_mem_port_nr_captured(r->port[f->out_port]);

		seen[f->out_port]++;
		for (k = 0; k < n; k++) {
			b = gk_mem_port_captured(r->port[f->out_port], k, &len);
			if (b && !(used[f->out_port] & 1ull << k) &&
			    len == f->out_len && !memcmp(b, f->out, len))
				break;
		}
		if (k == n)
			fail_msg("%s: no frame on port %d is scapy's", f->what,
				 f->out_port);
		used[f->out_port] |= 1ull << k;
	}
	assert_int_equal(gk_mem_port_nr_captured(r->port[0]), seen[0]);
	assert_int_equal(gk_mem_port_nr_captured(r->port[1]), seen[1]);
	assert_int_equal(r->w.l4->cnt[GK_L4_ICMP_IN], 2);
	/* two routed from home, three the worker built */
	assert_int_equal(r->w.l4->cnt[GK_L4_ICMP_OUT], 5);
	assert_int_equal(r->w.l4->cnt[GK_L4_ICMP_PICKED], 2);
	assert_int_equal(r->w.l4->cnt[GK_L4_ICMP_BAD], 0);
	assert_int_equal(r->w.stats.drops[GK_WK_DROP_TOO_BIG], 2);
	assert_int_equal(r->w.stats.drops[GK_WK_DROP_TTL], 1);
	rig_down(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_cut_everywhere),
		cmocka_unit_test(test_snat),
		cmocka_unit_test(test_snat_away),
		cmocka_unit_test(test_worker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
