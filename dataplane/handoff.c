// SPDX-License-Identifier: BSD-3-Clause
/* Worker-to-worker packet handoff; see handoff.h. */
#include <stdlib.h>
#include <string.h>

#include "handoff.h"
#include "spsc.h"

struct gk_handoff {
	unsigned nr;
	struct gk_spsc *ring[];		/* [from * nr + to]; NULL on the diagonal */
};

struct gk_handoff *gk_handoff_create(unsigned nr_workers, unsigned ring_pow2)
{
	struct gk_handoff *h;
	unsigned f, t;

	if (!nr_workers || nr_workers > 1024)
		return NULL;
	h = calloc(1, sizeof(*h) + sizeof(h->ring[0]) * nr_workers * nr_workers);
	if (!h)
		return NULL;
	h->nr = nr_workers;
	for (f = 0; f < nr_workers; f++) {
		for (t = 0; t < nr_workers; t++) {
			if (f == t)
				continue;
			h->ring[f * nr_workers + t] =
				gk_spsc_create(sizeof(struct gk_handoff_pkt),
					       ring_pow2);
			if (!h->ring[f * nr_workers + t]) {
				gk_handoff_free(h);
				return NULL;
			}
		}
	}
	return h;
}

void gk_handoff_free(struct gk_handoff *h)
{
	unsigned i;

	if (!h)
		return;
	for (i = 0; i < h->nr * h->nr; i++)
		gk_spsc_destroy(h->ring[i]);
	free(h);
}

unsigned gk_handoff_workers(const struct gk_handoff *h)
{
	return h->nr;
}

bool gk_handoff_push(struct gk_handoff *h, unsigned from, unsigned to,
		     const struct gk_pkt *p, uint8_t stage)
{
	struct gk_handoff_pkt e;

	if (unlikely(from >= h->nr || to >= h->nr || from == to ||
		     p->len > GK_HANDOFF_DATA))
		return false;
	/* Only the used bytes: the ring copies the whole element anyway. */
	e.len = (uint16_t)p->len;
	e.in_port = p->in_port;
	e.stage = stage;
	memset(e.pad, 0, sizeof(e.pad));
	e.meta = p->meta;
	memcpy(e.data, p->data, p->len);
	return gk_spsc_push(h->ring[from * h->nr + to], &e);
}

unsigned gk_handoff_pop(struct gk_handoff *h, unsigned from, unsigned to,
			struct gk_handoff_pkt *out, unsigned max)
{
	if (from >= h->nr || to >= h->nr || from == to)
		return 0;
	return gk_spsc_pop(h->ring[from * h->nr + to], out, max);
}
