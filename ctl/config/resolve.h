/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host name -> address for WireGuard endpoints, in genkand only (never in
 * a worker). Behaves like wg(8): getaddrinfo(3) without AI_ADDRCONFIG,
 * UDP, the first IPv4 or IPv6 answer wins; transient failures (anything
 * but EAI_NONAME / EAI_FAIL / EAI_NODATA) are retried with a growing
 * delay. Unlike wg(8) the whole batch is bounded by a deadline, because
 * getaddrinfo() itself cannot be: each name is looked up on a detached
 * thread that outlives a missed deadline and frees its own state.
 */
#ifndef GK_CTL_RESOLVE_H
#define GK_CTL_RESOLVE_H

#include <stdint.h>

#define GK_RESOLVE_HOST_MAX	254	/* 253 + NUL (RFC 1035 §2.3.4) */
#define GK_RESOLVE_RETRIES	5	/* transient failures, per name */
#define GK_RESOLVE_TIMEDOUT	1	/* err: no answer before the deadline */

struct gk_resolve {
	const char *host;	/* in: a name (literals work too) */
	uint16_t port;		/* in: host order */
	uint8_t family;		/* out: AF_INET, AF_INET6; 0 on failure */
	uint8_t addr[16];	/* out: network order */
	int err;		/* out: 0, an EAI_* code or GK_RESOLVE_TIMEDOUT */
	int sys_errno;		/* out: errno for EAI_SYSTEM */
};

/*
 * Resolves @n names in parallel, waiting at most @timeout_ms in all.
 * Returns 0 when every name resolved, -EHOSTUNREACH when some did not
 * (see each ->err), -ENOMEM / -errno when nothing could be started.
 */
int gk_resolve_run(struct gk_resolve *r, unsigned n, unsigned timeout_ms);

/* Why ->err failed, for a message ("Name or service not known"). */
const char *gk_resolve_strerror(const struct gk_resolve *r);

#endif
