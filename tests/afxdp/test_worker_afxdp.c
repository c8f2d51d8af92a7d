// SPDX-License-Identifier: BSD-3-Clause
/*
 * The worker on the AF_XDP backend, fed the corpora the net_pcap test
 * (tests/dpdk/test_dpdk.c) and the memory backend run (wcorpus.h: the L3
 * corpus and the MAP-E CE corpus, scapy). Run in a netns by
 * test_worker_afxdp.sh:
 *
 *   worker: port 0 AF_XDP on A0 q0       port 1 AF_XDP on A1 q0
 *               |                            |
 *           A0 ===veth=== B0             A1 ===veth=== B1
 *                         AF_PACKET                    AF_PACKET
 *                         (send, capture)              (send, capture)
 *
 * Each corpus frame is sent into A_k from B_k, port by port; what the
 * worker sends is captured on B0/B1 and checked: (a) against scapy's
 * frames, (b) byte for byte against the memory backend's output for the
 * same input, in the same order on the same ports, (c) with the same worker
 * counters (rx, tx, drops by reason, classes, events). Once per hand-off:
 *
 *   parse:     libxdp's redirect-all program; the worker's twin classifies
 *   xdp_parse: genkan's classifier, port flag HAND_PARSE (genkand's parse)
 *   xdp_head:  genkan's classifier, bpf_xdp_adjust_head, rx strips it
 *   xdp_meta:  genkan's classifier, bpf_xdp_adjust_meta; skipped when the
 *              verifier refuses the helper (gk_xdp_probe_hand)
 *
 * With the classifier, its own counters must show every frame redirected
 * and none failing the hand-off. Every wait is bounded (a failure, never a
 * hang). Needs root. Usage: test_worker_afxdp A0 B0 A1 B1 [skb]
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <urcu-qsbr.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "backend_afxdp.h"
#include "wcorpus.h"
#include "worker.h"
#include "xdp_loader.h"

#define NFRAMES		1024
#define RX_WAIT_MS	5000	/* failure bounds, not expected times */
#define CAP_WAIT_MS	3000
#define BIND_WAIT_MS	2000
#define LINGER_MS	150	/* after the last expected frame: extras? */

static const char *ifa[2], *ifb[2];
static bool skb_mode;
static unsigned int hand_ok;	/* GK_XDP_HAND_OK_* */

enum mode { M_PARSE, M_XDP_PARSE, M_XDP_HEAD, M_XDP_META };

static const char *const mode_name[] = {
	[M_PARSE] = "parse", [M_XDP_PARSE] = "xdp_parse",
	[M_XDP_HEAD] = "xdp_head", [M_XDP_META] = "xdp_meta",
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int raw_open(const char *ifname)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, 0);

	if (fd < 0)
		fail_msg("AF_PACKET: %s", strerror(errno));
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		fail_msg("AF_PACKET on %s: %s", ifname, strerror(errno));
	return fd;
}

/* Frames that came in on B (the worker's output), not what B sent. */
static void capture(int fd, struct wc_frames *fs, const char *who, int k)
{
	static uint8_t buf[4096];
	struct sockaddr_ll from;
	socklen_t fl;
	ssize_t n;

	for (;;) {
		fl = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			     &fl);
		if (n < 0)
			return;
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (fs->n == WC_MAXF)
			fail_msg("%s: more than %u frames on port %d", who,
				 WC_MAXF, k);
		wc_frames_add(fs, buf, (uint32_t)n);
	}
}

struct rig {
	struct gk_xsk_umem *u;
	struct gk_xdp *x;
	struct gk_port *p[2];
	int fd[2];
	uint32_t ifindex[2];
	struct gk_worker w;
	bool w_up, rcu_on;
};

static struct rig rig = { .fd = { -1, -1 } };

/*
 * Everything the rig holds, in reverse; also the teardown after a failed
 * check, so the next run finds A0/A1 bare. Returns the UMEM's free frames
 * once every port is closed (all of them, unless a frame leaked).
 */
static uint32_t rig_release(struct rig *r)
{
	uint32_t nfree = 0;
	int k;

	if (r->rcu_on)
		rcu_unregister_thread();
	if (r->w_up)
		gk_worker_fini(&r->w);
	for (k = 0; k < 2; k++) {
		if (r->p[k])
			r->p[k]->ops->close(r->p[k]);
		if (r->fd[k] >= 0)
			close(r->fd[k]);
	}
	if (r->u) {
		nfree = gk_xsk_umem_nfree(r->u);
		gk_xsk_umem_destroy(r->u);
	}
	gk_xdp_close(r->x);
	memset(r, 0, sizeof(*r));
	r->fd[0] = r->fd[1] = -1;
	return nfree;
}

static int rig_teardown(void **state)
{
	(void)state;
	rig_release(&rig);
	return 0;
}

/* genkan's classifier on A0/A1 with the corpus's tables in its maps. */
static void xdp_up(struct rig *r, const struct wc_corpus *c, enum mode m)
{
	struct gk_xdp_opts o = { .skb_mode = skb_mode, .nr_queues = 1 };
	struct gk_mape_v6_entry v6;
	uint32_t hf;
	char err[256];
	int k;

	/* only the helper of the mode under test, as genkand after its probe */
	o.flags = m == M_XDP_META ? GK_CFG_F_NO_HEAD :
		  m == M_XDP_HEAD ? GK_CFG_F_NO_META :
				    GK_CFG_F_NO_META | GK_CFG_F_NO_HEAD;
	hf = m == M_XDP_HEAD ? GK_PORT_F_HAND_HEAD :
	     m == M_XDP_PARSE ? GK_PORT_F_HAND_PARSE : 0;
	r->x = gk_xdp_load(&o, err, sizeof(err));
	if (!r->x)
		fail_msg("classifier: %s", err);
	for (k = 0; k < 2; k++)
		assert_int_equal(gk_xdp_set_port(r->x, r->ifindex[k],
						 (uint32_t)k, GK_PORT_F_ENABLED |
						 hf | c->port_flags[k]), 0);
	if (c->nr_mape6) {
		memcpy(v6.addr, c->mape6.addr, 16);
		v6.cls = c->mape6.cls;
		assert_int_equal(gk_xdp_mape_sync(r->x, &v6, 1, NULL, 0), 0);
	}
	for (k = 0; k < 2; k++)
		if (gk_xdp_attach(r->x, r->ifindex[k], err, sizeof(err)))
			fail_msg("attach to %s: %s", ifa[k], err);
}

static void ports_up(struct rig *r, enum mode m)
{
	struct gk_xsk_port_cfg cfg = {
		.xsks_map_fd = r->x ? gk_xdp_xsks_fd(r->x) : -1,
		.bind_mode = GK_XSK_BIND_AUTO,
		.skb_mode = skb_mode,
		.rx_size = 256,
		.tx_size = 256,
	};
	char err[256];
	int k;

	cfg.hand = m == M_XDP_HEAD ? GK_HAND_HEAD :
		   m == M_XDP_META ? GK_HAND_META : GK_HAND_PARSE;
	for (k = 0; k < 2; k++) {
		uint64_t t0 = now_ms(), end = t0 + BIND_WAIT_MS;

		cfg.ifname = ifa[k];
		cfg.port_id = (uint16_t)k;
		memcpy(cfg.mac, wc_mac[k], 6);
		/*
		 * The previous run's socket on this queue is gone, but the
		 * kernel frees its buffer pool in a work item after the
		 * close: until then bind() says EBUSY.
		 */
		while (!(r->p[k] = gk_xsk_port_open(r->u, &cfg, err,
						    sizeof(err))) &&
		       strstr(err, strerror(EBUSY)) && now_ms() < end)
			usleep(5000);
		if (!r->p[k])
			fail_msg("%s: %s", ifa[k], err);
		if (now_ms() - t0 > 5)
			printf("%s queue 0 busy for %lu ms after the last close\n",
			       ifa[k], (unsigned long)(now_ms() - t0));
		assert_int_equal(atomic_load(&r->p[k]->hand), cfg.hand);
	}
}

/* Poll the worker until it took want frames in all, or the bound. */
static void poll_until_rx(struct rig *r, uint64_t want, const char *who)
{
	struct pollfd pfd[2];
	uint64_t end = now_ms() + RX_WAIT_MS;
	int k;

	for (k = 0; k < 2; k++) {
		pfd[k].fd = gk_xsk_port_fd(r->p[k]);
		pfd[k].events = POLLIN;
	}
	while (gk_worker_poll(&r->w), r->w.stats.rx_packets < want) {
		if (now_ms() > end)
			fail_msg("%s: the worker took %lu frames in %u ms, want "
				 "%lu", who, (unsigned long)r->w.stats.rx_packets,
				 RX_WAIT_MS, (unsigned long)want);
		poll(pfd, 2, 10);
	}
}

/*
 * Capture on B0/B1 until as many frames as the memory backend sent have
 * come (or the bound), then a little longer: a frame too many fails too.
 * The worker keeps polling meanwhile (completions, kicks).
 */
static void collect(struct rig *r, const struct wc_result *mem,
		    struct wc_result *res, const char *who)
{
	struct pollfd pfd[2] = {
		{ .fd = r->fd[0], .events = POLLIN },
		{ .fd = r->fd[1], .events = POLLIN },
	};
	uint64_t end = now_ms() + CAP_WAIT_MS, linger = 0, t;
	int k;

	for (;;) {
		gk_worker_poll(&r->w);
		for (k = 0; k < 2; k++)
			capture(r->fd[k], &res->out[k], who, k);
		t = now_ms();
		if (!linger && res->out[0].n >= mem->out[0].n &&
		    res->out[1].n >= mem->out[1].n)
			linger = t + LINGER_MS;
		if ((linger && t > linger) || t > end)
			break;
		poll(pfd, 2, 10);
	}
}

/* The classifier's own counters: all n frames redirected, none failed. */
static void xdp_counted(struct rig *r, size_t n, const char *who)
{
	struct gk_xdp_counter st[GK_STAT_MAX];
	uint64_t fails[GK_MAX_PORTS];

	assert_int_equal(gk_xdp_read_stats(r->x, st), 0);
	if (st[GK_STAT_EVENT(GK_XDP_EV_REDIRECT)].packets != n)
		fail_msg("%s: classifier redirected %lu frames, want %zu", who,
			 (unsigned long)st[GK_STAT_EVENT(GK_XDP_EV_REDIRECT)].packets,
			 n);
	assert_int_equal(st[GK_STAT_EVENT(GK_XDP_EV_META_FAIL)].packets, 0);
	assert_int_equal(st[GK_STAT_EVENT(GK_XDP_EV_NO_XSK)].packets, 0);
	assert_int_equal(gk_xdp_read_hand_fail(r->x, fails), 0);
	assert_int_equal(fails[0] + fails[1], 0);
}

static void run_xsk(struct wc_corpus *c, enum mode m,
		    const struct wc_result *mem, struct wc_result *res,
		    const char *who)
{
	struct rig *r = &rig;
	struct gk_worker_cfg cfg;
	uint64_t fed = 0;
	char err[256];
	size_t i;
	int k;

	for (k = 0; k < 2; k++) {
		r->ifindex[k] = if_nametoindex(ifa[k]);
		assert_true(r->ifindex[k] > 0);
		r->fd[k] = raw_open(ifb[k]);
	}
	r->u = gk_xsk_umem_create(NFRAMES, 2048, err, sizeof(err));
	if (!r->u)
		fail_msg("umem: %s", err);
	if (m != M_PARSE)
		xdp_up(r, c, m);
	ports_up(r, m);
	printf("%s: AF_XDP %s mode, %s XDP\n", who,
	       gk_xsk_port_bind_mode(r->p[0]) == GK_XSK_BIND_ZEROCOPY ?
	       "zerocopy" : "copy", skb_mode ? "skb" : "native");

	wc_worker_cfg(c, &cfg);
	cfg.ports[0] = r->p[0];
	cfg.ports[1] = r->p[1];
	assert_int_equal(gk_worker_init(&r->w, &cfg), 0);
	r->w_up = true;
	rcu_register_thread();
	r->rcu_on = true;

	/*
	 * Port by port, as the memory backend's first pass takes them
	 * (port 0's burst, then port 1's): each port's frames are all in
	 * before the next port's are sent, so the order on every output
	 * port is the memory backend's however the bursts are cut.
	 */
	for (k = 0; k < 2; k++) {
		for (i = 0; i < c->in[k].n; i++)
			if (send(r->fd[k], c->in[k].f[i], c->in[k].len[i], 0) !=
			    (ssize_t)c->in[k].len[i])
				fail_msg("send on %s: %s", ifb[k],
					 strerror(errno));
		fed += c->in[k].n;
		poll_until_rx(r, fed, who);
	}
	collect(r, mem, res, who);
	rcu_unregister_thread();
	r->rcu_on = false;
	res->st = r->w.stats;
}

/*
 * After the frames were checked: the backend's side of the run just made
 * (what the ports counted, the kernel's socket counters, the hand-off),
 * then every frame back in the UMEM and A0/A1 bare again.
 */
static void backend_checks(const struct wc_corpus *c,
			   const struct wc_result *mem,
			   const struct wc_result *res, const char *who)
{
	struct rig *r = &rig;
	uint64_t fed = wc_corpus_nr_in(c), tx = 0;
	struct gk_port_xstats xs;
	int k;

	assert_int_equal(r->p[0]->stats.rx_packets + r->p[1]->stats.rx_packets,
			 fed);
	for (k = 0; k < 2; k++) {
		tx += r->p[k]->stats.tx_packets;
		assert_int_equal(r->p[k]->stats.tx_drops, 0);
		assert_int_equal(gk_port_xstats(r->p[k], &xs), 0);
		assert_int_equal(xs.rx_invalid_descs + xs.tx_invalid_descs, 0);
		assert_int_equal(xs.rx_dropped + xs.rx_ring_full, 0);
	}
	assert_int_equal(tx, mem->out[0].n + mem->out[1].n);
	assert_int_equal(res->st.hand_packets[atomic_load(&r->p[0]->hand)], fed);
	if (r->x)
		xdp_counted(r, fed, who);

	assert_int_equal(rig_release(r), NFRAMES);
	/* nothing left on A0/A1 for the next run to trip over */
	for (k = 0; k < 2; k++) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		assert_int_equal(bpf_xdp_query((int)if_nametoindex(ifa[k]), 0, &q),
				 0);
		if (q.attach_mode != XDP_ATTACHED_NONE)
			fail_msg("%s: an XDP program is left on %s", who, ifa[k]);
	}
}

struct run {
	enum wc_kind kind;
	enum mode mode;
};

static void test_corpus(void **state)
{
	const struct run *t = *state;
	struct wc_corpus c;
	struct wc_result rm = { 0 }, rx = { 0 };
	char who[64];

	if (t->mode == M_XDP_META && !(hand_ok & GK_XDP_HAND_OK_META)) {
		printf("xdp_meta: the verifier refuses bpf_xdp_adjust_meta "
		       "here, not run\n");
		skip();
	}
	if (t->mode == M_XDP_HEAD && !(hand_ok & GK_XDP_HAND_OK_HEAD)) {
		printf("xdp_head: the verifier refuses bpf_xdp_adjust_head "
		       "here, not run\n");
		skip();
	}
	wc_corpus_init(&c, t->kind);
	snprintf(who, sizeof(who), "af_xdp %s %s", c.tag, mode_name[t->mode]);
	wc_run_mem(&c, &rm);
	run_xsk(&c, t->mode, &rm, &rx, who);
	wc_check_scapy(&c, &rx, who);
	wc_same_output(&rm, &rx, who);
	backend_checks(&c, &rm, &rx, who);
	printf("%s: %zu frames in, %zu + %zu out, as scapy and the memory "
	       "backend\n", who, wc_corpus_nr_in(&c), rx.out[0].n, rx.out[1].n);
	wc_result_free(&rm);
	wc_result_free(&rx);
	wc_corpus_free(&c);
}

#define RUN(k, m)							\
	{ .name = #k " " #m, .test_func = test_corpus,			\
	  .teardown_func = rig_teardown,				\
	  .initial_state = (void *)&(const struct run){ k, m } }

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		RUN(WC_L3, M_PARSE),
		RUN(WC_MAPE_CE, M_PARSE),
		RUN(WC_L3, M_XDP_PARSE),
		RUN(WC_MAPE_CE, M_XDP_PARSE),
		RUN(WC_L3, M_XDP_HEAD),
		RUN(WC_MAPE_CE, M_XDP_HEAD),
		RUN(WC_L3, M_XDP_META),
		RUN(WC_MAPE_CE, M_XDP_META),
	};
	char why[160];

	if (argc < 5) {
		fprintf(stderr, "usage: %s A0 B0 A1 B1 [skb]\n", argv[0]);
		return 2;
	}
	ifa[0] = argv[1];
	ifb[0] = argv[2];
	ifa[1] = argv[3];
	ifb[1] = argv[4];
	skb_mode = argc > 5 && !strcmp(argv[5], "skb");
	hand_ok = gk_xdp_probe_hand(why, sizeof(why));
	printf("hand-off probe: %s\n", why);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
