/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * [wireguard] and [wireguard-peer NAME] config sections (docs/wireguard.md).
 * Key names are WireGuard's own ([Interface]/[Peer] of wg-quick) and are
 * matched case-insensitively, so a wg-quick [Peer] block can be pasted
 * under a [wireguard-peer NAME] header as is. Keys are secrets: messages
 * name the line and the key, never the value; free with
 * gk_config_wg_free(), which wipes them.
 */
#ifndef GK_CTL_CONFIG_WG_H
#define GK_CTL_CONFIG_WG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GK_CONFIG_WG_MAX_PEERS		4096
#define GK_CONFIG_WG_MAX_ALLOWED	256	/* AllowedIPs per peer */
#define GK_CONFIG_WG_DEFAULT_MTU	1420	/* as wg-quick */
#define GK_CONFIG_WG_KEY_LEN		32
#define GK_CONFIG_WG_HOST_MAX		254	/* a DNS name + NUL */
/* Bounds on Endpoint name resolution (ctl/resolve.h), in all. */
#define GK_CONFIG_WG_RESOLVE_MS		15000	/* start and --check */
#define GK_CONFIG_WG_SET_RESOLVE_MS	3000	/* wg set: the ctl loop waits; under genkanctl's 5 s */

/* Same layout as struct gk_wg_allowed / gk_wg_endpoint (wg_peers.h). */
struct gk_config_wg_prefix {
	uint8_t family;		/* AF_INET, AF_INET6 */
	uint8_t plen;
	uint8_t addr[16];	/* network order, masked */
};

struct gk_config_wg_endpoint {
	uint8_t family;		/* 0: none */
	uint8_t pad;
	uint16_t port;		/* host order */
	uint8_t addr[16];
};

/* "ADDR[/LEN]", host bits cleared (as wg(8) stores them). 0 or -EINVAL. */
int gk_config_wg_parse_prefix(const char *s, struct gk_config_wg_prefix *out);
/* "IPV4:PORT" or "[IPV6]:PORT", numeric only. 0 or -EINVAL. */
int gk_config_wg_parse_endpoint(const char *s, struct gk_config_wg_endpoint *ep);
/*
 * wg(8)'s Endpoint syntax: "HOST:PORT" or "[IPV6]:PORT". A literal fills
 * @ep and leaves @host empty; a name (RFC 1123 §2.1) is copied to @host
 * with only ep->port set, for gk_config_wg_resolve*(). 0, or -EINVAL with
 * *why saying what is wrong.
 */
int gk_config_wg_split_endpoint(const char *s, struct gk_config_wg_endpoint *ep,
				char host[GK_CONFIG_WG_HOST_MAX], const char **why);
/*
 * `wg set`: parses @s and resolves a name (at most @timeout_ms; it blocks).
 * 0, or -EINVAL / -EHOSTUNREACH with a message in @err.
 */
int gk_config_wg_resolve_endpoint(const char *s, struct gk_config_wg_endpoint *ep,
				  unsigned timeout_ms, char *err, size_t errlen);
/* "IPV4:PORT" / "[IPV6]:PORT"; "" when ep->family is 0. */
void gk_config_wg_format_endpoint(const struct gk_config_wg_endpoint *ep,
				  char *buf, size_t len);

enum wg_pkey {
	WGP_PUBLIC_KEY, WGP_PSK, WGP_PSK_FILE, WGP_ALLOWED_IPS, WGP_ENDPOINT,
	WGP_KEEPALIVE, WGP_RETURN_PATH, NR_WGP_KEYS
};

struct gk_config_wg_peer {
	char name[32];
	unsigned line;
	unsigned key_line[NR_WGP_KEYS];
	uint8_t pub[GK_CONFIG_WG_KEY_LEN];
	uint8_t psk[GK_CONFIG_WG_KEY_LEN];	/* all zero: none */
	uint16_t psk_file_mode;			/* PresharedKeyFile's st_mode & 07777 */
	struct gk_config_wg_endpoint ep;	/* family 0: none or unresolved */
	char ep_host[GK_CONFIG_WG_HOST_MAX];	/* Endpoint name; "": a literal */
	uint16_t keepalive_s;			/* 0: off */
	/*
	 * return_path = flow (docs/l4.md "The home side"): inner sources
	 * outside every AllowedIPs are accepted from this peer, and the
	 * replies of their flows are sealed back to it. false: allowed-ips.
	 */
	bool return_flow;
	unsigned nr_allowed;
	struct gk_config_wg_prefix allowed[GK_CONFIG_WG_MAX_ALLOWED];
};

enum wg_ikey {
	WGI_PRIVATE_KEY, WGI_PRIVATE_KEY_FILE, WGI_LISTEN_PORT, WGI_PORT,
	WGI_MTU, WGI_ENABLED, WGI_CRYPTO, WGI_ADDRESS, WGI_HOST_INTERFACE,
	NR_WGI_KEYS
};

/*
 * The gateway host's own path into the tunnels ([wireguard] Address,
 * host_interface; docs/architecture.md "Host path"): the TUN device genkand
 * creates and the addresses it puts on it, as wg-quick's Address.
 */
#define GK_CONFIG_WG_MAX_ADDRS		16
#define GK_CONFIG_WG_HOST_IF_DEFAULT	"genkan-wg"

/* An interface address: the host bits kept (unlike an AllowedIPs prefix). */
struct gk_config_wg_addr {
	uint8_t family;		/* AF_INET, AF_INET6 */
	uint8_t plen;
	uint8_t addr[16];	/* network order */
};

/*
 * Data-path AEAD ([wireguard] crypto). Same order as enum gk_aead_impl
 * (dataplane/wg_aead.h); the config parser does not depend on the
 * data plane, genkand maps one onto the other.
 */
enum gk_config_wg_crypto {
	GK_CONFIG_WG_CRYPTO_AUTO,	/* ipsec-mb with AVX2/AVX-512, else OpenSSL */
	GK_CONFIG_WG_CRYPTO_IPSECMB,
	GK_CONFIG_WG_CRYPTO_OPENSSL,
};

struct gk_config_wg {
	unsigned line;				/* of [wireguard]; 0: absent */
	unsigned key_line[NR_WGI_KEYS];
	bool enabled;
	uint8_t priv[GK_CONFIG_WG_KEY_LEN];	/* clamped */
	uint16_t priv_file_mode;		/* PrivateKeyFile's st_mode & 07777 */
	uint16_t listen_port;
	char port[16];				/* genkan [port] of the outer UDP */
	uint32_t mtu;				/* tunnel MTU */
	enum gk_config_wg_crypto crypto;	/* default auto */
	unsigned nr_addrs;			/* Address; 0: no host path */
	struct gk_config_wg_addr addrs[GK_CONFIG_WG_MAX_ADDRS];
	unsigned addr_line[GK_CONFIG_WG_MAX_ADDRS];	/* the Address line of each */
	char host_if[16];			/* host_interface (IFNAMSIZ) */
	unsigned nr_peers, cap;
	struct gk_config_wg_peer *peers;	/* heap */
};

/* How config.c reports an error on a line (a printf-like sink). */
typedef void (*gk_config_wg_err_fn)(void *arg, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Section headers: [wireguard] (arg empty) and [wireguard-peer NAME]. */
int gk_config_wg_open(struct gk_config_wg **wg, bool peer, const char *arg,
		      unsigned line, gk_config_wg_err_fn perr, void *arg_err);
/* key = val inside the last opened section (peer: the last peer). */
void gk_config_wg_key(struct gk_config_wg *wg, bool peer, const char *key,
		      const char *val, unsigned line, gk_config_wg_err_fn perr,
		      void *arg_err);
/* Cross-key checks; port_ok() says whether a [port] of that name exists. */
void gk_config_wg_validate(struct gk_config_wg *wg,
			   bool (*port_ok)(void *arg, const char *name),
			   void *port_arg, gk_config_wg_err_fn perr,
			   void *arg_err);

/*
 * Resolves the Endpoint names of the peers of an enabled @wg (genkand
 * start and --check, not reload), at most @timeout_ms in all; errors name
 * the peer and the Endpoint line. Blocks. 0, -EHOSTUNREACH or -ENOMEM.
 */
int gk_config_wg_resolve(struct gk_config_wg *wg, unsigned timeout_ms,
			 gk_config_wg_err_fn perr, void *arg_err);

/*
 * Key files others on the host may read or write (mode & 077), one warning
 * each through @warn, naming the line, as wg(8) warns of a world-accessible
 * key. Returns how many.
 */
unsigned gk_config_wg_warnings(const struct gk_config_wg *wg,
			       gk_config_wg_err_fn warn, void *arg);

void gk_config_wg_free(struct gk_config_wg *wg);
/* Deep copy; NULL on ENOMEM or when src is NULL. */
struct gk_config_wg *gk_config_wg_dup(const struct gk_config_wg *src);
/*
 * Same settings (lines ignored)? Both may be NULL. A named Endpoint
 * compares by name and port, so an unchanged file is equal whether or
 * not (and to what) it was resolved.
 */
bool gk_config_wg_equal(const struct gk_config_wg *a,
			const struct gk_config_wg *b);

#endif
