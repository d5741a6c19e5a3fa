/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fuzz_replay.c - libFuzzer target over the replay path (`make fuzz`).
 *
 * The input is a log file.  It is read through fmemopen() by the reader
 * `shrinktrace replay` uses (st_log_open_stream/st_log_next, user/log/reader.c),
 * and every event is pushed into two correlators the way replay_file() does
 * (corr_set_list_offset + corr_push, then corr_finish and the lifecycle report), each
 * feeding a stats engine through on_call/on_walk (user/engine/stats.c) and an
 * export sink through on_event/on_violation (user/sinks/export.c):
 *
 *   A: the replay defaults (50 ms window, 10 s stuck threshold), default
 *      stats limits, CSV export;
 *   B: no reorder window, a 1 us stuck threshold, 2 tombstones, every
 *      other cap of corr_opts tiny, and corr_advance() after every event
 *      (the live tracer's path), stats capped at 2 names/generations/tasks,
 *      Perfetto export into memory: late events, stuck_free, tombstone
 *      eviction, the caps and stats folding on small inputs;
 *   C: the replay defaults fed COPIES copies of every event, copy i with
 *      shrinker and next moved by i << 44 and pid ^ (i << 24): as many
 *      times the shrinkers and tasks, so that the correlator's and the
 *      stats engine's tables grow, rehash and delete across their probe
 *      chains, which a small log alone never makes them do.
 *
 * Oracles beyond ASan/UBSan/LSan and libFuzzer's hang detection:
 *   - every line reads the same through the reader's fast path and json-c;
 *   - a reader error is one line "<fuzz>:LINE: reason";
 *   - every violation formats with the jsonl writer (user/log/writer.c) and reads
 *     back as a "violation" record; its strings are NUL-terminated;
 *   - every event leaving the window formats and reads back to the same
 *     record, which formats to the same line;
 *   - the engine's counters agree with what was pushed, nothing is held
 *     after corr_finish();
 *   - the stats totals count every call reported by on_call, and the names'
 *     rows sum to them (folding keeps the sums);
 *   - the Perfetto trace is valid JSON.
 *
 * Run inputs by hand: build/fuzz/fuzz_replay FILE...
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "engine/correlate.h"
#include "sinks/export.h"
#include "log/writer.h"
#include "log/reader.h"
#include "engine/lifecycle.h"
#include "engine/stats.h"
#include "sinks/tables.h"

#define NAME "<fuzz>"
#define COPIES 6

static FILE *devnull;

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_replay: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static void check_str(const char *s, size_t size, const char *what)
{
	if (strnlen(s, size) == size)
		fail(what, "not NUL-terminated");
}

struct fctx {
	struct stats *stats;
	struct life *life;		/* engine/lifecycle.c, fed by on_life */
	struct sink *exp;		/* a CSV or Perfetto sink */
	struct sink *folded;		/* A: the folded stacks sink (sinks/folded.c) */
	bool begun;
	uint64_t violations, calls, walks;
	char buf[ST_JSONL_MAX], buf2[ST_JSONL_MAX];
};

static void on_violation(const struct st_violation *v, void *ctx)
{
	struct fctx *x = ctx;
	struct st_rec back;
	char reason[256];
	int n, pr;

	x->violations++;
	if ((unsigned)v->kind >= ST_V_NKINDS)
		fail("violation kind out of range", NULL);
	check_str(v->comm, sizeof(v->comm), "violation comm");
	check_str(v->walker_comm, sizeof(v->walker_comm), "violation walker_comm");
	check_str(v->name, sizeof(v->name), "violation name");
	check_str(v->detail, sizeof(v->detail), "violation detail");
	n = st_jsonl_format_violation(x->buf, sizeof(x->buf), v);
	if (n <= 0 || (size_t)n != strlen(x->buf) || x->buf[n - 1] != '\n')
		fail("violation does not format", v->detail);
	pr = st_parse_line(x->buf, (size_t)n, &back, reason, sizeof(reason));
	if (pr != ST_PARSE_SKIP || strcmp(reason, "violation") != 0)
		fail("violation record does not read back", x->buf);
	x->exp->ops->violation(x->exp, v);
}

static void on_event(const struct st_rec *r, const struct corr_event *ce, void *ctx)
{
	struct fctx *x = ctx;
	struct st_rec b;
	char reason[256];
	int n, n2, pr;

	n = st_jsonl_format_rec(x->buf, sizeof(x->buf), r);
	if (n <= 0 || (size_t)n != strlen(x->buf))
		fail("event does not format", NULL);
	pr = st_parse_line(x->buf, (size_t)n, &b, reason, sizeof(reason));
	if (pr != ST_PARSE_EVENT)
		fail(reason, x->buf);
#define SAME(f) if (b.f != r->f) fail("event does not read back to the same " #f, x->buf)
#define SAMESTR(f) if (strcmp(b.f, r->f)) fail("event does not read back to the same " #f, x->buf)
	SAME(type); SAME(has);
#undef SAME
#undef SAMESTR
	/* every field of the table, whatever it is */
	for (int i = 0; i < ST_NFIELDS; i++) {
		const struct st_field *fd = &st_fields[i];

		if (fd->ftype == ST_FT_STR ?
		    strcmp(st_field_ptr(fd, &b), st_field_ptr(fd, r)) :
		    memcmp(st_field_ptr(fd, &b), st_field_ptr(fd, r), fd->size))
			fail("event does not read back to the same field", fd->key);
	}
	n2 = st_jsonl_format_rec(x->buf2, sizeof(x->buf2), &b);
	if (n2 != n || memcmp(x->buf, x->buf2, (size_t)n) != 0)
		fail("event read back formats differently", x->buf2);
	{
		struct sink_event se = { .r = r, .serial = ce->serial, .name = ce->name };

		check_str(ce->name, ST_REC_NAME_LEN, "event's generation name");
		x->exp->ops->event(x->exp, &se);
	}
}

static void on_late(const struct st_rec *r, uint64_t released_ts, void *ctx)
{
	(void)ctx;
	if (r->ts >= released_ts)
		fail("late event is not older than the released ones", NULL);
}

static void on_call(const struct corr_call *ci, void *ctx)
{
	struct fctx *x = ctx;

	x->calls++;
	if (x->folded)
		x->folded->ops->call(x->folded, ci);
	if (!ci->name)
		fail("call without a name string", NULL);
	check_str(ci->name, ST_REC_NAME_LEN, "call name");
	check_str(ci->comm, sizeof(ci->comm), "call comm");
	if (!(ci->flags & CORR_CALL_BEGIN) && ci->begin_ts)
		fail("call begin_ts without CORR_CALL_BEGIN", NULL);
	if (stats_add_call(x->stats, ci))
		fail("stats_add_call", "out of memory");
}

static void on_life(const struct corr_life *ev, void *ctx)
{
	struct fctx *x = ctx;

	if (ev->name)
		check_str(ev->name, ST_REC_NAME_LEN, "lifecycle name");
	if (x->life && life_add(x->life, ev))
		fail("life_add", "out of memory");
}

static void on_walk(const struct corr_walk *wi, void *ctx)
{
	struct fctx *x = ctx;

	x->walks++;
	check_str(wi->comm, sizeof(wi->comm), "walk comm");
	if (stats_add_walk(x->stats, wi))
		fail("stats_add_walk", "out of memory");
}

/* Engine C's callbacks: no export, no round trip (A does those). */
static void on_violation_c(const struct st_violation *v, void *ctx)
{
	(void)v;
	((struct fctx *)ctx)->violations++;
}

static void check_stats(const struct fctx *x)
{
	struct stats_print_opts po = { .sort = STATS_SORT_P99, .top_n = 3, .width = 60,
				       .span_ns = 1000, .show_lost = true, .lost = 1 };
	struct stats_print_opts ro = { .sort = STATS_SORT_NAME };
	const struct stats_name *v[8];
	struct stats_totals t;
	struct stats_walk w;
	uint64_t sum = 0;
	size_t n;

	stats_get_totals(x->stats, &t);
	stats_get_walk(x->stats, &w);
	if (t.calls != x->calls)
		fail("stats totals miss calls", NULL);
	if (w.walks != x->walks)
		fail("stats walk count misses walks", NULL);
	n = stats_sorted_names(x->stats, STATS_SORT_TIME, v, 8);
	if (n > 8) {
		const struct stats_name **all = malloc(n * sizeof(*all));

		if (!all || stats_sorted_names(x->stats, STATS_SORT_TIME, all, n) != n)
			fail("stats_sorted_names", NULL);
		for (size_t i = 0; i < n; i++)
			sum += all[i]->c.calls;
		free(all);
	} else {
		for (size_t i = 0; i < n; i++)
			sum += v[i]->c.calls;
	}
	if (sum != t.calls)
		fail("the names' calls do not sum to the totals", NULL);
	stats_print_top(x->stats, devnull, &po);
	stats_print_report(x->stats, devnull, &ro);
}

static void finish(struct corr *c, struct fctx *x, uint64_t copies, uint64_t pushed,
		   const uint64_t *by_type)
{
	struct corr_stats st;
	uint64_t sum = 0;
	bool capped = false;

	corr_finish(c);
	corr_get_stats(c, &st);
	for (int t = 0; t < ST_NTYPES; t++)
		sum += st.by_type[t];
	if (st.events != copies * pushed || sum != copies * pushed)
		fail("event counters disagree with the events pushed", NULL);
	for (int t = 0; t < ST_NTYPES; t++)
		if (st.by_type[t] != copies * by_type[t])
			fail("per-type counters disagree with the events pushed", st_type_name(t));
	if (st.held)
		fail("events still held after corr_finish()", NULL);
	if (pushed && st.first_ts > st.last_ts)
		fail("first_ts after last_ts", NULL);
	for (int k = 0; k < CORR_NCAPS; k++)
		capped |= st.cap_hits[k] != 0;
	if (!capped && x->calls != st.by_type[ST_SHRINK_END])
		fail("on_call count differs from the shrink_end events", NULL);
	if (!capped && x->walks != st.by_type[ST_WALK_END])
		fail("on_walk count differs from the walk_end events", NULL);
	life_print_report(x->life, devnull);
	corr_print_caps(c, devnull);
	check_stats(x);
	if (x->exp) {
		struct sink_state ss = { 0 };

		x->exp->ops->finish(x->exp, &ss);
		if (x->exp->ops->error(x->exp))
			fail("export write error", NULL);
	}
	corr_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Do two records hold the same event?  Field by field, as the table says
 * (a string's bytes after its NUL do not count). */
static bool same_rec(const struct st_rec *a, const struct st_rec *b)
{
	if (a->type != b->type || a->has != b->has)
		return false;
	for (const struct st_field *f = st_fields; f < st_fields + ST_NFIELDS; f++) {
		const void *x = st_field_ptr(f, a), *y = st_field_ptr(f, b);

		if (f->ftype == ST_FT_STR ? strncmp(x, y, f->size) != 0 : memcmp(x, y, f->size) != 0)
			return false;
	}
	return true;
}

/* The reader's two parsers read every line alike: what the fast path takes,
 * json-c takes too, into the same record with the same unknown fields. */
static void check_parsers_agree(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct st_rec a, b;
		struct st_parse_info ia, ib;
		char ra[256], rb[256];
		int pa = st_parse_line_info(p, n, &a, ra, sizeof(ra), &ia);
		int pb = st_parse_line_general(p, n, &b, rb, sizeof(rb), &ib);

		if (pa != pb)
			fail("the fast and the general parser disagree on a line's kind", ra);
		if (pa == ST_PARSE_EVENT && (!same_rec(&a, &b) ||
					     ia.unknown_fields != ib.unknown_fields))
			fail("the fast and the general parser read a line differently", NULL);
		p += n + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct stats_limits tiny = { 2, 2, 2 };
	struct fctx *xa, *xb, *xc;
	struct corr_opts oa = { .stuck_after_ns = 10ULL * 1000 * 1000 * 1000,
				.reorder_window_ns = 50ULL * 1000 * 1000 };
	struct corr_opts ob = { .stuck_after_ns = 1000, .reorder_window_ns = 0, .max_tombstones = 2,
				.max_generations = 3, .max_tasks = 2, .max_depth = 2, .max_held = 3,
				.max_reports = 2 };
	uint64_t pushed = 0, by_type[ST_NTYPES] = { 0 };
	struct corr *a, *b, *cc;
	struct st_log *lg;
	struct st_rec r;
	char err[512], *pf = NULL;
	size_t pflen = 0;
	const char *e;
	json_object *trace;
	FILE *f, *pff;
	int rc;

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		fail("/dev/null", NULL);
	if (size == 0)
		return 0;	/* fmemopen() wants a buffer; an empty log is covered by the replay tests */
	check_parsers_agree(data, size);
	f = fmemopen((void *)data, size, "r");
	pff = open_memstream(&pf, &pflen);
	xa = calloc(1, sizeof(*xa));
	xb = calloc(1, sizeof(*xb));
	xc = calloc(1, sizeof(*xc));
	if (!f || !pff || !xa || !xb || !xc)
		fail("fmemopen/open_memstream/calloc", NULL);
	lg = st_log_open_stream(f, NAME, err, sizeof(err));
	if (!lg)
		fail("st_log_open_stream", err);
	st_log_want_stacks(lg, true);
	xa->stats = stats_new(NULL);
	xb->stats = stats_new(&tiny);
	xc->stats = stats_new(NULL);
	xa->life = life_new();
	xb->life = life_new();
	xa->exp = csv_sink_new(devnull);
	xa->folded = folded_sink_new(devnull);
	xb->exp = perfetto_sink_new(pff, false);
	if (!xa->stats || !xb->stats || !xc->stats || !xa->exp || !xb->exp)
		fail("stats_new/csv_sink_new/perfetto_sink_new", NULL);
	a = corr_new(&oa, &(struct corr_cbs){ .on_event = on_event, .on_violation = on_violation,
					      .on_late = on_late, .on_call = on_call,
					      .on_walk = on_walk, .on_life = on_life, .ctx = xa });
	b = corr_new(&ob, &(struct corr_cbs){ .on_event = on_event, .on_violation = on_violation,
					      .on_late = on_late, .on_call = on_call,
					      .on_walk = on_walk, .on_life = on_life, .ctx = xb });
	cc = corr_new(&oa, &(struct corr_cbs){ .on_violation = on_violation_c, .on_call = on_call,
					       .on_walk = on_walk, .ctx = xc });
	if (!a || !b || !cc)
		fail("corr_new", NULL);
	while ((rc = st_log_next(lg, &r)) > 0) {
		if (rc == ST_LOG_STACK) {
			/* a stack record: writes back the same, and into the folded sink */
			int id, id2;
			const char *fr;
			struct st_parse_info info;
			struct st_rec sr;
			char reason[256];
			int n;

			st_log_stack(lg, &id, &fr);
			check_str(fr, ST_STACK_TEXT, "stack frames");
			n = st_jsonl_format_stack(xa->buf, sizeof(xa->buf), id, fr);
			if (n <= 0 || xa->buf[n - 1] != '\n')
				fail("stack does not format", fr);
			if (st_parse_line_info(xa->buf, (size_t)n, &sr, reason, sizeof(reason),
					       &info) != ST_PARSE_STACK)
				fail(reason, xa->buf);
			id2 = info.stack_id;
			if (id2 != id || strcmp(info.frames, fr))
				fail("stack does not read back to the same", xa->buf);
			xa->folded->ops->stack(xa->folded, id, fr);
			continue;
		}
		corr_set_list_offset(a, st_log_list_offset(lg));
		corr_set_list_offset(b, st_log_list_offset(lg));
		if (st_log_get_stats(lg)->events == 1) {
			struct sink_begin sb = { .kernel = st_log_kernel(lg),
						 .backend = st_log_backend(lg),
						 .start_ts = st_log_start_ts(lg),
						 .list_offset = (int)st_log_list_offset(lg) };

			xa->exp->ops->begin(xa->exp, &sb);
			xb->exp->ops->begin(xb->exp, &sb);
		}
		if (corr_push(a, &r) || corr_push(b, &r))
			fail("corr_push", "out of memory");
		corr_advance(b, r.ts);
		corr_set_list_offset(cc, st_log_list_offset(lg));
		for (uint64_t i = 0; i < COPIES; i++) {
			struct st_rec rc2 = r;

			rc2.shrinker += i << 44;
			rc2.next += i << 44;
			rc2.pid ^= (int)(i << 24);
			if (corr_push(cc, &rc2))
				fail("corr_push", "out of memory");
		}
		if (r.type > ST_UNKNOWN && r.type < ST_VIOLATION) {
			pushed++;
			by_type[r.type]++;
		}
	}
	if (rc < 0) {
		/* the one-line "FILE:LINE: reason" of docs/event-log.md ("Reading a log") */
		e = st_log_error(lg);
		if (strncmp(e, NAME ":", sizeof(NAME)) != 0 || strchr(e, '\n') ||
		    e[sizeof(NAME)] < '1' || e[sizeof(NAME)] > '9' ||
		    !strstr(e + sizeof(NAME), ": ") || strlen(e) < sizeof(NAME) + 4)
			fail("reader error is not one FILE:LINE: reason line", e);
	}
	finish(a, xa, 1, pushed, by_type);
	finish(b, xb, 1, pushed, by_type);
	finish(cc, xc, COPIES, pushed, by_type);
	if (fclose(pff))
		fail("open_memstream", NULL);
	if (pflen) {
		json_tokener *tok = json_tokener_new();

		if (!tok)
			fail("json_tokener_new", NULL);
		trace = json_tokener_parse_ex(tok, pf, (int)pflen);
		for (size_t i = trace ? json_tokener_get_parse_end(tok) : 0; trace && i < pflen; i++)
			if (pf[i] != '\n' && pf[i] != ' ')
				fail("the Perfetto trace has trailing characters", pf + i);
		if (!trace || !json_object_is_type(trace, json_type_array))
			fail("the Perfetto trace is not one JSON array",
			     json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(trace);
		json_tokener_free(tok);
	}
	free(pf);
	life_free(xa->life);
	life_free(xb->life);
	stats_free(xa->stats);
	stats_free(xb->stats);
	stats_free(xc->stats);
	{
		struct sink_state ss = { 0 };

		xa->folded->ops->finish(xa->folded, &ss);
	}
	xa->folded->ops->free(xa->folded);
	xa->exp->ops->free(xa->exp);
	xb->exp->ops->free(xb->exp);
	free(xa);
	free(xb);
	free(xc);
	st_log_close(lg);
	fclose(f);
	return 0;
}
