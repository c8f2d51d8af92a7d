// SPDX-License-Identifier: BSD-3-Clause
/* genkanctl l4 show|lookup|backend; transport in ctl_client.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli_l4.h"
#include "cli_output.h"
#include "ctl_client.h"

#define NB	64

#define L4_USAGE							\
	"usage: genkanctl l4 show [NAME]\n"				\
	"       genkanctl l4 lookup NAME CLIENT_ADDR:PORT\n"		\
	"       genkanctl l4 backend NAME ADDR[:PORT] drain|enable|disable\n" \
	"       genkanctl l4 flows [NAME]\n"

static int usage(struct gk_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage(struct gk_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fputs("genkanctl: l4: ", cli->errf);
	va_start(ap, fmt);
	vfprintf(cli->errf, fmt, ap);
	va_end(ap);
	fprintf(cli->errf, "\n%s", L4_USAGE);
	return GK_CLI_EXIT_USAGE;
}

/* One call; takes @args. With -j prints the result and sets *r NULL. */
static int l4_call(struct gk_cli *cli, json_t *args, json_t **r)
{
	char err[512];
	bool remote;
	int ret;

	ret = gk_ctl_call_ex(cli->socket_path, "l4", args, r, &remote, err,
			     sizeof(err), cli->timeout_ms);
	json_decref(args);
	if (ret) {
		fprintf(cli->errf, remote ? "genkanctl: l4: %s\n" :
			"genkanctl: %s\n", err);
		return remote ? GK_CLI_EXIT_DAEMON : GK_CLI_EXIT_UNREACHABLE;
	}
	if (cli->json) {
		gk_out_json(cli->out, *r);
		json_decref(*r);
		*r = NULL;
	}
	return GK_CLI_EXIT_OK;
}

static int l4_show(struct gk_cli *cli, int argc, char **argv)
{
	static const char *const heads[] = {
		"BACKEND", ">WEIGHT", "STATE", "HEALTH", ">SLOTS", ">FLOWS",
		">PACKETS", ">BYTES",
	};
	json_t *args, *r, *s, *b, *v, *sn;
	struct gk_out_table t;
	const char *key;
	char c[8][NB], hc[NB];
	size_t i, j;
	int ret;

	if (argc > 2)
		return usage(cli, "show takes at most a service name");
	args = argc == 2 ? json_pack("{s:s, s:s}", "op", "show", "name", argv[1])
			 : json_pack("{s:s}", "op", "show");
	ret = l4_call(cli, args, &r);
	if (ret || !r)
		return ret;
	json_array_foreach(json_object_get(r, "services"), i, s) {
		fprintf(cli->out, "%s%s: %s %s, client_ip %s, Maglev M %lld\n",
			i ? "\n" : "", gk_out_str(s, "name", c[0], NB),
			gk_out_str(s, "proto", c[1], NB),
			gk_out_str(s, "listen", c[2], NB),
			gk_out_str(s, "client_ip", c[3], NB),
			gk_out_int(s, "table_size", 0));
		sn = json_object_get(s, "snat");
		if (sn)
			fprintf(cli->out, "snat pool %s ports %s: %lld of %lld in use\n",
				gk_out_str(sn, "pool", c[0], NB),
				gk_out_str(sn, "ports", c[1], NB),
				gk_out_int(sn, "in_use", 0),
				gk_out_int(sn, "capacity", 0));
		gk_out_table_init(&t, 8, heads);
		json_array_foreach(json_object_get(s, "backends"), j, b) {
			json_t *h = json_object_get(b, "health");
			const char *row[8] = {
				gk_out_str(b, "backend", c[0], NB),
				gk_out_str(b, "weight", c[1], NB),
				gk_out_str(b, "state", c[2], NB),
				c[3],
				gk_out_str(b, "table_slots", c[4], NB),
				gk_out_str(b, "flows", c[5], NB),
				gk_out_str(b, "packets", c[6], NB),
				gk_out_str(b, "bytes", c[7], NB),
			};

			/* "up (ok)", "down (refused)", or "none" unchecked */
			if (json_object_get(h, "state"))
				snprintf(c[3], NB, "%s (%s)",
					 gk_out_str(h, "state", hc, NB),
					 json_string_value(json_object_get(h, "last")) ?: "-");
			else
				snprintf(c[3], NB, "%s",
					 gk_out_str(h, "check", hc, NB));

			gk_out_table_add(&t, row);
		}
		gk_out_table_print(&t, cli->out, 2);
		gk_out_table_free(&t);
	}
	fprintf(cli->out, "\ncounters:");
	json_object_foreach(json_object_get(r, "counters"), key, v)
		if (json_integer_value(v) || cli->all)
			fprintf(cli->out, " %s %lld", key,
				(long long)json_integer_value(v));
	fprintf(cli->out, "\n");
	json_decref(r);
	return GK_CLI_EXIT_OK;
}

static int l4_lookup(struct gk_cli *cli, int argc, char **argv)
{
	json_t *r, *b;
	int ret;

	if (argc != 3)
		return usage(cli, "lookup needs NAME and CLIENT_ADDR:PORT");
	ret = l4_call(cli, json_pack("{s:s, s:s, s:s}", "op", "lookup", "name",
				     argv[1], "client", argv[2]), &r);
	if (ret || !r)
		return ret;
	b = json_object_get(r, "backend");
	fprintf(cli->out, "%s\n", json_is_string(b) ? json_string_value(b) :
		"none (no usable backend)");
	json_decref(r);
	return GK_CLI_EXIT_OK;
}

static int l4_backend(struct gk_cli *cli, int argc, char **argv)
{
	json_t *r;
	int ret;

	if (argc != 4)
		return usage(cli, "backend needs NAME ADDR[:PORT] and "
			     "drain|enable|disable");
	ret = l4_call(cli, json_pack("{s:s, s:s, s:s, s:s}", "op", "backend",
				     "name", argv[1], "backend", argv[2],
				     "action", argv[3]), &r);
	if (ret || !r)
		return ret;
	fprintf(cli->out, "%s: %s is %s\n", argv[1], argv[2],
		json_string_value(json_object_get(r, "state")) ?: "?");
	json_decref(r);
	return GK_CLI_EXIT_OK;
}

static int l4_flows(struct gk_cli *cli, int argc, char **argv)
{
	static const char *const heads[] = {
		"SERVICE", "PROTO", "CLIENT", ">PORT", "BACKEND", "SNAT",
		">WORKER", "STATE", ">IDLE_S",
	};
	struct gk_out_table t;
	json_t *args, *r, *f;
	char c[9][NB];
	size_t i;
	int ret;

	if (argc > 2)
		return usage(cli, "flows takes at most a service name");
	args = argc == 2 ? json_pack("{s:s, s:s}", "op", "flows", "name", argv[1])
			 : json_pack("{s:s}", "op", "flows");
	ret = l4_call(cli, args, &r);
	if (ret || !r)
		return ret;
	gk_out_table_init(&t, 9, heads);
	json_array_foreach(json_object_get(r, "flows"), i, f) {
		const char *row[9] = {
			gk_out_str(f, "service", c[0], NB),
			gk_out_str(f, "proto", c[1], NB),
			gk_out_str(f, "client", c[2], NB),
			gk_out_str(f, "listen_port", c[3], NB),
			gk_out_str(f, "backend", c[4], NB),
			json_is_string(json_object_get(f, "snat")) ?
				gk_out_str(f, "snat", c[5], NB) : "-",
			gk_out_str(f, "worker", c[6], NB),
			gk_out_str(f, "state", c[7], NB),
			gk_out_str(f, "idle_s", c[8], NB),
		};

		gk_out_table_add(&t, row);
	}
	if (t.nrows)
		gk_out_table_print(&t, cli->out, 0);
	fprintf(cli->out, "%lld flow(s)%s\n", gk_out_int(r, "total", 0),
		json_is_true(json_object_get(r, "truncated")) ?
		" (listing truncated per worker)" : "");
	gk_out_table_free(&t);
	json_decref(r);
	return GK_CLI_EXIT_OK;
}

int gk_cli_l4(struct gk_cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return usage(cli, "needs a subcommand");
	if (!strcmp(argv[1], "show"))
		return l4_show(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "lookup"))
		return l4_lookup(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "backend"))
		return l4_backend(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "flows"))
		return l4_flows(cli, argc - 1, argv + 1);
	return usage(cli, "unknown subcommand '%s'", argv[1]);
}
