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
 *
 * /sys/kernel/debug/shrinker_lab/result reports what happened (pids, addresses, timings);
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

#define LAB_REFCOUNTED (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0))
#define LAB_NOBJ 512

enum lab_mode { M_NONE, M_CONTROL, M_SLOW, M_BLOCKED, M_LEAK, M_UNLINK };
static const char *const mode_names[] = { "none", "control", "slow", "blocked", "leak", "unlink" };

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
static pid_t walker_pid, freer_pid;
static s64 free_ns;			/* how long the freer's free took */
static s64 scan_ns;			/* how long A's armed scan_objects took */
static unsigned long a_addr, b_addr, a_next;
static bool a_next_was_b;
static char result[768];

static struct mutex *shrinker_mutex_p;	/* not exported: looked up through kallsyms */
static struct list_head *shrinker_list_p;
#if !LAB_REFCOUNTED
static struct rw_semaphore *shrinker_rwsem_p;
#endif

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
		if (!wait_for_completion_timeout(&a_release, 60 * HZ))
			pr_warn("shrinker_lab: A was never released, going on\n");
		freed = SHRINK_STOP;
		break;
	default:
		break;
	}
	scan_ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	atomic_set(&a_scan_returned, 1);
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
	s->batch = 0;
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
static DECLARE_COMPLETION(freer_done);

static int freer_fn(void *data)
{
	ktime_t t0 = ktime_get();

	freer_pid = current->pid;
	lab_destroy(data);
	free_ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	complete(&freer_done);
	return 0;
}

static int start_freer(struct lab_shrinker *ls)
{
	struct task_struct *t;

	reinit_completion(&freer_done);
	t = kthread_run(freer_fn, ls, "lab-freer");
	return IS_ERR(t) ? PTR_ERR(t) : 0;
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
	if (m == M_LEAK || m == M_UNLINK)	/* no refcount; unregister waits for walkers */
		return -EOPNOTSUPP;
#endif
	if (lab_a.registered || lab_b.registered)
		return -EBUSY;
	mode = m;
	walker_pid = freer_pid = 0;
	free_ns = scan_ns = 0;
	a_addr = b_addr = a_next = 0;
	a_next_was_b = false;
	atomic_set(&a_scan_returned, 0);
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
	case M_SLOW:
		err = wait_walker();
		if (err)
			return err;
		err = start_freer(&lab_a);
		if (!err)
			wait_for_completion(&freer_done);
		return err;
	case M_BLOCKED:
		err = wait_walker();
		if (err)
			return err;
		err = start_freer(&lab_a);
		msleep(2500);
		complete(&a_release);
		if (!err)
			wait_for_completion(&freer_done);
		return err;
#if LAB_REFCOUNTED
	case M_LEAK:
		refcount_inc(&lab_a.s->refcount);		/* the leak */
		err = start_freer(&lab_a);
		msleep(2500);
		shrinker_put(lab_a.s);				/* found and dropped */
		if (!err)
			wait_for_completion(&freer_done);
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
	complete(&a_release);		/* in case a walker still waits */
	lab_destroy(&lab_a);
	lab_destroy(&lab_b);
	rcu_barrier();
	scnprintf(result, sizeof(result),
		  "mode=%s walker_pid=%d freer_pid=%d a=0x%lx b=0x%lx a_next_was_b=%d "
		  "scan_ms=%lld free_ms=%lld a_scans=%d b_scans=%d reader_timed_out=%d "
		  "shrinker_mutex=%s\n",
		  mode_names[mode], walker_pid, freer_pid, a_addr, b_addr, a_next_was_b,
		  scan_ns / NSEC_PER_MSEC, free_ns / NSEC_PER_MSEC, atomic_read(&lab_a.scans),
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
		for (i = M_CONTROL; i <= M_UNLINK; i++)
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
