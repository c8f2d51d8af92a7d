// SPDX-License-Identifier: BSD-3-Clause
/*
 * Timer state machine, table-driven with an injected clock: each step is
 * either an event at time t or a tick at time t with the actions expected,
 * following the kernel's timers.c semantics and the whitepaper §6 numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "timers.h"

#define MS 1000000ull
#define S (1000 * MS)
#define TICK (-1)

struct step {
	int ev;			/* enum gk_wg_timer_event, or TICK */
	uint64_t at;
	unsigned int want;	/* actions expected from a TICK */
};

struct seq {
	const char *what;
	uint16_t keepalive_s;
	struct step steps[24];
	int n;
};

static uint64_t fixed_jitter(void *arg)
{
	return *(uint64_t *)arg;
}

#define I GK_WG_ACT_SEND_INITIATION
#define K GK_WG_ACT_SEND_KEEPALIVE
#define Z GK_WG_ACT_ZERO_KEYS
#define P GK_WG_ACT_PURGE_STAGED
#define C GK_WG_ACT_CLEAR_ENDPOINT_SRC

/* Jitter fixed at 100 ms in all sequences. */
static const struct seq seqs[] = {
	{ "retransmit after REKEY_TIMEOUT + jitter", 0, {
		{ GK_WG_EV_HANDSHAKE_INITIATED, 1 * S, 0 },
		{ TICK, 6 * S, 0 },
		{ TICK, 6 * S + 100 * MS, I | C },
		{ GK_WG_EV_HANDSHAKE_INITIATED, 6 * S + 100 * MS, 0 },
		{ GK_WG_EV_HANDSHAKE_COMPLETE, 7 * S, 0 },
		{ TICK, 100 * S, 0 },
	}, 6 },
	{ "keepalive 10 s after data received, cancelled by sending", 0, {
		{ GK_WG_EV_DATA_RECEIVED, 1 * S, 0 },
		{ TICK, 11 * S - 1, 0 },
		{ TICK, 11 * S, K },
		{ TICK, 30 * S, 0 },
		{ GK_WG_EV_DATA_RECEIVED, 40 * S, 0 },
		{ GK_WG_EV_ANY_AUTH_SENT, 45 * S, 0 },
		{ TICK, 60 * S, 0 },
	}, 7 },
	{ "second data while keepalive pending re-arms once", 0, {
		{ GK_WG_EV_DATA_RECEIVED, 1 * S, 0 },
		{ GK_WG_EV_DATA_RECEIVED, 2 * S, 0 },
		{ TICK, 11 * S, K },
		{ TICK, 21 * S, K },
		{ TICK, 31 * S, 0 },
	}, 5 },
	{ "new handshake 15 s + jitter after unanswered data", 0, {
		{ GK_WG_EV_DATA_SENT, 1 * S, 0 },
		{ GK_WG_EV_DATA_SENT, 5 * S, 0 },	/* does not push it back */
		{ TICK, 16 * S, 0 },
		{ TICK, 16 * S + 100 * MS, I | C },
	}, 4 },
	{ "any authenticated receive cancels the new-handshake timer", 0, {
		{ GK_WG_EV_DATA_SENT, 1 * S, 0 },
		{ GK_WG_EV_ANY_AUTH_RECEIVED, 3 * S, 0 },
		{ TICK, 20 * S, 0 },
	}, 3 },
	{ "keys zeroed 540 s after the last session", 0, {
		{ GK_WG_EV_SESSION_DERIVED, 1 * S, 0 },
		{ GK_WG_EV_SESSION_DERIVED, 100 * S, 0 },
		{ TICK, 541 * S, 0 },
		{ TICK, 640 * S - 1, 0 },
		{ TICK, 640 * S, Z },
		{ TICK, 2000 * S, 0 },
	}, 6 },
	{ "persistent keepalive after each traversal", 25, {
		{ GK_WG_EV_AUTH_TRAVERSAL, 1 * S, 0 },
		{ TICK, 25 * S, 0 },
		{ TICK, 26 * S, K },
		{ GK_WG_EV_AUTH_TRAVERSAL, 26 * S, 0 },
		{ GK_WG_EV_AUTH_TRAVERSAL, 40 * S, 0 },
		{ TICK, 51 * S, 0 },
		{ TICK, 65 * S, K },
	}, 7 },
	{ "no persistent keepalive when off", 0, {
		{ GK_WG_EV_AUTH_TRAVERSAL, 1 * S, 0 },
		{ TICK, 1000 * S, 0 },
	}, 2 },
	{ "one tick fires several timers", 0, {
		{ GK_WG_EV_DATA_RECEIVED, 1 * S, 0 },
		{ GK_WG_EV_DATA_SENT, 1 * S, 0 },
		{ GK_WG_EV_SESSION_DERIVED, 1 * S, 0 },
		{ TICK, 1000 * S, K | I | C | Z },
	}, 4 },
};

static void sequences(void **state)
{
	uint64_t jit = 100 * MS;
	struct gk_wg_timers t;
	size_t i;
	int j;

	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		const struct seq *s = &seqs[i];

		gk_wg_timers_init(&t, s->keepalive_s, fixed_jitter, &jit);
		for (j = 0; j < s->n; j++) {
			const struct step *st = &s->steps[j];
			unsigned int got;

			if (st->ev != TICK) {
				gk_wg_timers_event(&t, st->ev, st->at);
				continue;
			}
			got = gk_wg_timers_tick(&t, st->at);
			if (got != st->want)
				fail_msg("%s: step %d at %llu ms: actions %#x, want %#x",
					 s->what, j,
					 (unsigned long long)(st->at / MS), got, st->want);
		}
	}
}

/* REKEY_ATTEMPT_TIME: 18 retries after the first initiation, then give up. */
static void give_up_after_90s(void **state)
{
	uint64_t jit = 0, now = 1 * S, zero_at;
	struct gk_wg_timers t;
	unsigned int act;
	int sends = 0;

	gk_wg_timers_init(&t, 0, fixed_jitter, &jit);
	assert_true(gk_wg_timers_initiation_allowed(&t, false, now));
	gk_wg_timers_event(&t, GK_WG_EV_HANDSHAKE_INITIATED, now);
	sends++;
	for (;;) {
		now = gk_wg_timers_next(&t);
		assert_true(now != UINT64_MAX);
		act = gk_wg_timers_tick(&t, now);
		if (!(act & GK_WG_ACT_SEND_INITIATION))
			break;
		gk_wg_timers_event(&t, GK_WG_EV_HANDSHAKE_INITIATED, now);
		sends++;
	}
	assert_int_equal(act, GK_WG_ACT_PURGE_STAGED);
	assert_int_equal(sends, 1 + GK_WG_MAX_TIMER_HANDSHAKES + 1);
	/* First initiation at 1 s, 19 retransmits 5 s apart. */
	assert_int_equal(now, 1 * S + (uint64_t)(GK_WG_MAX_TIMER_HANDSHAKES + 2) * 5 * S);
	/* Residue is wiped 540 s later. */
	zero_at = gk_wg_timers_next(&t);
	assert_int_equal(zero_at, now + 540 * S);
	assert_int_equal(gk_wg_timers_tick(&t, zero_at), GK_WG_ACT_ZERO_KEYS);
	assert_int_equal(gk_wg_timers_next(&t), UINT64_MAX);
}

static void initiation_rate_limit(void **state)
{
	uint64_t jit = 0;
	struct gk_wg_timers t;

	gk_wg_timers_init(&t, 0, fixed_jitter, &jit);
	assert_true(gk_wg_timers_initiation_allowed(&t, false, 10 * S));
	gk_wg_timers_event(&t, GK_WG_EV_HANDSHAKE_INITIATED, 10 * S);
	assert_false(gk_wg_timers_initiation_allowed(&t, false, 12 * S));
	assert_false(gk_wg_timers_initiation_allowed(&t, false, 15 * S - 1));
	assert_true(gk_wg_timers_initiation_allowed(&t, false, 15 * S));
	/* A new-handshake timer firing inside the window only clears the src. */
	gk_wg_timers_event(&t, GK_WG_EV_HANDSHAKE_INITIATED, 20 * S);
	gk_wg_timers_event(&t, GK_WG_EV_HANDSHAKE_COMPLETE, 20 * S);
	t.deadline[GK_WG_TIMER_NEW_HANDSHAKE] = 21 * S;
	assert_int_equal(gk_wg_timers_tick(&t, 21 * S), GK_WG_ACT_CLEAR_ENDPOINT_SRC);
}

static void key_freshness(void **state)
{
	struct gk_wg_timers t;
	uint64_t born = 1000 * S;

	gk_wg_timers_init(&t, 0, NULL, NULL);
	/* Send side: age (initiator only) or message count. */
	assert_false(gk_wg_timers_rekey_on_send(born, 0, true, born + 120 * S - 1));
	assert_true(gk_wg_timers_rekey_on_send(born, 0, true, born + 120 * S));
	assert_false(gk_wg_timers_rekey_on_send(born, 0, false, born + 170 * S));
	assert_false(gk_wg_timers_rekey_on_send(born, 1ull << 60, false, born));
	assert_true(gk_wg_timers_rekey_on_send(born, (1ull << 60) + 1, false, born));
	/* Receive side: once, at 180 - 10 - 5 = 165 s, initiator only. */
	assert_false(gk_wg_timers_rekey_on_receive(&t, born, true, born + 165 * S - 1));
	assert_false(gk_wg_timers_rekey_on_receive(&t, born, false, born + 170 * S));
	assert_true(gk_wg_timers_rekey_on_receive(&t, born, true, born + 165 * S));
	assert_false(gk_wg_timers_rekey_on_receive(&t, born, true, born + 166 * S));
	gk_wg_timers_event(&t, GK_WG_EV_HANDSHAKE_COMPLETE, born + 167 * S);
	assert_true(gk_wg_timers_rekey_on_receive(&t, born, true, born + 168 * S));
	/* Rejection: 180 s or 2^64 - 2^13 - 1 messages. */
	assert_false(gk_wg_timers_keypair_expired(born, 0, born + 180 * S - 1));
	assert_true(gk_wg_timers_keypair_expired(born, 0, born + 180 * S));
	assert_false(gk_wg_timers_keypair_expired(born, 0xffffffffffffdffeull, born));
	assert_true(gk_wg_timers_keypair_expired(born, 0xffffffffffffdfffull, born));
	/* Default jitter stays in [0, 333 ms). */
	gk_wg_timers_event(&t, GK_WG_EV_HANDSHAKE_INITIATED, S);
	assert_true(t.deadline[GK_WG_TIMER_RETRANSMIT_HANDSHAKE] >= 6 * S);
	assert_true(t.deadline[GK_WG_TIMER_RETRANSMIT_HANDSHAKE] < 6 * S + S / 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sequences),
		cmocka_unit_test(give_up_after_90s),
		cmocka_unit_test(initiation_rate_limit),
		cmocka_unit_test(key_freshness),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
