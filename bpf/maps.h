/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every map of the XDP classifier, declared once. Keys and values come from
 * include/genkan/bpf_maps.h; genkand is the only writer of all but gk_stats.
 */
#ifndef GK_BPF_MAPS_H
#define GK_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <genkan/bpf_maps.h>
#include <genkan/meta.h>

/* AF_XDP worker sockets, keyed GK_XSK_KEY(port_id, rx queue). */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, GK_MAX_PORTS * GK_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} gk_xsks SEC(".maps");

/* genkan ports: ingress ifindex -> dense port id and flags. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GK_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct gk_port_info);
} gk_ports SEC(".maps");

/* IPv4 addresses of this host (network order); value unused. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GK_MAX_LOCAL);
	__type(key, __be32);
	__type(value, __u8);
} gk_local4 SEC(".maps");

/* IPv6 addresses of this host; value unused. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GK_MAX_LOCAL);
	__type(key, struct gk_in6);
	__type(value, __u8);
} gk_local6 SEC(".maps");

/* MAP-E CE address (role ce) or BR address (role br) -> class (__u8). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GK_MAX_MAPE_V6);
	__type(key, struct gk_in6);
	__type(value, __u8);
} gk_mape_v6 SEC(".maps");

/* MAP-E rule IPv4 prefixes (BR: all rules, CE: FMRs) -> class (__u8). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, GK_MAX_MAPE_V4);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* LPM tries require it */
	__type(key, struct gk_lpm4_key);
	__type(value, __u8);
} gk_mape_v4 SEC(".maps");

/* WireGuard listen port and port (struct gk_wg_xdp), one entry. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gk_wg_xdp);
} gk_wg SEC(".maps");

/* Per-CPU counters: classes, drop reasons, events (GK_STAT_* layout). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GK_STAT_MAX);
	__type(key, __u32);
	__type(value, struct gk_xdp_counter);
} gk_stats SEC(".maps");

/* Frames dropped because the port's hand-off could not be attached. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GK_MAX_PORTS);
	__type(key, __u32);
	__type(value, __u64);
} gk_hand_fail SEC(".maps");

/* [l4-service] listen address:port -> service id (front door). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GK_MAX_L4_KEYS);
	__type(key, struct gk_l4_key);
	__type(value, __u32);
} gk_l4svc SEC(".maps");

#endif
