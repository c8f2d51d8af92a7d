// SPDX-License-Identifier: BSD-3-Clause
/*
 * The twin's straight-line path (cls_tables.c gk_cls_tables_classify)
 * against the reference (gk_classify with gk_cls_tables_cfg): the same
 * action, the same meta byte for byte and the same drop reason, on every
 * fixture (in bursts, flow hashes eight lanes at a time and one by one),
 * every prefix of it, and every fixture with one of its first 96 bytes
 * changed, for each table set and ingress port below.
 * Frames sit in heap buffers of exactly their length (ASan builds).
 *
 * Usage: test_fast FIXTURE_FILE
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

#include "cls_tables.h"
#include "fixtures.h"

#define NR_PORTS	3	/* 1 is the CE's IPv4 port, 2 WireGuard's */

static struct fixture *fx;
static size_t nr_fx;
/* fast-path frames per table set, over the unchanged fixtures */
static unsigned long fast_plain[8];
/* the same frames the reference made L4_SERVICE, per table set */
static unsigned long l4svc_plain[8];

/*
 * The fixtures' world (fixtures.h) as tables: with or without the local
 * addresses (without them, local frames are transit and go the fast way),
 * with or without WireGuard (without it, TRANSIT has no flow hash).
 */
static struct gk_cls_tables *fx_tables(uint32_t flags, bool locals, bool wg)
{
	uint32_t local4[1], pflags[GK_MAX_PORTS] = { 0 };
	uint8_t local6[2][16];
	struct gk_cls_v6 m6[FX_NR_MAPE6];
	struct gk_cls_v4 m4[FX_NR_MAPE4];
	struct gk_l4_key l4[FX_NR_L4];
	struct gk_cls_input in = {
		.local4 = local4, .nr_local4 = locals ? 1 : 0,
		.local6 = (const uint8_t (*)[16])local6,
		.nr_local6 = locals ? 2 : 0,
		.mape6 = m6, .nr_mape6 = FX_NR_MAPE6,
		.mape4 = m4, .nr_mape4 = FX_NR_MAPE4,
		.l4 = l4, .nr_l4 = FX_NR_L4,
		.cfg_flags = flags,
		.wg_listen_port = wg ? FX_WG_PORT : 0, .wg_port_id = 2,
		.port_flags = pflags,
	};
	size_t i;

	assert_int_equal(inet_pton(AF_INET, FX_LOCAL4, &local4[0]), 1);
	assert_int_equal(inet_pton(AF_INET6, FX_LOCAL6, local6[0]), 1);
	assert_int_equal(inet_pton(AF_INET6, FX_LOCAL6_BR, local6[1]), 1);
	memset(m6, 0, sizeof(m6));
	memset(m4, 0, sizeof(m4));
	memset(l4, 0, sizeof(l4));
	for (i = 0; i < FX_NR_MAPE6; i++) {
		assert_int_equal(inet_pton(AF_INET6, fx_mape6[i].addr,
					   m6[i].addr), 1);
		m6[i].cls = fx_mape6[i].cls;
	}
	for (i = 0; i < FX_NR_MAPE4; i++) {
		assert_int_equal(inet_pton(AF_INET, fx_mape4[i].prefix,
					   &m4[i].prefix), 1);
		m4[i].plen = fx_mape4[i].plen;
		m4[i].cls = fx_mape4[i].cls;
	}
	for (i = 0; i < FX_NR_L4; i++) {
		l4[i].family = fx_l4[i].family;
		l4[i].proto = fx_l4[i].proto;
		l4[i].port = htons(fx_l4[i].port);
		assert_int_equal(inet_pton(fx_l4[i].family == 4 ? AF_INET :
					   AF_INET6, fx_l4[i].addr, l4[i].addr), 1);
	}
	pflags[1] = GK_PORT_F_MAPE_CE_V4;
	return gk_cls_tables_build(&in);
}

struct world {
	const char *what;
	struct gk_cls_tables *t;	/* NULL: none */
};

static struct world worlds[8];
static size_t nr_worlds;

static int worlds_build(void **state)
{
	static const struct {
		const char *what;
		uint32_t flags;
		bool locals, wg;
	} w[] = {
		{ "fixtures", 0, true, true },
		{ "fixtures, L4", GK_CFG_F_L4, true, true },
		{ "fixtures, L4, ttl to kernel",
		  GK_CFG_F_L4 | GK_CFG_F_TTL_TO_KERNEL, true, true },
		{ "fixtures without locals", 0, false, true },
		{ "fixtures without locals, ttl to kernel",
		  GK_CFG_F_TTL_TO_KERNEL, false, true },
		{ "fixtures without WireGuard", 0, true, false },
	};
	struct gk_cls_input empty = { 0 };
	size_t i;

	worlds[0] = (struct world){ "no tables", NULL };
	worlds[1] = (struct world){ "empty tables", gk_cls_tables_build(&empty) };
	assert_non_null(worlds[1].t);
	nr_worlds = 2;
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		worlds[nr_worlds].what = w[i].what;
		worlds[nr_worlds].t = fx_tables(w[i].flags, w[i].locals,
						w[i].wg);
		assert_non_null(worlds[nr_worlds].t);
		nr_worlds++;
	}
	(void)state;
	return 0;
}

static int worlds_free(void **state)
{
	size_t w;

	for (w = 0; w < nr_worlds; w++)
		gk_cls_tables_free(worlds[w].t);
	(void)state;
	return 0;
}

/*
 * One burst of frames through both; returns how many took the straight
 * line. name and mut (byte offset changed, -1 none) say which on failure.
 */
static unsigned burst_equal(const struct world *w, uint16_t port,
			    uint8_t *const *data, const uint32_t *len,
			    uint16_t n, const char *const *name, int mut,
			    unsigned long *l4svc)
{
	struct gk_pkt pkt[GK_BURST], *pp[GK_BURST];
	uint8_t act[GK_BURST], why[GK_BURST];
	struct gk_classify_cfg cfg;
	unsigned nfast;
	uint16_t i;

	memset(pkt, 0xa5, sizeof(pkt));
	memset(why, 0xee, sizeof(why));
	for (i = 0; i < n; i++) {
		pkt[i].data = data[i];
		pkt[i].len = len[i];
		pp[i] = &pkt[i];
	}
	nfast = gk_cls_tables_classify(w->t, port, pp, n, act, why);
	gk_cls_tables_cfg(w->t, port, &cfg);
	for (i = 0; i < n; i++) {
		enum gk_xdp_drop rwhy = GK_XDP_DROP_MAX;
		struct gk_xdp_meta rm;
		enum gk_cls_action ract;

		memset(&rm, 0x5a, sizeof(rm));
		ract = gk_classify(data[i], len[i], &cfg, &rm, &rwhy);
		if (ract != act[i] || memcmp(&rm, &pkt[i].meta, sizeof(rm)) ||
		    (ract == GK_CLS_DROP && rwhy != why[i]))
			print_error("%s (len %u, byte %d changed), %s, port %u: "
				    "fast act %u class %s, reference %d %s\n",
				    name[i], len[i], mut, w->what, port, act[i],
				    fx_class_name(pkt[i].meta.class), ract,
				    fx_class_name(rm.class));
		assert_int_equal(act[i], ract);
		assert_memory_equal(&pkt[i].meta, &rm, sizeof(rm));
		if (l4svc && rm.class == GK_CLASS_L4_SERVICE)
			(*l4svc)++;
		if (ract == GK_CLS_DROP)
			assert_int_equal(why[i], rwhy);
	}
	return nfast;
}

static uint8_t *dup_exact(const uint8_t *p, uint32_t len)
{
	uint8_t *b = malloc(len ? len : 1);

	assert_non_null(b);
	if (len)
		memcpy(b, p, len);
	return b;
}

static void bursts(void)
{
	uint8_t *data[GK_BURST];
	const char *name[GK_BURST];
	uint32_t len[GK_BURST];
	size_t w, i, k;
	uint16_t port, n;

	for (w = 0; w < nr_worlds; w++) {
		for (port = 0; port < NR_PORTS; port++) {
			for (i = 0; i < nr_fx; i += n) {
				n = (uint16_t)(nr_fx - i < GK_BURST ?
					       nr_fx - i : GK_BURST);
				for (k = 0; k < n; k++) {
					data[k] = dup_exact(fx[i + k].data,
							    fx[i + k].len);
					len[k] = fx[i + k].len;
					name[k] = fx[i + k].name;
				}
				fast_plain[w] += burst_equal(&worlds[w], port,
							     data, len, n,
							     name, -1,
							     &l4svc_plain[w]);
				for (k = 0; k < n; k++)
					free(data[k]);
			}
		}
	}
	/* the straight line must actually carry the common frames */
	for (w = 0; w < nr_worlds; w++)
		print_message("%s: %lu of %zu frames x %d ports fast, %lu "
			      "L4_SERVICE\n", worlds[w].what, fast_plain[w],
			      nr_fx, NR_PORTS, l4svc_plain[w]);
	assert_true(fast_plain[0] >= 3 * 10);
	assert_true(fast_plain[2] >= 3 * 10);	/* fixtures, MAP-E on */
	assert_true(fast_plain[7] >= 3 * 10);	/* fixtures, no WireGuard */
}

/* The fixture table in bursts of up to GK_BURST, as the backend sees it. */
static void fixtures_in_bursts(void **state)
{
	/* eight-lane hashes (where the CPU has AVX2), then one by one */
	gk_cls_tables_simd(true);
	bursts();
	memset(fast_plain, 0, sizeof(fast_plain));
	memset(l4svc_plain, 0, sizeof(l4svc_plain));
	gk_cls_tables_simd(false);
	bursts();
	gk_cls_tables_simd(true);
	(void)state;
}

/* Every prefix of every fixture, one frame a burst. */
static void prefixes(void **state)
{
	size_t w, i;
	uint16_t port;
	uint32_t l;

	(void)state;
	for (i = 0; i < nr_fx; i++) {
		for (l = 0; l <= fx[i].len; l++) {
			uint8_t *b = dup_exact(fx[i].data, l);
			const char *name = fx[i].name;

			for (w = 0; w < nr_worlds; w++)
				for (port = 0; port < NR_PORTS; port++)
					burst_equal(&worlds[w], port, &b, &l, 1,
						    &name, -1, NULL);
			free(b);
		}
	}
}

/*
 * Each of the first 96 bytes of every fixture set to values that sit on
 * the straight line's boundaries (lengths, TTL, IHL, DF/MF, ports, group
 * bits, address classes), one frame a burst.
 */
static void one_byte_changed(void **state)
{
	static const uint8_t vals[] = { 0x00, 0x01, 0x02, 0x04, 0x05, 0x06,
					0x11, 0x14, 0x1b, 0x1c, 0x28, 0x3a,
					0x40, 0x45, 0x46, 0x50, 0x60, 0x80,
					0xdf, 0xe0, 0xfe, 0xff };
	unsigned long nfast = 0;
	size_t w, i, v;
	uint16_t port;
	uint32_t off;

	(void)state;
	for (i = 0; i < nr_fx; i++) {
		uint8_t *b = dup_exact(fx[i].data, fx[i].len);
		const char *name = fx[i].name;
		uint32_t len = fx[i].len;

		for (off = 0; off < len && off < 96; off++) {
			for (v = 0; v < sizeof(vals) + 1; v++) {
				b[off] = v < sizeof(vals) ? vals[v] :
					 (uint8_t)(fx[i].data[off] ^ 1);
				for (w = 0; w < nr_worlds; w++)
					for (port = 0; port < NR_PORTS; port++)
						nfast += burst_equal(
							&worlds[w], port, &b,
							&len, 1, &name,
							(int)off, NULL);
			}
			b[off] = fx[i].data[off];
		}
		free(b);
	}
	print_message("one byte changed: %lu fast\n", nfast);
	assert_true(nfast > 1000);
}

/* Whether the reference's frame goes to one of fx_l4's addresses. */
static bool to_listen_addr(const uint8_t *frame, const struct gk_xdp_meta *m)
{
	bool v4 = m->flags & GK_META_F_IPV4;
	const uint8_t *dst = frame + m->l3_off + (v4 ? 16 : 24);
	uint8_t a[16];
	size_t i;

	for (i = 0; i < FX_NR_L4; i++) {
		if (fx_l4[i].family != (v4 ? 4 : 6))
			continue;
		assert_int_equal(inet_pton(v4 ? AF_INET : AF_INET6,
					   fx_l4[i].addr, a), 1);
		if (!memcmp(dst, a, v4 ? 4 : 16))
			return true;
	}
	return false;
}

/*
 * One frame alone through burst_equal (both agree), then the reference's
 * meta for it in *m; returns whether it took the straight line.
 */
static unsigned fast_ref(const struct world *w, uint16_t port, uint8_t **b,
			 uint32_t *len, const char **name,
			 struct gk_xdp_meta *m)
{
	unsigned fast = burst_equal(w, port, b, len, 1, name, -1, NULL);
	struct gk_classify_cfg cfg;
	enum gk_xdp_drop why;

	gk_cls_tables_cfg(w->t, port, &cfg);
	gk_classify(*b, *len, &cfg, m, &why);
	return fast;
}

/*
 * With L4 services on (rule 10), a frame the straight line carries
 * without them still goes that way unless it is to a listen address,
 * and frames to a listen address and port (L4_SERVICE) go that way too.
 */
static void l4_services_keep_transit_fast(void **state)
{
	const struct world *plain = &worlds[2], *l4 = &worlds[3];
	struct world nolocal = { "fixtures, L4, without locals",
				 fx_tables(GK_CFG_F_L4, false, true) };
	unsigned long kept = 0, svc4 = 0, svc6 = 0;
	size_t i;

	(void)state;
	assert_non_null(nolocal.t);
	assert_true(!(plain->t->cfg_flags & GK_CFG_F_L4) &&
		    (l4->t->cfg_flags & GK_CFG_F_L4));
	for (i = 0; i < nr_fx; i++) {
		uint8_t *b = dup_exact(fx[i].data, fx[i].len);
		const char *name = fx[i].name;
		uint32_t len = fx[i].len;
		struct gk_xdp_meta m;
		unsigned fast_l4;

		fast_l4 = fast_ref(l4, 0, &b, &len, &name, &m);
		if (fast_l4 && m.class == GK_CLASS_L4_SERVICE &&
		    (m.flags & GK_META_F_IPV4))
			svc4++;
		/*
		 * The fixtures' IPv6 listen address shares its prefilter
		 * bucket with a local address (so it takes the reference
		 * above): without the local addresses it does not.
		 */
		if (fast_ref(&nolocal, 0, &b, &len, &name, &m)) {
			if (m.class == GK_CLASS_L4_SERVICE &&
			    (m.flags & GK_META_F_IPV6))
				svc6++;
		}
		if (burst_equal(plain, 0, &b, &len, 1, &name, -1, NULL)) {
			fast_l4 = fast_ref(l4, 0, &b, &len, &name, &m);
			if (m.class == GK_CLASS_TRANSIT &&
			    !to_listen_addr(b, &m)) {
				if (!fast_l4)
					print_error("%s: not fast with L4 "
						    "services\n", name);
				assert_int_equal(fast_l4, 1);
				kept++;
			}
		}
		free(b);
	}
	gk_cls_tables_free(nolocal.t);
	print_message("with L4 services: %lu transit frames still fast, "
		      "L4_SERVICE fast: %lu IPv4, %lu IPv6\n", kept, svc4,
		      svc6);
	assert_true(kept >= 10);
	assert_true(svc4 >= 3);
	assert_true(svc6 >= 2);
}

/*
 * A WireGuard data message to a local address on WireGuard's port (what
 * a front door receives from its peers) takes the straight line, IPv4
 * and IPv6; the reference says which frames are such.
 */
static void wg_data_fast(void **state)
{
	const struct world *w = &worlds[2];
	unsigned long v4 = 0, v6 = 0;
	size_t i;

	(void)state;
	for (i = 0; i < nr_fx; i++) {
		uint8_t *b = dup_exact(fx[i].data, fx[i].len);
		const char *name = fx[i].name;
		uint32_t len = fx[i].len;
		struct gk_xdp_meta m;
		unsigned fast = fast_ref(w, 2, &b, &len, &name, &m);

		if (m.class == GK_CLASS_WG_DATA &&
		    !(m.flags & GK_META_F_VLAN)) {
			if (!fast)
				print_error("%s: WireGuard data not fast\n",
					    name);
			assert_int_equal(fast, 1);
			if (m.flags & GK_META_F_IPV4)
				v4++;
			else
				v6++;
		}
		free(b);
	}
	print_message("WireGuard data fast: %lu IPv4, %lu IPv6\n", v4, v6);
	assert_true(v4 >= 2);
	assert_true(v6 >= 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fixtures_in_bursts),
		cmocka_unit_test(prefixes),
		cmocka_unit_test(one_byte_changed),
		cmocka_unit_test(l4_services_keep_transit_fast),
		cmocka_unit_test(wg_data_fast),
	};
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURE_FILE\n", argv[0]);
		return 2;
	}
	if (fx_load(argv[1], &fx, &nr_fx))
		return 1;
	rc = cmocka_run_group_tests(tests, worlds_build, worlds_free);
	fx_free(fx, nr_fx);
	return rc ? 1 : 0;
}
