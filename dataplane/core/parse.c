// SPDX-License-Identifier: BSD-3-Clause
/*
 * Software classifier. Mirrors bpf/classifier.bpf.c rule for rule (the
 * numbered list there); offsets instead of pointers, and two bounds, as in
 * the BPF cursor: the frame length and the IP datagram's own length.
 */
#include <stddef.h>
#include <string.h>

#include <genkan/flowhash.h>

#include <genkan/bpf_maps.h>

#include "parse.h"
#include "pkt.h"
#include "pkthdr.h"

#define EXTHDR_MAX	6
#define VLAN_MAX	2

#define ETH_HLEN_	14
#define IP4_HLEN	20
#define IP6_HLEN	40

#define ETHT_IP4	0x0800
#define ETHT_ARP	0x0806
#define ETHT_8021Q	0x8100
#define ETHT_8021AD	0x88a8
#define ETHT_IP6	0x86dd

#define P_HOPOPTS	0
#define P_ICMP		1
#define P_IGMP		2
#define P_IPIP		4
#define P_TCP		6
#define P_UDP		17
#define P_ROUTING	43
#define P_FRAGMENT	44
#define P_AH		51
#define P_ICMPV6	58
#define P_DSTOPTS	60

struct pstate {
	const uint8_t *p;
	uint32_t off;		/* cursor */
	uint32_t lim;		/* logical end: frame, then IP length */
	struct gk_xdp_meta *meta;
	enum gk_xdp_drop *why;
	uint32_t ports;
	bool l2_group;
};

static inline bool have(const struct pstate *s, uint32_t n)
{
	return n <= s->lim - s->off;
}

static inline int drop(struct pstate *s, enum gk_xdp_drop why)
{
	*s->why = why;
	return GK_CLASS_DROPPED;
}

static inline bool is_exthdr(uint8_t nh)
{
	return nh == P_HOPOPTS || nh == P_ROUTING || nh == P_FRAGMENT ||
	       nh == P_DSTOPTS || nh == P_AH;
}

/* Rule 7: validate the transport header at s->off. */
static int parse_l4(struct pstate *s)
{
	const uint8_t *l4 = s->p + s->off;
	struct gk_xdp_meta *m = s->meta;
	uint32_t doff;

	m->l4_off = (uint16_t)s->off;
	m->flags |= GK_META_F_L4;
	s->ports = 0;

	switch (m->l4_proto) {
	case P_TCP:
		if (!have(s, 20))
			return -1;
		/* RFC 9293 3.1: data offset counts 32-bit words, >= 5 */
		doff = (uint32_t)(l4[12] >> 4) * 4;
		if (doff < 20 || !have(s, doff))
			return -1;
		s->ports = gk_ld32(l4);
		break;
	case P_UDP:
		if (!have(s, 8))
			return -1;
		s->ports = gk_ld32(l4);
		break;
	case P_ICMP:
	case P_ICMPV6:
		if (!have(s, 8))
			return -1;
		break;
	}
	return 0;
}

/* Rule 7 for TTL_EXPIRED: a bad L4 header is quoted, not dropped. */
static void no_l4(struct pstate *s)
{
	s->meta->flags &= (uint8_t)~GK_META_F_L4;
	s->meta->l4_off = 0;
	s->ports = 0;
}

/* A MAP-E callback's answer; anything but the two MAP-E classes is none. */
static int mape_class(int cls)
{
	return cls == GK_CLASS_MAPE_CE || cls == GK_CLASS_MAPE_BR ? cls : 0;
}

/* Rule 5, MAP-E: what a would-be TRANSIT IPv4 packet becomes. */
static int mape4(const struct gk_classify_cfg *cfg, uint32_t daddr)
{
	int cls = 0;

	if (!cfg)
		return GK_CLASS_TRANSIT;
	if (cfg->mape_ce_v4_port)
		return GK_CLASS_MAPE_CE;
	if (cfg->mape_v4)
		cls = mape_class(cfg->mape_v4(cfg->arg, daddr));
	return cls ? cls : GK_CLASS_TRANSIT;
}

/*
 * WireGuard at a local destination: s->off at the UDP header. Type 4 with
 * UDP length >= 8 + 32 -> WG_DATA (L4 metadata as for TRANSIT), 1-3 ->
 * WG_HANDSHAKE, else LOCAL; fragments are never WireGuard here.
 */
static int wg_class(struct pstate *s, const struct gk_classify_cfg *cfg,
		    uint8_t proto, bool frag)
{
	const uint8_t *uh = s->p + s->off;
	uint32_t type;

	if (!cfg || !cfg->wg_listen_port || proto != P_UDP || frag ||
	    !have(s, 12) || gk_rd16(uh + 2) != cfg->wg_listen_port)
		return GK_CLASS_LOCAL;
	type = (uint32_t)uh[8] | (uint32_t)uh[9] << 8 | (uint32_t)uh[10] << 16 |
	       (uint32_t)uh[11] << 24;
	if (type >= 1 && type <= 3)
		return GK_CLASS_WG_HANDSHAKE;
	if (type != 4 || gk_rd16(uh + 4) < 8 + 32 || !have(s, gk_rd16(uh + 4)))
		return GK_CLASS_LOCAL;
	s->meta->l4_proto = P_UDP;
	s->meta->l4_off = (uint16_t)s->off;
	s->meta->flags |= GK_META_F_L4;
	s->ports = gk_ld32(uh);
	return GK_CLASS_WG_DATA;
}

/* Rule 5 */
static int parse_ip4(struct pstate *s, const struct gk_classify_cfg *cfg)
{
	const uint8_t *ip = s->p + s->off;
	struct gk_xdp_meta *m = s->meta;
	uint32_t ihl, tot, daddr;
	uint16_t frag;
	bool expired;
	int cls;

	if (unlikely(!have(s, IP4_HLEN)))
		return drop(s, GK_XDP_DROP_TRUNC_IP4);
	if (unlikely(ip[0] >> 4 != 4))
		return drop(s, GK_XDP_DROP_BAD_IP_VER);
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	if (unlikely(ihl < IP4_HLEN || !have(s, ihl)))
		return drop(s, GK_XDP_DROP_BAD_IHL);
	tot = gk_rd16(ip + 2);
	if (unlikely(tot < ihl || !have(s, tot)))
		return drop(s, GK_XDP_DROP_BAD_IP4_LEN);
	s->lim = s->off + tot;
	m->l3_off = (uint16_t)s->off;
	m->flags |= GK_META_F_IPV4;

	/* RFC 1112 4 (224/4) and RFC 919 7 (limited broadcast) */
	if ((ip[16] & 0xf0) == 0xe0 ||
	    (ip[16] == 0xff && ip[17] == 0xff && ip[18] == 0xff && ip[19] == 0xff))
		return ip[9] == P_IGMP ? GK_CLASS_CONTROL : GK_CLASS_MCAST;
	daddr = gk_ld32(ip + 16);
	if (cfg && cfg->is_local4 && cfg->is_local4(cfg->arg, daddr)) {
		s->off += ihl;
		cls = wg_class(s, cfg, ip[9], gk_rd16(ip + 6) & 0x3fff);
		if (cls == GK_CLASS_WG_DATA)
			m->flow_hash = gk_flow_hash4(gk_ld32(ip + 12), daddr,
						     s->ports, P_UDP);
		return cls;
	}
	/* RFC 1812 5.3.4 */
	if (s->l2_group)
		return GK_CLASS_MCAST;
	/* RFC 1812 5.3.1: never forwarded, but answered (rule 9) */
	expired = ip[8] <= 1;

	m->l4_proto = ip[9];
	frag = gk_rd16(ip + 6);
	if (frag & 0x3fff)
		m->flags |= GK_META_F_FRAG;
	if (frag & 0x1fff) {
		m->flags |= GK_META_F_LATER_FRAG;
		s->ports = 0;
	} else {
		s->off += ihl;
		if (parse_l4(s)) {
			if (!expired)
				return drop(s, GK_XDP_DROP_TRUNC_L4);
			no_l4(s);
		}
	}
	if (expired)
		return GK_CLASS_TTL_EXPIRED;
	cls = mape4(cfg, daddr);
	if (cls != GK_CLASS_TRANSIT)
		m->flow_hash = gk_flow_hash4(gk_ld32(ip + 12), daddr, s->ports,
					     m->l4_proto);
	return cls;
}

static bool is_nd_or_mld(uint8_t type)
{
	/* RFC 4861 4, RFC 2710 3, RFC 3810 5 */
	return (type >= 130 && type <= 137) || type == 143;
}

/* Rule 6 */
static int parse_ip6(struct pstate *s, const struct gk_classify_cfg *cfg)
{
	const uint8_t *ip = s->p + s->off;
	struct gk_xdp_meta *m = s->meta;
	const uint8_t *hdr, *dst = ip + 24;
	uint32_t plen, hlen, sw[4], dw[4];
	bool expired = false;
	int i, mape = 0;
	uint8_t nh;

	if (unlikely(!have(s, IP6_HLEN)))
		return drop(s, GK_XDP_DROP_TRUNC_IP6);
	if (unlikely(ip[0] >> 4 != 6))
		return drop(s, GK_XDP_DROP_BAD_IP_VER);
	plen = gk_rd16(ip + 4);
	if (unlikely(!have(s, IP6_HLEN + plen)))
		return drop(s, GK_XDP_DROP_BAD_IP6_LEN);
	s->lim = s->off + IP6_HLEN + plen;
	m->l3_off = (uint16_t)s->off;
	m->flags |= GK_META_F_IPV6;
	s->off += IP6_HLEN;

	/* RFC 8200 4.1: walk the chain in order, bounded */
	nh = ip[6];
	for (i = 0; i <= EXTHDR_MAX && is_exthdr(nh); i++) {
		if (unlikely(i == EXTHDR_MAX))
			return drop(s, GK_XDP_DROP_EXTHDR_CHAIN);
		if (unlikely(!have(s, 8)))
			return drop(s, GK_XDP_DROP_TRUNC_EXTHDR);
		hdr = s->p + s->off;
		if (nh == P_FRAGMENT) {
			/* RFC 8200 4.5 */
			s->off += 8;
			m->flags |= GK_META_F_FRAG;
			nh = hdr[0];
			if (gk_rd16(hdr + 2) & 0xfff8) {
				m->flags |= GK_META_F_LATER_FRAG;
				break;
			}
			continue;
		}
		if (nh == P_AH)
			hlen = ((uint32_t)hdr[1] + 2) * 4;	/* RFC 4302 2.2 */
		else
			hlen = ((uint32_t)hdr[1] + 1) * 8;
		nh = hdr[0];
		if (unlikely(!have(s, hlen)))
			return drop(s, GK_XDP_DROP_TRUNC_EXTHDR);
		s->off += hlen;
	}

	if (nh == P_ICMPV6 && !(m->flags & GK_META_F_LATER_FRAG) &&
	    have(s, 8) && is_nd_or_mld(s->p[s->off]))
		return GK_CLASS_CONTROL;
	/* RFC 7597 8: the tunnel ends here, whatever else dst is */
	if ((nh == P_IPIP || nh == P_ICMPV6) && cfg && cfg->mape_v6)
		mape = mape_class(cfg->mape_v6(cfg->arg, dst));
	if (!mape) {
		if (dst[0] == 0xff)
			return GK_CLASS_MCAST;
		if (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80)
			return GK_CLASS_LOCAL;
		if (cfg && cfg->is_local6 && cfg->is_local6(cfg->arg, dst)) {
			int cls = wg_class(s, cfg, nh,
					   m->flags & GK_META_F_FRAG);

			if (cls == GK_CLASS_WG_DATA) {
				for (i = 0; i < 4; i++) {
					sw[i] = gk_ld32(ip + 8 + 4 * i);
					dw[i] = gk_ld32(dst + 4 * i);
				}
				m->flow_hash = gk_flow_hash6(sw, dw, s->ports,
							     P_UDP);
			}
			return cls;
		}
		if (s->l2_group)
			return GK_CLASS_MCAST;
		/* RFC 8200 3, RFC 4443 3.3: never forwarded, but answered (rule 9) */
		expired = ip[7] <= 1;
	}

	m->l4_proto = nh;
	if (m->flags & GK_META_F_LATER_FRAG) {
		s->ports = 0;
	} else if (parse_l4(s)) {
		if (!expired)
			return drop(s, GK_XDP_DROP_TRUNC_L4);
		no_l4(s);
	}
	if (expired)
		return GK_CLASS_TTL_EXPIRED;
	/* no hash: MAP-E over IPv6 is decapsulated here, TRANSIT routed */
	return mape ? mape : GK_CLASS_TRANSIT;
}

/* Rules 1-4 */
static int classify(struct pstate *s, const struct gk_classify_cfg *cfg)
{
	const uint8_t *p = s->p;
	uint16_t proto;
	int i;

	if (unlikely(!have(s, ETH_HLEN_)))
		return drop(s, GK_XDP_DROP_TRUNC_ETH);
	/* IEEE 802.3 3.2.3: a group address is never a valid source */
	if (unlikely(p[6] & 1))
		return drop(s, GK_XDP_DROP_BAD_SRC);
	s->l2_group = p[0] & 1;
	proto = gk_rd16(p + 12);
	s->off = ETH_HLEN_;

	for (i = 0; i <= VLAN_MAX; i++) {
		if (proto != ETHT_8021Q && proto != ETHT_8021AD)
			break;
		if (unlikely(i == VLAN_MAX))
			return drop(s, GK_XDP_DROP_VLAN_DEPTH);
		if (unlikely(!have(s, 4)))
			return drop(s, GK_XDP_DROP_TRUNC_VLAN);
		if (i == 0) {
			s->meta->vlan_tci = gk_rd16(p + s->off);
			s->meta->flags |= GK_META_F_VLAN;
		}
		proto = gk_rd16(p + s->off + 2);
		s->off += 4;
	}

	switch (proto) {
	case ETHT_IP4:
		return parse_ip4(s, cfg);
	case ETHT_IP6:
		return parse_ip6(s, cfg);
	case ETHT_ARP:
		return GK_CLASS_CONTROL;
	default:
		return GK_CLASS_NON_IP;
	}
}

/* Rule 10 for fragments: to a listen address, L4_SERVICE flagged FRAG. */
static int l4_fragment(struct gk_xdp_meta *m, const struct gk_classify_cfg *cfg,
		       uint8_t family, const uint8_t *dst, int cls, bool later)
{
	/* the host's own fragments: the kernel reassembles them */
	if (cls == GK_CLASS_LOCAL || !cfg->l4svc(cfg->arg, family, 0, dst, 0))
		return cls;
	m->flags |= GK_META_F_FRAG | (later ? GK_META_F_LATER_FRAG : 0);
	return GK_CLASS_L4_SERVICE;
}

/*
 * Rule 10 for ICMP errors about a service's flows (classifier.bpf.c
 * gk_l4_icmp): an error whose quote is TCP/UDP from the outer destination
 * and a listen port becomes L4_SERVICE, L4 metadata at the ICMP header.
 * l4 and end: the ICMP message's offset and the datagram's end.
 */
static int l4_icmp(struct pstate *s, const struct gk_classify_cfg *cfg,
		   int cls, uint8_t family, uint32_t l4, uint32_t end)
{
	const uint8_t *ip = s->p + s->meta->l3_off, *ic, *e;
	const uint8_t *dst = ip + (family == 4 ? 16 : 24);
	struct gk_xdp_meta *m = s->meta;
	uint32_t eihl, sw[4], dw[4];
	uint8_t proto;
	int i;

	if (end > s->lim)
		end = s->lim;
	if (l4 + 8 > end)
		return cls;
	ic = s->p + l4;
	/* RFC 1812 4.3.2.7, RFC 4443 2.1: the error types */
	if (family == 4 ? ic[0] != 3 && ic[0] != 11 && ic[0] != 12 :
			  ic[0] < 1 || ic[0] > 4)
		return cls;
	e = ic + 8;
	if (family == 4) {
		if (l4 + 8 + IP4_HLEN > end)
			return cls;
		eihl = (uint32_t)(e[0] & 0xf) * 4;
		if (e[0] >> 4 != 4 || eihl < IP4_HLEN ||
		    (gk_rd16(e + 6) & 0x1fff) || memcmp(e + 12, dst, 4))
			return cls;
		proto = e[9];
	} else {
		if (l4 + 8 + IP6_HLEN > end)
			return cls;
		eihl = IP6_HLEN;
		if (e[0] >> 4 != 6 || memcmp(e + 8, dst, 16))
			return cls;
		proto = e[6];
	}
	if ((proto != P_TCP && proto != P_UDP) || l4 + 8 + eihl + 4 > end)
		return cls;
	/* the quote is a reply: its source port is the listen port */
	if (!cfg->l4svc(cfg->arg, family, proto, dst, gk_rd16(e + eihl)))
		return cls;
	m->l4_off = (uint16_t)l4;
	m->l4_proto = family == 4 ? P_ICMP : P_ICMPV6;
	m->flags |= GK_META_F_L4;
	s->ports = 0;
	if (family == 4) {
		m->flow_hash = gk_flow_hash4(gk_ld32(ip + 12), gk_ld32(dst), 0,
					     P_ICMP);
	} else {
		for (i = 0; i < 4; i++) {
			sw[i] = gk_ld32(ip + 8 + 4 * i);
			dw[i] = gk_ld32(dst + 4 * i);
		}
		m->flow_hash = gk_flow_hash6(sw, dw, 0, P_ICMPV6);
	}
	return GK_CLASS_L4_SERVICE;
}

/*
 * Rule 10, L4 services: a LOCAL, TRANSIT or TTL_EXPIRED TCP/UDP packet,
 * not a fragment, L4 right after the IP header, to a listen address:port
 * becomes L4_SERVICE with L4 metadata; its L4 header cut short drops.
 */
static int l4_service(struct pstate *s, const struct gk_classify_cfg *cfg,
		      int cls)
{
	const uint8_t *ip = s->p + s->meta->l3_off, *th;
	struct gk_xdp_meta *m = s->meta;
	uint32_t l4, end, need, sw[4], dw[4];
	uint8_t family, proto;
	const uint8_t *dst;
	int i;

	if (m->flags & GK_META_F_IPV4) {
		if (gk_rd16(ip + 6) & 0x3fff)
			return l4_fragment(m, cfg, 4, ip + 16, cls,
					   gk_rd16(ip + 6) & 0x1fff);
		family = 4;
		proto = ip[9];
		dst = ip + 16;
		l4 = m->l3_off + (uint32_t)(ip[0] & 0xf) * 4;
		end = m->l3_off + gk_rd16(ip + 2);
	} else {
		family = 6;
		proto = ip[6];
		dst = ip + 24;
		l4 = m->l3_off + IP6_HLEN;
		end = l4 + gk_rd16(ip + 4);
		if (proto == P_FRAGMENT)
			return l4_fragment(m, cfg, 6, dst, cls,
					   m->flags & GK_META_F_LATER_FRAG);
	}
	if (proto == (family == 4 ? P_ICMP : P_ICMPV6))
		return l4_icmp(s, cfg, cls, family, l4, end);
	if ((proto != P_TCP && proto != P_UDP) || l4 + 4 > end ||
	    l4 + 4 > s->lim)
		return cls;
	th = s->p + l4;
	if (!cfg->l4svc(cfg->arg, family, proto, dst, gk_rd16(th + 2)))
		return cls;
	/* RFC 9293 3.1, RFC 768 */
	need = proto == P_TCP ? 20 : 8;
	if (proto == P_TCP && l4 + 20 <= end)
		need = (uint32_t)(th[12] >> 4) * 4 < 20 ?
		       0xffff : (uint32_t)(th[12] >> 4) * 4;
	if (l4 + need > end) {
		*s->why = GK_XDP_DROP_TRUNC_L4;
		return GK_CLASS_DROPPED;
	}
	m->l4_off = (uint16_t)l4;
	m->l4_proto = proto;
	m->flags |= GK_META_F_L4;
	s->ports = gk_ld32(th);
	if (family == 4) {
		m->flow_hash = gk_flow_hash4(gk_ld32(ip + 12), gk_ld32(dst),
					     s->ports, proto);
	} else {
		for (i = 0; i < 4; i++) {
			sw[i] = gk_ld32(ip + 8 + 4 * i);
			dw[i] = gk_ld32(dst + 4 * i);
		}
		m->flow_hash = gk_flow_hash6(sw, dw, s->ports, proto);
	}
	return GK_CLASS_L4_SERVICE;
}

enum gk_cls_action gk_classify(const uint8_t *frame, uint32_t len,
			       const struct gk_classify_cfg *cfg,
			       struct gk_xdp_meta *meta, enum gk_xdp_drop *why)
{
	struct pstate s = {
		.p = frame,
		.off = 0,
		.lim = len,
		.meta = meta,
		.why = why,
	};
	int cls;

	memset(meta, 0, sizeof(*meta));
	meta->magic = GK_META_MAGIC;
	meta->version = GK_META_VERSION;
	cls = classify(&s, cfg);
	if (cfg && cfg->l4svc && (cls == GK_CLASS_LOCAL ||
				  cls == GK_CLASS_TRANSIT ||
				  cls == GK_CLASS_TTL_EXPIRED))
		cls = l4_service(&s, cfg, cls);
	meta->class = (uint8_t)cls;
	if (cls == GK_CLASS_DROPPED)
		return GK_CLS_DROP;
	/* Rule 9 */
	if (cls == GK_CLASS_TTL_EXPIRED)
		return cfg && (cfg->flags & GK_CFG_F_TTL_TO_KERNEL) ?
		       GK_CLS_KERNEL : GK_CLS_WORKER;
	if (cls == GK_CLASS_TRANSIT || cls == GK_CLASS_MAPE_CE ||
	    cls == GK_CLASS_MAPE_BR || cls == GK_CLASS_WG_DATA ||
	    cls == GK_CLASS_L4_SERVICE)
		return GK_CLS_WORKER;
	return GK_CLS_KERNEL;
}
