// SPDX-License-Identifier: BSD-3-Clause
/*
 * Strict INI parser for genkan.conf. Every problem is reported with its
 * line, and parsing carries on past errors so the operator sees the whole
 * list at once instead of fixing one line per daemon restart.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_wg_mape.h"

/* Frame headroom the AF_XDP backend keeps in front of the packet. */
#define XDP_HEADROOM		256
#define L2_OVERHEAD		18	/* Ethernet header + one VLAN tag */

/* tunnel_mtu bounds: IPv4 minimum (RFC 791) .. largest IPv6 payload - 40 */
#define TUNNEL_MTU_MIN		68
#define TUNNEL_MTU_MAX		65495
#define MSS_MIN			536	/* RFC 879 default MSS */
#define MSS_MAX			65495

enum section {
	SEC_NONE, SEC_GENKAN, SEC_PORT, SEC_MAPE, SEC_MAP_RULE, SEC_NAT,
	SEC_WG, SEC_WG_PEER, SEC_L4, SEC_METRICS, SEC_DPDK, SEC_IGNORED
};

enum gkey {
	K_INSTANCE, K_SOCKET, K_BPFFS, K_WORKERS, K_CPUS, K_XDP_MODE, K_BIND,
	K_FRAMES, K_FRAME_SIZE, K_RING_SIZE, K_HEARTBEAT_MS, K_STALL_MS,
	K_ROUTE_TABLE, K_LOG_LEVEL, K_LOG_FORMAT, K_TTL_EXPIRED, K_ICMP_RATE, K_IDLE_SLEEP_US,
	K_XDP_META, K_CHECKSUM, NR_GKEYS
};

enum pkey { P_INTERFACE, P_MTU, P_XDP_META, P_CHECKSUM, P_BACKEND, P_DEVARGS,
	NR_PKEYS };

enum mkey {
	M_ROLE, M_BR_ADDRESS, M_IPV4_PORT, M_IPV6_PORT, M_EUP, M_TUNNEL_MTU,
	M_FRAGMENT, M_ICMP_UNREACH, M_ENABLED, NR_MKEYS
};

enum rkey {
	R_IPV6_PREFIX, R_IPV4_PREFIX, R_EA_BITS, R_PSID_OFFSET, R_PSID_LEN,
	R_DRAFT03, R_FMR, R_MSS_CLAMP, NR_RKEYS
};

/* Per [map-rule] bookkeeping that does not belong in struct gk_map_rule. */
struct rule_aux {
	unsigned line;
	unsigned key_line[NR_RKEYS];
	bool mss_auto;
};

/* One reported problem, kept whole until flush_errors() renders them. */
struct perr_entry {
	unsigned line;		/* 0: the whole file, sorts last */
	char *text;		/* "name:line: message", no newline */
};

#define MAX_KEPT_ERRS	1024	/* beyond: counted in "... and N more" */

struct parser {
	const char *name;
	char *err;
	size_t errlen;
	size_t errpos;
	unsigned nr_err;
	struct perr_entry *errs;	/* heap, nr_kept of them */
	unsigned nr_kept, errs_cap;
	const char *what;		/* "errors", or "warnings" */

	struct gk_config cfg;
	enum section sec;
	unsigned genkan_line;
	unsigned gkey_line[NR_GKEYS];
	unsigned pkey_line[GK_CONFIG_MAX_PORTS][NR_PKEYS];
	bool too_many_ports;
	unsigned mkey_line[NR_MKEYS];
	bool role_set;
	struct rule_aux *raux;		/* parallel to cfg.map_rules */
	unsigned rules_cap;
	bool too_many_rules;
	struct gk_config_nat_pstate natp;	/* config_nat.c */
};

struct key_def {
	const char *name;
	int (*set)(struct parser *p, unsigned line, const char *key,
		   const char *val);
};

static const char *const xdp_mode_names[] = {
	[GK_XDP_MODE_NATIVE] = "native",
	[GK_XDP_MODE_SKB] = "skb",
};

static const char *const bind_mode_names[] = {
	[GK_BIND_AUTO] = "auto",
	[GK_BIND_COPY] = "copy",
	[GK_BIND_ZEROCOPY] = "zerocopy",
};

static const char *const ttl_expired_names[] = {
	[GK_TTL_EXPIRED_WORKER] = "worker",
	[GK_TTL_EXPIRED_KERNEL] = "kernel",
};

static const char *const xdp_meta_names[] = {
	[GK_XDP_META_AUTO] = "auto",
	[GK_XDP_META_META] = "meta",
	[GK_XDP_META_HEAD] = "head",
	[GK_XDP_META_PARSE] = "parse",
};

static const char *const csum_names[] = {
	[GK_CSUM_AUTO] = "auto",
	[GK_CSUM_TRUST] = "trust",
	[GK_CSUM_COMPLETE] = "complete",
};

static const char *const backend_names[] = {
	[GK_BACKEND_AFXDP] = "afxdp",
	[GK_BACKEND_DPDK] = "dpdk",
};

static const char *const role_names[] = {
	[GK_MAPE_CE] = "ce",
	[GK_MAPE_BR] = "br",
};

static const char *const fragment_names[] = { "outer", "icmp" };

static const char *const bool_names[] = { "no", "yes" };

static const char *const log_level_names[] = {
	[GK_LOG_ERROR] = "error",
	[GK_LOG_WARN] = "warn",
	[GK_LOG_INFO] = "info",
	[GK_LOG_DEBUG] = "debug",
};

static const char *const log_format_names[] = {
	[GK_LOG_FMT_TEXT] = "text",
	[GK_LOG_FMT_JSON] = "json",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *gk_config_xdp_mode_str(enum gk_xdp_mode m)
{
	return (unsigned)m < ARRAY_SIZE(xdp_mode_names) ? xdp_mode_names[m] : "?";
}

const char *gk_config_xdp_meta_str(enum gk_xdp_meta_mode m)
{
	return (unsigned)m < ARRAY_SIZE(xdp_meta_names) ? xdp_meta_names[m] : "?";
}

const char *gk_config_csum_str(enum gk_csum_mode m)
{
	return (unsigned)m < ARRAY_SIZE(csum_names) ? csum_names[m] : "?";
}

const char *gk_config_bind_mode_str(enum gk_bind_mode m)
{
	return (unsigned)m < ARRAY_SIZE(bind_mode_names) ? bind_mode_names[m] : "?";
}

const char *gk_config_log_level_str(enum gk_log_level l)
{
	return (unsigned)l < ARRAY_SIZE(log_level_names) ? log_level_names[l] : "?";
}

const char *gk_config_log_format_str(enum gk_log_format f)
{
	return (unsigned)f < ARRAY_SIZE(log_format_names) ? log_format_names[f] : "?";
}

__attribute__((format(printf, 3, 4)))
static void perr(struct parser *p, unsigned line, const char *fmt, ...)
{
	char msg[768], *text;
	va_list ap;
	int n;

	p->nr_err++;
	if (!p->err || p->errlen == 0 || p->nr_kept >= MAX_KEPT_ERRS)
		return;
	if (p->nr_kept == p->errs_cap) {
		unsigned cap = p->errs_cap ? p->errs_cap * 2 : 16;
		struct perr_entry *e = realloc(p->errs, cap * sizeof(*e));

		if (!e)
			return;		/* counted, shown as "... and N more" */
		p->errs = e;
		p->errs_cap = cap;
	}
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		msg[0] = '\0';
	if (line)
		n = asprintf(&text, "%s:%u: %s", p->name, line, msg);
	else
		n = asprintf(&text, "%s: %s", p->name, msg);
	if (n < 0)
		return;
	p->errs[p->nr_kept].line = line ? line : ~0u;
	p->errs[p->nr_kept].text = text;
	p->nr_kept++;
}

int gk_config_valid_name(const char *s, size_t maxlen)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		if (i >= maxlen)
			return 0;
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	}
	return i > 0;
}

/* Same rules as the kernel's dev_valid_name(). */
static bool valid_ifname(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= 16 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s) ||
		    !isprint((unsigned char)*s))
			return false;
	return true;
}

int gk_config_socket_for(const char *instance, char *buf, size_t len)
{
	int n;

	if (!gk_config_valid_name(instance, 31))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s.sock", GK_CONFIG_RUN_DIR, instance);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

void gk_config_defaults(struct gk_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->instance, GK_CONFIG_DEFAULT_INSTANCE);
	gk_config_socket_for(cfg->instance, cfg->socket_path,
			     sizeof(cfg->socket_path));
	strcpy(cfg->bpffs, "/sys/fs/bpf");
	cfg->workers = 1;
	cfg->nr_cpus = 0;
	cfg->xdp_mode = GK_XDP_MODE_NATIVE;
	cfg->bind_mode = GK_BIND_AUTO;
	cfg->frames = 4096;
	cfg->frame_size = 4096;
	cfg->ring_size = 2048;
	cfg->heartbeat_ms = 100;
	cfg->stall_ms = 1000;
	cfg->route_table = 254;
	cfg->log_level = GK_LOG_INFO;
	cfg->ttl_expired = GK_TTL_EXPIRED_WORKER;
	cfg->icmp_rate = 1000;
	cfg->idle_sleep_us = 200;
	cfg->mape.bmr = -1;
	gk_config_nat_defaults(&cfg->nat);
	gk_config_dpdk_defaults(&cfg->dpdk);
}

/* Decimal only: "010" is ten, "0x10", "+1", "-1" and "1k" are errors. */
static int parse_u64(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (~0ULL - 9) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*out = v;
	return 0;
}

static int get_uint(struct parser *p, unsigned line, const char *key,
		    const char *val, unsigned long long min,
		    unsigned long long max, unsigned long long *out)
{
	int ret = parse_u64(val, out);

	if (ret == -EINVAL) {
		perr(p, line, "invalid number '%s' for %s", val, key);
		return ret;
	}
	if (ret || *out < min || *out > max) {
		perr(p, line, "%s = %s out of range (%llu..%llu)", key, val,
		     min, max);
		return -ERANGE;
	}
	return 0;
}

static int get_pow2(struct parser *p, unsigned line, const char *key,
		    const char *val, unsigned long long min,
		    unsigned long long max, uint32_t *out)
{
	unsigned long long v;

	if (get_uint(p, line, key, val, min, max, &v))
		return -EINVAL;
	if (v & (v - 1)) {
		perr(p, line, "%s = %s is not a power of two", key, val);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int get_enum(struct parser *p, unsigned line, const char *key,
		    const char *val, const char *const *names, size_t n,
		    int *out)
{
	char choices[128] = "";
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(val, names[i])) {
			*out = (int)i;
			return 0;
		}
	}
	for (i = 0; i < n; i++) {
		if (i)
			strncat(choices, " | ", sizeof(choices) - strlen(choices) - 1);
		strncat(choices, names[i], sizeof(choices) - strlen(choices) - 1);
	}
	perr(p, line, "invalid %s '%s' (expected %s)", key, val, choices);
	return -EINVAL;
}

static int get_path(struct parser *p, unsigned line, const char *key,
		    const char *val, char *dst, size_t dstlen)
{
	const char *c;

	if (val[0] != '/') {
		perr(p, line, "%s must be an absolute path, got '%s'", key, val);
		return -EINVAL;
	}
	for (c = val; *c; c++) {
		if (!isprint((unsigned char)*c)) {
			perr(p, line, "%s contains a control character", key);
			return -EINVAL;
		}
	}
	if (strlen(val) >= dstlen) {
		perr(p, line, "%s path too long (max %zu bytes)", key, dstlen - 1);
		return -ENAMETOOLONG;
	}
	strcpy(dst, val);
	return 0;
}

static int set_instance(struct parser *p, unsigned line, const char *key,
			const char *val)
{
	if (!gk_config_valid_name(val, sizeof(p->cfg.instance) - 1)) {
		perr(p, line, "invalid instance '%s' (expected [A-Za-z0-9_-]{1,31})",
		     val);
		return -EINVAL;
	}
	strcpy(p->cfg.instance, val);
	return 0;
}

static int set_socket(struct parser *p, unsigned line, const char *key,
		      const char *val)
{
	return get_path(p, line, key, val, p->cfg.socket_path,
			sizeof(p->cfg.socket_path));
}

static int set_bpffs(struct parser *p, unsigned line, const char *key,
		     const char *val)
{
	return get_path(p, line, key, val, p->cfg.bpffs, sizeof(p->cfg.bpffs));
}

static int set_workers(struct parser *p, unsigned line, const char *key,
		       const char *val)
{
	unsigned long long v;

	if (get_uint(p, line, key, val, 1, GK_CONFIG_MAX_WORKERS, &v))
		return -EINVAL;
	p->cfg.workers = (unsigned)v;
	return 0;
}

/* "0,1", "0-3", "0-1,4,6-7" */
static int set_cpus(struct parser *p, unsigned line, const char *key,
		    const char *val)
{
	char buf[GK_CONFIG_MAX_LINE + 1];
	char *tok, *next;
	unsigned n = 0;

	snprintf(buf, sizeof(buf), "%s", val);
	for (tok = buf; tok; tok = next) {
		unsigned long long lo, hi;
		char *dash, *end;

		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		while (isspace((unsigned char)*tok))
			tok++;
		end = tok + strlen(tok);
		while (end > tok && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (!*tok) {
			perr(p, line, "empty entry in cpus list");
			return -EINVAL;
		}
		dash = strchr(tok, '-');
		if (dash)
			*dash = '\0';
		if (get_uint(p, line, "cpu", tok, 0, 4095, &lo))
			return -EINVAL;
		hi = lo;
		if (dash && get_uint(p, line, "cpu", dash + 1, 0, 4095, &hi))
			return -EINVAL;
		if (hi < lo) {
			perr(p, line, "cpu range %llu-%llu is reversed", lo, hi);
			return -EINVAL;
		}
		for (; lo <= hi; lo++) {
			if (n >= GK_CONFIG_MAX_WORKERS) {
				perr(p, line, "too many cpus (max %d)",
				     GK_CONFIG_MAX_WORKERS);
				return -EINVAL;
			}
			p->cfg.cpus[n++] = (int)lo;
		}
	}
	p->cfg.nr_cpus = n;
	return 0;
}

static int set_xdp_mode(struct parser *p, unsigned line, const char *key,
			const char *val)
{
	int v;

	if (get_enum(p, line, key, val, xdp_mode_names,
		     ARRAY_SIZE(xdp_mode_names), &v))
		return -EINVAL;
	p->cfg.xdp_mode = (enum gk_xdp_mode)v;
	return 0;
}

static int set_bind(struct parser *p, unsigned line, const char *key,
		    const char *val)
{
	int v;

	if (get_enum(p, line, key, val, bind_mode_names,
		     ARRAY_SIZE(bind_mode_names), &v))
		return -EINVAL;
	p->cfg.bind_mode = (enum gk_bind_mode)v;
	return 0;
}

static int set_frames(struct parser *p, unsigned line, const char *key,
		      const char *val)
{
	return get_pow2(p, line, key, val, 512, 262144, &p->cfg.frames);
}

static int set_frame_size(struct parser *p, unsigned line, const char *key,
			  const char *val)
{
	unsigned long long v;

	if (get_uint(p, line, key, val, 2048, 4096, &v))
		return -EINVAL;
	if (v != 2048 && v != 4096) {
		perr(p, line, "frame_size must be 2048 or 4096, got %s", val);
		return -EINVAL;
	}
	p->cfg.frame_size = (uint32_t)v;
	return 0;
}

static int set_ring_size(struct parser *p, unsigned line, const char *key,
			 const char *val)
{
	return get_pow2(p, line, key, val, 64, 32768, &p->cfg.ring_size);
}

static int set_heartbeat(struct parser *p, unsigned line, const char *key,
			 const char *val)
{
	unsigned long long v;

	if (get_uint(p, line, key, val, 1, 60000, &v))
		return -EINVAL;
	p->cfg.heartbeat_ms = (unsigned)v;
	return 0;
}

static int set_stall(struct parser *p, unsigned line, const char *key,
		     const char *val)
{
	unsigned long long v;

	if (get_uint(p, line, key, val, 2, 600000, &v))
		return -EINVAL;
	p->cfg.stall_ms = (unsigned)v;
	return 0;
}

/* 0 is RT_TABLE_UNSPEC, which would mean "every table". */
static int set_route_table(struct parser *p, unsigned line, const char *key,
			   const char *val)
{
	unsigned long long v;

	if (get_uint(p, line, key, val, 1, UINT32_MAX, &v))
		return -EINVAL;
	p->cfg.route_table = (uint32_t)v;
	return 0;
}

static int set_log_level(struct parser *p, unsigned line, const char *key,
			 const char *val)
{
	int v;

	if (get_enum(p, line, key, val, log_level_names,
		     ARRAY_SIZE(log_level_names), &v))
		return -EINVAL;
	p->cfg.log_level = (enum gk_log_level)v;
	return 0;
}

static int set_log_format(struct parser *p, unsigned line, const char *key,
			  const char *val)
{
	int v;

	if (get_enum(p, line, key, val, log_format_names,
		     ARRAY_SIZE(log_format_names), &v))
		return -EINVAL;
	p->cfg.log_format = (enum gk_log_format)v;
	return 0;
}

static int set_ttl_expired(struct parser *p, unsigned line, const char *key,
			   const char *val)
{
	int v;

	if (get_enum(p, line, key, val, ttl_expired_names,
		     ARRAY_SIZE(ttl_expired_names), &v))
		return -EINVAL;
	p->cfg.ttl_expired = (enum gk_ttl_expired)v;
	return 0;
}

/* ICMP errors per second per worker; 0 turns them off. */
static int set_icmp_rate(struct parser *p, unsigned line, const char *key,
			 const char *val)
{
	unsigned long long v;

	if (get_uint(p, line, key, val, 0, 1000000, &v))
		return -EINVAL;
	p->cfg.icmp_rate = (uint32_t)v;
	return 0;
}

/* Microseconds without traffic before a worker sleeps; 0 = busy-poll. */
static int set_idle_sleep(struct parser *p, unsigned line, const char *key,
			  const char *val)
{
	unsigned long long v;

	if (get_uint(p, line, key, val, 0, 1000000, &v))
		return -EINVAL;
	p->cfg.idle_sleep_us = (uint32_t)v;
	return 0;
}

static struct gk_config_port *cur_port(struct parser *p)
{
	return &p->cfg.ports[p->cfg.nr_ports - 1];
}

static int set_xdp_meta(struct parser *p, unsigned line, const char *key,
			const char *val)
{
	int v;

	if (get_enum(p, line, key, val, xdp_meta_names,
		     ARRAY_SIZE(xdp_meta_names), &v))
		return -EINVAL;
	if (p->sec == SEC_PORT)
		cur_port(p)->xdp_meta = (enum gk_xdp_meta_mode)v;
	else
		p->cfg.xdp_meta = (enum gk_xdp_meta_mode)v;
	return 0;
}

static int set_checksum(struct parser *p, unsigned line, const char *key,
			const char *val)
{
	int v;

	if (get_enum(p, line, key, val, csum_names, ARRAY_SIZE(csum_names),
		     &v))
		return -EINVAL;
	if (p->sec == SEC_PORT)
		cur_port(p)->checksum = (enum gk_csum_mode)v;
	else
		p->cfg.checksum = (enum gk_csum_mode)v;
	return 0;
}

static int set_interface(struct parser *p, unsigned line, const char *key,
			 const char *val)
{
	struct gk_config_port *port = cur_port(p);
	unsigned i;

	if (!valid_ifname(val)) {
		perr(p, line, "invalid interface name '%s' (1..15 chars, no '/', ':' or spaces)",
		     val);
		return -EINVAL;
	}
	for (i = 0; i + 1 < p->cfg.nr_ports; i++) {
		if (!strcmp(p->cfg.ports[i].ifname, val)) {
			perr(p, line, "interface '%s' already used by port '%s' (line %u)",
			     val, p->cfg.ports[i].name,
			     p->pkey_line[i][P_INTERFACE]);
			return -EEXIST;
		}
	}
	strcpy(port->ifname, val);
	return 0;
}

/* 68 is the IPv4 minimum (RFC 791); the upper bound must fit one frame. */
static int set_mtu(struct parser *p, unsigned line, const char *key,
		   const char *val)
{
	unsigned long long v;

	if (get_uint(p, line, key, val, 68, 65535, &v))
		return -EINVAL;
	cur_port(p)->mtu = (uint32_t)v;
	return 0;
}

/* "ADDR/LEN" of @family; host bits set beyond LEN are an error. */
static int get_prefix(struct parser *p, unsigned line, const char *key,
		      const char *val, int family, uint8_t *addr,
		      uint8_t *plen)
{
	unsigned maxlen = family == AF_INET6 ? 128 : 32;
	char buf[INET6_ADDRSTRLEN + 8];
	uint8_t tmp[16] = { 0 }, masked[16];
	unsigned long long len;
	unsigned i;
	char *slash;

	snprintf(buf, sizeof(buf), "%s", val);
	slash = strchr(buf, '/');
	if (!slash || strlen(val) >= sizeof(buf)) {
		perr(p, line, "invalid %s '%s' (expected %s/LEN)", key, val,
		     family == AF_INET6 ? "IPV6ADDR" : "IPV4ADDR");
		return -EINVAL;
	}
	*slash = '\0';
	if (inet_pton(family, buf, tmp) != 1 || parse_u64(slash + 1, &len) ||
	    len > maxlen) {
		perr(p, line, "invalid %s '%s' (expected %s/0..%u)", key, val,
		     family == AF_INET6 ? "IPV6ADDR" : "IPV4ADDR", maxlen);
		return -EINVAL;
	}
	memcpy(masked, tmp, sizeof(masked));
	for (i = 0; i < maxlen / 8; i++) {
		if (len >= (i + 1) * 8)
			continue;
		masked[i] = len <= i * 8 ? 0 :
			(uint8_t)(masked[i] & (0xff00u >> (len - i * 8)));
	}
	if (memcmp(masked, tmp, maxlen / 8)) {
		perr(p, line, "%s %s has bits set beyond /%llu", key, val, len);
		return -EINVAL;
	}
	memcpy(addr, tmp, maxlen / 8);
	*plen = (uint8_t)len;
	return 0;
}

static int get_bool(struct parser *p, unsigned line, const char *key,
		    const char *val, bool *out)
{
	int v;

	if (get_enum(p, line, key, val, bool_names, ARRAY_SIZE(bool_names), &v))
		return -EINVAL;
	*out = v;
	return 0;
}

static int set_role(struct parser *p, unsigned line, const char *key,
		    const char *val)
{
	int v;

	if (get_enum(p, line, key, val, role_names, ARRAY_SIZE(role_names), &v))
		return -EINVAL;
	p->cfg.mape.role = v;
	p->role_set = true;
	return 0;
}

static int set_br_address(struct parser *p, unsigned line, const char *key,
			  const char *val)
{
	if (inet_pton(AF_INET6, val, p->cfg.mape.br_address) != 1) {
		perr(p, line, "invalid br_address '%s' (expected an IPv6 address)",
		     val);
		return -EINVAL;
	}
	return 0;
}

static int set_port_ref(struct parser *p, unsigned line, const char *key,
			const char *val, char *dst)
{
	if (!gk_config_valid_name(val, 15)) {
		perr(p, line, "invalid %s '%s' (expected a port name)", key, val);
		return -EINVAL;
	}
	strcpy(dst, val);
	return 0;
}

static int set_ipv4_port(struct parser *p, unsigned line, const char *key,
			 const char *val)
{
	return set_port_ref(p, line, key, val, p->cfg.mape.ipv4_port);
}

static int set_ipv6_port(struct parser *p, unsigned line, const char *key,
			 const char *val)
{
	return set_port_ref(p, line, key, val, p->cfg.mape.ipv6_port);
}

static int set_eup(struct parser *p, unsigned line, const char *key,
		   const char *val)
{
	return get_prefix(p, line, key, val, AF_INET6, p->cfg.mape.eup,
			  &p->cfg.mape.eup_len);
}

static int set_tunnel_mtu(struct parser *p, unsigned line, const char *key,
			  const char *val)
{
	unsigned long long v;

	if (get_uint(p, line, key, val, TUNNEL_MTU_MIN, TUNNEL_MTU_MAX, &v))
		return -EINVAL;
	p->cfg.mape.tunnel_mtu = (uint16_t)v;
	return 0;
}

static int set_fragment(struct parser *p, unsigned line, const char *key,
			const char *val)
{
	int v;

	if (get_enum(p, line, key, val, fragment_names,
		     ARRAY_SIZE(fragment_names), &v))
		return -EINVAL;
	p->cfg.mape.fragment = (uint8_t)v;
	return 0;
}

static int set_icmp_unreach(struct parser *p, unsigned line, const char *key,
			    const char *val)
{
	return get_bool(p, line, key, val, &p->cfg.mape.icmp_unreachable);
}

static int set_enabled(struct parser *p, unsigned line, const char *key,
		       const char *val)
{
	return get_bool(p, line, key, val, &p->cfg.mape.enabled);
}

static struct gk_map_rule *cur_rule(struct parser *p)
{
	return &p->cfg.map_rules[p->cfg.nr_map_rules - 1];
}

static int set_ipv6_prefix(struct parser *p, unsigned line, const char *key,
			   const char *val)
{
	struct gk_map_rule *r = cur_rule(p);

	return get_prefix(p, line, key, val, AF_INET6, r->ipv6_prefix,
			  &r->ipv6_plen);
}

static int set_ipv4_prefix(struct parser *p, unsigned line, const char *key,
			   const char *val)
{
	struct gk_map_rule *r = cur_rule(p);

	return get_prefix(p, line, key, val, AF_INET, r->ipv4_prefix,
			  &r->ipv4_plen);
}

static int set_small(struct parser *p, unsigned line, const char *key,
		     const char *val, unsigned max, uint8_t *dst)
{
	unsigned long long v;

	if (get_uint(p, line, key, val, 0, max, &v))
		return -EINVAL;
	*dst = (uint8_t)v;
	return 0;
}

static int set_ea_bits(struct parser *p, unsigned line, const char *key,
		       const char *val)
{
	return set_small(p, line, key, val, GK_MAP_MAX_EA_BITS,
			 &cur_rule(p)->ea_bits);
}

static int set_psid_offset(struct parser *p, unsigned line, const char *key,
			   const char *val)
{
	return set_small(p, line, key, val, 16, &cur_rule(p)->psid_offset);
}

static int set_psid_len(struct parser *p, unsigned line, const char *key,
			const char *val)
{
	if (set_small(p, line, key, val, 16, &cur_rule(p)->psid_len))
		return -EINVAL;
	cur_rule(p)->flags |= GK_MAP_F_PSID_LEN;
	return 0;
}

static int set_rule_flag(struct parser *p, unsigned line, const char *key,
			 const char *val, uint8_t flag)
{
	bool on;

	if (get_bool(p, line, key, val, &on))
		return -EINVAL;
	if (on)
		cur_rule(p)->flags |= flag;
	else
		cur_rule(p)->flags &= (uint8_t)~flag;
	return 0;
}

static int set_draft03(struct parser *p, unsigned line, const char *key,
		       const char *val)
{
	return set_rule_flag(p, line, key, val, GK_MAP_F_DRAFT03);
}

static int set_fmr(struct parser *p, unsigned line, const char *key,
		   const char *val)
{
	return set_rule_flag(p, line, key, val, GK_MAP_F_FMR);
}

/* auto: tunnel MTU - 20 (IPv4) - 20 (TCP), resolved in validate(). */
static int set_mss_clamp(struct parser *p, unsigned line, const char *key,
			 const char *val)
{
	struct rule_aux *aux = &p->raux[p->cfg.nr_map_rules - 1];
	unsigned long long v;

	aux->mss_auto = false;
	if (!strcmp(val, "auto")) {
		aux->mss_auto = true;
		return 0;
	}
	if (!strcmp(val, "off")) {
		cur_rule(p)->mss_clamp = 0;
		return 0;
	}
	if (parse_u64(val, &v) == -EINVAL) {
		perr(p, line, "invalid mss_clamp '%s' (expected auto | off | %d..%d)",
		     val, MSS_MIN, MSS_MAX);
		return -EINVAL;
	}
	if (get_uint(p, line, key, val, MSS_MIN, MSS_MAX, &v))
		return -EINVAL;
	cur_rule(p)->mss_clamp = (uint16_t)v;
	return 0;
}

static int set_backend(struct parser *p, unsigned line, const char *key,
		       const char *val)
{
	int v;

	if (get_enum(p, line, key, val, backend_names,
		     ARRAY_SIZE(backend_names), &v))
		return -EINVAL;
	if (v == GK_BACKEND_DPDK && !gk_config_dpdk_built()) {
		perr(p, line, "backend = dpdk: this genkan was built without DPDK "
		     "(install dpdk-dev, meson setup -Ddpdk=enabled)");
		return -EINVAL;
	}
	cur_port(p)->backend = (enum gk_port_backend)v;
	return 0;
}

static int set_devargs(struct parser *p, unsigned line, const char *key,
		       const char *val)
{
	char why[400];

	if (strlen(val) >= sizeof(cur_port(p)->devargs)) {
		perr(p, line, "devargs longer than %zu characters",
		     sizeof(cur_port(p)->devargs) - 1);
		return -EINVAL;
	}
	if (gk_config_dpdk_devargs_check(val, why, sizeof(why))) {
		perr(p, line, "%s", why);
		return -EINVAL;
	}
	snprintf(cur_port(p)->devargs, sizeof(cur_port(p)->devargs), "%s", val);
	return 0;
}

static const struct key_def genkan_keys[NR_GKEYS] = {
	[K_INSTANCE] = { "instance", set_instance },
	[K_SOCKET] = { "socket", set_socket },
	[K_BPFFS] = { "bpffs", set_bpffs },
	[K_WORKERS] = { "workers", set_workers },
	[K_CPUS] = { "cpus", set_cpus },
	[K_XDP_MODE] = { "xdp_mode", set_xdp_mode },
	[K_BIND] = { "bind", set_bind },
	[K_FRAMES] = { "frames", set_frames },
	[K_FRAME_SIZE] = { "frame_size", set_frame_size },
	[K_RING_SIZE] = { "ring_size", set_ring_size },
	[K_HEARTBEAT_MS] = { "heartbeat_ms", set_heartbeat },
	[K_STALL_MS] = { "stall_ms", set_stall },
	[K_ROUTE_TABLE] = { "route_table", set_route_table },
	[K_LOG_LEVEL] = { "log_level", set_log_level },
	[K_LOG_FORMAT] = { "log_format", set_log_format },
	[K_TTL_EXPIRED] = { "ttl_expired", set_ttl_expired },
	[K_ICMP_RATE] = { "icmp_rate", set_icmp_rate },
	[K_IDLE_SLEEP_US] = { "idle_sleep_us", set_idle_sleep },
	[K_XDP_META] = { "xdp_meta", set_xdp_meta },
	[K_CHECKSUM] = { "checksum", set_checksum },
};

static const struct key_def port_keys[NR_PKEYS] = {
	[P_INTERFACE] = { "interface", set_interface },
	[P_MTU] = { "mtu", set_mtu },
	[P_XDP_META] = { "xdp_meta", set_xdp_meta },
	[P_CHECKSUM] = { "checksum", set_checksum },
	[P_BACKEND] = { "backend", set_backend },
	[P_DEVARGS] = { "devargs", set_devargs },
};

static const struct key_def mape_keys[NR_MKEYS] = {
	[M_ROLE] = { "role", set_role },
	[M_BR_ADDRESS] = { "br_address", set_br_address },
	[M_IPV4_PORT] = { "ipv4_port", set_ipv4_port },
	[M_IPV6_PORT] = { "ipv6_port", set_ipv6_port },
	[M_EUP] = { "end_user_prefix", set_eup },
	[M_TUNNEL_MTU] = { "tunnel_mtu", set_tunnel_mtu },
	[M_FRAGMENT] = { "fragment", set_fragment },
	[M_ICMP_UNREACH] = { "icmp_unreachable", set_icmp_unreach },
	[M_ENABLED] = { "enabled", set_enabled },
};

static const struct key_def rule_keys[NR_RKEYS] = {
	[R_IPV6_PREFIX] = { "ipv6_prefix", set_ipv6_prefix },
	[R_IPV4_PREFIX] = { "ipv4_prefix", set_ipv4_prefix },
	[R_EA_BITS] = { "ea_bits", set_ea_bits },
	[R_PSID_OFFSET] = { "psid_offset", set_psid_offset },
	[R_PSID_LEN] = { "psid_len", set_psid_len },
	[R_DRAFT03] = { "draft03", set_draft03 },
	[R_FMR] = { "fmr", set_fmr },
	[R_MSS_CLAMP] = { "mss_clamp", set_mss_clamp },
};

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/* '#' or ';' opens a comment at line start or after blank space only, so a
 * value may still contain them ("a#b"). */
static void strip_comment(char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		if ((s[i] == '#' || s[i] == ';') &&
		    (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
			s[i] = '\0';
			return;
		}
	}
}

/* config_wg.c reports through this. */
__attribute__((format(printf, 3, 4)))
static void wg_perr(void *arg, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	perr(arg, line, "%s", msg);
}

static void open_mape(struct parser *p, unsigned line, const char *arg)
{
	if (*arg) {
		perr(p, line, "section [mape] takes no name");
		return;
	}
	if (p->cfg.mape.present) {
		perr(p, line, "duplicate section [mape] (first at line %u)",
		     p->cfg.mape.line);
		return;
	}
	p->cfg.mape.present = true;
	p->cfg.mape.enabled = true;
	p->cfg.mape.line = line;
	p->sec = SEC_MAPE;
}

/* config_nat.c reports through this. */
static void nat_report(void *ctx, unsigned line, const char *msg)
{
	perr(ctx, line, "%s", msg);
}

static int grow_rules(struct parser *p)
{
	unsigned cap = p->rules_cap ? p->rules_cap * 2 : 8;
	struct gk_map_rule *r;
	struct rule_aux *a;

	if (cap > GK_CONFIG_MAX_MAP_RULES)
		cap = GK_CONFIG_MAX_MAP_RULES;
	r = realloc(p->cfg.map_rules, cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	p->cfg.map_rules = r;
	a = realloc(p->raux, cap * sizeof(*a));
	if (!a)
		return -ENOMEM;
	p->raux = a;
	p->rules_cap = cap;
	return 0;
}

static void open_map_rule(struct parser *p, unsigned line, const char *arg)
{
	struct gk_map_rule *r;
	unsigned i;

	if (!*arg) {
		perr(p, line, "map-rule section needs a name: [map-rule NAME]");
		return;
	}
	if (!gk_config_valid_name(arg, sizeof(r->name) - 1)) {
		perr(p, line, "invalid map-rule name '%s' (expected [A-Za-z0-9_-]{1,31})",
		     arg);
		return;
	}
	for (i = 0; i < p->cfg.nr_map_rules; i++) {
		if (!strcmp(p->cfg.map_rules[i].name, arg)) {
			perr(p, line, "duplicate map-rule '%s' (first at line %u)",
			     arg, p->raux[i].line);
			return;
		}
	}
	if (p->cfg.nr_map_rules >= GK_CONFIG_MAX_MAP_RULES) {
		if (!p->too_many_rules)
			perr(p, line, "too many map-rules (max %d)",
			     GK_CONFIG_MAX_MAP_RULES);
		p->too_many_rules = true;
		return;
	}
	if (p->cfg.nr_map_rules == p->rules_cap && grow_rules(p)) {
		perr(p, line, "out of memory");
		return;
	}
	r = &p->cfg.map_rules[p->cfg.nr_map_rules];
	memset(r, 0, sizeof(*r));
	strcpy(r->name, arg);
	r->psid_offset = GK_MAP_DEFAULT_PSID_OFFSET;
	memset(&p->raux[p->cfg.nr_map_rules], 0, sizeof(p->raux[0]));
	p->raux[p->cfg.nr_map_rules].line = line;
	p->raux[p->cfg.nr_map_rules].mss_auto = true;
	p->cfg.nr_map_rules++;
	p->sec = SEC_MAP_RULE;
}

static void open_section(struct parser *p, unsigned line, char *s)
{
	char *inner, *end, *arg;
	unsigned i;

	end = strchr(s, ']');
	if (!end) {
		perr(p, line, "unterminated section header (missing ']')");
		p->sec = SEC_IGNORED;
		return;
	}
	if (*trim(end + 1)) {
		perr(p, line, "unexpected text after section header");
		p->sec = SEC_IGNORED;
		return;
	}
	*end = '\0';
	inner = trim(s + 1);
	arg = inner + strcspn(inner, " \t");
	if (*arg) {
		*arg++ = '\0';
		arg = trim(arg);
	}

	p->sec = SEC_IGNORED;
	if (!strcmp(inner, "genkan")) {
		if (*arg) {
			perr(p, line, "section [genkan] takes no name");
			return;
		}
		if (p->genkan_line) {
			perr(p, line, "duplicate section [genkan] (first at line %u)",
			     p->genkan_line);
			return;
		}
		p->genkan_line = line;
		p->sec = SEC_GENKAN;
		return;
	}
	if (!strcmp(inner, "mape")) {
		open_mape(p, line, arg);
		return;
	}
	if (!strcmp(inner, "map-rule")) {
		open_map_rule(p, line, arg);
		return;
	}
	if (!strcmp(inner, "nat") || !strcmp(inner, "nat-map")) {
		if (gk_config_nat_open(&p->cfg.nat, &p->natp, inner, arg, line,
				       nat_report, p))
			p->sec = SEC_NAT;
		return;
	}
	if (!strcmp(inner, "wireguard") || !strcmp(inner, "wireguard-peer")) {
		bool peer = inner[9] == '-';

		if (!gk_config_wg_open(&p->cfg.wg, peer, arg, line, wg_perr, p))
			p->sec = peer ? SEC_WG_PEER : SEC_WG;
		return;
	}
	if (!strcmp(inner, "metrics")) {
		if (gk_config_metrics_open(&p->cfg.metrics, arg, line,
					   nat_report, p))
			p->sec = SEC_METRICS;
		return;
	}
	if (!strcmp(inner, "dpdk")) {
		if (gk_config_dpdk_open(&p->cfg.dpdk, arg, line, nat_report, p))
			p->sec = SEC_DPDK;
		return;
	}
	if (!strcmp(inner, "l4-service")) {
		if (!gk_config_l4_open(&p->cfg.l4, arg, line, wg_perr, p))
			p->sec = SEC_L4;
		return;
	}
	if (strcmp(inner, "port")) {
		perr(p, line, "unknown section [%s]", inner);
		return;
	}
	if (!*arg) {
		perr(p, line, "port section needs a name: [port NAME]");
		return;
	}
	if (!gk_config_valid_name(arg, 15)) {
		perr(p, line, "invalid port name '%s' (expected [A-Za-z0-9_-]{1,15})",
		     arg);
		return;
	}
	for (i = 0; i < p->cfg.nr_ports; i++) {
		if (!strcmp(p->cfg.ports[i].name, arg)) {
			perr(p, line, "duplicate port '%s' (first at line %u)",
			     arg, p->cfg.ports[i].line);
			return;
		}
	}
	if (p->cfg.nr_ports >= GK_CONFIG_MAX_PORTS) {
		perr(p, line, "too many ports (max %d)", GK_CONFIG_MAX_PORTS);
		p->too_many_ports = true;
		return;
	}
	memset(&p->cfg.ports[p->cfg.nr_ports], 0, sizeof(p->cfg.ports[0]));
	strcpy(p->cfg.ports[p->cfg.nr_ports].name, arg);
	p->cfg.ports[p->cfg.nr_ports].line = line;
	memset(p->pkey_line[p->cfg.nr_ports], 0, sizeof(p->pkey_line[0]));
	p->cfg.nr_ports++;
	p->sec = SEC_PORT;
}

static void set_key(struct parser *p, unsigned line, char *s)
{
	const struct key_def *defs;
	unsigned *lines;
	size_t nr, i;
	char *eq, *key, *val;

	eq = strchr(s, '=');
	if (!eq) {
		perr(p, line, "missing '=' (expected key = value)");
		return;
	}
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (!*key) {
		perr(p, line, "missing key before '='");
		return;
	}

	switch (p->sec) {
	case SEC_NONE:
		perr(p, line, "key '%s' outside of any section", key);
		return;
	case SEC_IGNORED:
		return;	/* the bad header was already reported */
	case SEC_NAT:
		gk_config_nat_key(&p->cfg.nat, &p->natp, line, key, val,
				  nat_report, p);
		return;
	case SEC_WG:
	case SEC_WG_PEER:
		gk_config_wg_key(p->cfg.wg, p->sec == SEC_WG_PEER, key, val,
				 line, wg_perr, p);
		return;
	case SEC_L4:
		gk_config_l4_key(p->cfg.l4, key, val, line, wg_perr, p);
		return;
	case SEC_METRICS:
		gk_config_metrics_key(&p->cfg.metrics, line, key, val,
				      nat_report, p);
		return;
	case SEC_DPDK:
		gk_config_dpdk_key(&p->cfg.dpdk, line, key, val, nat_report, p);
		return;
	case SEC_GENKAN:
		defs = genkan_keys;
		nr = NR_GKEYS;
		lines = p->gkey_line;
		break;
	case SEC_MAPE:
		defs = mape_keys;
		nr = NR_MKEYS;
		lines = p->mkey_line;
		break;
	case SEC_MAP_RULE:
		defs = rule_keys;
		nr = NR_RKEYS;
		lines = p->raux[p->cfg.nr_map_rules - 1].key_line;
		break;
	case SEC_PORT:
	default:
		defs = port_keys;
		nr = NR_PKEYS;
		lines = p->pkey_line[p->cfg.nr_ports - 1];
		break;
	}

	for (i = 0; i < nr; i++)
		if (!strcmp(defs[i].name, key))
			break;
	if (i == nr) {
		perr(p, line, "unknown key '%s' in [%s]", key,
		     p->sec == SEC_GENKAN ? "genkan" :
		     p->sec == SEC_MAPE ? "mape" :
		     p->sec == SEC_MAP_RULE ? "map-rule" : "port");
		return;
	}
	if (lines[i]) {
		perr(p, line, "duplicate key '%s' (first at line %u)", key,
		     lines[i]);
		return;
	}
	lines[i] = line;
	if (!*val) {
		perr(p, line, "missing value for '%s'", key);
		return;
	}
	defs[i].set(p, line, key, val);
}

static void parse_line(struct parser *p, unsigned line, char *s)
{
	strip_comment(s);
	s = trim(s);
	if (!*s)
		return;
	if (*s == '[')
		open_section(p, line, s);
	else
		set_key(p, line, s);
}

static const struct gk_config_port *find_port(const struct gk_config *cfg,
					      const char *name)
{
	unsigned i;

	for (i = 0; i < cfg->nr_ports; i++)
		if (!strcmp(cfg->ports[i].name, name))
			return &cfg->ports[i];
	return NULL;
}

static void fmt_prefix(int family, const uint8_t *addr, unsigned plen,
		       char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family, addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, plen);
}

/* Each rule on its own: required keys, then the RFC 7597 length rules. */
static void validate_rules(struct parser *p, bool *ok)
{
	struct gk_config *cfg = &p->cfg;
	char why[256];
	unsigned i;

	for (i = 0; i < cfg->nr_map_rules; i++) {
		struct gk_map_rule *r = &cfg->map_rules[i];
		const struct rule_aux *aux = &p->raux[i];
		static const enum rkey required[] = {
			R_IPV6_PREFIX, R_IPV4_PREFIX, R_EA_BITS,
		};
		unsigned j;

		ok[i] = true;
		for (j = 0; j < ARRAY_SIZE(required); j++) {
			if (!aux->key_line[required[j]]) {
				perr(p, aux->line, "map-rule '%s' has no %s",
				     r->name, rule_keys[required[j]].name);
				ok[i] = false;
			}
		}
		if (!ok[i])
			continue;
		gk_map_rule_normalize(r);
		if (gk_map_rule_check(r, why, sizeof(why))) {
			perr(p, aux->line, "map-rule '%s': %s", r->name, why);
			ok[i] = false;
		}
	}
}

/* Rules must not share IPv4 or IPv6 space: a lookup would be ambiguous. */
static void validate_overlaps(struct parser *p, const bool *ok)
{
	struct gk_config *cfg = &p->cfg;
	char a[64], b[64];
	unsigned i, j;

	for (j = 1; j < cfg->nr_map_rules; j++) {
		const struct gk_map_rule *y = &cfg->map_rules[j];

		if (!ok[j])
			continue;
		for (i = 0; i < j; i++) {
			const struct gk_map_rule *x = &cfg->map_rules[i];
			unsigned l4;

			if (!ok[i] || !gk_map_rules_overlap(x, y))
				continue;
			l4 = x->ipv4_plen < y->ipv4_plen ? x->ipv4_plen : y->ipv4_plen;
			if (gk_map_prefix_eq(x->ipv4_prefix, y->ipv4_prefix, l4)) {
				fmt_prefix(AF_INET, y->ipv4_prefix, y->ipv4_plen, a, sizeof(a));
				fmt_prefix(AF_INET, x->ipv4_prefix, x->ipv4_plen, b, sizeof(b));
			} else {
				fmt_prefix(AF_INET6, y->ipv6_prefix, y->ipv6_plen, a, sizeof(a));
				fmt_prefix(AF_INET6, x->ipv6_prefix, x->ipv6_plen, b, sizeof(b));
			}
			perr(p, p->raux[j].line,
			     "map-rule '%s' (%s) overlaps map-rule '%s' (%s, line %u)",
			     y->name, a, x->name, b, p->raux[i].line);
			break;	/* one report per rule is enough */
		}
	}
}

/* CE: the delegated prefix picks the Basic Mapping Rule (RFC 7597 §5). */
static void validate_bmr(struct parser *p, const bool *ok)
{
	struct gk_config *cfg = &p->cfg;
	struct gk_config_mape *m = &cfg->mape;
	unsigned line = p->mkey_line[M_EUP], i, nr = 0, first = 0;
	struct gk_map_ce_params cp;
	char eup[64], why[256];

	fmt_prefix(AF_INET6, m->eup, m->eup_len, eup, sizeof(eup));
	for (i = 0; i < cfg->nr_map_rules; i++) {
		const struct gk_map_rule *r = &cfg->map_rules[i];

		if (!gk_map_prefix_eq(m->eup, r->ipv6_prefix, r->ipv6_plen) ||
		    m->eup_len < r->ipv6_plen)
			continue;
		if (nr++ == 0)
			first = i;
		else
			perr(p, line, "end_user_prefix %s matches map-rules '%s' and '%s'",
			     eup, cfg->map_rules[first].name, r->name);
	}
	if (nr == 0) {
		perr(p, line, "end_user_prefix %s matches no map-rule", eup);
		return;
	}
	if (nr > 1 || !ok[first])
		return;
	if (gk_map_ce_derive(&cfg->map_rules[first], m->eup, m->eup_len, &cp,
			     why, sizeof(why))) {
		perr(p, line, "end_user_prefix %s, map-rule '%s': %s", eup,
		     cfg->map_rules[first].name, why);
		return;
	}
	m->bmr = (int)first;
}

static void validate_mape(struct parser *p)
{
	struct gk_config *cfg = &p->cfg;
	struct gk_config_mape *m = &cfg->mape;
	const struct gk_config_port *p4 = NULL, *p6 = NULL;
	unsigned i;
	bool *ok;

	m->bmr = -1;
	if (!m->present) {
		if (cfg->nr_map_rules)
			perr(p, p->raux[0].line,
			     "map-rule sections need a [mape] section (role, br_address, ports)");
		return;
	}
	if (!cfg->nr_map_rules && !p->too_many_rules)
		perr(p, m->line, "[mape] has no [map-rule NAME] section");
	if (!p->role_set && !p->mkey_line[M_ROLE])
		perr(p, m->line, "[mape] needs role = ce | br");
	if (!p->mkey_line[M_BR_ADDRESS])
		perr(p, m->line, "[mape] needs br_address");

	if (!p->mkey_line[M_IPV4_PORT])
		perr(p, m->line, "[mape] needs ipv4_port");
	else if (m->ipv4_port[0] && !(p4 = find_port(cfg, m->ipv4_port)))
		perr(p, p->mkey_line[M_IPV4_PORT],
		     "ipv4_port '%s' is not a [port] section", m->ipv4_port);
	if (!p->mkey_line[M_IPV6_PORT])
		perr(p, m->line, "[mape] needs ipv6_port");
	else if (m->ipv6_port[0] && !(p6 = find_port(cfg, m->ipv6_port)))
		perr(p, p->mkey_line[M_IPV6_PORT],
		     "ipv6_port '%s' is not a [port] section", m->ipv6_port);
	if (p4 && p6 && p4 == p6)
		perr(p, p->mkey_line[M_IPV6_PORT],
		     "ipv4_port and ipv6_port must differ (both '%s')",
		     m->ipv4_port);

	/* Default: the IPv6 link MTU minus the 40 byte outer header. */
	if (!p->mkey_line[M_TUNNEL_MTU] && p6 && p6->mtu) {
		if (p6->mtu < TUNNEL_MTU_MIN + 40)
			perr(p, p->mkey_line[M_IPV6_PORT],
			     "ipv6_port '%s' mtu %u leaves no room for a tunnel (need >= %u)",
			     p6->name, p6->mtu, TUNNEL_MTU_MIN + 40);
		else
			m->tunnel_mtu = (uint16_t)(p6->mtu - 40);
	}

	ok = calloc(cfg->nr_map_rules ? cfg->nr_map_rules : 1, sizeof(*ok));
	if (!ok) {
		perr(p, 0, "out of memory");
		return;
	}
	validate_rules(p, ok);
	validate_overlaps(p, ok);

	for (i = 0; i < cfg->nr_map_rules; i++)
		if (p->raux[i].mss_auto)
			cfg->map_rules[i].mss_clamp = m->tunnel_mtu ?
				(uint16_t)(m->tunnel_mtu - 40) : GK_MAP_MSS_AUTO;

	if (m->role == GK_MAPE_CE && p->role_set) {
		if (!p->mkey_line[M_EUP])
			perr(p, m->line, "role = ce needs end_user_prefix");
		else
			validate_bmr(p, ok);
	} else if (p->role_set && p->mkey_line[M_EUP]) {
		perr(p, p->mkey_line[M_EUP],
		     "end_user_prefix is only for role = ce");
	}
	free(ok);
}

static bool wg_port_ok(void *arg, const char *name)
{
	return find_port(arg, name) != NULL;
}

/* Rules that involve more than one key, checked once everything is read. */
static void validate(struct parser *p)
{
	struct gk_config *cfg = &p->cfg;
	unsigned i;

	if (cfg->nr_ports == 0 && !p->too_many_ports)
		perr(p, 0, "no [port NAME] section: at least one port is required");

	for (i = 0; i < cfg->nr_ports; i++) {
		struct gk_config_port *port = &cfg->ports[i];

		/* [genkan]'s value for ports that do not set their own */
		if (!p->pkey_line[i][P_XDP_META])
			port->xdp_meta = cfg->xdp_meta;
		if (!p->pkey_line[i][P_CHECKSUM])
			port->checksum = cfg->checksum;
		if (!port->ifname[0] && !p->pkey_line[i][P_INTERFACE])
			perr(p, port->line, "port '%s' has no interface",
			     port->name);
		if (port->backend == GK_BACKEND_DPDK) {
			cfg->nr_dpdk_ports++;
			if (!port->devargs[0] && !p->pkey_line[i][P_DEVARGS])
				perr(p, p->pkey_line[i][P_BACKEND],
				     "port '%s': backend = dpdk needs devargs (a PCI address or net_NAME,...)",
				     port->name);
		} else if (p->pkey_line[i][P_DEVARGS]) {
			perr(p, p->pkey_line[i][P_DEVARGS],
			     "port '%s': devargs is only for backend = dpdk",
			     port->name);
		}
		if (port->mtu && port->mtu + L2_OVERHEAD >
				 cfg->frame_size - XDP_HEADROOM)
			perr(p, p->pkey_line[i][P_MTU],
			     "port '%s': mtu %u does not fit a %u byte frame (max %u)",
			     port->name, port->mtu, cfg->frame_size,
			     cfg->frame_size - XDP_HEADROOM - L2_OVERHEAD);
	}

	/* A worker's ports share one buffer pool: a UMEM or a mempool. */
	if (cfg->nr_dpdk_ports && cfg->nr_dpdk_ports < cfg->nr_ports)
		perr(p, 0, "%u of %u ports have backend = dpdk: a worker's ports share "
		     "one buffer pool, so every port must use the same backend",
		     cfg->nr_dpdk_ports, cfg->nr_ports);

	if (cfg->nr_cpus && cfg->nr_cpus < cfg->workers)
		perr(p, p->gkey_line[K_CPUS],
		     "cpus lists %u cpu(s) but workers = %u", cfg->nr_cpus,
		     cfg->workers);

	if (cfg->ring_size > cfg->frames)
		perr(p, p->gkey_line[K_RING_SIZE] ? p->gkey_line[K_RING_SIZE]
						  : p->gkey_line[K_FRAMES],
		     "ring_size %u is larger than frames %u", cfg->ring_size,
		     cfg->frames);

	if (cfg->stall_ms <= cfg->heartbeat_ms)
		perr(p, p->gkey_line[K_STALL_MS] ? p->gkey_line[K_STALL_MS]
						 : p->gkey_line[K_HEARTBEAT_MS],
		     "stall_ms %u must be larger than heartbeat_ms %u",
		     cfg->stall_ms, cfg->heartbeat_ms);

	if (!p->gkey_line[K_SOCKET] &&
	    gk_config_socket_for(cfg->instance, cfg->socket_path,
				 sizeof(cfg->socket_path)))
		perr(p, p->gkey_line[K_INSTANCE],
		     "cannot derive a socket path from instance '%s'",
		     cfg->instance);

	validate_mape(p);
	gk_config_nat_validate(cfg, &p->natp, nat_report, p);
	gk_config_metrics_validate(&cfg->metrics, nat_report, p);
	gk_config_wg_validate(cfg->wg, wg_port_ok, cfg, wg_perr, p);
	gk_config_wg_mape_validate(cfg, wg_perr, p);
	gk_config_l4_validate(cfg->l4, wg_perr, p);
}

/*
 * Renders the kept problems into p->err sorted by line (cross-key checks
 * run last; the report reads top to bottom), whole lines only: what does
 * not fit, with what was never kept, becomes one "... and N more" line.
 * Frees the entries.
 */
static void flush_errors(struct parser *p)
{
	const char *what = p->what ? p->what : "errors";
	char tail[64];
	size_t room, tlen;
	unsigned i, shown = 0;
	int w;

	if (!p->err || !p->errlen)
		goto out;
	if (p->nr_kept > 1) {
		struct perr_entry *e = p->errs;
		unsigned n = p->nr_kept;

		for (i = 1; i < n; i++) {	/* insertion sort: stable */
			struct perr_entry cur = e[i];
			unsigned j = i;

			while (j > 0 && e[j - 1].line > cur.line) {
				e[j] = e[j - 1];
				j--;
			}
			e[j] = cur;
		}
	}
	p->errpos = 0;
	p->err[0] = '\0';
	/* the "... and N more" line's room, kept back unless all fit */
	tlen = (size_t)snprintf(tail, sizeof(tail), "... and %u more %s\n",
				p->nr_err, what);
	for (i = 0; i < p->nr_kept; i++) {
		size_t len = strlen(p->errs[i].text) + 1;
		bool last = i + 1 == p->nr_kept && p->nr_kept == p->nr_err;

		room = p->errlen - 1 - p->errpos;
		if (len > room || (!last && len + tlen > room))
			break;
		memcpy(p->err + p->errpos, p->errs[i].text, len - 1);
		p->errpos += len;
		p->err[p->errpos - 1] = '\n';
		p->err[p->errpos] = '\0';
		shown++;
	}
	if (shown < p->nr_err) {
		w = snprintf(p->err + p->errpos, p->errlen - p->errpos,
			     "... and %u more %s\n", p->nr_err - shown, what);
		if (w > 0)
			p->errpos += (size_t)w < p->errlen - p->errpos ?
				     (size_t)w : p->errlen - 1 - p->errpos;
	}
out:
	for (i = 0; i < p->nr_kept; i++)
		free(p->errs[i].text);
	free(p->errs);
	p->errs = NULL;
	p->nr_kept = p->errs_cap = 0;
}

int gk_config_parse(const char *text, size_t len, const char *name,
		    struct gk_config *cfg, char *err, size_t errlen)
{
	struct parser *p;
	char buf[GK_CONFIG_MAX_LINE + 2];
	size_t pos = 0;
	unsigned line = 0;
	int ret = 0;

	p = calloc(1, sizeof(*p));
	if (!p) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory\n", name);
		return -ENOMEM;
	}
	p->name = name ? name : "<config>";
	p->err = err;
	p->errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	gk_config_defaults(&p->cfg);
	snprintf(p->cfg.path, sizeof(p->cfg.path), "%s", p->name);

	while (pos < len) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - start) : len - pos;

		pos += l + (nl ? 1 : 0);
		line++;
		if (l && start[l - 1] == '\r')
			l--;
		if (l > GK_CONFIG_MAX_LINE) {
			perr(p, line, "line too long (%zu bytes, max %d)", l,
			     GK_CONFIG_MAX_LINE);
			continue;
		}
		if (memchr(start, '\0', l)) {
			perr(p, line, "NUL byte in line");
			continue;
		}
		memcpy(buf, start, l);
		buf[l] = '\0';
		parse_line(p, line, buf);
	}

	validate(p);
	flush_errors(p);

	if (p->nr_err) {
		ret = -EINVAL;
		gk_config_free(&p->cfg);
	} else {
		if (!p->cfg.nr_map_rules) {
			free(p->cfg.map_rules);
			p->cfg.map_rules = NULL;
		}
		*cfg = p->cfg;	/* map_rules change owner */
	}
	free(p->raux);
	free(p);
	return ret;
}

void gk_config_free(struct gk_config *cfg)
{
	gk_config_wg_free(cfg->wg);
	cfg->wg = NULL;
	gk_config_l4_free(cfg->l4);
	cfg->l4 = NULL;
	free(cfg->map_rules);
	cfg->map_rules = NULL;
	cfg->nr_map_rules = 0;
}

int gk_config_copy(struct gk_config *dst, const struct gk_config *src)
{
	*dst = *src;
	dst->map_rules = NULL;
	dst->nr_map_rules = 0;
	dst->wg = NULL;
	dst->l4 = NULL;
	if (src->wg && !(dst->wg = gk_config_wg_dup(src->wg)))
		return -ENOMEM;
	if (src->l4 && !(dst->l4 = gk_config_l4_dup(src->l4)))
		return -ENOMEM;
	if (!src->nr_map_rules)
		return 0;
	dst->map_rules = calloc(src->nr_map_rules, sizeof(*dst->map_rules));
	if (!dst->map_rules)
		return -ENOMEM;
	memcpy(dst->map_rules, src->map_rules,
	       src->nr_map_rules * sizeof(*dst->map_rules));
	dst->nr_map_rules = src->nr_map_rules;
	return 0;
}

int gk_config_resolve(struct gk_config *cfg, unsigned timeout_ms, char *err,
		      size_t errlen)
{
	struct parser *p;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!cfg->wg)
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->name = cfg->path;
	p->err = err;
	p->errlen = errlen;
	ret = gk_config_wg_resolve(cfg->wg, timeout_ms, wg_perr, p);
	flush_errors(p);
	free(p);
	return ret;
}

/* gk_config_warnings() reports through this. */
__attribute__((format(printf, 3, 4)))
static void warn(void *arg, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	perr(arg, line, "warning: %s", msg);
}

unsigned gk_config_warnings(const struct gk_config *cfg, char *buf,
			    size_t len)
{
	struct parser *p;
	unsigned n;

	if (buf && len)
		buf[0] = '\0';
	p = calloc(1, sizeof(*p));
	if (!p)
		return 0;
	p->name = cfg->path[0] ? cfg->path : "<config>";
	p->err = buf;
	p->errlen = len;
	p->what = "warnings";
	gk_config_l4_warnings(cfg, warn, p);
	gk_config_wg_warnings(cfg->wg, warn, p);
	flush_errors(p);
	n = p->nr_err;
	free(p);
	return n;
}

int gk_config_load(const char *path, struct gk_config *cfg, char *err,
		   size_t errlen)
{
	struct stat st;
	char *text;
	size_t got = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s\n", path,
			 strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s\n", path, strerror(-ret));
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file\n", path);
		goto err_close;
	}
	if (st.st_size > GK_CONFIG_MAX_FILE) {
		ret = -EFBIG;
		snprintf(err, errlen, "%s: larger than %d bytes\n", path,
			 GK_CONFIG_MAX_FILE);
		goto err_close;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory\n", path);
		goto err_close;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s: read: %s\n", path,
				 strerror(-ret));
			goto err_free;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	ret = gk_config_parse(text, got, path, cfg, err, errlen);
err_free:
	/* The text may hold WireGuard keys. */
	explicit_bzero(text, got);
	free(text);
err_close:
	close(fd);
	return ret;
}
