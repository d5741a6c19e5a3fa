// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sinks/text.c - the live event lines on stdout (see sinks/text.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "sinks/registry.h"
#include "sinks/text.h"

struct text_sink {
	struct sink sink;
	FILE *f;
	unsigned flags;		/* TEXT_* */
	uint64_t start_ts;
	int err;
};

/* The columns, 79 wide without --wide:
 *   TIME(s) COMM PID SHRINKER MEMCG FREED/SCAN LAT(us)
 * and with --wide also NID PRIO COUNT DEFERRED CNT(us) SCAN(us) ADDRESS after
 * them (a walk: NID PRIO, its order and gfp_mask, its calls).  SCAN is what
 * scan_objects() was asked to scan (the vmscan tracepoints' total_scan down to
 * what was left), else nr_to_scan; a walk's SHRINKER column says what
 * triggered it ("walk:kswapd", ...). */
#define W_TIME	8
#define W_COMM	14
#define W_PID	6
#define W_NAME	16
#define W_MEMCG	11
#define W_FS	11
#define W_LAT	7

/* The last w columns of s ("~" marks the cut): the leaf of a cgroup path. */
static const char *fit_tail(char *buf, size_t len, const char *s, unsigned w)
{
	char tmp[CORR_MEMCG_PATH_LEN * 2];
	size_t n = st_clean_text(tmp, sizeof(tmp), s), cols = 0, i = n;

	while (i > 0 && cols < w - 1) {
		i--;
		if (((unsigned char)tmp[i] & 0xc0) != 0x80)
			cols++;
	}
	if (!i || w < 2) {
		snprintf(buf, len, "%s", tmp);
		return buf;
	}
	snprintf(buf, len, "~%s", tmp + i);
	return buf;
}

/* s cut to w columns ("~" marks a cut), cleaned for the terminal, into buf. */
static const char *fit(char *buf, size_t len, const char *s, unsigned w)
{
	size_t n = st_clean_text(buf, len, s), cols = 0, i;

	for (i = 0; i < n; i++)
		if (((unsigned char)buf[i] & 0xc0) != 0x80 && ++cols > w)
			break;
	if (i < n && w > 0) {
		/* back to the start of column w, then the mark */
		size_t k = 0;

		cols = 0;
		for (i = 0; i < n; i++) {
			if (((unsigned char)buf[i] & 0xc0) != 0x80 && ++cols == w)
				break;
			k = i + 1;
		}
		while (k > 0 && ((unsigned char)buf[k] & 0xc0) == 0x80)
			k--;
		buf[k] = '~';
		buf[k + 1] = '\0';
	}
	return buf;
}

/* A count in at most 5 columns (FREED/SCAN fits 11): as it is below 100000,
 * then 123k, 1.2M, 123M, 1.2G ... */
static const char *count_str(char *buf, size_t len, uint64_t v)
{
	static const char unit[] = "kMGTPE";
	double x = (double)v;
	int u = -1;

	if (v < 100000) {
		snprintf(buf, len, "%" PRIu64, v);
		return buf;
	}
	while (x >= 999.5 && u < 5) {
		x /= 1000;
		u++;
	}
	snprintf(buf, len, x < 9.95 ? "%.1f%c" : "%.0f%c", x, unit[u]);
	return buf;
}

/* LAT(us) in its 7 columns: one decimal below 10 ms, whole microseconds up
 * to 10 s, then seconds with an "s". */
static void lat_str(char *buf, size_t len, uint64_t ns)
{
	if (ns < 10000000ULL)
		snprintf(buf, len, "%.1f", (double)ns / 1e3);
	else if (ns < 10000000000ULL)
		snprintf(buf, len, "%.0f", (double)ns / 1e3);
	else
		snprintf(buf, len, "%.1fs", (double)ns / 1e9);
}

static double rel_s(uint64_t ts, uint64_t start)
{
	return ts >= start ? (double)(ts - start) / 1e9 : -(double)(start - ts) / 1e9;
}

/* The memcg a call or walk was for: "-" for global reclaim (NULL memcg), else
 * its cgroup path, else "id N" (path unknown), else its address. */
static const char *memcg_label(char *buf, size_t len, uint64_t memcg, uint64_t id,
			       const char *path)
{
	if (!memcg)
		return "-";
	if (path && path[0])
		return path;
	if (id)
		snprintf(buf, len, "id %" PRIu64, id);
	else
		snprintf(buf, len, "%" PRIx64, memcg);
	return buf;
}

static void header(const struct text_sink *t)
{
	fprintf(t->f, "%-*s %-*s %*s %-*s %-*s %*s %*s", W_TIME, "TIME(s)", W_COMM, "COMM",
		W_PID, "PID", W_NAME, "SHRINKER", W_MEMCG, "MEMCG", W_FS, "FREED/SCAN", W_LAT,
		"LAT(us)");
	if (t->flags & TEXT_WIDE)
		fprintf(t->f, " %4s %4s %9s %-17s %7s %8s %-16s", "NID", "PRIO", "COUNT", "DEFERRED",
			"CNT(us)", "SCAN(us)", "ADDRESS");
	fputc('\n', t->f);
}

/* TIME, COMM and PID, the start of every line. */
static void lead(const struct text_sink *t, uint64_t ts, const char *comm, int pid)
{
	char c[ST_REC_COMM_LEN * 2];

	fprintf(t->f, "%*.3f %-*s %*d ", W_TIME, rel_s(ts, t->start_ts), W_COMM,
		fit(c, sizeof(c), comm, W_COMM), W_PID, pid);
}

void text_format_call(FILE *f, const struct corr_call *c, uint64_t start_ts, bool wide)
{
	struct text_sink t = { .f = f, .start_ts = start_ts, .flags = wide ? TEXT_WIDE : 0 };
	char nm[ST_REC_NAME_LEN * 2], mc[CORR_MEMCG_PATH_LEN * 2], fs[48], lat[24] = "-", scan[24] = "-", freed[24];

	const struct st_rec *e = c->end;

	lead(&t, (c->flags & CORR_CALL_BEGIN) ? c->begin_ts : c->end_ts, c->comm, c->pid);
	if (e && (e->has & ST_HAS_SCAN_INFO))
		count_str(scan, sizeof(scan), e->scanned);
	else if (c->flags & CORR_CALL_NR_TO_SCAN)
		count_str(scan, sizeof(scan), c->nr_to_scan);
	if (!(c->flags & CORR_CALL_FREED))
		snprintf(freed, sizeof(freed), "-");
	else if (c->freed == ST_FREED_EMPTY)
		snprintf(freed, sizeof(freed), "empty");
	else
		count_str(freed, sizeof(freed), c->freed);
	snprintf(fs, sizeof(fs), "%s/%s", freed, scan);
	if (c->flags & CORR_CALL_DURATION)
		lat_str(lat, sizeof(lat), c->duration_ns);
	fprintf(f, "%-*s %-*s %*s %*s", W_NAME,
		fit(nm, sizeof(nm), c->name && c->name[0] ? c->name : "?", W_NAME), W_MEMCG,
		fit_tail(mc, sizeof(mc), memcg_label(mc, sizeof(mc), c->memcg, c->memcg_id,
						     c->memcg_path), W_MEMCG), W_FS, fs,
		W_LAT, lat);
	if (wide) {
		char cnt[24] = "-", def[48] = "-", cns[24] = "-", sns[24] = "-";

		if (e && (e->has & ST_HAS_COUNT))
			snprintf(cnt, sizeof(cnt), e->count == ST_FREED_EMPTY ? "empty" : "%" PRIu64,
				 e->count);
		if (e && (e->has & ST_HAS_SCAN_INFO))
			snprintf(def, sizeof(def), "%" PRIu64 ">%" PRIu64, e->nr_deferred,
				 e->new_nr_deferred);
		if (e && (e->has & ST_HAS_COUNT_NS))
			snprintf(cns, sizeof(cns), "%.1f", (double)e->count_ns / 1e3);
		if (e && (e->has & ST_HAS_SCAN_NS))
			snprintf(sns, sizeof(sns), "%.1f", (double)e->scan_ns / 1e3);
		fprintf(f, " %4d %4d %9s %-17s %7s %8s %-16" PRIx64, c->nid, c->priority, cnt, def,
			cns, sns, c->shrinker);
	}
	fputc('\n', f);
}

/* What a walk's SHRINKER column says: "walk:" and its trigger (the memcg's
 * limit for a memcg walk), "[walk]" when the log does not say. */
static const char *walk_label(char *buf, size_t len, const struct st_rec *b)
{
	if (!b || !(b->has & ST_HAS_TRIGGER) || !st_trigger_name(b->trigger))
		return "[walk]";
	if (b->trigger == ST_TRIG_MEMCG && (b->has & ST_HAS_LIMIT))
		snprintf(buf, len, "walk:%s", b->memcg_limit == ST_LIMIT_RECLAIM ? "mem.reclaim" :
			 st_limit_name(b->memcg_limit));
	else if (b->trigger == ST_TRIG_NODE_RECLAIM)
		snprintf(buf, len, "walk:node");
	else
		snprintf(buf, len, "walk:%s", st_trigger_name(b->trigger));
	return buf;
}

static void walk_line(const struct text_sink *t, const struct corr_walk *w)
{
	char mc[CORR_MEMCG_PATH_LEN * 2], fs[48], lat[24] = "-", lbl[32], freed[24];

	lead(t, (w->flags & CORR_WALK_BEGIN) ? w->begin_ts : w->end_ts, w->comm, w->pid);
	if (w->flags & CORR_WALK_FREED)
		snprintf(fs, sizeof(fs), "%s/-", count_str(freed, sizeof(freed), w->freed));
	else
		snprintf(fs, sizeof(fs), "%s/-", count_str(freed, sizeof(freed), w->calls_freed));
	if (w->flags & CORR_WALK_DURATION)
		lat_str(lat, sizeof(lat), w->duration_ns);
	fprintf(t->f, "%-*s %-*s %*s %*s", W_NAME, walk_label(lbl, sizeof(lbl), w->begin), W_MEMCG,
		fit_tail(mc, sizeof(mc), memcg_label(mc, sizeof(mc), w->memcg, w->memcg_id,
						     w->memcg_path), W_MEMCG), W_FS, fs,
		W_LAT, lat);
	if (t->flags & TEXT_WIDE) {
		const struct st_rec *b = w->begin;

		fprintf(t->f, " %4d %4d %" PRIu64 " calls", w->nid, w->priority, w->calls);
		if (b && (b->has & ST_HAS_ORDER))
			fprintf(t->f, ", order %d", b->order);
		if (b && (b->has & ST_HAS_TRIGGER))
			fprintf(t->f, ", gfp 0x%x", b->gfp);
	}
	fputc('\n', t->f);
}

void text_format_event(FILE *f, const struct st_rec *r, const char *name, uint64_t start_ts)
{
	struct text_sink t = { .f = f, .start_ts = start_ts };
	char nm[ST_REC_NAME_LEN * 2], ev[32];

	lead(&t, r->ts, r->comm, r->pid);
	if (r->type == ST_LOST) {
		fprintf(f, "!! lost %" PRIu64 " event%s (ring buffer full: raise --ringbuf-size)\n",
			r->count, r->count == 1 ? "" : "s");
		return;
	}
	snprintf(ev, sizeof(ev), "%s%s", st_type_name(r->type), r->inferred ? "*" : "");
	if (!(r->has & ST_HAS_SHRINKER)) {
		fprintf(f, "%s\n", ev);
		return;
	}
	if (!((r->has & ST_HAS_NAME) && r->name[0]) && !(name && name[0]))
		fprintf(f, "%-18s %" PRIx64 "\n", ev, r->shrinker);
	else
		fprintf(f, "%-18s %s %" PRIx64 "\n", ev,
			fit(nm, sizeof(nm), (r->has & ST_HAS_NAME) && r->name[0] ? r->name : name, 24),
			r->shrinker);
}

void text_format_violation(FILE *f, const struct st_violation *v)
{
	char name[ST_REC_NAME_LEN], detail[ST_DETAIL_LEN];

	st_clean_text(name, sizeof(name), v->name[0] ? v->name : "?");
	st_clean_text(detail, sizeof(detail), v->detail);
	fprintf(f, "!! VIOLATION %s shrinker %" PRIx64 " (%s)%s: %s\n", st_vkind_name(v->kind),
		v->shrinker, name, v->certain ? "" : " [uncertain: events lost]", detail);
}

static struct text_sink *ts_of(struct sink *s)
{
	return (struct text_sink *)s;
}

static void note_error(struct text_sink *t)
{
	if (!t->err && ferror(t->f))
		t->err = errno ? errno : EIO;
}

static void ts_begin(struct sink *s, const struct sink_begin *b)
{
	struct text_sink *t = ts_of(s);

	t->start_ts = b->start_ts;
	header(t);
	note_error(t);
}

/* Lifecycle and lost events get a line each; a call and a walk get one line
 * when they end (call, walk), their begin and end merged. */
static void ts_event(struct sink *s, const struct sink_event *e)
{
	struct text_sink *t = ts_of(s);

	switch (e->r->type) {
	case ST_SHRINK_BEGIN:
	case ST_SHRINK_END:
	case ST_WALK_BEGIN:
	case ST_WALK_END:
		return;
	default:
		break;
	}
	text_format_event(t->f, e->r, e->name, t->start_ts);
	note_error(t);
}

static void ts_call(struct sink *s, const struct corr_call *c)
{
	struct text_sink *t = ts_of(s);

	text_format_call(t->f, c, t->start_ts, t->flags & TEXT_WIDE);
	note_error(t);
}

static void ts_walk(struct sink *s, const struct corr_walk *w)
{
	struct text_sink *t = ts_of(s);

	walk_line(t, w);
	note_error(t);
}

static void ts_violation(struct sink *s, const struct st_violation *v)
{
	struct text_sink *t = ts_of(s);

	text_format_violation(t->f, v);
	fflush(t->f);
	note_error(t);
}

/* Every poll: what was printed is shown (and a reader that left is noticed). */
static void ts_tick(struct sink *s, const struct sink_state *st)
{
	struct text_sink *t = ts_of(s);

	(void)st;
	errno = 0;
	if (fflush(t->f) && !t->err)
		t->err = errno ? errno : EIO;
	note_error(t);
}

static void ts_finish(struct sink *s, const struct sink_state *st)
{
	ts_tick(s, st);
}

static int ts_error(const struct sink *s)
{
	return ((const struct text_sink *)s)->err;
}

static void ts_free(struct sink *s)
{
	free(s);
}

static const struct sink_ops text_ops = {
	.name = "text", .begin = ts_begin, .event = ts_event, .violation = ts_violation,
	.call = ts_call, .walk = ts_walk, .tick = ts_tick, .finish = ts_finish,
	.error = ts_error, .free = ts_free,
};

struct sink *text_sink_new(FILE *f, unsigned flags)
{
	struct text_sink *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->sink.ops = &text_ops;
	t->f = f;
	t->flags = flags;
	return &t->sink;
}

/* ---- the row of the table of sinks (sinks/registry.h) ----------------------------- */

static int text_open(void *conf, struct sink_args *a, const struct sinks *before,
		     struct sink **out, char *err, size_t len)
{
	if (a->quiet)
		return 0;
	*out = text_sink_new(stdout, a->wide ? TEXT_WIDE : 0);
	return *out ? 0 : -1;
}

/* The tracer's event lines on stdout, unless -q or --top. */
const struct sink_desc text_sink_desc = {
	.name = "text", .flags = SINK_LIVE, .open = text_open,
};
