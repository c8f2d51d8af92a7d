/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * [metrics]: where genkand serves its counters in the Prometheus text
 * format (ctl/genkand/metrics.h, docs/metrics.md). Off unless the section
 * is there. config.c forwards the header and keys here and calls the
 * validator once everything is read.
 */
#ifndef GK_CONFIG_METRICS_H
#define GK_CONFIG_METRICS_H

#include <stdbool.h>
#include <stdint.h>

struct gk_config_metrics {
	bool enabled;
	unsigned line;			/* of [metrics], 0: absent */
	unsigned listen_line;		/* of listen, 0: not given */
	int family;			/* AF_INET or AF_INET6 */
	uint8_t addr[16];		/* network order, 4 or 16 bytes */
	uint16_t port;			/* host order, 1-65535 */
	char listen[64];		/* as written: ADDR:PORT, [V6]:PORT */
};

typedef void gk_config_report_fn(void *ctx, unsigned line, const char *msg);

/* "[metrics]"; false (reported) when it is bad or a second one. */
bool gk_config_metrics_open(struct gk_config_metrics *m, const char *arg,
			    unsigned line, gk_config_report_fn *report,
			    void *ctx);
void gk_config_metrics_key(struct gk_config_metrics *m, unsigned line,
			   const char *key, const char *val,
			   gk_config_report_fn *report, void *ctx);
/* After the whole file: [metrics] needs its listen. */
void gk_config_metrics_validate(const struct gk_config_metrics *m,
				gk_config_report_fn *report, void *ctx);

/* Same server (lines left out): a reload may keep it. */
bool gk_config_metrics_equal(const struct gk_config_metrics *a,
			     const struct gk_config_metrics *b);

/*
 * "ADDR:PORT" or "[V6ADDR]:PORT", numeric only, port 1-65535. 0, or
 * -EINVAL with the reason in err.
 */
int gk_config_metrics_parse_listen(const char *s, int *family, uint8_t *addr,
				   uint16_t *port, char *err, size_t errlen);

#endif
