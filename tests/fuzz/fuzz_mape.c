// SPDX-License-Identifier: BSD-3-Clause
/*
 * MAP-E (RFC 7597) stages: gk_mape_ce_burst or gk_mape_br_burst (FZ_BR)
 * on the fixed domain of fuzz_cfg.h, with outer reassembly and IPv4
 * virtual reassembly on (small tables, fixed seeds) and fz_alloc for the
 * packets the stage builds (outer fragments, released IPv4 fragments).
 * FZ_PORT fixes the ingress port (LAN/v4: encap, WAN/v6: decap); -1 lets
 * ctl bits 0-1 pick it. Frames are classified for the role first; what
 * the classifier gives the stage's class reaches the stage. The clock
 * moves per burst (fuzz_pkt.h) so held fragments time out. Every input
 * runs twice, fast paths on and off (ctx.ref), and must come out the same.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frag.h"
#include "fuzz_cfg.h"
#include "fuzz_pkt.h"
#include "map_rule.h"
#include "map_table.h"
#include "mape_br.h"
#include "mape_ce.h"

#ifdef FZ_BR
#define ROLE		GK_MAPE_ROLE_BR
#define CLS_ROLE	FZ_ROLE_BR
#define CLASS		GK_CLASS_MAPE_BR
#define BURST		gk_mape_br_burst
#else
#define ROLE		GK_MAPE_ROLE_CE
#define CLS_ROLE	FZ_ROLE_CE
#define CLASS		GK_CLASS_MAPE_CE
#define BURST		gk_mape_ce_burst
#endif

#define NR_RULES	2

static struct gk_map_table *tbl;
static struct gk_fib *fib;
static struct gk_cls_tables *cls;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct gk_map_rule r[NR_RULES];
	struct gk_map_table_cfg c = {
		.role = ROLE, .rules = r, .nr_rules = NR_RULES,
		.bmr = ROLE == GK_MAPE_ROLE_CE ? 0 : -1,
		.eup_len = FZ_EUP_LEN,
		.v4_port_id = FZ_PORT_LAN, .v6_port_id = FZ_PORT_WAN,
		.tunnel_mtu = 1460, .icmp_unreachable = true,
	};
	char err[200];

	(void)argc;
	(void)argv;
	memset(r, 0, sizeof(r));
	strcpy(r[0].name, "bmr");
	memcpy(r[0].ipv6_prefix, fz_bmr_v6, 16);
	r[0].ipv6_plen = FZ_BMR_V6_LEN;
	memcpy(r[0].ipv4_prefix, fz_bmr_v4, 4);
	r[0].ipv4_plen = FZ_BMR_V4_LEN;
	r[0].ea_bits = FZ_BMR_EA;
	r[0].psid_offset = FZ_BMR_A;
	r[0].flags = GK_MAP_F_FMR;
	r[0].mss_clamp = 1400;
	/* a second domain, 2001:db8:200::/40 <-> 198.19.0.0/24, for mesh */
	strcpy(r[1].name, "peer");
	memcpy(r[1].ipv6_prefix, (const uint8_t[]){ 0x20, 1, 0x0d, 0xb8, 2 }, 5);
	r[1].ipv6_plen = 40;
	memcpy(r[1].ipv4_prefix, (const uint8_t[]){ 198, 19, 0, 0 }, 4);
	r[1].ipv4_plen = 24;
	r[1].ea_bits = 16;
	r[1].psid_offset = 6;
	r[1].flags = GK_MAP_F_FMR;
	gk_map_rule_normalize(&r[0]);
	gk_map_rule_normalize(&r[1]);
	memcpy(c.br_addr, fz_br_addr6, 16);
	memcpy(c.eup, fz_ce_addr6, 7);	/* 2001:db8:112:34::/56 */
	tbl = gk_map_table_build(&c, err, sizeof(err));
	if (!tbl) {
		fprintf(stderr, "fuzz: map table: %s\n", err);
		abort();
	}
	fib = fz_fib();
	cls = fz_cls(CLS_ROLE, 0);
	return 0;
}

static int ours(void *arg, struct gk_pkt *p, uint8_t ctl)
{
	struct gk_classify_cfg cfg;

	(void)arg;
	p->in_port = FZ_PORT < 0 ? ctl & 3 : FZ_PORT;
	gk_cls_tables_cfg(cls, p->in_port, &cfg);
	return fz_classify(p, &cfg) && p->meta.class == CLASS;
}

/* One pass of the input through the stage, fast paths on or off. */
struct run {
	struct fz_frames f;
	struct gk_mape_ctx ctx;
	struct gk_map_dom_stats dom[NR_RULES + 1];
	struct gk_wk_stats st;
};

static void run(struct run *r, const uint8_t *data, size_t size, bool ref)
{
	struct gk_pkt *b[FZ_MAX];
	uint64_t now = 5000000000ull;
	unsigned pos = 0, n;

	fz_split(&r->f, data, size);
	memset(&r->ctx, 0, sizeof(r->ctx));
	memset(&r->st, 0, sizeof(r->st));
	memset(r->dom, 0, sizeof(r->dom));
	r->ctx.map = tbl;
	r->ctx.fib = fib;
	r->ctx.stats = &r->st;
	r->ctx.dom = r->dom;
	r->ctx.nr_dom = NR_RULES + 1;
	r->ctx.now_ns = now;
	r->ctx.alloc = fz_alloc;
	r->ctx.alloc_arg = &r->f;
	r->ctx.nr_reasm = 4;
	r->ctx.nr_vfrag = 16;
	r->ctx.nr_hold = 4;
	r->ctx.frag_max = 4096;
	gk_mape_init(&r->ctx, 0, 0);
	r->ctx.ref = ref;
	/* gk_mape_init seeds from getrandom(): the same every run here */
	gk_frag_reasm_free(r->ctx.reasm);
	gk_frag_virt_free(r->ctx.vfrag);
	r->ctx.reasm = gk_frag_reasm_new(r->ctx.nr_reasm, r->ctx.frag_max, 1);
	r->ctx.vfrag = gk_frag_virt_new(r->ctx.nr_vfrag, r->ctx.nr_hold,
					r->ctx.frag_max, 2);
	r->ctx.frag_id = 0x12345678;
	if (!r->ctx.reasm || !r->ctx.vfrag)
		abort();
	while ((n = fz_next_burst(&r->f, &pos, &now, ours, NULL, b))) {
		r->ctx.now_ns = now;
		gk_mape_frag_tick(&r->ctx);
		BURST(&r->ctx, b, (uint16_t)n);
	}
	r->ctx.now_ns = now + 60000000000ull;
	gk_mape_frag_tick(&r->ctx);
	gk_mape_fini(&r->ctx);
}

static bool same_pkt(const struct gk_pkt *p, const uint8_t *pb,
		     const struct gk_pkt *q, const uint8_t *qb)
{
	return p->verdict == q->verdict && p->drop_reason == q->drop_reason &&
	       p->len == q->len && p->buf_len == q->buf_len &&
	       p->data - pb == q->data - qb &&
	       !memcmp(&p->meta, &q->meta, sizeof(p->meta)) &&
	       !memcmp(p->data, q->data, p->len);
}

/*
 * The fast paths (map_table.h) must decide exactly as the reference path:
 * the same frames, packets made, verdicts and counters, on any input.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run a, b;
	unsigned i;

	run(&a, data, size, false);
	run(&b, data, size, true);
	if (a.f.n != b.f.n || a.f.nr_extra != b.f.nr_extra ||
	    memcmp(&a.st, &b.st, sizeof(a.st)) ||
	    memcmp(a.dom, b.dom, sizeof(a.dom)))
		abort();
	for (i = 0; i < a.f.n; i++)
		if (!same_pkt(&a.f.pkt[i], a.f.base[i], &b.f.pkt[i],
			      b.f.base[i]))
			abort();
	for (i = 0; i < a.f.nr_extra; i++)
		if (!same_pkt(a.f.extra[i], a.f.extra_base[i], b.f.extra[i],
			      b.f.extra_base[i]))
			abort();
	fz_free(&a.f);
	fz_free(&b.f);
	return 0;
}
