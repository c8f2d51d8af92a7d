// SPDX-License-Identifier: BSD-3-Clause
/*
 * Packet accounting of the WireGuard hand-off between two workers (#13
 * item 2, docs/accounting.md): worker 0 receives data for keypairs worker
 * 1 owns. Each frame is handed_off (copied into the owner's ring) or, the
 * ring full or the frame too big for a slot, a worker drop "wg"; the owner
 * counts handed_in what it takes. On main a refused frame moved only the
 * stage's own counter and vanished from the worker's terms.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backend_mem.h"
#include "spsc.h"
#include "wg_data.h"
#include "wg_peers.h"
#include "worker.h"
#include "worker_wg.h"

#define NR	2
#define SLOTS	4	/* per ring: fills after this many */
#define SENT	7	/* 4 fit, 2 find it full, 1 is too big */

static uint8_t frames[SENT][GK_WG_HANDOFF_FRAME + 64];
static struct gk_pkt pk[SENT];

/* A receiver index worker `to` owns (the hand-off's own rule). */
static uint32_t index_of(unsigned to)
{
	uint32_t i;

	for (i = 1; gk_wg_index_hash(i) % NR != to; i++)
		;
	return i;
}

static void mk(struct gk_pkt *p, uint8_t *b, uint32_t len, uint32_t idx)
{
	memset(p, 0, sizeof(*p));
	memset(b, 0xab, len);
	p->data = b;
	p->len = len;
	p->meta.magic = GK_META_MAGIC;
	p->meta.class = GK_CLASS_WG_DATA;
	p->meta.l3_off = 14;
	p->meta.l4_off = 14 + 20;
	/* type 4, then the receiver index, little endian (whitepaper 5.4.6) */
	b[34 + 8] = 4;
	b[34 + 8 + 4] = (uint8_t)idx;
	b[34 + 8 + 5] = (uint8_t)(idx >> 8);
	b[34 + 8 + 6] = (uint8_t)(idx >> 16);
	b[34 + 8 + 7] = (uint8_t)(idx >> 24);
}

static void test_wg_handoff(void **state)
{
	static struct gk_worker w[NR];
	static struct gk_wg_ctx ctx;
	static struct gk_wg_peers peers;
	struct gk_spsc *rings[NR * NR] = { NULL };
	struct gk_wg_wake *wake;
	struct gk_pkt *in[SENT], *stage[SENT], *got[SENT];
	struct gk_mem_pool *pool = gk_mem_pool_create(64, 4096);
	struct gk_port *port;
	uint32_t idx = index_of(1);
	unsigned a, b, i;
	uint16_t n, k;

	(void)state;
	assert_non_null(pool);
	port = gk_mem_port_create(pool, 0, (uint8_t[6]){ 2 }, NULL);
	assert_non_null(port);
	wake = aligned_alloc(64, NR * sizeof(*wake));
	assert_non_null(wake);
	memset(wake, 0, NR * sizeof(*wake));
	for (a = 0; a < NR; a++)
		for (b = 0; b < NR; b++)
			if (a != b) {
				rings[gk_wg_ring_idx(a, b, NR)] = gk_spsc_create(
					sizeof(struct gk_wg_handoff), SLOTS);
				assert_non_null(rings[gk_wg_ring_idx(a, b, NR)]);
			}
	for (a = 0; a < NR; a++) {
		memset(&w[a], 0, sizeof(w[a]));
		w[a].cfg.id = a;
		w[a].cfg.wg_rings = rings;
		w[a].cfg.wg_wake = wake;
		w[a].cfg.wg_nr_workers = NR;
		w[a].wg_handin = true;
		wake[a].efd = -1;
	}
	/* worker 0: a snapshot, a context; no frame of its own to decrypt */
	w[0].wg = &ctx;
	w[0].wgp = &peers;
	ctx.stats = &w[0].stats;

	for (i = 0; i < SENT; i++) {
		mk(&pk[i], frames[i], i == SENT - 1 ? GK_WG_HANDOFF_FRAME + 1 :
		   128 + i, idx);
		in[i] = &pk[i];
	}
	n = gk_worker_wg_rx(&w[0], stage, 0, in, SENT);
	assert_int_equal(n, SENT);	/* all go on to be freed */
	assert_int_equal(w[0].stats.acct[GK_WK_ACCT_HANDED_OFF], SLOTS);
	assert_int_equal(w[0].stats.drops[GK_WK_DROP_WG], SENT - SLOTS);
	assert_int_equal(w[0].wg_handoff_drops, SENT - SLOTS);
	for (i = 0; i < SENT; i++)
		assert_int_equal(pk[i].verdict, GK_V_DROP);

	/* worker 1 takes them in, copies in its pool's buffers */
	k = gk_worker_wg_handin(&w[1], port, got, SENT);
	assert_int_equal(k, SLOTS);
	assert_int_equal(w[1].stats.acct[GK_WK_ACCT_HANDED_IN], SLOTS);
	for (i = 0; i < k; i++) {
		assert_int_equal(got[i]->len, 128 + i);
		assert_memory_equal(got[i]->data, frames[i], got[i]->len);
	}
	gk_port_free(port, got, k);
	assert_int_equal(gk_worker_wg_handin(&w[1], port, got, SENT), 0);
	assert_int_equal(w[1].stats.acct[GK_WK_ACCT_HANDED_IN], SLOTS);

	port->ops->close(port);
	assert_int_equal(gk_mem_pool_nr_free(pool), 64);
	gk_mem_pool_destroy(pool);
	for (i = 0; i < NR * NR; i++)
		if (rings[i])
			gk_spsc_destroy(rings[i]);
	free(wake);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wg_handoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
