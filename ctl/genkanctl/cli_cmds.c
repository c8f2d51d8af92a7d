// SPDX-License-Identifier: BSD-3-Clause
/*
 * genkanctl subcommands. Each one makes a single ctl call and turns the
 * result into a table; formatting is tolerant of missing fields so the
 * CLI keeps working against a daemon that reports less (or more).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "gk_config.h"
#include "cli_cmds.h"
#include "cli_l4.h"
#include "cli_nat.h"
#include "cli_output.h"
#include "ctl_client.h"
#include "ctl_proto.h"
#include "map_rule.h"
#include "keys.h"

#define NB 64	/* scratch buffer for one formatted number */

/*
 * Runs @cmd with @args (borrowed, may be NULL); on failure prints why and
 * returns the exit code to use.
 */
static int call_args(struct gk_cli *cli, const char *cmd, json_t *args,
		     json_t **result)
{
	char err[512];
	bool remote;
	int ret;

	ret = gk_ctl_call_ex(cli->socket_path, cmd, args, result, &remote, err,
			     sizeof(err), cli->timeout_ms);
	if (!ret)
		return GK_CLI_EXIT_OK;
	if (remote) {
		fprintf(cli->errf, "genkanctl: %s: %s\n", cmd, err);
		return GK_CLI_EXIT_DAEMON;
	}
	fprintf(cli->errf, "genkanctl: %s\n", err);
	return GK_CLI_EXIT_UNREACHABLE;
}

static int no_args(struct gk_cli *cli, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(cli->errf, "genkanctl: %s takes no arguments (got '%s')\n",
			argv[0], argv[1]);
		return GK_CLI_EXIT_USAGE;
	}
	return GK_CLI_EXIT_OK;
}

/* Call, and with -j print the raw result; *result is NULL when done. */
static int fetch_args(struct gk_cli *cli, const char *cmd, json_t *args,
		      json_t **result)
{
	int ret = call_args(cli, cmd, args, result);

	if (ret)
		return ret;
	if (cli->json) {
		gk_out_json(cli->out, *result);
		json_decref(*result);
		*result = NULL;
	}
	return GK_CLI_EXIT_OK;
}

static int fetch(struct gk_cli *cli, const char *cmd, json_t **result)
{
	return fetch_args(cli, cmd, NULL, result);
}

/* fetch() for a subcommand that takes no arguments of its own. */
static int fetch_noargs(struct gk_cli *cli, int argc, char **argv,
			const char *cmd, json_t **result)
{
	int ret = no_args(cli, argc, argv);

	return ret ? ret : fetch(cli, cmd, result);
}

static void kv(struct gk_cli *cli, const char *k, const char *v)
{
	fprintf(cli->out, "%-18s %s\n", k, v && *v ? v : "-");
}

/* "WHAT PORT: MODE (REASON)" for each port with a {"mode","reason"} key. */
static void port_modes(struct gk_cli *cli, json_t *ports, const char *key,
		       const char *what)
{
	char b[2][NB];
	json_t *p;
	size_t i;

	json_array_foreach(ports, i, p) {
		json_t *m = json_object_get(p, key);
		const json_t *why;

		if (!m)
			continue;
		why = json_object_get(m, "reason");
		fprintf(cli->out, "%s %s: %s (%s)\n", what,
			gk_out_str(p, "name", b[0], NB),
			gk_out_str(m, "mode", b[1], NB),
			json_is_string(why) ? json_string_value(why) : "-");
	}
}

static int cmd_status(struct gk_cli *cli, int argc, char **argv)
{
	static const char *const heads[] = {
		"PORT", "IFNAME", ">IFINDEX", ">ID", ">MTU", "MAC", ">QUEUES",
		"HANDOFF", "CHECKSUM",
	};
	char b[9][NB], line[256];
	json_t *r, *w, *fib, *ports, *p, *lre;
	struct gk_out_table t;
	size_t i;
	int ret;

	ret = fetch_noargs(cli, argc, argv, "status", &r);
	if (ret || !r)
		return ret;

	kv(cli, "instance", gk_out_str(r, "instance", b[0], NB));
	kv(cli, "version", gk_out_str(r, "version", b[0], NB));
	kv(cli, "pid", gk_out_str(r, "pid", b[0], NB));
	if (gk_out_has_num(r, "uptime_s"))
		gk_out_duration((uint64_t)gk_out_int(r, "uptime_s", 0), b[0], NB);
	else
		strcpy(b[0], "-");
	kv(cli, "uptime", b[0]);
	kv(cli, "config", gk_out_str(r, "config", b[0], NB));
	kv(cli, "socket", gk_out_str(r, "socket", b[0], NB));
	kv(cli, "bpffs pin dir", gk_out_str(r, "bpffs_pin_dir", b[0], NB));
	kv(cli, "xdp mode", gk_out_str(r, "xdp_mode", b[0], NB));

	w = json_object_get(r, "workers");
	snprintf(line, sizeof(line), "%s total, %s running, %s stalled",
		 gk_out_str(w, "total", b[0], NB),
		 gk_out_str(w, "running", b[1], NB),
		 gk_out_str(w, "stalled", b[2], NB));
	kv(cli, "workers", line);

	fib = json_object_get(r, "fib");
	snprintf(line, sizeof(line),
		 "generation %s: %s IPv4 routes, %s IPv6 routes, %s neighbors, updated %ss ago",
		 gk_out_str(fib, "generation", b[0], NB),
		 gk_out_str(fib, "routes4", b[1], NB),
		 gk_out_str(fib, "routes6", b[2], NB),
		 gk_out_str(fib, "neighbors", b[3], NB),
		 gk_out_str(fib, "updated_s_ago", b[4], NB));
	kv(cli, "fib", line);
	kv(cli, "reloads", gk_out_str(r, "reloads", b[0], NB));
	lre = json_object_get(r, "last_reload_error");
	kv(cli, "last reload error", json_is_string(lre) ? json_string_value(lre)
							 : "none");
	w = json_object_get(r, "ctl");
	if (w) {
		snprintf(line, sizeof(line),
			 "%s of %s clients; closed %s evicted, %s idle, %s slow requests, %s unread replies",
			 gk_out_str(w, "clients", b[0], NB),
			 gk_out_str(w, "max_clients", b[1], NB),
			 gk_out_str(w, "evicted", b[2], NB),
			 gk_out_str(w, "idle_timeouts", b[3], NB),
			 gk_out_str(w, "request_timeouts", b[4], NB),
			 gk_out_str(w, "reply_timeouts", b[5], NB));
		kv(cli, "ctl socket", line);
	}
	w = json_object_get(r, "control");
	if (w) {
		snprintf(line, sizeof(line),
			 "every %s ms (10 while busy), %s ticks, woken %s times by workers' neighbour requests",
			 gk_out_str(w, "tick_ms", b[0], NB),
			 gk_out_str(w, "ticks", b[1], NB),
			 gk_out_str(w, "neigh_wakes", b[2], NB));
		kv(cli, "control tick", line);
	}

	ports = json_object_get(r, "ports");
	gk_out_table_init(&t, 9, heads);
	json_array_foreach(ports, i, p) {
		const char *row[9] = {
			gk_out_str(p, "name", b[0], NB),
			gk_out_str(p, "ifname", b[1], NB),
			gk_out_str(p, "ifindex", b[2], NB),
			gk_out_str(p, "port_id", b[3], NB),
			gk_out_str(p, "mtu", b[4], NB),
			gk_out_str(p, "mac", b[5], NB),
			gk_out_str(p, "queues", b[6], NB),
			gk_out_str(json_object_get(p, "handoff"), "mode",
				   b[7], NB),
			gk_out_str(json_object_get(p, "checksum"), "mode",
				   b[8], NB),
		};

		gk_out_table_add(&t, row);
	}
	fputc('\n', cli->out);
	if (t.nrows)
		gk_out_table_print(&t, cli->out, 0);
	else
		fprintf(cli->out, "no ports\n");
	gk_out_table_free(&t);
	/* why each port hands off the way it does, and whether its TCP/UDP
	 * checksums are completed at rx */
	port_modes(cli, ports, "handoff", "hand-off");
	port_modes(cli, ports, "checksum", "checksum");
	/* ports whose interface was deleted (and maybe came back) */
	json_array_foreach(ports, i, p) {
		json_t *l = json_object_get(p, "link");
		const json_t *e;

		if (!l || !json_integer_value(json_object_get(l, "downs")))
			continue;
		e = json_object_get(l, "error");
		fprintf(cli->out, "link %s: %s (ifindex %s), %s down(s), %s return(s), "
			"last change %ss ago%s%s\n",
			gk_out_str(p, "name", b[0], NB),
			gk_out_str(l, "state", b[1], NB),
			gk_out_str(p, "ifindex", b[2], NB),
			gk_out_str(l, "downs", b[3], NB),
			gk_out_str(l, "returns", b[4], NB),
			gk_out_str(l, "changed_s_ago", b[5], NB),
			json_is_string(e) ? "; attaching failed: " : "",
			json_is_string(e) ? json_string_value(e) : "");
	}
	json_decref(r);
	return GK_CLI_EXIT_OK;
}

/* Sum of a {reason: n} object. */
static uint64_t sum_obj(const json_t *o)
{
	const char *k;
	json_t *v;
	uint64_t s = 0;

	if (json_is_integer(o))
		return (uint64_t)json_integer_value(o);
	json_object_foreach((json_t *)o, k, v)
		if (json_is_integer(v))
			s += (uint64_t)json_integer_value(v);
	return s;
}

/* {name: n} as a NAME/COUNT table, zero rows hidden unless -a. */
static void print_counts(struct gk_cli *cli, const char *title,
			 const char *col, const json_t *o)
{
	const char *heads[2] = { col, ">COUNT" };
	struct gk_out_table t;
	const char *k;
	json_t *v;
	char n[NB];

	if (!json_is_object(o))
		return;
	gk_out_table_init(&t, 2, heads);
	json_object_foreach((json_t *)o, k, v) {
		const char *row[2] = { k, n };

		if (!json_is_integer(v) || (!cli->all && !json_integer_value(v)))
			continue;
		snprintf(n, sizeof(n), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		gk_out_table_add(&t, row);
	}
	fprintf(cli->out, "\n%s:\n", title);
	if (t.nrows)
		gk_out_table_print(&t, cli->out, 2);
	else
		fprintf(cli->out, "  (none)\n");
	gk_out_table_free(&t);
}

/* {name: {"packets", "bytes"}} as NAME/PACKETS/BYTES. */
static void print_pb(struct gk_cli *cli, const char *title, const char *col,
		     const json_t *o)
{
	const char *heads[3] = { col, ">PACKETS", ">BYTES" };
	struct gk_out_table t;
	const char *k;
	json_t *v;
	char b[2][NB];

	if (!json_is_object(o))
		return;
	gk_out_table_init(&t, 3, heads);
	json_object_foreach((json_t *)o, k, v) {
		const char *row[3] = {
			k, gk_out_str(v, "packets", b[0], NB),
			gk_out_str(v, "bytes", b[1], NB),
		};

		if (!cli->all && !gk_out_int(v, "packets", 0) &&
		    !gk_out_int(v, "bytes", 0))
			continue;
		gk_out_table_add(&t, row);
	}
	fprintf(cli->out, "\n%s:\n", title);
	if (t.nrows)
		gk_out_table_print(&t, cli->out, 2);
	else
		fprintf(cli->out, "  (none)\n");
	gk_out_table_free(&t);
}

static void stats_workers(struct gk_cli *cli, const json_t *ws)
{
	static const char *const heads[] = {
		">WORKER", ">RX_PKTS", ">RX_BYTES", ">TX_PKTS", ">TX_BYTES",
		">DROPS", ">BUSY%",
	};
	struct gk_out_table t;
	char b[7][NB];
	json_t *w;
	size_t i;

	if (!json_is_array(ws))
		return;
	gk_out_table_init(&t, 7, heads);
	json_array_foreach(ws, i, w) {
		long long busy = gk_out_int(w, "busy_cycles", 0);
		long long idle = gk_out_int(w, "idle_cycles", 0);
		const char *row[7] = {
			gk_out_str(w, "id", b[0], NB),
			gk_out_str(w, "rx_packets", b[1], NB),
			gk_out_str(w, "rx_bytes", b[2], NB),
			gk_out_str(w, "tx_packets", b[3], NB),
			gk_out_str(w, "tx_bytes", b[4], NB),
			b[5], b[6],
		};

		snprintf(b[5], NB, "%" PRIu64,
			 sum_obj(json_object_get(w, "drops")));
		gk_out_pct((uint64_t)(busy > 0 ? busy : 0),
			   (uint64_t)(busy > 0 ? busy : 0) +
			   (uint64_t)(idle > 0 ? idle : 0), b[6], NB);
		gk_out_table_add(&t, row);
	}
	fputc('\n', cli->out);
	gk_out_table_print(&t, cli->out, 0);
	gk_out_table_free(&t);
}

/*
 * Each worker's packet accounting (docs/accounting.md): both sides of
 * the equation, their non-zero terms (all with -a), and whether they
 * balance. Only a quiet worker's counters must balance.
 */
static void stats_accounting(struct gk_cli *cli, const json_t *ws)
{
	/* the left-hand side of wkstats.h GK_WK_ACCT_LIST */
	static const char *const in_terms[] = {
		"rx", "handed_in", "generated", "split",
	};
	const json_t *w, *a, *v;
	const char *k;
	size_t i, j;

	if (!json_is_array(ws))
		return;
	fprintf(cli->out, "\nworker accounting (in = out while quiet):\n");
	json_array_foreach(ws, i, w) {
		long long in, out;
		bool side;

		a = json_object_get(w, "accounting");
		if (!json_is_object(a))
			continue;
		in = gk_out_int(a, "in_total", 0);
		out = gk_out_int(a, "out_total", 0);
		fprintf(cli->out, "  %lld:", gk_out_int(w, "id", 0));
		for (int s = 0; s < 2; s++) {
			fprintf(cli->out, "%s %lld =", s ? " | out" : " in",
				s ? out : in);
			json_object_foreach((json_t *)a, k, v) {
				if (!strcmp(k, "in_total") || !strcmp(k, "out_total"))
					continue;
				for (side = true, j = 0; j < sizeof(in_terms) / sizeof(in_terms[0]); j++)
					if (!strcmp(k, in_terms[j]))
						side = false;
				if (side != (bool)s ||
				    (!json_integer_value(v) && !cli->all))
					continue;
				fprintf(cli->out, " %s %lld", k,
					(long long)json_integer_value(v));
			}
		}
		if (in == out)
			fprintf(cli->out, " | balanced\n");
		else
			fprintf(cli->out, " | off by %lld\n", in - out);
	}
}

/*
 * A table of one row per element of ps: the ids' columns, then the
 * counters'. A row whose counters are all zero shows only with -a.
 */
static void counter_rows(struct gk_cli *cli, const json_t *ps,
			 const char *title, const char *const *heads,
			 const char *const *ids, size_t ni,
			 const char *const *counters, size_t nc)
{
	struct gk_out_table t;
	char b[8][NB];
	json_t *p;
	size_t i, c;

	if (!json_is_array(ps) || ni + nc > 8)
		return;
	gk_out_table_init(&t, ni + nc, heads);
	json_array_foreach(ps, i, p) {
		const char *row[8];
		bool zero = true;

		for (c = 0; c < nc; c++) {
			row[ni + c] = gk_out_str(p, counters[c], b[ni + c], NB);
			if (gk_out_int(p, counters[c], 0))
				zero = false;
		}
		if (zero && !cli->all)
			continue;
		for (c = 0; c < ni; c++)
			row[c] = gk_out_str(p, ids[c], b[c], NB);
		gk_out_table_add(&t, row);
	}
	fprintf(cli->out, "\n%s:\n", title);
	if (t.nrows)
		gk_out_table_print(&t, cli->out, 2);
	else
		fprintf(cli->out, "  (none)\n");
	gk_out_table_free(&t);
}

static void stats_ports(struct gk_cli *cli, const json_t *ps)
{
	static const char *const heads[] = {
		"PORT", ">QUEUE", ">WORKER", ">RX_PKTS", ">TX_PKTS",
		">TX_DROPS", ">RX_NO_BUF", ">WAKEUPS",
	};
	static const char *const ids[] = { "name", "queue", "worker" };
	static const char *const counters[] = {
		"rx_packets", "tx_packets", "tx_drops", "rx_no_buf", "wakeups",
	};

	counter_rows(cli, ps, "port queues", heads, ids, 3, counters, 5);
}

/* Kernel AF_XDP socket counters, one row per port (queues summed). */
static void stats_port_xsk(struct gk_cli *cli, const json_t *ps)
{
	static const char *const heads[] = {
		"PORT", ">SOCKETS", ">RX_DROPPED", ">RX_RING_FULL",
		">FILL_EMPTY", ">RX_INVALID", ">TX_INVALID", ">TX_EMPTY",
	};
	static const char *const ids[] = { "name", "sockets" };
	static const char *const counters[] = {
		"rx_dropped", "rx_ring_full", "rx_fill_ring_empty_descs",
		"rx_invalid_descs", "tx_invalid_descs", "tx_ring_empty_descs",
	};

	counter_rows(cli, ps, "port sockets (kernel AF_XDP counters)", heads,
		     ids, 2, counters, 6);
}

/*
 * DPDK ports' exception path (the TAP), two tables per port: every integer
 * the daemon sends (its counter list), then the classifier's drops. A port
 * whose counters are all zero shows only with -a, as a zero row would.
 */
static void stats_dpdk(struct gk_cli *cli, const json_t *ps)
{
	char title[512], b[3][NB];
	json_t *p;
	size_t i;

	if (!json_is_array(ps))
		return;
	json_array_foreach(ps, i, p) {
		const char *name = gk_out_str(p, "name", b[0], NB);

		if (!cli->all && !sum_obj(p) &&
		    !sum_obj(json_object_get(p, "drops")))
			continue;
		snprintf(title, sizeof(title),
			 "dpdk port %s (%s), exception path to/from TAP %s",
			 name, gk_out_str(p, "devargs", b[1], NB),
			 gk_out_str(p, "tap", b[2], NB));
		print_counts(cli, title, "COUNTER", p);
		snprintf(title, sizeof(title), "dpdk port %s, classifier drops",
			 name);
		print_counts(cli, title, "REASON", json_object_get(p, "drops"));
	}
}

static int cmd_stats(struct gk_cli *cli, int argc, char **argv)
{
	char b[5][NB];
	json_t *r, *tot, *xdp;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-a") || !strcmp(argv[i], "--all")) {
			cli->all = true;
			continue;
		}
		fprintf(cli->errf, "genkanctl: stats: unknown argument '%s' (only -a/--all)\n",
			argv[i]);
		return GK_CLI_EXIT_USAGE;
	}
	ret = fetch(cli, "stats", &r);
	if (ret || !r)
		return ret;

	tot = json_object_get(r, "totals");
	fprintf(cli->out, "totals: rx %s pkts %s bytes, tx %s pkts %s bytes, drops %s\n",
		gk_out_str(tot, "rx_packets", b[0], NB),
		gk_out_str(tot, "rx_bytes", b[1], NB),
		gk_out_str(tot, "tx_packets", b[2], NB),
		gk_out_str(tot, "tx_bytes", b[3], NB),
		gk_out_str(tot, "drops", b[4], NB));

	stats_workers(cli, json_object_get(r, "workers"));
	stats_accounting(cli, json_object_get(r, "workers"));
	print_counts(cli, "worker drops", "REASON",
		     json_object_get(r, "worker_drops"));
	print_counts(cli, "worker classes", "CLASS",
		     json_object_get(r, "worker_classes"));
	print_counts(cli, "worker events", "EVENT",
		     json_object_get(r, "worker_events"));
	print_counts(cli, "worker hand-off (packets per mode)", "MODE",
		     json_object_get(r, "worker_handoff"));
	stats_ports(cli, json_object_get(r, "ports"));
	stats_port_xsk(cli, json_object_get(r, "port_xsk"));
	stats_dpdk(cli, json_object_get(r, "dpdk"));
	xdp = json_object_get(r, "xdp");
	print_pb(cli, "xdp classes", "CLASS", json_object_get(xdp, "classes"));
	print_pb(cli, "xdp drops", "REASON", json_object_get(xdp, "drops"));
	print_pb(cli, "xdp events", "EVENT", json_object_get(xdp, "events"));
	/* Scalars only: print_counts() skips the nested drops object. */
	if (json_is_object(json_object_get(r, "mape"))) {
		print_counts(cli, "mape", "COUNTER", json_object_get(r, "mape"));
		print_counts(cli, "mape drops", "REASON",
			     json_object_get(json_object_get(r, "mape"),
					     "drops"));
	}
	if (!cli->all)
		fprintf(cli->out, "\n(all-zero rows hidden; -a shows them)\n");
	json_decref(r);
	return GK_CLI_EXIT_OK;
}

static int cmd_workers(struct gk_cli *cli, int argc, char **argv)
{
	static const char *const heads[] = {
		">ID", ">CPU", "STATE", ">HB_AGE_MS", ">BUSY%", ">POLLS",
		">RX_PKTS", ">TX_PKTS", "PORTS",
	};
	struct gk_out_table t;
	char b[8][NB], pb[2][NB], portbuf[512];
	json_t *r, *w, *ports, *p;
	size_t i, j;
	int ret;

	ret = fetch_noargs(cli, argc, argv, "workers", &r);
	if (ret || !r)
		return ret;

	gk_out_table_init(&t, 9, heads);
	json_array_foreach(json_object_get(r, "workers"), i, w) {
		const char *row[9] = {
			gk_out_str(w, "id", b[0], NB),
			gk_out_str(w, "cpu", b[1], NB),
			gk_out_str(w, "state", b[2], NB),
			gk_out_str(w, "heartbeat_age_ms", b[3], NB),
			gk_out_str(w, "busy_pct", b[4], NB),
			gk_out_str(w, "polls", b[5], NB),
			gk_out_str(w, "rx_packets", b[6], NB),
			gk_out_str(w, "tx_packets", b[7], NB),
			portbuf,
		};
		size_t off = 0;

		portbuf[0] = '\0';
		ports = json_object_get(w, "ports");
		json_array_foreach(ports, j, p) {
			int n = snprintf(portbuf + off, sizeof(portbuf) - off,
					 "%s%s:%s", j ? "," : "",
					 gk_out_str(p, "name", pb[0], NB),
					 gk_out_str(p, "queue", pb[1], NB));

			if (n < 0 || (size_t)n >= sizeof(portbuf) - off)
				break;
			off += (size_t)n;
		}
		if (!off)
			strcpy(portbuf, "-");
		gk_out_table_add(&t, row);
	}
	if (t.nrows)
		gk_out_table_print(&t, cli->out, 0);
	else
		fprintf(cli->out, "no workers\n");
	gk_out_table_free(&t);
	json_decref(r);
	return GK_CLI_EXIT_OK;
}

/*
 * A command whose result is one array of objects shown as a table, one
 * column per string field: which call, which array, which columns, and
 * what to say when the array is empty.
 */
struct list_cmd {
	const char *cmd;		/* ctl command, also the array's key */
	const char *none;		/* printed for an empty array */
	unsigned ncols;
	const char *head[GK_OUT_MAX_COLS];	/* '>' prefix: right-aligned */
	const char *key[GK_OUT_MAX_COLS];	/* field of each element */
};

static int list(struct gk_cli *cli, int argc, char **argv,
		const struct list_cmd *lc)
{
	struct gk_out_table t;
	char b[GK_OUT_MAX_COLS][NB];
	const char *row[GK_OUT_MAX_COLS];
	json_t *r, *e;
	size_t i;
	unsigned c;
	int ret;

	ret = fetch_noargs(cli, argc, argv, lc->cmd, &r);
	if (ret || !r)
		return ret;

	gk_out_table_init(&t, lc->ncols, lc->head);
	json_array_foreach(json_object_get(r, lc->cmd), i, e) {
		for (c = 0; c < lc->ncols; c++)
			row[c] = gk_out_str(e, lc->key[c], b[c], NB);
		gk_out_table_add(&t, row);
	}
	if (t.nrows)
		gk_out_table_print(&t, cli->out, 0);
	else
		fprintf(cli->out, "%s\n", lc->none);
	gk_out_table_free(&t);
	json_decref(r);
	return GK_CLI_EXIT_OK;
}

static int cmd_routes(struct gk_cli *cli, int argc, char **argv)
{
	static const struct list_cmd lc = {
		.cmd = "routes", .none = "no routes", .ncols = 5,
		.head = { "DESTINATION", "GATEWAY", "DEV", "PORT", "TYPE" },
		.key = { "dst", "gateway", "dev", "port", "type" },
	};

	return list(cli, argc, argv, &lc);
}

static int cmd_neighbors(struct gk_cli *cli, int argc, char **argv)
{
	static const struct list_cmd lc = {
		.cmd = "neighbors", .none = "no neighbors", .ncols = 4,
		.head = { "ADDRESS", "LLADDR", "DEV", "STATE" },
		.key = { "addr", "lladdr", "dev", "state" },
	};

	return list(cli, argc, argv, &lc);
}

static int cmd_reload(struct gk_cli *cli, int argc, char **argv)
{
	json_t *r, *changes, *c;
	char b[NB];
	size_t i;
	int ret;

	ret = fetch_noargs(cli, argc, argv, "reload", &r);
	if (ret || !r)
		return ret;

	fprintf(cli->out, "reloaded, generation %s\n",
		gk_out_str(r, "generation", b, NB));
	changes = json_object_get(r, "changes");
	if (!json_array_size(changes))
		fprintf(cli->out, "no changes\n");
	json_array_foreach(changes, i, c)
		fprintf(cli->out, "  %s\n",
			json_is_string(c) ? json_string_value(c) : "?");
	json_decref(r);
	return GK_CLI_EXIT_OK;
}

static int cmd_version(struct gk_cli *cli, int argc, char **argv)
{
	char b[2][NB];
	json_t *r, *prog;
	int ret;

	ret = no_args(cli, argc, argv);
	if (ret)
		return ret;
	if (!cli->json)
		fprintf(cli->out, "genkanctl %s (protocol %d)\n", GK_VERSION,
			GK_CTL_VERSION);
	ret = fetch(cli, "version", &r);
	if (ret || !r)
		return ret;
	prog = json_object_get(r, "program");
	fprintf(cli->out, "%s %s (protocol %s)\n",
		json_is_string(prog) ? json_string_value(prog) : "genkand",
		gk_out_str(r, "version", b[0], NB),
		gk_out_str(r, "protocol", b[1], NB));
	json_decref(r);
	return GK_CLI_EXIT_OK;
}

/* "ADDR/LEN"; the address bytes go to @addr (4 or 16 of them). */
static int parse_prefix(int family, const char *s, uint8_t *addr,
			uint8_t *plen)
{
	unsigned maxlen = family == AF_INET6 ? 128 : 32;
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	unsigned long v;
	char *end;

	if (!slash || (size_t)(slash - s) >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (inet_pton(family, buf, addr) != 1)
		return -EINVAL;
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(slash + 1, &end, 10);
	if (errno || *end || v > maxlen)
		return -EINVAL;
	*plen = (uint8_t)v;
	return 0;
}

static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

enum {
	MC_IPV6_PREFIX = 0x100, MC_IPV4_PREFIX, MC_EA_BITS, MC_PSID_OFFSET,
	MC_PSID_LEN, MC_DRAFT03, MC_EUP, MC_IPV4, MC_PORT, MC_JSON,
};

static const struct option map_calc_opts[] = {
	{ "ipv6-prefix", required_argument, NULL, MC_IPV6_PREFIX },
	{ "ipv4-prefix", required_argument, NULL, MC_IPV4_PREFIX },
	{ "ea-bits", required_argument, NULL, MC_EA_BITS },
	{ "psid-offset", required_argument, NULL, MC_PSID_OFFSET },
	{ "psid-len", required_argument, NULL, MC_PSID_LEN },
	{ "draft03", no_argument, NULL, MC_DRAFT03 },
	{ "end-user-prefix", required_argument, NULL, MC_EUP },
	{ "ipv4", required_argument, NULL, MC_IPV4 },
	{ "port", required_argument, NULL, MC_PORT },
	{ "json", no_argument, NULL, MC_JSON },
	{ NULL, 0, NULL, 0 },
};

#define MAP_CALC_USAGE							\
	"usage: genkanctl [-j] map calc --ipv6-prefix P/LEN --ipv4-prefix A/LEN\n" \
	"         --ea-bits N --psid-offset A [--psid-len K] [--draft03]\n" \
	"         (--end-user-prefix P/LEN | --ipv4 ADDR --port N)\n"

__attribute__((format(printf, 2, 3)))
static int map_usage(struct gk_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(cli->errf, "genkanctl: map calc: ");
	va_start(ap, fmt);
	vfprintf(cli->errf, fmt, ap);
	va_end(ap);
	fputc('\n', cli->errf);
	return GK_CLI_EXIT_USAGE;
}

/*
 * RFC 7597 §5 offline: a rule plus either the delegated prefix (CE view)
 * or an IPv4 address and port (BR view). The mapcalc of genkan.
 */
static int cmd_map_calc(struct gk_cli *cli, int argc, char **argv)
{
	struct gk_map_rule r = { .psid_offset = GK_MAP_DEFAULT_PSID_OFFSET };
	bool have6 = false, have4 = false, have_ea = false, have_off = false;
	bool have_eup = false, have_ip = false, have_port = false;
	uint16_t (*ranges)[2] = NULL;
	uint8_t eup[16] = { 0 }, eup_len = 0, ip[4] = { 0 };
	struct gk_map_ce_params cp;
	unsigned long v, port = 0;
	unsigned nr;
	char why[256];
	int opt, ret;

	optind = 0;	/* glibc: restart scanning on this argv */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+j", map_calc_opts, NULL)) != -1) {
		const char *arg = optarg;

		switch (opt) {
		case MC_IPV6_PREFIX:
			if (parse_prefix(AF_INET6, arg, r.ipv6_prefix, &r.ipv6_plen))
				return map_usage(cli, "invalid --ipv6-prefix '%s' (expected IPV6ADDR/LEN)", arg);
			have6 = true;
			break;
		case MC_IPV4_PREFIX:
			if (parse_prefix(AF_INET, arg, r.ipv4_prefix, &r.ipv4_plen))
				return map_usage(cli, "invalid --ipv4-prefix '%s' (expected IPV4ADDR/LEN)", arg);
			have4 = true;
			break;
		case MC_EA_BITS:
			if (parse_num(arg, GK_MAP_MAX_EA_BITS, &v))
				return map_usage(cli, "invalid --ea-bits '%s' (expected 0..48)", arg);
			r.ea_bits = (uint8_t)v;
			have_ea = true;
			break;
		case MC_PSID_OFFSET:
			if (parse_num(arg, 16, &v))
				return map_usage(cli, "invalid --psid-offset '%s' (expected 0..16)", arg);
			r.psid_offset = (uint8_t)v;
			have_off = true;
			break;
		case MC_PSID_LEN:
			if (parse_num(arg, 16, &v))
				return map_usage(cli, "invalid --psid-len '%s' (expected 0..16)", arg);
			r.psid_len = (uint8_t)v;
			r.flags |= GK_MAP_F_PSID_LEN;
			break;
		case MC_DRAFT03:
			r.flags |= GK_MAP_F_DRAFT03;
			break;
		case MC_EUP:
			if (parse_prefix(AF_INET6, arg, eup, &eup_len))
				return map_usage(cli, "invalid --end-user-prefix '%s' (expected IPV6ADDR/LEN)", arg);
			have_eup = true;
			break;
		case MC_IPV4:
			if (inet_pton(AF_INET, arg, ip) != 1)
				return map_usage(cli, "invalid --ipv4 '%s' (expected an IPv4 address)", arg);
			have_ip = true;
			break;
		case MC_PORT:
			if (parse_num(arg, 65535, &port))
				return map_usage(cli, "invalid --port '%s' (expected 0..65535)", arg);
			have_port = true;
			break;
		case 'j':
		case MC_JSON:
			cli->json = true;
			break;
		default:
			return map_usage(cli, "unknown or incomplete option '%s'",
					 argv[optind - 1]);
		}
	}
	if (optind < argc)
		return map_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (!have6 || !have4 || !have_ea || !have_off)
		return map_usage(cli, "%s", "--ipv6-prefix, --ipv4-prefix, --ea-bits and --psid-offset are required");
	if (have_eup == (have_ip || have_port))
		return map_usage(cli, "%s", "give either --end-user-prefix or --ipv4 with --port");
	if (have_ip != have_port)
		return map_usage(cli, "%s", "--ipv4 and --port go together");

	gk_map_rule_normalize(&r);
	if (have_eup)
		ret = gk_map_ce_derive(&r, eup, eup_len, &cp, why, sizeof(why));
	else
		ret = gk_map_br_derive(&r, ip, (uint16_t)port, &cp, why, sizeof(why));
	if (ret) {
		fprintf(cli->errf, "genkanctl: map calc: %s\n", why);
		return GK_CLI_EXIT_DAEMON;	/* 1: inconsistent parameters */
	}

	nr = gk_map_port_ranges(cp.psid_offset, cp.psid_len, cp.psid, NULL, 0);
	ranges = calloc(nr, sizeof(*ranges));
	if (!ranges) {
		fprintf(cli->errf, "genkanctl: map calc: out of memory\n");
		return GK_CLI_EXIT_DAEMON;
	}
	gk_map_port_ranges(cp.psid_offset, cp.psid_len, cp.psid, ranges, nr);
	ret = gk_out_map_calc(cli->out, cli->json, &cp,
			      (const uint16_t (*)[2])ranges, nr);
	free(ranges);
	if (ret) {
		fprintf(cli->errf, "genkanctl: map calc: %s\n", strerror(-ret));
		return GK_CLI_EXIT_DAEMON;
	}
	return GK_CLI_EXIT_OK;
}

static bool dom_active(const json_t *c)
{
	static const char *const keys[] = {
		"encap_pkts", "decap_pkts", "hairpin_pkts", "icmp_translated",
		"icmp_unreach_sent", "mss_clamped",
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (gk_out_int(c, keys[i], 0))
			return true;
	return sum_obj(json_object_get(c, "drops")) != 0;
}

/* One row of the domain table: name, rule, then the counters. */
static void dom_row(struct gk_out_table *t, const char *name,
		    const json_t *dom, const json_t *c)
{
	char b[12][NB], flags[NB];
	const char *row[12] = {
		name, gk_out_str(dom, "ipv6_prefix", b[1], NB),
		gk_out_str(dom, "ipv4_prefix", b[2], NB), b[3], flags,
		gk_out_str(c, "encap_pkts", b[5], NB),
		gk_out_str(c, "decap_pkts", b[6], NB),
		gk_out_str(c, "hairpin_pkts", b[7], NB),
		gk_out_str(c, "icmp_translated", b[8], NB),
		gk_out_str(c, "icmp_unreach_sent", b[9], NB),
		gk_out_str(c, "mss_clamped", b[10], NB), b[11],
	};
	size_t off = 0;

	if (dom)
		snprintf(b[3], NB, "%s/%s/%s",
			 gk_out_str(dom, "ea_bits", b[0], NB),
			 gk_out_str(dom, "psid_offset", b[4], NB),
			 gk_out_str(dom, "psid_len", b[11], NB));
	else
		strcpy(b[3], "-");
	flags[0] = '\0';
	if (json_is_true(json_object_get(dom, "fmr")))
		off += (size_t)snprintf(flags + off, NB - off, "fmr");
	if (json_is_true(json_object_get(dom, "draft03")))
		off += (size_t)snprintf(flags + off, NB - off, "%sdraft03",
					off ? "," : "");
	if (gk_out_int(dom, "mss_clamp", 0) > 0)
		snprintf(flags + off, NB - off, "%smss=%lld", off ? "," : "",
			 gk_out_int(dom, "mss_clamp", 0));
	if (!flags[0])
		strcpy(flags, "-");
	snprintf(b[11], NB, "%" PRIu64, sum_obj(json_object_get(c, "drops")));
	gk_out_table_add(t, row);
}

/* Per-domain drop reasons: DOMAIN REASON COUNT. */
static void dom_drops(struct gk_cli *cli, struct gk_out_table *t,
		      const char *name, const json_t *c)
{
	const json_t *drops = json_object_get(c, "drops");
	const char *k;
	json_t *v;
	char n[NB];

	json_object_foreach((json_t *)drops, k, v) {
		const char *row[3] = { name, k, n };

		if (!json_is_integer(v) || (!cli->all && !json_integer_value(v)))
			continue;
		snprintf(n, sizeof(n), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		gk_out_table_add(t, row);
	}
}

static void map_show_ce(struct gk_cli *cli, const json_t *ce)
{
	char b[4][NB], line[256];
	const json_t *pr = json_object_get(ce, "port_ranges");
	const json_t *first = json_array_get(pr, 0);

	if (gk_out_int(ce, "ipv4_plen", 32) == 32)
		kv(cli, "ce ipv4", gk_out_str(ce, "ipv4", b[0], NB));
	else {
		snprintf(line, sizeof(line), "%s/%s",
			 gk_out_str(ce, "ipv4", b[0], NB),
			 gk_out_str(ce, "ipv4_plen", b[1], NB));
		kv(cli, "ce ipv4", line);
	}
	snprintf(line, sizeof(line), "0x%llx (%s), psid_len %s, offset %s",
		 gk_out_int(ce, "psid", 0), gk_out_str(ce, "psid", b[0], NB),
		 gk_out_str(ce, "psid_len", b[1], NB),
		 gk_out_str(ce, "psid_offset", b[2], NB));
	kv(cli, "ce psid", line);
	kv(cli, "ce ipv6", gk_out_str(ce, "ce_ipv6", b[0], NB));
	kv(cli, "end-user prefix", gk_out_str(ce, "end_user_prefix", b[0], NB));
	if (json_is_array(first) && json_array_size(first) == 2)
		snprintf(b[3], NB, ", first %" JSON_INTEGER_FORMAT "-%"
			 JSON_INTEGER_FORMAT,
			 json_integer_value(json_array_get(first, 0)),
			 json_integer_value(json_array_get(first, 1)));
	else
		b[3][0] = '\0';
	snprintf(line, sizeof(line), "%s in %zu range%s%s",
		 gk_out_str(ce, "nr_ports", b[0], NB), json_array_size(pr),
		 json_array_size(pr) == 1 ? "" : "s", b[3]);
	kv(cli, "ce ports", line);
}

#define MAP_SHOW_USAGE "usage: genkanctl [-j] [-a] map show [NAME]\n"

/*
 * The running MAP-E table: a summary, then one row per domain that has
 * counted something (every domain with -a, or just NAME), then the drop
 * reasons behind the DROPS column.
 */
static int cmd_map_show(struct gk_cli *cli, int argc, char **argv)
{
	static const char *const heads[] = {
		"DOMAIN", "IPV6_PREFIX", "IPV4_PREFIX", "EA/A/K", "FLAGS",
		">ENCAP", ">DECAP", ">HAIRPIN", ">ICMP_XLAT", ">UNREACH",
		">MSS", ">DROPS",
	};
	static const char *const dheads[] = { "DOMAIN", "REASON", ">COUNT" };
	const char *name = NULL;
	struct gk_out_table t, dt;
	json_t *args, *r, *dom, *un;
	char b[NB], line[256];
	size_t i, nd;
	int k, ret;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "-a") || !strcmp(argv[k], "--all")) {
			cli->all = true;
		} else if (argv[k][0] == '-' || name) {
			fprintf(cli->errf, "genkanctl: map show: unexpected argument '%s'\n%s",
				argv[k], MAP_SHOW_USAGE);
			return GK_CLI_EXIT_USAGE;
		} else {
			name = argv[k];
		}
	}
	args = name ? json_pack("{s:s, s:s}", "op", "show", "name", name) :
		      json_pack("{s:s}", "op", "show");
	if (!args)
		return GK_CLI_EXIT_DAEMON;
	ret = fetch_args(cli, "map", args, &r);
	json_decref(args);
	if (ret || !r)
		return ret;

	if (!json_is_true(json_object_get(r, "enabled"))) {
		fprintf(cli->out, "MAP-E is not enabled\n");
		json_decref(r);
		return GK_CLI_EXIT_OK;
	}
	snprintf(line, sizeof(line), "enabled, role %s",
		 gk_out_str(r, "role", b, NB));
	kv(cli, "mape", line);
	kv(cli, "br address", gk_out_str(r, "br_address", b, NB));
	kv(cli, "tunnel mtu", gk_out_str(r, "tunnel_mtu", b, NB));
	kv(cli, "ipv4 port", gk_out_str(r, "ipv4_port", b, NB));
	kv(cli, "ipv6 port", gk_out_str(r, "ipv6_port", b, NB));
	if (json_is_object(json_object_get(r, "ce")))
		map_show_ce(cli, json_object_get(r, "ce"));
	nd = json_array_size(json_object_get(r, "domains"));
	snprintf(line, sizeof(line), "%zu", nd);
	kv(cli, "domains", line);

	gk_out_table_init(&t, 12, heads);
	gk_out_table_init(&dt, 3, dheads);
	json_array_foreach(json_object_get(r, "domains"), i, dom) {
		const json_t *c = json_object_get(dom, "counters");
		const char *dn = gk_out_str(dom, "name", b, NB);

		if (!name && !cli->all && !dom_active(c))
			continue;
		dom_row(&t, dn, dom, c);
		dom_drops(cli, &dt, dn, c);
	}
	un = json_object_get(r, "unmatched");
	if (json_is_object(un) && (cli->all || dom_active(un))) {
		dom_row(&t, "(unmatched)", NULL, un);
		dom_drops(cli, &dt, "(unmatched)", un);
	}
	fputc('\n', cli->out);
	if (t.nrows)
		gk_out_table_print(&t, cli->out, 0);
	else
		fprintf(cli->out, "no domain has counted anything yet\n");
	if (dt.nrows) {
		fprintf(cli->out, "\ndrops:\n");
		gk_out_table_print(&dt, cli->out, 2);
	}
	if (!cli->all && !name)
		fprintf(cli->out, "\n(idle domains hidden; -a shows them)\n");
	gk_out_table_free(&t);
	gk_out_table_free(&dt);
	json_decref(r);
	return GK_CLI_EXIT_OK;
}

static int cmd_map(struct gk_cli *cli, int argc, char **argv)
{
	if (argc < 2) {
		fprintf(cli->errf, "genkanctl: map needs a subcommand (calc, show)\n%s%s",
			MAP_CALC_USAGE, MAP_SHOW_USAGE);
		return GK_CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "calc"))
		return cmd_map_calc(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return cmd_map_show(cli, argc - 1, argv + 1);
	fprintf(cli->errf,
		"genkanctl: map: unknown subcommand '%s' (expected calc or show)\n",
		argv[1]);
	return GK_CLI_EXIT_USAGE;
}

/*
 * wg genkey / wg pubkey, offline, byte-compatible with wg(8): keys are 44
 * base64 characters, private keys clamped. Secrets are wiped after use.
 */
#define WG_USAGE							\
	"usage: genkanctl wg genkey|pubkey\n"				\
	"       genkanctl wg show [-j]\n"				\
	"       genkanctl wg set peer PUBKEY [remove] [allowed-ips A[,B..]]\n" \
	"                        [endpoint HOST:PORT] [persistent-keepalive N|off]\n"

/* `wg show`, in wg(8)'s layout; private keys are never sent by genkand. */
static int cmd_wg_show(struct gk_cli *cli, int argc, char **argv)
{
	json_t *args, *r, *p;
	size_t i, k;
	int ret;

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-j")) {
			cli->json = true;
		} else {
			fprintf(cli->errf, "genkanctl: wg show: unexpected '%s'\n%s",
				argv[a], WG_USAGE);
			return GK_CLI_EXIT_USAGE;
		}
	}
	args = json_pack("{s:s}", "op", "show");
	ret = fetch_args(cli, "wg", args, &r);
	json_decref(args);
	if (ret || !r)
		return ret;
	if (!json_is_true(json_object_get(r, "enabled"))) {
		fprintf(cli->out, "WireGuard is not configured\n");
		json_decref(r);
		return GK_CLI_EXIT_OK;
	}
	fprintf(cli->out, "interface: genkan\n  public key: %s\n  listen port: %lld\n",
		json_string_value(json_object_get(r, "public_key")),
		json_integer_value(json_object_get(r, "listen_port")));
	json_array_foreach(json_object_get(r, "peers"), i, p) {
		json_t *ai = json_object_get(p, "allowed_ips"), *x;
		long long hs = json_integer_value(json_object_get(p, "latest_handshake"));
		long long ka = json_integer_value(json_object_get(p, "persistent_keepalive"));

		fprintf(cli->out, "\npeer: %s\n",
			json_string_value(json_object_get(p, "public_key")));
		if (json_is_true(json_object_get(p, "preshared_key")))
			fprintf(cli->out, "  preshared key: (hidden)\n");
		if (json_is_string(json_object_get(p, "endpoint")))
			fprintf(cli->out, "  endpoint: %s\n",
				json_string_value(json_object_get(p, "endpoint")));
		fprintf(cli->out, "  allowed ips: ");
		if (!json_array_size(ai))
			fprintf(cli->out, "(none)");
		json_array_foreach(ai, k, x)
			fprintf(cli->out, "%s%s", k ? ", " : "", json_string_value(x));
		fputc('\n', cli->out);
		if (hs)
			fprintf(cli->out, "  latest handshake: %lld seconds ago\n",
				(long long)time(NULL) - hs);
		fprintf(cli->out, "  transfer: %lld B received, %lld B sent\n",
			json_integer_value(json_object_get(p, "transfer_rx")),
			json_integer_value(json_object_get(p, "transfer_tx")));
		if (ka)
			fprintf(cli->out, "  persistent keepalive: every %lld seconds\n", ka);
		x = json_object_get(p, "return_path");
		if (json_is_string(x) && !strcmp(json_string_value(x), "flow"))
			fprintf(cli->out, "  return path: flow\n");
	}
	json_decref(r);
	return GK_CLI_EXIT_OK;
}

/* wg(8) syntax: wg set peer KEY [remove] [allowed-ips ...] [endpoint ...] ... */
static int cmd_wg_set(struct gk_cli *cli, int argc, char **argv)
{
	json_t *args, *r = NULL;
	int a, ret;

	if (argc < 3 || strcmp(argv[1], "peer")) {
		fprintf(cli->errf, "%s", WG_USAGE);
		return GK_CLI_EXIT_USAGE;
	}
	args = json_pack("{s:s, s:s}", "op", "set", "peer", argv[2]);
	if (!args)
		return GK_CLI_EXIT_DAEMON;
	for (a = 3; a < argc; a++) {
		const char *k = argv[a], *v = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(k, "remove")) {
			json_object_set_new(args, "remove", json_true());
			continue;
		}
		if (!v)
			goto usage;
		a++;
		if (!strcmp(k, "allowed-ips")) {
			json_t *l = json_array();
			char buf[1024], *tok, *save = NULL;

			snprintf(buf, sizeof(buf), "%s", v);
			for (tok = strtok_r(buf, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				json_array_append_new(l, json_string(tok));
			json_object_set_new(args, "allowed_ips", l);
		} else if (!strcmp(k, "endpoint")) {
			json_object_set_new(args, "endpoint", json_string(v));
		} else if (!strcmp(k, "persistent-keepalive")) {
			json_object_set_new(args, "persistent_keepalive",
					    json_integer(strcmp(v, "off") ?
							 strtol(v, NULL, 10) : 0));
		} else if (!strcmp(k, "name")) {
			json_object_set_new(args, "name", json_string(v));
		} else {
			goto usage;
		}
	}
	ret = fetch_args(cli, "wg", args, &r);
	json_decref(args);
	json_decref(r);
	return ret;
usage:
	json_decref(args);
	fprintf(cli->errf, "%s", WG_USAGE);
	return GK_CLI_EXIT_USAGE;
}

static int cmd_wg(struct gk_cli *cli, int argc, char **argv)
{
	char line[128], b64[GK_WG_KEY_B64_LEN + 1];
	uint8_t priv[GK_WG_KEY_LEN], pub[GK_WG_KEY_LEN];
	struct stat st;
	size_t n;
	int ret = GK_CLI_EXIT_OK;

	if (argc >= 2 && !strcmp(argv[1], "show"))
		return cmd_wg_show(cli, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "set"))
		return cmd_wg_set(cli, argc - 1, argv + 1);
	if (argc != 2 || (strcmp(argv[1], "genkey") && strcmp(argv[1], "pubkey"))) {
		fprintf(cli->errf, "%s", WG_USAGE);
		return GK_CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "genkey")) {
		if (!fstat(fileno(cli->out), &st) && S_ISREG(st.st_mode) &&
		    (st.st_mode & S_IRWXO))
			fprintf(cli->errf, "Warning: writing to world accessible file.\n"
				"Consider setting the umask to 077 and trying again.\n");
		if (gk_wg_genkey(priv, NULL)) {
			fprintf(cli->errf, "genkanctl: wg genkey: no randomness\n");
			return GK_CLI_EXIT_DAEMON;
		}
		gk_wg_key_to_base64(b64, priv);
	} else {
		if (!fgets(line, sizeof(line), stdin))
			line[0] = '\0';
		n = strcspn(line, "\r\n");
		line[n] = '\0';
		if (gk_wg_key_from_base64(priv, line)) {
			fprintf(cli->errf, "genkanctl: wg pubkey: key is not the correct length or format\n");
			ret = GK_CLI_EXIT_DAEMON;
			goto out;
		}
		gk_wg_clamp(priv);
		if (gk_wg_pubkey(pub, priv)) {
			ret = GK_CLI_EXIT_DAEMON;
			goto out;
		}
		gk_wg_key_to_base64(b64, pub);
	}
	fprintf(cli->out, "%s\n", b64);
out:
	explicit_bzero(line, sizeof(line));
	explicit_bzero(priv, sizeof(priv));
	explicit_bzero(b64, sizeof(b64));
	return ret;
}

static int cmd_help(struct gk_cli *cli, int argc, char **argv)
{
	gk_cli_usage(cli->out);
	return GK_CLI_EXIT_OK;
}

static const struct gk_cli_cmd cmds[] = {
	{ "status", cmd_status, "daemon, ports, workers and FIB summary" },
	{ "stats", cmd_stats, "packet counters [-a|--all: keep zero rows]" },
	{ "workers", cmd_workers, "worker threads, CPUs, heartbeats, queues" },
	{ "routes", cmd_routes, "routes mirrored from the kernel" },
	{ "neighbors", cmd_neighbors, "neighbor entries (alias: neigh)" },
	{ "reload", cmd_reload, "re-read the config file and apply changes" },
	{ "version", cmd_version, "client and daemon versions" },
	{ "map", cmd_map, "MAP-E: show [NAME] (domains, counters), calc ... (offline)" },
	{ "l4", gk_cli_l4, "front door: show [NAME], lookup NAME CLIENT:PORT, backend NAME ADDR[:PORT] drain|enable|disable, flows [NAME]" },
	{ "nat", gk_cli_nat, "NAPT44: sessions [--host A] [--proto P] [--port N], stats, mappings" },
	{ "wg", cmd_wg, "wg genkey|pubkey (offline), show [-j], set peer KEY ...: WireGuard" },
	{ "help", cmd_help, "this text" },
};

static const struct {
	const char *alias, *name;
} aliases[] = {
	{ "neigh", "neighbors" },
};

const struct gk_cli_cmd *gk_cli_cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(aliases[i].alias, name))
			name = aliases[i].name;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

void gk_cli_usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: genkanctl [-s PATH | -i INSTANCE] [-j] [-a] [-t TIMEOUT_MS] <command> [args]\n"
		"\n"
		"  -s PATH       control socket (overrides -i)\n"
		"  -i INSTANCE   use /run/genkan/INSTANCE.sock (default instance \"default\")\n"
		"  -j            print the daemon's JSON result\n"
		"  -a            stats: show all-zero rows too\n"
		"  -t MS         give up after MS milliseconds (default 5000)\n"
		"  -V            print genkanctl's version (no daemon needed)\n"
		"\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n" MAP_CALC_USAGE MAP_SHOW_USAGE);
	fprintf(f,
		"\nexit status: 0 ok, 1 daemon returned an error (map calc: inconsistent\n"
		"             parameters), 2 usage error, 3 cannot reach the daemon\n");
}
