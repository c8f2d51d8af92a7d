/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The front door's health checks (docs/l4.md "Health checks"): one
 * gk_health target (health.h) per backend of every [l4-service] whose
 * health is not none. A backend going down or up rebuilds the service's
 * Maglev table (l4_ctl.c); established flows keep their backend.
 * Control thread only.
 */
#ifndef GK_CTL_L4_HEALTH_H
#define GK_CTL_L4_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct gk_daemon;

/* After gk_l4_start. 0, or -errno with a message in err. */
int gk_l4_health_start(struct gk_daemon *d, char *err, size_t errlen);
void gk_l4_health_stop(struct gk_daemon *d);
/* The fd for genkand's epoll, or -1 when nothing is checked. */
int gk_l4_health_fd(const struct gk_daemon *d);
void gk_l4_health_run(struct gk_daemon *d);
/* The checks say the backend is down (false when it is not checked). */
bool gk_l4_health_down(const struct gk_daemon *d, unsigned svc, unsigned be);
/* {"check":"tcp|http|none", "state":"up|down", "last":..., ...} */
json_t *gk_l4_health_json(const struct gk_daemon *d, unsigned svc,
			  unsigned be);

#endif
