/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cursor-style header parsing for XDP programs. A cursor carries two ends:
 * the frame end (data_end), which the verifier insists on, and a logical end
 * (the IP datagram's own length), which keeps Ethernet padding from being
 * read as headers. Every pull checks both.
 */
#ifndef GK_BPF_CURSOR_H
#define GK_BPF_CURSOR_H

#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

struct cursor {
	void *pos;
	void *end;	/* data_end */
	__u32 off;	/* pos - start of frame */
	__u32 lim;	/* logical end offset; never past end */
};

static __always_inline void cur_init(struct cursor *c, void *data,
				     void *data_end)
{
	c->pos = data;
	c->end = data_end;
	c->off = 0;
	c->lim = data_end - data;
}

/* Bytes left before the logical end. */
static __always_inline __u32 cur_left(const struct cursor *c)
{
	return c->lim - c->off;
}

/* NULL unless len bytes are present at the cursor; does not advance. */
static __always_inline void *cur_peek(const struct cursor *c, __u32 len)
{
	void *p = c->pos;

	if (c->off + len > c->lim)
		return NULL;
	if (p + len > c->end)
		return NULL;
	return p;
}

/*
 * Advance past len bytes, returning where they start. len may be variable
 * but must have a small known bound (header length fields do).
 */
static __always_inline void *cur_pull(struct cursor *c, __u32 len)
{
	void *p = c->pos;

	if (c->off + len > c->lim)
		return NULL;
	if (p + len > c->end)
		return NULL;
	c->pos = p + len;
	c->off += len;
	return p;
}

#endif
