/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sinks/tables.h - the per-shrinker statistics (engine/stats.h) as text: the
 * table of shrinkers that --top redraws and the report ends with, the
 * report's generations, tasks and walks, BCC-style log2 histograms.
 */
#ifndef ST_TABLES_H
#define ST_TABLES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/lifecycle.h"
#include "engine/stats.h"

/* A duration for humans: "0ns", "999ns", "1.23µs", "45.6ms", "2.00s"
 * (3 significant digits from 1 µs up).  Writes into buf (len >= 16), returns buf. */
const char *stats_fmt_ns(uint64_t ns, char *buf, size_t len);

struct stats_print_opts {
	enum stats_sort sort;
	unsigned top_n;		/* table rows; 0: all (top) / all (report); generations
				 * and tasks of the report: top_n, or 10 when 0 */
	unsigned width;		/* terminal columns; 0: unlimited.  Columns are dropped
				 * (scanned, empty, gens, p50, avg, zero, ...) and long
				 * names cut ("~") to fit */
	uint64_t span_ns;	/* trace time span for the header line; 0: not shown */
	bool show_lost;		/* show lost in the header line */
	uint64_t lost;		/* events the kernel side dropped */
};

/* The header line of totals, then the table of shrinker names (those with
 * calls) sorted by o->sort, at most o->top_n rows (then one "... N more"
 * line).  Returns the number of lines written. */
unsigned stats_print_top(const struct stats *s, FILE *f, const struct stats_print_opts *o);

/* The full report: the table with every row, the top generations and tasks
 * by time, the walk summary, and log2 histograms of the 3 shrinker names
 * with the most time and of the walks. */
void stats_print_report(const struct stats *s, FILE *f, const struct stats_print_opts *o);

/* Print a BCC-style log2 histogram ("nsecs : count distribution") of the
 * non-empty slot range, bars 40 columns wide. */
void stats_print_hist(FILE *f, const __u64 hist[ST_HIST_SLOTS]);

/* ---- the table at one moment, for --top's per-interval numbers ---------------------- */

enum stats_by {
	STATS_BY_SHRINKER,	/* a row per shrinker name */
	STATS_BY_MEMCG,		/* a row per memcg (its path; GENS is its walks) */
};

/* A copy of the table's rows and totals. */
struct stats_rows {
	enum stats_by by;
	struct stats_name *v;	/* n rows, owned */
	size_t n;
	uint64_t calls, untimed, freed, total_ns, walks;
};

/* Copy s's rows (by) into *out (stats_rows_free() it).  0, or -1 (ENOMEM). */
int stats_rows_take(const struct stats *s, enum stats_by by, struct stats_rows *out);

/* now -= prev, row by row (matched by name; a row new since prev stays whole):
 * the numbers of the interval between them.  Counts and sums subtract, the
 * histogram slot by slot; the interval's longest call is not known, so MAX
 * becomes the top of the highest slot that received calls, at most the
 * longest so far.  Rows with no call in the interval are dropped. */
void stats_rows_sub(struct stats_rows *now, const struct stats_rows *prev);

void stats_rows_free(struct stats_rows *r);

/* The header line ("shrinkers:" or "memcgs:" with what), then the rows sorted
 * by o->sort, fitted to o->width, at most o->top_n (then "... N more").  With
 * ratio the FREED% column (freed per object scanned) is shown.  Returns the
 * lines written. */
unsigned stats_print_rows(FILE *f, const struct stats_rows *r, const struct stats_print_opts *o,
			  const char *what, bool ratio);

/* The width of the terminal f is (TIOCGWINSZ), 0 when f is not one. */
unsigned tables_width_of(FILE *f);

/* The lifecycle of each shrinker name (engine/lifecycle.h), one line each,
 * sorted by name, "(other)" last: generations; shrinker_free() count and wait
 * (avg, max); inferred frees; queue to RCU free (avg, max); violations.
 * Generations that have no name yet count under "(unnamed)".  Names with
 * nothing to say are left out. */
void life_print_report(const struct life *lc, FILE *f);

#endif /* ST_TABLES_H */
