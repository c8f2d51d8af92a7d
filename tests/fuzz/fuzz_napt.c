// SPDX-License-Identifier: BSD-3-Clause
/*
 * NAPT44 on the CE's port set (stage/napt): per burst, the frames with
 * ctl bit 0 clear go through gk_napt_out_burst (LAN -> outside), the
 * others through gk_napt_in_burst (outside -> LAN, ICMP errors
 * included), so one input can open a session and then answer it. The
 * shared address and port set are the MAP-E CE's of fuzz_cfg.h (PSID
 * 0x34, k = 8, a = 6); small session and host tables, so exhaustion and
 * limits are reachable. ctl bit 1 picks the filter (APDF or EIF). A
 * fresh state per input; the clock moves per burst (fuzz_pkt.h), so
 * sessions expire.
 *
 * Differential: a twin stage with gk_napt_set_fastpath(false) gets a copy
 * of every frame; verdicts, bytes, the returned masks, counters and the
 * session list must match the fast path's exactly (abort otherwise).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_cfg.h"
#include "fuzz_pkt.h"
#include "napt.h"

static struct gk_cls_tables *cls;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cls = fz_cls(FZ_ROLE_ROUTER, 0);
	return 0;
}

static int ip4(void *arg, struct gk_pkt *p, uint8_t ctl)
{
	struct gk_classify_cfg cfg;

	(void)arg;
	p->in_port = ctl & 1 ? FZ_PORT_WAN : FZ_PORT_LAN;
	gk_cls_tables_cfg(cls, p->in_port, &cfg);
	return fz_classify(p, &cfg) && p->meta.class == GK_CLASS_TRANSIT &&
	       (p->meta.flags & GK_META_F_IPV4);
}

/* Deep copies of a burst for the reference twin, each buffer exactly len. */
struct twin {
	struct gk_pkt pkt[FZ_MAX];
	struct gk_pkt *out[FZ_MAX], *in[FZ_MAX];
};

static void twin_copy(struct gk_pkt *dst, const struct gk_pkt *src)
{
	*dst = *src;
	dst->data = malloc(src->len ? src->len : 1);
	if (!dst->data)
		abort();
	memcpy(dst->data, src->data, src->len);
}

static void same_pkt(const struct gk_pkt *a, const struct gk_pkt *b)
{
	if (a->verdict != b->verdict || a->len != b->len ||
	    (a->verdict == GK_V_DROP && a->drop_reason != b->drop_reason) ||
	    memcmp(a->data, b->data, a->len)) {
		fprintf(stderr, "fuzz: napt: fast path verdict %u/%u, reference %u/%u\n",
			a->verdict, a->drop_reason, b->verdict, b->drop_reason);
		abort();
	}
}

static void same_state(const struct gk_napt *a, const struct gk_napt *b)
{
	static struct gk_napt_sess_info sa[64], sb[64];
	unsigned na, nb;

	if (memcmp(gk_napt_stats(a), gk_napt_stats(b), sizeof(struct gk_napt_stats))) {
		fprintf(stderr, "fuzz: napt: counters differ\n");
		abort();
	}
	na = gk_napt_sessions(a, sa, 64);
	nb = gk_napt_sessions(b, sb, 64);
	if (na != nb || memcmp(sa, sb, (na < 64 ? na : 64) * sizeof(sa[0]))) {
		fprintf(stderr, "fuzz: napt: sessions differ\n");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_frames f;
	struct gk_napt_cfg c = {
		.psid_offset = 6, .psid_len = 8, .psid = FZ_CE_PSID,
		.worker = 0, .nr_workers = 1,
		.max_sessions = 64, .max_hosts = 8, .host_limit = 16,
		.seed = 7,
		.reserved = { { 17, 0x4cd0 } }, .nr_reserved = 1,
	};
	struct gk_wk_stats st, st2;
	static struct twin tw;
	struct gk_napt *ref;
	uint64_t m1, m2;
	struct gk_pkt *b[FZ_MAX], *out[FZ_MAX], *in[FZ_MAX];
	struct gk_napt_static sm = {
		.proto = 6, .ext_port = 0x4cd1, .in_addr = { 198, 51, 100, 2 },
		.in_port = 22,
	};
	uint64_t now = 1000000000ull;
	unsigned pos = 0, n, i, no, ni;
	struct gk_napt *napt;
	char err[128];
	int rc;

	if (!fz_split(&f, data, size))
		return 0;
	memcpy(c.ext_addr, fz_ce_addr4, 4);
	c.filter = f.ctl[0] & 2 ? GK_NAPT_FILTER_EIF : GK_NAPT_FILTER_APDF;
	napt = gk_napt_create(&c, &rc, err, sizeof(err));
	if (!napt) {
		fprintf(stderr, "fuzz: napt: %s\n", err);
		abort();
	}
	ref = gk_napt_create(&c, &rc, err, sizeof(err));
	if (!ref)
		abort();
	gk_napt_set_fastpath(ref, false);
	if (gk_napt_static_add(napt, &sm, false, err, sizeof(err)) ||
	    gk_napt_static_add(ref, &sm, false, err, sizeof(err)))
		abort();
	memset(&st, 0, sizeof(st));
	memset(&st2, 0, sizeof(st2));
	gk_napt_set_wkstats(napt, &st);
	gk_napt_set_wkstats(ref, &st2);
	while ((n = fz_next_burst(&f, &pos, &now, ip4, NULL, b))) {
		gk_napt_set_now(napt, now);
		gk_napt_set_now(ref, now);
		for (i = no = ni = 0; i < n; i++) {
			twin_copy(&tw.pkt[i], b[i]);
			if (b[i]->in_port == FZ_PORT_LAN) {
				tw.out[no] = &tw.pkt[i];
				out[no++] = b[i];
			} else {
				tw.in[ni] = &tw.pkt[i];
				in[ni++] = b[i];
			}
		}
		m1 = gk_napt_out_burst(napt, out, (uint16_t)no);
		m2 = gk_napt_out_burst(ref, tw.out, (uint16_t)no);
		gk_napt_in_burst(napt, in, (uint16_t)ni);
		gk_napt_in_burst(ref, tw.in, (uint16_t)ni);
		if (m1 != m2)
			abort();
		for (i = 0; i < n; i++) {
			same_pkt(b[i], &tw.pkt[i]);
			free(tw.pkt[i].data);
		}
		if (memcmp(&st, &st2, sizeof(st)))
			abort();
		same_state(napt, ref);
	}
	gk_napt_set_now(napt, now + 8000ull * 1000000000ull);
	gk_napt_set_now(ref, now + 8000ull * 1000000000ull);
	if (gk_napt_expire_all(napt) != gk_napt_expire_all(ref))
		abort();
	gk_napt_free(napt);
	gk_napt_free(ref);
	fz_free(&f);
	return 0;
}
