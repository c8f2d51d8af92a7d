/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Martian addresses: sources and destinations a router never forwards.
 * IPv4 (RFC 1812 section 5.3.7, RFC 1122 3.2.1.3, RFC 6890): source
 * 0.0.0.0/8 ("this network"), 127.0.0.0/8, 224.0.0.0/4 (multicast) and
 * 240.0.0.0/4 (reserved, with 255.255.255.255); destination 0.0.0.0/8,
 * 127.0.0.0/8 and 240.0.0.0/4 (limited broadcast included). IPv6 (RFC 4291
 * 2.5.2, 2.5.3, 2.5.5.2, 2.7): source ::, ::1, ff00::/8 and ::ffff:0:0/96
 * (IPv4-mapped, ::ffff:127.0.0.0/104 counted as loopback); destination ::
 * and ::1 (and loopback-mapped). Multicast destinations are the
 * classifier's (not routed by a worker).
 *
 * Each check is a cheap test a packet with a usual address fails at once
 * (gk_martian4_maybe/gk_martian6_maybe), then the reason, out of line in
 * the caller's slow path. Reasons are worker drop reasons (wkstats.h).
 */
#ifndef GK_MARTIAN_H
#define GK_MARTIAN_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "wkstats.h"

#define GK_MARTIAN_NONE	GK_WK_DROP_MAX	/* not a martian */

/*
 * Per first octet: GK_MARTIAN_T_* bits, set where an address starting so
 * may be a martian (martian.c). One load per address in the fast test.
 */
#define GK_MARTIAN_T_SRC4	0x01	/* 0, 127, 224-255 */
#define GK_MARTIAN_T_DST4	0x02	/* 0, 127, 240-255 */
#define GK_MARTIAN_T_SRC6	0x04	/* 0x00 (::, ::1, ::ffff:0:0/96), 0xff */
#define GK_MARTIAN_T_DST6	0x08	/* 0x00 (::, ::1, ::ffff:127/104) */
extern const uint8_t gk_martian_first[256];

/* @ip: an IPv4 header (20 bytes readable). True if it may be a martian. */
static inline bool gk_martian4_maybe(const uint8_t *ip)
{
	return (gk_martian_first[ip[12]] & GK_MARTIAN_T_SRC4) |
	       (gk_martian_first[ip[16]] & GK_MARTIAN_T_DST4);
}

/* The drop reason for the IPv4 source @src, or GK_MARTIAN_NONE. */
static inline unsigned gk_martian4_src(const uint8_t *src)
{
	uint8_t a = src[0];

	if (a == 0)
		return GK_WK_DROP_MARTIAN_SRC_UNSPEC;
	if (a == 127)
		return GK_WK_DROP_MARTIAN_SRC_LOOPBACK;
	if (a >= 240)
		return GK_WK_DROP_MARTIAN_SRC_RESERVED;
	if (a >= 224)
		return GK_WK_DROP_MARTIAN_SRC_MCAST;
	return GK_MARTIAN_NONE;
}

/* The reason for the IPv4 header @ip (source first), or GK_MARTIAN_NONE. */
static inline unsigned gk_martian4(const uint8_t *ip)
{
	unsigned r = gk_martian4_src(ip + 12);
	uint8_t a = ip[16];

	if (r != GK_MARTIAN_NONE)
		return r;
	if (a == 0)
		return GK_WK_DROP_MARTIAN_DST_UNSPEC;
	if (a == 127)
		return GK_WK_DROP_MARTIAN_DST_LOOPBACK;
	if (a >= 240)
		return GK_WK_DROP_MARTIAN_DST_RESERVED;
	return GK_MARTIAN_NONE;
}

/* @ip: an IPv6 header (40 bytes readable). True if it may be a martian. */
static inline bool gk_martian6_maybe(const uint8_t *ip)
{
	return (gk_martian_first[ip[8]] & GK_MARTIAN_T_SRC6) |
	       (gk_martian_first[ip[24]] & GK_MARTIAN_T_DST6);
}

/* ::, ::1, ::ffff:a.b.c.d: 0 unspecified, 1 loopback, 2 mapped, 3 mapped
 * loopback, -1 none of them. */
static inline int martian6_kind(const uint8_t *a)
{
	static const uint8_t zero[10];

	if (memcmp(a, zero, 10))
		return -1;
	if (a[10] == 0xff && a[11] == 0xff)
		return a[12] == 127 ? 3 : 2;
	if (a[10] | a[11] | a[12] | a[13] | a[14])
		return -1;
	if (a[15] <= 1)
		return a[15];
	return -1;
}

/* The drop reason for the IPv6 source @src, or GK_MARTIAN_NONE. */
static inline unsigned gk_martian6_src(const uint8_t *src)
{
	if (src[0] == 0xff)
		return GK_WK_DROP_MARTIAN_SRC_MCAST;
	switch (martian6_kind(src)) {
	case 0:
		return GK_WK_DROP_MARTIAN_SRC_UNSPEC;
	case 1:
	case 3:
		return GK_WK_DROP_MARTIAN_SRC_LOOPBACK;
	case 2:
		return GK_WK_DROP_MARTIAN_SRC_V4MAPPED;
	}
	return GK_MARTIAN_NONE;
}

/* The reason for the IPv6 header @ip (source first), or GK_MARTIAN_NONE. */
static inline unsigned gk_martian6(const uint8_t *ip)
{
	unsigned r = gk_martian6_src(ip + 8);

	if (r != GK_MARTIAN_NONE)
		return r;
	switch (martian6_kind(ip + 24)) {
	case 0:
		return GK_WK_DROP_MARTIAN_DST_UNSPEC;
	case 1:
	case 3:
		return GK_WK_DROP_MARTIAN_DST_LOOPBACK;
	}
	return GK_MARTIAN_NONE;
}

#endif
