/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker drop reasons: one X-macro gives the enum, the names and the counters. */
#ifndef GK_WKSTATS_H
#define GK_WKSTATS_H

#include <stdbool.h>
#include <stdint.h>
#include "pkt.h"
#include "port.h"

#define GK_WK_DROP_LIST(X)						\
	X(BAD_META,	"bad_meta")	/* no/invalid classifier metadata */	\
	X(UNHANDLED,	"unhandled_class") /* class with no stage yet */	\
	X(NO_ROUTE,	"no_route")	/* LPM miss */			\
	X(NO_NEIGH,	"no_neigh")	/* next hop unresolved: kernel asked */ \
	X(NEIGH_HOLD_FULL, "neigh_hold_full") /* unresolved, its hold queue full: kernel asked */ \
	X(NEIGH_HOLD_AGED, "neigh_hold_aged") /* held 1 s, no neighbour (or the worker stopped) */ \
	X(TTL,		"ttl_expired")	/* TTL <= 1 reached a worker */	\
	X(BAD_PORT,	"bad_out_port")	/* route to a non-genkan port */	\
	X(TOO_BIG,	"too_big")	/* larger than egress MTU */	\
	X(NO_KERNEL,	"no_punt")	/* kernel verdict, no punt path */	\
	X(TX_FULL,	"tx_full")	/* egress ring full */	\
	X(MAPE,		"mape")		/* see per-domain MAP-E counters */	\
	X(WG,		"wg")		/* see the WireGuard stage's counters */	\
	X(NAPT,		"napt")		/* see the NAPT44 stage's counters */ \
	X(PARSE_REFUSED, "parse_refused") /* twin: not a worker's (tables changed) */ \
	X(L4,		"l4")		/* see the L4 stage's counters */	\
	/* martians (martian.h): sources/destinations never routed */	\
	X(MARTIAN_SRC_UNSPEC,	"martian_src_unspec") /* 0/8, :: */	\
	X(MARTIAN_SRC_LOOPBACK,	"martian_src_loopback") /* 127/8, ::1, ::ffff:127/104 */ \
	X(MARTIAN_SRC_MCAST,	"martian_src_multicast") /* 224/4, ff00::/8 */ \
	X(MARTIAN_SRC_RESERVED,	"martian_src_reserved") /* 240/4, 255.255.255.255 */ \
	X(MARTIAN_SRC_V4MAPPED,	"martian_src_v4mapped") /* ::ffff:0:0/96 */ \
	X(MARTIAN_DST_UNSPEC,	"martian_dst_unspec") /* 0/8, :: */	\
	X(MARTIAN_DST_LOOPBACK,	"martian_dst_loopback") /* 127/8, ::1, ::ffff:127/104 */ \
	X(MARTIAN_DST_RESERVED,	"martian_dst_reserved") /* 240/4, 255.255.255.255 */

enum gk_wk_drop {
#define GK_X(n, s) GK_WK_DROP_##n,
	GK_WK_DROP_LIST(GK_X)
#undef GK_X
	GK_WK_DROP_MAX
};

extern const char *const gk_wk_drop_names[GK_WK_DROP_MAX];

/* Worker events that are not drops (or not only: see each line). */
#define GK_WK_EVENT_LIST(X)						\
	X(ICMP_TIME_EXCEEDED,	"icmp_time_exceeded") /* v4 and v6 sent */ \
	X(ICMP_FRAG_NEEDED,	"icmp_frag_needed") /* v4 type 3 code 4 sent */ \
	X(ICMP_PKT_TOO_BIG,	"icmp_pkt_too_big") /* v6 type 2 sent */	\
	X(ICMP_RATELIMITED,	"icmp_ratelimited") /* error owed, bucket empty */ \
	X(ICMP_SUPPRESSED,	"icmp_suppressed") /* RFC 1122 3.2.2 / 4443 2.4(e) */ \
	X(ICMP_NO_SRC,		"icmp_no_src")	/* ingress port has no address */ \
	X(CSUM_COMPLETED,	"csum_completed") /* TCP/UDP checksum recomputed (l4csum.c) */ \
	X(CSUM_SKIPPED,		"csum_skipped")	/* left as is: lengths lie, or a source route (l4csum.h) */ \
	X(REASM_MERGED,		"reasm_merged")	/* IPv6 fragments joined into their datagram's last (not a drop) */ \
	X(NEIGH_HELD,		"neigh_held")	/* frames held for an unresolved next hop (neigh_hold.h) */ \
	X(NEIGH_HOLD_SENT,	"neigh_hold_sent") /* held frames routed again once their neighbour came */

enum gk_wk_event {
#define GK_X(n, s) GK_WK_EV_##n,
	GK_WK_EVENT_LIST(GK_X)
#undef GK_X
	GK_WK_EVENT_MAX
};

extern const char *const gk_wk_event_names[GK_WK_EVENT_MAX];

/*
 * Packet accounting (docs/accounting.md). For each worker, at any quiet
 * moment:
 *   rx + handed_in + generated + split
 *     = tx + handed_off + punted + consumed + held + dropped + merged
 * X(name, json name, side): side 0 adds to in_total, 1 to out_total.
 * acct[] stores the terms no other counter has; gk_wk_acct() reads all.
 */
#define GK_WK_ACCT_LIST(X)						\
	X(RX,		"rx",		0) /* frames the ports' rx gave us */	\
	X(HANDED_IN,	"handed_in",	0) /* taken from other workers' rings */ \
	X(GENERATED,	"generated",	0) /* built here: ICMP errors, genkand's handshakes */ \
	X(SPLIT,	"split",	0) /* extra pieces of a datagram we fragmented */ \
	X(TX,		"tx",		1) /* accepted by a port (tx_packets) */ \
	X(HANDED_OFF,	"handed_off",	1) /* pushed to another worker's ring */ \
	X(PUNTED,	"punted",	1) /* pushed to genkand's punt ring */	\
	X(CONSUMED,	"consumed",	1) /* ended here by design: WireGuard keepalives */ \
	X(HELD,		"held",		1) /* held right now (a gauge) */	\
	X(DROPPED,	"dropped",	1) /* sum of drops[] */			\
	X(MERGED,	"merged",	1) /* fragments joined into their datagram (reasm_merged) */

enum gk_wk_acct {
#define GK_X(n, s, side) GK_WK_ACCT_##n,
	GK_WK_ACCT_LIST(GK_X)
#undef GK_X
	GK_WK_ACCT_MAX
};

extern const char *const gk_wk_acct_names[GK_WK_ACCT_MAX];
extern const uint8_t gk_wk_acct_side[GK_WK_ACCT_MAX];	/* 0 in, 1 out */

/* Per-worker counters: written by the owning worker only, read by genkand. */
struct gk_wk_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t drops[GK_WK_DROP_MAX];
	uint64_t class_packets[GK_CLASS_MAX];
	uint64_t busy_cycles;	/* TSC spent in polls that found work */
	uint64_t idle_cycles;	/* TSC spent in empty polls */
	uint64_t polls;
	uint64_t naps;		/* sleeps in poll(2) while idle (worker.c) */
	uint64_t neigh_requests; /* resolution requests posted to genkand */
	uint64_t events[GK_WK_EVENT_MAX];
	/* packets received per hand-off mode (port.h enum gk_hand) */
	uint64_t hand_packets[GK_HAND_MAX];
	/* accounting terms without a counter above (TX, DROPPED, MERGED
	 * stay 0: gk_wk_acct() reads them); HELD is a gauge */
	uint64_t acct[GK_WK_ACCT_MAX];
} __gk_aligned;

/*
 * Every accounting term of st into t[], and the two sides' sums. Racy
 * reads of counters the worker writes: exact only while it is quiet.
 * Returns true when in == out.
 */
bool gk_wk_acct(const struct gk_wk_stats *st, uint64_t t[GK_WK_ACCT_MAX],
		uint64_t *in, uint64_t *out);

static inline void gk_wk_drop(struct gk_wk_stats *st, struct gk_pkt *p,
			      enum gk_wk_drop why)
{
	p->verdict = GK_V_DROP;
	p->drop_reason = (uint8_t)why;
	st->drops[why]++;
}

#endif
