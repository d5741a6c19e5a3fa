/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests of the loader's tables against the BPF object it embeds
 * (user/kernel/loader.c).  No privileges: the skeleton is opened, not loaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/loader.h"

/* Every program name of the implementation table exists in bpf/shrinktrace.bpf.c:
 * a renamed or dropped program fails here, not at run time on some kernel. */
static void test_every_program_resolves(void **state)
{
	char err[256];
	int rc = loader_self_check(err, sizeof(err));

	(void)state;
	if (rc)
		fail_msg("%s", err);
	assert_string_equal(err, "");
}

/* Every hook and backend has a name for the banner and the log header. */
static void test_names(void **state)
{
	(void)state;
	for (int h = 0; h < ST_NHOOKS; h++)
		assert_string_not_equal(loader_hook_name((enum st_hook)h), "?");
	assert_string_equal(loader_hook_name(ST_NHOOKS), "?");
	assert_string_equal(loader_backend_name(ST_BACKEND_FENTRY), "fentry");
	assert_string_equal(loader_backend_name(ST_BACKEND_KPROBE), "kprobe");
	assert_string_equal(loader_backend_name(ST_BACKEND_TRACEPOINT), "tracepoint");
	assert_string_equal(loader_backend_name(ST_BACKEND_AUTO), "none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_program_resolves),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
