/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared fixtures of the worker tests (tests/afxdp/test_worker.c,
 * tests/dataplane/test_accounting.c, test_acct_napt.c, tests/dpdk/
 * test_dpdk.c, and through tests/afxdp/wcorpus.c test_worker_afxdp.c):
 * the L3 FIB of the worker rig and the MAP-E CE of RFC 7597
 * Appendix A, example 1. Setup only: a failure is a cmocka fail_msg(); what
 * each test expects stays in the test (and in its scapy fixtures).
 */
#ifndef GK_TESTBED_H
#define GK_TESTBED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fib.h"
#include "map_table.h"
#include "tables.h"

#define TB_A4(a, b, c, d)	{ a, b, c, d }

/*
 * The L3 rig: ports 10/0 (…:0a), 11/1 (…:0b) and 12/2 (…:0c, a genkan
 * port the worker does not serve); routes to 198.51.100.0/24 via
 * 198.18.0.254, 198.18.0.0/24 and 2001:db8:ff::/64 on 11, 203.0.113.0/25
 * on 12, 192.0.2.128/25 on 10, 2001:db8:1::/48 via 2001:db8:ff::1.
 */
extern const struct gk_fib_port tb_l3_ports[3];
extern const struct gk_route tb_l3_routes[6];
extern const struct gk_neigh_entry tb_l3_neighs[5];

/* gk_fib_build() and gk_tables_new(fib, generation), or fail the test. */
struct gk_tables *tb_tables(const struct gk_fib_input *in,
			    uint64_t generation);
/* The L3 rig's tables, generation 1. */
struct gk_tables *tb_l3_tables(void);

/*
 * RFC 7597 Appendix A, example 1: rule 2001:db8::/40 <-> 192.0.2.0/24,
 * EA bits 16, PSID offset 6; End-user prefix 2001:db8:12:3400::/56 gives
 * 192.0.2.18 PSID 0x34 and the CE address tb_ce_addr6. BR 2001:db8:ffff::1,
 * IPv4 on port 0, IPv6 on port 1.
 */
extern const uint8_t tb_ce_eup[16];
extern const uint8_t tb_ce_addr6[16];
struct gk_map_table *tb_ce_map_table(uint16_t tunnel_mtu);

/*
 * The CE's FIB: port 10/0 (LAN, …:0a) and 11/1 (WAN, …:0b), MTU 1500,
 * 2001:db8:ff::1 (…:fe:06) the WAN gateway towards the BR:
 *   br_plen 0: a default route via it; 48: 2001:db8:ffff::/48 via it.
 *   TB_CE_LAN4: port 0 has 198.18.0.1; 192.0.2.18/32 on port 0 with its
 *	neighbour (…:c8).
 *   TB_CE_TRANSIT6: 2001:db8:1::/48 via the gateway, 2001:db8:ff::/64 on
 *	link.
 */
enum {
	TB_CE_LAN4 = 1 << 0,
	TB_CE_TRANSIT6 = 1 << 1,
};
struct gk_tables *tb_ce_fib(uint8_t br_plen, unsigned flags);

/*
 * Whether frame b is an ICMPv4 error of the given type back to the sender
 * of Ethernet frame in (to its MAC and IPv4 source), quoting in's IPv4
 * addresses.
 */
bool tb_icmp4_answers(const uint8_t *b, uint32_t len, const uint8_t *in,
		      int type);

/* The index of s in names[0..n), or fail the test. */
int tb_name_idx(const char *const *names, int n, const char *s);

#endif
