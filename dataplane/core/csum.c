/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "csum.h"

static uint32_t fold32(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

/*
 * RFC 1071 section 4.1, widened: add 64-bit words and count their carries
 * (section 2(C), "deferred carries"), in four independent chains so the
 * adds overlap instead of waiting on one carry each. A carry out of bit 63
 * is worth 2^64, which is 1 modulo 0xffff, so the carries are just added
 * back when folding. memcpy keeps unaligned buffers legal. About twice as
 * fast as 32-bit words into one 64-bit sum for a 1500-byte frame; measure
 * with bench_l3fwd --mode csum-stage --size 1514 before changing it.
 */
uint32_t gk_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t a0 = sum, a1 = 0, a2 = 0, a3 = 0, c = 0, w0, w1, w2, w3;
	uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
	uint32_t w;
	uint16_t h;

	while (len >= 32) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		memcpy(&w2, p + 16, 8);
		memcpy(&w3, p + 24, 8);
		a0 += w0;
		c0 += a0 < w0;
		a1 += w1;
		c1 += a1 < w1;
		a2 += w2;
		c2 += a2 < w2;
		a3 += w3;
		c3 += a3 < w3;
		p += 32;
		len -= 32;
	}
	c += c0 + c1 + c2 + c3;
	a0 += a1;
	c += a0 < a1;
	a0 += a2;
	c += a0 < a2;
	a0 += a3;
	c += a0 < a3;
	while (len >= 8) {
		memcpy(&w0, p, 8);
		a0 += w0;
		c += a0 < w0;
		p += 8;
		len -= 8;
	}
	/* Below 8 bytes the words are small enough to go into the carries. */
	if (len >= 4) {
		memcpy(&w, p, 4);
		c += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		c += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* The odd byte is the high-order byte of a zero-padded word. */
		uint8_t pad[2] = { *p, 0 };

		memcpy(&h, pad, 2);
		c += h;
	}
	return fold32((a0 & 0xffffffffu) + (a0 >> 32) + c);
}

/* The external definitions of the inline functions in csum.h. */
extern inline uint16_t gk_csum_fold(uint32_t sum);
extern inline uint16_t gk_csum_replace16(uint16_t csum, uint16_t old,
					 uint16_t new_);
extern inline uint16_t gk_csum_replace32(uint16_t csum, uint32_t old,
					 uint32_t new_);

uint16_t gk_csum_ip4_hdr(const void *hdr, size_t hdr_len)
{
	return gk_csum_fold(gk_csum_partial(hdr, hdr_len, 0));
}
