/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sinks/export.h - the conversions of `shrinktrace --format F -o FILE` and of
 * `shrinktrace replay --format F` as sinks: CSV (sinks/csv.h) and Perfetto /
 * Chrome trace-event JSON (sinks/perfetto.h).  The JSONL log itself is
 * sinks/jsonl.h; --format names them in the table of sinks (sinks/registry.c).
 */
#ifndef ST_EXPORT_H
#define ST_EXPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "sinks/sink.h"

/* A CSV writer on f (borrowed, never closed here): the header row at the
 * run's begin (or, with nothing else, at its finish), then a row per event
 * and per violation.  NULL on ENOMEM. */
struct sink *csv_sink_new(FILE *f);

/* A Perfetto writer on f (borrowed).  With begin_now (the live tracer) the
 * trace's start ("[" and the process metadata, time zero at the run's
 * start_ts) is written at begin, so that even a tracer killed before any
 * event leaves a loadable file; without it (replay: a log's events may
 * precede its header's start_ts) at the first event.  NULL on ENOMEM. */
struct sink *perfetto_sink_new(FILE *f, bool begin_now);

/* Folded stacks on f (borrowed): at the run's finish, one line per (stack of
 * a walk's caller, shrinker name) with the nanoseconds spent in
 * do_shrink_slab() there, sorted (sinks/folded.c).  Needs the log's "stack"
 * lines (--stacks).  NULL on ENOMEM. */
struct sink *folded_sink_new(FILE *f);

#endif /* ST_EXPORT_H */
