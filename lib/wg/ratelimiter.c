// SPDX-License-Identifier: BSD-3-Clause
/* Handshake rate limiter; follows drivers/net/wireguard/ratelimiter.c. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "ratelimiter.h"

#define NSEC_PER_SEC	1000000000ull
#define PACKET_COST	(NSEC_PER_SEC / GK_WG_RL_PACKETS_PER_SECOND)
#define TOKEN_MAX	(PACKET_COST * GK_WG_RL_PACKETS_BURST)
/* An idle bucket refills within this: its slot can be reused. */
#define IDLE_NS		NSEC_PER_SEC

int gk_wg_ratelimiter_new(struct gk_wg_ratelimiter **out)
{
	struct gk_wg_ratelimiter *rl;
	int ret;

	rl = calloc(1, sizeof(*rl));
	if (!rl)
		return -ENOMEM;
	/* A secret seed keeps attackers from aiming at one set. */
	ret = gk_wg_random(rl->seed, sizeof(rl->seed));
	if (ret) {
		free(rl);
		return ret;
	}
	*out = rl;
	return 0;
}

void gk_wg_ratelimiter_free(struct gk_wg_ratelimiter *rl)
{
	free(rl);
}

static bool make_key(uint8_t key[9], const struct sockaddr *sa)
{
	memset(key, 0, 9);
	if (sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		/* One /64 is one subscriber: limit it as a whole. */
		key[0] = 6;
		memcpy(key + 1, &((const struct sockaddr_in6 *)sa)->sin6_addr, 8);
		return true;
	}
	return false;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static unsigned int set_of(const struct gk_wg_ratelimiter *rl, const uint8_t key[9])
{
	uint64_t a = 0, b = key[8];

	memcpy(&a, key, 8);
	return (unsigned int)(mix64(mix64(a ^ rl->seed[0]) ^ b ^ rl->seed[1]) %
			      GK_WG_RL_SETS);
}

bool gk_wg_ratelimiter_allow(struct gk_wg_ratelimiter *rl,
			     const struct sockaddr *src, uint64_t now_ns)
{
	struct gk_wg_rl_entry *set, *e, *free_slot = NULL;
	uint8_t key[9];
	uint64_t tokens;
	int i;

	if (!make_key(key, src))
		return false;
	/* 0 marks a free slot: never store it as a time. */
	if (!now_ns)
		now_ns = 1;
	set = rl->e[set_of(rl, key)];
	for (i = 0; i < GK_WG_RL_WAYS; i++) {
		e = &set[i];
		if (e->last_ns && !memcmp(e->key, key, sizeof(key))) {
			tokens = e->tokens + (now_ns - e->last_ns);
			if (tokens > TOKEN_MAX)
				tokens = TOKEN_MAX;
			e->last_ns = now_ns;
			if (tokens < PACKET_COST) {
				e->tokens = tokens;
				return false;
			}
			e->tokens = tokens - PACKET_COST;
			return true;
		}
		if (!free_slot && (!e->last_ns || now_ns - e->last_ns > IDLE_NS))
			free_slot = e;
	}
	if (!free_slot)
		return false;
	memcpy(free_slot->key, key, sizeof(key));
	free_slot->last_ns = now_ns;
	free_slot->tokens = TOKEN_MAX - PACKET_COST;
	return true;
}
