/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard transport data (whitepaper §5.4.6): each burst is checked and
 * looked up first, then sealed or opened in one gk_aead call (ipsec-mb
 * keeps its lanes full only if it sees many packets at once), then the
 * headers are written or stripped in place.
 */
#include <endian.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "csum.h"
#include "martian.h"
#include "pkthdr.h"
#include "spsc.h"
#include "wg_data.h"

const char *const gk_wg_drop_names[GK_WG_DROP_MAX] = {
#define GK_X(n, s) [GK_WG_DROP_##n] = s,
	GK_WG_DROP_LIST(GK_X)
#undef GK_X
};

const char *const gk_wg_evc_names[GK_WG_EVC_MAX] = {
#define GK_X(n, s) [GK_WG_EVC_##n] = s,
	GK_WG_EVC_LIST(GK_X)
#undef GK_X
};

/* ---- event ring: one producer (the worker), one consumer (genkand) ---- */

/* The handle is a gk_spsc of struct gk_wg_event (see nreq.c). */
static inline struct gk_spsc *spsc(struct gk_wg_evring *r)
{
	return (struct gk_spsc *)r;
}

struct gk_wg_evring *gk_wg_evring_create(unsigned int size_pow2)
{
	if (size_pow2 > (1u << 20))
		return NULL;
	return (struct gk_wg_evring *)gk_spsc_create(sizeof(struct gk_wg_event),
						     size_pow2);
}

void gk_wg_evring_destroy(struct gk_wg_evring *r)
{
	gk_spsc_destroy(spsc(r));
}

bool gk_wg_evring_push(struct gk_wg_evring *r, const struct gk_wg_event *e)
{
	return gk_spsc_push(spsc(r), e);
}

unsigned int gk_wg_evring_pop(struct gk_wg_evring *r, struct gk_wg_event *out,
			      unsigned int max)
{
	return gk_spsc_pop(spsc(r), out, max);
}

/* ---- ctx ---- */

int gk_wg_ctx_init(struct gk_wg_ctx *ctx, uint32_t max_peers,
		   enum gk_aead_impl impl, char *err, size_t errlen)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->via_peer = GK_WG_NO_PEER;
	if (!max_peers) {
		snprintf(err, errlen, "max_peers is 0");
		return -EINVAL;
	}
	ctx->peer = calloc(max_peers, sizeof(*ctx->peer));
	if (!ctx->peer) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ctx->aead = gk_aead_create(impl, err, errlen);
	if (!ctx->aead)
		goto err_peer;
	ctx->max_peers = max_peers;
	return 0;

err_peer:
	free(ctx->peer);
	ctx->peer = NULL;
	return -EIO;
}

void gk_wg_ctx_fini(struct gk_wg_ctx *ctx)
{
	gk_aead_destroy(ctx->aead);
	free(ctx->peer);
	ctx->aead = NULL;
	ctx->peer = NULL;
}

/* ---- helpers ---- */

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)gk_wg_get_le32(p) |
	       (uint64_t)gk_wg_get_le32(p + 4) << 32;
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	gk_wg_put_le32(p, (uint32_t)v);
	gk_wg_put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline void drop(struct gk_wg_ctx *ctx, struct gk_pkt *p,
			enum gk_wg_drop why)
{
	ctx->drops[why]++;
	gk_wk_drop(ctx->stats, p, GK_WK_DROP_WG);
}

static inline struct gk_wg_peer_stats *pstats(struct gk_wg_ctx *ctx,
					      const struct gk_wg_peer *pe)
{
	if (likely(pe->id < ctx->max_peers))
		return &ctx->peer[pe->id];
	ctx->peer_id_overflow++;
	return &ctx->spare;
}

/*
 * Length of the IP packet at ip (at most room bytes), 0 if it is not a
 * sane IPv4/IPv6 packet; *v6 tells which.
 */
static inline uint32_t ip_len(const uint8_t *ip, uint32_t room, bool *v6)
{
	uint32_t ihl, tot;

	if (unlikely(room < 20))
		return 0;
	/* IPv4 without options first: most packets, fewest tests. */
	if (likely(ip[0] == 0x45)) {
		tot = gk_rd16(ip + 2);
		if (unlikely(tot < 20 || tot > room))
			return 0;
		*v6 = false;
		return tot;
	}
	switch (ip[0] >> 4) {
	case 4:
		ihl = (ip[0] & 0xfu) * 4u;
		tot = gk_rd16(ip + 2);
		if (unlikely(ihl < 20 || tot < ihl || tot > room))
			return 0;
		*v6 = false;
		return tot;
	case 6:
		if (unlikely(room < 40))
			return 0;
		tot = 40u + gk_rd16(ip + 4);
		if (unlikely(tot > room))
			return 0;
		*v6 = true;
		return tot;
	default:
		return 0;
	}
}

/* An inner packet (sane per ip_len) genkan must neither seal nor open. */
static inline bool martian(const uint8_t *ip, bool v6)
{
	if (v6)
		return gk_martian6_maybe(ip) &&
		       gk_martian6(ip) != GK_MARTIAN_NONE;
	return gk_martian4_maybe(ip) && gk_martian4(ip) != GK_MARTIAN_NONE;
}

static bool expired(const struct gk_wg_ctx *ctx, const struct gk_wg_kp *kp)
{
	return ctx->now_ns > kp->birth_ns &&
	       ctx->now_ns - kp->birth_ns >= ctx->peers->reject_after_time_ns;
}

static void post(struct gk_wg_ctx *ctx, uint64_t *last, enum gk_wg_evc c,
		 const struct gk_wg_event *ev)
{
	if (!ctx->events)
		return;
	if (*last && ctx->now_ns - *last < GK_WG_EV_HOLDOFF_NS)
		return;
	*last = ctx->now_ns ?: 1;
	if (gk_wg_evring_push(ctx->events, ev))
		ctx->evc[c]++;
	else
		ctx->evc[GK_WG_EVC_RING_FULL]++;
}

static void need_handshake(struct gk_wg_ctx *ctx, const struct gk_wg_peer *pe)
{
	struct gk_wg_event ev = {
		.type = GK_WG_EV_HANDSHAKE_NEEDED, .peer_id = pe->id,
	};

	post(ctx, &pstats(ctx, pe)->hs_post_ns, GK_WG_EVC_HS_NEEDED, &ev);
}

/* ---- encrypt ---- */

/* RFC 6040 §4.1 normal mode: copy ECN, but never put CE on the outside. */
static inline uint8_t outer_ecn(uint8_t inner_tos)
{
	uint8_t ecn = inner_tos & 3;

	return ecn == 3 ? 2 : ecn;
}

/*
 * Moves the L2 header (l3 bytes) by the outer headers' length. The usual
 * untagged 14 bytes go through registers: GCC calls memmove even for a
 * constant 14, and the call spills half the loop's registers.
 */
static inline void move_l2(uint8_t *dst, const uint8_t *src, uint32_t l3)
{
	uint64_t a, b;

	if (likely(l3 == 14)) {
		memcpy(&a, src, 8);
		memcpy(&b, src + 6, 8);
		memcpy(dst, &a, 8);
		memcpy(dst + 6, &b, 8);
	} else {
		memmove(dst, src, l3);
	}
}

/*
 * Outer headers from the peer's template into the headroom, the L2
 * header moved in front of them; then what changes per packet.
 */
static inline __attribute__((always_inline)) void
encap(struct gk_pkt *p, const struct gk_wg_peer *pe, uint64_t counter,
      uint32_t padded, uint32_t remote_index, uint8_t tos, uint16_t *ip_id,
      bool v6, uint32_t l3)
{
	uint32_t iphl = v6 ? 40 : 20;
	uint32_t hdr = iphl + 8 + GK_WG_DATA_HDR_LEN;
	uint32_t udp_len = 8 + GK_WG_DATA_MIN_LEN + padded;
	uint64_t ctr_le = htole64(counter);
	uint8_t *o, *udp, *wg;
	uint16_t c;

	p->data -= hdr;
	p->buf_len += hdr;
	move_l2(p->data, p->data + hdr, l3);
	gk_wr16(p->data + l3 - 2, v6 ? 0x86dd : 0x0800);
	o = p->data + l3;
	udp = o + iphl;
	wg = udp + 8;

	if (v6) {
		uint32_t w = 0x60000000u | (uint32_t)outer_ecn(tos) << 20 |
			     (p->meta.flow_hash & 0xfffffu);
		uint8_t ph[8] = { 0, 0, (uint8_t)(udp_len >> 8),
				  (uint8_t)udp_len, 0, 0, 0, 17 };
		uint32_t sum;

		memcpy(o, pe->tmpl, GK_WG_TMPL6_LEN);
		gk_wr16(o, (uint16_t)(w >> 16));
		gk_wr16(o + 2, (uint16_t)w);
		gk_wr16(o + 4, (uint16_t)udp_len);
		gk_wr16(udp + 4, (uint16_t)udp_len);
		gk_wg_put_le32(wg + GK_WG_DATA_OFF_RECEIVER, remote_index);
		memcpy(wg + GK_WG_DATA_OFF_COUNTER, &ctr_le, 8);
		/* RFC 8200 §8.1: mandatory over IPv6, pseudo-header first. */
		sum = gk_csum_partial(o + 8, 32, 0);
		sum = gk_csum_partial(ph, sizeof(ph), sum);
		sum = gk_csum_partial(udp, udp_len, sum);
		c = gk_csum_fold(sum);
		if (!c)
			c = 0xffff;
		memcpy(udp + 6, &c, 2);
	} else {
		uint16_t w0 = (uint16_t)(0x4500 | outer_ecn(tos));
		uint16_t tot = (uint16_t)(20 + udp_len), id = (*ip_id)++;
		uint32_t sum;

		memcpy(o, pe->tmpl, GK_WG_TMPL4_LEN);
		gk_wr16(o, w0);
		gk_wr16(o + 2, tot);
		gk_wr16(o + 4, id);
		/*
		 * RFC 1071: the fixed words were summed at snapshot build;
		 * add the others from registers (reading them back from the
		 * header would stall on store forwarding).
		 */
		sum = pe->tmpl_sum + htons(w0) + htons(tot) + htons(id);
		c = gk_csum_fold(sum);
		memcpy(o + 10, &c, 2);
		/* UDP checksum 0: RFC 768 allows it over IPv4. */
		gk_wr16(udp + 4, (uint16_t)udp_len);
		gk_wg_put_le32(wg + GK_WG_DATA_OFF_RECEIVER, remote_index);
		memcpy(wg + GK_WG_DATA_OFF_COUNTER, &ctr_le, 8);
	}
	p->len = l3 + iphl + udp_len;
	gk_meta_built(&p->meta, v6 ? GK_META_F_IPV6 : GK_META_F_IPV4,
		      l3 + iphl, 17);
}

/* Constant offsets for the usual case: IPv4 outside, no VLAN. */
static inline __attribute__((always_inline)) void
encap_one(struct gk_pkt *p, const struct gk_wg_peer *pe,
	  const struct gk_aead_op *op, uint32_t remote_index, uint8_t tos,
	  uint16_t *ip_id)
{
	if (likely(pe->ep.family == AF_INET && p->meta.l3_off == 14))
		encap(p, pe, op->counter, op->len, remote_index, tos, ip_id,
		      false, 14);
	else
		encap(p, pe, op->counter, op->len, remote_index, tos, ip_id,
		      pe->ep.family == AF_INET6, p->meta.l3_off);
}

/*
 * The peer a burst sends to is usually the one the previous packet went
 * to: its endpoint and keypair checks hold for the whole burst (the
 * snapshot and now_ns do not change within it).
 */
struct tx_cache {
	uint32_t peer;
	const struct gk_wg_kp *kp;
	bool ep6;		/* the peer's endpoint is IPv6 */
};

/*
 * Checks and lookups for one packet; on success fills slot m of the
 * scratch (kp, inner length in len, the AEAD op but its counter).
 */
static inline bool tx_prepare(struct gk_wg_ctx *ctx, struct gk_pkt *p,
			      unsigned int m, struct tx_cache *tc)
{
	const struct gk_wg_peers *t = ctx->peers;
	const struct gk_wg_peer *pe;
	const struct gk_wg_kp *kp;
	uint32_t l3 = p->meta.l3_off, len, peer, padded, ki;
	struct gk_aead_op *op;
	uint8_t *ip;
	bool v6;

	if (unlikely(l3 < 14 || l3 >= p->len)) {
		drop(ctx, p, GK_WG_DROP_BAD_INNER);
		return false;
	}
	ip = p->data + l3;
	len = ip_len(ip, p->len - l3, &v6);
	if (unlikely(!len)) {
		drop(ctx, p, GK_WG_DROP_BAD_INNER);
		return false;
	}
	if (unlikely(martian(ip, v6))) {
		drop(ctx, p, GK_WG_DROP_MARTIAN);
		return false;
	}
	/* Cryptokey routing, outbound (whitepaper §2): the destination. */
	/*
	 * Given: a return-path flow's peer, or the one peer the worker's
	 * own lookup found for the whole burst (the usual case).
	 */
	if (ctx->via_peer != GK_WG_NO_PEER) {
		peer = ctx->via_peer;
	} else if (v6) {
		peer = gk_wg_peers_lookup6(t, ip + 24);
	} else {
		uint32_t dst;

		memcpy(&dst, ip + 16, 4);
		peer = gk_wg_peers_lookup4(t, dst);
	}
	if (likely(peer == tc->peer && tc->kp)) {
		if (unlikely(len > t->mtu)) {
			drop(ctx, p, GK_WG_DROP_TOO_BIG);
			return false;
		}
		kp = tc->kp;
	} else {
		if (unlikely(peer == GK_WG_NO_PEER)) {
			drop(ctx, p, GK_WG_DROP_NO_PEER);
			return false;
		}
		pe = &t->peers[peer];
		if (unlikely(!pe->ep.family)) {
			drop(ctx, p, GK_WG_DROP_NO_ENDPOINT);
			return false;
		}
		if (unlikely(len > t->mtu)) {
			drop(ctx, p, GK_WG_DROP_TOO_BIG);
			return false;
		}
		ki = pe->kp[GK_WG_KP_CURRENT];
		kp = ki == GK_WG_NO_KP ? NULL : &t->kps[ki];
		if (unlikely(!kp || expired(ctx, kp))) {
			drop(ctx, p, GK_WG_DROP_NO_KEYPAIR);
			need_handshake(ctx, pe);
			return false;
		}
		tc->peer = peer;
		tc->kp = kp;
		tc->ep6 = pe->ep.family == AF_INET6;
	}
	/*
	 * The outer IPv6 flow label (encap): the inner packet's flow hash
	 * (RFC 6438), taken here, before the seal hides the inner headers.
	 * The classifier hashes no TRANSIT packet (flow_hash in
	 * bpf/classifier.bpf.c), so only a peer over IPv6 pays for it.
	 */
	if (unlikely(tc->ep6))
		p->meta.flow_hash = gk_ip_flow_hash(ip, len);
	/* §5.4.6: pad to 16, but a full-MTU packet stays full-MTU. */
	padded = (len + GK_WG_DATA_PAD - 1) & ~(uint32_t)(GK_WG_DATA_PAD - 1);
	if (padded > t->mtu)
		padded = t->mtu;
	if (unlikely(l3 + padded + GK_AEAD_TAG_LEN > p->buf_len)) {
		drop(ctx, p, GK_WG_DROP_NO_ROOM);
		return false;
	}
	/*
	 * Zero the padding with one 16-byte store: it ends at most at the
	 * tag's last byte (padded - len < 16), and seal overwrites the tag.
	 */
	memset(ip + len, 0, GK_WG_DATA_PAD);
	op = &ctx->ops[m];
	op->key = kp->send_key;
	op->buf = ip;
	op->len = padded;
	op->tag = ip + padded;
	ctx->kp[m] = kp;
	ctx->len[m] = len;
	ctx->tos[m] = v6 ? (uint8_t)(gk_rd16(ip) >> 4) : ip[1];
	return true;
}

/*
 * Bursts to several keypairs: one fetch_add per keypair and burst, so
 * the burst's packets to a keypair get consecutive counters, unique
 * across all workers sending with it.
 */
static void reserve_counters_mixed(struct gk_wg_ctx *ctx, unsigned int m)
{
	uint32_t done = 0;
	unsigned int i, j, c;
	uint64_t base;

	for (i = 0; i < m; i++) {
		if (done & (1u << i))
			continue;
		c = 0;
		for (j = i; j < m; j++)
			c += ctx->kp[j] == ctx->kp[i];
		base = atomic_fetch_add_explicit(&ctx->kp[i]->st->send_counter,
						 c, memory_order_relaxed);
		for (j = i; j < m; j++) {
			if (ctx->kp[j] != ctx->kp[i])
				continue;
			ctx->ops[j].counter = base++;
			done |= 1u << j;
		}
	}
}

/* Drops what would pass REJECT_AFTER_MESSAGES; returns how many remain. */
static unsigned int drop_exhausted(struct gk_wg_ctx *ctx, unsigned int m)
{
	const struct gk_wg_peers *t = ctx->peers;
	unsigned int i, k = 0;

	for (i = 0; i < m; i++) {
		if (unlikely(ctx->ops[i].counter >= t->reject_after_messages)) {
			drop(ctx, ctx->pk[i], GK_WG_DROP_NO_KEYPAIR);
			need_handshake(ctx, &t->peers[ctx->kp[i]->peer]);
			continue;
		}
		ctx->ops[k] = ctx->ops[i];
		ctx->kp[k] = ctx->kp[i];
		ctx->len[k] = ctx->len[i];
		ctx->pk[k] = ctx->pk[i];
		ctx->tos[k] = ctx->tos[i];
		k++;
	}
	return k;
}

static void encrypt_chunk(struct gk_wg_ctx *ctx, struct gk_pkt **pkts,
			  uint16_t n)
{
	const struct gk_wg_peers *t = ctx->peers;
	struct tx_cache tc = { .peer = GK_WG_NO_PEER };
	const struct gk_wg_peer *pe = NULL;
	struct gk_wg_peer_stats *ps = NULL;
	uint32_t cur = GK_WG_NO_PEER;
	uint64_t base, npk = 0, nbytes = 0;
	unsigned int i, m = 0;
	uint16_t ip_id;
	bool mixed = false;

	if (unlikely(!t)) {
		for (i = 0; i < n; i++)
			if (pkts[i]->verdict == GK_V_NONE)
				drop(ctx, pkts[i], GK_WG_DROP_NO_SNAPSHOT);
		return;
	}
	for (i = 0; i < n; i++) {
		struct gk_pkt *p = pkts[i];

		if (i + 2 < n)
			__builtin_prefetch(pkts[i + 2]->data + 14, 1);
		if (unlikely(p->verdict != GK_V_NONE))
			continue;
		if (tx_prepare(ctx, p, m, &tc)) {
			mixed |= ctx->kp[m] != ctx->kp[0];
			ctx->pk[m++] = p;
		}
	}
	if (!m)
		return;
	if (likely(!mixed)) {
		base = atomic_fetch_add_explicit(&ctx->kp[0]->st->send_counter,
						 m, memory_order_relaxed);
		for (i = 0; i < m; i++)
			ctx->ops[i].counter = base + i;
		if (unlikely(base + m > t->reject_after_messages ||
			     base + m < base))
			m = drop_exhausted(ctx, m);
	} else {
		reserve_counters_mixed(ctx, m);
		m = drop_exhausted(ctx, m);
	}
	gk_aead_seal_burst(ctx->aead, ctx->ops, m);
	ip_id = ctx->ip_id;
	if (likely(!mixed)) {
		/* One keypair, so one peer: hoisted, counted once. */
		const struct gk_wg_kp *kp = ctx->kp[0];

		pe = &t->peers[kp->peer];
		for (i = 0; i < m; i++) {
			const struct gk_aead_op *op = &ctx->ops[i];

			if (unlikely(op->status)) {
				drop(ctx, ctx->pk[i], GK_WG_DROP_CRYPTO);
				continue;
			}
			encap_one(ctx->pk[i], pe, op, kp->remote_index,
				  ctx->tos[i], &ip_id);
			npk++;
			nbytes += GK_WG_DATA_MIN_LEN + op->len;
		}
		ps = pstats(ctx, pe);
	} else {
		for (i = 0; i < m; i++) {
			const struct gk_aead_op *op = &ctx->ops[i];
			const struct gk_wg_kp *kp = ctx->kp[i];

			if (unlikely(op->status)) {
				drop(ctx, ctx->pk[i], GK_WG_DROP_CRYPTO);
				continue;
			}
			/* Per-peer counters once per run of packets to a peer. */
			if (kp->peer != cur) {
				if (ps) {
					ps->tx_packets += npk;
					ps->tx_bytes += nbytes;
					ps->last_tx_ns = ctx->now_ns;
				}
				cur = kp->peer;
				pe = &t->peers[cur];
				ps = pstats(ctx, pe);
				npk = nbytes = 0;
			}
			encap_one(ctx->pk[i], pe, op, kp->remote_index,
				  ctx->tos[i], &ip_id);
			npk++;
			nbytes += GK_WG_DATA_MIN_LEN + op->len;
		}
	}
	if (ps && npk) {
		ps->tx_packets += npk;
		ps->tx_bytes += nbytes;
		ps->last_tx_ns = ctx->now_ns;
	}
	ctx->ip_id = ip_id;
}

void gk_wg_encrypt_burst(struct gk_wg_ctx *ctx, struct gk_pkt **p, uint16_t n)
{
	uint16_t off, c;

	for (off = 0; off < n; off += c) {
		c = n - off > GK_BURST ? GK_BURST : n - off;
		encrypt_chunk(ctx, p + off, c);
	}
}

/* ---- decrypt ---- */

/* Consecutive packets usually carry the same receiver index. */
struct rx_cache {
	uint32_t index;
	const struct gk_wg_kp *kp;
};

static inline bool rx_prepare(struct gk_wg_ctx *ctx, struct gk_pkt *p,
			      unsigned int m, struct rx_cache *rc)
{
	const struct gk_wg_peers *t = ctx->peers;
	uint32_t l4 = p->meta.l4_off, ulen, mlen, idx;
	const struct gk_wg_kp *kp;
	struct gk_aead_op *op;
	uint8_t *udp, *msg;

	if (unlikely(!(p->meta.flags & GK_META_F_L4) ||
		     !(p->meta.flags & (GK_META_F_IPV4 | GK_META_F_IPV6)) ||
		     p->meta.l4_proto != 17 || p->meta.l3_off < 14 ||
		     l4 <= p->meta.l3_off || l4 + 8 > p->len)) {
		drop(ctx, p, GK_WG_DROP_BAD_OUTER);
		return false;
	}
	udp = p->data + l4;
	ulen = gk_rd16(udp + 4);
	if (unlikely(gk_rd16(udp + 2) != t->listen_port || ulen < 8 ||
		     l4 + ulen > p->len)) {
		drop(ctx, p, GK_WG_DROP_BAD_OUTER);
		return false;
	}
	mlen = ulen - 8;
	if (unlikely(mlen < GK_WG_DATA_MIN_LEN)) {
		drop(ctx, p, GK_WG_DROP_SHORT);
		return false;
	}
	msg = udp + 8;
	/* The 3 reserved bytes are part of the le32 type: must be zero. */
	if (unlikely(gk_wg_get_le32(msg + GK_WG_DATA_OFF_TYPE) !=
		     GK_WG_MSG_DATA)) {
		drop(ctx, p, GK_WG_DROP_BAD_TYPE);
		return false;
	}
	idx = gk_wg_get_le32(msg + GK_WG_DATA_OFF_RECEIVER);
	if (likely(idx == rc->index && rc->kp)) {
		kp = rc->kp;
	} else {
		kp = gk_wg_peers_find_kp(t, idx);
		if (unlikely(!kp)) {
			drop(ctx, p, GK_WG_DROP_UNKNOWN_INDEX);
			return false;
		}
		if (unlikely(expired(ctx, kp))) {
			drop(ctx, p, GK_WG_DROP_KEY_EXPIRED);
			return false;
		}
		rc->index = idx;
		rc->kp = kp;
	}
	op = &ctx->ops[m];
	op->key = kp->recv_key;
	op->counter = get_le64(msg + GK_WG_DATA_OFF_COUNTER);
	op->buf = msg + GK_WG_DATA_HDR_LEN;
	op->len = mlen - GK_WG_DATA_MIN_LEN;
	op->tag = msg + mlen - GK_AEAD_TAG_LEN;
	ctx->kp[m] = kp;
	ctx->len[m] = mlen;
	return true;
}

/* Did this authenticated packet come from the endpoint we send to? */
static inline bool same_endpoint(const struct gk_pkt *p,
				 const struct gk_wg_peer *pe)
{
	const uint8_t *ip = p->data + p->meta.l3_off;

	if (gk_rd16(p->data + p->meta.l4_off) != pe->ep.port)
		return false;
	if (p->meta.flags & GK_META_F_IPV6)
		return pe->ep.family == AF_INET6 &&
		       !memcmp(pe->ep.addr, ip + 8, 16);
	return pe->ep.family == AF_INET && !memcmp(pe->ep.addr, ip + 12, 4);
}

/*
 * Roaming (whitepaper §2.1): any authenticated packet moves the endpoint.
 * Out of line: rare, and its event would weigh on the common path.
 */
static __attribute__((noinline)) void
endpoint_moved(struct gk_wg_ctx *ctx, const struct gk_pkt *p,
	       const struct gk_wg_peer *pe, struct gk_wg_peer_stats *ps)
{
	const uint8_t *ip = p->data + p->meta.l3_off;
	struct gk_wg_event ev = { .type = GK_WG_EV_ENDPOINT, .peer_id = pe->id };

	ev.ep.port = gk_rd16(p->data + p->meta.l4_off);
	if (p->meta.flags & GK_META_F_IPV6) {
		ev.ep.family = AF_INET6;
		memcpy(ev.ep.addr, ip + 8, 16);
	} else {
		ev.ep.family = AF_INET;
		memcpy(ev.ep.addr, ip + 12, 4);
	}
	/* A second move before genkand caught up is news: no hold-off. */
	if (memcmp(&ev.ep, &ps->ep_posted, sizeof(ev.ep)))
		ps->ep_post_ns = 0;
	ps->ep_posted = ev.ep;
	post(ctx, &ps->ep_post_ns, GK_WG_EVC_ENDPOINT, &ev);
}

static void confirm(struct gk_wg_ctx *ctx, const struct gk_wg_peer *pe,
		    const struct gk_wg_kp *kp, struct gk_wg_peer_stats *ps)
{
	struct gk_wg_event ev = {
		.type = GK_WG_EV_CONFIRMED, .peer_id = pe->id,
		.index = kp->local_index,
	};

	if (ps->confirm_index != kp->local_index)
		ps->confirm_post_ns = 0;
	ps->confirm_index = kp->local_index;
	post(ctx, &ps->confirm_post_ns, GK_WG_EVC_CONFIRMED, &ev);
}

/* Leave only the inner packet at ip (len bytes), described for l3fwd. */
static inline __attribute__((always_inline)) void
decap(struct gk_pkt *p, uint8_t *ip, uint32_t len, bool v6, uint32_t l3)
{
	uint32_t d = (uint32_t)(ip - p->data) - l3;
	uint8_t flags = (uint8_t)(p->meta.flags & GK_META_F_VLAN);

	move_l2(p->data + d, p->data, l3);
	p->data += d;
	p->buf_len -= d;
	p->len = l3 + len;
	gk_wr16(p->data + l3 - 2, v6 ? 0x86dd : 0x0800);
	if (!v6) {
		gk_meta_ip4(&p->meta, ip, l3);
		return;
	}
	/* No extension header walk: L4 only right after the fixed header. */
	flags |= GK_META_F_IPV6;
	p->meta.l4_proto = ip[6];
	if (ip[6] == 6 || ip[6] == 17 || ip[6] == 58) {
		flags |= GK_META_F_L4;
		p->meta.l4_off = (uint16_t)(l3 + 40);
	} else {
		if (ip[6] == 44)
			flags |= GK_META_F_FRAG;
		p->meta.l4_off = 0;
	}
	p->meta.flags = flags;
	p->meta.class = GK_CLASS_TRANSIT;
}

/* ps: the sending peer's counters. */
static inline void rx_finish(struct gk_wg_ctx *ctx, struct gk_pkt *p,
			     unsigned int i, struct gk_wg_peer_stats *ps)
{
	const struct gk_wg_peers *t = ctx->peers;
	const struct gk_aead_op *op = &ctx->ops[i];
	const struct gk_wg_kp *kp = ctx->kp[i];
	const struct gk_wg_peer *pe = &t->peers[kp->peer];
	uint32_t len, peer;
	bool v6;

	if (unlikely(op->status)) {
		drop(ctx, p, op->status == -EBADMSG ? GK_WG_DROP_BAD_TAG :
						      GK_WG_DROP_CRYPTO);
		return;
	}
	/* §5.4.6: the window moves only for authenticated counters. */
	if (unlikely(!gk_replay_check_and_update(&kp->st->replay, op->counter,
						 t->reject_after_messages))) {
		drop(ctx, p, GK_WG_DROP_REPLAY);
		return;
	}
	if (unlikely(!same_endpoint(p, pe)))
		endpoint_moved(ctx, p, pe, ps);
	if (unlikely(kp->slot == GK_WG_KP_NEXT))
		confirm(ctx, pe, kp, ps);
	ps->last_rx_ns = ctx->now_ns;

	if (unlikely(!op->len)) {
		ps->rx_packets++;
		ps->rx_bytes += ctx->len[i];
		ctx->evc[GK_WG_EVC_RX_KEEPALIVE]++;
		/* its end by design, not a drop (wkstats.h accounting) */
		if (ctx->stats)
			ctx->stats->acct[GK_WK_ACCT_CONSUMED]++;
		p->verdict = GK_V_DROP;
		p->drop_reason = GK_WK_DROP_WG;
		return;
	}
	len = ip_len(op->buf, op->len, &v6);
	if (unlikely(!len)) {
		drop(ctx, p, GK_WG_DROP_BAD_PLAIN);
		return;
	}
	/* before AllowedIPs: a peer allowed 0.0.0.0/0 may not send these */
	if (unlikely(martian(op->buf, v6))) {
		drop(ctx, p, GK_WG_DROP_MARTIAN);
		return;
	}
	/* Cryptokey routing, inbound (whitepaper §2): the source. */
	if (v6) {
		peer = gk_wg_peers_lookup6(t, op->buf + 8);
	} else {
		uint32_t src;

		memcpy(&src, op->buf + 12, 4);
		peer = gk_wg_peers_lookup4(t, src);
	}
	/*
	 * return_path = flow: a source no peer claims is an internet client
	 * a front door sent on; remembered so its replies come back here.
	 */
	if (unlikely(peer != kp->peer) &&
	    !(peer == GK_WG_NO_PEER && pe->rpath && ctx->rpath)) {
		drop(ctx, p, GK_WG_DROP_ALLOWEDIPS);
		return;
	}
	ps->rx_packets++;
	ps->rx_bytes += ctx->len[i];
	/* Constant offsets for the usual case: IPv4 inside, no VLAN. */
	if (likely(!v6 && p->meta.l3_off == 14))
		decap(p, op->buf, len, false, 14);
	else
		decap(p, op->buf, len, v6, p->meta.l3_off);
	if (unlikely(peer != kp->peer))
		gk_wg_rpath_learn(ctx->rpath, p, kp->peer, pe->id, ctx->now_ns);
}

static void decrypt_chunk(struct gk_wg_ctx *ctx, struct gk_pkt **pkts,
			  uint16_t n)
{
	struct rx_cache rc = { .kp = NULL };
	struct gk_wg_peer_stats *ps = NULL;
	uint32_t cur = GK_WG_NO_PEER;
	unsigned int i, m = 0;

	if (unlikely(!ctx->peers)) {
		for (i = 0; i < n; i++)
			if (pkts[i]->verdict == GK_V_NONE)
				drop(ctx, pkts[i], GK_WG_DROP_NO_SNAPSHOT);
		return;
	}
	for (i = 0; i < n; i++) {
		struct gk_pkt *p = pkts[i];

		if (i + 2 < n)
			__builtin_prefetch(pkts[i + 2]->data +
					   pkts[i + 2]->meta.l4_off);
		if (unlikely(p->verdict != GK_V_NONE))
			continue;
		if (rx_prepare(ctx, p, m, &rc))
			ctx->pk[m++] = p;
	}
	if (!m)
		return;
	gk_aead_open_burst(ctx->aead, ctx->ops, m);
	/* In burst order: a counter repeated inside one burst is a replay. */
	for (i = 0; i < m; i++) {
		const struct gk_wg_kp *kp = ctx->kp[i];

		if (kp->peer != cur) {
			cur = kp->peer;
			ps = pstats(ctx, &ctx->peers->peers[cur]);
		}
		rx_finish(ctx, ctx->pk[i], i, ps);
	}
}

void gk_wg_decrypt_burst(struct gk_wg_ctx *ctx, struct gk_pkt **p, uint16_t n)
{
	uint16_t off, c;

	for (off = 0; off < n; off += c) {
		c = n - off > GK_BURST ? GK_BURST : n - off;
		decrypt_chunk(ctx, p + off, c);
	}
}
