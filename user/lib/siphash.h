/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * lib/siphash.h - SipHash-2-4 (Aumasson, Bernstein 2012): the keyed hash of
 * the pseudonyms of --redact (log/redact.c) and of every hash table
 * (lib/htab.c).
 */
#ifndef ST_SIPHASH_H
#define ST_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of in[0..len) under the 16-byte key k (the reference
 * algorithm: little-endian key words and message blocks). */
uint64_t st_siphash24(const uint8_t k[16], const void *in, size_t len);

#endif /* ST_SIPHASH_H */
