/* SPDX-License-Identifier: BSD-3-Clause */
/* Config tests: find one error line in the parser's error text. */
#ifndef GK_TEST_HAS_ERROR_H
#define GK_TEST_HAS_ERROR_H

#include <stdio.h>
#include <string.h>

/* True if @err has a "name:line: ...frag..." line ("name: ..." for line 0). */
static inline int has_error(const char *err, const char *name, unsigned line,
			    const char *frag)
{
	char prefix[128];
	const char *p = err;

	if (line)
		snprintf(prefix, sizeof(prefix), "%s:%u: ", name, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", name);
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		char buf[1024];

		snprintf(buf, sizeof(buf), "%.*s", (int)l, p);
		if (!strncmp(buf, prefix, strlen(prefix)) && strstr(buf, frag))
			return 1;
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

#endif
