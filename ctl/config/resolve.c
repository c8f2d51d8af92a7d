// SPDX-License-Identifier: BSD-3-Clause
/*
 * Bounded endpoint resolution, see resolve.h. A batch is shared by the
 * caller and one thread per name; the last one to let go frees it, so a
 * caller that gave up never waits for a stuck resolver.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "resolve.h"

struct job {
	char host[GK_RESOLVE_HOST_MAX];
	char port[8];
	bool done;
	uint8_t family;
	uint8_t addr[16];
	int err, sys_errno;
	struct batch *b;
};

struct batch {
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* CLOCK_MONOTONIC */
	unsigned refs;		/* caller + running threads */
	unsigned pending;
	bool abandoned;		/* caller gone: stop retrying */
	unsigned n;
	struct job jobs[];
};

static void deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Drops one reference; called with b->mu held, which it releases. */
static void put_locked(struct batch *b)
{
	bool last = --b->refs == 0;

	pthread_mutex_unlock(&b->mu);
	if (!last)
		return;
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

/* wg(8) retries everything glibc does not call permanent. */
static bool transient(int err)
{
	return err != EAI_NONAME && err != EAI_FAIL &&
#ifdef EAI_NODATA
	       err != EAI_NODATA &&
#endif
	       err != EAI_SERVICE && err != EAI_FAMILY && err != EAI_BADFLAGS;
}

static int lookup(struct job *j)
{
	/* No AI_ADDRCONFIG, as wg(8): a v6 endpoint is fine before v6 is up. */
	const struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_DGRAM,
		.ai_protocol = IPPROTO_UDP,
		.ai_flags = AI_NUMERICSERV,
	};
	struct addrinfo *res = NULL, *ai;
	int ret;

	errno = 0;
	ret = getaddrinfo(j->host, j->port, &hints, &res);
	if (ret) {
		j->sys_errno = errno;
		return ret;
	}
	/* The resolver's order (RFC 6724) decides, as in wg(8). */
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET &&
		    ai->ai_addrlen >= sizeof(struct sockaddr_in)) {
			const struct sockaddr_in *s = (const void *)ai->ai_addr;

			j->family = AF_INET;
			memcpy(j->addr, &s->sin_addr, 4);
			break;
		}
		if (ai->ai_family == AF_INET6 &&
		    ai->ai_addrlen >= sizeof(struct sockaddr_in6)) {
			const struct sockaddr_in6 *s = (const void *)ai->ai_addr;

			j->family = AF_INET6;
			memcpy(j->addr, &s->sin6_addr, 16);
			break;
		}
	}
	freeaddrinfo(res);
	return j->family ? 0 : EAI_NODATA;
}

static void *run(void *arg)
{
	struct job *j = arg;
	struct batch *b = j->b;
	unsigned delay_ms = 1000, tries = 0;
	struct timespec ts;
	int err;

	for (;;) {
		err = lookup(j);
		if (!err || !transient(err) || tries++ >= GK_RESOLVE_RETRIES)
			break;
		pthread_mutex_lock(&b->mu);
		deadline_in(&ts, delay_ms);
		while (!b->abandoned &&
		       pthread_cond_timedwait(&b->cv, &b->mu, &ts) != ETIMEDOUT)
			;
		if (b->abandoned) {
			pthread_mutex_unlock(&b->mu);
			break;
		}
		pthread_mutex_unlock(&b->mu);
		/* wg(8): x1.5 per try, at most 6.4 s */
		if (delay_ms < 6400)
			delay_ms = delay_ms * 3 / 2;
	}
	pthread_mutex_lock(&b->mu);
	j->err = err;
	j->done = true;
	b->pending--;
	pthread_cond_broadcast(&b->cv);
	put_locked(b);
	return NULL;
}

static struct batch *batch_new(const struct gk_resolve *r, unsigned n)
{
	pthread_condattr_t ca;
	struct batch *b;
	unsigned i;

	b = calloc(1, sizeof(*b) + n * sizeof(b->jobs[0]));
	if (!b)
		return NULL;
	b->n = n;
	for (i = 0; i < n; i++) {
		snprintf(b->jobs[i].host, sizeof(b->jobs[i].host), "%s", r[i].host);
		snprintf(b->jobs[i].port, sizeof(b->jobs[i].port), "%u", r[i].port);
		b->jobs[i].b = b;
	}
	pthread_mutex_init(&b->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cv, &ca);
	pthread_condattr_destroy(&ca);
	return b;
}

int gk_resolve_run(struct gk_resolve *r, unsigned n, unsigned timeout_ms)
{
	pthread_attr_t attr;
	struct timespec ts;
	struct batch *b;
	unsigned i, bad = 0;
	int ret;

	if (!n)
		return 0;
	b = batch_new(r, n);
	if (!b)
		return -ENOMEM;
	ret = pthread_attr_init(&attr);
	if (ret)
		goto err_free;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Threads start while we hold the lock: they cannot finish early. */
	pthread_mutex_lock(&b->mu);
	b->refs = 1;
	for (i = 0; i < n; i++) {
		pthread_t t;

		ret = pthread_create(&t, &attr, run, &b->jobs[i]);
		if (ret) {
			b->jobs[i].done = true;
			b->jobs[i].err = EAI_SYSTEM;
			b->jobs[i].sys_errno = ret;
			continue;
		}
		b->refs++;
		b->pending++;
	}
	pthread_attr_destroy(&attr);

	deadline_in(&ts, timeout_ms);
	while (b->pending &&
	       pthread_cond_timedwait(&b->cv, &b->mu, &ts) != ETIMEDOUT)
		;
	for (i = 0; i < n; i++) {
		const struct job *j = &b->jobs[i];

		r[i].family = 0;
		memset(r[i].addr, 0, sizeof(r[i].addr));
		r[i].sys_errno = 0;
		if (!j->done) {
			r[i].err = GK_RESOLVE_TIMEDOUT;
		} else {
			r[i].err = j->err;
			r[i].sys_errno = j->sys_errno;
			if (!j->err) {
				r[i].family = j->family;
				memcpy(r[i].addr, j->addr, sizeof(r[i].addr));
			}
		}
		bad += r[i].err != 0;
	}
	b->abandoned = true;
	pthread_cond_broadcast(&b->cv);
	put_locked(b);
	return bad ? -EHOSTUNREACH : 0;

err_free:
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
	return -ret;
}

const char *gk_resolve_strerror(const struct gk_resolve *r)
{
	if (r->err == GK_RESOLVE_TIMEDOUT)
		return "no answer in time";
	if (r->err == EAI_SYSTEM)
		return strerror(r->sys_errno ? r->sys_errno : EIO);
	return gai_strerror(r->err);
}
