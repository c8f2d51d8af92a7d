// SPDX-License-Identifier: BSD-3-Clause
/*
 * Packet accounting of NAPT44's hand-off (worker_nat.c, #13 item 2,
 * docs/accounting.md): two MAP-E CE workers with NAPT44 (RFC 7597
 * Appendix A, example 1: 192.0.2.18, PSID 0x34), a hand-off ring of 4
 * slots between them. Worker 0 receives LAN flows of which many belong to
 * worker 1: 4 are handed off, the rest find the ring full and are worker
 * drops "napt" (on main they were freed with no worker counter). Worker 1
 * takes the 4 in, translates, encapsulates and sends them. Each worker
 * balances and what one handed off the other handed in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <urcu-qsbr.h>

#include "backend_mem.h"
#include "csum.h"
#include "handoff.h"
#include "map_table.h"
#include "napt.h"
#include "tables.h"
#include "testbed.h"
#include "worker.h"

#define NR	2
#define RING	4
#define FLOWS	24

/* A LAN host's UDP datagram to the Internet (RFC 791, RFC 768). */
static uint32_t lan_udp(uint8_t *f, uint8_t host, uint16_t sport)
{
	static const uint8_t hdr[14] = { 2, 0, 0, 0, 0, 0x0a,
					 2, 0, 0, 0, 0, 0xc8, 0x08, 0x00 };
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint16_t c;

	memset(f, 0, 14 + 20 + 8 + 16);
	memcpy(f, hdr, 14);
	ip[0] = 0x45;
	ip[3] = 20 + 8 + 16;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){ 192, 168, 1, host }, 4);
	memcpy(ip + 16, (uint8_t[]){ 203, 0, 113, 10 }, 4);
	c = gk_csum_ip4_hdr(ip, 20);
	memcpy(ip + 10, &c, 2);
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[3] = 53;
	udp[5] = 8 + 16;	/* checksum 0: none (RFC 768) */
	return 14 + 20 + 8 + 16;
}

static void balanced(const struct gk_worker *w, uint64_t *t)
{
	uint64_t in, out;

	if (!gk_wk_acct(&w->stats, t, &in, &out))
		fail_msg("worker %u: in %lu != out %lu", w->cfg.id,
			 (unsigned long)in, (unsigned long)out);
}

static void test_napt_handoff(void **state)
{
	static struct gk_worker w[NR];
	struct gk_classify_cfg lan = { .mape_ce_v4_port = true };
	struct gk_tables *tb = tb_ce_fib(48, 0);
	struct gk_map_table *map = tb_ce_map_table(1460);
	struct gk_handoff *ho = gk_handoff_create(NR, RING);
	struct gk_napt_cfg nc[NR];
	struct gk_napt *napt[NR];
	struct gk_mem_pool *pool[NR];
	struct gk_port *port[NR][2];
	uint64_t t0[GK_WK_ACCT_MAX], t1[GK_WK_ACCT_MAX];
	uint8_t f[128];
	unsigned a, i, theirs = 0;
	char why[128];
	int rc;

	(void)state;
	assert_non_null(ho);
	for (a = 0; a < NR; a++) {
		struct gk_worker_cfg cfg = { .cpu = -1, .id = a };

		memset(&nc[a], 0, sizeof(nc[a]));
		memcpy(nc[a].ext_addr, (uint8_t[]){ 192, 0, 2, 18 }, 4);
		nc[a].psid_offset = 6;
		nc[a].psid_len = 8;
		nc[a].psid = 0x34;
		nc[a].worker = (uint16_t)a;
		nc[a].nr_workers = NR;
		nc[a].holddown_s = UINT32_MAX;
		napt[a] = gk_napt_create(&nc[a], &rc, why, sizeof(why));
		if (!napt[a])
			fail_msg("napt: %s", why);
		pool[a] = gk_mem_pool_create(128, 2048);
		assert_non_null(pool[a]);
		port[a][0] = gk_mem_port_create(pool[a], 0,
					(uint8_t[6]){ 2, 0, 0, 0, 0, 0x0a }, &lan);
		port[a][1] = gk_mem_port_create(pool[a], 1,
					(uint8_t[6]){ 2, 0, 0, 0, 0, 0x0b }, NULL);
		assert_non_null(port[a][0]);
		assert_non_null(port[a][1]);
		gk_mem_port_set_capture(port[a][1], 64);
		cfg.ports[0] = port[a][0];
		cfg.ports[1] = port[a][1];
		cfg.nr_ports = 2;
		cfg.tables = &tb;
		cfg.map = &map;
		cfg.map_nr_rules = 1;
		cfg.napt = napt[a];
		cfg.napt_cfg = &nc[a];
		cfg.handoff = ho;
		cfg.nr_workers = NR;
		assert_int_equal(gk_worker_init(&w[a], &cfg), 0);
	}
	/* FLOWS new flows, all received by worker 0 */
	for (i = 0; i < FLOWS; i++) {
		struct gk_pkt p = { .data = f };

		p.len = lan_udp(f, (uint8_t)(10 + i), (uint16_t)(40000 + i));
		p.meta.l3_off = 14;
		p.meta.l4_off = 34;
		p.meta.flags = GK_META_F_IPV4 | GK_META_F_L4;
		theirs += gk_worker_nat_out_owner(&p, NR) == 1;
		assert_int_equal(gk_mem_port_add_frame(port[0][0], f, p.len), 0);
	}
	assert_true(theirs > RING);	/* the ring must overflow */

	rcu_register_thread();
	while (gk_worker_poll(&w[0]))
		;
	balanced(&w[0], t0);
	assert_int_equal(t0[GK_WK_ACCT_RX], FLOWS);
	assert_int_equal(t0[GK_WK_ACCT_HANDED_OFF], RING);
	assert_int_equal(w[0].stats.drops[GK_WK_DROP_NAPT], theirs - RING);
	assert_int_equal(w[0].nat.handoff_full, theirs - RING);
	assert_int_equal(t0[GK_WK_ACCT_TX], FLOWS - theirs);
	assert_int_equal(gk_mem_port_nr_captured(port[0][1]), FLOWS - theirs);

	while (gk_worker_poll(&w[1]))
		;
	rcu_unregister_thread();
	balanced(&w[1], t1);
	assert_int_equal(t1[GK_WK_ACCT_RX], 0);
	assert_int_equal(t1[GK_WK_ACCT_HANDED_IN], RING);
	assert_int_equal(t1[GK_WK_ACCT_TX], RING);
	assert_int_equal(t1[GK_WK_ACCT_DROPPED], 0);
	assert_int_equal(gk_mem_port_nr_captured(port[1][1]), RING);

	for (a = 0; a < NR; a++) {
		gk_worker_fini(&w[a]);
		port[a][0]->ops->close(port[a][0]);
		port[a][1]->ops->close(port[a][1]);
		assert_int_equal(gk_mem_pool_nr_free(pool[a]), 128);
		gk_mem_pool_destroy(pool[a]);
		gk_napt_free(napt[a]);
	}
	gk_handoff_free(ho);
	gk_map_table_free(map);
	gk_tables_free(tb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_napt_handoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
