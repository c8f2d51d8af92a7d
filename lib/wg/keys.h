/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard key text form: 32 bytes as 44 base64 characters (one '=' pad),
 * the format of wg(8) genkey/pubkey and of wg-quick files.
 */
#ifndef GK_WG_KEYS_H
#define GK_WG_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

#define GK_WG_KEY_B64_LEN 44	/* without the terminating NUL */

/* out gets 44 characters and a NUL. */
void gk_wg_key_to_base64(char out[GK_WG_KEY_B64_LEN + 1],
			 const uint8_t key[GK_WG_KEY_LEN]);

/* Strict: exactly 44 characters, canonical padding; -EINVAL otherwise. */
int gk_wg_key_from_base64(uint8_t key[GK_WG_KEY_LEN], const char *in) GK_WG_MUST_CHECK;

/*
 * Reads a private key from a file holding its base64 form (surrounding
 * whitespace allowed, like `wg set ... private-key FILE`); the key is
 * clamped. Buffers are wiped.
 */
int gk_wg_key_read_file(uint8_t key[GK_WG_KEY_LEN], const char *path) GK_WG_MUST_CHECK;

#endif /* GK_WG_KEYS_H */
