/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * front/pipeline.h - the one path every event takes, live or replayed:
 *
 *   events -> correlator (reorder window, generations, detectors)
 *          -> statistics (per call, per walk)      -> sinks (outputs)
 *
 * The tracer (front/trace.c) feeds it from the kernel's ring buffer, replay
 * (front/replay.c) from a log; both get the same correlation, the same
 * statistics and the same sinks.  One pipeline is one run: replay starts a
 * new one for each log (and for each log concatenated into one input).
 */
#ifndef ST_PIPELINE_H
#define ST_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/correlate.h"
#include "engine/lifecycle.h"
#include "engine/stats.h"
#include "sinks/sink.h"

struct pipeline_opts {
	struct corr_opts corr;		/* window, stuck threshold, caps */
	const char *shrinker_glob;	/* --shrinker GLOB: only calls of shrinkers whose
					 * name matches go to the sinks and the statistics;
					 * NULL: all */
	bool kernel_stats;		/* stats-only: calls, walks and tasks are counted in
					 * the kernel (the front sets them into stats) */
	const char *warn_prefix;	/* cap warnings on stderr: "shrinktrace" (tracer)
					 * or the log's name (replay) */
	bool live;			/* the tracer: late events are reported (the first
					 * five) as they come */
	bool no_stats;			/* no per-call statistics (an output that does not
					 * show them: replay --format jsonl, csv, perfetto) */
	/* The front's own look at each event before the sinks (the tracer's
	 * stats-only bookkeeping at rcu_free).  May be NULL. */
	void (*on_event)(const struct st_rec *r, const struct corr_event *e, void *ctx);
	void *ctx;
};

struct pipeline;

/* A run into sinks (borrowed; must outlive the pipeline).  o is copied (the
 * glob string is borrowed).  NULL on ENOMEM. */
struct pipeline *pipeline_new(const struct pipeline_opts *o, struct sinks *sinks);
void pipeline_free(struct pipeline *p);

/* The run begins: b goes to every sink; b->list_offset tells the correlator
 * how to read snapshot `next` pointers. */
void pipeline_begin(struct pipeline *p, const struct sink_begin *b);

/* One event (copied).  0, or -1 with errno ENOMEM. */
int pipeline_push(struct pipeline *p, const struct st_rec *r);

/* The memcg at address memcg (as the events name it, after redaction) is
 * cgroup id with path (NULL/"" unknown): the correlator describes calls and
 * walks with it, the sinks are told (the log keeps a "memcg" line).  0 or
 * -1 (ENOMEM). */
int pipeline_memcg(struct pipeline *p, uint64_t memcg, uint64_t id, const char *path);

/* The kernel stack with id (walk_begin's stack_id) is frames (';'-joined,
 * innermost first): the sinks are told (the log keeps a "stack" line). */
void pipeline_stack(struct pipeline *p, int id, const char *frames);

/* Trace time is at least now_ns: release what the reorder window may release
 * and raise stuck_free (live only). */
void pipeline_advance(struct pipeline *p, uint64_t now_ns);

/* Fill the pipeline's part of st (stats, cs, corr, violations, stats_oom);
 * the rest is the caller's.  st->cs points into the pipeline (valid until
 * the next call). */
void pipeline_state(struct pipeline *p, struct sink_state *st);

/* sinks_tick() with st completed by pipeline_state(). */
void pipeline_tick(struct pipeline *p, struct sink_state *st);

/* End of the run: release every held event, final checks, st->refresh (if
 * any), then sinks_finish() with st completed by pipeline_state(). */
void pipeline_finish(struct pipeline *p, struct sink_state *st);

/* The run's engine and statistics (borrowed), for the stats-only front. */
struct corr *pipeline_corr(struct pipeline *p);
struct stats *pipeline_stats(struct pipeline *p);
const struct life *pipeline_life(const struct pipeline *p);

/* Is the shrinker at addr, named name ("" unknown: looked up in the
 * correlator), selected by --shrinker? */
bool pipeline_shrinker_selected(const struct pipeline *p, uint64_t addr, const char *name);

/* Violations reported so far in this run. */
uint64_t pipeline_violations(const struct pipeline *p);

/* The statistics ran out of memory somewhere (they are incomplete). */
void pipeline_stats_oom(struct pipeline *p);

#endif /* ST_PIPELINE_H */
