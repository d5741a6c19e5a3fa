/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests of shrinker naming and kernel event -> log record (user/kernel/names.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/names.h"

static const char kallsyms[] =
	"ffffffff81000000 T startup_64\n"
	"ffffffff81400000 T super_cache_scan\n"
	"ffffffff81400200 t deferred_split_scan\n"
	"ffffffff81400400 t count_shadow_nodes.isra.0\n"
	"ffffffff81400500 t kfree_rcu_shrink_scan.constprop.0\n"
	"ffffffffc0010000 t ext4_es_scan\t[ext4]\n"
	"ffffffffc0010400 t xfs_buftarg_shrink_scan.cold\t[xfs]\n";

#define SHRINKER 0xffff888104a1c000ULL
#define NEXT	 0xffff888104a1c400ULL
#define PREV	 0xffff888104a1b800ULL
#define MEMCG	 0xffff888100246900ULL

static int setup(void **state)
{
	FILE *f = fmemopen((void *)kallsyms, strlen(kallsyms), "r");

	assert_non_null(f);
	*state = ksyms_load_file(f);
	fclose(f);
	assert_non_null(*state);
	assert_int_equal(ksyms_count(*state), 7);
	return 0;
}

static int teardown(void **state)
{
	ksyms_free(*state);
	return 0;
}

/* A kernel event with every field set, so that a field that leaks into the
 * wrong record type shows. */
static struct st_event ev(uint32_t type, uint32_t flags)
{
	struct st_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.flags = flags;
	e.ts = 123456789012345ULL;
	e.cpu = 3;
	e.pid = 4242;
	memcpy(e.comm, "kswapd0", 8);
	e.shrinker = SHRINKER;
	e.next = NEXT;
	e.prev = PREV;
	e.memcg = MEMCG;
	e.nr_to_scan = 128;
	e.freed = 77;
	e.duration_ns = 5555;
	e.scan_fn = 0xffffffff81400200ULL;	/* deferred_split_scan */
	e.nid = 1;
	e.priority = 12;
	e.refcount = 2;
	e.id = 41;
	e.shrinker_flags = 0xf;
	return e;
}

static const char *name_of(const struct st_event *e, const struct ksyms *ks)
{
	static char out[ST_REC_NAME_LEN];

	memset(out, 'Z', sizeof(out));
	if (st_shrinker_name(e, ks, out, sizeof(out)))
		return NULL;
	return out;
}

/* ---- st_shrinker_name ----------------------------------------------------- */

static void test_name_from_kernel(void **state)
{
	struct st_event e = ev(ST_EV_SHRINK_BEGIN, ST_F_NAME | ST_F_FSTYPE | ST_F_SCAN_FN);

	strcpy(e.name, "ext4-es:sda1");
	/* shrinker->name wins over everything else */
	assert_string_equal(name_of(&e, *state), "ext4-es:sda1");
	/* a name filling the whole field without NUL is cut at the field */
	memset(e.name, 'n', sizeof(e.name));
	assert_int_equal(strlen(name_of(&e, *state)), ST_NAME_LEN);
}

static void test_name_superblock(void **state)
{
	struct st_event e = ev(ST_EV_SHRINK_BEGIN, ST_F_FSTYPE | ST_F_SCAN_FN);
	char small[6];

	strcpy(e.name, "tmpfs");
	assert_string_equal(name_of(&e, *state), "sb-tmpfs");
	strcpy(e.name, "ext4");
	assert_string_equal(name_of(&e, NULL), "sb-ext4");
	/* truncated to the output buffer, always terminated */
	memset(small, 'Z', sizeof(small));
	assert_int_equal(st_shrinker_name(&e, *state, small, sizeof(small)), 0);
	assert_string_equal(small, "sb-ex");
}

static void test_name_scan_fn(void **state)
{
	struct st_event e = ev(ST_EV_SHRINK_BEGIN, ST_F_SCAN_FN);

	e.scan_fn = 0xffffffff81400200ULL;
	assert_string_equal(name_of(&e, *state), "deferred_split_scan");
	e.scan_fn = 0xffffffff81400000ULL;
	assert_string_equal(name_of(&e, *state), "super_cache_scan");
	/* compiler suffixes go */
	e.scan_fn = 0xffffffff81400400ULL;
	assert_string_equal(name_of(&e, *state), "count_shadow_nodes");
	e.scan_fn = 0xffffffff81400500ULL;
	assert_string_equal(name_of(&e, *state), "kfree_rcu_shrink_scan");
	/* the module suffix goes */
	e.scan_fn = 0xffffffffc0010000ULL;
	assert_string_equal(name_of(&e, *state), "ext4_es_scan");
	e.scan_fn = 0xffffffffc0010400ULL;
	assert_string_equal(name_of(&e, *state), "xfs_buftarg_shrink_scan");
	/* not at the start of the symbol: +offset */
	e.scan_fn = 0xffffffff81400210ULL;
	assert_string_equal(name_of(&e, *state), "deferred_split_scan+0x10");
	e.scan_fn = 0xffffffff81400401ULL;
	assert_string_equal(name_of(&e, *state), "count_shadow_nodes+0x1");
	e.scan_fn = 0xffffffffc0010008ULL;
	assert_string_equal(name_of(&e, *state), "ext4_es_scan+0x8");
}

static void test_name_scan_fn_small_buffer(void **state)
{
	struct st_event e = ev(ST_EV_SHRINK_BEGIN, ST_F_SCAN_FN);
	char out[9];

	memset(out, 'Z', sizeof(out));
	assert_int_equal(st_shrinker_name(&e, *state, out, sizeof(out)), 0);
	assert_string_equal(out, "deferred");
	e.scan_fn += 0x10;
	memset(out, 'Z', sizeof(out));
	assert_int_equal(st_shrinker_name(&e, *state, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), sizeof(out) - 1);
	assert_memory_equal(out, "deferred", 8);
}

static void test_name_unknown_scan_fn(void **state)
{
	struct st_event e = ev(ST_EV_SHRINK_BEGIN, ST_F_SCAN_FN);

	/* no symbol table */
	assert_string_equal(name_of(&e, NULL), "scan@0xffffffff81400200");
	/* below every symbol */
	e.scan_fn = 0xffffffff80001234ULL;
	assert_string_equal(name_of(&e, *state), "scan@0xffffffff80001234");
}

static void test_name_none(void **state)
{
	struct st_event e = ev(ST_EV_SHRINK_BEGIN, 0);
	char out[16];

	strcpy(e.name, "tmpfs");	/* not flagged: not a name */
	memset(out, 'Z', sizeof(out));
	assert_int_equal(st_shrinker_name(&e, *state, out, sizeof(out)), -1);
	assert_string_equal(out, "");
	/* ST_F_SCAN_FN with a NULL scan_objects */
	e.flags = ST_F_SCAN_FN;
	e.scan_fn = 0;
	memset(out, 'Z', sizeof(out));
	assert_int_equal(st_shrinker_name(&e, *state, out, sizeof(out)), -1);
	assert_string_equal(out, "");
}

/* ---- st_rec_from_event ---------------------------------------------------- */

static void assert_common(const struct st_rec *r, enum st_type t)
{
	assert_int_equal(r->type, t);
	assert_int_equal(r->ts, 123456789012345ULL);
	assert_int_equal(r->cpu, 3);
	assert_int_equal(r->pid, 4242);
	assert_string_equal(r->comm, "kswapd0");
}

static void test_rec_alloc(void **state)
{
	struct st_event e = ev(ST_EV_SHRINKER_ALLOC, ST_F_SCAN_FN | ST_F_REFCOUNT);
	struct st_rec r;

	st_rec_from_event(&r, &e, *state);
	assert_common(&r, ST_SHRINKER_ALLOC);
	assert_false(r.inferred);
	assert_int_equal(r.has, ST_HAS_SHRINKER | ST_HAS_FLAGS | ST_HAS_ID | ST_HAS_NAME);
	assert_int_equal(r.shrinker, SHRINKER);
	assert_int_equal(r.flags, 0xf);
	assert_int_equal(r.id, 41);
	assert_string_equal(r.name, "deferred_split_scan");
	assert_int_equal(r.refcount, 0);	/* refcount only on shrink_begin/free_begin */

	/* inferred from kmem:kmalloc: the address only */
	e = ev(ST_EV_SHRINKER_ALLOC, ST_F_INFERRED);
	st_rec_from_event(&r, &e, *state);
	assert_true(r.inferred);
	assert_int_equal(r.has, ST_HAS_SHRINKER);
	assert_int_equal(r.shrinker, SHRINKER);
	assert_int_equal(r.flags, 0);
	assert_int_equal(r.id, -1);
}

static void test_rec_register(void **state)
{
	struct st_event e = ev(ST_EV_SHRINKER_REGISTER, ST_F_INFERRED | ST_F_FSTYPE);
	struct st_rec r;

	strcpy(e.name, "tmpfs");
	st_rec_from_event(&r, &e, *state);
	assert_common(&r, ST_SHRINKER_REGISTER);
	/* an inferred register still has flags and id: the scan read them */
	assert_true(r.inferred);
	assert_int_equal(r.has, ST_HAS_SHRINKER | ST_HAS_FLAGS | ST_HAS_ID | ST_HAS_NAME);
	assert_int_equal(r.flags, 0xf);
	assert_int_equal(r.id, 41);
	assert_string_equal(r.name, "sb-tmpfs");

	/* not memcg aware */
	e = ev(ST_EV_SHRINKER_REGISTER, 0);
	e.id = -1;
	st_rec_from_event(&r, &e, *state);
	assert_false(r.inferred);
	assert_int_equal(r.id, -1);
	assert_int_equal(r.has, ST_HAS_SHRINKER | ST_HAS_FLAGS | ST_HAS_ID);
}

static void test_rec_walk(void **state)
{
	struct st_event e = ev(ST_EV_WALK_BEGIN, ST_F_WALK_INFO | ST_F_FSTYPE);
	struct st_rec r;

	strcpy(e.name, "tmpfs");
	st_rec_from_event(&r, &e, *state);
	assert_common(&r, ST_WALK_BEGIN);
	/* a walk names no shrinker */
	assert_int_equal(r.has, ST_HAS_WALK);
	assert_int_equal(r.nid, 1);
	assert_int_equal(r.memcg, MEMCG);
	assert_int_equal(r.priority, 12);
	assert_int_equal(r.shrinker, 0);
	assert_string_equal(r.name, "");

	e = ev(ST_EV_WALK_END, 0);
	e.freed = 4321;
	st_rec_from_event(&r, &e, *state);
	assert_common(&r, ST_WALK_END);
	assert_int_equal(r.has, ST_HAS_FREED);
	assert_int_equal(r.freed, 4321);
	assert_int_equal(r.nid, 0);
	assert_int_equal(r.memcg, 0);
}

static void test_rec_shrink_begin(void **state)
{
	struct st_event e = ev(ST_EV_SHRINK_BEGIN, ST_F_FSTYPE | ST_F_SCAN_FN | ST_F_SNAPSHOT |
					   ST_F_REFCOUNT | ST_F_WALK_INFO | ST_F_NR_TO_SCAN);
	struct st_rec r;

	e.prev = ST_LIST_POISON2;
	strcpy(e.name, "tmpfs");
	st_rec_from_event(&r, &e, *state);
	assert_common(&r, ST_SHRINK_BEGIN);
	assert_int_equal(r.has, ST_HAS_SHRINKER | ST_HAS_WALK | ST_HAS_NR_TO_SCAN | ST_HAS_NAME |
				ST_HAS_SNAPSHOT | ST_HAS_REFCOUNT);
	assert_int_equal(r.shrinker, SHRINKER);
	assert_string_equal(r.name, "sb-tmpfs");
	assert_int_equal(r.nid, 1);
	assert_int_equal(r.memcg, MEMCG);
	assert_int_equal(r.priority, 12);
	assert_int_equal(r.nr_to_scan, 128);
	assert_int_equal(r.refcount, 2);
	assert_int_equal(r.next, NEXT);
	assert_int_equal(r.prev, ST_POISON2);
	assert_int_equal(r.freed, 0);
	assert_int_equal(r.duration_ns, 0);

	/* 6.1: no refcount in struct shrinker, no snapshot flag -> no snapshot */
	e = ev(ST_EV_SHRINK_BEGIN, ST_F_SCAN_FN | ST_F_WALK_INFO | ST_F_NR_TO_SCAN);
	st_rec_from_event(&r, &e, *state);
	assert_int_equal(r.has, ST_HAS_SHRINKER | ST_HAS_WALK | ST_HAS_NR_TO_SCAN | ST_HAS_NAME);
	assert_int_equal(r.refcount, 0);
	assert_int_equal(r.next, 0);
	assert_int_equal(r.prev, 0);
	assert_string_equal(r.name, "deferred_split_scan");
}

static void test_rec_shrink_end(void **state)
{
	struct st_event e = ev(ST_EV_SHRINK_END, ST_F_SCAN_FN | ST_F_SNAPSHOT | ST_F_REFCOUNT |
					 ST_F_DURATION);
	struct st_rec r;

	st_rec_from_event(&r, &e, *state);
	assert_common(&r, ST_SHRINK_END);
	/* snapshot but no refcount, no walk info */
	assert_int_equal(r.has, ST_HAS_SHRINKER | ST_HAS_FREED | ST_HAS_DURATION | ST_HAS_NAME |
				ST_HAS_SNAPSHOT);
	assert_int_equal(r.freed, 77);
	assert_int_equal(r.duration_ns, 5555);
	assert_int_equal(r.next, NEXT);
	assert_int_equal(r.prev, PREV);
	assert_int_equal(r.refcount, 0);
	assert_int_equal(r.nid, 0);
	assert_int_equal(r.memcg, 0);
	assert_int_equal(r.nr_to_scan, 0);

	/* SHRINK_EMPTY passes through unchanged (written "empty") */
	e.freed = ST_SHRINK_EMPTY;
	st_rec_from_event(&r, &e, *state);
	assert_int_equal(r.freed, ST_FREED_EMPTY);
	assert_int_equal(r.freed, 0xfffffffffffffffeULL);
	e.freed = 0;
	st_rec_from_event(&r, &e, *state);
	assert_true(r.has & ST_HAS_FREED);
	assert_int_equal(r.freed, 0);
}

static void test_rec_free(void **state)
{
	struct st_event e;
	struct st_rec r;

	/* inferred free_begin from the scan: refcount 0 and the unlink poison */
	e = ev(ST_EV_FREE_BEGIN, ST_F_INFERRED | ST_F_SNAPSHOT | ST_F_REFCOUNT);
	e.refcount = 0;
	e.prev = ST_LIST_POISON2;
	st_rec_from_event(&r, &e, *state);
	assert_common(&r, ST_FREE_BEGIN);
	assert_true(r.inferred);
	assert_int_equal(r.has, ST_HAS_SHRINKER | ST_HAS_SNAPSHOT | ST_HAS_REFCOUNT);
	assert_int_equal(r.refcount, 0);
	assert_int_equal(r.prev, ST_POISON2);
	assert_int_equal(r.id, -1);

	e = ev(ST_EV_FREE_END, ST_F_SNAPSHOT | ST_F_REFCOUNT | ST_F_FSTYPE);
	strcpy(e.name, "tmpfs");
	st_rec_from_event(&r, &e, *state);
	assert_common(&r, ST_FREE_END);
	assert_false(r.inferred);
	assert_int_equal(r.has, ST_HAS_SHRINKER | ST_HAS_SNAPSHOT | ST_HAS_NAME);
	assert_int_equal(r.shrinker, SHRINKER);
	assert_string_equal(r.name, "sb-tmpfs");
	assert_int_equal(r.refcount, 0);

	/* rcu_free: the memory is gone, no snapshot even if the kernel side sent one */
	e = ev(ST_EV_RCU_FREE, ST_F_INFERRED | ST_F_SNAPSHOT | ST_F_REFCOUNT | ST_F_FSTYPE);
	strcpy(e.name, "tmpfs");
	st_rec_from_event(&r, &e, *state);
	assert_common(&r, ST_RCU_FREE);
	assert_true(r.inferred);
	assert_int_equal(r.has, ST_HAS_SHRINKER | ST_HAS_NAME);
	assert_int_equal(r.shrinker, SHRINKER);
	assert_string_equal(r.name, "sb-tmpfs");
	assert_int_equal(r.next, 0);
	assert_int_equal(r.prev, 0);
	assert_int_equal(r.refcount, 0);
}

static void test_rec_lost(void **state)
{
	struct st_event e = ev(ST_EV_LOST, ST_F_SCAN_FN | ST_F_COUNT);
	struct st_rec r;

	e.count = 9876;
	st_rec_from_event(&r, &e, *state);
	assert_common(&r, ST_LOST);
	assert_int_equal(r.has, ST_HAS_COUNT);
	assert_int_equal(r.count, 9876);
	assert_int_equal(r.freed, 0);
	assert_int_equal(r.shrinker, 0);
	assert_string_equal(r.name, "");
}

/* The call's vmscan tracepoints joined to its shrink_end: each group of
 * fields under its own kernel flag, and only on shrink_end. */
static void test_rec_shrink_end_detail(void **state)
{
	/* shrink_end carries no name (ST_F_SCAN_FN): its detail shares that room */
	struct st_event e = ev(ST_EV_SHRINK_END, ST_F_COUNT | ST_F_SCAN_INFO | ST_F_COUNT_NS |
					 ST_F_SCAN_NS);
	struct st_rec r;

	e.count = 2203;
	e.delta = 4406;
	e.total_scan = 4406;
	e.scanned = 128;
	e.nr_deferred = 1380;
	e.new_nr_deferred = 4278;
	e.unused_scan = 1380;
	e.count_ns = 700;
	e.scan_ns = 4800;
	st_rec_from_event(&r, &e, *state);
	assert_int_equal(r.has, ST_HAS_SHRINKER | ST_HAS_FREED | ST_HAS_DURATION | ST_HAS_COUNT |
				ST_HAS_SCAN_INFO | ST_HAS_COUNT_NS | ST_HAS_SCAN_NS);
	assert_int_equal(r.count, 2203);
	assert_int_equal(r.delta, 4406);
	assert_int_equal(r.total_scan, 4406);
	assert_int_equal(r.scanned, 128);
	assert_int_equal(r.nr_deferred, 1380);
	assert_int_equal(r.new_nr_deferred, 4278);
	assert_int_equal(r.unused_scan, 1380);
	assert_int_equal(r.count_ns, 700);
	assert_int_equal(r.scan_ns, 4800);

	/* count_objects() found nothing: only count (SHRINK_EMPTY) and the times */
	e = ev(ST_EV_SHRINK_END, ST_F_COUNT | ST_F_COUNT_NS | ST_F_SCAN_NS);
	e.count = ST_SHRINK_EMPTY;
	e.count_ns = 900;
	e.scan_ns = 0;
	st_rec_from_event(&r, &e, *state);
	assert_int_equal(r.has, ST_HAS_SHRINKER | ST_HAS_FREED | ST_HAS_DURATION | ST_HAS_COUNT |
				ST_HAS_COUNT_NS | ST_HAS_SCAN_NS);
	assert_int_equal(r.count, ST_FREED_EMPTY);
	assert_int_equal(r.scan_ns, 0);
	assert_int_equal(r.delta, 0);

	/* the same flags on a shrink_begin fill nothing */
	e = ev(ST_EV_SHRINK_BEGIN, ST_F_SCAN_FN | ST_F_COUNT | ST_F_SCAN_INFO);
	e.count = 5;
	e.delta = 6;
	st_rec_from_event(&r, &e, *state);
	assert_int_equal(r.has & (ST_HAS_COUNT | ST_HAS_SCAN_INFO), 0);
	assert_int_equal(r.count, 0);
}

/* A walk's trigger: memcg_limit only for trigger memcg with a known limit. */
static void test_rec_walk_trigger(void **state)
{
	struct st_event e = ev(ST_EV_WALK_BEGIN, ST_F_WALK_INFO | ST_F_TRIGGER | ST_F_ORDER |
					 ST_F_STACK);
	struct st_rec r;

	e.trigger = ST_TRIG_MEMCG;
	e.memcg_limit = ST_LIMIT_HIGH;
	e.gfp = 0xcc0;
	e.order = 3;
	e.stack_id = 17;
	st_rec_from_event(&r, &e, *state);
	assert_int_equal(r.has, ST_HAS_WALK | ST_HAS_TRIGGER | ST_HAS_LIMIT | ST_HAS_ORDER |
				ST_HAS_STACK);
	assert_int_equal(r.trigger, ST_TRIG_MEMCG);
	assert_int_equal(r.memcg_limit, ST_LIMIT_HIGH);
	assert_int_equal(r.gfp, 0xcc0);
	assert_int_equal(r.order, 3);
	assert_int_equal(r.stack_id, 17);

	e = ev(ST_EV_WALK_BEGIN, ST_F_WALK_INFO | ST_F_TRIGGER);
	e.trigger = ST_TRIG_KSWAPD;
	e.memcg_limit = ST_LIMIT_MAX;	/* not for a kswapd walk */
	st_rec_from_event(&r, &e, *state);
	assert_int_equal(r.has, ST_HAS_WALK | ST_HAS_TRIGGER);
	assert_int_equal(r.memcg_limit, 0);

	e.trigger = ST_TRIG_MEMCG;
	e.memcg_limit = ST_LIMIT_UNKNOWN;	/* memcg, limit not found on the stack */
	st_rec_from_event(&r, &e, *state);
	assert_int_equal(r.has, ST_HAS_WALK | ST_HAS_TRIGGER);
}

static void test_rec_unknown_and_comm(void **state)
{
	static const uint32_t bad[] = { 0, ST_EV_MAX_KERNEL, 12, 99, 0xffffffffu };
	struct st_event e;
	struct st_rec r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = ev(bad[i], ST_F_SCAN_FN | ST_F_FSTYPE);
		memset(&r, 0x55, sizeof(r));
		st_rec_from_event(&r, &e, *state);
		/* in particular the kernel side cannot make a "violation" (11) */
		assert_int_equal(r.type, ST_UNKNOWN);
		assert_int_equal(r.has, 0);
		assert_int_equal(r.shrinker, 0);
	}
	/* a full 16-byte comm without NUL is cut to 15 bytes */
	e = ev(ST_EV_FREE_END, 0);
	memcpy(e.comm, "abcdefghijklmnop", 16);
	st_rec_from_event(&r, &e, *state);
	assert_string_equal(r.comm, "abcdefghijklmno");
	/* the inferred comm of the tracepoint backend */
	memcpy(e.comm, "[inferred]\0\0\0\0\0", 16);
	e.pid = 0;
	e.flags = ST_F_INFERRED;
	st_rec_from_event(&r, &e, *state);
	assert_string_equal(r.comm, "[inferred]");
	assert_int_equal(r.pid, 0);
	assert_true(r.inferred);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_name_from_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_superblock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_scan_fn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_scan_fn_small_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_unknown_scan_fn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rec_alloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rec_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rec_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rec_shrink_begin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rec_shrink_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rec_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rec_shrink_end_detail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rec_walk_trigger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rec_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rec_unknown_and_comm, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
