/* SPDX-License-Identifier: BSD-3-Clause */
/* genkanctl subcommands: a {name, fn, help} table; each fn returns an exit code. */
#ifndef GK_CLI_CMDS_H
#define GK_CLI_CMDS_H

#include <stdbool.h>
#include <stdio.h>

enum {
	GK_CLI_EXIT_OK = 0,
	GK_CLI_EXIT_DAEMON = 1,		/* the daemon answered with an error */
	GK_CLI_EXIT_USAGE = 2,
	GK_CLI_EXIT_UNREACHABLE = 3,	/* no socket, refused, timeout, protocol */
};

struct gk_cli {
	const char *socket_path;
	int timeout_ms;
	bool json;		/* -j: print the daemon's result as JSON */
	bool all;		/* -a: keep all-zero rows in stats */
	FILE *out;
	FILE *errf;
};

struct gk_cli_cmd {
	const char *name;
	int (*fn)(struct gk_cli *cli, int argc, char **argv);
	const char *help;
};

/* NULL if unknown; accepts aliases (neigh). */
const struct gk_cli_cmd *gk_cli_cmd_find(const char *name);

/* Full usage text, including the command list. */
void gk_cli_usage(FILE *f);

#endif /* GK_CLI_CMDS_H */
