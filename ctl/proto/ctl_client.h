/* SPDX-License-Identifier: BSD-3-Clause */
/* ctl client: one request/reply round trip to genkand over its socket. */
#ifndef GK_CTL_CLIENT_H
#define GK_CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/*
 * Sends {"cmd": @cmd, "args": @args} (@args borrowed, may be NULL) and
 * waits at most @timeout_ms (< 0: forever) for the reply. On success
 * returns 0 and *result holds a new reference to the result object.
 * Otherwise returns -errno and a readable message in @err: either the
 * daemon's own error (its errno) or a transport problem such as
 * "genkand is not running (no socket at PATH)", -ETIMEDOUT, -EPROTO.
 */
int gk_ctl_call(const char *path, const char *cmd, json_t *args,
		json_t **result, char *err, size_t errlen, int timeout_ms);

/* As gk_ctl_call(); *remote tells whether a failure was the daemon's
 * error reply (true) or a failure to reach or understand it (false). */
int gk_ctl_call_ex(const char *path, const char *cmd, json_t *args,
		   json_t **result, bool *remote, char *err, size_t errlen,
		   int timeout_ms);

/*
 * A reply payload (@len bytes of JSON) as gk_ctl_call_ex() reads it: 0 and
 * *result (a new reference), or -errno with the daemon's error (*remote
 * set, when remote is not NULL) or -EPROTO with what is wrong in @err.
 * Pure: for gk_ctl_call_ex() and the fuzz harness.
 */
int gk_ctl_reply_decode(const char *buf, size_t len, json_t **result,
			bool *remote, char *err, size_t errlen);

#endif /* GK_CTL_CLIENT_H */
