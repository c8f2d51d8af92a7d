/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"

static enum gk_log_level cur_level = GK_LOG_INFO;
static enum gk_log_format cur_format = GK_LOG_FMT_TEXT;
static bool journal;
static pthread_once_t journal_once = PTHREAD_ONCE_INIT;

static const char *const level_names[] = {
	[GK_LOG_ERROR] = "error",
	[GK_LOG_WARN] = "warn",
	[GK_LOG_INFO] = "info",
	[GK_LOG_DEBUG] = "debug",
};

/* syslog priorities (sd-daemon.h SD_ERR, SD_WARNING, SD_INFO, SD_DEBUG). */
static const int level_prio[] = {
	[GK_LOG_ERROR] = 3,
	[GK_LOG_WARN] = 4,
	[GK_LOG_INFO] = 6,
	[GK_LOG_DEBUG] = 7,
};

void gk_log_set_level(enum gk_log_level level)
{
	cur_level = level;
}

void gk_log_set_format(enum gk_log_format format)
{
	cur_format = format;
}

bool gk_log_journal_detect(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (!env || sscanf(env, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st))
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

static void journal_init(void)
{
	journal = gk_log_journal_detect();
}

/* jansson takes UTF-8 only: anything else becomes '?', never dropped. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j)
		return j;
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (char *c = copy; *c; c++)
		if ((unsigned char)*c >= 0x80)
			*c = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static char *render_json(const char *prefix, const char *stamp,
			 enum gk_log_level level, const char *subsys,
			 const char *event, const struct gk_log_kv *kv,
			 unsigned nkv, const char *msg)
{
	json_t *o = json_object();
	char *body, *line = NULL;

	if (!o)
		return NULL;
	json_object_set_new(o, "ts", json_string(stamp));
	json_object_set_new(o, "level", json_string(level_names[level]));
	json_object_set_new(o, "subsystem", jstr(subsys));
	if (event)
		json_object_set_new(o, "event", jstr(event));
	for (unsigned i = 0; i < nkv; i++)
		json_object_set_new(o, kv[i].key, kv[i].str ? jstr(kv[i].str)
					: json_integer(kv[i].num));
	json_object_set_new(o, "msg", jstr(msg));
	body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!body)
		return NULL;
	if (asprintf(&line, "%s%s\n", prefix, body) < 0)
		line = NULL;
	free(body);
	return line;
}

char *gk_log_render(enum gk_log_format format, bool jrnl,
		    const struct timespec *ts, enum gk_log_level level,
		    const char *subsys, const char *event,
		    const struct gk_log_kv *kv, unsigned nkv, const char *msg)
{
	char stamp[40], prefix[8] = "";
	struct tm tm;
	char *line = NULL;
	size_t n;

	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		level = GK_LOG_ERROR;
	gmtime_r(&ts->tv_sec, &tm);
	n = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + n, sizeof(stamp) - n, ".%03ldZ", ts->tv_nsec / 1000000);
	if (jrnl)
		snprintf(prefix, sizeof(prefix), "<%d>", level_prio[level]);
	if (format == GK_LOG_FMT_JSON)
		return render_json(prefix, stamp, level, subsys, event, kv, nkv, msg);
	/* Text: the line genkand always wrote; the journal stamps it itself. */
	if (asprintf(&line, "%s%s%sgenkand %s: %s\n", prefix, jrnl ? "" : stamp,
		     jrnl ? "" : " ", level_names[level], msg) < 0)
		line = NULL;
	return line;
}

static void emit(enum gk_log_level level, const char *subsys, const char *event,
		 const struct gk_log_kv *kv, unsigned nkv, const char *fmt,
		 va_list ap)
{
	struct timespec ts;
	char msg[1024];
	char *line;

	pthread_once(&journal_once, journal_init);
	clock_gettime(CLOCK_REALTIME, &ts);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	line = gk_log_render(cur_format, journal, &ts, level, subsys, event, kv,
			     nkv, msg);
	/* One fputs per line so concurrent lines don't interleave. */
	if (line)
		fputs(line, stderr);
	else
		fprintf(stderr, "genkand %s: %s\n", level_names[level], msg);
	free(line);
}

void gk_log(enum gk_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > cur_level)
		return;
	va_start(ap, fmt);
	emit(level, "genkand", NULL, NULL, 0, fmt, ap);
	va_end(ap);
}

void gk_event(enum gk_log_level level, const char *subsys, const char *event,
	      const struct gk_log_kv *kv, unsigned nkv, const char *fmt, ...)
{
	va_list ap;

	if (level > cur_level)
		return;
	va_start(ap, fmt);
	emit(level, subsys, event, kv, nkv, fmt, ap);
	va_end(ap);
}
