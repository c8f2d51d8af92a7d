/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard primitives on OpenSSL 3 (whitepaper §5.4): HASH, MAC, HMAC, KDFn,
 * AEAD, XAEAD and DH. Control plane only (handshakes, cookies); the data path
 * has its own burst AEAD. All functions are thread-safe after
 * gk_wg_crypto_init() and return 0 or -errno.
 */
#ifndef GK_WG_CRYPTO_H
#define GK_WG_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "messages.h"


#define GK_WG_MUST_CHECK __attribute__((warn_unused_result))

/* Fetches the OpenSSL algorithms once; safe to call more than once. */
int gk_wg_crypto_init(void);

/* HASH(in1 || in2): BLAKE2s-256. in2 may be NULL with len2 0. */
int gk_wg_hash(uint8_t out[GK_WG_HASH_LEN], const void *in1, size_t len1,
	       const void *in2, size_t len2);

/* MAC(key, in): keyed BLAKE2s (RFC 7693 §3.3) with an outlen-byte digest. */
int gk_wg_blake2s_keyed(uint8_t *out, size_t outlen, const uint8_t *key,
			size_t keylen, const void *in, size_t len);
int gk_wg_mac(uint8_t out[GK_WG_MAC_LEN], const uint8_t key[GK_WG_KEY_LEN],
	      const void *in, size_t len);

/* HMAC-BLAKE2s-256 (RFC 2104 with a 64-byte block). */
int gk_wg_hmac(uint8_t out[GK_WG_HASH_LEN], const uint8_t *key, size_t keylen,
	       const void *in, size_t len);

/*
 * HKDF as WireGuard uses it: T0 = HMAC(ck, in), T1 = HMAC(T0, 0x1),
 * Ti = HMAC(T0, Ti-1 || i). Any of out1..out3 may be NULL (KDF1/2/3).
 */
int gk_wg_kdf(uint8_t *out1, uint8_t *out2, uint8_t *out3,
	      const uint8_t ck[GK_WG_HASH_LEN], const void *in, size_t len);

/* ChaCha20-Poly1305 (RFC 8439) with WireGuard's nonce: 4 zero bytes || le64. */
int gk_wg_aead_encrypt(uint8_t *dst, const void *src, size_t len,
		       const void *ad, size_t adlen, uint64_t counter,
		       const uint8_t key[GK_WG_KEY_LEN]);
/* dst gets len - 16 bytes; -EBADMSG when the tag does not verify. */
int gk_wg_aead_decrypt(uint8_t *dst, const void *src, size_t len,
		       const void *ad, size_t adlen, uint64_t counter,
		       const uint8_t key[GK_WG_KEY_LEN]) GK_WG_MUST_CHECK;

/* Generic RFC 8439 §2.8 with a raw 96-bit nonce. */
int gk_wg_chachapoly_seal(uint8_t *dst, const void *src, size_t len,
			  const void *ad, size_t adlen, const uint8_t nonce[12],
			  const uint8_t key[GK_WG_KEY_LEN]);
int gk_wg_chachapoly_open(uint8_t *dst, const void *src, size_t len,
			  const void *ad, size_t adlen, const uint8_t nonce[12],
			  const uint8_t key[GK_WG_KEY_LEN]) GK_WG_MUST_CHECK;

/* draft-irtf-cfrg-xchacha-03 §2.2. */
void gk_wg_hchacha20(uint8_t out[32], const uint8_t key[32], const uint8_t nonce[16]);
int gk_wg_xaead_encrypt(uint8_t *dst, const void *src, size_t len,
			const void *ad, size_t adlen,
			const uint8_t nonce[GK_WG_XNONCE_LEN],
			const uint8_t key[GK_WG_KEY_LEN]);
int gk_wg_xaead_decrypt(uint8_t *dst, const void *src, size_t len,
			const void *ad, size_t adlen,
			const uint8_t nonce[GK_WG_XNONCE_LEN],
			const uint8_t key[GK_WG_KEY_LEN]) GK_WG_MUST_CHECK;

/* X25519 (RFC 7748). The private key is clamped as wg(8) does. */
void gk_wg_clamp(uint8_t priv[GK_WG_KEY_LEN]);
int gk_wg_pubkey(uint8_t pub[GK_WG_KEY_LEN], const uint8_t priv[GK_WG_KEY_LEN]);
/* Fresh clamped private key (and its public key when pub is not NULL). */
int gk_wg_genkey(uint8_t priv[GK_WG_KEY_LEN], uint8_t pub[GK_WG_KEY_LEN]);
/* -EINVAL for a low-order point (all-zero shared secret). */
int gk_wg_dh(uint8_t out[GK_WG_KEY_LEN], const uint8_t priv[GK_WG_KEY_LEN],
	     const uint8_t pub[GK_WG_KEY_LEN]) GK_WG_MUST_CHECK;

int gk_wg_random(void *buf, size_t len);

#endif /* GK_WG_CRYPTO_H */
