// SPDX-License-Identifier: BSD-3-Clause
/*
 * genkanctl end to end: the real binary (argv[1]) against no daemon, a
 * stale socket, and a fake daemon serving canned results written below.
 * The canned JSON is the oracle: plain output must show its values, -j
 * must reproduce it exactly, and exit codes must follow the contract
 * (0 ok, 1 daemon error, 2 usage, 3 unreachable).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl_server.h"

static const char *genkanctl;

static const char status_json[] =
	"{\"instance\":\"lab\",\"version\":\"0.1.0\",\"pid\":4242,\"uptime_s\":93784,"
	"\"config\":\"/etc/genkan/lab.conf\",\"socket\":\"/run/genkan/lab.sock\","
	"\"bpffs_pin_dir\":\"/sys/fs/bpf/genkan/lab\",\"xdp_mode\":\"native\","
	"\"ports\":[{\"name\":\"lan\",\"ifname\":\"gw-lan\",\"ifindex\":7,\"port_id\":0,"
	"\"mtu\":1500,\"mac\":\"02:00:00:00:00:01\",\"queues\":2,"
	"\"checksum\":{\"mode\":\"complete\","
	"\"reason\":\"auto: driver veth can hand over partial checksums\"}},"
	"{\"name\":\"wan\",\"ifname\":\"gw-wan\",\"ifindex\":8,\"port_id\":1,"
	"\"mtu\":9000,\"mac\":\"02:00:00:00:00:02\",\"queues\":2,"
	"\"checksum\":{\"mode\":\"trust\",\"reason\":\"configured\"}}],"
	"\"workers\":{\"total\":2,\"running\":1,\"stalled\":1},"
	"\"fib\":{\"generation\":17,\"routes4\":12,\"routes6\":3,\"neighbors\":5,"
	"\"updated_s_ago\":4},\"reloads\":2,\"last_reload_error\":null}";

static const char stats_json[] =
	"{\"totals\":{\"rx_packets\":1000,\"rx_bytes\":64000,\"tx_packets\":990,"
	"\"tx_bytes\":63360,\"drops\":10},"
	"\"workers\":[{\"id\":0,\"rx_packets\":600,\"rx_bytes\":38400,\"tx_packets\":595,"
	"\"tx_bytes\":38080,\"drops\":{\"no_route\":5,\"ttl_exceeded\":0},"
	"\"busy_cycles\":250,\"idle_cycles\":750},"
	"{\"id\":1,\"rx_packets\":400,\"rx_bytes\":25600,\"tx_packets\":395,"
	"\"tx_bytes\":25280,\"drops\":{\"no_route\":5},\"busy_cycles\":0,\"idle_cycles\":0}],"
	"\"worker_drops\":{\"no_route\":10,\"ttl_exceeded\":0},"
	"\"worker_classes\":{\"ipv4\":900,\"ipv6\":100,\"arp\":0},"
	"\"ports\":[{\"name\":\"lan\",\"queue\":0,\"worker\":0,\"rx_packets\":600,"
	"\"tx_packets\":0,\"tx_drops\":0,\"rx_no_buf\":0,\"wakeups\":3},"
	"{\"name\":\"wan\",\"queue\":1,\"worker\":1,\"rx_packets\":0,\"tx_packets\":0,"
	"\"tx_drops\":0,\"rx_no_buf\":0,\"wakeups\":0}],"
	"\"port_xsk\":[{\"name\":\"lan\",\"sockets\":2,\"rx_dropped\":3,"
	"\"rx_invalid_descs\":0,\"tx_invalid_descs\":1,\"rx_ring_full\":12,"
	"\"rx_fill_ring_empty_descs\":4,\"tx_ring_empty_descs\":0},"
	"{\"name\":\"wan\",\"sockets\":2,\"rx_dropped\":0,\"rx_invalid_descs\":0,"
	"\"tx_invalid_descs\":0,\"rx_ring_full\":0,"
	"\"rx_fill_ring_empty_descs\":0,\"tx_ring_empty_descs\":0}],"
	"\"xdp\":{\"classes\":{\"to_worker\":{\"packets\":1000,\"bytes\":64000},"
	"\"pass\":{\"packets\":0,\"bytes\":0}},"
	"\"drops\":{\"malformed\":{\"packets\":7,\"bytes\":420}},"
	"\"events\":{\"redirect_fail\":{\"packets\":0,\"bytes\":0}}},"
	"\"mape\":{\"encap_pkts\":5,\"encap_bytes\":300,\"decap_pkts\":4,"
	"\"decap_bytes\":240,\"hairpin_pkts\":0,\"icmp_translated\":0,"
	"\"icmp_unreach_sent\":0,\"mss_clamped\":1,"
	"\"drops\":{\"spoof_port\":2,\"no_rule\":0}},"
	"\"dpdk\":[{\"name\":\"lan\",\"devargs\":\"net_af_packet0,iface=vc\","
	"\"tap\":\"dlan\",\"to_kernel\":31,\"to_kernel_fail\":0,\"from_kernel\":29,"
	"\"from_kernel_drop\":2,\"cls_drops\":4,\"rx_multiseg\":0,"
	"\"drops\":{\"trunc_eth\":0,\"bad_src\":4}},"
	"{\"name\":\"wan\",\"devargs\":\"net_af_packet1,iface=vs\",\"tap\":\"dwan\","
	"\"to_kernel\":0,\"to_kernel_fail\":0,\"from_kernel\":0,"
	"\"from_kernel_drop\":0,\"cls_drops\":0,\"rx_multiseg\":0,"
	"\"drops\":{\"trunc_eth\":0,\"bad_src\":0}}]}";

static const char workers_json[] =
	"{\"workers\":[{\"id\":0,\"cpu\":0,\"state\":\"running\",\"heartbeat_age_ms\":12,"
	"\"busy_pct\":25.5,\"polls\":123456,\"rx_packets\":600,\"tx_packets\":595,"
	"\"ports\":[{\"name\":\"lan\",\"queue\":0},{\"name\":\"wan\",\"queue\":0}]},"
	"{\"id\":1,\"cpu\":1,\"state\":\"stalled\",\"heartbeat_age_ms\":5400,"
	"\"busy_pct\":0,\"polls\":99,\"rx_packets\":400,\"tx_packets\":395,"
	"\"ports\":[{\"name\":\"lan\",\"queue\":1},{\"name\":\"wan\",\"queue\":1}]}]}";

static const char routes_json[] =
	"{\"routes\":[{\"family\":4,\"dst\":\"198.51.100.0/24\",\"gateway\":\"192.0.2.1\","
	"\"dev\":\"gw-wan\",\"ifindex\":8,\"port\":\"wan\",\"type\":\"unicast\"},"
	"{\"family\":6,\"dst\":\"2001:db8:1::/48\",\"gateway\":null,\"dev\":\"gw-lan\","
	"\"ifindex\":7,\"port\":\"lan\",\"type\":\"unicast\"},"
	"{\"family\":4,\"dst\":\"203.0.113.0/24\",\"gateway\":null,\"dev\":null,"
	"\"ifindex\":0,\"port\":null,\"type\":\"blackhole\"}]}";

static const char neigh_json[] =
	"{\"neighbors\":[{\"family\":4,\"addr\":\"192.0.2.1\",\"lladdr\":\"02:00:00:00:00:aa\","
	"\"dev\":\"gw-wan\",\"ifindex\":8,\"state\":\"REACHABLE\"},"
	"{\"family\":6,\"addr\":\"2001:db8::1\",\"lladdr\":null,\"dev\":\"gw-lan\","
	"\"ifindex\":7,\"state\":\"INCOMPLETE\"}]}";

/* A CE with the RFC 7597 Appendix A BMR and one idle FMR. */
static const char map_json[] =
	"{\"enabled\":true,\"role\":\"ce\",\"br_address\":\"2001:db8:ffff::1\","
	"\"tunnel_mtu\":1460,\"ipv4_port\":\"lan\",\"ipv6_port\":\"wan\","
	"\"ce\":{\"ipv4\":\"192.0.2.18\",\"ipv4_plen\":32,\"psid\":52,\"psid_len\":8,"
	"\"psid_offset\":6,\"ce_ipv6\":\"2001:db8:12:3400:0:c000:212:34\","
	"\"end_user_prefix\":\"2001:db8:12:3400::/56\",\"nr_ports\":252,"
	"\"port_ranges\":[[1232,1235],[2256,2259],[3280,3283]]},"
	"\"domains\":[{\"name\":\"rfc\",\"ipv6_prefix\":\"2001:db8::/40\","
	"\"ipv4_prefix\":\"192.0.2.0/24\",\"ea_bits\":16,\"psid_offset\":6,"
	"\"psid_len\":8,\"draft03\":false,\"fmr\":true,\"mss_clamp\":1420,"
	"\"counters\":{\"encap_pkts\":10,\"encap_bytes\":840,\"decap_pkts\":9,"
	"\"decap_bytes\":756,\"hairpin_pkts\":0,\"icmp_translated\":1,"
	"\"icmp_unreach_sent\":0,\"mss_clamped\":2,"
	"\"drops\":{\"port_violation\":3,\"not_ours\":0}}},"
	"{\"name\":\"idle-d03\",\"ipv6_prefix\":\"2001:db8:100::/40\","
	"\"ipv4_prefix\":\"198.51.100.0/24\",\"ea_bits\":16,\"psid_offset\":6,"
	"\"psid_len\":8,\"draft03\":true,\"fmr\":false,\"mss_clamp\":0,"
	"\"counters\":{\"encap_pkts\":0,\"encap_bytes\":0,\"decap_pkts\":0,"
	"\"decap_bytes\":0,\"hairpin_pkts\":0,\"icmp_translated\":0,"
	"\"icmp_unreach_sent\":0,\"mss_clamped\":0,"
	"\"drops\":{\"port_violation\":0,\"not_ours\":0}}}],"
	"\"unmatched\":{\"encap_pkts\":0,\"encap_bytes\":0,\"decap_pkts\":0,"
	"\"decap_bytes\":0,\"hairpin_pkts\":0,\"icmp_translated\":0,"
	"\"icmp_unreach_sent\":0,\"mss_clamped\":0,"
	"\"drops\":{\"no_rule\":7,\"bad_outer\":0}}}";

static const char map_off_json[] =
	"{\"enabled\":false,\"role\":null,\"br_address\":null,\"tunnel_mtu\":null,"
	"\"ipv4_port\":null,\"ipv6_port\":null,\"ce\":null,\"domains\":[],"
	"\"unmatched\":null}";

static const char reload_json[] =
	"{\"reloaded\":true,\"generation\":18,\"changes\":[\"port wan: mtu 1500 -> 9000\","
	"\"workers: 1 -> 2\"]}";

struct fixture {
	char dir[64];
	char path[108];
	struct gk_ctl_server *srv;
	pthread_t thread;
	int stopfd;
	bool running;
	bool reload_fails;
	bool sparse;		/* answer status with {} */
	bool mape_off;		/* map: MAP-E not enabled */
	char map_args[256];	/* last args the map command got */
};

struct run {
	int code;
	char out[16384];
	char err[4096];
};

static int canned(const char *text, json_t **result)
{
	*result = json_loads(text, 0, NULL);
	return *result ? 0 : -EINVAL;
}

static int fn_status(void *arg, json_t *args, json_t **result, char *err,
		     size_t errlen)
{
	struct fixture *f = arg;

	return canned(f->sparse ? "{}" : status_json, result);
}

static int fn_stats(void *arg, json_t *args, json_t **result, char *err,
		    size_t errlen)
{
	return canned(stats_json, result);
}

static int fn_workers(void *arg, json_t *args, json_t **result, char *err,
		      size_t errlen)
{
	return canned(workers_json, result);
}

static int fn_routes(void *arg, json_t *args, json_t **result, char *err,
		     size_t errlen)
{
	return canned(routes_json, result);
}

static int fn_neigh(void *arg, json_t *args, json_t **result, char *err,
		    size_t errlen)
{
	return canned(neigh_json, result);
}

static int fn_reload(void *arg, json_t *args, json_t **result, char *err,
		     size_t errlen)
{
	struct fixture *f = arg;

	if (f->reload_fails) {
		snprintf(err, errlen, "lab.conf:3: workers = 99 out of range (1..64)");
		return -EINVAL;
	}
	return canned(reload_json, result);
}

static int fn_map(void *arg, json_t *args, json_t **result, char *err,
		  size_t errlen)
{
	struct fixture *f = arg;
	const char *name = json_string_value(json_object_get(args, "name"));
	char *a = json_dumps(args, JSON_SORT_KEYS | JSON_COMPACT);

	snprintf(f->map_args, sizeof(f->map_args), "%s", a ? a : "");
	free(a);
	if (name && strcmp(name, "rfc")) {
		snprintf(err, errlen, "map: no map-rule '%s'", name);
		return -ENOENT;
	}
	return canned(f->mape_off ? map_off_json : map_json, result);
}

/* ---- nat (NAPT44): canned results, args recorded for the checks ---- */
static char nat_args[512];

static const char nat_sessions_json[] =
	"{\"sessions\":[{\"proto\":\"udp\",\"inside_addr\":\"198.18.0.2\","
	"\"inside_port\":40000,\"outside_addr\":\"192.0.2.18\",\"outside_port\":1233,"
	"\"remote_addr\":\"203.0.113.9\",\"remote_port\":53,\"state\":\"-\","
	"\"expires_in_s\":299,\"worker\":1}],\"total\":1}";
static const char nat_stats_json[] =
	"{\"totals\":{\"sessions\":7,\"sessions_created\":9,\"sessions_expired\":2,"
	"\"out_pkts\":100,\"in_pkts\":90,\"hairpin_pkts\":0,\"icmp_err_pkts\":3,"
	"\"exhausted\":11,\"host_limit\":4,\"drops\":{\"exhausted\":11,"
	"\"host_limit\":4,\"frag\":0}},\"ports_in_use\":{\"tcp\":5,\"udp\":2,"
	"\"icmp\":0},\"ranges\":[{\"range\":1,\"first_port\":1232,\"tcp\":2,"
	"\"udp\":1,\"icmp\":0}],\"hosts\":[{\"addr\":\"198.18.0.2\",\"ports\":7,"
	"\"refused\":15,\"worker\":0}],\"workers\":[{\"worker\":0,"
	"\"handed_over\":30,\"taken_over\":5,\"handoff_drops\":2},{\"worker\":1,"
	"\"handed_over\":6,\"taken_over\":28,\"handoff_drops\":1}],\"port_set\":{\"address\":"
	"\"192.0.2.18\",\"psid\":52,\"psid_len\":8,\"psid_offset\":6}}";
static const char nat_maps_json[] =
	"{\"mappings\":[{\"proto\":\"tcp\",\"public_port\":1232,\"host\":"
	"\"198.18.0.2\",\"host_port\":8080,\"worker\":0}]}";

static int fn_nat(void *arg, json_t *args, json_t **result, char *err,
		  size_t errlen)
{
	const char *op = json_string_value(json_object_get(args, "op"));
	char *a = json_dumps(args, JSON_SORT_KEYS | JSON_COMPACT);

	(void)arg;
	snprintf(nat_args, sizeof(nat_args), "%s", a ? a : "");
	free(a);
	if (!op)
		return -EINVAL;
	if (!strcmp(op, "sessions"))
		return canned(nat_sessions_json, result);
	if (!strcmp(op, "stats"))
		return canned(nat_stats_json, result);
	if (!strcmp(op, "mappings"))
		return canned(nat_maps_json, result);
	if (json_integer_value(json_object_get(args, "public_port")) == 1000) {
		snprintf(err, errlen, "port 1000 is outside this CE's port set");
		return -ERANGE;
	}
	return canned("{\"added\":true}", result);
}

static const struct gk_ctl_cmd cmds[] = {
	{ "nat", fn_nat, "" },
	{ "status", fn_status, "" },
	{ "stats", fn_stats, "" },
	{ "workers", fn_workers, "" },
	{ "routes", fn_routes, "" },
	{ "neighbors", fn_neigh, "" },
	{ "reload", fn_reload, "" },
	{ "map", fn_map, "" },
};

static void *server_loop(void *arg)
{
	struct fixture *f = arg;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = gk_ctl_server_fd(f->srv), .events = POLLIN },
			{ .fd = f->stopfd, .events = POLLIN },
		};

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents)
			gk_ctl_server_dispatch(f->srv);
	}
	return NULL;
}

static void stop_thread(struct fixture *f)
{
	uint64_t one = 1;

	if (!f->running)
		return;
	assert_int_equal(write(f->stopfd, &one, sizeof(one)), sizeof(one));
	pthread_join(f->thread, NULL);
	f->running = false;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/h3-cli-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/genkan.sock", f->dir);
	f->stopfd = eventfd(0, EFD_CLOEXEC);
	f->srv = gk_ctl_server_open(f->path, cmds, sizeof(cmds) / sizeof(cmds[0]),
				    f, err, sizeof(err));
	if (!f->srv) {
		fprintf(stderr, "server open: %s\n", err);
		return -1;
	}
	if (pthread_create(&f->thread, NULL, server_loop, f))
		return -1;
	f->running = true;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	stop_thread(f);
	gk_ctl_server_close(f->srv);
	close(f->stopfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd)) {
		/* leftovers in /tmp are harmless */
	}
	free(f);
	return 0;
}

static void slurp(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
}

/* Runs genkanctl with a NULL-terminated argument list. */
static void run(struct run *r, ...)
{
	char *argv[16];
	int out, err, status, n = 0;
	va_list ap;
	pid_t pid;

	argv[n++] = (char *)genkanctl;
	va_start(ap, r);
	while (n < 15 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;

	out = memfd_create("out", 0);
	err = memfd_create("err", 0);
	assert_true(out >= 0 && err >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out, 1);
		dup2(err, 2);
		execv(genkanctl, argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	r->code = WEXITSTATUS(status);
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
	close(out);
	close(err);
}

static void expect_in(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		print_error("missing '%s' in:\n%s\n", needle, hay);
		fail();
	}
}

static void expect_not_in(const char *hay, const char *needle)
{
	if (strstr(hay, needle)) {
		print_error("unexpected '%s' in:\n%s\n", needle, hay);
		fail();
	}
}

/* The line of @text that starts with @start (after blanks), or fail. */
static void expect_line(const char *text, const char *start)
{
	const char *p = text;

	while (p && *p) {
		const char *q = p;

		while (*q == ' ')
			q++;
		if (!strncmp(q, start, strlen(start)))
			return;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	print_error("no line starting with '%s' in:\n%s\n", start, text);
	fail();
}

static void test_no_daemon(void **state)
{
	char path[128], msg[256];
	struct run r;

	snprintf(path, sizeof(path), "/tmp/h3-none-%d.sock", (int)getpid());
	run(&r, "-s", path, "status", NULL);
	assert_int_equal(r.code, 3);
	snprintf(msg, sizeof(msg), "genkand is not running (no socket at %s)", path);
	expect_in(r.err, msg);
	assert_string_equal(r.out, "");

	/* every command that needs the daemon behaves the same */
	run(&r, "-s", path, "neigh", NULL);
	assert_int_equal(r.code, 3);
	expect_in(r.err, msg);

	/* -i maps an instance to /run/genkan/<instance>.sock */
	run(&r, "-i", "h3-no-such-instance", "stats", NULL);
	assert_int_equal(r.code, 3);
	expect_in(r.err, "no socket at /run/genkan/h3-no-such-instance.sock");
}

static void test_stale_socket(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[128];
	struct run r;
	int fd;

	snprintf(path, sizeof(path), "%s/stale.sock", f->dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	run(&r, "-s", path, "status", NULL);
	assert_int_equal(r.code, 3);
	expect_in(r.err, "connection refused at");
	expect_in(r.err, "stale socket?");
}

static void test_usage_errors(void **state)
{
	struct fixture *f = *state;
	struct run r;

	run(&r, NULL);
	assert_int_equal(r.code, 2);
	expect_in(r.err, "usage:");
	run(&r, "-s", f->path, "frobnicate", NULL);
	assert_int_equal(r.code, 2);
	expect_in(r.err, "unknown command 'frobnicate'");
	run(&r, "-t", "soon", "status", NULL);
	assert_int_equal(r.code, 2);
	run(&r, "-t", "-5", "status", NULL);
	assert_int_equal(r.code, 2);
	run(&r, "-i", "a/b", "status", NULL);
	assert_int_equal(r.code, 2);
	expect_in(r.err, "invalid instance");
	run(&r, "-s", f->path, "status", "extra", NULL);
	assert_int_equal(r.code, 2);
	run(&r, "-s", f->path, "stats", "--bogus", NULL);
	assert_int_equal(r.code, 2);
	run(&r, "--nope", NULL);
	assert_int_equal(r.code, 2);
}

static void test_help(void **state)
{
	static const char *const names[] = {
		"status", "stats", "workers", "routes", "neighbors", "reload",
		"help", "version",
	};
	struct run r;
	size_t i;

	run(&r, "help", NULL);
	assert_int_equal(r.code, 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		expect_line(r.out, names[i]);
	run(&r, "-h", NULL);
	assert_int_equal(r.code, 0);
	expect_in(r.out, "usage:");
}

static void test_status(void **state)
{
	struct fixture *f = *state;
	struct run r;

	run(&r, "-s", f->path, "status", NULL);
	assert_int_equal(r.code, 0);
	expect_line(r.out, "instance           lab");
	expect_line(r.out, "pid                4242");
	expect_line(r.out, "uptime             1d 02:03:04");	/* 93784 s */
	expect_line(r.out, "bpffs pin dir      /sys/fs/bpf/genkan/lab");
	expect_line(r.out, "workers            2 total, 1 running, 1 stalled");
	expect_line(r.out, "fib                generation 17: 12 IPv4 routes, 3 IPv6 routes, 5 neighbors");
	expect_line(r.out, "last reload error  none");
	expect_line(r.out, "PORT  IFNAME  IFINDEX  ID   MTU  MAC                QUEUES");
	expect_line(r.out, "lan   gw-lan        7   0  1500  02:00:00:00:00:01       2");
	expect_line(r.out, "wan   gw-wan        8   1  9000  02:00:00:00:00:02       2");
	expect_line(r.out, "checksum lan: complete (auto: driver veth can hand over partial checksums)");
	expect_line(r.out, "checksum wan: trust (configured)");
	assert_string_equal(r.err, "");
}

/* A daemon that reports less still gets readable output. */
static void test_status_sparse(void **state)
{
	struct fixture *f = *state;
	struct run r;

	f->sparse = true;
	run(&r, "-s", f->path, "status", NULL);
	assert_int_equal(r.code, 0);
	expect_line(r.out, "instance           -");
	expect_line(r.out, "uptime             -");
	expect_line(r.out, "no ports");
}

static void test_stats(void **state)
{
	struct fixture *f = *state;
	struct run r;

	run(&r, "-s", f->path, "stats", NULL);
	assert_int_equal(r.code, 0);
	expect_line(r.out, "totals: rx 1000 pkts 64000 bytes, tx 990 pkts 63360 bytes, drops 10");
	expect_line(r.out, "0      600     38400      595     38080      5   25.0");
	expect_line(r.out, "1      400     25600      395     25280      5      -");
	expect_line(r.out, "no_route     10");
	expect_line(r.out, "ipv4     900");
	expect_line(r.out, "to_worker     1000  64000");
	expect_line(r.out, "malformed        7    420");
	expect_line(r.out, "lan       0       0      600        0         0          0        3");
	expect_in(r.out, "\nport sockets (kernel AF_XDP counters):\n");
	expect_line(r.out, "lan         2           3            12           4           0           1         0");
	/* zero rows hidden by default */
	expect_not_in(r.out, "ttl_exceeded");
	expect_not_in(r.out, "arp");
	expect_not_in(r.out, "wan");
	expect_not_in(r.out, "redirect_fail");
	expect_not_in(r.out, "pass");

	run(&r, "-s", f->path, "stats", "--all", NULL);
	assert_int_equal(r.code, 0);
	expect_line(r.out, "ttl_exceeded      0");
	expect_line(r.out, "arp        0");
	expect_line(r.out, "wan       1       1        0        0         0          0        0");
	expect_line(r.out, "wan         2           0             0           0           0           0         0");
	expect_line(r.out, "redirect_fail        0      0");

	run(&r, "-a", "-s", f->path, "stats", NULL);
	assert_int_equal(r.code, 0);
	expect_in(r.out, "ttl_exceeded");
	expect_line(r.out, "hairpin_pkts           0");
}

static void test_stats_mape(void **state)
{
	struct fixture *f = *state;
	struct run r;

	run(&r, "-s", f->path, "stats", NULL);
	assert_int_equal(r.code, 0);
	expect_in(r.out, "\nmape:\n");
	expect_line(r.out, "encap_pkts       5");
	expect_line(r.out, "decap_bytes    240");
	expect_line(r.out, "mss_clamped      1");
	expect_in(r.out, "\nmape drops:\n");
	expect_line(r.out, "spoof_port      2");
	expect_not_in(r.out, "hairpin_pkts");
	expect_not_in(r.out, "no_rule");
}

/* DPDK ports: one exception-path table and one drops table per port. */
static void test_stats_dpdk(void **state)
{
	struct fixture *f = *state;
	struct run r;

	run(&r, "-s", f->path, "stats", NULL);
	assert_int_equal(r.code, 0);
	expect_in(r.out, "\ndpdk port lan (net_af_packet0,iface=vc), exception path "
		  "to/from TAP dlan:\n");
	expect_line(r.out, "to_kernel            31");
	expect_line(r.out, "from_kernel          29");
	expect_line(r.out, "from_kernel_drop      2");
	expect_line(r.out, "cls_drops             4");
	expect_in(r.out, "\ndpdk port lan, classifier drops:\n");
	expect_line(r.out, "bad_src      4");
	/* zero rows hidden, and a port with nothing at all (test_stats: no "wan") */
	expect_not_in(r.out, "to_kernel_fail");
	expect_not_in(r.out, "rx_multiseg");
	expect_not_in(r.out, "trunc_eth");
	expect_not_in(r.out, "dpdk port wan");

	run(&r, "-s", f->path, "stats", "--all", NULL);
	assert_int_equal(r.code, 0);
	expect_line(r.out, "to_kernel_fail        0");
	expect_line(r.out, "rx_multiseg           0");
	expect_line(r.out, "trunc_eth      0");
	expect_in(r.out, "\ndpdk port wan (net_af_packet1,iface=vs), exception path "
		  "to/from TAP dwan:\n");
	expect_line(r.out, "from_kernel_drop      0");
	expect_in(r.out, "\ndpdk port wan, classifier drops:\n");
}

static void test_map_show(void **state)
{
	struct fixture *f = *state;
	struct run r;

	run(&r, "-s", f->path, "map", "show", NULL);
	assert_int_equal(r.code, 0);
	assert_string_equal(f->map_args, "{\"op\":\"show\"}");
	expect_line(r.out, "mape               enabled, role ce");
	expect_line(r.out, "br address         2001:db8:ffff::1");
	expect_line(r.out, "tunnel mtu         1460");
	expect_line(r.out, "ipv4 port          lan");
	expect_line(r.out, "ipv6 port          wan");
	expect_line(r.out, "ce ipv4            192.0.2.18");
	expect_line(r.out, "ce psid            0x34 (52), psid_len 8, offset 6");
	expect_line(r.out, "ce ipv6            2001:db8:12:3400:0:c000:212:34");
	expect_line(r.out, "end-user prefix    2001:db8:12:3400::/56");
	expect_line(r.out, "ce ports           252 in 3 ranges, first 1232-1235");
	expect_line(r.out, "domains            2");
	expect_line(r.out, "DOMAIN       IPV6_PREFIX    IPV4_PREFIX   EA/A/K  FLAGS         ENCAP  DECAP  HAIRPIN  ICMP_XLAT  UNREACH  MSS  DROPS");
	expect_line(r.out, "rfc          2001:db8::/40  192.0.2.0/24  16/6/8  fmr,mss=1420     10      9        0          1        0    2      3");
	expect_line(r.out, "(unmatched)  -              -             -       -                 0      0        0          0        0    0      7");
	expect_line(r.out, "rfc          port_violation      3");
	expect_line(r.out, "(unmatched)  no_rule             7");
	expect_not_in(r.out, "idle-d03");
	expect_not_in(r.out, "not_ours");
	expect_in(r.out, "(idle domains hidden; -a shows them)");

	run(&r, "-s", f->path, "map", "show", "-a", NULL);
	assert_int_equal(r.code, 0);
	expect_line(r.out, "idle-d03     2001:db8:100::/40");
	expect_in(r.out, "198.51.100.0/24  16/6/8  draft03");
	expect_line(r.out, "rfc          not_ours            0");

	run(&r, "-s", f->path, "map", "show", "rfc", NULL);
	assert_int_equal(r.code, 0);
	assert_string_equal(f->map_args, "{\"name\":\"rfc\",\"op\":\"show\"}");
	expect_line(r.out, "rfc ");
	expect_not_in(r.out, "idle domains hidden");

	run(&r, "-s", f->path, "map", "show", "nosuch", NULL);
	assert_int_equal(r.code, 1);
	expect_in(r.err, "map: no map-rule 'nosuch'");

	run(&r, "-s", f->path, "map", "show", "a", "b", NULL);
	assert_int_equal(r.code, 2);
	run(&r, "-s", f->path, "map", "show", "--bogus", NULL);
	assert_int_equal(r.code, 2);
	run(&r, "-s", f->path, "map", "frob", NULL);
	assert_int_equal(r.code, 2);
	expect_in(r.err, "expected calc or show");

	f->mape_off = true;
	run(&r, "-s", f->path, "map", "show", NULL);
	assert_int_equal(r.code, 0);
	expect_line(r.out, "MAP-E is not enabled");
	run(&r, "-j", "-s", f->path, "map", "show", NULL);
	assert_int_equal(r.code, 0);
	expect_in(r.out, "\"enabled\": false");
}

static void test_workers(void **state)
{
	struct fixture *f = *state;
	struct run r;

	run(&r, "-s", f->path, "workers", NULL);
	assert_int_equal(r.code, 0);
	expect_line(r.out, "ID  CPU  STATE    HB_AGE_MS  BUSY%   POLLS  RX_PKTS  TX_PKTS  PORTS");
	expect_line(r.out, "0    0  running         12   25.5  123456      600      595  lan:0,wan:0");
	expect_line(r.out, "1    1  stalled       5400      0      99      400      395  lan:1,wan:1");
}

static void test_routes_neighbors(void **state)
{
	struct fixture *f = *state;
	struct run r;

	run(&r, "-s", f->path, "routes", NULL);
	assert_int_equal(r.code, 0);
	expect_line(r.out, "DESTINATION      GATEWAY    DEV     PORT  TYPE");
	expect_line(r.out, "198.51.100.0/24  192.0.2.1  gw-wan  wan   unicast");
	expect_line(r.out, "2001:db8:1::/48  -          gw-lan  lan   unicast");
	expect_line(r.out, "203.0.113.0/24   -          -       -     blackhole");

	run(&r, "-s", f->path, "neigh", NULL);
	assert_int_equal(r.code, 0);
	expect_line(r.out, "192.0.2.1    02:00:00:00:00:aa  gw-wan  REACHABLE");
	expect_line(r.out, "2001:db8::1  -                  gw-lan  INCOMPLETE");
	run(&r, "-s", f->path, "neighbors", NULL);
	assert_int_equal(r.code, 0);
	expect_in(r.out, "REACHABLE");
}

static void test_reload(void **state)
{
	struct fixture *f = *state;
	struct run r;

	run(&r, "-s", f->path, "reload", NULL);
	assert_int_equal(r.code, 0);
	expect_line(r.out, "reloaded, generation 18");
	expect_line(r.out, "port wan: mtu 1500 -> 9000");

	f->reload_fails = true;
	run(&r, "-s", f->path, "reload", NULL);
	assert_int_equal(r.code, 1);
	expect_in(r.err, "reload: lab.conf:3: workers = 99 out of range (1..64)");
	assert_string_equal(r.out, "");
}

/* -j reproduces exactly what the daemon sent. */
static void test_json(void **state)
{
	static const struct {
		const char *cmd, *json;
	} cases[] = {
		{ "status", status_json }, { "stats", stats_json },
		{ "workers", workers_json }, { "routes", routes_json },
		{ "neigh", neigh_json }, { "reload", reload_json },
		{ "map", map_json },
	};
	struct fixture *f = *state;
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *got, *want;

		if (!strcmp(cases[i].cmd, "map"))
			run(&r, "-j", "-s", f->path, "map", "show", NULL);
		else
			run(&r, "-j", "-s", f->path, cases[i].cmd, NULL);
		assert_int_equal(r.code, 0);
		got = json_loads(r.out, 0, NULL);
		want = json_loads(cases[i].json, 0, NULL);
		assert_non_null(got);
		assert_non_null(want);
		assert_true(json_equal(got, want));
		json_decref(got);
		json_decref(want);
	}
}

static void test_version(void **state)
{
	struct fixture *f = *state;
	struct run r;

	run(&r, "-s", f->path, "version", NULL);
	assert_int_equal(r.code, 0);
	expect_line(r.out, "genkanctl ");
	expect_line(r.out, "genkand ");
	expect_in(r.out, "(protocol 1)");
}

/* A daemon that accepts but never answers: exit 3 after -t. */
static void test_timeout(void **state)
{
	struct fixture *f = *state;
	struct run r;

	stop_thread(f);
	run(&r, "-t", "100", "-s", f->path, "status", NULL);
	assert_int_equal(r.code, 3);
	expect_in(r.err, "timed out");
}

static void test_nat(void **state)
{
	struct fixture *f = *state;
	struct run r;

	run(&r, "-s", f->path, "nat", "sessions", "--host", "198.18.0.2",
	    "--proto", "udp", "--port", "53", NULL);
	assert_int_equal(r.code, 0);
	assert_string_equal(nat_args,
		"{\"host\":\"198.18.0.2\",\"op\":\"sessions\",\"port\":53,\"proto\":\"udp\"}");
	expect_in(r.out, "PROTO");
	expect_in(r.out, "198.18.0.2:40000");
	expect_in(r.out, "192.0.2.18:1233");
	expect_in(r.out, "203.0.113.9:53");

	run(&r, "-s", f->path, "nat", "stats", NULL);
	assert_int_equal(r.code, 0);
	assert_string_equal(nat_args, "{\"op\":\"stats\"}");
	expect_line(r.out, "port set: 192.0.2.18 psid 0x34 psid_len 8 psid_offset 6");
	expect_line(r.out, "sessions: 7 active, 9 created, 2 expired");
	expect_line(r.out, "ports in use: tcp 5, udp 2, icmp 0");
	expect_line(r.out, "refused new flows: exhausted 11, host limit 4");
	expect_in(r.out, "drops: exhausted 11 host_limit 4\n");
	expect_line(r.out, "between workers: 36 handed over, 33 taken over, "
		    "3 dropped (ring full, too big or no buffer)");
	expect_in(r.out, "1232");
	expect_in(r.out, "198.18.0.2");

	run(&r, "-s", f->path, "-j", "nat", "mappings", NULL);
	assert_int_equal(r.code, 0);
	expect_in(r.out, "\"host_port\": 8080");

	run(&r, "-s", f->path, "nat", "mappings", "add", "tcp", "1232",
	    "198.18.0.2:8080", "--exist-ok", NULL);
	assert_int_equal(r.code, 0);
	assert_string_equal(nat_args,
		"{\"exist_ok\":true,\"host\":\"198.18.0.2\",\"host_port\":8080,"
		"\"op\":\"map-add\",\"proto\":\"tcp\",\"public_port\":1232}");
	run(&r, "-s", f->path, "nat", "mappings", "add", "tcp", "1000",
	    "198.18.0.2:80", NULL);
	assert_int_equal(r.code, 1);
	expect_in(r.err, "outside this CE's port set");
	run(&r, "-s", f->path, "nat", "mappings", "del", "udp", "1233", NULL);
	assert_int_equal(r.code, 0);
	assert_string_equal(nat_args,
		"{\"missing_ok\":false,\"op\":\"map-del\",\"proto\":\"udp\",\"public_port\":1233}");
	/* Usage errors never reach the daemon. */
	run(&r, "-s", f->path, "nat", "mappings", "add", "sctp", "1", "a:1", NULL);
	assert_int_equal(r.code, 2);
	run(&r, "-s", f->path, "nat", "sessions", "--port", "x", NULL);
	assert_int_equal(r.code, 2);
	run(&r, "-s", f->path, "nat", NULL);
	assert_int_equal(r.code, 2);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_daemon),
		T(test_stale_socket),
		T(test_usage_errors),
		cmocka_unit_test(test_help),
		T(test_status),
		T(test_status_sparse),
		T(test_stats),
		T(test_stats_mape),
		T(test_stats_dpdk),
		T(test_map_show),
		T(test_workers),
		T(test_routes_neighbors),
		T(test_reload),
		T(test_json),
		T(test_version),
		T(test_timeout),
		T(test_nat),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH-TO-GENKANCTL\n", argv[0]);
		return 2;
	}
	genkanctl = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
