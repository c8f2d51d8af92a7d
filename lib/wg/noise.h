/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s as WireGuard uses it (whitepaper
 * §5.4.2-§5.4.5): message layouts and the handshake state machine of one
 * peer. The caller serializes all calls on one struct gk_wg_handshake and
 * owns receiver-index allocation; mac1/mac2 are added/checked by cookie.h.
 */
#ifndef GK_WG_NOISE_H
#define GK_WG_NOISE_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto.h"
#include "messages.h"

/* A handshake is accepted at most this often from one peer (kernel: 50/s). */
#define GK_WG_INITIATIONS_PER_SECOND	50

struct gk_wg_identity {
	uint8_t priv[GK_WG_KEY_LEN];
	uint8_t pub[GK_WG_KEY_LEN];
};

enum gk_wg_hs_state {
	GK_WG_HS_ZEROED,
	GK_WG_HS_CREATED_INITIATION,
	GK_WG_HS_CONSUMED_INITIATION,
	GK_WG_HS_CREATED_RESPONSE,
	GK_WG_HS_CONSUMED_RESPONSE,
};

/* One per peer. Holds secrets: wipe with gk_wg_handshake_clear(). */
struct gk_wg_handshake {
	enum gk_wg_hs_state state;
	const struct gk_wg_identity *local;	/* borrowed, outlives us */
	uint8_t remote_static[GK_WG_KEY_LEN];
	uint8_t precomputed_ss[GK_WG_KEY_LEN];	/* DH(S_local, S_remote) */
	uint8_t psk[GK_WG_KEY_LEN];
	uint8_t ephemeral_priv[GK_WG_KEY_LEN];
	uint8_t remote_ephemeral[GK_WG_KEY_LEN];
	uint8_t hash[GK_WG_HASH_LEN];
	uint8_t ck[GK_WG_HASH_LEN];
	uint8_t latest_timestamp[GK_WG_TAI64N_LEN];
	uint64_t last_initiation_consumption_ns;	/* 0: never */
	uint32_t local_index;
	uint32_t remote_index;
};


/* Sets pub from priv. */
int gk_wg_identity_init(struct gk_wg_identity *id, const uint8_t priv[GK_WG_KEY_LEN]);
void gk_wg_identity_clear(struct gk_wg_identity *id);

/*
 * psk may be NULL (all zero). A remote key that makes DH(S, S_r) zero is
 * accepted (like the kernel) but no handshake with it will ever succeed.
 */
int gk_wg_handshake_init(struct gk_wg_handshake *hs,
			 const struct gk_wg_identity *local,
			 const uint8_t remote_static[GK_WG_KEY_LEN],
			 const uint8_t psk[GK_WG_KEY_LEN]);
void gk_wg_handshake_clear(struct gk_wg_handshake *hs);

/*
 * TAI64N label of a wall-clock time, with the nanoseconds rounded down to
 * 2^24 so the timestamp leaks no precise clock (as the kernel does).
 */
void gk_wg_tai64n(uint8_t out[GK_WG_TAI64N_LEN], int64_t sec, long nsec);

/* §5.4.2. macs are left zero: call gk_wg_cookie_add_macs() next. */
int gk_wg_create_initiation(struct gk_wg_handshake *hs,
			    struct gk_wg_msg_initiation *msg, uint32_t local_index,
			    const uint8_t timestamp[GK_WG_TAI64N_LEN]);

/* Finds the handshake of the peer with this static key, or NULL. */
typedef struct gk_wg_handshake *(*gk_wg_peer_lookup_fn)(void *arg,
		const uint8_t remote_static[GK_WG_KEY_LEN]);

/*
 * Responder side of §5.4.2; macs must have been checked already. On success
 * *out is the peer's handshake, now CONSUMED_INITIATION. Errors: -EBADMSG
 * (decryption), -ENOENT (unknown static key), -EALREADY (timestamp not newer
 * than the last accepted one: replay), -EBUSY (initiations too frequent).
 */
int gk_wg_consume_initiation(const struct gk_wg_identity *local,
			     const struct gk_wg_msg_initiation *msg,
			     gk_wg_peer_lookup_fn lookup, void *arg,
			     uint64_t now_ns,
			     struct gk_wg_handshake **out) GK_WG_MUST_CHECK;

/* §5.4.3. -EINVAL unless the state is CONSUMED_INITIATION. */
int gk_wg_create_response(struct gk_wg_handshake *hs,
			  struct gk_wg_msg_response *msg, uint32_t local_index);

/*
 * Initiator side of §5.4.3; hs is the handshake the caller found by the
 * message's receiver index. -EINVAL on wrong state/index, -EBADMSG on
 * authentication failure.
 */
int gk_wg_consume_response(struct gk_wg_handshake *hs,
			   const struct gk_wg_msg_response *msg) GK_WG_MUST_CHECK;

/*
 * §5.4.5: derive the transport keys after CONSUMED_RESPONSE (initiator) or
 * CREATED_RESPONSE (responder), then wipe the handshake's ephemeral state.
 */
int gk_wg_begin_session(struct gk_wg_handshake *hs, struct gk_wg_keypair *kp,
			uint64_t now_ns) GK_WG_MUST_CHECK;

#endif /* GK_WG_NOISE_H */
