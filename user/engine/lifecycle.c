// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* engine/lifecycle.c - per-name shrinker lifecycle statistics (see engine/lifecycle.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/lifecycle.h"
#include "lib/htab.h"
#include "lib/util.h"

struct lname {
	struct htab_node hn;		/* key: htab_hash_str(name) */
	struct life_name pub;
};

/* The facts of a generation that has no name yet (a handful of words). */
#define PF_ALLOCATED	(1u << 0)
#define PF_REGISTERED	(1u << 1)
#define PF_FREE		(1u << 2)
#define PF_FREE_TIMED	(1u << 3)
#define PF_RCU		(1u << 4)
#define PF_RCU_TIMED	(1u << 5)

struct pend {
	struct htab_node hn;		/* key: the generation's serial */
	uint32_t flags;			/* PF_* */
	uint32_t violations;
	uint64_t free_ns, rcu_ns;
};

/* A generation counted under a name and not ended: which name (for END). */
struct named {
	struct htab_node hn;		/* key: serial */
	struct lname *n;
};

struct life {
	struct htab names;		/* struct lname */
	struct lname **list;		/* every name entry but other, creation order */
	size_t nlist;
	struct lname *other;
	struct htab pend;		/* struct pend: no name yet */
	struct htab named;		/* struct named: counted, alive */
};

struct life *life_new(void)
{
	struct life *lc = calloc(1, sizeof(*lc));

	if (!lc)
		return NULL;
	lc->list = calloc(LIFE_MAX_NAMES, sizeof(*lc->list));
	if (!lc->list) {
		free(lc);
		return NULL;
	}
	return lc;
}

void life_free(struct life *lc)
{
	if (!lc)
		return;
	for (size_t i = 0; i < lc->nlist; i++)
		free(lc->list[i]);
	free(lc->list);
	free(lc->other);
	htab_free(&lc->names);
	htab_each(&lc->pend, i, e, nx)
		free(container_of(e, struct pend, hn));
	htab_free(&lc->pend);
	htab_each(&lc->named, i, e, nx)
		free(container_of(e, struct named, hn));
	htab_free(&lc->named);
	free(lc);
}

/* The entry of name ("" is STATS_UNNAMED), created; NULL on ENOMEM. */
static struct lname *name_get(struct life *lc, const char *name)
{
	struct lname *n;
	uint64_t h;

	if (!name[0])
		name = STATS_UNNAMED;
	h = htab_hash_str(name, strlen(name));
	for (struct htab_node *e = htab_first(&lc->names, h); e; e = htab_next(e)) {
		n = container_of(e, struct lname, hn);
		if (strcmp(n->pub.name, name) == 0)
			return n;
	}
	if (lc->nlist >= LIFE_MAX_NAMES) {
		if (!lc->other) {
			lc->other = calloc(1, sizeof(*lc->other));
			if (!lc->other)
				return NULL;
			strcpy(lc->other->pub.name, STATS_OTHER_NAME);
		}
		return lc->other;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	st_copy_str(n->pub.name, sizeof(n->pub.name), name, SIZE_MAX);
	n->hn.key = h;
	if (htab_add(&lc->names, &n->hn)) {
		free(n);
		return NULL;
	}
	lc->list[lc->nlist++] = n;
	return n;
}

static struct pend *pend_at(const struct life *lc, uint64_t serial)
{
	struct htab_node *e = htab_first(&lc->pend, serial);

	return e ? container_of(e, struct pend, hn) : NULL;
}

static struct named *named_at(const struct life *lc, uint64_t serial)
{
	struct htab_node *e = htab_first(&lc->named, serial);

	return e ? container_of(e, struct named, hn) : NULL;
}

static void add_free(struct life_name *n, bool timed, uint64_t ns)
{
	if (!timed) {
		n->inferred_frees++;
		return;
	}
	n->frees++;
	n->free_wait_total = st_sat_add(n->free_wait_total, ns);
	if (ns > n->free_wait_max)
		n->free_wait_max = ns;
	n->free_hist[stats_hist_slot(ns)]++;
}

static void add_rcu(struct life_name *n, bool timed, uint64_t ns)
{
	n->rcu_freed++;
	if (!timed)
		return;
	n->rcu_timed++;
	n->rcu_wait_total = st_sat_add(n->rcu_wait_total, ns);
	if (ns > n->rcu_wait_max)
		n->rcu_wait_max = ns;
	n->rcu_hist[stats_hist_slot(ns)]++;
}

/* The pending facts p into n (one generation). */
static void pend_apply(struct life_name *n, const struct pend *p)
{
	n->generations++;
	if (p->flags & PF_ALLOCATED)
		n->allocated++;
	if (p->flags & PF_REGISTERED)
		n->registered++;
	if (p->flags & PF_FREE)
		add_free(n, p->flags & PF_FREE_TIMED, p->free_ns);
	if (p->flags & PF_RCU)
		add_rcu(n, p->flags & PF_RCU_TIMED, p->rcu_ns);
	n->violations += p->violations;
}

/* Count the generation of p under name; ended: it is over (not live).
 * p is freed.  0 or -1 (ENOMEM). */
static int commit(struct life *lc, struct pend *p, const char *name, bool ended)
{
	struct lname *n = name_get(lc, name);
	struct named *d = NULL;
	uint64_t serial = p->hn.key;

	htab_del(&lc->pend, &p->hn);
	if (!n) {
		free(p);
		return -1;
	}
	pend_apply(&n->pub, p);
	free(p);
	if (ended) {
		n->pub.ended++;
		return 0;
	}
	d = calloc(1, sizeof(*d));
	if (!d || (d->hn.key = serial, d->n = n, htab_add(&lc->named, &d->hn))) {
		free(d);
		n->pub.ended++;	/* cannot follow it: not shown as live for ever */
		return -1;
	}
	return 0;
}

static void named_end(struct life *lc, struct named *d)
{
	d->n->pub.ended++;
	htab_del(&lc->named, &d->hn);
	free(d);
}

int life_add(struct life *lc, const struct corr_life *ev)
{
	struct named *d = named_at(lc, ev->serial);
	struct pend *p = d ? NULL : pend_at(lc, ev->serial);
	struct life_name *n = d ? &d->n->pub : NULL;

	if (ev->kind == CORR_LIFE_BEGIN) {
		if (d || p)
			return 0;	/* told twice: nothing new */
		p = calloc(1, sizeof(*p));
		if (!p)
			goto enomem;
		p->hn.key = ev->serial;
		if (ev->allocated)
			p->flags |= PF_ALLOCATED;
		if (htab_add(&lc->pend, &p->hn)) {
			free(p);
			goto enomem;
		}
		if (ev->name[0] && commit(lc, p, ev->name, false))
			goto enomem;
		return 0;
	}
	if (!d && !p)
		return 0;	/* ended already (or never begun): counted as it was */
	switch (ev->kind) {
	case CORR_LIFE_NAME:
		if (p && ev->name[0] && commit(lc, p, ev->name, false))
			goto enomem;
		break;
	case CORR_LIFE_REGISTER:
		if (n)
			n->registered++;
		else
			p->flags |= PF_REGISTERED;
		break;
	case CORR_LIFE_FREE:
		if (n) {
			add_free(n, ev->timed, ev->ns);
		} else if (!(p->flags & PF_FREE)) {
			p->flags |= PF_FREE | (ev->timed ? PF_FREE_TIMED : 0);
			p->free_ns = ev->ns;
		}
		break;
	case CORR_LIFE_RCU_FREE:
		if (n) {
			add_rcu(n, ev->timed, ev->ns);
			named_end(lc, d);
		} else {
			p->flags |= PF_RCU | (ev->timed ? PF_RCU_TIMED : 0);
			p->rcu_ns = ev->ns;
			if (commit(lc, p, "", true))
				goto enomem;
		}
		break;
	case CORR_LIFE_VIOLATION:
		if (n)
			n->violations++;
		else
			p->violations++;
		break;
	case CORR_LIFE_END:
		if (d)
			named_end(lc, d);
		else if (commit(lc, p, "", true))
			goto enomem;
		break;
	default:
		break;
	}
	return 0;
enomem:
	errno = ENOMEM;
	return -1;
}

static int cmp_names(const void *a, const void *b)
{
	const struct life_name *x = *(const struct life_name *const *)a;
	const struct life_name *y = *(const struct life_name *const *)b;

	return strcmp(x->name, y->name);
}

size_t life_list_names(const struct life *lc, const struct life_name **v, size_t n)
{
	size_t total = lc->nlist + (lc->other ? 1 : 0), k = 0;

	if (n >= lc->nlist) {
		for (size_t i = 0; i < lc->nlist; i++)
			v[k++] = &lc->list[i]->pub;
		if (k > 1)
			qsort(v, k, sizeof(*v), cmp_names);
		if (lc->other && k < n)
			v[k++] = &lc->other->pub;
	} else {
		/* too small to sort them all: the first n in creation order */
		for (size_t i = 0; i < n; i++)
			v[i] = &lc->list[i]->pub;
	}
	return total;
}

uint64_t life_pending(const struct life *lc, struct life_name *out)
{
	uint64_t np = 0;

	memset(out, 0, sizeof(*out));
	strcpy(out->name, STATS_UNNAMED);
	htab_each(&lc->pend, i, e, nx) {
		pend_apply(out, container_of(e, struct pend, hn));
		np++;
	}
	return np;
}

void life_name_add(struct life_name *d, const struct life_name *a)
{
	d->generations += a->generations;
	d->allocated += a->allocated;
	d->registered += a->registered;
	d->frees += a->frees;
	d->inferred_frees += a->inferred_frees;
	d->rcu_freed += a->rcu_freed;
	d->rcu_timed += a->rcu_timed;
	d->violations += a->violations;
	d->ended += a->ended;
	d->free_wait_total = st_sat_add(d->free_wait_total, a->free_wait_total);
	d->rcu_wait_total = st_sat_add(d->rcu_wait_total, a->rcu_wait_total);
	if (a->free_wait_max > d->free_wait_max)
		d->free_wait_max = a->free_wait_max;
	if (a->rcu_wait_max > d->rcu_wait_max)
		d->rcu_wait_max = a->rcu_wait_max;
	for (unsigned k = 0; k < ST_HIST_SLOTS; k++) {
		d->free_hist[k] += a->free_hist[k];
		d->rcu_hist[k] += a->rcu_hist[k];
	}
}
