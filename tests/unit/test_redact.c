/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests of the pseudonyms of --redact (user/log/redact.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "log/redact.h"

static const uint8_t key16[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* The reference vectors of SipHash-2-4 (key 00..0f, message 00..len-1). */
static void test_siphash_vectors(void **st)
{
	static const struct { size_t len; uint64_t want; } v[] = {
		{ 0, 0x726fdb47dd0e0e31ULL },  { 7, 0xab0200f58b01d137ULL },
		{ 8, 0x93f5f5799a932462ULL },  { 15, 0xa129ca6149be45e5ULL },
		{ 16, 0x3f2acc7f57c29bdbULL }, { 63, 0x958a324ceb064572ULL },
	};
	uint8_t msg[64];

	(void)st;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_true(st_siphash24(key16, msg, v[i].len) == v[i].want);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Pseudonyms: stable, distinct, in the same half, invertible; the poisons and
 * NULL stay; a different key gives different pseudonyms. */
static void test_addr(void **st)
{
	struct st_redact r, r2, none;
	uint8_t k2[16] = { 1 };
	enum { N = 20000 };
	uint64_t *out = malloc(N * sizeof(*out));

	(void)st;
	assert_non_null(out);
	assert_int_equal(st_redact_init(&r, ST_REDACT_ADDRS, key16), 0);
	assert_int_equal(st_redact_init(&r2, ST_REDACT_ADDRS, k2), 0);
	assert_int_equal(st_redact_init(&none, ST_REDACT_NONE, key16), 0);
	assert_true(st_redact_addr(&r, 0) == 0);
	assert_true(st_redact_addr(&r, ST_POISON1) == ST_POISON1);
	assert_true(st_redact_addr(&r, ST_POISON2) == ST_POISON2);
	assert_true(st_redact_addr(&none, 0xffff888104a1c000ULL) == 0xffff888104a1c000ULL);
	for (uint64_t i = 0; i < N; i++) {
		uint64_t a = 0xffff888104a1c000ULL + i * 0x40;
		uint64_t p = st_redact_addr(&r, a);

		assert_true(p >= 0xffff000000000000ULL && p < 0xffffffffffff0000ULL);
		assert_true(p != a);
		assert_true(st_redact_addr(&r, a) == p);
		assert_true(st_redact_unaddr(&r, p) == a);
		assert_true(st_redact_addr(&r2, a) != p);
		out[i] = p;
	}
	qsort(out, N, sizeof(*out), cmp_u64);
	for (size_t i = 1; i < N; i++)
		assert_true(out[i] != out[i - 1]);
	/* values outside the kernel half stay outside it, and off the poisons */
	for (uint64_t i = 1; i < 5000; i++) {
		uint64_t v = i * 0x1000003ULL, p = st_redact_addr(&r, v);

		assert_true(p < 0xffff000000000000ULL || p >= 0xffffffffffff0000ULL);
		assert_true(p != 0 && p != ST_POISON1 && p != ST_POISON2);
		assert_true(st_redact_unaddr(&r, p) == v);
	}
	/* the top of the address space (ERR_PTR values) too */
	assert_true(st_redact_unaddr(&r, st_redact_addr(&r, 0xfffffffffffffff4ULL)) ==
		    0xfffffffffffffff4ULL);
	free(out);
}

/* A redacted `next` still names the redacted shrinker it points at. */
static void test_list_offset(void **st)
{
	struct st_redact r;
	const uint64_t a = 0xffff888104a1c400ULL;

	(void)st;
	st_redact_init(&r, ST_REDACT_ADDRS, key16);
	for (unsigned off = 0; off <= 200; off += 8) {
		uint64_t next = a + off;

		assert_true(st_redact_list(&r, next, off) - off == st_redact_addr(&r, a));
	}
	assert_true(st_redact_list(&r, ST_POISON2, 80) == ST_POISON2);
	assert_true(st_redact_list(&r, ST_POISON1, 80) == ST_POISON1);
	assert_true(st_redact_list(&r, 0, 80) == 0);
}

/* Task ids: 0 and negative stay, real ids stay within PID_MAX_LIMIT, larger
 * ones above it; distinct stay distinct; only with ST_REDACT_ALL. */
static void test_pid(void **st)
{
	struct st_redact r, ra;
	enum { N = 1 << 16 };
	uint64_t *out = malloc(N * sizeof(*out));

	(void)st;
	assert_non_null(out);
	st_redact_init(&r, ST_REDACT_ALL, key16);
	st_redact_init(&ra, ST_REDACT_ADDRS, key16);
	assert_int_equal(st_redact_pid(&r, 0), 0);
	assert_int_equal(st_redact_pid(&r, -5), -5);
	assert_int_equal(st_redact_pid(&ra, 1234), 1234);
	for (int i = 0; i < N; i++) {
		int pid = 1 + i * 61, p = st_redact_pid(&r, pid);

		assert_true(p >= 1 && p <= 4194304);
		assert_int_equal(st_redact_pid(&r, pid), p);
		out[i] = (uint64_t)p;
	}
	qsort(out, N, sizeof(*out), cmp_u64);
	for (size_t i = 1; i < N; i++)
		assert_true(out[i] != out[i - 1]);
	for (int pid = 4194305; pid < 4194305 + 1000; pid++) {
		int p = st_redact_pid(&r, pid);

		assert_true(p > 4194304);
	}
	assert_true(st_redact_pid(&r, INT32_MAX) > 4194304);
	free(out);
}

static void test_rec_and_modes(void **st)
{
	struct st_redact r;
	struct st_rec rec;

	(void)st;
	assert_int_equal(st_redact_mode_parse(NULL), ST_REDACT_ADDRS);
	assert_int_equal(st_redact_mode_parse("addrs"), ST_REDACT_ADDRS);
	assert_int_equal(st_redact_mode_parse("all"), ST_REDACT_ALL);
	assert_int_equal(st_redact_mode_parse("everything"), -1);
	assert_string_equal(st_redact_mode_name(ST_REDACT_ALL), "all");
	assert_string_equal(st_redact_mode_name(ST_REDACT_ADDRS), "addrs");

	st_redact_init(&r, ST_REDACT_ALL, key16);
	memset(&rec, 0, sizeof(rec));
	rec.type = ST_SHRINK_END;
	rec.has = ST_HAS_SHRINKER | ST_HAS_SNAPSHOT | ST_HAS_WALK;
	rec.shrinker = 0xffff888104a1c400ULL;
	rec.next = 0xffff888104a1c850ULL;	/* the next shrinker's list, offset 0x50 */
	rec.prev = ST_POISON2;
	rec.memcg = 0xffff888100002000ULL;
	rec.pid = 100;
	strcpy(rec.comm, "kswapd0");
	st_redact_rec(&r, &rec, 0x50);
	assert_true(rec.shrinker == st_redact_addr(&r, 0xffff888104a1c400ULL));
	assert_true(rec.next - 0x50 == st_redact_addr(&r, 0xffff888104a1c800ULL));
	assert_true(rec.prev == ST_POISON2);
	assert_true(rec.memcg == st_redact_addr(&r, 0xffff888100002000ULL));
	assert_int_equal(rec.pid, st_redact_pid(&r, 100));
	assert_string_equal(rec.comm, "");
	/* an unsymbolised scan_objects in the name: its address redacted too */
	{
		char want[ST_REC_NAME_LEN];

		memset(&rec, 0, sizeof(rec));
		rec.has = ST_HAS_NAME;
		strcpy(rec.name, "scan@0xffffffffc0a01230");
		st_redact_rec(&r, &rec, 0);
		snprintf(want, sizeof(want), "scan@0x%llx",
			 (unsigned long long)st_redact_addr(&r, 0xffffffffc0a01230ULL));
		assert_string_equal(rec.name, want);
		assert_string_not_equal(rec.name, "scan@0xffffffffc0a01230");
		strcpy(rec.name, "sb-tmpfs");
		st_redact_rec(&r, &rec, 0);
		assert_string_equal(rec.name, "sb-tmpfs");
	}
	/* a fresh random key each time */
	{
		struct st_redact a, b;

		assert_int_equal(st_redact_init(&a, ST_REDACT_ADDRS, NULL), 0);
		assert_int_equal(st_redact_init(&b, ST_REDACT_ADDRS, NULL), 0);
		assert_memory_not_equal(a.key, b.key, sizeof(a.key));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_list_offset),
		cmocka_unit_test(test_pid),
		cmocka_unit_test(test_rec_and_modes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
