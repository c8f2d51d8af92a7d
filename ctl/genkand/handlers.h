/* SPDX-License-Identifier: BSD-3-Clause */
/* genkand's ctl command table (docs/ctl-protocol.md documents the schemas). */
#ifndef GK_HANDLERS_H
#define GK_HANDLERS_H

#include <stddef.h>

#include "ctl_server.h"

extern const struct gk_ctl_cmd gk_handlers[];
extern const size_t gk_nr_handlers;

#endif
