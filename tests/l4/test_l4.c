// SPDX-License-Identifier: BSD-3-Clause
/*
 * The front door stage (dataplane/stage/l4) alone. Packets, their rewrites
 * and every checksum come from scapy, the backend a new flow gets from the
 * independent Maglev/SipHash model (gen_l4.py, l4_fixtures.h): forward and
 * reverse, TCP and UDP, IPv4 and IPv6, RFC 768's zero checksums, drops
 * with their counters. Each packet sits in a buffer of canary bytes: what
 * the stage may not touch (headroom, past the frame) is checked too.
 *
 * Flow behaviour is driven on the flow services with packets built here
 * (metadata as the classifier makes it, flowhash.h): a flow keeps its
 * backend through republished tables, new flows avoid a backend out of
 * the table, FIN/RST and idle timeouts, LRU eviction in a full bucket,
 * and a million flows through a bounded table with counters that add up.
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <genkan/flowhash.h>
#include "l4.h"
#include "l4_fixtures.h"
#include "l4_rig.h"
#include "maglev.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BUF		2048
#define HEAD		128
#define CANARY		0xa5
#define MS		1000000ull
#define SEC		1000000000ull

struct tp {
	struct gk_pkt p;
	uint8_t buf[BUF];
};

static struct gk_wk_stats wst;
static struct tp tps[GK_BURST];

static int ctx_up(struct gk_l4_ctx *c, uint32_t max_flows)
{
	int ret = gk_l4_ctx_init(c, max_flows, rig_nr_be());

	assert_int_equal(ret, 0);
	c->stats = &wst;
	c->now_ns = SEC;
	return 0;
}

/* ------------------------------------------------------------ fixtures */

static void load(struct tp *t, const struct fx_pkt *f)
{
	memset(t->buf, CANARY, sizeof(t->buf));
	memcpy(t->buf + HEAD, f->in, f->in_len);
	memcpy(t->buf + HEAD + f->in_len, f->tail, f->tail_len);
	memset(&t->p, 0, sizeof(t->p));
	t->p.data = t->buf + HEAD;
	t->p.len = f->in_len;
	t->p.buf_len = BUF - HEAD;
	t->p.meta = f->meta;
	t->p.verdict = f->in_verdict;
	if (f->in_verdict == GK_V_DROP)
		t->p.drop_reason = GK_WK_DROP_NO_ROUTE;
}

static void check_pkt(const struct tp *t, const struct fx_pkt *f)
{
	const uint8_t *want = f->out ? f->out : f->in;
	struct gk_xdp_meta m = f->meta;
	size_t i;

	if (t->p.verdict != f->verdict)
		fail_msg("%s: verdict %u, want %u", f->what, t->p.verdict,
			 f->verdict);
	if (f->verdict == GK_V_DROP)
		assert_int_equal(t->p.drop_reason, f->dir == FX_FWD ?
				 GK_WK_DROP_L4 : GK_WK_DROP_NO_ROUTE);
	assert_int_equal(t->p.len, f->in_len);
	assert_ptr_equal(t->p.data, t->buf + HEAD);
	if (memcmp(t->p.data, want, f->in_len)) {
		for (i = 0; i < f->in_len; i++)
			if (t->p.data[i] != want[i])
				break;
		fail_msg("%s: byte %zu is 0x%02x, scapy says 0x%02x", f->what,
			 i, t->p.data[i], want[i]);
	}
	if (memcmp(t->p.data + f->in_len, f->tail, f->tail_len))
		fail_msg("%s: bytes past the frame written", f->what);
	for (i = 0; i < HEAD; i++)
		if (t->buf[i] != CANARY)
			fail_msg("%s: headroom written", f->what);
	for (i = HEAD + f->in_len + f->tail_len; i < BUF; i++)
		if (t->buf[i] != CANARY)
			fail_msg("%s: buffer written at %zu past the frame",
				 f->what, i - HEAD - f->in_len);
	/* Forwarded: routed on as transit; nothing else of the metadata moves. */
	if (f->dir == FX_FWD && f->verdict == GK_V_NONE)
		m.class = GK_CLASS_TRANSIT;
	if (memcmp(&t->p.meta, &m, sizeof(m)))
		fail_msg("%s: metadata changed", f->what);
}

struct snap {
	uint64_t cnt[GK_L4_CNT_MAX];
	uint64_t drops;
	uint64_t *be_pkts, *be_bytes;
};

static void snap_take(struct snap *s, const struct gk_l4_ctx *c)
{
	size_t n = c->nr_be_max * sizeof(uint64_t);

	memcpy(s->cnt, c->cnt, sizeof(s->cnt));
	s->drops = wst.drops[GK_WK_DROP_L4];
	s->be_pkts = malloc(n);
	s->be_bytes = malloc(n);
	assert_non_null(s->be_pkts);
	assert_non_null(s->be_bytes);
	memcpy(s->be_pkts, c->be_pkts, n);
	memcpy(s->be_bytes, c->be_bytes, n);
}

/* The counters moved as fixtures f[0..n) say, and nothing else did. */
static void snap_check(struct snap *s, const struct gk_l4_ctx *c,
		       const struct gk_l4_table *t, const struct fx_pkt *f,
		       size_t n, const char *what)
{
	uint64_t want[GK_L4_CNT_MAX] = { 0 }, drops = 0;
	uint64_t *bp = calloc(c->nr_be_max, sizeof(*bp));
	uint64_t *bb = calloc(c->nr_be_max, sizeof(*bb));
	size_t i, k;

	assert_non_null(bp);
	assert_non_null(bb);
	for (i = 0; i < n; i++) {
		for (k = 0; k < GK_L4_CNT_MAX; k++)
			want[k] += f[i].cnt[k];
		if (f[i].dir == FX_FWD && f[i].verdict == GK_V_DROP)
			drops++;
		if (f[i].svc >= 0) {
			uint32_t g = t->svc[f[i].svc].be[f[i].be].gidx;

			bp[g]++;
			bb[g] += f[i].in_len;
		}
	}
	for (k = 0; k < GK_L4_CNT_MAX; k++)
		if (c->cnt[k] - s->cnt[k] != want[k])
			fail_msg("%s: counter %s moved %lu, want %lu", what,
				 gk_l4_cnt_names[k],
				 (unsigned long)(c->cnt[k] - s->cnt[k]),
				 (unsigned long)want[k]);
	assert_int_equal(wst.drops[GK_WK_DROP_L4] - s->drops, drops);
	for (k = 0; k < c->nr_be_max; k++)
		if (c->be_pkts[k] - s->be_pkts[k] != bp[k] ||
		    c->be_bytes[k] - s->be_bytes[k] != bb[k])
			fail_msg("%s: backend counters of slot %zu", what, k);
	free(bp);
	free(bb);
	free(s->be_pkts);
	free(s->be_bytes);
}

static void run(struct gk_l4_ctx *c, const struct gk_l4_table *t, int dir,
		struct gk_pkt **p, uint16_t n)
{
	if (dir == FX_FWD)
		gk_l4_fwd_burst(c, t, p, n);
	else
		gk_l4_rev_burst(c, t, p, n);
}

/* One packet at a time; a group of fixtures (one flow) shares a table. */
static void test_fixtures(void **state)
{
	struct gk_l4_table *t = rig_table(NULL, 0);
	struct gk_l4_ctx c = { 0 };
	unsigned group = ~0u;
	size_t i;

	assert_non_null(t);
	for (i = 0; i < ARRAY_SIZE(fx_pkts); i++) {
		const struct fx_pkt *f = &fx_pkts[i];
		struct gk_pkt *p = &tps[0].p;
		struct snap s;

		if (f->group != group) {
			if (c.flows)
				gk_l4_ctx_fini(&c);
			ctx_up(&c, 1024);
			group = f->group;
		}
		load(&tps[0], f);
		snap_take(&s, &c);
		run(&c, t, f->dir, &p, 1);
		check_pkt(&tps[0], f);
		snap_check(&s, &c, t, f, 1, f->what);
	}
	gk_l4_ctx_fini(&c);
	gk_l4_table_free(t);
}

/* The same fixtures in bursts of up to 32, in order, one flow table. */
static void test_fixtures_burst(void **state)
{
	struct gk_l4_table *t = rig_table(NULL, 0);
	struct gk_pkt *p[GK_BURST];
	struct gk_l4_ctx c;
	struct snap s;
	size_t i = 0, k, n, bursts = 0;

	assert_non_null(t);
	ctx_up(&c, 1024);
	snap_take(&s, &c);
	while (i < ARRAY_SIZE(fx_pkts)) {
		int dir = fx_pkts[i].dir;

		for (n = 0; i + n < ARRAY_SIZE(fx_pkts) && n < GK_BURST &&
		     fx_pkts[i + n].dir == dir; n++) {
			load(&tps[n], &fx_pkts[i + n]);
			p[n] = &tps[n].p;
		}
		run(&c, t, dir, p, (uint16_t)n);
		for (k = 0; k < n; k++)
			check_pkt(&tps[k], &fx_pkts[i + k]);
		i += n;
		bursts++;
	}
	snap_check(&s, &c, t, fx_pkts, ARRAY_SIZE(fx_pkts), "all in bursts");
	print_message("%zu fixtures in %zu bursts\n", ARRAY_SIZE(fx_pkts),
		      bursts);
	gk_l4_ctx_fini(&c);
	gk_l4_table_free(t);
}

/*
 * A backend's packet to one of the door's host path addresses (a health
 * check's reply, an operator's curl on the door) keeps its source: every
 * rewritten reply fixture, sent to the door instead of its client, comes
 * out byte for byte as it went in and counts to_host; the same packet to
 * its client is rewritten as scapy says.
 */
static void test_to_host(void **state)
{
	struct gk_l4_table *t = rig_table(NULL, 0);
	struct gk_l4_ctx c;
	size_t i, n = 0;

	assert_non_null(t);
	ctx_up(&c, 1024);
	for (i = 0; i < ARRAY_SIZE(fx_pkts); i++) {
		const struct fx_pkt *f = &fx_pkts[i];
		struct gk_pkt *p = &tps[0].p;
		bool v4 = f->meta.flags & GK_META_F_IPV4;
		uint64_t th, rv;

		if (f->dir != FX_REV || f->verdict != GK_V_NONE || !f->out ||
		    !memcmp(f->in, f->out, f->in_len) ||
		    f->meta.l4_proto == 1 || f->meta.l4_proto == 58)
			continue;
		/* the reply's destination is the door's own address */
		t->nr_host = 1;
		t->host[0].family = v4 ? 4 : 6;
		memset(t->host[0].addr, 0, 16);
		memcpy(t->host[0].addr, f->in + f->meta.l3_off + (v4 ? 16 : 24),
		       v4 ? 4 : 16);
		load(&tps[0], f);
		th = c.cnt[GK_L4_TO_HOST];
		rv = c.cnt[GK_L4_REVERSE];
		gk_l4_rev_burst(&c, t, &p, 1);
		if (memcmp(tps[0].p.data, f->in, f->in_len))
			fail_msg("%s: rewritten, though addressed to the door", f->what);
		assert_int_equal(c.cnt[GK_L4_TO_HOST] - th, 1);
		assert_int_equal(c.cnt[GK_L4_REVERSE] - rv, 0);
		/* another host address: the client's reply is rewritten */
		t->host[0].addr[v4 ? 3 : 15] ^= 1;
		load(&tps[0], f);
		gk_l4_rev_burst(&c, t, &p, 1);
		check_pkt(&tps[0], f);
		n++;
	}
	assert_true(n >= 4);
	print_message("%zu replies left alone to the door, rewritten to clients\n", n);
	t->nr_host = 0;
	gk_l4_ctx_fini(&c);
	gk_l4_table_free(t);
}

/* Nothing published yet: every forward packet drops, replies pass. */
static void test_no_table(void **state)
{
	struct gk_l4_ctx c;
	size_t i;

	ctx_up(&c, 64);
	for (i = 0; i < ARRAY_SIZE(fx_pkts); i++) {
		const struct fx_pkt *f = &fx_pkts[i];
		struct gk_pkt *p = &tps[0].p;
		uint64_t d = wst.drops[GK_WK_DROP_L4];

		load(&tps[0], f);
		run(&c, NULL, f->dir, &p, 1);
		if (f->dir == FX_FWD) {
			assert_int_equal(p->verdict, GK_V_DROP);
			assert_int_equal(p->drop_reason, GK_WK_DROP_L4);
			assert_int_equal(wst.drops[GK_WK_DROP_L4], d + 1);
		} else {
			assert_int_equal(p->verdict, f->in_verdict);
		}
		assert_memory_equal(p->data, f->in, f->in_len);
	}
	for (i = 0; i < GK_L4_CNT_MAX; i++) {
		uint64_t fwd = 0;

		for (size_t j = 0; j < ARRAY_SIZE(fx_pkts); j++)
			fwd += fx_pkts[j].dir == FX_FWD;
		assert_int_equal(c.cnt[i], i == GK_L4_NO_TABLE ? fwd : 0);
	}
	gk_l4_ctx_fini(&c);
}

/* ---------------------------------------------------- Maglev and lookup */

/* The tables the rig builds (as genkand does) are the model's. */
static void test_tables_match_model(void **state)
{
	struct gk_l4_table *t = rig_table(NULL, 0);

	assert_non_null(t);
	assert_int_equal(t->nr_svc, FX_SVC_MAX);
	for (size_t i = 0; i < FX_SVC_MAX; i++) {
		assert_int_equal(t->svc[i].m, fx_svc[i].m);
		for (uint32_t k = 0; k < fx_svc[i].m; k++)
			if (t->svc[i].table[k] != fx_svc[i].table[k])
				fail_msg("%s: entry %u is %u, model %u",
					 fx_svc[i].name, k, t->svc[i].table[k],
					 fx_svc[i].table[k]);
	}
	gk_l4_table_free(t);
}

/* gk_l4_pick() and the flow hash against the independent model. */
static void test_pick_model(void **state)
{
	struct gk_l4_table *t = rig_table(NULL, 0);

	assert_non_null(t);
	for (size_t i = 0; i < ARRAY_SIZE(fx_picks); i++) {
		const struct fx_pick *f = &fx_picks[i];
		const struct gk_l4_service *s = &t->svc[f->svc];
		const uint8_t *ca = s->family == 4 ? f->caddr + 12 : f->caddr;
		uint64_t h = s->family == 4 ?
			gk_maglev_flow_hash4(ca, f->cport, s->addr, f->lport,
					     s->proto) :
			gk_maglev_flow_hash(ca, f->cport, s->addr, f->lport,
					    s->proto);
		int b = gk_l4_pick(s, ca, f->cport, f->lport);

		assert_int_equal(h, f->hash);
		if (b != f->be)
			fail_msg("%s tuple %zu: pick %d, model %d",
				 fx_svc[f->svc].name, i, b, f->be);
	}
	print_message("%zu tuples picked as the model says\n",
		      ARRAY_SIZE(fx_picks));
	gk_l4_table_free(t);
}

/* Every listen address:port finds its service; neighbours do not. */
static void test_find_listen(void **state)
{
	struct gk_l4_table *t = rig_table(NULL, 0);

	assert_non_null(t);
	for (size_t i = 0; i < FX_SVC_MAX; i++) {
		const struct fx_svc *f = &fx_svc[i];
		uint8_t other = f->proto == 6 ? 17 : 6;

		for (uint32_t p = f->port_lo; p <= f->port_hi; p++)
			assert_int_equal(gk_l4_find_listen(t, f->family,
							   f->proto, f->addr,
							   (uint16_t)p), (int)i);
		assert_int_not_equal(gk_l4_find_listen(t, f->family, f->proto,
						       f->addr,
						       f->port_hi + 1), (int)i);
		assert_int_not_equal(gk_l4_find_listen(t, f->family, f->proto,
						       f->addr,
						       f->port_lo - 1), (int)i);
		assert_int_not_equal(gk_l4_find_listen(t, f->family, other,
						       f->addr, f->port_lo),
				     (int)i);
	}
	gk_l4_table_free(t);
}

/* ------------------------------------------------------ flow behaviour */

/*
 * A client's packet for service svc, as the classifier hands it over:
 * Ethernet, IPv4/IPv6 without options, TCP (flags) or UDP.
 */
static void mk(struct tp *t, int svc, uint32_t client, uint16_t cport,
	       uint8_t tcp_flags)
{
	const struct fx_svc *s = &fx_svc[svc];
	struct gk_xdp_meta *m = &t->p.meta;
	uint8_t *f = t->buf + HEAD, *ip = f + 14, *l4;
	uint32_t hl = s->family == 4 ? 20 : 40, ports, sw[4], dw[4];
	uint32_t l4len = s->proto == 6 ? 20 : 16;

	memset(t->buf, 0, HEAD + 14 + hl + l4len + 8);
	memset(&t->p, 0, sizeof(t->p));
	f[0] = 2;
	f[6] = 2;
	if (s->family == 4) {
		f[12] = 0x08;
		ip[0] = 0x45;
		ip[3] = (uint8_t)(hl + l4len);
		ip[8] = 64;
		ip[9] = s->proto;
		ip[12] = 10;
		ip[13] = (uint8_t)(client >> 16);
		ip[14] = (uint8_t)(client >> 8);
		ip[15] = (uint8_t)client;
		memcpy(ip + 16, s->addr, 4);
	} else {
		f[12] = 0x86;
		f[13] = 0xdd;
		ip[0] = 0x60;
		ip[5] = (uint8_t)l4len;
		ip[6] = s->proto;
		ip[7] = 64;
		ip[8] = 0x20;
		ip[9] = 0x01;
		ip[10] = 0x0d;
		ip[11] = 0xb8;
		ip[21] = (uint8_t)(client >> 16);
		ip[22] = (uint8_t)(client >> 8);
		ip[23] = (uint8_t)client;
		memcpy(ip + 24, s->addr, 16);
	}
	l4 = ip + hl;
	l4[0] = (uint8_t)(cport >> 8);
	l4[1] = (uint8_t)cport;
	l4[2] = (uint8_t)(s->port_lo >> 8);
	l4[3] = (uint8_t)s->port_lo;
	if (s->proto == 6) {
		l4[12] = 0x50;
		l4[13] = tcp_flags;
	} else {
		l4[5] = (uint8_t)l4len;
	}
	t->p.data = f;
	t->p.len = 14 + hl + l4len < 60 ? 60 : 14 + hl + l4len;
	t->p.buf_len = BUF - HEAD;
	m->magic = GK_META_MAGIC;
	m->version = GK_META_VERSION;
	m->class = GK_CLASS_L4_SERVICE;
	m->l3_off = 14;
	m->l4_off = (uint16_t)(14 + hl);
	m->l4_proto = s->proto;
	m->flags = GK_META_F_L4 |
		   (s->family == 4 ? GK_META_F_IPV4 : GK_META_F_IPV6);
	memcpy(&ports, l4, 4);
	if (s->family == 4) {
		memcpy(&sw[0], ip + 12, 4);
		memcpy(&dw[0], ip + 16, 4);
		m->flow_hash = gk_flow_hash4(sw[0], dw[0], ports, s->proto);
	} else {
		memcpy(sw, ip + 8, 16);
		memcpy(dw, ip + 24, 16);
		m->flow_hash = gk_flow_hash6(sw, dw, ports, s->proto);
	}
}

/* The client address of mk() in packet bytes (4 or 16 of them). */
static const uint8_t *caddr_of(const struct tp *t, int svc)
{
	return t->buf + HEAD + 14 + (fx_svc[svc].family == 4 ? 12 : 8);
}

/* Send one packet of flow (client, cport); the backend it went to or -1. */
static int send1(struct gk_l4_ctx *c, const struct gk_l4_table *t, int svc,
		 uint32_t client, uint16_t cport, uint8_t tcp_flags)
{
	struct gk_pkt *p = &tps[0].p;

	mk(&tps[0], svc, client, cport, tcp_flags);
	gk_l4_fwd_burst(c, t, &p, 1);
	if (p->verdict != GK_V_NONE)
		return -1;
	assert_int_equal(p->meta.class, GK_CLASS_TRANSIT);
	return rig_be_of(t, svc, p->data + 14 +
			 (fx_svc[svc].family == 4 ? 16 : 24));
}

/* What a new flow of (client, cport) would get from table t. */
static int pick_of(const struct gk_l4_table *t, int svc, uint32_t client,
		   uint16_t cport)
{
	mk(&tps[1], svc, client, cport, 0x02);
	return gk_l4_pick(&t->svc[svc], caddr_of(&tps[1], svc), cport,
			  fx_svc[svc].port_lo);
}

#define NFLOWS	512

/*
 * Flows keep their backend when the table is republished with it down,
 * draining, disabled or weighted out of Maglev; new flows go elsewhere,
 * where the new table sends them.
 */
static void test_consistency(void **state)
{
	static const int svcs[] = { FX_SVC_FLOWT4, FX_SVC_FLOWU4,
				    FX_SVC_FLOWT6 };
	static const struct { const char *what; int state, weight; } mods[] = {
		{ "down", GK_L4_BE_DOWN, -1 },
		{ "draining", GK_L4_BE_DRAINING, -1 },
		{ "disabled", GK_L4_BE_DISABLED, -1 },
		{ "weight 0 (out of Maglev)", -1, 0 },
	};
	static int be0[NFLOWS];

	for (size_t si = 0; si < ARRAY_SIZE(svcs); si++) {
		for (size_t mi = 0; mi < ARRAY_SIZE(mods); mi++) {
			int svc = svcs[si], victim, on_victim = 0, b, i;
			struct gk_l4_table *t0 = rig_table(NULL, 0), *t1;
			struct rig_mod mod = { svc, 0, mods[mi].state,
					       mods[mi].weight };
			struct gk_l4_ctx c;
			uint64_t hits, news;

			assert_non_null(t0);
			ctx_up(&c, 65536);
			for (i = 0; i < NFLOWS; i++) {
				be0[i] = send1(&c, t0, svc, (uint32_t)i,
					       (uint16_t)(20000 + i), 0x02);
				assert_int_equal(be0[i],
						 pick_of(t0, svc, (uint32_t)i,
							 (uint16_t)(20000 + i)));
			}
			victim = be0[0];
			mod.be = victim;
			t1 = rig_table(&mod, 1);
			assert_non_null(t1);
			c.now_ns += SEC;
			hits = c.cnt[GK_L4_HITS];
			news = c.cnt[GK_L4_NEW_FLOWS];
			for (i = 0; i < NFLOWS; i++) {
				b = send1(&c, t1, svc, (uint32_t)i,
					  (uint16_t)(20000 + i), 0x10);
				if (b != be0[i])
					fail_msg("%s, %s: flow %d moved %d -> %d",
						 fx_svc[svc].name,
						 mods[mi].what, i, be0[i], b);
				if (b == victim) {
					on_victim++;
					/* a new flow of it would go elsewhere */
					assert_int_not_equal(
						pick_of(t1, svc, (uint32_t)i,
							(uint16_t)(20000 + i)),
						victim);
				}
			}
			assert_int_equal(c.cnt[GK_L4_HITS] - hits, NFLOWS);
			assert_int_equal(c.cnt[GK_L4_NEW_FLOWS], news);
			assert_true(on_victim > 0);
			for (i = 0; i < NFLOWS; i++) {
				uint32_t cl = (uint32_t)(NFLOWS + i);

				b = send1(&c, t1, svc, cl, (uint16_t)(30000 + i),
					  0x02);
				assert_int_not_equal(b, victim);
				assert_int_equal(b, pick_of(t1, svc, cl,
						 (uint16_t)(30000 + i)));
			}
			assert_int_equal(c.cnt[GK_L4_NEW_FLOWS] - news, NFLOWS);
			print_message("%s, backend %d %s: its %d flows stay, "
				      "%d new flows avoid it\n", fx_svc[svc].name,
				      victim, mods[mi].what, on_victim, NFLOWS);
			gk_l4_ctx_fini(&c);
			gk_l4_table_free(t0);
			gk_l4_table_free(t1);
		}
	}
}

/* Counters of c now, to compare with what a step should add. */
#define CNT(c, x)	((c)->cnt[GK_L4_##x])

/*
 * TCP: the idle timeout until a FIN, the FIN timeout after it; a flow
 * idle past its timeout is picked again (here elsewhere: its backend went
 * down meanwhile), and that new flow starts with the idle timeout again.
 */
static void test_fin_timeout(void **state)
{
	const int svc = FX_SVC_FLOWT4;
	const uint64_t fin = FX_TCP_FIN_MS * MS, idle = FX_TCP_IDLE_MS * MS;
	struct gk_l4_table *t0 = rig_table(NULL, 0), *t1;
	struct rig_mod mod = { svc, 0, GK_L4_BE_DOWN, -1 };
	struct gk_l4_ctx c;
	int b0, b;

	assert_non_null(t0);
	ctx_up(&c, 1024);
	b0 = send1(&c, t0, svc, 1, 40000, 0x02);
	assert_true(b0 >= 0);
	assert_int_equal(CNT(&c, NEW_FLOWS), 1);
	/* no FIN yet: the idle timeout holds */
	c.now_ns += fin + 1;
	assert_int_equal(send1(&c, t0, svc, 1, 40000, 0x18), b0);
	assert_int_equal(CNT(&c, HITS), 1);
	c.now_ns += MS;
	assert_int_equal(send1(&c, t0, svc, 1, 40000, 0x11), b0);
	assert_int_equal(CNT(&c, CLOSED), 1);
	/* a second FIN (the other side's ACK of it) counts once */
	assert_int_equal(send1(&c, t0, svc, 1, 40000, 0x11), b0);
	assert_int_equal(CNT(&c, CLOSED), 1);
	mod.be = b0;
	t1 = rig_table(&mod, 1);
	assert_non_null(t1);
	/* within the FIN timeout: still the old backend, though down */
	c.now_ns += fin;
	assert_int_equal(send1(&c, t1, svc, 1, 40000, 0x10), b0);
	assert_int_equal(CNT(&c, HITS), 4);
	/* past it: a new flow, picked on the new table */
	c.now_ns += fin + 1;
	b = send1(&c, t1, svc, 1, 40000, 0x02);
	assert_int_not_equal(b, b0);
	assert_int_equal(b, pick_of(t1, svc, 1, 40000));
	assert_int_equal(CNT(&c, NEW_FLOWS), 2);
	assert_int_equal(CNT(&c, REUSED), 1);
	assert_int_equal(CNT(&c, EVICTED), 0);
	/* the new flow has seen no FIN: it keeps the idle timeout */
	c.now_ns += fin + 1;
	assert_int_equal(send1(&c, t1, svc, 1, 40000, 0x10), b);
	assert_int_equal(CNT(&c, HITS), 5);
	assert_int_equal(CNT(&c, NEW_FLOWS), 2);
	/* idle timeout: exactly at it still a hit, past it picked again */
	c.now_ns += idle;
	assert_int_equal(send1(&c, t1, svc, 1, 40000, 0x10), b);
	assert_int_equal(CNT(&c, HITS), 6);
	c.now_ns += idle + 1;
	assert_int_equal(send1(&c, t1, svc, 1, 40000, 0x10), b);
	assert_int_equal(CNT(&c, NEW_FLOWS), 3);
	assert_int_equal(CNT(&c, REUSED), 2);
	/* RST closes as FIN does */
	assert_true(send1(&c, t1, svc, 2, 40001, 0x02) >= 0);
	assert_true(send1(&c, t1, svc, 2, 40001, 0x04) >= 0);
	assert_int_equal(CNT(&c, CLOSED), 2);
	gk_l4_ctx_fini(&c);
	gk_l4_table_free(t0);
	gk_l4_table_free(t1);
}

/* UDP: the idle timeout only; a FIN bit means nothing there. */
static void test_udp_idle(void **state)
{
	const int svc = FX_SVC_FLOWU4;
	const uint64_t idle = FX_UDP_IDLE_MS * MS;
	struct gk_l4_table *t = rig_table(NULL, 0);
	struct gk_l4_ctx c;
	int b;

	assert_non_null(t);
	ctx_up(&c, 1024);
	b = send1(&c, t, svc, 7, 5353, 0);
	assert_true(b >= 0);
	c.now_ns += idle;
	assert_int_equal(send1(&c, t, svc, 7, 5353, 0), b);
	assert_int_equal(CNT(&c, HITS), 1);
	c.now_ns += idle + 1;
	assert_int_equal(send1(&c, t, svc, 7, 5353, 0), b);
	assert_int_equal(CNT(&c, NEW_FLOWS), 2);
	assert_int_equal(CNT(&c, REUSED), 1);
	assert_int_equal(CNT(&c, CLOSED), 0);
	gk_l4_ctx_fini(&c);
	gk_l4_table_free(t);
}

static uint32_t used_slots(const struct gk_l4_ctx *c)
{
	uint32_t n = 0;

	for (size_t i = 0; i < (size_t)c->nr_buckets * GK_L4_WAYS; i++)
		n += c->flows[i].used != 0;
	return n;
}

/*
 * A full bucket evicts its least recently used flow, counted; the flow
 * evicted is new again when it comes back. One bucket: max_flows 8.
 */
static void test_table_full(void **state)
{
	const int svc = FX_SVC_FLOWT4;
	struct gk_l4_table *t = rig_table(NULL, 0);
	struct gk_l4_ctx c;
	uint32_t i;

	assert_non_null(t);
	ctx_up(&c, 8);
	assert_int_equal(c.nr_buckets, 1);
	for (i = 0; i < 8; i++) {
		c.now_ns += MS;
		assert_true(send1(&c, t, svc, i, 1000, 0x02) >= 0);
	}
	assert_int_equal(CNT(&c, NEW_FLOWS), 8);
	c.now_ns += MS;
	send1(&c, t, svc, 0, 1000, 0x10);		/* flow 0 used again */
	assert_int_equal(CNT(&c, HITS), 1);
	c.now_ns += MS;
	send1(&c, t, svc, 8, 1000, 0x02);		/* evicts flow 1 */
	assert_int_equal(CNT(&c, EVICTED), 1);
	c.now_ns += MS;
	send1(&c, t, svc, 0, 1000, 0x10);
	assert_int_equal(CNT(&c, HITS), 2);
	c.now_ns += MS;
	send1(&c, t, svc, 1, 1000, 0x10);		/* new again; evicts 2 */
	assert_int_equal(CNT(&c, NEW_FLOWS), 10);
	assert_int_equal(CNT(&c, EVICTED), 2);
	c.now_ns += MS;
	send1(&c, t, svc, 3, 1000, 0x10);
	assert_int_equal(CNT(&c, HITS), 3);
	c.now_ns += MS;
	send1(&c, t, svc, 2, 1000, 0x10);
	assert_int_equal(CNT(&c, NEW_FLOWS), 11);
	/* a flood of new flows through one bucket */
	for (i = 100; i < 10100; i++) {
		c.now_ns += 1000;
		assert_true(send1(&c, t, svc, i, (uint16_t)i, 0x02) >= 0);
	}
	assert_int_equal(CNT(&c, NEW_FLOWS), 10011);
	assert_int_equal(CNT(&c, EVICTED), 10011 - 8);
	assert_int_equal(CNT(&c, REUSED), 0);
	assert_int_equal(used_slots(&c), 8);
	gk_l4_ctx_fini(&c);
	gk_l4_table_free(t);
}

/*
 * An expired flow's slot is counted as reused when a new flow takes it,
 * not when the bucket walk merely passes it on the way to a live match.
 */
static void test_reused_count(void **state)
{
	const int svc = FX_SVC_FLOWU4;
	const uint64_t idle = FX_UDP_IDLE_MS * MS;
	struct gk_l4_table *t = rig_table(NULL, 0);
	struct gk_l4_ctx c;

	assert_non_null(t);
	ctx_up(&c, 8);
	send1(&c, t, svc, 1, 1000, 0);			/* A, slot 0 */
	c.now_ns += 10 * SEC;
	send1(&c, t, svc, 2, 1000, 0);			/* B, slot 1 */
	c.now_ns += idle - 5 * SEC;			/* A expired, B not */
	send1(&c, t, svc, 2, 1000, 0);
	assert_int_equal(CNT(&c, HITS), 1);
	assert_int_equal(CNT(&c, REUSED), 0);
	send1(&c, t, svc, 3, 1000, 0);			/* C takes A's slot */
	assert_int_equal(CNT(&c, NEW_FLOWS), 3);
	assert_int_equal(CNT(&c, REUSED), 1);
	assert_int_equal(CNT(&c, EVICTED), 0);
	assert_int_equal(used_slots(&c), 2);
	gk_l4_ctx_fini(&c);
	gk_l4_table_free(t);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

#define MILLION		1000000u
#define BOUND		65536u

/*
 * A million distinct flows (and as many packets again revisiting recent
 * ones) through a table of 65,536: no allocation on the way, the table
 * stays its size, and new = slots in use + evicted + reused, new + hits =
 * packets, the backends' packets = packets.
 */
static void test_million_flows(void **state)
{
	static const int svcs[] = { FX_SVC_FLOWU4, FX_SVC_FLOWT4,
				    FX_SVC_FLOWT6 };
	struct gk_l4_table *t = rig_table(NULL, 0);
	struct gk_pkt *p[GK_BURST];
	struct mallinfo2 m0, m1;
	uint64_t pkts = 0, fwd = 0, be_sum = 0;
	uint32_t next = 0, used, i, k;
	uint32_t revisits = 0;
	struct gk_l4_ctx c;

	assert_non_null(t);
	ctx_up(&c, BOUND);
	assert_int_equal(c.nr_buckets * GK_L4_WAYS, BOUND);
	for (k = 0; k < GK_BURST; k++)
		p[k] = &tps[k].p;
	m0 = mallinfo2();
	while (next < MILLION) {
		for (k = 0; k < GK_BURST; k++) {
			uint32_t f;

			/* two in three new; else one of the last 40,000 */
			if (next < 40000 || rnd() % 3) {
				f = next < MILLION ? next++ : next - 1;
			} else {
				f = next - 1 - rnd() % 40000;
				revisits++;
			}
			mk(&tps[k], svcs[f % 3], f, (uint16_t)(1024 + f % 50000),
			   0x10);
		}
		gk_l4_fwd_burst(&c, t, p, GK_BURST);
		for (k = 0; k < GK_BURST; k++)
			fwd += p[k]->verdict == GK_V_NONE;
		pkts += GK_BURST;
		c.now_ns += MS * GK_BURST;	/* 1 ms a packet */
	}
	m1 = mallinfo2();
	used = used_slots(&c);
	for (i = 0; i < c.nr_be_max; i++)
		be_sum += c.be_pkts[i];
	print_message("%lu packets (%u revisits), %lu new flows, %lu hits, "
		      "%lu evicted, %lu expired reused, %u slots in use of %u, "
		      "%.0f s of flow time\n", (unsigned long)pkts, revisits,
		      (unsigned long)CNT(&c, NEW_FLOWS),
		      (unsigned long)CNT(&c, HITS),
		      (unsigned long)CNT(&c, EVICTED),
		      (unsigned long)CNT(&c, REUSED), used, BOUND,
		      (double)(c.now_ns - SEC) / SEC);
	assert_int_equal(m1.uordblks, m0.uordblks);
	assert_int_equal(m1.hblkhd, m0.hblkhd);
	assert_int_equal(c.nr_buckets * GK_L4_WAYS, BOUND);
	assert_int_equal(fwd, pkts);
	assert_int_equal(CNT(&c, NEW_FLOWS) + CNT(&c, HITS), pkts);
	assert_int_equal(CNT(&c, NEW_FLOWS),
			 used + CNT(&c, EVICTED) + CNT(&c, REUSED));
	assert_true(CNT(&c, NEW_FLOWS) >= MILLION);
	assert_true(CNT(&c, EVICTED) > 0);
	assert_true(CNT(&c, REUSED) > 0);
	assert_true(used <= BOUND);
	assert_int_equal(be_sum, pkts);
	for (i = 0; i < GK_L4_CNT_MAX; i++)
		if (i != GK_L4_NEW_FLOWS && i != GK_L4_HITS &&
		    i != GK_L4_EVICTED && i != GK_L4_REUSED)
			assert_int_equal(c.cnt[i], 0);
	gk_l4_ctx_fini(&c);
	gk_l4_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_fixtures_burst),
		cmocka_unit_test(test_to_host),
		cmocka_unit_test(test_no_table),
		cmocka_unit_test(test_tables_match_model),
		cmocka_unit_test(test_pick_model),
		cmocka_unit_test(test_find_listen),
		cmocka_unit_test(test_consistency),
		cmocka_unit_test(test_fin_timeout),
		cmocka_unit_test(test_udp_idle),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_reused_count),
		cmocka_unit_test(test_million_flows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
