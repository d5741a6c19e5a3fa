// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* log/redact.c - keyed pseudonyms for kernel addresses and tasks (see log/redact.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>

#include "log/redact.h"

/* ---- keyed permutations ------------------------------------------------- */

#define ROUNDS 6
/* Independent permutations: the tag is part of every round's input. */
enum { TAG_KERNEL = 1, TAG_OTHER, TAG_PID_LOW, TAG_PID_HIGH };

static uint64_t round_f(const struct st_redact *r, uint8_t tag, unsigned bits, unsigned i,
			uint64_t half, uint64_t mask);

/* A balanced Feistel network on bits (even, 2..64) bits: a permutation of
 * [0, 2^bits) for each (key, tag). */
static uint64_t feistel(const struct st_redact *r, uint8_t tag, unsigned bits, uint64_t x)
{
	unsigned h = bits / 2;
	uint64_t mask = h == 32 ? 0xffffffffULL : (1ULL << h) - 1;
	uint64_t L = (x >> h) & mask, R = x & mask;

	for (unsigned i = 0; i < ROUNDS; i++) {
		uint64_t t = R;

		R = L ^ round_f(r, tag, bits, i, R, mask);
		L = t;
	}
	return (L << h) | R;
}

static uint64_t round_f(const struct st_redact *r, uint8_t tag, unsigned bits, unsigned i,
			uint64_t half, uint64_t mask)
{
	uint8_t msg[16] = { tag, (uint8_t)i, (uint8_t)bits };

	for (int j = 0; j < 8; j++)
		msg[8 + j] = (uint8_t)(half >> (8 * j));
	return st_siphash24(r->key, msg, sizeof(msg)) & mask;
}

/* The inverse of feistel(). */
static uint64_t feistel_inv(const struct st_redact *r, uint8_t tag, unsigned bits, uint64_t y)
{
	unsigned h = bits / 2;
	uint64_t mask = h == 32 ? 0xffffffffULL : (1ULL << h) - 1;
	uint64_t L = (y >> h) & mask, R = y & mask;

	for (unsigned i = ROUNDS; i-- > 0;) {
		uint64_t oldR = L;

		L = R ^ round_f(r, tag, bits, i, oldR, mask);
		R = oldR;
	}
	return (L << h) | R;
}

#define KBASE 0xffff000000000000ULL
#define KEND 0xffffffffffff0000ULL	/* exclusive: room for + list_offset */
#define PID_LIMIT 4194304		/* PID_MAX_LIMIT on 64-bit */

static bool is_special(uint64_t v)
{
	return v == 0 || v == ST_POISON1 || v == ST_POISON2;
}

static bool in_kernel(uint64_t v)
{
	return v >= KBASE && v < KEND;
}

uint64_t st_redact_addr(const struct st_redact *r, uint64_t v)
{
	uint64_t y;

	if (r->mode == ST_REDACT_NONE || is_special(v))
		return v;
	if (in_kernel(v)) {
		/* cycle walking: a permutation of [0, KEND - KBASE) */
		y = v - KBASE;
		do
			y = feistel(r, TAG_KERNEL, 48, y);
		while (y >= KEND - KBASE);
		return KBASE + y;
	}
	y = v;
	do
		y = feistel(r, TAG_OTHER, 64, y);
	while (in_kernel(y) || is_special(y));
	return y;
}

uint64_t st_redact_unaddr(const struct st_redact *r, uint64_t p)
{
	uint64_t y;

	if (r->mode == ST_REDACT_NONE || is_special(p))
		return p;
	if (in_kernel(p)) {
		y = p - KBASE;
		do
			y = feistel_inv(r, TAG_KERNEL, 48, y);
		while (y >= KEND - KBASE);
		return KBASE + y;
	}
	y = p;
	do
		y = feistel_inv(r, TAG_OTHER, 64, y);
	while (in_kernel(y) || is_special(y));
	return y;
}

uint64_t st_redact_list(const struct st_redact *r, uint64_t v, unsigned list_offset)
{
	if (r->mode == ST_REDACT_NONE || is_special(v))
		return v;
	return st_redact_addr(r, v - list_offset) + list_offset;
}

int st_redact_pid(const struct st_redact *r, int pid)
{
	uint64_t y;

	if (r->mode != ST_REDACT_ALL || pid <= 0)
		return pid;
	if (pid <= PID_LIMIT)
		return (int)feistel(r, TAG_PID_LOW, 22, (uint64_t)pid - 1) + 1;
	y = (uint64_t)pid;
	do
		y = feistel(r, TAG_PID_HIGH, 32, y);
	while (y <= PID_LIMIT || y > INT32_MAX);
	return (int)y;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_0x(const char *in, size_t i, size_t inlen)
{
	return in[i] == '0' && i + 2 < inlen && (in[i + 1] == 'x' || in[i + 1] == 'X') &&
	       hex_digit(in[i + 2]) >= 0;
}

/* Some 16 digits in a row of d[0..n) read as a kernel-half value. */
static bool has_kernel_window(const char *d, size_t n)
{
	for (size_t i = 0; i + 16 <= n; i++) {
		size_t k = 0;

		while (k < 4 && (d[i + k] == 'f' || d[i + k] == 'F'))
			k++;
		if (k == 4)
			return true;
	}
	return false;
}

/* Digit k of what replaces a run d[0..n) of too many digits to be one value
 * but holding a kernel address's: digits from the run's key, the same for the
 * same run within a run of shrinktrace. */
static char hash_digit(const struct st_redact *r, const char *d, size_t n, size_t k)
{
	static const char hx[] = "0123456789abcdef";
	uint8_t msg[16] = { 0xa5 };
	uint64_t whole = st_siphash24(r->key, d, n), blk = k / 16;

	memcpy(msg + 1, &blk, 7);
	memcpy(msg + 8, &whole, 8);
	return hx[(st_siphash24(r->key, msg, sizeof(msg)) >> (4 * (k % 16))) & 15];
}

size_t st_redact_text(const struct st_redact *r, const char *in, size_t inlen, char *out,
		      size_t outlen)
{
	size_t i = 0, o = 0;
	char tok[40];

	if (!outlen)
		return 0;
	inlen = strnlen(in, inlen);
#define PUT(s, n) do {							\
		for (size_t k_ = 0; k_ < (n) && o + 1 < outlen; k_++)		\
			out[o++] = (s)[k_];					\
	} while (0)
	while (i < inlen && o + 1 < outlen) {
		const char *d;
		size_t j, n, z;
		bool prefixed = r->mode != ST_REDACT_NONE && is_0x(in, i, inlen);

		if (!prefixed && (r->mode == ST_REDACT_NONE || hex_digit(in[i]) < 0)) {
			out[o++] = in[i++];
			continue;
		}
		/* a run of hex digits, after "0x" or bare; a bare run stops
		 * before a "0x" inside it */
		j = prefixed ? i + 2 : i;
		while (j < inlen && hex_digit(in[j]) >= 0 && (prefixed || j == i || !is_0x(in, j, inlen)))
			j++;
		d = in + (prefixed ? i + 2 : i);
		n = (size_t)(in + j - d);
		for (z = 0; z < n && d[z] == '0'; z++)
			;
		if (prefixed) {
			PUT(in + i, 2);
		}
		if (n - z <= 16 && (prefixed || n == 16)) {
			uint64_t v = 0;

			for (size_t k = z; k < n; k++)
				v = (v << 4) | (uint64_t)hex_digit(d[k]);
			/* kernel-half values only: "+0x1a" offsets are no secret */
			if (v >= 0xffff000000000000ULL) {
				int m = snprintf(tok, sizeof(tok), prefixed ? "%llx" : "%016llx",
						 (unsigned long long)st_redact_addr(r, v));

				PUT(tok, (size_t)m);
			} else {
				PUT(d, n);
			}
		} else if (n >= 16 && has_kernel_window(d + (prefixed ? z : 0), n - (prefixed ? z : 0))) {
			/* more digits than one value: hide them all */
			for (size_t k = 0; k < n && o + 1 < outlen; k++)
				out[o++] = hash_digit(r, d, n, k);
		} else {
			PUT(d, n);
		}
		i = j;
	}
#undef PUT
	out[o] = '\0';
	return o;
}

void st_redact_rec(const struct st_redact *r, struct st_rec *rec, unsigned list_offset)
{
	if (r->mode == ST_REDACT_NONE)
		return;
	for (const struct st_field *f = st_fields; f < st_fields + ST_NFIELDS; f++) {
		void *p = st_field_ptr(f, rec);

		if (f->has && !(rec->has & f->has))
			continue;
		switch (f->redact) {
		case ST_RD_KEEP:
			break;
		case ST_RD_ADDR:
			*(uint64_t *)p = st_redact_addr(r, *(uint64_t *)p);
			break;
		case ST_RD_LIST:
			*(uint64_t *)p = st_redact_list(r, *(uint64_t *)p, list_offset);
			break;
		case ST_RD_PID:
			if (r->mode == ST_REDACT_ALL)
				*(int *)p = st_redact_pid(r, *(int *)p);
			break;
		case ST_RD_COMM:
			if (r->mode == ST_REDACT_ALL)
				memset(p, 0, f->size);
			break;
		case ST_RD_NAME: {
			/* a name derived from an unsymbolised scan_objects carries
			 * its address (kernel/names.c: "scan@0x...") */
			char tmp[ST_REC_NAME_LEN];

			st_redact_text(r, p, f->size, tmp, sizeof(tmp));
			memcpy(p, tmp, sizeof(tmp) < f->size ? sizeof(tmp) : f->size);
			break;
		}
		}
	}
}

int st_redact_mode_parse(const char *arg)
{
	if (!arg || !strcmp(arg, "addrs"))
		return ST_REDACT_ADDRS;
	if (!strcmp(arg, "all"))
		return ST_REDACT_ALL;
	return -1;
}

const char *st_redact_mode_name(enum st_redact_mode mode)
{
	switch (mode) {
	case ST_REDACT_ADDRS:
		return "addrs";
	case ST_REDACT_ALL:
		return "all";
	default:
		return "none";
	}
}

int st_redact_init(struct st_redact *r, enum st_redact_mode mode, const uint8_t *key)
{
	size_t got = 0;

	memset(r, 0, sizeof(*r));
	r->mode = mode;
	if (key) {
		memcpy(r->key, key, sizeof(r->key));
		return 0;
	}
	while (got < sizeof(r->key)) {
		ssize_t n = getrandom(r->key + got, sizeof(r->key) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}
