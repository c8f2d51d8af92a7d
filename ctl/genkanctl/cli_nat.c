// SPDX-License-Identifier: BSD-3-Clause
/*
 * genkanctl nat: sessions [--host A] [--proto P] [--port N], stats,
 * mappings [list | add PROTO PORT HOST:PORT | del PROTO PORT]. Every
 * subcommand is one "nat" ctl call (docs/ctl-protocol.md); -j prints the
 * daemon's result as is.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli_nat.h"
#include "cli_output.h"
#include "ctl_client.h"

#define NB	64

#define NAT_USAGE							\
	"usage: genkanctl nat sessions [--host ADDR] [--proto tcp|udp|icmp] [--port N]\n" \
	"       genkanctl nat stats\n"					\
	"       genkanctl nat mappings [list | add tcp|udp PORT HOST:PORT [--exist-ok]\n" \
	"                                   | del tcp|udp PORT [--missing-ok]]\n"

static int usage(struct gk_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage(struct gk_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fputs("genkanctl: nat: ", cli->errf);
	va_start(ap, fmt);
	vfprintf(cli->errf, fmt, ap);
	va_end(ap);
	fprintf(cli->errf, "\n%s", NAT_USAGE);
	return GK_CLI_EXIT_USAGE;
}

/* One call; takes @args. With -j prints the result and sets *r NULL. */
static int nat_call(struct gk_cli *cli, json_t *args, json_t **r)
{
	char err[512];
	bool remote;
	int ret;

	ret = gk_ctl_call_ex(cli->socket_path, "nat", args, r, &remote, err,
			     sizeof(err), cli->timeout_ms);
	json_decref(args);
	if (ret) {
		if (remote) {
			fprintf(cli->errf, "genkanctl: nat: %s\n", err);
			return GK_CLI_EXIT_DAEMON;
		}
		fprintf(cli->errf, "genkanctl: %s\n", err);
		return GK_CLI_EXIT_UNREACHABLE;
	}
	if (cli->json) {
		gk_out_json(cli->out, *r);
		json_decref(*r);
		*r = NULL;
	}
	return GK_CLI_EXIT_OK;
}

static int parse_port(const char *s, long *out)
{
	char *end;
	long v;

	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 65535)
		return -EINVAL;
	*out = v;
	return 0;
}

static void endpoint(const json_t *o, const char *a, const char *p, char *buf,
		     size_t len)
{
	const char *s = json_string_value(json_object_get(o, a));

	snprintf(buf, len, "%s:%lld", s ? s : "?", gk_out_int(o, p, 0));
}

static int nat_sessions(struct gk_cli *cli, int argc, char **argv)
{
	static const char *const head[] = {
		"PROTO", "INSIDE", "OUTSIDE", "REMOTE", "STATE", ">EXPIRES",
	};
	json_t *args = json_pack("{s:s}", "op", "sessions"), *r, *e;
	char b[6][NB];
	const char *row[6];
	struct gk_out_table t;
	long port;
	size_t i;
	int k, ret;

	for (k = 1; k < argc; k++) {
		const char *o = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;

		if (!v || (strcmp(o, "--host") && strcmp(o, "--proto") &&
			   strcmp(o, "--port"))) {
			json_decref(args);
			if (v)
				return usage(cli, "sessions: unknown option '%s'", o);
			return usage(cli, "sessions: '%s' needs a value", o);
		}
		if (!strcmp(o, "--port")) {
			if (parse_port(v, &port)) {
				json_decref(args);
				return usage(cli, "sessions: bad port '%s'", v);
			}
			json_object_set_new(args, "port", json_integer(port));
		} else {
			json_object_set_new(args, o + 2, json_string(v));
		}
		k++;
	}
	ret = nat_call(cli, args, &r);
	if (ret || !r)
		return ret;
	gk_out_table_init(&t, 6, head);
	json_array_foreach(json_object_get(r, "sessions"), i, e) {
		endpoint(e, "inside_addr", "inside_port", b[1], NB);
		endpoint(e, "outside_addr", "outside_port", b[2], NB);
		endpoint(e, "remote_addr", "remote_port", b[3], NB);
		gk_out_duration((uint64_t)gk_out_int(e, "expires_in_s", 0), b[5], NB);
		for (k = 0; k < 6; k++)
			row[k] = b[k];
		/* gk_out_str may return the JSON's own string, not buf */
		row[0] = gk_out_str(e, "proto", b[0], NB);
		row[4] = gk_out_str(e, "state", b[4], NB);
		gk_out_table_add(&t, row);
	}
	if (t.nrows)
		gk_out_table_print(&t, cli->out, 0);
	else
		fprintf(cli->out, "no NAT sessions\n");
	gk_out_table_free(&t);
	json_decref(r);
	return GK_CLI_EXIT_OK;
}

static int nat_stats(struct gk_cli *cli, int argc, char **argv)
{
	static const char *const rhead[] = {
		">RANGE", ">FIRST", ">TCP", ">UDP", ">ICMP",
	};
	static const char *const hhead[] = { "HOST", ">PORTS", ">REFUSED" };
	static const char *const hkeys[] = {
		"handed_over", "taken_over", "handoff_drops",
	};
	long long hsum[3];
	json_t *r, *tot, *e, *v, *ps;
	struct gk_out_table t;
	char b[5][NB];
	const char *row[5], *key;
	size_t i;
	int k, ret;

	if (argc > 1)
		return usage(cli, "stats takes no arguments (got '%s')", argv[1]);
	ret = nat_call(cli, json_pack("{s:s}", "op", "stats"), &r);
	if (ret || !r)
		return ret;
	tot = json_object_get(r, "totals");
	ps = json_object_get(r, "port_set");
	fprintf(cli->out, "port set: %s psid 0x%llx psid_len %lld psid_offset %lld\n",
		json_string_value(json_object_get(ps, "address")) ?: "?",
		gk_out_int(ps, "psid", 0), gk_out_int(ps, "psid_len", 0),
		gk_out_int(ps, "psid_offset", 0));
	fprintf(cli->out, "sessions: %lld active, %lld created, %lld expired\n",
		gk_out_int(tot, "sessions", 0), gk_out_int(tot, "sessions_created", 0),
		gk_out_int(tot, "sessions_expired", 0));
	fprintf(cli->out, "packets: %lld out, %lld in, %lld hairpin, %lld icmp errors\n",
		gk_out_int(tot, "out_pkts", 0), gk_out_int(tot, "in_pkts", 0),
		gk_out_int(tot, "hairpin_pkts", 0), gk_out_int(tot, "icmp_err_pkts", 0));
	v = json_object_get(r, "ports_in_use");
	fprintf(cli->out, "ports in use: tcp %lld, udp %lld, icmp %lld\n",
		gk_out_int(v, "tcp", 0), gk_out_int(v, "udp", 0),
		gk_out_int(v, "icmp", 0));
	fprintf(cli->out, "refused new flows: exhausted %lld, host limit %lld\n",
		gk_out_int(tot, "exhausted", 0), gk_out_int(tot, "host_limit", 0));
	fprintf(cli->out, "drops:");
	k = 0;
	json_object_foreach(json_object_get(tot, "drops"), key, v)
		if (json_integer_value(v) || cli->all) {
			fprintf(cli->out, " %s %lld", key,
				(long long)json_integer_value(v));
			k++;
		}
	fprintf(cli->out, "%s\n", k ? "" : " none");
	/*
	 * Packets that reached a worker other than their flow's owner cross
	 * over; the ones lost there are worker drops (reason napt), not the
	 * translator's, so they get their own line.
	 */
	memset(hsum, 0, sizeof(hsum));
	json_array_foreach(json_object_get(r, "workers"), i, e)
		for (k = 0; k < 3; k++)
			hsum[k] += gk_out_int(e, hkeys[k], 0);
	fprintf(cli->out, "between workers: %lld handed over, %lld taken over, "
		"%lld dropped (ring full, too big or no buffer)\n",
		hsum[0], hsum[1], hsum[2]);

	gk_out_table_init(&t, 5, rhead);
	json_array_foreach(json_object_get(r, "ranges"), i, e) {
		snprintf(b[0], NB, "%lld", gk_out_int(e, "range", 0));
		snprintf(b[1], NB, "%lld", gk_out_int(e, "first_port", 0));
		snprintf(b[2], NB, "%lld", gk_out_int(e, "tcp", 0));
		snprintf(b[3], NB, "%lld", gk_out_int(e, "udp", 0));
		snprintf(b[4], NB, "%lld", gk_out_int(e, "icmp", 0));
		for (k = 0; k < 5; k++)
			row[k] = b[k];
		gk_out_table_add(&t, row);
	}
	if (t.nrows) {
		fprintf(cli->out, "\nports in use per range:\n");
		gk_out_table_print(&t, cli->out, 2);
	}
	gk_out_table_free(&t);

	gk_out_table_init(&t, 3, hhead);
	json_array_foreach(json_object_get(r, "hosts"), i, e) {
		snprintf(b[1], NB, "%lld", gk_out_int(e, "ports", 0));
		snprintf(b[2], NB, "%lld", gk_out_int(e, "refused", 0));
		for (k = 0; k < 3; k++)
			row[k] = b[k];
		row[0] = gk_out_str(e, "addr", b[0], NB);
		gk_out_table_add(&t, row);
	}
	if (t.nrows) {
		fprintf(cli->out, "\nLAN hosts:\n");
		gk_out_table_print(&t, cli->out, 2);
	}
	gk_out_table_free(&t);
	json_decref(r);
	return GK_CLI_EXIT_OK;
}

static int nat_mappings(struct gk_cli *cli, int argc, char **argv)
{
	static const char *const head[] = { "PROTO", ">PUBLIC", "HOST" };
	const char *sub = argc > 1 ? argv[1] : "list";
	json_t *args, *r, *e;
	struct gk_out_table t;
	char b[3][NB], host[NB], *colon;
	const char *row[3];
	long port, hport;
	size_t i;
	int k, ret, n;

	if (!strcmp(sub, "add") || !strcmp(sub, "del")) {
		bool add = sub[0] == 'a';

		n = add ? 5 : 4;
		if (argc < n || argc > n + 1 ||
		    (argc == n + 1 && strcmp(argv[n], add ? "--exist-ok" :
							   "--missing-ok")))
			return usage(cli, "mappings %s: wrong arguments", sub);
		if (strcmp(argv[2], "tcp") && strcmp(argv[2], "udp"))
			return usage(cli, "mappings: proto must be tcp or udp, got '%s'",
				     argv[2]);
		if (parse_port(argv[3], &port) || !port)
			return usage(cli, "mappings: bad public port '%s'", argv[3]);
		args = json_pack("{s:s, s:s, s:i}", "op", add ? "map-add" : "map-del",
				 "proto", argv[2], "public_port", (int)port);
		if (add) {
			snprintf(host, sizeof(host), "%s", argv[4]);
			colon = strrchr(host, ':');
			if (!colon || parse_port(colon + 1, &hport) || !hport) {
				json_decref(args);
				return usage(cli, "mappings add: expected HOST:PORT, got '%s'",
					     argv[4]);
			}
			*colon = '\0';
			json_object_set_new(args, "host", json_string(host));
			json_object_set_new(args, "host_port", json_integer(hport));
			json_object_set_new(args, "exist_ok", json_boolean(argc == n + 1));
		} else {
			json_object_set_new(args, "missing_ok", json_boolean(argc == n + 1));
		}
		ret = nat_call(cli, args, &r);
		if (ret || !r)
			return ret;
		fprintf(cli->out, "%s %s %ld\n", add ? "added" : "deleted", argv[2], port);
		json_decref(r);
		return GK_CLI_EXIT_OK;
	}
	if (strcmp(sub, "list") || argc > 2)
		return usage(cli, "mappings: unknown subcommand '%s'", sub);
	ret = nat_call(cli, json_pack("{s:s}", "op", "mappings"), &r);
	if (ret || !r)
		return ret;
	gk_out_table_init(&t, 3, head);
	json_array_foreach(json_object_get(r, "mappings"), i, e) {
		snprintf(b[1], NB, "%lld", gk_out_int(e, "public_port", 0));
		endpoint(e, "host", "host_port", b[2], NB);
		for (k = 0; k < 3; k++)
			row[k] = b[k];
		row[0] = gk_out_str(e, "proto", b[0], NB);
		gk_out_table_add(&t, row);
	}
	if (t.nrows)
		gk_out_table_print(&t, cli->out, 0);
	else
		fprintf(cli->out, "no static mappings\n");
	gk_out_table_free(&t);
	json_decref(r);
	return GK_CLI_EXIT_OK;
}

int gk_cli_nat(struct gk_cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return usage(cli, "needs a subcommand");
	if (!strcmp(argv[1], "sessions"))
		return nat_sessions(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "stats"))
		return nat_stats(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "mappings"))
		return nat_mappings(cli, argc - 1, argv + 1);
	return usage(cli, "unknown subcommand '%s'", argv[1]);
}
