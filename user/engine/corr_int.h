/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * engine/corr_int.h - the correlator's own state, shared by its parts:
 * engine/correlate.c (the generation and task tables, the state machine, the
 * API), engine/detect.c (the violation detectors), engine/caps.c (caps and the
 * lifecycle report).  Not for use outside engine/.
 */
#ifndef ST_CORR_INT_H
#define ST_CORR_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/correlate.h"
#include "engine/reorder.h"
#include "lib/htab.h"

/* ---- state -------------------------------------------------------------- */

enum gstate {
	G_LIVE,		/* allocated / registered / first seen */
	G_FREEING,	/* inside shrinker_free(): free_begin, no free_end */
	G_QUEUED,	/* free_end: unlinked, queued by call_rcu() */
	G_FREED,	/* rcu_free: memory released (a tombstone) */
};

struct dedupe {
	enum st_vkind kind;
	int pid;
};

struct call;

struct gen {
	struct htab_node hn;	/* in c->gens, key addr, while the current one there */
	bool in_gens;
	uint64_t addr, serial;
	enum gstate state;
	char name[ST_REC_NAME_LEN];
	bool begun;		/* CORR_LIFE_BEGIN told */
	bool registered;	/* CORR_LIFE_REGISTER told */
	uint64_t first_ts;
	uint64_t free_begin_ts, free_end_ts, rcu_ts;
	uint64_t lost_at_free_begin, lost_at_free_end, lost_at_rcu;
	int free_pid, free_cpu;
	char free_comm[ST_REC_COMM_LEN];
	int free_end_pid;
	char free_end_comm[ST_REC_COMM_LEN];
	unsigned nfree_begin;
	bool seen_free_begin, seen_free_end, free_inferred;
	bool stuck_reported;
	bool in_fifo;
	long pend_idx;		/* index in c->pending, -1 if not there */
	struct call *calls;	/* in-flight calls on this generation */
	struct dedupe *rep;
	unsigned nrep, caprep;
	/* stale_next walks that stepped onto this generation while it was queued
	 * (near misses): when each stepped, ns; their margin is known at its
	 * rcu_free.  At most CORR_NEAR_MAX. */
	uint64_t *near_ts;
	unsigned nnear;
	struct gen *fifo_next, *fifo_prev;
};

struct call {
	struct gen *g;		/* NULL once the generation was forgotten */
	uint64_t addr;
	uint64_t ts, lost_at;
	int cpu, pid;
	char comm[ST_REC_COMM_LEN];
	struct st_rec begin;		/* its shrink_begin, every field (corr_call.begin) */
	struct call *tnext;		/* the task's stack, top first */
	struct call *gnext, *gprev;	/* the generation's list */
};

struct task {
	struct htab_node hn;	/* in c->tasks, key (uint32_t)pid */
	struct task *spare_next;	/* in c->spare_tasks while not in use */
	int pid;
	char comm[ST_REC_COMM_LEN];
	bool in_walk;
	uint64_t walk_ts;
	bool walk_info;			/* walk_begin had nid/memcg/priority */
	int walk_nid, walk_priority;
	uint64_t walk_memcg;
	uint64_t walk_calls, walk_calls_freed;	/* shrink_ends inside the walk */
	struct st_rec walk_begin;	/* the walk's walk_begin (in_walk) */
	struct call *top;
	unsigned depth;
};

/* What is known of one memcg (corr_set_memcg()). */
struct memcg_ent {
	struct htab_node hn;	/* in c->memcgs, key: the struct mem_cgroup * */
	uint64_t id;		/* cgroup id, 0 unknown */
	char path[CORR_MEMCG_PATH_LEN];	/* "" unknown */
};

#define CORR_SPARE 64
#define CORR_NEAR_MAX 64

/* Violations one event can raise at most before its on_event (more are given
 * out at once): one per kind and walker, a handful in practice. */
#define HELD_VIOLATIONS 16

struct corr {
	struct corr_opts o;
	struct corr_cbs cb;
	struct corr_stats st;

	struct reorder *window;		/* events held to be put in ts order */
	uint64_t max_pushed;		/* newest ts pushed */
	bool released_any;
	uint64_t released_ts;		/* newest ts released */

	bool have_first;
	uint64_t now;			/* newest ts processed */
	uint64_t lost_seq;		/* lost records processed so far */
	uint64_t next_serial;

	struct htab gens, tasks;	/* struct gen by address, struct task by pid */
	struct gen *fifo_head, *fifo_tail;
	size_t nfifo;
	struct gen **pending;
	size_t npending, cappending;
	uint64_t stuck_next;		/* earliest ts at which a pending free turns stuck */

	struct htab memcgs;		/* struct memcg_ent by address */
	/* freed calls and tasks kept for reuse (a call and its task come and go
	 * with every do_shrink_slab()): at most CORR_SPARE each */
	struct call *spare_calls;
	struct task *spare_tasks;
	unsigned nspare_calls, nspare_tasks;

	size_t nreports;		/* dedupe entries remembered, all generations */
	bool oom;

	/* violations found while an event is processed, given out after it */
	bool in_event;
	unsigned nheld_v;
	struct st_violation held_v[HELD_VIOLATIONS];
};

/* The current generation at addr, or NULL. */

/* engine/correlate.c */
struct gen *corr_gen_at(const struct corr *c, uint64_t addr);	/* the current one there */
const char *corr_gen_name(const struct gen *g);			/* "(unnamed)" for none */
void corr_cap_hit(struct corr *c, enum corr_cap cap, uint64_t limit);
/* on_life(kind) for g at ts (timed, ns: see struct corr_life) */
void corr_life(struct corr *c, const struct gen *g, enum corr_life_kind kind, uint64_t ts,
	       bool timed, uint64_t ns);
/* "S.NNNNNNNNN s" of a trace time, "M.NNNNNN ms" of a duration, into buf */
const char *corr_tstr(const struct corr *c, uint64_t ts, char *buf, size_t len);
const char *corr_dur(uint64_t ns, char *buf, size_t len);

/* engine/detect.c: each raises its kind for generation g (at most once per
 * (kind, generation, walker)); the caller decided that the event shows it. */
bool corr_already(struct gen *g, enum st_vkind k, int pid);
void corr_v_use_after_free(struct corr *c, struct gen *g, const struct st_rec *r);
void corr_v_walk_onto_queued(struct corr *c, struct gen *g, const struct st_rec *r);
void corr_v_free_while_running(struct corr *c, struct gen *g, const struct st_rec *r,
			       const struct call *k);
void corr_v_stale_next(struct corr *c, struct gen *g, const struct st_rec *r, struct gen *ng);
/* A stale_next walk stepped onto g while it was queued (at ts, ns): remember
 * it for its margin.  At g's rcu_free: the margins of those steps into the
 * near-miss statistics (struct corr_stats). */
void corr_near_add(struct corr *c, struct gen *g, uint64_t ts);
void corr_near_rcu(struct corr *c, struct gen *g, uint64_t rcu_ts);
void corr_v_double_free(struct corr *c, struct gen *g, const struct st_rec *r);
/* stuck_free for every free pending longer than the threshold at now */
void corr_check_stuck(struct corr *c, uint64_t now);

#endif /* ST_CORR_INT_H */
