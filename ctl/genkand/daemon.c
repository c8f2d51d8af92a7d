/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * genkand: bring-up, the event loop, FIB publication, worker supervision,
 * reload and teardown. Everything here runs on the daemon thread.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <urcu-qsbr.h>

#include "backend_afxdp.h"
#include "efd.h"
#include "fib.h"
#include "map_table.h"
#include "neigh_hold.h"
#include "nreq.h"
#include "tables.h"
#include "worker.h"

#include "ctl_server.h"
#include "daemon.h"
#include "dpdk_ctl.h"
#include "csum_ctl.h"
#include "hand_ctl.h"
#include "host_tun.h"
#include "l4_ctl.h"
#include "metrics.h"
#include "l4_health.h"
#include "cls_tables.h"
#include "nat_ctl.h"
#include "config_wg_mape.h"
#include "wgd.h"
#include "handlers.h"
#include "log.h"
#include "nlmirror.h"
#include "port_link.h"
#include "xdp_loader.h"

#define NREQ_RING_SIZE	1024
/*
 * The control tick: TICK_MS while anything is happening, so a queued
 * request waits at most that long; after QUIET_TICKS ticks that found
 * nothing to do, slow_tick_ms() (heartbeat_ms, at most 100). An idle
 * gateway then wakes ten times a second instead of a hundred. Any
 * event on the loop, or a tick that finds work, makes it fast again.
 */
#define TICK_MS		10
#define QUIET_TICKS	50
#define SLOW_TICK_MAX_MS 100

uint64_t gk_daemon_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint32_t gk_daemon_rx_queues(const char *ifname)
{
	char path[128];
	struct dirent *de;
	uint32_t n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "rx-", 3))
			n++;
	closedir(dir);
	return n;
}

static int resolve_ports(struct gk_daemon *d, char *err, size_t errlen)
{
	const struct gk_config *cfg = &d->cfg;

	for (unsigned i = 0; i < cfg->nr_ports; i++) {
		const struct gk_config_port *cp = &cfg->ports[i];
		struct gk_dport *p = &d->ports[i];
		const struct gk_nl_link *l;

		snprintf(p->name, sizeof(p->name), "%s", cp->name);
		snprintf(p->ifname, sizeof(p->ifname), "%s", cp->ifname);
		p->port_id = (uint16_t)i;
		p->ifindex = if_nametoindex(cp->ifname);
		if (!p->ifindex) {
			snprintf(err, errlen, "port %s: interface %s not found",
				 cp->name, cp->ifname);
			return -ENODEV;
		}
		l = gk_nlmirror_link(d->nl, p->ifindex);
		if (!l) {
			snprintf(err, errlen, "port %s: %s missing from netlink dump",
				 cp->name, cp->ifname);
			return -ENODEV;
		}
		memcpy(p->mac, l->mac, 6);
		p->mtu = cp->mtu ? cp->mtu : l->mtu;
		p->rx_queues = gk_daemon_rx_queues(cp->ifname);
		if (p->rx_queues > d->nr_workers)
			gk_warn("port %s: %s has %u rx queues but only %u worker(s): "
				"traffic the NIC steers to queues %u..%u goes to the "
				"kernel (xdp event no_xsk); set workers = %u or reduce "
				"the channels (ethtool -L)", cp->name, cp->ifname,
				p->rx_queues, d->nr_workers, d->nr_workers,
				p->rx_queues - 1, p->rx_queues);
		if (p->rx_queues && p->rx_queues < d->nr_workers) {
			snprintf(err, errlen,
				 "port %s: %s has %u rx queue(s) but workers = %u; "
				 "each worker serves one queue of every port "
				 "(create veth with numrxqueues/numtxqueues %u)",
				 cp->name, cp->ifname, p->rx_queues,
				 d->nr_workers, d->nr_workers);
			return -EINVAL;
		}
	}
	d->nr_ports = cfg->nr_ports;
	return 0;
}

static bool neigh_usable(uint16_t state)
{
	return state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE |
			NUD_PERMANENT | NUD_NOARP);
}

/*
 * The address a port's ICMP errors come from (RFC 1812 4.3.2.4: the
 * interface the error leaves by, which is the ingress). Prefer a global
 * IPv6 address over a link-local one.
 */
static void port_source_addrs(const struct gk_daemon *d, struct gk_fib_port *fp,
			      uint32_t ifindex)
{
	const struct gk_nl_addr *a;
	bool v6_global = false;
	size_t n;

	a = gk_nlmirror_addrs(d->nl, &n);
	for (size_t i = 0; i < n; i++) {
		if (a[i].ifindex != ifindex)
			continue;
		if (a[i].family == AF_INET && !fp->has_addr4) {
			memcpy(fp->addr4, a[i].addr, 4);
			fp->has_addr4 = 1;
		} else if (a[i].family == AF_INET6 && !v6_global) {
			bool ll = a[i].addr[0] == 0xfe &&
				  (a[i].addr[1] & 0xc0) == 0x80;

			if (ll && fp->has_addr6)
				continue;
			memcpy(fp->addr6, a[i].addr, 16);
			fp->has_addr6 = 1;
			v6_global = !ll;
		}
	}
}

static int route_cmp(const void *a, const void *b)
{
	const struct gk_nl_route *x = *(const struct gk_nl_route *const *)a;
	const struct gk_nl_route *y = *(const struct gk_nl_route *const *)b;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	c = memcmp(x->dst, y->dst, 16);
	if (c)
		return c;
	return x->priority < y->priority ? -1 : x->priority > y->priority;
}

int gk_daemon_publish_fib(struct gk_daemon *d, char *err, size_t errlen)
{
	struct gk_fib_port fports[GK_MAX_PORTS];
	struct gk_neigh_entry *neighs = NULL;
	const struct gk_nl_route **order = NULL;
	struct gk_route *routes = NULL;
	const struct gk_nl_route *nr;
	const struct gk_nl_neigh *nn;
	size_t n_r, n_n, used_r = 0, used_n = 0, nports;
	struct gk_fib_input in;
	struct gk_tables *t;
	struct gk_fib *fib;
	int ret;

	nr = gk_nlmirror_routes(d->nl, &n_r);
	nn = gk_nlmirror_neighs(d->nl, &n_n);
	routes = calloc(n_r + gk_host_tun_max_routes(d) + 1, sizeof(*routes));
	neighs = calloc(n_n ? n_n : 1, sizeof(*neighs));
	if (!routes || !neighs) {
		snprintf(err, errlen, "out of memory building FIB");
		ret = -ENOMEM;
		goto err_free;
	}

	/* Lowest metric first, so the FIB's "first duplicate wins" keeps it. */
	order = calloc(n_r ? n_r : 1, sizeof(*order));
	if (!order) {
		snprintf(err, errlen, "out of memory building FIB");
		ret = -ENOMEM;
		goto err_free;
	}
	for (size_t i = 0; i < n_r; i++)
		order[i] = &nr[i];
	qsort(order, n_r, sizeof(*order), route_cmp);

	for (size_t k = 0; k < n_r; k++) {
		const struct gk_nl_route *src = order[k];
		struct gk_route *r = &routes[used_r];

		/* RFC 5549 (IPv4 via an IPv6 gateway) is not forwarded yet. */
		if (src->has_gw == GK_NL_GW_INET6)
			continue;
		switch (src->type) {
		case RTN_UNICAST:
			break;
		case RTN_BLACKHOLE:
		case RTN_UNREACHABLE:
		case RTN_PROHIBIT:
			r->blackhole = 1;
			break;
		default:
			continue;
		}
		r->family = src->family;
		r->plen = src->plen;
		r->has_gw = src->has_gw != GK_NL_GW_NONE;
		memcpy(r->dst, src->dst, 16);
		memcpy(r->gw, src->gw, 16);
		r->ifindex = src->ifindex;
		used_r++;
	}
	for (size_t i = 0; i < n_n; i++) {
		if (!neigh_usable(nn[i].state))
			continue;
		neighs[used_n].family = nn[i].family;
		memcpy(neighs[used_n].addr, nn[i].addr, 16);
		neighs[used_n].ifindex = nn[i].ifindex;
		memcpy(neighs[used_n].mac, nn[i].mac, 6);
		used_n++;
	}
	memset(fports, 0, sizeof(fports));
	for (unsigned i = 0; i < d->nr_ports; i++) {
		const struct gk_dport *p = &d->ports[i];
		const struct gk_nl_link *l = gk_nlmirror_link(d->nl, p->ifindex);

		port_source_addrs(d, &fports[i], p->ifindex);
		fports[i].ifindex = p->ifindex;
		fports[i].port_id = p->port_id;
		/* Follow live MAC/MTU changes unless the config pins the MTU. */
		memcpy(fports[i].mac, l ? l->mac : p->mac, 6);
		fports[i].mtu = d->cfg.ports[i].mtu ? d->cfg.ports[i].mtu :
			(l ? l->mtu : p->mtu);
	}

	nports = d->nr_ports;
	/* The host path: its TUN port and the host's tunnel addresses. */
	gk_host_tun_fib(d, fports, &nports, routes, &used_r);
	in = (struct gk_fib_input){
		.routes = routes, .nr_routes = used_r,
		.neighs = neighs, .nr_neighs = used_n,
		.ports = fports, .nr_ports = nports,
	};
	fib = gk_fib_build(&in, err, errlen);
	if (!fib) {
		d->fib_build_errors++;
		ret = -EINVAL;
		goto err_free;
	}
	t = gk_tables_new(fib, d->fib_generation + 1);
	if (!t) {
		gk_fib_free(fib);
		snprintf(err, errlen, "out of memory publishing FIB");
		ret = -ENOMEM;
		goto err_free;
	}
	gk_tables_publish(&d->tables, t);
	d->fib_generation++;
	d->fib_built_nl_gen = gk_nlmirror_generation(d->nl);
	clock_gettime(CLOCK_MONOTONIC, &d->fib_updated);
	d->fib_dirty = false;
	gk_dbg("fib generation %llu: %zu routes, %zu neighbors",
	       (unsigned long long)d->fib_generation, used_r, used_n);
	ret = 0;
err_free:
	free(order);
	free(routes);
	free(neighs);
	return ret;
}

static int sync_local(struct gk_daemon *d)
{
	const struct gk_nl_addr *a;
	size_t n;
	int ret;

	a = gk_nlmirror_addrs(d->nl, &n);
	ret = gk_xdp_sync_local(d->xdp, a, n);
	if (ret)
		gk_warn("syncing host addresses into XDP: %s", strerror(-ret));
	else
		d->local_dirty = false;
	return ret;
}

/* Workers post unresolved next hops; the kernel does the ARP/ND. */
static unsigned drain_neigh_requests(struct gk_daemon *d)
{
	struct gk_nreq reqs[64];
	unsigned total = 0;

	for (unsigned w = 0; w < d->nr_workers; w++) {
		unsigned n = gk_nreq_pop(d->nreq[w], reqs, 64);

		total += n;
		for (unsigned i = 0; i < n; i++) {
			int ret = gk_nlmirror_resolve(d->nl, reqs[i].family,
						      reqs[i].addr,
						      reqs[i].ifindex);
			d->neigh_resolves++;
			if (ret)
				gk_dbg("neighbor resolve request: %s",
				       strerror(-ret));
		}
	}
	return total;
}

static void supervise(struct gk_daemon *d)
{
	uint64_t now = gk_daemon_now_ns();
	uint64_t stall = (uint64_t)d->cfg.stall_ms * 1000000ull;

	for (unsigned i = 0; i < d->nr_workers; i++) {
		struct gk_worker *w = &d->workers[i];
		uint64_t hb = atomic_load_explicit(&w->heartbeat_ns,
						   memory_order_relaxed);
		bool stalled = hb && now > hb && now - hb > stall;

		if (stalled && !d->stalled[i])
			gk_event(GK_LOG_ERROR, "worker", "worker_stalled",
				 GK_KVS(GK_KV_N("worker", i),
					GK_KV_N("since_ms", (now - hb) / 1000000)),
				 "worker %u stalled: no heartbeat for %llu ms", i,
				 (unsigned long long)((now - hb) / 1000000));
		else if (!stalled && d->stalled[i])
			gk_event(GK_LOG_INFO, "worker", "worker_recovered",
				 GK_KVS(GK_KV_N("worker", i)),
				 "worker %u recovered", i);
		d->stalled[i] = stalled;
	}
}

static unsigned slow_tick_ms(const struct gk_daemon *d)
{
	unsigned ms = d->cfg.heartbeat_ms;

	return ms < TICK_MS ? TICK_MS :
	       ms > SLOW_TICK_MAX_MS ? SLOW_TICK_MAX_MS : ms;
}

static void arm_tick(struct gk_daemon *d, unsigned ms)
{
	struct itimerspec its = {
		.it_interval = { .tv_sec = ms / 1000,
				 .tv_nsec = (long)(ms % 1000) * 1000000 },
	};

	its.it_value = its.it_interval;
	if (timerfd_settime(d->timerfd, 0, &its, NULL))
		gk_warn("timerfd: %s", strerror(errno));
	d->tick_ms = ms;
}

/* Something happened: tick fast for the next QUIET_TICKS ticks. */
static void tick_busy(struct gk_daemon *d)
{
	d->quiet_ticks = 0;
	if (d->tick_ms == TICK_MS)
		return;
	/* a worker's request waits at most one fast tick again */
	atomic_store_explicit(&d->nreq_wake.armed, false,
			      memory_order_relaxed);
	arm_tick(d, TICK_MS);
}

/* Nothing for a while: tick slowly; a worker's request wakes us. */
static void tick_slow(struct gk_daemon *d)
{
	arm_tick(d, slow_tick_ms(d));
	gk_nreq_wake_arm(&d->nreq_wake);
	/* queued before the arm, by a worker that saw it disarmed */
	if (drain_neigh_requests(d))
		tick_busy(d);
}

/* A worker queued a neighbour request while the tick was slow. */
static void on_nreq_wake(struct gk_daemon *d)
{
	int r = gk_efd_drain(d->nreq_wake.efd);

	if (r && r != -EAGAIN)
		gk_warn("neighbour requests' eventfd: %s", strerror(-r));
	d->nreq_wakes++;
	drain_neigh_requests(d);
}

static void on_tick(struct gk_daemon *d)
{
	uint64_t expirations, now;
	bool work = d->local_dirty || d->fib_dirty;
	char err[256];
	int ret;

	if (read(d->timerfd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		gk_warn("timerfd: %s", strerror(errno));
	d->ticks++;

	if (drain_neigh_requests(d))
		work = true;
	if (d->local_dirty)
		sync_local(d);
	ret = d->xdp ? gk_hand_publish(d) : 0;
	if (ret < 0)
		gk_err("classifier tables for the software twin: out of memory");
	if (ret)
		work = true;
	if (d->fib_dirty && gk_daemon_publish_fib(d, err, sizeof(err)))
		gk_err("FIB rebuild failed, keeping generation %llu: %s",
		       (unsigned long long)d->fib_generation, err);
	if (d->wgd && gk_wgd_tick(d->wgd))
		work = true;
	now = gk_daemon_now_ns();
	/* Half a tick early rather than a whole tick late. */
	if (now - d->last_supervise_ns + d->tick_ms * 500000ull >=
	    (uint64_t)d->cfg.heartbeat_ms * 1000000ull) {
		d->last_supervise_ns = now;
		supervise(d);
		gk_hand_watch(d);
		gk_dpdk_ctl_tick(d);
	}
	if (gk_nat_tick(d))
		work = true;
	gk_port_link_tick(d);
	if (gk_metrics_tick(d))
		work = true;

	if (work)
		tick_busy(d);
	else if (d->tick_ms == TICK_MS && ++d->quiet_ticks >= QUIET_TICKS)
		tick_slow(d);
}

static void on_netlink(struct gk_daemon *d)
{
	int ret = gk_nlmirror_process(d->nl);

	if (ret < 0) {
		gk_warn("netlink: %s", strerror(-ret));
		return;
	}
	if (ret > 0) {
		/* Batch: the tick rebuilds at most once per TICK_MS. */
		d->fib_dirty = true;
		d->local_dirty = true;
		/* A port's interface deleted, or back under its name. */
		gk_port_link_follow(d);
	}
}

static void on_signal(struct gk_daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			gk_info("signal %u: shutting down", si.ssi_signo);
			d->stop = true;
			break;
		case SIGHUP:
			d->reload_pending = true;
			break;
		default:
			break;
		}
	}
}

static void do_reload(struct gk_daemon *d)
{
	char changes[16][128];
	unsigned nr_changes = 0;
	char err[512];

	if (gk_daemon_reload(d, err, sizeof(err), changes, &nr_changes, 16))
		gk_err("reload failed, still running the old config: %s", err);
	d->reload_pending = false;
}

static int epoll_add(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* EV_WG4 + GK_WGD_FD_*: the WireGuard sockets and punt eventfd. */
enum { EV_SIGNAL, EV_NETLINK, EV_CTL, EV_TIMER, EV_WG4, EV_WG6, EV_WGPUNT,
       EV_HEALTH, EV_NREQ };

static int setup_events(struct gk_daemon *d, char *err, size_t errlen)
{
	struct itimerspec its = {
		.it_interval = { .tv_nsec = TICK_MS * 1000000 },
		.it_value = { .tv_nsec = TICK_MS * 1000000 },
	};
	sigset_t mask;

	d->tick_ms = TICK_MS;
	d->quiet_ticks = 0;

	/* Blocked since gk_daemon_start(), in every thread. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sigfd < 0 || d->timerfd < 0 || d->epfd < 0 ||
	    timerfd_settime(d->timerfd, 0, &its, NULL)) {
		snprintf(err, errlen, "event setup: %s", strerror(errno));
		return -errno;
	}
	if (epoll_add(d->epfd, d->sigfd, EV_SIGNAL) ||
	    epoll_add(d->epfd, gk_nlmirror_fd(d->nl), EV_NETLINK) ||
	    epoll_add(d->epfd, gk_ctl_server_fd(d->ctl), EV_CTL) ||
	    epoll_add(d->epfd, d->timerfd, EV_TIMER) ||
	    epoll_add(d->epfd, d->nreq_wake.efd, EV_NREQ)) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -errno;
	}
	for (int i = 0; i < GK_WGD_NR_FDS; i++)
		if (gk_wgd_fd(d->wgd, i) >= 0 &&
		    epoll_add(d->epfd, gk_wgd_fd(d->wgd, i), EV_WG4 + i)) {
			snprintf(err, errlen, "epoll: %s", strerror(errno));
			return -errno;
		}
	return 0;
}

static int mape_port(const struct gk_daemon *d, const char *name,
		     const char *key, uint16_t *id, char *err, size_t errlen)
{
	for (unsigned i = 0; i < d->nr_ports; i++) {
		if (!strcmp(d->ports[i].name, name)) {
			*id = d->ports[i].port_id;
			return 0;
		}
	}
	/* config.c checked the name; only a changed port list gets here */
	snprintf(err, errlen, "%s:%u: [mape] %s = %s is not a [port]",
		 d->cfg.path, d->cfg.mape.line, key, name);
	return -EINVAL;
}

static void log_ce(const struct gk_map_table *t)
{
	const struct gk_map_ce_params *cp = &t->ce;
	char v4[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN];
	unsigned nr;

	inet_ntop(AF_INET, cp->ipv4, v4, sizeof(v4));
	inet_ntop(AF_INET6, cp->ce_ipv6, v6, sizeof(v6));
	nr = gk_map_port_ranges(cp->psid_offset, cp->psid_len, cp->psid,
				NULL, 0);
	gk_info("mape ce: ipv4 %s/%u, psid 0x%x (psid_len %u, offset %u), "
		"%u ports in %u range(s), ce ipv6 %s", v4, cp->ipv4_plen,
		cp->psid, cp->psid_len, cp->psid_offset, cp->nr_ports, nr, v6);
}

/* gk_mape_v6 <- our CE or BR address, gk_mape_v4 <- the rules XDP steers. */
static int sync_mape_maps(struct gk_daemon *d, const struct gk_map_table *t,
			  char *err, size_t errlen)
{
	const bool ce = t->role == GK_MAPE_ROLE_CE;
	const uint8_t cls = ce ? GK_CLASS_MAPE_CE : GK_CLASS_MAPE_BR;
	struct gk_mape_v6_entry v6 = { .cls = cls };
	struct gk_mape_v4_entry *v4;
	size_t n4 = 0;
	int ret;

	memcpy(v6.addr, ce ? t->ce.ce_ipv6 : t->br_addr, 16);
	v4 = calloc(d->cfg.nr_map_rules ? d->cfg.nr_map_rules : 1,
		    sizeof(*v4));
	if (!v4) {
		snprintf(err, errlen, "mape: out of memory");
		return -ENOMEM;
	}
	/* BR: every domain's IPv4 side; CE: FMR destinations (mesh). */
	for (unsigned i = 0; i < d->cfg.nr_map_rules; i++) {
		const struct gk_map_rule *r = &d->cfg.map_rules[i];

		if (ce && !(r->flags & GK_MAP_F_FMR))
			continue;
		memcpy(v4[n4].prefix, r->ipv4_prefix, 4);
		v4[n4].plen = r->ipv4_plen;
		v4[n4++].cls = cls;
	}
	ret = gk_xdp_mape_sync(d->xdp, &v6, 1, v4, n4);
	free(v4);
	if (ret)
		snprintf(err, errlen, "mape: XDP maps: %s", strerror(-ret));
	return ret;
}

/*
 * [mape] enabled: build the MAP-E table from the checked rules, publish
 * it for the workers (before they start), and steer its traffic in XDP.
 */
static int start_mape(struct gk_daemon *d, char *err, size_t errlen)
{
	const struct gk_config_mape *m = &d->cfg.mape;
	struct gk_map_table_cfg mc = { 0 };
	struct gk_map_table *t;
	uint16_t v4_id, v6_id;
	uint32_t mtu;
	char why[256];
	int ret;

	if (!m->present || !m->enabled)
		return 0;
	ret = mape_port(d, m->ipv4_port, "ipv4_port", &v4_id, err, errlen);
	if (!ret)
		ret = mape_port(d, m->ipv6_port, "ipv6_port", &v6_id, err,
				errlen);
	if (ret)
		return ret;
	/* RFC 7597 §8.3: link MTU minus the 40-byte IPv6 header by default. */
	mtu = m->tunnel_mtu;
	if (!mtu) {
		mtu = d->ports[v6_id].mtu > 40 ? d->ports[v6_id].mtu - 40 : 0;
		if (mtu > 0xffff)
			mtu = 0xffff;
	}
	if (mtu < 68) {
		snprintf(err, errlen, "%s:%u: [mape] tunnel MTU %u below 68 "
			 "(ipv6_port %s has MTU %u)", d->cfg.path, m->line, mtu,
			 m->ipv6_port, d->ports[v6_id].mtu);
		return -EINVAL;
	}

	mc.role = m->role == GK_MAPE_CE ? GK_MAPE_ROLE_CE : GK_MAPE_ROLE_BR;
	mc.rules = d->cfg.map_rules;
	mc.nr_rules = d->cfg.nr_map_rules;
	mc.bmr = m->role == GK_MAPE_CE ? m->bmr : -1;
	memcpy(mc.br_addr, m->br_address, 16);
	memcpy(mc.eup, m->eup, 16);
	mc.eup_len = m->eup_len;
	mc.v4_port_id = v4_id;
	mc.v6_port_id = v6_id;
	mc.tunnel_mtu = (uint16_t)mtu;
	mc.icmp_unreachable = m->icmp_unreachable;
	mc.fragment = m->fragment;	/* 0: fragment the outer IPv6, 1: ICMP */
	t = gk_map_table_build(&mc, why, sizeof(why));
	if (!t) {
		snprintf(err, errlen, "%s:%u: [mape]: %s", d->cfg.path, m->line,
			 why);
		return -EINVAL;
	}
	rcu_assign_pointer(d->map, t);

	if (mc.role == GK_MAPE_ROLE_CE) {
		d->ports[v4_id].xdp_flags |= GK_PORT_F_MAPE_CE_V4;
		ret = gk_hand_push(d, v4_id, 0);
		if (ret) {
			snprintf(err, errlen, "port %s: gk_ports update: %s",
				 d->ports[v4_id].name, strerror(-ret));
			return ret;
		}
	}
	ret = sync_mape_maps(d, t, err, errlen);
	if (ret)
		return ret;
	gk_info("mape %s: %u rule(s), tunnel mtu %u, ipv4 port %s, ipv6 port %s",
		mc.role == GK_MAPE_ROLE_CE ? "ce" : "br", mc.nr_rules, mtu,
		m->ipv4_port, m->ipv6_port);
	if (mc.role == GK_MAPE_ROLE_CE)
		log_ce(t);
	return 0;
}

/*
 * Behind a MAP-E CE the sealed packet gets 60 bytes of outer IPv4/UDP/
 * WireGuard and may not be fragmented: with a tunnel MTU from the link
 * (no [mape] tunnel_mtu, so the config check could not know it) the
 * WireGuard mtu is checked here.
 */
static int check_wg_mtu(struct gk_daemon *d, char *err, size_t errlen)
{
	char why[256];
	unsigned line;

	if (!gk_config_wg_ce_port(&d->cfg) || !d->map)
		return 0;
	if (!gk_config_wg_mape_mtu(&d->cfg, d->map->tunnel_mtu, why,
				   sizeof(why), &line))
		return 0;
	snprintf(err, errlen, "%s:%u: %s", d->cfg.path, line, why);
	return -EINVAL;
}

static int start_workers(struct gk_daemon *d, char *err, size_t errlen)
{
	const struct gk_config *cfg = &d->cfg;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int ret;

	d->workers = aligned_alloc(GK_CACHELINE,
				   sizeof(*d->workers) * d->nr_workers);
	if (!d->workers)
		return -ENOMEM;
	memset(d->workers, 0, sizeof(*d->workers) * d->nr_workers);
	d->nreq_wake.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->nreq_wake.efd < 0) {
		snprintf(err, errlen, "neighbour requests' eventfd: %s",
			 strerror(errno));
		return -errno;
	}

	/*
	 * Frames parked in fill rings cannot carry traffic: keep at most half
	 * of a worker's UMEM posted across all its ports, so RX bursts and TX
	 * in flight always find free frames.
	 */
	uint32_t rx_size = cfg->ring_size;

	while (rx_size > 64 && rx_size * d->nr_ports > cfg->frames / 2)
		rx_size /= 2;
	if (rx_size != cfg->ring_size)
		gk_info("rx/fill rings of %u per port: %u frames shared by %u ports "
			"(raise frames for deeper rings)", rx_size, cfg->frames,
			d->nr_ports);

	for (unsigned w = 0; w < d->nr_workers; w++) {
		struct gk_worker_cfg wc = { .id = w };

		/* DPDK ports: the worker's mbuf pool instead of a UMEM. */
		ret = gk_dpdk_ctl_worker(d, w, &wc, err, errlen);
		if (ret)
			return ret;
		if (!cfg->nr_dpdk_ports) {
			d->umem[w] = gk_xsk_umem_create(cfg->frames, cfg->frame_size,
							err, errlen);
			if (!d->umem[w])
				return -ENOMEM;
		}
		for (unsigned p = 0; !cfg->nr_dpdk_ports && p < d->nr_ports; p++) {
			struct gk_xsk_port_cfg pc = {
				.ifname = d->ports[p].ifname,
				.ifindex = d->ports[p].ifindex,
				.queue = (uint16_t)w,
				.port_id = d->ports[p].port_id,
				.xsks_map_fd = gk_xdp_xsks_fd(d->xdp),
				.bind_mode = cfg->bind_mode == GK_BIND_COPY ? 1 :
					cfg->bind_mode == GK_BIND_ZEROCOPY ? 2 : 0,
				.skb_mode = cfg->xdp_mode == GK_XDP_MODE_SKB,
				.rx_size = rx_size,
				.tx_size = cfg->ring_size,
				.hand = d->ports[p].hand,
			};

			memcpy(pc.mac, d->ports[p].mac, 6);
			d->xports[w][p] = gk_xsk_port_open(d->umem[w], &pc,
							   err, errlen);
			if (!d->xports[w][p])
				return -EINVAL;
			d->xports[w][p]->csum_complete = d->ports[p].csum_complete;
			wc.ports[p] = d->xports[w][p];
		}
		d->nreq[w] = gk_nreq_ring_create(NREQ_RING_SIZE);
		if (!d->nreq[w])
			return -ENOMEM;
		wc.nr_ports = d->nr_ports;
		wc.icmp_rate = cfg->icmp_rate;
		wc.idle_sleep_us = cfg->idle_sleep_us;
		wc.idle_max_ms = cfg->heartbeat_ms;
		wc.tables = &d->tables;
		wc.cls = &d->cls;
		wc.mbox = &d->mbox[w];
		wc.nreq = d->nreq[w];
		wc.nreq_wake = &d->nreq_wake;
		/* first packets to a new neighbour wait for it (#13 bug 8) */
		wc.neigh_hold = GK_NHOLD_PER_NEIGH;
		if (d->map) {
			wc.map = &d->map;
			wc.map_nr_rules = gk_map_table_nr_rules(d->map);
		}
		gk_wgd_worker_cfg(d->wgd, w, &wc);
		wc.cpu = cfg->nr_cpus ? cfg->cpus[w % cfg->nr_cpus] :
			(int)(w % (unsigned)(ncpu > 0 ? ncpu : 1));
		gk_nat_worker_cfg(d, w, &wc);
		gk_l4_worker_cfg(d, w, &wc);
		ret = gk_host_tun_worker(d, w, &wc, err, errlen);
		if (ret)
			return ret;
		ret = gk_worker_init(&d->workers[w], &wc);
		if (!ret)
			ret = gk_worker_start(&d->workers[w]);
		if (ret) {
			snprintf(err, errlen, "worker %u: %s", w, strerror(-ret));
			return ret;
		}
		gk_info("worker %u on cpu %d serves queue %u of %u port(s)", w,
			wc.cpu, w, d->nr_ports);
	}
	return 0;
}

/* Evictions and timeouts of ctl clients, at most once per period. */
static void ctl_log(void *arg, const char *msg)
{
	gk_warn("%s", msg);
}

int gk_daemon_start(struct gk_daemon *d, const struct gk_config *cfg,
		    char *err, size_t errlen)
{
	struct gk_xdp_opts xo = { 0 };
	int ret;

	sigset_t mask;

	/*
	 * Block the signals we take through signalfd before any thread
	 * (workers, liburcu's call_rcu thread) exists, so they inherit the
	 * mask and a SIGTERM can never kill the process from under a worker.
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL)) {
		snprintf(err, errlen, "pthread_sigmask failed");
		return -EINVAL;
	}

	d->epfd = d->sigfd = d->timerfd = d->nreq_wake.efd = -1;
	/* d->cfg owns its own map_rules: the caller frees its copy. */
	ret = gk_config_copy(&d->cfg, cfg);
	if (ret) {
		snprintf(err, errlen, "config copy: %s", strerror(-ret));
		return ret;
	}
	d->nr_workers = cfg->workers;
	clock_gettime(CLOCK_MONOTONIC, &d->started);
	gk_log_set_level(cfg->log_level);
	gk_log_set_format(cfg->log_format);
	snprintf(d->pin_dir, sizeof(d->pin_dir), "%s/genkan/%s", cfg->bpffs,
		 cfg->instance);

	/* The ctl socket first: it refuses to start over a live instance. */
	d->ctl = gk_ctl_server_open(cfg->socket_path, gk_handlers,
				    gk_nr_handlers, d, err, errlen);
	if (!d->ctl)
		return -EADDRINUSE;
	gk_ctl_server_set_log(d->ctl, ctl_log, NULL, 0);

	/* DPDK ports' TAPs first: the mirror's dump then has them. */
	ret = gk_dpdk_ctl_start(d, err, errlen);
	if (ret)
		return ret;
	d->nl = gk_nlmirror_open(cfg->route_table, err, errlen);
	if (!d->nl)
		return -EIO;
	ret = resolve_ports(d, err, errlen);
	if (ret)
		return ret;
	gk_csum_pick(d);

	xo.pin_dir = d->pin_dir;
	xo.skb_mode = cfg->xdp_mode == GK_XDP_MODE_SKB;
	xo.nr_queues = d->nr_workers;
	xo.flags = cfg->ttl_expired == GK_TTL_EXPIRED_KERNEL ?
		GK_CFG_F_TTL_TO_KERNEL : 0;
	xo.flags |= gk_hand_probe(d);
	xo.flags |= gk_l4_xdp_flags(d);
	ret = gk_hand_pick(d, err, errlen);
	if (ret)
		return ret;
	d->xdp = gk_xdp_load(&xo, err, errlen);
	if (!d->xdp)
		return -EIO;
	for (unsigned i = 0; i < d->nr_ports; i++) {
		ret = gk_hand_push(d, i, 0);
		if (ret) {
			snprintf(err, errlen, "port %s: gk_ports update: %s",
				 d->ports[i].name, strerror(-ret));
			return ret;
		}
	}
	ret = sync_local(d);
	if (ret) {
		snprintf(err, errlen, "host addresses: %s", strerror(-ret));
		return ret;
	}

	/* Tables before workers, workers (sockets) before XDP redirects. */
	ret = gk_daemon_publish_fib(d, err, errlen);
	if (ret)
		return ret;
	ret = start_mape(d, err, errlen);
	if (ret)
		return ret;
	ret = gk_nat_start(d, err, errlen);
	if (ret)
		return ret;
	ret = gk_l4_start(d, err, errlen);
	if (ret)
		return ret;
	ret = check_wg_mtu(d, err, errlen);
	if (ret)
		return ret;
	/* Before the workers: each serves one of its queues. */
	ret = gk_host_tun_start(d, err, errlen);
	if (ret)
		return ret;
	ret = gk_wgd_start(d, &d->wgd, err, errlen);
	if (ret)
		return ret;
	/* The twin's copy of the classifier maps, for parse-mode ports. */
	ret = gk_hand_publish(d);
	if (ret < 0) {
		snprintf(err, errlen, "classifier tables: %s", strerror(-ret));
		return ret;
	}
	ret = start_workers(d, err, errlen);
	if (ret)
		return ret;
	for (unsigned i = 0; i < d->nr_ports; i++) {
		if (gk_dpdk_ctl_port(d, i))
			continue;	/* the backend classifies: no XDP */
		ret = gk_xdp_attach(d->xdp, d->ports[i].ifindex, err, errlen);
		if (ret)
			return ret;
		gk_info("port %s: XDP attached to %s (ifindex %u, %s mode)",
			d->ports[i].name, d->ports[i].ifname,
			d->ports[i].ifindex,
			cfg->xdp_mode == GK_XDP_MODE_SKB ? "skb" : "native");
	}
	ret = setup_events(d, err, errlen);
	if (ret)
		return ret;
	/* Last: the probes take the host's routes, which are all in place. */
	ret = gk_l4_health_start(d, err, errlen);
	if (ret)
		return ret;
	if (gk_l4_health_fd(d) >= 0 &&
	    epoll_add(d->epfd, gk_l4_health_fd(d), EV_HEALTH)) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -errno;
	}
	ret = gk_metrics_start(d, err, errlen);
	if (ret)
		return ret;
	gk_info("instance %s ready: %u worker(s), %u port(s), ctl %s",
		cfg->instance, d->nr_workers, d->nr_ports, cfg->socket_path);
	return 0;
}

int gk_daemon_run(struct gk_daemon *d)
{
	struct epoll_event evs[8];

	while (!d->stop) {
		int n;

		/* QSBR: an offline thread never holds up a grace period. */
		rcu_thread_offline();
		n = epoll_wait(d->epfd, evs, 8, 1000);
		rcu_thread_online();
		if (n < 0) {
			if (errno == EINTR)
				continue;
			gk_err("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			/*
			 * The probes keep their own time: not a reason to
			 * hurry. A ctl request hurries after its answer, so
			 * `status` shows the tick it found.
			 */
			if (evs[i].data.u32 != EV_TIMER &&
			    evs[i].data.u32 != EV_HEALTH &&
			    evs[i].data.u32 != EV_CTL)
				tick_busy(d);
			switch (evs[i].data.u32) {
			case EV_SIGNAL:
				on_signal(d);
				break;
			case EV_NETLINK:
				on_netlink(d);
				break;
			case EV_CTL:
				gk_ctl_server_dispatch(d->ctl);
				tick_busy(d);
				break;
			case EV_TIMER:
				on_tick(d);
				break;
			case EV_WG4:
			case EV_WG6:
			case EV_WGPUNT:
				gk_wgd_on_readable(d->wgd,
						   evs[i].data.u32 - EV_WG4);
				break;
			case EV_HEALTH:
				gk_l4_health_run(d);
				break;
			case EV_NREQ:
				on_nreq_wake(d);
				break;
			}
		}
		if (d->reload_pending)
			do_reload(d);
	}
	return 0;
}

/* Teardown in reverse: traffic back to the kernel first, then workers. */
void gk_daemon_stop(struct gk_daemon *d)
{
	/* First: its thread waits on renders this thread will not make. */
	gk_metrics_stop(d);
	if (d->xdp)
		for (unsigned i = 0; i < d->nr_ports; i++)
			if (!gk_dpdk_ctl_port(d, i))
				gk_xdp_detach(d->xdp, d->ports[i].ifindex);
	if (d->workers)
		for (unsigned w = 0; w < d->nr_workers; w++) {
			gk_worker_stop(&d->workers[w]);
			gk_worker_fini(&d->workers[w]);
		}
	for (unsigned w = 0; w < GK_MAX_WORKERS; w++) {
		/* The first socket owns the UMEM's rings: close it last. */
		for (unsigned p = GK_MAX_PORTS; p-- > 0;)
			if (d->xports[w][p])
				d->xports[w][p]->ops->close(d->xports[w][p]);
		if (d->umem[w])
			gk_xsk_umem_destroy(d->umem[w]);
		if (d->nreq[w])
			gk_nreq_ring_destroy(d->nreq[w]);
	}
	free(d->workers);
	/* Devices, pools and TAPs once every queue port is closed. */
	gk_dpdk_ctl_stop(d);
	gk_host_tun_stop(d);
	gk_nat_stop(d);
	/* After the joins: its snapshot has no reader left. */
	gk_wgd_stop(d->wgd);
	d->wgd = NULL;
	if (d->xdp)
		gk_xdp_close(d->xdp);
	if (d->ctl)
		gk_ctl_server_close(d->ctl);
	if (d->nl)
		gk_nlmirror_close(d->nl);
	/* Workers are gone; let pending call_rcu frees run, then the last. */
	rcu_barrier_qsbr();
	if (d->tables)
		gk_tables_free(d->tables);
	gk_cls_tables_free(d->cls);
	d->cls = NULL;
	gk_l4_health_stop(d);
	gk_l4_stop(d);
	/* Published once, never replaced: no reader is left after the join. */
	if (d->map)
		gk_map_table_free(d->map);
	d->map = NULL;
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->timerfd >= 0)
		close(d->timerfd);
	/* After the joins: no worker writes it any more. */
	if (d->nreq_wake.efd >= 0)
		close(d->nreq_wake.efd);
	gk_config_free(&d->cfg);
	gk_info("stopped");
}

static bool mape_equal(const struct gk_config_mape *a,
		       const struct gk_config_mape *b)
{
	/* line is left out: comments above [mape] may move it */
	return a->present == b->present && a->enabled == b->enabled &&
	       a->role == b->role &&
	       !memcmp(a->br_address, b->br_address, 16) &&
	       !strcmp(a->ipv4_port, b->ipv4_port) &&
	       !strcmp(a->ipv6_port, b->ipv6_port) &&
	       a->eup_len == b->eup_len && !memcmp(a->eup, b->eup, 16) &&
	       a->tunnel_mtu == b->tunnel_mtu && a->fragment == b->fragment &&
	       a->icmp_unreachable == b->icmp_unreachable && a->bmr == b->bmr;
}

static bool rules_equal(const struct gk_map_rule *a,
			const struct gk_map_rule *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct gk_map_rule *x = &a[i], *y = &b[i];

		if (memcmp(x->ipv6_prefix, y->ipv6_prefix, 16) ||
		    x->ipv6_plen != y->ipv6_plen ||
		    memcmp(x->ipv4_prefix, y->ipv4_prefix, 4) ||
		    x->ipv4_plen != y->ipv4_plen || x->ea_bits != y->ea_bits ||
		    x->psid_offset != y->psid_offset ||
		    x->psid_len != y->psid_len || x->flags != y->flags ||
		    x->mss_clamp != y->mss_clamp || strcmp(x->name, y->name))
			return false;
	}
	return true;
}

#define CHANGE(...)							\
	do {								\
		if (*nr_changes < max)					\
			snprintf(changes[(*nr_changes)++], 128, __VA_ARGS__); \
	} while (0)

/*
 * Parse into a fresh struct, validate, then apply. Settings that shape the
 * worker/socket layout need a restart; a reload that touches them is
 * refused as a whole so the running config never half-applies.
 */
int gk_daemon_reload(struct gk_daemon *d, char *err, size_t errlen,
		     char changes[][128], unsigned *nr_changes, unsigned max)
{
	const struct gk_config *o = &d->cfg;
	struct gk_config *n;
	char fixed[256] = "";
	int ret;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	*nr_changes = 0;
	ret = gk_config_load(o->path, n, err, errlen);
	if (ret)
		goto out;

#define NEEDS_RESTART(cond, what)					\
	do {								\
		if (cond)						\
			snprintf(fixed + strlen(fixed),			\
				 sizeof(fixed) - strlen(fixed), "%s%s",	\
				 fixed[0] ? ", " : "", what);		\
	} while (0)
	NEEDS_RESTART(strcmp(n->instance, o->instance), "instance");
	NEEDS_RESTART(strcmp(n->socket_path, o->socket_path), "socket");
	NEEDS_RESTART(strcmp(n->bpffs, o->bpffs), "bpffs");
	NEEDS_RESTART(n->workers != o->workers, "workers");
	NEEDS_RESTART(n->nr_cpus != o->nr_cpus ||
		      memcmp(n->cpus, o->cpus, sizeof(n->cpus)), "cpus");
	NEEDS_RESTART(n->xdp_mode != o->xdp_mode, "xdp_mode");
	NEEDS_RESTART(n->bind_mode != o->bind_mode, "bind");
	NEEDS_RESTART(n->frames != o->frames || n->frame_size != o->frame_size ||
		      n->ring_size != o->ring_size, "frames/frame_size/ring_size");
	NEEDS_RESTART(n->route_table != o->route_table, "route_table");
	NEEDS_RESTART(n->ttl_expired != o->ttl_expired, "ttl_expired");
	NEEDS_RESTART(n->icmp_rate != o->icmp_rate, "icmp_rate");
	NEEDS_RESTART(n->idle_sleep_us != o->idle_sleep_us, "idle_sleep_us");
	NEEDS_RESTART(n->nr_ports != o->nr_ports, "the set of ports");
	NEEDS_RESTART(!mape_equal(&n->mape, &o->mape), "[mape]");
	NEEDS_RESTART(!gk_config_nat_equal(&n->nat, &o->nat), "[nat]/nat-maps");
	NEEDS_RESTART(n->nr_map_rules != o->nr_map_rules ||
		      !rules_equal(n->map_rules, o->map_rules, n->nr_map_rules),
		      "map-rules");
	/* Runtime peer changes go through `genkanctl wg set`. */
	NEEDS_RESTART(!gk_config_wg_equal(n->wg, o->wg),
		      "[wireguard]/[wireguard-peer]");
	NEEDS_RESTART(!gk_config_l4_equal(n->l4, o->l4), "[l4-service]");
	NEEDS_RESTART((n->nr_dpdk_ports || o->nr_dpdk_ports) &&
		      (strcmp(n->dpdk.eal_args, o->dpdk.eal_args) ||
		       n->dpdk.mbufs != o->dpdk.mbufs ||
		       n->dpdk.rx_desc != o->dpdk.rx_desc ||
		       n->dpdk.tx_desc != o->dpdk.tx_desc), "the [dpdk] section");
	NEEDS_RESTART(!gk_config_metrics_equal(&n->metrics, &o->metrics),
		      "[metrics]");
	for (unsigned i = 0; i < n->nr_ports && i < o->nr_ports; i++)
		NEEDS_RESTART(strcmp(n->ports[i].name, o->ports[i].name) ||
			      strcmp(n->ports[i].ifname, o->ports[i].ifname),
			      "the set of ports");
	for (unsigned i = 0; i < n->nr_ports && i < o->nr_ports; i++) {
		NEEDS_RESTART(n->ports[i].xdp_meta != o->ports[i].xdp_meta,
			      "xdp_meta");
		NEEDS_RESTART(n->ports[i].backend != o->ports[i].backend ||
			      strcmp(n->ports[i].devargs, o->ports[i].devargs),
			      "a port's backend or devargs");
		NEEDS_RESTART(n->ports[i].checksum != o->ports[i].checksum,
			      "checksum");
	}
#undef NEEDS_RESTART
	if (fixed[0]) {
		snprintf(err, errlen, "%s: changing %s needs a restart", o->path,
			 fixed);
		ret = -EINVAL;
		goto out;
	}

	if (n->log_level != o->log_level)
		CHANGE("log_level changed");
	if (n->log_format != o->log_format)
		CHANGE("log_format %s -> %s", gk_config_log_format_str(o->log_format),
		       gk_config_log_format_str(n->log_format));
	if (n->heartbeat_ms != o->heartbeat_ms)
		CHANGE("heartbeat_ms %u -> %u", o->heartbeat_ms, n->heartbeat_ms);
	if (n->stall_ms != o->stall_ms)
		CHANGE("stall_ms %u -> %u", o->stall_ms, n->stall_ms);
	for (unsigned i = 0; i < n->nr_ports; i++)
		if (n->ports[i].mtu != o->ports[i].mtu)
			CHANGE("port %s mtu %u -> %u", n->ports[i].name,
			       o->ports[i].mtu, n->ports[i].mtu);

	gk_config_free(&d->cfg);
	d->cfg = *n;		/* n's map_rules and wg now belong to d->cfg */
	n->map_rules = NULL;
	n->nr_map_rules = 0;
	n->wg = NULL;
	n->l4 = NULL;
	gk_log_set_level(n->log_level);
	gk_log_set_format(n->log_format);
	for (unsigned i = 0; i < d->nr_ports; i++)
		if (n->ports[i].mtu)
			d->ports[i].mtu = n->ports[i].mtu;
	/* A DPDK port's TAP is genkand's: its MTU follows the key. */
	gk_dpdk_ctl_reload(d);
	/* A reload also republishes the FIB: a fresh snapshot, same traffic. */
	ret = gk_daemon_publish_fib(d, err, errlen);
	if (!ret)
		CHANGE("fib generation %llu published",
		       (unsigned long long)d->fib_generation);
out:
	if (ret) {
		snprintf(d->last_reload_error, sizeof(d->last_reload_error),
			 "%s", err);
	} else {
		d->reloads++;
		d->last_reload_error[0] = '\0';
		gk_info("reloaded %s (%u change(s))", d->cfg.path, *nr_changes);
	}
	gk_config_free(n);
	free(n);
	return ret;
}
