// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * engine/caps.c - the correlator's caps (SHRINKTRACE_CAPS, the "caps hit"
 * line, the first-hit warnings).  The per-name lifecycle is engine/lifecycle.c.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/corr_int.h"
#include "lib/util.h"

/* ---- caps --------------------------------------------------------------- */

static uint64_t cap_limit(const struct corr_opts *o, enum corr_cap cap)
{
	switch (cap) {
	case CORR_CAP_GENERATIONS:
		return o->max_generations;
	case CORR_CAP_TASKS:
		return o->max_tasks;
	case CORR_CAP_DEPTH:
		return o->max_depth;
	case CORR_CAP_HELD:
		return o->max_held;
	default:
		return o->max_reports;
	}
}

int corr_print_caps(const struct corr *c, FILE *f)
{
	static const char *const what[CORR_NCAPS][2] = {
		[CORR_CAP_GENERATIONS] = { "events on shrinker generations not tracked",
					   "live generations" },
		[CORR_CAP_TASKS] = { "events of tasks not tracked", "tasks in a walk or call" },
		[CORR_CAP_DEPTH] = { "do_shrink_slab() calls not tracked", "nested calls per task" },
		[CORR_CAP_HELD] = { "events released early from the reorder window",
				    "held events" },
		[CORR_CAP_REPORTS] = { "violations not remembered as reported (they may repeat)",
				       "reports" },
	};
	bool any = false;

	for (int k = 0; k < CORR_NCAPS; k++) {
		if (!c->st.cap_hits[k])
			continue;
		fprintf(f, "%s%" PRIu64 " %s (cap %" PRIu64 " %s)", any ? "; " : "caps hit: ",
			c->st.cap_hits[k], what[k][0], cap_limit(&c->o, (enum corr_cap)k), what[k][1]);
		any = true;
	}
	if (any)
		fputc('\n', f);
	return any;
}

const char *corr_cap_warning(enum corr_cap cap, uint64_t limit, char *buf, size_t len)
{
	switch (cap) {
	case CORR_CAP_GENERATIONS:
		snprintf(buf, len, "more than %" PRIu64 " live shrinker generations: events on "
			 "further shrinkers are not correlated", limit);
		break;
	case CORR_CAP_TASKS:
		snprintf(buf, len, "more than %" PRIu64 " tasks in a walk or a do_shrink_slab() "
			 "call at once: events of further tasks are not correlated", limit);
		break;
	case CORR_CAP_DEPTH:
		snprintf(buf, len, "a task is more than %" PRIu64 " do_shrink_slab() calls deep: "
			 "deeper calls are not tracked", limit);
		break;
	case CORR_CAP_HELD:
		snprintf(buf, len, "more than %" PRIu64 " events in the reorder window: the oldest "
			 "are released early (some may then arrive late)", limit);
		break;
	default:
		snprintf(buf, len, "more than %" PRIu64 " violation reports remembered: further "
			 "violations may be reported more than once", limit);
		break;
	}
	return buf;
}

int corr_parse_caps(const char *spec, struct corr_opts *o, char *err, size_t errlen)
{
	static const char *const names[] = { "generations", "tasks", "depth", "held", "reports",
					     "tombstones" };
	const char *p = spec;

	if (!spec)
		return 0;
	while (*p) {
		const char *eq = strchr(p, '='), *end;
		unsigned long long v = 0;
		size_t n;
		int k;

		if (*p == ',') {
			p++;
			continue;
		}
		if (!eq) {
			snprintf(err, errlen, "'%s': expected NAME=N", p);
			return -1;
		}
		n = (size_t)(eq - p);
		for (k = 0; k < (int)(sizeof(names) / sizeof(names[0])); k++)
			if (strlen(names[k]) == n && !strncmp(p, names[k], n))
				break;
		if (k == (int)(sizeof(names) / sizeof(names[0]))) {
			snprintf(err, errlen, "'%.*s' is not one of generations, tasks, depth, held, "
				 "reports, tombstones", (int)n, p);
			return -1;
		}
		for (end = eq + 1; *end >= '0' && *end <= '9'; end++) {
			v = v * 10 + (unsigned)(*end - '0');
			if (v > (1ULL << 32))
				break;
		}
		if (end == eq + 1 || (*end && *end != ',') || v == 0 || v > (1ULL << 32)) {
			snprintf(err, errlen, "%s: '%.*s' is not a number from 1 to 4294967296",
				 names[k], (int)strcspn(eq + 1, ","), eq + 1);
			return -1;
		}
		switch (k) {
		case 0: o->max_generations = (size_t)v; break;
		case 1: o->max_tasks = (size_t)v; break;
		case 2: o->max_depth = v > 65536 ? 65536 : (unsigned)v; break;
		case 3: o->max_held = (size_t)v; break;
		case 4: o->max_reports = (size_t)v; break;
		default: o->max_tombstones = (size_t)v; break;
		}
		p = end;
	}
	return 0;
}
