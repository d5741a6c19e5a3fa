// SPDX-License-Identifier: GPL-2.0
/*
 * shrinktrace.bpf.c - the kernel side of shrinktrace.
 *
 * It only observes and copies: timestamps, the few fields of struct shrinker
 * that the correlator needs, and a snapshot of the shrinker's list linkage at
 * the instant of the event.  Every event goes through one ring buffer.
 *
 * Each logical hook has up to three implementations; user space loads the set
 * that really loads and attaches on this kernel (user/loader.c):
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

/* In-flight do_shrink_slab() per task (kprobe and tracepoint backends: the
 * return side has no arguments, and duration needs the entry time). */
struct call {
	__u64 shrinker;
	__u64 ts;
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

/* Registered shrinkers, so that one registration is reported once when two
 * hooks see it (register_shrinker() around register_shrinker_prepared()). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} registered SEC(".maps");

/* Shrinkers known to the inferring (tracepoint) backend, by address. */
struct tracked {
	__u8 registered;	/* seen with SHRINKER_REGISTERED (or already live when first seen) */
	__u8 free_begin;	/* free_begin reported */
	__u8 free_end;		/* free_end reported */
	__u8 pad[5];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct tracked);
} tracked SEC(".maps");

/* ------------------------------------------------------------------------ */

static __always_inline bool task_wanted(void)
{
	if (!filter_tgid)
		return true;
	return (bpf_get_current_pid_tgid() >> 32) == filter_tgid;
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
		bpf_ringbuf_submit(e, 0);
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
static __always_inline void fill_snapshot(struct st_event *e, struct shrinker *s)
{
	e->next = (__u64)BPF_CORE_READ(s, list.next);
	e->prev = (__u64)BPF_CORE_READ(s, list.prev);
	e->flags |= ST_F_SNAPSHOT;
	if (bpf_core_field_exists(s->refcount)) {
		e->refcount = BPF_CORE_READ(s, refcount.refs.counter);
		e->flags |= ST_F_REFCOUNT;
	}
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
	struct tracked t = { .registered = registered };

	if (!track_shrinkers || !shrinker)
		return;
	if (bpf_map_lookup_elem(&tracked, &shrinker))
		return;
	bpf_map_update_elem(&tracked, &shrinker, &t, BPF_NOEXIST);
}

/* ---- shrink: do_shrink_slab() ------------------------------------------- */

/* Returns the event's timestamp (now, if the ring buffer was full). */
static __always_inline __u64 emit_shrink_begin(struct shrinker *s, int nid, __u64 memcg,
					       int priority, __u64 nr_to_scan)
{
	struct st_event *e = ev_reserve(ST_EV_SHRINK_BEGIN);
	__u64 ts;

	if (!e)
		return bpf_ktime_get_ns();
	ts = e->ts;
	e->shrinker = (__u64)s;
	e->nid = nid;
	e->memcg = memcg;
	e->priority = priority;
	e->nr_to_scan = nr_to_scan;
	e->flags |= ST_F_WALK_INFO | ST_F_NR_TO_SCAN;
	fill_name(e, s);
	fill_snapshot(e, s);
	bpf_ringbuf_submit(e, 0);
	return ts;
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
	bpf_ringbuf_submit(e, 0);
}

/* Remember the call in flight: ts is its shrink_begin's timestamp. */
static __always_inline void call_enter(struct shrinker *s, __u64 ts)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct call c = { .shrinker = (__u64)s, .ts = ts };

	bpf_map_update_elem(&calls, &tid, &c, BPF_ANY);
}

/* End the call in flight: *begin_ts gets its start; returns its shrinker
 * (0 if none is known). */
static __always_inline __u64 call_exit(__u64 *begin_ts)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct call *c = bpf_map_lookup_elem(&calls, &tid);
	__u64 s;

	if (!c)
		return 0;
	s = c->shrinker;
	*begin_ts = c->ts;
	bpf_map_delete_elem(&calls, &tid);
	return s;
}

/* Entry of do_shrink_slab() on every backend. */
static __always_inline void shrink_enter(struct shrinker *s, struct shrink_control *sc,
					 int priority, __u64 nr_to_scan)
{
	if (!task_wanted())
		return;
	track((__u64)s, true);
	call_enter(s, emit_shrink_begin(s, BPF_CORE_READ(sc, nid), (__u64)BPF_CORE_READ(sc, memcg),
					priority, nr_to_scan));
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
	__u64 begin = 0;

	if (!task_wanted())
		return 0;
	call_exit(&begin);
	emit_shrink_end(s, ret, begin);
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
	__u64 begin = 0, s;

	if (!task_wanted())
		return 0;
	s = call_exit(&begin);
	if (s)
		emit_shrink_end((struct shrinker *)s, ret, begin);
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
	__u64 begin = 0;

	if (!task_wanted())
		return 0;
	call_exit(&begin);
	emit_shrink_end(s, (__u64)(long)shrinker_retval, begin);
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
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void emit_walk_end(__u64 freed)
{
	struct st_event *e = ev_reserve(ST_EV_WALK_END);

	if (!e)
		return;
	e->freed = freed;
	bpf_ringbuf_submit(e, 0);
}

SEC("fentry/shrink_slab")
int BPF_PROG(fe_walk_begin, gfp_t gfp_mask, int nid, struct mem_cgroup *memcg, int priority)
{
	if (task_wanted())
		emit_walk_begin(nid, (__u64)memcg, priority);
	return 0;
}

SEC("fexit/shrink_slab")
int BPF_PROG(fx_walk_end, gfp_t gfp_mask, int nid, struct mem_cgroup *memcg, int priority,
	     unsigned long ret)
{
	if (task_wanted())
		emit_walk_end(ret);
	return 0;
}

SEC("kprobe/shrink_slab")
int BPF_KPROBE(kp_walk_begin, gfp_t gfp_mask, int nid, struct mem_cgroup *memcg, int priority)
{
	if (task_wanted())
		emit_walk_begin(nid, (__u64)memcg, priority);
	return 0;
}

SEC("kretprobe/shrink_slab")
int BPF_KRETPROBE(krp_walk_end, unsigned long ret)
{
	if (task_wanted())
		emit_walk_end(ret);
	return 0;
}

/* ---- alloc: shrinker_alloc() (6.7+) --------------------------------------- */

static __always_inline void emit_alloc(struct shrinker *s, __u32 extra)
{
	struct st_event *e;

	if (!s)
		return;
	forget_registration((__u64)s);
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
	bpf_ringbuf_submit(e, 0);
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
	e = ev_reserve(ST_EV_SHRINKER_REGISTER);
	if (!e)
		return;
	if (extra & ST_F_INFERRED)
		anonymize(e);
	e->shrinker = (__u64)s;
	e->flags |= extra;
	fill_ids(e, s);
	fill_name(e, s);
	bpf_ringbuf_submit(e, 0);
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

static __always_inline void emit_free(__u32 type, struct shrinker *s, __u32 extra)
{
	struct st_event *e;

	if (type == ST_EV_FREE_END)
		forget_registration((__u64)s);
	e = ev_reserve(type);

	if (!e)
		return;
	if (extra & ST_F_INFERRED)
		anonymize(e);
	e->shrinker = (__u64)s;
	e->flags |= extra;
	fill_snapshot(e, s);
	bpf_ringbuf_submit(e, 0);
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
	struct st_event *e = ev_reserve(ST_EV_RCU_FREE);

	if (!e)
		return;
	e->shrinker = s;
	e->flags |= extra;
	bpf_ringbuf_submit(e, 0);
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
	if (!t->free_begin) {
		emit_free(ST_EV_FREE_BEGIN, (struct shrinker *)s, ST_F_INFERRED);
		t->free_begin = 1;
	}
	if (!t->free_end) {
		emit_free(ST_EV_FREE_END, (struct shrinker *)s, ST_F_INFERRED);
		t->free_end = 1;
	}
}

/* In 6.18 shrinker_free_rcu_cb() ends in a tail call to kfree(), so the
 * call_site is the RCU core: match on the address alone.  raw_tp for the
 * same reason as tp_kmalloc. */
SEC("raw_tp/kfree")
int BPF_PROG(tp_kfree, unsigned long call_site, const void *ptr)
{
	__u64 s = (__u64)ptr;
	struct tracked *t = bpf_map_lookup_elem(&tracked, &s);

	if (!t)
		return 0;
	infer_free_events(s, t);
	{
		/* The memory is still intact here: name it for the reader. */
		struct st_event *e = ev_reserve(ST_EV_RCU_FREE);

		if (e) {
			e->shrinker = s;
			e->flags |= ST_F_INFERRED;
			fill_name(e, (struct shrinker *)s);
			bpf_ringbuf_submit(e, 0);
		}
	}
	bpf_map_delete_elem(&tracked, &s);
	return 0;
}

static long scan_one(void *map, __u64 *key, struct tracked *t, void *ctx)
{
	struct shrinker *s = (struct shrinker *)*key;
	__u32 flags = BPF_CORE_READ(s, flags);
	__u64 prev = (__u64)BPF_CORE_READ(s, list.prev);
	bool unlinked = prev == ST_LIST_POISON2;

	if (!t->registered && (flags & SHRINKER_REGISTERED_BIT) && !unlinked) {
		t->registered = 1;
		if (infer_register)
			emit_register(s, ST_F_INFERRED);
	}
	if (!infer_free || t->free_end)
		return 0;
	/* shrinker_free() drops the initial reference first: a registered
	 * shrinker at refcount 0 is being freed (6.7+). */
	if (!t->free_begin && t->registered && bpf_core_field_exists(s->refcount) &&
	    BPF_CORE_READ(s, refcount.refs.counter) == 0) {
		emit_free(ST_EV_FREE_BEGIN, s, ST_F_INFERRED);
		t->free_begin = 1;
	}
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
