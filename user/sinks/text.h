/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sinks/text.h - the live, human-readable event lines (the tracer's stdout
 * unless -q or --top): one aligned line per event, violations set apart as
 * "!! VIOLATION ...".  Names and task names are cleaned for the terminal
 * (st_clean_text()).
 */
#ifndef ST_TEXT_H
#define ST_TEXT_H

#include <stdint.h>
#include <stdio.h>

#include "sinks/sink.h"

/* A sink writing to f (borrowed; flushed every tick, so a reader that went
 * away shows as EPIPE from error()).  The TIME column counts from the run's
 * start_ts (sink_begin).  NULL on ENOMEM. */
struct sink *text_sink_new(FILE *f);

/* One event line for r; name: its generation's name when r carries none
 * (NULL or ""); TIME relative to start_ts (ns). */
void text_format_event(FILE *f, const struct st_rec *r, const char *name, uint64_t start_ts);

/* A violation: "!! VIOLATION kind shrinker ADDR (name): detail". */
void text_format_violation(FILE *f, const struct st_violation *v);

#endif /* ST_TEXT_H */
