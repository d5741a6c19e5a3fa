/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests of the correlation engine's state machine (user/engine/correlate.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "engine/correlate.h"
#include "engine/lifecycle.h"
#include "sinks/tables.h"

#define A 0xffff888104a1c000ULL
#define B 0xffff888104a1c400ULL
#define C 0xffff888104a1c800ULL
#define HEAD 0xffffffff83a1b2c0ULL
#define MS 1000000ULL
#define SEC 1000000000ULL

#define MAXV 64

struct sink {
	struct st_violation v[MAXV];
	int n;
	int late;
	uint64_t events_out;
	uint64_t last_ts_out;
	int out_of_order;
	struct life *life;	/* when set, on_life feeds it */
};

static void on_life(const struct corr_life *ev, void *ctx)
{
	struct sink *s = ctx;

	if (s->life)
		assert_int_equal(life_add(s->life, ev), 0);
}

static void on_v(const struct st_violation *v, void *ctx)
{
	struct sink *s = ctx;

	if (s->n < MAXV)
		s->v[s->n] = *v;
	s->n++;
}

static void on_ev(const struct st_rec *r, const struct corr_event *e, void *ctx)
{
	struct sink *s = ctx;

	if (s->events_out && r->ts < s->last_ts_out)
		s->out_of_order++;
	s->last_ts_out = r->ts;
	s->events_out++;
}

static void on_late(const struct st_rec *r, uint64_t released, void *ctx)
{
	struct sink *s = ctx;

	assert_true(r->ts < released);
	s->late++;
}

static struct corr *mk(struct sink *s, uint64_t window, uint64_t stuck, size_t tomb)
{
	struct corr_opts o = { .stuck_after_ns = stuck, .reorder_window_ns = window,
			       .max_tombstones = tomb };
	struct corr_cbs cb = { .on_event = on_ev, .on_violation = on_v, .on_late = on_late,
			       .on_life = on_life, .ctx = s };

	memset(s, 0, sizeof(*s));
	struct corr *c = corr_new(&o, &cb);
	assert_non_null(c);
	return c;
}

static struct st_rec ev(enum st_type t, uint64_t ts, int pid, const char *comm, uint64_t shr)
{
	struct st_rec r;

	memset(&r, 0, sizeof(r));
	r.type = t;
	r.ts = ts;
	r.pid = pid;
	snprintf(r.comm, sizeof(r.comm), "%s", comm);
	if (shr) {
		r.shrinker = shr;
		r.has |= ST_HAS_SHRINKER;
	}
	return r;
}

static void push(struct corr *c, struct st_rec r)
{
	assert_int_equal(corr_push(c, &r), 0);
}

static void reg(struct corr *c, uint64_t ts, uint64_t shr, const char *name)
{
	struct st_rec r = ev(ST_SHRINKER_REGISTER, ts, 1, "mount", shr);

	snprintf(r.name, sizeof(r.name), "%s", name);
	r.has |= ST_HAS_NAME | ST_HAS_FLAGS | ST_HAS_ID;
	r.id = -1;
	push(c, r);
}

static void sbegin(struct corr *c, uint64_t ts, int pid, uint64_t shr, uint64_t next, uint64_t prev)
{
	struct st_rec r = ev(ST_SHRINK_BEGIN, ts, pid, "kswapd0", shr);

	r.has |= ST_HAS_SNAPSHOT | ST_HAS_REFCOUNT;
	r.refcount = 2;
	r.next = next;
	r.prev = prev;
	push(c, r);
}

static void send_(struct corr *c, uint64_t ts, int pid, uint64_t shr, uint64_t next, uint64_t prev,
		  uint64_t freed)
{
	struct st_rec r = ev(ST_SHRINK_END, ts, pid, "kswapd0", shr);

	r.has |= ST_HAS_SNAPSHOT | ST_HAS_FREED | ST_HAS_DURATION;
	r.next = next;
	r.prev = prev;
	r.freed = freed;
	r.duration_ns = 1000;
	push(c, r);
}

static void fbegin(struct corr *c, uint64_t ts, int pid, uint64_t shr)
{
	push(c, ev(ST_FREE_BEGIN, ts, pid, "umount", shr));
}

static void fend(struct corr *c, uint64_t ts, int pid, uint64_t shr)
{
	push(c, ev(ST_FREE_END, ts, pid, "umount", shr));
}

static void rcu(struct corr *c, uint64_t ts, uint64_t shr)
{
	push(c, ev(ST_RCU_FREE, ts, 0, "swapper/1", shr));
}

static void lost(struct corr *c, uint64_t ts, uint64_t n)
{
	struct st_rec r = ev(ST_LOST, ts, 0, "", 0);

	r.count = n;
	r.has |= ST_HAS_COUNT;
	push(c, r);
}

static void three(struct corr *c)
{
	reg(c, 1000, A, "sb-tmpfs");
	reg(c, 1100, B, "sb-ramfs");
	reg(c, 1200, C, "mm-shadow");
}

static int count_kind(const struct sink *s, enum st_vkind k)
{
	int n = 0;

	for (int i = 0; i < s->n && i < MAXV; i++)
		n += s->v[i].kind == k;
	return n;
}

/* ---- each kind and its clean twin ---- */

/* The seed interleaving: free_while_running on A, stale_next A -> B, use_after_free B. */
static void test_seed_interleaving(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);

	three(c);
	sbegin(c, 2000100, 100, A, B, HEAD);
	fbegin(c, 2000200, 200, A);
	fend(c, 2000300, 200, A);
	fbegin(c, 2000400, 201, B);
	fend(c, 2000500, 201, B);
	rcu(c, 2000600, B);
	send_(c, 2000700, 100, A, B, ST_POISON2, 10);
	sbegin(c, 2000800, 100, B, C, ST_POISON2);
	send_(c, 2000900, 100, B, C, ST_POISON2, 0);
	corr_finish(c);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.v[0].kind, ST_V_FREE_WHILE_RUNNING);
	assert_int_equal(s.v[0].shrinker, A);
	assert_int_equal(s.v[0].walker_pid, 100);
	assert_string_equal(s.v[0].walker_comm, "kswapd0");
	assert_int_equal(s.v[0].pid, 200);
	assert_string_equal(s.v[0].comm, "umount");
	assert_int_equal(s.v[0].ts, 2000300);
	assert_true(s.v[0].certain);
	assert_string_equal(s.v[0].name, "sb-tmpfs");
	assert_non_null(strstr(s.v[0].detail, "umount (pid 200)"));
	assert_non_null(strstr(s.v[0].detail, "kswapd0 (pid 100)"));
	assert_non_null(strstr(s.v[0].detail, "sb-tmpfs"));
	assert_non_null(strstr(s.v[0].detail, "0xffff888104a1c000"));
	assert_non_null(strstr(s.v[0].detail, "0.002000300 s"));
	assert_int_equal(s.v[1].kind, ST_V_STALE_NEXT);
	assert_int_equal(s.v[1].shrinker, A);
	assert_true(s.v[1].has_next);
	assert_int_equal(s.v[1].next, B);
	assert_int_equal(s.v[2].kind, ST_V_USE_AFTER_FREE);
	assert_int_equal(s.v[2].shrinker, B);
	assert_int_equal(s.v[2].walker_pid, 100);
	/* walk_onto_queued also fits shrink_begin on B: only the first kind is raised */
	assert_int_equal(count_kind(&s, ST_V_WALK_ONTO_QUEUED), 0);
	struct corr_stats cs;
	corr_get_stats(c, &cs);
	assert_int_equal(cs.violations[ST_V_USE_AFTER_FREE], 1);
	assert_int_equal(cs.events, 12);
	corr_free(c);
}

/* Clean twin: shrinker_free() waits for the walker. */
static void test_correct_kernel_waits(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);

	three(c);
	sbegin(c, 2000100, 100, A, B, HEAD);
	fbegin(c, 2000200, 200, A);
	fbegin(c, 2000250, 201, B);
	fend(c, 2000300, 201, B);
	send_(c, 2000700, 100, A, C, HEAD, 10);
	fend(c, 2000750, 200, A);
	sbegin(c, 2000800, 100, C, HEAD, HEAD);
	send_(c, 2000900, 100, C, HEAD, HEAD, 0);
	rcu(c, 12 * MS, B);
	rcu(c, 13 * MS, A);
	corr_finish(c);
	assert_int_equal(s.n, 0);
	corr_free(c);
}

static void test_walk_onto_queued(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);

	three(c);
	fbegin(c, 2 * MS, 200, A);
	fend(c, 3 * MS, 200, A);
	sbegin(c, 4 * MS, 100, A, B, HEAD);
	send_(c, 5 * MS, 100, A, B, HEAD, 0);
	/* the same walker again on the same generation: reported once */
	sbegin(c, 6 * MS, 100, A, B, HEAD);
	/* another walker: its own report */
	sbegin(c, 7 * MS, 101, A, B, HEAD);
	corr_finish(c);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[0].kind, ST_V_WALK_ONTO_QUEUED);
	assert_int_equal(s.v[0].walker_pid, 100);
	assert_int_equal(s.v[1].kind, ST_V_WALK_ONTO_QUEUED);
	assert_int_equal(s.v[1].walker_pid, 101);
	assert_int_equal(s.v[0].generation, s.v[1].generation);
	corr_free(c);
}

/* walk_onto_queued from the snapshot alone (the free was not traced). */
static void test_walk_onto_unlinked_snapshot(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);

	three(c);
	sbegin(c, 4 * MS, 100, A, B, ST_POISON2);
	corr_finish(c);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].kind, ST_V_WALK_ONTO_QUEUED);
	assert_non_null(strstr(s.v[0].detail, "LIST_POISON2"));
	corr_free(c);
}

/* Clean twin: walking a shrinker whose free has begun but is still waiting. */
static void test_walk_onto_freeing_clean(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);

	three(c);
	fbegin(c, 2 * MS, 200, A);
	sbegin(c, 4 * MS, 100, B, C, HEAD);
	send_(c, 5 * MS, 100, B, C, HEAD, 0);
	fend(c, 6 * MS, 200, A);
	sbegin(c, 7 * MS, 100, C, HEAD, HEAD);
	send_(c, 8 * MS, 100, C, HEAD, HEAD, 0);
	corr_finish(c);
	assert_int_equal(s.n, 0);
	corr_free(c);
}

static void test_free_while_running_two_walkers(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);

	three(c);
	sbegin(c, 1 * MS, 100, A, B, HEAD);
	sbegin(c, 2 * MS, 101, A, B, HEAD);
	fbegin(c, 3 * MS, 200, A);
	fend(c, 4 * MS, 200, A);
	corr_finish(c);
	assert_int_equal(count_kind(&s, ST_V_FREE_WHILE_RUNNING), 2);
	assert_int_equal(s.n, 2);
	int pids = s.v[0].walker_pid + s.v[1].walker_pid;
	assert_int_equal(pids, 201);
	corr_free(c);
}

/* Clean twin: the call ended before free_end. */
static void test_free_after_call_clean(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);

	three(c);
	sbegin(c, 1 * MS, 100, A, B, HEAD);
	fbegin(c, 3 * MS, 200, A);
	send_(c, 4 * MS, 100, A, B, HEAD, 5);
	fend(c, 5 * MS, 200, A);
	rcu(c, 6 * MS, A);
	corr_finish(c);
	assert_int_equal(s.n, 0);
	corr_free(c);
}

/* stale_next needs both: unlinked and next queued.  Only queued (not RCU freed) counts too. */
static void test_stale_next_queued_and_twins(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);

	three(c);
	fbegin(c, 1 * MS, 201, B);
	fend(c, 2 * MS, 201, B);
	/* next is queued but the current shrinker is still linked: clean */
	sbegin(c, 3 * MS, 100, A, B, HEAD);
	send_(c, 4 * MS, 100, A, C, HEAD, 0);
	/* unlinked, but next is live: clean */
	sbegin(c, 5 * MS, 101, A, C, HEAD);
	send_(c, 6 * MS, 101, A, C, ST_POISON2, 0);
	assert_int_equal(s.n, 0);
	/* unlinked and next queued: stale_next */
	sbegin(c, 7 * MS, 102, A, B, HEAD);
	send_(c, 8 * MS, 102, A, B, ST_POISON2, 0);
	corr_finish(c);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].kind, ST_V_STALE_NEXT);
	assert_int_equal(s.v[0].walker_pid, 102);
	assert_int_equal(s.v[0].next, B);
	assert_non_null(strstr(s.v[0].detail, "not yet RCU freed"));
	assert_int_equal(s.v[0].next_state, ST_NEXT_QUEUED);
	corr_free(c);
}

/* A near miss (the next shrinker queued) gets its margin at that shrinker's
 * rcu_free; a step onto freed memory is no near miss. */
static void test_near_miss_margin(void **st)
{
	struct sink s;
	struct corr_stats cs;
	struct corr *c = mk(&s, 0, 0, 0);

	three(c);
	fbegin(c, 1 * MS, 201, B);
	fend(c, 2 * MS, 201, B);
	sbegin(c, 3 * MS, 102, A, B, HEAD);
	send_(c, 4 * MS, 102, A, B, ST_POISON2, 0);	/* steps at 4 ms */
	corr_get_stats(c, &cs);
	assert_int_equal(cs.near_misses, 1);
	assert_int_equal(cs.near_timed, 0);		/* not freed yet */
	rcu(c, 29 * MS, B);				/* freed 25 ms later */
	corr_get_stats(c, &cs);
	assert_int_equal(cs.near_timed, 1);
	assert_int_equal(cs.near_margin_min, 25 * MS);
	assert_int_equal(cs.near_margin_max, 25 * MS);
	assert_int_equal(cs.near_margin_total, 25 * MS);
	/* another walker steps from C (unlinked) onto B, now freed */
	sbegin(c, 30 * MS, 103, C, B, HEAD);
	send_(c, 31 * MS, 103, C, B, ST_POISON2, 0);
	corr_finish(c);
	corr_get_stats(c, &cs);
	assert_int_equal(cs.near_misses, 1);
	assert_int_equal(cs.stale_freed, 1);
	assert_int_equal(count_kind(&s, ST_V_STALE_NEXT), 2);
	assert_int_equal(s.v[1].next_state, ST_NEXT_FREED);
	corr_free(c);
}

/* A memcg's walk (shrink_slab_memcg()) goes through the memcg's bitmap of
 * shrinker ids, not list.next: an unlinked shrinker whose next is queued is
 * no stale_next there; the root memcg's walk ("/") is the global walk. */
static void test_stale_next_not_in_memcg_walk(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);
	struct st_rec r;
	const uint64_t ROOT = 0xffff888100242300ULL, CG = 0xffff888100243400ULL;

	assert_int_equal(corr_set_memcg(c, ROOT, 1, "/"), 0);
	assert_int_equal(corr_set_memcg(c, CG, 35, "/lab-high"), 0);
	three(c);
	fbegin(c, 1 * MS, 201, B);
	fend(c, 2 * MS, 201, B);
	/* in /lab-high's walk: clean */
	r = ev(ST_SHRINK_BEGIN, 3 * MS, 102, "stress", A);
	r.has |= ST_HAS_WALK | ST_HAS_SNAPSHOT;
	r.memcg = CG;
	r.next = B;
	r.prev = HEAD;
	push(c, r);
	send_(c, 4 * MS, 102, A, B, ST_POISON2, 0);
	corr_advance(c, 10 * MS);
	assert_int_equal(s.n, 0);
	/* in the root's walk: stale_next */
	r = ev(ST_SHRINK_BEGIN, 5 * MS, 103, "kswapd0", A);
	r.has |= ST_HAS_WALK | ST_HAS_SNAPSHOT;
	r.memcg = ROOT;
	r.next = B;
	r.prev = HEAD;
	push(c, r);
	send_(c, 6 * MS, 103, A, B, ST_POISON2, 0);
	corr_finish(c);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].kind, ST_V_STALE_NEXT);
	assert_int_equal(s.v[0].walker_pid, 103);
	corr_free(c);
}

struct closed {
	int n;
	struct st_rec last;
};

static void on_ev_closed(const struct st_rec *r, const struct corr_event *e, void *ctx)
{
	struct closed *x = ctx;

	(void)e;
	if (r->type == ST_SHRINK_END && r->unfinished) {
		x->n++;
		x->last = *r;
	}
}

/* The end of a live trace: a call still in flight ends with an "unfinished"
 * shrink_end, a finished one does not. */
static void test_close_calls(void **st)
{
	struct closed x = { 0 };
	struct corr_cbs cb = { .on_event = on_ev_closed, .ctx = &x };
	struct corr *c = corr_new(NULL, &cb);
	struct corr_stats cs;

	assert_non_null(c);
	reg(c, 1000, A, "sb-tmpfs");
	sbegin(c, 2 * MS, 100, A, B, HEAD);
	send_(c, 3 * MS, 100, A, B, HEAD, 5);
	sbegin(c, 4 * MS, 101, A, B, HEAD);		/* never returns */
	assert_int_equal(corr_close_calls(c, 10 * MS), 0);
	corr_finish(c);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.last.pid, 101);
	assert_int_equal(x.last.shrinker, A);
	assert_int_equal(x.last.duration_ns, 6 * MS);
	assert_int_equal(x.last.ts, 10 * MS);
	corr_get_stats(c, &cs);
	assert_int_equal(cs.inflight_calls, 0);
	corr_free(c);
}

static void test_double_free(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);

	three(c);
	fbegin(c, 1 * MS, 200, A);
	fend(c, 2 * MS, 200, A);
	fbegin(c, 3 * MS, 300, A);
	fbegin(c, 4 * MS, 300, A);	/* same task again: deduplicated */
	corr_finish(c);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].kind, ST_V_DOUBLE_FREE);
	assert_int_equal(s.v[0].walker_pid, 300);
	assert_non_null(strstr(s.v[0].detail, "umount (pid 200)"));
	corr_free(c);
}

/* Clean twin: one free per generation, across address reuse. */
static void test_address_reuse_clean(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);

	three(c);
	fbegin(c, 2 * MS, 200, A);
	fend(c, 2 * MS + 100, 200, A);
	rcu(c, 5 * MS, A);
	push(c, ev(ST_SHRINKER_ALLOC, 6 * MS, 300, "mount", A));
	reg(c, 6 * MS + 50, A, "sb-tmpfs");
	sbegin(c, 7 * MS, 100, A, B, HEAD);
	send_(c, 7 * MS + 100, 100, A, B, HEAD, 3);
	fbegin(c, 8 * MS, 400, A);
	fend(c, 8 * MS + 100, 400, A);
	rcu(c, 9 * MS, A);
	corr_finish(c);
	assert_int_equal(s.n, 0);
	struct corr_stats cs;
	corr_get_stats(c, &cs);
	assert_int_equal(cs.shrinkers_seen, 4);
	assert_int_equal(cs.rcu_unseen, 0);
	corr_free(c);
}

/* A queued generation whose address is allocated again before its rcu_free
 * came (the kernel skipped the probe): counted once as rcu_unseen, no
 * violation; a generation never queued, or one RCU freed, is not counted. */
static void test_rcu_unseen_on_reuse(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);
	struct corr_stats cs;

	three(c);
	fbegin(c, 2 * MS, 200, A);
	fend(c, 2 * MS + 100, 200, A);
	/* no rcu_free of A's generation */
	push(c, ev(ST_SHRINKER_ALLOC, 6 * MS, 300, "mount", A));
	reg(c, 6 * MS + 50, A, "sb-tmpfs");
	fbegin(c, 8 * MS, 400, A);
	fend(c, 8 * MS + 100, 400, A);
	rcu(c, 9 * MS, A);
	push(c, ev(ST_SHRINKER_ALLOC, 10 * MS, 300, "mount", A));
	reg(c, 10 * MS + 50, A, "sb-tmpfs");
	/* register after alloc of the same generation: not a reuse */
	push(c, ev(ST_SHRINKER_ALLOC, 11 * MS, 300, "mount", 0xffff888000009000ull));
	reg(c, 11 * MS + 50, 0xffff888000009000ull, "sb-ramfs");
	corr_finish(c);
	assert_int_equal(s.n, 0);
	corr_get_stats(c, &cs);
	assert_int_equal(cs.rcu_unseen, 1);
	corr_free(c);
}

/* Any event on a freed generation before a new alloc: use_after_free, also free_begin. */
static void test_use_after_free_on_free_begin(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);

	three(c);
	fbegin(c, 1 * MS, 200, A);
	fend(c, 2 * MS, 200, A);
	rcu(c, 3 * MS, A);
	fbegin(c, 4 * MS, 300, A);	/* double_free also fits: use_after_free wins */
	corr_finish(c);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].kind, ST_V_USE_AFTER_FREE);
	assert_int_equal(count_kind(&s, ST_V_DOUBLE_FREE), 0);
	corr_free(c);
}

/* ---- stuck_free ---- */

static void test_stuck_free_by_advance(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 50 * MS, 10 * SEC, 0);

	three(c);
	sbegin(c, 1 * MS, 100, A, B, HEAD);
	fbegin(c, 2 * MS, 200, A);
	corr_advance(c, 5 * SEC);
	assert_int_equal(s.n, 0);
	corr_advance(c, 10 * SEC + 2 * MS + 50 * MS);	/* mark = exactly 10 s after: not longer */
	assert_int_equal(s.n, 0);
	corr_advance(c, 10 * SEC + 60 * MS);
	assert_int_equal(s.n, 1);	/* raised while still stuck, before any finish */
	assert_int_equal(s.v[0].kind, ST_V_STUCK_FREE);
	assert_int_equal(s.v[0].walker_pid, 100);
	assert_int_equal(s.v[0].pid, 200);
	assert_non_null(strstr(s.v[0].detail, "kswapd0 (pid 100)"));
	corr_advance(c, 30 * SEC);
	fend(c, 31 * SEC, 200, A);	/* free_end at last: free_while_running, not stuck again */
	corr_finish(c);
	assert_int_equal(count_kind(&s, ST_V_STUCK_FREE), 1);
	assert_int_equal(count_kind(&s, ST_V_FREE_WHILE_RUNNING), 1);
	corr_free(c);
}

/* stuck with nobody in flight: the detail says so. */
static void test_stuck_free_no_walker(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 2 * SEC, 0);

	three(c);
	sbegin(c, 1 * MS, 100, A, B, HEAD);
	send_(c, 2 * MS, 100, A, B, HEAD, 0);
	fbegin(c, 3 * MS, 200, A);
	/* trace time advances through later events only */
	sbegin(c, 1 * SEC, 101, C, HEAD, HEAD);
	send_(c, 1 * SEC + 1, 101, C, HEAD, HEAD, 0);
	assert_int_equal(s.n, 0);
	sbegin(c, 3 * SEC, 101, C, HEAD, HEAD);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].kind, ST_V_STUCK_FREE);
	assert_int_equal(s.v[0].walker_pid, 0);
	assert_non_null(strstr(s.v[0].detail, "outside any traced call"));
	corr_finish(c);
	assert_int_equal(s.n, 1);
	corr_free(c);
}

/* Clean twin: a slow but finishing free under the threshold. */
static void test_slow_free_clean(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 10 * SEC, 0);

	three(c);
	fbegin(c, 1 * SEC, 200, A);
	fend(c, 9 * SEC, 200, A);
	sbegin(c, 30 * SEC, 101, C, HEAD, HEAD);
	corr_advance(c, 60 * SEC);
	corr_finish(c);
	assert_int_equal(s.n, 0);
	corr_free(c);
}

/* ---- lost records ---- */

static void test_lost_makes_uncertain(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);

	three(c);
	sbegin(c, 1 * MS, 100, A, B, HEAD);
	lost(c, 2 * MS, 7);
	fbegin(c, 3 * MS, 200, A);
	fend(c, 4 * MS, 200, A);
	/* B: both events after the lost record: certain */
	sbegin(c, 5 * MS, 101, B, C, HEAD);
	fbegin(c, 6 * MS, 201, B);
	fend(c, 7 * MS, 201, B);
	corr_finish(c);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[0].shrinker, A);
	assert_false(s.v[0].certain);
	assert_int_equal(s.v[1].shrinker, B);
	assert_true(s.v[1].certain);
	struct corr_stats cs;
	corr_get_stats(c, &cs);
	assert_int_equal(cs.lost, 7);
	corr_free(c);
}

/* ---- reorder window ---- */

static void test_reorder_window(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 50 * MS, 0, 0);

	/* the seed interleaving, pushed in a shuffled order within the window */
	three(c);
	fbegin(c, 2000200, 200, A);
	fend(c, 2000300, 200, A);
	sbegin(c, 2000100, 100, A, B, HEAD);
	rcu(c, 2000600, B);
	fend(c, 2000500, 201, B);
	fbegin(c, 2000400, 201, B);
	sbegin(c, 2000800, 100, B, C, ST_POISON2);
	send_(c, 2000700, 100, A, B, ST_POISON2, 10);
	corr_finish(c);
	assert_int_equal(s.out_of_order, 0);
	assert_int_equal(s.late, 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.v[0].kind, ST_V_FREE_WHILE_RUNNING);
	assert_int_equal(s.v[1].kind, ST_V_STALE_NEXT);
	assert_int_equal(s.v[2].kind, ST_V_USE_AFTER_FREE);
	corr_free(c);
}

/* Hundreds of events, reversed in blocks, come out sorted and stable for equal ts. */
static void test_reorder_many_and_stable(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 1 * MS, 0, 0);
	uint64_t ts;

	for (int blk = 0; blk < 10; blk++)
		for (int i = 99; i >= 0; i--) {
			ts = (uint64_t)blk * 100 * 1000 + (uint64_t)i * 1000;
			struct st_rec r = ev(ST_WALK_BEGIN, ts, 1000 + i, "w", 0);
			push(c, r);
		}
	corr_finish(c);
	assert_int_equal(s.events_out, 1000);
	assert_int_equal(s.out_of_order, 0);
	assert_int_equal(s.late, 0);
	corr_free(c);
}

/* Events older than the window are counted late, reported, and processed. */
static void test_late_events(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 1 * MS, 0, 0);
	struct corr_stats cs;

	three(c);
	sbegin(c, 1 * MS, 100, A, B, HEAD);
	fbegin(c, 2 * MS, 200, A);
	push(c, ev(ST_WALK_BEGIN, 10 * MS, 101, "kswapd1", 0));
	rcu(c, 100 * MS, C);		/* releases everything up to 99 ms */
	fend(c, 3 * MS, 200, A);	/* older than the released 10 ms: late */
	corr_finish(c);
	corr_get_stats(c, &cs);
	assert_int_equal(cs.late, 1);
	assert_int_equal(s.late, 1);
	assert_int_equal(cs.events, 8);
	assert_int_equal(s.events_out, 8);
	/* processed anyway: the free_end still finds the walker in flight */
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].kind, ST_V_FREE_WHILE_RUNNING);
	corr_free(c);
}

/* ---- kernel variants ---- */

/* shrink_slab_memcg(): do_shrink_slab() twice in a row after SHRINK_EMPTY, a
 * free starting in between (it waits for the walker's reference). */
static void test_memcg_shrink_empty_double_call(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);
	struct st_rec w = ev(ST_WALK_BEGIN, 1 * MS, 100, "kswapd0", 0);

	three(c);
	w.has |= ST_HAS_WALK;
	w.memcg = 0xffff888100200000ULL;
	push(c, w);
	sbegin(c, 2 * MS, 100, A, B, HEAD);
	send_(c, 3 * MS, 100, A, B, HEAD, ST_FREED_EMPTY);
	fbegin(c, 3 * MS + 10, 200, A);
	sbegin(c, 3 * MS + 20, 100, A, B, HEAD);
	send_(c, 4 * MS, 100, A, B, HEAD, ST_FREED_EMPTY);
	w = ev(ST_WALK_END, 5 * MS, 100, "kswapd0", 0);
	w.has |= ST_HAS_FREED;
	push(c, w);
	fend(c, 6 * MS, 200, A);
	rcu(c, 7 * MS, A);
	corr_finish(c);
	assert_int_equal(s.n, 0);
	struct corr_stats cs;
	corr_get_stats(c, &cs);
	assert_int_equal(cs.inflight_calls, 0);
	corr_free(c);
}

/* 6.1: no refcount, no rcu_free; a new register at a freed address is a new generation. */
static void test_linux61(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);
	struct st_rec r;

	three(c);
	r = ev(ST_SHRINK_BEGIN, 1 * MS, 100, "kswapd0", A);	/* no refcount, no snapshot */
	push(c, r);
	r = ev(ST_SHRINK_END, 2 * MS, 100, "kswapd0", A);
	r.has |= ST_HAS_FREED;
	push(c, r);
	fbegin(c, 3 * MS, 200, A);
	fend(c, 4 * MS, 200, A);
	reg(c, 5 * MS, A, "sb-tmpfs");
	r = ev(ST_SHRINK_BEGIN, 6 * MS, 100, "kswapd0", A);
	push(c, r);
	r = ev(ST_SHRINK_END, 7 * MS, 100, "kswapd0", A);
	push(c, r);
	corr_finish(c);
	assert_int_equal(s.n, 0);
	/* without the new register the same walk is onto a queued shrinker */
	struct corr *c2 = mk(&s, 0, 0, 0);
	three(c2);
	fbegin(c2, 3 * MS, 200, A);
	fend(c2, 4 * MS, 200, A);
	push(c2, ev(ST_SHRINK_BEGIN, 6 * MS, 100, "kswapd0", A));
	corr_finish(c2);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].kind, ST_V_WALK_ONTO_QUEUED);
	corr_free(c2);
	corr_free(c);
}

/* Tracepoint backend: no walks, inferred free_begin/free_end/rcu_free at once. */
static void test_tracepoint_inferred(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);
	struct st_rec r;

	sbegin(c, 1 * MS, 100, A, B, HEAD);	/* first sighting */
	send_(c, 2 * MS, 100, A, B, HEAD, 4);
	r = ev(ST_FREE_BEGIN, 5 * MS, 0, "rcuc/0", A);
	r.inferred = true;
	push(c, r);
	r.type = ST_FREE_END;
	push(c, r);
	r.type = ST_RCU_FREE;
	push(c, r);
	push(c, ev(ST_SHRINKER_ALLOC, 6 * MS, 300, "mount", A));
	sbegin(c, 7 * MS, 100, A, B, HEAD);
	send_(c, 8 * MS, 100, A, B, HEAD, 4);
	corr_finish(c);
	assert_int_equal(s.n, 0);
	corr_free(c);
}

/* ---- bounded memory ---- */

static void test_tombstone_cap(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 8);
	struct corr_stats cs;
	uint64_t ts = 1000;

	for (uint64_t i = 0; i < 100; i++) {
		uint64_t a = 0xffff888200000000ULL + i * 0x400;

		push(c, ev(ST_SHRINKER_ALLOC, ts++, 1, "mount", a));
		fbegin(c, ts++, 200, a);
		fend(c, ts++, 200, a);
		rcu(c, ts++, a);
	}
	corr_get_stats(c, &cs);
	assert_int_equal(cs.tombstones, 8);
	assert_int_equal(cs.tombstones_evicted, 92);
	assert_int_equal(cs.live_generations, 8);
	/* a recent tombstone still catches a use after free ... */
	sbegin(c, ts++, 100, 0xffff888200000000ULL + 99 * 0x400, HEAD, HEAD);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].kind, ST_V_USE_AFTER_FREE);
	/* ... a forgotten one is a first sighting */
	sbegin(c, ts++, 100, 0xffff888200000000ULL, HEAD, HEAD);
	assert_int_equal(s.n, 1);
	corr_finish(c);
	corr_free(c);
}

/* Memory does not grow with log length: churn many generations and calls. */
static void test_bounded_by_live_state(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 10000, 0, 1024);	/* 10 us window = 1000 events */
	struct corr_stats cs;
	uint64_t ts = 1000;

	for (uint64_t i = 0; i < 200000; i++) {
		uint64_t a = 0xffff888300000000ULL + (i % 5000) * 0x400;

		push(c, ev(ST_SHRINKER_ALLOC, ts += 10, 1, "mount", a));
		sbegin(c, ts += 10, 100 + (int)(i % 8), a, HEAD, HEAD);
		send_(c, ts += 10, 100 + (int)(i % 8), a, HEAD, HEAD, 1);
		fbegin(c, ts += 10, 200, a);
		fend(c, ts += 10, 200, a);
		rcu(c, ts += 10, a);
	}
	corr_finish(c);
	corr_get_stats(c, &cs);
	assert_int_equal(s.n, 0);
	assert_true(cs.live_generations <= 1024);
	assert_int_equal(cs.tombstones, 1024);
	assert_int_equal(cs.inflight_calls, 0);
	assert_int_equal(cs.held, 0);
	assert_true(cs.held_max <= 1001);	/* the window, not the log */
	assert_true(cs.held_max >= 1000);
	assert_int_equal(cs.shrinkers_seen, 200000);
	corr_free(c);
}

/* ---- caps: memory stays bounded under any input ------------------------- */

static int cap_calls[CORR_NCAPS];
static uint64_t cap_limits[CORR_NCAPS];

static void on_cap(enum corr_cap cap, uint64_t limit, void *ctx)
{
	(void)ctx;
	cap_calls[cap]++;
	cap_limits[cap] = limit;
}

static struct corr *mk_caps(struct sink *s, const struct corr_opts *o)
{
	struct corr_cbs cb = { .on_event = on_ev, .on_violation = on_v, .on_late = on_late,
			       .on_cap = on_cap, .ctx = s };

	memset(s, 0, sizeof(*s));
	memset(cap_calls, 0, sizeof(cap_calls));
	memset(cap_limits, 0, sizeof(cap_limits));
	struct corr *c = corr_new(o, &cb);
	assert_non_null(c);
	return c;
}

/* Live generations beyond the cap are not tracked; room comes back when one
 * is queued; a new generation refused at a tombstone's address ends it. */
static void test_cap_generations(void **st)
{
	struct corr_opts o = { .reorder_window_ns = 0, .max_generations = 4 };
	struct sink s;
	struct corr *c = mk_caps(&s, &o);
	struct corr_stats cs;
	uint64_t ts = 1000;

	for (uint64_t i = 0; i < 10; i++)
		push(c, ev(ST_SHRINKER_ALLOC, ts++, 1, "mount", 0xffff888200000000ULL + i * 0x400));
	corr_get_stats(c, &cs);
	assert_int_equal(cs.live_generations, 4);
	assert_int_equal(cs.cap_hits[CORR_CAP_GENERATIONS], 6);
	assert_int_equal(cap_calls[CORR_CAP_GENERATIONS], 1);	/* warned once */
	assert_int_equal(cap_limits[CORR_CAP_GENERATIONS], 4);
	/* events on an untracked shrinker: not correlated, nothing raised */
	fbegin(c, ts++, 200, 0xffff888200000000ULL + 9 * 0x400);
	fbegin(c, ts++, 200, 0xffff888200000000ULL + 9 * 0x400);
	assert_int_equal(s.n, 0);
	/* queue one: a new shrinker is tracked again, and caught */
	fbegin(c, ts++, 200, 0xffff888200000000ULL);
	fend(c, ts++, 200, 0xffff888200000000ULL);
	rcu(c, ts++, 0xffff888200000000ULL);
	push(c, ev(ST_SHRINKER_ALLOC, ts++, 1, "mount", A));
	fbegin(c, ts++, 200, A);
	fbegin(c, ts++, 201, A);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].kind, ST_V_DOUBLE_FREE);
	/* full again: an allocation at the tombstone's address is not tracked,
	 * and later events there are no use after free */
	push(c, ev(ST_SHRINKER_ALLOC, ts++, 1, "mount", 0xffff888200000000ULL));
	sbegin(c, ts++, 100, 0xffff888200000000ULL, HEAD, HEAD);
	assert_int_equal(s.n, 1);
	corr_get_stats(c, &cs);
	assert_int_equal(cs.cap_hits[CORR_CAP_GENERATIONS], 6 + 2 + 2);
	assert_int_equal(cap_calls[CORR_CAP_GENERATIONS], 1);
	corr_finish(c);
	corr_free(c);
}

/* Tasks in flight and calls per task. */
static void test_cap_tasks_depth(void **st)
{
	struct corr_opts o = { .reorder_window_ns = 0, .max_tasks = 3, .max_depth = 2 };
	struct sink s;
	struct corr *c = mk_caps(&s, &o);
	struct corr_stats cs;
	uint64_t ts = 10 * MS;

	three(c);
	for (int pid = 100; pid < 110; pid++)
		sbegin(c, ts++, pid, A, B, HEAD);
	corr_get_stats(c, &cs);
	assert_int_equal(cs.inflight_calls, 3);
	assert_int_equal(cs.cap_hits[CORR_CAP_TASKS], 7);
	assert_int_equal(cap_calls[CORR_CAP_TASKS], 1);
	/* pid 100 nests: A, then B, then C is one too deep */
	sbegin(c, ts++, 100, B, C, A);
	sbegin(c, ts++, 100, C, HEAD, B);
	corr_get_stats(c, &cs);
	assert_int_equal(cs.inflight_calls, 4);
	assert_int_equal(cs.cap_hits[CORR_CAP_DEPTH], 1);
	assert_int_equal(cap_limits[CORR_CAP_DEPTH], 2);
	/* a tracked call still catches free_while_running */
	fbegin(c, ts++, 300, A);
	fend(c, ts++, 300, A);
	assert_true(s.n >= 1);
	assert_int_equal(s.v[0].kind, ST_V_FREE_WHILE_RUNNING);
	corr_finish(c);
	corr_free(c);
}

/* The reorder window holds at most max_held events. */
static void test_cap_held(void **st)
{
	struct corr_opts o = { .reorder_window_ns = 1000 * SEC, .max_held = 8 };
	struct sink s;
	struct corr *c = mk_caps(&s, &o);
	struct corr_stats cs;

	for (uint64_t i = 0; i < 100; i++)
		push(c, ev(ST_SHRINKER_ALLOC, 1000 + i, 1, "mount", 0xffff888200000000ULL + i * 0x400));
	corr_get_stats(c, &cs);
	assert_int_equal(cs.held, 8);
	assert_int_equal(cs.held_max, 8);
	assert_int_equal(cs.cap_hits[CORR_CAP_HELD], 92);
	assert_int_equal(cap_calls[CORR_CAP_HELD], 1);
	assert_int_equal(s.events_out, 92);
	/* older than what the shortened window released: late, still processed */
	push(c, ev(ST_SHRINKER_ALLOC, 1000, 1, "mount", A));
	corr_finish(c);
	corr_get_stats(c, &cs);
	assert_int_equal(cs.late, 1);
	assert_int_equal(s.events_out, 101);
	assert_int_equal(s.out_of_order, 1);
	corr_free(c);
}

/* Remembered reports: beyond the cap violations are still reported. */
static void test_cap_reports(void **st)
{
	struct corr_opts o = { .reorder_window_ns = 0, .max_reports = 2 };
	struct sink s;
	struct corr *c = mk_caps(&s, &o);
	struct corr_stats cs;
	char buf[512] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	three(c);
	fbegin(c, 10 * MS, 200, A);
	fend(c, 11 * MS, 200, A);
	rcu(c, 12 * MS, A);
	sbegin(c, 13 * MS, 100, A, B, HEAD);	/* reported, remembered */
	sbegin(c, 14 * MS, 101, A, B, HEAD);	/* reported, remembered */
	sbegin(c, 15 * MS, 102, A, B, HEAD);	/* reported, not remembered */
	sbegin(c, 16 * MS, 102, A, B, HEAD);	/* so again */
	sbegin(c, 17 * MS, 100, A, B, HEAD);	/* remembered: not again */
	assert_int_equal(s.n, 4);
	corr_get_stats(c, &cs);
	assert_int_equal(cs.cap_hits[CORR_CAP_REPORTS], 2);
	assert_int_equal(cap_calls[CORR_CAP_REPORTS], 1);
	corr_finish(c);
	assert_int_equal(corr_print_caps(c, f), 1);
	fclose(f);
	assert_non_null(strstr(buf, "caps hit: 2 violations not remembered"));
	assert_non_null(strstr(buf, "(cap 2 reports)"));
	corr_free(c);
}

/* No cap hit: nothing printed; the defaults are the CORR_MAX_* values. */
static void test_caps_quiet_and_parse(void **st)
{
	struct corr_opts o = { 0 };
	struct sink s;
	struct corr *c = mk_caps(&s, NULL);
	char err[160], buf[160];

	three(c);
	corr_finish(c);
	assert_int_equal(corr_print_caps(c, stderr), 0);
	corr_free(c);
	assert_int_equal(corr_parse_caps("generations=4,tasks=2,depth=3,held=5,reports=6,"
					 "tombstones=7", &o, err, sizeof(err)), 0);
	assert_int_equal(o.max_generations, 4);
	assert_int_equal(o.max_tasks, 2);
	assert_int_equal(o.max_depth, 3);
	assert_int_equal(o.max_held, 5);
	assert_int_equal(o.max_reports, 6);
	assert_int_equal(o.max_tombstones, 7);
	assert_int_equal(corr_parse_caps(NULL, &o, err, sizeof(err)), 0);
	assert_int_equal(corr_parse_caps("", &o, err, sizeof(err)), 0);
	assert_int_equal(corr_parse_caps("gens=4", &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'gens' is not one of"));
	assert_int_equal(corr_parse_caps("tasks=0", &o, err, sizeof(err)), -1);
	assert_int_equal(corr_parse_caps("tasks=x", &o, err, sizeof(err)), -1);
	assert_int_equal(corr_parse_caps("tasks", &o, err, sizeof(err)), -1);
	assert_int_equal(corr_parse_caps("held=99999999999999999999", &o, err, sizeof(err)), -1);
	assert_non_null(corr_cap_warning(CORR_CAP_GENERATIONS, 1048576, buf, sizeof(buf)));
	assert_non_null(strstr(buf, "more than 1048576 live shrinker generations"));
}

/* The report names each shrinker with its numbers. */
static void test_report(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);
	char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	s.life = life_new();
	assert_non_null(s.life);
	three(c);
	sbegin(c, 1 * MS, 100, A, B, HEAD);
	send_(c, 2 * MS, 100, A, B, HEAD, 42);
	fbegin(c, 3 * MS, 200, A);
	fend(c, 5 * MS, 200, A);
	rcu(c, 8 * MS, A);
	corr_finish(c);
	life_print_report(s.life, f);
	fclose(f);
	/* lifecycle only: call counts are user/engine/stats.c's (on_call) */
	assert_non_null(strstr(buf, "shrinker sb-tmpfs: 1 generation (1 allocated, 1 registered, "
			       "1 RCU freed); 1 free, shrinker_free() wait avg 2.000000 ms max "
			       "2.000000 ms"));
	assert_null(strstr(buf, "call"));
	assert_null(strstr(buf, "objects freed"));
	assert_non_null(strstr(buf, "queue to RCU free avg 3.000000 ms"));
	assert_non_null(strstr(buf, "shrinker mm-shadow:"));
	corr_free(c);
	life_free(s.life);
}

static const struct life_name *life_of(const struct life *lc, const char *name)
{
	const struct life_name *v[16];
	size_t n = life_list_names(lc, v, 16);

	for (size_t i = 0; i < n && i < 16; i++)
		if (!strcmp(v[i]->name, name))
			return v[i];
	return NULL;
}

/* Lifecycle counters never go down: a generation whose name comes late (the
 * inferring backend names it at its kfree) waits unnamed, then counts once
 * under its name with every fact it had; the live gauge counts it meanwhile
 * under "(unnamed)"; a second name does not move it. */
static void test_lifecycle_late_name(void **st)
{
	struct sink s;
	struct corr *c = mk(&s, 0, 0, 0);
	const struct life_name *n;
	struct life_name pend;
	struct st_rec r;

	s.life = life_new();
	assert_non_null(s.life);
	/* first seen at a call, no name */
	sbegin(c, 1 * MS, 100, A, HEAD, HEAD);
	send_(c, 2 * MS, 100, A, HEAD, HEAD, 1);
	assert_int_equal(life_pending(s.life, &pend), 1);
	assert_int_equal(pend.generations, 1);
	assert_null(life_of(s.life, "sb-tmpfs"));
	assert_null(life_of(s.life, "(unnamed)"));	/* nothing counted yet */
	fbegin(c, 3 * MS, 200, A);
	fend(c, 5 * MS, 200, A);
	/* the name arrives (rcu_free naming it, as the tracepoint backend does) */
	r = ev(ST_RCU_FREE, 8 * MS, 0, "swapper/1", A);
	snprintf(r.name, sizeof(r.name), "sb-tmpfs");
	r.has |= ST_HAS_NAME;
	push(c, r);
	corr_finish(c);
	assert_int_equal(life_pending(s.life, &pend), 0);
	n = life_of(s.life, "sb-tmpfs");
	assert_non_null(n);
	assert_int_equal(n->generations, 1);
	assert_int_equal(n->allocated, 0);
	assert_int_equal(n->frees, 1);
	assert_int_equal(n->free_wait_total, 2 * MS);
	assert_int_equal(n->rcu_freed, 1);
	assert_int_equal(n->rcu_timed, 1);
	assert_int_equal(n->rcu_wait_total, 3 * MS);
	assert_int_equal(n->free_hist[stats_hist_slot(2 * MS)], 1);
	assert_int_equal(life_live(n), 0);
	assert_null(life_of(s.life, "(unnamed)"));
	/* a registered generation, renamed later: stays where it was counted */
	reg(c, 10 * MS, B, "sb-ramfs");
	r = ev(ST_SHRINK_BEGIN, 11 * MS, 100, "kswapd0", B);
	snprintf(r.name, sizeof(r.name), "renamed");
	r.has |= ST_HAS_NAME;
	push(c, r);
	corr_finish(c);
	n = life_of(s.life, "sb-ramfs");
	assert_non_null(n);
	assert_int_equal(n->generations, 1);
	assert_int_equal(n->registered, 1);
	assert_int_equal(n->allocated, 1);
	assert_int_equal(life_live(n), 1);
	assert_null(life_of(s.life, "renamed"));
	corr_free(c);
	life_free(s.life);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_interleaving),
		cmocka_unit_test(test_correct_kernel_waits),
		cmocka_unit_test(test_walk_onto_queued),
		cmocka_unit_test(test_walk_onto_unlinked_snapshot),
		cmocka_unit_test(test_walk_onto_freeing_clean),
		cmocka_unit_test(test_free_while_running_two_walkers),
		cmocka_unit_test(test_free_after_call_clean),
		cmocka_unit_test(test_stale_next_queued_and_twins),
		cmocka_unit_test(test_near_miss_margin),
		cmocka_unit_test(test_stale_next_not_in_memcg_walk),
		cmocka_unit_test(test_close_calls),
		cmocka_unit_test(test_double_free),
		cmocka_unit_test(test_address_reuse_clean),
		cmocka_unit_test(test_rcu_unseen_on_reuse),
		cmocka_unit_test(test_use_after_free_on_free_begin),
		cmocka_unit_test(test_stuck_free_by_advance),
		cmocka_unit_test(test_stuck_free_no_walker),
		cmocka_unit_test(test_slow_free_clean),
		cmocka_unit_test(test_lost_makes_uncertain),
		cmocka_unit_test(test_reorder_window),
		cmocka_unit_test(test_reorder_many_and_stable),
		cmocka_unit_test(test_late_events),
		cmocka_unit_test(test_memcg_shrink_empty_double_call),
		cmocka_unit_test(test_linux61),
		cmocka_unit_test(test_tracepoint_inferred),
		cmocka_unit_test(test_tombstone_cap),
		cmocka_unit_test(test_bounded_by_live_state),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_lifecycle_late_name),
		cmocka_unit_test(test_cap_generations),
		cmocka_unit_test(test_cap_tasks_depth),
		cmocka_unit_test(test_cap_held),
		cmocka_unit_test(test_cap_reports),
		cmocka_unit_test(test_caps_quiet_and_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
