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

static bool word_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_';
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

size_t st_redact_text(const struct st_redact *r, const char *in, size_t inlen, char *out,
		      size_t outlen)
{
	size_t i = 0, o = 0;

	if (!outlen)
		return 0;
	while (i < inlen && in[i] && o + 1 < outlen) {
		if (r->mode != ST_REDACT_NONE && in[i] == '0' && i + 1 < inlen &&
		    (in[i + 1] == 'x' || in[i + 1] == 'X') && (i == 0 || !word_char(in[i - 1]))) {
			size_t j = i + 2;
			uint64_t v = 0;

			while (j < inlen && j - i - 2 < 17 && hex_digit(in[j]) >= 0)
				v = (v << 4) | (uint64_t)hex_digit(in[j++]);
			/* kernel-half values only: "+0x1a" offsets are no secret */
			if (j > i + 2 && j - i - 2 <= 16 && (j == inlen || !word_char(in[j])) &&
			    v >= 0xffff000000000000ULL) {
				char tok[24];
				int n = snprintf(tok, sizeof(tok), "0x%llx",
						 (unsigned long long)st_redact_addr(r, v));

				for (int k = 0; k < n && o + 1 < outlen; k++)
					out[o++] = tok[k];
				i = j;
				continue;
			}
		}
		out[o++] = in[i++];
	}
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
