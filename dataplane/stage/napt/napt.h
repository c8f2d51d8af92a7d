/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port-set NAPT44 for the MAP-E CE (issue #4): LAN IPv4 TCP, UDP and ICMP
 * query flows are translated to the CE's shared IPv4 address, using only
 * ports (ICMP ids) of the CE's port set (RFC 7597 §5.1).
 *
 * One struct gk_napt per worker, written by that worker only: no locks,
 * no atomics, no allocation after gk_napt_create(). Each worker owns a
 * disjoint share of the port set (gk_napt_port_owner()): port j of range
 * r belongs to worker (j + r) % nr_workers, so every worker holds ports of
 * every range. Outbound (LAN -> outside) packets may reach any worker, but
 * a flow must stay on one (flow hash steering); inbound packets must be
 * steered to the owner of their destination port (ICMP errors: the owner
 * of the quoted source port). That steering is the integrator's job.
 *
 * Mapping is endpoint independent (RFC 4787 REQ-1, RFC 5382 REQ-1): one
 * outside port per (proto, inside addr, inside port). Filtering is
 * address-and-port dependent by default (RFC 4787 REQ-8 allows either),
 * or endpoint independent. Static mappings always accept any remote.
 *
 * Timeouts (seconds): UDP 300 (RFC 4787 REQ-5: never below 120), TCP
 * established 7440 and transitory 240 (RFC 5382 REQ-5), ICMP 60 (RFC 5508
 * REQ-1). A TCP session is established once SYN was seen both ways and
 * becomes transitory on FIN both ways or RST. Expiry is amortised:
 * each burst inspects at most GK_NAPT_SCAN sessions.
 *
 * Not done here: later IPv4 fragments (dropped, counted "frag"), ICMP
 * errors sent by LAN hosts about inbound packets (dropped, "lan_icmp_err").
 */
#ifndef GK_NAPT_H
#define GK_NAPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "wkstats.h"

struct gk_spsc;

#define GK_NAPT_UDP_MIN_S	120	/* RFC 4787 REQ-5 */
#define GK_NAPT_SCAN		16	/* sessions checked for expiry per burst */
#define GK_NAPT_HOLD_SLOTS	4096	/* hold-down record (hashed, lossy) */
#define GK_NAPT_MAX_RESERVED	4	/* gk_napt_cfg.reserved */

enum gk_napt_filter {
	GK_NAPT_FILTER_APDF = 0,	/* address and port dependent (default) */
	GK_NAPT_FILTER_EIF,		/* endpoint independent */
};

/* Protocols with their own port space, X(enum, json name). */
#define GK_NAPT_PROTO_LIST(X)						\
	X(TCP,	"tcp")							\
	X(UDP,	"udp")							\
	X(ICMP,	"icmp")	/* query ids */

enum gk_napt_proto {
#define GK_X(n, s) GK_NAPT_##n,
	GK_NAPT_PROTO_LIST(GK_X)
#undef GK_X
	GK_NAPT_NPROTO,
};

struct gk_napt_cfg {
	uint8_t ext_addr[4];		/* shared IPv4 address */
	uint8_t psid_offset;		/* a */
	uint8_t psid_len;		/* k; 0: whole address, ports 1024-65535 */
	uint16_t psid;
	uint16_t worker;		/* this worker's index */
	uint16_t nr_workers;		/* >= 1 */
	uint32_t max_sessions;		/* per worker; 0: 65536 */
	uint32_t max_hosts;		/* per-host table size; 0: 1024 */
	uint32_t host_limit;		/* ports per LAN host; 0: none */
	uint32_t udp_s, tcp_est_s, tcp_trans_s, icmp_s; /* 0: default */
	uint32_t holddown_s;		/* 0: default 120; UINT32_MAX: off */
	uint8_t filter;			/* enum gk_napt_filter */
	uint32_t seed;			/* spreads the allocator's starts */
	struct gk_spsc *log;		/* event ring (gk_napt_event) or NULL */
	/*
	 * Outside ports the dynamic allocator never hands out and static
	 * mappings may not take: ports genkan itself sends from (the
	 * WireGuard ListenPort on a CE, udp). Ports outside the set or
	 * owned by another worker are ignored here.
	 */
	struct {
		uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
		uint16_t port;
	} reserved[GK_NAPT_MAX_RESERVED];
	uint8_t nr_reserved;
};

/* Stage drops: X(name, string). */
#define GK_NAPT_DROP_LIST(X)						\
	X(BAD_PKT,	"bad_pkt")	/* no IPv4/L4 meta, or L4 cut short */ \
	X(FRAG,		"frag")		/* later fragment: no ports to map */ \
	X(PROTO,	"proto")	/* not TCP, UDP or ICMP query/error */ \
	X(NOT_OURS,	"not_ours")	/* inbound, not to the shared address */ \
	X(NO_MAPPING,	"no_mapping")	/* inbound, no binding on that port */ \
	X(FILTERED,	"filtered")	/* APDF: remote never contacted */ \
	X(EXHAUSTED,	"exhausted")	/* new flow, no free port */	\
	X(HOST_LIMIT,	"host_limit")	/* new flow, host at its port limit */ \
	X(HOST_TABLE,	"host_table")	/* new flow, per-host table full */ \
	X(SESS_FULL,	"sessions_full") /* new flow, session table full */ \
	X(ICMP_ERR,	"icmp_err")	/* inbound ICMP error matches nothing */ \
	X(LAN_ICMP_ERR,	"lan_icmp_err")	/* ICMP error from the LAN: not done */ \
	X(TCP_NOSYN,	"tcp_no_syn")	/* new TCP session without SYN */ \
	X(MARTIAN,	"martian")	/* outbound, martian source/dst (martian.h) */

enum gk_napt_drop {
#define GK_X(n, s) GK_NAPT_DROP_##n,
	GK_NAPT_DROP_LIST(GK_X)
#undef GK_X
	GK_NAPT_DROP_MAX
};

extern const char *const gk_napt_drop_names[GK_NAPT_DROP_MAX];

/*
 * Stage counters, X(field, json name): the scalar fields of struct
 * gk_napt_stats, in this order, as `nat stats` prints them in "totals".
 */
#define GK_NAPT_CNT_LIST(X)						\
	X(sess_active,	"sessions")	/* live now (a gauge) */	\
	X(sess_created,	"sessions_created")				\
	X(sess_expired,	"sessions_expired")				\
	X(out_pkts,	"out_pkts")					\
	X(in_pkts,	"in_pkts")					\
	X(hairpin_pkts,	"hairpin_pkts")					\
	X(icmp_err_pkts, "icmp_err_pkts")				\
	X(log_full,	"event_log_lost") /* events lost: ring full */

struct gk_napt_stats {
#define GK_X(f, s) uint64_t f;
	GK_NAPT_CNT_LIST(GK_X)
#undef GK_X
	uint64_t ports_in_use[GK_NAPT_NPROTO];
	uint64_t drops[GK_NAPT_DROP_MAX];
};

/* NAT event log record (RFC 6888 REQ-12 style abuse tracing). */
enum { GK_NAPT_EV_CREATE = 1, GK_NAPT_EV_DELETE = 2 };
struct gk_napt_event {
	uint64_t ts_ns;			/* the stage's now_ns */
	uint8_t type;			/* GK_NAPT_EV_* */
	uint8_t proto;			/* IPPROTO_* */
	uint16_t in_port;		/* host order; ICMP: query id */
	uint16_t ext_port;
	uint16_t rem_port;
	uint8_t in_addr[4], ext_addr[4], rem_addr[4];
};

struct gk_napt;

/*
 * Validates @cfg (-EINVAL with a reason in @err: UDP timeout below 120 s,
 * bad worker index, psid outside k bits, a + k > 16) and allocates all
 * per-worker state. NULL with *rc set on failure.
 */
struct gk_napt *gk_napt_create(const struct gk_napt_cfg *cfg, int *rc,
			       char *err, size_t errlen);
void gk_napt_free(struct gk_napt *n);

/*
 * Worker-loop inputs and outputs: set before each burst. @wk may be NULL
 * (tests); drops then only count in the stage's own counters.
 */
void gk_napt_set_now(struct gk_napt *n, uint64_t now_ns);
void gk_napt_set_wkstats(struct gk_napt *n, struct gk_wk_stats *wk);
/*
 * On (the default), both burst functions translate packets of established
 * TCP/UDP sessions on a shorter path; off sends every packet through the
 * reference path. Same results either way: tests compare the two.
 */
void gk_napt_set_fastpath(struct gk_napt *n, bool on);
const struct gk_napt_stats *gk_napt_stats(const struct gk_napt *n);

/*
 * LAN -> outside, outside -> LAN. Packets carry IPv4 meta (l3_off, l4_off,
 * l4_proto, flags) as the classifier writes it. Survivors leave with
 * GK_V_NONE, the addresses and ports rewritten in place and meta
 * unchanged; others with GK_V_DROP (drop_reason GK_WK_DROP_NAPT) and a
 * stage counter. Packets whose verdict is already set are skipped.
 * Hairpinned packets (LAN to our own address) leave gk_napt_out_burst
 * translated both ways, bound for the LAN, or (destination port of another
 * worker) translated outbound only. gk_napt_out_burst returns the others:
 * bit i (i < 64) is set when p[i] leaves with GK_V_NONE, for the outside.
 */
uint64_t gk_napt_out_burst(struct gk_napt *n, struct gk_pkt **p, uint16_t cnt);
void gk_napt_in_burst(struct gk_napt *n, struct gk_pkt **p, uint16_t cnt);

/* Worker that owns outside @port under @cfg (steering). */
unsigned gk_napt_port_owner(const struct gk_napt_cfg *cfg, uint16_t port);
/* Ports this worker may allocate; copies up to @max in allocation-probe order. */
unsigned gk_napt_owned_ports(const struct gk_napt *n, uint16_t *out, unsigned max);

/*
 * Control calls below (static mappings, listings) read or write the
 * worker's state: call them on the owning worker's thread (its control
 * ring) or while it is stopped.
 *
 * Static mappings, TCP or UDP (proto IPPROTO_*): outside @ext_port to
 * @in_addr:@in_port. -ERANGE when @ext_port is outside the CE's port set,
 * -EXDEV when another worker owns it (add it there), -EEXIST when it is
 * already mapped (0 if to the same target and @exist_ok), -EBUSY when a
 * dynamic binding holds it or it is reserved (cfg.reserved), -EPROTONOSUPPORT for other protocols.
 * Delete: -ENOENT unless @missing_ok. Deleting a mapping ends its sessions.
 */
struct gk_napt_static {
	uint8_t proto;
	uint16_t ext_port;
	uint8_t in_addr[4];
	uint16_t in_port;
};

int gk_napt_static_add(struct gk_napt *n, const struct gk_napt_static *m,
		       bool exist_ok, char *err, size_t errlen);
int gk_napt_static_del(struct gk_napt *n, uint8_t proto, uint16_t ext_port,
		       bool missing_ok);
/* Copies up to @max mappings; returns how many exist. */
unsigned gk_napt_static_list(const struct gk_napt *n, struct gk_napt_static *out,
			     unsigned max);

/* A session as genkanctl shows it (addresses network order, ports host order). */
struct gk_napt_sess_info {
	uint8_t proto;			/* IPPROTO_* */
	uint8_t tcp_state;		/* 0 new, 1 established, 2 transitory */
	uint16_t in_port, ext_port, rem_port;
	uint8_t in_addr[4], rem_addr[4];
	uint64_t expire_ns;
};

/* Copies up to @max live sessions; returns how many are live. */
unsigned gk_napt_sessions(const struct gk_napt *n, struct gk_napt_sess_info *out,
			  unsigned max);

/* Per LAN host: ports held and new flows refused (exhaustion or limit). */
struct gk_napt_host_info {
	uint8_t addr[4];
	uint32_t ports;
	uint64_t refused;
};

unsigned gk_napt_hosts(const struct gk_napt *n, struct gk_napt_host_info *out,
		       unsigned max);

/*
 * Ports of @proto (IPPROTO_*) in use per range of the port set (index r:
 * range A = r + 1, RFC 7597 §5.1; one range when k == 0), this worker's
 * share only. Writes up to @max counters; returns the number of ranges.
 */
unsigned gk_napt_range_usage(const struct gk_napt *n, uint8_t proto,
			     uint32_t *out, unsigned max);

/* Expire everything due at now_ns (tests, shutdown); returns sessions freed. */
unsigned gk_napt_expire_all(struct gk_napt *n);

#endif
