// SPDX-License-Identifier: BSD-3-Clause
/*
 * [wireguard] / [wireguard-peer] parsing. Oracles: the fixture text, the
 * RFC 7748 §6.1 X25519 vector (Alice's key pair) for the "peer is
 * ourselves" check, and base64 of known byte strings computed by Python.
 * Error messages must name the line and never contain a key's value.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "ctl/config.h"

/* RFC 7748 §6.1: Alice's private and public key, base64. */
#define ALICE_PRIV	"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
#define ALICE_PUB	"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo="
#define KEY_0_31	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="	/* bytes 0..31 */
#define KEY_AA		"qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo="	/* 32 x 0xaa */

#define PORTS "[port wan]\ninterface = eth0\n[port lan]\ninterface = eth1\n"

static int parse(const char *text, struct gk_config *cfg, char *err, size_t len)
{
	return gk_config_parse(text, strlen(text), "wg.conf", cfg, err, len);
}

static void test_wg_full(void **state)
{
	static const char text[] =
		PORTS
		"[wireguard]\n"
		"PrivateKey = " ALICE_PRIV "\n"
		"ListenPort = 51820\n"
		"port = wan\n"
		"mtu = 1380\n"
		"crypto = openssl\n"
		"\n"
		"[wireguard-peer home]\n"
		"# pasted from a wg-quick [Peer]\n"
		"PublicKey = " KEY_0_31 "\n"
		"PresharedKey = " KEY_AA "\n"
		"AllowedIPs = 192.0.2.0/24, 2001:db8:1::/48\n"
		"AllowedIPs = 198.51.100.77/24\n"
		"Endpoint = 203.0.113.9:51821\n"
		"PersistentKeepalive = 25\n"
		"[wireguard-peer roadwarrior]\n"
		"publickey = " KEY_AA "\n"
		"allowedips = 198.18.0.1\n"
		"endpoint = [2001:db8::5]:4500\n";
	static const uint8_t k031[32] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
		18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };
	const struct gk_config_wg_peer *p;
	struct gk_config cfg, copy;
	uint8_t a[16], aa[32];
	char err[1024];

	(void)state;
	memset(aa, 0xaa, sizeof(aa));
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
	assert_non_null(cfg.wg);
	assert_true(cfg.wg->enabled);
	assert_int_equal(cfg.wg->listen_port, 51820);
	assert_string_equal(cfg.wg->port, "wan");
	assert_int_equal(cfg.wg->mtu, 1380);
	assert_int_equal(cfg.wg->crypto, GK_CONFIG_WG_CRYPTO_OPENSSL);
	/* RFC 7748 private keys are given clamped already except byte 0/31. */
	assert_int_equal(cfg.wg->priv[0], 0x77 & 248);
	assert_int_equal(cfg.wg->priv[31], (0x2a & 127) | 64);
	assert_int_equal(cfg.wg->nr_peers, 2);

	p = &cfg.wg->peers[0];
	assert_string_equal(p->name, "home");
	assert_memory_equal(p->pub, k031, 32);
	assert_memory_equal(p->psk, aa, 32);
	assert_int_equal(p->keepalive_s, 25);
	assert_int_equal(p->nr_allowed, 3);
	assert_int_equal(p->allowed[0].family, AF_INET);
	assert_int_equal(p->allowed[0].plen, 24);
	inet_pton(AF_INET, "192.0.2.0", a);
	assert_memory_equal(p->allowed[0].addr, a, 4);
	assert_int_equal(p->allowed[1].family, AF_INET6);
	assert_int_equal(p->allowed[1].plen, 48);
	inet_pton(AF_INET6, "2001:db8:1::", a);
	assert_memory_equal(p->allowed[1].addr, a, 16);
	/* Host bits are cleared, as wg(8) does. */
	inet_pton(AF_INET, "198.51.100.0", a);
	assert_memory_equal(p->allowed[2].addr, a, 4);
	assert_int_equal(p->ep.family, AF_INET);
	assert_int_equal(p->ep.port, 51821);
	inet_pton(AF_INET, "203.0.113.9", a);
	assert_memory_equal(p->ep.addr, a, 4);

	p = &cfg.wg->peers[1];
	assert_string_equal(p->name, "roadwarrior");
	assert_memory_equal(p->pub, aa, 32);
	assert_int_equal(p->keepalive_s, 0);
	assert_int_equal(p->nr_allowed, 1);
	assert_int_equal(p->allowed[0].plen, 32);
	assert_int_equal(p->ep.family, AF_INET6);
	assert_int_equal(p->ep.port, 4500);
	inet_pton(AF_INET6, "2001:db8::5", a);
	assert_memory_equal(p->ep.addr, a, 16);

	assert_int_equal(gk_config_copy(&copy, &cfg), 0);
	assert_ptr_not_equal(copy.wg, cfg.wg);
	assert_true(gk_config_wg_equal(copy.wg, cfg.wg));
	copy.wg->crypto = GK_CONFIG_WG_CRYPTO_IPSECMB;
	assert_false(gk_config_wg_equal(copy.wg, cfg.wg));
	copy.wg->crypto = cfg.wg->crypto;
	copy.wg->peers[1].keepalive_s = 5;
	assert_false(gk_config_wg_equal(copy.wg, cfg.wg));
	gk_config_free(&copy);
	gk_config_free(&cfg);
	assert_null(cfg.wg);
	gk_config_free(&cfg);
}

static void test_wg_absent(void **state)
{
	struct gk_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(PORTS, &cfg, err, sizeof(err)), 0);
	assert_null(cfg.wg);
	gk_config_free(&cfg);
}

static void test_wg_defaults(void **state)
{
	static const char text[] = PORTS "[wireguard]\nprivatekey = " KEY_AA
		"\nlistenport = 1\nport = lan\nenabled = no\n";
	struct gk_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.wg->mtu, 1420);
	assert_int_equal(cfg.wg->crypto, GK_CONFIG_WG_CRYPTO_AUTO);
	assert_false(cfg.wg->enabled);
	assert_int_equal(cfg.wg->nr_peers, 0);
	gk_config_free(&cfg);
}

struct bad {
	const char *text;
	const char *msg;	/* "wg.conf:LINE: fragment" */
};

#define WG_HDR PORTS "[wireguard]\nPrivateKey = " ALICE_PRIV "\nListenPort = 51820\nport = wan\n"
/* WG_HDR is 8 lines; a peer header follows on line 9. */

static const struct bad bad[] = {
	{ PORTS "[wireguard]\nListenPort = 1\nport = wan\n",
	  "wg.conf:5: [wireguard] needs PrivateKey" },
	{ PORTS "[wireguard]\nPrivateKey = " ALICE_PRIV "\nport = wan\n",
	  "wg.conf:5: [wireguard] needs ListenPort" },
	{ PORTS "[wireguard]\nPrivateKey = " ALICE_PRIV "\nListenPort = 1\n",
	  "wg.conf:5: [wireguard] needs port" },
	{ PORTS "[wireguard]\nPrivateKey = " ALICE_PRIV "\nListenPort = 1\nport = nope\n",
	  "wg.conf:8: port 'nope' is not a [port] section" },
	{ PORTS "[wireguard]\nPrivateKey = c2VjcmV0c2VjcmV0\nListenPort = 1\nport = wan\n",
	  "wg.conf:6: invalid PrivateKey" },
	{ WG_HDR "ListenPort = 2\n", "wg.conf:9: duplicate key 'ListenPort'" },
	{ WG_HDR "MTU = 9999\n", "wg.conf:9: invalid MTU '9999'" },
	{ WG_HDR "crypto = aesni\n",
	  "wg.conf:9: invalid crypto 'aesni' (expected auto | ipsec-mb | openssl)" },
	{ WG_HDR "Crypto = ipsec-mb\ncrypto = openssl\n", "wg.conf:10: duplicate" },
	{ WG_HDR "Address = 10.0.0.1/24\n", "wg.conf:9: unknown key 'Address' in [wireguard]" },
	{ WG_HDR "[wireguard]\n", "wg.conf:9: duplicate section [wireguard]" },
	{ WG_HDR "[wireguard-peer]\n", "wg.conf:9: wireguard-peer section needs a name" },
	{ WG_HDR "[wireguard-peer a]\nAllowedIPs = 10.0.0.0/8\n",
	  "wg.conf:9: wireguard-peer 'a' needs PublicKey" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " ALICE_PUB "\n",
	  "wg.conf:10: wireguard-peer 'a' has our own public key" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\n[wireguard-peer b]\nPublicKey = " KEY_AA "\n",
	  "wg.conf:12: wireguard-peer 'b' has the public key of 'a'" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\n[wireguard-peer a]\n",
	  "wg.conf:11: duplicate wireguard-peer 'a'" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\nAllowedIPs = 10.0.0.0/33\n",
	  "wg.conf:11: invalid AllowedIPs entry '10.0.0.0/33'" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\nEndpoint = vpn.example.org:51820\n",
	  "wg.conf:11: invalid Endpoint 'vpn.example.org:51820'" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\nEndpoint = [2001:db8::1]\n",
	  "wg.conf:11: invalid Endpoint" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\nPersistentKeepalive = 70000\n",
	  "wg.conf:11: invalid PersistentKeepalive" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\nPresharedKey = short\n",
	  "wg.conf:11: invalid PresharedKey" },
	{ PORTS "[wireguard-peer a]\nPublicKey = " KEY_AA "\n",
	  "wg.conf:5: wireguard-peer sections need a [wireguard] section" },
	{ PORTS "[wireguard]\nPrivateKeyFile = /nonexistent/wg.key\nListenPort = 1\nport = wan\n",
	  "wg.conf:6: PrivateKeyFile '/nonexistent/wg.key': No such file" },
};

static void test_wg_bad(void **state)
{
	size_t i, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gk_config cfg;
		char err[2048];
		int ret;

		memset(&cfg, 0x5a, sizeof(cfg));
		ret = parse(bad[i].text, &cfg, err, sizeof(err));
		if (ret != -EINVAL || !strstr(err, bad[i].msg)) {
			fprintf(stderr, "case %zu: ret %d, want '%s', got:\n%s\n",
				i, ret, bad[i].msg, err);
			failed++;
		}
		/* No key material in any message. */
		if (strstr(err, "c2VjcmV0") || strstr(err, ALICE_PRIV) ||
		    strstr(err, KEY_AA)) {
			fprintf(stderr, "case %zu: a key leaked into: %s\n", i, err);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wg_full),
		cmocka_unit_test(test_wg_absent),
		cmocka_unit_test(test_wg_defaults),
		cmocka_unit_test(test_wg_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
