/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sinks/perfetto.h - events and violations as a Chrome trace-event JSON
 * trace (`--format perfetto`), for ui.perfetto.dev or chrome://tracing.
 *
 * The JSON array format: "[", then one event object per line separated by
 * commas, and "]" from pf_out_finish().  The format allows the closing "]" to
 * be missing, so a tracer that was killed still leaves a loadable file (its
 * last line may be cut off).
 *
 * Layout: one process (pid PF_PID, named "shrinktrace"); one thread track per
 * kernel task (tid = the task id, named by its comm); events of pid 0 (the
 * inferred register/free events of the tracepoint backend, RCU callbacks run
 * from the idle task) on the track PF_LIFECYCLE_TID.  Timestamps ("ts") are
 * microseconds with three decimals (ns precision) since the header's start_ts,
 * or since the first event when there is no header or an event precedes it.
 *
 *   walk_begin/walk_end        slice "shrink_slab nid=N" (cat "walk"): memcg,
 *                              priority, freed
 *   shrink_begin/shrink_end    slice named by the shrinker (cat "shrink"):
 *                              shrinker, nr_to_scan, snapshot, freed, duration_ns
 *   alloc, register, free_begin, free_end, rcu_free
 *                              instant on the task's track (cat "lifecycle")
 *   lost                       global instant "lost N events" (cat "lost")
 *   violation                  global instant "VIOLATION kind name" (cat
 *                              "violation"): detail, next, walker, certain
 *
 * Slices always nest and every "B" has its "E" (a stack per task): an end
 * whose begin was not seen (lost, or the trace started mid-call) becomes a
 * complete "X" slice of its duration_ns (or an instant when unknown), a begin
 * whose end was not seen is closed when the next slice of its kind starts on
 * that task, and pf_out_finish() closes what is still open at the last
 * timestamp; those carry the arg "unfinished".  A slice boundary older than
 * one already written on its task's track (an event later than the reorder
 * window), or an end at its own begin's timestamp, is written later, by the
 * arg "moved_ns" (1 ns for the latter: Perfetto orders ends first among equal
 * timestamps).
 */
#ifndef ST_OUTPUT_PERFETTO_H
#define ST_OUTPUT_PERFETTO_H

#include <stdint.h>
#include <stdio.h>

#include "log/event.h"

#define PF_PID 1			/* the one process of the trace */
#define PF_LIFECYCLE_TID 4194305	/* PID_MAX_LIMIT + 1: no kernel task id */

struct pf_out;

/* A writer on f (borrowed: written, never closed, by this writer).  NULL on
 * allocation failure.  Nothing is written before the first event, violation
 * or pf_out_finish(). */
struct pf_out *pf_out_new(FILE *f);

/* What the log's header says: kernel release and backend (may be NULL or ""),
 * start_ts (ns, CLOCK_MONOTONIC; 0 = unknown).  Effective only before the
 * first output. */
void pf_out_header(struct pf_out *p, const char *kernel, const char *backend, uint64_t start_ts);

/* Write "[" and the process metadata now, time zero at the header's start_ts
 * (0 without one): events before it are written at time zero, with moved_ns. */
void pf_out_begin(struct pf_out *p);

/* One event, in timestamp order (the correlator's on_event); name: its
 * generation's name when the event carries none ("" or NULL: unknown, the
 * shrinker's address labels its slices then). */
void pf_out_event(struct pf_out *p, const struct st_rec *r, const char *name);

/* One violation (the correlator's on_violation). */
void pf_out_violation(struct pf_out *p, const struct st_violation *v);

/* Close every open slice at the last timestamp and write the closing "]". */
void pf_out_finish(struct pf_out *p);

/* The first write error (an errno value), 0 if none. */
int pf_out_error(const struct pf_out *p);

void pf_out_free(struct pf_out *p);

#endif /* ST_OUTPUT_PERFETTO_H */
