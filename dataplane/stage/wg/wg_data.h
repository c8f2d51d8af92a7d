/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard transport data stage (whitepaper §5.4.6), one ctx per worker.
 *
 * gk_wg_encrypt_burst: plaintext IPv4/IPv6 packets routed into the tunnel
 * (meta.l3_off at the inner IP header, TTL already handled by l3fwd).
 * AllowedIPs picks the peer by longest prefix of the destination; its
 * current keypair seals the inner packet, zero-padded to a multiple of 16
 * but never past the tunnel MTU. Outer IPv4-or-IPv6 + UDP + the 16-byte
 * data header go into the headroom in front (the L2 header moves with
 * them, only its ethertype changes), tag and padding into the tailroom.
 * Out: verdict GK_V_NONE, meta describing the outer UDP packet, class
 * TRANSIT, GK_META_F_ORIGIN, so l3fwd routes it without a TTL decrement.
 * Outer IPv4: DF clear, ID from a per-ctx counter, UDP checksum 0
 * (RFC 768 allows it over IPv4); outer IPv6: flow label from the inner
 * flow hash and a full UDP checksum (RFC 8200 §8.1). Both: TTL 64, ECN
 * copied from the inner packet (RFC 6040 §4.1 normal mode).
 *
 * gk_wg_decrypt_burst: UDP to the listen port carrying a type-4 message.
 * Order: lengths and type, receiver index -> keypair, open the whole
 * burst, then (authenticated only) the replay window, the endpoint check
 * (roaming), cryptokey routing (inner source in the sending peer's
 * AllowedIPs; a return_path = flow peer may also send sources that no
 * peer's AllowedIPs covers, remembered in ctx->rpath, wg_rpath.h). Keepalives (empty plaintext) are consumed: verdict
 * GK_V_DROP with reason GK_WK_DROP_WG, counted as rx_keepalive and not as
 * a drop. Out: the inner packet only (outer headers, padding and tag
 * stripped using the inner IP length), class TRANSIT, verdict GK_V_NONE,
 * for l3fwd. Inbound data for a keypair must come to one worker (the
 * classifier steers by receiver index): see wg_peers.h.
 *
 * Every drop has its own counter in ctx->drops and sets GK_WK_DROP_WG.
 * Events for genkand (handshake needed, endpoint changed, next keypair
 * confirmed) go over an SPSC ring, at most one per peer and kind every
 * GK_WG_EV_HOLDOFF_NS. No allocation, lock, syscall or copy beyond the
 * AEAD per packet.
 */
#ifndef GK_WG_DATA_H
#define GK_WG_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "wg_aead.h"
#include "wg_peers.h"
#include "wg_rpath.h"
#include "wkstats.h"

#define GK_WG_DROP_LIST(X)						\
	X(NO_SNAPSHOT,	"no_snapshot")	/* no peers published yet */	\
	X(BAD_INNER,	"bad_inner")	/* tx: not a sane IPv4/IPv6 packet */ \
	X(NO_PEER,	"no_peer")	/* tx: no AllowedIPs covers the dst */ \
	X(NO_ENDPOINT,	"no_endpoint")	/* tx: peer endpoint unknown */	\
	X(NO_KEYPAIR,	"no_keypair")	/* tx: no current keypair, or too old/used */ \
	X(TOO_BIG,	"too_big")	/* tx: inner packet above the tunnel MTU */ \
	X(NO_ROOM,	"no_room")	/* tx: no tailroom for padding and tag */ \
	X(CRYPTO,	"crypto")	/* AEAD library failure */	\
	X(BAD_OUTER,	"bad_outer")	/* rx: not UDP to the listen port, bad lengths */ \
	X(SHORT,	"short")	/* rx: message below 32 bytes */	\
	X(BAD_TYPE,	"bad_type")	/* rx: not type 4 with zero reserved bytes */ \
	X(UNKNOWN_INDEX, "unknown_index") /* rx: receiver index of no keypair */ \
	X(KEY_EXPIRED,	"key_expired")	/* rx: keypair past REJECT_AFTER_TIME */ \
	X(BAD_TAG,	"bad_tag")	/* rx: authentication failed */	\
	X(REPLAY,	"replay")	/* rx: counter seen, too old or too high */ \
	X(BAD_PLAIN,	"bad_plaintext") /* rx: decrypted, not an IP packet */ \
	X(ALLOWEDIPS,	"allowedips")	/* rx: inner source not the peer's */ \
	X(MARTIAN,	"martian")	/* inner source/dst never routed (martian.h) */

enum gk_wg_drop {
#define GK_X(n, s) GK_WG_DROP_##n,
	GK_WG_DROP_LIST(GK_X)
#undef GK_X
	GK_WG_DROP_MAX
};

extern const char *const gk_wg_drop_names[GK_WG_DROP_MAX];

#define GK_WG_EVC_LIST(X)						\
	X(RX_KEEPALIVE,	"rx_keepalive")	/* consumed, not a drop */	\
	X(HS_NEEDED,	"handshake_needed") /* events posted */		\
	X(ENDPOINT,	"endpoint_changed")				\
	X(CONFIRMED,	"keypair_confirmed")				\
	X(RING_FULL,	"event_ring_full") /* event lost: genkand too slow */

enum gk_wg_evc {
#define GK_X(n, s) GK_WG_EVC_##n,
	GK_WG_EVC_LIST(GK_X)
#undef GK_X
	GK_WG_EVC_MAX
};

extern const char *const gk_wg_evc_names[GK_WG_EVC_MAX];

/* ---- Worker -> genkand events (SPSC ring, spsc.h) ---- */

enum gk_wg_ev_type {
	GK_WG_EV_HANDSHAKE_NEEDED = 1,	/* tx found no usable keypair */
	GK_WG_EV_ENDPOINT = 2,		/* authenticated data from ep */
	GK_WG_EV_CONFIRMED = 3,		/* data arrived on the next keypair */
};

struct gk_wg_event {
	uint8_t type;			/* enum gk_wg_ev_type */
	uint8_t pad[3];
	uint32_t peer_id;
	uint32_t index;			/* CONFIRMED: its receiver index */
	struct gk_wg_endpoint ep;	/* ENDPOINT: the new one */
};

struct gk_wg_evring;

/* size_pow2 slots (a power of two >= 2); NULL on a bad size or ENOMEM. */
struct gk_wg_evring *gk_wg_evring_create(unsigned int size_pow2);
void gk_wg_evring_destroy(struct gk_wg_evring *r);
/* Producer (worker) only. False when full. */
bool gk_wg_evring_push(struct gk_wg_evring *r, const struct gk_wg_event *e);
/* Consumer (genkand) only. Returns how many were copied. */
unsigned int gk_wg_evring_pop(struct gk_wg_evring *r, struct gk_wg_event *out,
			      unsigned int max);

/* Same peer, same kind of event: not again within this (100 ms). */
#define GK_WG_EV_HOLDOFF_NS	100000000ull

/*
 * Per peer and worker, indexed by peer id: the type-4 messages (data and
 * keepalives) a worker sealed or opened, whole messages without the
 * UDP/IP headers. genkand sums the workers' counters (reads may tear on
 * 32-bit hosts only) and, when it shows them, adds the messages it sent
 * or took itself (handshakes, its keepalives): `wg show`'s transfer
 * counts every message to and from the peer, in the kernel and in
 * wireguard-go alike. The counters are GK_WG_PEER_CNT_LIST, X(field, json
 * name), in the order `wg show` prints them per peer.
 */
#define GK_WG_PEER_CNT_LIST(X)						\
	X(rx_bytes,	"transfer_rx")					\
	X(tx_bytes,	"transfer_tx")					\
	X(rx_packets,	"rx_packets")					\
	X(tx_packets,	"tx_packets")

struct gk_wg_peer_stats {
#define GK_X(f, s) uint64_t f;
	GK_WG_PEER_CNT_LIST(GK_X)
#undef GK_X
	uint64_t last_rx_ns, last_tx_ns;	/* 0: never */
	/* event hold-off, worker-private */
	uint64_t hs_post_ns, ep_post_ns, confirm_post_ns;
	uint32_t confirm_index;
	struct gk_wg_endpoint ep_posted;
};

struct gk_wg_ctx {
	const struct gk_wg_peers *peers;	/* snapshot for this burst */
	struct gk_aead *aead;			/* made by init, owned */
	struct gk_wk_stats *stats;		/* the worker's counters */
	struct gk_wg_evring *events;		/* may be NULL */
	uint64_t now_ns;
	uint16_t ip_id;				/* next outer IPv4 ID */
	uint32_t max_peers;
	struct gk_wg_peer_stats *peer;		/* [max_peers] */
	struct gk_wg_peer_stats spare;		/* for ids >= max_peers */
	uint64_t drops[GK_WG_DROP_MAX];
	uint64_t evc[GK_WG_EVC_MAX];
	uint64_t peer_id_overflow;		/* peer id >= max_peers */
	/*
	 * return_path = flow (wg_rpath.h): the worker's flow table, NULL
	 * when it has none (decrypt then drops foreign sources as before);
	 * via_peer: a peer index that encrypt seals to instead of the
	 * AllowedIPs lookup, GK_WG_NO_PEER (init) for the lookup.
	 */
	struct gk_wg_rpath *rpath;
	uint32_t via_peer;
	/* burst scratch; ops[].aad and .nonce stay NULL from init */
	struct gk_aead_op ops[GK_BURST];
	const struct gk_wg_kp *kp[GK_BURST];
	uint32_t len[GK_BURST];
	struct gk_pkt *pk[GK_BURST];		/* the packet of each slot */
	uint8_t tos[GK_BURST];			/* inner TOS/TC: sealed later */
};

/*
 * Zeroes ctx, creates the AEAD (impl as in wg_aead.h) and the per-peer
 * counters. Set peers, stats, events and now_ns afterwards. 0 or -errno.
 */
int gk_wg_ctx_init(struct gk_wg_ctx *ctx, uint32_t max_peers,
		   enum gk_aead_impl impl, char *err, size_t errlen);
void gk_wg_ctx_fini(struct gk_wg_ctx *ctx);

void gk_wg_encrypt_burst(struct gk_wg_ctx *ctx, struct gk_pkt **p, uint16_t n);
void gk_wg_decrypt_burst(struct gk_wg_ctx *ctx, struct gk_pkt **p, uint16_t n);

#endif
