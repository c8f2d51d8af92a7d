/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <genkan/flowhash.h>
#include "neigh.h"

/* One slot is half a cache line; a probe usually touches one line. */
struct slot {
	uint8_t used;
	uint8_t family;
	uint8_t mac[6];
	uint32_t ifindex;
	uint8_t addr[16];
	uint32_t pad;
};
_Static_assert(sizeof(struct slot) == 32, "slot is half a cache line");

struct gk_neigh_tbl {
	struct slot *slots;
	uint32_t mask;
	size_t count;
};

static unsigned int addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

static uint32_t hash_key(uint8_t family, uint32_t ifindex, const uint8_t *addr)
{
	uint32_t h = GK_FLOWHASH_SEED, w;
	unsigned int i;

	h = gk_hash_mix(h, (uint32_t)family << 24 ^ ifindex);
	for (i = 0; i < addr_len(family); i += 4) {
		memcpy(&w, addr + i, 4);
		h = gk_hash_mix(h, w);
	}
	return gk_hash_final(h);
}

static int key_eq(const struct slot *s, uint8_t family, uint32_t ifindex,
		  const uint8_t *addr)
{
	return s->family == family && s->ifindex == ifindex &&
	       !memcmp(s->addr, addr, addr_len(family));
}

struct gk_neigh_tbl *gk_neigh_build(const struct gk_neigh_entry *e, size_t n,
				    char *err, size_t errlen)
{
	struct gk_neigh_tbl *t;
	size_t cap = 16, i;

	/* Load factor <= 1/2 keeps misses (the common question) short. */
	while (cap < 2 * n)
		cap *= 2;
	if (cap > (1u << 31)) {
		snprintf(err, errlen, "neigh: %zu entries is too many", n);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		goto err_nomem;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots)
		goto err_free;
	t->mask = (uint32_t)cap - 1;

	for (i = 0; i < n; i++) {
		struct slot *s;
		uint32_t h;

		if (e[i].family != AF_INET && e[i].family != AF_INET6) {
			snprintf(err, errlen, "neigh: entry %zu: bad family %u",
				 i, e[i].family);
			goto err_slots;
		}
		h = hash_key(e[i].family, e[i].ifindex, e[i].addr);
		for (;; h++) {
			s = &t->slots[h & t->mask];
			if (!s->used || key_eq(s, e[i].family, e[i].ifindex,
					       e[i].addr))
				break;
		}
		if (s->used)
			continue;	/* duplicate: first one wins */
		s->used = 1;
		s->family = e[i].family;
		s->ifindex = e[i].ifindex;
		memcpy(s->addr, e[i].addr, addr_len(e[i].family));
		memcpy(s->mac, e[i].mac, 6);
		t->count++;
	}
	return t;

err_slots:
	free(t->slots);
	free(t);
	return NULL;
err_free:
	free(t);
err_nomem:
	snprintf(err, errlen, "neigh: out of memory");
	return NULL;
}

const uint8_t *gk_neigh_lookup(const struct gk_neigh_tbl *t, uint8_t family,
			       uint32_t ifindex, const uint8_t *addr)
{
	uint32_t h = hash_key(family, ifindex, addr);
	const struct slot *s;

	for (;; h++) {
		s = &t->slots[h & t->mask];
		if (!s->used)
			return NULL;
		if (key_eq(s, family, ifindex, addr))
			return s->mac;
	}
}

size_t gk_neigh_count(const struct gk_neigh_tbl *t)
{
	return t->count;
}

void gk_neigh_free(struct gk_neigh_tbl *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t);
}
