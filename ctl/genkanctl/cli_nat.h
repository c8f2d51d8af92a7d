/* SPDX-License-Identifier: BSD-3-Clause */
/* genkanctl nat sessions|stats|mappings (cli_nat.c). */
#ifndef GK_CLI_NAT_H
#define GK_CLI_NAT_H

#include "cli_cmds.h"

int gk_cli_nat(struct gk_cli *cli, int argc, char **argv);

#endif
