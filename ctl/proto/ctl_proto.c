// SPDX-License-Identifier: BSD-3-Clause
/* Framing and payload checks shared by the ctl server and client. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"

void gk_ctl_hdr_init(struct gk_ctl_hdr *h, uint32_t len, uint32_t seq)
{
	h->magic = GK_CTL_MAGIC;
	h->version = GK_CTL_VERSION;
	h->flags = 0;
	h->len = len;
	h->seq = seq;
}

int gk_ctl_hdr_check(const struct gk_ctl_hdr *h, uint32_t max_len, char *err,
		     size_t errlen)
{
	if (h->magic != GK_CTL_MAGIC) {
		snprintf(err, errlen, "bad magic 0x%08x (expected 0x%08x)",
			 h->magic, GK_CTL_MAGIC);
		return -EPROTO;
	}
	if (h->version != GK_CTL_VERSION) {
		snprintf(err, errlen,
			 "protocol version mismatch: peer speaks version %u, this side speaks version %u",
			 h->version, GK_CTL_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (h->flags) {
		snprintf(err, errlen, "unknown header flags 0x%04x", h->flags);
		return -EPROTO;
	}
	if (h->len > max_len) {
		snprintf(err, errlen, "payload of %u bytes exceeds the %u byte limit",
			 h->len, max_len);
		return -EMSGSIZE;
	}
	return 0;
}

int gk_ctl_request_parse(const char *buf, size_t len, json_t **root,
			 const char **cmd, json_t **args, char *err,
			 size_t errlen)
{
	json_error_t jerr;
	json_t *obj, *c, *a;

	obj = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj) {
		snprintf(err, errlen, "invalid JSON: %s (line %d column %d)",
			 jerr.text, jerr.line, jerr.column);
		return -EBADMSG;
	}
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "request must be a JSON object");
		goto err_put;
	}
	c = json_object_get(obj, "cmd");
	if (!c) {
		snprintf(err, errlen, "request has no \"cmd\"");
		goto err_put;
	}
	if (!json_is_string(c)) {
		snprintf(err, errlen, "\"cmd\" must be a string");
		goto err_put;
	}
	a = json_object_get(obj, "args");
	if (a && json_is_null(a)) {
		a = NULL;
	} else if (a && !json_is_object(a)) {
		snprintf(err, errlen, "\"args\" must be an object");
		goto err_put;
	}
	*root = obj;
	*cmd = json_string_value(c);
	*args = a;
	return 0;

err_put:
	json_decref(obj);
	return -EBADMSG;
}

int gk_ctl_encode(const json_t *payload, uint32_t seq, uint32_t max_len,
		  char **bufp, size_t *lenp)
{
	struct gk_ctl_hdr h;
	size_t n;
	char *buf;

	n = json_dumpb(payload, NULL, 0, JSON_COMPACT);
	if (n == 0)
		return -ENOMEM;
	if (n > max_len)
		return -EMSGSIZE;
	buf = malloc(sizeof(h) + n);
	if (!buf)
		return -ENOMEM;
	if (json_dumpb(payload, buf + sizeof(h), n, JSON_COMPACT) != n) {
		free(buf);
		return -ENOMEM;
	}
	gk_ctl_hdr_init(&h, (uint32_t)n, seq);
	memcpy(buf, &h, sizeof(h));
	*bufp = buf;
	*lenp = sizeof(h) + n;
	return 0;
}

json_t *gk_ctl_reply_ok(json_t *result)
{
	if (!result)
		result = json_object();
	return json_pack("{s:b, s:o}", "ok", 1, "result", result);
}

json_t *gk_ctl_reply_err(int errnum, const char *msg)
{
	json_t *r = NULL;

	if (errnum < 0)
		errnum = -errnum;
	if (msg && *msg)
		r = json_pack("{s:b, s:s, s:i}", "ok", 0, "error", msg,
			      "errno", errnum);
	/* Fall back when msg is empty or not valid UTF-8. */
	if (!r)
		r = json_pack("{s:b, s:s, s:i}", "ok", 0, "error",
			      strerror(errnum), "errno", errnum);
	return r;
}
