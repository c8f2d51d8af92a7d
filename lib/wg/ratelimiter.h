/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source token bucket for handshake messages under load, with the
 * kernel's parameters: 20 packets/s, bursts of 5, IPv4 by address and IPv6
 * by /64. Fixed-size set-associative table: no allocation after init; when
 * every slot of a set is live, new sources are refused (fail closed).
 */
#ifndef GK_WG_RATELIMITER_H
#define GK_WG_RATELIMITER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define GK_WG_RL_PACKETS_PER_SECOND	20
#define GK_WG_RL_PACKETS_BURST		5
#define GK_WG_RL_SETS			1024
#define GK_WG_RL_WAYS			8

struct gk_wg_rl_entry {
	uint64_t last_ns;	/* 0: free */
	uint64_t tokens;
	uint8_t key[9];		/* family byte + address (prefix) */
};

struct gk_wg_ratelimiter {
	uint64_t seed[2];
	struct gk_wg_rl_entry e[GK_WG_RL_SETS][GK_WG_RL_WAYS];
};

/* Heap-allocates the table (about 200 KB); free with gk_wg_ratelimiter_free. */
int gk_wg_ratelimiter_new(struct gk_wg_ratelimiter **out);
void gk_wg_ratelimiter_free(struct gk_wg_ratelimiter *rl);

/* Whether src may send one more handshake message at now_ns. */
bool gk_wg_ratelimiter_allow(struct gk_wg_ratelimiter *rl,
			     const struct sockaddr *src, uint64_t now_ns);

#endif /* GK_WG_RATELIMITER_H */
