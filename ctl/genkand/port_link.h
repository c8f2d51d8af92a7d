/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports whose interface comes and goes (port_link.c, docs/architecture.md):
 * after the netlink mirror changed, a port whose interface was deleted goes
 * down, and one whose interface name exists again is attached to it, alone,
 * while the other ports keep forwarding. Daemon thread only.
 */
#ifndef GK_PORT_LINK_H
#define GK_PORT_LINK_H

struct gk_daemon;

void gk_port_link_follow(struct gk_daemon *d);
/*
 * From the tick: a port whose interface is back but could not be attached
 * (a worker slow to answer, too few queues) is tried again once a second.
 */
void gk_port_link_tick(struct gk_daemon *d);

#endif
