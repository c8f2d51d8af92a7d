// SPDX-License-Identifier: BSD-3-Clause
/*
 * Return-path flows ([wireguard-peer] return_path = flow; wg_rpath.c, its
 * hooks in wg_data.c and worker_wg.c).
 *
 * The table alone, with an injected clock, on scapy-built packets (meta
 * set by hand): a reply finds its flow (TCP, ICMP echo by id, UDP over
 * IPv6), a peek counts nothing, FIN/RST and idle timeouts, fragments and
 * other ICMP not learned, LRU eviction within a bucket, a peer that moved
 * in the snapshot, left it or lost return_path, and 1M flows through a
 * small table with counters that add up.
 *
 * The worker on the memory backend, against gen_wg_rpath.py frames (scapy
 * + python3-cryptography): with return_path = flow, an internet client's
 * packets from the door reach the server and the server's replies leave
 * sealed to the door, byte for byte, though the default route points at
 * the ISP; a reply of no flow still goes to the ISP. Without it (the same
 * frames): the client's packets are dropped (allowedips) and the replies
 * go to the ISP, so the option is what makes it work. Two workers: the one
 * that decrypts tells the other, which seals the replies RSS gives it.
 * Behind a MAP-E CE: the stage ahead of the CE takes a flow's reply out of
 * the CE bucket (as TRANSIT, for the WireGuard tx hook) before NAPT44 and
 * the encap could, and leaves the LAN's other packets there.
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
#include "map_rule.h"
#include "map_table.h"
#include "stage.h"
#include "tables.h"
#include "wg_data.h"
#include "wg_peers.h"
#include "spsc.h"
#include "wg_rpath.h"
#include "worker.h"
#include "wg_rig.h"

#include "wg_rpath_fixtures.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SEC		1000000000ull
#define DOOR_ID		3

/* ---- snapshots: the door (return_path as given) and a plain peer ---- */

static struct gk_wg_kpstate *kpst;
static struct gk_wg_keypair kp;

/*
 * Peers: a filler (id 7, AllowedIPs 198.18.7.0/24) first when shift, so
 * the door's index moves; then the door (id DOOR_ID, 198.18.0.1/32) unless
 * !door, with rpath, and its keypair when with_kp.
 */
static struct gk_wg_peers *snap(bool door, bool rpath, bool shift,
				bool with_kp)
{
	static const struct gk_wg_allowed door_al = {
		.family = AF_INET, .plen = 32, .addr = { 198, 18, 0, 1 },
	};
	static const struct gk_wg_allowed fill_al = {
		.family = AF_INET, .plen = 24, .addr = { 198, 18, 7, 0 },
	};
	struct gk_wg_peer_cfg pc[2];
	struct gk_wg_peers_cfg cfg = {
		.listen_port = WGR_LISTEN, .mtu = WGR_MTU, .peers = pc,
	};
	struct gk_wg_peers *t;
	char err[128];
	unsigned n = 0;

	memset(pc, 0, sizeof(pc));
	memcpy(kp.send_key, wgr_send_key, 32);
	memcpy(kp.recv_key, wgr_recv_key, 32);
	kp.local_index = WGR_LOCAL_IDX;
	kp.remote_index = WGR_REMOTE_IDX;
	kp.birth_ns = gk_mono_ns();
	if (shift) {
		pc[n].id = 7;
		pc[n].allowed = &fill_al;
		pc[n].nr_allowed = 1;
		n++;
	}
	if (door) {
		pc[n].id = DOOR_ID;
		pc[n].ep.family = AF_INET;
		pc[n].ep.port = WGR_DOOR_PORT;
		memcpy(pc[n].ep.addr, (uint8_t[]){ 203, 0, 113, 2 }, 4);
		memcpy(pc[n].src, (uint8_t[]){ 203, 0, 113, 1 }, 4);
		pc[n].allowed = &door_al;
		pc[n].nr_allowed = 1;
		pc[n].rpath = rpath;
		if (with_kp) {
			pc[n].kp[GK_WG_KP_CURRENT] = &kp;
			pc[n].kps[GK_WG_KP_CURRENT] = kpst;
		}
		n++;
	}
	cfg.nr_peers = n;
	t = gk_wg_peers_build(&cfg, err, sizeof(err));
	if (!t)
		fail_msg("peers: %s", err);
	return t;
}

/* ---- the table alone ---- */

struct buf {
	struct gk_pkt pkt;
	uint8_t mem[2048];
};

/* A frame with the metadata the classifier (or decap) would give it. */
static struct gk_pkt *mk(struct buf *b, const uint8_t *f, uint32_t len)
{
	uint8_t *ip;

	memset(b, 0, sizeof(*b));
	b->pkt.data = b->mem + 128;
	b->pkt.buf_len = sizeof(b->mem) - 128;
	memcpy(b->pkt.data, f, len);
	b->pkt.len = len;
	b->pkt.meta.magic = GK_META_MAGIC;
	b->pkt.meta.class = GK_CLASS_TRANSIT;
	b->pkt.meta.l3_off = 14;
	ip = b->pkt.data + 14;
	if ((ip[0] >> 4) == 4) {
		b->pkt.meta.flags = GK_META_F_IPV4 | GK_META_F_L4;
		b->pkt.meta.l4_off = (uint16_t)(14 + (ip[0] & 0xf) * 4);
		b->pkt.meta.l4_proto = ip[9];
	} else {
		b->pkt.meta.flags = GK_META_F_IPV6 | GK_META_F_L4;
		b->pkt.meta.l4_off = 14 + 40;
		b->pkt.meta.l4_proto = ip[6];
	}
	return &b->pkt;
}

/* The server's reply to frame f: addresses and ports swapped (echo: type). */
static struct gk_pkt *reply_of(struct buf *b, const uint8_t *f, uint32_t len)
{
	struct gk_pkt *p = mk(b, f, len);
	uint8_t *ip = p->data + 14, *l4 = p->data + p->meta.l4_off, t[16];
	size_t a = p->meta.flags & GK_META_F_IPV4 ? 4 : 16;
	size_t so = a == 4 ? 12 : 8;

	memcpy(t, ip + so, a);
	memmove(ip + so, ip + so + a, a);
	memcpy(ip + so + a, t, a);
	if (p->meta.l4_proto == 1)
		l4[0] = 0;
	else if (p->meta.l4_proto == 58)
		l4[0] = 129;
	else {
		memcpy(t, l4, 2);
		memmove(l4, l4 + 2, 2);
		memcpy(l4 + 2, t, 2);
	}
	return p;
}

/* 5-tuple variants: client port (or echo id) + k. */
static struct gk_pkt *variant(struct buf *b, const uint8_t *f, uint32_t len,
			      uint16_t k, bool reply)
{
	struct gk_pkt *p = reply ? reply_of(b, f, len) : mk(b, f, len);
	uint8_t *l4 = p->data + p->meta.l4_off;
	unsigned off = p->meta.l4_proto == 1 || p->meta.l4_proto == 58 ? 4 :
		       reply ? 2 : 0;
	uint16_t v = (uint16_t)((l4[off] << 8 | l4[off + 1]) + k);

	l4[off] = (uint8_t)(v >> 8);
	l4[off + 1] = (uint8_t)v;
	return p;
}

/* The per-client counters add up to the slots in use. */
static void check_clients(const struct gk_wg_rpath *t)
{
	uint64_t sum = 0, used = 0;
	uint32_t i;

	for (i = 0; i < GK_WG_RPATH_CLIENTS; i++)
		sum += t->clients[i];
	for (i = 0; i < gk_wg_rpath_slots(t); i++) {
		used += t->flows[i].used;
		assert_int_equal(t->flows[i].used, !!t->tags[i / GK_WG_RPATH_WAYS]
				 .tag[i % GK_WG_RPATH_WAYS]);
	}
	assert_int_equal(sum, used);
}

#define MK(b, name)		mk(b, wgr_##name, sizeof(wgr_##name))
#define REPLY(b, name)		reply_of(b, wgr_##name, sizeof(wgr_##name))

static void t_learn_lookup(void **state)
{
	struct gk_wg_peers *s = snap(true, true, false, false);
	struct gk_wg_rpath t;
	struct gk_pkt *p;
	struct buf b;
	uint64_t now = 100 * SEC;

	(void)state;
	assert_int_equal(gk_wg_rpath_init(&t, 1024), 0);
	assert_int_equal(gk_wg_rpath_slots(&t), 1024);
	/* empty: nothing, whatever the packet */
	assert_int_equal(gk_wg_rpath_lookup(&t, s, REPLY(&b, ip_syn), now, true),
			 GK_WG_NO_PEER);
	gk_wg_rpath_learn(&t, MK(&b, ip_syn), 0, DOOR_ID, now);
	gk_wg_rpath_learn(&t, MK(&b, ip_echo), 0, DOOR_ID, now);
	gk_wg_rpath_learn(&t, MK(&b, ip_udp6), 0, DOOR_ID, now);
	assert_int_equal(t.cnt[GK_WG_RPATH_LEARNED], 3);
	assert_int_equal(t.cnt[GK_WG_RPATH_FOREIGN_SRC], 3);
	/* a peek: the peer, nothing counted */
	assert_int_equal(gk_wg_rpath_lookup(&t, s, REPLY(&b, ip_syn), now, false), 0);
	assert_int_equal(t.cnt[GK_WG_RPATH_HITS], 0);
	assert_int_equal(gk_wg_rpath_lookup(&t, s, REPLY(&b, ip_syn), now, true), 0);
	assert_int_equal(gk_wg_rpath_lookup(&t, s, REPLY(&b, ip_echo), now, true), 0);
	assert_int_equal(gk_wg_rpath_lookup(&t, s, REPLY(&b, ip_udp6), now, true), 0);
	assert_int_equal(t.cnt[GK_WG_RPATH_HITS], 3);
	/* ICMP errors to the client quoting its packets: their flows */
	assert_int_equal(gk_wg_rpath_lookup(&t, s, MK(&b, ip_err4), now, true), 0);
	assert_int_equal(gk_wg_rpath_lookup(&t, s, MK(&b, ip_err6), now, true), 0);
	/* ... not to someone else, nor cut before the quoted ports */
	assert_int_equal(gk_wg_rpath_lookup(&t, s, MK(&b, ip_err4_bad), now, true),
			 GK_WG_NO_PEER);
	p = MK(&b, ip_err4);
	p->len -= 1;
	assert_int_equal(gk_wg_rpath_lookup(&t, s, p, now, true), GK_WG_NO_PEER);
	assert_int_equal(t.cnt[GK_WG_RPATH_HITS], 5);
	/* the client's own packet is no reply; nor another port or echo id */
	assert_int_equal(gk_wg_rpath_lookup(&t, s, MK(&b, ip_syn), now, true),
			 GK_WG_NO_PEER);
	assert_int_equal(gk_wg_rpath_lookup(&t, s, variant(&b, wgr_ip_syn,
			 sizeof(wgr_ip_syn), 1, true), now, true), GK_WG_NO_PEER);
	assert_int_equal(gk_wg_rpath_lookup(&t, s, variant(&b, wgr_ip_echo,
			 sizeof(wgr_ip_echo), 1, true), now, true), GK_WG_NO_PEER);
	/* an echo request from the server is no echo reply */
	assert_int_equal(gk_wg_rpath_lookup(&t, s, MK(&b, ip_echo), now, true),
			 GK_WG_NO_PEER);
	assert_int_equal(t.cnt[GK_WG_RPATH_HITS], 5);
	/* the client again: refreshed, not learned twice */
	gk_wg_rpath_learn(&t, MK(&b, ip_syn), 0, DOOR_ID, now);
	assert_int_equal(t.cnt[GK_WG_RPATH_REFRESHED], 1);
	assert_int_equal(t.cnt[GK_WG_RPATH_LEARNED], 3);
	check_clients(&t);
	gk_wg_rpath_fini(&t);
	gk_wg_peers_free(s);
}

static void t_not_learned(void **state)
{
	struct gk_wg_peers *s = snap(true, true, false, false);
	struct gk_wg_rpath t;
	struct gk_pkt *p;
	struct buf b;

	(void)state;
	assert_int_equal(gk_wg_rpath_init(&t, 64), 0);
	/* a first fragment: flagged, no 5-tuple kept */
	p = MK(&b, ip_syn);
	p->meta.flags |= GK_META_F_FRAG;
	gk_wg_rpath_learn(&t, p, 0, DOOR_ID, 0);
	/* an echo reply from the client, an ICMP error: no flow */
	p = MK(&b, ip_echo);
	p->data[p->meta.l4_off] = 3;
	gk_wg_rpath_learn(&t, p, 0, DOOR_ID, 0);
	/* L4 header cut short */
	p = MK(&b, ip_syn);
	p->len = p->meta.l4_off + 13;
	gk_wg_rpath_learn(&t, p, 0, DOOR_ID, 0);
	/* lying metadata: l4_off inside the IP header */
	p = MK(&b, ip_syn);
	p->meta.l4_off = 20;
	gk_wg_rpath_learn(&t, p, 0, DOOR_ID, 0);
	assert_int_equal(t.cnt[GK_WG_RPATH_NOT_LEARNED], 4);
	assert_int_equal(t.cnt[GK_WG_RPATH_FOREIGN_SRC], 4);
	assert_int_equal(t.cnt[GK_WG_RPATH_LEARNED], 0);
	assert_int_equal(t.live, 0);
	check_clients(&t);
	gk_wg_rpath_fini(&t);
	gk_wg_peers_free(s);
}

static void t_timeouts(void **state)
{
	struct gk_wg_peers *s = snap(true, true, false, false);
	struct gk_wg_rpath t;
	struct buf b;
	uint64_t t0 = 1000 * SEC;

	(void)state;
	assert_int_equal(gk_wg_rpath_init(&t, 64), 0);
	gk_wg_rpath_learn(&t, MK(&b, ip_syn), 0, DOOR_ID, t0);
	gk_wg_rpath_learn(&t, MK(&b, ip_udp6), 0, DOOR_ID, t0);
	/* idle TCP lives its timeout; each hit starts it again */
	assert_int_equal(gk_wg_rpath_lookup(&t, s, REPLY(&b, ip_syn),
			 t0 + GK_WG_RPATH_TCP_NS, true), 0);
	t0 += GK_WG_RPATH_TCP_NS;
	/* UDP: dead past its own */
	assert_int_equal(gk_wg_rpath_lookup(&t, s, REPLY(&b, ip_udp6),
			 t0, true), GK_WG_NO_PEER);
	assert_int_equal(t.cnt[GK_WG_RPATH_EXPIRED], 1);
	/* FIN from the client: the short timeout */
	gk_wg_rpath_learn(&t, MK(&b, ip_fin), 0, DOOR_ID, t0);
	assert_int_equal(t.cnt[GK_WG_RPATH_CLOSED], 1);
	assert_int_equal(gk_wg_rpath_lookup(&t, s, REPLY(&b, ip_syn),
			 t0 + GK_WG_RPATH_TCP_FIN_NS, false), 0);
	assert_int_equal(gk_wg_rpath_lookup(&t, s, REPLY(&b, ip_syn),
			 t0 + GK_WG_RPATH_TCP_FIN_NS + 1, true), GK_WG_NO_PEER);
	assert_int_equal(t.cnt[GK_WG_RPATH_EXPIRED], 2);
	/* the tuple again (a new SYN): a new flow, not closing */
	t0 += 2 * GK_WG_RPATH_TCP_FIN_NS;
	gk_wg_rpath_learn(&t, MK(&b, ip_syn), 0, DOOR_ID, t0);
	assert_int_equal(gk_wg_rpath_lookup(&t, s, REPLY(&b, ip_syn),
			 t0 + GK_WG_RPATH_TCP_FIN_NS + 1, true), 0);
	check_clients(&t);
	gk_wg_rpath_fini(&t);
	gk_wg_peers_free(s);
}

static void t_evict_lru(void **state)
{
	struct gk_wg_peers *s = snap(true, true, false, false);
	struct gk_wg_rpath t;
	struct buf b;
	uint16_t k;

	(void)state;
	/* one bucket of GK_WG_RPATH_WAYS: every flow meets every other */
	assert_int_equal(gk_wg_rpath_init(&t, GK_WG_RPATH_WAYS), 0);
	assert_int_equal(t.nr_buckets, 1);
	for (k = 0; k < GK_WG_RPATH_WAYS; k++)
		gk_wg_rpath_learn(&t, variant(&b, wgr_ip_syn, sizeof(wgr_ip_syn),
					      k, false), 0, DOOR_ID, (k + 1) * SEC);
	assert_int_equal(t.cnt[GK_WG_RPATH_EVICTED], 0);
	/* flow 0 is used again: flow 1 is now the least recently used */
	assert_int_equal(gk_wg_rpath_lookup(&t, s, variant(&b, wgr_ip_syn,
			 sizeof(wgr_ip_syn), 0, true), 20 * SEC, true), 0);
	gk_wg_rpath_learn(&t, variant(&b, wgr_ip_syn, sizeof(wgr_ip_syn),
				      100, false), 0, DOOR_ID, 21 * SEC);
	assert_int_equal(t.cnt[GK_WG_RPATH_EVICTED], 1);
	assert_int_equal(gk_wg_rpath_lookup(&t, s, variant(&b, wgr_ip_syn,
			 sizeof(wgr_ip_syn), 1, true), 22 * SEC, true),
			 GK_WG_NO_PEER);
	for (k = 0; k < GK_WG_RPATH_WAYS; k++)
		if (k != 1)
			assert_int_equal(gk_wg_rpath_lookup(&t, s,
				variant(&b, wgr_ip_syn, sizeof(wgr_ip_syn), k,
					true), 22 * SEC, true), 0);
	assert_int_equal(gk_wg_rpath_lookup(&t, s, variant(&b, wgr_ip_syn,
			 sizeof(wgr_ip_syn), 100, true), 22 * SEC, true), 0);
	check_clients(&t);
	gk_wg_rpath_fini(&t);
	gk_wg_peers_free(s);
}

static void t_peer_changes(void **state)
{
	struct gk_wg_peers *s = snap(true, true, false, false);
	struct gk_wg_peers *moved = snap(true, true, true, false);
	struct gk_wg_peers *plain = snap(true, false, false, false);
	struct gk_wg_peers *gone = snap(false, false, true, false);
	struct gk_wg_rpath t;
	struct buf b;

	(void)state;
	assert_int_equal(gk_wg_rpath_init(&t, 64), 0);
	gk_wg_rpath_learn(&t, MK(&b, ip_syn), 0, DOOR_ID, SEC);
	gk_wg_rpath_learn(&t, MK(&b, ip_echo), 0, DOOR_ID, SEC);
	/* the door is index 1 now: found by its id */
	assert_int_equal(gk_wg_rpath_lookup(&t, moved, REPLY(&b, ip_syn), SEC,
					    true), 1);
	assert_int_equal(gk_wg_rpath_lookup(&t, s, REPLY(&b, ip_syn), SEC,
					    true), 0);
	/* the door lost return_path: forgotten, and stays forgotten */
	assert_int_equal(gk_wg_rpath_lookup(&t, plain, REPLY(&b, ip_syn), SEC,
					    true), GK_WG_NO_PEER);
	assert_int_equal(t.cnt[GK_WG_RPATH_STALE_PEER], 1);
	assert_int_equal(gk_wg_rpath_lookup(&t, s, REPLY(&b, ip_syn), SEC,
					    true), GK_WG_NO_PEER);
	/* the door is gone */
	assert_int_equal(gk_wg_rpath_lookup(&t, gone, REPLY(&b, ip_echo), SEC,
					    true), GK_WG_NO_PEER);
	assert_int_equal(t.cnt[GK_WG_RPATH_STALE_PEER], 2);
	/* a flow seen from another peer follows it */
	gk_wg_rpath_learn(&t, MK(&b, ip_udp6), 0, DOOR_ID, SEC);
	gk_wg_rpath_learn(&t, MK(&b, ip_udp6), 0, 7, SEC);
	assert_int_equal(t.cnt[GK_WG_RPATH_MOVED], 1);
	check_clients(&t);
	gk_wg_rpath_fini(&t);
	gk_wg_peers_free(s);
	gk_wg_peers_free(moved);
	gk_wg_peers_free(plain);
	gk_wg_peers_free(gone);
}

/* 1M flows through 4096 slots: bounded, counted, the newest still there. */
static void t_flood(void **state)
{
	struct gk_wg_peers *s = snap(true, true, false, false);
	struct gk_wg_rpath t;
	struct buf b;
	struct gk_pkt *p;
	uint32_t i, n = 1u << 20, live = 0, j;
	uint8_t *ip, *l4;

	(void)state;
	assert_int_equal(gk_wg_rpath_init(&t, 4096), 0);
	p = MK(&b, ip_syn);
	ip = p->data + 14;
	l4 = p->data + p->meta.l4_off;
	for (i = 0; i < n; i++) {
		/* client 192.0.2.x, port from i */
		ip[15] = (uint8_t)i;
		l4[0] = (uint8_t)(i >> 16);
		l4[1] = (uint8_t)(i >> 8);
		gk_wg_rpath_learn(&t, p, 0, DOOR_ID, SEC + i);
	}
	assert_int_equal(t.cnt[GK_WG_RPATH_LEARNED], n);
	for (j = 0; j < gk_wg_rpath_slots(&t); j++)
		live += t.flows[j].used;
	/* every slot in use, every other learn pushed a live flow out */
	assert_int_equal(live, gk_wg_rpath_slots(&t));
	assert_int_equal(t.cnt[GK_WG_RPATH_EVICTED], n - live);
	/* the last client's reply still comes back */
	p = REPLY(&b, ip_syn);
	ip = p->data + 14;
	l4 = p->data + p->meta.l4_off;
	ip[19] = (uint8_t)(n - 1);
	l4[2] = (uint8_t)((n - 1) >> 16);
	l4[3] = (uint8_t)((n - 1) >> 8);
	assert_int_equal(gk_wg_rpath_lookup(&t, s, p, SEC + n, true), 0);
	check_clients(&t);
	gk_wg_rpath_fini(&t);
	gk_wg_peers_free(s);
}

/* ---- the worker on the memory backend ---- */

static const struct gk_route routes[] = {
	{ .family = AF_INET, .plen = 24, .dst = { 198, 51, 100, 0 }, .ifindex = 10 },
	{ .family = AF_INET, .plen = 24, .dst = { 203, 0, 113, 0 }, .ifindex = 11 },
	{ .family = AF_INET, .plen = 0, .has_gw = 1,
	  .gw = { 203, 0, 113, 254 }, .ifindex = 11 },
	{ .family = AF_INET6, .plen = 64,
	  .dst = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0b }, .ifindex = 10 },
	{ .family = AF_INET6, .plen = 0, .has_gw = 1,
	  .gw = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0f, [15] = 0xfe }, .ifindex = 11 },
};

static const struct gk_neigh_entry neighs[] = {
	{ .family = AF_INET, .addr = { 198, 51, 100, 10 }, .ifindex = 10,
	  .mac = { 2, 0, 0, 0, 0x5e, 0x10 } },
	{ .family = AF_INET, .addr = { 203, 0, 113, 2 }, .ifindex = 11,
	  .mac = { 2, 0, 0, 0, 0xfe, 0x02 } },
	{ .family = AF_INET, .addr = { 203, 0, 113, 254 }, .ifindex = 11,
	  .mac = { 2, 0, 0, 0, 0xee, 0xfe } },
	{ .family = AF_INET6, .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0b,
	  [15] = 0x10 }, .ifindex = 10, .mac = { 2, 0, 0, 0, 0x5e, 0x10 } },
	{ .family = AF_INET6, .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0f,
	  [15] = 0xfe }, .ifindex = 11, .mac = { 2, 0, 0, 0, 0xee, 0xfe } },
};

#define NBUFS	64

static bool home_local4(void *arg, uint32_t addr_be)
{
	static const uint8_t home[4] = { 203, 0, 113, 1 };

	(void)arg;
	return !memcmp(&addr_be, home, 4);
}

/* Worker id of nr, with the flow rings (NULL: none) between them. */
static void rig_up_n(struct wg_rig *r, unsigned id, unsigned nr,
		     struct gk_spsc **rings)
{
	const struct gk_classify_cfg wan = {
		.is_local4 = home_local4, .wg_listen_port = WGR_LISTEN,
	};
	const struct wg_rig_cfg rc = {
		.nbufs = NBUFS,
		.routes = routes, .nr_routes = ARRAY_SIZE(routes),
		.neighs = neighs, .nr_neighs = ARRAY_SIZE(neighs),
		.wan = &wan,
	};
	struct gk_worker_cfg cfg = {
		.cpu = -1, .wg_max_peers = 8, .id = id, .wg_nr_workers = nr,
		.wg_rpath_rings = rings, .wg_mtu = WGR_MTU,
	};

	wg_rig_up(r, &rc, &cfg);
	assert_non_null(r->w.wg);
	assert_non_null(r->w.wg->rpath);
	assert_int_equal(r->w.wg->rpath->share, rings != NULL && nr > 1);
}

static void rig_up(struct wg_rig *r)
{
	rig_up_n(r, 0, 1, NULL);
}

static void rig_down(struct wg_rig *r)
{
	gk_wg_peers_free(r->wg);
	r->wg = NULL;
	wg_rig_down(r);
}

/* Frame f in on port, one poll. */
static void feed(struct wg_rig *r, unsigned port, const uint8_t *f, uint32_t len)
{
	assert_int_equal(gk_mem_port_add_frame(r->port[port], f, len), 0);
	assert_int_equal(gk_worker_poll(&r->w), 1);
}

#define FEED(r, port, name)	feed(r, port, wgr_##name, sizeof(wgr_##name))

/* Captured frame i of port is exactly the fixture. */
static void expect(struct wg_rig *r, unsigned port, unsigned i, const uint8_t *f,
		   uint32_t len)
{
	uint32_t got;
	const uint8_t *c = gk_mem_port_captured(r->port[port], i, &got);

	assert_non_null(c);
	assert_int_equal(got, len);
	assert_memory_equal(c, f, len);
}

#define EXPECT(r, port, i, name) expect(r, port, i, wgr_##name, sizeof(wgr_##name))

static void t_worker_flow(void **state)
{
	struct wg_rig r;

	(void)state;
	rig_up(&r);
	rcu_register_thread();
	atomic_store(&kpst->send_counter, 0);
	gk_replay_init(&kpst->replay);
	r.wg = snap(true, true, false, true);

	/* the door brings three clients' packets to the server */
	FEED(&r, 1, in_syn);
	FEED(&r, 1, in_echo);
	FEED(&r, 1, in_udp6);
	assert_int_equal(gk_mem_port_nr_captured(r.port[0]), 3);
	EXPECT(&r, 0, 0, lan_syn);
	EXPECT(&r, 0, 1, lan_echo);
	EXPECT(&r, 0, 2, lan_udp6);
	assert_int_equal(r.w.wg->rpath->cnt[GK_WG_RPATH_LEARNED], 3);
	assert_int_equal(r.w.wg->drops[GK_WG_DROP_ALLOWEDIPS], 0);

	/* the replies go back sealed to the door, not to the ISP */
	FEED(&r, 0, srv_synack);
	FEED(&r, 0, srv_echo);
	FEED(&r, 0, srv_udp6);
	/* and so do ICMP errors about the clients' packets */
	FEED(&r, 0, srv_err4);
	FEED(&r, 0, srv_err6);
	assert_int_equal(gk_mem_port_nr_captured(r.port[1]), 5);
	EXPECT(&r, 1, 0, seal_synack);
	EXPECT(&r, 1, 1, seal_echo);
	EXPECT(&r, 1, 2, seal_udp6);
	EXPECT(&r, 1, 3, seal_err4);
	EXPECT(&r, 1, 4, seal_err6);
	assert_int_equal(r.w.wg->rpath->cnt[GK_WG_RPATH_HITS], 5);

	/* no flow: the default route, as before */
	FEED(&r, 0, srv_other);
	FEED(&r, 0, srv_err4_bad);
	assert_int_equal(gk_mem_port_nr_captured(r.port[1]), 7);
	EXPECT(&r, 1, 5, wan_other);
	EXPECT(&r, 1, 6, wan_err4_bad);

	/* a source in the door's own AllowedIPs: forwarded, not learned */
	FEED(&r, 1, in_own);
	assert_int_equal(gk_mem_port_nr_captured(r.port[0]), 4);
	assert_int_equal(r.w.wg->rpath->cnt[GK_WG_RPATH_FOREIGN_SRC], 3);
	assert_int_equal(r.w.wg->rpath->cnt[GK_WG_RPATH_LEARNED], 3);
	rcu_unregister_thread();
	rig_down(&r);
}

static void t_worker_off(void **state)
{
	struct wg_rig r;

	(void)state;
	rig_up(&r);
	rcu_register_thread();
	atomic_store(&kpst->send_counter, 0);
	gk_replay_init(&kpst->replay);
	r.wg = snap(true, false, false, true);

	/* return_path = allowed-ips: cryptokey routing drops them */
	FEED(&r, 1, in_syn);
	FEED(&r, 1, in_echo);
	assert_int_equal(gk_mem_port_nr_captured(r.port[0]), 0);
	assert_int_equal(r.w.wg->drops[GK_WG_DROP_ALLOWEDIPS], 2);
	assert_int_equal(r.w.wg->rpath->cnt[GK_WG_RPATH_FOREIGN_SRC], 0);
	/* and a reply follows the default route to the ISP */
	FEED(&r, 0, srv_synack);
	assert_int_equal(gk_mem_port_nr_captured(r.port[1]), 1);
	EXPECT(&r, 1, 0, wan_synack);
	rcu_unregister_thread();
	rig_down(&r);
}

/*
 * Two workers: worker 0 decrypts the door's packets (it owns the keypair),
 * RSS gives the server's replies to worker 1. With the flow rings, worker
 * 1 heard of the flows and seals the replies; without them it cannot
 * know, and they leave by the default route.
 */
static void two_workers(bool rings_on)
{
	struct gk_spsc *ring[4] = { NULL };
	struct wg_rig a, b;
	unsigned i;

	for (i = 1; i < 3; i++) {
		ring[i] = gk_spsc_create(sizeof(struct gk_wg_rpath_msg), 4);
		assert_non_null(ring[i]);
	}
	rig_up_n(&a, 0, 2, rings_on ? ring : NULL);
	rig_up_n(&b, 1, 2, rings_on ? ring : NULL);
	rcu_register_thread();
	atomic_store(&kpst->send_counter, 0);
	gk_replay_init(&kpst->replay);
	a.wg = snap(true, true, false, true);
	b.wg = snap(true, true, false, true);

	FEED(&a, 1, in_syn);
	FEED(&a, 1, in_echo);
	EXPECT(&a, 0, 0, lan_syn);
	EXPECT(&a, 0, 1, lan_echo);
	assert_int_equal(a.w.wg->rpath->cnt[GK_WG_RPATH_LEARNED], 2);
	FEED(&b, 0, srv_synack);
	FEED(&b, 0, srv_echo);
	assert_int_equal(gk_mem_port_nr_captured(b.port[1]), 2);
	if (rings_on) {
		assert_int_equal(a.w.wg->rpath->cnt[GK_WG_RPATH_SHARED], 2);
		assert_int_equal(b.w.wg->rpath->cnt[GK_WG_RPATH_SYNCED], 2);
		assert_int_equal(b.w.wg->rpath->cnt[GK_WG_RPATH_HITS], 2);
		EXPECT(&b, 1, 0, seal_synack);
		EXPECT(&b, 1, 1, seal_echo);
		/* the client again within a second: not told twice */
		FEED(&a, 1, in_fin);
		assert_int_equal(a.w.wg->rpath->cnt[GK_WG_RPATH_REFRESHED], 1);
		/* ... but a FIN is news */
		assert_int_equal(a.w.wg->rpath->cnt[GK_WG_RPATH_SHARED], 3);
	} else {
		assert_int_equal(b.w.wg->rpath->cnt[GK_WG_RPATH_HITS], 0);
		EXPECT(&b, 1, 0, wan_synack);
	}
	rcu_unregister_thread();
	rig_down(&a);
	rig_down(&b);
	for (i = 1; i < 3; i++)
		gk_spsc_destroy(ring[i]);
}

static void t_two_workers(void **state)
{
	(void)state;
	two_workers(true);
}

static void t_two_workers_no_rings(void **state)
{
	(void)state;
	two_workers(false);
}

extern const struct gk_stage gk_stage_wg_rpath;

static void t_ce_prestage(void **state)
{
	struct gk_map_rule rule = { .ipv6_plen = 40, .ipv4_plen = 24,
				    .ea_bits = 16, .psid_offset = 6 };
	struct gk_map_table_cfg mc = {
		.role = GK_MAPE_ROLE_CE, .rules = &rule, .nr_rules = 1, .bmr = 0,
		.eup_len = 56, .v4_port_id = 0, .v6_port_id = 1,
		.tunnel_mtu = 1460,
	};
	struct gk_pkt *sorted[GK_STAGE_LIST_MAX], *p0, *p1, *p2;
	struct gk_wg_peers *slot = NULL, *plain;
	struct gk_map_table *map;
	struct gk_rx_burst *b;
	struct gk_worker *w;
	struct buf pk[3];
	struct gk_wg_ctx c;
	char err[128];

	(void)state;
	memcpy(rule.ipv6_prefix, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8 }, 4);
	memcpy(rule.ipv4_prefix, (uint8_t[]){ 203, 0, 113, 0 }, 4);
	snprintf(rule.name, sizeof(rule.name), "ce");
	gk_map_rule_normalize(&rule);
	memcpy(mc.br_addr, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff,
					[15] = 1 }, 16);
	memcpy(mc.eup, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0x12, 0x34 }, 7);
	map = gk_map_table_build(&mc, err, sizeof(err));
	if (!map)
		fail_msg("map table: %s", err);
	w = calloc(1, sizeof(*w));
	b = calloc(1, sizeof(*b));
	assert_non_null(w);
	assert_non_null(b);
	memset(&c, 0, sizeof(c));
	c.rpath = malloc(sizeof(*c.rpath));
	assert_non_null(c.rpath);
	assert_int_equal(gk_wg_rpath_init(c.rpath, 64), 0);
	w->wg = &c;
	w->mape.map = map;
	w->wgp = snap(true, true, false, false);
	w->now_ns = SEC;
	w->cfg.wg = &slot;
	w->cfg.map = &map;
	assert_true(gk_stage_wg_rpath.on(&w->cfg));
	assert_int_equal(gk_stage_wg_rpath.classes, 1u << GK_CLASS_MAPE_CE);

	/* the door brought a client's SYN: its flow is known */
	gk_wg_rpath_learn(c.rpath, MK(&pk[0], ip_syn), 0, DOOR_ID, SEC);
	/* from the LAN (v4 port 0): its reply, and a packet of no flow;
	 * the reply's twin from the IPv6 side is no LAN packet */
	p0 = REPLY(&pk[0], ip_syn);
	p1 = variant(&pk[1], wgr_ip_syn, sizeof(wgr_ip_syn), 5, true);
	p2 = REPLY(&pk[2], ip_syn);
	p0->in_port = p1->in_port = 0;
	p2->in_port = 1;
	p0->meta.class = p1->meta.class = p2->meta.class = GK_CLASS_MAPE_CE;
	b->l3 = sorted;
	b->bkt[GK_CLASS_MAPE_CE][0] = p0;
	b->bkt[GK_CLASS_MAPE_CE][1] = p1;
	b->bkt[GK_CLASS_MAPE_CE][2] = p2;
	b->n[GK_CLASS_MAPE_CE] = 3;
	gk_stage_wg_rpath.rx(w, NULL, b);
	assert_int_equal(b->nl3, 1);
	assert_ptr_equal(sorted[0], p0);
	assert_int_equal(p0->meta.class, GK_CLASS_TRANSIT);
	assert_int_equal(p0->verdict, GK_V_NONE);
	assert_int_equal(b->n[GK_CLASS_MAPE_CE], 2);
	assert_ptr_equal(b->bkt[GK_CLASS_MAPE_CE][0], p1);
	assert_ptr_equal(b->bkt[GK_CLASS_MAPE_CE][1], p2);
	/* a peek: the tx hook counts the hit when it seals */
	assert_int_equal(c.rpath->cnt[GK_WG_RPATH_HITS], 0);

	/* no peer with return_path = flow: the reply stays for NAPT44 */
	plain = snap(true, false, false, false);
	gk_wg_peers_free((struct gk_wg_peers *)w->wgp);
	w->wgp = plain;
	p0->meta.class = GK_CLASS_MAPE_CE;
	b->nl3 = 0;
	b->bkt[GK_CLASS_MAPE_CE][0] = p0;
	b->n[GK_CLASS_MAPE_CE] = 1;
	gk_stage_wg_rpath.rx(w, NULL, b);
	assert_int_equal(b->nl3, 0);
	assert_int_equal(b->n[GK_CLASS_MAPE_CE], 1);
	assert_int_equal(p0->meta.class, GK_CLASS_MAPE_CE);

	gk_wg_peers_free(plain);
	gk_wg_rpath_fini(c.rpath);
	free(c.rpath);
	free(b);
	free(w);
	gk_map_table_free(map);
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
		cmocka_unit_test(t_learn_lookup),
		cmocka_unit_test(t_not_learned),
		cmocka_unit_test(t_timeouts),
		cmocka_unit_test(t_evict_lru),
		cmocka_unit_test(t_peer_changes),
		cmocka_unit_test(t_flood),
		cmocka_unit_test(t_worker_flow),
		cmocka_unit_test(t_worker_off),
		cmocka_unit_test(t_two_workers),
		cmocka_unit_test(t_two_workers_no_rings),
		cmocka_unit_test(t_ce_prestage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
