/* SPDX-License-Identifier: BSD-3-Clause */
/* Least privilege for genkand: raw capset(2) and prctl(2), no libcap. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/securebits.h>

#include "priv.h"

/*
 * What genkand does after its start, and the capability each needs (the
 * 6.18 kernel's checks; docs/security.md):
 *   CAP_NET_ADMIN  rtnetlink writes (neighbor requests, TUN addresses and
 *                  routes), TUNSETIFF, XDP attach when a port's interface
 *                  returns, BPF programs of the XDP type
 *   CAP_NET_RAW    AF_XDP sockets (re-bound when an interface returns)
 *   CAP_BPF        BPF map and program loads; map updates on an fd it holds
 *                  need none
 *   CAP_PERFMON    the verifier refuses the classifier's pointer arithmetic
 *                  (pkt_end - data) without it
 *   CAP_IPC_LOCK   UMEM registration beyond RLIMIT_MEMLOCK (AF_XDP pins
 *                  the workers' frames)
 */
#define KEEP_LIST(X) \
	X(CAP_NET_ADMIN) X(CAP_NET_RAW) X(CAP_BPF) X(CAP_PERFMON) X(CAP_IPC_LOCK)

uint64_t gk_priv_keep_mask(void)
{
	uint64_t m = 0;

#define X(c) m |= 1ULL << (c);
	KEEP_LIST(X)
#undef X
	return m;
}

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int n = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = CAP_LAST_CAP;
		fclose(f);
	}
	return n < 63 ? n : 63;
}

int gk_priv_drop(bool bind_low, char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	uint64_t keep = gk_priv_keep_mask(), prm, eff;
	int last = last_cap(), ret;

	if (bind_low)
		keep |= 1ULL << CAP_NET_BIND_SERVICE;

	if (syscall(SYS_capget, &h, d)) {
		ret = -errno;
		snprintf(err, errlen, "capget: %s", strerror(-ret));
		return ret;
	}
	prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	eff = d[0].effective | (uint64_t)d[1].effective << 32;

	/* While CAP_SETPCAP is still ours: bounding set, then securebits. */
	for (int c = 0; c <= last; c++) {
		if (keep & (1ULL << c))
			continue;
		if (!prctl(PR_CAPBSET_READ, c, 0, 0, 0))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0)) {
			ret = -errno;
			snprintf(err, errlen, "bounding set: drop capability %d: %s",
				 c, strerror(-ret));
			return ret;
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL) {
		ret = -errno;
		snprintf(err, errlen, "ambient set: %s", strerror(-ret));
		return ret;
	}
	if (prm & (1ULL << CAP_SETPCAP)) {
		int sb = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);

		if (sb < 0 || prctl(PR_SET_SECUREBITS,
				    sb | SECBIT_NOROOT | SECBIT_NOROOT_LOCKED,
				    0, 0, 0)) {
			ret = -errno;
			snprintf(err, errlen, "securebits: %s", strerror(-ret));
			return ret;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		ret = -errno;
		snprintf(err, errlen, "no_new_privs: %s", strerror(-ret));
		return ret;
	}

	prm &= keep;
	eff = prm;	/* what is kept is used: effective = permitted */
	memset(d, 0, sizeof(d));
	d[0].permitted = (uint32_t)prm;
	d[1].permitted = (uint32_t)(prm >> 32);
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	if (syscall(SYS_capset, &h, d)) {
		ret = -errno;
		snprintf(err, errlen, "capset: %s", strerror(-ret));
		return ret;
	}
	return 0;
}
