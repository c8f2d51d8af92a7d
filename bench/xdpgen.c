/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xdpgen: a UDP flood generator for the veth bench that needs no pktgen
 * module. One thread per chosen CPU loops BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES over bench/xdpgen.bpf.c: the kernel builds
 * xdp_frames from one template frame and the program's XDP_TX becomes a
 * redirect to ctx->ingress_ifindex, i.e. ndo_xdp_xmit of the interface.
 * On a veth that puts the frames straight into the peer's XDP ring, with
 * no skb on the sending side.
 *
 * veth notes (drivers/net/veth.c):
 *  - the peer accepts ndo_xdp_xmit only while its NAPI runs, i.e. when it
 *    has an XDP program or GRO enabled; otherwise every frame is dropped;
 *  - the peer's RX queue is chosen by the sending CPU (smp_processor_id()
 *    % real_num_rx_queues), not by a flow hash, so spreading over RX
 *    queues takes one thread per CPU (--cpus 0,1);
 *  - the peer's NAPI poll runs in softirq on the sending CPU, so the
 *    generator thread also pays for whatever the receiver does in softirq.
 *
 * Run it inside the namespace of the interface (the test run resolves the
 * ifindex in the caller's netns). Prints one result line:
 *   sent <frames> seconds <s> pps <frames/s> threads <n> size <bytes>
 * and exits 1 if a thread failed or nothing at all was sent (some kernels
 * refuse live-frame test runs with EPERM; bench/veth_bench.sh then falls
 * back to bench/afpgen.c).
 * --sink IF attaches a program dropping IPv4 UDP to --dport (default 9)
 * to IF (native mode) until
 * the time is up or a signal arrives, then detaches it.
 * --dump prints the frame the program emits (one test run, not live, no
 * interface needed) as hex, so a test can compare it with scapy.
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
#include <linux/if_link.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "udpframe.h"
#include "xdpgen.skel.h"

#define HDR_LEN		GK_UDPFRAME_HDR
#define TMPL_BYTES	48	/* sizeof(tmpl) in xdpgen.bpf.c */
#define MIN_FRAME	GK_UDPFRAME_MIN
/* page (4096) - XDP_PACKET_HEADROOM (256) - skb_shared_info (~320) */
#define MAX_FRAME	3500
#define MAX_THREADS	64
#define CALL_NS		250000000ull	/* target length of one test run call */
#define AUTO_REPEAT0	65536
#define AUTO_REPEAT_MIN	4096
#define AUTO_REPEAT_MAX	(1u << 24)

struct opts {
	const char *ifname;
	struct gk_udpframe spec;
	int have_dst_mac, have_src_mac;
	unsigned int flows;
	double seconds;
	int cpus[MAX_THREADS];
	int nr_cpus;
	unsigned int repeat, batch;
	uint64_t pps;
	int devmap, dump;
	const char *sink;
};

/* Value of gen_stats in xdpgen.bpf.c, one per possible CPU. */
struct gen_cpu {
	uint64_t frames;
};

struct gen_thread {
	pthread_t tid;
	int cpu;
	int prog_fd;
	int ifindex;
	unsigned int repeat, batch;
	uint64_t pps;		/* this thread's share, 0 = unpaced */
	const unsigned char *frame;
	unsigned int size;
	uint64_t calls;
	int err;		/* 0 or -errno of the failing test run */
};

static atomic_int stop;

static unsigned int clamp_repeat(double r)
{
	if (r < AUTO_REPEAT_MIN)
		return AUTO_REPEAT_MIN;
	if (r > AUTO_REPEAT_MAX)
		return AUTO_REPEAT_MAX;
	return (unsigned int)r;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdpgen -i IFNAME --dst-mac MAC [options]\n"
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
		"      --repeat N      frames per test run call (default: sized to\n"
		"                      about 250 ms per call)\n"
		"      --batch N       live-frame batch size, 1..256 (default 64)\n"
		"      --devmap        redirect through a DEVMAP instead of XDP_TX\n"
		"      --dump          print the generated frame as hex and exit\n"
		"  or:  xdpgen --sink IFNAME [--dport N] [-t S]: XDP_DROP IPv4 UDP\n"
		"       to port N arriving on IFNAME, pass the rest\n",
		MIN_FRAME, MAX_FRAME);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_DMAC = 256, O_SMAC, O_SRC, O_DST, O_SPORT, O_DPORT, O_FLOWS,
	       O_PPS, O_REPEAT, O_BATCH, O_DEVMAP, O_DUMP, O_SINK };
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
		{ "repeat", required_argument, NULL, O_REPEAT },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "devmap", no_argument, NULL, O_DEVMAP },
		{ "dump", no_argument, NULL, O_DUMP },
		{ "sink", required_argument, NULL, O_SINK },
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
	o->flows = 64;
	o->spec.size = 64;
	o->seconds = 10;
	o->nr_cpus = 1;
	o->batch = 64;

	while ((c = getopt_long(argc, argv, "i:s:t:c:h", lo, NULL)) != -1) {
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
			if (gk_udpframe_parse_uint(optarg, 32768, &v) || !v || (v & (v - 1)))
				goto bad;
			o->flows = v;
			break;
		case 's':
			if (gk_udpframe_parse_uint(optarg, MAX_FRAME, &v) || v < MIN_FRAME)
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
			if (gk_udpframe_parse_cpus(optarg, o->cpus, MAX_THREADS, &o->nr_cpus))
				goto bad;
			break;
		case O_PPS:
			if (gk_udpframe_parse_uint(optarg, 1000000000ull, &v))
				goto bad;
			o->pps = v;
			break;
		case O_REPEAT:
			if (gk_udpframe_parse_uint(optarg, 1u << 30, &v) || !v)
				goto bad;
			o->repeat = v;
			break;
		case O_BATCH:
			if (gk_udpframe_parse_uint(optarg, 256, &v) || !v)
				goto bad;
			o->batch = v;
			break;
		case O_DEVMAP:
			o->devmap = 1;
			break;
		case O_DUMP:
			o->dump = 1;
			break;
		case O_SINK:
			o->sink = optarg;
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
		fprintf(stderr, "xdpgen: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->sink)
		return 0;
	if (!o->have_dst_mac) {
		fprintf(stderr, "xdpgen: --dst-mac is required\n");
		return -EINVAL;
	}
	if (!o->ifname && !(o->dump && o->have_src_mac)) {
		fprintf(stderr, "xdpgen: -i IFNAME is required (or --dump --src-mac)\n");
		return -EINVAL;
	}
	if (o->spec.sport + o->flows - 1 > 65535) {
		fprintf(stderr, "xdpgen: --sport + --flows goes past port 65535\n");
		return -EINVAL;
	}
	return 0;
bad:
	fprintf(stderr, "xdpgen: bad value for option '%s': '%s'\n",
		argv[optind - 1], optarg);
	return -EINVAL;
}

static int open_prog(const struct opts *o, const unsigned char *frame,
		     int ifindex, struct xdpgen_bpf **out)
{
	struct xdpgen_bpf *skel;
	__u32 key = 0;
	int err;

	skel = xdpgen_bpf__open();
	if (!skel)
		return -errno;
	_Static_assert(sizeof(skel->rodata->tmpl) == TMPL_BYTES,
		       "template size differs from xdpgen.bpf.c");
	memcpy((void *)skel->rodata->tmpl, frame, HDR_LEN);
	skel->rodata->tmpl_len = HDR_LEN;
	skel->rodata->sport_base = o->spec.sport;
	skel->rodata->flow_mask = o->flows - 1;
	skel->rodata->use_devmap = o->devmap;
	err = xdpgen_bpf__load(skel);
	if (err)
		goto err_destroy;
	if (o->devmap) {
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.tx_port), &key,
					  &ifindex, BPF_ANY);
		if (err) {
			err = -errno;
			goto err_destroy;
		}
	}
	*out = skel;
	return 0;

err_destroy:
	xdpgen_bpf__destroy(skel);
	return err;
}

/* One ordinary (not live) run: shows what the program puts on the wire. */
static int dump_frame(int prog_fd, const unsigned char *frame, unsigned int size)
{
	unsigned char out[MAX_FRAME];
	int err;
	LIBBPF_OPTS(bpf_test_run_opts, t,
		.data_in = frame,
		.data_size_in = size,
		.data_out = out,
		.data_size_out = sizeof(out),
		.repeat = 1);

	err = bpf_prog_test_run_opts(prog_fd, &t);
	if (err)
		return -errno;
	if (t.retval != XDP_TX && t.retval != XDP_REDIRECT) {
		fprintf(stderr, "xdpgen: program returned %u\n", t.retval);
		return -EPROTO;
	}
	gk_udpframe_print_hex(stdout, out, t.data_size_out);
	return 0;
}

static void *gen_main(void *arg)
{
	struct gen_thread *g = arg;
	struct xdp_md md = {
		.data_end = g->size,
		.ingress_ifindex = g->ifindex,
		.rx_queue_index = 0,
	};
	LIBBPF_OPTS(bpf_test_run_opts, t,
		.data_in = g->frame,
		.data_size_in = g->size,
		.ctx_in = &md,
		.ctx_size_in = sizeof(md),
		.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		.batch_size = g->batch);
	unsigned int repeat = g->repeat ? g->repeat : AUTO_REPEAT0;
	uint64_t t0, t_call, due, done = 0, took;
	struct timespec ts;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(g->cpu, &set);
	g->err = -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (g->err)
		return NULL;
	/* Paced: chunks of a tenth of a second, then sleep until due. */
	if (g->pps && !g->repeat)
		repeat = g->pps / 10 ? g->pps / 10 : 1;

	t0 = now_ns();
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		t.repeat = repeat;
		t_call = now_ns();
		if (bpf_prog_test_run_opts(g->prog_fd, &t)) {
			if (errno == EINTR)
				continue;
			g->err = -errno;
			break;
		}
		g->calls++;
		done += repeat;
		if (g->pps) {
			due = t0 + done * 1000000000ull / g->pps;
			ts.tv_sec = due / 1000000000ull;
			ts.tv_nsec = due % 1000000000ull;
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		} else if (!g->repeat) {
			/*
			 * Every live-frame call pays a fixed setup and page_pool
			 * teardown (tens of ms once frames are in flight), so
			 * size calls to CALL_NS; stopping stays responsive.
			 */
			took = now_ns() - t_call;
			if (!took)
				took = 1;
			repeat = clamp_repeat((double)repeat * CALL_NS / took);
		}
	}
	return NULL;
}

static uint64_t frames_sent(struct xdpgen_bpf *skel)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct gen_cpu *v;
	uint64_t sum = 0;
	__u32 key = 0;

	if (ncpu <= 0)
		return 0;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.gen_stats), &key, v))
		for (i = 0; i < ncpu; i++)
			sum += v[i].frames;
	free(v);
	return sum;
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

/* Attach xdpsink natively to o->sink until the deadline or a signal. */
static int run_sink(const struct opts *o)
{
	struct xdpgen_bpf *skel;
	sigset_t sigs;
	int ifindex, err;

	ifindex = if_nametoindex(o->sink);
	if (!ifindex) {
		fprintf(stderr, "xdpgen: no interface %s: %s\n", o->sink,
			strerror(errno));
		return 1;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	libbpf_set_print(NULL);
	skel = xdpgen_bpf__open();
	if (!skel) {
		fprintf(stderr, "xdpgen: opening xdpgen.bpf.o: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->sink_port = o->spec.dport;
	err = xdpgen_bpf__load(skel);
	if (err) {
		fprintf(stderr, "xdpgen: loading xdpgen.bpf.o: %s\n", strerror(-err));
		goto err_destroy;
	}
	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.xdpsink),
			     XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		fprintf(stderr, "xdpgen: attaching the sink to %s: %s\n", o->sink,
			strerror(-err));
		goto err_destroy;
	}
	printf("sink attached to %s\n", o->sink);
	fflush(stdout);
	wait_done(&sigs, o->seconds);
	err = bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		fprintf(stderr, "xdpgen: detaching the sink from %s: %s\n",
			o->sink, strerror(-err));
err_destroy:
	xdpgen_bpf__destroy(skel);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	static unsigned char frame[MAX_FRAME];
	struct gen_thread th[MAX_THREADS];
	struct xdpgen_bpf *skel = NULL;
	uint64_t t0, t1, sent;
	int ifindex = 0, i, started = 0, err, rc = 1;
	struct opts o;
	sigset_t sigs;
	double secs;

	err = parse_opts(argc, argv, &o);
	if (err)
		return err > 0 ? 0 : 2;

	if (o.sink)
		return run_sink(&o);
	if (o.ifname) {
		ifindex = if_nametoindex(o.ifname);
		if (!ifindex) {
			fprintf(stderr, "xdpgen: no interface %s: %s\n", o.ifname,
				strerror(errno));
			return 1;
		}
		if (!o.have_src_mac) {
			err = gk_udpframe_if_mac(o.ifname, o.spec.src_mac);
			if (err) {
				fprintf(stderr, "xdpgen: MAC of %s: %s\n", o.ifname,
					strerror(-err));
				return 1;
			}
		}
	}
	gk_udpframe_build(&o.spec, frame);

	libbpf_set_print(NULL);
	err = open_prog(&o, frame, ifindex, &skel);
	if (err) {
		fprintf(stderr, "xdpgen: loading xdpgen.bpf.o: %s\n", strerror(-err));
		return 1;
	}
	if (o.dump) {
		err = dump_frame(bpf_program__fd(skel->progs.xdpgen), frame, o.spec.size);
		if (err)
			fprintf(stderr, "xdpgen: test run: %s\n", strerror(-err));
		rc = err ? 1 : 0;
		goto out;
	}

	/* Only this thread takes the signals; workers poll the stop flag. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	memset(th, 0, sizeof(th));
	t0 = now_ns();
	for (i = 0; i < o.nr_cpus; i++) {
		th[i].cpu = o.cpus[i];
		th[i].prog_fd = bpf_program__fd(skel->progs.xdpgen);
		th[i].ifindex = ifindex;
		th[i].repeat = o.repeat;
		th[i].batch = o.batch;
		th[i].pps = o.pps / o.nr_cpus;
		if (o.pps && !th[i].pps)
			th[i].pps = 1;
		th[i].frame = frame;
		th[i].size = o.spec.size;
		err = pthread_create(&th[i].tid, NULL, gen_main, &th[i]);
		if (err) {
			fprintf(stderr, "xdpgen: pthread_create: %s\n", strerror(err));
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
		if (th[i].err) {
			fprintf(stderr, "xdpgen: thread on CPU %d: %s\n", th[i].cpu,
				strerror(-th[i].err));
			rc = 1;
		}
	}
	sent = frames_sent(skel);
	secs = (t1 - t0) / 1e9;
	printf("sent %" PRIu64 " seconds %.3f pps %.0f threads %d size %u\n",
	       sent, secs, secs > 0 ? sent / secs : 0.0, started, o.spec.size);
	/* Kernels that refuse live frames (EPERM) must not read as 0 pps. */
	if (!sent) {
		fprintf(stderr, "xdpgen: sent nothing on %s\n", o.ifname);
		rc = 1;
	}
out:
	xdpgen_bpf__destroy(skel);
	return rc;
}
