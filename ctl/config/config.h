/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * genkan configuration: one INI file, parsed strictly. A parse either
 * succeeds completely or leaves the caller's struct untouched, so a reload
 * can parse into a fresh struct and swap only when everything validated.
 */
#ifndef GK_CTL_CONFIG_H
#define GK_CTL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config_l4.h"
#include "config_wg.h"
#include "map_rule.h"
#include "config_dpdk.h"
#include "config_metrics.h"
#include "config_nat.h"

#define GK_CONFIG_MAX_PORTS	16
#define GK_CONFIG_MAX_WORKERS	64
#define GK_CONFIG_MAX_LINE	1024	/* bytes per line, excluding the newline */
#define GK_CONFIG_MAX_FILE	(1 << 20)
#define GK_CONFIG_DEFAULT_INSTANCE "default"
#define GK_CONFIG_RUN_DIR	"/run/genkan"
#define GK_CONFIG_MAX_MAP_RULES	4096

/*
 * How the classifier's parse results reach the workers (docs/config.md,
 * docs/architecture.md "Hand-off"): XDP metadata (bpf_xdp_adjust_meta),
 * prepended to the frame (bpf_xdp_adjust_head, stripped by the backend), or
 * not at all (the worker runs the software twin). auto probes the verifier.
 */
enum gk_xdp_meta_mode {
	GK_XDP_META_AUTO, GK_XDP_META_META, GK_XDP_META_HEAD, GK_XDP_META_PARSE,
};
/*
 * TCP/UDP checksums of frames from the port: veth/tap peers with TX
 * checksum offload hand over partial sums (pseudo-header only). complete:
 * the worker recomputes them; trust: as received; auto: complete on ports
 * whose driver can carry partial sums (veth, tun/tap), trust the rest.
 */
enum gk_csum_mode { GK_CSUM_AUTO, GK_CSUM_TRUST, GK_CSUM_COMPLETE };
/* A port's backend: AF_XDP on a kernel interface, or DPDK (docs/dpdk.md). */
enum gk_port_backend { GK_BACKEND_AFXDP, GK_BACKEND_DPDK };

struct gk_config_port {
	char name[16];
	char ifname[16];
	uint32_t mtu;		/* 0 = use the kernel's MTU */
	/* After parsing, the port's own value or else [genkan]'s. */
	enum gk_xdp_meta_mode xdp_meta;
	enum gk_csum_mode checksum;
	unsigned line;		/* line of the [port] header, for later diagnostics */
	/*
	 * backend = dpdk: the device is devargs, and interface names the TAP
	 * genkand makes for the kernel's side of it (docs/dpdk.md).
	 */
	enum gk_port_backend backend;
	char devargs[256];
};

/* [mape]: MAP-E (RFC 7597), see docs/mape.md. Ports are referenced by name. */
struct gk_config_mape {
	bool present, enabled;
	enum { GK_MAPE_CE, GK_MAPE_BR } role;
	uint8_t br_address[16];		/* DMR /128: CE tunnel destination, BR own address */
	char ipv4_port[16], ipv6_port[16];
	uint8_t eup[16];		/* CE: delegated end-user prefix, masked */
	uint8_t eup_len;
	uint16_t tunnel_mtu;		/* 0: ipv6_port's kernel MTU - 40, known at run time */
	uint8_t fragment;		/* 0 outer (RFC 2473), 1 icmp */
	bool icmp_unreachable;
	unsigned line;			/* line of [mape] */
	int bmr;			/* CE: index of the rule end_user_prefix matches, else -1 */
};

enum gk_xdp_mode { GK_XDP_MODE_NATIVE, GK_XDP_MODE_SKB };
enum gk_bind_mode { GK_BIND_AUTO, GK_BIND_COPY, GK_BIND_ZEROCOPY };
enum gk_log_level { GK_LOG_ERROR, GK_LOG_WARN, GK_LOG_INFO, GK_LOG_DEBUG };
/* genkand's log lines: today's text or one JSON object per line (docs/logs.md). */
enum gk_log_format { GK_LOG_FMT_TEXT, GK_LOG_FMT_JSON };
/* Who answers TTL/hop-limit expiry of routed packets (ICMP time exceeded). */
enum gk_ttl_expired { GK_TTL_EXPIRED_WORKER, GK_TTL_EXPIRED_KERNEL };

struct gk_config {
	char path[256];
	char instance[32];
	char socket_path[108];
	char bpffs[256];
	unsigned workers;
	int cpus[GK_CONFIG_MAX_WORKERS];
	unsigned nr_cpus;	/* 0 = default mapping, worker i -> cpu i % nproc */
	enum gk_xdp_mode xdp_mode;
	enum gk_bind_mode bind_mode;
	uint32_t frames, frame_size, ring_size;
	unsigned heartbeat_ms, stall_ms;
	uint32_t route_table;
	enum gk_log_level log_level;
	enum gk_log_format log_format;
	enum gk_ttl_expired ttl_expired;
	uint32_t icmp_rate;	/* ICMP errors/s per worker, 0 = none */
	uint32_t idle_sleep_us;	/* idle time before a worker sleeps, 0 = busy-poll */
	enum gk_xdp_meta_mode xdp_meta;	/* default for ports without their own */
	enum gk_csum_mode checksum;	/* likewise */
	struct gk_config_port ports[GK_CONFIG_MAX_PORTS];
	unsigned nr_ports;
	struct gk_config_mape mape;
	struct gk_map_rule *map_rules;	/* heap: owned, see gk_config_free() */
	unsigned nr_map_rules;
	struct gk_config_nat nat;	/* [nat], [nat-map NAME] (config_nat.h) */
	/* [wireguard] + [wireguard-peer]s: heap, owned; NULL when absent. */
	struct gk_config_wg *wg;
	/* [l4-service NAME]s (config_l4.h): heap, owned; NULL when absent. */
	struct gk_config_l4 *l4;
	struct gk_config_metrics metrics;	/* [metrics] (config_metrics.h) */
	struct gk_config_dpdk dpdk;		/* [dpdk] (config_dpdk.h) */
	unsigned nr_dpdk_ports;			/* ports with backend = dpdk */
};

void gk_config_defaults(struct gk_config *cfg);

/*
 * Parses @text (@len bytes, need not be NUL terminated); @name is used in
 * messages and copied into cfg->path. Returns 0, or -EINVAL with every
 * problem found in @err, one "name:line: message" per line. @cfg is only
 * written on success, and is overwritten without being freed: on success
 * the caller owns cfg->map_rules and releases it with gk_config_free().
 */
int gk_config_parse(const char *text, size_t len, const char *name,
		    struct gk_config *cfg, char *err, size_t errlen);

/* Reads and parses @path; -errno (with a message in @err) if unreadable. */
int gk_config_load(const char *path, struct gk_config *cfg, char *err,
		   size_t errlen);

/*
 * Resolves host names in a parsed config (WireGuard Endpoint, see
 * gk_config_wg_resolve()): genkand start and --check, bounded by
 * @timeout_ms. 0, or -errno with "name:line: ..." messages in @err.
 */
int gk_config_resolve(struct gk_config *cfg, unsigned timeout_ms, char *err,
		      size_t errlen);

/*
 * Warnings on a parsed config: what may be right but often is not (an
 * [l4-service] backend that no [wireguard-peer] covers, see
 * gk_config_l4_warnings()). Writes one "name:line: warning: message" per
 * line into @buf (cut at @len) and returns how many there are; 0 and ""
 * when none. For genkand's --check and start to print: they never
 * fail a parse.
 */
unsigned gk_config_warnings(const struct gk_config *cfg, char *buf,
			    size_t len);

/* Frees what a parsed config owns (map_rules, wg, l4); safe on a zeroed struct and twice. */
void gk_config_free(struct gk_config *cfg);

/* Deep copy: *dst = *src with its own map_rules. -ENOMEM leaves dst without rules. */
int gk_config_copy(struct gk_config *dst, const struct gk_config *src);

/* Default socket path for an instance: /run/genkan/<instance>.sock. */
int gk_config_socket_for(const char *instance, char *buf, size_t len);

/* 1 if @s matches [A-Za-z0-9_-]{1,maxlen}. */
int gk_config_valid_name(const char *s, size_t maxlen);

const char *gk_config_xdp_mode_str(enum gk_xdp_mode m);
const char *gk_config_bind_mode_str(enum gk_bind_mode m);
const char *gk_config_log_level_str(enum gk_log_level l);
const char *gk_config_log_format_str(enum gk_log_format f);
const char *gk_config_xdp_meta_str(enum gk_xdp_meta_mode m);
const char *gk_config_csum_str(enum gk_csum_mode m);

#endif /* GK_CTL_CONFIG_H */
