// SPDX-License-Identifier: BSD-3-Clause
/* WireGuard behind a MAP-E CE in the worker loop; see worker_wgce.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csum.h"
#include "efd.h"
#include "map_table.h"
#include "pkthdr.h"
#include "port.h"
#include "spsc.h"
#include "stage.h"
#include "wg_data.h"
#include "worker.h"
#include "worker_wg.h"
#include "worker_wgce.h"

/* Whitepaper §5.4: message types, le32 with three zero bytes. */
#define WG_INITIATION	1
#define WG_COOKIE	3
#define WG_DATA		4
#define WG_DATA_MIN	32	/* header 16 + empty payload's tag 16 */

/*
 * Whitepaper §5.4.2-§5.4.7: handshake messages have one size each, as the
 * kernel's receive path insists; any other length never reaches genkand.
 */
static const uint16_t hs_len[WG_COOKIE + 1] = {
	[1] = GK_WG_CTLMSG_MAX, [2] = 92, [3] = 64,
};

#define IP4_UDP_HDRS	28

int gk_worker_wgce_init(struct gk_worker *w)
{
	if (!w->cfg.wg_inject)
		return 0;
	w->wgce_scratch = calloc(GK_BURST, sizeof(*w->wgce_scratch));
	return w->wgce_scratch ? 0 : -ENOMEM;
}

void gk_worker_wgce_fini(struct gk_worker *w)
{
	free(w->wgce_scratch);
	w->wgce_scratch = NULL;
}

static inline bool is_ce(const struct gk_worker *w)
{
	const struct gk_map_table *t = w->mape.map;

	return t && t->role == GK_MAPE_ROLE_CE && w->cfg.wg_ce_port;
}

uint16_t gk_worker_wgce_claim(struct gk_worker *w, struct gk_pkt **ce,
			      uint16_t *nce, struct gk_pkt **transit,
			      uint16_t nt)
{
	const struct gk_map_table *t = w->mape.map;
	const struct gk_wg_peers *wp = w->wgp;
	uint16_t i, k = 0;
	uint32_t a4;

	if (!wp || !is_ce(w))
		return nt;
	for (i = 0; i < *nce; i++) {
		struct gk_pkt *p = ce[i];

		if (p->verdict == GK_V_NONE &&
		    (p->meta.flags & GK_META_F_IPV4) &&
		    p->in_port == t->v4_port_id &&
		    (uint32_t)p->meta.l3_off + 20 <= p->len) {
			memcpy(&a4, p->data + p->meta.l3_off + 16, 4);
			if (gk_wg_peers_lookup4(wp, a4) != GK_WG_NO_PEER) {
				/* cryptokey routing wins over NAPT + encap */
				p->meta.class = GK_CLASS_TRANSIT;
				transit[nt++] = p;
				continue;
			}
		}
		ce[k++] = p;
	}
	*nce = k;
	return nt;
}

/* mlen is hs_len[] of the message's type: it fits m.msg. */
static void punt(struct gk_worker *w, struct gk_pkt *p, const uint8_t *ip,
		 const uint8_t *udp, uint32_t mlen)
{
	struct gk_wg_ctlmsg m;

	p->verdict = GK_V_DROP;		/* genkand has it now: not a drop */
	p->drop_reason = 0;
	if (unlikely(!w->cfg.wg_punt)) {
		w->wgce.punt_drops++;
		gk_wk_drop(&w->stats, p, GK_WK_DROP_WG);
		return;
	}
	memcpy(m.addr, ip + 12, 4);
	m.port = gk_rd16(udp);
	m.len = (uint16_t)mlen;
	memcpy(m.msg, udp + 8, mlen);
	if (likely(gk_spsc_push(w->cfg.wg_punt, &m))) {
		w->wgce.punted++;
		w->stats.acct[GK_WK_ACCT_PUNTED]++;
	} else {
		w->wgce.punt_drops++;
		gk_wk_drop(&w->stats, p, GK_WK_DROP_WG);
	}
}

void gk_worker_wgce_in(struct gk_worker *w, struct gk_pkt **pk, uint16_t n)
{
	const struct gk_map_table *t = w->mape.map;
	uint64_t before = w->wgce.punted;
	uint16_t i;

	if (!is_ce(w))
		return;
	for (i = 0; i < n; i++) {
		struct gk_pkt *p = pk[i];
		uint32_t l4 = p->meta.l4_off, ulen, mlen, type;
		const uint8_t *ip, *udp;

		if (p->verdict != GK_V_NONE ||
		    p->in_port != t->v6_port_id ||
		    (p->meta.flags & (GK_META_F_IPV4 | GK_META_F_L4)) !=
		    (GK_META_F_IPV4 | GK_META_F_L4) ||
		    p->meta.l4_proto != 17 || l4 + 8 > p->len ||
		    (uint32_t)p->meta.l3_off + 20 > l4)
			continue;
		ip = p->data + p->meta.l3_off;
		udp = p->data + l4;
		if (gk_rd16(udp + 2) != w->cfg.wg_ce_port ||
		    (gk_rd32(ip + 16) & t->ce_v4mask) != t->ce_v4)
			continue;
		/* Ours from here: never NAPT-in, never l3fwd. */
		ulen = gk_rd16(udp + 4);
		/* the decap trimmed the frame to the inner IPv4 total length */
		if (unlikely(ulen < 8 + 4 || l4 + ulen > p->len ||
			     (p->meta.flags & GK_META_F_FRAG))) {
			w->wgce.stray++;
			gk_wk_drop(&w->stats, p, GK_WK_DROP_WG);
			continue;
		}
		mlen = ulen - 8;
		type = gk_wg_get_le32(udp + 8);
		if (type == WG_DATA && mlen >= WG_DATA_MIN) {
			p->meta.class = GK_CLASS_WG_DATA;
		} else if (type >= WG_INITIATION && type <= WG_COOKIE) {
			if (likely(mlen == hs_len[type])) {
				punt(w, p, ip, udp, mlen);
			} else {
				w->wgce.punt_bad_len++;
				gk_wk_drop(&w->stats, p, GK_WK_DROP_WG);
			}
		} else {
			w->wgce.stray++;
			gk_wk_drop(&w->stats, p, GK_WK_DROP_WG);
		}
	}
	/* One wake-up per burst, and only for bursts with a handshake. */
	if (w->wgce.punted != before && w->cfg.wg_punt_efd > 0 &&
	    gk_efd_signal(w->cfg.wg_punt_efd))
		w->wgce.wake_fail++;
}

/* IPv4/UDP from (CE address, ListenPort); false when it cannot fit. */
static bool build(struct gk_worker *w, const struct gk_map_table *t,
		  struct gk_pkt *p, const struct gk_wg_ctlmsg *m)
{
	uint32_t ulen = 8u + m->len, tot = 20u + ulen, sum;
	uint8_t *eth = p->data, *ip = eth + 14, *udp = ip + 20, ph[4];
	uint16_t c;

	if (14u + tot > p->buf_len)
		return false;
	/* MACs are l3fwd's: it rewrites both on the way out. */
	memset(eth, 0, 12);
	gk_wr16(eth + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	gk_wr16(ip + 2, (uint16_t)tot);
	gk_wr16(ip + 4, w->wg->ip_id++);
	gk_wr16(ip + 6, 0);
	ip[8] = 64;
	ip[9] = 17;
	gk_wr16(ip + 10, 0);
	memcpy(ip + 12, t->ce.ipv4, 4);
	memcpy(ip + 16, m->addr, 4);
	c = gk_csum_ip4_hdr(ip, 20);
	memcpy(ip + 10, &c, 2);
	gk_wr16(udp, w->cfg.wg_ce_port);
	gk_wr16(udp + 2, m->port);
	gk_wr16(udp + 4, (uint16_t)ulen);
	gk_wr16(udp + 6, 0);
	memcpy(udp + 8, m->msg, m->len);
	/* RFC 768: pseudo header (addresses, protocol, length) + datagram */
	ph[0] = 0;
	ph[1] = 17;
	gk_wr16(ph + 2, (uint16_t)ulen);
	sum = gk_csum_partial(ip + 12, 8, 0);
	sum = gk_csum_partial(ph, 4, sum);
	sum = gk_csum_partial(udp, ulen, sum);
	c = gk_csum_fold(sum);
	if (!c)
		c = 0xffff;
	memcpy(udp + 6, &c, 2);
	p->len = 14 + tot;
	memset(&p->meta, 0, sizeof(p->meta));
	p->meta.magic = GK_META_MAGIC;
	p->meta.version = GK_META_VERSION;
	p->meta.l3_off = 14;
	gk_meta_built(&p->meta, GK_META_F_IPV4, 34, 17);
	p->verdict = GK_V_NONE;
	p->drop_reason = 0;
	return true;
}

uint16_t gk_worker_wgce_inject(struct gk_worker *w, struct gk_port *port,
			       struct gk_pkt **out, uint16_t max)
{
	const struct gk_map_table *t = w->mape.map;
	struct gk_wg_ctlmsg *m = w->wgce_scratch;
	unsigned got, i, k = 0;
	uint16_t n, ok = 0;

	if (max > GK_BURST)
		max = GK_BURST;
	got = gk_spsc_pop(w->cfg.wg_inject, m, max);
	if (!got)
		return 0;
	/* genkand is trusted, but a length is still a length. */
	for (i = 0; i < got; i++)
		if (m[i].len >= 4 && m[i].len <= GK_WG_CTLMSG_MAX)
			m[k++] = m[i];
	w->wgce.inject_drops += got - k;
	if (!k || !is_ce(w) || !w->wg) {
		w->wgce.inject_drops += k;
		return 0;
	}
	n = port->ops->alloc ? port->ops->alloc(port, out, (uint16_t)k) : 0;
	w->wgce.inject_drops += k - n;
	/* frames from here on (messages without a buffer never were) */
	w->stats.acct[GK_WK_ACCT_GENERATED] += n;
	for (i = 0; i < n; i++)
		if (!build(w, t, out[i], &m[i]))
			gk_wk_drop(&w->stats, out[i], GK_WK_DROP_WG);
	gk_worker_wg_ce_encap(w, out, n);
	for (i = 0; i < n; i++) {
		if (out[i]->verdict == GK_V_NONE)
			ok++;
		else
			w->wgce.inject_drops++;
	}
	w->wgce.injected += ok;
	return n;
}

static bool wgce_on(const struct gk_worker_cfg *cfg)
{
	return cfg->wg_ce_port != 0;
}

/*
 * Handshake messages genkand sends from behind a MAP-E CE: built, CE
 * encapsulated, then routed like any other packet.
 */
static unsigned wgce_pass(struct gk_worker *w)
{
	struct gk_pkt *pkts[GK_BURST], *dropped[GK_STAGE_LIST_MAX];
	const struct gk_map_table *t = w->mape.map;
	struct gk_port *port;
	uint16_t n;

	if (likely(!w->cfg.wg_inject) || !t ||
	    t->v6_port_id >= GK_MAX_PORTS ||
	    !(port = w->cfg.ports[t->v6_port_id]))
		return 0;
	n = gk_worker_wgce_inject(w, port, pkts, GK_BURST);
	if (!n)
		return 0;
	gk_worker_route(w, port, pkts, n, dropped, 0, gk_worker_icmp_owed(w));
	return n;
}

/* genkand's handshakes behind a CE must not wait out an idle sleep. */
static int wgce_idle_fd(struct gk_worker *w)
{
	return w->cfg.wg_inject && w->cfg.wg_inject_efd > 0 ?
	       w->cfg.wg_inject_efd : -1;
}

static void wgce_idle_leave(struct gk_worker *w, bool ready)
{
	if (!ready)
		return;
	if (gk_efd_drain(w->cfg.wg_inject_efd))
		w->wgce.wake_fail++;
	else
		w->wgce.inject_wakes++;
}

/* Runs after the MAP-E CE stage took this pass's table (begin). */
const struct gk_stage gk_stage_wgce = {
	.name = "wireguard_ce",
	.on = wgce_on,
	.init = gk_worker_wgce_init,
	.fini = gk_worker_wgce_fini,
	.pass = wgce_pass,
	.idle_fd = wgce_idle_fd,
	.idle_leave = wgce_idle_leave,
};
