/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixed configuration every packet harness builds its tables from,
 * once, before the first input (documentation addresses only):
 *
 *   port 0  ifindex 10  "wan"  192.0.2.1/24       2001:db8:0:1::1/64
 *   port 1  ifindex 11  "lan"  198.51.100.1/24    2001:db8:0:2::1/64
 *   port 2  ifindex 12  "wg"   203.0.113.1/24     (WireGuard 51820)
 *   routes: 0.0.0.0/0 via 192.0.2.254, 198.51.100.0/24 on lan,
 *           203.0.113.128/25 on wg, 198.18.0.0/16 blackhole,
 *           ::/0 via 2001:db8:0:1::fe, 2001:db8:0:2::/64 on lan
 *   neighbours: 192.0.2.254, 198.51.100.2, 2001:db8:0:1::fe (the others
 *           are unresolved, so neighbour requests and holds run too)
 *   MAP-E (RFC 7597 appendix A style): BMR 2001:db8:100::/40 <->
 *           198.51.100.0/24, 16 EA bits, a = 6; BR 2001:db8:ffff::1;
 *           CE 198.51.100.18 PSID 0x34 (fz_ce_addr6)
 *   L4 service 203.0.113.10 tcp 443 and udp 53, [2001:db8:0:9::10]:443 tcp
 */
#ifndef GK_FUZZ_CFG_H
#define GK_FUZZ_CFG_H

#include <stdint.h>

#include "cls_tables.h"
#include "fib.h"

#define FZ_PORT_WAN	0
#define FZ_PORT_LAN	1
#define FZ_PORT_WG	2
#define FZ_NR_PORTS	3
#define FZ_WG_PORT	51820

extern const uint8_t fz_br_addr6[16];
extern const uint8_t fz_ce_addr6[16];
extern const uint8_t fz_ce_addr4[4];
extern const uint8_t fz_bmr_v6[16];
extern const uint8_t fz_bmr_v4[4];
#define FZ_BMR_V6_LEN	40
#define FZ_BMR_V4_LEN	24
#define FZ_BMR_EA	16
#define FZ_BMR_A	6
#define FZ_CE_PSID	0x34
#define FZ_EUP_LEN	56

/* The FIB above; aborts on failure. */
struct gk_fib *fz_fib(void);
/*
 * Classifier tables for a role: MAP-E CE (ce), MAP-E BR (br), L4 (l4)
 * entries on top of the local addresses and WireGuard.
 */
enum fz_role { FZ_ROLE_ROUTER, FZ_ROLE_CE, FZ_ROLE_BR };
struct gk_cls_tables *fz_cls(enum fz_role role, uint32_t cfg_flags);
/*
 * The four table sets the classify harnesses pick from by ctl bits 2-3:
 * router, CE sending expiring TTLs to the kernel, BR with L4, router with
 * L4 (listen addresses on a local address too) and expiring TTLs to the
 * kernel.
 */
#define FZ_NR_CLS	4
void fz_cls_sets(struct gk_cls_tables *tbl[FZ_NR_CLS]);

#endif
