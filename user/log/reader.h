/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log/reader.h - reader of the shrinktrace/1 event log (docs/event-log.md).
 *
 * Rules: bad JSON, a missing or mistyped required field, or a bad pointer
 * string is an error; unknown event types, unknown fields, `violation`
 * records and blank lines are skipped (and counted); a header is optional.
 */
#ifndef ST_LOGREAD_H
#define ST_LOGREAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log/event.h"

/* st_parse_line() results. */
enum st_parse_res {
	ST_PARSE_ERROR = -1,	/* reason says why */
	ST_PARSE_EVENT = 0,	/* *out holds an event */
	ST_PARSE_HEADER = 1,	/* a valid header line (out->type = ST_HEADER, ts = start_ts) */
	ST_PARSE_BLANK = 2,	/* empty or whitespace-only line */
	ST_PARSE_SKIP = 3,	/* unknown event type or violation record: ignored */
};

/* Details of one parsed line beyond the record. */
struct st_parse_info {
	unsigned unknown_fields;	/* fields this reader does not know (ignored) */
	char kernel[64];		/* ST_PARSE_HEADER: "kernel" (truncated) */
	char backend[32];		/* ST_PARSE_HEADER: "backend" (truncated) */
	int list_offset;		/* ST_PARSE_HEADER: "list_offset", -1 when absent */
};

/*
 * Parse one line (len bytes, need not be NUL-terminated, may end in "\n")
 * into *out.  reason (reason_len bytes, may be 0) receives a message for
 * ST_PARSE_ERROR and the skipped type name for ST_PARSE_SKIP.  Never reads
 * beyond line[len - 1]; safe on any input.  Not thread-safe (one tokener
 * per thread would be needed; it keeps a static one).
 */
int st_parse_line(const char *line, size_t len, struct st_rec *out,
		  char *reason, size_t reason_len);
/* The same, also filling *info (may be NULL). */
int st_parse_line_info(const char *line, size_t len, struct st_rec *out,
		       char *reason, size_t reason_len, struct st_parse_info *info);

/* Parse a kernel pointer string "0x" + hex (1..16 digits; upper case is
 * accepted on input).  Returns 0 or -1. */
int st_parse_ptr(const char *s, uint64_t *out);

/* Counters of one log file. */
struct st_log_stats {
	uint64_t lines;			/* lines read */
	uint64_t events;		/* event records returned */
	uint64_t blank;
	uint64_t headers;
	uint64_t skipped_types;		/* unknown event types */
	uint64_t skipped_violations;	/* "violation" records */
	uint64_t unknown_fields;	/* ignored fields, summed over lines */
};

struct st_log;

/* Open a log: a path, or "-" for stdin (not closed by st_log_close).  On
 * failure returns NULL and writes "PATH: strerror" into err. */
struct st_log *st_log_open(const char *path, char *err, size_t err_len);
/* The same over a stream the caller opened (a pipe, fmemopen() over a buffer);
 * name stands for FILE in errors.  f is not closed by st_log_close. */
struct st_log *st_log_open_stream(FILE *f, const char *name, char *err, size_t err_len);

/* Next event record.  Returns 1 with *out filled, 0 at end of file, -1 on an
 * error: st_log_error() then gives "FILE:LINE: reason" (valid until the next
 * call).  Headers, blank and skipped lines are consumed silently. */
int st_log_next(struct st_log *lg, struct st_rec *out);

const char *st_log_error(const struct st_log *lg);
const struct st_log_stats *st_log_get_stats(const struct st_log *lg);
/* The header's "kernel" and "backend" ("" when the log has no header). */
const char *st_log_kernel(const struct st_log *lg);
const char *st_log_backend(const struct st_log *lg);
/* The header's "list_offset" (offsetof(struct shrinker, list) in the traced
 * kernel, bytes): snapshot `next`/`prev` values are raw list_head pointers.
 * 0 when the log has no header or no such field (then `next` is taken to name
 * the shrinker itself, as in hand-written logs). */
unsigned st_log_list_offset(const struct st_log *lg);
/* The header's "start_ts" (ns, CLOCK_MONOTONIC), 0 when the log has no header
 * or the header has none. */
uint64_t st_log_start_ts(const struct st_log *lg);

void st_log_close(struct st_log *lg);

#endif /* ST_LOGREAD_H */
