/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log/writer.h - writer of the shrinktrace/1 event log (docs/event-log.md).
 *
 * Every function formats one complete line, '\n' included, into a caller
 * buffer and NUL-terminates it.  They return the number of bytes written
 * (without the NUL), or -1 when the line does not fit in len bytes (the buffer
 * content is then unspecified).  ST_JSONL_MAX is always enough.
 *
 * Strings (comm, name, detail, ...) are escaped: '"' and '\\' with a backslash,
 * control characters as \u00XX, valid UTF-8 kept as is, and every byte that is
 * not part of valid UTF-8 as \u00XX (its Latin-1 reading), so the output is
 * always valid UTF-8 JSON.  Such a byte reads back as the two-byte UTF-8 of
 * U+0080..U+00FF: exact round trips hold for valid UTF-8 only.
 */
#ifndef ST_JSONL_H
#define ST_JSONL_H

#include <stddef.h>
#include <stdint.h>

#include "log/event.h"

/* Enough for any record: detail (512 bytes, up to 6 output bytes each) + the rest. */
#define ST_JSONL_MAX 8192

/* One event record.  Only the fields whose ST_HAS_* bit is set are written,
 * "inferred":true only when set; pointers as "0x" + lowercase hex;
 * freed == ST_FREED_EMPTY as "empty".  ST_HEADER/ST_VIOLATION/ST_UNKNOWN
 * records are not events: -1. */
int st_jsonl_format_rec(char *buf, size_t len, const struct st_rec *r);

/* One "violation" record (kind, shrinker, name, next when has_next,
 * walker_pid, walker_comm, certain, detail). */
int st_jsonl_format_violation(char *buf, size_t len, const struct st_violation *v);

/* The header line.  kernel/backend may be NULL (written as ""); start_ts in ns;
 * list_offset = offsetof(struct shrinker, list) of the traced kernel in bytes,
 * written as "list_offset" (how to read snapshot next/prev), or -1 to omit it. */
int st_jsonl_format_header(char *buf, size_t len, const char *kernel,
			   const char *backend, uint64_t start_ts, int list_offset);
/* The same, with "redacted": redacted (e.g. "addrs", "all": see log/redact.h)
 * last when redacted is not NULL. */
int st_jsonl_format_header_ext(char *buf, size_t len, const char *kernel, const char *backend,
			       uint64_t start_ts, int list_offset, const char *redacted);
/* The same with "run" (the tracer run's id, NULL: none) and "part" (the
 * file's number in a rotated log, 1, 2, ...; 0: none). */
int st_jsonl_format_header_run(char *buf, size_t len, const char *kernel, const char *backend,
			       uint64_t start_ts, int list_offset, const char *redacted,
			       const char *run, unsigned part);

/* Everything a header can say (st_jsonl_format_header_h()). */
struct st_header {
	const char *kernel, *backend;	/* NULL: "" */
	uint64_t start_ts;		/* ns */
	int list_offset;		/* bytes; -1: not written */
	const char *redacted;		/* NULL: not written */
	const char *run;		/* NULL: not written */
	unsigned part;			/* 0: not written */
	const char *mode;		/* "events" or "stats-only"; NULL: not written */
	unsigned nhooks;		/* "hooks": {"walk":"fentry", ...}; 0: not written */
	const char *const *hook, *const *hook_mech;
	/* "filters": {...} of what the kernel (and --shrinker) left out; written
	 * only when one is set */
	uint32_t pid;
	const char *comm;
	uint64_t memcg_id, min_latency_ns;
	const char *shrinker;
};

/* The header line from h: the fields of st_jsonl_format_header_run(), then
 * "mode", "hooks" and "filters". */
int st_jsonl_format_header_h(char *buf, size_t len, const struct st_header *h);

/* A "memcg" line: what the memcg at kernel address memcg is (its cgroup id,
 * its cgroup path; docs/event-log.md).  Not an event: metadata that the
 * events' "memcg" pointers refer to. */
int st_jsonl_format_memcg(char *buf, size_t len, uint64_t memcg, uint64_t id, const char *path);

/* A "stack" line (--stacks): the kernel stack whose id walk_begin records
 * carry as stack_id; frames: "function+0xoff" names joined with ';',
 * innermost first (the caller of shrink_slab() first).  Returns the length
 * or -1 (buf too small). */
int st_jsonl_format_stack(char *buf, size_t len, int id, const char *frames);

/* Escape src (at most srclen bytes, stops at NUL) as the body of a JSON string
 * (no quotes) into buf.  Returns bytes written without the NUL, or -1 when it
 * does not fit. */
int st_json_escape(char *buf, size_t len, const char *src, size_t srclen);

#endif /* ST_JSONL_H */
