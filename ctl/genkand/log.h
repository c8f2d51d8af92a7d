/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * genkand logging: stderr, one line per event, level-filtered. Never logs keys.
 * log_format = text keeps "<ts> genkand <level>: <msg>"; json writes one object
 * per line {"ts","level","subsystem","event"?,<fields>...,"msg"}. Under systemd
 * (JOURNAL_STREAM names our stderr) each line starts with its syslog priority
 * "<3>".."<7>" and text lines drop the timestamp. Events: docs/logs.md.
 */
#ifndef GK_LOG_H
#define GK_LOG_H

#include <stdbool.h>
#include <time.h>

#include "config.h"

/* One field of an event: a string, or a number when str is NULL. */
struct gk_log_kv {
	const char *key;
	const char *str;
	long long num;
};

#define GK_KV_S(k, v)	((struct gk_log_kv){ .key = (k), .str = (v) })
#define GK_KV_N(k, v)	((struct gk_log_kv){ .key = (k), .num = (long long)(v) })
/* GK_KVS(GK_KV_S(..), ...) expands to the two arguments kv, nkv. */
#define GK_KVS(...)	(const struct gk_log_kv[]){ __VA_ARGS__ },		\
	sizeof((const struct gk_log_kv[]){ __VA_ARGS__ }) / sizeof(struct gk_log_kv)

void gk_log_set_level(enum gk_log_level level);
void gk_log_set_format(enum gk_log_format format);
/* Whether stderr is the journal (JOURNAL_STREAM = stderr's "dev:ino"). */
bool gk_log_journal_detect(void);

void gk_log(enum gk_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A structured event; msg is the text-mode line, unchanged from before. */
void gk_event(enum gk_log_level level, const char *subsys, const char *event,
	      const struct gk_log_kv *kv, unsigned nkv, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Renders one line, '\n' included; returns a malloc'd string (NULL: ENOMEM). */
char *gk_log_render(enum gk_log_format format, bool journal,
		    const struct timespec *ts, enum gk_log_level level,
		    const char *subsys, const char *event,
		    const struct gk_log_kv *kv, unsigned nkv, const char *msg);

#define gk_err(...)	gk_log(GK_LOG_ERROR, __VA_ARGS__)
#define gk_warn(...)	gk_log(GK_LOG_WARN, __VA_ARGS__)
#define gk_info(...)	gk_log(GK_LOG_INFO, __VA_ARGS__)
#define gk_dbg(...)	gk_log(GK_LOG_DEBUG, __VA_ARGS__)

#endif
