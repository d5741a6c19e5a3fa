// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sinks/jsonl.c - the event log as a sink (see sinks/jsonl.h). */
#include <errno.h>
#include <stdlib.h>

#include "log/outfile.h"
#include "log/writer.h"
#include "sinks/jsonl.h"

struct jsonl_sink {
	struct sink sink;
	FILE *f;
	unsigned flags;
	int err;		/* first write error */
	char buf[ST_JSONL_MAX];
};

static struct jsonl_sink *js_of(struct sink *s)
{
	return (struct jsonl_sink *)s;
}

static void put(struct jsonl_sink *j, int n)
{
	if (j->err || n <= 0)
		return;
	errno = 0;
	if (fwrite(j->buf, 1, (size_t)n, j->f) != (size_t)n)
		j->err = errno ? errno : EIO;
}

static void js_begin(struct sink *s, const struct sink_begin *b)
{
	struct jsonl_sink *j = js_of(s);

	if (j->flags & JSONL_VIOLATIONS_ONLY)
		return;
	put(j, st_jsonl_format_header_ext(j->buf, sizeof(j->buf), b->kernel, b->backend,
					  b->start_ts, b->list_offset, b->redacted));
}

static void js_event(struct sink *s, const struct sink_event *e)
{
	struct jsonl_sink *j = js_of(s);

	if (!(j->flags & JSONL_VIOLATIONS_ONLY))
		put(j, st_jsonl_format_rec(j->buf, sizeof(j->buf), e->r));
}

static void js_violation(struct sink *s, const struct st_violation *v)
{
	struct jsonl_sink *j = js_of(s);

	put(j, st_jsonl_format_violation(j->buf, sizeof(j->buf), v));
}

static void js_memcg(struct sink *s, uint64_t memcg, uint64_t id, const char *path)
{
	struct jsonl_sink *j = js_of(s);

	if (!(j->flags & JSONL_VIOLATIONS_ONLY))
		put(j, st_jsonl_format_memcg(j->buf, sizeof(j->buf), memcg, id, path));
}

/* The log is readable while the trace runs: at most one poll late. */
static void js_tick(struct sink *s, const struct sink_state *st)
{
	struct jsonl_sink *j = js_of(s);

	(void)st;
	if (!j->err && st_output_flush(j->f))
		j->err = errno ? errno : EIO;
}

static int js_error(const struct sink *s)
{
	const struct jsonl_sink *j = (const struct jsonl_sink *)s;

	return j->err ? j->err : st_output_error(j->f);
}

static void js_free(struct sink *s)
{
	free(s);
}

static const struct sink_ops jsonl_ops = {
	.name = "jsonl", .begin = js_begin, .event = js_event, .violation = js_violation,
	.memcg = js_memcg,
	.tick = js_tick, .finish = js_tick, .error = js_error, .free = js_free,
};

struct sink *jsonl_sink_new(FILE *f, unsigned flags)
{
	struct jsonl_sink *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->sink.ops = &jsonl_ops;
	j->f = f;
	j->flags = flags;
	return &j->sink;
}
