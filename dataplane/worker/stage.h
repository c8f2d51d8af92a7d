/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's stage table. A feature is a folder under dataplane/stage/
 * (its packet work, which knows nothing of workers) plus one struct
 * gk_stage here in dataplane/worker/ (its wiring: which classes it takes,
 * its per-worker state, what it does once per pass, at rx and before
 * routing, and what it watches while the worker sleeps), registered by one
 * line in stages.c. The worker loop (worker.c) names no feature: it sorts
 * each rx burst by class into struct gk_rx_burst and calls the stages in
 * table order, one indirect call per stage per burst, never per packet.
 *
 * Hooks are optional (NULL). All run on the worker thread.
 */
#ifndef GK_WORKER_STAGE_H
#define GK_WORKER_STAGE_H

#include <stdbool.h>
#include <stdint.h>

#include <genkan/meta.h>
#include "pkt.h"

struct gk_worker;
struct gk_worker_cfg;
struct gk_port;

/* A burst plus what stages may create (fragments, NAPT twice per burst). */
#define GK_STAGE_LIST_MAX	(4 * GK_BURST)

/* One rx burst, sorted by class, on its way through the stages. */
struct gk_rx_burst {
	/* Packets of class c that a stage takes (rx hook), in rx order. */
	struct gk_pkt *bkt[GK_CLASS_MAX][GK_BURST];
	uint16_t n[GK_CLASS_MAX];
	/* For the L3 stage: TRANSIT, TTL_EXPIRED, and what stages left
	 * GK_V_NONE or dropped for TTL/size (so ICMP can answer). */
	struct gk_pkt **l3;
	uint16_t nl3;
	/* Set when the burst re-enters a stage mid-way (a cross-worker
	 * hand-off); stage-defined, 0 for a burst fresh from a port. */
	uint8_t resume;
};

struct gk_stage {
	const char *name;
	/* 1u << GK_CLASS_x for each class whose bucket rx takes. */
	uint32_t classes;
	/* Whether this worker runs the stage at all (NULL: always). */
	bool (*on)(const struct gk_worker_cfg *cfg);
	/* Per-worker state. 0 or -errno; fini also after a failed init. */
	int (*init)(struct gk_worker *w);
	void (*fini)(struct gk_worker *w);
	/* Start of a pass: take this pass's snapshots (RCU). */
	void (*begin)(struct gk_worker *w);
	/* Then, before the ports: work queued elsewhere (hand-off rings,
	 * genkand's injections, packets pending). Returns packets handled. */
	unsigned (*pass)(struct gk_worker *w);
	/* End of a pass, before the quiescent state: drop the snapshots. */
	void (*end)(struct gk_worker *w);
	/* Packets other workers handed to this one, taken ahead of port in's
	 * own rx, at most room. */
	uint16_t (*handin)(struct gk_worker *w, struct gk_port *in,
			   struct gk_pkt **pkts, uint16_t room);
	/* Its buckets of b, non-empty: consume them; what is to be routed
	 * goes to b->l3, what a later stage takes to that stage's bucket. */
	void (*rx)(struct gk_worker *w, struct gk_port *in,
		   struct gk_rx_burst *b);
	/* The packets about to be routed (e.g. sealing into a tunnel). */
	void (*tx)(struct gk_worker *w, struct gk_pkt **pkts, uint16_t n);
	/* ICMP errors the worker just built (verdict GK_V_TX) about packets
	 * the stages saw: a stage that rewrote the quoted packet puts back
	 * what the error's receiver knows (e.g. a DNAT's public address). */
	void (*icmp)(struct gk_worker *w, struct gk_pkt **pkts, uint16_t n);
	/* Idle sleep: an fd to poll as well (< 0: none); enter false: do
	 * not sleep now (work arrived); leave after, with the fd's readiness. */
	/* Frames it holds right now (copies kept for later: reassembly,
	 * hold queues), for the accounting's held term (wkstats.h). */
	unsigned (*held)(struct gk_worker *w);
	int (*idle_fd)(struct gk_worker *w);
	bool (*idle_enter)(struct gk_worker *w);
	void (*idle_leave)(struct gk_worker *w, bool ready);
};

/* The registry (stages.c), in the order the stages see a burst. */
extern const struct gk_stage *const gk_stages[];

/*
 * Route and transmit pkts (their stages done), freeing dropped[0..nd) on
 * in afterwards. errs: the worker's TTL + too-big drop count before the
 * stages ran, so ICMP errors are owed only for new ones.
 */
void gk_worker_route(struct gk_worker *w, struct gk_port *in,
		     struct gk_pkt **pkts, uint16_t n,
		     struct gk_pkt **dropped, uint16_t nd, uint64_t errs);
/*
 * gk_worker_route() without the stages' tx hooks, for packets they saw
 * already: a stage that kept packets after the L3 stage (e.g. frames held
 * for a neighbour) routes them again.
 */
void gk_worker_reroute(struct gk_worker *w, struct gk_port *in,
		       struct gk_pkt **pkts, uint16_t n);
/* The count gk_worker_route() compares against. */
uint64_t gk_worker_icmp_owed(const struct gk_worker *w);
/*
 * Packets that re-enter the stages mid-way (another worker handed them
 * over): bucket cls (< GK_CLASS_MAX), resume as b->resume, then as a
 * port's burst, GK_BURST at a time.
 */
void gk_worker_resume(struct gk_worker *w, struct gk_port *in, uint8_t cls,
		      struct gk_pkt **pkts, uint16_t n, uint8_t resume);

#endif
