/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * genkand's NAPT44 side (issue #4, docs/napt.md): per-worker instances
 * built from [nat] at start, worker handoff rings, control mailboxes, the
 * exhaustion log line and the optional event log, and the "nat" ctl
 * command. Nothing here runs, and nothing is allocated, without [nat].
 */
#ifndef GK_NAT_CTL_H
#define GK_NAT_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct gk_daemon;
struct gk_worker_cfg;

/* After the MAP-E table, before the workers. 0 or -errno with @err. */
int gk_nat_start(struct gk_daemon *d, char *err, size_t errlen);
/* Fills wc's NAPT fields for worker @w (nothing when NAT is off). */
void gk_nat_worker_cfg(struct gk_daemon *d, unsigned w,
		       struct gk_worker_cfg *wc);
/*
 * genkand tick: event log, rate-limited exhaustion line. True when it
 * wrote events from the workers' rings (more may follow).
 */
bool gk_nat_tick(struct gk_daemon *d);
/* After the workers are joined. Idempotent. */
void gk_nat_stop(struct gk_daemon *d);

/* ctl "nat": args.op = sessions | stats | mappings | map-add | map-del. */
int gk_nat_cmd(void *arg, json_t *args, json_t **result, char *err,
	       size_t errlen);

#endif
