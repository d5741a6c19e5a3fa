/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sinks/jsonl.h - the shrinktrace/1 event log as a sink (docs/event-log.md):
 * the header at the run's begin, every event, every violation; or, for
 * `replay --format jsonl`, the violation records alone.
 */
#ifndef ST_SINK_JSONL_H
#define ST_SINK_JSONL_H

#include <stdio.h>

#include "sinks/sink.h"

#define JSONL_VIOLATIONS_ONLY	(1u << 0)	/* no header, no events */

/* A log writer on f (borrowed: never closed here; a whole-line stream of
 * log/outfile.h, so what reaches the file is whole lines).  Each tick
 * flushes it (st_output_flush()) so that the log can be followed while the
 * trace runs.  NULL on ENOMEM. */
struct sink *jsonl_sink_new(FILE *f, unsigned flags);

#endif /* ST_SINK_JSONL_H */
