// SPDX-License-Identifier: BSD-3-Clause
/*
 * Maglev table (lib/maglev.h). Expected values come from outside the code
 * under test: SipHash-2-4 from the reference implementation's 64 vectors
 * and the SipHash paper's Appendix A; tables, backend keys and flow
 * hashes from an independent Python model (gen_maglev.py). Distribution,
 * disruption and order independence are measured on the C tables and the
 * figures printed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "maglev.h"
#include "maglev_fixtures.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define M_BIG GK_MAGLEV_M_DEFAULT

static uint32_t tab_a[GK_MAGLEV_M_MAX], tab_b[GK_MAGLEV_M_MAX];

/* Deterministic, so a failing run can be repeated. */
static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int pton(const char *s, uint8_t out[16])
{
	if (strchr(s, ':')) {
		assert_int_equal(inet_pton(AF_INET6, s, out), 1);
		return AF_INET6;
	}
	assert_int_equal(inet_pton(AF_INET, s, out), 1);
	return AF_INET;
}

/* Backends of a fixture case, keys made by gk_maglev_key_inet(). */
static struct gk_maglev_backend *fx_backends(const struct fx_case *c)
{
	struct gk_maglev_backend *b = calloc(c->n ? c->n : 1, sizeof(*b));

	assert_non_null(b);
	for (size_t i = 0; i < c->n; i++) {
		const struct fx_backend *f = &c->b[i];

		if (f->addr) {
			uint8_t a[16];
			int fam = pton(f->addr, a);

			assert_int_equal(gk_maglev_key_inet(&b[i], fam, a, f->port), 0);
		} else {
			memcpy(b[i].key, f->key, f->key_len);
			b[i].key_len = f->key_len;
		}
		if (b[i].key_len != f->key_len || memcmp(b[i].key, f->key, f->key_len))
			fail_msg("%s: key of backend %zu differs from the model", c->what, i);
		b[i].weight = f->weight;
		b[i].down = f->down;
	}
	return b;
}

static void assert_tables_equal(const char *what, const uint32_t *got,
				const uint32_t *want, uint32_t m)
{
	for (uint32_t i = 0; i < m; i++)
		if (got[i] != want[i])
			fail_msg("%s: entry %u is %u, want %u", what, i, got[i], want[i]);
}

static void test_siphash_vectors(void **state)
{
	uint8_t key[16], msg[64];
	uint64_t k0, k1;

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	k0 = gk_maglev_le64(key);
	k1 = gk_maglev_le64(key + 8);
	for (size_t len = 0; len < 64; len++) {
		uint64_t h = gk_maglev_siphash24(k0, k1, msg, len);
		uint8_t out[8];

		for (int j = 0; j < 8; j++)
			out[j] = (uint8_t)(h >> (8 * j));
		if (memcmp(out, fx_sip_vectors[len], 8))
			fail_msg("SipHash-2-4 vector %zu: got %016llx", len,
				 (unsigned long long)h);
	}
	/* SipHash paper, Appendix A. */
	assert_true(gk_maglev_siphash24(k0, k1, msg, 15) == 0xa129ca6149be45e5ull);
}

static void test_hash_keys(void **state)
{
	static const uint64_t have[][2] = {
		{ GK_MAGLEV_H1_K0, GK_MAGLEV_H1_K1 },
		{ GK_MAGLEV_H2_K0, GK_MAGLEV_H2_K1 },
		{ GK_MAGLEV_FLOW_K0, GK_MAGLEV_FLOW_K1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(fx_keys); i++) {
		const uint8_t *a = (const uint8_t *)fx_keys[i].ascii;

		assert_int_equal(strlen(fx_keys[i].ascii), 16);
		assert_true(have[i][0] == fx_keys[i].k0 && have[i][1] == fx_keys[i].k1);
		assert_true(gk_maglev_le64(a) == have[i][0]);
		assert_true(gk_maglev_le64(a + 8) == have[i][1]);
	}
}

static void test_is_prime(void **state)
{
	static const uint32_t primes[] = {
		2, 3, 5, 7, 13, 251, 1021, 4093, 65521, 65537, 131071,
		1048573, 2147483647u, 4294967291u,
	};
	static const uint32_t others[] = {
		0, 1, 4, 9, 15, 561, 1105, 65535, 65536, 65539 * 3u,
		1048575, 1048576, 4294967295u, 65521u * 65537u,
	};

	for (size_t i = 0; i < ARRAY_SIZE(primes); i++)
		if (!gk_maglev_is_prime(primes[i]))
			fail_msg("%u is prime", primes[i]);
	for (size_t i = 0; i < ARRAY_SIZE(others); i++)
		if (gk_maglev_is_prime(others[i]))
			fail_msg("%u is not prime", others[i]);
}

static void test_key_inet(void **state)
{
	struct gk_maglev_backend b = { 0 };
	uint8_t a[16] = { 0 };

	assert_int_equal(gk_maglev_key_inet(&b, AF_UNIX, a, 1), -EAFNOSUPPORT);
	/* The rest is checked against the model's keys in every table case. */
}

static void test_tables_vs_model(void **state)
{
	for (size_t c = 0; c < ARRAY_SIZE(fx_cases); c++) {
		const struct fx_case *fc = &fx_cases[c];
		struct gk_maglev_backend *b = fx_backends(fc);

		assert_int_equal(gk_maglev_build(b, fc->n, fc->m, tab_a), 0);
		assert_tables_equal(fc->what, tab_a, fc->table, fc->m);
		print_message("ok: %s: %u entries equal the model\n", fc->what, fc->m);
		free(b);
	}
}

static void test_flow_hash_vs_model(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(fx_flows); i++) {
		const struct fx_flow *f = &fx_flows[i];
		uint8_t c[16] = { 0 }, l[16] = { 0 }, cm[16] = { [10] = 0xff, [11] = 0xff };
		uint8_t lm[16] = { [10] = 0xff, [11] = 0xff };
		int fc = pton(f->caddr, c), fl = pton(f->laddr, l);
		uint64_t h;

		assert_int_equal(fc, fl);
		if (fc == AF_INET) {
			h = gk_maglev_flow_hash4(c, f->cport, l, f->lport, f->proto);
			memcpy(cm + 12, c, 4);
			memcpy(lm + 12, l, 4);
			/* The IPv4 form is the IPv4-mapped IPv6 one. */
			assert_true(gk_maglev_flow_hash(cm, f->cport, lm, f->lport,
							f->proto) == h);
		} else {
			h = gk_maglev_flow_hash(c, f->cport, l, f->lport, f->proto);
		}
		if (h != f->hash)
			fail_msg("flow %s:%u -> %s:%u/%u: %016llx, want %016llx",
				 f->caddr, f->cport, f->laddr, f->lport, f->proto,
				 (unsigned long long)h, (unsigned long long)f->hash);
	}
	/* The lookup is hash % M. */
	for (uint32_t i = 0; i < M_BIG; i++)
		tab_a[i] = i;
	for (size_t i = 0; i < ARRAY_SIZE(fx_flows); i++)
		assert_int_equal(gk_maglev_lookup(tab_a, M_BIG, fx_flows[i].hash),
				 fx_flows[i].hash % M_BIG);
}

/* n backends 10.(base).i/256.i%256:80, weight 1. */
static void mk_backends(struct gk_maglev_backend *b, size_t n, uint8_t base)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t a[4] = { 10, base, (uint8_t)(i >> 8), (uint8_t)i };

		memset(&b[i], 0, sizeof(b[i]));
		assert_int_equal(gk_maglev_key_inet(&b[i], AF_INET, a, 80), 0);
		b[i].weight = 1;
	}
}

/*
 * Largest relative deviation of table and flow shares from the weights.
 * Table shares must be within 2%. Flows are 4M random IPv4 tuples through
 * the shared flow hash; their shares carry binomial noise, so they must be
 * within 2% or 5 standard deviations of it, whichever is larger.
 */
static void check_shares(const char *what, const struct gk_maglev_backend *b,
			 size_t n, const uint32_t *t, uint32_t m)
{
	enum { FLOWS = 4000000 };
	uint64_t wsum = 0, slots[1024] = { 0 }, flows[1024] = { 0 };
	double worst_s = 0, worst_f = 0, worst_z = 0;

	assert_true(n <= 1024);
	for (size_t i = 0; i < n; i++)
		wsum += b[i].weight;
	for (uint32_t i = 0; i < m; i++) {
		assert_true(t[i] < n);
		slots[t[i]]++;
	}
	for (int i = 0; i < FLOWS; i++) {
		uint64_t r = rnd();
		uint8_t c[4] = { (uint8_t)r, (uint8_t)(r >> 8), (uint8_t)(r >> 16),
				 (uint8_t)(r >> 24) };
		uint8_t l[4] = { 203, 0, 113, 1 };
		uint64_t h = gk_maglev_flow_hash4(c, (uint16_t)(r >> 32), l, 443, 6);

		flows[gk_maglev_lookup(t, m, h)]++;
	}
	for (size_t i = 0; i < n; i++) {
		double p = (double)b[i].weight / (double)wsum;
		double ds = fabs((double)slots[i] / m / p - 1);
		double df = fabs((double)flows[i] / FLOWS / p - 1);
		/* sigma of the relative flow share: sqrt(p(1-p)/F) / p */
		double sd = sqrt(p * (1 - p) / FLOWS) / p;

		if (ds > worst_s)
			worst_s = ds;
		if (df > worst_f)
			worst_f = df;
		if (df / sd > worst_z)
			worst_z = df / sd;
		assert_true(df <= 0.02 || df <= 5 * sd);
	}
	print_message("distribution %s, M = %u: table shares within %.4f%% of the "
		      "weights; 4M flows within %.3f%% (%.2f sigma)\n", what, m,
		      100 * worst_s, 100 * worst_f, worst_z);
	assert_true(worst_s <= 0.02);
}

static void test_distribution(void **state)
{
	struct gk_maglev_backend b[100];
	static const uint32_t w311[] = { 3, 1, 1 }, w_mix[] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	mk_backends(b, 3, 1);
	for (int i = 0; i < 3; i++)
		b[i].weight = w311[i];
	assert_int_equal(gk_maglev_build(b, 3, M_BIG, tab_a), 0);
	check_shares("3:1:1", b, 3, tab_a, M_BIG);

	mk_backends(b, 10, 2);
	assert_int_equal(gk_maglev_build(b, 10, M_BIG, tab_a), 0);
	check_shares("10 x 1", b, 10, tab_a, M_BIG);

	mk_backends(b, 8, 3);
	for (int i = 0; i < 8; i++)
		b[i].weight = w_mix[i];
	assert_int_equal(gk_maglev_build(b, 8, M_BIG, tab_a), 0);
	check_shares("1:2:3:4:5:6:7:8", b, 8, tab_a, M_BIG);

	mk_backends(b, 100, 4);
	assert_int_equal(gk_maglev_build(b, 100, M_BIG, tab_a), 0);
	check_shares("100 x 1", b, 100, tab_a, M_BIG);
}

/*
 * Entries of @before that no longer hold the same backend (compared by
 * key, since indices shift when the array shrinks), not counting those of
 * backend @gone (its key), which must move.
 */
static uint32_t moved_others(const struct gk_maglev_backend *b0, const uint32_t *before,
			     const struct gk_maglev_backend *b1, const uint32_t *after,
			     uint32_t m, const struct gk_maglev_backend *gone,
			     uint32_t *gone_share)
{
	uint32_t moved = 0, share = 0;

	for (uint32_t i = 0; i < m; i++) {
		const struct gk_maglev_backend *x = &b0[before[i]], *y = &b1[after[i]];
		bool same = x->key_len == y->key_len && !memcmp(x->key, y->key, x->key_len);

		if (gone && x->key_len == gone->key_len &&
		    !memcmp(x->key, gone->key, x->key_len)) {
			share++;
			assert_false(same);
			continue;
		}
		if (!same)
			moved++;
	}
	if (gone_share)
		*gone_share = share;
	return moved;
}

static void disruption(size_t n)
{
	struct gk_maglev_backend *b = calloc(n + 1, sizeof(*b));
	struct gk_maglev_backend *less = calloc(n, sizeof(*less));
	uint32_t share, moved, *t_down = malloc(M_BIG * sizeof(uint32_t));
	size_t gone = n / 3;

	assert_non_null(b);
	assert_non_null(less);
	assert_non_null(t_down);
	mk_backends(b, n + 1, 5);
	assert_int_equal(gk_maglev_build(b, n, M_BIG, tab_a), 0);

	/* Remove one: from the array. */
	memcpy(less, b, gone * sizeof(*b));
	memcpy(less + gone, b + gone + 1, (n - gone - 1) * sizeof(*b));
	assert_int_equal(gk_maglev_build(less, n - 1, M_BIG, tab_b), 0);
	moved = moved_others(b, tab_a, less, tab_b, M_BIG, &b[gone], &share);
	print_message("disruption: remove 1 of %zu, M = %u: its %u entries (%.2f%%) "
		      "move, and %u others (%.2f%% of M, %.2f%% of the rest)\n",
		      n, M_BIG, share, 100.0 * share / M_BIG, moved,
		      100.0 * moved / M_BIG, 100.0 * moved / (M_BIG - share));
	assert_true(moved <= M_BIG / 20);

	/* Marking it down is the same as removing it. */
	b[gone].down = 1;
	assert_int_equal(gk_maglev_build(b, n, M_BIG, t_down), 0);
	assert_int_equal(moved_others(less, tab_b, b, t_down, M_BIG, NULL, NULL), 0);

	/* Back up: the very same table as before. */
	b[gone].down = 0;
	assert_int_equal(gk_maglev_build(b, n, M_BIG, t_down), 0);
	assert_memory_equal(t_down, tab_a, M_BIG * sizeof(uint32_t));

	/* Add a new one (n + 1). */
	assert_int_equal(gk_maglev_build(b, n + 1, M_BIG, tab_b), 0);
	moved = moved_others(b, tab_a, b, tab_b, M_BIG, NULL, NULL);
	share = 0;
	for (uint32_t i = 0; i < M_BIG; i++)
		share += tab_b[i] == n;
	print_message("disruption: add 1 to %zu, M = %u: it takes %u entries "
		      "(%.2f%%), %u others change (%.2f%% of M)\n",
		      n, M_BIG, share, 100.0 * share / M_BIG, moved - share,
		      100.0 * (moved - share) / M_BIG);
	assert_true(moved - share <= M_BIG / 20);

	free(t_down);
	free(less);
	free(b);
}

static void test_disruption(void **state)
{
	disruption(10);
	disruption(100);
	disruption(1000);
}

static void test_determinism(void **state)
{
	const struct fx_case *fc = &fx_cases[ARRAY_SIZE(fx_cases) - 1];
	struct gk_maglev_backend *b = fx_backends(fc);
	struct gk_maglev_backend *s = calloc(fc->n, sizeof(*s));

	assert_non_null(s);
	assert_int_equal(gk_maglev_build(b, fc->n, fc->m, tab_a), 0);
	for (int round = 0; round < 8; round++) {
		memcpy(s, b, fc->n * sizeof(*s));
		for (size_t i = fc->n - 1; i > 0; i--) {
			size_t j = rnd() % (i + 1);
			struct gk_maglev_backend t = s[i];

			s[i] = s[j];
			s[j] = t;
		}
		assert_int_equal(gk_maglev_build(s, fc->n, fc->m, tab_b), 0);
		/* Indices are positions in each array: compare the keys. */
		assert_int_equal(moved_others(b, tab_a, s, tab_b, fc->m, NULL, NULL), 0);
	}
	print_message("determinism: %s, 8 shuffles: same backend in every entry\n",
		      fc->what);

	/* One identity given twice is refused. */
	s[1] = s[0];
	s[1].weight = 7;
	memset(tab_b, 0xab, sizeof(uint32_t) * 8);
	assert_int_equal(gk_maglev_build(s, fc->n, fc->m, tab_b), -EINVAL);
	assert_int_equal(tab_b[0], 0xabababab);
	free(s);
	free(b);
}

static void test_weight_scale(void **state)
{
	struct gk_maglev_backend b[3];

	mk_backends(b, 3, 6);
	b[0].weight = 3;
	assert_int_equal(gk_maglev_build(b, 3, M_BIG, tab_a), 0);
	b[0].weight = 3000;
	b[1].weight = b[2].weight = 1000;
	assert_int_equal(gk_maglev_build(b, 3, M_BIG, tab_b), 0);
	assert_memory_equal(tab_a, tab_b, M_BIG * sizeof(uint32_t));
}

static void assert_all(const uint32_t *t, uint32_t m, uint32_t v)
{
	for (uint32_t i = 0; i < m; i++)
		if (t[i] != v)
			fail_msg("entry %u is %u, want %u", i, t[i], v);
}

static void test_edge_cases(void **state)
{
	static const uint32_t not_prime[] = { 0, 1, 4, 65535, 65536, 1048575 };
	struct gk_maglev_backend b[9];
	uint32_t cnt[2] = { 0 };

	mk_backends(b, 9, 7);

	/* n = 0, with or without an array. */
	memset(tab_a, 0, M_BIG * sizeof(uint32_t));
	assert_int_equal(gk_maglev_build(NULL, 0, M_BIG, tab_a), 0);
	assert_all(tab_a, M_BIG, GK_MAGLEV_NONE);
	memset(tab_a, 0, 13 * sizeof(uint32_t));
	assert_int_equal(gk_maglev_build(b, 0, 13, tab_a), 0);
	assert_all(tab_a, 13, GK_MAGLEV_NONE);

	/* All weights 0; all down. */
	for (int i = 0; i < 3; i++)
		b[i].weight = 0;
	memset(tab_a, 0, 13 * sizeof(uint32_t));
	assert_int_equal(gk_maglev_build(b, 3, 13, tab_a), 0);
	assert_all(tab_a, 13, GK_MAGLEV_NONE);
	for (int i = 0; i < 3; i++) {
		b[i].weight = 1;
		b[i].down = 1;
	}
	memset(tab_a, 0, 13 * sizeof(uint32_t));
	assert_int_equal(gk_maglev_build(b, 3, 13, tab_a), 0);
	assert_all(tab_a, 13, GK_MAGLEV_NONE);
	for (int i = 0; i < 3; i++)
		b[i].down = 0;

	/* M not prime, or prime beyond the maximum: refused, table untouched. */
	for (size_t i = 0; i < ARRAY_SIZE(not_prime); i++) {
		memset(tab_a, 0x5a, 16 * sizeof(uint32_t));
		assert_int_equal(gk_maglev_build(b, 3, not_prime[i], tab_a), -EINVAL);
		assert_int_equal(tab_a[0], 0x5a5a5a5a);
		assert_int_equal(tab_a[15], 0x5a5a5a5a);
	}
	assert_int_equal(gk_maglev_build(b, 3, 2147483647u, tab_a), -EINVAL);

	/* M < n refused; M = n fills every slot, one each. */
	memset(tab_a, 0x5a, 16 * sizeof(uint32_t));
	assert_int_equal(gk_maglev_build(b, 9, 7, tab_a), -EINVAL);
	assert_int_equal(gk_maglev_build(b, 8, 7, tab_a), -EINVAL);
	assert_int_equal(tab_a[0], 0x5a5a5a5a);
	assert_int_equal(gk_maglev_build(b, 7, 7, tab_a), 0);
	for (uint32_t i = 0; i < 7; i++)
		for (uint32_t j = 0; j < i; j++)
			assert_int_not_equal(tab_a[i], tab_a[j]);

	/* One backend takes everything; two at M = 2 take one slot each. */
	assert_int_equal(gk_maglev_build(b + 4, 1, M_BIG, tab_a), 0);
	assert_all(tab_a, M_BIG, 0);
	assert_int_equal(gk_maglev_build(b, 2, 2, tab_a), 0);
	cnt[tab_a[0]]++;
	cnt[tab_a[1]]++;
	assert_true(cnt[0] == 1 && cnt[1] == 1);

	/* Key lengths outside 16..64. */
	b[1].key_len = GK_MAGLEV_KEY_MIN - 1;
	assert_int_equal(gk_maglev_build(b, 3, 13, tab_a), -EINVAL);
	b[1].key_len = GK_MAGLEV_KEY_MAX + 1;
	assert_int_equal(gk_maglev_build(b, 3, 13, tab_a), -EINVAL);
	b[1].key_len = GK_MAGLEV_KEY_INET_LEN;

	/* No table, or backends missing. */
	assert_int_equal(gk_maglev_build(b, 3, 13, NULL), -EINVAL);
	assert_int_equal(gk_maglev_build(NULL, 3, 13, tab_a), -EINVAL);
}

static void test_largest_m(void **state)
{
	enum { N = 1000 };
	struct gk_maglev_backend *b = calloc(N, sizeof(*b));
	uint32_t *cnt = calloc(N, sizeof(uint32_t)), lo = UINT32_MAX, hi = 0;

	assert_non_null(b);
	assert_non_null(cnt);
	mk_backends(b, N, 8);
	assert_int_equal(gk_maglev_build(b, N, GK_MAGLEV_M_MAX, tab_a), 0);
	for (uint32_t i = 0; i < GK_MAGLEV_M_MAX; i++) {
		assert_true(tab_a[i] < N);
		cnt[tab_a[i]]++;
	}
	for (int i = 0; i < N; i++) {
		lo = cnt[i] < lo ? cnt[i] : lo;
		hi = cnt[i] > hi ? cnt[i] : hi;
	}
	print_message("M = %u, %d backends: %u..%u entries each\n", GK_MAGLEV_M_MAX,
		      N, lo, hi);
	/* Equal weights: one turn per round each, so at most one apart. */
	assert_true(hi - lo <= 1);
	free(cnt);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_hash_keys),
		cmocka_unit_test(test_is_prime),
		cmocka_unit_test(test_key_inet),
		cmocka_unit_test(test_tables_vs_model),
		cmocka_unit_test(test_flow_hash_vs_model),
		cmocka_unit_test(test_distribution),
		cmocka_unit_test(test_disruption),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_weight_scale),
		cmocka_unit_test(test_edge_cases),
		cmocka_unit_test(test_largest_m),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
