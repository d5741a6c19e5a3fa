/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sinks/top.h - `shrinktrace --top [INTERVAL]`: the live table of shrinkers.
 *
 * On a terminal the frames use the alternate screen (as top(1) does, so the
 * banner before and the summary after stay on the normal one); each frame
 * redraws it in place (cursor home, every line cleared to its end, the rest
 * cleared), fitted to the terminal's width and height (TIOCGWINSZ, read at
 * every frame), with the latest violations under the table.  Elsewhere
 * (a pipe, a file) each frame is a timestamp line and the whole table, then
 * an empty line.
 */
#ifndef ST_TOP_H
#define ST_TOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/stats.h"
#include "sinks/sink.h"
#include "sinks/tables.h"

#define TOP_DEFAULT_INTERVAL 1.0	/* seconds */
#define TOP_MIN_INTERVAL 0.1
#define TOP_MAX_INTERVAL 86400.0

/* The tracer's own state, shown in the first line of each frame. */
struct top_state {
	uint64_t now_ns;		/* CLOCK_MONOTONIC now: the end of the interval */
	double elapsed_s;		/* wall time since tracing started */
	uint64_t span_ns;		/* trace time of the events so far */
	const char *backend;		/* e.g. "tracepoint", "mixed"; may be NULL */
	uint64_t events, lost, late, violations;
};

struct top;

#define TOP_CUMULATIVE	(1u << 0)	/* totals since the start, not the last interval */
#define TOP_BY_MEMCG	(1u << 1)	/* a row per memcg, not per shrinker name */

/* Frames every interval_s seconds (TOP_MIN_INTERVAL..TOP_MAX_INTERVAL) to f
 * (borrowed; a terminal when isatty(fileno(f))), the first one interval_s
 * after start_ns (CLOCK_MONOTONIC ns).  Each frame shows the interval since
 * the one before (the first: since the start), or with TOP_CUMULATIVE the
 * totals.  Rows sorted by sort.  NULL on ENOMEM. */
struct top *top_new(FILE *f, double interval_s, enum stats_sort sort, uint64_t start_ns,
		    unsigned flags);

/* Frames drawn so far. */
unsigned top_frames(const struct top *t);
/* top_end(), then free.  NULL is ignored. */
void top_free(struct top *t);

/* On a terminal: is t drawing there (so that other output would be drawn
 * over and must go through top_note())? */
bool top_on_tty(const struct top *t);

/* A violation line (copied; cut at TOP_NOTE_LEN) to show under the table and
 * to print on stderr by top_end(). */
void top_note(struct top *t, const char *line);
#define TOP_NOTE_LEN 640	/* a violation line: detail is at most 512 */
#define TOP_NOTES_KEPT 64	/* printed again by top_end(); more are counted */

/* Leave the alternate screen (restore the cursor) and print the noted
 * violation lines to stderr.  Idempotent. */
void top_end(struct top *t);

/* Is a frame due at now_ns?  When it is, the next one is scheduled. */
bool top_due(struct top *t, uint64_t now_ns);

/* Draw one frame.  Returns 0, or -1 with errno set when writing failed
 * (EPIPE: the reader is gone). */
int top_draw(struct top *t, const struct stats *s, const struct top_state *st);


/* --top as a sink: on each tick that is due, the frame (after
 * sink_state.refresh, so that stats-only numbers are current); at finish,
 * top_end().  f is borrowed.  NULL on ENOMEM. */
struct sink *top_sink_new(FILE *f, double interval_s, enum stats_sort sort, unsigned flags);

/* Frames the top sink s has drawn. */
unsigned top_sink_frames(const struct sink *s);

/* Is the top sink s (may be NULL) drawing on a terminal, where violation
 * lines must go under its table (top_sink_note()) rather than to stderr? */
bool top_sink_takes_notes(const struct sink *s);
void top_sink_note(struct sink *s, const char *line);

#endif /* ST_TOP_H */
