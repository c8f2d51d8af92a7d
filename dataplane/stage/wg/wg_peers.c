/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "csum.h"
#include "wg_peers.h"

struct gk_wg_kpstate *gk_wg_kpstate_create(void)
{
	struct gk_wg_kpstate *s;

	s = aligned_alloc(GK_CACHELINE, sizeof(*s));
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	atomic_init(&s->send_counter, 0);
	gk_replay_init(&s->replay);
	return s;
}

void gk_wg_kpstate_free(struct gk_wg_kpstate *s)
{
	free(s);
}

uint64_t gk_wg_kpstate_sent(const struct gk_wg_kpstate *s)
{
	return atomic_load_explicit(&((struct gk_wg_kpstate *)s)->send_counter,
				    memory_order_relaxed);
}

void gk_wg_peers_free(struct gk_wg_peers *t)
{
	if (!t)
		return;
	if (t->kps) {
		explicit_bzero(t->kps, (size_t)t->nr_kps * sizeof(*t->kps));
		free(t->kps);
	}
	gk_lpm4_free(t->allowed4);
	gk_lpm6_free(t->allowed6);
	free(t->hslot);
	free(t->peers);
	free(t);
}

static int check_cfg(const struct gk_wg_peers_cfg *cfg, char *err,
		     size_t errlen)
{
	const struct gk_wg_peer_cfg *pc;
	uint32_t i, j, k;

	/* RFC 8200 §5: IPv6 needs 1280 on every link, the tunnel included. */
	if (cfg->mtu < 1280 || cfg->mtu > 65535) {
		snprintf(err, errlen, "tunnel mtu %u out of range", cfg->mtu);
		return -EINVAL;
	}
	if (!cfg->listen_port) {
		snprintf(err, errlen, "no listen port");
		return -EINVAL;
	}
	if (cfg->nr_peers && !cfg->peers) {
		snprintf(err, errlen, "peers missing");
		return -EINVAL;
	}
	for (i = 0; i < cfg->nr_peers; i++) {
		pc = &cfg->peers[i];
		if (pc->ep.family && pc->ep.family != AF_INET &&
		    pc->ep.family != AF_INET6) {
			snprintf(err, errlen, "peer %u: bad endpoint family", pc->id);
			return -EINVAL;
		}
		if (pc->nr_allowed && !pc->allowed) {
			snprintf(err, errlen, "peer %u: allowed ips missing", pc->id);
			return -EINVAL;
		}
		for (j = 0; j < pc->nr_allowed; j++) {
			const struct gk_wg_allowed *a = &pc->allowed[j];

			if ((a->family != AF_INET && a->family != AF_INET6) ||
			    a->plen > (a->family == AF_INET ? 32 : 128)) {
				snprintf(err, errlen, "peer %u: bad allowed ip %u",
					 pc->id, j);
				return -EINVAL;
			}
		}
		for (k = 0; k < GK_WG_NR_KP; k++) {
			if (pc->kp[k] && !pc->kps[k]) {
				snprintf(err, errlen, "peer %u: keypair %u has no state",
					 pc->id, k);
				return -EINVAL;
			}
		}
		for (j = 0; j < i; j++) {
			if (cfg->peers[j].id == pc->id) {
				snprintf(err, errlen, "duplicate peer id %u", pc->id);
				return -EEXIST;
			}
		}
	}
	return 0;
}

static int build_lpm(struct gk_wg_peers *t, const struct gk_wg_peers_cfg *cfg,
		     char *err, size_t errlen)
{
	struct gk_lpm_entry4 *e4 = NULL;
	struct gk_lpm_entry6 *e6 = NULL;
	size_t n4 = 0, n6 = 0, tot = 0;
	uint32_t i, j;
	int ret = 0;

	for (i = 0; i < cfg->nr_peers; i++)
		tot += cfg->peers[i].nr_allowed;
	if (!tot)
		return 0;
	e4 = calloc(tot, sizeof(*e4));
	e6 = calloc(tot, sizeof(*e6));
	if (!e4 || !e6) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < cfg->nr_peers; i++) {
		for (j = 0; j < cfg->peers[i].nr_allowed; j++) {
			const struct gk_wg_allowed *a = &cfg->peers[i].allowed[j];

			if (a->family == AF_INET) {
				memcpy(&e4[n4].prefix_be, a->addr, 4);
				e4[n4].plen = a->plen;
				e4[n4++].nh = i;
			} else {
				memcpy(e6[n6].prefix, a->addr, 16);
				e6[n6].plen = a->plen;
				e6[n6++].nh = i;
			}
		}
	}
	if (n4) {
		t->allowed4 = gk_lpm4_build(e4, n4, err, errlen);
		if (!t->allowed4) {
			ret = -EINVAL;
			goto out;
		}
	}
	if (n6) {
		t->allowed6 = gk_lpm6_build(e6, n6, err, errlen);
		if (!t->allowed6)
			ret = -EINVAL;
	}
out:
	free(e4);
	free(e6);
	return ret;
}

/* The fixed part of the outer headers (see gk_wg_peer.tmpl). */
static void build_tmpl(struct gk_wg_peer *p)
{
	uint8_t *o = p->tmpl, *udp;

	memset(p->tmpl, 0, sizeof(p->tmpl));
	p->tmpl_sum = 0;
	if (p->ep.family == AF_INET6) {
		o[0] = 0x60;
		o[6] = 17;
		o[7] = 64;
		memcpy(o + 8, p->src, 16);
		memcpy(o + 24, p->ep.addr, 16);
		udp = o + 40;
	} else if (p->ep.family == AF_INET) {
		/* DF clear, TTL 64; no options. */
		o[0] = 0x45;
		o[8] = 64;
		o[9] = 17;
		memcpy(o + 12, p->src, 4);
		memcpy(o + 16, p->ep.addr, 4);
		p->tmpl_sum = gk_csum_partial(o + 6, 14, 0);
		udp = o + 20;
	} else {
		return;
	}
	udp[0] = (uint8_t)(p->src_port >> 8);
	udp[1] = (uint8_t)p->src_port;
	udp[2] = (uint8_t)(p->ep.port >> 8);
	udp[3] = (uint8_t)p->ep.port;
	gk_wg_put_le32(udp + 8, GK_WG_MSG_DATA);
}

static int add_kp(struct gk_wg_peers *t, uint32_t peer, uint8_t slot,
		  const struct gk_wg_keypair *kp, struct gk_wg_kpstate *st,
		  char *err, size_t errlen)
{
	uint32_t ki = t->nr_kps, h;
	struct gk_wg_kp *k = &t->kps[ki];

	if (gk_wg_peers_find_kp(t, kp->local_index)) {
		snprintf(err, errlen, "duplicate receiver index %08x",
			 kp->local_index);
		return -EEXIST;
	}
	memcpy(k->send_key, kp->send_key, GK_WG_KEY_LEN);
	memcpy(k->recv_key, kp->recv_key, GK_WG_KEY_LEN);
	k->st = st;
	k->birth_ns = kp->birth_ns;
	k->local_index = kp->local_index;
	k->remote_index = kp->remote_index;
	k->peer = peer;
	k->slot = slot;
	for (h = gk_wg_index_hash(kp->local_index);; h++) {
		if (!t->hslot[h & t->hmask]) {
			t->hslot[h & t->hmask] = ki + 1;
			break;
		}
	}
	t->peers[peer].kp[slot] = ki;
	t->nr_kps++;
	return 0;
}

struct gk_wg_peers *gk_wg_peers_build(const struct gk_wg_peers_cfg *cfg,
				      char *err, size_t errlen)
{
	struct gk_wg_peers *t;
	uint32_t i, k, nkp = 0, hsize = 8;

	if (check_cfg(cfg, err, errlen))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		goto err_nomem;
	t->listen_port = cfg->listen_port;
	t->mtu = cfg->mtu;
	t->reject_after_time_ns = cfg->reject_after_time_ns ?:
				  GK_WG_REJECT_AFTER_TIME_NS;
	t->reject_after_messages = cfg->reject_after_messages ?:
				   GK_WG_REJECT_AFTER_MESSAGES;
	t->nr_peers = cfg->nr_peers;
	t->peers = calloc(cfg->nr_peers ?: 1, sizeof(*t->peers));
	if (!t->peers)
		goto err_nomem_t;
	for (i = 0; i < cfg->nr_peers; i++)
		for (k = 0; k < GK_WG_NR_KP; k++)
			nkp += cfg->peers[i].kp[k] != NULL;
	/* Load factor at most 1/2 keeps the probe chains short. */
	while (hsize < 2 * nkp)
		hsize <<= 1;
	t->hmask = hsize - 1;
	t->hslot = calloc(hsize, sizeof(*t->hslot));
	t->kps = calloc(nkp ?: 1, sizeof(*t->kps));
	if (!t->hslot || !t->kps)
		goto err_nomem_t;

	for (i = 0; i < cfg->nr_peers; i++) {
		const struct gk_wg_peer_cfg *pc = &cfg->peers[i];
		struct gk_wg_peer *p = &t->peers[i];

		p->ep = pc->ep;
		/* The data path compares endpoints with memcmp. */
		p->ep.pad = 0;
		if (p->ep.family != AF_INET6)
			memset(p->ep.addr + 4, 0, 12);
		if (!p->ep.family)
			memset(&p->ep, 0, sizeof(p->ep));
		memcpy(p->src, pc->src, 16);
		p->src_port = pc->src_port ?: cfg->listen_port;
		p->id = pc->id;
		p->rpath = pc->rpath ? 1 : 0;
		t->nr_rpath += p->rpath;
		build_tmpl(p);
		if (pc->id >= t->max_id)
			t->max_id = pc->id + 1;
		for (k = 0; k < GK_WG_NR_KP; k++) {
			p->kp[k] = GK_WG_NO_KP;
			if (pc->kp[k] && add_kp(t, i, (uint8_t)k, pc->kp[k],
						pc->kps[k], err, errlen))
				goto err_t;
		}
	}
	if (build_lpm(t, cfg, err, errlen))
		goto err_t;
	return t;

err_nomem_t:
	snprintf(err, errlen, "out of memory");
err_t:
	gk_wg_peers_free(t);
	return NULL;
err_nomem:
	snprintf(err, errlen, "out of memory");
	return NULL;
}
