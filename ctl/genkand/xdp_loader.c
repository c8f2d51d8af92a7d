// SPDX-License-Identifier: BSD-3-Clause
/*
 * XDP classifier loader: skeleton, pins, bpf_link attachment, map sync.
 *
 * Crash safety: programs are attached with bpf_links owned by this process,
 * so the kernel detaches them when the process dies. Pins do survive a
 * crash; the next load of the same instance removes them before pinning.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "classifier.skel.h"
#include "cls_tables.h"
#include "xdp_loader.h"

struct attachment {
	uint32_t ifindex;
	int link_fd;
};

/*
 * What the maps hold, for the software twin (gk_xdp_cls_build): every
 * successful map write updates it and bumps gen.
 */
struct mirror {
	uint64_t gen;
	uint32_t cfg_flags;
	uint32_t port_flags[GK_MAX_PORTS];	/* by port_id */
	struct gk_wg_xdp wg;
	uint32_t *local4;
	size_t nr_local4;
	uint8_t (*local6)[16];
	size_t nr_local6;
	struct gk_cls_v6 *mape6;
	size_t nr_mape6;
	struct gk_cls_v4 *mape4;
	size_t nr_mape4;
	struct gk_l4_key *l4;
	size_t nr_l4;
};

struct gk_xdp {
	struct classifier_bpf *skel;
	struct mirror m;
	char pin_dir[PATH_MAX];
	bool pinned;
	bool skb_mode;
	size_t natt;
	struct attachment att[GK_MAX_PORTS];
};

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * The bpffs mount point is the parent of the "genkan" component
 * (/sys/fs/bpf for /sys/fs/bpf/genkan/<instance>). `ip netns exec`
 * remounts /sys, hiding the host's bpffs, so mount one if needed.
 */
static int ensure_bpffs(const char *pin_dir, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	const char *g = NULL, *p = pin_dir;
	struct statfs st;
	size_t len;
	int ret;

	while ((p = strstr(p, "/genkan"))) {
		if (p[7] == '/' || p[7] == 0)
			g = p;
		p += 7;
	}
	if (!g)
		g = strrchr(pin_dir, '/');
	len = g ? (size_t)(g - pin_dir) : 0;
	if (len == 0 || len >= sizeof(parent)) {
		snprintf(err, errlen, "pin dir %s: need an absolute path below a bpffs", pin_dir);
		return -EINVAL;
	}
	memcpy(parent, pin_dir, len);
	parent[len] = 0;

	if (statfs(parent, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	ret = mkdir_p(parent, 0700);
	if (ret) {
		snprintf(err, errlen, "mkdir %s: %s", parent, strerror(-ret));
		return ret;
	}
	if (mount("bpf", parent, "bpf", 0, "mode=0700")) {
		ret = -errno;
		snprintf(err, errlen, "mount bpffs on %s: %s", parent, strerror(errno));
		return ret;
	}
	return 0;
}

/*
 * 1 if the verifier takes an XDP program that calls helper with (ctx, -16),
 * 0 if it refuses it, -errno if the probe itself failed. libbpf's
 * libbpf_probe_bpf_helper() only looks for "unknown func" and so reports
 * "program of this type cannot use helper" as supported.
 */
static int probe_helper(int helper)
{
	const struct bpf_insn insns[] = {
		/* r2 = -16; call helper; r0 = XDP_PASS; exit */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2,
		  .imm = -16 },
		{ .code = BPF_JMP | BPF_CALL, .imm = helper },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char log[512];
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = log,
		    .log_size = sizeof(log), .log_level = 1);
	int fd;

	log[0] = 0;
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "gk_probe", "GPL", insns,
			   sizeof(insns) / sizeof(insns[0]), &o);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (errno == EINVAL || errno == EACCES)
		return 0;	/* the verifier said no */
	return -errno;
}

unsigned gk_xdp_probe_hand(char *why, size_t whylen)
{
	int meta = probe_helper(BPF_FUNC_xdp_adjust_meta);
	int head = probe_helper(BPF_FUNC_xdp_adjust_head);
	unsigned ok = (meta == 1 ? GK_XDP_HAND_OK_META : 0) |
		      (head == 1 ? GK_XDP_HAND_OK_HEAD : 0);

	snprintf(why, whylen,
		 "verifier %s bpf_xdp_adjust_meta%s, %s bpf_xdp_adjust_head%s",
		 meta == 1 ? "accepts" : "refuses", meta < 0 ? " (probe failed)" : "",
		 head == 1 ? "accepts" : "refuses", head < 0 ? " (probe failed)" : "");
	return ok;
}

static int pin_path(const struct gk_xdp *x, const struct bpf_map *map, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", x->pin_dir, bpf_map__name(map));

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Our maps' pins; a crash leaves them behind and bpf_obj_pin refuses to overwrite. */
static int unpin_all(struct gk_xdp *x)
{
	struct bpf_map *map;
	char path[PATH_MAX];
	int ret = 0;

	bpf_object__for_each_map(map, x->skel->obj) {
		if (bpf_map__is_internal(map))
			continue;
		if (pin_path(x, map, path, sizeof(path)))
			return -ENAMETOOLONG;
		if (unlink(path) && errno != ENOENT)
			ret = -errno;
	}
	return ret;
}

static int pin_all(struct gk_xdp *x, char *err, size_t errlen)
{
	struct bpf_map *map;
	char path[PATH_MAX];
	int ret;

	bpf_object__for_each_map(map, x->skel->obj) {
		if (bpf_map__is_internal(map))
			continue;
		ret = pin_path(x, map, path, sizeof(path));
		if (!ret)
			ret = bpf_map__pin(map, path);
		if (ret) {
			snprintf(err, errlen, "pin %s/%s: %s", x->pin_dir, bpf_map__name(map),
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

struct gk_xdp *gk_xdp_load(const struct gk_xdp_opts *o, char *err, size_t errlen)
{
	struct gk_xdp *x;
	int ret;

	x = calloc(1, sizeof(*x));
	if (!x) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	x->skb_mode = o->skb_mode;
	if (o->pin_dir) {
		if (snprintf(x->pin_dir, sizeof(x->pin_dir), "%s", o->pin_dir) >=
		    (int)sizeof(x->pin_dir)) {
			snprintf(err, errlen, "pin dir too long");
			goto err_free;
		}
		if (ensure_bpffs(x->pin_dir, err, errlen))
			goto err_free;
		ret = mkdir_p(x->pin_dir, 0700);
		if (ret) {
			snprintf(err, errlen, "mkdir %s: %s", x->pin_dir, strerror(-ret));
			goto err_free;
		}
	}

	x->skel = classifier_bpf__open();
	if (!x->skel) {
		snprintf(err, errlen, "open classifier skeleton: %s", strerror(errno));
		goto err_free;
	}
	x->skel->rodata->gk_cfg_nr_queues = o->nr_queues;
	x->skel->rodata->gk_cfg_flags = o->flags;
	x->m.cfg_flags = o->flags;
	x->m.gen = 1;
	ret = classifier_bpf__load(x->skel);
	if (ret) {
		snprintf(err, errlen, "load classifier: %s", strerror(-ret));
		goto err_destroy;
	}

	if (o->pin_dir) {
		ret = unpin_all(x);
		if (ret) {
			snprintf(err, errlen, "remove stale pins in %s: %s", x->pin_dir,
				 strerror(-ret));
			goto err_destroy;
		}
		x->pinned = true;
		if (pin_all(x, err, errlen))
			goto err_unpin;
	}
	return x;

err_unpin:
	unpin_all(x);
err_destroy:
	classifier_bpf__destroy(x->skel);
	if (o->pin_dir)
		rmdir(x->pin_dir);	/* only if we left it empty */
err_free:
	free(x);
	return NULL;
}

static struct attachment *find_att(struct gk_xdp *x, uint32_t ifindex)
{
	for (size_t i = 0; i < x->natt; i++)
		if (x->att[i].ifindex == ifindex)
			return &x->att[i];
	return NULL;
}

/*
 * Clear whatever XDP program sits on ifindex before we attach: a leftover
 * gk_classify (netlink-attached, e.g. by a crashed older run or a test) is
 * removed; anything else belongs to someone else and is left alone.
 */
static int clear_leftover(uint32_t ifindex, const char *ifname, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct {
		uint32_t id;
		uint32_t mode;
	} slots[3];
	int ret;

	ret = bpf_xdp_query(ifindex, 0, &q);
	if (ret) {
		snprintf(err, errlen, "%s: query XDP: %s", ifname, strerror(-ret));
		return ret;
	}
	slots[0].id = q.drv_prog_id;
	slots[0].mode = XDP_FLAGS_DRV_MODE;
	slots[1].id = q.skb_prog_id;
	slots[1].mode = XDP_FLAGS_SKB_MODE;
	slots[2].id = q.hw_prog_id;
	slots[2].mode = XDP_FLAGS_HW_MODE;

	for (int i = 0; i < 3; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd;

		if (!slots[i].id)
			continue;
		memset(&info, 0, sizeof(info));
		fd = bpf_prog_get_fd_by_id(slots[i].id);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;	/* went away meanwhile */
			/*
			 * genkand keeps no CAP_SYS_ADMIN (docs/security.md),
			 * which the kernel asks to open a program by id: it
			 * cannot tell a leftover of its own from a foreign one.
			 */
			if (errno == EPERM) {
				snprintf(err, errlen,
					 "%s already carries XDP program id %u, which genkand (without CAP_SYS_ADMIN) cannot inspect; refusing to replace it (detach it: ip link set dev %s xdp off)",
					 ifname, slots[i].id, ifname);
				return -EBUSY;
			}
			ret = -errno;
			snprintf(err, errlen, "%s: XDP program id %u: %s", ifname, slots[i].id,
				 strerror(errno));
			return ret;
		}
		ret = bpf_obj_get_info_by_fd(fd, &info, &len);
		close(fd);
		if (ret) {
			snprintf(err, errlen, "%s: XDP program id %u info: %s", ifname,
				 slots[i].id, strerror(-ret));
			return ret;
		}
		if (strcmp(info.name, GK_XDP_PROG_NAME)) {
			snprintf(err, errlen,
				 "%s already carries XDP program '%s' (id %u); refusing to replace it",
				 ifname, info.name, slots[i].id);
			return -EBUSY;
		}
		ret = bpf_xdp_detach(ifindex, slots[i].mode, NULL);
		if (ret) {
			/* a live bpf_link (another genkand) cannot be removed this way */
			snprintf(err, errlen,
				 "%s: cannot detach leftover %s (id %u), another genkan may own it: %s",
				 ifname, GK_XDP_PROG_NAME, slots[i].id, strerror(-ret));
			return ret == -EBUSY ? -EBUSY : ret;
		}
	}
	return 0;
}

int gk_xdp_attach(struct gk_xdp *x, uint32_t ifindex, char *err, size_t errlen)
{
	/*
	 * bpf_link_create() rather than bpf_program__attach_xdp(): the latter
	 * passes no mode flags, and the kernel would then fall back to generic
	 * XDP silently where native mode was asked for.
	 */
	LIBBPF_OPTS(bpf_link_create_opts, lo,
		    .flags = x->skb_mode ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	char ifname[IF_NAMESIZE] = "?";
	int fd, ret;

	if (find_att(x, ifindex))
		return 0;
	if (x->natt == GK_MAX_PORTS) {
		snprintf(err, errlen, "more than %d XDP attachments", GK_MAX_PORTS);
		return -ENOSPC;
	}
	if (!if_indextoname(ifindex, ifname)) {
		snprintf(err, errlen, "ifindex %u: %s", ifindex, strerror(errno));
		return -ENODEV;
	}
	ret = clear_leftover(ifindex, ifname, err, errlen);
	if (ret)
		return ret;
	fd = bpf_link_create(bpf_program__fd(x->skel->progs.gk_classify), ifindex, BPF_XDP, &lo);
	if (fd < 0) {
		snprintf(err, errlen, "%s: attach XDP (%s mode): %s", ifname,
			 x->skb_mode ? "skb" : "driver", strerror(-fd));
		return fd;
	}
	x->att[x->natt].ifindex = ifindex;
	x->att[x->natt].link_fd = fd;
	x->natt++;
	return 0;
}

int gk_xdp_detach(struct gk_xdp *x, uint32_t ifindex)
{
	struct attachment *a = find_att(x, ifindex);

	if (!a)
		return -ENOENT;
	/* the link is ours alone: closing it detaches */
	close(a->link_fd);
	*a = x->att[--x->natt];
	return 0;
}

int gk_xdp_set_port(struct gk_xdp *x, uint32_t ifindex, uint32_t port_id, uint32_t flags)
{
	struct gk_port_info v = { .port_id = port_id, .flags = flags };
	int ret;

	if (port_id >= GK_MAX_PORTS)
		return -EINVAL;
	ret = bpf_map__update_elem(x->skel->maps.gk_ports, &ifindex, sizeof(ifindex), &v,
				   sizeof(v), BPF_ANY);
	if (!ret && x->m.port_flags[port_id] != flags) {
		x->m.port_flags[port_id] = flags;
		x->m.gen++;
	}
	return ret;
}

int gk_xdp_set_wg(struct gk_xdp *x, const struct gk_wg_xdp *wg)
{
	uint32_t zero = 0;
	int ret;

	ret = bpf_map__update_elem(x->skel->maps.gk_wg, &zero, sizeof(zero), wg,
				   sizeof(*wg), BPF_ANY);
	if (!ret) {
		x->m.wg = *wg;
		x->m.gen++;
	}
	return ret;
}

int gk_xdp_del_port(struct gk_xdp *x, uint32_t ifindex)
{
	return bpf_map__delete_elem(x->skel->maps.gk_ports, &ifindex, sizeof(ifindex), 0);
}

static bool addr_wanted(const struct gk_nl_addr *addrs, size_t n, int family, const void *key,
			size_t klen)
{
	for (size_t i = 0; i < n; i++)
		if (addrs[i].family == family && !memcmp(addrs[i].addr, key, klen))
			return true;
	return false;
}

/* One family: delete keys not in addrs, then add addrs. */
static int sync_family(struct bpf_map *map, const struct gk_nl_addr *addrs, size_t n, int family,
		       size_t klen)
{
	size_t max = bpf_map__max_entries(map), nstale = 0;
	uint8_t key[16], *stale;
	uint8_t one = 1;
	bool first = true;
	int ret = 0;

	/* collect first: deleting while walking restarts get_next_key */
	stale = calloc(max, klen);
	if (!stale)
		return -ENOMEM;
	while (nstale < max && !bpf_map__get_next_key(map, first ? NULL : key, key, klen)) {
		first = false;
		if (!addr_wanted(addrs, n, family, key, klen))
			memcpy(stale + nstale++ * klen, key, klen);
	}
	for (size_t i = 0; i < nstale; i++) {
		ret = bpf_map__delete_elem(map, stale + i * klen, klen, 0);
		if (ret && ret != -ENOENT)
			goto out;
	}
	ret = 0;
	for (size_t i = 0; i < n && !ret; i++)
		if (addrs[i].family == family)
			ret = bpf_map__update_elem(map, addrs[i].addr, klen, &one, sizeof(one),
						   BPF_ANY);
out:
	free(stale);
	return ret;
}

int gk_xdp_sync_local(struct gk_xdp *x, const struct gk_nl_addr *addrs, size_t n)
{
	uint32_t *l4;
	uint8_t (*l6)[16];
	size_t n4 = 0, n6 = 0;
	int ret;

	ret = sync_family(x->skel->maps.gk_local4, addrs, n, AF_INET, 4);
	if (!ret)
		ret = sync_family(x->skel->maps.gk_local6, addrs, n, AF_INET6, 16);
	if (ret)
		return ret;
	l4 = calloc(n ? n : 1, sizeof(*l4));
	l6 = calloc(n ? n : 1, sizeof(*l6));
	if (!l4 || !l6) {
		free(l4);
		free(l6);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (addrs[i].family == AF_INET)
			memcpy(&l4[n4++], addrs[i].addr, 4);
		else if (addrs[i].family == AF_INET6)
			memcpy(l6[n6++], addrs[i].addr, 16);
	}
	free(x->m.local4);
	free(x->m.local6);
	x->m.local4 = l4;
	x->m.nr_local4 = n4;
	x->m.local6 = l6;
	x->m.nr_local6 = n6;
	x->m.gen++;
	return 0;
}

/*
 * Make map hold exactly the n keys (klen bytes each, back to back) with
 * their one-byte values: delete stale keys, then add or update the rest.
 */
static int sync_exact(struct bpf_map *map, const uint8_t *keys, const uint8_t *vals, size_t n,
		      size_t klen)
{
	size_t max = bpf_map__max_entries(map), nstale = 0, i, j;
	uint8_t key[16], *stale;
	bool first = true, want;
	int ret = 0;

	/* collect first: deleting while walking restarts get_next_key */
	stale = calloc(max ? max : 1, klen);
	if (!stale)
		return -ENOMEM;
	while (nstale < max && !bpf_map__get_next_key(map, first ? NULL : key, key, klen)) {
		first = false;
		want = false;
		for (j = 0; j < n && !want; j++)
			want = !memcmp(keys + j * klen, key, klen);
		if (!want)
			memcpy(stale + nstale++ * klen, key, klen);
	}
	for (i = 0; i < nstale; i++) {
		ret = bpf_map__delete_elem(map, stale + i * klen, klen, 0);
		if (ret && ret != -ENOENT)
			goto out;
	}
	ret = 0;
	for (i = 0; i < n && !ret; i++)
		ret = bpf_map__update_elem(map, keys + i * klen, klen, &vals[i], 1, BPF_ANY);
out:
	free(stale);
	return ret;
}

static bool mape_cls_ok(uint8_t cls)
{
	return cls == GK_CLASS_MAPE_CE || cls == GK_CLASS_MAPE_BR;
}

static int mirror_mape(struct mirror *m, const struct gk_mape_v6_entry *v6, size_t n6,
		       const struct gk_mape_v4_entry *v4, size_t n4)
{
	struct gk_cls_v6 *m6 = calloc(n6 ? n6 : 1, sizeof(*m6));
	struct gk_cls_v4 *m4 = calloc(n4 ? n4 : 1, sizeof(*m4));
	size_t i;

	if (!m6 || !m4) {
		free(m6);
		free(m4);
		return -ENOMEM;
	}
	for (i = 0; i < n6; i++) {
		memcpy(m6[i].addr, v6[i].addr, 16);
		m6[i].cls = v6[i].cls;
	}
	for (i = 0; i < n4; i++) {
		memcpy(&m4[i].prefix, v4[i].prefix, 4);
		m4[i].plen = v4[i].plen;
		m4[i].cls = v4[i].cls;
	}
	free(m->mape6);
	free(m->mape4);
	m->mape6 = m6;
	m->nr_mape6 = n6;
	m->mape4 = m4;
	m->nr_mape4 = n4;
	m->gen++;
	return 0;
}

int gk_xdp_mape_sync(struct gk_xdp *x, const struct gk_mape_v6_entry *v6, size_t n6,
		     const struct gk_mape_v4_entry *v4, size_t n4)
{
	struct gk_lpm4_key *k4;
	uint8_t *k6, *val;
	uint32_t a, mask;
	size_t i;
	int ret;

	if (n6 > GK_MAX_MAPE_V6 || n4 > GK_MAX_MAPE_V4)
		return -E2BIG;
	if ((n6 && !v6) || (n4 && !v4))
		return -EINVAL;
	for (i = 0; i < n6; i++)
		if (!mape_cls_ok(v6[i].cls))
			return -EINVAL;
	for (i = 0; i < n4; i++)
		if (!mape_cls_ok(v4[i].cls) || v4[i].plen > 32)
			return -EINVAL;

	k6 = calloc(n6 ? n6 : 1, sizeof(struct gk_in6));
	k4 = calloc(n4 ? n4 : 1, sizeof(*k4));
	val = calloc(n6 + n4 ? n6 + n4 : 1, 1);
	if (!k6 || !k4 || !val) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n6; i++) {
		memcpy(k6 + i * sizeof(struct gk_in6), v6[i].addr, 16);
		val[i] = v6[i].cls;
	}
	for (i = 0; i < n4; i++) {
		/* one key per prefix: what sync_exact compares must be canonical */
		memcpy(&a, v4[i].prefix, 4);
		mask = v4[i].plen ? htonl(~0u << (32 - v4[i].plen)) : 0;
		k4[i].prefixlen = v4[i].plen;
		k4[i].addr = a & mask;
		val[n6 + i] = v4[i].cls;
	}
	ret = sync_exact(x->skel->maps.gk_mape_v6, k6, val, n6, sizeof(struct gk_in6));
	if (!ret)
		ret = sync_exact(x->skel->maps.gk_mape_v4, (const uint8_t *)k4, val + n6, n4,
				 sizeof(*k4));
	if (!ret)
		ret = mirror_mape(&x->m, v6, n6, v4, n4);
out:
	free(val);
	free(k4);
	free(k6);
	return ret;
}

int gk_xdp_l4_sync(struct gk_xdp *x, const struct gk_l4_key *keys,
		   const uint32_t *ids, size_t n)
{
	struct bpf_map *map = x->skel->maps.gk_l4svc;
	struct gk_l4_key k, next, *stale, *copy;
	size_t nstale = 0, i, j;
	bool first = true, want;
	int ret = 0;

	if (n > GK_MAX_L4_KEYS)
		return -E2BIG;
	for (i = 0; i < n; i++)
		if ((keys[i].family != 4 && keys[i].family != 6) ||
		    (keys[i].proto != IPPROTO_TCP && keys[i].proto != IPPROTO_UDP &&
		     (keys[i].proto || keys[i].port)))
			return -EINVAL;
	stale = calloc(GK_MAX_L4_KEYS, sizeof(*stale));
	copy = calloc(n ? n : 1, sizeof(*copy));
	if (!stale || !copy) {
		ret = -ENOMEM;
		goto out;
	}
	/* collect first: deleting while walking restarts get_next_key */
	while (nstale < GK_MAX_L4_KEYS &&
	       !bpf_map__get_next_key(map, first ? NULL : &k, &next, sizeof(k))) {
		first = false;
		k = next;
		for (want = false, j = 0; j < n && !want; j++)
			want = !memcmp(&keys[j], &k, sizeof(k));
		if (!want)
			stale[nstale++] = k;
	}
	for (i = 0; i < nstale; i++) {
		ret = bpf_map__delete_elem(map, &stale[i], sizeof(k), 0);
		if (ret && ret != -ENOENT)
			goto out;
	}
	ret = 0;
	for (i = 0; i < n && !ret; i++)
		ret = bpf_map__update_elem(map, &keys[i], sizeof(k), &ids[i],
					   sizeof(ids[i]), BPF_ANY);
	if (ret)
		goto out;
	memcpy(copy, keys, n * sizeof(*copy));
	free(x->m.l4);
	x->m.l4 = copy;
	x->m.nr_l4 = n;
	copy = NULL;
	x->m.gen++;
out:
	free(copy);
	free(stale);
	return ret;
}

int gk_xdp_xsks_fd(const struct gk_xdp *x)
{
	return bpf_map__fd(x->skel->maps.gk_xsks);
}

int gk_xdp_read_stats(const struct gk_xdp *x, struct gk_xdp_counter *out)
{
	struct gk_xdp_counter *pc;
	int ncpu = libbpf_num_possible_cpus();
	int ret = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	pc = calloc(ncpu, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	for (uint32_t k = 0; k < GK_STAT_MAX; k++) {
		ret = bpf_map__lookup_elem(x->skel->maps.gk_stats, &k, sizeof(k), pc,
					   ncpu * sizeof(*pc), 0);
		if (ret)
			break;
		out[k].packets = 0;
		out[k].bytes = 0;
		for (int c = 0; c < ncpu; c++) {
			out[k].packets += pc[c].packets;
			out[k].bytes += pc[c].bytes;
		}
	}
	free(pc);
	return ret;
}

/*
 * Every slot of a GK_MAX_PORTS-entry per-CPU array of u64 into v (slot
 * k's CPUs at v[k * ncpu]): one batched lookup where the kernel has it
 * (the daemon reads this map ten times a second), else slot by slot.
 */
static int read_all_percpu(int fd, uint64_t *v, int ncpu)
{
	uint32_t keys[GK_MAX_PORTS], out_batch, count = GK_MAX_PORTS;
	int ret;

	ret = bpf_map_lookup_batch(fd, NULL, &out_batch, keys, v, &count, NULL);
	/* ENOENT: the batch reached the end of the array */
	if ((!ret || ret == -ENOENT) && count == GK_MAX_PORTS) {
		uint32_t k = 0;

		while (k < GK_MAX_PORTS && keys[k] == k)
			k++;
		if (k == GK_MAX_PORTS)
			return 0;
	}
	for (uint32_t k = 0; k < GK_MAX_PORTS; k++) {
		ret = bpf_map_lookup_elem(fd, &k, &v[(size_t)k * ncpu]);
		if (ret)
			return ret;
	}
	return 0;
}

int gk_xdp_read_hand_fail(const struct gk_xdp *x, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v;
	int ret = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc((size_t)ncpu * GK_MAX_PORTS, sizeof(*v));
	if (!v)
		return -ENOMEM;
	ret = read_all_percpu(bpf_map__fd(x->skel->maps.gk_hand_fail), v, ncpu);
	for (uint32_t k = 0; !ret && k < GK_MAX_PORTS; k++) {
		out[k] = 0;
		for (int c = 0; c < ncpu; c++)
			out[k] += v[(size_t)k * ncpu + c];
	}
	free(v);
	return ret;
}

void gk_xdp_close(struct gk_xdp *x)
{
	if (!x)
		return;
	while (x->natt)
		gk_xdp_detach(x, x->att[0].ifindex);
	if (x->pinned) {
		unpin_all(x);
		rmdir(x->pin_dir);
	}
	classifier_bpf__destroy(x->skel);
	free(x->m.local4);
	free(x->m.local6);
	free(x->m.mape6);
	free(x->m.mape4);
	free(x->m.l4);
	free(x);
}

uint64_t gk_xdp_generation(const struct gk_xdp *x)
{
	return x->m.gen;
}

struct gk_cls_tables *gk_xdp_cls_build(const struct gk_xdp *x)
{
	const struct mirror *m = &x->m;
	struct gk_cls_input in = {
		.local4 = m->local4,
		.nr_local4 = m->nr_local4,
		.local6 = (const uint8_t (*)[16])m->local6,
		.nr_local6 = m->nr_local6,
		.mape6 = m->mape6,
		.nr_mape6 = m->nr_mape6,
		.mape4 = m->mape4,
		.nr_mape4 = m->nr_mape4,
		.l4 = m->l4,
		.nr_l4 = m->nr_l4,
		.cfg_flags = m->cfg_flags,
		.wg_listen_port = ntohs(m->wg.listen_port),
		.wg_port_id = (uint16_t)m->wg.port_id,
		.port_flags = m->port_flags,
	};

	return gk_cls_tables_build(&in);
}
