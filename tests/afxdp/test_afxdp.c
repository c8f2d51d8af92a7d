// SPDX-License-Identifier: BSD-3-Clause
/*
 * AF_XDP backend over a veth pair (run inside a netns by test_afxdp.sh):
 *
 *   port 0: vethA q0 ---+                 +--- port 2: vethB q0
 *   port 1: vethA q1 ---+== veth pair ====+
 *                                         +--- AF_PACKET socket on vethB
 *
 * All three sockets share one UMEM. Frames come from scapy (gen_frames.py).
 *  1. alloc + tx on port 0 -> rx on port 2, bytes compared.
 *  2. AF_PACKET on vethB -> rx on port 0/1 -> tx on port 2 with the same
 *     UMEM frame (no copy) -> rx again on port 0/1, bytes compared.
 *  3. XDP_STATISTICS: nobody polls A while AF_PACKET floods it with one
 *     flow (one queue), so that socket's rx ring must overflow; the kernel
 *     counts the loss and the xstats op has to report it.
 *  4. after closing every port all frames are back on the free stack.
 * Waits are bounded by poll() only to fail instead of hanging.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <genkan/bpf_maps.h>

#include "backend_afxdp.h"

#define MAX_FRAMES	16
#define NFRAMES		4096
#define WAIT_ROUNDS	200	/* x 50 ms poll: generous failure bound */

struct frame {
	uint16_t len;
	uint8_t b[2048];
};

static struct frame fx[MAX_FRAMES];
static unsigned int nfx;
static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);	\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		failures++;						\
	}								\
} while (0)

static int load_frames(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t hdr[2];

	if (!f)
		return -errno;
	while (nfx < MAX_FRAMES && fread(hdr, 1, 2, f) == 2) {
		fx[nfx].len = (uint16_t)(hdr[0] | hdr[1] << 8);
		if (fx[nfx].len > sizeof(fx[nfx].b) ||
		    fread(fx[nfx].b, 1, fx[nfx].len, f) != fx[nfx].len) {
			fclose(f);
			return -EINVAL;
		}
		nfx++;
	}
	fclose(f);
	return nfx ? 0 : -EINVAL;
}

static int match(const struct gk_pkt *pkt, const struct frame *want)
{
	return pkt->len == want->len && !memcmp(pkt->data, want->b, want->len);
}

/*
 * Polls ports until a frame equal to want shows up. Other frames are freed
 * (none are expected with IPv6 off, but the kernel may still emit some).
 * With keep, the matching packet is returned to the caller, else freed.
 */
static struct gk_pkt *wait_for(struct gk_port **ports, unsigned int np,
			       const struct frame *want, bool keep)
{
	struct gk_pkt *pkts[GK_BURST], *found = NULL;
	struct pollfd pfd[4];
	unsigned int r, i;
	uint16_t n, k;

	for (i = 0; i < np; i++) {
		pfd[i].fd = gk_xsk_port_fd(ports[i]);
		pfd[i].events = POLLIN;
	}
	for (r = 0; r < WAIT_ROUNDS && !found; r++) {
		for (i = 0; i < np && !found; i++) {
			n = gk_port_rx(ports[i], pkts, GK_BURST);
			for (k = 0; k < n; k++) {
				if (getenv("GK_TEST_VERBOSE"))
					fprintf(stderr, "port %u q %u len %u\n",
						ports[i]->port_id, ports[i]->queue,
						pkts[k]->len);
				if (!found && match(pkts[k], want)) {
					found = pkts[k];
					if (keep)
						continue;
				}
				gk_port_free(ports[i], &pkts[k], 1);
			}
		}
		if (!found)
			poll(pfd, np, 50);
	}
	return found;
}

/* Phase 1: frames built in a fresh buffer on A, received on B. */
static void test_alloc_tx_rx(struct gk_port *a, struct gk_port *b)
{
	struct gk_pkt *pkt;
	unsigned int i;

	for (i = 0; i < nfx; i++) {
		CHECK(a->ops->alloc(a, &pkt, 1) == 1, "alloc");
		CHECK(pkt->buf_len >= fx[i].len, "buf_len %u", pkt->buf_len);
		memcpy(pkt->data, fx[i].b, fx[i].len);
		pkt->len = fx[i].len;
		CHECK(gk_port_tx(a, &pkt, 1) == 1, "tx frame %u", i);
		gk_port_flush(a);
		pkt = wait_for(&b, 1, &fx[i], true);
		CHECK(pkt, "frame %u (%u bytes) not received on B", i, fx[i].len);
		if (!pkt)
			continue;
		CHECK(pkt->in_port == b->port_id, "in_port %u", pkt->in_port);
		CHECK(pkt->buf_len >= pkt->len, "buf_len");
		gk_port_free(b, &pkt, 1);
	}
	gk_port_flush(a);
	CHECK(a->stats.tx_packets == nfx, "A tx_packets %lu",
	      (unsigned long)a->stats.tx_packets);
	CHECK(b->stats.rx_packets >= nfx, "B rx_packets %lu",
	      (unsigned long)b->stats.rx_packets);
}

static int raw_open(const char *ifname)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		return -errno;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Phase 2: kernel-sent frame in on A, out on B from the same UMEM frame. */
static void test_relay(struct gk_port **a, struct gk_port *b, const char *ifb)
{
	struct gk_pkt *pkt;
	unsigned int i;
	int fd;

	fd = raw_open(ifb);
	CHECK(fd >= 0, "AF_PACKET on %s: %s", ifb, strerror(-fd));
	if (fd < 0)
		return;
	for (i = 0; i < nfx; i++) {
		CHECK(send(fd, fx[i].b, fx[i].len, 0) == fx[i].len, "send");
		pkt = wait_for(a, 2, &fx[i], true);
		CHECK(pkt, "frame %u not received on A", i);
		if (!pkt)
			continue;
		/* Same gk_pkt, same UMEM frame: TX on another device. */
		CHECK(gk_port_tx(b, &pkt, 1) == 1, "relay tx %u", i);
		gk_port_flush(b);
		pkt = wait_for(a, 2, &fx[i], true);
		CHECK(pkt, "relayed frame %u not received back on A", i);
		if (!pkt)
			continue;
		gk_port_free(a[0], &pkt, 1);
	}
	gk_port_flush(b);
	close(fd);
}

static uint64_t rx_lost(const struct gk_port_xstats *x)
{
	return x->rx_dropped + x->rx_ring_full + x->rx_fill_ring_empty_descs;
}

/*
 * Phase 3. More frames than A's rx ring plus its fill ring hold, sent
 * while nothing polls A: the kernel must drop some and say so. Sent in
 * small batches so veth's own queue (whose drops XDP_STATISTICS does not
 * see) keeps up; the wait bound only turns a hang into a failure.
 */
static void test_xstats(struct gk_port **a, struct gk_port *b, const char *ifb)
{
	struct gk_port_xstats x0, x1, xb;
	unsigned int i, r, sent = 0;
	uint64_t before;
	int fd;

	CHECK(gk_port_xstats(a[0], &x0) == 0, "xstats A0");
	CHECK(gk_port_xstats(a[1], &x1) == 0, "xstats A1");
	CHECK(gk_port_xstats(b, &xb) == 0, "xstats B");
	/* Nothing went wrong so far: rings had room and descs were valid. */
	CHECK(!x0.rx_invalid_descs && !x0.tx_invalid_descs &&
	      !xb.tx_invalid_descs, "invalid descs before the flood");
	before = rx_lost(&x0) + rx_lost(&x1);

	fd = raw_open(ifb);
	CHECK(fd >= 0, "AF_PACKET on %s: %s", ifb, strerror(-fd));
	if (fd < 0)
		return;
	for (i = 0; i < 4 * NFRAMES; i++) {
		if (send(fd, fx[0].b, fx[0].len, 0) == fx[0].len)
			sent++;
		if (i % 32 == 31)
			usleep(200);
	}
	close(fd);
	for (r = 0; r < WAIT_ROUNDS; r++) {
		CHECK(gk_port_xstats(a[0], &x0) == 0, "xstats A0");
		CHECK(gk_port_xstats(a[1], &x1) == 0, "xstats A1");
		if (rx_lost(&x0) + rx_lost(&x1) > before)
			break;
		usleep(50000);
	}
	printf("xstats after %u frames: A0 dropped %lu ring_full %lu "
	       "fill_empty %lu | A1 dropped %lu ring_full %lu fill_empty %lu\n",
	       sent, (unsigned long)x0.rx_dropped,
	       (unsigned long)x0.rx_ring_full,
	       (unsigned long)x0.rx_fill_ring_empty_descs,
	       (unsigned long)x1.rx_dropped, (unsigned long)x1.rx_ring_full,
	       (unsigned long)x1.rx_fill_ring_empty_descs);
	CHECK(sent > 1024, "AF_PACKET sent only %u frames", sent);
	CHECK(rx_lost(&x0) + rx_lost(&x1) > before,
	      "kernel reported no rx loss on A after %u unpolled frames", sent);
	CHECK(!x0.rx_invalid_descs && !x1.rx_invalid_descs,
	      "rx invalid descs");
}

/*
 * genkand's mode: no program from libxdp, the socket goes into our map at
 * GK_XSK_KEY(port, queue). The kernel will not read XSKMAP entries back
 * to user space, so only the insert itself is checked.
 */
static void test_genkan_map(struct gk_xsk_umem *u, const char *ifname)
{
	struct gk_xsk_port_cfg cfg = {
		.ifname = ifname, .queue = 1, .port_id = 3,
		.rx_size = 64, .tx_size = 64,
	};
	uint32_t before = gk_xsk_umem_nfree(u);
	struct gk_port *p;
	char err[256];
	int map;

	map = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "gk_xsks", 4, 4,
			     GK_MAX_PORTS * GK_MAX_QUEUES, NULL);
	CHECK(map >= 0, "XSKMAP: %s", strerror(errno));
	if (map < 0)
		return;
	cfg.xsks_map_fd = map;
	p = gk_xsk_port_open(u, &cfg, err, sizeof(err));
	CHECK(p, "open with gk_xsks: %s", err);
	if (p) {
		CHECK(gk_xsk_umem_nfree(u) == before - 64, "fill target");
		p->ops->close(p);
	}
	CHECK(gk_xsk_umem_nfree(u) == before, "close returns fill frames");
	/* A key past the map: the insert must fail and nothing leak. */
	cfg.port_id = GK_MAX_PORTS - 1;
	cfg.queue = GK_MAX_QUEUES - 1;
	close(map);
	map = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "gk_small", 4, 4, 4, NULL);
	cfg.xsks_map_fd = map;
	p = gk_xsk_port_open(u, &cfg, err, sizeof(err));
	CHECK(!p, "insert past the map end succeeded");
	CHECK(gk_xsk_umem_nfree(u) == before, "failed open leaked frames");
	close(map);
}

int main(int argc, char **argv)
{
	struct gk_xsk_port_cfg cfg = {
		.xsks_map_fd = -1,
		.bind_mode = GK_XSK_BIND_AUTO,
		.rx_size = 512,
		.tx_size = 512,
	};
	struct gk_port *a[2], *b;
	struct gk_xsk_umem *u;
	char err[256];
	int ret;

	if (argc < 4) {
		fprintf(stderr, "usage: %s vethA vethB frames.bin [skb]\n", argv[0]);
		return 2;
	}
	ret = load_frames(argv[3]);
	if (ret) {
		fprintf(stderr, "%s: %s\n", argv[3], strerror(-ret));
		return 2;
	}
	cfg.skb_mode = argc > 4 && !strcmp(argv[4], "skb");

	u = gk_xsk_umem_create(NFRAMES, 2048, err, sizeof(err));
	if (!u) {
		fprintf(stderr, "umem: %s\n", err);
		return 1;
	}
	printf("umem: %u frames, hugepages %s\n", gk_xsk_umem_nframes(u),
	       gk_xsk_umem_hugepages(u) ? "yes" : "no");

	cfg.ifname = argv[1];
	cfg.queue = 0;
	cfg.port_id = 0;
	a[0] = gk_xsk_port_open(u, &cfg, err, sizeof(err));
	if (!a[0]) {
		fprintf(stderr, "open A q0: %s\n", err);
		return 1;
	}
	cfg.queue = 1;
	cfg.port_id = 1;
	a[1] = gk_xsk_port_open(u, &cfg, err, sizeof(err));
	if (!a[1]) {
		fprintf(stderr, "open A q1: %s\n", err);
		return 1;
	}
	cfg.ifname = argv[2];
	cfg.queue = 0;
	cfg.port_id = 2;
	b = gk_xsk_port_open(u, &cfg, err, sizeof(err));
	if (!b) {
		fprintf(stderr, "open B q0: %s\n", err);
		return 1;
	}
	printf("bound: A0 %s, A1 %s, B %s (%s XDP)\n",
	       gk_xsk_port_bind_mode(a[0]) == GK_XSK_BIND_ZEROCOPY ? "zc" : "copy",
	       gk_xsk_port_bind_mode(a[1]) == GK_XSK_BIND_ZEROCOPY ? "zc" : "copy",
	       gk_xsk_port_bind_mode(b) == GK_XSK_BIND_ZEROCOPY ? "zc" : "copy",
	       cfg.skb_mode ? "skb" : "native");
	CHECK(gk_xsk_port_is(b), "port type");
	CHECK(gk_xsk_umem_nfree(u) < NFRAMES, "fill rings were not filled");

	test_alloc_tx_rx(a[0], b);
	test_relay(a, b, argv[2]);

	printf("A0 rx %lu tx %lu wk %lu | A1 rx %lu | B rx %lu tx %lu wk %lu "
	       "drops %lu\n",
	       (unsigned long)a[0]->stats.rx_packets,
	       (unsigned long)a[0]->stats.tx_packets,
	       (unsigned long)a[0]->stats.wakeups,
	       (unsigned long)a[1]->stats.rx_packets,
	       (unsigned long)b->stats.rx_packets,
	       (unsigned long)b->stats.tx_packets,
	       (unsigned long)b->stats.wakeups,
	       (unsigned long)b->stats.tx_drops);
	CHECK(b->stats.tx_packets == nfx, "B tx_packets %lu",
	      (unsigned long)b->stats.tx_packets);
	CHECK(a[0]->stats.rx_packets + a[1]->stats.rx_packets >= 2 * nfx,
	      "A rx");
	CHECK(a[0]->stats.wakeups > 0, "copy-mode TX needs kicks");

	test_genkan_map(u, argv[2]);
	test_xstats(a, b, argv[2]);

	b->ops->close(b);
	a[1]->ops->close(a[1]);
	a[0]->ops->close(a[0]);
	CHECK(gk_xsk_umem_nfree(u) == NFRAMES, "frames leaked: %u of %u free",
	      gk_xsk_umem_nfree(u), NFRAMES);
	gk_xsk_umem_destroy(u);

	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("ok: %u frames each way\n", nfx);
	return 0;
}
