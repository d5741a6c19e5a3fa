/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sinks/jsonl.h - the shrinktrace/1 event log as a sink (docs/event-log.md):
 * the header at the run's begin, every event, every violation; or, for
 * `replay --format jsonl`, the violation records alone.
 */
#ifndef ST_SINK_JSONL_H
#define ST_SINK_JSONL_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "sinks/sink.h"

#define JSONL_VIOLATIONS_ONLY	(1u << 0)	/* no header, no events */

/* A log writer on f (borrowed: never closed here; a whole-line stream of
 * log/outfile.h, so what reaches the file is whole lines).  Each tick
 * flushes it (st_output_flush()) so that the log can be followed while the
 * trace runs.  NULL on ENOMEM. */
struct sink *jsonl_sink_new(FILE *f, unsigned flags);

/* --rotate SIZE[,KEEP] of -o FILE: before a line would take the file past
 * max_bytes, the file is closed and renamed FILE.1 (FILE.1 becomes FILE.2,
 * ... up to FILE.KEEP; the oldest beyond KEEP is overwritten) and a new FILE
 * begins with a header of the same "run" and the next "part".  Lines are
 * never split and every file has a header, so `replay FILE*` (in any order:
 * front/replay.c's plan_runs()), or their concatenation oldest first, reads one
 * run. */
struct jsonl_rotate {
	const char *path;		/* -o FILE (borrowed: must outlive the sink) */
	mode_t mode;			/* of every new file */
	uint64_t max_bytes;		/* >= JSONL_ROTATE_MIN */
	unsigned keep;			/* rotated files kept, 1..JSONL_ROTATE_MAX_KEEP */
};
#define JSONL_ROTATE_MIN 4096
#define JSONL_ROTATE_MAX_KEEP 1000
#define JSONL_ROTATE_DEFAULT_KEEP 5

/* A rotating log writer that begins on f, a FILE from st_output_create()
 * that the caller commits (st_output_commit()) before the first event; f is
 * owned from now on: it and every later file (each a fresh inode, committed
 * at once) are closed by the sink, at finish or free; close errors count as
 * write errors.  NULL on ENOMEM (f is then not closed). */
struct sink *jsonl_sink_new_rotating(FILE *f, const struct jsonl_rotate *rot);

/* Parse "SIZE[,KEEP]" (SIZE in bytes with an optional K, M or G suffix);
 * 0, or -1 with a reason in why. */
int jsonl_parse_rotate(const char *s, struct jsonl_rotate *rot, char *why, size_t len);

#endif /* ST_SINK_JSONL_H */
