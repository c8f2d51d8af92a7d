// SPDX-License-Identifier: BSD-3-Clause
/* WireGuard stages in the worker loop; see worker_wg.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wg_data.h"
#include "worker.h"
#include "worker_wg.h"

int gk_worker_wg_init(struct gk_worker *w)
{
	struct gk_wg_ctx *c;
	char err[128];
	int ret;

	if (!w->cfg.wg)
		return 0;
	c = aligned_alloc(64, (sizeof(*c) + 63) & ~(size_t)63);
	if (!c)
		return -ENOMEM;
	ret = gk_wg_ctx_init(c, w->cfg.wg_max_peers, w->cfg.wg_aead, err,
			     sizeof(err));
	if (ret) {
		free(c);
		return ret;
	}
	c->stats = &w->stats;
	c->events = w->cfg.wg_events;
	w->wg = c;
	return 0;
}

void gk_worker_wg_fini(struct gk_worker *w)
{
	if (!w->wg)
		return;
	gk_wg_ctx_fini(w->wg);
	free(w->wg);
	w->wg = NULL;
}

uint16_t gk_worker_wg_rx(struct gk_worker *w, struct gk_pkt **stage,
			 uint16_t nt, struct gk_pkt **wg, uint16_t n)
{
	uint16_t i;

	if (unlikely(!w->wg || !w->wgp)) {
		/* Not configured, or nothing published yet. */
		for (i = 0; i < n; i++)
			gk_wk_drop(&w->stats, wg[i], w->wg ? GK_WK_DROP_WG :
							      GK_WK_DROP_UNHANDLED);
		if (w->wg)
			w->wg->drops[GK_WG_DROP_NO_SNAPSHOT] += n;
	} else {
		w->wg->peers = w->wgp;
		w->wg->now_ns = w->now_ns;
		gk_wg_decrypt_burst(w->wg, wg, n);
	}
	for (i = 0; i < n; i++)
		stage[nt++] = wg[i];
	return nt;
}

/* RFC 1812 §5.3.1 / RFC 8200 §3 decrement; false when it would hit 0. */
static inline bool dec_ttl(struct gk_pkt *p)
{
	uint8_t *ip = p->data + p->meta.l3_off;
	uint32_t csum;
	uint16_t c16;

	if (p->meta.flags & GK_META_F_IPV4) {
		if (ip[8] <= 1)
			return false;
		ip[8]--;
		/* RFC 1624 eqn. 3, as in l3fwd.c */
		memcpy(&c16, ip + 10, 2);
		csum = (uint32_t)c16 + htons(0x0100);
		c16 = (uint16_t)(csum + (csum >= 0xffff));
		memcpy(ip + 10, &c16, 2);
		return true;
	}
	if (ip[7] <= 1)
		return false;
	ip[7]--;
	return true;
}

void gk_worker_wg_tx(struct gk_worker *w, struct gk_pkt **p, uint16_t n)
{
	const struct gk_wg_peers *t = w->wgp;
	struct gk_pkt *tun[GK_BURST];
	uint16_t i, m = 0;

	w->wg->peers = t;
	w->wg->now_ns = w->now_ns;
	for (i = 0; i < n; i++) {
		struct gk_pkt *q = p[i];
		const uint8_t *ip;
		uint32_t a4;

		if (q->verdict != GK_V_NONE ||
		    q->meta.class != GK_CLASS_TRANSIT ||
		    (q->meta.flags & GK_META_F_ORIGIN))
			continue;
		ip = q->data + q->meta.l3_off;
		if (q->meta.flags & GK_META_F_IPV4) {
			memcpy(&a4, ip + 16, 4);
			if (gk_wg_peers_lookup4(t, a4) == GK_WG_NO_PEER)
				continue;
		} else if (q->meta.flags & GK_META_F_IPV6) {
			if (gk_wg_peers_lookup6(t, ip + 24) == GK_WG_NO_PEER)
				continue;
		} else {
			continue;
		}
		/* TTL 1: l3fwd drops it and the ICMP stage answers. */
		if (!dec_ttl(q))
			continue;
		tun[m++] = q;
		if (m == GK_BURST) {
			gk_wg_encrypt_burst(w->wg, tun, m);
			m = 0;
		}
	}
	if (m)
		gk_wg_encrypt_burst(w->wg, tun, m);
}
