/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log/event.c - names of event types and violation kinds (docs/event-log.md).
 */
#include <string.h>

#include "log/event.h"

static const char *const type_names[ST_NTYPES] = {
	[ST_UNKNOWN] = "unknown",
	[ST_SHRINKER_ALLOC] = "shrinker_alloc",
	[ST_SHRINKER_REGISTER] = "shrinker_register",
	[ST_WALK_BEGIN] = "walk_begin",
	[ST_WALK_END] = "walk_end",
	[ST_SHRINK_BEGIN] = "shrink_begin",
	[ST_SHRINK_END] = "shrink_end",
	[ST_FREE_BEGIN] = "free_begin",
	[ST_FREE_END] = "free_end",
	[ST_RCU_FREE] = "rcu_free",
	[ST_LOST] = "lost",
	[ST_VIOLATION] = "violation",
	[ST_HEADER] = "header",
};

static const char *const vkind_names[ST_V_NKINDS] = {
	[ST_V_USE_AFTER_FREE] = "use_after_free",
	[ST_V_WALK_ONTO_QUEUED] = "walk_onto_queued",
	[ST_V_FREE_WHILE_RUNNING] = "free_while_running",
	[ST_V_STALE_NEXT] = "stale_next",
	[ST_V_DOUBLE_FREE] = "double_free",
	[ST_V_STUCK_FREE] = "stuck_free",
};

const char *st_type_name(enum st_type t)
{
	if ((unsigned)t >= ST_NTYPES)
		return "unknown";
	return type_names[t];
}

enum st_type st_type_from_name(const char *name)
{
	if (!name)
		return ST_UNKNOWN;
	for (int t = 1; t < ST_NTYPES; t++)
		if (strcmp(name, type_names[t]) == 0)
			return (enum st_type)t;
	return ST_UNKNOWN;
}

/* Indexed by enum st_evidence (bpf/shrinktrace.h). */
static const char *const evidence_names[ST_REC_EVIDENCE_N] = {
	[1] = "kmalloc", [2] = "call", [3] = "kfree", [4] = "census", [5] = "reuse", [6] = "unlisted",
};

const char *st_evidence_name(unsigned e)
{
	return e < ST_REC_EVIDENCE_N ? evidence_names[e] : NULL;
}

unsigned st_evidence_from_name(const char *name)
{
	if (!name)
		return 0;
	for (unsigned e = 1; e < ST_REC_EVIDENCE_N; e++)
		if (strcmp(name, evidence_names[e]) == 0)
			return e;
	return 0;
}

const char *st_vkind_name(enum st_vkind k)
{
	if ((unsigned)k >= ST_V_NKINDS)
		return "unknown";
	return vkind_names[k];
}

int st_vkind_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int k = 0; k < ST_V_NKINDS; k++)
		if (strcmp(name, vkind_names[k]) == 0)
			return k;
	return -1;
}
