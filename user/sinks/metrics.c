// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sinks/metrics.c - the Prometheus exporter (see sinks/metrics.h, docs/metrics.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef ST_NO_HTTP
#include <microhttpd.h>
#endif

#include "engine/lifecycle.h"
#include "engine/stats.h"
#include "lib/htab.h"
#include "lib/util.h"
#include "lib/version.h"
#include "sinks/metrics.h"
#include "sinks/registry.h"

/* ---- a growing text buffer --------------------------------------------------- */

struct mbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void mb_printf(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void mb_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = b->cap ? b->cap * 2 : 65536;
		while (ncap - b->len <= (size_t)n)
			ncap *= 2;
		char *np = realloc(b->p, ncap);

		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

/* ---- the sink ------------------------------------------------------------------ */

/* What one shrinker label value sums (one name, or every name folded into "other"). */
struct agg {
	struct st_call_stat c;
	uint64_t untimed;
	struct life_name l;
	uint64_t live;
};

struct slot {
	struct htab_node hn;		/* key: htab_hash_str(label) */
	char label[ST_REC_NAME_LEN];
	unsigned idx;
};

struct msink {
	struct sink sink;
	struct metrics_opts o;
	char addr[96];
	int fd;
#ifndef ST_NO_HTTP
	struct MHD_Daemon *d;
#endif

	/* shared with the HTTP threads, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *body;
	size_t body_len;
	uint64_t gen;			/* renderings so far */
	uint64_t last_render_ns;
	atomic_int want;		/* a scrape asked since the last rendering */
	void (*wake)(void *);		/* sink_begin's: the event loop now (under mu) */
	void *wake_ctx;
	atomic_uint_fast64_t requests;	/* /metrics requests served */

	/* the event loop's own */
	char kernel[128], backend[32];
	unsigned nhooks;
	char hook[SINK_MAX_HOOKS][24], hook_mech[SINK_MAX_HOOKS][16];
	char *hook_target[SINK_MAX_HOOKS];	/* whole (malloc'ed): a label value is never cut */
	bool live;
	struct htab slots;		/* label -> slot, in the order names appear */
	struct slot **slot_v;
	unsigned nslots;
	struct agg *agg;		/* nslots + 1 ("other" last) */
	unsigned agg_cap;
	const struct stats_name **names;
	size_t names_cap;
	const struct life_name **lnames;
	size_t lnames_cap;
	uint64_t folded_names;		/* distinct names summed into "other" */
	uint64_t renders, render_cpu_ns;
	uint64_t last_tick_ns, max_stall_ns;
	bool finished;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A label value: valid UTF-8 without control characters (st_clean_text),
 * then \, " and newline escaped as the exposition format wants. */
static const char *esc(char *dst, size_t len, const char *src)
{
	char clean[ST_REC_NAME_LEN * 2];
	size_t k = 0;

	st_clean_text(clean, sizeof(clean), src);
	for (const char *p = clean; *p && k + 3 < len; p++) {
		if (*p == '\\' || *p == '"') {
			dst[k++] = '\\';
			dst[k++] = *p;
		} else if (*p == '\n') {
			dst[k++] = '\\';
			dst[k++] = 'n';
		} else {
			dst[k++] = *p;
		}
	}
	dst[k] = '\0';
	return dst;
}

/* A label value of any length appended to b: cleaned and escaped as by
 * esc(), never cut (hook targets are longer than any fixed buffer here). */
static void mb_label(struct mbuf *b, const char *src)
{
	char small[256], *clean = small;
	size_t n = strlen(src);

	if (n >= sizeof(small)) {
		clean = malloc(n + 1);
		if (!clean) {
			b->oom = true;
			return;
		}
	}
	st_clean_text(clean, n + 1, src);	/* never longer than its input */
	for (const char *p = clean; *p;) {
		size_t k = strcspn(p, "\\\"\n");

		if (k)
			mb_printf(b, "%.*s", (int)k, p);
		p += k;
		if (*p) {
			mb_printf(b, "\\%c", *p == '\n' ? 'n' : *p);
			p++;
		}
	}
	if (clean != small)
		free(clean);
}

/* The label of a statistics name: "unnamed", "other", or the name itself. */
static const char *label_of(const char *name)
{
	if (!name[0] || !strcmp(name, STATS_UNNAMED))
		return "unnamed";
	if (!strcmp(name, STATS_OTHER_NAME))
		return "other";
	return name;
}

/* The aggregate of a label: its own slot (given at first sight while fewer
 * than max_names exist), else "other".  Slots are never taken back, so a
 * series never moves and its counters never go down. */
static struct agg *agg_of(struct msink *m, const char *name, bool count)
{
	const char *label = label_of(name);
	uint64_t h;
	struct slot *sl;

	if (!strcmp(label, "other"))
		return &m->agg[m->o.max_names];
	h = htab_hash_str(label, strlen(label));
	for (struct htab_node *e = htab_first(&m->slots, h); e; e = htab_next(e)) {
		sl = container_of(e, struct slot, hn);
		if (!strcmp(sl->label, label))
			return &m->agg[sl->idx];
	}
	if (m->nslots >= m->o.max_names)
		goto other;
	sl = calloc(1, sizeof(*sl));
	if (!sl)
		goto other;
	st_copy_str(sl->label, sizeof(sl->label), label, SIZE_MAX);
	sl->hn.key = h;
	sl->idx = m->nslots;
	if (htab_add(&m->slots, &sl->hn)) {
		free(sl);
		goto other;
	}
	m->slot_v[m->nslots++] = sl;
	return &m->agg[sl->idx];
other:
	if (count)
		m->folded_names++;
	return &m->agg[m->o.max_names];
}

static const char *le_str(unsigned k, char *buf, size_t len)
{
	/* slot k counts [2^(k-1), 2^k) ns: le = 2^k ns, in seconds */
	uint64_t ns = (uint64_t)1 << k;
	int n = snprintf(buf, len, "%" PRIu64 ".%09" PRIu64, ns / (uint64_t)1000000000, ns % (uint64_t)1000000000);

	while (n > 2 && buf[n - 1] == '0' && buf[n - 2] != '.')
		buf[--n] = '\0';
	return buf;
}

static void head(struct mbuf *b, const char *name, const char *type, const char *help)
{
	mb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One histogram series: labels is `shrinker="x"` (no braces) or "". */
static void hist(struct mbuf *b, const char *name, const char *labels, const __u64 h[ST_HIST_SLOTS],
		 uint64_t sum_ns)
{
	static char le[ST_HIST_SLOTS][32];
	static bool le_done;
	uint64_t cum = 0;
	const char *sep = labels[0] ? "," : "";

	if (!le_done) {
		for (unsigned k = 0; k < ST_HIST_SLOTS; k++)
			le_str(k, le[k], sizeof(le[k]));
		le_done = true;
	}
	for (unsigned k = 0; k + 1 < ST_HIST_SLOTS; k++) {
		cum += h[k];
		mb_printf(b, "%s_bucket{%s%sle=\"%s\"} %" PRIu64 "\n", name, labels, sep, le[k], cum);
	}
	cum += h[ST_HIST_SLOTS - 1];
	mb_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, sep, cum);
	if (labels[0]) {
		mb_printf(b, "%s_sum{%s} %" PRIu64 ".%09" PRIu64 "\n", name, labels,
			  sum_ns / (uint64_t)1000000000, sum_ns % (uint64_t)1000000000);
		mb_printf(b, "%s_count{%s} %" PRIu64 "\n", name, labels, cum);
	} else {
		mb_printf(b, "%s_sum %" PRIu64 ".%09" PRIu64 "\n", name,
			  sum_ns / (uint64_t)1000000000, sum_ns % (uint64_t)1000000000);
		mb_printf(b, "%s_count %" PRIu64 "\n", name, cum);
	}
}

/* Sum the statistics into the slots. */
static int collect(struct msink *m, const struct sink_state *st)
{
	size_t n;

	memset(m->agg, 0, (m->o.max_names + 1) * sizeof(*m->agg));
	m->folded_names = 0;	/* counted again: each folded name once */
	if (st->stats) {
		n = stats_sorted_names(st->stats, STATS_SORT_NAME, m->names, m->names_cap);
		if (n > m->names_cap) {
			const struct stats_name **nv = realloc(m->names, n * 2 * sizeof(*nv));

			if (!nv)
				return -1;
			m->names = nv;
			m->names_cap = n * 2;
			n = stats_sorted_names(st->stats, STATS_SORT_NAME, m->names, m->names_cap);
		}
		for (size_t i = 0; i < n && i < m->names_cap; i++) {
			struct agg *a = agg_of(m, m->names[i]->name, true);

			st_call_stat_add(&a->c, &m->names[i]->c);
			a->untimed += m->names[i]->untimed;
		}
	}
	if (st->life) {
		struct life_name pend;
		uint64_t np;

		n = life_list_names(st->life, m->lnames, m->lnames_cap);
		if (n > m->lnames_cap) {
			const struct life_name **nv = realloc(m->lnames, n * 2 * sizeof(*nv));

			if (!nv)
				return -1;
			m->lnames = nv;
			m->lnames_cap = n * 2;
			n = life_list_names(st->life, m->lnames, m->lnames_cap);
		}
		for (size_t i = 0; i < n && i < m->lnames_cap; i++) {
			struct agg *a = agg_of(m, m->lnames[i]->name,
					       !st->stats || !stats_get_name(st->stats,
									     m->lnames[i]->name));

			life_name_add(&a->l, m->lnames[i]);
			a->live += life_live(m->lnames[i]);
		}
		/* generations without a name yet: live, not yet counted */
		np = life_pending(st->life, &pend);
		if (np)
			agg_of(m, "", false)->live += np;
	}
	return 0;
}

/* for each label value that has something: fn's line */
#define EACH_SLOT(m, i, a, lab)								\
	for (unsigned i = 0; i <= (m)->o.max_names; i++)				\
		for (struct agg *a = &(m)->agg[i]; a; a = NULL)				\
			for (const char *lab = i < (m)->nslots ? (m)->slot_v[i]->label	\
					       : i == (m)->o.max_names ? "other" : NULL;	\
			     lab; lab = NULL)

static bool agg_used(const struct agg *a)
{
	return a->c.calls || a->l.generations || a->live || a->l.violations;
}

static void render_into(struct msink *m, const struct sink_state *st, struct mbuf *b)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} calls[] = {
		{ "shrinktrace_shrinker_calls_total", "do_shrink_slab() calls (returns seen).",
		  offsetof(struct st_call_stat, calls) },
		{ "shrinktrace_shrinker_zero_calls_total", "do_shrink_slab() calls that freed "
		  "0 objects.", offsetof(struct st_call_stat, zero_calls) },
		{ "shrinktrace_shrinker_empty_calls_total", "do_shrink_slab() calls that returned "
		  "SHRINK_EMPTY.", offsetof(struct st_call_stat, empty_calls) },
		{ "shrinktrace_shrinker_scanned_objects_total", "Objects asked to scan "
		  "(nr_to_scan; the tracepoint backend: total_scan).",
		  offsetof(struct st_call_stat, scanned) },
		{ "shrinktrace_shrinker_freed_objects_total", "Objects freed by do_shrink_slab().",
		  offsetof(struct st_call_stat, freed) },
	};
	static const struct {
		const char *name, *help;
		size_t off;
	} life[] = {
		{ "shrinktrace_shrinker_generations_total", "Shrinker generations tracked "
		  "(allocated, registered or first seen at a call), counted once their name is "
		  "known or at their end.", offsetof(struct life_name, generations) },
		{ "shrinktrace_shrinker_allocated_total", "Generations whose shrinker_alloc() "
		  "(or registration) was seen.", offsetof(struct life_name, allocated) },
		{ "shrinktrace_shrinker_registered_total", "Generations whose shrinker_register() "
		  "was seen.", offsetof(struct life_name, registered) },
		{ "shrinktrace_shrinker_rcu_freed_total", "Generations whose memory was released "
		  "(shrinker_free_rcu_cb(), seen or inferred).", offsetof(struct life_name, rcu_freed) },
		{ "shrinktrace_shrinker_inferred_frees_total", "shrinker_free() calls the backend "
		  "inferred (wait unknown).", offsetof(struct life_name, inferred_frees) },
		{ "shrinktrace_shrinker_violations_total", "Walk-safety violations found on the "
		  "shrinker's generations.", offsetof(struct life_name, violations) },
	};
	char lab[ST_REC_NAME_LEN * 2 + 16], e1[160], e2[160];
	const struct corr_stats *cs = st->cs;
	struct stats_walk w;

	/* about itself */
	head(b, "shrinktrace_build_info", "gauge", "Always 1: the version of shrinktrace, the "
	     "kernel it traces and the backend that serves it.");
	mb_printf(b, "shrinktrace_build_info{version=\"%s\",kernel=\"%s\",backend=\"%s\"} 1\n",
		  ST_VERSION, esc(e1, sizeof(e1), m->kernel), esc(e2, sizeof(e2), m->backend));
	if (m->nhooks) {
		head(b, "shrinktrace_hook_info", "gauge", "Always 1, one series per hook: the "
		     "mechanism that attached it (none: not served) and its target.");
		for (unsigned i = 0; i < m->nhooks; i++) {
			mb_printf(b, "shrinktrace_hook_info{hook=\"%s\",mechanism=\"%s\",target=\"",
				  esc(e1, sizeof(e1), m->hook[i]), esc(e2, sizeof(e2), m->hook_mech[i]));
			mb_label(b, m->hook_target[i] ? m->hook_target[i] : "");
			mb_printf(b, "\"} 1\n");
		}
	}
	head(b, "shrinktrace_traced_seconds", "gauge", "Time traced so far (probes attached).");
	mb_printf(b, "shrinktrace_traced_seconds %.3f\n", st->elapsed_s);
	if (cs) {
		head(b, "shrinktrace_events_total", "counter", "Events read, by type.");
		for (int t = ST_UNKNOWN + 1; t < ST_VIOLATION; t++)
			mb_printf(b, "shrinktrace_events_total{type=\"%s\"} %" PRIu64 "\n",
				  st_type_name((enum st_type)t), cs->by_type[t]);
		head(b, "shrinktrace_late_events_total", "counter", "Events that arrived after the "
		     "reorder window had passed them (still correlated).");
		mb_printf(b, "shrinktrace_late_events_total %" PRIu64 "\n", cs->late);
		head(b, "shrinktrace_violations_total", "counter", "Walk-safety violations, by kind "
		     "(docs/event-log.md).");
		for (int k = 0; k < ST_V_NKINDS; k++)
			mb_printf(b, "shrinktrace_violations_total{kind=\"%s\"} %" PRIu64 "\n",
				  st_vkind_name((enum st_vkind)k), cs->violations[k]);
		head(b, "shrinktrace_stale_next_total", "counter", "stale_next violations by "
		     "where the shrinker the walk stepped onto was: queued for freeing, not yet "
		     "RCU freed (a near miss: KASAN cannot see it yet), or freed.");
		mb_printf(b, "shrinktrace_stale_next_total{next_state=\"queued\"} %" PRIu64 "\n"
			  "shrinktrace_stale_next_total{next_state=\"freed\"} %" PRIu64 "\n",
			  cs->near_misses, cs->stale_freed);
		head(b, "shrinktrace_near_miss_margin_seconds", "histogram", "Near misses: from "
		     "the walk stepping onto a queued shrinker to that shrinker's RCU free (log2 "
		     "buckets; once the RCU free is seen).");
		hist(b, "shrinktrace_near_miss_margin_seconds", "", cs->near_hist,
		     cs->near_margin_total);
		head(b, "shrinktrace_rcu_free_unseen_total", "counter", "Generations queued by "
		     "shrinker_free() whose address was allocated again before their rcu_free was "
		     "seen (the kernel skipped the probe).");
		mb_printf(b, "shrinktrace_rcu_free_unseen_total %" PRIu64 "\n", cs->rcu_unseen);
		head(b, "shrinktrace_caps_hit_total", "counter", "What each cap of the correlator "
		     "left out (events, calls or reports).");
		{
			static const char *const capn[CORR_NCAPS] = {
				"generations", "tasks", "depth", "held", "reports" };

			for (int k = 0; k < CORR_NCAPS; k++)
				mb_printf(b, "shrinktrace_caps_hit_total{cap=\"%s\"} %" PRIu64 "\n",
					  capn[k], cs->cap_hits[k]);
		}
	}
	head(b, "shrinktrace_lost_events_total", "counter", "Events the kernel side dropped "
	     "(ring buffer full).");
	mb_printf(b, "shrinktrace_lost_events_total %" PRIu64 "\n",
		  m->live ? st->kernel_lost : (cs ? cs->lost : 0));
	head(b, "shrinktrace_statistics_incomplete", "gauge", "1 when the statistics ran out of "
	     "memory somewhere.");
	mb_printf(b, "shrinktrace_statistics_incomplete %d\n", st->stats_oom ? 1 : 0);
	head(b, "shrinktrace_metrics_folded_names", "gauge", "Distinct shrinker names summed "
	     "under shrinker=\"other\" (beyond the cap on label values).");
	mb_printf(b, "shrinktrace_metrics_folded_names %" PRIu64 "\n", m->folded_names);
	head(b, "shrinktrace_metrics_renders_total", "counter", "Renderings of this exposition.");
	mb_printf(b, "shrinktrace_metrics_renders_total %" PRIu64 "\n", m->renders);
	head(b, "shrinktrace_metrics_render_cpu_seconds_total", "counter", "CPU time the event "
	     "loop spent rendering this exposition.");
	mb_printf(b, "shrinktrace_metrics_render_cpu_seconds_total %.6f\n", m->render_cpu_ns / 1e9);
	head(b, "shrinktrace_metrics_requests_total", "counter", "Requests of /metrics served.");
	mb_printf(b, "shrinktrace_metrics_requests_total %" PRIu64 "\n",
		  (uint64_t)atomic_load(&m->requests));
	head(b, "shrinktrace_loop_max_stall_seconds", "gauge", "The longest the event loop that "
	     "reads the ring buffer came back later than the wait it planned (0.1 s, up to 1 s "
	     "while idle): 0 when nothing ever held it up.");
	mb_printf(b, "shrinktrace_loop_max_stall_seconds %.6f\n", m->max_stall_ns / 1e9);

	/* walks, by whose shrinkers they visited and what triggered them */
	head(b, "shrinktrace_walks_total", "counter", "shrink_slab() walks, by what they were "
	     "for: memcg (one cgroup's reclaim), global, unknown (walk_begin not seen); and by "
	     "trigger: kswapd, direct, node_reclaim, memcg (limit unknown), memcg_high, "
	     "memcg_max, memcg_reclaim, drop_caches, unknown (not seen, or no backend tells).");
	for (int k = 0; k < STATS_WALK_NCLASS; k++)
		for (unsigned t = 0; t < ST_WALK_CAUSES; t++) {
			if (st->stats)
				stats_get_walk_by(st->stats, (enum stats_walk_class)k, t, &w);
			else
				memset(&w, 0, sizeof(w));
			mb_printf(b, "shrinktrace_walks_total{memcg=\"%s\",trigger=\"%s\"} %" PRIu64
				  "\n", stats_walk_class_name((enum stats_walk_class)k),
				  stats_walk_cause_name(t), w.walks);
		}
	head(b, "shrinktrace_walk_freed_objects_total", "counter", "Objects freed by "
	     "shrink_slab() walks.");
	for (int k = 0; k < STATS_WALK_NCLASS; k++)
		for (unsigned t = 0; t < ST_WALK_CAUSES; t++) {
			if (st->stats)
				stats_get_walk_by(st->stats, (enum stats_walk_class)k, t, &w);
			else
				memset(&w, 0, sizeof(w));
			mb_printf(b, "shrinktrace_walk_freed_objects_total{memcg=\"%s\",trigger=\"%s\"} %"
				  PRIu64 "\n", stats_walk_class_name((enum stats_walk_class)k),
				  stats_walk_cause_name(t), w.freed);
		}
	head(b, "shrinktrace_walk_duration_seconds", "histogram", "Duration of shrink_slab() "
	     "walks (log2 buckets; timed walks only); a series once its walks were seen.");
	for (int k = 0; k < STATS_WALK_NCLASS; k++)
		for (unsigned t = 0; t < ST_WALK_CAUSES; t++) {
			if (!st->stats)
				break;
			stats_get_walk_by(st->stats, (enum stats_walk_class)k, t, &w);
			if (!w.walks)
				continue;
			snprintf(lab, sizeof(lab), "memcg=\"%s\",trigger=\"%s\"",
				 stats_walk_class_name((enum stats_walk_class)k),
				 stats_walk_cause_name(t));
			hist(b, "shrinktrace_walk_duration_seconds", lab, w.hist, w.total_ns);
		}

	/* per shrinker name */
	for (size_t f = 0; f < sizeof(calls) / sizeof(calls[0]); f++) {
		head(b, calls[f].name, "counter", calls[f].help);
		EACH_SLOT(m, i, a, l) {
			if (!a->c.calls)
				continue;
			mb_printf(b, "%s{shrinker=\"%s\"} %" PRIu64 "\n", calls[f].name,
				  esc(e1, sizeof(e1), l),
				  *(const uint64_t *)((const char *)&a->c + calls[f].off));
		}
	}
	head(b, "shrinktrace_shrinker_call_duration_seconds", "histogram", "Duration of "
	     "do_shrink_slab() calls (log2 buckets; timed calls only).");
	EACH_SLOT(m, i, a, l) {
		if (!a->c.calls)
			continue;
		snprintf(lab, sizeof(lab), "shrinker=\"%s\"", esc(e1, sizeof(e1), l));
		hist(b, "shrinktrace_shrinker_call_duration_seconds", lab, a->c.hist, a->c.total_ns);
	}
	for (size_t f = 0; f < sizeof(life) / sizeof(life[0]); f++) {
		head(b, life[f].name, "counter", life[f].help);
		EACH_SLOT(m, i, a, l) {
			if (!a->l.generations)
				continue;
			mb_printf(b, "%s{shrinker=\"%s\"} %" PRIu64 "\n", life[f].name,
				  esc(e1, sizeof(e1), l),
				  *(const uint64_t *)((const char *)&a->l + life[f].off));
		}
	}
	head(b, "shrinktrace_shrinkers_live", "gauge", "Shrinker generations alive (tracked, "
	     "not yet RCU freed or forgotten); those without a name yet count as unnamed.");
	EACH_SLOT(m, i, a, l) {
		if (!agg_used(a))
			continue;
		mb_printf(b, "shrinktrace_shrinkers_live{shrinker=\"%s\"} %" PRIu64 "\n",
			  esc(e1, sizeof(e1), l), a->live);
	}
	head(b, "shrinktrace_shrinker_free_wait_seconds", "histogram", "shrinker_free() "
	     "duration, free_begin to free_end (the wait for walkers; seen frees only).");
	EACH_SLOT(m, i, a, l) {
		if (!a->l.generations)
			continue;
		snprintf(lab, sizeof(lab), "shrinker=\"%s\"", esc(e1, sizeof(e1), l));
		hist(b, "shrinktrace_shrinker_free_wait_seconds", lab, a->l.free_hist,
		     a->l.free_wait_total);
	}
	head(b, "shrinktrace_shrinker_rcu_delay_seconds", "histogram", "Time from the queueing "
	     "by shrinker_free() (free_end) to the RCU callback (rcu_free).");
	EACH_SLOT(m, i, a, l) {
		if (!a->l.generations)
			continue;
		snprintf(lab, sizeof(lab), "shrinker=\"%s\"", esc(e1, sizeof(e1), l));
		hist(b, "shrinktrace_shrinker_rcu_delay_seconds", lab, a->l.rcu_hist,
		     a->l.rcu_wait_total);
	}
}

char *metrics_render(struct sink *s, const struct sink_state *st, size_t *len)
{
	struct msink *m = (struct msink *)s;
	struct mbuf b = { 0 };
	uint64_t t0 = thread_cpu_ns();

	if (collect(m, st)) {
		free(b.p);
		return NULL;
	}
	render_into(m, st, &b);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	m->renders++;
	m->render_cpu_ns += thread_cpu_ns() - t0;
	if (!b.p) {
		b.p = strdup("");
		if (!b.p)
			return NULL;
	}
	*len = b.len;
	return b.p;
}

/* Render st and hand it to the HTTP threads. */
static void publish(struct msink *m, const struct sink_state *st)
{
	size_t len = 0;
	char *body, *old;

	if (st->refresh)
		st->refresh(st->refresh_ctx);
	body = metrics_render(&m->sink, st, &len);
	if (!body)
		return;	/* out of memory: the last one stays */
	pthread_mutex_lock(&m->mu);
	old = m->body;
	m->body = body;
	m->body_len = len;
	m->gen++;
	m->last_render_ns = mono_ns();
	atomic_store(&m->want, 0);
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	free(old);
}

static void ms_begin(struct sink *s, const struct sink_begin *b)
{
	struct msink *m = (struct msink *)s;

	st_copy_str(m->kernel, sizeof(m->kernel), b->kernel ? b->kernel : "", SIZE_MAX);
	st_copy_str(m->backend, sizeof(m->backend), b->backend ? b->backend : "", SIZE_MAX);
	m->live = b->live;
	pthread_mutex_lock(&m->mu);
	m->wake = b->wake;
	m->wake_ctx = b->wake_ctx;
	pthread_mutex_unlock(&m->mu);
	m->nhooks = b->nhooks < SINK_MAX_HOOKS ? b->nhooks : SINK_MAX_HOOKS;
	for (unsigned i = 0; i < m->nhooks; i++) {
		st_copy_str(m->hook[i], sizeof(m->hook[i]), b->hook[i] ? b->hook[i] : "", SIZE_MAX);
		st_copy_str(m->hook_mech[i], sizeof(m->hook_mech[i]),
			    b->hook_mech[i] ? b->hook_mech[i] : "none", SIZE_MAX);
		free(m->hook_target[i]);
		/* NULL on ENOMEM: rendered as "" */
		m->hook_target[i] = strdup(b->hook_target[i] ? b->hook_target[i] : "");
	}
}

static void ms_tick(struct sink *s, const struct sink_state *st)
{
	struct msink *m = (struct msink *)s;
	uint64_t now = mono_ns();
	uint64_t gap = m->last_tick_ns ? now - m->last_tick_ns : 0;

	/* beyond the wait the loop planned: how long the ring went unread */
	if (gap > st->loop_wait_ns && gap - st->loop_wait_ns > m->max_stall_ns)
		m->max_stall_ns = gap - st->loop_wait_ns;
	m->last_tick_ns = now;
	if (!atomic_load_explicit(&m->want, memory_order_relaxed))
		return;
	/* last_render_ns is written by this thread only */
	if (m->gen && now - m->last_render_ns < m->o.min_interval_ns)
		return;
	publish(m, st);
}

static void ms_finish(struct sink *s, const struct sink_state *st)
{
	struct msink *m = (struct msink *)s;

	pthread_mutex_lock(&m->mu);
	m->finished = true;
	m->wake = NULL;		/* the loop and its loader end after this */
	pthread_mutex_unlock(&m->mu);
	publish(m, st);
}

/* ---- HTTP (the server's threads) --------------------------------------------- */

static const char content_type[] = "text/plain; version=0.0.4; charset=utf-8";

#ifndef ST_NO_HTTP
static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *text,
			     const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	static int first;
	struct msink *m = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	struct timespec until;

	(void)version;
	(void)upload;
	if (!*con_cls) {
		*con_cls = &first;
		return MHD_YES;	/* headers read; the body (if any) next */
	}
	if (*upload_size) {
		*upload_size = 0;	/* a body is not wanted: ignored */
		return MHD_YES;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n", "text/plain");
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "<html><head><title>shrinktrace exporter</title></head>"
			     "<body><h1>shrinktrace exporter</h1><p><a href=\"/metrics\">Metrics"
			     "</a></p></body></html>\n", "text/html; charset=utf-8");
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n",
			     "text/plain");
	pthread_mutex_lock(&m->mu);
	if (!m->finished && (!m->gen || mono_ns() - m->last_render_ns >= m->o.min_interval_ns)) {
		/* ask the event loop for a fresh rendering, wait a little for it */
		uint64_t gen = m->gen;

		atomic_store(&m->want, 1);
		if (m->wake)
			m->wake(m->wake_ctx);	/* the loop may be sleeping up to a second */
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += (METRICS_WAIT_MS % 1000) * 1000000L;
		until.tv_sec += METRICS_WAIT_MS / 1000 + until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (m->gen == gen && !m->finished &&
		       pthread_cond_timedwait(&m->cv, &m->mu, &until) == 0)
			;
	}
	r = MHD_create_response_from_buffer(m->body_len, m->body ? m->body : (char *)"",
					    MHD_RESPMEM_MUST_COPY);
	pthread_mutex_unlock(&m->mu);
	if (!r)
		return MHD_NO;
	atomic_fetch_add(&m->requests, 1);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static void quiet_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap;
}

/* ---- listening ------------------------------------------------------------------ */

/* Split "[ADDR]:PORT" into host ("" any) and port. */
#endif /* ST_NO_HTTP */

static int split_listen(const char *s, char *host, size_t hlen, char *port, size_t plen,
			char *why, size_t len)
{
	const char *colon = strrchr(s, ':');
	size_t n;
	char *end;
	unsigned long p;

	if (!colon) {
		snprintf(why, len, "'%s' is not [ADDR]:PORT (e.g. :%d or 127.0.0.1:%d)", s,
			 METRICS_DEFAULT_PORT, METRICS_DEFAULT_PORT);
		return -1;
	}
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || p == 0 || p > 65535 || colon[1] == '+' ||
	    colon[1] == '-') {
		snprintf(why, len, "'%s': the port must be a number from 1 to 65535", s);
		return -1;
	}
	snprintf(port, plen, "%lu", p);
	n = (size_t)(colon - s);
	if (n && s[0] == '[') {
		if (n < 3 || s[n - 1] != ']') {
			snprintf(why, len, "'%s': an IPv6 address goes in brackets, [::1]:PORT", s);
			return -1;
		}
		s++;
		n -= 2;
	} else if (memchr(s, ':', n)) {
		snprintf(why, len, "'%s': an IPv6 address goes in brackets, [::1]:PORT", s);
		return -1;
	}
	if (n >= hlen) {
		snprintf(why, len, "'%s': the address is too long", s);
		return -1;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	return 0;
}

int metrics_parse_listen(const char *s, char *why, size_t len)
{
	char host[256], port[8];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST };
	struct addrinfo *res = NULL;
	int e;

	if (split_listen(s, host, sizeof(host), port, sizeof(port), why, len))
		return -1;
	if (!host[0] || !strcmp(host, "localhost"))
		return 0;
	e = getaddrinfo(host, port, &hints, &res);
	if (e) {
		snprintf(why, len, "'%s': '%s' is not an IP address (give a numeric address, "
			 "localhost, or nothing for all addresses)", s, host);
		return -1;
	}
	freeaddrinfo(res);
	return 0;
}

/* A listening socket on s; -1 with why. */
static int listen_on(const char *s, char *bound, size_t blen, char *why, size_t len)
{
	char host[256], port[8], ip[INET6_ADDRSTRLEN];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL, *ai;
	int fd = -1, one = 1, zero = 0, e, err = 0;

	if (split_listen(s, host, sizeof(host), port, sizeof(port), why, len))
		return -1;
	if (strcmp(host, "localhost"))
		hints.ai_flags |= AI_NUMERICHOST;
	if (!host[0])
		hints.ai_family = AF_INET6;	/* all addresses: dual stack, else IPv4 */
	e = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (e && !host[0]) {
		hints.ai_family = AF_INET;
		e = getaddrinfo(NULL, port, &hints, &res);
	}
	if (e) {
		snprintf(why, len, "'%s': %s", s, gai_strerror(e));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6 && !host[0])
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 128))
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	if (fd < 0 && !host[0] && hints.ai_family == AF_INET6 && err == EAFNOSUPPORT) {
		freeaddrinfo(res);
		hints.ai_family = AF_INET;
		if (!getaddrinfo(NULL, port, &hints, &res))
			for (ai = res; ai && fd < 0; ai = ai->ai_next) {
				fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
				if (fd < 0)
					continue;
				setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
				if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128)) {
					err = errno;
					close(fd);
					fd = -1;
				}
			}
	}
	if (fd < 0) {
		snprintf(why, len, "cannot listen on %s: %s%s", s, strerror(err),
			 err == EADDRINUSE ? ": another program (another shrinktrace?) has that "
			 "port: stop it or choose another --metrics port" :
			 err == EADDRNOTAVAIL ? ": no interface has that address" : "");
		freeaddrinfo(res);
		return -1;
	}
	if (ai->ai_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, ip, sizeof(ip));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, ip, sizeof(ip));
	snprintf(bound, blen, ai->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s", ip, port);
	freeaddrinfo(res);
	return fd;
}

/* ---- life ------------------------------------------------------------------------ */

static void ms_free(struct sink *s)
{
	struct msink *m = (struct msink *)s;

#ifndef ST_NO_HTTP
	if (m->d) {
		pthread_mutex_lock(&m->mu);
		m->finished = true;
		pthread_cond_broadcast(&m->cv);
		pthread_mutex_unlock(&m->mu);
		MHD_stop_daemon(m->d);
	}
#endif
	if (m->fd >= 0)
		close(m->fd);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cv);
	for (unsigned i = 0; i < m->nslots; i++)
		free(m->slot_v[i]);
	htab_free(&m->slots);
	free(m->slot_v);
	free(m->agg);
	free(m->names);
	free(m->lnames);
	free(m->body);
	for (unsigned i = 0; i < SINK_MAX_HOOKS; i++)
		free(m->hook_target[i]);
	free(m);
}

static const struct sink_ops metrics_ops = {
	.name = "metrics", .begin = ms_begin, .tick = ms_tick, .finish = ms_finish,
	.free = ms_free,
};

const char *metrics_sink_address(const struct sink *s)
{
	return ((const struct msink *)s)->addr;
}

struct sink *metrics_sink_new(const struct metrics_opts *o, char *err, size_t errlen)
{
#ifdef ST_NO_HTTP
	(void)o;
	(void)listen_on;
	(void)metrics_ops;
	(void)content_type;
	snprintf(err, errlen, "--metrics: this build has no HTTP server (the static build of the "
		 "QEMU lab); use the regular build");
	return NULL;
#else
	struct msink *m = calloc(1, sizeof(*m));
	sigset_t all, old;
	char why[384];

	if (!m) {
		snprintf(err, errlen, "--metrics: out of memory");
		return NULL;
	}
	m->sink.ops = &metrics_ops;
	m->o = *o;
	m->o.listen = NULL;
	if (!m->o.max_names)
		m->o.max_names = METRICS_DEFAULT_NAMES;
	if (!m->o.min_interval_ns)
		m->o.min_interval_ns = METRICS_MIN_INTERVAL_NS;
	m->fd = -1;
	pthread_mutex_init(&m->mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);	/* the deadline's clock */
		pthread_cond_init(&m->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	atomic_init(&m->want, 1);	/* the first tick renders */
	atomic_init(&m->requests, 0);
	m->slot_v = calloc(m->o.max_names, sizeof(*m->slot_v));
	m->agg = calloc(m->o.max_names + 1, sizeof(*m->agg));
	if (!m->slot_v || !m->agg) {
		snprintf(err, errlen, "--metrics: out of memory");
		ms_free(&m->sink);
		return NULL;
	}
	if (!o->listen)	/* a sink for metrics_render() only (tests, benchmark) */
		return &m->sink;
	m->fd = listen_on(o->listen, m->addr, sizeof(m->addr), why, sizeof(why));
	if (m->fd < 0) {
		snprintf(err, errlen, "--metrics: %s", why);
		ms_free(&m->sink);
		return NULL;
	}
	/* the server's threads take no signal: Ctrl-C and SIGTERM reach the event loop */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	m->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
				MHD_USE_POLL | MHD_USE_ERROR_LOG,
				0, NULL, NULL, on_request, m,
				MHD_OPTION_LISTEN_SOCKET, m->fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_MAX_CONNECTIONS,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)METRICS_MAX_PER_IP,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_CONN_MEMORY,
				MHD_OPTION_THREAD_STACK_SIZE, (size_t)(256 * 1024),
				MHD_OPTION_EXTERNAL_LOGGER, quiet_log, NULL,
				MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!m->d) {
		snprintf(err, errlen, "--metrics: cannot start the HTTP server on %s: %s",
			 m->addr, strerror(errno ? errno : EIO));
		ms_free(&m->sink);
		return NULL;
	}
	m->fd = -1;	/* MHD_stop_daemon() closes it */
	return &m->sink;
#endif
}

/* ---- the row of the table of sinks (sinks/registry.h) ----------------------------- */

#define OPT_METRICS (SINK_OPT_KEY_MIN + 0x20)

struct metrics_conf {
	const char *listen;		/* --metrics [ADDR]:PORT (argv's), NULL: none */
	struct sink *made;		/* prepare(): listening from then on */
	bool handed;			/* open() gave it to the run's sinks */
};

static const struct argp_option metrics_options[] = {
	{ "metrics", OPT_METRICS, "[ADDR]:PORT", 0, "Serve the statistics to Prometheus on "
	  "http://ADDR:PORT/metrics (:PORT all addresses, 127.0.0.1:PORT loopback only; the "
	  "project's port is 9858), with -o, --top or alone. The HTTP server runs in threads of "
	  "its own, limited in connections and time (docs/metrics.md)", 0 },
	{ 0 }
};

static error_t metrics_parse(int key, char *arg, struct argp_state *state)
{
	struct metrics_conf *c = state->input;
	char why[320];

	if (key != OPT_METRICS)
		return ARGP_ERR_UNKNOWN;
	if (metrics_parse_listen(arg, why, sizeof(why))) {
		argp_error(state, "--metrics: %s", why);	/* exits, unless ARGP_NO_EXIT */
		return EINVAL;
	}
	c->listen = arg;
	return 0;
}

static const struct argp metrics_argp = {
	metrics_options, metrics_parse, NULL, NULL, NULL, NULL, NULL
};

/* The port is taken (or refused) before anything is attached. */
static int metrics_prepare(void *conf, const struct sink_args *a, char *err, size_t len)
{
	struct metrics_conf *c = conf;
	struct metrics_opts mo = { .listen = c->listen };

	if (!c->listen)
		return 0;
	c->made = metrics_sink_new(&mo, err, len);
	return c->made ? 0 : -1;
}

static int metrics_open(void *conf, struct sink_args *a, const struct sinks *before,
			struct sink **out, char *err, size_t len)
{
	struct metrics_conf *c = conf;

	*out = c->made;
	c->handed = c->made != NULL;
	return 0;
}

static void metrics_announce(void *conf, FILE *f)
{
	struct metrics_conf *c = conf;

	if (c->made)
		fprintf(f, "shrinktrace: metrics on http://%s/metrics\n",
			metrics_sink_address(c->made));
}

static void metrics_release(void *conf)
{
	struct metrics_conf *c = conf;

	if (c->made && !c->handed)
		c->made->ops->free(c->made);
	c->made = NULL;
}

/* --metrics [ADDR]:PORT: the tracer only. */
const struct sink_desc metrics_sink_desc = {
	.name = "metrics", .flags = SINK_LIVE | SINK_STATS, .conf_size = sizeof(struct metrics_conf),
	.argp = &metrics_argp, .prepare = metrics_prepare, .open = metrics_open,
	.announce = metrics_announce, .release = metrics_release,
};
