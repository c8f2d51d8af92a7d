/* SPDX-License-Identifier: BSD-3-Clause */
/* genkand: the genkan control daemon. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu-qsbr.h>

#include <gk_config.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "priv.h"

#define DEFAULT_CONFIG "/etc/genkan/genkan.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: genkand [-c CONFIG] [-n] [-f]\n"
		"  -c, --config FILE  config file (default " DEFAULT_CONFIG ")\n"
		"  -n, --check        validate the config and exit\n"
		"  -f, --foreground   run in the foreground (the only mode;\n"
		"                     supervise genkand with systemd or a shell)\n"
		"  -V, --version      print the version\n"
		"signals: SIGTERM/SIGINT stop, SIGHUP reloads the config\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_CONFIG;
	static struct gk_daemon daemon;
	static struct gk_config cfg;
	bool check = false;
	char err[4096];
	int c, ret;

	while ((c = getopt_long(argc, argv, "c:nfVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'f':
			break;
		case 'V':
			printf("genkand %s\n", GK_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	ret = gk_config_load(path, &cfg, err, sizeof(err));
	/*
	 * Names resolve once, here, like wg(8) resolves when a config is
	 * applied; --check too, so it catches what the start would (bounded
	 * for a box without network). A reload compares names, not addresses.
	 */
	if (!ret) {
		ret = gk_config_resolve(&cfg, GK_CONFIG_WG_RESOLVE_MS, err,
					sizeof(err));
		if (ret)
			gk_config_free(&cfg);
	}
	if (ret) {
		fprintf(stderr, "%s", err);
		if (err[0] && err[strlen(err) - 1] != '\n')
			fputc('\n', stderr);
		return 1;
	}
	/* What may be right but often is not: named by line, never fatal. */
	if (gk_config_warnings(&cfg, err, sizeof(err)) && err[0]) {
		if (check) {
			fputs(err, stderr);
			if (err[strlen(err) - 1] != '\n')
				fputc('\n', stderr);
		} else {
			for (char *l = strtok(err, "\n"); l; l = strtok(NULL, "\n"))
				gk_warn("%s", l);
		}
	}
	if (check) {
		printf("%s: OK (instance %s, %u port(s), %u worker(s))\n", path,
		       cfg.instance, cfg.nr_ports, cfg.workers);
		gk_config_free(&cfg);
		return 0;
	}

	/* Before any thread exists: they all inherit the reduced sets. */
	ret = gk_priv_drop((cfg.wg && cfg.wg->enabled && cfg.wg->listen_port < 1024) ||
			   (cfg.metrics.enabled && cfg.metrics.port < 1024),
			   err, sizeof(err));
	if (ret) {
		gk_err("dropping capabilities: %s", err);
		gk_config_free(&cfg);
		return 1;
	}
	rcu_register_thread();
	ret = gk_daemon_start(&daemon, &cfg, err, sizeof(err));
	gk_config_free(&cfg);	/* the daemon keeps its own copy */
	if (ret) {
		gk_err("startup failed: %s", err);
		gk_daemon_stop(&daemon);
		rcu_unregister_thread();
		return 1;
	}
	ret = gk_daemon_run(&daemon);
	gk_daemon_stop(&daemon);
	rcu_unregister_thread();
	return ret ? 1 : 0;
}
