/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config_metrics.h"

bool gk_config_metrics_open(struct gk_config_metrics *m, const char *arg,
			    unsigned line, gk_config_report_fn *report,
			    void *ctx)
{
	if (arg && *arg) {
		report(ctx, line, "section [metrics] takes no name");
		return false;
	}
	if (m->line) {
		char msg[80];

		snprintf(msg, sizeof(msg),
			 "duplicate section [metrics] (first at line %u)", m->line);
		report(ctx, line, msg);
		return false;
	}
	m->line = line;
	m->enabled = true;
	return true;
}

int gk_config_metrics_parse_listen(const char *s, int *family, uint8_t *addr,
				   uint16_t *port, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *ps;
	unsigned long v;
	char *end;
	size_t hl;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':') {
			snprintf(err, errlen,
				 "listen '%s': an IPv6 address is written [ADDR]:PORT", s);
			return -EINVAL;
		}
		hl = (size_t)(rb - s - 1);
		ps = rb + 2;
		*family = AF_INET6;
		if (hl >= sizeof(host)) {
			snprintf(err, errlen, "listen '%s': bad IPv6 address", s);
			return -EINVAL;
		}
		memcpy(host, s + 1, hl);
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon) {
			snprintf(err, errlen,
				 "listen '%s': want ADDR:PORT or [V6ADDR]:PORT", s);
			return -EINVAL;
		}
		hl = (size_t)(colon - s);
		ps = colon + 1;
		*family = AF_INET;
		if (hl >= sizeof(host)) {
			snprintf(err, errlen, "listen '%s': bad IPv4 address", s);
			return -EINVAL;
		}
		memcpy(host, s, hl);
	}
	host[hl] = '\0';
	if (inet_pton(*family, host, addr) != 1) {
		snprintf(err, errlen, "listen '%s': '%s' is not a numeric %s address",
			 s, host, *family == AF_INET ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	/* decimal only, as the rest of the config: no sign, no 0x */
	if (*ps < '0' || *ps > '9') {
		snprintf(err, errlen, "listen '%s': missing port", s);
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(ps, &end, 10);
	if (errno || *end || v < 1 || v > 65535) {
		snprintf(err, errlen, "listen '%s': port must be 1-65535", s);
		return -EINVAL;
	}
	*port = (uint16_t)v;
	return 0;
}

void gk_config_metrics_key(struct gk_config_metrics *m, unsigned line,
			   const char *key, const char *val,
			   gk_config_report_fn *report, void *ctx)
{
	char err[200];

	if (strcmp(key, "listen")) {
		snprintf(err, sizeof(err), "unknown key '%.64s' in [metrics]", key);
		report(ctx, line, err);
		return;
	}
	if (m->listen_line) {
		snprintf(err, sizeof(err),
			 "duplicate key 'listen' (first at line %u)",
			 m->listen_line);
		report(ctx, line, err);
		return;
	}
	m->listen_line = line;
	if (strlen(val) >= sizeof(m->listen)) {
		report(ctx, line, "listen: too long");
		return;
	}
	if (gk_config_metrics_parse_listen(val, &m->family, m->addr, &m->port,
					   err, sizeof(err))) {
		report(ctx, line, err);
		return;
	}
	snprintf(m->listen, sizeof(m->listen), "%s", val);
}

void gk_config_metrics_validate(const struct gk_config_metrics *m,
				gk_config_report_fn *report, void *ctx)
{
	if (m->line && !m->listen_line)
		report(ctx, m->line,
		       "[metrics] needs listen = ADDR:PORT (e.g. 127.0.0.1:9469)");
}

bool gk_config_metrics_equal(const struct gk_config_metrics *a,
			     const struct gk_config_metrics *b)
{
	return a->enabled == b->enabled &&
	       (!a->enabled || (a->family == b->family && a->port == b->port &&
				!memcmp(a->addr, b->addr, 16)));
}
