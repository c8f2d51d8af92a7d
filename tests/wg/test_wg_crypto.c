// SPDX-License-Identifier: BSD-3-Clause
/*
 * Published vectors for the handshake primitives: RFC 7693 Appendix B and
 * the BLAKE2 keyed KAT, draft-irtf-cfrg-xchacha-03 §2.2.1 and §A.3.1,
 * RFC 7748 §6.1. HMAC/HKDF values were computed with Python's hashlib/hmac
 * (an independent implementation), including WireGuard's well-known
 * initial chaining key.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"

static size_t unhex(uint8_t *out, const char *hex)
{
	size_t n = 0;

	for (; hex[0] && hex[1]; hex += 2) {
		unsigned int b;

		sscanf(hex, "%2x", &b);
		out[n++] = (uint8_t)b;
	}
	return n;
}

static void assert_hex(const uint8_t *got, const char *want_hex)
{
	uint8_t want[512];
	size_t n = unhex(want, want_hex);

	assert_memory_equal(got, want, n);
}

static void seq(uint8_t *p, size_t n, uint8_t first)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

static void blake2s_abc(void **state)
{
	uint8_t out[32];

	assert_int_equal(gk_wg_hash(out, "abc", 3, NULL, 0), 0);
	assert_hex(out, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
	/* Split input must hash like the concatenation. */
	assert_int_equal(gk_wg_hash(out, "a", 1, "bc", 2), 0);
	assert_hex(out, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
}

static void blake2s_keyed_kat(void **state)
{
	uint8_t key[32], out[32], in[1] = { 0 };

	seq(key, 32, 0);
	assert_int_equal(gk_wg_blake2s_keyed(out, 32, key, 32, in, 0), 0);
	assert_hex(out, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49");
	assert_int_equal(gk_wg_blake2s_keyed(out, 32, key, 32, in, 1), 0);
	assert_hex(out, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1");
	/* 16-byte output is a different parameter block, not a truncation. */
	assert_int_equal(gk_wg_mac(out, key, "abc", 3), 0);
	assert_hex(out, "61ba5f165c194692e09d12520cc4c74a");
}

static void hmac_hkdf_chain(void **state)
{
	static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
	static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
	uint8_t key[32], ck[32], h[32], o1[32], o2[32], o3[32], t[32];

	seq(key, 32, 0);
	assert_int_equal(gk_wg_hmac(t, key, 32, "abc", 3), 0);
	assert_hex(t, "82623be5bc0a391b24dce53e67d028eff92d586de0485ac37822e597d049c74f");

	assert_int_equal(gk_wg_hash(ck, construction, strlen(construction), NULL, 0), 0);
	assert_hex(ck, "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
	assert_int_equal(gk_wg_hash(h, ck, 32, identifier, strlen(identifier)), 0);
	assert_hex(h, "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");

	assert_int_equal(gk_wg_kdf(o1, o2, o3, ck, "genkan", 6), 0);
	assert_hex(o1, "056d5d6679fa6ce075f540c2421efd6de2353471726ced6fe439815079560f8e");
	assert_hex(o2, "64dbb65328a1ea675f18bf368a622170a8e662ef9080750cbb275074543546ea");
	assert_hex(o3, "d27e3c7b29b99e9e70ab41e0786318173dd112ce947d08163525b54009033fbd");
	/* KDF1/KDF2 are prefixes of KDF3, and output may alias the key. */
	memcpy(t, ck, 32);
	assert_int_equal(gk_wg_kdf(t, o2, NULL, t, "genkan", 6), 0);
	assert_memory_equal(t, o1, 32);
}

static void hchacha20_vector(void **state)
{
	uint8_t key[32], nonce[16], out[32];

	seq(key, 32, 0);
	unhex(nonce, "000000090000004a0000000031415927");
	gk_wg_hchacha20(out, key, nonce);
	assert_hex(out, "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
}

static const char xct[] =
	"bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
	"731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
	"2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
	"21f9664c97637da9768812f615c68b13b52e"
	"c0875924c1c7987947deafd8780acf49";

static void xchacha_vector(void **state)
{
	static const char pt[] = "Ladies and Gentlemen of the class of '99: If I could "
		"offer you only one tip for the future, sunscreen would be it.";
	uint8_t key[32], nonce[24], aad[12], ct[256], back[256];
	size_t n = strlen(pt);

	seq(key, 32, 0x80);
	seq(nonce, 24, 0x40);
	unhex(aad, "50515253c0c1c2c3c4c5c6c7");
	assert_int_equal(n, 114);
	assert_int_equal(gk_wg_xaead_encrypt(ct, pt, n, aad, 12, nonce, key), 0);
	assert_hex(ct, xct);
	assert_int_equal(gk_wg_xaead_decrypt(back, ct, n + 16, aad, 12, nonce, key), 0);
	assert_memory_equal(back, pt, n);
	/* In place, as the cookie code does not but callers may. */
	assert_int_equal(gk_wg_xaead_decrypt(ct, ct, n + 16, aad, 12, nonce, key), 0);
	assert_memory_equal(ct, pt, n);

	/* Any flipped bit, in ciphertext, tag or AAD, must be refused. */
	unhex(ct, xct);
	ct[3] ^= 1;
	assert_int_equal(gk_wg_xaead_decrypt(back, ct, n + 16, aad, 12, nonce, key), -EBADMSG);
	ct[3] ^= 1;
	ct[n + 15] ^= 0x80;
	assert_int_equal(gk_wg_xaead_decrypt(back, ct, n + 16, aad, 12, nonce, key), -EBADMSG);
	ct[n + 15] ^= 0x80;
	aad[0] ^= 1;
	assert_int_equal(gk_wg_xaead_decrypt(back, ct, n + 16, aad, 12, nonce, key), -EBADMSG);
	aad[0] ^= 1;
	assert_int_equal(gk_wg_xaead_decrypt(back, ct, 15, aad, 12, nonce, key), -EBADMSG);
}

/* RFC 8439 §2.8.2, through the WireGuard counter nonce helper's sibling. */
static void chachapoly_rfc8439(void **state)
{
	static const char pt[] = "Ladies and Gentlemen of the class of '99: If I could "
		"offer you only one tip for the future, sunscreen would be it.";
	uint8_t key[32], nonce[12], aad[12], ct[256];

	seq(key, 32, 0x80);
	unhex(nonce, "070000004041424344454647");
	unhex(aad, "50515253c0c1c2c3c4c5c6c7");
	assert_int_equal(gk_wg_chachapoly_seal(ct, pt, strlen(pt), aad, 12, nonce, key), 0);
	assert_hex(ct, "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6");
	assert_hex(ct + strlen(pt), "1ae10b594f09e26a7e902ecbd0600691");
}

/* WireGuard nonce: 32 zero bits then the little-endian counter. */
static void wg_nonce_layout(void **state)
{
	uint8_t key[32], n[12] = { 0 }, a[32], b[32];

	seq(key, 32, 1);
	n[4] = 0x08;
	n[5] = 0x07;
	n[11] = 0x01;
	assert_int_equal(gk_wg_aead_encrypt(a, "0123456789abcdef", 16, NULL, 0,
					    0x0100000000000708ull, key), 0);
	assert_int_equal(gk_wg_chachapoly_seal(b, "0123456789abcdef", 16, NULL, 0,
					       n, key), 0);
	assert_memory_equal(a, b, 32);
}

static void x25519_rfc7748(void **state)
{
	uint8_t a[32], b[32], pa[32], pb[32], s1[32], s2[32], zero[32] = { 0 };

	unhex(a, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	unhex(b, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	assert_int_equal(gk_wg_pubkey(pa, a), 0);
	assert_hex(pa, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	assert_int_equal(gk_wg_pubkey(pb, b), 0);
	assert_hex(pb, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	assert_int_equal(gk_wg_dh(s1, a, pb), 0);
	assert_int_equal(gk_wg_dh(s2, b, pa), 0);
	assert_hex(s1, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	assert_memory_equal(s1, s2, 32);
	/* Low-order point (u = 0): must be refused, not give a zero key. */
	assert_int_equal(gk_wg_dh(s1, a, zero), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blake2s_abc),
		cmocka_unit_test(blake2s_keyed_kat),
		cmocka_unit_test(hmac_hkdf_chain),
		cmocka_unit_test(hchacha20_vector),
		cmocka_unit_test(xchacha_vector),
		cmocka_unit_test(chachapoly_rfc8439),
		cmocka_unit_test(wg_nonce_layout),
		cmocka_unit_test(x25519_rfc7748),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
