/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Token bucket for the ICMP errors a worker originates (RFC 1812 4.3.2.8,
 * RFC 4443 2.4(f)), shared by icmp_err.c and the MAP-E stages. One bucket
 * per worker, so no atomics; inline because the stages call it per error.
 */
#ifndef GK_RATELIMIT_H
#define GK_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define GK_TB_NS_PER_S	1000000000ull

/* Rate and depth stay with the owner (which knows its defaults). */
struct gk_tb {
	uint64_t tokens;	/* whole tokens */
	uint64_t last_ns;	/* time the tokens were counted up to */
};

/*
 * tokens to start with, and the time they count from. A bucket with no
 * tokens and last_ns UINT64_MAX never refills.
 */
static inline void gk_tb_init(struct gk_tb *tb, uint64_t tokens,
			      uint64_t now_ns)
{
	tb->tokens = tokens;
	tb->last_ns = now_ns;
}

/*
 * Refill for the time since last_ns at rate tokens/s (> 0), at most burst
 * (> 0) held, then take one; false when empty. Whole tokens: last_ns only
 * advances by the time the added tokens took, so no fraction of a token is
 * lost between calls.
 */
static inline bool gk_tb_take(struct gk_tb *tb, uint64_t now_ns,
			      uint64_t rate, uint64_t burst)
{
	uint64_t dt, add;

	if (now_ns > tb->last_ns) {
		dt = now_ns - tb->last_ns;
		add = dt >= UINT64_MAX / rate ? burst :
						 dt * rate / GK_TB_NS_PER_S;
		if (tb->tokens + add >= burst) {
			tb->tokens = burst;
			tb->last_ns = now_ns;
		} else if (add) {
			tb->tokens += add;
			tb->last_ns += add * GK_TB_NS_PER_S / rate;
		}
	}
	if (!tb->tokens)
		return false;
	tb->tokens--;
	return true;
}

/* ICMP errors, every stage that sends them: as Linux' icmp_msgs_per_sec /
 * icmp_msgs_burst. */
#define GK_ICMP_ERR_RATE_PPS	1000
#define GK_ICMP_ERR_BURST	50

#endif
