/* SPDX-License-Identifier: BSD-3-Clause */
/* SPSC neighbor-request ring and the RCU-published table bundle. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "nreq.h"
#include "tables.h"
#include "wkstats.h"

static void test_ring_basic(void **state)
{
	struct gk_nreq_ring *r;
	struct gk_nreq q = { .family = AF_INET }, out[8];
	unsigned int i, round;

	assert_null(gk_nreq_ring_create(3));
	assert_null(gk_nreq_ring_create(0));
	r = gk_nreq_ring_create(4);
	assert_non_null(r);
	assert_int_equal(gk_nreq_pop(r, out, 8), 0);
	/* Several rounds so the indices wrap past the ring size. */
	for (round = 0; round < 5; round++) {
		for (i = 0; i < 4; i++) {
			q.ifindex = round * 10 + i;
			assert_true(gk_nreq_push(r, &q));
		}
		assert_false(gk_nreq_push(r, &q));
		assert_int_equal(gk_nreq_pop(r, out, 3), 3);
		assert_int_equal(out[0].ifindex, round * 10);
		assert_int_equal(out[2].ifindex, round * 10 + 2);
		assert_int_equal(gk_nreq_pop(r, out, 8), 1);
		assert_int_equal(out[0].ifindex, round * 10 + 3);
	}
	gk_nreq_ring_destroy(r);
}

#define STRESS_N 200000u

static void *producer(void *arg)
{
	struct gk_nreq_ring *r = arg;
	struct gk_nreq q = { .family = AF_INET6 };
	uint32_t i;

	for (i = 0; i < STRESS_N;) {
		q.ifindex = i;
		memcpy(q.addr, &i, 4);
		memcpy(q.addr + 12, &i, 4);
		if (gk_nreq_push(r, &q))
			i++;
		else
			sched_yield();
	}
	return NULL;
}

/* Order and contents survive a concurrent producer (no timing assumed). */
static void test_ring_threads(void **state)
{
	struct gk_nreq_ring *r = gk_nreq_ring_create(16);
	struct gk_nreq out[7];
	pthread_t th;
	uint32_t next = 0, w;
	unsigned int n, i;

	assert_non_null(r);
	assert_int_equal(pthread_create(&th, NULL, producer, r), 0);
	while (next < STRESS_N) {
		n = gk_nreq_pop(r, out, 7);
		if (!n)
			sched_yield();
		for (i = 0; i < n; i++, next++) {
			assert_int_equal(out[i].ifindex, next);
			memcpy(&w, out[i].addr + 12, 4);
			assert_int_equal(w, next);
		}
	}
	pthread_join(th, NULL);
	assert_int_equal(gk_nreq_pop(r, out, 7), 0);
	gk_nreq_ring_destroy(r);
}

static struct gk_fib *tiny_fib(void)
{
	struct gk_fib_input in = { 0 };
	char err[64];

	return gk_fib_build(&in, err, sizeof(err));
}

static void test_tables_publish(void **state)
{
	struct gk_tables *slot = NULL, *t1, *t2, *seen;

	rcu_register_thread();
	t1 = gk_tables_new(tiny_fib(), 1);
	assert_non_null(t1);
	gk_tables_publish(&slot, t1);
	rcu_read_lock();
	seen = rcu_dereference(slot);
	assert_ptr_equal(seen, t1);
	assert_int_equal(seen->generation, 1);
	assert_int_equal(gk_fib_nr_routes(seen->fib, AF_INET), 0);
	rcu_read_unlock();

	t2 = gk_tables_new(tiny_fib(), 2);
	gk_tables_publish(&slot, t2);
	assert_ptr_equal(rcu_dereference(slot), t2);
	rcu_quiescent_state();
	/* Leaves the old bundle to call_rcu; run under ASan to see it freed. */
	gk_tables_publish(&slot, NULL);
	rcu_thread_offline();
	rcu_barrier();
	rcu_thread_online();
	assert_null(slot);
	rcu_unregister_thread();
}

static void test_drop_names(void **state)
{
	int i;

	for (i = 0; i < GK_WK_DROP_MAX; i++)
		assert_non_null(gk_wk_drop_names[i]);
	assert_string_equal(gk_wk_drop_names[GK_WK_DROP_NO_ROUTE], "no_route");
	assert_string_equal(gk_wk_drop_names[GK_WK_DROP_TX_FULL], "tx_full");
}

/* The eventfd's counter (nonblocking): how many wake-ups were written. */
static uint64_t efd_count(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* Armed: the first request writes once and disarms; disarmed: nothing. */
static void test_wake(void **state)
{
	struct gk_nreq_wake w = { .efd = eventfd(0, EFD_NONBLOCK) };

	(void)state;
	assert_true(w.efd >= 0);
	gk_nreq_wake(NULL);		/* no wake configured: a no-op */
	gk_nreq_wake(&w);
	assert_int_equal(efd_count(w.efd), 0);
	gk_nreq_wake_arm(&w);
	gk_nreq_wake(&w);
	gk_nreq_wake(&w);
	gk_nreq_wake(&w);
	assert_int_equal(efd_count(w.efd), 1);
	assert_false(atomic_load(&w.armed));
	gk_nreq_wake_arm(&w);
	gk_nreq_wake(&w);
	assert_int_equal(efd_count(w.efd), 1);
	assert_int_equal(atomic_load(&w.failed), 0);
	/* a closed fd: the write fails, counted */
	close(w.efd);
	w.efd = -1;
	gk_nreq_wake_arm(&w);
	gk_nreq_wake(&w);
	assert_int_equal(atomic_load(&w.failed), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_basic),
		cmocka_unit_test(test_ring_threads),
		cmocka_unit_test(test_tables_publish),
		cmocka_unit_test(test_drop_names),
		cmocka_unit_test(test_wake),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
