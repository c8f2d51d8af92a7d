/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classifier fixture table, as written by gen_fixtures.py (scapy). Shared
 * by test_parse (software classifier) and test_classifier (XDP program).
 */
#ifndef GK_TEST_FIXTURES_H
#define GK_TEST_FIXTURES_H

#include <stddef.h>
#include <stdint.h>
#include <genkan/meta.h>

enum fx_action { FX_REDIRECT, FX_PASS, FX_DROP };

struct fixture {
	char name[64];
	enum fx_action action;
	int cls;			/* enum gk_class; DROPPED for drops */
	int drop;			/* enum gk_xdp_drop, -1 unless FX_DROP */
	struct gk_xdp_meta meta;	/* expected, FX_REDIRECT only */
	uint8_t *data;
	uint32_t len;
};

/* Parse the fixture file; returns 0 or -errno (message on stderr). */
int fx_load(const char *path, struct fixture **out, size_t *n);
void fx_free(struct fixture *fx, size_t n);

const char *fx_class_name(int cls);
const char *fx_drop_name(int drop);
const char *fx_action_name(enum fx_action a);

/* Local addresses the fixtures assume. */
#define FX_LOCAL4	"192.0.2.1"
#define FX_LOCAL6	"2001:db8::1"

#endif
