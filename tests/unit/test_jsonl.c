/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests of the JSON Lines writer (user/log/writer.c), read back by user/log/reader.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "log/writer.h"
#include "log/reader.h"

static struct st_rec full_shrink_begin(void)
{
	struct st_rec r;

	memset(&r, 0, sizeof(r));
	r.type = ST_SHRINK_BEGIN;
	r.ts = 18446744073709551000ULL;
	r.cpu = 3;
	r.pid = 4242;
	strcpy(r.comm, "kswapd0");
	r.shrinker = 0xffff888104a1c000ULL;
	strcpy(r.name, "sb-tmpfs");
	r.nid = 1;
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

static void roundtrip(const struct st_rec *r)
{
	char buf[ST_JSONL_MAX], reason[256];
	struct st_rec back;
	int n = st_jsonl_format_rec(buf, sizeof(buf), r);

	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_int_equal(buf[n - 1], '\n');
	assert_int_equal(st_parse_line(buf, (size_t)n, &back, reason, sizeof(reason)), ST_PARSE_EVENT);
	assert_int_equal(back.type, r->type);
	assert_int_equal(back.has, r->has);
	assert_int_equal(back.ts, r->ts);
	assert_int_equal(back.cpu, r->cpu);
	assert_int_equal(back.pid, r->pid);
	assert_string_equal(back.comm, r->comm);
	assert_int_equal(back.inferred, r->inferred);
	assert_int_equal(back.shrinker, r->shrinker);
	assert_string_equal(back.name, r->name);
	assert_int_equal(back.flags, r->flags);
	assert_int_equal(back.id, r->id);
	assert_int_equal(back.nid, r->nid);
	assert_int_equal(back.memcg, r->memcg);
	assert_int_equal(back.priority, r->priority);
	assert_int_equal(back.nr_to_scan, r->nr_to_scan);
	assert_int_equal(back.refcount, r->refcount);
	assert_int_equal(back.next, r->next);
	assert_int_equal(back.prev, r->prev);
	assert_int_equal(back.freed, r->freed);
	assert_int_equal(back.duration_ns, r->duration_ns);
	assert_int_equal(back.count, r->count);
}

static void test_exact_line(void **st)
{
	char buf[ST_JSONL_MAX];
	struct st_rec r = full_shrink_begin();

	r.ts = 2000100;
	assert_true(st_jsonl_format_rec(buf, sizeof(buf), &r) > 0);
	assert_string_equal(buf,
		"{\"type\":\"shrink_begin\",\"ts\":2000100,\"cpu\":3,\"pid\":4242,\"comm\":\"kswapd0\","
		"\"shrinker\":\"0xffff888104a1c000\",\"name\":\"sb-tmpfs\",\"nid\":1,\"memcg\":\"0x0\","
		"\"priority\":12,\"nr_to_scan\":128,\"refcount\":2,\"next\":\"0xffff888104a1c400\","
		"\"prev\":\"0xdead000000000122\"}\n");
}

static void test_roundtrip_all_types(void **st)
{
	struct st_rec r = full_shrink_begin();

	roundtrip(&r);
	memset(&r, 0, sizeof(r));
	r.type = ST_SHRINKER_REGISTER;
	r.ts = 1;
	strcpy(r.comm, "mount");
	r.shrinker = 0x1;
	strcpy(r.name, "nfs-acl");
	r.flags = 3;
	r.id = -1;
	r.has = ST_HAS_SHRINKER | ST_HAS_NAME | ST_HAS_FLAGS | ST_HAS_ID;
	roundtrip(&r);
	memset(&r, 0, sizeof(r));
	r.type = ST_SHRINK_END;
	r.ts = 7;
	r.pid = 0;
	r.shrinker = 0xffffffffffffffffULL;
	r.freed = ST_FREED_EMPTY;
	r.duration_ns = 123456789;
	r.next = 0;
	r.prev = 0;
	r.has = ST_HAS_SHRINKER | ST_HAS_FREED | ST_HAS_DURATION | ST_HAS_SNAPSHOT;
	roundtrip(&r);
	r.freed = ST_FREED_EMPTY - 1;
	roundtrip(&r);
	memset(&r, 0, sizeof(r));
	r.type = ST_RCU_FREE;
	r.inferred = true;
	r.shrinker = 0xffff888104a1c000ULL;
	r.has = ST_HAS_SHRINKER;
	roundtrip(&r);
	memset(&r, 0, sizeof(r));
	r.type = ST_LOST;
	r.count = 99;
	r.has = ST_HAS_COUNT;
	roundtrip(&r);
	memset(&r, 0, sizeof(r));
	r.type = ST_WALK_BEGIN;
	r.nid = -1;
	r.memcg = 0xffff888100200000ULL;
	r.priority = 0;
	r.has = ST_HAS_WALK;
	roundtrip(&r);
}

static void test_freed_empty_and_pointers(void **st)
{
	char buf[ST_JSONL_MAX];
	struct st_rec r;

	memset(&r, 0, sizeof(r));
	r.type = ST_SHRINK_END;
	r.shrinker = 0;
	r.freed = ST_FREED_EMPTY;
	r.next = 0xabc;
	r.prev = 0;
	r.has = ST_HAS_SHRINKER | ST_HAS_FREED | ST_HAS_SNAPSHOT;
	assert_true(st_jsonl_format_rec(buf, sizeof(buf), &r) > 0);
	assert_non_null(strstr(buf, "\"freed\":\"empty\""));
	assert_non_null(strstr(buf, "\"shrinker\":\"0x0\""));
	assert_non_null(strstr(buf, "\"next\":\"0xabc\""));
	/* only fields with their bit set; no inferred when false */
	assert_null(strstr(buf, "duration_ns"));
	assert_null(strstr(buf, "inferred"));
	assert_null(strstr(buf, "name"));
	r.inferred = true;
	assert_true(st_jsonl_format_rec(buf, sizeof(buf), &r) > 0);
	assert_non_null(strstr(buf, ",\"inferred\":true,"));
}

static void test_escaping(void **st)
{
	char buf[ST_JSONL_MAX], reason[256];
	struct st_rec r, back;

	memset(&r, 0, sizeof(r));
	r.type = ST_FREE_BEGIN;
	r.shrinker = 0x10;
	r.has = ST_HAS_SHRINKER | ST_HAS_NAME;
	memcpy(r.comm, "a\"b\\c\n\x01\x7f", 9);
	strcpy(r.name, "caf\xc3\xa9-\xe2\x82\xac");	/* valid UTF-8 kept as is */
	assert_true(st_jsonl_format_rec(buf, sizeof(buf), &r) > 0);
	assert_non_null(strstr(buf, "\"comm\":\"a\\\"b\\\\c\\n\\u0001\\u007f\""));
	assert_non_null(strstr(buf, "\"name\":\"caf\xc3\xa9-\xe2\x82\xac\""));
	assert_int_equal(st_parse_line(buf, strlen(buf), &back, reason, sizeof(reason)), ST_PARSE_EVENT);
	assert_string_equal(back.comm, r.comm);
	assert_string_equal(back.name, r.name);

	/* bytes that are not UTF-8: escaped, output stays valid UTF-8 and parses */
	memset(r.comm, 0, sizeof(r.comm));
	memcpy(r.comm, "x\xff\xc3(\xe2\x82", 6);	/* invalid byte, bad continuation, truncated */
	assert_true(st_jsonl_format_rec(buf, sizeof(buf), &r) > 0);
	assert_non_null(strstr(buf, "\"comm\":\"x\\u00ff\\u00c3(\\u00e2\\u0082\""));
	assert_int_equal(st_parse_line(buf, strlen(buf), &back, reason, sizeof(reason)), ST_PARSE_EVENT);
	assert_string_equal(back.comm, "x\xc3\xbf\xc3\x83(\xc3\xa2\xc2\x82");	/* Latin-1 reading */

	/* overlong encodings and surrogates are not valid UTF-8 */
	memset(r.comm, 0, sizeof(r.comm));
	memcpy(r.comm, "\xc0\xaf\xed\xa0\x80", 5);
	assert_true(st_jsonl_format_rec(buf, sizeof(buf), &r) > 0);
	assert_non_null(strstr(buf, "\"comm\":\"\\u00c0\\u00af\\u00ed\\u00a0\\u0080\""));
	assert_int_equal(st_parse_line(buf, strlen(buf), &back, reason, sizeof(reason)), ST_PARSE_EVENT);

	/* a comm filling all 16 bytes without NUL is bounded */
	memset(r.comm, 'z', sizeof(r.comm));
	assert_true(st_jsonl_format_rec(buf, sizeof(buf), &r) > 0);
	assert_non_null(strstr(buf, "\"comm\":\"zzzzzzzzzzzzzzzz\""));
}

static void test_too_small(void **st)
{
	char buf[ST_JSONL_MAX];
	struct st_rec r = full_shrink_begin();
	int n = st_jsonl_format_rec(buf, sizeof(buf), &r);

	assert_true(n > 0);
	assert_int_equal(st_jsonl_format_rec(buf, (size_t)n, &r), -1);	/* no room for NUL */
	assert_int_equal(st_jsonl_format_rec(buf, (size_t)n + 1, &r), n);
	assert_int_equal(st_jsonl_format_rec(buf, 0, &r), -1);
	r.type = ST_VIOLATION;
	assert_int_equal(st_jsonl_format_rec(buf, sizeof(buf), &r), -1);
}

static void test_violation_and_header(void **st)
{
	char buf[ST_JSONL_MAX], reason[256];
	struct st_violation v;
	struct st_rec back;
	struct st_parse_info info;

	memset(&v, 0, sizeof(v));
	v.kind = ST_V_STALE_NEXT;
	v.ts = 2000700;
	v.cpu = 0;
	v.pid = 100;
	strcpy(v.comm, "kswapd0");
	v.shrinker = 0xffff888104a1c000ULL;
	v.has_next = true;
	v.next = 0xffff888104a1c400ULL;
	v.walker_pid = 100;
	strcpy(v.walker_comm, "kswapd0");
	v.certain = false;
	strcpy(v.name, "sb-tmpfs");
	memset(v.detail, 'd', sizeof(v.detail) - 1);	/* the longest detail fits */
	v.detail[0] = '"';
	assert_true(st_jsonl_format_violation(buf, sizeof(buf), &v) > 0);
	assert_non_null(strstr(buf, "{\"type\":\"violation\",\"ts\":2000700,\"cpu\":0,\"pid\":100,"
				    "\"comm\":\"kswapd0\",\"kind\":\"stale_next\","
				    "\"shrinker\":\"0xffff888104a1c000\",\"name\":\"sb-tmpfs\","
				    "\"next\":\"0xffff888104a1c400\",\"walker_pid\":100,"
				    "\"walker_comm\":\"kswapd0\",\"certain\":false,\"detail\":\"\\\"ddd"));
	/* violation records are ignored on input */
	assert_int_equal(st_parse_line(buf, strlen(buf), &back, reason, sizeof(reason)), ST_PARSE_SKIP);

	assert_true(st_jsonl_format_header(buf, sizeof(buf), "6.12.95", "fentry", 123, 96) > 0);
	assert_string_equal(buf, "{\"type\":\"header\",\"format\":\"shrinktrace/1\",\"kernel\":\"6.12.95\","
				 "\"backend\":\"fentry\",\"clock\":\"monotonic\",\"start_ts\":123,"
				 "\"list_offset\":96}\n");
	assert_int_equal(st_parse_line_info(buf, strlen(buf), &back, reason, sizeof(reason), &info),
			 ST_PARSE_HEADER);
	assert_int_equal(back.ts, 123);
	assert_string_equal(info.kernel, "6.12.95");
	assert_string_equal(info.backend, "fentry");
	assert_int_equal(info.list_offset, 96);
	/* omitted when unknown */
	assert_true(st_jsonl_format_header(buf, sizeof(buf), "6.1", "kprobe", 1, -1) > 0);
	assert_null(strstr(buf, "list_offset"));
	assert_int_equal(st_parse_line_info(buf, strlen(buf), &back, reason, sizeof(reason), &info),
			 ST_PARSE_HEADER);
	assert_int_equal(info.list_offset, -1);
	/* a redacted log says so; readers take it as any header */
	assert_true(st_jsonl_format_header_ext(buf, sizeof(buf), "6.12.95", "fentry", 123, 96,
					       "all") > 0);
	assert_string_equal(buf, "{\"type\":\"header\",\"format\":\"shrinktrace/1\",\"kernel\":\"6.12.95\","
				 "\"backend\":\"fentry\",\"clock\":\"monotonic\",\"start_ts\":123,"
				 "\"list_offset\":96,\"redacted\":\"all\"}\n");
	assert_int_equal(st_parse_line_info(buf, strlen(buf), &back, reason, sizeof(reason), &info),
			 ST_PARSE_HEADER);
	assert_int_equal(info.list_offset, 96);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_line),
		cmocka_unit_test(test_roundtrip_all_types),
		cmocka_unit_test(test_freed_empty_and_pointers),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_violation_and_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
