// SPDX-License-Identifier: BSD-3-Clause
/* eventfd wake-ups; see efd.h. */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "efd.h"

int gk_efd_signal(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

int gk_efd_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0)
		return -errno;
	return 0;
}
