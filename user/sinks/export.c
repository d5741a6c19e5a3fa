// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sinks/export.c - CSV and Perfetto as sinks (see sinks/export.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log/outfile.h"
#include "sinks/csv.h"
#include "sinks/export.h"
#include "sinks/perfetto.h"
#include "sinks/registry.h"

/* Both: flush every tick, as the JSONL log does (sinks/jsonl.c). */
static int flush_out(FILE *f)
{
	return st_output_flush(f) ? (errno ? errno : EIO) : 0;
}

/* ---- CSV ------------------------------------------------------------------ */

struct csv_sink {
	struct sink sink;
	FILE *f;
	struct csv_out *c;
	int err;
};

static void csv_begin(struct sink *s, const struct sink_begin *b)
{
	(void)b;
	csv_out_finish(((struct csv_sink *)s)->c);	/* the header row, if not yet */
}

static void csv_event(struct sink *s, const struct sink_event *e)
{
	csv_out_event(((struct csv_sink *)s)->c, e->r);
}

static void csv_violation(struct sink *s, const struct st_violation *v)
{
	csv_out_violation(((struct csv_sink *)s)->c, v);
}

static void csv_tick(struct sink *s, const struct sink_state *st)
{
	struct csv_sink *c = (struct csv_sink *)s;

	(void)st;
	if (!c->err)
		c->err = flush_out(c->f);
}

static void csv_finish(struct sink *s, const struct sink_state *st)
{
	csv_out_finish(((struct csv_sink *)s)->c);
	csv_tick(s, st);
}

static int csv_error(const struct sink *s)
{
	const struct csv_sink *c = (const struct csv_sink *)s;
	int e = csv_out_error(c->c);

	return e ? e : c->err;
}

static void csv_free(struct sink *s)
{
	struct csv_sink *c = (struct csv_sink *)s;

	csv_out_free(c->c);
	free(c);
}

static const struct sink_ops csv_ops = {
	.name = "csv", .begin = csv_begin, .event = csv_event, .violation = csv_violation,
	.tick = csv_tick, .finish = csv_finish, .error = csv_error, .free = csv_free,
};

struct sink *csv_sink_new(FILE *f)
{
	struct csv_sink *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->sink.ops = &csv_ops;
	c->f = f;
	c->c = csv_out_new(f);
	if (!c->c) {
		free(c);
		return NULL;
	}
	return &c->sink;
}

/* ---- Perfetto ------------------------------------------------------------- */

struct pf_sink {
	struct sink sink;
	FILE *f;
	struct pf_out *p;
	bool begin_now;
	int err;
};

static void pf_begin(struct sink *s, const struct sink_begin *b)
{
	struct pf_sink *p = (struct pf_sink *)s;

	pf_out_header(p->p, b->kernel, b->backend, b->start_ts);
	if (p->begin_now)
		pf_out_begin(p->p);
}

static void pf_event(struct sink *s, const struct sink_event *e)
{
	pf_out_event(((struct pf_sink *)s)->p, e->r, e->name);
}

static void pf_violation(struct sink *s, const struct st_violation *v)
{
	pf_out_violation(((struct pf_sink *)s)->p, v);
}

static void pf_tick(struct sink *s, const struct sink_state *st)
{
	struct pf_sink *p = (struct pf_sink *)s;

	(void)st;
	if (!p->err)
		p->err = flush_out(p->f);
}

/* Close open slices, the trace's closing "]". */
static void pf_finish(struct sink *s, const struct sink_state *st)
{
	pf_out_finish(((struct pf_sink *)s)->p);
	pf_tick(s, st);
}

static int pf_error(const struct sink *s)
{
	const struct pf_sink *p = (const struct pf_sink *)s;
	int e = pf_out_error(p->p);

	return e ? e : p->err;
}

static void pf_free(struct sink *s)
{
	struct pf_sink *p = (struct pf_sink *)s;

	pf_out_free(p->p);
	free(p);
}

static const struct sink_ops pf_ops = {
	.name = "perfetto", .begin = pf_begin, .event = pf_event, .violation = pf_violation,
	.tick = pf_tick, .finish = pf_finish, .error = pf_error, .free = pf_free,
};

struct sink *perfetto_sink_new(FILE *f, bool begin_now)
{
	struct pf_sink *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->sink.ops = &pf_ops;
	p->f = f;
	p->begin_now = begin_now;
	p->p = pf_out_new(f);
	if (!p->p) {
		free(p);
		return NULL;
	}
	return &p->sink;
}

/* ---- rows of the table of sinks (sinks/registry.h) ------------------------------- */

static int csv_open(void *conf, struct sink_args *a, const struct sinks *before,
		    struct sink **out, char *err, size_t len)
{
	*out = csv_sink_new(a->out);
	return *out ? 0 : -1;
}

/* --format csv: the tracer's -o FILE, replay's conversion of one log. */
const struct sink_desc csv_sink_desc = {
	.name = "csv", .format = "csv", .flags = SINK_LIVE | SINK_REPLAY | SINK_ONE_LOG,
	.open = csv_open,
};

static int perfetto_open(void *conf, struct sink_args *a, const struct sinks *before,
			 struct sink **out, char *err, size_t len)
{
	/* live: the trace's start at begin, so that a killed tracer leaves a loadable file */
	*out = perfetto_sink_new(a->out, a->live);
	return *out ? 0 : -1;
}

/* --format perfetto: as csv. */
const struct sink_desc perfetto_sink_desc = {
	.name = "perfetto", .format = "perfetto", .flags = SINK_LIVE | SINK_REPLAY | SINK_ONE_LOG,
	.open = perfetto_open,
};
