// SPDX-License-Identifier: BSD-3-Clause
/*
 * WireGuard primitives on OpenSSL 3. Algorithms are fetched once; every call
 * makes its own short-lived context so concurrent handshakes never share one.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto.h"

static EVP_MD *blake2s;
static EVP_MAC *blake2smac;
static EVP_MAC *hmac;
static EVP_CIPHER *chachapoly;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_ret = -EIO;

static void do_init(void)
{
	blake2s = EVP_MD_fetch(NULL, "BLAKE2S-256", NULL);
	blake2smac = EVP_MAC_fetch(NULL, "BLAKE2SMAC", NULL);
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	chachapoly = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	if (blake2s && blake2smac && hmac && chachapoly)
		init_ret = 0;
}

int gk_wg_crypto_init(void)
{
	pthread_once(&once, do_init);
	return init_ret;
}

int gk_wg_hash(uint8_t out[GK_WG_HASH_LEN], const void *in1, size_t len1,
	       const void *in2, size_t len2)
{
	EVP_MD_CTX *ctx;
	int ret = -EIO;

	if (gk_wg_crypto_init())
		return -EIO;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestInit_ex(ctx, blake2s, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, in1, len1) != 1 ||
	    (len2 && EVP_DigestUpdate(ctx, in2, len2) != 1) ||
	    EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		goto err_ctx;
	ret = 0;
err_ctx:
	EVP_MD_CTX_free(ctx);
	return ret;
}

static int mac_run(EVP_MAC *alg, OSSL_PARAM *params, uint8_t *out,
		   size_t outlen, const uint8_t *key, size_t keylen,
		   const void *in, size_t len)
{
	EVP_MAC_CTX *ctx;
	size_t got = 0;
	int ret = -EIO;

	ctx = EVP_MAC_CTX_new(alg);
	if (!ctx)
		return -ENOMEM;
	if (EVP_MAC_init(ctx, key, keylen, params) != 1 ||
	    EVP_MAC_update(ctx, in, len) != 1 ||
	    EVP_MAC_final(ctx, out, &got, outlen) != 1 || got != outlen)
		goto err_ctx;
	ret = 0;
err_ctx:
	EVP_MAC_CTX_free(ctx);
	return ret;
}

int gk_wg_blake2s_keyed(uint8_t *out, size_t outlen, const uint8_t *key,
			size_t keylen, const void *in, size_t len)
{
	OSSL_PARAM params[2];

	if (gk_wg_crypto_init())
		return -EIO;
	if (!outlen || outlen > 32 || !keylen || keylen > 32)
		return -EINVAL;
	params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &outlen);
	params[1] = OSSL_PARAM_construct_end();
	return mac_run(blake2smac, params, out, outlen, key, keylen, in, len);
}

int gk_wg_mac(uint8_t out[GK_WG_MAC_LEN], const uint8_t key[GK_WG_KEY_LEN],
	      const void *in, size_t len)
{
	return gk_wg_blake2s_keyed(out, GK_WG_MAC_LEN, key, GK_WG_KEY_LEN, in, len);
}

int gk_wg_hmac(uint8_t out[GK_WG_HASH_LEN], const uint8_t *key, size_t keylen,
	       const void *in, size_t len)
{
	OSSL_PARAM params[2];

	if (gk_wg_crypto_init())
		return -EIO;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"BLAKE2S-256", 0);
	params[1] = OSSL_PARAM_construct_end();
	return mac_run(hmac, params, out, GK_WG_HASH_LEN, key, keylen, in, len);
}

/* Whitepaper §5.4: HKDF (RFC 5869) with HMAC-BLAKE2s, salt = ck, no info. */
int gk_wg_kdf(uint8_t *out1, uint8_t *out2, uint8_t *out3,
	      const uint8_t ck[GK_WG_HASH_LEN], const void *in, size_t len)
{
	uint8_t prk[GK_WG_HASH_LEN], t[GK_WG_HASH_LEN + 1];
	uint8_t *outs[3] = { out1, out2, out3 };
	size_t tlen = 0;
	int ret, i;

	ret = gk_wg_hmac(prk, ck, GK_WG_HASH_LEN, in, len);
	if (ret)
		goto out;
	for (i = 0; i < 3 && outs[i]; i++) {
		t[tlen] = (uint8_t)(i + 1);
		ret = gk_wg_hmac(t, prk, sizeof(prk), t, tlen + 1);
		if (ret)
			goto out;
		tlen = GK_WG_HASH_LEN;
		memcpy(outs[i], t, GK_WG_HASH_LEN);
	}
out:
	explicit_bzero(prk, sizeof(prk));
	explicit_bzero(t, sizeof(t));
	return ret;
}

int gk_wg_chachapoly_seal(uint8_t *dst, const void *src, size_t len,
			  const void *ad, size_t adlen, const uint8_t nonce[12],
			  const uint8_t key[GK_WG_KEY_LEN])
{
	EVP_CIPHER_CTX *ctx;
	int outl, ret = -EIO;

	if (gk_wg_crypto_init())
		return -EIO;
	if (len > INT_MAX - 16 || adlen > INT_MAX)
		return -EMSGSIZE;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (EVP_EncryptInit_ex2(ctx, chachapoly, key, nonce, NULL) != 1)
		goto err_ctx;
	if (adlen && EVP_EncryptUpdate(ctx, NULL, &outl, ad, (int)adlen) != 1)
		goto err_ctx;
	if (len && EVP_EncryptUpdate(ctx, dst, &outl, src, (int)len) != 1)
		goto err_ctx;
	if (EVP_EncryptFinal_ex(ctx, dst + len, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, GK_WG_AEAD_TAG_LEN,
				dst + len) != 1)
		goto err_ctx;
	ret = 0;
err_ctx:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

int gk_wg_chachapoly_open(uint8_t *dst, const void *src, size_t len,
			  const void *ad, size_t adlen, const uint8_t nonce[12],
			  const uint8_t key[GK_WG_KEY_LEN])
{
	uint8_t tag[GK_WG_AEAD_TAG_LEN];
	EVP_CIPHER_CTX *ctx;
	size_t plen;
	int outl, ret = -EIO;

	if (gk_wg_crypto_init())
		return -EIO;
	if (len < GK_WG_AEAD_TAG_LEN)
		return -EBADMSG;
	plen = len - GK_WG_AEAD_TAG_LEN;
	if (plen > INT_MAX || adlen > INT_MAX)
		return -EMSGSIZE;
	/* dst may alias src: save the tag before it is overwritten. */
	memcpy(tag, (const uint8_t *)src + plen, sizeof(tag));
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (EVP_DecryptInit_ex2(ctx, chachapoly, key, nonce, NULL) != 1)
		goto err_ctx;
	if (adlen && EVP_DecryptUpdate(ctx, NULL, &outl, ad, (int)adlen) != 1)
		goto err_ctx;
	if (plen && EVP_DecryptUpdate(ctx, dst, &outl, src, (int)plen) != 1)
		goto err_ctx;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, sizeof(tag), tag) != 1)
		goto err_ctx;
	if (EVP_DecryptFinal_ex(ctx, dst + plen, &outl) != 1) {
		/* Never hand back unauthenticated plaintext. */
		explicit_bzero(dst, plen);
		ret = -EBADMSG;
		goto err_ctx;
	}
	ret = 0;
err_ctx:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

static void nonce96(uint8_t n[12], uint64_t counter)
{
	int i;

	memset(n, 0, 4);
	for (i = 0; i < 8; i++)
		n[4 + i] = (uint8_t)(counter >> (8 * i));
}

int gk_wg_aead_encrypt(uint8_t *dst, const void *src, size_t len,
		       const void *ad, size_t adlen, uint64_t counter,
		       const uint8_t key[GK_WG_KEY_LEN])
{
	uint8_t n[12];

	nonce96(n, counter);
	return gk_wg_chachapoly_seal(dst, src, len, ad, adlen, n, key);
}

int gk_wg_aead_decrypt(uint8_t *dst, const void *src, size_t len,
		       const void *ad, size_t adlen, uint64_t counter,
		       const uint8_t key[GK_WG_KEY_LEN])
{
	uint8_t n[12];

	nonce96(n, counter);
	return gk_wg_chachapoly_open(dst, src, len, ad, adlen, n, key);
}

static inline uint32_t rol32(uint32_t v, int s)
{
	return (v << s) | (v >> (32 - s));
}

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

#define QR(a, b, c, d) do {					\
	a += b; d ^= a; d = rol32(d, 16);			\
	c += d; b ^= c; b = rol32(b, 12);			\
	a += b; d ^= a; d = rol32(d, 8);			\
	c += d; b ^= c; b = rol32(b, 7);			\
} while (0)

/*
 * draft-irtf-cfrg-xchacha-03 §2.2: the ChaCha20 block function without the
 * final feed-forward, keeping words 0..3 and 12..15.
 */
void gk_wg_hchacha20(uint8_t out[32], const uint8_t key[32], const uint8_t nonce[16])
{
	uint32_t x[16];
	int i;

	x[0] = 0x61707865;
	x[1] = 0x3320646e;
	x[2] = 0x79622d32;
	x[3] = 0x6b206574;
	for (i = 0; i < 8; i++)
		x[4 + i] = le32(key + 4 * i);
	for (i = 0; i < 4; i++)
		x[12 + i] = le32(nonce + 4 * i);
	for (i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
	for (i = 0; i < 8; i++) {
		uint32_t w = x[i < 4 ? i : i + 8];

		out[4 * i] = (uint8_t)w;
		out[4 * i + 1] = (uint8_t)(w >> 8);
		out[4 * i + 2] = (uint8_t)(w >> 16);
		out[4 * i + 3] = (uint8_t)(w >> 24);
	}
	explicit_bzero(x, sizeof(x));
}

/* draft-irtf-cfrg-xchacha-03 §2.3: subkey from the first 16 nonce bytes. */
static void xsetup(uint8_t subkey[32], uint8_t n[12], const uint8_t key[32],
		   const uint8_t nonce[GK_WG_XNONCE_LEN])
{
	gk_wg_hchacha20(subkey, key, nonce);
	memset(n, 0, 4);
	memcpy(n + 4, nonce + 16, 8);
}

int gk_wg_xaead_encrypt(uint8_t *dst, const void *src, size_t len,
			const void *ad, size_t adlen,
			const uint8_t nonce[GK_WG_XNONCE_LEN],
			const uint8_t key[GK_WG_KEY_LEN])
{
	uint8_t subkey[32], n[12];
	int ret;

	xsetup(subkey, n, key, nonce);
	ret = gk_wg_chachapoly_seal(dst, src, len, ad, adlen, n, subkey);
	explicit_bzero(subkey, sizeof(subkey));
	return ret;
}

int gk_wg_xaead_decrypt(uint8_t *dst, const void *src, size_t len,
			const void *ad, size_t adlen,
			const uint8_t nonce[GK_WG_XNONCE_LEN],
			const uint8_t key[GK_WG_KEY_LEN])
{
	uint8_t subkey[32], n[12];
	int ret;

	xsetup(subkey, n, key, nonce);
	ret = gk_wg_chachapoly_open(dst, src, len, ad, adlen, n, subkey);
	explicit_bzero(subkey, sizeof(subkey));
	return ret;
}

/* RFC 7748 §5 decodeScalar25519, applied to the stored key like wg genkey. */
void gk_wg_clamp(uint8_t priv[GK_WG_KEY_LEN])
{
	priv[0] &= 248;
	priv[31] = (priv[31] & 127) | 64;
}

int gk_wg_pubkey(uint8_t pub[GK_WG_KEY_LEN], const uint8_t priv[GK_WG_KEY_LEN])
{
	size_t len = GK_WG_KEY_LEN;
	EVP_PKEY *pk;
	int ret = 0;

	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
					  GK_WG_KEY_LEN);
	if (!pk)
		return -EIO;
	if (EVP_PKEY_get_raw_public_key(pk, pub, &len) != 1 ||
	    len != GK_WG_KEY_LEN)
		ret = -EIO;
	EVP_PKEY_free(pk);
	return ret;
}

int gk_wg_genkey(uint8_t priv[GK_WG_KEY_LEN], uint8_t pub[GK_WG_KEY_LEN])
{
	int ret;

	ret = gk_wg_random(priv, GK_WG_KEY_LEN);
	if (ret)
		return ret;
	gk_wg_clamp(priv);
	if (pub) {
		ret = gk_wg_pubkey(pub, priv);
		if (ret)
			explicit_bzero(priv, GK_WG_KEY_LEN);
	}
	return ret;
}

int gk_wg_dh(uint8_t out[GK_WG_KEY_LEN], const uint8_t priv[GK_WG_KEY_LEN],
	     const uint8_t pub[GK_WG_KEY_LEN])
{
	static const uint8_t zero[GK_WG_KEY_LEN];
	EVP_PKEY *mine, *theirs;
	EVP_PKEY_CTX *ctx;
	size_t len = GK_WG_KEY_LEN;
	int ret = -EIO;

	mine = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
					    GK_WG_KEY_LEN);
	if (!mine)
		return -EIO;
	theirs = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub,
					     GK_WG_KEY_LEN);
	if (!theirs)
		goto err_mine;
	ctx = EVP_PKEY_CTX_new(mine, NULL);
	if (!ctx)
		goto err_theirs;
	if (EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, theirs) != 1)
		goto err_ctx;
	/* OpenSSL refuses low-order points itself; treat that as invalid. */
	if (EVP_PKEY_derive(ctx, out, &len) != 1 || len != GK_WG_KEY_LEN) {
		ret = -EINVAL;
		goto err_ctx;
	}
	ret = CRYPTO_memcmp(out, zero, GK_WG_KEY_LEN) ? 0 : -EINVAL;
err_ctx:
	EVP_PKEY_CTX_free(ctx);
err_theirs:
	EVP_PKEY_free(theirs);
err_mine:
	EVP_PKEY_free(mine);
	if (ret)
		explicit_bzero(out, GK_WG_KEY_LEN);
	return ret;
}

int gk_wg_random(void *buf, size_t len)
{
	if (len > INT_MAX)
		return -EINVAL;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}
