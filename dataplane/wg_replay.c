/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 6479 section 2 (IPsec anti-replay without bit shifting): the window
 * is a ring of words. Sliding forward clears only the words the new top
 * skips into, so the cost is bounded by the ring size, never by the jump.
 *
 * A fresh window (top = 0, no bits) behaves exactly as if counter 0 were
 * the newest but unseen, so no "nothing received yet" flag is needed.
 */
#include <string.h>

#include "wg_replay.h"

#define NWORDS		(GK_REPLAY_BITS / GK_REPLAY_WORD_BITS)
#define WORD_SHIFT	(__builtin_ctzl(GK_REPLAY_WORD_BITS))

_Static_assert((NWORDS & (NWORDS - 1)) == 0, "ring size must be 2^n");
_Static_assert(sizeof(((struct gk_replay *)0)->bits) * CHAR_BIT ==
	       GK_REPLAY_BITS, "bitmap size");

void gk_replay_init(struct gk_replay *r)
{
	memset(r, 0, sizeof(*r));
}

bool gk_replay_check_and_update(struct gk_replay *r, uint64_t counter,
				uint64_t reject_after_messages)
{
	uint64_t word, top_word, skip, i;
	unsigned long mask;
	unsigned long *w;

	if (counter >= reject_after_messages)
		return false;

	/* Too old: written so that nothing overflows near 2^64. */
	if (counter < r->top && r->top - counter > GK_REPLAY_WINDOW)
		return false;

	word = counter >> WORD_SHIFT;
	if (counter > r->top) {
		/* Clear the words between the old top and the new one. */
		top_word = r->top >> WORD_SHIFT;
		skip = word - top_word;
		if (skip > NWORDS)
			skip = NWORDS;
		for (i = 1; i <= skip; i++)
			r->bits[(top_word + i) & (NWORDS - 1)] = 0;
		r->top = counter;
	}

	w = &r->bits[word & (NWORDS - 1)];
	mask = 1UL << (counter & (GK_REPLAY_WORD_BITS - 1));
	if (*w & mask)
		return false;
	*w |= mask;
	return true;
}
