/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * [nat] and [nat-map NAME] config sections (NAPT44 on the MAP-E CE, issue
 * #4, docs/napt.md). Kept out of config.c: config.c only forwards section
 * headers and keys here and calls the validator once everything is read.
 */
#ifndef GK_CONFIG_NAT_H
#define GK_CONFIG_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GK_CONFIG_MAX_NAT_MAPS	256

struct gk_config_nat_map {
	char name[32];
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t public_port;
	uint8_t host[4];
	uint16_t host_port;
	unsigned line;
};

struct gk_config_nat {
	bool present, enabled;
	unsigned line;			/* line of [nat] */
	uint8_t filter;			/* enum gk_napt_filter */
	uint32_t udp_timeout, tcp_established_timeout;
	uint32_t tcp_transitory_timeout, icmp_timeout;
	uint32_t hold_down;		/* seconds; 0: none */
	uint32_t max_sessions;		/* per worker; 0: stage default */
	uint32_t host_port_limit;	/* 0: none */
	char event_log[256];		/* "" = off */
	struct gk_config_nat_map maps[GK_CONFIG_MAX_NAT_MAPS];
	unsigned nr_maps;
};

/* Parse-time bookkeeping (key lines for duplicates and messages). */
#define GK_NAT_NKEYS	10
#define GK_NAT_MKEYS	4
struct gk_config_nat_pstate {
	unsigned key_line[GK_NAT_NKEYS];
	unsigned map_line[GK_CONFIG_MAX_NAT_MAPS][GK_NAT_MKEYS];
	bool in_map;			/* current section is a [nat-map] */
	bool too_many;
};

typedef void gk_config_report_fn(void *ctx, unsigned line, const char *msg);

void gk_config_nat_defaults(struct gk_config_nat *n);
/* A "[nat]" or "[nat-map NAME]" header; false (reported) when it is bad. */
bool gk_config_nat_open(struct gk_config_nat *n, struct gk_config_nat_pstate *st,
			const char *sec, const char *arg, unsigned line,
			gk_config_report_fn *report, void *ctx);
void gk_config_nat_key(struct gk_config_nat *n, struct gk_config_nat_pstate *st,
		       unsigned line, const char *key, const char *val,
		       gk_config_report_fn *report, void *ctx);

struct gk_config;
/* Cross-section checks: [mape] role ce with a BMR, ports in the set. */
void gk_config_nat_validate(struct gk_config *cfg,
			    const struct gk_config_nat_pstate *st,
			    gk_config_report_fn *report, void *ctx);

/*
 * The CE's port set from [mape] (gk_map_ce_derive on the BMR): 0, or
 * -EINVAL with a reason in @err.
 */
/* Same settings (line numbers ignored): reload decides on a restart. */
bool gk_config_nat_equal(const struct gk_config_nat *a,
			 const struct gk_config_nat *b);

struct gk_map_ce_params;
int gk_config_nat_ce(const struct gk_config *cfg, struct gk_map_ce_params *cp,
		     char *err, size_t errlen);

#endif
