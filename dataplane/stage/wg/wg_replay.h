/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard receive replay window: a ring of 8192 bits in the style of
 * RFC 6479, as the Linux driver has used since 2020. A counter is
 * accepted if it was never seen and is at most GK_REPLAY_WINDOW below
 * the highest counter accepted so far; anything newer slides the window.
 *
 * Call it only after the packet authenticated (WireGuard paper 5.4.6):
 * an unauthenticated counter must never move the window.
 * Not thread-safe: one keypair's receive path runs on one worker (the
 * classifier steers by receiver index), or the caller serialises.
 */
#ifndef GK_WG_REPLAY_H
#define GK_WG_REPLAY_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define GK_REPLAY_BITS		8192
#define GK_REPLAY_WORD_BITS	(sizeof(unsigned long) * CHAR_BIT)
/*
 * One word of the ring is always being recycled as the window slides,
 * so only this many counters below the newest are guaranteed to be
 * remembered (8128 with 64-bit longs, like the kernel).
 */
#define GK_REPLAY_WINDOW	(GK_REPLAY_BITS - GK_REPLAY_WORD_BITS)

/* WireGuard's REJECT_AFTER_MESSAGES: 2^64 - 2^13 - 1. */
#define GK_WG_REJECT_AFTER_MESSAGES	(UINT64_MAX - 8192)

struct gk_replay {
	uint64_t top;	/* highest accepted counter; 0 when none yet */
	unsigned long bits[GK_REPLAY_BITS / (8 * sizeof(unsigned long))];
};

#define GK_REPLAY_NWORDS	(GK_REPLAY_BITS / GK_REPLAY_WORD_BITS)
#define GK_REPLAY_WORD_SHIFT	(__builtin_ctzl(GK_REPLAY_WORD_BITS))

_Static_assert((GK_REPLAY_NWORDS & (GK_REPLAY_NWORDS - 1)) == 0,
	       "ring size must be 2^n");

void gk_replay_init(struct gk_replay *r);

/*
 * true = accept (and remember). Counters >= reject_after_messages are
 * always refused, so the window cannot run into 2^64.
 *
 * RFC 6479 section 2 (IPsec anti-replay without bit shifting): the window
 * is a ring of words. Sliding forward clears only the words the new top
 * skips into, so the cost is bounded by the ring size, never by the jump.
 * A fresh window (top = 0, no bits) behaves exactly as if counter 0 were
 * the newest but unseen, so no "nothing received yet" flag is needed.
 */
static inline bool gk_replay_check_and_update(struct gk_replay *r,
					      uint64_t counter,
					      uint64_t reject_after_messages)
{
	uint64_t word, top_word, skip, i;
	unsigned long mask;
	unsigned long *w;

	if (counter >= reject_after_messages)
		return false;

	/* In order, in the newest word (no word to clear): most packets. */
	if (__builtin_expect(counter > r->top &&
		   (counter ^ r->top) < GK_REPLAY_WORD_BITS, 1)) {
		w = &r->bits[(counter >> GK_REPLAY_WORD_SHIFT) &
			     (GK_REPLAY_NWORDS - 1)];
		mask = 1UL << (counter & (GK_REPLAY_WORD_BITS - 1));
		if (*w & mask)
			return false;
		*w |= mask;
		r->top = counter;
		return true;
	}

	/* Too old: written so that nothing overflows near 2^64. */
	if (counter < r->top && r->top - counter > GK_REPLAY_WINDOW)
		return false;

	word = counter >> GK_REPLAY_WORD_SHIFT;
	if (counter > r->top) {
		/* Clear the words between the old top and the new one. */
		top_word = r->top >> GK_REPLAY_WORD_SHIFT;
		skip = word - top_word;
		if (skip > GK_REPLAY_NWORDS)
			skip = GK_REPLAY_NWORDS;
		for (i = 1; i <= skip; i++)
			r->bits[(top_word + i) & (GK_REPLAY_NWORDS - 1)] = 0;
		r->top = counter;
	}

	w = &r->bits[word & (GK_REPLAY_NWORDS - 1)];
	mask = 1UL << (counter & (GK_REPLAY_WORD_BITS - 1));
	if (*w & mask)
		return false;
	*w |= mask;
	return true;
}

#endif
