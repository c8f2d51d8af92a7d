// SPDX-License-Identifier: BSD-3-Clause
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gk_config.h>
#include "config_dpdk.h"

enum { D_EAL_ARGS, D_MBUFS, D_RX_DESC, D_TX_DESC, NR_DKEYS };

static const char *const key_names[NR_DKEYS] = {
	[D_EAL_ARGS] = "eal_args",
	[D_MBUFS] = "mbufs",
	[D_RX_DESC] = "rx_desc",
	[D_TX_DESC] = "tx_desc",
};

static void report(gk_config_dpdk_report_fn *fn, void *ctx, unsigned line,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report(gk_config_dpdk_report_fn *fn, void *ctx, unsigned line,
		   const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(ctx, line, msg);
}

bool gk_config_dpdk_built(void)
{
	return GK_HAVE_DPDK;
}

void gk_config_dpdk_defaults(struct gk_config_dpdk *c)
{
	memset(c, 0, sizeof(*c));
	c->mbufs = GK_DPDK_DEF_MBUFS;
	c->rx_desc = GK_DPDK_DEF_DESC;
	c->tx_desc = GK_DPDK_DEF_DESC;
}

bool gk_config_dpdk_open(struct gk_config_dpdk *c, const char *arg,
			 unsigned line, gk_config_dpdk_report_fn *fn, void *ctx)
{
	if (*arg) {
		report(fn, ctx, line, "section [dpdk] takes no name");
		return false;
	}
	if (c->line) {
		report(fn, ctx, line, "duplicate section [dpdk] (first at line %u)",
		       c->line);
		return false;
	}
	c->line = line;
	return true;
}

static int get_uint(const char *val, unsigned long lo, unsigned long hi,
		    unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*val))
		return -EINVAL;
	errno = 0;
	v = strtoul(val, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

void gk_config_dpdk_key(struct gk_config_dpdk *c, unsigned line,
			const char *key, const char *val,
			gk_config_dpdk_report_fn *fn, void *ctx)
{
	unsigned long v;
	int k;

	for (k = 0; k < NR_DKEYS; k++)
		if (!strcmp(key, key_names[k]))
			break;
	if (k == NR_DKEYS) {
		report(fn, ctx, line, "unknown key '%s' in [dpdk]", key);
		return;
	}
	if (c->key_line[k]) {
		report(fn, ctx, line, "duplicate key '%s' (first at line %u)",
		       key, c->key_line[k]);
		return;
	}
	c->key_line[k] = line;
	if (!*val) {
		report(fn, ctx, line, "missing value for '%s'", key);
		return;
	}
	switch (k) {
	case D_EAL_ARGS:
		if (strlen(val) >= sizeof(c->eal_args)) {
			report(fn, ctx, line, "eal_args longer than %zu characters",
			       sizeof(c->eal_args) - 1);
			return;
		}
		if (strstr(val, "--file-prefix")) {
			report(fn, ctx, line,
			       "eal_args: --file-prefix is genkand's (genkan-<instance>)");
			return;
		}
		snprintf(c->eal_args, sizeof(c->eal_args), "%s", val);
		return;
	case D_MBUFS:
		if (get_uint(val, 1024, 1u << 22, &v)) {
			report(fn, ctx, line, "invalid mbufs '%s' (expected 1024..%u)",
			       val, 1u << 22);
			return;
		}
		c->mbufs = (uint32_t)v;
		return;
	default:
		if (get_uint(val, 64, 16384, &v) || (v & (v - 1))) {
			report(fn, ctx, line,
			       "invalid %s '%s' (expected a power of two, 64..16384)",
			       key, val);
			return;
		}
		if (k == D_RX_DESC)
			c->rx_desc = (uint16_t)v;
		else
			c->tx_desc = (uint16_t)v;
		return;
	}
}

/* [DDDD:]BB:DD.F, hex */
static bool pci_addr(const char *s, size_t n)
{
	static const char *const forms[] = { "hhhh:hh:hh.h", "hh:hh.h" };
	size_t f, i;

	for (f = 0; f < 2; f++) {
		const char *m = forms[f];

		if (strlen(m) != n)
			continue;
		for (i = 0; i < n; i++)
			if (m[i] == 'h' ? !isxdigit((unsigned char)s[i]) :
			    s[i] != m[i])
				break;
		if (i == n)
			return true;
	}
	return false;
}

int gk_config_dpdk_devargs_check(const char *s, char *err, size_t errlen)
{
	size_t n = strcspn(s, ","), i;
	const char *kv;

	for (i = 0; s[i]; i++)
		if (isspace((unsigned char)s[i]) || !isprint((unsigned char)s[i])) {
			snprintf(err, errlen, "devargs '%s': no blanks or control characters",
				 s);
			return -EINVAL;
		}
	if (!pci_addr(s, n)) {
		bool ok = n > 4 && !strncmp(s, "net_", 4);

		for (i = 4; ok && i < n; i++)
			ok = isalnum((unsigned char)s[i]) || s[i] == '_';
		if (!ok) {
			snprintf(err, errlen,
				 "devargs '%s': expected a PCI address (0000:03:00.0) or a virtual device (net_NAME, e.g. net_af_packet0,iface=eth1)",
				 s);
			return -EINVAL;
		}
	} else if (s[n]) {
		/* PCI devargs take key=value too (e.g. representors) */
	}
	for (kv = s + n; *kv; kv += n) {
		kv++;	/* the comma */
		n = strcspn(kv, ",");
		if (!n || !memchr(kv, '=', n) || kv[0] == '=') {
			snprintf(err, errlen, "devargs '%s': '%.*s' is not key=value",
				 s, (int)n, kv);
			return -EINVAL;
		}
	}
	return 0;
}
