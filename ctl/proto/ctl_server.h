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

#include <jansson.h>

#define GK_CTL_MAX_CLIENTS	32
#define GK_CTL_IDLE_MS		10000	/* a client making no progress is dropped */

struct gk_ctl_server;

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

/* Changes the idle timeout (default GK_CTL_IDLE_MS); 0 or -errno. */
int gk_ctl_server_set_idle_ms(struct gk_ctl_server *s, unsigned ms);

/* Number of connected clients, for tests and status output. */
unsigned gk_ctl_server_nr_clients(const struct gk_ctl_server *s);

/* Closes every client and unlinks the socket if it is still ours. */
void gk_ctl_server_close(struct gk_ctl_server *s);

#endif /* GK_CTL_SERVER_H */
