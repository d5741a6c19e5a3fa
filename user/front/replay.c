/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * front/replay.c - `shrinktrace replay [OPTION...] FILE...`
 *
 * Each file gets its own correlation engine: state never carries from one
 * log to the next.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "front/cli.h"
#include "front/pipeline.h"
#include "front/replay.h"
#include "engine/correlate.h"
#include "engine/stats.h"
#include "lib/util.h"
#include "log/reader.h"
#include "log/outfile.h"
#include "log/redact.h"
#include "lib/util.h"
#include "sinks/registry.h"

/* The format without --format: the text report. */
#define REPLAY_DEFAULT_FORMAT "text"

struct replay_args {
	struct sink_setup *sinks;	/* the table of sinks (sinks/registry.h) */
	const struct sink_desc *fmt;	/* --format: a format row of the table */
	uint64_t stuck_after_ns;	/* --stuck-after (cli_parse_ns(), as the tracer) */
	uint64_t window_ns;		/* --window */
	double window_ms;		/* the same, for messages */
	const char *out;
	bool stats;
	enum stats_sort sort;		/* --sort */
	unsigned top_n;			/* --top-n, 0: all rows */
	char **files;
	int nfiles;
	mode_t mode;			/* --mode of -o OUT */
	bool mode_set;
	enum st_redact_mode redact;	/* --redact */
	struct corr_opts caps;		/* SHRINKTRACE_CAPS */
};

struct plan {
	int *order;	/* nfiles indexes into files */
	int *len;	/* files in each run */
	int nruns;
};

struct replay_ctx {
	FILE *out;
	struct sinks sinks;		/* the --format's sink on out, and any other */
	bool stats;			/* a sink shows the statistics */
	struct st_redact red;		/* --redact: input events are redacted first */
	struct plan plan;		/* the files, grouped into runs (plan_runs()) */
};

#define OPT_STATS 1000
#define OPT_SORT 0x5301
#define OPT_TOP_N 0x5302
#define OPT_MODE 0x5303
#define OPT_REDACT 0x5304
_Static_assert(OPT_REDACT < SINK_OPT_KEY_MIN, "replay's option keys reach the sinks'");

static const struct argp_option options[] = {
	{ "format", 'f', "FORMAT", 0,
	  "Output format: 'text' (default) prints each violation as a block, then one summary "
	  "line per shrinker name and the statistics report (calls, freed, time and latency "
	  "per shrinker, generation, task and walk); 'jsonl' prints exactly the violation "
	  "records of the shrinktrace/1 format, one JSON object per line, and nothing else; "
	  "'csv' and 'perfetto' convert one log: every event and every violation as CSV "
	  "rows, or as a Chrome trace-event JSON trace to open in ui.perfetto.dev (to OUT or "
	  "standard output; the exit status still says whether there were violations); "
	  "'folded' writes folded stacks of the time spent in shrinkers per walk caller "
	  "(a log traced with --stacks) for flamegraph.pl or speedscope", 0 },
	{ "stuck-after", 's', "SECONDS", 0,
	  "Raise stuck_free when shrinker_free() has not returned after SECONDS of trace time "
	  "(default 10; fractions allowed)", 0 },
	{ "window", 'w', "MS", 0,
	  "Reorder window in milliseconds of trace time (default 50): events are sorted by ts "
	  "within it; events older than that are counted as late, reported on stderr, and "
	  "still processed", 0 },
	{ "output", 'o', "OUT", 0, "Write the report or conversion to OUT instead of standard "
	  "output ('-'): a new file, mode 0600, put in place of an earlier OUT only when the "
	  "replay ends without error; never through a symlink, never a file that is not a "
	  "regular file, never one of the input FILEs", 0 },
	{ "mode", OPT_MODE, "OCTAL", 0, "Permissions of OUT (default 0600), exactly", 0 },
	{ "redact", OPT_REDACT, "WHAT", OPTION_ARG_OPTIONAL, "Replace kernel addresses by "
	  "pseudonyms in everything printed (--redact or --redact=addrs; --redact=all also drops "
	  "task names and replaces task ids); the verdicts are the same. To rewrite a log "
	  "itself, see `shrinktrace redact`", 0 },
	{ "stats", OPT_STATS, NULL, 0,
	  "Print per-file counters, events/s and the peak RSS of this process to stderr", 0 },
	{ "sort", OPT_SORT, "KEY", 0,
	  "Sort the text report's table of shrinkers by KEY: time (default: total time in "
	  "do_shrink_slab()), calls, freed, max, p99, zero (calls that freed nothing), name", 0 },
	{ "top-n", OPT_TOP_N, "N", 0,
	  "Text report: show the top N generations and tasks (default 10); the table of "
	  "shrinker names always has every row", 0 },
	/* -h as --help (argp only knows -? and --help) */
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Give this help list", -1 },
	{ 0 }
};

static const char doc[] =
	"Replay saved shrinktrace/1 event logs through the correlator and report the "
	"walk-safety violations defined by the shrinktrace/1 log format "
	"(docs/event-log.md, shrinktrace(8)).\v"
	"FILE is a log written by `shrinktrace -o FILE`, or '-' for standard input. "
	"Files are processed in order, each by its own correlator: no state carries from "
	"one log to the next. A header line is optional. Unknown event types and unknown "
	"fields are ignored, as are 'violation' records. Malformed input (bad JSON, a "
	"missing or mistyped required field, a bad pointer string) stops with one line "
	"'FILE:LINE: reason' on stderr.\n\n"
	"Exit status:\n"
	"  0  clean: no violation\n"
	"  1  error: unreadable file or malformed input\n"
	"  2  usage error\n"
	"  3  violations found\n"
	"\n"
	"EXAMPLES:\n"
	"    shrinktrace replay t.jsonl        # violations, lifecycles, statistics\n"
	"    shrinktrace replay -f jsonl t.jsonl     # only the violation records\n"
	"    shrinktrace replay --sort freed --top-n 20 t.jsonl\n"
	"    shrinktrace replay -f perfetto -o t.json t.jsonl  # ui.perfetto.dev\n"
	"    shrinktrace replay --format csv t.jsonl > t.csv\n"
	"    shrinktrace replay --redact=all t.jsonl # no addresses, no task names\n"
	"    shrinktrace replay a.jsonl b.jsonl # each log by its own correlator";

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct replay_args *a = state->input;
	char *end;

	switch (key) {
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case ARGP_KEY_INIT:
		sink_setup_argp_init(a->sinks, state);
		return ARGP_ERR_UNKNOWN;
	case 'f': {
		char names[128];

		a->fmt = sink_format(arg, SINK_REPLAY);
		if (!a->fmt)
			argp_error(state, "--format: '%s' is not one of %s", arg,
				   sink_format_names(SINK_REPLAY, names, sizeof(names)));
		break;
	}
	case 's':
		if (cli_parse_ns(arg, 1e9, 1e9, true, &a->stuck_after_ns))
			argp_error(state, "--stuck-after: '%s' is not a number of seconds > 0 of at "
				   "least 1 ns (the clock's resolution)", arg);
		break;
	case 'w':
		if (cli_parse_ns(arg, 1e6, 1e9, false, &a->window_ns))
			argp_error(state, "--window: '%s' is not a number of milliseconds (0, or at "
				   "least 1 ns)", arg);
		a->window_ms = (double)a->window_ns / 1e6;
		break;
	case 'o':
		a->out = arg;
		break;
	case OPT_STATS:
		a->stats = true;
		break;
	case OPT_MODE:
		a->mode = cli_parse_mode(state, arg);
		a->mode_set = true;
		break;
	case OPT_REDACT:
		a->redact = (enum st_redact_mode)cli_parse_redact(state, arg);
		break;
	case OPT_SORT:
		a->sort = cli_parse_sort(state, arg);
		break;
	case OPT_TOP_N: {
		unsigned long v;

		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || *arg == '-' || v == 0 || v > 100000)
			argp_error(state, "--top-n: '%s' is not a number of rows (1..100000)", arg);
		a->top_n = (unsigned)v;
		break;
	}
	case ARGP_KEY_ARGS:
		a->files = state->argv + state->next;
		a->nfiles = state->argc - state->next;
		break;
	case ARGP_KEY_NO_ARGS:
		argp_error(state, "no log FILE given (use '-' for standard input)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct replay_ctx;
struct replay_args;
static int replay_stream(const struct replay_args *a, const char *file, FILE *f,
			 struct replay_ctx *x);

/* A conversion (csv, perfetto): one log at a time. */
static bool converting(const struct replay_args *a)
{
	return a->fmt->flags & SINK_ONE_LOG;
}

/* A report for people: "== FILE" headings, notes on what a log cannot give. */
static bool human(const struct replay_args *a)
{
	return a->fmt->flags & SINK_HUMAN;
}

/* One run of a log (a whole file, or one of the logs concatenated in it):
 * everything from its header to the next header or the end. */
struct run {
	struct pipeline *p;
	bool begun;
	unsigned n;
};

static void run_begin(struct run *rn, struct st_log *lg, const char *path, bool text)
{
	char why[512];

	/* a log that cannot give the full statistics says so, once per run */
	if (text && st_log_coverage(lg, why, sizeof(why)))
		fprintf(stderr, "%s: note: %s\n", path, why);
	struct sink_begin b = {
		.kernel = st_log_kernel(lg), .backend = st_log_backend(lg),
		.start_ts = st_log_start_ts(lg), .list_offset = (int)st_log_list_offset(lg),
		.source = path, .run = rn->n,
	};

	pipeline_begin(rn->p, &b);
	rn->begun = true;
}

/* Finish the run: warnings, then the sinks' finish (the report).  Returns
 * the violations it found. */
static uint64_t run_finish(const struct replay_args *a, struct run *rn, struct st_log *lg,
			   const char *path, bool input_error)
{
	struct sink_state st = { .log = st_log_get_stats(lg), .input_error = input_error };
	struct corr_stats cs;
	uint64_t nv;

	if (!rn->begun)
		run_begin(rn, lg, path, human(a));
	corr_finish(pipeline_corr(rn->p));
	corr_get_stats(pipeline_corr(rn->p), &cs);
	/* a log with a header is a trace in which nothing happened; without
	 * one, not a log at all (an empty file, the wrong file) */
	if (!input_error && !cs.events && st.log && !st.log->headers)
		fprintf(stderr, "%s: warning: no header and no events: not a shrinktrace log, "
			"nothing to check\n", path);
	if (cs.late)
		fprintf(stderr, "%s: warning: %" PRIu64 " event%s arrived later than the %.3f ms reorder "
			"window and were processed out of order (try a larger --window)\n",
			path, cs.late, cs.late == 1 ? "" : "s", a->window_ms);
	pipeline_finish(rn->p, &st);
	nv = pipeline_violations(rn->p);
	return nv;
}

static struct pipeline *run_new(const struct replay_args *a, struct replay_ctx *x,
				const char *path)
{
	struct pipeline_opts po = {
		.corr = a->caps, .warn_prefix = path, .no_stats = !x->stats,
	};

	po.corr.stuck_after_ns = a->stuck_after_ns;
	po.corr.reorder_window_ns = a->window_ns;
	return pipeline_new(&po, &x->sinks);
}

/* ---- a rotated log: its files read as one stream ------------------------------ */

/* The header of a file's first line: its "run" and "part" (run "" when none).
 * Only a regular file is looked at: a pipe, a FIFO or a device (`replay
 * <(cat LOG)`, /dev/stdin) would lose what is read here to the replay that
 * follows, or block on a FIFO without a writer. */
static void peek_header(const char *path, char *run, size_t runlen, int *part)
{
	char line[4096], reason[64];
	struct st_parse_info info;
	struct st_rec r;
	struct stat st;
	FILE *f;
	int fd;

	run[0] = '\0';
	*part = 0;
	if (!strcmp(path, "-") || stat(path, &st) || !S_ISREG(st.st_mode))
		return;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r"))) {
		close(fd);	/* replaced meanwhile: not read here */
		return;
	}
	if (fgets(line, sizeof(line), f) &&
	    st_parse_line_info(line, strlen(line), &r, reason, sizeof(reason), &info) ==
	    ST_PARSE_HEADER && info.run[0]) {
		st_copy_str(run, runlen, info.run, SIZE_MAX);
		*part = info.part;
	}
	fclose(f);
}

struct chain {
	char **paths;
	int n, i;
	FILE *cur;
};

static ssize_t chain_read(void *cookie, char *buf, size_t size)
{
	struct chain *ch = cookie;

	while (ch->i < ch->n) {
		size_t got;

		if (!ch->cur) {
			ch->cur = fopen(ch->paths[ch->i], "re");
			if (!ch->cur)
				return -1;
		}
		got = fread(buf, 1, size, ch->cur);
		if (got)
			return (ssize_t)got;
		if (ferror(ch->cur))
			return -1;
		fclose(ch->cur);
		ch->cur = NULL;
		ch->i++;
	}
	return 0;
}

static int chain_close(void *cookie)
{
	struct chain *ch = cookie;

	if (ch->cur)
		fclose(ch->cur);
	free(ch);
	return 0;
}

/* The files of the command line in the order they are read, grouped into
 * runs: files[order[g0 .. g0+len[0])] is the first run, and so on.  The files
 * of one rotated log (a header of the same "run", parts one after another)
 * form one run in the order of their parts, whatever their order on the
 * command line (`replay LOG*` gives LOG LOG.1 LOG.2, the newest first); a run
 * begins where its first file is named.  A part missing in the middle splits
 * the series there (said on stderr), a part given twice is read on its own.
 * Returns the number of runs, -1 on ENOMEM. */

struct peeked {
	char run[40];
	int part;
	bool taken;
};

static int cmp_part(const void *x, const void *y, void *arg)
{
	const struct peeked *p = arg;
	int a = *(const int *)x, b = *(const int *)y;

	if (p[a].part != p[b].part)
		return p[a].part < p[b].part ? -1 : 1;
	return a < b ? -1 : a > b;	/* stable: the command line's order */
}

static int plan_runs(char **files, int n, struct plan *pl)
{
	struct peeked *p = calloc((size_t)n, sizeof(*p));
	int *same = calloc((size_t)n, sizeof(*same));
	int k = 0;

	pl->order = calloc((size_t)n, sizeof(*pl->order));
	pl->len = calloc((size_t)n, sizeof(*pl->len));
	pl->nruns = 0;
	if (!p || !same || !pl->order || !pl->len) {
		free(p);
		free(same);
		free(pl->order);
		free(pl->len);
		return -1;
	}
	for (int i = 0; i < n; i++)
		peek_header(files[i], p[i].run, sizeof(p[i].run), &p[i].part);
	for (int i = 0; i < n;) {
		int m = 0, start = k;

		/* i again after a run formed: files[i] may be a later part */
		if (p[i].taken) {
			i++;
			continue;
		}
		if (!p[i].run[0] || p[i].part <= 0) {
			p[i].taken = true;
			pl->order[k++] = i;
			pl->len[pl->nruns++] = 1;
			continue;
		}
		for (int j = i; j < n; j++)
			if (!p[j].taken && p[j].part > 0 && !strcmp(p[j].run, p[i].run))
				same[m++] = j;
		qsort_r(same, (size_t)m, sizeof(*same), cmp_part, p);
		/* from the lowest part on, while each is the one after the last */
		pl->order[k++] = same[0];
		p[same[0]].taken = true;
		for (int j = 1; j < m; j++) {
			int last = pl->order[k - 1];

			if (p[same[j]].part != p[last].part + 1)
				continue;
			pl->order[k++] = same[j];
			p[same[j]].taken = true;
		}
		pl->len[pl->nruns++] = k - start;
		for (int j = 1; j < m; j++) {
			if (p[same[j]].taken || p[same[j]].part == p[pl->order[k - 1]].part)
				continue;
			if (p[same[j]].part > p[pl->order[k - 1]].part) {
				char a[256], b[256];

				st_clean_text(a, sizeof(a), files[pl->order[k - 1]]);
				st_clean_text(b, sizeof(b), files[same[j]]);
				fprintf(stderr, "shrinktrace replay: warning: %s is part %d of a rotated "
					"log and %s part %d: the parts between are missing, the two "
					"are read as separate runs\n", a, p[pl->order[k - 1]].part, b,
					p[same[j]].part);
				break;
			}
		}
	}
	free(p);
	free(same);
	return pl->nruns;
}

static void plan_free(struct plan *pl)
{
	free(pl->order);
	free(pl->len);
}

/* Replay one file.  Returns ST_EXIT_CLEAN, ST_EXIT_VIOLATIONS or ST_EXIT_ERROR. */
static int replay_file(const struct replay_args *a, const char *file, struct replay_ctx *x)
{
	return replay_stream(a, file, NULL, x);
}

/* Replay n files of one rotated log as one run. */
static int replay_series(const struct replay_args *a, char **paths, int n, struct replay_ctx *x)
{
	cookie_io_functions_t io = { .read = chain_read, .close = chain_close };
	struct chain *ch = calloc(1, sizeof(*ch));
	char name[1024];
	FILE *f;
	int ret;

	if (!ch) {
		fprintf(stderr, "shrinktrace replay: out of memory\n");
		return ST_EXIT_ERROR;
	}
	ch->paths = paths;
	ch->n = n;
	f = fopencookie(ch, "r", io);
	if (!f) {
		free(ch);
		fprintf(stderr, "shrinktrace replay: out of memory\n");
		return ST_EXIT_ERROR;
	}
	/* errors say FILE:LINE with lines counted from the first part */
	snprintf(name, sizeof(name), "%s..%s", paths[0], paths[n - 1]);
	ret = replay_stream(a, name, f, x);
	fclose(f);
	return ret;
}

/* Replay the log at file, or (f not NULL) read from f, named file. */
static int replay_stream(const struct replay_args *a, const char *file, FILE *f,
			 struct replay_ctx *x)
{
	char path[512];		/* the file's name as messages show it */
	struct run rn = { .n = 1 };
	struct corr_stats cs = { 0 };
	struct st_rec r;
	struct st_log *lg;
	char err[512];
	double t0 = now_s();
	int rc = 0, ret = ST_EXIT_CLEAN;
	uint64_t nv = 0;

	st_clean_text(path, sizeof(path), strcmp(file, "-") ? file : "<stdin>");
	lg = f ? st_log_open_stream(f, file, err, sizeof(err)) : st_log_open(file, err, sizeof(err));
	if (!lg) {
		fprintf(stderr, "shrinktrace replay: %s\n", err);
		return ST_EXIT_ERROR;
	}
	st_log_split_runs(lg, true);
	st_log_want_memcgs(lg, true);
	st_log_want_stacks(lg, true);
	rn.p = run_new(a, x, path);
	if (!rn.p) {
		fprintf(stderr, "shrinktrace replay: %s: out of memory\n", path);
		st_log_close(lg);
		return ST_EXIT_ERROR;
	}
	/* stop early once the output is gone (| head) or failed (disk full) */
	for (uint64_t nread = 0; !((nread++ & 255) == 0 && ferror(x->out)) &&
				 (rc = st_log_next(lg, &r)) > 0;) {
		if (rc == ST_LOG_NEW_RUN) {
			/* another log begins: its own run, from a clean state */
			if (converting(a)) {
				fprintf(stderr, "%s:%" PRIu64 ": a second log starts here: --format %s "
					"converts one log at a time (split the input)\n", path,
					st_log_get_stats(lg)->lines, a->fmt->format);
				ret = ST_EXIT_ERROR;
				break;
			}
			nv += run_finish(a, &rn, lg, path, false);
			pipeline_free(rn.p);
			rn = (struct run){ .n = rn.n + 1 };
			rn.p = run_new(a, x, path);
			if (!rn.p) {
				fprintf(stderr, "shrinktrace replay: %s: out of memory\n", path);
				ret = ST_EXIT_ERROR;
				break;
			}
			if (human(a))
				fprintf(x->out, "\n== %s, run %u (a header after events: a log of its own)\n",
					path, rn.n);
			continue;
		}
		/* The header, read with the first event, says how to read `next`. */
		if (!rn.begun)
			run_begin(&rn, lg, path, human(a));
		if (rc == ST_LOG_MEMCG) {
			uint64_t memcg, id;
			const char *cgpath;

			st_log_memcg(lg, &memcg, &id, &cgpath);
			if (pipeline_memcg(rn.p, st_redact_addr(&x->red, memcg), id,
					   x->red.mode == ST_REDACT_ALL ? "" : cgpath)) {
				fprintf(stderr, "shrinktrace replay: %s: out of memory\n", path);
				ret = ST_EXIT_ERROR;
				break;
			}
			continue;
		}
		if (rc == ST_LOG_STACK) {
			int id;
			const char *frames;
			char red[ST_STACK_TEXT];

			st_log_stack(lg, &id, &frames);
			if (x->red.mode != ST_REDACT_NONE) {
				/* an unsymbolised frame is a kernel address */
				st_redact_text(&x->red, frames, strlen(frames), red, sizeof(red));
				frames = red;
			}
			pipeline_stack(rn.p, id, frames);
			continue;
		}
		st_redact_rec(&x->red, &r, st_log_list_offset(lg));
		if (pipeline_push(rn.p, &r)) {
			fprintf(stderr, "shrinktrace replay: %s: out of memory\n", path);
			ret = ST_EXIT_ERROR;
			break;
		}
	}
	if (rc < 0) {
		fprintf(stderr, "%s\n", st_log_error(lg));
		ret = ST_EXIT_ERROR;
	}
	if (st_log_warning(lg))
		fprintf(stderr, "%s\n", st_log_warning(lg));
	if (rn.p) {
		nv += run_finish(a, &rn, lg, path, ret != ST_EXIT_CLEAN);
		corr_get_stats(pipeline_corr(rn.p), &cs);
	}
	if (a->stats) {
		const struct st_log_stats *ls = st_log_get_stats(lg);
		struct rusage ru;
		double dt = now_s() - t0;

		getrusage(RUSAGE_SELF, &ru);
		fprintf(stderr, "%s: %" PRIu64 " lines, %" PRIu64 " events, %" PRIu64 " late, %" PRIu64
			" lost, %" PRIu64 " unknown types, %" PRIu64 " unknown fields; held max %" PRIu64
			", generations %" PRIu64 " (table %" PRIu64 ", tombstones %" PRIu64
			", evicted %" PRIu64 "); %.3f s, %.0f events/s, peak RSS %ld KiB\n",
			path, ls->lines, ls->events, cs.late, cs.lost, ls->skipped_types,
			ls->unknown_fields, cs.held_max, cs.shrinkers_seen, cs.live_generations,
			cs.tombstones, cs.tombstones_evicted, dt, dt > 0 ? ls->events / dt : 0.0,
			ru.ru_maxrss);
	}
	if (ret == ST_EXIT_CLEAN && nv)
		ret = ST_EXIT_VIOLATIONS;
	pipeline_free(rn.p);
	st_log_close(lg);
	return ret;
}

/* The replay after its options: the output, the sinks, every file. */
static void ctx_free(struct replay_ctx *x)
{
	plan_free(&x->plan);
	free(x);
}

static int replay_run(struct replay_args *a)
{
	struct replay_ctx *x;
	int ret = ST_EXIT_CLEAN, werr;
	bool viol = false, to_stdout;
	char err[256], out_shown[512] = "";

	x = calloc(1, sizeof(*x));
	if (!x) {
		fprintf(stderr, "shrinktrace replay: out of memory\n");
		return ST_EXIT_ERROR;
	}
	if (plan_runs(a->files, a->nfiles, &x->plan) < 0) {
		fprintf(stderr, "shrinktrace replay: out of memory\n");
		ctx_free(x);
		return ST_EXIT_ERROR;
	}
	if (converting(a) && x->plan.nruns > 1) {
		fprintf(stderr, "shrinktrace replay: --format %s converts one log at a time, "
			"%d given\n", a->fmt->format, x->plan.nruns);
		ctx_free(x);
		return ST_EXIT_USAGE;
	}
	to_stdout = !a->out || !strcmp(a->out, "-");
	if (!to_stdout)
		st_clean_text(out_shown, sizeof(out_shown), a->out);
	if (a->mode_set && to_stdout) {
		fprintf(stderr, "shrinktrace replay: --mode is the mode of -o OUT: add -o OUT\n");
		ctx_free(x);
		return ST_EXIT_USAGE;
	}
	{
		struct sink_args sa = { .format = a->fmt, .out_path = to_stdout ? NULL : a->out };

		if (sink_setup_check(a->sinks, &sa, err, sizeof(err))) {
			fprintf(stderr, "shrinktrace replay: %s\n", err);
			ctx_free(x);
			return ST_EXIT_USAGE;
		}
	}
	/* a debugging and testing knob: small caps of the correlator (README) */
	if (corr_parse_caps(getenv("SHRINKTRACE_CAPS"), &a->caps, err, sizeof(err))) {
		fprintf(stderr, "shrinktrace replay: SHRINKTRACE_CAPS: %s\n", err);
		ctx_free(x);
		return ST_EXIT_USAGE;
	}
	if (st_redact_init(&x->red, a->redact, NULL)) {
		fprintf(stderr, "shrinktrace replay: --redact: no random key from getrandom(): %s\n",
			strerror(errno));
		ctx_free(x);
		return ST_EXIT_ERROR;
	}
	/* The output is never one of the inputs (by name or inode, standard
	 * input and output included): it would be read while it is written. */
	for (int i = 0; i < a->nfiles; i++) {
		if (st_output_is_input(a->out, a->files[i])) {
			char o[256], in[256];

			st_clean_text(o, sizeof(o), to_stdout ? "standard output" : a->out);
			st_clean_text(in, sizeof(in), strcmp(a->files[i], "-") ? a->files[i] :
				      "standard input");
			fprintf(stderr, "shrinktrace replay: the output (%s) is the input %s: write "
				"to another file\n", o, in);
			ctx_free(x);
			return ST_EXIT_USAGE;
		}
	}
	/* A reader that goes away (| head) is not an error: EPIPE, then a quiet end. */
	signal(SIGPIPE, SIG_IGN);
	if (to_stdout) {
		fflush(stdout);
		x->out = st_output_stream(STDOUT_FILENO);
		if (!x->out) {
			fprintf(stderr, "shrinktrace replay: out of memory\n");
			ctx_free(x);
			return ST_EXIT_ERROR;
		}
	} else {
		/* a fresh file, put in place of an earlier OUT only when the
		 * replay has ended without error */
		x->out = st_output_create(a->out, a->mode_set ? a->mode : ST_OUTPUT_MODE, 0);
		if (!x->out) {
			fprintf(stderr, "shrinktrace replay: cannot write %s: %s: choose a writable "
				"path for -o (a regular file, not a symlink)\n", out_shown,
				st_output_strerror(errno));
			ctx_free(x);
			return ST_EXIT_ERROR;
		}
	}
	/* the sinks, from the table: the --format's on the output, and any
	 * other sink of replay's */
	{
		struct sink_args sa = {
			.format = a->fmt, .out = x->out, .out_path = to_stdout ? NULL : a->out,
			.out_mode = a->mode_set ? a->mode : ST_OUTPUT_MODE, .sort = a->sort,
			.top_n = a->top_n, .window_ms = a->window_ms,
		};
		struct sink *fs;

		if (sink_setup_prepare(a->sinks, &sa, err, sizeof(err)) ||
		    sink_setup_open(a->sinks, &sa, &x->sinks, &fs, err, sizeof(err))) {
			fprintf(stderr, "shrinktrace replay: %s\n", err);
			ret = ST_EXIT_ERROR;
		}
		x->stats = a->sinks->opened & SINK_STATS;
	}
	for (int g = 0, i = 0, k; g < x->plan.nruns && ret != ST_EXIT_ERROR && !ferror(x->out);
	     g++, i += k) {
		char *paths[64], **pp = paths;
		int r;

		/* the files of a rotated log, oldest first: one run */
		k = x->plan.len[g];
		if (k > (int)(sizeof(paths) / sizeof(paths[0])) &&
		    !(pp = calloc((size_t)k, sizeof(*pp)))) {
			fprintf(stderr, "shrinktrace replay: out of memory\n");
			ret = ST_EXIT_ERROR;
			break;
		}
		for (int j = 0; j < k; j++)
			pp[j] = a->files[x->plan.order[i + j]];
		if (human(a) && a->nfiles > k) {
			char first[512], last[512];

			st_clean_text(first, sizeof(first), strcmp(pp[0], "-") ? pp[0] : "<stdin>");
			st_clean_text(last, sizeof(last), pp[k - 1]);
			fprintf(x->out, "== %s%s%s\n", first, k > 1 ? " .. " : "", k > 1 ? last : "");
		}
		r = k > 1 ? replay_series(a, pp, k, x) : replay_file(a, pp[0], x);
		if (pp != paths)
			free(pp);
		if (r == ST_EXIT_VIOLATIONS)
			viol = true;
		else if (r == ST_EXIT_ERROR)
			ret = ST_EXIT_ERROR;
		if (human(a) && a->nfiles > k && g + 1 < x->plan.nruns)
			fputc('\n', x->out);
	}
	fflush(x->out);
	werr = st_output_error(x->out);
	if (!werr)
		werr = sinks_error(&x->sinks, NULL);
	if (!werr && ferror(x->out))
		werr = EIO;
	/* OUT replaces an earlier file only after a replay without error */
	if (!werr && ret != ST_EXIT_ERROR && !to_stdout && st_output_commit(x->out))
		werr = errno;
	if (fclose(x->out) && !werr)
		werr = errno;
	if (werr == EPIPE && to_stdout) {
		/* whoever read the output is gone: what they read was whole */
	} else if (werr) {
		fprintf(stderr, "shrinktrace replay: writing %s failed: %s%s\n",
			to_stdout ? "standard output" : out_shown,
			to_stdout ? strerror(werr) : st_output_strerror(werr),
			to_stdout ? ": the lines written before are complete" :
			": it is left as it was before");
		ret = ST_EXIT_ERROR;
	}
	sinks_free(&x->sinks);
	ctx_free(x);
	if (ret == ST_EXIT_CLEAN && viol)
		ret = ST_EXIT_VIOLATIONS;
	return ret;
}

int replay_main(int argc, char **argv)
{
	struct sink_setup ss;
	struct replay_args a = { .sinks = &ss, .stuck_after_ns = CORR_DEFAULT_STUCK_NS,
				 .window_ns = CORR_DEFAULT_WINDOW_NS,
				 .window_ms = CORR_DEFAULT_WINDOW_NS / 1e6 };
	struct argp argp = { options, parse_opt, "FILE...", doc, ss.children, NULL, NULL };
	char *name = "shrinktrace replay";
	char **av;
	int ret;

	if (sink_setup_init(&ss, SINK_REPLAY)) {
		fprintf(stderr, "shrinktrace replay: out of memory\n");
		return ST_EXIT_ERROR;
	}
	a.fmt = sink_format(REPLAY_DEFAULT_FORMAT, SINK_REPLAY);
	/* argp names the program after argv[0] in usage and error messages */
	av = calloc((size_t)argc + 1, sizeof(*av));
	if (!av) {
		fprintf(stderr, "shrinktrace replay: out of memory\n");
		sink_setup_free(&ss);
		return ST_EXIT_ERROR;
	}
	memcpy(av, argv, (size_t)argc * sizeof(*av));
	if (argc > 0)
		av[0] = name;
	argp_err_exit_status = ST_EXIT_USAGE;
	if (argp_parse(&argp, argc, av, 0, NULL, &a))
		ret = ST_EXIT_USAGE;
	else
		ret = replay_run(&a);
	free(av);
	sink_setup_free(&ss);
	return ret;
}
