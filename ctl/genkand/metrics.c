/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus text format 0.0.4. Every family name below is made from an
 * X-macro counter list (the same lists the ctl JSON is made from, see
 * counters_json.h) or from the small tables of scalar fields here, so the
 * exposition cannot drift from `genkanctl stats`. Each family's HELP and
 * TYPE are written even when its feature is off (no samples then): the
 * output names every metric genkand has, which docs/metrics.md is checked
 * against.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include <genkan/meta.h>
#include <gk_config.h>

#include "backend_afxdp.h"
#include "l4.h"
#include "map_table.h"
#include "napt.h"
#include "wg_data.h"
#include "wg_pending.h"
#include "wg_rpath.h"
#include "wkstats.h"
#include "worker.h"

#include "counters_json.h"
#include "daemon.h"
#include "dpdk_ctl.h"
#include "hand_ctl.h"
#include "l4_ctl.h"
#include "log.h"
#include "metrics.h"
#include "wgd.h"
#include "xdp_loader.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* A scrape waits this long for the control thread's render. */
#define WAIT_MS		1000
/* libmicrohttpd limits: a slow or huge request costs one slot, briefly. */
#define CONN_LIMIT	64
#define CONN_TIMEOUT_S	5
#define CONN_MEMORY	(32 * 1024)	/* request headers included */

struct gk_metrics {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	pthread_cond_t done;		/* CLOCK_MONOTONIC */
	char *text;			/* last render, under lock */
	size_t len;
	uint64_t gen;			/* renders published, under lock */
	_Atomic uint64_t want;		/* renders asked for */
	/* The HTTP thread's own counters (genkan_metrics_*). */
	_Atomic uint64_t scrapes, stale, not_found;
};

/* ---- the text ---- */

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

__attribute__((format(printf, 2, 3)))
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 16384) + (size_t)n;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

/* A label value, escaped as the text format wants (\\, \", \n). */
static void put_value(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			put(b, "\\\\");
		else if (*s == '"')
			put(b, "\\\"");
		else if (*s == '\n')
			put(b, "\\n");
		else
			put(b, "%c", *s);
	}
}

static void family(struct buf *b, const char *name, const char *type,
		   const char *help)
{
	put(b, "# HELP genkan_%s %s\n# TYPE genkan_%s %s\n", name, help, name,
	    type);
}

/*
 * One sample: name{k1="v1",k2="v2"} value. Labels as a NULL-terminated
 * list of key, value pairs.
 */
static void sample(struct buf *b, const char *name, double v, ...)
{
	const char *k, *val;
	bool first = true;
	va_list ap;

	put(b, "genkan_%s", name);
	va_start(ap, v);
	while ((k = va_arg(ap, const char *))) {
		val = va_arg(ap, const char *);
		put(b, "%s%s=\"", first ? "{" : ",", k);
		put_value(b, val);
		put(b, "\"");
		first = false;
	}
	va_end(ap);
	put(b, "%s %.17g\n", first ? "" : "}", v);
}

static void u64(struct buf *b, const char *name, uint64_t v, ...)
{
	const char *k, *val;
	bool first = true;
	va_list ap;

	put(b, "genkan_%s", name);
	va_start(ap, v);
	while ((k = va_arg(ap, const char *))) {
		val = va_arg(ap, const char *);
		put(b, "%s%s=\"", first ? "{" : ",", k);
		put_value(b, val);
		put(b, "\"");
		first = false;
	}
	va_end(ap);
	put(b, "%s %llu\n", first ? "" : "}", (unsigned long long)v);
}

static uint64_t jnum(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

/* ---- names from the X-macro lists ---- */

static const char *const class_names[GK_CLASS_MAX] = {
#define GK_X(n, s) s,
	GK_CLASS_LIST(GK_X)
#undef GK_X
};

/*
 * One sample per worker and per entry of a counter array of struct
 * gk_wk_stats (at off, n entries), labelled worker and label = names[i].
 */
static void per_worker(struct buf *b, const struct gk_daemon *d,
		       const char *name, size_t off, unsigned n,
		       const char *label, const char *const *names)
{
	for (unsigned w = 0; w < d->nr_workers; w++) {
		const uint64_t *v = (const uint64_t *)
			((const char *)&d->workers[w].stats + off);
		char ws[12];

		snprintf(ws, sizeof(ws), "%u", w);
		for (unsigned i = 0; i < n; i++)
			u64(b, name, v[i], "worker", ws, label, names[i], NULL);
	}
}
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

/* The scalar counters of struct gk_wk_stats, as `stats` prints them. */
static const struct {
	const char *name, *help;
	size_t off;
} wk_scalars[] = {
	{ "rx_packets", "Packets the worker received", offsetof(struct gk_wk_stats, rx_packets) },
	{ "rx_bytes", "Bytes the worker received", offsetof(struct gk_wk_stats, rx_bytes) },
	{ "tx_packets", "Packets the worker sent", offsetof(struct gk_wk_stats, tx_packets) },
	{ "tx_bytes", "Bytes the worker sent", offsetof(struct gk_wk_stats, tx_bytes) },
	{ "busy_cycles", "TSC cycles the worker spent in polls that found work", offsetof(struct gk_wk_stats, busy_cycles) },
	{ "idle_cycles", "TSC cycles the worker spent in empty polls", offsetof(struct gk_wk_stats, idle_cycles) },
	{ "polls", "Poll loop passes of the worker", offsetof(struct gk_wk_stats, polls) },
	{ "naps", "Sleeps of the worker in poll(2) while idle", offsetof(struct gk_wk_stats, naps) },
	{ "neigh_requests", "Neighbour resolution requests the worker posted to genkand", offsetof(struct gk_wk_stats, neigh_requests) },
};

/* The AF_XDP queue counters of struct gk_port_stats `stats` prints. */
static const struct {
	const char *name, *help;
	size_t off;
} port_scalars[] = {
	{ "rx_packets", "Packets taken from the queue's rx ring", offsetof(struct gk_port_stats, rx_packets) },
	{ "tx_packets", "Packets put on the queue's tx ring", offsetof(struct gk_port_stats, tx_packets) },
	{ "tx_drops", "Packets dropped at transmit: ring full or no buffer", offsetof(struct gk_port_stats, tx_drops) },
	{ "rx_no_buf", "Times the fill ring was starved", offsetof(struct gk_port_stats, rx_no_buf) },
	{ "wakeups", "Syscalls made for need_wakeup", offsetof(struct gk_port_stats, wakeups) },
};

/* WireGuard peer counters: metric from the field, value from the JSON key. */
static const struct {
	const char *field, *key;
} wg_peer_cnt[] = {
#define GK_X(f, s) { #f, s },
	GK_WG_PEER_CNT_LIST(GK_X)
#undef GK_X
};

static const struct {
	const char *key;
} wgd_cnt[] = {
#define GK_X(f, s) { s },
	GK_WGD_CNT_LIST(GK_X)
#undef GK_X
}, wgd_ce_cnt[] = {
#define GK_X(f, s) { s },
	GK_WGD_CE_CNT_LIST(GK_X)
#undef GK_X
};

/* ---- families ---- */

static void daemon_info(struct buf *b, struct gk_daemon *d)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	/* not "instance": Prometheus's target label */
	family(b, "info", "gauge",
	       "Always 1: the genkan instance name and version");
	u64(b, "info", 1, "instance_name", d->cfg.instance, "version",
	    GK_VERSION, NULL);
	family(b, "uptime_seconds", "gauge", "Seconds since genkand started");
	sample(b, "uptime_seconds",
	       (double)(now.tv_sec - d->started.tv_sec) +
	       (double)(now.tv_nsec - d->started.tv_nsec) / 1e9, NULL);
	family(b, "workers", "gauge", "Worker threads");
	u64(b, "workers", d->nr_workers, NULL);
	family(b, "worker_stalled", "gauge",
	       "1 when the worker has not beaten its heartbeat for stall_ms");
	for (unsigned w = 0; w < d->nr_workers; w++) {
		char ws[12];

		snprintf(ws, sizeof(ws), "%u", w);
		u64(b, "worker_stalled", d->stalled[w], "worker", ws, NULL);
	}
	family(b, "fib_generation", "gauge", "FIB snapshots published");
	u64(b, "fib_generation", d->fib_generation, NULL);
	family(b, "fib_build_errors_total", "counter",
	       "FIB rebuilds that failed (the previous one kept)");
	u64(b, "fib_build_errors_total", d->fib_build_errors, NULL);
	family(b, "reloads_total", "counter", "Config reloads applied");
	u64(b, "reloads_total", d->reloads, NULL);
	family(b, "port_handoff_switches_total", "counter",
	       "Run-time hand-off mode switches of the port");
	for (unsigned p = 0; p < d->nr_ports; p++)
		u64(b, "port_handoff_switches_total", d->ports[p].hand_switches,
		    "port", d->ports[p].name, NULL);
}

static void workers(struct buf *b, struct gk_daemon *d)
{
	uint64_t held[GK_MAX_WORKERS];
	char name[96];

	for (size_t i = 0; i < NELEM(wk_scalars); i++) {
		snprintf(name, sizeof(name), "worker_%s_total", wk_scalars[i].name);
		family(b, name, "counter", wk_scalars[i].help);
		for (unsigned w = 0; w < d->nr_workers; w++) {
			const char *s = (const char *)&d->workers[w].stats;
			char ws[12];

			snprintf(ws, sizeof(ws), "%u", w);
			u64(b, name, *(const uint64_t *)(s + wk_scalars[i].off),
			    "worker", ws, NULL);
		}
	}
	family(b, "worker_drops_total", "counter",
	       "Packets the worker dropped, by reason (GK_WK_DROP_LIST)");
	per_worker(b, d, "worker_drops_total", offsetof(struct gk_wk_stats, drops),
		   GK_WK_DROP_MAX, "reason", gk_wk_drop_names);
	family(b, "worker_class_packets_total", "counter",
	       "Packets the worker received, by classifier class (GK_CLASS_LIST)");
	per_worker(b, d, "worker_class_packets_total",
		   offsetof(struct gk_wk_stats, class_packets), GK_CLASS_MAX,
		   "class", class_names);
	family(b, "worker_events_total", "counter",
	       "Worker events that are not drops (GK_WK_EVENT_LIST)");
	per_worker(b, d, "worker_events_total",
		   offsetof(struct gk_wk_stats, events), GK_WK_EVENT_MAX, "event",
		   gk_wk_event_names);
	family(b, "worker_accounting_packets_total", "counter",
	       "Packet accounting terms of the worker but held (GK_WK_ACCT_LIST, docs/accounting.md)");
	for (unsigned w = 0; w < d->nr_workers; w++) {
		uint64_t t[GK_WK_ACCT_MAX];
		char ws[12];

		snprintf(ws, sizeof(ws), "%u", w);
		gk_wk_acct(&d->workers[w].stats, t, NULL, NULL);
		for (unsigned i = 0; i < GK_WK_ACCT_MAX; i++)
			if (i != GK_WK_ACCT_HELD)
				u64(b, "worker_accounting_packets_total", t[i],
				    "worker", ws, "term", gk_wk_acct_names[i],
				    NULL);
		held[w] = t[GK_WK_ACCT_HELD];
	}
	family(b, "worker_accounting_held_packets", "gauge",
	       "Frames the worker holds now (reassembly, hold queues, staging): the accounting's held term");
	for (unsigned w = 0; w < d->nr_workers; w++) {
		char ws[12];

		snprintf(ws, sizeof(ws), "%u", w);
		u64(b, "worker_accounting_held_packets", held[w], "worker", ws,
		    NULL);
	}
	family(b, "worker_handoff_packets_total", "counter",
	       "Packets received, by XDP hand-off mode");
	per_worker(b, d, "worker_handoff_packets_total",
		   offsetof(struct gk_wk_stats, hand_packets), GK_HAND_MAX, "mode",
		   gk_hand_names);
}

static void ports(struct buf *b, struct gk_daemon *d)
{
	struct gk_port_xstats sum[GK_MAX_PORTS], x;
	unsigned socks[GK_MAX_PORTS] = { 0 };
	char name[96], help[200];

	for (size_t i = 0; i < NELEM(port_scalars); i++) {
		snprintf(name, sizeof(name), "port_%s_total", port_scalars[i].name);
		family(b, name, "counter", port_scalars[i].help);
		for (unsigned w = 0; w < d->nr_workers; w++) {
			char ws[12];

			snprintf(ws, sizeof(ws), "%u", w);
			for (unsigned p = 0; p < d->nr_ports; p++) {
				const struct gk_port *xp = d->xports[w][p];

				if (!xp)
					continue;
				u64(b, name, *(const uint64_t *)
				    ((const char *)&xp->stats + port_scalars[i].off),
				    "port", d->ports[p].name, "worker", ws, NULL);
			}
		}
	}
	/* The kernel's XDP_STATISTICS, one getsockopt per queue. */
	memset(sum, 0, sizeof(sum));
	for (unsigned p = 0; p < d->nr_ports; p++)
		for (unsigned w = 0; w < d->nr_workers; w++) {
			struct gk_port *xp = d->xports[w][p];

			memset(&x, 0, sizeof(x));
			if (!xp || gk_port_xstats(xp, &x))
				continue;
			socks[p]++;
			gk_cnt_add_fields(&sum[p], &x, &gk_cnt_port_xstats);
		}
	family(b, "port_xsk_sockets", "gauge",
	       "AF_XDP sockets of the port whose kernel counters were read");
	for (unsigned p = 0; p < d->nr_ports; p++)
		u64(b, "port_xsk_sockets", socks[p], "port", d->ports[p].name, NULL);
	for (size_t i = 0; i < gk_cnt_port_xstats.n; i++) {
		const struct gk_cnt_field *f = &gk_cnt_port_xstats.f[i];

		snprintf(name, sizeof(name), "port_xsk_%s_total", f->name);
		snprintf(help, sizeof(help),
			 "Kernel AF_XDP statistic %s, summed over the port's sockets (GK_PORT_XSTATS_LIST)",
			 f->name);
		family(b, name, "counter", help);
		for (unsigned p = 0; p < d->nr_ports; p++)
			u64(b, name, *(const uint64_t *)((const char *)&sum[p] + f->off),
			    "port", d->ports[p].name, NULL);
	}
}

/* HELP of the exception path's families; a name not here gets a plain one. */
static const struct {
	const char *name, *help;
} dpdk_exc_help[] = {
	{ "to_kernel", "Frames the DPDK port's classifier passed to the kernel: written to its TAP" },
	{ "to_kernel_fail", "Frames for the kernel whose TAP write failed (or the port has no TAP)" },
	{ "from_kernel", "Frames the kernel sent on the DPDK port's TAP and the port transmitted" },
	{ "from_kernel_drop", "Frames from the TAP the port did not transmit (tx ring full), and reads given up for want of an mbuf" },
	{ "tap_too_big", "Frames read from the DPDK port's TAP longer than one mbuf holds: dropped, never sent cut" },
	{ "cls_drops", "Frames the DPDK port's classifier dropped (the sum of genkan_dpdk_exception_drops_total)" },
	{ "rx_multiseg", "Chained (multi-segment) mbufs received on the DPDK port: dropped" },
};

/*
 * DPDK ports' exception path, one sample per DPDK port, from the same JSON
 * `genkanctl stats` shows (dpdk_ctl.h); names from GK_DPDK_EXC_CNT_LIST.
 */
static void dpdk(struct buf *b, struct gk_daemon *d)
{
	json_t *arr = gk_dpdk_ctl_stats(d), *p;
	char name[96], help[200];
	size_t i;

	if (!arr) {
		b->oom = true;
		return;
	}
	for (size_t f = 0; f < gk_cnt_dpdk_exc.n; f++) {
		const char *key = gk_cnt_dpdk_exc.f[f].name;

		snprintf(name, sizeof(name), "dpdk_exception_%s_total", key);
		snprintf(help, sizeof(help),
			 "DPDK port exception path %s, summed over the port's queues (GK_DPDK_EXC_CNT_LIST)",
			 key);
		for (size_t h = 0; h < NELEM(dpdk_exc_help); h++)
			if (!strcmp(dpdk_exc_help[h].name, key))
				snprintf(help, sizeof(help), "%s",
					 dpdk_exc_help[h].help);
		family(b, name, "counter", help);
		json_array_foreach(arr, i, p)
			u64(b, name, jnum(p, key), "port",
			    json_string_value(json_object_get(p, "name")), NULL);
	}
	family(b, "dpdk_tap_recreated_total", "counter",
	       "Times genkand made the DPDK port's TAP again after it was deleted");
	json_array_foreach(arr, i, p)
		u64(b, "dpdk_tap_recreated_total", jnum(p, "tap_recreated"),
		    "port", json_string_value(json_object_get(p, "name")), NULL);
	family(b, "dpdk_exception_drops_total", "counter",
	       "Frames the DPDK port's classifier dropped, by reason (GK_XDP_DROP_LIST)");
	json_array_foreach(arr, i, p)
		for (int r = 0; r < GK_XDP_DROP_MAX; r++)
			u64(b, "dpdk_exception_drops_total",
			    jnum(json_object_get(p, "drops"), xdp_drop_names[r]),
			    "port", json_string_value(json_object_get(p, "name")),
			    "reason", xdp_drop_names[r], NULL);
	json_decref(arr);
}

static void xdp_group(struct buf *b, const struct gk_xdp_counter *c, bool ok,
		      const char *what, const char *label,
		      const char *const *names, int n, int first)
{
	char name[64], help[160];

	snprintf(name, sizeof(name), "xdp_%s_packets_total", what);
	snprintf(help, sizeof(help), "Packets the XDP classifier counted, by %s", label);
	family(b, name, "counter", help);
	for (int i = 0; ok && i < n; i++)
		u64(b, name, c[first + i].packets, label, names[i], NULL);
	snprintf(name, sizeof(name), "xdp_%s_bytes_total", what);
	snprintf(help, sizeof(help), "Bytes the XDP classifier counted, by %s", label);
	family(b, name, "counter", help);
	for (int i = 0; ok && i < n; i++)
		u64(b, name, c[first + i].bytes, label, names[i], NULL);
}

static void xdp(struct buf *b, struct gk_daemon *d)
{
	struct gk_xdp_counter c[GK_STAT_MAX];
	bool ok = d->xdp && !gk_xdp_read_stats(d->xdp, c);

	xdp_group(b, c, ok, "class", "class", class_names, GK_CLASS_MAX,
		  GK_STAT_CLASS(0));
	xdp_group(b, c, ok, "drop", "reason", xdp_drop_names, GK_XDP_DROP_MAX,
		  GK_STAT_DROP(0));
	xdp_group(b, c, ok, "event", "event", xdp_event_names, GK_XDP_EV_MAX,
		  GK_STAT_EVENT(0));
}

/* One MAP-E domain summed over the workers, as handlers.c dom_sum(). */
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

static void mape(struct buf *b, struct gk_daemon *d)
{
	unsigned nr = d->map ? gk_map_table_nr_rules(d->map) : 0;
	struct gk_map_dom_stats *s = calloc(nr + 1, sizeof(*s));
	char name[96], help[200];

	if (!s) {
		b->oom = true;
		return;
	}
	if (d->map) {
		for (unsigned i = 0; i <= nr; i++)
			dom_sum(d, i, &s[i]);
		dom_sum(d, UINT32_MAX, &s[nr]);	/* unmatched: last slot + spare */
	}
	for (size_t f = 0; f < gk_cnt_map_dom.n; f++) {
		snprintf(name, sizeof(name), "mape_%s_total", gk_cnt_map_dom.f[f].name);
		snprintf(help, sizeof(help),
			 "MAP-E %s per domain, summed over the workers (GK_MAP_DOM_CNT_LIST)",
			 gk_cnt_map_dom.f[f].name);
		family(b, name, "counter", help);
		for (unsigned i = 0; d->map && i <= nr; i++)
			u64(b, name, *(const uint64_t *)((const char *)&s[i] +
							gk_cnt_map_dom.f[f].off),
			    "domain", i < nr && i < d->cfg.nr_map_rules ?
			    d->cfg.map_rules[i].name : "", NULL);
	}
	family(b, "mape_drops_total", "counter",
	       "MAP-E drops per domain and reason (GK_MAP_DROP_LIST)");
	for (unsigned i = 0; d->map && i <= nr; i++)
		for (int r = 0; r < GK_MAP_DROP_MAX; r++)
			u64(b, "mape_drops_total", s[i].drops[r], "domain",
			    i < nr && i < d->cfg.nr_map_rules ?
			    d->cfg.map_rules[i].name : "",
			    "reason", gk_map_drop_names[r], NULL);
	free(s);
}

static void napt(struct buf *b, struct gk_daemon *d)
{
	struct gk_napt_stats t = { 0 };
	bool on = false;
	char name[96], help[200];

	for (unsigned w = 0; w < d->nr_workers; w++) {
		const struct gk_napt *n = d->workers[w].cfg.napt;
		const struct gk_napt_stats *st;

		if (!n)
			continue;
		on = true;
		st = gk_napt_stats(n);
		gk_cnt_add_fields(&t, st, &gk_cnt_napt);
		gk_cnt_add_array(t.ports_in_use, st->ports_in_use, GK_NAPT_NPROTO);
		gk_cnt_add_array(t.drops, st->drops, GK_NAPT_DROP_MAX);
	}
	for (size_t f = 0; f < gk_cnt_napt.n; f++) {
		/* "sessions" (sess_active) is the one gauge of the list */
		bool gauge = gk_cnt_napt.f[f].off ==
			offsetof(struct gk_napt_stats, sess_active);

		snprintf(name, sizeof(name), gauge ? "napt_%s" : "napt_%s_total",
			 gk_cnt_napt.f[f].name);
		snprintf(help, sizeof(help),
			 "NAPT44 %s, summed over the workers (GK_NAPT_CNT_LIST)",
			 gk_cnt_napt.f[f].name);
		family(b, name, gauge ? "gauge" : "counter", help);
		if (on)
			u64(b, name, *(const uint64_t *)((const char *)&t +
							gk_cnt_napt.f[f].off), NULL);
	}
	family(b, "napt_ports_in_use", "gauge",
	       "NAPT44 outside ports bound now, by protocol (GK_NAPT_PROTO_LIST)");
	for (int p = 0; on && p < GK_NAPT_NPROTO; p++)
		u64(b, "napt_ports_in_use", t.ports_in_use[p], "proto",
		    gk_cnt_napt_proto_names[p], NULL);
	family(b, "napt_drops_total", "counter",
	       "NAPT44 drops by reason (GK_NAPT_DROP_LIST)");
	for (int r = 0; on && r < GK_NAPT_DROP_MAX; r++)
		u64(b, "napt_drops_total", t.drops[r], "reason",
		    gk_napt_drop_names[r], NULL);
}

/* A counter object of `wg show` by an X-list's names: one family each. */
static void wg_names(struct buf *b, json_t *obj, const char *const *keys,
		     size_t n, const char *list)
{
	char name[96], help[200];

	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "wg_%s_total", keys[i]);
		snprintf(help, sizeof(help), "WireGuard %s (%s)", keys[i], list);
		family(b, name, "counter", help);
		if (json_object_get(obj, keys[i]))
			u64(b, name, jnum(obj, keys[i]), NULL);
	}
}

/* The same with a label: one family, one sample per name. */
static void wg_labelled(struct buf *b, const char *fam, const char *help,
			json_t *obj, const char *label,
			const char *const *keys, size_t n)
{
	family(b, fam, "counter", help);
	for (size_t i = 0; obj && i < n; i++)
		u64(b, fam, jnum(obj, keys[i]), label, keys[i], NULL);
}

static void wg(struct buf *b, struct gk_daemon *d)
{
	json_t *j = d->wgd ? gk_wgd_show(d->wgd) : NULL;
	json_t *peers = json_object_get(j, "peers"), *p;
	json_t *cnt = json_object_get(j, "counters");
	json_t *ce = json_object_get(j, "mape_ce");
	const char *keys[64];
	char name[96], help[200];
	size_t i;

	for (size_t f = 0; f < NELEM(wg_peer_cnt); f++) {
		snprintf(name, sizeof(name), "wg_peer_%s_total", wg_peer_cnt[f].field);
		snprintf(help, sizeof(help),
			 "WireGuard peer %s: messages to/from it, handshakes included (GK_WG_PEER_CNT_LIST)",
			 wg_peer_cnt[f].field);
		family(b, name, "counter", help);
		json_array_foreach(peers, i, p)
			u64(b, name, jnum(p, wg_peer_cnt[f].key), "peer",
			    json_string_value(json_object_get(p, "public_key")),
			    "name", json_string_value(json_object_get(p, "name")),
			    NULL);
	}
	family(b, "wg_peer_latest_handshake_seconds", "gauge",
	       "Unix time of the peer's last completed handshake, 0 never");
	json_array_foreach(peers, i, p)
		u64(b, "wg_peer_latest_handshake_seconds",
		    jnum(p, "latest_handshake"), "peer",
		    json_string_value(json_object_get(p, "public_key")),
		    "name", json_string_value(json_object_get(p, "name")), NULL);

	for (i = 0; i < NELEM(wgd_cnt); i++)
		keys[i] = wgd_cnt[i].key;
	wg_names(b, cnt, keys, NELEM(wgd_cnt), "GK_WGD_CNT_LIST");
	wg_names(b, cnt, gk_wg_pending_cnt_names, GK_WG_PENDING_CNT_MAX,
		 "GK_WG_PENDING_CNT_LIST");
	for (i = 0; i < NELEM(wgd_ce_cnt); i++)
		keys[i] = wgd_ce_cnt[i].key;
	wg_names(b, ce, keys, NELEM(wgd_ce_cnt), "GK_WGD_CE_CNT_LIST");
	wg_labelled(b, "wg_drops_total",
		    "WireGuard stage drops by reason, summed over the workers (GK_WG_DROP_LIST)",
		    json_object_get(j, "drops"), "reason", gk_wg_drop_names,
		    GK_WG_DROP_MAX);
	wg_labelled(b, "wg_events_total",
		    "WireGuard stage events, summed over the workers (GK_WG_EVC_LIST)",
		    json_object_get(j, "events"), "event", gk_wg_evc_names,
		    GK_WG_EVC_MAX);
	wg_labelled(b, "wg_return_path_total",
		    "return_path = flow events, summed over the workers (GK_WG_RPATH_CNT_LIST)",
		    json_object_get(j, "return_path"), "event",
		    gk_wg_rpath_cnt_names, GK_WG_RPATH_CNT_MAX);
	json_decref(j);
}

static void l4_backend(struct buf *b, const char *fam, json_t *svcs,
		       const char *key, bool health)
{
	json_t *s, *be;
	size_t i, k;

	json_array_foreach(svcs, i, s)
		json_array_foreach(json_object_get(s, "backends"), k, be) {
			json_t *h = json_object_get(be, "health");
			json_t *o = health ? h : be;

			if (health && !json_object_get(h, key))
				continue;
			if (!strcmp(key, "up"))
				u64(b, fam, !strcmp(json_string_value(
					json_object_get(be, "state")) ?: "", "up"),
				    "service", json_string_value(json_object_get(s, "name")),
				    "backend", json_string_value(json_object_get(be, "backend")),
				    NULL);
			else
				u64(b, fam, jnum(o, key),
				    "service", json_string_value(json_object_get(s, "name")),
				    "backend", json_string_value(json_object_get(be, "backend")),
				    NULL);
		}
}

static void l4_snat(struct buf *b, const char *fam, json_t *svcs,
		    const char *key)
{
	json_t *s, *sn;
	size_t i;

	json_array_foreach(svcs, i, s)
		if ((sn = json_object_get(s, "snat")))
			u64(b, fam, jnum(sn, key), "service",
			    json_string_value(json_object_get(s, "name")), NULL);
}

static void l4(struct buf *b, struct gk_daemon *d)
{
	/* no live flow count: it would wait on every worker's mailbox */
	json_t *args = json_pack("{s:s, s:b}", "op", "show", "flows", 0),
	       *j = NULL, *svcs, *cnt;
	char err[256], name[96], help[200];

	if (d->cfg.l4 && args &&
	    gk_l4_cmd(d, args, &j, err, sizeof(err)))
		j = NULL;
	json_decref(args);
	svcs = json_object_get(j, "services");
	cnt = json_object_get(j, "counters");
	for (int i = 0; i < GK_L4_CNT_MAX; i++) {
		snprintf(name, sizeof(name), "l4_%s_total", gk_l4_cnt_names[i]);
		snprintf(help, sizeof(help),
			 "L4 front door %s, summed over the workers and services (GK_L4_CNT_LIST)",
			 gk_l4_cnt_names[i]);
		family(b, name, "counter", help);
		if (cnt)
			u64(b, name, jnum(cnt, gk_l4_cnt_names[i]), NULL);
	}
	family(b, "l4_backend_packets_total", "counter",
	       "Packets forwarded to the backend, summed over the workers");
	l4_backend(b, "l4_backend_packets_total", svcs, "packets", false);
	family(b, "l4_backend_bytes_total", "counter",
	       "Bytes forwarded to the backend, summed over the workers");
	l4_backend(b, "l4_backend_bytes_total", svcs, "bytes", false);
	family(b, "l4_backend_up", "gauge",
	       "1 when the backend's effective state is up");
	l4_backend(b, "l4_backend_up", svcs, "up", false);
	family(b, "l4_backend_table_slots", "gauge",
	       "The backend's entries in the service's current Maglev table");
	l4_backend(b, "l4_backend_table_slots", svcs, "table_slots", false);
	family(b, "l4_backend_health_checks_total", "counter",
	       "Health check probes sent to the backend");
	l4_backend(b, "l4_backend_health_checks_total", svcs, "checks", true);
	family(b, "l4_backend_health_failures_total", "counter",
	       "Health check probes that failed");
	l4_backend(b, "l4_backend_health_failures_total", svcs, "failures", true);
	family(b, "l4_backend_health_transitions_total", "counter",
	       "Health state changes (up to down and back)");
	l4_backend(b, "l4_backend_health_transitions_total", svcs, "transitions",
		   true);
	family(b, "l4_snat_ports_in_use", "gauge",
	       "client_ip = snat: pool ports bound now");
	l4_snat(b, "l4_snat_ports_in_use", svcs, "in_use");
	family(b, "l4_snat_ports_capacity", "gauge",
	       "client_ip = snat: pool ports of all workers");
	l4_snat(b, "l4_snat_ports_capacity", svcs, "capacity");
	json_decref(j);
}

static void self(struct buf *b, struct gk_metrics *m)
{
	family(b, "metrics_scrapes_total", "counter",
	       "Requests for /metrics answered");
	u64(b, "metrics_scrapes_total", m ? atomic_load(&m->scrapes) : 0, NULL);
	family(b, "metrics_stale_total", "counter",
	       "Scrapes answered with the previous text: the control thread did not render within 1 s");
	u64(b, "metrics_stale_total", m ? atomic_load(&m->stale) : 0, NULL);
	family(b, "metrics_not_found_total", "counter",
	       "HTTP requests for another path or with another method");
	u64(b, "metrics_not_found_total", m ? atomic_load(&m->not_found) : 0,
	    NULL);
}

char *gk_metrics_render(struct gk_daemon *d, size_t *len)
{
	struct buf b = { 0 };

	daemon_info(&b, d);
	workers(&b, d);
	ports(&b, d);
	dpdk(&b, d);
	xdp(&b, d);
	mape(&b, d);
	napt(&b, d);
	wg(&b, d);
	l4(&b, d);
	self(&b, d->metrics);
	if (b.oom || !b.p) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* ---- the HTTP thread ---- */

static int reply(struct MHD_Connection *c, unsigned code, const char *type,
		 const char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	int ret;

	r = MHD_create_response_from_buffer(len, (void *)body, mode);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static void deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_len, void **ctx)
{
	static const char nf[] = "not found: genkand serves /metrics\n";
	static const char busy[] = "no metrics rendered yet\n";
	struct gk_metrics *m = cls;
	struct timespec ts;
	uint64_t target;
	char *copy = NULL;
	size_t len = 0;
	bool fresh = true;

	(void)version;
	(void)upload;
	if (!*ctx) {		/* headers only so far: answer on the next call */
		*ctx = m;
		return MHD_YES;
	}
	if (*upload_len) {	/* a body nobody asked for: skip it */
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") ||
	    (strcmp(method, "GET") && strcmp(method, "HEAD"))) {
		atomic_fetch_add(&m->not_found, 1);
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", nf,
			     sizeof(nf) - 1, MHD_RESPMEM_PERSISTENT);
	}
	target = atomic_fetch_add(&m->want, 1) + 1;
	deadline(&ts, WAIT_MS);
	pthread_mutex_lock(&m->lock);
	while (m->gen < target)
		if (pthread_cond_timedwait(&m->done, &m->lock, &ts) == ETIMEDOUT) {
			fresh = m->gen >= target;
			break;
		}
	if (m->text && (copy = malloc(m->len)))
		memcpy(copy, m->text, len = m->len);
	pthread_mutex_unlock(&m->lock);
	if (!fresh)
		atomic_fetch_add(&m->stale, 1);
	if (!copy)
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", busy,
			     sizeof(busy) - 1, MHD_RESPMEM_PERSISTENT);
	atomic_fetch_add(&m->scrapes, 1);
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
		     copy, len, MHD_RESPMEM_MUST_FREE);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	gk_dbg("metrics: %s", msg);
}

bool gk_metrics_tick(struct gk_daemon *d)
{
	struct gk_metrics *m = d->metrics;
	uint64_t want;
	char *text, *old;
	size_t len;

	if (!m)
		return false;
	want = atomic_load(&m->want);
	pthread_mutex_lock(&m->lock);
	if (m->gen >= want) {
		pthread_mutex_unlock(&m->lock);
		return false;
	}
	pthread_mutex_unlock(&m->lock);
	/* Rendered without the lock: the HTTP thread may serve the last one. */
	text = gk_metrics_render(d, &len);
	if (!text) {
		gk_warn("metrics: out of memory rendering, serving the last text");
		return true;
	}
	pthread_mutex_lock(&m->lock);
	old = m->text;
	m->text = text;
	m->len = len;
	m->gen = want;
	pthread_cond_broadcast(&m->done);
	pthread_mutex_unlock(&m->lock);
	free(old);
	return true;
}

int gk_metrics_start(struct gk_daemon *d, char *err, size_t errlen)
{
	const struct gk_config_metrics *c = &d->cfg.metrics;
	struct sockaddr_storage ss = { 0 };
	struct gk_metrics *m;
	pthread_condattr_t ca;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_USE_ERROR_LOG;

	if (!c->enabled)
		return 0;
	if (c->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(c->port);
		memcpy(&s6->sin6_addr, c->addr, 16);
		flags |= MHD_USE_IPv6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(c->port);
		memcpy(&s4->sin_addr, c->addr, 4);
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "metrics: out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->done, &ca);
	pthread_condattr_destroy(&ca);
	d->metrics = m;
	/* The thread inherits the blocked signals of gk_daemon_start(). */
	m->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_END);
	if (!m->mhd) {
		snprintf(err, errlen,
			 "%s:%u: [metrics] listen %s: cannot listen (address in use or not local?)",
			 d->cfg.path, c->listen_line, c->listen);
		gk_metrics_stop(d);
		return -EADDRNOTAVAIL;
	}
	gk_info("metrics: serving http://%s/metrics", c->listen);
	return 0;
}

void gk_metrics_stop(struct gk_daemon *d)
{
	struct gk_metrics *m = d->metrics;

	if (!m)
		return;
	if (m->mhd)
		MHD_stop_daemon(m->mhd);
	pthread_cond_destroy(&m->done);
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	free(m);
	d->metrics = NULL;
}
