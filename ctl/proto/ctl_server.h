/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl server: the daemon side of the control socket. Single threaded and
 * never blocking: the daemon polls gk_ctl_server_fd() in its own event loop
 * and calls gk_ctl_server_dispatch() when it is readable. Command handlers
 * run inside dispatch, on the daemon's thread.
 */
#ifndef GK_CTL_SERVER_H
#define GK_CTL_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * Slots for clients. One is always left free for a fresh connection: when
 * an accept takes the last one, the slowest other client is evicted at
 * once (the one waiting longest without a complete request; a client
 * being answered only when there is no other).
 */
#define GK_CTL_MAX_CLIENTS	32
#define GK_CTL_IDLE_MS		5000	/* no request started, or a reply not read */
#define GK_CTL_REQUEST_MS	2000	/* a request's first byte to its last */
#define GK_CTL_LOG_PERIOD_MS	10000	/* at most one log line per period */

/* Connections accepted, and closed by the server on its own by reason;
 * X(field, "json name"). */
#define GK_CTL_SRV_CNT_LIST(X)						\
	X(accepted, "accepted")						\
	X(evicted, "evicted")		/* the slowest, for a fresh one */ \
	X(idle_timeouts, "idle_timeouts")	/* no request in idle_ms */ \
	X(request_timeouts, "request_timeouts") /* incomplete after request_ms */ \
	X(reply_timeouts, "reply_timeouts")	/* reply unread for idle_ms */ \
	X(rejected, "rejected")		/* could not be watched (epoll) */

struct gk_ctl_server_stats {
#define X(f, n) uint64_t f;
	GK_CTL_SRV_CNT_LIST(X)
#undef X
};

struct gk_ctl_server;

/* One line about what the server closed on its own (no newline). */
typedef void (*gk_ctl_log_fn)(void *arg, const char *msg);

/*
 * @args is never NULL (an empty object when the request had none) and is
 * borrowed. Set *result to a new reference, or leave it NULL for {}.
 * Return 0, or -errno with a message in @err (strerror is used if empty).
 */
typedef int (*gk_ctl_fn)(void *arg, json_t *args, json_t **result, char *err,
			 size_t errlen);

struct gk_ctl_cmd {
	const char *name;
	gk_ctl_fn fn;
	const char *help;
};

/*
 * Creates the socket under umask 077 (parent directories 0755 if missing)
 * and then sets mode 0660. A stale socket (connect() refused) is removed;
 * a live one fails with -EADDRINUSE; a non-socket at @path with -EEXIST.
 * The directory that holds it must be writable by its owner alone, us or
 * root, else -EPERM with the directory named in @err.
 * @cmds must outlive the server. "help" and "version" are built in unless
 * @cmds defines them. Returns NULL with errno set and a message in @err.
 */
struct gk_ctl_server *gk_ctl_server_open(const char *path,
					 const struct gk_ctl_cmd *cmds,
					 size_t nr_cmds, void *arg, char *err,
					 size_t errlen);

/* One pollable fd (an internal epoll set) that covers the listener,
 * every client and the idle timer. */
int gk_ctl_server_fd(const struct gk_ctl_server *s);

/* Call when the fd is readable; handles what is ready, never blocks. */
void gk_ctl_server_dispatch(struct gk_ctl_server *s);

/* Changes the idle timeout (default GK_CTL_IDLE_MS): a client that starts
 * no request, or reads none of its pending reply, for @ms is closed.
 * 0 or -errno. */
int gk_ctl_server_set_idle_ms(struct gk_ctl_server *s, unsigned ms);

/* Changes the request deadline (default GK_CTL_REQUEST_MS): a request
 * must be complete @ms after its first byte, however it trickles in. */
int gk_ctl_server_set_request_ms(struct gk_ctl_server *s, unsigned ms);

/*
 * Evictions and timeouts are reported through @fn (NULL: not at all), at
 * most once per @period_ms (0: GK_CTL_LOG_PERIOD_MS): the first at once,
 * what follows within the period summed up when it ends. @fn runs inside
 * dispatch.
 */
void gk_ctl_server_set_log(struct gk_ctl_server *s, gk_ctl_log_fn fn,
			   void *arg, unsigned period_ms);

/* Counters since open (GK_CTL_SRV_CNT_LIST). */
void gk_ctl_server_stats(const struct gk_ctl_server *s,
			 struct gk_ctl_server_stats *st);

/* {"clients","max_clients","idle_ms","request_ms", and the counters of
 * GK_CTL_SRV_CNT_LIST}, a new reference (NULL when out of memory). */
json_t *gk_ctl_server_stats_json(const struct gk_ctl_server *s);

/* Number of connected clients, for tests and status output. */
unsigned gk_ctl_server_nr_clients(const struct gk_ctl_server *s);

/* Closes every client and unlinks the socket if it is still ours. */
void gk_ctl_server_close(struct gk_ctl_server *s);

#endif /* GK_CTL_SERVER_H */
