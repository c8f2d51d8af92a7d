// SPDX-License-Identifier: BSD-3-Clause
/* mac1/mac2 and cookie replies; follows drivers/net/wireguard/cookie.c. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cookie.h"

static const char label_mac1[] = "mac1----";
static const char label_cookie[] = "cookie--";

static int derive(uint8_t out[GK_WG_KEY_LEN], const char *label,
		  const uint8_t pub[GK_WG_KEY_LEN])
{
	return gk_wg_hash(out, label, 8, pub, GK_WG_KEY_LEN);
}

int gk_wg_cookie_checker_init(struct gk_wg_cookie_checker *c,
			      const uint8_t local_pub[GK_WG_KEY_LEN])
{
	int ret;

	memset(c, 0, sizeof(*c));
	ret = derive(c->mac1_key, label_mac1, local_pub);
	if (!ret)
		ret = derive(c->cookie_key, label_cookie, local_pub);
	return ret;
}

void gk_wg_cookie_checker_clear(struct gk_wg_cookie_checker *c)
{
	explicit_bzero(c, sizeof(*c));
}

int gk_wg_cookie_init(struct gk_wg_cookie *ck, const uint8_t remote_pub[GK_WG_KEY_LEN])
{
	int ret;

	memset(ck, 0, sizeof(*ck));
	ret = derive(ck->mac1_key, label_mac1, remote_pub);
	if (!ret)
		ret = derive(ck->cookie_key, label_cookie, remote_pub);
	return ret;
}

void gk_wg_cookie_clear(struct gk_wg_cookie *ck)
{
	explicit_bzero(ck, sizeof(*ck));
}

static bool sized(size_t len)
{
	return len == sizeof(struct gk_wg_msg_initiation) ||
	       len == sizeof(struct gk_wg_msg_response);
}

static struct gk_wg_msg_macs *macs_of(void *msg, size_t len)
{
	return (struct gk_wg_msg_macs *)((uint8_t *)msg + len -
					 sizeof(struct gk_wg_msg_macs));
}

/* §5.4.4: mac1 covers the message up to mac1, mac2 up to mac2. */
static size_t mac1_off(size_t len)
{
	return len - sizeof(struct gk_wg_msg_macs);
}

static size_t mac2_off(size_t len)
{
	return len - GK_WG_MAC_LEN;
}

int gk_wg_cookie_add_macs(struct gk_wg_cookie *ck, void *msg, size_t len,
			  uint64_t now_ns)
{
	struct gk_wg_msg_macs *m;
	int ret;

	if (!sized(len))
		return -EINVAL;
	m = macs_of(msg, len);
	ret = gk_wg_mac(m->mac1, ck->mac1_key, msg, mac1_off(len));
	if (ret)
		return ret;
	memcpy(ck->last_mac1_sent, m->mac1, GK_WG_MAC_LEN);
	ck->have_sent_mac1 = true;

	/* Stop using a cookie a little before the responder's secret rotates. */
	if (ck->valid && now_ns - ck->birth_ns <
	    GK_WG_COOKIE_SECRET_MAX_AGE_NS - GK_WG_COOKIE_SECRET_LATENCY_NS)
		return gk_wg_blake2s_keyed(m->mac2, GK_WG_MAC_LEN, ck->cookie,
					   GK_WG_COOKIE_LEN, msg, mac2_off(len));
	memset(m->mac2, 0, GK_WG_MAC_LEN);
	return 0;
}

/* Am: source address and port, in network order. */
static size_t source_bytes(uint8_t out[18], const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		memcpy(out, &in->sin_addr, 4);
		memcpy(out + 4, &in->sin_port, 2);
		return 6;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		memcpy(out, &in6->sin6_addr, 16);
		memcpy(out + 16, &in6->sin6_port, 2);
		return 18;
	}
	return 0;
}

/* §5.4.7: tau = MAC(Rm, Am), Rm regenerated once older than two minutes. */
static int make_cookie(struct gk_wg_cookie_checker *c,
		       uint8_t cookie[GK_WG_COOKIE_LEN],
		       const struct sockaddr *src, uint64_t now_ns)
{
	uint8_t a[18];
	size_t alen;
	int ret;

	alen = source_bytes(a, src);
	if (!alen)
		return -EAFNOSUPPORT;
	if (!c->secret_set ||
	    now_ns - c->secret_birth_ns > GK_WG_COOKIE_SECRET_MAX_AGE_NS) {
		ret = gk_wg_random(c->secret, sizeof(c->secret));
		if (ret)
			return ret;
		c->secret_birth_ns = now_ns;
		c->secret_set = true;
	}
	return gk_wg_blake2s_keyed(cookie, GK_WG_COOKIE_LEN, c->secret,
				   sizeof(c->secret), a, alen);
}

enum gk_wg_mac_state gk_wg_cookie_validate(struct gk_wg_cookie_checker *c,
					   const void *msg, size_t len,
					   const struct sockaddr *src,
					   bool under_load,
					   struct gk_wg_ratelimiter *rl,
					   uint64_t now_ns)
{
	uint8_t want[GK_WG_MAC_LEN], cookie[GK_WG_COOKIE_LEN];
	const struct gk_wg_msg_macs *m;
	enum gk_wg_mac_state st = GK_WG_MAC_INVALID;

	if (!sized(len))
		return GK_WG_MAC_INVALID;
	m = macs_of((void *)msg, len);
	if (gk_wg_mac(want, c->mac1_key, msg, mac1_off(len)) ||
	    CRYPTO_memcmp(want, m->mac1, GK_WG_MAC_LEN))
		goto out;
	st = GK_WG_MAC_VALID_NO_COOKIE;
	if (!under_load)
		goto out;
	if (make_cookie(c, cookie, src, now_ns) ||
	    gk_wg_blake2s_keyed(want, GK_WG_MAC_LEN, cookie, sizeof(cookie),
				msg, mac2_off(len)) ||
	    CRYPTO_memcmp(want, m->mac2, GK_WG_MAC_LEN))
		goto out;
	st = GK_WG_MAC_VALID_COOKIE_RATELIMITED;
	if (rl && !gk_wg_ratelimiter_allow(rl, src, now_ns))
		goto out;
	st = GK_WG_MAC_VALID_COOKIE;
out:
	explicit_bzero(cookie, sizeof(cookie));
	return st;
}

int gk_wg_cookie_reply_create(struct gk_wg_cookie_checker *c,
			      struct gk_wg_msg_cookie *out, const void *msg,
			      size_t len, const struct sockaddr *src,
			      uint64_t now_ns)
{
	const struct gk_wg_msg_macs *m;
	uint8_t cookie[GK_WG_COOKIE_LEN];
	int ret;

	if (!sized(len))
		return -EINVAL;
	m = macs_of((void *)msg, len);
	memset(out, 0, sizeof(*out));
	out->type = GK_WG_MSG_COOKIE;
	/* Both initiation and response carry the sender index at offset 4. */
	memcpy(&out->receiver_le, (const uint8_t *)msg + 4, 4);
	ret = gk_wg_random(out->nonce, sizeof(out->nonce));
	if (ret)
		return ret;
	ret = make_cookie(c, cookie, src, now_ns);
	if (!ret)
		ret = gk_wg_xaead_encrypt(out->cookie_enc, cookie, sizeof(cookie),
					  m->mac1, GK_WG_MAC_LEN, out->nonce,
					  c->cookie_key);
	explicit_bzero(cookie, sizeof(cookie));
	return ret;
}

int gk_wg_cookie_reply_consume(struct gk_wg_cookie *ck,
			       const struct gk_wg_msg_cookie *msg,
			       uint64_t now_ns)
{
	uint8_t cookie[GK_WG_COOKIE_LEN];
	int ret;

	if (msg->type != GK_WG_MSG_COOKIE || !ck->have_sent_mac1)
		return -EINVAL;
	ret = gk_wg_xaead_decrypt(cookie, msg->cookie_enc, sizeof(msg->cookie_enc),
				  ck->last_mac1_sent, GK_WG_MAC_LEN, msg->nonce,
				  ck->cookie_key);
	if (ret)
		goto out;
	memcpy(ck->cookie, cookie, sizeof(cookie));
	ck->birth_ns = now_ns;
	ck->valid = true;
	ck->have_sent_mac1 = false;
out:
	explicit_bzero(cookie, sizeof(cookie));
	return ret;
}
