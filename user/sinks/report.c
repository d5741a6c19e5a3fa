// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sinks/report.c - the tracer's summary and replay's text report (see sinks/report.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/util.h"
#include "sinks/registry.h"
#include "sinks/report.h"
#include "sinks/tables.h"
#include "sinks/top.h"

struct report_sink {
	struct sink sink;
	FILE *f;
	struct sink *top;		/* summary: the --top sink, or NULL */
	struct report_opts o;
	const char *source;		/* replay: the file, for its totals line */
	unsigned run;			/* replay: which run of the file */
	uint64_t violations;		/* in this run */
	int err;
};

/* One line of the summary's head, built in pieces, then written wrapped to
 * 80 columns (continuation lines indented 6: key=value items stay whole). */
struct sline {
	char s[1024];
	size_t n;
};

static void sl_add(struct sline *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sl_add(struct sline *l, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (l->n >= sizeof(l->s) - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(l->s + l->n, sizeof(l->s) - l->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		l->n = (size_t)k >= sizeof(l->s) - l->n ? sizeof(l->s) - 1 : l->n + (size_t)k;
}

static void sl_put(struct sline *l, FILE *f)
{
	st_put_wrapped(f, l->s, 6);
	l->n = 0;
	l->s[0] = '\0';
}

const char *report_violation_line(const struct st_violation *v, char *buf, size_t len)
{
	char name[ST_REC_NAME_LEN], detail[ST_DETAIL_LEN];

	st_clean_text(name, sizeof(name), v->name[0] ? v->name : "?");
	st_clean_text(detail, sizeof(detail), v->detail);
	snprintf(buf, len, "shrinktrace: VIOLATION %s on %s (0x%" PRIx64 ")%s: %s",
		 st_vkind_name(v->kind), name, v->shrinker,
		 v->certain ? "" : " [uncertain: events were lost]", detail);
	return buf;
}

/* The kernel side's account (struct sink_kernel): nothing in replay. */
/* stale_next split: near misses (the next shrinker queued, not yet freed)
 * and their margin to its RCU free, and steps onto freed memory. */
static void report_near(const struct corr_stats *cs, FILE *f)
{
	char a[32], b[32], c[32];
	struct sline l = { .n = 0 };

	sl_add(&l, "  stale_next: %" PRIu64 " near miss%s (the next shrinker queued, not yet RCU "
	       "freed), %" PRIu64 " onto freed memory", cs->near_misses,
	       cs->near_misses == 1 ? "" : "es", cs->stale_freed);
	if (cs->near_timed)
		sl_add(&l, "; margin to the RCU free: min %s, p50 %s, max %s (%" PRIu64 " known)",
		       stats_fmt_ns(cs->near_margin_min, a, sizeof(a)),
		       stats_fmt_ns(stats_percentile(cs->near_hist, cs->near_margin_max, 500), b,
				    sizeof(b)),
		       stats_fmt_ns(cs->near_margin_max, c, sizeof(c)), cs->near_timed);
	sl_put(&l, f);
}

/* Generations whose address came back before their rcu_free was seen. */
static void report_rcu_unseen(const struct corr_stats *cs, FILE *f)
{
	struct sline l = { .n = 0 };

	if (!cs->rcu_unseen)
		return;
	sl_add(&l, "  rcu_free unseen: %" PRIu64 " generation%s queued by shrinker_free() whose "
	       "address was allocated again before its rcu_free was seen (the kernel skipped "
	       "the probe)", cs->rcu_unseen, cs->rcu_unseen == 1 ? "" : "s");
	sl_put(&l, f);
}

static void report_kernel(const struct sink_kernel *k, FILE *f)
{
	struct sline l = { .n = 0 };

	if (k->skipped_runs) {
		sl_add(&l, "  skipped: the kernel skipped %" PRIu64 " runs of our programs that "
		       "would have nested on a CPU (an interrupt during one of them); an inferred "
		       "rcu_free may be missing", k->skipped_runs);
		sl_put(&l, f);
	}
	if (!k->lifecycle)
		return;
	sl_add(&l, "  lifecycle: %" PRIu64 " shrinker_alloc; rcu_free %" PRIu64 " at kmem:kfree, %"
	       PRIu64 " inferred from address reuse (kfree unseen), %" PRIu64 " unseen by the end "
	       "(lost records, %" PRIu64 " of them never seen registered)", k->allocs,
	       k->rcu_kfree, k->rcu_reuse, k->exit_lost, k->exit_open);
	sl_put(&l, f);
	if (!k->census_known)
		sl_add(&l, "  census: not run (&shrinker_list not known yet: no call and no kfree "
		       "of a registered shrinker seen)");
	else
		sl_add(&l, "  census: %" PRIu64 " walks of shrinker_list, %" PRIu64 " listed at the "
		       "last%s", k->census_runs, k->census_listed,
		       k->census_capped ? " (capped: some walks stopped early)" : "");
	sl_put(&l, f);
	if (k->untracked) {
		sl_add(&l, "  untracked: %" PRIu64 " shrinkers not tracked (tracked map full)",
		       k->untracked);
		sl_put(&l, f);
	}
}

static void note_error(struct report_sink *r)
{
	if (!r->err && ferror(r->f))
		r->err = errno ? errno : EIO;
}

static void rs_begin(struct sink *s, const struct sink_begin *b)
{
	struct report_sink *r = (struct report_sink *)s;

	r->source = b->source;
	r->run = b->run;
	r->violations = 0;
}

/* ---- the tracer's summary ------------------------------------------------------ */

/* Also on stderr, so that a redirected stdout does not hide it; under a --top
 * drawn on the terminal, below its table and after it ends. */
static void sum_violation(struct sink *s, const struct st_violation *v)
{
	struct report_sink *r = (struct report_sink *)s;
	char line[TOP_NOTE_LEN];

	r->violations++;
	report_violation_line(v, line, sizeof(line));
	if (top_sink_takes_notes(r->top))
		top_sink_note(r->top, line);
	else
		fprintf(r->f, "%s\n", line);
}

static void sum_finish(struct sink *s, const struct sink_state *st)
{
	static const enum st_type order[] = {
		ST_SHRINKER_ALLOC, ST_SHRINKER_REGISTER, ST_WALK_BEGIN, ST_WALK_END,
		ST_SHRINK_BEGIN, ST_SHRINK_END, ST_FREE_BEGIN, ST_FREE_END, ST_RCU_FREE, ST_LOST,
	};
	struct report_sink *r = (struct report_sink *)s;
	const struct corr_stats *cs = st->cs;
	FILE *f = r->f;
	uint64_t nviol = 0;
	char cmd[256];
	struct sline l = { .n = 0 };

	fprintf(f, "\nshrinktrace: summary: %.1f s traced, %" PRIu64 " events\n", st->elapsed_s,
		cs->events);
	sl_add(&l, "  events:");
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		sl_add(&l, " %s=%" PRIu64, st_type_name(order[i]), cs->by_type[order[i]]);
	sl_put(&l, f);
	sl_add(&l, "  lost: %" PRIu64 " events dropped by the kernel side (ring buffer "
	       "full)%s; %" PRIu64 " arrived after the reorder window", st->kernel_lost,
	       st->kernel_lost ? ": raise --ringbuf-size" : "", cs->late);
	sl_put(&l, f);
	report_kernel(&st->kernel, f);
	report_rcu_unseen(cs, f);
	fprintf(f, "  shrinkers seen: %" PRIu64 "\n", cs->shrinkers_seen);
	sl_add(&l, "  violations:");
	for (int k = 0; k < ST_V_NKINDS; k++) {
		sl_add(&l, " %s=%" PRIu64, st_vkind_name((enum st_vkind)k), cs->violations[k]);
		nviol += cs->violations[k];
	}
	sl_add(&l, "%s", nviol ? "" : " (none)");
	sl_put(&l, f);
	if (cs->near_misses || cs->stale_freed)
		report_near(cs, f);
	for (int k = 0; k < CORR_NCAPS; k++) {
		if (cs->cap_hits[k]) {
			fputs("  ", f);
			corr_print_caps(st->corr, f);
			break;
		}
	}
	life_print_report(st->life, f);
	if (st->stats) {
		struct stats_print_opts so = {
			.sort = r->o.sort, .span_ns = cs->last_ts - cs->first_ts,
			.show_lost = true, .lost = cs->lost, .width = tables_width_of(f),
		};

		fputc('\n', f);
		stats_print_report(st->stats, f, &so);
		if (st->stats_oom)
			fprintf(f, "shrinktrace: out of memory: the statistics are incomplete\n");
		fputc('\n', f);
	}
	if (st->command) {
		st_clean_text(cmd, sizeof(cmd), st->command);
		if (st->command_status == -1)
			fprintf(f, "  command: %s could not be reaped\n", cmd);
		else if (WIFEXITED(st->command_status))
			fprintf(f, "  command: %s exited with status %d\n", cmd,
				WEXITSTATUS(st->command_status));
		else if (WIFSIGNALED(st->command_status))
			fprintf(f, "  command: %s killed by signal %d\n", cmd,
				WTERMSIG(st->command_status));
	}
	if (st->log_path) {
		char path[512];

		st_clean_text(path, sizeof(path), st->log_path);
		fprintf(f, "  log: %s\n", path);
	}
	note_error(r);
}

static int rs_error(const struct sink *s)
{
	return ((const struct report_sink *)s)->err;
}

static void rs_free(struct sink *s)
{
	free(s);
}

static const struct sink_ops summary_ops = {
	.name = "summary", .begin = rs_begin, .violation = sum_violation, .finish = sum_finish,
	.error = rs_error, .free = rs_free,
};

static struct report_sink *rs_new(FILE *f, const struct report_opts *o,
				  const struct sink_ops *ops)
{
	struct report_sink *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->sink.ops = ops;
	r->f = f;
	if (o)
		r->o = *o;
	return r;
}

struct sink *summary_sink_new(FILE *f, struct sink *top, const struct report_opts *o)
{
	struct report_sink *r = rs_new(f, o, &summary_ops);

	if (!r)
		return NULL;
	r->top = top;
	return &r->sink;
}

/* ---- replay's text report ------------------------------------------------------ */

static void rep_violation(struct sink *s, const struct st_violation *v)
{
	struct report_sink *r = (struct report_sink *)s;
	char name[ST_REC_NAME_LEN], walker[ST_REC_COMM_LEN], detail[ST_DETAIL_LEN];

	r->violations++;
	st_clean_text(name, sizeof(name), v->name[0] ? v->name : "(unnamed)");
	fprintf(r->f, "VIOLATION %s: shrinker %s at 0x%" PRIx64, st_vkind_name(v->kind), name,
		v->shrinker);
	if (v->has_next)
		fprintf(r->f, ", next 0x%" PRIx64, v->next);
	if (v->walker_pid) {
		st_clean_text(walker, sizeof(walker), v->walker_comm);
		fprintf(r->f, ", walker %s (pid %d)", walker, v->walker_pid);
	}
	st_clean_text(detail, sizeof(detail), v->detail);
	fprintf(r->f, "%s\n  %s\n\n", v->certain ? "" : " [uncertain: events were lost around it]",
		detail);
	note_error(r);
}

static void rep_finish(struct sink *s, const struct sink_state *st)
{
	struct report_sink *r = (struct report_sink *)s;
	const struct corr_stats *cs = st->cs;
	const struct st_log_stats *ls = st->log;
	FILE *f = r->f;
	uint64_t nv = 0, span = cs->last_ts - cs->first_ts;
	char src[512];

	if (st->input_error)
		return;
	for (int k = 0; k < ST_V_NKINDS; k++)
		nv += cs->violations[k];
	if (!nv)
		fprintf(f, "no violations\n\n");
	life_print_report(st->life, f);
	if (st->stats) {
		struct stats_print_opts so = {
			.sort = r->o.sort, .top_n = r->o.top_n, .span_ns = span,
			.show_lost = true, .lost = cs->lost,
		};

		fputc('\n', f);
		stats_print_report(st->stats, f, &so);
		fputc('\n', f);
	}
	st_clean_text(src, sizeof(src), r->source ? r->source : "");
	if (r->run > 1)
		fprintf(f, "%s (run %u)", src, r->run);
	else
		fputs(src, f);
	fprintf(f, ": %" PRIu64 " events over %" PRIu64 ".%06" PRIu64 " ms, %" PRIu64
		" shrinker generations, %" PRIu64 " violation%s", cs->events, span / 1000000,
		span % 1000000, cs->shrinkers_seen, nv, nv == 1 ? "" : "s");
	if (cs->lost)
		fprintf(f, ", %" PRIu64 " events lost by the kernel side", cs->lost);
	if (cs->late)
		fprintf(f, ", %" PRIu64 " late", cs->late);
	if (ls && ls->skipped_types)
		fprintf(f, ", %" PRIu64 " records of unknown type ignored", ls->skipped_types);
	fprintf(f, "\n");
	report_rcu_unseen(cs, f);
	if (cs->near_misses || cs->stale_freed)
		report_near(cs, f);
	corr_print_caps(st->corr, f);
	note_error(r);
}

static const struct sink_ops report_ops = {
	.name = "report", .begin = rs_begin, .violation = rep_violation, .finish = rep_finish,
	.error = rs_error, .free = rs_free,
};

struct sink *report_sink_new(FILE *f, const struct report_opts *o)
{
	struct report_sink *r = rs_new(f, o, &report_ops);

	return r ? &r->sink : NULL;
}

/* ---- rows of the table of sinks (sinks/registry.h) ------------------------------- */

static int summary_open(void *conf, struct sink_args *a, const struct sinks *before,
			struct sink **out, char *err, size_t len)
{
	struct report_opts o = { .sort = a->sort, .kernel_stats = a->stats_only };

	*out = summary_sink_new(stderr, sinks_find(before, "top"), &o);
	return *out ? 0 : -1;
}

/* The tracer's summary on stderr: in every run, last. */
const struct sink_desc summary_sink_desc = {
	.name = "summary", .flags = SINK_LIVE | SINK_STATS, .open = summary_open,
};

static int report_open(void *conf, struct sink_args *a, const struct sinks *before,
		       struct sink **out, char *err, size_t len)
{
	struct report_opts o = { .sort = a->sort, .top_n = a->top_n, .window_ms = a->window_ms };

	*out = report_sink_new(a->out, &o);
	return *out ? 0 : -1;
}

/* replay --format text (the default). */
const struct sink_desc report_sink_desc = {
	.name = "report", .format = "text", .flags = SINK_REPLAY | SINK_STATS | SINK_HUMAN,
	.open = report_open,
};
