// SPDX-License-Identifier: BSD-3-Clause
/*
 * NAPT44 + MAP-E CE in one worker pass, with ownership steering by
 * handoff (docs/napt.md "Integration"). Outbound flows belong to
 * hash(inside addr, port, proto) % W, which only allocates ports it owns,
 * so inbound packets belong to gk_napt_port_owner(destination port) (ICMP
 * errors: the quoted source port) and land on the same worker's tables.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "handoff.h"
#include "mape_ce.h"
#include "napt.h"
#include "pkthdr.h"
#include "stage.h"
#include "worker_nat.h"
#include "worker_wgce.h"

int gk_wnat_init(struct gk_worker *w)
{
	const struct gk_napt_cfg *nc = w->cfg.napt_cfg;

	if (!nc || !w->cfg.nr_workers || w->cfg.id >= w->cfg.nr_workers)
		return -EINVAL;
	if (w->cfg.handoff) {
		w->hbuf = calloc(GK_BURST, sizeof(*w->hbuf));
		if (!w->hbuf)
			return -ENOMEM;
	}
	w->nat_ext = (uint32_t)nc->ext_addr[0] << 24 |
		     (uint32_t)nc->ext_addr[1] << 16 |
		     (uint32_t)nc->ext_addr[2] << 8 | nc->ext_addr[3];
	gk_napt_set_wkstats(w->cfg.napt, &w->stats);
	return 0;
}

void gk_wnat_fini(struct gk_worker *w)
{
	free(w->hbuf);
	w->hbuf = NULL;
}

/* The L4 start of an IPv4 packet with L4 meta, or NULL. */
static inline const uint8_t *l4_of(const struct gk_pkt *p, uint32_t need)
{
	if (!(p->meta.flags & GK_META_F_L4) ||
	    (uint32_t)p->meta.l4_off + need > p->len)
		return NULL;
	return p->data + p->meta.l4_off;
}

unsigned gk_worker_nat_out_owner(const struct gk_pkt *p, unsigned nr)
{
	const uint8_t *ip = p->data + p->meta.l3_off, *l4;
	uint32_t h, port = 0;
	uint8_t proto;

	if (nr <= 1 || (uint32_t)p->meta.l3_off + 20 > p->len)
		return 0;
	proto = ip[9];
	if ((proto == 6 || proto == 17) && (l4 = l4_of(p, 4)))
		port = gk_rd16(l4);
	else if (proto == 1 && (l4 = l4_of(p, 8)) && (l4[0] == 8 || l4[0] == 0))
		port = gk_rd16(l4 + 4);	/* echo: the query id is the "port" */
	/* Murmur3 finaliser: cheap and spreads sequential ports. */
	h = gk_rd32(ip + 12) ^ (port << 8 | proto) * 0x9e3779b1u;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h % nr;
}

/* Inbound owner: the owner of the outside port the packet is about. */
static unsigned in_owner(const struct gk_worker *w, const struct gk_pkt *p)
{
	const uint8_t *ip = p->data + p->meta.l3_off, *l4, *q;
	uint32_t ihl;
	uint16_t port;

	if ((uint32_t)p->meta.l3_off + 20 > p->len)
		return w->cfg.id;
	switch (ip[9]) {
	case 6:
	case 17:
		if (!(l4 = l4_of(p, 4)))
			return w->cfg.id;
		port = gk_rd16(l4 + 2);
		break;
	case 1:
		if (!(l4 = l4_of(p, 8)))
			return w->cfg.id;
		if (l4[0] == 0 || l4[0] == 8) {
			port = gk_rd16(l4 + 4);
			break;
		}
		if (l4[0] != 3 && l4[0] != 11 && l4[0] != 12)
			return w->cfg.id;
		/* An error: the quoted packet left from our outside port. */
		q = l4 + 8;
		if ((uint32_t)(q - p->data) + 20 > p->len)
			return w->cfg.id;
		ihl = (q[0] & 0xfu) * 4u;
		if (ihl < 20 || (uint32_t)(q - p->data) + ihl + 8 > p->len)
			return w->cfg.id;
		port = q[9] == 1 ? gk_rd16(q + ihl + 4) : gk_rd16(q + ihl);
		break;
	default:
		return w->cfg.id;	/* the stage counts it */
	}
	return gk_napt_port_owner(w->cfg.napt_cfg, port);
}

/* The hash owner, unless a static mapping pins the LAN endpoint. */
static unsigned out_owner(const struct gk_worker *w, const struct gk_pkt *p)
{
	const uint8_t *ip = p->data + p->meta.l3_off, *l4;
	int o;

	if ((ip[9] == 6 || ip[9] == 17) && (l4 = l4_of(p, 4)) &&
	    (o = gk_handoff_static_owner(w->cfg.handoff, ip[9], gk_rd32(ip + 12),
					 gk_rd16(l4))) >= 0 &&
	    (unsigned)o < w->cfg.nr_workers)
		return (unsigned)o;
	return gk_worker_nat_out_owner(p, w->cfg.nr_workers);
}

static void hand_over(struct gk_worker *w, struct gk_pkt *p, unsigned to,
		      uint8_t stage)
{
	if (likely(gk_handoff_push(w->cfg.handoff, w->cfg.id, to, p, stage))) {
		w->nat.handed_over++;
		w->stats.acct[GK_WK_ACCT_HANDED_OFF]++;
		/* Our copy is done with: not_tx() frees it uncounted. */
		p->verdict = GK_V_DROP;
		p->drop_reason = 0;
	} else {
		w->nat.handoff_full++;
		gk_wk_drop(&w->stats, p, GK_WK_DROP_NAPT);
	}
}

/*
 * A hairpin still addressed to our own address after NAPT out: the
 * destination port belongs to another worker (napt.c leaves the inbound
 * half to the owner). It goes over like any inbound packet.
 */
static void hairpin_to_owner(struct gk_worker *w, struct gk_pkt *p)
{
	unsigned o;

	if (gk_rd32(p->data + p->meta.l3_off + 16) != w->nat_ext)
		return;		/* mapped here: bound for the LAN */
	o = in_owner(w, p);
	if (w->cfg.handoff && o != w->cfg.id && o < w->cfg.nr_workers) {
		hand_over(w, p, o, GK_HANDOFF_IN);
		return;
	}
	/* no handoff rings: nobody can map it */
	p->verdict = GK_V_DROP;
	p->drop_reason = GK_WK_DROP_NAPT;
}

uint16_t gk_wnat_ce(struct gk_worker *w, struct gk_pkt **ce, uint16_t n,
		    struct gk_pkt **stage, uint16_t nt, uint8_t resume)
{
	struct gk_mape_ctx *mc = &w->mape;
	const struct gk_map_table *t = mc->map;
	struct gk_napt *napt = w->cfg.napt;
	struct gk_pkt *out[GK_BURST], *enc[GK_BURST], *v6[GK_BURST];
	struct gk_pkt *in4[GK_BURST];
	unsigned me = w->cfg.id, nr = w->cfg.nr_workers, o;
	/* received here and more than one worker: owner check per packet */
	bool steer = !resume && w->cfg.handoff && nr > 1;
	/* no CE table: every packet goes the IPv6 way (which drops it) */
	uint32_t v4_port = t && t->role == GK_MAPE_ROLE_CE ? t->v4_port_id :
			   UINT32_MAX;
	unsigned no = 0, ne = 0, n6 = 0, ni = 0, i;
	struct gk_pkt **to_enc = enc;
	uint64_t pass;

	if (n > GK_BURST)
		n = GK_BURST;
	if (resume == GK_HANDOFF_IN) {
		for (i = 0; i < n; i++)
			if (likely(ce[i]->verdict == GK_V_NONE))
				in4[ni++] = ce[i];
		n = 0;
	}
	for (i = 0; i < n && !steer; i++) {
		struct gk_pkt *p = ce[i];

		if (unlikely(p->verdict != GK_V_NONE))
			continue;
		if ((p->meta.flags & GK_META_F_IPV4) && p->in_port == v4_port)
			out[no++] = p;
		else
			v6[n6++] = p;
	}
	/* the same with the owner check */
	for (; i < n; i++) {
		struct gk_pkt *p = ce[i];

		if (unlikely(p->verdict != GK_V_NONE))
			continue;
		if ((p->meta.flags & GK_META_F_IPV4) && p->in_port == v4_port) {
			if ((o = out_owner(w, p)) != me) {
				hand_over(w, p, o, GK_HANDOFF_OUT);
				continue;
			}
			out[no++] = p;
		} else {
			v6[n6++] = p;
		}
	}

	if (no) {
		_Static_assert(GK_BURST <= 64, "one bit per packet");
		pass = gk_napt_out_burst(napt, out, no);
		if (likely(pass == ~0ull >> (64 - no))) {
			to_enc = out;	/* all of them, for the outside */
			ne = no;
		} else {
			for (i = 0; i < no; i++) {
				if (out[i]->verdict != GK_V_NONE)
					continue;
				if (pass >> i & 1)
					enc[ne++] = out[i];
				else	/* to our own address: a hairpin */
					hairpin_to_owner(w, out[i]);
			}
		}
		/* Encap after NAPT: the port-set check sees the new port. */
		if (ne) {
			gk_mape_ce_burst(mc, to_enc, ne);
			nt = gk_worker_take_extra(mc, stage, nt);
		}
	}
	if (n6) {
		gk_mape_ce_burst(mc, v6, n6);
		nt = gk_worker_take_extra(mc, stage, nt);
		/* WireGuard to our ListenPort is no NAPT flow (worker_wgce.h) */
		if (unlikely(w->cfg.wg_ce_port))
			gk_worker_wgce_in(w, v6, n6);
		/* Decapsulated (or ICMPv6-translated) IPv4 for the LAN. */
		for (i = 0; i < n6; i++) {
			struct gk_pkt *p = v6[i];

			if (p->verdict != GK_V_NONE ||
			    !(p->meta.flags & GK_META_F_IPV4) ||
			    p->meta.class == GK_CLASS_WG_DATA)
				continue;
			if (steer && (o = in_owner(w, p)) != me) {
				hand_over(w, p, o, GK_HANDOFF_IN);
				continue;
			}
			in4[ni++] = p;
		}
	}
	if (ni)
		gk_napt_in_burst(napt, in4, ni);
	return nt;
}

unsigned gk_wnat_drain(struct gk_worker *w)
{
	struct gk_port *port = w->rx[0];
	struct gk_pkt *outs[GK_BURST], *ins[GK_BURST], *p;
	unsigned nr = w->cfg.nr_workers, from, k, i, total = 0;
	uint16_t no, ni;

	for (from = 0; from < nr; from++) {
		if (from == w->cfg.id)
			continue;
		k = gk_handoff_pop(w->cfg.handoff, from, w->cfg.id, w->hbuf,
				   GK_BURST);
		if (!k)
			continue;
		w->stats.acct[GK_WK_ACCT_HANDED_IN] += k;
		no = ni = 0;
		for (i = 0; i < k; i++) {
			const struct gk_handoff_pkt *e = &w->hbuf[i];

			if (!port->ops->alloc || port->ops->alloc(port, &p, 1) != 1) {
				w->nat.handoff_nobuf++;
				w->stats.drops[GK_WK_DROP_NAPT]++;
				continue;
			}
			if (unlikely(p->buf_len < e->len)) {
				gk_port_free(port, &p, 1);
				w->nat.handoff_nobuf++;
				w->stats.drops[GK_WK_DROP_NAPT]++;
				continue;
			}
			memcpy(p->data, e->data, e->len);
			p->len = e->len;
			p->in_port = e->in_port;
			p->meta = e->meta;
			p->verdict = GK_V_NONE;
			p->drop_reason = 0;
			w->nat.taken_over++;
			if (e->stage == GK_HANDOFF_IN)
				ins[ni++] = p;
			else
				outs[no++] = p;
		}
		if (no)
			gk_worker_resume(w, port, GK_CLASS_MAPE_CE, outs, no,
					 GK_HANDOFF_OUT);
		if (ni)
			gk_worker_resume(w, port, GK_CLASS_MAPE_CE, ins, ni,
					 GK_HANDOFF_IN);
		total += k;
	}
	return total;
}

static bool nat_on(const struct gk_worker_cfg *cfg)
{
	return cfg->napt != NULL;
}

static void nat_begin(struct gk_worker *w)
{
	gk_napt_set_now(w->cfg.napt, w->now_ns);
}

/* Handed-over packets first: they have waited already. */
static unsigned nat_pass(struct gk_worker *w)
{
	return w->cfg.handoff ? gk_wnat_drain(w) : 0;
}

/* NAPT44 sits around the MAP-E CE stage (worker_mape.c calls gk_wnat_ce);
 * on its own it owns its sessions and drains the hand-off rings. */
const struct gk_stage gk_stage_napt = {
	.name = "napt",
	.on = nat_on,
	.init = gk_wnat_init,
	.fini = gk_wnat_fini,
	.begin = nat_begin,
	.pass = nat_pass,
};
