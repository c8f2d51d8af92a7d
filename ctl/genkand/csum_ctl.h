/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * genkand's side of TCP/UDP checksum completion (dataplane/l4csum.h): per
 * port, from its `checksum` key, whether the workers complete the
 * checksums of the frames it receives, and why. Decided once at start
 * (changing the key needs a restart). Control thread only.
 */
#ifndef GK_CTL_CSUM_CTL_H
#define GK_CTL_CSUM_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct gk_daemon;

/*
 * The kernel driver of ifname (ETHTOOL_GDRVINFO over SIOCETHTOOL, in the
 * caller's network namespace) into drv. 0 or -errno.
 */
int gk_csum_driver(const char *ifname, char *drv, size_t len);
/*
 * Pure: complete or trust for a port configured with mode whose driver is
 * drv (NULL: unknown, drv_err says why), with the reason in why. auto
 * completes for drivers that can hand over partial sums (veth, tun/tap)
 * and when the driver is unknown (the safe side), trusts the rest.
 */
bool gk_csum_decide(enum gk_csum_mode mode, const char *drv, int drv_err,
		    char *why, size_t whylen);
/*
 * After resolve_ports, before the workers start: decide every port
 * (gk_dport.csum_complete, csum_why) and log each decision once.
 */
void gk_csum_pick(struct gk_daemon *d);

#endif
