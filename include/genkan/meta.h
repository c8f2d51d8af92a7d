/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * XDP -> worker metadata, handed over one of three ways chosen per port
 * (dataplane/port.h enum gk_hand, GK_PORT_F_HAND_*): as XDP metadata
 * (bpf_xdp_adjust_meta; AF_XDP copies it into the UMEM headroom just before
 * the frame), prepended to the frame (bpf_xdp_adjust_head; the backend
 * strips it), or not at all: the worker fills the same struct with the
 * software classifier (dataplane/parse.c), as backends without XDP
 * (memory/pcap, DPDK) always do. Stages never parse headers twice.
 *
 * Shared by BPF (clang -target bpf) and userspace: fixed-width types only.
 */
#ifndef GENKAN_META_H
#define GENKAN_META_H

#include <linux/types.h>

#define GK_META_MAGIC	0x474bu	/* "GK" */
#define GK_META_VERSION	1

/*
 * Packet classes. X(name, string, verdict-if-classified-so).
 * Ids are stable ABI: new classes are appended.
 */
#define GK_CLASS_LIST(X)						\
	X(UNKNOWN,	"unknown")	/* never set by the classifier */	\
	X(TRANSIT,	"transit")	/* routed through genkan: L3 fwd */	\
	X(LOCAL,	"local")	/* for this host, no feature claims it */ \
	X(CONTROL,	"control")	/* ARP, ND, RA, IGMP/MLD: kernel */	\
	X(TTL_EXPIRED,	"ttl_expired")	/* TTL/hop limit <= 1: kernel ICMP */	\
	X(MCAST,	"multicast")	/* L2 broadcast/multicast: kernel */	\
	X(NON_IP,	"non_ip")	/* other ethertypes: kernel */	\
	X(MAPE_CE,	"mape_ce")	/* MAP-E CE: LAN IPv4, tunnel to us */	\
	X(MAPE_BR,	"mape_br")	/* MAP-E BR: domain IPv4, tunnel to us */	\
	X(WG_DATA,	"wg_data")	/* reserved: WireGuard type 4 */	\
	X(WG_HANDSHAKE,	"wg_handshake")	/* reserved: WireGuard types 1-3 */	\
	X(L4_SERVICE,	"l4_service")	/* front door: [l4-service] listen */	\
	X(DROPPED,	"dropped")	/* malformed: see drop reasons */

enum gk_class {
#define GK_X(n, s) GK_CLASS_##n,
	GK_CLASS_LIST(GK_X)
#undef GK_X
	GK_CLASS_MAX
};

/* Reasons the classifier drops a packet. Each has its own counter. */
#define GK_XDP_DROP_LIST(X)						\
	X(TRUNC_ETH,	"trunc_eth")	/* shorter than an Ethernet header */ \
	X(TRUNC_VLAN,	"trunc_vlan")	/* 802.1Q tag cut short */	\
	X(VLAN_DEPTH,	"vlan_depth")	/* more than two VLAN tags */	\
	X(TRUNC_IP4,	"trunc_ip4")	/* IPv4 header cut short */	\
	X(BAD_IHL,	"bad_ihl")	/* IHL < 5 or past the packet */ \
	X(BAD_IP4_LEN,	"bad_ip4_len")	/* total length < IHL or > frame */ \
	X(BAD_IP_VER,	"bad_ip_version") /* version field mismatch */	\
	X(TRUNC_IP6,	"trunc_ip6")	/* IPv6 header cut short */	\
	X(BAD_IP6_LEN,	"bad_ip6_len")	/* payload length > frame */	\
	X(TRUNC_EXTHDR,	"trunc_exthdr")	/* extension header cut short */ \
	X(EXTHDR_CHAIN,	"exthdr_chain")	/* more ext headers than we walk */ \
	X(TRUNC_L4,	"trunc_l4")	/* TCP/UDP/ICMP header cut short */ \
	X(BAD_SRC,	"bad_src")	/* multicast/broadcast source */

enum gk_xdp_drop {
#define GK_X(n, s) GK_XDP_DROP_##n,
	GK_XDP_DROP_LIST(GK_X)
#undef GK_X
	GK_XDP_DROP_MAX
};

/* Non-drop events worth a counter. */
#define GK_XDP_EVENT_LIST(X)						\
	X(REDIRECT,	"redirect")	/* handed to a worker socket */	\
	X(PASS,		"pass")		/* handed to the kernel */	\
	X(DROP,		"drop")		/* dropped (sum of reasons) */	\
	X(NO_XSK,	"no_xsk")	/* wanted a worker, none bound: passed */ \
	X(NO_PORT,	"no_port")	/* ifindex not a genkan port: passed */	\
	X(META_FAIL,	"meta_fail")	/* hand-off not attached: dropped */ \
	X(HOLD,		"hold")		/* port switching hand-off: dropped */

enum gk_xdp_event {
#define GK_X(n, s) GK_XDP_EV_##n,
	GK_XDP_EVENT_LIST(GK_X)
#undef GK_X
	GK_XDP_EV_MAX
};

/* Layout of the gk_stats per-CPU array: classes, then drops, then events. */
#define GK_STAT_CLASS(c)	(c)
#define GK_STAT_DROP(d)		(GK_CLASS_MAX + (d))
#define GK_STAT_EVENT(e)	(GK_CLASS_MAX + GK_XDP_DROP_MAX + (e))
#define GK_STAT_MAX		(GK_CLASS_MAX + GK_XDP_DROP_MAX + GK_XDP_EV_MAX)

/* gk_xdp_meta.flags */
#define GK_META_F_IPV4		0x01
#define GK_META_F_IPV6		0x02
#define GK_META_F_VLAN		0x04	/* at least one 802.1Q tag */
#define GK_META_F_FRAG		0x08	/* IPv4 fragment or IPv6 fragment hdr */
#define GK_META_F_L4		0x10	/* l4_off/l4_proto are valid */
#define GK_META_F_LATER_FRAG	0x20	/* non-first fragment: no L4 header */
#define GK_META_F_ORIGIN	0x40	/* built by genkan: L3 stage must not decrement TTL/hop limit */

struct gk_xdp_meta {
	__u16 magic;		/* GK_META_MAGIC */
	__u8  version;		/* GK_META_VERSION */
	__u8  class;		/* enum gk_class */
	__u16 l3_off;		/* from the start of the frame */
	__u16 l4_off;		/* valid when GK_META_F_L4 */
	__u8  l4_proto;		/* IPPROTO_* of the transport header */
	__u8  flags;		/* GK_META_F_* */
	__u16 vlan_tci;		/* outer tag, host order; 0 when untagged */
	/*
	 * gk_flow_hash4/6() of the 5-tuple where the class's stage reads
	 * it; 0 for TRANSIT, MAP-E over IPv6 and TTL_EXPIRED (the rule is at
	 * flow_hash in bpf/classifier.bpf.c)
	 */
	__u32 flow_hash;
};

_Static_assert(sizeof(struct gk_xdp_meta) == 16, "gk_xdp_meta is ABI");
_Static_assert(sizeof(struct gk_xdp_meta) % 4 == 0, "adjust_meta needs 4B units");

#endif
