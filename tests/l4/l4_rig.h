/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The services of l4_fixtures.h (gen_l4.py) as genkand makes them
 * (ctl/genkand/l4_ctl.c build()): Maglev over the backends that are up
 * and weighted, keys from gk_maglev_key_inet(), then gk_l4_table_new().
 * Mods change a backend's state or weight first, as a health check or a
 * drain would between two publications.
 */
#ifndef GK_TESTS_L4_RIG_H
#define GK_TESTS_L4_RIG_H

#include <stddef.h>
#include <stdint.h>

#include "l4.h"

struct rig_mod {
	int svc, be;
	int state;	/* enum gk_l4_be_state, or -1: keep */
	int weight;	/* -1: keep */
};

/* NULL on a build error (reported on stderr). */
struct gk_l4_table *rig_table(const struct rig_mod *mods, size_t nmods);
/* Backends of all services: the workers' counter slots. */
uint32_t rig_nr_be(void);
/* Index of the backend of svc whose address is addr (bytes at the
 * family's length), or -1. */
int rig_be_of(const struct gk_l4_table *t, int svc, const uint8_t *addr);

#endif
