/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sinks/text.h - the live, human-readable event lines on stdout.
 */
#ifndef ST_OUTPUT_TEXT_H
#define ST_OUTPUT_TEXT_H

#include <stdint.h>
#include <stdio.h>

#include "log/event.h"

struct text_out;

/* Create a printer writing to f (borrowed).  start_ts (ns, CLOCK_MONOTONIC)
 * is time zero of the TIME column.  NULL on allocation failure. */
struct text_out *text_out_new(FILE *f, uint64_t start_ts);
void text_out_free(struct text_out *t);

/* The column header line. */
void text_out_header(struct text_out *t);

/* One aligned line for r.  Names seen on earlier events of the same shrinker
 * address fill the NAME column of events that carry none (shrink_end, frees). */
void text_out_event(struct text_out *t, const struct st_rec *r);

/* A violation, set apart from the event lines: "!! VIOLATION kind ...". */
void text_out_violation(struct text_out *t, const struct st_violation *v);

/* Remember name for shrinker address addr (bounded cache, oldest overwritten). */
void text_out_learn_name(struct text_out *t, uint64_t addr, const char *name);

#endif /* ST_OUTPUT_TEXT_H */
