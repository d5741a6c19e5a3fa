/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests of the per-shrinker statistics (user/engine/stats.c) and of the
 * correlator's on_call / on_walk / corr_lookup that feed them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/correlate.h"
#include "log/reader.h"
#include "engine/stats.h"
#include "sinks/tables.h"

#define A 0xffff888100001000ULL
#define B 0xffff888100002000ULL
#define C 0xffff888100003000ULL
#define D 0xffff888100004000ULL
#define E 0xffff888100005000ULL

/* ---- helpers ---------------------------------------------------------------- */

static struct corr_call call(uint64_t serial, uint64_t addr, const char *name, int pid,
			     const char *comm, uint64_t dur, uint64_t freed)
{
	struct corr_call c;

	memset(&c, 0, sizeof(c));
	c.serial = serial;
	c.shrinker = addr;
	c.name = name;
	c.pid = pid;
	snprintf(c.comm, sizeof(c.comm), "%s", comm);
	c.flags = CORR_CALL_BEGIN | CORR_CALL_DURATION | CORR_CALL_FREED | CORR_CALL_NR_TO_SCAN;
	c.duration_ns = dur;
	c.freed = freed;
	c.nr_to_scan = 128;
	c.nid = 0;
	return c;
}

static void add(struct stats *s, struct corr_call c)
{
	assert_int_equal(stats_add_call(s, &c), 0);
}

/* Everything stats_print_* write, into a string (freed by the caller). */
struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static void cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

static char *cap_close(struct capture *c)
{
	assert_int_equal(fclose(c->f), 0);
	return c->buf;
}

/* Display columns of a UTF-8 line. */
static unsigned cols(const char *s, const char *end)
{
	unsigned n = 0;

	for (; s < end; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* ---- histogram and percentiles ------------------------------------------------ */

static void test_hist_slot(void **st)
{
	(void)st;
	assert_int_equal(stats_hist_slot(0), 0);
	assert_int_equal(stats_hist_slot(1), 1);
	assert_int_equal(stats_hist_slot(2), 2);
	assert_int_equal(stats_hist_slot(3), 2);
	assert_int_equal(stats_hist_slot(4), 3);
	assert_int_equal(stats_hist_slot(511), 9);
	assert_int_equal(stats_hist_slot(512), 10);
	assert_int_equal(stats_hist_slot(1023), 10);
	assert_int_equal(stats_hist_slot(1024), 11);
	assert_int_equal(stats_hist_slot((1ULL << 38) - 1), 38);
	assert_int_equal(stats_hist_slot(1ULL << 38), 39);	/* the last slot ... */
	assert_int_equal(stats_hist_slot(1ULL << 45), 39);	/* ... takes the rest */
	assert_int_equal(stats_hist_slot(UINT64_MAX), ST_HIST_SLOTS - 1);
}

static void test_percentile_rule(void **st)
{
	__u64 h[ST_HIST_SLOTS];

	(void)st;
	memset(h, 0, sizeof(h));
	assert_int_equal(stats_percentile(h, 0, 500), 0);	/* empty */

	/* one sample of 1000 ns: slot 10 = [512, 1024); 512 + 512 * 1/1 = 1024,
	 * clamped to the max */
	h[stats_hist_slot(1000)] = 1;
	assert_int_equal(stats_percentile(h, 1000, 500), 1000);
	assert_int_equal(stats_percentile(h, 1000, 990), 1000);

	/* 100, 200, 300, 400 ns: slots 7, 8, 9, 9 */
	memset(h, 0, sizeof(h));
	h[7] = 1;
	h[8] = 1;
	h[9] = 2;
	/* p50: rank ceil(0.5 * 4) = 2 -> slot 8 (1 below): 128 + 128 * 1/1 */
	assert_int_equal(stats_percentile(h, 400, 500), 256);
	/* p25: rank 1 -> slot 7: 64 + 64 * 1/1 */
	assert_int_equal(stats_percentile(h, 400, 250), 128);
	/* p99: rank ceil(3.96) = 4 -> slot 9 (2 below): 256 + 256 * 2/2 = 512 -> max 400 */
	assert_int_equal(stats_percentile(h, 400, 990), 400);
	/* p75: rank 3 -> slot 9: 256 + 256 * 1/2 = 384 */
	assert_int_equal(stats_percentile(h, 400, 750), 384);

	/* 10 samples in slot 10, max 1023 */
	memset(h, 0, sizeof(h));
	h[10] = 10;
	assert_int_equal(stats_percentile(h, 1023, 500), 768);	/* 512 + 512 * 5/10 */
	assert_int_equal(stats_percentile(h, 1023, 100), 563);	/* 512 + floor(512 / 10) */
	assert_int_equal(stats_percentile(h, 1023, 990), 1023);	/* 1024, clamped */
	assert_int_equal(stats_percentile(h, 1023, 0), 563);	/* rank at least 1 */

	/* zeros: 3 samples of 0 ns, one of 5 ns */
	memset(h, 0, sizeof(h));
	h[0] = 3;
	h[3] = 1;
	assert_int_equal(stats_percentile(h, 5, 500), 0);
	assert_int_equal(stats_percentile(h, 5, 750), 0);	/* rank 3 is still a 0 */
	assert_int_equal(stats_percentile(h, 5, 990), 5);	/* 4 + 4 * 1/1, clamped */

	/* the last slot runs up to the observed max */
	memset(h, 0, sizeof(h));
	h[ST_HIST_SLOTS - 1] = 2;
	assert_int_equal(stats_percentile(h, 1ULL << 40, 500),
			 (1ULL << 38) + ((1ULL << 40) - (1ULL << 38)) / 2);
	assert_int_equal(stats_percentile(h, 1ULL << 40, 1000), 1ULL << 40);

	/* huge counts do not overflow */
	memset(h, 0, sizeof(h));
	h[20] = UINT64_MAX / 2;
	h[21] = UINT64_MAX / 2;
	assert_int_equal(stats_percentile(h, 1ULL << 21, 500), 1ULL << 20);
	assert_int_equal(stats_percentile(h, 1ULL << 21, 1000), 1ULL << 21);
}

static void test_fmt_ns(void **st)
{
	char b[32];

	(void)st;
	assert_string_equal(stats_fmt_ns(0, b, sizeof(b)), "0ns");
	assert_string_equal(stats_fmt_ns(999, b, sizeof(b)), "999ns");
	assert_string_equal(stats_fmt_ns(1000, b, sizeof(b)), "1.00µs");
	assert_string_equal(stats_fmt_ns(1234, b, sizeof(b)), "1.23µs");
	assert_string_equal(stats_fmt_ns(12345, b, sizeof(b)), "12.3µs");
	assert_string_equal(stats_fmt_ns(123456, b, sizeof(b)), "123µs");
	assert_string_equal(stats_fmt_ns(999499, b, sizeof(b)), "999µs");
	assert_string_equal(stats_fmt_ns(999500, b, sizeof(b)), "1.00ms");
	assert_string_equal(stats_fmt_ns(45600000, b, sizeof(b)), "45.6ms");
	assert_string_equal(stats_fmt_ns(2000000000, b, sizeof(b)), "2.00s");
	assert_string_equal(stats_fmt_ns(1234567890123ULL, b, sizeof(b)), "1235s");
}

/* ---- aggregation ---------------------------------------------------------------- */

static void test_call_counts(void **st)
{
	struct stats *s = stats_new(NULL);
	const struct stats_name *n;
	const struct stats_gen *g;
	const struct stats_task *t;
	struct stats_totals tot;
	struct corr_call c;

	(void)st;
	assert_non_null(s);
	add(s, call(1, A, "sb-ext4", 100, "kswapd0", 3000, 100));
	add(s, call(1, A, "sb-ext4", 300, "cc1", 20000, 0));		/* zero */
	add(s, call(2, B, "sb-ext4", 100, "kswapd0", 0, ST_FREED_EMPTY));	/* 0 ns, empty */
	c = call(2, B, "sb-ext4", 300, "cc1", 0, 7);
	c.flags &= ~(CORR_CALL_DURATION | CORR_CALL_BEGIN | CORR_CALL_NR_TO_SCAN);
	add(s, c);							/* untimed */
	c = call(3, C, "", 300, "cc1", 50, 0);
	c.flags &= ~CORR_CALL_FREED;					/* freed unknown */
	add(s, c);

	n = stats_get_name(s, "sb-ext4");
	assert_non_null(n);
	assert_int_equal(n->gens, 2);
	assert_int_equal(n->c.calls, 4);
	assert_int_equal(n->untimed, 1);
	assert_int_equal(n->c.zero_calls, 1);
	assert_int_equal(n->c.empty_calls, 1);
	assert_int_equal(n->c.scanned, 3 * 128);
	assert_int_equal(n->c.freed, 107);
	assert_int_equal(n->c.total_ns, 23000);
	assert_int_equal(n->c.max_ns, 20000);
	assert_int_equal(n->c.hist[0], 1);			/* the 0 ns call */
	assert_int_equal(n->c.hist[12], 1);			/* 3000 in [2048, 4096) */
	assert_int_equal(n->c.hist[15], 1);			/* 20000 in [16384, 32768) */
	for (int k = 0; k < ST_HIST_SLOTS; k++)
		if (k != 0 && k != 12 && k != 15)
			assert_int_equal(n->c.hist[k], 0);

	n = stats_get_name(s, STATS_UNNAMED);			/* "" */
	assert_non_null(n);
	assert_int_equal(n->c.calls, 1);
	assert_int_equal(n->c.zero_calls, 0);			/* unknown is not zero */
	assert_int_equal(n->c.freed, 0);
	assert_ptr_equal(stats_get_name(s, ""), n);

	g = stats_get_gen(s, 2);
	assert_non_null(g);
	assert_int_equal(g->addr, B);
	assert_string_equal(g->name, "sb-ext4");
	assert_int_equal(g->calls, 2);
	assert_int_equal(g->empty_calls, 1);
	assert_int_equal(g->freed, 7);
	assert_int_equal(g->untimed, 1);
	assert_int_equal(g->total_ns, 0);
	assert_null(stats_get_gen(s, 99));

	t = stats_get_task(s, 300);
	assert_non_null(t);
	assert_string_equal(t->comm, "cc1");
	assert_int_equal(t->calls, 3);
	assert_int_equal(t->untimed, 1);
	assert_int_equal(t->total_ns, 20050);
	assert_int_equal(t->max_ns, 20000);
	t = stats_get_task(s, 100);
	assert_int_equal(t->calls, 2);
	assert_int_equal(t->total_ns, 3000);
	assert_null(stats_get_task(s, -1));

	stats_get_totals(s, &tot);
	assert_int_equal(tot.calls, 5);
	assert_int_equal(tot.untimed, 1);
	assert_int_equal(tot.zero_calls, 1);
	assert_int_equal(tot.empty_calls, 1);
	assert_int_equal(tot.freed, 107);
	assert_int_equal(tot.total_ns, 23050);
	assert_int_equal(tot.max_ns, 20000);
	assert_int_equal(tot.names, 2);
	assert_int_equal(tot.gens, 3);
	assert_int_equal(tot.tasks, 2);
	stats_free(s);
}

static void test_walks(void **st)
{
	struct stats *s = stats_new(NULL);
	struct corr_walk w;
	struct stats_walk out;

	(void)st;
	memset(&w, 0, sizeof(w));
	w.flags = CORR_WALK_BEGIN | CORR_WALK_DURATION | CORR_WALK_FREED;
	w.duration_ns = 5000;
	w.calls = 3;
	w.calls_freed = 90;
	w.freed = 100;
	assert_int_equal(stats_add_walk(s, &w), 0);
	w.duration_ns = 30000;
	w.calls = 2;
	w.freed = 207;
	assert_int_equal(stats_add_walk(s, &w), 0);
	/* no walk_begin, no freed: untimed, the calls' sum counts */
	w.flags = 0;
	w.calls = 1;
	w.calls_freed = 4;
	assert_int_equal(stats_add_walk(s, &w), 0);
	stats_get_walk(s, &out);
	assert_int_equal(out.walks, 3);
	assert_int_equal(out.untimed, 1);
	assert_int_equal(out.calls, 6);
	assert_int_equal(out.max_calls, 3);
	assert_int_equal(out.freed, 311);
	assert_int_equal(out.total_ns, 35000);
	assert_int_equal(out.max_ns, 30000);
	assert_int_equal(out.hist[13], 1);
	assert_int_equal(out.hist[15], 1);
	assert_int_equal(out.hist[0], 0);	/* the untimed walk is not a 0 ns walk */
	stats_free(s);
}

/* ---- memory caps ------------------------------------------------------------------ */

static void test_cap_names(void **st)
{
	struct stats_limits lim = { .max_names = 2 };
	struct stats *s = stats_new(&lim);
	struct stats_folded fo;
	struct stats_totals tot;
	const struct stats_name *o;

	(void)st;
	add(s, call(1, A, "a", 1, "x", 10, 1));
	add(s, call(2, B, "b", 1, "x", 10, 1));
	add(s, call(3, C, "c", 1, "x", 10, 1));
	add(s, call(4, D, "d", 1, "x", 10, 1));
	add(s, call(3, C, "c", 1, "x", 10, 1));
	add(s, call(1, A, "a", 1, "x", 10, 1));		/* known names still count */
	assert_null(stats_get_name(s, "c"));
	assert_int_equal(stats_get_name(s, "a")->c.calls, 2);
	o = stats_get_name(s, STATS_OTHER_NAME);
	assert_non_null(o);
	assert_int_equal(o->c.calls, 3);
	assert_int_equal(o->gens, 2);
	assert_int_equal(o->c.total_ns, 30);
	stats_get_folded(s, &fo);
	assert_int_equal(fo.other_name_calls, 3);
	assert_int_equal(fo.gens_folded, 0);
	assert_int_equal(fo.other_task_calls, 0);
	stats_get_totals(s, &tot);
	assert_int_equal(tot.calls, 6);
	assert_int_equal(tot.names, 3);		/* a, b, (other) */
	/* the generation keeps its own name */
	assert_string_equal(stats_get_gen(s, 3)->name, STATS_OTHER_NAME);
	stats_free(s);
}

static void test_cap_gens(void **st)
{
	struct stats_limits lim = { .max_gens = 4 };
	struct stats *s = stats_new(&lim);
	struct stats_folded fo;
	struct stats_totals tot;

	(void)st;
	add(s, call(1, A, "n", 1, "x", 10, 1));
	add(s, call(2, B, "n", 1, "x", 10, 1));
	add(s, call(3, C, "n", 1, "x", 10, 1));
	add(s, call(4, D, "n", 1, "x", 10, 1));
	/* 5 takes A's address: 1 is finished, and is folded before any other */
	add(s, call(5, A, "n", 1, "x", 10, 1));
	assert_null(stats_get_gen(s, 1));
	assert_non_null(stats_get_gen(s, 2));
	/* 2 is called again: 3 is now the least recently called */
	add(s, call(2, B, "n", 1, "x", 10, 1));
	add(s, call(6, E, "n", 1, "x", 10, 1));
	assert_null(stats_get_gen(s, 3));
	assert_non_null(stats_get_gen(s, 2));
	assert_non_null(stats_get_gen(s, 4));
	assert_non_null(stats_get_gen(s, 5));
	assert_non_null(stats_get_gen(s, 6));
	stats_get_folded(s, &fo);
	assert_int_equal(fo.gens_folded, 2);
	stats_get_totals(s, &tot);
	assert_int_equal(tot.gens, 4);
	/* folded generations stay in the sums */
	assert_int_equal(tot.calls, 7);
	assert_int_equal(stats_get_name(s, "n")->c.calls, 7);
	assert_int_equal(stats_get_name(s, "n")->gens, 6);
	stats_free(s);
}

static void test_cap_tasks(void **st)
{
	struct stats_limits lim = { .max_tasks = 2 };
	struct stats *s = stats_new(&lim);
	const struct stats_task *o;
	struct stats_folded fo;

	(void)st;
	add(s, call(1, A, "n", 1, "one", 10, 1));
	add(s, call(1, A, "n", 2, "two", 20, 1));
	add(s, call(1, A, "n", 3, "three", 30, 1));
	add(s, call(1, A, "n", 4, "four", 40, 1));
	add(s, call(1, A, "n", 2, "two", 20, 1));
	assert_null(stats_get_task(s, 3));
	assert_int_equal(stats_get_task(s, 2)->calls, 2);
	o = stats_get_task(s, -1);
	assert_non_null(o);
	assert_string_equal(o->comm, STATS_OTHER_TASKS);
	assert_int_equal(o->calls, 2);
	assert_int_equal(o->total_ns, 70);
	assert_int_equal(o->max_ns, 40);
	stats_get_folded(s, &fo);
	assert_int_equal(fo.other_task_calls, 2);
	stats_free(s);
}

/* ---- sorting ------------------------------------------------------------------------ */

static void check_order(struct stats *s, enum stats_sort key, const char *want)
{
	const struct stats_name *v[8];
	char got[128] = "";
	size_t n = stats_sorted_names(s, key, v, 8);

	for (size_t i = 0; i < n && i < 8; i++) {
		strcat(got, v[i]->name);
		strcat(got, i + 1 < n ? " " : "");
	}
	assert_string_equal(got, want);
}

static void test_sort_order(void **st)
{
	struct stats *s = stats_new(NULL);

	(void)st;
	/* slow: 1 call of 1 ms; busy: 3 calls of 10 us, frees much; idle: 2 zero calls,
	 * p99 high; tie-a/tie-b: equal in everything but the name */
	add(s, call(1, A, "slow", 1, "x", 1000000, 5));
	for (int i = 0; i < 3; i++)
		add(s, call(2, B, "busy", 1, "x", 10000, 1000));
	add(s, call(3, C, "idle", 1, "x", 1000, 0));
	add(s, call(3, C, "idle", 1, "x", 500000, 0));
	add(s, call(4, D, "tie-b", 1, "x", 100, 1));
	add(s, call(5, E, "tie-a", 1, "x", 100, 1));

	check_order(s, STATS_SORT_TIME, "slow idle busy tie-a tie-b");
	check_order(s, STATS_SORT_CALLS, "busy idle slow tie-a tie-b");
	check_order(s, STATS_SORT_FREED, "busy slow tie-a tie-b idle");
	check_order(s, STATS_SORT_MAX, "slow idle busy tie-a tie-b");
	check_order(s, STATS_SORT_ZERO, "idle busy slow tie-a tie-b");
	check_order(s, STATS_SORT_NAME, "busy idle slow tie-a tie-b");
	/* p99 of idle: its 500 us call, slot [262144, 524288) -> 524288, clamped:
	 * 500000; slow: 1048576 clamped to 1000000 */
	check_order(s, STATS_SORT_P99, "slow idle busy tie-a tie-b");

	assert_int_equal(stats_sort_from_name("p99"), STATS_SORT_P99);
	assert_int_equal(stats_sort_from_name("zero"), STATS_SORT_ZERO);
	assert_int_equal(stats_sort_from_name("bogus"), -1);
	assert_string_equal(stats_sort_name(STATS_SORT_FREED), "freed");
	stats_free(s);
}

/* ---- kernel-side aggregates: replace semantics ---------------------------------------- */

static void test_kernel_replace(void **st)
{
	struct stats *s = stats_new(NULL);
	struct st_call_stat k;
	struct st_walk_stat kw[ST_WALK_STAT_N];
	struct st_task_stat kt;
	const struct stats_name *n;
	const struct stats_gen *g;
	struct stats_totals tot;
	struct stats_walk w;
	struct corr_walk ew;

	(void)st;
	memset(&k, 0, sizeof(k));
	k.calls = 10;
	k.zero_calls = 2;
	k.freed = 500;
	k.total_ns = 10000;
	k.max_ns = 3000;
	k.hist[10] = 8;
	k.hist[12] = 2;
	assert_int_equal(stats_set_kernel_call(s, 7, A, "sb-xfs", &k, false), 0);
	/* an interval later: absolute totals again, grown */
	k.calls = 15;
	k.freed = 800;
	k.total_ns = 16000;
	k.max_ns = 4000;
	k.hist[10] = 12;
	k.hist[12] = 3;
	assert_int_equal(stats_set_kernel_call(s, 7, A, "sb-xfs", &k, false), 0);
	/* an event-fed call on another generation of the same name adds */
	add(s, call(8, B, "sb-xfs", 1, "x", 100, 1));

	n = stats_get_name(s, "sb-xfs");
	assert_int_equal(n->c.calls, 16);		/* 15, not 25, + 1 */
	assert_int_equal(n->c.zero_calls, 2);
	assert_int_equal(n->c.freed, 801);
	assert_int_equal(n->c.total_ns, 16100);
	assert_int_equal(n->c.max_ns, 4000);
	assert_int_equal(n->c.hist[10], 12);
	assert_int_equal(n->c.hist[12], 3);
	assert_int_equal(n->c.hist[7], 1);
	assert_int_equal(n->gens, 2);
	g = stats_get_gen(s, 7);
	assert_int_equal(g->calls, 15);
	assert_int_equal(g->freed, 800);
	assert_int_equal(g->total_ns, 16000);
	stats_get_totals(s, &tot);
	assert_int_equal(tot.calls, 16);
	assert_int_equal(tot.freed, 801);
	assert_int_equal(tot.total_ns, 16100);

	/* a later, different name gets only what grew since: what sb-xfs got
	 * stays there (counters never go down) */
	k.calls = 18;
	k.freed = 900;
	k.hist[10] = 15;
	assert_int_equal(stats_set_kernel_call(s, 7, A, "sb-btrfs", &k, false), 0);
	assert_int_equal(stats_get_name(s, "sb-xfs")->c.calls, 16);
	assert_int_equal(stats_get_name(s, "sb-xfs")->c.hist[10], 12);
	assert_int_equal(stats_get_name(s, "sb-btrfs")->c.calls, 3);
	assert_int_equal(stats_get_name(s, "sb-btrfs")->c.freed, 100);
	assert_int_equal(stats_get_name(s, "sb-btrfs")->c.hist[10], 3);
	assert_int_equal(stats_get_name(s, "sb-btrfs")->gens, 1);
	assert_int_equal(stats_get_gen(s, 7)->calls, 18);
	stats_get_totals(s, &tot);
	assert_int_equal(tot.calls, 19);

	/* walks: the kernel snapshot replaces, event walks add; the kernel's
	 * entries are by trigger and memcg class (trigger * 2 + memcg) */
	memset(kw, 0, sizeof(kw));
	kw[ST_TRIG_KSWAPD * 2].walks = 4;
	kw[ST_TRIG_KSWAPD * 2].calls = 40;
	kw[ST_TRIG_KSWAPD * 2].total_ns = 4000;
	kw[ST_TRIG_KSWAPD * 2].max_ns = 2000;
	kw[ST_TRIG_KSWAPD * 2].hist[11] = 4;
	stats_set_kernel_walk(s, kw);
	kw[ST_TRIG_KSWAPD * 2].walks = 6;
	kw[ST_TRIG_KSWAPD * 2].calls = 60;
	kw[ST_TRIG_KSWAPD * 2].hist[11] = 6;
	kw[ST_TRIG_DROP_CACHES * 2 + 1].walks = 2;
	kw[ST_TRIG_DROP_CACHES * 2 + 1].hist[3] = 2;
	stats_set_kernel_walk(s, kw);
	memset(&ew, 0, sizeof(ew));
	ew.flags = CORR_WALK_DURATION;
	ew.duration_ns = 100;
	ew.calls = 1;
	stats_add_walk(s, &ew);
	stats_get_walk(s, &w);
	assert_int_equal(w.walks, 9);
	assert_int_equal(w.calls, 61);
	assert_int_equal(w.hist[11], 6);
	assert_int_equal(w.hist[7], 1);
	assert_int_equal(w.hist[3], 2);
	assert_int_equal(w.max_ns, 2000);
	/* ... by class and trigger: the event walk had no walk_begin */
	stats_get_walk_by(s, STATS_WALK_GLOBAL, ST_TRIG_KSWAPD, &w);
	assert_int_equal(w.walks, 6);
	stats_get_walk_by(s, STATS_WALK_MEMCG, ST_TRIG_DROP_CACHES, &w);
	assert_int_equal(w.walks, 2);
	stats_get_walk_by(s, STATS_WALK_UNKNOWN, ST_TRIG_UNKNOWN, &w);
	assert_int_equal(w.walks, 1);
	stats_get_walk_class(s, STATS_WALK_GLOBAL, &w);
	assert_int_equal(w.walks, 6);
	stats_get_walk_cause(s, ST_TRIG_DROP_CACHES, &w);
	assert_int_equal(w.walks, 2);
	stats_get_walk_by(s, STATS_WALK_MEMCG, ST_WALK_CAUSES, &w);	/* out of range */
	assert_int_equal(w.walks, 0);
	/* a memcg walk's limit is a cause of its own */
	assert_int_equal(st_walk_cause(ST_TRIG_MEMCG, ST_LIMIT_HIGH), ST_TRIG_MAX);
	assert_int_equal(st_walk_cause(ST_TRIG_MEMCG, 0), ST_TRIG_MEMCG);
	assert_int_equal(st_walk_cause(ST_TRIG_KSWAPD, ST_LIMIT_HIGH), ST_TRIG_KSWAPD);
	assert_string_equal(stats_walk_cause_name(ST_TRIG_MAX + ST_LIMIT_RECLAIM - 1), "memcg_reclaim");
	assert_string_equal(stats_walk_cause_name(ST_TRIG_KSWAPD), "kswapd");

	/* tasks */
	memset(&kt, 0, sizeof(kt));
	kt.calls = 3;
	kt.total_ns = 300;
	kt.max_ns = 200;
	strcpy(kt.comm, "kswapd0");
	assert_int_equal(stats_set_kernel_task(s, 100, &kt), 0);
	kt.calls = 5;
	kt.total_ns = 900;
	kt.max_ns = 600;
	assert_int_equal(stats_set_kernel_task(s, 100, &kt), 0);
	assert_int_equal(stats_get_task(s, 100)->calls, 5);
	assert_int_equal(stats_get_task(s, 100)->total_ns, 900);
	assert_int_equal(stats_get_task(s, 100)->max_ns, 600);
	assert_string_equal(stats_get_task(s, 100)->comm, "kswapd0");
	stats_free(s);
}

/* Stats-only: a generation without a name yet counts nothing until it has
 * one (then everything goes under the name), or until it ends unnamed (then
 * under "(unnamed)"); no name's numbers ever go down. */
static void test_kernel_calls_wait_for_name(void **st)
{
	struct stats *s = stats_new(NULL);
	struct st_call_stat k;
	struct stats_totals tot;

	(void)st;
	memset(&k, 0, sizeof(k));
	k.calls = 4;
	k.freed = 40;
	k.hist[9] = 4;
	assert_int_equal(stats_set_kernel_call(s, 1, A, "", &k, false), 0);
	assert_null(stats_get_name(s, ""));
	assert_null(stats_get_gen(s, 1));
	stats_get_totals(s, &tot);
	assert_int_equal(tot.calls, 0);
	k.calls = 6;
	k.hist[9] = 6;
	assert_int_equal(stats_set_kernel_call(s, 1, A, "sb-tmpfs", &k, false), 0);
	assert_null(stats_get_name(s, ""));
	assert_int_equal(stats_get_name(s, "sb-tmpfs")->c.calls, 6);
	assert_int_equal(stats_get_name(s, "sb-tmpfs")->c.hist[9], 6);
	/* the name stays once given: a snapshot without one (the correlator
	 * forgot the generation's name) adds under "(unnamed)" only when final */
	k.calls = 7;
	assert_int_equal(stats_set_kernel_call(s, 1, A, "", &k, false), 0);
	assert_int_equal(stats_get_name(s, "sb-tmpfs")->c.calls, 6);
	/* one that ends unnamed: counted as such */
	memset(&k, 0, sizeof(k));
	k.calls = 2;
	assert_int_equal(stats_set_kernel_call(s, 2, B, "", &k, false), 0);
	assert_null(stats_get_name(s, ""));
	assert_int_equal(stats_set_kernel_call(s, 2, B, "", &k, true), 0);
	assert_int_equal(stats_get_name(s, "")->c.calls, 2);
	assert_string_equal(stats_get_gen(s, 2)->name, STATS_UNNAMED);
	stats_get_totals(s, &tot);
	assert_int_equal(tot.calls, 8);
	/* a kernel entry that starts again (evicted) never takes anything back */
	k.calls = 1;
	assert_int_equal(stats_set_kernel_call(s, 2, B, "", &k, true), 0);
	assert_int_equal(stats_get_name(s, "")->c.calls, 2);
	k.calls = 3;
	assert_int_equal(stats_set_kernel_call(s, 2, B, "", &k, true), 0);
	assert_int_equal(stats_get_name(s, "")->c.calls, 4);
	stats_free(s);
}

/* A kernel-fed generation that is still current is never folded by the cap. */
static void test_kernel_gens_exempt(void **st)
{
	struct stats_limits lim = { .max_gens = 2 };
	struct stats *s = stats_new(&lim);
	struct st_call_stat k;
	struct stats_folded fo;

	(void)st;
	memset(&k, 0, sizeof(k));
	k.calls = 1;
	for (uint64_t i = 1; i <= 4; i++)
		assert_int_equal(stats_set_kernel_call(s, i, A + i * 0x1000, "k", &k, false), 0);
	for (uint64_t i = 1; i <= 4; i++)
		assert_non_null(stats_get_gen(s, i));
	/* set again: replaced, not added */
	for (uint64_t i = 1; i <= 4; i++)
		assert_int_equal(stats_set_kernel_call(s, i, A + i * 0x1000, "k", &k, false), 0);
	assert_int_equal(stats_get_name(s, "k")->c.calls, 4);
	/* a new generation at the address of 1: 1 is finished and may go */
	assert_int_equal(stats_set_kernel_call(s, 5, A + 0x1000, "k", &k, false), 0);
	assert_null(stats_get_gen(s, 1));
	stats_get_folded(s, &fo);
	assert_int_equal(fo.gens_folded, 1);
	assert_int_equal(stats_get_name(s, "k")->c.calls, 5);
	stats_free(s);
}

/* ---- rendering ------------------------------------------------------------------------ */

static void test_print_top_rows_and_width(void **st)
{
	struct stats *s = stats_new(NULL);
	struct stats_print_opts o = { .sort = STATS_SORT_CALLS, .top_n = 2, .span_ns = 2000000000,
				      .show_lost = true, .lost = 7 };
	struct capture c;
	char *out, *line, *nl;
	unsigned lines, n = 0;

	(void)st;
	for (int i = 0; i < 3; i++)
		add(s, call(1, A, "a-shrinker-with-a-very-long-name-indeed", 1, "x", 1000, 1));
	add(s, call(2, B, "b", 1, "x", 1000, 1));
	add(s, call(2, B, "b", 1, "x", 1000, 1));
	add(s, call(3, C, "c", 1, "x", 1000, 0));

	cap_open(&c);
	lines = stats_print_top(s, c.f, &o);
	out = cap_close(&c);
	assert_int_equal(lines, 5);	/* totals, header, 2 rows, "... 1 more" */
	assert_non_null(strstr(out, "shrinkers: events over 2.00s, 0 walks, 6 calls, 5 objects "
				"freed, 6.00µs in shrinkers, 7 events lost\n"));
	assert_non_null(strstr(out, "\n... 1 more (sorted by calls)\n"));
	assert_non_null(strstr(out, "SCANNED"));
	assert_non_null(strstr(out, "a-shrinker-with-a-very-long-name-indeed  "));
	assert_null(strstr(out, "\nc "));
	free(out);

	/* 60 columns: no line is wider, columns dropped, the long name cut */
	o.width = 60;
	cap_open(&c);
	stats_print_top(s, c.f, &o);
	out = cap_close(&c);
	for (line = out; *line; line = nl + 1, n++) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		assert_true(cols(line, nl) <= 60);
	}
	assert_int_equal(n, 5);
	assert_null(strstr(out, "SCANNED"));
	assert_null(strstr(out, "EMPTY"));
	assert_non_null(strstr(out, "CALLS"));
	assert_non_null(strstr(out, "TOTAL"));
	assert_non_null(strstr(out, "~"));
	free(out);

	/* top_n 0: every row */
	o.width = 0;
	o.top_n = 0;
	cap_open(&c);
	lines = stats_print_top(s, c.f, &o);
	out = cap_close(&c);
	assert_int_equal(lines, 5);
	assert_null(strstr(out, "more"));
	assert_non_null(strstr(out, "\nc "));
	free(out);
	stats_free(s);
}

static void test_print_hist(void **st)
{
	__u64 h[ST_HIST_SLOTS];
	struct capture c;
	char *out;

	(void)st;
	memset(h, 0, sizeof(h));
	h[10] = 4;
	h[12] = 1;
	cap_open(&c);
	stats_print_hist(c.f, h);
	out = cap_close(&c);
	assert_string_equal(out,
		"     nsecs               : count     distribution\n"
		"       512 -> 1023       : 4        |****************************************|\n"
		"      1024 -> 2047       : 0        |                                        |\n"
		"      2048 -> 4095       : 1        |**********                              |\n");
	free(out);
	/* empty: nothing */
	memset(h, 0, sizeof(h));
	cap_open(&c);
	stats_print_hist(c.f, h);
	out = cap_close(&c);
	assert_string_equal(out, "");
	free(out);
}

static void test_report_sections(void **st)
{
	struct stats *s = stats_new(NULL);
	struct stats_print_opts o = { .sort = STATS_SORT_TIME };
	struct corr_walk w;
	struct capture c;
	char *out;

	(void)st;
	for (int i = 0; i < 4; i++) {
		char name[16];

		snprintf(name, sizeof(name), "s%d", i);
		add(s, call((uint64_t)i + 1, A + (uint64_t)i * 0x1000, name, 100 + i, "t",
			    (uint64_t)(i + 1) * 1000, 1));
	}
	memset(&w, 0, sizeof(w));
	w.flags = CORR_WALK_DURATION | CORR_WALK_FREED;
	w.duration_ns = 5000;
	w.calls = 4;
	w.freed = 4;
	stats_add_walk(s, &w);
	cap_open(&c);
	stats_print_report(s, c.f, &o);
	out = cap_close(&c);
	assert_non_null(strstr(out, "do_shrink_slab() calls per shrinker, sorted by total time:\n"));
	assert_non_null(strstr(out, "\nGenerations by total time (top 4 of 4 with calls):\n"));
	assert_non_null(strstr(out, "\nWalks: 1 (0 untimed), 4.00 calls per walk (max 4), 4 objects "
				"freed; duration avg 5.00µs max 5.00µs p50 5.00µs p99 5.00µs\n"));
	assert_non_null(strstr(out, "\nTasks by time in shrinkers (top 4 of 4):\n"));
	/* histograms of the 3 slowest only */
	assert_non_null(strstr(out, "\nLatency of s3 (do_shrink_slab(), 1 timed call):\n"));
	assert_non_null(strstr(out, "\nLatency of s1 "));
	assert_null(strstr(out, "\nLatency of s0 "));
	assert_non_null(strstr(out, "\nLatency of walks (shrink_slab(), 1 timed walk):\n"));
	assert_null(strstr(out, "Folded"));
	free(out);
	stats_free(s);
}

/* ---- the correlator's callbacks --------------------------------------------------------- */

#define MAXC 16

struct sink {
	struct corr_call c[MAXC];
	char names[MAXC][ST_REC_NAME_LEN];
	int nc;
	struct corr_walk w[MAXC];
	int nw;
};

static void on_call(const struct corr_call *ci, void *ctx)
{
	struct sink *k = ctx;

	assert_true(k->nc < MAXC);
	k->c[k->nc] = *ci;
	snprintf(k->names[k->nc], ST_REC_NAME_LEN, "%s", ci->name);
	k->c[k->nc].name = k->names[k->nc];
	k->nc++;
}

static void on_walk(const struct corr_walk *wi, void *ctx)
{
	struct sink *k = ctx;

	assert_true(k->nw < MAXC);
	k->w[k->nw++] = *wi;
}

static struct st_rec rec(enum st_type t, uint64_t ts, int pid, uint64_t shr)
{
	struct st_rec r;

	memset(&r, 0, sizeof(r));
	r.type = t;
	r.ts = ts;
	r.pid = pid;
	snprintf(r.comm, sizeof(r.comm), "task%d", pid);
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

static void test_corr_callbacks(void **st)
{
	struct sink k;
	struct corr_cbs cb = { .on_call = on_call, .on_walk = on_walk, .ctx = &k };
	struct corr_opts o = { .reorder_window_ns = 0 };
	struct corr *c;
	struct st_rec r;
	uint64_t serial;
	char name[ST_REC_NAME_LEN];

	(void)st;
	memset(&k, 0, sizeof(k));
	c = corr_new(&o, &cb);
	assert_non_null(c);
	assert_int_equal(corr_lookup(c, A, &serial, name, sizeof(name)), -1);

	r = rec(ST_SHRINKER_REGISTER, 10, 1, A);
	strcpy(r.name, "sb-ext4");
	r.has |= ST_HAS_NAME;
	push(c, r);
	/* walk with two calls: one timed by the record, one by begin/end */
	r = rec(ST_WALK_BEGIN, 100, 7, 0);
	r.has |= ST_HAS_WALK;
	r.nid = 1;
	r.memcg = 0xabc;
	r.priority = 9;
	push(c, r);
	r = rec(ST_SHRINK_BEGIN, 110, 7, A);
	r.has |= ST_HAS_WALK | ST_HAS_NR_TO_SCAN;
	r.nid = 1;
	r.memcg = 0xabc;
	r.nr_to_scan = 64;
	push(c, r);
	r = rec(ST_SHRINK_END, 150, 7, A);
	r.has |= ST_HAS_FREED | ST_HAS_DURATION;
	r.freed = 5;
	r.duration_ns = 33;
	push(c, r);
	push(c, rec(ST_SHRINK_BEGIN, 200, 7, B));	/* first sighting, no name */
	r = rec(ST_SHRINK_END, 260, 7, B);
	r.has |= ST_HAS_FREED;
	r.freed = ST_FREED_EMPTY;
	push(c, r);
	r = rec(ST_WALK_END, 300, 7, 0);
	r.has |= ST_HAS_FREED;
	r.freed = 5;
	push(c, r);
	/* a lone shrink_end: no begin, no duration, no freed */
	push(c, rec(ST_SHRINK_END, 400, 8, A));
	/* a lone walk_end */
	push(c, rec(ST_WALK_END, 500, 9, 0));
	corr_finish(c);

	assert_int_equal(k.nc, 3);
	assert_int_equal(k.c[0].serial, 1);
	assert_int_equal(k.c[0].shrinker, A);
	assert_string_equal(k.c[0].name, "sb-ext4");
	assert_int_equal(k.c[0].pid, 7);
	assert_string_equal(k.c[0].comm, "task7");
	assert_int_equal(k.c[0].flags, CORR_CALL_BEGIN | CORR_CALL_DURATION | CORR_CALL_FREED |
			 CORR_CALL_NR_TO_SCAN | CORR_CALL_IN_WALK);
	assert_int_equal(k.c[0].begin_ts, 110);
	assert_int_equal(k.c[0].end_ts, 150);
	assert_int_equal(k.c[0].duration_ns, 33);	/* the record's, not 40 */
	assert_int_equal(k.c[0].freed, 5);
	assert_int_equal(k.c[0].nr_to_scan, 64);
	assert_int_equal(k.c[0].nid, 1);
	assert_int_equal(k.c[0].memcg, 0xabc);

	assert_int_equal(k.c[1].serial, 2);
	assert_string_equal(k.c[1].name, "");
	assert_int_equal(k.c[1].flags, CORR_CALL_BEGIN | CORR_CALL_DURATION | CORR_CALL_FREED |
			 CORR_CALL_IN_WALK);
	assert_int_equal(k.c[1].duration_ns, 60);	/* end - begin */
	assert_int_equal(k.c[1].freed, ST_FREED_EMPTY);
	assert_int_equal(k.c[1].nid, -1);		/* the begin had no walk fields */

	assert_int_equal(k.c[2].serial, 1);
	assert_int_equal(k.c[2].flags, 0);
	assert_int_equal(k.c[2].begin_ts, 0);
	assert_int_equal(k.c[2].end_ts, 400);
	assert_int_equal(k.c[2].pid, 8);

	assert_int_equal(k.nw, 2);
	assert_int_equal(k.w[0].pid, 7);
	assert_int_equal(k.w[0].flags, CORR_WALK_BEGIN | CORR_WALK_DURATION | CORR_WALK_FREED);
	assert_int_equal(k.w[0].begin_ts, 100);
	assert_int_equal(k.w[0].end_ts, 300);
	assert_int_equal(k.w[0].duration_ns, 200);
	assert_int_equal(k.w[0].calls, 2);
	assert_int_equal(k.w[0].calls_freed, 5);	/* SHRINK_EMPTY adds 0 */
	assert_int_equal(k.w[0].freed, 5);
	assert_int_equal(k.w[0].nid, 1);
	assert_int_equal(k.w[0].memcg, 0xabc);
	assert_int_equal(k.w[0].priority, 9);
	assert_int_equal(k.w[1].pid, 9);
	assert_int_equal(k.w[1].flags, 0);
	assert_int_equal(k.w[1].calls, 0);
	assert_int_equal(k.w[1].nid, -1);
	assert_int_equal(k.w[1].priority, -1);

	assert_int_equal(corr_lookup(c, A, &serial, name, sizeof(name)), 0);
	assert_int_equal(serial, 1);
	assert_string_equal(name, "sb-ext4");
	assert_int_equal(corr_lookup(c, B, &serial, name, sizeof(name)), 0);
	assert_int_equal(serial, 2);
	assert_string_equal(name, "");
	assert_int_equal(corr_lookup(c, C, &serial, NULL, 0), -1);
	corr_free(c);
}

/* A new generation at a reused address gets a new serial in on_call and in
 * corr_lookup; the old one's calls keep theirs. */
static void test_corr_callbacks_reuse(void **st)
{
	struct sink k;
	struct corr_cbs cb = { .on_call = on_call, .ctx = &k };
	struct corr_opts o = { .reorder_window_ns = 0 };
	struct corr *c;
	struct st_rec r;
	uint64_t serial;

	(void)st;
	memset(&k, 0, sizeof(k));
	c = corr_new(&o, &cb);
	push(c, rec(ST_SHRINKER_ALLOC, 10, 1, A));
	r = rec(ST_SHRINK_END, 20, 7, A);
	r.has |= ST_HAS_FREED;
	push(c, r);
	push(c, rec(ST_FREE_BEGIN, 30, 2, A));
	push(c, rec(ST_FREE_END, 40, 2, A));
	push(c, rec(ST_RCU_FREE, 50, 0, A));
	assert_int_equal(corr_lookup(c, A, &serial, NULL, 0), 0);
	assert_int_equal(serial, 1);			/* a tombstone still answers */
	push(c, rec(ST_SHRINKER_ALLOC, 60, 1, A));
	r.ts = 70;
	push(c, r);
	corr_finish(c);
	assert_int_equal(k.nc, 2);
	assert_int_equal(k.c[0].serial, 1);
	assert_int_equal(k.c[1].serial, 2);
	assert_int_equal(corr_lookup(c, A, &serial, NULL, 0), 0);
	assert_int_equal(serial, 2);
	corr_free(c);
}

/* ---- end to end: tests/replay/stats/known.jsonl through correlator and stats ----------- */

static void feed_call(const struct corr_call *ci, void *ctx)
{
	assert_int_equal(stats_add_call(ctx, ci), 0);
}

static void feed_walk(const struct corr_walk *wi, void *ctx)
{
	assert_int_equal(stats_add_walk(ctx, wi), 0);
}

/* The numbers of known.expect, worked out by hand from the log:
 *   sb-ext4:   3000 ns freed 100, 20000 ns freed 200, 1000 ns freed 0 (zero);
 *              nr_to_scan 128 + 256 + 128; p50: rank 2 of 3 = slot [2048, 4096)
 *              -> 4096; p99: rank 3 = slot [16384, 32768) -> 32768, max 20000
 *   sb-tmpfs:  2 generations; 1000 ns empty, 2000 ns (end - begin, no
 *              duration_ns) freed 7, 300 ns freed 3; scanned 32 + 32 + 16
 *   mm-shadow: 500 ns freed 0 (zero), an untimed lone shrink_end freed 5,
 *              1000 ns freed 9; scanned 64 + 64
 *   walks:     5000 ns (3 calls), 30000 ns (2), 2000 ns (2); freed 100+207+3 */
static void test_known_log_numbers(void **st)
{
	const char *path = "tests/replay/stats/known.jsonl";
	struct stats *s = stats_new(NULL);
	struct corr_cbs cb = { .on_call = feed_call, .on_walk = feed_walk, .ctx = s };
	struct corr *c = corr_new(NULL, &cb);
	const struct stats_name *n;
	struct stats_totals tot;
	struct stats_walk w;
	struct st_log *lg;
	struct st_rec r;
	char err[256];
	int rc;

	(void)st;
	lg = st_log_open(path, err, sizeof(err));
	if (!lg) {
		fprintf(stderr, "%s (run from the repository root)\n", err);
		fail();
	}
	while ((rc = st_log_next(lg, &r)) > 0)
		assert_int_equal(corr_push(c, &r), 0);
	assert_int_equal(rc, 0);
	corr_finish(c);

	n = stats_get_name(s, "sb-ext4");
	assert_int_equal(n->c.calls, 3);
	assert_int_equal(n->c.zero_calls, 1);
	assert_int_equal(n->c.scanned, 512);
	assert_int_equal(n->c.freed, 300);
	assert_int_equal(n->c.total_ns, 24000);
	assert_int_equal(n->c.max_ns, 20000);
	assert_int_equal(stats_percentile(n->c.hist, n->c.max_ns, 500), 4096);
	assert_int_equal(stats_percentile(n->c.hist, n->c.max_ns, 990), 20000);
	n = stats_get_name(s, "sb-tmpfs");
	assert_int_equal(n->gens, 2);
	assert_int_equal(n->c.calls, 3);
	assert_int_equal(n->c.empty_calls, 1);
	assert_int_equal(n->c.scanned, 80);
	assert_int_equal(n->c.freed, 10);
	assert_int_equal(n->c.total_ns, 3300);
	n = stats_get_name(s, "mm-shadow");
	assert_int_equal(n->c.calls, 3);
	assert_int_equal(n->untimed, 1);
	assert_int_equal(n->c.zero_calls, 1);
	assert_int_equal(n->c.scanned, 128);
	assert_int_equal(n->c.freed, 14);
	assert_int_equal(n->c.total_ns, 1500);
	assert_int_equal(stats_percentile(n->c.hist, n->c.max_ns, 500), 512);
	stats_get_totals(s, &tot);
	assert_int_equal(tot.calls, 9);
	assert_int_equal(tot.freed, 324);
	assert_int_equal(tot.total_ns, 28800);
	stats_get_walk(s, &w);
	assert_int_equal(w.walks, 3);
	assert_int_equal(w.calls, 7);
	assert_int_equal(w.freed, 310);
	assert_int_equal(w.total_ns, 37000);
	assert_int_equal(stats_percentile(w.hist, w.max_ns, 500), 8192);
	assert_int_equal(stats_get_task(s, 300)->total_ns, 22000);
	assert_int_equal(stats_get_task(s, 100)->calls, 5);
	assert_int_equal(stats_get_gen(s, 3)->freed, 7);
	assert_int_equal(stats_get_gen(s, 4)->calls, 1);
	st_log_close(lg);
	corr_free(c);
	stats_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_slot),
		cmocka_unit_test(test_percentile_rule),
		cmocka_unit_test(test_fmt_ns),
		cmocka_unit_test(test_call_counts),
		cmocka_unit_test(test_walks),
		cmocka_unit_test(test_cap_names),
		cmocka_unit_test(test_cap_gens),
		cmocka_unit_test(test_cap_tasks),
		cmocka_unit_test(test_sort_order),
		cmocka_unit_test(test_kernel_replace),
		cmocka_unit_test(test_kernel_calls_wait_for_name),
		cmocka_unit_test(test_kernel_gens_exempt),
		cmocka_unit_test(test_print_top_rows_and_width),
		cmocka_unit_test(test_print_hist),
		cmocka_unit_test(test_report_sections),
		cmocka_unit_test(test_corr_callbacks),
		cmocka_unit_test(test_corr_callbacks_reuse),
		cmocka_unit_test(test_known_log_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
