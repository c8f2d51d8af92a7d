/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * genkand's log renderer (ctl/genkand/log.c): the text line is the one
 * genkand always wrote; json lines parse back with jansson into the same
 * fields, whatever bytes the values hold (quotes, newlines, control
 * characters, bytes that are not UTF-8); under the journal every line starts
 * with its syslog priority and text lines drop the timestamp. Lines written
 * through gk_log/gk_event to stderr are read back from a file.
 */
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
#include <jansson.h>

#include "log.h"

/* 2026-12-07T01:02:03.456Z */
static const struct timespec TS = { .tv_sec = 1796605323, .tv_nsec = 456789000 };

/* The line is one line: ends in '\n', has no other. */
static void one_line(const char *l)
{
	size_t n = strlen(l);

	assert_true(n > 1);
	assert_int_equal(l[n - 1], '\n');
	assert_null(memchr(l, '\n', n - 1));
}

static json_t *parse(const char *l)
{
	json_error_t e;
	json_t *o;

	one_line(l);
	o = json_loadb(l, strlen(l) - 1, 0, &e);
	if (!o)
		fail_msg("not JSON (%s): %s", e.text, l);
	assert_true(json_is_object(o));
	return o;
}

static const char *jget(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!v || !json_is_string(v))
		fail_msg("no string field %s", k);
	return json_string_value(v);
}

static void test_text(void **state)
{
	char *l;

	(void)state;
	l = gk_log_render(GK_LOG_FMT_TEXT, false, &TS, GK_LOG_WARN, "l4",
			  "backend_down", GK_KVS(GK_KV_S("service", "web")),
			  "l4-service web: backend 198.18.8.4:443 is down");
	assert_string_equal(l, "2026-12-07T01:02:03.456Z genkand warn: l4-service "
			    "web: backend 198.18.8.4:443 is down\n");
	free(l);
	l = gk_log_render(GK_LOG_FMT_TEXT, false, &TS, GK_LOG_DEBUG, "genkand",
			  NULL, NULL, 0, "x");
	assert_string_equal(l, "2026-12-07T01:02:03.456Z genkand debug: x\n");
	free(l);
}

static void test_journal_prefix(void **state)
{
	static const struct { enum gk_log_level lv; const char *want; } t[] = {
		{ GK_LOG_ERROR, "<3>genkand error: m\n" },
		{ GK_LOG_WARN, "<4>genkand warn: m\n" },
		{ GK_LOG_INFO, "<6>genkand info: m\n" },
		{ GK_LOG_DEBUG, "<7>genkand debug: m\n" },
	};
	char *l;

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		l = gk_log_render(GK_LOG_FMT_TEXT, true, &TS, t[i].lv, "genkand",
				  NULL, NULL, 0, "m");
		assert_string_equal(l, t[i].want);
		free(l);
	}
	l = gk_log_render(GK_LOG_FMT_JSON, true, &TS, GK_LOG_ERROR, "worker",
			  "worker_stalled", GK_KVS(GK_KV_N("worker", 1)), "m");
	assert_memory_equal(l, "<3>{", 4);
	json_t *o = parse(l + 3);
	assert_string_equal(jget(o, "level"), "error");
	assert_string_equal(jget(o, "ts"), "2026-12-07T01:02:03.456Z");
	json_decref(o);
	free(l);
}

static void test_json_fields(void **state)
{
	char *l;
	json_t *o;

	(void)state;
	l = gk_log_render(GK_LOG_FMT_JSON, false, &TS, GK_LOG_WARN, "l4",
			  "backend_down",
			  GK_KVS(GK_KV_S("service", "web"),
				 GK_KV_S("backend", "198.18.8.4:443"),
				 GK_KV_N("count", -3),
				 GK_KV_N("big", 18446744073709551ull)),
			  "l4-service web: backend 198.18.8.4:443 is down");
	assert_memory_equal(l, "{\"ts\":", 6);	/* ts first, no prefix */
	o = parse(l);
	assert_int_equal(json_object_size(o), 9);
	assert_string_equal(jget(o, "ts"), "2026-12-07T01:02:03.456Z");
	assert_string_equal(jget(o, "level"), "warn");
	assert_string_equal(jget(o, "subsystem"), "l4");
	assert_string_equal(jget(o, "event"), "backend_down");
	assert_string_equal(jget(o, "service"), "web");
	assert_string_equal(jget(o, "backend"), "198.18.8.4:443");
	assert_int_equal(json_integer_value(json_object_get(o, "count")), -3);
	assert_int_equal(json_integer_value(json_object_get(o, "big")),
			 18446744073709551ll);
	assert_string_equal(jget(o, "msg"),
			    "l4-service web: backend 198.18.8.4:443 is down");
	json_decref(o);
	free(l);

	/* A plain line: no event field. */
	l = gk_log_render(GK_LOG_FMT_JSON, false, &TS, GK_LOG_INFO, "genkand",
			  NULL, NULL, 0, "ready");
	o = parse(l);
	assert_int_equal(json_object_size(o), 4);
	assert_null(json_object_get(o, "event"));
	assert_string_equal(jget(o, "subsystem"), "genkand");
	assert_string_equal(jget(o, "msg"), "ready");
	json_decref(o);
	free(l);
}

static void test_json_escaping(void **state)
{
	static const char nasty[] = "a\"b\\c\nd\re\tf\x01g\x1fh\x7fi";
	char *l;
	json_t *o;

	(void)state;
	l = gk_log_render(GK_LOG_FMT_JSON, false, &TS, GK_LOG_WARN, "wireguard",
			  "handshake_failed", GK_KVS(GK_KV_S("peer", nasty)),
			  nasty);
	o = parse(l);
	assert_string_equal(jget(o, "peer"), nasty);
	assert_string_equal(jget(o, "msg"), nasty);
	json_decref(o);
	free(l);

	/* Not UTF-8: the byte becomes '?', the line stays valid JSON. */
	l = gk_log_render(GK_LOG_FMT_JSON, false, &TS, GK_LOG_INFO, "port",
			  "port_up", GK_KVS(GK_KV_S("interface", "e\xff" "0")),
			  "caf\xc3\xa9 \xc3");
	o = parse(l);
	assert_string_equal(jget(o, "interface"), "e?0");
	assert_string_equal(jget(o, "msg"), "caf?? ?");
	json_decref(o);
	free(l);
}

/* Runs fn with stderr on a temporary file; returns what it wrote. */
static char *capture(void (*fn)(void))
{
	static char buf[8192];
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(f);
	fflush(stderr);
	assert_int_equal(dup2(fileno(f), STDERR_FILENO), STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void emit_some(void)
{
	gk_log_set_level(GK_LOG_INFO);
	gk_log_set_format(GK_LOG_FMT_JSON);
	gk_info("plain %d", 7);
	gk_dbg("filtered");
	gk_event(GK_LOG_WARN, "port", "port_down",
		 GK_KVS(GK_KV_S("port", "lan"), GK_KV_N("ifindex", 4)),
		 "port %s: gone", "lan");
	gk_log_set_format(GK_LOG_FMT_TEXT);
	gk_event(GK_LOG_INFO, "port", "port_up", GK_KVS(GK_KV_S("port", "lan")),
		 "port %s: back", "lan");
}

static void test_stderr(void **state)
{
	char *out, *nl, *third;
	json_t *o;

	(void)state;
	unsetenv("JOURNAL_STREAM");
	out = capture(emit_some);
	nl = strchr(out, '\n');
	assert_non_null(nl);
	*nl = '\0';
	o = json_loads(out, 0, NULL);
	assert_non_null(o);
	assert_string_equal(jget(o, "msg"), "plain 7");
	assert_string_equal(jget(o, "subsystem"), "genkand");
	json_decref(o);
	out = nl + 1;
	nl = strchr(out, '\n');
	assert_non_null(nl);
	*nl = '\0';
	o = json_loads(out, 0, NULL);
	assert_non_null(o);
	assert_string_equal(jget(o, "event"), "port_down");
	assert_int_equal(json_integer_value(json_object_get(o, "ifindex")), 4);
	json_decref(o);
	third = nl + 1;
	/* Text again: "<ts> genkand info: port lan: back", nothing after. */
	assert_non_null(strstr(third, "Z genkand info: port lan: back\n"));
	assert_null(strchr(third, '{'));
	assert_string_equal(strchr(third, '\n'), "\n");
}

static void test_journal_detect(void **state)
{
	struct stat st;
	char v[64];

	(void)state;
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	unsetenv("JOURNAL_STREAM");
	assert_false(gk_log_journal_detect());
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
	assert_true(gk_log_journal_detect());
	/* Another stream (stderr redirected by a child's caller): not ours. */
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", v, 1);
	assert_false(gk_log_journal_detect());
	setenv("JOURNAL_STREAM", "garbage", 1);
	assert_false(gk_log_journal_detect());
	unsetenv("JOURNAL_STREAM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_journal_prefix),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_stderr),
		cmocka_unit_test(test_journal_detect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
