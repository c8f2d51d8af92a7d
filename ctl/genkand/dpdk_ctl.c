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
#include "hand_ctl.h"
#include "log.h"
#include "nlmirror.h"
#include "worker.h"
#include "xdp_loader.h"
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
	uint32_t mtu[GK_MAX_PORTS];		/* the TAP's, as genkand sets it */
	uint64_t tap_recreated[GK_MAX_PORTS];
	char tap_error[GK_MAX_PORTS][200];	/* last failed re-make, said once */
	bool mtu_over_said[GK_MAX_PORTS];	/* the TAP's MTU is over the cap */
	bool too_big_said[GK_MAX_PORTS];	/* the first tap_too_big drop */
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

static void fds_close(int *fds, unsigned n)
{
	for (unsigned q = 0; q < n; q++)
		if (fds[q] >= 0) {
			close(fds[q]);
			fds[q] = -1;
		}
}

/*
 * The port's kernel side: a multiqueue TAP (one queue per worker), not
 * persistent, with the device's MAC and the port's MTU, up. Frames the
 * twin passes are written to the worker's queue; the kernel's frames are
 * read there. On failure nothing is left: fds are -1 and, the TAP not
 * being persistent, closing them removed it.
 */
static int tap_open(const char *name, unsigned nq, const uint8_t mac[6],
		    uint32_t mtu, int *fds, char *err, size_t errlen)
{
	struct ifreq ifr;
	const char *what;
	unsigned q;
	int s, ret;

	for (q = 0; q < nq; q++)
		fds[q] = -1;
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
			goto err_close;
		}
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE;
		if (ioctl(fds[q], TUNSETIFF, &ifr)) {
			ret = -errno;
			snprintf(err, errlen, "TAP %s queue %u: %s", name, q,
				 strerror(-ret));
			goto err_close;
		}
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-ret));
		goto err_close;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	what = "MAC";
	ret = ioctl(s, SIOCSIFHWADDR, &ifr) ? -errno : 0;
	if (!ret) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_mtu = (int)mtu;
		what = "MTU";
		ret = ioctl(s, SIOCSIFMTU, &ifr) ? -errno : 0;
	}
	if (!ret) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		what = "up";
		ret = ioctl(s, SIOCGIFFLAGS, &ifr) ? -errno : 0;
		ifr.ifr_flags |= IFF_UP;
		if (!ret && ioctl(s, SIOCSIFFLAGS, &ifr))
			ret = -errno;
	}
	close(s);
	if (ret) {
		snprintf(err, errlen, "TAP %s: %s (mtu %u): %s", name, what, mtu,
			 strerror(-ret));
		goto err_close;
	}
	return 0;

err_close:
	fds_close(fds, nq);
	return ret;
}

/*
 * The TAP's MTU: the port's (its mtu key, else the device's), capped so
 * that a frame the kernel builds fits one mbuf (GK_DPDK_TAP_MTU_MAX); a
 * TAP read cannot span mbufs. Said when the cap applies.
 */
static uint32_t tap_mtu(struct gk_daemon *d, unsigned p, bool say)
{
	const struct gk_config_port *cp = &d->cfg.ports[p];
	int dev = gk_dpdk_dev_mtu(d->dpdk->dev[p]);
	uint32_t want = cp->mtu ? cp->mtu : dev > 0 ? (uint32_t)dev : 1500;

	if (want <= GK_DPDK_TAP_MTU_MAX)
		return want;
	if (!say)
		return GK_DPDK_TAP_MTU_MAX;
	gk_warn("port %s: TAP %s MTU %u, not the port's %u (%s): a frame from the "
		"kernel must fit one mbuf (%u bytes of data room less the "
		"Ethernet header)", cp->name, cp->ifname, GK_DPDK_TAP_MTU_MAX, want,
		cp->mtu ? "its mtu key" : "the device's", GK_DPDK_DATA_ROOM);
	return GK_DPDK_TAP_MTU_MAX;
}

/*
 * The TAP deleted under genkand (`ip link del`): made again, so the kernel
 * side comes back without a restart. Threads: worker w reads and writes
 * its queue's fd, c->tap[p][w], on its own thread, with no lock; genkand
 * (this, the daemon thread) makes the new TAP and puts each new queue's
 * file behind the worker's fd number with dup3(), which swaps the file
 * atomically. The number never goes free, so a worker never uses a closed
 * or reused fd: a read or write in flight holds the old file and ends on
 * it (-EBADFD from the detached TAP: a read gets nothing, a write counts
 * to_kernel_fail), the next one uses the new TAP, and the old file is
 * freed when the last of them returns. No worker is stopped or asked,
 * and none can stall this (a mailbox call could time out and leave the
 * old fds in use, so that they could never be closed). Its MAC and MTU are the port's as
 * at start (not what the operator set since), its carrier the device's
 * link; the kernel's addresses went with the old TAP (the operator's
 * config re-adds them). Then the port follows the new ifindex (FIB, local
 * addresses). Said once; a failure is said once until it changes, and
 * tried again on the next tick.
 */
static void tap_follow(struct gk_daemon *d, unsigned p)
{
	struct gk_dpdk_ctl *c = d->dpdk;
	const struct gk_config_port *cp = &d->cfg.ports[p];
	struct gk_dport *dp = &d->ports[p];
	int fds[GK_MAX_WORKERS];
	uint32_t old = dp->ifindex, ifindex;
	struct ifreq ifr;
	char why[200];
	uint8_t mac[6];
	int ret;

	memset(&ifr, 0, sizeof(ifr));
	if (c->tap[p][0] < 0 || !ioctl(c->tap[p][0], TUNGETIFF, &ifr) ||
	    errno != EBADFD)
		return;		/* still attached (a rename keeps it so) */
	gk_dpdk_dev_mac(c->dev[p], mac);
	ret = tap_open(cp->ifname, d->nr_workers, mac, c->mtu[p], fds, why,
		       sizeof(why));
	if (ret) {
		if (strcmp(why, c->tap_error[p]))
			gk_err("port %s: TAP %s was deleted and cannot be made "
			       "again (tried on every tick): %s", cp->name,
			       cp->ifname, why);
		snprintf(c->tap_error[p], sizeof(c->tap_error[p]), "%s", why);
		return;
	}
	for (unsigned q = 0; q < d->nr_workers; q++) {
		if (dup3(fds[q], c->tap[p][q], O_CLOEXEC) < 0)
			/* not seen: both numbers are open and ours */
			gk_err("port %s: TAP %s queue %u: dup3: %s", cp->name,
			       cp->ifname, q, strerror(errno));
		close(fds[q]);
	}
	ifindex = if_nametoindex(cp->ifname);
	c->tap_error[p][0] = '\0';
	c->tap_recreated[p]++;
	c->carrier[p] = -1;
	carrier_sync(d, p);
	if (ifindex) {
		dp->ifindex = ifindex;
		dp->mtu = cp->mtu ? cp->mtu : c->mtu[p];
		/* gk_ports is keyed by ifindex (the twin reads port_flags). */
		if (d->xdp) {
			gk_xdp_del_port(d->xdp, old);
			if (gk_hand_push(d, p, 0))
				gk_warn("port %s: gk_ports update for ifindex %u failed",
					cp->name, ifindex);
		}
		d->fib_dirty = true;
		d->local_dirty = true;
	}
	gk_event(GK_LOG_WARN, "port", "tap_recreated",
		 GK_KVS(GK_KV_S("port", cp->name), GK_KV_S("interface", cp->ifname),
			GK_KV_N("ifindex", ifindex), GK_KV_N("old_ifindex", old)),
		 "port %s: TAP %s was deleted; made again (ifindex %u, was %u; "
		 "%02x:%02x:%02x:%02x:%02x:%02x, mtu %u, carrier %s). The kernel's "
		 "addresses and routes on it went with the old one: re-add them",
		 cp->name, cp->ifname, ifindex, old, mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5], c->mtu[p], c->carrier[p] > 0 ? "on" :
		 c->carrier[p] == 0 ? "off" : "unknown");
}

/* Port p's tap_too_big, summed over its queues (read racily, as stats). */
static uint64_t too_big(const struct gk_daemon *d, unsigned p)
{
	uint64_t n = 0;

	for (unsigned w = 0; w < d->nr_workers; w++)
		if (d->xports[w][p] && gk_dpdk_port_is(d->xports[w][p]))
			n += gk_dpdk_port_exc_stats(d->xports[w][p])->tap_too_big;
	return n;
}

/*
 * The operator may raise the TAP's MTU past the cap (`ip link set mtu`):
 * nothing here sets it back, but it is said, and so is the first frame
 * dropped for it (tap_too_big counts them all).
 */
static void mtu_watch(struct gk_daemon *d, unsigned p)
{
	struct gk_dpdk_ctl *c = d->dpdk;
	const struct gk_config_port *cp = &d->cfg.ports[p];
	const struct gk_nl_link *l = d->nl ?
		gk_nlmirror_link(d->nl, d->ports[p].ifindex) : NULL;
	bool over = l && l->mtu > GK_DPDK_TAP_MTU_MAX;
	uint64_t n;

	if (over && !c->mtu_over_said[p])
		gk_warn("port %s: TAP %s MTU is %u, over %u: the kernel's frames "
			"longer than an mbuf (%u bytes) are dropped (tap_too_big)",
			cp->name, cp->ifname, l->mtu, GK_DPDK_TAP_MTU_MAX,
			GK_DPDK_DATA_ROOM);
	if (l)
		c->mtu_over_said[p] = over;
	if (c->too_big_said[p] || !(n = too_big(d, p)))
		return;
	c->too_big_said[p] = true;
	gk_warn("port %s: %llu frame(s) from TAP %s longer than an mbuf (%u bytes) "
		"dropped, not sent cut; later ones are counted in stats "
		"(dpdk tap_too_big)", cp->name, (unsigned long long)n, cp->ifname,
		GK_DPDK_DATA_ROOM);
}

void gk_dpdk_ctl_reload(struct gk_daemon *d)
{
	struct gk_dpdk_ctl *c = d->dpdk;

	for (unsigned p = 0; c && p < GK_MAX_PORTS; p++) {
		const struct gk_config_port *cp = &d->cfg.ports[p];
		struct ifreq ifr;
		uint32_t mtu;
		int s;

		if (!c->dev[p] || (mtu = tap_mtu(d, p, false)) == c->mtu[p])
			continue;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", cp->ifname);
		ifr.ifr_mtu = (int)mtu;
		s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s < 0 || ioctl(s, SIOCSIFMTU, &ifr)) {
			gk_err("port %s: TAP %s MTU %u -> %u: %s", cp->name, cp->ifname,
			       c->mtu[p], mtu, strerror(errno));
		} else {
			gk_info("port %s: TAP %s MTU %u -> %u (reload)", cp->name,
				cp->ifname, c->mtu[p], mtu);
			tap_mtu(d, p, true);	/* the cap, said if it applies */
			c->mtu[p] = mtu;
		}
		if (s >= 0)
			close(s);
	}
}

void gk_dpdk_ctl_follow(struct gk_daemon *d, unsigned p)
{
	if (d->dpdk && p < GK_MAX_PORTS && d->dpdk->dev[p])
		tap_follow(d, p);
}

void gk_dpdk_ctl_tick(struct gk_daemon *d)
{
	for (unsigned p = 0; d->dpdk && p < GK_MAX_PORTS; p++)
		if (d->dpdk->dev[p]) {
			tap_follow(d, p);
			carrier_sync(d, p);
			mtu_watch(d, p);
		}
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
		c->mtu[i] = tap_mtu(d, i, true);
		ret = tap_open(cp->ifname, d->nr_workers, mac, c->mtu[i], c->tap[i],
			       why, sizeof(why));
		if (ret) {
			snprintf(err, errlen, "port %s: %s", cp->name, why);
			return ret;
		}
		carrier_sync(d, i);
		gk_info("port %s: DPDK %s, ethdev %u, %u queue(s), link %s, kernel side "
			"TAP %s (%02x:%02x:%02x:%02x:%02x:%02x, mtu %u)", cp->name,
			cp->devargs, gk_dpdk_dev_port(c->dev[i]), d->nr_workers,
			c->carrier[i] > 0 ? "up" : c->carrier[i] == 0 ? "down" : "unknown",
			cp->ifname, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
			c->mtu[i]);
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
		/* genkand's, per port: its TAP made again after a delete */
		o = gk_cnt_json_set(o, "tap_recreated",
				    json_integer((json_int_t)d->dpdk->tap_recreated[p]));
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

void gk_dpdk_ctl_follow(struct gk_daemon *d, unsigned p)
{
}

void gk_dpdk_ctl_reload(struct gk_daemon *d)
{
}

json_t *gk_dpdk_ctl_stats(const struct gk_daemon *d)
{
	return json_array();
}

#endif
