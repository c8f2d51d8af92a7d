// SPDX-License-Identifier: BSD-3-Clause
/*
 * xdpgen: the per-frame half of the veth bench traffic generator. It is
 * never attached to a device; bench/xdpgen.c runs it through
 * BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES, where XDP_TX is turned
 * into a redirect to ctx->ingress_ifindex (net/bpf/test_run.c,
 * xdp_test_run_batch) and so leaves through that device's ndo_xdp_xmit.
 *
 * Every run rewrites the whole Ethernet/IPv4/UDP header from a template
 * in rodata. Live-frame pages are recycled through a page_pool without
 * their data being copied again, and a frame that became an skb on the far
 * side of a veth may have been forwarded by the kernel in place (TTL - 1, new
 * MACs) before its page came back.
 *
 * The UDP source port cycles through nr_flows values from a per-CPU
 * counter so a receiver that hashes flows sees many of them. The UDP
 * checksum is 0 (RFC 768: no checksum, legal for IPv4), so the port can
 * change without touching it; the IPv4 checksum does not cover the port.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define HDR_WORDS	6	/* 48 bytes >= Ethernet 14 + IPv4 20 + UDP 8 */
#define SPORT_OFF	34	/* UDP source port: 14 + 20 */

/* Set by the loader before load; frozen afterwards. */
const volatile __u64 tmpl[HDR_WORDS];
const volatile __u32 tmpl_len;		/* bytes of tmpl to write, <= 48 */
const volatile __u16 sport_base;
const volatile __u16 flow_mask;		/* nr_flows - 1, nr_flows a power of 2 */
const volatile __u32 use_devmap;	/* 1: bpf_redirect_map(tx_port, 0) */

struct gen_cpu {
	__u64 frames;	/* frames sent on from this CPU; drives the source port */
};

/* Per-CPU counters, one slot: written only by the CPU that runs the frame. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gen_cpu);
} gen_stats SEC(".maps");

/* Optional explicit egress device (slot 0) instead of XDP_TX. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tx_port SEC(".maps");

SEC("xdp")
int xdpgen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct gen_cpu *st;
	__u16 *sport;
	__u32 key = 0;
	const volatile __u8 *src;
	__u8 *dst;
	int i;

	if (data + HDR_WORDS * 8 > end)
		return XDP_ABORTED;
	st = bpf_map_lookup_elem(&gen_stats, &key);
	if (!st)
		return XDP_ABORTED;

	/* Byte copy keeps the verifier and unaligned packets out of the way;
	 * 42 stores per frame cost little next to the redirect. */
	dst = data;
	src = (const volatile __u8 *)tmpl;
	for (i = 0; i < HDR_WORDS * 8; i++) {
		if (i >= tmpl_len)
			break;
		dst[i] = src[i];
	}
	sport = data + SPORT_OFF;
	*sport = bpf_htons(sport_base + (__u16)(st->frames & flow_mask));
	st->frames++;

	if (use_devmap)
		return bpf_redirect_map(&tx_port, 0, 0);
	return XDP_TX;
}

/*
 * The bench's sink (xdpgen --sink IF on the server's veth end): drop the
 * flood (IPv4/UDP to sink_port) at the earliest point, so the server's stack
 * (route lookup, ICMP port unreachable) stops charging whichever CPU
 * delivers the frame; everything else (ARP, ping) passes. veth still counts
 * every frame its XDP program sees in rx_packets.
 */
const volatile __u16 sink_port = 9;

SEC("xdp")
int xdpsink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct udphdr *udp;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP ||
	    ip->ihl != 5)
		return XDP_PASS;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end || udp->dest != bpf_htons(sink_port))
		return XDP_PASS;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
