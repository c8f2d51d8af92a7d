/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "log.h"

static enum gk_log_level cur_level = GK_LOG_INFO;

static const char *const level_names[] = {
	[GK_LOG_ERROR] = "error",
	[GK_LOG_WARN] = "warn",
	[GK_LOG_INFO] = "info",
	[GK_LOG_DEBUG] = "debug",
};

void gk_log_set_level(enum gk_log_level level)
{
	cur_level = level;
}

void gk_log(enum gk_log_level level, const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	va_list ap;

	if (level > cur_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One fprintf per line so concurrent lines don't interleave. */
	char line[1024];
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s.%03ldZ genkand %s: %s\n", stamp, ts.tv_nsec / 1000000,
		level_names[level], line);
}
