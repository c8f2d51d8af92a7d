/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ChaCha20-Poly1305 (RFC 8439 section 2.8) over a whole burst, for the
 * WireGuard transport data messages. Two implementations behind one API:
 * intel-ipsec-mb's multi-buffer job manager (AVX-512 or AVX2, chosen at
 * run time) and OpenSSL EVP as the fallback.
 *
 * One struct gk_aead per worker: it holds the job manager or cipher
 * context and some scratch, and is never shared between threads. The
 * burst calls do no allocation, no locking and no syscalls.
 *
 * Keys are borrowed for the duration of a call only, and never logged.
 */
#ifndef GK_WG_AEAD_H
#define GK_WG_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GK_AEAD_KEY_LEN		32
#define GK_AEAD_TAG_LEN		16
#define GK_AEAD_NONCE_LEN	12

enum gk_aead_impl {
	GK_AEAD_AUTO,		/* ipsec-mb if AVX-512 or AVX2, else OpenSSL */
	GK_AEAD_IPSECMB,	/* ipsec-mb, best arch found (even SSE) */
	GK_AEAD_OPENSSL,	/* OpenSSL EVP chacha20-poly1305 */
};

struct gk_aead;

/*
 * One AEAD operation. In WireGuard (section 5.4.6 of the paper) the nonce
 * is 4 zero bytes followed by le64(counter) and the AAD is empty.
 * The operation is in place: buf holds plaintext for seal and ciphertext
 * for open, and is overwritten with the result.
 *
 * status after the call: 0 on success, -EBADMSG when open finds a bad tag,
 * -EINVAL for an unusable op (NULL key, len above INT_MAX, ...), -EIO if
 * the library itself fails. When open fails with -EBADMSG or -EIO, buf is
 * zeroed: it never holds unauthenticated plaintext; drop the packet.
 */
struct gk_aead_op {
	const uint8_t *key;	/* 32 B */
	uint64_t counter;	/* nonce = 4 zero bytes || le64(counter) */
	uint8_t *buf;		/* in place; may be NULL when len is 0 */
	uint32_t len;
	uint8_t *tag;		/* 16 B: written by seal, checked by open */
	const uint8_t *aad;	/* may be NULL when aad_len is 0 */
	uint32_t aad_len;
	int status;
	/*
	 * NULL for WireGuard. Otherwise a full 12-byte RFC 8439 nonce used
	 * instead of counter: for the RFC vectors and non-WireGuard users.
	 */
	const uint8_t *nonce;
};

/* Returns NULL with a message in err when the implementation is unusable. */
struct gk_aead *gk_aead_create(enum gk_aead_impl impl, char *err,
			       size_t errlen);
void gk_aead_destroy(struct gk_aead *a);
/* "ipsec-mb avx512", "ipsec-mb avx2", ..., or "openssl". */
const char *gk_aead_impl_name(const struct gk_aead *a);
enum gk_aead_impl gk_aead_get_impl(const struct gk_aead *a);

/* Every op of the burst gets its own status; the caller checks each. */
void gk_aead_seal_burst(struct gk_aead *a, struct gk_aead_op *ops,
			unsigned int n);
void gk_aead_open_burst(struct gk_aead *a, struct gk_aead_op *ops,
			unsigned int n);

/* One op; returns its status. */
int gk_aead_seal1(struct gk_aead *a, struct gk_aead_op *op);
__attribute__((warn_unused_result))
int gk_aead_open1(struct gk_aead *a, struct gk_aead_op *op);

/* Writes the WireGuard nonce for counter into out[12]. */
void gk_aead_wg_nonce(uint8_t out[GK_AEAD_NONCE_LEN], uint64_t counter);

/*
 * Tag compare in constant time like CRYPTO_memcmp, but inline: a call
 * into libcrypto per packet is measurable at 64 bytes. The barrier keeps
 * the compiler from turning the OR of both halves into an early exit.
 * ipsec-mb leaves this to its caller (RFC 8439 §2.8: opening includes it).
 */
static inline bool gk_aead_tag_equal(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1, d;

	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	d = (a0 ^ b0) | (a1 ^ b1);
	__asm__("" : "+r"(d));
	return d == 0;
}

#endif
