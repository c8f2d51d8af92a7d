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
 * RFC 1071 section 4.1, widened: add 32-bit words into a 64-bit
 * accumulator and fold the carries at the end (section 2(C), "deferred
 * carries"). memcpy keeps unaligned buffers legal.
 */
uint32_t gk_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = sum;
	uint32_t w;
	uint16_t h;

	while (len >= 4) {
		memcpy(&w, p, 4);
		s += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		s += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* The odd byte is the high-order byte of a zero-padded word. */
		uint8_t pad[2] = { *p, 0 };

		memcpy(&h, pad, 2);
		s += h;
	}
	return fold32(s);
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
