// SPDX-License-Identifier: GPL-2.0
/*
 * shrinktrace.bpf.c - the kernel side of shrinktrace.
 *
 * It only observes and copies: timestamps, the few fields of struct shrinker
 * that the correlator needs, and a snapshot of the shrinker's list linkage at
 * the instant of the event.  Every event goes through one ring buffer.
 *
 * Each logical hook has up to three implementations; user space loads the set
 * that really loads and attaches on this kernel (user/kernel/loader.c):
 *
 *   hook      fentry/fexit              kprobe/kretprobe          tracepoint (6.7+)
 *   walk      shrink_slab               shrink_slab               -
 *   shrink    do_shrink_slab            do_shrink_slab            vmscan:mm_shrink_slab_start/_end
 *   alloc     (variadic: refused)       shrinker_alloc            kmem:kmalloc from shrinker_alloc
 *   register  shrinker_register,        same targets              inferred (below)
 *             register_shrinker_prepared
 *   free      shrinker_free,            same targets              inferred (below)
 *             unregister_shrinker
 *   rcu_free  shrinker_free_rcu_cb      shrinker_free_rcu_cb      kmem:kfree of a tracked shrinker
 *
 * The tracepoint backend infers register, free_begin and free_end at the
 * moments the kernel shows them, and says in which interval they happened
 * (earliest_ts .. ts) and how it knows (evidence):
 *   - at a do_shrink_slab() call (the walker holds a reference, so the memory
 *     is alive): a call means registered; list.prev == LIST_POISON2 means
 *     unlinked (free_begin, free_end); refcount 1 means the initial reference
 *     is gone (free_begin);
 *   - at kmem:kfree of the shrinker, whose memory is still intact there:
 *     LIST_POISON2 means it was registered and unlinked;
 *   - in a census: a walk of shrinker_list from its head under the RCU read
 *     lock that BPF_PROG_TEST_RUN holds, as the kernel's own lockless walk
 *     does (6.7+), run by user space every second or every 10 ms while a
 *     new shrinker is young: listed means registered, refcount 0 means
 *     free_begin;
 *   - when kmem:kmalloc hands out the address of a shrinker still tracked:
 *     its kfree went unseen; the generation is closed (evidence "reuse").
 * Nothing reads a shrinker through a pointer the kernel did not just hand
 * over (a call, a kfree, a node of shrinker_list under RCU): memory that may
 * have been freed is never read.
 */
#include "shrinker_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "compat.bpf.h"
#include "shrinktrace.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load. */
const volatile __u64 super_cache_scan_addr = 0;	/* &super_cache_scan, from kallsyms */
const volatile __u64 shrinker_alloc_start = 0;	/* [start, end) of shrinker_alloc's text */
const volatile __u64 shrinker_alloc_end = 0;
const volatile bool infer_lifecycle = false;	/* tracepoint backend: track shrinkers and
						 * infer register/free/rcu_free */
const volatile __u32 filter_tgid = 0;		/* 0: every task */
const volatile bool filter_comm_set = false;	/* trace only tasks named filter_comm */
const volatile char filter_comm[ST_COMM_LEN] = {};
const volatile __u64 filter_cgroup_id = 0;	/* only this memcg (its cgroup id); 0: all */
const volatile __u64 min_latency_ns = 0;	/* do_shrink_slab() calls shorter are not output */
const volatile __u64 wakeup_bytes = 0;		/* wake the reader only once this much is
						 * waiting (it also polls); 0: every event */
const volatile bool stats_only = false;		/* aggregate calls and walks in maps instead
						 * of emitting them */
/* The call's vmscan:mm_shrink_slab_start/_end are joined to it (task storage
 * call_detail): the tracepoint backend (its own programs), or the detail hook
 * beside fentry/kprobe (tpj_start, tpj_end). */
const volatile bool call_detail_on = false;
/* The shrink hook sees do_shrink_slab()'s entry (fentry, kprobe), not only its
 * vmscan tracepoints: count_ns can be known. */
const volatile bool shrink_at_entry = false;
/* The lean fentry path: the detail hook writes struct st_call_done records
 * and fexit leaves the join to user space (no map operation there). */
const volatile bool detail_to_ring = false;
/* Walk triggers read from the caller's stack: ranges [trig_lo, trig_hi) of
 * functions from /proc/kallsyms, each with (enum st_trigger << 8) |
 * enum st_memcg_limit; trig_n of them are set. */
const volatile __u64 trig_lo[ST_TRIG_RANGES] = {};
const volatile __u64 trig_hi[ST_TRIG_RANGES] = {};
const volatile __u32 trig_kind[ST_TRIG_RANGES] = {};
const volatile __u32 trig_n = 0;
/* --stacks: each walk's kernel stack goes to walk_stacks (its id in walk_begin). */
const volatile bool want_stacks = false;
/* The task's reclaim context is kept (the reclaim hook is attached). */
const volatile bool reclaim_ctx_on = false;

/* Tests of the miss accounting only (tests/live/xcheck.py --skip-kfree N): ignore
 * every Nth kmem:kfree of a tracked shrinker, as if the kernel had skipped it. */
const volatile __u32 test_skip_kfree = 0;
__u32 test_skip_count = 0;

/* &shrinker_list (mm/shrinker.c): from /proc/kallsyms when the kernel lists data
 * symbols, else learnt from the first snapshot whose next or prev points into
 * the kernel image (every shrinker is slab memory since 6.7: the only list_head
 * of shrinker_list up there is its head).  0: unknown, no census. */
__u64 list_head_addr = 0;

/* Lifecycle counters for the summary (struct st_lifecycle in shrinktrace.h). */
struct st_lifecycle lifecycle = {};

/* Census bookkeeping: the generation number of the latest walk and when it
 * ended (0: none yet; until then an untracked shrinker at a call is one that
 * was registered before the trace). */
__u32 census_gen = 0;
__u64 census_last_ts = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);	/* resized by user space: --ringbuf-size */
} events SEC(".maps");

/* Events the ring buffer could not take: pending ones are written as a `lost`
 * record at the next successful reservation on that CPU; total is for the
 * summary. */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct st_drop_count);
} drops SEC(".maps");

/* x as a plain number.  An fentry/fexit or tp_btf argument is a typed kernel
 * pointer, which the verifier refuses to shift or multiply (the hashes of
 * filter_slot() and name_slot()); the same value read back from map memory is
 * a number.  Per CPU: no other CPU writes the slot in between. */
static __always_inline __u64 plain(__u64 x)
{
	__u32 zero = 0;
	struct st_drop_count *dc = bpf_map_lookup_elem(&drops, &zero);

	if (!dc)
		return 0;
	dc->scratch = x;
	return *(volatile __u64 *)&dc->scratch;
}

/* In-flight do_shrink_slab() per task: the return side of kprobe and
 * tracepoint has no arguments, duration needs the entry time, and a call whose
 * shrink_begin was held back (filters, --min-latency, stats-only) keeps what
 * that event needs, so it can still be written if the call turns out to
 * matter for a violation. */
struct snap {
	__u64 next, prev;	/* shrinker->list.next / .prev */
	__s32 refcount;		/* shrinker->refcount (6.7+) */
	__u8 has_refcount;
	__u8 pad[3];
};

struct call {
	__u64 shrinker;
	__u64 ts;		/* entry, ns */
	__u64 nr_to_scan;
	__u64 memcg;
	struct snap snap;	/* at entry */
	__s32 nid;
	__s32 priority;
	__u32 cpu;		/* of the entry, for a shrink_begin written later */
	__u8 wanted;		/* passes -p/--comm/--memcg: counted and output */
	__u8 emitted;		/* its shrink_begin is in the ring buffer */
	__u8 pad[2];
	char comm[ST_COMM_LEN];	/* of the caller, for a shrink_begin written later */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct call);
} calls SEC(".maps");

/* In-flight shrinker_free()/unregister_shrinker() per task (kretprobe). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} frees SEC(".maps");

/* In-flight register_shrinker() per task (6.0-6.6, kretprobe). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} regs SEC(".maps");

/* In-flight shrink_slab() walk per task (stats-only mode). */
struct walk {
	__u64 ts;
	__u64 calls;
	__u32 stat_key;		/* its walk_stats entry: cause * 2 + memcg */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct walk);
} walks SEC(".maps");

/* Shrinkers inside shrinker_free(): a call on one of these always has its
 * shrink_begin/shrink_end written, whatever the filters say. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} freeing SEC(".maps");

/* Stats-only mode: shrinkers whose first call was written in full, so that
 * user space learns their name and generation. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} introduced SEC(".maps");

/* Stats-only aggregation (struct st_call_stat etc. in shrinktrace.h).  User
 * space sizes these to one entry when stats-only mode is off. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct st_call_stat);
} call_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ST_WALK_STAT_N);
	__type(key, __u32);
	__type(value, struct st_walk_stat);
} walk_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct st_task_stat);
} task_stats SEC(".maps");

/* Registered shrinkers, so that one registration is reported once when two
 * hooks see it (register_shrinker() around register_shrinker_prepared()). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} registered SEC(".maps");

/* A do_shrink_slab() call's vmscan tracepoints, per task, from
 * mm_shrink_slab_start to the call's return (struct st_call_detail). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct st_call_detail);
} call_detail SEC(".maps");

/* A task's reclaim in progress (struct st_reclaim_ctx). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct st_reclaim_ctx);
} reclaim_ctx SEC(".maps");

/* The walk's stack frames, while its trigger is looked for. */
struct trig_frames {
	__u64 ip[ST_TRIG_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct trig_frames);
} trig_scratch SEC(".maps");

/* --stacks: distinct kernel stacks of walks' callers (user space reads each id
 * once and writes it to the log as a "stack" record).  Sized by user space;
 * one entry when --stacks is off. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4096);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, ST_STACK_DEPTH * sizeof(__u64));
} walk_stacks SEC(".maps");

/* ---- shrinkers the tracepoint backend tracks ------------------------------
 * By address.  An entry is created at kmem:kmalloc in shrinker_alloc(), at the
 * first call on a shrinker, or by the census, and deleted at its kfree (or when
 * its address is handed out again).  Several places may infer the same event
 * at once (a census in one task, a call in another): each claims its T_* bit
 * with an atomic fetch-or first, and only the winner writes it.  kfree never
 * races with those for the same shrinker: a call holds a reference and the
 * census holds the RCU read lock, so the memory cannot be freed under them. */
/* struct st_tracked and its ST_T_* bits: bpf/shrinktrace.h */
#define T_BORN		ST_T_BORN
#define T_REGISTERED	ST_T_REGISTERED
#define T_FREE_BEGIN	ST_T_FREE_BEGIN
#define T_FREE_END	ST_T_FREE_END
#define T_GONE		ST_T_GONE

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct st_tracked);
} tracked SEC(".maps");

/* A counting filter in front of `tracked`: kmem:kfree and kmem:kmalloc fire for
 * every object of the system, a hash lookup costs tens of ns, a global array
 * is read inline.  TRACK_FILTER_SLOTS 8-bit counters, 8 to a u64 word, indexed
 * by a multiplicative hash of the address; a counter is the number of tracked
 * shrinkers hashing there (a slot would need 256 of them to overflow).  A
 * counter of 0 proves an address untracked; otherwise the map decides. */
#define TRACK_FILTER_BITS	15
#define TRACK_FILTER_WORDS	(1u << (TRACK_FILTER_BITS - 3))
__u64 track_filter[TRACK_FILTER_WORDS] = {};

static __always_inline __u32 filter_slot(__u64 p)
{
	return (__u32)(((p >> 4) * 0x9E3779B97F4A7C15ULL) >> (64 - TRACK_FILTER_BITS));
}

/* May p be tracked?  A few instructions, no helper call. */
static __always_inline bool filter_maybe(__u64 p)
{
	__u32 i = filter_slot(p);

	return (track_filter[(i >> 3) & (TRACK_FILTER_WORDS - 1)] >> ((i & 7) * 8)) & 0xff;
}

static __always_inline void filter_inc(__u64 p)
{
	__u32 i = filter_slot(p);

	__sync_fetch_and_add(&track_filter[(i >> 3) & (TRACK_FILTER_WORDS - 1)], 1ULL << ((i & 7) * 8));
}

static __always_inline void filter_dec(__u64 p)
{
	__u32 i = filter_slot(p);

	__sync_fetch_and_sub(&track_filter[(i >> 3) & (TRACK_FILTER_WORDS - 1)], 1ULL << ((i & 7) * 8));
}

/* ------------------------------------------------------------------------ */

/* -p and --comm. */
static __always_inline bool task_wanted(void)
{
	if (filter_tgid && (bpf_get_current_pid_tgid() >> 32) != filter_tgid)
		return false;
	if (filter_comm_set) {
		char comm[ST_COMM_LEN];

		bpf_get_current_comm(comm, sizeof(comm));
		for (int i = 0; i < ST_COMM_LEN; i++) {
			if (comm[i] != filter_comm[i])
				return false;
			if (!comm[i])
				break;
		}
	}
	return true;
}

/* --memcg: the cgroup id of a struct mem_cgroup * (NULL: no memcg). */
static __always_inline bool memcg_wanted(struct mem_cgroup *memcg)
{
	if (!filter_cgroup_id)
		return true;
	if (!memcg)
		return false;
	return BPF_CORE_READ(memcg, css.cgroup, kn, id) == filter_cgroup_id;
}

/* Log2 slot of a duration (ST_HIST_SLOTS in shrinktrace.h): 0 for 0 ns,
 * else 1 + floor(log2(ns)), capped at the last slot. */
static __always_inline __u32 hist_slot(__u64 v)
{
	__u32 r = 0;

	if (!v)
		return 0;
	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	r += 1;
	return r < ST_HIST_SLOTS ? r : ST_HIST_SLOTS - 1;
}

/* ts: the event's time, 0 to read the clock now; pid: the task id, 0 to ask;
 * comm: copy the task's comm (else user space fills it, ST_F_PAIRED). */
static __always_inline void fill_common_opt(struct st_event *e, __u32 type, __u64 ts, __u32 pid,
					    bool comm)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->ts = ts ? ts : bpf_ktime_get_ns();
	e->type = type;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = pid ? pid : (__u32)bpf_get_current_pid_tgid();
	e->id = -1;
	if (comm)
		bpf_get_current_comm(e->comm, sizeof(e->comm));
}

static __always_inline void fill_common(struct st_event *e, __u32 type)
{
	fill_common_opt(e, type, 0, 0, true);
}

static __always_inline void count_drop(struct st_drop_count *dc)
{
	if (dc) {
		dc->pending++;
		dc->total++;
	}
}

/* Submit an event.  Waking the reader costs an irq_work and an epoll wake-up
 * per event, several microseconds: wake it only when the ring fills up, and
 * let its periodic poll (user/kernel/loader.c) collect the rest.  The fill
 * level is asked every 16th event of a CPU (a helper call saved on the others):
 * the wake-up comes at most 15 events late. */
static __always_inline void ev_submit(struct st_event *e)
{
	__u32 zero = 0;
	struct st_drop_count *dc;
	__u64 flags = 0;

	if (wakeup_bytes) {
		flags = BPF_RB_NO_WAKEUP;
		dc = bpf_map_lookup_elem(&drops, &zero);
		if (!dc || !(dc->submits++ & 15))
			flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
				BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	}
	bpf_ringbuf_submit(e, flags);
}

/* Reserve an event, timestamped ts (0: now); first flush a pending `lost`
 * record on this CPU so the loss shows up in the stream where it happened.
 * NULL when the ring is full (counted). */
static __always_inline struct st_event *ev_reserve_opt(__u32 type, __u64 ts, __u32 pid, bool comm)
{
	__u32 zero = 0;
	struct st_drop_count *dc = bpf_map_lookup_elem(&drops, &zero);
	struct st_event *e;

	if (dc && dc->pending) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e) {
			count_drop(dc);
			return NULL;
		}
		fill_common(e, ST_EV_LOST);
		e->count = dc->pending;
		e->flags |= ST_F_COUNT;
		dc->pending = 0;
		ev_submit(e);
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(dc);
		return NULL;
	}
	fill_common_opt(e, type, ts, pid, comm);
	return e;
}

/* The hot path's reservation (shrink_begin/shrink_end without filters): no
 * memset of the whole record.  Only the fields every reader looks at are set
 * here; every other field is read by user space only under its ST_F_* flag
 * (user/kernel/names.c), and the caller sets what it flags.  comm is left to
 * the caller too.  NULL when the ring is full (counted). */
static __always_inline struct st_event *ev_reserve_raw(__u32 type, __u64 ts, __u32 pid)
{
	__u32 zero = 0;
	struct st_drop_count *dc = bpf_map_lookup_elem(&drops, &zero);
	struct st_event *e;

	if (dc && dc->pending)
		return ev_reserve_opt(type, ts, pid, false);	/* rare: the full path */
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(dc);
		return NULL;
	}
	e->ts = ts;
	e->type = type;
	e->flags = 0;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = pid;
	e->id = -1;
	e->evidence = 0;
	return e;
}

static __always_inline struct st_event *ev_reserve_ts(__u32 type, __u64 ts)
{
	return ev_reserve_opt(type, ts, 0, true);
}

static __always_inline struct st_event *ev_reserve(__u32 type)
{
	return ev_reserve_ts(type, 0);
}

/* A field of a kernel struct.  direct: p is a BTF-typed argument of an
 * fentry/fexit or tp_btf program, read with an inline load (the verifier makes
 * it fault-safe); else p is a plain number (kprobe arguments, map values) and
 * the read is a bpf_probe_read_kernel() call.  direct is a constant at every
 * call site, so only one branch is compiled. */
#define ST_READ(direct, p, field) ((direct) ? (p)->field : BPF_CORE_READ(p, field))

/* Copy what names a shrinker: shrinker->name (CONFIG_SHRINKER_DEBUG), else
 * the superblock's filesystem type for super_cache_scan, else scan_objects
 * for user space to symbolise.  direct: as for ST_READ(). */
/* Shrinkers whose name string (shrinker->name, or the superblock's file
 * system type) user space has received in this generation: one address per
 * slot of a hash of the address.  A shrink_begin of such a shrinker leaves the
 * string out (three dependent reads and a string copy, most of a call's cost
 * for superblock shrinkers) and says so with ST_F_NAME_SEEN; user space keeps
 * the names in a table of the same slots (user/kernel/loader.c) and falls back
 * to the scan_objects symbol when its slot holds another shrinker.  A slot is
 * cleared when its generation ends or starts (alloc, rcu_free). */
#define NAME_SEEN_BITS ST_NAME_SEEN_BITS
__u64 name_seen[1u << NAME_SEEN_BITS] = {};

static __always_inline __u32 name_slot(__u64 s)
{
	return (__u32)(((s >> 4) * 0x9E3779B97F4A7C15ULL) >> (64 - NAME_SEEN_BITS));
}

static __always_inline void name_unsee(__u64 s)
{
	__u32 i = name_slot(s) & ((1u << NAME_SEEN_BITS) - 1);

	if (name_seen[i] == s)
		name_seen[i] = 0;
}

/* Copy what names a shrinker: shrinker->name (CONFIG_SHRINKER_DEBUG), else
 * the superblock's filesystem type for super_cache_scan, else scan_objects
 * for user space to symbolise.  direct: as for ST_READ().  key: s as a plain
 * number (0: always copy the string, no cache). */
static __always_inline void fill_name_d(struct st_event *e, struct shrinker *s, bool direct,
					__u64 key)
{
	const char *n = st_shrinker_debug_name(s);
	__u32 slot = name_slot(key) & ((1u << NAME_SEEN_BITS) - 1);

	e->scan_fn = (__u64)ST_READ(direct, s, scan_objects);
	/* Some shrinkers only count (xen-balloon's backend_shrink_memory_count):
	 * name those by count_objects. */
	if (!e->scan_fn)
		e->scan_fn = (__u64)ST_READ(direct, s, count_objects);
	e->flags |= ST_F_SCAN_FN;
	if (key && name_seen[slot] == key) {
		e->flags |= ST_F_NAME_SEEN;
		return;
	}
	if (n && bpf_probe_read_kernel_str(e->name, sizeof(e->name), n) > 0) {
		e->flags |= ST_F_NAME;
	} else if (super_cache_scan_addr && e->scan_fn == super_cache_scan_addr) {
		const char *fstype = BPF_CORE_READ(st_shrinker_super(s), s_type, name);

		if (fstype && bpf_probe_read_kernel_str(e->name, sizeof(e->name), fstype) > 0)
			e->flags |= ST_F_FSTYPE;
	}
	if (key && (e->flags & (ST_F_NAME | ST_F_FSTYPE)))
		name_seen[slot] = key;
}

static __always_inline void fill_name(struct st_event *e, struct shrinker *s)
{
	fill_name_d(e, s, false, 0);
}

/* Snapshot of the shrinker's list linkage and, with refcount, its own
 * refcount (6.7+), each read once.  direct: as for ST_READ(). */
static __always_inline void read_snap_d(struct shrinker *s, struct snap *sn, bool direct,
					bool refcount)
{
	sn->next = (__u64)ST_READ(direct, s, list.next);
	sn->prev = (__u64)ST_READ(direct, s, list.prev);
	sn->has_refcount = 0;
	if (refcount && (direct ? st_shrinker_refcount_btf(s, &sn->refcount) :
				  st_shrinker_refcount(s, &sn->refcount)))
		sn->has_refcount = 1;
}

static __always_inline void read_snap(struct shrinker *s, struct snap *sn)
{
	read_snap_d(s, sn, false, true);
}

static __always_inline void put_snap(struct st_event *e, const struct snap *sn)
{
	e->next = sn->next;
	e->prev = sn->prev;
	e->flags |= ST_F_SNAPSHOT;
	if (sn->has_refcount) {
		e->refcount = sn->refcount;
		e->flags |= ST_F_REFCOUNT;
	}
}

static __always_inline void fill_snapshot(struct st_event *e, struct shrinker *s)
{
	struct snap sn;

	read_snap(s, &sn);
	put_snap(e, &sn);
}

static __always_inline void fill_ids(struct st_event *e, struct shrinker *s)
{
	e->shrinker_flags = BPF_CORE_READ(s, flags);
	e->id = BPF_CORE_READ(s, id);
}

/* An inferred register/free is seen from whatever task ran the scan or the
 * kfree, not from the task that did it: say so instead of naming a bystander. */
static __always_inline void anonymize(struct st_event *e)
{
	e->pid = 0;
	__builtin_memcpy(e->comm, "[inferred]\0\0\0\0\0", sizeof(e->comm));
}

/* kprobe side of a kprobe/kretprobe pair: keep v for this task. */
static __always_inline void save_task_arg(void *map, __u64 v)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_update_elem(map, &tid, &v, BPF_ANY);
}

/* kretprobe side: the value saved for this task (removed), 0 if none. */
static __always_inline __u64 take_task_arg(void *map)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *v = bpf_map_lookup_elem(map, &tid);
	__u64 s;

	if (!v)
		return 0;
	s = *v;
	bpf_map_delete_elem(map, &tid);
	return s;
}

/* A registration is reported once per generation: forget it when the
 * generation ends (free_end) or a new one starts at the address (alloc). */
static __always_inline void forget_registration(__u64 s)
{
	bpf_map_delete_elem(&registered, &s);
}

/* ---- a call's vmscan tracepoints, joined to it ----------------------------
 * do_shrink_slab() (mm/shrinker.c, mm/vmscan.c before 6.7): count_objects(),
 * then, when it found work, trace_mm_shrink_slab_start(), the batch loop of
 * scan_objects(), trace_mm_shrink_slab_end(), return.  The two tracepoints
 * are kept in the task's call_detail and read at the call's return, so one
 * shrink_end carries the whole story: count, the deferred work before and
 * after, what was scanned, and the split of its time.  do_shrink_slab() does
 * not nest within a task (reclaim sets PF_MEMALLOC), so one slot per task. */

static __always_inline struct st_call_detail *detail_get(bool create)
{
	return bpf_task_storage_get(&call_detail, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* mm_shrink_slab_start(shr, sc, nr_objects_to_shrink, cache_items, delta,
 * total_scan, priority) */
static __always_inline void detail_start(__u64 s, __u64 ts, long nr, unsigned long count,
					 unsigned long long delta, unsigned long total_scan)
{
	struct st_call_detail *d = detail_get(true);

	if (!d)
		return;
	d->shrinker = s;
	d->start_ts = ts;
	d->end_ts = 0;
	d->count = count;
	d->delta = delta;
	d->total_scan = total_scan;
	d->nr_deferred = nr;
}

/* mm_shrink_slab_end(shr, nid, shrinker_retval, unused_scan_cnt, new_scan_cnt,
 * total_scan) */
static __always_inline void detail_end(__u64 s, __u64 ts, long unused, long new_nr, long left)
{
	struct st_call_detail *d = detail_get(false);

	if (!d || d->shrinker != s || !d->start_ts)
		return;
	d->end_ts = ts;
	d->unused_scan = unused;
	d->new_nr_deferred = new_nr;
	d->total_scan_end = left;
}

/* The lean fentry path: mm_shrink_slab_end sends the call's detail to user
 * space (struct st_call_done) and forgets it. */
static __always_inline void detail_send(__u64 s, __u64 ts, long unused, long new_nr, long left)
{
	struct st_call_detail *d = detail_get(false);
	struct st_call_done *r;
	__u32 zero = 0;

	if (!d || d->shrinker != s || !d->start_ts)
		return;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (r) {
		r->ts = ts;
		r->shrinker = s;
		r->start_ts = d->start_ts;
		r->count = d->count;
		r->delta = d->delta;
		r->total_scan = d->total_scan;
		r->nr_deferred = d->nr_deferred;
		r->unused_scan = unused;
		r->new_nr_deferred = new_nr;
		r->total_scan_end = left;
		r->pid = (__u32)bpf_get_current_pid_tgid();
		r->pad = 0;
		/* the call's shrink_end follows at once and wakes the reader */
		bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	} else {
		count_drop(bpf_map_lookup_elem(&drops, &zero));
	}
	d->start_ts = 0;
}

/* What a call's return knows of it beyond its return value (ST_F_COUNT ...
 * flags say which fields hold). */
struct call_info {
	__u64 count, delta, total_scan, scanned, nr_deferred, new_nr_deferred, unused_scan;
	__u64 count_ns, scan_ns;
	__u32 flags;
};

/* The call on s returns at now with freed: take its detail (and forget it).
 * begin_ts: its entry (0 when the kernel side does not know it: no count_ns
 * then; the lean fentry path does not come here, see detail_send()).  A call whose
 * count_objects() found nothing (0 or SHRINK_EMPTY) fires neither tracepoint:
 * count is what it returned and its whole time was counting. */
static __always_inline void detail_take(struct call_info *ci, __u64 s, __u64 begin_ts, __u64 now,
					__u64 freed)
{
	struct st_call_detail *d;

	/* all of it: the verifier refuses to copy a register never written */
	__builtin_memset(ci, 0, sizeof(*ci));
	if (!call_detail_on)
		return;
	d = detail_get(false);
	if (d && d->shrinker == s && d->start_ts && d->start_ts <= now &&
	    (!shrink_at_entry || d->start_ts >= begin_ts)) {
		ci->count = d->count;
		ci->flags |= ST_F_COUNT;
		if (d->end_ts) {
			ci->scanned = d->total_scan > d->total_scan_end ?
				      d->total_scan - d->total_scan_end : 0;
			ci->delta = d->delta;
			ci->total_scan = d->total_scan;
			ci->nr_deferred = d->nr_deferred;
			ci->new_nr_deferred = d->new_nr_deferred;
			ci->unused_scan = d->unused_scan;
			ci->scan_ns = d->end_ts - d->start_ts;
			ci->flags |= ST_F_SCAN_INFO | ST_F_SCAN_NS;
		}
		/* the tracepoint backend sees the call from _start on */
		if (shrink_at_entry && begin_ts) {
			ci->count_ns = d->start_ts - begin_ts;
			ci->flags |= ST_F_COUNT_NS;
		}
		d->start_ts = 0;
	} else if (shrink_at_entry && (freed == 0 || freed == ST_SHRINK_EMPTY)) {
		ci->count = freed;
		ci->scan_ns = 0;
		ci->flags |= ST_F_COUNT | ST_F_SCAN_NS;
		if (begin_ts) {
			ci->count_ns = now - begin_ts;
			ci->flags |= ST_F_COUNT_NS;
		}
	}
}

static __always_inline void put_info(struct st_event *e, const struct call_info *ci)
{
	__u32 f = ci->flags;

	if (f & ST_F_COUNT)
		e->count = ci->count;
	if (f & ST_F_SCAN_INFO) {
		e->delta = ci->delta;
		e->total_scan = ci->total_scan;
		e->scanned = ci->scanned;
		e->nr_deferred = ci->nr_deferred;
		e->new_nr_deferred = ci->new_nr_deferred;
		e->unused_scan = ci->unused_scan;
	}
	if (f & ST_F_COUNT_NS)
		e->count_ns = ci->count_ns;
	if (f & ST_F_SCAN_NS)
		e->scan_ns = ci->scan_ns;
	e->flags |= f;
}

/* ---- shrink: do_shrink_slab() ------------------------------------------- */

/* Anything held back?  Without filters, --min-latency or stats-only every
 * call is written as it happens. */
#define HOLDING_BACK (stats_only || min_latency_ns || filter_tgid || filter_comm_set || \
		      filter_cgroup_id)

/* Write the shrink_begin of call c made by task tid: its entry time,
 * arguments and entry snapshot.  extra: ST_F_DEFERRED when written after the
 * fact, possibly from another task (shrinker_free()). */
static __always_inline void emit_shrink_begin_d(struct shrinker *s, struct call *c, __u32 tid,
						__u32 extra, bool direct)
{
	/* the caller's task id, unless written for another task (deferred) */
	struct st_event *e = ev_reserve_opt(ST_EV_SHRINK_BEGIN, c->ts,
					    (extra & ST_F_DEFERRED) ? 0 : tid, true);

	c->emitted = 1;		/* a full ring buffer shows up as `lost` instead */
	if (!e)
		return;
	if (extra & ST_F_DEFERRED) {
		e->pid = tid;
		e->cpu = c->cpu;
		__builtin_memcpy(e->comm, c->comm, sizeof(e->comm));
	}
	e->shrinker = (__u64)s;
	e->nid = c->nid;
	e->memcg = c->memcg;
	e->priority = c->priority;
	e->nr_to_scan = c->nr_to_scan;
	e->flags |= ST_F_WALK_INFO | ST_F_NR_TO_SCAN | extra;
	put_snap(e, &c->snap);
	fill_name_d(e, s, direct, plain((__u64)s));
	ev_submit(e);
}

static __always_inline void emit_shrink_begin(struct shrinker *s, struct call *c, __u32 tid,
					      __u32 extra)
{
	emit_shrink_begin_d(s, c, tid, extra, false);
}

/* shrinker_free() has begun on s: write the held-back shrink_begin of every
 * call in flight on it, so that free_while_running can be seen. */
static long flush_one(void *map, __u32 *tid, struct call *c, __u64 *s)
{
	if (c->shrinker == *s && !c->emitted)
		emit_shrink_begin((struct shrinker *)*s, c, *tid, ST_F_DEFERRED);
	return 0;
}

/* What the kernel side keeps about a shrinker's free_begin/free_end. */
static __always_inline void note_free(__u32 type, __u64 key, __u32 extra)
{
	__u8 one = 1;

	if (type == ST_EV_FREE_END) {
		forget_registration(key);
		bpf_map_delete_elem(&introduced, &key);
	}
	if (type == ST_EV_FREE_BEGIN) {
		bpf_map_update_elem(&freeing, &key, &one, BPF_ANY);
		/* Not from the scanner (a callback itself): it cannot nest
		 * bpf_for_each_map_elem(). */
		if (HOLDING_BACK && !(extra & ST_F_INFERRED))
			bpf_for_each_map_elem(&calls, flush_one, &key, 0);
	}
}

/* ---- the tracepoint backend: tracking and inference ------------------------ */

/* Kernel image and modules live in the top 2 GiB on x86-64; since 6.7 every
 * shrinker is slab memory (shrinker_alloc), so a list pointer up there is
 * &shrinker_list. */
#define KERNEL_IMAGE_START 0xffffffff80000000ULL

static __always_inline void learn_list_head(__u64 next, __u64 prev)
{
	if (list_head_addr)
		return;
	if (next >= KERNEL_IMAGE_START)
		list_head_addr = next;
	else if (prev >= KERNEL_IMAGE_START && prev != ST_LIST_POISON2)
		list_head_addr = prev;
}

/* Start tracking p.  NULL when the map is full (counted), else its entry (an
 * entry another CPU created meanwhile counts as created). */
static __always_inline struct st_tracked *track_new(__u64 p, __u64 born_ts, __u32 state, __u64 ok_ts)
{
	struct st_tracked t = { .born_ts = born_ts, .ok_ts = ok_ts, .state = state };
	long err;

	p = plain(p);
	filter_inc(p);
	err = bpf_map_update_elem(&tracked, &p, &t, BPF_NOEXIST);
	if (err) {
		filter_dec(p);
		if (err != -17 /* EEXIST */)
			__sync_fetch_and_add(&lifecycle.untracked, 1);
	}
	return bpf_map_lookup_elem(&tracked, &p);
}

static __always_inline void untrack(__u64 p)
{
	if (!bpf_map_delete_elem(&tracked, &p))
		filter_dec(p);
}

/* Claim bit for the caller: true once per entry and bit, never after T_GONE
 * unless gone_ok (the kfree path, which set T_GONE itself). */
static __always_inline bool claim(struct st_tracked *t, __u32 bit, bool gone_ok)
{
	__u32 block = bit | (gone_ok ? 0 : T_GONE);

	if (t->state & block)
		return false;
	return !(__sync_fetch_and_or(&t->state, bit) & block);
}

/* The latest moment known to be before a free_begin: last seen healthy, or
 * born (0: unknown). */
static __always_inline __u64 before_free(const struct st_tracked *t)
{
	return t->ok_ts > t->born_ts ? t->ok_ts : t->born_ts;
}

/* Write an inferred event about shrinker s: ts 0 keeps the reservation's
 * time; earliest 0 means no lower bound known; what: which fields to read from
 * s, whose memory must be alive (ST_EV_SHRINKER_REGISTER: ids and name;
 * free_*: snapshot; 0: nothing). */
static __always_inline void emit_inferred(__u32 type, __u64 s, __u64 ts, __u64 earliest,
					  __u32 evidence, __u32 what)
{
	struct st_event *e;

	if (type == ST_EV_FREE_BEGIN || type == ST_EV_FREE_END)
		note_free(type, s, ST_F_INFERRED);
	e = ev_reserve(type);
	if (!e)
		return;
	anonymize(e);
	e->shrinker = s;
	e->flags |= ST_F_INFERRED;
	e->evidence = evidence;
	if (ts)
		e->ts = ts;
	if (earliest) {
		e->earliest_ts = earliest < e->ts ? earliest : e->ts;
		e->flags |= ST_F_EARLIEST;
	}
	if (what == ST_EV_SHRINKER_REGISTER) {
		fill_ids(e, (struct shrinker *)s);
		fill_name_d(e, (struct shrinker *)s, false, plain(s));
	} else if (what == ST_EV_FREE_BEGIN) {
		fill_snapshot(e, (struct shrinker *)s);
	}
	ev_submit(e);
}

/* A do_shrink_slab() call on s shows its state (entry: shrink_begin, else
 * shrink_end); sn is its snapshot, now the time the event will carry.  Inferred
 * events are written before the call's own event, with times just before it.
 * The walker holds a reference: s is alive. */
static __always_inline void infer_at_call(__u64 s, const struct snap *sn, __u64 now)
{
	struct st_tracked *t;

	learn_list_head(sn->next, sn->prev);
	t = bpf_map_lookup_elem(&tracked, &s);
	if (!t) {
		__u64 last = census_last_ts;

		t = track_new(s, 0, T_REGISTERED, now);
		if (!t)
			return;
		/* Every listed shrinker is tracked after a census: one that is not
		 * was registered after the latest census (and its kmalloc missed). */
		if (last)
			emit_inferred(ST_EV_SHRINKER_REGISTER, s, now - 3, last, ST_EVID_CALL,
				      ST_EV_SHRINKER_REGISTER);
	} else if (claim(t, T_REGISTERED, false)) {
		emit_inferred(ST_EV_SHRINKER_REGISTER, s, now - 3, t->born_ts, ST_EVID_CALL,
			      ST_EV_SHRINKER_REGISTER);
	}
	if (sn->prev == ST_LIST_POISON2) {
		/* list_del_rcu() ran: shrinker_free() is past its wait. */
		if (claim(t, T_FREE_BEGIN, false)) {
			t->fb_ts = now - 2;
			emit_inferred(ST_EV_FREE_BEGIN, s, now - 2, before_free(t), ST_EVID_CALL,
				      ST_EV_FREE_BEGIN);
		}
		if (claim(t, T_FREE_END, false))
			emit_inferred(ST_EV_FREE_END, s, now - 1, t->fb_ts ? t->fb_ts : before_free(t),
				      ST_EVID_CALL, ST_EV_FREE_BEGIN);
	} else if (sn->has_refcount && sn->refcount == 1) {
		/* The walker's reference is the only one: shrinker_free() has
		 * dropped the initial reference and waits for this call (6.7+). */
		if (claim(t, T_FREE_BEGIN, false)) {
			t->fb_ts = now - 1;
			emit_inferred(ST_EV_FREE_BEGIN, s, now - 1, before_free(t), ST_EVID_CALL,
				      ST_EV_FREE_BEGIN);
		}
	} else if (!(t->state & T_FREE_BEGIN)) {
		t->ok_ts = now;
	}
}

/* kmem:kmalloc handed out p while p is tracked: the shrinker there was freed
 * and its kfree went unseen.  Its memory belongs to someone else now: nothing
 * is read, the generation is closed with what is known. */
static __always_inline void close_reused(__u64 p)
{
	struct st_tracked *t = bpf_map_lookup_elem(&tracked, &p);
	__u64 last;

	if (!t || !claim(t, T_GONE, false))
		return;
	last = before_free(t);
	if (claim(t, T_FREE_BEGIN, true))
		emit_inferred(ST_EV_FREE_BEGIN, p, 0, last, ST_EVID_REUSE, 0);
	if (claim(t, T_FREE_END, true))
		emit_inferred(ST_EV_FREE_END, p, 0, t->fb_ts ? t->fb_ts : last, ST_EVID_REUSE, 0);
	emit_inferred(ST_EV_RCU_FREE, p, 0, t->fb_ts ? t->fb_ts : last, ST_EVID_REUSE, 0);
	__sync_fetch_and_add(&lifecycle.rcu_reuse, 1);
	name_unsee(p);
	untrack(p);
	bpf_map_delete_elem(&freeing, &p);
}

/* kmem:kfree of p: when p is a tracked shrinker this is its RCU free
 * (shrinker_free_rcu_cb() ends in a tail call to kfree(), so call_site is the
 * RCU core), or the error path of shrinker_alloc() (call_site inside it).  The
 * memory is still intact here: what was not seen yet is read now. */
static __always_inline void on_kfree(__u64 call_site, __u64 p)
{
	struct st_tracked *t;
	struct snap sn;
	__u64 last;

	if (!filter_maybe(p))
		return;
	t = bpf_map_lookup_elem(&tracked, &p);
	if (!t)
		return;
	if (test_skip_kfree && __sync_fetch_and_add(&test_skip_count, 1) % test_skip_kfree == 0)
		return;
	if (__sync_fetch_and_or(&t->state, T_GONE) & T_GONE)
		return;
	if (call_site < shrinker_alloc_start || call_site >= shrinker_alloc_end) {
		read_snap((struct shrinker *)p, &sn);
		learn_list_head(sn.next, 0);
		last = before_free(t);
		/* list_del_rcu() only ever ran on it if it was registered */
		if (sn.prev == ST_LIST_POISON2 && claim(t, T_REGISTERED, true))
			emit_inferred(ST_EV_SHRINKER_REGISTER, p, 0, t->born_ts, ST_EVID_KFREE,
				      ST_EV_SHRINKER_REGISTER);
		if (claim(t, T_FREE_BEGIN, true)) {
			t->fb_ts = last;
			emit_inferred(ST_EV_FREE_BEGIN, p, 0, last, ST_EVID_KFREE, ST_EV_FREE_BEGIN);
		}
		if (claim(t, T_FREE_END, true))
			emit_inferred(ST_EV_FREE_END, p, 0, t->fb_ts ? t->fb_ts : last, ST_EVID_KFREE,
				      ST_EV_FREE_BEGIN);
	}
	{
		struct st_event *e = ev_reserve(ST_EV_RCU_FREE);

		if (e) {
			e->shrinker = p;
			e->flags |= ST_F_INFERRED;
			e->evidence = ST_EVID_KFREE;
			/* the name user space already has, when it has it: a
			 * superblock shrinker's name is read through its
			 * super_block, which may be freed before the shrinker
			 * (destroy_super_rcu() and the shrinker's own RCU free
			 * race): seen as an rcu_free without a name */
			fill_name_d(e, (struct shrinker *)p, false, p);
			ev_submit(e);
		}
	}
	__sync_fetch_and_add(&lifecycle.rcu_kfree, 1);
	name_unsee(p);
	untrack(p);
	bpf_map_delete_elem(&freeing, &p);
}

/* kzalloc(sizeof(struct shrinker)) inside shrinker_alloc(): a new generation
 * at p.  The struct is still zero: only the address is known. */
static __always_inline void new_generation(__u64 p)
{
	struct st_event *e;
	__u64 now = bpf_ktime_get_ns();

	if (filter_maybe(p))
		close_reused(p);
	name_unsee(p);
	forget_registration(p);
	bpf_map_delete_elem(&freeing, &p);
	bpf_map_delete_elem(&introduced, &p);
	track_new(p, now, T_BORN, 0);
	__sync_fetch_and_add(&lifecycle.allocs, 1);
	e = ev_reserve(ST_EV_SHRINKER_ALLOC);
	if (!e)
		return;
	e->shrinker = p;
	e->flags |= ST_F_INFERRED;
	e->evidence = ST_EVID_KMALLOC;
	ev_submit(e);
}

/* begin_ts: the shrink_begin's timestamp, 0 if unknown (no duration then);
 * sn: the snapshot read at the return.  The walker continues from list.next
 * after this return: the snapshot is what it will follow (stale_next rests on
 * it). */
static __always_inline void emit_shrink_end(struct shrinker *s, __u64 freed, __u64 begin_ts,
					    const struct snap *sn, __u64 now,
					    const struct call_info *ci)
{
	struct st_event *e = ev_reserve_ts(ST_EV_SHRINK_END, now);

	if (!e)
		return;
	e->shrinker = (__u64)s;
	e->freed = freed;
	if (begin_ts && e->ts >= begin_ts) {
		e->duration_ns = e->ts - begin_ts;
		e->flags |= ST_F_DURATION;
	}
	put_snap(e, sn);
	put_info(e, ci);
	ev_submit(e);
}

/* Does a call on s matter to the correlator whatever the filters say?  Yes
 * when shrinker_free() has begun on s or list_del_rcu() has unlinked it. */
static __always_inline bool shrinker_dying(__u64 s, __u64 prev)
{
	return prev == ST_LIST_POISON2 || bpf_map_lookup_elem(&freeing, &s);
}

static __always_inline void hist_add(__u64 *hist, __u64 ns)
{
	__u32 slot = hist_slot(ns);

	if (slot < ST_HIST_SLOTS)
		hist[slot]++;
}

/* An all-zero value to create aggregation entries from (never written). */
struct zero_val {
	struct st_call_stat call;
	struct st_task_stat task;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zero_val);
} zero SEC(".maps");

/* Look key up in an aggregation map, creating a zeroed entry first. */
static __always_inline void *agg_get(void *map, void *key, void *zeroed)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v || !zeroed)
		return v;
	bpf_map_update_elem(map, key, zeroed, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

/* Stats-only mode: add one do_shrink_slab() call to call_stats and
 * task_stats. */
static __always_inline void account_call(__u64 s, __u64 scanned, __u64 freed, __u64 dur)
{
	__u32 zkey = 0, tid = (__u32)bpf_get_current_pid_tgid();
	struct zero_val *z = bpf_map_lookup_elem(&zero, &zkey);
	struct st_call_stat *cs;
	struct st_task_stat *ts;

	if (!z)
		return;
	cs = agg_get(&call_stats, &s, &z->call);
	if (cs) {
		cs->calls++;
		cs->scanned += scanned;
		if (freed == ST_SHRINK_EMPTY)
			cs->empty_calls++;
		else if (!freed)
			cs->zero_calls++;
		else
			cs->freed += freed;
		cs->total_ns += dur;
		if (dur > cs->max_ns)
			cs->max_ns = dur;
		hist_add(cs->hist, dur);
	}
	ts = agg_get(&task_stats, &tid, &z->task);
	if (ts) {
		ts->calls++;
		ts->total_ns += dur;
		if (dur > ts->max_ns)
			ts->max_ns = dur;
		bpf_get_current_comm(ts->comm, sizeof(ts->comm));
	}
}

/* Stats-only mode writes the first call of each shrinker in full: it names
 * the shrinker (and starts its generation) for user space. */
static __always_inline bool first_call(__u64 s)
{
	__u8 one = 1;

	if (bpf_map_lookup_elem(&introduced, &s))
		return false;
	bpf_map_update_elem(&introduced, &s, &one, BPF_ANY);
	return true;
}

/* The general entry: the call is kept (map `calls`) for its return. */
static __always_inline void shrink_enter_held(struct shrinker *s, struct shrink_control *sc,
					      int priority, __u64 nr_to_scan, bool direct, __u32 tid,
					      __u64 ts)
{
	struct mem_cgroup *memcg = ST_READ(direct, sc, memcg);
	struct call c = {
		.shrinker = (__u64)s,
		.ts = ts,
		.nr_to_scan = nr_to_scan,
		.memcg = (__u64)memcg,
		.nid = ST_READ(direct, sc, nid),
		.priority = priority,
	};

	read_snap_d(s, &c.snap, direct, true);
	if (infer_lifecycle)
		infer_at_call(c.shrinker, &c.snap, c.ts);
	if (HOLDING_BACK) {
		c.cpu = bpf_get_smp_processor_id();
		bpf_get_current_comm(c.comm, sizeof(c.comm));
	}
	c.wanted = task_wanted() && memcg_wanted(memcg);
	if ((c.wanted && !stats_only && !min_latency_ns) || shrinker_dying(c.shrinker, c.snap.prev) ||
	    (stats_only && c.wanted && first_call(c.shrinker)))
		emit_shrink_begin_d(s, &c, tid, 0, direct);
	bpf_map_update_elem(&calls, &tid, &c, BPF_ANY);
}

/* Entry of do_shrink_slab() on every backend.  The call is remembered even
 * when it is not written, so that it can still be if shrinker_free() starts
 * on its shrinker meanwhile (filters never hide violations).  direct: s and
 * sc are BTF-typed (fentry, tp_btf), see ST_READ(). */
static __always_inline void shrink_enter(struct shrinker *s, struct shrink_control *sc,
					 int priority, __u64 nr_to_scan, bool direct, __u64 ts)
{
	/* Without filters or stats-only mode (and with BTF-typed arguments) the
	 * call is written at once and nothing is kept for its return. */
	if (direct && !HOLDING_BACK) {
		struct task_struct *t = bpf_get_current_task_btf();
		struct st_event *e;
		struct snap sn;

		read_snap_d(s, &sn, true, true);
		if (infer_lifecycle)
			infer_at_call((__u64)s, &sn, ts);
		e = ev_reserve_raw(ST_EV_SHRINK_BEGIN, ts, (__u32)t->pid);
		if (!e)
			return;
		/* current->comm by two inline loads instead of the comm helper's
		 * strscpy (the kernel keeps comm NUL-padded) */
		{
			const __u64 *src = (const __u64 *)t->comm;
			__u64 *dst = (__u64 *)e->comm;

			dst[0] = src[0];
			dst[1] = src[1];
		}
		e->shrinker = (__u64)s;
		e->nid = sc->nid;
		e->memcg = (__u64)sc->memcg;
		e->priority = priority;
		e->nr_to_scan = nr_to_scan;
		e->flags |= ST_F_WALK_INFO | ST_F_NR_TO_SCAN;
		put_snap(e, &sn);
		fill_name_d(e, s, true, plain((__u64)s));
		ev_submit(e);
		return;
	}
	shrink_enter_held(s, sc, priority, nr_to_scan, direct, (__u32)bpf_get_current_pid_tgid(), ts);
}

/* Return of do_shrink_slab() on every backend; s is NULL where the return
 * side has no arguments (kretprobe).  direct: s is BTF-typed (fexit, tp_btf).
 * The snapshot here is next/prev only: the log's shrink_end has no refcount,
 * unless the tracepoint backend infers from it. */
static __always_inline void shrink_exit(struct shrinker *s, __u64 freed, bool direct, __u64 now)
{
	__u32 tid;
	struct call *c;
	struct snap sn;
	__u64 dur;

	/* Without filters or stats-only mode every call's shrink_begin is in the
	 * ring already: write the shrink_end with what the return shows, and let
	 * user space take comm and the duration from the shrink_begin (ST_F_PAIRED):
	 * no map operation, no comm helper. */
	if (direct && !HOLDING_BACK) {
		struct st_event *e;
		struct call_info ci;

		read_snap_d(s, &sn, true, infer_lifecycle);
		if (infer_lifecycle)
			infer_at_call((__u64)s, &sn, now);
		/* the fentry path leaves the join to user space (detail_send()) */
		if (detail_to_ring)
			ci.flags = 0;
		else
			detail_take(&ci, (__u64)s, 0, now, freed);
		e = ev_reserve_raw(ST_EV_SHRINK_END, now, (__u32)bpf_get_current_pid_tgid());
		if (!e)
			return;
		e->shrinker = (__u64)s;
		e->freed = freed;
		e->flags = ST_F_PAIRED;
		put_snap(e, &sn);
		put_info(e, &ci);
		ev_submit(e);
		return;
	}
	tid = (__u32)bpf_get_current_pid_tgid();
	c = bpf_map_lookup_elem(&calls, &tid);

	if (!c) {
		/* Entry not seen (tracing began inside the call): no duration. */
		if (s && !HOLDING_BACK) {
			struct call_info ci = {};

			read_snap_d(s, &sn, direct, infer_lifecycle);
			if (infer_lifecycle)
				infer_at_call((__u64)s, &sn, now);
			emit_shrink_end(s, freed, 0, &sn, 0, &ci);
		} else {
			struct call_info ci;

			/* forget what the tracepoints kept of it */
			detail_take(&ci, (__u64)s, 0, now, freed);
		}
		return;
	}
	if (!s) {
		if (direct)	/* a typed argument is never NULL here */
			goto out;
		s = (struct shrinker *)c->shrinker;
	}
	dur = now - c->ts;
	read_snap_d(s, &sn, direct, infer_lifecycle);
	if (infer_lifecycle)
		infer_at_call((__u64)s, &sn, now);
	{
		struct call_info ci;

		detail_take(&ci, (__u64)s, c->ts, now, freed);
		if (c->wanted && stats_only) {
			struct walk *w = bpf_map_lookup_elem(&walks, &tid);

			if (w)
				w->calls++;
			/* objects scanned: the tracepoints' count where they were
			 * joined to the call, else nr_to_scan (total_scan on the
			 * tracepoint backend) */
			account_call((__u64)s, (ci.flags & ST_F_SCAN_INFO) ? ci.scanned : c->nr_to_scan,
				     freed, dur);
		}
		if (c->emitted || (c->wanted && !stats_only && dur >= min_latency_ns) ||
		    shrinker_dying((__u64)s, sn.prev)) {
			if (!c->emitted)
				emit_shrink_begin_d(s, c, tid, ST_F_DEFERRED, direct);
			emit_shrink_end(s, freed, c->ts, &sn, infer_lifecycle ? 0 : now, &ci);
		}
	}
out:
	bpf_map_delete_elem(&calls, &tid);
}

SEC("fentry/do_shrink_slab")
int BPF_PROG(fe_shrink_begin, struct shrink_control *sc, struct shrinker *s, int priority)
{
	shrink_enter(s, sc, priority, sc->nr_to_scan, true, bpf_ktime_get_ns());
	return 0;
}

SEC("fexit/do_shrink_slab")
int BPF_PROG(fx_shrink_end, struct shrink_control *sc, struct shrinker *s, int priority,
	     unsigned long ret)
{
	shrink_exit(s, ret, true, bpf_ktime_get_ns());
	return 0;
}

SEC("kprobe/do_shrink_slab")
int BPF_KPROBE(kp_shrink_begin, struct shrink_control *sc, struct shrinker *s, int priority)
{
	shrink_enter(s, sc, priority, BPF_CORE_READ(sc, nr_to_scan), false, bpf_ktime_get_ns());
	return 0;
}

SEC("kretprobe/do_shrink_slab")
int BPF_KRETPROBE(krp_shrink_end, unsigned long ret)
{
	shrink_exit(NULL, ret, false, bpf_ktime_get_ns());
	return 0;
}

/* vmscan:mm_shrink_slab_start fires inside do_shrink_slab() only when
 * count_objects() returned work; _end fires after the scan loop. */
SEC("tp_btf/mm_shrink_slab_start")
int BPF_PROG(tp_shrink_begin, struct shrinker *s, struct shrink_control *sc,
	     long nr_objects_to_shrink, unsigned long cache_items, unsigned long long delta,
	     unsigned long total_scan, int priority)
{
	__u64 ts = bpf_ktime_get_ns();

	/* the call is seen from here: its shrink_begin and its detail share a clock read */
	detail_start(plain((__u64)s), ts, nr_objects_to_shrink, cache_items, delta, total_scan);
	shrink_enter(s, sc, priority, total_scan, true, ts);
	return 0;
}

/* shrinker_retval is an int: freed counts above 2^31 are cut (the fentry/
 * kprobe backends read do_shrink_slab()'s unsigned long return instead). */
SEC("tp_btf/mm_shrink_slab_end")
int BPF_PROG(tp_shrink_end, struct shrinker *s, int nid, int shrinker_retval,
	     long unused_scan_cnt, long new_scan_cnt, long total_scan)
{
	__u64 now = bpf_ktime_get_ns();

	detail_end(plain((__u64)s), now, unused_scan_cnt, new_scan_cnt, total_scan);
	shrink_exit(s, (__u64)(long)shrinker_retval, true, now);
	return 0;
}

/* The detail hook: beside fentry/kprobe on do_shrink_slab(), the call's own
 * vmscan tracepoints, kept for its return (detail_take()). */
SEC("tp_btf/mm_shrink_slab_start")
int BPF_PROG(tpj_start, struct shrinker *s, struct shrink_control *sc,
	     long nr_objects_to_shrink, unsigned long cache_items, unsigned long long delta,
	     unsigned long total_scan, int priority)
{
	detail_start(plain((__u64)s), bpf_ktime_get_ns(), nr_objects_to_shrink, cache_items, delta,
		     total_scan);
	return 0;
}

SEC("tp_btf/mm_shrink_slab_end")
int BPF_PROG(tpj_end, struct shrinker *s, int nid, int shrinker_retval,
	     long unused_scan_cnt, long new_scan_cnt, long total_scan)
{
	if (detail_to_ring)
		detail_send(plain((__u64)s), bpf_ktime_get_ns(), unused_scan_cnt, new_scan_cnt,
			    total_scan);
	else
		detail_end(plain((__u64)s), bpf_ktime_get_ns(), unused_scan_cnt, new_scan_cnt,
			   total_scan);
	return 0;
}

/* ---- walk: shrink_slab() ------------------------------------------------- */

/* PF_KSWAPD in task_struct.flags (include/linux/sched.h): kswapd itself. */
#define ST_PF_KSWAPD 0x00020000u

/* The walk of the caller's frames looking for a trigger (bpf_loop()). */
struct trig_walk {
	const struct trig_frames *f;
	__u32 n;		/* frames */
	__u32 found;		/* the innermost generic trigger */
	__u32 limit;		/* a memcg limit found: the search is over */
};

/* Frame i: the first range holding its return address decides; one that names
 * a memcg limit ends the search. */
static long trig_frame(__u32 i, struct trig_walk *tw)
{
	__u64 ip;

	if (i >= tw->n || i >= ST_TRIG_DEPTH)
		return 1;
	ip = tw->f->ip[i];
	for (int j = 0; j < ST_TRIG_RANGES; j++) {
		__u32 k;

		if (j >= trig_n)
			break;
		if (ip <= trig_lo[j] || ip > trig_hi[j])
			continue;
		k = trig_kind[j];
		if (k & 0xff) {
			tw->limit = k & 0xff;
			tw->found = k >> 8;
			return 1;
		}
		if (tw->found == ST_TRIG_UNKNOWN)
			tw->found = k >> 8;
		break;
	}
	return 0;
}

/* The trigger (and memcg limit) named by the caller's return addresses that
 * fall in the ranges user space set (trig_lo/hi/kind): the first range that
 * names a memcg limit, else the innermost match; ST_TRIG_UNKNOWN when none. */
static __always_inline __u32 trigger_from_stack(void *ctx, __u32 *limit)
{
	__u32 zero = 0;
	struct trig_walk tw = { .found = ST_TRIG_UNKNOWN };
	struct trig_frames *f;
	long n;

	*limit = ST_LIMIT_UNKNOWN;
	if (!trig_n)
		return ST_TRIG_UNKNOWN;
	f = bpf_map_lookup_elem(&trig_scratch, &zero);
	if (!f)
		return ST_TRIG_UNKNOWN;
	n = bpf_get_stack(ctx, f->ip, sizeof(f->ip), 0);
	if (n <= 0)
		return ST_TRIG_UNKNOWN;
	tw.f = f;
	tw.n = (__u32)(n / sizeof(__u64));
	bpf_loop(ST_TRIG_DEPTH, trig_frame, &tw, 0);
	*limit = tw.limit;
	return tw.found;
}

/* What made this walk happen: kswapd; else the reclaim the task is in
 * (vmscan:mm_vmscan_direct_reclaim_begin / _memcg_reclaim_begin, with its
 * allocation order), the memcg's limit found once per reclaim from the stack;
 * else the stack (drop_slab() for drop_caches, node_reclaim(), and the
 * reclaim entries themselves where the reclaim hook is not attached). */
static __always_inline __u32 walk_trigger(void *ctx, __u32 *limit, __s32 *order, bool *has_order)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct st_reclaim_ctx *rc;
	__u32 trig;

	*limit = ST_LIMIT_UNKNOWN;
	*has_order = false;
	if (t->flags & ST_PF_KSWAPD)
		return ST_TRIG_KSWAPD;
	if (reclaim_ctx_on) {
		rc = bpf_task_storage_get(&reclaim_ctx, t, 0, 0);
		if (rc && rc->trigger) {
			*order = rc->order;
			*has_order = true;
			if (rc->trigger == ST_TRIG_MEMCG && !rc->limit_known) {
				__u32 l;

				if (trigger_from_stack(ctx, &l) == ST_TRIG_MEMCG)
					rc->memcg_limit = l;
				rc->limit_known = 1;
			}
			if (rc->trigger == ST_TRIG_MEMCG)
				*limit = rc->memcg_limit;
			return rc->trigger;
		}
	}
	trig = trigger_from_stack(ctx, limit);
	return trig;
}

static __always_inline void emit_walk_begin(int nid, __u64 memcg, int priority, __u32 trig,
					    __u32 limit, __u32 gfp, __s32 order, bool has_order,
					    __s32 stack_id)
{
	struct st_event *e = ev_reserve(ST_EV_WALK_BEGIN);

	if (!e)
		return;
	e->nid = nid;
	e->memcg = memcg;
	e->priority = priority;
	e->trigger = trig;
	e->memcg_limit = limit;
	e->gfp = gfp;
	e->flags |= ST_F_WALK_INFO | ST_F_TRIGGER;
	if (has_order) {
		e->order = order;
		e->flags |= ST_F_ORDER;
	}
	if (stack_id >= 0) {
		e->stack_id = stack_id;
		e->flags |= ST_F_STACK;
	}
	ev_submit(e);
}

static __always_inline void emit_walk_end(__u64 freed)
{
	struct st_event *e = ev_reserve(ST_EV_WALK_END);

	if (!e)
		return;
	e->freed = freed;
	ev_submit(e);
}

/* Is memcg a cgroup's own (shrink_slab_memcg()), not the root's (the global
 * walk of shrinker_list)?  NULL is the global walk too. */
static __always_inline bool memcg_walk(struct mem_cgroup *memcg)
{
	return memcg && BPF_CORE_READ(memcg, css.cgroup, level) > 0;
}

/* Entry of shrink_slab(): walks of unwanted tasks/memcgs are not followed. */
static __always_inline void walk_enter(void *ctx, gfp_t gfp, int nid, struct mem_cgroup *memcg,
				       int priority)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct walk w = { .ts = bpf_ktime_get_ns() };
	__u32 trig, limit;
	__s32 order = 0, stack_id = -1;
	bool has_order;

	if (!task_wanted() || !memcg_wanted(memcg))
		return;
	trig = walk_trigger(ctx, &limit, &order, &has_order);
	w.stat_key = st_walk_cause(trig, limit) * 2 + (memcg_walk(memcg) ? 1 : 0);
	bpf_map_update_elem(&walks, &tid, &w, BPF_ANY);
	if (stats_only)
		return;
	if (want_stacks) {
		stack_id = bpf_get_stackid(ctx, &walk_stacks, 0);
		if (stack_id < 0) {
			__sync_fetch_and_add(&lifecycle.stacks_lost, 1);
			stack_id = -1;
		}
	}
	emit_walk_begin(nid, (__u64)memcg, priority, trig, limit, gfp, order, has_order, stack_id);
}

static __always_inline void walk_exit(__u64 freed)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct walk *w = bpf_map_lookup_elem(&walks, &tid);
	struct st_walk_stat *ws;
	__u32 key;
	__u64 dur;

	if (!w)
		return;
	key = w->stat_key;
	if (!stats_only) {
		emit_walk_end(freed);
	} else if ((ws = bpf_map_lookup_elem(&walk_stats, &key))) {
		dur = bpf_ktime_get_ns() - w->ts;
		ws->walks++;
		ws->calls += w->calls;
		ws->freed += freed;
		ws->total_ns += dur;
		if (dur > ws->max_ns)
			ws->max_ns = dur;
		hist_add(ws->hist, dur);
	}
	bpf_map_delete_elem(&walks, &tid);
}

SEC("fentry/shrink_slab")
int BPF_PROG(fe_walk_begin, gfp_t gfp_mask, int nid, struct mem_cgroup *memcg, int priority)
{
	walk_enter(ctx, gfp_mask, nid, memcg, priority);
	return 0;
}

SEC("fexit/shrink_slab")
int BPF_PROG(fx_walk_end, gfp_t gfp_mask, int nid, struct mem_cgroup *memcg, int priority,
	     unsigned long ret)
{
	walk_exit(ret);
	return 0;
}

SEC("kprobe/shrink_slab")
int BPF_KPROBE(kp_walk_begin, gfp_t gfp_mask, int nid, struct mem_cgroup *memcg, int priority)
{
	walk_enter(ctx, gfp_mask, nid, memcg, priority);
	return 0;
}

SEC("kretprobe/shrink_slab")
int BPF_KRETPROBE(krp_walk_end, unsigned long ret)
{
	walk_exit(ret);
	return 0;
}

/* ---- reclaim: what a walk is for ------------------------------------------
 * try_to_free_pages() (direct reclaim of an allocation) and
 * try_to_free_mem_cgroup_pages() (a memcg over a limit, or memory.reclaim)
 * bracket their reclaim with these tracepoints (mm/vmscan.c, every kernel
 * shrinktrace runs on); a walk inside takes its trigger and order. */
static __always_inline void reclaim_begin(__u32 trig, int order, gfp_t gfp)
{
	struct st_reclaim_ctx *rc = bpf_task_storage_get(&reclaim_ctx, bpf_get_current_task_btf(),
							 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!rc)
		return;
	rc->trigger = trig;
	rc->order = order;
	rc->gfp = gfp;
	rc->memcg_limit = ST_LIMIT_UNKNOWN;
	rc->limit_known = 0;
}

static __always_inline void reclaim_end(void)
{
	struct st_reclaim_ctx *rc = bpf_task_storage_get(&reclaim_ctx, bpf_get_current_task_btf(),
							 0, 0);

	if (rc)
		rc->trigger = 0;
}

SEC("tp_btf/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(tp_direct_begin, int order, gfp_t gfp_flags)
{
	reclaim_begin(ST_TRIG_DIRECT, order, gfp_flags);
	return 0;
}

SEC("tp_btf/mm_vmscan_direct_reclaim_end")
int BPF_PROG(tp_direct_end, unsigned long nr_reclaimed)
{
	reclaim_end();
	return 0;
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_begin")
int BPF_PROG(tp_memcg_begin, int order, gfp_t gfp_flags)
{
	reclaim_begin(ST_TRIG_MEMCG, order, gfp_flags);
	return 0;
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_end")
int BPF_PROG(tp_memcg_end, unsigned long nr_reclaimed)
{
	reclaim_end();
	return 0;
}

/* ---- alloc: shrinker_alloc() (6.7+) --------------------------------------- */

/* Return of shrinker_alloc() (fentry/kprobe backends). */
static __always_inline void emit_alloc(struct shrinker *s)
{
	struct st_event *e;

	if (!s)
		return;
	name_unsee(plain((__u64)s));
	forget_registration((__u64)s);
	bpf_map_delete_elem(&freeing, &s);	/* a new generation at this address */
	bpf_map_delete_elem(&introduced, &s);
	e = ev_reserve(ST_EV_SHRINKER_ALLOC);
	if (!e)
		return;
	e->shrinker = (__u64)s;
	fill_ids(e, s);
	fill_name(e, s);
	ev_submit(e);
}

/* shrinker_alloc(flags, fmt, ...) is variadic: the verifier refuses a
 * trampoline on it on every kernel seen so far, but it is tried like the rest. */
SEC("fexit/shrinker_alloc")
int BPF_PROG(fx_alloc, unsigned int flags, const char *fmt, struct shrinker *ret)
{
	emit_alloc(ret);
	return 0;
}

SEC("kretprobe/shrinker_alloc")
int BPF_KRETPROBE(krp_alloc, struct shrinker *ret)
{
	emit_alloc(ret);
	return 0;
}

/* Every kmalloc() of the system (tracepoint backend).  One range test, then
 * the filter: a hash lookup only for an address that may be tracked.
 * kzalloc(sizeof(struct shrinker)) inside shrinker_alloc() starts a
 * generation; any allocation returning a tracked address closes the one whose
 * kfree went unseen.  raw_tp, not tp_btf: before about 6.14 the verifier
 * refuses tp_btf access to a `const void *` argument ("invalid bpf_context
 * access"), and the pointer is only compared here. */
SEC("raw_tp/kmalloc")
int BPF_PROG(tp_kmalloc, unsigned long call_site, const void *ptr, size_t_k bytes_req,
	     size_t_k bytes_alloc, gfp_t gfp_flags, int node)
{
	__u64 p = (__u64)ptr;

	if (call_site >= shrinker_alloc_start && call_site < shrinker_alloc_end &&
	    bytes_req == bpf_core_type_size(struct shrinker) && p) {
		new_generation(p);
		return 0;
	}
	if (filter_maybe(p))
		close_reused(p);
	return 0;
}

/* ---- register: shrinker_register() / register_shrinker_prepared() -------- */

static __always_inline void emit_register(struct shrinker *s)
{
	__u64 key = (__u64)s;
	__u8 one = 1;
	struct st_event *e;

	if (bpf_map_lookup_elem(&registered, &key))
		return;		/* already reported by the other hook */
	bpf_map_update_elem(&registered, &key, &one, BPF_ANY);
	bpf_map_delete_elem(&freeing, &key);
	e = ev_reserve(ST_EV_SHRINKER_REGISTER);
	if (!e)
		return;
	e->shrinker = (__u64)s;
	fill_ids(e, s);
	fill_name(e, s);
	ev_submit(e);
}

/* fexit: the shrinker is on the list and SHRINKER_REGISTERED is set.  The
 * attach target is chosen by user space (shrinker_register on 6.7+,
 * register_shrinker_prepared before). */
SEC("fexit/shrinker_register")
int BPF_PROG(fx_register, struct shrinker *s)
{
	emit_register(s);
	return 0;
}

SEC("kprobe/shrinker_register")
int BPF_KPROBE(kp_register, struct shrinker *s)
{
	emit_register(s);
	return 0;
}

/* 6.0-6.6: register_shrinker(shrinker, fmt, ...) is variadic and may have
 * register_shrinker_prepared() inlined, so it gets a kprobe pair of its own. */
SEC("kprobe/register_shrinker")
int BPF_KPROBE(kp_register_var, struct shrinker *s)
{
	save_task_arg(&regs, (__u64)s);
	return 0;
}

SEC("kretprobe/register_shrinker")
int BPF_KRETPROBE(krp_register_var, int ret)
{
	__u64 s = take_task_arg(&regs);

	if (ret == 0 && s)
		emit_register((struct shrinker *)s);
	return 0;
}

/* ---- free: shrinker_free() / unregister_shrinker() ------------------------ */

static __always_inline void emit_free(__u32 type, struct shrinker *s)
{
	struct st_event *e;

	note_free(type, (__u64)s, 0);
	e = ev_reserve(type);
	if (!e)
		return;
	e->shrinker = (__u64)s;
	fill_snapshot(e, s);
	ev_submit(e);
}

SEC("fentry/shrinker_free")
int BPF_PROG(fe_free_begin, struct shrinker *s)
{
	if (s)
		emit_free(ST_EV_FREE_BEGIN, s);
	return 0;
}

SEC("fexit/shrinker_free")
int BPF_PROG(fx_free_end, struct shrinker *s)
{
	if (s)
		emit_free(ST_EV_FREE_END, s);
	return 0;
}

SEC("kprobe/shrinker_free")
int BPF_KPROBE(kp_free_begin, struct shrinker *s)
{
	if (!s)
		return 0;
	save_task_arg(&frees, (__u64)s);
	emit_free(ST_EV_FREE_BEGIN, s);
	return 0;
}

SEC("kretprobe/shrinker_free")
int BPF_KRETPROBE(krp_free_end)
{
	__u64 s = take_task_arg(&frees);

	if (s)
		emit_free(ST_EV_FREE_END, (struct shrinker *)s);
	return 0;
}

/* ---- rcu_free: shrinker_free_rcu_cb() (6.7+) ------------------------------ */

static __always_inline void emit_rcu_free(__u64 s)
{
	struct st_event *e;

	name_unsee(plain(s));
	bpf_map_delete_elem(&freeing, &s);
	e = ev_reserve(ST_EV_RCU_FREE);
	if (!e)
		return;
	e->shrinker = s;
	ev_submit(e);
}

SEC("fentry/shrinker_free_rcu_cb")
int BPF_PROG(fe_rcu_free, struct callback_head *head)
{
	emit_rcu_free(st_shrinker_of_rcu(head));
	return 0;
}

SEC("kprobe/shrinker_free_rcu_cb")
int BPF_KPROBE(kp_rcu_free, struct callback_head *head)
{
	emit_rcu_free(st_shrinker_of_rcu(head));
	return 0;
}

/* kmem:kfree (tracepoint backend): every kfree() of the system passes the
 * filter test of on_kfree() in a few instructions.  One program: on this
 * host a tracepoint costs 60-80 ns per attached program in the kernel's
 * dispatch alone (tools/bench/kfreebench.c; two programs cost 185 ns), more
 * than the program itself.  The kernel skips a program already running on
 * this CPU (prog->active, counted in recursion_misses): an RCU softirq that
 * interrupts tp_kfree in a task loses the kfree()s it runs.  That window is
 * the few ns of the filter test; a shrinker whose kfree() is lost that way is
 * still counted: by address reuse (tp_kmalloc) or by the exit census. */
SEC("raw_tp/kfree")
int BPF_PROG(tp_kfree, unsigned long call_site, const void *ptr)
{
	on_kfree(call_site, (__u64)ptr);
	return 0;
}

/* The dispatch floor for tools/bench/kfreebench.c: a kmem:kfree program that
 * does nothing.  The tracer never loads it. */
SEC("raw_tp/kfree")
int bench_kfree_empty(void *ctx)
{
	return 0;
}

/* ---- census: a walk of shrinker_list (6.7+, tracepoint backend) ------------ */

struct census_ctx {
	__u64 node;		/* list_head visited last */
	__u64 head;		/* &shrinker_list */
	__u64 off;		/* offsetof(struct shrinker, list) */
	__u64 now;
	__u32 gen;
	__u32 n;
};

/* One listed shrinker s: it is registered; refcount 0 means shrinker_free()
 * has dropped the initial reference (6.7+).  s stays valid while the census
 * holds the RCU read lock, as for the kernel's own walk. */
static __always_inline void census_one(__u64 s, struct census_ctx *c)
{
	struct st_tracked *t = bpf_map_lookup_elem(&tracked, &s);
	__s32 rc = 1;

	if (!t) {
		__u64 last = census_last_ts;

		t = track_new(s, 0, T_REGISTERED, c->now);
		if (!t)
			return;
		/* Not tracked after an earlier census: registered since. */
		if (last)
			emit_inferred(ST_EV_SHRINKER_REGISTER, s, 0, last, ST_EVID_CENSUS,
				      ST_EV_SHRINKER_REGISTER);
	} else if (claim(t, T_REGISTERED, false)) {
		emit_inferred(ST_EV_SHRINKER_REGISTER, s, 0, t->born_ts, ST_EVID_CENSUS,
			      ST_EV_SHRINKER_REGISTER);
	}
	st_shrinker_refcount((struct shrinker *)s, &rc);
	if (rc == 0) {
		if (claim(t, T_FREE_BEGIN, false)) {
			t->fb_ts = c->now;
			emit_inferred(ST_EV_FREE_BEGIN, s, 0, before_free(t), ST_EVID_CENSUS,
				      ST_EV_FREE_BEGIN);
		}
	} else if (!(t->state & T_FREE_BEGIN)) {
		t->ok_ts = c->now;
	}
	t->census = c->gen;
}

static long census_step(__u32 i, struct census_ctx *c)
{
	__u64 next = 0;

	if (bpf_probe_read_kernel(&next, sizeof(next), (void *)c->node) || !next ||
	    next == c->head)
		return 1;
	c->node = next;
	c->n++;
	census_one(next - c->off, c);
	return 0;
}

/* Run by user space with BPF_PROG_TEST_RUN, which holds rcu_read_lock() around
 * the program: shrinker_list is walked as list_for_each_entry_rcu() in
 * shrink_slab() does.  Never attached. */
SEC("raw_tp")
int census(void *ctx)
{
	struct census_ctx c = {
		.head = list_head_addr,
		.node = list_head_addr,
		.off = st_shrinker_list_offset(),
	};

	if (!infer_lifecycle || !c.head || !st_lockless_shrinkers((struct shrinker *)0))
		return 0;
	c.now = bpf_ktime_get_ns();
	c.gen = __sync_fetch_and_add(&census_gen, 1) + 1;
	bpf_loop(ST_CENSUS_MAX, census_step, &c, 0);
	__sync_fetch_and_add(&lifecycle.census_runs, 1);
	lifecycle.census_listed = c.n;
	if (c.n >= ST_CENSUS_MAX)
		__sync_fetch_and_add(&lifecycle.census_capped, 1);
	census_last_ts = c.now;
	return 0;
}

/* ---- memcg -> cgroup id, on demand ------------------------------------------ */

/* The cgroup id (mem_cgroup->css.cgroup->kn->id: the inode number of its
 * directory in the hierarchy the memory controller is on, v1 or v2) of the
 * memcg whose address user space passes as the first argument.  Run through
 * BPF_PROG_TEST_RUN once per memcg the events name, so that the hot paths do
 * not pay the three reads on every call.  0 when it cannot be read. */
__u64 memcg_id_out = 0;

SEC("raw_tp")
int memcg_id_of(struct bpf_raw_tracepoint_args *ctx)
{
	struct mem_cgroup *m = (struct mem_cgroup *)ctx->args[0];

	memcg_id_out = m ? BPF_CORE_READ(m, css.cgroup, kn, id) : 0;
	return 0;
}
