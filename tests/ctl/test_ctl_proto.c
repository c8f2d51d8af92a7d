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
#include <unistd.h>

#include <cmocka.h>

#include "ctl_client.h"
#include "ctl_proto.h"
#include "ctl_server.h"

#define IO_WAIT_MS 20000	/* upper bound only; never what a test measures */
#define BIG_LEN (4u << 20)

struct fixture {
	char dir[64];
	char path[108];
	struct gk_ctl_server *srv;
	pthread_t thread;
	int stopfd;
	bool running;
};

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

static const struct gk_ctl_cmd fake_cmds[] = {
	{ "echo", fn_echo, "return the args" },
	{ "fail", fn_fail, "always fails with ENOENT" },
	{ "fail_noerr", fn_fail_noerr, "fails without a message" },
	{ "big", fn_big, "returns a blob of args.len bytes" },
	{ "nclients", fn_nclients, "connected clients" },
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
	assert_int_equal(json_array_size(cmds), 7);
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

/* More clients than slots: the extra ones get EBUSY, the rest are served. */
static void test_many_clients(void **state)
{
	struct fixture *f = *state;
	int fds[GK_CTL_MAX_CLIENTS + 8];
	size_t i;

	for (i = 0; i < GK_CTL_MAX_CLIENTS; i++)
		fds[i] = raw_connect(f->path);
	/* One request on the last held slot proves all of them were accepted
	 * (the backlog is FIFO) and counts them from inside the server. */
	{
		json_t *r;

		send_json(fds[GK_CTL_MAX_CLIENTS - 1], 1, "{\"cmd\":\"nclients\"}");
		r = read_reply(fds[GK_CTL_MAX_CLIENTS - 1], NULL);
		assert_int_equal(json_integer_value(json_object_get(
			json_object_get(r, "result"), "clients")),
			GK_CTL_MAX_CLIENTS);
		json_decref(r);
	}
	for (i = GK_CTL_MAX_CLIENTS; i < GK_CTL_MAX_CLIENTS + 8; i++) {
		fds[i] = raw_connect(f->path);
		expect_error(read_reply(fds[i], NULL), EBUSY, "too many");
		assert_true(peer_closed(fds[i]));
		close(fds[i]);
	}
	for (i = 0; i < GK_CTL_MAX_CLIENTS; i++) {
		json_t *r;
		uint32_t seq;

		send_json(fds[i], (uint32_t)i, "{\"cmd\":\"echo\"}");
		r = read_reply(fds[i], &seq);
		assert_int_equal(seq, i);
		assert_true(json_is_true(json_object_get(r, "ok")));
		json_decref(r);
	}
	for (i = 0; i < GK_CTL_MAX_CLIENTS; i++)
		close(fds[i]);
	assert_alive(f);
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

/* A client that connects and sends nothing is dropped by the idle timer. */
static void test_idle_client_dropped(void **state)
{
	struct fixture *f = *state;
	int fd;

	stop_thread(f);
	assert_int_equal(gk_ctl_server_set_idle_ms(f->srv, 50), 0);
	start_thread(f);
	fd = raw_connect(f->path);
	assert_true(peer_closed(fd));
	close(fd);

	/* a request that stops halfway is dropped too */
	fd = raw_connect(f->path);
	raw_request(fd, GK_CTL_MAGIC, GK_CTL_VERSION, 100, 2, "{\"cmd\":");
	assert_true(peer_closed(fd));
	close(fd);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
