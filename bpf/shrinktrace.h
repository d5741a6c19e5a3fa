/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * shrinktrace.h - the event ABI between bpf/shrinktrace.bpf.c and user space.
 *
 * One fixed-size record per event goes through one BPF ring buffer.  Every
 * field is naturally aligned and the struct has no implicit padding, so the
 * same header compiles identically for -target bpf and for x86-64 user space.
 * The JSON names of these events are in docs/event-log.md (format shrinktrace/1).
 */
#ifndef SHRINKTRACE_H
#define SHRINKTRACE_H

#define ST_COMM_LEN 16
#define ST_NAME_LEN 48

/* Event types: the numeric values are ABI, the JSON names live in user/log/event.c. */
enum st_event_type {
	ST_EV_SHRINKER_ALLOC = 1,	/* return of shrinker_alloc() (6.7+) */
	ST_EV_SHRINKER_REGISTER = 2,	/* shrinker_register(); register_shrinker_prepared() < 6.7 */
	ST_EV_WALK_BEGIN = 3,		/* entry of shrink_slab() */
	ST_EV_WALK_END = 4,		/* return of shrink_slab() */
	ST_EV_SHRINK_BEGIN = 5,		/* entry of do_shrink_slab() / vmscan:mm_shrink_slab_start */
	ST_EV_SHRINK_END = 6,		/* return of do_shrink_slab() / vmscan:mm_shrink_slab_end */
	ST_EV_FREE_BEGIN = 7,		/* entry of shrinker_free(); unregister_shrinker() < 6.7 */
	ST_EV_FREE_END = 8,		/* return of shrinker_free(): unlinked, queued by call_rcu() */
	ST_EV_RCU_FREE = 9,		/* shrinker_free_rcu_cb() / kmem:kfree of a tracked shrinker */
	ST_EV_LOST = 10,		/* the kernel side dropped `count` events */
	ST_EV_MAX_KERNEL = 11,
};

/* st_event.flags */
#define ST_F_INFERRED	(1u << 0)	/* synthesised: the function itself was not observed */
#define ST_F_REFCOUNT	(1u << 1)	/* refcount holds shrinker->refcount (6.7+) */
#define ST_F_SNAPSHOT	(1u << 2)	/* next/prev hold shrinker->list.next/.prev */
#define ST_F_NAME	(1u << 3)	/* name holds shrinker->name (CONFIG_SHRINKER_DEBUG) */
#define ST_F_FSTYPE	(1u << 4)	/* name holds the superblock's s_type->name */
#define ST_F_SCAN_FN	(1u << 5)	/* scan_fn: shrinker->scan_objects (count_objects if NULL) */
#define ST_F_WALK_INFO	(1u << 6)	/* nid/memcg/priority are valid */
#define ST_F_NR_TO_SCAN	(1u << 7)	/* nr_to_scan is valid */
#define ST_F_DURATION	(1u << 8)	/* duration_ns is valid */
#define ST_F_DEFERRED	(1u << 9)	/* shrink_begin written after the fact (at the call's
					 * return or at shrinker_free()): it was held back
					 * by filters or stats-only mode; ts is still the entry */
#define ST_F_EARLIEST	(1u << 10)	/* earliest_ts is valid: an inferred event that happened
					 * in [earliest_ts, ts] */
#define ST_F_SHRINKER	(1u << 11)	/* lost: names the shrinker whose event was lost */
#define ST_F_PAIRED	(1u << 12)	/* shrink_end: comm and duration_ns are left to user
					 * space, from this task's shrink_begin (the lean
					 * fexit/tp_btf path keeps no state between the two) */
#define ST_F_NAME_SEEN	(1u << 13)	/* name/scan_fn left out: sent with an earlier event of
					 * this shrinker generation (user space keeps it) */
#define ST_F_COUNT	(1u << 14)	/* count is valid: shrink_end, count_objects()'s return;
					 * lost, the events dropped */
#define ST_F_SCAN_INFO	(1u << 15)	/* shrink_end: delta, total_scan, scanned, nr_deferred,
					 * new_nr_deferred, unused_scan from the call's
					 * vmscan:mm_shrink_slab_start/_end */
#define ST_F_COUNT_NS	(1u << 16)	/* shrink_end: count_ns is valid */
#define ST_F_SCAN_NS	(1u << 17)	/* shrink_end: scan_ns is valid */
#define ST_F_TRIGGER	(1u << 18)	/* walk_begin: trigger, memcg_limit and gfp are valid */
#define ST_F_ORDER	(1u << 19)	/* walk_begin: order is valid (direct, node or memcg
					 * reclaim: from its vmscan *_reclaim_begin tracepoint) */
#define ST_F_STACK	(1u << 20)	/* walk_begin: stack_id names a stack in walk_stacks */

/* The name-seen table (ST_F_NAME_SEEN) has 1 << ST_NAME_SEEN_BITS slots,
 * slot = ((shrinker >> 4) * 0x9E3779B97F4A7C15) >> (64 - ST_NAME_SEEN_BITS), in
 * the BPF side and in user space alike. */
#define ST_NAME_SEEN_BITS 12

/* st_event.evidence: how the tracepoint backend knows an inferred event
 * (JSON "evidence", user/log/event.c). */
enum st_evidence {
	ST_EVID_NONE = 0,
	ST_EVID_KMALLOC = 1,	/* kmem:kmalloc inside shrinker_alloc() */
	ST_EVID_CALL = 2,	/* seen at a do_shrink_slab() call (vmscan tracepoints) */
	ST_EVID_KFREE = 3,	/* kmem:kfree of the shrinker, its memory still intact */
	ST_EVID_CENSUS = 4,	/* a walk of shrinker_list under RCU */
	ST_EVID_REUSE = 5,	/* its address came back from kmalloc(): the kfree went unseen */
	ST_EVID_UNLISTED = 6,	/* at the end: off shrinker_list and no kfree seen */
	ST_EVID_MAX = 7,
};

/* st_event.trigger: what made a shrink_slab() walk happen (JSON "trigger",
 * user/log/event.c).  Decided in the kernel at the walk's entry: PF_KSWAPD,
 * then the task's reclaim in progress (vmscan:mm_vmscan_direct_reclaim_begin,
 * _node_reclaim_begin, _memcg_reclaim_begin), then the caller's stack. */
enum st_trigger {
	ST_TRIG_UNKNOWN = 0,
	ST_TRIG_KSWAPD = 1,		/* kswapd's balance_pgdat() */
	ST_TRIG_DIRECT = 2,		/* direct reclaim: try_to_free_pages() of an allocation */
	ST_TRIG_NODE_RECLAIM = 3,	/* node_reclaim() (vm.zone_reclaim_mode) of an allocation */
	ST_TRIG_MEMCG = 4,		/* try_to_free_mem_cgroup_pages(): a memcg limit */
	ST_TRIG_DROP_CACHES = 5,	/* drop_slab() from /proc/sys/vm/drop_caches */
	ST_TRIG_MAX = 6,
};

/* st_event.memcg_limit: for ST_TRIG_MEMCG, which limit (the caller's stack). */
enum st_memcg_limit {
	ST_LIMIT_UNKNOWN = 0,
	ST_LIMIT_HIGH = 1,		/* memory.high: mem_cgroup_handle_over_high(), memory_high_write() */
	ST_LIMIT_MAX = 2,		/* memory.max: try_charge_memcg(), memory_max_write(),
					 * v1 mem_cgroup_resize_max() */
	ST_LIMIT_RECLAIM = 3,		/* memory.reclaim: memory_reclaim() (proactive) */
	ST_LIMIT_N = 4,
};

/* Function ranges the walk's trigger is read from (const volatile arrays set
 * by user space from /proc/kallsyms): a return address inside one of them
 * names the trigger; one that also names a memcg limit (memory_reclaim(),
 * reclaim_high(), try_charge_memcg(), ...) wins over the generic ones below it
 * on the stack (try_to_free_mem_cgroup_pages()). */
#define ST_TRIG_RANGES 16
/* Kernel stack frames the walk's entry looks at for its trigger. */
#define ST_TRIG_DEPTH 32
/* Frames kept per stack of --stacks (map walk_stacks). */
#define ST_STACK_DEPTH 48

/* SHRINK_EMPTY from include/linux/shrinker.h: count_objects() found nothing. */
#define ST_SHRINK_EMPTY (~0ULL - 1)
/* LIST_POISON2 on x86-64 (include/linux/poison.h with CONFIG_ILLEGAL_POINTER_VALUE). */
#define ST_LIST_POISON2 0xdead000000000122ULL

/* Which mechanism delivered an event; recorded per hook by user space. */
enum st_mech {
	ST_MECH_NONE = 0,
	ST_MECH_FENTRY = 1,
	ST_MECH_KPROBE = 2,
	ST_MECH_TRACEPOINT = 3,
};

struct st_event {
	__u64 ts;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC, ns */
	__u64 shrinker;		/* struct shrinker * */
	__u64 next;		/* snapshot: shrinker->list.next */
	__u64 prev;		/* snapshot: shrinker->list.prev (LIST_POISON2 = unlinked) */
	/* Members that share room are never on the same event type: the record
	 * stays 184 bytes (a larger one costs the hot path, measured in the lab
	 * with tools/bench/fcost.sh). */
	union {
		__u64 memcg;		/* struct mem_cgroup * of the walk / shrink_control */
		__u64 unused_scan;	/* shrink_end, ST_F_SCAN_INFO: unused_scan_cnt */
	};
	union {
		__u64 nr_to_scan;	/* shrink_control->nr_to_scan, or total_scan (tracepoint) */
		__u64 count_ns;		/* shrink_end, ST_F_COUNT_NS: entry -> mm_shrink_slab_start
					 * (count_objects()), ns */
	};
	__u64 freed;		/* objects freed; SHRINK_EMPTY as is; walk freed */
	__u64 duration_ns;	/* shrink_end: time inside do_shrink_slab(), ns */
	union {
		__u64 scan_fn;		/* shrinker->scan_objects, for symbolisation */
		__u64 scan_ns;		/* shrink_end, ST_F_SCAN_NS: mm_shrink_slab_start -> _end
					 * (the scan_objects() batches), ns */
	};
	__u32 type;		/* enum st_event_type */
	__u32 flags;		/* ST_F_* */
	__u32 cpu;
	__u32 pid;		/* kernel task id (thread id) */
	__s32 nid;
	__s32 priority;
	__s32 refcount;		/* snapshot: refcount_read(&shrinker->refcount) */
	__s32 id;		/* shrinker->id (memcg aware) or -1 */
	__u32 shrinker_flags;	/* shrinker->flags */
	__u32 evidence;		/* enum st_evidence, inferred events */
	__u64 earliest_ts;	/* ST_F_EARLIEST: the event happened in [earliest_ts, ts], ns */
	char comm[ST_COMM_LEN];
	union {
		char name[ST_NAME_LEN];	/* see ST_F_NAME / ST_F_FSTYPE (never on shrink_end,
					 * walk_begin, lost) */
		/* do_shrink_slab() in detail (shrink_end), from the call's own
		 * vmscan:mm_shrink_slab_start(shr, sc, nr_objects_to_shrink,
		 * cache_items, delta, total_scan, priority) and _end(shr, nid,
		 * shrinker_retval, unused_scan_cnt, new_scan_cnt, total_scan),
		 * joined to the call by task */
		struct {
			__u64 count;		/* ST_F_COUNT: count_objects() (cache_items), or
						 * 0/SHRINK_EMPTY when the call ended there;
						 * lost: events dropped */
			__u64 delta;		/* ST_F_SCAN_INFO: new work, objects */
			__u64 total_scan;	/* ST_F_SCAN_INFO: objects to scan at the start */
			__u64 scanned;		/* ST_F_SCAN_INFO: total_scan at start - at end */
			__u64 nr_deferred;	/* ST_F_SCAN_INFO: deferred work taken
						 * (nr_objects_to_shrink) */
			__u64 new_nr_deferred;	/* ST_F_SCAN_INFO: deferred work left for later
						 * (new_scan_cnt) */
		};
		/* the walk's cause (walk_begin) */
		struct {
			__u32 trigger;		/* ST_F_TRIGGER: enum st_trigger */
			__u32 memcg_limit;	/* ST_F_TRIGGER: enum st_memcg_limit (trigger memcg) */
			__u32 gfp;		/* ST_F_TRIGGER: shrink_slab()'s gfp_mask */
			__s32 order;		/* ST_F_ORDER: allocation order of the reclaim */
			__s32 stack_id;		/* ST_F_STACK: id of the caller's stack in walk_stacks */
			__u32 pad2;
		};
	};
};

/* Events the ring buffer could not take, per CPU (map `drops`): pending ones
 * are written as a `lost` record at the next successful reservation on that
 * CPU; total is for the summary. */
struct st_drop_count {
	__u64 pending;
	__u64 total;
	__u64 submits;		/* events submitted on this CPU (ev_submit's wake-up test) */
	__u64 scratch;		/* plain(): a typed pointer in, a number out */
};

/* A shrinker the tracepoint backend tracks (map `tracked`, key: its address). */
#define ST_T_BORN	0x01	/* its shrinker_alloc was seen (born_ts valid) */
#define ST_T_REGISTERED	0x02	/* registered: shrinker_register written, or before the trace */
#define ST_T_FREE_BEGIN	0x04	/* free_begin written */
#define ST_T_FREE_END	0x08	/* free_end written */
#define ST_T_GONE	0x10	/* its generation is over: rcu_free written */

struct st_tracked {
	__u64 born_ts;		/* kmalloc in shrinker_alloc, ns; 0 if registered before */
	__u64 ok_ts;		/* latest time seen registered, linked, referenced, ns */
	__u64 fb_ts;		/* when free_begin became known, ns */
	__u32 state;		/* ST_T_* */
	__u32 census;		/* census_gen of the latest census that listed it */
};

/* One do_shrink_slab() call's vmscan tracepoints, kept per task (task
 * storage `call_detail`) from mm_shrink_slab_start to the call's return. */
struct st_call_detail {
	__u64 shrinker;		/* the call's struct shrinker * */
	__u64 start_ts;		/* mm_shrink_slab_start, ns (0: not seen in this call) */
	__u64 end_ts;		/* mm_shrink_slab_end, ns (0: not seen) */
	__u64 count, delta, total_scan, nr_deferred;	/* from _start */
	__u64 unused_scan, new_nr_deferred, total_scan_end;	/* from _end */
};

/* The lean fentry path (no filters, not stats-only) keeps fexit free of map
 * operations: the detail hook's mm_shrink_slab_end writes the call's detail
 * as a record of its own (this struct, told apart from struct st_event by its
 * size), which the one ring buffer delivers before the call's shrink_end;
 * user space joins the two (user/kernel/loader.c).  A call with no such
 * record before its shrink_end fired neither tracepoint: count_objects()
 * found nothing. */
struct st_call_done {
	__u64 ts;		/* mm_shrink_slab_end, ns */
	__u64 shrinker;
	__u64 start_ts;		/* mm_shrink_slab_start, ns */
	__u64 count, delta, total_scan, nr_deferred;	/* from _start */
	__u64 unused_scan, new_nr_deferred, total_scan_end;	/* from _end */
	__u32 pid;		/* the task */
	__u32 pad;
};

/* A task's reclaim in progress (task storage `reclaim_ctx`), between a
 * vmscan *_reclaim_begin and its _end: what a walk inside it was for. */
struct st_reclaim_ctx {
	__u32 trigger;		/* ST_TRIG_DIRECT, _NODE_RECLAIM, _MEMCG; 0: none */
	__s32 order;
	__u32 gfp;
	__u32 memcg_limit;	/* ST_TRIG_MEMCG: found from the stack at the first walk */
	__u32 limit_known;	/* memcg_limit has been looked for */
	__u32 pad;
};

/* ---- lifecycle bookkeeping of the tracepoint backend --------------------- */

/* Counters the BPF side keeps in one global (the .bss variable `lifecycle`),
 * read by user space for the summary (user/kernel/loader.c). */
struct st_lifecycle {
	__u64 allocs;		/* shrinker_alloc from kmem:kmalloc */
	__u64 rcu_kfree;	/* rcu_free seen at kmem:kfree */
	__u64 rcu_reuse;	/* rcu_free inferred when the address came back from kmalloc() */
	__u64 untracked;	/* shrinkers not tracked: the tracked map was full */
	__u64 census_runs;	/* walks of shrinker_list */
	__u64 census_listed;	/* shrinkers on shrinker_list at the latest walk */
	__u64 census_capped;	/* walks that stopped at ST_CENSUS_MAX shrinkers */
	__u64 stacks_lost;	/* --stacks: walk stacks not stored (walk_stacks full or a
				 * hash collision) */
};

/* A census walks at most this many shrinker_list entries. */
#define ST_CENSUS_MAX 65536

/* ---- kernel-side aggregation (stats-only mode, --stats-only) ------------ */

/* Log2 latency histogram over nanoseconds: slot 0 counts 0 ns, slot k >= 1
 * counts [2^(k-1), 2^k) ns; the last slot also takes everything longer
 * (2^38 ns = 275 s and up). */
#define ST_HIST_SLOTS 40

/* do_shrink_slab() calls of one shrinker.  Map `call_stats` (per CPU, key:
 * struct shrinker *) in the kernel; the same struct is summed per shrinker
 * generation and per name in user space (user/engine/stats.c). */
struct st_call_stat {
	__u64 calls;		/* do_shrink_slab() returns seen */
	__u64 zero_calls;	/* ... that freed 0 objects */
	__u64 empty_calls;	/* ... that returned SHRINK_EMPTY */
	__u64 scanned;		/* sum of nr_to_scan (fentry/kprobe) or total_scan (tracepoint) */
	__u64 freed;		/* sum of objects freed; SHRINK_EMPTY adds 0 */
	__u64 total_ns;		/* time inside do_shrink_slab(), ns */
	__u64 max_ns;
	__u64 hist[ST_HIST_SLOTS];	/* duration, ns, log2 slots as above */
};

/* A walk's cause, for the statistics: its trigger, or for trigger memcg with
 * a known limit ST_TRIG_MAX - 1 + the limit (memory.high, .max, .reclaim). */
#define ST_WALK_CAUSES (ST_TRIG_MAX + ST_LIMIT_N - 1)

static inline unsigned st_walk_cause(unsigned trigger, unsigned limit)
{
	return trigger == ST_TRIG_MEMCG && limit && limit < ST_LIMIT_N ? ST_TRIG_MAX - 1 + limit :
	       trigger < ST_TRIG_MAX ? trigger : ST_TRIG_UNKNOWN;
}

/* shrink_slab() walks.  Map `walk_stats` (per-CPU array): entry
 * cause * 2 + memcg (st_walk_cause()), memcg 1 for a walk of a memcg that is
 * not the root (shrink_slab_memcg()), 0 for the global walk; ST_WALK_STAT_N
 * entries. */
#define ST_WALK_STAT_N (ST_WALK_CAUSES * 2)
struct st_walk_stat {
	__u64 walks;		/* shrink_slab() returns seen */
	__u64 calls;		/* do_shrink_slab() calls inside walks */
	__u64 freed;		/* sum of shrink_slab()'s return value */
	__u64 total_ns;		/* time inside shrink_slab(), ns */
	__u64 max_ns;
	__u64 hist[ST_HIST_SLOTS];
};

/* Time a task spent in do_shrink_slab().  Map `task_stats` (per CPU, key:
 * __u32 task id). */
struct st_task_stat {
	__u64 calls;
	__u64 total_ns;
	__u64 max_ns;
	char comm[ST_COMM_LEN];	/* comm at the latest call */
};

#endif /* SHRINKTRACE_H */
