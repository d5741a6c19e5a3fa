/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * engine/correlate.h - the correlation engine: shrinker generations, walks, in-flight
 * do_shrink_slab() calls, and the walk-safety violations of docs/event-log.md.
 *
 * Pure: no BPF, no I/O except through the callbacks and corr_print_caps().  The
 * live tracer and `shrinktrace replay` feed it the same way:
 *
 *   corr_push() each event as it arrives (any order within the window)
 *   corr_advance() with the current trace time when idle (live only)
 *   corr_finish() at the end, then corr_get_stats()
 *
 * Per-name totals are not kept here: on_call/on_walk feed engine/stats.c,
 * on_life engine/lifecycle.c.
 *
 * Events leave the reorder window in timestamp order through on_event, then
 * drive the state machine; violations come out through on_violation the
 * moment they are found.
 */
#ifndef ST_CORRELATE_H
#define ST_CORRELATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log/event.h"

struct corr;

struct corr_opts {
	uint64_t stuck_after_ns;	/* stuck_free threshold, trace time; 0 = default 10 s */
	uint64_t reorder_window_ns;	/* events are held this long (trace time) to be sorted;
					 * 0 = no reordering (out-of-order events count as late) */
	size_t max_tombstones;		/* queued/freed generations remembered for
					 * use_after_free / stale_next; 0 = CORR_DEFAULT_TOMBSTONES */
	unsigned list_offset;		/* offsetof(struct shrinker, list) in the traced kernel,
					 * bytes: a snapshot `next` of N points at the shrinker at
					 * N - list_offset.  0: `next` names the shrinker itself
					 * (hand-written logs, headers without "list_offset") */
	/* Caps on what is tracked, so that memory stays bounded whatever the
	 * input (0 = the CORR_MAX_* default).  What a cap leaves out is counted
	 * in corr_stats.cap_hits, reported once through on_cap, and printed by
	 * corr_print_caps(). */
	size_t max_generations;		/* live generations (allocated/registered/seen, not
					 * yet queued): events naming a shrinker beyond it
					 * are not correlated */
	size_t max_tasks;		/* tasks with a walk or a call in flight: events of
					 * further tasks are not correlated */
	unsigned max_depth;		/* in-flight do_shrink_slab() calls per task: deeper
					 * calls are not tracked (their shrink_end is unpaired) */
	size_t max_held;		/* events held in the reorder window: beyond it the
					 * oldest is released early (later ones may be late) */
	size_t max_reports;		/* (kind, generation, walker pid) reports remembered
					 * for "reported once": beyond it violations are
					 * still reported, but may repeat */
};

/* The caps of struct corr_opts, for corr_stats.cap_hits and on_cap. */
enum corr_cap {
	CORR_CAP_GENERATIONS = 0,
	CORR_CAP_TASKS,
	CORR_CAP_DEPTH,
	CORR_CAP_HELD,
	CORR_CAP_REPORTS,
	CORR_NCAPS,
};

/* struct corr_call.flags: which of its fields are known. */
#define CORR_CALL_BEGIN		(1u << 0)	/* the shrink_begin was seen: begin_ts,
						 * nr_to_scan, nid, memcg */
#define CORR_CALL_DURATION	(1u << 1)	/* duration_ns is known */
#define CORR_CALL_FREED		(1u << 2)	/* freed is known (the shrink_end has it) */
#define CORR_CALL_NR_TO_SCAN	(1u << 3)	/* nr_to_scan is known (from the shrink_begin) */
#define CORR_CALL_IN_WALK	(1u << 4)	/* it ended inside a traced shrink_slab() walk */

/* One do_shrink_slab() call, reported at its shrink_end (paired with the
 * task's shrink_begin on the same shrinker when that was seen). */
struct corr_call {
	uint64_t serial;		/* the generation's serial (st_violation.generation) */
	uint64_t shrinker;		/* struct shrinker * */
	const char *name;		/* the generation's name, "" if unknown; valid
					 * during the callback only */
	int pid;
	char comm[ST_REC_COMM_LEN];
	uint32_t flags;			/* CORR_CALL_* */
	uint64_t begin_ts;		/* ns; 0 without CORR_CALL_BEGIN */
	uint64_t end_ts;		/* ns */
	uint64_t duration_ns;		/* the record's duration_ns, else end_ts - begin_ts;
					 * 0 without CORR_CALL_DURATION */
	uint64_t freed;			/* raw: ST_FREED_EMPTY for SHRINK_EMPTY */
	uint64_t nr_to_scan;
	int nid;			/* from the shrink_begin (CORR_CALL_BEGIN with
					 * the walk fields), else -1 */
	uint64_t memcg;			/* likewise, else 0 */
	int priority;			/* likewise, else -1 */
	uint64_t memcg_id;		/* the memcg's cgroup id, 0 unknown (corr_set_memcg) */
	const char *memcg_path;		/* its cgroup path, "" unknown */
	/* The two records themselves, for outputs that show any of their
	 * fields: the shrink_begin (NULL without CORR_CALL_BEGIN) and the
	 * shrink_end.  Valid during the callback only. */
	const struct st_rec *begin, *end;
	/* The walk_begin of the walk the call was made in (this task's), NULL
	 * when it was not in a walk or its begin was not seen. */
	const struct st_rec *walk;
};

/* struct corr_walk.flags */
#define CORR_WALK_BEGIN		(1u << 0)	/* the walk_begin was seen: begin_ts,
						 * nid, memcg, priority */
#define CORR_WALK_DURATION	(1u << 1)	/* duration_ns is known */
#define CORR_WALK_FREED		(1u << 2)	/* freed (walk_end's own) is known */

/* One shrink_slab() walk, reported at its walk_end. */
struct corr_walk {
	int pid;
	char comm[ST_REC_COMM_LEN];
	uint32_t flags;			/* CORR_WALK_* */
	uint64_t begin_ts;		/* ns; 0 without CORR_WALK_BEGIN */
	uint64_t end_ts;		/* ns */
	uint64_t duration_ns;		/* the record's duration_ns, else end_ts - begin_ts */
	uint64_t calls;			/* shrink_end events of this task inside the walk */
	uint64_t calls_freed;		/* their summed freed (SHRINK_EMPTY adds 0) */
	uint64_t freed;			/* walk_end's freed (shrink_slab()'s return value) */
	int nid;			/* -1 when unknown */
	uint64_t memcg;
	int priority;			/* -1 when unknown */
	uint64_t memcg_id;		/* as in struct corr_call */
	const char *memcg_path;
	/* its walk_begin record (trigger, order, gfp, stack_id), NULL without
	 * CORR_WALK_BEGIN; valid during the callback only */
	const struct st_rec *begin;
};

/* What the correlator knows of an event's shrinker when it gives it out. */
struct corr_event {
	uint64_t serial;		/* the generation's serial (st_violation.generation);
					 * 0: no shrinker (walks, lost) or not tracked */
	const char *name;		/* its name so far, "" if unknown; valid during the
					 * callback only */
	uint64_t memcg_id;		/* the event's memcg (walk_begin, shrink_begin): */
	const char *memcg_path;		/* as in struct corr_call */
};

/* The facts of a generation's lifecycle, in the order they happen (struct
 * corr_life.kind); engine/lifecycle.c sums them per name. */
enum corr_life_kind {
	CORR_LIFE_BEGIN,	/* a generation begins: allocated (shrinker_alloc or
				 * register seen: allocated true) or first seen */
	CORR_LIFE_NAME,		/* it gets its first name (name) */
	CORR_LIFE_REGISTER,	/* shrinker_register() was seen */
	CORR_LIFE_FREE,		/* shrinker_free() finished (free_end after free_begin):
				 * timed with ns = the wait, or inferred by the backend */
	CORR_LIFE_RCU_FREE,	/* its memory was released (rcu_free, seen or inferred):
				 * timed with ns = free_end -> rcu_free when both were seen */
	CORR_LIFE_VIOLATION,	/* a violation (vkind) was found on it */
	CORR_LIFE_END,		/* the correlator forgets it: no more facts */
};

struct corr_life {
	enum corr_life_kind kind;
	uint64_t serial;		/* the generation */
	const char *name;		/* its name so far, "" unknown; valid during the call */
	uint64_t ts;			/* the event's ts, ns */
	bool allocated;			/* BEGIN: by an alloc/register event */
	bool timed;			/* FREE, RCU_FREE: ns is known */
	uint64_t ns;			/* FREE: shrinker_free() wait; RCU_FREE: queue time */
	enum st_vkind vkind;		/* VIOLATION */
};

struct corr_cbs {
	/* An event left the reorder window (timestamp order) and was
	 * correlated; e says which generation it belongs to (for an
	 * allocation: the new one).  May be NULL. */
	void (*on_event)(const struct st_rec *r, const struct corr_event *e, void *ctx);
	/* A violation was found: during an event, right after that event's
	 * on_event.  May be NULL. */
	void (*on_violation)(const struct st_violation *v, void *ctx);
	void *ctx;
	/* An event arrived older than an event already released (beyond the
	 * window): counted in stats.late and still processed, right away.
	 * released_ts is the newest ts already released.  May be NULL. */
	void (*on_late)(const struct st_rec *r, uint64_t released_ts, void *ctx);
	/* A do_shrink_slab() call ended (every shrink_end), after the event's
	 * violation checks.  ci is valid during the call only.  May be NULL. */
	void (*on_call)(const struct corr_call *ci, void *ctx);
	/* A shrink_slab() walk ended (every walk_end).  May be NULL. */
	void (*on_walk)(const struct corr_walk *wi, void *ctx);
	/* A cap of struct corr_opts was reached for the first time (once per
	 * cap); limit is its value.  corr_cap_warning() words it.  May be NULL. */
	void (*on_cap)(enum corr_cap cap, uint64_t limit, void *ctx);
	/* A lifecycle fact of a generation (struct corr_life); during the
	 * event that shows it.  May be NULL. */
	void (*on_life)(const struct corr_life *ev, void *ctx);
};

/* Counters for the exit summary. */
struct corr_stats {
	uint64_t events;		/* events pushed */
	uint64_t by_type[ST_NTYPES];
	uint64_t lost;			/* sum of lost.count */
	uint64_t late;			/* events that arrived after the window passed them */
	uint64_t violations[ST_V_NKINDS];
	uint64_t shrinkers_seen;	/* generations ever tracked */
	uint64_t first_ts, last_ts;	/* trace time span, ns */
	uint64_t live_generations;	/* generations in the table now (not yet evicted) */
	uint64_t tombstones;		/* queued/freed generations remembered now */
	uint64_t tombstones_evicted;	/* forgotten because of max_tombstones */
	uint64_t inflight_calls;	/* do_shrink_slab() calls in flight now */
	uint64_t held;			/* events held in the reorder window now */
	uint64_t held_max;		/* the most ever held at once */
	uint64_t cap_hits[CORR_NCAPS];	/* what each cap left out: events not correlated
					 * (generations, tasks), calls not tracked (depth),
					 * events released early (held), reports not
					 * remembered (reports) */
	/* stale_next by where the next shrinker was: near misses (queued, not
	 * yet RCU freed: the hazard one grace period before KASAN could see
	 * it) and the margin from the step to that rcu_free (ns, log2 slots),
	 * known for near_timed of them; stale_freed stepped onto freed memory */
	uint64_t near_misses, near_timed, stale_freed;
	uint64_t near_margin_min, near_margin_max, near_margin_total;
	__u64 near_hist[ST_HIST_SLOTS];
	/* generations queued by shrinker_free() (free_end) whose address was
	 * allocated again (shrinker_alloc/register) before their rcu_free was
	 * seen: the memory was freed, the probe that shows it did not run (a
	 * kprobe hit while another kprobe handler runs on that CPU is skipped
	 * by the kernel, kprobe nmissed; a BPF program is not re-entered) */
	uint64_t rcu_unseen;
};

/* Events held in the reorder window now (waiting for corr_advance() or
 * more events to release them). */
size_t corr_held(const struct corr *c);

/* The end of a live trace, before corr_finish(): every do_shrink_slab() call
 * still in flight (a shrink_begin without its shrink_end) gets a shrink_end
 * at now_ts (ns) marked "unfinished" (freed 0, duration so far), pushed like
 * any event, so that the log says so rather than ending on a lone
 * shrink_begin.  0, or -1 with errno ENOMEM. */
int corr_close_calls(struct corr *c, uint64_t now_ts);

/* Create an engine.  opts may be NULL for defaults; opts and cbs are copied.  Returns
 * NULL on allocation failure.  Free with corr_free(). */
struct corr *corr_new(const struct corr_opts *opts, const struct corr_cbs *cbs);
void corr_free(struct corr *c);

/* Feed one event (copied).  Violation/header records are ignored.  Returns 0,
 * or -1 with errno=ENOMEM. */
int corr_push(struct corr *c, const struct st_rec *r);

/* Trace time is now at least now_ts (ns): release events older than the
 * window and raise stuck_free for frees stuck longer than the threshold. */
void corr_advance(struct corr *c, uint64_t now_ts);

/* End of input: release every held event and run the final checks. */
void corr_finish(struct corr *c);

/* What the memcg at address memcg is: its cgroup id and path (path may be
 * NULL or "" when unknown; cut at CORR_MEMCG_PATH_LEN - 1 bytes).  Calls,
 * walks and events naming it carry them from then on; a memcg whose cgroup is
 * gone keeps what it was last told.  At most CORR_MAX_MEMCGS are remembered
 * (then the least useful, an address named once, is not: a later one is
 * simply not described).  0, or -1 (ENOMEM). */
int corr_set_memcg(struct corr *c, uint64_t memcg, uint64_t id, const char *path);

/* Change opts.list_offset (e.g. once a log's header has been read). */
void corr_set_list_offset(struct corr *c, unsigned list_offset);

/* Counters so far. */
void corr_get_stats(const struct corr *c, struct corr_stats *out);

/* The current generation at shrinker address addr (for aggregates keyed by
 * address, e.g. the kernel's call_stats map): its serial into *serial and its
 * name ("" if none yet) into name (namesz bytes, NUL-terminated; name may be
 * NULL when namesz is 0).  Returns 0, or -1 when no generation is known there
 * (never seen, or forgotten as an old tombstone). */
int corr_lookup(const struct corr *c, uint64_t addr, uint64_t *serial, char *name,
		size_t namesz);

/* Print "caps hit: ..." (one line, with each cap's count and limit) to f when
 * any cap of struct corr_opts was reached; nothing otherwise.  Returns 1 when
 * it printed, else 0. */
int corr_print_caps(const struct corr *c, FILE *f);

/* One line (no '\n') for the first hit of cap: what it is and what it leaves
 * out, e.g. "more than 1048576 live shrinker generations: events on further
 * shrinkers are not correlated".  Into buf (len bytes); returns buf. */
const char *corr_cap_warning(enum corr_cap cap, uint64_t limit, char *buf, size_t len);

/* Parse a caps specification, "NAME=N[,NAME=N...]" with NAME one of
 * generations, tasks, depth, held, reports, tombstones and N a positive
 * integer, into o's max_* fields (a debugging and testing knob: the
 * SHRINKTRACE_CAPS environment variable of the tracer and of replay).  NULL or
 * "" changes nothing.  Returns 0, or -1 with a reason in err (errlen bytes). */
int corr_parse_caps(const char *spec, struct corr_opts *o, char *err, size_t errlen);

/* Default window: how far (ns) events from different CPUs may arrive out of order. */
#define CORR_DEFAULT_WINDOW_NS (50ULL * 1000 * 1000)
#define CORR_DEFAULT_STUCK_NS (10ULL * 1000 * 1000 * 1000)
#define CORR_DEFAULT_TOMBSTONES 65536
#define CORR_MAX_GENERATIONS (1u << 20)
#define CORR_MAX_TASKS 65536
#define CORR_MAX_DEPTH 16
#define CORR_MAX_HELD (1u << 18)
#define CORR_MAX_REPORTS (1u << 20)
#define CORR_MAX_MEMCGS 65536
#define CORR_MEMCG_PATH_LEN 256

#endif /* ST_CORRELATE_H */
