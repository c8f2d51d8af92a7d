// SPDX-License-Identifier: BSD-3-Clause
/* The fixtures' services as genkand builds them; see l4_rig.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "l4_fixtures.h"
#include "l4_rig.h"
#include "maglev.h"

uint32_t rig_nr_be(void)
{
	uint32_t n = 0;

	for (size_t i = 0; i < FX_SVC_MAX; i++)
		n += fx_svc[i].nr_be;
	return n;
}

static const struct rig_mod *mod_of(const struct rig_mod *m, size_t n,
				    size_t svc, size_t be)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].svc == (int)svc && m[i].be == (int)be)
			return &m[i];
	return NULL;
}

struct gk_l4_table *rig_table(const struct rig_mod *mods, size_t nmods)
{
	struct gk_l4_service *svc = calloc(FX_SVC_MAX, sizeof(*svc));
	size_t i, j;

	if (!svc)
		return NULL;
	for (i = 0; i < FX_SVC_MAX; i++) {
		const struct fx_svc *f = &fx_svc[i];
		struct gk_l4_service *s = &svc[i];
		struct gk_maglev_backend *mb;
		int ret = 0;

		s->family = f->family;
		s->proto = f->proto;
		s->port_lo = f->port_lo;
		s->port_hi = f->port_hi;
		memcpy(s->addr, f->addr, 16);
		s->m = f->m;
		s->tcp_idle_ns = (uint64_t)FX_TCP_IDLE_MS * 1000000;
		s->tcp_fin_ns = (uint64_t)FX_TCP_FIN_MS * 1000000;
		s->udp_idle_ns = (uint64_t)FX_UDP_IDLE_MS * 1000000;
		s->nr_be = f->nr_be;
		s->be = calloc(f->nr_be, sizeof(*s->be));
		s->table = calloc(f->m, sizeof(*s->table));
		mb = calloc(f->nr_be, sizeof(*mb));
		if (!s->be || !s->table || !mb) {
			free(mb);
			goto err;
		}
		for (j = 0; j < f->nr_be && !ret; j++) {
			const struct rig_mod *m = mod_of(mods, nmods, i, j);
			uint32_t w = f->be[j].weight;

			s->be[j].family = f->be[j].family;
			s->be[j].port = f->be[j].port;
			s->be[j].state = f->be[j].state;
			memcpy(s->be[j].addr, f->be[j].addr, 16);
			if (m && m->state >= 0)
				s->be[j].state = (uint8_t)m->state;
			if (m && m->weight >= 0)
				w = (uint32_t)m->weight;
			ret = gk_maglev_key_inet(&mb[j], f->be[j].family == 4 ?
						 AF_INET : AF_INET6,
						 f->be[j].addr, f->be[j].port);
			mb[j].weight = w;
			mb[j].down = s->be[j].state != GK_L4_BE_UP;
		}
		if (!ret)
			ret = gk_maglev_build(mb, f->nr_be, f->m, s->table);
		free(mb);
		if (ret) {
			fprintf(stderr, "%s: maglev: %d\n", f->name, ret);
			goto err;
		}
	}
	return gk_l4_table_new(svc, FX_SVC_MAX);

err:
	for (j = 0; j < FX_SVC_MAX; j++) {
		free(svc[j].be);
		free(svc[j].table);
	}
	free(svc);
	return NULL;
}

int rig_be_of(const struct gk_l4_table *t, int svc, const uint8_t *addr)
{
	const struct gk_l4_service *s = &t->svc[svc];

	for (uint32_t j = 0; j < s->nr_be; j++)
		if (!memcmp(s->be[j].addr, addr, s->family == 4 ? 4 : 16))
			return (int)j;
	return -1;
}
