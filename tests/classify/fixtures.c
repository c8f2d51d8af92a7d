// SPDX-License-Identifier: BSD-3-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

static const char *class_names[] = {
#define GK_X(n, s) [GK_CLASS_##n] = s,
	GK_CLASS_LIST(GK_X)
#undef GK_X
};

static const char *drop_names[] = {
#define GK_X(n, s) [GK_XDP_DROP_##n] = s,
	GK_XDP_DROP_LIST(GK_X)
#undef GK_X
};

const char *fx_class_name(int cls)
{
	if (cls < 0 || cls >= GK_CLASS_MAX)
		return "?";
	return class_names[cls];
}

const char *fx_drop_name(int drop)
{
	if (drop < 0 || drop >= GK_XDP_DROP_MAX)
		return "-";
	return drop_names[drop];
}

const char *fx_action_name(enum fx_action a)
{
	static const char *n[] = { "redirect", "pass", "drop" };

	return a <= FX_DROP ? n[a] : "?";
}

static int lookup(const char **names, int max, const char *s)
{
	int i;

	for (i = 0; i < max; i++)
		if (names[i] && !strcmp(names[i], s))
			return i;
	return -1;
}

static int unhex(const char *s, uint8_t **out, uint32_t *len)
{
	size_t n = strlen(s), i;
	uint8_t *b;

	*out = NULL;
	*len = 0;
	if (!strcmp(s, "-"))
		return 0;
	if (n % 2)
		return -EINVAL;
	b = malloc(n / 2 ? n / 2 : 1);
	if (!b)
		return -ENOMEM;
	for (i = 0; i < n / 2; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			free(b);
			return -EINVAL;
		}
		b[i] = (uint8_t)v;
	}
	*out = b;
	*len = (uint32_t)(n / 2);
	return 0;
}

static int parse_line(char *line, struct fixture *f)
{
	char *tok[11], *save = NULL, *t;
	unsigned long v[6];
	int i, n = 0;

	for (t = strtok_r(line, " \n", &save); t && n < 11;
	     t = strtok_r(NULL, " \n", &save))
		tok[n++] = t;
	if (n < 10 || strtok_r(NULL, " \n", &save))
		return -EINVAL;

	memset(f, 0, sizeof(*f));
	if (n == 11) {
		char *save2 = NULL;

		for (t = strtok_r(tok[10], ",", &save2); t;
		     t = strtok_r(NULL, ",", &save2)) {
			if (!strcmp(t, "port=mape_ce_v4"))
				f->mape_ce_port = true;
			else if (!strcmp(t, "wg=off"))
				f->wg_off = true;
			else
				return -EINVAL;
		}
	}
	snprintf(f->name, sizeof(f->name), "%s", tok[0]);
	f->drop = -1;
	if (!strcmp(tok[1], "redirect"))
		f->action = FX_REDIRECT;
	else if (!strcmp(tok[1], "pass"))
		f->action = FX_PASS;
	else if (!strcmp(tok[1], "drop"))
		f->action = FX_DROP;
	else
		return -EINVAL;

	if (f->action == FX_DROP) {
		f->cls = GK_CLASS_DROPPED;
		f->drop = lookup(drop_names, GK_XDP_DROP_MAX, tok[2]);
		if (f->drop < 0)
			return -EINVAL;
	} else {
		f->cls = lookup(class_names, GK_CLASS_MAX, tok[2]);
		if (f->cls < 0)
			return -EINVAL;
	}

	if (f->action == FX_REDIRECT) {
		for (i = 0; i < 6; i++) {
			char *end;

			v[i] = strtoul(tok[3 + i], &end, 0);
			if (*end)
				return -EINVAL;
		}
		f->meta.magic = GK_META_MAGIC;
		f->meta.version = GK_META_VERSION;
		f->meta.class = (uint8_t)f->cls;
		f->meta.l3_off = (uint16_t)v[0];
		f->meta.l4_off = (uint16_t)v[1];
		f->meta.l4_proto = (uint8_t)v[2];
		f->meta.flags = (uint8_t)v[3];
		f->meta.vlan_tci = (uint16_t)v[4];
		f->meta.flow_hash = (uint32_t)v[5];
	}
	return unhex(tok[9], &f->data, &f->len);
}

int fx_load(const char *path, struct fixture **out, size_t *n)
{
	struct fixture *fx = NULL, *tmp;
	size_t cnt = 0, cap = 0, lineno = 0;
	char *line = NULL;
	size_t lcap = 0;
	FILE *fp;
	int err = 0;

	fp = fopen(path, "r");
	if (!fp) {
		err = -errno;
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return err;
	}
	while (getline(&line, &lcap, fp) > 0) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(fx, cap * sizeof(*fx));
			if (!tmp) {
				err = -ENOMEM;
				goto err_parse;
			}
			fx = tmp;
		}
		err = parse_line(line, &fx[cnt]);
		if (err) {
			fprintf(stderr, "%s:%zu: bad fixture line\n", path, lineno);
			goto err_parse;
		}
		cnt++;
	}
	free(line);
	fclose(fp);
	if (!cnt) {
		fprintf(stderr, "%s: no fixtures\n", path);
		free(fx);
		return -ENOENT;
	}
	*out = fx;
	*n = cnt;
	return 0;

err_parse:
	free(line);
	fclose(fp);
	fx_free(fx, cnt);
	return err;
}

void fx_free(struct fixture *fx, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(fx[i].data);
	free(fx);
}

/*
 * Longest match over fx_mape4 by plain masks, and exact match over
 * fx_mape6: the test's own model of the maps, not genkan's LPM.
 */
int fx_mape_v4(void *arg, uint32_t addr_be)
{
	uint32_t a = ntohl(addr_be), p, mask;
	int best = -1, cls = 0;
	size_t i;

	(void)arg;
	for (i = 0; i < FX_NR_MAPE4; i++) {
		if (inet_pton(AF_INET, fx_mape4[i].prefix, &p) != 1)
			continue;
		mask = fx_mape4[i].plen ? ~0u << (32 - fx_mape4[i].plen) : 0;
		if ((a & mask) == (ntohl(p) & mask) && fx_mape4[i].plen > best) {
			best = fx_mape4[i].plen;
			cls = fx_mape4[i].cls;
		}
	}
	return cls;
}

int fx_mape_v6(void *arg, const uint8_t addr[16])
{
	uint8_t a[16];
	size_t i;

	(void)arg;
	for (i = 0; i < FX_NR_MAPE6; i++)
		if (inet_pton(AF_INET6, fx_mape6[i].addr, a) == 1 &&
		    !memcmp(a, addr, 16))
			return fx_mape6[i].cls;
	return 0;
}

bool fx_is_local4(void *arg, uint32_t addr_be)
{
	uint32_t a;

	(void)arg;
	return inet_pton(AF_INET, FX_LOCAL4, &a) == 1 && a == addr_be;
}

bool fx_is_local6(void *arg, const uint8_t addr[16])
{
	static const char *const local[] = { FX_LOCAL6, FX_LOCAL6_BR };
	uint8_t a[16];
	size_t i;

	(void)arg;
	for (i = 0; i < 2; i++)
		if (inet_pton(AF_INET6, local[i], a) == 1 && !memcmp(a, addr, 16))
			return true;
	return false;
}

bool fx_l4svc(void *arg, uint8_t family, uint8_t proto, const uint8_t *addr,
	      uint16_t port)
{
	uint8_t a[16];
	size_t i;

	(void)arg;
	for (i = 0; i < FX_NR_L4; i++) {
		const struct fx_l4 *l = &fx_l4[i];

		/* proto 0, port 0: the address key of every service */
		if (l->family != family || (proto && (l->proto != proto ||
						      l->port != port)))
			continue;
		if (inet_pton(family == 4 ? AF_INET : AF_INET6, l->addr, a) != 1)
			continue;
		if (!memcmp(a, addr, family == 4 ? 4 : 16))
			return true;
	}
	return false;
}
