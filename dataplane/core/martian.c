/* SPDX-License-Identifier: BSD-3-Clause */
#include "martian.h"

#define S4	GK_MARTIAN_T_SRC4
#define D4	GK_MARTIAN_T_DST4
#define S6	GK_MARTIAN_T_SRC6
#define D6	GK_MARTIAN_T_DST6

const uint8_t gk_martian_first[256] = {
	[0] = S4 | D4 | S6 | D6,
	[127] = S4 | D4,
	[224 ... 239] = S4,
	[240 ... 254] = S4 | D4,
	[255] = S4 | D4 | S6,
};
