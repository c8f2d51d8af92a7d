// SPDX-License-Identifier: BSD-3-Clause
/*
 * Config parser tests: good files parse to the values written in them
 * (the oracle is the text of the fixture itself), and every bad file is
 * rejected with the expected line number and message fragment.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "has_error.h"

static const char full_conf[] =
	"# full example, every key set\n"
	"; semicolon comment\n"
	"[genkan]\n"
	"instance = lab            # trailing comment\n"
	"socket = /run/genkan/lab-test.sock\n"
	"bpffs = /sys/fs/bpf\n"
	"workers = 2\n"
	"cpus = 1, 0\n"
	"xdp_mode = skb\n"
	"bind = zerocopy\n"
	"frames = 8192\n"
	"frame_size = 2048\n"
	"ring_size = 1024\n"
	"heartbeat_ms = 50\n"
	"stall_ms = 500\n"
	"route_table = 100\n"
	"log_level = debug\n"
	"log_format = json\n"
	"ttl_expired = kernel\n"
	"icmp_rate = 0\n"
	"idle_sleep_us = 0\n"
	"\n"
	"[port lan]                # inside\n"
	"interface = gw-lan\n"
	"mtu = 1500\n"
	"\n"
	"   [ port wan ]\n"
	"\tinterface=gw-wan\n";

static void test_full(void **state)
{
	struct gk_config cfg;
	char err[1024];
	int ret;

	ret = gk_config_parse(full_conf, strlen(full_conf), "full.conf", &cfg,
			      err, sizeof(err));
	assert_int_equal(ret, 0);
	assert_string_equal(err, "");
	assert_string_equal(cfg.path, "full.conf");
	assert_string_equal(cfg.instance, "lab");
	assert_string_equal(cfg.socket_path, "/run/genkan/lab-test.sock");
	assert_string_equal(cfg.bpffs, "/sys/fs/bpf");
	assert_int_equal(cfg.workers, 2);
	assert_int_equal(cfg.nr_cpus, 2);
	assert_int_equal(cfg.cpus[0], 1);
	assert_int_equal(cfg.cpus[1], 0);
	assert_int_equal(cfg.xdp_mode, GK_XDP_MODE_SKB);
	assert_int_equal(cfg.bind_mode, GK_BIND_ZEROCOPY);
	assert_int_equal(cfg.frames, 8192);
	assert_int_equal(cfg.frame_size, 2048);
	assert_int_equal(cfg.ring_size, 1024);
	assert_int_equal(cfg.heartbeat_ms, 50);
	assert_int_equal(cfg.stall_ms, 500);
	assert_int_equal(cfg.route_table, 100);
	assert_int_equal(cfg.log_level, GK_LOG_DEBUG);
	assert_int_equal(cfg.log_format, GK_LOG_FMT_JSON);
	assert_int_equal(cfg.ttl_expired, GK_TTL_EXPIRED_KERNEL);
	assert_int_equal(cfg.icmp_rate, 0);
	assert_int_equal(cfg.idle_sleep_us, 0);
	assert_int_equal(cfg.nr_ports, 2);
	assert_string_equal(cfg.ports[0].name, "lan");
	assert_string_equal(cfg.ports[0].ifname, "gw-lan");
	assert_int_equal(cfg.ports[0].mtu, 1500);
	assert_int_equal(cfg.ports[0].line, 23);
	assert_string_equal(cfg.ports[1].name, "wan");
	assert_string_equal(cfg.ports[1].ifname, "gw-wan");
	assert_int_equal(cfg.ports[1].mtu, 0);
	assert_int_equal(cfg.ports[1].line, 27);
}

/* Only a port: everything else takes the documented defaults. */
static void test_defaults(void **state)
{
	static const char text[] = "[port p0]\ninterface = eth0\n";
	struct gk_config cfg, def;
	char err[256];

	assert_int_equal(gk_config_parse(text, strlen(text), "min.conf", &cfg,
					 err, sizeof(err)), 0);
	assert_string_equal(cfg.instance, "default");
	assert_string_equal(cfg.socket_path, "/run/genkan/default.sock");
	assert_string_equal(cfg.bpffs, "/sys/fs/bpf");
	assert_int_equal(cfg.workers, 1);
	assert_int_equal(cfg.nr_cpus, 0);
	assert_int_equal(cfg.xdp_mode, GK_XDP_MODE_NATIVE);
	assert_int_equal(cfg.bind_mode, GK_BIND_AUTO);
	assert_int_equal(cfg.frames, 4096);
	assert_int_equal(cfg.frame_size, 4096);
	assert_int_equal(cfg.ring_size, 2048);
	assert_int_equal(cfg.heartbeat_ms, 100);
	assert_int_equal(cfg.stall_ms, 1000);
	assert_int_equal(cfg.route_table, 254);
	assert_int_equal(cfg.log_level, GK_LOG_INFO);
	assert_int_equal(cfg.log_format, GK_LOG_FMT_TEXT);
	assert_int_equal(cfg.ttl_expired, GK_TTL_EXPIRED_WORKER);
	assert_int_equal(cfg.icmp_rate, 1000);
	assert_int_equal(cfg.idle_sleep_us, 200);
	assert_int_equal(cfg.nr_ports, 1);

	gk_config_defaults(&def);
	assert_string_equal(def.instance, "default");
	assert_int_equal(def.nr_ports, 0);
}

/* The socket follows the instance unless set explicitly. */
static void test_socket_from_instance(void **state)
{
	static const char text[] =
		"[genkan]\ninstance = edge_1\n[port p0]\ninterface = eth0\n";
	struct gk_config cfg;
	char err[256];

	assert_int_equal(gk_config_parse(text, strlen(text), "i.conf", &cfg,
					 err, sizeof(err)), 0);
	assert_string_equal(cfg.socket_path, "/run/genkan/edge_1.sock");
}

static void test_crlf_and_ranges(void **state)
{
	static const char text[] =
		"[genkan]\r\nworkers = 4\r\ncpus = 0-1,3, 5\r\n"
		"[port a]\r\ninterface = eth0\r\n";
	struct gk_config cfg;
	char err[256];

	assert_int_equal(gk_config_parse(text, strlen(text), "crlf.conf", &cfg,
					 err, sizeof(err)), 0);
	assert_int_equal(cfg.nr_cpus, 4);
	assert_int_equal(cfg.cpus[0], 0);
	assert_int_equal(cfg.cpus[1], 1);
	assert_int_equal(cfg.cpus[2], 3);
	assert_int_equal(cfg.cpus[3], 5);
	assert_string_equal(cfg.ports[0].ifname, "eth0");
}

struct bad {
	const char *what;
	const char *text;
	unsigned line;		/* 0: a whole-file error */
	const char *frag;
};

#define PORT "[port lan]\ninterface = eth0\n"

static const struct bad bad_files[] = {
	{ "unknown section", "[foo]\n" PORT, 1, "unknown section [foo]" },
	{ "unknown key", "[genkan]\nbogus = 1\n" PORT, 2, "unknown key 'bogus'" },
	{ "unknown port key", PORT "speed = 10\n", 3, "unknown key 'speed' in [port]" },
	{ "duplicate key", "[genkan]\nworkers = 1\nworkers = 2\n" PORT, 3,
	  "duplicate key 'workers' (first at line 2)" },
	{ "not a number", "[genkan]\nworkers = two\n" PORT, 2, "invalid number 'two'" },
	{ "signed number", "[genkan]\nworkers = +2\n" PORT, 2, "invalid number '+2'" },
	{ "hex number", "[genkan]\nframes = 0x1000\n" PORT, 2, "invalid number '0x1000'" },
	{ "workers too big", "[genkan]\nworkers = 65\n" PORT, 2, "workers = 65 out of range (1..64)" },
	{ "workers zero", "[genkan]\nworkers = 0\n" PORT, 2, "out of range" },
	{ "number overflow", "[genkan]\nroute_table = 99999999999999999999999\n" PORT,
	  2, "out of range" },
	{ "missing =", "[genkan]\nworkers 2\n" PORT, 2, "missing '='" },
	{ "missing key", "[genkan]\n= 2\n" PORT, 2, "missing key before '='" },
	{ "missing value", "[genkan]\nworkers =\n" PORT, 2, "missing value for 'workers'" },
	{ "unterminated header", "[port lan\ninterface = eth0\n", 1,
	  "unterminated section header" },
	{ "text after header", "[genkan] x\n" PORT, 1, "unexpected text after section header" },
	{ "genkan twice", "[genkan]\n[genkan]\n" PORT, 2,
	  "duplicate section [genkan] (first at line 1)" },
	{ "port without name", "[port]\n" PORT, 1, "needs a name" },
	{ "bad port name", "[port l@n]\ninterface = eth0\n", 1, "invalid port name 'l@n'" },
	{ "port name too long", "[port abcdefghijklmnop]\ninterface = eth0\n", 1,
	  "invalid port name" },
	{ "duplicate port", PORT "[port lan]\ninterface = eth1\n", 3,
	  "duplicate port 'lan' (first at line 1)" },
	{ "duplicate interface", PORT "[port wan]\ninterface = eth0\n", 4,
	  "interface 'eth0' already used by port 'lan' (line 2)" },
	{ "port without interface", PORT "[port wan]\nmtu = 1500\n", 3,
	  "port 'wan' has no interface" },
	{ "bad ifname", "[port lan]\ninterface = a/b\n", 2, "invalid interface name 'a/b'" },
	{ "ifname too long", "[port lan]\ninterface = abcdefghijklmnop\n", 2,
	  "invalid interface name" },
	{ "no port", "[genkan]\nworkers = 1\n", 0, "no [port NAME] section" },
	{ "empty file", "", 0, "no [port NAME] section" },
	{ "key outside section", "workers = 1\n" PORT, 1, "key 'workers' outside of any section" },
	{ "frames not pow2", "[genkan]\nframes = 3000\n" PORT, 2, "frames = 3000 is not a power of two" },
	{ "frames too small", "[genkan]\nframes = 256\n" PORT, 2, "out of range (512..262144)" },
	{ "frame_size", "[genkan]\nframe_size = 3072\n" PORT, 2, "frame_size must be 2048 or 4096" },
	{ "ring not pow2", "[genkan]\nring_size = 1000\n" PORT, 2, "not a power of two" },
	{ "ring > frames", "[genkan]\nframes = 512\nring_size = 1024\n" PORT, 3,
	  "ring_size 1024 is larger than frames 512" },
	{ "xdp_mode", "[genkan]\nxdp_mode = generic\n" PORT, 2,
	  "invalid xdp_mode 'generic' (expected native | skb)" },
	{ "bind", "[genkan]\nbind = fast\n" PORT, 2, "invalid bind 'fast'" },
	{ "log_level", "[genkan]\nlog_level = loud\n" PORT, 2, "invalid log_level 'loud'" },
	{ "log_format", "[genkan]\nworkers = 1\nlog_format = xml\n" PORT, 3,
	  "invalid log_format 'xml' (expected text | json)" },
	{ "ttl_expired", "[genkan]\nttl_expired = router\n" PORT, 2, "invalid ttl_expired 'router'" },
	{ "icmp_rate", "[genkan]\nicmp_rate = 2000000\n" PORT, 2, "icmp_rate = 2000000 out of range" },
	{ "idle_sleep_us", "[genkan]\nidle_sleep_us = -1\n" PORT, 2, "idle_sleep_us" },
	{ "instance chars", "[genkan]\ninstance = a.b\n" PORT, 2, "invalid instance 'a.b'" },
	{ "instance too long", "[genkan]\ninstance = abcdefghijabcdefghijabcdefghij12\n" PORT,
	  2, "invalid instance" },
	{ "relative socket", "[genkan]\nsocket = run/x.sock\n" PORT, 2,
	  "socket must be an absolute path" },
	{ "socket too long", "[genkan]\nsocket = /"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "\n" PORT, 2, "socket path too long" },
	{ "relative bpffs", "[genkan]\nbpffs = sys/fs/bpf\n" PORT, 2, "bpffs must be an absolute path" },
	{ "mtu too small", PORT "mtu = 60\n", 3, "mtu = 60 out of range" },
	{ "mtu too big for frame", "[genkan]\nframe_size = 2048\n" PORT "mtu = 9000\n", 5,
	  "mtu 9000 does not fit a 2048 byte frame" },
	{ "cpus short", "[genkan]\nworkers = 2\ncpus = 0\n" PORT, 3,
	  "cpus lists 1 cpu(s) but workers = 2" },
	{ "cpus empty entry", "[genkan]\ncpus = 0,,1\n" PORT, 2, "empty entry in cpus list" },
	{ "cpus trailing comma", "[genkan]\ncpus = 0,\n" PORT, 2, "empty entry in cpus list" },
	{ "cpus reversed", "[genkan]\ncpus = 3-1\n" PORT, 2, "cpu range 3-1 is reversed" },
	{ "stall <= heartbeat", "[genkan]\nheartbeat_ms = 500\nstall_ms = 500\n" PORT, 3,
	  "stall_ms 500 must be larger than heartbeat_ms 500" },
	{ "route_table 0", "[genkan]\nroute_table = 0\n" PORT, 2, "route_table = 0 out of range" },
};

static void test_bad_files(void **state)
{
	size_t i, failed = 0;

	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const struct bad *b = &bad_files[i];
		struct gk_config cfg;
		char err[2048];
		int ret;

		memset(&cfg, 0xa5, sizeof(cfg));
		ret = gk_config_parse(b->text, strlen(b->text), "bad.conf",
				      &cfg, err, sizeof(err));
		if (ret != -EINVAL || !has_error(err, "bad.conf", b->line, b->frag)) {
			print_error("case '%s': ret %d, want line %u '%s', got:\n%s\n",
				    b->what, ret, b->line, b->frag, err);
			failed++;
			continue;
		}
		/* The caller's struct is only written on success. */
		assert_int_equal(((unsigned char *)&cfg)[0], 0xa5);
		assert_int_equal(((unsigned char *)&cfg)[sizeof(cfg) - 1], 0xa5);
	}
	assert_int_equal(failed, 0);
}

static void test_overlong_line(void **state)
{
	size_t n = GK_CONFIG_MAX_LINE + 10;
	char *text = malloc(n + 64);
	struct gk_config cfg;
	char err[512];

	if (!text)
		abort();
	strcpy(text, "[genkan]\n#");
	memset(text + strlen(text), 'x', n);
	strcpy(text + 10 + n, "\n" PORT);
	assert_int_equal(gk_config_parse(text, strlen(text), "long.conf", &cfg,
					 err, sizeof(err)), -EINVAL);
	assert_true(has_error(err, "long.conf", 2, "line too long"));
	free(text);
}

static void test_nul_byte(void **state)
{
	static const char text[] = "[genkan]\nworkers = 1\0junk\n" PORT;
	struct gk_config cfg;
	char err[512];

	assert_int_equal(gk_config_parse(text, sizeof(text) - 1, "nul.conf", &cfg,
					 err, sizeof(err)), -EINVAL);
	assert_true(has_error(err, "nul.conf", 2, "NUL byte"));
}

/* Parsing goes on after an error, so every problem shows up at once. */
static void test_all_errors_reported(void **state)
{
	static const char text[] =
		"[genkan]\n"
		"workers = 99\n"
		"xdp_mode = turbo\n"
		"nonsense\n"
		"[port a]\n"
		"interface = eth0\n"
		"[port b]\n"
		"interface = eth0\n";
	struct gk_config cfg;
	char err[2048];

	assert_int_equal(gk_config_parse(text, strlen(text), "m.conf", &cfg,
					 err, sizeof(err)), -EINVAL);
	assert_true(has_error(err, "m.conf", 2, "out of range"));
	assert_true(has_error(err, "m.conf", 3, "invalid xdp_mode"));
	assert_true(has_error(err, "m.conf", 4, "missing '='"));
	assert_true(has_error(err, "m.conf", 8, "already used by port 'a'"));
}

/* Cross-key checks run last but are reported in line order. */
static void test_errors_sorted(void **state)
{
	static const char text[] =
		"[genkan]\n"
		"frame_size = 2048\n"
		"[port a]\n"
		"mtu = 9000\n"		/* 4: no interface, mtu too big (checked last) */
		"[bogus]\n";		/* 5: found while parsing */
	static const char want[] =
		"s.conf:3: port 'a' has no interface\n"
		"s.conf:4: port 'a': mtu 9000 does not fit a 2048 byte frame (max 1774)\n"
		"s.conf:5: unknown section [bogus]\n";
	struct gk_config cfg;
	char err[1024];

	assert_int_equal(gk_config_parse(text, strlen(text), "s.conf", &cfg,
					 err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
}

static void test_too_many_ports(void **state)
{
	char text[4096] = "";
	struct gk_config cfg;
	char err[1024];
	int i;

	for (i = 0; i < 17; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "[port p%d]\ninterface = eth%d\n", i, i);
	assert_int_equal(gk_config_parse(text, strlen(text), "p.conf", &cfg,
					 err, sizeof(err)), -EINVAL);
	assert_true(has_error(err, "p.conf", 33, "too many ports (max 16)"));
}

/* A tiny error buffer truncates but stays terminated. */
static void test_small_err_buffer(void **state)
{
	static const char text[] = "[foo]\n[bar]\n";
	struct gk_config cfg;
	char err[16];

	memset(err, 'z', sizeof(err));
	assert_int_equal(gk_config_parse(text, strlen(text), "x.conf", &cfg,
					 err, sizeof(err)), -EINVAL);
	assert_true(memchr(err, '\0', sizeof(err)) != NULL);
}

/*
 * Many errors (#13 bug 1): what fits is shown whole, in line order, and
 * the rest is one "... and N more errors" line. The entries cut by a full
 * buffer were once sorted by reading past their end (an ASan abort of
 * --check, and of a running genkand on reload with its 512-byte buffer).
 */
static void check_many_errors(size_t errlen)
{
	char text[1024] = "[genkan]\n", *err = malloc(errlen);
	unsigned i, shown = 0, more = 0, last = 0;
	struct gk_config cfg;
	const char *p;

	if (!err)
		abort();
	for (i = 1; i <= 40; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "workers = x%u\n", i);
	strcat(text, PORT);
	memset(err, 'z', errlen);
	assert_int_equal(gk_config_parse(text, strlen(text), "many.conf", &cfg,
					 err, errlen), -EINVAL);
	assert_non_null(memchr(err, '\0', errlen));
	for (p = err; *p; ) {
		const char *nl = strchr(p, '\n');
		unsigned line, n;
		char word[16];

		if (!nl) {		/* a cut line: only when nothing else fits */
			assert_true(errlen < 32);
			break;
		}
		if (sscanf(p, "many.conf:%u: ", &line) == 1) {
			assert_int_equal(more, 0);	/* the summary comes last */
			assert_true(line > last);	/* sorted, each once */
			assert_true(line >= 2 && line <= 41);
			assert_true(strstr(p, "workers") &&
				    strstr(p, "workers") < nl);
			last = line;
			shown++;
		} else {
			assert_int_equal(sscanf(p, "... and %u more %15s", &n,
						word), 2);
			assert_string_equal(word, "errors");
			more = n;
		}
		p = nl + 1;
	}
	if (errlen >= 32)
		assert_int_equal(shown + more, 40);
	if (errlen >= 4096)
		assert_int_equal(shown, 40);
	free(err);
}

static void test_many_errors(void **state)
{
	/*
	 * 52 first: the second entry is cut to 6 bytes, shorter than
	 * "many.conf:" (it was read past its end: an ASan abort)
	 */
	static const size_t sizes[] = { 52, 8, 31, 32, 100, 512, 1000, 1024,
					2048, 4096, 8192 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_many_errors(sizes[i]);
}

static void test_load(void **state)
{
	char path[] = "/tmp/h3-test-config-XXXXXX";
	struct gk_config cfg;
	char err[1024];
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, full_conf, strlen(full_conf)),
			 (ssize_t)strlen(full_conf));
	close(fd);
	assert_int_equal(gk_config_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.path, path);
	assert_string_equal(cfg.instance, "lab");
	unlink(path);

	assert_int_equal(gk_config_load(path, &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(gk_config_load("/tmp", &cfg, err, sizeof(err)), -EINVAL);
}

/* ---- [mape] and [map-rule NAME] (RFC 7597) ---- */

#define MAPE_PORTS "[port lan]\ninterface = eth0\n[port wan]\ninterface = eth1\nmtu = 1500\n"

static const char mape_ce_conf[] =
	MAPE_PORTS					/* lines 1-5 */
	"[mape]\n"					/* 6 */
	"role = ce\n"
	"br_address = 2001:db8:ffff::1\n"
	"ipv4_port = lan\n"
	"ipv6_port = wan\n"				/* 10 */
	"end_user_prefix = 2001:db8:12:3400::/56\n"
	"[map-rule rfc]\n"				/* 12 */
	"ipv6_prefix = 2001:db8::/40\n"
	"ipv4_prefix = 192.0.2.0/24\n"
	"ea_bits = 16\n"				/* 15 */
	"psid_len = 8\n"
	"[map-rule peer]\n"				/* 17 */
	"ipv6_prefix = 2001:db8:100::/40\n"
	"ipv4_prefix = 198.51.100.0/24\n"
	"ea_bits = 12\n"				/* 20 */
	"psid_offset = 4\n"
	"fmr = yes\n"
	"draft03 = yes\n"
	"mss_clamp = 1400\n";

static void test_mape_ce(void **state)
{
	struct gk_config cfg;
	const struct gk_map_rule *r;
	uint8_t want[16];
	char err[2048];
	int ret;

	ret = gk_config_parse(mape_ce_conf, strlen(mape_ce_conf), "ce.conf",
			      &cfg, err, sizeof(err));
	if (ret)
		print_error("%s", err);
	assert_int_equal(ret, 0);
	assert_true(cfg.mape.present);
	assert_true(cfg.mape.enabled);
	assert_int_equal(cfg.mape.role, GK_MAPE_CE);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:ffff::1", want), 1);
	assert_memory_equal(cfg.mape.br_address, want, 16);
	assert_string_equal(cfg.mape.ipv4_port, "lan");
	assert_string_equal(cfg.mape.ipv6_port, "wan");
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:12:3400::", want), 1);
	assert_memory_equal(cfg.mape.eup, want, 16);
	assert_int_equal(cfg.mape.eup_len, 56);
	assert_int_equal(cfg.mape.tunnel_mtu, 1460);	/* wan mtu 1500 - 40 */
	assert_int_equal(cfg.mape.fragment, 0);
	assert_false(cfg.mape.icmp_unreachable);
	assert_int_equal(cfg.mape.line, 6);
	assert_int_equal(cfg.mape.bmr, 0);

	assert_int_equal(cfg.nr_map_rules, 2);
	r = &cfg.map_rules[0];
	assert_string_equal(r->name, "rfc");
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::", want), 1);
	assert_memory_equal(r->ipv6_prefix, want, 16);
	assert_int_equal(r->ipv6_plen, 40);
	assert_int_equal(inet_pton(AF_INET, "192.0.2.0", want), 1);
	assert_memory_equal(r->ipv4_prefix, want, 4);
	assert_int_equal(r->ipv4_plen, 24);
	assert_int_equal(r->ea_bits, 16);
	assert_int_equal(r->psid_offset, 6);
	assert_int_equal(r->psid_len, 8);
	assert_int_equal(r->flags, GK_MAP_F_PSID_LEN);
	assert_int_equal(r->mss_clamp, 1460 - 40);	/* auto */

	r = &cfg.map_rules[1];
	assert_string_equal(r->name, "peer");
	assert_int_equal(r->psid_offset, 4);
	assert_int_equal(r->psid_len, 4);		/* 12 - (32 - 24) */
	assert_int_equal(r->flags, GK_MAP_F_FMR | GK_MAP_F_DRAFT03);
	assert_int_equal(r->mss_clamp, 1400);
	gk_config_free(&cfg);
	assert_null(cfg.map_rules);
	assert_int_equal(cfg.nr_map_rules, 0);
	gk_config_free(&cfg);	/* twice is fine */
}

static void test_mape_br(void **state)
{
	static const char text[] =
		"[port inet]\ninterface = eth0\n[port core]\ninterface = eth1\n"
		"[mape]\nrole = br\nbr_address = 2001:db8:ffff::1\n"
		"ipv4_port = inet\nipv6_port = core\n"
		"fragment = icmp\nicmp_unreachable = yes\nenabled = no\n"
		"[map-rule a]\nipv6_prefix = 2001:db8::/40\nipv4_prefix = 192.0.2.0/24\n"
		"ea_bits = 16\nmss_clamp = off\n"
		"[map-rule b]\nipv6_prefix = 2001:db8:100::/40\nipv4_prefix = 198.51.100.0/24\n"
		"ea_bits = 16\n";
	struct gk_config cfg, copy;
	char err[1024];

	assert_int_equal(gk_config_parse(text, strlen(text), "br.conf", &cfg,
					 err, sizeof(err)), 0);
	assert_int_equal(cfg.mape.role, GK_MAPE_BR);
	assert_false(cfg.mape.enabled);
	assert_int_equal(cfg.mape.fragment, 1);
	assert_true(cfg.mape.icmp_unreachable);
	assert_int_equal(cfg.mape.bmr, -1);
	assert_int_equal(cfg.mape.tunnel_mtu, 0);	/* kernel MTU: run time */
	assert_int_equal(cfg.nr_map_rules, 2);
	assert_int_equal(cfg.map_rules[0].mss_clamp, 0);
	assert_int_equal(cfg.map_rules[1].mss_clamp, GK_MAP_MSS_AUTO);

	assert_int_equal(gk_config_copy(&copy, &cfg), 0);
	assert_ptr_not_equal(copy.map_rules, cfg.map_rules);
	assert_int_equal(copy.nr_map_rules, 2);
	assert_memory_equal(copy.map_rules, cfg.map_rules, 2 * sizeof(*cfg.map_rules));
	gk_config_free(&cfg);
	assert_string_equal(copy.map_rules[1].name, "b");
	gk_config_free(&copy);
}

/* No [mape], no rules: nothing allocated, MAP-E absent. */
static void test_mape_absent(void **state)
{
	static const char text[] = "[port p0]\ninterface = eth0\n";
	struct gk_config cfg;
	char err[256];

	assert_int_equal(gk_config_parse(text, strlen(text), "n.conf", &cfg,
					 err, sizeof(err)), 0);
	assert_false(cfg.mape.present);
	assert_null(cfg.map_rules);
	assert_int_equal(cfg.nr_map_rules, 0);
	assert_int_equal(cfg.mape.bmr, -1);
}

#define MAPE_HEAD MAPE_PORTS "[mape]\nrole = br\nbr_address = 2001:db8:ffff::1\n" \
	"ipv4_port = lan\nipv6_port = wan\n"	/* lines 1-10 */
#define RULE_A "[map-rule a]\nipv6_prefix = 2001:db8::/40\n" \
	"ipv4_prefix = 192.0.2.0/24\nea_bits = 16\n"	/* +4 lines */

static const struct bad bad_mape[] = {
	{ "rule without [mape]", MAPE_PORTS RULE_A, 6,
	  "map-rule sections need a [mape] section" },
	{ "[mape] without rule", MAPE_HEAD, 6, "[mape] has no [map-rule NAME] section" },
	{ "no role", MAPE_PORTS "[mape]\nbr_address = 2001:db8:ffff::1\n"
	  "ipv4_port = lan\nipv6_port = wan\n" RULE_A, 6, "[mape] needs role = ce | br" },
	{ "bad role", MAPE_PORTS "[mape]\nrole = relay\n", 7,
	  "invalid role 'relay' (expected ce | br)" },
	{ "no br_address", MAPE_PORTS "[mape]\nrole = br\nipv4_port = lan\n"
	  "ipv6_port = wan\n" RULE_A, 6, "[mape] needs br_address" },
	{ "bad br_address", MAPE_PORTS "[mape]\nbr_address = 192.0.2.1\n", 7,
	  "invalid br_address '192.0.2.1'" },
	{ "unknown ipv4_port", MAPE_PORTS "[mape]\nrole = br\nbr_address = 2001:db8:ffff::1\n"
	  "ipv4_port = dmz\nipv6_port = wan\n" RULE_A, 9, "ipv4_port 'dmz' is not a [port] section" },
	{ "same ports", MAPE_PORTS "[mape]\nrole = br\nbr_address = 2001:db8:ffff::1\n"
	  "ipv4_port = wan\nipv6_port = wan\n" RULE_A, 10,
	  "ipv4_port and ipv6_port must differ (both 'wan')" },
	{ "duplicate [mape]", MAPE_HEAD "[mape]\n" RULE_A, 11,
	  "duplicate section [mape] (first at line 6)" },
	{ "unknown mape key", MAPE_HEAD "mode = fast\n" RULE_A, 11, "unknown key 'mode' in [mape]" },
	{ "unknown rule key", MAPE_HEAD RULE_A "ratio = 64\n", 15,
	  "unknown key 'ratio' in [map-rule]" },
	{ "rule without name", MAPE_HEAD "[map-rule]\n", 11, "needs a name: [map-rule NAME]" },
	{ "duplicate rule", MAPE_HEAD RULE_A "[map-rule a]\n", 15,
	  "duplicate map-rule 'a' (first at line 11)" },
	{ "missing ea_bits", MAPE_HEAD "[map-rule a]\nipv6_prefix = 2001:db8::/40\n"
	  "ipv4_prefix = 192.0.2.0/24\n", 11, "map-rule 'a' has no ea_bits" },
	{ "v6 + ea > 64", MAPE_HEAD "[map-rule a]\nipv6_prefix = 2001:db8::/56\n"
	  "ipv4_prefix = 192.0.2.0/24\nea_bits = 16\n", 11,
	  "map-rule 'a': ipv6 prefix length 56 + ea_bits 16 = 72 exceeds 64" },
	{ "offset + psid_len > 16", MAPE_HEAD "[map-rule a]\nipv6_prefix = 2001:db8::/40\n"
	  "ipv4_prefix = 192.0.2.0/24\nea_bits = 20\npsid_offset = 8\n", 11,
	  "map-rule 'a': psid_offset 8 + psid_len 12 = 20 exceeds 16" },
	{ "psid_len disagrees", MAPE_HEAD RULE_A "psid_len = 6\n", 11,
	  "map-rule 'a': psid_len 6 disagrees with ea_bits 16 - (32 - ipv4 prefix length 24) = 8" },
	{ "ea_bits too big", MAPE_HEAD RULE_A "[map-rule b]\nea_bits = 49\n", 16,
	  "ea_bits = 49 out of range (0..48)" },
	{ "prefix host bits", MAPE_HEAD "[map-rule a]\nipv4_prefix = 192.0.2.1/24\n", 12,
	  "ipv4_prefix 192.0.2.1/24 has bits set beyond /24" },
	{ "prefix syntax", MAPE_HEAD "[map-rule a]\nipv6_prefix = 2001:db8::\n", 12,
	  "invalid ipv6_prefix '2001:db8::' (expected IPV6ADDR/LEN)" },
	{ "prefix length", MAPE_HEAD "[map-rule a]\nipv4_prefix = 192.0.2.0/33\n", 12,
	  "invalid ipv4_prefix '192.0.2.0/33'" },
	{ "ipv4 overlap", MAPE_HEAD RULE_A "[map-rule b]\nipv6_prefix = 2001:db8:100::/40\n"
	  "ipv4_prefix = 192.0.2.128/25\nea_bits = 15\n", 15,
	  "map-rule 'b' (192.0.2.128/25) overlaps map-rule 'a' (192.0.2.0/24, line 11)" },
	{ "ipv6 overlap", MAPE_HEAD RULE_A "[map-rule b]\nipv6_prefix = 2001:db8:80::/41\n"
	  "ipv4_prefix = 198.51.100.0/24\nea_bits = 16\n", 15,
	  "map-rule 'b' (2001:db8:80::/41) overlaps map-rule 'a' (2001:db8::/40, line 11)" },
	{ "mss too small", MAPE_HEAD RULE_A "mss_clamp = 100\n", 15,
	  "mss_clamp = 100 out of range (536..65495)" },
	{ "mss word", MAPE_HEAD RULE_A "mss_clamp = on\n", 15,
	  "invalid mss_clamp 'on' (expected auto | off | 536..65495)" },
	{ "fmr not bool", MAPE_HEAD RULE_A "fmr = 1\n", 15, "invalid fmr '1' (expected no | yes)" },
	{ "tunnel_mtu small", MAPE_HEAD "tunnel_mtu = 60\n" RULE_A, 11,
	  "tunnel_mtu = 60 out of range (68..65495)" },
	{ "fragment", MAPE_HEAD "fragment = inner\n" RULE_A, 11,
	  "invalid fragment 'inner' (expected outer | icmp)" },
	{ "eup on br", MAPE_HEAD "end_user_prefix = 2001:db8:12:3400::/56\n" RULE_A, 11,
	  "end_user_prefix is only for role = ce" },
	{ "ce without eup", MAPE_PORTS "[mape]\nrole = ce\nbr_address = 2001:db8:ffff::1\n"
	  "ipv4_port = lan\nipv6_port = wan\n" RULE_A, 6, "role = ce needs end_user_prefix" },
	{ "eup matches nothing", MAPE_PORTS "[mape]\nrole = ce\nbr_address = 2001:db8:ffff::1\n"
	  "ipv4_port = lan\nipv6_port = wan\nend_user_prefix = 2001:db9:12:3400::/56\n" RULE_A, 11,
	  "end_user_prefix 2001:db9:12:3400::/56 matches no map-rule" },
	{ "eup too short", MAPE_PORTS "[mape]\nrole = ce\nbr_address = 2001:db8:ffff::1\n"
	  "ipv4_port = lan\nipv6_port = wan\nend_user_prefix = 2001:db8:12::/48\n" RULE_A, 11,
	  "end_user_prefix 2001:db8:12::/48, map-rule 'a': end-user prefix /48 is shorter than ipv6 prefix length 40 + ea_bits 16 = /56" },
	{ "eup host bits", MAPE_PORTS "[mape]\nend_user_prefix = 2001:db8:12:3401::/56\n", 7,
	  "end_user_prefix 2001:db8:12:3401::/56 has bits set beyond /56" },
};

static void test_bad_mape(void **state)
{
	size_t i, failed = 0;

	for (i = 0; i < sizeof(bad_mape) / sizeof(bad_mape[0]); i++) {
		const struct bad *b = &bad_mape[i];
		struct gk_config cfg;
		char err[4096];
		int ret;

		memset(&cfg, 0xa5, sizeof(cfg));
		ret = gk_config_parse(b->text, strlen(b->text), "bad.conf",
				      &cfg, err, sizeof(err));
		if (ret != -EINVAL || !has_error(err, "bad.conf", b->line, b->frag)) {
			print_error("case '%s': ret %d, want line %u '%s', got:\n%s\n",
				    b->what, ret, b->line, b->frag, err);
			failed++;
			continue;
		}
		assert_int_equal(((unsigned char *)&cfg)[sizeof(cfg) - 1], 0xa5);
	}
	assert_int_equal(failed, 0);
}

/* A BR with the maximum number of domains parses (and quickly: the overlap
 * check is quadratic); one more is refused. */
static void test_mape_many_rules(void **state)
{
	size_t cap = 200 + (GK_CONFIG_MAX_MAP_RULES + 1) * 160, len;
	char *text = malloc(cap);
	struct gk_config cfg;
	char err[1024];
	unsigned i;

	assert_non_null(text);
	len = (size_t)snprintf(text, cap, "%s", MAPE_HEAD);
	for (i = 0; i < GK_CONFIG_MAX_MAP_RULES; i++)
		/* rule i: 2001:db8:<i>::/48 -> one /32 from 198.18.0.0/15 */
		len += (size_t)snprintf(text + len, cap - len,
			"[map-rule r%u]\nipv6_prefix = 2001:db8:%x::/48\n"
			"ipv4_prefix = 198.%u.%u.%u/32\nea_bits = 8\n",
			i, i, 18 + (i >> 16), (i >> 8) & 0xff, i & 0xff);
	assert_int_equal(gk_config_parse(text, len, "many.conf", &cfg, err,
					 sizeof(err)), 0);
	assert_int_equal(cfg.nr_map_rules, GK_CONFIG_MAX_MAP_RULES);
	assert_int_equal(cfg.map_rules[4095].psid_len, 8);
	gk_config_free(&cfg);

	len += (size_t)snprintf(text + len, cap - len, "[map-rule extra]\n");
	assert_int_equal(gk_config_parse(text, len, "many.conf", &cfg, err,
					 sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too many map-rules (max 4096)"));
	free(text);
}

static const char *example_path;

/* The shipped example must stay valid. */
static void test_example(void **state)
{
	struct gk_config cfg;
	char err[2048];
	int ret;

	if (!example_path)
		skip();
	ret = gk_config_load(example_path, &cfg, err, sizeof(err));
	if (ret)
		print_error("%s", err);
	assert_int_equal(ret, 0);
	assert_string_equal(cfg.instance, "lab");
	assert_int_equal(cfg.workers, 2);
	assert_int_equal(cfg.nr_ports, 2);
	assert_string_equal(cfg.ports[1].ifname, "gw-wan");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_socket_from_instance),
		cmocka_unit_test(test_crlf_and_ranges),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_overlong_line),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_errors_sorted),
		cmocka_unit_test(test_too_many_ports),
		cmocka_unit_test(test_small_err_buffer),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_mape_ce),
		cmocka_unit_test(test_mape_br),
		cmocka_unit_test(test_mape_absent),
		cmocka_unit_test(test_bad_mape),
		cmocka_unit_test(test_mape_many_rules),
	};

	if (argc > 1)
		example_path = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
