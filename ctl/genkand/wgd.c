// SPDX-License-Identifier: BSD-3-Clause
/*
 * genkand's WireGuard control side; see wgd.h. Everything here runs in the
 * event-loop thread, so the peer table needs no lock. The workers see the
 * peers only through the published gk_wg_peers snapshot; a new one is
 * built on every change (handshake, roaming, wg set), swapped in with
 * rcu_assign_pointer, and the old one and retired kpstates are freed after
 * synchronize_rcu() -- handshakes come every two minutes per peer, so the
 * wait does not matter. Keys are wiped wherever they are dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <urcu-qsbr.h>

#include "counters_json.h"
#include "daemon.h"
#include "config_wg_mape.h"
#include "log.h"
#include "nlmirror.h"
#include "cookie.h"
#include "keys.h"
#include "noise.h"
#include "ratelimiter.h"
#include "timers.h"
#include "wgd.h"
#include "xdp_loader.h"
#include "efd.h"
#include "wg_data.h"
#include "wg_peers.h"
#include "spsc.h"
#include "worker.h"
#include "worker_wg.h"
#include "wg_pending.h"
#include "worker_wgce.h"

#define EV_RING_SIZE	1024
#define MAX_ALLOWED	GK_CONFIG_WG_MAX_ALLOWED
/* Slots per (from, to) ring of return-path flows: a burst's new flows
 * many times over, for a peer worker busy for a while. */
#define GK_WGD_RPATH_RING	1024

struct wkp {
	struct gk_wg_keypair kp;
	struct gk_wg_kpstate *st;	/* NULL: slot empty */
};

struct wpeer {
	bool used;
	uint32_t id;			/* < GK_WGD_MAX_PEERS, never reused */
	char name[32];
	uint8_t pub[GK_WG_KEY_LEN];
	uint8_t psk[GK_WG_KEY_LEN];
	struct gk_wg_handshake hs;
	struct gk_wg_cookie cookie;
	struct gk_wg_timers timers;
	struct gk_wg_endpoint ep;
	struct gk_wg_allowed allowed[MAX_ALLOWED];
	uint32_t nr_allowed;
	uint16_t keepalive_s;
	bool return_flow;		/* return_path = flow (wg_rpath.h) */
	struct wkp kp[GK_WG_NR_KP];
	int64_t last_handshake_sec;	/* CLOCK_REALTIME; 0: never */
	long last_handshake_nsec;
	/* Worker counters as of the last tick, to turn them into events. */
	uint64_t seen_rx_pkts, seen_rx_bytes, seen_tx_pkts;
	/*
	 * Messages genkand itself sent to or took from the peer: handshake
	 * initiations and responses, and its keepalives. `wg` (the kernel,
	 * wireguard-go) counts them in transfer too; added when shown.
	 */
	struct gk_wg_peer_stats own;
	/* Handshake failures not logged yet, and when the last line went out. */
	uint64_t hs_fails_unlogged;
	uint64_t hs_fail_log_ns;
};

struct gk_wgd {
	struct gk_daemon *d;
	struct gk_wg_identity me;
	struct gk_wg_cookie_checker checker;
	struct gk_wg_ratelimiter *rl;
	int fd[2];			/* IPv4, IPv6 */
	uint16_t listen_port;
	uint16_t port_id;
	uint32_t mtu;
	enum gk_aead_impl aead;		/* [wireguard] crypto */
	char aead_name[32];		/* what the workers get (auto resolved) */
	struct wpeer *peers;		/* [max_peers], by id */
	uint32_t max_peers;		/* GK_WGD_MAX_PEERS; detached: its peers */
	uint32_t next_id;
	struct gk_wg_peers *snap;	/* RCU slot read by the workers */
	uint64_t src_nl_gen;		/* kernel mirror the sources are from */
	struct gk_wg_evring *ev[GK_MAX_WORKERS];
	struct gk_spsc **rings;		/* nr x nr handoff rings, or NULL */
	/* nr x nr return-path flow rings (wg_rpath.h), or NULL */
	struct gk_spsc **rpath_rings;
	struct gk_wg_wake *wake;	/* [nr]: their owners' wake-ups */
	/* retired kpstates: freed after the next grace period */
	struct gk_wg_kpstate *retired[64];
	unsigned nr_retired;
	/* handshake load, per second */
	uint64_t load_sec;
	unsigned load_count;
	/*
	 * Behind a MAP-E CE (worker_wgce.h): IPv4 handshakes come from the
	 * workers' punt rings (punt_efd wakes us) and leave through the
	 * inject ring to worker 0 (inject_efd wakes it), not through the
	 * kernel.
	 */
	bool ce;
	int punt_efd;
	int inject_efd;
	struct gk_spsc *punt[GK_MAX_WORKERS];
	struct gk_spsc *inject;
	/* counters for `wg show -j` (wgd.h) */
#define GK_X(f, s) uint64_t f;
	GK_WGD_CNT_LIST(GK_X)
	GK_WGD_CE_CNT_LIST(GK_X)
#undef GK_X
	uint64_t inject_wake_fail;	/* shown summed with the workers' */
};

static const struct gk_cnt_field wgd_cnt[] = {
#define GK_X(f, s) { s, offsetof(struct gk_wgd, f) },
	GK_WGD_CNT_LIST(GK_X)
#undef GK_X
};
const struct gk_cnt_fields gk_wgd_cnt = {
	"GK_WGD_CNT_LIST", wgd_cnt, sizeof(wgd_cnt) / sizeof(wgd_cnt[0])
};

static const struct gk_cnt_field wgd_ce_cnt[] = {
#define GK_X(f, s) { s, offsetof(struct gk_wgd, f) },
	GK_WGD_CE_CNT_LIST(GK_X)
#undef GK_X
};
const struct gk_cnt_fields gk_wgd_ce_cnt = {
	"GK_WGD_CE_CNT_LIST", wgd_ce_cnt,
	sizeof(wgd_ce_cnt) / sizeof(wgd_ce_cnt[0])
};

static uint64_t mono_ns(void)
{
	return gk_daemon_now_ns();
}

static void sockaddr_of(const struct gk_wg_endpoint *ep,
			struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(ep->port);
		memcpy(&s->sin_addr, ep->addr, 4);
		*len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(ep->port);
		memcpy(&s->sin6_addr, ep->addr, 16);
		*len = sizeof(*s);
	}
}

/* IPv4-mapped sources of the v6 socket never occur: it is V6ONLY. */
static void endpoint_of(const struct sockaddr_storage *ss,
			struct gk_wg_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		ep->family = AF_INET;
		ep->port = ntohs(s->sin_port);
		memcpy(ep->addr, &s->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		ep->family = AF_INET6;
		ep->port = ntohs(s->sin6_port);
		memcpy(ep->addr, &s->sin6_addr, 16);
	}
}

/* Behind a CE: worker 0 builds, encapsulates and sends it. */
static bool inject(struct gk_wgd *g, const struct gk_wg_endpoint *ep,
		   const void *buf, size_t len)
{
	struct gk_wg_ctlmsg m;
	bool ok = false;

	if (len > sizeof(m.msg)) {
		g->inject_too_big++;
		return false;
	}
	memcpy(m.addr, ep->addr, 4);
	m.port = ep->port;
	m.len = (uint16_t)len;
	memcpy(m.msg, buf, len);
	if (gk_spsc_push(g->inject, &m)) {
		g->inject_sent++;
		ok = true;
		/* Worker 0 may sleep in poll(2) for up to 10 ms; a handshake should not. */
		if (gk_efd_signal(g->inject_efd))
			g->inject_wake_fail++;
	} else {
		g->inject_full++;
	}
	explicit_bzero(&m, sizeof(m));
	return ok;
}

/* True when the message left (or was queued to worker 0 behind a CE). */
static bool wg_send(struct gk_wgd *g, const struct gk_wg_endpoint *ep,
		    const void *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	if (!ep->family)
		return false;
	if (g->ce && ep->family == AF_INET)
		return inject(g, ep, buf, len);
	fd = g->fd[ep->family == AF_INET6];
	if (fd < 0)
		return false;
	sockaddr_of(ep, &ss, &sl);
	if (sendto(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl) < 0) {
		gk_dbg("wireguard: sendto: %s", strerror(errno));
		return false;
	}
	return true;
}

/* A message to the peer, counted as `wg` counts transfer. */
static void peer_send(struct gk_wgd *g, struct wpeer *p, const void *buf,
		      size_t len)
{
	if (!wg_send(g, &p->ep, buf, len))
		return;
	p->own.tx_packets++;
	p->own.tx_bytes += len;
}

/* A valid handshake message from the peer. */
static void peer_received(struct wpeer *p, size_t len)
{
	p->own.rx_packets++;
	p->own.rx_bytes += len;
}

/* ---- receiver indices ---- */

static bool index_used(const struct gk_wgd *g, uint32_t idx)
{
	for (uint32_t i = 0; i < g->next_id; i++) {
		const struct wpeer *p = &g->peers[i];

		if (!p->used)
			continue;
		if (p->hs.state != GK_WG_HS_ZEROED && p->hs.local_index == idx)
			return true;
		for (int k = 0; k < GK_WG_NR_KP; k++)
			if (p->kp[k].st && p->kp[k].kp.local_index == idx)
				return true;
	}
	return false;
}

/*
 * Random and unique among live handshakes and keypairs. A linear scan:
 * fine for the hundreds of peers a front door has.
 */
static uint32_t new_index(const struct gk_wgd *g)
{
	uint32_t idx;

	do {
		if (gk_wg_random(&idx, sizeof(idx)))
			idx = (uint32_t)mono_ns() * 2654435761u;
	} while (!idx || index_used(g, idx));
	return idx;
}

/* ---- snapshot ---- */

static void pick_src(const struct gk_wgd *g, uint8_t family, uint8_t src[16])
{
	const struct gk_nl_addr *a;
	size_t n;

	memset(src, 0, 16);
	if (!g->d)
		return;		/* detached (gk_wgd_new_detached): no interface */
	/* Behind MAP-E the tunnel leaves from the CE's shared IPv4. */
	if (family == AF_INET && gk_config_wg_ce_src4(&g->d->cfg, src))
		return;
	a = gk_nlmirror_addrs(g->d->nl, &n);
	for (size_t i = 0; i < n; i++) {
		/* the port's interface now: it may have been created again */
		if (a[i].ifindex != g->d->ports[g->port_id].ifindex ||
		    a[i].family != family)
			continue;
		/* Link-local v6 is no source for a tunnel endpoint. */
		if (family == AF_INET6 && a[i].addr[0] == 0xfe &&
		    (a[i].addr[1] & 0xc0) == 0x80)
			continue;
		memcpy(src, a[i].addr, family == AF_INET ? 4 : 16);
		return;
	}
}

static void retire(struct gk_wgd *g, struct wkp *k)
{
	if (!k->st)
		return;
	if (g->nr_retired < sizeof(g->retired) / sizeof(g->retired[0])) {
		g->retired[g->nr_retired++] = k->st;
	} else {
		/* Full: wait for readers now rather than leak. */
		synchronize_rcu();
		for (unsigned i = 0; i < g->nr_retired; i++)
			gk_wg_kpstate_free(g->retired[i]);
		g->nr_retired = 0;
		g->retired[g->nr_retired++] = k->st;
	}
	explicit_bzero(k, sizeof(*k));
}

static int publish(struct gk_wgd *g)
{
	struct gk_wg_peer_cfg *pc;
	struct gk_wg_peers_cfg cfg = {
		.listen_port = g->listen_port,
		.mtu = g->mtu,
	};
	struct gk_wg_peers *t, *old;
	char err[256];
	uint32_t n = 0;

	g->src_nl_gen = g->d ? gk_nlmirror_generation(g->d->nl) : 0;

	pc = calloc(g->next_id ? g->next_id : 1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	for (uint32_t i = 0; i < g->next_id; i++) {
		struct wpeer *p = &g->peers[i];

		if (!p->used)
			continue;
		pc[n].id = p->id;
		pc[n].ep = p->ep;
		if (p->ep.family)
			pick_src(g, p->ep.family, pc[n].src);
		pc[n].allowed = p->allowed;
		pc[n].nr_allowed = p->nr_allowed;
		pc[n].rpath = p->return_flow;
		for (int k = 0; k < GK_WG_NR_KP; k++) {
			if (!p->kp[k].st)
				continue;
			pc[n].kp[k] = &p->kp[k].kp;
			pc[n].kps[k] = p->kp[k].st;
		}
		n++;
	}
	cfg.peers = pc;
	cfg.nr_peers = n;
	t = gk_wg_peers_build(&cfg, err, sizeof(err));
	free(pc);
	if (!t) {
		g->publish_errors++;
		gk_err("wireguard: peer snapshot: %s", err);
		return -EINVAL;
	}
	old = g->snap;
	rcu_assign_pointer(g->snap, t);
	synchronize_rcu();
	if (old)
		gk_wg_peers_free(old);
	for (unsigned i = 0; i < g->nr_retired; i++)
		gk_wg_kpstate_free(g->retired[i]);
	g->nr_retired = 0;
	return 0;
}

/*
 * The outer source of each peer comes from the interface's addresses
 * when a snapshot is built. An address that comes or goes in between
 * (DHCP renewal, `ip addr`) must not leave the workers sealing from an
 * old one until the next rekey: when the kernel mirror changed, pick the
 * sources again and publish if any differs.
 */
static void refresh_srcs(struct gk_wgd *g)
{
	const struct gk_wg_peers *t = g->snap;
	uint64_t gen = gk_nlmirror_generation(g->d->nl);
	uint8_t src[16];

	if (gen == g->src_nl_gen || !t)
		return;
	g->src_nl_gen = gen;
	for (uint32_t i = 0; i < t->nr_peers; i++) {
		const struct gk_wg_peer *pe = &t->peers[i];

		if (!pe->ep.family)
			continue;
		pick_src(g, pe->ep.family, src);
		if (memcmp(src, pe->src, sizeof(src))) {
			g->src_changes++;
			publish(g);
			return;
		}
	}
}

/* ---- handshake ---- */

static struct gk_wg_handshake *lookup_static(void *arg, const uint8_t pub[32])
{
	struct gk_wgd *g = arg;

	for (uint32_t i = 0; i < g->next_id; i++)
		if (g->peers[i].used && !memcmp(g->peers[i].pub, pub, 32))
			return &g->peers[i].hs;
	return NULL;
}

static struct wpeer *peer_of_hs(struct gk_wgd *g, struct gk_wg_handshake *hs)
{
	return (struct wpeer *)((char *)hs - offsetof(struct wpeer, hs));
}

/*
 * A handshake with p failed (timeout: no response to our initiation;
 * bad_response: one naming our index did not verify). One line per peer per
 * HS_FAIL_LOG_S at most, counting the failures since the last one.
 */
#define HS_FAIL_LOG_S	10

static void hs_failed(struct wpeer *p, const char *reason)
{
	uint64_t now = mono_ns();

	p->hs_fails_unlogged++;
	if (p->hs_fail_log_ns &&
	    now - p->hs_fail_log_ns < HS_FAIL_LOG_S * 1000000000ull)
		return;
	gk_event(GK_LOG_WARN, "wireguard", "handshake_failed",
		 GK_KVS(GK_KV_S("peer", p->name), GK_KV_S("reason", reason),
			GK_KV_N("count", p->hs_fails_unlogged)),
		 "wireguard: peer %s: handshake failed (%s), %llu failure(s) since "
		 "the last report", p->name, reason,
		 (unsigned long long)p->hs_fails_unlogged);
	p->hs_fails_unlogged = 0;
	p->hs_fail_log_ns = now;
}

static void send_initiation(struct gk_wgd *g, struct wpeer *p, bool retry)
{
	struct gk_wg_msg_initiation m;
	uint8_t ts[GK_WG_TAI64N_LEN];
	struct timespec rt;
	uint64_t now = mono_ns();

	if (!p->ep.family)
		return;		/* nowhere to send: wait for the peer */
	if (!gk_wg_timers_initiation_allowed(&p->timers, retry, now))
		return;
	clock_gettime(CLOCK_REALTIME, &rt);
	gk_wg_tai64n(ts, rt.tv_sec, rt.tv_nsec);
	if (gk_wg_create_initiation(&p->hs, &m, new_index(g), ts) ||
	    gk_wg_cookie_add_macs(&p->cookie, &m, sizeof(m), now)) {
		explicit_bzero(&m, sizeof(m));
		return;
	}
	gk_wg_timers_event(&p->timers, GK_WG_EV_AUTH_TRAVERSAL, now);
	peer_send(g, p, &m, sizeof(m));
	gk_wg_timers_event(&p->timers, GK_WG_EV_HANDSHAKE_INITIATED, now);
	gk_wg_timers_event(&p->timers, GK_WG_EV_ANY_AUTH_SENT, now);
	g->hs_initiations_sent++;
}

static void send_keepalive(struct gk_wgd *g, struct wpeer *p)
{
	struct wkp *k = &p->kp[GK_WG_KP_CURRENT];
	uint8_t msg[GK_WG_KEEPALIVE_LEN];
	uint64_t ctr, now = mono_ns();

	if (!k->st || !p->ep.family ||
	    gk_wg_timers_keypair_expired(k->kp.birth_ns,
					 gk_wg_kpstate_sent(k->st), now))
		return;
	/* Shares the workers' counter: a nonce is never used twice. */
	ctr = atomic_fetch_add_explicit(&k->st->send_counter, 1,
					memory_order_relaxed);
	memset(msg, 0, GK_WG_DATA_HDR_LEN);
	msg[GK_WG_DATA_OFF_TYPE] = GK_WG_MSG_DATA;
	gk_wg_put_le32(msg + GK_WG_DATA_OFF_RECEIVER, k->kp.remote_index);
	for (int i = 0; i < 8; i++)
		msg[GK_WG_DATA_OFF_COUNTER + i] = (uint8_t)(ctr >> (8 * i));
	if (gk_wg_aead_encrypt(msg + GK_WG_DATA_HDR_LEN, NULL, 0, NULL, 0, ctr,
			       k->kp.send_key))
		return;
	peer_send(g, p, msg, sizeof(msg));
	gk_wg_timers_event(&p->timers, GK_WG_EV_ANY_AUTH_SENT, now);
}

static void mark_handshake(struct wpeer *p)
{
	struct timespec rt;

	clock_gettime(CLOCK_REALTIME, &rt);
	p->last_handshake_sec = rt.tv_sec;
	p->last_handshake_nsec = rt.tv_nsec;
}

/* Initiator: the new keypair is usable at once (whitepaper §5.4.5). */
static int add_keypair_initiator(struct gk_wgd *g, struct wpeer *p,
				 const struct gk_wg_keypair *kp)
{
	struct gk_wg_kpstate *st = gk_wg_kpstate_create();

	if (!st)
		return -ENOMEM;
	retire(g, &p->kp[GK_WG_KP_PREVIOUS]);
	retire(g, &p->kp[GK_WG_KP_NEXT]);
	p->kp[GK_WG_KP_PREVIOUS] = p->kp[GK_WG_KP_CURRENT];
	p->kp[GK_WG_KP_CURRENT].kp = *kp;
	p->kp[GK_WG_KP_CURRENT].st = st;
	return 0;
}

/* Responder: next, until the initiator's first data confirms it. */
static int add_keypair_responder(struct gk_wgd *g, struct wpeer *p,
				 const struct gk_wg_keypair *kp)
{
	struct gk_wg_kpstate *st = gk_wg_kpstate_create();

	if (!st)
		return -ENOMEM;
	retire(g, &p->kp[GK_WG_KP_NEXT]);
	p->kp[GK_WG_KP_NEXT].kp = *kp;
	p->kp[GK_WG_KP_NEXT].st = st;
	return 0;
}

static void confirm_next(struct gk_wgd *g, struct wpeer *p, uint32_t index)
{
	struct wkp *n = &p->kp[GK_WG_KP_NEXT];

	if (!n->st || n->kp.local_index != index)
		return;
	retire(g, &p->kp[GK_WG_KP_PREVIOUS]);
	p->kp[GK_WG_KP_PREVIOUS] = p->kp[GK_WG_KP_CURRENT];
	p->kp[GK_WG_KP_CURRENT] = *n;
	memset(n, 0, sizeof(*n));
	gk_wg_timers_event(&p->timers, GK_WG_EV_HANDSHAKE_COMPLETE, mono_ns());
	publish(g);
}

static bool under_load(struct gk_wgd *g, uint64_t now)
{
	uint64_t sec = now / 1000000000ull;

	if (sec != g->load_sec) {
		g->load_sec = sec;
		g->load_count = 0;
	}
	return ++g->load_count > GK_WGD_UNDER_LOAD_PER_S;
}

/* mac1/mac2 as the kernel does; true when the message may be processed. */
static bool check_macs(struct gk_wgd *g, const void *msg, size_t len,
		       const struct sockaddr_storage *src, uint64_t now)
{
	bool load = under_load(g, now);
	struct gk_wg_msg_cookie reply;
	enum gk_wg_mac_state st;

	st = gk_wg_cookie_validate(&g->checker, msg, len,
				   (const struct sockaddr *)src, load, g->rl,
				   now);
	if (st == GK_WG_MAC_INVALID) {
		g->rx_bad_mac++;
		return false;
	}
	if (!load)
		return true;
	if (st == GK_WG_MAC_VALID_COOKIE)
		return true;
	if (st == GK_WG_MAC_VALID_NO_COOKIE &&
	    !gk_wg_cookie_reply_create(&g->checker, &reply, msg, len,
				       (const struct sockaddr *)src, now)) {
		struct gk_wg_endpoint ep;

		endpoint_of(src, &ep);
		wg_send(g, &ep, &reply, sizeof(reply));
		g->rx_cookie_sent++;
	} else {
		g->rx_rejected++;
	}
	return false;
}

static void on_initiation(struct gk_wgd *g, const uint8_t *buf, size_t len,
			  const struct sockaddr_storage *src)
{
	struct gk_wg_msg_initiation mi;
	struct gk_wg_msg_response mr;
	struct gk_wg_handshake *hs;
	struct gk_wg_keypair kp;
	uint64_t now = mono_ns();
	struct wpeer *p;
	int ret;

	if (len != sizeof(mi)) {
		g->rx_init_bad_len++;
		return;
	}
	if (!check_macs(g, buf, len, src, now))
		return;
	memcpy(&mi, buf, sizeof(mi));
	ret = gk_wg_consume_initiation(&g->me, &mi, lookup_static, g, now, &hs);
	if (ret) {
		g->rx_rejected++;
		gk_dbg("wireguard: initiation refused: %s", strerror(-ret));
		return;
	}
	p = peer_of_hs(g, hs);
	peer_received(p, len);
	/* Roaming: answer, and send from now on, where it came from. */
	endpoint_of(src, &p->ep);
	gk_wg_timers_event(&p->timers, GK_WG_EV_ANY_AUTH_RECEIVED, now);
	gk_wg_timers_event(&p->timers, GK_WG_EV_AUTH_TRAVERSAL, now);
	if (gk_wg_create_response(hs, &mr, new_index(g)) ||
	    gk_wg_cookie_add_macs(&p->cookie, &mr, sizeof(mr), now) ||
	    gk_wg_begin_session(hs, &kp, now) ||
	    add_keypair_responder(g, p, &kp)) {
		explicit_bzero(&kp, sizeof(kp));
		return;
	}
	explicit_bzero(&kp, sizeof(kp));
	/* Workers must know the keypair before the initiator's data. */
	publish(g);
	peer_send(g, p, &mr, sizeof(mr));
	gk_wg_timers_event(&p->timers, GK_WG_EV_SESSION_DERIVED, now);
	gk_wg_timers_event(&p->timers, GK_WG_EV_ANY_AUTH_SENT, now);
	mark_handshake(p);
	g->hs_completed++;
	gk_info("wireguard: peer %s: handshake completed (responder)", p->name);
}

static void on_response(struct gk_wgd *g, const uint8_t *buf, size_t len,
			const struct sockaddr_storage *src)
{
	struct gk_wg_msg_response mr;
	struct gk_wg_keypair kp;
	uint64_t now = mono_ns();
	struct wpeer *p = NULL;
	uint32_t idx;

	if (len != sizeof(mr)) {
		g->rx_resp_bad_len++;
		return;
	}
	if (!check_macs(g, buf, len, src, now))
		return;
	memcpy(&mr, buf, sizeof(mr));
	idx = gk_wg_get_le32(&mr.receiver_le);
	for (uint32_t i = 0; i < g->next_id; i++)
		if (g->peers[i].used &&
		    g->peers[i].hs.state == GK_WG_HS_CREATED_INITIATION &&
		    g->peers[i].hs.local_index == idx)
			p = &g->peers[i];
	if (!p || gk_wg_consume_response(&p->hs, &mr)) {
		g->rx_rejected++;
		if (p)
			hs_failed(p, "bad_response");
		return;
	}
	peer_received(p, len);
	endpoint_of(src, &p->ep);
	if (gk_wg_begin_session(&p->hs, &kp, now) ||
	    add_keypair_initiator(g, p, &kp)) {
		explicit_bzero(&kp, sizeof(kp));
		return;
	}
	explicit_bzero(&kp, sizeof(kp));
	publish(g);
	gk_wg_timers_event(&p->timers, GK_WG_EV_ANY_AUTH_RECEIVED, now);
	gk_wg_timers_event(&p->timers, GK_WG_EV_SESSION_DERIVED, now);
	gk_wg_timers_event(&p->timers, GK_WG_EV_HANDSHAKE_COMPLETE, now);
	mark_handshake(p);
	g->hs_completed++;
	/* Key confirmation for the responder (as the kernel does). */
	send_keepalive(g, p);
	gk_info("wireguard: peer %s: handshake completed (initiator)", p->name);
}

static void on_cookie(struct gk_wgd *g, const uint8_t *buf, size_t len)
{
	struct gk_wg_msg_cookie mc;
	uint32_t idx;

	if (len != sizeof(mc)) {
		g->rx_cookie_bad_len++;
		return;
	}
	memcpy(&mc, buf, sizeof(mc));
	idx = gk_wg_get_le32(&mc.receiver_le);
	for (uint32_t i = 0; i < g->next_id; i++) {
		struct wpeer *p = &g->peers[i];

		if (p->used && p->hs.state == GK_WG_HS_CREATED_INITIATION &&
		    p->hs.local_index == idx) {
			if (gk_wg_cookie_reply_consume(&p->cookie, &mc, mono_ns()))
				g->rx_rejected++;
			return;
		}
	}
}

/*
 * One handshake message, from the socket or punted by a worker. Each
 * handler checks the exact length of its type; every message that fits
 * none is counted by what it claims to be.
 */
void gk_wgd_handle_msg(struct gk_wgd *g, const uint8_t *buf, size_t n,
		       const struct sockaddr_storage *src)
{
	if (n < 4) {
		g->rx_too_short++;
		return;
	}
	switch (buf[0] | buf[1] << 8 | buf[2] << 16 | (uint32_t)buf[3] << 24) {
	case GK_WG_MSG_INITIATION:
		on_initiation(g, buf, n, src);
		break;
	case GK_WG_MSG_RESPONSE:
		on_response(g, buf, n, src);
		break;
	case GK_WG_MSG_COOKIE:
		on_cookie(g, buf, n);
		break;
	case GK_WG_MSG_DATA:
		/* header + empty payload's tag: 32 B (the classifier's bound) */
		if (n < 32) {
			g->rx_data_bad_len++;
			break;
		}
		/* Data on a queue no worker serves: XDP passed it. */
		g->rx_data_on_socket++;
		break;
	default:
		/* type 0, 5.., or reserved bytes set (the type is a le32) */
		g->rx_unknown_type++;
		break;
	}
}

/*
 * Punted messages go through dispatch() like datagrams from the socket,
 * with the outer IPv4 source as the sender: the same mac1/mac2, cookie
 * and per-source rate limit checks (check_macs) apply.
 */
static unsigned drain_punts(struct gk_wgd *g)
{
	struct gk_wg_ctlmsg m[16];
	unsigned total = 0;

	for (unsigned w = 0; w < g->d->nr_workers; w++) {
		unsigned n;

		if (!g->punt[w])
			continue;
		/* bounded: a flood cannot keep the event loop here */
		for (int budget = 4; budget > 0; budget--) {
			n = gk_spsc_pop(g->punt[w], m, 16);
			total += n;
			for (unsigned i = 0; i < n; i++) {
				struct sockaddr_storage ss = { 0 };
				struct sockaddr_in *s = (struct sockaddr_in *)&ss;

				if (m[i].len < 4 || m[i].len > sizeof(m[i].msg)) {
					g->punt_bad++;
					continue;
				}
				s->sin_family = AF_INET;
				s->sin_port = htons(m[i].port);
				memcpy(&s->sin_addr, m[i].addr, 4);
				g->punt_rx++;
				gk_wgd_handle_msg(g, m[i].msg, m[i].len, &ss);
			}
			if (n < 16)
				break;
		}
	}
	explicit_bzero(m, sizeof(m));
	return total;
}

void gk_wgd_on_readable(struct gk_wgd *g, int which)
{
	struct sockaddr_storage src;
	uint8_t buf[2048];

	if (which == GK_WGD_FD_PUNT) {
		int r = gk_efd_drain(g->punt_efd);

		if (r && r != -EAGAIN)
			gk_dbg("wireguard: punt eventfd: %s", strerror(-r));
		drain_punts(g);
		return;
	}
	for (int budget = 64; budget > 0; budget--) {
		socklen_t sl = sizeof(src);
		ssize_t n = recvfrom(g->fd[which], buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&src, &sl);

		if (n < 0)
			return;		/* EAGAIN: drained */
		gk_wgd_handle_msg(g, buf, (size_t)n, &src);
	}
}

/* ---- timers and worker events ---- */

static void zero_keys(struct gk_wgd *g, struct wpeer *p)
{
	for (int k = 0; k < GK_WG_NR_KP; k++)
		retire(g, &p->kp[k]);
	gk_wg_handshake_clear(&p->hs);
	gk_wg_handshake_init(&p->hs, &g->me, p->pub, p->psk);
}

/* Peer id's counters (GK_WG_PEER_CNT_LIST) summed over the workers. */
static void peer_sums(const struct gk_wgd *g, uint32_t id,
		      struct gk_wg_peer_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned w = 0; w < g->d->nr_workers; w++) {
		const struct gk_wg_ctx *c = g->d->workers[w].wg;

		if (c && id < c->max_peers)
			gk_cnt_add_fields(sum, &c->peer[id], &gk_cnt_wg_peer);
	}
}

static unsigned drain_events(struct gk_wgd *g)
{
	struct gk_wg_event ev[64];
	unsigned total = 0;
	bool dirty = false;

	for (unsigned w = 0; w < g->d->nr_workers; w++) {
		unsigned n = g->ev[w] ? gk_wg_evring_pop(g->ev[w], ev, 64) : 0;

		total += n;
		for (unsigned i = 0; i < n; i++) {
			struct wpeer *p;

			if (ev[i].peer_id >= g->next_id ||
			    !g->peers[ev[i].peer_id].used)
				continue;
			p = &g->peers[ev[i].peer_id];
			switch (ev[i].type) {
			case GK_WG_EV_HANDSHAKE_NEEDED:
				send_initiation(g, p, false);
				break;
			case GK_WG_EV_ENDPOINT:
				if (memcmp(&p->ep, &ev[i].ep, sizeof(p->ep))) {
					p->ep = ev[i].ep;
					dirty = true;
				}
				break;
			case GK_WG_EV_CONFIRMED:
				confirm_next(g, p, ev[i].index);
				break;
			}
		}
	}
	if (dirty)
		publish(g);
	return total;
}

bool gk_wgd_tick(struct gk_wgd *g)
{
	uint64_t now = mono_ns();
	unsigned drained = 0;

	/* A lost wake-up costs at most one tick. */
	if (g->ce)
		drained += drain_punts(g);
	drained += drain_events(g);
	refresh_srcs(g);
	for (uint32_t i = 0; i < g->next_id; i++) {
		struct wpeer *p = &g->peers[i];
		struct wkp *cur = &p->kp[GK_WG_KP_CURRENT];
		struct gk_wg_peer_stats sum;
		uint64_t rxp, rxb, txp;
		unsigned act, attempts;

		if (!p->used)
			continue;
		/*
		 * The workers count; turn their counters into the timer
		 * events (a 32-byte message per packet is a keepalive).
		 */
		peer_sums(g, p->id, &sum);
		rxp = sum.rx_packets;
		rxb = sum.rx_bytes;
		txp = sum.tx_packets;
		if (rxp != p->seen_rx_pkts) {
			gk_wg_timers_event(&p->timers, GK_WG_EV_AUTH_TRAVERSAL, now);
			gk_wg_timers_event(&p->timers, GK_WG_EV_ANY_AUTH_RECEIVED, now);
			if (rxb - p->seen_rx_bytes >
			    (rxp - p->seen_rx_pkts) * GK_WG_KEEPALIVE_LEN)
				gk_wg_timers_event(&p->timers,
						   GK_WG_EV_DATA_RECEIVED, now);
			if (cur->st && gk_wg_timers_rekey_on_receive(&p->timers,
					cur->kp.birth_ns, cur->kp.initiator, now))
				send_initiation(g, p, false);
		}
		if (txp != p->seen_tx_pkts) {
			gk_wg_timers_event(&p->timers, GK_WG_EV_AUTH_TRAVERSAL, now);
			gk_wg_timers_event(&p->timers, GK_WG_EV_DATA_SENT, now);
			gk_wg_timers_event(&p->timers, GK_WG_EV_ANY_AUTH_SENT, now);
			if (cur->st && gk_wg_timers_rekey_on_send(cur->kp.birth_ns,
					gk_wg_kpstate_sent(cur->st),
					cur->kp.initiator, now))
				send_initiation(g, p, false);
		}
		p->seen_rx_pkts = rxp;
		p->seen_rx_bytes = rxb;
		p->seen_tx_pkts = txp;

		if (gk_wg_timers_next(&p->timers) > now)
			continue;
		attempts = p->timers.handshake_attempts;
		act = gk_wg_timers_tick(&p->timers, now);
		/* A retransmit: our last initiation got no valid response. */
		if (p->timers.handshake_attempts > attempts ||
		    (act & GK_WG_ACT_PURGE_STAGED))
			hs_failed(p, "timeout");
		if (act & GK_WG_ACT_ZERO_KEYS) {
			zero_keys(g, p);
			publish(g);
		}
		if (act & GK_WG_ACT_SEND_INITIATION)
			send_initiation(g, p, true);
		if (act & GK_WG_ACT_SEND_KEEPALIVE)
			send_keepalive(g, p);
	}
	return drained > 0;
}

/* ---- peers ---- */

static struct wpeer *find_pub(struct gk_wgd *g, const uint8_t pub[32])
{
	for (uint32_t i = 0; i < g->next_id; i++)
		if (g->peers[i].used && !memcmp(g->peers[i].pub, pub, 32))
			return &g->peers[i];
	return NULL;
}

static struct wpeer *add_peer(struct gk_wgd *g, const char *name,
			      const uint8_t pub[32], const uint8_t psk[32])
{
	struct wpeer *p;

	if (g->next_id >= g->max_peers)
		return NULL;
	p = &g->peers[g->next_id];
	memset(p, 0, sizeof(*p));
	p->id = g->next_id++;
	p->used = true;
	snprintf(p->name, sizeof(p->name), "%s", name);
	memcpy(p->pub, pub, 32);
	if (psk)
		memcpy(p->psk, psk, 32);
	if (gk_wg_handshake_init(&p->hs, &g->me, pub, psk) ||
	    gk_wg_cookie_init(&p->cookie, pub)) {
		explicit_bzero(p, sizeof(*p));
		g->next_id--;
		return NULL;
	}
	gk_wg_timers_init(&p->timers, 0, NULL, NULL);
	/* Counters are per id and ids are never reused: start from now. */
	return p;
}

static void set_keepalive(struct wpeer *p, uint16_t s)
{
	p->keepalive_s = s;
	p->timers.persistent_keepalive_s = s;
}

static void remove_peer(struct gk_wgd *g, struct wpeer *p)
{
	for (int k = 0; k < GK_WG_NR_KP; k++)
		retire(g, &p->kp[k]);
	gk_wg_handshake_clear(&p->hs);
	gk_wg_cookie_clear(&p->cookie);
	explicit_bzero(p->psk, sizeof(p->psk));
	p->used = false;
}

/* A [wireguard-peer] of the config: 0, or -ENOMEM (setup failed). */
static int add_config_peer(struct gk_wgd *g, const struct gk_config_wg_peer *cp)
{
	struct wpeer *p = add_peer(g, cp->name, cp->pub, cp->psk);

	if (!p)
		return -ENOMEM;
	memcpy(&p->ep, &cp->ep, sizeof(p->ep));
	_Static_assert(sizeof(cp->allowed[0]) == sizeof(p->allowed[0]),
		       "same layout");
	memcpy(p->allowed, cp->allowed, cp->nr_allowed * sizeof(p->allowed[0]));
	p->nr_allowed = cp->nr_allowed;
	p->return_flow = cp->return_flow;
	set_keepalive(p, cp->keepalive_s);
	/*
	 * As wg(8) does when persistent keepalive is set: bring the
	 * tunnel up now, so the peer can reach us through NAT.
	 */
	if (cp->keepalive_s)
		send_initiation(g, p, false);
	return 0;
}

static int open_socket(int family, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto err;
	if (family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
			goto err_fd;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		sl = sizeof(*s);
	} else {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		sl = sizeof(*s);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl))
		goto err_fd;
	return fd;

err_fd:
	close(fd);
err:
	snprintf(err, errlen, "wireguard: UDP %s port %u: %s",
		 family == AF_INET ? "IPv4" : "IPv6", port, strerror(errno));
	return -1;
}

/*
 * Map [wireguard] crypto onto the worker AEAD and build one here, once:
 * a library that cannot run on this CPU fails genkand at start with a
 * clear message instead of every worker, and `wg show` can name what
 * "auto" resolved to (every worker resolves it the same way).
 */
static int probe_aead(struct gk_wgd *g, const struct gk_config_wg *c,
		      char *err, size_t errlen)
{
	static const enum gk_aead_impl map[] = {
		[GK_CONFIG_WG_CRYPTO_AUTO] = GK_AEAD_AUTO,
		[GK_CONFIG_WG_CRYPTO_IPSECMB] = GK_AEAD_IPSECMB,
		[GK_CONFIG_WG_CRYPTO_OPENSSL] = GK_AEAD_OPENSSL,
	};
	struct gk_aead *a;
	char why[128];

	g->aead = map[c->crypto];
	a = gk_aead_create(g->aead, why, sizeof(why));
	if (!a) {
		snprintf(err, errlen, "%s:%u: [wireguard] crypto: %s",
			 g->d->cfg.path, c->key_line[WGI_CRYPTO] ?
			 c->key_line[WGI_CRYPTO] : c->line, why);
		return -ENOTSUP;
	}
	snprintf(g->aead_name, sizeof(g->aead_name), "%s",
		 gk_aead_impl_name(a));
	gk_aead_destroy(a);
	return 0;
}

int gk_wgd_start(struct gk_daemon *d, struct gk_wgd **out, char *err,
		 size_t errlen)
{
	const struct gk_config_wg *c = d->cfg.wg;
	struct gk_wg_xdp xw = { 0 };
	struct gk_wgd *g;
	unsigned i;
	int ret = -EINVAL;

	*out = NULL;
	if (!c || !c->enabled)
		return 0;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->d = d;
	g->fd[0] = g->fd[1] = -1;
	g->punt_efd = -1;
	g->inject_efd = -1;
	g->listen_port = c->listen_port;
	g->mtu = c->mtu;
	g->max_peers = GK_WGD_MAX_PEERS;
	g->peers = calloc(g->max_peers, sizeof(*g->peers));
	if (!g->peers)
		goto err_nomem;
	for (i = 0; i < d->nr_ports; i++)
		if (!strcmp(d->ports[i].name, c->port))
			break;
	if (i == d->nr_ports) {
		snprintf(err, errlen, "%s:%u: [wireguard] port %s is not a [port]",
			 d->cfg.path, c->line, c->port);
		goto err_free;
	}
	g->port_id = d->ports[i].port_id;
	ret = probe_aead(g, c, err, errlen);
	if (ret)
		goto err_free;
	if (gk_wg_crypto_init() || gk_wg_identity_init(&g->me, c->priv) ||
	    gk_wg_cookie_checker_init(&g->checker, g->me.pub) ||
	    gk_wg_ratelimiter_new(&g->rl)) {
		snprintf(err, errlen, "wireguard: crypto setup failed");
		goto err_free;
	}
	g->fd[0] = open_socket(AF_INET, g->listen_port, err, errlen);
	if (g->fd[0] < 0)
		goto err_free;
	/* No IPv6 on the host is no reason to refuse IPv4 service. */
	g->fd[1] = open_socket(AF_INET6, g->listen_port, err, errlen);
	if (g->fd[1] < 0)
		gk_warn("%s", err);
	err[0] = '\0';
	for (i = 0; i < d->nr_workers; i++) {
		g->ev[i] = gk_wg_evring_create(EV_RING_SIZE);
		if (!g->ev[i])
			goto err_nomem;
	}
	g->punt_efd = -1;
	if (gk_config_wg_ce_port(&d->cfg)) {
		g->ce = true;
		g->punt_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (g->punt_efd >= 0)
			g->inject_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (g->punt_efd < 0 || g->inject_efd < 0) {
			snprintf(err, errlen, "wireguard: eventfd: %s",
				 strerror(errno));
			goto err_free;
		}
		g->inject = gk_spsc_create(sizeof(struct gk_wg_ctlmsg),
					   GK_WG_INJECT_RING);
		if (!g->inject)
			goto err_nomem;
		for (i = 0; i < d->nr_workers; i++) {
			g->punt[i] = gk_spsc_create(sizeof(struct gk_wg_ctlmsg),
						    GK_WG_PUNT_RING);
			if (!g->punt[i])
				goto err_nomem;
		}
	}
	/* One writer per replay window: misdirected data is handed over. */
	if (d->nr_workers > 1) {
		unsigned nr = d->nr_workers;

		g->rings = calloc((size_t)nr * nr, sizeof(*g->rings));
		if (!g->rings)
			goto err_nomem;
		for (unsigned a = 0; a < nr; a++)
			for (unsigned b = 0; b < nr; b++) {
				if (a == b)
					continue;
				g->rings[gk_wg_ring_idx(a, b, nr)] =
					gk_spsc_create(sizeof(struct gk_wg_handoff),
						       gk_wg_handoff_ring_slots(nr));
				if (!g->rings[gk_wg_ring_idx(a, b, nr)])
					goto err_nomem;
			}
		/*
		 * return_path = flow: the worker that decrypts tells the
		 * others the flows it learns (replies land on any worker).
		 * Nobody waits for these: a worker drains them each pass.
		 */
		for (i = 0; i < c->nr_peers && !c->peers[i].return_flow; i++)
			;
		if (i < c->nr_peers) {
			g->rpath_rings = calloc((size_t)nr * nr,
						sizeof(*g->rpath_rings));
			if (!g->rpath_rings)
				goto err_nomem;
			for (unsigned a = 0; a < nr; a++)
				for (unsigned b = 0; b < nr; b++) {
					struct gk_spsc **r = &g->rpath_rings[
						gk_wg_ring_idx(a, b, nr)];

					if (a == b)
						continue;
					*r = gk_spsc_create(sizeof(struct gk_wg_rpath_msg),
							    GK_WGD_RPATH_RING);
					if (!*r)
						goto err_nomem;
				}
		}
		/* No fd tells a sleeping owner its rings filled: the sender does. */
		g->wake = aligned_alloc(64, nr * sizeof(*g->wake));
		if (!g->wake)
			goto err_nomem;
		memset(g->wake, 0, nr * sizeof(*g->wake));
		for (unsigned a = 0; a < nr; a++)
			g->wake[a].efd = -1;
		for (unsigned a = 0; a < nr; a++) {
			g->wake[a].efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			if (g->wake[a].efd < 0) {
				ret = -errno;
				snprintf(err, errlen, "wireguard: eventfd: %s",
					 strerror(errno));
				goto err_free;
			}
		}
	}
	for (i = 0; i < c->nr_peers; i++) {
		const struct gk_config_wg_peer *cp = &c->peers[i];

		if (add_config_peer(g, cp)) {
			snprintf(err, errlen, "%s:%u: wireguard-peer %s: setup failed",
				 d->cfg.path, cp->line, cp->name);
			goto err_free;
		}
	}
	ret = publish(g);
	if (ret) {
		snprintf(err, errlen, "wireguard: first peer snapshot failed");
		goto err_free;
	}
	xw.listen_port = htons(g->listen_port);
	xw.port_id = g->port_id;
	ret = gk_xdp_set_wg(d->xdp, &xw);
	if (ret) {
		snprintf(err, errlen, "wireguard: gk_wg map: %s", strerror(-ret));
		goto err_free;
	}
	gk_info("wireguard: listening on port %u (%s), %u peer(s), mtu %u%s",
		g->listen_port, c->port, c->nr_peers, g->mtu,
		g->ce ? ", IPv4 through the MAP-E CE data plane" : "");
	*out = g;
	return 0;

err_nomem:
	snprintf(err, errlen, "wireguard: out of memory");
	ret = -ENOMEM;
err_free:
	gk_wgd_stop(g);
	return ret ? ret : -EINVAL;
}

struct gk_wgd *gk_wgd_new_detached(const struct gk_config_wg *c)
{
	struct gk_wgd *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->fd[0] = g->fd[1] = -1;
	g->punt_efd = -1;
	g->inject_efd = -1;
	g->listen_port = c->listen_port;
	g->mtu = c->mtu;
	g->max_peers = c->nr_peers ? c->nr_peers : 1;
	g->peers = calloc(g->max_peers, sizeof(*g->peers));
	if (!g->peers || gk_wg_crypto_init() ||
	    gk_wg_identity_init(&g->me, c->priv) ||
	    gk_wg_cookie_checker_init(&g->checker, g->me.pub) ||
	    gk_wg_ratelimiter_new(&g->rl))
		goto err;
	for (unsigned i = 0; i < c->nr_peers; i++)
		if (add_config_peer(g, &c->peers[i]))
			goto err;
	if (publish(g))
		goto err;
	return g;

err:
	gk_wgd_stop(g);
	return NULL;
}

void gk_wgd_worker_cfg(struct gk_wgd *g, unsigned w, struct gk_worker_cfg *wc)
{
	if (!g)
		return;
	wc->wg = &g->snap;
	wc->wg_events = g->ev[w];
	wc->wg_max_peers = GK_WGD_MAX_PEERS;
	wc->wg_aead = g->aead;
	wc->wg_rings = g->rings;
	wc->wg_rpath_rings = g->rpath_rings;
	wc->wg_wake = g->wake;
	wc->wg_nr_workers = g->d->nr_workers;
	wc->wg_port_id = g->port_id;
	wc->wg_mtu = g->mtu;
	if (g->ce) {
		wc->wg_ce_port = g->listen_port;
		wc->wg_punt = g->punt[w];
		wc->wg_punt_efd = g->punt_efd;
		/* one writer per ring: worker 0 sends them all */
		wc->wg_inject = w == 0 ? g->inject : NULL;
		wc->wg_inject_efd = w == 0 ? g->inject_efd : -1;
	}
}

int gk_wgd_fd(const struct gk_wgd *g, int which)
{
	if (!g)
		return -1;
	return which == GK_WGD_FD_PUNT ? g->punt_efd : g->fd[which];
}

void gk_wgd_stop(struct gk_wgd *g)
{
	struct gk_wg_xdp off = { 0 };

	if (!g)
		return;
	if (g->d && g->d->xdp)
		gk_xdp_set_wg(g->d->xdp, &off);
	for (int i = 0; i < 2; i++)
		if (g->fd[i] >= 0)
			close(g->fd[i]);
	if (g->punt_efd >= 0)
		close(g->punt_efd);
	if (g->inject_efd >= 0)
		close(g->inject_efd);
	/* Workers are joined: the rings have no other end left. */
	for (unsigned i = 0; i < GK_MAX_WORKERS; i++)
		if (g->punt[i])
			gk_spsc_destroy(g->punt[i]);
	if (g->inject)
		gk_spsc_destroy(g->inject);
	if (g->peers) {
		for (uint32_t i = 0; i < g->next_id; i++)
			if (g->peers[i].used)
				remove_peer(g, &g->peers[i]);
		explicit_bzero(g->peers, g->max_peers * sizeof(*g->peers));
		free(g->peers);
	}
	/* Workers are joined: no reader is left. */
	if (g->snap)
		gk_wg_peers_free(g->snap);
	for (unsigned i = 0; i < g->nr_retired; i++)
		gk_wg_kpstate_free(g->retired[i]);
	for (unsigned i = 0; i < GK_MAX_WORKERS; i++)
		if (g->ev[i])
			gk_wg_evring_destroy(g->ev[i]);
	if (g->rings) {
		for (unsigned i = 0; i < g->d->nr_workers * g->d->nr_workers; i++)
			if (g->rings[i])
				gk_spsc_destroy(g->rings[i]);
		free(g->rings);
	}
	if (g->rpath_rings) {
		for (unsigned i = 0; i < g->d->nr_workers * g->d->nr_workers; i++)
			if (g->rpath_rings[i])
				gk_spsc_destroy(g->rpath_rings[i]);
		free(g->rpath_rings);
	}
	if (g->wake) {
		for (unsigned i = 0; i < g->d->nr_workers; i++)
			if (g->wake[i].efd >= 0)
				close(g->wake[i].efd);
		free(g->wake);
	}
	if (g->rl)
		gk_wg_ratelimiter_free(g->rl);
	gk_wg_cookie_checker_clear(&g->checker);
	gk_wg_identity_clear(&g->me);
	explicit_bzero(g, sizeof(*g));
	free(g);
}

/* ---- ctl ---- */

static json_t *endpoint_json(const struct gk_wg_endpoint *ep)
{
	char a[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 10];

	if (!ep->family)
		return json_null();
	inet_ntop(ep->family, ep->addr, a, sizeof(a));
	if (ep->family == AF_INET6)
		snprintf(buf, sizeof(buf), "[%s]:%u", a, ep->port);
	else
		snprintf(buf, sizeof(buf), "%s:%u", a, ep->port);
	return json_string(buf);
}

/* A worker's array of one kind of WireGuard counter, NULL when it has none. */
typedef const uint64_t *(*wk_counters_fn)(const struct gk_worker *w);

static const uint64_t *wk_wg_drops(const struct gk_worker *w)
{
	return w->wg ? w->wg->drops : NULL;
}

static const uint64_t *wk_wg_events(const struct gk_worker *w)
{
	return w->wg ? w->wg->evc : NULL;
}

static const uint64_t *wk_wg_rpath(const struct gk_worker *w)
{
	return w->wg && w->wg->rpath ? w->wg->rpath->cnt : NULL;
}

static const uint64_t *wk_wg_staged(const struct gk_worker *w)
{
	return w->wg_pending ? w->wg_pending->cnt : NULL;
}

/* Sets names[k] in obj to counter k summed over the workers; returns obj. */
static json_t *sum_named(const struct gk_daemon *d, wk_counters_fn arr,
			 const char *const *names, int n, json_t *obj)
{
	for (int k = 0; k < n; k++) {
		uint64_t v = 0;

		for (unsigned w = 0; w < d->nr_workers; w++) {
			const uint64_t *c = arr(&d->workers[w]);

			if (c)
				v += c[k];
		}
		json_object_set_new(obj, names[k], json_integer((json_int_t)v));
	}
	return obj;
}

json_t *gk_wgd_show(struct gk_wgd *g)
{
	char b64[GK_WG_KEY_B64_LEN + 1], a[INET6_ADDRSTRLEN], px[64];
	uint64_t hin = 0, hout = 0, hdrop = 0, hwsent = 0, hwoken = 0, hwfail = 0;
	json_t *o, *peers, *counters;

	if (!g)
		return json_pack("{s:b}", "enabled", 0);
	gk_wg_key_to_base64(b64, g->me.pub);
	peers = json_array();
	for (uint32_t i = 0; i < g->next_id; i++) {
		const struct wpeer *p = &g->peers[i];
		struct gk_wg_peer_stats sum;
		json_t *allowed, *jp;

		if (!p->used)
			continue;
		allowed = json_array();
		for (uint32_t k = 0; k < p->nr_allowed; k++) {
			inet_ntop(p->allowed[k].family, p->allowed[k].addr, a,
				  sizeof(a));
			snprintf(px, sizeof(px), "%s/%u", a, p->allowed[k].plen);
			json_array_append_new(allowed, json_string(px));
		}
		peer_sums(g, p->id, &sum);
		gk_cnt_add_fields(&sum, &p->own, &gk_cnt_wg_peer);
		gk_wg_key_to_base64(b64, p->pub);
		jp = json_pack("{s:s, s:s, s:b, s:o, s:o, s:I}",
			"name", p->name, "public_key", b64,
			"preshared_key", !!memcmp(p->psk, (uint8_t[32]){ 0 }, 32),
			"endpoint", endpoint_json(&p->ep),
			"allowed_ips", allowed,
			"latest_handshake", (json_int_t)p->last_handshake_sec);
		json_object_set_new(jp, "return_path",
				    json_string(p->return_flow ? "flow" : "allowed-ips"));
		jp = gk_cnt_json_fields(jp, &gk_cnt_wg_peer, &sum);
		json_array_append_new(peers, gk_cnt_json_set(jp,
			"persistent_keepalive", json_integer(p->keepalive_s)));
		gk_wg_key_to_base64(b64, g->me.pub);
	}
	for (unsigned w = 0; w < g->d->nr_workers; w++) {
		const struct gk_worker *x = &g->d->workers[w];

		hin += x->wg_handoff_in;
		hout += x->wg_handoff_out;
		hdrop += x->wg_handoff_drops;
		hwsent += x->wg_wake_sent;
		hwoken += x->wg_woken;
		hwfail += x->wg_wake_fail;
	}
	/* GK_WGD_CNT_LIST, the workers' hand-offs, then (below) staged */
	counters = gk_cnt_json_update(
		gk_cnt_json_fields(json_object(), &gk_wgd_cnt, g),
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
			  "handoff_out", (json_int_t)hout,
			  "handoff_in", (json_int_t)hin,
			  "handoff_drops", (json_int_t)hdrop,
			  "handoff_wakeups_sent", (json_int_t)hwsent,
			  "handoff_wakeups", (json_int_t)hwoken,
			  "handoff_wake_failed", (json_int_t)hwfail));
	o = json_pack("{s:b, s:s, s:i, s:i, s:s, s:o, s:o}",
		      "enabled", 1, "public_key", b64, "listen_port", g->listen_port,
		      "mtu", g->mtu, "crypto", g->aead_name, "peers", peers,
		      "counters", counters);
	/* Behind a MAP-E CE: the punt and inject paths (worker_wgce.h). */
	if (g->ce) {
		struct gk_wgce_stats ws = { 0 };

		for (unsigned w = 0; w < g->d->nr_workers; w++) {
			const struct gk_wgce_stats *x = &g->d->workers[w].wgce;

			ws.punted += x->punted;
			ws.punt_drops += x->punt_drops;
			ws.punt_bad_len += x->punt_bad_len;
			ws.stray += x->stray;
			ws.injected += x->injected;
			ws.inject_drops += x->inject_drops;
			ws.wake_fail += x->wake_fail;
			ws.inject_wakes += x->inject_wakes;
		}
		/* the workers' (worker_wgce.h) around GK_WGD_CE_CNT_LIST */
		json_object_set_new(o, "mape_ce", gk_cnt_json_update(
			gk_cnt_json_fields(json_pack("{s:I, s:I, s:I, s:I}",
				"punted", (json_int_t)ws.punted,
				"punt_drops", (json_int_t)ws.punt_drops,
				"punt_bad_len", (json_int_t)ws.punt_bad_len,
				"stray_dropped", (json_int_t)ws.stray),
				&gk_wgd_ce_cnt, g),
			json_pack("{s:I, s:I, s:I, s:I}",
				"injected", (json_int_t)ws.injected,
				"inject_drops", (json_int_t)ws.inject_drops,
				"inject_wakeups", (json_int_t)ws.inject_wakes,
				"wake_failed",
				(json_int_t)(ws.wake_fail + g->inject_wake_fail))));
	}
	/* The data path's own reasons and events (wg_data.h), all workers. */
	json_object_set_new(o, "drops", sum_named(g->d, wk_wg_drops,
		gk_wg_drop_names, GK_WG_DROP_MAX, json_object()));
	json_object_set_new(o, "events", sum_named(g->d, wk_wg_events,
		gk_wg_evc_names, GK_WG_EVC_MAX, json_object()));
	/* Return-path flows (wg_rpath.h), all workers: GK_WG_RPATH_CNT_LIST. */
	json_object_set_new(o, "return_path", sum_named(g->d, wk_wg_rpath,
		gk_wg_rpath_cnt_names, GK_WG_RPATH_CNT_MAX, json_object()));
	/* Packets held for a handshake (wg_pending.h), all workers. */
	sum_named(g->d, wk_wg_staged, gk_wg_pending_cnt_names,
		  GK_WG_PENDING_CNT_MAX, json_object_get(o, "counters"));
	explicit_bzero(b64, sizeof(b64));
	return o;
}

/* `wg set` takes the config's own syntax for prefixes and endpoints. */
static int parse_prefix(const char *s, struct gk_wg_allowed *out)
{
	struct gk_config_wg_prefix px;

	if (gk_config_wg_parse_prefix(s, &px))
		return -EINVAL;
	out->family = px.family;
	out->plen = px.plen;
	memcpy(out->addr, px.addr, sizeof(out->addr));
	return 0;
}

static int parse_ep(const char *s, struct gk_wg_endpoint *ep)
{
	struct gk_config_wg_endpoint ce;

	if (gk_config_wg_parse_endpoint(s, &ce))
		return -EINVAL;
	memset(ep, 0, sizeof(*ep));
	ep->family = ce.family;
	ep->port = ce.port;
	memcpy(ep->addr, ce.addr, sizeof(ep->addr));
	return 0;
}

/*
 * {"peer": PUBKEY, "remove": bool, "allowed_ips": [..], "endpoint": "..",
 *  "persistent_keepalive": N, "name": ".."}: wg set semantics, the
 * allowed-ips list replaces the peer's. Keys in errors: never.
 */
int gk_wgd_set(struct gk_wgd *g, json_t *args, char *err, size_t errlen)
{
	struct gk_wg_allowed allowed[MAX_ALLOWED];
	struct gk_wg_endpoint ep = { 0 };
	const char *pub_s, *ep_s = NULL, *name = NULL;
	json_t *ai = NULL, *ka = NULL;
	uint8_t pub[32];
	int remove = 0;
	size_t nai = 0, i;
	struct wpeer *p;
	json_error_t je;

	if (!g) {
		snprintf(err, errlen, "wireguard is not configured");
		return -ENOENT;
	}
	if (json_unpack_ex(args, &je, 0, "{s:s, s?b, s?o, s?s, s?o, s?s}",
			   "peer", &pub_s, "remove", &remove, "allowed_ips", &ai,
			   "endpoint", &ep_s, "persistent_keepalive", &ka,
			   "name", &name)) {
		snprintf(err, errlen, "bad arguments: %s", je.text);
		return -EINVAL;
	}
	if (gk_wg_key_from_base64(pub, pub_s)) {
		snprintf(err, errlen, "invalid peer public key");
		return -EINVAL;
	}
	if (!memcmp(pub, g->me.pub, 32)) {
		snprintf(err, errlen, "that is our own public key");
		return -EINVAL;
	}
	p = find_pub(g, pub);
	if (remove) {
		if (!p) {
			snprintf(err, errlen, "no such peer");
			return -ENOENT;
		}
		remove_peer(g, p);
		return publish(g);
	}
	if (ai) {
		if (!json_is_array(ai) || json_array_size(ai) > MAX_ALLOWED) {
			snprintf(err, errlen, "allowed_ips: a list of at most %d prefixes",
				 MAX_ALLOWED);
			return -EINVAL;
		}
		for (i = 0; i < json_array_size(ai); i++) {
			const char *s = json_string_value(json_array_get(ai, i));

			if (!s || parse_prefix(s, &allowed[nai])) {
				snprintf(err, errlen, "allowed_ips: bad prefix '%s'",
					 s ? s : "?");
				return -EINVAL;
			}
			nai++;
		}
	}
	if (ep_s && parse_ep(ep_s, &ep)) {
		snprintf(err, errlen, "bad endpoint '%s' (IPV4:PORT or [IPV6]:PORT)",
			 ep_s);
		return -EINVAL;
	}
	if (ka && (!json_is_integer(ka) || json_integer_value(ka) < 0 ||
		   json_integer_value(ka) > 65535)) {
		snprintf(err, errlen, "persistent_keepalive: 0..65535");
		return -EINVAL;
	}
	if (!p) {
		char nm[32];

		snprintf(nm, sizeof(nm), "peer%u", g->next_id);
		p = add_peer(g, name ? name : nm, pub, NULL);
		if (!p) {
			snprintf(err, errlen, "no room for another peer (max %d ever)",
				 GK_WGD_MAX_PEERS);
			return -ENOSPC;
		}
	}
	if (ai) {
		memcpy(p->allowed, allowed, nai * sizeof(allowed[0]));
		p->nr_allowed = (uint32_t)nai;
	}
	if (ep_s)
		p->ep = ep;
	if (ka)
		set_keepalive(p, (uint16_t)json_integer_value(ka));
	return publish(g);
}
