// SPDX-License-Identifier: BSD-3-Clause
#include <endian.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <genkan/flowhash.h>

#include "cls_tables.h"
#include "pkthdr.h"

#define P_IPIP	4
#define P_TCP	6
#define P_UDP	17

/* Bucket of a local address in the prefilters: a multiplicative hash. */
_Static_assert(GK_CLS_BLOOM == 1024, "buckets are the hash's top 10 bits");

static inline uint32_t bloom4_bucket(uint32_t addr_be)
{
	return (addr_be * 0x9e3779b1u) >> 22;
}

static inline uint32_t bloom6_bucket(const uint8_t *a)
{
	uint64_t h, l;

	memcpy(&h, a, 8);
	memcpy(&l, a + 8, 8);
	return (uint32_t)(((h ^ l) * 0x9e3779b97f4a7c15ull) >> 54);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_in6(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

static int cmp_l4(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct gk_l4_key));
}

/* Longest prefix first: the first match is the LPM trie's answer. */
static int cmp_v4(const void *a, const void *b)
{
	const struct gk_cls_v4 *x = a, *y = b;

	return (int)y->plen - (int)x->plen;
}

void gk_cls_tables_free(struct gk_cls_tables *t)
{
	if (!t)
		return;
	free(t->local4);
	free(t->local6);
	free(t->mape6);
	free(t->mape4);
	free(t->l4);
	free(t);
}

static void *dup_arr(const void *src, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p && n)
		memcpy(p, src, n * size);
	return p;
}

struct gk_cls_tables *gk_cls_tables_build(const struct gk_cls_input *in)
{
	struct gk_cls_tables *t = calloc(1, sizeof(*t));
	size_t i;

	if (!t)
		return NULL;
	t->local4 = dup_arr(in->local4, in->nr_local4, sizeof(*t->local4));
	t->local6 = dup_arr(in->local6, in->nr_local6, sizeof(*t->local6));
	t->mape6 = dup_arr(in->mape6, in->nr_mape6, sizeof(*t->mape6));
	t->mape4 = dup_arr(in->mape4, in->nr_mape4, sizeof(*t->mape4));
	t->l4 = dup_arr(in->l4, in->nr_l4, sizeof(*t->l4));
	if (!t->local4 || !t->local6 || !t->mape6 || !t->mape4 || !t->l4)
		goto err;
	t->nr_l4 = in->nr_l4;
	qsort(t->l4, t->nr_l4, sizeof(*t->l4), cmp_l4);
	t->nr_local4 = in->nr_local4;
	t->nr_local6 = in->nr_local6;
	t->nr_mape6 = in->nr_mape6;
	t->nr_mape4 = in->nr_mape4;
	qsort(t->local4, t->nr_local4, sizeof(*t->local4), cmp_u32);
	qsort(t->local6, t->nr_local6, sizeof(*t->local6), cmp_in6);
	for (i = 0; i < t->nr_local4; i++)
		t->bloom4[bloom4_bucket(t->local4[i])] = 1;
	for (i = 0; i < t->nr_local6; i++)
		t->bloom6[bloom6_bucket(t->local6[i])] = 1;
	for (i = 0; (in->cfg_flags & GK_CFG_F_L4) && i < t->nr_l4; i++) {
		const struct gk_l4_key *k = &t->l4[i];
		uint32_t a4;

		if (k->family == 4) {
			memcpy(&a4, k->addr, 4);
			t->l4bloom4[bloom4_bucket(a4)] = 1;
		} else if (k->family == 6) {
			t->l4bloom6[bloom6_bucket((const uint8_t *)k->addr)] = 1;
		}
	}
	for (i = 0; i < t->nr_mape4; i++) {
		struct gk_cls_v4 *r = &t->mape4[i];

		if (r->plen > 32)
			goto err;
		r->mask = r->plen ? htonl(~0u << (32 - r->plen)) : 0;
		r->prefix &= r->mask;
	}
	qsort(t->mape4, t->nr_mape4, sizeof(*t->mape4), cmp_v4);
	t->cfg_flags = in->cfg_flags;
	t->wg_listen_port = in->wg_listen_port;
	t->wg_port_id = in->wg_port_id;
	if (in->port_flags)
		memcpy(t->port_flags, in->port_flags, sizeof(t->port_flags));
	return t;
err:
	gk_cls_tables_free(t);
	return NULL;
}

static void free_rcu(struct rcu_head *head)
{
	gk_cls_tables_free(caa_container_of(head, struct gk_cls_tables, rcu));
}

void gk_cls_tables_publish(struct gk_cls_tables **slot,
			   struct gk_cls_tables *next)
{
	struct gk_cls_tables *old = rcu_xchg_pointer(slot, next);

	if (old)
		call_rcu(&old->rcu, free_rcu);
}

/*
 * Binary searches written out rather than bsearch(3): these run for every
 * frame the twin classifies (a library call plus a comparator called
 * through a pointer per step was most of is_local4's cost).
 */
static bool is_local4(void *arg, uint32_t addr_be)
{
	const struct gk_cls_tables *t = arg;
	size_t lo = 0, hi = t->nr_local4;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t v = t->local4[mid];

		if (v == addr_be)
			return true;
		if (v < addr_be)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* An address as two big-endian halves: their order is memcmp's. */
static inline void in6_halves(const uint8_t *a, uint64_t *hi, uint64_t *lo)
{
	memcpy(hi, a, 8);
	memcpy(lo, a + 8, 8);
	*hi = be64toh(*hi);
	*lo = be64toh(*lo);
}

static bool is_local6(void *arg, const uint8_t addr[16])
{
	const struct gk_cls_tables *t = arg;
	size_t lo = 0, hi = t->nr_local6;
	uint64_t ah, al;

	in6_halves(addr, &ah, &al);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t vh, vl;

		in6_halves(t->local6[mid], &vh, &vl);
		if (vh == ah && vl == al)
			return true;
		if (vh < ah || (vh == ah && vl < al))
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int mape_v6(void *arg, const uint8_t addr[16])
{
	const struct gk_cls_tables *t = arg;
	size_t i;

	for (i = 0; i < t->nr_mape6; i++)
		if (!memcmp(t->mape6[i].addr, addr, 16))
			return t->mape6[i].cls;
	return 0;
}

static int mape_v4(void *arg, uint32_t addr_be)
{
	const struct gk_cls_tables *t = arg;
	size_t i;

	for (i = 0; i < t->nr_mape4; i++)
		if ((addr_be & t->mape4[i].mask) == t->mape4[i].prefix)
			return t->mape4[i].cls;
	return 0;
}

static bool l4svc(void *arg, uint8_t family, uint8_t proto,
		  const uint8_t *addr, uint16_t port)
{
	const struct gk_cls_tables *t = arg;
	struct gk_l4_key k;

	memset(&k, 0, sizeof(k));
	k.family = family;
	k.proto = proto;
	k.port = htons(port);
	memcpy(k.addr, addr, family == 4 ? 4 : 16);
	return bsearch(&k, t->l4, t->nr_l4, sizeof(k), cmp_l4) != NULL;
}

void gk_cls_tables_cfg(const struct gk_cls_tables *t, uint16_t port_id,
		       struct gk_classify_cfg *out)
{
	memset(out, 0, sizeof(*out));
	if (!t)
		return;
	out->arg = (void *)t;
	out->is_local4 = is_local4;
	out->is_local6 = is_local6;
	out->flags = t->cfg_flags;
	if (t->nr_mape6)
		out->mape_v6 = mape_v6;
	if (t->nr_mape4)
		out->mape_v4 = mape_v4;
	out->mape_ce_v4_port = port_id < GK_MAX_PORTS &&
		(t->port_flags[port_id] & GK_PORT_F_MAPE_CE_V4);
	if (t->wg_listen_port && port_id == t->wg_port_id)
		out->wg_listen_port = t->wg_listen_port;
	if ((t->cfg_flags & GK_CFG_F_L4) && t->nr_l4)
		out->l4svc = l4svc;
}

/*
 * The straight-line path. Each test below sends the frame to the
 * reference (returns 0) unless it rules out every classifier rule but the
 * common one, so the two agree by construction; tests/classify and
 * tests/fuzz/fuzz_classify_fast check they do, frame for frame.
 */

/* Bytes in packet order as one load of them reads. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HB2(a, b)	((uint16_t)((a) | (b) << 8))
#define HB4(a, b, c, d)	((uint32_t)(a) | (uint32_t)(b) << 8 | \
			 (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#else
#define HB2(a, b)	((uint16_t)((a) << 8 | (b)))
#define HB4(a, b, c, d)	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | \
			 (uint32_t)(c) << 8 | (uint32_t)(d))
#endif

/*
 * Flow hashes of the fast IPv4 frames that carry one (MAP-E, L4_SERVICE:
 * TRANSIT and MAP-E over IPv6 carry none, bpf/classifier.bpf.c flow_hash;
 * an IPv6 L4_SERVICE frame is hashed in fast6), computed
 * together after the burst is parsed: each frame leaves its IP header in
 * a lane, and the lanes run through gk_flow_hash4's mixer side by side,
 * eight at a time where the CPU has AVX2, else one by one. A fast IPv4
 * frame has IHL 5, so its ports sit right after the addresses.
 */
struct lanes {
	unsigned n4;
	struct gk_pkt *p4[GK_BURST];	/* IP header at data + 14 */
};

_Static_assert(GK_BURST % 8 == 0, "hash lanes go by 8");

static inline void hash4_one(const struct lanes *l, unsigned i)
{
	const uint8_t *ip = l->p4[i]->data + 14;

	l->p4[i]->meta.flow_hash = gk_flow_hash4(gk_ld32(ip + 12), gk_ld32(ip + 16),
				    gk_ld32(ip + 20), ip[9]);
}

/*
 * The eight-lane hash only where the build targets AVX2 (-march=native on
 * such a CPU, meson's default): a portable build (the Debian package,
 * -Dmarch_native=false) must hold no AVX instruction at all, so it hashes
 * one frame at a time. The run-time check stays for tests
 * (gk_cls_tables_simd).
 */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__AVX2__)
#include <immintrin.h>

#define AVX2	__attribute__((target("avx2"), always_inline)) static inline

/* gk_hash_mix and gk_hash_final (flowhash.h), lane by lane. */
AVX2 __m256i vrol(__m256i w, int s)
{
	return _mm256_or_si256(_mm256_slli_epi32(w, s),
			       _mm256_srli_epi32(w, 32 - s));
}

AVX2 __m256i vmix(__m256i h, __m256i k)
{
	k = _mm256_mullo_epi32(k, _mm256_set1_epi32((int)0xcc9e2d51u));
	k = vrol(k, 15);
	k = _mm256_mullo_epi32(k, _mm256_set1_epi32(0x1b873593));
	h = vrol(_mm256_xor_si256(h, k), 13);
	h = _mm256_add_epi32(h, _mm256_slli_epi32(h, 2));
	return _mm256_add_epi32(h, _mm256_set1_epi32((int)0xe6546b64u));
}

AVX2 __m256i vfinal(__m256i h)
{
	h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
	h = _mm256_mullo_epi32(h, _mm256_set1_epi32((int)0x85ebca6bu));
	h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 13));
	h = _mm256_mullo_epi32(h, _mm256_set1_epi32((int)0xc2b2ae35u));
	return _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
}

AVX2 __m256i load2(const uint8_t *a, const uint8_t *b)
{
	return _mm256_inserti128_si256(
		_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)a)),
		_mm_loadu_si128((const __m128i *)b), 1);
}

/*
 * Bytes off..off+15 of eight headers as four words, one vector per word:
 * lane j of w[k] is word k of h[j].
 */
AVX2 void load8x4(const uint8_t *const *h, int off, __m256i w[4])
{
	__m256i r0 = load2(h[0] + off, h[4] + off);
	__m256i r1 = load2(h[1] + off, h[5] + off);
	__m256i r2 = load2(h[2] + off, h[6] + off);
	__m256i r3 = load2(h[3] + off, h[7] + off);
	__m256i t0 = _mm256_unpacklo_epi32(r0, r1);
	__m256i t1 = _mm256_unpacklo_epi32(r2, r3);
	__m256i t2 = _mm256_unpackhi_epi32(r0, r1);
	__m256i t3 = _mm256_unpackhi_epi32(r2, r3);

	w[0] = _mm256_unpacklo_epi64(t0, t1);
	w[1] = _mm256_unpackhi_epi64(t0, t1);
	w[2] = _mm256_unpacklo_epi64(t2, t3);
	w[3] = _mm256_unpackhi_epi64(t2, t3);
}

AVX2 void store8(__m256i h, struct gk_pkt *const *p, unsigned n)
{
	uint32_t r[8];
	unsigned j;

	_mm256_storeu_si256((__m256i *)r, h);
	if (likely(n == 8)) {
#pragma GCC unroll 8
		for (j = 0; j < 8; j++)
			p[j]->meta.flow_hash = r[j];
		return;
	}
	for (j = 0; j < n; j++)
		p[j]->meta.flow_hash = r[j];
}

/* IP headers of eight lanes; past the last frame, nothing of any frame. */
AVX2 void hdrs8(struct gk_pkt *const *p, unsigned n, const uint8_t *h[8])
{
	static const uint8_t none[64];
	unsigned j;

	if (likely(n == 8)) {
#pragma GCC unroll 8
		for (j = 0; j < 8; j++)
			h[j] = p[j]->data + 14;
		return;
	}
	for (j = 0; j < 8; j++)
		h[j] = j < n ? p[j]->data + 14 : none;
}

__attribute__((target("avx2"))) static void hash_avx2(struct lanes *l)
{
	const __m256i seed = _mm256_set1_epi32((int)GK_FLOWHASH_SEED);
	const uint8_t *hdr[8];
	__m256i w[4], h;
	unsigned i, n;

	for (i = 0; i < l->n4; i += 8) {
		n = l->n4 - i < 8 ? l->n4 - i : 8;
		hdrs8(l->p4 + i, n, hdr);
		/* ttl, proto, csum; saddr; daddr; ports */
		load8x4(hdr, 8, w);
		h = vmix(seed, w[1]);
		h = vmix(h, w[2]);
		h = vmix(h, w[3]);
		h = vmix(h, _mm256_and_si256(_mm256_srli_epi32(w[0], 8),
					     _mm256_set1_epi32(0xff)));
		store8(vfinal(h), l->p4 + i, n);
	}
}

static int avx2 = -1;	/* -1: not asked yet */

static bool have_avx2(void)
{
	if (avx2 < 0)
		avx2 = __builtin_cpu_supports("avx2");
	return avx2;
}

void gk_cls_tables_simd(bool on)
{
	avx2 = on ? -1 : 0;
}
#else
static bool have_avx2(void)
{
	return false;
}

void gk_cls_tables_simd(bool on)
{
	(void)on;
}

static void hash_avx2(struct lanes *l)
{
	(void)l;
}
#endif

static void hash_lanes(struct lanes *l)
{
	unsigned i;

	/* a lone frame or two: eight lanes would cost more */
	if (l->n4 > 2 && have_avx2()) {
		hash_avx2(l);
		return;
	}
	for (i = 0; i < l->n4; i++)
		hash4_one(l, i);
}


/*
 * Meta as the reference writes it, flow_hash 0 (hash_lanes fills it in
 * for the frames that carry one); the layout's two halves as two stores
 * where it can.
 */
static inline void put_meta(struct gk_xdp_meta *m, int cls, uint16_t l4_off,
			    uint8_t proto, uint8_t flags)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t lo = GK_META_MAGIC | (uint64_t)GK_META_VERSION << 16 |
		      (uint64_t)(uint8_t)cls << 24 | (uint64_t)14 << 32 |
		      (uint64_t)l4_off << 48;
	/* vlan_tci 0, flow_hash 0 */
	uint64_t hi = proto | (uint64_t)flags << 8;

	_Static_assert(offsetof(struct gk_xdp_meta, l4_off) == 6 &&
		       offsetof(struct gk_xdp_meta, vlan_tci) == 10 &&
		       offsetof(struct gk_xdp_meta, flow_hash) == 12,
		       "put_meta's layout");
	memcpy(m, &lo, 8);
	memcpy((uint8_t *)m + 8, &hi, 8);
#else
	m->magic = GK_META_MAGIC;
	m->version = GK_META_VERSION;
	m->class = (uint8_t)cls;
	m->l3_off = 14;
	m->l4_off = l4_off;
	m->l4_proto = proto;
	m->flags = flags;
	m->vlan_tci = 0;
	m->flow_hash = 0;
#endif
}


/* A MAP-E entry's class; anything but the two MAP-E classes is none. */
static inline int mape6_class(uint8_t cls)
{
	return cls == GK_CLASS_MAPE_CE || cls == GK_CLASS_MAPE_BR ? cls : 0;
}

/* The first entry (a BR's or CE's one address) kept in struct gk_cls_burst. */
static inline int mape6(const struct gk_cls_burst *f, const uint8_t *dst)
{
	const struct gk_cls_tables *t = f->t;
	uint64_t h, l, eh, el;
	size_t i;

	memcpy(&h, dst, 8);
	memcpy(&l, dst + 8, 8);
	if (h == f->m6h && l == f->m6l && t->nr_mape6)
		return f->m6cls;
	for (i = 1; i < t->nr_mape6; i++) {
		memcpy(&eh, t->mape6[i].addr, 8);
		memcpy(&el, t->mape6[i].addr + 8, 8);
		if (h == eh && l == el)
			return mape6_class(t->mape6[i].cls);
	}
	return 0;
}

/* Rule 5, MAP-E: the first rule (longest prefix) kept in struct gk_cls_burst. */
static inline int mape4(const struct gk_cls_burst *f, uint32_t daddr)
{
	const struct gk_cls_tables *t = f->t;
	size_t i;

	if ((daddr & f->m4mask) == f->m4prefix)
		return f->m4cls;
	for (i = 1; i < t->nr_mape4; i++)
		if ((daddr & t->mape4[i].mask) == t->mape4[i].prefix)
			return mape6_class(t->mape4[i].cls) ?
			       t->mape4[i].cls : GK_CLASS_TRANSIT;
	return GK_CLASS_TRANSIT;
}

/*
 * Rule 10 for a TCP/UDP frame: whether its destination address (family 4
 * or 6) and port (the transport header's bytes 2-3) are a listen
 * address's. l4svc's lookup, inline.
 */
static inline bool l4svc_hit(const struct gk_cls_tables *t, uint8_t family,
			     uint8_t proto, const uint8_t *port,
			     const uint8_t *addr)
{
	size_t lo = 0, hi = t->nr_l4;
	struct gk_l4_key k;

	memset(&k, 0, sizeof(k));
	k.family = family;
	k.proto = proto;
	memcpy(&k.port, port, 2);
	memcpy(k.addr, addr, family == 4 ? 4 : 16);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(&t->l4[mid], &k, sizeof(k));

		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/*
 * Rule 8 on a UDP header (uh) to WireGuard's port, room bytes from it to
 * the end of the IP packet: a data message (parse.c wg_class), le32 type
 * 4 in a UDP length of at least 8 + 32 that fits the room. The length is
 * checked before the type is read: room covers the bytes read.
 */
static inline bool wg_data(const uint8_t *uh, uint32_t room)
{
	uint32_t ulen = gk_rd16(uh + 4);

	return ulen >= 8 + 32 && ulen <= room &&
	       gk_ld32(uh + 8) == HB4(4, 0, 0, 0);
}

/*
 * Rules 1, 5, 7 for the common IPv4 frame: unicast Ethernet without tags,
 * IHL 5, not a fragment, TTL > 1, TCP or UDP with a whole header, to an
 * address neither multicast, broadcast (nor 240/4) nor local. Also a
 * WireGuard data message to a local address on WireGuard's port
 * (WG_DATA), and with L4 services (rule 10) a frame to a listen address
 * and port, local or not (L4_SERVICE), but not one to WireGuard's port on
 * its port.
 */
static inline int fast4(const struct gk_cls_burst *f, const uint8_t *p, uint32_t len,
			struct gk_xdp_meta *m)
{
	const uint8_t *ip = p + 14, *l4 = ip + 20;
	uint32_t tot, daddr, doff;
	uint8_t proto;
	int cls;

	/* the caller checked the Ethernet header, type and len >= 54 */
	if (ip[0] != 0x45)
		return 0;
	tot = gk_rd16(ip + 2);
	if (tot > len - 14 || (gk_ld16(ip + 6) & HB2(0x3f, 0xff)) ||
	    ip[8] <= 1 || ip[16] >= 0xe0)
		return 0;
	proto = ip[9];
	if (proto == P_TCP) {
		if (tot < 20 + 20)
			return 0;
		doff = (uint32_t)(l4[12] >> 4) * 4;
		if (doff < 20 || doff > tot - 20)
			return 0;
	} else if (proto != P_UDP || tot < 20 + 8) {
		return 0;
	}
	daddr = gk_ld32(ip + 16);
	if (f->t->bloom4[bloom4_bucket(daddr)]) {
		/*
		 * Perhaps local (rule 5): only WireGuard's data and a
		 * service's frame go on.
		 */
		if (proto == P_UDP && f->wg4 && gk_rd16(l4 + 2) == f->wg4) {
			if (!wg_data(l4, tot - 20) ||
			    !is_local4((void *)f->t, daddr))
				return 0;
			cls = GK_CLASS_WG_DATA;
		} else if (!f->l4 || !f->t->l4bloom4[bloom4_bucket(daddr)] ||
			   !is_local4((void *)f->t, daddr) ||
			   !l4svc_hit(f->t, 4, proto, l4 + 2, ip + 16)) {
			return 0;
		} else {
			cls = GK_CLASS_L4_SERVICE;
		}
	} else {
		cls = f->cls4;
		/* rule 10 for what would be TRANSIT */
		if (!cls && (cls = mape4(f, daddr)) == GK_CLASS_TRANSIT &&
		    f->l4 && f->t->l4bloom4[bloom4_bucket(daddr)] &&
		    l4svc_hit(f->t, 4, proto, l4 + 2, ip + 16))
			cls = GK_CLASS_L4_SERVICE;
	}
	put_meta(m, cls, 14 + 20, proto, GK_META_F_IPV4 | GK_META_F_L4);
	return cls;
}

/*
 * Rules 1, 6, 7 for the common IPv6 frame: unicast Ethernet without tags,
 * no extension header, TCP or UDP with a whole header or IPIP; MAP-E
 * (IPIP to a gk_mape_v6 address) whatever the hop limit, else hop limit
 * > 1 and a destination neither ff00::/8, fe00::/8 nor local. Also a
 * WireGuard data message to a local address on WireGuard's port
 * (WG_DATA), and with L4 services (rule 10) a TCP/UDP frame to a listen
 * address and port, local or not (L4_SERVICE), but not one to WireGuard's
 * port on its port. Both hashed here: the lanes are IPv4's.
 */
static inline int fast6(const struct gk_cls_burst *f, const uint8_t *p, uint32_t len,
			struct gk_xdp_meta *m)
{
	const uint8_t *ip = p + 14, *l4 = ip + 40, *dst = ip + 24;
	uint32_t plen, doff;
	uint8_t nh;
	int cls = 0;

	/* the caller checked the Ethernet header, type and len >= 54 */
	if (ip[0] >> 4 != 6)
		return 0;
	plen = gk_rd16(ip + 4);
	if (plen > len - 14 - 40)
		return 0;
	nh = ip[6];
	if (nh == P_IPIP) {
		cls = mape6(f, dst);
	} else if (nh == P_TCP) {
		if (plen < 20)
			return 0;
		doff = (uint32_t)(l4[12] >> 4) * 4;
		if (doff < 20 || doff > plen)
			return 0;
	} else if (nh != P_UDP || plen < 8) {
		return 0;
	}
	if (!cls) {
		uint32_t b = bloom6_bucket(dst), sw[4], dw[4], i;
		bool svc;

		if (dst[0] >= 0xfe || ip[7] <= 1)
			return 0;
		if (f->t->bloom6[b] && nh == P_UDP && f->wg4 &&
		    gk_rd16(l4 + 2) == f->wg4) {
			/* perhaps local (rule 6) on WireGuard's port */
			if (!wg_data(l4, plen) ||
			    !is_local6((void *)f->t, dst))
				return 0;
			cls = GK_CLASS_WG_DATA;
		} else {
			/* rule 10: to a listen address and port */
			svc = f->l4 && f->t->l4bloom6[b] && nh != P_IPIP &&
			      l4svc_hit(f->t, 6, nh, l4 + 2, dst);
			/* perhaps local: only a service's frame goes on */
			if (f->t->bloom6[b] &&
			    (!svc || !is_local6((void *)f->t, dst)))
				return 0;
			if (svc)
				cls = GK_CLASS_L4_SERVICE;
		}
		if (cls) {
			put_meta(m, cls, 14 + 40, nh,
				 GK_META_F_IPV6 | GK_META_F_L4);
			for (i = 0; i < 4; i++) {
				sw[i] = gk_ld32(ip + 8 + 4 * i);
				dw[i] = gk_ld32(dst + 4 * i);
			}
			m->flow_hash = gk_flow_hash6(sw, dw, gk_ld32(l4), nh);
			return cls;
		}
		cls = GK_CLASS_TRANSIT;
	}
	put_meta(m, cls, 14 + 40, nh, GK_META_F_IPV6 | GK_META_F_L4);
	return cls;
}

void gk_cls_burst_init(struct gk_cls_burst *b, const struct gk_cls_tables *t,
		       uint16_t port_id)
{
	static const struct gk_cls_tables none;

	memset(b, 0, sizeof(*b));
	b->ref = t;
	b->port_id = port_id;
	b->t = t = t ? t : &none;
	b->l4 = (t->cfg_flags & GK_CFG_F_L4) && t->nr_l4;
	if (t->nr_mape6) {
		memcpy(&b->m6h, t->mape6[0].addr, 8);
		memcpy(&b->m6l, t->mape6[0].addr + 8, 8);
		b->m6cls = (uint8_t)mape6_class(t->mape6[0].cls);
	}
	/* no rule: matches only 255.255.255.255 (never fast), as TRANSIT */
	b->m4mask = ~0u;
	b->m4prefix = ~0u;
	b->m4cls = GK_CLASS_TRANSIT;
	if (t->nr_mape4) {
		b->m4mask = t->mape4[0].mask;
		b->m4prefix = t->mape4[0].prefix;
		b->m4cls = mape6_class(t->mape4[0].cls) ?
			   t->mape4[0].cls : GK_CLASS_TRANSIT;
	}
	if (t->wg_listen_port && port_id == t->wg_port_id)
		b->wg4 = t->wg_listen_port;
	if (port_id < GK_MAX_PORTS &&
	    (t->port_flags[port_id] & GK_PORT_F_MAPE_CE_V4))
		b->cls4 = GK_CLASS_MAPE_CE;
	else if (!t->nr_mape4 && !b->l4)
		b->cls4 = GK_CLASS_TRANSIT;
}

uint16_t gk_cls_burst_classify(struct gk_cls_burst *b,
			       struct gk_pkt *const *pkts, uint16_t n,
			       uint8_t *act, uint8_t *why)
{
	const struct gk_cls_burst *f = b;
	unsigned i, base, end, nfast = 0;
	struct lanes l;

	/* by GK_BURST: what the lanes hold */
	for (base = 0; base < n; base = end) {
		unsigned n4 = 0, nref = 0;

		end = n - base > GK_BURST ? base + GK_BURST : n;
		/*
		 * Rules 1-2 first: unicast (IEEE 802.3 3.2.3), untagged;
		 * under 54 bytes (no Ethernet frame is) the reference.
		 */
		for (i = base; i < end; i++) {
			struct gk_pkt *p = pkts[i];
			enum gk_xdp_drop w;
			int cls;

			const uint8_t *d = p->data;
			uint16_t type;

			act[i] = GK_CLS_WORKER;
			if (likely(p->len >= 14 + 40 && !((d[0] | d[6]) & 1))) {
				type = gk_ld16(d + 12);
				/* TRANSIT has no hash */
				if (likely(type == HB2(0x08, 0x00)) &&
				    (cls = fast4(f, d, p->len, &p->meta))) {
					if (cls != GK_CLASS_TRANSIT)
						l.p4[n4++] = p;
					continue;
				}
				/* IPv6's hashed classes here hash in fast6 */
				if (type == HB2(0x86, 0xdd) &&
				    fast6(f, d, p->len, &p->meta))
					continue;
			}
			nref++;
			if (!b->have_cfg) {
				gk_cls_tables_cfg(b->ref, b->port_id, &b->cfg);
				b->have_cfg = true;
			}
			act[i] = (uint8_t)gk_classify(p->data, p->len, &b->cfg,
						      &p->meta, &w);
			if (act[i] == GK_CLS_DROP)
				why[i] = (uint8_t)w;
		}
		l.n4 = n4;
		nfast += end - base - nref;
		hash_lanes(&l);
	}
	return (uint16_t)nfast;
}

uint16_t gk_cls_tables_classify(const struct gk_cls_tables *t,
				uint16_t port_id, struct gk_pkt *const *pkts,
				uint16_t n, uint8_t *act, uint8_t *why)
{
	struct gk_cls_burst b;

	gk_cls_burst_init(&b, t, port_id);
	return gk_cls_burst_classify(&b, pkts, n, act, why);
}
