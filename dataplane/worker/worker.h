/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Poll-mode worker: one thread, pinned, owning one (device, queue) port per
 * genkan port. Each pass receives a burst per port, checks the classifier
 * metadata, runs the MAP-E CE/BR stage on MAPE_CE/MAPE_BR packets, the L3
 * stage on TRANSIT (and TTL-expired) packets and on what MAP-E left
 * undecided, turns TTL and too-big drops into ICMP errors, transmits per
 * egress port, flushes, and announces a QSBR quiescent state. Counters are
 * written by the worker only; genkand reads them racily (aligned 64-bit,
 * never torn).
 *
 * All ports of a worker must share one buffer pool (one AF_XDP UMEM or one
 * memory pool): a packet received on one is transmitted on another as is.
 */
#ifndef GK_WORKER_H
#define GK_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <genkan/bpf_maps.h>
#include "icmp_err.h"
#include "l3fwd.h"
#include "map_table.h"
#include "wg_aead.h"
#include "port.h"
#include "wkstats.h"
#include "worker_wgce.h"

struct gk_tables;
struct gk_stage;
struct gk_l4_table;
struct gk_l4_ctx;

#define GK_WORKER_STAGES	16	/* registry entries at most */
struct gk_cls_tables;
struct gk_nreq_ring;
struct gk_nreq_wake;
struct gk_map_table;
struct gk_napt;
struct gk_napt_cfg;
struct gk_handoff;
struct gk_handoff_pkt;
struct gk_mbox;
struct gk_wg_peers;
struct gk_wg_evring;
struct gk_wg_ctx;
struct gk_wg_handoff;
struct gk_wg_wake;
struct gk_wg_pending;
struct gk_spsc;

struct gk_worker_cfg {
	unsigned int id;
	int cpu;			/* -1: no pinning */
	/* index = port_id; NULL = none. Every non-NULL slot is polled. */
	struct gk_port *ports[GK_MAX_PORTS];
	unsigned int nr_ports;		/* non-NULL slots, informational */
	struct gk_tables **tables;	/* RCU-published slot; may hold NULL */
	/*
	 * The classifier's tables for the software twin, read for ports in
	 * hand-off mode parse (RCU slot; NULL or holding NULL: nothing
	 * local, no MAP-E, no WireGuard).
	 */
	struct gk_cls_tables **cls;
	struct gk_nreq_ring *nreq;	/* neighbor requests; may be NULL */
	struct gk_nreq_wake *nreq_wake;	/* wakes an idle genkand; may be NULL */
	uint32_t icmp_rate;		/* ICMP errors/s; 0 = send none */
	/*
	 * Adaptive polling: after this many microseconds without a packet
	 * the thread sleeps in poll(2) on its sockets (woken by the first
	 * packet) instead of spinning. 0 = always busy-poll.
	 */
	uint32_t idle_sleep_us;
	/* The longest nap of an idle worker, ms (heartbeat_ms); 0: 10 ms. */
	uint32_t idle_max_ms;
	/*
	 * Frames held per unresolved next hop while the kernel resolves it
	 * (worker_nhold.c, neigh_hold.h; GK_NHOLD_MAX per worker, 1 s at
	 * most); 0: none, such frames drop no_neigh.
	 */
	uint8_t neigh_hold;
	struct gk_map_table **map;	/* RCU slot, may be NULL */
	unsigned map_nr_rules;		/* per-domain counters: this + 1 */
	/*
	 * NAPT44 on the MAP-E CE (worker_nat.c, docs/napt.md); all NULL when
	 * [nat] is off. napt: this worker's instance (written by this thread
	 * only); handoff: rings shared by the nr_workers workers; mbox:
	 * genkand's control requests, polled once per pass.
	 */
	struct gk_napt *napt;
	const struct gk_napt_cfg *napt_cfg;	/* napt's config (steering) */
	struct gk_handoff *handoff;
	struct gk_mbox *mbox;
	unsigned nr_workers;
	/* WireGuard (worker_wg.h): RCU slot, NULL when not configured. */
	struct gk_wg_peers **wg;
	struct gk_wg_evring *wg_events;	/* this worker -> genkand */
	uint32_t wg_max_peers;		/* per-peer counter slots */
	enum gk_aead_impl wg_aead;
	/* nr x nr handoff rings (worker_wg.h); NULL with one worker. */
	struct gk_spsc **wg_rings;
	/* [wg_nr_workers], with wg_rings: wakes an owner the rings filled. */
	struct gk_wg_wake *wg_wake;
	unsigned int wg_nr_workers;
	uint16_t wg_port_id;		/* the port WireGuard data arrives on */
	uint32_t wg_mtu;		/* tunnel MTU: staged frame size; 0: 1420 */
	/* nr x nr rings of return-path flows (struct gk_wg_rpath_msg,
	 * wg_rpath.h) when a peer has return_path = flow; else NULL. */
	struct gk_spsc **wg_rpath_rings;
	/*
	 * Behind a MAP-E CE (worker_wgce.h); wg_ce_port 0 when not. The
	 * ListenPort (host order); punt: this worker -> genkand, with
	 * punt_efd written once per burst that punted; inject: genkand ->
	 * this worker (one worker only, NULL on the others), inject_efd
	 * written by genkand after each push (in the idle poll set; > 0 when
	 * used, like punt_efd).
	 */
	uint16_t wg_ce_port;
	struct gk_spsc *wg_punt;
	int wg_punt_efd;
	struct gk_spsc *wg_inject;
	int wg_inject_efd;
	/*
	 * The front door (stage/l4, worker_l4.c): RCU slot of genkand's
	 * service table, NULL when no [l4-service]; this worker's flow table
	 * size and how many backends all services have (counter slots).
	 */
	struct gk_l4_table **l4;
	uint32_t l4_max_flows;
	uint32_t l4_nr_be;
	/*
	 * client_ip = snat (l4_snat.h): worker id of l4_nr_workers owns the
	 * pool ports p with p % l4_nr_workers == id; a reply to another's
	 * port goes to its ring in l4_handoff (needed with more than one
	 * worker), and l4_wake[owner] wakes the owner if it sleeps.
	 */
	uint32_t l4_nr_workers;
	struct gk_handoff *l4_handoff;
	struct gk_wg_wake *l4_wake;
};

/* Handoff counters (worker_nat.c), written by the worker only. */
struct gk_wnat_stats {
	uint64_t handed_over;		/* sent to the owning worker */
	uint64_t handoff_full;		/* dropped: ring full or frame too big */
	uint64_t taken_over;		/* received from another worker */
	uint64_t handoff_nobuf;		/* dropped: no buffer to re-inject */
};

struct gk_worker {
	struct gk_worker_cfg cfg;
	struct gk_wk_stats stats;
	struct gk_wnat_stats nat;
	/* CLOCK_MONOTONIC of a recent pass, refreshed every 64 passes. */
	_Atomic uint64_t heartbeat_ns;
	_Atomic int stop;
	pthread_t thread;
	bool started;

	/* Below: worker-private. */
	/*
	 * The stages this worker runs (stage.h; on() said yes, init done),
	 * in registry order, and per hook the ones that have it.
	 */
	const struct gk_stage *stages[GK_WORKER_STAGES];
	unsigned int nr_stages;
	const struct gk_stage *has_begin[GK_WORKER_STAGES], *has_pass[GK_WORKER_STAGES],
		*has_end[GK_WORKER_STAGES], *has_handin[GK_WORKER_STAGES],
		*has_rxs[GK_WORKER_STAGES], *has_tx[GK_WORKER_STAGES],
		*has_idle[GK_WORKER_STAGES], *has_icmp[GK_WORKER_STAGES],
		*has_held[GK_WORKER_STAGES];
	unsigned int nr_begin, nr_pass, nr_end, nr_handin, nr_rxs, nr_tx,
		nr_idle, nr_icmp, nr_held;
	uint32_t rx_classes;		/* classes some stage takes */
	struct gk_l3fwd_ctx l3;
	struct gk_icmp_err_ctx icmp;
	/* Held frames (l3.hold): the FIB last searched for their neighbours. */
	const struct gk_fib *nhold_fib;
	uint64_t nhold_scan_ns;
	/*
	 * MAP-E: dom points at map_nr_rules + 1 counters (the last for
	 * packets no rule matched), or NULL without cfg.map.
	 */
	struct gk_mape_ctx mape;
	/* WireGuard: ctx made when cfg.wg is set; wgp is this pass's snapshot. */
	struct gk_wg_ctx *wg;
	const struct gk_wg_peers *wgp;
	bool wg_handin;			/* other workers may hand us data */
	uint64_t wg_handoff_out, wg_handoff_in, wg_handoff_drops;
	/* owners' eventfds written; our sleeps they ended; failed r/w */
	uint64_t wg_wake_sent, wg_woken, wg_wake_fail;
	struct gk_wg_pending *wg_pending;	/* packets waiting for a handshake */
	struct gk_l4_ctx *l4;			/* front door flows and counters */
	const struct gk_l4_table *l4t;		/* this pass's service table */
	struct gk_handoff_pkt *l4_hbuf;		/* [GK_BURST] snat hand-in pops */
	struct gk_wgce_stats wgce;		/* behind a MAP-E CE */
	struct gk_wg_ctlmsg *wgce_scratch;	/* [GK_BURST] inject pops */
	struct gk_port *rx[GK_MAX_PORTS]; /* the non-NULL slots, compacted */
	unsigned int nr_rx;
	uint64_t now_ns;
	uint32_t nat_ext;		/* NAPT shared address, host order */
	struct gk_handoff_pkt *hbuf;	/* GK_BURST handoff copies, or NULL */
	/* Per-pass TX buckets, one per egress port. */
	uint16_t txn[GK_MAX_PORTS];
	struct gk_pkt *txb[GK_MAX_PORTS][GK_BURST];
} __gk_aligned;

/*
 * Copies cfg and allocates the MAP-E domain counters when cfg->map is
 * set; no thread yet. 0, -EINVAL or -ENOMEM. Undo with gk_worker_fini().
 */
int gk_worker_init(struct gk_worker *w, const struct gk_worker_cfg *cfg);
/* Frees what gk_worker_init() allocated; stop the thread first. Idempotent. */
void gk_worker_fini(struct gk_worker *w);
/* Thread: pin, rcu_register_thread (urcu-qsbr), poll until stopped. 0 or -errno. */
int gk_worker_start(struct gk_worker *w);
/* Sets stop and joins; the thread unregisters from RCU itself. Idempotent. */
void gk_worker_stop(struct gk_worker *w);
/*
 * One pass over every port. The caller must be a registered QSBR reader
 * holding no RCU references: the pass ends with rcu_quiescent_state().
 * Returns packets received.
 */
unsigned int gk_worker_poll(struct gk_worker *w);
/*
 * Frames the stages hold now; also stored as the accounting's held gauge
 * (stats.acct[GK_WK_ACCT_HELD]), which each pass refreshes. Worker thread
 * (or a stopped worker).
 */
uint64_t gk_worker_held(struct gk_worker *w);

/* Outbound NAPT owner: hash(inside src addr, src port/id, proto) % nr. */
unsigned gk_worker_nat_out_owner(const struct gk_pkt *p, unsigned nr);

#endif
