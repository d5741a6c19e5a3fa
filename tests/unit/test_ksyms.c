/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests of the kallsyms table (user/kernel/ksyms.c): parsing, lookup, find, range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/ksyms.h"

/* Out of order on purpose; module lines use a tab before "[mod]" as the kernel does. */
static const char kallsyms[] =
	"ffffffff81002000 T super_cache_scan\n"
	"0000000000000000 A fixed_percpu_data\n"
	"ffffffff81000000 T startup_64\n"
	"ffffffff81001000 t __pfx_foo\n"
	"ffffffff81001010 t foo\n"
	"ffffffff81001100 W weak_fn\n"
	"ffffffff81001200 w weak_local\n"
	"ffffffff81001300 D some_data\n"
	"ffffffff81001400 d local_data\n"
	"ffffffff81001500 b some_bss\n"
	"ffffffff81001600 r some_rodata\n"
	"ffffffff81001700 R some_RODATA\n"
	"ffffffff81001800 A abs_sym\n"
	"ffffffff81002200 t bar.isra.0\n"
	"0000000000000000 T zero_addr_fn\n"
	"ffffffff81003000 T alias_b\n"
	"ffffffff81003000 T alias_a\n"
	"ffffffff81003100 T after_alias\n"
	"ffffffffc0000000 t ext4_es_scan\t[ext4]\n"
	"ffffffffc00000f0 t __pfx_mod_fn\t[ext4]\n"
	"ffffffffc0000100 t mod_fn\t[ext4]\n"
	"ffffffffc0001000 T xfs_fn\t[xfs]\n";

static struct ksyms *load_text(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct ksyms *ks;

	assert_non_null(f);
	ks = ksyms_load_file(f);
	fclose(f);
	assert_non_null(ks);
	return ks;
}

static int setup(void **state)
{
	*state = load_text(kallsyms);
	return 0;
}

static int teardown(void **state)
{
	ksyms_free(*state);
	return 0;
}

static void test_parse_keeps_text_only(void **state)
{
	struct ksyms *ks = *state;
	static const char *const dropped[] = {
		"fixed_percpu_data", "__pfx_foo", "some_data", "local_data", "some_bss",
		"some_rodata", "some_RODATA", "abs_sym", "zero_addr_fn", "__pfx_mod_fn",
	};

	/* startup_64 foo weak_fn weak_local super_cache_scan bar.isra.0 alias_a alias_b
	 * after_alias ext4_es_scan mod_fn xfs_fn */
	assert_int_equal(ksyms_count(ks), 12);
	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
		assert_null(ksyms_find(ks, dropped[i]));
	assert_non_null(ksyms_find(ks, "weak_fn"));
	assert_non_null(ksyms_find(ks, "weak_local"));
	assert_int_equal(ksyms_find(ks, "weak_local")->addr, 0xffffffff81001200ULL);
	/* data symbols do not end a function: 0x...1300 (some_data) is weak_local's */
	assert_string_equal(ksyms_lookup(ks, 0xffffffff81001300ULL)->name, "weak_local");
	assert_string_equal(ksyms_lookup(ks, 0xffffffff81001fffULL)->name, "weak_local");
}

static void test_module_suffix_kept(void **state)
{
	struct ksyms *ks = *state;
	const struct ksym *s = ksyms_find(ks, "ext4_es_scan");

	assert_non_null(s);
	assert_int_equal(s->addr, 0xffffffffc0000000ULL);
	assert_string_equal(s->name, "ext4_es_scan [ext4]");
	assert_string_equal(ksyms_find(ks, "xfs_fn")->name, "xfs_fn [xfs]");
	assert_string_equal(ksyms_find(ks, "foo")->name, "foo");	/* no suffix for vmlinux */
}

static void test_lookup(void **state)
{
	struct ksyms *ks = *state;

	/* below every symbol */
	assert_null(ksyms_lookup(ks, 0));
	assert_null(ksyms_lookup(ks, 0xffffffff80ffffffULL));
	/* at a symbol */
	assert_string_equal(ksyms_lookup(ks, 0xffffffff81000000ULL)->name, "startup_64");
	assert_string_equal(ksyms_lookup(ks, 0xffffffff81001010ULL)->name, "foo");
	assert_int_equal(ksyms_lookup(ks, 0xffffffff81001010ULL)->addr, 0xffffffff81001010ULL);
	/* inside */
	assert_string_equal(ksyms_lookup(ks, 0xffffffff81001011ULL)->name, "foo");
	assert_string_equal(ksyms_lookup(ks, 0xffffffff810010ffULL)->name, "foo");
	assert_string_equal(ksyms_lookup(ks, 0xffffffff81001100ULL)->name, "weak_fn");
	assert_string_equal(ksyms_lookup(ks, 0xffffffff81002250ULL)->name, "bar.isra.0");
	/* the dropped __pfx_foo padding belongs to the symbol before it */
	assert_string_equal(ksyms_lookup(ks, 0xffffffff81001000ULL)->name, "startup_64");
	/* modules */
	assert_string_equal(ksyms_lookup(ks, 0xffffffffc0000010ULL)->name, "ext4_es_scan [ext4]");
	assert_string_equal(ksyms_lookup(ks, 0xffffffffc0000108ULL)->name, "mod_fn [ext4]");
	/* above the last symbol: still the last one */
	assert_string_equal(ksyms_lookup(ks, 0xffffffffc0001234ULL)->name, "xfs_fn [xfs]");
	assert_string_equal(ksyms_lookup(ks, UINT64_MAX)->name, "xfs_fn [xfs]");
}

static void test_lookup_alias_is_deterministic(void **state)
{
	struct ksyms *ks = *state;
	const struct ksym *s = ksyms_lookup(ks, 0xffffffff81003000ULL);

	/* two names at one address: the first by name, whatever the input order */
	assert_non_null(s);
	assert_string_equal(s->name, "alias_a");
	assert_string_equal(ksyms_lookup(ks, 0xffffffff810030ffULL)->name, "alias_a");
	assert_string_equal(ksyms_lookup(ks, 0xffffffff81003100ULL)->name, "after_alias");
}

static void test_find(void **state)
{
	struct ksyms *ks = *state;

	assert_int_equal(ksyms_find(ks, "super_cache_scan")->addr, 0xffffffff81002000ULL);
	assert_int_equal(ksyms_find(ks, "startup_64")->addr, 0xffffffff81000000ULL);
	/* with the module suffix as stored, and without */
	assert_int_equal(ksyms_find(ks, "mod_fn")->addr, 0xffffffffc0000100ULL);
	assert_int_equal(ksyms_find(ks, "mod_fn [ext4]")->addr, 0xffffffffc0000100ULL);
	assert_null(ksyms_find(ks, "mod_fn [xfs]"));
	/* exact names only: no prefixes, no suffix stripping */
	assert_null(ksyms_find(ks, "fo"));
	assert_null(ksyms_find(ks, "foo2"));
	assert_null(ksyms_find(ks, "bar"));
	assert_int_equal(ksyms_find(ks, "bar.isra.0")->addr, 0xffffffff81002200ULL);
	assert_null(ksyms_find(ks, "ext4"));
	assert_null(ksyms_find(ks, ""));
	assert_null(ksyms_find(ks, "no_such_function"));
}

static void test_range(void **state)
{
	struct ksyms *ks = *state;
	uint64_t start = 1, end = 2;

	assert_int_equal(ksyms_range(ks, "foo", &start, &end), 0);
	assert_int_equal(start, 0xffffffff81001010ULL);
	assert_int_equal(end, 0xffffffff81001100ULL);
	assert_int_equal(ksyms_range(ks, "weak_local", &start, &end), 0);
	assert_int_equal(start, 0xffffffff81001200ULL);
	assert_int_equal(end, 0xffffffff81002000ULL);	/* data symbols do not end it */
	/* an alias pair: the end is the next higher address, not the alias */
	assert_int_equal(ksyms_range(ks, "alias_b", &start, &end), 0);
	assert_int_equal(start, 0xffffffff81003000ULL);
	assert_int_equal(end, 0xffffffff81003100ULL);
	assert_int_equal(ksyms_range(ks, "alias_a", &start, &end), 0);
	assert_int_equal(end, 0xffffffff81003100ULL);
	/* module symbols */
	assert_int_equal(ksyms_range(ks, "ext4_es_scan", &start, &end), 0);
	assert_int_equal(start, 0xffffffffc0000000ULL);
	assert_int_equal(end, 0xffffffffc0000100ULL);
	/* the last symbol has a non-empty range */
	assert_int_equal(ksyms_range(ks, "xfs_fn", &start, &end), 0);
	assert_int_equal(start, 0xffffffffc0001000ULL);
	assert_true(end > start);
	/* unknown: -1, outputs untouched */
	start = 7;
	end = 9;
	assert_int_equal(ksyms_range(ks, "nope", &start, &end), -1);
	assert_int_equal(start, 7);
	assert_int_equal(end, 9);
}

static void test_empty_and_null(void **state)
{
	struct ksyms *ks = load_text("");
	struct ksyms *zeros = load_text("0000000000000000 T a\n0000000000000000 t b\n");
	uint64_t s, e;

	assert_int_equal(ksyms_count(ks), 0);
	assert_null(ksyms_lookup(ks, 0xffffffff81000000ULL));
	assert_null(ksyms_find(ks, "a"));
	assert_int_equal(ksyms_range(ks, "a", &s, &e), -1);
	/* kptr_restrict: every address reads as zero, the table is empty */
	assert_int_equal(ksyms_count(zeros), 0);
	assert_null(ksyms_find(zeros, "a"));
	ksyms_free(ks);
	ksyms_free(zeros);
	/* NULL table */
	assert_int_equal(ksyms_count(NULL), 0);
	assert_null(ksyms_lookup(NULL, 0xffffffff81000000ULL));
	assert_null(ksyms_find(NULL, "a"));
	ksyms_free(NULL);
}

static void test_garbage_and_long_lines(void **state)
{
	/* a 600-byte name overflows the line buffer; the lines after it still parse */
	size_t n = 600;
	char *text = malloc(n + 256);
	struct ksyms *ks;

	assert_non_null(text);
	strcpy(text, "ffffffff81000000 T ");
	memset(text + strlen(text), 'x', n);
	strcpy(text + 19 + n, "\nnot a line\n\nffffffff81000100\nffffffff81000200 T good\n"
			      "ffffffff81000300 T \n");
	ks = load_text(text);
	assert_non_null(ksyms_find(ks, "good"));
	assert_int_equal(ksyms_find(ks, "good")->addr, 0xffffffff81000200ULL);
	assert_string_equal(ksyms_lookup(ks, 0xffffffff81000250ULL)->name, "good");
	/* the long symbol is kept under its first 255 bytes */
	assert_int_equal(ksyms_count(ks), 2);
	assert_int_equal(strlen(ksyms_lookup(ks, 0xffffffff81000000ULL)->name), 255);
	ksyms_free(ks);
	free(text);
}

static void test_many_symbols(void **state)
{
	/* more than the initial capacities (4096 symbols, 64 KiB of names) */
	size_t n = 20000, len = n * 64;
	char *text = malloc(len), *p = text;
	struct ksyms *ks;
	char name[64];

	assert_non_null(text);
	for (size_t i = n; i-- > 0;)	/* descending: must be sorted on load */
		p += sprintf(p, "%016llx T function_number_%zu\n",
			     0xffffffff81000000ULL + 0x40 * i, i);
	ks = load_text(text);
	assert_int_equal(ksyms_count(ks), n);
	for (size_t i = 0; i < n; i += 997) {
		snprintf(name, sizeof(name), "function_number_%zu", i);
		assert_string_equal(ksyms_lookup(ks, 0xffffffff81000000ULL + 0x40 * i + 0x3f)->name,
				    name);
		assert_int_equal(ksyms_find(ks, name)->addr, 0xffffffff81000000ULL + 0x40 * i);
	}
	ksyms_free(ks);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse_keeps_text_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_suffix_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_alias_is_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range, setup, teardown),
		cmocka_unit_test(test_empty_and_null),
		cmocka_unit_test(test_garbage_and_long_lines),
		cmocka_unit_test(test_many_symbols),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
