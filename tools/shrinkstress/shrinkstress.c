// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shrinkstress.c - a stress generator for every path shrinktrace watches.
 *
 * Parallel workloads, each selectable with --workload:
 *   tmpfs, ramfs  mount / write a few files / umount churn: every mount allocates and
 *                 registers a superblock shrinker, every umount frees it (shrinker_free,
 *                 then the RCU free);
 *   procfs        the same churn with private procfs instances, each filled with unused
 *                 dentries and inodes (readdir of its /proc/PID, task and sys trees), so
 *                 that a walk spends real time in its scan_objects (tmpfs and ramfs pin
 *                 their dentries and keep no negative ones: their shrinkers count 0);
 *   disk          many files and negative dentries on the disk filesystem of --dir, then
 *                 `echo 2 > /proc/sys/vm/drop_caches` (global walks: drop_slab ->
 *                 shrink_slab -> do_shrink_slab, for every memcg); --disk-files 0: only
 *                 the drop_caches loop;
 *   memcg         cgroup v2 memory pressure over many memcgs: children under a private
 *                 parent, a process in each that creates dentries and page cache, then
 *                 reclaim by a lowered memory.high and memory.reclaim writes (memcg-aware
 *                 walks, shrink_slab_memcg).
 *
 * --pair makes the mount workloads' workers run in pairs: the second mounts right after the
 * first (adjacent superblocks, adjacent shrinkers on shrinker_list), and both unmount at
 * the same moment.
 *
 * Workers are processes; their counters live in a shared anonymous mapping. Everything
 * created (mounts, files, cgroups, processes) is removed on normal exit and on
 * SIGINT/SIGTERM/SIGHUP. Needs root. No dependencies beyond libc.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_OK		0
#define EXIT_ERROR	1
#define EXIT_USAGE	2

#define MAX_JOBS	64
#define MAX_MEMCGS	1024
#define ERRORS_SHOWN	5	/* error lines printed per workload; the rest are counted */
#define STOP_GRACE_S	20	/* after stopping, how long workers get before SIGKILL */

const char *argp_program_version = "shrinkstress 0.1";

/* ---- workloads and counters ---------------------------------------------- */

enum workload { WL_TMPFS, WL_RAMFS, WL_PROCFS, WL_DISK, WL_MEMCG, WL_NR };

static const char *const wl_name[WL_NR] = { "tmpfs", "ramfs", "procfs", "disk", "memcg" };

enum counter {
	C_ITERS,	/* iterations completed */
	C_MOUNTS,
	C_UMOUNTS,
	C_FILES,	/* files created */
	C_NEGATIVE,	/* lookups of names that do not exist (negative dentries) */
	C_DROPS,	/* writes of 2 to /proc/sys/vm/drop_caches */
	C_CGROUPS,	/* memcgs created */
	C_CHILDREN,	/* processes run inside a memcg */
	C_HIGH,		/* memory.high lowered */
	C_RECLAIM,	/* memory.reclaim writes */
	C_RECLAIM_SHORT,	/* ... of which the kernel could not reclaim it all (EAGAIN) */
	C_CACHE_KB,	/* page cache read inside memcgs, KiB */
	C_DENTRIES,	/* procfs: directory entries instantiated (a dentry and an inode each) */
	C_ERRORS,
	C_NR
};

static const char *const c_name[C_NR] = {
	"iterations", "mounts", "unmounts", "files", "negative_dentries", "drop_caches",
	"cgroups", "children", "memory.high", "memory.reclaim", "reclaim_eagain", "cache_kib",
	"dentries", "errors",
};

/* Counters shown per workload at the end, in this order. */
static const enum counter wl_shown[WL_NR][9] = {
	[WL_TMPFS] = { C_ITERS, C_MOUNTS, C_UMOUNTS, C_FILES, C_ERRORS, C_NR },
	[WL_RAMFS] = { C_ITERS, C_MOUNTS, C_UMOUNTS, C_FILES, C_ERRORS, C_NR },
	[WL_PROCFS] = { C_ITERS, C_MOUNTS, C_UMOUNTS, C_DENTRIES, C_ERRORS, C_NR },
	[WL_DISK] = { C_ITERS, C_FILES, C_NEGATIVE, C_DROPS, C_ERRORS, C_NR },
	[WL_MEMCG] = { C_ITERS, C_CGROUPS, C_CHILDREN, C_FILES, C_NEGATIVE, C_CACHE_KB, C_HIGH,
		       C_RECLAIM, C_ERRORS },
};

struct shared {
	atomic_int stop;
	atomic_ullong ctr[WL_NR][C_NR];
	atomic_uint errors_shown[WL_NR];
	/* --pair: per pair of a mount workload, the first's last mounted iteration + 1 and
	 * the arrivals at the unmount barrier (two per iteration) */
	atomic_ulong pair_mounted[WL_NR][MAX_JOBS / 2];
	atomic_ulong pair_arrived[WL_NR][MAX_JOBS / 2];
};

static struct shared *sh;

/* ---- options -------------------------------------------------------------- */

struct opts {
	bool want[WL_NR];
	double seconds;		/* 0: no time limit (then iterations is set) */
	unsigned long iterations;	/* per worker, 0: no limit */
	int jobs;
	bool quiet;
	unsigned pause_ms;	/* sleep between a worker's iterations */
	const char *dir;
	unsigned files;		/* per tmpfs/ramfs mount */
	unsigned proc_entries;	/* per procfs mount */
	unsigned hold_ms;	/* a populated mount is kept this long before umount */
	bool pair;		/* mount workloads in pairs */
	bool idle;		/* workers in SCHED_IDLE */
	unsigned disk_files;	/* per disk iteration, 0: drop_caches only */
	unsigned memcgs;
	unsigned memcg_files;	/* files (and as many negative lookups) per memcg child */
	unsigned memcg_cache_mib;
	unsigned memcg_high_mib;	/* 0: leave memory.high alone */
	const char *cgroup;	/* cgroup v2 directory to create the private parent under */
};

static struct opts o = {
	.jobs = 1,
	.dir = "/var/tmp",
	.files = 8,
	.proc_entries = 2000,
	.disk_files = 2000,
	.memcgs = 16,
	.memcg_files = 256,
	.memcg_cache_mib = 4,
	.memcg_high_mib = 2,
};

enum {
	OPT_FILES = 0x100,
	OPT_DISK_FILES,
	OPT_MEMCGS,
	OPT_MEMCG_FILES,
	OPT_MEMCG_CACHE,
	OPT_MEMCG_HIGH,
	OPT_CGROUP,
	OPT_PAUSE,
	OPT_PROC_ENTRIES,
	OPT_HOLD,
	OPT_PAIR,
	OPT_IDLE,
};

static const char doc[] =
	"shrinkstress -- drive every slab shrinker path shrinktrace watches: superblock "
	"shrinker churn (tmpfs, ramfs mounts; procfs mounts full of unused dentries and "
	"inodes, whose shrinkers have real work), global walks (files and dentries on disk, "
	"then drop_caches) and memcg-aware walks (cgroup v2 memory.high / memory.reclaim over "
	"many memcgs).\n"
	"\n"
	"Workloads run in parallel, --jobs worker processes each. At the end the operation "
	"counts are printed on stdout, one line per workload. Everything created (mounts, "
	"files, cgroups, processes) is removed on exit and on Ctrl-C/SIGTERM. Needs root."
	"\v"
	"WORKLOADS is a comma-separated list of tmpfs, ramfs, procfs, disk, memcg, or all "
	"(the default). The memcg workload needs the memory controller on cgroup v2; without it "
	"the other workloads still run (exit 1 when memcg was the only one asked for).\n"
	"\n"
	"Without --seconds or --iterations the run lasts 10 seconds.\n"
	"\n"
	"Exit status: 0 every operation succeeded (also when stopped by a signal); 1 an "
	"operation failed, setup failed or something could not be cleaned up; 2 usage error.";

static const struct argp_option options[] = {
	{ "workload", 'w', "WORKLOADS", 0, "tmpfs,ramfs,procfs,disk,memcg or all (default all)",
	  0 },
	{ "seconds", 's', "N", 0, "Run for N seconds (decimal allowed)", 0 },
	{ "iterations", 'n', "N", 0, "Each worker stops after N iterations (with --seconds: "
	  "whichever comes first); a memcg iteration is one pass over the worker's memcgs", 0 },
	{ "jobs", 'j', "N", 0, "Parallel workers per workload (default 1, at most 64)", 0 },
	{ "pause", OPT_PAUSE, "MS", 0, "Sleep MS milliseconds between a worker's iterations "
	  "(default 0: as fast as the kernel goes)", 0 },
	{ "quiet", 'q', NULL, 0, "No start line and no progress; the counts are still printed",
	  0 },
	{ "dir", 'd', "DIR", 0, "Create the private working directory (mount points, disk "
	  "files) under DIR (default /var/tmp); disk workload runs on DIR's filesystem", 0 },
	{ "files", OPT_FILES, "N", 0, "Files written into each tmpfs/ramfs mount (default 8)",
	  0 },
	{ "proc-entries", OPT_PROC_ENTRIES, "N", 0, "Directory entries instantiated in each "
	  "procfs mount by reading its /proc/PID, task and sys directories: unused dentries and "
	  "inodes its shrinker can free (default 2000; fewer when the tree has fewer)", 0 },
	{ "hold", OPT_HOLD, "MS", 0, "Keep each populated tmpfs/ramfs/procfs mount MS "
	  "milliseconds before unmounting it (default 0)", 0 },
	{ "pair", OPT_PAIR, NULL, 0, "Run the tmpfs/ramfs/procfs workers in pairs (--jobs must "
	  "be even): the second mounts right after the first, so their superblock shrinkers are "
	  "neighbours on the kernel's shrinker_list, and both unmount at the same moment", 0 },
	{ "idle", OPT_IDLE, NULL, 0, "Run every worker in the SCHED_IDLE scheduling class: "
	  "background work that any other task on its CPU preempts at once (a low-priority "
	  "reclaimer or cleanup job)", 0 },
	{ "disk-files", OPT_DISK_FILES, "N", 0, "Files created per disk iteration, and as many "
	  "negative lookups (default 2000; 0: only the drop_caches loop)", 0 },
	{ "memcgs", OPT_MEMCGS, "N", 0, "Child memcgs of the memcg workload (default 16)", 0 },
	{ "memcg-files", OPT_MEMCG_FILES, "N", 0, "Files, and as many negative lookups, each "
	  "memcg child creates per iteration (default 256)", 0 },
	{ "memcg-cache", OPT_MEMCG_CACHE, "MIB", 0, "Page cache each memcg child reads per "
	  "iteration (default 4)", 0 },
	{ "memcg-high", OPT_MEMCG_HIGH, "MIB", 0, "memory.high while a memcg child runs (default "
	  "2; 0 leaves memory.high at max and reclaims by memory.reclaim only)", 0 },
	{ "cgroup", OPT_CGROUP, "DIR", 0, "cgroup v2 directory to create the private parent "
	  "cgroup under (default: the root of the cgroup2 mount)", 0 },
	{ 0 }
};

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static unsigned uarg(struct argp_state *state, const char *opt, const char *arg,
		     unsigned long min, unsigned long max)
{
	unsigned long v;

	if (parse_uint(arg, min, max, &v))
		argp_error(state, "%s: '%s' is not a number from %lu to %lu", opt, arg, min, max);
	return (unsigned)v;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	char *list, *tok, *save;
	unsigned long v;
	double d;
	char *end;
	int i;

	switch (key) {
	case 'w':
		memset(o.want, 0, sizeof(o.want));
		list = strdup(arg);
		if (!list)
			argp_failure(state, EXIT_ERROR, ENOMEM, "--workload");
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (!strcmp(tok, "all")) {
				for (i = 0; i < WL_NR; i++)
					o.want[i] = true;
				continue;
			}
			for (i = 0; i < WL_NR; i++)
				if (!strcmp(tok, wl_name[i]))
					break;
			if (i == WL_NR)
				argp_error(state, "--workload: unknown workload '%s' (tmpfs, ramfs, "
					   "procfs, disk, memcg or all)", tok);
			o.want[i] = true;
		}
		free(list);
		for (i = 0; i < WL_NR && !o.want[i]; i++)
			;
		if (i == WL_NR)
			argp_error(state, "--workload: no workload in '%s'", arg);
		break;
	case 's':
		errno = 0;
		d = strtod(arg, &end);
		if (errno || end == arg || *end || !(d > 0 && d <= 1e7))
			argp_error(state, "--seconds: '%s' is not a positive number of seconds", arg);
		o.seconds = d;
		break;
	case 'n':
		if (parse_uint(arg, 1, ULONG_MAX, &v))
			argp_error(state, "--iterations: '%s' is not a positive integer", arg);
		o.iterations = v;
		break;
	case 'j':
		o.jobs = (int)uarg(state, "--jobs", arg, 1, MAX_JOBS);
		break;
	case 'q':
		o.quiet = true;
		break;
	case 'd':
		o.dir = arg;
		break;
	case OPT_FILES:
		o.files = uarg(state, "--files", arg, 0, 100000);
		break;
	case OPT_DISK_FILES:
		o.disk_files = uarg(state, "--disk-files", arg, 0, 10000000);
		break;
	case OPT_PROC_ENTRIES:
		o.proc_entries = uarg(state, "--proc-entries", arg, 0, 10000000);
		break;
	case OPT_HOLD:
		o.hold_ms = uarg(state, "--hold", arg, 0, 3600000);
		break;
	case OPT_PAIR:
		o.pair = true;
		break;
	case OPT_IDLE:
		o.idle = true;
		break;
	case OPT_MEMCGS:
		o.memcgs = uarg(state, "--memcgs", arg, 1, MAX_MEMCGS);
		break;
	case OPT_MEMCG_FILES:
		o.memcg_files = uarg(state, "--memcg-files", arg, 0, 1000000);
		break;
	case OPT_MEMCG_CACHE:
		o.memcg_cache_mib = uarg(state, "--memcg-cache", arg, 0, 4096);
		break;
	case OPT_MEMCG_HIGH:
		o.memcg_high_mib = uarg(state, "--memcg-high", arg, 0, 1048576);
		break;
	case OPT_CGROUP:
		o.cgroup = arg;
		break;
	case OPT_PAUSE:
		o.pause_ms = uarg(state, "--pause", arg, 0, 3600000);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (o.pair && o.jobs % 2)
			argp_error(state, "--pair: --jobs %d is odd: pairs need an even number of "
				   "workers (e.g. --jobs 2)", o.jobs);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* ---- small helpers ------------------------------------------------------- */

static char base[PATH_MAX];		/* the private working directory */
static char cg_parent[PATH_MAX];	/* the private parent cgroup, "" if none */
static char cg_enabled_at[PATH_MAX];	/* cgroup whose subtree_control we gave +memory */
static bool have_reclaim;		/* memory.reclaim exists */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static bool stopping(void)
{
	return atomic_load(&sh->stop) != 0;
}

/* Sleep MS milliseconds, cut short by a stop. */
static void pause_ms(unsigned ms)
{
	unsigned left;

	for (left = ms; left && !stopping(); left -= left < 20 ? left : 20)
		sleep_ms(left < 20 ? left : 20);
}

/* --pause between iterations, cut short by a stop. */
static void pause_iteration(void)
{
	pause_ms(o.pause_ms);
}

static void count(enum workload w, enum counter c, unsigned long long n)
{
	atomic_fetch_add(&sh->ctr[w][c], n);
}

static unsigned long long get(enum workload w, enum counter c)
{
	return atomic_load(&sh->ctr[w][c]);
}

/* Count an error; print it while fewer than ERRORS_SHOWN were printed for this workload. */
__attribute__((format(printf, 2, 3)))
static void fail(enum workload w, const char *fmt, ...)
{
	unsigned shown;
	char msg[512];
	va_list ap;

	count(w, C_ERRORS, 1);
	shown = atomic_fetch_add(&sh->errors_shown[w], 1);
	if (shown >= ERRORS_SHOWN)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "shrinkstress: %s: %s%s\n", wl_name[w], msg,
		shown == ERRORS_SHOWN - 1 ? " (further errors of this workload are only counted)" :
		"");
}

/* Write STR to PATH (a sysfs/procfs/cgroupfs file). 0 or -errno. */
static int write_str(const char *path, const char *str)
{
	size_t len = strlen(str);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, str, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/* Read PATH (a small file) into BUF, NUL-terminated. Length or -errno. */
static ssize_t read_str(const char *path, char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fd);
	return len;
}

/* Is WORD one of the space-separated words of LIST? */
static bool has_word(const char *list, const char *word)
{
	size_t wl = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || isspace((unsigned char)p[-1])) &&
		    (p[wl] == '\0' || isspace((unsigned char)p[wl])))
			return true;
		p += wl;
	}
	return false;
}

static int pathf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int pathf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static void on_stop_signal(int sig)
{
	(void)sig;
	atomic_store(&sh->stop, 1);
}

static volatile sig_atomic_t got_signal;

static void on_main_signal(int sig)
{
	if (!got_signal)
		got_signal = sig;
	atomic_store(&sh->stop, 1);
}

static void set_handlers(void (*fn)(int))
{
	struct sigaction sa = { .sa_handler = fn, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Create NAME (O_EXCL not needed: names are private) and write LEN bytes of DATA. */
static int create_file(const char *path, const char *data, size_t len)
{
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (len && write(fd, data, len) != (ssize_t)len)
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/* A lookup of a name that does not exist: leaves a negative dentry. */
static int negative_lookup(const char *path)
{
	struct stat st;

	if (!lstat(path, &st))
		return -EEXIST;
	return errno == ENOENT ? 0 : -errno;
}

/* ---- tmpfs / ramfs ------------------------------------------------------- */

static int umount_retry(const char *mp)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (!umount2(mp, UMOUNT_NOFOLLOW))
			return 0;
		if (errno != EBUSY)
			return -errno;
		sleep_ms(5);
	}
	/* Someone else holds it (an indexer, a shell's cwd): detach it lazily. */
	if (!umount2(mp, MNT_DETACH | UMOUNT_NOFOLLOW))
		return 0;
	return -errno;
}

/*
 * procfs: instantiate up to LEFT directory entries below DIR (depth-first, directories
 * only through real subdirectories, at most DEPTH levels): readdir of /proc/PID and
 * /proc/sys makes a dentry and an inode for every entry, unused once the directory is
 * closed, so they wait on the superblock's LRU lists for its shrinker. The number made.
 */
static unsigned long proc_fill(int dirfd, const char *name, int depth, unsigned long left)
{
	unsigned long made = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;	/* a task that exited meanwhile, a directory we may not read */
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while (made < left && !stopping() && (de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] ||
					     (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		made++;
		/* at the top: only the pid directories and sys (not bus, irq, ... nor the
		 * per-pid net trees, which are large and all alike) */
		if (de->d_type != DT_DIR || depth <= 1)
			continue;
		if (dirfd == AT_FDCWD && !isdigit((unsigned char)de->d_name[0]) &&
		    strcmp(de->d_name, "sys"))
			continue;
		if (!strcmp(de->d_name, "net"))
			continue;
		made += proc_fill(fd, de->d_name, depth - 1, left - made);
	}
	closedir(d);
	return made;
}

/* --pair: wait until COND holds or the run stops; false when stopped. */
#define WAIT_UNTIL(cond) ({						\
	bool ok_ = true;						\
	while (!(cond)) {						\
		if (stopping()) {					\
			ok_ = false;					\
			break;						\
		}							\
		usleep(200);						\
	}								\
	ok_; })

static int fs_worker(enum workload w, int job)
{
	const char *fstype = w == WL_TMPFS ? "tmpfs" : w == WL_RAMFS ? "ramfs" : "proc";
	const char *opts = w == WL_TMPFS ? "size=16m,nr_inodes=4096,mode=0700" :
			   w == WL_RAMFS ? "mode=0700" : NULL;
	char mp[PATH_MAX], path[PATH_MAX], data[256];
	const bool pair = o.pair, first = !(job & 1);
	atomic_ulong *pm = &sh->pair_mounted[w][job / 2], *pa = &sh->pair_arrived[w][job / 2];
	unsigned long it, n;
	unsigned f;
	bool mounted;
	int err = -ENAMETOOLONG;	/* when pathf() fails */

	if (pathf(mp, "%s/%s.%d", base, wl_name[w], job) || mkdir(mp, 0700)) {
		fail(w, "mkdir %s: %s", mp, strerror(errno));
		return 1;
	}
	memset(data, 's', sizeof(data));
	for (it = 0; !stopping() && (!o.iterations || it < o.iterations); it++) {
		/* --pair: the second mounts right after the first (neighbouring shrinkers) */
		if (pair && !first && !WAIT_UNTIL(atomic_load(pm) > it))
			break;
		mounted = !mount("shrinkstress", mp, fstype, MS_NOSUID | MS_NODEV | MS_NOEXEC,
				 opts);
		if (!mounted)
			fail(w, "mount -t %s %s: %s", fstype, mp, strerror(errno));
		if (pair && first)
			atomic_store(pm, it + 1);
		if (!mounted) {
			if (!pair)
				sleep_ms(100);
		} else {
			count(w, C_MOUNTS, 1);
			if (w == WL_PROCFS) {
				/* Unused dentries and inodes for the superblock's shrinker. */
				n = proc_fill(AT_FDCWD, mp, 4, o.proc_entries);
				count(w, C_DENTRIES, n);
			} else {
				/* Files for the superblock's lists (tmpfs and ramfs pin them). */
				for (f = 0; f < o.files && !stopping(); f++) {
					if (pathf(path, "%s/f%u", mp, f) ||
					    (err = create_file(path, data, sizeof(data)))) {
						fail(w, "create %s/f%u: %s", mp, f, strerror(-err));
						break;
					}
					count(w, C_FILES, 1);
				}
			}
			if (o.hold_ms)
				pause_ms(o.hold_ms);
		}
		/* --pair: both unmount at the same moment */
		if (pair) {
			atomic_fetch_add(pa, 1);
			WAIT_UNTIL(atomic_load(pa) >= 2 * (it + 1));
		}
		if (mounted) {
			err = umount_retry(mp);
			if (err) {
				fail(w, "umount %s: %s", mp, strerror(-err));
				break;	/* the sweep at exit tries again */
			}
			count(w, C_UMOUNTS, 1);
			count(w, C_ITERS, 1);
		}
		pause_iteration();
	}
	rmdir(mp);
	return 0;
}

/* ---- disk: files and dentries, then drop_caches ---------------------------- */

#define DISK_FILES_PER_DIR 256

static int disk_worker(int job)
{
	const enum workload w = WL_DISK;
	char dir[PATH_MAX], path[PATH_MAX];
	unsigned long it;
	unsigned i, made, ndirs;
	int dfd, err;

	if (pathf(dir, "%s/disk.%d", base, job) || mkdir(dir, 0700)) {
		fail(w, "mkdir %s: %s", dir, strerror(errno));
		return 1;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fail(w, "open %s: %s", dir, strerror(errno));
		return 1;
	}
	/* --disk-files 0: no directories, only drop_caches */
	ndirs = (o.disk_files + DISK_FILES_PER_DIR - 1) / DISK_FILES_PER_DIR;
	for (it = 0; !stopping() && (!o.iterations || it < o.iterations); it++) {
		for (i = 0; i < ndirs; i++) {
			pathf(path, "%s/d%u", dir, i);
			if (mkdir(path, 0700) && errno != EEXIST)
				fail(w, "mkdir %s: %s", path, strerror(errno));
		}
		for (made = 0; made < o.disk_files && !stopping(); made++) {
			pathf(path, "%s/d%u/f%u", dir, made / DISK_FILES_PER_DIR, made);
			err = create_file(path, NULL, 0);
			if (err) {
				fail(w, "create %s: %s", path, strerror(-err));
				break;
			}
			count(w, C_FILES, 1);
		}
		for (i = 0; i < o.disk_files && !stopping(); i++) {
			pathf(path, "%s/d%u/n%lu.%u", dir, i / DISK_FILES_PER_DIR, it, i);
			err = negative_lookup(path);
			if (err) {
				fail(w, "lookup %s: %s", path, strerror(-err));
				break;
			}
			count(w, C_NEGATIVE, 1);
		}
		if (!stopping()) {
			/* Clean inodes and dentries are what drop_caches can free. */
			if (syncfs(dfd))
				fail(w, "syncfs %s: %s", dir, strerror(errno));
			err = write_str("/proc/sys/vm/drop_caches", "2");
			if (err)
				fail(w, "echo 2 > /proc/sys/vm/drop_caches: %s", strerror(-err));
			else
				count(w, C_DROPS, 1);
		}
		for (i = 0; i < made; i++) {
			pathf(path, "%s/d%u/f%u", dir, i / DISK_FILES_PER_DIR, i);
			if (unlink(path) && errno != ENOENT)
				fail(w, "unlink %s: %s", path, strerror(errno));
		}
		for (i = 0; i < ndirs; i++) {
			pathf(path, "%s/d%u", dir, i);
			rmdir(path);
		}
		if (!stopping())
			count(w, C_ITERS, 1);
		pause_iteration();
	}
	close(dfd);
	rmdir(dir);
	return 0;
}

/* ---- memcg: pressure over many cgroup v2 memcgs ---------------------------- */

/* Where a cgroup2 filesystem is mounted, or -1. */
static int find_cgroup2(char *out)
{
	char line[4096], *fields[12], *sep, *p;
	FILE *f;
	int n, found = -1;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
		sep = strstr(line, " - ");
		if (!sep)
			continue;
		if (strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		*sep = '\0';
		n = 0;
		for (p = strtok(line, " "); p && n < 12; p = strtok(NULL, " "))
			fields[n++] = p;
		if (n < 5 || strcmp(fields[3], "/"))
			continue;
		/* mountinfo escapes spaces as \040; such paths are not supported */
		if (strchr(fields[4], '\\'))
			continue;
		snprintf(out, PATH_MAX, "%s", fields[4]);
		found = 0;
	}
	fclose(f);
	return found;
}

/* Is the memory controller attached to a cgroup v1 hierarchy? (/proc/cgroups) */
static bool memory_on_v1(void)
{
	char line[256], name[64];
	int hier, num, en;
	bool v1 = false;
	FILE *f;

	f = fopen("/proc/cgroups", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %d %d %d", name, &hier, &num, &en) == 4 &&
		    !strcmp(name, "memory") && hier != 0)
			v1 = true;
	fclose(f);
	return v1;
}

/*
 * Check that the memcg workload can run and create its private parent cgroup with N
 * children. 0, or -1 with a one-line reason (and the way out) in WHY.
 */
static int memcg_setup(char *why, size_t whysize)
{
	char root[PATH_MAX], path[PATH_MAX], buf[4096];
	const char *under;
	unsigned i;
	int err;

	if (find_cgroup2(root)) {
		snprintf(why, whysize, "no cgroup v2 filesystem is mounted: mount one (mount -t "
			 "cgroup2 none /sys/fs/cgroup) or leave memcg out (--workload "
			 "tmpfs,ramfs,procfs,disk)");
		return -1;
	}
	under = o.cgroup ? o.cgroup : root;
	if (pathf(path, "%s/cgroup.controllers", under) ||
	    read_str(path, buf, sizeof(buf)) < 0) {
		snprintf(why, whysize, "%s is not a cgroup v2 directory (%s): give one with "
			 "--cgroup DIR or leave memcg out (--workload tmpfs,ramfs,procfs,disk)", under,
			 strerror(errno));
		return -1;
	}
	if (!has_word(buf, "memory")) {
		if (memory_on_v1())
			snprintf(why, whysize, "the memory controller is not available on cgroup "
				 "v2 (%s): this system binds it to a cgroup v1 hierarchy; boot with "
				 "systemd.unified_cgroup_hierarchy=1 (or cgroup_no_v1=memory), or "
				 "leave memcg out (--workload tmpfs,ramfs,procfs,disk)", under);
		else
			snprintf(why, whysize, "the memory controller is not available in %s "
				 "(cgroup.controllers: %s): enable it in the parent's "
				 "cgroup.subtree_control, or leave memcg out (--workload "
				 "tmpfs,ramfs,procfs,disk)", under, buf[0] ? strtok(buf, "\n") : "empty");
		return -1;
	}
	/* Children of UNDER get memory.* files only if its subtree_control has memory. */
	pathf(path, "%s/cgroup.subtree_control", under);
	if (read_str(path, buf, sizeof(buf)) < 0 || !has_word(buf, "memory")) {
		err = write_str(path, "+memory");
		if (err) {
			snprintf(why, whysize, "cannot enable the memory controller in %s: %s: "
				 "give a cgroup without processes of its own with --cgroup DIR, or "
				 "leave memcg out (--workload tmpfs,ramfs,procfs,disk)", path, strerror(-err));
			return -1;
		}
		snprintf(cg_enabled_at, sizeof(cg_enabled_at), "%s", under);
	}
	if (pathf(cg_parent, "%s/shrinkstress.%d", under, (int)getpid()) ||
	    mkdir(cg_parent, 0755)) {
		snprintf(why, whysize, "cannot create the cgroup %s: %s", cg_parent,
			 strerror(errno));
		cg_parent[0] = '\0';
		return -1;
	}
	pathf(path, "%s/cgroup.subtree_control", cg_parent);
	err = write_str(path, "+memory");
	if (err) {
		snprintf(why, whysize, "cannot enable the memory controller in %s: %s", path,
			 strerror(-err));
		return -1;
	}
	for (i = 0; i < o.memcgs; i++) {
		pathf(path, "%s/m%u", cg_parent, i);
		if (mkdir(path, 0755)) {
			snprintf(why, whysize, "cannot create the cgroup %s: %s", path,
				 strerror(errno));
			return -1;
		}
		count(WL_MEMCG, C_CGROUPS, 1);
	}
	pathf(path, "%s/m0/memory.reclaim", cg_parent);
	have_reclaim = access(path, F_OK) == 0;
	if (!have_reclaim && !o.memcg_high_mib) {
		snprintf(why, whysize, "this kernel has no memory.reclaim (before 5.19) and "
			 "--memcg-high is 0: give --memcg-high MIB to reclaim by memory.high");
		return -1;
	}
	return 0;
}

/* The process run inside memcg I: dentries, inodes and page cache charged to it. */
static int memcg_child(unsigned i, unsigned long it)
{
	const enum workload w = WL_MEMCG;
	char path[PATH_MAX], pid[32], *buf;
	unsigned f;
	ssize_t n;
	int fd, err;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	pathf(path, "%s/m%u/cgroup.procs", cg_parent, i);
	err = write_str(path, pid);
	if (err) {
		fail(w, "move pid %s into %s: %s", pid, path, strerror(-err));
		return 1;
	}
	/* The previous iteration's files go; new inodes and dentries are charged here. */
	for (f = 0; f < o.memcg_files && !stopping(); f++) {
		pathf(path, "%s/memcg.%u/f%u", base, i, f);
		unlink(path);
		err = create_file(path, NULL, 0);
		if (err) {
			fail(w, "create %s: %s", path, strerror(-err));
			return 1;
		}
		count(w, C_FILES, 1);
	}
	for (f = 0; f < o.memcg_files && !stopping(); f++) {
		pathf(path, "%s/memcg.%u/n%lu.%u", base, i, it, f);
		err = negative_lookup(path);
		if (err) {
			fail(w, "lookup %s: %s", path, strerror(-err));
			return 1;
		}
		count(w, C_NEGATIVE, 1);
	}
	if (!o.memcg_cache_mib || stopping())
		return 0;
	pathf(path, "%s/memcg.%u/cache", base, i);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	buf = malloc(1 << 16);
	if (fd < 0 || !buf) {
		fail(w, "open %s: %s", path, strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, 1 << 16)) > 0 && !stopping())
		count(w, C_CACHE_KB, (unsigned long long)n / 1024);
	if (n < 0)
		fail(w, "read %s: %s", path, strerror(errno));
	free(buf);
	close(fd);
	return 0;
}

/* The page cache file memcg I's children read: written once, then dropped from cache. */
static int memcg_cache_file(unsigned i)
{
	const enum workload w = WL_MEMCG;
	char path[PATH_MAX], buf[1 << 16];
	unsigned long long left = (unsigned long long)o.memcg_cache_mib << 20;
	int fd;

	pathf(path, "%s/memcg.%u", base, i);
	if (mkdir(path, 0700) && errno != EEXIST) {
		fail(w, "mkdir %s: %s", path, strerror(errno));
		return -1;
	}
	if (!left)
		return 0;
	pathf(path, "%s/memcg.%u/cache", base, i);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		fail(w, "create %s: %s", path, strerror(errno));
		return -1;
	}
	memset(buf, 'm', sizeof(buf));
	while (left && !stopping()) {
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			fail(w, "write %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		left -= sizeof(buf);
	}
	/* Written out and evicted: the children's reads charge it to their memcg. */
	fdatasync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	return 0;
}

static int memcg_worker(int job)
{
	const enum workload w = WL_MEMCG;
	char path[PATH_MAX], val[64], cur[64];
	unsigned long it;
	unsigned i;
	pid_t pid;
	int status = 0, err;

	for (it = 0; !stopping() && (!o.iterations || it < o.iterations); it++) {
		for (i = job; i < o.memcgs && !stopping(); i += o.jobs) {
			/* Each memcg's file just before its first child: pressure starts at once. */
			if (!it && memcg_cache_file(i))
				return 1;
			if (o.memcg_high_mib) {
				/* Reclaim in the child's own context as it charges past high. */
				pathf(path, "%s/m%u/memory.high", cg_parent, i);
				snprintf(val, sizeof(val), "%uM", o.memcg_high_mib);
				err = write_str(path, val);
				if (err)
					fail(w, "echo %s > %s: %s", val, path, strerror(-err));
				else
					count(w, C_HIGH, 1);
			}
			pid = fork();
			if (pid < 0) {
				fail(w, "fork: %s", strerror(errno));
				sleep_ms(100);
				continue;
			}
			if (pid == 0) {
				prctl(PR_SET_PDEATHSIG, SIGTERM);
				_exit(memcg_child(i, it));
			}
			count(w, C_CHILDREN, 1);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			if (!WIFEXITED(status))
				fail(w, "child in m%u: killed by signal %d", i, WTERMSIG(status));
			if (o.memcg_high_mib) {
				pathf(path, "%s/m%u/memory.high", cg_parent, i);
				err = write_str(path, "max");
				if (err)
					fail(w, "echo max > %s: %s", path, strerror(-err));
			}
			if (!have_reclaim || stopping())
				continue;
			/* Ask for everything it holds: page cache, dentries, inodes. */
			pathf(path, "%s/m%u/memory.current", cg_parent, i);
			if (read_str(path, cur, sizeof(cur)) <= 0 || !isdigit((unsigned char)cur[0]))
				snprintf(cur, sizeof(cur), "%uM", o.memcg_cache_mib + 1);
			cur[strcspn(cur, "\n")] = '\0';
			if (!strcmp(cur, "0"))
				continue;
			pathf(path, "%s/m%u/memory.reclaim", cg_parent, i);
			err = write_str(path, cur);
			if (err == -EINTR && stopping())
				break;	/* a signal stopped the reclaim: no failure */
			if (err && err != -EAGAIN) {
				fail(w, "echo %s > %s: %s", cur, path, strerror(-err));
				continue;
			}
			count(w, C_RECLAIM, 1);
			if (err == -EAGAIN)
				count(w, C_RECLAIM_SHORT, 1);
		}
		if (!stopping())
			count(w, C_ITERS, 1);
		pause_iteration();
	}
	return 0;
}

/* ---- cleanup --------------------------------------------------------------- */

/* Undo mountinfo's octal escapes (\040 for a space, ...) in place. */
static void unescape_octal(char *s)
{
	char *d = s;

	for (; *s; s++, d++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*d = *s;
		}
	}
	*d = '\0';
}

/*
 * Unmount whatever is still mounted under the working directory, deepest (latest) first;
 * look again after each round, since stacked mounts show up one by one. 0 when nothing
 * is left.
 */
static int sweep_mounts(void)
{
	char line[4096], *sep, *p, *mps[256];
	size_t blen = strlen(base);
	int n, i, k, round;
	FILE *f;

	for (round = 0; round < 5; round++) {
		n = 0;
		f = fopen("/proc/self/mountinfo", "re");
		if (!f)
			return -1;
		while (n < 256 && fgets(line, sizeof(line), f)) {
			sep = strstr(line, " - ");
			if (!sep)
				continue;
			*sep = '\0';
			p = line;
			for (k = 0; k < 4 && p; k++) {	/* to the 5th field, the mount point */
				p = strchr(p, ' ');
				if (p)
					p++;
			}
			if (!p)
				continue;
			p[strcspn(p, " ")] = '\0';
			unescape_octal(p);
			if (!strncmp(p, base, blen) && p[blen] == '/')
				mps[n++] = strdup(p);
		}
		fclose(f);
		if (!n)
			return 0;
		if (round == 4)
			break;
		for (i = n - 1; i >= 0; i--) {
			if (mps[i])
				umount_retry(mps[i]);
		}
		for (i = 0; i < n; i++)
			free(mps[i]);
	}
	for (i = 0; i < n; i++)
		free(mps[i]);
	return -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Kill what is left in memcg DIR and remove it. 0 or -errno. */
static int remove_cgroup(const char *dir)
{
	char path[PATH_MAX], buf[4096], *p, *end;
	int i, pid;

	for (i = 0; i < 100; i++) {
		pathf(path, "%s/cgroup.procs", dir);
		if (read_str(path, buf, sizeof(buf)) < 0)
			break;
		if (!buf[0])
			break;
		pathf(path, "%s/cgroup.kill", dir);
		if (write_str(path, "1")) {
			for (p = buf; *p; p = end) {
				pid = (int)strtol(p, &end, 10);
				if (end == p)
					break;
				if (pid > 0)
					kill(pid, SIGKILL);
			}
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		sleep_ms(20);
	}
	for (i = 0; i < 100; i++) {
		if (!rmdir(dir) || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		sleep_ms(20);
	}
	return -errno;
}

/* Remove the memcgs and the private parent; put back a subtree_control we changed. */
static int cleanup_cgroups(void)
{
	char path[PATH_MAX];
	unsigned i;
	int bad = 0, err;

	if (cg_parent[0]) {
		for (i = 0; i < o.memcgs; i++) {
			pathf(path, "%s/m%u", cg_parent, i);
			err = remove_cgroup(path);
			if (err) {
				fprintf(stderr, "shrinkstress: cannot remove the cgroup %s: %s\n", path,
					strerror(-err));
				bad = 1;
			}
		}
		err = remove_cgroup(cg_parent);
		if (err) {
			fprintf(stderr, "shrinkstress: cannot remove the cgroup %s: %s\n", cg_parent,
				strerror(-err));
			bad = 1;
		}
		cg_parent[0] = '\0';
	}
	if (cg_enabled_at[0]) {
		/* Best effort: busy means someone else has started to use it meanwhile. */
		pathf(path, "%s/cgroup.subtree_control", cg_enabled_at);
		write_str(path, "-memory");
		cg_enabled_at[0] = '\0';
	}
	return bad;
}

/* Unmount what is left under the working directory and remove it. */
static int cleanup_files(void)
{
	int bad = 0;

	if (!base[0])
		return 0;
	if (sweep_mounts()) {
		fprintf(stderr, "shrinkstress: cannot unmount everything under %s (see "
			"`findmnt -R %s`)\n", base, base);
		bad = 1;
	}
	/* FTW_MOUNT: never into a mount left behind; FTW_PHYS: never through a symlink. */
	nftw(base, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	if (rmdir(base) && errno != ENOENT) {
		fprintf(stderr, "shrinkstress: cannot remove %s: %s\n", base, strerror(errno));
		bad = 1;
	}
	base[0] = '\0';
	return bad;
}

static int cleanup(void)
{
	int bad = cleanup_cgroups();

	return cleanup_files() | bad;
}

/* ---- main ------------------------------------------------------------------ */

static pid_t workers[WL_NR * MAX_JOBS];
static enum workload worker_wl[WL_NR * MAX_JOBS];
static int nworkers;

static void start_worker(enum workload w, int job)
{
	pid_t pid = fork();
	int rc = 0;

	if (pid < 0) {
		fail(w, "fork: %s", strerror(errno));
		return;
	}
	if (pid > 0) {
		worker_wl[nworkers] = w;
		workers[nworkers++] = pid;
		return;
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	set_handlers(on_stop_signal);
	if (getppid() == 1)	/* the parent died before prctl */
		_exit(1);
	if (o.idle) {
		struct sched_param sp = { .sched_priority = 0 };

		if (sched_setscheduler(0, SCHED_IDLE, &sp)) {
			fail(w, "sched_setscheduler(SCHED_IDLE): %s", strerror(errno));
			_exit(1);
		}
	}
	switch (w) {
	case WL_TMPFS:
	case WL_RAMFS:
	case WL_PROCFS:
		rc = fs_worker(w, job);
		break;
	case WL_DISK:
		rc = disk_worker(job);
		break;
	case WL_MEMCG:
		rc = memcg_worker(job);
		break;
	default:
		break;
	}
	fflush(NULL);
	_exit(rc);
}

/* Reap exited workers; the number still running. */
static int reap(bool block)
{
	int i, status, running = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, block ? 0 : WNOHANG)) > 0) {
		for (i = 0; i < nworkers; i++) {
			if (workers[i] != pid)
				continue;
			workers[i] = 0;
			/* SIGKILL is ours, after the grace period (already reported) */
			if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
				fail(worker_wl[i], "worker %d killed by signal %d (%s)", (int)pid,
				     WTERMSIG(status), strsignal(WTERMSIG(status)));
		}
		block = false;
	}
	for (i = 0; i < nworkers; i++)
		running += workers[i] != 0;
	return running;
}

static void progress(double elapsed, bool final)
{
	unsigned long long errs = 0;
	char line[512];
	int n = 0, w;

	n += snprintf(line + n, sizeof(line) - n, "\rshrinkstress: %4.0f s", elapsed);
	for (w = 0; w < WL_NR; w++) {
		if (!o.want[w])
			continue;
		switch (w) {
		case WL_TMPFS:
		case WL_RAMFS:
		case WL_PROCFS:
			n += snprintf(line + n, sizeof(line) - n, " | %s %llu mounts", wl_name[w],
				      get(w, C_MOUNTS));
			break;
		case WL_DISK:
			n += snprintf(line + n, sizeof(line) - n, " | disk %llu files %llu drops",
				      get(w, C_FILES), get(w, C_DROPS));
			break;
		case WL_MEMCG:
			n += snprintf(line + n, sizeof(line) - n, " | memcg %llu children %llu "
				      "reclaims", get(w, C_CHILDREN), get(w, C_RECLAIM));
			break;
		}
	}
	for (w = 0; w < WL_NR; w++)
		errs += get(w, C_ERRORS);
	snprintf(line + n, sizeof(line) - n, " | %llu errors\033[K%s", errs, final ? "\n" : "");
	fputs(line, stderr);
	fflush(stderr);
}

static void report(double elapsed, const char *why, const char *skipped)
{
	static const enum counter tot[] = { C_MOUNTS, C_UMOUNTS, C_FILES, C_DROPS, C_RECLAIM,
					     C_ERRORS };
	unsigned long long sum;
	int w, k, first = 1;
	size_t t;

	printf("shrinkstress: %.1f s (%s), workloads ", elapsed, why);
	for (w = 0; w < WL_NR; w++)
		if (o.want[w]) {
			printf("%s%s", first ? "" : ",", wl_name[w]);
			first = 0;
		}
	if (first)
		printf("none");
	printf(", %d job%s each%s%s\n", o.jobs, o.jobs == 1 ? "" : "s",
	       skipped ? "; skipped: " : "", skipped ? skipped : "");
	for (w = 0; w < WL_NR; w++) {
		if (!o.want[w])
			continue;
		printf("  %-6s", wl_name[w]);
		for (k = 0; k < 9 && wl_shown[w][k] != C_NR; k++) {
			if (wl_shown[w][k] == C_ITERS && k)	/* {0} padding */
				break;
			printf(" %s=%llu", c_name[wl_shown[w][k]], get(w, wl_shown[w][k]));
			if (wl_shown[w][k] == C_RECLAIM)
				printf(" %s=%llu", c_name[C_RECLAIM_SHORT], get(w, C_RECLAIM_SHORT));
		}
		printf("\n");
	}
	printf("  %-6s", "total");
	for (t = 0; t < sizeof(tot) / sizeof(tot[0]); t++) {
		sum = 0;
		for (w = 0; w < WL_NR; w++)
			sum += get(w, tot[t]);
		printf(" %s=%llu", c_name[tot[t]], sum);
	}
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct argp argp = { options, parse_opt, NULL, doc, NULL, NULL, NULL };
	char why[2 * PATH_MAX + 512], dir[PATH_MAX], skipped[64] = "";
	const char *reason = "time limit";
	double t0, elapsed = 0, next_tick;
	unsigned long long errs = 0;
	bool tty, any = false;
	int w, j, rc = EXIT_OK, running;

	for (w = 0; w < WL_NR; w++)
		o.want[w] = true;
	argp_err_exit_status = EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return EXIT_USAGE;
	if (!o.seconds && !o.iterations)
		o.seconds = 10;

	if (geteuid() != 0) {
		fprintf(stderr, "shrinkstress: needs root (mount, drop_caches, cgroups): run it "
			"as root, e.g. sudo %s\n", argv[0]);
		return EXIT_ERROR;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("shrinkstress: mmap");
		return EXIT_ERROR;
	}
	/* Orphaned memcg children come back to us to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	set_handlers(on_main_signal);
	signal(SIGPIPE, SIG_IGN);

	if (!realpath(o.dir, dir)) {
		fprintf(stderr, "shrinkstress: --dir %s: %s: give an existing directory on a disk "
			"filesystem\n", o.dir, strerror(errno));
		return EXIT_ERROR;
	}
	if (pathf(base, "%s/shrinkstress.XXXXXX", dir) || !mkdtemp(base)) {
		fprintf(stderr, "shrinkstress: cannot create a directory in %s: %s: choose "
			"another with --dir DIR\n", dir, strerror(errno));
		base[0] = '\0';
		return EXIT_ERROR;
	}

	if (o.want[WL_MEMCG] && memcg_setup(why, sizeof(why))) {
		fprintf(stderr, "shrinkstress: memcg: %s\n", why);
		cleanup_cgroups();
		o.want[WL_MEMCG] = false;
		snprintf(skipped, sizeof(skipped), "memcg");
		for (w = 0; w < WL_NR; w++)
			any |= o.want[w];
		if (!any || got_signal) {
			cleanup();
			return EXIT_ERROR;
		}
		any = false;
	}

	tty = isatty(STDERR_FILENO) && !o.quiet;
	if (!o.quiet) {
		fprintf(stderr, "shrinkstress: working in %s", base);
		if (o.seconds)
			fprintf(stderr, " for %g s", o.seconds);
		if (o.iterations)
			fprintf(stderr, "%s%lu iterations per worker", o.seconds ? ", at most " :
				" for ", o.iterations);
		if (cg_parent[0])
			fprintf(stderr, ", cgroups in %s", cg_parent);
		fprintf(stderr, "; Ctrl-C stops and cleans up\n");
	}

	t0 = now_s();
	for (w = 0; w < WL_NR && !got_signal; w++) {
		if (!o.want[w])
			continue;
		for (j = 0; j < o.jobs; j++) {
			if (w == WL_MEMCG && (unsigned)j >= o.memcgs)
				break;
			start_worker(w, j);
		}
	}

	next_tick = t0 + 1;
	for (;;) {
		running = reap(false);
		elapsed = now_s() - t0;
		if (got_signal) {
			reason = got_signal == SIGINT ? "stopped by SIGINT" :
				 got_signal == SIGTERM ? "stopped by SIGTERM" : "stopped by SIGHUP";
			break;
		}
		if (!running) {
			reason = o.iterations ? "iterations done" : "all workers exited";
			break;
		}
		if (o.seconds && elapsed >= o.seconds)
			break;
		if (tty && now_s() >= next_tick) {
			progress(elapsed, false);
			next_tick += 1;
		}
		sleep_ms(50);
	}
	atomic_store(&sh->stop, 1);

	/* Let the workers finish their operation and clean up after themselves. */
	while (reap(false)) {
		if (now_s() - t0 - elapsed > STOP_GRACE_S) {
			fprintf(stderr, "shrinkstress: workers still busy after %d s; killing them\n",
				STOP_GRACE_S);
			for (j = 0; j < nworkers; j++)
				if (workers[j])
					kill(workers[j], SIGKILL);
			reap(true);
			break;
		}
		sleep_ms(20);
	}
	if (tty)
		progress(elapsed, true);
	if (cleanup())
		rc = EXIT_ERROR;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;

	report(elapsed, reason, skipped[0] ? skipped : NULL);
	for (w = 0; w < WL_NR; w++)
		errs += get(w, C_ERRORS);
	if (errs)
		rc = EXIT_ERROR;
	return rc;
}
