/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard in the worker loop (issue #5), kept out of worker.c:
 *  - rx: WG_DATA packets -> gk_wg_decrypt_burst; the inner packets join
 *    the L3 list as TRANSIT.
 *  - tx: TRANSIT packets whose destination is in some peer's AllowedIPs
 *    get their TTL/hop limit decremented here (they are forwarded into
 *    the tunnel, RFC 1812 §5.3.1) and are sealed in place by
 *    gk_wg_encrypt_burst; the outer packet (GK_META_F_ORIGIN) stays in
 *    the L3 list and l3fwd routes it. Packets for a peer without a
 *    usable keypair are copied into the worker's stage (wg_pending.h) and
 *    sealed by gk_worker_wg_flush once genkand publishes one.
 * Everything here runs only when genkand published a WireGuard snapshot:
 * worker.c checks one pointer (w->wgp) per pass otherwise.
 *
 * Replay windows have one writer. RSS, not genkan, picks the queue (and so
 * the worker) a data packet arrives on, and XDP cannot move a frame to
 * another queue's socket. So each keypair has an owner worker,
 * gk_wg_index_hash(receiver index) % nr_workers, and a worker that gets
 * another's packet copies it into the (from, to) SPSC ring; the owner
 * takes it in on its next pass over the WireGuard port, as if received
 * there. One copy per misdirected packet; a peer's 4-tuple normally hashes
 * to one queue, so only that peer's share on the "wrong" queue pays it.
 */
#ifndef GK_WORKER_WG_H
#define GK_WORKER_WG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"

struct gk_worker;
struct gk_port;

/* One handed-off frame; frames above GK_WG_HANDOFF_FRAME are dropped. */
#define GK_WG_HANDOFF_ELEM	2048
#define GK_WG_HANDOFF_FRAME	(GK_WG_HANDOFF_ELEM - 4 - sizeof(struct gk_xdp_meta))
/*
 * Slots per (from, to) ring. Deep enough to ride out an owner that is
 * descheduled for a few ms at 100+ kpps of misdirected data; bounded so
 * that the rings into one worker hold at most GK_WG_HANDOFF_IN_SLOTS
 * frames (4 MiB), whatever the worker count.
 */
#define GK_WG_HANDOFF_RING_MIN	256
#define GK_WG_HANDOFF_RING_MAX	1024
#define GK_WG_HANDOFF_IN_SLOTS	2048

static inline unsigned int gk_wg_handoff_ring_slots(unsigned int nr_workers)
{
	unsigned int s = GK_WG_HANDOFF_RING_MAX;

	while (s > GK_WG_HANDOFF_RING_MIN &&
	       (unsigned long)s * (nr_workers - 1) > GK_WG_HANDOFF_IN_SLOTS)
		s >>= 1;
	return s;
}
/* Per pass on the WireGuard port, ahead of its rx burst (a share of it). */
#define GK_WG_HANDIN_BURST	(GK_BURST / 2)

struct gk_wg_handoff {
	uint32_t len;
	struct gk_xdp_meta meta;
	uint8_t data[GK_WG_HANDOFF_FRAME];
};

/*
 * An owner's wake-up: nothing polls the rings, so before it sleeps in
 * poll(2) an owner sets asleep, re-checks its rings and adds efd to the
 * poll set; a worker that handed it frames writes efd if asleep is set.
 * Both sides order their ring access and the flag with a seq_cst fence
 * (store flag, fence, load rings / store ring, fence, load flag), so one
 * of them sees the other's store: no lost wake-up. One per worker, in
 * its own cache line (senders read it on every burst that handed off).
 */
struct gk_wg_wake {
	_Atomic unsigned int asleep;
	int efd;			/* nonblocking eventfd */
} __attribute__((aligned(64)));

/* Ring (from, to) in cfg.wg_rings[from * nr_workers + to]. */
static inline unsigned int gk_wg_ring_idx(unsigned int from, unsigned int to,
					  unsigned int nr)
{
	return from * nr + to;
}

/* Allocates w->wg when cfg.wg is set. 0 or -errno. */
int gk_worker_wg_init(struct gk_worker *w);
void gk_worker_wg_fini(struct gk_worker *w);

/* Frames wait in a hand-in ring of ours (the idle loop must not sleep). */
bool gk_worker_wg_handin_pending(struct gk_worker *w);

/*
 * Owner, before poll(2) on cfg.wg_wake[id].efd: publishes asleep; false
 * (and asleep cleared) when a ring holds frames: do not sleep then.
 */
bool gk_worker_wg_sleep(struct gk_worker *w);
/* Owner, after poll(2): senders stop writing efd. */
void gk_worker_wg_awake(struct gk_worker *w);

/*
 * Sender, after committing to k's rings and a seq_cst fence: writes k's
 * eventfd when k sleeps, at most once per sleep (the flag is taken).
 * 1 written, 0 not asleep, -errno when the write failed.
 */
int gk_wg_wake_poke(struct gk_wg_wake *k);

/* Decrypts wg[0..n); every packet joins stage[] (room: n more). */
uint16_t gk_worker_wg_rx(struct gk_worker *w, struct gk_pkt **stage,
			 uint16_t nt, struct gk_pkt **wg, uint16_t n);

/*
 * Takes in up to room frames other workers handed to us; frames without
 * a buffer now stay in their ring for the next pass.
 */
uint16_t gk_worker_wg_handin(struct gk_worker *w, struct gk_port *in,
			     struct gk_pkt **pkts, uint16_t room);

/*
 * Behind a MAP-E CE: the GK_V_NONE IPv4 packets of tun[0..m) (sealed
 * outer packets, or handshakes genkand injects) go through the CE encap
 * toward the BR; those it cannot send are dropped and counted.
 */
void gk_worker_wg_ce_encap(struct gk_worker *w, struct gk_pkt **tun,
			   uint16_t m);

/*
 * Packets staged for a handshake (wg_pending.h) whose peer now has a usable
 * keypair in w->wgp: up to room of them, each peer's in order, copied into
 * fresh buffers of this worker's pool and sealed (TTL not touched again).
 * *in: the port whose pool they came from. Also drops what expired or
 * whose peer left. Returns how many are in pkts[].
 */
uint16_t gk_worker_wg_flush(struct gk_worker *w, struct gk_port **in,
			    struct gk_pkt **pkts, uint16_t room);

/*
 * Seals the packets of p[0..n) that AllowedIPs route into the tunnel;
 * those whose peer cannot send yet are staged (wg_pending.h), and genkand
 * is asked for a handshake.
 */
void gk_worker_wg_tx(struct gk_worker *w, struct gk_pkt **p, uint16_t n);

#endif
