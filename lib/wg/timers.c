// SPDX-License-Identifier: BSD-3-Clause
/* WireGuard timers as events -> deadlines -> actions (see timers.h). */
#include <string.h>

#include "crypto.h"
#include "timers.h"

static uint64_t random_jitter(void *arg)
{
	uint64_t r = 0;

	if (gk_wg_random(&r, sizeof(r)))
		return 0;
	return r % GK_WG_REKEY_JITTER_MAX;
}

static uint64_t jitter(struct gk_wg_timers *t)
{
	return t->jitter(t->jitter_arg) % GK_WG_REKEY_JITTER_MAX;
}

static bool pending(const struct gk_wg_timers *t, enum gk_wg_timer w)
{
	return t->deadline[w] != 0;
}

static void arm(struct gk_wg_timers *t, enum gk_wg_timer w, uint64_t at)
{
	t->deadline[w] = at;
}

static void disarm(struct gk_wg_timers *t, enum gk_wg_timer w)
{
	t->deadline[w] = 0;
}

/* Kernel wg_birthdate_has_expired(): born + age <= now. */
static bool expired(uint64_t born, uint64_t age, uint64_t now)
{
	return born + age <= now;
}

void gk_wg_timers_init(struct gk_wg_timers *t, uint16_t persistent_keepalive_s,
		       uint64_t (*jitter_fn)(void *arg), void *jitter_arg)
{
	memset(t, 0, sizeof(*t));
	t->persistent_keepalive_s = persistent_keepalive_s;
	t->jitter = jitter_fn ? jitter_fn : random_jitter;
	t->jitter_arg = jitter_arg;
}

void gk_wg_timers_event(struct gk_wg_timers *t, enum gk_wg_timer_event ev,
			uint64_t now)
{
	switch (ev) {
	case GK_WG_EV_DATA_SENT:
		/* No reply within 15 s: the session may be dead, rehandshake. */
		if (!pending(t, GK_WG_TIMER_NEW_HANDSHAKE))
			arm(t, GK_WG_TIMER_NEW_HANDSHAKE, now +
			    GK_WG_KEEPALIVE_TIMEOUT + GK_WG_REKEY_TIMEOUT + jitter(t));
		break;
	case GK_WG_EV_DATA_RECEIVED:
		/* Nothing to send back within 10 s: send a keepalive instead. */
		if (!pending(t, GK_WG_TIMER_SEND_KEEPALIVE))
			arm(t, GK_WG_TIMER_SEND_KEEPALIVE, now + GK_WG_KEEPALIVE_TIMEOUT);
		else
			t->need_another_keepalive = true;
		break;
	case GK_WG_EV_ANY_AUTH_SENT:
		disarm(t, GK_WG_TIMER_SEND_KEEPALIVE);
		break;
	case GK_WG_EV_ANY_AUTH_RECEIVED:
		disarm(t, GK_WG_TIMER_NEW_HANDSHAKE);
		break;
	case GK_WG_EV_AUTH_TRAVERSAL:
		if (t->persistent_keepalive_s)
			arm(t, GK_WG_TIMER_PERSISTENT_KEEPALIVE,
			    now + GK_WG_NS(t->persistent_keepalive_s));
		break;
	case GK_WG_EV_HANDSHAKE_INITIATED:
		t->last_sent_handshake_ns = now;
		arm(t, GK_WG_TIMER_RETRANSMIT_HANDSHAKE,
		    now + GK_WG_REKEY_TIMEOUT + jitter(t));
		break;
	case GK_WG_EV_HANDSHAKE_COMPLETE:
		disarm(t, GK_WG_TIMER_RETRANSMIT_HANDSHAKE);
		t->handshake_attempts = 0;
		t->sent_lastminute_handshake = false;
		break;
	case GK_WG_EV_SESSION_DERIVED:
		arm(t, GK_WG_TIMER_ZERO_KEYS, now + GK_WG_ZERO_KEYS_AFTER);
		break;
	}
}

bool gk_wg_timers_initiation_allowed(struct gk_wg_timers *t, bool is_retry,
				     uint64_t now)
{
	if (!is_retry)
		t->handshake_attempts = 0;
	return !t->last_sent_handshake_ns ||
	       expired(t->last_sent_handshake_ns, GK_WG_REKEY_TIMEOUT, now);
}

static unsigned int retransmit(struct gk_wg_timers *t, uint64_t now)
{
	if (t->handshake_attempts > GK_WG_MAX_TIMER_HANDSHAKES) {
		/* Tried for REKEY_ATTEMPT_TIME: stop, wipe residue later. */
		disarm(t, GK_WG_TIMER_SEND_KEEPALIVE);
		if (!pending(t, GK_WG_TIMER_ZERO_KEYS))
			arm(t, GK_WG_TIMER_ZERO_KEYS, now + GK_WG_ZERO_KEYS_AFTER);
		return GK_WG_ACT_PURGE_STAGED;
	}
	t->handshake_attempts++;
	if (!gk_wg_timers_initiation_allowed(t, true, now))
		return GK_WG_ACT_CLEAR_ENDPOINT_SRC;
	return GK_WG_ACT_CLEAR_ENDPOINT_SRC | GK_WG_ACT_SEND_INITIATION;
}

unsigned int gk_wg_timers_tick(struct gk_wg_timers *t, uint64_t now)
{
	unsigned int act = 0;
	int w;

	for (w = 0; w < GK_WG_TIMER_COUNT; w++) {
		if (!pending(t, w) || t->deadline[w] > now)
			continue;
		disarm(t, w);
		switch (w) {
		case GK_WG_TIMER_RETRANSMIT_HANDSHAKE:
			act |= retransmit(t, now);
			break;
		case GK_WG_TIMER_SEND_KEEPALIVE:
			act |= GK_WG_ACT_SEND_KEEPALIVE;
			if (t->need_another_keepalive) {
				t->need_another_keepalive = false;
				arm(t, GK_WG_TIMER_SEND_KEEPALIVE,
				    now + GK_WG_KEEPALIVE_TIMEOUT);
			}
			break;
		case GK_WG_TIMER_NEW_HANDSHAKE:
			act |= GK_WG_ACT_CLEAR_ENDPOINT_SRC;
			if (gk_wg_timers_initiation_allowed(t, false, now))
				act |= GK_WG_ACT_SEND_INITIATION;
			break;
		case GK_WG_TIMER_ZERO_KEYS:
			act |= GK_WG_ACT_ZERO_KEYS;
			break;
		case GK_WG_TIMER_PERSISTENT_KEEPALIVE:
			if (t->persistent_keepalive_s)
				act |= GK_WG_ACT_SEND_KEEPALIVE;
			break;
		}
	}
	return act;
}

uint64_t gk_wg_timers_next(const struct gk_wg_timers *t)
{
	uint64_t next = UINT64_MAX;
	int w;

	for (w = 0; w < GK_WG_TIMER_COUNT; w++)
		if (t->deadline[w] && t->deadline[w] < next)
			next = t->deadline[w];
	return next;
}

bool gk_wg_timers_rekey_on_send(uint64_t birth_ns, uint64_t send_counter,
				bool initiator, uint64_t now)
{
	return send_counter > GK_WG_REKEY_AFTER_MESSAGES ||
	       (initiator && expired(birth_ns, GK_WG_REKEY_AFTER_TIME, now));
}

bool gk_wg_timers_rekey_on_receive(struct gk_wg_timers *t, uint64_t birth_ns,
				   bool initiator, uint64_t now)
{
	if (!initiator || t->sent_lastminute_handshake ||
	    !expired(birth_ns, GK_WG_REJECT_AFTER_TIME - GK_WG_KEEPALIVE_TIMEOUT -
		     GK_WG_REKEY_TIMEOUT, now))
		return false;
	t->sent_lastminute_handshake = true;
	return true;
}

bool gk_wg_timers_keypair_expired(uint64_t birth_ns, uint64_t counter,
				  uint64_t now)
{
	return expired(birth_ns, GK_WG_REJECT_AFTER_TIME, now) ||
	       counter >= GK_WG_REJECT_AFTER_MESSAGES;
}
