// SPDX-License-Identifier: BSD-3-Clause
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "cls_tables.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_in6(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static int cmp_l4(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct gk_l4_key));
}

/* Longest prefix first: the first match is the LPM trie's answer. */
static int cmp_v4(const void *a, const void *b)
{
	const struct gk_cls_v4 *x = a, *y = b;

	return (int)y->plen - (int)x->plen;
}

void gk_cls_tables_free(struct gk_cls_tables *t)
{
	if (!t)
		return;
	free(t->local4);
	free(t->local6);
	free(t->mape6);
	free(t->mape4);
	free(t->l4);
	free(t);
}

static void *dup_arr(const void *src, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p && n)
		memcpy(p, src, n * size);
	return p;
}

struct gk_cls_tables *gk_cls_tables_build(const struct gk_cls_input *in)
{
	struct gk_cls_tables *t = calloc(1, sizeof(*t));
	size_t i;

	if (!t)
		return NULL;
	t->local4 = dup_arr(in->local4, in->nr_local4, sizeof(*t->local4));
	t->local6 = dup_arr(in->local6, in->nr_local6, sizeof(*t->local6));
	t->mape6 = dup_arr(in->mape6, in->nr_mape6, sizeof(*t->mape6));
	t->mape4 = dup_arr(in->mape4, in->nr_mape4, sizeof(*t->mape4));
	t->l4 = dup_arr(in->l4, in->nr_l4, sizeof(*t->l4));
	if (!t->local4 || !t->local6 || !t->mape6 || !t->mape4 || !t->l4)
		goto err;
	t->nr_l4 = in->nr_l4;
	qsort(t->l4, t->nr_l4, sizeof(*t->l4), cmp_l4);
	t->nr_local4 = in->nr_local4;
	t->nr_local6 = in->nr_local6;
	t->nr_mape6 = in->nr_mape6;
	t->nr_mape4 = in->nr_mape4;
	qsort(t->local4, t->nr_local4, sizeof(*t->local4), cmp_u32);
	qsort(t->local6, t->nr_local6, sizeof(*t->local6), cmp_in6);
	for (i = 0; i < t->nr_mape4; i++) {
		struct gk_cls_v4 *r = &t->mape4[i];

		if (r->plen > 32)
			goto err;
		r->mask = r->plen ? htonl(~0u << (32 - r->plen)) : 0;
		r->prefix &= r->mask;
	}
	qsort(t->mape4, t->nr_mape4, sizeof(*t->mape4), cmp_v4);
	t->cfg_flags = in->cfg_flags;
	t->wg_listen_port = in->wg_listen_port;
	t->wg_port_id = in->wg_port_id;
	if (in->port_flags)
		memcpy(t->port_flags, in->port_flags, sizeof(t->port_flags));
	return t;
err:
	gk_cls_tables_free(t);
	return NULL;
}

static void free_rcu(struct rcu_head *head)
{
	gk_cls_tables_free(caa_container_of(head, struct gk_cls_tables, rcu));
}

void gk_cls_tables_publish(struct gk_cls_tables **slot,
			   struct gk_cls_tables *next)
{
	struct gk_cls_tables *old = rcu_xchg_pointer(slot, next);

	if (old)
		call_rcu(&old->rcu, free_rcu);
}

/*
 * Binary searches written out rather than bsearch(3): these run for every
 * frame the twin classifies (a library call plus a comparator called
 * through a pointer per step was most of is_local4's cost).
 */
static bool is_local4(void *arg, uint32_t addr_be)
{
	const struct gk_cls_tables *t = arg;
	size_t lo = 0, hi = t->nr_local4;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t v = t->local4[mid];

		if (v == addr_be)
			return true;
		if (v < addr_be)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* An address as two big-endian halves: their order is memcmp's. */
static inline void in6_halves(const uint8_t *a, uint64_t *hi, uint64_t *lo)
{
	memcpy(hi, a, 8);
	memcpy(lo, a + 8, 8);
	*hi = be64toh(*hi);
	*lo = be64toh(*lo);
}

static bool is_local6(void *arg, const uint8_t addr[16])
{
	const struct gk_cls_tables *t = arg;
	size_t lo = 0, hi = t->nr_local6;
	uint64_t ah, al;

	in6_halves(addr, &ah, &al);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t vh, vl;

		in6_halves(t->local6[mid], &vh, &vl);
		if (vh == ah && vl == al)
			return true;
		if (vh < ah || (vh == ah && vl < al))
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int mape_v6(void *arg, const uint8_t addr[16])
{
	const struct gk_cls_tables *t = arg;
	size_t i;

	for (i = 0; i < t->nr_mape6; i++)
		if (!memcmp(t->mape6[i].addr, addr, 16))
			return t->mape6[i].cls;
	return 0;
}

static int mape_v4(void *arg, uint32_t addr_be)
{
	const struct gk_cls_tables *t = arg;
	size_t i;

	for (i = 0; i < t->nr_mape4; i++)
		if ((addr_be & t->mape4[i].mask) == t->mape4[i].prefix)
			return t->mape4[i].cls;
	return 0;
}

static bool l4svc(void *arg, uint8_t family, uint8_t proto,
		  const uint8_t *addr, uint16_t port)
{
	const struct gk_cls_tables *t = arg;
	struct gk_l4_key k;

	memset(&k, 0, sizeof(k));
	k.family = family;
	k.proto = proto;
	k.port = htons(port);
	memcpy(k.addr, addr, family == 4 ? 4 : 16);
	return bsearch(&k, t->l4, t->nr_l4, sizeof(k), cmp_l4) != NULL;
}

void gk_cls_tables_cfg(const struct gk_cls_tables *t, uint16_t port_id,
		       struct gk_classify_cfg *out)
{
	memset(out, 0, sizeof(*out));
	if (!t)
		return;
	out->arg = (void *)t;
	out->is_local4 = is_local4;
	out->is_local6 = is_local6;
	out->flags = t->cfg_flags;
	if (t->nr_mape6)
		out->mape_v6 = mape_v6;
	if (t->nr_mape4)
		out->mape_v4 = mape_v4;
	out->mape_ce_v4_port = port_id < GK_MAX_PORTS &&
		(t->port_flags[port_id] & GK_PORT_F_MAPE_CE_V4);
	if (t->wg_listen_port && port_id == t->wg_port_id)
		out->wg_listen_port = t->wg_listen_port;
	if ((t->cfg_flags & GK_CFG_F_L4) && t->nr_l4)
		out->l4svc = l4svc;
}
