// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sinks/text.c - aligned live event lines. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/text.h"

#define NAME_SLOTS 4096		/* power of two */

struct name_slot {
	uint64_t addr;
	char name[ST_REC_NAME_LEN];
};

struct text_out {
	FILE *f;
	uint64_t start_ts;
	struct name_slot *names;	/* direct-mapped cache by address hash */
};

static size_t slot_of(uint64_t addr)
{
	addr ^= addr >> 33;
	addr *= 0xff51afd7ed558ccdULL;
	addr ^= addr >> 33;
	return (size_t)(addr & (NAME_SLOTS - 1));
}

struct text_out *text_out_new(FILE *f, uint64_t start_ts)
{
	struct text_out *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->names = calloc(NAME_SLOTS, sizeof(*t->names));
	if (!t->names) {
		free(t);
		return NULL;
	}
	t->f = f;
	t->start_ts = start_ts;
	return t;
}

void text_out_free(struct text_out *t)
{
	if (!t)
		return;
	free(t->names);
	free(t);
}

void text_out_learn_name(struct text_out *t, uint64_t addr, const char *name)
{
	struct name_slot *s = &t->names[slot_of(addr)];

	if (!addr || !name[0])
		return;
	s->addr = addr;
	snprintf(s->name, sizeof(s->name), "%s", name);
}

static const char *known_name(const struct text_out *t, uint64_t addr)
{
	const struct name_slot *s = &t->names[slot_of(addr)];

	return s->addr == addr ? s->name : "";
}

void text_out_header(struct text_out *t)
{
	fprintf(t->f, "%-12s %-7s %-15s %-18s %-18s %-22s %3s %8s %10s\n", "TIME(s)", "PID",
		"COMM", "EVENT", "SHRINKER", "NAME", "NID", "FREED", "LAT(us)");
}

/* Printable copy of a comm: control bytes become '?'. */
static void clean_comm(char *out, const char *in)
{
	size_t i;

	for (i = 0; i < ST_REC_COMM_LEN - 1 && in[i]; i++)
		out[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? '?' : in[i];
	out[i] = '\0';
}

void text_out_event(struct text_out *t, const struct st_rec *r)
{
	char ev[24], shr[20] = "-", nid[8] = "-", freed[24] = "-", lat[24] = "-";
	char comm[ST_REC_COMM_LEN];
	const char *name = "";
	double rel = r->ts >= t->start_ts ? (double)(r->ts - t->start_ts) / 1e9
					  : -(double)(t->start_ts - r->ts) / 1e9;

	if (r->has & ST_HAS_NAME)
		text_out_learn_name(t, r->shrinker, r->name);
	else if (r->type == ST_SHRINKER_ALLOC)
		t->names[slot_of(r->shrinker)].addr = 0;	/* a new generation */
	snprintf(ev, sizeof(ev), "%s%s", st_type_name(r->type), r->inferred ? "*" : "");
	if (r->has & ST_HAS_SHRINKER) {
		snprintf(shr, sizeof(shr), "%" PRIx64, r->shrinker);
		name = (r->has & ST_HAS_NAME) ? r->name : known_name(t, r->shrinker);
	}
	if (r->has & ST_HAS_WALK)
		snprintf(nid, sizeof(nid), "%d", r->nid);
	if (r->has & ST_HAS_FREED) {
		if (r->freed == ST_FREED_EMPTY)
			snprintf(freed, sizeof(freed), "empty");
		else
			snprintf(freed, sizeof(freed), "%" PRIu64, r->freed);
	}
	if (r->has & ST_HAS_COUNT)
		snprintf(freed, sizeof(freed), "%" PRIu64 "!", r->count);
	if (r->has & ST_HAS_DURATION)
		snprintf(lat, sizeof(lat), "%.1f", (double)r->duration_ns / 1e3);
	clean_comm(comm, r->comm);
	fprintf(t->f, "%-12.6f %-7d %-15s %-18s %-18s %-22s %3s %8s %10s\n", rel, r->pid, comm,
		ev, shr, name, nid, freed, lat);
}

void text_out_violation(struct text_out *t, const struct st_violation *v)
{
	fprintf(t->f, "!! VIOLATION %s shrinker %" PRIx64 " (%s)%s: %s\n", st_vkind_name(v->kind),
		v->shrinker, v->name[0] ? v->name : "?", v->certain ? "" : " [uncertain: events lost]",
		v->detail);
}
