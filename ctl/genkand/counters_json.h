/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counter objects for the ctl replies, made from the data plane's X-macro
 * counter lists and never from names typed here: an enum-indexed array
 * with its names[] (X(ENUM, "name") lists), or a struct of uint64_t fields
 * through a table of (name, offset) pairs (X(field, "name") lists). Keys
 * come out in list order.
 */
#ifndef GK_COUNTERS_JSON_H
#define GK_COUNTERS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct gk_cnt_field {
	const char *name;		/* JSON key */
	size_t off;			/* of a uint64_t in the struct */
};

/* A struct's counters: the table of one X(field, "name") list. */
struct gk_cnt_fields {
	const char *list;		/* the X-macro, for tests and messages */
	const struct gk_cnt_field *f;
	size_t n;
};

/* Tables of the data plane's counter structs, from their lists. */
extern const struct gk_cnt_fields gk_cnt_map_dom;	/* GK_MAP_DOM_CNT_LIST */
extern const struct gk_cnt_fields gk_cnt_napt;		/* GK_NAPT_CNT_LIST */
extern const struct gk_cnt_fields gk_cnt_wg_peer;	/* GK_WG_PEER_CNT_LIST */
extern const struct gk_cnt_fields gk_cnt_port_xstats;	/* GK_PORT_XSTATS_LIST */
extern const struct gk_cnt_fields gk_cnt_dpdk_exc;	/* GK_DPDK_EXC_CNT_LIST */
/* Names of lists that index arrays and have no names[] of their own. */
extern const char *const gk_cnt_napt_proto_names[];	/* GK_NAPT_PROTO_LIST */

/*
 * Sets names[i] to v[i], i < n, in obj. Returns obj, or NULL when obj is
 * NULL or memory ran out (obj is then released).
 */
json_t *gk_cnt_json_array(json_t *obj, const char *const *names,
			  const uint64_t *v, size_t n);
/* The same for the fields of t in the struct at s. */
json_t *gk_cnt_json_fields(json_t *obj, const struct gk_cnt_fields *t,
			   const void *s);
/*
 * Sets key to v in obj and returns obj; v is taken either way. NULL (and
 * both released) when either is NULL or memory ran out: calls nest.
 */
json_t *gk_cnt_json_set(json_t *obj, const char *key, json_t *v);
/* Appends the keys of v to obj, in v's order; otherwise as above. */
json_t *gk_cnt_json_update(json_t *obj, json_t *v);

/* sum[i] += v[i], i < n. */
void gk_cnt_add_array(uint64_t *sum, const uint64_t *v, size_t n);
/* The same for the fields of t: sum and s are structs of one type. */
void gk_cnt_add_fields(void *sum, const void *s,
		       const struct gk_cnt_fields *t);

#endif
