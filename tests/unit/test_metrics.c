/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests of the exposition of sinks/metrics.c (metrics_render(): no socket):
 * names, units, cumulative le buckets, the cap on shrinker label values (folded
 * into "other" in the order names appear: a series never moves, its counters
 * never go down), escaping, lifecycle from engine/lifecycle.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/correlate.h"
#include "engine/lifecycle.h"
#include "engine/stats.h"
#include "sinks/metrics.h"
#include "sinks/report.h"

static void add_call(struct stats *s, uint64_t serial, const char *name, uint64_t dur,
		     uint64_t freed)
{
	struct corr_call c;

	memset(&c, 0, sizeof(c));
	c.serial = serial;
	c.shrinker = 0x1000 * serial;
	c.name = name;
	c.pid = 1;
	c.flags = CORR_CALL_BEGIN | CORR_CALL_DURATION | CORR_CALL_FREED | CORR_CALL_NR_TO_SCAN;
	c.duration_ns = dur;
	c.freed = freed;
	c.nr_to_scan = 128;
	assert_int_equal(stats_add_call(s, &c), 0);
}

/* The value of the sample line that begins with prefix ("name{labels} "), or -1. */
static double value(const char *text, const char *prefix)
{
	const char *p = text;
	size_t n = strlen(prefix);

	while (p && *p) {
		if (!strncmp(p, prefix, n))
			return strtod(p + n, NULL);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static char *render(struct sink *m, struct stats *s, struct life *lc)
{
	struct corr_stats cs = { 0 };
	struct sink_state st = { .stats = s, .life = lc, .cs = &cs, .elapsed_s = 1.5 };
	size_t len = 0;
	char *t = metrics_render(m, &st, &len);

	assert_non_null(t);
	assert_int_equal(strlen(t), len);
	return t;
}

static void test_calls_and_histogram(void **state)
{
	struct metrics_opts o = { .max_names = 8 };
	char err[256];
	struct sink *m = metrics_sink_new(&o, err, sizeof(err));
	struct stats *s = stats_new(NULL);
	char *t;

	(void)state;
	assert_non_null(m);
	add_call(s, 1, "sb-tmpfs", 1000, 0);		/* slot 10: le 1024 ns */
	add_call(s, 1, "sb-tmpfs", 3000, 5);		/* slot 12: le 4096 ns */
	t = render(m, s, NULL);
	assert_true(value(t, "shrinktrace_shrinker_calls_total{shrinker=\"sb-tmpfs\"} ") == 2);
	assert_true(value(t, "shrinktrace_shrinker_zero_calls_total{shrinker=\"sb-tmpfs\"} ") == 1);
	assert_true(value(t, "shrinktrace_shrinker_freed_objects_total{shrinker=\"sb-tmpfs\"} ") == 5);
	assert_true(value(t, "shrinktrace_shrinker_scanned_objects_total{shrinker=\"sb-tmpfs\"} ") == 256);
	/* cumulative, le in seconds on exp2 boundaries */
	assert_true(value(t, "shrinktrace_shrinker_call_duration_seconds_bucket{shrinker=\"sb-tmpfs\","
			  "le=\"0.000000512\"} ") == 0);
	assert_true(value(t, "shrinktrace_shrinker_call_duration_seconds_bucket{shrinker=\"sb-tmpfs\","
			  "le=\"0.000001024\"} ") == 1);
	assert_true(value(t, "shrinktrace_shrinker_call_duration_seconds_bucket{shrinker=\"sb-tmpfs\","
			  "le=\"0.000002048\"} ") == 1);
	assert_true(value(t, "shrinktrace_shrinker_call_duration_seconds_bucket{shrinker=\"sb-tmpfs\","
			  "le=\"0.000004096\"} ") == 2);
	assert_true(value(t, "shrinktrace_shrinker_call_duration_seconds_bucket{shrinker=\"sb-tmpfs\","
			  "le=\"+Inf\"} ") == 2);
	assert_true(value(t, "shrinktrace_shrinker_call_duration_seconds_count{shrinker=\"sb-tmpfs\"} ") == 2);
	assert_true(value(t, "shrinktrace_shrinker_call_duration_seconds_sum{shrinker=\"sb-tmpfs\"} ") ==
		    4e-6);
	assert_non_null(strstr(t, "# TYPE shrinktrace_shrinker_call_duration_seconds histogram\n"));
	assert_non_null(strstr(t, "shrinktrace_build_info{version=\""));
	free(t);
	stats_free(s);
	m->ops->free(m);
}

/* Beyond max_names, names fold into "other" in the order they appear; an
 * early name keeps its series whatever comes later. */
static void test_cap_other(void **state)
{
	struct metrics_opts o = { .max_names = 2 };
	char err[256], *t;
	struct sink *m = metrics_sink_new(&o, err, sizeof(err));
	struct stats *s = stats_new(NULL);

	(void)state;
	add_call(s, 1, "zz-first", 100, 1);
	t = render(m, s, NULL);
	free(t);
	add_call(s, 2, "aa-second", 100, 1);
	add_call(s, 3, "bb-third", 100, 1);
	add_call(s, 4, "cc-fourth", 100, 1);
	add_call(s, 4, "cc-fourth", 100, 1);
	t = render(m, s, NULL);
	assert_true(value(t, "shrinktrace_shrinker_calls_total{shrinker=\"zz-first\"} ") == 1);
	/* "aa-second" sorts first: it takes the second slot, the others fold */
	assert_true(value(t, "shrinktrace_shrinker_calls_total{shrinker=\"aa-second\"} ") == 1);
	assert_true(value(t, "shrinktrace_shrinker_calls_total{shrinker=\"other\"} ") == 3);
	assert_null(strstr(t, "bb-third"));
	assert_null(strstr(t, "cc-fourth"));
	free(t);
	stats_free(s);
	m->ops->free(m);
}

/* Label values: quotes, backslashes and control characters cannot break a line. */
static void test_escaping(void **state)
{
	struct metrics_opts o = { 0 };
	char err[256], *t;
	struct sink *m = metrics_sink_new(&o, err, sizeof(err));
	struct stats *s = stats_new(NULL);

	(void)state;
	add_call(s, 1, "a\"b\\c\nd", 100, 1);
	t = render(m, s, NULL);
	assert_non_null(strstr(t, "shrinktrace_shrinker_calls_total{shrinker=\"a\\\"b\\\\c?d\"} 1\n"));
	free(t);
	stats_free(s);
	m->ops->free(m);
}

/* Lifecycle: generations, RCU frees and the live gauge per name; a generation
 * with no name yet is live under "unnamed" and counted nowhere else yet. */
static void test_lifecycle(void **state)
{
	struct metrics_opts o = { 0 };
	char err[256], *t;
	struct sink *m = metrics_sink_new(&o, err, sizeof(err));
	struct life *lc = life_new();
	struct corr_life ev = { .kind = CORR_LIFE_BEGIN, .serial = 1, .name = "sb-tmpfs",
				.allocated = true };

	(void)state;
	assert_int_equal(life_add(lc, &ev), 0);
	ev = (struct corr_life){ .kind = CORR_LIFE_BEGIN, .serial = 2, .name = "sb-tmpfs" };
	assert_int_equal(life_add(lc, &ev), 0);
	ev = (struct corr_life){ .kind = CORR_LIFE_FREE, .serial = 1, .name = "sb-tmpfs",
				 .timed = true, .ns = 3000 };
	assert_int_equal(life_add(lc, &ev), 0);
	ev = (struct corr_life){ .kind = CORR_LIFE_RCU_FREE, .serial = 1, .name = "sb-tmpfs",
				 .timed = true, .ns = 5000000 };
	assert_int_equal(life_add(lc, &ev), 0);
	ev = (struct corr_life){ .kind = CORR_LIFE_BEGIN, .serial = 3, .name = "" };
	assert_int_equal(life_add(lc, &ev), 0);
	t = render(m, NULL, lc);
	assert_true(value(t, "shrinktrace_shrinker_generations_total{shrinker=\"sb-tmpfs\"} ") == 2);
	assert_true(value(t, "shrinktrace_shrinker_allocated_total{shrinker=\"sb-tmpfs\"} ") == 1);
	assert_true(value(t, "shrinktrace_shrinker_rcu_freed_total{shrinker=\"sb-tmpfs\"} ") == 1);
	assert_true(value(t, "shrinktrace_shrinkers_live{shrinker=\"sb-tmpfs\"} ") == 1);
	assert_true(value(t, "shrinktrace_shrinkers_live{shrinker=\"unnamed\"} ") == 1);
	assert_true(value(t, "shrinktrace_shrinker_generations_total{shrinker=\"unnamed\"} ") == -1);
	assert_true(value(t, "shrinktrace_shrinker_free_wait_seconds_count{shrinker=\"sb-tmpfs\"} ") == 1);
	assert_true(value(t, "shrinktrace_shrinker_rcu_delay_seconds_bucket{shrinker=\"sb-tmpfs\","
			  "le=\"0.004194304\"} ") == 0);
	assert_true(value(t, "shrinktrace_shrinker_rcu_delay_seconds_bucket{shrinker=\"sb-tmpfs\","
			  "le=\"0.008388608\"} ") == 1);
	free(t);
	life_free(lc);
	m->ops->free(m);
}

/* Label values of shrinktrace_hook_info are whole, however long (the
 * tracepoint backend's targets run past 63 characters), and escaped. */
static void test_hook_target_whole(void **state)
{
	static const char real[] = "inferred: call/census refcount, LIST_POISON2 at a call or "
				   "kmem:kfree";
	struct metrics_opts o = { 0 };
	char err[256], longest[700], want[900], *t;
	struct sink *m = metrics_sink_new(&o, err, sizeof(err));
	struct sink_begin b = { .kernel = "6.18.0", .backend = "tracepoint", .live = true,
				.nhooks = 3 };

	(void)state;
	assert_non_null(m);
	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	longest[10] = '"';
	b.hook[0] = "free";
	b.hook_mech[0] = "tracepoint";
	b.hook_target[0] = real;
	b.hook[1] = "walk";
	b.hook_mech[1] = NULL;
	b.hook_target[1] = NULL;
	b.hook[2] = "rcu_free";
	b.hook_mech[2] = "tracepoint";
	b.hook_target[2] = longest;
	m->ops->begin(m, &b);
	t = render(m, NULL, NULL);
	assert_true(strlen(real) > 63);
	assert_non_null(strstr(t, "shrinktrace_hook_info{hook=\"free\",mechanism=\"tracepoint\","
			       "target=\"inferred: call/census refcount, LIST_POISON2 at a call or "
			       "kmem:kfree\"} 1\n"));
	assert_non_null(strstr(t, "shrinktrace_hook_info{hook=\"walk\",mechanism=\"none\","
			       "target=\"\"} 1\n"));
	snprintf(want, sizeof(want), "target=\"%.10s\\\"%s\"} 1\n", longest, longest + 11);
	assert_non_null(strstr(t, want));
	free(t);
	m->ops->free(m);
}

/* Every sample of a counter (a _total, or a histogram's _bucket, _count, _sum)
 * in prev is in cur, not smaller. */
static void assert_monotonic(const char *prev, const char *cur)
{
	char line[512];

	for (const char *p = prev; *p;) {
		const char *e = strchr(p, '\n'), *sp;
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char key[512];

		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		p += n + (e ? 1 : 0);
		sp = strrchr(line, ' ');
		if (line[0] == '#' || !sp)
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)(sp - line + 1), line);
		if (!strstr(key, "_total") && !strstr(key, "_bucket{") && !strstr(key, "_count") &&
		    !strstr(key, "_sum"))
			continue;
		if (value(cur, key) < strtod(sp + 1, NULL)) {
			print_error("%s went from %s to %g\n", key, sp + 1, value(cur, key));
			fail();
		}
	}
}

/* Stats-only: the kernel's per-address totals reach the exposition with the
 * generation's name as the correlator knows it.  A generation without a name
 * yet, then named, then renamed, then one that ends unnamed: across the
 * scrapes no counter goes down (Prometheus would read a reset). */
static void test_stats_only_monotonic(void **state)
{
	struct metrics_opts o = { 0 };
	char err[256], *prev = NULL, *t;
	struct sink *m = metrics_sink_new(&o, err, sizeof(err));
	struct stats *s = stats_new(NULL);
	struct life *lc = life_new();
	struct st_call_stat k;
	struct corr_life ev = { .kind = CORR_LIFE_BEGIN, .serial = 1, .name = "",
				.allocated = true };

	(void)state;
	memset(&k, 0, sizeof(k));
	assert_int_equal(life_add(lc, &ev), 0);
	for (int step = 0; step < 7; step++) {
		switch (step) {
		case 1:	/* calls before the name is known */
			k.calls = 3;
			k.freed = 30;
			k.hist[10] = 3;
			k.total_ns = 3000;
			assert_int_equal(stats_set_kernel_call(s, 1, 0x1000, "", &k, false), 0);
			break;
		case 2:	/* named */
			k.calls = 5;
			k.hist[10] = 5;
			assert_int_equal(stats_set_kernel_call(s, 1, 0x1000, "sb-tmpfs", &k, false), 0);
			ev = (struct corr_life){ .kind = CORR_LIFE_NAME, .serial = 1,
						 .name = "sb-tmpfs" };
			assert_int_equal(life_add(lc, &ev), 0);
			break;
		case 3:	/* another name later: only later calls go there */
			k.calls = 6;
			k.hist[11] = 1;
			assert_int_equal(stats_set_kernel_call(s, 1, 0x1000, "sb-ramfs", &k, false), 0);
			break;
		case 4:	/* a generation that never gets a name: counted at its end */
			memset(&k, 0, sizeof(k));
			k.calls = 2;
			k.hist[5] = 2;
			assert_int_equal(stats_set_kernel_call(s, 2, 0x2000, "", &k, false), 0);
			break;
		case 5:
			assert_int_equal(stats_set_kernel_call(s, 2, 0x2000, "", &k, true), 0);
			ev = (struct corr_life){ .kind = CORR_LIFE_BEGIN, .serial = 2, .name = "" };
			assert_int_equal(life_add(lc, &ev), 0);
			ev = (struct corr_life){ .kind = CORR_LIFE_RCU_FREE, .serial = 2, .name = "" };
			assert_int_equal(life_add(lc, &ev), 0);
			break;
		case 6:	/* its kernel entry starting again takes nothing back */
			k.calls = 1;
			assert_int_equal(stats_set_kernel_call(s, 2, 0x2000, "", &k, true), 0);
			break;
		}
		t = render(m, s, lc);
		if (prev)
			assert_monotonic(prev, t);
		free(prev);
		prev = t;
	}
	assert_true(value(prev, "shrinktrace_shrinker_calls_total{shrinker=\"sb-tmpfs\"} ") == 5);
	assert_true(value(prev, "shrinktrace_shrinker_calls_total{shrinker=\"sb-ramfs\"} ") == 1);
	assert_true(value(prev, "shrinktrace_shrinker_calls_total{shrinker=\"unnamed\"} ") == 2);
	assert_true(value(prev, "shrinktrace_shrinker_rcu_freed_total{shrinker=\"unnamed\"} ") == 1);
	free(prev);
	life_free(lc);
	stats_free(s);
	m->ops->free(m);
}

/* The service's journal line: the summary sink prints each violation as
 * exactly one line on its stream (stderr), control characters of the name
 * and the detail cleaned, an uncertain one marked. */
static void test_violation_journal_line(void **state)
{
	struct report_opts ro = { 0 };
	struct st_violation v;
	char buf[4096];
	FILE *f = tmpfile();
	struct sink *s;
	size_t n;

	(void)state;
	assert_non_null(f);
	s = summary_sink_new(f, NULL, &ro);
	assert_non_null(s);
	memset(&v, 0, sizeof(v));
	v.kind = ST_V_STUCK_FREE;
	v.shrinker = 0xffff888104a1c000ULL;
	v.certain = true;
	strcpy(v.name, "sb-tmpfs");
	strcpy(v.detail, "shrinker_free() has waited\nand\x1b[2J waits");
	s->ops->violation(s, &v);
	v.kind = ST_V_STALE_NEXT;
	v.certain = false;
	strcpy(v.name, "bad\nname");
	s->ops->violation(s, &v);
	fflush(f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	assert_string_equal(buf,
		"shrinktrace: VIOLATION stuck_free on sb-tmpfs (0xffff888104a1c000): shrinker_free() "
		"has waited?and?[2J waits\n"
		"shrinktrace: VIOLATION stale_next on bad?name (0xffff888104a1c000) [uncertain: events "
		"were lost]: shrinker_free() has waited?and?[2J waits\n");
	s->ops->free(s);
	fclose(f);
}

static void test_parse_listen(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(metrics_parse_listen(":9858", why, sizeof(why)), 0);
	assert_int_equal(metrics_parse_listen("127.0.0.1:9858", why, sizeof(why)), 0);
	assert_int_equal(metrics_parse_listen("[::1]:9858", why, sizeof(why)), 0);
	assert_int_equal(metrics_parse_listen("localhost:1", why, sizeof(why)), 0);
	assert_int_equal(metrics_parse_listen("9858", why, sizeof(why)), -1);
	assert_int_equal(metrics_parse_listen(":0", why, sizeof(why)), -1);
	assert_int_equal(metrics_parse_listen(":65536", why, sizeof(why)), -1);
	assert_int_equal(metrics_parse_listen("::1:9858", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "brackets"));
	assert_int_equal(metrics_parse_listen("example.org:9858", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not an IP address"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calls_and_histogram),
		cmocka_unit_test(test_cap_other),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_hook_target_whole),
		cmocka_unit_test(test_stats_only_monotonic),
		cmocka_unit_test(test_violation_journal_line),
		cmocka_unit_test(test_parse_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
