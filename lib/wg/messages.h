/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard on the wire (whitepaper §5.4): key and tag lengths, the four
 * message layouts, the transport data header, a session's keypair and the
 * little-endian index helpers. A leaf header: the data plane's WireGuard
 * stage and the handshake code (noise.c, cookie.c) both build on it, and
 * it includes nothing of either.
 */
#ifndef GK_WG_MESSAGES_H
#define GK_WG_MESSAGES_H

#include <stdbool.h>
#include <stdint.h>

#define GK_WG_KEY_LEN		32
#define GK_WG_HASH_LEN		32
#define GK_WG_MAC_LEN		16	/* keyed BLAKE2s truncated to 128 bits */
#define GK_WG_AEAD_TAG_LEN	16
#define GK_WG_XNONCE_LEN	24

enum {
	GK_WG_MSG_INITIATION = 1,
	GK_WG_MSG_RESPONSE = 2,
	GK_WG_MSG_COOKIE = 3,
	GK_WG_MSG_DATA = 4,
};

#define GK_WG_TAI64N_LEN	12
#define GK_WG_COOKIE_LEN	16

/* Every handshake message ends with these (whitepaper §5.4.4). */
struct gk_wg_msg_macs {
	uint8_t mac1[GK_WG_MAC_LEN];
	uint8_t mac2[GK_WG_MAC_LEN];
} __attribute__((packed));

/* Index fields are little-endian on the wire. */
struct gk_wg_msg_initiation {
	uint8_t type;
	uint8_t reserved[3];
	uint32_t sender_le;
	uint8_t ephemeral[GK_WG_KEY_LEN];
	uint8_t static_enc[GK_WG_KEY_LEN + GK_WG_AEAD_TAG_LEN];
	uint8_t timestamp_enc[GK_WG_TAI64N_LEN + GK_WG_AEAD_TAG_LEN];
	struct gk_wg_msg_macs macs;
} __attribute__((packed));

struct gk_wg_msg_response {
	uint8_t type;
	uint8_t reserved[3];
	uint32_t sender_le;
	uint32_t receiver_le;
	uint8_t ephemeral[GK_WG_KEY_LEN];
	uint8_t empty_enc[GK_WG_AEAD_TAG_LEN];
	struct gk_wg_msg_macs macs;
} __attribute__((packed));

struct gk_wg_msg_cookie {
	uint8_t type;
	uint8_t reserved[3];
	uint32_t receiver_le;
	uint8_t nonce[GK_WG_XNONCE_LEN];
	uint8_t cookie_enc[GK_WG_COOKIE_LEN + GK_WG_AEAD_TAG_LEN];
} __attribute__((packed));

_Static_assert(sizeof(struct gk_wg_msg_initiation) == 148, "initiation is 148 B");
_Static_assert(sizeof(struct gk_wg_msg_response) == 92, "response is 92 B");
_Static_assert(sizeof(struct gk_wg_msg_cookie) == 64, "cookie reply is 64 B");

/*
 * Transport data message (type 4), for the data path: type, 3 reserved
 * bytes, le32 receiver index, le64 counter, then the AEAD of the inner
 * packet padded to a multiple of 16 (§5.4.6). A keepalive is an empty one.
 */
#define GK_WG_DATA_OFF_TYPE	0
#define GK_WG_DATA_OFF_RECEIVER	4
#define GK_WG_DATA_OFF_COUNTER	8
#define GK_WG_DATA_HDR_LEN	16
#define GK_WG_DATA_PAD		16
#define GK_WG_DATA_MIN_LEN	(GK_WG_DATA_HDR_LEN + GK_WG_AEAD_TAG_LEN)
#define GK_WG_KEEPALIVE_LEN	GK_WG_DATA_MIN_LEN

/* Transport keys of one session (§5.4.5). */
struct gk_wg_keypair {
	uint8_t send_key[GK_WG_KEY_LEN];
	uint8_t recv_key[GK_WG_KEY_LEN];
	uint32_t local_index;	/* receiver index of inbound data */
	uint32_t remote_index;	/* receiver index we put on outbound data */
	uint64_t birth_ns;
	bool initiator;
};

static inline uint32_t gk_wg_get_le32(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline void gk_wg_put_le32(void *p, uint32_t v)
{
	uint8_t *b = (uint8_t *)p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

#endif /* GK_WG_MESSAGES_H */
