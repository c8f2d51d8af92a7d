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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <genkan/meta.h>
#include <gk_config.h>

#include "backend_afxdp.h"
#include "fib.h"
#include "map_table.h"
#include "wkstats.h"
#include "hand_ctl.h"
#include "host_tun.h"
#include "l4_ctl.h"
#include "worker.h"

#include "counters_json.h"
#include "daemon.h"
#include "dpdk_ctl.h"
#include "wgd.h"
#include "handlers.h"
#include "nat_ctl.h"
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
			"{s:s, s:s, s:I, s:I, s:I, s:s, s:I, s:I,"
			" s:{s:s, s:s, s:I}, s:{s:s, s:s},"
			" s:{s:s, s:I, s:I, s:o, s:o}}",
			"name", p->name, "ifname", p->ifname,
			"ifindex", (json_int_t)p->ifindex,
			"port_id", (json_int_t)p->port_id,
			"mtu", (json_int_t)p->mtu, "mac", mac,
			"queues", (json_int_t)d->nr_workers,
			"rx_queues", (json_int_t)p->rx_queues,
			"handoff", "mode", gk_hand_name(p->hand),
			"reason", p->hand_why,
			"switches", (json_int_t)p->hand_switches,
			"checksum", "mode",
			p->csum_complete ? "complete" : "trust",
			"reason", p->csum_why,
			/* port_link.c: its interface deleted, or back */
			"link", "state", p->link_gone ? "gone" : "attached",
			"downs", (json_int_t)p->link_downs,
			"returns", (json_int_t)p->link_returns,
			"changed_s_ago", p->link_downs ?
				json_real(secs_since(&p->link_changed)) : json_null(),
			"error", jstr_or_null(p->link_error[0] ? p->link_error : NULL)));
	}
	*result = json_pack(
		"{s:s, s:s, s:I, s:f, s:s, s:s, s:s, s:s, s:o,"
		" s:{s:I, s:I, s:I},"
		" s:{s:I, s:I, s:I, s:I, s:f, s:I},"
		" s:I, s:o, s:{s:I, s:I, s:I, s:I}}",
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
		jstr_or_null(d->last_reload_error[0] ? d->last_reload_error : NULL),
		/* daemon.c: 10 ms while busy, slower when idle */
		"control", "tick_ms", (json_int_t)d->tick_ms,
		"ticks", (json_int_t)d->ticks,
		"neigh_wakes", (json_int_t)d->nreq_wakes,
		"neigh_wake_errors", (json_int_t)atomic_load_explicit(
			&d->nreq_wake.failed, memory_order_relaxed));
	/* the ctl socket's own clients: evictions and timeouts */
	if (*result && json_object_set_new(*result, "ctl",
					   gk_ctl_server_stats_json(d->ctl))) {
		json_decref(*result);
		*result = NULL;
	}
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

/* One domain's counters summed over the workers (racy reads, never torn). */
static void dom_sum(const struct gk_daemon *d, unsigned idx,
		    struct gk_map_dom_stats *out)
{
	for (unsigned w = 0; w < d->nr_workers; w++) {
		const struct gk_mape_ctx *mc = &d->workers[w].mape;
		const struct gk_map_dom_stats *s;

		if (idx < mc->nr_dom && mc->dom)
			s = &mc->dom[idx];
		else if (idx == UINT32_MAX)
			s = &mc->spare;
		else
			continue;
		gk_cnt_add_fields(out, s, &gk_cnt_map_dom);
		gk_cnt_add_array(out->drops, s->drops, GK_MAP_DROP_MAX);
	}
}

/* COUNTERS of docs/ctl-protocol.md: GK_MAP_DOM_CNT_LIST, then "drops". */
static json_t *dom_json(const struct gk_map_dom_stats *s)
{
	return gk_cnt_json_set(
		gk_cnt_json_fields(json_object(), &gk_cnt_map_dom, s), "drops",
		gk_cnt_json_array(json_object(), gk_map_drop_names, s->drops,
				  GK_MAP_DROP_MAX));
}

/* Unmatched packets: the last counter slot, plus any spare. */
static void unmatched_sum(const struct gk_daemon *d,
			  struct gk_map_dom_stats *out)
{
	dom_sum(d, gk_map_table_nr_rules(d->map), out);
	dom_sum(d, UINT32_MAX, out);
}

/* Every MAP-E counter of every domain, for stats. */
static json_t *mape_totals(const struct gk_daemon *d)
{
	struct gk_map_dom_stats s = { 0 };
	unsigned n = gk_map_table_nr_rules(d->map);

	if (d->map)
		for (unsigned i = 0; i < n; i++)
			dom_sum(d, i, &s);
	unmatched_sum(d, &s);
	return dom_json(&s);
}

/*
 * The kernel's AF_XDP socket counters, summed over each port's queues:
 * where frames die before a worker sees them (rx ring full, fill ring
 * empty). "sockets" counts the queues that answered, so a partial sum is
 * visible as such.
 */
static json_t *port_xsk_stats(const struct gk_daemon *d)
{
	json_t *arr = json_array();

	for (unsigned p = 0; p < d->nr_ports; p++) {
		struct gk_port_xstats sum = { 0 }, x;
		json_int_t socks = 0;

		for (unsigned w = 0; w < d->nr_workers; w++) {
			struct gk_port *xp = d->xports[w][p];

			memset(&x, 0, sizeof(x));
			if (!xp || gk_port_xstats(xp, &x))
				continue;
			socks++;
			gk_cnt_add_fields(&sum, &x, &gk_cnt_port_xstats);
		}
		json_array_append_new(arr, gk_cnt_json_fields(
			json_pack("{s:s, s:I}", "name", d->ports[p].name,
				  "sockets", socks),
			&gk_cnt_port_xstats, &sum));
	}
	return arr;
}

/*
 * The packet accounting of one worker (wkstats.h GK_WK_ACCT_LIST):
 * every term, in_total and out_total (docs/accounting.md).
 */
static json_t *accounting_json(const struct gk_wk_stats *s)
{
	uint64_t t[GK_WK_ACCT_MAX], in, out;
	json_t *o = json_object();

	gk_wk_acct(s, t, &in, &out);
	for (int i = 0; i < GK_WK_ACCT_MAX; i++)
		json_object_set_new(o, gk_wk_acct_names[i],
				    json_integer((json_int_t)t[i]));
	json_object_set_new(o, "in_total", json_integer((json_int_t)in));
	json_object_set_new(o, "out_total", json_integer((json_int_t)out));
	return o;
}

static int cmd_stats(void *arg, json_t *args, json_t **result, char *err,
		     size_t errlen)
{
	struct gk_daemon *d = arg;
	uint64_t t_rxp = 0, t_rxb = 0, t_txp = 0, t_txb = 0, t_drop = 0;
	uint64_t wdrops[GK_WK_DROP_MAX] = { 0 };
	uint64_t wcls[GK_CLASS_MAX] = { 0 };
	uint64_t wev[GK_WK_EVENT_MAX] = { 0 };
	uint64_t whand[GK_HAND_MAX] = { 0 };
	json_t *jwh = json_object();
	json_t *workers = json_array(), *ports = json_array(), *tun;

	for (unsigned w = 0; w < d->nr_workers; w++) {
		const struct gk_wk_stats *s = &d->workers[w].stats;
		uint64_t dr[GK_WK_DROP_MAX], wd = 0;

		/* one read each: the object, its total and the sums agree */
		memcpy(dr, s->drops, sizeof(dr));
		for (int i = 0; i < GK_WK_DROP_MAX; i++)
			wd += dr[i];
		gk_cnt_add_array(wdrops, dr, GK_WK_DROP_MAX);
		gk_cnt_add_array(wcls, s->class_packets, GK_CLASS_MAX);
		gk_cnt_add_array(wev, s->events, GK_WK_EVENT_MAX);
		gk_cnt_add_array(whand, s->hand_packets, GK_HAND_MAX);
		t_rxp += s->rx_packets;
		t_rxb += s->rx_bytes;
		t_txp += s->tx_packets;
		t_txb += s->tx_bytes;
		t_drop += wd;
		json_array_append_new(workers, json_pack(
			"{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:I, s:I,"
			" s:o}",
			"id", (json_int_t)w,
			"rx_packets", (json_int_t)s->rx_packets,
			"rx_bytes", (json_int_t)s->rx_bytes,
			"tx_packets", (json_int_t)s->tx_packets,
			"tx_bytes", (json_int_t)s->tx_bytes,
			"drops_total", (json_int_t)wd,
			"drops", gk_cnt_json_array(json_object(),
						   gk_wk_drop_names, dr,
						   GK_WK_DROP_MAX),
			"busy_cycles", (json_int_t)s->busy_cycles,
			"idle_cycles", (json_int_t)s->idle_cycles,
			"naps", (json_int_t)s->naps,
			"neigh_requests", (json_int_t)s->neigh_requests,
			"accounting", accounting_json(s)));
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
		/* The host path's TUN queue of this worker, if any. */
		if ((tun = gk_host_tun_port_json(d, w)))
			json_array_append_new(ports, tun);
	}
	for (int i = 0; i < GK_HAND_MAX; i++)
		json_object_set_new(jwh, gk_hand_name((unsigned)i),
				    json_integer((json_int_t)whand[i]));

	*result = json_pack(
		"{s:{s:I, s:I, s:I, s:I, s:I}, s:o, s:o, s:o, s:o, s:o, s:o,"
		" s:o, s:o, s:o}",
		"totals", "rx_packets", (json_int_t)t_rxp,
		"rx_bytes", (json_int_t)t_rxb, "tx_packets", (json_int_t)t_txp,
		"tx_bytes", (json_int_t)t_txb, "drops", (json_int_t)t_drop,
		"workers", workers,
		"worker_drops", gk_cnt_json_array(json_object(), gk_wk_drop_names,
						  wdrops, GK_WK_DROP_MAX),
		"worker_classes", gk_cnt_json_array(json_object(), class_names,
						    wcls, GK_CLASS_MAX),
		"worker_events", gk_cnt_json_array(json_object(),
						   gk_wk_event_names, wev,
						   GK_WK_EVENT_MAX),
		"worker_handoff", jwh,
		"ports", ports, "port_xsk", port_xsk_stats(d),
		"xdp", xdp_stats(d), "mape", mape_totals(d));
	if (!*result) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* DPDK ports' exception path (dpdk_ctl.h) */
	if (d->dpdk)
		json_object_set_new(*result, "dpdk", gk_dpdk_ctl_stats(d));
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

static json_t *prefix_json(int family, const uint8_t *a, unsigned plen)
{
	char b[INET6_ADDRSTRLEN + 8];
	size_t l;

	fmt_addr(b, sizeof(b), family, a);
	l = strlen(b);
	snprintf(b + l, sizeof(b) - l, "/%u", plen);
	return json_string(b);
}

static json_t *ce_json(const struct gk_map_table *t)
{
	const struct gk_map_ce_params *cp = &t->ce;
	char v4[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN];
	uint16_t (*rg)[2];
	json_t *pr = json_array();
	unsigned nr;

	nr = gk_map_port_ranges(cp->psid_offset, cp->psid_len, cp->psid,
				NULL, 0);
	rg = calloc(nr ? nr : 1, sizeof(*rg));
	if (!rg || !pr) {
		free(rg);
		json_decref(pr);
		return NULL;
	}
	gk_map_port_ranges(cp->psid_offset, cp->psid_len, cp->psid, rg, nr);
	for (unsigned i = 0; i < nr; i++)
		json_array_append_new(pr, json_pack("[ii]", rg[i][0], rg[i][1]));
	free(rg);
	fmt_addr(v4, sizeof(v4), AF_INET, cp->ipv4);
	fmt_addr(v6, sizeof(v6), AF_INET6, cp->ce_ipv6);
	return json_pack("{s:s, s:i, s:i, s:i, s:i, s:s, s:o, s:I, s:o}",
			 "ipv4", v4, "ipv4_plen", cp->ipv4_plen,
			 "psid", cp->psid, "psid_len", cp->psid_len,
			 "psid_offset", cp->psid_offset, "ce_ipv6", v6,
			 "end_user_prefix",
			 prefix_json(AF_INET6, cp->eup, cp->eup_len),
			 "nr_ports", (json_int_t)cp->nr_ports,
			 "port_ranges", pr);
}

static const char *port_name_by_id(const struct gk_daemon *d, uint16_t id)
{
	return id < d->nr_ports ? d->ports[id].name : NULL;
}

/*
 * map {"op": "show"[, "name": RULE]}: the MAP-E table genkand runs and
 * its per-domain counters summed over the workers. With name, only that
 * domain (unknown: -ENOENT); "unmatched" is always there.
 */
static int cmd_map(void *arg, json_t *args, json_t **result, char *err,
		   size_t errlen)
{
	struct gk_daemon *d = arg;
	const struct gk_map_table *t = d->map;
	const char *op = json_string_value(json_object_get(args, "op"));
	json_t *jname = json_object_get(args, "name");
	const char *name = json_string_value(jname);
	struct gk_map_dom_stats un = { 0 };
	char br[INET6_ADDRSTRLEN];
	json_t *doms, *ce = json_null();
	bool found = false;

	if (!op || strcmp(op, "show")) {
		snprintf(err, errlen, "map: args.op must be \"show\"");
		return -EINVAL;
	}
	if (jname && !json_is_null(jname) && !name) {
		snprintf(err, errlen, "map: args.name must be a string");
		return -EINVAL;
	}
	if (!t) {
		*result = json_pack("{s:b, s:n, s:n, s:n, s:n, s:n, s:n, s:[], s:n}",
				    "enabled", 0, "role", "br_address",
				    "tunnel_mtu", "ipv4_port", "ipv6_port",
				    "ce", "domains", "unmatched");
		return *result ? 0 : -ENOMEM;
	}

	doms = json_array();
	for (unsigned i = 0; i < t->nr_rules && i < d->cfg.nr_map_rules; i++) {
		const struct gk_map_rule *r = &d->cfg.map_rules[i];
		struct gk_map_dom_stats s = { 0 };

		if (name && strcmp(name, r->name))
			continue;
		found = true;
		dom_sum(d, i, &s);
		json_array_append_new(doms, json_pack(
			"{s:s, s:o, s:o, s:i, s:i, s:i, s:b, s:b, s:i, s:o}",
			"name", r->name,
			"ipv6_prefix", prefix_json(AF_INET6, r->ipv6_prefix,
						   r->ipv6_plen),
			"ipv4_prefix", prefix_json(AF_INET, r->ipv4_prefix,
						   r->ipv4_plen),
			"ea_bits", r->ea_bits, "psid_offset", r->psid_offset,
			"psid_len", r->psid_len,
			"draft03", !!(r->flags & GK_MAP_F_DRAFT03),
			"fmr", !!(r->flags & GK_MAP_F_FMR),
			"mss_clamp", t->rt[i].mss, "counters", dom_json(&s)));
	}
	if (name && !found) {
		json_decref(doms);
		snprintf(err, errlen, "map: no map-rule '%s'", name);
		return -ENOENT;
	}
	unmatched_sum(d, &un);
	if (t->role == GK_MAPE_ROLE_CE) {
		ce = ce_json(t);
		if (!ce) {
			json_decref(doms);
			return -ENOMEM;
		}
	}
	fmt_addr(br, sizeof(br), AF_INET6, t->br_addr);
	*result = json_pack("{s:b, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o}",
			    "enabled", 1,
			    "role", t->role == GK_MAPE_ROLE_CE ? "ce" : "br",
			    "br_address", br, "tunnel_mtu", t->tunnel_mtu,
			    "ipv4_port",
			    jstr_or_null(port_name_by_id(d, t->v4_port_id)),
			    "ipv6_port",
			    jstr_or_null(port_name_by_id(d, t->v6_port_id)),
			    "ce", ce, "domains", doms,
			    "unmatched", dom_json(&un));
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

/*
 * `wg set ... endpoint HOST:PORT`: a name resolves here, once (as wg(8)
 * does), and wgd.c gets the numeric endpoint. This blocks the ctl loop for
 * at most GK_CONFIG_WG_SET_RESOLVE_MS; the workers do not wait.
 */
static int wg_set_resolve(struct gk_daemon *d, json_t *args, char *err,
			  size_t errlen)
{
	const char *s = json_string_value(json_object_get(args, "endpoint"));
	struct gk_config_wg_endpoint ep;
	char num[INET6_ADDRSTRLEN + 10];
	int ret;

	if (!s || !d->wgd)
		return 0;
	ret = gk_config_wg_resolve_endpoint(s, &ep, GK_CONFIG_WG_SET_RESOLVE_MS,
					    err, errlen);
	if (ret)
		return ret;
	gk_config_wg_format_endpoint(&ep, num, sizeof(num));
	if (json_object_set_new(args, "endpoint", json_string(num)))
		return -ENOMEM;
	return 0;
}

/* WireGuard: {"op":"show"} or {"op":"set", "peer": PUBKEY, ...} (wgd.c). */
static int cmd_wg(void *arg, json_t *args, json_t **result, char *err,
		  size_t errlen)
{
	struct gk_daemon *d = arg;
	const char *op = json_string_value(json_object_get(args, "op"));
	int ret;

	if (op && !strcmp(op, "show")) {
		*result = gk_wgd_show(d->wgd);
		return *result ? 0 : -ENOMEM;
	}
	if (op && !strcmp(op, "set")) {
		ret = wg_set_resolve(d, args, err, errlen);
		if (!ret)
			ret = gk_wgd_set(d->wgd, args, err, errlen);
		if (!ret)
			*result = json_object();
		return ret;
	}
	snprintf(err, errlen, "wg: args.op must be \"show\" or \"set\"");
	return -EINVAL;
}

const struct gk_ctl_cmd gk_handlers[] = {
	{ "status", cmd_status, "instance, ports, workers and FIB summary" },
	{ "stats", cmd_stats, "counters: totals, per worker, per class, per drop reason" },
	{ "workers", cmd_workers, "worker threads, heartbeat and load" },
	{ "routes", cmd_routes, "mirrored kernel routes" },
	{ "neighbors", cmd_neighbors, "mirrored kernel neighbors" },
	{ "reload", cmd_reload, "re-read the config file" },
	{ "map", cmd_map, "MAP-E table and per-domain counters ({\"op\":\"show\"})" },
	{ "nat", gk_nat_cmd, "NAPT44: sessions, stats, mappings, map-add, map-del ({\"op\":...})" },
	{ "l4", gk_l4_cmd, "front door: {\"op\":\"show\"|\"lookup\"|\"backend\",...}" },
	{ "wg", cmd_wg, "WireGuard: {\"op\":\"show\"} | {\"op\":\"set\",\"peer\":KEY,...}" },
};
const size_t gk_nr_handlers = sizeof(gk_handlers) / sizeof(gk_handlers[0]);
