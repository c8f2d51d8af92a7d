// SPDX-License-Identifier: BSD-3-Clause
/*
 * NAPT integration plumbing: the worker handoff rings (handoff.h), the
 * control mailbox (mbox.h) and the outbound owner hash (worker.h).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "handoff.h"
#include "mbox.h"
#include "pkt.h"
#include "worker.h"

static uint8_t frame[GK_HANDOFF_DATA + 16];

static void mkpkt(struct gk_pkt *p, uint32_t len, uint8_t fill)
{
	memset(p, 0, sizeof(*p));
	memset(frame, fill, sizeof(frame));
	p->data = frame;
	p->len = len;
	p->in_port = 3;
	p->meta.magic = GK_META_MAGIC;
	p->meta.class = GK_CLASS_MAPE_CE;
	p->meta.l3_off = 14;
}

static void test_handoff_roundtrip(void **state)
{
	struct gk_handoff *h = gk_handoff_create(3, 4);
	struct gk_handoff_pkt out[8];
	struct gk_pkt p;
	unsigned i;

	(void)state;
	assert_non_null(h);
	assert_int_equal(gk_handoff_workers(h), 3);
	mkpkt(&p, 100, 0xab);
	frame[99] = 0x5a;
	assert_true(gk_handoff_push(h, 0, 2, &p, GK_HANDOFF_IN));
	/* Only the (0, 2) ring holds it. */
	assert_int_equal(gk_handoff_pop(h, 1, 2, out, 8), 0);
	assert_int_equal(gk_handoff_pop(h, 0, 1, out, 8), 0);
	assert_int_equal(gk_handoff_pop(h, 0, 2, out, 8), 1);
	assert_int_equal(out[0].len, 100);
	assert_int_equal(out[0].in_port, 3);
	assert_int_equal(out[0].stage, GK_HANDOFF_IN);
	assert_int_equal(out[0].meta.class, GK_CLASS_MAPE_CE);
	assert_int_equal(out[0].meta.l3_off, 14);
	assert_int_equal(out[0].data[0], 0xab);
	assert_int_equal(out[0].data[99], 0x5a);
	assert_int_equal(gk_handoff_pop(h, 0, 2, out, 8), 0);

	/* Full ring, self, out of range, too big: refused. */
	for (i = 0; i < 4; i++)
		assert_true(gk_handoff_push(h, 1, 0, &p, GK_HANDOFF_OUT));
	assert_false(gk_handoff_push(h, 1, 0, &p, GK_HANDOFF_OUT));
	assert_int_equal(gk_handoff_pop(h, 1, 0, out, 8), 4);
	assert_false(gk_handoff_push(h, 1, 1, &p, GK_HANDOFF_OUT));
	assert_false(gk_handoff_push(h, 1, 3, &p, GK_HANDOFF_OUT));
	mkpkt(&p, GK_HANDOFF_DATA + 1, 0);
	assert_false(gk_handoff_push(h, 0, 1, &p, GK_HANDOFF_OUT));
	mkpkt(&p, GK_HANDOFF_DATA, 0);
	assert_true(gk_handoff_push(h, 0, 1, &p, GK_HANDOFF_OUT));
	gk_handoff_free(h);
	assert_null(gk_handoff_create(0, 4));
}

/* Static mappings pin their LAN endpoint to the public port's owner. */
static void test_handoff_static(void **state)
{
	struct gk_handoff *h = gk_handoff_create(2, 4);
	unsigned i;

	(void)state;
	assert_non_null(h);
	assert_int_equal(gk_handoff_static_owner(h, 6, 0xc6120002, 8080), -1);
	assert_int_equal(gk_handoff_static_set(h, 6, 0xc6120002, 8080, 1), 0);
	assert_int_equal(gk_handoff_static_owner(h, 6, 0xc6120002, 8080), 1);
	/* Other proto, address or port: no pin. */
	assert_int_equal(gk_handoff_static_owner(h, 17, 0xc6120002, 8080), -1);
	assert_int_equal(gk_handoff_static_owner(h, 6, 0xc6120003, 8080), -1);
	assert_int_equal(gk_handoff_static_owner(h, 6, 0xc6120002, 8081), -1);
	/* Many entries (probe chains), then delete leaves the others. */
	for (i = 0; i < 500; i++)
		assert_int_equal(gk_handoff_static_set(h, 17, 0xc6120000 + i,
						       (uint16_t)(1000 + i), i & 1), 0);
	assert_int_equal(gk_handoff_static_del(h, 6, 0xc6120002, 8080), 0);
	assert_int_equal(gk_handoff_static_del(h, 6, 0xc6120002, 8080), -ENOENT);
	assert_int_equal(gk_handoff_static_owner(h, 6, 0xc6120002, 8080), -1);
	for (i = 0; i < 500; i++)
		assert_int_equal(gk_handoff_static_owner(h, 17, 0xc6120000 + i,
							 (uint16_t)(1000 + i)),
				 (int)(i & 1));
	assert_int_equal(gk_handoff_static_set(h, 6, 1, 1, 200), -EINVAL);
	gk_handoff_free(h);
}

/* ---- mailbox ---- */

struct poller {
	struct gk_mbox *m;
	_Atomic int stop;
	pthread_t self;
};

static void *poll_main(void *arg)
{
	struct poller *pl = arg;

	while (!atomic_load(&pl->stop))
		gk_mbox_poll(pl->m, pl);
	return NULL;
}

struct req {
	int in, out;
	pthread_t ran_on;
	void *ctx;
};

static void run(void *arg, void *ctx)
{
	struct req *r = arg;

	r->out = r->in * 2;
	r->ran_on = pthread_self();
	r->ctx = ctx;
}

static void test_mbox(void **state)
{
	struct gk_mbox m = { 0 };
	struct poller pl = { .m = &m };
	struct req r = { .in = 21 };
	pthread_t th;
	int i;

	(void)state;
	/* Nobody polls: times out, stays posted, blocks the next call. */
	assert_int_equal(gk_mbox_call(&m, run, &r, 20), -ETIMEDOUT);
	assert_false(gk_mbox_idle(&m));
	assert_int_equal(gk_mbox_call(&m, run, &r, 20), -EBUSY);
	assert_int_equal(r.out, 0);
	gk_mbox_poll(&m, &pl);		/* the late answer */
	assert_int_equal(r.out, 42);
	assert_true(gk_mbox_idle(&m));
	gk_mbox_poll(&m, &pl);		/* nothing pending: no rerun */

	assert_int_equal(pthread_create(&th, NULL, poll_main, &pl), 0);
	for (i = 0; i < 100; i++) {
		r.in = i;
		r.out = -1;
		assert_int_equal(gk_mbox_call(&m, run, &r, 5000), 0);
		assert_int_equal(r.out, 2 * i);
		assert_true(pthread_equal(r.ran_on, th));
		assert_ptr_equal(r.ctx, &pl);
	}
	atomic_store(&pl.stop, 1);
	pthread_join(th, NULL);
}

/* ---- outbound owner ---- */

static void mk_udp(struct gk_pkt *p, uint8_t *buf, uint8_t src_last,
		   uint16_t sport, uint8_t proto)
{
	memset(p, 0, sizeof(*p));
	memset(buf, 0, 64);
	p->data = buf;
	p->len = 14 + 20 + 8;
	p->meta.l3_off = 14;
	p->meta.l4_off = 34;
	p->meta.flags = GK_META_F_IPV4 | GK_META_F_L4;
	p->meta.l4_proto = proto;
	buf[14] = 0x45;
	buf[14 + 9] = proto;
	buf[14 + 12] = 198;
	buf[14 + 13] = 18;
	buf[14 + 15] = src_last;
	buf[34] = (uint8_t)(sport >> 8);
	buf[35] = (uint8_t)sport;
}

static void test_out_owner(void **state)
{
	unsigned cnt[4] = { 0 }, w, k;
	uint8_t buf[64], buf2[64];
	struct gk_pkt p, q;

	(void)state;
	for (k = 0; k < 1000; k++) {
		mk_udp(&p, buf, 2, (uint16_t)(10000 + k), 17);
		w = gk_worker_nat_out_owner(&p, 4);
		assert_true(w < 4);
		cnt[w]++;
		/* Same flow, other destination/dst port: same owner. */
		mk_udp(&q, buf2, 2, (uint16_t)(10000 + k), 17);
		buf2[14 + 16] = 203;
		buf2[37] = 53;
		assert_int_equal(gk_worker_nat_out_owner(&q, 4), w);
		assert_int_equal(gk_worker_nat_out_owner(&p, 1), 0);
	}
	/* Every worker gets flows (a uniform hash: ~250 each). */
	for (w = 0; w < 4; w++)
		assert_true(cnt[w] > 150);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handoff_roundtrip),
		cmocka_unit_test(test_handoff_static),
		cmocka_unit_test(test_mbox),
		cmocka_unit_test(test_out_owner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
