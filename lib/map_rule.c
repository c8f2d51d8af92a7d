// SPDX-License-Identifier: BSD-3-Clause
/*
 * MAP-E rule math (RFC 7597 §5, §6). Everything here is control-path code
 * except the static inline helpers in the header; it is still allocation
 * free so a worker may call the derive functions on a slow path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "map_rule.h"

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* @n (<= 64) bits of the big-endian bit string @buf starting at bit @off. */
static uint64_t get_bits(const uint8_t *buf, unsigned off, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		unsigned b = off + i;

		v = (v << 1) | ((buf[b >> 3] >> (7 - (b & 7))) & 1u);
	}
	return v;
}

static void set_bits(uint8_t *buf, unsigned off, unsigned n, uint64_t v)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		unsigned b = off + i;
		uint8_t bit = (uint8_t)(0x80u >> (b & 7));

		if ((v >> (n - 1 - i)) & 1u)
			buf[b >> 3] |= bit;
		else
			buf[b >> 3] &= (uint8_t)~bit;
	}
}

/* Clears every bit of @buf (@bytes long) from bit @plen on. */
static void mask_bits(uint8_t *buf, unsigned bytes, unsigned plen)
{
	unsigned i;

	for (i = 0; i < bytes; i++) {
		if (plen >= (i + 1) * 8)
			continue;
		if (plen <= i * 8)
			buf[i] = 0;
		else
			buf[i] &= (uint8_t)(0xff00u >> (plen - i * 8));
	}
}

bool gk_map_prefix_eq(const uint8_t *a, const uint8_t *b, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(a, b, full))
		return false;
	if (!rest)
		return true;
	return ((a[full] ^ b[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

static bool host_bits_set(const uint8_t *buf, unsigned bytes, unsigned plen)
{
	uint8_t tmp[16];

	memcpy(tmp, buf, bytes);
	mask_bits(tmp, bytes, plen);
	return memcmp(tmp, buf, bytes) != 0;
}

static uint32_t v4_host(const uint8_t a[4])
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
	       (uint32_t)a[2] << 8 | a[3];
}

static void v4_put(uint8_t a[4], uint32_t v)
{
	a[0] = (uint8_t)(v >> 24);
	a[1] = (uint8_t)(v >> 16);
	a[2] = (uint8_t)(v >> 8);
	a[3] = (uint8_t)v;
}

/* Low @n bits set, @n <= 64. */
static uint64_t low_mask(unsigned n)
{
	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

uint8_t gk_map_rule_derived_psid_len(const struct gk_map_rule *r)
{
	unsigned p = 32u - (r->ipv4_plen > 32 ? 32 : r->ipv4_plen);

	return r->ea_bits > p ? (uint8_t)(r->ea_bits - p) : 0;
}

void gk_map_rule_normalize(struct gk_map_rule *r)
{
	if (!(r->flags & GK_MAP_F_PSID_LEN))
		r->psid_len = gk_map_rule_derived_psid_len(r);
}

int gk_map_rule_check(const struct gk_map_rule *r, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned p, k_want;

	if (r->ipv6_plen > 128)
		return fail(err, errlen, "ipv6 prefix length %u out of range (0..128)",
			    r->ipv6_plen);
	if (r->ipv4_plen > 32)
		return fail(err, errlen, "ipv4 prefix length %u out of range (0..32)",
			    r->ipv4_plen);
	if (r->ea_bits > GK_MAP_MAX_EA_BITS)
		return fail(err, errlen, "ea_bits %u out of range (0..%u)",
			    r->ea_bits, GK_MAP_MAX_EA_BITS);
	/* §6: the CE address needs a /64 at most for its interface id. */
	if (r->ipv6_plen + r->ea_bits > 64)
		return fail(err, errlen,
			    "ipv6 prefix length %u + ea_bits %u = %u exceeds 64",
			    r->ipv6_plen, r->ea_bits, r->ipv6_plen + r->ea_bits);
	if (r->psid_offset > 16)
		return fail(err, errlen, "psid_offset %u out of range (0..16)",
			    r->psid_offset);
	if (host_bits_set(r->ipv6_prefix, 16, r->ipv6_plen))
		return fail(err, errlen, "ipv6_prefix %s has bits set beyond /%u",
			    inet_ntop(AF_INET6, r->ipv6_prefix, buf, sizeof(buf)),
			    r->ipv6_plen);
	if (host_bits_set(r->ipv4_prefix, 4, r->ipv4_plen))
		return fail(err, errlen, "ipv4_prefix %s has bits set beyond /%u",
			    inet_ntop(AF_INET, r->ipv4_prefix, buf, sizeof(buf)),
			    r->ipv4_plen);

	/* §5.2: EA bits = IPv4 suffix (p bits) || PSID (k bits). */
	p = 32u - r->ipv4_plen;
	k_want = gk_map_rule_derived_psid_len(r);
	if (r->psid_len != k_want) {
		if (r->ea_bits <= p)
			return fail(err, errlen,
				    "psid_len %u needs ea_bits > 32 - ipv4 prefix length = %u (ea_bits %u carry no PSID)",
				    r->psid_len, p, r->ea_bits);
		return fail(err, errlen,
			    "psid_len %u disagrees with ea_bits %u - (32 - ipv4 prefix length %u) = %u",
			    r->psid_len, r->ea_bits, r->ipv4_plen, k_want);
	}
	if (r->psid_offset + r->psid_len > 16)
		return fail(err, errlen,
			    "psid_offset %u + psid_len %u = %u exceeds 16 (ea_bits %u with ipv4 prefix length %u)",
			    r->psid_offset, r->psid_len,
			    r->psid_offset + r->psid_len, r->ea_bits,
			    r->ipv4_plen);
	return 0;
}

uint32_t gk_map_port_count(uint8_t a, uint8_t k)
{
	unsigned m = 16u - a - k;

	if (!k)
		return 65536;
	if (!a)
		return 1u << m;
	return ((1u << a) - 1u) << m;
}

/* §5.1: port = (A << (16 - a)) | (PSID << m) | j, A in 1..2^a - 1 when a > 0. */
unsigned gk_map_port_ranges(uint8_t a, uint8_t k, uint16_t psid,
			    uint16_t (*ranges)[2], unsigned max)
{
	unsigned m = 16u - a - k, nr, A, A0;

	if (!k) {
		if (max) {
			ranges[0][0] = 0;
			ranges[0][1] = 0xffff;
		}
		return 1;
	}
	psid &= (uint16_t)((1u << k) - 1u);
	A0 = a ? 1 : 0;
	nr = (1u << a) - A0;
	for (A = A0; A < (1u << a) && A - A0 < max; A++) {
		unsigned first = (A << (16u - a)) | ((unsigned)psid << m);

		ranges[A - A0][0] = (uint16_t)first;
		ranges[A - A0][1] = (uint16_t)(first + (1u << m) - 1u);
	}
	return nr;
}

void gk_map_ce_addr(const struct gk_map_rule *r, const uint8_t ipv4[4],
		    uint16_t psid, uint8_t out[16])
{
	unsigned p = 32u - r->ipv4_plen, o = r->ea_bits, k = r->psid_len;
	uint32_t v4 = v4_host(ipv4);
	uint64_t suffix = v4 & low_mask(p), ea;

	memcpy(out, r->ipv6_prefix, 16);
	mask_bits(out, 16, r->ipv6_plen);
	if (o >= p) {
		psid &= (uint16_t)low_mask(k);
		ea = (suffix << k) | psid;
	} else {
		/* An IPv4 prefix: only its first o suffix bits are the CE's. */
		ea = suffix >> (p - o);
		v4 &= (uint32_t)~low_mask(p - o);
		psid = 0;
	}
	set_bits(out, r->ipv6_plen, o, ea);

	if (r->flags & GK_MAP_F_DRAFT03) {
		/* draft-ietf-softwire-map-03: 0x00, IPv4, PSID, 0x00 */
		v4_put(&out[9], v4);
		out[13] = (uint8_t)(psid >> 8);
		out[14] = (uint8_t)psid;
	} else {
		/* §6: 16 zero bits, IPv4 address, PSID right-aligned */
		v4_put(&out[10], v4);
		out[14] = (uint8_t)(psid >> 8);
		out[15] = (uint8_t)psid;
	}
}

static void fill_common(const struct gk_map_rule *r, struct gk_map_ce_params *out)
{
	out->psid_len = r->psid_len;
	out->psid_offset = r->psid_offset;
	out->nr_ports = gk_map_port_count(r->psid_offset, r->psid_len);
	gk_map_ce_addr(r, out->ipv4, out->psid, out->ce_ipv6);
}

int gk_map_ce_derive(const struct gk_map_rule *r, const uint8_t eup[16],
		     uint8_t eup_len, struct gk_map_ce_params *out, char *err,
		     size_t errlen)
{
	unsigned p, o = r->ea_bits, k = r->psid_len, need;
	char buf[INET6_ADDRSTRLEN], rbuf[INET6_ADDRSTRLEN];
	uint32_t v4;
	uint64_t ea;
	int ret;

	ret = gk_map_rule_check(r, err, errlen);
	if (ret)
		return ret;
	need = r->ipv6_plen + o;
	if (eup_len > 64)
		return fail(err, errlen,
			    "end-user prefix /%u is longer than /64", eup_len);
	if (!gk_map_prefix_eq(eup, r->ipv6_prefix, r->ipv6_plen))
		return fail(err, errlen,
			    "end-user prefix %s/%u does not match rule prefix %s/%u",
			    inet_ntop(AF_INET6, eup, buf, sizeof(buf)), eup_len,
			    inet_ntop(AF_INET6, r->ipv6_prefix, rbuf, sizeof(rbuf)),
			    r->ipv6_plen);
	if (eup_len < need)
		return fail(err, errlen,
			    "end-user prefix /%u is shorter than ipv6 prefix length %u + ea_bits %u = /%u",
			    eup_len, r->ipv6_plen, o, need);

	memset(out, 0, sizeof(*out));
	memcpy(out->eup, eup, 16);
	mask_bits(out->eup, 16, eup_len);
	out->eup_len = eup_len;

	/* §5.2: EA bits follow the rule prefix in the delegated prefix. */
	p = 32u - r->ipv4_plen;
	ea = get_bits(eup, r->ipv6_plen, o);
	v4 = v4_host(r->ipv4_prefix);
	if (o >= p) {
		v4 |= (uint32_t)(ea >> k);
		out->psid = (uint16_t)(ea & low_mask(k));
		out->ipv4_plen = 32;
	} else {
		v4 |= (uint32_t)(ea << (p - o));
		out->ipv4_plen = (uint8_t)(r->ipv4_plen + o);
	}
	v4_put(out->ipv4, v4);
	fill_common(r, out);
	return 0;
}

int gk_map_br_derive(const struct gk_map_rule *r, const uint8_t ipv4[4],
		     uint16_t port, struct gk_map_ce_params *out, char *err,
		     size_t errlen)
{
	char b4[INET_ADDRSTRLEN], b4p[INET_ADDRSTRLEN];
	unsigned p, o = r->ea_bits, a = r->psid_offset, k = r->psid_len;
	int ret;

	ret = gk_map_rule_check(r, err, errlen);
	if (ret)
		return ret;
	if (!gk_map_prefix_eq(ipv4, r->ipv4_prefix, r->ipv4_plen))
		return fail(err, errlen, "%s is outside the rule's ipv4 prefix %s/%u",
			    inet_ntop(AF_INET, ipv4, b4, sizeof(b4)),
			    inet_ntop(AF_INET, r->ipv4_prefix, b4p, sizeof(b4p)),
			    r->ipv4_plen);
	if (k && a && port < (1u << (16u - a)))
		return fail(err, errlen,
			    "port %u is in the excluded range 0-%u (psid_offset %u)",
			    port, (1u << (16u - a)) - 1u, a);

	memset(out, 0, sizeof(*out));
	p = 32u - r->ipv4_plen;
	memcpy(out->ipv4, ipv4, 4);
	if (o >= p) {
		out->ipv4_plen = 32;
		out->psid = gk_map_port_psid((uint8_t)a, (uint8_t)k, port);
	} else {
		out->ipv4_plen = (uint8_t)(r->ipv4_plen + o);
		mask_bits(out->ipv4, 4, out->ipv4_plen);
	}
	fill_common(r, out);
	out->eup_len = (uint8_t)(r->ipv6_plen + o);
	memcpy(out->eup, out->ce_ipv6, 16);
	mask_bits(out->eup, 16, out->eup_len);
	return 0;
}

bool gk_map_rules_overlap(const struct gk_map_rule *x, const struct gk_map_rule *y)
{
	unsigned l4 = x->ipv4_plen < y->ipv4_plen ? x->ipv4_plen : y->ipv4_plen;
	unsigned l6 = x->ipv6_plen < y->ipv6_plen ? x->ipv6_plen : y->ipv6_plen;

	if (l4 > 32)
		l4 = 32;
	if (l6 > 128)
		l6 = 128;
	return gk_map_prefix_eq(x->ipv4_prefix, y->ipv4_prefix, l4) ||
	       gk_map_prefix_eq(x->ipv6_prefix, y->ipv6_prefix, l6);
}
