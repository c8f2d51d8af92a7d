// SPDX-License-Identifier: BSD-3-Clause
/* Frames for the packet harnesses; see fuzz_pkt.h. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_pkt.h"

static uint8_t *new_buf(uint32_t room)
{
	uint8_t *b = malloc(GK_PKT_HEADROOM + (size_t)room);

	if (!b)
		abort();
	/* The headroom is junk a stage must write before it reads. */
	memset(b, 0xa5, GK_PKT_HEADROOM);
	return b;
}

unsigned fz_split(struct fz_frames *f, const uint8_t *data, size_t size)
{
	memset(f, 0, sizeof(*f));
	while (size >= 3 && f->n < FZ_MAX) {
		uint8_t ctl = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];
		struct gk_pkt *p = &f->pkt[f->n];
		uint32_t room;
		uint8_t *b;

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if (len > FZ_ROOM)
			len = FZ_ROOM;
		room = ctl & FZ_TIGHT ? (uint32_t)len : FZ_ROOM;
		b = new_buf(room);
		memcpy(b + GK_PKT_HEADROOM, data, len);
		if (room > len)
			memset(b + GK_PKT_HEADROOM + len, 0x5a, room - len);
		f->base[f->n] = b;
		p->data = b + GK_PKT_HEADROOM;
		p->len = (uint32_t)len;
		p->buf_len = room;
		p->out_port = 0xffff;
		f->ctl[f->n] = ctl;
		f->ptr[f->n] = p;
		f->n++;
		data += len;
		size -= len;
	}
	return f->n;
}

uint16_t fz_alloc(void *arg, struct gk_pkt **p, uint16_t n)
{
	struct fz_frames *f = arg;
	uint16_t i;

	for (i = 0; i < n && f->nr_extra < FZ_MAX_EXTRA; i++) {
		struct gk_pkt *q = calloc(1, sizeof(*q));
		uint8_t *b;

		if (!q)
			abort();
		b = new_buf(FZ_ROOM);
		memset(b + GK_PKT_HEADROOM, 0x5a, FZ_ROOM);
		q->data = b + GK_PKT_HEADROOM;
		q->buf_len = FZ_ROOM;
		q->out_port = 0xffff;
		f->extra_base[f->nr_extra] = b;
		f->extra[f->nr_extra++] = q;
		p[i] = q;
	}
	return i;
}

void fz_free(struct fz_frames *f)
{
	unsigned i;

	for (i = 0; i < f->n; i++)
		free(f->base[i]);
	for (i = 0; i < f->nr_extra; i++) {
		free(f->extra_base[i]);
		free(f->extra[i]);
	}
	f->n = 0;
	f->nr_extra = 0;
}

int fz_classify(struct gk_pkt *p, const struct gk_classify_cfg *cfg)
{
	enum gk_xdp_drop why;

	switch (gk_classify(p->data, p->len, cfg, &p->meta, &why)) {
	case GK_CLS_WORKER:
		p->verdict = GK_V_NONE;
		return 1;
	case GK_CLS_KERNEL:
		p->verdict = GK_V_KERNEL;
		return 0;
	default:
		p->verdict = GK_V_DROP;
		return 0;
	}
}

unsigned fz_next_burst(struct fz_frames *f, unsigned *pos, uint64_t *now_ns,
		       int (*filter)(void *arg, struct gk_pkt *p, uint8_t ctl),
		       void *arg, struct gk_pkt **out)
{
	unsigned i = *pos, n = 0;

	if (i >= f->n)
		return 0;
	*now_ns += FZ_STEP(f->ctl[i]) * FZ_STEP_NS;
	do {
		if (!filter || filter(arg, &f->pkt[i], f->ctl[i]))
			out[n++] = &f->pkt[i];
		i++;
	} while (i < f->n && !(f->ctl[i] & FZ_NEW_BURST));
	*pos = i;
	/* A burst whose frames were all filtered out still counts. */
	if (!n && i < f->n)
		return fz_next_burst(f, pos, now_ns, filter, arg, out);
	return n;
}
