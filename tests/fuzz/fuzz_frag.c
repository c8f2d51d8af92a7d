// SPDX-License-Identifier: BSD-3-Clause
/*
 * MAP-E fragment state (stage/mape/frag.c) driven directly, small tables
 * (4 ways x 2 sets) so eviction, overlap and timeouts come quickly:
 *  - FZ_REASM6: IPv6 reassembly (RFC 8200 §4.5, RFC 5722). Every IPv6
 *    fragment the classifier hands a worker goes to gk_frag_reasm_input
 *    (tag: ctl bits 0-1); a DONE datagram must fit its buffer and its meta.
 *  - else: IPv4 virtual reassembly. A first fragment records a decision
 *    (its tunnel address from its own bytes) and releases what was held
 *    for it; a later one finds its decision or is held.
 * Either way the frames the tables hold must add up after every call as
 * frag.h promises: + held, - merged, - given up, - expired, - released.
 */
#include <stdlib.h>
#include <string.h>

#include "frag.h"
#include "fuzz_cfg.h"
#include "fuzz_pkt.h"

#define NR_CTX		8
#define MAX_LEN		4096

static struct gk_cls_tables *cls;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cls = fz_cls(FZ_ROLE_ROUTER, 0);
	return 0;
}

static int frag(void *arg, struct gk_pkt *p, uint8_t ctl)
{
	struct gk_classify_cfg cfg;

	(void)arg;
	p->in_port = FZ_PORT_WAN;
	gk_cls_tables_cfg(cls, p->in_port, &cfg);
	return fz_classify(p, &cfg) && (p->meta.flags & GK_META_F_FRAG) &&
#ifdef FZ_REASM6
	       (p->meta.flags & GK_META_F_IPV6);
#else
	       (p->meta.flags & GK_META_F_IPV4);
#endif
}

#ifdef FZ_REASM6
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_frames f;
	struct gk_frag_gone gone, exp, out[NR_CTX];
	struct gk_pkt *b[FZ_MAX];
	struct gk_frag_reasm *r = gk_frag_reasm_new(NR_CTX, MAX_LEN, 1);
	uint64_t now = 1000000000ull;
	long held = 0;
	unsigned pos = 0, n, i, k, e;

	if (!r)
		abort();
	fz_split(&f, data, size);
	while ((n = fz_next_burst(&f, &pos, &now, frag, NULL, b))) {
		e = gk_frag_reasm_expire(r, now, out, NR_CTX);
		for (k = 0; k < e; k++)
			held -= out[k].frames;
		for (i = 0; i < n; i++) {
			struct gk_pkt *p = b[i];
			uint32_t tag = f.ctl[p - f.pkt] & 3;
			enum gk_frag_res res;

			memset(&gone, 0, sizeof(gone));
			memset(&exp, 0, sizeof(exp));
			res = gk_frag_reasm_input(r, p, now, tag, &gone, &exp);
			held += (res == GK_FRAG_HELD) - (long)gone.frames -
				(long)exp.frames;
			if (res == GK_FRAG_DONE &&
			    (p->len > p->buf_len || p->meta.l3_off + 40u > p->len ||
			     !(p->meta.flags & GK_META_F_IPV6)))
				abort();
			if (held != (long)gk_frag_reasm_held(r))
				abort();
		}
	}
	gk_frag_reasm_free(r);
	fz_free(&f);
	return 0;
}
#else
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_frames f;
	struct gk_pkt *b[FZ_MAX];
	struct gk_frag_virt *v = gk_frag_virt_new(NR_CTX, 4, 2048, 2);
	struct gk_frag_held h;
	struct gk_frag_dest d;
	uint32_t tags[8];
	uint64_t now = 1000000000ull;
	long held = 0;
	unsigned pos = 0, n, i;

	if (!v)
		abort();
	fz_split(&f, data, size);
	while ((n = fz_next_burst(&f, &pos, &now, frag, NULL, b))) {
		unsigned e;

		while ((e = gk_frag_virt_expire(v, now, tags, 8)))
			held -= e;
		for (i = 0; i < n; i++) {
			struct gk_pkt *p = b[i];
			const uint8_t *ip = p->data + p->meta.l3_off;
			uint32_t ip_len = p->len - p->meta.l3_off;
			uint16_t tot = (uint16_t)(ip[2] << 8 | ip[3]);

			if (tot >= 20 && tot < ip_len)
				ip_len = tot;	/* Ethernet padding */
			if (!(p->meta.flags & GK_META_F_LATER_FRAG)) {
				memset(&d, 0, sizeof(d));
				memcpy(d.addr6, ip + 4, 16 < ip_len - 4 ? 16 : ip_len - 4);
				d.tag = f.ctl[p - f.pkt] & 3;
				gk_frag_virt_add(v, ip, ip_len, now, &d);
				while (gk_frag_virt_pop(v, ip, &h) == 1) {
					if (h.len > 2048 || h.l3_off >= h.len)
						abort();
					held--;
				}
			} else if (gk_frag_virt_find(v, ip, ip_len, now, &d) &&
				   !gk_frag_virt_hold(v, p, now, f.ctl[p - f.pkt] & 3)) {
				held++;
			}
			if (held != (long)gk_frag_virt_nr_held(v))
				abort();
		}
	}
	gk_frag_virt_free(v);
	fz_free(&f);
	return 0;
}
#endif
