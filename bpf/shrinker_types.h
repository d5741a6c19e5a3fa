/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * shrinker_types.h - the few kernel types shrinktrace reads, for CO-RE.
 *
 * Instead of a multi-megabyte vmlinux.h this declares only what the BPF side
 * touches.  Every struct carries preserve_access_index, so field offsets are
 * relocated by libbpf against the running kernel's BTF at load time; the
 * layout written here does not need to match any kernel.  Fields that exist
 * only on some kernels are guarded with bpf_core_field_exists() in the code.
 */
#ifndef SHRINKER_TYPES_H
#define SHRINKER_TYPES_H

#include <linux/types.h>
#include <linux/bpf.h>

/* bpf_tracing.h: kernel pt_regs field names (di, si, ...) instead of uapi ones. */
#define __VMLINUX_H__

#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)

typedef __u32 u32;
typedef __u64 u64;
typedef unsigned int gfp_t;
typedef __u64 size_t_k;
typedef _Bool bool;
#define true 1
#define false 0

struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	unsigned long ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};

struct list_head {
	struct list_head *next, *prev;
};

struct callback_head {
	struct callback_head *next;
	void (*func)(struct callback_head *head);
};

typedef struct {
	int counter;
} atomic_t;

typedef struct refcount_struct {
	atomic_t refs;
} refcount_t;

/* The memcg's cgroup id (the inode number of its cgroupfs directory) is
 * mem_cgroup->css.cgroup->kn->id (include/linux/kernfs.h, u64 since 5.5). */
struct kernfs_node {
	__u64 id;
};

struct cgroup {
	struct kernfs_node *kn;
	int level;		/* 0: the root cgroup */
};

struct cgroup_subsys_state {
	struct cgroup *cgroup;
};

struct mem_cgroup {
	struct cgroup_subsys_state css;
};

/* include/linux/shrinker.h */
struct shrink_control {
	gfp_t gfp_mask;
	int nid;
	unsigned long nr_to_scan;
	unsigned long nr_scanned;
	struct mem_cgroup *memcg;
};

/* include/linux/shrinker.h; refcount, rcu and private_data exist since 6.7
 * (lockless shrinkers, commit "mm: shrinker: make global slab shrink lockless"). */
struct shrinker {
	unsigned long (*count_objects)(struct shrinker *, struct shrink_control *);
	unsigned long (*scan_objects)(struct shrinker *, struct shrink_control *);
	long batch;
	int seeks;
	unsigned int flags;
	refcount_t refcount;
	struct callback_head rcu;
	void *private_data;
	struct list_head list;
	int id;
};

/* shrinker->name exists only with CONFIG_SHRINKER_DEBUG (6.0+). */
struct shrinker___dbg {
	const char *name;
};

/* include/linux/sched.h: comm is char[TASK_COMM_LEN = 16], NUL-padded by
 * __set_task_comm() (strscpy_pad). */
struct task_struct {
	unsigned int flags;	/* PF_*: PF_KSWAPD 0x00020000 (include/linux/sched.h, every
				 * kernel shrinktrace runs on) */
	int pid;		/* the thread id: (u32)bpf_get_current_pid_tgid() */
	char comm[16];
};

struct file_system_type {
	const char *name;
};

/* 6.7+: the superblock points to its shrinker (s_shrink), private_data = sb. */
struct super_block {
	struct file_system_type *s_type;
	struct shrinker *s_shrink;
};

/* Before 6.7 the shrinker is embedded in the superblock. */
struct super_block___embedded {
	struct shrinker s_shrink;
};

#pragma clang attribute pop

#endif /* SHRINKER_TYPES_H */
