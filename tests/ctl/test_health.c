/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Health checks (ctl/genkand/health.c) against real sockets on loopback:
 * a listener, a closed port, an HTTP server thread whose status the test
 * changes, one that never answers and one that answers garbage. The
 * verdicts follow rise/fall, the callback fires once per transition, and
 * the request on the wire is the documented one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "health.h"

/*
 * The probe interval, which is also each probe's deadline. Long enough
 * that a loaded CI machine (two cores, the suite's other tests beside)
 * does not miss the deadline of a probe the test expects to pass: at 40
 * ms an HTTP probe timed out there once in a few dozen runs.
 */
#define IVL_MS	200

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A listening socket on 127.0.0.1; *port gets its port. */
static int listener(uint16_t *port, uint16_t want)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(want);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 64), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

struct events {
	int downs, ups;
	char why[64];
};

static void cb(void *arg, unsigned idx, bool up, const char *why)
{
	struct events *e = arg;

	assert_int_equal(idx, 0);
	if (up)
		e->ups++;
	else
		e->downs++;
	snprintf(e->why, sizeof(e->why), "%s", why);
}

/* Serve h for ms milliseconds, as genkand's loop would. */
static void run_for(struct gk_health *h, unsigned ms)
{
	uint64_t end = ms_now() + ms;

	while (ms_now() < end) {
		struct pollfd pfd = { .fd = gk_health_fd(h), .events = POLLIN };

		poll(&pfd, 1, 10);
		gk_health_run(h);
	}
}

/* Serve until the verdict is @up or @ms pass; the time it took. */
static uint64_t run_until(struct gk_health *h, bool up, unsigned ms)
{
	uint64_t t0 = ms_now();

	while (ms_now() - t0 < ms) {
		struct pollfd pfd = { .fd = gk_health_fd(h), .events = POLLIN };

		if (gk_health_status(h, 0)->up == up &&
		    gk_health_status(h, 0)->checked)
			break;
		poll(&pfd, 1, 10);
		gk_health_run(h);
	}
	return ms_now() - t0;
}

static struct gk_health_target target(uint16_t port, enum gk_health_kind k)
{
	struct gk_health_target t = {
		.family = AF_INET, .port = port, .kind = k,
		.expect_lo = 200, .expect_hi = 399,
		.interval_ms = IVL_MS, .rise = 2, .fall = 3,
	};
	uint32_t lo = htonl(INADDR_LOOPBACK);

	memcpy(t.addr, &lo, 4);
	strcpy(t.path, "/healthz");
	return t;
}

static void test_tcp_up_down_up(void **state)
{
	struct events ev = { 0 };
	struct gk_health_target t;
	struct gk_health *h;
	uint16_t port;
	uint64_t took;
	int fd;

	(void)state;
	fd = listener(&port, 0);
	t = target(port, GK_HEALTH_TCP);
	h = gk_health_new(&t, 1, cb, &ev);
	assert_non_null(h);
	/* Starts up with nothing checked. */
	assert_true(gk_health_status(h, 0)->up);
	assert_false(gk_health_status(h, 0)->checked);
	run_for(h, 6 * IVL_MS);
	assert_true(gk_health_status(h, 0)->up);
	assert_true(gk_health_status(h, 0)->checks >= 3);
	assert_int_equal(gk_health_status(h, 0)->failures, 0);
	assert_string_equal(gk_health_status(h, 0)->last, "ok");
	assert_int_equal(ev.downs + ev.ups, 0);

	/* Killed: refused, down after fall failures in a row. */
	close(fd);
	took = run_until(h, false, 3000);
	assert_false(gk_health_status(h, 0)->up);
	assert_int_equal(ev.downs, 1);
	assert_string_equal(ev.why, "refused");
	assert_string_equal(gk_health_status(h, 0)->last, "refused");
	/* fall x interval, plus scheduling slack on a busy machine */
	assert_true(took <= 3 * IVL_MS + 1000);
	assert_true(gk_health_status(h, 0)->failures >= 3);

	/* Back: up after rise successes. */
	fd = listener(&port, port);
	run_until(h, true, 3000);
	assert_true(gk_health_status(h, 0)->up);
	assert_int_equal(ev.ups, 1);
	assert_int_equal(gk_health_status(h, 0)->transitions, 2);
	close(fd);
	gk_health_free(h);
}

/* One failure fewer than fall keeps it up; a success resets the run. */
static void test_fall_needs_a_run(void **state)
{
	struct events ev = { 0 };
	struct gk_health_target t;
	struct gk_health *h;
	uint16_t port;
	uint64_t t0;
	int fd;

	(void)state;
	fd = listener(&port, 0);
	close(fd);
	t = target(port, GK_HEALTH_TCP);
	t.fall = 255;		/* never reached in this test */
	t.interval_ms = 20;
	h = gk_health_new(&t, 1, cb, &ev);
	assert_non_null(h);
	/* until three refusals in a row (at 20 ms, unless starved) */
	for (t0 = ms_now(); gk_health_status(h, 0)->run < 3 &&
			    ms_now() - t0 < 3000;)
		run_for(h, 10);
	assert_true(gk_health_status(h, 0)->up);
	assert_true(gk_health_status(h, 0)->failures >= 3);
	assert_true(gk_health_status(h, 0)->run >= 3);
	fd = listener(&port, port);
	/* one success resets the run */
	for (t0 = ms_now(); gk_health_status(h, 0)->run != 0 &&
			    ms_now() - t0 < 3000;)
		run_for(h, 10);
	assert_int_equal(gk_health_status(h, 0)->run, 0);
	assert_int_equal(ev.downs, 0);
	close(fd);
	gk_health_free(h);
}

struct http_srv {
	int lfd;
	atomic_int status;	/* 0: never answer; -1: garbage */
	atomic_int stop;
	char req[512];
	pthread_mutex_t mu;
};

static void *http_main(void *arg)
{
	struct http_srv *s = arg;

	while (!atomic_load(&s->stop)) {
		struct pollfd pfd = { .fd = s->lfd, .events = POLLIN };
		char buf[512], out[128];
		size_t n = 0;
		int c, st;

		if (poll(&pfd, 1, 20) <= 0)
			continue;
		c = accept(s->lfd, NULL, NULL);
		if (c < 0)
			continue;
		while (n < sizeof(buf) - 1) {
			struct pollfd q = { .fd = c, .events = POLLIN };
			ssize_t k;

			if (poll(&q, 1, 200) <= 0)
				break;
			k = read(c, buf + n, sizeof(buf) - 1 - n);
			if (k <= 0)
				break;
			n += (size_t)k;
			buf[n] = 0;
			if (strstr(buf, "\r\n\r\n"))
				break;
		}
		buf[n] = 0;
		pthread_mutex_lock(&s->mu);
		snprintf(s->req, sizeof(s->req), "%s", buf);
		pthread_mutex_unlock(&s->mu);
		st = atomic_load(&s->status);
		if (st > 0) {
			snprintf(out, sizeof(out),
				 "HTTP/1.1 %d Whatever\r\nContent-Length: 0\r\n\r\n",
				 st);
			(void)!write(c, out, strlen(out));
		} else if (st < 0) {
			(void)!write(c, "SSH-2.0-x\r\n", 11);
		} else {
			usleep(4 * IVL_MS * 1000);	/* never answers in time */
		}
		close(c);
	}
	return NULL;
}

static void test_http(void **state)
{
	struct http_srv s = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct events ev = { 0 };
	struct gk_health_target t;
	struct gk_health *h;
	pthread_t th;
	uint16_t port;

	(void)state;
	s.lfd = listener(&port, 0);
	atomic_store(&s.status, 200);
	assert_int_equal(pthread_create(&th, NULL, http_main, &s), 0);
	t = target(port, GK_HEALTH_HTTP);
	h = gk_health_new(&t, 1, cb, &ev);
	assert_non_null(h);
	run_for(h, 5 * IVL_MS);
	assert_true(gk_health_status(h, 0)->up);
	assert_true(gk_health_status(h, 0)->checks >= 2);
	assert_int_equal(gk_health_status(h, 0)->failures, 0);
	assert_string_equal(gk_health_status(h, 0)->last, "http 200");
	pthread_mutex_lock(&s.mu);
	assert_non_null(strstr(s.req, "GET /healthz HTTP/1.0\r\n"));
	assert_non_null(strstr(s.req, "\r\nHost: 127.0.0.1\r\n"));
	assert_ptr_equal(strstr(s.req, "GET"), s.req);
	pthread_mutex_unlock(&s.mu);

	/* A status outside expect fails. */
	atomic_store(&s.status, 503);
	run_until(h, false, 3000);
	assert_false(gk_health_status(h, 0)->up);
	assert_string_equal(ev.why, "http 503");

	atomic_store(&s.status, 302);	/* within 200-399 */
	run_until(h, true, 3000);
	assert_true(gk_health_status(h, 0)->up);
	assert_int_equal(ev.ups, 1);

	/* Not HTTP at all. */
	atomic_store(&s.status, -1);
	run_until(h, false, 3000);
	assert_string_equal(ev.why, "http: no status line");

	/* Accepts, never answers: the deadline (one interval) fails it. */
	atomic_store(&s.status, 200);
	run_until(h, true, 3000);
	atomic_store(&s.status, 0);
	run_until(h, false, 5000);
	assert_false(gk_health_status(h, 0)->up);
	assert_string_equal(ev.why, "timeout");

	atomic_store(&s.stop, 1);
	pthread_join(th, NULL);
	close(s.lfd);
	gk_health_free(h);
}

static void test_bad_targets(void **state)
{
	struct gk_health_target t = target(80, GK_HEALTH_HTTP);

	(void)state;
	t.rise = 0;
	errno = 0;
	assert_null(gk_health_new(&t, 1, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	t = target(80, GK_HEALTH_HTTP);
	strcpy(t.path, "healthz");
	assert_null(gk_health_new(&t, 1, NULL, NULL));
	t = target(0, GK_HEALTH_TCP);
	assert_null(gk_health_new(&t, 1, NULL, NULL));
	t = target(80, GK_HEALTH_TCP);
	t.family = AF_UNIX;
	assert_null(gk_health_new(&t, 1, NULL, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_up_down_up),
		cmocka_unit_test(test_fall_needs_a_run),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_bad_targets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
