/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host path's data plane: the TUN backend (backend_tun.c) over a
 * SOCK_SEQPACKET socketpair (one packet per read/write, as a TUN queue)
 * with a memory pool port as its sibling, and l3fwd over a FIB whose TUN
 * port has no neighbours. Expected bytes come from gen_tun.py (scapy).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "backend_mem.h"
#include "backend_tun.h"
#include "l3fwd.h"
#include "nreq.h"
#include "parse.h"
#include "tun_fixtures.h"

#define NBUFS	128
#define TUN_ID	1
#define TUN_IF	7

struct fx {
	struct gk_mem_pool *pool;
	struct gk_port *sib, *tun;
	int host;		/* the kernel's end of the "queue" */
};

static const uint8_t sib_mac[6] = { 0x02, 0, 0, 0, 0, 0x03 };

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct gk_tun_port_cfg pc = { .port_id = TUN_ID, .ifindex = TUN_IF };
	char err[128];
	int sv[2];

	if (!f || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv))
		return -1;
	f->pool = gk_mem_pool_create(NBUFS, 2048);
	f->sib = f->pool ? gk_mem_port_create(f->pool, 0, sib_mac, NULL) : NULL;
	if (!f->sib)
		return -1;
	pc.fd = sv[0];
	pc.pool = f->sib;
	memcpy(pc.mac, tun_mac, 6);
	f->tun = gk_tun_port_open(&pc, err, sizeof(err));
	if (!f->tun) {
		fprintf(stderr, "tun: %s\n", err);
		return -1;
	}
	f->host = sv[1];
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	f->tun->ops->close(f->tun);
	/* Every frame went back: the spares too. */
	assert_int_equal(gk_mem_pool_nr_free(f->pool), NBUFS);
	f->sib->ops->close(f->sib);
	gk_mem_pool_destroy(f->pool);
	close(f->host);
	free(f);
	return 0;
}

static void host_write(struct fx *f, const uint8_t *b, size_t len)
{
	assert_int_equal(write(f->host, b, len), (ssize_t)len);
}

/* Host packets become Ethernet frames in pool buffers, classified TRANSIT. */
static void test_rx(void **state)
{
	static const uint8_t junk[24] = { 0x50 };	/* version 5 */
	struct fx *f = *state;
	struct gk_pkt *p[GK_BURST];
	struct gk_tun_stats ts;
	struct gk_xdp_meta m;
	enum gk_xdp_drop why;
	uint16_t n, i;

	host_write(f, fx_host4, sizeof(fx_host4));
	host_write(f, junk, sizeof(junk));
	host_write(f, fx_host6, sizeof(fx_host6));
	host_write(f, fx_host4, 10);		/* short */
	n = gk_port_rx(f->tun, p, GK_BURST);
	assert_int_equal(n, 2);
	assert_int_equal(f->tun->rx_hand, GK_HAND_PARSE);
	assert_int_equal(p[0]->len, sizeof(fx_frame4));
	assert_memory_equal(p[0]->data, fx_frame4, sizeof(fx_frame4));
	assert_int_equal(p[1]->len, sizeof(fx_frame6));
	assert_memory_equal(p[1]->data, fx_frame6, sizeof(fx_frame6));
	for (i = 0; i < n; i++) {
		assert_int_equal(p[i]->in_port, TUN_ID);
		assert_int_equal(p[i]->verdict, GK_V_NONE);
		/* The software twin: worker traffic, never the kernel's. */
		assert_int_equal(gk_classify(p[i]->data, p[i]->len, NULL, &m, &why),
				 GK_CLS_WORKER);
		assert_int_equal(m.class, GK_CLASS_TRANSIT);
		assert_int_equal(m.l3_off, 14);
	}
	gk_tun_port_stats(f->tun, &ts);
	assert_int_equal(ts.rx_bad, 2);
	assert_int_equal(ts.rx_errors, 0);
	assert_int_equal(f->tun->stats.rx_packets, 2);
	assert_int_equal(f->tun->stats.rx_bytes, sizeof(fx_frame4) + sizeof(fx_frame6));
	gk_port_free(f->tun, p, n);

	/* Empty: EAGAIN, then the reads pause; wait_fd ends the pause. */
	assert_int_equal(gk_port_rx(f->tun, p, GK_BURST), 0);
	host_write(f, fx_host4, sizeof(fx_host4));
	assert_int_equal(gk_port_rx(f->tun, p, GK_BURST), 0);
	assert_int_equal(f->tun->ops->wait_fd(f->tun) >= 0, 1);
	n = gk_port_rx(f->tun, p, GK_BURST);
	assert_int_equal(n, 1);
	assert_memory_equal(p[0]->data, fx_frame4, sizeof(fx_frame4));
	gk_port_free(f->tun, p, n);
}

/* An empty pool: counted, nothing read; the packet waits in the queue. */
static void test_rx_no_buf(void **state)
{
	struct fx *f = *state;
	/* the port's spares (up to a burst) come on top of the pool's */
	struct gk_pkt *all[NBUFS], *p[GK_BURST + 2];
	uint16_t got = 0, k, n;

	/* The port keeps spares: take everything else, then its spares go. */
	host_write(f, fx_host4, sizeof(fx_host4));
	f->tun->ops->wait_fd(f->tun);
	n = gk_port_rx(f->tun, p, GK_BURST);
	assert_int_equal(n, 1);
	while ((k = f->sib->ops->alloc(f->sib, all + got, NBUFS - got)))
		got += k;
	for (k = 0; k < GK_BURST && got + n < NBUFS; k++) {
		host_write(f, fx_host4, sizeof(fx_host4));
		f->tun->ops->wait_fd(f->tun);
		n += gk_port_rx(f->tun, p + n, 1);
	}
	host_write(f, fx_host4, sizeof(fx_host4));
	f->tun->ops->wait_fd(f->tun);
	assert_int_equal(gk_port_rx(f->tun, p + n, 1), 0);
	assert_true(f->tun->stats.rx_no_buf >= 1);
	gk_port_free(f->sib, all, got);
	f->tun->ops->wait_fd(f->tun);
	assert_int_equal(gk_port_rx(f->tun, p + n, 1), 1);	/* it waited */
	n++;
	gk_port_free(f->tun, p, n);
}

/* Routed to the host: no neighbour asked, MACs written, TTL - 1, written. */
static void test_route_tx(void **state)
{
	struct fx *f = *state;
	struct gk_fib_port ports[2] = {
		{ .ifindex = 3, .port_id = 0, .mtu = 1500 },
		{ .ifindex = TUN_IF, .port_id = TUN_ID, .mtu = TUN_MTU, .noarp = 1 },
	};
	struct gk_route routes[3] = {
		{ .family = AF_INET, .plen = 32, .ifindex = TUN_IF },
		{ .family = AF_INET6, .plen = 128, .ifindex = TUN_IF },
		/* the kernel's connected route on the TUN: no gateway */
		{ .family = AF_INET, .plen = 24, .ifindex = TUN_IF },
	};
	struct gk_fib_input in = {
		.routes = routes, .nr_routes = 3, .ports = ports, .nr_ports = 2,
	};
	struct gk_nreq_ring *ring = gk_nreq_ring_create(16);
	struct gk_wk_stats st = { 0 };
	struct gk_l3fwd_ctx ctx = { .stats = &st, .nreq = ring };
	const uint8_t *src[3] = { fx_in4, fx_in6, fx_big4 };
	const size_t len[3] = { sizeof(fx_in4), sizeof(fx_in6), sizeof(fx_big4) };
	struct gk_pkt *p[4];
	struct gk_tun_stats ts;
	enum gk_xdp_drop why;
	uint8_t got[2048];
	struct gk_fib *fib;
	char err[128];
	uint16_t i;

	memcpy(ports[0].mac, sib_mac, 6);
	memcpy(ports[1].mac, tun_mac, 6);
	inet_pton(AF_INET, "192.0.2.1", routes[0].dst);
	inet_pton(AF_INET6, "2001:db8:8::1", routes[1].dst);
	inet_pton(AF_INET, "192.0.2.0", routes[2].dst);
	fib = gk_fib_build(&in, err, sizeof(err));
	assert_non_null(fib);
	assert_non_null(ring);
	ctx.fib = fib;
	assert_int_equal(f->sib->ops->alloc(f->sib, p, 4), 4);
	for (i = 0; i < 3; i++) {
		memcpy(p[i]->data, src[i], len[i]);
		p[i]->len = (uint32_t)len[i];
		assert_int_equal(gk_classify(p[i]->data, p[i]->len, NULL,
					     &p[i]->meta, &why), GK_CLS_WORKER);
	}
	/* 192.0.2.9: the connected route, no neighbour either */
	memcpy(p[3]->data, fx_in4, sizeof(fx_in4));
	p[3]->len = sizeof(fx_in4);
	p[3]->data[14 + 19] = 9;
	gk_classify(p[3]->data, p[3]->len, NULL, &p[3]->meta, &why);
	gk_l3fwd_burst(&ctx, p, 4);
	for (i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		assert_int_equal(p[i]->verdict, GK_V_TX);
		assert_int_equal(p[i]->out_port, TUN_ID);
		assert_memory_equal(p[i]->data, tun_mac, 6);
		assert_memory_equal(p[i]->data + 6, tun_mac, 6);
	}
	assert_int_equal(p[2]->verdict, GK_V_DROP);
	assert_int_equal(p[2]->drop_reason, GK_WK_DROP_TOO_BIG);
	assert_int_equal(st.drops[GK_WK_DROP_NO_NEIGH], 0);
	assert_int_equal(st.neigh_requests, 0);
	gk_port_free(f->sib, &p[2], 1);

	/* tx writes the IP packets and returns the frames. */
	p[2] = p[3];
	assert_int_equal(gk_port_tx(f->tun, p, 2), 2);
	assert_int_equal(read(f->host, got, sizeof(got)), (ssize_t)sizeof(fx_out4));
	assert_memory_equal(got, fx_out4, sizeof(fx_out4));
	assert_int_equal(read(f->host, got, sizeof(got)), (ssize_t)sizeof(fx_out6));
	assert_memory_equal(got, fx_out6, sizeof(fx_out6));
	/* No IP packet at l3_off: refused, counted, still freed. */
	p[2]->meta.l3_off = 0;
	assert_int_equal(gk_port_tx(f->tun, &p[2], 1), 0);
	gk_tun_port_stats(f->tun, &ts);
	assert_int_equal(ts.tx_bad, 1);
	assert_int_equal(f->tun->stats.tx_packets, 2);
	assert_int_equal(f->tun->stats.tx_drops, 1);
	assert_int_equal(f->tun->stats.tx_bytes, sizeof(fx_out4) + sizeof(fx_out6));
	assert_int_equal(read(f->host, got, sizeof(got)), -1);
	gk_fib_free(fib);
	gk_nreq_ring_destroy(ring);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_no_buf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_tx, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
