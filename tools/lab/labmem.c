// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * labmem - real causes of reclaim for the lab's `trigger` case (tools/lab/guest/case-trigger.sh),
 * built static into the guest's initramfs as /bin/labmem.
 *
 *   labmem [-n COMM] [-g CGROUP] dentries DIR N
 *       look up N names that do not exist under DIR, each 120 bytes long: on a kernfs
 *       directory (sysfs, cgroup2) every lookup leaves a negative dentry (and its external name)
 *       on the superblock's LRU: reclaimable slab, charged to the task's memcg
 *   labmem [-n COMM] [-g CGROUP] hog FREE_KB RAISE_KB
 *       touch anonymous memory (THP off) 4 MiB at a time until MemFree is below FREE_KB (above
 *       every watermark: nothing reclaimed yet), then raise /proc/sys/vm/min_free_kbytes to
 *       MemFree + RAISE_KB and go on until /proc/vmstat's allocstall_* rose (this task went
 *       into direct reclaim: its allocation failed the min watermark, which woke kswapd too)
 *       and pgscan_kswapd rose (kswapd is reclaiming: its walk follows in the same pass).
 *       It stops early, well before the OOM killer, when free memory and page cache together
 *       come within 32 MiB of the raised minimum (direct reclaim must be able to take what it
 *       needs, else the kernel goes OOM: the slab alone may fall short). min_free_kbytes is
 *       set back, and exit gives the memory back
 *   labmem [-n COMM] [-g CGROUP] read FILE OFFSET_MIB MIB
 *       read MIB MiB of FILE from OFFSET_MIB on (into the page cache, charged to the memcg)
 *   labmem [-n COMM] [-g CGROUP] write FILE VALUE
 *       write VALUE to FILE once (memory.reclaim, drop_caches)
 *
 * -n COMM names the task (PR_SET_NAME) so that the walks it causes are recognisable in the
 * log; -g CGROUP moves it into that cgroup v2 directory first (cgroup.procs).
 * One line on stdout says what was done; errors are one line on stderr, exit 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (4ul << 20)

static int die(const char *what, const char *arg)
{
	fprintf(stderr, "labmem: %s %s: %s\n", what, arg ? arg : "", strerror(errno));
	exit(1);
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -1 : 0;
}

/* a field of /proc/meminfo (kB) or /proc/vmstat; -1 when absent */
static long long proc_field(const char *file, const char *prefix)
{
	char line[256];
	size_t n = strlen(prefix);
	long long v = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		die("open", file);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, prefix, n)) {
			v = strtoll(line + n, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static long long allocstall(void)
{
	static const char *const z[] = { "allocstall_dma ", "allocstall_dma32 ",
					 "allocstall_normal ", "allocstall_movable ",
					 "allocstall_device " };
	long long s = 0;

	for (size_t i = 0; i < sizeof(z) / sizeof(z[0]); i++) {
		long long v = proc_field("/proc/vmstat", z[i]);

		if (v > 0)
			s += v;
	}
	return s;
}

static int dentries(const char *dir, long n)
{
	char path[512];
	struct stat st;
	long misses = 0;

	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/n%0119ld", dir, i);	/* 120 bytes: an external name */
		if (stat(path, &st) < 0 && errno == ENOENT)
			misses++;
	}
	printf("dentries: %ld lookups under %s, %ld negative\n", n, dir, misses);
	return misses == n ? 0 : 1;
}

/* touch one more chunk of anonymous memory (never given back before exit) */
static void touch_chunk(void)
{
	char *p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap", NULL);
	for (size_t o = 0; o < CHUNK; o += 4096)
		p[o] = 1;
}

static long long kb(const char *field)
{
	return proc_field("/proc/meminfo", field);
}

/* clean page cache reclaim can take, and free memory */
static long long takeable_kb(void)
{
	return kb("MemFree:") + kb("Active(file):") + kb("Inactive(file):");
}

/* pages kswapd has scanned on the LRU lists: once it has, shrink_slab() follows in the same
 * shrink_node() pass whatever the watermarks are by then */
static long long kswapd_scanned(void)
{
	return proc_field("/proc/vmstat", "pgscan_kswapd ");
}

static int hog(long long free_kb, long long raise_kb)
{
	long long stall0 = allocstall(), stall = stall0, got = 0, total = kb("MemTotal:") << 10;
	long long kscan0 = kswapd_scanned(), kscan = kscan0;
	long long free0, min_new, min_old;
	const char *why = "MemTotal touched";
	char buf[32];
	FILE *f;

	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		die("prctl", "PR_SET_THP_DISABLE");
	/* 1: down to free_kb free, above every watermark */
	while (kb("MemFree:") > free_kb && got < total) {
		touch_chunk();
		got += CHUNK;
	}
	/* 2: the minimum watermark raised above what is free: this task's next page goes
	 * through direct reclaim (and wakes kswapd) */
	f = fopen("/proc/sys/vm/min_free_kbytes", "r");
	if (!f || fscanf(f, "%lld", &min_old) != 1)
		die("read", "/proc/sys/vm/min_free_kbytes");
	fclose(f);
	free0 = kb("MemFree:");
	min_new = free0 + raise_kb;
	snprintf(buf, sizeof(buf), "%lld", min_new);
	if (write_file("/proc/sys/vm/min_free_kbytes", buf))
		die("write", "/proc/sys/vm/min_free_kbytes");
	while (got < total) {
		/* stop well before the OOM killer: reclaim needs page cache to take */
		if (takeable_kb() < min_new + 32768) {
			why = "page cache nearly gone";
			break;
		}
		touch_chunk();
		got += CHUNK;
		stall = allocstall();
		kscan = kswapd_scanned();
		if (stall > stall0 && kscan > kscan0) {
			why = "direct reclaim (allocstall rose) and kswapd reclaiming (pgscan_kswapd rose)";
			break;
		}
	}
	snprintf(buf, sizeof(buf), "%lld", min_old);
	if (write_file("/proc/sys/vm/min_free_kbytes", buf))
		die("write", "/proc/sys/vm/min_free_kbytes");
	printf("hog: %lld MiB touched; min_free_kbytes %lld -> %lld (MemFree %lld kB) -> %lld; "
	       "allocstall +%lld, pgscan_kswapd +%lld; now MemFree %lld kB, file pages %lld kB; "
	       "stopped: %s\n",
	       got >> 20, min_old, min_new, free0, min_old, stall - stall0, kscan - kscan0,
	       kb("MemFree:"), kb("Active(file):") + kb("Inactive(file):"), why);
	return stall > stall0 && kscan > kscan0 ? 0 : 1;
}

static int read_part(const char *path, long off_mib, long mib)
{
	static char buf[1 << 20];
	int fd = open(path, O_RDONLY);
	long n = 0;

	if (fd < 0)
		die("open", path);
	for (; n < mib; n++) {
		if (pread(fd, buf, sizeof(buf), (off_t)(off_mib + n) << 20) != (ssize_t)sizeof(buf))
			die("read", path);
	}
	close(fd);
	printf("read: %ld MiB of %s from MiB %ld\n", n, path, off_mib);
	return 0;
}

int main(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "+n:g:")) != -1) {
		switch (c) {
		case 'n':
			if (prctl(PR_SET_NAME, optarg, 0, 0, 0))
				die("prctl PR_SET_NAME", optarg);
			break;
		case 'g': {
			char procs[512];

			snprintf(procs, sizeof(procs), "%s/cgroup.procs", optarg);
			if (write_file(procs, "0"))
				die("join cgroup: write 0 to", procs);
			break;
		}
		default:
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[0], "dentries"))
		return dentries(argv[1], atol(argv[2]));
	if (argc == 3 && !strcmp(argv[0], "hog"))
		return hog(atoll(argv[1]), atoll(argv[2]));
	if (argc == 4 && !strcmp(argv[0], "read"))
		return read_part(argv[1], atol(argv[2]), atol(argv[3]));
	if (argc == 3 && !strcmp(argv[0], "write")) {
		if (write_file(argv[1], argv[2])) {
			/* memory.reclaim says EAGAIN when it reclaimed less than asked: it did reclaim */
			if (errno != EAGAIN)
				die("write to", argv[1]);
			printf("write: %s > %s: %s\n", argv[2], argv[1], strerror(errno));
			return 0;
		}
		printf("write: %s > %s: done\n", argv[2], argv[1]);
		return 0;
	}
	fprintf(stderr, "usage: labmem [-n COMM] [-g CGROUP] dentries DIR N | hog FREE_KB RAISE_KB | read FILE OFFSET_MIB MIB | write FILE VALUE\n");
	return 2;
}
