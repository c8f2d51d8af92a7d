// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_arp.h>
#include <linux/if_tun.h>

#include <jansson.h>

#include <gk_config.h>
#include "counters_json.h"
#include "daemon.h"
#include "dpdk_ctl.h"
#include "log.h"
#include "worker.h"
#if GK_HAVE_DPDK
#include "backend_dpdk.h"
#endif

bool gk_dpdk_ctl_port(const struct gk_daemon *d, unsigned i)
{
	return i < d->cfg.nr_ports &&
	       d->cfg.ports[i].backend == GK_BACKEND_DPDK;
}

#if GK_HAVE_DPDK

struct gk_dpdk_ctl {
	struct gk_dpdk_pool *pool[GK_MAX_WORKERS];
	struct gk_dpdk_dev *dev[GK_MAX_PORTS];
	int tap[GK_MAX_PORTS][GK_MAX_WORKERS];	/* one fd per worker queue */
	int carrier[GK_MAX_PORTS];		/* the TAP's, as last set; -1 */
};

/*
 * The TAP's carrier follows the device's link, so the kernel sees the
 * port down (routes, neighbours) when the wire is. Logged on a change.
 */
static void carrier_sync(struct gk_daemon *d, unsigned p)
{
	struct gk_dpdk_ctl *c = d->dpdk;
	int up = gk_dpdk_dev_link(c->dev[p]);

	if (up < 0 || up == c->carrier[p] || c->tap[p][0] < 0)
		return;
	if (ioctl(c->tap[p][0], TUNSETCARRIER, &up)) {
		gk_warn("port %s: TAP %s carrier: %s", d->cfg.ports[p].name,
			d->cfg.ports[p].ifname, strerror(errno));
		return;
	}
	if (c->carrier[p] >= 0)
		gk_info("port %s: DPDK link %s, TAP %s carrier %s",
			d->cfg.ports[p].name, up ? "up" : "down",
			d->cfg.ports[p].ifname, up ? "on" : "off");
	c->carrier[p] = up;
}

void gk_dpdk_ctl_tick(struct gk_daemon *d)
{
	for (unsigned p = 0; d->dpdk && p < GK_MAX_PORTS; p++)
		if (d->dpdk->dev[p])
			carrier_sync(d, p);
}

/*
 * The port's kernel side: a multiqueue TAP (one queue per worker), not
 * persistent, with the device's MAC, up. Frames the twin passes are
 * written to the worker's queue; the kernel's frames are read there.
 */
static int tap_open(const char *name, unsigned nq, const uint8_t mac[6],
		    int *fds, char *err, size_t errlen)
{
	struct ifreq ifr;
	unsigned q;
	int s, ret;

	if (if_nametoindex(name)) {
		snprintf(err, errlen, "interface %s exists: genkand makes it as the "
			 "DPDK port's TAP", name);
		return -EEXIST;
	}
	for (q = 0; q < nq; q++) {
		fds[q] = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
		if (fds[q] < 0) {
			ret = -errno;
			snprintf(err, errlen, "/dev/net/tun: %s", strerror(-ret));
			return ret;
		}
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE;
		if (ioctl(fds[q], TUNSETIFF, &ifr)) {
			ret = -errno;
			snprintf(err, errlen, "TAP %s queue %u: %s", name, q,
				 strerror(-ret));
			return ret;
		}
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-ret));
		return ret;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	ret = ioctl(s, SIOCSIFHWADDR, &ifr) ? -errno : 0;
	if (!ret) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ret = ioctl(s, SIOCGIFFLAGS, &ifr) ? -errno : 0;
		ifr.ifr_flags |= IFF_UP;
		if (!ret && ioctl(s, SIOCSIFFLAGS, &ifr))
			ret = -errno;
	}
	close(s);
	if (ret)
		snprintf(err, errlen, "TAP %s: MAC or up: %s", name,
			 strerror(-ret));
	return ret;
}

int gk_dpdk_ctl_start(struct gk_daemon *d, char *err, size_t errlen)
{
	const struct gk_config *cfg = &d->cfg;
	struct gk_dpdk_ctl *c;
	char args[700], why[400], name[32];
	int ret;

	if (!cfg->nr_dpdk_ports)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (unsigned p = 0; p < GK_MAX_PORTS; p++) {
		c->carrier[p] = -1;
		for (unsigned w = 0; w < GK_MAX_WORKERS; w++)
			c->tap[p][w] = -1;
	}
	d->dpdk = c;
	/* One EAL per instance: its own file prefix. */
	snprintf(args, sizeof(args), "%s --file-prefix genkan-%s",
		 cfg->dpdk.eal_args, cfg->instance);
	ret = gk_dpdk_eal_init(args, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "[dpdk] eal_args '%s': %s", cfg->dpdk.eal_args,
			 why);
		return ret;
	}
	gk_info("dpdk: EAL up (%s)", args);
	for (unsigned w = 0; w < d->nr_workers; w++) {
		snprintf(name, sizeof(name), "gk-w%u", w);
		c->pool[w] = gk_dpdk_pool_create(name, cfg->dpdk.mbufs, -1, why,
						 sizeof(why));
		if (!c->pool[w]) {
			snprintf(err, errlen, "dpdk: worker %u: %s", w, why);
			return -ENOMEM;
		}
	}
	for (unsigned i = 0; i < cfg->nr_ports; i++) {
		const struct gk_config_port *cp = &cfg->ports[i];
		struct gk_dpdk_dev_cfg dc = {
			.devargs = cp->devargs,
			.nr_queues = (uint16_t)d->nr_workers,
			.pools = c->pool,
			.rx_desc = cfg->dpdk.rx_desc,
			.tx_desc = cfg->dpdk.tx_desc,
		};
		uint8_t mac[6];

		if (cp->backend != GK_BACKEND_DPDK)
			continue;
		ret = gk_dpdk_dev_open(&dc, &c->dev[i], why, sizeof(why));
		if (ret) {
			snprintf(err, errlen, "port %s: %s", cp->name, why);
			return ret;
		}
		gk_dpdk_dev_mac(c->dev[i], mac);
		ret = tap_open(cp->ifname, d->nr_workers, mac, c->tap[i], why,
			       sizeof(why));
		if (ret) {
			snprintf(err, errlen, "port %s: %s", cp->name, why);
			return ret;
		}
		carrier_sync(d, i);
		gk_info("port %s: DPDK %s, ethdev %u, %u queue(s), link %s, kernel side "
			"TAP %s (%02x:%02x:%02x:%02x:%02x:%02x)", cp->name, cp->devargs,
			gk_dpdk_dev_port(c->dev[i]), d->nr_workers,
			c->carrier[i] > 0 ? "up" : c->carrier[i] ? "down" : "unknown",
			cp->ifname, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	}
	return 0;
}

int gk_dpdk_ctl_worker(struct gk_daemon *d, unsigned w,
		       struct gk_worker_cfg *wc, char *err, size_t errlen)
{
	struct gk_dpdk_ctl *c = d->dpdk;
	char why[300];

	for (unsigned p = 0; c && p < d->nr_ports; p++) {
		struct gk_dpdk_port_cfg pc = {
			.port_id = d->ports[p].port_id,
			.queue = (uint16_t)w,
			.ifindex = d->ports[p].ifindex,
			.mac = d->ports[p].mac,
			.cls = &d->cls,
			.tap_fd = c->tap[p][w],
		};
		struct gk_port *port;

		if (!c->dev[p])
			continue;
		port = gk_dpdk_port_open(c->dev[p], &pc, why, sizeof(why));
		if (!port) {
			snprintf(err, errlen, "port %s: %s", d->ports[p].name, why);
			return -EINVAL;
		}
		port->csum_complete = d->ports[p].csum_complete;
		d->xports[w][p] = port;
		wc->ports[p] = port;
	}
	return 0;
}

static const char *const xdp_drop_names[GK_XDP_DROP_MAX] = {
#define GK_X(n, s) s,
	GK_XDP_DROP_LIST(GK_X)
#undef GK_X
};

/*
 * Per DPDK port, summed over its queues: what the backend's twin sent to
 * the kernel (TAP) or dropped, and what the kernel sent out. Read racily
 * from counters each worker writes alone (aligned 64-bit). The keys come
 * from GK_DPDK_EXC_CNT_LIST and GK_XDP_DROP_LIST (every reason, zeros
 * too), so a consumer always finds the same keys.
 */
json_t *gk_dpdk_ctl_stats(const struct gk_daemon *d)
{
	json_t *arr = json_array();

	for (unsigned p = 0; arr && d->dpdk && p < d->nr_ports; p++) {
		struct gk_dpdk_exc_stats sum = { 0 };
		json_t *o;

		if (!d->dpdk->dev[p])
			continue;
		for (unsigned w = 0; w < d->nr_workers; w++) {
			const struct gk_port *xp = d->xports[w][p];
			const struct gk_dpdk_exc_stats *e;

			if (!xp || !gk_dpdk_port_is(xp))
				continue;
			e = gk_dpdk_port_exc_stats(xp);
			gk_cnt_add_fields(&sum, e, &gk_cnt_dpdk_exc);
			gk_cnt_add_array(sum.drops, e->drops, GK_XDP_DROP_MAX);
		}
		o = json_pack("{s:s, s:s, s:s}", "name", d->ports[p].name,
			      "devargs", d->cfg.ports[p].devargs,
			      "tap", d->cfg.ports[p].ifname);
		o = gk_cnt_json_fields(o, &gk_cnt_dpdk_exc, &sum);
		o = gk_cnt_json_set(o, "drops",
				    gk_cnt_json_array(json_object(), xdp_drop_names,
						      sum.drops, GK_XDP_DROP_MAX));
		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

void gk_dpdk_ctl_stop(struct gk_daemon *d)
{
	struct gk_dpdk_ctl *c = d->dpdk;

	if (!c)
		return;
	for (unsigned p = 0; p < GK_MAX_PORTS; p++) {
		gk_dpdk_dev_close(c->dev[p]);
		for (unsigned w = 0; w < GK_MAX_WORKERS; w++)
			if (c->tap[p][w] >= 0)
				close(c->tap[p][w]);
	}
	for (unsigned w = 0; w < GK_MAX_WORKERS; w++)
		gk_dpdk_pool_destroy(c->pool[w]);
	gk_dpdk_eal_cleanup();
	free(c);
	d->dpdk = NULL;
}

#else	/* !GK_HAVE_DPDK: the parser refuses backend = dpdk */

int gk_dpdk_ctl_start(struct gk_daemon *d, char *err, size_t errlen)
{
	if (!d->cfg.nr_dpdk_ports)
		return 0;
	snprintf(err, errlen, "backend = dpdk: genkan was built without DPDK");
	return -EOPNOTSUPP;
}

int gk_dpdk_ctl_worker(struct gk_daemon *d, unsigned w,
		       struct gk_worker_cfg *wc, char *err, size_t errlen)
{
	return 0;
}

void gk_dpdk_ctl_stop(struct gk_daemon *d)
{
}

void gk_dpdk_ctl_tick(struct gk_daemon *d)
{
}

json_t *gk_dpdk_ctl_stats(const struct gk_daemon *d)
{
	return json_array();
}

#endif
