/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ctl socket's directory (issue #13, least privilege): genkand refuses
 * one that others can write, naming it, and takes one only its owner
 * (us or root) can write.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctl_server.h"

static const struct gk_ctl_cmd no_cmds[1];

struct fx {
	char dir[64];		/* mkdtemp: 0700, ours */
	char sub[96];		/* the socket's directory, per test */
	char path[128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/gk-ctldir-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->sub, sizeof(f->sub), "%s/run", f->dir);
	snprintf(f->path, sizeof(f->path), "%s/g.sock", f->sub);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->path);
	rmdir(f->sub);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Opens the server in a directory of @mode (owner @uid); NULL if refused. */
static struct gk_ctl_server *open_in(struct fx *f, mode_t mode, uid_t uid,
				     char *err, size_t errlen)
{
	assert_int_equal(mkdir(f->sub, 0700), 0);
	assert_int_equal(chmod(f->sub, mode), 0);	/* past the umask */
	if (uid != geteuid())
		assert_int_equal(chown(f->sub, uid, (gid_t)-1), 0);
	err[0] = '\0';
	errno = 0;
	return gk_ctl_server_open(f->path, no_cmds, 0, NULL, err, errlen);
}

static void refused(void **state, mode_t mode, uid_t uid, const char *why)
{
	struct fx *f = *state;
	struct gk_ctl_server *s;
	char err[512];

	s = open_in(f, mode, uid, err, sizeof(err));
	assert_null(s);
	assert_int_equal(errno, EPERM);
	if (!strstr(err, f->sub) || !strstr(err, why))
		fail_msg("mode %04o uid %u: '%s' should name %s and say %s",
			 (unsigned)mode, (unsigned)uid, err, f->sub, why);
	assert_int_equal(access(f->path, F_OK), -1);	/* nothing created */
}

static void taken(void **state, mode_t mode)
{
	struct fx *f = *state;
	struct gk_ctl_server *s;
	struct stat st;
	char err[512];

	s = open_in(f, mode, geteuid(), err, sizeof(err));
	if (!s)
		fail_msg("mode %04o refused: %s", (unsigned)mode, err);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	gk_ctl_server_close(s);
}

static void test_world_writable(void **state)
{
	refused(state, 0777, geteuid(), "world-writable");
}

static void test_world_writable_sticky(void **state)
{
	/* /tmp's mode: others may not remove our socket, but may squat the
	 * name before we bind and after we go. */
	refused(state, 01777, geteuid(), "world-writable");
}

static void test_group_writable(void **state)
{
	refused(state, 0775, geteuid(), "group-writable");
}

static void test_group_writable_only(void **state)
{
	refused(state, 0730, geteuid(), "group-writable");
}

static void test_other_owner(void **state)
{
	if (geteuid() != 0)
		skip();
	refused(state, 0755, 65534, "belongs to uid 65534");
}

static void test_owner_only(void **state)
{
	taken(state, 0700);
}

static void test_owner_writable_all_readable(void **state)
{
	taken(state, 0755);	/* /run/genkan as made by genkand */
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_world_writable),
		T(test_world_writable_sticky),
		T(test_group_writable),
		T(test_group_writable_only),
		T(test_other_owner),
		T(test_owner_only),
		T(test_owner_writable_all_readable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
