// SPDX-License-Identifier: BSD-3-Clause
/*
 * Hand-off modes, per port (dataplane/port.h enum gk_hand):
 *   meta   XDP metadata (bpf_xdp_adjust_meta), copied by AF_XDP
 *   head   prepended with bpf_xdp_adjust_head, stripped by the backend
 *   parse  nothing; the worker runs the software twin (dataplane/parse.c)
 *
 * A run-time switch must never let a worker read a frame of the old mode
 * as the new one, and frames carry nothing that says which: so the port
 * is held (XDP drops its worker-bound frames, event "hold"), each worker
 * is seen to empty its rx ring twice, then the workers' mode and the
 * classifier's flags change. A few milliseconds of that port's traffic
 * are dropped, counted; nothing is passed to a kernel that would not
 * forward it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cls_tables.h"
#include "port.h"
#include "daemon.h"
#include "dpdk_ctl.h"
#include "hand_ctl.h"
#include "log.h"
#include "xdp_loader.h"

#define DRAIN_WAIT_MS	1000	/* a worker that takes longer is stalled */
#define HOLD_GRACE_US	2000	/* XDP runs that read the old flags end */

const char *const gk_hand_names[GK_HAND_MAX] = {
	[GK_HAND_META] = "meta",
	[GK_HAND_HEAD] = "head",
	[GK_HAND_PARSE] = "parse",
};

const char *gk_hand_name(unsigned hand)
{
	return hand < GK_HAND_MAX ? gk_hand_names[hand] : "?";
}

uint32_t gk_hand_probe(struct gk_daemon *d)
{
	const char *test = getenv("GENKAN_TEST_HAND_FAIL");
	uint32_t flags = 0;

	d->hand_ok = gk_xdp_probe_hand(d->hand_probe, sizeof(d->hand_probe));
	gk_info("hand-off probe: %s", d->hand_probe);
	if (!(d->hand_ok & GK_XDP_HAND_OK_META))
		flags |= GK_CFG_F_NO_META;
	if (!(d->hand_ok & GK_XDP_HAND_OK_HEAD))
		flags |= GK_CFG_F_NO_HEAD;
	if (test && !strcmp(test, "1")) {
		gk_warn("GENKAN_TEST_HAND_FAIL=1: the classifier fails every "
			"meta/head hand-off (test switch)");
		flags |= GK_CFG_F_TEST_HAND_FAIL;
	}
	return flags;
}

int gk_hand_pick(struct gk_daemon *d, char *err, size_t errlen)
{
	const bool meta = d->hand_ok & GK_XDP_HAND_OK_META;
	const bool head = d->hand_ok & GK_XDP_HAND_OK_HEAD;

	for (unsigned i = 0; i < d->nr_ports; i++) {
		const struct gk_config_port *cp = &d->cfg.ports[i];
		struct gk_dport *p = &d->ports[i];

		if (gk_dpdk_ctl_port(d, i)) {
			/* no XDP: the DPDK backend classifies at rx (dpdk_ctl.h) */
			p->hand = GK_HAND_META;
			snprintf(p->hand_why, sizeof(p->hand_why),
				 "dpdk: no XDP; the backend runs the software twin at rx");
			gk_info("port %s (%s): hand-off %s (%s)", p->name, p->ifname,
				gk_hand_name(p->hand), p->hand_why);
			continue;
		}
		switch (cp->xdp_meta) {
		case GK_XDP_META_META:
		case GK_XDP_META_HEAD:
			if (cp->xdp_meta == GK_XDP_META_META ? !meta : !head) {
				snprintf(err, errlen,
					 "port %s: xdp_meta = %s, but this kernel's %s "
					 "(use auto, or parse)", p->name,
					 gk_config_xdp_meta_str(cp->xdp_meta),
					 d->hand_probe);
				return -EINVAL;
			}
			p->hand = cp->xdp_meta == GK_XDP_META_META ?
				GK_HAND_META : GK_HAND_HEAD;
			snprintf(p->hand_why, sizeof(p->hand_why),
				 "configured");
			break;
		case GK_XDP_META_PARSE:
			p->hand = GK_HAND_PARSE;
			snprintf(p->hand_why, sizeof(p->hand_why),
				 "configured");
			break;
		default:
			p->hand = meta ? GK_HAND_META :
				  head ? GK_HAND_HEAD : GK_HAND_PARSE;
			snprintf(p->hand_why, sizeof(p->hand_why),
				 "auto: %s", d->hand_probe);
			break;
		}
		gk_info("port %s (%s): hand-off %s (%s)", p->name, p->ifname,
			gk_hand_name(p->hand), p->hand_why);
	}
	return 0;
}

int gk_hand_push(struct gk_daemon *d, unsigned port, int hold)
{
	struct gk_dport *p = &d->ports[port];
	uint32_t f = GK_PORT_F_ENABLED | p->xdp_flags;

	if (p->hand == GK_HAND_HEAD)
		f |= GK_PORT_F_HAND_HEAD;
	else if (p->hand == GK_HAND_PARSE)
		f |= GK_PORT_F_HAND_PARSE;
	if (hold)
		f |= GK_PORT_F_HOLD;
	return gk_xdp_set_port(d->xdp, p->ifindex, p->port_id, f);
}

int gk_hand_publish(struct gk_daemon *d)
{
	uint64_t gen = gk_xdp_generation(d->xdp);
	struct gk_cls_tables *t;

	if (d->cls && gen == d->cls_gen)
		return 0;
	t = gk_xdp_cls_build(d->xdp);
	if (!t)
		return -ENOMEM;
	gk_cls_tables_publish(&d->cls, t);
	d->cls_gen = gen;
	return 1;
}

static uint64_t drained(const struct gk_port *xp)
{
	return __atomic_load_n(&xp->stats.rx_drained, __ATOMIC_RELAXED);
}

/* Wait until every worker has emptied port's rx ring twice since now. */
static int wait_drained(struct gk_daemon *d, unsigned port)
{
	uint64_t base[GK_MAX_WORKERS];
	struct timespec ms = { 0, 1000000 };
	unsigned w, waited, left;

	for (w = 0; w < d->nr_workers; w++)
		base[w] = drained(d->xports[w][port]);
	for (waited = 0; waited < DRAIN_WAIT_MS; waited++) {
		for (left = 0, w = 0; w < d->nr_workers; w++)
			left += drained(d->xports[w][port]) < base[w] + 2;
		if (!left)
			return 0;
		nanosleep(&ms, NULL);
	}
	return -ETIMEDOUT;
}

static void hand_switch(struct gk_daemon *d, unsigned port, uint64_t fails)
{
	struct gk_dport *p = &d->ports[port];
	unsigned from = p->hand, to;
	int ret;

	if (from == GK_HAND_META && (d->hand_ok & GK_XDP_HAND_OK_HEAD))
		to = GK_HAND_HEAD;
	else
		to = GK_HAND_PARSE;

	ret = gk_hand_push(d, port, 1);
	if (ret) {
		gk_err("port %s: hand-off switch: hold: %s", p->name,
		       strerror(-ret));
		return;
	}
	usleep(HOLD_GRACE_US);
	if (wait_drained(d, port))
		gk_warn("port %s: a worker did not drain its rx ring within "
			"%u ms; switching anyway", p->name, DRAIN_WAIT_MS);
	for (unsigned w = 0; w < d->nr_workers; w++)
		atomic_store_explicit(&d->xports[w][port]->hand, (uint8_t)to,
				      memory_order_release);
	p->hand = (uint8_t)to;
	p->hand_switches++;
	snprintf(p->hand_why, sizeof(p->hand_why),
		 "run-time switch from %s: %llu frame(s) could not carry "
		 "metadata", gk_hand_name(from), (unsigned long long)fails);
	ret = gk_hand_push(d, port, 0);
	if (ret)
		gk_err("port %s: hand-off switch: release: %s", p->name,
		       strerror(-ret));
	gk_event(GK_LOG_WARN, "port", "mode_switch",
		 GK_KVS(GK_KV_S("port", p->name), GK_KV_S("interface", p->ifname),
			GK_KV_S("from", gk_hand_name(from)),
			GK_KV_S("to", gk_hand_name(to)), GK_KV_N("dropped", fails)),
		 "port %s (%s): hand-off %s failed at run time (%llu frame(s) "
		 "dropped, counted as xdp meta_fail); switched to %s",
		 p->name, p->ifname, gk_hand_name(from),
		 (unsigned long long)fails, gk_hand_name(to));
}

void gk_hand_watch(struct gk_daemon *d)
{
	uint64_t fails[GK_MAX_PORTS];

	if (!d->xdp || gk_xdp_read_hand_fail(d->xdp, fails))
		return;
	for (unsigned i = 0; i < d->nr_ports; i++) {
		struct gk_dport *p = &d->ports[i];
		uint64_t f = fails[p->port_id];

		if (f == p->hand_fail_seen)
			continue;
		/* parse hands nothing over: its counter cannot move */
		if (p->hand != GK_HAND_PARSE && d->workers)
			hand_switch(d, i, f - p->hand_fail_seen);
		p->hand_fail_seen = f;
	}
}
