/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MAP-E rule engine (RFC 7597 §5, §6): address and port derivation for a
 * Basic/Forwarding Mapping Rule, in both directions (CE: from the delegated
 * prefix; BR: from an IPv4 address and port). Pure functions, no state, no
 * allocation: usable from the daemon, genkanctl and the workers alike.
 *
 * Notation (RFC 7597): r6 = ipv6_plen, r4 = ipv4_plen, o = ea_bits,
 * p = 32 - r4 (IPv4 suffix bits), a = psid_offset, k = psid_len,
 * m = 16 - a - k (contiguous ports per range).
 *
 * k == 0 (a full IPv4 address, or an IPv4 prefix when o < p) means the
 * address is not shared: the CE owns all 65536 ports, nothing is excluded.
 */
#ifndef GK_MAP_RULE_H
#define GK_MAP_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GK_MAP_F_DRAFT03   0x01  /* pre-RFC interface id: 8 zero bits, IPv4, 16-bit PSID, 8 zero bits */
#define GK_MAP_F_PSID_LEN  0x02  /* psid_len given explicitly */
#define GK_MAP_F_FMR       0x04  /* also a Forwarding Mapping Rule (mesh) */

#define GK_MAP_DEFAULT_PSID_OFFSET	6	/* RFC 7597 §5.1 */
#define GK_MAP_MAX_EA_BITS		48
/*
 * mss_clamp value meaning "tunnel MTU - 40" when the tunnel MTU is only
 * known at run time (ipv6_port MTU taken from the kernel). The daemon
 * replaces it before the rule reaches a worker.
 */
#define GK_MAP_MSS_AUTO			0xffff

struct gk_map_rule {
	uint8_t ipv6_prefix[16]; uint8_t ipv6_plen;   /* Rule IPv6 prefix */
	uint8_t ipv4_prefix[4];  uint8_t ipv4_plen;   /* Rule IPv4 prefix, network order */
	uint8_t ea_bits;      /* o, 0..48 */
	uint8_t psid_offset;  /* a, default 6 */
	uint8_t psid_len;     /* k: explicit, or derived o - (32 - ipv4_plen) when > 0, else 0 */
	uint8_t flags;        /* GK_MAP_F_* */
	uint16_t mss_clamp;   /* per-domain TCP MSS clamp, 0 = off (data path uses it) */
	char name[32];
};

struct gk_map_ce_params {      /* what a CE derives (RFC 7597 §5) */
	uint8_t ipv4[4]; uint8_t ipv4_plen;   /* 32 when the address is shared */
	uint16_t psid; uint8_t psid_len; uint8_t psid_offset;
	uint8_t ce_ipv6[16];                   /* §6 interface id (or draft-03) */
	uint8_t eup[16]; uint8_t eup_len;      /* end-user prefix, masked */
	uint32_t nr_ports;                     /* ports in the set */
};

/* k as RFC 7597 §5.2 derives it from o and r4: o - p when positive, else 0. */
uint8_t gk_map_rule_derived_psid_len(const struct gk_map_rule *r);

/*
 * Fills psid_len from ea_bits/ipv4_plen unless GK_MAP_F_PSID_LEN is set.
 * Call after filling a rule by hand and before gk_map_rule_check().
 */
void gk_map_rule_normalize(struct gk_map_rule *r);

/*
 * 0 or -EINVAL with a one-line reason in @err: impossible lengths
 * (ipv6_plen > 128, ipv4_plen > 32, ea_bits > 48, ipv6_plen + ea_bits > 64,
 * psid_offset + psid_len > 16), host bits set beyond a prefix length, a
 * psid_len that disagrees with ea_bits - (32 - ipv4_plen), or a PSID
 * without EA bits to carry it. @err may be NULL.
 */
int gk_map_rule_check(const struct gk_map_rule *r, char *err, size_t errlen);

/*
 * CE view: from the BMR and the delegated end-user prefix. -EINVAL if the
 * prefix does not match the rule's IPv6 prefix or is shorter than
 * ipv6_plen + ea_bits (or longer than /64, which leaves no room for the §6
 * interface id). Bits of @eup beyond @eup_len are ignored.
 */
int gk_map_ce_derive(const struct gk_map_rule *r, const uint8_t eup[16], uint8_t eup_len,
		     struct gk_map_ce_params *out, char *err, size_t errlen);

/*
 * BR view: the CE that owns ipv4:port under rule r (-EINVAL if ipv4 outside
 * the rule, or the port is in the excluded range 0..2^(16-a)-1 when a > 0
 * and k > 0). @port is ignored when k == 0. out->eup_len is
 * ipv6_plen + ea_bits: the BR cannot know a longer delegation.
 */
int gk_map_br_derive(const struct gk_map_rule *r, const uint8_t ipv4[4], uint16_t port,
		     struct gk_map_ce_params *out, char *err, size_t errlen);

/*
 * RFC 7597 §5.1: all (2^a - 1) ranges (2^a when a == 0) of PSID @psid,
 * ascending, as inclusive [first, last] pairs; a single [0, 65535] when
 * k == 0. Writes at most @max pairs and returns how many there are (may
 * exceed @max). @ranges may be NULL when @max is 0.
 */
unsigned gk_map_port_ranges(uint8_t a, uint8_t k, uint16_t psid, uint16_t (*ranges)[2], unsigned max);

/* Ports in one PSID's set: (2^a - 1) * 2^m, 2^m when a == 0, 65536 when k == 0. */
uint32_t gk_map_port_count(uint8_t a, uint8_t k);

/* RFC 7597 §5.1: the PSID is the k bits after the a offset bits. */
static inline uint16_t gk_map_port_psid(uint8_t a, uint8_t k, uint16_t port)
{
	unsigned m = 16u - a - k;

	return (uint16_t)(((unsigned)port >> m) & ((1u << k) - 1u));
}

/*
 * @port belongs to @psid's set and is not in the excluded low range
 * (A = 0 when a > 0). Always true when k == 0 (address not shared).
 */
static inline bool gk_map_port_ok(uint8_t a, uint8_t k, uint16_t psid, uint16_t port)
{
	if (!k)
		return true;
	return gk_map_port_psid(a, k, port) == psid &&
	       (a == 0 || port >= (1u << (16u - a)));
}

/*
 * The CE IPv6 address for (rule, ipv4 bits, psid): rule prefix, EA bits
 * (IPv4 suffix || PSID, §5.2), subnet id zero up to /64, then the §6
 * interface id (16 zero bits, IPv4, PSID right-aligned) or the draft-03
 * one. For an IPv4 prefix (o < p) the IPv4 bits beyond r4 + o are zeroed
 * and the PSID is 0. @ipv4 must lie inside the rule (not checked).
 */
void gk_map_ce_addr(const struct gk_map_rule *r, const uint8_t ipv4[4], uint16_t psid, uint8_t out[16]);

/* Two rules overlap if their IPv4 prefixes overlap, or their IPv6 prefixes overlap (validation). */
bool gk_map_rules_overlap(const struct gk_map_rule *x, const struct gk_map_rule *y);

/* True if the first @plen bits of @a and @b are equal (@plen <= 128). */
bool gk_map_prefix_eq(const uint8_t *a, const uint8_t *b, unsigned plen);

#endif /* GK_MAP_RULE_H */
