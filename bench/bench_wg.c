/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard data-path benchmark (issue #5): one core, bursts of 32,
 * ChaCha20-Poly1305 over 64, 256 and 1420 bytes of inner packet.
 *
 *   raw      intel-ipsec-mb's own job API (submit the burst, flush) and,
 *            on decrypt, the constant-time tag compare ipsec-mb leaves
 *            to its caller: the practical limit on this core. Same
 *            lengths, burst size and key as the others (one key for the
 *            whole burst, as a burst to one peer has); nonces are built
 *            before the timer starts (the others build theirs inside).
 *   ours-mb  gk_aead_{seal,open}_burst on ipsec-mb.
 *   ours-ssl gk_aead_{seal,open}_burst on OpenSSL EVP.
 *   stage    the whole data stage, gk_wg_{encrypt,decrypt}_burst with
 *            ipsec-mb, on memory-backend buffers: AllowedIPs lookup,
 *            counter reservation, padding, outer IPv4/UDP/WireGuard
 *            headers; on decrypt receiver-index lookup, replay window,
 *            cryptokey routing and decapsulation. Decrypt is fed the
 *            stage's own encrypt output (the bench peer's keys are ours
 *            mirrored), with fresh counters.
 *
 * Only the crypto or stage call is timed (TSC); between bursts the
 * buffers are refilled from a master copy, untimed, so decrypt always
 * sees valid ciphertext (and the stage's replay window is reset when the
 * counters come round again). Each run yields the cycles of its median
 * burst (robust against the scheduler and interrupts on a shared core)
 * and its mean; each figure is the median of several runs, the modes
 * taking turns. Prints, asserts nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <intel-ipsec-mb.h>

#include "backend_mem.h"
#include "clock.h"
#include "wg_aead.h"
#include "wg_data.h"
#include "wg_peers.h"
#include "wkstats.h"

#define BURST		32
#define NBUF		512	/* 16 bursts in rotation */
#define MAX_SIZE	1420
#define MAX_RUNS	15

#define LISTEN		51820
#define TUN_MTU		1420

enum mode { RAW, OURS_MB, OURS_SSL, STAGE, NMODES };

static const char *const mode_opt[NMODES] = {
	[RAW] = "raw", [OURS_MB] = "mb", [OURS_SSL] = "ssl", [STAGE] = "stage",
};

static const char *const mode_name[NMODES] = {
	[RAW] = "raw ipsec-mb", [OURS_MB] = "ours ipsec-mb",
	[OURS_SSL] = "ours openssl", [STAGE] = "stage ipsec-mb",
};

/* The data stage on memory-backend buffers, one peer, one keypair. */
struct stage_bed {
	struct gk_mem_pool *pool;
	struct gk_port *port;
	struct gk_pkt *pkt[NBUF];
	uint8_t *data0[NBUF];	/* where each buffer's frame starts */
	uint32_t buf_len0[NBUF];
	uint8_t *master;	/* NBUF frames of up to MASTER_ROOM */
	uint32_t mlen[NBUF];
	struct gk_xdp_meta mmeta[NBUF];
	struct gk_wg_kpstate *kps;
	struct gk_wg_peers *peers;
	struct gk_wg_ctx ctx;
	struct gk_wk_stats st;
	bool enc;
	uint64_t bad;
};

#define MASTER_ROOM	1536

struct bed {
	uint8_t key[32];
	uint8_t *buf;		/* NBUF x MAX_SIZE, worked on in place */
	uint8_t *master;	/* what buf is refilled from */
	uint8_t tag[NBUF][16];
	uint8_t mtag[NBUF][16];
	uint8_t scratch[BURST][16];
	uint8_t iv[NBUF][12];
	uint64_t ctr[NBUF];
	IMB_MGR *raw;
	struct gk_aead *mb, *ssl;
	struct stage_bed *sb;
};

/*
 * Returns how many tags did not match (decrypt). Opening includes the
 * tag compare (RFC 8439 section 2.8), which ipsec-mb leaves to the
 * caller, so raw does it too, after the flush.
 */
static unsigned int raw_burst(struct bed *b, unsigned int first, uint32_t len,
			      bool enc)
{
	IMB_MGR *m = b->raw;
	unsigned int i, bad = 0;
	IMB_JOB *job;

	for (i = 0; i < BURST; i++) {
		uint8_t *p = b->buf + (size_t)(first + i) * MAX_SIZE;

		job = IMB_GET_NEXT_JOB(m);
		job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
		job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
		job->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
		job->chain_order = enc ? IMB_ORDER_CIPHER_HASH :
					 IMB_ORDER_HASH_CIPHER;
		job->enc_keys = b->key;
		job->dec_keys = b->key;
		job->key_len_in_bytes = 32;
		job->iv = b->iv[first + i];
		job->iv_len_in_bytes = 12;
		job->src = p;
		job->dst = p;
		job->cipher_start_src_offset_in_bytes = 0;
		job->msg_len_to_cipher_in_bytes = len;
		job->hash_start_src_offset_in_bytes = 0;
		job->msg_len_to_hash_in_bytes = len;
		job->u.CHACHA20_POLY1305.aad = b->scratch;
		job->u.CHACHA20_POLY1305.aad_len_in_bytes = 0;
		job->u.CHACHA20_POLY1305.ctx = NULL;
		job->auth_tag_output = enc ? b->tag[first + i] : b->scratch[i];
		job->auth_tag_output_len_in_bytes = 16;
		IMB_SUBMIT_JOB_NOCHECK(m);
	}
	while (IMB_FLUSH_JOB(m))
		;
	if (!enc)
		for (i = 0; i < BURST; i++)
			bad += !gk_aead_tag_equal(b->scratch[i], b->tag[first + i]);
	return bad;
}

static void setup_ops(struct bed *b, struct gk_aead_op *ops,
		      unsigned int first, uint32_t len)
{
	unsigned int i;

	for (i = 0; i < BURST; i++) {
		ops[i].key = b->key;
		ops[i].counter = b->ctr[first + i];
		ops[i].buf = b->buf + (size_t)(first + i) * MAX_SIZE;
		ops[i].len = len;
		ops[i].tag = b->tag[first + i];
		ops[i].aad = NULL;
		ops[i].aad_len = 0;
		ops[i].nonce = NULL;
	}
}

static void refill(struct bed *b, unsigned int first, uint32_t len)
{
	unsigned int i;

	for (i = first; i < first + BURST; i++) {
		memcpy(b->buf + (size_t)i * MAX_SIZE,
		       b->master + (size_t)i * MAX_SIZE, len);
		memcpy(b->tag[i], b->mtag[i], 16);
	}
}

static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0xaa, 1 };

static int stage_setup(struct stage_bed *s, const uint8_t key[32], char *err,
		       size_t errlen)
{
	static const struct gk_wg_allowed all4 = { .family = AF_INET };
	struct gk_wg_keypair kp = { .local_index = 0x1234, .remote_index = 0x1234 };
	struct gk_wg_peer_cfg pc = {
		.id = 0, .ep = { .family = AF_INET, .port = LISTEN,
				 .addr = { 203, 0, 113, 2 } },
		.src = { 203, 0, 113, 1 }, .allowed = &all4, .nr_allowed = 1,
	};
	struct gk_wg_peers_cfg cfg = {
		.listen_port = LISTEN, .mtu = TUN_MTU, .peers = &pc, .nr_peers = 1,
	};
	unsigned int i;

	s->pool = gk_mem_pool_create(NBUF + 64, 2048);
	s->port = s->pool ? gk_mem_port_create(s->pool, 0, mac_a, NULL) : NULL;
	s->kps = gk_wg_kpstate_create();
	s->master = malloc((size_t)NBUF * MASTER_ROOM);
	if (!s->port || !s->kps || !s->master) {
		snprintf(err, errlen, "stage: out of memory");
		return -ENOMEM;
	}
	if (s->port->ops->alloc(s->port, s->pkt, NBUF) != NBUF) {
		snprintf(err, errlen, "stage: pool too small");
		return -ENOMEM;
	}
	for (i = 0; i < NBUF; i++) {
		s->data0[i] = s->pkt[i]->data;
		s->buf_len0[i] = s->pkt[i]->buf_len;
	}
	/* Mirrored keys: what we seal, our own decrypt opens. */
	memcpy(kp.send_key, key, 32);
	memcpy(kp.recv_key, key, 32);
	pc.kp[GK_WG_KP_CURRENT] = &kp;
	pc.kps[GK_WG_KP_CURRENT] = s->kps;
	s->peers = gk_wg_peers_build(&cfg, err, errlen);
	explicit_bzero(&kp, sizeof(kp));
	if (!s->peers)
		return -EINVAL;
	if (gk_wg_ctx_init(&s->ctx, 1, GK_AEAD_IPSECMB, err, errlen))
		return -EIO;
	s->ctx.peers = s->peers;
	s->ctx.stats = &s->st;
	s->ctx.now_ns = 1;
	return 0;
}

static void stage_teardown(struct stage_bed *s)
{
	if (s->ctx.aead)
		gk_wg_ctx_fini(&s->ctx);
	gk_wg_peers_free(s->peers);
	gk_wg_kpstate_free(s->kps);
	if (s->port) {
		s->port->ops->free(s->port, s->pkt, NBUF);
		s->port->ops->close(s->port);
	}
	gk_mem_pool_destroy(s->pool);
	free(s->master);
}

static void stage_load(struct stage_bed *s, unsigned int i)
{
	struct gk_pkt *p = s->pkt[i];

	p->data = s->data0[i];
	p->buf_len = s->buf_len0[i];
	p->len = s->mlen[i];
	p->meta = s->mmeta[i];
	p->verdict = GK_V_NONE;
	memcpy(p->data, s->master + (size_t)i * MASTER_ROOM, s->mlen[i]);
}

static void memswap4(uint8_t *a, uint8_t *b)
{
	uint8_t t[4];

	memcpy(t, a, 4);
	memcpy(a, b, 4);
	memcpy(b, t, 4);
}

/*
 * Plaintext masters: Ethernet + an IPv4/UDP packet of len bytes. For
 * decrypt, each is run through the encrypt stage once (counters 0..NBUF-1)
 * and its output becomes the master, with the meta the classifier gives.
 */
static int stage_prepare(struct stage_bed *s, uint32_t len, bool enc)
{
	struct gk_pkt *pk[BURST];
	unsigned int i, j;

	s->enc = enc;
	for (i = 0; i < NBUF; i++) {
		uint8_t *f = s->master + (size_t)i * MASTER_ROOM, *ip = f + 14;
		struct gk_xdp_meta *m = &s->mmeta[i];

		memset(f, 0, 14 + len);
		memcpy(f, mac_a, 6);
		f[12] = 0x08;
		ip[0] = 0x45;
		ip[2] = (uint8_t)(len >> 8);
		ip[3] = (uint8_t)len;
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, (uint8_t[]){ 198, 51, 100, 10 }, 4);
		memcpy(ip + 16, (uint8_t[]){ 198, 18, (uint8_t)(i >> 8), (uint8_t)i }, 4);
		for (j = 28; j < len; j++)
			ip[j] = (uint8_t)(i + j);
		s->mlen[i] = 14 + len;
		memset(m, 0, sizeof(*m));
		m->magic = GK_META_MAGIC;
		m->version = GK_META_VERSION;
		m->class = GK_CLASS_TRANSIT;
		m->l3_off = 14;
		m->l4_off = 34;
		m->l4_proto = 17;
		m->flags = GK_META_F_IPV4 | GK_META_F_L4;
	}
	if (enc)
		return 0;
	atomic_store(&s->kps->send_counter, 0);
	for (i = 0; i < NBUF; i += BURST) {
		for (j = 0; j < BURST; j++) {
			stage_load(s, i + j);
			pk[j] = s->pkt[i + j];
		}
		gk_wg_encrypt_burst(&s->ctx, pk, BURST);
		for (j = 0; j < BURST; j++) {
			struct gk_pkt *p = pk[j];

			uint8_t *o;

			if (p->verdict != GK_V_NONE)
				return -EIO;
			/*
			 * As if the peer had sent it: from its endpoint to us
			 * (a swap leaves the IPv4 checksum as it is). Else
			 * every packet would look like roaming.
			 */
			o = p->data + p->meta.l3_off;
			memswap4(o + 12, o + 16);
			memcpy(s->master + (size_t)(i + j) * MASTER_ROOM, p->data,
			       p->len);
			s->mlen[i + j] = p->len;
			s->mmeta[i + j] = p->meta;
			s->mmeta[i + j].class = GK_CLASS_WG_DATA;
			s->mmeta[i + j].flags &= (uint8_t)~GK_META_F_ORIGIN;
		}
	}
	gk_replay_init(&s->kps->replay);
	return 0;
}

static uint64_t stage_burst(struct stage_bed *s, unsigned int first)
{
	struct gk_pkt *pk[BURST];
	unsigned int i;
	uint64_t t0, t;

	/* Counters come round again: a fresh window, untimed. */
	if (!s->enc && first == 0)
		gk_replay_init(&s->kps->replay);
	for (i = 0; i < BURST; i++) {
		stage_load(s, first + i);
		pk[i] = s->pkt[first + i];
	}
	t0 = gk_cycles();
	if (s->enc)
		gk_wg_encrypt_burst(&s->ctx, pk, BURST);
	else
		gk_wg_decrypt_burst(&s->ctx, pk, BURST);
	t = gk_cycles() - t0;
	for (i = 0; i < BURST; i++)
		s->bad += pk[i]->verdict != GK_V_NONE;
	return t;
}

/* Per-burst TSC ticks of the current run. */
static uint32_t *burst_ticks;
static size_t max_bursts;

struct sample {
	double med;	/* ticks per packet in the run's median burst */
	double mean;	/* ticks per packet over the whole run */
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static struct sample summarize(uint64_t ticks, size_t nb)
{
	struct sample sm;

	qsort(burst_ticks, nb, sizeof(*burst_ticks), cmp_u32);
	sm.med = (double)burst_ticks[nb / 2] / BURST;
	sm.mean = (double)ticks / ((double)nb * BURST);
	return sm;
}

static inline void record(uint64_t t, size_t nb, uint64_t *ticks)
{
	*ticks += t;
	burst_ticks[nb] = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* Returns ticks per packet; 0 (both) if any op failed. */
static struct sample run_once(struct bed *b, enum mode mode, uint32_t len,
			      bool enc, uint64_t packets)
{
	const struct sample failed = { 0, 0 };
	struct gk_aead_op ops[BURST];
	uint64_t done = 0, ticks = 0, t0;
	unsigned int first = 0, i;
	size_t nb = 0;
	bool bad = false;

	if (mode == STAGE) {
		b->sb->bad = 0;
		while (done < packets) {
			record(stage_burst(b->sb, first), nb++, &ticks);
			done += BURST;
			first = (first + BURST) % NBUF;
		}
		return b->sb->bad ? failed : summarize(ticks, nb);
	}
	while (done < packets) {
		refill(b, first, len);
		if (mode != RAW)
			setup_ops(b, ops, first, len);
		t0 = gk_cycles();
		switch (mode) {
		case RAW:
			bad |= raw_burst(b, first, len, enc) != 0;
			break;
		case OURS_MB:
		case OURS_SSL:
			if (enc)
				gk_aead_seal_burst(mode == OURS_MB ? b->mb : b->ssl,
						   ops, BURST);
			else
				gk_aead_open_burst(mode == OURS_MB ? b->mb : b->ssl,
						   ops, BURST);
			break;
		default:
			break;
		}
		record(gk_cycles() - t0, nb++, &ticks);
		if (mode != RAW)
			for (i = 0; i < BURST; i++)
				bad |= ops[i].status != 0;
		done += BURST;
		first = (first + BURST) % NBUF;
	}
	return bad ? failed : summarize(ticks, nb);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Master copy: plaintext for encrypt, valid ciphertext+tag for decrypt. */
static int prepare(struct bed *b, uint32_t len, bool enc)
{
	struct gk_aead_op op = { 0 };
	unsigned int i;

	for (i = 0; i < NBUF; i++) {
		uint8_t *p = b->master + (size_t)i * MAX_SIZE;

		memset(p, (int)(i * 7 + len), len);
		if (enc)
			continue;
		op.key = b->key;
		op.counter = b->ctr[i];
		op.buf = p;
		op.len = len;
		op.tag = b->mtag[i];
		if (gk_aead_seal1(b->ssl, &op))
			return -EIO;
	}
	return 0;
}

/* -m/-b/-d narrow the run (for profiling); raw always runs for the ratio. */
struct filter {
	unsigned int modes;	/* bit per enum mode */
	uint32_t size;		/* 0: all */
	int dir;		/* -1 all, 0 enc, 1 dec */
};

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_dbl);
	return v[n / 2];
}

static int bench(struct bed *b, const struct filter *f, unsigned int runs,
		 double tsc_per_ns, double scale)
{
	static const uint32_t sizes[] = { 64, 256, 1420 };
	double med[NMODES][MAX_RUNS], mean[NMODES][MAX_RUNS];
	double cpp[NMODES], cmean[NMODES];
	unsigned int s, d, mo, r;
	struct sample sm;

	printf("%5s %4s  %-14s %8s %8s %8s %8s %9s %9s\n", "bytes", "dir",
	       "impl", "Mpps", "Gbit/s", "cyc/pkt", "mean cyc", "ours/raw",
	       "(mean)");
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint32_t len = sizes[s];
		/* About 32 MB of payload per run, at least 20k packets. */
		uint64_t packets = (uint64_t)(scale * 32e6 / len);

		if (f->size && f->size != len)
			continue;
		if (packets < 20000)
			packets = 20000;
		packets -= packets % BURST;
		if (packets / BURST > max_bursts) {
			free(burst_ticks);
			max_bursts = packets / BURST;
			burst_ticks = malloc(max_bursts * sizeof(*burst_ticks));
			if (!burst_ticks)
				return -ENOMEM;
		}
		for (d = 0; d < 2; d++) {
			bool enc = d == 0;

			if (f->dir >= 0 && f->dir != (int)d)
				continue;
			if (prepare(b, len, enc) ||
			    stage_prepare(b->sb, len, enc))
				return -EIO;
			for (mo = 0; mo < NMODES; mo++)	/* warm-up, untimed */
				if (f->modes & 1u << mo)
					run_once(b, mo, len, enc,
						 packets / 8 + BURST);
			/* Modes take turns, so a noisy neighbour hits all alike. */
			for (r = 0; r < runs; r++) {
				for (mo = 0; mo < NMODES; mo++) {
					if (!(f->modes & 1u << mo))
						continue;
					sm = run_once(b, mo, len, enc, packets);
					if (sm.med == 0) {
						fprintf(stderr, "%s: op failed\n",
							mode_name[mo]);
						return -EIO;
					}
					med[mo][r] = sm.med;
					mean[mo][r] = sm.mean;
				}
			}
			for (mo = 0; mo < NMODES; mo++) {
				if (!(f->modes & 1u << mo))
					continue;
				cpp[mo] = median(med[mo], runs);
				cmean[mo] = median(mean[mo], runs);
			}
			for (mo = 0; mo < NMODES; mo++) {
				double mpps;

				if (!(f->modes & 1u << mo))
					continue;
				mpps = tsc_per_ns * 1e3 / cpp[mo];
				printf("%5u %4s  %-14s %8.2f %8.2f %8.0f %8.0f",
				       len, enc ? "enc" : "dec", mode_name[mo],
				       mpps, mpps * len * 8 / 1e3,
				       cpp[mo], cmean[mo]);
				if (mo == RAW)
					printf(" %9s %9s\n", "-", "-");
				else
					printf(" %8.1f%% %8.1f%%\n",
					       100.0 * cpp[RAW] / cpp[mo],
					       100.0 * cmean[RAW] / cmean[mo]);
			}
		}
	}
	return 0;
}

static void usage(const char *p)
{
	fprintf(stderr,
		"usage: %s [-r runs] [-s scale] [-c cpu] [-m mode] [-b bytes] "
		"[-d enc|dec]\n"
		"  -r  runs per figure, median printed (default 7, max %d)\n"
		"  -s  work per run relative to the default (default 1.0)\n"
		"  -c  pin to this CPU (default: the current one)\n"
		"  -m  also run only this: mb, ssl or stage (raw always runs)\n"
		"  -b  only this inner size (64, 256 or 1420)\n"
		"  -d  only this direction\n",
		p, MAX_RUNS);
}

int main(int argc, char **argv)
{
	struct filter f = { .modes = (1u << NMODES) - 1, .dir = -1 };
	unsigned int runs = 7, i;
	struct bed *b = NULL;
	double scale = 1.0, tsc;
	char err[128] = "";
	int cpu = -1, opt, ret = 1;
	IMB_ARCH arch;
	cpu_set_t set;

	while ((opt = getopt(argc, argv, "r:s:c:m:b:d:h")) != -1) {
		switch (opt) {
		case 'r':
			runs = (unsigned int)atoi(optarg);
			break;
		case 's':
			scale = atof(optarg);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'm':
			for (i = OURS_MB; i < NMODES; i++)
				if (!strcmp(optarg, mode_opt[i]))
					break;
			if (i == NMODES) {
				usage(argv[0]);
				return 2;
			}
			f.modes = 1u << RAW | 1u << i;
			break;
		case 'b':
			f.size = (uint32_t)atoi(optarg);
			break;
		case 'd':
			f.dir = strcmp(optarg, "dec") ? 0 : 1;
			break;
		default:
			usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (runs < 1 || runs > MAX_RUNS || scale <= 0) {
		usage(argv[0]);
		return 2;
	}
	if (cpu < 0)
		cpu = sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("sched_setaffinity");

	b = aligned_alloc(64, (sizeof(*b) + 63) & ~(size_t)63);
	if (!b) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	memset(b, 0, sizeof(*b));
	b->buf = aligned_alloc(64, (size_t)NBUF * MAX_SIZE);
	b->master = aligned_alloc(64, (size_t)NBUF * MAX_SIZE);
	if (!b->buf || !b->master) {
		fprintf(stderr, "out of memory\n");
		goto out;
	}
	for (i = 0; i < 32; i++)
		b->key[i] = (uint8_t)(0xa5 ^ (i * 29));
	for (i = 0; i < NBUF; i++) {
		b->ctr[i] = 1000000ull + i * 3;
		gk_aead_wg_nonce(b->iv[i], b->ctr[i]);
	}

	b->raw = alloc_mb_mgr(0);
	if (!b->raw) {
		fprintf(stderr, "ipsec-mb: alloc_mb_mgr failed\n");
		goto out;
	}
	init_mb_mgr_auto(b->raw, &arch);
	if (imb_get_errno(b->raw)) {
		fprintf(stderr, "ipsec-mb: %s\n",
			imb_get_strerror(imb_get_errno(b->raw)));
		goto out;
	}
	b->mb = gk_aead_create(GK_AEAD_IPSECMB, err, sizeof(err));
	if (!b->mb) {
		fprintf(stderr, "gk_aead ipsec-mb: %s\n", err);
		goto out;
	}
	b->ssl = gk_aead_create(GK_AEAD_OPENSSL, err, sizeof(err));
	if (!b->ssl) {
		fprintf(stderr, "gk_aead openssl: %s\n", err);
		goto out;
	}
	b->sb = calloc(1, sizeof(*b->sb));
	if (!b->sb || stage_setup(b->sb, b->key, err, sizeof(err))) {
		fprintf(stderr, "stage: %s\n", b->sb ? err : "out of memory");
		goto out;
	}

	tsc = gk_tsc_calibrate();
	printf("bench_wg: ChaCha20-Poly1305, in place, empty AAD, "
	       "bursts of %d, 1 core (cpu %d)\n", BURST, cpu);
	printf("  ipsec-mb %s, our ipsec-mb backend: %s; TSC %.3f GHz\n",
	       imb_get_version_str(), gk_aead_impl_name(b->mb), tsc);
	printf("  stage = gk_wg_{encrypt,decrypt}_burst on memory-backend "
	       "buffers (bytes = inner packet, IPv4 outer).\n");
	printf("  Only the crypto or stage call is timed, per burst. cyc/pkt: "
	       "the median burst of a run\n  (a burst the scheduler or an "
	       "interrupt cut into is an outlier, not cost), median\n  of the "
	       "runs; mean cyc: the whole run's mean, median of the runs. "
	       "Mpps per core and\n  Gbit/s (inner bytes) from cyc/pkt; "
	       "ours/raw = raw cycles / ours (100%% = as fast\n  as raw "
	       "ipsec-mb), from cyc/pkt and, in brackets, from the means.\n");
	if (bench(b, &f, runs, tsc, scale))
		goto out;
	ret = 0;
out:
	if (b->sb) {
		stage_teardown(b->sb);
		free(b->sb);
	}
	gk_aead_destroy(b->ssl);
	gk_aead_destroy(b->mb);
	if (b->raw)
		free_mb_mgr(b->raw);
	free(b->master);
	free(b->buf);
	free(b);
	free(burst_ticks);
	return ret;
}
