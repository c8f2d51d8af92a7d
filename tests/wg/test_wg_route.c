// SPDX-License-Identifier: BSD-3-Clause
/*
 * The sealed outer packets' route, taken once per peer and burst
 * (worker_wg.c route_outer): l3fwd routes the first outer packet of a
 * burst and the later ones to the same endpoint, no longer than it, take
 * its Ethernet addresses and port.
 *
 * Differential: the same frames through one worker in one burst (the
 * shortcut) and through a second worker one frame per pass (every outer
 * packet routed by l3fwd alone) must leave byte for byte alike, with the
 * same drops, held frames and counters. The frames mix three peers: one
 * whose endpoint's neighbour is known, one whose is not (held), and one
 * behind another neighbour; their lengths straddle the egress link's MTU,
 * so a later packet longer than the first must still be dropped too big,
 * and a first one dropped leaves the rest of the burst to l3fwd. Mixed
 * bursts also compare the encrypt stage's own AllowedIPs lookup with the
 * one peer worker_wg.c hands it for a burst to one peer. Then 400 bursts
 * drawn at random (peers, lengths, TTL 1, link MTU) the same way.
 *
 *   198.51.100.10 --[port 0, LAN]-- genkan --[port 1, MTU 1000]--
 *       peer 1 203.0.113.2 (…:fe:02), peer 2 203.0.113.3 (no neighbour),
 *       peer 3 203.0.113.4 (…:fe:04); AllowedIPs 198.18.<id>.0/24
 */
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
#include "clock.h"
#include "csum.h"
#include "tables.h"
#include "wg_data.h"
#include "wg_peers.h"
#include "worker.h"
#include "wg_rig.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NBUFS		128
#define NPEERS		3
#define LISTEN		51820
#define TUN_MTU		1420
#define LINK_MTU	1000

static const struct gk_route routes[] = {
	{ .family = AF_INET, .plen = 24, .dst = { 203, 0, 113, 0 }, .ifindex = 11 },
	{ .family = AF_INET, .plen = 24, .dst = { 198, 51, 100, 0 }, .ifindex = 10 },
};

static const struct gk_neigh_entry neighs[] = {
	{ .family = AF_INET, .addr = { 203, 0, 113, 2 }, .ifindex = 11,
	  .mac = { 2, 0, 0, 0, 0xfe, 0x02 } },
	{ .family = AF_INET, .addr = { 203, 0, 113, 4 }, .ifindex = 11,
	  .mac = { 2, 0, 0, 0, 0xfe, 0x04 } },
};

static struct gk_wg_kpstate *kpst[NPEERS];

/* Peers 1..3, each with a current keypair of its own, born now. */
static struct gk_wg_peers *snap(void)
{
	struct gk_wg_peer_cfg pc[NPEERS];
	struct gk_wg_allowed al[NPEERS];
	struct gk_wg_keypair kp[NPEERS];
	struct gk_wg_peers_cfg cfg = {
		.listen_port = LISTEN, .mtu = TUN_MTU, .peers = pc,
		.nr_peers = NPEERS,
	};
	struct gk_wg_peers *t;
	char err[128];
	unsigned int i;

	memset(pc, 0, sizeof(pc));
	memset(al, 0, sizeof(al));
	memset(kp, 0, sizeof(kp));
	for (i = 0; i < NPEERS; i++) {
		uint8_t id = (uint8_t)(i + 1);

		memset(kp[i].send_key, 0x10 + id, 32);
		memset(kp[i].recv_key, 0x20 + id, 32);
		kp[i].local_index = 0x100u + id;
		kp[i].remote_index = 0x200u + id;
		kp[i].birth_ns = gk_mono_ns();
		wg_rig_peer(&pc[i], &al[i], id, LISTEN);
		pc[i].kp[GK_WG_KP_CURRENT] = &kp[i];
		pc[i].kps[GK_WG_KP_CURRENT] = kpst[i];
		atomic_store(&kpst[i]->send_counter, 0);
	}
	t = gk_wg_peers_build(&cfg, err, sizeof(err));
	explicit_bzero(kp, sizeof(kp));
	if (!t)
		fail_msg("peers: %s", err);
	return t;
}

/* link_mtu: the egress link's, where the endpoints are. */
static void rig_up(struct wg_rig *r, uint32_t link_mtu)
{
	const struct wg_rig_cfg rc = {
		.nbufs = NBUFS, .mtu = { 1500, link_mtu },
		.routes = routes, .nr_routes = ARRAY_SIZE(routes),
		.neighs = neighs, .nr_neighs = ARRAY_SIZE(neighs),
	};
	/* No ICMP errors (icmp_rate 0): their rate limit would tell the
	 * two runs apart. */
	struct gk_worker_cfg cfg = {
		.cpu = -1, .wg_max_peers = 8, .wg_nr_workers = 1,
		.wg_mtu = TUN_MTU, .neigh_hold = 4, .icmp_rate = 0,
	};

	wg_rig_up(r, &rc, &cfg);
	r->wg = snap();
}

static void rig_down(struct wg_rig *r)
{
	wg_rig_down(r);
	gk_wg_peers_free(r->wg);
}

/*
 * LAN frame: IPv4/UDP 198.51.100.10 -> 198.18.<peer>.5, len IP bytes, the
 * given TTL (1: not forwarded, so not sealed).
 */
static uint32_t mkframe(uint8_t *f, uint8_t peer, uint32_t len, uint8_t seq,
			uint8_t ttl)
{
	uint8_t *ip = f + 14;
	uint16_t c;
	uint32_t j;

	memcpy(f, wg_rig_lan_mac, 6);
	memcpy(f + 6, (uint8_t[]){ 2, 0, 0, 0, 0xc0, 0x01 }, 6);
	f[12] = 0x08;
	f[13] = 0;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(len >> 8);
	ip[3] = (uint8_t)len;
	ip[5] = seq;
	ip[8] = ttl;
	ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){ 198, 51, 100, 10 }, 4);
	memcpy(ip + 16, (uint8_t[]){ 198, 18, peer, 5 }, 4);
	c = gk_csum_fold(gk_csum_partial(ip, 20, 0));
	memcpy(ip + 10, &c, 2);
	/* UDP 40000 -> 9, no checksum, then a pattern */
	ip[20] = 0x9c;
	ip[21] = 0x40;
	ip[23] = 9;
	ip[24] = (uint8_t)((len - 20) >> 8);
	ip[25] = (uint8_t)(len - 20);
	ip[26] = ip[27] = 0;
	for (j = 28; j < len; j++)
		ip[j] = (uint8_t)(seq * 7 + j);
	return 14 + len;
}

struct case_frame {
	uint8_t peer;	/* 1..3; 4: AllowedIPs nobody's (and no route) */
	uint32_t len;	/* inner IP bytes; outer = padded + 60 */
	uint8_t ttl;	/* 0: 64 */
};

#define F(p, l)		{ .peer = (p), .len = (l) }

/* What a run leaves: the frames out of port 1 and the counters. */
struct outcome {
	size_t nr_out;
	uint8_t *out[32];
	uint32_t out_len[32];
	uint64_t drops[GK_WK_DROP_MAX];
	uint64_t wg_drops[GK_WG_DROP_MAX];
	uint64_t held;
	uint64_t counter[NPEERS];
};

static void run(const struct case_frame *c, unsigned int n, bool one_burst,
		uint32_t link_mtu, struct outcome *o)
{
	uint8_t f[1600];
	struct wg_rig r;
	unsigned int i;
	size_t k;

	assert_true(n <= GK_BURST);
	rig_up(&r, link_mtu);
	rcu_register_thread();
	for (i = 0; i < n; i++) {
		uint32_t len = mkframe(f, c[i].peer, c[i].len, (uint8_t)i,
				       c[i].ttl ?: 64);

		assert_int_equal(gk_mem_port_add_frame(r.port[0], f, len), 0);
		if (!one_burst)
			gk_worker_poll(&r.w);
	}
	if (one_burst)
		assert_int_equal(gk_worker_poll(&r.w), n);
	memset(o, 0, sizeof(*o));
	o->nr_out = gk_mem_port_nr_captured(r.port[1]);
	assert_true(o->nr_out <= ARRAY_SIZE(o->out));
	for (k = 0; k < o->nr_out; k++) {
		const uint8_t *b = gk_mem_port_captured(r.port[1], k,
							&o->out_len[k]);

		assert_non_null(b);
		o->out[k] = malloc(o->out_len[k]);
		assert_non_null(o->out[k]);
		memcpy(o->out[k], b, o->out_len[k]);
	}
	assert_int_equal(gk_mem_port_nr_captured(r.port[0]), 0);
	memcpy(o->drops, r.w.stats.drops, sizeof(o->drops));
	memcpy(o->wg_drops, r.w.wg->drops, sizeof(o->wg_drops));
	o->held = r.w.stats.events[GK_WK_EV_NEIGH_HELD];
	for (i = 0; i < NPEERS; i++)
		o->counter[i] = atomic_load(&kpst[i]->send_counter);
	rcu_unregister_thread();
	rig_down(&r);
}

static void outcome_free(struct outcome *o)
{
	size_t k;

	for (k = 0; k < o->nr_out; k++)
		free(o->out[k]);
}

/* One burst and one frame per pass leave the same frames and counts. */
static void check_alike_mtu(const struct case_frame *c, unsigned int n,
			    uint32_t link_mtu)
{
	struct outcome a, b;
	size_t k;

	run(c, n, true, link_mtu, &a);
	run(c, n, false, link_mtu, &b);
	assert_int_equal(a.nr_out, b.nr_out);
	for (k = 0; k < a.nr_out; k++) {
		assert_int_equal(a.out_len[k], b.out_len[k]);
		assert_memory_equal(a.out[k], b.out[k], a.out_len[k]);
	}
	assert_memory_equal(a.drops, b.drops, sizeof(a.drops));
	assert_memory_equal(a.wg_drops, b.wg_drops, sizeof(a.wg_drops));
	assert_int_equal(a.held, b.held);
	assert_memory_equal(a.counter, b.counter, sizeof(a.counter));
	outcome_free(&a);
	outcome_free(&b);
}

static void check_alike(const struct case_frame *c, unsigned int n)
{
	check_alike_mtu(c, n, LINK_MTU);
}

/*
 * A first packet that fits, then longer ones (over the link MTU: dropped
 * too big, not sent on its answer), shorter ones, other peers between.
 */
static void t_first_fits(void **state)
{
	static const struct case_frame c[] = {
		F(1, 600), F(1, 600), F(1, 300), F(1, 939), F(1, 940),
		F(1, 941), F(3, 100), F(1, 28), F(2, 400), F(1, 1400),
		F(3, 950), F(1, 599), F(2, 60), F(3, 64), F(1, 612),
		F(1, 613), F(1, 100), F(3, 500), F(1, 620), F(1, 44),
	};
	struct outcome a;
	unsigned int i, sent = 0, big = 0;

	(void)state;
	check_alike(c, ARRAY_SIZE(c));
	/* and what that is: the ones that fit leave, to their neighbour */
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		uint32_t outer = ((c[i].len + 15) & ~15u) + 60;

		if (c[i].peer == 2)
			continue;
		if (outer > LINK_MTU)
			big++;
		else
			sent++;
	}
	run(c, ARRAY_SIZE(c), true, LINK_MTU, &a);
	assert_int_equal(a.nr_out, sent);
	assert_int_equal(a.drops[GK_WK_DROP_TOO_BIG], big);
	assert_int_equal(a.held, 2);
	for (i = 0; i < a.nr_out; i++) {
		const uint8_t *e = a.out[i];

		assert_memory_equal(e + 6, wg_rig_wan_mac, 6);
		assert_int_equal(e[4], 0xfe);
		/* the neighbour of the endpoint it is sent to */
		assert_int_equal(e[5], e[14 + 19]);
	}
	outcome_free(&a);
}

/* The first packet is too big: nothing is taken from it. */
static void t_first_too_big(void **state)
{
	static const struct case_frame c[] = {
		F(1, 1200), F(1, 600), F(1, 1300), F(1, 100), F(3, 200),
		F(1, 900),
	};

	(void)state;
	check_alike(c, ARRAY_SIZE(c));
}

/* The first packet's neighbour is unknown (held): nor from it. */
static void t_first_unresolved(void **state)
{
	static const struct case_frame c[] = {
		F(2, 100), F(2, 100), F(1, 100), F(1, 1000), F(1, 50),
		F(3, 300), F(2, 200),
	};

	(void)state;
	check_alike(c, ARRAY_SIZE(c));
}

/* A full burst to one peer, every length from small to the tunnel MTU. */
static void t_full_burst(void **state)
{
	struct case_frame c[GK_BURST];
	unsigned int i;

	(void)state;
	for (i = 0; i < GK_BURST; i++) {
		c[i].peer = 1;
		c[i].len = 28 + (i * 613) % (TUN_MTU - 27);
	}
	check_alike(c, GK_BURST);
}

/* xorshift32: the same bursts on every run. */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * Bursts drawn at random: 1..32 frames to any of the three peers or to
 * nobody, any length up to the tunnel MTU, now and then a TTL of 1, over
 * a link MTU drawn too. Each drawn to favour the shortcut's edges: runs
 * to one peer, lengths near the first packet's.
 */
static void t_random(void **state)
{
	struct case_frame c[GK_BURST];
	uint32_t seed = 0x9e3779b9u;
	unsigned int it, i, n;

	(void)state;
	for (it = 0; it < 400; it++) {
		uint32_t mtu = 400 + rnd(&seed) % 1200;
		uint32_t base = 28 + rnd(&seed) % (TUN_MTU - 27);

		n = 1 + rnd(&seed) % GK_BURST;
		for (i = 0; i < n; i++) {
			uint32_t r = rnd(&seed);

			c[i].peer = (uint8_t)(r % 8 < 5 ? 1 : 1 + r % 4);
			if ((r >> 8) % 2)
				c[i].len = base - 16 + (r >> 12) % 33;
			else
				c[i].len = 28 + (r >> 12) % (TUN_MTU - 27);
			if (c[i].len < 28 || c[i].len > TUN_MTU)
				c[i].len = base;
			c[i].ttl = (r >> 24) % 16 ? 0 : 1;
		}
		check_alike_mtu(c, n, mtu);
	}
}

static int setup(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < NPEERS; i++) {
		kpst[i] = gk_wg_kpstate_create();
		if (!kpst[i])
			return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < NPEERS; i++)
		gk_wg_kpstate_free(kpst[i]);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_first_fits),
		cmocka_unit_test(t_first_too_big),
		cmocka_unit_test(t_first_unresolved),
		cmocka_unit_test(t_full_burst),
		cmocka_unit_test(t_random),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
