/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log/reader.c - reader of the shrinktrace/1 log (docs/event-log.md).
 *
 * Two parsers, one set of rules:
 *   - a fast path for the flat lines the tracer writes: one pass over the
 *     bytes, every member looked up in the field table (log/event.h), no
 *     allocation.  It takes a line only when it is sure the line is valid
 *     and means exactly what json-c would read; anything else (escapes,
 *     non-ASCII, nested values, fractions, a mistyped or missing field, bad
 *     JSON) goes to
 *   - the general path on json-c (strict, UTF-8 validated), which gives every
 *     error its "reason".
 * So a log is read the same either way, and only its errors pay for json-c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "log/reader.h"
#include "log/writer.h"
#include "lib/util.h"

static void setreason(char *reason, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void setreason(char *reason, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!reason || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, len, fmt, ap);
	va_end(ap);
}

/* Hex digit values plus one; 0 for anything that is not a hex digit. */
static const unsigned char hexdig1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
	['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* "0x" + 1..16 hex digits, exactly n bytes of s. */
static int parse_ptr_n(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n < 3 || n > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -1;
	for (size_t i = 2; i < n; i++) {
		unsigned d = hexdig1[(unsigned char)s[i]];

		if (!d)
			return -1;
		v = (v << 4) | (d - 1);
	}
	*out = v;
	return 0;
}

int st_parse_ptr(const char *s, uint64_t *out)
{
	return s ? parse_ptr_n(s, strlen(s), out) : -1;
}

/* Copy a UTF-8 string into dst (size bytes), cutting at a character boundary. */
static void copy_str(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size) {
		n = size - 1;
		/* do not cut a multi-byte sequence in half */
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Field ids as bits, for "which were seen" and "which are required". */
#define FB(f) ((uint64_t)1 << (f))
_Static_assert(ST_NFIELDS <= 64, "the reader's field masks are 64 bits");

/* The fields an event of each type must carry, built once before main(). */
static uint64_t required[ST_NTYPES];

__attribute__((constructor)) static void index_required(void)
{
	for (int t = 0; t < ST_NTYPES; t++)
		for (int f = 0; f < ST_NFIELDS; f++)
			if (st_fields[f].req & ST_T(t))
				required[t] |= FB(f);
}

static uint64_t required_of(enum st_type t)
{
	return required[t];
}

static void set_present(struct st_rec *r, const struct st_field *f)
{
	r->has |= f->has;
}

/* ---- the fast path --------------------------------------------------- */

enum fast { FAST_OK, FAST_FALLBACK };

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A JSON integer at p (strict: no leading zeros, no fraction or exponent),
 * within 0 .. 2^64-1 (or, negative, down to -2^63).  Returns the bytes
 * taken, or 0 for anything else (then the general path decides). */
static size_t fast_int(const char *p, const char *end, bool *neg, uint64_t *mag)
{
	const char *s = p;
	uint64_t v = 0;

	*neg = false;
	if (s < end && *s == '-') {
		*neg = true;
		s++;
	}
	if (s >= end || *s < '0' || *s > '9')
		return 0;
	if (*s == '0' && s + 1 < end && s[1] >= '0' && s[1] <= '9')
		return 0;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v))
			return 0;	/* >= 2^64: the general path says so */
	}
	if (s < end && (*s == '.' || *s == 'e' || *s == 'E'))
		return 0;
	if (*neg && v > (uint64_t)INT64_MAX + 1)
		return 0;
	*mag = v;
	return (size_t)(s - p);
}

/* The bytes a fast string may hold: printable ASCII but '"' and '\\'. */
static unsigned char plain[256];

__attribute__((constructor)) static void index_plain(void)
{
	for (unsigned c = 0x20; c < 0x7f; c++)
		plain[c] = c != '"' && c != '\\';
}

/* A string at p (p[0] == '"') of printable ASCII without escapes: *s, *n
 * get its body.  0 for anything else. */
static size_t fast_str(const char *p, const char *end, const char **s, size_t *n)
{
	const char *q = p + 1;

	while (q < end && plain[(unsigned char)*q])
		q++;
	if (q >= end || *q != '"')
		return 0;
	*s = p + 1;
	*n = (size_t)(q - p - 1);
	return (size_t)(q + 1 - p);
}

/* Store an integer into field f; false when out of its range or not an
 * integer field (the general path words the error). */
static bool fast_store_int(struct st_rec *r, const struct st_field *f, bool neg, uint64_t mag)
{
	void *p = st_field_ptr(f, r);
	int64_t i;

	switch (f->ftype) {
	case ST_FT_U64:
	case ST_FT_FREED:
		if (neg)
			return false;
		*(uint64_t *)p = mag;
		return true;
	case ST_FT_I32:
	case ST_FT_U32:
		if (!neg && mag > (uint64_t)INT64_MAX)
			return false;
		i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
		if (i < f->min || i > f->max)
			return false;
		if (f->ftype == ST_FT_I32)
			*(int *)p = (int)i;
		else
			*(uint32_t *)p = (uint32_t)i;
		return true;
	default:
		return false;
	}
}

static bool fast_store_str(struct st_rec *r, const struct st_field *f, const char *s, size_t n)
{
	void *p = st_field_ptr(f, r);

	switch (f->ftype) {
	case ST_FT_STR:
		copy_str(p, f->size, s, n);
		return true;
	case ST_FT_PTR:
		return !parse_ptr_n(s, n, p);
	case ST_FT_FREED:
		if (n != 5 || memcmp(s, "empty", 5))
			return false;
		*(uint64_t *)p = ST_FREED_EMPTY;
		return true;
	case ST_FT_ENUM: {
		/* a name this version does not know: the general path skips it */
		int v = st_enum_value(f, s, n);

		if (v < 0)
			return false;
		*(unsigned *)p = (unsigned)v;
		return true;
	}
	default:
		return false;
	}
}

static bool same_bytes(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* The field named key: the writer writes them in table order, so the next
 * few rows after the last one found are tried first, then the index. */
static const struct st_field *next_field(int *hint, const char *key, size_t klen)
{
	const struct st_field *f;

	for (int i = *hint + 1; i < ST_NFIELDS && i <= *hint + 4; i++) {
		f = &st_fields[i];
		if (f->klen == klen && f->key[0] == key[0] && !memcmp(f->key, key, klen)) {
			*hint = i;
			return f;
		}
	}
	f = st_field_by_key(key, klen);
	if (f)
		*hint = (int)(f - st_fields);
	return f;
}

/* Unknown members the fast path tells apart; a line with more goes to json-c. */
#define FAST_MAX_UNKNOWN 16

/* One flat event object.  FAST_OK: *out holds a valid event, *unknown the
 * members this reader does not know (each name once).  FAST_FALLBACK: let
 * json-c read it. */
static enum fast fast_parse(const char *p, const char *end, struct st_rec *out,
			    unsigned *unknown)
{
	uint64_t seen = 0;
	const char *type = NULL;
	size_t typelen = 0;
	enum st_type t;
	int hint = -1;
	const char *unk[FAST_MAX_UNKNOWN];	/* the unknown members' names */
	size_t unk_len[FAST_MAX_UNKNOWN];
	unsigned nunk = 0;

	while (p < end && is_ws(*p))
		p++;
	if (p >= end || *p++ != '{')
		return FAST_FALLBACK;
	for (;;) {
		const struct st_field *f;
		const char *key, *s;
		size_t klen, n, took;
		bool neg;
		uint64_t mag;

		while (p < end && is_ws(*p))
			p++;
		if (p >= end || *p != '"')
			return FAST_FALLBACK;
		/* the writer's order: the key is most likely the next row's */
		f = NULL;
		for (int i = hint + 1; i < ST_NFIELDS && i <= hint + 4; i++) {
			const struct st_field *g = &st_fields[i];

			if ((size_t)(end - p) > g->klen + 1 && p[1 + g->klen] == '"' &&
			    same_bytes(p + 1, g->key, g->klen)) {
				f = g;
				hint = i;
				break;
			}
		}
		if (f) {
			key = f->key;
			klen = f->klen;
			p += klen + 2;
		} else {
			took = fast_str(p, end, &key, &klen);
			if (!took)
				return FAST_FALLBACK;
			p += took;
			f = next_field(&hint, key, klen);
		}
		while (p < end && is_ws(*p))
			p++;
		if (p >= end || *p++ != ':')
			return FAST_FALLBACK;
		while (p < end && is_ws(*p))
			p++;
		if (p >= end)
			return FAST_FALLBACK;
		if (!f && !(klen == 4 && !memcmp(key, "type", 4))) {
			/* json-c keeps one member per name (the last): a name
			 * given twice is one unknown field, as it counts them */
			bool again = false;

			for (unsigned i = 0; i < nunk && !again; i++)
				again = unk_len[i] == klen && !memcmp(unk[i], key, klen);
			if (!again) {
				if (nunk == FAST_MAX_UNKNOWN)
					return FAST_FALLBACK;
				unk[nunk] = key;
				unk_len[nunk++] = klen;
				(*unknown)++;
			}
		}
		if (*p == '"' && f && f->ftype == ST_FT_PTR) {
			/* "0x" + hex digits + '"' in one pass */
			const char *q = p + 1;
			uint64_t v = 0;
			unsigned d;

			if (end - q < 4 || q[0] != '0' || (q[1] != 'x' && q[1] != 'X'))
				return FAST_FALLBACK;
			for (q += 2; q < end && (d = hexdig1[(unsigned char)*q]); q++)
				v = (v << 4) | (d - 1);
			if (q >= end || *q != '"' || q - p - 3 < 1 || q - p - 3 > 16)
				return FAST_FALLBACK;
			*(uint64_t *)st_field_ptr(f, out) = v;
			took = (size_t)(q + 1 - p);
		} else if (*p == '"') {
			took = fast_str(p, end, &s, &n);
			if (!took)
				return FAST_FALLBACK;
			if (!f) {
				if (klen == 4 && !memcmp(key, "type", 4)) {
					type = s;
					typelen = n;
				}
			} else if (!fast_store_str(out, f, s, n)) {
				return FAST_FALLBACK;
			}
		} else if (*p == 't' || *p == 'f' || *p == 'n') {
			const char *lit = *p == 't' ? "true" : *p == 'f' ? "false" : "null";

			took = strlen(lit);
			if ((size_t)(end - p) < took || memcmp(p, lit, took))
				return FAST_FALLBACK;
			if (f) {
				/* only a flag takes a literal, and only true is
				 * what the writer writes */
				if (f->ftype != ST_FT_FLAG || *p == 'n')
					return FAST_FALLBACK;
				*(bool *)st_field_ptr(f, out) = *p == 't';
			} else if (klen == 4 && !memcmp(key, "type", 4)) {
				return FAST_FALLBACK;
			}
		} else {
			took = fast_int(p, end, &neg, &mag);
			if (!took)
				return FAST_FALLBACK;
			if (f && !fast_store_int(out, f, neg, mag))
				return FAST_FALLBACK;
			if (!f && klen == 4 && !memcmp(key, "type", 4))
				return FAST_FALLBACK;
		}
		p += took;
		if (f) {
			seen |= FB(f - st_fields);
			set_present(out, f);
		}
		while (p < end && is_ws(*p))
			p++;
		if (p >= end)
			return FAST_FALLBACK;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p++ != '}')
			return FAST_FALLBACK;
		break;
	}
	while (p < end && is_ws(*p))
		p++;
	if (p != end || !type)
		return FAST_FALLBACK;
	t = st_type_from_name_n(type, typelen);
	/* headers, memcgs, violations, unknown types: the general path */
	if (t == ST_UNKNOWN || t >= ST_VIOLATION)
		return FAST_FALLBACK;
	if (required_of(t) & ~seen)
		return FAST_FALLBACK;
	out->type = t;
	return FAST_OK;
}

/* ---- the general path (json-c) ---------------------------------------- */

/* A JSON string's value, or NULL when it holds a NUL byte ("\u0000"): such a
 * value is none of the format's names, though strcmp() would see its prefix. */
static const char *jstr(json_object *o)
{
	const char *s = json_object_get_string(o);

	return strlen(s) == (size_t)json_object_get_string_len(o) ? s : NULL;
}

static const char *jtype_name(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null: return "null";
	case json_type_boolean: return "boolean";
	case json_type_double: return "number with a fraction";
	case json_type_int: return "integer";
	case json_type_object: return "object";
	case json_type_array: return "array";
	case json_type_string: return "string";
	}
	return "?";
}

/* Store the value o of field f into r; 0 or -1 with reason. */
static int store(struct st_rec *r, const struct st_field *f, json_object *o, char *reason,
		 size_t rlen)
{
	void *p = st_field_ptr(f, r);
	const char *s;
	int64_t i;

	switch (f->ftype) {
	case ST_FT_PTR:
		if (!json_object_is_type(o, json_type_string)) {
			setreason(reason, rlen, "\"%s\": expected a pointer string \"0x...\", got %s",
				  f->key, jtype_name(o));
			return -1;
		}
		s = json_object_get_string(o);
		if (parse_ptr_n(s, (size_t)json_object_get_string_len(o), p)) {
			setreason(reason, rlen, "\"%s\": bad pointer string (want \"0x\" + 1..16 hex digits)",
				  f->key);
			return -1;
		}
		break;
	case ST_FT_FREED:
		if (json_object_is_type(o, json_type_string)) {
			s = jstr(o);
			if (!s || strcmp(s, "empty") != 0) {
				setreason(reason, rlen, "\"%s\": expected an integer or \"empty\"", f->key);
				return -1;
			}
			*(uint64_t *)p = ST_FREED_EMPTY;
			break;
		}
		/* fall through */
	case ST_FT_U64:
		if (!json_object_is_type(o, json_type_int)) {
			setreason(reason, rlen, "\"%s\": expected an integer, got %s", f->key, jtype_name(o));
			return -1;
		}
		if (json_object_get_int64(o) < 0) {
			setreason(reason, rlen, "\"%s\": must not be negative", f->key);
			return -1;
		}
		*(uint64_t *)p = json_object_get_uint64(o);
		break;
	case ST_FT_I32:
	case ST_FT_U32:
		if (!json_object_is_type(o, json_type_int)) {
			setreason(reason, rlen, "\"%s\": expected an integer, got %s", f->key, jtype_name(o));
			return -1;
		}
		i = json_object_get_int64(o);
		if (i < f->min || i > f->max || (i == INT64_MAX && json_object_get_uint64(o) != INT64_MAX)) {
			setreason(reason, rlen, "\"%s\": %s out of range [%" PRId64 ", %" PRId64 "]",
				  f->key, json_object_get_string(o), f->min, f->max);
			return -1;
		}
		if (f->ftype == ST_FT_I32)
			*(int *)p = (int)i;
		else
			*(uint32_t *)p = (uint32_t)i;
		break;
	case ST_FT_STR:
		if (!json_object_is_type(o, json_type_string)) {
			setreason(reason, rlen, "\"%s\": expected a string, got %s", f->key, jtype_name(o));
			return -1;
		}
		copy_str(p, f->size, json_object_get_string(o), (size_t)json_object_get_string_len(o));
		break;
	case ST_FT_FLAG:
		if (!json_object_is_type(o, json_type_boolean)) {
			setreason(reason, rlen, "\"%s\": expected true or false, got %s", f->key,
				  jtype_name(o));
			return -1;
		}
		*(bool *)p = json_object_get_boolean(o);
		break;
	case ST_FT_ENUM: {
		int v;

		if (!json_object_is_type(o, json_type_string)) {
			setreason(reason, rlen, "\"%s\": expected a string, got %s", f->key, jtype_name(o));
			return -1;
		}
		v = st_enum_value(f, json_object_get_string(o), (size_t)json_object_get_string_len(o));
		if (v < 0)
			return 0;	/* a name of a newer version: as if absent */
		*(unsigned *)p = (unsigned)v;
		break;
	}
	}
	set_present(r, f);
	return 0;
}

static int parse_header(json_object *obj, struct st_rec *out, char *reason, size_t rlen,
			struct st_parse_info *info)
{
	json_object *o;
	const char *s;
	char q[64 * 6 + 1];	/* 64 bytes escaped: one line whatever the input */

	if (!json_object_object_get_ex(obj, "format", &o) || !json_object_is_type(o, json_type_string)) {
		setreason(reason, rlen, "header: missing \"format\" string");
		return ST_PARSE_ERROR;
	}
	s = jstr(o);
	if (!s) {
		setreason(reason, rlen, "header: \"format\" holds a NUL byte (this reader knows shrinktrace/1)");
		return ST_PARSE_ERROR;
	}
	if (strcmp(s, "shrinktrace/1") != 0) {
		if (st_json_escape(q, sizeof(q), json_object_get_string(o), 64) < 0)
			q[0] = '\0';
		setreason(reason, rlen, "header: unsupported format \"%s\" (this reader knows shrinktrace/1)", q);
		return ST_PARSE_ERROR;
	}
	out->type = ST_HEADER;
	if (json_object_object_get_ex(obj, "start_ts", &o) && json_object_is_type(o, json_type_int) &&
	    json_object_get_int64(o) >= 0)
		out->ts = json_object_get_uint64(o);
	if (info) {
		info->list_offset = -1;
		if (json_object_object_get_ex(obj, "list_offset", &o) &&
		    json_object_is_type(o, json_type_int) && json_object_get_int64(o) >= 0 &&
		    json_object_get_int64(o) < 4096)
			info->list_offset = (int)json_object_get_int64(o);
		if (json_object_object_get_ex(obj, "kernel", &o) && json_object_is_type(o, json_type_string))
			copy_str(info->kernel, sizeof(info->kernel), json_object_get_string(o),
				 (size_t)json_object_get_string_len(o));
		if (json_object_object_get_ex(obj, "backend", &o) && json_object_is_type(o, json_type_string))
			copy_str(info->backend, sizeof(info->backend), json_object_get_string(o),
				 (size_t)json_object_get_string_len(o));
		if (json_object_object_get_ex(obj, "mode", &o) && json_object_is_type(o, json_type_string))
			info->stats_only = !strcmp(json_object_get_string(o), "stats-only");
		info->filtered = json_object_object_get_ex(obj, "filters", &o) &&
				 json_object_is_type(o, json_type_object) &&
				 json_object_object_length(o) > 0;
		if (json_object_object_get_ex(obj, "hooks", &o) && json_object_is_type(o, json_type_object)) {
			json_object *m;

			if (json_object_object_get_ex(o, "walk", &m) && json_object_is_type(m, json_type_string))
				copy_str(info->walk_mech, sizeof(info->walk_mech), json_object_get_string(m),
					 (size_t)json_object_get_string_len(m));
			if (json_object_object_get_ex(o, "shrink", &m) && json_object_is_type(m, json_type_string))
				copy_str(info->shrink_mech, sizeof(info->shrink_mech),
					 json_object_get_string(m), (size_t)json_object_get_string_len(m));
		}
		if (json_object_object_get_ex(obj, "run", &o) && json_object_is_type(o, json_type_string))
			copy_str(info->run, sizeof(info->run), json_object_get_string(o),
				 (size_t)json_object_get_string_len(o));
		if (json_object_object_get_ex(obj, "part", &o) && json_object_is_type(o, json_type_int) &&
		    json_object_get_int64(o) > 0 && json_object_get_int64(o) < INT_MAX)
			info->part = (int)json_object_get_int64(o);
	}
	return ST_PARSE_HEADER;
}

/* A "stack" line: "stack_id" (integer), "frames" (an array of strings). */
static int parse_stack(json_object *obj, char *reason, size_t rlen, struct st_parse_info *info)
{
	json_object *o, *fr;
	size_t n, used = 0;
	int64_t id;

	if (!json_object_object_get_ex(obj, "stack_id", &o) || !json_object_is_type(o, json_type_int) ||
	    (id = json_object_get_int64(o)) < 0 || id > INT32_MAX) {
		setreason(reason, rlen, "stack: missing or bad \"stack_id\" (0 .. 2^31-1)");
		return ST_PARSE_ERROR;
	}
	if (!json_object_object_get_ex(obj, "frames", &fr) || !json_object_is_type(fr, json_type_array)) {
		setreason(reason, rlen, "stack: missing \"frames\" array of strings");
		return ST_PARSE_ERROR;
	}
	n = json_object_array_length(fr);
	if (n > ST_STACK_FRAMES) {
		setreason(reason, rlen, "stack: %zu frames (at most %d)", n, ST_STACK_FRAMES);
		return ST_PARSE_ERROR;
	}
	for (size_t i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(fr, i), json_type_string)) {
			setreason(reason, rlen, "stack: frame %zu is not a string", i + 1);
			return ST_PARSE_ERROR;
		}
	if (!info)
		return ST_PARSE_STACK;
	info->stack_id = (int)id;
	info->frames[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(fr, i);
		char one[ST_STACK_FRAME_LEN];

		copy_str(one, sizeof(one), json_object_get_string(s), (size_t)json_object_get_string_len(s));
		for (char *c = one; *c; c++)
			if (*c == ';')
				*c = '?';
		used += (size_t)snprintf(info->frames + used, sizeof(info->frames) - used, "%s%s",
					 i ? ";" : "", one);
		if (used >= sizeof(info->frames))
			break;
	}
	return ST_PARSE_STACK;
}

/* A "memcg" line: "memcg" (pointer), "memcg_id" (integer), "path" (string). */
static int parse_memcg(json_object *obj, char *reason, size_t rlen, struct st_parse_info *info)
{
	json_object *o;
	uint64_t p, id;

	if (!json_object_object_get_ex(obj, "memcg", &o) || !json_object_is_type(o, json_type_string) ||
	    parse_ptr_n(json_object_get_string(o), (size_t)json_object_get_string_len(o), &p)) {
		setreason(reason, rlen, "memcg: missing or bad \"memcg\" pointer string");
		return ST_PARSE_ERROR;
	}
	if (!json_object_object_get_ex(obj, "memcg_id", &o) || !json_object_is_type(o, json_type_int) ||
	    json_object_get_int64(o) < 0) {
		setreason(reason, rlen, "memcg: missing or bad \"memcg_id\" (a cgroup id)");
		return ST_PARSE_ERROR;
	}
	id = json_object_get_uint64(o);
	if (!json_object_object_get_ex(obj, "path", &o) || !json_object_is_type(o, json_type_string)) {
		setreason(reason, rlen, "memcg: missing \"path\" string");
		return ST_PARSE_ERROR;
	}
	if (info) {
		info->memcg = p;
		info->memcg_id = id;
		copy_str(info->path, sizeof(info->path), json_object_get_string(o),
			 (size_t)json_object_get_string_len(o));
	}
	return ST_PARSE_MEMCG;
}

/* The first integer token outside strings whose value json-c would clamp
 * (beyond -2^63 .. 2^64-1): its column (1-based), or 0 if none.  json-c
 * 0.16 reads 18446744073709551616 as UINT64_MAX without a word: a log that
 * holds such a number is wrong and must be refused, not clamped. */
static size_t big_int_column(const char *line, size_t len)
{
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = line[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
			continue;
		}
		if ((c == '-' && i + 1 < len && line[i + 1] >= '0' && line[i + 1] <= '9') ||
		    (c >= '0' && c <= '9')) {
			size_t j = i + (c == '-'), d0 = j;
			bool neg = c == '-';
			uint64_t v = 0;
			bool over = false;

			if (i > 0 && ((line[i - 1] >= '0' && line[i - 1] <= '9') || line[i - 1] == '.' ||
				      line[i - 1] == 'e' || line[i - 1] == 'E' || line[i - 1] == '+' ||
				      line[i - 1] == '-'))
				continue;	/* inside a number already judged */
			for (; j < len && line[j] >= '0' && line[j] <= '9'; j++) {
				unsigned d = (unsigned)(line[j] - '0');

				if (v > (UINT64_MAX - d) / 10)
					over = true;
				else
					v = v * 10 + d;
			}
			if (j < len && (line[j] == '.' || line[j] == 'e' || line[j] == 'E')) {
				i = j;
				continue;	/* a fraction: json-c makes it a double */
			}
			if (over || (neg && v > (uint64_t)INT64_MAX + 1))
				return i + 1;
			(void)d0;
			i = j - 1;
		}
	}
	return 0;
}

static json_tokener *tok;

static int parse_general(const char *line, size_t len, struct st_rec *out, char *reason,
			 size_t rlen, struct st_parse_info *info)
{
	json_object *obj, *o;
	enum json_tokener_error jerr;
	uint64_t seen = 0, missing;
	unsigned unknown = 0;
	size_t end, col;
	enum st_type t;
	int ret = ST_PARSE_ERROR;

	memset(out, 0, sizeof(*out));
	if (!tok) {
		tok = json_tokener_new();
		if (!tok) {
			setreason(reason, rlen, "out of memory");
			return ST_PARSE_ERROR;
		}
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	}
	json_tokener_reset(tok);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!obj) {
		if (jerr == json_tokener_continue)
			setreason(reason, rlen, "bad JSON: line ends inside a value");
		else
			setreason(reason, rlen, "bad JSON: %s at column %zu", json_tokener_error_desc(jerr),
				  json_tokener_get_parse_end(tok) + 1);
		/* json_tokener_reset() keeps the high surrogate of an unfinished
		 * "\ud8xx" escape (json-c 0.16, 0.17): the next line's first \u
		 * escape would read as U+FFFD + itself.  Start afresh. */
		json_tokener_free(tok);
		tok = NULL;
		return ST_PARSE_ERROR;
	}
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (!is_ws(line[end]))
			break;
	if (end < len) {
		setreason(reason, rlen, "bad JSON: trailing characters at column %zu", end + 1);
		goto out;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		setreason(reason, rlen, "bad JSON: expected an object, got %s", jtype_name(obj));
		goto out;
	}
	col = big_int_column(line, len);
	if (col) {
		setreason(reason, rlen, "integer out of range at column %zu (a log holds integers "
			  "from -2^63 to 2^64-1)", col);
		goto out;
	}
	if (!json_object_object_get_ex(obj, "type", &o)) {
		setreason(reason, rlen, "missing field \"type\"");
		goto out;
	}
	if (!json_object_is_type(o, json_type_string)) {
		setreason(reason, rlen, "\"type\": expected a string, got %s", jtype_name(o));
		goto out;
	}
	t = jstr(o) ? st_type_from_name(jstr(o)) : ST_UNKNOWN;
	if (t == ST_HEADER) {
		ret = parse_header(obj, out, reason, rlen, info);
		goto out;
	}
	if (t == ST_MEMCG) {
		out->type = ST_MEMCG;
		ret = parse_memcg(obj, reason, rlen, info);
		goto out;
	}
	if (t == ST_STACK) {
		out->type = ST_STACK;
		ret = parse_stack(obj, reason, rlen, info);
		goto out;
	}
	if (t == ST_UNKNOWN || t == ST_VIOLATION) {
		setreason(reason, rlen, "%.64s", jstr(o) ? jstr(o) : "(a name with a NUL byte)");
		ret = ST_PARSE_SKIP;
		goto out;
	}
	out->type = t;
	/* one pass over the object's members (cheaper than a lookup per field) */
	json_object_object_foreach(obj, key, val) {
		const struct st_field *f = st_field_by_key(key, strlen(key));

		if (!f) {
			if (strcmp(key, "type") != 0)
				unknown++;
			continue;
		}
		if (store(out, f, val, reason, rlen))
			goto out;
		seen |= FB(f - st_fields);
	}
	missing = required_of(t) & ~seen;
	if (missing) {
		int f = __builtin_ctzll(missing);

		setreason(reason, rlen, "%s: missing field \"%s\"", st_type_name(t), st_fields[f].key);
		goto out;
	}
	if (info)
		info->unknown_fields = unknown;
	ret = ST_PARSE_EVENT;
out:
	json_object_put(obj);
	return ret;
}

/* An empty st_parse_info: every member zero but the large frames[] (only
 * frames[0]), which is written only for a stack line: zeroing its 5.6 KiB on
 * every line was a sixth of replay's time. */
_Static_assert(sizeof(struct st_parse_info) - (offsetof(struct st_parse_info, frames) +
						       ST_STACK_TEXT) < 8,
	       "frames[] must be st_parse_info's last member");

static void info_clear(struct st_parse_info *info)
{
	memset(info, 0, offsetof(struct st_parse_info, frames));
	info->frames[0] = '\0';
}

int st_parse_line_info(const char *line, size_t len, struct st_rec *out,
		       char *reason, size_t rlen, struct st_parse_info *info)
{
	unsigned unknown = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (info)
		info_clear(info);
	if (reason && rlen)
		reason[0] = '\0';
	for (i = 0; i < len && is_ws(line[i]); i++)
		;
	if (i == len)
		return ST_PARSE_BLANK;
	if (len > ST_LINE_MAX) {
		setreason(reason, rlen, "line longer than %d bytes", ST_LINE_MAX);
		return ST_PARSE_ERROR;
	}
	if (memchr(line, '\0', len)) {
		setreason(reason, rlen, "bad JSON: NUL byte in line");
		return ST_PARSE_ERROR;
	}
	if (fast_parse(line, line + len, out, &unknown) == FAST_OK) {
		if (info)
			info->unknown_fields = unknown;
		return ST_PARSE_EVENT;
	}
	return parse_general(line, len, out, reason, rlen, info);
}

int st_parse_line_general(const char *line, size_t len, struct st_rec *out, char *reason,
			  size_t rlen, struct st_parse_info *info)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (info)
		info_clear(info);
	for (i = 0; i < len && is_ws(line[i]); i++)
		;
	if (i == len)
		return ST_PARSE_BLANK;
	if (len > ST_LINE_MAX || memchr(line, '\0', len)) {
		setreason(reason, rlen, "bad line");
		return ST_PARSE_ERROR;
	}
	return parse_general(line, len, out, reason, rlen, info);
}

int st_parse_line(const char *line, size_t len, struct st_rec *out,
		  char *reason, size_t reason_len)
{
	return st_parse_line_info(line, len, out, reason, reason_len, NULL);
}

/* ---- files ------------------------------------------------------------- */

/* Bytes read from the file at a time; a line may span reads. */
#define READ_CHUNK (64 * 1024)

struct st_log {
	FILE *f;
	bool borrowed;		/* stdin or the caller's stream: not closed here */
	char *path;
	char *buf;		/* ST_LINE_MAX + READ_CHUNK bytes */
	size_t head, tail;	/* unread bytes are buf[head, tail) */
	bool eof;
	uint64_t lineno;
	struct st_log_stats st;
	char kernel[64], backend[32];
	char run[40];		/* the header's "run", "" when none */
	int part;		/* the header's "part", 0 when none */
	unsigned list_offset;
	uint64_t start_ts;	/* the header's start_ts, 0 when none */
	bool runs;		/* st_log_split_runs(): a new run is reported */
	bool memcgs;		/* st_log_want_memcgs(): memcg lines are returned */
	bool stacks;		/* st_log_want_stacks(): stack lines are returned */
	int stack_id;		/* the last stack line */
	char *frames;		/* ST_STACK_TEXT bytes: its frames */
	bool stats_only, filtered;	/* the header's mode and filters */
	char walk_mech[16], shrink_mech[16];
	uint64_t memcg, memcg_id;	/* the last memcg line */
	char memcg_path[256];
	uint64_t run_events;	/* events since the last header */
	unsigned nruns;		/* runs started (1 once anything is read) */
	char err[512];
	char warn[512];
};

static struct st_log *log_new(FILE *f, const char *name, bool borrowed, char *err, size_t err_len)
{
	struct st_log *lg = calloc(1, sizeof(*lg));

	/* the name as every message shows it: safe for a terminal */
	if (lg && (lg->path = malloc(strlen(name) + 1)))
		st_clean_text(lg->path, strlen(name) + 1, name);
	if (!lg || !lg->path || !(lg->buf = malloc(ST_LINE_MAX + READ_CHUNK + 1))) {
		setreason(err, err_len, "%s: %s", name, strerror(ENOMEM));
		if (lg)
			free(lg->path);
		free(lg);
		return NULL;
	}
	lg->f = f;
	lg->borrowed = borrowed;
	return lg;
}

struct st_log *st_log_open(const char *path, char *err, size_t err_len)
{
	struct st_log *lg;
	struct stat st;
	FILE *f;

	if (strcmp(path, "-") == 0)
		return log_new(stdin, "<stdin>", true, err, err_len);
	f = fopen(path, "r");
	if (!f) {
		int e = errno;
		char shown[256];

		st_clean_text(shown, sizeof(shown), path);
		setreason(err, err_len, "%s: %s", shown, strerror(e));
		return NULL;
	}
	if (!fstat(fileno(f), &st) && S_ISDIR(st.st_mode)) {
		char shown[256];

		st_clean_text(shown, sizeof(shown), path);
		setreason(err, err_len, "%s: is a directory: give a log file written by "
			  "`shrinktrace -o FILE`", shown);
		fclose(f);
		return NULL;
	}
	lg = log_new(f, path, false, err, err_len);
	if (!lg)
		fclose(f);
	return lg;
}

struct st_log *st_log_open_stream(FILE *f, const char *name, char *err, size_t err_len)
{
	return log_new(f, name, true, err, err_len);
}

void st_log_split_runs(struct st_log *lg, bool on)
{
	lg->runs = on;
}

void st_log_want_memcgs(struct st_log *lg, bool on)
{
	lg->memcgs = on;
}

void st_log_want_stacks(struct st_log *lg, bool on)
{
	lg->stacks = on;
}

void st_log_stack(const struct st_log *lg, int *id, const char **frames)
{
	*id = lg->stack_id;
	*frames = lg->frames ? lg->frames : "";
}

void st_log_memcg(const struct st_log *lg, uint64_t *memcg, uint64_t *id, const char **path)
{
	*memcg = lg->memcg;
	*id = lg->memcg_id;
	*path = lg->memcg_path;
}

/* The next line into *line and *n (without its '\n'; *cut: it had none, the file
 * ended first).  1 with a line, 0 at end of file, -1 on a read error or a
 * line longer than ST_LINE_MAX (lg->err says which). */
static int next_line(struct st_log *lg, const char **line, size_t *n, bool *cut)
{
	for (;;) {
		char *nl = memchr(lg->buf + lg->head, '\n', lg->tail - lg->head);
		size_t got;

		if (nl) {
			*line = lg->buf + lg->head;
			*n = (size_t)(nl - *line);
			*cut = false;
			lg->head += *n + 1;
			return 1;
		}
		if (lg->tail - lg->head > ST_LINE_MAX) {
			snprintf(lg->err, sizeof(lg->err), "%s:%" PRIu64 ": line longer than %d bytes "
				 "(not a shrinktrace log, or a damaged one)", lg->path, lg->lineno + 1,
				 ST_LINE_MAX);
			return -1;
		}
		if (lg->eof) {
			if (lg->head == lg->tail)
				return 0;
			*line = lg->buf + lg->head;
			*n = lg->tail - lg->head;
			*cut = true;
			lg->head = lg->tail;
			return 1;
		}
		/* move what is left to the front, then read more behind it */
		if (lg->head) {
			memmove(lg->buf, lg->buf + lg->head, lg->tail - lg->head);
			lg->tail -= lg->head;
			lg->head = 0;
		}
		got = fread(lg->buf + lg->tail, 1, READ_CHUNK, lg->f);
		lg->tail += got;
		if (got < READ_CHUNK) {
			if (ferror(lg->f)) {
				snprintf(lg->err, sizeof(lg->err), "%s:%" PRIu64 ": read error: %s",
					 lg->path, lg->lineno + 1, strerror(errno ? errno : EIO));
				return -1;
			}
			if (feof(lg->f))
				lg->eof = true;
		}
	}
}

int st_log_next(struct st_log *lg, struct st_rec *out)
{
	char reason[384];
	struct st_parse_info info;
	const char *line;
	size_t n;
	bool cut;
	int rc;

	for (;;) {
		errno = 0;
		rc = next_line(lg, &line, &n, &cut);
		if (rc <= 0)
			return rc;
		lg->lineno++;
		lg->st.lines++;
		rc = st_parse_line_info(line, n, out, reason, sizeof(reason), &info);
		if (cut && rc == ST_PARSE_ERROR) {
			/* a writer killed mid-line (or a log cut by hand): the
			 * events before it stand */
			snprintf(lg->warn, sizeof(lg->warn), "%s:%" PRIu64 ": warning: the last line is "
				 "cut short (no newline at the end of the file): ignored; the %" PRIu64
				 " event%s before it %s used", lg->path, lg->lineno, lg->st.events,
				 lg->st.events == 1 ? "" : "s", lg->st.events == 1 ? "is" : "are");
			lg->st.cut_tail = 1;
			return 0;
		}
		switch (rc) {
		case ST_PARSE_EVENT:
			lg->st.events++;
			lg->run_events++;
			lg->st.unknown_fields += info.unknown_fields;
			if (!lg->nruns)
				lg->nruns = 1;
			return 1;
		case ST_PARSE_HEADER: {
			/* a continuation: the next part of the same run (rotation) */
			bool cont = lg->run[0] && info.run[0] && !strcmp(lg->run, info.run) &&
				    info.part == lg->part + 1;

			lg->st.headers++;
			if (lg->run_events && !cont) {
				if (!lg->runs) {
					snprintf(lg->err, sizeof(lg->err), "%s:%" PRIu64 ": a second log "
						 "starts here (a header after events): replay reads each "
						 "log as a run of its own", lg->path, lg->lineno);
					return -1;
				}
				rc = ST_LOG_NEW_RUN;
			}
			memcpy(lg->kernel, info.kernel, sizeof(lg->kernel));
			memcpy(lg->backend, info.backend, sizeof(lg->backend));
			memcpy(lg->run, info.run, sizeof(lg->run));
			lg->part = info.part;
			if (!cont) {
				lg->list_offset = info.list_offset > 0 ? (unsigned)info.list_offset : 0;
				lg->start_ts = out->ts;
				lg->stats_only = info.stats_only;
				lg->filtered = info.filtered;
				memcpy(lg->walk_mech, info.walk_mech, sizeof(lg->walk_mech));
				memcpy(lg->shrink_mech, info.shrink_mech, sizeof(lg->shrink_mech));
			}
			if (!lg->nruns)
				lg->nruns = 1;
			if (rc == ST_LOG_NEW_RUN) {
				lg->nruns++;
				lg->run_events = 0;
				return ST_LOG_NEW_RUN;
			}
			break;
		}
		case ST_PARSE_MEMCG:
			lg->st.memcgs++;
			if (!lg->memcgs)
				break;
			lg->memcg = info.memcg;
			lg->memcg_id = info.memcg_id;
			memcpy(lg->memcg_path, info.path, sizeof(lg->memcg_path));
			return ST_LOG_MEMCG;
		case ST_PARSE_STACK:
			lg->st.stacks++;
			if (!lg->stacks)
				break;
			if (!lg->frames && !(lg->frames = malloc(ST_STACK_TEXT))) {
				snprintf(lg->err, sizeof(lg->err), "%s:%" PRIu64 ": out of memory",
					 lg->path, lg->lineno);
				return -1;
			}
			lg->stack_id = info.stack_id;
			memcpy(lg->frames, info.frames, ST_STACK_TEXT);
			return ST_LOG_STACK;
		case ST_PARSE_BLANK:
			lg->st.blank++;
			break;
		case ST_PARSE_SKIP:
			if (strcmp(reason, "violation") == 0)
				lg->st.skipped_violations++;
			else
				lg->st.skipped_types++;
			break;
		default:
			snprintf(lg->err, sizeof(lg->err), "%s:%" PRIu64 ": %s", lg->path, lg->lineno, reason);
			return -1;
		}
	}
}

int st_log_next_line(struct st_log *lg, struct st_log_line *l)
{
	char reason[384];
	bool cut;
	int rc;

	errno = 0;
	rc = next_line(lg, &l->text, &l->len, &cut);
	if (rc <= 0)
		return rc;
	l->lineno = ++lg->lineno;
	lg->st.lines++;
	l->res = st_parse_line_info(l->text, l->len, &l->rec, reason, sizeof(reason), &l->info);
	if (cut && l->res == ST_PARSE_ERROR) {
		snprintf(lg->warn, sizeof(lg->warn), "%s:%" PRIu64 ": warning: the last line is "
			 "cut short (no newline at the end of the file): left out; the %" PRIu64
			 " line%s before it %s used", lg->path, lg->lineno, lg->lineno - 1,
			 lg->lineno == 2 ? "" : "s", lg->lineno == 2 ? "is" : "are");
		lg->st.cut_tail = 1;
		return 0;
	}
	switch (l->res) {
	case ST_PARSE_EVENT:
		lg->st.events++;
		lg->st.unknown_fields += l->info.unknown_fields;
		break;
	case ST_PARSE_HEADER:
		lg->st.headers++;
		break;
	case ST_PARSE_BLANK:
		lg->st.blank++;
		break;
	case ST_PARSE_MEMCG:
		lg->st.memcgs++;
		break;
	case ST_PARSE_STACK:
		lg->st.stacks++;
		break;
	case ST_PARSE_SKIP:
		if (strcmp(reason, "violation") == 0)
			lg->st.skipped_violations++;
		else
			lg->st.skipped_types++;
		break;
	default:
		snprintf(lg->err, sizeof(lg->err), "%s:%" PRIu64 ": %s", lg->path, lg->lineno, reason);
		return -1;
	}
	return 1;
}

const char *st_log_error(const struct st_log *lg)
{
	return lg->err;
}

const char *st_log_coverage(const struct st_log *lg, char *buf, size_t len)
{
	if (lg->stats_only)
		snprintf(buf, len, "written with --stats-only: the kernel counted the calls and walks, "
			 "the log holds only lifecycle events and a few calls, so the statistics below "
			 "count those only (the tracer's own summary had the kernel's numbers)");
	else if (lg->filtered)
		snprintf(buf, len, "written with filters (the header's \"filters\"): the calls and "
			 "walks they left out are not in the log nor in the statistics below");
	else if (!strcmp(lg->shrink_mech, "tracepoint") || !strcmp(lg->walk_mech, "none"))
		snprintf(buf, len, "written by a backend that sees %s%s%s: those are not in the "
			 "statistics below", !strcmp(lg->walk_mech, "none") ? "no walks" : "",
			 !strcmp(lg->walk_mech, "none") && !strcmp(lg->shrink_mech, "tracepoint") ?
			 " and " : "", !strcmp(lg->shrink_mech, "tracepoint") ?
			 "no do_shrink_slab() call whose count_objects() returned 0 or SHRINK_EMPTY" : "");
	else
		return NULL;
	return buf;
}

const char *st_log_warning(const struct st_log *lg)
{
	return lg->warn[0] ? lg->warn : NULL;
}

const struct st_log_stats *st_log_get_stats(const struct st_log *lg)
{
	return &lg->st;
}

const char *st_log_kernel(const struct st_log *lg)
{
	return lg->kernel;
}

const char *st_log_backend(const struct st_log *lg)
{
	return lg->backend;
}

unsigned st_log_list_offset(const struct st_log *lg)
{
	return lg->list_offset;
}

uint64_t st_log_start_ts(const struct st_log *lg)
{
	return lg->start_ts;
}

unsigned st_log_run(const struct st_log *lg)
{
	return lg->nruns ? lg->nruns : 1;
}

void st_log_close(struct st_log *lg)
{
	if (!lg)
		return;
	if (lg->f && !lg->borrowed)
		fclose(lg->f);
	free(lg->buf);
	free(lg->path);
	free(lg->frames);
	free(lg);
}
