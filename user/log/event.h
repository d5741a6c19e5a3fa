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
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "shrinktrace.h"	/* ST_F_*: kernel flags saying which fields an event fills */

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
	ST_MEMCG = 13,		/* what a memcg is (cgroup id, path): metadata, not an event */
	ST_STACK = 14,		/* a kernel stack of walks' callers (--stacks): metadata */
	ST_NTYPES = 15,
};

/* Presence bits for the optional fields of struct st_rec (a field's `has`
 * in the table below; several fields may share one). */
#define ST_HAS_SHRINKER	  (1u << 0)
#define ST_HAS_NAME	  (1u << 1)
#define ST_HAS_FLAGS	  (1u << 2)	/* flags (shrinker_register / shrinker_alloc) */
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
#define ST_HAS_SCAN_INFO  (1u << 13)	/* delta, total_scan, scanned, nr_deferred,
					 * new_nr_deferred, unused_scan (shrink_end) */
#define ST_HAS_COUNT_NS	  (1u << 14)	/* count_ns (shrink_end) */
#define ST_HAS_SCAN_NS	  (1u << 15)	/* scan_ns (shrink_end) */
#define ST_HAS_TRIGGER	  (1u << 16)	/* trigger, gfp (walk_begin) */
#define ST_HAS_LIMIT	  (1u << 17)	/* memcg_limit (walk_begin of trigger memcg) */
#define ST_HAS_ORDER	  (1u << 18)	/* order (walk_begin) */
#define ST_HAS_STACK	  (1u << 19)	/* stack_id (walk_begin, --stacks) */

/* The enumerations of the log (ST_FT_ENUM fields) have the values of their
 * kernel ABI enums in bpf/shrinktrace.h: "evidence" enum st_evidence,
 * "trigger" enum st_trigger, "memcg_limit" enum st_memcg_limit.  Their names
 * are in log/event.c (st_enum_names_*). */
#define ST_REC_EVIDENCE_N ST_EVID_MAX

/* Sets of event types (bit t for enum st_type t), for the field table. */
#define ST_T(t) (1u << (t))
#define ST_T_EVENTS	0x7feu	/* every kernel event type, ST_SHRINKER_ALLOC..ST_LOST */
#define ST_T_SHRINKER	(ST_T(ST_SHRINKER_ALLOC) | ST_T(ST_SHRINKER_REGISTER) |		\
			 ST_T(ST_SHRINK_BEGIN) | ST_T(ST_SHRINK_END) | ST_T(ST_FREE_BEGIN) |	\
			 ST_T(ST_FREE_END) | ST_T(ST_RCU_FREE))
#define ST_T_IDS	(ST_T(ST_SHRINKER_ALLOC) | ST_T(ST_SHRINKER_REGISTER))
#define ST_T_WALKINFO	(ST_T(ST_WALK_BEGIN) | ST_T(ST_SHRINK_BEGIN))
#define ST_T_SNAPSHOT	(ST_T_SHRINKER & ~ST_T(ST_RCU_FREE))
#define ST_T_FREED	(ST_T(ST_WALK_END) | ST_T(ST_SHRINK_END))
#define ST_T_END	ST_T(ST_SHRINK_END)
#define ST_T_WALK	ST_T(ST_WALK_BEGIN)

/*
 * THE FIELD TABLE of the event record: every field of the shrinktrace/1 log
 * (docs/event-log.md), in the order the writer writes them.  The record
 * (struct st_rec), the JSONL writer and reader, the CSV columns, the Perfetto
 * args, redaction and the kernel event -> record copy (kernel/names.c) are
 * all generated from it or iterate it (st_fields[]).  Adding a field to the
 * log is one row here, plus its kernel side (bpf/shrinktrace.h, .bpf.c).
 *
 *   F(member, ctype, dims, key, ftype, min, max, has, in, req, redact, out)
 *   FK(... the same ..., kmember, kflag)
 *
 * member/ctype/dims  the member of struct st_rec: `ctype member dims;`
 * key                its JSON name (never renamed: a public contract)
 * ftype              ST_FT_*: how it is written and read
 * min, max           ST_FT_I32/U32: the range a log may hold (else unused)
 * has                ST_HAS_* presence bit; 0: on every event (ts, cpu, pid,
 *                    comm), or, for ST_FT_FLAG, written only when true
 * in                 event types the kernel side fills it on (ST_T_* set)
 * req                event types a log line must carry it on (reader)
 * redact             ST_RD_*: what --redact does to it
 * out                ST_OUT_*: extra places it appears (Perfetto args)
 * kmember, kflag     FK only: copied from struct st_event's kmember (bpf/
 *                    shrinktrace.h) on the `in` types when st_event.flags has
 *                    kflag (0: always).  F fields are set by kernel/names.c
 *                    itself (inferred, deferred: ST_F_* bits; name: derived).
 */
#define ST_FIELDS(F, FK)									\
	FK(ts, uint64_t, , "ts", ST_FT_U64, 0, 0, 0, ST_T_EVENTS, ST_T_EVENTS, ST_RD_KEEP, 0,	\
	   ts, 0)										\
	FK(cpu, int, , "cpu", ST_FT_I32, 0, INT32_MAX, 0, ST_T_EVENTS, ST_T_EVENTS, ST_RD_KEEP,	\
	   ST_OUT_PF, cpu, 0)									\
	FK(pid, int, , "pid", ST_FT_I32, 0, INT32_MAX, 0, ST_T_EVENTS, ST_T_EVENTS, ST_RD_PID,	\
	   0, pid, 0)										\
	FK(comm, char, [ST_REC_COMM_LEN], "comm", ST_FT_STR, 0, 0, 0, ST_T_EVENTS, ST_T_EVENTS,	\
	   ST_RD_COMM, 0, comm, 0)								\
	F(inferred, bool, , "inferred", ST_FT_FLAG, 0, 0, 0, ST_T_EVENTS, 0, ST_RD_KEEP,	\
	  ST_OUT_PF)										\
	F(deferred, bool, , "deferred", ST_FT_FLAG, 0, 0, 0, ST_T(ST_SHRINK_BEGIN), 0,		\
	  ST_RD_KEEP, ST_OUT_PF)								\
	FK(shrinker, uint64_t, , "shrinker", ST_FT_PTR, 0, 0, ST_HAS_SHRINKER, ST_T_SHRINKER,	\
	   ST_T_SHRINKER, ST_RD_ADDR, ST_OUT_PF | ST_OUT_PF_KEY, shrinker, 0)					\
	F(name, char, [ST_REC_NAME_LEN], "name", ST_FT_STR, 0, 0, ST_HAS_NAME, ST_T_SHRINKER, 0,	\
	  ST_RD_NAME, 0)									\
	FK(flags, uint32_t, , "flags", ST_FT_U32, 0, UINT32_MAX, ST_HAS_FLAGS, ST_T_IDS, 0,	\
	   ST_RD_KEEP, ST_OUT_PF, shrinker_flags, 0)						\
	FK(id, int, , "id", ST_FT_I32, -1, INT32_MAX, ST_HAS_ID, ST_T_IDS, 0, ST_RD_KEEP,	\
	   ST_OUT_PF, id, 0)										\
	FK(nid, int, , "nid", ST_FT_I32, -1, INT32_MAX, ST_HAS_WALK, ST_T_WALKINFO,		\
	   ST_T(ST_WALK_BEGIN), ST_RD_KEEP, ST_OUT_PF, nid, 0)					\
	FK(memcg, uint64_t, , "memcg", ST_FT_PTR, 0, 0, ST_HAS_WALK, ST_T_WALKINFO,		\
	   ST_T(ST_WALK_BEGIN), ST_RD_ADDR, ST_OUT_PF, memcg, 0)				\
	FK(priority, int, , "priority", ST_FT_I32, INT32_MIN, INT32_MAX, ST_HAS_WALK,		\
	   ST_T_WALKINFO, ST_T(ST_WALK_BEGIN), ST_RD_KEEP, ST_OUT_PF, priority, 0)		\
	FK(nr_to_scan, uint64_t, , "nr_to_scan", ST_FT_U64, 0, 0, ST_HAS_NR_TO_SCAN,		\
	   ST_T(ST_SHRINK_BEGIN), 0, ST_RD_KEEP, ST_OUT_PF, nr_to_scan, 0)			\
	FK(refcount, int, , "refcount", ST_FT_I32, INT32_MIN, INT32_MAX, ST_HAS_REFCOUNT,	\
	   ST_T(ST_SHRINK_BEGIN) | ST_T(ST_FREE_BEGIN), 0, ST_RD_KEEP, ST_OUT_PF, refcount,	\
	   ST_F_REFCOUNT)									\
	FK(next, uint64_t, , "next", ST_FT_PTR, 0, 0, ST_HAS_SNAPSHOT, ST_T_SNAPSHOT, 0,	\
	   ST_RD_LIST, ST_OUT_PF | ST_OUT_PF_END, next, ST_F_SNAPSHOT)				\
	FK(prev, uint64_t, , "prev", ST_FT_PTR, 0, 0, ST_HAS_SNAPSHOT, ST_T_SNAPSHOT, 0,	\
	   ST_RD_LIST, ST_OUT_PF | ST_OUT_PF_END, prev, ST_F_SNAPSHOT)				\
	FK(freed, uint64_t, , "freed", ST_FT_FREED, 0, 0, ST_HAS_FREED, ST_T_FREED, ST_T_FREED,	\
	   ST_RD_KEEP, ST_OUT_PF, freed, 0)							\
	FK(duration_ns, uint64_t, , "duration_ns", ST_FT_U64, 0, 0, ST_HAS_DURATION,		\
	   ST_T(ST_SHRINK_END), 0, ST_RD_KEEP, ST_OUT_PF, duration_ns, 0)			\
	FK(count, uint64_t, , "count", ST_FT_FREED, 0, 0, ST_HAS_COUNT,			\
	   ST_T(ST_LOST) | ST_T_END, ST_T(ST_LOST), ST_RD_KEEP, ST_OUT_PF, count, ST_F_COUNT)	\
	F(evidence, unsigned, , "evidence", ST_FT_ENUM, 0, ST_EVID_MAX, ST_HAS_EVIDENCE,	\
	  ST_T_EVENTS, 0, ST_RD_KEEP, ST_OUT_PF)						\
	FK(earliest_ts, uint64_t, , "earliest_ts", ST_FT_U64, 0, 0, ST_HAS_EARLIEST,		\
	   ST_T_EVENTS, 0, ST_RD_KEEP, ST_OUT_PF, earliest_ts, ST_F_EARLIEST)			\
	FK(delta, uint64_t, , "delta", ST_FT_U64, 0, 0, ST_HAS_SCAN_INFO, ST_T_END, 0,		\
	   ST_RD_KEEP, ST_OUT_PF, delta, ST_F_SCAN_INFO)					\
	FK(total_scan, uint64_t, , "total_scan", ST_FT_U64, 0, 0, ST_HAS_SCAN_INFO, ST_T_END, 0,	\
	   ST_RD_KEEP, ST_OUT_PF, total_scan, ST_F_SCAN_INFO)					\
	FK(scanned, uint64_t, , "scanned", ST_FT_U64, 0, 0, ST_HAS_SCAN_INFO, ST_T_END, 0,	\
	   ST_RD_KEEP, ST_OUT_PF, scanned, ST_F_SCAN_INFO)					\
	FK(nr_deferred, uint64_t, , "nr_deferred", ST_FT_U64, 0, 0, ST_HAS_SCAN_INFO, ST_T_END,	\
	   0, ST_RD_KEEP, ST_OUT_PF, nr_deferred, ST_F_SCAN_INFO)				\
	FK(new_nr_deferred, uint64_t, , "new_nr_deferred", ST_FT_U64, 0, 0, ST_HAS_SCAN_INFO,	\
	   ST_T_END, 0, ST_RD_KEEP, ST_OUT_PF, new_nr_deferred, ST_F_SCAN_INFO)		\
	FK(unused_scan, uint64_t, , "unused_scan", ST_FT_U64, 0, 0, ST_HAS_SCAN_INFO, ST_T_END,	\
	   0, ST_RD_KEEP, ST_OUT_PF, unused_scan, ST_F_SCAN_INFO)				\
	FK(count_ns, uint64_t, , "count_ns", ST_FT_U64, 0, 0, ST_HAS_COUNT_NS, ST_T_END, 0,	\
	   ST_RD_KEEP, ST_OUT_PF, count_ns, ST_F_COUNT_NS)					\
	FK(scan_ns, uint64_t, , "scan_ns", ST_FT_U64, 0, 0, ST_HAS_SCAN_NS, ST_T_END, 0,	\
	   ST_RD_KEEP, ST_OUT_PF, scan_ns, ST_F_SCAN_NS)					\
	FK(trigger, unsigned, , "trigger", ST_FT_ENUM, 0, ST_TRIG_MAX, ST_HAS_TRIGGER, ST_T_WALK,	\
	   0, ST_RD_KEEP, ST_OUT_PF, trigger, ST_F_TRIGGER)					\
	FK(memcg_limit, unsigned, , "memcg_limit", ST_FT_ENUM, 0, ST_LIMIT_N, ST_HAS_LIMIT,	\
	   ST_T_WALK, 0, ST_RD_KEEP, ST_OUT_PF, memcg_limit, ST_F_TRIGGER)			\
	FK(gfp, uint32_t, , "gfp", ST_FT_U32, 0, UINT32_MAX, ST_HAS_TRIGGER, ST_T_WALK, 0,	\
	   ST_RD_KEEP, ST_OUT_PF, gfp, ST_F_TRIGGER)						\
	FK(order, int, , "order", ST_FT_I32, -1, 64, ST_HAS_ORDER, ST_T_WALK, 0, ST_RD_KEEP,	\
	   ST_OUT_PF, order, ST_F_ORDER)							\
	FK(stack_id, int, , "stack_id", ST_FT_I32, 0, INT32_MAX, ST_HAS_STACK, ST_T_WALK, 0,	\
	   ST_RD_KEEP, ST_OUT_PF, stack_id, ST_F_STACK)						\
	F(unfinished, bool, , "unfinished", ST_FT_FLAG, 0, 0, 0, ST_T(ST_SHRINK_END), 0,	\
	  ST_RD_KEEP, ST_OUT_PF)

/* How a field is written and read (st_field.ftype). */
enum st_ftype {
	ST_FT_U64,	/* JSON integer 0 .. 2^64-1 */
	ST_FT_U32,	/* JSON integer min .. max, stored in a uint32_t */
	ST_FT_I32,	/* JSON integer min .. max, stored in an int */
	ST_FT_PTR,	/* kernel pointer: "0x" + lowercase hex, no leading zeros */
	ST_FT_STR,	/* string, cut (at a UTF-8 boundary) to the member's size - 1 */
	ST_FT_FLAG,	/* `true`, written only when set; false when absent */
	ST_FT_FREED,	/* JSON integer, or "empty" for SHRINK_EMPTY (ST_FREED_EMPTY) */
	ST_FT_ENUM,	/* a name of the field's enumeration (st_field.names: "kfree",
			 * "kswapd", ...), stored as its number (unsigned); a name this
			 * version does not know reads as absent.  min..max: the values */
};

/* What --redact does to a field (st_field.redact; log/redact.c). */
enum st_fredact {
	ST_RD_KEEP,	/* nothing */
	ST_RD_ADDR,	/* a kernel address: its pseudonym */
	ST_RD_LIST,	/* a snapshot list pointer: pseudonym of (v - list_offset) + list_offset */
	ST_RD_PID,	/* a task id: its pseudonym under --redact=all */
	ST_RD_COMM,	/* a task name: "" under --redact=all */
	ST_RD_NAME,	/* a shrinker name: addresses inside it ("scan@0x...") replaced */
};

/* st_field.out: where else a field appears. */
#define ST_OUT_PF	(1u << 0)	/* an arg of its Perfetto slice or instant */
#define ST_OUT_PF_END	(1u << 1)	/* on a slice's end, as "end_<key>" (a second snapshot) */
#define ST_OUT_PF_KEY	(1u << 2)	/* names the slice: given at its begin, not repeated at
					 * its end */

/* Field ids, in table order: ST_FI_ts, ST_FI_cpu, ... */
enum st_field_id {
#define ST_FI_ENUM(m, ...) ST_FI_##m,
	ST_FIELDS(ST_FI_ENUM, ST_FI_ENUM)
#undef ST_FI_ENUM
	ST_NFIELDS
};

/* One row of the table, for the code that iterates it. */
struct st_field {
	const char *key;
	size_t klen;		/* strlen(key) */
	enum st_ftype ftype;
	int64_t min, max;	/* ST_FT_I32 / ST_FT_U32 */
	uint32_t has;		/* ST_HAS_*; 0: always present (a flag: when true) */
	uint32_t in, req;	/* ST_T_* sets */
	enum st_fredact redact;
	uint32_t out;		/* ST_OUT_* */
	size_t off, size;	/* offsetof / sizeof of its member in struct st_rec */
	const char *const *names;	/* ST_FT_ENUM: names[v] for v in [min, max), NULL
					 * where a value has none (not written) */
};

/* The JSON name of value v of enumeration field f, NULL when it has none. */
const char *st_enum_name(const struct st_field *f, unsigned v);
/* The value of f's enumeration whose name is name[0..n), -1 when none. */
int st_enum_value(const struct st_field *f, const char *name, size_t n);

/* The table, ST_NFIELDS rows in log order (log/event.c). */
extern const struct st_field st_fields[ST_NFIELDS];

/* The field whose JSON name is key[0..len) (need not be NUL-terminated), or
 * NULL when the format has no such field. */
const struct st_field *st_field_by_key(const char *key, size_t len);

/* A field's member in r (f one of st_fields[]), by its type: U64, PTR and
 * FREED are uint64_t, U32 uint32_t, I32 int, FLAG bool, STR a char array. */
static inline void *st_field_ptr(const struct st_field *f, const void *r)
{
	return (char *)r + f->off;
}

/* One event.  Its fields are the rows of ST_FIELDS: `has` says which of the
 * optional ones are present.  It owns no heap memory: copy it by value. */
struct st_rec {
	enum st_type type;
	uint32_t has;		/* ST_HAS_* */
#define ST_REC_MEMBER(m, ctype, dims, ...) ctype m dims;
	ST_FIELDS(ST_REC_MEMBER, ST_REC_MEMBER)
#undef ST_REC_MEMBER
};

/* SHRINK_EMPTY (~0UL - 1), written as "empty" in the log (the ABI's). */
#define ST_FREED_EMPTY ((uint64_t)ST_SHRINK_EMPTY)
/* LIST_POISON2 on x86-64: prev of an entry list_del_rcu() has unlinked. */
#define ST_POISON2 ((uint64_t)ST_LIST_POISON2)

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

/* st_violation.next_state: where the shrinker a stale_next walk steps onto
 * was.  Queued is the hazard one grace period early (a near miss: KASAN sees
 * nothing yet); freed is the use-after-free itself. */
enum st_next_state {
	ST_NEXT_NONE = 0,
	ST_NEXT_QUEUED = 1,	/* shrinker_free() queued it (call_rcu), not yet RCU freed */
	ST_NEXT_FREED = 2,	/* RCU already released its memory */
};

/* A "stack" record (--stacks): at most ST_STACK_FRAMES frames, each cut to
 * ST_STACK_FRAME_LEN - 1 bytes; frames joined with ';' innermost first in
 * ST_STACK_TEXT bytes. */
#define ST_STACK_FRAMES 48
#define ST_STACK_FRAME_LEN 120
#define ST_STACK_TEXT (ST_STACK_FRAMES * ST_STACK_FRAME_LEN)

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
	int next_state;		/* stale_next: ST_NEXT_QUEUED or ST_NEXT_FREED, else 0 */
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
/* Evidence value for a JSON name (n bytes); 0 when unknown. */
unsigned st_evidence_from_name(const char *name);
unsigned st_evidence_from_name_n(const char *name, size_t n);
/* JSON name of a walk trigger (enum st_trigger: "kswapd", "direct", ...);
 * "unknown" for 0, NULL when out of range. */
const char *st_trigger_name(unsigned t);
/* JSON name of a memcg limit (enum st_memcg_limit: "memory.high", ...); NULL
 * for 0 or out of range. */
const char *st_limit_name(unsigned l);
/* The same for name[0..len), which need not be NUL-terminated. */
enum st_type st_type_from_name_n(const char *name, size_t len);
/* JSON name of a violation kind ("stale_next", ...). */
const char *st_vkind_name(enum st_vkind k);
/* Kind for a JSON name; -1 when unknown. */
int st_vkind_from_name(const char *name);

#endif /* ST_EVENT_H */
