/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classifier fixture table, as written by gen_fixtures.py (scapy). Shared
 * by test_parse (software classifier) and test_classifier (XDP program).
 */
#ifndef GK_TEST_FIXTURES_H
#define GK_TEST_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <genkan/meta.h>

enum fx_action { FX_REDIRECT, FX_PASS, FX_DROP };

struct fixture {
	char name[64];
	enum fx_action action;
	int cls;			/* enum gk_class; DROPPED for drops */
	int drop;			/* enum gk_xdp_drop, -1 unless FX_DROP */
	struct gk_xdp_meta meta;	/* expected, FX_REDIRECT only */
	uint8_t *data;
	uint32_t len;
	bool mape_ce_port;		/* arrives on a GK_PORT_F_MAPE_CE_V4 port */
	bool wg_off;			/* gk_wg empty: WireGuard off */
};

/* Parse the fixture file; returns 0 or -errno (message on stderr). */
int fx_load(const char *path, struct fixture **out, size_t *n);
void fx_free(struct fixture *fx, size_t n);

const char *fx_class_name(int cls);
const char *fx_drop_name(int drop);
const char *fx_action_name(enum fx_action a);

/* Local addresses the fixtures assume. */
#define FX_LOCAL4	"192.0.2.1"
#define FX_LOCAL6	"2001:db8::1"
#define FX_LOCAL6_BR	"2001:db8::b"	/* also the MAP-E BR address */
#define FX_WG_PORT	51820		/* WireGuard listen port (gk_wg) */

/* MAP-E map contents the fixtures assume (see gen_fixtures.py). */
struct fx_mape6 {
	const char *addr;
	uint8_t cls;
};

struct fx_mape4 {
	const char *prefix;
	uint8_t plen;
	uint8_t cls;
};

static const struct fx_mape6 fx_mape6[] = {
	{ "2001:db8:12:3400:0:c000:212:34", GK_CLASS_MAPE_CE },
	{ FX_LOCAL6_BR, GK_CLASS_MAPE_BR },
	{ "2001:db8:ffff::99", GK_CLASS_TRANSIT },	/* not MAP-E: ignored */
};

static const struct fx_mape4 fx_mape4[] = {
	{ "198.18.0.0", 16, GK_CLASS_MAPE_BR },
	{ "198.18.5.0", 24, GK_CLASS_MAPE_CE },
	{ "192.0.2.0", 28, GK_CLASS_MAPE_BR },
	{ "198.19.0.0", 16, GK_CLASS_TRANSIT },		/* ignored */
};

#define FX_NR_MAPE6	(sizeof(fx_mape6) / sizeof(fx_mape6[0]))
#define FX_NR_MAPE4	(sizeof(fx_mape4) / sizeof(fx_mape4[0]))

/* gk_l4svc (GK_CFG_F_L4) the fixtures assume (see gen_fixtures.py). */
struct fx_l4 {
	uint8_t family, proto;
	const char *addr;
	uint16_t port;
};

static const struct fx_l4 fx_l4[] = {
	{ 4, 6, "203.0.113.80", 443 },
	{ 4, 6, FX_LOCAL4, 8443 },
	{ 4, 17, "203.0.113.80", 5300 },
	{ 6, 6, "2001:db8:2::80", 443 },
};

#define FX_NR_L4	(sizeof(fx_l4) / sizeof(fx_l4[0]))

/* Software twin callbacks over the tables above (host-independent). */
bool fx_l4svc(void *arg, uint8_t family, uint8_t proto, const uint8_t *addr,
	      uint16_t port);
int fx_mape_v6(void *arg, const uint8_t addr[16]);
int fx_mape_v4(void *arg, uint32_t addr_be);
bool fx_is_local4(void *arg, uint32_t addr_be);
bool fx_is_local6(void *arg, const uint8_t addr[16]);

#endif
