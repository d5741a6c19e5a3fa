/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * kernel/names.h - turning a kernel-side struct st_event into a struct st_rec, and
 * the shrinker names of docs/event-log.md.
 */
#ifndef ST_NAMES_H
#define ST_NAMES_H

#include <linux/types.h>
#include <stddef.h>

#include "log/event.h"
#include "kernel/ksyms.h"
#include "shrinktrace.h"

/*
 * Name of the shrinker in e, written NUL-terminated into out (len > 0):
 *  - shrinker->name where the kernel has it (CONFIG_SHRINKER_DEBUG),
 *  - "sb-<fstype>" for a superblock shrinker (super_cache_scan),
 *  - else the symbol of scan_objects without module and ".isra"-style
 *    suffixes (ks may be NULL: then "scan@0x<addr>").
 * Returns 0, or -1 when e carries nothing to name it by (out is then "").
 */
int st_shrinker_name(const struct st_event *e, const struct ksyms *ks, char *out, size_t len);

/* Fill r (overwritten) from kernel event e.  ks names shrinkers, may be NULL.
 * Unknown types give r->type == ST_UNKNOWN. */
void st_rec_from_event(struct st_rec *r, const struct st_event *e, const struct ksyms *ks);

#endif /* ST_NAMES_H */
