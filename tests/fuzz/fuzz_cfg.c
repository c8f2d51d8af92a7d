// SPDX-License-Identifier: BSD-3-Clause
/* The harnesses' fixed configuration; see fuzz_cfg.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <genkan/bpf_maps.h>
#include "fuzz_cfg.h"

const uint8_t fz_br_addr6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 1 };
/* RFC 7597 §6: 2001:db8:1[00:12]:34[00]:0:c633:6412:34 */
const uint8_t fz_ce_addr6[16] = {
	0x20, 0x01, 0x0d, 0xb8, 0x01, 0x12, 0x34, 0x00,
	0x00, 0x00, 0xc6, 0x33, 0x64, 0x12, 0x00, 0x34,
};
const uint8_t fz_ce_addr4[4] = { 198, 51, 100, 18 };
const uint8_t fz_bmr_v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x01 };
const uint8_t fz_bmr_v4[4] = { 198, 51, 100, 0 };

static void a4(uint8_t *dst, const char *s)
{
	if (inet_pton(AF_INET, s, dst) != 1)
		abort();
}

static void a6(uint8_t *dst, const char *s)
{
	if (inet_pton(AF_INET6, s, dst) != 1)
		abort();
}

struct gk_fib *fz_fib(void)
{
	static const struct { const char *v4, *v6; } pa[FZ_NR_PORTS] = {
		{ "192.0.2.1", "2001:db8:0:1::1" },
		{ "198.51.100.1", "2001:db8:0:2::1" },
		{ "203.0.113.1", NULL },
	};
	struct gk_fib_port ports[FZ_NR_PORTS];
	struct gk_route rt[7];
	struct gk_neigh_entry ne[3];
	struct gk_fib_input in = {
		.routes = rt, .nr_routes = 7, .neighs = ne, .nr_neighs = 3,
		.ports = ports, .nr_ports = FZ_NR_PORTS,
	};
	struct gk_fib *fib;
	char err[128];
	unsigned i;

	memset(ports, 0, sizeof(ports));
	memset(rt, 0, sizeof(rt));
	memset(ne, 0, sizeof(ne));
	for (i = 0; i < FZ_NR_PORTS; i++) {
		ports[i].ifindex = 10 + i;
		ports[i].port_id = (uint16_t)i;
		ports[i].mac[0] = 2;
		ports[i].mac[5] = (uint8_t)(i + 1);
		ports[i].mtu = 1500;
		ports[i].has_addr4 = 1;
		a4(ports[i].addr4, pa[i].v4);
		if (pa[i].v6) {
			ports[i].has_addr6 = 1;
			a6(ports[i].addr6, pa[i].v6);
		}
	}
	rt[0] = (struct gk_route){ .family = AF_INET, .plen = 0, .has_gw = 1, .ifindex = 10 };
	a4(rt[0].gw, "192.0.2.254");
	rt[1] = (struct gk_route){ .family = AF_INET, .plen = 24, .ifindex = 11 };
	a4(rt[1].dst, "198.51.100.0");
	rt[2] = (struct gk_route){ .family = AF_INET, .plen = 25, .ifindex = 12 };
	a4(rt[2].dst, "203.0.113.128");
	rt[3] = (struct gk_route){ .family = AF_INET, .plen = 16, .blackhole = 1 };
	a4(rt[3].dst, "198.18.0.0");
	rt[4] = (struct gk_route){ .family = AF_INET6, .plen = 0, .has_gw = 1, .ifindex = 10 };
	a6(rt[4].gw, "2001:db8:0:1::fe");
	rt[5] = (struct gk_route){ .family = AF_INET6, .plen = 64, .ifindex = 11 };
	a6(rt[5].dst, "2001:db8:0:2::");
	rt[6] = (struct gk_route){ .family = AF_INET, .plen = 24, .ifindex = 10 };
	a4(rt[6].dst, "192.0.2.0");
	ne[0] = (struct gk_neigh_entry){ .family = AF_INET, .ifindex = 10,
					 .mac = { 2, 0, 0, 0, 0, 0xfe } };
	a4(ne[0].addr, "192.0.2.254");
	ne[1] = (struct gk_neigh_entry){ .family = AF_INET, .ifindex = 11,
					 .mac = { 2, 0, 0, 0, 1, 2 } };
	a4(ne[1].addr, "198.51.100.2");
	ne[2] = (struct gk_neigh_entry){ .family = AF_INET6, .ifindex = 10,
					 .mac = { 2, 0, 0, 0, 6, 0xfe } };
	a6(ne[2].addr, "2001:db8:0:1::fe");
	fib = gk_fib_build(&in, err, sizeof(err));
	if (!fib) {
		fprintf(stderr, "fuzz: fib: %s\n", err);
		abort();
	}
	return fib;
}

/*
 * local_svc: two more listen addresses, on a local address: TCP 443 and
 * UDP on WireGuard's port (rule 10 on local frames, and what WireGuard's
 * rule takes first).
 */
static struct gk_cls_tables *cls_build(enum fz_role role, uint32_t cfg_flags,
				       bool local_svc)
{
	uint32_t local4[3];
	uint8_t local6[3][16];
	struct gk_cls_v6 m6[2];
	struct gk_cls_v4 m4[1];
	struct gk_l4_key l4[5];
	uint32_t pflags[GK_MAX_PORTS] = { 0 };
	struct gk_cls_input in = {
		.local4 = local4, .nr_local4 = 3,
		.local6 = (const uint8_t (*)[16])local6, .nr_local6 = 2,
		.mape6 = m6, .mape4 = m4,
		.l4 = l4, .nr_l4 = local_svc ? 5 : 3,
		.cfg_flags = cfg_flags,
		.wg_listen_port = FZ_WG_PORT, .wg_port_id = FZ_PORT_WG,
		.port_flags = pflags,
	};
	struct gk_cls_tables *t;

	a4((uint8_t *)&local4[0], "192.0.2.1");
	a4((uint8_t *)&local4[1], "198.51.100.1");
	a4((uint8_t *)&local4[2], "203.0.113.1");
	a6(local6[0], "2001:db8:0:1::1");
	a6(local6[1], "2001:db8:0:2::1");
	memset(m6, 0, sizeof(m6));
	memset(m4, 0, sizeof(m4));
	memset(l4, 0, sizeof(l4));
	if (role == FZ_ROLE_CE) {
		memcpy(m6[0].addr, fz_ce_addr6, 16);
		m6[0].cls = GK_CLASS_MAPE_CE;
		in.nr_mape6 = 1;
		pflags[FZ_PORT_LAN] = GK_PORT_F_MAPE_CE_V4;
	} else if (role == FZ_ROLE_BR) {
		memcpy(m6[0].addr, fz_br_addr6, 16);
		m6[0].cls = GK_CLASS_MAPE_BR;
		in.nr_mape6 = 1;
		memcpy(&m4[0].prefix, fz_bmr_v4, 4);
		m4[0].plen = FZ_BMR_V4_LEN;
		m4[0].cls = GK_CLASS_MAPE_BR;
		in.nr_mape4 = 1;
	}
	l4[0] = (struct gk_l4_key){ .family = 4, .proto = 6, .port = htons(443) };
	a4((uint8_t *)l4[0].addr, "203.0.113.10");
	l4[1] = (struct gk_l4_key){ .family = 4, .proto = 17, .port = htons(53) };
	a4((uint8_t *)l4[1].addr, "203.0.113.10");
	l4[2] = (struct gk_l4_key){ .family = 6, .proto = 6, .port = htons(443) };
	a6((uint8_t *)l4[2].addr, "2001:db8:0:9::10");
	l4[3] = (struct gk_l4_key){ .family = 4, .proto = 6, .port = htons(443) };
	a4((uint8_t *)l4[3].addr, "203.0.113.1");
	l4[4] = (struct gk_l4_key){ .family = 4, .proto = 17,
				    .port = htons(FZ_WG_PORT) };
	a4((uint8_t *)l4[4].addr, "203.0.113.1");
	t = gk_cls_tables_build(&in);
	if (!t)
		abort();
	return t;
}

struct gk_cls_tables *fz_cls(enum fz_role role, uint32_t cfg_flags)
{
	return cls_build(role, cfg_flags, false);
}

void fz_cls_sets(struct gk_cls_tables *tbl[FZ_NR_CLS])
{
	tbl[0] = fz_cls(FZ_ROLE_ROUTER, 0);
	tbl[1] = fz_cls(FZ_ROLE_CE, GK_CFG_F_TTL_TO_KERNEL);
	tbl[2] = fz_cls(FZ_ROLE_BR, GK_CFG_F_L4);
	tbl[3] = cls_build(FZ_ROLE_ROUTER, GK_CFG_F_L4 | GK_CFG_F_TTL_TO_KERNEL,
			   true);
}
