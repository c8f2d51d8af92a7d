/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl command handlers. Each one reads daemon state (worker counters are
 * single-writer 64-bit values, read racily but never torn on x86-64) and
 * builds a JSON result; none of them touch the data path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <genkan/meta.h>
#include <gk_config.h>

#include "dataplane/backend_afxdp.h"
#include "dataplane/fib.h"
#include "dataplane/wkstats.h"
#include "dataplane/worker.h"

#include "daemon.h"
#include "handlers.h"
#include "nlmirror.h"
#include "xdp_loader.h"

static const char *const class_names[GK_CLASS_MAX] = {
#define GK_X(n, s) s,
	GK_CLASS_LIST(GK_X)
#undef GK_X
};

static const char *const xdp_drop_names[GK_XDP_DROP_MAX] = {
#define GK_X(n, s) s,
	GK_XDP_DROP_LIST(GK_X)
#undef GK_X
};

static const char *const xdp_event_names[GK_XDP_EV_MAX] = {
#define GK_X(n, s) s,
	GK_XDP_EVENT_LIST(GK_X)
#undef GK_X
};

static double secs_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	       (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void fmt_mac(char *buf, size_t len, const uint8_t *m)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
}

static const char *ifname_of(const struct gk_daemon *d, uint32_t ifindex)
{
	const struct gk_nl_link *l = gk_nlmirror_link(d->nl, ifindex);

	return l ? l->name : NULL;
}

static const char *port_name_of(const struct gk_daemon *d, uint32_t ifindex)
{
	for (unsigned i = 0; i < d->nr_ports; i++)
		if (d->ports[i].ifindex == ifindex)
			return d->ports[i].name;
	return NULL;
}

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static unsigned workers_stalled(const struct gk_daemon *d)
{
	unsigned n = 0;

	for (unsigned i = 0; i < d->nr_workers; i++)
		n += d->stalled[i];
	return n;
}

/* Running: has beaten at least once and is not stalled. */
static unsigned workers_running(const struct gk_daemon *d)
{
	unsigned n = 0;

	for (unsigned i = 0; i < d->nr_workers; i++)
		n += !d->stalled[i] &&
		     atomic_load_explicit(&d->workers[i].heartbeat_ns,
					  memory_order_relaxed) != 0;
	return n;
}

static int cmd_status(void *arg, json_t *args, json_t **result, char *err,
		      size_t errlen)
{
	struct gk_daemon *d = arg;
	json_t *ports = json_array();
	size_t n4 = 0, n6 = 0, nn = 0;
	const struct gk_nl_route *r;
	size_t nr;

	r = gk_nlmirror_routes(d->nl, &nr);
	for (size_t i = 0; i < nr; i++) {
		if (r[i].family == AF_INET)
			n4++;
		else
			n6++;
	}
	gk_nlmirror_neighs(d->nl, &nn);

	for (unsigned i = 0; i < d->nr_ports; i++) {
		const struct gk_dport *p = &d->ports[i];
		char mac[18];

		fmt_mac(mac, sizeof(mac), p->mac);
		json_array_append_new(ports, json_pack(
			"{s:s, s:s, s:I, s:I, s:I, s:s, s:I, s:I}",
			"name", p->name, "ifname", p->ifname,
			"ifindex", (json_int_t)p->ifindex,
			"port_id", (json_int_t)p->port_id,
			"mtu", (json_int_t)p->mtu, "mac", mac,
			"queues", (json_int_t)d->nr_workers,
			"rx_queues", (json_int_t)p->rx_queues));
	}
	*result = json_pack(
		"{s:s, s:s, s:I, s:f, s:s, s:s, s:s, s:s, s:o,"
		" s:{s:I, s:I, s:I},"
		" s:{s:I, s:I, s:I, s:I, s:f, s:I},"
		" s:I, s:o}",
		"instance", d->cfg.instance, "version", GK_VERSION,
		"pid", (json_int_t)getpid(),
		"uptime_s", secs_since(&d->started),
		"config", d->cfg.path, "socket", d->cfg.socket_path,
		"bpffs_pin_dir", d->pin_dir,
		"xdp_mode", gk_config_xdp_mode_str(d->cfg.xdp_mode),
		"ports", ports,
		"workers", "total", (json_int_t)d->nr_workers,
		"running", (json_int_t)workers_running(d),
		"stalled", (json_int_t)workers_stalled(d),
		"fib", "generation", (json_int_t)d->fib_generation,
		"routes4", (json_int_t)n4, "routes6", (json_int_t)n6,
		"neighbors", (json_int_t)nn,
		"updated_s_ago", secs_since(&d->fib_updated),
		"build_errors", (json_int_t)d->fib_build_errors,
		"reloads", (json_int_t)d->reloads,
		"last_reload_error",
		jstr_or_null(d->last_reload_error[0] ? d->last_reload_error : NULL));
	if (!*result) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static json_t *counter_obj(const struct gk_xdp_counter *c)
{
	return json_pack("{s:I, s:I}", "packets", (json_int_t)c->packets,
			 "bytes", (json_int_t)c->bytes);
}

static json_t *xdp_stats(const struct gk_daemon *d)
{
	struct gk_xdp_counter c[GK_STAT_MAX];
	json_t *cls = json_object(), *drops = json_object(), *ev = json_object();

	if (gk_xdp_read_stats(d->xdp, c))
		memset(c, 0, sizeof(c));
	for (int i = 0; i < GK_CLASS_MAX; i++)
		json_object_set_new(cls, class_names[i],
				    counter_obj(&c[GK_STAT_CLASS(i)]));
	for (int i = 0; i < GK_XDP_DROP_MAX; i++)
		json_object_set_new(drops, xdp_drop_names[i],
				    counter_obj(&c[GK_STAT_DROP(i)]));
	for (int i = 0; i < GK_XDP_EV_MAX; i++)
		json_object_set_new(ev, xdp_event_names[i],
				    counter_obj(&c[GK_STAT_EVENT(i)]));
	return json_pack("{s:o, s:o, s:o}", "classes", cls, "drops", drops,
			 "events", ev);
}

static int cmd_stats(void *arg, json_t *args, json_t **result, char *err,
		     size_t errlen)
{
	struct gk_daemon *d = arg;
	uint64_t t_rxp = 0, t_rxb = 0, t_txp = 0, t_txb = 0, t_drop = 0;
	uint64_t wdrops[GK_WK_DROP_MAX] = { 0 };
	uint64_t wcls[GK_CLASS_MAX] = { 0 };
	uint64_t wev[GK_WK_EVENT_MAX] = { 0 };
	json_t *jwe = json_object();
	json_t *workers = json_array(), *ports = json_array();
	json_t *jwd = json_object(), *jwc = json_object();

	for (unsigned w = 0; w < d->nr_workers; w++) {
		const struct gk_wk_stats *s = &d->workers[w].stats;
		json_t *drops = json_object();
		uint64_t wd = 0;

		for (int i = 0; i < GK_WK_DROP_MAX; i++) {
			json_object_set_new(drops, gk_wk_drop_names[i],
					    json_integer((json_int_t)s->drops[i]));
			wdrops[i] += s->drops[i];
			wd += s->drops[i];
		}
		for (int i = 0; i < GK_CLASS_MAX; i++)
			wcls[i] += s->class_packets[i];
		for (int i = 0; i < GK_WK_EVENT_MAX; i++)
			wev[i] += s->events[i];
		t_rxp += s->rx_packets;
		t_rxb += s->rx_bytes;
		t_txp += s->tx_packets;
		t_txb += s->tx_bytes;
		t_drop += wd;
		json_array_append_new(workers, json_pack(
			"{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I}",
			"id", (json_int_t)w,
			"rx_packets", (json_int_t)s->rx_packets,
			"rx_bytes", (json_int_t)s->rx_bytes,
			"tx_packets", (json_int_t)s->tx_packets,
			"tx_bytes", (json_int_t)s->tx_bytes,
			"drops_total", (json_int_t)wd,
			"drops", drops,
			"busy_cycles", (json_int_t)s->busy_cycles,
			"idle_cycles", (json_int_t)s->idle_cycles,
			"neigh_requests", (json_int_t)s->neigh_requests));
		for (unsigned p = 0; p < d->nr_ports; p++) {
			const struct gk_port_stats *ps = &d->xports[w][p]->stats;

			json_array_append_new(ports, json_pack(
				"{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				"name", d->ports[p].name,
				"queue", (json_int_t)w, "worker", (json_int_t)w,
				"rx_packets", (json_int_t)ps->rx_packets,
				"tx_packets", (json_int_t)ps->tx_packets,
				"tx_drops", (json_int_t)ps->tx_drops,
				"rx_no_buf", (json_int_t)ps->rx_no_buf,
				"wakeups", (json_int_t)ps->wakeups));
		}
	}
	for (int i = 0; i < GK_WK_DROP_MAX; i++)
		json_object_set_new(jwd, gk_wk_drop_names[i],
				    json_integer((json_int_t)wdrops[i]));
	for (int i = 0; i < GK_CLASS_MAX; i++)
		json_object_set_new(jwc, class_names[i],
				    json_integer((json_int_t)wcls[i]));
	for (int i = 0; i < GK_WK_EVENT_MAX; i++)
		json_object_set_new(jwe, gk_wk_event_names[i],
				    json_integer((json_int_t)wev[i]));

	*result = json_pack(
		"{s:{s:I, s:I, s:I, s:I, s:I}, s:o, s:o, s:o, s:o, s:o, s:o}",
		"totals", "rx_packets", (json_int_t)t_rxp,
		"rx_bytes", (json_int_t)t_rxb, "tx_packets", (json_int_t)t_txp,
		"tx_bytes", (json_int_t)t_txb, "drops", (json_int_t)t_drop,
		"workers", workers, "worker_drops", jwd, "worker_classes", jwc,
		"worker_events", jwe,
		"ports", ports, "xdp", xdp_stats(d));
	if (!*result) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int cmd_workers(void *arg, json_t *args, json_t **result, char *err,
		       size_t errlen)
{
	struct gk_daemon *d = arg;
	uint64_t now = gk_daemon_now_ns();
	json_t *arr = json_array();

	for (unsigned w = 0; w < d->nr_workers; w++) {
		const struct gk_worker *wk = &d->workers[w];
		const struct gk_wk_stats *s = &wk->stats;
		uint64_t hb = atomic_load_explicit(&wk->heartbeat_ns,
						   memory_order_relaxed);
		uint64_t cyc = s->busy_cycles + s->idle_cycles;
		json_t *ports = json_array();

		for (unsigned p = 0; p < d->nr_ports; p++)
			json_array_append_new(ports, json_pack("{s:s, s:I}",
				"name", d->ports[p].name, "queue", (json_int_t)w));
		json_array_append_new(arr, json_pack(
			"{s:I, s:i, s:s, s:f, s:f, s:I, s:I, s:I, s:o}",
			"id", (json_int_t)w, "cpu", wk->cfg.cpu,
			"state", !hb ? "starting" :
				 d->stalled[w] ? "stalled" : "running",
			"heartbeat_age_ms",
			hb && now > hb ? (double)(now - hb) / 1e6 : 0.0,
			"busy_pct", cyc ? 100.0 * (double)s->busy_cycles /
					  (double)cyc : 0.0,
			"polls", (json_int_t)s->polls,
			"rx_packets", (json_int_t)s->rx_packets,
			"tx_packets", (json_int_t)s->tx_packets,
			"ports", ports));
	}
	*result = json_pack("{s:o}", "workers", arr);
	return *result ? 0 : -ENOMEM;
}

static void fmt_addr(char *buf, size_t len, int family, const uint8_t *a)
{
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static const char *route_type(uint8_t t)
{
	switch (t) {
	case RTN_UNICAST: return "unicast";
	case RTN_BLACKHOLE: return "blackhole";
	case RTN_UNREACHABLE: return "unreachable";
	case RTN_PROHIBIT: return "prohibit";
	default: return "other";
	}
}

static int cmd_routes(void *arg, json_t *args, json_t **result, char *err,
		      size_t errlen)
{
	struct gk_daemon *d = arg;
	const struct gk_nl_route *r;
	json_t *arr = json_array();
	size_t n;

	r = gk_nlmirror_routes(d->nl, &n);
	for (size_t i = 0; i < n; i++) {
		char dst[INET6_ADDRSTRLEN + 4], gw[INET6_ADDRSTRLEN];
		size_t l;

		fmt_addr(dst, sizeof(dst), r[i].family, r[i].dst);
		l = strlen(dst);
		snprintf(dst + l, sizeof(dst) - l, "/%u", r[i].plen);
		fmt_addr(gw, sizeof(gw), r[i].family, r[i].gw);
		json_array_append_new(arr, json_pack(
			"{s:i, s:s, s:o, s:o, s:I, s:o, s:s, s:I}",
			"family", r[i].family == AF_INET ? 4 : 6, "dst", dst,
			"gateway", r[i].has_gw ? json_string(gw) : json_null(),
			"dev", jstr_or_null(ifname_of(d, r[i].ifindex)),
			"ifindex", (json_int_t)r[i].ifindex,
			"port", jstr_or_null(port_name_of(d, r[i].ifindex)),
			"type", route_type(r[i].type),
			"metric", (json_int_t)r[i].priority));
	}
	*result = json_pack("{s:o, s:I}", "routes", arr, "fib_generation",
			    (json_int_t)d->fib_generation);
	return *result ? 0 : -ENOMEM;
}

static const char *nud_name(uint16_t s)
{
	if (s & NUD_PERMANENT) return "permanent";
	if (s & NUD_NOARP) return "noarp";
	if (s & NUD_REACHABLE) return "reachable";
	if (s & NUD_STALE) return "stale";
	if (s & NUD_DELAY) return "delay";
	if (s & NUD_PROBE) return "probe";
	if (s & NUD_INCOMPLETE) return "incomplete";
	if (s & NUD_FAILED) return "failed";
	return "none";
}

static int cmd_neighbors(void *arg, json_t *args, json_t **result, char *err,
			 size_t errlen)
{
	struct gk_daemon *d = arg;
	const struct gk_nl_neigh *nb;
	json_t *arr = json_array();
	size_t n;

	nb = gk_nlmirror_neighs(d->nl, &n);
	for (size_t i = 0; i < n; i++) {
		char addr[INET6_ADDRSTRLEN], mac[18];

		fmt_addr(addr, sizeof(addr), nb[i].family, nb[i].addr);
		fmt_mac(mac, sizeof(mac), nb[i].mac);
		json_array_append_new(arr, json_pack(
			"{s:i, s:s, s:s, s:o, s:I, s:s}",
			"family", nb[i].family == AF_INET ? 4 : 6, "addr", addr,
			"lladdr", mac, "dev", jstr_or_null(ifname_of(d, nb[i].ifindex)),
			"ifindex", (json_int_t)nb[i].ifindex,
			"state", nud_name(nb[i].state)));
	}
	*result = json_pack("{s:o, s:I}", "neighbors", arr, "resolve_requests",
			    (json_int_t)d->neigh_resolves);
	return *result ? 0 : -ENOMEM;
}

static int cmd_reload(void *arg, json_t *args, json_t **result, char *err,
		      size_t errlen)
{
	struct gk_daemon *d = arg;
	char changes[16][128];
	unsigned n = 0;
	json_t *arr;
	int ret;

	ret = gk_daemon_reload(d, err, errlen, changes, &n, 16);
	if (ret)
		return ret;
	arr = json_array();
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(arr, json_string(changes[i]));
	*result = json_pack("{s:b, s:I, s:o}", "reloaded", 1, "generation",
			    (json_int_t)d->fib_generation, "changes", arr);
	return *result ? 0 : -ENOMEM;
}

const struct gk_ctl_cmd gk_handlers[] = {
	{ "status", cmd_status, "instance, ports, workers and FIB summary" },
	{ "stats", cmd_stats, "counters: totals, per worker, per class, per drop reason" },
	{ "workers", cmd_workers, "worker threads, heartbeat and load" },
	{ "routes", cmd_routes, "mirrored kernel routes" },
	{ "neighbors", cmd_neighbors, "mirrored kernel neighbors" },
	{ "reload", cmd_reload, "re-read the config file" },
};
const size_t gk_nr_handlers = sizeof(gk_handlers) / sizeof(gk_handlers[0]);
