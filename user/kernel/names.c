// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* kernel/names.c - kernel event to log record; shrinker names per docs/event-log.md. */
#include <stdio.h>
#include <string.h>

#include "kernel/names.h"
#include "lib/util.h"

int st_shrinker_name(const struct st_event *e, const struct ksyms *ks, char *out, size_t len)
{
	char tmp[ST_NAME_LEN + 1];

	out[0] = '\0';
	if (e->flags & ST_F_NAME) {
		st_copy_str(out, len, e->name, sizeof(e->name));
		return 0;
	}
	if (e->flags & ST_F_FSTYPE) {
		st_copy_str(tmp, sizeof(tmp), e->name, sizeof(e->name));
		snprintf(out, len, "sb-%s", tmp);
		return 0;
	}
	if (!(e->flags & ST_F_SCAN_FN) || !e->scan_fn)
		return -1;
	const struct ksym *sym = ksyms_lookup(ks, e->scan_fn);

	if (!sym) {
		snprintf(out, len, "scan@0x%llx", (unsigned long long)e->scan_fn);
		return 0;
	}
	/* "ext4_es_scan [ext4]" -> "ext4_es_scan"; "foo.isra.0" -> "foo". */
	size_t n = strcspn(sym->name, " .");

	if (n >= len)
		n = len - 1;
	memcpy(out, sym->name, n);
	out[n] = '\0';
	if (sym->addr != e->scan_fn) {
		size_t used = strlen(out);

		snprintf(out + used, len - used, "+0x%llx",
			 (unsigned long long)(e->scan_fn - sym->addr));
	}
	return 0;
}

_Static_assert(ST_EVID_MAX == ST_REC_EVIDENCE_N, "enum st_evidence and log/event.c differ");

void st_rec_from_event(struct st_rec *r, const struct st_event *e, const struct ksyms *ks)
{
	memset(r, 0, sizeof(*r));
	r->type = e->type < ST_EV_MAX_KERNEL ? (enum st_type)e->type : ST_UNKNOWN;
	r->ts = e->ts;
	r->cpu = (int)e->cpu;
	r->pid = (int)e->pid;
	st_copy_str(r->comm, sizeof(r->comm), e->comm, sizeof(e->comm));
	r->inferred = e->flags & ST_F_INFERRED;
	r->deferred = e->flags & ST_F_DEFERRED;
	r->id = -1;

	switch (r->type) {
	case ST_SHRINKER_ALLOC:
	case ST_SHRINKER_REGISTER:
		r->has |= ST_HAS_SHRINKER;
		if (!r->inferred || r->type == ST_SHRINKER_REGISTER) {
			r->has |= ST_HAS_FLAGS | ST_HAS_ID;
			r->flags = e->shrinker_flags;
			r->id = e->id;
		}
		break;
	case ST_WALK_BEGIN:
		r->has |= ST_HAS_WALK;
		break;
	case ST_WALK_END:
		r->has |= ST_HAS_FREED;
		break;
	case ST_SHRINK_BEGIN:
		r->has |= ST_HAS_SHRINKER | ST_HAS_WALK | ST_HAS_NR_TO_SCAN;
		break;
	case ST_SHRINK_END:
		r->has |= ST_HAS_SHRINKER | ST_HAS_FREED | ST_HAS_DURATION;
		break;
	case ST_FREE_BEGIN:
	case ST_FREE_END:
	case ST_RCU_FREE:
		r->has |= ST_HAS_SHRINKER;
		break;
	case ST_LOST:
		r->has |= ST_HAS_COUNT;
		r->count = e->freed;
		if (e->flags & ST_F_SHRINKER)
			r->has |= ST_HAS_SHRINKER;
		break;
	default:
		break;
	}
	if (r->has & ST_HAS_SHRINKER)
		r->shrinker = e->shrinker;
	if (r->has & ST_HAS_WALK) {
		r->nid = e->nid;
		r->memcg = e->memcg;
		r->priority = e->priority;
	}
	if (r->has & ST_HAS_NR_TO_SCAN)
		r->nr_to_scan = e->nr_to_scan;
	if (r->has & ST_HAS_FREED)
		r->freed = e->freed;
	if (r->has & ST_HAS_DURATION)
		r->duration_ns = e->duration_ns;
	if ((e->flags & ST_F_SNAPSHOT) && r->type != ST_RCU_FREE) {
		r->has |= ST_HAS_SNAPSHOT;
		r->next = e->next;
		r->prev = e->prev;
	}
	if ((e->flags & ST_F_REFCOUNT) &&
	    (r->type == ST_SHRINK_BEGIN || r->type == ST_FREE_BEGIN)) {
		r->has |= ST_HAS_REFCOUNT;
		r->refcount = e->refcount;
	}
	if (e->evidence && e->evidence < ST_EVID_MAX) {
		r->has |= ST_HAS_EVIDENCE;
		r->evidence = e->evidence;
	}
	if (e->flags & ST_F_EARLIEST) {
		r->has |= ST_HAS_EARLIEST;
		r->earliest_ts = e->earliest_ts;
	}
	if ((r->has & ST_HAS_SHRINKER) && r->type != ST_LOST &&
	    !st_shrinker_name(e, ks, r->name, sizeof(r->name)))
		r->has |= ST_HAS_NAME;
}
