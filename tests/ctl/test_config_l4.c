// SPDX-License-Identifier: BSD-3-Clause
/*
 * [l4-service NAME] (ctl/config/config_l4.c). Oracles: the fixture text
 * and its line numbers; primes and the neighbours of composites were
 * listed by a separate Python trial division, not by genkan.
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
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "config.h"

/* RFC 7748 §6.1 Alice's private key; bytes 0..31 as a peer's public key. */
#define PRIV	"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
#define PUB	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

#define PORTS	"[port wan]\ninterface = eth0\n[port tun]\ninterface = eth1\n" /* 1-4 */
#define SVC	"[l4-service web]\n"			/* 5 */
#define LISTEN	"listen = 203.0.113.10:443\n"		/* 6 */
#define TCP	"proto = tcp\n"				/* 7 */
#define BACK	"backend = 198.18.8.2\n"		/* 8 */
#define MIN	PORTS SVC LISTEN TCP BACK		/* lines 1-8 */

static int parse(const char *text, struct gk_config *cfg, char *err, size_t len)
{
	return gk_config_parse(text, strlen(text), "l4.conf", cfg, err, len);
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_l4_full(void **state)
{
	static const char text[] =
		PORTS
		"[l4-service web]\n"			/* 5 */
		"listen    = 203.0.113.10:443       # the public address\n"
		"proto     = tcp\n"
		"backend   = 198.18.8.2:8443 weight=3\n"
		"backend   = 198.18.8.3:8443\n"
		"backend   = 198.18.8.4:8443 weight=0\n"	/* 10 */
		"scheduler = maglev\n"
		"table_size = 251\n"
		"client_ip = snat\n"
		"snat_pool = 198.51.100.1-198.51.100.4\n"
		"snat_ports = 2000-2999\n"		/* 15 */
		"health    = http GET /healthz expect 200-204\n"
		"health_interval = 500ms\n"
		"rise = 1\n"
		"fall = 5\n"
		"tcp_idle = 5m\n"			/* 20 */
		"tcp_fin = 15\n"
		"max_flows = 1024\n"
		"allow_port_22 = no\n";
	const struct gk_config_l4_service *s;
	struct gk_config cfg;
	uint8_t a[16];
	char err[1024];

	(void)state;
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
	assert_non_null(cfg.l4);
	assert_int_equal(cfg.l4->nr_services, 1);
	s = &cfg.l4->services[0];
	assert_string_equal(s->name, "web");
	assert_int_equal(s->line, 5);
	assert_int_equal(s->family, AF_INET);
	assert_int_equal(s->proto, IPPROTO_TCP);
	assert_memory_equal(s->addr, ((uint8_t[]){ 203, 0, 113, 10 }), 4);
	assert_int_equal(s->port_lo, 443);
	assert_int_equal(s->port_hi, 443);
	assert_int_equal(s->nr_backends, 3);
	assert_memory_equal(s->backends[0].addr, ((uint8_t[]){ 198, 18, 8, 2 }), 4);
	assert_int_equal(s->backends[0].port, 8443);
	assert_int_equal(s->backends[0].weight, 3);
	assert_int_equal(s->backends[0].line, 8);
	assert_int_equal(s->backends[1].weight, 1);
	assert_int_equal(s->backends[2].weight, 0);
	assert_int_equal(s->backends[2].line, 10);
	assert_int_equal(s->key_line[GK_L4K_BACKEND], 8);
	assert_int_equal(s->scheduler, GK_L4_SCHED_MAGLEV);
	assert_int_equal(s->table_size, 251);
	assert_int_equal(s->client_ip, GK_L4_CLIENT_SNAT);
	assert_int_equal(s->snat_family, AF_INET);
	assert_int_equal(inet_pton(AF_INET, "198.51.100.1", a), 1);
	assert_memory_equal(s->snat_lo, a, 4);
	assert_int_equal(inet_pton(AF_INET, "198.51.100.4", a), 1);
	assert_memory_equal(s->snat_hi, a, 4);
	assert_int_equal(s->snat_port_lo, 2000);
	assert_int_equal(s->snat_port_hi, 2999);
	assert_int_equal(s->health, GK_L4_HEALTH_HTTP);
	assert_string_equal(s->http_path, "/healthz");
	assert_int_equal(s->expect_lo, 200);
	assert_int_equal(s->expect_hi, 204);
	assert_int_equal(s->health_interval_ms, 500);
	assert_int_equal(s->rise, 1);
	assert_int_equal(s->fall, 5);
	assert_int_equal(s->tcp_idle_ms, 300000);
	assert_int_equal(s->tcp_fin_ms, 15000);
	assert_int_equal(s->udp_idle_ms, 30000);	/* default, unused by tcp */
	assert_int_equal(s->max_flows, 1024);
	assert_false(s->allow_port_22);
	gk_config_free(&cfg);
	assert_null(cfg.l4);
}

/* Only the three required keys: every default as docs/config.md says. */
static void test_l4_defaults(void **state)
{
	static const char text[] = MIN
		"[l4-service dns]\n"			/* 9 */
		"listen = 203.0.113.10:53\n"
		"proto = udp\n"
		"backend = 198.18.8.5\n";
	const struct gk_config_l4_service *s;
	struct gk_config cfg;
	char err[1024];

	(void)state;
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.l4->nr_services, 2);
	s = &cfg.l4->services[0];
	assert_int_equal(s->backends[0].port, 0);
	assert_int_equal(s->backends[0].weight, 1);
	assert_int_equal(s->scheduler, GK_L4_SCHED_MAGLEV);
	assert_int_equal(s->table_size, 65537);
	assert_int_equal(s->client_ip, GK_L4_CLIENT_PRESERVE);
	assert_int_equal(s->snat_family, 0);
	assert_int_equal(s->snat_port_lo, 1024);
	assert_int_equal(s->snat_port_hi, 65535);
	assert_int_equal(s->health, GK_L4_HEALTH_TCP);
	assert_int_equal(s->expect_lo, 200);
	assert_int_equal(s->expect_hi, 399);
	assert_int_equal(s->health_interval_ms, 2000);
	assert_int_equal(s->rise, 2);
	assert_int_equal(s->fall, 3);
	assert_int_equal(s->tcp_idle_ms, 300000);
	assert_int_equal(s->tcp_fin_ms, 10000);
	assert_int_equal(s->udp_idle_ms, 30000);
	assert_int_equal(s->max_flows, 65536);
	assert_false(s->allow_port_22);
	/* udp: no health check unless one is asked for */
	s = &cfg.l4->services[1];
	assert_int_equal(s->proto, IPPROTO_UDP);
	assert_int_equal(s->health, GK_L4_HEALTH_NONE);
	assert_int_equal(s->line, 9);
	gk_config_free(&cfg);
}

/* No section: no l4 at all (configs from before stay as they were). */
static void test_l4_absent(void **state)
{
	static const char text[] = PORTS;
	struct gk_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
	assert_null(cfg.l4);
	gk_config_free(&cfg);
}

static void test_l4_ipv6(void **state)
{
	static const char text[] = PORTS
		"[l4-service web6]\n"
		"listen = [2001:db8::10]:443\n"
		"proto = tcp\n"
		"backend = [2001:db8:8::2]:8443 weight=2\n"
		"backend = [2001:db8:8::3]\n"
		"client_ip = snat\n"
		"snat_pool = 2001:db8:f::1-2001:db8:f::ff\n"
		"health = http GET /\n";
	const struct gk_config_l4_service *s;
	struct gk_config cfg;
	uint8_t a[16];
	char err[1024], buf[80];

	(void)state;
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
	s = &cfg.l4->services[0];
	assert_int_equal(s->family, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::10", a), 1);
	assert_memory_equal(s->addr, a, 16);
	assert_int_equal(s->port_lo, 443);
	assert_int_equal(s->backends[0].family, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:8::2", a), 1);
	assert_memory_equal(s->backends[0].addr, a, 16);
	assert_int_equal(s->backends[0].port, 8443);
	assert_int_equal(s->backends[0].weight, 2);
	assert_int_equal(s->backends[1].port, 0);
	assert_int_equal(s->snat_family, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:f::ff", a), 1);
	assert_memory_equal(s->snat_hi, a, 16);
	assert_int_equal(s->health, GK_L4_HEALTH_HTTP);
	assert_string_equal(s->http_path, "/");
	assert_int_equal(s->expect_lo, 200);
	assert_int_equal(s->expect_hi, 399);
	gk_config_l4_format_listen(s, buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8::10]:443");
	gk_config_free(&cfg);
}

static void test_l4_port_range(void **state)
{
	static const char text[] = PORTS
		"[l4-service game]\n"
		"listen = 203.0.113.10:8000-8010\n"
		"proto = udp\n"
		"backend = 198.18.8.2\n"
		"udp_idle = 90\n"
		"[l4-service one]\n"
		"listen = 203.0.113.10:7000-7000\n"
		"proto = udp\n"
		"backend = 198.18.8.2:7001\n";	/* one port: a backend port is fine */
	const struct gk_config_l4_service *s;
	struct gk_config cfg;
	char err[1024], buf[80];

	(void)state;
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
	s = &cfg.l4->services[0];
	assert_int_equal(s->port_lo, 8000);
	assert_int_equal(s->port_hi, 8010);
	assert_int_equal(s->udp_idle_ms, 90000);
	gk_config_l4_format_listen(s, buf, sizeof(buf));
	assert_string_equal(buf, "203.0.113.10:8000-8010");
	s = &cfg.l4->services[1];
	assert_int_equal(s->port_lo, 7000);
	assert_int_equal(s->port_hi, 7000);
	assert_int_equal(s->backends[0].port, 7001);
	gk_config_free(&cfg);
}

/* Port 22 over TCP needs allow_port_22 = yes; UDP 22 is not SSH. */
static void test_l4_port_22_allowed(void **state)
{
	static const char text[] = PORTS
		"[l4-service ssh]\n"
		"listen = 203.0.113.11:22\n"
		"proto = tcp\n"
		"backend = 198.18.8.2\n"
		"allow_port_22 = yes\n"
		"[l4-service u22]\n"
		"listen = 203.0.113.10:1-100\n"
		"proto = udp\n"
		"backend = 198.18.8.2\n";
	struct gk_config cfg;
	char err[1024];

	(void)state;
	if (parse(text, &cfg, err, sizeof(err)))
		fail_msg("%s", err);
	assert_true(cfg.l4->services[0].allow_port_22);
	gk_config_free(&cfg);
}

/* Durations: N (seconds), Ns, Nms, Nm; and the bounds of each key. */
static void test_l4_durations(void **state)
{
	static const struct {
		const char *key, *val;
		uint32_t ms;
	} ok[] = {
		{ "health_interval", "100ms", 100 },
		{ "health_interval", "3600s", 3600000 },
		{ "health_interval", "60m", 3600000 },
		{ "tcp_idle", "1", 1000 },
		{ "tcp_idle", "604800", 604800000 },
		{ "tcp_idle", "1500ms", 1500 },
		{ "tcp_fin", "3600", 3600000 },
		{ "tcp_fin", "010s", 10000 },
	};
	static const struct {
		const char *key, *val, *msg;
	} bad[] = {
		{ "health_interval", "99ms", "l4.conf:9: health_interval = 99ms out of range (100ms..3600s)" },
		{ "health_interval", "61m", "l4.conf:9: health_interval = 61m out of range (100ms..3600s)" },
		{ "tcp_idle", "0", "l4.conf:9: tcp_idle = 0 out of range (1s..604800s)" },
		{ "tcp_idle", "999ms", "l4.conf:9: tcp_idle = 999ms out of range" },
		{ "tcp_idle", "604801", "l4.conf:9: tcp_idle = 604801 out of range" },
		{ "tcp_idle", "99999999999", "l4.conf:9: tcp_idle = 99999999999 out of range" },
		{ "tcp_fin", "3601s", "l4.conf:9: tcp_fin = 3601s out of range (1s..3600s)" },
		{ "tcp_idle", "2h", "l4.conf:9: invalid tcp_idle '2h' (expected a duration: N, Ns, Nms or Nm)" },
		{ "tcp_idle", "s", "l4.conf:9: invalid tcp_idle 's'" },
		{ "tcp_idle", "-1", "l4.conf:9: invalid tcp_idle '-1'" },
		{ "tcp_idle", "1.5s", "l4.conf:9: invalid tcp_idle '1.5s'" },
	};
	struct gk_config cfg;
	char text[512], err[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const struct gk_config_l4_service *s;
		uint32_t got;

		snprintf(text, sizeof(text), MIN "%s = %s\n", ok[i].key, ok[i].val);
		if (parse(text, &cfg, err, sizeof(err)))
			fail_msg("ok %zu: %s", i, err);
		s = &cfg.l4->services[0];
		got = !strcmp(ok[i].key, "health_interval") ? s->health_interval_ms :
		      !strcmp(ok[i].key, "tcp_idle") ? s->tcp_idle_ms : s->tcp_fin_ms;
		assert_int_equal(got, ok[i].ms);
		gk_config_free(&cfg);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), MIN "%s = %s\n", bad[i].key, bad[i].val);
		if (parse(text, &cfg, err, sizeof(err)) != -EINVAL ||
		    !strstr(err, bad[i].msg) || count_lines(err) != 1)
			fail_msg("bad %zu: want '%s', got:\n%s", i, bad[i].msg, err);
	}
	/* udp_idle: 1s..86400s */
	snprintf(text, sizeof(text), PORTS SVC LISTEN "proto = udp\n" BACK
		 "udp_idle = 86401\n");
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "l4.conf:9: udp_idle = 86401 out of range (1s..86400s)"));
}

/* Each makes exactly one error: the report is one line starting with msg. */
struct bad {
	const char *text;
	const char *msg;
};

static const struct bad bads[] = {
	/* headers */
	{ PORTS "[l4-service]\n",
	  "l4.conf:5: l4-service section needs a name: [l4-service NAME]" },
	{ PORTS "[l4-service a.b]\n",
	  "l4.conf:5: invalid l4-service name 'a.b' (expected [A-Za-z0-9_-]{1,31})" },
	{ PORTS "[l4-service abcdefghijabcdefghijabcdefghijabc]\n",
	  "l4.conf:5: invalid l4-service name" },
	{ MIN "[l4-service web]\nlisten = 203.0.113.11:443\n",
	  "l4.conf:9: duplicate l4-service 'web' (first at line 5)" },
	/* keys */
	{ MIN "bogus = 1\n", "l4.conf:9: unknown key 'bogus' in [l4-service]" },
	{ MIN "Proto = tcp\n", "l4.conf:9: unknown key 'Proto' in [l4-service]" },
	{ MIN "proto = udp\n", "l4.conf:9: duplicate key 'proto' (first at line 7)" },
	{ MIN "listen = 203.0.113.10:444\n",
	  "l4.conf:9: duplicate key 'listen' (first at line 6)" },
	{ MIN "table_size = 251\ntable_size = 257\n",
	  "l4.conf:10: duplicate key 'table_size' (first at line 9)" },
	{ MIN "health =\n", "l4.conf:9: missing value for 'health'" },
	/* required */
	{ PORTS SVC TCP BACK, "l4.conf:5: l4-service 'web' needs listen = ADDR:PORT" },
	{ PORTS SVC LISTEN BACK, "l4.conf:5: l4-service 'web' needs proto = tcp | udp" },
	{ PORTS SVC LISTEN TCP, "l4.conf:5: l4-service 'web' has no backend" },
	/* listen */
	{ PORTS SVC "listen = 203.0.113.10\n" TCP BACK,
	  "l4.conf:6: listen '203.0.113.10' has no port (expected IPV4:PORT or PORT range LO-HI)" },
	{ PORTS SVC "listen = [2001:db8::10]\n" TCP BACK,
	  "l4.conf:6: listen '[2001:db8::10]' has no port (expected [IPV6]:PORT" },
	{ PORTS SVC "listen = 2001:db8::10:443\n" TCP BACK,
	  "l4.conf:6: invalid listen '2001:db8::10:443': write an IPv6 address in brackets: [ADDR]:PORT" },
	{ PORTS SVC "listen = [2001:db8::10]443\n" TCP BACK,
	  "l4.conf:6: invalid listen '[2001:db8::10]443': expected ':' after ']'" },
	{ PORTS SVC "listen = [2001:db8::10:443\n" TCP BACK,
	  "l4.conf:6: invalid listen '[2001:db8::10:443': missing ']'" },
	{ PORTS SVC "listen = [203.0.113.10]:443\n" TCP BACK,
	  "l4.conf:6: invalid listen '[203.0.113.10]:443': not an IPv6 address" },
	{ PORTS SVC "listen = 203.0.113.300:443\n" TCP BACK,
	  "l4.conf:6: invalid listen '203.0.113.300:443': not an IPv4 address" },
	{ PORTS SVC "listen = web.example.net:443\n" TCP BACK,
	  "l4.conf:6: invalid listen 'web.example.net:443': not an IPv4 address" },
	{ PORTS SVC "listen = 203.0.113.10:0\n" TCP BACK,
	  "l4.conf:6: invalid listen port '0' (expected 1..65535 or a range LO-HI)" },
	{ PORTS SVC "listen = 203.0.113.10:65536\n" TCP BACK,
	  "l4.conf:6: invalid listen port '65536'" },
	{ PORTS SVC "listen = 203.0.113.10:+443\n" TCP BACK,
	  "l4.conf:6: invalid listen port '+443'" },
	{ PORTS SVC "listen = 203.0.113.10:80-\n" TCP BACK,
	  "l4.conf:6: invalid listen port '80-'" },
	{ PORTS SVC "listen = 203.0.113.10:8010-8000\n" TCP BACK,
	  "l4.conf:6: listen port range '8010-8000' is reversed" },
	{ PORTS SVC "listen = 0.0.0.0:443\n" TCP BACK,
	  "l4.conf:6: listen address 0.0.0.0 is not a unicast address a client can reach" },
	{ PORTS SVC "listen = 127.0.0.1:443\n" TCP BACK,
	  "l4.conf:6: listen address 127.0.0.1 is not a unicast" },
	{ PORTS SVC "listen = 224.0.0.1:443\n" TCP BACK,
	  "l4.conf:6: listen address 224.0.0.1 is not a unicast" },
	{ PORTS SVC "listen = 255.255.255.255:443\n" TCP BACK,
	  "l4.conf:6: listen address 255.255.255.255 is not a unicast" },
	{ PORTS SVC "listen = [::]:443\n" TCP BACK,
	  "l4.conf:6: listen address :: is not a unicast" },
	{ PORTS SVC "listen = [::1]:443\n" TCP BACK,
	  "l4.conf:6: listen address ::1 is not a unicast" },
	{ PORTS SVC "listen = [ff02::1]:443\n" TCP BACK,
	  "l4.conf:6: listen address ff02::1 is not a unicast" },
	{ PORTS SVC "listen = [fe80::1]:443\n" TCP BACK,
	  "l4.conf:6: listen address fe80::1 is not a unicast" },
	{ PORTS SVC "listen = [::ffff:203.0.113.10]:443\n" TCP BACK,
	  "l4.conf:6: listen address ::ffff:203.0.113.10 is not a unicast" },
	/* proto */
	{ PORTS SVC LISTEN "proto = sctp\n" BACK,
	  "l4.conf:7: invalid proto 'sctp' (expected tcp | udp)" },
	{ PORTS SVC LISTEN "proto = TCP\n" BACK, "l4.conf:7: invalid proto 'TCP'" },
	/* backend */
	{ PORTS SVC LISTEN TCP "backend = 2001:db8::2\n",
	  "l4.conf:8: invalid backend '2001:db8::2': write an IPv6 address in brackets: [ADDR]:PORT (expected IPV4[:PORT] or [IPV6][:PORT], then weight=N)" },
	{ PORTS SVC LISTEN TCP "backend = 198.18.8.2:0\n",
	  "l4.conf:8: invalid backend port '0' (expected 1..65535; leave it out for the listen port)" },
	{ PORTS SVC LISTEN TCP "backend = 198.18.8.2:\n",
	  "l4.conf:8: invalid backend port ''" },
	{ PORTS SVC LISTEN TCP "backend = 198.18.8.2 weight=101\n",
	  "l4.conf:8: invalid backend weight '101' (expected 0..100; 0 keeps the backend listed but gives it no flows)" },
	{ PORTS SVC LISTEN TCP "backend = 198.18.8.2 weight=-1\n",
	  "l4.conf:8: invalid backend weight '-1'" },
	{ PORTS SVC LISTEN TCP "backend = 198.18.8.2 weight=\n",
	  "l4.conf:8: invalid backend weight ''" },
	{ PORTS SVC LISTEN TCP "backend = 198.18.8.2 weight = 2\n",
	  "l4.conf:8: unknown backend option 'weight' (expected weight=N)" },
	{ PORTS SVC LISTEN TCP "backend = 198.18.8.2 weight=1 weight=2\n",
	  "l4.conf:8: backend weight given twice" },
	{ PORTS SVC LISTEN TCP "backend = 198.18.8.2 prio=1\n",
	  "l4.conf:8: unknown backend option 'prio=1' (expected weight=N)" },
	{ PORTS SVC LISTEN TCP "backend = 127.0.0.1\n",
	  "l4.conf:8: backend address 127.0.0.1 is not a unicast address" },
	{ PORTS SVC LISTEN TCP "backend = backend1:443\n",
	  "l4.conf:8: invalid backend 'backend1:443': not an IPv4 address" },
	{ PORTS SVC LISTEN TCP "backend = 198.18.8.2 weight=0\nbackend = 198.18.8.3 weight=0\n",
	  "l4.conf:8: l4-service 'web': every backend has weight 0 (at least one needs weight 1..100)" },
	{ PORTS SVC LISTEN TCP "backend = 198.18.8.2:443\nbackend = 198.18.8.2 weight=2\n",
	  "l4.conf:9: l4-service 'web': backend 198.18.8.2 listed twice (first at line 8)" },
	{ PORTS SVC LISTEN TCP "backend = [2001:db8:8::2]\n",
	  "l4.conf:8: l4-service 'web': backend 2001:db8:8::2 is IPv6 but listen is IPv4" },
	{ PORTS SVC "listen = [2001:db8::10]:443\n" TCP BACK,
	  "l4.conf:8: l4-service 'web': backend 198.18.8.2 is IPv4 but listen is IPv6" },
	{ PORTS SVC "listen = 203.0.113.10:8000-8010\n" TCP "backend = 198.18.8.2:8000\n",
	  "l4.conf:8: l4-service 'web': backend 198.18.8.2:8000 names a port but listen is the range 8000-8010 (each port goes to the same port: leave the backend's out)" },
	/* scheduler, table_size */
	{ MIN "scheduler = rr\n", "l4.conf:9: invalid scheduler 'rr' (expected maglev)" },
	{ MIN "table_size = 65536\n",
	  "l4.conf:9: table_size 65536 is not prime (Maglev needs a prime M; 65521 and 65537 are)" },
	{ MIN "table_size = 1048572\n",
	  "l4.conf:9: table_size 1048572 is not prime (Maglev needs a prime M; 1048571 and 1048573 are)" },
	{ MIN "table_size = 253\n",
	  "l4.conf:9: table_size 253 is not prime (Maglev needs a prime M; 251 and 257 are)" },
	{ MIN "table_size = 250\n", "l4.conf:9: table_size = 250 out of range (251..1048573)" },
	{ MIN "table_size = 241\n", "l4.conf:9: table_size = 241 out of range (251..1048573)" },
	{ MIN "table_size = 1048583\n", "l4.conf:9: table_size = 1048583 out of range (251..1048573)" },
	{ MIN "table_size = 0x101\n", "l4.conf:9: invalid number '0x101' for table_size" },
	{ PORTS SVC LISTEN TCP "backend = 198.18.8.2 weight=100\n"
	  "backend = 198.18.8.3 weight=100\nbackend = 198.18.8.4 weight=100\n"
	  "table_size = 251\n",
	  "l4.conf:11: l4-service 'web': table_size 251 is below the sum of the backend weights (300): a backend could get no slot" },
	/* client_ip, snat */
	{ MIN "client_ip = masquerade\n",
	  "l4.conf:9: invalid client_ip 'masquerade' (expected preserve | snat)" },
	{ MIN "client_ip = snat\n",
	  "l4.conf:9: l4-service 'web': client_ip = snat needs snat_pool = ADDR[-ADDR] (the front door's tunnel address)" },
	{ MIN "snat_pool = 198.51.100.1\n",
	  "l4.conf:9: l4-service 'web': snat_pool is only for client_ip = snat" },
	{ MIN "client_ip = preserve\nsnat_ports = 2000-3000\n",
	  "l4.conf:10: l4-service 'web': snat_ports is only for client_ip = snat" },
	{ MIN "client_ip = snat\nsnat_pool = 198.51.100.9-198.51.100.1\n",
	  "l4.conf:10: snat_pool range '198.51.100.9-198.51.100.1' is reversed" },
	{ MIN "client_ip = snat\nsnat_pool = 198.51.100.0-198.51.101.0\n",
	  "l4.conf:10: snat_pool '198.51.100.0-198.51.101.0' holds more than 256 addresses" },
	{ MIN "client_ip = snat\nsnat_pool = 2001:db8::1-2001:db8:1::1\n",
	  "l4.conf:10: snat_pool '2001:db8::1-2001:db8:1::1' holds more than 256 addresses" },
	{ MIN "client_ip = snat\nsnat_pool = 198.51.100.1-2001:db8::1\n",
	  "l4.conf:10: invalid snat_pool '198.51.100.1-2001:db8::1' (expected ADDR or ADDR-ADDR, IPv4 or IPv6)" },
	{ MIN "client_ip = snat\nsnat_pool = 224.0.0.1\n",
	  "l4.conf:10: snat_pool '224.0.0.1' holds an address that is not unicast" },
	{ MIN "client_ip = snat\nsnat_pool = 2001:db8::1\n",
	  "l4.conf:10: l4-service 'web': snat_pool is IPv6 but listen and backends are IPv4" },
	{ MIN "client_ip = snat\nsnat_pool = 198.51.100.1\nsnat_ports = 2000\n",
	  "l4.conf:11: invalid snat_ports '2000' (expected LO-HI within 1..65535, LO <= HI)" },
	{ MIN "client_ip = snat\nsnat_pool = 198.51.100.1\nsnat_ports = 0-100\n",
	  "l4.conf:11: invalid snat_ports '0-100'" },
	{ MIN "client_ip = snat\nsnat_pool = 198.51.100.1\nsnat_ports = 3000-2000\n",
	  "l4.conf:11: invalid snat_ports '3000-2000'" },
	/* health */
	{ MIN "health = udp\n",
	  "l4.conf:9: invalid health 'udp' (expected tcp | http GET /PATH [expect LO-HI] | none)" },
	{ MIN "health = http\n", "l4.conf:9: invalid health 'http'" },
	{ MIN "health = http GET\n", "l4.conf:9: invalid health 'http GET'" },
	{ MIN "health = http POST /x\n", "l4.conf:9: invalid health 'http POST /x'" },
	{ MIN "health = http GET /x want 200\n", "l4.conf:9: invalid health 'http GET /x want 200'" },
	{ MIN "health = http GET /x expect\n", "l4.conf:9: invalid health 'http GET /x expect'" },
	{ MIN "health = tcp extra\n", "l4.conf:9: invalid health 'tcp extra'" },
	{ MIN "health = http GET x\n",
	  "l4.conf:9: health: http path 'x' must start with '/' and hold at most 127 bytes" },
	{ MIN "health = http GET /x expect 700\n",
	  "l4.conf:9: health: invalid expect '700' (expected a status or a range LO-HI within 100..599)" },
	{ MIN "health = http GET /x expect 399-200\n",
	  "l4.conf:9: health: invalid expect '399-200'" },
	{ MIN "health = none\nhealth_interval = 5s\n",
	  "l4.conf:10: l4-service 'web': health_interval is only for a health check (health = none)" },
	{ MIN "health = none\nfall = 5\n",
	  "l4.conf:10: l4-service 'web': fall is only for a health check (health = none)" },
	{ PORTS SVC LISTEN "proto = udp\n" BACK "rise = 3\n",
	  "l4.conf:9: l4-service 'web': rise is only for a health check (udp has none unless health is set)" },
	{ MIN "rise = 0\n", "l4.conf:9: rise = 0 out of range (1..100)" },
	{ MIN "fall = 101\n", "l4.conf:9: fall = 101 out of range (1..100)" },
	{ MIN "fall = many\n", "l4.conf:9: invalid number 'many' for fall" },
	/* timeouts against proto */
	{ MIN "udp_idle = 60\n", "l4.conf:9: l4-service 'web': udp_idle is only for proto = udp" },
	/* max_flows */
	{ MIN "max_flows = 15\n", "l4.conf:9: max_flows = 15 out of range (16..16777216)" },
	{ MIN "max_flows = 16777217\n", "l4.conf:9: max_flows = 16777217 out of range (16..16777216)" },
	{ MIN "max_flows = 1e6\n", "l4.conf:9: invalid number '1e6' for max_flows" },
	/* port 22 */
	{ PORTS SVC "listen = 203.0.113.10:22\n" TCP BACK,
	  "l4.conf:6: l4-service 'web': listen 203.0.113.10:22 takes TCP port 22, the gateway's SSH if this is its address; set allow_port_22 = yes if it is not" },
	{ PORTS SVC "listen = [2001:db8::10]:1-1024\n" TCP "backend = [2001:db8:8::2]\n",
	  "l4.conf:6: l4-service 'web': listen [2001:db8::10]:1-1024 takes TCP port 22" },
	{ MIN "allow_port_22 = maybe\n",
	  "l4.conf:9: invalid allow_port_22 'maybe' (expected no | yes)" },
	{ PORTS SVC "listen = 203.0.113.10:22\n" TCP BACK "allow_port_22 = no\n",
	  "l4.conf:6: l4-service 'web': listen 203.0.113.10:22 takes TCP port 22" },
	{ PORTS SVC "listen = 203.0.113.10:22\nproto = udp\n" BACK "allow_port_22 = yes\n",
	  "l4.conf:9: l4-service 'web': allow_port_22 is only for proto = tcp" },
	/* overlaps: same proto, same address, ports meet */
	{ MIN "[l4-service b]\nlisten = 203.0.113.10:443\nproto = tcp\nbackend = 198.18.8.3\n",
	  "l4.conf:10: l4-service 'b': tcp 203.0.113.10:443 overlaps l4-service 'web' (203.0.113.10:443, line 6)" },
	{ MIN "[l4-service b]\nlisten = 203.0.113.10:400-443\nproto = tcp\nbackend = 198.18.8.3\n",
	  "l4.conf:10: l4-service 'b': tcp 203.0.113.10:400-443 overlaps l4-service 'web' (203.0.113.10:443, line 6)" },
	{ PORTS "[l4-service a]\nlisten = [2001:db8::10]:8000-8010\nproto = udp\nbackend = [2001:db8:8::2]\n"
	  "[l4-service b]\nlisten = [2001:db8::10]:8010-8020\nproto = udp\nbackend = [2001:db8:8::3]\n",
	  "l4.conf:10: l4-service 'b': udp [2001:db8::10]:8010-8020 overlaps l4-service 'a' ([2001:db8::10]:8000-8010, line 6)" },
	{ MIN "[l4-service b]\nlisten = 203.0.113.11:443\nproto = tcp\nbackend = 198.18.8.3\n"
	  "[l4-service c]\nlisten = 203.0.113.11:1-1000\nproto = tcp\nbackend = 198.18.8.3\nallow_port_22 = yes\n",
	  "l4.conf:14: l4-service 'c': tcp 203.0.113.11:1-1000 overlaps l4-service 'b' (203.0.113.11:443, line 10)" },
};

static void test_l4_bad(void **state)
{
	struct gk_config cfg;
	char err[4096];
	unsigned failed = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		int ret = parse(bads[i].text, &cfg, err, sizeof(err));

		if (ret != -EINVAL || strncmp(err, bads[i].msg, strlen(bads[i].msg)) ||
		    count_lines(err) != 1) {
			print_error("case %zu: ret %d, want one line starting '%s', got:\n%s",
				    i, ret, bads[i].msg, err);
			failed++;
		}
	}
	if (failed)
		fail_msg("%u of %zu cases failed", failed, sizeof(bads) / sizeof(bads[0]));
}

/* Several errors at once: all of them, sorted by line, nothing more. */
static void test_l4_bad_many(void **state)
{
	static const char empty[] = PORTS SVC;
	static const char udp_tcp_keys[] = PORTS SVC LISTEN "proto = udp\n" BACK
		"tcp_idle = 60\ntcp_fin = 5\n";
	static const char mixed[] = PORTS SVC
		"listen = 203.0.113.10:22\n"			/* 6 */
		"proto = tcp\n"
		"backend = [2001:db8:8::2]\n"			/* 8 */
		"backend = 198.18.8.2 weight=101\n"		/* 9 */
		"[l4-service b]\n"				/* 10 */
		"listen = 203.0.113.10:22\n"			/* 11 */
		"proto = tcp\n"
		"backend = 198.18.8.2\n"
		"allow_port_22 = yes\n";
	struct gk_config cfg;
	char err[4096];

	(void)state;
	assert_int_equal(parse(empty, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
		"l4.conf:5: l4-service 'web' needs listen = ADDR:PORT\n"
		"l4.conf:5: l4-service 'web' needs proto = tcp | udp\n"
		"l4.conf:5: l4-service 'web' has no backend\n");
	assert_int_equal(parse(udp_tcp_keys, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
		"l4.conf:9: l4-service 'web': tcp_idle is only for proto = tcp\n"
		"l4.conf:10: l4-service 'web': tcp_fin is only for proto = tcp\n");
	assert_int_equal(parse(mixed, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
		"l4.conf:6: l4-service 'web': listen 203.0.113.10:22 takes TCP port 22, the gateway's SSH if this is its address; set allow_port_22 = yes if it is not\n"
		"l4.conf:8: l4-service 'web': backend 2001:db8:8::2 is IPv6 but listen is IPv4\n"
		"l4.conf:9: invalid backend weight '101' (expected 0..100; 0 keeps the backend listed but gives it no flows)\n"
		"l4.conf:11: l4-service 'b': tcp 203.0.113.10:22 overlaps l4-service 'web' (203.0.113.10:22, line 6)\n");
}

/* Listeners that share nothing: another family, proto, address or port. */
static void test_l4_no_overlap(void **state)
{
	static const char text[] = PORTS
		"[l4-service a]\nlisten = 203.0.113.10:443\nproto = tcp\nbackend = 198.18.8.2\n"
		"[l4-service udp]\nlisten = 203.0.113.10:443\nproto = udp\nbackend = 198.18.8.2\n"
		"[l4-service v6]\nlisten = [2001:db8::10]:443\nproto = tcp\nbackend = [2001:db8:8::2]\n"
		/* ::cb00:710a holds the same 4 bytes as 203.0.113.10 */
		"[l4-service v6b]\nlisten = [2001:db8::cb00:710a]:443\nproto = tcp\nbackend = [2001:db8:8::2]\n"
		"[l4-service other]\nlisten = 203.0.113.11:443\nproto = tcp\nbackend = 198.18.8.2\n"
		"[l4-service below]\nlisten = 203.0.113.10:400-442\nproto = tcp\nbackend = 198.18.8.2\n"
		"[l4-service above]\nlisten = 203.0.113.10:444-500\nproto = tcp\nbackend = 198.18.8.2\n";
	struct gk_config cfg;
	char err[2048];

	(void)state;
	if (parse(text, &cfg, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(cfg.l4->nr_services, 7);
	gk_config_free(&cfg);
}

/* 64 services, 256 backends each at most; one message per limit. */
static void test_l4_limits(void **state)
{
	size_t cap = 1 << 20, off = 0;
	struct gk_config cfg;
	char *text = malloc(cap), err[4096];
	unsigned i, line = 4;

	(void)state;
	assert_non_null(text);
	off += (size_t)snprintf(text + off, cap - off, PORTS);
	for (i = 0; i < 64; i++) {
		off += (size_t)snprintf(text + off, cap - off,
					"[l4-service s%u]\nlisten = 203.0.113.10:%u\n"
					"proto = udp\nbackend = 198.18.8.2\n",
					i, 1000 + i);
		line += 4;
	}
	if (parse(text, &cfg, err, sizeof(err)))
		fail_msg("64 services: %s", err);
	assert_int_equal(cfg.l4->nr_services, 64);
	gk_config_free(&cfg);

	off += (size_t)snprintf(text + off, cap - off,
				"[l4-service s64]\nlisten = 203.0.113.10:2000\n"
				"[l4-service s65]\n");
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(text, 128, "l4.conf:%u: too many l4-services (max 64)\n", line + 1);
	assert_string_equal(err, text);

	/* 256 backends (255 plus MIN's) are fine; the 257th is one error */
	off = (size_t)snprintf(text, cap, MIN "table_size = 65537\n");
	for (i = 1; i < 256; i++)
		off += (size_t)snprintf(text + off, cap - off,
					"backend = 198.18.%u.%u\n", 9 + i / 200, i % 200 + 1);
	if (parse(text, &cfg, err, sizeof(err)))
		fail_msg("256 backends: %s", err);
	assert_int_equal(cfg.l4->services[0].nr_backends, 256);
	gk_config_free(&cfg);
	off += (size_t)snprintf(text + off, cap - off,
				"backend = 198.18.20.1\nbackend = 198.18.20.2\n");
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
		"l4.conf:265: too many backends in l4-service 'web' (max 256)\n");

	/* the table_size bounds themselves are primes and accepted */
	snprintf(text, cap, MIN "table_size = 251\n");
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
	gk_config_free(&cfg);
	snprintf(text, cap, MIN "table_size = 1048573\n");
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.l4->services[0].table_size, 1048573);
	gk_config_free(&cfg);
	free(text);
}

/* Primes and composites from an independent trial division (Python). */
static void test_l4_is_prime(void **state)
{
	static const uint32_t primes[] = {
		2, 3, 5, 251, 257, 65521, 65537, 1048573, 1048583, 4294967291u,
	};
	static const uint32_t composites[] = {
		0, 1, 4, 9, 253, 255, 65535, 65536, 1048575, 1046529 /* 1023^2 */,
		4294967295u, 4294836225u /* 65535^2 */,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(primes) / sizeof(primes[0]); i++)
		if (!gk_config_l4_is_prime(primes[i]))
			fail_msg("%u is prime", primes[i]);
	for (i = 0; i < sizeof(composites) / sizeof(composites[0]); i++)
		if (gk_config_l4_is_prime(composites[i]))
			fail_msg("%u is not prime", composites[i]);
}

#define WG	"[wireguard]\nPrivateKey = " PRIV "\nListenPort = 51820\nport = wan\n" \
		"[wireguard-peer home]\nPublicKey = " PUB "\n"		\
		"AllowedIPs = 198.18.8.0/29, 2001:db8:8::/64\n"		/* 5-11 */

/* Warnings never fail a parse; gk_config_warnings() lists them by line. */
static void test_l4_warnings(void **state)
{
	static const char text[] = PORTS WG
		"[l4-service web]\n"				/* 12 */
		"listen = 203.0.113.10:443\n"
		"proto = tcp\n"
		"backend = 198.18.8.7\n"			/* covered (/29) */
		"backend = 198.18.8.8\n"			/* 16: not covered */
		"backend = 198.18.8.6 weight=0\n"
		"table_size = 251\n"				/* 18: < 100 x 2 ... */
		"[l4-service web6]\n"
		"listen = [2001:db8::10]:443\n"			/* 20 */
		"proto = tcp\n"
		"backend = [2001:db8:8::ffff]\n"		/* covered */
		"backend = [2001:db8:9::2]\n"			/* 23: not covered */
		"[l4-service wg]\n"
		"listen = 203.0.113.10:51000-52000\n"		/* 25: takes ListenPort */
		"proto = udp\n"
		"backend = 198.18.8.1\n";
	/* the tcp services are health-checked (the default) and [wireguard]
	 * has no Address: no host path reaches the covered backends */
	static const char want[] =
		"w.conf:15: warning: l4-service 'web': backend 198.18.8.7 is health-checked from this host, which has no path into the tunnel: set [wireguard] Address (docs/l4.md) or health = none; genkand refuses to start so\n"
		"w.conf:16: warning: l4-service 'web': backend 198.18.8.8 is inside no [wireguard-peer] AllowedIPs: only a kernel route can reach it\n"
		"w.conf:17: warning: l4-service 'web': backend 198.18.8.6 is health-checked from this host, which has no path into the tunnel: set [wireguard] Address (docs/l4.md) or health = none; genkand refuses to start so\n"
		"w.conf:22: warning: l4-service 'web6': backend 2001:db8:8::ffff is health-checked from this host, which has no path into the tunnel: set [wireguard] Address (docs/l4.md) or health = none; genkand refuses to start so\n"
		"w.conf:23: warning: l4-service 'web6': backend 2001:db8:9::2 is inside no [wireguard-peer] AllowedIPs: only a kernel route can reach it\n"
		"w.conf:25: warning: l4-service 'wg': udp 203.0.113.10:51000-52000 takes the [wireguard] ListenPort 51820: the tunnel breaks if this is the address it uses\n";
	static const char want_hostpath[] =
		"w.conf:17: warning: l4-service 'web': backend 198.18.8.8 is inside no [wireguard-peer] AllowedIPs: only a kernel route can reach it\n"
		"w.conf:24: warning: l4-service 'web6': backend 2001:db8:9::2 is inside no [wireguard-peer] AllowedIPs: only a kernel route can reach it\n"
		"w.conf:26: warning: l4-service 'wg': udp 203.0.113.10:51000-52000 takes the [wireguard] ListenPort 51820: the tunnel breaks if this is the address it uses\n";
	struct gk_config cfg;
	char err[2048], warn[2048], *with;
	const char *at;

	(void)state;
	if (gk_config_parse(text, strlen(text), "w.conf", &cfg, err, sizeof(err)))
		fail_msg("%s", err);
	/* 251 >= 100 x 2 active backends is false: 200 < 251, no warning */
	assert_int_equal(gk_config_warnings(&cfg, warn, sizeof(warn)), 6);
	assert_string_equal(warn, want);
	gk_config_free(&cfg);

	/* With a host path (Address, one line more) only the others stay. */
	at = strstr(text, "port = wan\n");
	assert_non_null(at);
	at += strlen("port = wan\n");
	with = malloc(sizeof(text) + 64);
	assert_non_null(with);
	snprintf(with, sizeof(text) + 64, "%.*sAddress = 198.19.0.1/24\n%s",
		 (int)(at - text), text, at);
	if (gk_config_parse(with, strlen(with), "w.conf", &cfg, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(gk_config_warnings(&cfg, warn, sizeof(warn)), 3);
	assert_string_equal(warn, want_hostpath);
	gk_config_free(&cfg);
	free(with);
}

/* table_size under 100 x the active backends, and no [wireguard] at all. */
static void test_l4_warnings_spread(void **state)
{
	static const char text[] = MIN
		"backend = 198.18.8.3\nbackend = 198.18.8.4\n"
		"table_size = 257\n";		/* 11 */
	struct gk_config cfg;
	char err[1024], warn[2048];

	(void)state;
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), 0);
	assert_int_equal(gk_config_warnings(&cfg, warn, sizeof(warn)), 4);
	assert_non_null(strstr(warn,
		"l4.conf:8: warning: l4-service 'web': backend 198.18.8.2 is inside no [wireguard-peer] AllowedIPs"));
	/* 307 is the first prime above 300 */
	assert_non_null(strstr(warn,
		"l4.conf:11: warning: l4-service 'web': table_size 257 is under 100 x 3 backends: flows spread unevenly (Maglev wants M > 100 N; 307 is a prime that fits)\n"));
	assert_int_equal(count_lines(warn), 4);
	gk_config_free(&cfg);

	/* nothing to say: a config without l4 */
	assert_int_equal(parse(PORTS, &cfg, err, sizeof(err)), 0);
	assert_int_equal(gk_config_warnings(&cfg, warn, sizeof(warn)), 0);
	assert_string_equal(warn, "");
	gk_config_free(&cfg);
}

/* Reload: equal ignores lines; every setting counts; copies are deep. */
static void test_l4_equal_copy(void **state)
{
	static const char base[] = MIN
		"backend = 198.18.8.3 weight=2\n"
		"client_ip = snat\nsnat_pool = 198.51.100.1\n"
		"health = http GET /ok\n";
	static const char *const changed[] = {
		PORTS SVC LISTEN TCP BACK "backend = 198.18.8.3 weight=3\n"
		"client_ip = snat\nsnat_pool = 198.51.100.1\nhealth = http GET /ok\n",
		PORTS SVC LISTEN TCP BACK "backend = 198.18.8.3 weight=2\n"
		"client_ip = snat\nsnat_pool = 198.51.100.2\nhealth = http GET /ok\n",
		PORTS SVC LISTEN TCP BACK "backend = 198.18.8.3 weight=2\n"
		"client_ip = snat\nsnat_pool = 198.51.100.1\nhealth = http GET /ok2\n",
		PORTS SVC LISTEN TCP BACK "backend = 198.18.8.3 weight=2\n"
		"client_ip = snat\nsnat_pool = 198.51.100.1\nhealth = http GET /ok\n"
		"tcp_idle = 301\n",
		PORTS SVC LISTEN TCP "backend = 198.18.8.3 weight=2\n" BACK
		"client_ip = snat\nsnat_pool = 198.51.100.1\nhealth = http GET /ok\n",
		PORTS SVC "listen = 203.0.113.10:443-444\n" TCP BACK
		"backend = 198.18.8.3 weight=2\n"
		"client_ip = snat\nsnat_pool = 198.51.100.1\nhealth = http GET /ok\n",
		PORTS "[l4-service web2]\n" LISTEN TCP BACK "backend = 198.18.8.3 weight=2\n"
		"client_ip = snat\nsnat_pool = 198.51.100.1\nhealth = http GET /ok\n",
		PORTS,
	};
	struct gk_config a, b, c;
	char err[1024], text[1024];
	size_t i;

	(void)state;
	assert_int_equal(parse(base, &a, err, sizeof(err)), 0);
	/* same settings on other lines */
	snprintf(text, sizeof(text), "# moved down\n\n%s", base);
	assert_int_equal(parse(text, &b, err, sizeof(err)), 0);
	assert_int_not_equal(a.l4->services[0].line, b.l4->services[0].line);
	assert_true(gk_config_l4_equal(a.l4, b.l4));
	gk_config_free(&b);
	for (i = 0; i < sizeof(changed) / sizeof(changed[0]); i++) {
		if (parse(changed[i], &b, err, sizeof(err)))
			fail_msg("changed %zu: %s", i, err);
		if (gk_config_l4_equal(a.l4, b.l4) || gk_config_l4_equal(b.l4, a.l4))
			fail_msg("changed %zu compares equal", i);
		gk_config_free(&b);
	}
	assert_true(gk_config_l4_equal(NULL, NULL));

	assert_int_equal(gk_config_copy(&c, &a), 0);
	assert_ptr_not_equal(c.l4, a.l4);
	assert_ptr_not_equal(c.l4->services[0].backends, a.l4->services[0].backends);
	assert_true(gk_config_l4_equal(a.l4, c.l4));
	gk_config_free(&a);		/* c lives on alone */
	assert_int_equal(c.l4->services[0].backends[1].weight, 2);
	assert_string_equal(c.l4->services[0].http_path, "/ok");
	gk_config_free(&c);
	gk_config_free(&c);		/* twice is safe */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_l4_full),
		cmocka_unit_test(test_l4_defaults),
		cmocka_unit_test(test_l4_absent),
		cmocka_unit_test(test_l4_ipv6),
		cmocka_unit_test(test_l4_port_range),
		cmocka_unit_test(test_l4_port_22_allowed),
		cmocka_unit_test(test_l4_durations),
		cmocka_unit_test(test_l4_bad),
		cmocka_unit_test(test_l4_bad_many),
		cmocka_unit_test(test_l4_no_overlap),
		cmocka_unit_test(test_l4_limits),
		cmocka_unit_test(test_l4_is_prime),
		cmocka_unit_test(test_l4_warnings),
		cmocka_unit_test(test_l4_warnings_spread),
		cmocka_unit_test(test_l4_equal_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
