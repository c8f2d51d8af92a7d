/* SPDX-License-Identifier: BSD-3-Clause */
/* genkand logging: stderr, one line per event, level-filtered. Never logs keys. */
#ifndef GK_LOG_H
#define GK_LOG_H

#include "config.h"

void gk_log_set_level(enum gk_log_level level);
void gk_log(enum gk_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define gk_err(...)	gk_log(GK_LOG_ERROR, __VA_ARGS__)
#define gk_warn(...)	gk_log(GK_LOG_WARN, __VA_ARGS__)
#define gk_info(...)	gk_log(GK_LOG_INFO, __VA_ARGS__)
#define gk_dbg(...)	gk_log(GK_LOG_DEBUG, __VA_ARGS__)

#endif
