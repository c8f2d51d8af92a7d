/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard in the worker loop (issue #5), kept out of worker.c:
 *  - rx: WG_DATA packets -> gk_wg_decrypt_burst; the inner packets join
 *    the L3 list as TRANSIT.
 *  - tx: TRANSIT packets whose destination is in some peer's AllowedIPs
 *    get their TTL/hop limit decremented here (they are forwarded into
 *    the tunnel, RFC 1812 §5.3.1) and are sealed in place by
 *    gk_wg_encrypt_burst; the outer packet (GK_META_F_ORIGIN) stays in
 *    the L3 list and l3fwd routes it.
 * Everything here runs only when genkand published a WireGuard snapshot:
 * worker.c checks one pointer (w->wgp) per pass otherwise.
 *
 * Replay windows have one writer: the worker that receives a keypair's
 * data. genkand runs WireGuard with one worker only until data can be
 * handed between workers (docs/wireguard.md, "Workers").
 */
#ifndef GK_WORKER_WG_H
#define GK_WORKER_WG_H

#include <stdint.h>

#include "pkt.h"

struct gk_worker;

/* Allocates w->wg when cfg.wg is set. 0 or -errno. */
int gk_worker_wg_init(struct gk_worker *w);
void gk_worker_wg_fini(struct gk_worker *w);

/* Decrypts wg[0..n); every packet joins stage[] (room: n more). */
uint16_t gk_worker_wg_rx(struct gk_worker *w, struct gk_pkt **stage,
			 uint16_t nt, struct gk_pkt **wg, uint16_t n);

/* Seals the packets of p[0..n) that AllowedIPs route into the tunnel. */
void gk_worker_wg_tx(struct gk_worker *w, struct gk_pkt **p, uint16_t n);

#endif
