// SPDX-License-Identifier: BSD-3-Clause
/*
 * WireGuard data stage against the fixture table of gen_wg_data.py (scapy
 * and python3-cryptography build every expected message). Each fixture is
 * one burst through encrypt or decrypt, checked byte for byte with its
 * verdicts, drop counters, output metadata and the event posted to
 * genkand; the whole table runs once per AEAD implementation. Then the
 * sending counter shared by two worker contexts (interleaved, and two
 * threads racing: no counter twice, none skipped), event hold-off, and
 * snapshot build errors.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "pkt.h"
#include "wg_data.h"
#include "wg_peers.h"
#include "wkstats.h"

struct wgx_kp {
	uint32_t local, remote;
	uint8_t send[32], recv[32];
};

struct wgx_allowed {
	uint8_t fam, plen;
	uint8_t addr[16];
};

struct wgx_peer {
	uint32_t id;
	uint8_t fam;
	uint8_t ep[16];
	uint16_t port;
	uint8_t src[16];
	uint16_t sport;
	const struct wgx_allowed *allowed;
	uint32_t nr_allowed;
	int kp[3];
};

struct wgx_pkt {
	const uint8_t *in;
	uint32_t in_len;
	uint16_t l3, l4;
	uint8_t proto, flags, cls, verdict;
	const char *drop;
	const uint8_t *out;
	uint32_t out_len;
	uint16_t out_l4;
	uint8_t out_proto, out_flags, out_cls;
};

struct wgx_fx {
	const char *name;
	int dir;
	uint64_t now, counter0;
	uint16_t ip_id;
	const struct wgx_pkt *pkts;
	unsigned int n;
	const char *evc;
	uint8_t ev_type, ev_fam;
	uint32_t ev_peer, ev_index;
	uint8_t ev_addr[16];
	uint16_t ev_port;
	/* per peer id: packets and bytes the burst adds to its counters */
	uint64_t want_pk[8], want_bytes[8];
};

#include "wg_data_fixtures.h"

_Static_assert(WGX_MAX_ID <= 8, "want_pk too small");

#define NFX		(sizeof(wgx_fx) / sizeof(wgx_fx[0]))
#define HEADROOM	GK_PKT_HEADROOM
#define ROOM		1600
#define CANARY		0xa5
#define MAX_PEERS	8

static struct gk_wg_kpstate *kpst[WGX_NR_KP];
static struct gk_wg_keypair kps[WGX_NR_KP];
static struct gk_wg_peers *snap;

static struct gk_wg_peers *build(uint32_t mtu, bool dup_index, bool dup_id,
				 bool no_state, char *err, size_t errlen)
{
	struct gk_wg_peer_cfg pc[WGX_NR_PEERS];
	struct gk_wg_allowed al[WGX_NR_PEERS][4];
	struct gk_wg_peers_cfg cfg = {
		.listen_port = WGX_LISTEN, .mtu = mtu, .peers = pc,
		.nr_peers = WGX_NR_PEERS,
	};
	unsigned int i, j, k;

	memset(pc, 0, sizeof(pc));
	for (i = 0; i < WGX_NR_PEERS; i++) {
		const struct wgx_peer *w = &wgx_peers[i];

		pc[i].id = w->id;
		pc[i].ep.family = w->fam;
		pc[i].ep.port = w->port;
		memcpy(pc[i].ep.addr, w->ep, 16);
		memcpy(pc[i].src, w->src, 16);
		pc[i].src_port = w->sport;
		for (j = 0; j < w->nr_allowed; j++) {
			al[i][j].family = w->allowed[j].fam;
			al[i][j].plen = w->allowed[j].plen;
			memcpy(al[i][j].addr, w->allowed[j].addr, 16);
		}
		pc[i].allowed = al[i];
		pc[i].nr_allowed = w->nr_allowed;
		for (k = 0; k < 3; k++) {
			if (w->kp[k] < 0)
				continue;
			pc[i].kp[k] = &kps[w->kp[k]];
			pc[i].kps[k] = no_state ? NULL : kpst[w->kp[k]];
		}
	}
	if (dup_index) {	/* peer 2 gets a copy of peer 0's current */
		pc[2].kp[0] = pc[0].kp[0];
		pc[2].kps[0] = pc[0].kps[0];
	}
	if (dup_id)
		pc[3].id = pc[0].id;
	return gk_wg_peers_build(&cfg, err, errlen);
}

static int setup(void **state)
{
	char err[128] = "";
	unsigned int i;

	for (i = 0; i < WGX_NR_KP; i++) {
		kpst[i] = gk_wg_kpstate_create();
		assert_non_null(kpst[i]);
		memcpy(kps[i].send_key, wgx_kps[i].send, 32);
		memcpy(kps[i].recv_key, wgx_kps[i].recv, 32);
		kps[i].local_index = wgx_kps[i].local;
		kps[i].remote_index = wgx_kps[i].remote;
		kps[i].birth_ns = WGX_BIRTH;
	}
	snap = build(WGX_MTU, false, false, false, err, sizeof(err));
	if (!snap)
		fprintf(stderr, "build: %s\n", err);
	assert_non_null(snap);
	return 0;
}

static int teardown(void **state)
{
	unsigned int i;

	gk_wg_peers_free(snap);
	for (i = 0; i < WGX_NR_KP; i++)
		gk_wg_kpstate_free(kpst[i]);
	return 0;
}

static void reset_kpstates(uint64_t counter0)
{
	unsigned int i;

	for (i = 0; i < WGX_NR_KP; i++) {
		atomic_store(&kpst[i]->send_counter, counter0);
		gk_replay_init(&kpst[i]->replay);
	}
}

struct buf {
	uint8_t mem[HEADROOM + ROOM + 64];
	struct gk_pkt pkt;
};

static void load(struct buf *b, const uint8_t *frame, uint32_t len,
		 uint16_t l3, uint16_t l4, uint8_t proto, uint8_t flags,
		 uint8_t cls)
{
	struct gk_pkt *p = &b->pkt;

	memset(b->mem, CANARY, sizeof(b->mem));
	memset(p, 0, sizeof(*p));
	p->data = b->mem + HEADROOM;
	p->buf_len = ROOM;
	p->len = len;
	memcpy(p->data, frame, len);
	p->meta.magic = GK_META_MAGIC;
	p->meta.version = GK_META_VERSION;
	p->meta.class = cls;
	p->meta.l3_off = l3;
	p->meta.l4_off = l4;
	p->meta.l4_proto = proto;
	p->meta.flags = flags;
	p->meta.flow_hash = WGX_FLOW_HASH;
	p->verdict = GK_V_NONE;
}

static int name_idx(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	fail_msg("unknown counter name %s", s);
	return -1;
}

static void reset_ctx(struct gk_wg_ctx *ctx)
{
	memset(ctx->drops, 0, sizeof(ctx->drops));
	memset(ctx->evc, 0, sizeof(ctx->evc));
	memset(ctx->peer, 0, ctx->max_peers * sizeof(*ctx->peer));
	memset(ctx->stats, 0, sizeof(*ctx->stats));
}

static void run_fx(struct gk_wg_ctx *ctx, const struct wgx_fx *f)
{
	static struct buf bufs[GK_BURST];
	struct gk_pkt *pk[GK_BURST];
	uint64_t want_drops[GK_WG_DROP_MAX] = { 0 }, named = 0;
	struct gk_wg_event ev[4];
	unsigned int i, nev;
	int d;

	assert_true(f->n <= GK_BURST);
	reset_kpstates(f->counter0);
	reset_ctx(ctx);
	ctx->now_ns = f->now;
	ctx->ip_id = f->ip_id;
	while (gk_wg_evring_pop(ctx->events, ev, 4))
		;
	for (i = 0; i < f->n; i++) {
		const struct wgx_pkt *w = &f->pkts[i];

		load(&bufs[i], w->in, w->in_len, w->l3, w->l4, w->proto,
		     w->flags, w->cls);
		pk[i] = &bufs[i].pkt;
		if (w->drop) {
			want_drops[name_idx(gk_wg_drop_names, GK_WG_DROP_MAX,
					    w->drop)]++;
			named++;
		}
	}
	if (f->dir == 0)
		gk_wg_encrypt_burst(ctx, pk, (uint16_t)f->n);
	else
		gk_wg_decrypt_burst(ctx, pk, (uint16_t)f->n);

	for (i = 0; i < f->n; i++) {
		const struct wgx_pkt *w = &f->pkts[i];
		struct gk_pkt *p = pk[i];
		uint8_t *end;

		if (p->verdict != w->verdict)
			fail_msg("%s #%u: verdict %u, want %u", f->name, i,
				 p->verdict, w->verdict);
		if (w->verdict == GK_V_DROP) {
			assert_int_equal(p->drop_reason, GK_WK_DROP_WG);
			continue;
		}
		if (p->len != w->out_len || memcmp(p->data, w->out, w->out_len)) {
			uint32_t k;

			for (k = 0; k < p->len && k < w->out_len; k++)
				if (p->data[k] != w->out[k])
					break;
			fail_msg("%s #%u: output differs (len %u want %u, "
				 "first diff at %u)", f->name, i, p->len,
				 w->out_len, k);
		}
		assert_int_equal(p->meta.l3_off, 14);
		assert_int_equal(p->meta.l4_off, w->out_l4);
		assert_int_equal(p->meta.l4_proto, w->out_proto);
		assert_int_equal(p->meta.flags, w->out_flags);
		assert_int_equal(p->meta.class, w->out_cls);
		/* Stayed inside the buffer; canaries intact. */
		assert_true(p->data >= bufs[i].mem);
		assert_true(p->data + p->buf_len == bufs[i].mem + HEADROOM + ROOM);
		end = bufs[i].mem + HEADROOM + ROOM;
		for (d = 0; d < 64; d++)
			assert_int_equal(end[d], CANARY);
	}
	for (d = 0; d < GK_WG_DROP_MAX; d++)
		if (ctx->drops[d] != want_drops[d])
			fail_msg("%s: drop %s = %lu, want %lu", f->name,
				 gk_wg_drop_names[d], (unsigned long)ctx->drops[d],
				 (unsigned long)want_drops[d]);
	assert_int_equal(ctx->stats->drops[GK_WK_DROP_WG], named);
	for (d = 0; d < WGX_MAX_ID; d++) {
		const struct gk_wg_peer_stats *ps = &ctx->peer[d];
		uint64_t npk = f->dir ? ps->rx_packets : ps->tx_packets;
		uint64_t by = f->dir ? ps->rx_bytes : ps->tx_bytes;
		uint64_t last = f->dir ? ps->last_rx_ns : ps->last_tx_ns;

		if (npk != f->want_pk[d] || by != f->want_bytes[d])
			fail_msg("%s: peer %d counted %lu packets, %lu bytes; "
				 "want %lu, %lu", f->name, d, (unsigned long)npk,
				 (unsigned long)by, (unsigned long)f->want_pk[d],
				 (unsigned long)f->want_bytes[d]);
		if (f->want_pk[d] && last != f->now)
			fail_msg("%s: peer %d last seen %lu, want %lu", f->name,
				 d, (unsigned long)last, (unsigned long)f->now);
	}
	for (d = 0; d < GK_WG_EVC_MAX; d++) {
		uint64_t want = f->evc && !strcmp(f->evc, gk_wg_evc_names[d]);

		if (ctx->evc[d] != want)
			fail_msg("%s: event counter %s = %lu, want %lu", f->name,
				 gk_wg_evc_names[d], (unsigned long)ctx->evc[d],
				 (unsigned long)want);
	}
	nev = gk_wg_evring_pop(ctx->events, ev, 4);
	if (!f->ev_type) {
		if (nev)
			fail_msg("%s: unexpected event %u", f->name, ev[0].type);
		return;
	}
	if (nev != 1)
		fail_msg("%s: %u events, want 1", f->name, nev);
	assert_int_equal(ev[0].type, f->ev_type);
	assert_int_equal(ev[0].peer_id, f->ev_peer);
	if (f->ev_type == GK_WG_EV_ENDPOINT) {
		assert_int_equal(ev[0].ep.family, f->ev_fam);
		assert_int_equal(ev[0].ep.port, f->ev_port);
		assert_memory_equal(ev[0].ep.addr, f->ev_addr, 16);
	}
	if (f->ev_type == GK_WG_EV_CONFIRMED)
		assert_int_equal(ev[0].index, f->ev_index);
}

static void mkctx(struct gk_wg_ctx *ctx, struct gk_wk_stats *st,
		  enum gk_aead_impl impl)
{
	char err[128] = "";

	if (gk_wg_ctx_init(ctx, MAX_PEERS, impl, err, sizeof(err)))
		fail_msg("ctx: %s", err);
	ctx->peers = snap;
	ctx->stats = st;
	ctx->events = gk_wg_evring_create(16);
	assert_non_null(ctx->events);
}

static void rmctx(struct gk_wg_ctx *ctx)
{
	gk_wg_evring_destroy(ctx->events);
	gk_wg_ctx_fini(ctx);
}

static void table(enum gk_aead_impl impl)
{
	static struct gk_wk_stats st;
	struct gk_wg_ctx *ctx = malloc(sizeof(*ctx));
	unsigned int i;

	assert_non_null(ctx);
	mkctx(ctx, &st, impl);
	for (i = 0; i < NFX; i++)
		run_fx(ctx, &wgx_fx[i]);
	rmctx(ctx);
	free(ctx);
}

static void test_table_ipsecmb(void **state)
{
	table(GK_AEAD_IPSECMB);
}

static void test_table_openssl(void **state)
{
	table(GK_AEAD_OPENSSL);
}

/* Peer 0 traffic: an IPv4 packet to 198.18.1.5. */
static const uint8_t plain4[] = {
	2, 0, 0, 0, 0xaa, 1, 2, 0, 0, 0, 0xbb, 2, 0x08, 0x00,
	0x45, 0, 0, 28, 0, 0, 0, 0, 63, 17, 0, 0,
	198, 51, 100, 10, 198, 18, 1, 5,
	0x04, 0xd2, 0x16, 0x2e, 0, 8, 0, 0,
};

/* Counter of an encrypted peer-0 frame (outer IPv4 + UDP, then le64). */
static uint64_t out_counter(const struct gk_pkt *p)
{
	const uint8_t *c = p->data + 14 + 20 + 8 + GK_WG_DATA_OFF_COUNTER;
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | c[i];
	return v;
}

static void enc_n(struct gk_wg_ctx *ctx, struct buf *bufs, unsigned int n,
		  uint64_t *out)
{
	struct gk_pkt *pk[GK_BURST];
	unsigned int i;

	for (i = 0; i < n; i++) {
		load(&bufs[i], plain4, sizeof(plain4), 14, 34, 17,
		     GK_META_F_IPV4 | GK_META_F_L4, GK_CLASS_TRANSIT);
		pk[i] = &bufs[i].pkt;
	}
	gk_wg_encrypt_burst(ctx, pk, (uint16_t)n);
	for (i = 0; i < n; i++) {
		assert_int_equal(pk[i]->verdict, GK_V_NONE);
		out[i] = out_counter(pk[i]);
	}
}

/* Two workers on one peer: each burst reserves a block, in call order. */
static void test_counter_two_workers(void **state)
{
	static struct gk_wk_stats sa, sb;
	static struct buf bufs[GK_BURST];
	struct gk_wg_ctx *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	uint64_t c[GK_BURST];

	assert_non_null(a);
	assert_non_null(b);
	mkctx(a, &sa, GK_AEAD_AUTO);
	mkctx(b, &sb, GK_AEAD_OPENSSL);
	a->now_ns = b->now_ns = WGX_BIRTH + 1;
	reset_kpstates(100);
	enc_n(a, bufs, 3, c);
	assert_int_equal(c[0], 100);
	assert_int_equal(c[1], 101);
	assert_int_equal(c[2], 102);
	enc_n(b, bufs, 2, c);
	assert_int_equal(c[0], 103);
	assert_int_equal(c[1], 104);
	enc_n(a, bufs, 1, c);
	assert_int_equal(c[0], 105);
	assert_int_equal(gk_wg_kpstate_sent(kpst[0]), 106);
	rmctx(a);
	rmctx(b);
	free(a);
	free(b);
}

#define RACE_BURSTS	400

struct racer {
	struct gk_wg_ctx *ctx;
	struct gk_wk_stats st;
	struct buf bufs[GK_BURST];
	uint64_t seen[RACE_BURSTS * GK_BURST];
	unsigned int n;
	pthread_barrier_t *go;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	unsigned int i;

	pthread_barrier_wait(r->go);
	for (i = 0; i < RACE_BURSTS; i++) {
		enc_n(r->ctx, r->bufs, GK_BURST, r->seen + r->n);
		r->n += GK_BURST;
	}
	return NULL;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return (a > b) - (a < b);
}

/*
 * Two threads sending to one peer at once. Whatever the interleaving,
 * the union of their counters must be 0..N-1, each exactly once.
 */
static void test_counter_race(void **state)
{
	const unsigned int total = 2 * RACE_BURSTS * GK_BURST;
	struct racer *r = calloc(2, sizeof(*r));
	uint64_t *all = malloc(total * sizeof(*all));
	pthread_barrier_t go;
	pthread_t th[2];
	unsigned int i;

	assert_non_null(r);
	assert_non_null(all);
	pthread_barrier_init(&go, NULL, 2);
	reset_kpstates(0);
	for (i = 0; i < 2; i++) {
		r[i].ctx = malloc(sizeof(*r[i].ctx));
		assert_non_null(r[i].ctx);
		mkctx(r[i].ctx, &r[i].st, GK_AEAD_AUTO);
		r[i].ctx->now_ns = WGX_BIRTH + 1;
		r[i].go = &go;
	}
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	memcpy(all, r[0].seen, r[0].n * sizeof(*all));
	memcpy(all + r[0].n, r[1].seen, r[1].n * sizeof(*all));
	assert_int_equal(r[0].n + r[1].n, total);
	qsort(all, total, sizeof(*all), cmp_u64);
	for (i = 0; i < total; i++)
		if (all[i] != i)
			fail_msg("counter %u is %lu: duplicate or gap", i,
				 (unsigned long)all[i]);
	for (i = 0; i < 2; i++) {
		rmctx(r[i].ctx);
		free(r[i].ctx);
	}
	pthread_barrier_destroy(&go);
	free(all);
	free(r);
}

/* Same peer, same event: once per hold-off, not once per packet. */
static void test_event_holdoff(void **state)
{
	static const uint8_t to_p2[] = {
		2, 0, 0, 0, 0xaa, 1, 2, 0, 0, 0, 0xbb, 2, 0x08, 0x00,
		0x45, 0, 0, 20, 0, 0, 0, 0, 63, 17, 0, 0,
		198, 51, 100, 10, 198, 18, 3, 5,
	};
	static struct gk_wk_stats st;
	static struct buf bufs[4];
	struct gk_wg_ctx *ctx = malloc(sizeof(*ctx));
	struct gk_pkt *pk[4];
	struct gk_wg_event ev[8];
	unsigned int i, round;

	assert_non_null(ctx);
	mkctx(ctx, &st, GK_AEAD_AUTO);
	for (round = 0; round < 3; round++) {
		/* rounds 0 and 1 share a hold-off period, round 2 does not */
		ctx->now_ns = WGX_BIRTH + 1 + (round == 2) * GK_WG_EV_HOLDOFF_NS;
		for (i = 0; i < 4; i++) {
			load(&bufs[i], to_p2, sizeof(to_p2), 14, 34, 17,
			     GK_META_F_IPV4 | GK_META_F_L4, GK_CLASS_TRANSIT);
			pk[i] = &bufs[i].pkt;
		}
		gk_wg_encrypt_burst(ctx, pk, 4);
		for (i = 0; i < 4; i++)
			assert_int_equal(pk[i]->verdict, GK_V_DROP);
		assert_int_equal(gk_wg_evring_pop(ctx->events, ev, 8),
				 round == 1 ? 0 : 1);
	}
	assert_int_equal(ctx->drops[GK_WG_DROP_NO_KEYPAIR], 12);
	assert_int_equal(ctx->evc[GK_WG_EVC_HS_NEEDED], 2);
	rmctx(ctx);
	free(ctx);
}

static void test_no_snapshot(void **state)
{
	static struct gk_wk_stats st;
	static struct buf b;
	struct gk_wg_ctx *ctx = malloc(sizeof(*ctx));
	struct gk_pkt *pk[1] = { &b.pkt };

	assert_non_null(ctx);
	mkctx(ctx, &st, GK_AEAD_AUTO);
	ctx->peers = NULL;
	load(&b, plain4, sizeof(plain4), 14, 34, 17,
	     GK_META_F_IPV4 | GK_META_F_L4, GK_CLASS_TRANSIT);
	gk_wg_encrypt_burst(ctx, pk, 1);
	assert_int_equal(b.pkt.verdict, GK_V_DROP);
	assert_int_equal(ctx->drops[GK_WG_DROP_NO_SNAPSHOT], 1);
	rmctx(ctx);
	free(ctx);
}

static void test_build_errors(void **state)
{
	char err[128];

	assert_null(build(1279, false, false, false, err, sizeof(err)));
	assert_null(build(WGX_MTU, true, false, false, err, sizeof(err)));
	assert_non_null(strstr(err, "receiver index"));
	assert_null(build(WGX_MTU, false, true, false, err, sizeof(err)));
	assert_non_null(strstr(err, "peer id"));
	assert_null(build(WGX_MTU, false, false, true, err, sizeof(err)));
	assert_non_null(strstr(err, "state"));
	/* every receiver index found, others not */
	assert_ptr_equal(gk_wg_peers_find_kp(snap, wgx_kps[3].local)->st,
			 kpst[3]);
	assert_null(gk_wg_peers_find_kp(snap, 0x12345678));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_ipsecmb),
		cmocka_unit_test(test_table_openssl),
		cmocka_unit_test(test_counter_two_workers),
		cmocka_unit_test(test_counter_race),
		cmocka_unit_test(test_event_holdoff),
		cmocka_unit_test(test_no_snapshot),
		cmocka_unit_test(test_build_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
