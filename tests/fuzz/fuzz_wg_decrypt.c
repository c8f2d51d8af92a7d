// SPDX-License-Identifier: BSD-3-Clause
/*
 * WireGuard data decryption (stage/wg gk_wg_decrypt_burst) with known
 * keypairs, so the fuzzer gets past authentication to the replay window,
 * roaming, cryptokey routing and the inner packet checks:
 *   peer 0  index 0x11223344 (current), 0x55667788 (previous, expired);
 *           endpoint 192.0.2.50:51820; AllowedIPs 203.0.113.128/25,
 *           2001:db8:0:a::/64
 *   peer 1  index 0x01020304 (current), return_path = flow;
 *           AllowedIPs 198.18.0.0/24
 * A record with ctl bit 0 clear is a raw frame for the WireGuard port. With
 * it set, the record is [sel][le64 counter][plaintext] and the harness
 * builds the frame: Ethernet, outer IPv4 (sel bit 0 clear) or IPv6, UDP
 * to 51820 from the endpoint (sel bit 1 set: another address, roaming),
 * the type-4 header for the keypair sel bits 2-3 pick (3: a receiver
 * index nobody has), and the plaintext sealed with lib/wg's own
 * ChaCha20-Poly1305 (not the stage's AEAD). Replay windows and counters
 * start from zero for each input.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto.h"
#include "fuzz_cfg.h"
#include "fuzz_pkt.h"
#include "wg_data.h"
#include "wg_peers.h"
#include "wg_replay.h"

#define NR_KP	3
#define NR_PEERS	4	/* ctx counter slots */
#define BIRTH	1000000000ull

static const uint32_t kp_index[NR_KP] = { 0x11223344, 0x55667788, 0x01020304 };
static struct gk_wg_keypair kp[NR_KP];
static struct gk_wg_kpstate *kps[NR_KP];
static struct gk_wg_peers *snap;
static struct gk_cls_tables *cls;
static struct gk_wg_evring *evr;
static struct gk_wg_ctx ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void allowed(struct gk_wg_allowed *a, int fam, const char *s, int plen)
{
	a->family = (uint8_t)fam;
	a->plen = (uint8_t)plen;
	if (inet_pton(fam, s, a->addr) != 1)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct gk_wg_allowed al0[2], al1[1];
	struct gk_wg_peer_cfg pc[2];
	struct gk_wg_peers_cfg cfg = {
		.listen_port = FZ_WG_PORT, .mtu = 1420, .peers = pc, .nr_peers = 2,
	};
	char err[128];
	unsigned i, j;

	(void)argc;
	(void)argv;
	for (i = 0; i < NR_KP; i++) {
		for (j = 0; j < 32; j++) {
			kp[i].recv_key[j] = (uint8_t)(0x40 + 16 * i + j);
			kp[i].send_key[j] = (uint8_t)(0x90 + 16 * i + j);
		}
		kp[i].local_index = kp_index[i];
		kp[i].remote_index = 0xa0000000 + i;
		kp[i].birth_ns = BIRTH;
		kps[i] = gk_wg_kpstate_create();
		if (!kps[i])
			abort();
	}
	/* the previous keypair is past REJECT_AFTER_TIME from the start */
	kp[1].birth_ns = 0;
	memset(pc, 0, sizeof(pc));
	allowed(&al0[0], AF_INET, "203.0.113.128", 25);
	allowed(&al0[1], AF_INET6, "2001:db8:0:a::", 64);
	allowed(&al1[0], AF_INET, "198.18.0.0", 24);
	pc[0].id = 0;
	pc[0].ep.family = AF_INET;
	pc[0].ep.port = FZ_WG_PORT;
	inet_pton(AF_INET, "192.0.2.50", pc[0].ep.addr);
	inet_pton(AF_INET, "203.0.113.1", pc[0].src);
	pc[0].allowed = al0;
	pc[0].nr_allowed = 2;
	pc[0].kp[GK_WG_KP_CURRENT] = &kp[0];
	pc[0].kps[GK_WG_KP_CURRENT] = kps[0];
	pc[0].kp[GK_WG_KP_PREVIOUS] = &kp[1];
	pc[0].kps[GK_WG_KP_PREVIOUS] = kps[1];
	pc[1].id = 1;
	pc[1].allowed = al1;
	pc[1].nr_allowed = 1;
	pc[1].rpath = 1;
	pc[1].kp[GK_WG_KP_CURRENT] = &kp[2];
	pc[1].kps[GK_WG_KP_CURRENT] = kps[2];
	snap = gk_wg_peers_build(&cfg, err, sizeof(err));
	if (!snap) {
		fprintf(stderr, "fuzz: peers: %s\n", err);
		abort();
	}
	cls = fz_cls(FZ_ROLE_ROUTER, 0);
	evr = gk_wg_evring_create(64);
	if (!evr)
		abort();
	/* kept across inputs (an AEAD is costly to make); reset per input */
	if (gk_wg_ctx_init(&ctx, NR_PEERS, GK_AEAD_AUTO, err, sizeof(err))) {
		fprintf(stderr, "fuzz: wg ctx: %s\n", err);
		abort();
	}
	return 0;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * One sealed record -> one frame in out (room FZ_ROOM + 3 for its
 * record header); returns the record's length, 0 if it did not fit.
 */
static size_t seal(uint8_t ctl, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t *fr = out + 3, *ip = fr + 14, *udp, *msg;
	uint8_t sel;
	uint64_t ctr = 0;
	size_t l3, ulen, plen, i;
	uint32_t idx;

	if (len < 9)
		return 0;
	sel = in[0];
	for (i = 0; i < 8; i++)
		ctr |= (uint64_t)in[1 + i] << (8 * i);
	in += 9;
	plen = len - 9;
	l3 = sel & 1 ? 40 : 20;
	if (14 + l3 + 8 + GK_WG_DATA_MIN_LEN + plen > FZ_ROOM)
		plen = FZ_ROOM - (14 + l3 + 8 + GK_WG_DATA_MIN_LEN);
	ulen = 8 + GK_WG_DATA_MIN_LEN + plen;
	memset(fr, 0, 14 + l3 + 8 + GK_WG_DATA_HDR_LEN);
	fr[0] = 2;
	fr[5] = FZ_PORT_WG + 1;		/* the port's MAC (fuzz_cfg.c) */
	fr[6] = 2;
	fr[11] = 0x50;
	if (sel & 1) {
		fr[12] = 0x86;
		fr[13] = 0xdd;
		ip[0] = 0x60;
		put16(ip + 4, (unsigned)ulen);
		ip[6] = 17;
		ip[7] = 64;
		inet_pton(AF_INET6, sel & 2 ? "2001:db8:0:1::77" :
			  "2001:db8:0:1::50", ip + 8);
		inet_pton(AF_INET6, "2001:db8:0:1::1", ip + 24);
	} else {
		fr[12] = 0x08;
		fr[13] = 0x00;
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(20 + ulen));
		ip[8] = 64;
		ip[9] = 17;
		inet_pton(AF_INET, sel & 2 ? "192.0.2.77" : "192.0.2.50", ip + 12);
		inet_pton(AF_INET, "203.0.113.1", ip + 16);
	}
	udp = ip + l3;
	put16(udp, FZ_WG_PORT);
	put16(udp + 2, FZ_WG_PORT);
	put16(udp + 4, (unsigned)ulen);
	msg = udp + 8;
	idx = (sel >> 2 & 3) < NR_KP ? kp_index[sel >> 2 & 3] : 0xdeadbeef;
	msg[0] = GK_WG_MSG_DATA;
	gk_wg_put_le32(msg + GK_WG_DATA_OFF_RECEIVER, idx);
	for (i = 0; i < 8; i++)
		msg[GK_WG_DATA_OFF_COUNTER + i] = (uint8_t)(ctr >> (8 * i));
	/* the key of the keypair named; a stranger's index gets key 0 */
	if (gk_wg_aead_encrypt(msg + GK_WG_DATA_HDR_LEN, in, plen, NULL, 0, ctr,
			       kp[(sel >> 2 & 3) % NR_KP].recv_key))
		return 0;
	out[0] = ctl;
	put16(out + 1, (unsigned)(14 + l3 + ulen));
	return 3 + 14 + l3 + ulen;
}

/* The input with every sealed record replaced by its frame. */
static uint8_t *expand(const uint8_t *data, size_t size, size_t *outlen)
{
	static uint8_t out[FZ_MAX * (FZ_ROOM + 3)];
	size_t o = 0;
	unsigned n = 0;

	while (size >= 3 && n++ < FZ_MAX) {
		uint8_t ctl = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if (ctl & 1) {
			o += seal(ctl, data, len, out + o);
		} else {
			if (len > FZ_ROOM)
				len = FZ_ROOM;
			out[o] = ctl;
			put16(out + o + 1, (unsigned)len);
			memcpy(out + o + 3, data, len);
			o += 3 + len;
		}
		data += len;
		size -= len;
	}
	*outlen = o;
	return out;
}

static int wg_data(void *arg, struct gk_pkt *p, uint8_t ctl)
{
	struct gk_classify_cfg cfg;

	(void)arg;
	(void)ctl;
	p->in_port = FZ_PORT_WG;
	gk_cls_tables_cfg(cls, p->in_port, &cfg);
	return fz_classify(p, &cfg) && p->meta.class == GK_CLASS_WG_DATA;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_frames f;
	struct gk_wk_stats st;
	struct gk_wg_event ev[16];
	struct gk_pkt *b[FZ_MAX];
	uint64_t now = BIRTH + 1000000000ull;
	unsigned pos = 0, n, i;
	size_t len;
	uint8_t *in = expand(data, size, &len);

	fz_split(&f, in, len);
	for (i = 0; i < NR_KP; i++) {
		atomic_store(&kps[i]->send_counter, 0);
		gk_replay_init(&kps[i]->replay);
	}
	/*
	 * The context (its AEAD is costly to make) lives across inputs;
	 * what a burst writes in it is reset here.
	 */
	memset(ctx.peer, 0, NR_PEERS * sizeof(*ctx.peer));
	memset(&ctx.spare, 0, sizeof(ctx.spare));
	memset(ctx.drops, 0, sizeof(ctx.drops));
	memset(ctx.evc, 0, sizeof(ctx.evc));
	ctx.peer_id_overflow = 0;
	ctx.ip_id = 0;
	memset(&st, 0, sizeof(st));
	ctx.peers = snap;
	ctx.stats = &st;
	ctx.events = evr;
	while ((n = fz_next_burst(&f, &pos, &now, wg_data, NULL, b))) {
		ctx.now_ns = now;
		gk_wg_decrypt_burst(&ctx, b, (uint16_t)n);
	}
	while (gk_wg_evring_pop(evr, ev, 16))
		;
	fz_free(&f);
	return 0;
}
