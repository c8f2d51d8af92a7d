/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports whose interface comes and goes (issue #13): a VM or container
 * restart deletes a port's interface and creates another of the same name.
 * The netlink mirror sees both; after each change the daemon calls
 * gk_port_link_follow(), which takes a port whose interface is gone down
 * (XDP link and gk_ports entry dropped, each worker's socket closed on the
 * worker's own thread) and brings it back when an interface of its name
 * exists again (gk_ports entry, one socket per worker, XDP attached).
 * Only that port's sockets change: the workers keep serving the others.
 * Everything here runs on the daemon thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "backend_afxdp.h"

#include "daemon.h"
#include "dpdk_ctl.h"
#include "hand_ctl.h"
#include "log.h"
#include "nlmirror.h"
#include "port_link.h"
#include "xdp_loader.h"

/* A napping worker answers within heartbeat_ms; this on top. */
#define LINK_MBOX_SLACK_MS	2000
/* A port whose interface is back but could not be attached: tried again. */
#define LINK_RETRY_NS		1000000000ull

/* One request per worker, kept here: a timed-out one stays posted. */
struct link_req {
	struct gk_port *port;
	bool down;		/* unbind; else re-bind with cfg */
	struct gk_xsk_port_cfg cfg;
	char ifname[16];
	int ret;
	char err[200];
};

static struct link_req reqs[GK_MAX_WORKERS];
/* When the tick may try a failed attach again (gk_daemon_now_ns()). */
static uint64_t next_try[GK_MAX_PORTS];

/* On the worker's thread, between bursts (gk_mbox_poll). */
static void run_req(void *arg, void *worker_ctx)
{
	struct link_req *r = arg;

	(void)worker_ctx;
	r->ret = 0;
	r->err[0] = '\0';
	if (r->down)
		gk_xsk_port_unbind(r->port);
	else
		r->ret = gk_xsk_port_rebind(r->port, &r->cfg, r->err, sizeof(r->err));
}

static int call(struct gk_daemon *d, unsigned w, char *err, size_t errlen)
{
	int ret;

	if (!gk_mbox_idle(&d->mbox[w])) {
		snprintf(err, errlen, "worker %u is still busy with an earlier request", w);
		return -EBUSY;
	}
	ret = gk_mbox_call(&d->mbox[w], run_req, &reqs[w],
			   d->cfg.heartbeat_ms + LINK_MBOX_SLACK_MS);
	if (ret) {
		snprintf(err, errlen, "worker %u %s", w,
			 ret == -EBUSY ? "is still busy with an earlier request" :
					 "did not answer in time");
		return ret;
	}
	if (reqs[w].ret) {
		snprintf(err, errlen, "worker %u: %s", w, reqs[w].err);
		return reqs[w].ret;
	}
	return 0;
}

/* Close port i's socket on every worker; the first error is kept. */
static int unbind_all(struct gk_daemon *d, unsigned i, char *err, size_t errlen)
{
	char e[200];
	int ret = 0;

	for (unsigned w = 0; w < d->nr_workers; w++) {
		if (!d->xports[w][i])
			continue;
		memset(&reqs[w], 0, sizeof(reqs[w]));
		reqs[w].port = d->xports[w][i];
		reqs[w].down = true;
		if (call(d, w, e, sizeof(e)) && !ret) {
			snprintf(err, errlen, "%s", e);
			ret = -EIO;
		}
	}
	return ret;
}

static void port_down(struct gk_daemon *d, unsigned i)
{
	struct gk_dport *p = &d->ports[i];
	char err[256];

	p->link_gone = true;
	p->link_downs++;
	clock_gettime(CLOCK_MONOTONIC, &p->link_changed);
	/* The kernel took the XDP program with the device; the link fd is ours. */
	gk_xdp_detach(d->xdp, p->ifindex);
	gk_xdp_del_port(d->xdp, p->ifindex);
	if (unbind_all(d, i, err, sizeof(err)))
		gk_err("port %s: closing its sockets: %s", p->name, err);
	gk_event(GK_LOG_WARN, "port", "port_down",
		 GK_KVS(GK_KV_S("port", p->name), GK_KV_S("interface", p->ifname),
			GK_KV_N("ifindex", p->ifindex)),
		 "port %s: interface %s (ifindex %u) is gone: port down, its %u "
		 "socket(s) closed; waiting for an interface named %s", p->name,
		 p->ifname, p->ifindex, d->nr_workers, p->ifname);
}

/* An interface named like port i's exists again: attach to it. */
static int port_up(struct gk_daemon *d, unsigned i, const struct gk_nl_link *l,
		   char *err, size_t errlen)
{
	const struct gk_config *cfg = &d->cfg;
	struct gk_dport *p = &d->ports[i];
	uint32_t old = p->ifindex, rxq, rx_size = cfg->ring_size;
	uint64_t t0 = gk_daemon_now_ns();
	char e[200];
	int ret;

	rxq = gk_daemon_rx_queues(p->ifname);
	if (rxq && rxq < d->nr_workers) {
		snprintf(err, errlen, "%s has %u rx queue(s) but workers = %u", p->ifname,
			 rxq, d->nr_workers);
		return -EINVAL;
	}
	/* the rx ring size start_workers() picked */
	while (rx_size > 64 && rx_size * d->nr_ports > cfg->frames / 2)
		rx_size /= 2;
	p->ifindex = l->ifindex;
	memcpy(p->mac, l->mac, 6);
	p->mtu = cfg->ports[i].mtu ? cfg->ports[i].mtu : l->mtu;
	p->rx_queues = rxq;
	/* gk_ports before the sockets, the sockets before the program. */
	ret = gk_hand_push(d, i, 0);
	if (ret) {
		snprintf(err, errlen, "gk_ports update: %s", strerror(-ret));
		goto err;
	}
	for (unsigned w = 0; w < d->nr_workers; w++) {
		struct link_req *r = &reqs[w];

		if (!d->xports[w][i]) {
			snprintf(err, errlen, "worker %u has no socket for it", w);
			ret = -EINVAL;
			goto err_unbind;
		}
		memset(r, 0, sizeof(*r));
		snprintf(r->ifname, sizeof(r->ifname), "%s", p->ifname);
		r->port = d->xports[w][i];
		r->cfg = (struct gk_xsk_port_cfg){
			.ifname = r->ifname,
			.ifindex = p->ifindex,
			.queue = (uint16_t)w,
			.port_id = p->port_id,
			.xsks_map_fd = gk_xdp_xsks_fd(d->xdp),
			.bind_mode = cfg->bind_mode == GK_BIND_COPY ? 1 :
				cfg->bind_mode == GK_BIND_ZEROCOPY ? 2 : 0,
			.skb_mode = cfg->xdp_mode == GK_XDP_MODE_SKB,
			.rx_size = rx_size,
			.tx_size = cfg->ring_size,
			.hand = p->hand,
		};
		memcpy(r->cfg.mac, p->mac, 6);
		ret = call(d, w, e, sizeof(e));
		if (ret) {
			snprintf(err, errlen, "%s", e);
			goto err_unbind;
		}
	}
	ret = gk_xdp_attach(d->xdp, p->ifindex, e, sizeof(e));
	if (ret) {
		snprintf(err, errlen, "%s", e);
		goto err_unbind;
	}
	p->link_gone = false;
	p->link_returns++;
	p->link_error[0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &p->link_changed);
	gk_event(GK_LOG_INFO, "port", "port_up",
		 GK_KVS(GK_KV_S("port", p->name), GK_KV_S("interface", p->ifname),
			GK_KV_N("ifindex", p->ifindex)),
		 "port %s: interface %s is back (ifindex %u, was %u): XDP attached "
		 "(%s mode), %u socket(s) bound in %.1f ms", p->name, p->ifname,
		 p->ifindex, old, cfg->xdp_mode == GK_XDP_MODE_SKB ? "skb" : "native",
		 d->nr_workers, (double)(gk_daemon_now_ns() - t0) / 1e6);
	return 0;

err_unbind:
	unbind_all(d, i, e, sizeof(e));
	gk_xdp_del_port(d->xdp, p->ifindex);
err:
	return ret;
}

void gk_port_link_follow(struct gk_daemon *d)
{
	const struct gk_nl_link *links;
	size_t n;

	if (!d->xdp || !d->workers)
		return;		/* not started yet */
	links = gk_nlmirror_links(d->nl, &n);
	for (unsigned i = 0; i < d->nr_ports; i++) {
		struct gk_dport *p = &d->ports[i];
		const struct gk_nl_link *l = NULL;
		char err[256];

		/* A DPDK port's interface is genkand's own TAP: no socket to
		 * re-bind; a deleted one is made again (dpdk_ctl.h). */
		if (gk_dpdk_ctl_port(d, i)) {
			gk_dpdk_ctl_follow(d, i);
			continue;
		}
		if (!p->link_gone) {
			l = gk_nlmirror_link(d->nl, p->ifindex);
			/* a rename keeps the device, and with it XDP and the sockets */
			if (l)
				continue;
			port_down(d, i);
			d->fib_dirty = true;
		}
		for (size_t k = 0; k < n; k++)
			if (!strcmp(links[k].name, p->ifname)) {
				l = &links[k];
				break;
			}
		if (!l)
			continue;
		if (port_up(d, i, l, err, sizeof(err))) {
			/* tried again at the next netlink change; said once */
			if (strcmp(err, p->link_error))
				gk_err("port %s: interface %s (ifindex %u) is back but "
				       "cannot be attached: %s", p->name, p->ifname,
				       l->ifindex, err);
			snprintf(p->link_error, sizeof(p->link_error), "%s", err);
			next_try[i] = gk_daemon_now_ns() + LINK_RETRY_NS;
			continue;
		}
		d->fib_dirty = true;
		d->local_dirty = true;
	}
}

void gk_port_link_tick(struct gk_daemon *d)
{
	uint64_t now = gk_daemon_now_ns();

	for (unsigned i = 0; i < d->nr_ports; i++)
		if (d->ports[i].link_gone && d->ports[i].link_error[0] &&
		    now >= next_try[i]) {
			gk_port_link_follow(d);
			return;
		}
}
