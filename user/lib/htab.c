// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/htab.c - the keyed, chained hash table (see lib/htab.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lib/htab.h"
#include "lib/siphash.h"

static uint8_t hkey[16];

/* The process's key, before main(): getrandom(2) at boot blocks only until
 * the kernel's pool is initialised, which it is long before a tracer runs.
 * Should it fail, the clock and the address of the key still differ per run. */
__attribute__((constructor)) static void htab_key(void)
{
	size_t got = 0;

	while (got < sizeof(hkey)) {
		ssize_t n = getrandom(hkey + got, sizeof(hkey) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		got += (size_t)n;
	}
	if (got < sizeof(hkey)) {
		uintptr_t a = (uintptr_t)&hkey;
		uint64_t t = (uint64_t)__builtin_ia32_rdtsc();

		memcpy(hkey, &a, sizeof(a) < 8 ? sizeof(a) : 8);
		memcpy(hkey + 8, &t, 8);
	}
}

/* A keyed mixer for 64-bit keys (the hot path: every event looks up its
 * shrinker and its task): the key whitened by one secret word, multiplied by
 * a second (odd) one, then the MurmurHash3 finalizer's avalanche.  Without
 * the two words an input cannot aim its keys at one bucket; SipHash (for
 * strings, below) would cost twice as much per event. */
uint64_t htab_hash64(uint64_t v)
{
	uint64_t k0, k1;

	memcpy(&k0, hkey, 8);
	memcpy(&k1, hkey + 8, 8);
	v ^= k0;
	v ^= v >> 33;
	v *= k1 | 1;
	v ^= v >> 29;
	v *= 0xc4ceb9fe1a85ec53ULL;
	v ^= v >> 32;
	return v;
}

uint64_t htab_hash_str(const char *s, size_t n)
{
	return st_siphash24(hkey, s, n);
}

static size_t bucket(const struct htab *t, uint64_t key)
{
	return (size_t)htab_hash64(key) & (t->cap - 1);
}

struct htab_node *htab_first(const struct htab *t, uint64_t key)
{
	struct htab_node *e;

	if (!t->cap)
		return NULL;
	for (e = t->b[bucket(t, key)]; e && e->key != key; e = e->next)
		;
	return e;
}

struct htab_node *htab_next(const struct htab_node *e)
{
	uint64_t key = e->key;

	for (e = e->next; e && e->key != key; e = e->next)
		;
	return (struct htab_node *)e;
}

int htab_add(struct htab *t, struct htab_node *e)
{
	size_t j;

	if (t->n >= t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		struct htab_node **nb = calloc(ncap, sizeof(*nb));
		struct htab old = *t;

		if (!nb)
			return -1;
		t->b = nb;
		t->cap = ncap;
		for (size_t i = 0; i < old.cap; i++) {
			struct htab_node *x = old.b[i], *nx;

			for (; x; x = nx) {
				nx = x->next;
				j = bucket(t, x->key);
				x->next = nb[j];
				nb[j] = x;
			}
		}
		free(old.b);
	}
	j = bucket(t, e->key);
	e->next = t->b[j];
	t->b[j] = e;
	t->n++;
	return 0;
}

void htab_del(struct htab *t, struct htab_node *e)
{
	struct htab_node **pp;

	if (!t->cap)
		return;
	for (pp = &t->b[bucket(t, e->key)]; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			t->n--;
			return;
		}
	}
}

void htab_free(struct htab *t)
{
	free(t->b);
	t->b = NULL;
	t->cap = t->n = 0;
}
