// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * engine/detect.c - the correlator's violation detectors (docs/event-log.md,
 * "Violations"): the wording of each kind's detail, the once-per-(kind,
 * generation, walker) bookkeeping, stuck_free by trace time.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine/corr_int.h"
#include "engine/stats.h"
#include "lib/util.h"

/* ---- violations --------------------------------------------------------- */

bool corr_already(struct gen *g, enum st_vkind k, int pid)
{
	for (unsigned i = 0; i < g->nrep; i++)
		if (g->rep[i].kind == k && g->rep[i].pid == pid)
			return true;
	return false;
}

void corr_remember(struct corr *c, struct gen *g, enum st_vkind k, int pid)
{
	if (c->nreports >= c->o.max_reports) {
		corr_cap_hit(c, CORR_CAP_REPORTS, c->o.max_reports);
		return;		/* reported all the same; it may be again */
	}
	if (g->nrep == g->caprep) {
		unsigned ncap = g->caprep ? g->caprep * 2 : 4;
		struct dedupe *n = realloc(g->rep, ncap * sizeof(*n));

		if (!n) {
			c->oom = true;
			return;
		}
		g->rep = n;
		g->caprep = ncap;
	}
	g->rep[g->nrep++] = (struct dedupe){ k, pid };
	c->nreports++;
}

/* Fill the common part of a violation; the caller writes detail. */
void corr_vinit(struct st_violation *v, enum st_vkind k, const struct gen *g,
		  uint64_t ts, int cpu, int pid, const char *comm,
		  int walker_pid, const char *walker_comm, bool certain)
{
	memset(v, 0, sizeof(*v));
	v->kind = k;
	v->ts = ts;
	v->cpu = cpu;
	v->pid = pid;
	st_copy_str(v->comm, sizeof(v->comm), comm, SIZE_MAX);
	v->generation = g->serial;
	v->shrinker = g->addr;
	v->walker_pid = walker_pid;
	if (walker_comm)
		st_copy_str(v->walker_comm, sizeof(v->walker_comm), walker_comm, SIZE_MAX);
	v->certain = certain;
	st_copy_str(v->name, sizeof(v->name), g->name, SIZE_MAX);
}

void corr_vemit(struct corr *c, struct gen *g, struct st_violation *v)
{
	corr_remember(c, g, v->kind, v->walker_pid);
	c->st.violations[v->kind]++;
	{
		struct corr_life ev = { .kind = CORR_LIFE_VIOLATION, .serial = g->serial,
					.name = g->name, .ts = v->ts, .vkind = v->kind };

		if (c->cb.on_life)
			c->cb.on_life(&ev, c->cb.ctx);
	}
	if (!c->cb.on_violation)
		return;
	/* found while processing an event: given out after that event's
	 * on_event (held here), so that outputs show the event first */
	if (c->in_event && c->nheld_v < HELD_VIOLATIONS) {
		c->held_v[c->nheld_v++] = *v;
		return;
	}
	c->cb.on_violation(v, c->cb.ctx);
}

void corr_vdetail(struct st_violation *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void corr_vdetail(struct st_violation *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	va_end(ap);
}

const char *corr_freer(const struct gen *g, char *buf, size_t len)
{
	if (g->seen_free_begin)
		snprintf(buf, len, "%s (pid %d)", g->free_comm, g->free_pid);
	else if (g->free_end_pid || g->free_end_comm[0])
		snprintf(buf, len, "%s (pid %d)", g->free_end_comm, g->free_end_pid);
	else
		snprintf(buf, len, "an untraced task");
	return buf;
}

void corr_v_use_after_free(struct corr *c, struct gen *g, const struct st_rec *r)
{
	struct st_violation v;
	char t1[48], t2[48], d[48], who[48];

	if (corr_already(g, ST_V_USE_AFTER_FREE, r->pid))
		return;
	corr_vinit(&v, ST_V_USE_AFTER_FREE, g, r->ts, r->cpu, r->pid, r->comm, r->pid, r->comm,
	      g->lost_at_rcu == c->lost_seq);
	corr_vdetail(&v, "%s (pid %d) reached shrinker %s at 0x%" PRIx64 " with %s at %s, %s after "
		"RCU released its memory at %s; it was freed by %s",
		r->comm, r->pid, corr_gen_name(g), g->addr, st_type_name(r->type),
		corr_tstr(c, r->ts, t1, sizeof(t1)), corr_dur(r->ts > g->rcu_ts ? r->ts - g->rcu_ts : 0, d, sizeof(d)),
		corr_tstr(c, g->rcu_ts, t2, sizeof(t2)), corr_freer(g, who, sizeof(who)));
	corr_vemit(c, g, &v);
}

void corr_v_walk_onto_queued(struct corr *c, struct gen *g, const struct st_rec *r)
{
	struct st_violation v;
	char t1[48], t2[48], who[48];
	bool queued = g->state == G_QUEUED;

	if (corr_already(g, ST_V_WALK_ONTO_QUEUED, r->pid))
		return;
	corr_vinit(&v, ST_V_WALK_ONTO_QUEUED, g, r->ts, r->cpu, r->pid, r->comm, r->pid, r->comm,
	      queued ? g->lost_at_free_end == c->lost_seq : true);
	if (queued)
		corr_vdetail(&v, "%s (pid %d) entered do_shrink_slab() on shrinker %s at 0x%" PRIx64
			" at %s, after shrinker_free() by %s had unlinked it and queued it for "
			"freeing at %s",
			r->comm, r->pid, corr_gen_name(g), g->addr, corr_tstr(c, r->ts, t1, sizeof(t1)),
			corr_freer(g, who, sizeof(who)), corr_tstr(c, g->free_end_ts, t2, sizeof(t2)));
	else
		corr_vdetail(&v, "%s (pid %d) entered do_shrink_slab() on shrinker %s at 0x%" PRIx64
			" at %s although its list.prev is LIST_POISON2: list_del_rcu() had already "
			"unlinked it (shrinker_free() by %s)",
			r->comm, r->pid, corr_gen_name(g), g->addr, corr_tstr(c, r->ts, t1, sizeof(t1)),
			corr_freer(g, who, sizeof(who)));
	corr_vemit(c, g, &v);
}

void corr_v_free_while_running(struct corr *c, struct gen *g, const struct st_rec *r,
				 const struct call *k)
{
	struct st_violation v;
	char t1[48], t2[48], d[48];

	if (corr_already(g, ST_V_FREE_WHILE_RUNNING, k->pid))
		return;
	corr_vinit(&v, ST_V_FREE_WHILE_RUNNING, g, r->ts, r->cpu, r->pid, r->comm, k->pid, k->comm,
	      k->lost_at == c->lost_seq);
	corr_vdetail(&v, "shrinker_free() by %s (pid %d) returned at %s, queuing shrinker %s at 0x%"
		PRIx64 " for freeing, while %s (pid %d) was still inside do_shrink_slab() on it "
		"since %s (%s earlier)",
		r->comm, r->pid, corr_tstr(c, r->ts, t1, sizeof(t1)), corr_gen_name(g), g->addr,
		k->comm, k->pid, corr_tstr(c, k->ts, t2, sizeof(t2)),
		corr_dur(r->ts > k->ts ? r->ts - k->ts : 0, d, sizeof(d)));
	corr_vemit(c, g, &v);
}

void corr_v_stale_next(struct corr *c, struct gen *g, const struct st_rec *r, struct gen *ng)
{
	struct st_violation v;
	char t1[48], t2[48], t3[96], who[48];
	uint64_t lost_at = ng->state == G_FREED ? ng->lost_at_rcu : ng->lost_at_free_end;

	if (ng->seen_free_end && ng->lost_at_free_end < lost_at)
		lost_at = ng->lost_at_free_end;
	if (corr_already(g, ST_V_STALE_NEXT, r->pid))
		return;
	corr_vinit(&v, ST_V_STALE_NEXT, g, r->ts, r->cpu, r->pid, r->comm, r->pid, r->comm,
	      lost_at == c->lost_seq);
	v.has_next = true;
	v.next = ng->addr;
	if (ng->state == G_FREED) {
		v.next_state = ST_NEXT_FREED;
		c->st.stale_freed++;
		snprintf(t3, sizeof(t3), "and RCU freed at %s", corr_tstr(c, ng->rcu_ts, t2, sizeof(t2)));
	} else {
		/* a near miss: its margin is known at ng's rcu_free */
		v.next_state = ST_NEXT_QUEUED;
		c->st.near_misses++;
		corr_near_add(c, ng, r->ts);
		snprintf(t3, sizeof(t3), "(not yet RCU freed: a near miss)");
	}
	corr_vdetail(&v, "%s (pid %d) left do_shrink_slab() on shrinker %s at 0x%" PRIx64 " at %s with "
		"it already unlinked (list.prev = LIST_POISON2), and its list.next is shrinker %s "
		"at 0x%" PRIx64 ", which %s queued for freeing at %s %s: the walk steps onto it",
		r->comm, r->pid, corr_gen_name(g), g->addr, corr_tstr(c, r->ts, t1, sizeof(t1)),
		corr_gen_name(ng), ng->addr, corr_freer(ng, who, sizeof(who)),
		corr_tstr(c, ng->free_end_ts, t2, sizeof(t2)), t3);
	corr_vemit(c, g, &v);
}

void corr_near_add(struct corr *c, struct gen *g, uint64_t ts)
{
	(void)c;
	if (g->nnear >= CORR_NEAR_MAX)
		return;		/* counted; its margin stays unknown */
	if (!g->near_ts && !(g->near_ts = malloc(CORR_NEAR_MAX * sizeof(*g->near_ts))))
		return;
	g->near_ts[g->nnear++] = ts;
}

void corr_near_rcu(struct corr *c, struct gen *g, uint64_t rcu_ts)
{
	for (unsigned i = 0; i < g->nnear; i++) {
		uint64_t m = rcu_ts > g->near_ts[i] ? rcu_ts - g->near_ts[i] : 0;

		if (!c->st.near_timed || m < c->st.near_margin_min)
			c->st.near_margin_min = m;
		if (m > c->st.near_margin_max)
			c->st.near_margin_max = m;
		c->st.near_margin_total = st_sat_add(c->st.near_margin_total, m);
		c->st.near_hist[stats_hist_slot(m)]++;
		c->st.near_timed++;
	}
	g->nnear = 0;
}

void corr_v_double_free(struct corr *c, struct gen *g, const struct st_rec *r)
{
	struct st_violation v;
	char t1[48], t2[48];

	if (corr_already(g, ST_V_DOUBLE_FREE, r->pid))
		return;
	corr_vinit(&v, ST_V_DOUBLE_FREE, g, r->ts, r->cpu, r->pid, r->comm, r->pid, r->comm,
	      g->lost_at_free_begin == c->lost_seq);
	corr_vdetail(&v, "%s (pid %d) called shrinker_free() on shrinker %s at 0x%" PRIx64 " at %s, a "
		"second time in this generation: %s (pid %d) already called it at %s",
		r->comm, r->pid, corr_gen_name(g), g->addr, corr_tstr(c, r->ts, t1, sizeof(t1)),
		g->free_comm, g->free_pid, corr_tstr(c, g->free_begin_ts, t2, sizeof(t2)));
	corr_vemit(c, g, &v);
}

void corr_v_stuck_free(struct corr *c, struct gen *g, uint64_t now)
{
	struct st_violation v;
	char t1[48], d[48], who[160];
	const struct call *first = NULL;
	size_t off = 0;
	unsigned nwalkers = 0;

	g->stuck_reported = true;
	/* the oldest in-flight call names the walker */
	for (const struct call *k = g->calls; k; k = k->gnext)
		if (!first || k->ts < first->ts)
			first = k;
	if (corr_already(g, ST_V_STUCK_FREE, first ? first->pid : 0))
		return;
	corr_vinit(&v, ST_V_STUCK_FREE, g, now, g->free_cpu, g->free_pid, g->free_comm,
	      first ? first->pid : 0, first ? first->comm : NULL,
	      g->lost_at_free_begin == c->lost_seq);
	who[0] = '\0';
	for (const struct call *k = g->calls; k && off < sizeof(who); k = k->gnext, nwalkers++) {
		char t[48];
		int n = snprintf(who + off, sizeof(who) - off, "%s%s (pid %d) since %s",
				 nwalkers ? ", " : "", k->comm, k->pid, corr_tstr(c, k->ts, t, sizeof(t)));
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (first)
		corr_vdetail(&v, "shrinker_free() by %s (pid %d) on shrinker %s at 0x%" PRIx64 " has waited "
			"%s since %s without returning; still inside do_shrink_slab() on it: %s",
			g->free_comm, g->free_pid, corr_gen_name(g), g->addr,
			corr_dur(now - g->free_begin_ts, d, sizeof(d)),
			corr_tstr(c, g->free_begin_ts, t1, sizeof(t1)), who);
	else
		corr_vdetail(&v, "shrinker_free() by %s (pid %d) on shrinker %s at 0x%" PRIx64 " has waited "
			"%s since %s without returning, and no traced do_shrink_slab() call on it is "
			"in flight: a reference is held outside any traced call",
			g->free_comm, g->free_pid, corr_gen_name(g), g->addr,
			corr_dur(now - g->free_begin_ts, d, sizeof(d)),
			corr_tstr(c, g->free_begin_ts, t1, sizeof(t1)));
	corr_vemit(c, g, &v);
}

/* Raise stuck_free for every free that has waited longer than the threshold at now. */
void corr_check_stuck(struct corr *c, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	if (now <= c->stuck_next)
		return;
	for (size_t i = 0; i < c->npending; i++) {
		struct gen *g = c->pending[i];

		if (g->stuck_reported)
			continue;
		if (now - g->free_begin_ts > c->o.stuck_after_ns && now > g->free_begin_ts)
			corr_v_stuck_free(c, g, now);
		else if (g->free_begin_ts + c->o.stuck_after_ns < next)
			next = g->free_begin_ts + c->o.stuck_after_ns;
	}
	c->stuck_next = next;
}

