/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * [l4-service NAME] config sections: the front door (issue #11) forwards
 * TCP or UDP for a public address:port (or port range), per packet, to
 * backends picked by Maglev, usually behind a WireGuard peer. Kept out of
 * config.c: config.c forwards the section header and its keys here and
 * calls the validator once everything is read. docs/config.md has the
 * operator's view.
 */
#ifndef GK_CTL_CONFIG_L4_H
#define GK_CTL_CONFIG_L4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GK_CONFIG_L4_MAX_SERVICES	64
#define GK_CONFIG_L4_MAX_BACKENDS	256	/* per service */
#define GK_CONFIG_L4_MAX_WEIGHT		100
#define GK_CONFIG_L4_TABLE_MIN		251	/* Maglev M: a prime in this range */
#define GK_CONFIG_L4_TABLE_MAX		1048573
#define GK_CONFIG_L4_TABLE_DEFAULT	65537
#define GK_CONFIG_L4_MAX_SNAT_ADDRS	256
#define GK_CONFIG_L4_PATH_MAX		128	/* http health path + NUL */

/* Keys of a section, in docs/config.md order; key_line[] is indexed by them. */
enum gk_config_l4_key {
	GK_L4K_LISTEN, GK_L4K_PROTO, GK_L4K_BACKEND, GK_L4K_SCHEDULER,
	GK_L4K_TABLE_SIZE, GK_L4K_CLIENT_IP, GK_L4K_SNAT_POOL,
	GK_L4K_SNAT_PORTS, GK_L4K_HEALTH, GK_L4K_HEALTH_INTERVAL, GK_L4K_RISE,
	GK_L4K_FALL, GK_L4K_TCP_IDLE, GK_L4K_TCP_FIN, GK_L4K_UDP_IDLE,
	GK_L4K_MAX_FLOWS, GK_L4K_ALLOW_PORT_22, GK_L4_NR_KEYS
};

enum gk_config_l4_sched { GK_L4_SCHED_MAGLEV };
/* Source of the packets sent to a backend: the client's, or snat_pool. */
enum gk_config_l4_client_ip { GK_L4_CLIENT_PRESERVE, GK_L4_CLIENT_SNAT };
enum gk_config_l4_health { GK_L4_HEALTH_TCP, GK_L4_HEALTH_HTTP, GK_L4_HEALTH_NONE };

struct gk_config_l4_backend {
	uint8_t family;		/* AF_INET, AF_INET6; the listen family (validated) */
	uint8_t weight;		/* 0..100; 0: listed and checked, given no Maglev slot */
	uint16_t port;		/* host order; 0: the packet's own destination port */
	uint8_t addr[16];	/* network order; IPv4 in the first 4 bytes */
	unsigned line;		/* of its `backend =` */
};

struct gk_config_l4_service {
	char name[32];
	unsigned line;				/* of [l4-service NAME] */
	unsigned key_line[GK_L4_NR_KEYS];	/* first line of each key; 0: unset */

	uint8_t family;				/* AF_INET, AF_INET6; 0: no valid listen */
	uint8_t proto;				/* IPPROTO_TCP, IPPROTO_UDP; 0: unset */
	uint16_t port_lo, port_hi;		/* host order, lo <= hi */
	uint8_t addr[16];			/* network order */

	enum gk_config_l4_sched scheduler;
	uint32_t table_size;			/* Maglev M, prime */

	enum gk_config_l4_client_ip client_ip;
	uint8_t snat_family;			/* of snat_pool; 0: none */
	uint8_t snat_lo[16], snat_hi[16];	/* snat_pool, network order, lo <= hi */
	uint16_t snat_port_lo, snat_port_hi;	/* host order; default 1024-65535 */

	enum gk_config_l4_health health;	/* default tcp (proto tcp), none (udp) */
	char http_path[GK_CONFIG_L4_PATH_MAX];	/* health = http GET <path> */
	uint16_t expect_lo, expect_hi;		/* HTTP status; default 200-399 */
	uint32_t health_interval_ms;		/* default 2000 */
	uint8_t rise, fall;			/* default 2, 3 */

	uint32_t tcp_idle_ms, tcp_fin_ms, udp_idle_ms;	/* 300 s, 10 s, 30 s */
	uint32_t max_flows;			/* default 65536 */
	bool allow_port_22;

	unsigned nr_backends, cap;
	struct gk_config_l4_backend *backends;	/* heap */
	bool too_many;				/* parse time: reported once */
};

struct gk_config_l4 {
	unsigned nr_services;
	bool too_many;				/* parse time: reported once */
	struct gk_config_l4_service services[GK_CONFIG_L4_MAX_SERVICES];
};

/* How config.c reports a problem on a line (a printf-like sink). */
typedef void (*gk_config_l4_err_fn)(void *arg, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A "[l4-service NAME]" header; allocates *l4 on the first one. 0, or
 * -EINVAL / -ENOMEM (reported): keys that follow are then ignored.
 */
int gk_config_l4_open(struct gk_config_l4 **l4, const char *arg, unsigned line,
		      gk_config_l4_err_fn perr, void *arg_err);
/* key = val inside the last opened [l4-service]. */
void gk_config_l4_key(struct gk_config_l4 *l4, const char *key, const char *val,
		      unsigned line, gk_config_l4_err_fn perr, void *arg_err);
/* Required keys, cross-key rules, overlaps between services. NULL: nothing. */
void gk_config_l4_validate(struct gk_config_l4 *l4, gk_config_l4_err_fn perr,
			   void *arg_err);

struct gk_config;
/*
 * Warnings on a parsed config, through @warn: what may be right but often
 * is not. A backend that no [wireguard-peer] AllowedIPs covers (a kernel
 * route may reach it), a table_size under 100 x the backends (Maglev,
 * §3.4), a udp service whose ports take the [wireguard] ListenPort.
 * Returns how many.
 */
unsigned gk_config_l4_warnings(const struct gk_config *cfg,
			       gk_config_l4_err_fn warn, void *arg_warn);

struct gk_config_wg;
/* An enabled [wireguard] has a peer whose AllowedIPs hold addr. */
bool gk_config_l4_peer_covers(const struct gk_config_wg *wg, int family,
			      const uint8_t *addr);

void gk_config_l4_free(struct gk_config_l4 *l4);
/* Deep copy; NULL on ENOMEM or when src is NULL. */
struct gk_config_l4 *gk_config_l4_dup(const struct gk_config_l4 *src);
/* Same settings (lines ignored)? Both may be NULL. */
bool gk_config_l4_equal(const struct gk_config_l4 *a,
			const struct gk_config_l4 *b);

/* 1 if @n is prime (Maglev M); trial division, n up to 2^32 - 1. */
bool gk_config_l4_is_prime(uint32_t n);

/* "203.0.113.10:443", "[2001:db8::10]:8000-8010" */
void gk_config_l4_format_listen(const struct gk_config_l4_service *s,
				char *buf, size_t len);

#endif /* GK_CTL_CONFIG_L4_H */
