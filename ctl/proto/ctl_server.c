// SPDX-License-Identifier: BSD-3-Clause
/*
 * Non-blocking ctl server. Every client has its own read and write buffer
 * and a small state machine (header -> payload -> reply), so one slow or
 * hostile client can neither block the daemon nor starve the others. Any
 * framing error is answered (when the header was readable) and the
 * connection closed, since the byte stream can no longer be trusted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "gk_config.h"
#include "ctl_proto.h"
#include "ctl_server.h"

#define TAG_LISTEN	0
#define TAG_TIMER	1
#define TAG_CLIENT	2	/* + client slot */
#define MAX_EVENTS	64
#define ACCEPT_BUDGET	64

enum client_state { ST_FREE, ST_HDR, ST_BODY, ST_REPLY };

struct client {
	int fd;
	enum client_state state;
	struct gk_ctl_hdr hdr;
	size_t got;		/* bytes of header or payload read so far */
	char *in;
	char *out;
	size_t out_len, out_off;
	bool close_after;	/* framing error: drop once the reply is out */
	uint64_t last_ms;	/* last progress, for the idle timeout */
};

struct gk_ctl_server {
	int epfd, lfd, tfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
	const struct gk_ctl_cmd *cmds;
	size_t nr_cmds;
	void *arg;
	unsigned idle_ms;
	unsigned nr_clients;
	struct client clients[GK_CTL_MAX_CLIENTS];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int builtin_help(void *arg, json_t *args, json_t **result, char *err,
			size_t errlen);
static int builtin_version(void *arg, json_t *args, json_t **result,
			   char *err, size_t errlen);

static const struct gk_ctl_cmd builtins[] = {
	{ "help", builtin_help, "list the commands this daemon understands" },
	{ "version", builtin_version, "protocol and program versions" },
};

#define NR_BUILTINS (sizeof(builtins) / sizeof(builtins[0]))

static const struct gk_ctl_cmd *find_cmd(const struct gk_ctl_server *s,
					 const char *name)
{
	size_t i;

	for (i = 0; i < s->nr_cmds; i++)
		if (s->cmds[i].name && !strcmp(s->cmds[i].name, name))
			return &s->cmds[i];
	for (i = 0; i < NR_BUILTINS; i++)
		if (!strcmp(builtins[i].name, name))
			return &builtins[i];
	return NULL;
}

static int add_help(json_t *list, const struct gk_ctl_cmd *c)
{
	return json_array_append_new(list, json_pack("{s:s, s:s}", "name",
						     c->name, "help",
						     c->help ? c->help : ""));
}

static int builtin_help(void *arg, json_t *args, json_t **result, char *err,
			size_t errlen)
{
	const struct gk_ctl_server *s = arg;
	json_t *list = json_array();
	size_t i;

	if (!list)
		return -ENOMEM;
	for (i = 0; i < s->nr_cmds; i++)
		if (s->cmds[i].name && add_help(list, &s->cmds[i]))
			goto err_list;
	for (i = 0; i < NR_BUILTINS; i++)
		if (find_cmd(s, builtins[i].name) == &builtins[i] &&
		    add_help(list, &builtins[i]))
			goto err_list;
	*result = json_pack("{s:o}", "commands", list);
	return *result ? 0 : -ENOMEM;

err_list:
	json_decref(list);
	return -ENOMEM;
}

static int builtin_version(void *arg, json_t *args, json_t **result,
			   char *err, size_t errlen)
{
	*result = json_pack("{s:i, s:s, s:s}", "protocol", GK_CTL_VERSION,
			    "version", GK_VERSION, "program", "genkand");
	return *result ? 0 : -ENOMEM;
}

/* The idle timer only runs while someone is connected, so an idle
 * daemon is not woken up for nothing. */
static int arm_timer(struct gk_ctl_server *s, bool on)
{
	unsigned period = s->idle_ms / 2 ? s->idle_ms / 2 : 1;
	struct itimerspec its = { 0 };

	if (period > 1000)
		period = 1000;
	if (on) {
		its.it_interval.tv_sec = period / 1000;
		its.it_interval.tv_nsec = (long)(period % 1000) * 1000000;
		its.it_value = its.it_interval;
	}
	return timerfd_settime(s->tfd, 0, &its, NULL) ? -errno : 0;
}

static void client_close(struct gk_ctl_server *s, struct client *c)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->state = ST_FREE;
	if (--s->nr_clients == 0)
		arm_timer(s, false);
}

static void client_reset(struct client *c)
{
	free(c->in);
	free(c->out);
	c->in = NULL;
	c->out = NULL;
	c->out_len = c->out_off = 0;
	c->got = 0;
	c->state = ST_HDR;
}

static int watch(struct gk_ctl_server *s, struct client *c, uint32_t events)
{
	struct epoll_event ev = {
		.events = events,
		.data.u64 = TAG_CLIENT + (uint64_t)(c - s->clients),
	};

	return epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Returns false when the client was closed. */
static bool flush_reply(struct gk_ctl_server *s, struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (watch(s, c, EPOLLOUT)) {
				client_close(s, c);
				return false;
			}
			return true;
		}
		if (n <= 0) {
			client_close(s, c);
			return false;
		}
		c->out_off += (size_t)n;
		c->last_ms = now_ms();
	}
	if (c->close_after) {
		client_close(s, c);
		return false;
	}
	client_reset(c);
	if (watch(s, c, EPOLLIN)) {
		client_close(s, c);
		return false;
	}
	return true;
}

/* Queues @reply (consumed) for @c and starts writing it. */
static bool send_reply(struct gk_ctl_server *s, struct client *c,
		       json_t *reply, uint32_t seq)
{
	int ret;

	if (!reply) {
		client_close(s, c);
		return false;
	}
	ret = gk_ctl_encode(reply, seq, GK_CTL_MAX_RESP, &c->out, &c->out_len);
	json_decref(reply);
	if (ret == -EMSGSIZE) {
		char msg[96];

		snprintf(msg, sizeof(msg), "response exceeds the %u byte limit",
			 GK_CTL_MAX_RESP);
		reply = gk_ctl_reply_err(EMSGSIZE, msg);
		ret = reply ? gk_ctl_encode(reply, seq, GK_CTL_MAX_RESP,
					    &c->out, &c->out_len) : -ENOMEM;
		json_decref(reply);
	}
	if (ret) {
		client_close(s, c);
		return false;
	}
	c->out_off = 0;
	c->state = ST_REPLY;
	return flush_reply(s, c);
}

static bool send_error(struct gk_ctl_server *s, struct client *c, int errnum,
		       const char *msg, bool fatal)
{
	c->close_after = fatal;
	return send_reply(s, c, gk_ctl_reply_err(errnum, msg), c->hdr.seq);
}

static bool handle_request(struct gk_ctl_server *s, struct client *c)
{
	const struct gk_ctl_cmd *cmd;
	json_t *root, *args, *result = NULL, *empty = NULL;
	const char *name;
	char err[256] = "";
	int ret;

	ret = gk_ctl_request_parse(c->in, c->hdr.len, &root, &name, &args, err,
				   sizeof(err));
	if (ret)
		return send_error(s, c, -ret, err, false);

	cmd = find_cmd(s, name);
	if (!cmd || !cmd->fn) {
		snprintf(err, sizeof(err), "unknown command '%.64s' (try 'help')",
			 name);
		json_decref(root);
		return send_error(s, c, EOPNOTSUPP, err, false);
	}
	if (!args)
		args = empty = json_object();

	if (cmd >= builtins && cmd < builtins + NR_BUILTINS)
		ret = cmd->fn(s, args, &result, err, sizeof(err));
	else
		ret = cmd->fn(s->arg, args, &result, err, sizeof(err));
	json_decref(empty);
	json_decref(root);

	if (ret) {
		json_decref(result);
		err[sizeof(err) - 1] = '\0';
		return send_error(s, c, ret < 0 ? -ret : EIO, err, false);
	}
	if (result && !json_is_object(result)) {
		json_decref(result);
		return send_error(s, c, EIO, "handler returned a non-object result",
				  false);
	}
	return send_reply(s, c, gk_ctl_reply_ok(result), c->hdr.seq);
}

static void client_read(struct gk_ctl_server *s, struct client *c)
{
	for (;;) {
		char *dst;
		size_t want;
		ssize_t n;

		if (c->state == ST_HDR) {
			dst = (char *)&c->hdr + c->got;
			want = sizeof(c->hdr) - c->got;
		} else if (c->state == ST_BODY) {
			dst = c->in + c->got;
			want = c->hdr.len - c->got;
		} else {
			return;
		}

		n = recv(c->fd, dst, want, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* EOF or error: a half-sent request has no one to
			 * answer to, so just drop it. */
			client_close(s, c);
			return;
		}
		c->got += (size_t)n;
		c->last_ms = now_ms();
		if (c->got < sizeof(c->hdr) && c->state == ST_HDR)
			continue;

		if (c->state == ST_HDR) {
			char err[160];
			int ret = gk_ctl_hdr_check(&c->hdr, GK_CTL_MAX_REQ, err,
						   sizeof(err));

			if (ret) {
				send_error(s, c, -ret, err, true);
				return;
			}
			c->in = malloc(c->hdr.len ? c->hdr.len : 1);
			if (!c->in) {
				send_error(s, c, ENOMEM, "out of memory", true);
				return;
			}
			c->got = 0;
			c->state = ST_BODY;
		}
		if (c->got < c->hdr.len)
			continue;
		if (!handle_request(s, c))
			return;
		/* Reply still pending: wait for EPOLLOUT before reading on. */
		if (c->state != ST_HDR)
			return;
	}
}

static void reject_busy(int fd)
{
	char *buf;
	size_t len;
	json_t *r = gk_ctl_reply_err(EBUSY, "too many ctl clients, try again");

	/* Best effort: a fresh socket buffer always takes this small reply. */
	if (r && !gk_ctl_encode(r, 0, GK_CTL_MAX_RESP, &buf, &len)) {
		if (send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* nothing more to do for this client */
		}
		free(buf);
	}
	json_decref(r);
	close(fd);
}

static void do_accept(struct gk_ctl_server *s)
{
	unsigned budget;

	for (budget = 0; budget < ACCEPT_BUDGET; budget++) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct client *c = NULL;
		unsigned i;
		int fd;

		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		for (i = 0; i < GK_CTL_MAX_CLIENTS; i++) {
			if (s->clients[i].state == ST_FREE) {
				c = &s->clients[i];
				break;
			}
		}
		if (!c) {
			reject_busy(fd);
			continue;
		}
		ev.data.u64 = TAG_CLIENT + i;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->state = ST_HDR;
		c->last_ms = now_ms();
		/* Without a timer an idle client could sit forever: refuse. */
		if (s->nr_clients++ == 0 && arm_timer(s, true)) {
			client_close(s, c);
			continue;
		}
	}
}

static void expire_clients(struct gk_ctl_server *s)
{
	uint64_t now = now_ms(), buf;
	unsigned i;

	if (read(s->tfd, &buf, sizeof(buf)) < 0) {
		/* spurious wakeup: still worth a scan */
	}
	for (i = 0; i < GK_CTL_MAX_CLIENTS; i++) {
		struct client *c = &s->clients[i];

		if (c->state != ST_FREE && now - c->last_ms >= s->idle_ms)
			client_close(s, c);
	}
}

void gk_ctl_server_dispatch(struct gk_ctl_server *s)
{
	struct epoll_event evs[MAX_EVENTS];
	int n, i;

	n = epoll_wait(s->epfd, evs, MAX_EVENTS, 0);
	for (i = 0; i < n; i++) {
		uint64_t tag = evs[i].data.u64;
		struct client *c;

		if (tag == TAG_LISTEN) {
			do_accept(s);
			continue;
		}
		if (tag == TAG_TIMER) {
			expire_clients(s);
			continue;
		}
		c = &s->clients[tag - TAG_CLIENT];
		/* The slot may have been closed (or even reused) by an
		 * earlier event of this batch; the state machine copes. */
		if (c->state == ST_FREE)
			continue;
		if (c->state == ST_REPLY) {
			if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
				flush_reply(s, c);
			continue;
		}
		client_read(s, c);
	}
}

int gk_ctl_server_fd(const struct gk_ctl_server *s)
{
	return s->epfd;
}

unsigned gk_ctl_server_nr_clients(const struct gk_ctl_server *s)
{
	return s->nr_clients;
}

int gk_ctl_server_set_idle_ms(struct gk_ctl_server *s, unsigned ms)
{
	if (ms == 0)
		return -EINVAL;
	s->idle_ms = ms;
	return arm_timer(s, s->nr_clients > 0);
}

static int mkdir_parents(char *path, char *err, size_t errlen)
{
	char *slash;

	for (slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) && errno != EEXIST) {
			int ret = -errno;

			snprintf(err, errlen, "cannot create %s: %s", path,
				 strerror(-ret));
			*slash = '/';
			return ret;
		}
		*slash = '/';
	}
	return 0;
}

/* Removes a stale socket, refuses to touch a live one or a non-socket. */
static int claim_path(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -EEXIST;
	}

	/* Non-blocking: a live daemon with a full backlog says EAGAIN
	 * instead of stalling our start. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-ret));
		return ret;
	}
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
	    errno == EAGAIN || errno == EINPROGRESS) {
		close(fd);
		snprintf(err, errlen,
			 "another daemon is listening on %s", path);
		return -EADDRINUSE;
	}
	ret = -errno;
	close(fd);
	if (ret != -ECONNREFUSED) {
		snprintf(err, errlen, "cannot probe %s: %s", path,
			 strerror(-ret));
		return ret;
	}
	if (unlink(path) && errno != ENOENT) {
		ret = -errno;
		snprintf(err, errlen, "cannot remove stale socket %s: %s",
			 path, strerror(-ret));
		return ret;
	}
	return 0;
}

struct gk_ctl_server *gk_ctl_server_open(const char *path,
					 const struct gk_ctl_cmd *cmds,
					 size_t nr_cmds, void *arg, char *err,
					 size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	struct gk_ctl_server *s;
	struct stat st;
	char tmp[sizeof(sa.sun_path)];
	mode_t old_umask;
	unsigned i;
	int ret;

	if (!path || path[0] != '/' || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path must be absolute and shorter than %zu bytes",
			 sizeof(sa.sun_path));
		errno = EINVAL;
		return NULL;
	}

	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	s->lfd = s->tfd = -1;
	strcpy(s->path, path);
	s->cmds = cmds;
	s->nr_cmds = nr_cmds;
	s->arg = arg;
	for (i = 0; i < GK_CTL_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;

	strcpy(tmp, path);
	ret = mkdir_parents(tmp, err, errlen);
	if (ret)
		goto err_free;
	ret = claim_path(path, err, errlen);
	if (ret)
		goto err_free;

	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-ret));
		goto err_free;
	}
	strcpy(sa.sun_path, path);
	/* The socket must never exist with a looser mode, not even briefly. */
	old_umask = umask(077);
	ret = bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old_umask);
	if (ret) {
		snprintf(err, errlen, "bind %s: %s", path, strerror(-ret));
		goto err_lfd;
	}
	if (chmod(path, 0660) || lstat(path, &st)) {
		ret = -errno;
		snprintf(err, errlen, "chmod %s: %s", path, strerror(-ret));
		goto err_unlink;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (listen(s->lfd, 64)) {
		ret = -errno;
		snprintf(err, errlen, "listen: %s", strerror(-ret));
		goto err_unlink;
	}

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "epoll_create1: %s", strerror(-ret));
		goto err_unlink;
	}
	ev.data.u64 = TAG_LISTEN;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev)) {
		ret = -errno;
		snprintf(err, errlen, "epoll_ctl: %s", strerror(-ret));
		goto err_epfd;
	}
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->tfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "timerfd_create: %s", strerror(-ret));
		goto err_epfd;
	}
	ev.data.u64 = TAG_TIMER;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->tfd, &ev)) {
		ret = -errno;
		snprintf(err, errlen, "epoll_ctl: %s", strerror(-ret));
		goto err_tfd;
	}
	ret = gk_ctl_server_set_idle_ms(s, GK_CTL_IDLE_MS);
	if (ret) {
		snprintf(err, errlen, "timerfd_settime: %s", strerror(-ret));
		goto err_tfd;
	}
	return s;

err_tfd:
	close(s->tfd);
err_epfd:
	close(s->epfd);
err_unlink:
	unlink(path);
err_lfd:
	close(s->lfd);
err_free:
	free(s);
	errno = -ret;
	return NULL;
}

void gk_ctl_server_close(struct gk_ctl_server *s)
{
	struct stat st;
	unsigned i;

	if (!s)
		return;
	for (i = 0; i < GK_CTL_MAX_CLIENTS; i++)
		if (s->clients[i].state != ST_FREE)
			client_close(s, &s->clients[i]);
	close(s->tfd);
	close(s->epfd);
	close(s->lfd);
	/* A successor may already own the path; only remove our own inode. */
	if (!lstat(s->path, &st) && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	free(s);
}
