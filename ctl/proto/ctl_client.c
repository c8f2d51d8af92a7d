// SPDX-License-Identifier: BSD-3-Clause
/*
 * Blocking-with-deadline ctl client. Everything runs on a non-blocking
 * socket driven by poll(), so a wedged daemon costs at most timeout_ms.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"
#include "ctl_proto.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for @events until @deadline (< 0: none); 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ret, t;

	for (;;) {
		if (deadline < 0) {
			t = -1;
		} else {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			t = left > INT32_MAX ? INT32_MAX : (int)left;
		}
		ret = poll(&pfd, 1, t);
		if (ret > 0)
			return 0;
		if (ret == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int connect_to(const char *path, int64_t deadline, int *fdp, char *err,
		      size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t sl = sizeof(int);
	int fd, ret, soerr = 0;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-ret));
		return ret;
	}
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	if (ret == -EINPROGRESS) {
		ret = wait_fd(fd, POLLOUT, deadline);
		if (!ret && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
			ret = -errno;
		else if (!ret)
			ret = -soerr;
	}
	switch (ret) {
	case 0:
		*fdp = fd;
		return 0;
	case -ENOENT:
		snprintf(err, errlen, "genkand is not running (no socket at %s)",
			 path);
		break;
	case -ECONNREFUSED:
		snprintf(err, errlen, "connection refused at %s: stale socket?",
			 path);
		break;
	case -EACCES:
	case -EPERM:
		snprintf(err, errlen, "permission denied on %s", path);
		break;
	case -EAGAIN:
		snprintf(err, errlen, "genkand at %s is not accepting connections (backlog full)",
			 path);
		break;
	case -ETIMEDOUT:
		snprintf(err, errlen, "timed out connecting to %s", path);
		break;
	default:
		snprintf(err, errlen, "cannot connect to %s: %s", path,
			 strerror(-ret));
		break;
	}
	close(fd);
	return ret;
}

static int write_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int ret = wait_fd(fd, POLLOUT, deadline);

			if (ret)
				return ret;
			continue;
		}
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* -EPIPE stands for EOF before @len bytes. */
static int read_all(int fd, char *buf, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n = recv(fd, buf, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int ret = wait_fd(fd, POLLIN, deadline);

			if (ret)
				return ret;
			continue;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int io_error(int ret, const char *what, const char *path, char *err,
		    size_t errlen)
{
	if (ret == -ETIMEDOUT)
		snprintf(err, errlen, "timed out %s genkand at %s", what, path);
	else if (ret == -EPIPE)
		snprintf(err, errlen, "genkand at %s closed the connection without a reply",
			 path);
	else
		snprintf(err, errlen, "error %s genkand at %s: %s", what, path,
			 strerror(-ret));
	return ret;
}

/* Interprets the reply payload; see gk_ctl_call_ex() for the contract. */
int gk_ctl_reply_decode(const char *buf, size_t len, json_t **result,
			bool *remote, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *ok, *res, *e, *en;
	int ret;

	root = json_loadb(buf, len, 0, &jerr);
	if (!root) {
		snprintf(err, errlen, "protocol error: reply is not JSON: %s",
			 jerr.text);
		return -EPROTO;
	}
	ok = json_object_get(root, "ok");
	if (!json_is_object(root) || !json_is_boolean(ok)) {
		snprintf(err, errlen, "protocol error: reply has no \"ok\" flag");
		ret = -EPROTO;
		goto out;
	}
	if (json_is_true(ok)) {
		res = json_object_get(root, "result");
		if (res && !json_is_object(res)) {
			snprintf(err, errlen, "protocol error: \"result\" is not an object");
			ret = -EPROTO;
			goto out;
		}
		*result = res ? json_incref(res) : json_object();
		ret = *result ? 0 : -ENOMEM;
		goto out;
	}

	e = json_object_get(root, "error");
	en = json_object_get(root, "errno");
	ret = json_is_integer(en) && json_integer_value(en) > 0 &&
	      json_integer_value(en) < 4096 ? -(int)json_integer_value(en) : -EIO;
	snprintf(err, errlen, "%s", json_is_string(e) ? json_string_value(e)
						      : strerror(-ret));
	if (remote)
		*remote = true;
out:
	json_decref(root);
	return ret;
}

/*
 * One connection, one request, one reply. *@unread is set when the reply
 * was sent before the request was read (seq 0): the daemon did nothing
 * with it.
 */
static int round_trip(const char *path, const char *out, size_t out_len,
		      uint32_t seq, int64_t deadline, json_t **result,
		      bool *remote, bool *unread, char *err, size_t errlen)
{
	struct gk_ctl_hdr h;
	char *in = NULL;
	int fd = -1, ret, wret;

	*unread = false;
	ret = connect_to(path, deadline, &fd, err, errlen);
	if (ret)
		return ret;

	ret = write_all(fd, out, out_len, deadline);
	if (ret && ret != -EPIPE && ret != -ECONNRESET) {
		io_error(ret, "sending to", path, err, errlen);
		goto err_fd;
	}
	/* A server that rejects the header hangs up without reading the
	 * rest; its error reply is still queued and says more than EPIPE. */
	wret = ret;
	ret = read_all(fd, (char *)&h, sizeof(h), deadline);
	if (ret) {
		if (wret)
			io_error(wret, "sending to", path, err, errlen);
		else
			io_error(ret, "waiting for", path, err, errlen);
		ret = wret ? wret : ret;
		goto err_fd;
	}
	{
		char why[160];

		ret = gk_ctl_hdr_check(&h, GK_CTL_MAX_RESP, why, sizeof(why));
		if (ret) {
			snprintf(err, errlen, "protocol error: %s", why);
			goto err_fd;
		}
	}
	/* seq 0 marks a reply sent before the request was read (busy). */
	if (h.seq != seq && h.seq != 0) {
		snprintf(err, errlen, "protocol error: reply seq %u for request %u",
			 h.seq, seq);
		ret = -EPROTO;
		goto err_fd;
	}
	in = malloc(h.len ? h.len : 1);
	if (!in) {
		snprintf(err, errlen, "out of memory for a %u byte reply", h.len);
		ret = -ENOMEM;
		goto err_fd;
	}
	ret = read_all(fd, in, h.len, deadline);
	if (ret) {
		io_error(ret, "reading from", path, err, errlen);
		goto err_in;
	}
	ret = gk_ctl_reply_decode(in, h.len, result, remote, err, errlen);
	*unread = h.seq == 0;
err_in:
	free(in);
err_fd:
	close(fd);
	return ret;
}

int gk_ctl_call_ex(const char *path, const char *cmd, json_t *args,
		   json_t **result, bool *remote, char *err, size_t errlen,
		   int timeout_ms)
{
	static uint32_t counter;
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	json_t *req;
	char *out;
	size_t out_len;
	uint32_t seq = ((uint32_t)getpid() << 16) ^ ++counter;
	unsigned tries, pause_ms = 2;
	bool unread, rem;
	int ret;

	*result = NULL;
	if (remote)
		*remote = false;
	if (!seq)	/* 0 is the server's "not read" */
		seq = 1;

	req = args ? json_pack("{s:s, s:O}", "cmd", cmd, "args", args)
		   : json_pack("{s:s}", "cmd", cmd);
	if (!req) {
		snprintf(err, errlen, "cannot build request for '%s'", cmd);
		return -EINVAL;
	}
	ret = gk_ctl_encode(req, seq, GK_CTL_MAX_REQ, &out, &out_len);
	json_decref(req);
	if (ret) {
		snprintf(err, errlen, "cannot encode request: %s",
			 ret == -EMSGSIZE ? "larger than 64 KiB" : strerror(-ret));
		return ret;
	}

	/*
	 * A full backlog, or an eviction before our request was read (the
	 * daemon keeps a slot for fresh connections by evicting its slowest
	 * client, and a flood of new ones may take ours before we write):
	 * nothing was done, so try again, pausing a little, until the
	 * deadline.
	 */
	for (tries = 1;; tries++) {
		bool again;

		rem = false;
		ret = round_trip(path, out, out_len, seq, deadline, result,
				 &rem, &unread, err, errlen);
		again = (ret == -EAGAIN && !rem) ||
			(ret == -EBUSY && rem && unread);
		if (!again || tries >= 200 ||
		    (deadline >= 0 && now_ms() + pause_ms >= deadline))
			break;
		usleep(pause_ms * 1000);
		if (pause_ms < 50)
			pause_ms *= 2;
	}
	if (remote)
		*remote = rem;
	free(out);
	return ret;
}

int gk_ctl_call(const char *path, const char *cmd, json_t *args,
		json_t **result, char *err, size_t errlen, int timeout_ms)
{
	return gk_ctl_call_ex(path, cmd, args, result, NULL, err, errlen,
			      timeout_ms);
}
