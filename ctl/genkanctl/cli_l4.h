/* SPDX-License-Identifier: BSD-3-Clause */
/* genkanctl l4: the front door's services, backends and lookups. */
#ifndef GK_CLI_L4_H
#define GK_CLI_L4_H

#include "cli_cmds.h"

int gk_cli_l4(struct gk_cli *cli, int argc, char **argv);

#endif
