/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * engine/stats.h - per-shrinker statistics: aggregation and rendering.
 *
 * Inputs come either from the correlator (on_call / on_walk, one record per
 * do_shrink_slab() call or shrink_slab() walk: the live tracer and `replay`
 * feed the same callbacks, so both give the same numbers for the same log),
 * or from the kernel-side aggregates of the stats-only mode (absolute totals
 * read from the BPF maps, stats_set_kernel_*).  Aggregates kept:
 *
 *   - per shrinker name (the table of `--top` and of the report),
 *   - per generation (serial + address + name, as the correlator numbers them),
 *   - per walk (one aggregate over all shrink_slab() walks),
 *   - per task (pid, comm, calls, time in do_shrink_slab()).
 *
 * Durations are nanoseconds throughout.  A call without a known duration
 * ("untimed": no duration_ns and no shrink_begin) counts in calls, freed,
 * zero/empty, but not in time, the histogram or the percentiles.
 *
 * Log2 histogram (bpf/shrinktrace.h, ST_HIST_SLOTS slots): slot 0 counts
 * 0 ns, slot k >= 1 counts [2^(k-1), 2^k) ns, the last slot also everything
 * longer.
 *
 * Percentiles (stats_percentile): over N = the histogram's total count, the
 * wanted sample is the one of rank R = ceil(permille * N / 1000) (1-based,
 * R >= 1).  Slot k holds it when C < R <= C + n_k, C being the count of the
 * slots below k.  The value is interpolated linearly inside that slot:
 *     lo + floor((hi - lo) * (R - C) / n_k)
 * with lo = 2^(k-1), hi = 2^k (slot 0: lo = hi = 0; the last slot: hi =
 * max(max_ns, lo)), and finally clamped to max_ns, the observed maximum.
 * So one sample of 1000 ns (slot 10 = [512, 1024)) gives 1024, clamped to
 * 1000 for every percentile; samples 100, 200, 300, 400 ns (slots 7, 8, 9, 9)
 * give p50 = rank 2 = slot 8: 128 + 128*1/1 = 256, and p99 = rank 4 = slot 9:
 * 256 + 256*2/2 = 512, clamped to 400.  N = 0 gives 0.  Integer arithmetic
 * throughout (128-bit where it could overflow).
 *
 * Memory is bounded (struct stats_limits): distinct names beyond max_names
 * are summed into "(other)"; beyond max_gens generations the oldest finished
 * ones (a newer generation took their address) are folded away, else the
 * least recently called; tasks beyond max_tasks are summed into "(other
 * tasks)".  Folded numbers stay in the names' and the totals' sums;
 * struct stats_folded counts what the caps did.  Kernel-side entries
 * (stats_set_kernel_*) must be replaceable, so a generation that is still the
 * current one at its address and a task set from the kernel are exempt from
 * folding: their number is bounded by the kernel maps' sizes instead.
 *
 * Not thread-safe; no I/O (sinks/tables.c lays the numbers out as text).
 */
#ifndef ST_STATS_H
#define ST_STATS_H

#include <linux/types.h>	/* __u64 of bpf/shrinktrace.h */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/correlate.h"
#include "log/event.h"
#include "shrinktrace.h"

#define STATS_MAX_NAMES 4096
#define STATS_MAX_GENS 65536
#define STATS_MAX_TASKS 16384

#define STATS_OTHER_NAME "(other)"
#define STATS_OTHER_TASKS "(other tasks)"
#define STATS_UNNAMED "(unnamed)"
#define STATS_GLOBAL "(global)"
#define STATS_UNKNOWN "(unknown)"	/* a call or walk whose begin was not seen */
#define STATS_MEMCG_UNKNOWN (~0ULL)	/* its row's key */
#define STATS_MAX_MEMCGS 4096

struct stats_limits {
	size_t max_names;	/* 0: STATS_MAX_NAMES */
	size_t max_gens;	/* 0: STATS_MAX_GENS */
	size_t max_tasks;	/* 0: STATS_MAX_TASKS */
};

/* The calls of one shrinker name (a row of the table). */
struct stats_name {
	char name[ST_REC_NAME_LEN];	/* STATS_UNNAMED for "", STATS_OTHER_NAME */
	uint64_t gens;			/* generations that had calls under this name */
	uint64_t untimed;		/* calls without a known duration */
	struct st_call_stat c;		/* calls, zero (freed 0), empty (SHRINK_EMPTY),
					 * scanned, freed, time, max, histogram */
};

/* The calls of one shrinker generation. */
struct stats_gen {
	uint64_t serial;		/* the correlator's generation serial */
	uint64_t addr;			/* struct shrinker * */
	char name[ST_REC_NAME_LEN];	/* the latest name it was called by */
	uint64_t calls, zero_calls, empty_calls, scanned, freed;
	uint64_t total_ns, max_ns, untimed;
};

/* All shrink_slab() walks. */
struct stats_walk {
	uint64_t walks;
	uint64_t untimed;		/* walks without a known duration */
	uint64_t calls;			/* do_shrink_slab() calls inside walks */
	uint64_t max_calls;		/* the most in one walk (event input only) */
	uint64_t freed;			/* walk_end's freed, or the calls' sum without it */
	uint64_t total_ns, max_ns;
	__u64 hist[ST_HIST_SLOTS];
};

/* Whose shrinkers a walk visited (the metrics' memcg label): shrink_slab() of
 * one memcg (shrink_slab_memcg(): a cgroup's own shrinkers) or the global walk
 * of shrinker_list (root_mem_cgroup, cgroup path "/", or no memcg), as its
 * walk_begin said; unknown when that was not seen. */
enum stats_walk_class {
	STATS_WALK_GLOBAL,
	STATS_WALK_MEMCG,
	STATS_WALK_UNKNOWN,
	STATS_WALK_NCLASS,
};

/* One task's time in do_shrink_slab(). */
struct stats_task {
	int pid;			/* -1 for STATS_OTHER_TASKS */
	char comm[ST_REC_COMM_LEN];	/* at the latest call */
	uint64_t calls, untimed, total_ns, max_ns;
};

/* The calls and walks for one memcg (a row of `--top --by memcg` and of the
 * report's per-memcg table).  Keyed by cgroup id when known, else by the
 * memcg's address; global reclaim (no memcg) is one row too, and the calls
 * and walks whose begin was not seen (memcg unknown) another, so that the
 * rows sum to the totals. */
struct stats_memcg {
	uint64_t id;			/* cgroup id, 0 unknown */
	uint64_t addr;			/* struct mem_cgroup *, 0: global reclaim */
	char path[256];			/* cgroup path; STATS_GLOBAL, "" unknown,
					 * STATS_OTHER_NAME for the folded rest */
	uint64_t untimed;
	struct st_call_stat c;		/* its calls, as per name */
	uint64_t walks, walk_ns;	/* its walks (event input only) */
};

/* Everything, summed. */
struct stats_totals {
	uint64_t calls, untimed, zero_calls, empty_calls, scanned, freed;
	uint64_t unfinished;		/* calls still in flight when the trace ended (not
					 * in the other counts) */
	uint64_t total_ns, max_ns;
	uint64_t names, gens, tasks;	/* entries in the tables now */
};

/* What the memory caps folded (counts of records, not of distinct keys). */
struct stats_folded {
	uint64_t other_name_calls;	/* calls summed into "(other)" */
	uint64_t gens_folded;		/* generations dropped from the generation table */
	uint64_t other_task_calls;	/* calls summed into "(other tasks)" */
};

enum stats_sort {
	STATS_SORT_TIME,	/* total time, descending (default) */
	STATS_SORT_CALLS,
	STATS_SORT_FREED,
	STATS_SORT_MAX,		/* longest call */
	STATS_SORT_P99,
	STATS_SORT_ZERO,	/* calls that freed nothing */
	STATS_SORT_NAME,	/* ascending */
};
#define STATS_SORT_KEYS "time, calls, freed, max, p99, zero, name"

struct stats;

/* A new, empty set.  lim may be NULL for the defaults.  NULL on ENOMEM. */
struct stats *stats_new(const struct stats_limits *lim);
/* Free s and everything it holds; NULL is ignored. */
void stats_free(struct stats *s);

/* Add one call / one walk (from corr_cbs.on_call / on_walk; not kept).
 * 0, or -1 on ENOMEM (the record is then only partly counted). */
int stats_add_call(struct stats *s, const struct corr_call *ci);
int stats_add_walk(struct stats *s, const struct corr_walk *wi);

/* Kernel-side aggregates (stats-only mode).  Each takes the absolute totals
 * of its key, as the kernel map holds them (so they may be called every
 * interval with growing numbers).  0, or -1 on ENOMEM.
 *
 * stats_set_kernel_call: sum is generation serial's (at addr) totals so far;
 * what grew since the previous call for it is added under name, the name the
 * generation has now.  Nothing ever moves between names, so no name's numbers
 * go down (they are Prometheus counters): what an earlier name got stays
 * with it.  name "" (not known yet) counts nothing and waits for the name,
 * unless final (the generation ended, or the run ends): then its calls go
 * under STATS_UNNAMED. */
int stats_set_kernel_call(struct stats *s, uint64_t serial, uint64_t addr, const char *name,
			  const struct st_call_stat *sum, bool final);
void stats_set_kernel_walk(struct stats *s, const struct st_walk_stat w[ST_WALK_STAT_N]);
int stats_set_kernel_task(struct stats *s, uint32_t pid, const struct st_task_stat *t);

/* *d += *a: counts and sums added, max the larger, the histogram slot by slot
 * (also how user/kernel/loader.c sums the kernel map's per-CPU values). */
void st_call_stat_add(struct st_call_stat *d, const struct st_call_stat *a);

/* Histogram slot of a duration (ns), 0 .. ST_HIST_SLOTS - 1. */
unsigned stats_hist_slot(uint64_t ns);
/* Percentile (permille: 500 = p50, 990 = p99) of a histogram, ns, by the rule
 * above; max_ns is the observed maximum.  0 for an empty histogram. */
uint64_t stats_percentile(const __u64 hist[ST_HIST_SLOTS], uint64_t max_ns,
			  unsigned permille);

/* Lookups; the pointers are valid until the next change of s.  NULL if absent. */
const struct stats_name *stats_get_name(const struct stats *s, const char *name);
const struct stats_gen *stats_get_gen(const struct stats *s, uint64_t serial);
const struct stats_task *stats_get_task(const struct stats *s, int pid);	/* -1: others */
void stats_get_walk(const struct stats *s, struct stats_walk *out);
/* The walks of one class and cause (what triggered them: st_walk_cause() in
 * bpf/shrinktrace.h, 0 .. ST_WALK_CAUSES - 1; ST_TRIG_UNKNOWN also for walks
 * whose walk_begin did not say), kernel aggregates included; all zero for an
 * out-of-range class or cause. */
void stats_get_walk_by(const struct stats *s, enum stats_walk_class k, unsigned cause,
		       struct stats_walk *out);
/* The walks of one cause over every class. */
void stats_get_walk_cause(const struct stats *s, unsigned cause, struct stats_walk *out);
/* The class and the cause stats_add_walk() files a walk under. */
enum stats_walk_class stats_walk_class_of(const struct corr_walk *wi);
unsigned stats_walk_cause_of(const struct corr_walk *wi);
/* A cause's name: a trigger's ("kswapd", "direct", "node_reclaim", "memcg",
 * "drop_caches", "unknown") or a memcg limit's ("memcg_high", "memcg_max",
 * "memcg_reclaim"); static storage. */
const char *stats_walk_cause_name(unsigned cause);
/* The walks of one class (their sum over the classes is stats_get_walk()). */
void stats_get_walk_class(const struct stats *s, enum stats_walk_class k, struct stats_walk *out);
/* "global", "memcg", "unknown" */
const char *stats_walk_class_name(enum stats_walk_class k);
void stats_get_totals(const struct stats *s, struct stats_totals *out);
void stats_get_folded(const struct stats *s, struct stats_folded *out);
/* The limits in force (the defaults filled in). */
void stats_get_limits(const struct stats *s, struct stats_limits *out);

/* The names with at least one call, sorted by key (ties: by name), into v
 * (capacity n).  Returns how many there are in all (may exceed n). */
size_t stats_sorted_names(const struct stats *s, enum stats_sort key,
			  const struct stats_name **v, size_t n);

/* The generations with at least one call / the tasks with at least one call
 * ("(other tasks)" last), in no particular order, into v (capacity n).
 * Return how many there are in all (may exceed n: call with n = 0 to size v). */
size_t stats_list_gens(const struct stats *s, const struct stats_gen **v, size_t n);
size_t stats_list_tasks(const struct stats *s, const struct stats_task **v, size_t n);

/* The memcgs with at least one call or walk, sorted by key (the name sort:
 * by path), into v (capacity n); how many there are in all (may exceed n). */
size_t stats_sorted_memcgs(const struct stats *s, enum stats_sort key,
			   const struct stats_memcg **v, size_t n);

/* The value a row is sorted by under key (descending; 0 for "name": ties,
 * which sort by name). */
uint64_t stats_sort_value(const struct stats_name *n, enum stats_sort key);

/* Sort key for "time", "calls", ... (STATS_SORT_KEYS); -1 if unknown. */
int stats_sort_from_name(const char *name);
const char *stats_sort_name(enum stats_sort key);

#endif /* ST_STATS_H */
