// SPDX-License-Identifier: BSD-3-Clause
/* The front door's health checks; see l4_health.h and docs/l4.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config_l4.h"
#include "config_wg.h"
#include "daemon.h"
#include "health.h"
#include "l4_ctl.h"
#include "l4_health.h"
#include "log.h"

struct gk_l4_health {
	struct gk_health *h;
	unsigned n;
	struct { unsigned svc, be; } *who;	/* [n]: target -> backend */
	int **idx;				/* [svc][be]: target or -1 */
	unsigned nr_svc;
};

static const char *const kind_names[] = {
	[GK_L4_HEALTH_TCP] = "tcp",
	[GK_L4_HEALTH_HTTP] = "http",
	[GK_L4_HEALTH_NONE] = "none",
};

static void format_be(const struct gk_config_l4_service *s,
		      const struct gk_config_l4_backend *b, char *buf,
		      size_t len)
{
	char a[64];

	inet_ntop(b->family, b->addr, a, sizeof(a));
	snprintf(buf, len, b->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 b->port ? b->port : s->port_lo);
}

static void on_change(void *arg, unsigned i, bool up, const char *why)
{
	struct gk_daemon *d = arg;
	struct gk_l4_health *lh = d->l4h;
	const struct gk_config_l4_service *s = &d->cfg.l4->services[lh->who[i].svc];
	const struct gk_config_l4_backend *b = &s->backends[lh->who[i].be];
	char ep[80], err[200];

	format_be(s, b, ep, sizeof(ep));
	if (up)
		gk_event(GK_LOG_INFO, "l4", "backend_up",
			 GK_KVS(GK_KV_S("service", s->name), GK_KV_S("backend", ep),
				GK_KV_S("check", why)),
			 "l4-service %s: backend %s is up (health: %u in a row, %s)",
			 s->name, ep, s->rise, why);
	else
		gk_event(GK_LOG_WARN, "l4", "backend_down",
			 GK_KVS(GK_KV_S("service", s->name), GK_KV_S("backend", ep),
				GK_KV_S("check", why)),
			 "l4-service %s: backend %s is down (health: %u failures in a row, last: %s); its flows stay, new flows go elsewhere",
			 s->name, ep, s->fall, why);
	if (gk_l4_republish(d, err, sizeof(err)))
		gk_err("l4-service %s: %s", s->name, err);
}

int gk_l4_health_start(struct gk_daemon *d, char *err, size_t errlen)
{
	const struct gk_config_l4 *l4 = d->cfg.l4;
	struct gk_health_target *t = NULL;
	struct gk_l4_health *lh;
	unsigned n = 0, k = 0;

	if (!l4 || !l4->nr_services)
		return 0;
	for (unsigned i = 0; i < l4->nr_services; i++)
		if (l4->services[i].health != GK_L4_HEALTH_NONE)
			n += l4->services[i].nr_backends;
	lh = calloc(1, sizeof(*lh));
	if (!lh)
		goto nomem;
	d->l4h = lh;
	lh->nr_svc = l4->nr_services;
	lh->idx = calloc(l4->nr_services, sizeof(*lh->idx));
	lh->who = calloc(n ? n : 1, sizeof(*lh->who));
	t = calloc(n ? n : 1, sizeof(*t));
	if (!lh->idx || !lh->who || !t)
		goto nomem;
	for (unsigned i = 0; i < l4->nr_services; i++) {
		const struct gk_config_l4_service *s = &l4->services[i];

		lh->idx[i] = malloc((s->nr_backends ? s->nr_backends : 1) *
				    sizeof(int));
		if (!lh->idx[i])
			goto nomem;
		for (unsigned j = 0; j < s->nr_backends; j++) {
			const struct gk_config_l4_backend *b = &s->backends[j];
			struct gk_health_target *x = &t[k];

			lh->idx[i][j] = -1;
			if (s->health == GK_L4_HEALTH_NONE)
				continue;
			/*
			 * A probe takes the host's routes: into genkan's
			 * tunnel only through the host path. Without one it
			 * would fail, or leave by the default route, and take
			 * a working backend down.
			 */
			if (d->cfg.wg && !d->cfg.wg->nr_addrs &&
			    gk_config_l4_peer_covers(d->cfg.wg, b->family, b->addr)) {
				char ep[80];

				format_be(s, b, ep, sizeof(ep));
				snprintf(err, errlen, "%s:%u: [l4-service %s]: backend %s "
					 "is health-checked from this host, which has no "
					 "path into the tunnel: set [wireguard] Address "
					 "(docs/l4.md) or health = none", d->cfg.path,
					 b->line, s->name, ep);
				free(t);
				return -EINVAL;
			}
			x->family = b->family;
			memcpy(x->addr, b->addr, 16);
			/* port 0: the packet's own, so the first listen port */
			x->port = b->port ? b->port : s->port_lo;
			x->kind = s->health == GK_L4_HEALTH_HTTP ?
				  GK_HEALTH_HTTP : GK_HEALTH_TCP;
			snprintf(x->path, sizeof(x->path), "%s",
				 s->http_path[0] ? s->http_path : "/");
			x->expect_lo = s->expect_lo ? s->expect_lo : 200;
			x->expect_hi = s->expect_hi ? s->expect_hi : 399;
			x->interval_ms = s->health_interval_ms;
			x->rise = s->rise;
			x->fall = s->fall;
			lh->who[k].svc = i;
			lh->who[k].be = j;
			lh->idx[i][j] = (int)k++;
		}
	}
	lh->n = k;
	if (k) {
		lh->h = gk_health_new(t, k, on_change, d);
		if (!lh->h) {
			snprintf(err, errlen, "l4 health checks: %s",
				 strerror(errno));
			free(t);
			return -errno;
		}
		gk_info("l4: health checks on %u backend(s), from this host's routes", k);
	}
	free(t);
	return 0;

nomem:
	free(t);
	snprintf(err, errlen, "l4 health checks: out of memory");
	return -ENOMEM;
}

void gk_l4_health_stop(struct gk_daemon *d)
{
	struct gk_l4_health *lh = d->l4h;

	if (!lh)
		return;
	gk_health_free(lh->h);
	for (unsigned i = 0; lh->idx && i < lh->nr_svc; i++)
		free(lh->idx[i]);
	free(lh->idx);
	free(lh->who);
	free(lh);
	d->l4h = NULL;
}

int gk_l4_health_fd(const struct gk_daemon *d)
{
	return d->l4h && d->l4h->h ? gk_health_fd(d->l4h->h) : -1;
}

void gk_l4_health_run(struct gk_daemon *d)
{
	if (d->l4h && d->l4h->h)
		gk_health_run(d->l4h->h);
}

static const struct gk_health_status *status_of(const struct gk_daemon *d,
						unsigned svc, unsigned be)
{
	const struct gk_l4_health *lh = d->l4h;

	if (!lh || !lh->h || svc >= lh->nr_svc ||
	    be >= d->cfg.l4->services[svc].nr_backends || lh->idx[svc][be] < 0)
		return NULL;
	return gk_health_status(lh->h, (unsigned)lh->idx[svc][be]);
}

bool gk_l4_health_down(const struct gk_daemon *d, unsigned svc, unsigned be)
{
	const struct gk_health_status *st = status_of(d, svc, be);

	return st && !st->up;
}

json_t *gk_l4_health_json(const struct gk_daemon *d, unsigned svc,
			  unsigned be)
{
	const struct gk_config_l4_service *s = &d->cfg.l4->services[svc];
	const struct gk_health_status *st = status_of(d, svc, be);
	struct timespec ts;
	uint64_t now;

	if (!st)
		return json_pack("{s:s}", "check", kind_names[s->health]);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:f, s:i, s:i, s:i, s:f}",
			 "check", kind_names[s->health],
			 "state", st->up ? "up" : "down",
			 "last", st->last,
			 "checks", (json_int_t)st->checks,
			 "failures", (json_int_t)st->failures,
			 "transitions", (json_int_t)st->transitions,
			 "rtt_ms", st->checked ? st->rtt_us / 1000.0 : 0.0,
			 "in_a_row", (int)st->run,
			 "rise", (int)s->rise, "fall", (int)s->fall,
			 "since_s", st->changed_ns && now > st->changed_ns ?
				(double)(now - st->changed_ns) / 1e9 : 0.0);
}
