/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend health checks (docs/l4.md "Health checks"): a TCP connect or an
 * HTTP GET per target every interval, from the gateway's own kernel, so a
 * probe takes the path the host routes it on (for backends at home: the
 * host interface into genkan's tunnels). rise successes in a row bring a
 * target up, fall failures in a row take it down, as HAProxy counts them.
 *
 * Single-threaded: everything runs on genkand's control thread, driven by
 * one epoll fd (gk_health_fd) that the caller adds to its own loop and
 * serves with gk_health_run. Probes never block.
 */
#ifndef GK_CTL_HEALTH_H
#define GK_CTL_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

enum gk_health_kind { GK_HEALTH_TCP, GK_HEALTH_HTTP };

#define GK_HEALTH_PATH_MAX	128

struct gk_health_target {
	int family;			/* AF_INET, AF_INET6 */
	uint8_t addr[16];		/* network order */
	uint16_t port;			/* host order */
	enum gk_health_kind kind;
	char path[GK_HEALTH_PATH_MAX];	/* HTTP: request path */
	uint16_t expect_lo, expect_hi;	/* HTTP: status range that passes */
	uint32_t interval_ms;		/* between probe starts; also the timeout */
	uint8_t rise, fall;		/* >= 1 */
};

struct gk_health_status {
	bool up;			/* the verdict (starts up: see health.c) */
	bool checked;			/* a probe has finished */
	uint8_t run;			/* results in a row against the verdict */
	uint64_t checks, failures;	/* probes finished, of which failed */
	uint64_t transitions;		/* up <-> down */
	uint32_t rtt_us;		/* of the last success */
	uint64_t changed_ns;		/* CLOCK_MONOTONIC of the last transition */
	char last[64];			/* "ok", "timeout", "refused", "http 503" ... */
};

/* Called on every transition, after the status was updated. */
typedef void (*gk_health_cb)(void *arg, unsigned idx, bool up,
			     const char *why);

struct gk_health;

/* Targets are copied. NULL with errno set (EINVAL, ENOMEM, or epoll's). */
struct gk_health *gk_health_new(const struct gk_health_target *t, unsigned n,
				gk_health_cb cb, void *arg);
void gk_health_free(struct gk_health *h);
/* Polls readable when a probe or the timer needs service. */
int gk_health_fd(const struct gk_health *h);
/* Serve what is ready; never blocks. */
void gk_health_run(struct gk_health *h);
unsigned gk_health_count(const struct gk_health *h);
const struct gk_health_status *gk_health_status(const struct gk_health *h,
						unsigned idx);

#endif
