/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP errors about the front door's flows (docs/l4.md, "ICMP errors").
 * An error quotes the start of the packet it is about (RFC 792, RFC 4443
 * 2.4(c)); the door rewrote that packet's addresses, so the quote names
 * the other side's view of the flow and must be rewritten too, or neither
 * end could match the error to its connection.
 *
 * Toward a backend (class L4_SERVICE, rule 10 of the classifier): an
 * error from the internet about a reply, addressed to the listen address
 * and quoting listen addr:port -> client. The backend is the flow's, or,
 * when the flow lives on another worker (RSS hashed the error elsewhere),
 * the one Maglev gives now. The quoted source and the outer destination
 * become the backend's.
 * Toward a client (routed packets, and errors the worker built itself): an
 * error quoting client -> backend addr:port. The quoted destination and the
 * outer source become the listen address:port: the client only knows the
 * door, and a host drops an error that quotes a connection it never had.
 *
 * client_ip = snat: toward a backend, the quoted destination becomes the
 * flow's pool address:port too, so only the worker holding the flow can
 * translate (elsewhere: dropped, icmp_bad); toward a client, only the
 * errors a worker built about the packets it sent itself (it holds their
 * flows); routed ones quote a pool port of whichever worker owns it and
 * are left alone.
 *
 * Every rewrite is incremental (RFC 1624): the quoted IPv4 header
 * checksum, the quoted TCP/UDP checksum when its bytes are quoted, the
 * outer IPv4 header checksum and the ICMP checksum (for ICMPv6 over the
 * pseudo-header too, RFC 4443 2.3). A checksum that was wrong stays wrong.
 */
#ifndef GK_STAGE_L4_ICMP_H
#define GK_STAGE_L4_ICMP_H

#include <stdbool.h>
#include <stdint.h>

#include "l4.h"
#include "pkt.h"

/* The packet an ICMP error quotes, found by gk_l4_quote_parse(). */
struct gk_l4_quote {
	uint8_t *icmp;		/* the ICMP header (checksum at +2) */
	uint8_t *ip;		/* the quoted IP header, at icmp + 8 */
	uint8_t *l4;		/* its TCP/UDP header: the ports at least */
	uint32_t l4_len;	/* bytes of it quoted (>= 4) */
	uint8_t family, proto;	/* the quoted packet's */
};

/* RFC 792 / RFC 1812 4.3.2.7 (3, 11, 12) and RFC 4443 2.1 (1-4). */
static inline bool gk_l4_icmp_is_error(bool v4, uint8_t type)
{
	if (v4)
		return type == 3 || type == 11 || type == 12;
	return type >= 1 && type <= 4;
}

/*
 * The quote of the ICMP error at icmp, len bytes of message (outer
 * datagram and frame both bound it): a TCP/UDP packet of the family v4
 * says, whole IP header (no IPv4 later fragment, no IPv6 extension header)
 * and its ports. 0, or -1 when it is not such a quote.
 */
int gk_l4_quote_parse(uint8_t *icmp, uint32_t len, bool v4,
		      struct gk_l4_quote *q);
/*
 * Rewrite one end of the quoted packet: its source (dst false) or its
 * destination becomes addr (the quote's family length) and port (host
 * order; 0: kept). Checksums follow as above. A flow that translates
 * both ends (client_ip = snat) makes two calls.
 */
void gk_l4_quote_set(const struct gk_l4_quote *q, bool dst,
		     const uint8_t *addr, uint16_t port);

/*
 * Toward a backend: p is class L4_SERVICE with l4_proto ICMP/ICMPv6.
 * Rewritten (class TRANSIT, GK_V_NONE: icmp_in) or dropped and counted
 * (icmp_bad, no_backend; bad_l4 for an ICMP message that is no error).
 */
void gk_l4_icmp_fwd(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		    struct gk_pkt *p);
/*
 * Toward a client: if p is an ICMP error quoting client -> a backend's
 * address:port, rewrite it (icmp_out) and return true. Anything else is
 * left as it is; p's verdict is not looked at.
 */
bool gk_l4_icmp_rev(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		    struct gk_pkt *p);
/*
 * ICMP errors the worker built (verdict GK_V_TX, e.g. Time Exceeded or
 * Fragmentation Needed from the tunnel MTU) about packets the forward
 * path rewrote: gk_l4_icmp_rev() on each, so the client finds the listen
 * address:port it sent to in the quote.
 */
void gk_l4_err_burst(struct gk_l4_ctx *c, const struct gk_l4_table *t,
		     struct gk_pkt **pkts, uint16_t n);

#endif
