// SPDX-License-Identifier: BSD-3-Clause
/*
 * Kernel FIB mirror over rtnetlink.
 *
 * Two sockets: "ev" joins the multicast groups and is what the daemon polls;
 * "req" does dumps and requests, so their replies never interleave with
 * events. Groups are joined before the first dump, so every change after
 * the snapshot is queued on ev; replaying a change the snapshot already
 * contains leaves the same end state, because every event fully describes
 * the object (add/replace) or removes it.
 *
 * On an overrun (ENOBUFS) the queued events are stale and some are lost:
 * they are discarded and everything is dumped again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "nlmirror.h"

#define KEY_LEN		24
#define RCVBUF_BYTES	(32 << 20)
#define RECV_BUF	(64 << 10)

/*
 * A growable array of fixed-size entries plus an open-addressing index
 * (linear probing, backward-shift delete) over a 24-byte identity key, so
 * a full-table dump stays O(n) and entries are never malloc'd one by one.
 */
struct table {
	uint8_t *v;
	size_t n, cap, esz;
	uint32_t *slot;		/* entry index + 1; 0 = empty */
	size_t nslot;		/* power of two */
	void (*key)(const void *e, uint8_t k[KEY_LEN]);
};

struct gk_nlmirror {
	struct mnl_socket *ev;
	struct mnl_socket *req;
	uint32_t req_portid;
	uint32_t seq;
	uint32_t table_id;
	uint64_t gen;
	bool changed;		/* set by apply paths during one process() */
	bool dump_intr;		/* a dump reply carried NLM_F_DUMP_INTR */
	bool redump4;		/* IPv4 routes may have been flushed silently */
	bool redump6;		/* an IPv6 multipath sibling may have been deleted */
	bool need_resync;	/* a dump failed half way: start over next time */
	uint8_t *buf;
	struct table links, addrs, routes, neighs;
};

static void link_key(const void *e, uint8_t k[KEY_LEN])
{
	const struct gk_nl_link *l = e;

	memset(k, 0, KEY_LEN);
	memcpy(k, &l->ifindex, 4);
}

static void addr_key(const void *e, uint8_t k[KEY_LEN])
{
	const struct gk_nl_addr *a = e;

	memset(k, 0, KEY_LEN);
	k[0] = a->family;
	k[1] = a->plen;
	memcpy(k + 4, a->addr, 16);
	memcpy(k + 20, &a->ifindex, 4);
}

/* A route's identity within one table is (prefix, metric). */
static void route_key(const void *e, uint8_t k[KEY_LEN])
{
	const struct gk_nl_route *r = e;

	memset(k, 0, KEY_LEN);
	k[0] = r->family;
	k[1] = r->plen;
	memcpy(k + 4, r->dst, 16);
	memcpy(k + 20, &r->priority, 4);
}

static void neigh_key(const void *e, uint8_t k[KEY_LEN])
{
	const struct gk_nl_neigh *nb = e;

	memset(k, 0, KEY_LEN);
	k[0] = nb->family;
	memcpy(k + 4, nb->addr, 16);
	memcpy(k + 20, &nb->ifindex, 4);
}

static uint32_t key_hash(const uint8_t k[KEY_LEN])
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (int i = 0; i < KEY_LEN; i++)
		h = (h ^ k[i]) * 16777619u;
	return h;
}

static void *entry(const struct table *t, size_t i)
{
	return t->v + i * t->esz;
}

static size_t entry_home(const struct table *t, size_t i)
{
	uint8_t k[KEY_LEN];

	t->key(entry(t, i), k);
	return key_hash(k) & (t->nslot - 1);
}

/* Slot holding the entry with key k, or the empty slot where it would go. */
static size_t find_slot(const struct table *t, const uint8_t k[KEY_LEN], bool *found)
{
	size_t s = key_hash(k) & (t->nslot - 1);
	uint8_t ek[KEY_LEN];

	for (;;) {
		if (!t->slot[s]) {
			*found = false;
			return s;
		}
		t->key(entry(t, t->slot[s] - 1), ek);
		if (!memcmp(ek, k, KEY_LEN)) {
			*found = true;
			return s;
		}
		s = (s + 1) & (t->nslot - 1);
	}
}

static int rehash(struct table *t, size_t nslot)
{
	uint32_t *slot = calloc(nslot, sizeof(*slot));
	bool found;

	if (!slot)
		return -ENOMEM;
	free(t->slot);
	t->slot = slot;
	t->nslot = nslot;
	for (size_t i = 0; i < t->n; i++) {
		uint8_t k[KEY_LEN];

		t->key(entry(t, i), k);
		t->slot[find_slot(t, k, &found)] = i + 1;
	}
	return 0;
}

static int table_init(struct table *t, size_t esz, void (*key)(const void *, uint8_t *))
{
	t->esz = esz;
	t->key = key;
	t->n = 0;
	t->cap = 16;
	t->v = calloc(t->cap, esz);
	t->slot = NULL;
	if (!t->v)
		return -ENOMEM;
	return rehash(t, 64);
}

static void table_free(struct table *t)
{
	free(t->v);
	free(t->slot);
	t->v = NULL;
	t->slot = NULL;
}

static void table_clear(struct table *t)
{
	t->n = 0;
	memset(t->slot, 0, t->nslot * sizeof(*t->slot));
}

/* Insert or replace. 1 if the table changed, 0 if identical, -errno. */
static int table_put(struct table *t, const void *e)
{
	uint8_t k[KEY_LEN];
	bool found;
	size_t s;
	int ret;

	t->key(e, k);
	s = find_slot(t, k, &found);
	if (found) {
		void *old = entry(t, t->slot[s] - 1);

		if (!memcmp(old, e, t->esz))
			return 0;
		memcpy(old, e, t->esz);
		return 1;
	}
	if (t->n == t->cap) {
		void *v = realloc(t->v, 2 * t->cap * t->esz);

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap *= 2;
	}
	/* keep the index at most half full so probe runs stay short */
	if (2 * (t->n + 1) > t->nslot) {
		ret = rehash(t, 2 * t->nslot);
		if (ret)
			return ret;
		s = find_slot(t, k, &found);
	}
	memcpy(entry(t, t->n), e, t->esz);
	t->slot[s] = ++t->n;
	return 1;
}

static void slot_remove(struct table *t, size_t s)
{
	size_t mask = t->nslot - 1, j = s, h;

	for (;;) {
		j = (j + 1) & mask;
		if (!t->slot[j])
			break;
		h = entry_home(t, t->slot[j] - 1);
		/* leave slot j alone if its home lies cyclically in (s, j] */
		if (s <= j ? (s < h && h <= j) : (s < h || h <= j))
			continue;
		t->slot[s] = t->slot[j];
		s = j;
	}
	t->slot[s] = 0;
}

/* Remove entry i: swap the last entry into its place. */
static void table_del_at(struct table *t, size_t i)
{
	uint8_t k[KEY_LEN];
	size_t last = t->n - 1;
	bool found;
	size_t s;

	t->key(entry(t, i), k);
	slot_remove(t, find_slot(t, k, &found));
	if (i != last) {
		t->key(entry(t, last), k);
		s = find_slot(t, k, &found);
		t->slot[s] = i + 1;
		memcpy(entry(t, i), entry(t, last), t->esz);
	}
	t->n--;
}

/* 1 if removed, 0 if absent. */
static int table_del(struct table *t, const void *e)
{
	uint8_t k[KEY_LEN];
	bool found;
	size_t s;

	t->key(e, k);
	s = find_slot(t, k, &found);
	if (!found)
		return 0;
	table_del_at(t, t->slot[s] - 1);
	return 1;
}

/* Remove every entry whose ifindex (at offset off) matches. */
static int table_purge_ifindex(struct table *t, size_t off, uint32_t ifindex)
{
	int changed = 0;
	uint32_t v;

	for (size_t i = 0; i < t->n;) {
		memcpy(&v, (uint8_t *)entry(t, i) + off, 4);
		if (v == ifindex) {
			table_del_at(t, i);
			changed = 1;
		} else {
			i++;
		}
	}
	return changed;
}

static void note(struct gk_nlmirror *m, int ret)
{
	if (ret > 0)
		m->changed = true;
}

static int addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* Attribute table fill with length checks; the message is dropped on a bad attribute. */
struct attrs {
	const struct nlattr *tb[64];
	int max;
	const enum mnl_attr_data_type *types;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct attrs *at = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, at->max) < 0)
		return MNL_CB_OK;	/* newer kernel attribute: ignore */
	/* lengths of binary payloads are checked where they are used */
	if (at->types[type] != MNL_TYPE_UNSPEC && mnl_attr_validate(a, at->types[type]) < 0)
		return MNL_CB_ERROR;
	at->tb[type] = a;
	return MNL_CB_OK;
}

static int parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen, struct attrs *at)
{
	memset(at->tb, 0, sizeof(at->tb));
	return mnl_attr_parse(nlh, hdrlen, attr_cb, at) == MNL_CB_OK ? 0 : -EINVAL;
}

static void link_msg(struct gk_nlmirror *m, const struct nlmsghdr *nlh)
{
	static const enum mnl_attr_data_type types[IFLA_MTU + 1] = {
		[IFLA_IFNAME] = MNL_TYPE_NUL_STRING,
		[IFLA_ADDRESS] = MNL_TYPE_BINARY,
		[IFLA_MTU] = MNL_TYPE_U32,
	};
	const struct ifinfomsg *ifi;
	struct gk_nl_link l;
	struct attrs at = { .max = IFLA_MTU, .types = types };

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_index <= 0)
		return;
	if (nlh->nlmsg_type == RTM_DELLINK) {
		uint32_t ifx = ifi->ifi_index;

		l.ifindex = ifx;
		note(m, table_del(&m->links, &l));
		/* the kernel may drop these without telling us */
		note(m, table_purge_ifindex(&m->addrs, offsetof(struct gk_nl_addr, ifindex), ifx));
		note(m, table_purge_ifindex(&m->routes, offsetof(struct gk_nl_route, ifindex), ifx));
		note(m, table_purge_ifindex(&m->neighs, offsetof(struct gk_nl_neigh, ifindex), ifx));
		return;
	}
	if (parse_attrs(nlh, sizeof(*ifi), &at) || !at.tb[IFLA_IFNAME])
		return;
	memset(&l, 0, sizeof(l));
	l.ifindex = ifi->ifi_index;
	snprintf(l.name, sizeof(l.name), "%s", mnl_attr_get_str(at.tb[IFLA_IFNAME]));
	if (at.tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(at.tb[IFLA_ADDRESS]) == ETH_ALEN)
		memcpy(l.mac, mnl_attr_get_payload(at.tb[IFLA_ADDRESS]), ETH_ALEN);
	if (at.tb[IFLA_MTU])
		l.mtu = mnl_attr_get_u32(at.tb[IFLA_MTU]);
	l.up = (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_RUNNING);

	note(m, table_put(&m->links, &l));
	/*
	 * Admin down flushes the device's IPv4 routes and its neighbors
	 * without RTM_DEL* notifications (fib_sync_down_dev, neigh_ifdown).
	 */
	if (!(ifi->ifi_flags & IFF_UP)) {
		note(m, table_purge_ifindex(&m->routes, offsetof(struct gk_nl_route, ifindex),
					    l.ifindex));
		note(m, table_purge_ifindex(&m->neighs, offsetof(struct gk_nl_neigh, ifindex),
					    l.ifindex));
	}
}

static void addr_msg(struct gk_nlmirror *m, const struct nlmsghdr *nlh)
{
	static const enum mnl_attr_data_type types[IFA_MAX + 1] = {
		[IFA_ADDRESS] = MNL_TYPE_BINARY,
		[IFA_LOCAL] = MNL_TYPE_BINARY,
	};
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;
	struct gk_nl_addr e;
	struct attrs at = { .max = IFA_MAX, .types = types };
	int alen;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return;
	ifa = mnl_nlmsg_get_payload(nlh);
	alen = addr_len(ifa->ifa_family);
	if (!alen || ifa->ifa_prefixlen > alen * 8 || parse_attrs(nlh, sizeof(*ifa), &at))
		return;
	/* IFA_LOCAL is our side of a point-to-point link; IFA_ADDRESS its peer */
	a = at.tb[IFA_LOCAL] ? at.tb[IFA_LOCAL] : at.tb[IFA_ADDRESS];
	if (!a || mnl_attr_get_payload_len(a) != alen)
		return;
	memset(&e, 0, sizeof(e));
	e.family = ifa->ifa_family;
	e.plen = ifa->ifa_prefixlen;
	memcpy(e.addr, mnl_attr_get_payload(a), alen);
	e.ifindex = ifa->ifa_index;
	if (nlh->nlmsg_type == RTM_DELADDR) {
		/*
		 * Losing its last address makes the kernel flush the
		 * device's IPv4 routes (fib_disable_ip) without RTM_DELROUTE.
		 */
		if (table_del(&m->addrs, &e) > 0) {
			m->changed = true;
			if (e.family == AF_INET)
				m->redump4 = true;
		}
	} else
		note(m, table_put(&m->addrs, &e));
}

/* Pick the gateway from RTA_GATEWAY or RTA_VIA (RFC 5549: IPv4 over an IPv6 next hop). */
static int route_gw(struct gk_nl_route *r, const struct nlattr *gw, const struct nlattr *via,
		    int alen)
{
	if (gw) {
		if (mnl_attr_get_payload_len(gw) != alen)
			return -EINVAL;
		memcpy(r->gw, mnl_attr_get_payload(gw), alen);
		r->has_gw = GK_NL_GW_SAME;
	} else if (via) {
		const struct rtvia *v = mnl_attr_get_payload(via);
		size_t vlen = mnl_attr_get_payload_len(via);
		int vfam_len;

		if (vlen < sizeof(*v))
			return -EINVAL;
		vfam_len = addr_len(v->rtvia_family);
		if (!vfam_len || vlen < sizeof(*v) + vfam_len)
			return -EINVAL;
		memcpy(r->gw, v->rtvia_addr, vfam_len);
		if (v->rtvia_family == r->family)
			r->has_gw = GK_NL_GW_SAME;
		else if (v->rtvia_family == AF_INET6)
			r->has_gw = GK_NL_GW_INET6;
		else
			return -EINVAL;
	}
	return 0;
}

/* First next hop of RTA_MULTIPATH: no ECMP yet, one path is what we can program. */
static int route_first_nexthop(struct gk_nl_route *r, const struct nlattr *mp, int alen)
{
	static const enum mnl_attr_data_type types[RTA_MAX + 1] = {
		[RTA_GATEWAY] = MNL_TYPE_BINARY,
		[RTA_VIA] = MNL_TYPE_BINARY,
	};
	const struct rtnexthop *nh = mnl_attr_get_payload(mp);
	size_t len = mnl_attr_get_payload_len(mp);
	struct attrs at = { .max = RTA_MAX, .types = types };
	const struct nlattr *a;

	if (len < sizeof(*nh) || nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > len)
		return -EINVAL;
	r->ifindex = nh->rtnh_ifindex;
	memset(at.tb, 0, sizeof(at.tb));
	/* nested attributes of this next hop follow its header */
	for (a = (const struct nlattr *)((const uint8_t *)nh + RTNH_ALIGN(sizeof(*nh)));
	     mnl_attr_ok(a, (const uint8_t *)nh + nh->rtnh_len - (const uint8_t *)a);
	     a = mnl_attr_next(a)) {
		if (attr_cb(a, &at) != MNL_CB_OK)
			return -EINVAL;
	}
	return route_gw(r, at.tb[RTA_GATEWAY], at.tb[RTA_VIA], alen);
}

static void route_msg(struct gk_nlmirror *m, const struct nlmsghdr *nlh)
{
	static const enum mnl_attr_data_type types[RTA_MAX + 1] = {
		[RTA_DST] = MNL_TYPE_BINARY,
		[RTA_GATEWAY] = MNL_TYPE_BINARY,
		[RTA_VIA] = MNL_TYPE_BINARY,
		[RTA_OIF] = MNL_TYPE_U32,
		[RTA_PRIORITY] = MNL_TYPE_U32,
		[RTA_TABLE] = MNL_TYPE_U32,
		[RTA_MULTIPATH] = MNL_TYPE_BINARY,
		[RTA_NH_ID] = MNL_TYPE_U32,
	};
	const struct rtmsg *rtm;
	struct gk_nl_route r;
	struct attrs at = { .max = RTA_MAX, .types = types };
	uint32_t table;
	int alen;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return;
	rtm = mnl_nlmsg_get_payload(nlh);
	alen = addr_len(rtm->rtm_family);
	if (!alen || rtm->rtm_dst_len > alen * 8 || (rtm->rtm_flags & RTM_F_CLONED))
		return;
	switch (rtm->rtm_type) {
	case RTN_UNICAST:
	case RTN_BLACKHOLE:
	case RTN_UNREACHABLE:
	case RTN_PROHIBIT:
		break;
	default:
		return;		/* local, broadcast, multicast, nat, throw... */
	}
	if (parse_attrs(nlh, sizeof(*rtm), &at))
		return;
	table = at.tb[RTA_TABLE] ? mnl_attr_get_u32(at.tb[RTA_TABLE]) : rtm->rtm_table;
	if (table != m->table_id)
		return;
	/* routes through nexthop objects (nhid) need RTM_NEWNEXTHOP: not mirrored */
	if (at.tb[RTA_NH_ID])
		return;

	memset(&r, 0, sizeof(r));
	r.family = rtm->rtm_family;
	r.plen = rtm->rtm_dst_len;
	r.type = rtm->rtm_type;
	r.protocol = rtm->rtm_protocol;
	if (at.tb[RTA_DST]) {
		if (mnl_attr_get_payload_len(at.tb[RTA_DST]) != alen)
			return;
		memcpy(r.dst, mnl_attr_get_payload(at.tb[RTA_DST]), alen);
	}
	if (at.tb[RTA_PRIORITY])
		r.priority = mnl_attr_get_u32(at.tb[RTA_PRIORITY]);

	if (nlh->nlmsg_type == RTM_DELROUTE) {
		/*
		 * Deleting one next hop of an IPv6 multipath route announces
		 * only that hop; the surviving siblings are not re-announced.
		 * Siblings always have a gateway, so such a delete triggers a
		 * re-dump of the IPv6 table to learn whether the route lives on.
		 */
		if (table_del(&m->routes, &r) > 0) {
			m->changed = true;
			if (r.family == AF_INET6 && at.tb[RTA_GATEWAY] && !at.tb[RTA_MULTIPATH])
				m->redump6 = true;
		}
		return;
	}
	if (at.tb[RTA_OIF])
		r.ifindex = mnl_attr_get_u32(at.tb[RTA_OIF]);
	if (route_gw(&r, at.tb[RTA_GATEWAY], at.tb[RTA_VIA], alen))
		return;
	if (at.tb[RTA_MULTIPATH] && route_first_nexthop(&r, at.tb[RTA_MULTIPATH], alen))
		return;
	note(m, table_put(&m->routes, &r));
}

static bool neigh_usable(uint16_t state)
{
	return state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE |
			NUD_PERMANENT | NUD_NOARP);
}

static void neigh_msg(struct gk_nlmirror *m, const struct nlmsghdr *nlh)
{
	static const enum mnl_attr_data_type types[NDA_MAX + 1] = {
		[NDA_DST] = MNL_TYPE_BINARY,
		[NDA_LLADDR] = MNL_TYPE_BINARY,
	};
	const struct ndmsg *nd;
	struct gk_nl_neigh e;
	struct attrs at = { .max = NDA_MAX, .types = types };
	int alen;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)))
		return;
	nd = mnl_nlmsg_get_payload(nlh);
	alen = addr_len(nd->ndm_family);
	if (!alen || (nd->ndm_flags & NTF_PROXY) || parse_attrs(nlh, sizeof(*nd), &at))
		return;
	if (!at.tb[NDA_DST] || mnl_attr_get_payload_len(at.tb[NDA_DST]) != alen)
		return;
	memset(&e, 0, sizeof(e));
	e.family = nd->ndm_family;
	memcpy(e.addr, mnl_attr_get_payload(at.tb[NDA_DST]), alen);
	e.ifindex = nd->ndm_ifindex;
	e.state = nd->ndm_state;
	/* unusable entries (INCOMPLETE, FAILED, no lladdr) are kept out */
	if (nlh->nlmsg_type == RTM_DELNEIGH || !neigh_usable(e.state) || !at.tb[NDA_LLADDR] ||
	    mnl_attr_get_payload_len(at.tb[NDA_LLADDR]) != ETH_ALEN) {
		note(m, table_del(&m->neighs, &e));
		return;
	}
	memcpy(e.mac, mnl_attr_get_payload(at.tb[NDA_LLADDR]), ETH_ALEN);
	note(m, table_put(&m->neighs, &e));
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct gk_nlmirror *m = data;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		m->dump_intr = true;
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		link_msg(m, nlh);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		addr_msg(m, nlh);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		route_msg(m, nlh);
		break;
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		neigh_msg(m, nlh);
		break;
	}
	return MNL_CB_OK;
}

/* Send a request on the req socket and run its replies through msg_cb. */
static int transact(struct gk_nlmirror *m, struct nlmsghdr *nlh)
{
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(m->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(m->req, m->buf, RECV_BUF);
		if (n < 0)
			return errno == EINTR ? -EINTR : -errno;
		ret = mnl_cb_run(m->buf, n, seq, m->req_portid, msg_cb, m);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

/*
 * The family header a dump request of this type carries. Each type has its
 * own (ifinfomsg 16 bytes, ifaddrmsg 8, rtmsg and ndmsg 12): with a longer
 * one the kernel parses the surplus as attributes and warns in dmesg
 * ("netlink: 4 bytes leftover after parsing attributes", issue #13).
 */
size_t gk_nlmirror_dump_hdrlen(uint16_t type)
{
	switch (type) {
	case RTM_GETLINK:
		return sizeof(struct ifinfomsg);
	case RTM_GETADDR:
		return sizeof(struct ifaddrmsg);
	case RTM_GETROUTE:
		return sizeof(struct rtmsg);
	case RTM_GETNEIGH:
		return sizeof(struct ndmsg);
	default:
		return 0;
	}
}

size_t gk_nlmirror_dump_req(void *buf, size_t len, uint16_t type, uint8_t family,
			    uint32_t seq)
{
	size_t hdr = gk_nlmirror_dump_hdrlen(type);
	struct nlmsghdr *nlh;

	if (!hdr || len < NLMSG_SPACE(hdr))
		return 0;
	memset(buf, 0, NLMSG_SPACE(hdr));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	/* the family is the first byte of every rtnetlink family header */
	*(uint8_t *)mnl_nlmsg_put_extra_header(nlh, hdr) = family;
	return nlh->nlmsg_len;
}

static int dump_one(struct gk_nlmirror *m, uint16_t type, uint8_t family)
{
	uint8_t req[NLMSG_SPACE(sizeof(struct ifinfomsg))];

	if (!gk_nlmirror_dump_req(req, sizeof(req), type, family, ++m->seq))
		return -EINVAL;
	return transact(m, (struct nlmsghdr *)req);
}

/* Replace all tables with a fresh snapshot. */
static int dump_all(struct gk_nlmirror *m)
{
	static const struct {
		uint16_t type;
		uint8_t family;
	} dumps[] = {
		{ RTM_GETLINK, AF_UNSPEC },
		{ RTM_GETADDR, AF_INET },
		{ RTM_GETADDR, AF_INET6 },
		{ RTM_GETROUTE, AF_INET },
		{ RTM_GETROUTE, AF_INET6 },
		{ RTM_GETNEIGH, AF_INET },
		{ RTM_GETNEIGH, AF_INET6 },
	};
	int tries = 0, ret;

retry:
	m->need_resync = true;
	table_clear(&m->links);
	table_clear(&m->addrs);
	table_clear(&m->routes);
	table_clear(&m->neighs);
	m->dump_intr = false;
	for (size_t i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		ret = dump_one(m, dumps[i].type, dumps[i].family);
		if (ret)
			return ret;
	}
	/* the tables changed under the dump: the snapshot may be torn */
	if (m->dump_intr && ++tries < 10)
		goto retry;
	m->need_resync = false;
	m->changed = true;
	return 0;
}

static int set_rcvbuf(struct mnl_socket *nl)
{
	int fd = mnl_socket_get_fd(nl), sz = RCVBUF_BYTES;

	/* FORCE passes rmem_max for CAP_NET_ADMIN; fall back to the capped one */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)))
		return -errno;
	return 0;
}

struct gk_nlmirror *gk_nlmirror_open(uint32_t table, char *err, size_t errlen)
{
	static const unsigned int groups[] = {
		RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
		RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_NEIGH,
	};
	struct gk_nlmirror *m;
	int one = 1, ret;

	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->table_id = table ? table : RT_TABLE_MAIN;
	m->seq = time(NULL);
	m->buf = malloc(RECV_BUF);
	if (!m->buf || table_init(&m->links, sizeof(struct gk_nl_link), link_key) ||
	    table_init(&m->addrs, sizeof(struct gk_nl_addr), addr_key) ||
	    table_init(&m->routes, sizeof(struct gk_nl_route), route_key) ||
	    table_init(&m->neighs, sizeof(struct gk_nl_neigh), neigh_key)) {
		snprintf(err, errlen, "out of memory");
		goto err_free;
	}

	m->ev = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!m->ev || mnl_socket_bind(m->ev, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "netlink event socket: %s", strerror(errno));
		goto err_free;
	}
	ret = set_rcvbuf(m->ev);
	if (ret) {
		snprintf(err, errlen, "netlink rcvbuf: %s", strerror(-ret));
		goto err_free;
	}
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		unsigned int g = groups[i];

		if (mnl_socket_setsockopt(m->ev, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0) {
			snprintf(err, errlen, "netlink group %u: %s", groups[i], strerror(errno));
			goto err_free;
		}
	}

	m->req = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!m->req || mnl_socket_bind(m->req, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "netlink request socket: %s", strerror(errno));
		goto err_free;
	}
	m->req_portid = mnl_socket_get_portid(m->req);
	/* extended ACKs make kernel error messages reachable in strace; harmless if absent */
	mnl_socket_setsockopt(m->req, NETLINK_EXT_ACK, &one, sizeof(one));
	set_rcvbuf(m->req);

	ret = dump_all(m);
	if (ret) {
		snprintf(err, errlen, "netlink dump: %s", strerror(-ret));
		goto err_free;
	}
	m->changed = false;
	m->gen = 1;
	return m;

err_free:
	gk_nlmirror_close(m);
	return NULL;
}

int gk_nlmirror_fd(const struct gk_nlmirror *m)
{
	return mnl_socket_get_fd(m->ev);
}

/*
 * Re-read one family's routes after the kernel may have changed them without
 * telling us. Mark and sweep, so only a real difference counts as a change.
 */
static int redump_routes(struct gk_nlmirror *m, uint8_t family)
{
	struct table *t = &m->routes;
	struct gk_nl_route *old = NULL;
	bool changed = m->changed;
	size_t nold = 0, nnew = 0;
	int ret;

	for (size_t i = 0; i < t->n; i++)
		nold += ((struct gk_nl_route *)entry(t, i))->family == family;
	if (nold) {
		old = malloc(nold * sizeof(*old));
		if (!old)
			return -ENOMEM;
	}
	nold = 0;
	for (size_t i = 0; i < t->n;) {
		struct gk_nl_route *r = entry(t, i);

		if (r->family == family) {
			old[nold++] = *r;
			table_del_at(t, i);
		} else {
			i++;
		}
	}
	m->dump_intr = false;
	ret = dump_one(m, RTM_GETROUTE, family);
	if (ret || m->dump_intr) {
		/* torn or failed: fall back to a full snapshot */
		free(old);
		return dump_all(m);
	}
	for (size_t i = 0; i < t->n; i++)
		nnew += ((struct gk_nl_route *)entry(t, i))->family == family;
	if (nnew != nold)
		changed = true;
	for (size_t i = 0; i < nold && !changed; i++) {
		uint8_t k[KEY_LEN];
		bool found;
		size_t s;

		route_key(&old[i], k);
		s = find_slot(t, k, &found);
		changed = !found || memcmp(entry(t, t->slot[s] - 1), &old[i], sizeof(old[i]));
	}
	m->changed = changed;
	free(old);
	return 0;
}

/* After an overrun: throw away what is queued (stale and incomplete), re-dump. */
static int resync(struct gk_nlmirror *m)
{
	while (mnl_socket_recvfrom(m->ev, m->buf, RECV_BUF) >= 0 || errno == ENOBUFS ||
	       errno == EINTR)
		;
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		return -errno;
	return dump_all(m);
}

int gk_nlmirror_process(struct gk_nlmirror *m)
{
	ssize_t n;
	int ret;

	m->changed = false;
	if (m->need_resync) {
		ret = resync(m);
		if (ret)
			return ret;
	}
	for (;;) {
		n = mnl_socket_recvfrom(m->ev, m->buf, RECV_BUF);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS)
				return -errno;
			ret = resync(m);
			if (ret)
				return ret;
			continue;
		}
		/* portid 0: multicast events; seq is meaningless for them */
		if (mnl_cb_run(m->buf, n, 0, 0, msg_cb, m) < 0 && errno != EINTR &&
		    errno != ESRCH)
			return -errno;
	}
	if (m->redump4) {
		m->redump4 = false;
		ret = redump_routes(m, AF_INET);
		if (ret)
			return ret;
	}
	if (m->redump6) {
		m->redump6 = false;
		ret = redump_routes(m, AF_INET6);
		if (ret)
			return ret;
	}
	if (!m->changed)
		return 0;
	m->gen++;
	return 1;
}

uint64_t gk_nlmirror_generation(const struct gk_nlmirror *m)
{
	return m->gen;
}

const struct gk_nl_link *gk_nlmirror_links(const struct gk_nlmirror *m, size_t *n)
{
	*n = m->links.n;
	return (const struct gk_nl_link *)m->links.v;
}

const struct gk_nl_addr *gk_nlmirror_addrs(const struct gk_nlmirror *m, size_t *n)
{
	*n = m->addrs.n;
	return (const struct gk_nl_addr *)m->addrs.v;
}

const struct gk_nl_route *gk_nlmirror_routes(const struct gk_nlmirror *m, size_t *n)
{
	*n = m->routes.n;
	return (const struct gk_nl_route *)m->routes.v;
}

const struct gk_nl_neigh *gk_nlmirror_neighs(const struct gk_nlmirror *m, size_t *n)
{
	*n = m->neighs.n;
	return (const struct gk_nl_neigh *)m->neighs.v;
}

const struct gk_nl_link *gk_nlmirror_link(const struct gk_nlmirror *m, uint32_t ifindex)
{
	struct gk_nl_link l = { .ifindex = ifindex };
	uint8_t k[KEY_LEN];
	bool found;
	size_t s;

	link_key(&l, k);
	s = find_slot(&m->links, k, &found);
	return found ? entry(&m->links, m->links.slot[s] - 1) : NULL;
}

int gk_nlmirror_resolve(struct gk_nlmirror *m, int family, const uint8_t *addr,
			uint32_t ifindex)
{
	uint8_t req[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ndmsg *nd;
	int alen = addr_len(family);

	if (!alen || !ifindex)
		return -EINVAL;
	nlh->nlmsg_type = RTM_NEWNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK;
	nlh->nlmsg_seq = ++m->seq;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = family;
	nd->ndm_ifindex = ifindex;
	/* NTF_USE: neigh_event_send() on the (new) entry, i.e. a real ARP/NS */
	nd->ndm_state = NUD_NONE;
	nd->ndm_flags = NTF_USE;
	mnl_attr_put(nlh, NDA_DST, alen, addr);
	return transact(m, nlh);
}

void gk_nlmirror_close(struct gk_nlmirror *m)
{
	if (!m)
		return;
	if (m->req)
		mnl_socket_close(m->req);
	if (m->ev)
		mnl_socket_close(m->ev);
	table_free(&m->links);
	table_free(&m->addrs);
	table_free(&m->routes);
	table_free(&m->neighs);
	free(m->buf);
	free(m);
}
