// SPDX-License-Identifier: BSD-3-Clause
/* The worker corpora and their checks, shared by backend tests: wcorpus.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <urcu-qsbr.h>

#include "backend_mem.h"
#include "testbed.h"
#include "wcorpus.h"
#include "worker_fixtures.h"
#include "worker_mape_fixtures.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MEM_BUFS	256

const uint8_t wc_mac[2][6] = {
	{ 2, 0, 0, 0, 0, 0x0a },
	{ 2, 0, 0, 0, 0, 0x0b },
};

void wc_frames_add(struct wc_frames *fs, const uint8_t *b, uint32_t len)
{
	assert_true(fs->n < WC_MAXF);
	fs->f[fs->n] = malloc(len ? len : 1);
	assert_non_null(fs->f[fs->n]);
	memcpy(fs->f[fs->n], b, len);
	fs->len[fs->n++] = len;
}

void wc_frames_free(struct wc_frames *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		free(fs->f[i]);
	fs->n = 0;
}

void wc_corpus_init(struct wc_corpus *c, enum wc_kind kind)
{
	struct gk_cls_input ci = { .port_flags = c->port_flags };
	size_t i;

	memset(c, 0, sizeof(*c));
	c->kind = kind;
	if (kind == WC_L3) {
		/* the FIB of tests/afxdp/test_worker.c (testbed.h) */
		c->tag = "l3";
		c->tables = tb_l3_tables();
		for (i = 0; i < ARRAY_SIZE(wfx); i++)
			wc_frames_add(&c->in[0], wfx[i].in, wfx[i].in_len);
	} else {
		/* RFC 7597 Appendix A example 1 */
		c->tag = "mape";
		c->mape6.cls = GK_CLASS_MAPE_CE;
		memcpy(c->mape6.addr, tb_ce_addr6, 16);
		c->nr_mape6 = 1;
		c->port_flags[0] = GK_PORT_F_MAPE_CE_V4;
		ci.mape6 = &c->mape6;
		ci.nr_mape6 = 1;
		c->tables = tb_ce_fib(0, TB_CE_LAN4);
		c->map = tb_ce_map_table(1460);
		for (i = 0; i < ARRAY_SIZE(wmx); i++)
			wc_frames_add(&c->in[wmx[i].in_port], wmx[i].in,
				      wmx[i].in_len);
	}
	c->cls = gk_cls_tables_build(&ci);
	assert_non_null(c->cls);
}

void wc_corpus_free(struct wc_corpus *c)
{
	wc_frames_free(&c->in[0]);
	wc_frames_free(&c->in[1]);
	gk_cls_tables_free(c->cls);
	if (c->map)
		gk_map_table_free(c->map);
	gk_tables_free(c->tables);
	c->cls = NULL;
	c->map = NULL;
	c->tables = NULL;
}

size_t wc_corpus_nr_in(const struct wc_corpus *c)
{
	return c->in[0].n + c->in[1].n;
}

void wc_worker_cfg(struct wc_corpus *c, struct gk_worker_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cpu = -1;
	cfg->tables = &c->tables;
	cfg->cls = &c->cls;
	cfg->icmp_rate = 100;
	if (c->map) {
		cfg->map = &c->map;
		cfg->map_nr_rules = 1;
	}
	cfg->nr_ports = 2;
}

void wc_run_mem(struct wc_corpus *c, struct wc_result *r)
{
	static struct gk_worker w;
	struct gk_worker_cfg cfg;
	struct gk_mem_pool *mp = gk_mem_pool_create(MEM_BUFS, 2048);
	struct gk_port *p[2];
	unsigned int k;
	size_t i;

	assert_non_null(mp);
	wc_worker_cfg(c, &cfg);
	for (k = 0; k < 2; k++) {
		struct gk_classify_cfg cc;

		gk_cls_tables_cfg(c->cls, (uint16_t)k, &cc);
		p[k] = gk_mem_port_create(mp, (uint16_t)k, wc_mac[k], &cc);
		assert_non_null(p[k]);
		gk_mem_port_set_capture(p[k], WC_MAXF);
		for (i = 0; i < c->in[k].n; i++)
			assert_int_equal(gk_mem_port_add_frame(p[k], c->in[k].f[i],
							       c->in[k].len[i]), 0);
		cfg.ports[k] = p[k];
	}
	assert_int_equal(gk_worker_init(&w, &cfg), 0);
	rcu_register_thread();
	for (i = 0; i < 8; i++)
		gk_worker_poll(&w);
	rcu_unregister_thread();
	r->st = w.stats;
	for (k = 0; k < 2; k++) {
		for (i = 0; i < gk_mem_port_nr_captured(p[k]); i++) {
			uint32_t len;
			const uint8_t *b = gk_mem_port_captured(p[k], i, &len);

			wc_frames_add(&r->out[k], b, len);
		}
	}
	gk_worker_fini(&w);
	p[0]->ops->close(p[0]);
	p[1]->ops->close(p[1]);
	assert_int_equal(gk_mem_pool_nr_free(mp), MEM_BUFS);
	gk_mem_pool_destroy(mp);
}

/* scapy's frames, in order, on the right port; drops by the fixtures. */
static void check_l3(const struct wc_result *r, const char *who)
{
	uint64_t drops[GK_WK_DROP_MAX] = { 0 };
	size_t i, seen[2] = { 0, 0 };

	for (i = 0; i < ARRAY_SIZE(wfx); i++) {
		int o = wfx[i].out_port;

		if (o < 0) {
			drops[wfx[i].drop]++;
			continue;
		}
		if (seen[o] >= r->out[o].n)
			fail_msg("%s: %s: nothing left port %d", who, wfx[i].what, o);
		if (r->out[o].len[seen[o]] != wfx[i].out_len ||
		    memcmp(r->out[o].f[seen[o]], wfx[i].out, wfx[i].out_len))
			fail_msg("%s: %s: output differs from scapy", who,
				 wfx[i].what);
		seen[o]++;
	}
	if (r->out[0].n != seen[0] || r->out[1].n != seen[1])
		fail_msg("%s: %zu and %zu frames left ports 0 and 1, scapy "
			 "says %zu and %zu", who, r->out[0].n, r->out[1].n,
			 seen[0], seen[1]);
	for (i = 0; i < GK_WK_DROP_MAX; i++)
		if (r->st.drops[i] != drops[i])
			fail_msg("%s: drop %s: %lu, want %lu", who,
				 gk_wk_drop_names[i],
				 (unsigned long)r->st.drops[i],
				 (unsigned long)drops[i]);
}

/*
 * scapy's frame, but the IPv6 flow label: the fixture's comes from a hash
 * the test of the worker sets by hand, ours from the classifier's (XDP's
 * or the twin's) flow hash.
 */
static bool same_but_flow(const uint8_t *b, uint32_t len,
			  const struct wmx_fixture *x)
{
	uint8_t e[2048];

	if (len != x->out_len || len > sizeof(e))
		return false;
	memcpy(e, x->out, len);
	if (len >= 18 && (e[12] << 8 | e[13]) == 0x86dd) {
		e[15] = (uint8_t)((e[15] & 0xf0) | (b[15] & 0x0f));
		e[16] = b[16];
		e[17] = b[17];
	}
	return !memcmp(b, e, len);
}

/* Frames matched, not positions: the two input ports are polled in turn. */
static void check_mape(const struct wc_result *r, const char *who)
{
	bool used[2][WC_MAXF] = { { false } };
	size_t i, k, seen[2] = { 0, 0 };

	for (i = 0; i < ARRAY_SIZE(wmx); i++) {
		const struct wmx_fixture *x = &wmx[i];
		int o = x->out_port;

		if (o < 0)
			continue;
		for (k = 0; k < r->out[o].n; k++) {
			if (used[o][k])
				continue;
			if (x->icmp_type >= 0 ?
			    tb_icmp4_answers(r->out[o].f[k], r->out[o].len[k],
					     x->in, x->icmp_type) :
			    same_but_flow(r->out[o].f[k], r->out[o].len[k], x))
				break;
		}
		if (k == r->out[o].n)
			fail_msg("%s: %s: no frame on port %d matches scapy's",
				 who, x->what, o);
		used[o][k] = true;
		seen[o]++;
	}
	if (r->out[0].n != seen[0] || r->out[1].n != seen[1])
		fail_msg("%s: %zu and %zu frames left ports 0 and 1, scapy "
			 "says %zu and %zu", who, r->out[0].n, r->out[1].n,
			 seen[0], seen[1]);
	assert_int_equal(r->st.drops[GK_WK_DROP_MAPE], 1);	/* the violation */
}

void wc_check_scapy(const struct wc_corpus *c, const struct wc_result *r,
		    const char *who)
{
	if (c->kind == WC_L3)
		check_l3(r, who);
	else
		check_mape(r, who);
}

static void same_ctr(const char *who, const char *what, const char *name,
		     uint64_t got, uint64_t want)
{
	if (got != want)
		fail_msg("%s: %s%s%s %lu, memory backend %lu", who, what,
			 name ? " " : "", name ? name : "", (unsigned long)got,
			 (unsigned long)want);
}

void wc_same_output(const struct wc_result *mem, const struct wc_result *r,
		    const char *who)
{
	char cls[16];
	unsigned int k;
	size_t i;

	for (k = 0; k < 2; k++) {
		if (mem->out[k].n != r->out[k].n)
			fail_msg("%s: %zu frames left port %u, memory backend "
				 "%zu", who, r->out[k].n, k, mem->out[k].n);
		for (i = 0; i < mem->out[k].n; i++)
			if (mem->out[k].len[i] != r->out[k].len[i] ||
			    memcmp(mem->out[k].f[i], r->out[k].f[i],
				   mem->out[k].len[i]))
				fail_msg("%s: port %u frame %zu differs from "
					 "the memory backend's", who, k, i);
	}
	for (i = 0; i < GK_WK_DROP_MAX; i++)
		same_ctr(who, "drop", gk_wk_drop_names[i], r->st.drops[i],
			 mem->st.drops[i]);
	for (i = 0; i < GK_CLASS_MAX; i++) {
		snprintf(cls, sizeof(cls), "%zu", i);
		same_ctr(who, "class", cls, r->st.class_packets[i],
			 mem->st.class_packets[i]);
	}
	for (i = 0; i < GK_WK_EVENT_MAX; i++)
		same_ctr(who, "event", gk_wk_event_names[i], r->st.events[i],
			 mem->st.events[i]);
	same_ctr(who, "rx_packets", NULL, r->st.rx_packets, mem->st.rx_packets);
	same_ctr(who, "rx_bytes", NULL, r->st.rx_bytes, mem->st.rx_bytes);
	same_ctr(who, "tx_packets", NULL, r->st.tx_packets, mem->st.tx_packets);
	same_ctr(who, "tx_bytes", NULL, r->st.tx_bytes, mem->st.tx_bytes);
}

void wc_result_free(struct wc_result *r)
{
	wc_frames_free(&r->out[0]);
	wc_frames_free(&r->out[1]);
}
