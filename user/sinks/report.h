/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sinks/report.h - the closing reports as sinks:
 *
 *   - the tracer's summary (stderr): each violation as one line the moment it
 *     is found (under --top on a terminal: noted under its table instead), and
 *     at the end the events by type, lost and skipped events, the lifecycle
 *     per shrinker name, the statistics report, the command's status and the
 *     log's path;
 *   - replay's text report: each violation as a block, and at the end of each
 *     run "no violations" (if so), the lifecycle per name, the statistics
 *     report and one line of totals for the run.
 *
 * Every string that came from the kernel or a log is cleaned for the
 * terminal (st_clean_text()).
 */
#ifndef ST_REPORT_H
#define ST_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "engine/stats.h"
#include "sinks/sink.h"

struct report_opts {
	enum stats_sort sort;		/* the table of shrinkers */
	unsigned top_n;			/* replay: generations and tasks shown (0: 10) */
	double window_ms;		/* replay: the reorder window, for the late warning */
	bool kernel_stats;		/* tracer: --stats-only (the numbers are the kernel's) */
};

/* The tracer's summary on f (stderr; borrowed).  top: the --top sink or NULL
 * (violation lines go under its table while it draws on a terminal).  NULL
 * on ENOMEM. */
struct sink *summary_sink_new(FILE *f, struct sink *top, const struct report_opts *o);

/* Replay's text report on f (borrowed).  NULL on ENOMEM. */
struct sink *report_sink_new(FILE *f, const struct report_opts *o);

/* The one-line form of a violation on stderr and in the journal:
 * "shrinktrace: VIOLATION kind on name (0xADDR)[ uncertain]: detail", cleaned
 * for the terminal, into buf (len bytes). */
const char *report_violation_line(const struct st_violation *v, char *buf, size_t len);

#endif /* ST_REPORT_H */
