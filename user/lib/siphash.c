// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/siphash.c - SipHash-2-4 (see lib/siphash.h). */
#include "lib/siphash.h"

/* ---- SipHash-2-4 (Aumasson, Bernstein 2012) ------------------------------ */

static inline uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define SIPROUND						\
	do {							\
		v0 += v1; v1 = rotl(v1, 13); v1 ^= v0;		\
		v0 = rotl(v0, 32);				\
		v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;		\
		v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;		\
		v2 += v1; v1 = rotl(v1, 17); v1 ^= v2;		\
		v2 = rotl(v2, 32);				\
	} while (0)

uint64_t st_siphash24(const uint8_t k[16], const void *in, size_t len)
{
	const uint8_t *p = in;
	uint64_t k0 = le64(k), k1 = le64(k + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	uint64_t b = (uint64_t)len << 56, m;
	size_t left = len & 7;
	const uint8_t *end = p + (len - left);

	for (; p != end; p += 8) {
		m = le64(p);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t i = 0; i < left; i++)
		b |= (uint64_t)p[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

