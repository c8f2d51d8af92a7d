// SPDX-License-Identifier: BSD-3-Clause
/*
 * ICMP error stage (dataplane/icmp_err.c) against the scapy fixture table
 * of gen_icmp_err.py: every input as l3fwd leaves it, every expected frame
 * built by scapy byte for byte, every event counter checked exactly. Then
 * the whole table in bursts, the token bucket with injected clocks, and a
 * missing FIB.
 *
 * Each packet sits in a buffer of exactly buf_len bytes plus a canary tail,
 * so writing past the room the stage was given is caught.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "fib.h"
#include "icmp_err.h"
#include "pkt.h"
#include "wkstats.h"

#include "icmp_err_fixtures.h"

#define NFX	(sizeof(ie_fx) / sizeof(ie_fx[0]))
#define NPORTS	(sizeof(ie_ports) / sizeof(ie_ports[0]))
#define NROUTES	(sizeof(ie_routes) / sizeof(ie_routes[0]))
#define CANARY	0xa5
#define TAIL	64
#define NS	1000000000ull

static struct gk_fib *fib;

struct slot {
	struct gk_pkt pkt;
	uint8_t *buf;
	uint32_t size;		/* buf_len + TAIL */
};

static int setup(void **state)
{
	struct gk_fib_port ports[NPORTS];
	struct gk_route routes[NROUTES];
	struct gk_fib_input in = {
		.routes = routes, .nr_routes = NROUTES,
		.ports = ports, .nr_ports = NPORTS,
	};
	char err[128];
	size_t i;

	memset(ports, 0, sizeof(ports));
	memset(routes, 0, sizeof(routes));
	for (i = 0; i < NPORTS; i++) {
		ports[i].ifindex = ie_ports[i].ifindex;
		ports[i].port_id = ie_ports[i].port_id;
		memcpy(ports[i].mac, ie_ports[i].mac, 6);
		ports[i].mtu = ie_ports[i].mtu;
		ports[i].has_addr4 = ie_ports[i].has4;
		ports[i].has_addr6 = ie_ports[i].has6;
		memcpy(ports[i].addr4, ie_ports[i].addr4, 4);
		memcpy(ports[i].addr6, ie_ports[i].addr6, 16);
	}
	for (i = 0; i < NROUTES; i++) {
		routes[i].family = ie_routes[i].family == 2 ? AF_INET : AF_INET6;
		routes[i].plen = ie_routes[i].plen;
		memcpy(routes[i].dst, ie_routes[i].dst, 16);
		routes[i].ifindex = ie_routes[i].ifindex;
	}
	fib = gk_fib_build(&in, err, sizeof(err));
	if (!fib) {
		fprintf(stderr, "fib: %s\n", err);
		return -1;
	}
	(void)state;
	return 0;
}

static int teardown(void **state)
{
	gk_fib_free(fib);
	(void)state;
	return 0;
}

static void slot_load(struct slot *s, const struct ie_fx *f)
{
	assert_true(f->in_len <= f->buf_len);
	s->size = f->buf_len + TAIL;
	s->buf = malloc(s->size);
	assert_non_null(s->buf);
	memset(s->buf, CANARY, s->size);
	memcpy(s->buf, f->in, f->in_len);
	memset(&s->pkt, 0, sizeof(s->pkt));
	s->pkt.data = s->buf;
	s->pkt.len = f->in_len;
	s->pkt.buf_len = f->buf_len;
	s->pkt.in_port = f->in_port;
	s->pkt.out_port = 0xeeee;	/* must change only when sent */
	s->pkt.verdict = f->verdict;
	s->pkt.drop_reason = f->reason;
	s->pkt.meta.magic = GK_META_MAGIC;
	s->pkt.meta.version = GK_META_VERSION;
	s->pkt.meta.class = GK_CLASS_TRANSIT;
	s->pkt.meta.l3_off = f->l3_off;
	s->pkt.meta.l4_off = f->l4_off;
	s->pkt.meta.l4_proto = f->l4_proto;
	s->pkt.meta.flags = f->flags;
}

static void hexdiff(const char *name, const uint8_t *got, const uint8_t *want,
		    uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		if (got[i] != want[i]) {
			print_error("%s: first difference at byte %u: got 0x%02x, want 0x%02x\n",
				    name, i, got[i], want[i]);
			return;
		}
}

/* The packet after the stage against the fixture's expectation. */
static void slot_check(const struct slot *s, const struct ie_fx *f)
{
	const struct gk_pkt *p = &s->pkt;
	uint32_t i;

	if (p->verdict != f->out_verdict || p->len != f->out_len)
		print_error("%s: verdict %u len %u, want %u %u\n", f->name,
			    p->verdict, p->len, f->out_verdict, f->out_len);
	assert_int_equal(p->verdict, f->out_verdict);
	assert_int_equal(p->len, f->out_len);
	if (memcmp(p->data, f->out, f->out_len))
		hexdiff(f->name, p->data, f->out, f->out_len);
	assert_memory_equal(p->data, f->out, f->out_len);
	if (f->out_verdict == GK_V_TX && f->verdict != GK_V_TX) {
		int v4 = f->flags & GK_META_F_IPV4;

		assert_int_equal(p->out_port, f->in_port);
		assert_int_equal(p->meta.l4_proto, v4 ? 1 : 58);
		assert_int_equal(p->meta.l4_off, f->l3_off + (v4 ? 20 : 40));
		assert_true(p->meta.flags & GK_META_F_L4);
		assert_false(p->meta.flags & (GK_META_F_FRAG | GK_META_F_LATER_FRAG));
	} else {
		assert_int_equal(p->out_port, 0xeeee);
		assert_int_equal(p->drop_reason, f->reason);
		assert_int_equal(p->meta.l4_off, f->l4_off);
		assert_int_equal(p->meta.flags, f->flags);
	}
	for (i = f->buf_len; i < s->size; i++)
		if (s->buf[i] != CANARY) {
			print_error("%s: wrote past buf_len at %u\n", f->name, i);
			fail();
		}
}

static void events_check(const struct gk_wk_stats *st, const char *name,
			 const int *want)
{
	int e;

	for (e = 0; e < GK_WK_EVENT_MAX; e++) {
		if (st->events[e] != (uint64_t)want[e])
			print_error("%s: event %s = %llu, want %d\n", name,
				    gk_wk_event_names[e],
				    (unsigned long long)st->events[e], want[e]);
		assert_int_equal(st->events[e], want[e]);
	}
}

static void ctx_init(struct gk_icmp_err_ctx *ctx, struct gk_wk_stats *st,
		     uint32_t rate, uint32_t burst, uint64_t now)
{
	memset(ctx, 0, sizeof(*ctx));
	memset(st, 0, sizeof(*st));
	ctx->fib = fib;
	ctx->stats = st;
	ctx->now_ns = now;
	gk_icmp_err_init(ctx, rate, burst);
}

static void run_fixture(void **state)
{
	const struct ie_fx *f = *state;
	struct gk_icmp_err_ctx ctx;
	struct gk_wk_stats st;
	int want[GK_WK_EVENT_MAX] = { 0 };
	struct gk_pkt *pp;
	struct slot s;
	int d;

	ctx_init(&ctx, &st, 1000, 1000, 7 * NS);
	slot_load(&s, f);
	pp = &s.pkt;
	gk_icmp_err_burst(&ctx, &pp, 1);
	slot_check(&s, f);
	if (f->event >= 0)
		want[f->event] = 1;
	events_check(&st, f->name, want);
	/* drop counters belong to the stage that dropped */
	for (d = 0; d < GK_WK_DROP_MAX; d++)
		assert_int_equal(st.drops[d], 0);
	free(s.buf);
}

/* The whole table, GK_BURST at a time: packets do not disturb each other. */
static void whole_table_in_bursts(void **state)
{
	static struct slot s[NFX];
	struct gk_pkt *pp[GK_BURST];
	int want[GK_WK_EVENT_MAX] = { 0 };
	struct gk_icmp_err_ctx ctx;
	struct gk_wk_stats st;
	size_t i, k, m;

	(void)state;
	ctx_init(&ctx, &st, 1000, NFX, 1);
	for (i = 0; i < NFX; i++) {
		slot_load(&s[i], &ie_fx[i]);
		if (ie_fx[i].event >= 0)
			want[ie_fx[i].event]++;
	}
	for (k = 0; k < NFX; k += m) {
		m = NFX - k < GK_BURST ? NFX - k : GK_BURST;
		for (i = 0; i < m; i++)
			pp[i] = &s[k + i].pkt;
		gk_icmp_err_burst(&ctx, pp, (uint16_t)m);
	}
	for (i = 0; i < NFX; i++) {
		slot_check(&s[i], &ie_fx[i]);
		free(s[i].buf);
	}
	events_check(&st, "whole_table", want);
}

static const struct ie_fx *fx_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < NFX; i++)
		if (!strcmp(ie_fx[i].name, name))
			return &ie_fx[i];
	fail_msg("fixture %s missing", name);
	return NULL;
}

/* n copies of a fixture through the stage; returns how many were sent. */
static unsigned int send_n(struct gk_icmp_err_ctx *ctx, const char *name,
			   unsigned int n)
{
	const struct ie_fx *f = fx_by_name(name);
	struct slot s[GK_BURST];
	struct gk_pkt *pp[GK_BURST];
	unsigned int i, sent = 0;

	assert_true(n <= GK_BURST);
	for (i = 0; i < n; i++) {
		slot_load(&s[i], f);
		pp[i] = &s[i].pkt;
	}
	gk_icmp_err_burst(ctx, pp, (uint16_t)n);
	for (i = 0; i < n; i++) {
		if (s[i].pkt.verdict == GK_V_TX) {
			slot_check(&s[i], f);
			sent++;
		} else {
			assert_int_equal(s[i].pkt.verdict, GK_V_DROP);
			assert_memory_equal(s[i].buf, f->in, f->in_len);
		}
		free(s[i].buf);
	}
	return sent;
}

/* RFC 1812 4.3.2.8 / RFC 4443 2.4(f), with an injected clock. */
static void rate_limit(void **state)
{
	struct gk_icmp_err_ctx ctx;
	struct gk_wk_stats st;
	uint64_t t0 = 5 * NS;

	(void)state;
	/* 10 per second, bucket of 3, full at start */
	ctx_init(&ctx, &st, 10, 3, t0);
	assert_int_equal(send_n(&ctx, "v4_ttl_udp", 5), 3);
	assert_int_equal(st.events[GK_WK_EV_ICMP_RATELIMITED], 2);
	assert_int_equal(st.events[GK_WK_EV_ICMP_TIME_EXCEEDED], 3);

	/* 100 ms is one token */
	ctx.now_ns = t0 + NS / 10;
	assert_int_equal(send_n(&ctx, "v6_toobig_pkt_too_big", 2), 1);
	assert_int_equal(st.events[GK_WK_EV_ICMP_PKT_TOO_BIG], 1);
	assert_int_equal(st.events[GK_WK_EV_ICMP_RATELIMITED], 3);

	/* half a token is none */
	ctx.now_ns = t0 + NS / 10 + NS / 20;
	assert_int_equal(send_n(&ctx, "v4_ttl_udp", 1), 0);
	/* 1.5 tokens give one, and the half left over is not lost */
	ctx.now_ns = t0 + NS / 10 + 3 * NS / 20;
	assert_int_equal(send_n(&ctx, "v4_ttl_udp", 2), 1);
	ctx.now_ns = t0 + 3 * NS / 10;
	/* suppressed and no-source packets take no token */
	assert_int_equal(send_n(&ctx, "v4_icmp_error_dest_unreach", 3), 0);
	assert_int_equal(send_n(&ctx, "v4_unknown_port_no_src", 2), 0);
	assert_int_equal(send_n(&ctx, "v4_toobig_no_df_stays_dropped", 2), 0);
	assert_int_equal(send_n(&ctx, "v6_hlim_udp", 2), 1);
	assert_int_equal(st.events[GK_WK_EV_ICMP_RATELIMITED], 6);
	assert_int_equal(st.events[GK_WK_EV_ICMP_SUPPRESSED], 3);
	assert_int_equal(st.events[GK_WK_EV_ICMP_NO_SRC], 2);

	/* an hour idle refills to the bucket size, not beyond */
	ctx.now_ns = t0 + 3600 * NS;
	assert_int_equal(send_n(&ctx, "v4_toobig_df_frag_needed", 5), 3);
	assert_int_equal(st.events[GK_WK_EV_ICMP_FRAG_NEEDED], 3);

	/* 400 ms would be 4 tokens: the bucket holds 3 */
	ctx.now_ns = t0 + 3600 * NS + 4 * NS / 10;
	assert_int_equal(send_n(&ctx, "v4_ttl_udp", 5), 3);
	ctx.now_ns = t0 + 3600 * NS;

	/* a clock going backwards adds nothing and breaks nothing */
	ctx.now_ns = t0;
	assert_int_equal(send_n(&ctx, "v4_ttl_udp", 1), 0);
	ctx.now_ns = t0 + 3600 * NS + 5 * NS / 10;
	assert_int_equal(send_n(&ctx, "v4_ttl_udp", 2), 1);
}

/* A zeroed context: defaults, bucket filled by the first look at the clock. */
static void zero_ctx_defaults(void **state)
{
	struct gk_icmp_err_ctx ctx;
	struct gk_wk_stats st;
	unsigned int i, sent = 0;

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	memset(&st, 0, sizeof(st));
	ctx.fib = fib;
	ctx.stats = &st;
	ctx.now_ns = 1000 * NS;
	for (i = 0; i < 2; i++)
		sent += send_n(&ctx, "v4_ttl_udp", 30);
	assert_int_equal(sent, GK_ICMP_ERR_BURST);
	assert_int_equal(st.events[GK_WK_EV_ICMP_RATELIMITED],
			 60 - GK_ICMP_ERR_BURST);
	/* 1 ms at the default rate is one more */
	ctx.now_ns += NS / GK_ICMP_ERR_RATE_PPS;
	assert_int_equal(send_n(&ctx, "v4_ttl_udp", 2), 1);
}

/* No snapshot yet: no port, no address, nothing sent. */
static void no_fib(void **state)
{
	const struct ie_fx *f = fx_by_name("v4_ttl_udp");
	struct gk_icmp_err_ctx ctx;
	struct gk_wk_stats st;
	struct gk_pkt *pp;
	struct slot s;

	(void)state;
	ctx_init(&ctx, &st, 0, 0, NS);
	ctx.fib = NULL;
	slot_load(&s, f);
	pp = &s.pkt;
	gk_icmp_err_burst(&ctx, &pp, 1);
	assert_int_equal(s.pkt.verdict, GK_V_DROP);
	assert_memory_equal(s.buf, f->in, f->in_len);
	assert_int_equal(st.events[GK_WK_EV_ICMP_NO_SRC], 1);
	free(s.buf);
}

int main(void)
{
	struct CMUnitTest *tests;
	size_t i, n = 0;
	int rc;

	tests = calloc(NFX + 4, sizeof(*tests));
	if (!tests)
		return 1;
	for (i = 0; i < NFX; i++) {
		tests[n].name = ie_fx[i].name;
		tests[n].test_func = run_fixture;
		tests[n].initial_state = (void *)&ie_fx[i];
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(whole_table_in_bursts);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(rate_limit);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(zero_ctx_defaults);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(no_fib);
	rc = _cmocka_run_group_tests("icmp_err", tests, n, setup, teardown);
	free(tests);
	return rc ? 1 : 0;
}
