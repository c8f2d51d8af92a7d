/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The check itself is inline in wg_replay.h: the data stage runs it per
 * packet.
 */
#include <string.h>

#include "wg_replay.h"

_Static_assert(sizeof(((struct gk_replay *)0)->bits) * CHAR_BIT ==
	       GK_REPLAY_BITS, "bitmap size");

void gk_replay_init(struct gk_replay *r)
{
	memset(r, 0, sizeof(*r));
}
