/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * genlog - write a realistic, clean shrinktrace/1 log of N events for the
 * replay benchmark:  genlog N [OUT]  (OUT defaults to stdout).
 *
 * A model kernel with 4 CPUs: ~100 registered shrinkers on a list, mounts and
 * umounts churning sb-* shrinkers over a pool of 512 addresses (address reuse),
 * kswapd and direct-reclaim walks over the list (global and memcg, with the
 * SHRINK_EMPTY second call), shrinker_free() only between calls on the same
 * shrinker, RCU frees a few ms after the queueing, and per-CPU delivery that
 * puts events out of ts order by up to ~1 ms.  Deterministic (fixed seed).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/event.h"
#include "log/writer.h"

#define POOL 512
#define HEAD 0xffffffff83a1b2c0ULL
#define NCPU 4
#define DELAY 64	/* per-CPU delivery buffer: events held back */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct slot {
	int state;		/* 0 free, 1 live, 2 queued (awaiting RCU) */
	uint64_t rcu_at;
	char name[32];
};

static struct slot pool[POOL];
static uint64_t now = 1000000000;
static uint64_t n_out, n_want;
static FILE *out;
static char buf[ST_JSONL_MAX];

/* per-CPU delivery: a small ring per CPU, flushed in random order */
static struct st_rec ring[NCPU][DELAY];
static int nring[NCPU];

static void flush_one(int cpu)
{
	int n = st_jsonl_format_rec(buf, sizeof(buf), &ring[cpu][0]);

	if (n > 0)
		fwrite(buf, 1, (size_t)n, out);
	memmove(&ring[cpu][0], &ring[cpu][1], (size_t)(nring[cpu] - 1) * sizeof(ring[0][0]));
	nring[cpu]--;
	n_out++;
}

static void emit(struct st_rec *r)
{
	int cpu = r->cpu % NCPU;

	if (nring[cpu] == DELAY)
		flush_one(cpu);
	ring[cpu][nring[cpu]++] = *r;
	/* drain some CPU now and then: cross-CPU order is lost */
	if ((rnd() & 3) == 0) {
		int c = (int)(rnd() % NCPU);

		if (nring[c])
			flush_one(c);
	}
}

static uint64_t addr(int i)
{
	return 0xffff888104000000ULL + (uint64_t)i * 0x400;
}

static struct st_rec base(enum st_type t, int cpu, int pid, const char *comm)
{
	struct st_rec r;

	memset(&r, 0, sizeof(r));
	r.type = t;
	now += 500 + rnd() % 1500;	/* events within a burst: 0.5-2 us apart */
	r.ts = now;
	r.cpu = cpu;
	r.pid = pid;
	snprintf(r.comm, sizeof(r.comm), "%s", comm);
	return r;
}

static void shrinker_ev(enum st_type t, int i, int cpu, int pid, const char *comm, bool inferred)
{
	struct st_rec r = base(t, cpu, pid, comm);

	r.shrinker = addr(i);
	r.has = ST_HAS_SHRINKER;
	r.inferred = inferred;
	if (t == ST_SHRINKER_REGISTER) {
		snprintf(r.name, sizeof(r.name), "%s", pool[i].name);
		r.flags = 3;
		r.id = i;
		r.has |= ST_HAS_NAME | ST_HAS_FLAGS | ST_HAS_ID;
	} else if (t == ST_SHRINKER_ALLOC) {
		r.flags = 3;
		r.has |= ST_HAS_FLAGS;
	}
	emit(&r);
}

static const char *fstypes[] = { "tmpfs", "ramfs", "proc", "sysfs", "overlay", "ext4", "xfs", "nfs" };

static void mount_one(int i)
{
	pool[i].state = 1;
	if (i < 40)
		snprintf(pool[i].name, sizeof(pool[i].name), "%s", (const char *[]){ "mm-shadow", "huge_zero", "kfree_rcu", "dquota", "deferred_split" }[i % 5]);
	else
		snprintf(pool[i].name, sizeof(pool[i].name), "sb-%s", fstypes[rnd() % 8]);
	shrinker_ev(ST_SHRINKER_ALLOC, i, 0, 3000 + i, "mount", false);
	shrinker_ev(ST_SHRINKER_REGISTER, i, 0, 3000 + i, "mount", false);
}

static int next_live(int i)
{
	for (int j = i + 1; j < POOL; j++)
		if (pool[j].state == 1)
			return j;
	return -1;
}

static void walk(int cpu, int pid, const char *comm, bool memcg)
{
	struct st_rec r = base(ST_WALK_BEGIN, cpu, pid, comm);
	uint64_t mc = memcg ? 0xffff888100a00000ULL + (rnd() % 16) * 0x1000 : 0;
	uint64_t total = 0;

	r.memcg = mc;
	r.priority = 12 - (int)(rnd() % 3);
	r.has = ST_HAS_WALK;
	emit(&r);
	for (int i = next_live(-1), k = 0; i >= 0 && k < 24; i = next_live(i), k++) {
		int nx = next_live(i);
		int calls = memcg && (rnd() & 1) ? 2 : 1;	/* SHRINK_EMPTY: called again */

		for (int c = 0; c < calls; c++) {
			r = base(ST_SHRINK_BEGIN, cpu, pid, comm);
			r.shrinker = addr(i);
			snprintf(r.name, sizeof(r.name), "%s", pool[i].name);
			r.memcg = mc;
			r.priority = 12;
			r.nr_to_scan = 128;
			r.refcount = 2;
			r.next = nx >= 0 ? addr(nx) : HEAD;
			r.prev = HEAD;
			r.has = ST_HAS_SHRINKER | ST_HAS_NAME | ST_HAS_WALK | ST_HAS_NR_TO_SCAN |
				ST_HAS_REFCOUNT | ST_HAS_SNAPSHOT;
			emit(&r);
			r = base(ST_SHRINK_END, cpu, pid, comm);
			r.shrinker = addr(i);
			r.freed = calls == 2 && c == 0 ? ST_FREED_EMPTY : rnd() % 64;
			if (r.freed != ST_FREED_EMPTY)
				total += r.freed;
			r.duration_ns = 1000 + rnd() % 100000;
			r.next = nx >= 0 ? addr(nx) : HEAD;
			r.prev = HEAD;
			r.has = ST_HAS_SHRINKER | ST_HAS_FREED | ST_HAS_DURATION | ST_HAS_SNAPSHOT;
			emit(&r);
		}
	}
	r = base(ST_WALK_END, cpu, pid, comm);
	r.freed = total;
	r.has = ST_HAS_FREED;
	emit(&r);
}

int main(int argc, char **argv)
{
	static const char *walkers[] = { "kswapd0", "kswapd1", "postgres", "java" };

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: genlog N [OUT]\n");
		return 2;
	}
	n_want = strtoull(argv[1], NULL, 10);
	out = argc == 3 ? fopen(argv[2], "w") : stdout;
	if (!out) {
		perror(argv[2]);
		return 1;
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	if (st_jsonl_format_header(buf, sizeof(buf), "6.12.95", "fentry", now, -1) > 0)
		fputs(buf, out);
	for (int i = 0; i < 100; i++)
		mount_one(i * 5);
	while (n_out < n_want) {
		uint64_t x = rnd() % 100;
		int cpu = (int)(rnd() % NCPU);

		now += 200000 + rnd() % 800000;	/* 0.2-1 ms between bursts */
		if (x < 70) {
			walk(cpu, 100 + cpu, walkers[cpu], rnd() % 3 == 0);
		} else if (x < 85) {
			/* umount: a live sb-* shrinker is freed between walks */
			int i = (int)(rnd() % POOL);

			if (i >= 40 && pool[i].state == 1) {
				shrinker_ev(ST_FREE_BEGIN, i, cpu, 5000 + i, "umount", false);
				shrinker_ev(ST_FREE_END, i, cpu, 5000 + i, "umount", false);
				pool[i].state = 2;
				pool[i].rcu_at = now + 2000000 + rnd() % 5000000;
			}
		} else {
			int i = (int)(rnd() % POOL);

			if (i >= 40 && pool[i].state == 0)
				mount_one(i);
		}
		/* RCU callbacks whose grace period ended */
		for (int i = 0; i < POOL; i++)
			if (pool[i].state == 2 && pool[i].rcu_at <= now) {
				shrinker_ev(ST_RCU_FREE, i, i % NCPU, 0, "swapper", false);
				pool[i].state = 0;
			}
	}
	for (int c = 0; c < NCPU; c++)
		while (nring[c])
			flush_one(c);
	if (fclose(out)) {
		perror("genlog");
		return 1;
	}
	return 0;
}
