// SPDX-License-Identifier: BSD-3-Clause
/*
 * Software classifier (dataplane/parse.c) against the scapy fixture table.
 * Each frame is copied into a heap buffer of exactly its length, so a
 * sanitizer build catches any read past the end.
 *
 * Usage: test_parse FIXTURE_FILE
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <genkan/bpf_maps.h>

#include "parse.h"
#include "fixtures.h"

/*
 * The configuration a fixture assumes: locals, MAP-E maps, its port,
 * WireGuard on unless it says wg=off.
 */
static struct gk_classify_cfg fx_cfg(const struct fixture *f, uint32_t flags)
{
	struct gk_classify_cfg c = {
		.is_local4 = fx_is_local4,
		.is_local6 = fx_is_local6,
		.flags = flags,
		.mape_v6 = fx_mape_v6,
		.mape_v4 = fx_mape_v4,
		.mape_ce_v4_port = f->mape_ce_port,
		.wg_listen_port = f->wg_off ? 0 : FX_WG_PORT,
		.l4svc = fx_l4svc,
	};

	return c;
}

static bool is_mape(int cls)
{
	return cls == GK_CLASS_MAPE_CE || cls == GK_CLASS_MAPE_BR;
}

static enum gk_cls_action expect_action(enum fx_action a)
{
	switch (a) {
	case FX_REDIRECT:
		return GK_CLS_WORKER;
	case FX_PASS:
		return GK_CLS_KERNEL;
	default:
		return GK_CLS_DROP;
	}
}

static void run_fixture(void **state)
{
	const struct fixture *f = *state;
	const struct gk_classify_cfg cfg = fx_cfg(f, 0);
	enum gk_xdp_drop why = GK_XDP_DROP_MAX;
	struct gk_xdp_meta m;
	enum gk_cls_action act;
	uint8_t *copy;

	copy = malloc(f->len ? f->len : 1);
	assert_non_null(copy);
	if (f->len)
		memcpy(copy, f->data, f->len);
	act = gk_classify(copy, f->len, &cfg, &m, &why);

	if (act != expect_action(f->action) || m.class != f->cls)
		print_error("%s: got action %d class %s, want %s %s\n", f->name,
			    act, fx_class_name(m.class),
			    fx_action_name(f->action), fx_class_name(f->cls));
	assert_int_equal(act, expect_action(f->action));
	assert_int_equal(m.class, f->cls);
	assert_int_equal(m.magic, GK_META_MAGIC);
	assert_int_equal(m.version, GK_META_VERSION);
	if (f->action == FX_DROP) {
		if ((int)why != f->drop)
			print_error("%s: drop reason %s, want %s\n", f->name,
				    fx_drop_name(why), fx_drop_name(f->drop));
		assert_int_equal(why, f->drop);
	}
	if (f->action == FX_REDIRECT) {
		assert_int_equal(m.l3_off, f->meta.l3_off);
		assert_int_equal(m.l4_off, f->meta.l4_off);
		assert_int_equal(m.l4_proto, f->meta.l4_proto);
		assert_int_equal(m.flags, f->meta.flags);
		assert_int_equal(m.vlan_tci, f->meta.vlan_tci);
		assert_int_equal(m.flow_hash, f->meta.flow_hash);
		assert_memory_equal(&m, &f->meta, sizeof(m));
	}
	free(copy);
}

/*
 * GK_CFG_F_TTL_TO_KERNEL: the whole table again; TTL-expired packets go to
 * the kernel with the same class, nothing else changes.
 */
static void ttl_to_kernel(void **state)
{
	const struct fixture *fx = *state;
	enum gk_cls_action act, want;
	enum gk_xdp_drop why;
	struct gk_xdp_meta m;
	int nttl = 0;

	for (; fx->len || fx->name[0]; fx++) {
		want = expect_action(fx->action);
		if (fx->cls == GK_CLASS_TTL_EXPIRED) {
			assert_int_equal(want, GK_CLS_WORKER);
			want = GK_CLS_KERNEL;
			nttl++;
		}
		const struct gk_classify_cfg cfg_ttl_kernel =
			fx_cfg(fx, GK_CFG_F_TTL_TO_KERNEL);

		act = gk_classify(fx->data, fx->len, &cfg_ttl_kernel, &m, &why);
		if (act != want || m.class != fx->cls)
			print_error("%s: got action %d class %s, want %d %s\n",
				    fx->name, act, fx_class_name(m.class), want,
				    fx_class_name(fx->cls));
		assert_int_equal(act, want);
		assert_int_equal(m.class, fx->cls);
		if (act == GK_CLS_DROP)
			assert_int_equal(why, fx->drop);
	}
	/* the table must actually exercise the flag */
	assert_true(nttl >= 4);
}

/* No cfg: nothing is local, so local fixtures become routed or drops. */
static void null_cfg_local_is_transit(void **state)
{
	const struct fixture *fx = *state;
	enum gk_xdp_drop why;
	struct gk_xdp_meta m;

	for (; fx->len || fx->name[0]; fx++) {
		if (!strcmp(fx->name, "v4_ttl1") || !strcmp(fx->name, "v6_hlim1")) {
			/* NULL cfg: flags clear, a worker answers */
			assert_int_equal(gk_classify(fx->data, fx->len, NULL,
						     &m, &why), GK_CLS_WORKER);
			assert_int_equal(m.class, GK_CLASS_TTL_EXPIRED);
			continue;
		}
		if (strcmp(fx->name, "v4_local_tcp") && strcmp(fx->name, "v6_local_tcp"))
			continue;
		assert_int_equal(gk_classify(fx->data, fx->len, NULL, &m, &why),
				 GK_CLS_WORKER);
		assert_int_equal(m.class, GK_CLASS_TRANSIT);
	}
}

/* Every prefix of every fixture: no crash, no read past len (ASan). */
static void all_prefixes_are_safe(void **state)
{
	const struct fixture *fx = *state;
	enum gk_xdp_drop why;
	struct gk_xdp_meta m;
	uint32_t l;

	for (; fx->len || fx->name[0]; fx++) {
		const struct gk_classify_cfg cfg = fx_cfg(fx, 0);

		for (l = 0; l <= fx->len; l++) {
			uint8_t *b = malloc(l ? l : 1);

			assert_non_null(b);
			if (l)
				memcpy(b, fx->data, l);
			gk_classify(b, l, &cfg, &m, &why);
			assert_true(m.class < GK_CLASS_MAX);
			free(b);
		}
	}
}

/*
 * MAP-E off (no callbacks, no port flag): no packet is MAP-E, and every
 * fixture that is not MAP-E classifies exactly as with MAP-E on.
 */
static void mape_off_changes_only_mape(void **state)
{
	const struct fixture *fx = *state;
	struct gk_xdp_meta m_on, m_off;
	enum gk_xdp_drop why_on, why_off;
	enum gk_cls_action on, act_off;
	int nmape = 0;

	for (; fx->len || fx->name[0]; fx++) {
		const struct gk_classify_cfg cfg = fx_cfg(fx, 0);
		struct gk_classify_cfg off = cfg;

		off.mape_v6 = NULL;
		off.mape_v4 = NULL;
		off.mape_ce_v4_port = false;
		act_off = gk_classify(fx->data, fx->len, &off, &m_off, &why_off);
		assert_false(is_mape(m_off.class));
		if (is_mape(fx->cls)) {
			nmape++;
			continue;
		}
		on = gk_classify(fx->data, fx->len, &cfg, &m_on, &why_on);
		if (on != act_off || memcmp(&m_on, &m_off, sizeof(m_on)))
			print_error("%s: MAP-E off gives class %s, on %s\n",
				    fx->name, fx_class_name(m_off.class),
				    fx_class_name(m_on.class));
		assert_int_equal(on, act_off);
		assert_memory_equal(&m_on, &m_off, sizeof(m_on));
		if (on == GK_CLS_DROP)
			assert_int_equal(why_on, why_off);
	}
	/* the table must actually exercise MAP-E */
	assert_true(nmape >= 20);
}

/*
 * WireGuard off (no listen port): its classes become LOCAL, and nothing
 * else moves, flow hashes included (none depends on WireGuard).
 */
static void wg_off_changes_only_wg(void **state)
{
	const struct fixture *fx = *state;
	struct gk_xdp_meta m_on, m_off;
	enum gk_xdp_drop why_on, why_off;
	enum gk_cls_action on, act_off;
	int nwg = 0;

	for (; fx->len || fx->name[0]; fx++) {
		const struct gk_classify_cfg cfg = fx_cfg(fx, 0);
		struct gk_classify_cfg off = cfg;

		off.wg_listen_port = 0;
		on = gk_classify(fx->data, fx->len, &cfg, &m_on, &why_on);
		act_off = gk_classify(fx->data, fx->len, &off, &m_off, &why_off);
		if (fx->wg_off) {
			assert_int_equal(on, act_off);
			assert_memory_equal(&m_on, &m_off, sizeof(m_on));
			continue;
		}
		if (m_on.class == GK_CLASS_WG_DATA ||
		    m_on.class == GK_CLASS_WG_HANDSHAKE) {
			assert_int_equal(m_off.class, GK_CLASS_LOCAL);
			assert_int_equal(act_off, GK_CLS_KERNEL);
			nwg++;
			continue;
		}
		assert_int_equal(on, act_off);
		assert_memory_equal(&m_on, &m_off, sizeof(m_on));
		if (on == GK_CLS_DROP)
			assert_int_equal(why_on, why_off);
	}
	/* the table must actually exercise both */
	assert_true(nwg >= 4);
}

int main(int argc, char **argv)
{
	struct CMUnitTest *tests;
	struct fixture *fx, *all;
	size_t n, i;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURE_FILE\n", argv[0]);
		return 2;
	}
	if (fx_load(argv[1], &fx, &n))
		return 1;

	/* a zeroed sentinel ends the list for the whole-table tests */
	all = calloc(n + 1, sizeof(*all));
	tests = calloc(n + 5, sizeof(*tests));
	if (!all || !tests)
		return 1;
	memcpy(all, fx, n * sizeof(*fx));
	for (i = 0; i < n; i++) {
		tests[i].name = fx[i].name;
		tests[i].test_func = run_fixture;
		tests[i].initial_state = &fx[i];
	}
	tests[n].name = "null_cfg_local_is_transit";
	tests[n].test_func = null_cfg_local_is_transit;
	tests[n].initial_state = all;
	tests[n + 1].name = "all_prefixes_are_safe";
	tests[n + 1].test_func = all_prefixes_are_safe;
	tests[n + 1].initial_state = all;
	tests[n + 2].name = "ttl_to_kernel";
	tests[n + 2].test_func = ttl_to_kernel;
	tests[n + 2].initial_state = all;

	tests[n + 3].name = "mape_off_changes_only_mape";
	tests[n + 3].test_func = mape_off_changes_only_mape;
	tests[n + 3].initial_state = all;

	tests[n + 4].name = "wg_off_changes_only_wg";
	tests[n + 4].test_func = wg_off_changes_only_wg;
	tests[n + 4].initial_state = all;

	rc = _cmocka_run_group_tests("classify_sw", tests, n + 5, NULL, NULL);
	free(tests);
	free(all);
	fx_free(fx, n);
	return rc ? 1 : 0;
}
