/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sinks/text.h - the live, human-readable lines (the tracer's stdout unless
 * -q or --top), in the manner of BCC's tools: one line per do_shrink_slab()
 * call and per shrink_slab() walk when it ends (begin and end merged),
 *
 *   TIME(s)  COMM             PID SHRINKER         MEMCG     FREED/SCAN  LAT(us)
 *      1.234 kswapd0           97 sb-ext4          -           133/1024     98.2
 *
 * 79 columns (--wide adds NID, PRIO and the shrinker's address), one line per
 * lifecycle event (shrinker_alloc, _register, free_begin, free_end,
 * rcu_free; "*" marks an inferred one) and per lost record, and violations
 * set apart as "!! VIOLATION ...".  Names and task names are cleaned for the
 * terminal (st_clean_text()) and cut to their column ("~").
 */
#ifndef ST_TEXT_H
#define ST_TEXT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sinks/sink.h"

#define TEXT_WIDE	(1u << 0)	/* --wide: more columns */

/* A sink writing to f (borrowed; flushed every tick, so a reader that went
 * away shows as EPIPE from error()).  The TIME column counts from the run's
 * start_ts (sink_begin).  flags: TEXT_*.  NULL on ENOMEM. */
struct sink *text_sink_new(FILE *f, unsigned flags);

/* One call's line (TIME is its begin when seen, relative to start_ts, ns). */
void text_format_call(FILE *f, const struct corr_call *c, uint64_t start_ts, bool wide);

/* One lifecycle or lost event's line; name: its generation's name when r
 * carries none (NULL or "").  TIME relative to start_ts (ns). */
void text_format_event(FILE *f, const struct st_rec *r, const char *name, uint64_t start_ts);

/* A violation: "!! VIOLATION kind shrinker ADDR (name): detail". */
void text_format_violation(FILE *f, const struct st_violation *v);

#endif /* ST_TEXT_H */
