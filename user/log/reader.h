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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log/event.h"

/* The longest line a log may hold, bytes (the tracer's longest is under
 * ST_JSONL_MAX, 8 KiB): longer is an error, so that memory stays bounded
 * whatever the input (an endless line, /dev/zero). */
#define ST_LINE_MAX (1024 * 1024)

/* st_parse_line() results. */
enum st_parse_res {
	ST_PARSE_ERROR = -1,	/* reason says why */
	ST_PARSE_EVENT = 0,	/* *out holds an event */
	ST_PARSE_HEADER = 1,	/* a valid header line (out->type = ST_HEADER, ts = start_ts) */
	ST_PARSE_BLANK = 2,	/* empty or whitespace-only line */
	ST_PARSE_SKIP = 3,	/* unknown event type or violation record: ignored */
	ST_PARSE_MEMCG = 4,	/* a "memcg" line: info->memcg, memcg_id, path */
	ST_PARSE_STACK = 5,	/* a "stack" line: info->stack_id, frames */
};

/* Details of one parsed line beyond the record. */
struct st_parse_info {
	unsigned unknown_fields;	/* fields this reader does not know (ignored) */
	char kernel[64];		/* ST_PARSE_HEADER: "kernel" (truncated) */
	char backend[32];		/* ST_PARSE_HEADER: "backend" (truncated) */
	int list_offset;		/* ST_PARSE_HEADER: "list_offset", -1 when absent */
	char run[40];			/* ST_PARSE_HEADER: "run" (the id of one tracer run,
					 * shared by the files of a rotated log), "" if none */
	int part;			/* ST_PARSE_HEADER: "part" (1, 2, ... of a rotated
					 * log), 0 when absent */
	/* ST_PARSE_HEADER: how the log was made (docs/event-log.md) */
	bool stats_only;		/* "mode": "stats-only" */
	bool filtered;			/* "filters" present */
	char walk_mech[16], shrink_mech[16];	/* "hooks": walk, shrink; "" absent */
	uint64_t memcg, memcg_id;	/* ST_PARSE_MEMCG: the memcg's address, cgroup id */
	char path[256];			/* ST_PARSE_MEMCG: its cgroup path (cut) */
	int stack_id;			/* ST_PARSE_STACK: its id (walk_begin's stack_id) */
	char frames[ST_STACK_TEXT];	/* ST_PARSE_STACK: the frames joined with ';',
					 * innermost first (a ';' inside one becomes '?') */
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

/* The same through json-c only, never the fast path: for the tests and the
 * fuzz target, which check that both read every line alike. */
int st_parse_line_general(const char *line, size_t len, struct st_rec *out, char *reason,
			  size_t reason_len, struct st_parse_info *info);

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
	uint64_t memcgs;		/* "memcg" lines */
	uint64_t stacks;		/* "stack" lines */
	uint64_t cut_tail;		/* 1 when the last line had no newline and did not
					 * parse: ignored (st_log_warning() says so) */
};

struct st_log;

/* Open a log: a path, or "-" for stdin (not closed by st_log_close).  On
 * failure returns NULL and writes "PATH: strerror" into err. */
struct st_log *st_log_open(const char *path, char *err, size_t err_len);
/* The same over a stream the caller opened (a pipe, fmemopen() over a buffer);
 * name stands for FILE in errors.  f is not closed by st_log_close. */
struct st_log *st_log_open_stream(FILE *f, const char *name, char *err, size_t err_len);

/* st_log_next(): a header after events starts a new run (below). */
#define ST_LOG_NEW_RUN 2

/* Next event record.  Returns 1 with *out filled, 0 at end of file, -1 on an
 * error: st_log_error() then gives "FILE:LINE: reason" (valid until the next
 * call).  Headers, blank and skipped lines are consumed silently, with two
 * exceptions:
 *   - a header after events that does not continue the same run (the next
 *     "part" of the same "run": a rotated log) begins another log (two logs
 *     concatenated, `cat a b | replay -`).  By default that is an error;
 *     after st_log_split_runs(lg, true) it returns ST_LOG_NEW_RUN instead,
 *     once, with the new header's values in st_log_kernel() etc.: the caller
 *     finishes the run so far and starts an independent one.
 *   - a last line without a newline that does not parse (a writer killed
 *     mid-line) ends the file: 0, with st_log_warning() saying so.
 * Lines longer than ST_LINE_MAX are an error ("line longer than N bytes"). */
int st_log_next(struct st_log *lg, struct st_rec *out);

/* One line of a log as it is, for a rewriter (`shrinktrace redact`). */
struct st_log_line {
	const char *text;		/* its bytes without the '\n' (not NUL-terminated),
					 * valid until the next call */
	size_t len;
	int res;			/* ST_PARSE_EVENT, _HEADER, _BLANK or _SKIP */
	struct st_rec rec;		/* the record (event; header: type ST_HEADER) */
	struct st_parse_info info;
	uint64_t lineno;		/* 1 for the first line */
};

/* The next line with what st_parse_line_info() makes of it: 1 with *l
 * filled, 0 at end of file, -1 on an error (st_log_error(): "FILE:LINE:
 * reason", a malformed line among them).  The same bounds as st_log_next()
 * (ST_LINE_MAX, a cut last line that does not parse ends the file with
 * st_log_warning()); headers are returned as lines, with no run logic; the
 * counters of st_log_get_stats() are kept. */
int st_log_next_line(struct st_log *lg, struct st_log_line *l);

/* Report a header after events as ST_LOG_NEW_RUN rather than an error. */
void st_log_split_runs(struct st_log *lg, bool on);

/* st_log_next(): a "memcg" line was read (after st_log_want_memcgs()). */
#define ST_LOG_MEMCG 3

/* Return "memcg" lines as ST_LOG_MEMCG (their values in st_log_memcg())
 * rather than skipping them. */
void st_log_want_memcgs(struct st_log *lg, bool on);

/* The last "memcg" line's values: address, cgroup id, path (valid until the
 * next st_log_next()). */
void st_log_memcg(const struct st_log *lg, uint64_t *memcg, uint64_t *id, const char **path);

/* st_log_next(): a "stack" line was read (after st_log_want_stacks()). */
#define ST_LOG_STACK 4

/* Return "stack" lines as ST_LOG_STACK (their values in st_log_stack())
 * rather than skipping them. */
void st_log_want_stacks(struct st_log *lg, bool on);

/* The last "stack" line: its id and frames (';'-joined, innermost first;
 * valid until the next st_log_next()). */
void st_log_stack(const struct st_log *lg, int *id, const char **frames);

/* Runs begun so far: 1 for the first (also before anything is read). */
unsigned st_log_run(const struct st_log *lg);

/* When the log cannot give the full statistics of the run (its header says
 * --stats-only, filters, or a backend that sees no walks or not every call):
 * one sentence saying so, into buf; NULL when it can (or has no header). */
const char *st_log_coverage(const struct st_log *lg, char *buf, size_t len);

/* One line about input that was tolerated (a cut last line), or NULL. */
const char *st_log_warning(const struct st_log *lg);

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
