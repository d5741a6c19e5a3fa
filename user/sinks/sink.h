/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sinks/sink.h - the one interface of every output: the JSONL log, the live
 * event lines, CSV, Perfetto, --top, the summary and replay's report, the
 * metrics endpoint.
 *
 * The tracer (front/trace.c) and replay (front/replay.c) each build a list of
 * sinks from their options through the table of sinks (sinks/registry.h)
 * and drive it through the pipeline (front/pipeline.c), in this order:
 *
 *   begin      once per run: what the log's header says (kernel, backend, ...)
 *   event      each event as it leaves the correlator (timestamp order), with
 *              the name of the generation it belongs to
 *   violation  each violation the moment the correlator finds it (after the
 *              event that showed it)
 *   call       each do_shrink_slab() call as it ends: its shrink_begin and
 *              shrink_end paired (before the shrink_end's event)
 *   walk       each shrink_slab() walk as it ends (before its walk_end's event)
 *   memcg      what a memcg the events name is (its cgroup id and path), once
 *              per memcg, before the first event that names it leaves
 *   tick       now and then (the tracer: every poll; replay: never), with the
 *              statistics so far, for sinks that show a state (--top, metrics)
 *   finish     once per run, at its end, with the final statistics
 *   free       once
 *
 * Every hook but free may be NULL.  A sink writes only its own output and
 * keeps its first write error for error().  A sink owns nothing it is given
 * except what its constructor says.
 */
#ifndef ST_SINK_H
#define ST_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/correlate.h"
#include "engine/lifecycle.h"
#include "engine/stats.h"
#include "log/event.h"
#include "log/reader.h"

#define SINK_MAX_HOOKS 8

/* What a run is: the live tracer's, or a log's header (replay). */
struct sink_begin {
	const char *kernel;		/* release, "" unknown */
	const char *backend;		/* "fentry", "tracepoint", "mixed", "" unknown */
	uint64_t start_ts;		/* ns, CLOCK_MONOTONIC: tracing began (probes
					 * attached); 0 unknown */
	int list_offset;		/* offsetof(struct shrinker, list), bytes; -1 unknown */
	const char *redacted;		/* NULL, "addrs" or "all" */
	const char *run_id;		/* the run's id in the log header ("run"), or NULL */
	bool live;			/* the tracer (else replay of a log) */
	const char *source;		/* replay: the file being read; NULL live */
	unsigned run;			/* replay: 1, 2, ... for logs concatenated in one input */
	/* live: each hook of kernel/loader.h (shrink_slab, do_shrink_slab, ...),
	 * the mechanism serving it ("fentry", "kprobe", "tracepoint", "none")
	 * and what it attached to ("" none) */
	unsigned nhooks;
	const char *hook[SINK_MAX_HOOKS];
	const char *hook_mech[SINK_MAX_HOOKS];
	const char *hook_target[SINK_MAX_HOOKS];
	/* live: how the run was made, for the log's header (docs/event-log.md):
	 * "events" (one record per call) or "stats-only"; the filters the kernel
	 * applied (0 / NULL: none) */
	const char *mode;
	uint32_t filter_pid;
	const char *filter_comm;
	uint64_t filter_memcg_id;
	uint64_t filter_min_latency_ns;
	const char *filter_shrinker;	/* --shrinker GLOB (user space) */
	/* live: ends the event loop's wait at once (for a sink whose other
	 * threads need a tick now: a scrape); thread-safe; NULL none */
	void (*wake)(void *wake_ctx);
	void *wake_ctx;
};

/* One event leaving the correlator. */
struct sink_event {
	const struct st_rec *r;
	uint64_t serial;		/* its shrinker generation (correlator serial), 0 none */
	const char *name;		/* that generation's name, "" unknown: also for
					 * events that carry none (shrink_end, frees) */
};

/* The kernel side's own account of a live run, for the summary
 * (loader_account(); all zero in replay).  On the tracepoint backend the
 * end of a generation is seen at kmem:kfree, inferred from address reuse,
 * or not seen at all (lost records written at exit); the census is the
 * walk of shrinker_list that infers registration and frees. */
struct sink_kernel {
	uint64_t skipped_runs;		/* runs the kernel skipped (bpf_prog_info.recursion_misses) */
	bool lifecycle;			/* the tracepoint backend's numbers below are valid */
	uint64_t allocs;		/* shrinker_alloc seen at kmem:kmalloc */
	uint64_t rcu_kfree;		/* rcu_free seen at kmem:kfree */
	uint64_t rcu_reuse;		/* rcu_free inferred from address reuse */
	uint64_t exit_lost;		/* generations never seen ending: lost records at exit */
	uint64_t exit_open;		/* of those, never seen registered */
	bool census_known;		/* &shrinker_list was found: the census ran */
	uint64_t census_runs;		/* walks of shrinker_list */
	uint64_t census_listed;		/* shrinkers listed at the last walk */
	bool census_capped;		/* a walk stopped at ST_CENSUS_MAX entries */
	uint64_t untracked;		/* shrinkers not tracked: the tracked map was full */
};

/* The state of a run, for tick and finish. */
struct sink_state {
	uint64_t now_ns;		/* CLOCK_MONOTONIC now (live), or the last ts (replay) */
	double elapsed_s;		/* wall time traced so far (live), 0 replay */
	uint64_t loop_wait_ns;		/* live: the wait the event loop planned before
					 * this tick (0.1 s, up to 1 s while idle), ns */
	const struct stats *stats;	/* per-shrinker statistics */
	const struct corr_stats *cs;	/* the correlator's counters */
	const struct corr *corr;	/* for its caps line (corr_print_caps) */
	const struct life *life;	/* per-name lifecycle (engine/lifecycle.h) */
	uint64_t violations;		/* reported so far */
	uint64_t kernel_lost;		/* events the kernel side dropped */
	struct sink_kernel kernel;	/* finish, live only: the kernel side's account */
	bool stats_oom;			/* the statistics are incomplete */
	/* Bring stats up to date before reading it (stats-only mode: read the
	 * kernel's maps, a few syscalls); NULL when always current.  For sinks
	 * that need the numbers now, not on every tick. */
	void (*refresh)(void *ctx);
	void *refresh_ctx;
	/* finish only */
	const char *command;		/* -- COMMAND: its argv[0], or NULL */
	int command_status;		/* its wait status; -1 not reaped */
	const char *log_path;		/* -o FILE, or NULL */
	const struct st_log_stats *log;	/* replay: the reader's counters, or NULL */
	bool input_error;		/* replay: the input stopped on an error */
};

struct sink;

struct sink_ops {
	const char *name;		/* "jsonl", "text", "csv", "perfetto", "top", ... */
	void (*begin)(struct sink *s, const struct sink_begin *b);
	void (*event)(struct sink *s, const struct sink_event *e);
	void (*violation)(struct sink *s, const struct st_violation *v);
	void (*call)(struct sink *s, const struct corr_call *c);
	void (*walk)(struct sink *s, const struct corr_walk *w);
	void (*memcg)(struct sink *s, uint64_t memcg, uint64_t id, const char *path);
	/* A kernel stack of walks' callers (--stacks): id as in walk_begin's
	 * stack_id, frames ';'-joined innermost first.  Given before the first
	 * walk that names it leaves the correlator. */
	void (*stack)(struct sink *s, int id, const char *frames);
	void (*tick)(struct sink *s, const struct sink_state *st);
	void (*finish)(struct sink *s, const struct sink_state *st);
	/* The first write error (an errno value), 0 if none.  May be NULL. */
	int (*error)(const struct sink *s);
	void (*free)(struct sink *s);
};

/* Embedded first in every sink's own struct. */
struct sink {
	const struct sink_ops *ops;
};

/* A list of sinks, called in the order they were added. */
#define SINKS_MAX 16

struct sinks {
	struct sink *s[SINKS_MAX];
	unsigned n;
};

/* Add s (owned from now on: freed by sinks_free()).  NULL s is ignored
 * (a constructor that failed: the caller reports it).  -1 when full. */
int sinks_add(struct sinks *l, struct sink *s);
void sinks_begin(struct sinks *l, const struct sink_begin *b);
void sinks_event(struct sinks *l, const struct sink_event *e);
void sinks_violation(struct sinks *l, const struct st_violation *v);
void sinks_call(struct sinks *l, const struct corr_call *c);
void sinks_walk(struct sinks *l, const struct corr_walk *w);
void sinks_memcg(struct sinks *l, uint64_t memcg, uint64_t id, const char *path);
void sinks_stack(struct sinks *l, int id, const char *frames);
void sinks_tick(struct sinks *l, const struct sink_state *st);
void sinks_finish(struct sinks *l, const struct sink_state *st);
/* The first sink of l whose ops->name is name, or NULL (l may be NULL). */
struct sink *sinks_find(const struct sinks *l, const char *name);
/* The first write error of any sink (errno value) and, in *which, its name. */
int sinks_error(const struct sinks *l, const char **which);
void sinks_free(struct sinks *l);

#endif /* ST_SINK_H */
