/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * kernel/cgroups.h - cgroup ids to cgroup paths, for the memcgs of walks and
 * calls.
 *
 * A memcg's cgroup id (kernfs node id, loader_memcg_id()) is the inode
 * number of its directory in the hierarchy the memory controller is on: the
 * cgroup v2 mount when its root lists "memory" in cgroup.controllers, else
 * the cgroup v1 mount with the "memory" option (/proc/self/mountinfo).  The
 * directories of that hierarchy are indexed by inode number; an id not found
 * triggers a new walk of the hierarchy, at most once a second.  Paths are
 * relative to the hierarchy's root: "/" for the root memcg,
 * "/system.slice/cron.service" for a child.
 */
#ifndef ST_CGROUPS_H
#define ST_CGROUPS_H

#include <stddef.h>
#include <stdint.h>

struct cgpaths;

/* Find the memory controller's hierarchy.  NULL with errno (ENOENT: no
 * memory controller mounted; ENOMEM). */
struct cgpaths *cgpaths_new(void);
void cgpaths_free(struct cgpaths *cg);

/* The hierarchy's mount point and its version (1 or 2), for messages. */
const char *cgpaths_root(const struct cgpaths *cg);
int cgpaths_version(const struct cgpaths *cg);

/* The path of cgroup id into path (len bytes, NUL-terminated, cut when too
 * long).  0, or -1 when no directory of the hierarchy has that inode number
 * (the cgroup is gone, or was created since the last walk less than a second
 * ago). */
int cgpaths_lookup(struct cgpaths *cg, uint64_t id, char *path, size_t len);

#endif /* ST_CGROUPS_H */
