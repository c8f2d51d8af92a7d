/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * afpgen: the veth bench's UDP flood generator for kernels that refuse
 * xdpgen's live-frame test runs. One thread per chosen CPU owns an
 * AF_PACKET socket with PACKET_QDISC_BYPASS (dev_direct_xmit, no qdisc, no
 * packet taps) and sends the same frames as xdpgen (bench/udpframe.c):
 *  - mmsg (default): sendmmsg(MSG_DONTWAIT) over --batch frames;
 *  - ring: a TPACKET_V2 TX ring prefilled with the frame; per frame the
 *    thread only writes the source port and the status word, and one
 *    sendto(MSG_DONTWAIT) hands the kernel every frame marked so far.
 * Either way the kernel allocates and fills one skb per frame. On 6.18
 * with 2 vCPUs mmsg sent 5-15% more than ring (tpacket_snd's per-frame
 * status and pending-count work costs more than the user copy it saves).
 *
 * veth notes: the TX queue is the sending CPU modulo the queue count
 * (packet_pick_tx_queue records it as the skb's "rx queue", which
 * skb_tx_hash then returns), so --cpus picks the peer's RX queues as with
 * xdpgen; the peer's NAPI runs in softirq on the sending CPU, so the
 * generator thread pays for whatever the receiver does there. A frame the
 * device refuses (veth stops its queue when the peer's ring is full) stays
 * in the ring and goes again with the next sendto (mmsg: sendmmsg stops
 * there and the frame goes with the next call); the count is exact.
 *
 * Run it inside the namespace of the interface. Prints one result line:
 *   sent <frames> seconds <s> pps <frames/s> threads <n> size <bytes> mode <m>
 * and exits 1 if any thread failed or nothing at all was sent.
 * --dump prints the frame as hex (no interface needed with --src-mac).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "udpframe.h"

#define MAX_FRAME	9000
#define MAX_THREADS	64
#define MAX_BATCH	1024
#define TX_HDR		(TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))

enum mode { MODE_RING, MODE_MMSG };

struct opts {
	const char *ifname;
	struct gk_udpframe spec;
	int have_dst_mac, have_src_mac;
	unsigned int flows;
	double seconds;
	int cpus[MAX_THREADS];
	int nr_cpus;
	uint64_t pps;
	enum mode mode;
	unsigned int ring, batch;
	int dump;
};

struct gen_thread {
	pthread_t tid;
	const struct opts *o;
	int cpu;
	int ifindex;
	uint64_t pps;		/* this thread's share, 0 = unpaced */
	uint64_t sent;		/* frames the device took */
	int err;		/* 0 or -errno */
	const char *what;	/* the call that failed */
};

static atomic_int stop;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: afpgen -i IFNAME --dst-mac MAC [options]\n"
		"  -i, --ifname IF     egress interface (run inside its netns)\n"
		"      --dst-mac MAC   Ethernet destination (the gateway)\n"
		"      --src-mac MAC   Ethernet source (default: IF's address)\n"
		"      --src A.B.C.D   IPv4 source (default 192.0.2.2)\n"
		"      --dst A.B.C.D   IPv4 destination (default 198.51.100.2)\n"
		"      --sport N       first UDP source port (default 1024)\n"
		"      --dport N       UDP destination port (default 9)\n"
		"      --flows N       source ports to cycle, power of 2 (default 64)\n"
		"  -s, --size N        frame bytes without FCS, %d..%d (default 64)\n"
		"  -t, --seconds S     run time, 0 = until SIGINT/SIGTERM (default 10)\n"
		"  -c, --cpus LIST     one thread per CPU, e.g. 0,1 or 0-1 (default 0)\n"
		"      --pps N         total rate cap (default 0 = as fast as possible)\n"
		"  -m, --mode M        mmsg (sendmmsg, default) or ring (TX ring)\n"
		"      --ring N        TX ring frames per thread, power of 2 (default 2048)\n"
		"      --batch N       frames per sendto/sendmmsg, 1..%d (default 64)\n"
		"      --udp-csum      put a UDP checksum in the frames (default: 0,\n"
		"                      none, as xdpgen sends)\n"
		"      --dump          print the frame as hex and exit\n",
		GK_UDPFRAME_MIN, MAX_FRAME, MAX_BATCH);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_DMAC = 256, O_SMAC, O_SRC, O_DST, O_SPORT, O_DPORT, O_FLOWS,
	       O_PPS, O_RING, O_BATCH, O_DUMP, O_CSUM };
	static const struct option lo[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "dst-mac", required_argument, NULL, O_DMAC },
		{ "src-mac", required_argument, NULL, O_SMAC },
		{ "src", required_argument, NULL, O_SRC },
		{ "dst", required_argument, NULL, O_DST },
		{ "sport", required_argument, NULL, O_SPORT },
		{ "dport", required_argument, NULL, O_DPORT },
		{ "flows", required_argument, NULL, O_FLOWS },
		{ "size", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "pps", required_argument, NULL, O_PPS },
		{ "mode", required_argument, NULL, 'm' },
		{ "ring", required_argument, NULL, O_RING },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "dump", no_argument, NULL, O_DUMP },
		{ "udp-csum", no_argument, NULL, O_CSUM },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	inet_pton(AF_INET, "192.0.2.2", &o->spec.src);
	inet_pton(AF_INET, "198.51.100.2", &o->spec.dst);
	o->spec.sport = 1024;
	o->spec.dport = 9;
	o->spec.size = 64;
	o->flows = 64;
	o->seconds = 10;
	o->nr_cpus = 1;
	o->mode = MODE_MMSG;
	o->ring = 2048;
	o->batch = 64;

	while ((c = getopt_long(argc, argv, "i:s:t:c:m:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->ifname = optarg;
			break;
		case O_DMAC:
			if (gk_udpframe_parse_mac(optarg, o->spec.dst_mac))
				goto bad;
			o->have_dst_mac = 1;
			break;
		case O_SMAC:
			if (gk_udpframe_parse_mac(optarg, o->spec.src_mac))
				goto bad;
			o->have_src_mac = 1;
			break;
		case O_SRC:
			if (inet_pton(AF_INET, optarg, &o->spec.src) != 1)
				goto bad;
			break;
		case O_DST:
			if (inet_pton(AF_INET, optarg, &o->spec.dst) != 1)
				goto bad;
			break;
		case O_SPORT:
			if (gk_udpframe_parse_uint(optarg, 65535, &v))
				goto bad;
			o->spec.sport = v;
			break;
		case O_DPORT:
			if (gk_udpframe_parse_uint(optarg, 65535, &v))
				goto bad;
			o->spec.dport = v;
			break;
		case O_FLOWS:
			if (gk_udpframe_parse_uint(optarg, 32768, &v) || !v ||
			    (v & (v - 1)))
				goto bad;
			o->flows = v;
			break;
		case 's':
			if (gk_udpframe_parse_uint(optarg, MAX_FRAME, &v) ||
			    v < GK_UDPFRAME_MIN)
				goto bad;
			o->spec.size = v;
			break;
		case 't':
			errno = 0;
			o->seconds = strtod(optarg, &end);
			if (errno || *end || end == optarg || o->seconds < 0)
				goto bad;
			break;
		case 'c':
			if (gk_udpframe_parse_cpus(optarg, o->cpus, MAX_THREADS,
						   &o->nr_cpus))
				goto bad;
			break;
		case O_PPS:
			if (gk_udpframe_parse_uint(optarg, 1000000000ull, &v))
				goto bad;
			o->pps = v;
			break;
		case 'm':
			if (!strcmp(optarg, "ring"))
				o->mode = MODE_RING;
			else if (!strcmp(optarg, "mmsg"))
				o->mode = MODE_MMSG;
			else
				goto bad;
			break;
		case O_RING:
			if (gk_udpframe_parse_uint(optarg, 1u << 20, &v) || v < 64 ||
			    (v & (v - 1)))
				goto bad;
			o->ring = v;
			break;
		case O_BATCH:
			if (gk_udpframe_parse_uint(optarg, MAX_BATCH, &v) || !v)
				goto bad;
			o->batch = v;
			break;
		case O_DUMP:
			o->dump = 1;
			break;
		case O_CSUM:
			o->spec.udp_csum = 1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "afpgen: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->have_dst_mac) {
		fprintf(stderr, "afpgen: --dst-mac is required\n");
		return -EINVAL;
	}
	if (!o->ifname && !(o->dump && o->have_src_mac)) {
		fprintf(stderr, "afpgen: -i IFNAME is required (or --dump --src-mac)\n");
		return -EINVAL;
	}
	if (o->spec.sport + o->flows - 1 > 65535) {
		fprintf(stderr, "afpgen: --sport + --flows goes past port 65535\n");
		return -EINVAL;
	}
	if (o->batch > o->ring)
		o->batch = o->ring;
	return 0;
bad:
	fprintf(stderr, "afpgen: bad value for option '%s': '%s'\n",
		argv[optind - 1], optarg);
	return -EINVAL;
}

static struct sockaddr_ll dev_addr(int ifindex)
{
	struct sockaddr_ll sll;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex;
	sll.sll_protocol = htons(ETH_P_IP);
	return sll;
}

/*
 * A send-only packet socket: protocol 0 registers no receive hook, and the
 * sends name ETH_P_IP themselves (dev_addr).
 */
static int open_socket(struct gen_thread *g)
{
	struct sockaddr_ll sll = dev_addr(g->ifindex);
	int fd, one = 1, sndbuf = 4 << 20;

	sll.sll_protocol = 0;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		g->what = "socket(AF_PACKET)";
		return -errno;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one))) {
		g->what = "PACKET_QDISC_BYPASS";
		goto err_close;
	}
	/* Room for frames in flight (veth frees them once its peer copied). */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		g->what = "bind";
		goto err_close;
	}
	return fd;

err_close:
	one = -errno;
	close(fd);
	return one;
}

/* Sleep until frame number done is due at the thread's rate. */
static void pace(const struct gen_thread *g, uint64_t t0, uint64_t done)
{
	uint64_t due = t0 + done * 1000000000ull / g->pps;
	struct timespec ts = {
		.tv_sec = due / 1000000000ull,
		.tv_nsec = due % 1000000000ull,
	};

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static int send_ok(int err)
{
	/* ENOBUFS: the device's queue is stopped (peer ring full); retry. */
	return err == EAGAIN || err == ENOBUFS || err == EINTR;
}

static void run_ring(struct gen_thread *g, int fd)
{
	const struct opts *o = g->o;
	struct sockaddr_ll sll = dev_addr(g->ifindex);
	unsigned int fsize = 128, nr = o->ring, head = 0, n, i, pending;
	struct tpacket_req req;
	struct tpacket2_hdr *h;
	uint64_t t0, submitted = 0, ctr = 0;
	size_t len;
	unsigned char *ring;
	int v = TPACKET_V2;

	while (fsize < TX_HDR + o->spec.size)
		fsize <<= 1;
	memset(&req, 0, sizeof(req));
	req.tp_frame_size = fsize;
	req.tp_block_size = fsize > 4096 ? fsize : 4096;
	req.tp_frame_nr = nr;
	req.tp_block_nr = (uint64_t)nr * fsize / req.tp_block_size;
	if (!req.tp_block_nr) {
		req.tp_block_nr = 1;
		req.tp_frame_nr = nr = req.tp_block_size / fsize;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v))) {
		g->err = -errno;
		g->what = "PACKET_VERSION";
		return;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req))) {
		g->err = -errno;
		g->what = "PACKET_TX_RING";
		return;
	}
	len = (size_t)req.tp_block_size * req.tp_block_nr;
	ring = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		    fd, 0);
	if (ring == MAP_FAILED) {
		g->err = -errno;
		g->what = "mmap(TX ring)";
		return;
	}
	/* Slots are contiguous: fsize is a power of 2 that divides the block. */
	for (i = 0; i < nr; i++) {
		h = (struct tpacket2_hdr *)(ring + (size_t)i * fsize);
		gk_udpframe_build(&o->spec, (unsigned char *)h + TX_HDR);
		h->tp_len = o->spec.size;
	}

	t0 = now_ns();
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		for (n = 0; n < o->batch; n++) {
			h = (struct tpacket2_hdr *)(ring + (size_t)head * fsize);
			v = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
			if (v != TP_STATUS_AVAILABLE) {
				if (v & TP_STATUS_WRONG_FORMAT) {
					g->err = -EINVAL;
					g->what = "TX ring (frame refused)";
					goto out;
				}
				break;	/* still in flight */
			}
			gk_udpframe_set_sport((unsigned char *)h + TX_HDR,
					      o->spec.sport + (ctr++ & (o->flows - 1)));
			__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST,
					 __ATOMIC_RELEASE);
			head = (head + 1) & (nr - 1);
		}
		submitted += n;
		if (sendto(fd, NULL, 0, MSG_DONTWAIT, (struct sockaddr *)&sll,
			   sizeof(sll)) < 0 && !send_ok(errno)) {
			g->err = -errno;
			g->what = "sendto(TX ring)";
			break;
		}
		if (g->pps)
			pace(g, t0, submitted);
	}
out:
	/* A frame the device refused is still marked; it never left. */
	for (pending = 0, i = 0; i < nr; i++) {
		h = (struct tpacket2_hdr *)(ring + (size_t)i * fsize);
		if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) ==
		    TP_STATUS_SEND_REQUEST)
			pending++;
	}
	g->sent = submitted - pending;
	munmap(ring, len);
}

static void run_mmsg(struct gen_thread *g, int fd)
{
	const struct opts *o = g->o;
	struct sockaddr_ll sll = dev_addr(g->ifindex);
	struct mmsghdr *msg;
	struct iovec *iov;
	unsigned char *buf;
	uint64_t t0, ctr = 0;
	unsigned int i;
	int r;

	msg = calloc(o->batch, sizeof(*msg));
	iov = calloc(o->batch, sizeof(*iov));
	buf = malloc((size_t)o->batch * o->spec.size);
	if (!msg || !iov || !buf) {
		g->err = -ENOMEM;
		g->what = "allocating the batch";
		goto out;
	}
	for (i = 0; i < o->batch; i++) {
		gk_udpframe_build(&o->spec, buf + (size_t)i * o->spec.size);
		iov[i].iov_base = buf + (size_t)i * o->spec.size;
		iov[i].iov_len = o->spec.size;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
		msg[i].msg_hdr.msg_name = &sll;
		msg[i].msg_hdr.msg_namelen = sizeof(sll);
	}

	t0 = now_ns();
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		/* Frames the last call did not take keep their ports. */
		for (i = 0; i < o->batch; i++)
			gk_udpframe_set_sport(iov[i].iov_base,
					      o->spec.sport + ((ctr + i) & (o->flows - 1)));
		r = sendmmsg(fd, msg, o->batch, MSG_DONTWAIT);
		if (r < 0) {
			if (send_ok(errno))
				continue;
			g->err = -errno;
			g->what = "sendmmsg";
			break;
		}
		ctr += r;
		g->sent += r;
		if (g->pps)
			pace(g, t0, g->sent);
	}
out:
	free(buf);
	free(iov);
	free(msg);
}

static void *gen_main(void *arg)
{
	struct gen_thread *g = arg;
	cpu_set_t set;
	int fd;

	CPU_ZERO(&set);
	CPU_SET(g->cpu, &set);
	g->err = -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (g->err) {
		g->what = "pthread_setaffinity_np";
		return NULL;
	}
	fd = open_socket(g);
	if (fd < 0) {
		g->err = fd;
		return NULL;
	}
	if (g->o->mode == MODE_RING)
		run_ring(g, fd);
	else
		run_mmsg(g, fd);
	close(fd);
	return NULL;
}

/* Sleep until the deadline (0: none) or SIGINT/SIGTERM, whichever first. */
static void wait_done(const sigset_t *sigs, double seconds)
{
	uint64_t end = now_ns() + (uint64_t)(seconds * 1e9), now;
	struct timespec ts;

	for (;;) {
		if (seconds > 0) {
			now = now_ns();
			if (now >= end)
				return;
			ts.tv_sec = (end - now) / 1000000000ull;
			ts.tv_nsec = (end - now) % 1000000000ull;
		} else {
			ts.tv_sec = 3600;
			ts.tv_nsec = 0;
		}
		if (sigtimedwait(sigs, NULL, &ts) >= 0)
			return;
	}
}

int main(int argc, char **argv)
{
	static unsigned char frame[MAX_FRAME];
	struct gen_thread th[MAX_THREADS];
	uint64_t t0, t1, sent = 0;
	int ifindex = 0, i, started = 0, err, rc;
	struct opts o;
	sigset_t sigs;
	double secs;

	err = parse_opts(argc, argv, &o);
	if (err)
		return err > 0 ? 0 : 2;
	if (o.ifname) {
		ifindex = if_nametoindex(o.ifname);
		if (!ifindex) {
			fprintf(stderr, "afpgen: no interface %s: %s\n", o.ifname,
				strerror(errno));
			return 1;
		}
		if (!o.have_src_mac) {
			err = gk_udpframe_if_mac(o.ifname, o.spec.src_mac);
			if (err) {
				fprintf(stderr, "afpgen: MAC of %s: %s\n", o.ifname,
					strerror(-err));
				return 1;
			}
		}
	}
	if (o.dump) {
		gk_udpframe_build(&o.spec, frame);
		gk_udpframe_print_hex(stdout, frame, o.spec.size);
		return 0;
	}

	/* Only this thread takes the signals; workers poll the stop flag. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	memset(th, 0, sizeof(th));
	t0 = now_ns();
	for (i = 0; i < o.nr_cpus; i++) {
		th[i].o = &o;
		th[i].cpu = o.cpus[i];
		th[i].ifindex = ifindex;
		th[i].pps = o.pps / o.nr_cpus;
		if (o.pps && !th[i].pps)
			th[i].pps = 1;
		err = pthread_create(&th[i].tid, NULL, gen_main, &th[i]);
		if (err) {
			fprintf(stderr, "afpgen: pthread_create: %s\n", strerror(err));
			break;
		}
		started++;
	}
	if (started == o.nr_cpus)
		wait_done(&sigs, o.seconds);
	atomic_store(&stop, 1);
	for (i = 0; i < started; i++)
		pthread_join(th[i].tid, NULL);
	t1 = now_ns();

	rc = started == o.nr_cpus ? 0 : 1;
	for (i = 0; i < started; i++) {
		sent += th[i].sent;
		if (th[i].err) {
			fprintf(stderr, "afpgen: thread on CPU %d: %s: %s\n",
				th[i].cpu, th[i].what ? th[i].what : "?",
				strerror(-th[i].err));
			rc = 1;
		}
	}
	secs = (t1 - t0) / 1e9;
	printf("sent %" PRIu64 " seconds %.3f pps %.0f threads %d size %u mode %s\n",
	       sent, secs, secs > 0 ? sent / secs : 0.0, started, o.spec.size,
	       o.mode == MODE_RING ? "ring" : "mmsg");
	if (!sent) {
		fprintf(stderr, "afpgen: sent nothing on %s\n", o.ifname);
		rc = 1;
	}
	return rc;
}
