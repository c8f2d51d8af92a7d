/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "csum.h"
#include "l4csum.h"
#include "pkthdr.h"

#define IP4_HLEN	20
#define IP6_HLEN	40
#define TCP_HLEN	20
#define UDP_HLEN	8
#define EXTHDR_MAX	8	/* parse.c stops at 6 */

enum outcome { NOT_L4, DONE, SKIPPED };

/* One's complement add of 64-bit words: the carry goes back in at bit 0. */
static uint64_t add64(uint64_t s, const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	s += w;
	return s + (s < w);
}

/* The pseudo-header's addresses (8 or 32 bytes) onto sum, as a 32-bit sum. */
static uint32_t sum_addrs(const uint8_t *a, unsigned int len, uint32_t sum)
{
	uint64_t s = sum;
	unsigned int i;

	for (i = 0; i < len; i += 8)
		s = add64(s, a + i);
	s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)((s & 0xffffffffu) + (s >> 32));
}

/*
 * A source route not yet done (RFC 791 LSRR/SSRR, pointer within the
 * option): the sender summed the route's final destination, which the
 * IP header only carries once the route is done.
 */
static int ip4_routed(const uint8_t *opt, uint32_t len)
{
	uint32_t i = 0, olen;

	while (i < len) {
		if (opt[i] == 0)		/* end of options */
			return 0;
		if (opt[i] == 1) {		/* no-op */
			i++;
			continue;
		}
		if (i + 1 >= len || (olen = opt[i + 1]) < 2 || i + olen > len)
			return -1;
		if ((opt[i] == 0x83 || opt[i] == 0x89) && olen >= 3 &&
		    opt[i + 2] <= olen)
			return 1;
		i += olen;
	}
	return 0;
}

/* The headers the classifier walks (parse.c), fragments aside: skipped earlier. */
static bool is_exthdr(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_DSTOPTS || nh == IPPROTO_AH;
}

/*
 * Walks the extension headers between the fixed header and l4. A Routing
 * header with segments left hides the final destination the pseudo-header
 * wants (RFC 8200 8.1): 1. The chain not ending at l4: -1.
 */
static int ip6_routed(const uint8_t *ip, uint32_t l4_rel)
{
	uint32_t off = IP6_HLEN;
	uint8_t nh = ip[6];
	unsigned int i;

	for (i = 0; i < EXTHDR_MAX && off < l4_rel; i++) {
		const uint8_t *h = ip + off;

		if (off + 8 > l4_rel || !is_exthdr(nh))
			return -1;
		if (nh == IPPROTO_ROUTING && h[3])
			return 1;
		off += nh == IPPROTO_AH ? ((uint32_t)h[1] + 2) * 4 :
					  ((uint32_t)h[1] + 1) * 8;
		nh = h[0];
	}
	return off == l4_rel ? 0 : -1;
}

/*
 * One packet. The L4 length comes from the IP header, never from the
 * frame (a frame may carry Ethernet padding after the datagram), and every
 * offset the metadata claims is checked against it and against pkt->len.
 */
static enum outcome complete(struct gk_pkt *p)
{
	const struct gk_xdp_meta *m = &p->meta;
	const uint32_t l3 = m->l3_off, l4 = m->l4_off;
	uint32_t end, l4_len, sum, ihl;
	unsigned int csum_at, hlen, alen;
	const uint8_t *ip, *addrs;
	uint8_t *th;
	uint16_t c;

	if ((m->flags & (GK_META_F_L4 | GK_META_F_FRAG |
			 GK_META_F_LATER_FRAG)) != GK_META_F_L4)
		return NOT_L4;
	if (m->l4_proto == IPPROTO_TCP) {
		csum_at = 16;
		hlen = TCP_HLEN;
	} else if (m->l4_proto == IPPROTO_UDP) {
		csum_at = 6;
		hlen = UDP_HLEN;
	} else {
		return NOT_L4;
	}

	ip = p->data + l3;
	if (m->flags & GK_META_F_IPV4) {
		if (unlikely(l3 + IP4_HLEN > p->len))
			return SKIPPED;
		ihl = (ip[0] & 0xfu) * 4;
		end = l3 + gk_rd16(ip + 2);
		if (unlikely(ihl < IP4_HLEN || l4 != l3 + ihl || l4 > p->len))
			return SKIPPED;
		if (unlikely(ihl > IP4_HLEN) &&
		    ip4_routed(ip + IP4_HLEN, ihl - IP4_HLEN))
			return SKIPPED;
		addrs = ip + 12;
		alen = 8;
	} else if (m->flags & GK_META_F_IPV6) {
		if (unlikely(l3 + IP6_HLEN > p->len))
			return SKIPPED;
		end = l3 + IP6_HLEN + gk_rd16(ip + 4);
		if (unlikely(l4 < l3 + IP6_HLEN || end > p->len || l4 > end))
			return SKIPPED;
		if (unlikely(l4 > l3 + IP6_HLEN) && ip6_routed(ip, l4 - l3))
			return SKIPPED;
		addrs = ip + 8;
		alen = 32;
	} else {
		return NOT_L4;
	}
	if (unlikely(end > p->len || l4 + hlen > end))
		return SKIPPED;
	th = p->data + l4;
	l4_len = end - l4;	/* past extension headers: RFC 8200 8.1 */
	if (m->l4_proto == IPPROTO_UDP) {
		/*
		 * The receiver checks the sum over the UDP length (Linux trims
		 * the datagram to it), so that is what the sum covers.
		 */
		uint32_t ulen = gk_rd16(th + 4);

		if (unlikely(ulen < UDP_HLEN || ulen > l4_len))
			return SKIPPED;
		l4_len = ulen;
		/* RFC 768: zero means no checksum; IPv6 has no such value. */
		if ((m->flags & GK_META_F_IPV4) && !th[6] && !th[7])
			return NOT_L4;
	}

	/*
	 * The pseudo-header: RFC 768 / RFC 793 3.1 (src, dst, zero, protocol,
	 * length), RFC 8200 8.1 (src, dst, 32-bit length, zeros, next header;
	 * below 64 KiB its words sum as IPv4's do).
	 */
	sum = (uint32_t)htons(m->l4_proto) + htons((uint16_t)l4_len);
	/*
	 * The sum takes the field as it is and then takes it out again (adds
	 * its one's complement, RFC 1624 2): zeroing it first would make the
	 * sum's wide loads wait for two byte stores to retire.
	 */
	memcpy(&c, th + csum_at, 2);
	sum += (uint16_t)~c;
	sum = sum_addrs(addrs, alen, sum);
	c = gk_csum_fold(gk_csum_partial(th, l4_len, sum));
	/* RFC 768: a computed zero is sent as all ones (for TCP they are equal). */
	if (m->l4_proto == IPPROTO_UDP && !c)
		c = 0xffff;
	memcpy(th + csum_at, &c, 2);
	return DONE;
}

void gk_l4csum_burst(struct gk_wk_stats *st, struct gk_pkt **pkts, uint16_t n)
{
	uint64_t done = 0, skipped = 0;
	uint16_t i;

	for (i = 0; i < n; i++) {
		switch (complete(pkts[i])) {
		case DONE:
			done++;
			break;
		case SKIPPED:
			skipped++;
			break;
		case NOT_L4:
			break;
		}
	}
	st->events[GK_WK_EV_CSUM_COMPLETED] += done;
	st->events[GK_WK_EV_CSUM_SKIPPED] += skipped;
}
