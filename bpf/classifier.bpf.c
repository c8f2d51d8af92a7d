// SPDX-License-Identifier: BSD-3-Clause
/*
 * genkan XDP classifier: decide per packet whether a worker (AF_XDP), the
 * kernel, or nobody gets it. dataplane/parse.c is its software twin and
 * must make the same decisions; tests/classify runs one fixture table
 * through both.
 *
 * Rules, in order (first match wins):
 *
 *  0. ingress ifindex not in gk_ports, or port lacks GK_PORT_F_ENABLED:
 *     event NO_PORT, PASS (no class counted).
 *  1. frame < 14 bytes: DROP TRUNC_ETH.
 *  2. source MAC has the group bit (multicast/broadcast): DROP BAD_SRC.
 *  3. VLAN tags (0x8100, 0x88a8): up to two; a third: DROP VLAN_DEPTH; a
 *     tag cut short: DROP TRUNC_VLAN. vlan_tci = outer TCI, flag VLAN.
 *  4. ARP: CONTROL, PASS. Any other non-IP ethertype: NON_IP, PASS.
 *  5. IPv4 (RFC 791):
 *     < 20 bytes: TRUNC_IP4; version != 4: BAD_IP_VER; IHL < 5 or header
 *     past the frame: BAD_IHL; tot_len < IHL*4 or past the frame:
 *     BAD_IP4_LEN. From here on tot_len, not the frame, bounds the parse.
 *     dst 224/4 or 255.255.255.255: MCAST (protocol IGMP: CONTROL).
 *     dst in gk_local4: LOCAL -- or WireGuard (wg_class(), gk_wg set,
 *     ingress port = its port_id, UDP to its listen_port, not a
 *     fragment): message type 4 with UDP length >= 8 + 32: WG_DATA, L4
 *     metadata as for TRANSIT, redirected to a worker; types 1-3:
 *     WG_HANDSHAKE, PASS (genkand's socket).
 *     dst MAC multicast/broadcast: MCAST (RFC 1812 5.3.4: a link-layer
 *     broadcast is never forwarded).
 *     TTL <= 1: TTL_EXPIRED (see rule 9), parse continues as for TRANSIT.
 *     MF or offset set: flag FRAG; offset != 0: LATER_FRAG, no L4.
 *     MAP-E (RFC 7597), once rule 7 has passed and only where the class
 *     would be TRANSIT (TTL_EXPIRED stays): ingress port flagged
 *     GK_PORT_F_MAPE_CE_V4 (a CE's LAN side): MAPE_CE; else dst in the
 *     gk_mape_v4 LPM trie (BR domains, a CE's FMR prefixes): its class.
 *     The metadata is that of TRANSIT.
 *  6. IPv6 (RFC 8200):
 *     < 40 bytes: TRUNC_IP6; version != 6: BAD_IP_VER; 40 + payload_len
 *     past the frame: BAD_IP6_LEN. payload_len then bounds the parse.
 *     Walk extension headers 0, 43, 44, 60, 51 (AH, RFC 4302), at most
 *     GK_EXTHDR_MAX of them: one more: DROP EXTHDR_CHAIN; one cut short:
 *     DROP TRUNC_EXTHDR. A fragment header sets FRAG; a non-zero offset
 *     sets LATER_FRAG and ends the walk (no L4).
 *     ICMPv6 (not a later fragment, >= 8 bytes) of type 130-137 or 143
 *     (MLD, MLDv2, RS/RA/NS/NA/redirect): CONTROL.
 *     MAP-E (RFC 7597 8): final next header 4 (IPv4-in-IPv6) or 58
 *     (ICMPv6, errors about the tunnel), also in a later fragment, and dst
 *     in gk_mape_v6 (the CE or BR address): that class, MAPE_CE or
 *     MAPE_BR. Checked before the rules below, so the BR address may also
 *     be a host address; hop limit does not matter (the packet is for
 *     us). L4 as in rule 7; the inner IPv4 packet is not looked at here,
 *     the MAP-E stage checks it and counts failures per domain.
 *     dst ff00::/8: MCAST. dst fe80::/10: LOCAL. dst in gk_local6: LOCAL
 *     or WireGuard, as for IPv4 (no fragment header allowed).
 *     dst MAC multicast: MCAST (as for IPv4). hop limit <= 1: TTL_EXPIRED
 *     (see rule 9), parse continues as for TRANSIT.
 *  7. L4 (first fragment or unfragmented, routed and MAP-E packets): TCP needs
 *     20 bytes and 5 <= doff with the options present, UDP 8, ICMP (1) and
 *     ICMPv6 (58) 8; otherwise DROP TRUNC_L4 -- except for TTL_EXPIRED,
 *     which is answered whatever follows: it keeps its class without flag
 *     L4, l4_off 0 and ports 0. Flag L4 and l4_off are set for any
 *     protocol (l4_off points at whatever follows the IP and extension
 *     headers, e.g. GRE, ESP, IPIP); only those four are checked.
 *     l4_proto is the upper-layer protocol whenever the class is TRANSIT,
 *     TTL_EXPIRED, MAPE_CE or MAPE_BR, also for later fragments.
 *  8. Otherwise TRANSIT. TRANSIT, MAPE_CE and MAPE_BR go to a worker:
 *     if rx_queue_index < gk_cfg_nr_queues and a socket
 *     sits at GK_XSK_KEY(port_id, rx_queue_index), hand struct
 *     gk_xdp_meta over as the port's flags say and REDIRECT; no socket:
 *     event NO_XSK, PASS. Port flag HOLD: event HOLD, DROP. Hand-off:
 *     none (HAND_PARSE), bpf_xdp_adjust_head (HAND_HEAD), else
 *     bpf_xdp_adjust_meta; a helper the verifier refused (rodata NO_META,
 *     NO_HEAD: dead code) or that failed: event META_FAIL, gk_hand_fail
 *     [port_id]++, DROP -- never PASS, the kernel would not forward it.
 *  9. TTL_EXPIRED: with GK_CFG_F_TTL_TO_KERNEL, PASS (the kernel answers,
 *     if it forwards at all). Without it, as rule 8 with class
 *     TTL_EXPIRED in the metadata: a worker (dataplane/icmp_err.c) sends
 *     the Time Exceeded, because a gateway running with kernel forwarding
 *     off drops these silently and traceroute goes blind.
 *
 * flow_hash (the classes a worker gets): gk_flow_hash4/6 over the addresses,
 * the first 32 bits of the TCP/UDP header (0 for other protocols, later
 * fragments and unparsed L4) and l4_proto -- where the class's own stage
 * reads it: MAPE_CE and MAPE_BR over IPv4 (the encap's outer flow
 * label), WG_DATA and L4_SERVICE (their flow tables). Everything else
 * carries 0: TRANSIT (routed; WireGuard's tx hook hashes what it seals
 * to a peer over IPv6 itself, dataplane/core/pkthdr.h gk_ip_flow_hash),
 * MAP-E over IPv6 (decapsulated here; a BR's hairpin hashes the inner
 * packet) and TTL_EXPIRED (the ICMP stage answers it without); an
 * L4_SERVICE fragment, which the stage drops unread, keeps what its
 * packet had. Hashing costs the software twin about 21 instructions an
 * IPv4 packet and 17 cycles an IPv6 one (docs/dpdk.md).
 *
 * Counters (gk_stats, per CPU, packets and frame bytes): exactly one class
 * per classified packet (DROPPED for drops), one drop reason per drop, and
 * one of the events REDIRECT/PASS/DROP per packet plus NO_XSK, NO_PORT,
 * META_FAIL when they happen. With GK_CFG_F_PASS_ALL everything is
 * classified and counted the same, but the verdict is always PASS.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include <genkan/bpf_maps.h>
#include <genkan/flowhash.h>
#include <genkan/meta.h>

#include "maps.h"
#include "cursor.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 gk_cfg_nr_queues = 1;
const volatile __u32 gk_cfg_flags = 0;

#define GK_EXTHDR_MAX	6	/* extension headers walked per packet */
#define GK_VLAN_MAX	2

#define ETH_P_8021AD_	0x88a8
#define IP_MF_		0x2000
#define IP_OFFSET_	0x1fff
#define IP6_OFFSET_	0xfff8

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

struct frag6 {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 id;
};

/* What the parse found; turned into struct gk_xdp_meta on redirect. */
struct pinfo {
	__u16 l3_off;
	__u16 l4_off;
	__u8 l4_proto;
	__u8 flags;
	__u8 drop;	/* enum gk_xdp_drop when the class is DROPPED */
	__u8 l2_group;	/* destination MAC is multicast/broadcast */
	__u8 mape_ce_v4;	/* ingress port has GK_PORT_F_MAPE_CE_V4 */
	__u32 port_id;		/* ingress genkan port */
	__u16 vlan_tci;
	__u32 ports;
	__u32 flow_hash;
};

static __always_inline void count(__u32 idx, __u32 bytes)
{
	struct gk_xdp_counter *c = bpf_map_lookup_elem(&gk_stats, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

static __always_inline int drop(struct pinfo *pi, enum gk_xdp_drop why)
{
	pi->drop = why;
	return GK_CLASS_DROPPED;
}

static __always_inline int is_exthdr(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_FRAGMENT || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_AH;
}

/* Validate the transport header at the cursor; fills pi->ports. */
static __always_inline int parse_l4(struct cursor *c, struct pinfo *pi)
{
	struct tcphdr *th;
	__u32 *ports;

	pi->l4_off = c->off;
	pi->flags |= GK_META_F_L4;
	pi->ports = 0;

	switch (pi->l4_proto) {
	case IPPROTO_TCP:
		th = cur_peek(c, sizeof(*th));
		if (!th)
			return -1;
		/* RFC 9293 3.1: data offset counts 32-bit words, >= 5 */
		if (th->doff < 5 || th->doff * 4 > cur_left(c))
			return -1;
		pi->ports = *(__u32 *)th;
		break;
	case IPPROTO_UDP:
		ports = cur_peek(c, sizeof(struct udphdr));
		if (!ports)
			return -1;
		pi->ports = *ports;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (!cur_peek(c, 8))
			return -1;
		break;
	}
	return 0;
}

/* A gk_mape_v4/v6 value; anything but the two MAP-E classes is ignored. */
static __always_inline int mape_class(const __u8 *v)
{
	if (!v)
		return 0;
	if (*v == GK_CLASS_MAPE_CE || *v == GK_CLASS_MAPE_BR)
		return *v;
	return 0;
}

/* Rule 5, MAP-E: what a would-be TRANSIT IPv4 packet becomes. */
static __always_inline int mape4(const struct pinfo *pi, __be32 daddr)
{
	struct gk_lpm4_key k = { .prefixlen = 32, .addr = daddr };
	int cls;

	if (pi->mape_ce_v4)
		return GK_CLASS_MAPE_CE;
	cls = mape_class(bpf_map_lookup_elem(&gk_mape_v4, &k));
	return cls ? cls : GK_CLASS_TRANSIT;
}

/*
 * Rule 4a, WireGuard: UDP to our listen port on the configured port, a
 * local destination. c is at the UDP header. Data (type 4, reserved bytes
 * zero, >= 32 bytes: header + tag) goes to the workers; handshake types
 * 1-3 to the kernel, where genkand's socket is bound; anything else stays
 * LOCAL. A fragment is never WireGuard here: the kernel reassembles it.
 */
static __always_inline int wg_class(struct cursor *c, struct pinfo *pi,
				    __u8 proto, int frag)
{
	struct udphdr *uh;
	__u32 zero = 0, type;
	struct gk_wg_xdp *wg;
	__u8 *msg;

	if (proto != IPPROTO_UDP || frag)
		return GK_CLASS_LOCAL;
	wg = bpf_map_lookup_elem(&gk_wg, &zero);
	if (!wg || !wg->listen_port || wg->port_id != pi->port_id)
		return GK_CLASS_LOCAL;
	uh = cur_peek(c, sizeof(*uh));
	if (!uh || uh->dest != wg->listen_port)
		return GK_CLASS_LOCAL;
	msg = cur_peek(c, sizeof(*uh) + 4);
	if (!msg)
		return GK_CLASS_LOCAL;
	msg += sizeof(*uh);
	type = msg[0] | msg[1] << 8 | msg[2] << 16 | (__u32)msg[3] << 24;
	if (type >= 1 && type <= 3)
		return GK_CLASS_WG_HANDSHAKE;
	if (type != 4 || bpf_ntohs(uh->len) < sizeof(*uh) + 32 ||
	    bpf_ntohs(uh->len) > cur_left(c))
		return GK_CLASS_LOCAL;
	pi->l4_proto = IPPROTO_UDP;
	pi->l4_off = c->off;
	pi->flags |= GK_META_F_L4;
	pi->ports = *(__u32 *)uh;
	return GK_CLASS_WG_DATA;
}

/* Rule 7 for TTL_EXPIRED: a bad L4 header is quoted, not dropped. */
static __always_inline void no_l4(struct pinfo *pi)
{
	pi->flags &= ~GK_META_F_L4;
	pi->l4_off = 0;
	pi->ports = 0;
}

static __always_inline int parse_ip4(struct cursor *c, struct pinfo *pi)
{
	struct iphdr *iph;
	__u32 ihl, tot, daddr;
	int expired, cls;
	__u16 frag;

	iph = cur_peek(c, sizeof(*iph));
	if (!iph)
		return drop(pi, GK_XDP_DROP_TRUNC_IP4);
	if (iph->version != 4)
		return drop(pi, GK_XDP_DROP_BAD_IP_VER);
	ihl = iph->ihl * 4;
	if (ihl < sizeof(*iph) || ihl > cur_left(c))
		return drop(pi, GK_XDP_DROP_BAD_IHL);
	tot = bpf_ntohs(iph->tot_len);
	if (tot < ihl || tot > cur_left(c))
		return drop(pi, GK_XDP_DROP_BAD_IP4_LEN);
	c->lim = c->off + tot;
	pi->l3_off = c->off;
	pi->flags |= GK_META_F_IPV4;

	daddr = iph->daddr;
	/* RFC 1112 4 (224/4) and RFC 919 7 (limited broadcast) */
	if ((daddr & bpf_htonl(0xf0000000)) == bpf_htonl(0xe0000000) ||
	    daddr == 0xffffffff)
		return iph->protocol == IPPROTO_IGMP ? GK_CLASS_CONTROL :
						       GK_CLASS_MCAST;
	if (bpf_map_lookup_elem(&gk_local4, &daddr)) {
		frag = bpf_ntohs(iph->frag_off);
		if (!cur_pull(c, ihl))
			return GK_CLASS_LOCAL;
		cls = wg_class(c, pi, iph->protocol,
			       frag & (IP_MF_ | IP_OFFSET_));
		if (cls == GK_CLASS_WG_DATA)
			pi->flow_hash = gk_flow_hash4(iph->saddr, iph->daddr,
						      pi->ports, IPPROTO_UDP);
		return cls;
	}
	if (pi->l2_group)
		return GK_CLASS_MCAST;
	/* RFC 1812 5.3.1: never forwarded, but answered (rule 9) */
	expired = iph->ttl <= 1;

	pi->l4_proto = iph->protocol;
	frag = bpf_ntohs(iph->frag_off);
	if (frag & (IP_MF_ | IP_OFFSET_))
		pi->flags |= GK_META_F_FRAG;
	if (frag & IP_OFFSET_) {
		pi->flags |= GK_META_F_LATER_FRAG;
		pi->ports = 0;
	} else {
		if (!cur_pull(c, ihl) || parse_l4(c, pi)) {
			if (!expired)
				return drop(pi, GK_XDP_DROP_TRUNC_L4);
			no_l4(pi);
		}
	}
	if (expired)
		return GK_CLASS_TTL_EXPIRED;
	cls = mape4(pi, daddr);
	if (cls != GK_CLASS_TRANSIT)
		pi->flow_hash = gk_flow_hash4(iph->saddr, iph->daddr,
					      pi->ports, pi->l4_proto);
	return cls;
}

static __always_inline int parse_ip6(struct cursor *c, struct pinfo *pi)
{
	struct ipv6hdr *ip6h;
	struct gk_in6 dst;
	__u8 *hdr, nh, type;
	__u32 plen, hlen;
	struct frag6 *fh;
	int i, expired, mape, cls;

	ip6h = cur_peek(c, sizeof(*ip6h));
	if (!ip6h)
		return drop(pi, GK_XDP_DROP_TRUNC_IP6);
	if (ip6h->version != 6)
		return drop(pi, GK_XDP_DROP_BAD_IP_VER);
	plen = bpf_ntohs(ip6h->payload_len);
	if (sizeof(*ip6h) + plen > cur_left(c))
		return drop(pi, GK_XDP_DROP_BAD_IP6_LEN);
	c->lim = c->off + sizeof(*ip6h) + plen;
	pi->l3_off = c->off;
	pi->flags |= GK_META_F_IPV6;
	cur_pull(c, sizeof(*ip6h));

	/* RFC 8200 4.1: walk the chain in order, bounded */
	nh = ip6h->nexthdr;
#pragma unroll
	for (i = 0; i <= GK_EXTHDR_MAX; i++) {
		if (!is_exthdr(nh))
			break;
		if (i == GK_EXTHDR_MAX)
			return drop(pi, GK_XDP_DROP_EXTHDR_CHAIN);
		if (nh == IPPROTO_FRAGMENT) {
			/* RFC 8200 4.5 */
			fh = cur_pull(c, sizeof(*fh));
			if (!fh)
				return drop(pi, GK_XDP_DROP_TRUNC_EXTHDR);
			pi->flags |= GK_META_F_FRAG;
			nh = fh->nexthdr;
			if (fh->frag_off & bpf_htons(IP6_OFFSET_)) {
				pi->flags |= GK_META_F_LATER_FRAG;
				break;
			}
			continue;
		}
		/* every extension header is at least 8 bytes */
		hdr = cur_peek(c, 8);
		if (!hdr)
			return drop(pi, GK_XDP_DROP_TRUNC_EXTHDR);
		if (nh == IPPROTO_AH)
			hlen = (hdr[1] + 2) * 4;	/* RFC 4302 2.2 */
		else
			hlen = (hdr[1] + 1) * 8;
		nh = hdr[0];
		if (!cur_pull(c, hlen))
			return drop(pi, GK_XDP_DROP_TRUNC_EXTHDR);
	}

	if (nh == IPPROTO_ICMPV6 && !(pi->flags & GK_META_F_LATER_FRAG)) {
		hdr = cur_peek(c, 8);
		if (hdr) {
			type = hdr[0];
			/* RFC 4861 4, RFC 2710 3, RFC 3810 5 */
			if ((type >= 130 && type <= 137) || type == 143)
				return GK_CLASS_CONTROL;
		}
	}
	__builtin_memcpy(&dst, &ip6h->daddr, sizeof(dst));
	/* RFC 7597 8: the tunnel ends here, whatever else dst is */
	mape = 0;
	if (nh == IPPROTO_IPIP || nh == IPPROTO_ICMPV6)
		mape = mape_class(bpf_map_lookup_elem(&gk_mape_v6, &dst));
	expired = 0;
	if (!mape) {
		if (ip6h->daddr.s6_addr[0] == 0xff)
			return GK_CLASS_MCAST;
		if (ip6h->daddr.s6_addr[0] == 0xfe &&
		    (ip6h->daddr.s6_addr[1] & 0xc0) == 0x80)
			return GK_CLASS_LOCAL;
		if (bpf_map_lookup_elem(&gk_local6, &dst)) {
			cls = wg_class(c, pi, nh, pi->flags & GK_META_F_FRAG);
			if (cls == GK_CLASS_WG_DATA)
				pi->flow_hash = gk_flow_hash6(
					ip6h->saddr.in6_u.u6_addr32,
					ip6h->daddr.in6_u.u6_addr32,
					pi->ports, IPPROTO_UDP);
			return cls;
		}
		if (pi->l2_group)
			return GK_CLASS_MCAST;
		/* RFC 8200 3, RFC 4443 3.3: never forwarded, but answered (rule 9) */
		expired = ip6h->hop_limit <= 1;
	}

	pi->l4_proto = nh;
	if (pi->flags & GK_META_F_LATER_FRAG) {
		pi->ports = 0;
	} else if (parse_l4(c, pi)) {
		if (!expired)
			return drop(pi, GK_XDP_DROP_TRUNC_L4);
		no_l4(pi);
	}
	if (expired)
		return GK_CLASS_TTL_EXPIRED;
	/* no hash: MAP-E over IPv6 is decapsulated here, TRANSIT routed */
	return mape ? mape : GK_CLASS_TRANSIT;
}

static __always_inline int classify(struct cursor *c, struct pinfo *pi)
{
	struct vlan_tag *tag;
	struct ethhdr *eth;
	__u16 proto;
	int i;

	eth = cur_pull(c, sizeof(*eth));
	if (!eth)
		return drop(pi, GK_XDP_DROP_TRUNC_ETH);
	/* IEEE 802.3 3.2.3: a group address is never a valid source */
	if (eth->h_source[0] & 1)
		return drop(pi, GK_XDP_DROP_BAD_SRC);
	pi->l2_group = eth->h_dest[0] & 1;

	proto = eth->h_proto;
#pragma unroll
	for (i = 0; i <= GK_VLAN_MAX; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD_))
			break;
		if (i == GK_VLAN_MAX)
			return drop(pi, GK_XDP_DROP_VLAN_DEPTH);
		tag = cur_pull(c, sizeof(*tag));
		if (!tag)
			return drop(pi, GK_XDP_DROP_TRUNC_VLAN);
		if (i == 0) {
			pi->vlan_tci = bpf_ntohs(tag->tci);
			pi->flags |= GK_META_F_VLAN;
		}
		proto = tag->proto;
	}

	if (proto == bpf_htons(ETH_P_IP))
		return parse_ip4(c, pi);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ip6(c, pi);
	if (proto == bpf_htons(ETH_P_ARP))
		return GK_CLASS_CONTROL;
	return GK_CLASS_NON_IP;
}

#define GK_L3_OFF_MAX	(14 + 4 * GK_VLAN_MAX)

/*
 * A fragment to a listen address (gk_l4svc's address key: proto 0, port
 * 0): L4_SERVICE too, flagged FRAG (LATER_FRAG past offset 0), so the
 * stage drops and counts it instead of the kernel or the FIB getting it.
 */
static __always_inline int l4_fragment(struct pinfo *pi, struct gk_l4_key *k,
				       int cls, int later)
{
	k->proto = 0;
	k->port = 0;
	if (!bpf_map_lookup_elem(&gk_l4svc, k))
		return cls;
	pi->flags |= GK_META_F_FRAG | (later ? GK_META_F_LATER_FRAG : 0);
	return GK_CLASS_L4_SERVICE;
}

/*
 * Rule 10 for ICMP errors about a service's flows: an ICMPv4 error (type
 * 3, 11, 12) or ICMPv6 error (1-4), ICMP right after the IP header, not a
 * fragment, whose quote is TCP or UDP from the outer destination and a
 * listen port of that protocol (the key as for the service's own
 * packets), with the quoted IP header whole (IPv4: IHL >= 5, no later
 * fragment; IPv6: no extension header) and the quoted ports present:
 * L4_SERVICE, L4 metadata at the ICMP header, flow_hash over the outer
 * addresses (ports 0). Anything else keeps its class: errors about the
 * host's own connections stay the kernel's. A global function, as
 * gk_l4_service.
 */
__attribute__((noinline)) int gk_l4_icmp(struct xdp_md *ctx,
					  struct pinfo *pi, int cls)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct gk_l4_key k = {};
	__u32 off, l4, end, eihl, src[4] = {}, dst[4] = {};
	struct ipv6hdr *ip6h, *e6;
	struct iphdr *iph, *e4;
	__u8 *ic, *eth;

	if (!pi)
		return cls;
	off = pi->l3_off;
	if (off > GK_L3_OFF_MAX)
		return cls;
	if (pi->flags & GK_META_F_IPV4) {
		iph = data + off;
		if ((void *)(iph + 1) > data_end)
			return cls;
		if (iph->protocol != IPPROTO_ICMP ||
		    (iph->frag_off & bpf_htons(IP_MF_ | IP_OFFSET_)))
			return cls;
		k.family = 4;
		src[0] = iph->saddr;
		dst[0] = iph->daddr;
		l4 = off + iph->ihl * 4;
		end = off + bpf_ntohs(iph->tot_len);
	} else {
		ip6h = data + off;
		if ((void *)(ip6h + 1) > data_end)
			return cls;
		if (ip6h->nexthdr != IPPROTO_ICMPV6)
			return cls;
		k.family = 6;
		__builtin_memcpy(src, &ip6h->saddr, sizeof(src));
		__builtin_memcpy(dst, &ip6h->daddr, sizeof(dst));
		l4 = off + sizeof(*ip6h);
		end = l4 + bpf_ntohs(ip6h->payload_len);
	}
	if (l4 > GK_L3_OFF_MAX + 60)
		return cls;
	ic = data + l4;
	if ((void *)(ic + 8) > data_end || l4 + 8 > end)
		return cls;
	/* RFC 1812 4.3.2.7, RFC 4443 2.1: the error types */
	if (k.family == 4 ? ic[0] != 3 && ic[0] != 11 && ic[0] != 12 :
			    ic[0] < 1 || ic[0] > 4)
		return cls;
	if (k.family == 4) {
		e4 = (void *)(ic + 8);
		if ((void *)(e4 + 1) > data_end)
			return cls;
		eihl = e4->ihl * 4;
		if (e4->version != 4 || eihl < 20 ||
		    (e4->frag_off & bpf_htons(IP_OFFSET_)) ||
		    e4->saddr != dst[0])
			return cls;
		k.proto = e4->protocol;
		k.addr[0] = e4->saddr;
	} else {
		e6 = (void *)(ic + 8);
		if ((void *)(e6 + 1) > data_end)
			return cls;
		eihl = sizeof(*e6);
		if (e6->version != 6)
			return cls;
		k.proto = e6->nexthdr;
		__builtin_memcpy(k.addr, &e6->saddr, sizeof(k.addr));
		if (k.addr[0] != dst[0] || k.addr[1] != dst[1] ||
		    k.addr[2] != dst[2] || k.addr[3] != dst[3])
			return cls;
	}
	if (k.proto != IPPROTO_TCP && k.proto != IPPROTO_UDP)
		return cls;
	if (l4 + 8 + eihl + 4 > end)
		return cls;
	eth = ic + 8 + eihl;
	if ((void *)(eth + 4) > data_end)
		return cls;
	/* the quote is a reply: its source port is the listen port */
	k.port = *(__be16 *)eth;
	if (!bpf_map_lookup_elem(&gk_l4svc, &k))
		return cls;
	pi->l4_off = l4;
	pi->l4_proto = k.family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	pi->flags |= GK_META_F_L4;
	pi->ports = 0;
	if (k.family == 4)
		pi->flow_hash = gk_flow_hash4(src[0], dst[0], 0, IPPROTO_ICMP);
	else
		pi->flow_hash = gk_flow_hash6(src, dst, 0, IPPROTO_ICMPV6);
	return GK_CLASS_L4_SERVICE;
}

/*
 * Rule 10, L4 services (front door), after rules 1-9 and only with
 * GK_CFG_F_L4 (rodata: [l4-service]s configured): a LOCAL, TRANSIT or
 * TTL_EXPIRED packet that is TCP or UDP, not a fragment, right after the
 * IP header (IPv6: no extension header), to (family, proto, dst port, dst)
 * in gk_l4svc becomes L4_SERVICE (the TTL does not matter: it is for us),
 * L4 metadata as for TRANSIT and always a flow_hash; its L4 header cut
 * short: DROP TRUNC_L4. A fragment (IPv4 MF/offset, an IPv6 fragment header
 * right after the fixed header) to a listen address that is not the
 * host's: L4_SERVICE with FRAG (see l4_fragment); the host's own keep
 * going to the kernel, which reassembles them. A global function: the verifier checks it once, on its
 * own, instead of once per state the parse above can end in.
 */
__attribute__((noinline)) int gk_l4_service(struct xdp_md *ctx,
					     struct pinfo *pi, int cls)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct gk_l4_key k = {};
	__u32 off, l4, end, need, src[4] = {};
	struct ipv6hdr *ip6h;
	struct iphdr *iph;
	__u8 *th;

	if (!pi)
		return cls;
	off = pi->l3_off;
	if (off > GK_L3_OFF_MAX)
		return cls;
	if (pi->flags & GK_META_F_IPV4) {
		iph = data + off;
		if ((void *)(iph + 1) > data_end)
			return cls;
		if (iph->frag_off & bpf_htons(IP_MF_ | IP_OFFSET_)) {
			if (cls == GK_CLASS_LOCAL)
				return cls;
			k.family = 4;
			k.addr[0] = iph->daddr;
			return l4_fragment(pi, &k, cls,
					   iph->frag_off & bpf_htons(IP_OFFSET_));
		}
		k.family = 4;
		k.proto = iph->protocol;
		k.addr[0] = iph->daddr;
		src[0] = iph->saddr;
		l4 = off + iph->ihl * 4;
		end = off + bpf_ntohs(iph->tot_len);
	} else {
		ip6h = data + off;
		if ((void *)(ip6h + 1) > data_end)
			return cls;
		k.family = 6;
		k.proto = ip6h->nexthdr;
		__builtin_memcpy(k.addr, &ip6h->daddr, sizeof(k.addr));
		__builtin_memcpy(src, &ip6h->saddr, sizeof(src));
		l4 = off + sizeof(*ip6h);
		end = l4 + bpf_ntohs(ip6h->payload_len);
		if (k.proto == IPPROTO_FRAGMENT) {
			if (cls == GK_CLASS_LOCAL)
				return cls;
			k.proto = 0;
			return l4_fragment(pi, &k, cls,
					   pi->flags & GK_META_F_LATER_FRAG);
		}
	}
	if (k.proto == IPPROTO_ICMP || k.proto == IPPROTO_ICMPV6)
		return gk_l4_icmp(ctx, pi, cls);
	if (k.proto != IPPROTO_TCP && k.proto != IPPROTO_UDP)
		return cls;
	if (l4 > GK_L3_OFF_MAX + 60 || l4 + 4 > end)
		return cls;
	th = data + l4;
	if ((void *)(th + 4) > data_end)
		return cls;
	k.port = *(__be16 *)(th + 2);
	if (!bpf_map_lookup_elem(&gk_l4svc, &k))
		return cls;
	/* RFC 9293 3.1, RFC 768: the header must be whole */
	need = k.proto == IPPROTO_TCP ? 20 : 8;
	if ((void *)(th + 20) <= data_end && k.proto == IPPROTO_TCP)
		need = (th[12] >> 4) * 4 < 20 ? 0xffff : (th[12] >> 4) * 4;
	if (l4 + need > end || data + l4 + need > data_end) {
		pi->drop = GK_XDP_DROP_TRUNC_L4;
		return GK_CLASS_DROPPED;
	}
	pi->l4_off = l4;
	pi->l4_proto = k.proto;
	pi->flags |= GK_META_F_L4;
	pi->ports = *(__u32 *)th;
	if (k.family == 4)
		pi->flow_hash = gk_flow_hash4(src[0], k.addr[0], pi->ports,
					      k.proto);
	else
		pi->flow_hash = gk_flow_hash6(src, k.addr, pi->ports, k.proto);
	return GK_CLASS_L4_SERVICE;
}

static __always_inline int pass(__u32 bytes)
{
	count(GK_STAT_EVENT(GK_XDP_EV_PASS), bytes);
	return XDP_PASS;
}

/* Metadata as XDP metadata: refused by some kernels and drivers. */
static __always_inline int attach_meta(struct xdp_md *ctx,
				       struct gk_xdp_meta **meta)
{
	void *data;

	if ((gk_cfg_flags & (GK_CFG_F_NO_META | GK_CFG_F_TEST_HAND_FAIL)) ||
	    bpf_xdp_adjust_meta(ctx, -(int)sizeof(**meta)))
		return -1;
	*meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(*meta + 1) > data)
		return -1;
	return 0;
}

/* Metadata prepended to the frame; the worker's backend strips it. */
static __always_inline int attach_head(struct xdp_md *ctx,
				       struct gk_xdp_meta **meta)
{
	void *data_end;

	if ((gk_cfg_flags & (GK_CFG_F_NO_HEAD | GK_CFG_F_TEST_HAND_FAIL)) ||
	    bpf_xdp_adjust_head(ctx, -(int)sizeof(**meta)))
		return -1;
	*meta = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if ((void *)(*meta + 1) > data_end)
		return -1;
	return 0;
}

static __always_inline int redirect(struct xdp_md *ctx, __u32 port_id,
				    __u32 pflags, int cls, struct pinfo *pi,
				    __u32 bytes)
{
	__u32 rxq = ctx->rx_queue_index;
	struct gk_xdp_meta *meta = NULL;
	__u64 *fails;
	__u32 key;
	long act;

	key = GK_XSK_KEY(port_id, rxq);
	if (rxq >= gk_cfg_nr_queues || rxq >= GK_MAX_QUEUES ||
	    port_id >= GK_MAX_PORTS || !bpf_map_lookup_elem(&gk_xsks, &key)) {
		count(GK_STAT_EVENT(GK_XDP_EV_NO_XSK), bytes);
		return pass(bytes);
	}
	if (pflags & GK_PORT_F_HOLD) {
		count(GK_STAT_EVENT(GK_XDP_EV_HOLD), bytes);
		count(GK_STAT_EVENT(GK_XDP_EV_DROP), bytes);
		return XDP_DROP;
	}

	if (pflags & GK_PORT_F_HAND_PARSE) {
		/* nothing handed over: the worker runs dataplane/parse.c */
	} else if (pflags & GK_PORT_F_HAND_HEAD) {
		if (attach_head(ctx, &meta))
			goto hand_fail;
	} else if (attach_meta(ctx, &meta)) {
		goto hand_fail;
	}
	if (meta) {
		meta->magic = GK_META_MAGIC;
		meta->version = GK_META_VERSION;
		meta->class = cls;
		meta->l3_off = pi->l3_off;
		meta->l4_off = pi->l4_off;
		meta->l4_proto = pi->l4_proto;
		meta->flags = pi->flags;
		meta->vlan_tci = pi->vlan_tci;
		meta->flow_hash = pi->flow_hash;
	}

	act = bpf_redirect_map(&gk_xsks, key, XDP_PASS);
	if (act != XDP_REDIRECT) {
		/* socket went away since the lookup: the kernel gets the
		 * frame as it came */
		if (meta && (pflags & GK_PORT_F_HAND_HEAD) &&
		    !(pflags & GK_PORT_F_HAND_PARSE) &&
		    !(gk_cfg_flags & GK_CFG_F_NO_HEAD) &&
		    bpf_xdp_adjust_head(ctx, (int)sizeof(*meta))) {
			count(GK_STAT_EVENT(GK_XDP_EV_DROP), bytes);
			return XDP_DROP;
		}
		count(GK_STAT_EVENT(GK_XDP_EV_NO_XSK), bytes);
		return pass(bytes);
	}
	count(GK_STAT_EVENT(GK_XDP_EV_REDIRECT), bytes);
	return XDP_REDIRECT;

hand_fail:
	/*
	 * Never PASS: the kernel does not forward on a genkan gateway, so
	 * the packet would vanish unexplained. Drop and count per port;
	 * genkand switches the port to a mode that works.
	 */
	key = port_id;
	fails = bpf_map_lookup_elem(&gk_hand_fail, &key);
	if (fails)
		(*fails)++;
	count(GK_STAT_EVENT(GK_XDP_EV_META_FAIL), bytes);
	count(GK_STAT_EVENT(GK_XDP_EV_DROP), bytes);
	return XDP_DROP;
}

SEC("xdp")
int gk_classify(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 ifindex = ctx->ingress_ifindex;
	__u32 bytes = data_end - data;
	struct gk_port_info *port;
	struct pinfo pi = {};
	struct cursor c;
	__u32 port_id, pflags;
	int cls;

	port = bpf_map_lookup_elem(&gk_ports, &ifindex);
	if (!port || !(port->flags & GK_PORT_F_ENABLED)) {
		count(GK_STAT_EVENT(GK_XDP_EV_NO_PORT), bytes);
		return pass(bytes);
	}
	port_id = port->port_id;
	pflags = port->flags;
	pi.mape_ce_v4 = !!(port->flags & GK_PORT_F_MAPE_CE_V4);
	pi.port_id = port_id;

	cur_init(&c, data, data_end);
	cls = classify(&c, &pi);
	if ((gk_cfg_flags & GK_CFG_F_L4) &&
	    (cls == GK_CLASS_LOCAL || cls == GK_CLASS_TRANSIT ||
	     cls == GK_CLASS_TTL_EXPIRED))
		cls = gk_l4_service(ctx, &pi, cls);
	count(GK_STAT_CLASS(cls), bytes);

	if (cls == GK_CLASS_DROPPED) {
		count(GK_STAT_DROP(pi.drop), bytes);
		if (gk_cfg_flags & GK_CFG_F_PASS_ALL)
			return pass(bytes);
		count(GK_STAT_EVENT(GK_XDP_EV_DROP), bytes);
		return XDP_DROP;
	}
	if (gk_cfg_flags & GK_CFG_F_PASS_ALL)
		return pass(bytes);
	if (cls == GK_CLASS_TTL_EXPIRED &&
	    !(gk_cfg_flags & GK_CFG_F_TTL_TO_KERNEL))
		return redirect(ctx, port_id, pflags, cls, &pi, bytes);
	if (cls != GK_CLASS_TRANSIT && cls != GK_CLASS_MAPE_CE &&
	    cls != GK_CLASS_MAPE_BR && cls != GK_CLASS_WG_DATA &&
	    cls != GK_CLASS_L4_SERVICE)
		return pass(bytes);
	return redirect(ctx, port_id, pflags, cls, &pi, bytes);
}
