// SPDX-License-Identifier: BSD-3-Clause
/*
 * WireGuard handshake, whitepaper §5.4. Each consume function works on local
 * copies and commits to the handshake only once everything authenticated,
 * so a forged message never disturbs a handshake in progress.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "noise.h"

static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";

/* §5.4.1: Ci = HASH(CONSTRUCTION), Hi = HASH(Ci || IDENTIFIER) || S_r. */
static int handshake_start(uint8_t ck[GK_WG_HASH_LEN], uint8_t hash[GK_WG_HASH_LEN],
			   const uint8_t responder_static[GK_WG_KEY_LEN])
{
	int ret;

	ret = gk_wg_hash(ck, construction, sizeof(construction) - 1, NULL, 0);
	if (!ret)
		ret = gk_wg_hash(hash, ck, GK_WG_HASH_LEN, identifier,
				 sizeof(identifier) - 1);
	if (!ret)
		ret = gk_wg_hash(hash, hash, GK_WG_HASH_LEN, responder_static,
				 GK_WG_KEY_LEN);
	return ret;
}

static int mix_hash(uint8_t hash[GK_WG_HASH_LEN], const void *in, size_t len)
{
	return gk_wg_hash(hash, hash, GK_WG_HASH_LEN, in, len);
}

/* Ci = KDF1(Ci, E_pub); Hi = HASH(Hi || E_pub) */
static int mix_ephemeral(uint8_t ck[GK_WG_HASH_LEN], uint8_t hash[GK_WG_HASH_LEN],
			 const uint8_t eph[GK_WG_KEY_LEN])
{
	int ret = mix_hash(hash, eph, GK_WG_KEY_LEN);

	if (!ret)
		ret = gk_wg_kdf(ck, NULL, NULL, ck, eph, GK_WG_KEY_LEN);
	return ret;
}

/* (Ci, k) = KDF2(Ci, DH(priv, pub)); key may be NULL for KDF1. */
static int mix_dh(uint8_t ck[GK_WG_HASH_LEN], uint8_t *key,
		  const uint8_t priv[GK_WG_KEY_LEN], const uint8_t pub[GK_WG_KEY_LEN])
{
	uint8_t dh[GK_WG_KEY_LEN];
	int ret;

	ret = gk_wg_dh(dh, priv, pub);
	if (!ret)
		ret = gk_wg_kdf(ck, key, NULL, ck, dh, sizeof(dh));
	explicit_bzero(dh, sizeof(dh));
	return ret;
}

static int mix_precomputed(uint8_t ck[GK_WG_HASH_LEN], uint8_t key[GK_WG_KEY_LEN],
			   const uint8_t ss[GK_WG_KEY_LEN])
{
	static const uint8_t zero[GK_WG_KEY_LEN];

	if (!CRYPTO_memcmp(ss, zero, GK_WG_KEY_LEN))
		return -EINVAL;
	return gk_wg_kdf(ck, key, NULL, ck, ss, GK_WG_KEY_LEN);
}

/* (Cr, t, k) = KDF3(Cr, Q); Hr = HASH(Hr || t) */
static int mix_psk(uint8_t ck[GK_WG_HASH_LEN], uint8_t hash[GK_WG_HASH_LEN],
		   uint8_t key[GK_WG_KEY_LEN], const uint8_t psk[GK_WG_KEY_LEN])
{
	uint8_t t[GK_WG_HASH_LEN];
	int ret;

	ret = gk_wg_kdf(ck, t, key, ck, psk, GK_WG_KEY_LEN);
	if (!ret)
		ret = mix_hash(hash, t, sizeof(t));
	explicit_bzero(t, sizeof(t));
	return ret;
}

/* msg = AEAD(k, 0, plain, H); H = HASH(H || msg) */
static int encrypt_and_hash(uint8_t *dst, const void *src, size_t len,
			    const uint8_t key[GK_WG_KEY_LEN],
			    uint8_t hash[GK_WG_HASH_LEN])
{
	int ret = gk_wg_aead_encrypt(dst, src, len, hash, GK_WG_HASH_LEN, 0, key);

	if (!ret)
		ret = mix_hash(hash, dst, len + GK_WG_AEAD_TAG_LEN);
	return ret;
}

static int decrypt_and_hash(uint8_t *dst, const uint8_t *src, size_t len,
			    const uint8_t key[GK_WG_KEY_LEN],
			    uint8_t hash[GK_WG_HASH_LEN])
{
	int ret = gk_wg_aead_decrypt(dst, src, len, hash, GK_WG_HASH_LEN, 0, key);

	if (!ret)
		ret = mix_hash(hash, src, len);
	return ret;
}

int gk_wg_identity_init(struct gk_wg_identity *id, const uint8_t priv[GK_WG_KEY_LEN])
{
	memcpy(id->priv, priv, GK_WG_KEY_LEN);
	gk_wg_clamp(id->priv);
	return gk_wg_pubkey(id->pub, id->priv);
}

void gk_wg_identity_clear(struct gk_wg_identity *id)
{
	explicit_bzero(id, sizeof(*id));
}

int gk_wg_handshake_init(struct gk_wg_handshake *hs,
			 const struct gk_wg_identity *local,
			 const uint8_t remote_static[GK_WG_KEY_LEN],
			 const uint8_t psk[GK_WG_KEY_LEN])
{
	int ret;

	memset(hs, 0, sizeof(*hs));
	hs->local = local;
	memcpy(hs->remote_static, remote_static, GK_WG_KEY_LEN);
	if (psk)
		memcpy(hs->psk, psk, GK_WG_KEY_LEN);
	ret = gk_wg_dh(hs->precomputed_ss, local->priv, remote_static);
	/* A low-order peer key leaves ss zero; mix_precomputed refuses it. */
	if (ret == -EINVAL)
		ret = 0;
	return ret;
}

void gk_wg_handshake_clear(struct gk_wg_handshake *hs)
{
	explicit_bzero(hs, sizeof(*hs));
}

/* Forgets the session-in-progress, keeps peer identity and replay state. */
static void handshake_zero(struct gk_wg_handshake *hs)
{
	explicit_bzero(hs->ephemeral_priv, sizeof(hs->ephemeral_priv));
	explicit_bzero(hs->remote_ephemeral, sizeof(hs->remote_ephemeral));
	explicit_bzero(hs->hash, sizeof(hs->hash));
	explicit_bzero(hs->ck, sizeof(hs->ck));
	hs->remote_index = 0;
	hs->state = GK_WG_HS_ZEROED;
}

/* https://cr.yp.to/libtai/tai64.html: 2^62 + 10 s offset, then ns. */
void gk_wg_tai64n(uint8_t out[GK_WG_TAI64N_LEN], int64_t sec, long nsec)
{
	uint64_t label = 0x400000000000000aULL + (uint64_t)sec;
	uint32_t ns = (uint32_t)nsec & ~((1u << 24) - 1);
	int i;

	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)(label >> (56 - 8 * i));
	for (i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(ns >> (24 - 8 * i));
}

int gk_wg_create_initiation(struct gk_wg_handshake *hs,
			    struct gk_wg_msg_initiation *msg, uint32_t local_index,
			    const uint8_t timestamp[GK_WG_TAI64N_LEN])
{
	uint8_t key[GK_WG_KEY_LEN], eph_pub[GK_WG_KEY_LEN];
	int ret;

	memset(msg, 0, sizeof(*msg));
	msg->type = GK_WG_MSG_INITIATION;
	gk_wg_put_le32(&msg->sender_le, local_index);

	ret = handshake_start(hs->ck, hs->hash, hs->remote_static);
	if (ret)
		goto err;
	ret = gk_wg_genkey(hs->ephemeral_priv, eph_pub);
	if (ret)
		goto err;
	memcpy(msg->ephemeral, eph_pub, GK_WG_KEY_LEN);
	ret = mix_ephemeral(hs->ck, hs->hash, eph_pub);
	if (ret)
		goto err;
	/* es */
	ret = mix_dh(hs->ck, key, hs->ephemeral_priv, hs->remote_static);
	if (ret)
		goto err;
	ret = encrypt_and_hash(msg->static_enc, hs->local->pub, GK_WG_KEY_LEN,
			       key, hs->hash);
	if (ret)
		goto err;
	/* ss */
	ret = mix_precomputed(hs->ck, key, hs->precomputed_ss);
	if (ret)
		goto err;
	ret = encrypt_and_hash(msg->timestamp_enc, timestamp, GK_WG_TAI64N_LEN,
			       key, hs->hash);
	if (ret)
		goto err;
	hs->local_index = local_index;
	hs->state = GK_WG_HS_CREATED_INITIATION;
	explicit_bzero(key, sizeof(key));
	return 0;
err:
	explicit_bzero(key, sizeof(key));
	handshake_zero(hs);
	return ret;
}

int gk_wg_consume_initiation(const struct gk_wg_identity *local,
			     const struct gk_wg_msg_initiation *msg,
			     gk_wg_peer_lookup_fn lookup, void *arg,
			     uint64_t now_ns, struct gk_wg_handshake **out)
{
	uint8_t ck[GK_WG_HASH_LEN], hash[GK_WG_HASH_LEN], key[GK_WG_KEY_LEN];
	uint8_t s[GK_WG_KEY_LEN], t[GK_WG_TAI64N_LEN];
	struct gk_wg_handshake *hs;
	int ret;

	*out = NULL;
	if (msg->type != GK_WG_MSG_INITIATION)
		return -EINVAL;
	ret = handshake_start(ck, hash, local->pub);
	if (ret)
		goto out;
	ret = mix_ephemeral(ck, hash, msg->ephemeral);
	if (ret)
		goto out;
	/* es */
	ret = mix_dh(ck, key, local->priv, msg->ephemeral);
	if (ret)
		goto out;
	ret = decrypt_and_hash(s, msg->static_enc, sizeof(msg->static_enc),
			       key, hash);
	if (ret)
		goto out;
	hs = lookup(arg, s);
	if (!hs) {
		ret = -ENOENT;
		goto out;
	}
	/* ss */
	ret = mix_precomputed(ck, key, hs->precomputed_ss);
	if (ret)
		goto out;
	ret = decrypt_and_hash(t, msg->timestamp_enc, sizeof(msg->timestamp_enc),
			       key, hash);
	if (ret)
		goto out;
	/* §5.1: TAI64N is big-endian, so byte order is time order. */
	if (memcmp(t, hs->latest_timestamp, GK_WG_TAI64N_LEN) <= 0) {
		ret = -EALREADY;
		goto out;
	}
	if (hs->last_initiation_consumption_ns &&
	    now_ns - hs->last_initiation_consumption_ns <
	    1000000000ull / GK_WG_INITIATIONS_PER_SECOND) {
		ret = -EBUSY;
		goto out;
	}

	memcpy(hs->remote_ephemeral, msg->ephemeral, GK_WG_KEY_LEN);
	memcpy(hs->latest_timestamp, t, GK_WG_TAI64N_LEN);
	memcpy(hs->hash, hash, GK_WG_HASH_LEN);
	memcpy(hs->ck, ck, GK_WG_HASH_LEN);
	explicit_bzero(hs->ephemeral_priv, sizeof(hs->ephemeral_priv));
	hs->remote_index = gk_wg_get_le32(&msg->sender_le);
	hs->last_initiation_consumption_ns = now_ns;
	hs->state = GK_WG_HS_CONSUMED_INITIATION;
	*out = hs;
out:
	explicit_bzero(ck, sizeof(ck));
	explicit_bzero(hash, sizeof(hash));
	explicit_bzero(key, sizeof(key));
	explicit_bzero(s, sizeof(s));
	explicit_bzero(t, sizeof(t));
	return ret;
}

int gk_wg_create_response(struct gk_wg_handshake *hs,
			  struct gk_wg_msg_response *msg, uint32_t local_index)
{
	uint8_t key[GK_WG_KEY_LEN], eph_pub[GK_WG_KEY_LEN];
	int ret;

	if (hs->state != GK_WG_HS_CONSUMED_INITIATION)
		return -EINVAL;
	memset(msg, 0, sizeof(*msg));
	msg->type = GK_WG_MSG_RESPONSE;
	gk_wg_put_le32(&msg->sender_le, local_index);
	gk_wg_put_le32(&msg->receiver_le, hs->remote_index);

	ret = gk_wg_genkey(hs->ephemeral_priv, eph_pub);
	if (ret)
		goto err;
	memcpy(msg->ephemeral, eph_pub, GK_WG_KEY_LEN);
	ret = mix_ephemeral(hs->ck, hs->hash, eph_pub);
	if (ret)
		goto err;
	/* ee, se */
	ret = mix_dh(hs->ck, NULL, hs->ephemeral_priv, hs->remote_ephemeral);
	if (ret)
		goto err;
	ret = mix_dh(hs->ck, NULL, hs->ephemeral_priv, hs->remote_static);
	if (ret)
		goto err;
	ret = mix_psk(hs->ck, hs->hash, key, hs->psk);
	if (ret)
		goto err;
	ret = encrypt_and_hash(msg->empty_enc, NULL, 0, key, hs->hash);
	if (ret)
		goto err;
	hs->local_index = local_index;
	hs->state = GK_WG_HS_CREATED_RESPONSE;
	explicit_bzero(key, sizeof(key));
	return 0;
err:
	explicit_bzero(key, sizeof(key));
	handshake_zero(hs);
	return ret;
}

int gk_wg_consume_response(struct gk_wg_handshake *hs,
			   const struct gk_wg_msg_response *msg)
{
	uint8_t ck[GK_WG_HASH_LEN], hash[GK_WG_HASH_LEN], key[GK_WG_KEY_LEN];
	uint8_t empty[1];
	int ret;

	if (msg->type != GK_WG_MSG_RESPONSE ||
	    hs->state != GK_WG_HS_CREATED_INITIATION ||
	    gk_wg_get_le32(&msg->receiver_le) != hs->local_index)
		return -EINVAL;
	memcpy(ck, hs->ck, sizeof(ck));
	memcpy(hash, hs->hash, sizeof(hash));

	ret = mix_ephemeral(ck, hash, msg->ephemeral);
	if (ret)
		goto out;
	/* ee, se */
	ret = mix_dh(ck, NULL, hs->ephemeral_priv, msg->ephemeral);
	if (ret)
		goto out;
	ret = mix_dh(ck, NULL, hs->local->priv, msg->ephemeral);
	if (ret)
		goto out;
	ret = mix_psk(ck, hash, key, hs->psk);
	if (ret)
		goto out;
	ret = decrypt_and_hash(empty, msg->empty_enc, sizeof(msg->empty_enc),
			       key, hash);
	if (ret)
		goto out;

	memcpy(hs->remote_ephemeral, msg->ephemeral, GK_WG_KEY_LEN);
	memcpy(hs->ck, ck, sizeof(ck));
	memcpy(hs->hash, hash, sizeof(hash));
	hs->remote_index = gk_wg_get_le32(&msg->sender_le);
	hs->state = GK_WG_HS_CONSUMED_RESPONSE;
out:
	explicit_bzero(ck, sizeof(ck));
	explicit_bzero(hash, sizeof(hash));
	explicit_bzero(key, sizeof(key));
	return ret;
}

int gk_wg_begin_session(struct gk_wg_handshake *hs, struct gk_wg_keypair *kp,
			uint64_t now_ns)
{
	uint8_t *first, *second;
	int ret;

	if (hs->state != GK_WG_HS_CONSUMED_RESPONSE &&
	    hs->state != GK_WG_HS_CREATED_RESPONSE)
		return -EINVAL;
	memset(kp, 0, sizeof(*kp));
	kp->initiator = hs->state == GK_WG_HS_CONSUMED_RESPONSE;
	/* (T_send_i, T_recv_i) = KDF2(Ci, e); the responder swaps them. */
	first = kp->initiator ? kp->send_key : kp->recv_key;
	second = kp->initiator ? kp->recv_key : kp->send_key;
	ret = gk_wg_kdf(first, second, NULL, hs->ck, NULL, 0);
	if (ret) {
		explicit_bzero(kp, sizeof(*kp));
		goto out;
	}
	kp->local_index = hs->local_index;
	kp->remote_index = hs->remote_index;
	kp->birth_ns = now_ns;
out:
	handshake_zero(hs);
	return ret;
}
