// SPDX-License-Identifier: BSD-3-Clause
/* genkand NAPT44: instances, mailboxes, logs and the "nat" command. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "handoff.h"
#include "map_rule.h"
#include "mbox.h"
#include "napt.h"
#include "spsc.h"
#include "worker.h"

#include "config_wg_mape.h"
#include "counters_json.h"
#include "daemon.h"
#include "log.h"
#include "nat_ctl.h"

#define EV_RING		4096	/* events per worker between two ticks */
#define HANDOFF_RING	256	/* frames per (from, to) worker pair */
#define MBOX_TIMEOUT_MS	1000	/* a worker answers within one pass */
#define EXH_LOG_S	10	/* at most one exhaustion line per this */
#define MAX_RANGES	1024	/* ranges reported per protocol */

enum { OP_SESS, OP_HOSTS, OP_RANGES, OP_SADD, OP_SDEL, OP_SLIST };

/* One request per worker; it outlives a timed-out call (mbox.h). */
struct nat_req {
	int op;
	struct gk_napt_static st;
	bool flag;			/* exist_ok / missing_ok */
	int rc;
	char err[192];
	void *buf;
	unsigned cap, count;
	uint32_t ranges[GK_NAPT_NPROTO][MAX_RANGES];
	unsigned nr_ranges;
};

struct gk_nat_state {
	unsigned nr;
	struct gk_map_ce_params cp;
	struct gk_napt_cfg cfg[GK_MAX_WORKERS];
	struct gk_napt *napt[GK_MAX_WORKERS];
	struct gk_spsc *ev[GK_MAX_WORKERS];
	struct nat_req req[GK_MAX_WORKERS];	/* through d->mbox[] */
	struct gk_handoff *ho;
	FILE *evlog;
	uint64_t refused_logged, last_exh_ns;
	uint64_t ev_written;
};

static const uint8_t nat_protos[GK_NAPT_NPROTO] = {
	[GK_NAPT_TCP] = IPPROTO_TCP, [GK_NAPT_UDP] = IPPROTO_UDP,
	[GK_NAPT_ICMP] = IPPROTO_ICMP,
};

static const char *proto_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" :
	       p == IPPROTO_ICMP ? "icmp" : "?";
}

static int proto_parse(const char *s)
{
	if (!strcmp(s, "tcp"))
		return IPPROTO_TCP;
	if (!strcmp(s, "udp"))
		return IPPROTO_UDP;
	if (!strcmp(s, "icmp"))
		return IPPROTO_ICMP;
	return -1;
}

static size_t buf_elem(void)
{
	size_t a = sizeof(struct gk_napt_sess_info);

	if (sizeof(struct gk_napt_host_info) > a)
		a = sizeof(struct gk_napt_host_info);
	if (sizeof(struct gk_napt_static) > a)
		a = sizeof(struct gk_napt_static);
	return a;
}

/* The mapped LAN endpoint's outbound packets go to the port's owner. */
static int steer_set(struct gk_nat_state *s, const struct gk_napt_static *m,
		     unsigned w)
{
	uint32_t a = (uint32_t)m->in_addr[0] << 24 | (uint32_t)m->in_addr[1] << 16 |
		     (uint32_t)m->in_addr[2] << 8 | m->in_addr[3];

	return s->ho ? gk_handoff_static_set(s->ho, m->proto, a, m->in_port, w) : 0;
}

int gk_nat_start(struct gk_daemon *d, char *err, size_t errlen)
{
	const struct gk_config_nat *nc = &d->cfg.nat;
	struct gk_nat_state *s;
	char why[256];
	int ret = -ENOMEM;
	unsigned w, i;

	if (!nc->present || !nc->enabled)
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto err_oom;
	d->nat = s;
	s->nr = d->nr_workers;
	ret = gk_config_nat_ce(&d->cfg, &s->cp, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "%s:%u: [nat]: %s", d->cfg.path, nc->line, why);
		return ret;
	}
	if (nc->event_log[0]) {
		s->evlog = fopen(nc->event_log, "ae");
		if (!s->evlog) {
			ret = -errno;
			snprintf(err, errlen, "[nat] event_log %s: %s",
				 nc->event_log, strerror(errno));
			return ret;
		}
		setvbuf(s->evlog, NULL, _IOLBF, 0);
	}
	if (s->nr > 1) {
		s->ho = gk_handoff_create(s->nr, HANDOFF_RING);
		if (!s->ho)
			goto err_oom;
	}
	for (w = 0; w < s->nr; w++) {
		struct gk_napt_cfg *c = &s->cfg[w];
		struct nat_req *r = &s->req[w];

		memcpy(c->ext_addr, s->cp.ipv4, 4);
		c->psid_offset = s->cp.psid_offset;
		c->psid_len = s->cp.psid_len;
		c->psid = s->cp.psid;
		c->worker = (uint16_t)w;
		c->nr_workers = (uint16_t)s->nr;
		c->max_sessions = nc->max_sessions;
		/*
		 * Each worker counts only its own bindings, and a host's flows
		 * hash evenly over the workers: an equal share keeps the
		 * household-wide total within host_port_limit.
		 */
		c->host_limit = nc->host_port_limit;
		if (c->host_limit && s->nr > 1)
			c->host_limit = c->host_limit / s->nr ? c->host_limit / s->nr : 1;
		c->udp_s = nc->udp_timeout;
		c->tcp_est_s = nc->tcp_established_timeout;
		c->tcp_trans_s = nc->tcp_transitory_timeout;
		c->icmp_s = nc->icmp_timeout;
		c->holddown_s = nc->hold_down ? nc->hold_down : UINT32_MAX;
		c->filter = nc->filter;
		c->seed = (uint32_t)gk_mono_ns() ^ w * 0x9e3779b1u;
		/* WireGuard sends from ListenPort: never a NAPT binding. */
		if (gk_config_wg_ce_port(&d->cfg)) {
			c->reserved[0].proto = IPPROTO_UDP;
			c->reserved[0].port = gk_config_wg_ce_port(&d->cfg);
			c->nr_reserved = 1;
		}
		if (s->evlog) {
			s->ev[w] = gk_spsc_create(sizeof(struct gk_napt_event),
						  EV_RING);
			if (!s->ev[w])
				goto err_oom;
			c->log = s->ev[w];
		}
		s->napt[w] = gk_napt_create(c, &ret, why, sizeof(why));
		if (!s->napt[w]) {
			snprintf(err, errlen, "%s:%u: [nat] worker %u: %s",
				 d->cfg.path, nc->line, w, why);
			return ret ? ret : -EINVAL;
		}
		r->cap = c->max_sessions ? c->max_sessions : 65536;
		if (r->cap < 1024)
			r->cap = 1024;	/* the per-host table's default size */
		r->buf = calloc(r->cap, buf_elem());
		if (!r->buf)
			goto err_oom;
	}
	/* Workers are not running yet: their tables are ours to write. */
	for (i = 0; i < nc->nr_maps; i++) {
		const struct gk_config_nat_map *m = &nc->maps[i];
		struct gk_napt_static st = {
			.proto = m->proto, .ext_port = m->public_port,
			.in_port = m->host_port,
		};

		memcpy(st.in_addr, m->host, 4);
		w = gk_napt_port_owner(&s->cfg[0], m->public_port);
		if (w >= s->nr)
			w = 0;
		ret = gk_napt_static_add(s->napt[w], &st, false, why, sizeof(why));
		if (!ret)
			ret = steer_set(s, &st, w);
		if (ret) {
			snprintf(err, errlen, "%s:%u: nat-map '%s': %s",
				 d->cfg.path, m->line, m->name,
				 ret == -ENOSPC ? "too many static mappings" : why);
			return ret;
		}
	}
	gk_info("nat: %u worker(s), filtering %s, %u static mapping(s), event log %s",
		s->nr, nc->filter ? "eif" : "apdf", nc->nr_maps,
		s->evlog ? nc->event_log : "off");
	return 0;

err_oom:
	snprintf(err, errlen, "[nat]: out of memory");
	return -ENOMEM;
}

void gk_nat_worker_cfg(struct gk_daemon *d, unsigned w,
		       struct gk_worker_cfg *wc)
{
	struct gk_nat_state *s = d->nat;

	if (!s || w >= s->nr)
		return;
	wc->napt = s->napt[w];
	wc->napt_cfg = &s->cfg[w];
	wc->handoff = s->ho;
	wc->nr_workers = s->nr;
}

void gk_nat_stop(struct gk_daemon *d)
{
	struct gk_nat_state *s = d->nat;

	if (!s)
		return;
	for (unsigned w = 0; w < GK_MAX_WORKERS; w++) {
		gk_napt_free(s->napt[w]);
		gk_spsc_destroy(s->ev[w]);
		free(s->req[w].buf);
	}
	gk_handoff_free(s->ho);
	if (s->evlog)
		fclose(s->evlog);
	free(s);
	d->nat = NULL;
}

static void fmt_time(uint64_t ts_ns, char *buf, size_t len)
{
	struct timespec rt;
	struct tm tm;
	uint64_t now_mono = gk_mono_ns(), real_ns, age;
	time_t sec;

	clock_gettime(CLOCK_REALTIME, &rt);
	age = now_mono > ts_ns ? now_mono - ts_ns : 0;
	real_ns = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec - age;
	sec = (time_t)(real_ns / 1000000000ull);
	gmtime_r(&sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec,
		 (unsigned)(real_ns % 1000000000ull / 1000000));
}

static void drain_events(struct gk_nat_state *s)
{
	struct gk_napt_event ev[64];
	char ts[64], a[16], b[16], c[16];
	unsigned w, n, i;

	for (w = 0; w < s->nr; w++) {
		if (!s->ev[w])
			continue;
		while ((n = gk_spsc_pop(s->ev[w], ev, 64))) {
			for (i = 0; i < n; i++) {
				fmt_time(ev[i].ts_ns, ts, sizeof(ts));
				inet_ntop(AF_INET, ev[i].in_addr, a, sizeof(a));
				inet_ntop(AF_INET, ev[i].ext_addr, b, sizeof(b));
				inet_ntop(AF_INET, ev[i].rem_addr, c, sizeof(c));
				fprintf(s->evlog, "%s %s %s %s:%u %s:%u %s:%u\n", ts,
					ev[i].type == GK_NAPT_EV_CREATE ? "create" :
									  "delete",
					proto_name(ev[i].proto), a, ev[i].in_port,
					b, ev[i].ext_port, c, ev[i].rem_port);
				s->ev_written++;
			}
		}
	}
}

bool gk_nat_tick(struct gk_daemon *d)
{
	struct gk_nat_state *s = d->nat;
	uint64_t exh = 0, lim = 0, now, written;

	if (!s)
		return false;
	written = s->ev_written;
	if (s->evlog)
		drain_events(s);
	for (unsigned w = 0; w < s->nr; w++) {
		const struct gk_napt_stats *st = gk_napt_stats(s->napt[w]);

		exh += st->drops[GK_NAPT_DROP_EXHAUSTED];
		lim += st->drops[GK_NAPT_DROP_HOST_LIMIT];
	}
	now = gk_mono_ns();
	if (exh + lim != s->refused_logged &&
	    now - s->last_exh_ns >= EXH_LOG_S * 1000000000ull) {
		gk_event(GK_LOG_WARN, "nat", "napt_exhausted",
			 GK_KVS(GK_KV_N("refused", exh + lim - s->refused_logged),
				GK_KV_N("exhausted_total", exh),
				GK_KV_N("host_limit_total", lim)),
			 "nat: %llu new flow(s) refused since the last report "
			 "(port set exhausted: %llu, host_port_limit: %llu in total); "
			 "see genkanctl nat stats",
			 (unsigned long long)(exh + lim - s->refused_logged),
			 (unsigned long long)exh, (unsigned long long)lim);
		s->refused_logged = exh + lim;
		s->last_exh_ns = now;
	}
	return s->ev_written != written;
}

/* ---- control requests, run on the worker's thread (mbox.h) ---- */

static void run_req(void *arg, void *wctx)
{
	struct nat_req *r = arg;
	struct gk_worker *w = wctx;
	struct gk_napt *n = w->cfg.napt;
	unsigned i;

	r->rc = 0;
	r->err[0] = '\0';
	switch (r->op) {
	case OP_SESS:
		r->count = gk_napt_sessions(n, r->buf, r->cap);
		break;
	case OP_HOSTS:
		r->count = gk_napt_hosts(n, r->buf, r->cap);
		break;
	case OP_SLIST:
		r->count = gk_napt_static_list(n, r->buf, r->cap);
		break;
	case OP_RANGES:
		for (i = 0; i < GK_NAPT_NPROTO; i++)
			r->nr_ranges = gk_napt_range_usage(n, nat_protos[i],
							   r->ranges[i],
							   MAX_RANGES);
		break;
	case OP_SADD:
		r->rc = gk_napt_static_add(n, &r->st, r->flag, r->err,
					   sizeof(r->err));
		break;
	case OP_SDEL:
		r->rc = gk_napt_static_del(n, r->st.proto, r->st.ext_port,
					   r->flag);
		break;
	}
}

static int call(struct gk_daemon *d, unsigned w, int op, char *err,
		size_t errlen)
{
	struct gk_nat_state *s = d->nat;
	int ret;

	s->req[w].op = op;
	ret = gk_mbox_call(&d->mbox[w], run_req, &s->req[w], MBOX_TIMEOUT_MS);
	if (ret)
		snprintf(err, errlen, "nat: worker %u %s", w,
			 ret == -EBUSY ? "is still busy with an earlier request" :
					 "did not answer in time");
	return ret;
}

static json_t *jaddr(const uint8_t a[4])
{
	char b[16];

	inet_ntop(AF_INET, a, b, sizeof(b));
	return json_string(b);
}

static const char *const tcp_states[] = { "new", "established", "transitory" };

static int nat_sessions(struct gk_daemon *d, json_t *args, json_t **result,
			char *err, size_t errlen)
{
	struct gk_nat_state *s = d->nat;
	const char *host = json_string_value(json_object_get(args, "host"));
	const char *proto = json_string_value(json_object_get(args, "proto"));
	json_t *jport = json_object_get(args, "port");
	uint8_t haddr[4];
	int pr = -1;
	json_int_t port = -1;
	uint64_t now = gk_mono_ns(), total = 0;
	json_t *arr;
	int ret;

	if (host && inet_pton(AF_INET, host, haddr) != 1) {
		snprintf(err, errlen, "nat sessions: host '%s' is not an IPv4 address", host);
		return -EINVAL;
	}
	if (proto && (pr = proto_parse(proto)) < 0) {
		snprintf(err, errlen, "nat sessions: proto must be tcp, udp or icmp");
		return -EINVAL;
	}
	if (jport && !json_is_null(jport)) {
		port = json_is_integer(jport) ? json_integer_value(jport) : -1;
		if (port < 0 || port > 65535) {
			snprintf(err, errlen, "nat sessions: port must be 0..65535");
			return -EINVAL;
		}
	}
	arr = json_array();
	for (unsigned w = 0; w < s->nr; w++) {
		const struct gk_napt_sess_info *si = s->req[w].buf;
		unsigned n;

		ret = call(d, w, OP_SESS, err, errlen);
		if (ret) {
			json_decref(arr);
			return ret;
		}
		n = s->req[w].count < s->req[w].cap ? s->req[w].count : s->req[w].cap;
		total += s->req[w].count;
		for (unsigned i = 0; i < n; i++, si++) {
			json_t *o;

			if (host && memcmp(si->in_addr, haddr, 4))
				continue;
			if (pr >= 0 && si->proto != pr)
				continue;
			if (port >= 0 && si->in_port != port &&
			    si->ext_port != port && si->rem_port != port)
				continue;
			o = json_pack("{s:s, s:o, s:i, s:o, s:i, s:o, s:i, s:s, s:I, s:i}",
				      "proto", proto_name(si->proto),
				      "inside_addr", jaddr(si->in_addr),
				      "inside_port", si->in_port,
				      "outside_addr", jaddr(s->cfg[w].ext_addr),
				      "outside_port", si->ext_port,
				      "remote_addr", jaddr(si->rem_addr),
				      "remote_port", si->rem_port,
				      "state", si->proto == IPPROTO_TCP &&
					       si->tcp_state < 3 ?
						tcp_states[si->tcp_state] : "-",
				      "expires_in_s", (json_int_t)(si->expire_ns > now ?
						(si->expire_ns - now) / 1000000000ull : 0),
				      "worker", (int)w);
			json_array_append_new(arr, o);
		}
	}
	*result = json_pack("{s:o, s:I}", "sessions", arr, "total",
			    (json_int_t)total);
	return *result ? 0 : -ENOMEM;
}

static int nat_stats(struct gk_daemon *d, json_t **result, char *err,
		     size_t errlen)
{
	struct gk_nat_state *s = d->nat;
	struct gk_napt_stats t = { 0 };
	static const int refusals[] = {
		GK_NAPT_DROP_EXHAUSTED, GK_NAPT_DROP_HOST_LIMIT,
	};
	uint64_t rng[MAX_RANGES][GK_NAPT_NPROTO] = { { 0 } };
	unsigned nr_ranges = 0;
	json_t *workers = json_array(), *hosts = json_array();
	json_t *ranges = json_array(), *totals;
	int ret = 0;

	for (unsigned w = 0; w < s->nr; w++) {
		const struct gk_napt_stats *st = gk_napt_stats(s->napt[w]);
		const struct gk_worker *wk = &d->workers[w];
		const struct gk_napt_host_info *hi = s->req[w].buf;

		gk_cnt_add_fields(&t, st, &gk_cnt_napt);
		gk_cnt_add_array(t.ports_in_use, st->ports_in_use,
				 GK_NAPT_NPROTO);
		gk_cnt_add_array(t.drops, st->drops, GK_NAPT_DROP_MAX);
		json_array_append_new(workers, json_pack(
			"{s:i, s:I, s:I, s:I, s:I, s:I, s:I}", "worker", (int)w,
			"sessions", (json_int_t)st->sess_active,
			"out_pkts", (json_int_t)st->out_pkts,
			"in_pkts", (json_int_t)st->in_pkts,
			"handed_over", (json_int_t)wk->nat.handed_over,
			"taken_over", (json_int_t)wk->nat.taken_over,
			"handoff_drops", (json_int_t)(wk->nat.handoff_full +
						      wk->nat.handoff_nobuf)));

		ret = call(d, w, OP_RANGES, err, errlen);
		if (ret)
			goto out;
		nr_ranges = s->req[w].nr_ranges < MAX_RANGES ?
			s->req[w].nr_ranges : MAX_RANGES;
		for (int p = 0; p < GK_NAPT_NPROTO; p++)
			for (unsigned r = 0; r < nr_ranges; r++)
				rng[r][p] += s->req[w].ranges[p][r];

		ret = call(d, w, OP_HOSTS, err, errlen);
		if (ret)
			goto out;
		for (unsigned i = 0; i < s->req[w].count && i < s->req[w].cap; i++)
			json_array_append_new(hosts, json_pack(
				"{s:o, s:i, s:I, s:i}", "addr", jaddr(hi[i].addr),
				"ports", (int)hi[i].ports,
				"refused", (json_int_t)hi[i].refused,
				"worker", (int)w));
	}
	/*
	 * GK_NAPT_CNT_LIST, the drop reasons, then the two reasons that
	 * refuse new flows once more at the top level.
	 */
	totals = gk_cnt_json_set(gk_cnt_json_fields(json_object(), &gk_cnt_napt,
						    &t),
		"drops", gk_cnt_json_array(json_object(), gk_napt_drop_names,
					   t.drops, GK_NAPT_DROP_MAX));
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		totals = gk_cnt_json_set(totals, gk_napt_drop_names[refusals[i]],
			json_integer((json_int_t)t.drops[refusals[i]]));
	for (unsigned r = 0; r < nr_ranges; r++) {
		uint16_t first = 0;
		unsigned a = s->cp.psid_offset, k = s->cp.psid_len;
		unsigned m = 16 - a - k;

		if (k)
			first = (uint16_t)((r + 1) << (16 - a) |
					   (unsigned)s->cp.psid << m);
		json_array_append_new(ranges, gk_cnt_json_array(json_pack(
			"{s:i, s:i}", "range", (int)r + 1,
			"first_port", k ? (int)first : 1024),
			gk_cnt_napt_proto_names, rng[r], GK_NAPT_NPROTO));
	}
	*result = json_pack("{s:o, s:o, s:o, s:o, s:o, s:{s:o, s:i, s:i, s:i}}",
			    "totals", totals,
			    "ports_in_use", gk_cnt_json_array(json_object(),
					gk_cnt_napt_proto_names, t.ports_in_use,
					GK_NAPT_NPROTO),
			    "ranges", ranges,
			    "hosts", hosts,
			    "workers", workers,
			    "port_set",
			    "address", jaddr(s->cp.ipv4),
			    "psid", (int)s->cp.psid,
			    "psid_len", (int)s->cp.psid_len,
			    "psid_offset", (int)s->cp.psid_offset);
	return *result ? 0 : -ENOMEM;
out:
	json_decref(workers);
	json_decref(hosts);
	json_decref(ranges);
	return ret;
}

static int nat_mappings(struct gk_daemon *d, json_t **result, char *err,
			size_t errlen)
{
	struct gk_nat_state *s = d->nat;
	json_t *arr = json_array();
	int ret;

	for (unsigned w = 0; w < s->nr; w++) {
		const struct gk_napt_static *m = s->req[w].buf;

		ret = call(d, w, OP_SLIST, err, errlen);
		if (ret) {
			json_decref(arr);
			return ret;
		}
		for (unsigned i = 0; i < s->req[w].count && i < s->req[w].cap; i++)
			json_array_append_new(arr, json_pack(
				"{s:s, s:i, s:o, s:i, s:i}", "proto",
				proto_name(m[i].proto), "public_port",
				(int)m[i].ext_port, "host", jaddr(m[i].in_addr),
				"host_port", (int)m[i].in_port, "worker", (int)w));
	}
	*result = json_pack("{s:o}", "mappings", arr);
	return *result ? 0 : -ENOMEM;
}

static int nat_map_change(struct gk_daemon *d, json_t *args, bool add,
			  json_t **result, char *err, size_t errlen)
{
	struct gk_nat_state *s = d->nat;
	const char *proto = json_string_value(json_object_get(args, "proto"));
	const char *host = json_string_value(json_object_get(args, "host"));
	json_t *jp = json_object_get(args, "public_port");
	json_t *jhp = json_object_get(args, "host_port");
	struct nat_req *r;
	json_int_t port, hport = 0;
	unsigned w;
	int pr, ret;

	pr = proto ? proto_parse(proto) : -1;
	if (pr != IPPROTO_TCP && pr != IPPROTO_UDP) {
		snprintf(err, errlen, "nat mappings: proto must be tcp or udp");
		return -EINVAL;
	}
	port = json_is_integer(jp) ? json_integer_value(jp) : -1;
	if (port < 1 || port > 65535) {
		snprintf(err, errlen, "nat mappings: public_port must be 1..65535");
		return -EINVAL;
	}
	w = gk_napt_port_owner(&s->cfg[0], (uint16_t)port);
	if (w >= s->nr)
		w = 0;
	r = &s->req[w];
	if (!gk_mbox_idle(&d->mbox[w])) {
		snprintf(err, errlen, "nat: worker %u is still busy with an earlier request", w);
		return -EBUSY;
	}
	memset(&r->st, 0, sizeof(r->st));
	r->st.proto = (uint8_t)pr;
	r->st.ext_port = (uint16_t)port;
	if (add) {
		hport = json_is_integer(jhp) ? json_integer_value(jhp) : -1;
		if (!host || inet_pton(AF_INET, host, r->st.in_addr) != 1) {
			snprintf(err, errlen, "nat mappings add: host must be an IPv4 address");
			return -EINVAL;
		}
		if (hport < 1 || hport > 65535) {
			snprintf(err, errlen, "nat mappings add: host_port must be 1..65535");
			return -EINVAL;
		}
		r->st.in_port = (uint16_t)hport;
		r->flag = json_is_true(json_object_get(args, "exist_ok"));
	} else {
		r->flag = json_is_true(json_object_get(args, "missing_ok"));
	}
	if (!add) {
		/* The target, for the steering entry: list the owner's maps. */
		const struct gk_napt_static *m = r->buf;

		ret = call(d, w, OP_SLIST, err, errlen);
		if (ret)
			return ret;
		for (unsigned i = 0; i < r->count && i < r->cap; i++)
			if (m[i].proto == pr && m[i].ext_port == port) {
				memcpy(r->st.in_addr, m[i].in_addr, 4);
				r->st.in_port = m[i].in_port;
			}
		r->op = OP_SDEL;
	}
	ret = call(d, w, add ? OP_SADD : OP_SDEL, err, errlen);
	if (ret)
		return ret;
	if (!r->rc && add && steer_set(s, &r->st, w))
		gk_warn("nat: no room to steer %s %u: its replies may take "
			"another port", proto_name((uint8_t)pr), r->st.in_port);
	if (!r->rc && !add && r->st.in_port && s->ho) {
		uint32_t a = (uint32_t)r->st.in_addr[0] << 24 |
			     (uint32_t)r->st.in_addr[1] << 16 |
			     (uint32_t)r->st.in_addr[2] << 8 | r->st.in_addr[3];

		gk_handoff_static_del(s->ho, (uint8_t)pr, a, r->st.in_port);
	}
	if (r->rc) {
		if (r->err[0])
			snprintf(err, errlen, "nat mappings: %s", r->err);
		else if (r->rc == -ENOENT)
			snprintf(err, errlen, "nat mappings: no %s mapping on port %lld",
				 proto_name((uint8_t)pr), (long long)port);
		else
			snprintf(err, errlen, "nat mappings: %s", strerror(-r->rc));
		return r->rc;
	}
	*result = json_pack("{s:b, s:s, s:i, s:i}", add ? "added" : "deleted", 1,
			    "proto", proto_name((uint8_t)pr), "public_port",
			    (int)port, "worker", (int)w);
	return *result ? 0 : -ENOMEM;
}

int gk_nat_cmd(void *arg, json_t *args, json_t **result, char *err,
	       size_t errlen)
{
	struct gk_daemon *d = arg;
	const char *op = json_string_value(json_object_get(args, "op"));

	if (!op) {
		snprintf(err, errlen,
			 "nat: args.op must be sessions, stats, mappings, map-add or map-del");
		return -EINVAL;
	}
	if (!d->nat) {
		snprintf(err, errlen, "nat: not enabled (no [nat] section)");
		return -ENOENT;
	}
	if (!strcmp(op, "sessions"))
		return nat_sessions(d, args, result, err, errlen);
	if (!strcmp(op, "stats"))
		return nat_stats(d, result, err, errlen);
	if (!strcmp(op, "mappings"))
		return nat_mappings(d, result, err, errlen);
	if (!strcmp(op, "map-add"))
		return nat_map_change(d, args, true, result, err, errlen);
	if (!strcmp(op, "map-del"))
		return nat_map_change(d, args, false, result, err, errlen);
	snprintf(err, errlen,
		 "nat: unknown op '%s' (sessions, stats, mappings, map-add, map-del)", op);
	return -EINVAL;
}
