/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The veth bench's flood frame (Ethernet / IPv4 / UDP, zero payload) and
 * the option parsers its generators share (xdpgen, afpgen).
 */
#ifndef GK_BENCH_UDPFRAME_H
#define GK_BENCH_UDPFRAME_H

#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#define GK_UDPFRAME_HDR		42	/* Ethernet 14 + IPv4 20 + UDP 8 */
#define GK_UDPFRAME_SPORT_OFF	34	/* UDP source port: 14 + 20 */
#define GK_UDPFRAME_MIN		60	/* Ethernet minimum without FCS */

struct gk_udpframe {
	unsigned char dst_mac[6];
	unsigned char src_mac[6];
	struct in_addr src, dst;
	uint16_t sport, dport;
	unsigned int size;	/* frame bytes without FCS, >= GK_UDPFRAME_MIN */
	int udp_csum;		/* 1: a real UDP checksum, 0: none (zero) */
};

/* Write spec's frame into f (spec->size bytes). */
void gk_udpframe_build(const struct gk_udpframe *spec, unsigned char *f);
/* Rewrite the UDP source port of a built frame, and its checksum if any. */
void gk_udpframe_set_sport(unsigned char *f, uint16_t sport);
/* One line of lowercase hex, as the bench's scapy check reads it. */
void gk_udpframe_print_hex(FILE *out, const unsigned char *f, unsigned int len);

/* Option parsers: 0 or -EINVAL (-E2BIG for too many CPUs). */
int gk_udpframe_parse_mac(const char *s, unsigned char *mac);
int gk_udpframe_parse_uint(const char *s, unsigned long long max,
			   unsigned long long *out);
/* "0,1", "0-3,6" into cpus[] (at most max entries), count in *nr. */
int gk_udpframe_parse_cpus(const char *s, int *cpus, int max, int *nr);
/* The MAC address of an interface in the caller's netns. */
int gk_udpframe_if_mac(const char *ifname, unsigned char *mac);

#endif /* GK_BENCH_UDPFRAME_H */
