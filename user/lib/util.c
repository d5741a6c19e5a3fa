// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/util.c - small shared helpers (see lib/util.h). */
#include <string.h>

#include "lib/util.h"

void st_copy_str(char *dst, size_t size, const char *src, size_t max)
{
	size_t n;

	if (!size)
		return;
	n = strnlen(src, max < size - 1 ? max : size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

uint64_t st_fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}
