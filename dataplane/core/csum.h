/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksum (RFC 1071) and incremental update (RFC 1624).
 * All 16-bit values are as they sit in the packet (network order); the
 * one's complement sum is byte-order independent (RFC 1071 section 2(B)),
 * so no byte swapping is needed anywhere.
 */
#ifndef GK_CSUM_H
#define GK_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add buf to a running 32-bit sum; start with sum = 0. Odd len is padded. */
uint32_t gk_csum_partial(const void *buf, size_t len, uint32_t sum);
/* Fold a running sum to 16 bits and complement it: ready to store. */
inline uint16_t gk_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Checksum of an IPv4 header. With the checksum field zeroed the result is
 * the value to store; over a valid header it is 0.
 */
uint16_t gk_csum_ip4_hdr(const void *hdr, size_t hdr_len);
/*
 * RFC 1624 section 3, eqn. 3: HC' = ~(~HC + ~m + m'); csum, old and new_
 * as stored. Inline (C99 inline, external copy in csum.c) because stages
 * call it per packet.
 */
inline uint16_t gk_csum_replace16(uint16_t csum, uint16_t old, uint16_t new_)
{
	uint32_t s = (uint16_t)~csum;

	s += (uint16_t)~old;
	s += new_;
	return gk_csum_fold(s);
}

inline uint16_t gk_csum_replace32(uint16_t csum, uint32_t old, uint32_t new_)
{
	uint32_t s = (uint16_t)~csum;

	s += (uint16_t)~(old & 0xffff);
	s += (uint16_t)~(old >> 16);
	s += new_ & 0xffff;
	s += new_ >> 16;
	return gk_csum_fold(s);
}

#endif
