/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * lib/util.h - small helpers shared by the record builder (kernel/names.c), the
 * correlator (engine/correlate.c) and the statistics (engine/stats.c): a bounded string
 * copy and hashes.
 */
#ifndef ST_UTIL_H
#define ST_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Copy the string at src into dst (size bytes, size 0: nothing is written)
 * and NUL-terminate it.  At most max bytes of src are read and the copy ends
 * at src's first NUL, so src need not be NUL-terminated within max bytes
 * (pass SIZE_MAX for a NUL-terminated src).  A longer string is cut to
 * size - 1 bytes, at a byte (not a character) boundary. */
void st_copy_str(char *dst, size_t size, const char *src, size_t max);

/* 64-bit FNV-1a hash of the NUL-terminated string s. */
uint64_t st_fnv1a(const char *s);

/* A 64-bit key mixed for a power-of-two hash table (the MurmurHash3
 * finalizer): every bit of k affects the low bits. */
static inline size_t st_mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return (size_t)k;
}

#endif /* ST_UTIL_H */
