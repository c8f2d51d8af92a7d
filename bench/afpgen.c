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
 * --pcap FILE sends the frames of a pcap file (Ethernet link type, 14 to
 * MAX_FRAME bytes each, none truncated) instead of the UDP frame: each
 * thread cycles over them in file order, starting at its own offset, with
 * the Ethernet destination and source rewritten (--dst-mac, --src-mac or
 * IF's address), so that one capture serves any gateway: the veth bench's
 * MAP-E pipelines (IPv4-in-IPv6, IPv4 to a CE, LAN flows to NAPT44). The
 * kernel takes each frame's protocol from its EtherType.
 *
 * Run it inside the namespace of the interface. Prints one result line:
 *   sent <frames> seconds <s> pps <frames/s> threads <n> size <bytes> mode <m>
 * (with --pcap, size is the first frame's and "frames <n>" follows)
 * and exits 1 if any thread failed or nothing at all was sent.
 * --dump prints the frame as hex (no interface needed with --src-mac);
 * with --pcap, the first frame after the MAC rewrite.
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

#include <pcap/pcap.h>

#include "udpframe.h"

#define MAX_FRAME	9000
#define MAX_THREADS	64
#define MAX_BATCH	1024
#define TX_HDR		(TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))

enum mode { MODE_RING, MODE_MMSG };

/* The frames of --pcap, back to back in one buffer, MACs rewritten. */
struct frames {
	unsigned char *buf;
	size_t *off;
	unsigned int *len;
	unsigned int nr, max_len;
};

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
	const char *pcap;	/* --pcap FILE, or NULL: the UDP frame */
	const char *udp_opt;	/* a UDP frame option given (refused with --pcap) */
	struct frames fr;
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
	unsigned int first;	/* --pcap: the frame this thread starts with */
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
		"      --pcap FILE     send the frames of FILE (Ethernet, %d..%d bytes\n"
		"                      each), MACs rewritten, instead of the UDP frame;\n"
		"                      --src/--dst/--sport/--dport/--flows/--size/\n"
		"                      --udp-csum do not apply\n"
		"      --dump          print the frame as hex and exit (--pcap: the\n"
		"                      first frame)\n",
		GK_UDPFRAME_MIN, MAX_FRAME, MAX_BATCH, ETH_HLEN, MAX_FRAME);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_DMAC = 256, O_SMAC, O_SRC, O_DST, O_SPORT, O_DPORT, O_FLOWS,
	       O_PPS, O_RING, O_BATCH, O_DUMP, O_CSUM, O_PCAP };
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
		{ "pcap", required_argument, NULL, O_PCAP },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	char *end;
	int c, li = 0;

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

	while ((c = getopt_long(argc, argv, "i:s:t:c:m:h", lo, &li)) != -1) {
		switch (c) {
		case O_SRC: case O_DST: case O_SPORT: case O_DPORT:
		case O_FLOWS: case 's': case O_CSUM:
			o->udp_opt = c == 's' ? "size" : lo[li].name;
			break;
		}
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
		case O_PCAP:
			o->pcap = optarg;
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
	if (o->pcap && o->udp_opt) {
		fprintf(stderr, "afpgen: --%s does not apply to --pcap frames\n",
			o->udp_opt);
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

/*
 * Read every frame of o->pcap into o->fr, or say why not: an Ethernet
 * capture, at least one frame, each 14..MAX_FRAME bytes and whole.
 */
static int load_pcap(struct opts *o)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct frames *fr = &o->fr;
	struct pcap_pkthdr *h;
	const unsigned char *data;
	size_t used = 0, cap = 0, n_cap = 0;
	void *p;
	pcap_t *pc;
	int r, err = -EINVAL;

	pc = pcap_open_offline(o->pcap, errbuf);
	if (!pc) {
		fprintf(stderr, "afpgen: %s: %s\n", o->pcap, errbuf);
		return -EINVAL;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "afpgen: %s: link type %s, not Ethernet (EN10MB)\n",
			o->pcap, pcap_datalink_val_to_name(pcap_datalink(pc)) ?: "?");
		goto err_close;
	}
	while ((r = pcap_next_ex(pc, &h, &data)) == 1) {
		if (h->caplen != h->len) {
			fprintf(stderr, "afpgen: %s: frame %u truncated (%u of %u bytes captured)\n",
				o->pcap, fr->nr + 1, h->caplen, h->len);
			goto err_close;
		}
		if (h->len < ETH_HLEN || h->len > MAX_FRAME) {
			fprintf(stderr, "afpgen: %s: frame %u is %u bytes, not %d..%d\n",
				o->pcap, fr->nr + 1, h->len, ETH_HLEN, MAX_FRAME);
			goto err_close;
		}
		if (fr->nr == n_cap) {
			n_cap = n_cap ? 2 * n_cap : 1024;
			p = realloc(fr->off, n_cap * sizeof(*fr->off));
			if (!p)
				goto err_nomem;
			fr->off = p;
			p = realloc(fr->len, n_cap * sizeof(*fr->len));
			if (!p)
				goto err_nomem;
			fr->len = p;
		}
		if (used + h->len > cap) {
			cap = cap ? 2 * cap : 1 << 16;
			while (used + h->len > cap)
				cap *= 2;
			p = realloc(fr->buf, cap);
			if (!p)
				goto err_nomem;
			fr->buf = p;
		}
		memcpy(fr->buf + used, data, h->len);
		/* One capture serves any gateway: our MACs, not the file's. */
		memcpy(fr->buf + used, o->spec.dst_mac, ETH_ALEN);
		memcpy(fr->buf + used + ETH_ALEN, o->spec.src_mac, ETH_ALEN);
		fr->off[fr->nr] = used;
		fr->len[fr->nr] = h->len;
		if (h->len > fr->max_len)
			fr->max_len = h->len;
		used += h->len;
		fr->nr++;
	}
	if (r == PCAP_ERROR) {
		fprintf(stderr, "afpgen: %s: %s\n", o->pcap, pcap_geterr(pc));
		goto err_close;
	}
	if (!fr->nr) {
		fprintf(stderr, "afpgen: %s holds no frame\n", o->pcap);
		goto err_close;
	}
	pcap_close(pc);
	return 0;

err_nomem:
	fprintf(stderr, "afpgen: %s: out of memory at frame %u\n", o->pcap,
		fr->nr + 1);
	err = -ENOMEM;
err_close:
	pcap_close(pc);
	return err;
}

/*
 * With --pcap the frames are not all IPv4: protocol 0 makes the kernel
 * take each one's from its EtherType (packet_parse_headers).
 */
static struct sockaddr_ll dev_addr(const struct opts *o, int ifindex)
{
	struct sockaddr_ll sll;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex;
	sll.sll_protocol = o->pcap ? 0 : htons(ETH_P_IP);
	return sll;
}

/* Frame number i (any count) of this thread's cycle over the pcap frames. */
static unsigned int pcap_frame(const struct gen_thread *g, uint64_t i)
{
	return (g->first + i) % g->o->fr.nr;
}

/*
 * A send-only packet socket: protocol 0 registers no receive hook, and the
 * sends name ETH_P_IP themselves (dev_addr).
 */
static int open_socket(struct gen_thread *g)
{
	struct sockaddr_ll sll = dev_addr(g->o, g->ifindex);
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
	struct sockaddr_ll sll = dev_addr(o, g->ifindex);
	unsigned int fsize = 128, nr = o->ring, head = 0, n, i, pending, f;
	unsigned int max_len = o->pcap ? o->fr.max_len : o->spec.size;
	struct tpacket_req req;
	struct tpacket2_hdr *h;
	uint64_t t0, submitted = 0, ctr = 0;
	size_t len;
	unsigned char *ring;
	int v = TPACKET_V2;

	while (fsize < TX_HDR + max_len)
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
	for (i = 0; !o->pcap && i < nr; i++) {
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
			if (o->pcap) {
				/* The slot is free: the kernel is done with it. */
				f = pcap_frame(g, ctr++);
				memcpy((unsigned char *)h + TX_HDR,
				       o->fr.buf + o->fr.off[f], o->fr.len[f]);
				h->tp_len = o->fr.len[f];
			} else {
				gk_udpframe_set_sport((unsigned char *)h + TX_HDR,
						      o->spec.sport + (ctr++ & (o->flows - 1)));
			}
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
	struct sockaddr_ll sll = dev_addr(o, g->ifindex);
	struct mmsghdr *msg;
	struct iovec *iov;
	unsigned char *buf;
	uint64_t t0, ctr = 0;
	unsigned int i, f;
	int r;

	msg = calloc(o->batch, sizeof(*msg));
	iov = calloc(o->batch, sizeof(*iov));
	/* --pcap: the iovecs point into the shared, read-only frames. */
	buf = o->pcap ? NULL : malloc((size_t)o->batch * o->spec.size);
	if (!msg || !iov || (!o->pcap && !buf)) {
		g->err = -ENOMEM;
		g->what = "allocating the batch";
		goto out;
	}
	for (i = 0; i < o->batch; i++) {
		if (!o->pcap) {
			gk_udpframe_build(&o->spec, buf + (size_t)i * o->spec.size);
			iov[i].iov_base = buf + (size_t)i * o->spec.size;
			iov[i].iov_len = o->spec.size;
		}
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
		msg[i].msg_hdr.msg_name = &sll;
		msg[i].msg_hdr.msg_namelen = sizeof(sll);
	}

	t0 = now_ns();
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		/* Frames the last call did not take keep their ports. */
		for (i = 0; i < o->batch; i++) {
			if (o->pcap) {
				f = pcap_frame(g, ctr + i);
				iov[i].iov_base = o->fr.buf + o->fr.off[f];
				iov[i].iov_len = o->fr.len[f];
			} else {
				gk_udpframe_set_sport(iov[i].iov_base,
						      o->spec.sport + ((ctr + i) & (o->flows - 1)));
			}
		}
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
	if (o.pcap && load_pcap(&o))
		return 1;
	if (o.dump) {
		if (o.pcap) {
			gk_udpframe_print_hex(stdout, o.fr.buf, o.fr.len[0]);
			return 0;
		}
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
		/* Threads spread over the capture rather than in step. */
		th[i].first = o.pcap ? (uint64_t)o.fr.nr * i / o.nr_cpus : 0;
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
	printf("sent %" PRIu64 " seconds %.3f pps %.0f threads %d size %u mode %s",
	       sent, secs, secs > 0 ? sent / secs : 0.0, started,
	       o.pcap ? o.fr.len[0] : o.spec.size,
	       o.mode == MODE_RING ? "ring" : "mmsg");
	if (o.pcap)
		printf(" frames %u", o.fr.nr);
	printf("\n");
	if (!sent) {
		fprintf(stderr, "afpgen: sent nothing on %s\n", o.ifname);
		rc = 1;
	}
	free(o.fr.buf);
	free(o.fr.off);
	free(o.fr.len);
	return rc;
}
