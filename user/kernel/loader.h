/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * kernel/loader.h - choose, load and attach the BPF side; read its ring buffer.
 *
 * For every logical hook the loader really tries the mechanisms in order
 * fentry/fexit, kprobe/kretprobe, tracepoint (or only the one forced with
 * --backend) and keeps the first that loads and attaches on this kernel.
 */
#ifndef ST_LOADER_H
#define ST_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/types.h>

#include "log/event.h"
#include "kernel/ksyms.h"
#include "shrinktrace.h"

enum st_hook {
	ST_HOOK_WALK,		/* shrink_slab() */
	ST_HOOK_SHRINK,		/* do_shrink_slab() */
	ST_HOOK_ALLOC,		/* shrinker_alloc() */
	ST_HOOK_REGISTER,	/* shrinker_register() / register_shrinker_prepared() */
	ST_HOOK_FREE,		/* shrinker_free() / unregister_shrinker() */
	ST_HOOK_RCU_FREE,	/* shrinker_free_rcu_cb() */
	ST_HOOK_DETAIL,		/* vmscan:mm_shrink_slab_start/_end joined to do_shrink_slab()
				 * calls (beside fentry/kprobe; the tracepoint backend's
				 * shrink hook is them) */
	ST_HOOK_RECLAIM,	/* vmscan:mm_vmscan_{direct,memcg}_reclaim_begin/_end: what a
				 * walk is for (with a walk hook) */
	ST_NHOOKS,
};

/* The mechanisms of enum st_mech (bpf/shrinktrace.h), AUTO for its NONE. */
enum st_backend {
	ST_BACKEND_AUTO = ST_MECH_NONE,
	ST_BACKEND_FENTRY = ST_MECH_FENTRY,
	ST_BACKEND_KPROBE = ST_MECH_KPROBE,
	ST_BACKEND_TRACEPOINT = ST_MECH_TRACEPOINT,
};

struct loader_opts {
	enum st_backend backend;	/* AUTO: best per hook */
	uint32_t ringbuf_bytes;		/* power of two >= page size; 0: 8 MiB */
	uint32_t filter_tgid;		/* -p: only this process's walks and calls (0: all) */
	char filter_comm[16];		/* --comm: only tasks of this name ("": all) */
	uint64_t filter_cgroup_id;	/* --memcg: only this memcg, by the cgroup id of
					 * mem_cgroup->css.cgroup->kn (0: all) */
	uint64_t min_latency_ns;	/* --min-latency: do_shrink_slab() calls shorter
					 * than this are neither written nor counted */
	bool stats_only;		/* aggregate calls and walks in BPF maps; write only
					 * lifecycle events and calls that matter to a violation */
	bool stacks;			/* --stacks: record each walk's kernel stack
					 * (walk_begin's stack_id; loader_stack()) */
	bool verbose;			/* libbpf's own messages on stderr */
	int wake_fd;			/* an eventfd whose readability ends a
					 * loader_poll() wait at once (read away
					 * there); not owned; 0: none (0-2 are the
					 * standard descriptors, never this) */
};

/* What serves one hook after loader_open(). */
struct loader_hook {
	enum st_backend mech;		/* ST_BACKEND_AUTO (0) when nothing serves it */
	const char *target;		/* kernel function attached, or tracepoint name */
	char why[320];			/* when unserved: why each candidate failed */
};

/* Called for every event read from the ring buffer, in arrival order.
 * r is only valid during the call. */
typedef void (*loader_event_fn)(const struct st_rec *r, void *ctx);

struct loader;

/* Probe, load and attach.  ks (borrowed, must outlive the loader) names
 * shrinkers and locates functions.  On failure returns NULL and writes a
 * one-line reason with the way out into err. */
struct loader *loader_open(const struct loader_opts *o, const struct ksyms *ks,
			   loader_event_fn fn, void *ctx, char *err, size_t errlen);

/* Open the embedded BPF object (nothing is loaded: no privileges needed) and
 * find every program that the loader's table of implementations names.
 * Returns 0, or -1 with a one-line reason (which hook, which name) in err. */
int loader_self_check(char *err, size_t errlen);

/* Detach everything and free.  NULL is ignored. */
void loader_close(struct loader *l);

/* The hook table, for the banner and the log header. */
const struct loader_hook *loader_hook(const struct loader *l, enum st_hook h);
const char *loader_hook_name(enum st_hook h);
const char *loader_backend_name(enum st_backend b);

/* One word for the log header: the single mechanism in use, or "mixed". */
const char *loader_backend_summary(const struct loader *l);

/* Print the start-up banner: per hook its mechanism and target, then which
 * event types this set cannot see or only infers. */
void loader_banner(const struct loader *l, FILE *f);

/* Wait up to timeout_ms for events and deliver them; also runs the census of
 * shrinker_list (tracepoint backend) when it is due: every second, every 10 ms
 * for a second after a shrinker_alloc.  Returns the number of events
 * delivered, or a negative errno (-EINTR on a signal). */
int loader_poll(struct loader *l, int timeout_ms);

/* Detach every probe; the ring buffer stays readable.  On the tracepoint
 * backend a last census first finds the shrinkers already off shrinker_list,
 * waits up to a second for their RCU frees, and delivers (through the event
 * callback) their free_begin/free_end not seen yet and one `lost` record
 * (count 1, naming the shrinker, evidence "unlisted") for each rcu_free still
 * unseen. */
void loader_detach(struct loader *l);

/* Deliver whatever is in the ring buffer now, without waiting. */
int loader_drain(struct loader *l);

/* offsetof(struct shrinker, list) in the running kernel, from its BTF
 * (include/linux/shrinker.h; 0x60 on Debian 6.12, 0x20 on 6.1), bytes; -1 if
 * the BTF cannot be read.  Snapshot next/prev are raw pointers to list_heads. */
int loader_shrinker_list_offset(void);

/* The cgroup id of the memcg at kernel address memcg (struct mem_cgroup *,
 * from a walk or a call): mem_cgroup->css.cgroup->kn->id, the inode number of
 * its directory in the hierarchy the memory controller is on (cgroup v2, or
 * v1's memory hierarchy).  Read in the kernel by a BPF program run on demand
 * (BPF_PROG_TEST_RUN), once per memcg the caller has not seen.  Returns 0 with
 * *id set, or a negative errno (-ENOENT: not readable, e.g. already freed). */
int loader_memcg_id(const struct loader *l, uint64_t memcg, uint64_t *id);

/* CLOCK_MONOTONIC now, ns: the clock of bpf_ktime_get_ns() and of every ts. */
uint64_t loader_now_ns(void);

/* Stats-only mode: the kernel's aggregates, summed over CPUs.  Each returns
 * 0 or a negative errno; they read maps the BPF programs keep updating, so
 * a sum is a consistent snapshot per shrinker/task, not across them. */

/* fn(shrinker, sum, ctx) for every struct shrinker * in call_stats. */
typedef void (*loader_call_stat_fn)(uint64_t shrinker, const struct st_call_stat *sum, void *ctx);
int loader_read_call_stats(const struct loader *l, loader_call_stat_fn fn, void *ctx);

/* The walk_stats map summed over CPUs into out[ST_WALK_STAT_N]: entry
 * trigger * 2 + memcg (enum st_trigger; memcg 1 for a memcg's own walk, 0 for
 * the global one). */
int loader_read_walk_stats(const struct loader *l, struct st_walk_stat out[ST_WALK_STAT_N]);

/* --stacks: the kernel stack with id (a walk_begin's stack_id) into
 * ips[0..max), innermost frame first, with the frames of shrinktrace's own
 * program and trampoline and of shrink_slab() itself left out: ips[0] is a
 * return address in shrink_slab()'s caller.  Returns the number of frames,
 * or a negative errno (-ENOENT: no such stack). */
int loader_stack(const struct loader *l, int id, uint64_t *ips, int max);

/* Symbolise a return address as "function+0xoff" (or "0x..." when no symbol
 * covers it) into buf; the ksyms the loader was opened with. */
void loader_symbolise(const struct loader *l, uint64_t ip, char *buf, size_t len);

/* fn(task id, sum, ctx) for every task in task_stats. */
typedef void (*loader_task_stat_fn)(uint32_t pid, const struct st_task_stat *sum, void *ctx);
int loader_read_task_stats(const struct loader *l, loader_task_stat_fn fn, void *ctx);

/* Read one shrinker's totals into *out and drop its entry from call_stats,
 * once its generation has ended (rcu_free): the next generation at that
 * address starts from 0.  Returns 0, or a negative errno (-ENOENT when the
 * shrinker has no entry). */
int loader_take_call_stats(const struct loader *l, uint64_t shrinker, struct st_call_stat *out);

struct sink_kernel;

/* Fill *out with the kernel side's account for the summary: runs the
 * kernel skipped, and on the tracepoint backend how each generation's end
 * was known (rcu_free at kmem:kfree, by address reuse, unseen: the lost
 * records of the exit census, so call after loader_detach()) and the
 * census counters (bpf/shrinktrace.h struct st_lifecycle). */
void loader_account(const struct loader *l, struct sink_kernel *out);

/* Runs of our attached programs the kernel skipped because the program was
 * already running on that CPU (bpf_prog_info.recursion_misses, 5.12+): a
 * kmem:kfree in softirq that interrupts our kfree program in a task, for
 * example, whose shrinker rcu_free may then be missing.  0 when unknown. */
uint64_t loader_recursion_misses(const struct loader *l);

/* Events the kernel side dropped so far (ring buffer full), all CPUs. */
uint64_t loader_lost_total(const struct loader *l);

/* Dropped events not yet reported by an in-stream `lost` record; resets them.
 * Call once at exit and write a `lost` record with the result if non-zero. */
uint64_t loader_take_pending_lost(struct loader *l);

#endif /* ST_LOADER_H */
