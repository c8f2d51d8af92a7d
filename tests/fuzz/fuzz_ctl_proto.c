// SPDX-License-Identifier: BSD-3-Clause
/*
 * The ctl protocol (ctl/proto): the input is a byte stream as a client
 * would write it to genkand's socket, read the way the server reads it:
 * 16-byte header (gk_ctl_hdr_check against GK_CTL_MAX_REQ), then the
 * payload (gk_ctl_request_parse). Each request is answered as a handler
 * would (its args back as the result, or an error), encoded
 * (gk_ctl_encode) and read back the way genkanctl reads a reply
 * (gk_ctl_hdr_check, gk_ctl_reply_decode): that round trip must succeed.
 * Finally the whole input is decoded as a reply payload, too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_client.h"
#include "ctl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void answer(json_t *args, uint32_t seq, const char *cmd)
{
	struct gk_ctl_hdr h;
	json_t *reply, *result = NULL;
	char *buf, err[256];
	size_t len;
	int ret;

	if (strlen(cmd) & 1)
		reply = gk_ctl_reply_err(EINVAL, cmd);
	else
		reply = gk_ctl_reply_ok(args ? json_deep_copy(args) : NULL);
	if (!reply)
		abort();
	ret = gk_ctl_encode(reply, seq, GK_CTL_MAX_RESP, &buf, &len);
	json_decref(reply);
	if (ret)
		abort();
	if (len < sizeof(h))
		abort();
	memcpy(&h, buf, sizeof(h));
	if (gk_ctl_hdr_check(&h, GK_CTL_MAX_RESP, err, sizeof(err)) ||
	    h.seq != seq || h.len != len - sizeof(h))
		abort();
	ret = gk_ctl_reply_decode(buf + sizeof(h), h.len, &result, NULL, err,
				  sizeof(err));
	/* what we encoded decodes: the result, or our own error */
	if (strlen(cmd) & 1 ? ret != -EINVAL : ret != 0)
		abort();
	json_decref(result);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t left = size;
	json_t *result = NULL;
	char err[256];

	while (left >= sizeof(struct gk_ctl_hdr)) {
		struct gk_ctl_hdr h;
		const char *cmd;
		json_t *root, *args;

		memcpy(&h, p, sizeof(h));
		p += sizeof(h);
		left -= sizeof(h);
		if (gk_ctl_hdr_check(&h, GK_CTL_MAX_REQ, err, sizeof(err)))
			break;		/* the server closes the connection */
		if (h.len > left)
			break;		/* it would wait for the rest */
		if (!gk_ctl_request_parse((const char *)p, h.len, &root, &cmd,
					  &args, err, sizeof(err))) {
			answer(args, h.seq, cmd);
			json_decref(root);
		}
		p += h.len;
		left -= h.len;
	}
	if (!gk_ctl_reply_decode((const char *)data, size, &result, NULL, err,
				 sizeof(err)))
		json_decref(result);
	return 0;
}
