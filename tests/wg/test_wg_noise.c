// SPDX-License-Identifier: BSD-3-Clause
/*
 * Handshake between two of our peers: same transport keys on both sides,
 * and every rejection path (mac1, replay, flood, unknown/wrong keys, psk,
 * tampering), cookies under load and the per-source rate limiter. Wire
 * compatibility itself is proven by the wireguard-go interop test.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "cookie.h"
#include "noise.h"
#include "ratelimiter.h"

#define SEC 1000000000ull

struct side {
	struct gk_wg_identity id;
	struct gk_wg_handshake hs;	/* towards the other side */
	struct gk_wg_cookie cookie;	/* for messages to the other side */
	struct gk_wg_cookie_checker checker;
};

static struct side a, b;
static uint8_t ts[GK_WG_TAI64N_LEN];
static struct sockaddr_in src_a;

static struct gk_wg_handshake *lookup(void *arg, const uint8_t pub[32])
{
	struct gk_wg_handshake *hs = arg;

	return memcmp(hs->remote_static, pub, 32) ? NULL : hs;
}

static void side_init(struct side *s, const struct side *peer,
		      const uint8_t *psk)
{
	assert_int_equal(gk_wg_handshake_init(&s->hs, &s->id, peer->id.pub, psk), 0);
	assert_int_equal(gk_wg_cookie_init(&s->cookie, peer->id.pub), 0);
	assert_int_equal(gk_wg_cookie_checker_init(&s->checker, s->id.pub), 0);
}

static int setup(void **state)
{
	uint8_t k[32];

	assert_int_equal(gk_wg_genkey(k, NULL), 0);
	assert_int_equal(gk_wg_identity_init(&a.id, k), 0);
	assert_int_equal(gk_wg_genkey(k, NULL), 0);
	assert_int_equal(gk_wg_identity_init(&b.id, k), 0);
	side_init(&a, &b, NULL);
	side_init(&b, &a, NULL);
	gk_wg_tai64n(ts, 1700000000, 123456789);
	memset(&src_a, 0, sizeof(src_a));
	src_a.sin_family = AF_INET;
	src_a.sin_port = htons(51820);
	inet_pton(AF_INET, "192.0.2.1", &src_a.sin_addr);
	return 0;
}

static void make_init(struct gk_wg_msg_initiation *m, uint32_t idx,
		      const uint8_t *t, uint64_t now)
{
	assert_int_equal(gk_wg_create_initiation(&a.hs, m, idx, t), 0);
	assert_int_equal(gk_wg_cookie_add_macs(&a.cookie, m, sizeof(*m), now), 0);
}

static enum gk_wg_mac_state check(struct side *s, const void *m, size_t len,
				  bool load, struct gk_wg_ratelimiter *rl,
				  uint64_t now)
{
	return gk_wg_cookie_validate(&s->checker, m, len,
				     (const struct sockaddr *)&src_a, load, rl, now);
}

/* Full exchange; returns both keypairs. */
static void full_handshake(struct gk_wg_keypair *ka, struct gk_wg_keypair *kb,
			   const uint8_t *t, uint64_t now)
{
	struct gk_wg_msg_initiation mi;
	struct gk_wg_msg_response mr;
	struct gk_wg_handshake *found;

	make_init(&mi, 0x11223344, t, now);
	assert_int_equal(mi.type, 1);
	assert_int_equal(check(&b, &mi, sizeof(mi), false, NULL, now),
			 GK_WG_MAC_VALID_NO_COOKIE);
	assert_int_equal(gk_wg_consume_initiation(&b.id, &mi, lookup, &b.hs, now,
						  &found), 0);
	assert_ptr_equal(found, &b.hs);
	assert_int_equal(b.hs.remote_index, 0x11223344);
	assert_int_equal(gk_wg_create_response(&b.hs, &mr, 0x55667788), 0);
	assert_int_equal(gk_wg_cookie_add_macs(&b.cookie, &mr, sizeof(mr), now), 0);
	assert_int_equal(gk_wg_get_le32(&mr.receiver_le), 0x11223344);
	assert_int_equal(check(&a, &mr, sizeof(mr), false, NULL, now),
			 GK_WG_MAC_VALID_NO_COOKIE);
	assert_int_equal(gk_wg_consume_response(&a.hs, &mr), 0);
	assert_int_equal(gk_wg_begin_session(&a.hs, ka, now), 0);
	assert_int_equal(gk_wg_begin_session(&b.hs, kb, now), 0);
}

static void handshake_keys_agree(void **state)
{
	struct gk_wg_keypair ka, kb;
	uint8_t ct[64], pt[64];

	full_handshake(&ka, &kb, ts, 10 * SEC);
	assert_true(ka.initiator);
	assert_false(kb.initiator);
	assert_memory_equal(ka.send_key, kb.recv_key, 32);
	assert_memory_equal(ka.recv_key, kb.send_key, 32);
	assert_memory_not_equal(ka.send_key, ka.recv_key, 32);
	assert_int_equal(ka.local_index, 0x11223344);
	assert_int_equal(ka.remote_index, 0x55667788);
	assert_int_equal(kb.local_index, 0x55667788);
	assert_int_equal(kb.remote_index, 0x11223344);
	/* The keys work for a transport message both ways. */
	assert_int_equal(gk_wg_aead_encrypt(ct, "hello", 5, NULL, 0, 7, ka.send_key), 0);
	assert_int_equal(gk_wg_aead_decrypt(pt, ct, 21, NULL, 0, 7, kb.recv_key), 0);
	assert_memory_equal(pt, "hello", 5);
	assert_int_equal(gk_wg_aead_decrypt(pt, ct, 21, NULL, 0, 8, kb.recv_key), -EBADMSG);
	/* Both handshakes are wiped and idle again. */
	assert_int_equal(a.hs.state, GK_WG_HS_ZEROED);
	assert_int_equal(b.hs.state, GK_WG_HS_ZEROED);
}

static void second_handshake_new_keys(void **state)
{
	struct gk_wg_keypair k1a, k1b, k2a, k2b;
	uint8_t t2[GK_WG_TAI64N_LEN];

	full_handshake(&k1a, &k1b, ts, 10 * SEC);
	gk_wg_tai64n(t2, 1700000001, 0);
	full_handshake(&k2a, &k2b, t2, 11 * SEC);
	assert_memory_equal(k2a.send_key, k2b.recv_key, 32);
	assert_memory_not_equal(k1a.send_key, k2a.send_key, 32);
}

static void tampered_mac1(void **state)
{
	struct gk_wg_msg_initiation mi;

	make_init(&mi, 1, ts, SEC);
	mi.macs.mac1[0] ^= 1;
	assert_int_equal(check(&b, &mi, sizeof(mi), false, NULL, SEC), GK_WG_MAC_INVALID);
	mi.macs.mac1[0] ^= 1;
	mi.ephemeral[5] ^= 1;	/* covered by mac1 too */
	assert_int_equal(check(&b, &mi, sizeof(mi), false, NULL, SEC), GK_WG_MAC_INVALID);
	mi.ephemeral[5] ^= 1;
	assert_int_equal(check(&b, &mi, sizeof(mi), false, NULL, SEC),
			 GK_WG_MAC_VALID_NO_COOKIE);
	/* Sent to A's key, so B's mac1 key does not match it. */
	assert_int_equal(check(&a, &mi, sizeof(mi), false, NULL, SEC), GK_WG_MAC_INVALID);
	/* Wrong length is never valid. */
	assert_int_equal(check(&b, &mi, sizeof(mi) - 1, false, NULL, SEC), GK_WG_MAC_INVALID);
}

static void replayed_initiation(void **state)
{
	struct gk_wg_msg_initiation mi, mi2;
	struct gk_wg_handshake *found;
	uint8_t older[GK_WG_TAI64N_LEN];

	make_init(&mi, 1, ts, 100 * SEC);
	assert_int_equal(gk_wg_consume_initiation(&b.id, &mi, lookup, &b.hs,
						  100 * SEC, &found), 0);
	/* The very same message, long after: replay. */
	assert_int_equal(gk_wg_consume_initiation(&b.id, &mi, lookup, &b.hs,
						  200 * SEC, &found), -EALREADY);
	assert_null(found);
	/* A fresh initiation with the same TAI64N: replay too. */
	make_init(&mi2, 2, ts, 200 * SEC);
	assert_int_equal(gk_wg_consume_initiation(&b.id, &mi2, lookup, &b.hs,
						  200 * SEC, &found), -EALREADY);
	gk_wg_tai64n(older, 1699999999, 0);
	make_init(&mi2, 2, older, 200 * SEC);
	assert_int_equal(gk_wg_consume_initiation(&b.id, &mi2, lookup, &b.hs,
						  200 * SEC, &found), -EALREADY);
	/* TAI64N resolution is 2^24 ns: 10 ms later is the same label. */
	gk_wg_tai64n(older, 1700000000, 123456789 + 10000000);
	assert_memory_equal(older, ts, GK_WG_TAI64N_LEN);
}

static void initiation_flood(void **state)
{
	struct gk_wg_msg_initiation mi;
	struct gk_wg_handshake *found;
	uint8_t t[GK_WG_TAI64N_LEN];

	gk_wg_tai64n(t, 1700000000, 0);
	make_init(&mi, 1, t, SEC);
	assert_int_equal(gk_wg_consume_initiation(&b.id, &mi, lookup, &b.hs, SEC,
						  &found), 0);
	/* Newer timestamp, but only 10 ms later: over 50/s. */
	gk_wg_tai64n(t, 1700000001, 0);
	make_init(&mi, 2, t, SEC);
	assert_int_equal(gk_wg_consume_initiation(&b.id, &mi, lookup, &b.hs,
						  SEC + SEC / 100, &found), -EBUSY);
	assert_int_equal(gk_wg_consume_initiation(&b.id, &mi, lookup, &b.hs,
						  SEC + SEC / 50, &found), 0);
}

static void unknown_or_wrong_static(void **state)
{
	struct gk_wg_identity c;
	struct gk_wg_handshake chs, *found;
	struct gk_wg_msg_initiation mi;
	struct gk_wg_msg_response mr;
	uint8_t k[32];

	/* C, unknown to B, initiates to B. */
	assert_int_equal(gk_wg_genkey(k, NULL), 0);
	assert_int_equal(gk_wg_identity_init(&c, k), 0);
	assert_int_equal(gk_wg_handshake_init(&chs, &c, b.id.pub, NULL), 0);
	assert_int_equal(gk_wg_create_initiation(&chs, &mi, 9, ts), 0);
	assert_int_equal(gk_wg_consume_initiation(&b.id, &mi, lookup, &b.hs, SEC,
						  &found), -ENOENT);
	/* A initiates to C, but C's message arrives at B: cannot decrypt. */
	assert_int_equal(gk_wg_handshake_init(&chs, &a.id, c.pub, NULL), 0);
	assert_int_equal(gk_wg_create_initiation(&chs, &mi, 9, ts), 0);
	assert_int_equal(gk_wg_consume_initiation(&b.id, &mi, lookup, &b.hs, SEC,
						  &found), -EBADMSG);
	/* Tampered static ciphertext. */
	make_init(&mi, 3, ts, SEC);
	mi.static_enc[0] ^= 0x40;
	assert_int_equal(gk_wg_consume_initiation(&b.id, &mi, lookup, &b.hs, SEC,
						  &found), -EBADMSG);
	/* Tampered response, and a response to the wrong index. */
	make_init(&mi, 3, ts, SEC);
	assert_int_equal(gk_wg_consume_initiation(&b.id, &mi, lookup, &b.hs, SEC,
						  &found), 0);
	assert_int_equal(gk_wg_create_response(&b.hs, &mr, 4), 0);
	mr.empty_enc[3] ^= 1;
	assert_int_equal(gk_wg_consume_response(&a.hs, &mr), -EBADMSG);
	mr.empty_enc[3] ^= 1;
	gk_wg_put_le32(&mr.receiver_le, 99);
	assert_int_equal(gk_wg_consume_response(&a.hs, &mr), -EINVAL);
	gk_wg_put_le32(&mr.receiver_le, 3);
	assert_int_equal(gk_wg_consume_response(&a.hs, &mr), 0);
	/* A response cannot be consumed twice. */
	assert_int_equal(gk_wg_consume_response(&a.hs, &mr), -EINVAL);
	gk_wg_identity_clear(&c);
	gk_wg_handshake_clear(&chs);
}

static void psk_mismatch(void **state)
{
	struct gk_wg_msg_initiation mi;
	struct gk_wg_msg_response mr;
	struct gk_wg_handshake *found;
	struct gk_wg_keypair ka, kb;
	uint8_t psk[32];

	memset(psk, 0x5a, sizeof(psk));
	side_init(&a, &b, psk);
	make_init(&mi, 5, ts, SEC);
	assert_int_equal(gk_wg_consume_initiation(&b.id, &mi, lookup, &b.hs, SEC,
						  &found), 0);
	assert_int_equal(gk_wg_create_response(&b.hs, &mr, 6), 0);
	assert_int_equal(gk_wg_consume_response(&a.hs, &mr), -EBADMSG);
	/* Same psk on both sides works. */
	side_init(&b, &a, psk);
	full_handshake(&ka, &kb, ts, SEC);
	assert_memory_equal(ka.send_key, kb.recv_key, 32);
}

static void cookie_under_load(void **state)
{
	struct gk_wg_ratelimiter *rl;
	struct gk_wg_msg_initiation mi;
	struct gk_wg_msg_cookie mc;
	struct gk_wg_handshake *found;
	uint64_t now = 1000 * SEC;
	struct sockaddr_in other = src_a;

	assert_int_equal(gk_wg_ratelimiter_new(&rl), 0);
	make_init(&mi, 7, ts, now);
	/* No cookie yet: mac2 is zero and, under load, not enough. */
	assert_int_equal(check(&b, &mi, sizeof(mi), true, rl, now),
			 GK_WG_MAC_VALID_NO_COOKIE);
	assert_int_equal(gk_wg_cookie_reply_create(&b.checker, &mc, &mi, sizeof(mi),
						   (struct sockaddr *)&src_a, now), 0);
	assert_int_equal(sizeof(mc), 64);
	assert_int_equal(mc.type, 3);
	assert_int_equal(gk_wg_get_le32(&mc.receiver_le), 7);

	/* Tampered cookie reply is refused and leaves no cookie. */
	mc.cookie_enc[0] ^= 1;
	assert_int_equal(gk_wg_cookie_reply_consume(&a.cookie, &mc, now), -EBADMSG);
	assert_false(a.cookie.valid);
	mc.cookie_enc[0] ^= 1;
	assert_int_equal(gk_wg_cookie_reply_consume(&a.cookie, &mc, now), 0);
	assert_true(a.cookie.valid);
	/* Only one reply per mac1 we sent. */
	assert_int_equal(gk_wg_cookie_reply_consume(&a.cookie, &mc, now), -EINVAL);

	/* Retry carries mac2 and is accepted under load. */
	make_init(&mi, 8, ts, now + SEC);
	assert_int_equal(check(&b, &mi, sizeof(mi), true, rl, now + SEC),
			 GK_WG_MAC_VALID_COOKIE);
	assert_int_equal(gk_wg_consume_initiation(&b.id, &mi, lookup, &b.hs,
						  now + SEC, &found), 0);
	/* The cookie is bound to the source address and port. */
	other.sin_port = htons(51821);
	assert_int_equal(gk_wg_cookie_validate(&b.checker, &mi, sizeof(mi),
					       (struct sockaddr *)&other, true,
					       rl, now + SEC),
			 GK_WG_MAC_VALID_NO_COOKIE);
	/* Past 120 s the responder's secret rotates: the cookie stops working. */
	assert_int_equal(check(&b, &mi, sizeof(mi), true, rl, now + 121 * SEC),
			 GK_WG_MAC_VALID_NO_COOKIE);
	/* And the initiator stops sending mac2 after 115 s. */
	make_init(&mi, 9, ts, now + 116 * SEC);
	assert_int_equal(mi.macs.mac2[0] | mi.macs.mac2[7] | mi.macs.mac2[15], 0);
	gk_wg_ratelimiter_free(rl);
}

static void ratelimited_with_cookie(void **state)
{
	struct gk_wg_ratelimiter *rl;
	struct gk_wg_msg_initiation mi;
	struct gk_wg_msg_cookie mc;
	uint64_t now = 5000 * SEC;
	int i, ok = 0;

	assert_int_equal(gk_wg_ratelimiter_new(&rl), 0);
	make_init(&mi, 7, ts, now);
	assert_int_equal(gk_wg_cookie_reply_create(&b.checker, &mc, &mi, sizeof(mi),
						   (struct sockaddr *)&src_a, now), 0);
	assert_int_equal(gk_wg_cookie_reply_consume(&a.cookie, &mc, now), 0);
	make_init(&mi, 8, ts, now);
	/* Burst of 5 at one instant, then refused. */
	for (i = 0; i < 8; i++)
		ok += check(&b, &mi, sizeof(mi), true, rl, now) == GK_WG_MAC_VALID_COOKIE;
	assert_int_equal(ok, GK_WG_RL_PACKETS_BURST);
	assert_int_equal(check(&b, &mi, sizeof(mi), true, rl, now),
			 GK_WG_MAC_VALID_COOKIE_RATELIMITED);
	/* One token per 50 ms comes back. */
	assert_int_equal(check(&b, &mi, sizeof(mi), true, rl, now + SEC / 20),
			 GK_WG_MAC_VALID_COOKIE);
	assert_int_equal(check(&b, &mi, sizeof(mi), true, rl, now + SEC / 20),
			 GK_WG_MAC_VALID_COOKIE_RATELIMITED);
	gk_wg_ratelimiter_free(rl);
}

static void ratelimiter_sources(void **state)
{
	struct gk_wg_ratelimiter *rl;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = src_a;
	uint64_t now = SEC;
	int i;

	assert_int_equal(gk_wg_ratelimiter_new(&rl), 0);
	for (i = 0; i < GK_WG_RL_PACKETS_BURST; i++)
		assert_true(gk_wg_ratelimiter_allow(rl, (struct sockaddr *)&s4, now));
	assert_false(gk_wg_ratelimiter_allow(rl, (struct sockaddr *)&s4, now));
	/* Another port of the same address shares the bucket. */
	s4.sin_port = htons(1);
	assert_false(gk_wg_ratelimiter_allow(rl, (struct sockaddr *)&s4, now));
	/* Another address does not. */
	inet_pton(AF_INET, "192.0.2.2", &s4.sin_addr);
	assert_true(gk_wg_ratelimiter_allow(rl, (struct sockaddr *)&s4, now));
	/* IPv6: one bucket per /64. */
	inet_pton(AF_INET6, "2001:db8:1:2::1", &s6.sin6_addr);
	for (i = 0; i < GK_WG_RL_PACKETS_BURST; i++)
		assert_true(gk_wg_ratelimiter_allow(rl, (struct sockaddr *)&s6, now));
	inet_pton(AF_INET6, "2001:db8:1:2:ffff::9", &s6.sin6_addr);
	assert_false(gk_wg_ratelimiter_allow(rl, (struct sockaddr *)&s6, now));
	inet_pton(AF_INET6, "2001:db8:1:3::1", &s6.sin6_addr);
	assert_true(gk_wg_ratelimiter_allow(rl, (struct sockaddr *)&s6, now));
	/* A full second refills the burst. */
	inet_pton(AF_INET6, "2001:db8:1:2::1", &s6.sin6_addr);
	for (i = 0; i < GK_WG_RL_PACKETS_BURST; i++)
		assert_true(gk_wg_ratelimiter_allow(rl, (struct sockaddr *)&s6, now + SEC));
	gk_wg_ratelimiter_free(rl);
}

static void tai64n_layout(void **state)
{
	static const uint8_t want[12] = {
		0x40, 0, 0, 0, 0x65, 0x53, 0xf1, 0x0a,	/* 2^62 + 10 + 1700000000 */
		0x07, 0x00, 0x00, 0x00,			/* 123456789 & ~(2^24-1) */
	};
	uint8_t t[12];

	gk_wg_tai64n(t, 1700000000, 123456789);
	assert_memory_equal(t, want, 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(handshake_keys_agree, setup),
		cmocka_unit_test_setup(second_handshake_new_keys, setup),
		cmocka_unit_test_setup(tampered_mac1, setup),
		cmocka_unit_test_setup(replayed_initiation, setup),
		cmocka_unit_test_setup(initiation_flood, setup),
		cmocka_unit_test_setup(unknown_or_wrong_static, setup),
		cmocka_unit_test_setup(psk_mismatch, setup),
		cmocka_unit_test_setup(cookie_under_load, setup),
		cmocka_unit_test_setup(ratelimited_with_cookie, setup),
		cmocka_unit_test_setup(ratelimiter_sources, setup),
		cmocka_unit_test_setup(tai64n_layout, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
