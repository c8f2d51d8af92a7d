// SPDX-License-Identifier: BSD-3-Clause
/*
 * Key compatibility with wg(8) from Debian's wireguard-tools, the oracle:
 * our public key of wg's private key equals `wg pubkey`, and `wg pubkey`
 * accepts our genkey output and agrees with us. Skipped without wg.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "keys.h"

static bool have_wg(void)
{
	return system("command -v wg >/dev/null 2>&1") == 0;
}

/* Runs a shell command with optional stdin text; returns its first line. */
static int run(const char *cmd, const char *input, char *out, size_t outlen)
{
	char path[] = "/tmp/w2-keys-XXXXXX", full[512];
	FILE *p;
	int fd;

	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	if (input && write(fd, input, strlen(input)) != (ssize_t)strlen(input)) {
		close(fd);
		unlink(path);
		return -EIO;
	}
	close(fd);
	snprintf(full, sizeof(full), "%s < %s", cmd, path);
	p = popen(full, "r");
	if (!p) {
		unlink(path);
		return -errno;
	}
	if (!fgets(out, (int)outlen, p))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	unlink(path);
	return pclose(p) == 0 ? 0 : -EIO;
}

static void pubkey_of_wg_genkey(void **state)
{
	char priv_b64[128], wg_pub[128], ours[GK_WG_KEY_B64_LEN + 1], line[160];
	uint8_t priv[32], pub[32], back[32];
	int i;

	if (!have_wg())
		skip();
	for (i = 0; i < 8; i++) {
		assert_int_equal(run("wg genkey", NULL, priv_b64, sizeof(priv_b64)), 0);
		snprintf(line, sizeof(line), "%s\n", priv_b64);
		assert_int_equal(run("wg pubkey", line, wg_pub, sizeof(wg_pub)), 0);
		assert_int_equal(gk_wg_key_from_base64(priv, priv_b64), 0);
		/* Round trip of the text form is exact. */
		gk_wg_key_to_base64(ours, priv);
		assert_string_equal(ours, priv_b64);
		assert_int_equal(gk_wg_pubkey(pub, priv), 0);
		gk_wg_key_to_base64(ours, pub);
		assert_string_equal(ours, wg_pub);
		assert_int_equal(gk_wg_key_from_base64(back, wg_pub), 0);
		assert_memory_equal(back, pub, 32);
	}
}

static void our_genkey_accepted_by_wg(void **state)
{
	char priv_b64[GK_WG_KEY_B64_LEN + 1], pub_b64[GK_WG_KEY_B64_LEN + 1];
	char wg_pub[128], line[160];
	uint8_t priv[32], pub[32];
	int i;

	if (!have_wg())
		skip();
	for (i = 0; i < 8; i++) {
		assert_int_equal(gk_wg_genkey(priv, pub), 0);
		/* Stored clamped, like wg genkey. */
		assert_int_equal(priv[0] & 7, 0);
		assert_int_equal(priv[31] & 0xc0, 0x40);
		gk_wg_key_to_base64(priv_b64, priv);
		gk_wg_key_to_base64(pub_b64, pub);
		snprintf(line, sizeof(line), "%s\n", priv_b64);
		assert_int_equal(run("wg pubkey", line, wg_pub, sizeof(wg_pub)), 0);
		assert_string_equal(wg_pub, pub_b64);
	}
}

/* An unclamped key gives the same public key as its clamped form (wg clamps). */
static void unclamped_private_key(void **state)
{
	char wg_pub[128], line[160], b64[GK_WG_KEY_B64_LEN + 1];
	uint8_t priv[32], pub[32];

	if (!have_wg())
		skip();
	memset(priv, 0xff, sizeof(priv));
	gk_wg_key_to_base64(b64, priv);
	snprintf(line, sizeof(line), "%s\n", b64);
	assert_int_equal(run("wg pubkey", line, wg_pub, sizeof(wg_pub)), 0);
	gk_wg_clamp(priv);
	assert_int_equal(gk_wg_pubkey(pub, priv), 0);
	gk_wg_key_to_base64(b64, pub);
	assert_string_equal(b64, wg_pub);
}

static void base64_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"AAAA",
		/* 43 chars, no pad */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* 45 chars */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
		/* invalid character */
		"AAAAAAAAAAAAAAAAAAAAA*AAAAAAAAAAAAAAAAAAAAA=",
		/* last data char has non-zero unused bits ('B' = 1) */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=",
		/* pad in the middle */
		"AAAAAAAAAAAAAAAAAAAA=AAAAAAAAAAAAAAAAAAAAAA=",
	};
	uint8_t k[32];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(gk_wg_key_from_base64(k, bad[i]), -EINVAL);
	assert_int_equal(gk_wg_key_from_base64(k,
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), 0);
	assert_int_equal(gk_wg_key_from_base64(k,
		"//////////////////////////////////////////8="), 0);
	assert_int_equal(k[31], 0xff);
}

static void read_private_key_file(void **state)
{
	char path[] = "/tmp/w2-keyfile-XXXXXX", b64[GK_WG_KEY_B64_LEN + 1];
	uint8_t priv[32], got[32];
	FILE *f;
	int fd;

	assert_int_equal(gk_wg_genkey(priv, NULL), 0);
	gk_wg_key_to_base64(b64, priv);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "  %s \r\n\n", b64);
	fclose(f);
	assert_int_equal(gk_wg_key_read_file(got, path), 0);
	assert_memory_equal(got, priv, 32);

	f = fopen(path, "w");
	fprintf(f, "not a key\n");
	fclose(f);
	assert_int_equal(gk_wg_key_read_file(got, path), -EINVAL);
	unlink(path);
	assert_int_equal(gk_wg_key_read_file(got, path), -ENOENT);
}

static const char *genkanctl;

/* genkanctl wg genkey|pubkey against wg(8), both ways. */
static void genkanctl_wg(void **state)
{
	char cmd[512], priv[128], ours[128], theirs[128], line[160];

	if (!have_wg() || !genkanctl)
		skip();
	snprintf(cmd, sizeof(cmd), "umask 077; %s wg genkey", genkanctl);
	assert_int_equal(run(cmd, NULL, priv, sizeof(priv)), 0);
	assert_int_equal(strlen(priv), GK_WG_KEY_B64_LEN);
	snprintf(line, sizeof(line), "%s\n", priv);
	snprintf(cmd, sizeof(cmd), "%s wg pubkey", genkanctl);
	assert_int_equal(run(cmd, line, ours, sizeof(ours)), 0);
	assert_int_equal(run("wg pubkey", line, theirs, sizeof(theirs)), 0);
	assert_string_equal(ours, theirs);
	assert_int_equal(run("wg genkey", NULL, priv, sizeof(priv)), 0);
	snprintf(line, sizeof(line), "%s\n", priv);
	assert_int_equal(run(cmd, line, ours, sizeof(ours)), 0);
	assert_int_equal(run("wg pubkey", line, theirs, sizeof(theirs)), 0);
	assert_string_equal(ours, theirs);
	/* Garbage is refused with a non-zero exit. */
	assert_int_not_equal(run(cmd, "garbage\n", ours, sizeof(ours)), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pubkey_of_wg_genkey),
		cmocka_unit_test(our_genkey_accepted_by_wg),
		cmocka_unit_test(unclamped_private_key),
		cmocka_unit_test(base64_rejects),
		cmocka_unit_test(read_private_key_file),
		cmocka_unit_test(genkanctl_wg),
	};

	if (argc > 1)
		genkanctl = argv[1];

	return cmocka_run_group_tests(tests, NULL, NULL);
}
