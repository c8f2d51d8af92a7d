/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus exposition ([metrics] listen, docs/metrics.md). libmicrohttpd
 * serves GET /metrics on its own thread; that thread never reads daemon
 * state. A scrape asks for a fresh text and waits (at most 1 s) while the
 * control thread renders it on its next tick, from the same counters as
 * the ctl `stats`, `map`, `wg show` and `l4 show` replies, and swaps it in
 * under a mutex. A control thread that is busy makes the scrape serve the
 * previous text (counted); it never makes the control thread wait.
 */
#ifndef GK_METRICS_H
#define GK_METRICS_H

#include <stdbool.h>
#include <stddef.h>

struct gk_daemon;
struct gk_metrics;

/* Binds [metrics] listen and starts the thread; 0 (also when off) or -errno. */
int gk_metrics_start(struct gk_daemon *d, char *err, size_t errlen);
/* Control thread, every tick: renders when a scrape is waiting (true). */
bool gk_metrics_tick(struct gk_daemon *d);
/* Stops the thread and frees everything; safe when never started. */
void gk_metrics_stop(struct gk_daemon *d);

/*
 * The exposition text of d now (control thread): a malloc'd NUL-terminated
 * string the caller frees, or NULL when memory ran out.
 */
char *gk_metrics_render(struct gk_daemon *d, size_t *len);

#endif
