// SPDX-License-Identifier: BSD-3-Clause
/*
 * Base64 for keys without table lookups indexed by secret bytes, so private
 * keys leave no cache trace while being encoded or parsed (as wg(8) does).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"

/* 6-bit value -> base64 character, branch-free. */
static char enc6(unsigned int v)
{
	int x = (int)v;

	return (char)(x + 'A' +
		      (((25 - x) >> 8) & 6) -
		      (((51 - x) >> 8) & 75) -
		      (((61 - x) >> 8) & 15) +
		      (((62 - x) >> 8) & 3));
}

/* Base64 character -> 6-bit value, or a negative number when invalid. */
static int dec6(char ch)
{
	int c = (unsigned char)ch, r = -1;

	r += (((('A' - 1) - c) & (c - ('Z' + 1))) >> 8) & (c - 64);
	r += (((('a' - 1) - c) & (c - ('z' + 1))) >> 8) & (c - 70);
	r += (((('0' - 1) - c) & (c - ('9' + 1))) >> 8) & (c + 5);
	r += (((('+' - 1) - c) & (c - ('+' + 1))) >> 8) & 63;
	r += (((('/' - 1) - c) & (c - ('/' + 1))) >> 8) & 64;
	return r;
}

void gk_wg_key_to_base64(char out[GK_WG_KEY_B64_LEN + 1],
			 const uint8_t key[GK_WG_KEY_LEN])
{
	int i;

	for (i = 0; i < GK_WG_KEY_LEN / 3; i++) {
		const uint8_t *k = key + 3 * i;

		out[4 * i] = enc6(k[0] >> 2);
		out[4 * i + 1] = enc6(((k[0] << 4) | (k[1] >> 4)) & 63);
		out[4 * i + 2] = enc6(((k[1] << 2) | (k[2] >> 6)) & 63);
		out[4 * i + 3] = enc6(k[2] & 63);
	}
	/* 32 = 3 * 10 + 2: the last group holds two bytes. */
	out[40] = enc6(key[30] >> 2);
	out[41] = enc6(((key[30] << 4) | (key[31] >> 4)) & 63);
	out[42] = enc6((key[31] << 2) & 63);
	out[43] = '=';
	out[44] = '\0';
}

int gk_wg_key_from_base64(uint8_t key[GK_WG_KEY_LEN], const char *in)
{
	int i, v[44], bad = 0;

	if (strlen(in) != GK_WG_KEY_B64_LEN || in[43] != '=')
		return -EINVAL;
	for (i = 0; i < 43; i++) {
		v[i] = dec6(in[i]);
		bad |= v[i] >> 8;	/* negative -> all ones */
	}
	/* The two low bits of the last character carry no data: must be 0. */
	bad |= v[42] & 3;
	if (bad) {
		explicit_bzero(v, sizeof(v));
		return -EINVAL;
	}
	for (i = 0; i < 10; i++) {
		const int *q = v + 4 * i;

		key[3 * i] = (uint8_t)((q[0] << 2) | (q[1] >> 4));
		key[3 * i + 1] = (uint8_t)((q[1] << 4) | (q[2] >> 2));
		key[3 * i + 2] = (uint8_t)((q[2] << 6) | q[3]);
	}
	key[30] = (uint8_t)((v[40] << 2) | (v[41] >> 4));
	key[31] = (uint8_t)((v[41] << 4) | (v[42] >> 2));
	explicit_bzero(v, sizeof(v));
	return 0;
}

int gk_wg_key_read_file(uint8_t key[GK_WG_KEY_LEN], const char *path)
{
	char buf[128];
	size_t len = 0, start = 0;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto err_fd;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
		       buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	while (buf[start] == ' ' || buf[start] == '\t')
		start++;
	ret = gk_wg_key_from_base64(key, buf + start);
	if (!ret)
		gk_wg_clamp(key);
err_fd:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return ret;
}
