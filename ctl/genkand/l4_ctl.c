// SPDX-License-Identifier: BSD-3-Clause
/* The front door's control side; see l4_ctl.h and docs/l4.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <urcu-qsbr.h>

#include "config_l4.h"
#include "config_wg.h"
#include "daemon.h"
#include "handoff.h"
#include "l4.h"
#include "l4_ctl.h"
#include "l4_health.h"
#include "l4_snat.h"
#include "log.h"
#include "maglev.h"
#include "mbox.h"
#include "nlmirror.h"
#include "worker.h"
#include "worker_wg.h"
#include "xdp_loader.h"

static const char *const state_names[GK_L4_BE_STATE_MAX] = {
	[GK_L4_BE_UP] = "up",
	[GK_L4_BE_DOWN] = "down",
	[GK_L4_BE_DRAINING] = "draining",
	[GK_L4_BE_DISABLED] = "disabled",
};

static unsigned nr_services(const struct gk_daemon *d)
{
	return d->cfg.l4 ? d->cfg.l4->nr_services : 0;
}

uint32_t gk_l4_xdp_flags(const struct gk_daemon *d)
{
	return nr_services(d) ? GK_CFG_F_L4 : 0;
}

static uint8_t fam(uint8_t af)
{
	return af == AF_INET6 ? 6 : 4;
}

/* Maglev over the backends that are up and weighted. 0 or -errno. */
static int build_maglev(const struct gk_config_l4_service *cs,
			struct gk_l4_service *s)
{
	struct gk_maglev_backend *mb;
	uint32_t i;
	int ret = 0;

	mb = calloc(s->nr_be ? s->nr_be : 1, sizeof(*mb));
	if (!mb)
		return -ENOMEM;
	for (i = 0; i < s->nr_be && !ret; i++) {
		const struct gk_l4_backend *b = &s->be[i];

		ret = gk_maglev_key_inet(&mb[i], b->family == 4 ? AF_INET :
					 AF_INET6, b->addr, b->port);
		mb[i].weight = cs->backends[i].weight;
		mb[i].down = b->state != GK_L4_BE_UP;
	}
	if (!ret)
		ret = gk_maglev_build(mb, s->nr_be, s->m, s->table);
	free(mb);
	return ret;
}

/* The table from the config and the backends' current states. */
static struct gk_l4_table *build(struct gk_daemon *d, char *err,
				 size_t errlen)
{
	const struct gk_config_l4 *l4 = d->cfg.l4;
	struct gk_l4_service *svc;
	struct gk_l4_table *t;
	uint32_t i, j;
	int ret;

	svc = calloc(l4->nr_services, sizeof(*svc));
	if (!svc)
		goto nomem;
	for (i = 0; i < l4->nr_services; i++) {
		const struct gk_config_l4_service *cs = &l4->services[i];
		struct gk_l4_service *s = &svc[i];

		s->family = fam(cs->family);
		s->proto = cs->proto;
		s->port_lo = cs->port_lo;
		s->port_hi = cs->port_hi;
		memcpy(s->addr, cs->addr, 16);
		s->m = cs->table_size;
		s->tcp_idle_ns = (uint64_t)cs->tcp_idle_ms * 1000000;
		s->tcp_fin_ns = (uint64_t)cs->tcp_fin_ms * 1000000;
		s->udp_idle_ns = (uint64_t)cs->udp_idle_ms * 1000000;
		if (cs->client_ip == GK_L4_CLIENT_SNAT) {
			unsigned n = cs->snat_family == AF_INET6 ? 16 : 4;
			uint32_t lo, hi;

			memcpy(&lo, cs->snat_lo + n - 4, 4);
			memcpy(&hi, cs->snat_hi + n - 4, 4);
			s->snat = 1;
			s->snat_plo = cs->snat_port_lo;
			s->snat_phi = cs->snat_port_hi;
			s->snat_naddr = ntohl(hi) - ntohl(lo) + 1;
			memcpy(s->snat_lo, cs->snat_lo, 16);
		}
		s->nr_be = cs->nr_backends;
		s->be = calloc(s->nr_be ? s->nr_be : 1, sizeof(*s->be));
		s->table = calloc(s->m, sizeof(*s->table));
		if (!s->be || !s->table)
			goto nomem_svc;
		for (j = 0; j < s->nr_be; j++) {
			const struct gk_config_l4_backend *cb = &cs->backends[j];

			s->be[j].family = fam(cb->family);
			s->be[j].port = cb->port;
			memcpy(s->be[j].addr, cb->addr, 16);
			s->be[j].state = d->l4_state ? d->l4_state[i][j] :
				GK_L4_BE_UP;
			/* An operator's drain or disable outranks the checks. */
			if (s->be[j].state == GK_L4_BE_UP &&
			    gk_l4_health_down(d, i, j))
				s->be[j].state = GK_L4_BE_DOWN;
		}
		ret = build_maglev(cs, s);
		if (ret) {
			snprintf(err, errlen, "%s:%u: [l4-service %s]: Maglev table: %s",
				 d->cfg.path, cs->line, cs->name, strerror(-ret));
			for (j = 0; j <= i; j++) {
				free(svc[j].be);
				free(svc[j].table);
			}
			free(svc);
			return NULL;
		}
	}
	t = gk_l4_table_new(svc, l4->nr_services);
	/* the host path's addresses: replies to the door itself stay as sent */
	for (i = 0; t && d->cfg.wg && i < d->cfg.wg->nr_addrs &&
	     t->nr_host < GK_L4_MAX_HOST; i++) {
		t->host[t->nr_host].family = fam(d->cfg.wg->addrs[i].family);
		memcpy(t->host[t->nr_host].addr, d->cfg.wg->addrs[i].addr, 16);
		t->nr_host++;
	}
	return t;

nomem_svc:
	for (j = 0; j <= i; j++) {
		free(svc[j].be);
		free(svc[j].table);
	}
	free(svc);
nomem:
	snprintf(err, errlen, "l4: out of memory");
	return NULL;
}

/*
 * What this increment does not do yet, refused at start with the line:
 * a backend port on a port range with client_ip = preserve (the reply
 * could not tell the listen port; snat replies find their flow). The
 * reverse rewrite finds the service by the backend address:port, so one
 * may serve only one service.
 */
/* Is addr (family AF_*) in snat_pool's range? */
static bool in_pool(const struct gk_config_l4_service *s, int family,
		    const uint8_t *addr)
{
	unsigned n = s->snat_family == AF_INET6 ? 16 : 4;
	uint32_t x, a0, a1;

	if (family != s->snat_family || memcmp(addr, s->snat_lo, n - 4))
		return false;
	memcpy(&x, addr + n - 4, 4);
	memcpy(&a0, s->snat_lo + n - 4, 4);
	memcpy(&a1, s->snat_hi + n - 4, 4);
	return ntohl(x) >= ntohl(a0) && ntohl(x) <= ntohl(a1);
}

/*
 * A pool address that is also the host's (the door's tunnel address, the
 * host path's [wireguard] Address): the rev hook takes every packet from a
 * backend to a pool port in snat_ports, so the host's own connections to
 * a backend (health checks, an operator's curl) must use ports outside
 * them. Refused, naming the line, when snat_ports overlaps the kernel's
 * ephemeral ports. 0 or -EINVAL.
 */
static int snat_host_ports(struct gk_daemon *d,
			   const struct gk_config_l4_service *s, char *err,
			   size_t errlen)
{
	unsigned lo = 32768, hi = 60999;
	char addr[INET6_ADDRSTRLEN] = "";
	const struct gk_nl_addr *a;
	size_t na;
	FILE *f;

	/* one range for both families */
	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2)
			lo = 32768, hi = 60999;
		fclose(f);
	}
	if (hi < s->snat_port_lo || lo > s->snat_port_hi)
		return 0;
	a = gk_nlmirror_addrs(d->nl, &na);
	for (size_t k = 0; k < na && !addr[0]; k++)
		if (in_pool(s, a[k].family, a[k].addr))
			inet_ntop(a[k].family, a[k].addr, addr, sizeof(addr));
	for (unsigned k = 0; d->cfg.wg && k < d->cfg.wg->nr_addrs && !addr[0]; k++)
		if (in_pool(s, d->cfg.wg->addrs[k].family, d->cfg.wg->addrs[k].addr))
			inet_ntop(d->cfg.wg->addrs[k].family, d->cfg.wg->addrs[k].addr,
				  addr, sizeof(addr));
	if (!addr[0])
		return 0;
	snprintf(err, errlen, "%s:%u: [l4-service %s]: snat_ports %u-%u overlaps "
		 "this host's ephemeral ports %u-%u (ip_local_port_range) and "
		 "snat_pool holds its address %s: the host's own connections to a "
		 "backend (health checks) would be taken for snat replies; give "
		 "snat_ports outside them (e.g. 61000-65535)", d->cfg.path,
		 s->key_line[GK_L4K_SNAT_PORTS] ? s->key_line[GK_L4K_SNAT_PORTS] :
		 s->key_line[GK_L4K_SNAT_POOL] ? s->key_line[GK_L4K_SNAT_POOL] :
		 s->line, s->name, s->snat_port_lo, s->snat_port_hi, lo, hi, addr);
	return -EINVAL;
}

static int check(struct gk_daemon *d, char *err, size_t errlen)
{
	const struct gk_config_l4 *l4 = d->cfg.l4;

	for (unsigned i = 0; i < l4->nr_services; i++) {
		const struct gk_config_l4_service *s = &l4->services[i];

		/* The parser cannot know the host's addresses; this can. */
		if (s->proto == IPPROTO_TCP && s->port_lo <= 22 && s->port_hi >= 22) {
			const struct gk_nl_addr *a;
			size_t na;

			a = gk_nlmirror_addrs(d->nl, &na);
			for (size_t k = 0; k < na; k++) {
				if (a[k].family != s->family ||
				    memcmp(a[k].addr, s->addr,
					   s->family == AF_INET ? 4 : 16))
					continue;
				snprintf(err, errlen, "%s:%u: [l4-service %s]: listen "
					 "takes TCP port 22 of this host's own address "
					 "(its SSH): give the service another port or "
					 "address", d->cfg.path,
					 s->key_line[GK_L4K_LISTEN] ?
					 s->key_line[GK_L4K_LISTEN] : s->line, s->name);
				return -EINVAL;
			}
		}
		if (s->client_ip == GK_L4_CLIENT_SNAT &&
		    snat_host_ports(d, s, err, errlen))
			return -EINVAL;
		for (unsigned j = 0; j < s->nr_backends; j++) {
			const struct gk_config_l4_backend *b = &s->backends[j];

			if (b->port && s->port_lo != s->port_hi &&
			    s->client_ip != GK_L4_CLIENT_SNAT) {
				snprintf(err, errlen, "%s:%u: [l4-service %s]: a backend "
					 "port on a port range is not supported (leave "
					 "the port out: the packet's own is kept)",
					 d->cfg.path, b->line, s->name);
				return -EINVAL;
			}
			for (unsigned k = 0; k <= i; k++) {
				const struct gk_config_l4_service *o = &l4->services[k];

				if (o->proto != s->proto)
					continue;
				for (unsigned q = 0; q < o->nr_backends; q++) {
					const struct gk_config_l4_backend *c = &o->backends[q];

					if ((k == i && q >= j) || c->family != b->family ||
					    memcmp(c->addr, b->addr, 16) ||
					    (c->port && b->port && c->port != b->port))
						continue;
					snprintf(err, errlen, "%s:%u: [l4-service %s]: backend "
						 "also serves [l4-service %s] (line %u): replies "
						 "could not tell the services apart",
						 d->cfg.path, b->line, s->name, o->name, c->line);
					return -EINVAL;
				}
			}
		}
	}
	return 0;
}

int gk_l4_republish(struct gk_daemon *d, char *err, size_t errlen)
{
	struct gk_l4_table *t;

	if (!nr_services(d))
		return 0;
	t = build(d, err, errlen);
	if (!t)
		return -EINVAL;
	gk_l4_table_publish(&d->l4, t);
	return 0;
}

static int sync_xdp(struct gk_daemon *d)
{
	const struct gk_config_l4 *l4 = d->cfg.l4;
	struct gk_l4_key *keys;
	uint32_t *ids, n = 0;
	int ret;

	/* one key per listen port, and one per service for its address */
	for (unsigned i = 0; i < l4->nr_services; i++)
		n += (uint32_t)l4->services[i].port_hi -
		     l4->services[i].port_lo + 2;
	if (n > GK_MAX_L4_KEYS)
		return -E2BIG;
	keys = calloc(n ? n : 1, sizeof(*keys));
	ids = calloc(n ? n : 1, sizeof(*ids));
	if (!keys || !ids) {
		free(keys);
		free(ids);
		return -ENOMEM;
	}
	n = 0;
	for (unsigned i = 0; i < l4->nr_services; i++) {
		const struct gk_config_l4_service *s = &l4->services[i];

		bool seen = false;

		for (uint32_t p = s->port_lo; p <= s->port_hi; p++, n++) {
			keys[n].family = fam(s->family);
			keys[n].proto = s->proto;
			keys[n].port = htons((uint16_t)p);
			memcpy(keys[n].addr, s->addr, s->family == AF_INET ? 4 : 16);
			ids[n] = i;
		}
		/* the address key (proto 0, port 0): once per address */
		for (unsigned j = 0; j < i && !seen; j++)
			seen = l4->services[j].family == s->family &&
			       !memcmp(l4->services[j].addr, s->addr, 16);
		if (seen)
			continue;
		keys[n].family = fam(s->family);
		memcpy(keys[n].addr, s->addr, s->family == AF_INET ? 4 : 16);
		ids[n++] = i;
	}
	ret = gk_xdp_l4_sync(d->xdp, keys, ids, n);
	free(keys);
	free(ids);
	return ret;
}

/*
 * Replies per (from, to) worker pair: a TCP window's worth (a backend's
 * burst arrives decrypted on one worker) where memory allows, 2 KiB each,
 * about 32 MiB for all pairs at most.
 */
#define SNAT_RING_MAX	1024
#define SNAT_RING_MIN	256
#define SNAT_RINGS_MEM	(32u << 20)

/* snat with several workers: a ring per ordered pair, a wake-up each. */
static int snat_rings(struct gk_daemon *d)
{
	unsigned nr = d->nr_workers, slots = SNAT_RING_MAX;

	while (slots > SNAT_RING_MIN && (uint64_t)nr * (nr - 1) * slots *
	       sizeof(struct gk_handoff_pkt) > SNAT_RINGS_MEM)
		slots /= 2;
	d->l4_ho = gk_handoff_create(nr, slots);
	d->l4_wake = aligned_alloc(64, sizeof(*d->l4_wake) * nr);
	if (!d->l4_ho || !d->l4_wake)
		return -ENOMEM;
	memset(d->l4_wake, 0, sizeof(*d->l4_wake) * nr);
	for (unsigned w = 0; w < nr; w++)
		d->l4_wake[w].efd = -1;
	for (unsigned w = 0; w < nr; w++) {
		d->l4_wake[w].efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (d->l4_wake[w].efd < 0)
			return -errno;
	}
	return 0;
}

int gk_l4_start(struct gk_daemon *d, char *err, size_t errlen)
{
	const struct gk_config_l4 *l4 = d->cfg.l4;
	struct gk_l4_table *t;
	int ret;

	if (!nr_services(d))
		return 0;
	ret = check(d, err, errlen);
	if (ret)
		return ret;
	d->l4_state = calloc(l4->nr_services, sizeof(*d->l4_state));
	if (!d->l4_state) {
		snprintf(err, errlen, "l4: out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < l4->nr_services; i++) {
		d->l4_state[i] = calloc(l4->services[i].nr_backends + 1, 1);
		if (!d->l4_state[i]) {
			snprintf(err, errlen, "l4: out of memory");
			return -ENOMEM;
		}
	}
	t = build(d, err, errlen);
	if (!t)
		return -EINVAL;
	gk_l4_table_publish(&d->l4, t);
	if (t->nr_pool && d->nr_workers > 1) {
		ret = snat_rings(d);
		if (ret) {
			snprintf(err, errlen, "l4: snat hand-off rings: %s",
				 strerror(-ret));
			return ret;
		}
	}
	ret = sync_xdp(d);
	if (ret) {
		snprintf(err, errlen, "l4: gk_l4svc: %s", strerror(-ret));
		return ret;
	}
	for (unsigned i = 0; i < l4->nr_services; i++) {
		char buf[80];

		gk_config_l4_format_listen(&l4->services[i], buf, sizeof(buf));
		gk_info("l4-service %s: %s %s, %u backend(s), Maglev M %u",
			l4->services[i].name,
			l4->services[i].proto == IPPROTO_TCP ? "tcp" : "udp", buf,
			l4->services[i].nr_backends, l4->services[i].table_size);
	}
	return 0;
}

void gk_l4_worker_cfg(struct gk_daemon *d, unsigned w,
		      struct gk_worker_cfg *wc)
{
	const struct gk_l4_table *t = d->l4;
	uint64_t flows = 0;

	(void)w;
	if (!t)
		return;
	for (unsigned i = 0; i < nr_services(d); i++)
		flows += d->cfg.l4->services[i].max_flows;
	wc->l4 = &d->l4;
	wc->l4_max_flows = flows > (1u << 22) ? 1u << 22 : (uint32_t)flows;
	wc->l4_nr_be = t->nr_be_total;
	wc->l4_nr_workers = d->nr_workers;
	wc->l4_handoff = d->l4_ho;
	wc->l4_wake = d->l4_wake;
}

static void req_free(struct gk_l4_req *r);

void gk_l4_stop(struct gk_daemon *d)
{
	for (unsigned w = 0; w < GK_MAX_WORKERS; w++) {
		req_free(d->l4req[w]);
		d->l4req[w] = NULL;
	}
	if (d->l4_state) {
		for (unsigned i = 0; i < nr_services(d); i++)
			free(d->l4_state[i]);
		free(d->l4_state);
		d->l4_state = NULL;
	}
	gk_l4_table_free(d->l4);
	d->l4 = NULL;
	gk_handoff_free(d->l4_ho);
	d->l4_ho = NULL;
	for (unsigned w = 0; d->l4_wake && w < d->nr_workers; w++)
		if (d->l4_wake[w].efd >= 0)
			close(d->l4_wake[w].efd);
	free(d->l4_wake);
	d->l4_wake = NULL;
}

/* ------------------------------------------------- flows (worker side) */

#define L4_FLOWS_MAX	1024		/* listed per worker at most */
#define MBOX_TIMEOUT_MS	1000

/* One per worker; outlives a timed-out call (mbox.h), freed at stop. */
struct gk_l4_req {
	int svc;			/* -1: all */
	uint32_t count, total;		/* listed, live in the table */
	uint64_t now_ns;
	/* count_be: only count the live flows per backend (gidx) */
	bool count_be;
	uint32_t nr_be;
	uint32_t *be_live;		/* [nr_be], with the request */
	struct gk_l4_flow flows[L4_FLOWS_MAX];
};

static void req_free(struct gk_l4_req *r)
{
	if (r)
		free(r->be_live);
	free(r);
}

/* A flow's timeout has not run out (expired ones wait to be reused). */
static bool flow_live(const struct gk_l4_table *t, const struct gk_l4_flow *f,
		      uint64_t now)
{
	const struct gk_l4_service *s = &t->svc[f->svc];
	uint64_t tmo = f->closing ? s->tcp_fin_ns :
		       f->proto == IPPROTO_TCP ? s->tcp_idle_ns : s->udp_idle_ns;

	return now < f->last_ns || now - f->last_ns < tmo;
}

/* On the worker's thread: its live flows per backend (l4 show). */
static void count_flows(struct gk_l4_req *r, const struct gk_worker *w)
{
	const struct gk_l4_ctx *c = w->l4;
	const struct gk_l4_table *t = w->l4t;
	size_t i, n;

	memset(r->be_live, 0, r->nr_be * sizeof(*r->be_live));
	if (!c || !c->flows || !t)
		return;
	n = (size_t)c->nr_buckets * GK_L4_WAYS;
	for (i = 0; i < n; i++) {
		const struct gk_l4_flow *f = &c->flows[i];
		uint32_t g;

		if (!f->used || f->svc >= t->nr_svc ||
		    f->be >= t->svc[f->svc].nr_be)
			continue;
		g = t->svc[f->svc].be[f->be].gidx;
		if (g < r->nr_be && flow_live(t, f, c->now_ns))
			r->be_live[g]++;
	}
}

/* On the worker's thread: copy its live flows (mbox.h). */
static void dump_flows(void *arg, void *worker_ctx)
{
	struct gk_l4_req *r = arg;
	const struct gk_worker *w = worker_ctx;
	const struct gk_l4_ctx *c = w->l4;
	size_t i, n;

	if (r->count_be) {
		count_flows(r, w);
		return;
	}
	r->count = r->total = 0;
	r->now_ns = c ? c->now_ns : 0;
	if (!c || !c->flows)
		return;
	n = (size_t)c->nr_buckets * GK_L4_WAYS;
	for (i = 0; i < n; i++) {
		const struct gk_l4_flow *f = &c->flows[i];

		if (!f->used || (r->svc >= 0 && f->svc != (uint32_t)r->svc))
			continue;
		r->total++;
		if (r->count < L4_FLOWS_MAX)
			r->flows[r->count++] = *f;
	}
}

/* ---------------------------------------------------------------- ctl */

/* ADDR:PORT / [V6]:PORT, as WireGuard endpoints are written. */
static void fmt_ep(char *buf, size_t len, uint8_t family, const uint8_t *a,
		   uint16_t port)
{
	struct gk_config_wg_endpoint ep = {
		.family = family == 4 ? AF_INET : AF_INET6,
		.port = port,
	};

	memcpy(ep.addr, a, family == 4 ? 4 : 16);
	gk_config_wg_format_endpoint(&ep, buf, len);
}

/* "ADDR", "ADDR:PORT", "[V6]", "[V6]:PORT". port 0 when absent. */
static int parse_ep(const char *s, uint8_t *family, uint8_t addr[16],
		    uint16_t *port)
{
	char buf[INET6_ADDRSTRLEN + 16], *p, *colon;
	unsigned long v = 0;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	memset(addr, 0, 16);
	*port = 0;
	if (buf[0] == '[') {
		p = strchr(buf, ']');
		if (!p)
			return -EINVAL;
		*p = 0;
		if (p[1] == ':')
			v = strtoul(p + 2, &colon, 10);
		else if (p[1])
			return -EINVAL;
		if (inet_pton(AF_INET6, buf + 1, addr) != 1)
			return -EINVAL;
		*family = 6;
	} else {
		colon = strchr(buf, ':');
		if (colon) {
			*colon = 0;
			v = strtoul(colon + 1, &p, 10);
			if (*p)
				return -EINVAL;
		}
		if (inet_pton(AF_INET, buf, addr) != 1)
			return -EINVAL;
		*family = 4;
	}
	if (v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

static int find_service(const struct gk_daemon *d, const char *name)
{
	for (unsigned i = 0; i < nr_services(d); i++)
		if (!strcmp(d->cfg.l4->services[i].name, name))
			return (int)i;
	return -1;
}

static void sum_be(const struct gk_daemon *d, uint32_t gidx, uint64_t *pk,
		   uint64_t *by)
{
	*pk = *by = 0;
	for (unsigned w = 0; w < d->nr_workers; w++) {
		const struct gk_l4_ctx *c = d->workers[w].l4;

		if (c && gidx < c->nr_be_max) {
			*pk += c->be_pkts[gidx];
			*by += c->be_bytes[gidx];
		}
	}
}

/* A snat service's pool, and the ports its flows hold on all workers. */
static json_t *snat_json(const struct gk_daemon *d,
			 const struct gk_config_l4_service *cs,
			 const struct gk_l4_service *s, unsigned i)
{
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN], ports[16];
	char pool[2 * INET6_ADDRSTRLEN + 2];
	uint64_t in_use = 0, cap = 0;
	int af = cs->snat_family == AF_INET6 ? AF_INET6 : AF_INET;
	json_t *pw = json_array();

	inet_ntop(af, cs->snat_lo, lo, sizeof(lo));
	inet_ntop(af, cs->snat_hi, hi, sizeof(hi));
	if (s->snat_naddr > 1)
		snprintf(pool, sizeof(pool), "%s-%s", lo, hi);
	else
		snprintf(pool, sizeof(pool), "%s", lo);
	for (unsigned w = 0; w < d->nr_workers; w++) {
		const struct gk_l4_ctx *c = d->workers[w].l4;
		/* racy reads of the worker's own counts: a snapshot */
		uint32_t u = c && i < c->nr_snat_svc ? c->snat[i].in_use : 0;

		in_use += u;
		cap += c ? gk_l4_snat_capacity(c, s) : 0;
		json_array_append_new(pw, json_integer(u));
	}
	snprintf(ports, sizeof(ports), "%u-%u", cs->snat_port_lo,
		 cs->snat_port_hi);
	return json_pack("{s:s, s:s, s:I, s:I, s:o}", "pool", pool,
			 "ports", ports, "in_use", (json_int_t)in_use,
			 "capacity", (json_int_t)cap, "in_use_per_worker", pw);
}

/* A request slot of worker w, idle (no call of ours outstanding). */
static struct gk_l4_req *req_of(struct gk_daemon *d, unsigned w)
{
	if (!d->l4req[w])
		d->l4req[w] = calloc(1, sizeof(*d->l4req[w]));
	if (!d->l4req[w] || !gk_mbox_idle(&d->mbox[w]))
		return NULL;
	return d->l4req[w];
}

/*
 * live[gidx]: live flows per backend over the workers, each read on its
 * own thread. false when a worker did not answer (its share is missing).
 */
static bool live_flows(struct gk_daemon *d, const struct gk_l4_table *t,
		       uint64_t *live)
{
	bool all = true;

	for (unsigned w = 0; w < d->nr_workers && t; w++) {
		struct gk_l4_req *r = req_of(d, w);

		if (r && r->nr_be < t->nr_be_total) {
			free(r->be_live);
			r->be_live = calloc(t->nr_be_total, sizeof(*r->be_live));
			r->nr_be = r->be_live ? t->nr_be_total : 0;
		}
		if (!r || !r->be_live) {
			all = false;
			continue;
		}
		r->count_be = true;
		if (gk_mbox_call(&d->mbox[w], dump_flows, r, MBOX_TIMEOUT_MS)) {
			all = false;
			continue;
		}
		for (uint32_t g = 0; g < t->nr_be_total && g < r->nr_be; g++)
			live[g] += r->be_live[g];
	}
	return all;
}

static int l4_show(struct gk_daemon *d, json_t *args, json_t **result,
		   char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(args, "name"));
	const struct gk_l4_table *t = d->l4;
	json_t *svcs = json_array(), *cnt = json_object();
	uint64_t sum[GK_L4_CNT_MAX] = { 0 };
	/* "flows": false (the metrics thread's render): no worker is asked */
	bool want = !json_is_false(json_object_get(args, "flows"));
	uint64_t *live = want ? calloc(t && t->nr_be_total ? t->nr_be_total : 1,
				       sizeof(*live)) : NULL;
	bool all_live = live && live_flows(d, t, live);

	for (unsigned w = 0; w < d->nr_workers; w++)
		for (int i = 0; d->workers[w].l4 && i < GK_L4_CNT_MAX; i++)
			sum[i] += d->workers[w].l4->cnt[i];
	for (int i = 0; i < GK_L4_CNT_MAX; i++)
		json_object_set_new(cnt, gk_l4_cnt_names[i],
				    json_integer((json_int_t)sum[i]));
	for (unsigned i = 0; t && i < t->nr_svc; i++) {
		const struct gk_config_l4_service *cs = &d->cfg.l4->services[i];
		const struct gk_l4_service *s = &t->svc[i];
		json_t *bes;
		char listen[80];

		if (name && strcmp(name, cs->name))
			continue;
		bes = json_array();
		gk_config_l4_format_listen(cs, listen, sizeof(listen));
		for (uint32_t j = 0; j < s->nr_be; j++) {
			const struct gk_l4_backend *b = &s->be[j];
			uint64_t pk, by, slots = 0;
			char ep[80];

			for (uint32_t k = 0; k < s->m; k++)
				slots += s->table[k] == j;
			sum_be(d, b->gidx, &pk, &by);
			fmt_ep(ep, sizeof(ep), b->family, b->addr, b->port);
			json_array_append_new(bes, json_pack(
				"{s:s, s:i, s:s, s:s, s:o, s:I, s:I, s:I, s:I}",
				"backend", ep, "weight",
				cs->backends[j].weight,
				"state", state_names[b->state < GK_L4_BE_STATE_MAX ?
						     b->state : 0],
				"admin", state_names[d->l4_state[i][j] <
						     GK_L4_BE_STATE_MAX ?
						     d->l4_state[i][j] : 0],
				"health", gk_l4_health_json(d, i, j),
				"table_slots", (json_int_t)slots,
				"flows", (json_int_t)(live ? live[b->gidx] : 0),
				"packets", (json_int_t)pk, "bytes", (json_int_t)by));
		}
		json_t *so = json_pack(
			"{s:s, s:s, s:s, s:s, s:i, s:o}",
			"name", cs->name, "listen", listen,
			"proto", s->proto == IPPROTO_TCP ? "tcp" : "udp",
			"client_ip", s->snat ? "snat" : "preserve",
			"table_size", (int)s->m, "backends", bes);

		if (so && s->snat)
			json_object_set_new(so, "snat", snat_json(d, cs, s, i));
		json_array_append_new(svcs, so);
	}
	free(live);
	if (name && !json_array_size(svcs)) {
		json_decref(svcs);
		json_decref(cnt);
		snprintf(err, errlen, "l4: no service '%s'", name);
		return -ENOENT;
	}
	/* flows_complete false: a worker's share of "flows" is missing */
	*result = json_pack("{s:o, s:o, s:b}", "services", svcs, "counters", cnt,
			    "flows_complete", all_live);
	return *result ? 0 : -ENOMEM;
}

static int l4_lookup(struct gk_daemon *d, json_t *args, json_t **result,
		     char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(args, "name"));
	const char *client = json_string_value(json_object_get(args, "client"));
	const struct gk_l4_table *t = d->l4;
	const struct gk_l4_service *s;
	uint8_t family, addr[16];
	uint16_t cport, lport;
	char ep[80];
	int i, b;

	if (!name || !client) {
		snprintf(err, errlen, "l4 lookup: args.name and args.client "
			 "(ADDR:PORT) are required");
		return -EINVAL;
	}
	i = find_service(d, name);
	if (i < 0 || !t) {
		snprintf(err, errlen, "l4: no service '%s'", name);
		return -ENOENT;
	}
	s = &t->svc[i];
	if (parse_ep(client, &family, addr, &cport) || family != s->family) {
		snprintf(err, errlen, "l4 lookup: client '%s': want %s ADDR:PORT",
			 client, s->family == 4 ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	lport = (uint16_t)(json_integer_value(json_object_get(args, "port")) ?
			   json_integer_value(json_object_get(args, "port")) :
			   s->port_lo);
	b = gk_l4_pick(s, addr, cport, lport);
	if (b < 0) {
		*result = json_pack("{s:s, s:n}", "service", name, "backend");
		return *result ? 0 : -ENOMEM;
	}
	fmt_ep(ep, sizeof(ep), s->be[b].family, s->be[b].addr,
	       s->be[b].port ? s->be[b].port : lport);
	*result = json_pack("{s:s, s:s, s:s}", "service", name, "client",
			    client, "backend", ep);
	return *result ? 0 : -ENOMEM;
}

static int l4_backend(struct gk_daemon *d, json_t *args, json_t **result,
		      char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(args, "name"));
	const char *be = json_string_value(json_object_get(args, "backend"));
	const char *act = json_string_value(json_object_get(args, "action"));
	const struct gk_config_l4_service *cs;
	uint8_t family, addr[16], st;
	uint16_t port;
	int i, hit = -1;

	if (!name || !be || !act) {
		snprintf(err, errlen, "l4 backend: args.name, args.backend and "
			 "args.action (drain|enable|disable) are required");
		return -EINVAL;
	}
	if (!strcmp(act, "drain"))
		st = GK_L4_BE_DRAINING;
	else if (!strcmp(act, "enable"))
		st = GK_L4_BE_UP;
	else if (!strcmp(act, "disable"))
		st = GK_L4_BE_DISABLED;
	else {
		snprintf(err, errlen, "l4 backend: action '%s' (want drain, "
			 "enable or disable)", act);
		return -EINVAL;
	}
	i = find_service(d, name);
	if (i < 0) {
		snprintf(err, errlen, "l4: no service '%s'", name);
		return -ENOENT;
	}
	cs = &d->cfg.l4->services[i];
	if (parse_ep(be, &family, addr, &port)) {
		snprintf(err, errlen, "l4 backend: '%s' is not ADDR[:PORT]", be);
		return -EINVAL;
	}
	for (unsigned j = 0; j < cs->nr_backends; j++)
		if (fam(cs->backends[j].family) == family &&
		    !memcmp(cs->backends[j].addr, addr, 16) &&
		    (!port || port == cs->backends[j].port))
			hit = (int)j;
	if (hit < 0) {
		snprintf(err, errlen, "l4: service '%s' has no backend %s", name,
			 be);
		return -ENOENT;
	}
	d->l4_state[i][hit] = st;
	if (gk_l4_republish(d, err, errlen))
		return -EINVAL;
	gk_info("l4-service %s: backend %s %s (new flows %s)", name, be,
		state_names[st], st == GK_L4_BE_UP ? "welcome" : "go elsewhere");
	*result = json_pack("{s:s, s:s, s:s}", "service", name, "backend", be,
			    "state", state_names[st]);
	return *result ? 0 : -ENOMEM;
}

/*
 * Each worker's live flows (some may have idled past their timeout and
 * not been reused yet: age says so), at most L4_FLOWS_MAX per worker.
 */
static int l4_flows(struct gk_daemon *d, json_t *args, json_t **result,
		    char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(args, "name"));
	const struct gk_l4_table *t = d->l4;
	json_t *flows = json_array();
	uint64_t total = 0;
	bool cut = false;
	int svc = -1, ret;

	if (name && (svc = find_service(d, name)) < 0) {
		json_decref(flows);
		snprintf(err, errlen, "l4: no service '%s'", name);
		return -ENOENT;
	}
	for (unsigned w = 0; w < d->nr_workers && t; w++) {
		struct gk_l4_req *r;

		if (!d->l4req[w] && !(d->l4req[w] = calloc(1, sizeof(*r)))) {
			json_decref(flows);
			return -ENOMEM;
		}
		r = d->l4req[w];
		if (!gk_mbox_idle(&d->mbox[w])) {
			json_decref(flows);
			snprintf(err, errlen, "l4 flows: worker %u is still busy "
				 "with an earlier request", w);
			return -EBUSY;
		}
		r->svc = svc;
		r->count_be = false;
		ret = gk_mbox_call(&d->mbox[w], dump_flows, r, MBOX_TIMEOUT_MS);
		if (ret) {
			json_decref(flows);
			snprintf(err, errlen, "l4 flows: worker %u did not answer "
				 "in time", w);
			return ret;
		}
		total += r->total;
		cut |= r->total > r->count;
		for (uint32_t i = 0; i < r->count; i++) {
			const struct gk_l4_flow *f = &r->flows[i];
			const struct gk_l4_service *s;
			char cl[80], be[80], sp[80];
			json_t *sn;

			if (f->svc >= t->nr_svc)
				continue;
			s = &t->svc[f->svc];
			fmt_ep(cl, sizeof(cl), f->family, f->caddr, f->cport);
			/* the pool address:port the backend sees, or null */
			if (f->snat_pidx && f->snat_pidx <= t->nr_pool) {
				fmt_ep(sp, sizeof(sp), f->family,
				       t->pool[f->snat_pidx - 1].addr, f->snat_port);
				sn = json_string(sp);
			} else {
				sn = json_null();
			}
			if (f->be < s->nr_be)
				fmt_ep(be, sizeof(be), s->be[f->be].family,
				       s->be[f->be].addr, s->be[f->be].port ?
				       s->be[f->be].port : f->lport);
			else
				snprintf(be, sizeof(be), "?");
			json_array_append_new(flows, json_pack(
				"{s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:o, s:f}",
				"service", d->cfg.l4->services[f->svc].name,
				"proto", f->proto == IPPROTO_TCP ? "tcp" : "udp",
				"client", cl, "listen_port", f->lport,
				"backend", be, "worker", (int)w,
				"state", f->closing ? "closing" : "active",
				"snat", sn,
				"idle_s", r->now_ns > f->last_ns ?
					(double)(r->now_ns - f->last_ns) / 1e9 : 0.0));
		}
	}
	*result = json_pack("{s:o, s:I, s:b}", "flows", flows,
			    "total", (json_int_t)total, "truncated", cut);
	return *result ? 0 : -ENOMEM;
}

int gk_l4_cmd(void *arg, json_t *args, json_t **result, char *err,
	      size_t errlen)
{
	struct gk_daemon *d = arg;
	const char *op = json_string_value(json_object_get(args, "op"));

	if (!op) {
		snprintf(err, errlen, "l4: args.op must be show, lookup, backend or flows");
		return -EINVAL;
	}
	if (!nr_services(d)) {
		snprintf(err, errlen, "l4: no [l4-service] configured");
		return -ENOENT;
	}
	if (!strcmp(op, "show"))
		return l4_show(d, args, result, err, errlen);
	if (!strcmp(op, "lookup"))
		return l4_lookup(d, args, result, err, errlen);
	if (!strcmp(op, "backend"))
		return l4_backend(d, args, result, err, errlen);
	if (!strcmp(op, "flows"))
		return l4_flows(d, args, result, err, errlen);
	snprintf(err, errlen, "l4: unknown op '%s' (show, lookup, backend, flows)",
		 op);
	return -EINVAL;
}
