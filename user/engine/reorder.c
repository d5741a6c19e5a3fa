// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* engine/reorder.c - the reorder window (see engine/reorder.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "engine/reorder.h"

struct key {
	uint64_t ts;
	uint64_t seq;		/* push order: ties leave first in, first out */
	uint32_t slot;		/* the record in w->pool */
};

/* An event that arrived in order: kept in the ring, in arrival order. */
struct ringent {
	uint64_t seq;
	struct st_rec r;
};

struct reorder {
	/* events no older than the newest already in the ring go to the ring
	 * (the common case: they cost a copy in and out, nothing else) */
	struct ringent *ring;
	size_t rhead, rn, rcap;	/* rcap a power of two */
	/* the others go to the heap */
	struct key *heap;
	size_t n, cap;		/* keys in the heap; capacity of heap, pool, free */
	struct st_rec *pool;
	uint32_t *free;		/* free slots of pool (a stack) */
	size_t nfree;
	uint64_t seq;
};

static bool less(const struct key *a, const struct key *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

struct reorder *reorder_new(void)
{
	return calloc(1, sizeof(struct reorder));
}

void reorder_free(struct reorder *w)
{
	if (!w)
		return;
	free(w->ring);
	free(w->heap);
	free(w->pool);
	free(w->free);
	free(w);
}

/* Room for one more: every slot of a full pool is in use (n == cap). */
static int grow(struct reorder *w)
{
	size_t ncap = w->cap ? w->cap * 2 : 256;
	struct key *nh;
	struct st_rec *np;
	uint32_t *nf;

	if (ncap > UINT32_MAX) {
		errno = ENOMEM;
		return -1;
	}
	nh = realloc(w->heap, ncap * sizeof(*nh));
	if (!nh)
		return -1;
	w->heap = nh;
	np = realloc(w->pool, ncap * sizeof(*np));
	if (!np)
		return -1;
	w->pool = np;
	nf = realloc(w->free, ncap * sizeof(*nf));
	if (!nf)
		return -1;
	w->free = nf;
	for (size_t s = ncap; s > w->cap; s--)
		w->free[w->nfree++] = (uint32_t)(s - 1);
	w->cap = ncap;
	return 0;
}

static int ring_grow(struct reorder *w)
{
	size_t ncap = w->rcap ? w->rcap * 2 : 256;
	struct ringent *nr = malloc(ncap * sizeof(*nr));

	if (!nr)
		return -1;
	for (size_t i = 0; i < w->rn; i++)
		nr[i] = w->ring[(w->rhead + i) & (w->rcap - 1)];
	free(w->ring);
	w->ring = nr;
	w->rhead = 0;
	w->rcap = ncap;
	return 0;
}

static const struct ringent *ring_tail(const struct reorder *w)
{
	return &w->ring[(w->rhead + w->rn - 1) & (w->rcap - 1)];
}

int reorder_push(struct reorder *w, const struct st_rec *r)
{
	struct key k;
	size_t i;

	if (!w->rn || r->ts >= ring_tail(w)->r.ts) {
		struct ringent *e;

		if (w->rn == w->rcap && ring_grow(w))
			return -1;
		e = &w->ring[(w->rhead + w->rn++) & (w->rcap - 1)];
		e->seq = w->seq++;
		e->r = *r;
		return 0;
	}
	if (!w->nfree && grow(w))
		return -1;
	k.ts = r->ts;
	k.seq = w->seq++;
	k.slot = w->free[--w->nfree];
	w->pool[k.slot] = *r;
	i = w->n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!less(&k, &w->heap[p]))
			break;
		w->heap[i] = w->heap[p];
		i = p;
	}
	w->heap[i] = k;
	return 0;
}

size_t reorder_count(const struct reorder *w)
{
	return w->n + w->rn;
}

/* Is the oldest event the ring's (else the heap's)? */
static bool ring_first(const struct reorder *w)
{
	const struct ringent *e = &w->ring[w->rhead];

	if (!w->rn)
		return false;
	if (!w->n)
		return true;
	return e->r.ts < w->heap[0].ts || (e->r.ts == w->heap[0].ts && e->seq < w->heap[0].seq);
}

uint64_t reorder_oldest_ts(const struct reorder *w)
{
	return ring_first(w) ? w->ring[w->rhead].r.ts : w->heap[0].ts;
}

const struct st_rec *reorder_pop(struct reorder *w)
{
	const struct st_rec *out;
	struct key last;
	size_t i = 0;

	if (ring_first(w)) {
		out = &w->ring[w->rhead].r;
		w->rhead = (w->rhead + 1) & (w->rcap - 1);
		w->rn--;
		return out;
	}
	out = &w->pool[w->heap[0].slot];
	w->free[w->nfree++] = w->heap[0].slot;
	last = w->heap[--w->n];
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l >= w->n)
			break;
		if (less(&w->heap[l], &last))
			m = l;
		if (l + 1 < w->n && less(&w->heap[l + 1], m == l ? &w->heap[l] : &last))
			m = l + 1;
		if (m == i)
			break;
		w->heap[i] = w->heap[m];
		i = m;
	}
	if (w->n)
		w->heap[i] = last;
	return out;
}
