/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev benchmark (issue #11, lib/maglev.h).
 *
 *  - build: gk_maglev_build() for 10, 100 and 1,000 equal-weight IPv4
 *    backends at M = 65537, 1,000 backends at M = 1048573, and 1,000
 *    backends where one has weight 1,000 (the slow case of the weighting
 *    rule: about n * M credit steps). Median (min..max) over the runs.
 *  - lookup: 100 backends at M = 65537, 4,096 random flows looked up over
 *    and over: table[hash % M] with the hash precomputed, then the shared
 *    flow hash (SipHash-2-4 over 40 bytes) plus the lookup, IPv4 and IPv6,
 *    which is what a new flow costs the data plane.
 *
 * TSC calibrated against CLOCK_MONOTONIC. Prints figures; asserts nothing
 * about speed, but fails if a build fails or a lookup finds no backend.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "maglev.h"

#define MAX_RUNS	101
#define NR_FLOWS	4096

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void mk_backends(struct gk_maglev_backend *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t a[4] = { 10, 9, (uint8_t)(i >> 8), (uint8_t)i };

		memset(&b[i], 0, sizeof(b[i]));
		gk_maglev_key_inet(&b[i], AF_INET, a, 443);
		b[i].weight = 1;
	}
}

static int bench_build(const char *what, struct gk_maglev_backend *b, size_t n,
		       uint32_t m, uint32_t *table, unsigned runs, double tsc)
{
	uint64_t c[MAX_RUNS];

	for (unsigned r = 0; r < runs; r++) {
		uint64_t t0 = gk_cycles();
		int ret = gk_maglev_build(b, n, m, table);

		c[r] = gk_cycles() - t0;
		if (ret) {
			fprintf(stderr, "%s: gk_maglev_build: %s\n", what, strerror(-ret));
			return ret;
		}
	}
	qsort(c, runs, sizeof(c[0]), cmp_u64);
	printf("  build %-34s %8.2f Mcycles %7.2f ms  (%.2f..%.2f ms)\n", what,
	       c[runs / 2] / 1e6, c[runs / 2] / tsc / 1e6, c[0] / tsc / 1e6,
	       c[runs - 1] / tsc / 1e6);
	return 0;
}

struct flow {
	uint8_t c[16], l[16];
	uint16_t cport, lport;
	uint64_t hash;
};

enum { L_TABLE, L_HASH4, L_HASH6, L_MAX };
static const char *const l_label[L_MAX] = {
	"table[hash % M] (hash given)",
	"IPv4 flow hash + lookup",
	"IPv6 flow hash + lookup",
};

static __attribute__((noinline)) uint64_t lookup_round(int mode, const struct flow *f, const uint32_t *t,
			     uint32_t m, uint64_t *sum)
{
	uint64_t t0 = gk_cycles(), s = 0;

	for (int i = 0; i < NR_FLOWS; i++) {
		uint64_t h;

		switch (mode) {
		case L_TABLE:
			h = f[i].hash;
			break;
		case L_HASH4:
			h = gk_maglev_flow_hash4(f[i].c, f[i].cport, f[i].l, f[i].lport, 6);
			break;
		default:
			h = gk_maglev_flow_hash(f[i].c, f[i].cport, f[i].l, f[i].lport, 6);
			break;
		}
		s += gk_maglev_lookup(t, m, h);
	}
	*sum += s;
	return gk_cycles() - t0;
}

static void usage(const char *p)
{
	printf("usage: %s [-n RUNS] [-r ROUNDS]\n"
	       "  -n RUNS    builds per figure, and lookup runs (default 11, max %d)\n"
	       "  -r ROUNDS  lookup rounds of %d flows per run (default 500)\n",
	       p, MAX_RUNS, NR_FLOWS);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 10, 100, 1000 };
	struct gk_maglev_backend *b = calloc(1000, sizeof(*b));
	uint32_t *table = malloc(GK_MAGLEV_M_MAX * sizeof(uint32_t));
	struct flow *f = calloc(NR_FLOWS, sizeof(*f));
	uint64_t c[L_MAX][MAX_RUNS], sum = 0, rounds = 500;
	unsigned runs = 11;
	volatile uint32_t m_rt;
	char what[64];
	double tsc;
	int opt, ret = 0;

	while ((opt = getopt(argc, argv, "n:r:h")) != -1) {
		switch (opt) {
		case 'n':
			runs = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rounds = strtoull(optarg, NULL, 0);
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (!runs || runs > MAX_RUNS || !rounds) {
		usage(argv[0]);
		return 2;
	}
	if (!b || !table || !f) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	tsc = gk_tsc_calibrate();
	printf("TSC %.3f GHz; %u runs, median (min..max)\n", tsc, runs);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && !ret; i++) {
		mk_backends(b, sizes[i]);
		snprintf(what, sizeof(what), "%zu backends, M = %u", sizes[i],
			 GK_MAGLEV_M_DEFAULT);
		ret = bench_build(what, b, sizes[i], GK_MAGLEV_M_DEFAULT, table, runs, tsc);
	}
	if (!ret) {
		snprintf(what, sizeof(what), "1000 backends, M = %u", GK_MAGLEV_M_MAX);
		ret = bench_build(what, b, 1000, GK_MAGLEV_M_MAX, table, runs, tsc);
	}
	if (!ret) {
		b[0].weight = 1000;
		ret = bench_build("1000, one weight 1000, M = 65537", b, 1000,
				  GK_MAGLEV_M_DEFAULT, table, runs, tsc);
		b[0].weight = 1;
	}
	if (ret)
		goto out;

	mk_backends(b, 100);
	ret = gk_maglev_build(b, 100, GK_MAGLEV_M_DEFAULT, table);
	if (ret)
		goto out;
	for (int i = 0; i < NR_FLOWS; i++) {
		uint64_t r = rnd(), s = rnd();

		memcpy(f[i].c, &r, 8);
		memcpy(f[i].c + 8, &s, 8);
		r = rnd();
		memcpy(f[i].l, &r, 8);
		f[i].cport = (uint16_t)(s >> 16);
		f[i].lport = 443;
		f[i].hash = rnd();
	}
	/* M as the data plane has it: read at run time, not a constant. */
	m_rt = GK_MAGLEV_M_DEFAULT;
	for (unsigned r = 0; r < runs; r++)
		for (int mode = 0; mode < L_MAX; mode++) {
			c[mode][r] = 0;
			for (uint64_t k = 0; k < rounds; k++)
				c[mode][r] += lookup_round(mode, f, table, m_rt, &sum);
		}
	/* Every entry names one of the 100 backends. */
	if (sum > (uint64_t)runs * L_MAX * rounds * NR_FLOWS * 99) {
		fprintf(stderr, "lookup found no backend\n");
		ret = -EIO;
		goto out;
	}
	printf("  lookup, 100 backends, M = %u, %d flows x %" PRIu64 " rounds:\n",
	       GK_MAGLEV_M_DEFAULT, NR_FLOWS, rounds);
	for (int mode = 0; mode < L_MAX; mode++) {
		double per = (double)rounds * NR_FLOWS;

		qsort(c[mode], runs, sizeof(c[mode][0]), cmp_u64);
		printf("    %-30s %7.1f cycles %8.1f M/s  (%.1f..%.1f cycles)\n",
		       l_label[mode], c[mode][runs / 2] / per,
		       tsc * 1e3 / (c[mode][runs / 2] / per),
		       c[mode][0] / per, c[mode][runs - 1] / per);
	}
out:
	free(f);
	free(table);
	free(b);
	return ret ? 1 : 0;
}
