// SPDX-License-Identifier: BSD-3-Clause
/* [l4-service NAME] parsing and validation; see config_l4.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "config.h"
#include "config_l4.h"
#include "config_wg.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define SSH_PORT		22
/* Maglev §3.4: M > 100 N keeps every backend within ~1% of its share. */
#define MAGLEV_SPREAD		100

static const char *const key_names[GK_L4_NR_KEYS] = {
	[GK_L4K_LISTEN] = "listen",
	[GK_L4K_PROTO] = "proto",
	[GK_L4K_BACKEND] = "backend",
	[GK_L4K_SCHEDULER] = "scheduler",
	[GK_L4K_TABLE_SIZE] = "table_size",
	[GK_L4K_CLIENT_IP] = "client_ip",
	[GK_L4K_SNAT_POOL] = "snat_pool",
	[GK_L4K_SNAT_PORTS] = "snat_ports",
	[GK_L4K_HEALTH] = "health",
	[GK_L4K_HEALTH_INTERVAL] = "health_interval",
	[GK_L4K_RISE] = "rise",
	[GK_L4K_FALL] = "fall",
	[GK_L4K_TCP_IDLE] = "tcp_idle",
	[GK_L4K_TCP_FIN] = "tcp_fin",
	[GK_L4K_UDP_IDLE] = "udp_idle",
	[GK_L4K_MAX_FLOWS] = "max_flows",
	[GK_L4K_ALLOW_PORT_22] = "allow_port_22",
};

/* Duration keys: bounds in milliseconds. */
static const struct {
	enum gk_config_l4_key key;
	uint32_t min_ms, max_ms;
	const char *range;
} durations[] = {
	{ GK_L4K_HEALTH_INTERVAL, 100, 3600 * 1000, "100ms..3600s" },
	{ GK_L4K_TCP_IDLE, 1000, 604800u * 1000, "1s..604800s" },
	{ GK_L4K_TCP_FIN, 1000, 3600 * 1000, "1s..3600s" },
	{ GK_L4K_UDP_IDLE, 1000, 86400 * 1000, "1s..86400s" },
};

bool gk_config_l4_is_prime(uint32_t n)
{
	uint32_t d;

	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (d = 3; d <= n / d; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

/* Decimal only, no sign: "010" is ten, "+1", "0x1" and "" are errors. */
static int parse_num(const char *s, unsigned long long max,
		     unsigned long long *out)
{
	unsigned long long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	*out = v;
	return 0;
}

/* "N" or "LO-HI" within min..max; -ERANGE when reversed. */
static int parse_range(const char *s, unsigned min, unsigned max,
		       uint16_t *lo, uint16_t *hi)
{
	unsigned long long a, b;
	char buf[32], *dash;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash++ = '\0';
	if (parse_num(buf, max, &a) || a < min)
		return -EINVAL;
	b = a;
	if (dash && (parse_num(dash, max, &b) || b < min))
		return -EINVAL;
	if (b < a)
		return -ERANGE;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* "300", "300s", "500ms", "5m" -> milliseconds (at most ~49 days). */
static int parse_duration(const char *s, uint32_t *ms)
{
	unsigned long long v = 0, mul;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	if (!*p || !strcmp(p, "s"))
		mul = 1000;
	else if (!strcmp(p, "ms"))
		mul = 1;
	else if (!strcmp(p, "m"))
		mul = 60000;
	else
		return -EINVAL;
	if (v * mul > UINT32_MAX)
		return -ERANGE;
	*ms = (uint32_t)(v * mul);
	return 0;
}

/*
 * An address a packet can be sent to and answered from: not unspecified,
 * loopback or multicast (nor 0/8, 240/4 and the IPv4 broadcast); no IPv6
 * link-local (it would need a scope) and no IPv4-mapped IPv6.
 */
static bool unicast_ok(int family, const uint8_t *a)
{
	static const uint8_t zero[16], mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (family == AF_INET)
		return a[0] != 0 && a[0] != 127 && a[0] < 224;
	if (!memcmp(a, zero, 16) || a[0] == 0xff ||
	    (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || !memcmp(a, mapped, 12))
		return false;
	return memcmp(a, zero, 15) || a[15] != 1;
}

/*
 * "IPV4", "IPV4:PORT", "[IPV6]", "[IPV6]:PORT". The port part (without the
 * colon) goes to *port_s, NULL when absent. -EINVAL with *why.
 */
static int split_addr(char *s, int *family, uint8_t addr[16], char **port_s,
		      const char **why)
{
	char *colon;

	*port_s = NULL;
	memset(addr, 0, 16);
	if (*s == '[') {
		char *end = strchr(s, ']');

		if (!end) {
			*why = "missing ']'";
			return -EINVAL;
		}
		*end = '\0';
		if (end[1] == ':')
			*port_s = end + 2;
		else if (end[1]) {
			*why = "expected ':' after ']'";
			return -EINVAL;
		}
		if (inet_pton(AF_INET6, s + 1, addr) != 1) {
			*why = "not an IPv6 address";
			return -EINVAL;
		}
		*family = AF_INET6;
		return 0;
	}
	colon = strchr(s, ':');
	if (colon && strchr(colon + 1, ':')) {
		*why = "write an IPv6 address in brackets: [ADDR]:PORT";
		return -EINVAL;
	}
	if (colon) {
		*colon = '\0';
		*port_s = colon + 1;
	}
	if (inet_pton(AF_INET, s, addr) != 1) {
		*why = "not an IPv4 address";
		return -EINVAL;
	}
	*family = AF_INET;
	return 0;
}

static const char *fmt_addr(int family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

void gk_config_l4_format_listen(const struct gk_config_l4_service *s,
				char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], ports[16];

	fmt_addr(s->family, s->addr, a, sizeof(a));
	if (s->port_lo == s->port_hi)
		snprintf(ports, sizeof(ports), "%u", s->port_lo);
	else
		snprintf(ports, sizeof(ports), "%u-%u", s->port_lo, s->port_hi);
	snprintf(buf, len, s->family == AF_INET6 ? "[%s]:%s" : "%s:%s", a,
		 ports);
}

/* "ADDR" or "[ADDR]:PORT" as written in a backend line. */
static void fmt_backend(const struct gk_config_l4_backend *b, char *buf,
			size_t len)
{
	char a[INET6_ADDRSTRLEN];

	fmt_addr(b->family, b->addr, a, sizeof(a));
	if (b->port)
		snprintf(buf, len, b->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
			 a, b->port);
	else
		snprintf(buf, len, "%s", a);
}

int gk_config_l4_open(struct gk_config_l4 **l4p, const char *arg, unsigned line,
		      gk_config_l4_err_fn perr, void *ea)
{
	struct gk_config_l4 *l4 = *l4p;
	struct gk_config_l4_service *s;
	unsigned i;

	if (!l4) {
		l4 = calloc(1, sizeof(*l4));
		if (!l4) {
			perr(ea, line, "out of memory");
			return -ENOMEM;
		}
		*l4p = l4;
	}
	if (!*arg) {
		perr(ea, line, "l4-service section needs a name: [l4-service NAME]");
		return -EINVAL;
	}
	if (!gk_config_valid_name(arg, sizeof(s->name) - 1)) {
		perr(ea, line, "invalid l4-service name '%s' (expected [A-Za-z0-9_-]{1,31})",
		     arg);
		return -EINVAL;
	}
	for (i = 0; i < l4->nr_services; i++) {
		if (!strcmp(l4->services[i].name, arg)) {
			perr(ea, line, "duplicate l4-service '%s' (first at line %u)",
			     arg, l4->services[i].line);
			return -EINVAL;
		}
	}
	if (l4->nr_services >= GK_CONFIG_L4_MAX_SERVICES) {
		if (!l4->too_many)
			perr(ea, line, "too many l4-services (max %d)",
			     GK_CONFIG_L4_MAX_SERVICES);
		l4->too_many = true;
		return -EINVAL;
	}
	s = &l4->services[l4->nr_services++];
	memset(s, 0, sizeof(*s));
	strcpy(s->name, arg);
	s->line = line;
	s->scheduler = GK_L4_SCHED_MAGLEV;
	s->table_size = GK_CONFIG_L4_TABLE_DEFAULT;
	s->client_ip = GK_L4_CLIENT_PRESERVE;
	s->snat_port_lo = 1024;
	s->snat_port_hi = 65535;
	s->health = GK_L4_HEALTH_TCP;	/* none for udp, unless set (validate) */
	s->expect_lo = 200;
	s->expect_hi = 399;
	s->health_interval_ms = 2000;
	s->rise = 2;
	s->fall = 3;
	s->tcp_idle_ms = 300 * 1000;
	s->tcp_fin_ms = 10 * 1000;
	s->udp_idle_ms = 30 * 1000;
	s->max_flows = 65536;
	return 0;
}

static void set_listen(struct gk_config_l4_service *s, const char *val,
		       unsigned line, gk_config_l4_err_fn perr, void *ea)
{
	char buf[80], *port_s, a[INET6_ADDRSTRLEN];
	const char *why = "";
	uint8_t addr[16];
	uint16_t lo, hi;
	int family, ret;

	if (strlen(val) >= sizeof(buf) ||
	    split_addr(strcpy(buf, val), &family, addr, &port_s, &why)) {
		perr(ea, line, "invalid listen '%s': %s (expected IPV4:PORT or [IPV6]:PORT, PORT may be a range LO-HI)",
		     val, why);
		return;
	}
	if (!port_s) {
		perr(ea, line, "listen '%s' has no port (expected %s:PORT or PORT range LO-HI)",
		     val, family == AF_INET6 ? "[IPV6]" : "IPV4");
		return;
	}
	ret = parse_range(port_s, 1, 65535, &lo, &hi);
	if (ret == -ERANGE) {
		perr(ea, line, "listen port range '%s' is reversed", port_s);
		return;
	}
	if (ret) {
		perr(ea, line, "invalid listen port '%s' (expected 1..65535 or a range LO-HI)",
		     port_s);
		return;
	}
	if (!unicast_ok(family, addr)) {
		perr(ea, line, "listen address %s is not a unicast address a client can reach",
		     fmt_addr(family, addr, a, sizeof(a)));
		return;
	}
	s->family = (uint8_t)family;
	memcpy(s->addr, addr, 16);
	s->port_lo = lo;
	s->port_hi = hi;
}

static int grow_backends(struct gk_config_l4_service *s)
{
	unsigned cap = s->cap ? s->cap * 2 : 4;
	struct gk_config_l4_backend *b;

	if (cap > GK_CONFIG_L4_MAX_BACKENDS)
		cap = GK_CONFIG_L4_MAX_BACKENDS;
	b = realloc(s->backends, cap * sizeof(*b));
	if (!b)
		return -ENOMEM;
	s->backends = b;
	s->cap = cap;
	return 0;
}

/* "ADDR[:PORT] [weight=N]", IPv6 as "[ADDR]" or "[ADDR]:PORT". */
static void add_backend(struct gk_config_l4_service *s, const char *val,
			unsigned line, gk_config_l4_err_fn perr, void *ea)
{
	struct gk_config_l4_backend b = { .weight = 1, .line = line };
	char buf[GK_CONFIG_MAX_LINE + 1], *tok, *save = NULL, *port_s;
	char a[INET6_ADDRSTRLEN], tok0[80];
	unsigned long long v;
	const char *why = "";
	bool have_weight = false;
	int family;

	if (s->nr_backends >= GK_CONFIG_L4_MAX_BACKENDS) {
		if (!s->too_many)
			perr(ea, line, "too many backends in l4-service '%s' (max %d)",
			     s->name, GK_CONFIG_L4_MAX_BACKENDS);
		s->too_many = true;
		return;
	}
	snprintf(buf, sizeof(buf), "%s", val);
	tok = strtok_r(buf, " \t", &save);
	snprintf(tok0, sizeof(tok0), "%s", tok);	/* split_addr cuts tok */
	if (split_addr(tok, &family, b.addr, &port_s, &why)) {
		perr(ea, line, "invalid backend '%s': %s (expected IPV4[:PORT] or [IPV6][:PORT], then weight=N)",
		     tok0, why);
		return;
	}
	b.family = (uint8_t)family;
	if (port_s) {
		if (parse_num(port_s, 65535, &v) || v == 0) {
			perr(ea, line, "invalid backend port '%s' (expected 1..65535; leave it out for the listen port)",
			     port_s);
			return;
		}
		b.port = (uint16_t)v;
	}
	if (!unicast_ok(family, b.addr)) {
		perr(ea, line, "backend address %s is not a unicast address",
		     fmt_addr(family, b.addr, a, sizeof(a)));
		return;
	}
	while ((tok = strtok_r(NULL, " \t", &save))) {
		if (strncmp(tok, "weight=", 7)) {
			perr(ea, line, "unknown backend option '%s' (expected weight=N)",
			     tok);
			return;
		}
		if (have_weight) {
			perr(ea, line, "backend weight given twice");
			return;
		}
		have_weight = true;
		if (parse_num(tok + 7, GK_CONFIG_L4_MAX_WEIGHT, &v)) {
			perr(ea, line, "invalid backend weight '%s' (expected 0..%d; 0 keeps the backend listed but gives it no flows)",
			     tok + 7, GK_CONFIG_L4_MAX_WEIGHT);
			return;
		}
		b.weight = (uint8_t)v;
	}
	if (s->nr_backends == s->cap && grow_backends(s)) {
		perr(ea, line, "out of memory");
		return;
	}
	s->backends[s->nr_backends++] = b;
}

/* "ADDR" or "ADDR-ADDR", one family, at most GK_CONFIG_L4_MAX_SNAT_ADDRS. */
static void set_snat_pool(struct gk_config_l4_service *s, const char *val,
			  unsigned line, gk_config_l4_err_fn perr, void *ea)
{
	uint8_t lo[16] = { 0 }, hi[16] = { 0 };
	char buf[96], *dash;
	int family = AF_INET, n;
	uint32_t a, b;

	if (strlen(val) >= sizeof(buf))
		goto bad;
	strcpy(buf, val);
	dash = strchr(buf, '-');
	if (dash)
		*dash++ = '\0';
	if (inet_pton(AF_INET, buf, lo) != 1) {
		family = AF_INET6;
		if (inet_pton(AF_INET6, buf, lo) != 1)
			goto bad;
	}
	if (!dash)
		memcpy(hi, lo, 16);
	else if (inet_pton(family, dash, hi) != 1)
		goto bad;
	if (!unicast_ok(family, lo) || !unicast_ok(family, hi)) {
		perr(ea, line, "snat_pool '%s' holds an address that is not unicast", val);
		return;
	}
	n = family == AF_INET ? 4 : 16;
	if (memcmp(lo, hi, (size_t)n) > 0) {
		perr(ea, line, "snat_pool range '%s' is reversed", val);
		return;
	}
	/* Only the last 32 bits may differ; then the size is b - a + 1. */
	memcpy(&a, lo + n - 4, 4);
	memcpy(&b, hi + n - 4, 4);
	if (memcmp(lo, hi, (size_t)n - 4) ||
	    ntohl(b) - ntohl(a) >= GK_CONFIG_L4_MAX_SNAT_ADDRS) {
		perr(ea, line, "snat_pool '%s' holds more than %d addresses",
		     val, GK_CONFIG_L4_MAX_SNAT_ADDRS);
		return;
	}
	s->snat_family = (uint8_t)family;
	memcpy(s->snat_lo, lo, 16);
	memcpy(s->snat_hi, hi, 16);
	return;
bad:
	perr(ea, line, "invalid snat_pool '%s' (expected ADDR or ADDR-ADDR, IPv4 or IPv6)",
	     val);
}

/* tcp | none | http GET /PATH [expect LO[-HI]] */
static void set_health(struct gk_config_l4_service *s, const char *val,
		       unsigned line, gk_config_l4_err_fn perr, void *ea)
{
	char buf[GK_CONFIG_MAX_LINE + 1], *tok[6], *save = NULL, *t;
	unsigned n = 0, i;
	uint16_t lo, hi;

	snprintf(buf, sizeof(buf), "%s", val);
	for (t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == ARRAY_SIZE(tok))
			goto bad;
		tok[n++] = t;
	}
	if (n == 1 && !strcmp(tok[0], "tcp")) {
		s->health = GK_L4_HEALTH_TCP;
		return;
	}
	if (n == 1 && !strcmp(tok[0], "none")) {
		s->health = GK_L4_HEALTH_NONE;
		return;
	}
	if ((n != 3 && n != 5) || strcmp(tok[0], "http") || strcmp(tok[1], "GET"))
		goto bad;
	if (tok[2][0] != '/' || strlen(tok[2]) >= sizeof(s->http_path)) {
		perr(ea, line, "health: http path '%s' must start with '/' and hold at most %zu bytes",
		     tok[2], sizeof(s->http_path) - 1);
		return;
	}
	for (i = 0; tok[2][i]; i++) {
		if (tok[2][i] < 0x21 || tok[2][i] > 0x7e) {
			perr(ea, line, "health: http path '%s' holds a character a request line cannot carry",
			     tok[2]);
			return;
		}
	}
	if (n == 5) {
		if (strcmp(tok[3], "expect"))
			goto bad;
		if (parse_range(tok[4], 100, 599, &lo, &hi)) {
			perr(ea, line, "health: invalid expect '%s' (expected a status or a range LO-HI within 100..599)",
			     tok[4]);
			return;
		}
		s->expect_lo = lo;
		s->expect_hi = hi;
	}
	s->health = GK_L4_HEALTH_HTTP;
	strcpy(s->http_path, tok[2]);
	return;
bad:
	perr(ea, line, "invalid health '%s' (expected tcp | http GET /PATH [expect LO-HI] | none)",
	     val);
}

static void set_duration(struct gk_config_l4_service *s,
			 enum gk_config_l4_key k, const char *val,
			 unsigned line, gk_config_l4_err_fn perr, void *ea)
{
	uint32_t ms = 0, *dst;
	unsigned i;
	int ret;

	for (i = 0; durations[i].key != k; i++)
		;
	dst = k == GK_L4K_HEALTH_INTERVAL ? &s->health_interval_ms :
	      k == GK_L4K_TCP_IDLE ? &s->tcp_idle_ms :
	      k == GK_L4K_TCP_FIN ? &s->tcp_fin_ms : &s->udp_idle_ms;
	ret = parse_duration(val, &ms);
	if (ret == -EINVAL) {
		perr(ea, line, "invalid %s '%s' (expected a duration: N, Ns, Nms or Nm)",
		     key_names[k], val);
		return;
	}
	if (ret || ms < durations[i].min_ms ||
	    ms > durations[i].max_ms) {
		perr(ea, line, "%s = %s out of range (%s)", key_names[k], val,
		     durations[i].range);
		return;
	}
	*dst = ms;
}

static void set_uint(enum gk_config_l4_key k, const char *val,
		     unsigned long long min, unsigned long long max,
		     uint32_t *dst, unsigned line, gk_config_l4_err_fn perr,
		     void *ea)
{
	unsigned long long v = 0;
	int ret = parse_num(val, max, &v);

	if (ret == -EINVAL) {
		perr(ea, line, "invalid number '%s' for %s", val, key_names[k]);
		return;
	}
	if (ret || v < min) {
		perr(ea, line, "%s = %s out of range (%llu..%llu)", key_names[k],
		     val, min, max);
		return;
	}
	*dst = (uint32_t)v;
}

/* Smallest prime >= n, or 0 past UINT32_MAX. */
static uint32_t next_prime(uint64_t n)
{
	for (; n <= UINT32_MAX; n++)
		if (gk_config_l4_is_prime((uint32_t)n))
			return (uint32_t)n;
	return 0;
}

static void set_table_size(struct gk_config_l4_service *s, const char *val,
			   unsigned line, gk_config_l4_err_fn perr, void *ea)
{
	uint32_t m = 0, below;

	set_uint(GK_L4K_TABLE_SIZE, val, GK_CONFIG_L4_TABLE_MIN,
		 GK_CONFIG_L4_TABLE_MAX, &m, line, perr, ea);
	if (!m)
		return;
	if (!gk_config_l4_is_prime(m)) {
		for (below = m - 1; !gk_config_l4_is_prime(below); below--)
			;
		perr(ea, line, "table_size %u is not prime (Maglev needs a prime M; %u and %u are)",
		     m, below, next_prime(m));
		return;
	}
	s->table_size = m;
}

static void set_enum(enum gk_config_l4_key k, const char *val,
		     const char *const *names, unsigned n, int *out,
		     unsigned line, gk_config_l4_err_fn perr, void *ea)
{
	char choices[64] = "";
	unsigned i;

	for (i = 0; i < n; i++) {
		if (!strcmp(val, names[i])) {
			*out = (int)i;
			return;
		}
	}
	for (i = 0; i < n; i++) {
		if (i)
			strncat(choices, " | ", sizeof(choices) - strlen(choices) - 1);
		strncat(choices, names[i], sizeof(choices) - strlen(choices) - 1);
	}
	perr(ea, line, "invalid %s '%s' (expected %s)", key_names[k], val, choices);
}

void gk_config_l4_key(struct gk_config_l4 *l4, const char *key, const char *val,
		      unsigned line, gk_config_l4_err_fn perr, void *ea)
{
	static const char *const protos[] = { "tcp", "udp" };
	static const char *const scheds[] = { [GK_L4_SCHED_MAGLEV] = "maglev" };
	static const char *const clients[] = {
		[GK_L4_CLIENT_PRESERVE] = "preserve", [GK_L4_CLIENT_SNAT] = "snat",
	};
	static const char *const yesno[] = { "no", "yes" };
	struct gk_config_l4_service *s = &l4->services[l4->nr_services - 1];
	uint32_t u = 0;
	unsigned k;
	int v = -1;

	for (k = 0; k < GK_L4_NR_KEYS; k++)
		if (!strcmp(key_names[k], key))
			break;
	if (k == GK_L4_NR_KEYS) {
		perr(ea, line, "unknown key '%s' in [l4-service]", key);
		return;
	}
	if (s->key_line[k] && k != GK_L4K_BACKEND) {
		perr(ea, line, "duplicate key '%s' (first at line %u)", key,
		     s->key_line[k]);
		return;
	}
	if (!s->key_line[k])
		s->key_line[k] = line;
	if (!*val) {
		perr(ea, line, "missing value for '%s'", key);
		return;
	}

	switch ((enum gk_config_l4_key)k) {
	case GK_L4K_LISTEN:
		set_listen(s, val, line, perr, ea);
		return;
	case GK_L4K_PROTO:
		set_enum(k, val, protos, ARRAY_SIZE(protos), &v, line, perr, ea);
		if (v >= 0)
			s->proto = v ? IPPROTO_UDP : IPPROTO_TCP;
		return;
	case GK_L4K_BACKEND:
		add_backend(s, val, line, perr, ea);
		return;
	case GK_L4K_SCHEDULER:
		set_enum(k, val, scheds, ARRAY_SIZE(scheds), &v, line, perr, ea);
		if (v >= 0)
			s->scheduler = (enum gk_config_l4_sched)v;
		return;
	case GK_L4K_TABLE_SIZE:
		set_table_size(s, val, line, perr, ea);
		return;
	case GK_L4K_CLIENT_IP:
		set_enum(k, val, clients, ARRAY_SIZE(clients), &v, line, perr, ea);
		if (v >= 0)
			s->client_ip = (enum gk_config_l4_client_ip)v;
		return;
	case GK_L4K_SNAT_POOL:
		set_snat_pool(s, val, line, perr, ea);
		return;
	case GK_L4K_SNAT_PORTS: {
		uint16_t lo, hi;
		/* Always LO-HI (N-N for one port), so the value reads as a range. */
		if (!strchr(val, '-') || parse_range(val, 1, 65535, &lo, &hi))
			perr(ea, line, "invalid snat_ports '%s' (expected LO-HI within 1..65535, LO <= HI)",
			     val);
		else {
			s->snat_port_lo = lo;
			s->snat_port_hi = hi;
		}
		return;
	}
	case GK_L4K_HEALTH:
		set_health(s, val, line, perr, ea);
		return;
	case GK_L4K_HEALTH_INTERVAL:
	case GK_L4K_TCP_IDLE:
	case GK_L4K_TCP_FIN:
	case GK_L4K_UDP_IDLE:
		set_duration(s, k, val, line, perr, ea);
		return;
	case GK_L4K_RISE:
	case GK_L4K_FALL:
		set_uint(k, val, 1, 100, &u, line, perr, ea);
		if (u && k == GK_L4K_RISE)
			s->rise = (uint8_t)u;
		else if (u)
			s->fall = (uint8_t)u;
		return;
	case GK_L4K_MAX_FLOWS:
		set_uint(k, val, 16, 1u << 24, &s->max_flows, line, perr, ea);
		return;
	case GK_L4K_ALLOW_PORT_22:
		set_enum(k, val, yesno, ARRAY_SIZE(yesno), &v, line, perr, ea);
		if (v >= 0)
			s->allow_port_22 = v;
		return;
	case GK_L4_NR_KEYS:
		return;
	}
}

static bool ranges_meet(const struct gk_config_l4_service *a,
			const struct gk_config_l4_service *b)
{
	return a->port_lo <= b->port_hi && b->port_lo <= a->port_hi;
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* A backend's port as the packet will carry it; 0: the packet's own (a range). */
static uint16_t dst_port(const struct gk_config_l4_service *s,
			 const struct gk_config_l4_backend *b)
{
	if (b->port || !s->family || s->port_lo != s->port_hi)
		return b->port;
	return s->port_lo;
}

static void validate_backends(struct gk_config_l4_service *s,
			      gk_config_l4_err_fn perr, void *ea)
{
	unsigned i, j, active = 0, wsum = 0;
	char b1[64];

	for (i = 0; i < s->nr_backends; i++) {
		const struct gk_config_l4_backend *b = &s->backends[i];

		fmt_backend(b, b1, sizeof(b1));
		if (s->family && b->family != s->family)
			perr(ea, b->line, "l4-service '%s': backend %s is %s but listen is %s",
			     s->name, b1, b->family == AF_INET6 ? "IPv6" : "IPv4",
			     s->family == AF_INET6 ? "IPv6" : "IPv4");
		if (s->family && b->port && s->port_lo != s->port_hi)
			perr(ea, b->line,
			     "l4-service '%s': backend %s names a port but listen is the range %u-%u (each port goes to the same port: leave the backend's out)",
			     s->name, b1, s->port_lo, s->port_hi);
		for (j = 0; j < i; j++) {
			const struct gk_config_l4_backend *o = &s->backends[j];

			if (o->family == b->family &&
			    dst_port(s, o) == dst_port(s, b) &&
			    !memcmp(o->addr, b->addr, 16)) {
				perr(ea, b->line, "l4-service '%s': backend %s listed twice (first at line %u)",
				     s->name, b1, o->line);
				break;
			}
		}
		active += b->weight > 0;
		wsum += b->weight;
	}
	if (s->nr_backends && !active)
		perr(ea, s->key_line[GK_L4K_BACKEND],
		     "l4-service '%s': every backend has weight 0 (at least one needs weight 1..%d)",
		     s->name, GK_CONFIG_L4_MAX_WEIGHT);
	if (wsum > s->table_size)
		perr(ea, s->key_line[GK_L4K_TABLE_SIZE] ? s->key_line[GK_L4K_TABLE_SIZE]
							: s->line,
		     "l4-service '%s': table_size %u is below the sum of the backend weights (%u): a backend could get no slot",
		     s->name, s->table_size, wsum);
}

/* A key set in a service whose other settings make it meaningless. */
static void unused_key(const struct gk_config_l4_service *s,
		       enum gk_config_l4_key k, const char *why,
		       gk_config_l4_err_fn perr, void *ea)
{
	if (s->key_line[k])
		perr(ea, s->key_line[k], "l4-service '%s': %s is only for %s",
		     s->name, key_names[k], why);
}

static void validate_service(struct gk_config_l4_service *s,
			     gk_config_l4_err_fn perr, void *ea)
{
	const unsigned *kl = s->key_line;
	char l[80];

	if (!kl[GK_L4K_LISTEN])
		perr(ea, s->line, "l4-service '%s' needs listen = ADDR:PORT", s->name);
	if (!kl[GK_L4K_PROTO])
		perr(ea, s->line, "l4-service '%s' needs proto = tcp | udp", s->name);
	if (!kl[GK_L4K_BACKEND])
		perr(ea, s->line, "l4-service '%s' has no backend", s->name);
	validate_backends(s, perr, ea);

	if (!kl[GK_L4K_HEALTH] && s->proto == IPPROTO_UDP)
		s->health = GK_L4_HEALTH_NONE;
	if (s->health == GK_L4_HEALTH_NONE) {
		const char *why = kl[GK_L4K_HEALTH] ? "a health check (health = none)"
						    : "a health check (udp has none unless health is set)";

		unused_key(s, GK_L4K_HEALTH_INTERVAL, why, perr, ea);
		unused_key(s, GK_L4K_RISE, why, perr, ea);
		unused_key(s, GK_L4K_FALL, why, perr, ea);
	}

	if (s->client_ip == GK_L4_CLIENT_SNAT) {
		if (!kl[GK_L4K_SNAT_POOL])
			perr(ea, kl[GK_L4K_CLIENT_IP],
			     "l4-service '%s': client_ip = snat needs snat_pool = ADDR[-ADDR] (the front door's tunnel address)",
			     s->name);
		else if (s->family && s->snat_family && s->snat_family != s->family)
			perr(ea, kl[GK_L4K_SNAT_POOL],
			     "l4-service '%s': snat_pool is %s but listen and backends are %s",
			     s->name, s->snat_family == AF_INET6 ? "IPv6" : "IPv4",
			     s->family == AF_INET6 ? "IPv6" : "IPv4");
	} else {
		unused_key(s, GK_L4K_SNAT_POOL, "client_ip = snat", perr, ea);
		unused_key(s, GK_L4K_SNAT_PORTS, "client_ip = snat", perr, ea);
	}

	if (s->proto == IPPROTO_UDP) {
		unused_key(s, GK_L4K_TCP_IDLE, "proto = tcp", perr, ea);
		unused_key(s, GK_L4K_TCP_FIN, "proto = tcp", perr, ea);
		unused_key(s, GK_L4K_ALLOW_PORT_22, "proto = tcp", perr, ea);
	} else if (s->proto == IPPROTO_TCP) {
		unused_key(s, GK_L4K_UDP_IDLE, "proto = udp", perr, ea);
	}

	/*
	 * The gateway's own addresses are only known to genkand at start; a
	 * TCP range over 22 is refused here so that the front door cannot
	 * take the operator's SSH by a typo.
	 */
	if (s->family && s->proto == IPPROTO_TCP && !s->allow_port_22 &&
	    s->port_lo <= SSH_PORT && SSH_PORT <= s->port_hi) {
		gk_config_l4_format_listen(s, l, sizeof(l));
		perr(ea, kl[GK_L4K_LISTEN],
		     "l4-service '%s': listen %s takes TCP port 22, the gateway's SSH if this is its address; set allow_port_22 = yes if it is not",
		     s->name, l);
	}
}

void gk_config_l4_validate(struct gk_config_l4 *l4, gk_config_l4_err_fn perr,
			   void *ea)
{
	unsigned i, j;
	char l1[80], l2[80];

	if (!l4)
		return;
	for (i = 0; i < l4->nr_services; i++)
		validate_service(&l4->services[i], perr, ea);

	/* One listener per (proto, address, port): a packet has one service. */
	for (j = 1; j < l4->nr_services; j++) {
		const struct gk_config_l4_service *b = &l4->services[j];

		if (!b->family || !b->proto)
			continue;
		for (i = 0; i < j; i++) {
			const struct gk_config_l4_service *a = &l4->services[i];

			if (a->proto != b->proto || a->family != b->family ||
			    memcmp(a->addr, b->addr, 16) || !ranges_meet(a, b))
				continue;
			gk_config_l4_format_listen(b, l1, sizeof(l1));
			gk_config_l4_format_listen(a, l2, sizeof(l2));
			perr(ea, b->key_line[GK_L4K_LISTEN],
			     "l4-service '%s': %s %s overlaps l4-service '%s' (%s, line %u)",
			     b->name, proto_name(b->proto), l1, a->name, l2,
			     a->key_line[GK_L4K_LISTEN]);
			break;	/* one report per service is enough */
		}
	}
}

static bool prefix_covers(const struct gk_config_wg_prefix *p, int family,
			  const uint8_t *addr)
{
	unsigned full = p->plen / 8, rest = p->plen % 8;

	if (p->family != family || memcmp(p->addr, addr, full))
		return false;
	return !rest || !((p->addr[full] ^ addr[full]) & (0xff00 >> rest));
}

bool gk_config_l4_peer_covers(const struct gk_config_wg *wg, int family,
			      const uint8_t *addr)
{
	unsigned i, j;

	if (!wg || !wg->line || !wg->enabled)
		return false;
	for (i = 0; i < wg->nr_peers; i++)
		for (j = 0; j < wg->peers[i].nr_allowed; j++)
			if (prefix_covers(&wg->peers[i].allowed[j], family, addr))
				return true;
	return false;
}

unsigned gk_config_l4_warnings(const struct gk_config *cfg,
			       gk_config_l4_err_fn warn, void *ea)
{
	const struct gk_config_l4 *l4 = cfg->l4;
	const struct gk_config_wg *wg = cfg->wg;
	unsigned i, j, n = 0;
	char b1[64], l[80];

	if (!l4)
		return 0;
	for (i = 0; i < l4->nr_services; i++) {
		const struct gk_config_l4_service *s = &l4->services[i];
		unsigned active = 0;

		for (j = 0; j < s->nr_backends; j++) {
			const struct gk_config_l4_backend *b = &s->backends[j];

			active += b->weight > 0;
			if (gk_config_l4_peer_covers(wg, b->family, b->addr)) {
				if (s->health == GK_L4_HEALTH_NONE || wg->nr_addrs)
					continue;
				fmt_backend(b, b1, sizeof(b1));
				warn(ea, b->line,
				     "l4-service '%s': backend %s is health-checked from this host, which has no path into the tunnel: set [wireguard] Address (docs/l4.md) or health = none; genkand refuses to start so",
				     s->name, b1);
				n++;
				continue;
			}
			fmt_backend(b, b1, sizeof(b1));
			warn(ea, b->line,
			     "l4-service '%s': backend %s is inside no [wireguard-peer] AllowedIPs: only a kernel route can reach it",
			     s->name, b1);
			n++;
		}
		if (active && s->table_size < (uint64_t)MAGLEV_SPREAD * active) {
			warn(ea, s->key_line[GK_L4K_TABLE_SIZE] ?
				 s->key_line[GK_L4K_TABLE_SIZE] : s->line,
			     "l4-service '%s': table_size %u is under %u x %u backends: flows spread unevenly (Maglev wants M > 100 N; %u is a prime that fits)",
			     s->name, s->table_size, MAGLEV_SPREAD, active,
			     next_prime((uint64_t)MAGLEV_SPREAD * active + 1));
			n++;
		}
		if (s->proto == IPPROTO_UDP && wg && wg->line && wg->enabled &&
		    wg->listen_port && s->port_lo <= wg->listen_port &&
		    wg->listen_port <= s->port_hi) {
			gk_config_l4_format_listen(s, l, sizeof(l));
			warn(ea, s->key_line[GK_L4K_LISTEN],
			     "l4-service '%s': udp %s takes the [wireguard] ListenPort %u: the tunnel breaks if this is the address it uses",
			     s->name, l, wg->listen_port);
			n++;
		}
	}
	return n;
}

void gk_config_l4_free(struct gk_config_l4 *l4)
{
	unsigned i;

	if (!l4)
		return;
	for (i = 0; i < l4->nr_services; i++)
		free(l4->services[i].backends);
	free(l4);
}

struct gk_config_l4 *gk_config_l4_dup(const struct gk_config_l4 *src)
{
	struct gk_config_l4 *dst;
	unsigned i;

	if (!src)
		return NULL;
	dst = malloc(sizeof(*dst));
	if (!dst)
		return NULL;
	*dst = *src;
	for (i = 0; i < dst->nr_services; i++) {
		struct gk_config_l4_service *s = &dst->services[i];
		size_t sz = s->nr_backends * sizeof(*s->backends);

		s->backends = NULL;
		s->cap = 0;
		if (!sz)
			continue;
		s->backends = malloc(sz);
		if (!s->backends) {
			dst->nr_services = i;
			gk_config_l4_free(dst);
			return NULL;
		}
		memcpy(s->backends, src->services[i].backends, sz);
		s->cap = s->nr_backends;
	}
	return dst;
}

static bool service_equal(const struct gk_config_l4_service *a,
			  const struct gk_config_l4_service *b)
{
	unsigned i;

	if (strcmp(a->name, b->name) || a->family != b->family ||
	    a->proto != b->proto || a->port_lo != b->port_lo ||
	    a->port_hi != b->port_hi || memcmp(a->addr, b->addr, 16) ||
	    a->scheduler != b->scheduler || a->table_size != b->table_size ||
	    a->client_ip != b->client_ip || a->snat_family != b->snat_family ||
	    memcmp(a->snat_lo, b->snat_lo, 16) ||
	    memcmp(a->snat_hi, b->snat_hi, 16) ||
	    a->snat_port_lo != b->snat_port_lo ||
	    a->snat_port_hi != b->snat_port_hi || a->health != b->health ||
	    strcmp(a->http_path, b->http_path) ||
	    a->expect_lo != b->expect_lo || a->expect_hi != b->expect_hi ||
	    a->health_interval_ms != b->health_interval_ms ||
	    a->rise != b->rise || a->fall != b->fall ||
	    a->tcp_idle_ms != b->tcp_idle_ms || a->tcp_fin_ms != b->tcp_fin_ms ||
	    a->udp_idle_ms != b->udp_idle_ms || a->max_flows != b->max_flows ||
	    a->allow_port_22 != b->allow_port_22 ||
	    a->nr_backends != b->nr_backends)
		return false;
	for (i = 0; i < a->nr_backends; i++) {
		const struct gk_config_l4_backend *x = &a->backends[i];
		const struct gk_config_l4_backend *y = &b->backends[i];

		if (x->family != y->family || x->weight != y->weight ||
		    x->port != y->port || memcmp(x->addr, y->addr, 16))
			return false;
	}
	return true;
}

bool gk_config_l4_equal(const struct gk_config_l4 *a,
			const struct gk_config_l4 *b)
{
	unsigned i, na = a ? a->nr_services : 0, nb = b ? b->nr_services : 0;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (!service_equal(&a->services[i], &b->services[i]))
			return false;
	return true;
}
