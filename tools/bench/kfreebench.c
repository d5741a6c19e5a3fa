// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * kfreebench.c - what shrinktrace's kmem:kfree and kmem:kmalloc programs add to each
 * kfree()/kmalloc() of the system, measured A/B in one process (not part of the tool).
 *
 * usage: kfreebench FILE [ROUNDS [CALLS]]     (root; FILE: a file without user.shrinktrace
 *                                              on a file system with user xattrs)
 *
 * It opens the tracer's own BPF object (the skeleton of bpf/shrinktrace.bpf.c), configured
 * as user/kernel/loader.c configures the tracepoint backend, loads the programs of
 * kmem:kfree and kmem:kmalloc, and then for each variant below alternates ROUNDS times
 * (default 30): CALLS (default 60000) system calls with the programs detached, the same with
 * them attached.  A call is fgetxattr(fd, "user.shrinktrace", ...): with a 64-byte buffer
 * one kmalloc() and one kfree() in do_getxattr() (kvzalloc + kvfree), without one a single
 * kfree(NULL) (kmem:kfree fires for it too).  Each timing is this thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID), the fastest of 3 loops; the result is the median over rounds
 * of (attached - detached), so slow drifts of a shared machine cancel pair by pair.
 *
 *   variant       programs attached                    call timed
 *   empty         bench_kfree_empty (does nothing)     kfree(NULL)  the dispatch floor
 *   kfree         tp_kfree                             kfree(NULL)
 *   kfree x2      tp_kfree + bench_kfree_empty         kfree(NULL)  two programs on one
 *                                                                   tracepoint (the kernel's
 *                                                                   iterator instead of a
 *                                                                   direct call)
 *   kmalloc       tp_kmalloc                           pair         (the call's kmalloc; its
 *                                                                   kfree is not traced then)
 *
 * Prints one line per variant, "kfreebench: VARIANT +NS ns (p25 .. p75)", and a JSON line.
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

#include <bpf/libbpf.h>
#include <linux/types.h>

#include "kernel/ksyms.h"
#include "shrinktrace.h"
#include "shrinktrace.skel.h"

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ns per call, the fastest of 3 loops of n calls. */
static double run(int fd, int pair, long n)
{
	char buf[64];
	double best = 0;

	for (int r = 0; r < 3; r++) {
		double t0 = cpu_ns();

		for (long i = 0; i < n; i++)
			fgetxattr(fd, "user.shrinktrace", pair ? buf : NULL, pair ? sizeof(buf) : 0);
		double t = (cpu_ns() - t0) / (double)n;

		if (!r || t < best)
			best = t;
	}
	return best;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct variant {
	const char *name;
	const char *progs[2];
	int pair;		/* 1: time pair calls (one kmalloc, one kfree) */
	double med, p25, p75;
};

static int attach(struct shrinktrace_bpf *skel, const struct variant *v, struct bpf_link **links)
{
	for (int i = 0; i < 2; i++) {
		struct bpf_program *p;

		links[i] = NULL;
		if (!v->progs[i])
			continue;
		p = bpf_object__find_program_by_name(skel->obj, v->progs[i]);
		links[i] = p ? bpf_program__attach(p) : NULL;
		if (!links[i]) {
			fprintf(stderr, "kfreebench: attaching %s: %s\n", v->progs[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void detach(struct bpf_link **links)
{
	for (int i = 0; i < 2; i++)
		bpf_link__destroy(links[i]);
}

int main(int argc, char **argv)
{
	struct variant vs[] = {
		{ "empty", { "bench_kfree_empty", NULL }, 0, 0, 0, 0 },
		{ "kfree", { "tp_kfree", NULL }, 0, 0, 0, 0 },
		{ "kfree x2", { "tp_kfree", "bench_kfree_empty" }, 0, 0, 0, 0 },
		{ "kmalloc", { "tp_kmalloc", NULL }, 1, 0, 0, 0 },
	};
	int rounds = argc > 2 ? atoi(argv[2]) : 30;
	long calls = argc > 3 ? atol(argv[3]) : 60000;
	struct shrinktrace_bpf *skel;
	struct ksyms *ks;
	uint64_t a0 = 0, a1 = 0;
	char buf[64];
	int fd;

	if (argc < 2 || rounds < 3 || calls < 100) {
		fprintf(stderr, "usage: kfreebench FILE [ROUNDS>=3 [CALLS>=100]]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || (fgetxattr(fd, "user.shrinktrace", buf, sizeof(buf)) >= 0 || errno != ENODATA)) {
		fprintf(stderr, "kfreebench: %s: want a file without user.shrinktrace on a file system "
			"with user xattrs\n", argv[1]);
		return 1;
	}
	ks = ksyms_load();
	if (ks && ksyms_range(ks, "shrinker_alloc", &a0, &a1))
		a0 = a1 = 0;
	skel = shrinktrace_bpf__open();
	if (!skel) {
		fprintf(stderr, "kfreebench: cannot open the BPF object\n");
		return 1;
	}
	/* as the loader configures the tracepoint backend */
	skel->rodata->infer_lifecycle = true;
	skel->rodata->shrinker_alloc_start = a0;
	skel->rodata->shrinker_alloc_end = a1;
	{
		struct bpf_program *p;

		bpf_object__for_each_program(p, skel->obj) {
			const char *n = bpf_program__name(p);

			bpf_program__set_autoload(p, !strcmp(n, "tp_kfree") ||
						  !strcmp(n, "tp_kmalloc") ||
						  !strcmp(n, "bench_kfree_empty"));
		}
	}
	if (shrinktrace_bpf__load(skel)) {
		fprintf(stderr, "kfreebench: loading the programs failed (root? BPF allowed?)\n");
		return 1;
	}
	for (size_t k = 0; k < sizeof(vs) / sizeof(vs[0]); k++) {
		struct variant *v = &vs[k];
		double *d = calloc((size_t)rounds, sizeof(*d));
		struct bpf_link *links[2];

		if (!d)
			return 1;
		run(fd, v->pair, calls / 10);	/* warm up */
		for (int r = 0; r < rounds; r++) {
			double off = run(fd, v->pair, calls);

			if (attach(skel, v, links))
				return 1;
			double on = run(fd, v->pair, calls);

			detach(links);
			d[r] = on - off;
		}
		qsort(d, (size_t)rounds, sizeof(*d), cmp);
		v->med = d[rounds / 2];
		v->p25 = d[rounds / 4];
		v->p75 = d[(3 * rounds) / 4];
		printf("kfreebench: %-8s %+7.1f ns per call (p25 %+.1f .. p75 %+.1f), %d rounds of %ld\n",
		       v->name, v->med, v->p25, v->p75, rounds, calls);
		free(d);
	}
	printf("kfreebench: {\"empty_ns\": %.1f, \"kfree_one_ns\": %.1f, \"kfree_ns\": %.1f, "
	       "\"kmalloc_ns\": %.1f}\n", vs[0].med, vs[1].med, vs[2].med, vs[3].med);
	shrinktrace_bpf__destroy(skel);
	ksyms_free(ks);
	close(fd);
	return 0;
}
