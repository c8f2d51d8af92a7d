// SPDX-License-Identifier: BSD-3-Clause
/*
 * Staging of packets for peers without a keypair (dataplane/wg_pending.c,
 * its wiring in worker_wg.c and worker.c).
 *
 * The stage alone, with an injected clock: order per peer, per-peer and
 * total overflow (oldest dropped), expiry after REKEY_ATTEMPT_TIME, peers
 * that leave the snapshot, readiness from the published keypair, frames
 * too big for a slot.
 *
 * The worker on the memory backend: frames to a peer without a keypair
 * are staged, not sent, and genkand is asked for one handshake; after a
 * snapshot with a keypair is published, one pass sends the staged packets
 * and then the new one, byte for byte as gen_wg_stage.py builds them with
 * scapy and python3-cryptography (TTL decremented once, counters in
 * order). A peer removed while packets wait: they are dropped and counted,
 * and every buffer is back in the pool.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <urcu-qsbr.h>

#include "backend_mem.h"
#include "clock.h"
#include "tables.h"
#include "wg_data.h"
#include "wg_peers.h"
#include "wg_pending.h"
#include "worker.h"
#include "wg_rig.h"

struct wgs_frame {
	const uint8_t *in;
	uint32_t in_len;
	const uint8_t *out;
	uint32_t out_len;
};

#include "wg_stage_fixtures.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SEC		1000000000ull
#define MAX_PEERS	8
#define HEADROOM	128
#define ROOM		256

/* ---- snapshots ---- */

static struct gk_wg_kpstate *kpst;
static struct gk_wg_keypair kp;

/*
 * Peers ids[0..n) (AllowedIPs 198.18.<id>.0/24, 2001:db8:<id>::/48), with
 * a current keypair (born at birth) when with_kp; peer 1 uses the fixture
 * keys and endpoint 203.0.113.2:51821.
 */
static struct gk_wg_peers *snap(const uint32_t *ids, unsigned int n,
				bool with_kp, uint64_t birth)
{
	struct gk_wg_peer_cfg pc[MAX_PEERS];
	struct gk_wg_allowed al[MAX_PEERS][2];
	struct gk_wg_peers_cfg cfg = {
		.listen_port = WGS_LISTEN, .mtu = WGS_MTU, .peers = pc,
		.nr_peers = n,
	};
	struct gk_wg_peers *t;
	char err[128];
	unsigned int i;

	memset(pc, 0, sizeof(pc));
	memset(al, 0, sizeof(al));
	memcpy(kp.send_key, wgs_send_key, 32);
	memcpy(kp.recv_key, wgs_recv_key, 32);
	kp.local_index = WGS_LOCAL_IDX;
	kp.remote_index = WGS_REMOTE_IDX;
	kp.birth_ns = birth;
	for (i = 0; i < n; i++) {
		wg_rig_peer(&pc[i], al[i], ids[i], WGS_PEER_PORT);
		al[i][1].family = AF_INET6;
		al[i][1].plen = 48;
		memcpy(al[i][1].addr, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0,
						   (uint8_t)ids[i] }, 6);
		pc[i].nr_allowed = 2;
		if (with_kp && ids[i] == 1) {
			pc[i].kp[GK_WG_KP_CURRENT] = &kp;
			pc[i].kps[GK_WG_KP_CURRENT] = kpst;
		}
	}
	t = gk_wg_peers_build(&cfg, err, sizeof(err));
	if (!t)
		fail_msg("peers: %s", err);
	return t;
}

/* ---- the stage alone ---- */

struct buf {
	struct gk_pkt pkt;
	uint8_t mem[HEADROOM + ROOM];
};

/* A frame whose first byte says which one it is. */
static void mkpkt(struct buf *b, uint8_t tag, uint32_t len)
{
	memset(b, 0, sizeof(*b));
	b->pkt.data = b->mem + HEADROOM;
	b->pkt.buf_len = ROOM;
	b->pkt.len = len;
	b->pkt.in_port = 3;
	b->pkt.meta.magic = GK_META_MAGIC;
	b->pkt.meta.l3_off = 14;
	b->pkt.meta.flow_hash = 0x1000u + tag;
	memset(b->pkt.data, tag, len);
}

static void push(struct gk_wg_pending *s, uint32_t id, uint8_t tag, uint64_t now)
{
	struct buf b;

	mkpkt(&b, tag, 60);
	gk_wg_pending_push(s, id, &b.pkt, now);
}

/* Pops up to n; checks the tags in order; returns how many came. */
static uint16_t pop_expect(struct gk_wg_pending *s, uint16_t n,
			   const uint8_t *tags, uint16_t want)
{
	struct buf b[16];
	struct gk_pkt *p[16];
	uint16_t i, got;

	assert_true(n <= 16);
	for (i = 0; i < n; i++) {
		mkpkt(&b[i], 0xee, 0);
		p[i] = &b[i].pkt;
	}
	got = gk_wg_pending_pop(s, p, n);
	assert_int_equal(got, want);
	for (i = 0; i < got; i++) {
		assert_int_equal(p[i]->len, 60);
		assert_int_equal(p[i]->data[0], tags[i]);
		assert_int_equal(p[i]->data[59], tags[i]);
		assert_int_equal(p[i]->meta.flow_hash, 0x1000u + tags[i]);
		assert_int_equal(p[i]->in_port, 3);
		assert_int_equal(p[i]->verdict, GK_V_NONE);
	}
	return got;
}

static void t_order_ready(void **state)
{
	const uint32_t ids[] = { 1, 2 };
	struct gk_wg_peers *t0, *t1;
	struct gk_wg_pending s;

	(void)state;
	t0 = snap(ids, 2, false, 0);
	t1 = snap(ids, 2, true, 10 * SEC);
	assert_int_equal(gk_wg_pending_init(&s, MAX_PEERS, 16, 8, 128), 0);
	push(&s, 1, 'a', 10 * SEC);
	push(&s, 2, 'x', 10 * SEC);
	push(&s, 1, 'b', 11 * SEC);
	push(&s, 1, 'c', 12 * SEC);
	assert_true(gk_wg_pending_holds(&s, 1));
	assert_false(gk_wg_pending_holds(&s, 3));
	assert_false(gk_wg_pending_holds(&s, 1000));
	assert_int_equal(s.cnt[GK_WG_PENDING_STAGED], 4);

	/* no keypair: nothing leaves */
	gk_wg_pending_sync(&s, t0, 12 * SEC);
	assert_int_equal(s.ready, 0);
	pop_expect(&s, 4, NULL, 0);
	/* nothing published: kept, not ready */
	gk_wg_pending_sync(&s, NULL, 13 * SEC);
	assert_int_equal(s.used, 4);
	assert_int_equal(s.ready, 0);

	/* peer 1 gets keys: its three, in order, two then one */
	gk_wg_pending_sync(&s, t1, 13 * SEC);
	assert_int_equal(s.ready, 3);
	pop_expect(&s, 2, (const uint8_t *)"ab", 2);
	assert_int_equal(s.ready, 1);
	/* a packet staged behind (order) is ready at once */
	push(&s, 1, 'd', 13 * SEC);
	assert_int_equal(s.ready, 2);
	pop_expect(&s, 4, (const uint8_t *)"cd", 2);
	assert_false(gk_wg_pending_holds(&s, 1));
	assert_true(gk_wg_pending_holds(&s, 2));
	assert_int_equal(s.used, 1);
	assert_int_equal(s.cnt[GK_WG_PENDING_SENT], 4);

	/* nothing counted as dropped so far */
	assert_int_equal(s.cnt[GK_WG_PENDING_FULL] + s.cnt[GK_WG_PENDING_EXPIRED] +
			 s.cnt[GK_WG_PENDING_GONE] + s.cnt[GK_WG_PENDING_TOO_BIG], 0);
	/* the keypair ages past REJECT_AFTER_TIME: not usable again */
	push(&s, 1, 'e', 185 * SEC);
	gk_wg_pending_sync(&s, t1, 189 * SEC);
	assert_int_equal(s.ready, 1);
	gk_wg_pending_sync(&s, t1, 10 * SEC + GK_WG_REJECT_AFTER_TIME_NS);
	assert_int_equal(s.ready, 0);
	assert_int_equal(s.used, 1);		/* 'x' (10 s) expired */
	assert_int_equal(s.cnt[GK_WG_PENDING_EXPIRED], 1);
	gk_wg_pending_fini(&s);
	gk_wg_peers_free(t0);
	gk_wg_peers_free(t1);
}

static void t_overflow(void **state)
{
	const uint32_t ids[] = { 1, 2 };
	struct gk_wg_peers *t1 = snap(ids, 2, true, 0);
	struct gk_wg_pending s;
	uint8_t i;

	(void)state;
	/* per peer: the oldest makes room, as the kernel's staged queue */
	assert_int_equal(gk_wg_pending_init(&s, MAX_PEERS, 16, 4, 128), 0);
	for (i = 0; i < 6; i++)
		push(&s, 1, (uint8_t)('a' + i), SEC);
	assert_int_equal(s.cnt[GK_WG_PENDING_FULL], 2);
	assert_int_equal(s.cnt[GK_WG_PENDING_STAGED], 6);
	assert_int_equal(s.used, 4);
	gk_wg_pending_sync(&s, t1, 2 * SEC);
	pop_expect(&s, 8, (const uint8_t *)"cdef", 4);
	gk_wg_pending_fini(&s);

	/* all peers: the oldest of the stage, whoever's it is */
	assert_int_equal(gk_wg_pending_init(&s, MAX_PEERS, 4, 4, 128), 0);
	push(&s, 1, 'a', SEC);
	push(&s, 1, 'b', SEC);
	push(&s, 2, 'x', SEC);
	push(&s, 2, 'y', SEC);
	push(&s, 2, 'z', SEC);	/* 'a' goes */
	push(&s, 1, 'c', SEC);	/* 'b' goes */
	push(&s, 2, 'w', SEC);	/* 'x' goes */
	assert_int_equal(s.cnt[GK_WG_PENDING_FULL], 3);
	assert_int_equal(s.used, 4);
	assert_int_equal(s.q[1].n, 1);
	assert_int_equal(s.q[2].n, 3);
	gk_wg_pending_sync(&s, t1, 2 * SEC);
	pop_expect(&s, 8, (const uint8_t *)"c", 1);
	gk_wg_pending_fini(&s);
	gk_wg_peers_free(t1);
}

static void t_expire(void **state)
{
	const uint32_t ids[] = { 1, 2 };
	struct gk_wg_peers *t0 = snap(ids, 2, false, 0);
	struct gk_wg_pending s;

	(void)state;
	assert_int_equal(gk_wg_pending_init(&s, MAX_PEERS, 16, 8, 128), 0);
	push(&s, 1, 'a', 100 * SEC);
	push(&s, 2, 'x', 130 * SEC);
	push(&s, 1, 'b', 150 * SEC);
	gk_wg_pending_sync(&s, t0, 100 * SEC + GK_WG_REKEY_ATTEMPT_TIME_NS - 1);
	assert_int_equal(s.used, 3);
	gk_wg_pending_sync(&s, t0, 100 * SEC + GK_WG_REKEY_ATTEMPT_TIME_NS);
	assert_int_equal(s.cnt[GK_WG_PENDING_EXPIRED], 1);
	/* the clock alone, same snapshot: still expires */
	gk_wg_pending_sync(&s, t0, 240 * SEC);
	assert_int_equal(s.cnt[GK_WG_PENDING_EXPIRED], 3);
	assert_int_equal(s.used, 0);
	assert_false(gk_wg_pending_holds(&s, 1));
	assert_false(gk_wg_pending_holds(&s, 2));
	/* slots come back: a full stage's worth fits again */
	push(&s, 1, 'c', 250 * SEC);
	assert_int_equal(s.used, 1);
	gk_wg_pending_fini(&s);
	gk_wg_peers_free(t0);
}

static void t_gone(void **state)
{
	const uint32_t both[] = { 1, 2 }, two[] = { 2 };
	struct gk_wg_peers *t0 = snap(both, 2, false, 0);
	struct gk_wg_peers *t2 = snap(two, 1, false, 0);
	struct gk_wg_pending s;

	(void)state;
	assert_int_equal(gk_wg_pending_init(&s, MAX_PEERS, 16, 8, 128), 0);
	push(&s, 1, 'a', SEC);
	push(&s, 2, 'x', SEC);
	push(&s, 1, 'b', SEC);
	gk_wg_pending_sync(&s, t0, SEC);
	assert_int_equal(s.used, 3);
	/* peer 1 removed: its two are dropped, peer 2's stays */
	gk_wg_pending_sync(&s, t2, SEC);
	assert_int_equal(s.cnt[GK_WG_PENDING_GONE], 2);
	assert_int_equal(s.used, 1);
	assert_false(gk_wg_pending_holds(&s, 1));
	assert_true(gk_wg_pending_holds(&s, 2));
	/* too big for a slot: not staged, counted */
	{
		struct buf b;

		mkpkt(&b, 'q', 129);
		gk_wg_pending_push(&s, 2, &b.pkt, SEC);
	}
	assert_int_equal(s.cnt[GK_WG_PENDING_TOO_BIG], 1);
	assert_int_equal(s.used, 1);
	gk_wg_pending_fini(&s);
	assert_int_equal(gk_wg_pending_init(&s, 0, 16, 8, 128), -EINVAL);
	assert_int_equal(gk_wg_pending_init(&s, MAX_PEERS, 16, 8, 0), -EINVAL);
	gk_wg_peers_free(t0);
	gk_wg_peers_free(t2);
}

/* ---- the worker on the memory backend ---- */

static const struct gk_route routes[] = {
	{ .family = AF_INET, .plen = 24, .dst = { 203, 0, 113, 0 }, .ifindex = 11 },
	{ .family = AF_INET, .plen = 24, .dst = { 198, 51, 100, 0 }, .ifindex = 10 },
};

static const struct gk_neigh_entry neighs[] = {
	{ .family = AF_INET, .addr = { 203, 0, 113, 2 }, .ifindex = 11,
	  .mac = { 2, 0, 0, 0, 0xfe, 0x02 } },
};

#define NBUFS	64

static void rig_up(struct wg_rig *r)
{
	const struct wg_rig_cfg rc = {
		.nbufs = NBUFS,
		.routes = routes, .nr_routes = ARRAY_SIZE(routes),
		.neighs = neighs, .nr_neighs = ARRAY_SIZE(neighs),
	};
	struct gk_worker_cfg cfg = {
		.cpu = -1, .wg_max_peers = MAX_PEERS, .wg_nr_workers = 1,
		.wg_mtu = WGS_MTU,
	};

	wg_rig_up(r, &rc, &cfg);
	assert_non_null(r->w.wg_pending);
}

static void rig_down(struct wg_rig *r)
{
	wg_rig_down(r);
}

static unsigned int poll_all(struct wg_rig *r)
{
	unsigned int got = 0, k, n;

	for (k = 0; k < 8; k++) {
		n = gk_worker_poll(&r->w);
		got += n;
	}
	return got;
}

static void t_worker_flush(void **state)
{
	const uint32_t ids[] = { 1 };
	struct gk_wg_event ev[4];
	struct wg_rig r;
	unsigned int i;
	uint32_t len;

	(void)state;
	rig_up(&r);
	rcu_register_thread();
	atomic_store(&kpst->send_counter, 0);
	r.wg = snap(ids, 1, false, 0);

	/* before the handshake: four frames into the tunnel */
	for (i = 0; i < WGS_N - 1; i++)
		assert_int_equal(gk_mem_port_add_frame(r.port[0], wgs[i].in,
						       wgs[i].in_len), 0);
	assert_int_equal(poll_all(&r), WGS_N - 1);
	assert_int_equal(gk_mem_port_nr_captured(r.port[1]), 0);
	assert_int_equal(gk_mem_port_nr_captured(r.port[0]), 0);
	assert_int_equal(r.w.wg_pending->cnt[GK_WG_PENDING_STAGED], WGS_N - 1);
	/* staged, not dropped */
	assert_int_equal(r.w.stats.drops[GK_WK_DROP_WG], 0);
	assert_int_equal(r.w.wg->drops[GK_WG_DROP_NO_KEYPAIR], 0);
	/* genkand is asked once (hold-off) */
	assert_int_equal(gk_wg_evring_pop(r.ev, ev, 4), 1);
	assert_int_equal(ev[0].type, GK_WG_EV_HANDSHAKE_NEEDED);
	assert_int_equal(ev[0].peer_id, 1);
	assert_int_equal(r.w.wg->evc[GK_WG_EVC_HS_NEEDED], 1);
	assert_int_equal(gk_mem_pool_nr_free(r.pool), NBUFS);

	/* genkand publishes the keypair; a fifth frame arrives meanwhile */
	gk_wg_peers_free(r.wg);
	r.wg = snap(ids, 1, true, gk_mono_ns());
	assert_int_equal(gk_mem_port_add_frame(r.port[0], wgs[WGS_N - 1].in,
					       wgs[WGS_N - 1].in_len), 0);
	assert_true(gk_worker_poll(&r.w) >= WGS_N);
	assert_int_equal(gk_mem_port_nr_captured(r.port[1]), WGS_N);
	for (i = 0; i < WGS_N; i++) {
		const uint8_t *f = gk_mem_port_captured(r.port[1], i, &len);

		assert_non_null(f);
		assert_int_equal(len, wgs[i].out_len);
		assert_memory_equal(f, wgs[i].out, len);
	}
	assert_int_equal(r.w.wg_pending->cnt[GK_WG_PENDING_SENT], WGS_N - 1);
	assert_int_equal(r.w.wg_pending->used, 0);
	assert_int_equal(poll_all(&r), 0);
	assert_int_equal(gk_mem_port_nr_captured(r.port[1]), WGS_N);

	gk_wg_peers_free(r.wg);
	r.wg = NULL;
	rcu_unregister_thread();
	rig_down(&r);
}

static void t_worker_gone(void **state)
{
	const uint32_t one[] = { 1 }, two[] = { 2 };
	struct wg_rig r;

	(void)state;
	rig_up(&r);
	rcu_register_thread();
	r.wg = snap(one, 1, false, 0);
	assert_int_equal(gk_mem_port_add_frame(r.port[0], wgs[0].in,
					       wgs[0].in_len), 0);
	assert_int_equal(gk_mem_port_add_frame(r.port[0], wgs[1].in,
					       wgs[1].in_len), 0);
	assert_int_equal(poll_all(&r), 2);
	assert_int_equal(r.w.wg_pending->used, 2);
	/* the peer is removed (wg set ... remove) */
	gk_wg_peers_free(r.wg);
	r.wg = snap(two, 1, false, 0);
	poll_all(&r);
	assert_int_equal(r.w.wg_pending->cnt[GK_WG_PENDING_GONE], 2);
	assert_int_equal(r.w.wg_pending->used, 0);
	assert_int_equal(gk_mem_port_nr_captured(r.port[1]), 0);
	gk_wg_peers_free(r.wg);
	r.wg = NULL;
	rcu_unregister_thread();
	rig_down(&r);
}

static int setup(void **state)
{
	(void)state;
	kpst = gk_wg_kpstate_create();
	return kpst ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	gk_wg_kpstate_free(kpst);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_order_ready),
		cmocka_unit_test(t_overflow),
		cmocka_unit_test(t_expire),
		cmocka_unit_test(t_gone),
		cmocka_unit_test(t_worker_flush),
		cmocka_unit_test(t_worker_gone),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
