/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * compat.bpf.h - every read of a kernel field whose presence, place or meaning
 * differs across the kernels shrinktrace runs on, in one place.
 *
 * Each getter says which kernels it handles and the upstream change that made
 * the difference (titles as in the kernel's git log).  Field offsets are CO-RE
 * relocated (bpf/shrinker_types.h); what CO-RE cannot see (a #define that was
 * renumbered, a field that moved into another struct) is decided here with
 * bpf_core_field_exists() on a field that arrived in the same release.
 *
 * The kernel's own names are kept: shrinker, list, refcount, private_data,
 * SHRINKER_REGISTERED, LIST_POISON2.
 */
#ifndef SHRINKTRACE_COMPAT_BPF_H
#define SHRINKTRACE_COMPAT_BPF_H

#include "shrinker_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* bpf/shrinker_types.h declares x86-64's struct pt_regs, and LIST_POISON2 in
 * bpf/shrinktrace.h is x86-64's (CONFIG_ILLEGAL_POINTER_VALUE 0xdead000000000000). */
#if !defined(__TARGET_ARCH_x86)
#error "shrinktrace's BPF side supports x86-64 only: build with -D__TARGET_ARCH_x86 (other architectures need their struct pt_regs in bpf/shrinker_types.h and their LIST_POISON2)"
#endif

/* ---- 6.7: lockless shrinkers ----------------------------------------------
 * "mm: shrinker: make global slab shrink lockless" (6.7) added refcount, done
 * and rcu to struct shrinker; "mm: shrinker: add infrastructure for
 * dynamically allocating shrinker" (6.7) added shrinker_alloc(),
 * shrinker_register(), shrinker_free(), private_data.  Before 6.7 there is no
 * refcount and shrinker_list is protected by shrinker_rwsem, not RCU. */
static __always_inline bool st_lockless_shrinkers(struct shrinker *s)
{
	return bpf_core_field_exists(s->refcount);
}

/* refcount_read(&s->refcount) into *out (read once); false before 6.7. */
static __always_inline bool st_shrinker_refcount(struct shrinker *s, __s32 *out)
{
	if (!bpf_core_field_exists(s->refcount))
		return false;
	*out = BPF_CORE_READ(s, refcount.refs.counter);
	return true;
}

/* The same for a BTF-typed pointer (an fentry/fexit or tp_btf argument), read
 * with an inline load the verifier makes fault-safe instead of a
 * bpf_probe_read_kernel() call: the hot path's read. */
static __always_inline bool st_shrinker_refcount_btf(struct shrinker *s, __s32 *out)
{
	if (!bpf_core_field_exists(s->refcount))
		return false;
	*out = s->refcount.refs.counter;
	return true;
}

/* The shrinker of an rcu_head passed to shrinker_free_rcu_cb() (6.7+). */
static __always_inline __u64 st_shrinker_of_rcu(struct callback_head *head)
{
	return (__u64)head - bpf_core_field_offset(struct shrinker, rcu);
}

/* offsetof(struct shrinker, list): 0x60 on Debian's 6.12 and this 6.18, 0x20 on 6.1. */
static __always_inline __u64 st_shrinker_list_offset(void)
{
	return bpf_core_field_offset(struct shrinker, list);
}

/* ---- SHRINKER_* flag bits ---------------------------------------------------
 * SHRINKER_REGISTERED is bit 0 on every kernel.  6.7 ("mm: shrinker: some
 * cleanup", the fix-up of "mm: shrinker: add infrastructure for dynamically
 * allocating shrinker") put SHRINKER_ALLOCATED at BIT(1) and moved
 * NUMA_AWARE 1<<1 -> BIT(2), MEMCG_AWARE 1<<2 -> BIT(3), NONSLAB 1<<3 -> BIT(4).
 * The log's "flags" stays shrinker->flags as read; these decode it here. */
#define ST_SHRINKER_REGISTERED	0x1u

static __always_inline bool st_flags_registered(__u32 flags)
{
	return flags & ST_SHRINKER_REGISTERED;
}

static __always_inline bool st_flags_memcg_aware(struct shrinker *s, __u32 flags)
{
	return flags & (st_lockless_shrinkers(s) ? 1u << 3 : 1u << 2);
}

/* ---- shrinker->name ---------------------------------------------------------
 * Only with CONFIG_SHRINKER_DEBUG: "mm: shrinkers: provide shrinkers with
 * names" (6.0).  NULL when the kernel has no such field (Debian's 6.1 and 6.12,
 * this 6.18) or the shrinker has no name. */
static __always_inline const char *st_shrinker_debug_name(struct shrinker *s)
{
	if (!bpf_core_field_exists(((struct shrinker___dbg *)s)->name))
		return NULL;
	return BPF_CORE_READ((struct shrinker___dbg *)s, name);
}

/* ---- the superblock of super_cache_scan's shrinker ------------------------
 * 6.7+ ("fs: super: dynamically allocate the s_shrink"): s_shrink is a pointer
 * and the shrinker's private_data is the super_block.  Before 6.7 the shrinker
 * is embedded in struct super_block as s_shrink.  Only meaningful for a
 * shrinker whose scan_objects is super_cache_scan. */
static __always_inline struct super_block *st_shrinker_super(struct shrinker *s)
{
	if (bpf_core_field_exists(s->private_data))
		return BPF_CORE_READ(s, private_data);
	return (void *)s - bpf_core_field_offset(struct super_block___embedded, s_shrink);
}

/* ---- do_shrink_slab.cold ------------------------------------------------------
 * GCC builds of 5.0-6.8 split do_shrink_slab() into do_shrink_slab and
 * do_shrink_slab.cold (DepSurf).  The .cold part is not a function entry:
 * fentry/kprobe attach to do_shrink_slab by its exact name (ksyms_find() in
 * user/kernel/ksyms.c matches whole names), and the vmscan tracepoints fire in
 * whichever part runs.  Nothing to read here; listed so that every difference
 * is in one place. */

#endif /* SHRINKTRACE_COMPAT_BPF_H */
