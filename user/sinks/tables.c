// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sinks/tables.c - the statistics as text: the table of shrinkers (--top and
 * the report), the report's generations, tasks, walks and histograms (see
 * sinks/tables.h).  The numbers are engine/stats.c's; this only lays them out.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/util.h"
#include "sinks/tables.h"

/* ---- rendering -------------------------------------------------------------------- */

const char *stats_fmt_ns(uint64_t ns, char *buf, size_t len)
{
	static const char *const units[] = { "µs", "ms", "s" };
	double v = (double)ns;
	unsigned u;

	if (ns < 1000) {
		snprintf(buf, len, "%" PRIu64 "ns", ns);
		return buf;
	}
	v /= 1000;
	for (u = 0; u < 2 && v >= 999.5; u++)
		v /= 1000;
	if (v < 9.995)
		snprintf(buf, len, "%.2f%s", v, units[u]);
	else if (v < 99.95)
		snprintf(buf, len, "%.1f%s", v, units[u]);
	else
		snprintf(buf, len, "%.0f%s", v, units[u]);
	return buf;
}

/* Display width of UTF-8 text (continuation bytes take no column). */
static unsigned dwidth(const char *s)
{
	unsigned w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* A line assembled in memory, then written cut to the width. */
struct line {
	char b[1024];
	size_t n;
};

static void lput(struct line *l, const char *s)
{
	size_t k = strlen(s);

	if (k > sizeof(l->b) - 1 - l->n)
		k = sizeof(l->b) - 1 - l->n;
	memcpy(l->b + l->n, s, k);
	l->n += k;
	l->b[l->n] = '\0';
}

static void lpad(struct line *l, const char *s, unsigned w, bool right)
{
	unsigned dw = dwidth(s);

	if (!right)
		lput(l, s);
	for (; dw < w; dw++)
		lput(l, " ");
	if (right)
		lput(l, s);
}

static void lprintf(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void lprintf(struct line *l, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	lput(l, tmp);
}

/* Write the line, trailing blanks removed, cut to width columns (0: whole). */
static void lflush(struct line *l, FILE *f, unsigned width)
{
	size_t end = l->n;
	unsigned cols = 0;

	while (end && l->b[end - 1] == ' ')
		end--;
	if (width) {
		for (size_t i = 0; i < end; i++) {
			if (((unsigned char)l->b[i] & 0xc0) != 0x80 && ++cols > width) {
				end = i;
				break;
			}
		}
	}
	fwrite(l->b, 1, end, f);
	fputc('\n', f);
	l->n = 0;
	l->b[0] = '\0';
}

enum col { C_NAME, C_GENS, C_CALLS, C_ZERO, C_EMPTY, C_SCANNED, C_FREED, C_RATIO, C_TOTAL,
	   C_AVG, C_MAX, C_P50, C_P99, NCOL };

static const char *const col_hdr[NCOL] = {
	"NAME", "GENS", "CALLS", "ZERO", "EMPTY", "SCANNED", "FREED", "FREED%", "TOTAL", "AVG",
	"MAX", "P50", "P99",
};

/* Dropped in this order when the table is wider than the terminal. */
static const enum col drop_order[] = { C_SCANNED, C_EMPTY, C_GENS, C_P50, C_AVG, C_RATIO, C_ZERO,
				       C_P99, C_MAX, C_FREED };

/* What a table is of: shrinker names (NAME, GENS) or memcgs (MEMCG, WALKS),
 * and whether it has the FREED% column (freed per object scanned: --top). */
struct style {
	const char *key_hdr, *gens_hdr;
	bool ratio;
};

static const struct style by_name = { "NAME", "GENS", false };

#define CELL ST_REC_NAME_LEN	/* a name, or a number or duration */
#define NAME_MIN 8
#define NAME_SOFT 20

static void name_cells(const struct stats_name *n, char cells[NCOL][CELL])
{
	uint64_t timed = n->c.calls - n->untimed;

	st_clean_text(cells[C_NAME], CELL, n->name);
	snprintf(cells[C_GENS], CELL, "%" PRIu64, n->gens);
	snprintf(cells[C_CALLS], CELL, "%" PRIu64, (uint64_t)n->c.calls);
	snprintf(cells[C_ZERO], CELL, "%" PRIu64, (uint64_t)n->c.zero_calls);
	snprintf(cells[C_EMPTY], CELL, "%" PRIu64, (uint64_t)n->c.empty_calls);
	snprintf(cells[C_SCANNED], CELL, "%" PRIu64, (uint64_t)n->c.scanned);
	snprintf(cells[C_FREED], CELL, "%" PRIu64, (uint64_t)n->c.freed);
	if (n->c.scanned)
		snprintf(cells[C_RATIO], CELL, "%.0f%%", 100.0 * (double)n->c.freed / (double)n->c.scanned);
	else
		strcpy(cells[C_RATIO], "-");
	if (!timed) {
		for (int c = C_TOTAL; c <= C_P99; c++)
			strcpy(cells[c], "-");
		return;
	}
	stats_fmt_ns(n->c.total_ns, cells[C_TOTAL], CELL);
	stats_fmt_ns(n->c.total_ns / timed, cells[C_AVG], CELL);
	stats_fmt_ns(n->c.max_ns, cells[C_MAX], CELL);
	stats_fmt_ns(stats_percentile(n->c.hist, n->c.max_ns, 500), cells[C_P50], CELL);
	stats_fmt_ns(stats_percentile(n->c.hist, n->c.max_ns, 990), cells[C_P99], CELL);
}

/* Cut s to w columns, marking the cut with '~'. */
static void cut(char *s, unsigned w)
{
	unsigned cols = 0;

	if (dwidth(s) <= w || w < 2)
		return;
	for (char *p = s; *p; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && ++cols == w) {
			p[0] = '~';
			p[1] = '\0';
			return;
		}
	}
}

/* w less excess, but not below floor (nor above w) */
static unsigned shrink_to(unsigned w, unsigned excess, unsigned floor)
{
	if (w <= floor)
		return w;
	return excess < w - floor ? w - excess : floor;
}

static unsigned table_width(const unsigned w[NCOL], const bool on[NCOL])
{
	unsigned t = 0;

	for (int c = 0; c < NCOL; c++)
		if (on[c])
			t += w[c] + (c ? 2 : 0);
	return t;
}

static void print_table(FILE *f, const struct stats_name *const *rows, size_t nrows,
			unsigned width, const struct style *st)
{
	const char *hdr[NCOL];
	char (*cells)[NCOL][CELL] = calloc(nrows ? nrows : 1, sizeof(*cells));
	unsigned w[NCOL];
	bool on[NCOL];
	struct line l = { .n = 0 };
	unsigned total;

	if (!cells)
		return;
	memcpy(hdr, col_hdr, sizeof(hdr));
	hdr[C_NAME] = st->key_hdr;
	hdr[C_GENS] = st->gens_hdr;
	for (int c = 0; c < NCOL; c++) {
		w[c] = dwidth(hdr[c]);
		on[c] = c != C_RATIO || st->ratio;
	}
	for (size_t i = 0; i < nrows; i++) {
		name_cells(rows[i], cells[i]);
		for (int c = 0; c < NCOL; c++)
			if (dwidth(cells[i][c]) > w[c])
				w[c] = dwidth(cells[i][c]);
	}
	if (width) {
		/* first cut long names down to NAME_SOFT, then drop columns, then cut
		 * names down to NAME_MIN */
		total = table_width(w, on);
		if (total > width)
			w[C_NAME] = shrink_to(w[C_NAME], total - width, NAME_SOFT);
		for (size_t d = 0; d < sizeof(drop_order) / sizeof(drop_order[0]) &&
				   table_width(w, on) > width; d++)
			on[drop_order[d]] = false;
		total = table_width(w, on);
		if (total > width)
			w[C_NAME] = shrink_to(w[C_NAME], total - width, NAME_MIN);
	}
	for (int c = 0; c < NCOL; c++) {
		if (!on[c])
			continue;
		if (c)
			lput(&l, "  ");
		lpad(&l, hdr[c], w[c], c != C_NAME);
	}
	lflush(&l, f, width);
	for (size_t i = 0; i < nrows; i++) {
		cut(cells[i][C_NAME], w[C_NAME]);
		for (int c = 0; c < NCOL; c++) {
			if (!on[c])
				continue;
			if (c)
				lput(&l, "  ");
			lpad(&l, cells[i][c], w[c], c != C_NAME);
		}
		lflush(&l, f, width);
	}
	free(cells);
}

static void print_totals(const struct stats *s, FILE *f, const struct stats_print_opts *o)
{
	struct stats_walk w;
	struct stats_totals tot;
	struct line l = { .n = 0 };
	char b[32];

	stats_get_walk(s, &w);
	stats_get_totals(s, &tot);
	lput(&l, "shrinkers:");
	if (o->span_ns)
		lprintf(&l, " events over %s,", stats_fmt_ns(o->span_ns, b, sizeof(b)));
	lprintf(&l, " %" PRIu64 " walk%s, %" PRIu64 " call%s", w.walks, w.walks == 1 ? "" : "s",
		tot.calls, tot.calls == 1 ? "" : "s");
	if (tot.untimed)
		lprintf(&l, " (%" PRIu64 " untimed)", tot.untimed);
	if (tot.unfinished)
		lprintf(&l, " and %" PRIu64 " still in flight at the end", tot.unfinished);
	lprintf(&l, ", %" PRIu64 " objects freed, %s in shrinkers", tot.freed,
		stats_fmt_ns(tot.total_ns, b, sizeof(b)));
	if (o->show_lost)
		lprintf(&l, ", %" PRIu64 " events lost", o->lost);
	lflush(&l, f, o->width);
}

unsigned stats_print_top(const struct stats *s, FILE *f, const struct stats_print_opts *o)
{
	const struct stats_name **v;
	size_t n, shown;
	unsigned lines = 1;

	print_totals(s, f, o);
	n = stats_sorted_names(s, o->sort, NULL, 0);
	v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return lines;
	n = stats_sorted_names(s, o->sort, v, n);
	shown = o->top_n && o->top_n < n ? o->top_n : n;
	print_table(f, v, shown, o->width, &by_name);
	lines += 1 + (unsigned)shown;
	if (shown < n) {
		struct line l = { .n = 0 };

		lprintf(&l, "... %zu more (sorted by %s)", n - shown, stats_sort_name(o->sort));
		lflush(&l, f, o->width);
		lines++;
	}
	free(v);
	return lines;
}

void stats_print_hist(FILE *f, const __u64 hist[ST_HIST_SLOTS])
{
	int first = -1, last = -1;
	uint64_t maxc = 0;
	bool wide;

	for (int k = 0; k < ST_HIST_SLOTS; k++) {
		if (!hist[k])
			continue;
		if (first < 0)
			first = k;
		last = k;
		if (hist[k] > maxc)
			maxc = hist[k];
	}
	if (first < 0)
		return;
	wide = last > 33;	/* 2^33 - 1 has 10 digits */
	if (wide)
		fprintf(f, "               %-29s : count     distribution\n", "nsecs");
	else
		fprintf(f, "     %-19s : count     distribution\n", "nsecs");
	for (int k = first; k <= last; k++) {
		uint64_t lo = k ? 1ULL << (k - 1) : 0, hi = k ? (1ULL << k) - 1 : 0;
		char stars[41];
		unsigned ns = (unsigned)((unsigned __int128)hist[k] * 40 / maxc);

		memset(stars, '*', ns);
		stars[ns] = '\0';
		if (wide)
			fprintf(f, "%20" PRIu64 " -> %-20" PRIu64 " : %-8" PRIu64 " |%-40s|\n",
				lo, hi, (uint64_t)hist[k], stars);
		else
			fprintf(f, "%10" PRIu64 " -> %-10" PRIu64 " : %-8" PRIu64 " |%-40s|\n",
				lo, hi, (uint64_t)hist[k], stars);
	}
}

static int cmp_gens(const void *a, const void *b)
{
	const struct stats_gen *x = *(const struct stats_gen *const *)a;
	const struct stats_gen *y = *(const struct stats_gen *const *)b;

	if (x->total_ns != y->total_ns)
		return x->total_ns > y->total_ns ? -1 : 1;
	if (x->calls != y->calls)
		return x->calls > y->calls ? -1 : 1;
	return x->serial < y->serial ? -1 : x->serial > y->serial;
}

static int cmp_tasks(const void *a, const void *b)
{
	const struct stats_task *x = *(const struct stats_task *const *)a;
	const struct stats_task *y = *(const struct stats_task *const *)b;

	if (x->total_ns != y->total_ns)
		return x->total_ns > y->total_ns ? -1 : 1;
	if (x->calls != y->calls)
		return x->calls > y->calls ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* A small right-aligned table of preformatted cells. */
static void print_cells(FILE *f, unsigned width, unsigned ncol, const char *const *hdr,
			const bool *left, char (*cells)[8][CELL], size_t nrows)
{
	unsigned w[8];
	struct line l = { .n = 0 };

	for (unsigned c = 0; c < ncol; c++) {
		w[c] = dwidth(hdr[c]);
		for (size_t i = 0; i < nrows; i++)
			if (dwidth(cells[i][c]) > w[c])
				w[c] = dwidth(cells[i][c]);
	}
	for (unsigned c = 0; c < ncol; c++) {
		if (c)
			lput(&l, "  ");
		lpad(&l, hdr[c], w[c], !left[c]);
	}
	lflush(&l, f, width);
	for (size_t i = 0; i < nrows; i++) {
		for (unsigned c = 0; c < ncol; c++) {
			if (c)
				lput(&l, "  ");
			lpad(&l, cells[i][c], w[c], !left[c]);
		}
		lflush(&l, f, width);
	}
}

static void print_gens(const struct stats *s, FILE *f, unsigned top, unsigned width)
{
	static const char *const hdr[] = { "SERIAL", "SHRINKER", "NAME", "CALLS", "ZERO",
					   "FREED", "TOTAL", "MAX" };
	static const bool left[] = { false, true, true, false, false, false, false, false };
	const struct stats_gen **v;
	char (*cells)[8][CELL];
	size_t n = 0, shown;

	n = stats_list_gens(s, NULL, 0);
	v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return;
	n = stats_list_gens(s, v, n);
	qsort(v, n, sizeof(*v), cmp_gens);
	shown = n < top ? n : top;
	fprintf(f, "\nGenerations by total time (top %zu of %zu with calls):\n", shown, n);
	cells = calloc(shown ? shown : 1, sizeof(*cells));
	if (cells && shown) {
		for (size_t i = 0; i < shown; i++) {
			const struct stats_gen *g = v[i];

			snprintf(cells[i][0], CELL, "%" PRIu64, g->serial);
			snprintf(cells[i][1], CELL, "0x%" PRIx64, g->addr);
			st_clean_text(cells[i][2], CELL, g->name);
			snprintf(cells[i][3], CELL, "%" PRIu64, g->calls);
			snprintf(cells[i][4], CELL, "%" PRIu64, g->zero_calls);
			snprintf(cells[i][5], CELL, "%" PRIu64, g->freed);
			if (g->calls > g->untimed) {
				stats_fmt_ns(g->total_ns, cells[i][6], CELL);
				stats_fmt_ns(g->max_ns, cells[i][7], CELL);
			} else {
				strcpy(cells[i][6], "-");
				strcpy(cells[i][7], "-");
			}
		}
		print_cells(f, width, 8, hdr, left, cells, shown);
	}
	free(cells);
	free(v);
}

static void print_tasks(const struct stats *s, FILE *f, unsigned top, unsigned width)
{
	static const char *const hdr[] = { "PID", "COMM", "CALLS", "TOTAL", "AVG", "MAX" };
	static const bool left[] = { false, true, false, false, false, false };
	const struct stats_task **v;
	char (*cells)[8][CELL];
	size_t n = 0, shown;

	n = stats_list_tasks(s, NULL, 0);
	v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return;
	n = stats_list_tasks(s, v, n);
	qsort(v, n, sizeof(*v), cmp_tasks);
	shown = n < top ? n : top;
	fprintf(f, "\nTasks by time in shrinkers (top %zu of %zu):\n", shown, n);
	cells = calloc(shown ? shown : 1, sizeof(*cells));
	if (cells && shown) {
		for (size_t i = 0; i < shown; i++) {
			const struct stats_task *t = v[i];
			uint64_t timed = t->calls - t->untimed;

			if (t->pid < 0)
				strcpy(cells[i][0], "-");
			else
				snprintf(cells[i][0], CELL, "%d", t->pid);
			st_clean_text(cells[i][1], CELL, t->comm);
			snprintf(cells[i][2], CELL, "%" PRIu64, t->calls);
			if (timed) {
				stats_fmt_ns(t->total_ns, cells[i][3], CELL);
				stats_fmt_ns(t->total_ns / timed, cells[i][4], CELL);
				stats_fmt_ns(t->max_ns, cells[i][5], CELL);
			} else {
				for (int c = 3; c < 6; c++)
					strcpy(cells[i][c], "-");
			}
		}
		print_cells(f, width, 6, hdr, left, cells, shown);
	}
	free(cells);
	free(v);
}

static void print_walks(const struct stats *s, FILE *f)
{
	struct stats_walk w;
	char a[32], b[32], c[32], d[32];
	uint64_t timed, total;

	stats_get_walk(s, &w);
	if (!w.walks) {
		fprintf(f, "\nWalks: none traced\n");
		return;
	}
	timed = w.walks - w.untimed;
	total = w.walks;
	fprintf(f, "\nWalks: %" PRIu64 " (%" PRIu64 " untimed), %" PRIu64 ".%02" PRIu64
		" calls per walk (max %" PRIu64 "), %" PRIu64 " objects freed", w.walks, w.untimed,
		w.calls / w.walks, w.calls % w.walks * 100 / w.walks, w.max_calls, w.freed);
	if (timed)
		fprintf(f, "; duration avg %s max %s p50 %s p99 %s",
			stats_fmt_ns(w.total_ns / timed, a, sizeof(a)),
			stats_fmt_ns(w.max_ns, b, sizeof(b)),
			stats_fmt_ns(stats_percentile(w.hist, w.max_ns, 500), c, sizeof(c)),
			stats_fmt_ns(stats_percentile(w.hist, w.max_ns, 990), d, sizeof(d)));
	fputc('\n', f);
	/* what triggered them, when the log says for any */
	if (stats_get_walk_cause(s, ST_TRIG_UNKNOWN, &w), w.walks == total)
		return;
	fprintf(f, "  by trigger:");
	for (unsigned k = 0, n = 0; k < ST_WALK_CAUSES; k++) {
		stats_get_walk_cause(s, k, &w);
		if (!w.walks)
			continue;
		fprintf(f, "%s %s %" PRIu64, n++ ? "," : "", stats_walk_cause_name(k), w.walks);
		if (w.walks > w.untimed)
			fprintf(f, " (p99 %s)",
				stats_fmt_ns(stats_percentile(w.hist, w.max_ns, 990), a, sizeof(a)));
	}
	fputc('\n', f);
}

static void print_memcgs(const struct stats *s, FILE *f, unsigned top, unsigned width);

void stats_print_report(const struct stats *s, FILE *f, const struct stats_print_opts *o)
{
	struct stats_print_opts all = *o;
	const struct stats_name **v;
	struct stats_walk w;
	struct stats_folded fo;
	struct stats_limits lim;
	unsigned top = o->top_n ? o->top_n : 10;
	size_t n;

	all.top_n = 0;
	static const char *const desc[] = {
		[STATS_SORT_TIME] = "total time",
		[STATS_SORT_CALLS] = "calls",
		[STATS_SORT_FREED] = "objects freed",
		[STATS_SORT_MAX] = "longest call",
		[STATS_SORT_P99] = "p99 latency",
		[STATS_SORT_ZERO] = "calls that freed nothing",
		[STATS_SORT_NAME] = "name",
	};

	fprintf(f, "do_shrink_slab() calls per shrinker, sorted by %s:\n",
		(unsigned)o->sort < sizeof(desc) / sizeof(desc[0]) ? desc[o->sort] : "?");
	stats_print_top(s, f, &all);
	print_gens(s, f, top, o->width);
	print_walks(s, f);
	print_tasks(s, f, top, o->width);
	print_memcgs(s, f, top, o->width);

	n = stats_sorted_names(s, STATS_SORT_TIME, NULL, 0);
	v = malloc((n ? n : 1) * sizeof(*v));
	if (v) {
		n = stats_sorted_names(s, STATS_SORT_TIME, v, n);
		for (size_t i = 0; i < n && i < 3; i++) {
			char name[ST_REC_NAME_LEN];

			if (v[i]->c.calls == v[i]->untimed)
				continue;
			uint64_t timed = v[i]->c.calls - v[i]->untimed;

			st_clean_text(name, sizeof(name), v[i]->name);
			fprintf(f, "\nLatency of %s (do_shrink_slab(), %" PRIu64 " timed call%s):\n",
				name, timed, timed == 1 ? "" : "s");
			stats_print_hist(f, v[i]->c.hist);
		}
		free(v);
	}
	stats_get_walk(s, &w);
	if (w.walks > w.untimed) {
		fprintf(f, "\nLatency of walks (shrink_slab(), %" PRIu64 " timed walk%s):\n",
			w.walks - w.untimed, w.walks - w.untimed == 1 ? "" : "s");
		stats_print_hist(f, w.hist);
	}
	stats_get_folded(s, &fo);
	stats_get_limits(s, &lim);
	if (fo.other_name_calls || fo.gens_folded || fo.other_task_calls)
		fprintf(f, "\nFolded by the memory caps: %" PRIu64 " calls into \"%s\" (more than %zu "
			"names), %" PRIu64 " generations dropped from the generation table (more "
			"than %zu), %" PRIu64 " calls into \"%s\" (more than %zu tasks)\n",
			fo.other_name_calls, STATS_OTHER_NAME, lim.max_names, fo.gens_folded,
			lim.max_gens, fo.other_task_calls, STATS_OTHER_TASKS, lim.max_tasks);
}

/* ---- rows, deltas ------------------------------------------------------------------ */

static const char *memcg_label(const struct stats_memcg *m, char *buf, size_t len)
{
	if (m->path[0])
		return m->path;
	if (m->id)
		snprintf(buf, len, "id %" PRIu64, m->id);
	else
		snprintf(buf, len, "0x%" PRIx64, m->addr);
	return buf;
}

int stats_rows_take(const struct stats *s, enum stats_by by, struct stats_rows *out)
{
	struct stats_totals tot;
	struct stats_walk w;
	size_t n;

	memset(out, 0, sizeof(*out));
	out->by = by;
	stats_get_totals(s, &tot);
	stats_get_walk(s, &w);
	out->calls = tot.calls;
	out->untimed = tot.untimed;
	out->freed = tot.freed;
	out->total_ns = tot.total_ns;
	out->walks = w.walks;
	if (by == STATS_BY_MEMCG) {
		const struct stats_memcg **v;

		n = stats_sorted_memcgs(s, STATS_SORT_NAME, NULL, 0);
		v = malloc((n ? n : 1) * sizeof(*v));
		out->v = calloc(n ? n : 1, sizeof(*out->v));
		if (!v || !out->v) {
			free(v);
			free(out->v);
			out->v = NULL;
			return -1;
		}
		n = stats_sorted_memcgs(s, STATS_SORT_NAME, v, n);
		for (size_t i = 0; i < n; i++) {
			char b[32];

			st_copy_str(out->v[i].name, sizeof(out->v[i].name),
				    memcg_label(v[i], b, sizeof(b)), SIZE_MAX);
			out->v[i].gens = v[i]->walks;
			out->v[i].untimed = v[i]->untimed;
			out->v[i].c = v[i]->c;
		}
		free(v);
	} else {
		const struct stats_name **v;

		n = stats_sorted_names(s, STATS_SORT_NAME, NULL, 0);
		v = malloc((n ? n : 1) * sizeof(*v));
		out->v = calloc(n ? n : 1, sizeof(*out->v));
		if (!v || !out->v) {
			free(v);
			free(out->v);
			out->v = NULL;
			return -1;
		}
		n = stats_sorted_names(s, STATS_SORT_NAME, v, n);
		for (size_t i = 0; i < n; i++)
			out->v[i] = *v[i];
		free(v);
	}
	out->n = n;
	return 0;
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

void stats_rows_sub(struct stats_rows *now, const struct stats_rows *prev)
{
	size_t k = 0;

	now->calls = sub0(now->calls, prev->calls);
	now->untimed = sub0(now->untimed, prev->untimed);
	now->freed = sub0(now->freed, prev->freed);
	now->total_ns = sub0(now->total_ns, prev->total_ns);
	now->walks = sub0(now->walks, prev->walks);
	for (size_t i = 0; i < now->n; i++) {
		struct stats_name *r = &now->v[i];
		const struct stats_name *p = NULL;
		int top = -1;

		/* both are sorted by name (stats_rows_take()) */
		for (size_t j = 0; j < prev->n; j++)
			if (!strcmp(prev->v[j].name, r->name)) {
				p = &prev->v[j];
				break;
			}
		if (p) {
			r->gens = sub0(r->gens, p->gens);
			r->untimed = sub0(r->untimed, p->untimed);
			r->c.calls = sub0(r->c.calls, p->c.calls);
			r->c.zero_calls = sub0(r->c.zero_calls, p->c.zero_calls);
			r->c.empty_calls = sub0(r->c.empty_calls, p->c.empty_calls);
			r->c.scanned = sub0(r->c.scanned, p->c.scanned);
			r->c.freed = sub0(r->c.freed, p->c.freed);
			r->c.total_ns = sub0(r->c.total_ns, p->c.total_ns);
			for (int h = 0; h < ST_HIST_SLOTS; h++)
				r->c.hist[h] = sub0(r->c.hist[h], p->c.hist[h]);
			for (int h = 0; h < ST_HIST_SLOTS; h++)
				if (r->c.hist[h])
					top = h;
			if (top >= 0) {
				uint64_t hi = top == 0 ? 0 : top >= 63 ? UINT64_MAX : (1ULL << top);

				if (hi < r->c.max_ns)
					r->c.max_ns = hi;
			} else {
				r->c.max_ns = 0;
			}
		}
		if (r->c.calls || (now->by == STATS_BY_MEMCG && r->gens))
			now->v[k++] = *r;
	}
	now->n = k;
}

void stats_rows_free(struct stats_rows *r)
{
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

struct row_item {
	const struct stats_name *n;
	uint64_t key;
};

static int cmp_row_items(const void *a, const void *b)
{
	const struct row_item *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return strcmp(x->n->name, y->n->name);
}

unsigned stats_print_rows(FILE *f, const struct stats_rows *r, const struct stats_print_opts *o,
			  const char *what, bool ratio)
{
	static const struct style memcg_style = { "MEMCG", "WALKS", false };
	struct style st = r->by == STATS_BY_MEMCG ? memcg_style : by_name;
	struct line l = { .n = 0 };
	struct row_item *it;
	const struct stats_name **v;
	size_t shown;
	unsigned lines = 1;
	char b[32];

	st.ratio = ratio;
	lprintf(&l, "%s:", r->by == STATS_BY_MEMCG ? "memcgs" : "shrinkers");
	if (what)
		lprintf(&l, " %s,", what);
	lprintf(&l, " %" PRIu64 " walk%s, %" PRIu64 " call%s", r->walks, r->walks == 1 ? "" : "s",
		r->calls, r->calls == 1 ? "" : "s");
	if (r->untimed)
		lprintf(&l, " (%" PRIu64 " untimed)", r->untimed);
	lprintf(&l, ", %" PRIu64 " objects freed, %s in shrinkers", r->freed,
		stats_fmt_ns(r->total_ns, b, sizeof(b)));
	if (o->show_lost)
		lprintf(&l, ", %" PRIu64 " events lost", o->lost);
	lflush(&l, f, o->width);
	it = malloc((r->n ? r->n : 1) * sizeof(*it));
	v = malloc((r->n ? r->n : 1) * sizeof(*v));
	if (!it || !v) {
		free(it);
		free(v);
		return lines;
	}
	for (size_t i = 0; i < r->n; i++) {
		it[i].n = &r->v[i];
		it[i].key = stats_sort_value(&r->v[i], o->sort);
	}
	qsort(it, r->n, sizeof(*it), cmp_row_items);
	for (size_t i = 0; i < r->n; i++)
		v[i] = it[i].n;
	shown = o->top_n && o->top_n < r->n ? o->top_n : r->n;
	print_table(f, v, shown, o->width, &st);
	lines += 1 + (unsigned)shown;
	if (shown < r->n) {
		lprintf(&l, "... %zu more (sorted by %s)", r->n - shown, stats_sort_name(o->sort));
		lflush(&l, f, o->width);
		lines++;
	}
	free(it);
	free(v);
	return lines;
}

unsigned tables_width_of(FILE *f)
{
	struct winsize ws = { 0 };

	if (isatty(fileno(f)) && !ioctl(fileno(f), TIOCGWINSZ, &ws) && ws.ws_col)
		return ws.ws_col;
	return 0;
}

static int cmp_by_time(const void *a, const void *b)
{
	const struct stats_name *x = *(const struct stats_name *const *)a;
	const struct stats_name *y = *(const struct stats_name *const *)b;

	if (x->c.total_ns != y->c.total_ns)
		return x->c.total_ns < y->c.total_ns ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* The report's memcg table: only when some call was for a memcg (not only
 * global reclaim). */
static void print_memcgs(const struct stats *s, FILE *f, unsigned top, unsigned width)
{
	static const struct style memcg_style = { "MEMCG", "WALKS", false };
	const struct stats_name **v;
	struct stats_rows rows;
	size_t shown, k = 0;
	bool some = false;

	if (stats_rows_take(s, STATS_BY_MEMCG, &rows))
		return;
	for (size_t i = 0; i < rows.n; i++)
		if (strcmp(rows.v[i].name, STATS_GLOBAL))
			some = true;
	v = malloc((rows.n ? rows.n : 1) * sizeof(*v));
	if (!some || !v) {
		free(v);
		stats_rows_free(&rows);
		return;
	}
	for (size_t i = 0; i < rows.n; i++)
		v[k++] = &rows.v[i];
	qsort(v, k, sizeof(*v), cmp_by_time);
	shown = k < top ? k : top;
	fprintf(f, "\nMemcgs by time in shrinkers (top %zu of %zu; WALKS: shrink_slab() walks for "
		"it):\n", shown, k);
	print_table(f, v, shown, width, &memcg_style);
	free(v);
	stats_rows_free(&rows);
}

/* ---- lifecycle -------------------------------------------------------------- */

static const char *ms(uint64_t ns, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64 ".%06" PRIu64 " ms", ns / 1000000, ns % 1000000);
	return buf;
}

static void life_line(FILE *f, const struct life_name *ns)
{
	char a[48], b[48], name[ST_REC_NAME_LEN];

	if (!ns->generations && !ns->frees && !ns->inferred_frees &&
	    !ns->rcu_timed && !ns->violations)
		return;
	st_clean_text(name, sizeof(name), ns->name);
	fprintf(f, "shrinker %s: %" PRIu64 " generation%s",
		name, ns->generations, ns->generations == 1 ? "" : "s");
	/* the metrics' lifecycle counters, those not 0 */
	if (ns->allocated || ns->registered || ns->rcu_freed) {
		const char *sep = " (";

		if (ns->allocated) {
			fprintf(f, "%s%" PRIu64 " allocated", sep, ns->allocated);
			sep = ", ";
		}
		if (ns->registered) {
			fprintf(f, "%s%" PRIu64 " registered", sep, ns->registered);
			sep = ", ";
		}
		if (ns->rcu_freed)
			fprintf(f, "%s%" PRIu64 " RCU freed", sep, ns->rcu_freed);
		fputc(')', f);
	}
	if (ns->frees)
		fprintf(f, "; %" PRIu64 " free%s, shrinker_free() wait avg %s max %s", ns->frees,
			ns->frees == 1 ? "" : "s", ms(ns->free_wait_total / ns->frees, a, sizeof(a)),
			ms(ns->free_wait_max, b, sizeof(b)));
	if (ns->inferred_frees)
		fprintf(f, "; %" PRIu64 " inferred free%s (wait unknown)", ns->inferred_frees,
			ns->inferred_frees == 1 ? "" : "s");
	if (ns->rcu_timed)
		fprintf(f, "; queue to RCU free avg %s max %s",
			ms(ns->rcu_wait_total / ns->rcu_timed, a, sizeof(a)),
			ms(ns->rcu_wait_max, b, sizeof(b)));
	if (ns->violations)
		fprintf(f, "; %" PRIu64 " violation%s", ns->violations, ns->violations == 1 ? "" : "s");
	fputc('\n', f);
}

void life_print_report(const struct life *lc, FILE *f)
{
	const struct life_name **v;
	struct life_name pend;
	size_t n;
	bool merged = false;

	if (!lc)
		return;
	n = life_list_names(lc, NULL, 0);
	life_pending(lc, &pend);
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return;
	n = life_list_names(lc, v, n);
	for (size_t i = 0; i < n; i++) {
		struct life_name x;

		if (!strcmp(v[i]->name, STATS_UNNAMED)) {
			x = *v[i];
			life_name_add(&x, &pend);
			life_line(f, &x);
			merged = true;
			continue;
		}
		/* not yet named: where "(unnamed)" sorts (before "(other)") */
		if (!merged && (strcmp(STATS_UNNAMED, v[i]->name) < 0 ||
				!strcmp(v[i]->name, STATS_OTHER_NAME))) {
			life_line(f, &pend);
			merged = true;
		}
		life_line(f, v[i]);
	}
	if (!merged)
		life_line(f, &pend);
	free(v);
}
