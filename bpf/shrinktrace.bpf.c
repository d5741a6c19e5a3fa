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
 *   hook      fentry/fexit              kprobe/kretprobe          tracepoint
 *   walk      shrink_slab               shrink_slab               -
 *   shrink    do_shrink_slab            do_shrink_slab            vmscan:mm_shrink_slab_start/_end
 *   alloc     (variadic: refused)       shrinker_alloc            kmem:kmalloc from shrinker_alloc
 *   register  shrinker_register,        same targets              scanner (inferred)
 *             register_shrinker_prepared
 *   free      shrinker_free,            same targets              scanner + kmem:kfree (inferred)
 *             unregister_shrinker
 *   rcu_free  shrinker_free_rcu_cb      shrinker_free_rcu_cb      kmem:kfree of a tracked shrinker
 *
 * The "scanner" is a raw_tp program that user space runs with
 * BPF_PROG_TEST_RUN every few milliseconds: it walks the shrinkers the
 * tracepoint backend tracks and reports what changed in kernel memory
 * (registered, initial reference dropped, unlinked with LIST_POISON2).
 */
#include "shrinker_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "shrinktrace.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load. */
const volatile __u64 super_cache_scan_addr = 0;	/* &super_cache_scan, from kallsyms */
const volatile __u64 shrinker_alloc_start = 0;	/* [start, end) of shrinker_alloc's text */
const volatile __u64 shrinker_alloc_end = 0;
const volatile bool track_shrinkers = false;	/* feed `tracked` for the inferring hooks */
const volatile bool infer_register = false;	/* scanner reports registration */
const volatile bool infer_free = false;		/* scanner/kfree report free_begin/free_end */
const volatile __u32 filter_tgid = 0;		/* 0: every task */
const volatile bool filter_comm_set = false;	/* trace only tasks named filter_comm */
const volatile char filter_comm[ST_COMM_LEN] = {};
const volatile __u64 filter_cgroup_id = 0;	/* only this memcg (its cgroup id); 0: all */
const volatile __u64 min_latency_ns = 0;	/* do_shrink_slab() calls shorter are not output */
const volatile __u64 wakeup_bytes = 0;		/* wake the reader only once this much is
						 * waiting (it also polls); 0: every event */
const volatile bool stats_only = false;		/* aggregate calls and walks in maps instead
						 * of emitting them */

/* SHRINKER_REGISTERED is BIT(0) since 6.7 (include/linux/shrinker.h). */
#define SHRINKER_REGISTERED_BIT 0x1

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);	/* resized by user space: --ringbuf-size */
} events SEC(".maps");

/* Events the ring buffer could not take: pending ones are written as a `lost`
 * record at the next successful reservation on that CPU; total is for the
 * summary. */
struct drop_count {
	__u64 pending;
	__u64 total;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct drop_count);
} drops SEC(".maps");

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
	__uint(max_entries, 1);
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

/* Shrinkers known to the inferring (tracepoint) backend, by address.  The
 * scanner (on one CPU) and kmem:kfree (on another) may infer the same event
 * at once: each claims its T_* bit with an atomic fetch-or before writing it,
 * and only the winner writes. */
#define T_REGISTERED	0x1	/* seen with SHRINKER_REGISTERED (or live when first seen) */
#define T_FREE_BEGIN	0x2	/* free_begin written */
#define T_FREE_END	0x4	/* free_end written */
#define T_GONE		0x8	/* kfree() seen: rcu_free written, entry being deleted */

struct tracked {
	__u32 state;		/* T_* */
	__u32 end_s;		/* when free_end was inferred, s of bpf_ktime_get_ns() */
};

/* An entry whose kfree() went unseen (a skipped program run) is dropped this
 * long after its free_end: no RCU grace period, lazy or not, lasts that long,
 * and its memory may hold something else by then. */
#define TRACKED_AFTER_END_S 60

/* bpf_for_each_map_elem() visits every bucket (as many as max_entries,
 * rounded up to a power of two) on each scan: 16384 buckets cost the scanner
 * about 75 us every 10 ms, 65536 cost 300 us. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct tracked);
} tracked SEC(".maps");

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

static __always_inline void fill_common(struct st_event *e, __u32 type)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->ts = bpf_ktime_get_ns();
	e->type = type;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = (__u32)bpf_get_current_pid_tgid();
	e->id = -1;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

static __always_inline void count_drop(struct drop_count *dc)
{
	if (dc) {
		dc->pending++;
		dc->total++;
	}
}

/* Submit an event.  Waking the reader costs an irq_work and an epoll wake-up
 * per event, several microseconds: wake it only when the ring fills up, and
 * let its periodic poll (user/kernel/loader.c) collect the rest. */
static __always_inline void ev_submit(struct st_event *e)
{
	__u64 flags = 0;

	if (wakeup_bytes)
		flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
			BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

/* Reserve an event; first flush a pending `lost` record on this CPU so the
 * loss shows up in the stream where it happened.  NULL when the ring is full
 * (counted). */
static __always_inline struct st_event *ev_reserve(__u32 type)
{
	__u32 zero = 0;
	struct drop_count *dc = bpf_map_lookup_elem(&drops, &zero);
	struct st_event *e;

	if (dc && dc->pending) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e) {
			count_drop(dc);
			return NULL;
		}
		fill_common(e, ST_EV_LOST);
		e->freed = dc->pending;
		dc->pending = 0;
		ev_submit(e);
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(dc);
		return NULL;
	}
	fill_common(e, type);
	return e;
}

/* Copy what names a shrinker: shrinker->name (CONFIG_SHRINKER_DEBUG), else
 * the superblock's filesystem type for super_cache_scan, else scan_objects
 * for user space to symbolise. */
static __always_inline void fill_name(struct st_event *e, struct shrinker *s)
{
	if (bpf_core_field_exists(((struct shrinker___dbg *)s)->name)) {
		const char *n = BPF_CORE_READ((struct shrinker___dbg *)s, name);

		if (n && bpf_probe_read_kernel_str(e->name, sizeof(e->name), n) > 0) {
			e->flags |= ST_F_NAME;
			return;
		}
	}
	e->scan_fn = (__u64)BPF_CORE_READ(s, scan_objects);
	/* Some shrinkers only count (xen-balloon's backend_shrink_memory_count):
	 * name those by count_objects. */
	if (!e->scan_fn)
		e->scan_fn = (__u64)BPF_CORE_READ(s, count_objects);
	e->flags |= ST_F_SCAN_FN;
	if (!super_cache_scan_addr || e->scan_fn != super_cache_scan_addr)
		return;

	struct super_block *sb;

	if (bpf_core_field_exists(s->private_data))
		sb = BPF_CORE_READ(s, private_data);
	else
		sb = (void *)s - bpf_core_field_offset(struct super_block___embedded, s_shrink);
	const char *fstype = BPF_CORE_READ(sb, s_type, name);

	if (fstype && bpf_probe_read_kernel_str(e->name, sizeof(e->name), fstype) > 0)
		e->flags |= ST_F_FSTYPE;
}

/* Snapshot of the shrinker's own refcount (6.7+) and list linkage. */
static __always_inline void read_snap(struct shrinker *s, struct snap *sn)
{
	sn->next = (__u64)BPF_CORE_READ(s, list.next);
	sn->prev = (__u64)BPF_CORE_READ(s, list.prev);
	sn->has_refcount = bpf_core_field_exists(s->refcount);
	if (sn->has_refcount)
		sn->refcount = BPF_CORE_READ(s, refcount.refs.counter);
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

static __always_inline void track(__u64 shrinker, bool registered)
{
	struct tracked t = { .state = registered ? T_REGISTERED : 0 };

	if (!track_shrinkers || !shrinker)
		return;
	if (bpf_map_lookup_elem(&tracked, &shrinker))
		return;
	bpf_map_update_elem(&tracked, &shrinker, &t, BPF_NOEXIST);
}

/* ---- shrink: do_shrink_slab() ------------------------------------------- */

/* Anything held back?  Without filters, --min-latency or stats-only every
 * call is written as it happens. */
#define HOLDING_BACK (stats_only || min_latency_ns || filter_tgid || filter_comm_set || \
		      filter_cgroup_id)

/* Write the shrink_begin of call c made by task tid: its entry time,
 * arguments and entry snapshot.  extra: ST_F_DEFERRED when written after the
 * fact, possibly from another task (shrinker_free()). */
static __always_inline void emit_shrink_begin(struct shrinker *s, struct call *c, __u32 tid,
					      __u32 extra)
{
	struct st_event *e = ev_reserve(ST_EV_SHRINK_BEGIN);

	c->emitted = 1;		/* a full ring buffer shows up as `lost` instead */
	if (!e)
		return;
	if (extra & ST_F_DEFERRED) {
		e->pid = tid;
		e->cpu = c->cpu;
		__builtin_memcpy(e->comm, c->comm, sizeof(e->comm));
	}
	e->ts = c->ts;
	e->shrinker = (__u64)s;
	e->nid = c->nid;
	e->memcg = c->memcg;
	e->priority = c->priority;
	e->nr_to_scan = c->nr_to_scan;
	e->flags |= ST_F_WALK_INFO | ST_F_NR_TO_SCAN | extra;
	put_snap(e, &c->snap);
	fill_name(e, s);
	ev_submit(e);
}

/* begin_ts: the shrink_begin's timestamp, 0 if unknown (no duration then). */
static __always_inline void emit_shrink_end(struct shrinker *s, __u64 freed, __u64 begin_ts)
{
	struct st_event *e = ev_reserve(ST_EV_SHRINK_END);

	if (!e)
		return;
	e->shrinker = (__u64)s;
	e->freed = freed;
	if (begin_ts && e->ts >= begin_ts) {
		e->duration_ns = e->ts - begin_ts;
		e->flags |= ST_F_DURATION;
	}
	/* The walker continues from list.next after this return: the snapshot
	 * is what it will follow (stale_next rests on it). */
	fill_snapshot(e, s);
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

/* Entry of do_shrink_slab() on every backend.  The call is remembered even
 * when it is not written, so that it can still be if shrinker_free() starts
 * on its shrinker meanwhile (filters never hide violations). */
static __always_inline void shrink_enter(struct shrinker *s, struct shrink_control *sc,
					 int priority, __u64 nr_to_scan)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mem_cgroup *memcg = BPF_CORE_READ(sc, memcg);
	struct call c = {
		.shrinker = (__u64)s,
		.ts = bpf_ktime_get_ns(),
		.nr_to_scan = nr_to_scan,
		.memcg = (__u64)memcg,
		.nid = BPF_CORE_READ(sc, nid),
		.priority = priority,
	};

	read_snap(s, &c.snap);
	if (HOLDING_BACK) {
		c.cpu = bpf_get_smp_processor_id();
		bpf_get_current_comm(c.comm, sizeof(c.comm));
	}
	c.wanted = task_wanted() && memcg_wanted(memcg);
	track((__u64)s, true);
	if ((c.wanted && !stats_only && !min_latency_ns) || shrinker_dying(c.shrinker, c.snap.prev) ||
	    (stats_only && c.wanted && first_call(c.shrinker)))
		emit_shrink_begin(s, &c, tid, 0);
	bpf_map_update_elem(&calls, &tid, &c, BPF_ANY);
}

/* Return of do_shrink_slab() on every backend; s is NULL where the return
 * side has no arguments (kretprobe). */
static __always_inline void shrink_exit(struct shrinker *s, __u64 freed)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct call *c = bpf_map_lookup_elem(&calls, &tid);
	__u64 dur;

	if (!c) {
		/* Entry not seen (tracing began inside the call): no duration. */
		if (s && !HOLDING_BACK)
			emit_shrink_end(s, freed, 0);
		return;
	}
	if (!s)
		s = (struct shrinker *)c->shrinker;
	dur = bpf_ktime_get_ns() - c->ts;
	if (c->wanted) {
		struct walk *w = bpf_map_lookup_elem(&walks, &tid);

		if (w)
			w->calls++;
		if (stats_only)
			account_call((__u64)s, c->nr_to_scan, freed, dur);
	}
	if (c->emitted || (c->wanted && !stats_only && dur >= min_latency_ns) ||
	    shrinker_dying((__u64)s, (__u64)BPF_CORE_READ(s, list.prev))) {
		if (!c->emitted)
			emit_shrink_begin(s, c, tid, ST_F_DEFERRED);
		emit_shrink_end(s, freed, c->ts);
	}
	bpf_map_delete_elem(&calls, &tid);
}

/* shrinker_free() has begun on s: write the held-back shrink_begin of every
 * call in flight on it, so that free_while_running can be seen. */
static long flush_one(void *map, __u32 *tid, struct call *c, __u64 *s)
{
	if (c->shrinker == *s && !c->emitted)
		emit_shrink_begin((struct shrinker *)*s, c, *tid, ST_F_DEFERRED);
	return 0;
}

SEC("fentry/do_shrink_slab")
int BPF_PROG(fe_shrink_begin, struct shrink_control *sc, struct shrinker *s, int priority)
{
	shrink_enter(s, sc, priority, BPF_CORE_READ(sc, nr_to_scan));
	return 0;
}

SEC("fexit/do_shrink_slab")
int BPF_PROG(fx_shrink_end, struct shrink_control *sc, struct shrinker *s, int priority,
	     unsigned long ret)
{
	shrink_exit(s, ret);
	return 0;
}

SEC("kprobe/do_shrink_slab")
int BPF_KPROBE(kp_shrink_begin, struct shrink_control *sc, struct shrinker *s, int priority)
{
	shrink_enter(s, sc, priority, BPF_CORE_READ(sc, nr_to_scan));
	return 0;
}

SEC("kretprobe/do_shrink_slab")
int BPF_KRETPROBE(krp_shrink_end, unsigned long ret)
{
	shrink_exit(NULL, ret);
	return 0;
}

/* vmscan:mm_shrink_slab_start fires inside do_shrink_slab() only when
 * count_objects() returned work; _end fires after the scan loop. */
SEC("tp_btf/mm_shrink_slab_start")
int BPF_PROG(tp_shrink_begin, struct shrinker *s, struct shrink_control *sc,
	     long nr_objects_to_shrink, unsigned long cache_items, unsigned long long delta,
	     unsigned long total_scan, int priority)
{
	shrink_enter(s, sc, priority, total_scan);
	return 0;
}

SEC("tp_btf/mm_shrink_slab_end")
int BPF_PROG(tp_shrink_end, struct shrinker *s, int nid, int shrinker_retval,
	     long unused_scan_cnt, long new_scan_cnt, long total_scan)
{
	shrink_exit(s, (__u64)(long)shrinker_retval);
	return 0;
}

/* ---- walk: shrink_slab() ------------------------------------------------- */

static __always_inline void emit_walk_begin(int nid, __u64 memcg, int priority)
{
	struct st_event *e = ev_reserve(ST_EV_WALK_BEGIN);

	if (!e)
		return;
	e->nid = nid;
	e->memcg = memcg;
	e->priority = priority;
	e->flags |= ST_F_WALK_INFO;
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

/* Entry of shrink_slab(): walks of unwanted tasks/memcgs are not followed. */
static __always_inline void walk_enter(int nid, struct mem_cgroup *memcg, int priority)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct walk w = { .ts = bpf_ktime_get_ns() };

	if (!task_wanted() || !memcg_wanted(memcg))
		return;
	bpf_map_update_elem(&walks, &tid, &w, BPF_ANY);
	if (!stats_only)
		emit_walk_begin(nid, (__u64)memcg, priority);
}

static __always_inline void walk_exit(__u64 freed)
{
	__u32 zkey = 0, tid = (__u32)bpf_get_current_pid_tgid();
	struct walk *w = bpf_map_lookup_elem(&walks, &tid);
	struct st_walk_stat *ws;
	__u64 dur;

	if (!w)
		return;
	if (!stats_only) {
		emit_walk_end(freed);
	} else if ((ws = bpf_map_lookup_elem(&walk_stats, &zkey))) {
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
	walk_enter(nid, memcg, priority);
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
	walk_enter(nid, memcg, priority);
	return 0;
}

SEC("kretprobe/shrink_slab")
int BPF_KRETPROBE(krp_walk_end, unsigned long ret)
{
	walk_exit(ret);
	return 0;
}

/* ---- alloc: shrinker_alloc() (6.7+) --------------------------------------- */

static __always_inline void emit_alloc(struct shrinker *s, __u32 extra)
{
	struct st_event *e;

	if (!s)
		return;
	forget_registration((__u64)s);
	bpf_map_delete_elem(&freeing, &s);	/* a new generation at this address */
	bpf_map_delete_elem(&introduced, &s);
	/* An entry left by a generation whose kfree() went unseen would carry
	 * its T_FREE_* bits into this one. */
	if (track_shrinkers)
		bpf_map_delete_elem(&tracked, &s);
	track((__u64)s, false);
	e = ev_reserve(ST_EV_SHRINKER_ALLOC);
	if (!e)
		return;
	e->shrinker = (__u64)s;
	e->flags |= extra;
	if (!(extra & ST_F_INFERRED)) {
		fill_ids(e, s);
		fill_name(e, s);
	}
	ev_submit(e);
}

/* shrinker_alloc(flags, fmt, ...) is variadic: the verifier refuses a
 * trampoline on it on every kernel seen so far, but it is tried like the rest. */
SEC("fexit/shrinker_alloc")
int BPF_PROG(fx_alloc, unsigned int flags, const char *fmt, struct shrinker *ret)
{
	emit_alloc(ret, 0);
	return 0;
}

SEC("kretprobe/shrinker_alloc")
int BPF_KRETPROBE(krp_alloc, struct shrinker *ret)
{
	emit_alloc(ret, 0);
	return 0;
}

/* kzalloc(sizeof(struct shrinker)) inside shrinker_alloc(): the struct is
 * still zero here, so only the address is known.  raw_tp, not tp_btf: before
 * about 6.14 the verifier refuses tp_btf access to a `const void *` argument
 * ("invalid bpf_context access"), and the pointer is only compared here. */
SEC("raw_tp/kmalloc")
int BPF_PROG(tp_kmalloc, unsigned long call_site, const void *ptr, size_t_k bytes_req,
	     size_t_k bytes_alloc, gfp_t gfp_flags, int node)
{
	if (call_site < shrinker_alloc_start || call_site >= shrinker_alloc_end)
		return 0;
	if (bytes_req != bpf_core_type_size(struct shrinker) || !ptr)
		return 0;
	emit_alloc((struct shrinker *)ptr, ST_F_INFERRED);
	return 0;
}

/* ---- register: shrinker_register() / register_shrinker_prepared() -------- */

static __always_inline void emit_register(struct shrinker *s, __u32 extra)
{
	__u64 key = (__u64)s;
	__u8 one = 1;
	struct st_event *e;

	track(key, true);
	if (bpf_map_lookup_elem(&registered, &key))
		return;		/* already reported by the other hook */
	bpf_map_update_elem(&registered, &key, &one, BPF_ANY);
	bpf_map_delete_elem(&freeing, &key);
	e = ev_reserve(ST_EV_SHRINKER_REGISTER);
	if (!e)
		return;
	if (extra & ST_F_INFERRED)
		anonymize(e);
	e->shrinker = (__u64)s;
	e->flags |= extra;
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
	emit_register(s, 0);
	return 0;
}

SEC("kprobe/shrinker_register")
int BPF_KPROBE(kp_register, struct shrinker *s)
{
	emit_register(s, 0);
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
		emit_register((struct shrinker *)s, 0);
	return 0;
}

/* ---- free: shrinker_free() / unregister_shrinker() ------------------------ */

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

static __always_inline void fill_free(struct st_event *e, struct shrinker *s, __u32 extra)
{
	if (extra & ST_F_INFERRED)
		anonymize(e);
	e->shrinker = (__u64)s;
	e->flags |= extra;
	fill_snapshot(e, s);
}

static __always_inline void emit_free(__u32 type, struct shrinker *s, __u32 extra)
{
	struct st_event *e;

	note_free(type, (__u64)s, extra);
	e = ev_reserve(type);
	if (!e)
		return;
	fill_free(e, s, extra);
	ev_submit(e);
}

/* Inferred free_begin/free_end (bit T_FREE_BEGIN/T_FREE_END): written only by
 * whoever claims the bit first, and not after kfree().  The event is reserved
 * (timestamped) before the claim, so it sorts before the rcu_free of a kfree()
 * that loses the race on another CPU. */
static __always_inline void claim_inferred_free(__u32 type, __u32 bit, __u64 s, struct tracked *t)
{
	struct st_event *e;
	__u32 old;

	if (t->state & (bit | T_GONE))
		return;
	e = ev_reserve(type);
	old = __sync_fetch_and_or(&t->state, bit);
	if (old & (bit | T_GONE)) {
		if (e)
			bpf_ringbuf_discard(e, 0);
		return;
	}
	note_free(type, s, ST_F_INFERRED);
	if (bit == T_FREE_END)
		t->end_s = (__u32)(bpf_ktime_get_ns() / 1000000000ULL);
	if (!e)
		return;
	fill_free(e, (struct shrinker *)s, ST_F_INFERRED);
	ev_submit(e);
}

SEC("fentry/shrinker_free")
int BPF_PROG(fe_free_begin, struct shrinker *s)
{
	if (s)
		emit_free(ST_EV_FREE_BEGIN, s, 0);
	return 0;
}

SEC("fexit/shrinker_free")
int BPF_PROG(fx_free_end, struct shrinker *s)
{
	if (s)
		emit_free(ST_EV_FREE_END, s, 0);
	return 0;
}

SEC("kprobe/shrinker_free")
int BPF_KPROBE(kp_free_begin, struct shrinker *s)
{
	if (!s)
		return 0;
	save_task_arg(&frees, (__u64)s);
	emit_free(ST_EV_FREE_BEGIN, s, 0);
	return 0;
}

SEC("kretprobe/shrinker_free")
int BPF_KRETPROBE(krp_free_end)
{
	__u64 s = take_task_arg(&frees);

	if (s)
		emit_free(ST_EV_FREE_END, (struct shrinker *)s, 0);
	return 0;
}

/* ---- rcu_free: shrinker_free_rcu_cb() (6.7+) ------------------------------ */

static __always_inline void emit_rcu_free(__u64 s, __u32 extra)
{
	struct st_event *e;

	bpf_map_delete_elem(&freeing, &s);
	e = ev_reserve(ST_EV_RCU_FREE);

	if (!e)
		return;
	e->shrinker = s;
	e->flags |= extra;
	ev_submit(e);
}

static __always_inline __u64 shrinker_of_rcu(struct callback_head *head)
{
	return (__u64)head - bpf_core_field_offset(struct shrinker, rcu);
}

SEC("fentry/shrinker_free_rcu_cb")
int BPF_PROG(fe_rcu_free, struct callback_head *head)
{
	emit_rcu_free(shrinker_of_rcu(head), 0);
	return 0;
}

SEC("kprobe/shrinker_free_rcu_cb")
int BPF_KPROBE(kp_rcu_free, struct callback_head *head)
{
	emit_rcu_free(shrinker_of_rcu(head), 0);
	return 0;
}

/* ---- the inferring backend: kmem:kfree and the scanner -------------------- */

/* Report free_begin/free_end for a tracked shrinker that has not had them,
 * e.g. because it went from registered to unlinked between two scans. */
static __always_inline void infer_free_events(__u64 s, struct tracked *t)
{
	if (!infer_free)
		return;
	claim_inferred_free(ST_EV_FREE_BEGIN, T_FREE_BEGIN, s, t);
	claim_inferred_free(ST_EV_FREE_END, T_FREE_END, s, t);
}

/* kfree() of a tracked shrinker: its RCU free.  In 6.18
 * shrinker_free_rcu_cb() ends in a tail call to kfree(), so the call_site is
 * the RCU core: match on the address alone. */
static __always_inline void on_kfree(__u64 s)
{
	struct tracked *t = bpf_map_lookup_elem(&tracked, &s);

	if (!t)
		return;
	infer_free_events(s, t);
	/* Claimed before the rcu_free is timestamped: a scanner that claims
	 * nothing after this writes nothing later in the stream. */
	if (__sync_fetch_and_or(&t->state, T_GONE) & T_GONE)
		return;
	{
		/* The memory is still intact here: name it for the reader. */
		struct st_event *e = ev_reserve(ST_EV_RCU_FREE);

		if (e) {
			e->shrinker = s;
			e->flags |= ST_F_INFERRED;
			fill_name(e, (struct shrinker *)s);
			ev_submit(e);
		}
	}
	bpf_map_delete_elem(&tracked, &s);
	bpf_map_delete_elem(&freeing, &s);
}

/* Two identical programs on kmem:kfree.  The kernel skips a program that is
 * already running on this CPU (prog->active): RCU callbacks run in softirq,
 * and a softirq that interrupts tp_kfree in a task's kfree() would lose its
 * shrinker kfree()s (about 1 RCU free in 20 under load).  The other program is
 * not running then and sees them; T_GONE makes sure only one writes.  raw_tp
 * for the same reason as tp_kmalloc. */
SEC("raw_tp/kfree")
int BPF_PROG(tp_kfree, unsigned long call_site, const void *ptr)
{
	on_kfree((__u64)ptr);
	return 0;
}

SEC("raw_tp/kfree")
int BPF_PROG(tp_kfree_nested, unsigned long call_site, const void *ptr)
{
	on_kfree((__u64)ptr);
	return 0;
}

static long scan_one(void *map, __u64 *key, struct tracked *t, void *ctx)
{
	struct shrinker *s = (struct shrinker *)*key;
	__u32 flags, now_s;
	__u64 prev;
	bool unlinked;

	/* Past free_end the memory is only waiting for its RCU free: never
	 * read it as a shrinker again (it may be reused once the kfree is
	 * missed), and forget it after a while. */
	if (t->state & (T_FREE_END | T_GONE)) {
		now_s = (__u32)(bpf_ktime_get_ns() / 1000000000ULL);
		if (t->end_s && now_s - t->end_s > TRACKED_AFTER_END_S)
			bpf_map_delete_elem(map, key);
		return 0;
	}
	flags = BPF_CORE_READ(s, flags);
	prev = (__u64)BPF_CORE_READ(s, list.prev);
	unlinked = prev == ST_LIST_POISON2;
	/* Only the scanner sets T_REGISTERED after creation, and one scan runs
	 * at a time; a shrinker inside shrinker_free() is not registering. */
	if (!(t->state & (T_REGISTERED | T_FREE_BEGIN)) && (flags & SHRINKER_REGISTERED_BIT) &&
	    !unlinked) {
		__sync_fetch_and_or(&t->state, T_REGISTERED);
		if (infer_register)
			emit_register(s, ST_F_INFERRED);
	}
	if (!infer_free)
		return 0;
	/* shrinker_free() drops the initial reference first: a registered
	 * shrinker at refcount 0 is being freed (6.7+). */
	if ((t->state & T_REGISTERED) && bpf_core_field_exists(s->refcount) &&
	    BPF_CORE_READ(s, refcount.refs.counter) == 0)
		claim_inferred_free(ST_EV_FREE_BEGIN, T_FREE_BEGIN, *key, t);
	/* list_del_rcu() has run: shrinker_free() is past its wait and about
	 * to call_rcu(). */
	if (unlinked)
		infer_free_events(*key, t);
	return 0;
}

/* Run by user space through BPF_PROG_TEST_RUN; never attached. */
SEC("raw_tp")
int scanner(void *ctx)
{
	bpf_for_each_map_elem(&tracked, scan_one, NULL, 0);
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
