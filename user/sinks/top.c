/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sinks/top.c - `shrinktrace --top` frames (see sinks/top.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "sinks/tables.h"
#include "sinks/registry.h"
#include "sinks/top.h"

struct top {
	FILE *f;
	unsigned flags;		/* TOP_* */
	struct stats_rows prev;	/* the rows at the last frame (deltas) */
	bool have_prev;
	uint64_t prev_ns;	/* when they were taken */
	unsigned frames;	/* drawn so far */
	bool tty;
	bool alt;		/* on the alternate screen */
	uint64_t interval_ns, next_ns;
	enum stats_sort sort;
	char notes[TOP_NOTES_KEPT][TOP_NOTE_LEN];
	unsigned nnotes;	/* ever noted; the first TOP_NOTES_KEPT are kept */
};

/* Violations shown under the table. */
#define TOP_NOTES_SHOWN 3

struct top *top_new(FILE *f, double interval_s, enum stats_sort sort, uint64_t start_ns,
		    unsigned flags)
{
	struct top *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->f = f;
	t->tty = isatty(fileno(f));
	t->interval_ns = (uint64_t)(interval_s * 1e9 + 0.5);
	t->next_ns = start_ns + t->interval_ns;
	t->sort = sort;
	t->flags = flags;
	return t;
}

unsigned top_frames(const struct top *t)
{
	return t->frames;
}

void top_end(struct top *t)
{
	if (!t)
		return;
	if (t->alt) {
		fputs("\033[?25h\033[?1049l", t->f);
		fflush(t->f);
		t->alt = false;
	}
	if (!t->tty)
		return;
	for (unsigned i = 0; i < t->nnotes && i < TOP_NOTES_KEPT; i++)
		fprintf(stderr, "%s\n", t->notes[i]);
	if (t->nnotes > TOP_NOTES_KEPT)
		fprintf(stderr, "shrinktrace: %u more violations: see the summary and the log\n",
			t->nnotes - TOP_NOTES_KEPT);
	t->nnotes = 0;
}

void top_free(struct top *t)
{
	top_end(t);
	if (t)
		stats_rows_free(&t->prev);
	free(t);
}

bool top_on_tty(const struct top *t)
{
	return t && t->tty;
}

void top_note(struct top *t, const char *line)
{
	if (t->nnotes < TOP_NOTES_KEPT)
		snprintf(t->notes[t->nnotes], TOP_NOTE_LEN, "%s", line);
	t->nnotes++;
}

bool top_due(struct top *t, uint64_t now_ns)
{
	if (now_ns < t->next_ns)
		return false;
	t->next_ns += t->interval_ns;
	if (t->next_ns <= now_ns)	/* fell behind: no burst of frames */
		t->next_ns = now_ns + t->interval_ns;
	return true;
}

static void state_line(FILE *f, const struct top_state *st, const char *when, bool tty,
		       enum stats_sort sort)
{
	fprintf(f, "%s %s, %.1f s: backend %s, %" PRIu64 " events, %" PRIu64 " lost, ",
		tty ? "shrinktrace" : "---", when, st->elapsed_s,
		st->backend ? st->backend : "?", st->events, st->lost);
	if (st->late)
		fprintf(f, "%" PRIu64 " late, ", st->late);
	fprintf(f, "%" PRIu64 " violation%s%s, sorted by %s", st->violations,
		st->violations == 1 ? "" : "s", st->violations && !tty ? " (on stderr)" : "",
		stats_sort_name(sort));
}

/* The table of this frame: the interval since the last frame, or (with
 * TOP_CUMULATIVE, and on the first frame) everything so far. */
static int frame_rows(struct top *t, const struct stats *s, uint64_t now_ns,
		      struct stats_rows *out, char *what, size_t wlen)
{
	enum stats_by by = (t->flags & TOP_BY_MEMCG) ? STATS_BY_MEMCG : STATS_BY_SHRINKER;
	struct stats_rows now;
	char b[32];

	if (stats_rows_take(s, by, &now))
		return -1;
	if (t->flags & TOP_CUMULATIVE) {
		*out = now;
		snprintf(what, wlen, "since the start");
		return 0;
	}
	if (stats_rows_take(s, by, out)) {
		stats_rows_free(&now);
		return -1;
	}
	if (t->have_prev) {
		stats_rows_sub(out, &t->prev);
		snprintf(what, wlen, "last %s", stats_fmt_ns(now_ns - t->prev_ns, b, sizeof(b)));
	} else {
		snprintf(what, wlen, "since the start");
	}
	stats_rows_free(&t->prev);
	t->prev = now;
	t->have_prev = true;
	t->prev_ns = now_ns;
	return 0;
}

int top_draw(struct top *t, const struct stats *s, const struct top_state *st)
{
	struct stats_print_opts o = {
		.sort = t->sort, .span_ns = st->span_ns, .show_lost = true, .lost = st->lost,
	};
	struct stats_rows frame;
	char when[32], what[64];
	time_t now = time(NULL);
	struct tm tm;

	if (frame_rows(t, s, st->now_ns, &frame, what, sizeof(what)))
		return -1;
	t->frames++;

	localtime_r(&now, &tm);
	if (!t->tty) {
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		state_line(t->f, st, when, false, t->sort);
		fputc('\n', t->f);
		stats_print_rows(t->f, &frame, &o, what, true);
		fputc('\n', t->f);
	} else {
		struct winsize ws = { 0 };
		unsigned rows = 24, cols = 80;
		char *buf = NULL, *p, *nl;
		size_t len = 0;
		FILE *m;

		if (!ioctl(fileno(t->f), TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col) {
			rows = ws.ws_row;
			cols = ws.ws_col;
		}
		unsigned shown = t->nnotes < TOP_NOTES_SHOWN ? t->nnotes : TOP_NOTES_SHOWN;

		o.width = cols;
		/* state line, totals, table header, "... more", the violations
		 * and their blank line, and the cursor's line */
		o.top_n = rows > 6 + shown + !!shown ? rows - 5 - shown - !!shown : 1;
		m = open_memstream(&buf, &len);
		if (!m) {
			stats_rows_free(&frame);
			return -1;
		}
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		state_line(m, st, when, true, t->sort);
		fputc('\n', m);
		stats_print_rows(m, &frame, &o, what, true);
		if (shown) {
			unsigned last = (t->nnotes < TOP_NOTES_KEPT ? t->nnotes : TOP_NOTES_KEPT);

			fputc('\n', m);
			for (unsigned i = last - shown; i < last; i++)
				fprintf(m, "%s\n", t->notes[i]);
		}
		if (fclose(m)) {
			free(buf);
			stats_rows_free(&frame);
			return -1;
		}
		if (!t->alt) {	/* the alternate screen, cursor hidden */
			fputs("\033[?1049h\033[?25l", t->f);
			t->alt = true;
		}
		/* home; each line cut to the width and cleared to its end; clear below */
		fputs("\033[H", t->f);
		for (p = buf; *p; p = nl + 1) {
			unsigned c = 0;
			char *q;

			nl = strchr(p, '\n');
			if (!nl)
				nl = p + strlen(p);
			for (q = p; q < nl; q++)
				if (((unsigned char)*q & 0xc0) != 0x80 && ++c > cols)
					break;
			fwrite(p, 1, (size_t)(q - p), t->f);
			fputs("\033[K\n", t->f);
			if (!*nl)
				break;
		}
		fputs("\033[J", t->f);
		free(buf);
	}
	stats_rows_free(&frame);
	if (fflush(t->f) || ferror(t->f)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

/* ---- as a sink -------------------------------------------------------------- */

struct top_sink {
	struct sink sink;
	struct top *t;
	double interval_s;
	const char *backend;	/* from begin (static strings of the loader) */
	char backend_buf[32];
	int err;
};

static void tsk_begin(struct sink *s, const struct sink_begin *b)
{
	struct top_sink *k = (struct top_sink *)s;

	snprintf(k->backend_buf, sizeof(k->backend_buf), "%s", b->backend ? b->backend : "");
	k->backend = k->backend_buf;
	k->t->next_ns = b->start_ts + k->t->interval_ns;
}

static void tsk_tick(struct sink *s, const struct sink_state *st)
{
	struct top_sink *k = (struct top_sink *)s;
	struct top_state ts;

	if (k->err || !top_due(k->t, st->now_ns))
		return;
	if (st->refresh)
		st->refresh(st->refresh_ctx);
	ts = (struct top_state){
		.now_ns = st->now_ns,
		.elapsed_s = st->elapsed_s,
		.span_ns = st->cs->last_ts - st->cs->first_ts,
		.backend = k->backend,
		.events = st->cs->events, .lost = st->kernel_lost, .late = st->cs->late,
		.violations = st->violations,
	};
	errno = 0;
	if (top_draw(k->t, st->stats, &ts))
		k->err = errno ? errno : EIO;
}

/* Back to the normal screen, the violations noted there printed. */
static void tsk_finish(struct sink *s, const struct sink_state *st)
{
	(void)st;
	top_end(((struct top_sink *)s)->t);
}

static int tsk_error(const struct sink *s)
{
	return ((const struct top_sink *)s)->err;
}

static void tsk_free(struct sink *s)
{
	struct top_sink *k = (struct top_sink *)s;

	top_free(k->t);
	free(k);
}

static const struct sink_ops top_ops = {
	.name = "top", .begin = tsk_begin, .tick = tsk_tick, .finish = tsk_finish,
	.error = tsk_error, .free = tsk_free,
};

struct sink *top_sink_new(FILE *f, double interval_s, enum stats_sort sort, unsigned flags)
{
	struct top_sink *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->sink.ops = &top_ops;
	k->t = top_new(f, interval_s, sort, 0, flags);
	if (!k->t) {
		free(k);
		return NULL;
	}
	return &k->sink;
}

bool top_sink_takes_notes(const struct sink *s)
{
	return s && top_on_tty(((const struct top_sink *)s)->t);
}

void top_sink_note(struct sink *s, const char *line)
{
	top_note(((struct top_sink *)s)->t, line);
}

unsigned top_sink_frames(const struct sink *s)
{
	return top_frames(((const struct top_sink *)s)->t);
}

/* ---- the row of the table of sinks (sinks/registry.h) ----------------------------- */

static int top_open(void *conf, struct sink_args *a, const struct sinks *before,
		    struct sink **out, char *err, size_t len)
{
	if (a->top <= 0)
		return 0;
	*out = top_sink_new(stdout, a->top, a->sort, a->top_flags);
	return *out ? 0 : -1;
}

/* --top [INTERVAL] (the tracer parses it: it also makes the run -q, and
 * COUNT frames end the run). */
const struct sink_desc top_sink_desc = {
	.name = "top", .flags = SINK_LIVE | SINK_STATS, .open = top_open,
};
