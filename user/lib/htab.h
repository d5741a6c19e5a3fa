/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * lib/htab.h - the one hash table of shrinktrace: chained, intrusive, on
 * 64-bit keys, growing by doubling, with a KEYED hash.
 *
 * Keys come from the kernel or from a log (shrinker addresses, task ids,
 * names): a log crafted so that its keys collide must not turn lookups
 * quadratic.  Buckets are chosen by a keyed mixer of the key (htab_hash64():
 * two secret 64-bit words drawn from getrandom(2) once per process and never
 * written anywhere, then a full avalanche), so an input cannot be built to
 * collide without knowing them.  Callers that key on strings use
 * htab_hash_str() (SipHash-2-4 under the same secret) and compare the strings
 * of the entries htab_first()/htab_next() return.
 *
 * Entries embed a struct htab_node and are owned by the caller; several may
 * share a key.  Not thread-safe; no I/O.
 */
#ifndef ST_HTAB_H
#define ST_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct htab_node {
	uint64_t key;
	struct htab_node *next;	/* in its bucket */
};

struct htab {
	struct htab_node **b;
	size_t cap;		/* buckets: a power of two, or 0 before the first add */
	size_t n;		/* entries */
};

#define HTAB_INIT { NULL, 0, 0 }

/* The first entry with key, or NULL; htab_next() gives the others with the
 * same key (NULL after the last). */
struct htab_node *htab_first(const struct htab *t, uint64_t key);
struct htab_node *htab_next(const struct htab_node *e);

/* Add e (its key set by the caller).  0, or -1 (ENOMEM: not added). */
int htab_add(struct htab *t, struct htab_node *e);

/* Remove e, which must be in t. */
void htab_del(struct htab *t, struct htab_node *e);

/* Free the buckets (not the entries); t is empty afterwards. */
void htab_free(struct htab *t);

/* Every entry: for (size_t i = 0; i < t->cap; i++) for (e = t->b[i]; e; e = e->next),
 * or htab_each() below; an entry may be deleted from within as long as the
 * loop saved e->next before. */
#define htab_each(t, i, e, nx)								\
	for (size_t i = 0; i < (t)->cap; i++)						\
		for (struct htab_node *e = (t)->b[i], *nx = e ? e->next : NULL; e;	\
		     e = nx, nx = e ? e->next : NULL)

/* The keyed hash of a string (n bytes), as a key for htab_add(). */
uint64_t htab_hash_str(const char *s, size_t n);

/* The keyed hash of a 64-bit value (what chooses a key's bucket). */
uint64_t htab_hash64(uint64_t v);

#ifndef container_of
#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#endif

#endif /* ST_HTAB_H */
