/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "csum.h"
#include "pkthdr.h"

#define IP4_DF		0x4000
/* RFC 1812 4.3.2.5: precedence 6 (internetwork control) on errors. */
#define IP4_TOS_ERR	0xc0
#define P_ICMP		1
#define P_ICMPV6	58

uint32_t gk_icmp4_err_build(uint8_t *ip, const uint8_t *quote, uint32_t q,
			    const uint8_t *src, const uint8_t *dst,
			    uint8_t type, uint8_t code, uint16_t mtu)
{
	uint8_t *icmp, s[4], d[4];
	uint16_t csum;

	memmove(ip + 28, quote, q);
	memcpy(s, src, 4);
	memcpy(d, dst, 4);
	ip[0] = 0x45;
	ip[1] = IP4_TOS_ERR;
	gk_wr16(ip + 2, (uint16_t)(28 + q));
	/* RFC 6864 4.1: an atomic datagram (DF, not a fragment) needs no ID */
	gk_wr16(ip + 4, 0);
	gk_wr16(ip + 6, IP4_DF);
	ip[8] = 64;
	ip[9] = P_ICMP;
	gk_wr16(ip + 10, 0);
	memcpy(ip + 12, s, 4);
	memcpy(ip + 16, d, 4);
	csum = gk_csum_ip4_hdr(ip, 20);
	memcpy(ip + 10, &csum, 2);

	icmp = ip + 20;
	icmp[0] = type;
	icmp[1] = code;
	gk_wr16(icmp + 2, 0);
	gk_wr16(icmp + 4, 0);
	gk_wr16(icmp + 6, mtu);
	csum = gk_csum_fold(gk_csum_partial(icmp, 8 + q, 0));
	memcpy(icmp + 2, &csum, 2);
	return 28 + q;
}

uint32_t gk_icmp6_err_build(uint8_t *ip, const uint8_t *quote, uint32_t q,
			    const uint8_t *src, const uint8_t *dst,
			    uint8_t type, uint8_t code, uint32_t word)
{
	uint8_t *icmp = ip + 40, s[16], d[16], ph[8];
	uint32_t sum;
	uint16_t csum;

	memmove(ip + 48, quote, q);
	memcpy(s, src, 16);
	memcpy(d, dst, 16);
	/* RFC 8200 3 */
	gk_wr32(ip, 0x60000000u);
	gk_wr16(ip + 4, (uint16_t)(8 + q));
	ip[6] = P_ICMPV6;
	ip[7] = 255;
	memcpy(ip + 8, s, 16);
	memcpy(ip + 24, d, 16);

	icmp[0] = type;
	icmp[1] = code;
	gk_wr16(icmp + 2, 0);
	gk_wr32(icmp + 4, word);
	/* RFC 8200 8.1 pseudo-header: addresses, length, next header */
	gk_wr32(ph, 8 + q);
	gk_wr32(ph + 4, P_ICMPV6);
	sum = gk_csum_partial(ip + 8, 32, 0);
	sum = gk_csum_partial(ph, sizeof(ph), sum);
	csum = gk_csum_fold(gk_csum_partial(icmp, 8 + q, sum));
	memcpy(icmp + 2, &csum, 2);
	return 48 + q;
}
