// SPDX-License-Identifier: BSD-3-Clause
/*
 * Maglev table builder (NSDI 2016 §3.4, Pseudocode 1) with Katran
 * MaglevHashV2-style weights. See maglev.h for the exact definition; the
 * tests hold it to an independent Python model entry for entry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "maglev.h"

int gk_maglev_key_inet(struct gk_maglev_backend *b, int family, const void *addr,
		       uint16_t port)
{
	uint8_t *k = b->key;

	memset(k, 0, GK_MAGLEV_KEY_INET_LEN);
	k[2] = (uint8_t)(port >> 8);
	k[3] = (uint8_t)port;
	switch (family) {
	case AF_INET:
		k[0] = 4;
		k[14] = 0xff;
		k[15] = 0xff;
		memcpy(k + 16, addr, 4);
		break;
	case AF_INET6:
		k[0] = 6;
		memcpy(k + 4, addr, 16);
		break;
	default:
		return -EAFNOSUPPORT;
	}
	b->key_len = GK_MAGLEV_KEY_INET_LEN;
	return 0;
}

bool gk_maglev_is_prime(uint32_t m)
{
	if (m < 2)
		return false;
	if (m % 2 == 0)
		return m == 2;
	for (uint32_t d = 3; (uint64_t)d * d <= m; d += 2)
		if (m % d == 0)
			return false;
	return true;
}

static int key_cmp(const void *pa, const void *pb)
{
	const struct gk_maglev_backend *a = *(const struct gk_maglev_backend *const *)pa;
	const struct gk_maglev_backend *b = *(const struct gk_maglev_backend *const *)pb;
	size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
	int c = memcmp(a->key, b->key, n);

	if (c)
		return c;
	return (int)a->key_len - (int)b->key_len;
}

/* One usable backend's walk through its preference list. */
struct slot {
	uint32_t idx;	/* position in the caller's array */
	uint32_t cur;	/* (offset + next * skip) % m, kept by addition */
	uint32_t skip;
	uint32_t weight;
	uint64_t credit;
};

int gk_maglev_build(const struct gk_maglev_backend *b, size_t n, uint32_t m,
		    uint32_t *table)
{
	const struct gk_maglev_backend **order = NULL;
	struct slot *s = NULL;
	uint64_t wmax = 0;
	uint32_t filled = 0;
	size_t i, u = 0;
	int rc = 0;

	if (!table || (n && !b) || m > GK_MAGLEV_M_MAX || !gk_maglev_is_prime(m) ||
	    n > m)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (b[i].key_len < GK_MAGLEV_KEY_MIN || b[i].key_len > GK_MAGLEV_KEY_MAX)
			return -EINVAL;
	if (n) {
		order = malloc(n * sizeof(*order));
		s = malloc(n * sizeof(*s));
		if (!order || !s) {
			rc = -ENOMEM;
			goto out;
		}
	}

	/* Key order, so that the caller's order cannot change the table. */
	for (i = 0; i < n; i++)
		order[i] = &b[i];
	if (n > 1)
		qsort(order, n, sizeof(*order), key_cmp);
	for (i = 1; i < n; i++)
		if (!key_cmp(&order[i - 1], &order[i])) {
			rc = -EINVAL;	/* one identity, two backends */
			goto out;
		}

	for (i = 0; i < n; i++) {
		const struct gk_maglev_backend *e = order[i];

		if (!e->weight || e->down)
			continue;
		s[u].idx = (uint32_t)(e - b);
		s[u].cur = (uint32_t)(gk_maglev_siphash24(GK_MAGLEV_H1_K0, GK_MAGLEV_H1_K1,
							  e->key, e->key_len) % m);
		s[u].skip = (uint32_t)(gk_maglev_siphash24(GK_MAGLEV_H2_K0, GK_MAGLEV_H2_K1,
							   e->key, e->key_len) % (m - 1)) + 1;
		s[u].weight = e->weight;
		s[u].credit = 0;
		if (e->weight > wmax)
			wmax = e->weight;
		u++;
	}

	for (i = 0; i < m; i++)
		table[i] = GK_MAGLEV_NONE;
	/* Pseudocode 1; a turn only when the credit reaches wmax. */
	while (u && filled < m) {
		for (i = 0; i < u; i++) {
			struct slot *x = &s[i];

			x->credit += x->weight;
			if (x->credit < wmax)
				continue;
			x->credit -= wmax;
			/* m prime: the walk visits every slot, so it finds a free one. */
			while (table[x->cur] != GK_MAGLEV_NONE) {
				x->cur += x->skip;
				if (x->cur >= m)
					x->cur -= m;
			}
			table[x->cur] = x->idx;
			x->cur += x->skip;
			if (x->cur >= m)
				x->cur -= m;
			if (++filled == m)
				break;
		}
	}
out:
	free(s);
	free(order);
	return rc;
}
