/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Burst ChaCha20-Poly1305 (RFC 8439 section 2.8).
 *
 * ipsec-mb: the job manager interleaves several packets per core (its
 * multi-buffer lanes), so we submit every job of a chunk before asking
 * for results and only then flush. Jobs point into per-chunk scratch
 * (nonces, computed tags) that lives in struct gk_aead, so nothing is
 * allocated per packet. ipsec-mb only computes the tag on decrypt; we
 * compare it ourselves in constant time (gk_aead_tag_equal()).
 *
 * OpenSSL: one EVP_CIPHER_CTX, re-keyed per op (ChaCha20 has no key
 * schedule to amortise). The provider compares the tag with CRYPTO_memcmp.
 */
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "pkt.h"
#include "wg_aead.h"

/* Jobs in flight at once: enough to fill 16 AVX-512 lanes a few times. */
#define CHUNK	64

struct gk_aead {
	enum gk_aead_impl impl;
	const char *name;
	/* ipsec-mb: manager memory is ours, so it can be wiped on destroy. */
	IMB_MGR *mgr;
	void *mgr_mem;
	size_t mgr_size;
	/* OpenSSL */
	EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *ctx;
	/* Per-chunk scratch the in-flight jobs point to. */
	uint8_t iv[CHUNK][16] __attribute__((aligned(64)));
	uint8_t tag[CHUNK][GK_AEAD_TAG_LEN] __attribute__((aligned(64)));
};

/* WireGuard: 32 bits of zeros || 64-bit little-endian counter. */
static inline void wg_nonce(uint8_t *out, uint64_t counter)
{
	uint64_t le = htole64(counter);

	memset(out, 0, 4);
	memcpy(out + 4, &le, 8);
}

void gk_aead_wg_nonce(uint8_t out[GK_AEAD_NONCE_LEN], uint64_t counter)
{
	wg_nonce(out, counter);
}

static inline const uint8_t *op_nonce(const struct gk_aead_op *op,
				      uint8_t *scratch)
{
	if (op->nonce)
		return op->nonce;
	wg_nonce(scratch, op->counter);
	return scratch;
}

static inline bool op_valid(const struct gk_aead_op *op)
{
	return op->key && op->tag && (op->buf || !op->len) &&
	       (op->aad || !op->aad_len) &&
	       op->len <= INT_MAX && op->aad_len <= INT_MAX;
}

/* Never leave unauthenticated plaintext where a caller could use it. */
static void open_failed(struct gk_aead_op *op, int status)
{
	if (op->buf && op->len)
		explicit_bzero(op->buf, op->len);
	op->status = status;
}

static inline void mb_retire(struct gk_aead *a, IMB_JOB *job, bool enc)
{
	struct gk_aead_op *op = job->user_data;
	unsigned int slot = (unsigned int)(uintptr_t)job->user_data2;

	if (unlikely(job->status != IMB_STATUS_COMPLETED)) {
		if (enc)
			op->status = -EIO;
		else
			open_failed(op, -EIO);
		return;
	}
	if (!enc && unlikely(!gk_aead_tag_equal(a->tag[slot], op->tag)))
		open_failed(op, -EBADMSG);
}

/*
 * Each job comes back exactly once: from a later submit (which hands back
 * at most the oldest finished one) or from the flush. Not asking for more
 * after each submit saves a call per packet; the ring (IMB_MAX_JOBS) is
 * far larger than CHUNK. Status is 0 unless retire says otherwise.
 */
static inline __attribute__((always_inline)) void
mb_burst(struct gk_aead *a, struct gk_aead_op *ops, unsigned int n, bool enc)
{
	IMB_MGR *mgr = a->mgr;
	unsigned int base, i, m;
	IMB_JOB *job;

	for (base = 0; base < n; base += m) {
		m = n - base < CHUNK ? n - base : CHUNK;
		for (i = 0; i < m; i++) {
			struct gk_aead_op *op = &ops[base + i];
			/* Locals: the job stores could alias op, forcing reloads. */
			const uint8_t *key = op->key, *aad = op->aad;
			uint8_t *buf = op->buf, *tag = op->tag;
			uint32_t len = op->len, aad_len = op->aad_len;
			const uint8_t *iv = op_nonce(op, a->iv[i]);

			if (unlikely(!op_valid(op))) {
				op->status = -EINVAL;
				continue;
			}
			op->status = 0;
			/* Keepalives: no payload, but ipsec-mb wants pointers. */
			if (unlikely(!len))
				buf = a->iv[i];
			if (!aad_len)
				aad = a->iv[i];
			job = IMB_GET_NEXT_JOB(mgr);
			job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
			job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
			if (enc) {
				job->cipher_direction = IMB_DIR_ENCRYPT;
				job->chain_order = IMB_ORDER_CIPHER_HASH;
				job->auth_tag_output = tag;
			} else {
				job->cipher_direction = IMB_DIR_DECRYPT;
				job->chain_order = IMB_ORDER_HASH_CIPHER;
				job->auth_tag_output = a->tag[i];
			}
			job->auth_tag_output_len_in_bytes = GK_AEAD_TAG_LEN;
			job->enc_keys = key;
			job->dec_keys = key;
			job->key_len_in_bytes = GK_AEAD_KEY_LEN;
			job->iv = iv;
			job->iv_len_in_bytes = GK_AEAD_NONCE_LEN;
			job->src = buf;
			job->dst = buf;
			job->cipher_start_src_offset_in_bytes = 0;
			job->msg_len_to_cipher_in_bytes = len;
			job->hash_start_src_offset_in_bytes = 0;
			job->msg_len_to_hash_in_bytes = len;
			job->u.CHACHA20_POLY1305.aad = aad;
			job->u.CHACHA20_POLY1305.aad_len_in_bytes = aad_len;
			job->u.CHACHA20_POLY1305.ctx = NULL;
			job->user_data = op;
			job->user_data2 = (void *)(uintptr_t)i;
			/* Inputs were checked by op_valid() above. */
			job = IMB_SUBMIT_JOB_NOCHECK(mgr);
			if (job)
				mb_retire(a, job, enc);
		}
		while ((job = IMB_FLUSH_JOB(mgr)))
			mb_retire(a, job, enc);
	}
}

static void mb_seal_burst(struct gk_aead *a, struct gk_aead_op *ops,
			  unsigned int n)
{
	mb_burst(a, ops, n, true);
}

static void mb_open_burst(struct gk_aead *a, struct gk_aead_op *ops,
			  unsigned int n)
{
	mb_burst(a, ops, n, false);
}

static int ossl_one(struct gk_aead *a, struct gk_aead_op *op, bool enc)
{
	EVP_CIPHER_CTX *c = a->ctx;
	int outl;

	if (unlikely(!op_valid(op)))
		return -EINVAL;
	if (!EVP_CipherInit_ex2(c, NULL, op->key, op_nonce(op, a->iv[0]),
				enc, NULL))
		goto err;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG,
					GK_AEAD_TAG_LEN, op->tag) <= 0)
		goto err;
	if (op->aad_len &&
	    !EVP_CipherUpdate(c, NULL, &outl, op->aad, (int)op->aad_len))
		goto err;
	if (op->len &&
	    !EVP_CipherUpdate(c, op->buf, &outl, op->buf, (int)op->len))
		goto err;
	if (EVP_CipherFinal_ex(c, a->tag[0], &outl) <= 0) {
		/* On decrypt this is the tag mismatch (RFC 8439 section 2.8). */
		ERR_clear_error();
		return enc ? -EIO : -EBADMSG;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG,
				       GK_AEAD_TAG_LEN, op->tag) <= 0)
		goto err;
	return 0;
err:
	ERR_clear_error();
	return -EIO;
}

static void ossl_burst(struct gk_aead *a, struct gk_aead_op *ops,
		       unsigned int n, bool enc)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = ossl_one(a, &ops[i], enc);
		if (ret && !enc && ret != -EINVAL)
			open_failed(&ops[i], ret);
		else
			ops[i].status = ret;
	}
}

void gk_aead_seal_burst(struct gk_aead *a, struct gk_aead_op *ops,
			unsigned int n)
{
	if (a->mgr)
		mb_seal_burst(a, ops, n);
	else
		ossl_burst(a, ops, n, true);
}

void gk_aead_open_burst(struct gk_aead *a, struct gk_aead_op *ops,
			unsigned int n)
{
	if (a->mgr)
		mb_open_burst(a, ops, n);
	else
		ossl_burst(a, ops, n, false);
}

int gk_aead_seal1(struct gk_aead *a, struct gk_aead_op *op)
{
	gk_aead_seal_burst(a, op, 1);
	return op->status;
}

int gk_aead_open1(struct gk_aead *a, struct gk_aead_op *op)
{
	gk_aead_open_burst(a, op, 1);
	return op->status;
}

static int mb_init(struct gk_aead *a, bool need_vector, char *err,
		   size_t errlen)
{
	IMB_ARCH arch = IMB_ARCH_NONE;
	int ret;

	a->mgr_size = imb_get_mb_mgr_size();
	/* Round up: aligned_alloc wants a multiple of the alignment. */
	a->mgr_size = (a->mgr_size + 63) & ~(size_t)63;
	a->mgr_mem = aligned_alloc(64, a->mgr_size);
	if (!a->mgr_mem) {
		snprintf(err, errlen, "ipsec-mb: out of memory");
		return -ENOMEM;
	}
	a->mgr = imb_set_pointers_mb_mgr(a->mgr_mem, 0, 1);
	if (!a->mgr) {
		snprintf(err, errlen, "ipsec-mb: cannot set up manager");
		ret = -EIO;
		goto err_mem;
	}
	init_mb_mgr_auto(a->mgr, &arch);
	ret = imb_get_errno(a->mgr);
	if (ret) {
		snprintf(err, errlen, "ipsec-mb: init: %s",
			 imb_get_strerror(ret));
		ret = -EIO;
		goto err_mem;
	}
	switch (arch) {
	case IMB_ARCH_AVX512:
		a->name = "ipsec-mb avx512";
		break;
	case IMB_ARCH_AVX2:
		a->name = "ipsec-mb avx2";
		break;
	case IMB_ARCH_AVX:
		a->name = "ipsec-mb avx";
		break;
	case IMB_ARCH_SSE:
		a->name = "ipsec-mb sse";
		break;
	default:
		a->name = "ipsec-mb";
		break;
	}
	/* AUTO only prefers ipsec-mb where its wide vectors beat OpenSSL. */
	if (need_vector && arch != IMB_ARCH_AVX512 && arch != IMB_ARCH_AVX2) {
		snprintf(err, errlen, "ipsec-mb: no AVX2/AVX-512 (%s)", a->name);
		ret = -ENOTSUP;
		goto err_mem;
	}
	a->impl = GK_AEAD_IPSECMB;
	return 0;

err_mem:
	free(a->mgr_mem);
	a->mgr_mem = NULL;
	a->mgr = NULL;
	return ret;
}

static int ossl_init(struct gk_aead *a, char *err, size_t errlen)
{
	/* Fetch once: an implicit fetch per EVP_CipherInit costs a lookup. */
	a->cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	if (!a->cipher) {
		snprintf(err, errlen, "openssl: no ChaCha20-Poly1305");
		goto err;
	}
	a->ctx = EVP_CIPHER_CTX_new();
	if (!a->ctx) {
		snprintf(err, errlen, "openssl: out of memory");
		goto err_cipher;
	}
	if (!EVP_CipherInit_ex2(a->ctx, a->cipher, NULL, NULL, 1, NULL)) {
		snprintf(err, errlen, "openssl: cipher init failed");
		goto err_ctx;
	}
	a->impl = GK_AEAD_OPENSSL;
	a->name = "openssl";
	return 0;

err_ctx:
	EVP_CIPHER_CTX_free(a->ctx);
	a->ctx = NULL;
err_cipher:
	EVP_CIPHER_free(a->cipher);
	a->cipher = NULL;
err:
	ERR_clear_error();
	return -EIO;
}

struct gk_aead *gk_aead_create(enum gk_aead_impl impl, char *err,
			       size_t errlen)
{
	struct gk_aead *a;
	int ret;

	a = aligned_alloc(64, (sizeof(*a) + 63) & ~(size_t)63);
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(a, 0, sizeof(*a));

	switch (impl) {
	case GK_AEAD_AUTO:
		ret = mb_init(a, true, err, errlen);
		if (ret)
			ret = ossl_init(a, err, errlen);
		break;
	case GK_AEAD_IPSECMB:
		ret = mb_init(a, false, err, errlen);
		break;
	case GK_AEAD_OPENSSL:
		ret = ossl_init(a, err, errlen);
		break;
	default:
		snprintf(err, errlen, "unknown AEAD implementation %d", impl);
		ret = -EINVAL;
		break;
	}
	if (ret)
		goto err_free;
	return a;

err_free:
	free(a);
	return NULL;
}

void gk_aead_destroy(struct gk_aead *a)
{
	if (!a)
		return;
	if (a->mgr_mem) {
		/* Lanes of the multi-buffer manager keep copies of keys. */
		explicit_bzero(a->mgr_mem, a->mgr_size);
		free(a->mgr_mem);
	}
	EVP_CIPHER_CTX_free(a->ctx);
	EVP_CIPHER_free(a->cipher);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

const char *gk_aead_impl_name(const struct gk_aead *a)
{
	return a->name;
}

enum gk_aead_impl gk_aead_get_impl(const struct gk_aead *a)
{
	return a->impl;
}
