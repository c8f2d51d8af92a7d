/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fragment state a worker keeps for tunnels: IPv6 reassembly (RFC 8200
 * §4.5 with RFC 5722's overlap rule) and IPv4 "virtual reassembly" (later
 * fragments follow the decision taken on their first fragment, RFC 7597
 * §8.3, as NAT64 does in RFC 6146 §3.5).
 *
 * Both tables are allocated once (gk_frag_*_new, init time) and are then
 * fixed in size: set-associative, 4 ways, hashed with a per-table random
 * seed so a sender cannot aim at one set. Fragment data is copied into
 * the table, so a fragment's own buffer is free again as soon as the call
 * returns: no packet changes owner. One table per worker, no locks.
 *
 * Timeout: GK_FRAG_TIMEOUT_NS (2 s). RFC 8200 §4.5 and RFC 791 give 60 s
 * and 15 s as the longest a host may wait; the fragments of one tunnel
 * packet leave their source back to back, so 2 s is many RTTs, and a
 * short lifetime is what keeps a small fixed table useful under load or
 * under a flood of first fragments that never complete.
 */
#ifndef GK_FRAG_H
#define GK_FRAG_H

#include <stdint.h>

#include "pkt.h"

#define GK_FRAG_TIMEOUT_NS	2000000000ull
#define GK_FRAG_WAYS		4
#define GK_FRAG_MAX_PIECES	64	/* fragments per datagram */

/* ---- IPv6 reassembly --------------------------------------------------- */

struct gk_frag_reasm;

enum gk_frag_res {
	GK_FRAG_DONE,		/* p now holds the whole datagram */
	GK_FRAG_HELD,		/* copied into a context; p's buffer is free */
	GK_FRAG_E_BAD,		/* malformed, or too many pieces */
	GK_FRAG_E_OVERLAP,	/* RFC 5722: whole datagram discarded */
	GK_FRAG_E_FULL,		/* no free context in its set */
	GK_FRAG_E_TOO_BIG,	/* over max_len or p's buffer */
	GK_FRAG_E_DEAD,		/* datagram already discarded */
};

/*
 * nr_ctx contexts (rounded up to a power of two, at least GK_FRAG_WAYS),
 * each able to hold a datagram of max_len bytes after the fragment
 * header. NULL on ENOMEM.
 */
struct gk_frag_reasm *gk_frag_reasm_new(unsigned nr_ctx, uint32_t max_len,
					uint64_t seed);
void gk_frag_reasm_free(struct gk_frag_reasm *r);

/*
 * Frames a call let go of without passing them on, per datagram. Every
 * fragment accepted into a context is a held frame (gk_frag_reasm_held)
 * until its datagram completes (the frames are merged into the last one:
 * frames = the pieces before it) or is discarded (overlap, too big, bad,
 * timed out, evicted: frames = the pieces it held, each a drop).
 */
struct gk_frag_gone {
	uint32_t tag;
	uint32_t frames;
};

/*
 * Feed one IPv6 packet whose meta has GK_META_F_FRAG (a Fragment header
 * after the base header and optional Hop-by-Hop/Routing/Destination
 * headers). tag is the caller's label for the datagram (a domain index),
 * kept from its first-arriving fragment and given back in gone/expired.
 * On DONE the packet keeps its L2 header and holds
 * the base header of the offset-0 fragment (extension headers before the
 * Fragment header are not kept) with the reassembled payload; meta then
 * describes it (GK_META_F_IPV6 | GK_META_F_L4, l4_off = l3_off + 40).
 * Atomic fragments (RFC 6946) come back DONE at once. Zero *gone and
 * *expired first: gone->frames is what p's datagram let go of (merged on
 * DONE, dropped on an error that discarded it: E_OVERLAP, E_TOO_BIG,
 * E_BAD); expired->frames what a timed-out datagram whose context this
 * call reclaimed still held (its tag in expired->tag). p itself is not in
 * either count.
 */
enum gk_frag_res gk_frag_reasm_input(struct gk_frag_reasm *r, struct gk_pkt *p,
				     uint64_t now_ns, uint32_t tag,
				     struct gk_frag_gone *gone,
				     struct gk_frag_gone *expired);

/*
 * Abandon incomplete datagrams older than the timeout. Cheap when nothing
 * is due (one compare); a full pass over the table only when the oldest
 * deadline passed. Abandoned datagrams that still held frames (not
 * already discarded) go to out[] (up to max; the rest wait for the next
 * call, which then makes another pass). Returns how many.
 */
unsigned gk_frag_reasm_expire(struct gk_frag_reasm *r, uint64_t now_ns,
			      struct gk_frag_gone *out, unsigned max);
/* Frames held in contexts of datagrams still alive. */
unsigned gk_frag_reasm_held(const struct gk_frag_reasm *r);
/* Contexts in use (for tests and stats). */
unsigned gk_frag_reasm_live(const struct gk_frag_reasm *r);

/* ---- IPv4 virtual reassembly ------------------------------------------- */

struct gk_frag_virt;

/* What a datagram's first fragment decided: the tunnel destination. */
struct gk_frag_dest {
	uint8_t addr6[16];
	uint32_t tag;
};

/* A later fragment that waited for its first fragment. */
struct gk_frag_held {
	const uint8_t *frame;	/* valid until the next gk_frag_virt_hold() */
	uint32_t len;
	uint16_t l3_off, in_port;
	struct gk_xdp_meta meta;
	uint32_t tag;
};

/*
 * nr_ent decisions (power of two, >= GK_FRAG_WAYS), nr_hold held
 * fragments of at most hold_len frame bytes each. NULL on ENOMEM.
 */
struct gk_frag_virt *gk_frag_virt_new(unsigned nr_ent, unsigned nr_hold,
				      uint32_t hold_len, uint64_t seed);
void gk_frag_virt_free(struct gk_frag_virt *v);

/*
 * ip is an IPv4 fragment (bounds-checked, ip_len bytes). _add records the
 * decision of a first fragment (evicting the oldest decision of its set
 * when full: returns 1 then, else 0). _find fills *d for any fragment of a
 * known datagram and returns 0, -ENOENT if unknown; a decision is dropped
 * once all bytes of its datagram went through.
 */
int gk_frag_virt_add(struct gk_frag_virt *v, const uint8_t *ip,
		     uint32_t ip_len, uint64_t now_ns,
		     const struct gk_frag_dest *d);
int gk_frag_virt_find(struct gk_frag_virt *v, const uint8_t *ip,
		      uint32_t ip_len, uint64_t now_ns, struct gk_frag_dest *d);

/*
 * Copy a later fragment that came before its first fragment. 0 held,
 * -ENOSPC (every slot busy), -E2BIG (frame over hold_len).
 */
int gk_frag_virt_hold(struct gk_frag_virt *v, const struct gk_pkt *p,
		      uint64_t now_ns, uint32_t tag);
/*
 * Take one held fragment of the datagram ip (a first fragment) out of the
 * queue: 1 and *h filled, 0 when none is left.
 */
int gk_frag_virt_pop(struct gk_frag_virt *v, const uint8_t *ip,
		     struct gk_frag_held *h);
/*
 * Free held fragments older than the timeout; their tags go to tags[]
 * (up to max). Returns how many were freed.
 */
unsigned gk_frag_virt_expire(struct gk_frag_virt *v, uint64_t now_ns,
			     uint32_t *tags, unsigned max);
unsigned gk_frag_virt_nr_held(const struct gk_frag_virt *v);

#endif
