/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard's per-peer timers (whitepaper §6, drivers/net/wireguard/
 * timers.c) as a pure state machine: the caller reports events with the
 * current monotonic time, calls gk_wg_timers_tick() at or after
 * gk_wg_timers_next(), and carries out the actions returned. Nothing here
 * reads a clock, so tests drive it with an injected one. Times are ns and
 * must be > 0. One caller thread per struct.
 */
#ifndef GK_WG_TIMERS_H
#define GK_WG_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

#define GK_WG_NS(s)			((uint64_t)(s) * 1000000000ull)
#define GK_WG_REKEY_AFTER_MESSAGES	(1ull << 60)
/* Whitepaper §6.1: 2^64 - 2^13 - 1. */
#define GK_WG_REJECT_AFTER_MESSAGES	(UINT64_MAX - 8192)
#define GK_WG_REKEY_AFTER_TIME		GK_WG_NS(120)
#define GK_WG_REJECT_AFTER_TIME		GK_WG_NS(180)
#define GK_WG_REKEY_ATTEMPT_TIME	GK_WG_NS(90)
#define GK_WG_REKEY_TIMEOUT		GK_WG_NS(5)
#define GK_WG_KEEPALIVE_TIMEOUT		GK_WG_NS(10)
#define GK_WG_ZERO_KEYS_AFTER		(3 * GK_WG_REJECT_AFTER_TIME)	/* 540 s */
#define GK_WG_REKEY_JITTER_MAX		(1000000000ull / 3)
#define GK_WG_MAX_TIMER_HANDSHAKES	(GK_WG_REKEY_ATTEMPT_TIME / GK_WG_REKEY_TIMEOUT)

enum gk_wg_timer {
	GK_WG_TIMER_RETRANSMIT_HANDSHAKE,
	GK_WG_TIMER_SEND_KEEPALIVE,
	GK_WG_TIMER_NEW_HANDSHAKE,
	GK_WG_TIMER_ZERO_KEYS,
	GK_WG_TIMER_PERSISTENT_KEEPALIVE,
	GK_WG_TIMER_COUNT,
};

/* What the caller reports; names follow the kernel's wg_timers_*(). */
enum gk_wg_timer_event {
	GK_WG_EV_DATA_SENT,		/* authenticated data packet sent */
	GK_WG_EV_DATA_RECEIVED,		/* authenticated data packet received */
	GK_WG_EV_ANY_AUTH_SENT,		/* keepalive, data or handshake sent */
	GK_WG_EV_ANY_AUTH_RECEIVED,	/* keepalive, data or handshake received */
	GK_WG_EV_AUTH_TRAVERSAL,	/* before sending / after receiving any */
	GK_WG_EV_HANDSHAKE_INITIATED,	/* initiation sent */
	GK_WG_EV_HANDSHAKE_COMPLETE,	/* response consumed or key confirmed */
	GK_WG_EV_SESSION_DERIVED,	/* new transport keys derived */
};

/* Actions, as a bit set. */
enum {
	GK_WG_ACT_SEND_INITIATION = 1u << 0,	/* create+send one, then report it */
	GK_WG_ACT_SEND_KEEPALIVE = 1u << 1,
	GK_WG_ACT_ZERO_KEYS = 1u << 2,		/* wipe handshake and keypairs */
	GK_WG_ACT_PURGE_STAGED = 1u << 3,	/* gave up: drop queued packets */
	GK_WG_ACT_CLEAR_ENDPOINT_SRC = 1u << 4,	/* re-pick our source address */
};

struct gk_wg_timers {
	uint64_t deadline[GK_WG_TIMER_COUNT];	/* 0: not armed */
	unsigned int handshake_attempts;
	bool need_another_keepalive;
	bool sent_lastminute_handshake;
	uint16_t persistent_keepalive_s;	/* 0: off */
	uint64_t last_sent_handshake_ns;	/* 0: never */
	/* Returns [0, GK_WG_REKEY_JITTER_MAX); NULL: OpenSSL random. */
	uint64_t (*jitter)(void *arg);
	void *jitter_arg;
};

void gk_wg_timers_init(struct gk_wg_timers *t, uint16_t persistent_keepalive_s,
		       uint64_t (*jitter)(void *arg), void *jitter_arg);

void gk_wg_timers_event(struct gk_wg_timers *t, enum gk_wg_timer_event ev,
			uint64_t now_ns);

/* Fires every expired timer; returns GK_WG_ACT_* bits. */
unsigned int gk_wg_timers_tick(struct gk_wg_timers *t, uint64_t now_ns);

/* Earliest armed deadline, UINT64_MAX when none. */
uint64_t gk_wg_timers_next(const struct gk_wg_timers *t);

/*
 * May a new initiation go out now? Initiations are sent at most once per
 * REKEY_TIMEOUT. A fresh (non-retry) attempt restarts the attempt count.
 */
bool gk_wg_timers_initiation_allowed(struct gk_wg_timers *t, bool is_retry,
				     uint64_t now_ns);

/* Send side keep-key-fresh: rekey by message count or by age (initiator). */
bool gk_wg_timers_rekey_on_send(uint64_t birth_ns, uint64_t send_counter,
				bool initiator, uint64_t now_ns);

/* Receive side: one last-minute rekey before the key is rejected. */
bool gk_wg_timers_rekey_on_receive(struct gk_wg_timers *t, uint64_t birth_ns,
				   bool initiator, uint64_t now_ns);

/* A keypair older than REJECT_AFTER_TIME or used too often must not be used. */
bool gk_wg_timers_keypair_expired(uint64_t birth_ns, uint64_t counter,
				  uint64_t now_ns);

#endif /* GK_WG_TIMERS_H */
