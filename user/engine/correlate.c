/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * engine/correlate.c - the correlation engine (see engine/correlate.h,
 * docs/event-log.md): its tables and state machine.  The reorder window is
 * engine/reorder.c, the violation detectors engine/detect.c, the caps and the
 * lifecycle report engine/caps.c; the state they share engine/corr_int.h.
 *
 * Memory is bounded by what is alive in the trace, never by its length:
 *   - gens:  address -> current generation (lib/htab.c), holding live
 *            shrinkers, shrinkers being freed, and tombstones;
 *   - fifo:  generations that reached free_end (queued, then RCU freed), in
 *            order; at most max_tombstones, the oldest are forgotten;
 *   - tasks: pid -> walk and stack of in-flight do_shrink_slab() calls; a task
 *            is dropped when it has neither;
 *   - pending: generations inside shrinker_free() (free_begin, no free_end);
 *   - window: the reorder window (engine/reorder.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/corr_int.h"
#include "lib/util.h"

struct gen *corr_gen_at(const struct corr *c, uint64_t addr)
{
	struct htab_node *e = htab_first(&c->gens, addr);

	return e ? container_of(e, struct gen, hn) : NULL;
}

static void gen_unindex(struct corr *c, struct gen *g)
{
	if (g->in_gens) {
		htab_del(&c->gens, &g->hn);
		g->in_gens = false;
	}
}

/* g becomes the current generation at its address.  0 or -1 (ENOMEM). */
static int gen_index(struct corr *c, struct gen *g)
{
	g->hn.key = g->addr;
	if (htab_add(&c->gens, &g->hn))
		return -1;
	g->in_gens = true;
	return 0;
}

static const struct memcg_ent *memcg_at(const struct corr *c, uint64_t memcg)
{
	struct htab_node *e = memcg ? htab_first(&c->memcgs, memcg) : NULL;

	return e ? container_of(e, struct memcg_ent, hn) : NULL;
}

int corr_set_memcg(struct corr *c, uint64_t memcg, uint64_t id, const char *path)
{
	struct htab_node *e = htab_first(&c->memcgs, memcg);
	struct memcg_ent *m;

	if (e) {
		m = container_of(e, struct memcg_ent, hn);
	} else {
		if (c->memcgs.n >= CORR_MAX_MEMCGS)
			return 0;
		m = calloc(1, sizeof(*m));
		if (!m)
			return -1;
		m->hn.key = memcg;
		if (htab_add(&c->memcgs, &m->hn)) {
			free(m);
			return -1;
		}
	}
	if (id)
		m->id = id;
	if (path && path[0])
		st_copy_str(m->path, sizeof(m->path), path, SIZE_MAX);
	return 0;
}

static struct task *task_at(const struct corr *c, int pid)
{
	struct htab_node *e = htab_first(&c->tasks, (uint64_t)(uint32_t)pid);

	return e ? container_of(e, struct task, hn) : NULL;
}

/* A cap of struct corr_opts left something out: count it, tell once. */
void corr_cap_hit(struct corr *c, enum corr_cap cap, uint64_t limit)
{
	if (!c->st.cap_hits[cap]++ && c->cb.on_cap)
		c->cb.on_cap(cap, limit, c->cb.ctx);
}

/* ---- helpers ------------------------------------------------------------ */

/* A trace time as "12.000300100 s" (the log's ts, in seconds). */
const char *corr_tstr(const struct corr *c, uint64_t ts, char *buf, size_t len)
{
	(void)c;
	snprintf(buf, len, "%" PRIu64 ".%09" PRIu64 " s", ts / 1000000000, ts % 1000000000);
	return buf;
}

const char *corr_dur(uint64_t ns, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64 ".%06" PRIu64 " ms", ns / 1000000, ns % 1000000);
	return buf;
}

/* Tell on_life a fact of g. */
void corr_life(struct corr *c, const struct gen *g, enum corr_life_kind kind, uint64_t ts,
	       bool timed, uint64_t ns)
{
	struct corr_life ev = { .kind = kind, .serial = g->serial, .name = g->name, .ts = ts,
				.timed = timed, .ns = ns };

	if (c->cb.on_life)
		c->cb.on_life(&ev, c->cb.ctx);
}

/* The record names g: the name of its calls and violations from now on.  Its
 * first name is a lifecycle fact (later ones do not move its counts). */
static void gen_set_name(struct corr *c, struct gen *g, const struct st_rec *r)
{
	bool first = !g->name[0];

	if (!(r->has & ST_HAS_NAME) || !r->name[0] || strcmp(g->name, r->name) == 0)
		return;
	st_copy_str(g->name, sizeof(g->name), r->name, SIZE_MAX);
	if (first && g->begun)
		corr_life(c, g, CORR_LIFE_NAME, r->ts, false, 0);
}

const char *corr_gen_name(const struct gen *g)
{
	return g->name[0] ? g->name : "(unnamed)";
}

/* ---- generations -------------------------------------------------------- */

static void pending_del(struct corr *c, struct gen *g)
{
	if (g->pend_idx < 0)
		return;
	struct gen *last = c->pending[--c->npending];

	c->pending[g->pend_idx] = last;
	last->pend_idx = g->pend_idx;
	g->pend_idx = -1;
}

static int pending_add(struct corr *c, struct gen *g)
{
	if (g->pend_idx >= 0)
		return 0;
	if (c->npending == c->cappending) {
		size_t ncap = c->cappending ? c->cappending * 2 : 16;
		struct gen **np = realloc(c->pending, ncap * sizeof(*np));

		if (!np)
			return -1;
		c->pending = np;
		c->cappending = ncap;
	}
	g->pend_idx = (long)c->npending;
	c->pending[c->npending++] = g;
	if (!g->stuck_reported && g->free_begin_ts + c->o.stuck_after_ns < c->stuck_next)
		c->stuck_next = g->free_begin_ts + c->o.stuck_after_ns;
	return 0;
}

static void gen_destroy(struct corr *c, struct gen *g)
{
	if (g->begun)
		corr_life(c, g, CORR_LIFE_END, c->now, false, 0);
	for (struct call *k = g->calls; k; k = k->gnext)
		k->g = NULL;
	pending_del(c, g);
	c->nreports -= g->nrep;
	free(g->rep);
	free(g->near_ts);
	free(g);
}

static void fifo_unlink(struct corr *c, struct gen *g)
{
	if (g->fifo_prev)
		g->fifo_prev->fifo_next = g->fifo_next;
	else
		c->fifo_head = g->fifo_next;
	if (g->fifo_next)
		g->fifo_next->fifo_prev = g->fifo_prev;
	else
		c->fifo_tail = g->fifo_prev;
	g->in_fifo = false;
	c->nfifo--;
}

/* Forget the oldest tombstones beyond max_tombstones. */
static void fifo_trim(struct corr *c)
{
	while (c->nfifo > c->o.max_tombstones) {
		struct gen *g = c->fifo_head;

		fifo_unlink(c, g);
		gen_unindex(c, g);
		gen_destroy(c, g);
		c->st.tombstones_evicted++;
	}
}

static void fifo_add(struct corr *c, struct gen *g)
{
	if (g->in_fifo)
		return;
	g->in_fifo = true;
	g->fifo_next = NULL;
	g->fifo_prev = c->fifo_tail;
	if (c->fifo_tail)
		c->fifo_tail->fifo_next = g;
	else
		c->fifo_head = g;
	c->fifo_tail = g;
	c->nfifo++;
	fifo_trim(c);
}

/* Start a new generation at r->shrinker.  The old one (a tombstone) can no
 * longer be named by any event: it is dropped.  NULL on ENOMEM. */
static struct gen *gen_new(struct corr *c, const struct st_rec *r)
{
	struct gen *old = corr_gen_at(c, r->shrinker);
	struct gen *g;

	/* live generations: the table less the tombstones (queued, freed) */
	if (c->gens.n - c->nfifo >= c->o.max_generations) {
		corr_cap_hit(c, CORR_CAP_GENERATIONS, c->o.max_generations);
		/* a new generation at old's address ends old: no event names
		 * old any more (nor must it look like a use after free) */
		if (old) {
			gen_unindex(c, old);
			if (old->in_fifo)
				fifo_unlink(c, old);
			gen_destroy(c, old);
		}
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		c->oom = true;
		return NULL;
	}
	g->addr = r->shrinker;
	g->serial = ++c->next_serial;
	g->first_ts = r->ts;
	g->pend_idx = -1;
	if (old && old->state == G_QUEUED)
		c->st.rcu_unseen++;	/* reused: its rcu_free happened unseen */
	if (old)
		gen_unindex(c, old);
	if (gen_index(c, g)) {
		free(g);
		c->oom = true;
		if (old) {
			if (old->in_fifo)
				fifo_unlink(c, old);
			gen_destroy(c, old);
		}
		return NULL;
	}
	if (old) {
		if (old->in_fifo)
			fifo_unlink(c, old);
		gen_destroy(c, old);
	}
	c->st.shrinkers_seen++;
	gen_set_name(c, g, r);
	g->begun = true;
	{
		struct corr_life ev = {
			.kind = CORR_LIFE_BEGIN, .serial = g->serial, .name = g->name, .ts = r->ts,
			.allocated = r->type == ST_SHRINKER_ALLOC || r->type == ST_SHRINKER_REGISTER,
		};

		if (c->cb.on_life)
			c->cb.on_life(&ev, c->cb.ctx);
	}
	return g;
}

/* The generation an event names: the current one, or a first sighting.
 * NULL when it cannot be tracked (out of memory, or the generations cap). */
static struct gen *gen_lookup(struct corr *c, const struct st_rec *r)
{
	struct gen *g = corr_gen_at(c, r->shrinker);

	if (!g)
		g = gen_new(c, r);
	else
		gen_set_name(c, g, r);
	return g;
}

/* ---- tasks and calls ---------------------------------------------------- */

static struct task *task_get(struct corr *c, const struct st_rec *r)
{
	struct task *t = task_at(c, r->pid);

	if (t)
		return t;
	if (c->tasks.n >= c->o.max_tasks) {
		corr_cap_hit(c, CORR_CAP_TASKS, c->o.max_tasks);
		return NULL;
	}
	t = c->spare_tasks;
	if (t) {
		c->spare_tasks = t->spare_next;
		c->nspare_tasks--;
		memset(t, 0, sizeof(*t));
	} else {
		t = calloc(1, sizeof(*t));
	}
	if (t)
		t->hn.key = (uint64_t)(uint32_t)r->pid;
	if (!t || htab_add(&c->tasks, &t->hn)) {
		free(t);
		c->oom = true;
		return NULL;
	}
	t->pid = r->pid;
	st_copy_str(t->comm, sizeof(t->comm), r->comm, SIZE_MAX);
	return t;
}

static void task_put(struct corr *c, struct task *t)
{
	if (t->in_walk || t->top)
		return;
	htab_del(&c->tasks, &t->hn);
	if (c->nspare_tasks < CORR_SPARE) {
		t->spare_next = c->spare_tasks;
		c->spare_tasks = t;
		c->nspare_tasks++;
		return;
	}
	free(t);
}

static void call_free(struct corr *c, struct call *k)
{
	if (k->g) {
		if (k->gprev)
			k->gprev->gnext = k->gnext;
		else
			k->g->calls = k->gnext;
		if (k->gnext)
			k->gnext->gprev = k->gprev;
	}
	c->st.inflight_calls--;
	if (c->nspare_calls < CORR_SPARE) {
		k->tnext = c->spare_calls;
		c->spare_calls = k;
		c->nspare_calls++;
		return;
	}
	free(k);
}

/* A zeroed call, from the spares when there are. */
static struct call *call_alloc(struct corr *c)
{
	struct call *k = c->spare_calls;

	if (!k)
		return calloc(1, sizeof(*k));
	c->spare_calls = k->tnext;
	c->nspare_calls--;
	memset(k, 0, sizeof(*k));
	return k;
}

/* Pop the task's calls down to and including the newest one on addr; a copy
 * of that call goes into *out (may be NULL; its list pointers are not valid).
 * Returns true when there was one. */
static bool task_pop(struct corr *c, struct task *t, uint64_t addr, struct call *out)
{
	struct call *k;

	for (k = t->top; k && k->addr != addr; k = k->tnext)
		;
	if (!k)
		return false;
	/* calls above it lost their shrink_end */
	while (t->top != k) {
		struct call *x = t->top;

		t->top = x->tnext;
		t->depth--;
		call_free(c, x);
	}
	t->top = k->tnext;
	t->depth--;
	if (out)
		*out = *k;
	call_free(c, k);
	return true;
}

static void task_push(struct corr *c, struct task *t, struct gen *g, const struct st_rec *r)
{
	struct call *k;

	/* a shrink_begin on a shrinker this task is already inside: that call's
	 * shrink_end was not seen (lost, or invisible to the backend) */
	task_pop(c, t, r->shrinker, NULL);
	if (t->depth >= c->o.max_depth) {
		corr_cap_hit(c, CORR_CAP_DEPTH, c->o.max_depth);
		return;
	}
	k = call_alloc(c);
	if (!k) {
		c->oom = true;
		return;
	}
	k->g = g;
	k->addr = r->shrinker;
	k->ts = r->ts;
	k->lost_at = c->lost_seq;
	k->cpu = r->cpu;
	k->pid = r->pid;
	st_copy_str(k->comm, sizeof(k->comm), r->comm, SIZE_MAX);
	k->begin = *r;
	k->tnext = t->top;
	t->top = k;
	t->depth++;
	k->gnext = g->calls;
	if (g->calls)
		g->calls->gprev = k;
	g->calls = k;
	c->st.inflight_calls++;
}

/* ---- the state machine -------------------------------------------------- */

static void on_alloc(struct corr *c, const struct st_rec *r)
{
	struct gen *g = corr_gen_at(c, r->shrinker);

	/* a new generation unless the current one is still alive (register after alloc) */
	if (!g || g->state >= G_QUEUED)
		g = gen_new(c, r);
	else
		gen_set_name(c, g, r);
	if (g && r->type == ST_SHRINKER_REGISTER && !g->registered) {
		g->registered = true;
		corr_life(c, g, CORR_LIFE_REGISTER, r->ts, false, 0);
	}
}

static void on_shrink_begin(struct corr *c, const struct st_rec *r)
{
	struct gen *g = gen_lookup(c, r);
	struct task *t;

	if (!g)
		return;
	if (g->state == G_FREED)
		corr_v_use_after_free(c, g, r);
	else if (g->state == G_QUEUED ||
		 ((r->has & ST_HAS_SNAPSHOT) && r->prev == ST_POISON2))
		corr_v_walk_onto_queued(c, g, r);
	t = task_get(c, r);
	if (!t)
		return;
	st_copy_str(t->comm, sizeof(t->comm), r->comm, SIZE_MAX);
	task_push(c, t, g, r);
}

void corr_set_list_offset(struct corr *c, unsigned list_offset)
{
	c->o.list_offset = list_offset;
}

/* The shrinker a snapshot's list.next leads to (NULL if none is known):
 * list.next points at the next shrinker's embedded list_head, or at the
 * shrinker_list head itself at the end of the walk. */
static struct gen *gen_of_next(struct corr *c, uint64_t next)
{
	if (next < c->o.list_offset)
		return NULL;
	return corr_gen_at(c, next - c->o.list_offset);
}

/* Report the call r ends through on_call; k is its shrink_begin, or NULL. */
static void emit_call(struct corr *c, const struct gen *g, const struct st_rec *r,
		      const struct call *k, bool in_walk, const struct st_rec *walk)
{
	struct corr_call ci = {
		.serial = g->serial,
		.shrinker = g->addr,
		.name = g->name,
		.pid = r->pid,
		.end_ts = r->ts,
		.nid = -1,
		.priority = -1,
		.end = r,
		.walk = walk,
	};

	st_copy_str(ci.comm, sizeof(ci.comm), r->comm, SIZE_MAX);
	if (k) {
		ci.flags |= CORR_CALL_BEGIN;
		ci.begin_ts = k->ts;
		ci.begin = &k->begin;
		if (k->begin.has & ST_HAS_NR_TO_SCAN) {
			ci.flags |= CORR_CALL_NR_TO_SCAN;
			ci.nr_to_scan = k->begin.nr_to_scan;
		}
		if (k->begin.has & ST_HAS_WALK) {
			ci.nid = k->begin.nid;
			ci.memcg = k->begin.memcg;
			ci.priority = k->begin.priority;
		}
	}
	ci.memcg_path = "";
	{
		const struct memcg_ent *m = memcg_at(c, ci.memcg);

		if (m) {
			ci.memcg_id = m->id;
			ci.memcg_path = m->path;
		}
	}
	if (r->has & ST_HAS_DURATION) {
		ci.flags |= CORR_CALL_DURATION;
		ci.duration_ns = r->duration_ns;
	} else if (k) {
		ci.flags |= CORR_CALL_DURATION;
		ci.duration_ns = r->ts >= k->ts ? r->ts - k->ts : 0;
	}
	if (r->has & ST_HAS_FREED) {
		ci.flags |= CORR_CALL_FREED;
		ci.freed = r->freed;
	}
	if (in_walk)
		ci.flags |= CORR_CALL_IN_WALK;
	c->cb.on_call(&ci, c->cb.ctx);
}

/* Was the call (its shrink_begin k, NULL when not seen) made by a memcg's walk,
 * shrink_slab_memcg(), which finds shrinkers through the memcg's bitmap of
 * shrinker ids, never through list.next?  Known only when the call's memcg has
 * a cgroup path other than "/" (the root's walk is the global walk of
 * shrinker_list); unknown counts as the global walk. */
static bool in_memcg_walk(const struct corr *c, const struct call *k)
{
	const struct memcg_ent *m;

	if (!k || !(k->begin.has & ST_HAS_WALK) || !k->begin.memcg)
		return false;
	m = memcg_at(c, k->begin.memcg);
	return m && m->path[0] && strcmp(m->path, "/") != 0;
}

static void on_shrink_end(struct corr *c, const struct st_rec *r)
{
	struct gen *g = gen_lookup(c, r);
	struct task *t;
	struct gen *ng;
	struct call k;
	bool paired = false, in_walk = false;
	const struct st_rec *walk = NULL;

	if (!g)
		return;
	t = task_at(c, r->pid);
	if (t) {
		paired = task_pop(c, t, r->shrinker, &k);
		if (t->in_walk) {
			in_walk = true;
			walk = &t->walk_begin;	/* the task stays while in its walk */
			t->walk_calls++;
			if ((r->has & ST_HAS_FREED) && r->freed != ST_FREED_EMPTY)
				t->walk_calls_freed = st_sat_add(t->walk_calls_freed, r->freed);
		}
		task_put(c, t);
	}
	if (g->state == G_FREED) {
		corr_v_use_after_free(c, g, r);
	} else if ((r->has & ST_HAS_SNAPSHOT) && r->prev == ST_POISON2 &&
		   (ng = gen_of_next(c, r->next)) && ng != g && ng->state >= G_QUEUED &&
		   !in_memcg_walk(c, paired ? &k : NULL)) {
		/* the global walk goes on from list.next: a memcg's does not */
		corr_v_stale_next(c, g, r, ng);
	}
	if (c->cb.on_call)
		emit_call(c, g, r, paired ? &k : NULL, in_walk, walk);
}

static void on_free_begin(struct corr *c, const struct st_rec *r)
{
	struct gen *g = gen_lookup(c, r);

	if (!g)
		return;
	if (g->state == G_FREED) {
		corr_v_use_after_free(c, g, r);
		return;
	}
	if (g->nfree_begin++ > 0) {
		corr_v_double_free(c, g, r);
		return;
	}
	g->seen_free_begin = true;
	g->free_inferred = r->inferred;
	g->free_begin_ts = r->ts;
	g->lost_at_free_begin = c->lost_seq;
	g->free_pid = r->pid;
	g->free_cpu = r->cpu;
	st_copy_str(g->free_comm, sizeof(g->free_comm), r->comm, SIZE_MAX);
	if (g->state == G_LIVE) {
		g->state = G_FREEING;
		if (pending_add(c, g))
			c->oom = true;
	}
}

static void on_free_end(struct corr *c, const struct st_rec *r)
{
	struct gen *g = gen_lookup(c, r);

	if (!g)
		return;
	if (g->state == G_FREED) {
		corr_v_use_after_free(c, g, r);
		return;
	}
	if (g->state == G_QUEUED)	/* a second free_end: nothing new */
		return;
	for (struct call *k = g->calls; k; k = k->gnext)
		corr_v_free_while_running(c, g, r, k);
	pending_del(c, g);
	g->state = G_QUEUED;
	g->seen_free_end = true;
	g->free_end_ts = r->ts;
	g->lost_at_free_end = c->lost_seq;
	g->free_end_pid = r->pid;
	st_copy_str(g->free_end_comm, sizeof(g->free_end_comm), r->comm, SIZE_MAX);
	if (g->seen_free_begin) {
		bool timed = !g->free_inferred && !r->inferred;

		corr_life(c, g, CORR_LIFE_FREE, r->ts, timed,
			  timed && r->ts >= g->free_begin_ts ? r->ts - g->free_begin_ts : 0);
	}
	fifo_add(c, g);
}

static void on_rcu_free(struct corr *c, const struct st_rec *r)
{
	struct gen *g = gen_lookup(c, r);

	if (!g)
		return;
	if (g->state == G_FREED) {
		corr_v_use_after_free(c, g, r);
		return;
	}
	pending_del(c, g);
	{
		bool timed = g->seen_free_end && !g->free_inferred && !r->inferred;

		corr_life(c, g, CORR_LIFE_RCU_FREE, r->ts, timed,
			  timed && r->ts >= g->free_end_ts ? r->ts - g->free_end_ts : 0);
	}
	corr_near_rcu(c, g, r->ts);
	g->state = G_FREED;
	g->rcu_ts = r->ts;
	g->lost_at_rcu = c->lost_seq;
	fifo_add(c, g);
}

static void on_walk_end(struct corr *c, const struct st_rec *r)
{
	struct task *t = task_at(c, r->pid);
	struct st_rec wb;	/* the walk_begin: t may be gone at the callback */
	struct corr_walk w = {
		.pid = r->pid,
		.end_ts = r->ts,
		.nid = -1,
		.priority = -1,
	};

	st_copy_str(w.comm, sizeof(w.comm), r->comm, SIZE_MAX);
	if (t && t->in_walk) {
		w.flags |= CORR_WALK_BEGIN;
		w.begin_ts = t->walk_ts;
		w.calls = t->walk_calls;
		w.calls_freed = t->walk_calls_freed;
		wb = t->walk_begin;
		w.begin = &wb;
		if (t->walk_info) {
			w.nid = t->walk_nid;
			w.memcg = t->walk_memcg;
			w.priority = t->walk_priority;
		}
	}
	w.memcg_path = "";
	{
		const struct memcg_ent *m = memcg_at(c, w.memcg);

		if (m) {
			w.memcg_id = m->id;
			w.memcg_path = m->path;
		}
	}
	if (r->has & ST_HAS_DURATION) {
		w.flags |= CORR_WALK_DURATION;
		w.duration_ns = r->duration_ns;
	} else if (w.flags & CORR_WALK_BEGIN) {
		w.flags |= CORR_WALK_DURATION;
		w.duration_ns = r->ts >= w.begin_ts ? r->ts - w.begin_ts : 0;
	}
	if (r->has & ST_HAS_FREED) {
		w.flags |= CORR_WALK_FREED;
		w.freed = r->freed;
	}
	if (t) {
		t->in_walk = false;
		t->walk_calls = t->walk_calls_freed = 0;
		task_put(c, t);
	}
	if (c->cb.on_walk)
		c->cb.on_walk(&w, c->cb.ctx);
}

static void process(struct corr *c, const struct st_rec *r)
{
	struct task *t;

	if (!c->have_first) {
		c->have_first = true;
		c->st.first_ts = r->ts;
	}
	if (r->ts < c->st.first_ts)
		c->st.first_ts = r->ts;
	if (r->ts > c->now)
		c->now = r->ts;
	c->st.last_ts = c->now;
	c->in_event = true;
	c->nheld_v = 0;
	/* frees that turned stuck before this event */
	corr_check_stuck(c, c->now);

	switch (r->type) {
	case ST_SHRINKER_ALLOC:
	case ST_SHRINKER_REGISTER:
		on_alloc(c, r);
		break;
	case ST_WALK_BEGIN:
		t = task_get(c, r);
		if (t) {
			/* a walk_begin while in a walk: that walk's end was not seen */
			st_copy_str(t->comm, sizeof(t->comm), r->comm, SIZE_MAX);
			t->in_walk = true;
			t->walk_ts = r->ts;
			t->walk_info = r->has & ST_HAS_WALK;
			t->walk_nid = r->nid;
			t->walk_memcg = r->memcg;
			t->walk_priority = r->priority;
			t->walk_calls = t->walk_calls_freed = 0;
			t->walk_begin = *r;
		}
		break;
	case ST_WALK_END:
		on_walk_end(c, r);
		break;
	case ST_SHRINK_BEGIN:
		on_shrink_begin(c, r);
		break;
	case ST_SHRINK_END:
		on_shrink_end(c, r);
		break;
	case ST_FREE_BEGIN:
		on_free_begin(c, r);
		break;
	case ST_FREE_END:
		on_free_end(c, r);
		break;
	case ST_RCU_FREE:
		on_rcu_free(c, r);
		break;
	case ST_LOST:
		c->lost_seq++;
		c->st.lost = st_sat_add(c->st.lost, r->count);
		break;
	default:
		break;
	}
	c->in_event = false;
	if (c->cb.on_event) {
		struct corr_event e = { .name = "" };
		const struct gen *g = (r->has & ST_HAS_SHRINKER) ? corr_gen_at(c, r->shrinker)
								 : NULL;

		if (g) {
			e.serial = g->serial;
			e.name = g->name;
		}
		e.memcg_path = "";
		if (r->has & ST_HAS_WALK) {
			const struct memcg_ent *m = memcg_at(c, r->memcg);

			if (m) {
				e.memcg_id = m->id;
				e.memcg_path = m->path;
			}
		}
		c->cb.on_event(r, &e, c->cb.ctx);
	}
	for (unsigned i = 0; i < c->nheld_v; i++)
		c->cb.on_violation(&c->held_v[i], c->cb.ctx);
	c->nheld_v = 0;
}

/* ---- reorder window (engine/reorder.c) ---------------------------------- */

/* Release the oldest held event. */
static void release_one(struct corr *c)
{
	/* valid until the next push: process() pushes nothing into the window */
	const struct st_rec *r = reorder_pop(c->window);

	if (!c->released_any || r->ts > c->released_ts)
		c->released_ts = r->ts;
	c->released_any = true;
	process(c, r);
}

static void release_until(struct corr *c, uint64_t limit, bool all)
{
	while (reorder_count(c->window) && (all || reorder_oldest_ts(c->window) <= limit))
		release_one(c);
}

/* The window holds max_held events: release the oldest before it takes one more. */
static void release_for_room(struct corr *c)
{
	while (reorder_count(c->window) && reorder_count(c->window) >= c->o.max_held) {
		corr_cap_hit(c, CORR_CAP_HELD, c->o.max_held);
		release_one(c);
	}
}

/* ---- API ---------------------------------------------------------------- */

struct corr *corr_new(const struct corr_opts *opts, const struct corr_cbs *cbs)
{
	struct corr *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->o.stuck_after_ns = CORR_DEFAULT_STUCK_NS;
	c->o.reorder_window_ns = CORR_DEFAULT_WINDOW_NS;
	c->o.max_tombstones = CORR_DEFAULT_TOMBSTONES;
	if (opts) {
		if (opts->stuck_after_ns)
			c->o.stuck_after_ns = opts->stuck_after_ns;
		c->o.reorder_window_ns = opts->reorder_window_ns;
		if (opts->max_tombstones)
			c->o.max_tombstones = opts->max_tombstones;
		c->o.list_offset = opts->list_offset;
		c->o.max_generations = opts->max_generations;
		c->o.max_tasks = opts->max_tasks;
		c->o.max_depth = opts->max_depth;
		c->o.max_held = opts->max_held;
		c->o.max_reports = opts->max_reports;
	}
	if (!c->o.max_generations)
		c->o.max_generations = CORR_MAX_GENERATIONS;
	if (!c->o.max_tasks)
		c->o.max_tasks = CORR_MAX_TASKS;
	if (!c->o.max_depth)
		c->o.max_depth = CORR_MAX_DEPTH;
	if (!c->o.max_held)
		c->o.max_held = CORR_MAX_HELD;
	if (!c->o.max_reports)
		c->o.max_reports = CORR_MAX_REPORTS;
	if (cbs)
		c->cb = *cbs;
	c->stuck_next = UINT64_MAX;
	c->window = reorder_new();
	if (!c->window) {
		corr_free(c);
		return NULL;
	}
	return c;
}

void corr_free(struct corr *c)
{
	if (!c)
		return;
	htab_each(&c->tasks, i, e, nx) {
		struct task *t = container_of(e, struct task, hn);

		while (t->top) {
			struct call *k = t->top;

			t->top = k->tnext;
			free(k);
		}
		free(t);
	}
	htab_free(&c->tasks);
	htab_each(&c->gens, i, e, nx) {
		struct gen *g = container_of(e, struct gen, hn);

		if (!g->in_fifo) {
			free(g->rep);
			free(g->near_ts);
			free(g);
		}
	}
	htab_free(&c->gens);
	while (c->fifo_head) {
		struct gen *g = c->fifo_head;

		c->fifo_head = g->fifo_next;
		free(g->rep);
		free(g->near_ts);
		free(g);
	}
	htab_each(&c->memcgs, i, e, nx)
		free(container_of(e, struct memcg_ent, hn));
	htab_free(&c->memcgs);
	while (c->spare_calls) {
		struct call *k = c->spare_calls;

		c->spare_calls = k->tnext;
		free(k);
	}
	while (c->spare_tasks) {
		struct task *t = c->spare_tasks;

		c->spare_tasks = t->spare_next;
		free(t);
	}
	free(c->pending);
	reorder_free(c->window);
	free(c);
}

int corr_push(struct corr *c, const struct st_rec *r)
{
	if (r->type <= ST_UNKNOWN || r->type >= ST_VIOLATION)
		return 0;
	c->st.events++;
	c->st.by_type[r->type]++;
	if (c->released_any && r->ts < c->released_ts) {
		/* older than what already left the window: process it now.  A
		 * deferred shrink_begin is late by design, not by reordering. */
		if (!r->deferred) {
			c->st.late++;
			if (c->cb.on_late)
				c->cb.on_late(r, c->released_ts, c->cb.ctx);
		}
		process(c, r);
	} else {
		release_for_room(c);
		if (reorder_push(c->window, r)) {
			errno = ENOMEM;
			return -1;
		}
		if (reorder_count(c->window) > c->st.held_max)
			c->st.held_max = reorder_count(c->window);
		if (r->ts > c->max_pushed)
			c->max_pushed = r->ts;
		if (c->max_pushed >= c->o.reorder_window_ns)
			release_until(c, c->max_pushed - c->o.reorder_window_ns, false);
	}
	if (c->oom) {
		c->oom = false;
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void corr_advance(struct corr *c, uint64_t now_ts)
{
	uint64_t mark;

	if (now_ts < c->o.reorder_window_ns)
		return;
	mark = now_ts - c->o.reorder_window_ns;
	release_until(c, mark, false);
	/* nothing older than mark can still arrive in order: frees pending at
	 * mark have waited at least until mark */
	if (mark > c->now)
		corr_check_stuck(c, mark);
}

int corr_close_calls(struct corr *c, uint64_t now_ts)
{
	struct st_rec *v = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	release_until(c, 0, true);
	/* collect first: pushing them changes the tasks' stacks */
	htab_each(&c->tasks, i, e, nx) {
		const struct task *t = container_of(e, struct task, hn);

		for (const struct call *k = t->top; k; k = k->tnext) {
			struct st_rec r;

			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct st_rec *nv = realloc(v, ncap * sizeof(*nv));

				if (!nv) {
					free(v);
					errno = ENOMEM;
					return -1;
				}
				v = nv;
				cap = ncap;
			}
			memset(&r, 0, sizeof(r));
			r.type = ST_SHRINK_END;
			r.ts = now_ts > k->ts ? now_ts : k->ts;
			r.cpu = k->cpu;
			r.pid = k->pid;
			st_copy_str(r.comm, sizeof(r.comm), k->comm, SIZE_MAX);
			r.shrinker = k->addr;
			r.freed = 0;
			r.duration_ns = r.ts - k->ts;
			r.unfinished = true;
			r.id = -1;
			r.has = ST_HAS_SHRINKER | ST_HAS_FREED | ST_HAS_DURATION;
			v[n++] = r;
		}
	}
	for (size_t i = 0; i < n && !ret; i++)
		ret = corr_push(c, &v[i]);
	free(v);
	return ret;
}

void corr_finish(struct corr *c)
{
	release_until(c, 0, true);
	corr_check_stuck(c, c->now);
}

void corr_get_stats(const struct corr *c, struct corr_stats *out)
{
	*out = c->st;
	out->live_generations = c->gens.n;
	out->tombstones = c->nfifo;
	out->held = reorder_count(c->window);
}

int corr_lookup(const struct corr *c, uint64_t addr, uint64_t *serial, char *name,
		size_t namesz)
{
	const struct gen *g = corr_gen_at(c, addr);

	if (!g)
		return -1;
	if (serial)
		*serial = g->serial;
	if (name && namesz)
		st_copy_str(name, namesz, g->name, SIZE_MAX);
	return 0;
}

size_t corr_held(const struct corr *c)
{
	return reorder_count(c->window);
}
