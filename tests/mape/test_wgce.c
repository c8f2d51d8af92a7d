// SPDX-License-Identifier: BSD-3-Clause
/*
 * WireGuard behind a MAP-E CE in the worker (dataplane/worker_wgce.c),
 * against gen_wgce.py's scapy fixtures on the RFC 7597 Appendix A CE:
 *  - in: each IPv4-in-IPv6 frame runs through the CE stage (decap), then
 *    gk_worker_wgce_in; data must become WG_DATA with the inner offsets,
 *    handshakes must land in the punt ring byte for byte with the outer
 *    source (and one eventfd count), the rest dropped and counted, and
 *    other ports left alone for NAPT;
 *  - claim: LAN IPv4 to a peer's AllowedIPs leaves the CE bucket;
 *  - inject: a message genkand queues must leave as scapy's frame
 *    (IPv4/UDP from the CE address and ListenPort, CE-encapsulated).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "map_rule.h"
#include "map_table.h"
#include "mape_ce.h"
#include "spsc.h"
#include "wg_data.h"
#include "wg_peers.h"
#include "worker.h"
#include "worker_wgce.h"

#include "wgce_fixtures.h"

#define HEADROOM	GK_PKT_HEADROOM
#define ROOM		2048

struct slot {
	struct gk_pkt pkt;
	uint8_t buf[HEADROOM + ROOM];
};

static struct gk_worker *w;
static struct gk_map_table *tbl;
static struct gk_wg_peers *peers;
static struct slot inj_slot;

static uint16_t fake_alloc(struct gk_port *p, struct gk_pkt **pk, uint16_t n)
{
	(void)p;
	if (!n)
		return 0;
	memset(&inj_slot, 0, sizeof(inj_slot));
	inj_slot.pkt.data = inj_slot.buf + HEADROOM;
	inj_slot.pkt.buf_len = ROOM;
	inj_slot.pkt.in_port = WX_V6_PORT;
	pk[0] = &inj_slot.pkt;
	return 1;		/* one buffer: enough for these tests */
}

static const struct gk_port_ops fake_ops = { .name = "fake", .alloc = fake_alloc };

static int setup(void **state)
{
	struct gk_map_rule r = { 0 };
	struct gk_map_table_cfg c = {
		.role = GK_MAPE_ROLE_CE, .rules = &r, .nr_rules = 1, .bmr = 0,
		.eup_len = WX_EUP_LEN, .v4_port_id = WX_V4_PORT,
		.v6_port_id = WX_V6_PORT, .tunnel_mtu = WX_TUNNEL_MTU,
	};
	struct gk_wg_allowed al = { .family = AF_INET, .plen = 24 };
	struct gk_wg_peer_cfg pc = { .id = 0 };
	struct gk_wg_peers_cfg pcfg = {
		.listen_port = WX_LISTEN, .mtu = 1400, .peers = &pc, .nr_peers = 1,
	};
	char err[200];

	(void)state;
	snprintf(r.name, sizeof(r.name), "rfc");
	memcpy(r.ipv6_prefix, wx_rule6, 16);
	r.ipv6_plen = WX_R6;
	memcpy(r.ipv4_prefix, wx_rule4, 4);
	r.ipv4_plen = WX_R4;
	r.ea_bits = WX_EA;
	r.psid_offset = WX_A;
	gk_map_rule_normalize(&r);
	memcpy(c.br_addr, wx_br, 16);
	memcpy(c.eup, wx_eup, 16);
	tbl = gk_map_table_build(&c, err, sizeof(err));
	if (!tbl) {
		fprintf(stderr, "map table: %s\n", err);
		return -1;
	}
	memcpy(al.addr, wx_allowed, 4);
	pc.allowed = &al;
	pc.nr_allowed = 1;
	peers = gk_wg_peers_build(&pcfg, err, sizeof(err));
	if (!peers) {
		fprintf(stderr, "peers: %s\n", err);
		return -1;
	}

	w = aligned_alloc(GK_CACHELINE, sizeof(*w));
	if (!w)
		return -1;
	memset(w, 0, sizeof(*w));
	w->cfg.wg_ce_port = WX_LISTEN;
	w->cfg.wg_punt = gk_spsc_create(sizeof(struct gk_wg_ctlmsg), 16);
	w->cfg.wg_inject = gk_spsc_create(sizeof(struct gk_wg_ctlmsg), 16);
	w->cfg.wg_punt_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	/* the inject builder takes the outer IPv4 ID from the wg ctx */
	w->wg = calloc(1, sizeof(*w->wg));
	w->mape.map = tbl;
	w->mape.stats = &w->stats;
	w->mape.nr_dom = 2;
	w->mape.dom = calloc(2, sizeof(*w->mape.dom));
	w->mape.now_ns = 1000000000ull;
	if (!w->cfg.wg_punt || !w->cfg.wg_inject || w->cfg.wg_punt_efd < 0 ||
	    !w->wg || !w->mape.dom)
		return -1;
	gk_mape_init(&w->mape, 0, 0);
	w->wgp = peers;
	return gk_worker_wgce_init(w);
}

static int teardown(void **state)
{
	(void)state;
	gk_worker_wgce_fini(w);
	gk_mape_fini(&w->mape);
	free(w->mape.dom);
	free(w->wg);
	gk_spsc_destroy(w->cfg.wg_punt);
	gk_spsc_destroy(w->cfg.wg_inject);
	close(w->cfg.wg_punt_efd);
	free(w);
	gk_wg_peers_free(peers);
	gk_map_table_free(tbl);
	return 0;
}

/* An IPv4-in-IPv6 frame as XDP hands it over: class MAPE_CE, v6 port. */
static void load6(struct slot *s, const uint8_t *f, uint32_t len)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->buf + HEADROOM, f, len);
	s->pkt.data = s->buf + HEADROOM;
	s->pkt.len = len;
	s->pkt.buf_len = ROOM;
	s->pkt.in_port = WX_V6_PORT;
	s->pkt.meta.magic = GK_META_MAGIC;
	s->pkt.meta.version = GK_META_VERSION;
	s->pkt.meta.class = GK_CLASS_MAPE_CE;
	s->pkt.meta.l3_off = 14;
	s->pkt.meta.l4_off = 54;
	s->pkt.meta.l4_proto = 4;
	s->pkt.meta.flags = GK_META_F_IPV6 | GK_META_F_L4;
}

static uint64_t efd_take(void)
{
	uint64_t v = 0;

	if (read(w->cfg.wg_punt_efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void t_in(void **state)
{
	struct slot *s = malloc(sizeof(*s));
	struct gk_wg_ctlmsg m[2];
	struct gk_pkt *p;
	size_t i;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < sizeof(wx_in) / sizeof(wx_in[0]); i++) {
		const struct wx_in *f = &wx_in[i];
		struct gk_wgce_stats before = w->wgce;
		uint64_t wgdrops = w->stats.drops[GK_WK_DROP_WG];
		uint32_t mlen = f->len - 14 - 40 - 20 - 8;

		print_message("%s\n", f->name);
		load6(s, f->f, f->len);
		p = &s->pkt;
		gk_mape_ce_burst(&w->mape, &p, 1);
		assert_int_equal(p->verdict, GK_V_NONE);	/* decapsulated */
		gk_worker_wgce_in(w, &p, 1);
		switch (f->what) {
		case WX_DATA:
			assert_int_equal(p->verdict, GK_V_NONE);
			assert_int_equal(p->meta.class, GK_CLASS_WG_DATA);
			assert_int_equal(p->meta.l3_off, 14);
			assert_int_equal(p->meta.l4_off, 34);
			assert_int_equal(p->meta.l4_proto, 17);
			assert_int_equal(w->wgce.punted, before.punted);
			break;
		case WX_PUNT:
			assert_int_equal(p->verdict, GK_V_DROP);
			assert_int_equal(p->drop_reason, 0);
			assert_int_equal(w->stats.drops[GK_WK_DROP_WG], wgdrops);
			assert_int_equal(w->wgce.punted, before.punted + 1);
			assert_int_equal(gk_spsc_pop(w->cfg.wg_punt, m, 2), 1);
			assert_memory_equal(m[0].addr, wx_peer4, 4);
			assert_int_equal(m[0].port, WX_PEER_PORT);
			assert_int_equal(m[0].len, mlen);
			assert_memory_equal(m[0].msg, f->f + f->len - mlen, mlen);
			assert_int_equal(efd_take(), 1);
			break;
		case WX_BAD_LEN:
			assert_int_equal(p->verdict, GK_V_DROP);
			assert_int_equal(p->drop_reason, GK_WK_DROP_WG);
			assert_int_equal(w->stats.drops[GK_WK_DROP_WG], wgdrops + 1);
			assert_int_equal(w->wgce.punt_bad_len,
					 before.punt_bad_len + 1);
			assert_int_equal(w->wgce.punt_drops, before.punt_drops);
			assert_int_equal(w->wgce.punted, before.punted);
			assert_int_equal(gk_spsc_pop(w->cfg.wg_punt, m, 2), 0);
			assert_int_equal(efd_take(), 0);
			break;
		case WX_STRAY:
			assert_int_equal(p->verdict, GK_V_DROP);
			assert_int_equal(p->drop_reason, GK_WK_DROP_WG);
			assert_int_equal(w->stats.drops[GK_WK_DROP_WG], wgdrops + 1);
			assert_int_equal(w->wgce.stray, before.stray + 1);
			assert_int_equal(gk_spsc_pop(w->cfg.wg_punt, m, 2), 0);
			break;
		default:	/* WX_PASS: NAPT-in's, untouched */
			assert_int_equal(p->verdict, GK_V_NONE);
			assert_int_equal(p->meta.class, GK_CLASS_TRANSIT);
			assert_int_equal(w->wgce.stray, before.stray);
			assert_int_equal(w->wgce.punted, before.punted);
			break;
		}
	}
	free(s);
}

/* A full punt ring drops and counts; what it took comes out unchanged. */
static void t_punt_full(void **state)
{
	struct slot *s = malloc(sizeof(*s));
	struct gk_wgce_stats before = w->wgce;
	uint64_t wg_drops0 = w->stats.drops[GK_WK_DROP_WG];
	struct gk_wg_ctlmsg m[4];
	const struct wx_in *f = NULL;
	unsigned i, sent = 0, popped = 0, got;
	struct gk_pkt *p;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < sizeof(wx_in) / sizeof(wx_in[0]); i++)
		if (wx_in[i].what == WX_PUNT &&
		    wx_in[i].len == 14 + 40 + 28 + 148)
			f = &wx_in[i];
	assert_non_null(f);
	/* the ring has 16 slots: 40 initiations must overflow it */
	for (sent = 0; sent < 40; sent++) {
		load6(s, f->f, f->len);
		p = &s->pkt;
		gk_mape_ce_burst(&w->mape, &p, 1);
		gk_worker_wgce_in(w, &p, 1);
		assert_int_equal(p->verdict, GK_V_DROP);
		/* punted: not a drop; refused by the full ring: a wg drop */
		assert_true(p->drop_reason == 0 ||
			    p->drop_reason == GK_WK_DROP_WG);
	}
	assert_true(w->wgce.punt_drops > before.punt_drops);
	/* every refused one is a worker drop too (packet accounting) */
	assert_int_equal(w->stats.drops[GK_WK_DROP_WG] - wg_drops0,
			 w->wgce.punt_drops - before.punt_drops);
	assert_int_equal(w->wgce.punted - before.punted +
			 w->wgce.punt_drops - before.punt_drops, sent);
	while ((got = gk_spsc_pop(w->cfg.wg_punt, m, 4)) > 0) {
		for (i = 0; i < got; i++) {
			assert_int_equal(m[i].len, 148);
			assert_memory_equal(m[i].msg, f->f + f->len - 148, 148);
		}
		popped += got;
	}
	assert_int_equal(popped, w->wgce.punted - before.punted);
	/* one wake-up per burst that punted: bursts of one here */
	assert_int_equal(efd_take(), popped);
	free(s);
}

static void t_claim(void **state)
{
	struct slot *s = calloc(2, sizeof(*s));
	struct gk_pkt *ce[2], *transit[2];
	uint16_t nce = 2, nt;
	size_t i;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < 2; i++) {
		const uint8_t *f = i ? wx_lan_inet : wx_lan_tunnel;
		uint32_t len = i ? sizeof(wx_lan_inet) : sizeof(wx_lan_tunnel);

		memcpy(s[i].buf + HEADROOM, f, len);
		s[i].pkt.data = s[i].buf + HEADROOM;
		s[i].pkt.len = len;
		s[i].pkt.buf_len = ROOM;
		s[i].pkt.in_port = WX_V4_PORT;
		s[i].pkt.meta.class = GK_CLASS_MAPE_CE;
		s[i].pkt.meta.l3_off = 14;
		s[i].pkt.meta.l4_off = 34;
		s[i].pkt.meta.l4_proto = 1;
		s[i].pkt.meta.flags = GK_META_F_IPV4 | GK_META_F_L4;
		ce[i] = &s[i].pkt;
	}
	nt = gk_worker_wgce_claim(w, ce, &nce, transit, 0);
	assert_int_equal(nt, 1);
	assert_ptr_equal(transit[0], &s[0].pkt);
	assert_int_equal(transit[0]->meta.class, GK_CLASS_TRANSIT);
	assert_int_equal(nce, 1);
	assert_ptr_equal(ce[0], &s[1].pkt);
	assert_int_equal(ce[0]->meta.class, GK_CLASS_MAPE_CE);
	free(s);
}

static void t_inject(void **state)
{
	struct gk_port port = { .ops = &fake_ops, .port_id = WX_V6_PORT };
	struct gk_wg_ctlmsg m = { .port = WX_PEER_PORT };
	struct gk_pkt *out[4];
	uint64_t drops = w->wgce.inject_drops;

	(void)state;
	/* nothing queued: nothing built */
	assert_int_equal(gk_worker_wgce_inject(w, &port, out, 4), 0);
	/* a length past the message buffer is refused before any copy */
	m.len = GK_WG_CTLMSG_MAX + 1;
	assert_true(gk_spsc_push(w->cfg.wg_inject, &m));
	assert_int_equal(gk_worker_wgce_inject(w, &port, out, 4), 0);
	assert_int_equal(w->wgce.inject_drops, drops + 1);

	memcpy(m.addr, wx_peer4, 4);
	m.len = sizeof(wx_inj_msg);
	memcpy(m.msg, wx_inj_msg, sizeof(wx_inj_msg));
	assert_true(gk_spsc_push(w->cfg.wg_inject, &m));
	assert_int_equal(gk_worker_wgce_inject(w, &port, out, 4), 1);
	assert_int_equal(out[0]->verdict, GK_V_NONE);
	assert_true(out[0]->meta.flags & GK_META_F_IPV6);
	assert_true(out[0]->meta.flags & GK_META_F_ORIGIN);
	assert_int_equal(out[0]->len, sizeof(wx_inj_out));
	assert_memory_equal(out[0]->data, wx_inj_out, sizeof(wx_inj_out));
	assert_int_equal(w->wgce.injected, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_in),
		cmocka_unit_test(t_punt_full),
		cmocka_unit_test(t_claim),
		cmocka_unit_test(t_inject),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
