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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

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

/* return_path = flow | allowed-ips per peer; allowed-ips by default. */
static void test_wg_return_path(void **state)
{
	static const char text[] = PORTS "[wireguard]\nprivatekey = " KEY_AA
		"\nlistenport = 1\nport = lan\n"
		"[wireguard-peer door]\npublickey = " KEY_0_31
		"\nAllowedIPs = 198.18.0.1/32\nreturn_path = flow\n"
		"[wireguard-peer plain]\npublickey = " ALICE_PUB "\n"
		"[wireguard-peer said]\npublickey = " KEY_AA
		"\nreturn_path = Allowed-IPs\n";
	struct gk_config cfg, copy;
	char err[256];

	(void)state;
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.wg->nr_peers, 3);
	assert_true(cfg.wg->peers[0].return_flow);
	assert_int_equal(cfg.wg->peers[0].key_line[WGP_RETURN_PATH], 12);
	assert_false(cfg.wg->peers[1].return_flow);
	assert_false(cfg.wg->peers[2].return_flow);
	/* a change of return_path is a change of the WireGuard config */
	assert_int_equal(gk_config_copy(&copy, &cfg), 0);
	assert_true(gk_config_wg_equal(copy.wg, cfg.wg));
	copy.wg->peers[0].return_flow = false;
	assert_false(gk_config_wg_equal(copy.wg, cfg.wg));
	gk_config_free(&copy);
	gk_config_free(&cfg);
}

/* wg-quick's Address, over several lines; host bits kept; host_interface. */
static void test_wg_host_path(void **state)
{
	static const char text[] = PORTS "[wireguard]\nprivatekey = " KEY_AA
		"\nlistenport = 1\nport = lan\n"
		"Address = 192.0.2.1/24, 2001:db8:0:1::1/64\n"
		"address = 198.51.100.7\n"
		"[wireguard-peer home]\nPublicKey = " KEY_0_31 "\n"
		"AllowedIPs = 192.0.2.2/32, 203.0.113.0/24, 2001:db8:0:1::2/128\n";
	static const char named[] = PORTS "[wireguard]\nprivatekey = " KEY_AA
		"\nlistenport = 1\nport = lan\nAddress = 192.0.2.1/24\n"
		"host_interface = gk-host.0\n";
	const struct gk_config_wg_addr *a;
	uint8_t v4[4], v6[16];
	struct gk_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.wg->nr_addrs, 3);
	assert_string_equal(cfg.wg->host_if, "genkan-wg");
	a = cfg.wg->addrs;
	assert_int_equal(inet_pton(AF_INET, "192.0.2.1", v4), 1);
	assert_int_equal(a[0].family, AF_INET);
	assert_int_equal(a[0].plen, 24);
	assert_memory_equal(a[0].addr, v4, 4);
	assert_int_equal(cfg.wg->addr_line[0], 9);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:0:1::1", v6), 1);
	assert_int_equal(a[1].family, AF_INET6);
	assert_int_equal(a[1].plen, 64);
	assert_memory_equal(a[1].addr, v6, 16);
	assert_int_equal(inet_pton(AF_INET, "198.51.100.7", v4), 1);
	assert_int_equal(a[2].plen, 32);
	assert_memory_equal(a[2].addr, v4, 4);
	assert_int_equal(cfg.wg->addr_line[2], 10);
	gk_config_free(&cfg);

	assert_int_equal(parse(named, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.wg->host_if, "gk-host.0");
	assert_int_equal(cfg.wg->nr_addrs, 1);
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
	{ WG_HDR "DNS = 192.0.2.53\n", "wg.conf:9: unknown key 'DNS' in [wireguard]" },
	/* The host path (Address, host_interface). */
	{ WG_HDR "Address = 192.0.2.1/33\n",
	  "wg.conf:9: invalid Address entry '192.0.2.1/33' (expected ADDR[/LEN])" },
	{ WG_HDR "Address = 192.0.2.1/24, gateway\n",
	  "wg.conf:9: invalid Address entry 'gateway'" },
	{ WG_HDR "Address = 192.0.2.1/24\nhost_interface = a/b\n",
	  "wg.conf:10: invalid host_interface 'a/b'" },
	{ WG_HDR "Address = 192.0.2.1/24\nhost_interface = sixteen-chars-xx\n",
	  "wg.conf:10: invalid host_interface 'sixteen-chars-xx'" },
	{ WG_HDR "host_interface = gk0\n",
	  "wg.conf:9: host_interface needs Address" },
	{ WG_HDR "Address = 192.0.2.1/24\nAddress = 2001:db8::1/64, 192.0.2.1/32\n",
	  "wg.conf:10: Address 192.0.2.1 given twice (first at line 9)" },
	{ WG_HDR "Address = 2001:db8::1/64\nAddress = 192.0.2.1/24\n[wireguard-peer a]\n"
	  "PublicKey = " KEY_AA "\nAllowedIPs = 198.51.100.0/24, 192.0.2.0/25\n",
	  "wg.conf:10: Address 192.0.2.1 is inside AllowedIPs of wireguard-peer 'a' (line 13)" },
	{ WG_HDR "Address = 2001:db8::1/64\n[wireguard-peer a]\n"
	  "PublicKey = " KEY_AA "\nAllowedIPs = ::/0\n",
	  "wg.conf:9: Address 2001:db8::1 is inside AllowedIPs of wireguard-peer 'a' (line 12)" },
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
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\nEndpoint = vpn.example.org\n",
	  "wg.conf:11: invalid Endpoint 'vpn.example.org': missing :PORT" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\nEndpoint = [2001:db8::1]\n",
	  "wg.conf:11: invalid Endpoint '[2001:db8::1]': missing :PORT" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\nEndpoint = 2001:db8::1:51820\n",
	  "wg.conf:11: invalid Endpoint '2001:db8::1:51820': an IPv6 address needs brackets" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\nEndpoint = 192.0.2.300:51820\n",
	  "wg.conf:11: invalid Endpoint '192.0.2.300:51820': invalid IPv4 address" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\nendpoint = frontdoor.test:0\n",
	  "wg.conf:11: invalid endpoint 'frontdoor.test:0': port must be 1..65535" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\nEndpoint = front door.test:1\n",
	  "wg.conf:11: invalid Endpoint 'front door.test:1': invalid host name" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\nPersistentKeepalive = 70000\n",
	  "wg.conf:11: invalid PersistentKeepalive" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\nPresharedKey = short\n",
	  "wg.conf:11: invalid PresharedKey" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\nreturn_path = flows\n",
	  "wg.conf:11: invalid return_path 'flows' (expected flow | allowed-ips)" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\nreturn_path = flow\nreturn_path = flow\n",
	  "wg.conf:12: duplicate key 'return_path' (first at line 11)" },
	{ WG_HDR "[wireguard-peer a]\nPublicKey = " KEY_AA "\nreturn_path =\n",
	  "wg.conf:11: missing value for 'return_path'" },
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


/* wg(8) syntax; the expected values are the fixture text itself. */
struct ep_case {
	const char *in;
	int family;		/* 0: a name (host), -1: invalid */
	const char *addr;	/* literal, or the host name */
	unsigned port;
	const char *why;	/* fragment of the reason, invalid only */
};

static const struct ep_case ep_cases[] = {
	{ "192.0.2.1:51820", AF_INET, "192.0.2.1", 51820, NULL },
	{ "[2001:db8::1]:51820", AF_INET6, "2001:db8::1", 51820, NULL },
	{ "[::ffff:192.0.2.1]:1", AF_INET6, "::ffff:192.0.2.1", 1, NULL },
	{ "frontdoor.test:51820", 0, "frontdoor.test", 51820, NULL },
	{ "vpn.example.net.:65535", 0, "vpn.example.net.", 65535, NULL },
	{ "xn--bcher-kva.test:443", 0, "xn--bcher-kva.test", 443, NULL },
	{ "_srv.a-b.test:7", 0, "_srv.a-b.test", 7, NULL },
	{ "localhost:1", 0, "localhost", 1, NULL },
	{ "0x7f.1:1", 0, "0x7f.1", 1, NULL },
	{ "", -1, NULL, 0, "missing :PORT" },
	{ ":51820", -1, NULL, 0, "missing host" },
	{ "frontdoor.test", -1, NULL, 0, "missing :PORT" },
	{ "frontdoor.test:", -1, NULL, 0, "port must be 1..65535" },
	{ "frontdoor.test:0", -1, NULL, 0, "port must be 1..65535" },
	{ "frontdoor.test:65536", -1, NULL, 0, "port must be 1..65535" },
	{ "frontdoor.test:+1", -1, NULL, 0, "port must be 1..65535" },
	{ "frontdoor.test:51820x", -1, NULL, 0, "port must be 1..65535" },
	{ "frontdoor.test:wireguard", -1, NULL, 0, "port must be 1..65535" },
	{ "2001:db8::1:51820", -1, NULL, 0, "needs brackets" },
	{ "[2001:db8::1]", -1, NULL, 0, "missing :PORT" },
	{ "[2001:db8::1]51820", -1, NULL, 0, "missing :PORT" },
	{ "[2001:db8::1:51820", -1, NULL, 0, "missing ']'" },
	{ "[frontdoor.test]:1", -1, NULL, 0, "invalid IPv6" },
	{ "[192.0.2.1]:1", -1, NULL, 0, "invalid IPv6" },
	{ "[fe80::1%eth0]:1", -1, NULL, 0, "invalid IPv6" },
	{ "192.0.2.300:1", -1, NULL, 0, "invalid IPv4" },
	{ "1.2.3:1", -1, NULL, 0, "invalid IPv4" },
	{ "front door.test:1", -1, NULL, 0, "invalid host name" },
	{ "-lead.test:1", -1, NULL, 0, "invalid host name" },
	{ "trail-.test:1", -1, NULL, 0, "invalid host name" },
	{ "a..test:1", -1, NULL, 0, "invalid host name" },
	{ ".test:1", -1, NULL, 0, "invalid host name" },
	{ "user@host.test:1", -1, NULL, 0, "invalid host name" },
	{ "a/b.test:1", -1, NULL, 0, "invalid host name" },
};

static void test_wg_endpoint_syntax(void **state)
{
	/* 64-character label; 254-character name of 63-character labels. */
	char lab64[80], long_name[300], lit[16];
	struct gk_config_wg_endpoint ep;
	char host[GK_CONFIG_WG_HOST_MAX];
	size_t i, failed = 0;
	const char *why;

	(void)state;
	for (i = 0; i < sizeof(ep_cases) / sizeof(ep_cases[0]); i++) {
		const struct ep_case *c = &ep_cases[i];
		int ret = gk_config_wg_split_endpoint(c->in, &ep, host, &why);
		bool ok;

		if (c->family < 0) {
			ok = ret == -EINVAL && why && strstr(why, c->why) &&
			     !ep.family && !host[0];
		} else if (c->family == 0) {
			ok = !ret && !ep.family && ep.port == c->port &&
			     !strcmp(host, c->addr);
		} else {
			memset(lit, 0, sizeof(lit));
			inet_pton(c->family, c->addr, lit);
			ok = !ret && ep.family == c->family && ep.port == c->port &&
			     !memcmp(ep.addr, lit, sizeof(lit)) && !host[0];
		}
		if (!ok) {
			fprintf(stderr, "case '%s': ret %d why '%s' family %u port %u host '%s'\n",
				c->in, ret, ret ? why : "", ep.family, ep.port, host);
			failed++;
		}
		/* The numeric-only parser (wg set's wgd.c side) refuses names. */
		assert_int_equal(gk_config_wg_parse_endpoint(c->in, &ep),
				 c->family > 0 ? 0 : -EINVAL);
	}
	assert_int_equal(failed, 0);

	memset(lab64, 'a', 64);
	strcpy(lab64 + 64, ".test:1");
	assert_int_equal(gk_config_wg_split_endpoint(lab64, &ep, host, &why), -EINVAL);
	memmove(lab64, lab64 + 1, strlen(lab64));	/* 63: fine */
	assert_int_equal(gk_config_wg_split_endpoint(lab64, &ep, host, &why), 0);
	for (i = 0; i < 253; i++)
		long_name[i] = i % 64 == 63 ? '.' : 'b';
	strcpy(long_name + 253, ":1");
	assert_int_equal(gk_config_wg_split_endpoint(long_name, &ep, host, &why), 0);
	assert_int_equal(strlen(host), 253);
	memmove(long_name + 1, long_name, strlen(long_name) + 1);
	long_name[0] = 'c';
	assert_int_equal(gk_config_wg_split_endpoint(long_name, &ep, host, &why), -EINVAL);
}

/*
 * A realistic wg-quick file's [Peer] blocks pasted unchanged (comments,
 * blank lines, CRLF, key case, repeated AllowedIPs, a name Endpoint).
 * Parsing keeps the name; gk_config_resolve() turns it into an address
 * ("localhost" comes from /etc/hosts, no DNS).
 */
static void test_wg_paste(void **state)
{
	static const char text[] =
		PORTS
		"[wireguard]\n"
		"PrivateKey = " ALICE_PRIV "\n"
		"ListenPort = 51820\n"
		"port = wan\n"
		"\n"
		"# pasted from /etc/wireguard/wg0.conf\r\n"
		"[wireguard-peer laptop]\n"
		"PublicKey = " KEY_0_31 "   # alice's laptop\n"
		"PresharedKey = " KEY_AA "\n"
		"AllowedIPs = 198.18.7.0/24,2001:db8:7::/64 # v4 and v6\n"
		"AllowedIPs = 198.18.8.1/32#extra\n"
		"\tEndpoint  =  frontdoor.test:51820 ; comment\r\n"
		"persistentkeepalive = 25\r\n"
		"\n"
		"[wireguard-peer vps]\n"
		"PUBLICKEY = " KEY_AA "\n"
		"Endpoint = localhost:4500\n"
		"AllowedIPs = 0.0.0.0/0, ::/0\n";
	const struct gk_config_wg_peer *p;
	struct gk_config cfg, copy;
	char err[1024];
	uint8_t a[16];

	(void)state;
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.wg->nr_peers, 2);
	p = &cfg.wg->peers[0];
	assert_string_equal(p->name, "laptop");
	assert_int_equal(p->nr_allowed, 3);
	assert_int_equal(p->allowed[2].plen, 32);
	inet_pton(AF_INET, "198.18.8.1", a);
	assert_memory_equal(p->allowed[2].addr, a, 4);
	assert_int_equal(p->keepalive_s, 25);
	assert_string_equal(p->ep_host, "frontdoor.test");
	assert_int_equal(p->ep.family, 0);
	assert_int_equal(p->ep.port, 51820);
	p = &cfg.wg->peers[1];
	assert_int_equal(p->nr_allowed, 2);
	assert_int_equal(p->allowed[0].plen, 0);
	assert_int_equal(p->allowed[1].plen, 0);
	assert_string_equal(p->ep_host, "localhost");

	/* Only the second resolves without DNS: resolve a copy without the first. */
	assert_int_equal(gk_config_copy(&copy, &cfg), 0);
	copy.wg->peers[0].ep_host[0] = '\0';
	assert_false(gk_config_wg_equal(copy.wg, cfg.wg));
	assert_int_equal(gk_config_resolve(&copy, 5000, err, sizeof(err)), 0);
	p = &copy.wg->peers[1];
	assert_int_equal(p->ep.port, 4500);
	if (p->ep.family == AF_INET) {
		assert_int_equal(p->ep.addr[0], 127);
	} else {
		assert_int_equal(p->ep.family, AF_INET6);
		inet_pton(AF_INET6, "::1", a);
		assert_memory_equal(p->ep.addr, a, 16);
	}
	/* Reload view: a resolved name equals the same name unresolved. */
	copy.wg->peers[0] = cfg.wg->peers[0];
	assert_true(gk_config_wg_equal(copy.wg, cfg.wg));
	strcpy(copy.wg->peers[1].ep_host, "localhost.");
	assert_false(gk_config_wg_equal(copy.wg, cfg.wg));
	gk_config_free(&copy);
	gk_config_free(&cfg);
}

/*
 * Only an enabled [wireguard] resolves (a name that does not resolve is
 * tested in tests/e2e/e2e_wg_ep.sh, where no DNS server can answer).
 */
static void test_wg_resolve_disabled(void **state)
{
	static const char text[] = WG_HDR
		"enabled = no\n"
		"[wireguard-peer far]\n"
		"PublicKey = " KEY_AA "\n"
		"Endpoint = localhost:1\n";
	struct gk_config cfg;
	char err[1024];

	(void)state;
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
	assert_int_equal(gk_config_resolve(&cfg, 5000, err, sizeof(err)), 0);
	assert_int_equal(cfg.wg->peers[0].ep.family, 0);
	cfg.wg->enabled = true;
	assert_int_equal(gk_config_resolve(&cfg, 5000, err, sizeof(err)), 0);
	assert_int_not_equal(cfg.wg->peers[0].ep.family, 0);
	gk_config_free(&cfg);
}

/* Writes @b64 to @dir/@name with @mode (past the umask). */
static void key_file(char *path, size_t len, const char *dir, const char *name,
		     const char *b64, mode_t mode)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", b64);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/*
 * Key files others may read are named by line with their mode (as wg(8)
 * warns of a world-accessible key); 0600 and 0400 files are not; the
 * warning carries no key.
 */
static void test_wg_key_file_modes(void **state)
{
	static const struct { mode_t priv, psk_a, psk_b; unsigned n; } cases[] = {
		{ 0600, 0400, 0600, 0 },
		{ 0644, 0600, 0600, 1 },
		{ 0640, 0600, 0604, 2 },
		{ 0604, 0660, 0666, 3 },
	};
	char dir[] = "/tmp/gk-wgkeys-XXXXXX";
	char priv[128], psk_a[128], psk_b[128], text[1024], err[2048];
	char want[128];
	struct gk_config cfg;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned n;

		key_file(priv, sizeof(priv), dir, "priv.key", ALICE_PRIV,
			 cases[i].priv);
		key_file(psk_a, sizeof(psk_a), dir, "a.psk", KEY_0_31,
			 cases[i].psk_a);
		key_file(psk_b, sizeof(psk_b), dir, "b.psk", KEY_AA,
			 cases[i].psk_b);
		/* PrivateKeyFile on line 6, the peers' PresharedKeyFile on 11 and 14. */
		snprintf(text, sizeof(text),
			 PORTS "[wireguard]\nPrivateKeyFile = %s\nListenPort = 51820\n"
			 "port = wan\n[wireguard-peer a]\nPublicKey = " KEY_AA "\n"
			 "PresharedKeyFile = %s\n[wireguard-peer b]\nPublicKey = "
			 KEY_0_31 "\nPresharedKeyFile = %s\n", priv, psk_a, psk_b);
		assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
		n = gk_config_warnings(&cfg, err, sizeof(err));
		if (n != cases[i].n)
			fail_msg("case %zu: %u warnings, want %u: %s", i, n,
				 cases[i].n, err);
		if (cases[i].priv & 077) {
			snprintf(want, sizeof(want),
				 "wg.conf:6: warning: PrivateKeyFile is accessible to group or others (mode %04o)",
				 (unsigned)cases[i].priv);
			if (!strstr(err, want))
				fail_msg("case %zu: no '%s' in: %s", i, want, err);
		}
		if (cases[i].psk_a & 077) {
			snprintf(want, sizeof(want),
				 "wg.conf:11: warning: PresharedKeyFile of peer a is accessible to group or others (mode %04o)",
				 (unsigned)cases[i].psk_a);
			if (!strstr(err, want))
				fail_msg("case %zu: no '%s' in: %s", i, want, err);
		}
		if (cases[i].psk_b & 077) {
			snprintf(want, sizeof(want),
				 "wg.conf:14: warning: PresharedKeyFile of peer b is accessible to group or others (mode %04o)",
				 (unsigned)cases[i].psk_b);
			if (!strstr(err, want))
				fail_msg("case %zu: no '%s' in: %s", i, want, err);
		}
		assert_null(strstr(err, ALICE_PRIV));
		assert_null(strstr(err, KEY_0_31));
		assert_null(strstr(err, KEY_AA));
		gk_config_free(&cfg);
	}
	unlink(priv);
	unlink(psk_a);
	unlink(psk_b);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wg_full),
		cmocka_unit_test(test_wg_absent),
		cmocka_unit_test(test_wg_defaults),
		cmocka_unit_test(test_wg_return_path),
		cmocka_unit_test(test_wg_host_path),
		cmocka_unit_test(test_wg_bad),
		cmocka_unit_test(test_wg_endpoint_syntax),
		cmocka_unit_test(test_wg_paste),
		cmocka_unit_test(test_wg_resolve_disabled),
		cmocka_unit_test(test_wg_key_file_modes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
