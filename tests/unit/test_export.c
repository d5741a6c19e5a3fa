/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests of the export formats (user/sinks/csv.c, user/sinks/perfetto.c,
 * user/sinks/export.c) and of the safe output opener (user/log/outfile.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "sinks/export.h"
#include "sinks/registry.h"

extern const struct sink_desc jsonl_sink_desc, csv_sink_desc, perfetto_sink_desc;
#include "log/outfile.h"
#include "sinks/csv.h"
#include "sinks/perfetto.h"

#define A 0xffff888104a1c000ULL

static struct st_rec rec(enum st_type type, uint64_t ts, int pid, const char *comm)
{
	struct st_rec r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.ts = ts;
	r.cpu = 1;
	r.pid = pid;
	snprintf(r.comm, sizeof(r.comm), "%s", comm);
	return r;
}

static struct st_rec shrink_begin(uint64_t ts, int pid)
{
	struct st_rec r = rec(ST_SHRINK_BEGIN, ts, pid, "kswapd0");

	r.shrinker = A;
	strcpy(r.name, "sb-tmpfs");
	r.nid = 0;
	r.memcg = 0;
	r.priority = 12;
	r.nr_to_scan = 128;
	r.refcount = 2;
	r.next = 0xffff888104a1c400ULL;
	r.prev = ST_POISON2;
	r.has = ST_HAS_SHRINKER | ST_HAS_NAME | ST_HAS_WALK | ST_HAS_NR_TO_SCAN |
		ST_HAS_REFCOUNT | ST_HAS_SNAPSHOT;
	return r;
}

static struct st_rec shrink_end(uint64_t ts, int pid, uint64_t dur)
{
	struct st_rec r = rec(ST_SHRINK_END, ts, pid, "kswapd0");

	r.shrinker = A;
	r.freed = ST_FREED_EMPTY;
	r.duration_ns = dur;
	r.has = ST_HAS_SHRINKER | ST_HAS_FREED | ST_HAS_DURATION;
	return r;
}

/* ---- CSV ------------------------------------------------------------------- */

/* The violation columns after the field table's (sinks/csv.c: kind,
 * walker_pid, walker_comm, certain, detail, next_state). */
#define CSV_EXTRA 6

/* prefix, then n commas, then tail: rows whose empty columns follow from
 * the field table, so that a new field does not rewrite every expected row. */
static const char *row(const char *prefix, int n, const char *tail)
{
	static char out[4096];
	size_t k = strlen(prefix);

	memcpy(out, prefix, k);
	for (int i = 0; i < n; i++)
		out[k++] = ',';
	strcpy(out + k, tail);
	return out;
}

/* Commas after the column of field f to the end of the row. */
#define AFTER(f) (ST_NFIELDS - 1 - (f) + CSV_EXTRA)

static void test_csv_shrink_begin(void **state)
{
	struct st_rec r = shrink_begin(2000100, 100);
	char buf[ST_CSV_MAX];
	int n = st_csv_format_rec(buf, sizeof(buf), &r);

	(void)state;
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf, row("shrink_begin,2000100,1,100,kswapd0,,,0xffff888104a1c000,sb-tmpfs,"
				     ",,0,0x0,12,128,2,0xffff888104a1c400,0xdead000000000122",
				     AFTER(ST_FI_prev), "\r\n"));
}

static void test_csv_empty_and_inferred(void **state)
{
	struct st_rec r = shrink_end(7, 0, 1000);
	char buf[ST_CSV_MAX];

	(void)state;
	r.inferred = true;
	assert_true(st_csv_format_rec(buf, sizeof(buf), &r) > 0);
	assert_string_equal(buf, row("shrink_end,7,1,0,kswapd0,true,,0xffff888104a1c000,,,,,,,,,,,"
				     "empty,1000", AFTER(ST_FI_duration_ns), "\r\n"));
}

static void test_csv_quoting(void **state)
{
	struct st_rec r = rec(ST_LOST, 1, -1, "a,b\"c\nd");
	char buf[ST_CSV_MAX];

	(void)state;
	r.count = 3;
	r.has = ST_HAS_COUNT;
	assert_true(st_csv_format_rec(buf, sizeof(buf), &r) > 0);
	assert_string_equal(buf, row("lost,1,1,-1,\"a,b\"\"c\nd\",,,,,,,,,,,,,,,,3", AFTER(ST_FI_count),
				     "\r\n"));
	/* not valid UTF-8: the character of its Latin-1 reading */
	snprintf(r.comm, sizeof(r.comm), "x\xffy\xc3\xa9");
	assert_true(st_csv_format_rec(buf, sizeof(buf), &r) > 0);
	assert_non_null(strstr(buf, ",x\xc3\xbfy\xc3\xa9,"));
	/* a control character is quoted */
	snprintf(r.comm, sizeof(r.comm), "t\tab");
	assert_true(st_csv_format_rec(buf, sizeof(buf), &r) > 0);
	assert_non_null(strstr(buf, ",\"t\tab\","));
}

static void test_csv_violation(void **state)
{
	struct st_violation v;
	char buf[ST_CSV_MAX];

	(void)state;
	memset(&v, 0, sizeof(v));
	v.kind = ST_V_STALE_NEXT;
	v.ts = 5;
	v.pid = 100;
	strcpy(v.comm, "kswapd0");
	v.shrinker = A;
	v.has_next = true;
	v.next = 0x10;
	v.walker_pid = 100;
	strcpy(v.walker_comm, "kswapd0");
	v.certain = false;
	strcpy(v.name, "sb-tmpfs");
	strcpy(v.detail, "it \"steps\", onto it");
	assert_true(st_csv_format_violation(buf, sizeof(buf), &v) > 0);
	{
		char want[4096];

		snprintf(want, sizeof(want), "%s", row("violation,5,0,100,kswapd0,,,0xffff888104a1c000,"
						       "sb-tmpfs", ST_FI_next - ST_FI_name, "0x10"));
		assert_string_equal(buf, row(want, AFTER(ST_FI_next) - CSV_EXTRA + 1,
					     "stale_next,100,kswapd0,false,\"it \"\"steps\"\", onto it\",\r\n"));
		/* a near miss says so */
		v.next_state = ST_NEXT_QUEUED;
		assert_true(st_csv_format_violation(buf, sizeof(buf), &v) > 0);
		assert_non_null(strstr(buf, "onto it\",queued\r\n"));
	}
	/* does not fit: -1, no overflow */
	assert_int_equal(st_csv_format_violation(buf, 20, &v), -1);
}

static void test_csv_writer_header_only(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct sink *e = csv_sink_new(f);
	struct sink_state st = { 0 };

	(void)state;
	assert_non_null(e);
	e->ops->finish(e, &st);
	assert_int_equal(e->ops->error(e), 0);
	e->ops->free(e);
	fclose(f);
	/* the header row comes from the field table; the columns of the
	 * shrinktrace/1 fields keep their names and order, new ones follow */
	assert_string_equal(out, st_csv_columns());
	assert_int_equal(strncmp(out, "type,ts,cpu,pid,comm,inferred,deferred,shrinker,name,flags,id,"
				 "nid,memcg,priority,nr_to_scan,refcount,next,prev,freed,"
				 "duration_ns,count,", 135), 0);
	assert_non_null(strstr(out, ",kind,walker_pid,walker_comm,certain,detail,next_state\r\n"));
	free(out);
}

/* ---- Perfetto ----------------------------------------------------------------- */

/* The generation names the correlator would give each event (the sinks get
 * them with the event): the latest name seen at an address, none after a new
 * allocation there. */
struct gen_names {
	struct { uint64_t addr; char name[ST_REC_NAME_LEN]; } seen[16];
	unsigned nseen;
};

static const char *gen_name(struct gen_names *g, const struct st_rec *r)
{
	unsigned i;

	if (!(r->has & ST_HAS_SHRINKER))
		return "";
	for (i = 0; i < g->nseen && g->seen[i].addr != r->shrinker; i++)
		;
	if (i == g->nseen && g->nseen < 16) {
		g->seen[g->nseen].addr = r->shrinker;
		g->seen[g->nseen++].name[0] = '\0';
	}
	if (i == 16)
		return "";
	if (r->type == ST_SHRINKER_ALLOC)
		g->seen[i].name[0] = '\0';
	if (r->has & ST_HAS_NAME)
		snprintf(g->seen[i].name, sizeof(g->seen[i].name), "%s", r->name);
	return g->seen[i].name;
}

/* Run events through a Perfetto writer; return the parsed JSON array. */
static json_object *perfetto(const struct st_rec *rs, size_t n, uint64_t start_ts, char **text)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct sink *e = perfetto_sink_new(f, false);
	struct sink_begin b = { .kernel = "6.12.95", .backend = "fentry", .start_ts = start_ts };
	struct sink_state st = { 0 };
	struct gen_names names = { .nseen = 0 };
	json_object *j;

	assert_non_null(e);
	e->ops->begin(e, &b);
	for (size_t i = 0; i < n; i++) {
		struct sink_event se = { .r = &rs[i], .name = gen_name(&names, &rs[i]) };

		e->ops->event(e, &se);
	}
	e->ops->finish(e, &st);
	assert_int_equal(e->ops->error(e), 0);
	e->ops->free(e);
	fclose(f);
	j = json_tokener_parse(out);
	assert_non_null(j);
	assert_true(json_object_is_type(j, json_type_array));
	if (text)
		*text = out;
	else
		free(out);
	return j;
}

static const char *sget(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

/* The non-metadata events, as "PH name@ts" joined by ';'. */
static void summary(json_object *j, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(j); i++) {
		json_object *e = json_object_array_get_idx(j, i);

		if (strcmp(sget(e, "ph"), "M") == 0)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s %s@%s", off ? ";" : "",
					sget(e, "ph"), sget(e, "name"), sget(e, "ts"));
	}
}

static void test_perfetto_pairs(void **state)
{
	struct st_rec rs[4];
	char s[1024], *text;
	json_object *j;

	(void)state;
	rs[0] = rec(ST_WALK_BEGIN, 1000, 100, "kswapd0");
	rs[0].has = ST_HAS_WALK;
	rs[1] = shrink_begin(1500, 100);
	rs[2] = shrink_end(2500, 100, 1000);
	rs[3] = rec(ST_WALK_END, 3000, 100, "kswapd0");
	rs[3].freed = 5;
	rs[3].has = ST_HAS_FREED;
	j = perfetto(rs, 4, 500, &text);
	summary(j, s, sizeof(s));
	/* relative to the header's start_ts, in us with ns decimals */
	assert_string_equal(s, "B shrink_slab nid=0@0.500;B sb-tmpfs@1.000;E sb-tmpfs@2.000;"
			    "E shrink_slab nid=0@2.500");
	assert_non_null(strstr(text, "\"freed\":\"empty\""));
	assert_non_null(strstr(text, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":100,"
				     "\"args\":{\"name\":\"kswapd0\"}}"));
	assert_true(strncmp(text, "[\n{\"ph\":\"M\",\"name\":\"process_name\"", 33) == 0);
	assert_non_null(strstr(text, "\n]\n"));
	free(text);
	json_object_put(j);
}

static void test_perfetto_no_begin_unfinished(void **state)
{
	struct st_rec rs[4];
	char s[1024];
	json_object *j;

	(void)state;
	/* an end whose begin was not seen: a complete slice of its duration */
	rs[0] = shrink_end(10000, 7, 4000);
	/* a begin whose end never comes, then one at the same ts on another task */
	rs[1] = shrink_begin(20000, 8);
	rs[2] = shrink_begin(20000, 9);
	/* no header: time zero is the first event */
	j = perfetto(rs, 3, 0, NULL);
	summary(j, s, sizeof(s));
	/* unfinished slices end at the last timestamp, strictly after their begin */
	/* (it began before the trace: the part after time zero; no name known) */
	assert_string_equal(s, "X 0xffff888104a1c000@0.000;B sb-tmpfs@10.000;B sb-tmpfs@10.000;"
			    "E sb-tmpfs@10.001;E sb-tmpfs@10.001");
	json_object_put(j);
	(void)rs[3];
}

static void test_perfetto_lost_end(void **state)
{
	struct st_rec rs[4];
	char s[1024], *text;
	json_object *j;

	(void)state;
	rs[0] = shrink_begin(1000, 5);
	rs[1] = shrink_begin(2000, 5);		/* the end of the first was lost */
	rs[2] = shrink_end(3000, 5, 1000);
	rs[3] = rec(ST_RCU_FREE, 4000, 0, "swapper/0");
	rs[3].shrinker = A;
	rs[3].has = ST_HAS_SHRINKER;
	j = perfetto(rs, 4, 0, &text);
	summary(j, s, sizeof(s));
	assert_string_equal(s, "B sb-tmpfs@0.000;E sb-tmpfs@1.000;B sb-tmpfs@1.000;"
			    "E sb-tmpfs@2.000;i rcu_free sb-tmpfs@3.000");
	assert_non_null(strstr(text, "\"unfinished\":\"no end event seen (lost?)\""));
	/* pid 0 goes to the lifecycle track */
	assert_non_null(strstr(text, "\"tid\":4194305"));
	free(text);
	json_object_put(j);
}

static void test_perfetto_late(void **state)
{
	struct st_rec rs[4];
	char s[1024], *text;
	json_object *j;

	(void)state;
	rs[0] = shrink_begin(1000, 5);
	rs[1] = shrink_end(5000, 5, 4000);
	rs[2] = shrink_begin(2000, 5);		/* late: older than what is written */
	rs[3] = shrink_end(3000, 5, 1000);
	j = perfetto(rs, 4, 0, &text);
	summary(j, s, sizeof(s));
	assert_string_equal(s, "B sb-tmpfs@0.000;E sb-tmpfs@4.000;B sb-tmpfs@4.000;"
			    "E sb-tmpfs@4.001");
	assert_non_null(strstr(text, "\"moved_ns\":3000"));
	free(text);
	json_object_put(j);
}

static void test_perfetto_before_zero(void **state)
{
	struct st_rec rs[3];
	char s[1024], *text;
	json_object *j;

	(void)state;
	rs[0] = rec(ST_RCU_FREE, 1000, 0, "swapper/0");
	rs[0].shrinker = A;
	rs[0].has = ST_HAS_SHRINKER;
	rs[1] = shrink_begin(400, 6);		/* later than the window, before time zero */
	rs[2] = shrink_end(900, 6, 500);
	j = perfetto(rs, 3, 0, &text);
	summary(j, s, sizeof(s));
	assert_string_equal(s, "i rcu_free 0xffff888104a1c000@0.000;B sb-tmpfs@0.000;"
			    "E sb-tmpfs@0.001");
	assert_non_null(strstr(text, "\"moved_ns\":600"));
	assert_non_null(strstr(text, "\"moved_ns\":101"));
	free(text);
	json_object_put(j);
}

static void test_perfetto_violation(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct sink *e = perfetto_sink_new(f, false);
	struct sink_state st = { 0 };
	struct st_violation v;
	json_object *j, *ev, *args;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.kind = ST_V_USE_AFTER_FREE;
	v.ts = 42;
	v.pid = 3;
	v.shrinker = A;
	v.certain = true;
	strcpy(v.detail, "a \"quoted\"\ndetail");
	e->ops->violation(e, &v);
	/* no "]" yet: what a killed tracer leaves; it still has whole objects */
	fflush(f);
	assert_null(strstr(out, "]"));
	e->ops->finish(e, &st);
	e->ops->free(e);
	fclose(f);
	j = json_tokener_parse(out);
	assert_non_null(j);
	ev = json_object_array_get_idx(j, 1);
	assert_string_equal(sget(ev, "ph"), "i");
	assert_string_equal(sget(ev, "s"), "g");
	assert_string_equal(sget(ev, "cat"), "violation");
	assert_string_equal(sget(ev, "name"), "VIOLATION use_after_free 0xffff888104a1c000");
	assert_true(json_object_object_get_ex(ev, "args", &args));
	assert_string_equal(sget(args, "detail"), "a \"quoted\"\ndetail");
	json_object_put(j);
	free(out);
}

/* The format names are the table of sinks' (sinks/registry.c). */
static void test_export_fmt(void **state)
{
	(void)state;
	assert_ptr_equal(sink_format("jsonl", SINK_LIVE), &jsonl_sink_desc);
	assert_ptr_equal(sink_format("csv", SINK_LIVE), &csv_sink_desc);
	assert_ptr_equal(sink_format("perfetto", SINK_LIVE), &perfetto_sink_desc);
	assert_null(sink_format("text", SINK_LIVE));
}

/* ---- the opener -------------------------------------------------------------------- */

static void test_open_output(void **state)
{
	char dir[] = "/tmp/st-test-outfile.XXXXXX", p[128], q[128], buf[8];
	struct stat st;
	FILE *f;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* created 0600, truncating an existing regular file */
	snprintf(p, sizeof(p), "%s/out", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old content", 11), 11);
	close(fd);
	f = st_open_output(p);
	assert_non_null(f);
	fputs("new", f);
	fclose(f);
	fd = open(p, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 3);
	close(fd);
	unlink(p);
	f = st_open_output(p);
	assert_non_null(f);
	fclose(f);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* never through a symlink */
	snprintf(q, sizeof(q), "%s/link", dir);
	assert_int_equal(symlink(p, q), 0);
	errno = 0;
	assert_null(st_open_output(q));
	assert_int_equal(errno, ELOOP);
	assert_string_equal(st_output_strerror(ELOOP), "it is a symbolic link");
	unlink(q);
	/* not a FIFO, and without blocking for a reader */
	assert_int_equal(mkfifo(q, 0600), 0);
	errno = 0;
	assert_null(st_open_output(q));
	assert_true(errno == EINVAL || errno == ENXIO);
	assert_string_equal(st_output_strerror(errno), "it is not a regular file");
	unlink(q);
	unlink(p);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_shrink_begin),
		cmocka_unit_test(test_csv_empty_and_inferred),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_csv_violation),
		cmocka_unit_test(test_csv_writer_header_only),
		cmocka_unit_test(test_perfetto_pairs),
		cmocka_unit_test(test_perfetto_no_begin_unfinished),
		cmocka_unit_test(test_perfetto_lost_end),
		cmocka_unit_test(test_perfetto_late),
		cmocka_unit_test(test_perfetto_before_zero),
		cmocka_unit_test(test_perfetto_violation),
		cmocka_unit_test(test_export_fmt),
		cmocka_unit_test(test_open_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
