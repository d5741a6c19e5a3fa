// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sinks/sink.c - a list of sinks (see sinks/sink.h). */
#include <string.h>

#include "sinks/sink.h"

int sinks_add(struct sinks *l, struct sink *s)
{
	if (!s)
		return 0;
	if (l->n >= SINKS_MAX)
		return -1;
	l->s[l->n++] = s;
	return 0;
}

#define EACH(l, hook, ...)							\
	for (unsigned i = 0; i < (l)->n; i++)					\
		if ((l)->s[i]->ops->hook)					\
			(l)->s[i]->ops->hook((l)->s[i], __VA_ARGS__)

void sinks_begin(struct sinks *l, const struct sink_begin *b)
{
	EACH(l, begin, b);
}

void sinks_event(struct sinks *l, const struct sink_event *e)
{
	EACH(l, event, e);
}

void sinks_violation(struct sinks *l, const struct st_violation *v)
{
	EACH(l, violation, v);
}

void sinks_call(struct sinks *l, const struct corr_call *c)
{
	EACH(l, call, c);
}

void sinks_walk(struct sinks *l, const struct corr_walk *w)
{
	EACH(l, walk, w);
}

void sinks_memcg(struct sinks *l, uint64_t memcg, uint64_t id, const char *path)
{
	EACH(l, memcg, memcg, id, path);
}

void sinks_stack(struct sinks *l, int id, const char *frames)
{
	EACH(l, stack, id, frames);
}

void sinks_tick(struct sinks *l, const struct sink_state *st)
{
	EACH(l, tick, st);
}

void sinks_finish(struct sinks *l, const struct sink_state *st)
{
	EACH(l, finish, st);
}

struct sink *sinks_find(const struct sinks *l, const char *name)
{
	for (unsigned i = 0; l && i < l->n; i++)
		if (!strcmp(l->s[i]->ops->name, name))
			return l->s[i];
	return NULL;
}

int sinks_error(const struct sinks *l, const char **which)
{
	for (unsigned i = 0; i < l->n; i++) {
		int e = l->s[i]->ops->error ? l->s[i]->ops->error(l->s[i]) : 0;

		if (e) {
			if (which)
				*which = l->s[i]->ops->name;
			return e;
		}
	}
	return 0;
}

void sinks_free(struct sinks *l)
{
	for (unsigned i = 0; i < l->n; i++)
		l->s[i]->ops->free(l->s[i]);
	l->n = 0;
}
