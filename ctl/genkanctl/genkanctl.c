// SPDX-License-Identifier: BSD-3-Clause
/*
 * genkanctl: talk to genkand over its control socket.
 * Options and socket selection live here, subcommands in cli_cmds.c,
 * formatting in cli_output.c, transport in ctl_client.c.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_cmds.h"
#include "config.h"
#include "ctl_proto.h"
#include "gk_config.h"

#define DEFAULT_TIMEOUT_MS 5000

static const struct option long_opts[] = {
	{ "socket", required_argument, NULL, 's' },
	{ "instance", required_argument, NULL, 'i' },
	{ "json", no_argument, NULL, 'j' },
	{ "all", no_argument, NULL, 'a' },
	{ "timeout", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int parse_timeout(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT_MAX)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	struct gk_cli cli = {
		.timeout_ms = DEFAULT_TIMEOUT_MS,
		.out = stdout,
		.errf = stderr,
	};
	const struct gk_cli_cmd *cmd;
	const char *sock = NULL, *instance = GK_CONFIG_DEFAULT_INSTANCE;
	char path[108];
	int opt, ret;

	/* '+': stop at the command so it can take its own options. */
	while ((opt = getopt_long(argc, argv, "+s:i:jat:hV", long_opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sock = optarg;
			break;
		case 'i':
			instance = optarg;
			break;
		case 'j':
			cli.json = true;
			break;
		case 'a':
			cli.all = true;
			break;
		case 't':
			if (parse_timeout(optarg, &cli.timeout_ms)) {
				fprintf(stderr, "genkanctl: invalid timeout '%s' (milliseconds > 0)\n",
					optarg);
				return GK_CLI_EXIT_USAGE;
			}
			break;
		case 'h':
			gk_cli_usage(stdout);
			return GK_CLI_EXIT_OK;
		case 'V':
			/* This program's own; `genkanctl version` asks the daemon too. */
			printf("genkanctl %s (protocol %d)\n", GK_VERSION,
			       GK_CTL_VERSION);
			return GK_CLI_EXIT_OK;
		default:
			gk_cli_usage(stderr);
			return GK_CLI_EXIT_USAGE;
		}
	}

	if (optind >= argc) {
		fprintf(stderr, "genkanctl: no command given\n");
		gk_cli_usage(stderr);
		return GK_CLI_EXIT_USAGE;
	}
	cmd = gk_cli_cmd_find(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "genkanctl: unknown command '%s' (see genkanctl help)\n",
			argv[optind]);
		return GK_CLI_EXIT_USAGE;
	}

	if (sock) {
		if (!*sock || strlen(sock) >= sizeof(path)) {
			fprintf(stderr, "genkanctl: invalid socket path '%s'\n", sock);
			return GK_CLI_EXIT_USAGE;
		}
		snprintf(path, sizeof(path), "%s", sock);
	} else {
		ret = gk_config_socket_for(instance, path, sizeof(path));
		if (ret) {
			fprintf(stderr, "genkanctl: invalid instance '%s' (expected [A-Za-z0-9_-]{1,31})\n",
				instance);
			return GK_CLI_EXIT_USAGE;
		}
	}
	cli.socket_path = path;

	ret = cmd->fn(&cli, argc - optind, argv + optind);
	if (fflush(stdout) && ret == GK_CLI_EXIT_OK) {
		fprintf(stderr, "genkanctl: write error: %s\n", strerror(errno));
		ret = GK_CLI_EXIT_DAEMON;
	}
	return ret;
}
