// SPDX-License-Identifier: BSD-3-Clause
/*
 * ctl protocol tests: a real server with a fake command table on a temp
 * socket, driven by its own thread exactly as genkand's loop would drive
 * it; requests are either made with gk_ctl_call() or written byte by byte
 * to exercise every framing error. After each bad request the server must
 * still answer a good one.
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl_client.h"
#include "ctl_proto.h"
#include "ctl_server.h"

#define IO_WAIT_MS 20000	/* upper bound only; never what a test measures */
#define BIG_LEN (4u << 20)
#define MAX_LOG 64

struct fixture {
	char dir[64];
	char path[108];
	struct gk_ctl_server *srv;
	pthread_t thread;
	int stopfd;
	bool running;
	/* the server's log lines, written on its thread; read after a
	 * stop_thread() (the join orders them) */
	unsigned nr_log;
	char log[MAX_LOG][384];
	int64_t log_ms[MAX_LOG];
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void log_line(void *arg, const char *msg)
{
	struct fixture *f = arg;

	if (f->nr_log < MAX_LOG) {
		snprintf(f->log[f->nr_log], sizeof(f->log[0]), "%s", msg);
		f->log_ms[f->nr_log++] = mono_ms();
	}
}

static int fn_echo(void *arg, json_t *args, json_t **result, char *err,
		   size_t errlen)
{
	*result = json_pack("{s:O}", "args", args);
	return 0;
}

static int fn_fail(void *arg, json_t *args, json_t **result, char *err,
		   size_t errlen)
{
	snprintf(err, errlen, "no such thing");
	return -ENOENT;
}

static int fn_fail_noerr(void *arg, json_t *args, json_t **result, char *err,
			 size_t errlen)
{
	return -EPERM;
}

static int fn_big(void *arg, json_t *args, json_t **result, char *err,
		  size_t errlen)
{
	json_int_t n = json_integer_value(json_object_get(args, "len"));
	char *s = malloc((size_t)n + 1);

	if (!s)
		return -ENOMEM;
	memset(s, 'b', (size_t)n);
	s[n] = '\0';
	*result = json_pack("{s:s}", "blob", s);
	free(s);
	return *result ? 0 : -ENOMEM;
}

/* Runs on the server thread, so reading the count there is race free. */
static int fn_nclients(void *arg, json_t *args, json_t **result, char *err,
		       size_t errlen)
{
	struct fixture *f = arg;

	*result = json_pack("{s:i}", "clients",
			    (int)gk_ctl_server_nr_clients(f->srv));
	return 0;
}

/* The server's counters, read on its thread. */
static int fn_ctlstats(void *arg, json_t *args, json_t **result, char *err,
		       size_t errlen)
{
	struct fixture *f = arg;

	*result = gk_ctl_server_stats_json(f->srv);
	return *result ? 0 : -ENOMEM;
}

static const struct gk_ctl_cmd fake_cmds[] = {
	{ "echo", fn_echo, "return the args" },
	{ "fail", fn_fail, "always fails with ENOENT" },
	{ "fail_noerr", fn_fail_noerr, "fails without a message" },
	{ "big", fn_big, "returns a blob of args.len bytes" },
	{ "nclients", fn_nclients, "connected clients" },
	{ "ctlstats", fn_ctlstats, "the server's own counters" },
};

static void *server_loop(void *arg)
{
	struct fixture *f = arg;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = gk_ctl_server_fd(f->srv), .events = POLLIN },
			{ .fd = f->stopfd, .events = POLLIN },
		};

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents)
			gk_ctl_server_dispatch(f->srv);
	}
	return NULL;
}

static void start_thread(struct fixture *f)
{
	assert_int_equal(pthread_create(&f->thread, NULL, server_loop, f), 0);
	f->running = true;
}

static void stop_thread(struct fixture *f)
{
	uint64_t one = 1;

	if (!f->running)
		return;
	assert_int_equal(write(f->stopfd, &one, sizeof(one)), sizeof(one));
	pthread_join(f->thread, NULL);
	f->running = false;
	/* drain so the next start does not stop at once */
	assert_int_equal(read(f->stopfd, &one, sizeof(one)), sizeof(one));
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/h3-ctl-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	/* traversable, so the permission test's unprivileged child can
	 * reach the socket itself */
	chmod(f->dir, 0755);
	snprintf(f->path, sizeof(f->path), "%s/run/sub/ctl.sock", f->dir);
	f->stopfd = eventfd(0, EFD_CLOEXEC);
	f->srv = gk_ctl_server_open(f->path, fake_cmds,
				    sizeof(fake_cmds) / sizeof(fake_cmds[0]),
				    f, err, sizeof(err));
	if (!f->srv) {
		fprintf(stderr, "server open: %s\n", err);
		return -1;
	}
	/* Only the idle test wants the idle timer: elsewhere it could close a
	 * connection the code under test should have closed itself. */
	if (gk_ctl_server_set_idle_ms(f->srv, 3600 * 1000))
		return -1;
	start_thread(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	stop_thread(f);
	gk_ctl_server_close(f->srv);
	close(f->stopfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd)) {
		/* leftovers in /tmp are harmless */
	}
	free(f);
	return 0;
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void raw_write(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* One send, so a server that hangs up right after a bad header cannot
 * make our own write fail half way. */
static void raw_request(int fd, uint32_t magic, uint16_t version,
			uint32_t len, uint32_t seq, const char *payload)
{
	struct gk_ctl_hdr h = {
		.magic = magic, .version = version, .len = len, .seq = seq,
	};
	size_t pl = payload ? strlen(payload) : 0;
	char *buf = malloc(sizeof(h) + pl);

	if (!buf)
		abort();
	memcpy(buf, &h, sizeof(h));
	if (pl)
		memcpy(buf + sizeof(h), payload, pl);
	raw_write(fd, buf, sizeof(h) + pl);
	free(buf);
}

static void send_json(int fd, uint32_t seq, const char *payload)
{
	raw_request(fd, GK_CTL_MAGIC, GK_CTL_VERSION, (uint32_t)strlen(payload),
		    seq, payload);
}

/* Reads exactly @len bytes; returns bytes read before EOF. */
static size_t read_n(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		assert_int_equal(poll(&p, 1, IO_WAIT_MS), 1);
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* Reads one reply; returns the payload object (caller frees). */
static json_t *read_reply(int fd, uint32_t *seq)
{
	struct gk_ctl_hdr h;
	json_t *j;
	char *buf;

	assert_int_equal(read_n(fd, &h, sizeof(h)), sizeof(h));
	assert_int_equal(h.magic, GK_CTL_MAGIC);
	assert_int_equal(h.version, GK_CTL_VERSION);
	assert_true(h.len <= GK_CTL_MAX_RESP);
	buf = malloc(h.len);
	assert_non_null(buf);
	assert_int_equal(read_n(fd, buf, h.len), h.len);
	j = json_loadb(buf, h.len, 0, NULL);
	free(buf);
	assert_non_null(j);
	if (seq)
		*seq = h.seq;
	return j;
}

static void expect_error(json_t *r, int errnum, const char *frag)
{
	json_t *e = json_object_get(r, "error");

	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(r, "errno")), errnum);
	assert_true(json_is_string(e));
	if (!strstr(json_string_value(e), frag)) {
		print_error("error '%s' lacks '%s'\n", json_string_value(e), frag);
		fail();
	}
	json_decref(r);
}

static bool peer_closed(int fd)
{
	char c;

	return read_n(fd, &c, 1) == 0;
}

/* The health check run after every bad request. */
static void assert_alive(struct fixture *f)
{
	json_t *args = json_pack("{s:s}", "ping", "pong"), *res = NULL;
	char err[256];

	assert_int_equal(gk_ctl_call(f->path, "echo", args, &res, err,
				     sizeof(err), IO_WAIT_MS), 0);
	assert_true(json_equal(json_object_get(res, "args"), args));
	json_decref(res);
	json_decref(args);
}

static void test_good_calls(void **state)
{
	struct fixture *f = *state;
	json_t *res = NULL, *cmds, *c;
	char err[256];
	bool remote;
	size_t i;
	int seen = 0;

	assert_alive(f);

	/* no args: the handler still gets an object */
	assert_int_equal(gk_ctl_call(f->path, "echo", NULL, &res, err,
				     sizeof(err), IO_WAIT_MS), 0);
	assert_true(json_is_object(json_object_get(res, "args")));
	assert_int_equal(json_object_size(json_object_get(res, "args")), 0);
	json_decref(res);

	assert_int_equal(gk_ctl_call(f->path, "version", NULL, &res, err,
				     sizeof(err), IO_WAIT_MS), 0);
	assert_int_equal(json_integer_value(json_object_get(res, "protocol")), 1);
	assert_true(json_is_string(json_object_get(res, "version")));
	json_decref(res);

	assert_int_equal(gk_ctl_call(f->path, "help", NULL, &res, err,
				     sizeof(err), IO_WAIT_MS), 0);
	cmds = json_object_get(res, "commands");
	assert_int_equal(json_array_size(cmds), 8);
	json_array_foreach(cmds, i, c) {
		const char *n = json_string_value(json_object_get(c, "name"));

		assert_non_null(n);
		if (!strcmp(n, "echo") || !strcmp(n, "help") ||
		    !strcmp(n, "version"))
			seen++;
	}
	assert_int_equal(seen, 3);
	json_decref(res);

	assert_int_equal(gk_ctl_call_ex(f->path, "fail", NULL, &res, &remote,
					err, sizeof(err), IO_WAIT_MS), -ENOENT);
	assert_true(remote);
	assert_null(res);
	assert_string_equal(err, "no such thing");

	assert_int_equal(gk_ctl_call_ex(f->path, "fail_noerr", NULL, &res,
					&remote, err, sizeof(err), IO_WAIT_MS),
			 -EPERM);
	assert_true(remote);
	assert_string_equal(err, strerror(EPERM));

	assert_int_equal(gk_ctl_call_ex(f->path, "nope", NULL, &res, &remote,
					err, sizeof(err), IO_WAIT_MS),
			 -EOPNOTSUPP);
	assert_true(remote);
	assert_non_null(strstr(err, "unknown command 'nope'"));
}

static void test_bad_magic(void **state)
{
	struct fixture *f = *state;
	uint32_t seq;
	int fd = raw_connect(f->path);

	raw_request(fd, 0xdeadbeef, GK_CTL_VERSION, 2, 77, "{}");
	expect_error(read_reply(fd, &seq), EPROTO, "bad magic");
	assert_int_equal(seq, 77);
	assert_true(peer_closed(fd));
	close(fd);
	assert_alive(f);
}

static void test_wrong_version(void **state)
{
	struct fixture *f = *state;
	int fd = raw_connect(f->path);

	raw_request(fd, GK_CTL_MAGIC, 7, 2, 1, "{}");
	expect_error(read_reply(fd, NULL), EPROTONOSUPPORT,
		     "peer speaks version 7, this side speaks version 1");
	assert_true(peer_closed(fd));
	close(fd);
	assert_alive(f);
}

static void test_bad_flags(void **state)
{
	struct fixture *f = *state;
	struct gk_ctl_hdr h;
	int fd = raw_connect(f->path);

	gk_ctl_hdr_init(&h, 0, 3);
	h.flags = 0x8000;
	raw_write(fd, &h, sizeof(h));
	expect_error(read_reply(fd, NULL), EPROTO, "flags");
	assert_true(peer_closed(fd));
	close(fd);
	assert_alive(f);
}

static void test_oversized(void **state)
{
	struct fixture *f = *state;
	int fd = raw_connect(f->path);

	/* no payload follows: the server must not wait for 64 KiB + 1 */
	raw_request(fd, GK_CTL_MAGIC, GK_CTL_VERSION, GK_CTL_MAX_REQ + 1, 5, NULL);
	expect_error(read_reply(fd, NULL), EMSGSIZE, "exceeds");
	assert_true(peer_closed(fd));
	close(fd);

	fd = raw_connect(f->path);
	raw_request(fd, GK_CTL_MAGIC, GK_CTL_VERSION, UINT32_MAX, 5, NULL);
	expect_error(read_reply(fd, NULL), EMSGSIZE, "exceeds");
	close(fd);
	assert_alive(f);
}

/* Exactly GK_CTL_MAX_REQ is still accepted. */
static void test_max_request(void **state)
{
	struct fixture *f = *state;
	char *payload = malloc(GK_CTL_MAX_REQ + 1);
	const char *head = "{\"cmd\":\"echo\",\"args\":{\"pad\":\"";
	size_t hl = strlen(head);
	json_t *r;
	int fd = raw_connect(f->path);

	if (!payload)
		abort();
	memcpy(payload, head, hl);
	memset(payload + hl, 'x', GK_CTL_MAX_REQ - hl - 3);
	memcpy(payload + GK_CTL_MAX_REQ - 3, "\"}}", 4);
	assert_int_equal(strlen(payload), GK_CTL_MAX_REQ);
	send_json(fd, 9, payload);
	r = read_reply(fd, NULL);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	close(fd);
	free(payload);
}

static void test_truncated(void **state)
{
	struct fixture *f = *state;
	struct gk_ctl_hdr h;
	int fd;

	/* half a header, then hang up */
	fd = raw_connect(f->path);
	gk_ctl_hdr_init(&h, 10, 1);
	raw_write(fd, &h, 7);
	close(fd);
	assert_alive(f);

	/* a full header and half the payload, then hang up */
	fd = raw_connect(f->path);
	raw_request(fd, GK_CTL_MAGIC, GK_CTL_VERSION, 100, 2, "{\"cmd\":");
	close(fd);
	assert_alive(f);

	/* connect and hang up at once */
	close(raw_connect(f->path));
	assert_alive(f);
}

struct bad_payload {
	const char *payload;
	const char *frag;
	int errnum;
};

static const struct bad_payload bad_payloads[] = {
	{ "{not json", "invalid JSON", EBADMSG },
	{ "", "invalid JSON", EBADMSG },
	{ "{\"cmd\":\"echo\"} trailing", "invalid JSON", EBADMSG },
	{ "[1,2]", "must be a JSON object", EBADMSG },
	{ "\"echo\"", "invalid JSON", EBADMSG },	/* jansson wants a container */
	{ "{\"args\":{}}", "no \"cmd\"", EBADMSG },
	{ "{\"cmd\":5}", "\"cmd\" must be a string", EBADMSG },
	{ "{\"cmd\":null}", "\"cmd\" must be a string", EBADMSG },
	{ "{\"cmd\":\"nope\"}", "unknown command 'nope'", EOPNOTSUPP },
	{ "{\"cmd\":\"echo\",\"args\":[1]}", "\"args\" must be an object", EBADMSG },
	{ "{\"cmd\":\"echo\",\"args\":\"x\"}", "\"args\" must be an object", EBADMSG },
	{ "{\"cmd\":\"echo\",\"cmd\":\"fail\"}", "invalid JSON", EBADMSG },
};

/* Payload errors are not framing errors: the same connection keeps working. */
static void test_bad_payloads(void **state)
{
	struct fixture *f = *state;
	size_t i;
	int fd = raw_connect(f->path);

	for (i = 0; i < sizeof(bad_payloads) / sizeof(bad_payloads[0]); i++) {
		const struct bad_payload *b = &bad_payloads[i];
		uint32_t seq;
		json_t *r;

		send_json(fd, 100 + (uint32_t)i, b->payload);
		expect_error(read_reply(fd, &seq), b->errnum, b->frag);
		assert_int_equal(seq, 100 + i);

		send_json(fd, 200, "{\"cmd\":\"echo\",\"args\":{\"a\":1}}");
		r = read_reply(fd, &seq);
		assert_int_equal(seq, 200);
		assert_true(json_is_true(json_object_get(r, "ok")));
		json_decref(r);
	}
	close(fd);
	assert_alive(f);
}

/* Two requests in one write come back as two replies, in order. */
static void test_pipelined(void **state)
{
	struct fixture *f = *state;
	const char *p = "{\"cmd\":\"echo\"}";
	struct gk_ctl_hdr h;
	char buf[2 * (sizeof(h) + 32)];
	size_t off = 0, l = strlen(p);
	uint32_t seq;
	int fd = raw_connect(f->path);
	int i;

	for (i = 0; i < 2; i++) {
		gk_ctl_hdr_init(&h, (uint32_t)l, 40 + (uint32_t)i);
		memcpy(buf + off, &h, sizeof(h));
		memcpy(buf + off + sizeof(h), p, l);
		off += sizeof(h) + l;
	}
	raw_write(fd, buf, off);
	json_decref(read_reply(fd, &seq));
	assert_int_equal(seq, 40);
	json_decref(read_reply(fd, &seq));
	assert_int_equal(seq, 41);
	close(fd);
}

/* 4 MiB needs many partial writes on a socket buffer of a few hundred KiB. */
static void test_big_response(void **state)
{
	struct fixture *f = *state;
	json_t *args = json_pack("{s:i}", "len", (int)BIG_LEN), *res = NULL;
	char err[256];
	const char *blob;
	size_t i;

	assert_int_equal(gk_ctl_call(f->path, "big", args, &res, err,
				     sizeof(err), IO_WAIT_MS), 0);
	blob = json_string_value(json_object_get(res, "blob"));
	assert_non_null(blob);
	assert_int_equal(strlen(blob), BIG_LEN);
	for (i = 0; i < BIG_LEN; i += 4096)
		assert_int_equal(blob[i], 'b');
	json_decref(res);
	json_decref(args);

	/* a reader that takes its time gets the same bytes */
	{
		int fd = raw_connect(f->path);
		json_t *r;

		send_json(fd, 1, "{\"cmd\":\"big\",\"args\":{\"len\":1048576}}");
		r = read_reply(fd, NULL);
		assert_int_equal(strlen(json_string_value(json_object_get(
			json_object_get(r, "result"), "blob"))), 1048576);
		json_decref(r);
		close(fd);
	}
}

static void test_response_too_big(void **state)
{
	struct fixture *f = *state;
	json_t *args = json_pack("{s:i}", "len", (int)GK_CTL_MAX_RESP), *res;
	char err[256];
	bool remote;

	assert_int_equal(gk_ctl_call_ex(f->path, "big", args, &res, &remote,
					err, sizeof(err), IO_WAIT_MS),
			 -EMSGSIZE);
	assert_true(remote);
	assert_non_null(strstr(err, "response exceeds"));
	json_decref(args);
	assert_alive(f);
}

/* One of the server's counters, asked on a held connection (a new one
 * would count, and could evict). */
static long long stat_on(int fd, const char *key)
{
	json_t *r;
	long long v;

	send_json(fd, 77, "{\"cmd\":\"ctlstats\"}");
	r = read_reply(fd, NULL);
	assert_true(json_is_true(json_object_get(r, "ok")));
	v = json_integer_value(json_object_get(json_object_get(r, "result"),
					       key));
	json_decref(r);
	return v;
}

/* The same on a connection of its own, when the table has room. */
static long long stat_of(struct fixture *f, const char *key)
{
	json_t *res = NULL;
	char err[256];
	long long v;

	assert_int_equal(gk_ctl_call(f->path, "ctlstats", NULL, &res, err,
				     sizeof(err), IO_WAIT_MS), 0);
	v = json_integer_value(json_object_get(res, key));
	json_decref(res);
	return v;
}

static void expect_evicted(int fd)
{
	expect_error(read_reply(fd, NULL), EBUSY, "evicted as the slowest");
	assert_true(peer_closed(fd));
	close(fd);
}

static void expect_echo(int fd, uint32_t seq)
{
	json_t *r;
	uint32_t got;

	send_json(fd, seq, "{\"cmd\":\"echo\"}");
	r = read_reply(fd, &got);
	assert_int_equal(got, seq);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
}

/* More clients than slots: one slot stays free, each connection that
 * takes it evicts the oldest idle one, which is told so; the rest are
 * served. */
static void test_many_clients(void **state)
{
	struct fixture *f = *state;
	enum { N = GK_CTL_MAX_CLIENTS + 8, EV = N - (GK_CTL_MAX_CLIENTS - 1) };
	int fds[N];
	size_t i;

	for (i = 0; i < N; i++)
		fds[i] = raw_connect(f->path);
	/* One request on the newest proves all of them were accepted (the
	 * backlog is FIFO) and counts them from inside the server. */
	{
		json_t *r;

		send_json(fds[N - 1], 1, "{\"cmd\":\"nclients\"}");
		r = read_reply(fds[N - 1], NULL);
		assert_int_equal(json_integer_value(json_object_get(
			json_object_get(r, "result"), "clients")),
			GK_CTL_MAX_CLIENTS - 1);
		json_decref(r);
	}
	for (i = 0; i < EV; i++)
		expect_evicted(fds[i]);
	for (i = EV; i < N; i++)
		expect_echo(fds[i], (uint32_t)i);
	assert_int_equal(stat_on(fds[N - 1], "evicted"), EV);
	assert_int_equal(stat_on(fds[N - 1], "accepted"), N);
	assert_int_equal(stat_on(fds[N - 1], "rejected"), 0);
	for (i = EV; i < N; i++)
		close(fds[i]);
	assert_alive(f);
}

/* A whole request in one buffer, to be sent in pieces. */
static size_t build_request(char *buf, size_t size, uint32_t seq,
			    const char *payload)
{
	struct gk_ctl_hdr h;
	size_t pl = strlen(payload);

	assert_true(sizeof(h) + pl <= size);
	gk_ctl_hdr_init(&h, (uint32_t)pl, seq);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, pl);
	return sizeof(h) + pl;
}

/* Issue #13, bug 3: a table full of clients that connected and sent one
 * byte (or none) must not keep a fresh caller out. */
static void test_full_table_fresh_call(void **state)
{
	struct fixture *f = *state;
	enum { N = GK_CTL_MAX_CLIENTS };
	char req[N][64];
	size_t len[N], i;
	int fds[N];
	json_t *res = NULL;
	char err[256];

	for (i = 0; i < N; i++) {
		len[i] = build_request(req[i], sizeof(req[i]), (uint32_t)i,
				       "{\"cmd\":\"echo\"}");
		fds[i] = raw_connect(f->path);
		if (i % 2)	/* half of them trickling */
			raw_write(fds[i], req[i], 1);
	}
	assert_int_equal(gk_ctl_call(f->path, "echo", NULL, &res, err,
				     sizeof(err), IO_WAIT_MS), 0);
	json_decref(res);
	/* the 32nd took the kept slot (fds[0] out), the call took it again */
	expect_evicted(fds[0]);
	expect_evicted(fds[1]);
	for (i = 2; i < N; i++) {
		size_t off = i % 2;
		json_t *r;
		uint32_t seq;

		raw_write(fds[i], req[i] + off, len[i] - off);
		r = read_reply(fds[i], &seq);
		assert_int_equal(seq, i);
		assert_true(json_is_true(json_object_get(r, "ok")));
		json_decref(r);
	}
	assert_int_equal(stat_on(fds[N - 1], "evicted"), 2);
	for (i = 2; i < N; i++)
		close(fds[i]);
}

/* Issue #13, bug 3: a byte every 150 ms is progress, but not a request:
 * the default request deadline (2 s from the first byte) closes it. */
static void test_trickler_cut(void **state)
{
	struct fixture *f = *state;
	char req[128];
	size_t len, i;
	int64_t t0 = 0, cut = -1;
	int fd = raw_connect(f->path);

	len = build_request(req, sizeof(req), 5,
			    "{\"cmd\":\"echo\",\"args\":{\"pad\":\"................................\"}}");
	for (i = 0; i < len; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (send(fd, req + i, 1, MSG_NOSIGNAL) != 1)
			break;	/* closed under our feet */
		if (!i)
			t0 = mono_ms();
		if (poll(&p, 1, 150) == 1) {
			cut = mono_ms() - t0;
			break;
		}
	}
	assert_true(i < len - 1);	/* never got to send it all */
	expect_error(read_reply(fd, NULL), ETIMEDOUT,
		     "request not complete within 2000 ms");
	assert_true(peer_closed(fd));
	close(fd);
	print_message("trickler cut %lld ms after its first byte\n",
		      (long long)cut);
	assert_true(cut >= 2000 - 1 && cut < 4000);
	assert_int_equal(stat_of(f, "request_timeouts"), 1);
	assert_alive(f);
}

/* Oldest wait first: a client served a moment ago waits from then; one
 * being answered (a reply it does not read) goes last. */
static void test_slowest_evicted_first(void **state)
{
	struct fixture *f = *state;
	int rd, a, b, fds[GK_CTL_MAX_CLIENTS];
	size_t i, n = 0;

	/* rd: oldest, but with a 4 MiB reply it does not read */
	rd = raw_connect(f->path);
	send_json(rd, 9, "{\"cmd\":\"big\",\"args\":{\"len\":4194304}}");
	a = raw_connect(f->path);
	b = raw_connect(f->path);
	expect_echo(b, 1);	/* b was accepted after a, but */
	expect_echo(a, 2);	/* a waits from its last reply: after b */
	/* 3 held + 28 = 31: full but for the kept slot, nobody out yet */
	while (n < GK_CTL_MAX_CLIENTS - 4)
		fds[n++] = raw_connect(f->path);
	assert_int_equal(stat_on(fds[n - 1], "evicted"), 0);
	fds[n++] = raw_connect(f->path);
	expect_evicted(b);
	fds[n++] = raw_connect(f->path);
	expect_evicted(a);
	fds[n++] = raw_connect(f->path);
	expect_evicted(fds[0]);
	assert_int_equal(stat_on(fds[n - 1], "evicted"), 3);
	/* rd is still being answered: its reply is whole */
	{
		json_t *r = read_reply(rd, NULL);

		assert_int_equal(strlen(json_string_value(json_object_get(
			json_object_get(r, "result"), "blob"))), 4194304);
		json_decref(r);
	}
	close(rd);
	for (i = 1; i < n; i++)
		close(fds[i]);
	assert_alive(f);
}

/* 31 clients trickling a byte every 50 ms against a 200 ms deadline: all
 * cut, none served, counted, and logged in one line per period. */
static void test_request_deadline(void **state)
{
	struct fixture *f = *state;
	enum { N = GK_CTL_MAX_CLIENTS - 1 };
	char req[N][64];
	size_t len[N], off[N], i;
	int64_t t0[N], until;
	int fds[N], left = N;

	stop_thread(f);
	assert_int_equal(gk_ctl_server_set_request_ms(f->srv, 200), 0);
	assert_int_equal(gk_ctl_server_set_request_ms(f->srv, 0), -EINVAL);
	gk_ctl_server_set_log(f->srv, log_line, f, 60000);
	start_thread(f);
	for (i = 0; i < N; i++) {
		len[i] = build_request(req[i], sizeof(req[i]), (uint32_t)i,
				       "{\"cmd\":\"echo\"}");
		fds[i] = raw_connect(f->path);
		off[i] = 0;
	}
	until = mono_ms() + 10000;
	while (left && mono_ms() < until) {
		for (i = 0; i < N; i++) {
			struct pollfd p = { .fd = fds[i], .events = POLLIN };

			if (fds[i] < 0)
				continue;
			if (poll(&p, 1, 0) == 1) {
				int64_t took = mono_ms() - t0[i];

				expect_error(read_reply(fds[i], NULL), ETIMEDOUT,
					     "not complete within 200 ms");
				assert_true(peer_closed(fds[i]));
				close(fds[i]);
				fds[i] = -1;
				left--;
				assert_true(took >= 200 - 1);
				continue;
			}
			assert_true(off[i] < len[i] - 1);	/* cut first */
			if (!off[i])
				t0[i] = mono_ms();
			raw_write(fds[i], req[i] + off[i]++, 1);
		}
		usleep(50 * 1000);
	}
	assert_int_equal(left, 0);
	assert_int_equal(stat_of(f, "request_timeouts"), N);
	assert_int_equal(stat_of(f, "evicted"), 0);
	stop_thread(f);
	/* the first scan's at once; later ones within the minute wait */
	assert_int_equal(f->nr_log, 1);
	assert_true(!strncmp(f->log[0], "ctl socket: closed ", 19) &&
		    strtoul(f->log[0] + 19, NULL, 10) >= 1);
	assert_non_null(strstr(f->log[0], " slow (request not complete 200 ms "
				"after its first byte)"));
	start_thread(f);
}

/* Evictions and timeouts logged at most once per period, none lost. */
static void test_log_once_per_period(void **state)
{
	struct fixture *f = *state;
	enum { EV = 10, N = GK_CTL_MAX_CLIENTS - 1 + EV, PERIOD = 300 };
	int fds[N];
	unsigned i, sum = 0, k;

	stop_thread(f);
	gk_ctl_server_set_log(f->srv, log_line, f, PERIOD);
	start_thread(f);
	for (i = 0; i < N; i++)
		fds[i] = raw_connect(f->path);
	for (i = 0; i < EV; i++)
		expect_evicted(fds[i]);
	/* the rest comes when the period ends, without any new event */
	for (k = 0; k < 50 && sum < EV; k++) {
		usleep(100 * 1000);
		stop_thread(f);
		for (i = 0, sum = 0; i < f->nr_log; i++) {
			const char *p = strstr(f->log[i], "closed ");

			assert_non_null(p);
			sum += (unsigned)strtoul(p + 7, NULL, 10);
			assert_non_null(strstr(f->log[i], " evicted (table full"));
		}
		start_thread(f);
	}
	for (i = 0; i < f->nr_log; i++)
		print_message("log +%lld ms: %s\n",
			      (long long)(f->log_ms[i] - f->log_ms[0]), f->log[i]);
	assert_int_equal(sum, EV);
	/* one dispatch may accept (and evict) several at once */
	assert_true(f->nr_log >= 1 && f->nr_log <= 3);
	for (i = 1; i < f->nr_log; i++)
		assert_true(f->log_ms[i] - f->log_ms[i - 1] >= PERIOD - 5);
	for (i = EV; i < N; i++)
		close(fds[i]);
}

static void *caller(void *arg)
{
	struct fixture *f = arg;
	long bad = 0;
	int i;

	for (i = 0; i < 50; i++) {
		json_t *a = json_pack("{s:i}", "i", i), *res = NULL;
		char err[256];

		if (gk_ctl_call(f->path, "echo", a, &res, err, sizeof(err),
				IO_WAIT_MS) ||
		    json_integer_value(json_object_get(json_object_get(res, "args"),
						       "i")) != i)
			bad++;
		json_decref(res);
		json_decref(a);
	}
	return (void *)bad;
}

static void test_concurrent_callers(void **state)
{
	struct fixture *f = *state;
	pthread_t th[8];
	size_t i;

	for (i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&th[i], NULL, caller, f), 0);
	for (i = 0; i < 8; i++) {
		void *bad;

		pthread_join(th[i], &bad);
		assert_int_equal((long)bad, 0);
	}
	assert_alive(f);
}

static void test_socket_mode(void **state)
{
	struct fixture *f = *state;
	char parent[128];
	struct stat st;

	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_mode & 0002, 0);

	snprintf(parent, sizeof(parent), "%s/run/sub", f->dir);
	assert_int_equal(stat(parent, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
}

/* An unprivileged user is refused by the socket's mode, with a clear message. */
static void test_permission_denied(void **state)
{
	struct fixture *f = *state;
	int status;
	pid_t pid;

	if (geteuid() != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		json_t *res;
		char err[256];
		int ret;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(10);
		ret = gk_ctl_call(f->path, "echo", NULL, &res, err,
				  sizeof(err), IO_WAIT_MS);
		if (ret != -EACCES)
			_exit(11);
		if (!strstr(err, "permission denied on") || !strstr(err, f->path))
			_exit(12);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_second_server_fails(void **state)
{
	struct fixture *f = *state;
	struct gk_ctl_server *s2;
	char err[256];

	errno = 0;
	s2 = gk_ctl_server_open(f->path, fake_cmds, 1, NULL, err, sizeof(err));
	assert_null(s2);
	assert_int_equal(errno, EADDRINUSE);
	assert_non_null(strstr(err, "another daemon is listening"));
	/* the live socket was left alone */
	assert_alive(f);
}

static void test_not_a_socket(void **state)
{
	struct fixture *f = *state;
	char path[128], err[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/file.sock", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	errno = 0;
	assert_null(gk_ctl_server_open(path, fake_cmds, 1, NULL, err, sizeof(err)));
	assert_int_equal(errno, EEXIST);
	assert_non_null(strstr(err, "not a socket"));
	/* and the file is still there */
	assert_int_equal(access(path, F_OK), 0);
}

/* A socket left by a crashed daemon is refused, then taken over. */
static void test_stale_takeover(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct gk_ctl_server *s;
	json_t *res;
	char path[128], err[256];
	bool remote;
	int fd;

	snprintf(path, sizeof(path), "%s/stale.sock", f->dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);	/* never listened, never unlinked: a stale socket */

	assert_int_equal(gk_ctl_call_ex(path, "echo", NULL, &res, &remote, err,
					sizeof(err), IO_WAIT_MS), -ECONNREFUSED);
	assert_false(remote);
	assert_non_null(strstr(err, "connection refused at"));
	assert_non_null(strstr(err, "stale socket?"));

	s = gk_ctl_server_open(path, fake_cmds, 1, NULL, err, sizeof(err));
	assert_non_null(s);
	gk_ctl_server_close(s);
	/* close removed it */
	assert_int_equal(gk_ctl_call_ex(path, "echo", NULL, &res, &remote, err,
					sizeof(err), IO_WAIT_MS), -ENOENT);
	assert_false(remote);
	assert_non_null(strstr(err, "genkand is not running (no socket at"));
}

static void test_close_unlinks(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	stop_thread(f);
	gk_ctl_server_close(f->srv);
	assert_int_equal(stat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* reopen so teardown has a server to close */
	{
		char err[256];

		f->srv = gk_ctl_server_open(f->path, fake_cmds,
					    sizeof(fake_cmds) / sizeof(fake_cmds[0]),
					    f, err, sizeof(err));
		assert_non_null(f->srv);
		assert_int_equal(gk_ctl_server_set_idle_ms(f->srv, 3600 * 1000), 0);
		start_thread(f);
	}
	assert_alive(f);
}

/* A client that connects and sends nothing is told and dropped after
 * idle_ms, a half-sent request after request_ms, an unread reply after
 * idle_ms without progress. */
static void test_idle_client_dropped(void **state)
{
	struct fixture *f = *state;
	char buf[65536];
	size_t got = 0;
	ssize_t n;
	int fd;

	stop_thread(f);
	assert_int_equal(gk_ctl_server_set_idle_ms(f->srv, 50), 0);
	assert_int_equal(gk_ctl_server_set_request_ms(f->srv, 80), 0);
	start_thread(f);
	fd = raw_connect(f->path);
	expect_error(read_reply(fd, NULL), ETIMEDOUT, "no request within 50 ms");
	assert_true(peer_closed(fd));
	close(fd);

	/* a request that stops halfway is dropped too */
	fd = raw_connect(f->path);
	raw_request(fd, GK_CTL_MAGIC, GK_CTL_VERSION, 100, 2, "{\"cmd\":");
	expect_error(read_reply(fd, NULL), ETIMEDOUT,
		     "request not complete within 80 ms");
	assert_true(peer_closed(fd));
	close(fd);

	/* a reply nobody reads: cut mid-stream, without an extra message */
	fd = raw_connect(f->path);
	send_json(fd, 3, "{\"cmd\":\"big\",\"args\":{\"len\":4194304}}");
	{
		/* the hang-up shows while the reply's start is still unread */
		struct pollfd p = { .fd = fd, .events = POLLRDHUP };

		assert_int_equal(poll(&p, 1, IO_WAIT_MS), 1);
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		got += (size_t)n;
	assert_true(got > 0 && got < 4194304);
	close(fd);

	assert_int_equal(stat_of(f, "idle_timeouts"), 1);
	assert_int_equal(stat_of(f, "request_timeouts"), 1);
	assert_int_equal(stat_of(f, "reply_timeouts"), 1);
	assert_alive(f);
}

/* A daemon that never answers costs the client timeout_ms, not forever. */
static void test_client_timeout(void **state)
{
	struct fixture *f = *state;
	json_t *res;
	char err[256];
	bool remote;

	stop_thread(f);	/* the socket still accepts into its backlog */
	assert_int_equal(gk_ctl_call_ex(f->path, "echo", NULL, &res, &remote,
					err, sizeof(err), 100), -ETIMEDOUT);
	assert_false(remote);
	assert_non_null(strstr(err, "timed out"));
	start_thread(f);
	assert_alive(f);
}

struct raw_srv {
	int lfd;
	uint16_t version;
	uint32_t magic;
};

/* Answers one request with a header of the configured magic/version. */
static void *raw_server(void *arg)
{
	struct raw_srv *r = arg;
	struct gk_ctl_hdr h;
	char buf[256];
	int fd = accept(r->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	if (read_n(fd, &h, sizeof(h)) == sizeof(h) && h.len < sizeof(buf))
		read_n(fd, buf, h.len);
	h.magic = r->magic;
	h.version = r->version;
	h.len = 2;
	if (send(fd, &h, sizeof(h), MSG_NOSIGNAL) == sizeof(h) &&
	    send(fd, "{}", 2, MSG_NOSIGNAL) == 2) {
		/* sent */
	}
	close(fd);
	return NULL;
}

static void run_raw(struct fixture *f, uint32_t magic, uint16_t version,
		    const char *frag)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct raw_srv r = { .magic = magic, .version = version };
	pthread_t th;
	json_t *res;
	char path[128], err[256];
	bool remote;

	snprintf(path, sizeof(path), "%s/raw.sock", f->dir);
	unlink(path);
	r.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(r.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(r.lfd, 1), 0);
	assert_int_equal(pthread_create(&th, NULL, raw_server, &r), 0);
	assert_int_equal(gk_ctl_call_ex(path, "echo", NULL, &res, &remote, err,
					sizeof(err), IO_WAIT_MS), -EPROTO);
	pthread_join(th, NULL);
	close(r.lfd);
	assert_false(remote);
	if (!strstr(err, frag)) {
		print_error("'%s' lacks '%s'\n", err, frag);
		fail();
	}
}

static void test_client_protocol_errors(void **state)
{
	struct fixture *f = *state;

	run_raw(f, 0x12345678, GK_CTL_VERSION, "bad magic");
	run_raw(f, GK_CTL_MAGIC, GK_CTL_VERSION, "no \"ok\" flag");
	/* version mismatch names both sides */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		struct raw_srv r = { .magic = GK_CTL_MAGIC, .version = 2 };
		pthread_t th;
		json_t *res;
		char path[128], err[256];
		int ret;

		snprintf(path, sizeof(path), "%s/raw2.sock", f->dir);
		r.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
		strcpy(sa.sun_path, path);
		assert_int_equal(bind(r.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(listen(r.lfd, 1), 0);
		assert_int_equal(pthread_create(&th, NULL, raw_server, &r), 0);
		ret = gk_ctl_call(path, "echo", NULL, &res, err, sizeof(err),
				  IO_WAIT_MS);
		pthread_join(th, NULL);
		close(r.lfd);
		assert_int_equal(ret, -EPROTONOSUPPORT);
		assert_non_null(strstr(err, "version 2"));
		assert_non_null(strstr(err, "version 1"));
	}
}

struct busy_srv {
	int lfd;
	unsigned busy;		/* connections to answer EBUSY first */
	bool unread;		/* with seq 0 (request not read), else its seq */
	unsigned conns;
};

/* Answers EBUSY @busy times, then ok; one connection each. */
static void *busy_server(void *arg)
{
	struct busy_srv *b = arg;

	for (;;) {
		struct gk_ctl_hdr h;
		char body[256], *buf;
		size_t len;
		json_t *r;
		int fd = accept(b->lfd, NULL, NULL);

		if (fd < 0)
			return NULL;
		if (read_n(fd, &h, sizeof(h)) == sizeof(h) && h.len < sizeof(body))
			read_n(fd, body, h.len);
		r = b->conns++ < b->busy ?
			gk_ctl_reply_err(EBUSY, "too many ctl clients: evicted") :
			gk_ctl_reply_ok(NULL);
		if (r && !gk_ctl_encode(r, b->conns <= b->busy && b->unread ? 0 : h.seq,
					GK_CTL_MAX_RESP, &buf, &len)) {
			if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len) {
				/* the client sees it */
			}
			free(buf);
		}
		json_decref(r);
		close(fd);
		if (b->conns > b->busy)
			return NULL;
	}
}

static int busy_call(struct fixture *f, unsigned busy, bool unread,
		     unsigned *conns, bool *remote)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct busy_srv b = { .busy = busy, .unread = unread };
	pthread_t th;
	json_t *res = NULL;
	char path[128], err[256];
	int ret;

	snprintf(path, sizeof(path), "%s/busy.sock", f->dir);
	unlink(path);
	b.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(b.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(b.lfd, 8), 0);
	assert_int_equal(pthread_create(&th, NULL, busy_server, &b), 0);
	ret = gk_ctl_call_ex(path, "echo", NULL, &res, remote, err, sizeof(err),
			     IO_WAIT_MS);
	json_decref(res);
	if (ret)	/* no retry: the server still waits for one */
		shutdown(b.lfd, SHUT_RDWR);
	pthread_join(th, NULL);
	close(b.lfd);
	*conns = b.conns;
	return ret;
}

/* Evicted before its request was read (EBUSY with seq 0): nothing was
 * done, the client tries again; a command's own EBUSY is final. */
static void test_client_retries_unread(void **state)
{
	struct fixture *f = *state;
	unsigned conns;
	bool remote;

	assert_int_equal(busy_call(f, 3, true, &conns, &remote), 0);
	assert_int_equal(conns, 4);
	assert_int_equal(busy_call(f, 1, false, &conns, &remote), -EBUSY);
	assert_int_equal(conns, 1);
	assert_true(remote);
}

static void test_proto_helpers(void **state)
{
	struct gk_ctl_hdr h;
	json_t *root, *args, *r;
	const char *cmd;
	char err[128], *buf;
	size_t len;

	gk_ctl_hdr_init(&h, 10, 3);
	assert_int_equal(gk_ctl_hdr_check(&h, 10, err, sizeof(err)), 0);
	assert_int_equal(gk_ctl_hdr_check(&h, 9, err, sizeof(err)), -EMSGSIZE);
	/* the wire bytes of the magic in host (little-endian here) order */
	assert_memory_equal(&h, "TCKG", 4);

	assert_int_equal(gk_ctl_request_parse("{\"cmd\":\"x\"}", 11, &root, &cmd,
					      &args, err, sizeof(err)), 0);
	assert_string_equal(cmd, "x");
	assert_null(args);
	json_decref(root);

	r = gk_ctl_reply_ok(NULL);
	assert_int_equal(gk_ctl_encode(r, 9, 1000, &buf, &len), 0);
	memcpy(&h, buf, sizeof(h));
	assert_int_equal(h.len, len - sizeof(h));
	assert_int_equal(h.seq, 9);
	assert_memory_equal(buf + sizeof(h), "{\"ok\":true,\"result\":{}}",
			    len - sizeof(h));
	assert_int_equal(gk_ctl_encode(r, 9, 5, &buf, &len) == -EMSGSIZE, 1);
	free(buf);
	json_decref(r);

	/* invalid UTF-8 in a handler message falls back to strerror */
	r = gk_ctl_reply_err(-EIO, "bad \xff byte");
	assert_string_equal(json_string_value(json_object_get(r, "error")),
			    strerror(EIO));
	assert_int_equal(json_integer_value(json_object_get(r, "errno")), EIO);
	json_decref(r);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_helpers),
		T(test_good_calls),
		T(test_bad_magic),
		T(test_wrong_version),
		T(test_bad_flags),
		T(test_oversized),
		T(test_max_request),
		T(test_truncated),
		T(test_bad_payloads),
		T(test_pipelined),
		T(test_big_response),
		T(test_response_too_big),
		T(test_many_clients),
		T(test_full_table_fresh_call),
		T(test_trickler_cut),
		T(test_slowest_evicted_first),
		T(test_request_deadline),
		T(test_log_once_per_period),
		T(test_concurrent_callers),
		T(test_socket_mode),
		T(test_permission_denied),
		T(test_second_server_fails),
		T(test_not_a_socket),
		T(test_stale_takeover),
		T(test_close_unlinks),
		T(test_idle_client_dropped),
		T(test_client_timeout),
		T(test_client_protocol_errors),
		T(test_client_retries_unread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
