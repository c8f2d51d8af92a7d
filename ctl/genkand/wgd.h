/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * genkand's WireGuard side (issue #5, docs/wireguard.md): the UDP socket on
 * ListenPort (IPv4 and IPv6; XDP passes handshake messages to it), the
 * Noise handshakes per peer, receiver-index allocation, keypair rotation
 * (current/previous/next), the timers, and the gk_wg_peers snapshot the
 * workers read through their own RCU slot. Runs in genkand's event loop
 * thread only. Off (d->wgd NULL) unless [wireguard] is configured.
 */
#ifndef GK_CTL_WGD_H
#define GK_CTL_WGD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct gk_cnt_fields;
struct gk_daemon;
struct gk_worker_cfg;
struct gk_wgd;

/* Workers' per-peer counter slots: peer ids are never reused below this. */
#define GK_WGD_MAX_PEERS	1024
/* Handshake messages per second above which mac2 (cookies) is required. */
#define GK_WGD_UNDER_LOAD_PER_S	64

/* Before the workers start: socket, identity, first snapshot, XDP map. */
int gk_wgd_start(struct gk_daemon *d, struct gk_wgd **out, char *err,
		 size_t errlen);
/* Fills wc's WireGuard fields for worker w. */
void gk_wgd_worker_cfg(struct gk_wgd *g, unsigned w, struct gk_worker_cfg *wc);
/*
 * For epoll, -1 when absent: 0 the IPv4 socket, 1 the IPv6 socket,
 * GK_WGD_FD_PUNT the eventfd the workers write when they punted
 * handshakes (behind a MAP-E CE).
 */
#define GK_WGD_FD_PUNT	2
#define GK_WGD_NR_FDS	3
int gk_wgd_fd(const struct gk_wgd *g, int which);
void gk_wgd_on_readable(struct gk_wgd *g, int which);
/*
 * One handshake message (a UDP payload from src): what gk_wgd_on_readable()
 * does with each datagram and with each message the workers punt. The
 * length and type checks, mac1/mac2 and cookies, the Noise handshake,
 * keypairs, a new snapshot, the answer.
 */
struct sockaddr_storage;
void gk_wgd_handle_msg(struct gk_wgd *g, const uint8_t *buf, size_t n,
		       const struct sockaddr_storage *src);
/*
 * The handshake side alone, for tests and the fuzz harness
 * (tests/fuzz/fuzz_wgd.c): c's identity and peers, no daemon, sockets,
 * workers or XDP, room for c's peers only. Snapshots are built as usual
 * (no outer source: no interface); answers go nowhere. NULL on failure;
 * gk_wgd_stop() frees it.
 */
struct gk_config_wg;
struct gk_wgd *gk_wgd_new_detached(const struct gk_config_wg *c);
/*
 * Timers, worker events, counters: every genkand tick. True when it
 * took events or punts from the workers' rings (more may follow).
 */
bool gk_wgd_tick(struct gk_wgd *g);
/* After the workers are joined. */
void gk_wgd_stop(struct gk_wgd *g);

/*
 * genkand's own counters, X(field, json name), in the order `wg show`
 * prints them: handshakes (in "counters"), and behind a MAP-E CE the
 * punt and inject paths (in "mape_ce").
 */
#define GK_WGD_CNT_LIST(X)						\
	X(rx_bad_mac,		"handshake_bad_mac")			\
	X(rx_cookie_sent,	"cookie_replies_sent")			\
	X(rx_rejected,		"handshake_rejected")			\
	X(rx_data_on_socket,	"data_on_socket")			\
	X(hs_initiations_sent,	"initiations_sent")			\
	X(hs_completed,		"handshakes_completed")			\
	X(publish_errors,	"publish_errors")			\
	X(src_changes,		"source_changes") /* republished: outer source changed */ \
	X(rx_too_short,		"message_too_short") /* < 4 bytes: no type */	\
	X(rx_init_bad_len,	"initiation_bad_length") /* type 1, not 148 B */ \
	X(rx_resp_bad_len,	"response_bad_length") /* type 2, not 92 B */	\
	X(rx_cookie_bad_len,	"cookie_reply_bad_length") /* type 3, not 64 B */ \
	X(rx_data_bad_len,	"data_bad_length") /* type 4 under 32 B */	\
	X(rx_unknown_type,	"unknown_type") /* any other type / reserved bytes */

#define GK_WGD_CE_CNT_LIST(X)						\
	X(punt_rx,		"punt_received")			\
	X(punt_bad,		"punt_malformed")			\
	X(inject_sent,		"inject_queued")			\
	X(inject_full,		"inject_ring_full")			\
	X(inject_too_big,	"inject_too_big")

/* Their (name, offset) tables in struct gk_wgd (counters_json.h). */
extern const struct gk_cnt_fields gk_wgd_cnt, gk_wgd_ce_cnt;

/* ctl: `wg show` (no private key, ever) and `wg set`. */
json_t *gk_wgd_show(struct gk_wgd *g);
int gk_wgd_set(struct gk_wgd *g, json_t *args, char *err, size_t errlen);

#endif
