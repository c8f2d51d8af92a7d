/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "udpframe.h"

/* RFC 1071 ones' complement sum over the IPv4 header. */
static uint16_t ip_csum(const unsigned char *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 768: UDP checksum over the IPv4 pseudo-header, header and payload. */
static uint16_t udp_csum(const unsigned char *ip, const unsigned char *udp,
			 unsigned int len)
{
	uint32_t sum = IPPROTO_UDP + len;
	unsigned int i;

	for (i = 12; i < 20; i += 2)
		sum += get16(ip + i);
	for (i = 0; i + 1 < len; i += 2)
		sum += get16(udp + i);
	if (len & 1)
		sum += (uint32_t)udp[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = (uint16_t)~sum;
	return sum ? sum : 0xffff;	/* zero would mean "no checksum" */
}

/*
 * Ethernet II / IPv4 (RFC 791: IHL 5, no options, ID 0, no fragment
 * flags, TTL 64) / UDP (RFC 768, checksum 0) / zero payload.
 */
void gk_udpframe_build(const struct gk_udpframe *spec, unsigned char *f)
{
	unsigned char *ip = f + 14, *udp = f + 34;

	memset(f, 0, spec->size);
	memcpy(f, spec->dst_mac, 6);
	memcpy(f + 6, spec->src_mac, 6);
	put16(f + 12, ETH_P_IP);
	ip[0] = 0x45;
	put16(ip + 2, spec->size - 14);
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &spec->src, 4);
	memcpy(ip + 16, &spec->dst, 4);
	put16(ip + 10, ip_csum(ip, 20));
	put16(udp, spec->sport);
	put16(udp + 2, spec->dport);
	put16(udp + 4, spec->size - 34);
	if (spec->udp_csum)
		put16(udp + 6, udp_csum(ip, udp, spec->size - 34));
}

void gk_udpframe_set_sport(unsigned char *f, uint16_t sport)
{
	unsigned char *udp = f + GK_UDPFRAME_SPORT_OFF;
	uint16_t old = get16(udp), hc = get16(udp + 6);
	uint32_t sum;

	put16(udp, sport);
	if (!hc)
		return;
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') */
	sum = (uint16_t)~hc + (uint16_t)~old + sport;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	hc = (uint16_t)~sum;
	put16(udp + 6, hc ? hc : 0xffff);
}

void gk_udpframe_print_hex(FILE *out, const unsigned char *f, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		fprintf(out, "%02x", f[i]);
	fputc('\n', out);
}

int gk_udpframe_parse_mac(const char *s, unsigned char *mac)
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &tail) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = b[i];
	}
	return 0;
}

int gk_udpframe_parse_uint(const char *s, unsigned long long max,
			   unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int gk_udpframe_parse_cpus(const char *s, int *cpus, int max, int *nr)
{
	char buf[256], *tok, *save, *dash;
	unsigned long long a, b, c;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*nr = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		dash = strchr(tok, '-');
		if (dash)
			*dash = '\0';
		if (gk_udpframe_parse_uint(tok, CPU_SETSIZE - 1, &a))
			return -EINVAL;
		b = a;
		if (dash && gk_udpframe_parse_uint(dash + 1, CPU_SETSIZE - 1, &b))
			return -EINVAL;
		if (b < a)
			return -EINVAL;
		for (c = a; c <= b; c++) {
			if (*nr == max)
				return -E2BIG;
			cpus[(*nr)++] = (int)c;
		}
	}
	return *nr ? 0 : -EINVAL;
}

int gk_udpframe_if_mac(const char *ifname, unsigned char *mac)
{
	struct ifreq ifr;
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}
