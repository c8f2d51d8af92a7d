// SPDX-License-Identifier: BSD-3-Clause
/*
 * The host path's TUN device, see host_tun.h. The device is not
 * persistent: it lives as long as its queue fds, so a genkand that dies
 * takes it (and the addresses and routes on it) along.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/bpf.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>

#include "backend_tun.h"
#include "fib.h"
#include "worker.h"

#include "daemon.h"
#include "host_tun.h"
#include "log.h"

#define ETH_LEN		14

struct gk_host_tun {
	char ifname[IFNAMSIZ];
	uint32_t ifindex;
	uint16_t port_id;
	uint32_t mtu;
	unsigned nr_fds;
	int fds[GK_MAX_WORKERS];	/* -1 once a port owns it */
	uint8_t mac[6];
	struct mnl_socket *nl;
	uint32_t seq, portid;
};

static const struct gk_config_wg *host_wg(const struct gk_daemon *d)
{
	const struct gk_config_wg *wg = d->cfg.wg;

	return wg && wg->enabled && wg->nr_addrs ? wg : NULL;
}

/* One request, one ACK: 0 or the kernel's -errno. */
static int talk(struct gk_host_tun *t, struct nlmsghdr *nlh)
{
	uint8_t buf[8192];	/* an ACK or an error quoting the request */
	uint32_t seq = ++t->seq;
	ssize_t n;
	int ret;

	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (mnl_socket_sendto(t->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(t->nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, t->portid, NULL, NULL);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

/*
 * No IPv6 link-local address (IN6_ADDR_GEN_MODE_NONE), set while the link
 * is down (the kernel makes one when it comes up): a point-to-point tunnel
 * has no neighbours to solicit, and the kernel would send router
 * solicitations into it.
 */
static int link_no_ll(struct gk_host_tun *t)
{
	uint8_t req[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ifinfomsg *ifi;
	struct nlattr *spec, *in6;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)t->ifindex;
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	in6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, in6);
	mnl_attr_nest_end(nlh, spec);
	return talk(t, nlh);
}

static int link_mtu_up(struct gk_host_tun *t)
{
	uint8_t req[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)t->ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_u32(nlh, IFLA_MTU, t->mtu);
	return talk(t, nlh);
}

static int addr_add(struct gk_host_tun *t, const struct gk_config_wg_addr *a)
{
	uint8_t req[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	unsigned alen = a->family == AF_INET ? 4 : 16;
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->plen;
	ifa->ifa_flags = a->family == AF_INET6 ? IFA_F_NODAD : 0;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = t->ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, alen, a->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, a->addr);
	return talk(t, nlh);
}

/* wg-quick's `ip route add PREFIX dev wg0`, in the main table. */
static int route_add(struct gk_host_tun *t, const struct gk_config_wg_prefix *p)
{
	uint8_t req[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = p->family;
	rtm->rtm_dst_len = p->plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, p->family == AF_INET ? 4 : 16, p->addr);
	mnl_attr_put_u32(nlh, RTA_OIF, t->ifindex);
	return talk(t, nlh);
}

static void fmt_prefix(char *buf, size_t len, int family, const uint8_t *a,
		       unsigned plen)
{
	char s[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, a, s, sizeof(s)))
		snprintf(s, sizeof(s), "?");
	snprintf(buf, len, "%s/%u", s, plen);
}

/* One IFF_MULTI_QUEUE queue of the device named t->ifname. */
static int open_queue(const struct gk_host_tun *t)
{
	struct ifreq ifr;
	int fd, ret;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE;
	memcpy(ifr.ifr_name, t->ifname, sizeof(ifr.ifr_name));
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static int routes_add(struct gk_daemon *d, struct gk_host_tun *t,
		      const struct gk_config_wg *wg, char *err, size_t errlen)
{
	char s[INET6_ADDRSTRLEN + 4];
	unsigned i, j, n = 0;
	int ret;

	for (i = 0; i < wg->nr_peers; i++) {
		const struct gk_config_wg_peer *p = &wg->peers[i];

		for (j = 0; j < p->nr_allowed; j++) {
			const struct gk_config_wg_prefix *a = &p->allowed[j];

			fmt_prefix(s, sizeof(s), a->family, a->addr, a->plen);
			if (!a->plen) {
				gk_info("host path: %s: no route for %s of "
					"wireguard-peer '%s' (the host's "
					"default route stays as it is)",
					t->ifname, s, p->name);
				continue;
			}
			ret = route_add(t, a);
			if (ret == -EEXIST) {
				gk_info("host path: %s: a route to %s exists "
					"already, left as it is", t->ifname, s);
				continue;
			}
			if (ret) {
				snprintf(err, errlen, "%s:%u: host path: route %s "
					 "dev %s (wireguard-peer '%s'): %s",
					 d->cfg.path, p->key_line[WGP_ALLOWED_IPS],
					 s, t->ifname, p->name, strerror(-ret));
				return ret;
			}
			n++;
		}
	}
	gk_info("host path: %s: %u route(s) for the peers' AllowedIPs",
		t->ifname, n);
	return 0;
}

int gk_host_tun_start(struct gk_daemon *d, char *err, size_t errlen)
{
	const struct gk_config_wg *wg = host_wg(d);
	unsigned room = d->cfg.frame_size - XDP_PACKET_HEADROOM - ETH_LEN;
	char s[INET6_ADDRSTRLEN + 4];
	struct gk_host_tun *t;
	unsigned i;
	int ret;

	if (!wg)
		return 0;
	if (d->nr_ports >= GK_MAX_PORTS) {
		snprintf(err, errlen, "%s:%u: host path: %u ports already, no "
			 "port id left for %s (max %d)", d->cfg.path,
			 wg->key_line[WGI_ADDRESS], d->nr_ports, wg->host_if,
			 GK_MAX_PORTS);
		return -ENOSPC;
	}
	/* A packet read from the host fills one frame behind its headers. */
	if (wg->mtu > room) {
		snprintf(err, errlen, "%s:%u: host path: [wireguard] mtu %u does "
			 "not fit a frame of %u bytes (%u after headroom and "
			 "Ethernet header): lower mtu or raise frame_size",
			 d->cfg.path, wg->key_line[WGI_MTU] ? wg->key_line[WGI_MTU] :
			 wg->line, wg->mtu, d->cfg.frame_size, room);
		return -EINVAL;
	}
	if (if_nametoindex(wg->host_if)) {
		snprintf(err, errlen, "%s:%u: host path: interface %s exists "
			 "already (set host_interface to a free name)",
			 d->cfg.path, wg->key_line[WGI_HOST_INTERFACE] ?
			 wg->key_line[WGI_HOST_INTERFACE] :
			 wg->key_line[WGI_ADDRESS], wg->host_if);
		return -EEXIST;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->htun = t;
	for (i = 0; i < GK_MAX_WORKERS; i++)
		t->fds[i] = -1;
	snprintf(t->ifname, sizeof(t->ifname), "%s", wg->host_if);
	t->port_id = (uint16_t)d->nr_ports;
	t->mtu = wg->mtu;
	/* A locally administered unicast MAC: the twin refuses group bits. */
	t->mac[0] = 0x02;
	for (i = 0; i < d->nr_workers; i++) {
		ret = open_queue(t);
		if (ret < 0) {
			snprintf(err, errlen, "%s:%u: host path: TUN %s queue %u: %s",
				 d->cfg.path, wg->key_line[WGI_ADDRESS],
				 t->ifname, i, strerror(-ret));
			return ret;
		}
		t->fds[i] = ret;
		t->nr_fds++;
	}
	t->ifindex = if_nametoindex(t->ifname);
	t->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!t->ifindex || !t->nl ||
	    mnl_socket_bind(t->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		snprintf(err, errlen, "host path: %s: %s", t->ifname,
			 strerror(-ret));
		return ret ? ret : -EIO;
	}
	t->portid = mnl_socket_get_portid(t->nl);
	ret = link_no_ll(t);
	/* A kernel without IPv6 refuses it: nothing to turn off then. */
	if (ret && ret != -EAFNOSUPPORT && ret != -EOPNOTSUPP) {
		snprintf(err, errlen, "host path: %s: addrgenmode none: %s",
			 t->ifname, strerror(-ret));
		return ret;
	}
	ret = link_mtu_up(t);
	if (ret) {
		snprintf(err, errlen, "host path: %s: mtu %u, up: %s", t->ifname,
			 t->mtu, strerror(-ret));
		return ret;
	}
	for (i = 0; i < wg->nr_addrs; i++) {
		const struct gk_config_wg_addr *a = &wg->addrs[i];

		fmt_prefix(s, sizeof(s), a->family, a->addr, a->plen);
		ret = addr_add(t, a);
		if (ret) {
			snprintf(err, errlen, "%s:%u: host path: address %s on %s: %s",
				 d->cfg.path, wg->key_line[WGI_ADDRESS], s,
				 t->ifname, strerror(-ret));
			return ret;
		}
		gk_info("host path: %s address %s", t->ifname, s);
	}
	ret = routes_add(d, t, wg, err, errlen);
	if (ret)
		return ret;
	gk_info("host path: %s (ifindex %u) is genkan port %u, mtu %u, "
		"%u queue(s)", t->ifname, t->ifindex, t->port_id, t->mtu,
		t->nr_fds);
	d->fib_dirty = true;	/* its port and host routes join the FIB */
	return 0;
}

int gk_host_tun_worker(struct gk_daemon *d, unsigned w,
		       struct gk_worker_cfg *wc, char *err, size_t errlen)
{
	struct gk_host_tun *t = d->htun;
	struct gk_tun_port_cfg pc = { 0 };
	struct gk_port *p;
	unsigned i;

	if (!t || w >= t->nr_fds)
		return 0;
	for (i = 0; i < GK_MAX_PORTS && !wc->ports[i]; i++)
		;
	if (i == GK_MAX_PORTS) {
		snprintf(err, errlen, "host path: worker %u has no port", w);
		return -EINVAL;
	}
	pc.fd = t->fds[w];
	pc.port_id = t->port_id;
	pc.queue = (uint16_t)w;
	pc.ifindex = t->ifindex;
	pc.pool = wc->ports[i];
	memcpy(pc.mac, t->mac, 6);
	p = gk_tun_port_open(&pc, err, errlen);
	if (!p)
		return -ENOMEM;
	t->fds[w] = -1;		/* closed with the port */
	wc->ports[t->port_id] = p;
	wc->nr_ports++;
	d->xports[w][t->port_id] = p;
	return 0;
}

size_t gk_host_tun_max_routes(const struct gk_daemon *d)
{
	const struct gk_config_wg *wg = host_wg(d);

	return d->htun && wg ? wg->nr_addrs : 0;
}

void gk_host_tun_fib(const struct gk_daemon *d, struct gk_fib_port *ports,
		     size_t *nr_ports, struct gk_route *routes,
		     size_t *nr_routes)
{
	const struct gk_config_wg *wg = host_wg(d);
	const struct gk_host_tun *t = d->htun;
	struct gk_fib_port *fp;
	unsigned i;

	if (!t || !wg || *nr_ports >= GK_MAX_PORTS)
		return;
	fp = &ports[(*nr_ports)++];
	memset(fp, 0, sizeof(*fp));
	fp->ifindex = t->ifindex;
	fp->port_id = t->port_id;
	memcpy(fp->mac, t->mac, 6);
	fp->mtu = t->mtu;
	fp->noarp = 1;
	/*
	 * Decrypted packets to the host's tunnel addresses go to the host:
	 * a host route each (the kernel's own are in table local, which the
	 * mirror leaves out). Its first addresses source ICMP errors.
	 */
	for (i = 0; i < wg->nr_addrs; i++) {
		const struct gk_config_wg_addr *a = &wg->addrs[i];
		struct gk_route *r = &routes[(*nr_routes)++];

		memset(r, 0, sizeof(*r));
		r->family = a->family;
		r->plen = a->family == AF_INET ? 32 : 128;
		memcpy(r->dst, a->addr, a->family == AF_INET ? 4 : 16);
		r->ifindex = t->ifindex;
		if (a->family == AF_INET && !fp->has_addr4) {
			memcpy(fp->addr4, a->addr, 4);
			fp->has_addr4 = 1;
		} else if (a->family == AF_INET6 && !fp->has_addr6) {
			memcpy(fp->addr6, a->addr, 16);
			fp->has_addr6 = 1;
		}
	}
}

json_t *gk_host_tun_port_json(const struct gk_daemon *d, unsigned w)
{
	const struct gk_host_tun *t = d->htun;
	const struct gk_port *p;
	struct gk_tun_stats ts;
	json_t *o, *tun;

	if (!t || w >= GK_MAX_WORKERS || !(p = d->xports[w][t->port_id]) ||
	    !gk_tun_port_is(p))
		return NULL;
	gk_tun_port_stats(p, &ts);
	tun = json_object();
#define GK_X(f, s) json_object_set_new(tun, s, json_integer((json_int_t)ts.f));
	GK_TUN_CNT_LIST(GK_X)
#undef GK_X
	o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		      "name", t->ifname, "kind", "tun",
		      "queue", (json_int_t)w, "worker", (json_int_t)w,
		      "rx_packets", (json_int_t)p->stats.rx_packets,
		      "rx_bytes", (json_int_t)p->stats.rx_bytes,
		      "tx_packets", (json_int_t)p->stats.tx_packets,
		      "tx_bytes", (json_int_t)p->stats.tx_bytes,
		      "tx_drops", (json_int_t)p->stats.tx_drops,
		      "rx_no_buf", (json_int_t)p->stats.rx_no_buf,
		      "wakeups", (json_int_t)p->stats.wakeups);
	if (o)
		json_object_set_new(o, "tun", tun);
	else
		json_decref(tun);
	return o;
}

void gk_host_tun_stop(struct gk_daemon *d)
{
	struct gk_host_tun *t = d->htun;
	unsigned i;

	if (!t)
		return;
	/* Queues no port took (a start that failed half way). */
	for (i = 0; i < GK_MAX_WORKERS; i++)
		if (t->fds[i] >= 0)
			close(t->fds[i]);
	if (t->nl)
		mnl_socket_close(t->nl);
	free(t);
	d->htun = NULL;
}
