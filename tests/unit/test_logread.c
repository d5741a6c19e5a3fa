/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests of the log reader (user/log/reader.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log/reader.h"

#define COMMONF "\"ts\":5,\"cpu\":0,\"pid\":7,\"comm\":\"kswapd0\""

static int parse(const char *line, struct st_rec *r, char *reason)
{
	return st_parse_line(line, strlen(line), r, reason, 256);
}

/* The line must fail with a reason containing want. */
static void bad(const char *line, const char *want)
{
	char reason[256];
	struct st_rec r;

	assert_int_equal(parse(line, &r, reason), ST_PARSE_ERROR);
	if (!strstr(reason, want))
		fail_msg("line %s: reason \"%s\" lacks \"%s\"", line, reason, want);
}

static void test_good_lines(void **st)
{
	char reason[256];
	struct st_rec r;

	assert_int_equal(parse("{\"type\":\"shrink_end\"," COMMONF ",\"shrinker\":\"0xFFFF8881\","
			       "\"freed\":\"empty\",\"duration_ns\":10}\n", &r, reason), ST_PARSE_EVENT);
	assert_int_equal(r.type, ST_SHRINK_END);
	assert_int_equal(r.ts, 5);
	assert_int_equal(r.pid, 7);
	assert_string_equal(r.comm, "kswapd0");
	assert_int_equal(r.shrinker, 0xffff8881ULL);
	assert_int_equal(r.freed, ST_FREED_EMPTY);
	assert_int_equal(r.has, ST_HAS_SHRINKER | ST_HAS_FREED | ST_HAS_DURATION);
	/* 6.1-era shrink_begin: no refcount, no snapshot, no name */
	assert_int_equal(parse("{\"type\":\"shrink_begin\"," COMMONF ",\"shrinker\":\"0x1\",\"nid\":0,"
			       "\"memcg\":\"0x0\",\"priority\":12,\"nr_to_scan\":128}", &r, reason),
			 ST_PARSE_EVENT);
	assert_false(r.has & (ST_HAS_REFCOUNT | ST_HAS_SNAPSHOT | ST_HAS_NAME));
	assert_true(r.has & ST_HAS_WALK);
	/* big unsigned values */
	assert_int_equal(parse("{\"type\":\"lost\"," COMMONF ",\"count\":18446744073709551615}", &r, reason),
			 ST_PARSE_EVENT);
	assert_int_equal(r.count, UINT64_MAX);
	/* whitespace around, CRLF */
	assert_int_equal(parse("  {\"type\":\"rcu_free\"," COMMONF ",\"shrinker\":\"0xab\",\"inferred\":true} \r\n",
			       &r, reason), ST_PARSE_EVENT);
	assert_true(r.inferred);
	/* a long comm is cut to 15 bytes at a character boundary */
	assert_int_equal(parse("{\"type\":\"free_begin\",\"ts\":1,\"cpu\":0,\"pid\":1,"
			       "\"comm\":\"abcdefghijklm\xc3\xa9\xc3\xa9\",\"shrinker\":\"0x1\"}", &r, reason),
			 ST_PARSE_EVENT);
	assert_string_equal(r.comm, "abcdefghijklm\xc3\xa9");
}

static void test_bad_json(void **st)
{
	bad("{\"type\":\"free_begin\"", "bad JSON");
	bad("{\"type\":\"free_begin\",}", "bad JSON");
	bad("not json", "bad JSON");
	bad("[1,2]", "expected an object");
	bad("{\"type\":\"free_begin\"," COMMONF ",\"shrinker\":\"0x1\"} x", "bad JSON");
	bad("{\"type\":\"free_begin\"," COMMONF ",\"shrinker\":\"0x1\"}{}", "bad JSON");
	bad("{\"type\":\"free_begin\"," COMMONF ",\"shrinker\":NaN}", "expected a pointer string");
	bad("{\"type\":\"free_begin\",\"ts\":1,\"cpu\":0,\"pid\":1,\"comm\":\"\xff\",\"shrinker\":\"0x1\"}",
	    "bad JSON");	/* not UTF-8 */
	char nul[] = "{\"type\":\"lost\"," COMMONF ",\"count\":1}";
	char reason[256];
	struct st_rec r;
	nul[3] = '\0';
	assert_int_equal(st_parse_line(nul, sizeof(nul) - 1, &r, reason, sizeof(reason)), ST_PARSE_ERROR);
	assert_non_null(strstr(reason, "NUL"));
}

/* Found by tests/fuzz: what a bad line leaves in the parser, and strings
 * that only strcmp() would take for a name of the format. */
static void test_after_errors(void **st)
{
	char reason[256];
	struct st_rec r;

	/* an unfinished surrogate pair must not leak into the next line */
	bad("{\"type\":\"free_begin\"," COMMONF ",\"name\":\"\\ud800\\u00zz\"}", "bad JSON");
	bad("{\"type\":\"free_begin\"," COMMONF ",\"name\":\"\\ud800", "bad JSON");
	assert_int_equal(parse("{\"type\":\"free_begin\"," COMMONF ",\"shrinker\":\"0x1\","
			       "\"name\":\"\\u00e9\\u0010\"}", &r, reason), ST_PARSE_EVENT);
	assert_string_equal(r.name, "\xc3\xa9\x10");
	/* reasons quote input on one line; "\u0000" ends no name early */
	bad("{\"type\":\"header\",\"format\":\"shrinktrace/1\\nx\"}", "\"shrinktrace/1\\nx\"");
	bad("{\"type\":\"header\",\"format\":\"shrinktrace/1\\u0000\"}", "NUL");
	bad("{\"type\":\"shrink_end\"," COMMONF ",\"shrinker\":\"0x1\",\"freed\":\"empty\\u0000x\"}",
	    "\"freed\": expected an integer or \"empty\"");
	assert_int_equal(parse("{\"type\":\"free_begin\\u0000\"," COMMONF ",\"shrinker\":\"0x1\"}", &r,
			       reason), ST_PARSE_SKIP);
	assert_int_equal(parse("{\"type\":\"violation\\u0000x\"}", &r, reason), ST_PARSE_SKIP);
	assert_string_not_equal(reason, "violation");
}

static void test_missing_and_mistyped(void **st)
{
	bad("{\"ts\":5}", "missing field \"type\"");
	bad("{\"type\":7}", "\"type\": expected a string");
	bad("{\"type\":\"free_begin\",\"cpu\":0,\"pid\":7,\"comm\":\"x\",\"shrinker\":\"0x1\"}",
	    "free_begin: missing field \"ts\"");
	bad("{\"type\":\"free_begin\",\"ts\":1,\"cpu\":0,\"pid\":7,\"shrinker\":\"0x1\"}",
	    "missing field \"comm\"");
	bad("{\"type\":\"free_begin\"," COMMONF "}", "free_begin: missing field \"shrinker\"");
	bad("{\"type\":\"shrink_end\"," COMMONF ",\"shrinker\":\"0x1\"}", "missing field \"freed\"");
	bad("{\"type\":\"walk_begin\"," COMMONF ",\"nid\":0,\"priority\":1}", "missing field \"memcg\"");
	bad("{\"type\":\"lost\"," COMMONF "}", "missing field \"count\"");
	bad("{\"type\":\"free_begin\",\"ts\":-1,\"cpu\":0,\"pid\":7,\"comm\":\"x\",\"shrinker\":\"0x1\"}",
	    "\"ts\": must not be negative");
	bad("{\"type\":\"free_begin\",\"ts\":1.5,\"cpu\":0,\"pid\":7,\"comm\":\"x\",\"shrinker\":\"0x1\"}",
	    "\"ts\": expected an integer");
	bad("{\"type\":\"free_begin\",\"ts\":\"1\",\"cpu\":0,\"pid\":7,\"comm\":\"x\",\"shrinker\":\"0x1\"}",
	    "\"ts\": expected an integer, got string");
	bad("{\"type\":\"free_begin\",\"ts\":1,\"cpu\":0,\"pid\":7,\"comm\":3,\"shrinker\":\"0x1\"}",
	    "\"comm\": expected a string");
	bad("{\"type\":\"free_begin\",\"ts\":1,\"cpu\":0,\"pid\":4294967296,\"comm\":\"x\",\"shrinker\":\"0x1\"}",
	    "\"pid\"");
	bad("{\"type\":\"free_begin\",\"ts\":1,\"cpu\":-2,\"pid\":1,\"comm\":\"x\",\"shrinker\":\"0x1\"}",
	    "\"cpu\"");
	bad("{\"type\":\"rcu_free\"," COMMONF ",\"shrinker\":\"0x1\",\"inferred\":1}", "\"inferred\"");
	bad("{\"type\":\"shrink_end\"," COMMONF ",\"shrinker\":\"0x1\",\"freed\":\"lots\"}",
	    "\"freed\": expected an integer or \"empty\"");
	/* an optional field, when present, must have its type */
	bad("{\"type\":\"shrink_begin\"," COMMONF ",\"shrinker\":\"0x1\",\"refcount\":\"2\"}", "\"refcount\"");
}

static void test_bad_pointers(void **st)
{
	bad("{\"type\":\"free_begin\"," COMMONF ",\"shrinker\":12345}", "expected a pointer string");
	bad("{\"type\":\"free_begin\"," COMMONF ",\"shrinker\":\"12345\"}", "bad pointer string");
	bad("{\"type\":\"free_begin\"," COMMONF ",\"shrinker\":\"0x\"}", "bad pointer string");
	bad("{\"type\":\"free_begin\"," COMMONF ",\"shrinker\":\"0xfffff888104a1c0000\"}", "bad pointer string");
	bad("{\"type\":\"free_begin\"," COMMONF ",\"shrinker\":\"0xg1\"}", "bad pointer string");
	bad("{\"type\":\"free_begin\"," COMMONF ",\"shrinker\":\"0x1 \"}", "bad pointer string");
	bad("{\"type\":\"free_begin\"," COMMONF ",\"shrinker\":\"0x1\\u0000\"}", "bad pointer string");
	bad("{\"type\":\"shrink_end\"," COMMONF ",\"shrinker\":\"0x1\",\"freed\":1,\"next\":\"nil\"}",
	    "\"next\": bad pointer string");
	uint64_t v;
	assert_int_equal(st_parse_ptr("0xffffffffffffffff", &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(st_parse_ptr("0x0", &v), 0);
	assert_int_equal(v, 0);
}

static void test_ignored(void **st)
{
	char reason[256];
	struct st_rec r;
	struct st_parse_info info;
	const char *l;

	assert_int_equal(parse("", &r, reason), ST_PARSE_BLANK);
	assert_int_equal(parse("  \t\r\n", &r, reason), ST_PARSE_BLANK);
	/* unknown type: skipped without checking its fields */
	assert_int_equal(parse("{\"type\":\"mm_future_event\",\"whatever\":[1]}", &r, reason), ST_PARSE_SKIP);
	assert_string_equal(reason, "mm_future_event");
	assert_int_equal(parse("{\"type\":\"violation\",\"kind\":\"stale_next\"}", &r, reason), ST_PARSE_SKIP);
	/* unknown fields ignored and counted */
	l = "{\"type\":\"free_end\"," COMMONF ",\"shrinker\":\"0x1\",\"new_field\":{\"a\":1},\"x\":null}";
	assert_int_equal(st_parse_line_info(l, strlen(l), &r, reason, sizeof(reason), &info), ST_PARSE_EVENT);
	assert_int_equal(info.unknown_fields, 2);
	assert_int_equal(r.type, ST_FREE_END);
	/* a header of another format is an error */
	bad("{\"type\":\"header\",\"format\":\"shrinktrace/2\"}", "unsupported format");
}

static void test_file_reader(void **st)
{
	char path[] = "/tmp/test_logread_XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	struct st_log *lg;
	struct st_rec r;
	char err[256];
	char *big;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "{\"type\":\"header\",\"format\":\"shrinktrace/1\",\"kernel\":\"6.1.0\","
		   "\"backend\":\"kprobe\",\"clock\":\"monotonic\",\"start_ts\":1}\n");
	fprintf(f, "\n");
	/* a 100 KiB line: any length is fine */
	big = malloc(100001);
	assert_non_null(big);
	memset(big, 'n', 100000);
	big[100000] = '\0';
	fprintf(f, "{\"type\":\"free_begin\"," COMMONF ",\"shrinker\":\"0x1\",\"pad\":\"%s\"}\n", big);
	free(big);
	fprintf(f, "{\"type\":\"unknown_thing\"}\n");
	fprintf(f, "{\"type\":\"free_end\"," COMMONF ",\"shrinker\":\"0x1\"}\n");
	fprintf(f, "{\"type\":\"free_end\"," COMMONF ",\"shrinker\":\"0x1\"\n");
	fclose(f);

	assert_null(st_log_open("/nonexistent/x.jsonl", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/x.jsonl: No such file"));
	lg = st_log_open(path, err, sizeof(err));
	assert_non_null(lg);
	assert_int_equal(st_log_next(lg, &r), 1);
	assert_int_equal(r.type, ST_FREE_BEGIN);
	assert_string_equal(st_log_kernel(lg), "6.1.0");
	assert_string_equal(st_log_backend(lg), "kprobe");
	assert_int_equal(st_log_next(lg, &r), 1);
	assert_int_equal(r.type, ST_FREE_END);
	assert_int_equal(st_log_next(lg, &r), -1);
	char want[300];
	snprintf(want, sizeof(want), "%s:6: bad JSON", path);
	if (strncmp(st_log_error(lg), want, strlen(want)) != 0)
		fail_msg("error \"%s\", want prefix \"%s\"", st_log_error(lg), want);
	const struct st_log_stats *ls = st_log_get_stats(lg);
	assert_int_equal(ls->lines, 6);
	assert_int_equal(ls->events, 2);
	assert_int_equal(ls->blank, 1);
	assert_int_equal(ls->headers, 1);
	assert_int_equal(ls->skipped_types, 1);
	assert_int_equal(ls->unknown_fields, 1);
	st_log_close(lg);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_lines),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_after_errors),
		cmocka_unit_test(test_missing_and_mistyped),
		cmocka_unit_test(test_bad_pointers),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_file_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
