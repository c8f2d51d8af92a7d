// SPDX-License-Identifier: BSD-3-Clause
/* Shared fixtures of the worker tests: see testbed.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "testbed.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* 2001:db8:ff::1, the gateway towards the BR and 2001:db8:1::/48 */
#define GW6	{ 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 1 }

const struct gk_fib_port tb_l3_ports[3] = {
	{ .ifindex = 10, .port_id = 0, .mac = { 2, 0, 0, 0, 0, 0x0a } },
	{ .ifindex = 11, .port_id = 1, .mac = { 2, 0, 0, 0, 0, 0x0b } },
	/* A genkan port this worker does not serve. */
	{ .ifindex = 12, .port_id = 2, .mac = { 2, 0, 0, 0, 0, 0x0c } },
};

const struct gk_route tb_l3_routes[6] = {
	{ .family = AF_INET, .plen = 24, .has_gw = 1,
	  .dst = TB_A4(198, 51, 100, 0), .gw = TB_A4(198, 18, 0, 254),
	  .ifindex = 11 },
	{ .family = AF_INET, .plen = 24, .dst = TB_A4(198, 18, 0, 0),
	  .ifindex = 11 },
	{ .family = AF_INET, .plen = 25, .dst = TB_A4(203, 0, 113, 0),
	  .ifindex = 12 },
	{ .family = AF_INET, .plen = 25, .dst = TB_A4(192, 0, 2, 128),
	  .ifindex = 10 },
	{ .family = AF_INET6, .plen = 48, .has_gw = 1,
	  .dst = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 }, .gw = GW6, .ifindex = 11 },
	{ .family = AF_INET6, .plen = 64,
	  .dst = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff }, .ifindex = 11 },
};

const struct gk_neigh_entry tb_l3_neighs[5] = {
	{ .family = AF_INET, .addr = TB_A4(198, 18, 0, 254), .ifindex = 11,
	  .mac = { 2, 0, 0, 0, 0xfe, 0x01 } },
	{ .family = AF_INET, .addr = TB_A4(198, 18, 0, 9), .ifindex = 11,
	  .mac = { 2, 0, 0, 0, 0x09, 0x01 } },
	{ .family = AF_INET6, .addr = GW6, .ifindex = 11,
	  .mac = { 2, 0, 0, 0, 0xfe, 0x06 } },
	{ .family = AF_INET, .addr = TB_A4(203, 0, 113, 5), .ifindex = 12,
	  .mac = { 2, 0, 0, 0, 0, 0x05 } },
	{ .family = AF_INET, .addr = TB_A4(192, 0, 2, 200), .ifindex = 10,
	  .mac = { 2, 0, 0, 0, 0, 0xc8 } },
};

struct gk_tables *tb_tables(const struct gk_fib_input *in,
			    uint64_t generation)
{
	struct gk_tables *t;
	struct gk_fib *fib;
	char err[128];

	fib = gk_fib_build(in, err, sizeof(err));
	if (!fib)
		fail_msg("fib: %s", err);
	t = gk_tables_new(fib, generation);
	assert_non_null(t);
	return t;
}

struct gk_tables *tb_l3_tables(void)
{
	struct gk_fib_input in = {
		.routes = tb_l3_routes, .nr_routes = ARRAY_SIZE(tb_l3_routes),
		.neighs = tb_l3_neighs, .nr_neighs = ARRAY_SIZE(tb_l3_neighs),
		.ports = tb_l3_ports, .nr_ports = ARRAY_SIZE(tb_l3_ports),
	};

	return tb_tables(&in, 1);
}

const uint8_t tb_ce_eup[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x12, 0x34 };
const uint8_t tb_ce_addr6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x12, 0x34,
				  0x00, 0, 0, 0xc0, 0x00, 0x02, 0x12,
				  0x00, 0x34 };

struct gk_map_table *tb_ce_map_table(uint16_t tunnel_mtu)
{
	struct gk_map_rule r;
	struct gk_map_table_cfg c = {
		.role = GK_MAPE_ROLE_CE, .rules = &r, .nr_rules = 1, .bmr = 0,
		.br_addr = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 1 },
		.eup_len = 56, .v4_port_id = 0, .v6_port_id = 1,
		.tunnel_mtu = tunnel_mtu,
	};
	struct gk_map_table *t;
	char err[160];

	memset(&r, 0, sizeof(r));
	memcpy(r.ipv6_prefix, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8 }, 4);
	r.ipv6_plen = 40;
	memcpy(r.ipv4_prefix, (uint8_t[]){ 192, 0, 2, 0 }, 4);
	r.ipv4_plen = 24;
	r.ea_bits = 16;
	r.psid_offset = 6;
	snprintf(r.name, sizeof(r.name), "rfc");
	gk_map_rule_normalize(&r);
	memcpy(c.eup, tb_ce_eup, 16);
	t = gk_map_table_build(&c, err, sizeof(err));
	if (!t)
		fail_msg("map table: %s", err);
	return t;
}

struct gk_tables *tb_ce_fib(uint8_t br_plen, unsigned flags)
{
	struct gk_fib_port ports[] = {
		{ .ifindex = 10, .port_id = 0, .mac = { 2, 0, 0, 0, 0, 0x0a },
		  .mtu = 1500 },
		{ .ifindex = 11, .port_id = 1, .mac = { 2, 0, 0, 0, 0, 0x0b },
		  .mtu = 1500 },
	};
	struct gk_route rts[4];
	struct gk_neigh_entry nbs[2];
	struct gk_fib_input in = {
		.routes = rts, .neighs = nbs,
		.ports = ports, .nr_ports = ARRAY_SIZE(ports),
	};
	size_t nr = 0, nn = 0;

	memset(rts, 0, sizeof(rts));
	memset(nbs, 0, sizeof(nbs));
	if (flags & TB_CE_LAN4) {
		ports[0].has_addr4 = 1;
		memcpy(ports[0].addr4, (uint8_t[]){ 198, 18, 0, 1 }, 4);
		rts[nr++] = (struct gk_route){ .family = AF_INET, .plen = 32,
			.dst = TB_A4(192, 0, 2, 18), .ifindex = 10 };
		nbs[nn++] = (struct gk_neigh_entry){ .family = AF_INET,
			.addr = TB_A4(192, 0, 2, 18), .ifindex = 10,
			.mac = { 2, 0, 0, 0, 0, 0xc8 } };
	}
	if (flags & TB_CE_TRANSIT6)
		rts[nr++] = (struct gk_route){ .family = AF_INET6, .plen = 48,
			.has_gw = 1, .dst = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 },
			.gw = GW6, .ifindex = 11 };
	rts[nr] = (struct gk_route){ .family = AF_INET6, .plen = br_plen,
		.has_gw = 1, .gw = GW6, .ifindex = 11 };
	if (br_plen)
		memcpy(rts[nr].dst, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8,
						 0xff, 0xff }, 6);
	nr++;
	if (flags & TB_CE_TRANSIT6)
		rts[nr++] = (struct gk_route){ .family = AF_INET6, .plen = 64,
			.dst = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff },
			.ifindex = 11 };
	nbs[nn++] = (struct gk_neigh_entry){ .family = AF_INET6, .addr = GW6,
		.ifindex = 11, .mac = { 2, 0, 0, 0, 0xfe, 0x06 } };
	in.nr_routes = nr;
	in.nr_neighs = nn;
	return tb_tables(&in, 1);
}

int tb_name_idx(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	fail_msg("unknown name %s", s);
	return -1;
}

bool tb_icmp4_answers(const uint8_t *b, uint32_t len, const uint8_t *in,
		      int type)
{
	return len >= 14 + 20 + 8 + 20 && (b[12] << 8 | b[13]) == 0x0800 &&
	       b[14 + 9] == 1 && b[14 + 20] == type &&
	       !memcmp(b, in + 6, 6) &&
	       !memcmp(b + 14 + 16, in + 14 + 12, 4) &&
	       !memcmp(b + 14 + 28 + 12, in + 14 + 12, 8);
}
