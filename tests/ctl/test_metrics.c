// SPDX-License-Identifier: BSD-3-Clause
/*
 * The Prometheus text of ctl/genkand/metrics.c from a made-up daemon (two
 * workers with known counters, one port, every feature off): one family
 * per X-macro name, samples carrying the right labels and values, label
 * values escaped, `promtool check metrics` silent, and docs/metrics.md
 * (argv[1]) naming exactly the families genkand writes. The DPDK ports'
 * `stats` JSON comes from a stand-in (linked with --wrap): no EAL here.
 */
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

#include <jansson.h>

#include <genkan/meta.h>

#include "l4.h"
#include "wkstats.h"
#include "worker.h"

#include "daemon.h"
#include "metrics.h"

static const char *doc_path;
static char *text;

/*
 * dpdk_ctl.c's `stats` "dpdk" array, as it would be for a DPDK port lan
 * (the metrics are made from it): known values, one drop reason set.
 */
json_t *__wrap_gk_dpdk_ctl_stats(const struct gk_daemon *d);
json_t *__wrap_gk_dpdk_ctl_stats(const struct gk_daemon *d)
{
	(void)d;
	return json_loads("[{\"name\":\"lan\",\"devargs\":\"net_null0\","
			  "\"tap\":\"dlan\",\"to_kernel\":31,\"to_kernel_fail\":1,"
			  "\"from_kernel\":29,\"from_kernel_drop\":2,"
			  "\"cls_drops\":4,\"rx_multiseg\":5,"
			  "\"drops\":{\"bad_src\":4}}]", 0, NULL);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int setup(void **state)
{
	struct gk_daemon *d = calloc(1, sizeof(*d));
	void *w;
	size_t len;

	(void)state;
	if (!d || posix_memalign(&w, 64, 2 * sizeof(struct gk_worker)))
		return -1;
	memset(w, 0, 2 * sizeof(struct gk_worker));
	snprintf(d->cfg.instance, sizeof(d->cfg.instance), "t\"x\\y");
	d->nr_workers = 2;
	d->workers = w;
	d->workers[1].stats.rx_packets = 11;
	d->workers[1].stats.drops[GK_WK_DROP_NO_ROUTE] = 7;
	d->workers[0].stats.class_packets[GK_CLASS_TRANSIT] = 5;
	d->workers[1].stats.events[GK_WK_EV_CSUM_COMPLETED] = 3;
	d->stalled[1] = true;
	d->nr_ports = 1;
	snprintf(d->ports[0].name, sizeof(d->ports[0].name), "lan");
	d->ports[0].hand_switches = 2;
	d->fib_generation = 42;
	text = gk_metrics_render(d, &len);
	free(w);
	free(d);
	return text && strlen(text) == len ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(text);
	return 0;
}

static void has(const char *line)
{
	if (!strstr(text, line))
		fail_msg("no line '%s'", line);
}

static void test_samples(void **state)
{
	char line[256];

	(void)state;
	has("\ngenkan_worker_rx_packets_total{worker=\"1\"} 11\n");
	has("\ngenkan_worker_rx_packets_total{worker=\"0\"} 0\n");
	has("\ngenkan_worker_drops_total{worker=\"1\",reason=\"no_route\"} 7\n");
	has("\ngenkan_worker_class_packets_total{worker=\"0\",class=\"transit\"} 5\n");
	has("\ngenkan_worker_events_total{worker=\"1\",event=\"csum_completed\"} 3\n");
	has("\ngenkan_worker_stalled{worker=\"1\"} 1\n");
	has("\ngenkan_port_handoff_switches_total{port=\"lan\"} 2\n");
	has("\ngenkan_fib_generation 42\n");
	/* DPDK ports: one sample per port and counter, every reason */
	has("\ngenkan_dpdk_exception_to_kernel_total{port=\"lan\"} 31\n");
	has("\ngenkan_dpdk_exception_to_kernel_fail_total{port=\"lan\"} 1\n");
	has("\ngenkan_dpdk_exception_from_kernel_total{port=\"lan\"} 29\n");
	has("\ngenkan_dpdk_exception_from_kernel_drop_total{port=\"lan\"} 2\n");
	has("\ngenkan_dpdk_exception_cls_drops_total{port=\"lan\"} 4\n");
	has("\ngenkan_dpdk_exception_rx_multiseg_total{port=\"lan\"} 5\n");
	has("\ngenkan_dpdk_exception_drops_total{port=\"lan\",reason=\"bad_src\"} 4\n");
	has("\ngenkan_dpdk_exception_drops_total{port=\"lan\",reason=\"trunc_eth\"} 0\n");
	/* \ and " escaped as the text format says */
	has("\ngenkan_info{instance_name=\"t\\\"x\\\\y\",version=\"");
	/* one sample per name of the list, for each worker */
	for (int w = 0; w < 2; w++)
		for (int i = 0; i < GK_WK_DROP_MAX; i++) {
			snprintf(line, sizeof(line),
				 "\ngenkan_worker_drops_total{worker=\"%d\",reason=\"%s\"} ",
				 w, gk_wk_drop_names[i]);
			has(line);
		}
	for (int i = 0; i < GK_L4_CNT_MAX; i++) {
		snprintf(line, sizeof(line), "\n# TYPE genkan_l4_%s_total counter\n",
			 gk_l4_cnt_names[i]);
		has(line);
	}
}

/* The families of the text, in order: "# TYPE name type" lines. */
static size_t families(char names[][128], size_t max)
{
	const char *p = text;
	size_t n = 0;

	while ((p = strstr(p, "# TYPE genkan_"))) {
		char type[16];

		assert_true(n < max);
		assert_int_equal(sscanf(p, "# TYPE %127s %15s", names[n], type), 2);
		if (!strcmp(type, "counter") &&
		    strcmp(names[n] + strlen(names[n]) - 6, "_total"))
			fail_msg("counter %s does not end in _total", names[n]);
		for (size_t i = 0; i < n; i++)
			if (!strcmp(names[i], names[n]))
				fail_msg("family %s twice", names[n]);
		n++;
		p++;
	}
	return n;
}

static void test_docs(void **state)
{
	static char names[512][128];
	size_t n = families(names, 512);
	char *doc = slurp(doc_path), *p, want[140];

	(void)state;
	assert_non_null(doc);
	assert_true(n > 100);
	for (size_t i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "`%s`", names[i]);
		if (!strstr(doc, want))
			fail_msg("%s: no %s", doc_path, want);
	}
	/* and nothing more: every `genkan_...` the doc names exists */
	for (p = doc; (p = strstr(p, "`genkan_")); p++) {
		size_t l = strcspn(p + 1, "`{ ");
		bool found = false;

		if (p[1 + l] != '`' || l == strlen("genkan_"))
			continue;	/* a query, a sample or the prefix */
		for (size_t i = 0; i < n && !found; i++)
			found = strlen(names[i]) == l && !strncmp(names[i], p + 1, l);
		if (!found)
			fail_msg("%s names %.*s, which genkand does not write",
				 doc_path, (int)l, p + 1);
		p += l;
	}
	free(doc);
}

static void test_promtool(void **state)
{
	char path[] = "/tmp/gk-test-metrics-XXXXXX", cmd[256];
	char out[4096] = "";
	FILE *f;
	int fd, rc;
	size_t n;

	(void)state;
	if (access("/usr/bin/promtool", X_OK))
		fail_msg("promtool missing: scripts/deps.sh installs Debian's prometheus");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(cmd, sizeof(cmd), "/usr/bin/promtool check metrics <%s 2>&1", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	rc = pclose(f);
	unlink(path);
	if (rc || n)
		fail_msg("promtool (rc %d): %s", rc, out);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_docs),
		cmocka_unit_test(test_promtool),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s docs/metrics.md\n", argv[0]);
		return 2;
	}
	doc_path = argv[1];
	return cmocka_run_group_tests(tests, setup, teardown);
}
