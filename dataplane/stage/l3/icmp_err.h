/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP error stage: turns packets an earlier stage dropped for TTL expiry
 * or for exceeding the egress MTU into the ICMP error their sender is owed
 * (RFC 792, RFC 1191, RFC 1812 4.3, RFC 4443 3.2/3.3), in the packet's own
 * buffer, and sends it back out of the ingress port. Runs after l3fwd.
 *
 * Sent: IPv4 Time Exceeded (11/0), IPv4 Fragmentation Needed (3/4, only
 * when DF is set), IPv6 Time Exceeded (3/0), IPv6 Packet Too Big (2).
 * Not sent (the packet stays dropped, an event counts why): errors about
 * ICMP errors, IPv4 non-first fragments, multicast/broadcast destinations
 * (IP or link layer), sources that are not one host, a port without an
 * address of the family, or beyond the per-worker token bucket.
 *
 * One context per worker, written by that worker only: no locks.
 */
#ifndef GK_ICMP_ERR_H
#define GK_ICMP_ERR_H

#include <stdint.h>

#include "fib.h"
#include "pkt.h"
#include "ratelimit.h"
#include "wkstats.h"


/*
 * Zero-initialise, set fib and stats, then gk_icmp_err_init(); refresh
 * fib and now_ns (CLOCK_MONOTONIC ns) before each burst. tb is the
 * bucket (ratelimit.h); rate_pps or burst 0 mean the defaults.
 */
struct gk_icmp_err_ctx {
	const struct gk_fib *fib;	/* snapshot, valid for this burst */
	struct gk_wk_stats *stats;	/* owning worker's counters */
	uint64_t now_ns;
	struct gk_tb tb;
	uint32_t rate_pps;		/* errors per second, sustained */
	uint32_t burst;			/* bucket depth */
	/*
	 * Optional: the MTU a stage itself enforced for a TOO_BIG drop (a
	 * tunnel's, e.g. WireGuard's), 0 to ask the FIB as usual.
	 */
	uint32_t (*mtu_of)(void *arg, const struct gk_pkt *p);
	void *mtu_arg;
};

/* Set the rate (0: defaults) and fill the bucket. */
void gk_icmp_err_init(struct gk_icmp_err_ctx *ctx, uint32_t rate_pps,
		      uint32_t burst);

/*
 * For every packet with verdict GK_V_DROP and drop_reason GK_WK_DROP_TTL or
 * GK_WK_DROP_TOO_BIG, rewrite it in place into the ICMP error for its
 * sender and set verdict GK_V_TX, out_port = in_port (the drop counter
 * the earlier stage bumped stays: the original was dropped). Other packets
 * are untouched. Needs pkt->meta (l3_off, flags, l4_off, l4_proto) as the
 * classifier wrote it and pkt->buf_len.
 */
void gk_icmp_err_burst(struct gk_icmp_err_ctx *ctx, struct gk_pkt **pkts,
		       uint16_t n);

#endif
