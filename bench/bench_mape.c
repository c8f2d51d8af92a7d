/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MAP-E stage benchmark, memory-backend style: frames sit in plain
 * buffers with headroom, 64-byte inner IPv4/UDP packets, a BR table of
 * 1,000 rules (198.18.0.0/15 cut into /25s, EA 15, PSID offset 6, PSID
 * length 8) and a CE with the RFC 7597 example BMR. Four figures:
 * BR decap with anti-spoofing validation, BR encap, CE encap, CE decap.
 * Destinations/sources spread over random rules, addresses and ports.
 *
 * Only the stage call is timed (TSC around gk_mape_*_burst, bursts of 32);
 * restoring the frames between rounds is not. TSC is calibrated against
 * CLOCK_MONOTONIC. Prints figures; asserts nothing about speed.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "dataplane/csum.h"
#include "dataplane/map_rule.h"
#include "dataplane/map_table.h"
#include "dataplane/mape_br.h"
#include "dataplane/mape_ce.h"

#define NR_RULES	1000
#define NR_FRAMES	4096
#define INNER_LEN	64
#define HEADROOM	256
#define BUF		(HEADROOM + 256)
#define V4_PORT		1
#define V6_PORT		2

enum mode { M_BR_DECAP, M_BR_ENCAP, M_CE_ENCAP, M_CE_DECAP, M_MAX };
static const char *const mode_name[M_MAX] = {
	"br decap+validate", "br encap", "ce encap", "ce decap",
};

static const uint8_t br_addr[16] = {
	0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 1,
};

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t cycles(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	return now_ns();
#endif
}

static double calibrate(void)
{
	uint64_t t0 = now_ns(), c0 = cycles(), t1, c1;

	do
		t1 = now_ns();
	while (t1 - t0 < 200000000ull);
	c1 = cycles();
	return (double)(c1 - c0) / (double)(t1 - t0);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet + IPv4/UDP of INNER_LEN bytes at off (ethertype set by caller). */
static void inner4(uint8_t *f, unsigned off, const uint8_t src[4],
		   const uint8_t dst[4], uint16_t sport, uint16_t dport)
{
	uint8_t *ip = f + off, *udp = ip + 20;
	uint16_t c;

	memset(ip, 0, INNER_LEN);
	ip[0] = 0x45;
	put16(ip + 2, INNER_LEN);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	c = gk_csum_ip4_hdr(ip, 20);
	memcpy(ip + 10, &c, 2);
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, INNER_LEN - 20);
}

struct frame {
	uint8_t tmpl[BUF];	/* pristine copy */
	uint32_t len;
	struct gk_xdp_meta meta;
	uint16_t in_port;
	uint8_t buf[BUF];
	struct gk_pkt pkt;
};

static void eth(uint8_t *f, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	memcpy(f, macs, 12);
	put16(f + 12, type);
}

static void mk4(struct frame *fr, const uint8_t src[4], const uint8_t dst[4],
		uint16_t sport, uint16_t dport)
{
	uint8_t *f = fr->tmpl + HEADROOM;

	eth(f, 0x0800);
	inner4(f, 14, src, dst, sport, dport);
	fr->len = 14 + INNER_LEN;
	fr->in_port = V4_PORT;
	fr->meta = (struct gk_xdp_meta){
		.magic = GK_META_MAGIC, .version = GK_META_VERSION,
		.l3_off = 14, .l4_off = 34, .l4_proto = 17,
		.flags = GK_META_F_IPV4 | GK_META_F_L4, .flow_hash = rnd(),
	};
}

static void mk6(struct frame *fr, const uint8_t s6[16], const uint8_t d6[16],
		const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
		uint16_t dport)
{
	uint8_t *f = fr->tmpl + HEADROOM, *ip6 = f + 14;

	eth(f, 0x86dd);
	memset(ip6, 0, 40);
	ip6[0] = 0x60;
	put16(ip6 + 4, INNER_LEN);
	ip6[6] = 4;
	ip6[7] = 64;
	memcpy(ip6 + 8, s6, 16);
	memcpy(ip6 + 24, d6, 16);
	inner4(f, 54, src, dst, sport, dport);
	fr->len = 54 + INNER_LEN;
	fr->in_port = V6_PORT;
	fr->meta = (struct gk_xdp_meta){
		.magic = GK_META_MAGIC, .version = GK_META_VERSION,
		.l3_off = 14, .l4_off = 54, .l4_proto = 4,
		.flags = GK_META_F_IPV6 | GK_META_F_L4, .flow_hash = rnd(),
	};
}

static void restore(struct frame *fr)
{
	memcpy(fr->buf + HEADROOM, fr->tmpl + HEADROOM, fr->len);
	fr->pkt = (struct gk_pkt){
		.data = fr->buf + HEADROOM, .len = fr->len,
		.in_port = fr->in_port, .meta = fr->meta,
		.buf_len = BUF - HEADROOM,
	};
}

/* A port of psid's set (offset 6, PSID length 8: m = 2). */
static uint16_t port_of(uint16_t psid)
{
	return (uint16_t)(((1 + rnd() % 63) << 10) | (psid << 2) | (rnd() & 3));
}

static void rule_v4(const struct gk_map_rule *r, uint8_t v4[4])
{
	memcpy(v4, r->ipv4_prefix, 4);
	v4[3] = (uint8_t)(v4[3] | (rnd() & 0x7f));
}

int main(int argc, char **argv)
{
	static struct frame frames[NR_FRAMES];
	struct gk_map_rule *rules = calloc(NR_RULES, sizeof(*rules)), ce_rule;
	struct gk_map_table *br, *ce;
	struct gk_map_ce_params cp, me;
	struct gk_map_dom_stats *dom = calloc(NR_RULES + 1, sizeof(*dom));
	struct gk_wk_stats st;
	uint64_t rounds = 2000;
	double tsc;
	char err[200];
	int m, opt;
	unsigned i;
	static const uint8_t inet[4] = { 203, 0, 113, 10 };
	static const uint8_t eup[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x12,
					 0x34 };

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt == 'r') {
			rounds = strtoull(optarg, NULL, 0);
		} else {
			fprintf(stderr, "usage: %s [-r rounds]\n", argv[0]);
			return 2;
		}
	}
	if (!rules || !dom)
		return 1;
	for (i = 0; i < NR_RULES; i++) {
		struct gk_map_rule *r = &rules[i];
		uint32_t v4 = (198u << 24 | 18u << 16) + 128u * i;

		snprintf(r->name, sizeof(r->name), "big%u", i);
		r->ipv6_prefix[0] = 0x20;
		r->ipv6_prefix[1] = 0x01;
		r->ipv6_prefix[2] = 0x0d;
		r->ipv6_prefix[3] = 0xb8;
		r->ipv6_prefix[4] = (uint8_t)((0x1000 + i) >> 8);
		r->ipv6_prefix[5] = (uint8_t)(0x1000 + i);
		r->ipv6_plen = 48;
		r->ipv4_prefix[0] = (uint8_t)(v4 >> 24);
		r->ipv4_prefix[1] = (uint8_t)(v4 >> 16);
		r->ipv4_prefix[2] = (uint8_t)(v4 >> 8);
		r->ipv4_prefix[3] = (uint8_t)v4;
		r->ipv4_plen = 25;
		r->ea_bits = 15;
		r->psid_offset = 6;
		gk_map_rule_normalize(r);
	}
	memset(&ce_rule, 0, sizeof(ce_rule));
	memcpy(ce_rule.ipv6_prefix, eup, 4);
	ce_rule.ipv6_plen = 40;
	ce_rule.ipv4_prefix[0] = 192;
	ce_rule.ipv4_prefix[2] = 2;
	ce_rule.ipv4_plen = 24;
	ce_rule.ea_bits = 16;
	ce_rule.psid_offset = 6;
	gk_map_rule_normalize(&ce_rule);

	{
		struct gk_map_table_cfg c = {
			.role = GK_MAPE_ROLE_BR, .rules = rules,
			.nr_rules = NR_RULES, .bmr = -1, .v4_port_id = V4_PORT,
			.v6_port_id = V6_PORT, .tunnel_mtu = 1460,
		};

		memcpy(c.br_addr, br_addr, 16);
		br = gk_map_table_build(&c, err, sizeof(err));
		if (!br) {
			fprintf(stderr, "br table: %s\n", err);
			return 1;
		}
		c.role = GK_MAPE_ROLE_CE;
		c.rules = &ce_rule;
		c.nr_rules = 1;
		c.bmr = 0;
		memcpy(c.eup, eup, 16);
		c.eup_len = 56;
		ce = gk_map_table_build(&c, err, sizeof(err));
		if (!ce) {
			fprintf(stderr, "ce table: %s\n", err);
			return 1;
		}
	}
	if (gk_map_ce_derive(&ce_rule, eup, 56, &me, err, sizeof(err)))
		return 1;

	tsc = calibrate();
	printf("TSC %.3f GHz; %u BR rules, %d-byte inner packets, %u frames, %" PRIu64 " rounds\n",
	       tsc, NR_RULES, INNER_LEN, NR_FRAMES, rounds);
	printf("%-20s %10s %10s %12s\n", "figure", "Mpps", "cyc/pkt", "ok/total");

	for (m = 0; m < M_MAX; m++) {
		struct gk_mape_ctx ctx;
		uint64_t c = 0, ok = 0, total = 0, r;

		for (i = 0; i < NR_FRAMES; i++) {
			const struct gk_map_rule *rl = &rules[rnd() % NR_RULES];
			uint8_t v4[4];
			uint16_t psid = (uint16_t)(rnd() & 0xff), port;

			rule_v4(rl, v4);
			port = port_of(psid);
			switch (m) {
			case M_BR_DECAP:
				gk_map_br_derive(rl, v4, port, &cp, NULL, 0);
				mk6(&frames[i], cp.ce_ipv6, br_addr, v4, inet,
				    port, 53);
				break;
			case M_BR_ENCAP:
				mk4(&frames[i], inet, v4, 53, port);
				break;
			case M_CE_ENCAP:
				mk4(&frames[i], me.ipv4, inet,
				    port_of(me.psid), 53);
				break;
			default:
				mk6(&frames[i], br_addr, me.ce_ipv6, inet,
				    me.ipv4, 53, port_of(me.psid));
				break;
			}
		}
		memset(&ctx, 0, sizeof(ctx));
		memset(&st, 0, sizeof(st));
		ctx.map = m <= M_BR_ENCAP ? br : ce;
		ctx.stats = &st;
		ctx.dom = dom;
		ctx.nr_dom = m <= M_BR_ENCAP ? NR_RULES + 1 : 2;
		gk_mape_init(&ctx, 0, 0);

		for (r = 0; r < rounds; r++) {
			for (i = 0; i < NR_FRAMES; i += GK_BURST) {
				struct gk_pkt *pk[GK_BURST];
				uint64_t t0;
				unsigned j;

				for (j = 0; j < GK_BURST; j++) {
					restore(&frames[i + j]);
					pk[j] = &frames[i + j].pkt;
				}
				t0 = cycles();
				if (m <= M_BR_ENCAP)
					gk_mape_br_burst(&ctx, pk, GK_BURST);
				else
					gk_mape_ce_burst(&ctx, pk, GK_BURST);
				c += cycles() - t0;
				for (j = 0; j < GK_BURST; j++)
					ok += pk[j]->verdict == GK_V_NONE;
				total += GK_BURST;
			}
		}
		printf("%-20s %10.2f %10.1f %6" PRIu64 "/%" PRIu64 "\n",
		       mode_name[m], tsc * 1e3 / ((double)c / (double)total),
		       (double)c / (double)total, ok / rounds, total / rounds);
	}
	gk_map_table_free(br);
	gk_map_table_free(ce);
	free(rules);
	free(dom);
	return 0;
}
