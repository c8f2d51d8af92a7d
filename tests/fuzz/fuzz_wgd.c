// SPDX-License-Identifier: BSD-3-Clause
/*
 * genkand's WireGuard handshake handler (ctl/genkand/wgd.c
 * gk_wgd_handle_msg) on a gk_wgd_new_detached() with a fixed identity and
 * two peers (fresh for each input):
 *   a  endpoint 192.0.2.50:51820
 *   b  PresharedKey, endpoint [2001:db8:0:1::60]:51820, keepalive 25
 *      (so an initiation of ours is pending from the start)
 * and no AllowedIPs: the handler never looks at them, and each snapshot
 * it publishes would build the LPM tables (tens of MB) again.
 * Records are [ctl][u16 len][bytes] (fuzz_pkt.h's layout). ctl bits 0-1:
 * 0 the bytes are one UDP payload as received; 1 a valid initiation from
 * peer a (ctl bit 2: b), built here with lib/wg as the peer would
 * (bytes: le32 sender index, 12-byte timestamp, then [offset][xor mask]
 * to corrupt it). ctl bit 3: the sender is a stranger
 * [2001:db8:0:1::77]:4000, else peer a's endpoint; bits 4-5 move the
 * clock 0, 1, 6 or 130 s first. Time and randomness are the harness's
 * (clock_gettime and RAND_bytes are wrapped at link time), so an input
 * always does the same.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "config.h"
#include "config_wg.h"
#include "cookie.h"
#include "log.h"
#include "messages.h"
#include "noise.h"
#include "wgd.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the harness's clock and randomness, during an input only ---- */
int __wrap_clock_gettime(clockid_t clk, struct timespec *ts);
int __real_clock_gettime(clockid_t clk, struct timespec *ts);
int __wrap_RAND_bytes(unsigned char *buf, int num);
int __real_RAND_bytes(unsigned char *buf, int num);

static bool in_input;
static uint64_t fake_ns;	/* monotonic; realtime is 1.7e9 s later */
static uint64_t rnd;

int __wrap_clock_gettime(clockid_t clk, struct timespec *ts)
{
	uint64_t t = fake_ns;

	if (!in_input)
		return __real_clock_gettime(clk, ts);
	if (clk == CLOCK_REALTIME)
		t += 1700000000ull * 1000000000ull;
	ts->tv_sec = (time_t)(t / 1000000000ull);
	ts->tv_nsec = (long)(t % 1000000000ull);
	return 0;
}

int __wrap_RAND_bytes(unsigned char *buf, int num)
{
	if (!in_input)
		return __real_RAND_bytes(buf, num);
	for (int i = 0; i < num; i++) {
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		buf[i] = (uint8_t)rnd;
	}
	return 1;
}

static struct gk_config_wg cfg;
static struct gk_config_wg_peer peers[2];
static uint8_t peer_priv[2][32];
static struct gk_wg_identity me;

static void key(uint8_t k[32], uint8_t seed)
{
	for (int i = 0; i < 32; i++)
		k[i] = (uint8_t)(seed + 13 * i);
	k[0] &= 248;
	k[31] = (k[31] & 127) | 64;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct gk_wg_identity id;

	(void)argc;
	(void)argv;
	gk_log_set_level(GK_LOG_ERROR);
	if (gk_wg_crypto_init())
		abort();
	key(cfg.priv, 0x11);
	if (gk_wg_identity_init(&me, cfg.priv))
		abort();
	cfg.enabled = true;
	cfg.listen_port = 51820;
	cfg.mtu = 1420;
	snprintf(cfg.port, sizeof(cfg.port), "wg");
	for (int i = 0; i < 2; i++) {
		struct gk_config_wg_peer *p = &peers[i];

		key(peer_priv[i], (uint8_t)(0x22 + 0x11 * i));
		if (gk_wg_identity_init(&id, peer_priv[i]))
			abort();
		memcpy(p->pub, id.pub, 32);
		snprintf(p->name, sizeof(p->name), "%c", 'a' + i);
		p->ep.port = 51820;
		gk_wg_identity_clear(&id);
	}
	peers[0].ep.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.50", peers[0].ep.addr);
	peers[1].ep.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:0:1::60", peers[1].ep.addr);
	memset(peers[1].psk, 0x5c, 32);
	peers[1].keepalive_s = 25;
	cfg.peers = peers;
	cfg.nr_peers = cfg.cap = 2;
	return 0;
}

/* A valid initiation from peer i, as lib/wg makes one, then corrupted. */
static size_t initiation(unsigned i, const uint8_t *b, size_t n, uint8_t *out)
{
	struct gk_wg_msg_initiation m;
	struct gk_wg_identity id;
	struct gk_wg_handshake hs;
	struct gk_wg_cookie ck;
	uint8_t ts[GK_WG_TAI64N_LEN] = { 0 };
	uint32_t sender = 0;
	size_t len = 0;

	if (n >= 4)
		sender = gk_wg_get_le32(b);
	if (n >= 16)
		memcpy(ts, b + 4, sizeof(ts));
	if (gk_wg_identity_init(&id, peer_priv[i]) ||
	    gk_wg_handshake_init(&hs, &id, me.pub, i ? peers[1].psk : NULL) ||
	    gk_wg_cookie_init(&ck, me.pub))
		abort();
	if (!gk_wg_create_initiation(&hs, &m, sender, ts) &&
	    !gk_wg_cookie_add_macs(&ck, &m, sizeof(m), fake_ns)) {
		memcpy(out, &m, sizeof(m));
		len = sizeof(m);
		if (n > 17)
			for (size_t k = 0, off = b[16]; k < n - 17 && off + k < len; k++)
				out[off + k] ^= b[17 + k];
	}
	gk_wg_handshake_clear(&hs);
	gk_wg_cookie_clear(&ck);
	gk_wg_identity_clear(&id);
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t steps[4] = { 0, 1000000000ull, 6000000000ull,
					   130000000000ull };
	static uint8_t buf[4096];
	struct sockaddr_storage ep = { 0 }, stranger = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ep;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&stranger;
	struct gk_wgd *g;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(51820);
	inet_pton(AF_INET, "192.0.2.50", &s4->sin_addr);
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(4000);
	inet_pton(AF_INET6, "2001:db8:0:1::77", &s6->sin6_addr);
	in_input = true;
	fake_ns = 1000ull * 1000000000ull;
	rnd = 0x9e3779b97f4a7c15ull;
	g = gk_wgd_new_detached(&cfg);
	if (!g)
		abort();
	while (size >= 3) {
		uint8_t ctl = data[0];
		size_t n = (size_t)data[1] << 8 | data[2], len;

		data += 3;
		size -= 3;
		if (n > size)
			n = size;
		if (n > sizeof(buf))
			n = sizeof(buf);
		fake_ns += steps[ctl >> 4 & 3];
		if ((ctl & 3) == 1) {
			len = initiation(ctl >> 2 & 1, data, n, buf);
		} else {
			memcpy(buf, data, n);
			len = n;
		}
		gk_wgd_handle_msg(g, buf, len, ctl & 8 ? &stranger : &ep);
		data += n;
		size -= n;
	}
	gk_wgd_stop(g);
	in_input = false;
	return 0;
}
