// SPDX-License-Identifier: BSD-3-Clause
/*
 * NAPT44 stage (dataplane/napt.c).
 *
 * Translation: scapy scenarios from gen_napt.py, each on a fresh stage
 * (worker 0 of 16, so 15 candidate outside ports; a step may run on
 * worker 1's stage instead, for hairpins across workers), checked byte
 * for byte.
 * Allocator, timeouts, TCP state, filtering, static mappings, the event
 * log: driven with small hand-built packets and an injected clock, checked
 * against the port-set tables gen_napt.py computes from RFC 7597 §5.1.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "map_rule.h"
#include "napt.h"
#include "pkt.h"
#include "spsc.h"
#include "wkstats.h"

#include "napt_fixtures.h"

#define NS		1000000000ull
#define ROOM		2048
#define T0		(1000 * NS)

struct slot {
	struct gk_pkt pkt;
	uint8_t buf[GK_PKT_HEADROOM + ROOM];
};

static const uint8_t ext4[4] = NX_EXT;

/* Meta as the classifier would write it, from the frame itself. */
static void load(struct slot *s, const uint8_t *f, uint16_t len)
{
	uint16_t fo;

	memset(s, 0, sizeof(*s));
	memcpy(s->buf + GK_PKT_HEADROOM, f, len);
	s->pkt.data = s->buf + GK_PKT_HEADROOM;
	s->pkt.len = len;
	s->pkt.buf_len = ROOM;
	s->pkt.meta.magic = GK_META_MAGIC;
	s->pkt.meta.version = GK_META_VERSION;
	s->pkt.meta.class = GK_CLASS_MAPE_CE;
	s->pkt.meta.l3_off = 14;
	s->pkt.meta.l4_off = (uint16_t)(14 + (f[14] & 15) * 4);
	s->pkt.meta.l4_proto = f[23];
	s->pkt.meta.flags = GK_META_F_IPV4 | GK_META_F_L4;
	fo = (uint16_t)(f[20] << 8 | f[21]);
	if (fo & 0x3fff)
		s->pkt.meta.flags |= GK_META_F_FRAG;
	if (fo & 0x1fff)
		s->pkt.meta.flags = (s->pkt.meta.flags & ~GK_META_F_L4) |
				    GK_META_F_LATER_FRAG;
}

static struct gk_napt_cfg mkcfg(const struct nx_set *set, unsigned w,
				unsigned nw)
{
	struct gk_napt_cfg c = { 0 };

	memcpy(c.ext_addr, ext4, 4);
	c.psid_offset = set->a;
	c.psid_len = set->k;
	c.psid = set->psid;
	c.worker = (uint16_t)w;
	c.nr_workers = (uint16_t)nw;
	c.seed = 0x5eed;
	return c;
}

static struct gk_napt *mk(const struct gk_napt_cfg *c)
{
	char err[160];
	struct gk_napt *n;
	int rc;

	n = gk_napt_create(c, &rc, err, sizeof(err));
	if (!n)
		print_error("create: %d %s\n", rc, err);
	assert_non_null(n);
	return n;
}

static unsigned drop_idx(const char *name)
{
	unsigned i;

	for (i = 0; i < GK_NAPT_DROP_MAX; i++)
		if (!strcmp(gk_napt_drop_names[i], name))
			return i;
	fail_msg("no drop counter %s", name);
	return 0;
}

static void run1(struct gk_napt *n, struct slot *s, int dir)
{
	struct gk_pkt *p = &s->pkt;

	if (dir)
		gk_napt_in_burst(n, &p, 1);
	else
		gk_napt_out_burst(n, &p, 1);
}

static bool same(const struct slot *s, const struct nx_frame *f)
{
	return s->pkt.len == f->len &&
	       !memcmp(s->pkt.data, f->b, f->len);
}

static void hexdiff(const char *what, const struct slot *s,
		    const struct nx_frame *f)
{
	uint32_t i;

	print_error("%s: len %u want %u\n", what, s->pkt.len, f->len);
	for (i = 0; i < s->pkt.len && i < f->len; i++)
		if (s->pkt.data[i] != f->b[i]) {
			print_error("%s: byte %u: got 0x%02x want 0x%02x\n",
				    what, i, s->pkt.data[i], f->b[i]);
			return;
		}
}

static void test_translate(void **state)
{
	const struct nx_set *set = &nx_sets[0];
	unsigned si, ti, v, i;
	struct gk_wk_stats wk;
	struct slot s;

	(void)state;
	for (si = 0; si < sizeof(nx_scn) / sizeof(nx_scn[0]); si++) {
		const struct nx_scn *sc = &nx_scn[si];
		struct gk_napt_cfg c = mkcfg(set, 0, NX_W);
		struct gk_napt *ns[2], *n;
		unsigned w;
		int var = -1;

		/* workers 0 and 1 of NX_W: hairpin_xworker crosses them */
		c.filter = (uint8_t)sc->filter;
		memset(&wk, 0, sizeof(wk));
		for (w = 0; w < 2; w++) {
			c.worker = (uint16_t)w;
			ns[w] = mk(&c);
			gk_napt_set_wkstats(ns[w], &wk);
			gk_napt_set_now(ns[w], T0);
		}
		n = ns[sc->sworker];
		if (sc->has_static) {
			struct gk_napt_static m = { .proto = sc->sproto,
				.ext_port = sc->sport, .in_port = sc->sin };

			memcpy(m.in_addr, sc->saddr, 4);
			assert_int_equal(gk_napt_static_add(n, &m, false, NULL, 0), 0);
		}
		for (ti = 0; ti < sc->n; ti++) {
			const struct nx_step *st = &sc->steps[ti];
			uint64_t before;
			unsigned d = st->drop ? drop_idx(st->drop) : 0;

			n = ns[st->w];
			if (st->var && var < 0) {
				/* the outside port is the stage's choice: learn it */
				assert_int_equal(st->dir, 0);
				load(&s, st->in[0].b, st->in[0].len);
				run1(n, &s, 0);
				for (v = 0; v < NX_NV; v++)
					if (same(&s, &st->exp[v]))
						var = (int)v;
				if (var < 0)
					hexdiff(sc->name, &s, &st->exp[0]);
				print_message("%s: outside port %u\n", sc->name,
					      nx_dyn[var < 0 ? 0 : var]);
				assert_true(var >= 0);
				assert_int_equal(s.pkt.verdict, st->verdict);
				continue;
			}
			i = var < 0 ? 0 : (unsigned)var;
			before = st->drop ? gk_napt_stats(n)->drops[d] : 0;
			load(&s, st->in[i].b, st->in[i].len);
			run1(n, &s, st->dir);
			if (s.pkt.verdict != st->verdict)
				print_error("%s step %u: verdict %u want %u\n",
					    sc->name, ti, s.pkt.verdict, st->verdict);
			assert_int_equal(s.pkt.verdict, st->verdict);
			if (st->verdict == GK_V_DROP) {
				assert_int_equal(s.pkt.drop_reason, GK_WK_DROP_NAPT);
				assert_int_equal(gk_napt_stats(n)->drops[d], before + 1);
				continue;
			}
			if (!same(&s, &st->exp[i])) {
				print_error("%s step %u\n", sc->name, ti);
				hexdiff(sc->name, &s, &st->exp[i]);
			}
			assert_true(same(&s, &st->exp[i]));
			/* meta layout unchanged: offsets and flags as received */
			assert_int_equal(s.pkt.meta.l3_off, 14);
			assert_int_equal(s.pkt.meta.flags,
					 GK_META_F_IPV4 | GK_META_F_L4);
		}
		gk_napt_free(ns[0]);
		gk_napt_free(ns[1]);
	}
}

/* Small hand-built packets for the state tests: bytes need not checksum. */
static void mk_ip(struct slot *s, uint8_t proto, uint32_t src, uint32_t dst,
		  uint16_t l4len)
{
	uint8_t f[128] = { 0 };
	uint16_t tl = (uint16_t)(20 + l4len);
	uint32_t a;

	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (uint8_t)(tl >> 8);
	f[17] = (uint8_t)tl;
	f[22] = 64;
	f[23] = proto;
	a = htonl(src);
	memcpy(f + 26, &a, 4);
	a = htonl(dst);
	memcpy(f + 30, &a, 4);
	load(s, f, (uint16_t)(14 + tl));
}

static uint8_t *l4(struct slot *s)
{
	return s->pkt.data + 34;
}

static void mk_udp(struct slot *s, uint32_t src, uint16_t sp, uint32_t dst,
		   uint16_t dp)
{
	mk_ip(s, 17, src, dst, 8);
	l4(s)[0] = (uint8_t)(sp >> 8);
	l4(s)[1] = (uint8_t)sp;
	l4(s)[2] = (uint8_t)(dp >> 8);
	l4(s)[3] = (uint8_t)dp;
	l4(s)[5] = 8;
}

static void mk_tcp(struct slot *s, uint32_t src, uint16_t sp, uint32_t dst,
		   uint16_t dp, uint8_t flags)
{
	mk_ip(s, 6, src, dst, 20);
	l4(s)[0] = (uint8_t)(sp >> 8);
	l4(s)[1] = (uint8_t)sp;
	l4(s)[2] = (uint8_t)(dp >> 8);
	l4(s)[3] = (uint8_t)dp;
	l4(s)[12] = 0x50;
	l4(s)[13] = flags;
}

static void mk_echo(struct slot *s, uint32_t src, uint32_t dst, uint16_t id,
		    uint8_t type)
{
	mk_ip(s, 1, src, dst, 8);
	l4(s)[0] = type;
	l4(s)[4] = (uint8_t)(id >> 8);
	l4(s)[5] = (uint8_t)id;
}

static uint16_t sport(struct slot *s)
{
	return (uint16_t)(l4(s)[0] << 8 | l4(s)[1]);
}

static uint16_t dport(struct slot *s)
{
	return (uint16_t)(l4(s)[2] << 8 | l4(s)[3]);
}

static uint32_t daddr(struct slot *s)
{
	uint32_t a;

	memcpy(&a, s->pkt.data + 30, 4);
	return ntohl(a);
}

#define LAN(i)	(0xc6336400u + (i))	/* 198.51.100.i */
#define REM(i)	(0xcb007100u + (i))	/* 203.0.113.i */
#define EXT	0xc0000212u		/* 192.0.2.18 */

/* Outbound UDP; returns the outside port, 0 when dropped. */
static uint16_t udp_out(struct gk_napt *n, uint32_t src, uint16_t sp,
			uint32_t dst, uint16_t dp)
{
	struct slot s;

	mk_udp(&s, src, sp, dst, dp);
	run1(n, &s, 0);
	if (s.pkt.verdict != GK_V_NONE)
		return 0;
	return sport(&s);
}

/* Inbound UDP; true when let in (to the expected LAN endpoint). */
static bool udp_in(struct gk_napt *n, uint32_t src, uint16_t sp, uint16_t ep,
		   uint32_t want, uint16_t wport)
{
	struct slot s;

	mk_udp(&s, src, sp, EXT, ep);
	run1(n, &s, 1);
	if (s.pkt.verdict != GK_V_NONE)
		return false;
	assert_int_equal(daddr(&s), want);
	assert_int_equal(dport(&s), wport);
	return true;
}

static bool in_set(const struct nx_set *set, uint16_t port, unsigned *idx)
{
	unsigned i;

	for (i = 0; i < set->n; i++)
		if (set->ports[i] == port) {
			*idx = i;
			return true;
		}
	return false;
}

/* Every port of the set, only ports of the set, every range, then exhaustion. */
static void test_alloc_set(void **state)
{
	unsigned si, i, idx = 0;

	(void)state;
	for (si = 0; si < NX_NSETS; si++) {
		const struct nx_set *set = &nx_sets[si];
		struct gk_napt_cfg c = mkcfg(set, 0, 1);
		uint8_t *seen = calloc(set->n, 1), ranges[64] = { 0 };
		struct gk_napt_host_info hi[64];
		struct gk_napt *n;
		uint16_t p, first;
		unsigned nh;

		assert_non_null(seen);
		n = mk(&c);
		gk_napt_set_now(n, T0);
		for (i = 0; i < set->n; i++) {
			p = udp_out(n, LAN(1 + i % 50), (uint16_t)(1024 + i), REM(1), 53);
			assert_int_not_equal(p, 0);
			assert_true(gk_map_port_ok(set->a, set->k, set->psid, p));
			assert_true(in_set(set, p, &idx));
			assert_false(seen[idx]);
			seen[idx] = 1;
			ranges[set->range[idx]] = 1;
		}
		for (i = 0; i < set->nranges; i++)
			assert_true(ranges[i]);
		assert_int_equal(gk_napt_stats(n)->ports_in_use[GK_NAPT_UDP], set->n);
		{
			uint32_t use[64];

			assert_int_equal(gk_napt_range_usage(n, 17, use, 64),
					 set->nranges);
			for (i = 0; i < set->nranges; i++)
				assert_int_equal(use[i], set->n / set->nranges);
			gk_napt_range_usage(n, 6, use, 64);
			assert_int_equal(use[0], 0);
		}
		/* full: the new flow is refused and counted for its host */
		assert_int_equal(udp_out(n, LAN(77), 999, REM(1), 53), 0);
		assert_int_equal(gk_napt_stats(n)->drops[GK_NAPT_DROP_EXHAUSTED], 1);
		nh = gk_napt_hosts(n, hi, 64);
		assert_int_equal(nh, 51);
		for (i = 0; i < nh; i++)
			if (!memcmp(hi[i].addr, (uint8_t[]){198, 51, 100, 77}, 4))
				assert_int_equal(hi[i].refused, 1);
			else
				assert_int_equal(hi[i].refused, 0);
		/* existing flows keep their ports; TCP has its own space */
		first = udp_out(n, LAN(1), 1024, REM(2), 53);
		assert_int_not_equal(first, 0);
		assert_int_equal(udp_out(n, LAN(1), 1024, REM(1), 53), first);
		{
			struct slot s;

			mk_tcp(&s, LAN(77), 999, REM(1), 80, 0x02);
			run1(n, &s, 0);
			assert_int_equal(s.pkt.verdict, GK_V_NONE);
			assert_true(in_set(set, sport(&s), &idx));
		}
		gk_napt_free(n);
		free(seen);
	}
}

/* The first flows land in many ranges, not the first 16 ports. */
static void test_alloc_spread(void **state)
{
	const struct nx_set *set = &nx_sets[0];
	struct gk_napt_cfg c = mkcfg(set, 0, 1);
	uint8_t ranges[64] = { 0 };
	struct gk_napt *n = mk(&c);
	unsigned i, idx = 0, nr = 0;
	uint16_t p;

	(void)state;
	gk_napt_set_now(n, T0);
	for (i = 0; i < 15; i++) {
		p = udp_out(n, LAN(1 + i), 5000, REM(1), 53);
		assert_true(in_set(set, p, &idx));
		if (!ranges[set->range[idx]]++)
			nr++;
	}
	print_message("15 flows over %u of %u ranges\n", nr, set->nranges);
	assert_true(nr >= 8);
	gk_napt_free(n);
}

/* Three workers: disjoint, covering, each in every range, as the doc says. */
static void test_workers(void **state)
{
	unsigned si, w, i, idx = 0;

	(void)state;
	for (si = 0; si < NX_NSETS; si++) {
		const struct nx_set *set = &nx_sets[si];
		uint8_t *cnt = calloc(set->n, 1);
		uint16_t *own = calloc(set->n, sizeof(*own));
		unsigned total = 0;

		assert_non_null(cnt);
		assert_non_null(own);
		for (w = 0; w < 3; w++) {
			struct gk_napt_cfg c = mkcfg(set, w, 3);
			struct gk_napt *n = mk(&c);
			uint8_t ranges[64] = { 0 };
			unsigned no = gk_napt_owned_ports(n, own, set->n);

			total += no;
			for (i = 0; i < no; i++) {
				assert_true(in_set(set, own[i], &idx));
				assert_int_equal(set->owner3[idx], w);
				assert_int_equal(gk_napt_port_owner(&c, own[i]), w);
				cnt[idx]++;
				ranges[set->range[idx]] = 1;
			}
			for (i = 0; i < set->nranges; i++)
				assert_true(ranges[i]);
			/* allocation stays inside the worker's share */
			gk_napt_set_now(n, T0);
			for (i = 0; i < 20; i++) {
				uint16_t p = udp_out(n, LAN(3), (uint16_t)(2000 + i),
						     REM(1), 53);

				assert_true(in_set(set, p, &idx));
				assert_int_equal(set->owner3[idx], w);
			}
			gk_napt_free(n);
		}
		assert_int_equal(total, set->n);
		for (i = 0; i < set->n; i++)
			assert_int_equal(cnt[i], 1);
		free(cnt);
		free(own);
	}
}

static void test_host_limit(void **state)
{
	struct gk_napt_cfg c = mkcfg(&nx_sets[0], 0, 1);
	struct gk_napt_host_info hi[4];
	struct gk_napt *n;
	unsigned i, nh;

	(void)state;
	c.host_limit = 4;
	n = mk(&c);
	gk_napt_set_now(n, T0);
	for (i = 0; i < 4; i++)
		assert_int_not_equal(udp_out(n, LAN(1), (uint16_t)(3000 + i), REM(1), 53), 0);
	/* same endpoint, new destination: EIM reuses the binding, no new port */
	assert_int_not_equal(udp_out(n, LAN(1), 3000, REM(9), 53), 0);
	assert_int_equal(udp_out(n, LAN(1), 3004, REM(1), 53), 0);
	assert_int_equal(gk_napt_stats(n)->drops[GK_NAPT_DROP_HOST_LIMIT], 1);
	assert_int_not_equal(udp_out(n, LAN(2), 3004, REM(1), 53), 0);
	nh = gk_napt_hosts(n, hi, 4);
	assert_int_equal(nh, 2);
	for (i = 0; i < nh; i++) {
		if (hi[i].addr[3] == 1) {
			assert_int_equal(hi[i].ports, 4);
			assert_int_equal(hi[i].refused, 1);
		} else {
			assert_int_equal(hi[i].ports, 1);
		}
	}
	gk_napt_free(n);
}

static void test_holddown(void **state)
{
	struct gk_napt_cfg c = mkcfg(&nx_sets[0], 0, 1);
	struct gk_napt *n;
	uint16_t p0, p1, p2;
	uint64_t t = T0;

	(void)state;
	/* without hold-down the same flow hashes back onto its old port */
	c.holddown_s = UINT32_MAX;
	n = mk(&c);
	gk_napt_set_now(n, t);
	p0 = udp_out(n, LAN(1), 7000, REM(1), 53);
	gk_napt_set_now(n, t + 301 * NS);
	assert_int_equal(gk_napt_expire_all(n), 1);
	assert_int_equal(udp_out(n, LAN(1), 7000, REM(1), 53), p0);
	gk_napt_free(n);

	c.holddown_s = 120;
	n = mk(&c);
	gk_napt_set_now(n, t);
	p0 = udp_out(n, LAN(1), 7000, REM(1), 53);
	t += 301 * NS;
	gk_napt_set_now(n, t);
	assert_int_equal(gk_napt_expire_all(n), 1);
	p1 = udp_out(n, LAN(1), 7000, REM(1), 53);
	assert_int_not_equal(p1, 0);
	assert_int_not_equal(p1, p0);
	/* a different remote may have p0 at once */
	p2 = udp_out(n, LAN(1), 7001, REM(2), 53);
	assert_int_not_equal(p2, 0);
	t += 301 * NS;	/* p0's hold-down is over, p1's starts */
	gk_napt_set_now(n, t);
	assert_int_equal(gk_napt_expire_all(n), 2);
	assert_int_equal(udp_out(n, LAN(1), 7000, REM(1), 53), p0);
	gk_napt_free(n);
}

static void test_cfg_reject(void **state)
{
	struct gk_napt_cfg c = mkcfg(&nx_sets[0], 0, 1);
	struct gk_napt *n;
	char err[160];
	int rc;

	(void)state;
	c.udp_s = 119;
	n = gk_napt_create(&c, &rc, err, sizeof(err));
	assert_null(n);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, "120"));
	c.udp_s = 120;
	n = gk_napt_create(&c, &rc, err, sizeof(err));
	assert_non_null(n);
	gk_napt_free(n);
	c.udp_s = 0;
	c.worker = 3;
	c.nr_workers = 3;
	assert_null(gk_napt_create(&c, &rc, err, sizeof(err)));
}

static void test_timeouts(void **state)
{
	struct gk_napt_cfg c = mkcfg(&nx_sets[0], 0, 1);
	struct gk_napt *n = mk(&c);
	struct slot s;
	uint16_t p, id;

	(void)state;
	gk_napt_set_now(n, T0);
	p = udp_out(n, LAN(1), 8000, REM(1), 53);
	gk_napt_set_now(n, T0 + 299 * NS);
	assert_true(udp_in(n, REM(1), 53, p, LAN(1), 8000));	/* refreshes */
	gk_napt_set_now(n, T0 + 598 * NS);
	assert_true(udp_in(n, REM(1), 53, p, LAN(1), 8000));
	gk_napt_set_now(n, T0 + 898 * NS);
	assert_false(udp_in(n, REM(1), 53, p, 0, 0));
	assert_int_equal(gk_napt_stats(n)->drops[GK_NAPT_DROP_NO_MAPPING], 1);
	assert_int_equal(gk_napt_stats(n)->sess_active, 0);

	/* ICMP query: 60 s */
	gk_napt_set_now(n, T0);
	mk_echo(&s, LAN(1), REM(1), 0x4444, 8);
	run1(n, &s, 0);
	assert_int_equal(s.pkt.verdict, GK_V_NONE);
	id = (uint16_t)(l4(&s)[4] << 8 | l4(&s)[5]);
	gk_napt_set_now(n, T0 + 59 * NS);
	mk_echo(&s, REM(1), EXT, id, 0);
	run1(n, &s, 1);
	assert_int_equal(s.pkt.verdict, GK_V_NONE);
	assert_int_equal(l4(&s)[4] << 8 | l4(&s)[5], 0x4444);
	gk_napt_set_now(n, T0 + 120 * NS);
	mk_echo(&s, REM(1), EXT, id, 0);
	run1(n, &s, 1);
	assert_int_equal(s.pkt.verdict, GK_V_DROP);
	/* configured UDP timeout */
	gk_napt_free(n);
	c.udp_s = 150;
	n = mk(&c);
	gk_napt_set_now(n, T0);
	p = udp_out(n, LAN(1), 8000, REM(1), 53);
	gk_napt_set_now(n, T0 + 151 * NS);
	assert_false(udp_in(n, REM(1), 53, p, 0, 0));
	gk_napt_free(n);
}

static uint8_t tcp_state(struct gk_napt *n)
{
	struct gk_napt_sess_info si;

	assert_int_equal(gk_napt_sessions(n, &si, 1), 1);
	return si.tcp_state;
}

static uint8_t tcp1(struct gk_napt *n, int dir, uint16_t ep, uint8_t fl)
{
	struct slot s;

	if (dir)
		mk_tcp(&s, REM(1), 443, EXT, ep, fl);
	else
		mk_tcp(&s, LAN(1), 40000, REM(1), 443, fl);
	run1(n, &s, dir);
	return s.pkt.verdict;
}

static void test_tcp_state(void **state)
{
	struct gk_napt_cfg c = mkcfg(&nx_sets[0], 0, 1);
	struct gk_napt *n = mk(&c);
	struct slot s;
	uint64_t t = T0;
	uint16_t p;

	(void)state;
	/* half open: transitory timeout */
	gk_napt_set_now(n, t);
	mk_tcp(&s, LAN(1), 40000, REM(1), 443, 0x02);
	run1(n, &s, 0);
	p = sport(&s);
	assert_int_equal(tcp_state(n), 0);
	gk_napt_set_now(n, t + 241 * NS);
	assert_int_equal(tcp1(n, 1, p, 0x12), GK_V_DROP);

	/* SYN both ways: established, lives 7440 s */
	t += 1000 * NS;
	gk_napt_set_now(n, t);
	assert_int_equal(tcp1(n, 0, 0, 0x02), GK_V_NONE);
	mk_tcp(&s, LAN(1), 40000, REM(1), 443, 0x10);
	run1(n, &s, 0);
	p = sport(&s);
	assert_int_equal(tcp1(n, 1, p, 0x12), GK_V_NONE);
	assert_int_equal(tcp_state(n), 1);
	t += 7439 * NS;
	gk_napt_set_now(n, t);
	assert_int_equal(tcp1(n, 1, p, 0x10), GK_V_NONE);
	/* FIN one way: still established; both ways: transitory */
	assert_int_equal(tcp1(n, 0, 0, 0x11), GK_V_NONE);
	assert_int_equal(tcp_state(n), 1);
	assert_int_equal(tcp1(n, 1, p, 0x11), GK_V_NONE);
	assert_int_equal(tcp_state(n), 2);
	gk_napt_set_now(n, t + 239 * NS);
	assert_int_equal(tcp1(n, 1, p, 0x10), GK_V_NONE);
	gk_napt_set_now(n, t + 239 * NS + 241 * NS);
	assert_int_equal(tcp1(n, 1, p, 0x10), GK_V_DROP);

	/* RST makes an established session transitory */
	t += 10000 * NS;
	gk_napt_set_now(n, t);
	assert_int_equal(tcp1(n, 0, 0, 0x02), GK_V_NONE);
	mk_tcp(&s, LAN(1), 40000, REM(1), 443, 0x10);
	run1(n, &s, 0);
	p = sport(&s);
	assert_int_equal(tcp1(n, 1, p, 0x12), GK_V_NONE);
	assert_int_equal(tcp_state(n), 1);
	assert_int_equal(tcp1(n, 1, p, 0x04), GK_V_NONE);
	assert_int_equal(tcp_state(n), 2);
	gk_napt_set_now(n, t + 241 * NS);
	assert_int_equal(gk_napt_expire_all(n), 1);
	gk_napt_free(n);
}

/*
 * cfg.reserved (the WireGuard ListenPort on a CE): the dynamic pool never
 * hands it out for its protocol, static mappings cannot take it, and the
 * other protocol's pool keeps it. The set comes from gen_napt.py.
 */
static void test_reserved(void **state)
{
	const struct nx_set *set = &nx_sets[0];
	struct gk_napt_cfg c = mkcfg(set, 0, 1);
	uint16_t rp = set->ports[set->n / 2], p;
	struct gk_napt_static m = { .proto = 17, .ext_port = rp,
				    .in_addr = { 198, 51, 100, 20 }, .in_port = 53 };
	uint8_t *seen = calloc(set->n, 1);
	bool tcp_got_it = false;
	struct gk_napt *n;
	unsigned i, idx = 0;
	char err[160];
	struct slot s;

	(void)state;
	assert_non_null(seen);
	c.reserved[0].proto = 17;
	c.reserved[0].port = rp;
	/* outside the set: nothing to take out of the pool */
	c.reserved[1].proto = 17;
	c.reserved[1].port = NX_OUTSIDE_PORT;
	c.nr_reserved = 2;
	n = mk(&c);
	gk_napt_set_now(n, T0);
	assert_int_equal(gk_napt_static_add(n, &m, false, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "reserved"));
	for (i = 0; i + 1 < set->n; i++) {
		p = udp_out(n, LAN(1 + i % 50), (uint16_t)(1024 + i), REM(1), 53);
		assert_int_not_equal(p, 0);
		assert_int_not_equal(p, rp);
		assert_true(in_set(set, p, &idx));
		assert_false(seen[idx]);
		seen[idx] = 1;
	}
	/* the whole set minus the reserved port is in use: the next is refused */
	assert_int_equal(udp_out(n, LAN(77), 999, REM(1), 53), 0);
	assert_int_equal(gk_napt_stats(n)->drops[GK_NAPT_DROP_EXHAUSTED], 1);
	/* TCP is not reserved: its pool has every port, rp included */
	for (i = 0; i < set->n; i++) {
		mk_tcp(&s, LAN(1 + i % 50), (uint16_t)(2000 + i), REM(1), 80, 0x02);
		run1(n, &s, 0);
		assert_int_equal(s.pkt.verdict, GK_V_NONE);
		if (sport(&s) == rp)
			tcp_got_it = true;
	}
	assert_true(tcp_got_it);
	gk_napt_free(n);
	free(seen);

	/* only TCP and UDP ports can be reserved */
	c.reserved[0].proto = 1;
	c.nr_reserved = 1;
	assert_null(gk_napt_create(&c, (int[]){ 0 }, err, sizeof(err)));
	c.nr_reserved = GK_NAPT_MAX_RESERVED + 1;
	assert_null(gk_napt_create(&c, (int[]){ 0 }, err, sizeof(err)));
}

static void test_static_api(void **state)
{
	struct gk_napt_cfg c = mkcfg(&nx_sets[0], 0, NX_W);
	struct gk_napt_static m = { .proto = 6, .ext_port = NX_STATIC_PORT,
				    .in_addr = { 198, 51, 100, 20 }, .in_port = 80 };
	struct gk_napt_static l[4];
	struct gk_napt *n = mk(&c);
	char err[160];
	unsigned i, idx = 0;

	(void)state;
	m.ext_port = NX_OUTSIDE_PORT;
	assert_int_equal(gk_napt_static_add(n, &m, false, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "outside"));
	/* in the set, owned by another worker */
	for (i = 0; i < nx_sets[0].n; i++)
		if (gk_napt_port_owner(&c, nx_sets[0].ports[i]) != 0)
			break;
	m.ext_port = nx_sets[0].ports[i];
	assert_int_equal(gk_napt_static_add(n, &m, false, err, sizeof(err)), -EXDEV);
	m.proto = 1;
	m.ext_port = NX_STATIC_PORT;
	assert_int_equal(gk_napt_static_add(n, &m, false, err, sizeof(err)),
			 -EPROTONOSUPPORT);
	m.proto = 6;
	assert_int_equal(gk_napt_static_add(n, &m, false, err, sizeof(err)), 0);
	assert_int_equal(gk_napt_static_add(n, &m, false, err, sizeof(err)), -EEXIST);
	assert_int_equal(gk_napt_static_add(n, &m, true, err, sizeof(err)), 0);
	m.in_port = 81;
	assert_int_equal(gk_napt_static_add(n, &m, true, err, sizeof(err)), -EEXIST);
	m.in_port = 80;
	m.proto = 17;
	assert_int_equal(gk_napt_static_add(n, &m, false, err, sizeof(err)), 0);
	assert_int_equal(gk_napt_static_list(n, l, 4), 2);
	assert_int_equal(l[0].proto, 6);
	assert_int_equal(l[0].ext_port, NX_STATIC_PORT);
	assert_int_equal(l[0].in_port, 80);
	assert_memory_equal(l[0].in_addr, m.in_addr, 4);
	/* dynamic flows never take a static port */
	gk_napt_set_now(n, T0);
	for (i = 0; i < NX_NV - 1; i++) {
		uint16_t p = udp_out(n, LAN(5), (uint16_t)(100 + i), REM(1), 53);

		assert_int_not_equal(p, 0);
		assert_int_not_equal(p, NX_STATIC_PORT);
		assert_true(in_set(&nx_sets[0], p, &idx));
	}
	assert_int_equal(udp_out(n, LAN(5), 99, REM(1), 53), 0);
	/* inbound to the static port works from anyone, then not after del */
	assert_true(udp_in(n, REM(3), 1234, NX_STATIC_PORT, LAN(20), 80));
	assert_int_equal(gk_napt_static_del(n, 17, NX_STATIC_PORT, false), 0);
	assert_false(udp_in(n, REM(3), 1234, NX_STATIC_PORT, 0, 0));
	assert_int_equal(gk_napt_static_del(n, 17, NX_STATIC_PORT, false), -ENOENT);
	assert_int_equal(gk_napt_static_del(n, 17, NX_STATIC_PORT, true), 0);
	assert_int_equal(gk_napt_static_list(n, l, 4), 1);
	/* freed: a dynamic flow may now use it */
	assert_int_equal(udp_out(n, LAN(5), 99, REM(1), 53), NX_STATIC_PORT);
	gk_napt_free(n);
}

static void test_log(void **state)
{
	struct gk_napt_cfg c = mkcfg(&nx_sets[0], 0, 1);
	struct gk_napt_event ev[4];
	struct gk_napt *n;
	uint16_t p;

	(void)state;
	c.log = gk_spsc_create(sizeof(struct gk_napt_event), 16);
	assert_non_null(c.log);
	n = mk(&c);
	gk_napt_set_now(n, T0);
	p = udp_out(n, LAN(1), 9000, REM(4), 500);
	gk_napt_set_now(n, T0 + 400 * NS);
	assert_int_equal(gk_napt_expire_all(n), 1);
	assert_int_equal(gk_spsc_pop(c.log, ev, 4), 2);
	assert_int_equal(ev[0].type, GK_NAPT_EV_CREATE);
	assert_int_equal(ev[0].ts_ns, T0);
	assert_int_equal(ev[0].proto, 17);
	assert_memory_equal(ev[0].in_addr, ((uint8_t[]){ 198, 51, 100, 1 }), 4);
	assert_memory_equal(ev[0].rem_addr, ((uint8_t[]){ 203, 0, 113, 4 }), 4);
	assert_memory_equal(ev[0].ext_addr, ext4, 4);
	assert_int_equal(ev[0].in_port, 9000);
	assert_int_equal(ev[0].ext_port, p);
	assert_int_equal(ev[0].rem_port, 500);
	assert_int_equal(ev[1].type, GK_NAPT_EV_DELETE);
	assert_int_equal(ev[1].ts_ns, T0 + 400 * NS);
	assert_int_equal(ev[1].ext_port, p);
	gk_napt_free(n);
	gk_spsc_destroy(c.log);
}

static void test_limits(void **state)
{
	struct gk_napt_cfg c = mkcfg(&nx_sets[0], 0, 1);
	struct gk_napt *n;
	struct slot s;
	unsigned i;

	(void)state;
	c.max_sessions = 4;
	n = mk(&c);
	gk_napt_set_now(n, T0);
	for (i = 0; i < 4; i++)
		assert_int_not_equal(udp_out(n, LAN(1), 1000, REM(1 + i), 53), 0);
	assert_int_equal(udp_out(n, LAN(1), 1000, REM(9), 53), 0);
	assert_int_equal(gk_napt_stats(n)->drops[GK_NAPT_DROP_SESS_FULL], 1);
	/* later fragments and other protocols are refused, counted */
	mk_udp(&s, LAN(1), 1000, REM(1), 53);
	s.pkt.meta.flags = GK_META_F_IPV4 | GK_META_F_FRAG | GK_META_F_LATER_FRAG;
	run1(n, &s, 0);
	assert_int_equal(s.pkt.verdict, GK_V_DROP);
	assert_int_equal(gk_napt_stats(n)->drops[GK_NAPT_DROP_FRAG], 1);
	mk_ip(&s, 47, LAN(1), REM(1), 8);
	run1(n, &s, 0);
	assert_int_equal(gk_napt_stats(n)->drops[GK_NAPT_DROP_PROTO], 1);
	/* inbound to another address */
	mk_udp(&s, REM(1), 53, LAN(1), 1000);
	run1(n, &s, 1);
	assert_int_equal(gk_napt_stats(n)->drops[GK_NAPT_DROP_NOT_OURS], 1);
	/* truncated L4 */
	mk_tcp(&s, LAN(1), 1, REM(1), 2, 2);
	s.pkt.len = 14 + 20 + 10;
	run1(n, &s, 0);
	assert_int_equal(gk_napt_stats(n)->drops[GK_NAPT_DROP_BAD_PKT], 1);
	gk_napt_free(n);
}

/*
 * The outbound fast path against the reference path (fastpath off): random
 * bursts over few hosts, ports and remotes (our own address for hairpins,
 * 127/8 for martians), TCP flags, UDP with and without checksum, random
 * checksum fields, inbound packets that open sessions (EIF), a clock that
 * lets sessions expire, two workers. Every verdict, byte, mask, counter and
 * session must match.
 */
static uint32_t rnd_state = 0x2545f491;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void rnd_pkt(struct slot *s, const uint16_t *ports, unsigned nports)
{
	static const uint8_t fl[] = { 0x02, 0x10, 0x12, 0x11, 0x04, 0x18 };
	static const uint32_t rem[] = { REM(1), REM(2), EXT, 0x7f000001u };
	uint32_t lan = LAN(1 + rnd() % 3), r = rem[rnd() % 4];
	uint16_t lp = (uint16_t)(1000 + rnd() % 3), rp = (uint16_t)(53 + rnd() % 2);
	unsigned kind = rnd() % 8;
	uint8_t *u;

	if (kind >= 6) {	/* inbound: a remote to one of our ports */
		rp = ports[rnd() % nports];
		if (kind == 6)
			mk_udp(s, REM(1 + rnd() % 2), 53, EXT, rp);
		else
			mk_tcp(s, REM(1 + rnd() % 2), 80, EXT, rp,
			       fl[rnd() % sizeof(fl)]);
		s->pkt.in_port = 1;
	} else if (kind == 5) {
		mk_echo(s, lan, r, lp, 8);
	} else if (r == EXT && rnd() % 2) {	/* hairpin to a used port */
		mk_udp(s, lan, lp, EXT, ports[rnd() % nports]);
	} else if (kind >= 3) {
		mk_tcp(s, lan, lp, r, rp, fl[rnd() % sizeof(fl)]);
	} else {
		mk_udp(s, lan, lp, r, rp);
	}
	u = l4(s);
	if (kind >= 6 && rnd() % 8 == 0) {
		/*
		 * Inbound meta comes from the decapsulation, which may leave
		 * an IPv4 total length that is not the frame's: cut the packet
		 * or claim more than it holds (parse() drops both).
		 */
		uint16_t tl = (uint16_t)(s->pkt.len - 14 + rnd() % 9 - 4);

		s->pkt.data[16] = (uint8_t)(tl >> 8);
		s->pkt.data[17] = (uint8_t)tl;
		if (rnd() % 2)
			s->pkt.len -= rnd() % 4;
	}
	s->pkt.data[24] = (uint8_t)rnd();
	s->pkt.data[25] = (uint8_t)rnd();
	if (s->pkt.meta.l4_proto == 6) {
		u[16] = (uint8_t)rnd();
		u[17] = (uint8_t)rnd();
	} else if (s->pkt.meta.l4_proto == 17 && rnd() % 4) {
		u[6] = (uint8_t)rnd();
		u[7] = (uint8_t)rnd();
	}
}

static void test_fastpath_differential(void **state)
{
	const struct nx_set *set = &nx_sets[0];
	static struct slot a[GK_BURST], b[GK_BURST];
	struct gk_napt_sess_info sa[64], sb[64];
	struct gk_pkt *pa[GK_BURST], *pb[GK_BURST];
	struct gk_wk_stats wa, wb;
	struct gk_napt *fast, *ref;
	struct gk_napt_cfg c;
	uint16_t ports[64];
	bool to_us[GK_BURST];
	uint64_t now = T0, ma, mb;
	unsigned w, round, i, cnt, no, nports, na, nb, dir, fasts = 0;

	(void)state;
	for (w = 0; w < 4; w++) {
		c = mkcfg(set, w & 1, 2);
		c.filter = w & 2 ? GK_NAPT_FILTER_EIF : GK_NAPT_FILTER_APDF;
		c.max_sessions = 48;
		fast = mk(&c);
		ref = mk(&c);
		gk_napt_set_fastpath(ref, false);
		memset(&wa, 0, sizeof(wa));
		memset(&wb, 0, sizeof(wb));
		gk_napt_set_wkstats(fast, &wa);
		gk_napt_set_wkstats(ref, &wb);
		nports = gk_napt_owned_ports(fast, ports, 64);
		if (nports > 64)
			nports = 64;
		for (round = 0; round < 3000; round++) {
			now += (uint64_t)(rnd() % 4 ? rnd() % 3 : rnd() % 200) * NS;
			gk_napt_set_now(fast, now);
			gk_napt_set_now(ref, now);
			dir = rnd() % 4 == 0;
			cnt = 1 + rnd() % GK_BURST;
			for (i = no = 0; i < cnt; i++) {
				rnd_pkt(&a[no], ports, nports);
				if ((a[no].pkt.in_port == 1) != dir)
					continue;
				memcpy(&b[no], &a[no], sizeof(b[no]));
				a[no].pkt.data = a[no].buf + GK_PKT_HEADROOM;
				b[no].pkt.data = b[no].buf + GK_PKT_HEADROOM;
				pa[no] = &a[no].pkt;
				pb[no] = &b[no].pkt;
				to_us[no] = daddr(&a[no]) == EXT;
				no++;
			}
			if (dir) {
				gk_napt_in_burst(fast, pa, (uint16_t)no);
				gk_napt_in_burst(ref, pb, (uint16_t)no);
				ma = mb = 0;
			} else {
				ma = gk_napt_out_burst(fast, pa, (uint16_t)no);
				mb = gk_napt_out_burst(ref, pb, (uint16_t)no);
			}
			assert_true(ma == mb);
			for (i = 0; i < no; i++) {
				assert_int_equal(a[i].pkt.verdict, b[i].pkt.verdict);
				assert_int_equal(a[i].pkt.drop_reason,
						 b[i].pkt.drop_reason);
				assert_memory_equal(a[i].pkt.data, b[i].pkt.data,
						    a[i].pkt.len);
				/* the mask: left for the outside */
				if (!dir)
					assert_int_equal(ma >> i & 1,
							 a[i].pkt.verdict == GK_V_NONE &&
							 !to_us[i]);
			}
			assert_memory_equal(gk_napt_stats(fast), gk_napt_stats(ref),
					    sizeof(struct gk_napt_stats));
			assert_memory_equal(&wa, &wb, sizeof(wa));
			na = gk_napt_sessions(fast, sa, 64);
			nb = gk_napt_sessions(ref, sb, 64);
			assert_int_equal(na, nb);
			assert_memory_equal(sa, sb, (na < 64 ? na : 64) * sizeof(sa[0]));
		}
		fasts += gk_napt_stats(fast)->out_pkts;
		gk_napt_free(fast);
		gk_napt_free(ref);
	}
	/* the fast path was taken (out_pkts moved) */
	assert_true(fasts > 0);
}

/*
 * RFC 768 on both paths: a UDP checksum that the update turns into 0 goes
 * out as 0xffff. The stored checksum is chosen so that ~c + ~in_addr + ext
 * + ~in_port + ext_port sums to 0xffff (RFC 1624); inbound the reverse.
 */
static void test_fastpath_udp_zero(void **state)
{
	struct gk_napt_cfg c = mkcfg(&nx_sets[0], 0, 1);
	struct gk_napt *n[2];
	struct slot s;
	uint32_t sum;
	uint16_t ep;
	unsigned k;

	(void)state;
	for (k = 0; k < 2; k++) {
		n[k] = mk(&c);
		gk_napt_set_fastpath(n[k], k == 0);
		gk_napt_set_now(n[k], T0);
		ep = udp_out(n[k], LAN(1), 1000, REM(1), 53);
		assert_int_not_equal(ep, 0);
		sum = (0xffff & ~(LAN(1) >> 16)) + (0xffff & ~LAN(1)) +
		      (EXT >> 16) + (EXT & 0xffff) + (0xffff & ~1000u) + ep;
		while (sum > 0xffff)
			sum = (sum & 0xffff) + (sum >> 16);
		mk_udp(&s, LAN(1), 1000, REM(1), 53);
		l4(&s)[6] = (uint8_t)(sum >> 8);
		l4(&s)[7] = (uint8_t)sum;
		run1(n[k], &s, 0);
		assert_int_equal(s.pkt.verdict, GK_V_NONE);
		assert_int_equal(sport(&s), ep);
		assert_int_equal(l4(&s)[6] << 8 | l4(&s)[7], 0xffff);

		sum = (0xffff & ~(EXT >> 16)) + (0xffff & ~EXT) +
		      (LAN(1) >> 16) + (LAN(1) & 0xffff) + (0xffff & ~(uint32_t)ep) +
		      1000u;
		while (sum > 0xffff)
			sum = (sum & 0xffff) + (sum >> 16);
		mk_udp(&s, REM(1), 53, EXT, ep);
		l4(&s)[6] = (uint8_t)(sum >> 8);
		l4(&s)[7] = (uint8_t)sum;
		run1(n[k], &s, 1);
		assert_int_equal(s.pkt.verdict, GK_V_NONE);
		assert_int_equal(dport(&s), 1000);
		assert_int_equal(l4(&s)[6] << 8 | l4(&s)[7], 0xffff);
		gk_napt_free(n[k]);
	}
}

/*
 * A delta of zero (RFC 1624): LAN host 10.0.184.18 has the halves sum of
 * 192.0.2.18 (0x0a00 + 0xb812 = 0xc000 + 0x0212), so rewriting one into
 * the other leaves the one's complement sum as it was. A stored IP header
 * checksum of 0xffff must then come out as eqn. 3 gives it, 0x0000, on
 * both paths and both ways.
 */
static void test_fastpath_zero_delta(void **state)
{
	struct gk_napt_cfg c = mkcfg(&nx_sets[0], 0, 1);
	const uint32_t host = 0x0a00b812u;
	struct gk_napt *n[2];
	struct slot s;
	uint16_t ep;
	unsigned k, r;

	(void)state;
	for (k = 0; k < 2; k++) {
		n[k] = mk(&c);
		gk_napt_set_fastpath(n[k], k == 0);
		gk_napt_set_now(n[k], T0);
		ep = udp_out(n[k], host, 1000, REM(1), 53);
		assert_int_not_equal(ep, 0);
		for (r = 0; r < 2; r++) {	/* the second one is established */
			mk_udp(&s, host, 1000, REM(1), 53);
			s.pkt.data[24] = 0xff;
			s.pkt.data[25] = 0xff;
			run1(n[k], &s, 0);
			assert_int_equal(s.pkt.verdict, GK_V_NONE);
			assert_int_equal(s.pkt.data[24] << 8 | s.pkt.data[25], 0);
			mk_udp(&s, REM(1), 53, EXT, ep);
			s.pkt.data[24] = 0xff;
			s.pkt.data[25] = 0xff;
			run1(n[k], &s, 1);
			assert_int_equal(s.pkt.verdict, GK_V_NONE);
			assert_int_equal(daddr(&s), host);
			assert_int_equal(s.pkt.data[24] << 8 | s.pkt.data[25], 0);
		}
		gk_napt_free(n[k]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translate),
		cmocka_unit_test(test_alloc_set),
		cmocka_unit_test(test_alloc_spread),
		cmocka_unit_test(test_workers),
		cmocka_unit_test(test_host_limit),
		cmocka_unit_test(test_holddown),
		cmocka_unit_test(test_cfg_reject),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_tcp_state),
		cmocka_unit_test(test_static_api),
		cmocka_unit_test(test_reserved),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_fastpath_differential),
		cmocka_unit_test(test_fastpath_udp_zero),
		cmocka_unit_test(test_fastpath_zero_delta),
	};

	return cmocka_run_group_tests_name("napt", tests, NULL, NULL);
}
