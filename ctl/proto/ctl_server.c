// SPDX-License-Identifier: BSD-3-Clause
/*
 * Non-blocking ctl server. Every client has its own read and write buffer
 * and a small state machine (header -> payload -> reply), so one slow or
 * hostile client can neither block the daemon nor starve the others. Any
 * framing error is answered (when the header was readable) and the
 * connection closed, since the byte stream can no longer be trusted.
 *
 * Slow clients cannot hold the slots either: a request has a deadline from
 * its first byte (trickling bytes buys no time), a connection that starts
 * none has an idle deadline, and a fresh connection always finds a free
 * slot, the slowest client making room for the next one.
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
/* Below GK_CTL_MAX_CLIENTS - 1: a caller accepted in one dispatch gets
 * its request read before a flood accepted after it could evict it. */
#define ACCEPT_BUDGET	16

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
	uint64_t wait_ms;	/* accepted or last reply out: idle since */
	uint64_t wait_seq;	/* the same as an order: lowest is evicted */
	uint64_t req_ms;	/* first byte of the current request */
	uint64_t last_ms;	/* last bytes of the reply written */
};

enum close_why {
	WHY_EVICTED,
	WHY_IDLE,
	WHY_REQUEST,
	WHY_REPLY,
	WHY_REJECTED,
	NR_WHY
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
	unsigned request_ms;
	unsigned nr_clients;
	uint64_t wait_seq;
	struct gk_ctl_server_stats st;
	gk_ctl_log_fn log_fn;
	void *log_arg;
	unsigned log_period_ms;
	uint64_t log_next_ms;		/* no line before this */
	uint64_t pend[NR_WHY];		/* closed since the last line */
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

/* A client waits for its next request from now; the oldest wait is the
 * first one evicted. */
static void wait_start(struct gk_ctl_server *s, struct client *c, uint64_t now)
{
	c->wait_ms = now;
	c->wait_seq = ++s->wait_seq;
	c->req_ms = 0;
}

/* When @c is closed unless it gets on, and the reason it then counts as. */
static uint64_t deadline(const struct gk_ctl_server *s, const struct client *c,
			 enum close_why *why)
{
	if (c->state == ST_REPLY) {
		*why = WHY_REPLY;
		return c->last_ms + s->idle_ms;
	}
	if (c->state == ST_BODY || c->got) {
		*why = WHY_REQUEST;
		return c->req_ms + s->request_ms;
	}
	*why = WHY_IDLE;
	return c->wait_ms + s->idle_ms;
}

/* One shot at the nearest deadline (or log flush); off when there is
 * none, so an idle daemon is not woken up for nothing. */
static int rearm(struct gk_ctl_server *s)
{
	struct itimerspec its = { 0 };
	uint64_t next = UINT64_MAX;
	enum close_why why;
	unsigned i;

	for (i = 0; i < GK_CTL_MAX_CLIENTS; i++) {
		uint64_t d;

		if (s->clients[i].state == ST_FREE)
			continue;
		d = deadline(s, &s->clients[i], &why);
		if (d < next)
			next = d;
	}
	if (s->log_fn)
		for (i = 0; i < NR_WHY; i++)
			if (s->pend[i] && s->log_next_ms < next)
				next = s->log_next_ms;
	if (next != UINT64_MAX) {
		if (!next)
			next = 1;	/* an all-zero it_value disarms */
		its.it_value.tv_sec = (time_t)(next / 1000);
		its.it_value.tv_nsec = (long)(next % 1000) * 1000000;
	}
	return timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL) ? -errno : 0;
}

static void count(struct gk_ctl_server *s, enum close_why why)
{
	switch (why) {
	case WHY_EVICTED:
		s->st.evicted++;
		break;
	case WHY_IDLE:
		s->st.idle_timeouts++;
		break;
	case WHY_REQUEST:
		s->st.request_timeouts++;
		break;
	case WHY_REPLY:
		s->st.reply_timeouts++;
		break;
	default:
		s->st.rejected++;
		break;
	}
	if (s->log_fn)
		s->pend[why]++;
}

/* One line for what was closed since the last one, once per period. */
static void flush_log(struct gk_ctl_server *s, uint64_t now)
{
	char msg[384];
	size_t len;
	unsigned i;
	bool any = false;

	for (i = 0; i < NR_WHY; i++)
		any |= s->pend[i] != 0;
	if (!any || !s->log_fn || now < s->log_next_ms)
		return;
	len = (size_t)snprintf(msg, sizeof(msg), "ctl socket: closed");
	for (i = 0; i < NR_WHY && len < sizeof(msg); i++) {
		unsigned long long n = s->pend[i];

		if (!n)
			continue;
		switch ((enum close_why)i) {
		case WHY_EVICTED:
			len += (size_t)snprintf(msg + len, sizeof(msg) - len,
				" %llu evicted (table full, the slowest first),",
				n);
			break;
		case WHY_IDLE:
			len += (size_t)snprintf(msg + len, sizeof(msg) - len,
				" %llu idle (no request within %u ms),", n,
				s->idle_ms);
			break;
		case WHY_REQUEST:
			len += (size_t)snprintf(msg + len, sizeof(msg) - len,
				" %llu slow (request not complete %u ms after its first byte),",
				n, s->request_ms);
			break;
		case WHY_REPLY:
			len += (size_t)snprintf(msg + len, sizeof(msg) - len,
				" %llu not reading their reply for %u ms,", n,
				s->idle_ms);
			break;
		default:
			len += (size_t)snprintf(msg + len, sizeof(msg) - len,
				" %llu refused (epoll),", n);
			break;
		}
	}
	if (len < sizeof(msg))
		msg[len - 1] = '\0';	/* the last comma */
	s->log_fn(s->log_arg, msg);
	memset(s->pend, 0, sizeof(s->pend));
	s->log_next_ms = now + s->log_period_ms;
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
	s->nr_clients--;
}

static void client_reset(struct gk_ctl_server *s, struct client *c)
{
	free(c->in);
	free(c->out);
	c->in = NULL;
	c->out = NULL;
	c->out_len = c->out_off = 0;
	c->got = 0;
	c->state = ST_HDR;
	wait_start(s, c, now_ms());
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
	client_reset(s, c);
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
	c->last_ms = now_ms();
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
		if (c->state == ST_HDR && c->got == 0)
			c->req_ms = now_ms();
		c->got += (size_t)n;
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

/* Best effort, before a close: a socket that never read anything always
 * takes this small reply (seq 0: no request of its own was answered). */
static void goodbye(int fd, int errnum, const char *why)
{
	char *buf;
	size_t len;
	json_t *r = gk_ctl_reply_err(errnum, why);

	if (r && !gk_ctl_encode(r, 0, GK_CTL_MAX_RESP, &buf, &len)) {
		if (send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* nothing more to do for this client */
		}
		free(buf);
	}
	json_decref(r);
}

/* Closes @c on the server's own initiative, telling it why when no reply
 * is half written. */
static void drop(struct gk_ctl_server *s, struct client *c,
		 enum close_why why)
{
	char msg[96];

	if (c->state != ST_REPLY) {
		if (why == WHY_EVICTED) {
			goodbye(c->fd, EBUSY,
				"too many ctl clients: evicted as the slowest, try again");
		} else if (why == WHY_REQUEST) {
			snprintf(msg, sizeof(msg),
				 "request not complete within %u ms", s->request_ms);
			goodbye(c->fd, ETIMEDOUT, msg);
		} else if (why == WHY_IDLE) {
			snprintf(msg, sizeof(msg), "no request within %u ms",
				 s->idle_ms);
			goodbye(c->fd, ETIMEDOUT, msg);
		}
	}
	count(s, why);
	client_close(s, c);
}

/* The client to evict: the one waiting longest for a complete request;
 * one being answered only when there is no other, the most stalled. */
static struct client *slowest(struct gk_ctl_server *s, const struct client *keep)
{
	struct client *best = NULL;
	unsigned i;

	for (i = 0; i < GK_CTL_MAX_CLIENTS; i++) {
		struct client *c = &s->clients[i];
		bool cr, br;

		if (c->state == ST_FREE || c == keep)
			continue;
		if (!best) {
			best = c;
			continue;
		}
		cr = c->state == ST_REPLY;
		br = best->state == ST_REPLY;
		if (cr != br) {
			if (!cr)
				best = c;
			continue;
		}
		if (cr ? c->last_ms < best->last_ms : c->wait_seq < best->wait_seq)
			best = c;
	}
	return best;
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
		s->st.accepted++;
		for (i = 0; i < GK_CTL_MAX_CLIENTS; i++) {
			if (s->clients[i].state == ST_FREE) {
				c = &s->clients[i];
				break;
			}
		}
		if (!c) {
			/* Only if the kept slot was lost; make one. */
			c = slowest(s, NULL);
			drop(s, c, WHY_EVICTED);
		}
		ev.data.u64 = TAG_CLIENT + (uint64_t)(c - s->clients);
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			goodbye(fd, errno, "cannot watch this connection");
			close(fd);
			count(s, WHY_REJECTED);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->state = ST_HDR;
		wait_start(s, c, now_ms());
		/* The slot this one took was the kept one: free another. */
		if (++s->nr_clients == GK_CTL_MAX_CLIENTS) {
			struct client *v = slowest(s, c);

			if (v)
				drop(s, v, WHY_EVICTED);
		}
		/* A caller's request is usually in already: serve it now. */
		client_read(s, c);
	}
}

static void expire_clients(struct gk_ctl_server *s, uint64_t now)
{
	unsigned i;

	for (i = 0; i < GK_CTL_MAX_CLIENTS; i++) {
		struct client *c = &s->clients[i];
		enum close_why why;

		if (c->state != ST_FREE && now >= deadline(s, c, &why))
			drop(s, c, why);
	}
}

void gk_ctl_server_dispatch(struct gk_ctl_server *s)
{
	struct epoll_event evs[MAX_EVENTS];
	bool accept_ready = false;
	uint64_t buf, now;
	int n, i;

	n = epoll_wait(s->epfd, evs, MAX_EVENTS, 0);
	for (i = 0; i < n; i++) {
		uint64_t tag = evs[i].data.u64;
		struct client *c;

		if (tag == TAG_LISTEN) {
			accept_ready = true;
			continue;
		}
		if (tag == TAG_TIMER) {
			if (read(s->tfd, &buf, sizeof(buf)) < 0) {
				/* a re-armed timer: the scan below runs anyway */
			}
			continue;
		}
		c = &s->clients[tag - TAG_CLIENT];
		/* The slot may have been closed by an earlier event of this
		 * batch (none is reused before the accepts below). */
		if (c->state == ST_FREE)
			continue;
		if (c->state == ST_REPLY) {
			if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
				flush_reply(s, c);
			continue;
		}
		client_read(s, c);
	}
	now = now_ms();
	expire_clients(s, now);
	/* After the clients: a caller whose request is in is answered
	 * before new connections can push it out. */
	if (accept_ready)
		do_accept(s);
	flush_log(s, now);
	rearm(s);
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
	return rearm(s);
}

int gk_ctl_server_set_request_ms(struct gk_ctl_server *s, unsigned ms)
{
	if (ms == 0)
		return -EINVAL;
	s->request_ms = ms;
	return rearm(s);
}

void gk_ctl_server_set_log(struct gk_ctl_server *s, gk_ctl_log_fn fn,
			   void *arg, unsigned period_ms)
{
	s->log_fn = fn;
	s->log_arg = arg;
	s->log_period_ms = period_ms ? period_ms : GK_CTL_LOG_PERIOD_MS;
	memset(s->pend, 0, sizeof(s->pend));
	s->log_next_ms = 0;
}

void gk_ctl_server_stats(const struct gk_ctl_server *s,
			 struct gk_ctl_server_stats *st)
{
	*st = s->st;
}

json_t *gk_ctl_server_stats_json(const struct gk_ctl_server *s)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:I}",
			      "clients", (json_int_t)s->nr_clients,
			      "max_clients", (json_int_t)GK_CTL_MAX_CLIENTS,
			      "idle_ms", (json_int_t)s->idle_ms,
			      "request_ms", (json_int_t)s->request_ms);

#define X(f, name)							\
	if (o && json_object_set_new(o, name,				\
				     json_integer((json_int_t)s->st.f))) { \
		json_decref(o);						\
		o = NULL;						\
	}
	GK_CTL_SRV_CNT_LIST(X)
#undef X
	return o;
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

/*
 * The directory that holds the socket must be writable by its owner alone,
 * and that owner must be us or root: whoever else can write there can
 * replace the socket with one of their own and read what genkanctl sends.
 */
static int check_dir(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat st;
	char *slash;
	int ret;

	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st)) {
		ret = -errno;
		snprintf(err, errlen, "ctl socket directory %s: %s", dir,
			 strerror(-ret));
		return ret;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen,
			 "ctl socket directory %s is %s-writable (mode %04o): others could replace the socket; use a directory only its owner can write (such as /run/genkan)",
			 dir, st.st_mode & S_IWOTH ? "world" : "group",
			 (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen,
			 "ctl socket directory %s belongs to uid %u, not to us (%u) or root: its owner could replace the socket",
			 dir, (unsigned)st.st_uid, (unsigned)geteuid());
		return -EPERM;
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
	ret = check_dir(path, err, errlen);
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
	s->request_ms = GK_CTL_REQUEST_MS;
	s->log_period_ms = GK_CTL_LOG_PERIOD_MS;
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
