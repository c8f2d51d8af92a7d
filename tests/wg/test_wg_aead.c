/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Burst ChaCha20-Poly1305 against published vectors (RFC 8439 section
 * 2.8.2 and appendix A.5) through both implementations, and ipsec-mb
 * against OpenSSL on random inputs: two independent implementations
 * must agree byte for byte. The A.5 nonce (00000000 0102..08) is exactly
 * the WireGuard layout for counter 0x0807060504030201, so that vector
 * also pins the nonce layout.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wg_aead.h"

/* RFC 8439 section 2.8.2 */
static const char v1_key[] =
	"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
static const char v1_nonce[] = "070000004041424344454647";
static const char v1_aad[] = "50515253c0c1c2c3c4c5c6c7";
static const char v1_pt[] =
	"Ladies and Gentlemen of the class of '99: If I could offer you "
	"only one tip for the future, sunscreen would be it.";
static const char v1_ct[] =
	"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	"3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	"92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	"3ff4def08e4b7a9de576d26586cec64b6116";
static const char v1_tag[] = "1ae10b594f09e26a7e902ecbd0600691";

/* RFC 8439 appendix A.5 */
static const char v2_key[] =
	"1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0";
static const uint64_t v2_counter = 0x0807060504030201ull;
static const char v2_nonce[] = "000000000102030405060708";
static const char v2_aad[] = "f33388860000000000004e91";
static const char v2_pt[] =
	"Internet-Drafts are draft documents valid for a maximum of six "
	"months and may be updated, replaced, or obsoleted by other "
	"documents at any time. It is inappropriate to use Internet-Drafts "
	"as reference material or to cite them other than as "
	"/\xe2\x80\x9cwork in progress./\xe2\x80\x9d";
static const char v2_ct[] =
	"64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
	"4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
	"332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
	"9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
	"b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
	"af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
	"0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
	"49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
	"a6ad5cb4022b02709b";
static const char v2_tag[] = "eead9d67890cbb22392336fea1851f38";

struct vec {
	uint8_t key[32], nonce[12], aad[16], pt[300], ct[300], tag[16];
	size_t aad_len, len;
};

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1, v = 0;

	for (; *s; s++) {
		if (*s == ' ')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			fail_msg("bad hex char %c", *s);
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < max);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	assert_int_equal(hi, -1);
	return n;
}

static void load(struct vec *v, int which)
{
	memset(v, 0, sizeof(*v));
	if (which == 1) {
		assert_int_equal(unhex(v1_key, v->key, 32), 32);
		assert_int_equal(unhex(v1_nonce, v->nonce, 12), 12);
		v->aad_len = unhex(v1_aad, v->aad, sizeof(v->aad));
		v->len = strlen(v1_pt);
		memcpy(v->pt, v1_pt, v->len);
		assert_int_equal(unhex(v1_ct, v->ct, sizeof(v->ct)), v->len);
		assert_int_equal(unhex(v1_tag, v->tag, 16), 16);
		assert_int_equal(v->len, 114);
	} else {
		assert_int_equal(unhex(v2_key, v->key, 32), 32);
		assert_int_equal(unhex(v2_nonce, v->nonce, 12), 12);
		v->aad_len = unhex(v2_aad, v->aad, sizeof(v->aad));
		v->len = strlen(v2_pt);
		memcpy(v->pt, v2_pt, v->len);
		assert_int_equal(unhex(v2_ct, v->ct, sizeof(v->ct)), v->len);
		assert_int_equal(unhex(v2_tag, v->tag, 16), 16);
		assert_int_equal(v->len, 265);
	}
}

static struct gk_aead *mk(enum gk_aead_impl impl)
{
	char err[128] = "";
	struct gk_aead *a = gk_aead_create(impl, err, sizeof(err));

	if (!a)
		fail_msg("gk_aead_create(%d): %s", impl, err);
	return a;
}

static const enum gk_aead_impl impls[] = { GK_AEAD_IPSECMB, GK_AEAD_OPENSSL };
#define NIMPLS (sizeof(impls) / sizeof(impls[0]))

/* Seal then open one vector; wg selects counter layout over explicit nonce. */
static void run_vector(enum gk_aead_impl impl, int which, bool wg)
{
	struct gk_aead *a = mk(impl);
	uint8_t buf[300], tag[16];
	struct gk_aead_op op;
	struct vec v;

	load(&v, which);
	memcpy(buf, v.pt, v.len);
	memset(&op, 0, sizeof(op));
	op.key = v.key;
	if (wg)
		op.counter = v2_counter;
	else
		op.nonce = v.nonce;
	op.buf = buf;
	op.len = (uint32_t)v.len;
	op.tag = tag;
	op.aad = v.aad;
	op.aad_len = (uint32_t)v.aad_len;
	op.status = 12345;
	assert_int_equal(gk_aead_seal1(a, &op), 0);
	assert_memory_equal(buf, v.ct, v.len);
	assert_memory_equal(tag, v.tag, 16);

	op.status = 12345;
	assert_int_equal(gk_aead_open1(a, &op), 0);
	assert_memory_equal(buf, v.pt, v.len);

	/* Open straight from the published ciphertext too. */
	memcpy(buf, v.ct, v.len);
	memcpy(tag, v.tag, 16);
	assert_int_equal(gk_aead_open1(a, &op), 0);
	assert_memory_equal(buf, v.pt, v.len);
	gk_aead_destroy(a);
}

static void test_rfc8439_2_8_2(void **state)
{
	unsigned int i;

	for (i = 0; i < NIMPLS; i++)
		run_vector(impls[i], 1, false);
}

static void test_rfc8439_a5(void **state)
{
	unsigned int i;

	for (i = 0; i < NIMPLS; i++) {
		run_vector(impls[i], 2, false);
		run_vector(impls[i], 2, true);
	}
}

static void test_wg_nonce_layout(void **state)
{
	static const uint8_t want1[12] = {
		0, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	};
	static const uint8_t want0[12] = { 0 };
	static const uint8_t wantmax[12] = {
		0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	static const uint8_t want_one[12] = { 0, 0, 0, 0, 1 };
	uint8_t n[12];

	gk_aead_wg_nonce(n, 0x0807060504030201ull);
	assert_memory_equal(n, want1, 12);
	gk_aead_wg_nonce(n, 0);
	assert_memory_equal(n, want0, 12);
	gk_aead_wg_nonce(n, 1);
	assert_memory_equal(n, want_one, 12);
	gk_aead_wg_nonce(n, UINT64_MAX);
	assert_memory_equal(n, wantmax, 12);
}

/*
 * One burst mixing good and bad ops: each op must get its own verdict,
 * a bad op must not disturb its neighbours, and a failed open leaves a
 * zeroed buffer (documented in wg_aead.h).
 */
enum mut { OK, FLIP_TAG, FLIP_CT, FLIP_AAD, WRONG_CTR, NULL_KEY };

static void test_burst_mixed(void **state)
{
	static const enum mut plan[] = {
		OK, FLIP_TAG, OK, FLIP_CT, FLIP_AAD, OK, NULL_KEY, WRONG_CTR,
		OK, FLIP_TAG, OK, OK,
	};
	enum { N = sizeof(plan) / sizeof(plan[0]) };
	static const uint8_t zero[300];
	uint8_t buf[N][300], tag[N][16], aad[N][16];
	struct gk_aead_op ops[N];
	struct vec v[2];
	unsigned int i, k;

	load(&v[0], 1);
	load(&v[1], 2);
	for (k = 0; k < NIMPLS; k++) {
		struct gk_aead *a = mk(impls[k]);

		for (i = 0; i < N; i++) {
			struct vec *x = &v[i & 1];

			memcpy(buf[i], x->ct, x->len);
			memcpy(tag[i], x->tag, 16);
			memcpy(aad[i], x->aad, x->aad_len);
			memset(&ops[i], 0, sizeof(ops[i]));
			ops[i].key = x->key;
			/* Vector 2 goes through the WireGuard counter path. */
			if (i & 1)
				ops[i].counter = v2_counter;
			else
				ops[i].nonce = x->nonce;
			ops[i].buf = buf[i];
			ops[i].len = (uint32_t)x->len;
			ops[i].tag = tag[i];
			ops[i].aad = aad[i];
			ops[i].aad_len = (uint32_t)x->aad_len;
			ops[i].status = 12345;
			switch (plan[i]) {
			case OK:
				break;
			case FLIP_TAG:
				tag[i][15] ^= 0x80;
				break;
			case FLIP_CT:
				buf[i][7] ^= 0x01;
				break;
			case FLIP_AAD:
				aad[i][0] ^= 0x01;
				break;
			case WRONG_CTR:
				assert_true(i & 1);
				ops[i].counter = v2_counter + 1;
				break;
			case NULL_KEY:
				ops[i].key = NULL;
				break;
			}
		}
		gk_aead_open_burst(a, ops, N);
		for (i = 0; i < N; i++) {
			struct vec *x = &v[i & 1];

			switch (plan[i]) {
			case OK:
				assert_int_equal(ops[i].status, 0);
				assert_memory_equal(buf[i], x->pt, x->len);
				break;
			case NULL_KEY:
				assert_int_equal(ops[i].status, -EINVAL);
				break;
			default:
				assert_int_equal(ops[i].status, -EBADMSG);
				assert_memory_equal(buf[i], zero, x->len);
				break;
			}
		}

		/* And sealing a burst back gives the published bytes. */
		for (i = 0; i < N; i++) {
			struct vec *x = &v[i & 1];

			memcpy(buf[i], x->pt, x->len);
			memcpy(aad[i], x->aad, x->aad_len);
			memset(tag[i], 0, 16);
			ops[i].key = x->key;
			if (i & 1)
				ops[i].counter = v2_counter;
			ops[i].status = 12345;
		}
		gk_aead_seal_burst(a, ops, N);
		for (i = 0; i < N; i++) {
			struct vec *x = &v[i & 1];

			assert_int_equal(ops[i].status, 0);
			assert_memory_equal(buf[i], x->ct, x->len);
			assert_memory_equal(tag[i], x->tag, 16);
		}
		gk_aead_destroy(a);
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static void fill(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)(rnd() >> 56);
}

/*
 * Every length 0..1500 (0 is a keepalive), random keys, counters and AAD,
 * in bursts of 37 (not a multiple of any lane count) plus one burst of
 * 200 to cross the internal chunking: ipsec-mb seals, OpenSSL must give
 * the same bytes and open them, and the reverse.
 */
#define MAXLEN	1500
#define BURST	200

struct rop {
	uint8_t key[32], aad[32], pt[MAXLEN], a[MAXLEN], b[MAXLEN];
	uint8_t ta[16], tb[16];
};

static void cross_burst(struct gk_aead *mb, struct gk_aead *os,
			struct rop *r, struct gk_aead_op *oa,
			struct gk_aead_op *ob, const uint32_t *lens,
			unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		fill(r[i].key, 32);
		fill(r[i].pt, lens[i]);
		memcpy(r[i].a, r[i].pt, lens[i]);
		memcpy(r[i].b, r[i].pt, lens[i]);
		memset(&oa[i], 0, sizeof(oa[i]));
		oa[i].key = r[i].key;
		oa[i].counter = rnd() >> (rnd() & 63);
		oa[i].len = lens[i];
		oa[i].buf = lens[i] ? r[i].a : NULL;
		oa[i].tag = r[i].ta;
		oa[i].aad_len = (rnd() & 3) ? 0 : (uint32_t)(rnd() % 33);
		fill(r[i].aad, oa[i].aad_len);
		oa[i].aad = oa[i].aad_len ? r[i].aad : NULL;
		ob[i] = oa[i];
		ob[i].buf = lens[i] ? r[i].b : NULL;
		ob[i].tag = r[i].tb;
	}
	gk_aead_seal_burst(mb, oa, n);
	gk_aead_seal_burst(os, ob, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(oa[i].status, 0);
		assert_int_equal(ob[i].status, 0);
		assert_memory_equal(r[i].a, r[i].b, lens[i]);
		assert_memory_equal(r[i].ta, r[i].tb, 16);
		if (lens[i] >= 16)
			assert_memory_not_equal(r[i].a, r[i].pt, lens[i]);
	}
	/* Each opens what the other sealed. */
	gk_aead_open_burst(os, oa, n);
	gk_aead_open_burst(mb, ob, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(oa[i].status, 0);
		assert_int_equal(ob[i].status, 0);
		assert_memory_equal(r[i].a, r[i].pt, lens[i]);
		assert_memory_equal(r[i].b, r[i].pt, lens[i]);
	}
}

static void test_cross_random(void **state)
{
	struct gk_aead *mb = mk(GK_AEAD_IPSECMB), *os = mk(GK_AEAD_OPENSSL);
	struct gk_aead_op *oa, *ob;
	uint32_t lens[BURST];
	unsigned int len = 0, n, i;
	struct rop *r;

	r = malloc(sizeof(*r) * BURST);
	oa = calloc(BURST, sizeof(*oa));
	ob = calloc(BURST, sizeof(*ob));
	assert_non_null(r);
	assert_non_null(oa);
	assert_non_null(ob);
	while (len <= MAXLEN) {
		for (n = 0; n < 37 && len <= MAXLEN; n++)
			lens[n] = len++;
		cross_burst(mb, os, r, oa, ob, lens, n);
	}
	for (i = 0; i < BURST; i++)
		lens[i] = (uint32_t)(rnd() % (MAXLEN + 1));
	cross_burst(mb, os, r, oa, ob, lens, BURST);
	free(ob);
	free(oa);
	free(r);
	gk_aead_destroy(os);
	gk_aead_destroy(mb);
}

static void test_auto(void **state)
{
	struct gk_aead *a = mk(GK_AEAD_AUTO);
	const char *name = gk_aead_impl_name(a);

	assert_non_null(name);
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") || __builtin_cpu_supports("avx512f")) {
		assert_int_equal(gk_aead_get_impl(a), GK_AEAD_IPSECMB);
		assert_non_null(strstr(name, "ipsec-mb avx"));
	} else {
		assert_int_equal(gk_aead_get_impl(a), GK_AEAD_OPENSSL);
	}
	print_message("AUTO picked: %s\n", name);
	gk_aead_destroy(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8439_2_8_2),
		cmocka_unit_test(test_rfc8439_a5),
		cmocka_unit_test(test_wg_nonce_layout),
		cmocka_unit_test(test_burst_mixed),
		cmocka_unit_test(test_cross_random),
		cmocka_unit_test(test_auto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
