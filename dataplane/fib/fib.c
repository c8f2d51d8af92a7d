/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fib.h"

_Static_assert(sizeof(struct gk_fib_nh) == 48, "next hop size");

static const struct gk_fib_port *find_port(const struct gk_fib_input *in,
					   uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < in->nr_ports; i++)
		if (in->ports[i].ifindex == ifindex)
			return &in->ports[i];
	return NULL;
}

static void fill_nh(struct gk_fib_nh *nh, const struct gk_route *r,
		    const struct gk_fib_input *in,
		    const struct gk_neigh_tbl *neigh)
{
	const struct gk_fib_port *port;
	const uint8_t *mac;

	nh->family = r->family;
	nh->ifindex = r->ifindex;
	if (r->blackhole) {
		nh->flags = GK_NH_F_BLACKHOLE;
		return;
	}
	port = find_port(in, r->ifindex);
	if (!port) {
		nh->flags = GK_NH_F_NOPORT;
		return;
	}
	nh->port_id = port->port_id;
	nh->mtu = port->mtu;
	memcpy(nh->src_mac, port->mac, 6);
	/* Nothing to resolve: the frame's MACs are never looked at. */
	if (port->noarp) {
		nh->flags = GK_NH_F_NOARP;
		memcpy(nh->dst_mac, port->mac, 6);
		return;
	}
	if (!r->has_gw)
		return;
	nh->flags |= GK_NH_F_GATEWAY;
	memcpy(nh->gw, r->gw, r->family == AF_INET ? 4 : 16);
	mac = gk_neigh_lookup(neigh, r->family, r->ifindex, nh->gw);
	if (mac) {
		memcpy(nh->dst_mac, mac, 6);
		nh->fast_len = nh->mtu ? nh->mtu : UINT32_MAX;
	} else {
		nh->flags |= GK_NH_F_UNRESOLVED;
	}
}

static int check_route(const struct gk_route *r, size_t i, char *err,
		       size_t errlen)
{
	if (r->family != AF_INET && r->family != AF_INET6) {
		snprintf(err, errlen, "fib: route %zu: bad family %u", i,
			 r->family);
		return -EINVAL;
	}
	if (r->plen > (r->family == AF_INET ? 32 : 128)) {
		snprintf(err, errlen, "fib: route %zu: bad prefix length %u",
			 i, r->plen);
		return -EINVAL;
	}
	return 0;
}

struct gk_fib *gk_fib_build(const struct gk_fib_input *in, char *err,
			    size_t errlen)
{
	struct gk_lpm_entry4 *e4 = NULL;
	struct gk_lpm_entry6 *e6 = NULL;
	struct gk_fib *fib;
	size_t i, n4 = 0, n6 = 0;

	if (in->nr_routes >= GK_LPM_NH_MAX) {
		snprintf(err, errlen, "fib: too many routes");
		return NULL;
	}
	fib = calloc(1, sizeof(*fib));
	if (!fib)
		goto err_nomem;
	fib->neigh = gk_neigh_build(in->neighs, in->nr_neighs, err, errlen);
	if (!fib->neigh)
		goto err_fib;
	fib->ports = calloc(in->nr_ports ? in->nr_ports : 1,
			    sizeof(*fib->ports));
	fib->nh = calloc(in->nr_routes ? in->nr_routes : 1, sizeof(*fib->nh));
	e4 = calloc(in->nr_routes ? in->nr_routes : 1, sizeof(*e4));
	e6 = calloc(in->nr_routes ? in->nr_routes : 1, sizeof(*e6));
	if (!fib->ports || !fib->nh || !e4 || !e6) {
		snprintf(err, errlen, "fib: out of memory");
		goto err_fib;
	}
	if (in->nr_ports)
		memcpy(fib->ports, in->ports, in->nr_ports * sizeof(*fib->ports));
	fib->nr_ports = in->nr_ports;
	fib->nr_nh = in->nr_routes;

	for (i = 0; i < in->nr_routes; i++) {
		const struct gk_route *r = &in->routes[i];

		if (check_route(r, i, err, errlen))
			goto err_fib;
		fill_nh(&fib->nh[i], r, in, fib->neigh);
		if (r->family == AF_INET) {
			memcpy(&e4[n4].prefix_be, r->dst, 4);
			e4[n4].plen = r->plen;
			e4[n4++].nh = (uint32_t)i;
		} else {
			memcpy(e6[n6].prefix, r->dst, 16);
			e6[n6].plen = r->plen;
			e6[n6++].nh = (uint32_t)i;
		}
	}
	fib->lpm4 = gk_lpm4_build(e4, n4, err, errlen);
	if (!fib->lpm4)
		goto err_fib;
	fib->lpm6 = gk_lpm6_build(e6, n6, err, errlen);
	if (!fib->lpm6)
		goto err_fib;
	fib->nr_routes4 = n4;
	fib->nr_routes6 = n6;
	free(e6);
	free(e4);
	return fib;

err_fib:
	free(e6);
	free(e4);
	gk_fib_free(fib);
	return NULL;
err_nomem:
	snprintf(err, errlen, "fib: out of memory");
	return NULL;
}

void gk_fib_free(struct gk_fib *fib)
{
	if (!fib)
		return;
	gk_lpm6_free(fib->lpm6);
	gk_lpm4_free(fib->lpm4);
	gk_neigh_free(fib->neigh);
	free(fib->nh);
	free(fib->ports);
	free(fib);
}

size_t gk_fib_nr_routes(const struct gk_fib *fib, int family)
{
	if (family == AF_INET)
		return fib->nr_routes4;
	if (family == AF_INET6)
		return fib->nr_routes6;
	return 0;
}
