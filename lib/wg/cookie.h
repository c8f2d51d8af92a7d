/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mac1/mac2 and cookie replies (whitepaper §5.3, §5.4.4, §5.4.7). The
 * checker is ours (keys derived from our public key, the rotating secret);
 * struct gk_wg_cookie is kept per peer for messages we send to it. The
 * caller serializes calls on each struct.
 */
#ifndef GK_WG_COOKIE_H
#define GK_WG_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "crypto.h"
#include "noise.h"
#include "ratelimiter.h"

#define GK_WG_COOKIE_SECRET_MAX_AGE_NS	(120ull * 1000000000ull)
#define GK_WG_COOKIE_SECRET_LATENCY_NS	(5ull * 1000000000ull)

struct gk_wg_cookie_checker {
	uint8_t secret[GK_WG_HASH_LEN];		/* Rm, rotated every 2 min */
	uint64_t secret_birth_ns;
	bool secret_set;
	uint8_t mac1_key[GK_WG_KEY_LEN];	/* HASH("mac1----" || S_pub) */
	uint8_t cookie_key[GK_WG_KEY_LEN];	/* HASH("cookie--" || S_pub) */
};

struct gk_wg_cookie {
	uint8_t cookie[GK_WG_COOKIE_LEN];
	uint64_t birth_ns;
	bool valid;
	bool have_sent_mac1;
	uint8_t last_mac1_sent[GK_WG_MAC_LEN];
	uint8_t mac1_key[GK_WG_KEY_LEN];	/* from the peer's public key */
	uint8_t cookie_key[GK_WG_KEY_LEN];
};

enum gk_wg_mac_state {
	GK_WG_MAC_INVALID,
	GK_WG_MAC_VALID_NO_COOKIE,		/* mac1 ok, mac2 absent/bad/unchecked */
	GK_WG_MAC_VALID_COOKIE_RATELIMITED,
	GK_WG_MAC_VALID_COOKIE,
};

int gk_wg_cookie_checker_init(struct gk_wg_cookie_checker *c,
			      const uint8_t local_pub[GK_WG_KEY_LEN]);
void gk_wg_cookie_checker_clear(struct gk_wg_cookie_checker *c);

int gk_wg_cookie_init(struct gk_wg_cookie *ck, const uint8_t remote_pub[GK_WG_KEY_LEN]);
void gk_wg_cookie_clear(struct gk_wg_cookie *ck);

/*
 * Fills the trailing macs of an initiation or response of len bytes sent to
 * the peer of ck; mac2 only while a cookie from it is younger than 115 s.
 */
int gk_wg_cookie_add_macs(struct gk_wg_cookie *ck, void *msg, size_t len,
			  uint64_t now_ns);

/*
 * Checks an incoming initiation/response from src. mac2 is checked only when
 * under_load; then rl (may be NULL) rate-limits sources with a valid cookie.
 * The caller acts as the kernel does: not under load, accept
 * VALID_NO_COOKIE; under load, accept only VALID_COOKIE and answer
 * VALID_NO_COOKIE with a cookie reply.
 */
enum gk_wg_mac_state gk_wg_cookie_validate(struct gk_wg_cookie_checker *c,
					   const void *msg, size_t len,
					   const struct sockaddr *src,
					   bool under_load,
					   struct gk_wg_ratelimiter *rl,
					   uint64_t now_ns) GK_WG_MUST_CHECK;

/* §5.4.7: the cookie reply to a message (already mac1-checked) from src. */
int gk_wg_cookie_reply_create(struct gk_wg_cookie_checker *c,
			      struct gk_wg_msg_cookie *out, const void *msg,
			      size_t len, const struct sockaddr *src,
			      uint64_t now_ns);

/*
 * Consumes a cookie reply for the peer the caller found by its receiver
 * index. -EINVAL when we sent that peer nothing to answer, -EBADMSG when it
 * does not authenticate.
 */
int gk_wg_cookie_reply_consume(struct gk_wg_cookie *ck,
			       const struct gk_wg_msg_cookie *msg,
			       uint64_t now_ns) GK_WG_MUST_CHECK;

#endif /* GK_WG_COOKIE_H */
