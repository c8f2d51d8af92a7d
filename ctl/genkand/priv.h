/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Least privilege for genkand (docs/security.md): the capabilities it keeps
 * and the call that drops every other one. genkand stays uid 0 (no user
 * switch): root without the dropped capabilities.
 */
#ifndef GK_CTL_GENKAND_PRIV_H
#define GK_CTL_GENKAND_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The capabilities genkand keeps, as a CapEff-style bit mask. */
uint64_t gk_priv_keep_mask(void);

/*
 * Drops every capability but gk_priv_keep_mask() from the bounding,
 * inheritable, permitted and effective sets and clears the ambient set;
 * sets SECBIT_NOROOT (an exec gains no capability for being uid 0) and
 * no_new_privs. Call it before any thread exists: capabilities are per
 * thread and new threads inherit the caller's. A process that lacks a
 * kept capability already keeps what it has. @bind_low keeps
 * CAP_NET_BIND_SERVICE too, for a config that listens on a port below 1024
 * (WireGuard ListenPort, [metrics] listen). 0, or -errno with @err.
 */
int gk_priv_drop(bool bind_low, char *err, size_t errlen);

#endif
