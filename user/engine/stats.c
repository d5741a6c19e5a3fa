/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * engine/stats.c - per-shrinker statistics (see engine/stats.h).
 *
 * Tables: names (chained hash on fnv1a of the name, at most max_names, then
 * "(other)"), generations (hash on serial, plus a hash on address holding the
 * newest generation of each address; an LRU list of the event-fed ones and a
 * FIFO of finished ones decide what is folded beyond max_gens), tasks (hash on
 * pid, at most max_tasks, then "(other tasks)").  Every number of a call goes
 * into its name, its generation, its task and the totals at once; a kernel
 * snapshot is applied as (new - previous) to the same four.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine/stats.h"
#include "lib/htab.h"
#include "lib/util.h"

/* ---- state -------------------------------------------------------------- */

struct sname {
	struct htab_node h;			/* key: htab_hash_str(name) */
	struct stats_name pub;
};

enum glist { GL_NONE, GL_LRU, GL_FINISHED };

struct sgen {
	struct htab_node h;			/* key: serial */
	struct htab_node ah;			/* key: addr; in s->addrs while the newest there */
	bool in_addrs;
	struct stats_gen pub;
	struct sname *name;		/* the name its generation is counted under */
	struct st_call_stat *kern;	/* the last kernel snapshot (counted so far), or NULL */
	enum glist list;
	struct sgen *prev, *next;
};

struct glist_head {
	struct sgen *head, *tail;
};

struct stask {
	struct htab_node h;			/* key: pid */
	struct stats_task pub;
	bool kern;
	uint64_t k_calls, k_total;	/* the last kernel snapshot */
};

struct smemcg {
	struct htab_node h;		/* key: cgroup id, or the address when the id is unknown */
	struct stats_memcg pub;
};

struct stats {
	struct stats_limits lim;
	struct htab memcgs;
	struct smemcg **memcg_list;
	size_t nmemcgs, capmemcgs;
	struct smemcg *other_memcgs;
	struct htab names, gens, addrs, tasks;
	size_t nnames;			/* in the hash (not counting "(other)") */
	struct sname **name_list;	/* every name entry, "(other)" included */
	size_t nlist, caplist;
	struct sname *other;
	struct glist_head lru, finished;
	size_t ngens;
	struct stask *other_tasks;
	size_t ntasks;
	struct stats_walk walk;		/* event input */
	/* the same by class and cause (st_walk_cause(); ST_TRIG_UNKNOWN also for
	 * walks whose walk_begin did not say) */
	struct stats_walk walk_by[STATS_WALK_NCLASS][ST_WALK_CAUSES];
	struct st_walk_stat kwalk[ST_WALK_STAT_N];	/* kernel snapshot (stats-only) */
	bool has_kwalk;
	struct stats_totals tot;
	struct stats_folded folded;
};

/* ---- histogram and percentiles ----------------------------------------- */

unsigned stats_hist_slot(uint64_t ns)
{
	unsigned k = 0;

	if (!ns)
		return 0;
	k = 64 - (unsigned)__builtin_clzll(ns);	/* ns in [2^(k-1), 2^k) */
	return k < ST_HIST_SLOTS ? k : ST_HIST_SLOTS - 1;
}

uint64_t stats_percentile(const __u64 hist[ST_HIST_SLOTS], uint64_t max_ns,
			  unsigned permille)
{
	unsigned __int128 n = 0, rank, below = 0;
	uint64_t lo, hi, v;

	for (unsigned k = 0; k < ST_HIST_SLOTS; k++)
		n += hist[k];
	if (!n)
		return 0;
	if (permille > 1000)
		permille = 1000;
	rank = (n * permille + 999) / 1000;
	if (rank < 1)
		rank = 1;
	for (unsigned k = 0; k < ST_HIST_SLOTS; k++) {
		if (!hist[k] || below + hist[k] < rank) {
			below += hist[k];
			continue;
		}
		if (k == 0)
			return 0;
		lo = 1ULL << (k - 1);
		hi = k == ST_HIST_SLOTS - 1 ? (max_ns > lo ? max_ns : lo) : 1ULL << k;
		v = lo + (uint64_t)((unsigned __int128)(hi - lo) * (rank - below) / hist[k]);
		return v < max_ns ? v : max_ns;
	}
	return max_ns;	/* not reached */
}

/* ---- sums ----------------------------------------------------------------- */

void st_call_stat_add(struct st_call_stat *d, const struct st_call_stat *a)
{
	d->calls = st_sat_add(d->calls, a->calls);
	d->zero_calls = st_sat_add(d->zero_calls, a->zero_calls);
	d->empty_calls = st_sat_add(d->empty_calls, a->empty_calls);
	d->scanned = st_sat_add(d->scanned, a->scanned);
	d->freed = st_sat_add(d->freed, a->freed);
	d->total_ns = st_sat_add(d->total_ns, a->total_ns);
	if (a->max_ns > d->max_ns)
		d->max_ns = a->max_ns;
	for (unsigned k = 0; k < ST_HIST_SLOTS; k++)
		d->hist[k] = st_sat_add(d->hist[k], a->hist[k]);
}

/* The same for the generation and the totals (no histogram); sign +1 or -1. */
static void gen_apply(struct stats_gen *g, const struct st_call_stat *a, int sign)
{
	uint64_t (*op)(uint64_t, uint64_t) = sign > 0 ? st_sat_add : st_sat_sub;

	g->calls = op(g->calls, a->calls);
	g->zero_calls = op(g->zero_calls, a->zero_calls);
	g->empty_calls = op(g->empty_calls, a->empty_calls);
	g->scanned = op(g->scanned, a->scanned);
	g->freed = op(g->freed, a->freed);
	g->total_ns = op(g->total_ns, a->total_ns);
	if (sign > 0 && a->max_ns > g->max_ns)
		g->max_ns = a->max_ns;
}

static void tot_apply(struct stats_totals *t, const struct st_call_stat *a, int sign)
{
	uint64_t (*op)(uint64_t, uint64_t) = sign > 0 ? st_sat_add : st_sat_sub;

	t->calls = op(t->calls, a->calls);
	t->zero_calls = op(t->zero_calls, a->zero_calls);
	t->empty_calls = op(t->empty_calls, a->empty_calls);
	t->scanned = op(t->scanned, a->scanned);
	t->freed = op(t->freed, a->freed);
	t->total_ns = op(t->total_ns, a->total_ns);
	if (sign > 0 && a->max_ns > t->max_ns)
		t->max_ns = a->max_ns;
}

/* ---- names ---------------------------------------------------------------- */

static int list_add_name(struct stats *s, struct sname *n)
{
	if (s->nlist == s->caplist) {
		size_t ncap = s->caplist ? s->caplist * 2 : 64;
		struct sname **nl = realloc(s->name_list, ncap * sizeof(*nl));

		if (!nl)
			return -1;
		s->name_list = nl;
		s->caplist = ncap;
	}
	s->name_list[s->nlist++] = n;
	return 0;
}

/* The entry of a name ("" is STATS_UNNAMED); "(other)" beyond the cap, then
 * *other is set.  NULL on ENOMEM. */
static struct sname *name_get(struct stats *s, const char *name, bool *other)
{
	struct sname *n;
	uint64_t h;

	*other = false;
	if (!name || !name[0])
		name = STATS_UNNAMED;
	h = htab_hash_str(name, strlen(name));
	for (struct htab_node *e = htab_first(&s->names, h); e; e = htab_next(e)) {
		n = container_of(e, struct sname, h);
		if (!strcmp(n->pub.name, name))
			return n;
	}
	if (s->nnames >= s->lim.max_names) {
		*other = true;
		if (!s->other) {
			s->other = calloc(1, sizeof(*s->other));
			if (!s->other)
				return NULL;
			strcpy(s->other->pub.name, STATS_OTHER_NAME);
			if (list_add_name(s, s->other)) {
				free(s->other);
				s->other = NULL;
				return NULL;
			}
		}
		return s->other;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	st_copy_str(n->pub.name, sizeof(n->pub.name), name, SIZE_MAX);
	n->h.key = h;
	if (list_add_name(s, n)) {
		free(n);
		return NULL;
	}
	if (htab_add(&s->names, &n->h)) {
		s->nlist--;
		free(n);
		return NULL;
	}
	s->nnames++;
	return n;
}

const struct stats_name *stats_get_name(const struct stats *s, const char *name)
{
	if (!name || !name[0])
		name = STATS_UNNAMED;
	if (!strcmp(name, STATS_OTHER_NAME))
		return s->other ? &s->other->pub : NULL;
	for (struct htab_node *e = htab_first(&s->names, htab_hash_str(name, strlen(name))); e; e = htab_next(e)) {
		struct sname *n = container_of(e, struct sname, h);

		if (!strcmp(n->pub.name, name))
			return &n->pub;
	}
	return NULL;
}

/* ---- generations ------------------------------------------------------------ */

static void gl_unlink(struct stats *s, struct sgen *g)
{
	struct glist_head *l = g->list == GL_LRU ? &s->lru : &s->finished;

	if (g->list == GL_NONE)
		return;
	if (g->prev)
		g->prev->next = g->next;
	else
		l->head = g->next;
	if (g->next)
		g->next->prev = g->prev;
	else
		l->tail = g->prev;
	g->prev = g->next = NULL;
	g->list = GL_NONE;
}

static void gl_append(struct stats *s, struct sgen *g, enum glist which)
{
	struct glist_head *l = which == GL_LRU ? &s->lru : &s->finished;

	gl_unlink(s, g);
	g->list = which;
	g->prev = l->tail;
	g->next = NULL;
	if (l->tail)
		l->tail->next = g;
	else
		l->head = g;
	l->tail = g;
}

static struct sgen *gen_find(const struct stats *s, uint64_t serial)
{
	struct htab_node *e = htab_first(&s->gens, serial);

	return e ? container_of(e, struct sgen, h) : NULL;
}

const struct stats_gen *stats_get_gen(const struct stats *s, uint64_t serial)
{
	struct sgen *g = gen_find(s, serial);

	return g ? &g->pub : NULL;
}

static void gen_drop(struct stats *s, struct sgen *g)
{
	gl_unlink(s, g);
	htab_del(&s->gens, &g->h);
	if (g->in_addrs)
		htab_del(&s->addrs, &g->ah);
	s->ngens--;
	free(g->kern);
	free(g);
}

/* Fold generations away beyond max_gens: finished ones first, oldest first,
 * then the least recently called event-fed ones; never keep.  */
static void gens_trim(struct stats *s, struct sgen *keep)
{
	while (s->ngens > s->lim.max_gens) {
		struct sgen *g = s->finished.head;

		if (g == keep)
			g = g->next;
		if (!g) {
			g = s->lru.head;
			if (g == keep)
				g = g->next;
		}
		if (!g)
			return;	/* only current kernel-fed generations: exempt */
		gen_drop(s, g);
		s->folded.gens_folded++;
	}
}

/* Mark g finished: a newer generation holds its address. */
static void gen_finish(struct stats *s, struct sgen *g)
{
	if (g->in_addrs) {
		htab_del(&s->addrs, &g->ah);
		g->in_addrs = false;
	}
	gl_append(s, g, GL_FINISHED);
}

/* The generation serial (created at addr when new).  NULL on ENOMEM. */
static struct sgen *gen_get(struct stats *s, uint64_t serial, uint64_t addr)
{
	struct sgen *g = gen_find(s, serial), *cur = NULL;
	struct htab_node *e;

	if (g)
		return g;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->h.key = serial;
	g->ah.key = addr;
	g->pub.serial = serial;
	g->pub.addr = addr;
	if (htab_add(&s->gens, &g->h)) {
		free(g);
		return NULL;
	}
	s->ngens++;
	e = htab_first(&s->addrs, addr);
	if (e)
		cur = container_of(e, struct sgen, ah);
	if (cur && cur->pub.serial > serial) {
		/* an older generation reported after a newer one */
		gl_append(s, g, GL_FINISHED);
	} else {
		if (cur)
			gen_finish(s, cur);
		if (!htab_add(&s->addrs, &g->ah))
			g->in_addrs = true;
		gl_append(s, g, GL_LRU);
	}
	gens_trim(s, g);
	return g;
}

/* The generation is now counted under name n. */
static void gen_rename(struct sgen *g, struct sname *n)
{
	if (g->name == n)
		return;
	if (g->name && g->name->pub.gens)
		g->name->pub.gens--;
	n->pub.gens++;
	g->name = n;
	st_copy_str(g->pub.name, sizeof(g->pub.name), n->pub.name, SIZE_MAX);
}

/* ---- tasks -------------------------------------------------------------------- */

static struct stask *task_find(const struct stats *s, int pid)
{
	struct htab_node *e = htab_first(&s->tasks, (uint64_t)(uint32_t)pid);

	return e ? container_of(e, struct stask, h) : NULL;
}

const struct stats_task *stats_get_task(const struct stats *s, int pid)
{
	struct stask *t;

	if (pid == -1)
		return s->other_tasks ? &s->other_tasks->pub : NULL;
	t = task_find(s, pid);
	return t ? &t->pub : NULL;
}

/* The task pid; beyond the cap (unless exempt) "(other tasks)", then *other
 * is set.  NULL on ENOMEM. */
static struct stask *task_get(struct stats *s, int pid, bool exempt, bool *other)
{
	struct stask *t = task_find(s, pid);

	*other = false;
	if (t)
		return t;
	if (s->ntasks >= s->lim.max_tasks && !exempt) {
		*other = true;
		if (!s->other_tasks) {
			s->other_tasks = calloc(1, sizeof(*s->other_tasks));
			if (!s->other_tasks)
				return NULL;
			s->other_tasks->pub.pid = -1;
			strcpy(s->other_tasks->pub.comm, "(other tasks)");
		}
		return s->other_tasks;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->h.key = (uint64_t)(uint32_t)pid;
	t->pub.pid = pid;
	if (htab_add(&s->tasks, &t->h)) {
		free(t);
		return NULL;
	}
	s->ntasks++;
	return t;
}

/* ---- API ---------------------------------------------------------------------- */

struct stats *stats_new(const struct stats_limits *lim)
{
	struct stats *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (lim)
		s->lim = *lim;
	if (!s->lim.max_names)
		s->lim.max_names = STATS_MAX_NAMES;
	if (!s->lim.max_gens)
		s->lim.max_gens = STATS_MAX_GENS;
	if (!s->lim.max_tasks)
		s->lim.max_tasks = STATS_MAX_TASKS;
	return s;
}

void stats_free(struct stats *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nlist; i++)
		free(s->name_list[i]);
	free(s->name_list);
	for (size_t i = 0; i < s->gens.cap; i++) {
		struct htab_node *e = s->gens.b[i], *ne;

		for (; e; e = ne) {
			struct sgen *g = container_of(e, struct sgen, h);

			ne = e->next;
			free(g->kern);
			free(g);
		}
	}
	for (size_t i = 0; i < s->tasks.cap; i++) {
		struct htab_node *e = s->tasks.b[i], *ne;

		for (; e; e = ne) {
			ne = e->next;
			free(container_of(e, struct stask, h));
		}
	}
	free(s->other_tasks);
	for (size_t i = 0; i < s->nmemcgs; i++)
		free(s->memcg_list[i]);
	free(s->memcg_list);
	free(s->other_memcgs);
	htab_free(&s->memcgs);
	htab_free(&s->names);
	htab_free(&s->gens);
	htab_free(&s->addrs);
	htab_free(&s->tasks);
	free(s);
}

/* The row of a memcg (addr 0: global reclaim); NULL on ENOMEM. */
static struct smemcg *memcg_get(struct stats *s, uint64_t addr, uint64_t id, const char *path)
{
	uint64_t key = id ? id : addr;
	struct htab_node *e = htab_first(&s->memcgs, key);
	struct smemcg *m;

	if (e) {
		m = container_of(e, struct smemcg, h);
		if (path && path[0] && !m->pub.path[0])
			st_copy_str(m->pub.path, sizeof(m->pub.path), path, SIZE_MAX);
		return m;
	}
	if (s->nmemcgs >= STATS_MAX_MEMCGS) {
		if (!s->other_memcgs) {
			s->other_memcgs = calloc(1, sizeof(*s->other_memcgs));
			if (!s->other_memcgs)
				return NULL;
			strcpy(s->other_memcgs->pub.path, STATS_OTHER_NAME);
		}
		return s->other_memcgs;
	}
	if (s->nmemcgs == s->capmemcgs) {
		size_t ncap = s->capmemcgs ? s->capmemcgs * 2 : 64;
		struct smemcg **nl = realloc(s->memcg_list, ncap * sizeof(*nl));

		if (!nl)
			return NULL;
		s->memcg_list = nl;
		s->capmemcgs = ncap;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->h.key = key;
	m->pub.id = id;
	m->pub.addr = addr;
	if (!addr)
		strcpy(m->pub.path, STATS_GLOBAL);
	else if (path)
		st_copy_str(m->pub.path, sizeof(m->pub.path), path, SIZE_MAX);
	if (htab_add(&s->memcgs, &m->h)) {
		free(m);
		return NULL;
	}
	s->memcg_list[s->nmemcgs++] = m;
	return m;
}

int stats_add_call(struct stats *s, const struct corr_call *ci)
{
	struct st_call_stat one;
	bool timed = ci->flags & CORR_CALL_DURATION, other;
	struct sname *n;
	struct sgen *g;
	struct stask *t;
	int ret = 0;

	memset(&one, 0, sizeof(one));
	one.calls = 1;
	if (ci->flags & CORR_CALL_FREED) {
		if (ci->freed == ST_FREED_EMPTY)
			one.empty_calls = 1;
		else if (ci->freed == 0)
			one.zero_calls = 1;
		else
			one.freed = ci->freed;
	}
	/* scanned: what scan_objects() was asked to scan, from the call's vmscan
	 * tracepoints where the log has them, else nr_to_scan at its entry */
	if (ci->end && (ci->end->has & ST_HAS_SCAN_INFO))
		one.scanned = ci->end->scanned;
	else if (ci->flags & CORR_CALL_NR_TO_SCAN)
		one.scanned = ci->nr_to_scan;
	if (ci->end && ci->end->unfinished) {
		/* still in do_shrink_slab() when the trace ended: not a call's numbers */
		s->tot.unfinished++;
		return 0;
	}
	if (timed) {
		one.total_ns = ci->duration_ns;
		one.max_ns = ci->duration_ns;
		one.hist[stats_hist_slot(ci->duration_ns)] = 1;
	}

	tot_apply(&s->tot, &one, 1);
	if (!timed)
		s->tot.untimed++;

	n = name_get(s, ci->name, &other);
	if (n) {
		if (other)
			s->folded.other_name_calls++;
		st_call_stat_add(&n->pub.c, &one);
		if (!timed)
			n->pub.untimed++;
	} else {
		ret = -1;
	}

	g = gen_get(s, ci->serial, ci->shrinker);
	if (g) {
		if (n)
			gen_rename(g, n);
		gen_apply(&g->pub, &one, 1);
		if (!timed)
			g->pub.untimed++;
		if (g->list == GL_LRU)
			gl_append(s, g, GL_LRU);	/* most recently called last */
	} else {
		ret = -1;
	}

	{
		/* a call whose shrink_begin was not seen has no known memcg */
		struct smemcg *m = (ci->flags & CORR_CALL_BEGIN) ?
				   memcg_get(s, ci->memcg, ci->memcg_id, ci->memcg_path) :
				   memcg_get(s, STATS_MEMCG_UNKNOWN, 0, STATS_UNKNOWN);

		if (m) {
			st_call_stat_add(&m->pub.c, &one);
			if (!timed)
				m->pub.untimed++;
		} else {
			ret = -1;
		}
	}

	t = task_get(s, ci->pid, false, &other);
	if (t) {
		if (other)
			s->folded.other_task_calls++;
		else
			st_copy_str(t->pub.comm, sizeof(t->pub.comm), ci->comm, SIZE_MAX);
		t->pub.calls++;
		if (timed) {
			t->pub.total_ns = st_sat_add(t->pub.total_ns, ci->duration_ns);
			if (ci->duration_ns > t->pub.max_ns)
				t->pub.max_ns = ci->duration_ns;
		} else {
			t->pub.untimed++;
		}
	} else {
		ret = -1;
	}
	if (ret)
		errno = ENOMEM;
	return ret;
}

static void walk_add(struct stats_walk *w, const struct corr_walk *wi)
{
	w->walks++;
	w->calls = st_sat_add(w->calls, wi->calls);
	if (wi->calls > w->max_calls)
		w->max_calls = wi->calls;
	w->freed = st_sat_add(w->freed, (wi->flags & CORR_WALK_FREED) ? wi->freed : wi->calls_freed);
	if (wi->flags & CORR_WALK_DURATION) {
		w->total_ns = st_sat_add(w->total_ns, wi->duration_ns);
		if (wi->duration_ns > w->max_ns)
			w->max_ns = wi->duration_ns;
		w->hist[stats_hist_slot(wi->duration_ns)]++;
	} else {
		w->untimed++;
	}
}

enum stats_walk_class stats_walk_class_of(const struct corr_walk *wi)
{
	if (!(wi->flags & CORR_WALK_BEGIN) || wi->nid < 0)
		return STATS_WALK_UNKNOWN;
	/* shrink_slab() is given root_mem_cgroup for global reclaim: its cgroup
	 * path is "/" (and NULL with the memory controller disabled) */
	if (!wi->memcg || (wi->memcg_path && !strcmp(wi->memcg_path, "/")))
		return STATS_WALK_GLOBAL;
	return STATS_WALK_MEMCG;
}

unsigned stats_walk_cause_of(const struct corr_walk *wi)
{
	const struct st_rec *b = wi->begin;

	if (!b || !(b->has & ST_HAS_TRIGGER))
		return ST_TRIG_UNKNOWN;
	return st_walk_cause(b->trigger, (b->has & ST_HAS_LIMIT) ? b->memcg_limit : 0);
}

const char *stats_walk_cause_name(unsigned cause)
{
	static const char *const limits[ST_LIMIT_N] = {
		[ST_LIMIT_HIGH] = "memcg_high", [ST_LIMIT_MAX] = "memcg_max",
		[ST_LIMIT_RECLAIM] = "memcg_reclaim",
	};

	if (cause < ST_TRIG_MAX)
		return st_trigger_name(cause);
	if (cause < ST_WALK_CAUSES)
		return limits[cause - ST_TRIG_MAX + 1];
	return "unknown";
}

int stats_add_walk(struct stats *s, const struct corr_walk *wi)
{
	enum stats_walk_class k = stats_walk_class_of(wi);
	struct smemcg *m = (wi->flags & CORR_WALK_BEGIN) ?
			   memcg_get(s, wi->memcg, wi->memcg_id, wi->memcg_path) :
			   memcg_get(s, STATS_MEMCG_UNKNOWN, 0, STATS_UNKNOWN);

	walk_add(&s->walk, wi);
	walk_add(&s->walk_by[k][stats_walk_cause_of(wi)], wi);
	if (!m) {
		errno = ENOMEM;
		return -1;
	}
	m->pub.walks++;
	if (wi->flags & CORR_WALK_DURATION)
		m->pub.walk_ns += wi->duration_ns;
	return 0;
}

const char *stats_walk_class_name(enum stats_walk_class k)
{
	switch (k) {
	case STATS_WALK_GLOBAL: return "global";
	case STATS_WALK_MEMCG: return "memcg";
	default: return "unknown";
	}
}

/* Add a kernel aggregate to a stats_walk. */
static void walk_add_kernel(struct stats_walk *out, const struct st_walk_stat *kw)
{
	out->walks = st_sat_add(out->walks, kw->walks);
	out->calls = st_sat_add(out->calls, kw->calls);
	out->freed = st_sat_add(out->freed, kw->freed);
	out->total_ns = st_sat_add(out->total_ns, kw->total_ns);
	if (kw->max_ns > out->max_ns)
		out->max_ns = kw->max_ns;
	for (unsigned i = 0; i < ST_HIST_SLOTS; i++)
		out->hist[i] = st_sat_add(out->hist[i], kw->hist[i]);
}

/* Merge b into a (maximums by max). */
static void walk_merge(struct stats_walk *a, const struct stats_walk *b)
{
	a->walks = st_sat_add(a->walks, b->walks);
	a->untimed = st_sat_add(a->untimed, b->untimed);
	a->calls = st_sat_add(a->calls, b->calls);
	if (b->max_calls > a->max_calls)
		a->max_calls = b->max_calls;
	a->freed = st_sat_add(a->freed, b->freed);
	a->total_ns = st_sat_add(a->total_ns, b->total_ns);
	if (b->max_ns > a->max_ns)
		a->max_ns = b->max_ns;
	for (unsigned i = 0; i < ST_HIST_SLOTS; i++)
		a->hist[i] = st_sat_add(a->hist[i], b->hist[i]);
}

void stats_get_walk_by(const struct stats *s, enum stats_walk_class k, unsigned cause,
		       struct stats_walk *out)
{
	memset(out, 0, sizeof(*out));
	if (k >= STATS_WALK_NCLASS || cause >= ST_WALK_CAUSES)
		return;
	*out = s->walk_by[k][cause];
	if (!s->has_kwalk || k == STATS_WALK_UNKNOWN)
		return;
	/* the kernel's walk_stats entry cause * 2 + memcg */
	walk_add_kernel(out, &s->kwalk[cause * 2 + (k == STATS_WALK_MEMCG)]);
}

void stats_get_walk_class(const struct stats *s, enum stats_walk_class k, struct stats_walk *out)
{
	struct stats_walk one;

	memset(out, 0, sizeof(*out));
	for (unsigned t = 0; t < ST_WALK_CAUSES; t++) {
		stats_get_walk_by(s, k, t, &one);
		walk_merge(out, &one);
	}
}

void stats_get_walk_cause(const struct stats *s, unsigned cause, struct stats_walk *out)
{
	struct stats_walk one;

	memset(out, 0, sizeof(*out));
	for (int k = 0; k < STATS_WALK_NCLASS; k++) {
		stats_get_walk_by(s, (enum stats_walk_class)k, cause, &one);
		walk_merge(out, &one);
	}
}

/* *d = what grew from before to now (each count at least 0; a kernel entry
 * that started again counts from its new start), max_ns now's. */
static void cs_growth(struct st_call_stat *d, const struct st_call_stat *now,
		      const struct st_call_stat *before)
{
	d->calls = st_sat_sub(now->calls, before->calls);
	d->zero_calls = st_sat_sub(now->zero_calls, before->zero_calls);
	d->empty_calls = st_sat_sub(now->empty_calls, before->empty_calls);
	d->scanned = st_sat_sub(now->scanned, before->scanned);
	d->freed = st_sat_sub(now->freed, before->freed);
	d->total_ns = st_sat_sub(now->total_ns, before->total_ns);
	d->max_ns = now->max_ns;
	for (unsigned k = 0; k < ST_HIST_SLOTS; k++)
		d->hist[k] = st_sat_sub(now->hist[k], before->hist[k]);
}

int stats_set_kernel_call(struct stats *s, uint64_t serial, uint64_t addr, const char *name,
			  const struct st_call_stat *sum, bool final)
{
	struct st_call_stat grew;
	struct sgen *g;
	struct sname *n;
	bool other;

	/* not named yet: wait for the name rather than count under "(unnamed)"
	 * what would then have to move (a counter going down) */
	if ((!name || !name[0]) && !final)
		return 0;
	g = gen_get(s, serial, addr);
	if (!g)
		goto enomem;
	n = name_get(s, name, &other);
	if (!n)
		goto enomem;
	if (!g->kern) {
		g->kern = calloc(1, sizeof(*g->kern));
		if (!g->kern)
			goto enomem;
		if (g->list == GL_LRU)	/* replaceable from now on: exempt while current */
			gl_unlink(s, g);
	}
	/* only what grew since the last snapshot, under the name it has now:
	 * what an earlier name got stays there, as with calls from events */
	cs_growth(&grew, sum, g->kern);
	if (other)
		s->folded.other_name_calls = st_sat_add(s->folded.other_name_calls, grew.calls);
	*g->kern = *sum;
	st_call_stat_add(&n->pub.c, &grew);
	gen_apply(&g->pub, &grew, 1);
	tot_apply(&s->tot, &grew, 1);
	gen_rename(g, n);
	return 0;
enomem:
	errno = ENOMEM;
	return -1;
}

void stats_set_kernel_walk(struct stats *s, const struct st_walk_stat w[ST_WALK_STAT_N])
{
	memcpy(s->kwalk, w, sizeof(s->kwalk));
	s->has_kwalk = true;
}

int stats_set_kernel_task(struct stats *s, uint32_t pid, const struct st_task_stat *k)
{
	bool other;
	struct stask *t = task_get(s, (int)pid, true, &other);

	if (!t) {
		errno = ENOMEM;
		return -1;
	}
	t->pub.calls += k->calls - t->k_calls;
	t->pub.total_ns = st_sat_add(t->pub.total_ns, k->total_ns - t->k_total);
	if (k->max_ns > t->pub.max_ns)
		t->pub.max_ns = k->max_ns;
	t->k_calls = k->calls;
	t->k_total = k->total_ns;
	t->kern = true;
	st_copy_str(t->pub.comm, sizeof(t->pub.comm), k->comm, SIZE_MAX);
	return 0;
}

void stats_get_walk(const struct stats *s, struct stats_walk *out)
{
	*out = s->walk;
	if (!s->has_kwalk)
		return;
	for (unsigned k = 0; k < ST_WALK_STAT_N; k++)
		walk_add_kernel(out, &s->kwalk[k]);
}

void stats_get_totals(const struct stats *s, struct stats_totals *out)
{
	*out = s->tot;
	out->names = s->nlist;
	out->gens = s->ngens;
	out->tasks = s->ntasks + (s->other_tasks ? 1 : 0);
}

void stats_get_folded(const struct stats *s, struct stats_folded *out)
{
	*out = s->folded;
}

/* ---- sorting -------------------------------------------------------------------- */

static const char *const sort_names[] = {
	[STATS_SORT_TIME] = "time",
	[STATS_SORT_CALLS] = "calls",
	[STATS_SORT_FREED] = "freed",
	[STATS_SORT_MAX] = "max",
	[STATS_SORT_P99] = "p99",
	[STATS_SORT_ZERO] = "zero",
	[STATS_SORT_NAME] = "name",
};

int stats_sort_from_name(const char *name)
{
	for (unsigned i = 0; i < sizeof(sort_names) / sizeof(sort_names[0]); i++)
		if (!strcmp(name, sort_names[i]))
			return (int)i;
	return -1;
}

const char *stats_sort_name(enum stats_sort key)
{
	return (unsigned)key < sizeof(sort_names) / sizeof(sort_names[0]) ? sort_names[key] : "?";
}

struct sort_item {
	const struct stats_name *n;
	uint64_t key;
};

static int cmp_items(const void *a, const void *b)
{
	const struct sort_item *x = a, *y = b;

	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return strcmp(x->n->name, y->n->name);
}

uint64_t stats_sort_value(const struct stats_name *n, enum stats_sort key)
{
	switch (key) {
	case STATS_SORT_TIME:
		return n->c.total_ns;
	case STATS_SORT_CALLS:
		return n->c.calls;
	case STATS_SORT_FREED:
		return n->c.freed;
	case STATS_SORT_MAX:
		return n->c.max_ns;
	case STATS_SORT_P99:
		return stats_percentile(n->c.hist, n->c.max_ns, 990);
	case STATS_SORT_ZERO:
		return n->c.zero_calls;
	case STATS_SORT_NAME:
	default:
		return 0;	/* ties: by name */
	}
}

size_t stats_sorted_names(const struct stats *s, enum stats_sort key,
			  const struct stats_name **v, size_t n)
{
	struct sort_item *it;
	size_t m = 0;

	it = malloc((s->nlist ? s->nlist : 1) * sizeof(*it));
	if (!it)
		return 0;
	for (size_t i = 0; i < s->nlist; i++) {
		const struct stats_name *x = &s->name_list[i]->pub;

		if (!x->c.calls)
			continue;
		it[m].n = x;
		it[m].key = stats_sort_value(x, key);
		m++;
	}
	qsort(it, m, sizeof(*it), cmp_items);
	for (size_t i = 0; i < m && i < n; i++)
		v[i] = it[i].n;
	free(it);
	return m;
}


void stats_get_limits(const struct stats *s, struct stats_limits *out)
{
	*out = s->lim;
}

/* ---- listings, for the text tables (sinks/tables.c) and the metrics ---------------- */

size_t stats_list_gens(const struct stats *s, const struct stats_gen **v, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < s->gens.cap; i++)
		for (struct htab_node *e = s->gens.b[i]; e; e = e->next) {
			const struct stats_gen *g = &container_of(e, struct sgen, h)->pub;

			if (!g->calls)
				continue;
			if (k < n)
				v[k] = g;
			k++;
		}
	return k;
}

size_t stats_list_tasks(const struct stats *s, const struct stats_task **v, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < s->tasks.cap; i++)
		for (struct htab_node *e = s->tasks.b[i]; e; e = e->next) {
			const struct stats_task *t = &container_of(e, struct stask, h)->pub;

			if (!t->calls)
				continue;
			if (k < n)
				v[k] = t;
			k++;
		}
	if (s->other_tasks && s->other_tasks->pub.calls) {
		if (k < n)
			v[k] = &s->other_tasks->pub;
		k++;
	}
	return k;
}

/* ---- memcgs ------------------------------------------------------------------------- */

struct memcg_item {
	const struct stats_memcg *m;
	uint64_t key;
};

static int cmp_memcg_items(const void *a, const void *b)
{
	const struct memcg_item *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return strcmp(x->m->path, y->m->path);
}

static int cmp_memcg_paths(const void *a, const void *b)
{
	const struct memcg_item *x = a, *y = b;

	return strcmp(x->m->path, y->m->path);
}

size_t stats_sorted_memcgs(const struct stats *s, enum stats_sort key,
			   const struct stats_memcg **v, size_t n)
{
	struct memcg_item *it = malloc((s->nmemcgs + 1) * sizeof(*it));
	size_t m = 0;

	if (!it)
		return 0;
	for (size_t i = 0; i <= s->nmemcgs; i++) {
		const struct stats_memcg *x = i < s->nmemcgs ? &s->memcg_list[i]->pub :
				      s->other_memcgs ? &s->other_memcgs->pub : NULL;
		struct stats_name fake;

		if (!x || (!x->c.calls && !x->walks))
			continue;
		memset(&fake, 0, sizeof(fake));
		fake.c = x->c;
		fake.untimed = x->untimed;
		it[m].m = x;
		it[m].key = stats_sort_value(&fake, key);
		m++;
	}
	qsort(it, m, sizeof(*it), key == STATS_SORT_NAME ? cmp_memcg_paths : cmp_memcg_items);
	for (size_t i = 0; i < m && i < n; i++)
		v[i] = it[i].m;
	free(it);
	return m;
}
