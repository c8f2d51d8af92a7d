/* SPDX-License-Identifier: BSD-3-Clause */
#include "clock.h"

#define CALIBRATE_NS	200000000ull

double gk_tsc_calibrate(void)
{
	uint64_t t0 = gk_mono_ns(), c0 = gk_cycles(), t1, c1;

	do
		t1 = gk_mono_ns();
	while (t1 - t0 < CALIBRATE_NS);
	c1 = gk_cycles();
	return (double)(c1 - c0) / (double)(t1 - t0);
}
