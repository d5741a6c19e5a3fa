/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log/reader.c - shrinktrace/1 log reader on json-c.
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

#include "log/writer.h"
#include "log/reader.h"

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

int st_parse_ptr(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -1;
	for (s += 2; *s; s++, n++) {
		unsigned c = (unsigned char)*s, d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		if (n >= 16)
			return -1;
		v = (v << 4) | d;
	}
	if (n == 0)
		return -1;
	*out = v;
	return 0;
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

/* A JSON string's value, or NULL when it holds a NUL byte ("\u0000"): such a
 * value is none of the format's names, though strcmp() would see its prefix. */
static const char *jstr(json_object *o)
{
	const char *s = json_object_get_string(o);

	return strlen(s) == (size_t)json_object_get_string_len(o) ? s : NULL;
}

enum ftype { F_PTR, F_U64, F_INT, F_STR, F_FREED, F_BOOL, F_EVID };

/* The fields this reader knows, with where they go. */
enum fid {
	FI_TS, FI_CPU, FI_PID, FI_COMM, FI_INFERRED, FI_DEFERRED,
	FI_SHRINKER, FI_NAME, FI_FLAGS, FI_ID, FI_NID, FI_MEMCG, FI_PRIORITY,
	FI_NR_TO_SCAN, FI_REFCOUNT, FI_NEXT, FI_PREV, FI_FREED, FI_DURATION,
	FI_COUNT, FI_EARLIEST, FI_EVIDENCE, FI_N,
};

static const struct field {
	const char *key;
	enum ftype t;
	int64_t min, max;	/* F_INT range */
} fields[FI_N] = {
	[FI_TS] = { "ts", F_U64, 0, 0 },
	[FI_CPU] = { "cpu", F_INT, 0, INT_MAX },
	[FI_PID] = { "pid", F_INT, 0, INT_MAX },
	[FI_COMM] = { "comm", F_STR, 0, 0 },
	[FI_INFERRED] = { "inferred", F_BOOL, 0, 0 },
	[FI_DEFERRED] = { "deferred", F_BOOL, 0, 0 },
	[FI_SHRINKER] = { "shrinker", F_PTR, 0, 0 },
	[FI_NAME] = { "name", F_STR, 0, 0 },
	[FI_FLAGS] = { "flags", F_INT, 0, UINT32_MAX },
	[FI_ID] = { "id", F_INT, -1, INT_MAX },
	[FI_NID] = { "nid", F_INT, -1, INT_MAX },
	[FI_MEMCG] = { "memcg", F_PTR, 0, 0 },
	[FI_PRIORITY] = { "priority", F_INT, INT_MIN, INT_MAX },
	[FI_NR_TO_SCAN] = { "nr_to_scan", F_U64, 0, 0 },
	[FI_REFCOUNT] = { "refcount", F_INT, INT_MIN, INT_MAX },
	[FI_NEXT] = { "next", F_PTR, 0, 0 },
	[FI_PREV] = { "prev", F_PTR, 0, 0 },
	[FI_FREED] = { "freed", F_FREED, 0, 0 },
	[FI_DURATION] = { "duration_ns", F_U64, 0, 0 },
	[FI_COUNT] = { "count", F_U64, 0, 0 },
	[FI_EARLIEST] = { "earliest_ts", F_U64, 0, 0 },
	[FI_EVIDENCE] = { "evidence", F_EVID, 0, 0 },
};

#define B(f) (1u << (f))
#define COMMON (B(FI_TS) | B(FI_CPU) | B(FI_PID) | B(FI_COMM))

/* Required fields per event type (beyond COMMON); the rest are optional. */
static const uint32_t required[ST_NTYPES] = {
	[ST_SHRINKER_ALLOC] = B(FI_SHRINKER),
	[ST_SHRINKER_REGISTER] = B(FI_SHRINKER),
	[ST_WALK_BEGIN] = B(FI_NID) | B(FI_MEMCG) | B(FI_PRIORITY),
	[ST_WALK_END] = B(FI_FREED),
	[ST_SHRINK_BEGIN] = B(FI_SHRINKER),
	[ST_SHRINK_END] = B(FI_SHRINKER) | B(FI_FREED),
	[ST_FREE_BEGIN] = B(FI_SHRINKER),
	[ST_FREE_END] = B(FI_SHRINKER),
	[ST_RCU_FREE] = B(FI_SHRINKER),
	[ST_LOST] = B(FI_COUNT),
};

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

/* Store field f of value o into r; 0 or -1 with reason. */
static int store(struct st_rec *r, enum fid f, json_object *o, char *reason, size_t rlen)
{
	const struct field *fd = &fields[f];
	uint64_t u = 0;
	int64_t i = 0;
	const char *s;

	switch (fd->t) {
	case F_PTR:
		if (!json_object_is_type(o, json_type_string)) {
			setreason(reason, rlen, "\"%s\": expected a pointer string \"0x...\", got %s",
				  fd->key, jtype_name(o));
			return -1;
		}
		s = json_object_get_string(o);
		if (strlen(s) != (size_t)json_object_get_string_len(o) || st_parse_ptr(s, &u)) {
			setreason(reason, rlen, "\"%s\": bad pointer string (want \"0x\" + 1..16 hex digits)",
				  fd->key);
			return -1;
		}
		break;
	case F_FREED:
		if (json_object_is_type(o, json_type_string)) {
			s = jstr(o);
			if (!s || strcmp(s, "empty") != 0) {
				setreason(reason, rlen, "\"%s\": expected an integer or \"empty\"", fd->key);
				return -1;
			}
			u = ST_FREED_EMPTY;
			break;
		}
		/* fall through */
	case F_U64:
		if (!json_object_is_type(o, json_type_int)) {
			setreason(reason, rlen, "\"%s\": expected an integer, got %s", fd->key, jtype_name(o));
			return -1;
		}
		if (json_object_get_int64(o) < 0) {
			setreason(reason, rlen, "\"%s\": must not be negative", fd->key);
			return -1;
		}
		errno = 0;
		u = json_object_get_uint64(o);
		break;
	case F_INT:
		if (!json_object_is_type(o, json_type_int)) {
			setreason(reason, rlen, "\"%s\": expected an integer, got %s", fd->key, jtype_name(o));
			return -1;
		}
		i = json_object_get_int64(o);
		if (i < fd->min || i > fd->max || (i == INT64_MAX && json_object_get_uint64(o) != INT64_MAX)) {
			setreason(reason, rlen, "\"%s\": %s out of range [%" PRId64 ", %" PRId64 "]",
				  fd->key, json_object_get_string(o), fd->min, fd->max);
			return -1;
		}
		break;
	case F_STR:
		if (!json_object_is_type(o, json_type_string)) {
			setreason(reason, rlen, "\"%s\": expected a string, got %s", fd->key, jtype_name(o));
			return -1;
		}
		break;
	case F_BOOL:
		if (!json_object_is_type(o, json_type_boolean)) {
			setreason(reason, rlen, "\"%s\": expected true or false, got %s", fd->key, jtype_name(o));
			return -1;
		}
		break;
	case F_EVID:
		if (!json_object_is_type(o, json_type_string)) {
			setreason(reason, rlen, "\"%s\": expected a string, got %s", fd->key, jtype_name(o));
			return -1;
		}
		/* a value this reader does not know (a newer writer's) is ignored */
		u = st_evidence_from_name(jstr(o));
		break;
	}

	switch (f) {
	case FI_TS: r->ts = u; break;
	case FI_CPU: r->cpu = (int)i; break;
	case FI_PID: r->pid = (int)i; break;
	case FI_COMM:
		copy_str(r->comm, sizeof(r->comm), json_object_get_string(o),
			 (size_t)json_object_get_string_len(o));
		break;
	case FI_INFERRED: r->inferred = json_object_get_boolean(o); break;
	case FI_DEFERRED: r->deferred = json_object_get_boolean(o); break;
	case FI_SHRINKER: r->shrinker = u; r->has |= ST_HAS_SHRINKER; break;
	case FI_NAME:
		copy_str(r->name, sizeof(r->name), json_object_get_string(o),
			 (size_t)json_object_get_string_len(o));
		r->has |= ST_HAS_NAME;
		break;
	case FI_FLAGS: r->flags = (uint32_t)i; r->has |= ST_HAS_FLAGS; break;
	case FI_ID: r->id = (int)i; r->has |= ST_HAS_ID; break;
	case FI_NID: r->nid = (int)i; r->has |= ST_HAS_WALK; break;
	case FI_MEMCG: r->memcg = u; r->has |= ST_HAS_WALK; break;
	case FI_PRIORITY: r->priority = (int)i; r->has |= ST_HAS_WALK; break;
	case FI_NR_TO_SCAN: r->nr_to_scan = u; r->has |= ST_HAS_NR_TO_SCAN; break;
	case FI_REFCOUNT: r->refcount = (int)i; r->has |= ST_HAS_REFCOUNT; break;
	case FI_NEXT: r->next = u; r->has |= ST_HAS_SNAPSHOT; break;
	case FI_PREV: r->prev = u; r->has |= ST_HAS_SNAPSHOT; break;
	case FI_FREED: r->freed = u; r->has |= ST_HAS_FREED; break;
	case FI_DURATION: r->duration_ns = u; r->has |= ST_HAS_DURATION; break;
	case FI_COUNT: r->count = u; r->has |= ST_HAS_COUNT; break;
	case FI_EARLIEST: r->earliest_ts = u; r->has |= ST_HAS_EARLIEST; break;
	case FI_EVIDENCE:
		if (u) {
			r->evidence = (unsigned)u;
			r->has |= ST_HAS_EVIDENCE;
		}
		break;
	case FI_N: break;
	}
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
	}
	return ST_PARSE_HEADER;
}

/* The fid of a member name, or -1 for "type" and unknown names. */
static int field_id(const char *key)
{
	int f;

	switch (key[0]) {
	case 't': f = FI_TS; break;
	case 'c': f = key[1] == 'p' ? FI_CPU : key[1] == 'o' && key[2] == 'm' ? FI_COMM : FI_COUNT; break;
	case 'p': f = key[1] == 'i' ? FI_PID : key[1] == 'r' && key[2] == 'i' ? FI_PRIORITY : FI_PREV; break;
	case 'i': f = key[1] == 'd' ? FI_ID : FI_INFERRED; break;
	case 's': f = FI_SHRINKER; break;
	case 'n': f = key[1] == 'a' ? FI_NAME : key[1] == 'i' ? FI_NID : key[1] == 'r' ? FI_NR_TO_SCAN : FI_NEXT; break;
	case 'f': f = key[1] == 'l' ? FI_FLAGS : FI_FREED; break;
	case 'm': f = FI_MEMCG; break;
	case 'r': f = FI_REFCOUNT; break;
	case 'd': f = key[1] == 'e' ? FI_DEFERRED : FI_DURATION; break;
	case 'e': f = key[1] == 'a' ? FI_EARLIEST : FI_EVIDENCE; break;
	default: return -1;
	}
	return strcmp(key, fields[f].key) == 0 ? f : -1;
}

static json_tokener *tok;

int st_parse_line_info(const char *line, size_t len, struct st_rec *out,
		       char *reason, size_t rlen, struct st_parse_info *info)
{
	json_object *obj, *o;
	enum json_tokener_error jerr;
	size_t end, i;
	uint32_t missing;
	unsigned unknown = 0;
	enum st_type t;
	int ret = ST_PARSE_ERROR;

	memset(out, 0, sizeof(*out));
	if (info)
		memset(info, 0, sizeof(*info));
	if (reason && rlen)
		reason[0] = '\0';
	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n'); i++)
		;
	if (i == len)
		return ST_PARSE_BLANK;
	if (len > INT_MAX) {
		setreason(reason, rlen, "line too long");
		return ST_PARSE_ERROR;
	}
	if (memchr(line, '\0', len)) {
		setreason(reason, rlen, "bad JSON: NUL byte in line");
		return ST_PARSE_ERROR;
	}
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
		if (line[end] != ' ' && line[end] != '\t' && line[end] != '\r' && line[end] != '\n')
			break;
	if (end < len) {
		setreason(reason, rlen, "bad JSON: trailing characters at column %zu", end + 1);
		goto out;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		setreason(reason, rlen, "bad JSON: expected an object, got %s", jtype_name(obj));
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
	if (t == ST_UNKNOWN || t == ST_VIOLATION) {
		setreason(reason, rlen, "%.64s", jstr(o) ? jstr(o) : "(a name with a NUL byte)");
		ret = ST_PARSE_SKIP;
		goto out;
	}
	out->type = t;
	missing = COMMON | required[t];
	/* one pass over the object's members (cheaper than a lookup per field) */
	json_object_object_foreach(obj, key, val) {
		int f = field_id(key);

		if (f < 0) {
			if (strcmp(key, "type") != 0)
				unknown++;
			continue;
		}
		if (store(out, (enum fid)f, val, reason, rlen))
			goto out;
		missing &= ~B(f);
	}
	if (missing) {
		int f = __builtin_ctz(missing);

		setreason(reason, rlen, "%s: missing field \"%s\"", st_type_name(t), fields[f].key);
		goto out;
	}
	if (info)
		info->unknown_fields = unknown;
	ret = ST_PARSE_EVENT;
out:
	json_object_put(obj);
	return ret;
}

int st_parse_line(const char *line, size_t len, struct st_rec *out,
		  char *reason, size_t reason_len)
{
	return st_parse_line_info(line, len, out, reason, reason_len, NULL);
}

struct st_log {
	FILE *f;
	bool borrowed;		/* stdin or the caller's stream: not closed here */
	char *path;
	char *line;
	size_t cap;
	uint64_t lineno;
	struct st_log_stats st;
	char kernel[64], backend[32];
	unsigned list_offset;
	uint64_t start_ts;	/* the header's start_ts, 0 when none */
	char err[512];
};

static struct st_log *log_new(FILE *f, const char *name, bool borrowed, char *err, size_t err_len)
{
	struct st_log *lg = calloc(1, sizeof(*lg));

	if (!lg || !(lg->path = strdup(name))) {
		setreason(err, err_len, "%s: %s", name, strerror(ENOMEM));
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
	FILE *f;

	if (strcmp(path, "-") == 0)
		return log_new(stdin, "<stdin>", true, err, err_len);
	f = fopen(path, "r");
	if (!f) {
		setreason(err, err_len, "%s: %s", path, strerror(errno));
		return NULL;
	}
	{
		struct stat st;

		if (!fstat(fileno(f), &st) && S_ISDIR(st.st_mode)) {
			setreason(err, err_len, "%s: is a directory: give a log file written by "
				  "`shrinktrace -o FILE`", path);
			fclose(f);
			return NULL;
		}
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

int st_log_next(struct st_log *lg, struct st_rec *out)
{
	char reason[384];
	struct st_parse_info info;
	ssize_t n;

	for (;;) {
		errno = 0;
		n = getline(&lg->line, &lg->cap, lg->f);
		if (n < 0) {
			if (ferror(lg->f)) {
				snprintf(lg->err, sizeof(lg->err), "%s:%" PRIu64 ": read error: %s",
					 lg->path, lg->lineno + 1, strerror(errno ? errno : EIO));
				return -1;
			}
			return 0;
		}
		lg->lineno++;
		lg->st.lines++;
		switch (st_parse_line_info(lg->line, (size_t)n, out, reason, sizeof(reason), &info)) {
		case ST_PARSE_EVENT:
			lg->st.events++;
			lg->st.unknown_fields += info.unknown_fields;
			return 1;
		case ST_PARSE_HEADER:
			lg->st.headers++;
			memcpy(lg->kernel, info.kernel, sizeof(lg->kernel));
			memcpy(lg->backend, info.backend, sizeof(lg->backend));
			lg->list_offset = info.list_offset > 0 ? (unsigned)info.list_offset : 0;
			lg->start_ts = out->ts;
			break;
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

const char *st_log_error(const struct st_log *lg)
{
	return lg->err;
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

void st_log_close(struct st_log *lg)
{
	if (!lg)
		return;
	if (lg->f && !lg->borrowed)
		fclose(lg->f);
	free(lg->line);
	free(lg->path);
	free(lg);
}
