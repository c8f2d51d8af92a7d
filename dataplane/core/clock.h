/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Clocks for workers and benches: CLOCK_MONOTONIC ns for timers and the
 * TSC for cycle accounting. Both are read without a syscall (vDSO, rdtsc).
 */
#ifndef GK_CLOCK_H
#define GK_CLOCK_H

#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

static inline uint64_t gk_mono_ns(void)
{
	struct timespec ts;

	/* vDSO: no syscall. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Cycle counter for busy/idle accounting; ns where there is no TSC. */
static inline uint64_t gk_cycles(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	return gk_mono_ns();
#endif
}

/*
 * gk_cycles() ticks per nanosecond (the TSC rate in GHz), measured against
 * CLOCK_MONOTONIC over 200 ms of busy waiting. For benches, not workers.
 */
double gk_tsc_calibrate(void);

#endif
