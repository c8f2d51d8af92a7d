/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The gateway host's own path through genkan's tunnels ([wireguard]
 * Address, docs/architecture.md "Host path"): a TUN device whose queues
 * the workers serve as one more genkan port (dataplane/backend/
 * backend_tun.h), its addresses, and a route per peer AllowedIPs prefix
 * through it, as wg-quick sets up a wg0. Daemon thread only.
 */
#ifndef GK_HOST_TUN_H
#define GK_HOST_TUN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct gk_daemon;
struct gk_worker_cfg;
struct gk_fib_port;
struct gk_route;

/*
 * With Address in an enabled [wireguard]: creates the device (one queue
 * per worker), sets its MTU to the WireGuard mtu, adds the addresses and
 * the AllowedIPs routes. Before the workers start. 0 (also when off), or
 * -errno with a message in err naming the config line.
 */
int gk_host_tun_start(struct gk_daemon *d, char *err, size_t errlen);
/*
 * Worker w's TUN port, its buffers from the pool of wc's first port;
 * stored in wc->ports and d->xports[w] (closed with them, ahead of the
 * AF_XDP ports). No-op when off. 0 or -errno with a message.
 */
int gk_host_tun_worker(struct gk_daemon *d, unsigned w,
		       struct gk_worker_cfg *wc, char *err, size_t errlen);
/* Host routes it adds to a FIB build at most. */
size_t gk_host_tun_max_routes(const struct gk_daemon *d);
/*
 * The TUN's FIB port (no neighbours) and a host route per Address to it,
 * appended at ports[*nr_ports] and routes[*nr_routes].
 */
void gk_host_tun_fib(const struct gk_daemon *d, struct gk_fib_port *ports,
		     size_t *nr_ports, struct gk_route *routes,
		     size_t *nr_routes);
/* `stats` "ports" entries of worker w's TUN port; NULL when off. */
json_t *gk_host_tun_port_json(const struct gk_daemon *d, unsigned w);
/* After the ports are closed: the device goes with its last queue fd. */
void gk_host_tun_stop(struct gk_daemon *d);

#endif
