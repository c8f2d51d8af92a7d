/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mirror of the kernel's links, addresses, one routing table and neighbors,
 * kept in step over rtnetlink (libmnl). Single-threaded: the daemon owns the
 * mirror, polls gk_nlmirror_fd() and calls gk_nlmirror_process(); it then
 * builds worker snapshots from the arrays below. Array pointers and counts
 * are valid until the next process()/resolve()/close().
 */
#ifndef GK_CTL_NLMIRROR_H
#define GK_CTL_NLMIRROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gk_nl_link {
	uint32_t ifindex;
	char name[16];
	uint8_t mac[6];		/* zero when not an Ethernet-style address */
	uint32_t mtu;
	bool up;		/* IFF_UP and IFF_RUNNING: can carry traffic */
};

struct gk_nl_addr {
	uint8_t family, plen;	/* AF_INET/AF_INET6 */
	uint8_t addr[16];	/* network order; IPv4 uses the first 4 bytes */
	uint32_t ifindex;
};

/* gk_nl_route.has_gw */
#define GK_NL_GW_NONE	0	/* connected or reject route */
#define GK_NL_GW_SAME	1	/* gw is of the route's family */
#define GK_NL_GW_INET6	2	/* IPv4 route via an IPv6 gw (RTA_VIA, RFC 5549) */

struct gk_nl_route {
	uint8_t family, plen;
	uint8_t dst[16];
	uint8_t has_gw;		/* GK_NL_GW_* */
	uint8_t gw[16];
	uint32_t ifindex;
	uint8_t type;		/* RTN_UNICAST/RTN_BLACKHOLE/RTN_UNREACHABLE/RTN_PROHIBIT */
	uint8_t protocol;	/* RTPROT_* */
	uint32_t priority;	/* metric */
};

struct gk_nl_neigh {
	uint8_t family;
	uint8_t addr[16];
	uint32_t ifindex;
	uint8_t mac[6];
	uint16_t state;		/* NUD_*: only usable states are mirrored */
};

struct gk_nlmirror;

/* Subscribes to change groups, then dumps everything. NULL on error (err set). */
struct gk_nlmirror *gk_nlmirror_open(uint32_t table, char *err, size_t errlen);
/* Non-blocking event socket to poll for readability. */
int gk_nlmirror_fd(const struct gk_nlmirror *m);
/* Drain pending events (re-dumps after an overrun); >0 state changed, 0 none, -errno. */
int gk_nlmirror_process(struct gk_nlmirror *m);
/* Bumps on every change of any table. */
uint64_t gk_nlmirror_generation(const struct gk_nlmirror *m);
const struct gk_nl_link *gk_nlmirror_links(const struct gk_nlmirror *m, size_t *n);
const struct gk_nl_addr *gk_nlmirror_addrs(const struct gk_nlmirror *m, size_t *n);
const struct gk_nl_route *gk_nlmirror_routes(const struct gk_nlmirror *m, size_t *n);
const struct gk_nl_neigh *gk_nlmirror_neighs(const struct gk_nlmirror *m, size_t *n);
/* NULL when unknown. */
const struct gk_nl_link *gk_nlmirror_link(const struct gk_nlmirror *m, uint32_t ifindex);
/*
 * Ask the kernel to resolve a neighbor (RTM_NEWNEIGH, NTF_USE, NLM_F_CREATE),
 * so the kernel sends the ARP request / neighbor solicitation itself; the
 * answer shows up later as an event. 0 or -errno.
 */
int gk_nlmirror_resolve(struct gk_nlmirror *m, int family, const uint8_t *addr,
			uint32_t ifindex);
/*
 * A dump request (RTM_GETLINK/GETADDR/GETROUTE/GETNEIGH) for family in buf:
 * its length, or 0 for another type or a buf shorter than the request.
 * The family header is the type's own (gk_nlmirror_dump_hdrlen()).
 */
size_t gk_nlmirror_dump_hdrlen(uint16_t type);
size_t gk_nlmirror_dump_req(void *buf, size_t len, uint16_t type, uint8_t family,
			    uint32_t seq);
void gk_nlmirror_close(struct gk_nlmirror *m);

#endif
