/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * genkanctl output helpers: aligned text tables and tolerant accessors for
 * the daemon's JSON, where a missing or mistyped field prints as "-"
 * instead of failing, so an older daemon still gives readable output.
 */
#ifndef GK_CLI_OUTPUT_H
#define GK_CLI_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define GK_OUT_MAX_COLS	12

struct gk_out_table {
	unsigned ncols;
	const char *head[GK_OUT_MAX_COLS];
	bool right[GK_OUT_MAX_COLS];
	char **cells;		/* nrows * ncols strings */
	unsigned nrows, cap;
	bool oom;
};

/* @heads: column titles; a leading '>' right-aligns the column (numbers). */
void gk_out_table_init(struct gk_out_table *t, unsigned ncols,
		       const char *const *heads);
/* Appends one row of t->ncols strings (copied; NULL prints as "-"). */
int gk_out_table_add(struct gk_out_table *t, const char *const *cells);
void gk_out_table_print(const struct gk_out_table *t, FILE *f, unsigned indent);
void gk_out_table_free(struct gk_out_table *t);

/* Any scalar at @key as text: strings as-is, numbers in decimal, null,
 * missing and non-scalars as "-". Returns @buf or the string itself. */
const char *gk_out_str(const json_t *obj, const char *key, char *buf,
		       size_t len);
/* Integer (or whole real) at @key, else @def. */
long long gk_out_int(const json_t *obj, const char *key, long long def);
/* True when @key is an integer or real. */
bool gk_out_has_num(const json_t *obj, const char *key);

/* "3d 04:05:06", "04:05:06". */
void gk_out_duration(uint64_t secs, char *buf, size_t len);
/* 12.3 style percentage of @part in @whole, or "-" if @whole is 0. */
void gk_out_pct(uint64_t part, uint64_t whole, char *buf, size_t len);

/* Pretty JSON on @f followed by a newline. */
int gk_out_json(FILE *f, const json_t *v);

struct gk_map_ce_params;

/*
 * genkanctl map calc result: plain text (one fact per line, then one port
 * range "first-last" per line) or, with @json, one JSON object. @ranges
 * holds @nr_ranges pairs.
 */
int gk_out_map_calc(FILE *f, bool json, const struct gk_map_ce_params *cp,
		    const uint16_t (*ranges)[2], unsigned nr_ranges);

#endif /* GK_CLI_OUTPUT_H */
