// SPDX-License-Identifier: GPL-2.0
/*
 * shrinker_lab - test module for the shrinktrace real-kernel lab (tools/lab/run).
 *
 * Registers two shrinkers of its own, A ("lab-a", scan_objects lab_a_scan) and B ("lab-b",
 * lab_b_scan), registered back to back so that on shrinker_list B is A's successor, and
 * provokes on command what shrinktrace must see or flag. Control file
 * /sys/kernel/debug/shrinker_lab/cmd takes:
 *
 *   setup MODE   register A and B (fresh) and arm A's next scan_objects for MODE
 *   run          perform MODE (for modes that need a walker, the caller has started one, e.g.
 *                `echo 2 > /proc/sys/vm/drop_caches &`; run waits until it is in A's scan)
 *   finish       undo what MODE left, free whatever is still registered, rcu_barrier()
 *   barrier      rcu_barrier() (so that queued RCU frees have run)
 *
 * MODEs:
 *   control  A's scan_objects is reached by the walk and behaves; no violation expected
 *   slow     A's scan_objects sleeps 200 ms while a kthread frees A: the free waits for it
 *   blocked  A's scan_objects blocks until released; a kthread calls shrinker_free(A), which
 *            is stuck on the walker's reference (before 6.7: unregister_shrinker(A), stuck on
 *            shrinker_rwsem, which the walker holds for reading); 2.5 s later A is released
 *   leak     a leaked reference on A (refcount_inc, no put), then a kthread frees A: stuck
 *            with no walker; 2.5 s later the reference is dropped (6.7+)
 *   unlink   the hazard of the original review (6.7+): while the walker is inside A's
 *            scan_objects, A is unlinked with list_del_rcu() (as a shrinker_free() that did
 *            not wait for references would), B (A's successor) is freed with the real
 *            shrinker_free() while an RCU reader on the other CPU holds the grace period off
 *            (B is queued, not yet freed), then the walker resumes and steps from A to B.
 *            finish relinks A to itself before freeing it and releases the reader.
 *   detail   A's callbacks take known times and say what they saw, for the tracer's per-call
 *            detail (count, deferred work, scanned, count/scan time) to be checked against:
 *            count_objects() sleeps DETAIL_COUNT_MS, reads A's nr_deferred (the value
 *            do_shrink_slab() takes next) and returns 1000 + 8 k for its k-th call (0 when
 *            k % 5 == 3); scan_objects() (batch DETAIL_BATCH) sleeps DETAIL_SCAN_MS per batch,
 *            reports 3/4 of nr_to_scan as nr_scanned and frees 1 (SHRINK_STOP in the third
 *            batch of a call with k % 5 == 2). Walks are the caller's (drop_caches); .../calls
 *            lists every call, each timed with ktime_get_ns() (CLOCK_MONOTONIC, the log's ts)
 *   race     the real race, for our own kernel (tools/lab/race, 6.7+): the walker (a real
 *            shrink_slab(), started by the caller) sits in A's scan_objects, outside the RCU
 *            read-side section and holding the reference shrinker_try_get() took; a kthread
 *            calls the real shrinker_free(A) (stock: waits for the walker; patched kernel:
 *            unlinks A first, then waits); once it has dropped A's initial reference, a
 *            second kthread calls the real shrinker_free(B) on A's successor and run waits
 *            for B's RCU free (rcu_barrier()); then the walker is released and the real
 *            shrink_slab() resumes from A (on the patched kernel onto the freed B: KASAN).
 *            Markers with both clocks (CLOCK_MONOTONIC and local_clock(), the printk clock)
 *            go to the console (pr_warn) so that KASAN reports can be put on the log's time.
 *
 * /sys/kernel/debug/shrinker_lab/result reports what happened (pids, addresses, timings);
 * .../calls the calls detail recorded, one line each (see detail_show());
 * .../list prints the kernel's shrinker_list (address, scan/count symbols), for diagnosis.
 * On kernels before 6.7 (register_shrinker()/unregister_shrinker(), walk under
 * shrinker_rwsem) leak and unlink do not apply.
 */
#include <linux/module.h>
#include <linux/version.h>
#include <linux/shrinker.h>
#include <linux/debugfs.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/rculist.h>
#include <linux/kprobes.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/seq_file.h>
#include <linux/rwsem.h>
#include <linux/poison.h>
#include <linux/sched/clock.h>

#define LAB_REFCOUNTED (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0))
#define LAB_NOBJ 512

enum lab_mode { M_NONE, M_CONTROL, M_SLOW, M_BLOCKED, M_LEAK, M_UNLINK, M_RACE, M_DETAIL };
static const char *const mode_names[] = { "none", "control", "slow", "blocked", "leak", "unlink",
					   "race", "detail" };

struct lab_shrinker {
	const char *name;
	struct shrinker *s;
#if !LAB_REFCOUNTED
	struct shrinker embedded;
#endif
	atomic_long_t nobj;
	atomic_t scans;
	bool registered;
};
static struct lab_shrinker lab_a = { .name = "lab-a" }, lab_b = { .name = "lab-b" };

static DEFINE_MUTEX(lab_lock);		/* one command at a time */
static enum lab_mode mode;
static atomic_t a_armed;		/* A's next scan_objects does MODE */
static atomic_t a_scan_returned;
static DECLARE_COMPLETION(a_scan_started);
static DECLARE_COMPLETION(a_release);
static pid_t walker_pid;
static s64 scan_ns;			/* how long A's armed scan_objects took */
static unsigned long a_addr, b_addr, a_next;
static bool a_next_was_b;
static char result[1024];

/*
 * race: one iteration's facts. Clock pairs are (CLOCK_MONOTONIC, local_clock()) read back to
 * back: the tracer's ts is CLOCK_MONOTONIC, a printk timestamp is local_clock(); local is the
 * midpoint of two local_clock() reads around the monotonic one, err their distance.
 */
struct clock_pair {
	s64 mono, local, err;
	int cpu;
};
static struct {
	int iter;
	bool a_unlinked;		/* A's list.prev was LIST_POISON2 when B was freed */
	bool b_freed;			/* shrinker_free(B) returned and rcu_barrier() ran */
	unsigned long a_next;		/* A's list.next then */
	struct clock_pair begin, release, ret, end;
} race;

static void clock_pair(struct clock_pair *p)
{
	u64 l0, l1;

	preempt_disable();
	p->cpu = smp_processor_id();
	l0 = local_clock();
	p->mono = ktime_get_ns();
	l1 = local_clock();
	preempt_enable();
	p->local = l0 + (l1 - l0) / 2;
	p->err = l1 - l0;
}

static struct mutex *shrinker_mutex_p;	/* not exported: looked up through kallsyms */
static struct list_head *shrinker_list_p;
#if !LAB_REFCOUNTED
static struct rw_semaphore *shrinker_rwsem_p;
#endif

/*
 * detail: what A's callbacks saw of each do_shrink_slab() call on A. A call is begun by
 * count_objects() (a slot of its own); the scan_objects() batches that follow in the same task
 * are added to it. Times are ktime_get_ns(): CLOCK_MONOTONIC, the tracer's clock.
 */
/* Long enough that a pause between the tracer's clock read and the module's stays well inside
 * 10%: an interrupt with its softirq work (the RCU callbacks of what drop_caches freed) between
 * count_objects()'s return and mm_shrink_slab_start took 1.7 ms under TCG, and a busy host can
 * stop a vCPU for longer (a guest reported "hrtimer: interrupt took 34416527 ns"). */
#define DETAIL_COUNT_MS 100
#define DETAIL_SCAN_MS 40
#define DETAIL_BATCH 256
#define DETAIL_CALLS 64
#define DETAIL_BATCHES 24

struct detail_batch {
	unsigned long nr_to_scan;	/* as do_shrink_slab() set it */
	unsigned long nr_scanned;	/* as A left it */
	unsigned long ret;		/* what A returned (SHRINK_STOP included) */
	s64 ns;				/* A's own time in this scan_objects() */
};
static struct detail_call {
	pid_t pid;
	s64 t0;				/* count_objects() entry */
	long deferred;			/* A's nr_deferred[0] then: the kernel takes it next */
	unsigned long count;		/* what count_objects() returned */
	s64 count_ns;			/* A's own time in count_objects() */
	int batches;			/* scan_objects() calls (at most DETAIL_BATCHES kept) */
	struct detail_batch b[DETAIL_BATCHES];
} dcalls[DETAIL_CALLS];
static atomic_t dcall_n;		/* calls begun (those past DETAIL_CALLS are not kept) */
static long detail_final_deferred = -1;	/* A's nr_deferred[0] at finish */
static DEFINE_SPINLOCK(detail_lock);

/* non-NUMA, non-memcg-aware A: do_shrink_slab() takes shrinker->nr_deferred[0] (6.1 and 6.7+) */
static long detail_deferred(struct shrinker *s)
{
	return s->nr_deferred ? atomic_long_read(&s->nr_deferred[0]) : -1;
}

static unsigned long detail_count(struct shrinker *s)
{
	s64 t0 = ktime_get_ns();
	long deferred = detail_deferred(s);
	int k = atomic_inc_return(&dcall_n) - 1;
	unsigned long count = k % 5 == 3 ? 0 : 1000 + 8 * k;

	if (k >= DETAIL_CALLS)
		return 0;
	msleep(DETAIL_COUNT_MS);
	spin_lock(&detail_lock);
	dcalls[k].pid = current->pid;
	dcalls[k].t0 = t0;
	dcalls[k].deferred = deferred;
	dcalls[k].count = count;
	dcalls[k].batches = 0;
	dcalls[k].count_ns = ktime_get_ns() - t0;
	spin_unlock(&detail_lock);
	return count;
}

/* this task's latest call */
static struct detail_call *detail_mine(void)
{
	int k = min(atomic_read(&dcall_n), DETAIL_CALLS);

	while (k-- > 0)
		if (dcalls[k].pid == current->pid)
			return &dcalls[k];
	return NULL;
}

static unsigned long detail_scan(struct shrink_control *sc)
{
	s64 t0 = ktime_get_ns();
	unsigned long to_scan = sc->nr_to_scan, ret;
	struct detail_call *c;
	int i;

	msleep(DETAIL_SCAN_MS);
	spin_lock(&detail_lock);
	c = detail_mine();
	i = c ? c->batches : 0;
	ret = c && (c - dcalls) % 5 == 2 && i == 2 ? SHRINK_STOP : 1;
	sc->nr_scanned = to_scan * 3 / 4;
	if (c && i < DETAIL_BATCHES) {
		c->b[i].nr_to_scan = to_scan;
		c->b[i].nr_scanned = sc->nr_scanned;
		c->b[i].ret = ret;
		c->b[i].ns = ktime_get_ns() - t0;
	}
	if (c)
		c->batches++;
	spin_unlock(&detail_lock);
	return ret;
}

/* /sys/kernel/debug/shrinker_lab/calls: one line per call of detail mode,
 *   call=K pid=P t0=NS deferred=D count=C count_ns=NS batches=N b=TO/SCANNED/RET/NS,...
 * RET is "stop" for SHRINK_STOP. */
static int detail_show(struct seq_file *m, void *v)
{
	int n = min(atomic_read(&dcall_n), DETAIL_CALLS);

	for (int k = 0; k < n; k++) {
		struct detail_call *c = &dcalls[k];

		seq_printf(m, "call=%d pid=%d t0=%lld deferred=%ld count=%lu count_ns=%lld batches=%d b=",
			   k, c->pid, c->t0, c->deferred, c->count, c->count_ns, c->batches);
		for (int i = 0; i < min(c->batches, DETAIL_BATCHES); i++) {
			seq_printf(m, "%s%lu/%lu/", i ? "," : "", c->b[i].nr_to_scan, c->b[i].nr_scanned);
			if (c->b[i].ret == SHRINK_STOP)
				seq_puts(m, "stop");
			else
				seq_printf(m, "%lu", c->b[i].ret);
			seq_printf(m, "/%lld", c->b[i].ns);
		}
		seq_putc(m, '\n');
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(detail);

/* ---- shrinker callbacks ---------------------------------------------------------------- */
static unsigned long lab_count(struct lab_shrinker *ls)
{
	long n = atomic_long_read(&ls->nobj);

	return n > 0 ? n : 0;
}

static unsigned long lab_free_some(struct lab_shrinker *ls, struct shrink_control *sc)
{
	unsigned long n = min_t(unsigned long, sc->nr_to_scan, lab_count(ls));

	atomic_long_sub(n, &ls->nobj);
	atomic_inc(&ls->scans);
	return n;
}

static unsigned long lab_a_count(struct shrinker *s, struct shrink_control *sc)
{
	if (mode == M_DETAIL)
		return detail_count(s);
	return lab_count(&lab_a);
}

static unsigned long lab_b_count(struct shrinker *s, struct shrink_control *sc)
{
	return lab_count(&lab_b);
}

static noinline unsigned long lab_a_scan(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long freed;
	ktime_t t0;

	if (mode == M_DETAIL)
		return detail_scan(sc);
	if (atomic_cmpxchg(&a_armed, 1, 0) != 1)
		return lab_free_some(&lab_a, sc);

	walker_pid = current->pid;
	t0 = ktime_get();
	freed = lab_free_some(&lab_a, sc);
	complete(&a_scan_started);
	switch (mode) {
	case M_SLOW:
		msleep(200);
		break;
	case M_BLOCKED:
	case M_UNLINK:
	case M_RACE:
		if (!wait_for_completion_timeout(&a_release, 60 * HZ))
			pr_warn("shrinker_lab: A was never released, going on\n");
		freed = SHRINK_STOP;
		break;
	default:
		break;
	}
	scan_ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	atomic_set(&a_scan_returned, 1);
	if (mode == M_RACE)
		clock_pair(&race.ret);	/* the last thing before the walker resumes */
	return freed;
}

static noinline unsigned long lab_b_scan(struct shrinker *s, struct shrink_control *sc)
{
	return lab_free_some(&lab_b, sc);
}

/* ---- register / free, both APIs ----------------------------------------------------------- */
static int lab_create(struct lab_shrinker *ls,
		      unsigned long (*count)(struct shrinker *, struct shrink_control *),
		      unsigned long (*scan)(struct shrinker *, struct shrink_control *))
{
	struct shrinker *s;

	if (ls->registered)
		return -EBUSY;
#if LAB_REFCOUNTED
	s = shrinker_alloc(0, "%s", ls->name);
	if (!s)
		return -ENOMEM;
#else
	memset(&ls->embedded, 0, sizeof(ls->embedded));
	s = &ls->embedded;
#endif
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	s->batch = mode == M_DETAIL && ls == &lab_a ? DETAIL_BATCH : 0;
	atomic_long_set(&ls->nobj, LAB_NOBJ);
	atomic_set(&ls->scans, 0);
	ls->s = s;
#if LAB_REFCOUNTED
	shrinker_register(s);
#else
	{
		int err = register_shrinker(s, "%s", ls->name);

		if (err)
			return err;
	}
#endif
	ls->registered = true;
	return 0;
}

static void lab_destroy(struct lab_shrinker *ls)
{
	if (!ls->registered)
		return;
	ls->registered = false;
#if LAB_REFCOUNTED
	shrinker_free(ls->s);
#else
	unregister_shrinker(ls->s);
#endif
}

/* ---- helper threads ------------------------------------------------------------------------ */
/* A kthread that frees one shrinker (lab_destroy: the real shrinker_free()). */
struct lab_freer {
	const char *comm;
	struct lab_shrinker *ls;
	struct completion done;
	bool running;			/* started, done not yet waited for */
	pid_t pid;
	s64 ns;				/* how long its free took */
};
static struct lab_freer freer = { .comm = "lab-freer" };	/* frees A (B in none) */
static struct lab_freer freer_b = { .comm = "lab-freer-b" };	/* race: frees B */

static int freer_fn(void *data)
{
	struct lab_freer *f = data;
	ktime_t t0 = ktime_get();

	f->pid = current->pid;
	lab_destroy(f->ls);
	f->ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	complete(&f->done);
	return 0;
}

static int start_freer_on(struct lab_freer *f, struct lab_shrinker *ls)
{
	struct task_struct *t;

	reinit_completion(&f->done);
	f->ls = ls;
	f->pid = 0;
	f->ns = 0;
	t = kthread_run(freer_fn, f, f->comm);
	if (IS_ERR(t))
		return PTR_ERR(t);
	f->running = true;
	return 0;
}

static int start_freer(struct lab_shrinker *ls)
{
	return start_freer_on(&freer, ls);
}

/* wait for a started freer; 0, or -ETIMEDOUT (it stays marked running) */
static int wait_freer(struct lab_freer *f, unsigned long timeout)
{
	if (!f->running)
		return 0;
	if (!wait_for_completion_timeout(&f->done, timeout))
		return -ETIMEDOUT;
	f->running = false;
	return 0;
}

static bool reader_timed_out;

#if LAB_REFCOUNTED
static bool reader_running;
/* An RCU reader that holds the grace period off until released (at most 15 s). */
static DECLARE_COMPLETION(reader_in);
static DECLARE_COMPLETION(reader_done);
static atomic_t reader_release;

static int reader_fn(void *data)
{
	unsigned long deadline = jiffies + 15 * HZ;

	rcu_read_lock();
	complete(&reader_in);
	while (!atomic_read(&reader_release) && time_before(jiffies, deadline))
		cpu_relax();
	reader_timed_out = !atomic_read(&reader_release);
	rcu_read_unlock();
	complete(&reader_done);
	return 0;
}

static int start_reader(int not_cpu)
{
	struct task_struct *t;
	int cpu;

	reinit_completion(&reader_in);
	reinit_completion(&reader_done);
	atomic_set(&reader_release, 0);
	reader_timed_out = false;
	t = kthread_create(reader_fn, NULL, "lab-rcu-reader");
	if (IS_ERR(t))
		return PTR_ERR(t);
	for_each_online_cpu(cpu) {
		if (cpu != not_cpu) {
			kthread_bind(t, cpu);
			break;
		}
	}
	wake_up_process(t);
	wait_for_completion(&reader_in);
	reader_running = true;
	return 0;
}

static void stop_reader(void)
{
	if (!reader_running)
		return;
	atomic_set(&reader_release, 1);
	wait_for_completion(&reader_done);
	reader_running = false;
}

#else
static void stop_reader(void) { }
#endif

static unsigned long lookup_symbol(const char *name)
{
	static unsigned long (*kln)(const char *name);

	if (!kln) {
		struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };

		if (register_kprobe(&kp) < 0)
			return 0;
		kln = (void *)kp.addr;
		unregister_kprobe(&kp);
	}
	return kln ? kln(name) : 0;
}

/* ---- commands -------------------------------------------------------------------------- */
static int cmd_setup(enum lab_mode m)
{
	int err;

#if !LAB_REFCOUNTED
	if (m == M_LEAK || m == M_UNLINK || m == M_RACE)	/* no refcount; unregister waits */
		return -EOPNOTSUPP;
#endif
	if (lab_a.registered || lab_b.registered || freer.running || freer_b.running)
		return -EBUSY;
	mode = m;
	walker_pid = freer.pid = freer_b.pid = 0;
	freer.ns = freer_b.ns = scan_ns = 0;
	a_addr = b_addr = a_next = 0;
	a_next_was_b = false;
	atomic_set(&a_scan_returned, 0);
	atomic_set(&dcall_n, 0);
	memset(dcalls, 0, sizeof(dcalls));
	detail_final_deferred = -1;
	reinit_completion(&a_scan_started);
	reinit_completion(&a_release);
	err = lab_create(&lab_a, lab_a_count, lab_a_scan);
	if (err)
		return err;
	err = lab_create(&lab_b, lab_b_count, lab_b_scan);
	if (err) {
		lab_destroy(&lab_a);
		return err;
	}
	a_addr = (unsigned long)lab_a.s;
	b_addr = (unsigned long)lab_b.s;
	a_next = (unsigned long)lab_a.s->list.next;
	a_next_was_b = lab_a.s->list.next == &lab_b.s->list;
	if (m == M_RACE) {
		int iter = race.iter + 1;

		memset(&race, 0, sizeof(race));
		race.iter = iter;
		clock_pair(&race.begin);
		pr_warn("shrinker_lab: race iter=%d begin a=0x%lx b=0x%lx mono_ns=%lld local_ns=%lld\n",
			race.iter, a_addr, b_addr, race.begin.mono, race.begin.local);
	}
	atomic_set(&a_armed, m == M_LEAK ? 0 : 1);
	return 0;
}

static int wait_walker(void)
{
	if (!wait_for_completion_timeout(&a_scan_started, 20 * HZ)) {
		pr_err("shrinker_lab: no walk reached lab-a within 20 s\n");
		return -ETIMEDOUT;
	}
	return 0;
}

static int cmd_run(void)
{
	int err = 0;

	switch (mode) {
	case M_CONTROL:
		return wait_walker();
	case M_DETAIL:
		return 0;	/* the caller walks (drop_caches) */
	case M_SLOW:
		err = wait_walker();
		if (err)
			return err;
		err = start_freer(&lab_a);
		if (!err)
			wait_freer(&freer, MAX_SCHEDULE_TIMEOUT);
		return err;
	case M_BLOCKED:
		err = wait_walker();
		if (err)
			return err;
		err = start_freer(&lab_a);
		msleep(2500);
		complete(&a_release);
		if (!err)
			wait_freer(&freer, MAX_SCHEDULE_TIMEOUT);
		return err;
#if LAB_REFCOUNTED
	case M_LEAK:
		refcount_inc(&lab_a.s->refcount);		/* the leak */
		err = start_freer(&lab_a);
		msleep(2500);
		shrinker_put(lab_a.s);				/* found and dropped */
		if (!err)
			wait_freer(&freer, MAX_SCHEDULE_TIMEOUT);
		return err;
	case M_UNLINK:
		if (!a_next_was_b) {
			pr_err("shrinker_lab: B is not A's successor (next %lx)\n", a_next);
			return -EAGAIN;
		}
		err = wait_walker();
		if (err)
			return err;
		/* The walker is inside A's scan_objects and holds a reference on A. */
		if (shrinker_mutex_p)
			mutex_lock(shrinker_mutex_p);
		list_del_rcu(&lab_a.s->list);			/* A unlinked under the walker */
		if (shrinker_mutex_p)
			mutex_unlock(shrinker_mutex_p);
		err = start_reader(task_cpu(current));
		if (err) {
			complete(&a_release);
			return err;
		}
		lab_destroy(&lab_b);				/* real shrinker_free(B): queued */
		complete(&a_release);				/* walker resumes: A -> B */
		/* give it time to step past A; finish runs after the walk has ended */
		msleep(300);
		return 0;
	case M_RACE: {
		unsigned long deadline;

		if (!a_next_was_b) {
			pr_err("shrinker_lab: B is not A's successor (next %lx)\n", a_next);
			return -EAGAIN;
		}
		err = wait_walker();
		if (err)
			return err;
		/*
		 * The walker is inside A's scan_objects: shrink_slab() took its reference with
		 * shrinker_try_get() and left the RCU read-side section before do_shrink_slab().
		 * The real shrinker_free(A), by another thread:
		 */
		err = start_freer_on(&freer, &lab_a);
		if (err)
			return err;	/* finish releases the walker */
		/*
		 * It drops the initial reference, then waits for ours (wait_for_completion):
		 * wait until only the walker's reference is left. The patched kernel has
		 * unlinked A (list_del_rcu) before that put; the stock kernel unlinks after.
		 */
		deadline = jiffies + 10 * HZ;
		while (refcount_read(&lab_a.s->refcount) > 1 && time_before(jiffies, deadline))
			msleep(1);
		if (refcount_read(&lab_a.s->refcount) != 1) {
			pr_err("shrinker_lab: race: shrinker_free(A) did not drop its reference (refcount %u)\n",
			       refcount_read(&lab_a.s->refcount));
			return -ETIMEDOUT;
		}
		race.a_unlinked = READ_ONCE(lab_a.s->list.prev) == LIST_POISON2;
		race.a_next = (unsigned long)READ_ONCE(lab_a.s->list.next);
		/* a third thread frees B, A's successor, with the real shrinker_free() ... */
		err = start_freer_on(&freer_b, &lab_b);
		if (err)
			return err;
		wait_freer(&freer_b, MAX_SCHEDULE_TIMEOUT);	/* not stuck: no one holds B */
		/* ... and its RCU callback (shrinker_free_rcu_cb: kfree) runs */
		rcu_barrier();
		race.b_freed = true;
		clock_pair(&race.release);
		pr_warn("shrinker_lab: race iter=%d release walker=%d a_unlinked=%d a_next=0x%lx mono_ns=%lld local_ns=%lld\n",
			race.iter, walker_pid, race.a_unlinked, race.a_next, race.release.mono,
			race.release.local);
		complete(&a_release);		/* the real shrink_slab() resumes from A */
		/* shrinker_free(A) returns once the walker has put its reference */
		err = wait_freer(&freer, 20 * HZ);
		if (err)
			pr_err("shrinker_lab: race: shrinker_free(A) still waits 20 s after the release\n");
		return err;
	}
#endif
	default:
		return -EINVAL;
	}
}

static int cmd_finish(void)
{
	if (mode == M_UNLINK && lab_a.registered) {
		/*
		 * A is off the list (prev poisoned): relink it to itself so that the real
		 * shrinker_free()'s list_del_rcu() is harmless, then let the grace period end.
		 */
		if (shrinker_mutex_p)
			mutex_lock(shrinker_mutex_p);
		INIT_LIST_HEAD(&lab_a.s->list);
		if (shrinker_mutex_p)
			mutex_unlock(shrinker_mutex_p);
	}
	stop_reader();
	if (mode == M_DETAIL && lab_a.registered)
		detail_final_deferred = detail_deferred(lab_a.s);
	complete(&a_release);		/* in case a walker still waits */
	if (wait_freer(&freer, 30 * HZ) || wait_freer(&freer_b, 30 * HZ))
		pr_err("shrinker_lab: a freer is still running 30 s after the release\n");
	lab_destroy(&lab_a);
	lab_destroy(&lab_b);
	rcu_barrier();
	if (mode == M_RACE) {
		clock_pair(&race.end);
		pr_warn("shrinker_lab: race iter=%d end mono_ns=%lld local_ns=%lld\n",
			race.iter, race.end.mono, race.end.local);
		scnprintf(result, sizeof(result),
			  "iter=%d mode=race walker_pid=%d freer_pid=%d freer_b_pid=%d a=0x%lx b=0x%lx "
			  "a_next_was_b=%d a_unlinked=%d a_next=0x%lx b_freed=%d scan_ms=%lld "
			  "free_a_ms=%lld a_scans=%d b_scans=%d "
			  "begin_mono=%lld begin_local=%lld begin_err=%lld "
			  "release_mono=%lld release_local=%lld release_err=%lld "
			  "ret_mono=%lld ret_local=%lld ret_err=%lld ret_cpu=%d "
			  "end_mono=%lld end_local=%lld end_err=%lld\n",
			  race.iter, walker_pid, freer.pid, freer_b.pid, a_addr, b_addr, a_next_was_b,
			  race.a_unlinked, race.a_next, race.b_freed, scan_ns / NSEC_PER_MSEC,
			  freer.ns / NSEC_PER_MSEC, atomic_read(&lab_a.scans),
			  atomic_read(&lab_b.scans), race.begin.mono, race.begin.local, race.begin.err,
			  race.release.mono, race.release.local, race.release.err, race.ret.mono,
			  race.ret.local, race.ret.err, race.ret.cpu, race.end.mono, race.end.local,
			  race.end.err);
		pr_info("shrinker_lab: %s", result);
		mode = M_NONE;
		return 0;
	}
	if (mode == M_DETAIL) {
		scnprintf(result, sizeof(result),
			  "mode=detail a=0x%lx b=0x%lx calls=%d kept=%d final_deferred=%ld "
			  "count_ms=%d scan_ms=%d batch=%d\n",
			  a_addr, b_addr, atomic_read(&dcall_n), min(atomic_read(&dcall_n), DETAIL_CALLS),
			  detail_final_deferred, DETAIL_COUNT_MS, DETAIL_SCAN_MS, DETAIL_BATCH);
		pr_info("shrinker_lab: %s", result);
		mode = M_NONE;
		return 0;
	}
	scnprintf(result, sizeof(result),
		  "mode=%s walker_pid=%d freer_pid=%d a=0x%lx b=0x%lx a_next_was_b=%d "
		  "scan_ms=%lld free_ms=%lld a_scans=%d b_scans=%d reader_timed_out=%d "
		  "shrinker_mutex=%s\n",
		  mode_names[mode], walker_pid, freer.pid, a_addr, b_addr, a_next_was_b,
		  scan_ns / NSEC_PER_MSEC, freer.ns / NSEC_PER_MSEC, atomic_read(&lab_a.scans),
		  atomic_read(&lab_b.scans), reader_timed_out, shrinker_mutex_p ? "found" : "none");
	pr_info("shrinker_lab: %s", result);
	mode = M_NONE;
	return 0;
}

static ssize_t cmd_write(struct file *f, const char __user *ubuf, size_t len, loff_t *ppos)
{
	char buf[64], *p;
	int err = -EINVAL, i;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	p = strim(buf);

	mutex_lock(&lab_lock);
	if (!strncmp(p, "setup ", 6)) {
		for (i = M_CONTROL; i <= M_DETAIL; i++)
			if (!strcmp(strim(p + 6), mode_names[i]))
				err = cmd_setup(i);
	} else if (!strcmp(p, "run")) {
		err = cmd_run();
	} else if (!strcmp(p, "finish")) {
		err = cmd_finish();
	} else if (!strcmp(p, "barrier")) {
		rcu_barrier();
		err = 0;
	}
	mutex_unlock(&lab_lock);
	if (err)
		pr_err("shrinker_lab: '%s': error %d\n", p, err);
	return err ? err : len;
}

static ssize_t result_read(struct file *f, char __user *ubuf, size_t len, loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, result, strlen(result));
}

/* /sys/kernel/debug/shrinker_lab/list: the kernel's shrinker_list, with callback symbols */
static int list_show(struct seq_file *m, void *v)
{
	struct shrinker *s;

	if (!shrinker_list_p) {
		seq_puts(m, "shrinker_list not found\n");
		return 0;
	}
#if LAB_REFCOUNTED
	rcu_read_lock();
	list_for_each_entry_rcu(s, shrinker_list_p, list)
		seq_printf(m, "0x%lx list=0x%lx scan=%ps count=%ps flags=0x%x refcount=%u\n",
			   (unsigned long)s, (unsigned long)&s->list, s->scan_objects,
			   s->count_objects, s->flags, refcount_read(&s->refcount));
	rcu_read_unlock();
#else
	if (!shrinker_rwsem_p)
		return 0;
	down_read(shrinker_rwsem_p);
	list_for_each_entry(s, shrinker_list_p, list)
		seq_printf(m, "0x%lx list=0x%lx scan=%ps count=%ps flags=0x%x\n",
			   (unsigned long)s, (unsigned long)&s->list, s->scan_objects,
			   s->count_objects, s->flags);
	up_read(shrinker_rwsem_p);
#endif
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(list);

static const struct file_operations cmd_fops = { .owner = THIS_MODULE, .write = cmd_write };
static const struct file_operations result_fops = { .owner = THIS_MODULE, .read = result_read };
static struct dentry *dir;

static int __init lab_init(void)
{
	init_completion(&freer.done);
	init_completion(&freer_b.done);
	shrinker_mutex_p = (struct mutex *)lookup_symbol("shrinker_mutex");
	shrinker_list_p = (struct list_head *)lookup_symbol("shrinker_list");
#if !LAB_REFCOUNTED
	shrinker_rwsem_p = (struct rw_semaphore *)lookup_symbol("shrinker_rwsem");
#endif
	dir = debugfs_create_dir("shrinker_lab", NULL);
	if (IS_ERR_OR_NULL(dir))
		return -ENODEV;
	debugfs_create_file("cmd", 0200, dir, NULL, &cmd_fops);
	debugfs_create_file("result", 0400, dir, NULL, &result_fops);
	debugfs_create_file("list", 0400, dir, NULL, &list_fops);
	debugfs_create_file("calls", 0400, dir, NULL, &detail_fops);
	pr_info("shrinker_lab: loaded (%s API, shrinker_mutex %s)\n",
		LAB_REFCOUNTED ? "shrinker_alloc" : "register_shrinker",
		shrinker_mutex_p ? "found" : "not found");
	return 0;
}

static void __exit lab_exit(void)
{
	debugfs_remove_recursive(dir);
	mutex_lock(&lab_lock);
	cmd_finish();
	mutex_unlock(&lab_lock);
}

module_init(lab_init);
module_exit(lab_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("shrinktrace lab: shrinkers that misbehave on command");
