// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * kernel/loader.c - per-hook mechanism calibration, load, attach, ring buffer.
 *
 * Calibration really loads and attaches each candidate in a throw-away copy
 * of the BPF object (only that candidate's programs autoloaded), so a kernel
 * that refuses trampolines (lockdown, no CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS),
 * kprobes (no CONFIG_KPROBES) or a function (inlined, renamed, variadic) is
 * found out by the kernel itself, never guessed from its version.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kernel/loader.h"
#include "lib/util.h"
#include "sinks/sink.h"
#include "kernel/names.h"
#include "shrinktrace.h"
#include "engine/stats.h"
#include "shrinktrace.skel.h"

/* Census of shrinker_list (tracepoint backend): every CENSUS_SLOW_NS, and
 * every CENSUS_FAST_NS for CENSUS_YOUNG_NS after a shrinker_alloc, while a new
 * shrinker is likely still to register.  At exit the loader waits up to
 * EXIT_RCU_WAIT_NS for the RCU frees of shrinkers already off the list. */
#define CENSUS_SLOW_NS (1000ULL * 1000 * 1000)
#define CENSUS_FAST_NS (10ULL * 1000 * 1000)
#define CENSUS_YOUNG_NS (1000ULL * 1000 * 1000)
#define EXIT_RCU_WAIT_NS (1000ULL * 1000 * 1000)
#define PROBE_RINGBUF (16 * 4096)

enum prog_kind {
	PK_NONE,
	PK_TRACE,	/* fentry/fexit/tp_btf: bpf_program__attach() */
	PK_KPROBE,
	PK_KRETPROBE,
	PK_TESTRUN,	/* raw_tp run with BPF_PROG_TEST_RUN (the census) */
};

struct prog_ref {
	const char *name;
	enum prog_kind kind;
};

/* Programs of one implementation at most (the reclaim hook has four). */
#define IMPL_PROGS 4

struct impl {
	enum st_hook hook;
	enum st_backend mech;
	struct prog_ref progs[IMPL_PROGS];
	const char *const *targets;	/* kernel functions to try in order; NULL: tracepoint */
	const char *label;		/* for tracepoint impls */
};

static const char *const t_walk[] = { "shrink_slab", NULL };
static const char *const t_shrink[] = { "do_shrink_slab", NULL };
static const char *const t_alloc[] = { "shrinker_alloc", NULL };
/* 6.7+: shrinker_register(); 6.0-6.6: register_shrinker_prepared() serves
 * both register_shrinker() and the superblock's prealloc path; before 6.0
 * register_shrinker() itself. */
static const char *const t_register[] = { "shrinker_register", "register_shrinker_prepared",
					   "register_shrinker", NULL };
static const char *const t_free[] = { "shrinker_free", "unregister_shrinker", NULL };
static const char *const t_rcu[] = { "shrinker_free_rcu_cb", NULL };

static const struct impl impls[] = {
	{ ST_HOOK_WALK, ST_BACKEND_FENTRY, { { "fe_walk_begin", PK_TRACE }, { "fx_walk_end", PK_TRACE } }, t_walk, NULL },
	{ ST_HOOK_WALK, ST_BACKEND_KPROBE, { { "kp_walk_begin", PK_KPROBE }, { "krp_walk_end", PK_KRETPROBE } }, t_walk, NULL },
	{ ST_HOOK_SHRINK, ST_BACKEND_FENTRY, { { "fe_shrink_begin", PK_TRACE }, { "fx_shrink_end", PK_TRACE } }, t_shrink, NULL },
	{ ST_HOOK_SHRINK, ST_BACKEND_KPROBE, { { "kp_shrink_begin", PK_KPROBE }, { "krp_shrink_end", PK_KRETPROBE } }, t_shrink, NULL },
	{ ST_HOOK_SHRINK, ST_BACKEND_TRACEPOINT, { { "tp_shrink_begin", PK_TRACE }, { "tp_shrink_end", PK_TRACE } }, NULL, "vmscan:mm_shrink_slab_start/_end" },
	{ ST_HOOK_ALLOC, ST_BACKEND_FENTRY, { { "fx_alloc", PK_TRACE }, { NULL, PK_NONE } }, t_alloc, NULL },
	{ ST_HOOK_ALLOC, ST_BACKEND_KPROBE, { { "krp_alloc", PK_KRETPROBE }, { NULL, PK_NONE } }, t_alloc, NULL },
	{ ST_HOOK_ALLOC, ST_BACKEND_TRACEPOINT, { { "tp_kmalloc", PK_TRACE }, { NULL, PK_NONE } }, NULL, "kmem:kmalloc in shrinker_alloc" },
	{ ST_HOOK_REGISTER, ST_BACKEND_FENTRY, { { "fx_register", PK_TRACE }, { NULL, PK_NONE } }, t_register, NULL },
	{ ST_HOOK_REGISTER, ST_BACKEND_KPROBE, { { "kp_register", PK_KPROBE }, { NULL, PK_NONE } }, t_register, NULL },
	{ ST_HOOK_REGISTER, ST_BACKEND_TRACEPOINT, { { "census", PK_TESTRUN }, { "tp_kfree", PK_TRACE } }, NULL, "inferred: first call, census of shrinker_list, kmem:kfree" },
	{ ST_HOOK_FREE, ST_BACKEND_FENTRY, { { "fe_free_begin", PK_TRACE }, { "fx_free_end", PK_TRACE } }, t_free, NULL },
	{ ST_HOOK_FREE, ST_BACKEND_KPROBE, { { "kp_free_begin", PK_KPROBE }, { "krp_free_end", PK_KRETPROBE } }, t_free, NULL },
	{ ST_HOOK_FREE, ST_BACKEND_TRACEPOINT, { { "census", PK_TESTRUN }, { "tp_kfree", PK_TRACE } }, NULL, "inferred: call/census refcount, LIST_POISON2 at a call or kmem:kfree" },
	{ ST_HOOK_RCU_FREE, ST_BACKEND_FENTRY, { { "fe_rcu_free", PK_TRACE }, { NULL, PK_NONE } }, t_rcu, NULL },
	{ ST_HOOK_RCU_FREE, ST_BACKEND_KPROBE, { { "kp_rcu_free", PK_KPROBE }, { NULL, PK_NONE } }, t_rcu, NULL },
	{ ST_HOOK_RCU_FREE, ST_BACKEND_TRACEPOINT, { { "tp_kfree", PK_TRACE }, { NULL, PK_NONE } }, NULL, "kmem:kfree of a tracked shrinker" },
	/* auxiliary hooks: tracepoints beside the chosen shrink and walk hooks */
	{ ST_HOOK_DETAIL, ST_BACKEND_TRACEPOINT, { { "tpj_start", PK_TRACE }, { "tpj_end", PK_TRACE } }, NULL, "vmscan:mm_shrink_slab_start/_end joined to each call" },
	{ ST_HOOK_RECLAIM, ST_BACKEND_TRACEPOINT, { { "tp_direct_begin", PK_TRACE }, { "tp_direct_end", PK_TRACE }, { "tp_memcg_begin", PK_TRACE }, { "tp_memcg_end", PK_TRACE } }, NULL, "vmscan:mm_vmscan_{direct,memcg}_reclaim_begin/_end" },
};
#define NIMPLS (sizeof(impls) / sizeof(impls[0]))

/* Before 6.7 drivers call register_shrinker(shrinker, fmt, ...), which is
 * variadic (no fentry) and may have register_shrinker_prepared() inlined:
 * when the register hook sits on register_shrinker_prepared, this kprobe
 * pair is added so those registrations are seen too (the BPF side reports
 * each registration once). */
static const char *const t_register_var[] = { "register_shrinker", NULL };
static const struct impl register_var_impl = {
	ST_HOOK_REGISTER, ST_BACKEND_KPROBE,
	{ { "kp_register_var", PK_KPROBE }, { "krp_register_var", PK_KRETPROBE } },
	t_register_var, NULL,
};

struct choice {
	const struct impl *impl;	/* NULL: hook unserved */
	const char *target;
};

#define MAX_LINKS 32
/* chosen[ST_NHOOKS] is the extra: register_shrinker() on 6.0-6.6. */
#define NCHOICES (ST_NHOOKS + 1)
#define EXTRA ST_NHOOKS

struct loader {
	struct shrinktrace_bpf *skel;
	struct ring_buffer *rb;
	int poll_fd;		/* epoll: the ring buffer's epoll fd and opts.wake_fd */
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	struct choice chosen[NCHOICES];
	struct loader_hook hooks[ST_NHOOKS];
	const struct ksyms *ks;
	struct loader_opts opts;
	loader_event_fn fn;
	void *ctx;
	int census_fd;			/* -1 when the census is not in use */
	uint64_t next_census_ns;
	uint64_t young_until_ns;	/* census fast until then (a shrinker_alloc was seen) */
	uint64_t exit_lost;		/* generations whose rcu_free went unseen (exit census) */
	uint64_t exit_open;		/* of exit_lost: never seen registered */
	uint64_t super_cache_scan;
	uint64_t alloc_start, alloc_end;
	uint64_t list_head;		/* &shrinker_list from /proc/kallsyms, 0 if absent */
	struct pend *pend;		/* PEND_SLOTS: each task's last shrink_begin */
	bool join_detail;		/* the fentry path: st_call_done records come */
	struct name_slot *names;	/* 1 << ST_NAME_SEEN_BITS: names sent (ST_F_NAME_SEEN) */
};

/* The lean fexit/tp_btf shrink_end (ST_F_PAIRED) takes comm and duration_ns
 * from its task's shrink_begin, which the one ring buffer always delivers
 * first, and on the fentry path its detail from the st_call_done record in
 * between (bpf/shrinktrace.h).  Slot pid % PEND_SLOTS; a collision only loses
 * a duration and a call's detail. */
#define PEND_SLOTS 1024
struct pend {
	uint32_t pid;
	uint64_t shrinker, ts;
	char comm[ST_REC_COMM_LEN];
	bool done;			/* done holds this call's detail */
	struct st_call_done d;
};

struct name_slot {
	uint64_t shrinker;
	char name[ST_REC_NAME_LEN];
};

static size_t name_slot_of(uint64_t s)
{
	return (size_t)(((s >> 4) * 0x9E3779B97F4A7C15ULL) >> (64 - ST_NAME_SEEN_BITS));
}

_Static_assert(sizeof(struct st_call_done) < sizeof(struct st_event),
	       "the ring's two record kinds are told apart by their size");

/* The fentry path's join of a call's vmscan tracepoints (struct
 * st_call_done, kept in p since its shrink_begin) to its shrink_end r: the
 * same fields bpf/shrinktrace.bpf.c detail_take() fills on the other paths.
 * No record since the shrink_begin: count_objects() found nothing (the
 * tracepoints fire only after it found work), its return is the count. */
static void join_detail(struct pend *p, struct st_rec *r)
{
	const struct st_call_done *d = &p->d;

	if (p->done && d->shrinker == r->shrinker && d->start_ts >= p->ts && d->ts <= r->ts) {
		r->count = d->count;
		r->delta = d->delta;
		r->total_scan = d->total_scan;
		r->scanned = d->total_scan > d->total_scan_end ? d->total_scan - d->total_scan_end : 0;
		r->nr_deferred = d->nr_deferred;
		r->new_nr_deferred = d->new_nr_deferred;
		r->unused_scan = d->unused_scan;
		r->count_ns = d->start_ts - p->ts;
		r->scan_ns = d->ts - d->start_ts;
		r->has |= ST_HAS_COUNT | ST_HAS_SCAN_INFO | ST_HAS_COUNT_NS | ST_HAS_SCAN_NS;
	} else if (!p->done && (r->freed == 0 || r->freed == ST_FREED_EMPTY)) {
		r->count = r->freed;
		r->count_ns = r->ts - p->ts;
		r->scan_ns = 0;
		r->has |= ST_HAS_COUNT | ST_HAS_COUNT_NS | ST_HAS_SCAN_NS;
	}
	p->done = false;
}

/* Names and pairing for a record converted from e (see ST_F_NAME_SEEN and
 * ST_F_PAIRED in bpf/shrinktrace.h). */
static void complete_rec(struct loader *l, const struct st_event *e, struct st_rec *r)
{
	if (r->has & ST_HAS_SHRINKER) {
		struct name_slot *ns = &l->names[name_slot_of(r->shrinker)];

		if (r->type == ST_SHRINKER_ALLOC) {
			if (ns->shrinker == r->shrinker)
				ns->shrinker = 0;	/* a new generation */
		} else if (e->flags & ST_F_NAME_SEEN) {
			/* else the scan_objects symbol stays */
			if (ns->shrinker == r->shrinker) {
				memcpy(r->name, ns->name, sizeof(r->name));
				r->has |= ST_HAS_NAME;
			}
		} else if ((e->flags & (ST_F_NAME | ST_F_FSTYPE)) && (r->has & ST_HAS_NAME)) {
			ns->shrinker = r->shrinker;
			memcpy(ns->name, r->name, sizeof(ns->name));
		}
		if (r->type == ST_RCU_FREE && ns->shrinker == r->shrinker)
			ns->shrinker = 0;
	}
	if (r->type == ST_SHRINK_BEGIN) {
		struct pend *p = &l->pend[(uint32_t)r->pid % PEND_SLOTS];

		p->pid = (uint32_t)r->pid;
		p->shrinker = r->shrinker;
		p->ts = r->ts;
		p->done = false;
		memcpy(p->comm, r->comm, sizeof(p->comm));
	} else if (r->type == ST_SHRINK_END && (e->flags & ST_F_PAIRED)) {
		struct pend *p = &l->pend[(uint32_t)r->pid % PEND_SLOTS];

		if (p->ts && p->pid == (uint32_t)r->pid && p->shrinker == r->shrinker && p->ts <= r->ts) {
			r->duration_ns = r->ts - p->ts;
			r->has |= ST_HAS_DURATION;
			memcpy(r->comm, p->comm, sizeof(r->comm));
			if (l->join_detail)
				join_detail(p, r);
			p->ts = 0;
		}
	}
}

static const char *const hook_names[ST_NHOOKS] = {
	"walk", "shrink", "alloc", "register", "free", "rcu_free", "detail", "reclaim",
};

/* Hooks that serve the others (tracepoints beside them): not a backend of
 * their own, whatever --backend says. */
static bool auxiliary(enum st_hook h)
{
	return h == ST_HOOK_DETAIL || h == ST_HOOK_RECLAIM;
}

const char *loader_hook_name(enum st_hook h)
{
	return h < ST_NHOOKS ? hook_names[h] : "?";
}

const char *loader_backend_name(enum st_backend b)
{
	switch (b) {
	case ST_BACKEND_FENTRY: return "fentry";
	case ST_BACKEND_KPROBE: return "kprobe";
	case ST_BACKEND_TRACEPOINT: return "tracepoint";
	default: return "none";
	}
}

/* ---- libbpf messages --------------------------------------------------- */

static bool verbose_libbpf;
static bool quiet_libbpf;	/* during calibration failures are expected */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* Calibration expects failures: quiet there (unless -v); the final
	 * load shows libbpf's warnings, -v everything. */
	if (quiet_libbpf || (!verbose_libbpf && level != LIBBPF_WARN))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

uint64_t loader_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- building one object --------------------------------------------- */

/* Does the set ch infer the lifecycle from tracepoints (track shrinkers, census)? */
static bool lifecycle_inferred(const struct choice *ch)
{
	static const enum st_hook life[] = { ST_HOOK_ALLOC, ST_HOOK_REGISTER, ST_HOOK_FREE,
					     ST_HOOK_RCU_FREE };

	for (size_t i = 0; i < sizeof(life) / sizeof(life[0]); i++)
		if (ch[life[i]].impl && ch[life[i]].impl->mech == ST_BACKEND_TRACEPOINT)
			return true;
	return false;
}

/* Calibration objects only have to load and attach: every map at its minimum
 * (one entry; one per CPU for LRU maps), whatever the mode. */
static void shrink_maps(struct shrinktrace_bpf *skel)
{
	int ncpu = libbpf_num_possible_cpus();
	struct bpf_map *m;

	if (ncpu < 1)
		ncpu = 1;
	bpf_object__for_each_map(m, skel->obj) {
		enum bpf_map_type t = bpf_map__type(m);

		if (bpf_map__is_internal(m) || t == BPF_MAP_TYPE_RINGBUF ||
		    bpf_map__max_entries(m) <= 1)
			continue;
		bpf_map__set_max_entries(m, t == BPF_MAP_TYPE_LRU_HASH ||
					    t == BPF_MAP_TYPE_LRU_PERCPU_HASH ? (uint32_t)ncpu : 1);
	}
}

/* Does the kernel side write every call as it happens (no filter, no
 * --min-latency, not stats-only: HOLDING_BACK false in bpf/shrinktrace.bpf.c)? */
static bool lean_path(const struct loader_opts *o)
{
	return !o->stats_only && !o->min_latency_ns && !o->filter_tgid && !o->filter_comm[0] &&
	       !o->filter_cgroup_id;
}

/* The functions whose frames name a walk's trigger (st_trigger << 8 |
 * st_memcg_limit), looked for in the caller's stack by walk_trigger() in the
 * kernel.  A name this kernel does not have is skipped (inlined, renamed).
 * mm/vmscan.c, mm/memcontrol.c, fs/drop_caches.c of 6.1-6.18. */
static const struct {
	const char *fn;
	uint32_t kind;
} trig_fns[] = {
	{ "drop_slab", ST_TRIG_DROP_CACHES << 8 },
	{ "drop_slab_node", ST_TRIG_DROP_CACHES << 8 },	/* 6.1 */
	{ "drop_caches_sysctl_handler", ST_TRIG_DROP_CACHES << 8 },
	{ "memory_reclaim", ST_TRIG_MEMCG << 8 | ST_LIMIT_RECLAIM },
	{ "mem_cgroup_handle_over_high", ST_TRIG_MEMCG << 8 | ST_LIMIT_HIGH },
	{ "reclaim_high", ST_TRIG_MEMCG << 8 | ST_LIMIT_HIGH },
	{ "memory_high_write", ST_TRIG_MEMCG << 8 | ST_LIMIT_HIGH },
	{ "try_charge_memcg", ST_TRIG_MEMCG << 8 | ST_LIMIT_MAX },
	{ "memory_max_write", ST_TRIG_MEMCG << 8 | ST_LIMIT_MAX },
	{ "mem_cgroup_resize_max", ST_TRIG_MEMCG << 8 | ST_LIMIT_MAX },	/* v1 */
	{ "try_to_free_mem_cgroup_pages", ST_TRIG_MEMCG << 8 },
	{ "try_to_free_pages", ST_TRIG_DIRECT << 8 },
	{ "node_reclaim", ST_TRIG_NODE_RECLAIM << 8 },
	{ "balance_pgdat", ST_TRIG_KSWAPD << 8 },
};

/* The detail hook's join, the walk's trigger ranges, --stacks. */
static void configure_walk_detail(struct shrinktrace_bpf *skel, const struct loader *l,
				  const struct choice *ch)
{
	const struct impl *shrink = ch[ST_HOOK_SHRINK].impl;
	uint32_t n = 0;

	skel->rodata->shrink_at_entry = shrink && shrink->mech != ST_BACKEND_TRACEPOINT;
	skel->rodata->call_detail_on = (shrink && shrink->mech == ST_BACKEND_TRACEPOINT) ||
				       ch[ST_HOOK_DETAIL].impl;
	skel->rodata->reclaim_ctx_on = ch[ST_HOOK_RECLAIM].impl != NULL;
	/* the lean fentry path of bpf/shrinktrace.bpf.c (shrink_exit() without
	 * HOLDING_BACK): the join is done here (complete_rec()) */
	skel->rodata->detail_to_ring = ch[ST_HOOK_DETAIL].impl && shrink &&
				       shrink->mech == ST_BACKEND_FENTRY && lean_path(&l->opts);
	for (size_t i = 0; i < sizeof(trig_fns) / sizeof(trig_fns[0]) && n < ST_TRIG_RANGES; i++) {
		uint64_t lo, hi;

		if (ksyms_range(l->ks, trig_fns[i].fn, &lo, &hi))
			continue;
		((uint64_t *)skel->rodata->trig_lo)[n] = lo;
		((uint64_t *)skel->rodata->trig_hi)[n] = hi;
		((uint32_t *)skel->rodata->trig_kind)[n] = trig_fns[i].kind;
		n++;
	}
	skel->rodata->trig_n = n;
	skel->rodata->want_stacks = l->opts.stacks;
	if (!l->opts.stacks)
		bpf_map__set_max_entries(skel->maps.walk_stacks, 1);
}

static void configure(struct shrinktrace_bpf *skel, const struct loader *l,
		      const struct choice *ch, uint32_t ringbuf)
{
	bool life = lifecycle_inferred(ch);
	bool direct_register = ch[ST_HOOK_REGISTER].impl &&
			       ch[ST_HOOK_REGISTER].impl->mech != ST_BACKEND_TRACEPOINT;

	skel->rodata->super_cache_scan_addr = l->super_cache_scan;
	skel->rodata->shrinker_alloc_start = l->alloc_start;
	skel->rodata->shrinker_alloc_end = l->alloc_end;
	skel->rodata->infer_lifecycle = life;
	/* a test hook of the miss accounting (tests/live/xcheck.py), not an option */
	if (life && getenv("SHRINKTRACE_TEST_SKIP_KFREE"))
		skel->rodata->test_skip_kfree = (uint32_t)atoi(getenv("SHRINKTRACE_TEST_SKIP_KFREE"));
	skel->bss->list_head_addr = l->list_head;
	/* Maps a backend does not use stay at one entry. */
	if (!life)
		bpf_map__set_max_entries(skel->maps.tracked, 1);
	if (!direct_register)
		bpf_map__set_max_entries(skel->maps.registered, 1);
	skel->rodata->filter_tgid = l->opts.filter_tgid;
	if (l->opts.filter_comm[0]) {
		skel->rodata->filter_comm_set = true;
		memcpy((char *)skel->rodata->filter_comm, l->opts.filter_comm,
		       sizeof(skel->rodata->filter_comm));
	}
	skel->rodata->filter_cgroup_id = l->opts.filter_cgroup_id;
	configure_walk_detail(skel, l, ch);
	skel->rodata->min_latency_ns = l->opts.min_latency_ns;
	skel->rodata->stats_only = l->opts.stats_only;
	/* Wake the reader when a quarter of the ring is waiting; loader_poll()
	 * collects the rest at least every poll timeout. */
	skel->rodata->wakeup_bytes = ringbuf / 4;
	bpf_map__set_max_entries(skel->maps.events, ringbuf);
	if (!l->opts.stats_only) {
		/* Per-CPU aggregation maps are preallocated: keep them tiny
		 * when nothing aggregates into them. */
		int n = libbpf_num_possible_cpus();

		n = n > 0 ? n : 1;	/* LRU maps want an entry per CPU */
		bpf_map__set_max_entries(skel->maps.call_stats, (uint32_t)n);
		bpf_map__set_max_entries(skel->maps.task_stats, (uint32_t)n);
	}
}

/* Open a fresh object with only the programs of the chosen impls autoloaded
 * and their fentry targets set. */
static struct shrinktrace_bpf *open_with(const struct loader *l, const struct choice *ch,
					 uint32_t ringbuf, bool final)
{
	struct shrinktrace_bpf *skel = shrinktrace_bpf__open();
	struct bpf_program *p;

	if (!skel)
		return NULL;
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	/* the memcg -> cgroup id resolver is run by hand (loader_memcg_id()),
	 * never attached: in the final object only */
	if (final)
		bpf_program__set_autoload(skel->progs.memcg_id_of, true);
	for (int h = 0; h < NCHOICES; h++) {
		if (!ch[h].impl)
			continue;
		for (int i = 0; i < IMPL_PROGS; i++) {
			const struct prog_ref *pr = &ch[h].impl->progs[i];

			if (!pr->name)
				continue;
			p = bpf_object__find_program_by_name(skel->obj, pr->name);
			if (!p)
				goto fail;
			bpf_program__set_autoload(p, true);
			if (pr->kind == PK_TRACE && ch[h].target &&
			    bpf_program__set_attach_target(p, 0, ch[h].target))
				goto fail;
		}
	}
	configure(skel, l, ch, ringbuf);
	return skel;
fail:
	shrinktrace_bpf__destroy(skel);
	return NULL;
}

static int run_testrun(int fd)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);

	return bpf_prog_test_run_opts(fd, &topts) ? -errno : 0;
}

/* Attach the programs of one choice; links go to links[*n].  Programs shared
 * between hooks (census, tp_kfree) are attached once: attached[] remembers. */
static int attach_choice(struct shrinktrace_bpf *skel, const struct choice *c,
			 struct bpf_link **links, int *n, const char **attached, int *nattached,
			 int *census_fd, char *why, size_t whylen)
{
	for (int i = 0; i < IMPL_PROGS; i++) {
		const struct prog_ref *pr = &c->impl->progs[i];
		struct bpf_program *p;
		struct bpf_link *link = NULL;
		bool done = false;

		if (!pr->name)
			continue;
		for (int k = 0; k < *nattached; k++)
			if (!strcmp(attached[k], pr->name))
				done = true;
		if (done)
			continue;
		p = bpf_object__find_program_by_name(skel->obj, pr->name);
		if (!p)
			return -ENOENT;
		switch (pr->kind) {
		case PK_TRACE:
			link = bpf_program__attach(p);
			break;
		case PK_KPROBE:
		case PK_KRETPROBE:
			link = bpf_program__attach_kprobe(p, pr->kind == PK_KRETPROBE, c->target);
			break;
		case PK_TESTRUN: {
			int err = run_testrun(bpf_program__fd(p));

			if (err) {
				snprintf(why, whylen, "census test run: %s", strerror(-err));
				return err;
			}
			*census_fd = bpf_program__fd(p);
			attached[(*nattached)++] = pr->name;
			continue;
		}
		default:
			continue;
		}
		if (!link) {
			int err = -errno;

			snprintf(why, whylen, "%s%s%s: attach: %s", loader_backend_name(c->impl->mech),
				 c->target ? " " : "", c->target ? c->target : "", strerror(errno));
			return err ? err : -EINVAL;
		}
		if (*n >= MAX_LINKS) {
			bpf_link__destroy(link);
			return -E2BIG;
		}
		links[(*n)++] = link;
		attached[(*nattached)++] = pr->name;
	}
	return 0;
}

/* Really load and attach one candidate alone.  0 on success, else why. */
static int calibrate(const struct loader *l, const struct impl *im, const char *target,
		     char *why, size_t whylen)
{
	struct choice ch[NCHOICES] = { 0 };
	struct bpf_link *links[4];
	const char *attached[4];
	int n = 0, na = 0, sfd = -1, err;
	struct shrinktrace_bpf *skel;

	ch[im->hook].impl = im;
	ch[im->hook].target = target;
	skel = open_with(l, ch, PROBE_RINGBUF, false);
	if (!skel) {
		snprintf(why, whylen, "open: %s", strerror(errno));
		return -1;
	}
	shrink_maps(skel);
	quiet_libbpf = !verbose_libbpf;	/* -v shows why a candidate was refused */
	err = shrinktrace_bpf__load(skel);
	if (err) {
		snprintf(why, whylen, "%s%s%s: load: %s", loader_backend_name(im->mech),
			 target ? " " : "", target ? target : "", strerror(-err > 0 ? -err : errno));
	} else {
		err = attach_choice(skel, &ch[im->hook], links, &n, attached, &na, &sfd, why,
				    whylen);
	}
	quiet_libbpf = false;
	for (int i = 0; i < n; i++)
		bpf_link__destroy(links[i]);
	shrinktrace_bpf__destroy(skel);
	return err ? -1 : 0;
}

static bool in_kallsyms(const struct loader *l, const char *fn)
{
	return ksyms_find(l->ks, fn) != NULL;
}

/* Append reason to the hook's list of failures ("; "-separated), skipping a
 * repeat of the one before (the same missing symbol for every mechanism). */
static void add_why(char *all, size_t len, char *last, size_t lastlen, const char *reason)
{
	size_t used = strlen(all);

	if (!strcmp(last, reason))
		return;
	snprintf(last, lastlen, "%s", reason);
	if (used + 3 < len)
		snprintf(all + used, len - used, "%s%s", used ? "; " : "", reason);
}

static const char *not_in_kallsyms(const char *fn, char *buf, size_t len)
{
	bool new_api = !strcmp(fn, "shrinker_alloc") || !strcmp(fn, "shrinker_free_rcu_cb") ||
		       !strcmp(fn, "shrinker_register") || !strcmp(fn, "shrinker_free");

	snprintf(buf, len, "%s not in /proc/kallsyms%s", fn,
		 new_api ? " (kernels before 6.7 have none)" : "");
	return buf;
}

/* Pick the implementation of hook h: the first mechanism (and target) that
 * really loads and attaches.  When none does, hooks[h].why lists why. */
static void choose(struct loader *l, enum st_hook h)
{
	struct loader_hook *lh = &l->hooks[h];
	char why[160], last[160] = "";

	lh->why[0] = '\0';
	if (h == ST_HOOK_DETAIL && l->chosen[ST_HOOK_SHRINK].impl &&
	    l->chosen[ST_HOOK_SHRINK].impl->mech == ST_BACKEND_TRACEPOINT) {
		/* the tracepoint backend's calls are these tracepoints already */
		lh->mech = ST_BACKEND_TRACEPOINT;
		lh->target = "vmscan:mm_shrink_slab_start/_end (the shrink hook's own)";
		return;
	}
	if ((h == ST_HOOK_DETAIL && !l->chosen[ST_HOOK_SHRINK].impl) ||
	    (h == ST_HOOK_RECLAIM && !l->chosen[ST_HOOK_WALK].impl)) {
		lh->mech = ST_BACKEND_AUTO;
		lh->target = NULL;
		snprintf(lh->why, sizeof(lh->why), "no %s hook to join it to",
			 h == ST_HOOK_DETAIL ? "shrink" : "walk");
		return;
	}
	for (size_t i = 0; i < NIMPLS; i++) {
		const struct impl *im = &impls[i];

		if (im->hook != h)
			continue;
		if (l->opts.backend != ST_BACKEND_AUTO && im->mech != l->opts.backend &&
		    !auxiliary(h))
			continue;
		if (!im->targets) {
			/* Before 6.7 shrinkers are embedded in their owners: there is
			 * no shrinker_alloc() and no RCU free of a shrinker to see,
			 * and nothing to infer a registration or a free from. */
			if (h != ST_HOOK_SHRINK && !auxiliary(h) && !l->alloc_start) {
				add_why(lh->why, sizeof(lh->why), last, sizeof(last),
					not_in_kallsyms(h == ST_HOOK_RCU_FREE ? "shrinker_free_rcu_cb"
									      : "shrinker_alloc",
							why, sizeof(why)));
				continue;
			}
			if (calibrate(l, im, NULL, why, sizeof(why)) == 0) {
				l->chosen[h].impl = im;
				lh->mech = im->mech;
				lh->target = im->label;
				return;
			}
			add_why(lh->why, sizeof(lh->why), last, sizeof(last), why);
			continue;
		}
		for (const char *const *t = im->targets; *t; t++) {
			if (!in_kallsyms(l, *t)) {
				add_why(lh->why, sizeof(lh->why), last, sizeof(last),
					not_in_kallsyms(*t, why, sizeof(why)));
				continue;
			}
			if (calibrate(l, im, *t, why, sizeof(why)) == 0) {
				l->chosen[h].impl = im;
				l->chosen[h].target = *t;
				lh->mech = im->mech;
				lh->target = *t;
				return;
			}
			add_why(lh->why, sizeof(lh->why), last, sizeof(last), why);
			/* A refused mechanism fails the same way on every target. */
			if (strstr(why, ": load: ") && !strstr(why, "No such"))
				break;
		}
	}
	lh->mech = ST_BACKEND_AUTO;
	lh->target = NULL;
	if (!lh->why[0])
		snprintf(lh->why, sizeof(lh->why), "no implementation for this backend");
}

static void choose_register_var(struct loader *l)
{
	struct choice *reg = &l->chosen[ST_HOOK_REGISTER];
	char why[160];

	if (!reg->target || strcmp(reg->target, "register_shrinker_prepared"))
		return;
	if (l->opts.backend != ST_BACKEND_AUTO && l->opts.backend != ST_BACKEND_KPROBE)
		return;
	if (!in_kallsyms(l, "register_shrinker") ||
	    calibrate(l, &register_var_impl, "register_shrinker", why, sizeof(why)))
		return;
	l->chosen[EXTRA].impl = &register_var_impl;
	l->chosen[EXTRA].target = "register_shrinker";
	l->hooks[ST_HOOK_REGISTER].target =
		"register_shrinker_prepared + register_shrinker (kprobe)";
}

int loader_self_check(char *err, size_t errlen)
{
	struct shrinktrace_bpf *skel;
	int bad = 0;

	err[0] = '\0';
	libbpf_set_print(libbpf_print);
	quiet_libbpf = true;
	skel = shrinktrace_bpf__open();
	quiet_libbpf = false;
	if (!skel) {
		snprintf(err, errlen, "cannot open the embedded BPF object: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i <= NIMPLS && !bad; i++) {
		const struct impl *im = i < NIMPLS ? &impls[i] : &register_var_impl;

		for (int k = 0; k < IMPL_PROGS; k++) {
			const char *n = im->progs[k].name;

			if (n && !bpf_object__find_program_by_name(skel->obj, n)) {
				snprintf(err, errlen, "the %s/%s implementation names program \"%s\", which "
					 "bpf/shrinktrace.bpf.c does not define", hook_names[im->hook],
					 loader_backend_name(im->mech), n);
				bad = 1;
				break;
			}
			if (n && im->progs[k].kind == PK_NONE) {
				snprintf(err, errlen, "program \"%s\" has no kind in the impl table", n);
				bad = 1;
				break;
			}
		}
	}
	shrinktrace_bpf__destroy(skel);
	return bad ? -1 : 0;
}

/* The address of data symbol name in /proc/kallsyms (listed only with
 * CONFIG_KALLSYMS_ALL; user/kernel/ksyms.c keeps text symbols), 0 if absent or
 * hidden (kptr_restrict shows zeros). */
static uint64_t kallsyms_data(const char *name)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], sym[256], type;
	unsigned long long addr;
	uint64_t found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 &&
		    (type == 'd' || type == 'D' || type == 'b' || type == 'B') && !strcmp(sym, name)) {
			found = addr;
			break;
		}
	}
	fclose(f);
	return found;
}

/* ---- ring buffer ------------------------------------------------------- */

static int on_sample(void *ctx, void *data, size_t size)
{
	struct loader *l = ctx;
	struct st_rec r;

	if (size == sizeof(struct st_call_done)) {
		/* a call's detail (the fentry path): kept for its shrink_end */
		const struct st_call_done *d = data;
		struct pend *p = &l->pend[d->pid % PEND_SLOTS];

		if (p->pid == d->pid) {
			p->d = *d;
			p->done = true;
		}
		return 0;
	}
	if (size < sizeof(struct st_event))
		return 0;
	st_rec_from_event(&r, data, l->ks);
	complete_rec(l, data, &r);
	/* a new shrinker: census often while it is likely to register */
	if (r.type == ST_SHRINKER_ALLOC && l->census_fd >= 0)
		l->young_until_ns = r.ts + CENSUS_YOUNG_NS;
	if (r.type != ST_UNKNOWN)
		l->fn(&r, l->ctx);
	return 0;
}

struct loader *loader_open(const struct loader_opts *o, const struct ksyms *ks,
			   loader_event_fn fn, void *ctx, char *err, size_t errlen)
{
	struct loader *l = calloc(1, sizeof(*l));
	const char *attached[MAX_LINKS];
	int nattached = 0, nserved = 0, e;
	const struct ksym *sym;

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->pend = calloc(PEND_SLOTS, sizeof(*l->pend));
	l->names = calloc((size_t)1 << ST_NAME_SEEN_BITS, sizeof(*l->names));
	if (!l->pend || !l->names) {
		snprintf(err, errlen, "out of memory");
		free(l->pend);
		free(l->names);
		free(l);
		return NULL;
	}
	l->opts = *o;
	if (!l->opts.ringbuf_bytes)
		l->opts.ringbuf_bytes = 8u << 20;
	l->ks = ks;
	l->fn = fn;
	l->ctx = ctx;
	l->census_fd = -1;
	l->poll_fd = -1;
	verbose_libbpf = o->verbose;
	libbpf_set_print(libbpf_print);

	sym = ksyms_find(ks, "super_cache_scan");
	l->super_cache_scan = sym ? sym->addr : 0;
	if (ksyms_range(ks, "shrinker_alloc", &l->alloc_start, &l->alloc_end))
		l->alloc_start = l->alloc_end = 0;
	if (l->alloc_start)
		l->list_head = kallsyms_data("shrinker_list");

	for (int h = 0; h < ST_NHOOKS; h++) {
		choose(l, (enum st_hook)h);
		if (l->chosen[h].impl)
			nserved++;
	}
	choose_register_var(l);
	if (!nserved || !l->chosen[ST_HOOK_SHRINK].impl) {
		snprintf(err, errlen,
			 "no shrinker hook could be attached with --backend %s (do_shrink_slab: %s); "
			 "try --backend auto, or -v to see the kernel's reasons",
			 o->backend ? loader_backend_name(o->backend) : "auto",
			 l->hooks[ST_HOOK_SHRINK].why);
		loader_close(l);
		return NULL;
	}

	l->skel = open_with(l, l->chosen, l->opts.ringbuf_bytes, true);
	if (!l->skel) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		loader_close(l);
		return NULL;
	}
	e = shrinktrace_bpf__load(l->skel);
	if (e) {
		snprintf(err, errlen, "loading the BPF programs failed: %s (run with -v for the "
			 "verifier log)", strerror(-e > 0 ? -e : errno));
		loader_close(l);
		return NULL;
	}
	for (int h = 0; h < NCHOICES; h++) {
		char why[160];

		if (!l->chosen[h].impl)
			continue;
		if (attach_choice(l->skel, &l->chosen[h], l->links, &l->nlinks, attached,
				  &nattached, &l->census_fd, why, sizeof(why))) {
			snprintf(err, errlen, "attaching the %s hook failed after calibration: %s",
				 hook_names[h < ST_NHOOKS ? h : ST_HOOK_REGISTER], why);
			loader_close(l);
			return NULL;
		}
	}
	l->join_detail = l->skel->rodata->detail_to_ring;
	l->rb = ring_buffer__new(bpf_map__fd(l->skel->maps.events), on_sample, l, NULL);
	if (!l->rb) {
		snprintf(err, errlen, "cannot set up the ring buffer: %s", strerror(errno));
		loader_close(l);
		return NULL;
	}
	/* the loop waits on the ring buffer and on wake_fd (another thread that
	 * wants the loop now: a scrape) together: an epoll fd is pollable */
	l->poll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (l->poll_fd < 0 ||
	    epoll_ctl(l->poll_fd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(l->rb),
		      &(struct epoll_event){ .events = EPOLLIN, .data.u32 = 0 }) ||
	    (o->wake_fd > 0 &&
	     epoll_ctl(l->poll_fd, EPOLL_CTL_ADD, o->wake_fd,
		       &(struct epoll_event){ .events = EPOLLIN, .data.u32 = 1 }))) {
		snprintf(err, errlen, "cannot set up the event loop: %s", strerror(errno));
		loader_close(l);
		return NULL;
	}
	l->next_census_ns = loader_now_ns();
	l->young_until_ns = l->next_census_ns + CENSUS_YOUNG_NS;
	return l;
}

void loader_close(struct loader *l)
{
	if (!l)
		return;
	ring_buffer__free(l->rb);
	if (l->poll_fd >= 0)
		close(l->poll_fd);
	for (int i = 0; i < l->nlinks; i++)
		bpf_link__destroy(l->links[i]);
	shrinktrace_bpf__destroy(l->skel);
	free(l->pend);
	free(l->names);
	free(l);
}

const struct loader_hook *loader_hook(const struct loader *l, enum st_hook h)
{
	return &l->hooks[h];
}

const char *loader_backend_summary(const struct loader *l)
{
	enum st_backend seen = ST_BACKEND_AUTO;

	for (int h = 0; h < ST_NHOOKS; h++) {
		enum st_backend m = l->hooks[h].mech;

		if (m == ST_BACKEND_AUTO || auxiliary((enum st_hook)h))
			continue;
		if (seen != ST_BACKEND_AUTO && seen != m)
			return "mixed";
		seen = m;
	}
	return loader_backend_name(seen);
}

/* One item of a banner list, on lines of its own wrapped to 80 columns; the
 * first ends the list's heading line. */
static void list_item(FILE *f, int *any, const char *what)
{
	char line[256];

	if (!*any)
		fputc('\n', f);
	snprintf(line, sizeof(line), "  - %s", what);
	st_put_wrapped(f, line, 4);
	*any = 1;
}

void loader_banner(const struct loader *l, FILE *f)
{
	const struct loader_hook *h = l->hooks;

	fprintf(f, "shrinktrace: hooks:\n");
	for (int i = 0; i < ST_NHOOKS; i++) {
		char line[512];

		if (h[i].mech)
			snprintf(line, sizeof(line), "  %-9s %-10s %s", hook_names[i],
				 loader_backend_name(h[i].mech), h[i].target ? h[i].target : "");
		else
			snprintf(line, sizeof(line), "  %-9s %-10s (%s)", hook_names[i], "none",
				 h[i].why);
		st_put_wrapped(f, line, 23);	/* continued under the target column */
	}
	fprintf(f, "shrinktrace: not visible with this set:");
	int any = 0;

	if (!h[ST_HOOK_WALK].mech)
		list_item(f, &any, "walk_begin, walk_end (so no walk's trigger)");
	if (!h[ST_HOOK_ALLOC].mech)
		list_item(f, &any, "shrinker_alloc");
	if (!h[ST_HOOK_REGISTER].mech)
		list_item(f, &any, "shrinker_register");
	if (!h[ST_HOOK_FREE].mech)
		list_item(f, &any, "free_begin, free_end");
	if (!h[ST_HOOK_RCU_FREE].mech)
		list_item(f, &any, "rcu_free");
	if (h[ST_HOOK_SHRINK].mech == ST_BACKEND_TRACEPOINT)
		list_item(f, &any, "calls whose count_objects() found nothing (0, SHRINK_EMPTY), "
			  "and count_ns: a call is seen from count_objects()'s return");
	if (h[ST_HOOK_SHRINK].mech && !h[ST_HOOK_DETAIL].mech)
		list_item(f, &any, "count, deferred work, scanned, count_ns/scan_ns of calls");
	if (h[ST_HOOK_WALK].mech && !h[ST_HOOK_RECLAIM].mech)
		list_item(f, &any, "the order of a walk's reclaim (its trigger comes from the stack)");
	if (!any)
		fprintf(f, " nothing (every event is seen)\n");
	any = 0;
	for (int i = 0; i < ST_NHOOKS; i++)
		if (h[i].mech == ST_BACKEND_TRACEPOINT && i != ST_HOOK_SHRINK &&
		    !auxiliary((enum st_hook)i))
			any = 1;
	if (any) {
		st_put_wrapped(f, "shrinktrace: inferred (marked * on event lines; in the log "
			       "\"inferred\":true, \"evidence\" says how, \"earliest_ts\"..\"ts\" "
			       "when):", 2);
		any = 1;	/* the heading's line is ended */
		if (h[ST_HOOK_ALLOC].mech == ST_BACKEND_TRACEPOINT)
			list_item(f, &any, "shrinker_alloc (address only, from kmem:kmalloc)");
		if (h[ST_HOOK_REGISTER].mech == ST_BACKEND_TRACEPOINT)
			list_item(f, &any, "shrinker_register (at its first call, a census, or its "
				  "kfree)");
		if (h[ST_HOOK_FREE].mech == ST_BACKEND_TRACEPOINT)
			list_item(f, &any, "free_begin/free_end (refcount, LIST_POISON2: at a call, "
				  "a census or its kfree)");
		if (h[ST_HOOK_RCU_FREE].mech == ST_BACKEND_TRACEPOINT)
			list_item(f, &any, "rcu_free (kmem:kfree of a tracked shrinker)");
	}
}

/* The census period now: fast while a new shrinker is young. */
static uint64_t census_period(const struct loader *l, uint64_t now)
{
	return now < l->young_until_ns ? CENSUS_FAST_NS : CENSUS_SLOW_NS;
}

static void maybe_census(struct loader *l)
{
	uint64_t now;

	if (l->census_fd < 0)
		return;
	now = loader_now_ns();
	if (now < l->next_census_ns)
		return;
	/* nothing to walk before &shrinker_list is known (mmap'ed .bss: no syscall) */
	if (l->skel->bss->list_head_addr)
		run_testrun(l->census_fd);
	l->next_census_ns = now + census_period(l, now);
}

int loader_poll(struct loader *l, int timeout_ms)
{
	struct epoll_event ev[2];
	uint64_t v;
	int n;

	if (l->census_fd >= 0) {
		uint64_t now = loader_now_ns();
		/* rounded up: a sub-millisecond remainder must not become a
		 * busy loop of zero timeouts */
		int ms = l->next_census_ns > now ?
			 (int)((l->next_census_ns - now + 999999) / 1000000) : 0;

		if (timeout_ms < 0 || ms < timeout_ms)
			timeout_ms = ms;
	}
	n = epoll_wait(l->poll_fd, ev, 2, timeout_ms);
	if (n < 0) {
		n = -errno;
	} else {
		/* a wake-up: read it away (non-blocking: nothing to wait for) */
		for (int i = 0; i < n; i++)
			if (ev[i].data.u32 == 1)
				(void)!read(l->opts.wake_fd, &v, sizeof(v));
		/* Events are submitted without a wake-up until the ring fills
		 * (bpf/shrinktrace.bpf.c ev_submit): collect them whether or
		 * not the ring's fd said so. */
		n = ring_buffer__consume(l->rb);
	}
	maybe_census(l);
	return n;
}

/* Deliver a record the loader makes itself (exit census). */
static void deliver(struct loader *l, const struct st_rec *r)
{
	l->fn(r, l->ctx);
}

struct exit_scan {
	uint32_t gen;		/* census_gen of the exit census */
	uint64_t *addr;		/* registered, off the list, rcu_free not seen */
	struct st_tracked *t;
	size_t n, cap;
	uint64_t open;		/* of those: allocated, never seen registered */
};

/* Tracked shrinkers the exit census did not list (struct st_tracked and its
 * ST_T_* bits: bpf/shrinktrace.h). */

static void scan_unlisted(const struct loader *l, struct exit_scan *x)
{
	int fd = bpf_map__fd(l->skel->maps.tracked);
	uint64_t key = 0, next;
	void *prev = NULL;
	struct st_tracked v;

	x->n = 0;
	x->open = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v) || (v.state & ST_T_GONE))
			continue;
		if (v.census == x->gen)
			continue;	/* still on shrinker_list */
		/* Allocated and never seen registered: still being set up, or its end
		 * went unseen (registered and freed, or freed unregistered, between two
		 * censuses).  Either way the trace lost track of it. */
		if (!(v.state & ST_T_REGISTERED))
			x->open++;
		if (x->n == x->cap) {
			size_t cap = x->cap ? x->cap * 2 : 64;
			uint64_t *a = realloc(x->addr, cap * sizeof(*a));
			struct st_tracked *t = a ? realloc(x->t, cap * sizeof(*t)) : NULL;

			if (a)
				x->addr = a;
			if (!t)
				return;
			x->t = t;
			x->cap = cap;
		}
		x->addr[x->n] = key;
		x->t[x->n++] = v;
	}
}

/* The end of the trace on the tracepoint backend: a last census; shrinkers it
 * does not list are off shrinker_list (queued by call_rcu()), so wait up to
 * EXIT_RCU_WAIT_NS for their kfree.  What is still missing then is written:
 * the free_begin/free_end not seen yet (evidence "census"), and a `lost`
 * record naming the shrinker whose rcu_free went unseen. */
static void exit_census(struct loader *l)
{
	struct exit_scan x = { 0 };
	uint64_t end = loader_now_ns() + EXIT_RCU_WAIT_NS;

	if (l->census_fd < 0 || !l->skel->bss->list_head_addr)
		return;
	for (;;) {
		/* a census each round: a shrinker still registering gets listed */
		run_testrun(l->census_fd);
		x.gen = l->skel->bss->census_gen;
		ring_buffer__consume(l->rb);
		scan_unlisted(l, &x);
		if (!x.n || loader_now_ns() >= end)
			break;
		ring_buffer__poll(l->rb, 20);
	}
	l->exit_open = x.open;
	ring_buffer__consume(l->rb);	/* what the kernel wrote before, first */
	for (size_t i = 0; i < x.n; i++) {
		struct st_rec r = { .ts = loader_now_ns(), .pid = 0, .inferred = true,
				    .has = ST_HAS_SHRINKER | ST_HAS_EARLIEST | ST_HAS_EVIDENCE,
				    .shrinker = x.addr[i], .evidence = ST_EVID_CENSUS, .id = -1 };
		uint64_t last = x.t[i].ok_ts > x.t[i].born_ts ? x.t[i].ok_ts : x.t[i].born_ts;

		snprintf(r.comm, sizeof(r.comm), "[inferred]");
		r.earliest_ts = last;
		/* Off shrinker_list after being on it: shrinker_free() ran.  Never
		 * seen registered: nothing is known but that it is out of sight. */
		if (!(x.t[i].state & ST_T_REGISTERED))
			x.t[i].state |= ST_T_FREE_BEGIN | ST_T_FREE_END;
		if (!(x.t[i].state & ST_T_FREE_BEGIN)) {
			r.type = ST_FREE_BEGIN;
			deliver(l, &r);
		}
		if (x.t[i].fb_ts)
			r.earliest_ts = x.t[i].fb_ts;
		if (!(x.t[i].state & ST_T_FREE_END)) {
			r.type = ST_FREE_END;
			deliver(l, &r);
		}
		r.type = ST_LOST;
		r.inferred = false;
		r.has |= ST_HAS_COUNT;
		r.count = 1;
		r.evidence = ST_EVID_UNLISTED;
		deliver(l, &r);
		l->exit_lost++;
	}
	free(x.addr);
	free(x.t);
}

void loader_detach(struct loader *l)
{
	exit_census(l);
	for (int i = 0; i < l->nlinks; i++)
		bpf_link__destroy(l->links[i]);
	l->nlinks = 0;
}

int loader_drain(struct loader *l)
{
	return ring_buffer__consume(l->rb);
}

void loader_account(const struct loader *l, struct sink_kernel *out)
{
	const struct st_lifecycle *lc;

	memset(out, 0, sizeof(*out));
	out->skipped_runs = loader_recursion_misses(l);
	if (l->census_fd < 0 || !l->skel->bss)
		return;
	lc = &l->skel->bss->lifecycle;
	out->lifecycle = true;
	out->allocs = lc->allocs;
	out->rcu_kfree = lc->rcu_kfree;
	out->rcu_reuse = lc->rcu_reuse;
	out->exit_lost = l->exit_lost;
	out->exit_open = l->exit_open;
	out->census_known = l->skel->bss->list_head_addr != 0;
	out->census_runs = lc->census_runs;
	out->census_listed = lc->census_listed;
	out->census_capped = lc->census_capped != 0;
	out->untracked = lc->untracked;
}

/* Per-CPU map values come as one slot per possible CPU, each rounded up to
 * 8 bytes. */
static size_t percpu_stride(size_t value_size)
{
	return (value_size + 7) & ~(size_t)7;
}

/* The value of key in the per-CPU map fd (vsz bytes a CPU), one slot a
 * possible CPU at percpu_stride(vsz) apart, in a new buffer the caller
 * frees; *ncpu = the number of slots.  With take the key is deleted too
 * (a per-CPU LRU map has no atomic lookup-and-delete: lookup, then delete).
 * NULL with *err = a negative errno. */
static char *percpu_lookup(int fd, const void *key, size_t vsz, bool take, int *ncpu, int *err)
{
	char *vals;

	*ncpu = libbpf_num_possible_cpus();
	if (*ncpu <= 0) {
		*err = *ncpu ? *ncpu : -EINVAL;
		return NULL;
	}
	vals = calloc((size_t)*ncpu, percpu_stride(vsz));
	if (!vals) {
		*err = -ENOMEM;
		return NULL;
	}
	if (take ? bpf_map_lookup_and_delete_elem(fd, key, vals) &&
		   bpf_map_lookup_elem(fd, key, vals)
		 : bpf_map_lookup_elem(fd, key, vals)) {
		*err = -errno;
		free(vals);
		return NULL;
	}
	if (take)
		bpf_map_delete_elem(fd, key);
	return vals;
}

/* Zero sum (vsz bytes, the caller's), then add(sum, value) for each of the
 * ncpu values in vals (laid out as percpu_lookup() returns them). */
static void percpu_sum(void *sum, size_t vsz, const char *vals, int ncpu,
		       void (*add)(void *sum, const void *value))
{
	memset(sum, 0, vsz);
	for (int i = 0; i < ncpu; i++)
		add(sum, vals + (size_t)i * percpu_stride(vsz));
}

static uint64_t read_drops(const struct loader *l, bool take)
{
	struct st_drop_count *v;
	uint32_t zero = 0;
	uint64_t sum = 0;
	int fd = bpf_map__fd(l->skel->maps.drops), ncpu, e;

	_Static_assert(sizeof(struct st_drop_count) % 8 == 0, "drops slots are not packed");
	v = (struct st_drop_count *)percpu_lookup(fd, &zero, sizeof(*v), false, &ncpu, &e);
	if (!v)
		return 0;
	for (int i = 0; i < ncpu; i++) {
		sum += take ? v[i].pending : v[i].total;
		if (take)
			v[i].pending = 0;
	}
	if (take)
		bpf_map_update_elem(fd, &zero, v, BPF_ANY);
	free(v);
	return sum;
}

static void add_call_stat(void *sum, const void *v)
{
	st_call_stat_add(sum, v);
}

static void add_walk_stat(void *sum_, const void *v_)
{
	struct st_walk_stat *sum = sum_;
	const struct st_walk_stat *v = v_;

	sum->walks += v->walks;
	sum->calls += v->calls;
	sum->freed += v->freed;
	sum->total_ns += v->total_ns;
	if (v->max_ns > sum->max_ns)
		sum->max_ns = v->max_ns;
	for (int k = 0; k < ST_HIST_SLOTS; k++)
		sum->hist[k] += v->hist[k];
}

/* comm: the last CPU's that has one (NUL-terminated) */
static void add_task_stat(void *sum_, const void *v_)
{
	struct st_task_stat *sum = sum_;
	const struct st_task_stat *v = v_;

	sum->calls += v->calls;
	sum->total_ns += v->total_ns;
	if (v->max_ns > sum->max_ns)
		sum->max_ns = v->max_ns;
	if (v->comm[0])
		memcpy(sum->comm, v->comm, sizeof(sum->comm));
	sum->comm[sizeof(sum->comm) - 1] = '\0';
}

/* Walk a per-CPU hash map: fn(key, the CPUs' values, ctx) per key.  Keys that
 * vanish meanwhile (LRU eviction, deletion) are skipped. */
static int for_each_percpu(int fd, size_t ksz, size_t vsz,
			   void (*fn)(const void *key, const char *vals, int ncpu, void *ctx),
			   void *ctx)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t key[2] = { 0 }, next[2] = { 0 };
	void *prev = NULL;
	char *vals;
	int e = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc((size_t)ncpu, percpu_stride(vsz));
	if (!vals)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, ksz);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, vals)) {
			if (errno == ENOENT)
				continue;
			e = -errno;
			break;
		}
		fn(key, vals, ncpu, ctx);
	}
	free(vals);
	return e;
}

struct call_walk {
	loader_call_stat_fn fn;
	void *ctx;
};

static void sum_call(const void *key, const char *vals, int ncpu, void *ctx)
{
	struct call_walk *w = ctx;
	struct st_call_stat sum;

	percpu_sum(&sum, sizeof(sum), vals, ncpu, add_call_stat);
	w->fn(*(const uint64_t *)key, &sum, w->ctx);
}

int loader_read_call_stats(const struct loader *l, loader_call_stat_fn fn, void *ctx)
{
	struct call_walk w = { fn, ctx };

	return for_each_percpu(bpf_map__fd(l->skel->maps.call_stats), sizeof(uint64_t),
			       sizeof(struct st_call_stat), sum_call, &w);
}

int loader_read_walk_stats(const struct loader *l, struct st_walk_stat out[ST_WALK_STAT_N])
{
	int fd = bpf_map__fd(l->skel->maps.walk_stats);

	for (uint32_t k = 0; k < ST_WALK_STAT_N; k++) {
		int ncpu, e = 0;
		char *vals = percpu_lookup(fd, &k, sizeof(*out), false, &ncpu, &e);

		percpu_sum(&out[k], sizeof(*out), vals, vals ? ncpu : 0, add_walk_stat);
		free(vals);
		if (e)
			return e;
	}
	return 0;
}

int loader_stack(const struct loader *l, int id, uint64_t *ips, int max)
{
	uint64_t raw[ST_STACK_DEPTH];
	uint32_t key = (uint32_t)id;
	int n = 0, first = -1;

	if (id < 0 || !l->opts.stacks)
		return -ENOENT;
	if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.walk_stacks), &key, raw))
		return -errno;
	/* the stack starts in shrinktrace's program and the trampoline (fentry)
	 * or kprobe handler: keep what lies beyond shrink_slab()'s own frame */
	for (int i = 0; i < ST_STACK_DEPTH && raw[i]; i++) {
		const struct ksym *s = ksyms_lookup(l->ks, raw[i]);

		if (s && !strcmp(s->name, "shrink_slab"))
			first = i + 1;
	}
	if (first < 0)		/* kprobe: the probed ip may be shrink_slab+0 only */
		first = 0;
	for (int i = first; i < ST_STACK_DEPTH && raw[i] && n < max; i++)
		ips[n++] = raw[i];
	return n;
}

void loader_symbolise(const struct loader *l, uint64_t ip, char *buf, size_t len)
{
	const struct ksym *s = ksyms_lookup(l->ks, ip);

	if (!s)
		snprintf(buf, len, "0x%" PRIx64, ip);
	else if (s->addr == ip)
		snprintf(buf, len, "%s", s->name);
	else
		snprintf(buf, len, "%s+0x%" PRIx64, s->name, ip - s->addr);
}

struct task_walk {
	loader_task_stat_fn fn;
	void *ctx;
};

static void sum_task(const void *key, const char *vals, int ncpu, void *ctx)
{
	struct task_walk *w = ctx;
	struct st_task_stat sum;

	percpu_sum(&sum, sizeof(sum), vals, ncpu, add_task_stat);
	w->fn(*(const uint32_t *)key, &sum, w->ctx);
}

int loader_read_task_stats(const struct loader *l, loader_task_stat_fn fn, void *ctx)
{
	struct task_walk w = { fn, ctx };

	return for_each_percpu(bpf_map__fd(l->skel->maps.task_stats), sizeof(uint32_t),
			       sizeof(struct st_task_stat), sum_task, &w);
}

int loader_take_call_stats(const struct loader *l, uint64_t shrinker, struct st_call_stat *out)
{
	int ncpu, e = 0;
	char *vals = percpu_lookup(bpf_map__fd(l->skel->maps.call_stats), &shrinker, sizeof(*out),
				   true, &ncpu, &e);

	percpu_sum(out, sizeof(*out), vals, vals ? ncpu : 0, add_call_stat);
	free(vals);
	return e;
}

uint64_t loader_recursion_misses(const struct loader *l)
{
	struct bpf_program *p;
	uint64_t sum = 0;

	bpf_object__for_each_program(p, l->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		memset(&info, 0, sizeof(info));
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
}

int loader_memcg_id(const struct loader *l, uint64_t memcg, uint64_t *id)
{
	__u64 args[1] = { memcg };
	LIBBPF_OPTS(bpf_test_run_opts, topts, .ctx_in = args, .ctx_size_in = sizeof(args));
	int fd = bpf_program__fd(l->skel->progs.memcg_id_of);

	if (fd < 0)
		return -ENOENT;
	if (bpf_prog_test_run_opts(fd, &topts))
		return -errno;
	*id = l->skel->bss->memcg_id_out;
	return *id ? 0 : -ENOENT;
}

int loader_shrinker_list_offset(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_member *m;
	const struct btf_type *t;
	int id, off = -1;

	if (!btf)
		return -1;
	id = btf__find_by_name_kind(btf, "shrinker", BTF_KIND_STRUCT);
	if (id > 0) {
		t = btf__type_by_id(btf, (__u32)id);
		m = btf_members(t);
		for (int i = 0; i < btf_vlen(t); i++, m++) {
			const char *name = btf__name_by_offset(btf, m->name_off);

			if (name && !strcmp(name, "list")) {
				off = (int)(btf_member_bit_offset(t, (__u32)i) / 8);
				break;
			}
		}
	}
	btf__free(btf);
	return off;
}

uint64_t loader_lost_total(const struct loader *l)
{
	return read_drops(l, false);
}

uint64_t loader_take_pending_lost(struct loader *l)
{
	return read_drops(l, true);
}
