// SPDX-License-Identifier: BSD-3-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "wg_rig.h"

const uint8_t wg_rig_lan_mac[6] = { 2, 0, 0, 0, 0, 0x0a };
const uint8_t wg_rig_wan_mac[6] = { 2, 0, 0, 0, 0, 0x0b };

void wg_rig_up(struct wg_rig *r, const struct wg_rig_cfg *rc,
	       struct gk_worker_cfg *cfg)
{
	const struct gk_fib_port fports[] = {
		{ .ifindex = 10, .port_id = 0, .mac = { 2, 0, 0, 0, 0, 0x0a },
		  .mtu = rc->mtu[0] },
		{ .ifindex = 11, .port_id = 1, .mac = { 2, 0, 0, 0, 0, 0x0b },
		  .mtu = rc->mtu[1] },
	};
	struct gk_fib_input in = {
		.routes = rc->routes, .nr_routes = rc->nr_routes,
		.neighs = rc->neighs, .nr_neighs = rc->nr_neighs,
		.ports = fports, .nr_ports = 2,
	};
	struct gk_fib *fib;
	char err[128];

	memset(r, 0, sizeof(*r));
	r->nbufs = rc->nbufs;
	r->pool = gk_mem_pool_create(rc->nbufs, 2048);
	assert_non_null(r->pool);
	r->port[0] = gk_mem_port_create(r->pool, 0, wg_rig_lan_mac, NULL);
	r->port[1] = gk_mem_port_create(r->pool, 1, wg_rig_wan_mac, rc->wan);
	assert_non_null(r->port[0]);
	assert_non_null(r->port[1]);
	gk_mem_port_set_capture(r->port[0], 64);
	gk_mem_port_set_capture(r->port[1], 64);
	fib = gk_fib_build(&in, err, sizeof(err));
	if (!fib)
		fail_msg("fib: %s", err);
	r->tables = gk_tables_new(fib, 1);
	assert_non_null(r->tables);
	r->ev = gk_wg_evring_create(16);
	assert_non_null(r->ev);
	cfg->ports[0] = r->port[0];
	cfg->ports[1] = r->port[1];
	cfg->nr_ports = 2;
	cfg->tables = &r->tables;
	cfg->wg = &r->wg;
	cfg->wg_events = r->ev;
	cfg->wg_aead = GK_AEAD_OPENSSL;
	cfg->wg_port_id = 1;
	assert_int_equal(gk_worker_init(&r->w, cfg), 0);
}

void wg_rig_down(struct wg_rig *r)
{
	gk_worker_fini(&r->w);
	r->port[0]->ops->close(r->port[0]);
	r->port[1]->ops->close(r->port[1]);
	assert_int_equal(gk_mem_pool_nr_free(r->pool), r->nbufs);
	gk_mem_pool_destroy(r->pool);
	gk_tables_free(r->tables);
	gk_wg_evring_destroy(r->ev);
}

void wg_rig_peer(struct gk_wg_peer_cfg *pc, struct gk_wg_allowed *al,
		 uint32_t id, uint16_t port)
{
	pc->id = id;
	pc->ep.family = AF_INET;
	pc->ep.port = port;
	memcpy(pc->ep.addr, (uint8_t[]){ 203, 0, 113, (uint8_t)(1 + id) }, 4);
	memcpy(pc->src, (uint8_t[]){ 203, 0, 113, 1 }, 4);
	al[0].family = AF_INET;
	al[0].plen = 24;
	memcpy(al[0].addr, (uint8_t[]){ 198, 18, (uint8_t)id, 0 }, 4);
	pc->allowed = al;
	pc->nr_allowed = 1;
}
