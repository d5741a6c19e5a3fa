/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sinks/export.h - the formats of `shrinktrace --format F -o FILE` and of
 * `shrinktrace replay --format F`, behind one interface for the callers:
 * CSV (sinks/csv.h) and Perfetto / Chrome trace-event JSON
 * (sinks/perfetto.h).  The JSON Lines log itself is written by front/main.c with
 * log/writer.h.
 */
#ifndef ST_EXPORT_H
#define ST_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "log/event.h"

enum st_export_fmt {
	ST_EXPORT_JSONL = 0,	/* the shrinktrace/1 log (not handled here) */
	ST_EXPORT_CSV,
	ST_EXPORT_PERFETTO,
};

/* "jsonl", "csv", "perfetto" -> format; -1 when name is none of them. */
int st_export_fmt_parse(const char *name);
const char *st_export_fmt_name(enum st_export_fmt fmt);

struct st_export;

/* A writer of fmt (CSV or PERFETTO) on f (borrowed: never closed here).
 * NULL with errno EINVAL for ST_EXPORT_JSONL, ENOMEM on allocation failure. */
struct st_export *st_export_new(enum st_export_fmt fmt, FILE *f);
/* The log's header: kernel, backend (may be NULL), start_ts (ns, 0 = none).
 * Call before the first event; later calls are ignored. */
void st_export_header(struct st_export *e, const char *kernel, const char *backend,
		      uint64_t start_ts);
/* Write the beginning of the output now (CSV: the header row; Perfetto: "["
 * and the process metadata, time zero at the header's start_ts) rather than
 * with the first event: for a live trace, so that even a tracer killed before
 * any event leaves a loadable file.  Not for logs whose events may precede
 * their header's start_ts. */
void st_export_begin(struct st_export *e);
/* Events in timestamp order (the correlator's on_event), violations as found. */
void st_export_event(struct st_export *e, const struct st_rec *r);
void st_export_violation(struct st_export *e, const struct st_violation *v);
/* End of the trace: close what is open, the closing "]" of a Perfetto trace.
 * Does not flush f. */
void st_export_finish(struct st_export *e);
/* The first write error (an errno value), 0 if none. */
int st_export_error(const struct st_export *e);
/* Free (NULL is fine); does not finish. */
void st_export_free(struct st_export *e);

#endif /* ST_EXPORT_H */
