// SPDX-License-Identifier: BSD-3-Clause
/*
 * The genkan side of the wireguard-go interop test: one UDP socket, our
 * handshake code, and a single-packet transport data path (OpenSSL AEAD).
 *
 *   initiate: handshake as initiator, send one ICMP echo request through
 *             the tunnel, decrypt wireguard-go's echo reply.
 *   respond:  wait for wireguard-go's initiation (a ping on its side),
 *             answer, decrypt the echo request, send back the echo reply.
 *
 * Usage: wg_interop_peer initiate|respond PRIV_B64 PEER_PUB_B64 LPORT
 *        PEER_IP PEER_PORT OUR_TUN_IP PEER_TUN_IP
 * Prints "ready" once bound, "PASS ..." on success; exit 0 only on success.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cookie.h"
#include "keys.h"
#include "noise.h"

#define ICMP_ID		0x4b47
#define ICMP_SEQ	1

static struct gk_wg_identity me;
static struct gk_wg_handshake hs;
static struct gk_wg_cookie cookie;
static struct gk_wg_cookie_checker checker;
static struct gk_wg_keypair kp;
static uint64_t send_counter;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* IPv4 + ICMP echo (type 8 request / 0 reply) with a 16-byte payload. */
static size_t build_icmp(uint8_t *p, uint8_t type, struct in_addr src,
			 struct in_addr dst, uint16_t id, uint16_t seq,
			 const uint8_t *payload, size_t plen)
{
	size_t len = 20 + 8 + plen;
	uint16_t c;

	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 1;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	c = csum(p, 20);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
	p[20] = type;
	p[24] = (uint8_t)(id >> 8);
	p[25] = (uint8_t)id;
	p[26] = (uint8_t)(seq >> 8);
	p[27] = (uint8_t)seq;
	memcpy(p + 28, payload, plen);
	c = csum(p + 20, 8 + plen);
	p[22] = (uint8_t)(c >> 8);
	p[23] = (uint8_t)c;
	return len;
}

/* §5.4.6: pad to 16, encrypt with the le64 counter nonce. */
static int send_data(int fd, const struct sockaddr_in *to, const uint8_t *pkt,
		     size_t len)
{
	uint8_t plain[1500], msg[1600];
	size_t padded = (len + 15) & ~(size_t)15;
	int i;

	memset(plain, 0, padded);
	memcpy(plain, pkt, len);
	memset(msg, 0, GK_WG_DATA_HDR_LEN);
	msg[GK_WG_DATA_OFF_TYPE] = GK_WG_MSG_DATA;
	gk_wg_put_le32(msg + GK_WG_DATA_OFF_RECEIVER, kp.remote_index);
	for (i = 0; i < 8; i++)
		msg[GK_WG_DATA_OFF_COUNTER + i] = (uint8_t)(send_counter >> (8 * i));
	if (gk_wg_aead_encrypt(msg + GK_WG_DATA_HDR_LEN, plain, padded, NULL, 0,
			       send_counter, kp.send_key))
		return -EIO;
	send_counter++;
	if (sendto(fd, msg, GK_WG_DATA_HDR_LEN + padded + GK_WG_AEAD_TAG_LEN, 0,
		   (const struct sockaddr *)to, sizeof(*to)) < 0)
		return -errno;
	return 0;
}

/* Receives until a data message for our index decrypts; keepalives skipped. */
static ssize_t recv_data(int fd, uint8_t *plain, struct sockaddr_in *from)
{
	uint8_t msg[2048];
	socklen_t fl;
	uint64_t ctr;
	ssize_t n;
	int i;

	for (;;) {
		fl = sizeof(*from);
		n = recvfrom(fd, msg, sizeof(msg), 0, (struct sockaddr *)from, &fl);
		if (n < 0)
			return -errno;
		if (n < GK_WG_DATA_MIN_LEN || msg[0] != GK_WG_MSG_DATA ||
		    gk_wg_get_le32(msg + GK_WG_DATA_OFF_RECEIVER) != kp.local_index) {
			fprintf(stderr, "skip message type %u len %zd\n", msg[0], n);
			continue;
		}
		ctr = 0;
		for (i = 0; i < 8; i++)
			ctr |= (uint64_t)msg[GK_WG_DATA_OFF_COUNTER + i] << (8 * i);
		if (gk_wg_aead_decrypt(plain, msg + GK_WG_DATA_HDR_LEN,
				       (size_t)n - GK_WG_DATA_HDR_LEN, NULL, 0,
				       ctr, kp.recv_key)) {
			fprintf(stderr, "FAIL: data message does not authenticate\n");
			return -EBADMSG;
		}
		n -= GK_WG_DATA_MIN_LEN;
		if (!n) {
			fprintf(stderr, "keepalive (counter %llu)\n",
				(unsigned long long)ctr);
			continue;
		}
		return n;
	}
}

static int check_icmp(const uint8_t *p, ssize_t n, uint8_t type,
		      struct in_addr src, struct in_addr dst)
{
	if (n < 28 || p[0] != 0x45 || p[9] != 1 || p[20] != type ||
	    memcmp(p + 12, &src, 4) || memcmp(p + 16, &dst, 4) ||
	    csum(p, 20) != 0) {
		fprintf(stderr, "FAIL: inner packet is not the expected ICMP type %u\n",
			type);
		return -EINVAL;
	}
	return 0;
}

static struct gk_wg_handshake *lookup(void *arg, const uint8_t pub[32])
{
	return memcmp(hs.remote_static, pub, 32) ? NULL : &hs;
}

static void tai_now(uint8_t t[GK_WG_TAI64N_LEN])
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	gk_wg_tai64n(t, ts.tv_sec, ts.tv_nsec);
}

static int initiate(int fd, const struct sockaddr_in *peer, struct in_addr us,
		    struct in_addr them)
{
	static const uint8_t payload[16] = "genkan interop!";
	struct gk_wg_msg_initiation mi;
	struct gk_wg_msg_response mr;
	struct sockaddr_in from;
	uint8_t t[GK_WG_TAI64N_LEN], pkt[1500], buf[2048];
	socklen_t fl;
	ssize_t n;
	size_t len;

	tai_now(t);
	if (gk_wg_create_initiation(&hs, &mi, 0x01020304, t) ||
	    gk_wg_cookie_add_macs(&cookie, &mi, sizeof(mi), mono_ns()))
		return -EIO;
	if (sendto(fd, &mi, sizeof(mi), 0, (const struct sockaddr *)peer,
		   sizeof(*peer)) < 0)
		return -errno;
	for (;;) {
		fl = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0) {
			fprintf(stderr, "FAIL: no handshake response: %s\n",
				strerror(errno));
			return -errno;
		}
		if (n == sizeof(mr) && buf[0] == GK_WG_MSG_RESPONSE)
			break;
		fprintf(stderr, "skip message type %u len %zd\n", buf[0], n);
	}
	memcpy(&mr, buf, sizeof(mr));
	if (gk_wg_cookie_validate(&checker, &mr, sizeof(mr),
				  (struct sockaddr *)&from, false, NULL,
				  mono_ns()) != GK_WG_MAC_VALID_NO_COOKIE) {
		fprintf(stderr, "FAIL: response mac1 invalid\n");
		return -EBADMSG;
	}
	if (gk_wg_consume_response(&hs, &mr)) {
		fprintf(stderr, "FAIL: response does not authenticate\n");
		return -EBADMSG;
	}
	if (gk_wg_begin_session(&hs, &kp, mono_ns()))
		return -EIO;
	printf("handshake complete (initiator), remote index %08x\n", kp.remote_index);

	len = build_icmp(pkt, 8, us, them, ICMP_ID, ICMP_SEQ, payload, sizeof(payload));
	if (send_data(fd, peer, pkt, len))
		return -EIO;
	n = recv_data(fd, buf, &from);
	if (n < 0)
		return (int)n;
	if (check_icmp(buf, n, 0, them, us))
		return -EINVAL;
	if (buf[24] != (ICMP_ID >> 8) || buf[25] != (ICMP_ID & 0xff) ||
	    buf[27] != ICMP_SEQ || memcmp(buf + 28, payload, sizeof(payload))) {
		fprintf(stderr, "FAIL: echo reply does not match the request\n");
		return -EINVAL;
	}
	printf("PASS initiator: echo reply from wireguard-go decrypted\n");
	return 0;
}

static int respond(int fd, struct in_addr us, struct in_addr them)
{
	struct gk_wg_msg_initiation mi;
	struct gk_wg_msg_response mr;
	struct gk_wg_handshake *found;
	struct sockaddr_in from;
	uint8_t pkt[1500], buf[2048];
	socklen_t fl;
	ssize_t n;
	size_t len;
	int ret;

	for (;;) {
		fl = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0) {
			fprintf(stderr, "FAIL: no initiation: %s\n", strerror(errno));
			return -errno;
		}
		if (n == sizeof(mi) && buf[0] == GK_WG_MSG_INITIATION)
			break;
		fprintf(stderr, "skip message type %u len %zd\n", buf[0], n);
	}
	memcpy(&mi, buf, sizeof(mi));
	if (gk_wg_cookie_validate(&checker, &mi, sizeof(mi), (struct sockaddr *)&from,
				  false, NULL, mono_ns()) != GK_WG_MAC_VALID_NO_COOKIE) {
		fprintf(stderr, "FAIL: initiation mac1 invalid\n");
		return -EBADMSG;
	}
	ret = gk_wg_consume_initiation(&me, &mi, lookup, NULL, mono_ns(), &found);
	if (ret) {
		fprintf(stderr, "FAIL: initiation refused: %s\n", strerror(-ret));
		return ret;
	}
	if (gk_wg_create_response(&hs, &mr, 0x0a0b0c0d) ||
	    gk_wg_cookie_add_macs(&cookie, &mr, sizeof(mr), mono_ns()))
		return -EIO;
	if (gk_wg_begin_session(&hs, &kp, mono_ns()))
		return -EIO;
	/* Roaming: answer where the initiation came from. */
	if (sendto(fd, &mr, sizeof(mr), 0, (struct sockaddr *)&from, sizeof(from)) < 0)
		return -errno;
	printf("handshake complete (responder), remote index %08x\n", kp.remote_index);

	n = recv_data(fd, buf, &from);
	if (n < 0)
		return (int)n;
	if (check_icmp(buf, n, 8, them, us))
		return -EINVAL;
	len = (size_t)(((unsigned int)buf[2] << 8 | buf[3]));
	if (len < 28 || len > (size_t)n)
		return -EINVAL;
	len = build_icmp(pkt, 0, us, them, (uint16_t)(buf[24] << 8 | buf[25]),
			 (uint16_t)(buf[26] << 8 | buf[27]), buf + 28, len - 28);
	if (send_data(fd, &from, pkt, len))
		return -EIO;
	printf("PASS responder: echo request decrypted, reply sent\n");
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t priv[32], peer_pub[32];
	struct sockaddr_in local = { .sin_family = AF_INET }, peer = { .sin_family = AF_INET };
	struct in_addr us, them;
	struct timeval tv = { .tv_sec = 20 };
	int fd, ret;

	if (argc != 9) {
		fprintf(stderr, "usage: %s initiate|respond PRIV PEER_PUB LPORT "
			"PEER_IP PEER_PORT OUR_TUN_IP PEER_TUN_IP\n", argv[0]);
		return 2;
	}
	if (gk_wg_key_from_base64(priv, argv[2]) ||
	    gk_wg_key_from_base64(peer_pub, argv[3]) ||
	    inet_pton(AF_INET, argv[5], &peer.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[7], &us) != 1 ||
	    inet_pton(AF_INET, argv[8], &them) != 1) {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	local.sin_port = htons((uint16_t)atoi(argv[4]));
	peer.sin_port = htons((uint16_t)atoi(argv[6]));

	if (gk_wg_identity_init(&me, priv) ||
	    gk_wg_handshake_init(&hs, &me, peer_pub, NULL) ||
	    gk_wg_cookie_init(&cookie, peer_pub) ||
	    gk_wg_cookie_checker_init(&checker, me.pub))
		return 1;
	explicit_bzero(priv, sizeof(priv));

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		perror("socket");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (!strcmp(argv[1], "initiate"))
		ret = initiate(fd, &peer, us, them);
	else if (!strcmp(argv[1], "respond"))
		ret = respond(fd, us, them);
	else
		ret = -EINVAL;
	close(fd);
	gk_wg_handshake_clear(&hs);
	gk_wg_identity_clear(&me);
	explicit_bzero(&kp, sizeof(kp));
	return ret ? 1 : 0;
}
