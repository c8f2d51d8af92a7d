// SPDX-License-Identifier: BSD-3-Clause
/* WireGuard stages in the worker loop; see worker_wg.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <urcu-qsbr.h>

#include "efd.h"
#include "mape_ce.h"
#include "pkthdr.h"
#include "port.h"
#include "spsc.h"
#include "stage.h"
#include "wg_data.h"
#include "wg_pending.h"
#include "worker.h"
#include "worker_wg.h"

/*
 * The ICMP stage's MTU for packets this stage dropped as too big: the
 * tunnel MTU when AllowedIPs routes the destination into the tunnel.
 */
static uint32_t tunnel_mtu_of(void *arg, const struct gk_pkt *p)
{
	const struct gk_worker *w = arg;
	const uint8_t *ip = p->data + p->meta.l3_off;
	uint32_t a4, peer;

	if (!w->wgp)
		return 0;
	if (p->meta.flags & GK_META_F_IPV4) {
		memcpy(&a4, ip + 16, 4);
		peer = gk_wg_peers_lookup4(w->wgp, a4);
	} else {
		peer = gk_wg_peers_lookup6(w->wgp, ip + 24);
	}
	/* A reply of a return-path flow went for the tunnel too. */
	if (peer == GK_WG_NO_PEER && w->wgp->nr_rpath && w->wg->rpath)
		peer = gk_wg_rpath_lookup(w->wg->rpath, w->wgp, p, w->now_ns,
					  false);
	return peer != GK_WG_NO_PEER ? w->wgp->mtu : 0;
}

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
	/* return_path = flow: pages are touched only as flows come. */
	c->rpath = malloc(sizeof(*c->rpath));
	if (!c->rpath || gk_wg_rpath_init(c->rpath, GK_WG_RPATH_FLOWS)) {
		free(c->rpath);
		c->rpath = NULL;
		gk_worker_wg_fini(w);
		return -ENOMEM;
	}
	/* Replies land on any worker: every worker hears of every flow. */
	c->rpath->share = w->cfg.wg_rpath_rings && w->cfg.wg_nr_workers > 1;
	w->icmp.mtu_of = tunnel_mtu_of;
	w->icmp.mtu_arg = w;
	if (w->cfg.wg_rings && w->cfg.wg_nr_workers > 1) {
		if (!w->cfg.wg_wake) {
			gk_worker_wg_fini(w);
			return -EINVAL;
		}
		w->wg_handin = true;
	}
	/* Room for the inner packet at the tunnel MTU behind two VLAN tags. */
	w->wg_pending = malloc(sizeof(*w->wg_pending));
	if (!w->wg_pending ||
	    gk_wg_pending_init(w->wg_pending, w->cfg.wg_max_peers, GK_WG_PENDING_SLOTS,
			     GK_WG_PENDING_PER_PEER,
			     (w->cfg.wg_mtu ?: 1420) + 32)) {
		gk_worker_wg_fini(w);
		return -ENOMEM;
	}
	w->wg_pending->wk_drops = &w->stats.drops[GK_WK_DROP_WG];
	return 0;
}

void gk_worker_wg_fini(struct gk_worker *w)
{
	if (!w->wg)
		return;
	if (w->wg->rpath) {
		gk_wg_rpath_fini(w->wg->rpath);
		free(w->wg->rpath);
	}
	gk_wg_ctx_fini(w->wg);
	free(w->wg);
	w->wg = NULL;
	w->wg_handin = false;
	if (w->wg_pending) {
		/* staged when the worker stops: dropped, one each */
		w->stats.drops[GK_WK_DROP_WG] += w->wg_pending->used;
		gk_wg_pending_fini(w->wg_pending);
		free(w->wg_pending);
		w->wg_pending = NULL;
	}
}

/* The worker owning the keypair of this data packet's receiver index. */
static inline unsigned int owner(const struct gk_pkt *p, unsigned int nr)
{
	uint32_t off = (uint32_t)p->meta.l4_off + 8 + GK_WG_DATA_OFF_RECEIVER;

	if (off + 4 > p->len)
		return nr;	/* malformed: the stage here drops it */
	return gk_wg_index_hash(gk_wg_get_le32(p->data + off)) % nr;
}

/*
 * Copy p into a slot of its owner's ring, its length only (the slot is
 * 2 KiB); p itself is done (freed by the caller). True when the ring
 * holds frames for the owner now: it is to be woken if it sleeps.
 */
static bool hand_off(struct gk_worker *w, struct gk_pkt *p, unsigned int to)
{
	struct gk_spsc *r = w->cfg.wg_rings[gk_wg_ring_idx(w->cfg.id, to,
						w->cfg.wg_nr_workers)];
	struct gk_wg_handoff *h;

	if (unlikely(p->len > GK_WG_HANDOFF_FRAME)) {
		w->wg_handoff_drops++;
		gk_wk_drop(&w->stats, p, GK_WK_DROP_WG);
		return false;
	}
	h = gk_spsc_reserve(r);
	if (unlikely(!h)) {
		w->wg_handoff_drops++;
		gk_wk_drop(&w->stats, p, GK_WK_DROP_WG);
		/* full: its owner may still sleep, if a wake-up failed */
		return true;
	}
	p->verdict = GK_V_DROP;		/* handed off: not a drop */
	p->drop_reason = 0;
	w->stats.acct[GK_WK_ACCT_HANDED_OFF]++;
	h->len = p->len;
	h->meta = p->meta;
	memcpy(h->data, p->data, p->len);
	gk_spsc_commit(r);
	w->wg_handoff_out++;
	return true;
}

bool gk_worker_wg_handin_pending(struct gk_worker *w)
{
	unsigned int nr = w->cfg.wg_nr_workers, from;

	for (from = 0; from < nr; from++)
		if (from != w->cfg.id &&
		    gk_spsc_avail(w->cfg.wg_rings[gk_wg_ring_idx(from, w->cfg.id, nr)]))
			return true;
	return false;
}

bool gk_worker_wg_sleep(struct gk_worker *w)
{
	struct gk_wg_wake *k = &w->cfg.wg_wake[w->cfg.id];

	atomic_store_explicit(&k->asleep, 1, memory_order_relaxed);
	/* Pairs with the senders' fence after their commit. */
	atomic_thread_fence(memory_order_seq_cst);
	if (!gk_worker_wg_handin_pending(w))
		return true;
	atomic_store_explicit(&k->asleep, 0, memory_order_relaxed);
	return false;
}

void gk_worker_wg_awake(struct gk_worker *w)
{
	atomic_store_explicit(&w->cfg.wg_wake[w->cfg.id].asleep, 0,
			      memory_order_relaxed);
}

int gk_wg_wake_poke(struct gk_wg_wake *k)
{
	int ret;

	/* A plain load first: the line stays shared while the owner is up. */
	if (!atomic_load_explicit(&k->asleep, memory_order_relaxed) ||
	    !atomic_exchange_explicit(&k->asleep, 0, memory_order_relaxed))
		return 0;
	ret = gk_efd_signal(k->efd);
	return ret ? ret : 1;
}

/* After a burst's hand-offs: one fence, at most one write per owner. */
static void wake_owners(struct gk_worker *w, uint64_t owners)
{
	atomic_thread_fence(memory_order_seq_cst);
	while (owners) {
		int r = gk_wg_wake_poke(&w->cfg.wg_wake[__builtin_ctzll(owners)]);

		owners &= owners - 1;
		if (r > 0)
			w->wg_wake_sent++;
		else if (r < 0)
			w->wg_wake_fail++;
	}
}

uint16_t gk_worker_wg_handin(struct gk_worker *w, struct gk_port *in,
			     struct gk_pkt **pkts, uint16_t room)
{
	unsigned int nr = w->cfg.wg_nr_workers, from, i;
	uint16_t got = 0, want, n;

	if (!in->ops->alloc)
		return 0;
	for (from = 0; from < nr && got < room; from++) {
		struct gk_spsc *r;

		if (from == w->cfg.id)
			continue;
		r = w->cfg.wg_rings[gk_wg_ring_idx(from, w->cfg.id, nr)];
		want = (uint16_t)gk_spsc_avail(r);
		if (!want)
			continue;
		if (want > room - got)
			want = room - got;
		n = in->ops->alloc(in, pkts + got, want);
		/* One copy, ring slot to frame, of the frame's bytes only. */
		for (i = 0; i < n; i++) {
			const struct gk_wg_handoff *h = gk_spsc_slot(r, i);
			struct gk_pkt *p = pkts[got + i];

			memcpy(p->data, h->data, h->len);
			p->len = h->len;
			p->meta = h->meta;
			p->in_port = in->port_id;
			p->verdict = GK_V_NONE;
		}
		gk_spsc_release(r, n);
		got += n;
		if (n < want)
			break;		/* no buffer: the rest waits in the ring */
	}
	w->wg_handoff_in += got;
	w->stats.acct[GK_WK_ACCT_HANDED_IN] += got;
	return got;
}

/* The flows this burst learned, to every other worker's ring from us. */
static void rpath_share(struct gk_worker *w, struct gk_wg_rpath *t)
{
	unsigned int nr = w->cfg.wg_nr_workers, to, i;

	for (to = 0; to < nr; to++) {
		struct gk_spsc *r;

		if (to == w->cfg.id)
			continue;
		r = w->cfg.wg_rpath_rings[gk_wg_ring_idx(w->cfg.id, to, nr)];
		for (i = 0; i < t->nr_out; i++) {
			struct gk_wg_rpath_msg *m = gk_spsc_reserve(r);

			if (unlikely(!m)) {
				t->cnt[GK_WG_RPATH_SHARE_FULL] += t->nr_out - i;
				break;
			}
			*m = t->out[i];
			gk_spsc_commit(r);
			t->cnt[GK_WG_RPATH_SHARED]++;
		}
	}
	t->nr_out = 0;
}

/* The flows other workers learned: before this pass's packets. */
static unsigned rpath_take(struct gk_worker *w, struct gk_wg_rpath *t)
{
	unsigned int nr = w->cfg.wg_nr_workers, from, i, n, total = 0;

	for (from = 0; from < nr; from++) {
		struct gk_spsc *r;

		if (from == w->cfg.id)
			continue;
		r = w->cfg.wg_rpath_rings[gk_wg_ring_idx(from, w->cfg.id, nr)];
		n = gk_spsc_avail(r);
		for (i = 0; i < n; i++)
			gk_wg_rpath_apply(t, gk_spsc_slot(r, i), w->now_ns);
		if (n)
			gk_spsc_release(r, n);
		total += n;
	}
	return total;
}

uint16_t gk_worker_wg_rx(struct gk_worker *w, struct gk_pkt **stage,
			 uint16_t nt, struct gk_pkt **wg, uint16_t n)
{
	uint16_t i, m;

	if (unlikely(!w->wg || !w->wgp)) {
		/* Not configured, or nothing published yet. */
		for (i = 0; i < n; i++)
			gk_wk_drop(&w->stats, wg[i], w->wg ? GK_WK_DROP_WG :
							      GK_WK_DROP_UNHANDLED);
		if (w->wg)
			w->wg->drops[GK_WG_DROP_NO_SNAPSHOT] += n;
	} else {
		struct gk_pkt *mine[GK_BURST];
		uint64_t woken = 0;

		/* Only the owner touches a keypair's replay window. */
		for (i = 0, m = 0; i < n; i++) {
			unsigned int o = w->wg_handin ?
				owner(wg[i], w->cfg.wg_nr_workers) : w->cfg.id;

			if (o == w->cfg.id || o >= w->cfg.wg_nr_workers)
				mine[m++] = wg[i];
			else if (hand_off(w, wg[i], o))
				woken |= 1ull << o;
		}
		if (woken)
			wake_owners(w, woken);
		w->wg->peers = w->wgp;
		w->wg->now_ns = w->now_ns;
		if (m)
			gk_wg_decrypt_burst(w->wg, mine, m);
		if (unlikely(w->wg->rpath && w->wg->rpath->nr_out))
			rpath_share(w, w->wg->rpath);
	}
	for (i = 0; i < n; i++)
		stage[nt++] = wg[i];
	return nt;
}

/* RFC 1812 §5.3.1 / RFC 8200 §3 decrement; false when it would hit 0. */
static inline bool dec_ttl(struct gk_pkt *p)
{
	uint8_t *ip = p->data + p->meta.l3_off;

	if (p->meta.flags & GK_META_F_IPV4) {
		if (ip[8] <= 1)
			return false;
		gk_ip4_ttl_dec(ip);
		return true;
	}
	if (ip[7] <= 1)
		return false;
	gk_ip6_hlim_dec(ip);
	return true;
}

static inline uint32_t inner_len(const struct gk_pkt *p)
{
	const uint8_t *ip = p->data + p->meta.l3_off;

	if (p->meta.flags & GK_META_F_IPV4)
		return (uint32_t)ip[2] << 8 | ip[3];
	return 40u + ((uint32_t)ip[4] << 8 | ip[5]);
}

/*
 * Behind MAP-E (CE role, issue #5): the sealed IPv4 outer packets leave
 * through the CE encap toward the BR, not natively (the shared address
 * routes only over the tunnel). No buffers for outer fragments here
 * (alloc off): an outer packet over the tunnel MTU is dropped and
 * counted (mape too_big, or wg when the stage turned it into an ICMP
 * error to ourselves) -- the WireGuard mtu must leave 60 bytes under the
 * MAP-E tunnel MTU. IPv6 outer packets route natively as before.
 */
void gk_worker_wg_ce_encap(struct gk_worker *w, struct gk_pkt **tun, uint16_t m)
{
	struct gk_mape_ctx *mc = &w->mape;
	struct gk_pkt *v4[GK_BURST];
	uint16_t i, k = 0;
	uint16_t (*alloc)(void *arg, struct gk_pkt **p, uint16_t n);

	for (i = 0; i < m; i++)
		if (tun[i]->verdict == GK_V_NONE &&
		    (tun[i]->meta.flags & GK_META_F_IPV4))
			v4[k++] = tun[i];
	if (!k)
		return;
	alloc = mc->alloc;
	mc->alloc = NULL;
	mc->fib = w->l3.fib;
	mc->now_ns = w->now_ns;
	mc->nr_extra = 0;
	gk_mape_ce_encap_burst(mc, v4, k);
	mc->alloc = alloc;
	for (i = 0; i < k; i++)
		if (v4[i]->verdict == GK_V_NONE &&
		    !(v4[i]->meta.flags & GK_META_F_IPV6))
			gk_wk_drop(&w->stats, v4[i], GK_WK_DROP_WG);
}

static inline bool behind_ce(const struct gk_worker *w)
{
	return unlikely(w->mape.map) && w->mape.map->role == GK_MAPE_ROLE_CE;
}

static inline void seal(struct gk_worker *w, struct gk_pkt **tun, uint16_t m)
{
	gk_wg_encrypt_burst(w->wg, tun, m);
	if (behind_ce(w))
		gk_worker_wg_ce_encap(w, tun, m);
}

/* A sealed outer packet as encap() leaves it: IPv4, untagged, ours. */
static inline bool plain_outer4(const struct gk_pkt *p)
{
	return p->verdict == GK_V_NONE && p->meta.l3_off == 14 &&
	       (p->meta.flags & (GK_META_F_IPV4 | GK_META_F_VLAN |
				 GK_META_F_ORIGIN)) ==
		       (GK_META_F_IPV4 | GK_META_F_ORIGIN) &&
	       p->len >= 14 + 20;
}

/*
 * The outer packets of a burst to one peer share their addresses, so
 * they share l3fwd's answer: route, neighbour, MTU (and, for a packet
 * built here, no TTL test). l3fwd routes the first of them; each later
 * one with the same source and destination and no longer than it takes
 * its Ethernet addresses and port, instead of paying the LPM and, on a
 * connected route, the neighbour lookup again. Any other (another peer,
 * a longer packet, a first one l3fwd did not send) is left to l3fwd, as
 * before. Runs inside the tx hook, so an error l3fwd owes for the first
 * one is still answered by route()'s ICMP pass.
 */
static void route_outer(struct gk_worker *w, struct gk_pkt **tun, uint16_t m)
{
	uint64_t addrs = 0, a, mac_lo = 0;
	uint32_t mac_hi = 0;
	uint16_t ref_tot = 0, tot, port = 0, i;
	bool ref = false;

	if (!w->l3.fib)
		return;
	for (i = 0; i < m; i++) {
		struct gk_pkt *p = tun[i];
		const uint8_t *ip;

		if (!plain_outer4(p))
			continue;
		ip = p->data + 14;
		memcpy(&a, ip + 12, 8);	/* source and destination */
		tot = gk_rd16(ip + 2);
		if (!ref) {
			w->l3.now_ns = w->now_ns;
			gk_l3fwd_burst(&w->l3, &p, 1);
			if (p->verdict != GK_V_TX)
				return;
			/* Its answer in registers, stored 12 bytes at a time. */
			memcpy(&mac_lo, p->data, 8);
			memcpy(&mac_hi, p->data + 8, 4);
			port = p->out_port;
			addrs = a;
			ref_tot = tot;
			ref = true;
			continue;
		}
		if (a != addrs || tot > ref_tot)
			continue;
		memcpy(p->data, &mac_lo, 8);
		memcpy(p->data + 8, &mac_hi, 4);
		p->out_port = port;
		p->verdict = GK_V_TX;
	}
}

/*
 * tun[0..m) sealed, then routed. peer: the one peer AllowedIPs gave every
 * packet of them (GK_WG_NO_PEER: several), so the encrypt stage need not
 * look each one up again.
 */
static inline void seal_route(struct gk_worker *w, struct gk_pkt **tun,
			      uint16_t m, uint32_t peer)
{
	w->wg->via_peer = peer;
	seal(w, tun, m);
	w->wg->via_peer = GK_WG_NO_PEER;
	if (!behind_ce(w))
		route_outer(w, tun, m);
}

/*
 * Same hold-off state and counters as wg_data.c's encrypt path, so genkand
 * hears "handshake needed" once per GK_WG_EV_HOLDOFF_NS whichever path
 * noticed.
 */
static void want_handshake(struct gk_wg_ctx *c, const struct gk_wg_peer *pe)
{
	struct gk_wg_event ev = {
		.type = GK_WG_EV_HANDSHAKE_NEEDED, .peer_id = pe->id,
	};
	uint64_t *last = pe->id < c->max_peers ? &c->peer[pe->id].hs_post_ns :
						  &c->spare.hs_post_ns;

	if (!c->events)
		return;
	if (*last && c->now_ns - *last < GK_WG_EV_HOLDOFF_NS)
		return;
	*last = c->now_ns ?: 1;
	if (gk_wg_evring_push(c->events, &ev))
		c->evc[GK_WG_EVC_HS_NEEDED]++;
	else
		c->evc[GK_WG_EVC_RING_FULL]++;
}

/*
 * Kernel WireGuard stages what it cannot send yet (send.c): keep a copy
 * until the peer has a keypair. The buffer itself is done (not a drop).
 * A peer that still holds staged packets gets the new one queued behind
 * them, keys or not, so its packets leave in order.
 */
static void stage(struct gk_worker *w, struct gk_pkt *q,
		  const struct gk_wg_peer *pe, bool usable)
{
	gk_wg_pending_push(w->wg_pending, pe->id, q, w->now_ns);
	q->verdict = GK_V_DROP;
	q->drop_reason = GK_WK_DROP_WG;
	if (!usable)
		want_handshake(w->wg, pe);
}

uint16_t gk_worker_wg_flush(struct gk_worker *w, struct gk_port **in,
			    struct gk_pkt **pkts, uint16_t room)
{
	struct gk_wg_pending *s = w->wg_pending;
	uint16_t id = w->cfg.wg_port_id, n, k;
	struct gk_port *port;

	gk_wg_pending_sync(s, w->wgp, w->now_ns);
	if (!s->ready || !w->wgp)
		return 0;
	/* Any port of ours will do: they share one buffer pool. */
	port = id < GK_MAX_PORTS && w->cfg.ports[id] ? w->cfg.ports[id] :
						       w->rx[0];
	if (room > s->ready)
		room = (uint16_t)s->ready;
	n = port->ops->alloc ? port->ops->alloc(port, pkts, room) : 0;
	if (!n)
		return 0;	/* no buffer now: they wait for the next pass */
	k = gk_wg_pending_pop(s, pkts, n);
	if (k < n)
		gk_port_free(port, pkts + k, n - k);
	if (!k)
		return 0;
	/* TTL was decremented before staging; sealed packets are ORIGIN. */
	w->wg->peers = w->wgp;
	w->wg->now_ns = w->now_ns;
	seal(w, pkts, k);
	*in = port;
	return k;
}

/*
 * Replies of return-path flows, rp[0..k) with their peers in via[]:
 * sealed to that peer whatever AllowedIPs says, one run per peer. Not
 * staged: their peer just sent us the flow's packets, so it has keys; if
 * not, encrypt drops them (no_keypair) and asks for a handshake.
 */
static void seal_via(struct gk_worker *w, struct gk_pkt **rp, uint32_t *via,
		     uint16_t k)
{
	struct gk_pkt *run[GK_BURST];
	uint16_t i, m;
	uint32_t peer;

	while (k) {
		peer = via[0];
		for (i = 0, m = 0; i < k; i++)
			if (via[i] == peer)
				run[m++] = rp[i];
		w->wg->via_peer = peer;
		seal(w, run, m);
		w->wg->via_peer = GK_WG_NO_PEER;
		/* keep the others, in order */
		for (i = 0, m = 0; i < k; i++)
			if (via[i] != peer) {
				rp[m] = rp[i];
				via[m++] = via[i];
			}
		k = m;
	}
}

void gk_worker_wg_tx(struct gk_worker *w, struct gk_pkt **p, uint16_t n)
{
	const struct gk_wg_peers *t = w->wgp;
	struct gk_wg_pending *s = w->wg_pending;
	struct gk_pkt *tun[GK_BURST], *rp[GK_BURST];
	uint32_t via[GK_BURST], sent = GK_WG_NO_PEER;
	uint32_t one = GK_WG_NO_PEER, other = 0;	/* tun's peer(s) */
	uint16_t i, m = 0, k = 0;
	bool flow;

	w->wg->peers = t;
	w->wg->now_ns = w->now_ns;
	for (i = 0; i < n; i++) {
		struct gk_pkt *q = p[i];
		const struct gk_wg_peer *pe;
		const uint8_t *ip;
		uint32_t a4, peer;
		bool usable;

		if (q->verdict != GK_V_NONE ||
		    q->meta.class != GK_CLASS_TRANSIT ||
		    (q->meta.flags & GK_META_F_ORIGIN))
			continue;
		ip = q->data + q->meta.l3_off;
		if (q->meta.flags & GK_META_F_IPV4) {
			memcpy(&a4, ip + 16, 4);
			peer = gk_wg_peers_lookup4(t, a4);
		} else if (q->meta.flags & GK_META_F_IPV6) {
			peer = gk_wg_peers_lookup6(t, ip + 24);
		} else {
			continue;
		}
		/*
		 * No AllowedIPs: before the FIB's default route (and NAPT44 /
		 * MAP-E, which see LAN packets earlier: rpath_rx) takes it, a
		 * reply of a return-path flow goes back to the flow's peer.
		 */
		flow = false;
		if (peer == GK_WG_NO_PEER) {
			if (likely(!t->nr_rpath) || !w->wg->rpath)
				continue;
			peer = gk_wg_rpath_lookup(w->wg->rpath, t, q, w->now_ns,
						  true);
			if (peer == GK_WG_NO_PEER)
				continue;
			flow = true;
		}
		/*
		 * Over the tunnel MTU: the ICMP stage answers fragmentation
		 * needed / packet too big with the tunnel MTU (RFC 1191,
		 * RFC 8201), as a router with a wg0 of that MTU would.
		 */
		if (inner_len(q) > t->mtu) {
			gk_wk_drop(&w->stats, q, GK_WK_DROP_TOO_BIG);
			continue;
		}
		/* TTL 1: l3fwd drops it and the ICMP stage answers. */
		if (!dec_ttl(q))
			continue;
		if (unlikely(flow)) {
			rp[k] = q;
			via[k++] = peer;
			continue;
		}
		/*
		 * No endpoint: nobody to call, the encrypt path drops it
		 * (no_endpoint). No keypair, or older packets waiting: stage.
		 * The answer holds for the rest of the burst once a packet to
		 * this peer went to the tunnel (nothing of its was staged, and
		 * neither the snapshot nor the clock moves within the burst).
		 */
		if (peer != sent) {
			pe = &t->peers[peer];
			usable = gk_wg_pending_usable(t, pe, w->now_ns);
			if (unlikely(pe->ep.family && s &&
				     (!usable ||
				      gk_wg_pending_holds(s, pe->id)))) {
				stage(w, q, pe, usable);
				continue;
			}
			sent = peer;
		}
		if (!m) {
			one = peer;
			other = 0;
		}
		other |= peer ^ one;
		tun[m++] = q;
		if (m == GK_BURST) {
			seal_route(w, tun, m, other ? GK_WG_NO_PEER : one);
			m = 0;
		}
	}
	if (m)
		seal_route(w, tun, m, other ? GK_WG_NO_PEER : one);
	if (unlikely(k))
		seal_via(w, rp, via, k);
}

/* Frames staged for a handshake (copies; wg_pending.h). */
static unsigned wg_held(struct gk_worker *w)
{
	return w->wg_pending ? w->wg_pending->used : 0;
}

static bool wg_on(const struct gk_worker_cfg *cfg)
{
	return cfg->wg != NULL;
}

static void wg_begin(struct gk_worker *w)
{
	w->wgp = rcu_dereference(*w->cfg.wg);
}

static void wg_end(struct gk_worker *w)
{
	w->wgp = NULL;
}

/* Staged WireGuard bursts sent per pass at most: a full peer queue. */
#define WG_FLUSH_BURSTS	(GK_WG_PENDING_PER_PEER / GK_BURST)

/*
 * Packets pending a handshake (wg_pending.h) leave once their peer has
 * keys: sealed here, then routed like any sealed packet. Before the
 * ports' bursts, so a peer's pending packets go ahead of its new ones.
 */
static unsigned wg_pass(struct gk_worker *w)
{
	struct gk_pkt *pkts[GK_BURST], *dropped[GK_STAGE_LIST_MAX];
	struct gk_port *in;
	unsigned total = 0, k;
	uint16_t n;

	/* Not counted as work: the idle loop must still sleep. */
	if (unlikely(w->wg && w->wg->rpath && w->wg->rpath->share))
		rpath_take(w, w->wg->rpath);
	if (likely(!w->wg_pending || !w->wg_pending->used))
		return 0;
	for (k = 0; k < WG_FLUSH_BURSTS; k++) {
		n = gk_worker_wg_flush(w, &in, pkts, GK_BURST);
		if (!n)
			break;
		gk_worker_route(w, in, pkts, n, dropped, 0,
				gk_worker_icmp_owed(w));
		total += n;
	}
	return total;
}

/*
 * Data other workers received for keypairs we own: first (it has waited
 * already) and up to a share of the burst, so our own rx can neither
 * starve it nor be starved.
 */
static uint16_t wg_handin(struct gk_worker *w, struct gk_port *in,
			  struct gk_pkt **pkts, uint16_t room)
{
	if (likely(!w->wg_handin) || in->port_id != w->cfg.wg_port_id)
		return 0;
	return gk_worker_wg_handin(w, in, pkts, room < GK_WG_HANDIN_BURST ?
				   room : GK_WG_HANDIN_BURST);
}

static void wg_rx(struct gk_worker *w, struct gk_port *in,
		  struct gk_rx_burst *b)
{
	b->nl3 = gk_worker_wg_rx(w, b->l3, b->nl3, b->bkt[GK_CLASS_WG_DATA],
				 b->n[GK_CLASS_WG_DATA]);
	b->n[GK_CLASS_WG_DATA] = 0;
}

/* Routed packets whose destination a peer's AllowedIPs cover: sealed. */
static void wg_tx(struct gk_worker *w, struct gk_pkt **pkts, uint16_t n)
{
	if (likely(w->wgp))
		gk_worker_wg_tx(w, pkts, n);
}

/* Other workers' hand-offs wake us through our eventfd (gk_wg_wake). */
static int wg_idle_fd(struct gk_worker *w)
{
	return w->wg_handin ? w->cfg.wg_wake[w->cfg.id].efd : -1;
}

static bool wg_idle_enter(struct gk_worker *w)
{
	return !w->wg_handin || gk_worker_wg_sleep(w);
}

static void wg_idle_leave(struct gk_worker *w, bool ready)
{
	if (!w->wg_handin)
		return;
	/* Reset after the wake only: the next pass drains the rings. */
	if (ready) {
		if (gk_efd_drain(w->cfg.wg_wake[w->cfg.id].efd))
			w->wg_wake_fail++;
		else
			w->wg_woken++;
	}
	gk_worker_wg_awake(w);
}

/*
 * Behind a MAP-E CE, LAN packets are class MAPE_CE and NAPT44 + the CE
 * encap take them at rx, before any tx hook could seal them. So ahead of
 * that stage (stages.c), the LAN's IPv4 packets that are replies of a
 * return-path flow leave the CE bucket as TRANSIT; wg_tx seals them.
 * Nothing happens unless a peer has return_path = flow and a flow was
 * learned.
 */
static bool rpath_on(const struct gk_worker_cfg *cfg)
{
	return cfg->wg != NULL && cfg->map != NULL;
}

static void rpath_rx(struct gk_worker *w, struct gk_port *in,
		     struct gk_rx_burst *b)
{
	const struct gk_map_table *map = w->mape.map;
	struct gk_pkt **ce = b->bkt[GK_CLASS_MAPE_CE];
	uint16_t i, k = 0;

	(void)in;
	if (likely(!w->wgp || !w->wgp->nr_rpath) || !w->wg ||
	    !w->wg->rpath || !w->wg->rpath->live || !map ||
	    map->role != GK_MAPE_ROLE_CE)
		return;
	for (i = 0; i < b->n[GK_CLASS_MAPE_CE]; i++) {
		struct gk_pkt *p = ce[i];

		if (p->verdict == GK_V_NONE &&
		    (p->meta.flags & GK_META_F_IPV4) &&
		    p->in_port == map->v4_port_id &&
		    gk_wg_rpath_lookup(w->wg->rpath, w->wgp, p, w->now_ns,
				       false) != GK_WG_NO_PEER) {
			p->meta.class = GK_CLASS_TRANSIT;
			b->l3[b->nl3++] = p;
			continue;
		}
		ce[k++] = p;
	}
	b->n[GK_CLASS_MAPE_CE] = k;
}

const struct gk_stage gk_stage_wg_rpath = {
	.name = "wireguard-return-path",
	.classes = 1u << GK_CLASS_MAPE_CE,
	.on = rpath_on,
	.rx = rpath_rx,
};

const struct gk_stage gk_stage_wg = {
	.name = "wireguard",
	.classes = 1u << GK_CLASS_WG_DATA,
	.on = wg_on,
	.init = gk_worker_wg_init,
	.fini = gk_worker_wg_fini,
	.begin = wg_begin,
	.pass = wg_pass,
	.end = wg_end,
	.handin = wg_handin,
	.rx = wg_rx,
	.tx = wg_tx,
	.held = wg_held,
	.idle_fd = wg_idle_fd,
	.idle_enter = wg_idle_enter,
	.idle_leave = wg_idle_leave,
};
