/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The counter lists behind the ctl JSON (ctl/genkand/counters_json.h):
 * every list has one name per counter, names are snake_case and unique
 * in the JSON object they land in, the struct lists name every uint64_t
 * of their struct once (a field added beside the list fails here), and
 * the generated objects keep the keys and order of docs/ctl-protocol.md.
 */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include <genkan/meta.h>

#include "backend_dpdk.h"
#include "l4.h"
#include "map_table.h"
#include "napt.h"
#include "port.h"
#include "wg_data.h"
#include "wg_pending.h"
#include "wkstats.h"

#include "counters_json.h"
#include "wgd.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define COUNT(n, s)	+ 1
#define NAME(n, s)	s,

static regex_t snake;

static int setup(void **state)
{
	(void)state;
	return regcomp(&snake, "^[a-z][a-z0-9]*(_[a-z0-9]+)*$",
		       REG_EXTENDED | REG_NOSUB);
}

static int teardown(void **state)
{
	(void)state;
	regfree(&snake);
	return 0;
}

/* n names, none NULL, each snake_case, no two alike. */
static void check_names(const char *what, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!names[i])
			fail_msg("%s: entry %zu has no name", what, i);
		if (regexec(&snake, names[i], 0, NULL, 0))
			fail_msg("%s: '%s' is not snake_case", what, names[i]);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(names[i], names[j]))
				fail_msg("%s: '%s' twice", what, names[i]);
	}
}

/* The keys of one JSON object, gathered from several lists. */
struct keys {
	const char *k[128];
	size_t n;
};

static void add_names(struct keys *k, const char *const *names, size_t n)
{
	assert_true(k->n + n <= NELEM(k->k));
	memcpy(&k->k[k->n], names, n * sizeof(*names));
	k->n += n;
}

static void add_fields(struct keys *k, const struct gk_cnt_fields *t)
{
	for (size_t i = 0; i < t->n; i++)
		add_names(k, &t->f[i].name, 1);
}

/* Enum-indexed arrays: one name per slot, up to the enum's MAX. */
static void test_array_lists(void **state)
{
	static const char *const cls[] = { GK_CLASS_LIST(NAME) };
	static const char *const xdrop[] = { GK_XDP_DROP_LIST(NAME) };
	static const char *const xev[] = { GK_XDP_EVENT_LIST(NAME) };
	static const struct {
		const char *list;
		const char *const *names;
		size_t n, max;
	} t[] = {
		{ "GK_CLASS_LIST", cls, NELEM(cls), GK_CLASS_MAX },
		{ "GK_XDP_DROP_LIST", xdrop, NELEM(xdrop), GK_XDP_DROP_MAX },
		{ "GK_XDP_EVENT_LIST", xev, NELEM(xev), GK_XDP_EV_MAX },
		{ "GK_WK_DROP_LIST", gk_wk_drop_names,
		  0 GK_WK_DROP_LIST(COUNT), GK_WK_DROP_MAX },
		{ "GK_WK_EVENT_LIST", gk_wk_event_names,
		  0 GK_WK_EVENT_LIST(COUNT), GK_WK_EVENT_MAX },
		{ "GK_MAP_DROP_LIST", gk_map_drop_names,
		  0 GK_MAP_DROP_LIST(COUNT), GK_MAP_DROP_MAX },
		{ "GK_NAPT_DROP_LIST", gk_napt_drop_names,
		  0 GK_NAPT_DROP_LIST(COUNT), GK_NAPT_DROP_MAX },
		{ "GK_NAPT_PROTO_LIST", gk_cnt_napt_proto_names,
		  0 GK_NAPT_PROTO_LIST(COUNT), GK_NAPT_NPROTO },
		{ "GK_WG_DROP_LIST", gk_wg_drop_names,
		  0 GK_WG_DROP_LIST(COUNT), GK_WG_DROP_MAX },
		{ "GK_WG_EVC_LIST", gk_wg_evc_names,
		  0 GK_WG_EVC_LIST(COUNT), GK_WG_EVC_MAX },
		{ "GK_WG_PENDING_CNT_LIST", gk_wg_pending_cnt_names,
		  0 GK_WG_PENDING_CNT_LIST(COUNT), GK_WG_PENDING_CNT_MAX },
		{ "GK_L4_CNT_LIST", gk_l4_cnt_names,
		  0 GK_L4_CNT_LIST(COUNT), GK_L4_CNT_MAX },
		{ "GK_WG_RPATH_CNT_LIST", gk_wg_rpath_cnt_names,
		  0 GK_WG_RPATH_CNT_LIST(COUNT), GK_WG_RPATH_CNT_MAX },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		if (t[i].n != t[i].max)
			fail_msg("%s: %zu names for %zu slots", t[i].list,
				 t[i].n, t[i].max);
		check_names(t[i].list, t[i].names, t[i].n);
	}
}

/* Marks the 8-byte slots [off, off + n * 8) of a struct of size bytes. */
static void mark(const char *what, unsigned char *seen, size_t size,
		 size_t off, size_t n)
{
	if (off % 8 || off + n * 8 > size)
		fail_msg("%s: offset %zu (+%zu) is no uint64_t slot", what,
			 off, n);
	for (size_t i = off / 8; i < off / 8 + n; i++) {
		if (seen[i])
			fail_msg("%s: slot %zu named twice", what, i);
		seen[i] = 1;
	}
}

/* A table: one row per list entry, good names, and its slots marked. */
static void mark_fields(unsigned char *seen, size_t size,
			const struct gk_cnt_fields *t, size_t listed)
{
	struct keys k = { .n = 0 };

	if (t->n != listed)
		fail_msg("%s: table has %zu rows, the list %zu", t->list,
			 t->n, listed);
	add_fields(&k, t);
	check_names(t->list, k.k, k.n);
	for (size_t i = 0; i < t->n; i++)
		mark(t->f[i].name, seen, size, t->f[i].off, 1);
}

static void all_marked(const char *what, const unsigned char *seen,
		       size_t size)
{
	for (size_t i = 0; i < size / 8; i++)
		if (!seen[i])
			fail_msg("%s: uint64_t slot %zu is in no list", what, i);
}

/* A counter struct is its lists and its arrays, nothing else. */
static void test_struct_lists(void **state)
{
	unsigned char seen[512], *big;
	struct gk_cnt_fields frag;
	static const struct gk_cnt_field frag_f[] = {
#define GK_X(f, s) { s, offsetof(struct gk_map_dom_stats, f) },
		GK_MAP_DOM_FRAG_CNT_LIST(GK_X)
#undef GK_X
	};

	(void)state;
	assert_true(sizeof(struct gk_map_dom_stats) / 8 <= sizeof(seen));
	memset(seen, 0, sizeof(seen));
	mark_fields(seen, sizeof(struct gk_map_dom_stats), &gk_cnt_map_dom,
		    0 GK_MAP_DOM_CNT_LIST(COUNT));
	frag = (struct gk_cnt_fields){ "GK_MAP_DOM_FRAG_CNT_LIST", frag_f,
				       NELEM(frag_f) };
	mark_fields(seen, sizeof(struct gk_map_dom_stats), &frag,
		    0 GK_MAP_DOM_FRAG_CNT_LIST(COUNT));
	mark("drops", seen, sizeof(struct gk_map_dom_stats),
	     offsetof(struct gk_map_dom_stats, drops), GK_MAP_DROP_MAX);
	all_marked("struct gk_map_dom_stats", seen,
		   sizeof(struct gk_map_dom_stats));

	assert_true(sizeof(struct gk_napt_stats) / 8 <= sizeof(seen));
	memset(seen, 0, sizeof(seen));
	mark_fields(seen, sizeof(struct gk_napt_stats), &gk_cnt_napt,
		    0 GK_NAPT_CNT_LIST(COUNT));
	mark("ports_in_use", seen, sizeof(struct gk_napt_stats),
	     offsetof(struct gk_napt_stats, ports_in_use), GK_NAPT_NPROTO);
	mark("drops", seen, sizeof(struct gk_napt_stats),
	     offsetof(struct gk_napt_stats, drops), GK_NAPT_DROP_MAX);
	all_marked("struct gk_napt_stats", seen, sizeof(struct gk_napt_stats));

	memset(seen, 0, sizeof(seen));
	mark_fields(seen, sizeof(struct gk_port_xstats), &gk_cnt_port_xstats,
		    0 GK_PORT_XSTATS_LIST(COUNT));
	all_marked("struct gk_port_xstats", seen,
		   sizeof(struct gk_port_xstats));

	/* every scalar of the DPDK exception path, and its drops by reason */
	assert_true(sizeof(struct gk_dpdk_exc_stats) / 8 <= sizeof(seen));
	memset(seen, 0, sizeof(seen));
	mark_fields(seen, sizeof(struct gk_dpdk_exc_stats), &gk_cnt_dpdk_exc,
		    0 GK_DPDK_EXC_CNT_LIST(COUNT));
	mark("drops", seen, sizeof(struct gk_dpdk_exc_stats),
	     offsetof(struct gk_dpdk_exc_stats, drops), GK_XDP_DROP_MAX);
	all_marked("struct gk_dpdk_exc_stats", seen,
		   sizeof(struct gk_dpdk_exc_stats));

	/* These structs hold more than counters: only slots and counts. */
	assert_true(sizeof(struct gk_wg_peer_stats) / 8 <= sizeof(seen));
	memset(seen, 0, sizeof(seen));
	mark_fields(seen, sizeof(struct gk_wg_peer_stats), &gk_cnt_wg_peer,
		    0 GK_WG_PEER_CNT_LIST(COUNT));
	/* struct gk_wgd is wgd.c's own: its size is not known here */
	big = calloc(1 << 16, 1);
	assert_non_null(big);
	mark_fields(big, (size_t)8 << 16, &gk_wgd_cnt,
		    0 GK_WGD_CNT_LIST(COUNT));
	mark_fields(big, (size_t)8 << 16, &gk_wgd_ce_cnt,
		    0 GK_WGD_CE_CNT_LIST(COUNT));
	free(big);
}

/* Keys of each JSON object, from all the lists that fill it. */
static void test_objects_unique(void **state)
{
	static const char *const drops[] = { "drops" };
	static const char *const napt_top[] = { "exhausted", "host_limit" };
	/* wgd.c: the workers' WireGuard hand-off counters (worker.h) */
	static const char *const wg_handoff[] = {
		"handoff_out", "handoff_in", "handoff_drops",
		"handoff_wakeups_sent", "handoff_wakeups", "handoff_wake_failed",
	};
	/* wgd.c: the workers' punt/inject counters (worker_wgce.h) */
	static const char *const wgce[] = {
		"punted", "punt_drops", "punt_bad_len", "stray_dropped",
		"injected", "inject_drops", "inject_wakeups", "wake_failed",
	};
	static const char *const xsk[] = { "name", "sockets" };
	static const char *const dpdk_ids[] = { "name", "devargs", "tap" };
	static const char *const peer[] = {
		"name", "public_key", "preshared_key", "endpoint",
		"allowed_ips", "latest_handshake", "persistent_keepalive",
		"return_path",
	};
	struct keys k;

	(void)state;
	/* map show / stats: COUNTERS */
	k.n = 0;
	add_fields(&k, &gk_cnt_map_dom);
	add_names(&k, drops, 1);
	check_names("map COUNTERS", k.k, k.n);

	/* nat stats: totals (the two refusals are drop names, checked) */
	k.n = 0;
	add_fields(&k, &gk_cnt_napt);
	add_names(&k, drops, 1);
	add_names(&k, napt_top, NELEM(napt_top));
	check_names("nat totals", k.k, k.n);
	assert_string_equal(gk_napt_drop_names[GK_NAPT_DROP_EXHAUSTED],
			    napt_top[0]);
	assert_string_equal(gk_napt_drop_names[GK_NAPT_DROP_HOST_LIMIT],
			    napt_top[1]);

	/* wg show: counters, mape_ce, one peer */
	k.n = 0;
	add_fields(&k, &gk_wgd_cnt);
	add_names(&k, wg_handoff, NELEM(wg_handoff));
	add_names(&k, gk_wg_pending_cnt_names, GK_WG_PENDING_CNT_MAX);
	check_names("wg counters", k.k, k.n);
	k.n = 0;
	add_fields(&k, &gk_wgd_ce_cnt);
	add_names(&k, wgce, NELEM(wgce));
	check_names("wg mape_ce", k.k, k.n);
	k.n = 0;
	add_fields(&k, &gk_cnt_wg_peer);
	add_names(&k, peer, NELEM(peer));
	check_names("wg peer", k.k, k.n);

	/* stats: port_xsk[] */
	k.n = 0;
	add_names(&k, xsk, NELEM(xsk));
	add_fields(&k, &gk_cnt_port_xstats);
	check_names("stats port_xsk", k.k, k.n);

	/* stats: dpdk[] */
	k.n = 0;
	add_names(&k, dpdk_ids, NELEM(dpdk_ids));
	add_fields(&k, &gk_cnt_dpdk_exc);
	add_names(&k, drops, 1);
	check_names("stats dpdk", k.k, k.n);
}

/*
 * obj's keys are want[] in this order and key i holds i + 1. A table's
 * JSON from a buffer whose slot of row i holds i + 1.
 */
static void check_obj(const char *what, json_t *obj,
		      const char *const *want, size_t n)
{
	const char *key;
	json_t *v;
	size_t i = 0;

	assert_non_null(obj);
	json_object_foreach(obj, key, v) {
		if (i >= n)
			fail_msg("%s: extra key '%s'", what, key);
		if (strcmp(key, want[i]))
			fail_msg("%s: key %zu is '%s', docs say '%s'", what,
				 i, key, want[i]);
		assert_int_equal(json_integer_value(v), i + 1);
		i++;
	}
	if (i != n)
		fail_msg("%s: %zu keys, docs say %zu", what, i, n);
	json_decref(obj);
}

static json_t *table_json(const struct gk_cnt_fields *t)
{
	size_t end = 0;
	uint64_t *buf;
	json_t *o;

	for (size_t i = 0; i < t->n; i++)
		if (t->f[i].off / 8 + 1 > end)
			end = t->f[i].off / 8 + 1;
	buf = calloc(end, sizeof(*buf));
	assert_non_null(buf);
	for (size_t i = 0; i < t->n; i++)
		buf[t->f[i].off / 8] = i + 1;
	o = gk_cnt_json_fields(json_object(), t, buf);
	free(buf);
	return o;
}

/* The keys docs/ctl-protocol.md promises, in the order genkand sends. */
static void test_documented_keys(void **state)
{
	static const char *const map_dom[] = {
		"encap_pkts", "encap_bytes", "decap_pkts", "decap_bytes",
		"hairpin_pkts", "icmp_translated", "icmp_unreach_sent",
		"mss_clamped",
	};
	static const char *const napt[] = {
		"sessions", "sessions_created", "sessions_expired", "out_pkts",
		"in_pkts", "hairpin_pkts", "icmp_err_pkts", "event_log_lost",
	};
	static const char *const proto[] = { "tcp", "udp", "icmp" };
	static const char *const xsk[] = {
		"rx_dropped", "rx_invalid_descs", "tx_invalid_descs",
		"rx_ring_full", "rx_fill_ring_empty_descs",
		"tx_ring_empty_descs",
	};
	static const char *const dpdk_exc[] = {
		"to_kernel", "to_kernel_fail", "from_kernel",
		"from_kernel_drop", "tap_too_big", "cls_drops", "rx_multiseg",
	};
	static const char *const wg_peer[] = {
		"transfer_rx", "transfer_tx", "rx_packets", "tx_packets",
	};
	static const char *const wgd[] = {
		"handshake_bad_mac", "cookie_replies_sent",
		"handshake_rejected", "data_on_socket", "initiations_sent",
		"handshakes_completed", "publish_errors", "source_changes",
		"message_too_short", "initiation_bad_length",
		"response_bad_length", "cookie_reply_bad_length",
		"data_bad_length", "unknown_type",
	};
	static const char *const wgd_ce[] = {
		"punt_received", "punt_malformed", "inject_queued",
		"inject_ring_full", "inject_too_big",
	};
	static const char *const staged[] = {
		"staged", "staged_sent", "staged_dropped_full",
		"staged_dropped_expired", "staged_dropped_gone",
		"staged_dropped_too_big",
	};
	const uint64_t v[] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	(void)state;
	check_obj("map COUNTERS", table_json(&gk_cnt_map_dom), map_dom,
		  NELEM(map_dom));
	check_obj("nat totals", table_json(&gk_cnt_napt), napt, NELEM(napt));
	check_obj("stats port_xsk", table_json(&gk_cnt_port_xstats), xsk,
		  NELEM(xsk));
	check_obj("stats dpdk", table_json(&gk_cnt_dpdk_exc), dpdk_exc,
		  NELEM(dpdk_exc));
	check_obj("wg peer", table_json(&gk_cnt_wg_peer), wg_peer,
		  NELEM(wg_peer));
	check_obj("wg counters", table_json(&gk_wgd_cnt), wgd, NELEM(wgd));
	check_obj("wg mape_ce", table_json(&gk_wgd_ce_cnt), wgd_ce,
		  NELEM(wgd_ce));
	check_obj("nat ports_in_use",
		  gk_cnt_json_array(json_object(), gk_cnt_napt_proto_names, v,
				    GK_NAPT_NPROTO),
		  proto, NELEM(proto));
	check_obj("wg staged",
		  gk_cnt_json_array(json_object(), gk_wg_pending_cnt_names, v,
				    GK_WG_PENDING_CNT_MAX),
		  staged, NELEM(staged));
}

/* Fields whose JSON name is not their own: the value must follow. */
static void test_renamed_fields(void **state)
{
	struct gk_napt_stats n = { .sess_active = 7, .log_full = 9 };
	struct gk_wg_peer_stats p = { .rx_bytes = 100, .tx_bytes = 200,
				      .rx_packets = 3, .tx_packets = 4 };
	json_t *o;

	(void)state;
	o = gk_cnt_json_fields(json_object(), &gk_cnt_napt, &n);
	assert_int_equal(json_integer_value(json_object_get(o, "sessions")), 7);
	assert_int_equal(json_integer_value(json_object_get(o,
						"event_log_lost")), 9);
	json_decref(o);
	o = gk_cnt_json_fields(json_object(), &gk_cnt_wg_peer, &p);
	assert_int_equal(json_integer_value(json_object_get(o, "transfer_rx")),
			 100);
	assert_int_equal(json_integer_value(json_object_get(o, "transfer_tx")),
			 200);
	assert_int_equal(json_integer_value(json_object_get(o, "rx_packets")), 3);
	assert_int_equal(json_integer_value(json_object_get(o, "tx_packets")), 4);
	json_decref(o);
}

static void test_helpers(void **state)
{
	struct gk_map_dom_stats a = { .encap_pkts = 1, .mss_clamped = 2,
				      .vfrag_ok = 5 };
	struct gk_map_dom_stats b = { .encap_pkts = 10, .mss_clamped = 20,
				      .vfrag_ok = 50 };
	uint64_t x[3] = { 1, 2, 3 }, y[3] = { 10, 20, 30 };
	json_t *o;

	(void)state;
	gk_cnt_add_fields(&a, &b, &gk_cnt_map_dom);
	assert_int_equal(a.encap_pkts, 11);
	assert_int_equal(a.mss_clamped, 22);
	assert_int_equal(a.vfrag_ok, 5);	/* not in the table */
	gk_cnt_add_array(x, y, 3);
	assert_int_equal(x[0] + x[1] + x[2], 66);

	/* NULL in, NULL out, nothing leaks (valgrind/ASan builds) */
	assert_null(gk_cnt_json_array(NULL, gk_wk_drop_names, x, 1));
	assert_null(gk_cnt_json_fields(NULL, &gk_cnt_napt, &a));
	assert_null(gk_cnt_json_set(NULL, "k", json_integer(1)));
	assert_null(gk_cnt_json_set(json_object(), "k", NULL));
	assert_null(gk_cnt_json_update(NULL, json_object()));
	assert_null(gk_cnt_json_update(json_object(), NULL));

	o = gk_cnt_json_update(gk_cnt_json_set(json_pack("{s:i}", "a", 1),
					       "b", json_integer(2)),
			       json_pack("{s:i, s:i}", "c", 3, "d", 4));
	check_obj("set/update", o, (const char *const[]){ "a", "b", "c", "d" },
		  4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_array_lists),
		cmocka_unit_test(test_struct_lists),
		cmocka_unit_test(test_objects_unique),
		cmocka_unit_test(test_documented_keys),
		cmocka_unit_test(test_renamed_fields),
		cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
