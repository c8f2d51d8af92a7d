// SPDX-License-Identifier: BSD-3-Clause
/*
 * The WireGuard tests' worker rig on the memory backend, shared by
 * test_wg_stage, test_wg_rpath and test_wg_route: port 0 the LAN
 * (ifindex 10, 02:00:00:00:00:0a), port 1 the WAN where the endpoints
 * are (ifindex 11, 02:00:00:00:00:0b), both capturing 64 frames.
 */
#ifndef GK_TEST_WG_RIG_H
#define GK_TEST_WG_RIG_H

#include <stddef.h>
#include <stdint.h>

#include "backend_mem.h"
#include "tables.h"
#include "wg_data.h"
#include "wg_peers.h"
#include "worker.h"

extern const uint8_t wg_rig_lan_mac[6];
extern const uint8_t wg_rig_wan_mac[6];

struct wg_rig {
	struct gk_mem_pool *pool;
	struct gk_port *port[2];
	struct gk_tables *tables;
	struct gk_wg_peers *wg;		/* the RCU slot the worker reads */
	struct gk_wg_evring *ev;
	struct gk_worker w;
	unsigned int nbufs;
};

/* What differs between the tests' rigs. */
struct wg_rig_cfg {
	unsigned int nbufs;		/* the pool's buffers */
	uint32_t mtu[2];		/* the ports' link MTU in the FIB; 0: default */
	const struct gk_route *routes;
	size_t nr_routes;
	const struct gk_neigh_entry *neighs;
	size_t nr_neighs;
	const struct gk_classify_cfg *wan;	/* port 1's classifier; NULL: none */
};

/*
 * Brings the rig up, or fails the test. cfg holds the caller's worker
 * settings (cpu, wg_max_peers, wg_mtu, wg_nr_workers, ...); the ports,
 * tables, peers' slot and event ring are filled in here, with the
 * OpenSSL AEAD and port 1 as the tunnel's. r->wg stays NULL.
 */
void wg_rig_up(struct wg_rig *r, const struct wg_rig_cfg *rc,
	       struct gk_worker_cfg *cfg);

/* Tears it down and checks every buffer came back; r->wg is the caller's. */
void wg_rig_down(struct wg_rig *r);

/*
 * Peer id behind the WAN, as the tests draw it: endpoint
 * 203.0.113.<1 + id>:port from 203.0.113.1, AllowedIPs al[0] =
 * 198.18.<id>.0/24 (nr_allowed 1). pc and al start zeroed.
 */
void wg_rig_peer(struct gk_wg_peer_cfg *pc, struct gk_wg_allowed *al,
		 uint32_t id, uint16_t port);

#endif
