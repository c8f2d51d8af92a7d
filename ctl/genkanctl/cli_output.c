// SPDX-License-Identifier: BSD-3-Clause
/* genkanctl formatting: tables sized to their widest cell. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_output.h"
#include "map_rule.h"

void gk_out_table_init(struct gk_out_table *t, unsigned ncols,
		       const char *const *heads)
{
	unsigned i;

	memset(t, 0, sizeof(*t));
	t->ncols = ncols > GK_OUT_MAX_COLS ? GK_OUT_MAX_COLS : ncols;
	for (i = 0; i < t->ncols; i++) {
		t->right[i] = heads[i][0] == '>';
		t->head[i] = heads[i] + t->right[i];
	}
}

int gk_out_table_add(struct gk_out_table *t, const char *const *cells)
{
	unsigned i;

	if (t->nrows == t->cap) {
		unsigned cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, sizeof(*c) * cap * t->ncols);

		if (!c) {
			t->oom = true;
			return -ENOMEM;
		}
		t->cells = c;
		t->cap = cap;
	}
	for (i = 0; i < t->ncols; i++) {
		char *s = strdup(cells[i] ? cells[i] : "-");

		if (!s) {
			while (i--)
				free(t->cells[t->nrows * t->ncols + i]);
			t->oom = true;
			return -ENOMEM;
		}
		t->cells[t->nrows * t->ncols + i] = s;
	}
	t->nrows++;
	return 0;
}

static void print_row(const struct gk_out_table *t, FILE *f, unsigned indent,
		      const size_t *w, const char *const *row)
{
	unsigned i;

	fprintf(f, "%*s", (int)indent, "");
	for (i = 0; i < t->ncols; i++) {
		bool last = i + 1 == t->ncols;

		if (t->right[i])
			fprintf(f, "%*s", (int)w[i], row[i]);
		else if (last)
			fputs(row[i], f);
		else
			fprintf(f, "%-*s", (int)w[i], row[i]);
		if (!last)
			fputs("  ", f);
	}
	fputc('\n', f);
}

void gk_out_table_print(const struct gk_out_table *t, FILE *f, unsigned indent)
{
	size_t w[GK_OUT_MAX_COLS];
	unsigned r, i;

	for (i = 0; i < t->ncols; i++)
		w[i] = strlen(t->head[i]);
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			size_t l = strlen(t->cells[r * t->ncols + i]);

			if (l > w[i])
				w[i] = l;
		}
	}
	print_row(t, f, indent, w, t->head);
	for (r = 0; r < t->nrows; r++)
		print_row(t, f, indent, w,
			  (const char *const *)&t->cells[r * t->ncols]);
	if (t->oom)
		fprintf(f, "%*s(some rows omitted: out of memory)\n",
			(int)indent, "");
}

void gk_out_table_free(struct gk_out_table *t)
{
	unsigned i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

const char *gk_out_str(const json_t *obj, const char *key, char *buf,
		       size_t len)
{
	const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.1f", json_real_value(v));
	else if (json_is_true(v))
		snprintf(buf, len, "yes");
	else if (json_is_false(v))
		snprintf(buf, len, "no");
	else
		snprintf(buf, len, "-");
	return buf;
}

long long gk_out_int(const json_t *obj, const char *key, long long def)
{
	const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v) && isfinite(json_real_value(v)))
		return (long long)json_real_value(v);
	return def;
}

bool gk_out_has_num(const json_t *obj, const char *key)
{
	const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_number(v);
}

void gk_out_duration(uint64_t secs, char *buf, size_t len)
{
	uint64_t d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60;

	if (d)
		snprintf(buf, len, "%" PRIu64 "d %02" PRIu64 ":%02" PRIu64
			 ":%02" PRIu64, d, h, m, secs % 60);
	else
		snprintf(buf, len, "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64,
			 h, m, secs % 60);
}

void gk_out_pct(uint64_t part, uint64_t whole, char *buf, size_t len)
{
	if (!whole)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", 100.0 * (double)part / (double)whole);
}

int gk_out_json(FILE *f, const json_t *v)
{
	if (json_dumpf(v, f, JSON_INDENT(2)))
		return -EIO;
	fputc('\n', f);
	return 0;
}

static json_t *map_calc_json(const struct gk_map_ce_params *cp,
			     const char *ipv4, const char *ce, const char *eup,
			     const uint16_t (*ranges)[2], unsigned nr_ranges)
{
	json_t *o, *pr;
	unsigned i;

	pr = json_array();
	for (i = 0; pr && i < nr_ranges; i++)
		if (json_array_append_new(pr, json_pack("[ii]", ranges[i][0],
							ranges[i][1])))
			goto err;
	o = json_pack("{s:s, s:i, s:i, s:i, s:i, s:s, s:s, s:i, s:i, s:o}",
		      "ipv4", ipv4, "ipv4_plen", cp->ipv4_plen,
		      "psid", cp->psid, "psid_len", cp->psid_len,
		      "psid_offset", cp->psid_offset, "ce_ipv6", ce,
		      "end_user_prefix", eup, "nr_ports", (int)cp->nr_ports,
		      "nr_ranges", nr_ranges, "port_ranges", pr);
	return o;
err:
	json_decref(pr);
	return NULL;
}

int gk_out_map_calc(FILE *f, bool json, const struct gk_map_ce_params *cp,
		    const uint16_t (*ranges)[2], unsigned nr_ranges)
{
	char v4[INET_ADDRSTRLEN], ce[INET6_ADDRSTRLEN], e[INET6_ADDRSTRLEN];
	char eup[INET6_ADDRSTRLEN + 8];
	unsigned i;

	inet_ntop(AF_INET, cp->ipv4, v4, sizeof(v4));
	inet_ntop(AF_INET6, cp->ce_ipv6, ce, sizeof(ce));
	inet_ntop(AF_INET6, cp->eup, e, sizeof(e));
	snprintf(eup, sizeof(eup), "%s/%u", e, cp->eup_len);

	if (json) {
		json_t *o = map_calc_json(cp, v4, ce, eup, ranges, nr_ranges);
		int ret;

		if (!o)
			return -ENOMEM;
		ret = gk_out_json(f, o);
		json_decref(o);
		return ret;
	}
	/* A shared or full address prints bare; a CE prefix keeps its length. */
	if (cp->ipv4_plen == 32)
		fprintf(f, "ipv4 %s\n", v4);
	else
		fprintf(f, "ipv4 %s/%u\n", v4, cp->ipv4_plen);
	fprintf(f, "psid 0x%x (%u), psid_len %u, offset %u\n", cp->psid,
		cp->psid, cp->psid_len, cp->psid_offset);
	fprintf(f, "ce_ipv6 %s\n", ce);
	fprintf(f, "end_user_prefix %s\n", eup);
	fprintf(f, "ports %" PRIu32 " in %u range%s\n", cp->nr_ports, nr_ranges,
		nr_ranges == 1 ? "" : "s");
	for (i = 0; i < nr_ranges; i++)
		fprintf(f, "%u-%u\n", ranges[i][0], ranges[i][1]);
	return 0;
}
