/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sinks/registry.h - the table of sinks: every output the tracer and replay
 * can write, what puts it in a run, and how it is made.  Both front ends
 * (front/trace.c, front/replay.c) walk the one table (SINK_TABLE in
 * sinks/registry.c): a new sink is its own file, which defines its struct
 * sink_desc, plus one line in that table.
 *
 * A row is in a front's runs when its flags name that front (SINK_LIVE, the
 * tracer; SINK_REPLAY, replay).  A row with a format name is chosen by
 * --format and writes the front's output (the tracer's -o FILE, replay's OUT
 * or standard output); any other row decides itself, in open(), from its own
 * options and the front's (sink_args).  The front calls, in this order:
 *
 *   options  the row's own options (its argp, an argp child of the front's:
 *            its parser's state->input is the row's conf)
 *   check    once every option is parsed: a usage error (exit 2)
 *   prepare  before anything is attached, e.g. bind a port: an error here is
 *            one line and exit 1 with nothing traced
 *   open     the sinks of the run, in table order (formats first, the
 *            summary last)
 *   announce once tracing has started, unless --no-banner: a line on stderr
 *   release  at the end, whatever happened, for rows with a conf (a sink
 *            handed to the list of sinks is freed by sinks_free(), not here)
 *
 * Every hook may be NULL.  Messages are one line naming the problem and the
 * way out, without the "shrinktrace: " the front puts before them.
 */
#ifndef ST_SINK_REGISTRY_H
#define ST_SINK_REGISTRY_H

#include <argp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "engine/stats.h"
#include "sinks/sink.h"

/* Row flags. */
#define SINK_LIVE	(1u << 0)	/* the tracer has it */
#define SINK_REPLAY	(1u << 1)	/* replay has it */
#define SINK_PAGED	(1u << 2)	/* format: its file is written page-padded
					 * (ST_OUT_PAGES: whole lines under SIGKILL) */
#define SINK_ONE_LOG	(1u << 3)	/* format: converts one log at a time (replay
					 * refuses a second log) */
#define SINK_STATS	(1u << 4)	/* uses the statistics (replay computes them
					 * only for such a sink) */
#define SINK_HUMAN	(1u << 5)	/* replay: a report for people: "== FILE"
					 * headings between logs on the output, a
					 * note on stderr when a log cannot give
					 * every statistic */

/* The keys of the rows' own options start here; the fronts' own keys stay
 * below (checked with _Static_assert there, and across rows by
 * tests/unit/test_sinks.c). */
#define SINK_OPT_KEY_MIN 0x7000

/* What a front tells the sinks about the run, from its own options. */
struct sink_args {
	bool live;			/* the tracer; else replay */
	const struct sink_desc *format;	/* the --format row */
	FILE *out;			/* the format's stream: the -o FILE (tracer; NULL
					 * without -o) or replay's output; borrowed */
	bool out_taken;			/* set by a format's open() that owns out from
					 * then on (it closes it) */
	const char *out_path;		/* -o FILE / OUT, or NULL (none, standard output) */
	mode_t out_mode;		/* its --mode */
	bool quiet;			/* tracer: -q (or --top): no event lines */
	bool wide;			/* tracer: -w */
	bool stats_only;		/* tracer: --stats-only (the kernel counts calls) */
	enum stats_sort sort;		/* --sort */
	double top;			/* tracer: --top INTERVAL, seconds; 0 none */
	unsigned top_flags;		/* tracer: TOP_* of sinks/top.h */
	unsigned top_n;			/* replay: --top-n, 0 default */
	double window_ms;		/* replay: --window */
};

struct sink_desc {
	const char *name;		/* unique; for messages */
	const char *format;		/* the --format value choosing it, or NULL */
	unsigned flags;			/* SINK_* */
	size_t conf_size;		/* bytes of its own state (zeroed at start), 0 none */
	const struct argp *argp;	/* its own options, or NULL; keys from
					 * SINK_OPT_KEY_MIN; state->input is its conf */
	unsigned options_in;		/* the fronts whose command line has argp's
					 * options (SINK_LIVE, SINK_REPLAY); 0: every
					 * front of flags */
	/* 0, or -1 with a usage error in why */
	int (*check)(void *conf, const struct sink_args *a, char *why, size_t len);
	/* 0, or -1 with an error in err */
	int (*prepare)(void *conf, const struct sink_args *a, char *err, size_t len);
	/* Put its sink in *out (NULL: not in this run).  before: the sinks
	 * opened so far (sinks_find()).  0, or -1 with an error in err. */
	int (*open)(void *conf, struct sink_args *a, const struct sinks *before,
		    struct sink **out, char *err, size_t len);
	void (*announce)(void *conf, FILE *f);
	void (*release)(void *conf);
};

#define SINK_TABLE_MAX 16

/* The table, in the order sinks are opened and called. */
extern const struct sink_desc *const sink_table[];
extern const unsigned sink_table_len;

/* The format named name that front (SINK_LIVE or SINK_REPLAY) has, or NULL. */
const struct sink_desc *sink_format(const char *name, unsigned front);

/* The formats of front in table order, "jsonl, csv, perfetto", into buf
 * (len bytes, cut if short); returns buf. */
const char *sink_format_names(unsigned front, char *buf, size_t len);

/* The rows of one front in one process: their state and argp children. */
struct sink_setup {
	unsigned front;				/* SINK_LIVE or SINK_REPLAY */
	void *conf[SINK_TABLE_MAX];		/* each row's, NULL without conf_size */
	struct argp_child children[SINK_TABLE_MAX + 1];	/* NULL-terminated */
	unsigned child_row[SINK_TABLE_MAX];	/* children[i] is row child_row[i] */
	unsigned nchildren;
	unsigned opened;			/* sink_setup_open(): the flags of the rows
						 * that gave a sink, OR'ed */
};

/* Zero s for front and allocate each row's conf.  0, or -1 (ENOMEM). */
int sink_setup_init(struct sink_setup *s, unsigned front);

/* The front's parser calls this at ARGP_KEY_INIT (before any option):
 * each row's argp child gets its conf as input.  s may be NULL (help only). */
void sink_setup_argp_init(const struct sink_setup *s, struct argp_state *state);

/* The check, prepare and announce hooks of every row of the front, in table
 * order; check and prepare stop at the first -1 (with its message). */
int sink_setup_check(struct sink_setup *s, const struct sink_args *a, char *why, size_t len);
int sink_setup_prepare(struct sink_setup *s, const struct sink_args *a, char *err, size_t len);
void sink_setup_announce(struct sink_setup *s, FILE *f);

/*
 * The sinks of the run into l (they are l's from then on): the format row
 * a->format when a->out is set, then every other row of the front whose
 * open() gives a sink, in table order.  *format_sink: the format's sink (or
 * NULL).  0, or -1 with err ("out of memory" when a constructor failed
 * without a message of its own).
 */
int sink_setup_open(struct sink_setup *s, struct sink_args *a, struct sinks *l,
		    struct sink **format_sink, char *err, size_t len);

/* The release hooks, then the confs.  s may be half set up. */
void sink_setup_free(struct sink_setup *s);

#endif /* ST_SINK_REGISTRY_H */
