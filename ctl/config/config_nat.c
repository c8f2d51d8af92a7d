// SPDX-License-Identifier: BSD-3-Clause
/* [nat] / [nat-map NAME] parsing and validation; see config_nat.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "config.h"
#include "config_nat.h"
#include "map_rule.h"

#define UDP_MIN_S	120	/* RFC 4787 REQ-5 */

enum { N_ENABLED, N_FILTER, N_UDP, N_TCP_EST, N_TCP_TRANS, N_ICMP,
       N_HOLD, N_MAX_SESS, N_HOST_LIMIT, N_EVENT_LOG };
enum { NM_PROTO, NM_PUBLIC_PORT, NM_HOST, NM_HOST_PORT };

static const char *const nat_keys[GK_NAT_NKEYS] = {
	[N_ENABLED] = "enabled", [N_FILTER] = "filtering",
	[N_UDP] = "udp_timeout", [N_TCP_EST] = "tcp_established_timeout",
	[N_TCP_TRANS] = "tcp_transitory_timeout", [N_ICMP] = "icmp_timeout",
	[N_HOLD] = "hold_down", [N_MAX_SESS] = "max_sessions",
	[N_HOST_LIMIT] = "host_port_limit", [N_EVENT_LOG] = "event_log",
};

static const char *const map_keys[GK_NAT_MKEYS] = {
	[NM_PROTO] = "proto", [NM_PUBLIC_PORT] = "public_port",
	[NM_HOST] = "host", [NM_HOST_PORT] = "host_port",
};

static void rep(gk_config_report_fn *report, void *ctx, unsigned line,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void rep(gk_config_report_fn *report, void *ctx, unsigned line,
		const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(ctx, line, msg);
}

void gk_config_nat_defaults(struct gk_config_nat *n)
{
	memset(n, 0, sizeof(*n));
	n->enabled = true;
	n->udp_timeout = 300;
	n->tcp_established_timeout = 7440;
	n->tcp_transitory_timeout = 240;
	n->icmp_timeout = 60;
	n->hold_down = 60;
}

bool gk_config_nat_open(struct gk_config_nat *n, struct gk_config_nat_pstate *st,
			const char *sec, const char *arg, unsigned line,
			gk_config_report_fn *report, void *ctx)
{
	struct gk_config_nat_map *m;
	unsigned i;

	if (!strcmp(sec, "nat")) {
		if (*arg) {
			rep(report, ctx, line, "section [nat] takes no name");
			return false;
		}
		if (n->present) {
			rep(report, ctx, line,
			    "duplicate section [nat] (first at line %u)", n->line);
			return false;
		}
		n->present = true;
		n->line = line;
		st->in_map = false;
		return true;
	}
	if (!*arg) {
		rep(report, ctx, line, "nat-map section needs a name: [nat-map NAME]");
		return false;
	}
	if (!gk_config_valid_name(arg, sizeof(m->name) - 1)) {
		rep(report, ctx, line,
		    "invalid nat-map name '%s' (expected [A-Za-z0-9_-]{1,31})", arg);
		return false;
	}
	for (i = 0; i < n->nr_maps; i++) {
		if (!strcmp(n->maps[i].name, arg)) {
			rep(report, ctx, line,
			    "duplicate nat-map '%s' (first at line %u)", arg,
			    n->maps[i].line);
			return false;
		}
	}
	if (n->nr_maps >= GK_CONFIG_MAX_NAT_MAPS) {
		if (!st->too_many)
			rep(report, ctx, line, "too many nat-maps (max %d)",
			    GK_CONFIG_MAX_NAT_MAPS);
		st->too_many = true;
		return false;
	}
	m = &n->maps[n->nr_maps];
	memset(m, 0, sizeof(*m));
	memset(st->map_line[n->nr_maps], 0, sizeof(st->map_line[0]));
	snprintf(m->name, sizeof(m->name), "%s", arg);
	m->line = line;
	n->nr_maps++;
	st->in_map = true;
	return true;
}

static int get_u32(const char *val, uint32_t lo, uint32_t hi, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (*val < '0' || *val > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(val, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static void nat_key(struct gk_config_nat *n, unsigned k, unsigned line,
		    const char *key, const char *val,
		    gk_config_report_fn *report, void *ctx)
{
	uint32_t v, lo = 1, hi = 86400 * 7;
	uint32_t *dst = NULL;

	switch (k) {
	case N_ENABLED:
		if (!strcmp(val, "yes") || !strcmp(val, "no"))
			n->enabled = val[0] == 'y';
		else
			rep(report, ctx, line, "enabled: expected yes or no, got '%s'", val);
		return;
	case N_FILTER:
		if (!strcmp(val, "apdf"))
			n->filter = 0;
		else if (!strcmp(val, "eif"))
			n->filter = 1;
		else
			rep(report, ctx, line, "filtering: expected apdf or eif, got '%s'", val);
		return;
	case N_EVENT_LOG:
		if (!strcmp(val, "off"))
			n->event_log[0] = '\0';
		else if (val[0] != '/' || strlen(val) >= sizeof(n->event_log))
			rep(report, ctx, line,
			    "event_log: expected off or an absolute path (max %zu bytes)",
			    sizeof(n->event_log) - 1);
		else
			snprintf(n->event_log, sizeof(n->event_log), "%s", val);
		return;
	case N_UDP:
		dst = &n->udp_timeout;
		lo = UDP_MIN_S;
		break;
	case N_TCP_EST:
		dst = &n->tcp_established_timeout;
		break;
	case N_TCP_TRANS:
		dst = &n->tcp_transitory_timeout;
		break;
	case N_ICMP:
		dst = &n->icmp_timeout;
		break;
	case N_HOLD:
		dst = &n->hold_down;
		lo = 0;
		hi = 3600;
		break;
	case N_MAX_SESS:
		dst = &n->max_sessions;
		lo = 16;
		hi = 1u << 22;
		break;
	case N_HOST_LIMIT:
		dst = &n->host_port_limit;
		lo = 0;
		hi = 65536;
		break;
	default:
		return;
	}
	if (get_u32(val, lo, hi, &v)) {
		if (k == N_UDP)
			rep(report, ctx, line,
			    "udp_timeout must be %u..%u seconds (RFC 4787 REQ-5: never below 120), got '%s'",
			    lo, hi, val);
		else
			rep(report, ctx, line, "%s must be an integer %u..%u, got '%s'",
			    key, lo, hi, val);
		return;
	}
	*dst = v;
}

static void map_key(struct gk_config_nat_map *m, unsigned k, unsigned line,
		    const char *val, gk_config_report_fn *report, void *ctx)
{
	uint32_t v;

	switch (k) {
	case NM_PROTO:
		if (!strcmp(val, "tcp"))
			m->proto = IPPROTO_TCP;
		else if (!strcmp(val, "udp"))
			m->proto = IPPROTO_UDP;
		else
			rep(report, ctx, line, "proto: expected tcp or udp, got '%s'", val);
		return;
	case NM_HOST:
		if (inet_pton(AF_INET, val, m->host) != 1)
			rep(report, ctx, line, "host: '%s' is not an IPv4 address", val);
		return;
	case NM_PUBLIC_PORT:
	case NM_HOST_PORT:
		if (get_u32(val, 1, 65535, &v)) {
			rep(report, ctx, line, "%s must be a port 1..65535, got '%s'",
			    map_keys[k], val);
			return;
		}
		if (k == NM_PUBLIC_PORT)
			m->public_port = (uint16_t)v;
		else
			m->host_port = (uint16_t)v;
		return;
	}
}

void gk_config_nat_key(struct gk_config_nat *n, struct gk_config_nat_pstate *st,
		       unsigned line, const char *key, const char *val,
		       gk_config_report_fn *report, void *ctx)
{
	const char *const *names = st->in_map ? map_keys : nat_keys;
	unsigned nr = st->in_map ? GK_NAT_MKEYS : GK_NAT_NKEYS, k;
	unsigned *lines = st->in_map ? st->map_line[n->nr_maps - 1] : st->key_line;

	for (k = 0; k < nr; k++)
		if (!strcmp(names[k], key))
			break;
	if (k == nr) {
		rep(report, ctx, line, "unknown key '%s' in [%s]", key,
		    st->in_map ? "nat-map" : "nat");
		return;
	}
	if (lines[k]) {
		rep(report, ctx, line, "duplicate key '%s' (first at line %u)",
		    key, lines[k]);
		return;
	}
	lines[k] = line;
	if (!*val) {
		rep(report, ctx, line, "missing value for '%s'", key);
		return;
	}
	if (st->in_map)
		map_key(&n->maps[n->nr_maps - 1], k, line, val, report, ctx);
	else
		nat_key(n, k, line, key, val, report, ctx);
}

int gk_config_nat_ce(const struct gk_config *cfg, struct gk_map_ce_params *cp,
		     char *err, size_t errlen)
{
	const struct gk_config_mape *m = &cfg->mape;

	if (!m->present || !m->enabled || m->role != GK_MAPE_CE) {
		snprintf(err, errlen,
			 "NAT needs a MAP-E CE: add [mape] with role = ce and enabled = yes (the shared address and port set come from its BMR)");
		return -EINVAL;
	}
	if (m->bmr < 0 || (unsigned)m->bmr >= cfg->nr_map_rules) {
		snprintf(err, errlen,
			 "NAT needs the [mape] end_user_prefix to select a valid BMR");
		return -EINVAL;
	}
	return gk_map_ce_derive(&cfg->map_rules[m->bmr], m->eup, m->eup_len,
				cp, err, errlen) ? -EINVAL : 0;
}

void gk_config_nat_validate(struct gk_config *cfg,
			    const struct gk_config_nat_pstate *st,
			    gk_config_report_fn *report, void *ctx)
{
	struct gk_config_nat *n = &cfg->nat;
	struct gk_map_ce_params cp;
	char why[256];
	bool have_ce;
	unsigned i, j;

	if (!n->present) {
		if (n->nr_maps)
			rep(report, ctx, n->maps[0].line,
			    "nat-map sections need a [nat] section");
		return;
	}
	if (!n->enabled)
		return;
	have_ce = !gk_config_nat_ce(cfg, &cp, why, sizeof(why));
	if (!have_ce)
		rep(report, ctx, n->line, "[nat]: %s", why);
	for (i = 0; i < n->nr_maps; i++) {
		const struct gk_config_nat_map *m = &n->maps[i];
		const unsigned *kl = st->map_line[i];

		if (!kl[NM_PROTO] || !kl[NM_PUBLIC_PORT] || !kl[NM_HOST] ||
		    !kl[NM_HOST_PORT]) {
			rep(report, ctx, m->line,
			    "nat-map '%s' needs proto, public_port, host and host_port",
			    m->name);
			continue;
		}
		if (!m->proto || !m->public_port || !m->host_port)
			continue;	/* already reported */
		if (have_ce && !gk_map_port_ok(cp.psid_offset, cp.psid_len,
					       cp.psid, m->public_port))
			rep(report, ctx, kl[NM_PUBLIC_PORT],
			    "nat-map '%s': public_port %u is outside this CE's port set (psid 0x%x, psid_offset %u, psid_len %u)",
			    m->name, m->public_port, cp.psid, cp.psid_offset,
			    cp.psid_len);
		for (j = 0; j < i; j++)
			if (n->maps[j].proto == m->proto &&
			    n->maps[j].public_port == m->public_port) {
				rep(report, ctx, kl[NM_PUBLIC_PORT],
				    "nat-map '%s': %s port %u already mapped by '%s' (line %u)",
				    m->name, m->proto == IPPROTO_TCP ? "tcp" : "udp",
				    m->public_port, n->maps[j].name, n->maps[j].line);
				break;
			}
	}
}

bool gk_config_nat_equal(const struct gk_config_nat *a,
			 const struct gk_config_nat *b)
{
	unsigned i;

	if (a->present != b->present || a->enabled != b->enabled ||
	    a->filter != b->filter || a->udp_timeout != b->udp_timeout ||
	    a->tcp_established_timeout != b->tcp_established_timeout ||
	    a->tcp_transitory_timeout != b->tcp_transitory_timeout ||
	    a->icmp_timeout != b->icmp_timeout || a->hold_down != b->hold_down ||
	    a->max_sessions != b->max_sessions ||
	    a->host_port_limit != b->host_port_limit ||
	    strcmp(a->event_log, b->event_log) || a->nr_maps != b->nr_maps)
		return false;
	for (i = 0; i < a->nr_maps; i++) {
		const struct gk_config_nat_map *x = &a->maps[i], *y = &b->maps[i];

		if (strcmp(x->name, y->name) || x->proto != y->proto ||
		    x->public_port != y->public_port ||
		    memcmp(x->host, y->host, 4) || x->host_port != y->host_port)
			return false;
	}
	return true;
}
