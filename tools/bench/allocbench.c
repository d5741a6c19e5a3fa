// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * allocbench.c - what a tracer adds to each kmalloc()/kfree() of the system.
 *
 * usage: allocbench FILE MODE N [REPS]
 *   MODE pair: N x fgetxattr(fd, "user.shrinktrace", buf, 64): one kmalloc() and one
 *              kfree() in the kernel per call (do_getxattr(): kvzalloc + kvfree, ENODATA
 *              on a file without that attribute; verified with kmem:kmalloc/kfree);
 *   MODE free: N x fgetxattr(fd, "user.shrinktrace", NULL, 0): one kfree(NULL) per call,
 *              which fires kmem:kfree like any kfree();
 * prints one line: "MODE N ns_per_call": the fastest of REPS (default 5) loops of N calls,
 * each timed with CLOCK_THREAD_CPUTIME_ID (this thread's CPU time: on a shared machine
 * the time others run on this CPU does not count; what they do to its caches still does,
 * hence the fastest loop).
 *
 * tools/bench/allocbench.sh runs it untraced and traced in turns and turns the medians
 * into ns per kfree() (free) and per kmalloc() (pair - free).  Not part of the tool.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	char buf[64];
	double t0, t1, best = 0;
	long n, reps = 5;
	int fd, pair;

	if (argc == 5)
		reps = atol(argv[4]);
	if ((argc != 4 && argc != 5) || reps <= 0 || (strcmp(argv[2], "pair") && strcmp(argv[2], "free")) ||
	    (n = atol(argv[3])) <= 0) {
		fprintf(stderr, "usage: allocbench FILE pair|free N [REPS]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "allocbench: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	pair = !strcmp(argv[2], "pair");
	/* the attribute must not exist: ENODATA is the path measured */
	if (fgetxattr(fd, "user.shrinktrace", buf, sizeof(buf)) >= 0 || errno != ENODATA) {
		fprintf(stderr, "allocbench: %s: fgetxattr must fail with ENODATA (%s): use a "
			"file without user.shrinktrace on a file system with user xattrs\n",
			argv[1], strerror(errno));
		return 1;
	}
	for (long i = 0; i < n / 10; i++)	/* warm up */
		fgetxattr(fd, "user.shrinktrace", pair ? buf : NULL, pair ? sizeof(buf) : 0);
	for (long r = 0; r < reps; r++) {
		t0 = now_ns();
		for (long i = 0; i < n; i++)
			fgetxattr(fd, "user.shrinktrace", pair ? buf : NULL, pair ? sizeof(buf) : 0);
		t1 = now_ns();
		if (!r || (t1 - t0) / (double)n < best)
			best = (t1 - t0) / (double)n;
	}
	printf("%s %ld %.1f\n", argv[2], n, best);
	close(fd);
	return 0;
}
