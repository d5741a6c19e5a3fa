// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* kernel/cgroups.c - cgroup ids to paths (see kernel/cgroups.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "kernel/cgroups.h"
#include "lib/htab.h"

#define CG_MAX 65536		/* directories indexed at most */
#define CG_RESCAN_NS 1000000000ULL

struct cgdir {
	struct htab_node hn;	/* key: inode number = cgroup id */
	char *path;
};

struct cgpaths {
	char root[4096];
	size_t rootlen;
	int version;
	struct htab dirs;
	uint64_t last_scan_ns;
	bool scanned;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Does the cgroup v2 root at dir have the memory controller? */
static bool v2_has_memory(const char *dir)
{
	char p[4200], buf[512];
	FILE *f;
	bool yes = false;

	snprintf(p, sizeof(p), "%s/cgroup.controllers", dir);
	f = fopen(p, "re");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f)) {
		for (char *t = strtok(buf, " \n"); t; t = strtok(NULL, " \n"))
			if (!strcmp(t, "memory"))
				yes = true;
	}
	fclose(f);
	return yes;
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

struct cgpaths *cgpaths_new(void)
{
	struct cgpaths *cg = calloc(1, sizeof(*cg));
	char *line = NULL, v1[4096] = "";
	size_t cap = 0;
	FILE *f;

	if (!cg)
		return NULL;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		free(cg);
		return NULL;
	}
	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - FSTYPE SOURCE SUPEROPTS" */
	while (getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - "), *fs, *src, *sopts, *mp;
		char *fields[5];
		int n = 0;

		if (!sep)
			continue;
		*sep = '\0';
		for (char *t = strtok(line, " "); t && n < 5; t = strtok(NULL, " "))
			fields[n++] = t;
		if (n < 5)
			continue;
		mp = fields[4];
		fs = strtok(sep + 3, " ");
		src = fs ? strtok(NULL, " ") : NULL;
		sopts = src ? strtok(NULL, " \n") : NULL;
		if (!fs)
			continue;
		unescape(mp);
		if (!strcmp(fs, "cgroup2") && !cg->version && v2_has_memory(mp)) {
			snprintf(cg->root, sizeof(cg->root), "%s", mp);
			cg->version = 2;
		} else if (!strcmp(fs, "cgroup") && sopts && !v1[0]) {
			for (char *o = strtok(sopts, ","); o; o = strtok(NULL, ","))
				if (!strcmp(o, "memory"))
					snprintf(v1, sizeof(v1), "%s", mp);
		}
	}
	free(line);
	fclose(f);
	if (!cg->version && v1[0]) {
		snprintf(cg->root, sizeof(cg->root), "%s", v1);
		cg->version = 1;
	}
	if (!cg->version) {
		free(cg);
		errno = ENOENT;
		return NULL;
	}
	cg->rootlen = strlen(cg->root);
	return cg;
}

static void drop_all(struct cgpaths *cg)
{
	htab_each(&cg->dirs, i, e, nx) {
		struct cgdir *d = container_of(e, struct cgdir, hn);

		free(d->path);
		free(d);
	}
	htab_free(&cg->dirs);
}

void cgpaths_free(struct cgpaths *cg)
{
	if (!cg)
		return;
	drop_all(cg);
	free(cg);
}

const char *cgpaths_root(const struct cgpaths *cg)
{
	return cg->root;
}

int cgpaths_version(const struct cgpaths *cg)
{
	return cg->version;
}

/* nftw() has no context argument: the scan in progress. */
static struct cgpaths *scanning;

static int visit(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	struct cgpaths *cg = scanning;
	struct cgdir *d;
	const char *rel;

	(void)ftw;
	if (type != FTW_D || cg->dirs.n >= CG_MAX)
		return 0;
	if (htab_first(&cg->dirs, st->st_ino))
		return 0;	/* known (kept: a cgroup's path does not change) */
	rel = p + cg->rootlen;
	d = calloc(1, sizeof(*d));
	if (!d || !(d->path = strdup(*rel ? rel : "/"))) {
		free(d);
		return 0;
	}
	d->hn.key = st->st_ino;
	if (htab_add(&cg->dirs, &d->hn)) {
		free(d->path);
		free(d);
	}
	return 0;
}

static void scan(struct cgpaths *cg)
{
	scanning = cg;
	nftw(cg->root, visit, 32, FTW_PHYS | FTW_MOUNT);
	scanning = NULL;
	cg->scanned = true;
	cg->last_scan_ns = mono_ns();
}

int cgpaths_lookup(struct cgpaths *cg, uint64_t id, char *path, size_t len)
{
	for (int pass = 0; pass < 2; pass++) {
		struct htab_node *e = htab_first(&cg->dirs, id);

		if (e) {
			snprintf(path, len, "%s", container_of(e, struct cgdir, hn)->path);
			return 0;
		}
		if (pass || (cg->scanned && mono_ns() - cg->last_scan_ns < CG_RESCAN_NS))
			break;
		scan(cg);
	}
	return -1;
}
