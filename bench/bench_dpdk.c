/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * genkan's worker on DPDK ports, in the seat dpdk-testpmd takes in
 * bench/dpdk_bench.sh: a net_pcap replay in (infinite_rx=1) and a net_null
 * sink out, one worker on its own pinned thread as in genkand (not an EAL
 * lcore). The frames' destinations
 * spread over --routes /25 routes in 198.18.0.0/15 with one resolved
 * gateway on the sink port (the pcap is written by the script with scapy).
 *
 * Prints one JSON line: packets forwarded per second (the sink port's tx
 * counter over the run, as the script reads testpmd's), worker cycles per
 * packet (its busy cycles / tx) and the TSC frequency. A benchmark: it
 * asserts nothing about speed.
 *
 * usage: bench_dpdk PCAP [--seconds S] [--cpu N] [--routes N] [--twin rx|worker]
 *                        [--br | --br-encap]
 *   --twin rx: the backend classifies at rx (what genkand runs, mode meta);
 *   --twin worker: the worker's twin (mode parse).
 *   --br: a MAP-E BR (RFC 7597 Appendix A rule, BR 2001:db8:ffff::1) on
 *   port 0: the pcap holds IPv4-in-IPv6 from the rule's CE, decapsulated
 *   and routed out of port 1 (app genkan-mape-br-decap).
 *   --br-encap: the same BR the other way: IPv4 to the CE's address and
 *   ports in on port 0, encapsulated to the CE and routed (::/0) out of
 *   port 1 (app genkan-mape-br-encap).
 *   --ce-napt: the CE of the same rule (192.0.2.18, PSID 0x34) with
 *   NAPT44: LAN IPv4 in on port 0 (a MAP-E CE LAN port), translated to
 *   the CE's address and ports, encapsulated to the BR and routed (::/0)
 *   out of port 1 (app genkan-mape-ce-napt).
 *   --wg: WireGuard encrypt with ipsec-mb: one peer (AllowedIPs
 *   198.18.0.0/15, endpoint 203.0.113.2:51820) with a keypair in place of
 *   a handshake; IPv4 in on port 0 sealed and routed out of port 1 (app
 *   genkan-wg-encrypt; gbps: inner IP bytes, as bench_wg counts them).
 *   --memif PATH: instead of net_pcap/net_null, one net_memif port
 *   (client of the server socket PATH, socket-abstract=no, MAC
 *   02:00:00:00:00:0a) that frames come in on and leave by: every route
 *   points back out of it (the realistic arrangement of dpdk_bench.sh).
 *   --huge: EAL on hugepages (--huge-unlink) instead of --no-huge; the
 *   buffers then sit on 2 MB pages, as in a deployment (docs/dpdk.md).
 *   --io: the backend alone, no worker and no twin: a pinned thread moves
 *   each rx burst of port 0 to port 1 (app genkan-backend-io): the cost of
 *   the DPDK backend's own rx/tx loops beside testpmd io.
 *   --l4: the classifier's tables also hold an L4 service (TCP
 *   203.0.113.80:443, as a front door's), so TRANSIT frames pass rule 10's
 *   test too (docs/dpdk.md).
 *   --tap: each port gets a TAP exception queue as genkand gives it (a
 *   down interface gkbench0/1, multi-queue, non-blocking): the worker then
 *   also polls the kernel's side of the exception path (docs/dpdk.md).
 *   Without it the ports have none, as in dpdk_bench.sh's rows.
 *   --hold: after the run, stop the worker, print, then wait for a line on
 *   stdin before closing the ports (memif: both sides stop polling first).
 */
#include <errno.h>
#include <getopt.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <urcu-qsbr.h>

#include <genkan/bpf_maps.h>

#include "backend_dpdk.h"
#include "clock.h"
#include "cls_tables.h"
#include "fib.h"
#include "map_table.h"
#include "napt.h"
#include "tables.h"
#include "wg_aead.h"
#include "wg_data.h"
#include "wg_peers.h"
#include "worker.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The worker thread's CPU time: on a loaded box the run's wall time also
 * counts the slices others took from the worker's core; packets per
 * second of this time (cpu_mpps) leaves those out.
 */
static uint64_t thread_ns(pthread_t t)
{
	struct timespec ts;
	clockid_t cid;

	if (pthread_getcpuclockid(t, &cid) || clock_gettime(cid, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* --io: the backend alone, no worker: rx burst -> tx burst (twin off). */
static struct gk_port *io_ports[2];
static atomic_bool io_stop;

static void *io_loop(void *arg)
{
	struct gk_pkt *pk[GK_BURST];
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(*(unsigned int *)arg, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (!atomic_load_explicit(&io_stop, memory_order_relaxed)) {
		uint16_t n = gk_port_rx(io_ports[0], pk, GK_BURST), s;

		if (!n)
			continue;
		s = gk_port_tx(io_ports[1], pk, n);
		if (s < n)
			gk_port_free(io_ports[0], pk + s, (uint16_t)(n - s));
	}
	return NULL;
}

static struct gk_tables *build(unsigned int nroutes, uint32_t oif)
{
	static const struct gk_fib_port ports[] = {
		{ .ifindex = 10, .port_id = 0, .mac = { 2, 0, 0, 0, 0, 0x0a },
		  .mtu = 1500 },
		{ .ifindex = 11, .port_id = 1, .mac = { 2, 0, 0, 0, 0, 0x0b },
		  .mtu = 1500 },
	};
	struct gk_neigh_entry nb[] = {
		{ .family = AF_INET, .addr = { 192, 0, 2, 254 }, .ifindex = oif,
		  .mac = { 2, 0, 0, 0, 0xfe, 0x01 } },
		{ .family = AF_INET6, .ifindex = oif, .mac = { 2, 0, 0, 0, 0xfe, 0x06 },
		  .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 1 } },
		/* the WireGuard peer's endpoint (--wg) */
		{ .family = AF_INET, .addr = { 203, 0, 113, 2 }, .ifindex = oif,
		  .mac = { 2, 0, 0, 0, 0xfe, 0x02 } },
	};
	struct gk_route *rt = calloc(nroutes + 4, sizeof(*rt));
	struct gk_fib_input in = { 0 };
	struct gk_fib *fib;
	char err[160];
	unsigned int i;

	if (!rt)
		return NULL;
	rt[0] = (struct gk_route){ .family = AF_INET, .plen = 24,
				   .dst = { 192, 0, 2, 0 }, .ifindex = oif };
	/* 198.18.0.0/15 in /25s: route i is 198.18.0.0 + 128 i */
	for (i = 0; i < nroutes; i++) {
		uint32_t a = 0xc6120000u + 128u * i;

		rt[i + 1] = (struct gk_route){
			.family = AF_INET, .plen = 25, .has_gw = 1,
			.gw = { 192, 0, 2, 254 }, .ifindex = oif,
			.dst = { (uint8_t)(a >> 24), (uint8_t)(a >> 16),
				 (uint8_t)(a >> 8), (uint8_t)a },
		};
	}
	/* IPv6 (the BR's encapsulated packets): ::/0 via 2001:db8:ff::1 */
	rt[nroutes + 1] = (struct gk_route){
		.family = AF_INET6, .plen = 0, .has_gw = 1, .ifindex = oif,
		.gw = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 1 },
	};
	/* WireGuard's outer packets: 203.0.113.0/24 on the link */
	rt[nroutes + 2] = (struct gk_route){ .family = AF_INET, .plen = 24,
					     .dst = { 203, 0, 113, 0 },
					     .ifindex = oif };
	/*
	 * --memif: testpmd flowgen's frames (its own fixed addresses) take
	 * a default route back out of the one port
	 */
	if (oif == 10)
		rt[nroutes + 3] = (struct gk_route){
			.family = AF_INET, .plen = 0, .has_gw = 1,
			.gw = { 192, 0, 2, 254 }, .ifindex = oif,
		};
	in.routes = rt;
	in.nr_routes = nroutes + 3 + (oif == 10);
	in.neighs = nb;
	in.nr_neighs = 3;
	in.ports = ports;
	in.nr_ports = 2;
	fib = gk_fib_build(&in, err, sizeof(err));
	free(rt);
	if (!fib) {
		fprintf(stderr, "fib: %s\n", err);
		return NULL;
	}
	return gk_tables_new(fib, 1);
}

static const uint8_t br6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 1 };

/* c with the one rule of RFC 7597 Appendix A example 1 and the BR at br6. */
static struct gk_map_table *rfc_table(struct gk_map_table_cfg *c)
{
	static struct gk_map_rule r;
	struct gk_map_table *t;
	char err[160];

	memset(&r, 0, sizeof(r));
	memcpy(r.ipv6_prefix, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8 }, 4);
	r.ipv6_plen = 40;
	memcpy(r.ipv4_prefix, (uint8_t[]){ 192, 0, 2, 0 }, 4);
	r.ipv4_plen = 24;
	r.ea_bits = 16;
	r.psid_offset = 6;
	snprintf(r.name, sizeof(r.name), "rfc");
	gk_map_rule_normalize(&r);
	c->rules = &r;
	memcpy(c->br_addr, br6, 16);
	t = gk_map_table_build(c, err, sizeof(err));
	if (!t)
		fprintf(stderr, "map table: %s\n", err);
	return t;
}

/*
 * The BR of RFC 7597 Appendix A example 1. Decap: IPv6 in on port 0, IPv4
 * out of port 1; encap: the other way round.
 */
static struct gk_map_table *br_table(bool encap)
{
	struct gk_map_table_cfg c = {
		.role = GK_MAPE_ROLE_BR, .nr_rules = 1, .bmr = -1,
		.v4_port_id = encap ? 0 : 1, .v6_port_id = encap ? 1 : 0,
		.tunnel_mtu = 1460,
	};

	return rfc_table(&c);
}

/*
 * The CE of the same rule (RFC 7597 Appendix A example 1): End-user prefix
 * 2001:db8:12:3400::/56, so 192.0.2.18 and PSID 0x34; LAN IPv4 on port 0,
 * the tunnel to the BR on port 1 (--ce-napt).
 */
static struct gk_map_table *ce_table(uint16_t v6_port)
{
	struct gk_map_table_cfg c = {
		.role = GK_MAPE_ROLE_CE, .nr_rules = 1, .bmr = 0,
		.eup_len = 56, .v4_port_id = 0, .v6_port_id = v6_port,
		.tunnel_mtu = 1460,
		.eup = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x12, 0x34 },
	};

	return rfc_table(&c);
}

/*
 * WireGuard (--wg): one peer whose AllowedIPs take every destination of
 * the pcap, with a current keypair as a finished handshake leaves it (the
 * keys are arbitrary: nobody decrypts here).
 */
static struct gk_wg_peers *wg_snapshot(struct gk_wg_kpstate *st)
{
	static struct gk_wg_keypair kp;
	struct gk_wg_allowed al = { .family = AF_INET, .plen = 15,
				    .addr = { 198, 18, 0, 0 } };
	struct gk_wg_peer_cfg pc = {
		.id = 0, .allowed = &al, .nr_allowed = 1,
		.ep = { .family = AF_INET, .port = 51820,
			.addr = { 203, 0, 113, 2 } },
		.src = { 203, 0, 113, 1 },
	};
	struct gk_wg_peers_cfg cfg = { .listen_port = 51820, .mtu = 1420,
				       .peers = &pc, .nr_peers = 1 };
	struct gk_wg_peers *t;
	char err[160];

	memset(kp.send_key, 0x5a, sizeof(kp.send_key));
	memset(kp.recv_key, 0xa5, sizeof(kp.recv_key));
	kp.local_index = 0x1001;
	kp.remote_index = 0x2002;
	kp.birth_ns = gk_mono_ns();
	pc.kp[GK_WG_KP_CURRENT] = &kp;
	pc.kps[GK_WG_KP_CURRENT] = st;
	t = gk_wg_peers_build(&cfg, err, sizeof(err));
	if (!t)
		fprintf(stderr, "wg peers: %s\n", err);
	return t;
}

/* A down TAP queue named name, as genkand's (dpdk_ctl.c), or -1. */
static int tap_queue(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		perror("/dev/net/tun");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE;
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		fprintf(stderr, "TAP %s: %s\n", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Frames the worker dropped, all reasons (a bench that drops is no bench);
 * the reasons to stderr.
 */
static uint64_t drops_of(const struct gk_worker *w)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < GK_WK_DROP_MAX; i++) {
		n += w->stats.drops[i];
		if (w->stats.drops[i])
			fprintf(stderr, "worker drops %s: %" PRIu64 "\n",
				gk_wk_drop_names[i], w->stats.drops[i]);
	}
	return n;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "routes", required_argument, NULL, 'r' },
		{ "twin", required_argument, NULL, 't' },
		{ "br", no_argument, NULL, 'b' },
		{ "br-encap", no_argument, NULL, 'e' },
		{ "ce-napt", no_argument, NULL, 'n' },
		{ "wg", no_argument, NULL, 'w' },
		{ "memif", required_argument, NULL, 'm' },
		{ "hold", no_argument, NULL, 'h' },
		{ "io", no_argument, NULL, 'i' },
		{ "huge", no_argument, NULL, 'H' },
		{ "tap", no_argument, NULL, 'T' },
		{ "l4", no_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	static struct gk_worker w;
	struct gk_worker_cfg cfg = { .cpu = -1 };
	struct gk_cls_input none = { 0 };
	struct gk_cls_tables *cls;
	struct gk_tables *tables;
	struct gk_dpdk_pool *pool;
	struct gk_dpdk_dev *dev[2];
	struct gk_port *p[2];
	char args[300], devargs[600], err[300];
	unsigned int routes = 1000, cpu = 0, i;
	double secs = 3;
	bool rx_twin = true, br = false, encap = false;
	struct gk_map_table *map = NULL;
	struct gk_cls_v6 m6 = { .cls = GK_CLASS_MAPE_BR };
	struct gk_cls_v4 m4 = { .plen = 24, .cls = GK_CLASS_MAPE_BR };
	uint64_t t0, t1, c0, c1, tx0, busy0;
	uint64_t w0, w1;	/* the worker's CPU time */
	bool ce = false, wg = false, hold = false, io = false, huge = false;
	bool tap = false, l4 = false;
	struct gk_l4_key l4k = { .family = 4, .proto = IPPROTO_TCP };
	pthread_t io_thread;
	const char *memif = NULL, *app = "genkan-l3";
	struct gk_napt_cfg nc = { .ext_addr = { 192, 0, 2, 18 },
				  .psid_offset = 6, .psid_len = 8,
				  .psid = 0x34, .nr_workers = 1,
				  .holddown_s = UINT32_MAX };
	struct gk_napt *napt = NULL;
	struct gk_wg_kpstate *kps = NULL;
	struct gk_wg_peers *wgp = NULL;
	struct gk_wg_evring *wgev = NULL;
	uint32_t port_flags[GK_MAX_PORTS] = { 0 };
	uint64_t rxp0, rxb0;
	struct gk_port *out;
	unsigned int nports;
	int opt;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 's': secs = atof(optarg); break;
		case 'c': cpu = (unsigned)atoi(optarg); break;
		case 'r': routes = (unsigned)atoi(optarg); break;
		case 't': rx_twin = strcmp(optarg, "worker"); break;
		case 'b': br = true; break;
		case 'e': br = encap = true; break;
		case 'n': ce = true; break;
		case 'w': wg = true; break;
		case 'm': memif = optarg; break;
		case 'h': hold = true; break;
		case 'H': huge = true; break;
		case 'T': tap = true; break;
		case 'L': l4 = true; break;
		case 'i': io = true; rx_twin = false; app = "genkan-backend-io"; break;
		default: return 2;
		}
	}
	if ((optind >= argc && !memif) || !routes || routes > 1024 ||
	    br + ce + wg > 1) {
		fprintf(stderr, "usage: %s PCAP|--memif PATH [--seconds S] "
			"[--cpu N] [--routes 1..1024] [--twin rx|worker] "
			"[--br | --br-encap | --ce-napt | --wg] [--io] [--huge] [--hold]\n",
			argv[0]);
		return 2;
	}
	nports = memif ? 1 : 2;
	if (io && (memif || br || ce || wg)) {
		fprintf(stderr, "--io: the pcap/null seat only\n");
		return 2;
	}
	if (io)
		;
	else if (encap)
		app = "genkan-mape-br-encap";
	else if (br)
		app = "genkan-mape-br-decap";
	else if (ce)
		app = "genkan-mape-ce-napt";
	else if (wg)
		app = "genkan-wg-encrypt";
	snprintf(args, sizeof(args),
		 "%s --no-shconf -m 256 --no-pci --no-telemetry "
		 "--lcores 0@%u --file-prefix gkbench%d --log-level=*:error",
		 huge ? "--huge-unlink" : "--no-huge", cpu ? 0 : 1, (int)getpid());
	if (gk_dpdk_eal_init(args, err, sizeof(err))) {
		fprintf(stderr, "EAL: %s\n", err);
		return 1;
	}
	atexit(gk_dpdk_eal_cleanup);	/* its runtime dir, on every way out */
	pool = gk_dpdk_pool_create("bench", 8192, -1, err, sizeof(err));
	tables = build(routes, memif ? 10 : 11);
	if (br) {
		/* the classifier's maps: the BR address and the domain */
		memcpy(m6.addr, br6, 16);
		m4.prefix = htonl(0xc0000200u);
		none.mape6 = &m6;
		none.nr_mape6 = 1;
		none.mape4 = &m4;
		none.nr_mape4 = 1;
		map = br_table(encap);
		if (!map)
			return 1;
	}
	if (ce) {
		int rc;

		/* port 0 is the CE's LAN side: its IPv4 goes to MAPE_CE */
		port_flags[0] = GK_PORT_F_ENABLED | GK_PORT_F_MAPE_CE_V4;
		none.port_flags = port_flags;
		map = ce_table((uint16_t)(nports - 1));
		napt = gk_napt_create(&nc, &rc, err, sizeof(err));
		if (!map || !napt) {
			fprintf(stderr, "napt: %s\n", map ? err : "map");
			return 1;
		}
	}
	if (wg) {
		none.wg_listen_port = 51820;
		none.wg_port_id = (uint16_t)(nports - 1);
		kps = gk_wg_kpstate_create();
		wgev = gk_wg_evring_create(64);
		wgp = kps ? wg_snapshot(kps) : NULL;
		if (!wgp || !wgev)
			return 1;
	}
	if (l4) {
		l4k.port = htons(443);
		l4k.addr[0] = htonl(0xcb007150u);	/* 203.0.113.80 */
		none.l4 = &l4k;
		none.nr_l4 = 1;
		none.cfg_flags |= GK_CFG_F_L4;
	}
	cls = gk_cls_tables_build(&none);
	if (!pool || !tables || !cls) {
		fprintf(stderr, "setup: %s\n", pool ? "tables" : err);
		return 1;
	}
	for (i = 0; i < nports; i++) {
		struct gk_dpdk_dev_cfg dc = { .nr_queues = 1, .pools = &pool };
		struct gk_dpdk_port_cfg pc = { .port_id = (uint16_t)i, .tap_fd = -1,
					       .cls = rx_twin ? &cls : NULL };
		char tname[IFNAMSIZ];

		if (tap) {
			snprintf(tname, sizeof(tname), "gkbench%u", i);
			pc.tap_fd = tap_queue(tname);
			if (pc.tap_fd < 0)
				return 1;
		}

		if (memif)
			snprintf(devargs, sizeof(devargs),
				 "net_memif_bench0,role=client,id=0,socket=%s,"
				 "socket-abstract=no,mac=02:00:00:00:00:0a",
				 memif);
		else if (i == 0)
			snprintf(devargs, sizeof(devargs),
				 "net_pcap_bench0,rx_pcap=%s,infinite_rx=1",
				 argv[optind]);
		else
			snprintf(devargs, sizeof(devargs), "net_null_bench0,no-rx=1");
		dc.devargs = devargs;
		if (gk_dpdk_dev_open(&dc, &dev[i], err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		p[i] = gk_dpdk_port_open(dev[i], &pc, err, sizeof(err));
		if (!p[i]) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		cfg.ports[i] = p[i];
	}
	cfg.nr_ports = nports;
	if (map) {
		cfg.map = &map;
		cfg.map_nr_rules = 1;
	}
	if (napt) {
		cfg.napt = napt;
		cfg.napt_cfg = &nc;
		cfg.nr_workers = 1;
	}
	if (wg) {
		cfg.wg = &wgp;
		cfg.wg_events = wgev;
		cfg.wg_max_peers = 1;
		cfg.wg_aead = GK_AEAD_IPSECMB;
		cfg.wg_nr_workers = 1;
		cfg.wg_port_id = (uint16_t)(nports - 1);
		cfg.wg_mtu = 1420;
	}
	cfg.tables = &tables;
	cfg.cls = &cls;
	if (io) {
		io_ports[0] = p[0];
		io_ports[1] = p[1];
		if (pthread_create(&io_thread, NULL, io_loop, &cpu))
			return 1;
		w.thread = io_thread;
	} else if (gk_worker_init(&w, &cfg)) {
		fprintf(stderr, "worker init\n");
		return 1;
	}
	/* genkand's way: the worker on its own pinned thread, not an EAL one */
	cfg.cpu = (int)cpu;
	w.cfg.cpu = (int)cpu;
	if (!io && gk_worker_start(&w)) {
		fprintf(stderr, "worker start\n");
		return 1;
	}
	{
		struct timespec warm = { 0, 300000000 };

		nanosleep(&warm, NULL);
	}
	out = p[nports - 1];
	tx0 = out->stats.tx_packets;
	rxp0 = p[0]->stats.rx_packets;
	rxb0 = p[0]->stats.rx_bytes;
	busy0 = w.stats.busy_cycles;
	t0 = mono_ns();
	c0 = gk_cycles();
	w0 = thread_ns(w.thread);
	{
		struct timespec run = { (time_t)secs,
					(long)((secs - (time_t)secs) * 1e9) };

		nanosleep(&run, NULL);
	}
	t1 = mono_ns();
	c1 = gk_cycles();
	w1 = thread_ns(w.thread);
	{
		uint64_t tx = out->stats.tx_packets - tx0;
		uint64_t busy = w.stats.busy_cycles - busy0;
		uint64_t rxp = p[0]->stats.rx_packets - rxp0;
		uint64_t rxb = p[0]->stats.rx_bytes - rxb0;
		double s = (double)(t1 - t0) / 1e9;
		/* the IP packets' bytes, as they came in (WireGuard's inner) */
		double ipb = rxp ? (double)rxb / rxp - 14 : 0;

		if (io) {
			atomic_store(&io_stop, true);
			pthread_join(io_thread, NULL);
		} else {
			gk_worker_stop(&w);
		}
		printf("{\"app\":\"%s\",\"twin\":\"%s\",\"routes\":%u,"
		       "\"seconds\":%.3f,\"packets\":%" PRIu64 ",\"mpps\":%.3f,"
		       "\"gbps_ip\":%.3f,\"ip_bytes\":%.0f,"
		       "\"cycles_per_pkt\":%.1f,\"busy_cycles_per_pkt\":%.1f,"
		       "\"tsc_ghz\":%.3f,\"dropped\":%" PRIu64 ","
		       "\"worker_drops\":%" PRIu64 ","
		       "\"cpu_mpps\":%.3f,\"cpu_cycles_per_pkt\":%.1f,"
		       "\"tx_total\":%" PRIu64 "}\n",
		       app, rx_twin ? "rx" : "worker", routes, s, tx,
		       tx / s / 1e6, tx * ipb * 8 / s / 1e9, ipb,
		       tx ? (double)(c1 - c0) / tx : 0,
		       tx ? (double)busy / tx : 0,
		       (double)(c1 - c0) / (t1 - t0),
		       out->stats.tx_drops, drops_of(&w),
		       w1 > w0 ? tx * 1e3 / (double)(w1 - w0) : 0,
		       tx && w1 > w0 ? (double)(w1 - w0) *
		       ((double)(c1 - c0) / (t1 - t0)) / tx : 0,
		       out->stats.tx_packets);
		fflush(stdout);
	}
	if (hold) {
		/* the worker polls no more: the peer may now stop, then we close */
		char line[16];

		if (!fgets(line, sizeof(line), stdin))
			line[0] = 0;
	}
	if (!io)
		gk_worker_fini(&w);
	for (i = 0; i < nports; i++) {
		p[i]->ops->close(p[i]);
		gk_dpdk_dev_close(dev[i]);
	}
	gk_dpdk_pool_destroy(pool);
	gk_tables_free(tables);
	gk_cls_tables_free(cls);
	if (map)
		gk_map_table_free(map);
	if (napt)
		gk_napt_free(napt);
	if (wgp)
		gk_wg_peers_free(wgp);
	if (kps)
		gk_wg_kpstate_free(kps);
	if (wgev)
		gk_wg_evring_destroy(wgev);
	gk_dpdk_eal_cleanup();
	return 0;
}
