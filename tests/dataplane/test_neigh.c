/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "neigh.h"

static struct gk_neigh_entry ent(uint8_t fam, const char *a, uint32_t ifi,
				 uint8_t m)
{
	struct gk_neigh_entry e = { .family = fam, .ifindex = ifi };

	inet_pton(fam, a, e.addr);
	memset(e.mac, m, 6);
	return e;
}

static const uint8_t *look(const struct gk_neigh_tbl *t, uint8_t fam,
			   const char *a, uint32_t ifi)
{
	uint8_t addr[16] = { 0 };

	inet_pton(fam, a, addr);
	return gk_neigh_lookup(t, fam, ifi, addr);
}

static void test_basic(void **state)
{
	struct gk_neigh_entry e[] = {
		ent(AF_INET, "192.0.2.1", 1, 0x11),
		ent(AF_INET, "192.0.2.1", 2, 0x12),	/* other ifindex */
		ent(AF_INET6, "c000:201::", 1, 0x13),	/* same leading bytes */
		ent(AF_INET6, "2001:db8::1", 1, 0x14),
		ent(AF_INET, "192.0.2.1", 1, 0x99),	/* duplicate: ignored */
	};
	struct gk_neigh_tbl *t;
	const uint8_t *m;
	char err[128];

	t = gk_neigh_build(e, 5, err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(gk_neigh_count(t), 4);
	m = look(t, AF_INET, "192.0.2.1", 1);
	assert_non_null(m);
	assert_int_equal(m[0], 0x11);
	assert_int_equal(m[5], 0x11);
	assert_int_equal(look(t, AF_INET, "192.0.2.1", 2)[0], 0x12);
	assert_int_equal(look(t, AF_INET6, "c000:201::", 1)[0], 0x13);
	assert_int_equal(look(t, AF_INET6, "2001:db8::1", 1)[0], 0x14);
	assert_null(look(t, AF_INET, "192.0.2.1", 3));
	assert_null(look(t, AF_INET, "192.0.2.2", 1));
	assert_null(look(t, AF_INET6, "2001:db8::1", 2));
	assert_null(look(t, AF_INET6, "2001:db8::2", 1));
	gk_neigh_free(t);

	t = gk_neigh_build(NULL, 0, err, sizeof(err));
	assert_non_null(t);
	assert_null(look(t, AF_INET, "192.0.2.1", 1));
	gk_neigh_free(t);

	e[0].family = 7;
	assert_null(gk_neigh_build(e, 1, err, sizeof(err)));
}

/* Enough entries that probe chains collide; every one stays findable. */
static void test_many(void **state)
{
	const size_t n = 20000;
	struct gk_neigh_entry *e = calloc(n, sizeof(*e));
	struct gk_neigh_tbl *t;
	char err[128];
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t a = htonl(0xc6120000u + (uint32_t)(i / 4));

		e[i].family = i % 2 ? AF_INET6 : AF_INET;
		if (e[i].family == AF_INET) {
			memcpy(e[i].addr, &a, 4);
		} else {
			e[i].addr[0] = 0x20;
			e[i].addr[1] = 0x01;
			e[i].addr[2] = 0x0d;
			e[i].addr[3] = 0xb8;
			memcpy(e[i].addr + 12, &a, 4);
		}
		e[i].ifindex = (uint32_t)(i % 4);
		memcpy(e[i].mac, &i, 4);
	}
	t = gk_neigh_build(e, n, err, sizeof(err));
	assert_non_null(t);
	for (i = 0; i < n; i++) {
		const uint8_t *m = gk_neigh_lookup(t, e[i].family,
						   e[i].ifindex, e[i].addr);

		assert_non_null(m);
		assert_memory_equal(m, e[i].mac, 6);
		assert_null(gk_neigh_lookup(t, e[i].family, e[i].ifindex + 4,
					    e[i].addr));
	}
	gk_neigh_free(t);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
