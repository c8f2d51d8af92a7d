// SPDX-License-Identifier: BSD-3-Clause
/*
 * The front door (stage/l4): gk_l4_fwd_burst on what the classifier
 * calls L4_SERVICE (ICMP errors to a listen address included), and
 * gk_l4_rev_burst on every routed frame (ctl bit 0 set: a backend's
 * reply), then gk_l4_err_burst on the replies as the worker's own ICMP
 * errors. Services (fuzz_cfg.h's listen addresses):
 *   203.0.113.10 tcp 443   preserve, 3 backends (one draining, one at
 *                          the client's port)
 *   203.0.113.10 udp 53    snat, pool 198.51.100.200-201 ports 20000-20003
 *   [2001:db8:0:9::10] tcp 443   preserve, 1 backend
 * A small flow table per input, so eviction and reuse are reachable; the
 * clock moves per burst (fuzz_pkt.h), so flows expire.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <genkan/bpf_maps.h>
#include "fuzz_cfg.h"
#include "fuzz_pkt.h"
#include "l4.h"
#include "l4_icmp.h"
#include "l4_snat.h"
#include "maglev.h"

#define NR_SVC	3
#define M	251

static struct gk_l4_table *tbl;
static struct gk_cls_tables *cls;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct be_cfg { const char *addr; uint16_t port; uint8_t state; };

static void svc_set(struct gk_l4_service *s, int family, uint8_t proto,
		    uint16_t port, const char *addr, const struct be_cfg *be,
		    uint32_t nr_be)
{
	struct gk_maglev_backend mb[4];
	int af = family == 4 ? AF_INET : AF_INET6;
	uint32_t j;

	s->family = (uint8_t)family;
	s->proto = proto;
	s->port_lo = s->port_hi = port;
	if (inet_pton(af, addr, s->addr) != 1)
		abort();
	s->m = M;
	s->tcp_idle_ns = 600 * 1000000000ull;
	s->tcp_fin_ns = 10 * 1000000000ull;
	s->udp_idle_ns = 30 * 1000000000ull;
	s->nr_be = nr_be;
	s->be = calloc(nr_be, sizeof(*s->be));
	s->table = calloc(M, sizeof(*s->table));
	if (!s->be || !s->table)
		abort();
	memset(mb, 0, sizeof(mb));
	for (j = 0; j < nr_be; j++) {
		s->be[j].family = (uint8_t)family;
		s->be[j].port = be[j].port;
		s->be[j].state = be[j].state;
		if (inet_pton(af, be[j].addr, s->be[j].addr) != 1 ||
		    gk_maglev_key_inet(&mb[j], af, s->be[j].addr, be[j].port))
			abort();
		mb[j].weight = 1;
		mb[j].down = be[j].state != GK_L4_BE_UP;
	}
	if (gk_maglev_build(mb, nr_be, M, s->table))
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct be_cfg web[] = {
		{ "198.51.100.2", 8443, GK_L4_BE_UP },
		{ "198.51.100.3", 0, GK_L4_BE_UP },
		{ "198.51.100.4", 8443, GK_L4_BE_DRAINING },
	};
	static const struct be_cfg dns[] = { { "198.51.100.5", 53, GK_L4_BE_UP } };
	static const struct be_cfg web6[] = {
		{ "2001:db8:0:2::2", 8443, GK_L4_BE_UP },
	};
	struct gk_l4_service *s = calloc(NR_SVC, sizeof(*s));

	(void)argc;
	(void)argv;
	if (!s)
		abort();
	svc_set(&s[0], 4, 6, 443, "203.0.113.10", web, 3);
	svc_set(&s[1], 4, 17, 53, "203.0.113.10", dns, 1);
	s[1].snat = 1;
	s[1].snat_plo = 20000;
	s[1].snat_phi = 20003;
	s[1].snat_naddr = 2;
	inet_pton(AF_INET, "198.51.100.200", s[1].snat_lo);
	svc_set(&s[2], 6, 6, 443, "2001:db8:0:9::10", web6, 1);
	tbl = gk_l4_table_new(s, NR_SVC);
	if (!tbl)
		abort();
	tbl->nr_host = 1;
	tbl->host[0].family = 4;
	inet_pton(AF_INET, "203.0.113.1", tbl->host[0].addr);
	cls = fz_cls(FZ_ROLE_ROUTER, GK_CFG_F_L4);
	return 0;
}

static int worker(void *arg, struct gk_pkt *p, uint8_t ctl)
{
	struct gk_classify_cfg cfg;

	(void)arg;
	p->in_port = ctl & 1 ? FZ_PORT_LAN : FZ_PORT_WAN;
	gk_cls_tables_cfg(cls, p->in_port, &cfg);
	return fz_classify(p, &cfg) && (p->meta.class == GK_CLASS_L4_SERVICE ||
					p->meta.class == GK_CLASS_TRANSIT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_frames f;
	static struct gk_l4_ctx c;
	struct gk_wk_stats st;
	struct gk_pkt *b[FZ_MAX], *fwd[FZ_MAX], *rev[FZ_MAX];
	uint64_t now = 1000000000ull;
	unsigned pos = 0, n, i, nf, nr;

	fz_split(&f, data, size);
	memset(&c, 0, sizeof(c));
	memset(&st, 0, sizeof(st));
	if (gk_l4_ctx_init(&c, 16, 8) || gk_l4_snat_init(&c, tbl, 0, 1))
		abort();
	c.stats = &st;
	while ((n = fz_next_burst(&f, &pos, &now, worker, NULL, b))) {
		c.now_ns = now;
		for (i = nf = nr = 0; i < n; i++) {
			if (b[i]->meta.class == GK_CLASS_L4_SERVICE)
				fwd[nf++] = b[i];
			else
				rev[nr++] = b[i];
		}
		gk_l4_fwd_burst(&c, tbl, fwd, (uint16_t)nf);
		gk_l4_rev_burst(&c, tbl, rev, (uint16_t)nr);
		c.nr_away = 0;
		for (i = 0; i < nr; i++)
			if (rev[i]->verdict == GK_V_NONE)
				rev[i]->verdict = GK_V_TX;
		gk_l4_err_burst(&c, tbl, rev, (uint16_t)nr);
	}
	gk_l4_snat_fini(&c);
	gk_l4_ctx_fini(&c);
	fz_free(&f);
	return 0;
}
