// SPDX-License-Identifier: BSD-3-Clause
/*
 * XDP classifier (bpf/classifier.bpf.c) against the scapy fixture table,
 * through BPF_PROG_TEST_RUN. Runs in a private network namespace:
 *
 *   unshare(CLONE_NEWNET)
 *
 *   h1a0 (2 rx queues) ===veth=== h1b0        lo: not a port
 *     port 1, enabled, AF_XDP socket on queue 0 at gk_xsks[GK_XSK_KEY(1, 0)]
 *   h1a1 ===veth=== h1b1
 *     port 2, enabled,   port 3, disabled
 *     no socket
 *
 * (veth rather than dummy: not every test kernel has dummy built in.)
 *
 * gk_local4/6, gk_mape_v4/v6 hold what tests/classify/fixtures.h lists;
 * fixtures marked port=mape_ce_v4 run with GK_PORT_F_MAPE_CE_V4 set on
 * port 1 for that one packet, those marked wg=off with gk_wg empty.
 *
 * For every fixture: the verdict, the metadata in front of data_out and the
 * exact change of every gk_stats counter. Then the side cases (no socket,
 * queue beyond gk_cfg_nr_queues, unknown/disabled port), a PASS_ALL
 * instance, a TTL_TO_KERNEL instance (ttl_expired fixtures pass instead of
 * being redirected), and a seeded differential run of mutated fixtures
 * against the software twin (dataplane/parse.c), under both TTL settings.
 *
 * Needs root. Usage: test_classifier FIXTURE_FILE
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include <genkan/bpf_maps.h>
#include <genkan/meta.h>

#include "classifier.skel.h"
#include "parse.h"
#include "fixtures.h"

#define XSK_FRAMES	64
#define OUT_MAX		4096
#define FUZZ_PER_FIX	64
#define MAX_CPUS	1024
#define FUZZ_SEED	0x9e3779b97f4a7c15ull

#define PORT_XSK	1	/* port id of h1a0, which has the socket */
#define PORT_NOXSK	2
#define PORT_OFF	3

struct inst {
	struct classifier_bpf *skel;
	int prog_fd;
	int stats_fd;
	int nr_cpus;
};

struct env {
	int if_xsk, if_noxsk, if_off, if_lo;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	void *umem_area;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
};

struct counters {
	struct gk_xdp_counter c[GK_STAT_MAX];
};

struct expect {
	int retval;
	int cls;		/* -1: no class counted */
	int drop;		/* -1: none */
	int ev[3];		/* events, -1 terminated */
	const struct gk_xdp_meta *meta;	/* only for XDP_REDIRECT */
};

static int passed, failed, skipped, refused;

/*
 * The hand-off mode under test: its GK_PORT_F_HAND_* bits on port 1, and
 * whether REDIRECT output carries the metadata in front of the frame
 * (meta: BPF_PROG_TEST_RUN copies out from data_meta; head: it is part of
 * the frame) or nothing (parse).
 */
static __u32 hand_flags;
static bool hand_parse;

static const char *stat_name(int i)
{
	static const char *ev[] = {
#define GK_X(n, s) s,
		GK_XDP_EVENT_LIST(GK_X)
#undef GK_X
	};
	static char buf[48];

	if (i < GK_CLASS_MAX)
		snprintf(buf, sizeof(buf), "class %s", fx_class_name(i));
	else if (i < GK_CLASS_MAX + GK_XDP_DROP_MAX)
		snprintf(buf, sizeof(buf), "drop %s",
			 fx_drop_name(i - GK_CLASS_MAX));
	else
		snprintf(buf, sizeof(buf), "event %s",
			 ev[i - GK_CLASS_MAX - GK_XDP_DROP_MAX]);
	return buf;
}

static int read_stats(const struct inst *in, struct counters *out)
{
	static struct gk_xdp_counter v[MAX_CPUS];
	__u32 i;
	int cpu;

	if (in->nr_cpus <= 0 || in->nr_cpus > MAX_CPUS)
		return -E2BIG;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < GK_STAT_MAX; i++) {
		if (bpf_map_lookup_elem(in->stats_fd, &i, v))
			return -errno;
		for (cpu = 0; cpu < in->nr_cpus; cpu++) {
			out->c[i].packets += v[cpu].packets;
			out->c[i].bytes += v[cpu].bytes;
		}
	}
	return 0;
}

static int run(const struct inst *in, int ifindex, __u32 rxq,
	       const uint8_t *data, uint32_t len, uint8_t *out,
	       uint32_t *out_len, int *retval)
{
	struct xdp_md ctx = {
		.data_end = len,
		.ingress_ifindex = ifindex,
		.rx_queue_index = rxq,
	};
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = data,
		.data_size_in = len,
		.data_out = out,
		.data_size_out = OUT_MAX,
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = 1,
	);
	int err;

	err = bpf_prog_test_run_opts(in->prog_fd, &o);
	if (err)
		return -errno;
	*retval = (int)o.retval;
	*out_len = o.data_size_out;
	return 0;
}

static void meta_str(const struct gk_xdp_meta *m, char *buf, size_t n)
{
	snprintf(buf, n,
		 "magic %#x ver %u class %s l3 %u l4 %u proto %u flags %#x tci %#x hash %#010x",
		 m->magic, m->version, fx_class_name(m->class), m->l3_off,
		 m->l4_off, m->l4_proto, m->flags, m->vlan_tci, m->flow_hash);
}

/* One packet through the program; 0 if everything matched. */
static int check(const struct inst *in, const char *name, int ifindex,
		 __u32 rxq, const uint8_t *data, uint32_t len,
		 const struct expect *e)
{
	struct counters before, after;
	struct gk_xdp_counter want[GK_STAT_MAX] = {};
	uint8_t out[OUT_MAX];
	uint32_t out_len, metalen;
	int retval, err, bad = 0, i;
	char a[160], b[160];

	if (read_stats(in, &before) ||
	    (err = run(in, ifindex, rxq, data, len, out, &out_len, &retval)) ||
	    read_stats(in, &after)) {
		printf("FAIL %s: test run: %s\n", name, strerror(errno));
		return 1;
	}

	if (retval != e->retval) {
		printf("FAIL %s: verdict %d, want %d\n", name, retval, e->retval);
		bad = 1;
	}

	metalen = e->retval == XDP_REDIRECT && e->meta && !hand_parse ?
		sizeof(struct gk_xdp_meta) : 0;
	if (retval == e->retval && out_len != len + metalen) {
		printf("FAIL %s: data_out %u bytes, want %u\n", name, out_len,
		       len + metalen);
		bad = 1;
	} else if (retval == e->retval) {
		if (metalen && memcmp(out, e->meta, metalen)) {
			meta_str((const void *)out, a, sizeof(a));
			meta_str(e->meta, b, sizeof(b));
			printf("FAIL %s: meta\n   got  %s\n   want %s\n", name, a, b);
			bad = 1;
		}
		if (memcmp(out + metalen, data, len)) {
			printf("FAIL %s: frame modified\n", name);
			bad = 1;
		}
	}

	if (e->cls >= 0) {
		want[GK_STAT_CLASS(e->cls)].packets = 1;
		want[GK_STAT_CLASS(e->cls)].bytes = len;
	}
	if (e->drop >= 0) {
		want[GK_STAT_DROP(e->drop)].packets = 1;
		want[GK_STAT_DROP(e->drop)].bytes = len;
	}
	for (i = 0; i < 3 && e->ev[i] >= 0; i++) {
		want[GK_STAT_EVENT(e->ev[i])].packets = 1;
		want[GK_STAT_EVENT(e->ev[i])].bytes = len;
	}
	for (i = 0; i < GK_STAT_MAX; i++) {
		__u64 dp = after.c[i].packets - before.c[i].packets;
		__u64 db = after.c[i].bytes - before.c[i].bytes;

		if (dp != want[i].packets || db != want[i].bytes) {
			printf("FAIL %s: counter %s +%llu/+%llu, want +%llu/+%llu\n",
			       name, stat_name(i), (unsigned long long)dp,
			       (unsigned long long)db,
			       (unsigned long long)want[i].packets,
			       (unsigned long long)want[i].bytes);
			bad = 1;
		}
	}
	return bad;
}

static void tally(int bad)
{
	if (bad)
		failed++;
	else
		passed++;
}

static struct expect fixture_expect(const struct fixture *f, __u32 cfg_flags)
{
	struct expect e = { .cls = f->cls, .drop = f->drop,
			    .ev = { -1, -1, -1 } };

	switch (f->action) {
	case FX_REDIRECT:
		e.retval = XDP_REDIRECT;
		e.ev[0] = GK_XDP_EV_REDIRECT;
		e.meta = &f->meta;
		break;
	case FX_PASS:
		e.retval = XDP_PASS;
		e.ev[0] = GK_XDP_EV_PASS;
		break;
	case FX_DROP:
		e.retval = XDP_DROP;
		e.ev[0] = GK_XDP_EV_DROP;
		break;
	}
	if ((cfg_flags & GK_CFG_F_PASS_ALL) ||
	    (f->cls == GK_CLASS_TTL_EXPIRED &&
	     (cfg_flags & GK_CFG_F_TTL_TO_KERNEL))) {
		e.retval = XDP_PASS;
		e.ev[0] = GK_XDP_EV_PASS;
		e.meta = NULL;
	}
	return e;
}

static int netns_setup(struct env *env)
{
	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET)");
		return -errno;
	}
	if (system("ip link set lo up && "
		   "ip link add h1a0 numrxqueues 2 numtxqueues 2 type veth "
		   "peer name h1b0 numrxqueues 2 numtxqueues 2 && "
		   "ip link add h1a1 type veth peer name h1b1 && "
		   "ip link set h1a0 up && ip link set h1b0 up && "
		   "ip link set h1a1 up && ip link set h1b1 up")) {
		fprintf(stderr, "creating veth devices failed\n");
		return -EIO;
	}
	env->if_xsk = if_nametoindex("h1a0");
	env->if_noxsk = if_nametoindex("h1a1");
	env->if_off = if_nametoindex("h1b1");
	env->if_lo = if_nametoindex("lo");
	if (!env->if_xsk || !env->if_noxsk || !env->if_off || !env->if_lo)
		return -ENODEV;
	return 0;
}

static int xsk_setup(struct env *env)
{
	struct xsk_socket_config cfg = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	size_t size = (size_t)XSK_FRAMES * XSK_UMEM__DEFAULT_FRAME_SIZE;
	int err;

	env->umem_area = mmap(NULL, size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (env->umem_area == MAP_FAILED)
		return -errno;
	err = xsk_umem__create(&env->umem, env->umem_area, size, &env->fq,
			       &env->cq, NULL);
	if (err) {
		fprintf(stderr, "xsk_umem__create: %s\n", strerror(-err));
		goto err_umem;
	}
	err = xsk_socket__create(&env->xsk, "h1a0", 0, env->umem, &env->rx,
				 &env->tx, &cfg);
	if (err) {
		fprintf(stderr, "xsk_socket__create: %s\n", strerror(-err));
		goto err_sock;
	}
	return 0;

err_sock:
	xsk_umem__delete(env->umem);
err_umem:
	munmap(env->umem_area, size);
	return err;
}

static void xsk_teardown(struct env *env)
{
	xsk_socket__delete(env->xsk);
	xsk_umem__delete(env->umem);
	munmap(env->umem_area, (size_t)XSK_FRAMES * XSK_UMEM__DEFAULT_FRAME_SIZE);
}

/* Port 1 (the one with the socket), with or without the CE LAN flag. */
static int set_ce_flag(const struct inst *in, const struct env *env, bool ce)
{
	struct gk_port_info pi = {
		.port_id = PORT_XSK,
		.flags = GK_PORT_F_ENABLED | hand_flags |
			 (ce ? GK_PORT_F_MAPE_CE_V4 : 0),
	};
	__u32 k = env->if_xsk;

	if (bpf_map_update_elem(bpf_map__fd(in->skel->maps.gk_ports), &k, &pi,
				BPF_ANY))
		return -errno;
	return 0;
}

/* gk_wg: WireGuard on port 1 (the fixtures' default), or empty. */
static int set_wg(const struct inst *in, bool on)
{
	struct gk_wg_xdp wg = { 0 };
	__u32 k = 0;

	if (on) {
		wg.listen_port = htons(FX_WG_PORT);
		wg.port_id = PORT_XSK;
	}
	if (bpf_map_update_elem(bpf_map__fd(in->skel->maps.gk_wg), &k, &wg,
				BPF_ANY))
		return -errno;
	return 0;
}

/*
 * One fixture on port 1, with the CE LAN flag only if the fixture says
 * so, and gk_wg empty if it says wg=off.
 */
static int check_fixture(const struct inst *in, const struct env *env,
			 const struct fixture *f, const char *name,
			 const struct expect *e)
{
	int bad, err;

	if (f->mape_ce_port && set_ce_flag(in, env, true)) {
		printf("FAIL %s: setting the port flag: %s\n", name,
		       strerror(errno));
		return 1;
	}
	if (f->wg_off && (err = set_wg(in, false))) {
		printf("FAIL %s: emptying gk_wg: %s\n", name, strerror(-err));
		return 1;
	}
	bad = check(in, name, env->if_xsk, 0, f->data, f->len, e);
	if (f->mape_ce_port && set_ce_flag(in, env, false)) {
		printf("FAIL %s: clearing the port flag: %s\n", name,
		       strerror(errno));
		bad = 1;
	}
	if (f->wg_off && (err = set_wg(in, true))) {
		printf("FAIL %s: refilling gk_wg: %s\n", name, strerror(-err));
		bad = 1;
	}
	return bad;
}

static int mape_fill(struct inst *in)
{
	int fd6 = bpf_map__fd(in->skel->maps.gk_mape_v6);
	int fd4 = bpf_map__fd(in->skel->maps.gk_mape_v4);
	struct gk_lpm4_key k4;
	struct gk_in6 a6;
	size_t i;

	for (i = 0; i < FX_NR_MAPE6; i++) {
		if (inet_pton(AF_INET6, fx_mape6[i].addr, &a6) != 1)
			return -EINVAL;
		if (bpf_map_update_elem(fd6, &a6, &fx_mape6[i].cls, BPF_ANY))
			return -errno;
	}
	for (i = 0; i < FX_NR_MAPE4; i++) {
		k4.prefixlen = fx_mape4[i].plen;
		if (inet_pton(AF_INET, fx_mape4[i].prefix, &k4.addr) != 1)
			return -EINVAL;
		if (bpf_map_update_elem(fd4, &k4, &fx_mape4[i].cls, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int maps_fill(struct inst *in, const struct env *env)
{
	struct gk_port_info pi;
	struct gk_in6 a6;
	__u32 a4, k;
	__u8 one = 1;
	int fd, err;

	fd = bpf_map__fd(in->skel->maps.gk_ports);
	pi = (struct gk_port_info){ .port_id = PORT_XSK,
				    .flags = GK_PORT_F_ENABLED | hand_flags };
	k = env->if_xsk;
	if (bpf_map_update_elem(fd, &k, &pi, BPF_ANY))
		return -errno;
	pi = (struct gk_port_info){ .port_id = PORT_NOXSK, .flags = GK_PORT_F_ENABLED };
	k = env->if_noxsk;
	if (bpf_map_update_elem(fd, &k, &pi, BPF_ANY))
		return -errno;
	pi = (struct gk_port_info){ .port_id = PORT_OFF, .flags = 0 };
	k = env->if_off;
	if (bpf_map_update_elem(fd, &k, &pi, BPF_ANY))
		return -errno;

	inet_pton(AF_INET, FX_LOCAL4, &a4);
	if (bpf_map_update_elem(bpf_map__fd(in->skel->maps.gk_local4), &a4, &one,
				BPF_ANY))
		return -errno;
	inet_pton(AF_INET6, FX_LOCAL6, &a6);
	if (bpf_map_update_elem(bpf_map__fd(in->skel->maps.gk_local6), &a6, &one,
				BPF_ANY))
		return -errno;
	inet_pton(AF_INET6, FX_LOCAL6_BR, &a6);
	if (bpf_map_update_elem(bpf_map__fd(in->skel->maps.gk_local6), &a6, &one,
				BPF_ANY))
		return -errno;
	err = mape_fill(in);
	if (err)
		return err;
	for (size_t i = 0; i < FX_NR_L4; i++) {
		struct gk_l4_key lk = { .family = fx_l4[i].family,
					.proto = fx_l4[i].proto,
					.port = htons(fx_l4[i].port) };
		__u32 id = (__u32)i;

		inet_pton(lk.family == 4 ? AF_INET : AF_INET6, fx_l4[i].addr,
			  lk.addr);
		if (bpf_map_update_elem(bpf_map__fd(in->skel->maps.gk_l4svc),
					&lk, &id, BPF_ANY))
			return -errno;
		/* and the address key: fragments to it */
		lk.proto = 0;
		lk.port = 0;
		if (bpf_map_update_elem(bpf_map__fd(in->skel->maps.gk_l4svc),
					&lk, &id, BPF_ANY))
			return -errno;
	}
	err = set_wg(in, true);
	if (err)
		return err;

	if (env->xsk) {
		int xfd = xsk_socket__fd(env->xsk);

		k = GK_XSK_KEY(PORT_XSK, 0);
		if (bpf_map_update_elem(bpf_map__fd(in->skel->maps.gk_xsks), &k,
					&xfd, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int inst_open(struct inst *in, __u32 flags)
{
	int err;

	in->skel = classifier_bpf__open();
	if (!in->skel)
		return -errno;
	in->skel->rodata->gk_cfg_nr_queues = 1;
	/* every instance classifies the L4 fixtures (rule 10) */
	in->skel->rodata->gk_cfg_flags = flags | GK_CFG_F_L4;
	err = classifier_bpf__load(in->skel);
	if (err) {
		classifier_bpf__destroy(in->skel);
		return err;
	}
	in->prog_fd = bpf_program__fd(in->skel->progs.gk_classify);
	in->stats_fd = bpf_map__fd(in->skel->maps.gk_stats);
	in->nr_cpus = libbpf_num_possible_cpus();
	return 0;
}

static const struct fixture *find(const struct fixture *fx, size_t n,
				  const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(fx[i].name, name))
			return &fx[i];
	fprintf(stderr, "fixture %s missing\n", name);
	exit(1);	/* test harness: a missing fixture is a broken table */
}

static void side_cases(const struct inst *in, const struct env *env,
		       const struct fixture *fx, size_t n)
{
	const struct fixture *tr = find(fx, n, "v4_tcp");
	const struct fixture *dr = find(fx, n, "bad_ihl_4");
	const struct fixture *te = find(fx, n, "v6_hlim1");
	const struct fixture *br = find(fx, n, "mape4_br_udp");
	const struct fixture *ce = find(fx, n, "ce4_lan_udp");
	const struct fixture *ce6 = find(fx, n, "mape6_ipip_to_ce");
	struct expect e;

	/* routed, but nobody listens on port 2 */
	e = (struct expect){ XDP_PASS, GK_CLASS_TRANSIT, -1,
			     { GK_XDP_EV_NO_XSK, GK_XDP_EV_PASS, -1 }, NULL };
	tally(check(in, "side_no_xsk", env->if_noxsk, 0, tr->data, tr->len, &e));
	/* queue 1 exists on h1a0 but gk_cfg_nr_queues is 1 */
	tally(check(in, "side_queue_beyond_nr_queues", env->if_xsk, 1, tr->data,
		    tr->len, &e));
	/* TTL expired, nobody to answer it: the kernel gets it as before */
	e = (struct expect){ XDP_PASS, GK_CLASS_TTL_EXPIRED, -1,
			     { GK_XDP_EV_NO_XSK, GK_XDP_EV_PASS, -1 }, NULL };
	tally(check(in, "side_ttl_no_xsk", env->if_noxsk, 0, te->data, te->len,
		    &e));
	/* MAP-E wants a worker too; without one, the kernel gets it */
	e = (struct expect){ XDP_PASS, GK_CLASS_MAPE_BR, -1,
			     { GK_XDP_EV_NO_XSK, GK_XDP_EV_PASS, -1 }, NULL };
	tally(check(in, "side_mape_br_no_xsk", env->if_noxsk, 0, br->data,
		    br->len, &e));
	e.cls = GK_CLASS_MAPE_CE;
	tally(check(in, "side_mape_ce6_no_xsk", env->if_noxsk, 0, ce6->data,
		    ce6->len, &e));
	/* not a genkan port: nothing classified, not even drops */
	e = (struct expect){ XDP_PASS, -1, -1,
			     { GK_XDP_EV_NO_PORT, GK_XDP_EV_PASS, -1 }, NULL };
	tally(check(in, "side_unknown_ifindex", env->if_lo, 0, tr->data,
		    tr->len, &e));
	tally(check(in, "side_unknown_ifindex_malformed", env->if_lo, 0,
		    dr->data, dr->len, &e));
	tally(check(in, "side_port_disabled", env->if_off, 0, tr->data,
		    tr->len, &e));
	tally(check(in, "side_port_disabled_mape", env->if_off, 0, ce6->data,
		    ce6->len, &e));
	/* the CE flag without GK_PORT_F_ENABLED does not enable a port */
	{
		struct gk_port_info pi = { .port_id = PORT_OFF,
					   .flags = GK_PORT_F_MAPE_CE_V4 };
		__u32 k = env->if_off;

		if (bpf_map_update_elem(bpf_map__fd(in->skel->maps.gk_ports),
					&k, &pi, BPF_ANY)) {
			tally(1);
		} else {
			tally(check(in, "side_ce_flag_on_disabled_port",
				    env->if_off, 0, ce->data, ce->len, &e));
			pi.flags = 0;
			bpf_map_update_elem(bpf_map__fd(in->skel->maps.gk_ports),
					    &k, &pi, BPF_ANY);
		}
	}
	/* drops happen on any enabled port, socket or not */
	e = (struct expect){ XDP_DROP, GK_CLASS_DROPPED, GK_XDP_DROP_BAD_IHL,
			     { GK_XDP_EV_DROP, -1, -1 }, NULL };
	tally(check(in, "side_drop_on_port_without_xsk", env->if_noxsk, 0,
		    dr->data, dr->len, &e));
}

static __u64 rng_state = FUZZ_SEED;

static __u64 rng(void)
{
	/* xorshift64*: deterministic, so a failure reproduces */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/*
 * Mutated fixtures through both classifiers; they must agree on verdict,
 * class, drop reason and metadata. Frames under 14 bytes are skipped:
 * BPF_PROG_TEST_RUN refuses them.
 */
static void differential(const struct inst *in, const struct env *env,
			 const struct fixture *fx, size_t n, __u32 cfg_flags)
{
	struct gk_classify_cfg cfg = {
		.is_local4 = fx_is_local4,
		.is_local6 = fx_is_local6,
		.flags = cfg_flags,
		.mape_v6 = fx_mape_v6,
		.mape_v4 = fx_mape_v4,
		.l4svc = fx_l4svc,
	};
	struct counters before, after;
	uint8_t buf[OUT_MAX], out[OUT_MAX];
	int k, j, nflip, retval, ok = 0, bad = 0, want_rv, bpf_cls, bpf_drop;
	enum gk_xdp_drop why;
	struct gk_xdp_meta m;
	enum gk_cls_action act;
	uint32_t len, out_len, i;
	size_t f;

	for (f = 0; f < n; f++) {
		if (fx[f].len < 14)
			continue;
		cfg.mape_ce_v4_port = fx[f].mape_ce_port;
		cfg.wg_listen_port = fx[f].wg_off ? 0 : FX_WG_PORT;
		if (set_ce_flag(in, env, fx[f].mape_ce_port) ||
		    set_wg(in, !fx[f].wg_off)) {
			bad++;
			continue;
		}
		for (k = 0; k < FUZZ_PER_FIX; k++) {
			len = fx[f].len;
			memcpy(buf, fx[f].data, len);
			/* flip a few bytes in the headers, maybe truncate */
			nflip = 1 + (int)(rng() % 3);
			for (j = 0; j < nflip; j++) {
				i = (uint32_t)(rng() % (len < 90 ? len : 90));
				buf[i] ^= (uint8_t)(1u << (rng() % 8));
				if (rng() % 4 == 0)
					buf[i] = (uint8_t)rng();
			}
			if (rng() % 3 == 0)
				len = 14 + (uint32_t)(rng() % (len - 13));

			act = gk_classify(buf, len, &cfg, &m, &why);
			want_rv = act == GK_CLS_WORKER ? XDP_REDIRECT :
				  act == GK_CLS_KERNEL ? XDP_PASS : XDP_DROP;
			if (read_stats(in, &before) ||
			    run(in, env->if_xsk, 0, buf, len, out, &out_len,
				&retval) ||
			    read_stats(in, &after)) {
				bad++;
				continue;
			}
			bpf_cls = -1;
			bpf_drop = -1;
			for (j = 0; j < GK_CLASS_MAX; j++)
				if (after.c[j].packets != before.c[j].packets)
					bpf_cls = j;
			for (j = 0; j < GK_XDP_DROP_MAX; j++)
				if (after.c[GK_STAT_DROP(j)].packets !=
				    before.c[GK_STAT_DROP(j)].packets)
					bpf_drop = j;
			if (retval != want_rv || bpf_cls != m.class ||
			    (act == GK_CLS_DROP && bpf_drop != (int)why) ||
			    (act == GK_CLS_WORKER && !hand_parse &&
			     (out_len != len + sizeof(m) ||
			      memcmp(out, &m, sizeof(m)))) ||
			    (act == GK_CLS_WORKER && hand_parse &&
			     (out_len != len || memcmp(out, buf, len)))) {
				char a[160];

				meta_str(&m, a, sizeof(a));
				printf("FAIL differential %s #%d len %u: bpf %d class %s drop %s; "
				       "sw %d %s\n", fx[f].name, k, len, retval,
				       fx_class_name(bpf_cls), fx_drop_name(bpf_drop),
				       want_rv, a);
				bad++;
			} else {
				ok++;
			}
		}
	}
	if (set_ce_flag(in, env, false) || set_wg(in, true))
		bad++;
	printf("differential (flags %#x): %d agreed, %d disagreed\n",
	       cfg_flags, ok, bad);
	tally(bad != 0);
}

/* gk_hand_fail[PORT_XSK], summed over CPUs. */
static __u64 hand_fails(const struct inst *in)
{
	static __u64 v[MAX_CPUS];
	__u32 k = PORT_XSK;
	__u64 sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(in->skel->maps.gk_hand_fail), &k, v))
		return ~0ull;
	for (int c = 0; c < in->nr_cpus; c++)
		sum += v[c];
	return sum;
}

/*
 * A hand-off that cannot be attached (the test switch, or a mode whose
 * helper is dead code) drops the packet -- never PASS -- and counts it per
 * port; HOLD drops worker-bound packets while a switch drains.
 */
static void hand_cases(const struct env *env, const struct fixture *fx,
		       size_t n, const char *mode, __u32 live)
{
	const struct fixture *tr = find(fx, n, "v4_tcp");
	const struct fixture *lo = find(fx, n, "arp_request");
	struct inst in = {};
	struct expect e;
	char name[96];
	__u64 f0;
	int err;

	err = inst_open(&in, live | GK_CFG_F_TEST_HAND_FAIL);
	if (!err)
		err = maps_fill(&in, env);
	if (err) {
		printf("FAIL %s/hand_fail: setup: %s\n", mode, strerror(-err));
		tally(1);
		if (in.skel)
			classifier_bpf__destroy(in.skel);
		return;
	}
	f0 = hand_fails(&in);
	e = (struct expect){ XDP_DROP, GK_CLASS_TRANSIT, -1,
			     { GK_XDP_EV_META_FAIL, GK_XDP_EV_DROP, -1 }, NULL };
	snprintf(name, sizeof(name), "%s/hand_fail_drops", mode);
	tally(check(&in, name, env->if_xsk, 0, tr->data, tr->len, &e));
	if (hand_fails(&in) != f0 + 1) {
		printf("FAIL %s/hand_fail: gk_hand_fail[port] +%llu, want +1\n",
		       mode, (unsigned long long)(hand_fails(&in) - f0));
		tally(1);
	}
	/* what goes to the kernel anyway is not affected */
	e = (struct expect){ XDP_PASS, GK_CLASS_CONTROL, -1,
			     { GK_XDP_EV_PASS, -1, -1 }, NULL };
	snprintf(name, sizeof(name), "%s/hand_fail_kernel_unaffected", mode);
	tally(check(&in, name, env->if_xsk, 0, lo->data, lo->len, &e));
	classifier_bpf__destroy(in.skel);
}

static void hold_case(const struct inst *in, const struct env *env,
		      const struct fixture *fx, size_t n, const char *mode)
{
	const struct fixture *tr = find(fx, n, "v4_tcp");
	struct gk_port_info pi = { .port_id = PORT_XSK,
				   .flags = GK_PORT_F_ENABLED | hand_flags |
					    GK_PORT_F_HOLD };
	__u32 k = env->if_xsk;
	struct expect e = { XDP_DROP, GK_CLASS_TRANSIT, -1,
			    { GK_XDP_EV_HOLD, GK_XDP_EV_DROP, -1 }, NULL };
	char name[96];

	snprintf(name, sizeof(name), "%s/hold_drops", mode);
	if (bpf_map_update_elem(bpf_map__fd(in->skel->maps.gk_ports), &k, &pi,
				BPF_ANY)) {
		tally(1);
		return;
	}
	tally(check(in, name, env->if_xsk, 0, tr->data, tr->len, &e));
	tally(set_ce_flag(in, env, false) != 0);
}

/*
 * One hand-off mode: its flags on port 1 and the rodata that leaves only
 * its helper live. A kernel that refuses the helper refuses the program:
 * reported, never counted as passed.
 */
struct mode {
	const char *name;
	__u32 port_flags;
	__u32 live;		/* rodata: the other helpers are dead code */
	bool parse;
};

static const struct mode modes[] = {
	{ "meta", 0, GK_CFG_F_NO_HEAD, false },
	{ "head", GK_PORT_F_HAND_HEAD, GK_CFG_F_NO_META, false },
	{ "parse", GK_PORT_F_HAND_PARSE, GK_CFG_F_NO_META | GK_CFG_F_NO_HEAD,
	  true },
};

static void fixtures_run(const struct inst *in, const struct env *env,
			 const struct fixture *fx, size_t n, const char *pfx,
			 __u32 cfg_flags)
{
	struct expect e;
	char name[128];
	size_t i;

	for (i = 0; i < n; i++) {
		if (fx[i].len < 14) {
			/* BPF_PROG_TEST_RUN needs an Ethernet header */
			printf("SKIP %s/%s: %u bytes\n", pfx, fx[i].name,
			       fx[i].len);
			skipped++;
			continue;
		}
		snprintf(name, sizeof(name), "%s/%s", pfx, fx[i].name);
		e = fixture_expect(&fx[i], cfg_flags);
		tally(check_fixture(in, env, &fx[i], name, &e));
	}
}

/* PASS_ALL or TTL_TO_KERNEL on top of a mode's rodata. */
static int variant(const struct env *env, const struct fixture *fx, size_t n,
		   const struct mode *m, __u32 flag, const char *what)
{
	struct inst in = {};
	char pfx[64];
	int err;

	err = inst_open(&in, m->live | flag);
	if (err) {
		fprintf(stderr, "loading %s classifier: %s\n", what,
			strerror(-err));
		return err;
	}
	err = maps_fill(&in, env);
	if (err) {
		classifier_bpf__destroy(in.skel);
		return err;
	}
	snprintf(pfx, sizeof(pfx), "%s/%s", m->name, what);
	fixtures_run(&in, env, fx, n, pfx, flag);
	if (flag == GK_CFG_F_TTL_TO_KERNEL)
		differential(&in, env, fx, n, flag);
	classifier_bpf__destroy(in.skel);
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	struct env env = {};
	struct fixture *fx;
	size_t n;
	int err, accepted = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURE_FILE\n", argv[0]);
		return 2;
	}
	if (geteuid()) {
		fprintf(stderr, "needs root (BPF, netns, AF_XDP)\n");
		return 77;	/* meson: skipped */
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	setrlimit(RLIMIT_MEMLOCK, &rl);
	libbpf_set_print(NULL);	/* a refused mode's verifier log is noise */

	err = fx_load(argv[1], &fx, &n);
	if (err)
		return 1;
	err = netns_setup(&env);
	if (err)
		goto err_fx;
	err = xsk_setup(&env);
	if (err)
		goto err_fx;

	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		const struct mode *m = &modes[k];
		struct inst in = {};

		hand_flags = m->port_flags;
		hand_parse = m->parse;
		err = inst_open(&in, m->live);
		if (err) {
			/* parse calls neither helper: it must always load */
			if (m->parse || err != -EINVAL) {
				fprintf(stderr, "loading classifier (%s): %s\n",
					m->name, strerror(-err));
				goto err_xsk;
			}
			printf("REFUSED %s: this kernel's verifier refuses the "
			       "classifier with only the %s hand-off live\n",
			       m->name, m->name);
			refused++;
			continue;
		}
		accepted++;
		err = maps_fill(&in, &env);
		if (err) {
			fprintf(stderr, "filling maps: %s\n", strerror(-err));
			classifier_bpf__destroy(in.skel);
			goto err_xsk;
		}
		printf("== hand-off %s\n", m->name);
		fixtures_run(&in, &env, fx, n, m->name, 0);
		side_cases(&in, &env, fx, n);
		differential(&in, &env, fx, n, 0);
		if (!m->parse) {
			hold_case(&in, &env, fx, n, m->name);
			hand_cases(&env, fx, n, m->name, m->live);
			/* the mode's helper refused (dead code): drop, count */
			hand_cases(&env, fx, n, m->name,
				   GK_CFG_F_NO_META | GK_CFG_F_NO_HEAD);
		}
		classifier_bpf__destroy(in.skel);

		/* PASS_ALL: same classes and counters, verdict always PASS;
		 * TTL_TO_KERNEL: TTL_EXPIRED passes, the rest unchanged */
		err = variant(&env, fx, n, m, GK_CFG_F_PASS_ALL, "pass_all");
		if (!err)
			err = variant(&env, fx, n, m, GK_CFG_F_TTL_TO_KERNEL,
				      "ttl_to_kernel");
		if (err)
			goto err_xsk;
	}
	hand_flags = 0;
	hand_parse = false;

	printf("hand-off modes: %d accepted, %d refused by this kernel\n",
	       accepted, refused);
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	xsk_teardown(&env);
	fx_free(fx, n);
	return failed ? 1 : 0;

err_xsk:
	xsk_teardown(&env);
err_fx:
	fx_free(fx, n);
	return 1;
}
