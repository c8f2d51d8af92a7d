/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP/UDP checksum completion (dataplane/l4csum.c) against the scapy
 * fixture table of gen_l4csum.py: partial sums completed byte for byte,
 * complete frames unchanged, UDP without checksum, fragments and other
 * protocols untouched, lying lengths and source routes untouched and
 * counted. Each fixture runs alone (exact counters) in a heap buffer of
 * exactly pkt->len bytes, so ASan catches a read past the packet, and
 * again in front of a canary tail; then the table in bursts; then through
 * a worker on memory ports with csum_complete on and off (the hook).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <urcu-qsbr.h>

#include "backend_mem.h"
#include "fib.h"
#include "l4csum.h"
#include "pkt.h"
#include "tables.h"
#include "wkstats.h"
#include "worker.h"

#include "l4csum_fixtures.h"

#define NFX	(sizeof(l4_fx) / sizeof(l4_fx[0]))
#define CANARY	0xa5
#define TAIL	64

static void set_pkt(struct gk_pkt *p, const struct l4_fx *f, uint8_t *buf,
		    uint32_t room)
{
	memset(p, 0, sizeof(*p));
	p->data = buf;
	p->len = f->len;
	p->buf_len = room;
	p->meta.magic = GK_META_MAGIC;
	p->meta.version = GK_META_VERSION;
	p->meta.class = GK_CLASS_TRANSIT;
	p->meta.l3_off = f->l3_off;
	p->meta.l4_off = f->l4_off;
	p->meta.l4_proto = f->l4_proto;
	p->meta.flags = f->flags;
}

static void check_events(const struct gk_wk_stats *st, uint64_t done,
			 uint64_t skipped, const char *what)
{
	int e;

	for (e = 0; e < GK_WK_EVENT_MAX; e++) {
		uint64_t want = e == GK_WK_EV_CSUM_COMPLETED ? done :
				e == GK_WK_EV_CSUM_SKIPPED ? skipped : 0;

		if (st->events[e] != want)
			fail_msg("%s: event %s = %llu, want %llu", what,
				 gk_wk_event_names[e],
				 (unsigned long long)st->events[e],
				 (unsigned long long)want);
	}
}

static void run_one(const struct l4_fx *f, uint32_t tail)
{
	uint32_t have = f->len < f->frame_len ? f->len : f->frame_len;
	uint8_t *buf = malloc(f->len + tail);
	struct gk_wk_stats st;
	struct gk_pkt pkt, *pp = &pkt;
	uint32_t i;

	assert_non_null(buf);
	memcpy(buf, f->in, have);
	memset(buf + have, CANARY, f->len + tail - have);
	set_pkt(&pkt, f, buf, f->len + tail);
	memset(&st, 0, sizeof(st));

	gk_l4csum_burst(&st, &pp, 1);

	if (memcmp(buf, f->out, have)) {
		for (i = 0; i < have && buf[i] == f->out[i]; i++)
			;
		fail_msg("%s: byte %u is 0x%02x, want 0x%02x", f->what, i,
			 buf[i], f->out[i]);
	}
	for (i = have; i < f->len + tail; i++)
		if (buf[i] != CANARY)
			fail_msg("%s: wrote past the frame at %u", f->what, i);
	check_events(&st, f->outcome == L4_DONE, f->outcome == L4_SKIPPED,
		     f->what);
	assert_int_equal(pkt.verdict, GK_V_NONE);
	free(buf);
}

static void test_each(void **state)
{
	size_t i;

	for (i = 0; i < NFX; i++) {
		run_one(&l4_fx[i], 0);
		run_one(&l4_fx[i], TAIL);
	}
}

/* From scratch: whatever the field held, a completed packet comes out the same. */
static void test_field_ignored(void **state)
{
	static const uint16_t junk[] = { 0x0000, 0xffff, 0xdead, 0x0001 };
	size_t i, j;

	for (i = 0; i < NFX; i++) {
		const struct l4_fx *f = &l4_fx[i];
		uint32_t at = f->l4_off + (f->l4_proto == 6 ? 16 : 6);
		struct l4_fx g = *f;
		uint8_t *in;

		if (f->outcome != L4_DONE)
			continue;
		in = malloc(f->frame_len);
		assert_non_null(in);
		g.in = in;
		for (j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
			memcpy(in, f->in, f->frame_len);
			memcpy(in + at, &junk[j], 2);
			/* IPv4 UDP with 0 is "no checksum": left alone. */
			if (!junk[j] && f->l4_proto == 17 && (f->flags & 1))
				continue;
			run_one(&g, 0);
		}
		free(in);
	}
}

/* The whole table in bursts: the counters add up, every packet as alone. */
static void test_bursts(void **state)
{
	struct gk_pkt pkts[NFX], *pp[NFX];
	uint8_t *bufs[NFX];
	uint64_t done = 0, skipped = 0;
	struct gk_wk_stats st;
	size_t i, at;

	memset(&st, 0, sizeof(st));
	for (i = 0; i < NFX; i++) {
		const struct l4_fx *f = &l4_fx[i];
		uint32_t have = f->len < f->frame_len ? f->len : f->frame_len;

		bufs[i] = malloc(f->len);
		assert_non_null(bufs[i]);
		memcpy(bufs[i], f->in, have);
		set_pkt(&pkts[i], f, bufs[i], f->len);
		pp[i] = &pkts[i];
		done += f->outcome == L4_DONE;
		skipped += f->outcome == L4_SKIPPED;
	}
	for (at = 0; at < NFX; at += GK_BURST)
		gk_l4csum_burst(&st, pp + at, (uint16_t)(NFX - at < GK_BURST ?
							  NFX - at : GK_BURST));
	check_events(&st, done, skipped, "bursts");
	for (i = 0; i < NFX; i++) {
		const struct l4_fx *f = &l4_fx[i];

		if (memcmp(bufs[i], f->out, f->len < f->frame_len ? f->len :
						    f->frame_len))
			fail_msg("%s: differs in a burst", f->what);
		free(bufs[i]);
	}
}

/* ---- the worker hook, on memory ports ---------------------------------- */

static const uint8_t mac_in[6] = { 0x02, 0, 0, 0, 0xaa, 0x01 };
static const uint8_t mac_out[6] = { 0x02, 0, 0, 0, 0xaa, 0x00 };
static const uint8_t mac_host[6] = { 0x02, 0, 0, 0, 0xbb, 0x20 };

/* Fixtures the worker forwards as plain transit: untagged, completed. */
static int routable(const struct l4_fx *f)
{
	return f->outcome == L4_DONE && !(f->flags & 4) && f->l3_off == 14;
}

static struct gk_tables *transit_tables(void)
{
	struct gk_fib_port ports[2] = {
		{ .ifindex = 10, .port_id = 0, .mtu = 9000 },	/* tcp6 1460 */
		{ .ifindex = 11, .port_id = 1, .mtu = 9000 },
	};
	struct gk_route routes[2] = {
		{ .family = AF_INET, .plen = 24, .dst = { 203, 0, 113 },
		  .ifindex = 11 },
		{ .family = AF_INET6, .plen = 64,
		  .dst = { 0x20, 0x01, 0x0d, 0xb8, 0, 2 }, .ifindex = 11 },
	};
	struct gk_neigh_entry neigh[2] = {
		{ .family = AF_INET, .addr = { 203, 0, 113, 20 }, .ifindex = 11 },
		{ .family = AF_INET6, .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 2,
			[15] = 0x20 }, .ifindex = 11 },
	};
	struct gk_fib_input in = {
		.routes = routes, .nr_routes = 2, .neighs = neigh,
		.nr_neighs = 2, .ports = ports, .nr_ports = 2,
	};
	struct gk_tables *t;
	struct gk_fib *fib;
	char err[128];

	memcpy(ports[0].mac, mac_in, 6);
	memcpy(ports[1].mac, mac_out, 6);
	memcpy(neigh[0].mac, mac_host, 6);
	memcpy(neigh[1].mac, mac_host, 6);
	fib = gk_fib_build(&in, err, sizeof(err));
	if (!fib)
		fail_msg("fib: %s", err);
	t = gk_tables_new(fib, 1);
	assert_non_null(t);
	return t;
}

/*
 * Every routable fixture in its partial form through gk_worker_poll():
 * with csum_complete the transport bytes leave as scapy built them (the
 * L3 stage only touches TTL and the IP header), without they leave partial.
 */
static void worker_run(int complete)
{
	static struct gk_worker w;
	struct gk_worker_cfg cfg = { .cpu = -1 };
	struct gk_tables *tables = transit_tables();
	struct gk_mem_pool *pool = gk_mem_pool_create(256, 2048);
	struct gk_port *in, *out;
	size_t i, k = 0, nr = 0;
	uint32_t len;

	assert_non_null(pool);
	in = gk_mem_port_create(pool, 0, mac_in, NULL);
	out = gk_mem_port_create(pool, 1, mac_out, NULL);
	assert_non_null(in);
	assert_non_null(out);
	in->csum_complete = (uint8_t)complete;
	for (i = 0; i < NFX; i++) {
		if (!routable(&l4_fx[i]) || strstr(l4_fx[i].what, "complete"))
			continue;
		assert_int_equal(gk_mem_port_add_frame(in, l4_fx[i].in,
						       l4_fx[i].frame_len), 0);
		nr++;
	}
	gk_mem_port_set_capture(out, 256);
	cfg.ports[0] = in;
	cfg.ports[1] = out;
	cfg.nr_ports = 2;
	cfg.tables = &tables;
	assert_int_equal(gk_worker_init(&w, &cfg), 0);
	while (gk_worker_poll(&w))
		;
	assert_int_equal(gk_mem_port_nr_captured(out), nr);
	assert_int_equal(w.stats.events[GK_WK_EV_CSUM_COMPLETED],
			 complete ? nr : 0);
	assert_int_equal(w.stats.events[GK_WK_EV_CSUM_SKIPPED], 0);

	for (i = 0; i < NFX; i++) {
		const struct l4_fx *f = &l4_fx[i];
		const uint8_t *c;

		if (!routable(f) || strstr(f->what, "complete"))
			continue;
		c = gk_mem_port_captured(out, k++, &len);
		assert_non_null(c);
		assert_int_equal(len, f->frame_len);
		if (memcmp(c + f->l4_off, complete ? f->out + f->l4_off :
			   f->in + f->l4_off, f->frame_len - f->l4_off))
			fail_msg("%s: transport bytes differ (csum_complete %d)",
				 f->what, complete);
	}
	gk_worker_fini(&w);
	in->ops->close(in);
	out->ops->close(out);
	gk_mem_pool_destroy(pool);
	gk_tables_free(tables);
}

static void test_worker_hook(void **state)
{
	rcu_register_thread();
	worker_run(1);
	worker_run(0);
	rcu_unregister_thread();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each),
		cmocka_unit_test(test_field_ignored),
		cmocka_unit_test(test_bursts),
		cmocka_unit_test(test_worker_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
