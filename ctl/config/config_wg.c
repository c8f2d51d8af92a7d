// SPDX-License-Identifier: BSD-3-Clause
/*
 * [wireguard] / [wireguard-peer NAME] parsing, see config_wg.h. Values of
 * key fields never reach a message: wg-quick files are pasted here, and a
 * typo in a key must not put the key into a log.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "config_wg.h"
#include "resolve.h"
#include "keys.h"

struct wkey {
	const char *name;
	int id;
};

static const struct wkey iface_keys[] = {
	{ "PrivateKey", WGI_PRIVATE_KEY },
	{ "PrivateKeyFile", WGI_PRIVATE_KEY_FILE },
	{ "ListenPort", WGI_LISTEN_PORT },
	{ "port", WGI_PORT },
	{ "mtu", WGI_MTU },
	{ "enabled", WGI_ENABLED },
	{ "crypto", WGI_CRYPTO },
	{ "Address", WGI_ADDRESS },
	{ "host_interface", WGI_HOST_INTERFACE },
};

static const struct wkey peer_keys[] = {
	{ "PublicKey", WGP_PUBLIC_KEY },
	{ "PresharedKey", WGP_PSK },
	{ "PresharedKeyFile", WGP_PSK_FILE },
	{ "AllowedIPs", WGP_ALLOWED_IPS },
	{ "Endpoint", WGP_ENDPOINT },
	{ "PersistentKeepalive", WGP_KEEPALIVE },
	{ "return_path", WGP_RETURN_PATH },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int find_key(const struct wkey *k, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(k[i].name, name))
			return k[i].id;
	return -1;
}

static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int gk_config_wg_open(struct gk_config_wg **wgp, bool peer, const char *arg,
		      unsigned line, gk_config_wg_err_fn perr, void *ea)
{
	struct gk_config_wg *wg = *wgp;
	struct gk_config_wg_peer *p;
	unsigned i;

	if (!wg) {
		wg = calloc(1, sizeof(*wg));
		if (!wg) {
			perr(ea, line, "out of memory");
			return -ENOMEM;
		}
		wg->enabled = true;
		wg->mtu = GK_CONFIG_WG_DEFAULT_MTU;
		strcpy(wg->host_if, GK_CONFIG_WG_HOST_IF_DEFAULT);
		*wgp = wg;
	}
	if (!peer) {
		if (*arg) {
			perr(ea, line, "section [wireguard] takes no name");
			return -EINVAL;
		}
		if (wg->line) {
			perr(ea, line, "duplicate section [wireguard] (first at line %u)",
			     wg->line);
			return -EINVAL;
		}
		wg->line = line;
		return 0;
	}
	if (!*arg) {
		perr(ea, line, "wireguard-peer section needs a name: [wireguard-peer NAME]");
		return -EINVAL;
	}
	if (strlen(arg) >= sizeof(p->name) ||
	    strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789_-") != strlen(arg)) {
		perr(ea, line, "invalid wireguard-peer name '%s' (expected [A-Za-z0-9_-]{1,31})",
		     arg);
		return -EINVAL;
	}
	for (i = 0; i < wg->nr_peers; i++) {
		if (!strcmp(wg->peers[i].name, arg)) {
			perr(ea, line, "duplicate wireguard-peer '%s' (first at line %u)",
			     arg, wg->peers[i].line);
			return -EINVAL;
		}
	}
	if (wg->nr_peers >= GK_CONFIG_WG_MAX_PEERS) {
		perr(ea, line, "too many wireguard peers (max %d)",
		     GK_CONFIG_WG_MAX_PEERS);
		return -EINVAL;
	}
	if (wg->nr_peers == wg->cap) {
		unsigned cap = wg->cap ? wg->cap * 2 : 4;

		p = calloc(cap, sizeof(*p));
		if (!p) {
			perr(ea, line, "out of memory");
			return -ENOMEM;
		}
		if (wg->nr_peers)
			memcpy(p, wg->peers, wg->nr_peers * sizeof(*p));
		/* The old array held preshared keys. */
		if (wg->peers)
			explicit_bzero(wg->peers, wg->cap * sizeof(*p));
		free(wg->peers);
		wg->peers = p;
		wg->cap = cap;
	}
	p = &wg->peers[wg->nr_peers++];
	memset(p, 0, sizeof(*p));
	strcpy(p->name, arg);
	p->line = line;
	return 0;
}

int gk_config_wg_parse_prefix(const char *s, struct gk_config_wg_prefix *out)
{
	char buf[64], *slash;
	unsigned long plen;
	unsigned i, max;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	plen = max;
	if (slash && parse_num(slash, max, &plen))
		return -EINVAL;
	out->plen = (uint8_t)plen;
	/* Host bits off, as wg(8) stores them. */
	for (i = 0; i < 16; i++) {
		unsigned bit = i * 8;

		if (bit >= plen)
			out->addr[i] = 0;
		else if (plen - bit < 8)
			out->addr[i] &= (uint8_t)(0xff00 >> (plen - bit));
	}
	return 0;
}

static int parse_allowed(struct gk_config_wg_peer *p, const char *val,
			 unsigned line, gk_config_wg_err_fn perr, void *ea)
{
	char buf[1024], *tok, *save = NULL;
	int bad = 0;

	if (strlen(val) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, val);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct gk_config_wg_prefix px;
		char *t = tok;
		size_t l;

		while (*t == ' ' || *t == '\t')
			t++;
		l = strlen(t);
		while (l && (t[l - 1] == ' ' || t[l - 1] == '\t'))
			t[--l] = '\0';
		if (!*t)
			continue;
		if (gk_config_wg_parse_prefix(t, &px)) {
			perr(ea, line, "invalid AllowedIPs entry '%s' (expected ADDR[/LEN])",
			     t);
			bad = 1;
			continue;
		}
		if (p->nr_allowed >= GK_CONFIG_WG_MAX_ALLOWED) {
			perr(ea, line, "too many AllowedIPs (max %d per peer)",
			     GK_CONFIG_WG_MAX_ALLOWED);
			return -EINVAL;
		}
		p->allowed[p->nr_allowed++] = px;
	}
	return bad ? -EINVAL : 0;
}

/*
 * A host name as RFC 1123 §2.1 has it (labels of letters, digits and '-',
 * '_' tolerated as resolvers do), optionally ending in '.'. All-numeric
 * names are refused: "192.0.2.300" is a typo, not a name.
 */
static const char *check_host(const char *h)
{
	size_t len = strlen(h), lab = 0, i;
	bool alpha = false;

	if (!len)
		return "missing host";
	if (len >= GK_CONFIG_WG_HOST_MAX)
		return "host name longer than 253 characters";
	if (strchr(h, ':'))
		return "an IPv6 address needs brackets: [IPV6]:PORT";
	for (i = 0; i < len; i++) {
		char c = h[i];

		if (c == '.') {
			if (!lab || h[i - 1] == '-')
				return "invalid host name";
			lab = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return "invalid host name";
		if ((c == '-' && !lab) || ++lab > 63)
			return "invalid host name";
		if (!(c >= '0' && c <= '9'))
			alpha = true;
	}
	if (h[len - 1] == '-')
		return "invalid host name";
	if (!alpha)
		return "invalid IPv4 address";
	return NULL;
}

/* Same split as wg(8) config.c parse_endpoint(), stricter on the parts. */
int gk_config_wg_split_endpoint(const char *s, struct gk_config_wg_endpoint *ep,
				char host[GK_CONFIG_WG_HOST_MAX], const char **why)
{
	char buf[GK_CONFIG_WG_HOST_MAX + 8], *h, *colon;
	unsigned long port;

	memset(ep, 0, sizeof(*ep));
	host[0] = '\0';
	*why = "value too long";
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	if (buf[0] == '[') {
		h = buf + 1;
		colon = strchr(h, ']');
		*why = "missing ']'";
		if (!colon)
			return -EINVAL;
		*colon++ = '\0';
		*why = "missing :PORT";
		if (*colon++ != ':')
			return -EINVAL;
		*why = "invalid IPv6 address in brackets";
		if (inet_pton(AF_INET6, h, ep->addr) != 1)
			return -EINVAL;
		ep->family = AF_INET6;
	} else {
		colon = strrchr(buf, ':');
		*why = "missing :PORT";
		if (!colon)
			return -EINVAL;
		*colon++ = '\0';
		h = buf;
		if (inet_pton(AF_INET, h, ep->addr) == 1) {
			ep->family = AF_INET;
		} else {
			*why = check_host(h);
			if (*why)
				return -EINVAL;
		}
	}
	*why = "port must be 1..65535";
	if (parse_num(colon, 65535, &port) || !port) {
		memset(ep, 0, sizeof(*ep));
		return -EINVAL;
	}
	ep->port = (uint16_t)port;
	if (!ep->family)
		strcpy(host, h);
	*why = NULL;
	return 0;
}

int gk_config_wg_parse_endpoint(const char *s, struct gk_config_wg_endpoint *ep)
{
	char host[GK_CONFIG_WG_HOST_MAX];
	const char *why;

	if (gk_config_wg_split_endpoint(s, ep, host, &why))
		return -EINVAL;
	return host[0] ? -EINVAL : 0;
}

void gk_config_wg_format_endpoint(const struct gk_config_wg_endpoint *ep,
				  char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!ep->family || !inet_ntop(ep->family, ep->addr, a, sizeof(a))) {
		snprintf(buf, len, "%s", "");
		return;
	}
	if (ep->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, ep->port);
	else
		snprintf(buf, len, "%s:%u", a, ep->port);
}

static void take(struct gk_config_wg_endpoint *ep, const struct gk_resolve *r)
{
	ep->family = r->family;
	memset(ep->addr, 0, sizeof(ep->addr));
	memcpy(ep->addr, r->addr, r->family == AF_INET ? 4 : 16);
}

int gk_config_wg_resolve_endpoint(const char *s, struct gk_config_wg_endpoint *ep,
				  unsigned timeout_ms, char *err, size_t errlen)
{
	char host[GK_CONFIG_WG_HOST_MAX];
	struct gk_resolve r = { 0 };
	const char *why;
	int ret;

	if (gk_config_wg_split_endpoint(s, ep, host, &why)) {
		snprintf(err, errlen, "bad endpoint '%s': %s (expected HOST:PORT or [IPV6]:PORT)",
			 s, why);
		return -EINVAL;
	}
	if (!host[0])
		return 0;
	r.host = host;
	r.port = ep->port;
	ret = gk_resolve_run(&r, 1, timeout_ms);
	if (ret) {
		snprintf(err, errlen, "endpoint '%s' does not resolve: %s", s,
			 ret == -EHOSTUNREACH ? gk_resolve_strerror(&r) :
						strerror(-ret));
		return ret;
	}
	take(ep, &r);
	return 0;
}

int gk_config_wg_resolve(struct gk_config_wg *wg, unsigned timeout_ms,
			 gk_config_wg_err_fn perr, void *ea)
{
	struct gk_resolve *r;
	unsigned *idx, n = 0, i;
	int ret;

	if (!wg || !wg->enabled)
		return 0;
	for (i = 0; i < wg->nr_peers; i++)
		n += wg->peers[i].ep_host[0] != '\0';
	if (!n)
		return 0;
	r = calloc(n, sizeof(*r));
	idx = calloc(n, sizeof(*idx));
	if (!r || !idx) {
		perr(ea, wg->line, "out of memory resolving Endpoint names");
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0, n = 0; i < wg->nr_peers; i++) {
		if (!wg->peers[i].ep_host[0])
			continue;
		r[n].host = wg->peers[i].ep_host;
		r[n].port = wg->peers[i].ep.port;
		idx[n++] = i;
	}
	ret = gk_resolve_run(r, n, timeout_ms);
	if (ret && ret != -EHOSTUNREACH) {
		perr(ea, wg->line, "cannot resolve Endpoint names: %s",
		     strerror(-ret));
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct gk_config_wg_peer *p = &wg->peers[idx[i]];

		if (!r[i].err) {
			take(&p->ep, &r[i]);
			continue;
		}
		if (r[i].err == GK_RESOLVE_TIMEDOUT)
			perr(ea, p->key_line[WGP_ENDPOINT],
			     "wireguard-peer '%s': Endpoint '%s' does not resolve: "
			     "no answer within %u s", p->name, p->ep_host,
			     (timeout_ms + 999) / 1000);
		else
			perr(ea, p->key_line[WGP_ENDPOINT],
			     "wireguard-peer '%s': Endpoint '%s' does not resolve: %s",
			     p->name, p->ep_host, gk_resolve_strerror(&r[i]));
	}
out:
	free(idx);
	free(r);
	return ret;
}

/* wg-quick's Address: "ADDR[/LEN]" entries, comma separated. */
static void parse_addrs(struct gk_config_wg *wg, const char *key,
			const char *val, unsigned line,
			gk_config_wg_err_fn perr, void *ea)
{
	char buf[1024], *tok, *save = NULL, *slash;
	struct gk_config_wg_addr a;
	unsigned long plen;

	if (strlen(val) >= sizeof(buf)) {
		perr(ea, line, "%s value too long", key);
		return;
	}
	strcpy(buf, val);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t l;

		while (*tok == ' ' || *tok == '\t')
			tok++;
		l = strlen(tok);
		while (l && (tok[l - 1] == ' ' || tok[l - 1] == '\t'))
			tok[--l] = '\0';
		if (!*tok)
			continue;
		memset(&a, 0, sizeof(a));
		slash = strchr(tok, '/');
		if (slash)
			*slash++ = '\0';
		if (inet_pton(AF_INET, tok, a.addr) == 1)
			a.family = AF_INET;
		else if (inet_pton(AF_INET6, tok, a.addr) == 1)
			a.family = AF_INET6;
		plen = a.family == AF_INET ? 32 : 128;
		if (!a.family || (slash && parse_num(slash, plen, &plen))) {
			perr(ea, line, "invalid %s entry '%s%s%s' (expected ADDR[/LEN])",
			     key, tok, slash ? "/" : "", slash ? slash : "");
			continue;
		}
		a.plen = (uint8_t)plen;
		if (wg->nr_addrs >= GK_CONFIG_WG_MAX_ADDRS) {
			perr(ea, line, "too many %s entries (max %d)", key,
			     GK_CONFIG_WG_MAX_ADDRS);
			return;
		}
		wg->addr_line[wg->nr_addrs] = line;
		wg->addrs[wg->nr_addrs++] = a;
	}
}

/* A Linux interface name: 1..15 bytes, none of '/', ':' or blanks. */
static bool ifname_ok(const char *s)
{
	size_t l = strlen(s), i;

	if (!l || l >= sizeof(((struct gk_config_wg *)0)->host_if) ||
	    !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; i < l; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

/* A key file's permission bits, for gk_config_wg_warnings(); 0 if gone. */
static uint16_t file_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint16_t)(st.st_mode & 07777);
}

static void set_iface(struct gk_config_wg *wg, int id, const char *key,
		      const char *val, unsigned line, gk_config_wg_err_fn perr,
		      void *ea)
{
	unsigned long v;
	int ret;

	switch (id) {
	case WGI_PRIVATE_KEY:
		if (gk_wg_key_from_base64(wg->priv, val)) {
			perr(ea, line, "invalid %s (expected a 44-character base64 key)",
			     key);
			return;
		}
		gk_wg_clamp(wg->priv);
		return;
	case WGI_PRIVATE_KEY_FILE:
		ret = gk_wg_key_read_file(wg->priv, val);
		if (ret)
			perr(ea, line, "%s '%s': %s", key, val,
			     ret == -EINVAL ? "not a base64 key" : strerror(-ret));
		else
			wg->priv_file_mode = file_mode(val);
		return;
	case WGI_LISTEN_PORT:
		if (parse_num(val, 65535, &v) || !v)
			perr(ea, line, "invalid %s '%s' (expected 1..65535)", key, val);
		else
			wg->listen_port = (uint16_t)v;
		return;
	case WGI_PORT:
		if (strlen(val) >= sizeof(wg->port))
			perr(ea, line, "port name '%s' too long", val);
		else
			strcpy(wg->port, val);
		return;
	case WGI_MTU:
		/* IPv6 minimum MTU; at most what a 9000 byte jumbo carries. */
		if (parse_num(val, 8920, &v) || v < 1280)
			perr(ea, line, "invalid %s '%s' (expected 1280..8920)", key, val);
		else
			wg->mtu = (uint32_t)v;
		return;
	case WGI_ENABLED:
		if (!strcmp(val, "yes"))
			wg->enabled = true;
		else if (!strcmp(val, "no"))
			wg->enabled = false;
		else
			perr(ea, line, "invalid %s '%s' (expected yes | no)", key, val);
		return;
	case WGI_CRYPTO:
		if (!strcmp(val, "auto"))
			wg->crypto = GK_CONFIG_WG_CRYPTO_AUTO;
		else if (!strcmp(val, "ipsec-mb"))
			wg->crypto = GK_CONFIG_WG_CRYPTO_IPSECMB;
		else if (!strcmp(val, "openssl"))
			wg->crypto = GK_CONFIG_WG_CRYPTO_OPENSSL;
		else
			perr(ea, line, "invalid %s '%s' (expected auto | ipsec-mb | openssl)",
			     key, val);
		return;
	case WGI_ADDRESS:
		parse_addrs(wg, key, val, line, perr, ea);
		return;
	case WGI_HOST_INTERFACE:
		if (!ifname_ok(val))
			perr(ea, line, "invalid %s '%s' (expected an interface name "
			     "of 1..15 characters, no '/', ':' or blanks)", key, val);
		else
			strcpy(wg->host_if, val);
		return;
	}
}

static void set_peer(struct gk_config_wg_peer *p, int id, const char *key,
		     const char *val, unsigned line, gk_config_wg_err_fn perr,
		     void *ea)
{
	const char *why;
	unsigned long v;
	int ret;

	switch (id) {
	case WGP_PUBLIC_KEY:
		if (gk_wg_key_from_base64(p->pub, val))
			perr(ea, line, "invalid %s (expected a 44-character base64 key)",
			     key);
		return;
	case WGP_PSK:
		if (gk_wg_key_from_base64(p->psk, val))
			perr(ea, line, "invalid %s (expected a 44-character base64 key)",
			     key);
		return;
	case WGP_PSK_FILE:
		ret = gk_wg_key_read_file(p->psk, val);
		if (ret)
			perr(ea, line, "%s '%s': %s", key, val,
			     ret == -EINVAL ? "not a base64 key" : strerror(-ret));
		else
			p->psk_file_mode = file_mode(val);
		return;
	case WGP_ALLOWED_IPS:
		if (parse_allowed(p, val, line, perr, ea) == -EINVAL &&
		    strlen(val) >= 1024)
			perr(ea, line, "%s value too long", key);
		return;
	case WGP_ENDPOINT:
		if (gk_config_wg_split_endpoint(val, &p->ep, p->ep_host, &why))
			perr(ea, line, "invalid %s '%s': %s (expected HOST:PORT or [IPV6]:PORT)",
			     key, val, why);
		return;
	case WGP_KEEPALIVE:
		if (!strcasecmp(val, "off"))
			p->keepalive_s = 0;
		else if (parse_num(val, 65535, &v))
			perr(ea, line, "invalid %s '%s' (expected off | 0..65535)", key, val);
		else
			p->keepalive_s = (uint16_t)v;
		return;
	case WGP_RETURN_PATH:
		if (!strcasecmp(val, "flow"))
			p->return_flow = true;
		else if (!strcasecmp(val, "allowed-ips"))
			p->return_flow = false;
		else
			perr(ea, line, "invalid %s '%s' (expected flow | allowed-ips)",
			     key, val);
		return;
	}
}

static void set_key(struct gk_config_wg *wg, bool peer, const char *key,
		    const char *val, unsigned line, gk_config_wg_err_fn perr,
		    void *ea)
{
	unsigned *lines;
	int id;

	if (!peer) {
		id = find_key(iface_keys, ARRAY_SIZE(iface_keys), key);
		lines = wg->key_line;
	} else {
		id = find_key(peer_keys, ARRAY_SIZE(peer_keys), key);
		lines = wg->peers[wg->nr_peers - 1].key_line;
	}
	if (id < 0) {
		perr(ea, line, "unknown key '%s' in [%s]", key,
		     peer ? "wireguard-peer" : "wireguard");
		return;
	}
	/* wg-quick takes AllowedIPs and Address on several lines; they add up. */
	if (lines[id] && !(peer && id == WGP_ALLOWED_IPS) &&
	    !(!peer && id == WGI_ADDRESS)) {
		perr(ea, line, "duplicate key '%s' (first at line %u)", key,
		     lines[id]);
		return;
	}
	lines[id] = line;
	if (!*val) {
		if (peer && id == WGP_ALLOWED_IPS)
			return;		/* "AllowedIPs =": none */
		perr(ea, line, "missing value for '%s'", key);
		return;
	}
	if (!peer)
		set_iface(wg, id, key, val, line, perr, ea);
	else
		set_peer(&wg->peers[wg->nr_peers - 1], id, key, val, line, perr,
			 ea);
}

void gk_config_wg_key(struct gk_config_wg *wg, bool peer, const char *key,
		      const char *val, unsigned line, gk_config_wg_err_fn perr,
		      void *ea)
{
	char buf[1024];
	size_t l;

	/*
	 * wg(8) ends a line at '#' wherever it is ("...:51820#home"),
	 * config.c only at " #": pasted lines mean what they meant to wg.
	 */
	l = strcspn(val, "#");
	if (val[l]) {
		if (l >= sizeof(buf))
			l = sizeof(buf) - 1;
		memcpy(buf, val, l);
		while (l && (buf[l - 1] == ' ' || buf[l - 1] == '\t'))
			l--;
		buf[l] = '\0';
		val = buf;
	}
	set_key(wg, peer, key, val, line, perr, ea);
	explicit_bzero(buf, sizeof(buf));	/* may hold a key */
}

static bool key_zero(const uint8_t *k)
{
	uint8_t acc = 0;
	unsigned i;

	for (i = 0; i < GK_CONFIG_WG_KEY_LEN; i++)
		acc |= k[i];
	return !acc;
}

static bool prefix_covers(const struct gk_config_wg_prefix *p,
			  const struct gk_config_wg_addr *a)
{
	unsigned full = p->plen / 8, rest = p->plen % 8;

	if (p->family != a->family || memcmp(p->addr, a->addr, full))
		return false;
	return !rest || !((p->addr[full] ^ a->addr[full]) &
			  (uint8_t)(0xff00 >> rest));
}

/*
 * Address (the host path): an address a peer's AllowedIPs cover would be
 * sealed back to that peer by the workers (AllowedIPs route before the
 * FIB), never reach the host: refused, naming the Address line.
 */
static void check_host_path(const struct gk_config_wg *wg,
			    gk_config_wg_err_fn perr, void *ea)
{
	char s[INET6_ADDRSTRLEN];
	unsigned i, j, k;

	if (wg->key_line[WGI_HOST_INTERFACE] && !wg->nr_addrs)
		perr(ea, wg->key_line[WGI_HOST_INTERFACE],
		     "host_interface needs Address (the host's tunnel address)");
	for (i = 0; i < wg->nr_addrs; i++) {
		const struct gk_config_wg_addr *a = &wg->addrs[i];

		for (k = 0; k < i; k++)
			if (wg->addrs[k].family == a->family &&
			    !memcmp(wg->addrs[k].addr, a->addr, 16))
				break;
		if (k < i) {
			inet_ntop(a->family, a->addr, s, sizeof(s));
			perr(ea, wg->addr_line[i],
			     "Address %s given twice (first at line %u)", s,
			     wg->addr_line[k]);
			continue;
		}
		for (j = 0; j < wg->nr_peers; j++) {
			const struct gk_config_wg_peer *p = &wg->peers[j];

			for (k = 0; k < p->nr_allowed; k++)
				if (prefix_covers(&p->allowed[k], a))
					break;
			if (k == p->nr_allowed)
				continue;
			inet_ntop(a->family, a->addr, s, sizeof(s));
			perr(ea, wg->addr_line[i],
			     "Address %s is inside AllowedIPs of wireguard-peer '%s' "
			     "(line %u): the workers would seal the host's own "
			     "packets back to that peer; narrow its AllowedIPs",
			     s, p->name, p->key_line[WGP_ALLOWED_IPS]);
			break;
		}
	}
}

void gk_config_wg_validate(struct gk_config_wg *wg,
			   bool (*port_ok)(void *arg, const char *name),
			   void *port_arg, gk_config_wg_err_fn perr, void *ea)
{
	uint8_t pub[GK_CONFIG_WG_KEY_LEN];
	unsigned i, j;

	if (!wg)
		return;
	if (!wg->line) {
		perr(ea, wg->nr_peers ? wg->peers[0].line : 0,
		     "wireguard-peer sections need a [wireguard] section");
		return;
	}
	if (wg->key_line[WGI_PRIVATE_KEY] && wg->key_line[WGI_PRIVATE_KEY_FILE])
		perr(ea, wg->key_line[WGI_PRIVATE_KEY_FILE],
		     "PrivateKey and PrivateKeyFile are exclusive");
	else if (!wg->key_line[WGI_PRIVATE_KEY] &&
		 !wg->key_line[WGI_PRIVATE_KEY_FILE])
		perr(ea, wg->line, "[wireguard] needs PrivateKey or PrivateKeyFile");
	if (!wg->key_line[WGI_LISTEN_PORT])
		perr(ea, wg->line, "[wireguard] needs ListenPort");
	if (!wg->key_line[WGI_PORT])
		perr(ea, wg->line, "[wireguard] needs port (the genkan [port] of the outer UDP)");
	else if (wg->port[0] && !port_ok(port_arg, wg->port))
		perr(ea, wg->key_line[WGI_PORT], "port '%s' is not a [port] section",
		     wg->port);

	/* X25519 of the clamped private key: a peer must not be ourselves. */
	memset(pub, 0, sizeof(pub));
	if (!key_zero(wg->priv) && gk_wg_pubkey(pub, wg->priv))
		memset(pub, 0, sizeof(pub));
	for (i = 0; i < wg->nr_peers; i++) {
		struct gk_config_wg_peer *p = &wg->peers[i];

		if (p->key_line[WGP_PSK] && p->key_line[WGP_PSK_FILE])
			perr(ea, p->key_line[WGP_PSK_FILE],
			     "PresharedKey and PresharedKeyFile are exclusive");
		if (!p->key_line[WGP_PUBLIC_KEY]) {
			perr(ea, p->line, "wireguard-peer '%s' needs PublicKey", p->name);
			continue;
		}
		if (!key_zero(pub) && !memcmp(pub, p->pub, sizeof(pub)))
			perr(ea, p->key_line[WGP_PUBLIC_KEY],
			     "wireguard-peer '%s' has our own public key", p->name);
		for (j = 0; j < i; j++)
			if (wg->peers[j].key_line[WGP_PUBLIC_KEY] &&
			    !memcmp(wg->peers[j].pub, p->pub, sizeof(p->pub)))
				perr(ea, p->key_line[WGP_PUBLIC_KEY],
				     "wireguard-peer '%s' has the public key of '%s' (line %u)",
				     p->name, wg->peers[j].name, wg->peers[j].line);
	}
	explicit_bzero(pub, sizeof(pub));
	check_host_path(wg, perr, ea);
}

unsigned gk_config_wg_warnings(const struct gk_config_wg *wg,
			       gk_config_wg_err_fn warn, void *arg)
{
	static const char fix[] =
		"others on this host can read the key (wg(8) warns too): chmod 600 it";
	unsigned n = 0;

	if (!wg)
		return 0;
	if (wg->key_line[WGI_PRIVATE_KEY_FILE] && (wg->priv_file_mode & 077)) {
		warn(arg, wg->key_line[WGI_PRIVATE_KEY_FILE],
		     "PrivateKeyFile is accessible to group or others (mode %04o): %s",
		     wg->priv_file_mode, fix);
		n++;
	}
	for (unsigned i = 0; i < wg->nr_peers; i++) {
		const struct gk_config_wg_peer *p = &wg->peers[i];

		if (!p->key_line[WGP_PSK_FILE] || !(p->psk_file_mode & 077))
			continue;
		warn(arg, p->key_line[WGP_PSK_FILE],
		     "PresharedKeyFile of peer %s is accessible to group or others (mode %04o): %s",
		     p->name, p->psk_file_mode, fix);
		n++;
	}
	return n;
}

void gk_config_wg_free(struct gk_config_wg *wg)
{
	if (!wg)
		return;
	if (wg->peers) {
		explicit_bzero(wg->peers, wg->cap * sizeof(*wg->peers));
		free(wg->peers);
	}
	explicit_bzero(wg, sizeof(*wg));
	free(wg);
}

struct gk_config_wg *gk_config_wg_dup(const struct gk_config_wg *src)
{
	struct gk_config_wg *d;

	if (!src)
		return NULL;
	d = malloc(sizeof(*d));
	if (!d)
		return NULL;
	*d = *src;
	d->peers = NULL;
	d->cap = src->nr_peers;
	if (src->nr_peers) {
		d->peers = malloc(src->nr_peers * sizeof(*d->peers));
		if (!d->peers) {
			explicit_bzero(d, sizeof(*d));
			free(d);
			return NULL;
		}
		memcpy(d->peers, src->peers, src->nr_peers * sizeof(*d->peers));
	}
	return d;
}

static bool peer_equal(const struct gk_config_wg_peer *a,
		       const struct gk_config_wg_peer *b)
{
	return !strcmp(a->name, b->name) && !memcmp(a->pub, b->pub, sizeof(a->pub)) &&
	       !memcmp(a->psk, b->psk, sizeof(a->psk)) &&
	       !strcmp(a->ep_host, b->ep_host) &&
	       (a->ep_host[0] ? a->ep.port == b->ep.port :
				!memcmp(&a->ep, &b->ep, sizeof(a->ep))) &&
	       a->keepalive_s == b->keepalive_s &&
	       a->return_flow == b->return_flow && a->nr_allowed == b->nr_allowed &&
	       !memcmp(a->allowed, b->allowed, a->nr_allowed * sizeof(a->allowed[0]));
}

bool gk_config_wg_equal(const struct gk_config_wg *a,
			const struct gk_config_wg *b)
{
	unsigned i;

	if (!a || !b)
		return a == b;
	if (a->enabled != b->enabled || memcmp(a->priv, b->priv, sizeof(a->priv)) ||
	    a->listen_port != b->listen_port || strcmp(a->port, b->port) ||
	    a->mtu != b->mtu || a->crypto != b->crypto ||
	    a->nr_peers != b->nr_peers || a->nr_addrs != b->nr_addrs ||
	    memcmp(a->addrs, b->addrs, a->nr_addrs * sizeof(a->addrs[0])) ||
	    strcmp(a->host_if, b->host_if))
		return false;
	for (i = 0; i < a->nr_peers; i++)
		if (!peer_equal(&a->peers[i], &b->peers[i]))
			return false;
	return true;
}
