/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MAP-E CE stage (RFC 7597 §7, §8): the customer edge.
 *
 * IPv4 from the v4 port: the source must be our IPv4 address (or prefix)
 * and its port (TCP/UDP source port, ICMP query id, the quoted destination
 * port of an ICMP error) in our port set, else drop port_violation; the
 * packet goes to the BR, or to the peer CE when an FMR covers the
 * destination (mesh). Inner TTL is decremented here, as an IPv4 router.
 *
 * IPv6 next header 4 from the v6 port: outer destination our CE address,
 * outer source the BR or the CE an FMR gives for the inner source; inner
 * destination our IPv4 and a port of our set. Decapsulated packets leave
 * with meta describing the inner IPv4 packet, class TRANSIT, verdict
 * GK_V_NONE: the L3 stage routes them and decrements their TTL.
 *
 * ICMPv6 errors about our encapsulations become ICMPv4 errors for the
 * inner sender (gk_mape_icmp6_translate). Other IPv6/IPv4 traffic gets
 * GK_V_KERNEL. Packets genkan built carry GK_META_F_ORIGIN.
 *
 * MTU and fragments (RFC 7597 §8.3, map_table.h gk_mape_send): over
 * tunnel_mtu, DF set or policy icmp -> ICMPv4 Fragmentation Needed
 * (next-hop MTU tunnel_mtu, from the v4 port address, rate-limited); else
 * outer IPv6 fragments (needs ctx->alloc; without: drop too_big). Outer
 * fragments to our address are reassembled first (frag.h). IPv4 later
 * fragments follow their first fragment's port check (virtual
 * reassembly; out-of-order ones are held briefly). TTL expiry is left to
 * the ICMP error stage (ttl drops carry GK_WK_DROP_TTL). Not done: later
 * fragments from FMR peers (their port check needs the first fragment).
 */
#ifndef GK_MAPE_CE_H
#define GK_MAPE_CE_H

#include <stdint.h>

#include "map_table.h"
#include "pkt.h"

void gk_mape_ce_burst(struct gk_mape_ctx *ctx, struct gk_pkt **pkts, uint16_t n);

/*
 * The IPv4 -> BR/FMR half of gk_mape_ce_burst for packets genkan built
 * itself (WireGuard outer packets, worker_wg.c), whatever port they came
 * in on: the same source address and port set checks, then encap.
 * Packets not GK_V_NONE are skipped.
 */
void gk_mape_ce_encap_burst(struct gk_mape_ctx *ctx, struct gk_pkt **pkts,
			    uint16_t n);

#endif
