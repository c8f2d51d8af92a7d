// SPDX-License-Identifier: BSD-3-Clause
/*
 * Health checks; see health.h.
 *
 * A probe is a non-blocking socket walked through CONNECT (-> SEND -> RECV
 * for HTTP) by epoll events, with a deadline one interval after its start.
 * One timerfd, armed for the earliest start or deadline, wakes the loop.
 *
 * Targets start up, with no result yet: a restart of genkand must not take
 * a working service away for rise intervals. fall failures in a row (at
 * most fall x interval) take a dead one out. Probes close with a reset
 * (SO_LINGER 0): a check every two seconds per backend would otherwise
 * leave TIME_WAIT sockets on the gateway.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "health.h"

enum phase { P_IDLE, P_CONNECT, P_SEND, P_RECV };

#define RESP_MAX	256	/* enough for a status line */
#define REQ_MAX		(GK_HEALTH_PATH_MAX + 160)

struct probe {
	struct gk_health_target t;
	struct gk_health_status st;
	int fd;
	enum phase phase;
	uint64_t start_ns, deadline_ns, next_ns;
	char req[REQ_MAX];
	size_t req_len, sent;
	char resp[RESP_MAX];
	size_t resp_len;
};

struct gk_health {
	int epfd, tfd;
	unsigned n;
	struct probe *p;
	gk_health_cb cb;
	void *arg;
};

#define TAG_TIMER	0u	/* epoll tag; probe i is i + 1 */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t interval_ns(const struct probe *p)
{
	return (uint64_t)p->t.interval_ms * 1000000ull;
}

/* Arm the timer for the earliest start or deadline. */
static void arm(struct gk_health *h)
{
	struct itimerspec its = { 0 };
	uint64_t due = UINT64_MAX;

	for (unsigned i = 0; i < h->n; i++) {
		const struct probe *p = &h->p[i];
		uint64_t t = p->phase == P_IDLE ? p->next_ns : p->deadline_ns;

		if (t < due)
			due = t;
	}
	if (due == UINT64_MAX)
		return;
	if (!due)
		due = 1;
	its.it_value.tv_sec = (time_t)(due / 1000000000ull);
	its.it_value.tv_nsec = (long)(due % 1000000000ull);
	timerfd_settime(h->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void finish(struct gk_health *h, struct probe *p, bool ok,
		   const char *why)
{
	struct gk_health_status *st = &p->st;
	uint64_t now = now_ns();
	unsigned need;

	if (p->fd >= 0) {
		close(p->fd);	/* leaves the epoll set with it */
		p->fd = -1;
	}
	p->phase = P_IDLE;
	st->checked = true;
	st->checks++;
	if (ok)
		st->rtt_us = (uint32_t)((now - p->start_ns) / 1000);
	else
		st->failures++;
	snprintf(st->last, sizeof(st->last), "%s", why);
	if (ok == st->up) {
		st->run = 0;
		return;
	}
	need = st->up ? p->t.fall : p->t.rise;
	if (++st->run < need)
		return;
	st->up = ok;
	st->run = 0;
	st->transitions++;
	st->changed_ns = now;
	if (h->cb)
		h->cb(h->arg, (unsigned)(p - h->p), ok, why);
}

static const char *err_word(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return "refused";
	case ETIMEDOUT:
		return "timeout";
	case ENETUNREACH:
		return "no route";
	case EHOSTUNREACH:
		return "unreachable";
	case ECONNRESET:
		return "reset";
	default:
		return strerror(e);
	}
}

static int watch(struct gk_health *h, struct probe *p, int op, uint32_t ev)
{
	struct epoll_event e = {
		.events = ev,
		.data.u32 = (uint32_t)(p - h->p) + 1,
	};

	return epoll_ctl(h->epfd, op, p->fd, &e) ? -errno : 0;
}

static void build_request(struct probe *p)
{
	char host[INET6_ADDRSTRLEN + 2], a[INET6_ADDRSTRLEN];
	int n;

	inet_ntop(p->t.family, p->t.addr, a, sizeof(a));
	if (p->t.family == AF_INET6)
		snprintf(host, sizeof(host), "[%s]", a);
	else
		snprintf(host, sizeof(host), "%s", a);
	n = snprintf(p->req, sizeof(p->req),
		     "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: genkan-health\r\n"
		     "Connection: close\r\n\r\n", p->t.path, host);
	p->req_len = n > 0 && (size_t)n < sizeof(p->req) ? (size_t)n : 0;
	p->sent = 0;
	p->resp_len = 0;
}

static void do_send(struct gk_health *h, struct probe *p)
{
	while (p->sent < p->req_len) {
		ssize_t k = send(p->fd, p->req + p->sent, p->req_len - p->sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (k < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (p->phase != P_SEND &&
				    watch(h, p, EPOLL_CTL_MOD, EPOLLOUT))
					finish(h, p, false, "epoll");
				else
					p->phase = P_SEND;
				return;
			}
			finish(h, p, false, err_word(errno));
			return;
		}
		p->sent += (size_t)k;
	}
	p->phase = P_RECV;
	if (watch(h, p, EPOLL_CTL_MOD, EPOLLIN | EPOLLRDHUP))
		finish(h, p, false, "epoll");
}

/*
 * "HTTP/1.x NNN ..." once the status line is in: 1 pass, 0 fail (why
 * set), -1 not enough bytes yet.
 */
static int parse_status(struct probe *p, char *why, size_t wlen)
{
	const char *r = p->resp;
	int code;

	if (p->resp_len < 12 && !memchr(r, '\n', p->resp_len))
		return -1;
	if (p->resp_len < 12 || memcmp(r, "HTTP/1.", 7) || r[8] != ' ' ||
	    r[9] < '1' || r[9] > '5' || r[10] < '0' || r[10] > '9' ||
	    r[11] < '0' || r[11] > '9') {
		snprintf(why, wlen, "http: no status line");
		return 0;
	}
	code = (r[9] - '0') * 100 + (r[10] - '0') * 10 + (r[11] - '0');
	if (code < p->t.expect_lo || code > p->t.expect_hi) {
		snprintf(why, wlen, "http %d", code);
		return 0;
	}
	snprintf(why, wlen, "http %d", code);
	return 1;
}

static void do_recv(struct gk_health *h, struct probe *p)
{
	char why[48];

	for (;;) {
		ssize_t k;
		int r;

		if (p->resp_len < sizeof(p->resp)) {
			k = recv(p->fd, p->resp + p->resp_len,
				 sizeof(p->resp) - p->resp_len, MSG_DONTWAIT);
			if (k < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return;
				finish(h, p, false, err_word(errno));
				return;
			}
			p->resp_len += (size_t)k;
		} else {
			k = 1;
		}
		r = parse_status(p, why, sizeof(why));
		if (r >= 0) {
			finish(h, p, r == 1, why);
			return;
		}
		if (k == 0) {
			finish(h, p, false, "http: closed before the status");
			return;
		}
	}
}

static void connected(struct gk_health *h, struct probe *p)
{
	if (p->t.kind == GK_HEALTH_TCP) {
		finish(h, p, true, "ok");
		return;
	}
	build_request(p);
	if (!p->req_len) {
		finish(h, p, false, "http: request too long");
		return;
	}
	do_send(h, p);
}

static void start(struct gk_health *h, struct probe *p, uint64_t now)
{
	struct sockaddr_storage ss = { 0 };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	socklen_t sl;

	p->start_ns = now;
	p->deadline_ns = now + interval_ns(p);
	p->next_ns = now + interval_ns(p);
	if (p->t.family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(p->t.port);
		memcpy(&s4->sin_addr, p->t.addr, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p->t.port);
		memcpy(&s6->sin6_addr, p->t.addr, 16);
		sl = sizeof(*s6);
	}
	p->fd = socket(p->t.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (p->fd < 0) {
		finish(h, p, false, err_word(errno));
		return;
	}
	setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	p->phase = P_CONNECT;
	if (!connect(p->fd, (struct sockaddr *)&ss, sl)) {
		if (watch(h, p, EPOLL_CTL_ADD, EPOLLOUT))
			finish(h, p, false, "epoll");
		else
			connected(h, p);
		return;
	}
	if (errno != EINPROGRESS) {
		finish(h, p, false, err_word(errno));
		return;
	}
	if (watch(h, p, EPOLL_CTL_ADD, EPOLLOUT))
		finish(h, p, false, "epoll");
}

static void on_event(struct gk_health *h, struct probe *p, uint32_t ev)
{
	int e = 0;
	socklen_t el = sizeof(e);

	switch (p->phase) {
	case P_CONNECT:
		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &e, &el))
			e = errno;
		if (e) {
			finish(h, p, false, err_word(e));
			return;
		}
		connected(h, p);
		break;
	case P_SEND:
		do_send(h, p);
		break;
	case P_RECV:
		do_recv(h, p);
		break;
	case P_IDLE:
		break;
	}
	(void)ev;
}

void gk_health_run(struct gk_health *h)
{
	struct epoll_event ev[16];
	uint64_t now;
	int n;

	while ((n = epoll_wait(h->epfd, ev, 16, 0)) > 0) {
		for (int i = 0; i < n; i++) {
			uint32_t tag = ev[i].data.u32;
			uint64_t x;

			if (tag == TAG_TIMER) {
				if (read(h->tfd, &x, sizeof(x)) < 0)
					(void)0;	/* EAGAIN: nothing due */
				continue;
			}
			if (tag - 1 < h->n && h->p[tag - 1].fd >= 0)
				on_event(h, &h->p[tag - 1], ev[i].events);
		}
		if (n < 16)
			break;
	}
	now = now_ns();
	for (unsigned i = 0; i < h->n; i++) {
		struct probe *p = &h->p[i];

		if (p->phase != P_IDLE && now >= p->deadline_ns)
			finish(h, p, false, "timeout");
		if (p->phase == P_IDLE && now >= p->next_ns)
			start(h, p, now);
	}
	arm(h);
}

struct gk_health *gk_health_new(const struct gk_health_target *t, unsigned n,
				gk_health_cb cb, void *arg)
{
	struct epoll_event e = { .events = EPOLLIN, .data.u32 = TAG_TIMER };
	struct gk_health *h;
	uint64_t now = now_ns();
	int saved;

	for (unsigned i = 0; i < n; i++)
		if ((t[i].family != AF_INET && t[i].family != AF_INET6) ||
		    !t[i].port || !t[i].interval_ms || !t[i].rise ||
		    !t[i].fall || t[i].expect_lo > t[i].expect_hi ||
		    (t[i].kind == GK_HEALTH_HTTP && t[i].path[0] != '/')) {
			errno = EINVAL;
			return NULL;
		}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->p = calloc(n ? n : 1, sizeof(*h->p));
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	h->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!h->p || h->epfd < 0 || h->tfd < 0 ||
	    epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->tfd, &e))
		goto fail;
	h->n = n;
	h->cb = cb;
	h->arg = arg;
	for (unsigned i = 0; i < n; i++) {
		struct probe *p = &h->p[i];

		p->t = t[i];
		p->fd = -1;
		p->st.up = true;
		snprintf(p->st.last, sizeof(p->st.last), "not checked yet");
		/* Spread the first round over one interval. */
		p->next_ns = now + interval_ns(p) * i / (n ? n : 1) + 1000000;
	}
	arm(h);
	return h;

fail:
	saved = errno;
	if (h->epfd >= 0)
		close(h->epfd);
	if (h->tfd >= 0)
		close(h->tfd);
	free(h->p);
	free(h);
	errno = saved ? saved : ENOMEM;
	return NULL;
}

void gk_health_free(struct gk_health *h)
{
	if (!h)
		return;
	for (unsigned i = 0; i < h->n; i++)
		if (h->p[i].fd >= 0)
			close(h->p[i].fd);
	close(h->epfd);
	close(h->tfd);
	free(h->p);
	free(h);
}

int gk_health_fd(const struct gk_health *h)
{
	return h->epfd;
}

unsigned gk_health_count(const struct gk_health *h)
{
	return h->n;
}

const struct gk_health_status *gk_health_status(const struct gk_health *h,
						unsigned idx)
{
	return idx < h->n ? &h->p[idx].st : NULL;
}
