/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * [dpdk] and the per-port DPDK keys (issue #14, docs/dpdk.md): the EAL
 * arguments and buffer counts genkand uses when a [port] says
 * backend = dpdk, and the syntax of a port's devargs. config.c forwards
 * the section's keys here.
 */
#ifndef GK_CONFIG_DPDK_H
#define GK_CONFIG_DPDK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GK_DPDK_DEF_MBUFS	8192	/* per worker */
#define GK_DPDK_DEF_DESC	1024

struct gk_config_dpdk {
	unsigned line;			/* of [dpdk], 0: absent */
	/* EAL arguments, blank-separated; genkand adds --file-prefix. */
	char eal_args[512];
	uint32_t mbufs;			/* per worker pool */
	uint16_t rx_desc, tx_desc;	/* per queue */
	unsigned key_line[4];		/* eal_args, mbufs, rx_desc, tx_desc */
};

typedef void gk_config_dpdk_report_fn(void *ctx, unsigned line,
				      const char *msg);

void gk_config_dpdk_defaults(struct gk_config_dpdk *c);
/* "[dpdk]"; false (reported) when it has a name or is a second one. */
bool gk_config_dpdk_open(struct gk_config_dpdk *c, const char *arg,
			 unsigned line, gk_config_dpdk_report_fn *report,
			 void *ctx);
void gk_config_dpdk_key(struct gk_config_dpdk *c, unsigned line,
			const char *key, const char *val,
			gk_config_dpdk_report_fn *report, void *ctx);
/*
 * devargs: a PCI address ([DDDD:]BB:DD.F) or a virtual device
 * (net_NAME[N]) with ,key=value pairs, no blanks. 0, or -EINVAL with the
 * reason in err.
 */
int gk_config_dpdk_devargs_check(const char *s, char *err, size_t errlen);
/* Was genkan built with the DPDK backend (GK_HAVE_DPDK)? */
bool gk_config_dpdk_built(void);

#endif
