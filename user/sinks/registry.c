// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sinks/registry.c - the table of sinks (see sinks/registry.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/registry.h"

/*
 * The table: one line per sink, in the order a run opens and calls them.
 * The formats come first (the log is written before the lines are shown),
 * replay's text report before them so that its format is listed first; the
 * summary last (it reads what --top drew).  Each X(d) names the struct
 * sink_desc d that the sink's own file defines.
 */
#define SINK_TABLE(X)							\
	X(report_sink_desc)	/* replay's text report (sinks/report.c) */	\
	X(jsonl_sink_desc)	/* the event log (sinks/jsonl.c) */		\
	X(csv_sink_desc)	/* CSV (sinks/export.c) */			\
	X(perfetto_sink_desc)	/* Perfetto (sinks/export.c) */		\
	X(folded_sink_desc)	/* folded stacks (sinks/folded.c) */		\
	X(text_sink_desc)	/* the event lines (sinks/text.c) */		\
	X(metrics_sink_desc)	/* --metrics (sinks/metrics.c) */		\
	X(top_sink_desc)	/* --top (sinks/top.c) */			\
	X(summary_sink_desc)	/* the tracer's summary (sinks/report.c) */

#define DECLARE(d) extern const struct sink_desc d;
#define ADDRESS(d) &d,
SINK_TABLE(DECLARE)

const struct sink_desc *const sink_table[] = { SINK_TABLE(ADDRESS) };
const unsigned sink_table_len = sizeof(sink_table) / sizeof(sink_table[0]);

_Static_assert(sizeof(sink_table) / sizeof(sink_table[0]) <= SINK_TABLE_MAX,
	       "more sinks than SINK_TABLE_MAX");

const struct sink_desc *sink_format(const char *name, unsigned front)
{
	for (unsigned i = 0; i < sink_table_len; i++) {
		const struct sink_desc *d = sink_table[i];

		if (d->format && (d->flags & front) && !strcmp(d->format, name))
			return d;
	}
	return NULL;
}

const char *sink_format_names(unsigned front, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (unsigned i = 0; i < sink_table_len; i++) {
		const struct sink_desc *d = sink_table[i];
		int w;

		if (!d->format || !(d->flags & front))
			continue;
		w = snprintf(buf + n, len - n, "%s%s", n ? ", " : "", d->format);
		if (w < 0 || (size_t)w >= len - n) {
			buf[n] = '\0';	/* whole names only */
			break;
		}
		n += (size_t)w;
	}
	return buf;
}

int sink_setup_init(struct sink_setup *s, unsigned front)
{
	memset(s, 0, sizeof(*s));
	s->front = front;
	for (unsigned i = 0; i < sink_table_len; i++) {
		const struct sink_desc *d = sink_table[i];

		if (!(d->flags & front))
			continue;
		if (d->conf_size && !(s->conf[i] = calloc(1, d->conf_size))) {
			sink_setup_free(s);
			errno = ENOMEM;
			return -1;
		}
		if (d->argp && ((d->options_in ? d->options_in : d->flags) & front)) {
			s->children[s->nchildren] = (struct argp_child){ .argp = d->argp };
			s->child_row[s->nchildren++] = i;
		}
	}
	return 0;
}

void sink_setup_argp_init(const struct sink_setup *s, struct argp_state *state)
{
	if (!s)
		return;
	for (unsigned c = 0; c < s->nchildren; c++)
		state->child_inputs[c] = s->conf[s->child_row[c]];
}

int sink_setup_check(struct sink_setup *s, const struct sink_args *a, char *why, size_t len)
{
	for (unsigned i = 0; i < sink_table_len; i++) {
		const struct sink_desc *d = sink_table[i];

		if ((d->flags & s->front) && d->check && d->check(s->conf[i], a, why, len))
			return -1;
	}
	return 0;
}

int sink_setup_prepare(struct sink_setup *s, const struct sink_args *a, char *err, size_t len)
{
	for (unsigned i = 0; i < sink_table_len; i++) {
		const struct sink_desc *d = sink_table[i];

		if ((d->flags & s->front) && d->prepare && d->prepare(s->conf[i], a, err, len))
			return -1;
	}
	return 0;
}

void sink_setup_announce(struct sink_setup *s, FILE *f)
{
	for (unsigned i = 0; i < sink_table_len; i++) {
		const struct sink_desc *d = sink_table[i];

		if ((d->flags & s->front) && d->announce)
			d->announce(s->conf[i], f);
	}
}

/* Open row i into l; -1 with err on failure. */
static int open_row(struct sink_setup *s, unsigned i, struct sink_args *a, struct sinks *l,
		    struct sink **made, char *err, size_t len)
{
	const struct sink_desc *d = sink_table[i];
	struct sink *k = NULL;

	*made = NULL;
	err[0] = '\0';
	if (!d->open)
		return 0;
	if (d->open(s->conf[i], a, l, &k, err, len)) {
		if (!err[0])
			snprintf(err, len, "out of memory");
		return -1;
	}
	if (!k)
		return 0;
	if (sinks_add(l, k)) {
		k->ops->free(k);
		snprintf(err, len, "more than %d sinks in one run", SINKS_MAX);
		return -1;
	}
	s->opened |= d->flags;
	*made = k;
	return 0;
}

int sink_setup_open(struct sink_setup *s, struct sink_args *a, struct sinks *l,
		    struct sink **format_sink, char *err, size_t len)
{
	struct sink *k;

	*format_sink = NULL;
	for (unsigned i = 0; i < sink_table_len; i++) {
		const struct sink_desc *d = sink_table[i];

		if (!(d->flags & s->front))
			continue;
		if (d->format && (d != a->format || !a->out))
			continue;
		if (open_row(s, i, a, l, &k, err, len))
			return -1;
		if (d->format)
			*format_sink = k;
	}
	return 0;
}

void sink_setup_free(struct sink_setup *s)
{
	for (unsigned i = 0; i < sink_table_len; i++) {
		const struct sink_desc *d = sink_table[i];

		if (s->conf[i] && d->release)
			d->release(s->conf[i]);
		free(s->conf[i]);
		s->conf[i] = NULL;
	}
}
