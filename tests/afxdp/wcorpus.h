/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker corpora a backend test runs through gk_worker_poll and
 * compares (tests/dpdk/test_dpdk.c on net_pcap, tests/afxdp/
 * test_worker_afxdp.c on AF_XDP): the L3 corpus (gen_worker_fixtures.py)
 * and the MAP-E CE corpus (gen_worker_mape.py), both built by scapy, with
 * the testbed's tables; the memory backend's run of the same input; and
 * the checks against scapy and against that run. Setup only in the sense
 * of testbed.h: failures are cmocka failures, and each backend's own
 * expectations (hand-off mode, port counters) stay in its test.
 */
#ifndef GK_TEST_WCORPUS_H
#define GK_TEST_WCORPUS_H

#include <stddef.h>
#include <stdint.h>

#include <genkan/bpf_maps.h>
#include "cls_tables.h"
#include "map_table.h"
#include "tables.h"
#include "worker.h"

#define WC_MAXF		64	/* frames per port, in or out */

/* The worker's ports 0 and 1 (the testbed's ifindex 10 and 11). */
extern const uint8_t wc_mac[2][6];

struct wc_frames {
	size_t n;
	uint8_t *f[WC_MAXF];
	uint32_t len[WC_MAXF];
};

void wc_frames_add(struct wc_frames *fs, const uint8_t *b, uint32_t len);
void wc_frames_free(struct wc_frames *fs);

enum wc_kind {
	WC_L3,		/* every frame in on port 0 */
	WC_MAPE_CE,	/* a CE, LAN on port 0, WAN on port 1 */
};

struct wc_corpus {
	enum wc_kind kind;
	const char *tag;
	struct wc_frames in[2];		/* per input port, in order */
	struct gk_tables *tables;
	struct gk_cls_tables *cls;	/* the twin's, and the mem ports' */
	struct gk_map_table *map;	/* NULL: no MAP-E */
	/*
	 * What cls was built from, for a test that fills the XDP
	 * classifier's maps with the same: the MAP-E CE address (nr_mape6
	 * 0 or 1) and the per-port flags (GK_PORT_F_MAPE_CE_V4).
	 */
	struct gk_cls_v6 mape6;
	size_t nr_mape6;
	uint32_t port_flags[GK_MAX_PORTS];
};

struct wc_result {
	struct wc_frames out[2];	/* what left each port, in order */
	struct gk_wk_stats st;
};

/* Build a corpus with its tables; free with wc_corpus_free. */
void wc_corpus_init(struct wc_corpus *c, enum wc_kind kind);
void wc_corpus_free(struct wc_corpus *c);
/* Frames in on both ports. */
size_t wc_corpus_nr_in(const struct wc_corpus *c);

/* The worker configuration both backends use (ports left for the caller). */
void wc_worker_cfg(struct wc_corpus *c, struct gk_worker_cfg *cfg);
/* The corpus through a worker on two memory ports (the reference run). */
void wc_run_mem(struct wc_corpus *c, struct wc_result *r);

/*
 * r's frames against scapy's, and its drop counters against the
 * fixtures' reasons; who names the backend in failures.
 */
void wc_check_scapy(const struct wc_corpus *c, const struct wc_result *r,
		    const char *who);
/*
 * Byte for byte the memory backend's frames, in the same order on the same
 * ports, and the same worker counters (rx, tx, drops by reason, classes,
 * events).
 */
void wc_same_output(const struct wc_result *mem, const struct wc_result *r,
		    const char *who);
void wc_result_free(struct wc_result *r);

#endif
