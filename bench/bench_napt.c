/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAPT44 stage benchmark (issue #4): 64-byte IPv4/UDP frames, an OCN-like
 * port set (PSID offset 6, length 6: 1,008 ports), one worker, 64,000
 * sessions (1,000 LAN endpoints x 64 remotes) established beforehand.
 *
 * Figures, stage alone (TSC around gk_napt_out_burst/gk_napt_in_burst,
 * bursts of 32, frames drawn at random from all sessions; restoring the
 * rewritten frames between bursts is not timed):
 *  - out: established-flow fast path LAN -> outside;
 *  - in: established-flow fast path outside -> LAN;
 *  - setup: new sessions per second (each frame a flow not seen before,
 *    the first 1,000 also allocate a port).
 * Median, min and max of several runs. Prints figures, asserts nothing
 * about speed; exits 1 if a packet is dropped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "clock.h"
#include "napt.h"
#include "pkt.h"

#define NR_EP		1000
#define NR_REM		64
#define NR_SESS		(NR_EP * NR_REM)
#define FRAME		64
#define NR_FRAMES	8192
#define RUNS		7
#define BURSTS		20000
#define NOW		(1000ull * 1000000000ull)

struct bframe {
	uint8_t b[FRAME];
};

static const uint8_t ext4[4] = { 192, 0, 2, 18 };

static void mk_udp(uint8_t *f, uint32_t src, uint16_t sp, uint32_t dst,
		   uint16_t dp)
{
	uint32_t a;

	memset(f, 0, FRAME);
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = FRAME - 14;
	f[22] = 64;
	f[23] = 17;
	a = htonl(src);
	memcpy(f + 26, &a, 4);
	a = htonl(dst);
	memcpy(f + 30, &a, 4);
	f[34] = (uint8_t)(sp >> 8);
	f[35] = (uint8_t)sp;
	f[36] = (uint8_t)(dp >> 8);
	f[37] = (uint8_t)dp;
	f[39] = FRAME - 34;
	f[40] = 0x12;	/* nonzero UDP checksum: the update path is taken */
	f[41] = 0x34;
}

static void init_pkt(struct gk_pkt *p, uint8_t *data)
{
	memset(p, 0, sizeof(*p));
	p->data = data;
	p->len = FRAME;
	p->buf_len = FRAME;
	p->meta.magic = GK_META_MAGIC;
	p->meta.version = GK_META_VERSION;
	p->meta.l3_off = 14;
	p->meta.l4_off = 34;
	p->meta.l4_proto = 17;
	p->meta.flags = GK_META_F_IPV4 | GK_META_F_L4;
}

static uint32_t lan(unsigned ep)
{
	return 0xc6336400u + 1 + ep % 200;	/* 198.51.100.x */
}

static uint16_t lport(unsigned ep)
{
	return (uint16_t)(10000 + ep);
}

static uint32_t rem(unsigned r)
{
	return 0xcb007100u + 1 + r;		/* 203.0.113.x */
}

static struct gk_napt *mk(void)
{
	struct gk_napt_cfg c = {
		.psid_offset = 6, .psid_len = 6, .psid = 0x2a,
		.nr_workers = 1, .max_sessions = 131072, .seed = 1,
	};
	struct gk_napt *n;
	char err[128];
	int rc;

	memcpy(c.ext_addr, ext4, 4);
	n = gk_napt_create(&c, &rc, err, sizeof(err));
	if (!n)
		fprintf(stderr, "napt: %s\n", err);
	return n;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Runs BURSTS bursts over frames[]; returns cycles spent in the stage. */
static uint64_t run(struct gk_napt *n, const struct bframe *src, unsigned nf,
		    bool in, uint64_t *drops)
{
	static struct bframe work[GK_BURST];
	struct gk_pkt pk[GK_BURST], *pp[GK_BURST];
	uint64_t cyc = 0, t0;
	unsigned b, i, at = 0;

	for (b = 0; b < BURSTS; b++) {
		for (i = 0; i < GK_BURST; i++) {
			work[i] = src[at];
			if (++at == nf)
				at = 0;
			init_pkt(&pk[i], work[i].b);
			pp[i] = &pk[i];
		}
		t0 = gk_cycles();
		if (in)
			gk_napt_in_burst(n, pp, GK_BURST);
		else
			gk_napt_out_burst(n, pp, GK_BURST);
		cyc += gk_cycles() - t0;
		for (i = 0; i < GK_BURST; i++)
			*drops += pk[i].verdict != GK_V_NONE;
	}
	return cyc;
}

int main(void)
{
	struct bframe *out = calloc(NR_FRAMES, sizeof(*out));
	struct bframe *in = calloc(NR_FRAMES, sizeof(*in));
	struct bframe *all = calloc(NR_SESS, sizeof(*all));
	uint16_t *ext = calloc(NR_SESS, sizeof(*ext));
	double ghz, mpps[2][RUNS], cpp[2][RUNS], setup[RUNS], setup_cpp[RUNS];
	struct gk_pkt pk, *pp = &pk;
	struct gk_napt *n;
	uint64_t drops = 0, cyc, t0;
	unsigned i, r, s, d;

	if (!out || !in || !all || !ext)
		return 1;
	ghz = gk_tsc_calibrate();
	srandom(7);

	/* new-session setup rate, on fresh tables each run */
	for (r = 0; r < RUNS; r++) {
		n = mk();
		if (!n)
			return 1;
		gk_napt_set_now(n, NOW);
		for (s = 0; s < NR_SESS; s++)
			mk_udp(all[s].b, lan(s / NR_REM), lport(s / NR_REM),
			       rem(s % NR_REM), 443);
		cyc = 0;
		for (s = 0; s < NR_SESS; s += GK_BURST) {
			struct gk_pkt bp[GK_BURST], *bpp[GK_BURST];
			unsigned cnt = NR_SESS - s < GK_BURST ? NR_SESS - s : GK_BURST;

			for (i = 0; i < cnt; i++) {
				init_pkt(&bp[i], all[s + i].b);
				bpp[i] = &bp[i];
			}
			t0 = gk_cycles();
			gk_napt_out_burst(n, bpp, (uint16_t)cnt);
			cyc += gk_cycles() - t0;
			for (i = 0; i < cnt; i++)
				drops += bp[i].verdict != GK_V_NONE;
		}
		setup_cpp[r] = (double)cyc / NR_SESS;
		setup[r] = NR_SESS / ((double)cyc / ghz / 1e3);
		if (r < RUNS - 1)
			gk_napt_free(n);
	}
	if (drops) {
		fprintf(stderr, "setup: %" PRIu64 " drops\n", drops);
		return 1;
	}
	/* n keeps the last run's 64,000 sessions: learn their outside ports */
	for (s = 0; s < NR_SESS; s++) {
		mk_udp(all[s].b, lan(s / NR_REM), lport(s / NR_REM),
		       rem(s % NR_REM), 443);
		init_pkt(&pk, all[s].b);
		gk_napt_out_burst(n, &pp, 1);
		if (pk.verdict != GK_V_NONE)
			return 1;
		ext[s] = (uint16_t)(all[s].b[34] << 8 | all[s].b[35]);
	}
	printf("sessions: %" PRIu64 " active, TSC %.3f GHz\n",
	       gk_napt_stats(n)->sess_active, ghz);
	for (i = 0; i < NR_FRAMES; i++) {
		s = (unsigned)random() % NR_SESS;
		mk_udp(out[i].b, lan(s / NR_REM), lport(s / NR_REM),
		       rem(s % NR_REM), 443);
		mk_udp(in[i].b, rem(s % NR_REM), 443, 0xc0000212u, ext[s]);
	}
	for (r = 0; r < RUNS; r++)
		for (d = 0; d < 2; d++) {
			cyc = run(n, d ? in : out, NR_FRAMES, d, &drops);
			cpp[d][r] = (double)cyc / (BURSTS * GK_BURST);
			mpps[d][r] = ghz * 1e3 / cpp[d][r];
		}
	if (drops) {
		fprintf(stderr, "fast path: %" PRIu64 " drops\n", drops);
		return 1;
	}
	for (d = 0; d < 2; d++) {
		qsort(mpps[d], RUNS, sizeof(double), cmp_d);
		qsort(cpp[d], RUNS, sizeof(double), cmp_d);
		printf("%-32s %7.2f Mpps/core (min %.2f max %.2f), %6.1f cycles/pkt\n",
		       d ? "in  (outside -> LAN, established)" :
			   "out (LAN -> outside, established)",
		       mpps[d][RUNS / 2], mpps[d][0], mpps[d][RUNS - 1],
		       cpp[d][RUNS / 2]);
	}
	qsort(setup, RUNS, sizeof(double), cmp_d);
	qsort(setup_cpp, RUNS, sizeof(double), cmp_d);
	printf("%-32s %7.2f M sessions/s (min %.2f max %.2f), %6.1f cycles/session\n",
	       "setup (new session, 64k flows)", setup[RUNS / 2], setup[0],
	       setup[RUNS - 1], setup_cpp[RUNS / 2]);
	gk_napt_free(n);
	free(out);
	free(in);
	free(all);
	free(ext);
	return 0;
}
