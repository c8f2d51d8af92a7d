/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP/UDP checksum completion at rx. A veth or tap peer with TX checksum
 * offload on (the default) sends CHECKSUM_PARTIAL frames: the checksum
 * field holds only the pseudo-header sum, and the skb's csum_start/offset,
 * which tell a device where to finish it, are lost when XDP redirects the
 * frame to AF_XDP. Forwarded as is, the receiver drops them. Ports whose
 * gk_port.csum_complete is set run every received burst through
 * gk_l4csum_burst(), which recomputes such checksums from scratch.
 *
 * Runs in the owning worker only; counters go to its gk_wk_stats.
 */
#ifndef GK_L4CSUM_H
#define GK_L4CSUM_H

#include <stdint.h>

#include "pkt.h"
#include "wkstats.h"

/*
 * Recompute the L4 checksum of each packet whose metadata (pkt->meta:
 * GK_META_F_IPV4/IPV6, GK_META_F_L4, l3_off, l4_off, l4_proto) says
 * unfragmented TCP or UDP, over the length the IP header gives (RFC 768,
 * RFC 793 3.1, RFC 8200 8.1): counted in GK_WK_EV_CSUM_COMPLETED. Not
 * touched, not counted: fragments, other protocols, IPv4 UDP with
 * checksum 0 (none, RFC 768). Not touched, counted in
 * GK_WK_EV_CSUM_SKIPPED: lengths or offsets that do not fit the frame or
 * each other, and a source route still under way (IPv4 LSRR/SSRR, an IPv6
 * Routing header with segments left), whose final destination the
 * pseudo-header needs. Verdicts are not touched: a later stage decides.
 */
void gk_l4csum_burst(struct gk_wk_stats *st, struct gk_pkt **pkts, uint16_t n);

#endif
