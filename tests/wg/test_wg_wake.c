/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The hand-off wake-up (worker_wg.h struct gk_wg_wake) between two workers
 * sharing real SPSC rings and eventfds: an owner that publishes asleep
 * with empty rings gets exactly one eventfd write from a sender, none when
 * awake, and refuses to sleep while a ring holds frames. Then a sender
 * thread and an owner that sleeps with no timeout at all: a lost wake-up
 * hangs the owner and meson's timeout fails the test. The oracle is the
 * kernel's eventfd counter, read with poll(2)/read(2), not our code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <cmocka.h>

#include "spsc.h"
#include "worker.h"
#include "worker_wg.h"

#define NR	2
#define FRAMES	200000u

struct rig {
	struct gk_spsc *rings[NR * NR];
	struct gk_wg_wake *wake;
	struct gk_worker *w[NR];
};

static int setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));
	unsigned int a, b;

	assert_non_null(r);
	for (a = 0; a < NR; a++)
		for (b = 0; b < NR; b++)
			if (a != b) {
				r->rings[gk_wg_ring_idx(a, b, NR)] =
					gk_spsc_create(sizeof(uint32_t), 64);
				assert_non_null(r->rings[gk_wg_ring_idx(a, b, NR)]);
			}
	r->wake = aligned_alloc(64, NR * sizeof(*r->wake));
	assert_non_null(r->wake);
	memset(r->wake, 0, NR * sizeof(*r->wake));
	for (a = 0; a < NR; a++) {
		r->wake[a].efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		assert_true(r->wake[a].efd >= 0);
		r->w[a] = aligned_alloc(64, (sizeof(struct gk_worker) + 63) & ~63ul);
		assert_non_null(r->w[a]);
		memset(r->w[a], 0, sizeof(struct gk_worker));
		r->w[a]->cfg.id = a;
		r->w[a]->cfg.wg_rings = r->rings;
		r->w[a]->cfg.wg_wake = r->wake;
		r->w[a]->cfg.wg_nr_workers = NR;
		r->w[a]->wg_handin = true;
	}
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;
	unsigned int i;

	for (i = 0; i < NR * NR; i++)
		if (r->rings[i])
			gk_spsc_destroy(r->rings[i]);
	for (i = 0; i < NR; i++) {
		close(r->wake[i].efd);
		free(r->w[i]);
	}
	free(r->wake);
	free(r);
	return 0;
}

/* The eventfd's counter, reset; 0 when it was not readable. */
static uint64_t efd_take(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, 0) != 1)
		return 0;
	assert_int_equal(read(fd, &v, sizeof(v)), sizeof(v));
	return v;
}

static void push(struct gk_spsc *q, uint32_t v)
{
	uint32_t *s = gk_spsc_reserve(q);

	assert_non_null(s);
	*s = v;
	gk_spsc_commit(q);
}

static void drain(struct gk_spsc *q)
{
	gk_spsc_release(q, gk_spsc_avail(q));
}

static void test_protocol(void **state)
{
	struct rig *r = *state;
	struct gk_worker *owner = r->w[1];
	struct gk_wg_wake *k = &r->wake[1];
	struct gk_spsc *q = r->rings[gk_wg_ring_idx(0, 1, NR)];

	/* Awake owner: a sender writes nothing. */
	push(q, 1);
	atomic_thread_fence(memory_order_seq_cst);
	assert_int_equal(gk_wg_wake_poke(k), 0);
	assert_int_equal(efd_take(k->efd), 0);

	/* Frames wait: the owner must not sleep, and says so. */
	assert_false(gk_worker_wg_sleep(owner));
	assert_int_equal(atomic_load(&k->asleep), 0);
	assert_int_equal(gk_wg_wake_poke(k), 0);
	drain(q);

	/* Empty rings: it sleeps; the first sender wakes it, once. */
	assert_true(gk_worker_wg_sleep(owner));
	assert_int_equal(atomic_load(&k->asleep), 1);
	assert_int_equal(efd_take(k->efd), 0);
	push(q, 2);
	atomic_thread_fence(memory_order_seq_cst);
	assert_int_equal(gk_wg_wake_poke(k), 1);
	assert_int_equal(gk_wg_wake_poke(k), 0);
	assert_int_equal(efd_take(k->efd), 1);
	/* The other worker's flag and eventfd are untouched. */
	assert_int_equal(atomic_load(&r->wake[0].asleep), 0);
	assert_int_equal(efd_take(r->wake[0].efd), 0);

	/* Woken: flag cleared, later senders do not write. */
	gk_worker_wg_awake(owner);
	assert_true(gk_worker_wg_handin_pending(owner));
	drain(q);
	assert_int_equal(gk_wg_wake_poke(k), 0);
	assert_int_equal(efd_take(k->efd), 0);

	/* Asleep again, woken by a timeout instead: awake() stops writes. */
	assert_true(gk_worker_wg_sleep(owner));
	gk_worker_wg_awake(owner);
	assert_int_equal(gk_wg_wake_poke(k), 0);
	assert_int_equal(efd_take(k->efd), 0);
}

struct sender_arg {
	struct rig *r;
	uint64_t sent_wakes;
};

static void *sender(void *arg)
{
	struct sender_arg *a = arg;
	struct gk_spsc *q = a->r->rings[gk_wg_ring_idx(0, 1, NR)];
	uint32_t i;

	for (i = 0; i < FRAMES; i++) {
		uint32_t *s;

		while (!(s = gk_spsc_reserve(q)))
			sched_yield();
		*s = i;
		gk_spsc_commit(q);
		/* now and then a burst of several frames, then one wake */
		if (i % 7 == 3)
			continue;
		atomic_thread_fence(memory_order_seq_cst);
		if (gk_wg_wake_poke(&a->r->wake[1]) > 0)
			a->sent_wakes++;
	}
	/* the last frame may sit in a "burst": wake for it too */
	atomic_thread_fence(memory_order_seq_cst);
	if (gk_wg_wake_poke(&a->r->wake[1]) > 0)
		a->sent_wakes++;
	return NULL;
}

/* No timeout on the owner's sleep: a lost wake-up hangs (meson fails it). */
static void test_no_lost_wakeup(void **state)
{
	struct rig *r = *state;
	struct gk_worker *owner = r->w[1];
	struct gk_spsc *q = r->rings[gk_wg_ring_idx(0, 1, NR)];
	struct sender_arg a = { .r = r };
	struct pollfd p = { .fd = r->wake[1].efd, .events = POLLIN };
	uint64_t tries = 0, sleeps = 0, counted = 0, v;
	uint32_t next = 0;
	pthread_t t;

	drain(q);
	efd_take(p.fd);
	assert_int_equal(pthread_create(&t, NULL, sender, &a), 0);
	while (next < FRAMES) {
		unsigned int n = gk_spsc_avail(q), i;

		for (i = 0; i < n; i++)
			assert_int_equal(*(const uint32_t *)gk_spsc_slot(q, i),
					 next++);
		gk_spsc_release(q, n);
		if (n || next == FRAMES)
			continue;
		tries++;
		if (!gk_worker_wg_sleep(owner))
			continue;
		sleeps++;
		assert_int_equal(poll(&p, 1, -1), 1);
		gk_worker_wg_awake(owner);
		v = efd_take(p.fd);
		assert_true(v >= 1);
		counted += v;
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	counted += efd_take(p.fd);
	/*
	 * The kernel counted every write the sender says it made; a write
	 * races an aborted sleep at most (stale, ends the next sleep early),
	 * so at most one write per attempt to sleep.
	 */
	assert_int_equal(counted, a.sent_wakes);
	assert_true(a.sent_wakes <= tries);
	print_message("tries %lu, sleeps %lu, wake-ups written %lu\n",
		      (unsigned long)tries, (unsigned long)sleeps,
		      (unsigned long)a.sent_wakes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_protocol, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_lost_wakeup, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
