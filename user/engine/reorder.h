/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * engine/reorder.h - the correlator's reorder window: events from different
 * CPUs (and a log's out-of-order lines) put back in timestamp order.
 *
 * Events that arrive in order (no older than the newest one already in
 * order: nearly all of them) wait in a ring, in arrival order: a copy in and
 * a copy out.  The others go to a min-heap on (ts, push order) of small keys
 * whose records sit in a pool of slots, so sifting moves 24-byte keys, not
 * records.  The oldest of the two leaves first; equal timestamps leave in
 * push order.
 * Not thread-safe; no I/O.
 */
#ifndef ST_REORDER_H
#define ST_REORDER_H

#include <stddef.h>
#include <stdint.h>

#include "log/event.h"

struct reorder;

/* An empty window.  NULL on ENOMEM.  Free with reorder_free(). */
struct reorder *reorder_new(void);
void reorder_free(struct reorder *w);

/* Hold a copy of r.  0, or -1 (errno ENOMEM: r is not held). */
int reorder_push(struct reorder *w, const struct st_rec *r);

/* Events held now. */
size_t reorder_count(const struct reorder *w);

/* ts (ns) of the oldest held event; only when reorder_count() > 0. */
uint64_t reorder_oldest_ts(const struct reorder *w);

/* Take the oldest held event (the first pushed of the oldest ts); only when
 * reorder_count() > 0.  The record stays in the window's storage (no copy):
 * valid until the next reorder_push() or reorder_free(). */
const struct st_rec *reorder_pop(struct reorder *w);

#endif /* ST_REORDER_H */
