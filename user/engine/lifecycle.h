/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * engine/lifecycle.h - per shrinker name statistics of the shrinker
 * lifecycle: generations (allocated, registered, first seen), shrinker_free()
 * and its wait, RCU frees and the time from the queueing (free_end) to the
 * RCU callback (rcu_free), violations, live shrinkers.
 *
 * Fed by the correlator's on_life callback (engine/correlate.h, struct
 * corr_life: the facts of one generation as they happen).  Read by the
 * tracer's summary and replay's report (sinks/tables.c, life_print_report())
 * and by the metrics endpoint (sinks/metrics.c): the same numbers.
 *
 * Counters never go down, so that they can be Prometheus counters: a
 * generation is counted under its name once its name is known (the first
 * name it gets; a later different name does not move it), or at its end
 * (rcu_free, or the correlator forgets it) under STATS_UNNAMED.  Until then
 * its facts wait in a pending entry of its own (a few words; at most one per
 * generation the correlator tracks).  Only the live gauge counts pending
 * generations (under STATS_UNNAMED), and life_print_report() shows them
 * under STATS_UNNAMED too (what the log says about them so far).
 *
 * Durations are nanoseconds; histograms use the log2 slots of
 * engine/stats.h (stats_hist_slot()).  At most LIFE_MAX_NAMES names; more
 * are summed into STATS_OTHER_NAME.  Not thread-safe; no I/O.
 */
#ifndef ST_LIFECYCLE_H
#define ST_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/correlate.h"
#include "engine/stats.h"

#define LIFE_MAX_NAMES 4096

/* The lifecycle of one shrinker name.  All counters only grow except live. */
struct life_name {
	char name[ST_REC_NAME_LEN];	/* STATS_UNNAMED for "", STATS_OTHER_NAME */
	uint64_t generations;		/* generations tracked: allocated, registered or
					 * first seen at a call */
	uint64_t allocated;		/* ... of which shrinker_alloc() (or register) was seen */
	uint64_t registered;		/* shrinker_register() seen */
	uint64_t frees;			/* shrinker_free() seen from begin to end: wait known */
	uint64_t inferred_frees;	/* frees the backend inferred (wait unknown) */
	uint64_t rcu_freed;		/* generations whose memory was released
					 * (shrinker_free_rcu_cb(), seen or inferred) */
	uint64_t rcu_timed;		/* ... with a seen free_end and rcu_free: queue time known */
	uint64_t violations;		/* violations found on its generations */
	uint64_t ended;			/* generations ended: RCU freed or forgotten */
	uint64_t free_wait_total, free_wait_max;	/* ns, over frees */
	uint64_t rcu_wait_total, rcu_wait_max;		/* ns, over rcu_timed */
	__u64 free_hist[ST_HIST_SLOTS];			/* shrinker_free() wait */
	__u64 rcu_hist[ST_HIST_SLOTS];			/* free_end -> rcu_free */
};

struct life;

/* A new, empty set; NULL on ENOMEM. */
struct life *life_new(void);
/* Free it; NULL is ignored. */
void life_free(struct life *lc);

/* One fact (from corr_cbs.on_life).  0, or -1 on ENOMEM (the fact is lost). */
int life_add(struct life *lc, const struct corr_life *ev);

/* The names, sorted by name, STATS_OTHER_NAME last, into v (capacity n).
 * Returns how many there are (may exceed n).  Pointers valid until the next
 * life_add(). */
size_t life_list_names(const struct life *lc, const struct life_name **v, size_t n);

/* Generations not yet counted under a name (no name yet, not ended): their
 * facts so far summed into *out (name STATS_UNNAMED), and their number. */
uint64_t life_pending(const struct life *lc, struct life_name *out);

/* Live shrinkers: generations counted under a name and not ended. */
static inline uint64_t life_live(const struct life_name *n)
{
	return n->generations - n->ended;
}

/* *d += *a (counters, sums, histograms; max the larger); d's name is kept. */
void life_name_add(struct life_name *d, const struct life_name *a);

#endif /* ST_LIFECYCLE_H */
