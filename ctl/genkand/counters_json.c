/* SPDX-License-Identifier: BSD-3-Clause */
#include "backend_dpdk.h"
#include "map_table.h"
#include "napt.h"
#include "port.h"
#include "wg_data.h"

#include "counters_json.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const struct gk_cnt_field map_dom[] = {
#define GK_X(f, s) { s, offsetof(struct gk_map_dom_stats, f) },
	GK_MAP_DOM_CNT_LIST(GK_X)
#undef GK_X
};
const struct gk_cnt_fields gk_cnt_map_dom = {
	"GK_MAP_DOM_CNT_LIST", map_dom, NELEM(map_dom)
};

static const struct gk_cnt_field napt[] = {
#define GK_X(f, s) { s, offsetof(struct gk_napt_stats, f) },
	GK_NAPT_CNT_LIST(GK_X)
#undef GK_X
};
const struct gk_cnt_fields gk_cnt_napt = {
	"GK_NAPT_CNT_LIST", napt, NELEM(napt)
};

static const struct gk_cnt_field wg_peer[] = {
#define GK_X(f, s) { s, offsetof(struct gk_wg_peer_stats, f) },
	GK_WG_PEER_CNT_LIST(GK_X)
#undef GK_X
};
const struct gk_cnt_fields gk_cnt_wg_peer = {
	"GK_WG_PEER_CNT_LIST", wg_peer, NELEM(wg_peer)
};

static const struct gk_cnt_field port_xstats[] = {
#define GK_X(f, s) { s, offsetof(struct gk_port_xstats, f) },
	GK_PORT_XSTATS_LIST(GK_X)
#undef GK_X
};
const struct gk_cnt_fields gk_cnt_port_xstats = {
	"GK_PORT_XSTATS_LIST", port_xstats, NELEM(port_xstats)
};

/* Declarations only: the table is there with or without libdpdk. */
static const struct gk_cnt_field dpdk_exc[] = {
#define GK_X(f, s) { s, offsetof(struct gk_dpdk_exc_stats, f) },
	GK_DPDK_EXC_CNT_LIST(GK_X)
#undef GK_X
};
const struct gk_cnt_fields gk_cnt_dpdk_exc = {
	"GK_DPDK_EXC_CNT_LIST", dpdk_exc, NELEM(dpdk_exc)
};

const char *const gk_cnt_napt_proto_names[GK_NAPT_NPROTO] = {
#define GK_X(n, s) [GK_NAPT_##n] = s,
	GK_NAPT_PROTO_LIST(GK_X)
#undef GK_X
};

/* The uint64_t at off: every table row names one (the test checks). */
static const uint64_t *field(const void *s, size_t off)
{
	return (const uint64_t *)((const char *)s + off);
}

json_t *gk_cnt_json_array(json_t *obj, const char *const *names,
			  const uint64_t *v, size_t n)
{
	for (size_t i = 0; obj && i < n; i++)
		if (json_object_set_new(obj, names[i],
					json_integer((json_int_t)v[i]))) {
			json_decref(obj);
			return NULL;
		}
	return obj;
}

json_t *gk_cnt_json_fields(json_t *obj, const struct gk_cnt_fields *t,
			   const void *s)
{
	for (size_t i = 0; obj && i < t->n; i++)
		if (json_object_set_new(obj, t->f[i].name,
				json_integer((json_int_t)*field(s, t->f[i].off)))) {
			json_decref(obj);
			return NULL;
		}
	return obj;
}

json_t *gk_cnt_json_set(json_t *obj, const char *key, json_t *v)
{
	if (!obj || !v) {
		json_decref(obj);
		json_decref(v);
		return NULL;
	}
	/* json_object_set_new() releases v when it fails */
	if (json_object_set_new(obj, key, v)) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

json_t *gk_cnt_json_update(json_t *obj, json_t *v)
{
	int ret = obj && v ? json_object_update(obj, v) : -1;

	json_decref(v);
	if (ret) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

void gk_cnt_add_array(uint64_t *sum, const uint64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sum[i] += v[i];
}

void gk_cnt_add_fields(void *sum, const void *s,
		       const struct gk_cnt_fields *t)
{
	for (size_t i = 0; i < t->n; i++)
		*(uint64_t *)((char *)sum + t->f[i].off) += *field(s, t->f[i].off);
}
