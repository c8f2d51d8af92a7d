/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multibit trie, leaf pushed (Srinivasan & Varghese, "Faster IP lookups
 * using controlled prefix expansion"). Every slot holds either a next hop
 * (or MISS) or the index of a 256-slot child node, so a lookup is one load
 * per stride and never backtracks.
 *
 * Build inserts prefixes shortest first, so a longer prefix simply
 * overwrites the slots it covers and a new node starts as 256 copies of the
 * slot it splits. set_leaf() still pushes into existing children so the
 * result does not depend on that ordering.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/mman.h>

#include "lpm.h"
#include "pkt.h"

#define F_CHILD		0x80000000u
#define LEAF_MISS	0x7fffffffu
#define TBL16_SIZE	65536u
#define HUGE_SZ		(2u << 20)
/*
 * From this size on, the finished tables move into one 2 MiB-aligned
 * region advised for transparent huge pages: lookups land at random in
 * megabytes of nodes, and 4 KiB pages would add a TLB miss to most levels.
 */
#define HUGE_MIN	(1u << 20)

struct trie {
	uint32_t *tbl16;	/* first stride, indexed by address bits 0-15 */
	uint32_t *tbl8;		/* all 8-bit nodes, 256 slots each */
	uint32_t nr8;		/* nodes in use */
	uint32_t cap8;		/* nodes allocated */
	unsigned int addr_bytes;
	void *region;		/* non-NULL: tbl16 and tbl8 live in it */
};

struct gk_lpm4 {
	struct trie t;
};

struct gk_lpm6 {
	struct trie t;
};

struct bentry {
	uint8_t key[16];
	uint8_t plen;
	uint32_t nh;
	size_t idx;		/* input position: first one wins */
};

static int reserve(struct trie *t)
{
	uint32_t *n;
	uint32_t cap;

	if (t->nr8 < t->cap8)
		return 0;
	if (t->cap8 >= (F_CHILD >> 1))
		return -ENOSPC;
	cap = t->cap8 ? t->cap8 * 2 : 64;
	n = realloc(t->tbl8, (size_t)cap * 256 * sizeof(*n));
	if (!n)
		return -ENOMEM;
	t->tbl8 = n;
	t->cap8 = cap;
	return 0;
}

/* Split a leaf slot into a node that inherits its value; reserve() first. */
static uint32_t child(struct trie *t, uint32_t *slot)
{
	uint32_t c, i;

	if (*slot & F_CHILD)
		return *slot & ~F_CHILD;
	c = t->nr8++;
	for (i = 0; i < 256; i++)
		t->tbl8[(size_t)c * 256 + i] = *slot;
	*slot = F_CHILD | c;
	return c;
}

static void set_leaf(struct trie *t, uint32_t *slot, uint32_t nh)
{
	uint32_t c, i;

	if (!(*slot & F_CHILD)) {
		*slot = nh;
		return;
	}
	/* Leaf pushing: everything below is shorter-prefix state, overwrite. */
	c = *slot & ~F_CHILD;
	for (i = 0; i < 256; i++)
		set_leaf(t, &t->tbl8[(size_t)c * 256 + i], nh);
}

static int insert(struct trie *t, const uint8_t *key, unsigned int plen,
		  uint32_t nh)
{
	uint32_t idx = (uint32_t)key[0] << 8 | key[1];
	uint32_t span, start, i, c;
	unsigned int lvl;
	int ret;

	if (plen <= 16) {
		span = 1u << (16 - plen);
		start = idx & ~(span - 1);
		for (i = start; i < start + span; i++)
			set_leaf(t, &t->tbl16[i], nh);
		return 0;
	}
	ret = reserve(t);
	if (ret)
		return ret;
	c = child(t, &t->tbl16[idx]);
	plen -= 16;
	for (lvl = 2;; lvl++) {
		uint8_t b = key[lvl];

		if (plen <= 8) {
			span = 1u << (8 - plen);
			start = b & ~(span - 1);
			for (i = start; i < start + span; i++)
				set_leaf(t, &t->tbl8[(size_t)c * 256 + i], nh);
			return 0;
		}
		ret = reserve(t);
		if (ret)
			return ret;
		c = child(t, &t->tbl8[(size_t)c * 256 + b]);
		plen -= 8;
	}
}

static int cmp_bentry(const void *a, const void *b)
{
	const struct bentry *x = a, *y = b;
	int r;

	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	r = memcmp(x->key, y->key, sizeof(x->key));
	if (r)
		return r;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void mask_key(uint8_t *key, unsigned int plen, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < bytes; i++) {
		if (plen >= 8) {
			plen -= 8;
			continue;
		}
		key[i] &= (uint8_t)(0xff00u >> plen);
		plen = 0;
	}
}

static void to_huge(struct trie *t);

/* Sorts and dedups ents in place, then fills t. */
static int trie_build(struct trie *t, struct bentry *ents, size_t n,
		      unsigned int bytes, char *err, size_t errlen)
{
	size_t i;
	uint32_t *shrunk;
	int ret;

	t->addr_bytes = bytes;
	t->tbl16 = malloc(TBL16_SIZE * sizeof(*t->tbl16));
	if (!t->tbl16) {
		snprintf(err, errlen, "lpm: out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < TBL16_SIZE; i++)
		t->tbl16[i] = LEAF_MISS;

	for (i = 0; i < n; i++) {
		if (ents[i].plen > bytes * 8) {
			snprintf(err, errlen, "lpm: entry %zu: prefix length %u > %u",
				 i, ents[i].plen, bytes * 8);
			return -EINVAL;
		}
		if (ents[i].nh >= GK_LPM_NH_MAX) {
			snprintf(err, errlen, "lpm: entry %zu: next hop %u too large",
				 i, ents[i].nh);
			return -EINVAL;
		}
		mask_key(ents[i].key, ents[i].plen, bytes);
		ents[i].idx = i;
	}
	qsort(ents, n, sizeof(*ents), cmp_bentry);
	for (i = 0; i < n; i++) {
		if (i && ents[i].plen == ents[i - 1].plen &&
		    !memcmp(ents[i].key, ents[i - 1].key, sizeof(ents[i].key)))
			continue;	/* duplicate: an earlier entry won */
		ret = insert(t, ents[i].key, ents[i].plen, ents[i].nh);
		if (ret) {
			snprintf(err, errlen, "lpm: %s", strerror(-ret));
			return ret;
		}
	}
	if (t->nr8 && t->nr8 < t->cap8) {
		shrunk = realloc(t->tbl8, (size_t)t->nr8 * 256 * sizeof(*shrunk));
		if (shrunk) {
			t->tbl8 = shrunk;
			t->cap8 = t->nr8;
		}
	}
	to_huge(t);
	return 0;
}

/* Best effort: on any failure the tables simply stay where they are. */
static void to_huge(struct trie *t)
{
	size_t n16 = TBL16_SIZE * sizeof(*t->tbl16);
	size_t n8 = (size_t)t->nr8 * 256 * sizeof(*t->tbl8);
	size_t len = (n16 + n8 + HUGE_SZ - 1) & ~(size_t)(HUGE_SZ - 1);
	uint8_t *r;

	if (n16 + n8 < HUGE_MIN)
		return;
	r = aligned_alloc(HUGE_SZ, len);
	if (!r)
		return;
	madvise(r, len, MADV_HUGEPAGE);
	memcpy(r, t->tbl16, n16);
	if (n8)
		memcpy(r + n16, t->tbl8, n8);
	free(t->tbl16);
	free(t->tbl8);
	t->tbl16 = (uint32_t *)r;
	t->tbl8 = (uint32_t *)(r + n16);
	t->cap8 = t->nr8;
	t->region = r;
}

static void trie_free(struct trie *t)
{
	if (t->region) {
		free(t->region);
		return;
	}
	free(t->tbl16);
	free(t->tbl8);
}

static inline uint32_t leaf(uint32_t e)
{
	return e == LEAF_MISS ? GK_LPM_MISS : e;
}

static inline uint32_t walk4(const struct trie *t, uint32_t e, uint32_t a)
{
	if (e & F_CHILD) {
		e = t->tbl8[(size_t)(e & ~F_CHILD) << 8 | ((a >> 8) & 0xff)];
		if (e & F_CHILD)
			e = t->tbl8[(size_t)(e & ~F_CHILD) << 8 | (a & 0xff)];
	}
	return leaf(e);
}

static inline uint32_t walk6(const struct trie *t, uint32_t e,
			     const uint8_t *a)
{
	unsigned int i = 2;

	/* The last byte's nodes never hold children, so this stops by i=15. */
	while (e & F_CHILD)
		e = t->tbl8[(size_t)(e & ~F_CHILD) << 8 | a[i++]];
	return leaf(e);
}

struct gk_lpm4 *gk_lpm4_build(const struct gk_lpm_entry4 *e, size_t n,
			      char *err, size_t errlen)
{
	struct gk_lpm4 *l;
	struct bentry *ents;
	size_t i;

	l = calloc(1, sizeof(*l));
	ents = calloc(n ? n : 1, sizeof(*ents));
	if (!l || !ents) {
		snprintf(err, errlen, "lpm4: out of memory");
		goto err_free;
	}
	for (i = 0; i < n; i++) {
		memcpy(ents[i].key, &e[i].prefix_be, 4);
		ents[i].plen = e[i].plen;
		ents[i].nh = e[i].nh;
	}
	if (trie_build(&l->t, ents, n, 4, err, errlen))
		goto err_trie;
	free(ents);
	return l;

err_trie:
	trie_free(&l->t);
err_free:
	free(ents);
	free(l);
	return NULL;
}

uint32_t gk_lpm4_lookup(const struct gk_lpm4 *l, uint32_t addr_be)
{
	uint32_t a = ntohl(addr_be);

	return walk4(&l->t, l->t.tbl16[a >> 16], a);
}

/*
 * One pass per level over the whole batch, so the loads of a level are in
 * flight together instead of forming one dependent chain per address.
 */
/*
 * One pass per address, each level's load depending on the last: the
 * addresses of a burst are independent, so the core overlaps their
 * chains anyway, and one loop costs half the instructions of a loop per
 * level (bench_dpdk L3, /25 routes: three levels).
 */
void gk_lpm4_lookup_bulk(const struct gk_lpm4 *l, const uint32_t *addr_be,
			 uint32_t *nh, unsigned int n)
{
	const uint32_t *tbl16 = l->t.tbl16, *tbl8 = l->t.tbl8;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint32_t a = ntohl(addr_be[i]), e = tbl16[a >> 16];

		if (e & F_CHILD) {
			e = tbl8[(size_t)(e & ~F_CHILD) << 8 | ((a >> 8) & 0xff)];
			if (e & F_CHILD)
				e = tbl8[(size_t)(e & ~F_CHILD) << 8 | (a & 0xff)];
		}
		nh[i] = leaf(e);
	}
}

void gk_lpm4_free(struct gk_lpm4 *l)
{
	if (!l)
		return;
	trie_free(&l->t);
	free(l);
}

size_t gk_lpm4_mem(const struct gk_lpm4 *l)
{
	return TBL16_SIZE * 4 + (size_t)l->t.cap8 * 256 * 4;
}

struct gk_lpm6 *gk_lpm6_build(const struct gk_lpm_entry6 *e, size_t n,
			      char *err, size_t errlen)
{
	struct gk_lpm6 *l;
	struct bentry *ents;
	size_t i;

	l = calloc(1, sizeof(*l));
	ents = calloc(n ? n : 1, sizeof(*ents));
	if (!l || !ents) {
		snprintf(err, errlen, "lpm6: out of memory");
		goto err_free;
	}
	for (i = 0; i < n; i++) {
		memcpy(ents[i].key, e[i].prefix, 16);
		ents[i].plen = e[i].plen;
		ents[i].nh = e[i].nh;
	}
	if (trie_build(&l->t, ents, n, 16, err, errlen))
		goto err_trie;
	free(ents);
	return l;

err_trie:
	trie_free(&l->t);
err_free:
	free(ents);
	free(l);
	return NULL;
}

uint32_t gk_lpm6_lookup(const struct gk_lpm6 *l, const uint8_t addr[16])
{
	return walk6(&l->t, l->t.tbl16[(uint32_t)addr[0] << 8 | addr[1]], addr);
}

void gk_lpm6_lookup_bulk(const struct gk_lpm6 *l, const uint8_t (*addr)[16],
			 uint32_t *nh, unsigned int n)
{
	const uint32_t *tbl8 = l->t.tbl8;
	unsigned int i, lvl, left;

	for (i = 0; i < n; i++)
		nh[i] = l->t.tbl16[(uint32_t)addr[i][0] << 8 | addr[i][1]];
	/* Level by level while any address still points at a node. */
	for (lvl = 2, left = n; left && lvl < 16; lvl++) {
		left = 0;
		for (i = 0; i < n; i++) {
			if (!(nh[i] & F_CHILD))
				continue;
			nh[i] = tbl8[(size_t)(nh[i] & ~F_CHILD) << 8 |
				     addr[i][lvl]];
			left += !!(nh[i] & F_CHILD);
		}
	}
	for (i = 0; i < n; i++)
		nh[i] = leaf(nh[i]);
}

void gk_lpm6_free(struct gk_lpm6 *l)
{
	if (!l)
		return;
	trie_free(&l->t);
	free(l);
}

size_t gk_lpm6_mem(const struct gk_lpm6 *l)
{
	return TBL16_SIZE * 4 + (size_t)l->t.cap8 * 256 * 4;
}
