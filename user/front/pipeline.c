// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* front/pipeline.c - events -> correlator -> statistics -> sinks (see front/pipeline.h). */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front/pipeline.h"

struct pipeline {
	struct pipeline_opts o;
	struct sinks *sinks;
	struct corr *corr;
	struct stats *stats;
	struct life *life;
	uint64_t violations;
	bool stats_oom;
	unsigned late_reported;
	struct corr_stats cs;	/* pipeline_state()'s copy */
};

bool pipeline_shrinker_selected(const struct pipeline *p, uint64_t addr, const char *name)
{
	char buf[ST_REC_NAME_LEN];
	uint64_t serial;

	if (!p->o.shrinker_glob)
		return true;
	if (!name[0] && !corr_lookup(p->corr, addr, &serial, buf, sizeof(buf)))
		name = buf;
	return fnmatch(p->o.shrinker_glob, name, 0) == 0;
}

/* Output and per-event statistics skip the calls --shrinker leaves out; a
 * shrink_begin written late (deferred: it mattered to a violation) stays. */
static bool event_selected(const struct pipeline *p, const struct st_rec *r, const char *name)
{
	if (r->type != ST_SHRINK_BEGIN && r->type != ST_SHRINK_END)
		return true;
	return r->deferred ||
	       pipeline_shrinker_selected(p, r->shrinker, (r->has & ST_HAS_NAME) ? r->name : name);
}

static void on_event(const struct st_rec *r, const struct corr_event *e, void *ctx)
{
	struct pipeline *p = ctx;
	struct sink_event se = { .r = r, .serial = e->serial, .name = e->name };

	if (p->o.on_event)
		p->o.on_event(r, e, p->o.ctx);
	if (event_selected(p, r, e->name))
		sinks_event(p->sinks, &se);
}

static void on_violation(const struct st_violation *v, void *ctx)
{
	struct pipeline *p = ctx;

	p->violations++;
	sinks_violation(p->sinks, v);
}

/* An event older than what the reorder window already released: it is still
 * correlated, counted in the summary, and (live) the first few are reported. */
static void on_late(const struct st_rec *r, uint64_t released_ts, void *ctx)
{
	struct pipeline *p = ctx;

	if (p->o.live && p->late_reported++ < 5)
		fprintf(stderr, "shrinktrace: %s at ts %" PRIu64 " arrived %.3f ms behind events "
			"already released; it is still correlated (raise --window)\n",
			st_type_name(r->type), r->ts, (double)(released_ts - r->ts) / 1e6);
}

static void on_call(const struct corr_call *ci, void *ctx)
{
	struct pipeline *p = ctx;

	if (!pipeline_shrinker_selected(p, ci->shrinker, ci->name))
		return;
	sinks_call(p->sinks, ci);
	/* stats-only: the kernel's maps are the source (the front sets them) */
	if (p->o.kernel_stats || p->o.no_stats)
		return;
	if (stats_add_call(p->stats, ci))
		p->stats_oom = true;
}

static void on_walk(const struct corr_walk *wi, void *ctx)
{
	struct pipeline *p = ctx;

	sinks_walk(p->sinks, wi);
	if (p->o.kernel_stats || p->o.no_stats)
		return;
	if (stats_add_walk(p->stats, wi))
		p->stats_oom = true;
}

static void on_life(const struct corr_life *ev, void *ctx)
{
	struct pipeline *p = ctx;

	if (life_add(p->life, ev))
		p->stats_oom = true;
}

/* A cap of the correlator was reached: once per cap, on stderr. */
static void on_cap(enum corr_cap cap, uint64_t limit, void *ctx)
{
	struct pipeline *p = ctx;
	char buf[256];

	fprintf(stderr, "%s: warning: %s (%s)\n", p->o.warn_prefix ? p->o.warn_prefix : "shrinktrace",
		corr_cap_warning(cap, limit, buf, sizeof(buf)),
		p->o.live ? "counted in the summary" : "see \"caps hit\"");
}

struct pipeline *pipeline_new(const struct pipeline_opts *o, struct sinks *sinks)
{
	struct pipeline *p = calloc(1, sizeof(*p));
	struct corr_cbs cb = { .on_event = on_event, .on_violation = on_violation,
			       .on_late = on_late, .on_call = on_call, .on_walk = on_walk,
			       .on_cap = on_cap, .on_life = on_life };

	if (!p)
		return NULL;
	p->o = *o;
	p->sinks = sinks;
	cb.ctx = p;
	p->corr = corr_new(&p->o.corr, &cb);
	p->stats = stats_new(NULL);
	p->life = life_new();
	if (!p->corr || !p->stats || !p->life) {
		pipeline_free(p);
		return NULL;
	}
	return p;
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	corr_free(p->corr);
	stats_free(p->stats);
	life_free(p->life);
	free(p);
}

void pipeline_begin(struct pipeline *p, const struct sink_begin *b)
{
	if (b->list_offset > 0)
		corr_set_list_offset(p->corr, (unsigned)b->list_offset);
	sinks_begin(p->sinks, b);
}

int pipeline_push(struct pipeline *p, const struct st_rec *r)
{
	return corr_push(p->corr, r);
}

int pipeline_memcg(struct pipeline *p, uint64_t memcg, uint64_t id, const char *path)
{
	if (corr_set_memcg(p->corr, memcg, id, path))
		return -1;
	sinks_memcg(p->sinks, memcg, id, path ? path : "");
	return 0;
}

void pipeline_stack(struct pipeline *p, int id, const char *frames)
{
	sinks_stack(p->sinks, id, frames ? frames : "");
}

void pipeline_advance(struct pipeline *p, uint64_t now_ns)
{
	corr_advance(p->corr, now_ns);
}

void pipeline_state(struct pipeline *p, struct sink_state *st)
{
	corr_get_stats(p->corr, &p->cs);
	st->cs = &p->cs;
	st->corr = p->corr;
	st->stats = p->stats;
	st->life = p->life;
	st->violations = p->violations;
	st->stats_oom = st->stats_oom || p->stats_oom;
}

void pipeline_tick(struct pipeline *p, struct sink_state *st)
{
	pipeline_state(p, st);
	sinks_tick(p->sinks, st);
}

void pipeline_finish(struct pipeline *p, struct sink_state *st)
{
	/* live: the calls still in flight end with a record that says so */
	if (p->o.live && corr_close_calls(p->corr, st->now_ns))
		p->stats_oom = true;
	corr_finish(p->corr);
	/* every generation is known now: the kernel's numbers can be placed */
	if (st->refresh)
		st->refresh(st->refresh_ctx);
	pipeline_state(p, st);
	sinks_finish(p->sinks, st);
}

struct corr *pipeline_corr(struct pipeline *p)
{
	return p->corr;
}

struct stats *pipeline_stats(struct pipeline *p)
{
	return p->stats;
}

const struct life *pipeline_life(const struct pipeline *p)
{
	return p->life;
}

uint64_t pipeline_violations(const struct pipeline *p)
{
	return p->violations;
}

void pipeline_stats_oom(struct pipeline *p)
{
	p->stats_oom = true;
}
