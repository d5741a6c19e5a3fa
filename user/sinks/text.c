// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sinks/text.c - the live event lines on stdout (see sinks/text.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "sinks/text.h"

struct text_sink {
	struct sink sink;
	FILE *f;
	uint64_t start_ts;
	int err;
};

static void text_header(FILE *f)
{
	fprintf(f, "%-12s %-7s %-15s %-18s %-18s %-22s %3s %8s %10s\n", "TIME(s)", "PID",
		"COMM", "EVENT", "SHRINKER", "NAME", "NID", "FREED", "LAT(us)");
}

void text_format_event(FILE *f, const struct st_rec *r, const char *name, uint64_t start_ts)
{
	char ev[24], shr[20] = "-", nid[8] = "-", freed[24] = "-", lat[24] = "-";
	char comm[ST_REC_COMM_LEN], nm[ST_REC_NAME_LEN];
	double rel = r->ts >= start_ts ? (double)(r->ts - start_ts) / 1e9
				       : -(double)(start_ts - r->ts) / 1e9;

	nm[0] = '\0';
	snprintf(ev, sizeof(ev), "%s%s", st_type_name(r->type), r->inferred ? "*" : "");
	if (r->has & ST_HAS_SHRINKER) {
		snprintf(shr, sizeof(shr), "%" PRIx64, r->shrinker);
		st_clean_text(nm, sizeof(nm), (r->has & ST_HAS_NAME) ? r->name : name ? name : "");
	}
	if (r->has & ST_HAS_WALK)
		snprintf(nid, sizeof(nid), "%d", r->nid);
	if (r->has & ST_HAS_FREED) {
		if (r->freed == ST_FREED_EMPTY)
			snprintf(freed, sizeof(freed), "empty");
		else
			snprintf(freed, sizeof(freed), "%" PRIu64, r->freed);
	}
	if (r->has & ST_HAS_COUNT)
		snprintf(freed, sizeof(freed), "%" PRIu64 "!", r->count);
	if (r->has & ST_HAS_DURATION)
		snprintf(lat, sizeof(lat), "%.1f", (double)r->duration_ns / 1e3);
	st_clean_text(comm, sizeof(comm), r->comm);
	fprintf(f, "%-12.6f %-7d %-15s %-18s %-18s %-22s %3s %8s %10s\n", rel, r->pid, comm,
		ev, shr, nm, nid, freed, lat);
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
	text_header(t->f);
	note_error(t);
}

static void ts_event(struct sink *s, const struct sink_event *e)
{
	struct text_sink *t = ts_of(s);

	text_format_event(t->f, e->r, e->name, t->start_ts);
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
	.tick = ts_tick, .finish = ts_finish, .error = ts_error, .free = ts_free,
};

struct sink *text_sink_new(FILE *f)
{
	struct text_sink *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->sink.ops = &text_ops;
	t->f = f;
	return &t->sink;
}
