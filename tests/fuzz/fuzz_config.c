// SPDX-License-Identifier: BSD-3-Clause
/*
 * The config parser (ctl/config): gk_config_parse on the input as a
 * file's text, into a defaulted config, then what genkand does with a
 * parsed one that needs no network (warnings, a deep copy) and frees it.
 * The error buffer is 16 + the input's last byte when that byte is even
 * (a reload reply cuts the list short, and the cut may fall anywhere in
 * an entry), else --check's 8 KiB, so cutting and sorting the error list
 * run on both. Issue #13 bug 1 (err_line_no() reading past a cut entry,
 * fixed in bcef0f6) is found within seconds on the code before it.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gk_config cfg, copy;
	static char err[8192], warn[4096];
	size_t errlen = size && !(data[size - 1] & 1) ?
			16 + data[size - 1] : sizeof(err);

	gk_config_defaults(&cfg);
	if (gk_config_parse((const char *)data, size, "fuzz.conf", &cfg, err,
			    errlen)) {
		if (!memchr(err, 0, errlen))
			abort();	/* the message must be terminated */
		gk_config_free(&cfg);
		return 0;
	}
	gk_config_warnings(&cfg, warn, sizeof(warn));
	gk_config_copy(&copy, &cfg);
	gk_config_free(&copy);
	gk_config_free(&cfg);
	return 0;
}
