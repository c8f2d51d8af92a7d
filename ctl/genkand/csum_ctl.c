// SPDX-License-Identifier: BSD-3-Clause
/*
 * Which ports get their TCP/UDP checksums completed by the workers.
 *
 * A sender with TX checksum offload leaves CHECKSUM_PARTIAL skbs whose
 * checksum field holds only the pseudo-header sum; the device (or the
 * stack, for a software device) finishes it. veth and tun/tap pass such
 * skbs to the peer as they are, and when XDP redirects one to AF_XDP the
 * skb's csum_start/offset are gone: the frame genkan forwards carries a
 * checksum the receiver rejects. A physical NIC only ever receives what
 * went over a wire, whose checksums are complete, so auto trusts those.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "csum_ctl.h"
#include "daemon.h"
#include "log.h"

/* Drivers whose rx can carry a sender's partial checksum (tap reports "tun"). */
static const char *const partial_drivers[] = { "veth", "tun" };

int gk_csum_driver(const char *ifname, char *drv, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	int fd, ret = 0;

	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	ifr.ifr_data = (void *)&info;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		ret = -errno;
	else if (!info.driver[0])
		ret = -ENODATA;
	else
		snprintf(drv, len, "%.*s", (int)sizeof(info.driver),
			 info.driver);
	close(fd);
	return ret;
}

bool gk_csum_decide(enum gk_csum_mode mode, const char *drv, int drv_err,
		    char *why, size_t whylen)
{
	size_t i;

	if (mode == GK_CSUM_COMPLETE || mode == GK_CSUM_TRUST) {
		snprintf(why, whylen, "configured");
		return mode == GK_CSUM_COMPLETE;
	}
	if (!drv) {
		snprintf(why, whylen, "auto: driver unknown (ETHTOOL_GDRVINFO: "
			 "%s), completing to be safe", strerror(-drv_err));
		return true;
	}
	for (i = 0; i < sizeof(partial_drivers) / sizeof(partial_drivers[0]);
	     i++) {
		if (!strcmp(drv, partial_drivers[i])) {
			snprintf(why, whylen, "auto: driver %s can hand over "
				 "partial checksums", drv);
			return true;
		}
	}
	snprintf(why, whylen, "auto: driver %s is not one that hands over "
		 "partial checksums (veth, tun)", drv);
	return false;
}

void gk_csum_pick(struct gk_daemon *d)
{
	for (unsigned i = 0; i < d->nr_ports; i++) {
		struct gk_dport *p = &d->ports[i];
		enum gk_csum_mode mode = d->cfg.ports[i].checksum;
		char drv[32];
		int ret = 0;

		if (mode == GK_CSUM_AUTO)
			ret = gk_csum_driver(p->ifname, drv, sizeof(drv));
		p->csum_complete = gk_csum_decide(mode, ret ? NULL : drv, ret,
						  p->csum_why,
						  sizeof(p->csum_why));
		gk_log(ret ? GK_LOG_WARN : GK_LOG_INFO,
		       "port %s (%s): checksum %s (%s)", p->name, p->ifname,
		       p->csum_complete ? "complete" : "trust", p->csum_why);
	}
}
