// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sinks/folded.c - folded stacks of the time spent in shrinkers
 * (`shrinktrace replay --format folded`), for flamegraph.pl, speedscope and
 * inferno: one line per distinct (walk caller's stack, shrinker name),
 *
 *   outermost;...;caller;shrink_slab;NAME WEIGHT
 *
 * (frames by function, "+0xoffset" dropped, so that a flame graph merges them)
 * WEIGHT is the time spent inside do_shrink_slab() of that shrinker in walks
 * with that stack, in nanoseconds.  Stacks come from the log's "stack" lines
 * (the tracer's --stacks); a call counts when it was made inside a walk whose
 * walk_begin has a stack_id and its duration is known.  Lines are sorted, so
 * the same log always gives the same file.
 *
 * Bounded whatever the input: at most FOLDED_MAX_STACKS stacks holding at
 * most FOLDED_MAX_TEXT bytes of frames, and FOLDED_MAX_ROWS rows; what does
 * not fit is counted and said at the end.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/htab.h"
#include "lib/util.h"
#include "sinks/export.h"
#include "sinks/registry.h"

#define FOLDED_MAX_STACKS 65536
#define FOLDED_MAX_ROWS (1u << 18)
/* bytes of stack text in all: a whole run of the tracer (4096 stacks of its
 * stack map, 48 frames of 119 bytes) fits; 65536 stacks of 5.7 KB from a
 * crafted log took 340 MB */
#define FOLDED_MAX_TEXT (32u << 20)

struct fstack {
	struct htab_node hn;	/* key: stack id */
	struct fstack *old;	/* on folded_sink.old once its run has ended */
	char *folded;		/* outermost first, ';'-joined, then ";shrink_slab" */
};

struct frow {
	struct htab_node hn;	/* key: htab_hash_str of the line's stack part */
	const struct fstack *st;
	char *name;		/* the shrinker's name, made safe for the format */
	uint64_t ns;
};

struct folded_sink {
	struct sink sink;
	FILE *f;
	struct htab stacks, rows;
	struct fstack *old;	/* stacks of earlier runs (ids start afresh in each) */
	size_t nstacks, nrows, text;	/* text: bytes of the stacks' frames */
	uint64_t calls, no_stack, capped;	/* calls in walks; without a stack; left out */
	int err;
};

static struct folded_sink *fs_of(struct sink *s)
{
	return (struct folded_sink *)s;
}

/* A frame as a flame graph merges it: the function, without "+0xoffset"
 * (the log keeps the offsets). */
static void drop_offset(char *s)
{
	char *p = strstr(s, "+0x");

	if (p && p != s)
		*p = '\0';
}

/* A frame or name as the folded format can hold it: ';' separates frames and
 * the last ' ' the weight, control bytes would reach a terminal. */
static void sanitise(char *s)
{
	for (; *s; s++)
		if (*s == ';' || *s == ' ' || (unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '_';
}

/* A new run (a log of its own): its stack ids are its own. */
static void fs_begin(struct sink *s, const struct sink_begin *b)
{
	struct folded_sink *f = fs_of(s);

	(void)b;
	htab_each(&f->stacks, i, e, nx) {
		struct fstack *st = container_of(e, struct fstack, hn);

		htab_del(&f->stacks, e);
		st->old = f->old;
		f->old = st;
	}
}

static void fs_stack(struct sink *s, int id, const char *frames)
{
	struct folded_sink *f = fs_of(s);
	struct fstack *st;
	const char *fr[ST_STACK_FRAMES];
	size_t len[ST_STACK_FRAMES], n = 0, total = sizeof(";shrink_slab");
	const char *p = frames;
	char *o;

	if (id < 0 || htab_first(&f->stacks, (uint64_t)id))
		return;		/* the first definition of an id stands */
	if (f->nstacks >= FOLDED_MAX_STACKS) {
		f->capped++;
		return;
	}
	while (*p && n < ST_STACK_FRAMES) {
		size_t k = strcspn(p, ";");

		if (k) {
			fr[n] = p;
			len[n] = k;
			total += k + 1;
			n++;
		}
		p += k;
		if (*p == ';')
			p++;
	}
	if (f->text + total > FOLDED_MAX_TEXT) {
		f->capped++;
		return;
	}
	st = calloc(1, sizeof(*st));
	o = st ? malloc(total) : NULL;
	if (!o) {
		free(st);
		f->err = f->err ? f->err : ENOMEM;
		return;
	}
	st->folded = o;
	/* the log has them innermost first; folded stacks read from the root */
	for (size_t i = n; i-- > 0;) {
		char raw[ST_STACK_TEXT + 1];
		size_t k = len[i] < ST_STACK_TEXT ? len[i] : ST_STACK_TEXT;

		/* the frame as a terminal may show it: C1 controls and bytes
		 * that are not UTF-8 too (st_clean_text()), never longer */
		memcpy(raw, fr[i], k);
		raw[k] = '\0';
		drop_offset(raw);
		st_clean_text(o, k + 1, raw);
		sanitise(o);
		o += strlen(o);
		*o++ = ';';
	}
	memcpy(o, "shrink_slab", sizeof("shrink_slab"));
	st->hn.key = (uint64_t)id;
	if (htab_add(&f->stacks, &st->hn)) {
		free(st->folded);
		free(st);
		f->err = f->err ? f->err : ENOMEM;
		return;
	}
	f->nstacks++;
	f->text += total;
}

static void fs_call(struct sink *s, const struct corr_call *c)
{
	struct folded_sink *f = fs_of(s);
	const struct st_rec *w = c->walk;
	struct htab_node *e;
	struct fstack *st;
	struct frow *row;
	char name[ST_REC_NAME_LEN + 16];
	uint64_t key;

	if (!w || !(c->flags & CORR_CALL_DURATION))
		return;
	f->calls++;
	e = (w->has & ST_HAS_STACK) ? htab_first(&f->stacks, (uint64_t)w->stack_id) : NULL;
	if (!e) {
		f->no_stack++;
		return;
	}
	st = container_of(e, struct fstack, hn);
	st_clean_text(name, sizeof(name), c->name && c->name[0] ? c->name : "(unknown)");
	sanitise(name);
	key = htab_hash_str(name, strlen(name)) ^ ((uint64_t)(uintptr_t)st * 0x9E3779B97F4A7C15ULL);
	for (e = htab_first(&f->rows, key); e; e = htab_next(e)) {
		row = container_of(e, struct frow, hn);
		if (row->st == st && !strcmp(row->name, name)) {
			row->ns = st_sat_add(row->ns, c->duration_ns);
			return;
		}
	}
	if (f->nrows >= FOLDED_MAX_ROWS) {
		f->capped++;
		return;
	}
	row = calloc(1, sizeof(*row));
	if (row)
		row->name = strdup(name);
	if (!row || !row->name) {
		if (row)
			free(row);
		f->err = f->err ? f->err : ENOMEM;
		return;
	}
	row->st = st;
	row->ns = c->duration_ns;
	row->hn.key = key;
	if (htab_add(&f->rows, &row->hn)) {
		free(row->name);
		free(row);
		f->err = f->err ? f->err : ENOMEM;
		return;
	}
	f->nrows++;
}

static int row_cmp(const void *a, const void *b)
{
	const struct frow *x = *(const struct frow *const *)a, *y = *(const struct frow *const *)b;
	int d = strcmp(x->st->folded, y->st->folded);

	return d ? d : strcmp(x->name, y->name);
}

static void fs_finish(struct sink *s, const struct sink_state *st)
{
	struct folded_sink *f = fs_of(s);
	struct frow **v;
	size_t n = 0;

	(void)st;
	v = f->nrows ? malloc(f->nrows * sizeof(*v)) : NULL;
	if (f->nrows && !v) {
		f->err = f->err ? f->err : ENOMEM;
		return;
	}
	htab_each(&f->rows, i, e, nx)
		v[n++] = container_of(e, struct frow, hn);
	if (n)	/* qsort(NULL, 0, ...) is undefined: its pointer is declared nonnull */
		qsort(v, n, sizeof(*v), row_cmp);
	for (size_t i = 0; i < n && !f->err; i++)
		if (fprintf(f->f, "%s;%s %" PRIu64 "\n", v[i]->st->folded, v[i]->name, v[i]->ns) < 0)
			f->err = errno ? errno : EIO;
	free(v);
	if (!n)
		fprintf(stderr, "shrinktrace: folded: no call in a walk with a recorded stack (%" PRIu64
			" calls in walks): trace with --stacks (fentry or kprobe backend) to get "
			"stacks\n", f->calls);
	else if (f->no_stack)
		fprintf(stderr, "shrinktrace: folded: %" PRIu64 " of %" PRIu64 " calls in walks had "
			"no recorded stack and are not in the output\n", f->no_stack, f->calls);
	if (f->capped)
		fprintf(stderr, "shrinktrace: folded: %" PRIu64 " stacks or calls left out: more than "
			"%u stacks, %u MiB of frames or %u lines\n", f->capped, FOLDED_MAX_STACKS,
			FOLDED_MAX_TEXT >> 20, FOLDED_MAX_ROWS);
}

static int fs_error(const struct sink *s)
{
	return ((const struct folded_sink *)s)->err;
}

static void fs_free(struct sink *s)
{
	struct folded_sink *f = fs_of(s);

	htab_each(&f->rows, i, e, nx) {
		struct frow *row = container_of(e, struct frow, hn);

		free(row->name);
		free(row);
	}
	htab_each(&f->stacks, i, e, nx) {
		struct fstack *st = container_of(e, struct fstack, hn);

		free(st->folded);
		free(st);
	}
	while (f->old) {
		struct fstack *st = f->old;

		f->old = st->old;
		free(st->folded);
		free(st);
	}
	htab_free(&f->rows);
	htab_free(&f->stacks);
	free(f);
}

static const struct sink_ops folded_ops = {
	.name = "folded", .begin = fs_begin, .stack = fs_stack, .call = fs_call, .finish = fs_finish,
	.error = fs_error, .free = fs_free,
};

struct sink *folded_sink_new(FILE *f)
{
	struct folded_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->sink.ops = &folded_ops;
	s->f = f;
	return &s->sink;
}

static int folded_open(void *conf, struct sink_args *a, const struct sinks *before,
		       struct sink **out, char *err, size_t len)
{
	(void)conf;
	(void)before;
	(void)err;
	(void)len;
	*out = folded_sink_new(a->out);
	return *out ? 0 : -1;
}

/* --format folded: the tracer's -o FILE or replay's output. */
const struct sink_desc folded_sink_desc = {
	.name = "folded", .format = "folded", .flags = SINK_LIVE | SINK_REPLAY,
	.open = folded_open,
};
