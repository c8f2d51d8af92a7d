/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MAP-E BR stage (RFC 7597 §8): the border relay for many CEs.
 *
 * IPv6 next header 4 from the v6 port, to our BR address: the rule is
 * found by the outer source (LPM over rule IPv6 prefixes); the inner IPv4
 * source and port (TCP/UDP source port, ICMP query id, the quoted
 * destination port of an ICMP error) must give back exactly the outer
 * source (RFC 7597 §8.1), else drop spoof_addr / spoof_port and, when
 * configured, answer ICMPv6 Destination Unreachable code 5 (RFC 4443
 * 3.1), rate-limited. An inner destination inside a rule is hairpinned:
 * re-encapsulated to that CE from the BR address. Everything else is
 * decapsulated for the L3 stage (meta rewritten, class TRANSIT).
 *
 * IPv4 from the v4 port to a rule's prefix: encapsulated to the CE that
 * owns the destination address and port (TCP/UDP destination port, ICMP
 * query id, the quoted source port of an ICMP error); excluded ports or no
 * rule drop no_rule. Inner TTL is decremented here.
 *
 * ICMPv6 errors about our encapsulations become ICMPv4 errors for the
 * inner sender. Other traffic gets GK_V_KERNEL.
 *
 * Rule lookup by outer source: a per-length hash of the rule IPv6
 * prefixes (gk_map_v6_lookup), longest length first.
 *
 * MTU and fragments (RFC 7597 §8.3): as the CE (mape_ce.h) for the tunnel
 * MTU and outer reassembly; IPv4 fragments from the internet use virtual
 * reassembly (later fragments go to the CE of their first fragment,
 * out-of-order ones are held briefly); inner IPv4 later fragments on
 * decap pass anti-spoofing when their first fragment came validated from
 * the same CE. Not done: hairpinning later fragments (dropped fragment).
 */
#ifndef GK_MAPE_BR_H
#define GK_MAPE_BR_H

#include <stdint.h>

#include "map_table.h"
#include "pkt.h"

void gk_mape_br_burst(struct gk_mape_ctx *ctx, struct gk_pkt **pkts, uint16_t n);

#endif
