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
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <urcu-qsbr.h>

#include "backend_dpdk.h"
#include "clock.h"
#include "cls_tables.h"
#include "fib.h"
#include "map_table.h"
#include "tables.h"
#include "worker.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct gk_tables *build(unsigned int nroutes)
{
	static const struct gk_fib_port ports[] = {
		{ .ifindex = 10, .port_id = 0, .mac = { 2, 0, 0, 0, 0, 0x0a },
		  .mtu = 1500 },
		{ .ifindex = 11, .port_id = 1, .mac = { 2, 0, 0, 0, 0, 0x0b },
		  .mtu = 1500 },
	};
	static const struct gk_neigh_entry nb[] = {
		{ .family = AF_INET, .addr = { 192, 0, 2, 254 }, .ifindex = 11,
		  .mac = { 2, 0, 0, 0, 0xfe, 0x01 } },
		{ .family = AF_INET6, .ifindex = 11, .mac = { 2, 0, 0, 0, 0xfe, 0x06 },
		  .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 1 } },
	};
	struct gk_route *rt = calloc(nroutes + 2, sizeof(*rt));
	struct gk_fib_input in = { 0 };
	struct gk_fib *fib;
	char err[160];
	unsigned int i;

	if (!rt)
		return NULL;
	rt[0] = (struct gk_route){ .family = AF_INET, .plen = 24,
				   .dst = { 192, 0, 2, 0 }, .ifindex = 11 };
	/* 198.18.0.0/15 in /25s: route i is 198.18.0.0 + 128 i */
	for (i = 0; i < nroutes; i++) {
		uint32_t a = 0xc6120000u + 128u * i;

		rt[i + 1] = (struct gk_route){
			.family = AF_INET, .plen = 25, .has_gw = 1,
			.gw = { 192, 0, 2, 254 }, .ifindex = 11,
			.dst = { (uint8_t)(a >> 24), (uint8_t)(a >> 16),
				 (uint8_t)(a >> 8), (uint8_t)a },
		};
	}
	/* IPv6 (the BR's encapsulated packets): ::/0 via 2001:db8:ff::1 */
	rt[nroutes + 1] = (struct gk_route){
		.family = AF_INET6, .plen = 0, .has_gw = 1, .ifindex = 11,
		.gw = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 1 },
	};
	in.routes = rt;
	in.nr_routes = nroutes + 2;
	in.neighs = nb;
	in.nr_neighs = 2;
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

/*
 * The BR of RFC 7597 Appendix A example 1. Decap: IPv6 in on port 0, IPv4
 * out of port 1; encap: the other way round.
 */
static struct gk_map_table *br_table(bool encap)
{
	static struct gk_map_rule r;
	struct gk_map_table_cfg c = {
		.role = GK_MAPE_ROLE_BR, .nr_rules = 1, .bmr = -1,
		.v4_port_id = encap ? 0 : 1, .v6_port_id = encap ? 1 : 0,
		.tunnel_mtu = 1460,
	};
	struct gk_map_table *t;
	char err[160];

	memcpy(r.ipv6_prefix, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8 }, 4);
	r.ipv6_plen = 40;
	memcpy(r.ipv4_prefix, (uint8_t[]){ 192, 0, 2, 0 }, 4);
	r.ipv4_plen = 24;
	r.ea_bits = 16;
	r.psid_offset = 6;
	snprintf(r.name, sizeof(r.name), "rfc");
	gk_map_rule_normalize(&r);
	c.rules = &r;
	memcpy(c.br_addr, br6, 16);
	t = gk_map_table_build(&c, err, sizeof(err));
	if (!t)
		fprintf(stderr, "map table: %s\n", err);
	return t;
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
	int opt;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 's': secs = atof(optarg); break;
		case 'c': cpu = (unsigned)atoi(optarg); break;
		case 'r': routes = (unsigned)atoi(optarg); break;
		case 't': rx_twin = strcmp(optarg, "worker"); break;
		case 'b': br = true; break;
		case 'e': br = encap = true; break;
		default: return 2;
		}
	}
	if (optind >= argc || !routes || routes > 1024) {
		fprintf(stderr, "usage: %s PCAP [--seconds S] [--cpu N] "
			"[--routes 1..1024] [--twin rx|worker]\n", argv[0]);
		return 2;
	}
	snprintf(args, sizeof(args),
		 "--no-huge --no-shconf -m 256 --no-pci --no-telemetry "
		 "--lcores 0@%u --file-prefix gkbench%d --log-level=*:error",
		 cpu ? 0 : 1, (int)getpid());
	if (gk_dpdk_eal_init(args, err, sizeof(err))) {
		fprintf(stderr, "EAL: %s\n", err);
		return 1;
	}
	atexit(gk_dpdk_eal_cleanup);	/* its runtime dir, on every way out */
	pool = gk_dpdk_pool_create("bench", 8192, -1, err, sizeof(err));
	tables = build(routes);
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
	cls = gk_cls_tables_build(&none);
	if (!pool || !tables || !cls) {
		fprintf(stderr, "setup: %s\n", pool ? "tables" : err);
		return 1;
	}
	for (i = 0; i < 2; i++) {
		struct gk_dpdk_dev_cfg dc = { .nr_queues = 1, .pools = &pool };
		struct gk_dpdk_port_cfg pc = { .port_id = (uint16_t)i, .tap_fd = -1,
					       .cls = rx_twin ? &cls : NULL };

		if (i == 0)
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
	cfg.nr_ports = 2;
	if (map) {
		cfg.map = &map;
		cfg.map_nr_rules = 1;
	}
	cfg.tables = &tables;
	cfg.cls = &cls;
	if (gk_worker_init(&w, &cfg)) {
		fprintf(stderr, "worker init\n");
		return 1;
	}
	/* genkand's way: the worker on its own pinned thread, not an EAL one */
	cfg.cpu = (int)cpu;
	w.cfg.cpu = (int)cpu;
	if (gk_worker_start(&w)) {
		fprintf(stderr, "worker start\n");
		return 1;
	}
	{
		struct timespec warm = { 0, 300000000 };

		nanosleep(&warm, NULL);
	}
	tx0 = p[1]->stats.tx_packets;
	busy0 = w.stats.busy_cycles;
	t0 = mono_ns();
	c0 = gk_cycles();
	{
		struct timespec run = { (time_t)secs,
					(long)((secs - (time_t)secs) * 1e9) };

		nanosleep(&run, NULL);
	}
	t1 = mono_ns();
	c1 = gk_cycles();
	{
		uint64_t tx = p[1]->stats.tx_packets - tx0;
		uint64_t busy = w.stats.busy_cycles - busy0;
		double s = (double)(t1 - t0) / 1e9;

		gk_worker_stop(&w);
		printf("{\"app\":\"%s\",\"twin\":\"%s\",\"routes\":%u,"
		       "\"seconds\":%.3f,\"packets\":%" PRIu64 ",\"mpps\":%.3f,"
		       "\"cycles_per_pkt\":%.1f,\"busy_cycles_per_pkt\":%.1f,"
		       "\"tsc_ghz\":%.3f,\"dropped\":%" PRIu64 "}\n",
		       encap ? "genkan-mape-br-encap" :
		       br ? "genkan-mape-br-decap" : "genkan-l3",
		       rx_twin ? "rx" : "worker", routes, s, tx, tx / s / 1e6,
		       tx ? (double)(c1 - c0) / tx : 0,
		       tx ? (double)busy / tx : 0,
		       (double)(c1 - c0) / (t1 - t0),
		       p[1]->stats.tx_drops);
	}
	gk_worker_fini(&w);
	for (i = 0; i < 2; i++) {
		p[i]->ops->close(p[i]);
		gk_dpdk_dev_close(dev[i]);
	}
	gk_dpdk_pool_destroy(pool);
	gk_tables_free(tables);
	gk_cls_tables_free(cls);
	if (map)
		gk_map_table_free(map);
	gk_dpdk_eal_cleanup();
	return 0;
}
