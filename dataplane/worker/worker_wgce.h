/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard from behind a MAP-E CE (issue #5, docs/wireguard.md "Behind
 * MAP-E"). The CE's IPv4 address is shared and is no kernel address, and
 * its tunnel traffic arrives as IPv4-in-IPv6: neither XDP nor the kernel
 * socket can see it as WireGuard. So the worker does, after the CE decap:
 *
 *  - in: decapsulated UDP to (CE address, ListenPort). Type 4 with at
 *    least 32 bytes becomes class WG_DATA and joins the WireGuard rx
 *    bucket (owner hand-off as usual); types 1-3 (initiation, response,
 *    cookie reply) of their exact size (148, 92, 64 bytes) are copied to
 *    this worker's punt ring for genkand, with one eventfd write per burst
 *    that punted something; other sizes (punt_bad_len) and anything else
 *    (stray) are counted drops (GK_WK_DROP_WG).
 *  - claim: LAN IPv4 (class MAPE_CE from the CE's IPv4 port) whose
 *    destination is in a peer's AllowedIPs becomes TRANSIT and takes the
 *    WireGuard tx path (seal, then CE encap) instead of NAPT + encap.
 *  - inject: genkand's handshake messages to IPv4 endpoints come over an
 *    SPSC ring (one worker drains it; genkand writes inject_efd after
 *    each push, which wakes that worker's idle poll); it builds IPv4/UDP from
 *    (CE address, ListenPort), marks it GK_META_F_ORIGIN and runs it
 *    through the CE encap, then it is routed like any other packet.
 */
#ifndef GK_WORKER_WGCE_H
#define GK_WORKER_WGCE_H

#include <stdint.h>

#include "pkt.h"

struct gk_worker;

/* Largest handshake message (initiation, whitepaper §5.4.2). */
#define GK_WG_CTLMSG_MAX	148
#define GK_WG_PUNT_RING		256	/* slots per worker -> genkand ring */
#define GK_WG_INJECT_RING	256	/* slots of the genkand -> worker ring */

/* One punted or injected message; addr/port: the remote end. */
struct gk_wg_ctlmsg {
	uint8_t addr[4];		/* IPv4, network order */
	uint16_t port;			/* host order */
	uint16_t len;			/* bytes of msg used */
	uint8_t msg[GK_WG_CTLMSG_MAX];
};

/* Worker counters (worker-written, genkand reads racily). */
struct gk_wgce_stats {
	uint64_t punted;		/* handshake messages to genkand */
	uint64_t punt_drops;		/* punt ring full */
	uint64_t punt_bad_len;		/* type 1-3, wrong size: dropped */
	uint64_t stray;			/* to ListenPort, not WireGuard: dropped */
	uint64_t injected;		/* built and sent for genkand */
	uint64_t inject_drops;		/* no buffer, or the encap refused */
	uint64_t inject_wakes;		/* idle sleeps inject_efd ended */
	uint64_t wake_fail;		/* eventfd write/read failed */
};

/* Allocates the inject scratch when this worker drains the ring. */
int gk_worker_wgce_init(struct gk_worker *w);
void gk_worker_wgce_fini(struct gk_worker *w);

/*
 * ce[0..*nce): the burst's MAPE_CE packets. Those claimed for the tunnel
 * leave ce[] (compacted) and join transit[] as TRANSIT. Returns nt.
 */
uint16_t gk_worker_wgce_claim(struct gk_worker *w, struct gk_pkt **ce,
			      uint16_t *nce, struct gk_pkt **transit,
			      uint16_t nt);

/* After the CE stage decapsulated p[0..n): see above. */
void gk_worker_wgce_in(struct gk_worker *w, struct gk_pkt **p, uint16_t n);

/*
 * Pops up to max messages from the inject ring into buffers of @alloc_port
 * (via its ops), builds and CE-encapsulates them. Returns how many packets
 * are in out[] (verdicts set: GK_V_NONE to route, GK_V_DROP counted).
 */
struct gk_port;
uint16_t gk_worker_wgce_inject(struct gk_worker *w, struct gk_port *port,
			       struct gk_pkt **out, uint16_t max);

#endif
