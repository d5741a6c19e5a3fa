/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log/event.h - one event of the shrinktrace/1 log (docs/event-log.md) in user space.
 *
 * struct st_rec is what every user-space part speaks: the live loader fills it
 * from a struct st_event (bpf/shrinktrace.h), the log reader fills it from a
 * JSON line, the correlator consumes it, the writers print it.  It owns no
 * heap memory: copy it by value.
 */
#ifndef ST_EVENT_H
#define ST_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#define ST_REC_COMM_LEN 16	/* task comm: at most 15 bytes + NUL */
#define ST_REC_NAME_LEN 64	/* shrinker name: derived names are bounded here */

enum st_type {
	ST_UNKNOWN = 0,
	ST_SHRINKER_ALLOC = 1,
	ST_SHRINKER_REGISTER = 2,
	ST_WALK_BEGIN = 3,
	ST_WALK_END = 4,
	ST_SHRINK_BEGIN = 5,
	ST_SHRINK_END = 6,
	ST_FREE_BEGIN = 7,
	ST_FREE_END = 8,
	ST_RCU_FREE = 9,
	ST_LOST = 10,
	ST_VIOLATION = 11,	/* correlator output; ignored on replay input */
	ST_HEADER = 12,		/* the log's first line */
	ST_NTYPES = 13,
};

/* Presence bits for the optional fields of struct st_rec. */
#define ST_HAS_SHRINKER	  (1u << 0)
#define ST_HAS_NAME	  (1u << 1)
#define ST_HAS_FLAGS	  (1u << 2)	/* flags + id (shrinker_register / shrinker_alloc) */
#define ST_HAS_WALK	  (1u << 3)	/* nid, memcg, priority */
#define ST_HAS_NR_TO_SCAN (1u << 4)
#define ST_HAS_REFCOUNT	  (1u << 5)
#define ST_HAS_SNAPSHOT	  (1u << 6)	/* next, prev */
#define ST_HAS_FREED	  (1u << 7)
#define ST_HAS_DURATION	  (1u << 8)
#define ST_HAS_COUNT	  (1u << 9)	/* lost */
#define ST_HAS_ID	  (1u << 10)
#define ST_HAS_EARLIEST	  (1u << 11)	/* earliest_ts (inferred events) */
#define ST_HAS_EVIDENCE	  (1u << 12)	/* evidence (inferred events, lost) */

/* "evidence": how the tracepoint backend knows an inferred event; the values
 * are those of enum st_evidence in bpf/shrinktrace.h (ABI). */
#define ST_REC_EVIDENCE_N 7

struct st_rec {
	enum st_type type;
	uint32_t has;		/* ST_HAS_* */
	uint64_t ts;		/* CLOCK_MONOTONIC ns */
	int cpu;
	int pid;		/* kernel task id */
	char comm[ST_REC_COMM_LEN];
	bool inferred;		/* "inferred": true */
	bool deferred;		/* "deferred": true: a shrink_begin written at the call's
				 * end or at shrinker_free(), after being held back by
				 * filters or stats-only mode (ts is still the entry) */

	uint64_t shrinker;	/* struct shrinker * */
	char name[ST_REC_NAME_LEN];
	uint32_t flags;		/* shrinker->flags */
	int id;			/* shrinker->id, -1 when not memcg aware */

	int nid;
	uint64_t memcg;		/* struct mem_cgroup *, 0 for global reclaim */
	int priority;
	uint64_t nr_to_scan;

	int refcount;		/* snapshot: refcount_read(&shrinker->refcount), 6.7+ */
	uint64_t next, prev;	/* snapshot: shrinker->list.next / .prev */

	uint64_t freed;		/* objects freed; ST_FREED_EMPTY for SHRINK_EMPTY */
	uint64_t duration_ns;
	uint64_t count;		/* lost: events dropped by the kernel side */
	uint64_t earliest_ts;	/* ST_HAS_EARLIEST: the event happened in [earliest_ts, ts], ns */
	unsigned evidence;	/* ST_HAS_EVIDENCE: enum st_evidence (bpf/shrinktrace.h), 1.. */
};

/* SHRINK_EMPTY (~0UL - 1), written as "empty" in the log. */
#define ST_FREED_EMPTY (~(uint64_t)0 - 1)
/* LIST_POISON2 on x86-64: prev of an entry list_del_rcu() has unlinked. */
#define ST_POISON2 0xdead000000000122ULL

/* The violation kinds of docs/event-log.md, in its table order: when several fit one
 * event only the first in this order is raised. */
enum st_vkind {
	ST_V_USE_AFTER_FREE = 0,
	ST_V_WALK_ONTO_QUEUED,
	ST_V_FREE_WHILE_RUNNING,
	ST_V_STALE_NEXT,
	ST_V_DOUBLE_FREE,
	ST_V_STUCK_FREE,
	ST_V_NKINDS,
};

#define ST_DETAIL_LEN 512

/* A correlator verdict: the "violation" record of docs/event-log.md. */
struct st_violation {
	enum st_vkind kind;
	uint64_t ts;		/* trace time the violation was found, ns */
	int cpu;		/* cpu, pid, comm of the event that triggered it; for */
	int pid;		/* stuck_free: the task stuck in shrinker_free() */
	char comm[ST_REC_COMM_LEN];
	uint64_t generation;	/* the correlator's serial number of the generation */
	uint64_t shrinker;
	bool has_next;
	uint64_t next;		/* stale_next: the shrinker the walk steps onto */
	int walker_pid;		/* 0 when no walker is involved */
	char walker_comm[ST_REC_COMM_LEN];
	bool certain;		/* false when a lost record lies between its events */
	char name[ST_REC_NAME_LEN];
	char detail[ST_DETAIL_LEN];
};

/* JSON name of an event type ("shrink_begin", ...); "unknown" if out of range. */
const char *st_type_name(enum st_type t);
/* Event type for a JSON name; ST_UNKNOWN when the name is not one of docs/event-log.md. */
enum st_type st_type_from_name(const char *name);
/* JSON name of an evidence value ("kmalloc", "call", "kfree", "census", "reuse",
 * "unlisted"); NULL when out of range or 0. */
const char *st_evidence_name(unsigned e);
/* Evidence value for a JSON name; 0 when unknown. */
unsigned st_evidence_from_name(const char *name);
/* JSON name of a violation kind ("stale_next", ...). */
const char *st_vkind_name(enum st_vkind k);
/* Kind for a JSON name; -1 when unknown. */
int st_vkind_from_name(const char *name);

#endif /* ST_EVENT_H */
