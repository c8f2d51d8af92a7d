/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * genkan control protocol (docs/ctl-protocol.md): over a local UNIX stream
 * socket, each message is a 16-byte header in host byte order followed by
 * a JSON payload. Requests are {"cmd": NAME, "args": {...}}; replies are
 * {"ok": true, "result": {...}} or {"ok": false, "error": MSG, "errno": N}.
 */
#ifndef GK_CTL_PROTO_H
#define GK_CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define GK_CTL_MAGIC		0x474b4354u	/* "GKCT" */
#define GK_CTL_VERSION		1
#define GK_CTL_MAX_REQ		(64u * 1024)
#define GK_CTL_MAX_RESP		(16u * 1024 * 1024)

struct gk_ctl_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t flags;		/* none defined; must be 0 */
	uint32_t len;		/* payload bytes following the header */
	uint32_t seq;		/* echoed in the reply */
};

_Static_assert(sizeof(struct gk_ctl_hdr) == 16, "gk_ctl_hdr is wire ABI");

void gk_ctl_hdr_init(struct gk_ctl_hdr *h, uint32_t len, uint32_t seq);

/*
 * Checks magic, version, flags and len against @max_len. Returns 0,
 * -EPROTO (bad magic or flags), -EPROTONOSUPPORT (version; message names
 * both versions) or -EMSGSIZE, with a message in @err.
 */
int gk_ctl_hdr_check(const struct gk_ctl_hdr *h, uint32_t max_len, char *err,
		     size_t errlen);

/*
 * Validates a request payload. On success *root holds a new reference to
 * the whole object, *cmd points into it and *args is a borrowed reference
 * (NULL when absent). Returns -EBADMSG with a message otherwise.
 */
int gk_ctl_request_parse(const char *buf, size_t len, json_t **root,
			 const char **cmd, json_t **args, char *err,
			 size_t errlen);

/*
 * Serialises @payload behind a header into one malloc'd buffer, so it can
 * be written with as many partial writes as the socket needs. Returns 0
 * or -ENOMEM / -EMSGSIZE (payload above @max_len).
 */
int gk_ctl_encode(const json_t *payload, uint32_t seq, uint32_t max_len,
		  char **buf, size_t *len);

/* Reply payloads; the caller owns the returned reference. @result is
 * stolen (NULL becomes {}). @errnum is positive. */
json_t *gk_ctl_reply_ok(json_t *result);
json_t *gk_ctl_reply_err(int errnum, const char *msg);

#endif /* GK_CTL_PROTO_H */
