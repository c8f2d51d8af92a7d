/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard peers as the workers see them: an immutable snapshot that
 * genkand builds from its peer table and publishes with an RCU pointer
 * swap (liburcu QSBR); the old one is freed after a grace period.
 *
 * A snapshot holds, per peer: the endpoint, the outer source address and
 * UDP port, and up to three keypairs (current, previous, next: whitepaper
 * §6.2); AllowedIPs as IPv4/IPv6 LPM tables -> peer index (cryptokey
 * routing, §2); and receiver index -> keypair as an open-addressing hash.
 *
 * What the workers write lives outside the snapshot, in one struct
 * gk_wg_kpstate per keypair, allocated by genkand when the handshake
 * completes and carried from snapshot to snapshot while the keypair lives:
 *  - the sending counter, on its own cache line. Every worker that sends
 *    to the peer reserves a block of counters per burst with one atomic
 *    fetch_add, so nonces stay unique however the peer's traffic spreads
 *    over the workers (whitepaper §5.4.6: a nonce is never reused).
 *  - the receive replay window. Single writer: a hash of the receiver
 *    index names the owner worker, and a worker that receives another's
 *    data hands it over (dataplane/worker_wg.h), so only the owner
 *    touches the window. Changing the worker count while a keypair lives
 *    breaks that rule: rekey, or make genkand reset the windows, when it does.
 * Free a kpstate only after the last snapshot naming it is gone (after
 * that snapshot's grace period).
 */
#ifndef GK_WG_PEERS_H
#define GK_WG_PEERS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "messages.h"
#include "lpm.h"
#include "pkt.h"
#include "wg_replay.h"

#define GK_WG_KP_CURRENT	0
#define GK_WG_KP_PREVIOUS	1
#define GK_WG_KP_NEXT		2	/* responder: usable once the peer sends */
#define GK_WG_NR_KP		3
#define GK_WG_NO_KP		UINT32_MAX
#define GK_WG_NO_PEER		GK_LPM_MISS

/* WireGuard's REJECT_AFTER_TIME (whitepaper §6.1). */
#define GK_WG_REJECT_AFTER_TIME_NS	(180ull * 1000000000ull)

/* Mutable per-keypair state shared by the workers; see above. */
struct gk_wg_kpstate {
	_Atomic uint64_t send_counter __gk_aligned;
	struct gk_replay replay __gk_aligned;	/* owning worker only */
} __gk_aligned;

struct gk_wg_endpoint {
	uint8_t family;		/* AF_INET, AF_INET6; 0: none known yet */
	uint8_t pad;
	uint16_t port;		/* host order */
	uint8_t addr[16];	/* network order; IPv4 in the first 4 bytes */
};

struct gk_wg_allowed {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t plen;
	uint8_t addr[16];	/* network order; IPv4 in the first 4 bytes */
};

/* Input of gk_wg_peers_build; everything is copied except kpstate. */
struct gk_wg_peer_cfg {
	uint32_t id;		/* dense, stable, < max_peers: per-peer counters */
	struct gk_wg_endpoint ep;
	uint8_t src[16];	/* outer source address, ep.family */
	uint16_t src_port;	/* outer UDP source port; 0: listen_port (CE: from the port set) */
	const struct gk_wg_allowed *allowed;
	uint32_t nr_allowed;
	/* return_path = flow (wg_rpath.h): any inner source outside every
	 * AllowedIPs is accepted from this peer and its replies come back */
	uint8_t rpath;
	const struct gk_wg_keypair *kp[GK_WG_NR_KP];	/* NULL: slot empty */
	struct gk_wg_kpstate *kps[GK_WG_NR_KP];	/* required where kp is set */
};

struct gk_wg_peers_cfg {
	uint16_t listen_port;
	uint32_t mtu;		/* tunnel MTU: largest inner packet, padding cap */
	uint64_t reject_after_time_ns;	/* 0: GK_WG_REJECT_AFTER_TIME_NS */
	uint64_t reject_after_messages;	/* 0: GK_WG_REJECT_AFTER_MESSAGES */
	const struct gk_wg_peer_cfg *peers;
	uint32_t nr_peers;
};

/* One keypair in the snapshot. Keys are wiped when the snapshot is freed. */
struct gk_wg_kp {
	uint8_t send_key[GK_WG_KEY_LEN];
	uint8_t recv_key[GK_WG_KEY_LEN];
	struct gk_wg_kpstate *st;
	uint64_t birth_ns;
	uint32_t local_index;	/* receiver index of inbound data */
	uint32_t remote_index;	/* receiver index we put on outbound data */
	uint32_t peer;		/* index into gk_wg_peers.peers */
	uint8_t slot;		/* GK_WG_KP_* */
};

/* Outer IPv4/IPv6 + UDP + le32 message type, as prebuilt in the template. */
#define GK_WG_TMPL4_LEN		(20 + 8 + 4)
#define GK_WG_TMPL6_LEN		(40 + 8 + 4)

struct gk_wg_peer {
	struct gk_wg_endpoint ep;
	uint8_t src[16];
	uint16_t src_port;	/* resolved: never 0 */
	uint8_t rpath;		/* return_path = flow (wg_rpath.h) */
	uint32_t id;
	uint32_t kp[GK_WG_NR_KP];	/* index into gk_wg_peers.kps or GK_WG_NO_KP */
	/*
	 * Outer headers built once per snapshot, so sealing a packet copies
	 * them instead of assembling them: everything but the lengths, IPv4
	 * ID, TOS/traffic class, flow label and checksums. tmpl_sum is the
	 * IPv4 header's partial checksum over the bytes 6..19 (fixed per
	 * peer), in gk_csum_partial's form.
	 */
	uint8_t tmpl[GK_WG_TMPL6_LEN];
	uint32_t tmpl_sum;
};

struct gk_wg_peers {
	uint16_t listen_port;
	uint32_t mtu;
	uint64_t reject_after_time_ns;
	uint64_t reject_after_messages;
	uint32_t nr_peers, nr_kps, max_id;	/* max_id: largest peer id + 1 */
	uint32_t nr_rpath;	/* peers with rpath: 0 skips every flow lookup */
	struct gk_wg_peer *peers;
	struct gk_wg_kp *kps;
	struct gk_lpm4 *allowed4;	/* NULL when no IPv4 AllowedIPs */
	struct gk_lpm6 *allowed6;
	uint32_t hmask;
	uint32_t *hslot;	/* kp index + 1; 0: empty */
};

/* Zeroed counter and window. NULL on ENOMEM. */
struct gk_wg_kpstate *gk_wg_kpstate_create(void);
void gk_wg_kpstate_free(struct gk_wg_kpstate *s);
/* The next counter a worker would use; genkand's REKEY_AFTER_MESSAGES. */
uint64_t gk_wg_kpstate_sent(const struct gk_wg_kpstate *s);

/*
 * Returns NULL with a message in err on bad input (duplicate receiver
 * index or peer id, keypair without kpstate, bad prefix, mtu < 1280 ...)
 * or ENOMEM. When two peers claim the same prefix, the first one wins.
 */
struct gk_wg_peers *gk_wg_peers_build(const struct gk_wg_peers_cfg *cfg,
				      char *err, size_t errlen);
/* Wipes the keys. kpstates are not freed: genkand owns them. */
void gk_wg_peers_free(struct gk_wg_peers *t);

static inline uint32_t gk_wg_index_hash(uint32_t idx)
{
	/* Receiver indices are random, but do not trust that to spread. */
	return (idx * 0x9e3779b1u) ^ (idx >> 16);
}

/* The keypair whose local (receiver) index is idx, or NULL. */
static inline const struct gk_wg_kp *
gk_wg_peers_find_kp(const struct gk_wg_peers *t, uint32_t idx)
{
	uint32_t h = gk_wg_index_hash(idx), s;

	for (;; h++) {
		s = t->hslot[h & t->hmask];
		if (!s)
			return NULL;
		if (t->kps[s - 1].local_index == idx)
			return &t->kps[s - 1];
	}
}

/* AllowedIPs: peer index, or GK_WG_NO_PEER. */
static inline uint32_t gk_wg_peers_lookup4(const struct gk_wg_peers *t,
					   uint32_t addr_be)
{
	return t->allowed4 ? gk_lpm4_lookup(t->allowed4, addr_be) :
			     GK_WG_NO_PEER;
}

static inline uint32_t gk_wg_peers_lookup6(const struct gk_wg_peers *t,
					   const uint8_t addr[16])
{
	return t->allowed6 ? gk_lpm6_lookup(t->allowed6, addr) :
			     GK_WG_NO_PEER;
}

#endif
