// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* kernel/ksyms.c - /proc/kallsyms as a sorted table with binary-search lookup. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/ksyms.h"

struct ksyms {
	struct ksym *syms;
	size_t n, cap;
	char *strs;		/* all names, NUL separated */
	size_t strs_len, strs_cap;
};

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Stable by name so that lookups are deterministic; prefer the
	 * non-__pfx_ symbol of an alias pair. */
	return strcmp(x->name, y->name);
}

static int add_sym(struct ksyms *ks, uint64_t addr, const char *name, const char *mod)
{
	size_t need = strlen(name) + 1 + (mod ? strlen(mod) + 3 : 0);

	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 4096;
		struct ksym *s = realloc(ks->syms, cap * sizeof(*s));

		if (!s)
			return -1;
		ks->syms = s;
		ks->cap = cap;
	}
	if (ks->strs_len + need > ks->strs_cap) {
		size_t cap = ks->strs_cap ? ks->strs_cap * 2 : 65536;
		char *s;

		while (cap < ks->strs_len + need)
			cap *= 2;
		s = realloc(ks->strs, cap);
		if (!s)
			return -1;
		ks->strs = s;
		ks->strs_cap = cap;
	}
	/* Store offsets now; turned into pointers once strs stops moving. */
	ks->syms[ks->n].addr = addr;
	ks->syms[ks->n].name = (const char *)(uintptr_t)ks->strs_len;
	if (mod)
		snprintf(ks->strs + ks->strs_len, need, "%s [%s]", name, mod);
	else
		memcpy(ks->strs + ks->strs_len, name, need);
	ks->strs_len += need;
	ks->n++;
	return 0;
}

struct ksyms *ksyms_load_file(FILE *f)
{
	struct ksyms *ks = calloc(1, sizeof(*ks));
	char line[512];

	if (!ks)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type, name[256], mod[128];
		int n;

		mod[0] = '\0';
		n = sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name, mod);
		if (n < 3 || addr == 0)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (!strncmp(name, "__pfx_", 6))
			continue;	/* padding before a function, not a function */
		if (add_sym(ks, addr, name, n == 4 ? mod : NULL)) {
			ksyms_free(ks);
			errno = ENOMEM;
			return NULL;
		}
	}
	if (ferror(f)) {
		ksyms_free(ks);
		errno = EIO;
		return NULL;
	}
	for (size_t i = 0; i < ks->n; i++)
		ks->syms[i].name = ks->strs + (uintptr_t)ks->syms[i].name;
	if (ks->n)
		qsort(ks->syms, ks->n, sizeof(*ks->syms), cmp_ksym);
	return ks;
}

struct ksyms *ksyms_load(void)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	struct ksyms *ks;

	if (!f)
		return NULL;
	ks = ksyms_load_file(f);
	fclose(f);
	return ks;
}

void ksyms_free(struct ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->strs);
	free(ks);
}

size_t ksyms_count(const struct ksyms *ks)
{
	return ks ? ks->n : 0;
}

const struct ksym *ksyms_lookup(const struct ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!ks || !ks->n || addr < ks->syms[0].addr)
		return NULL;
	hi = ks->n;
	/* Greatest index with syms[i].addr <= addr. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	/* Of several symbols at that address, return the first. */
	while (lo > 0 && ks->syms[lo - 1].addr == ks->syms[lo].addr)
		lo--;
	return &ks->syms[lo];
}

/* sym equals name, ignoring a " [module]" suffix. */
static int name_eq(const char *sym, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(sym, name, n) && (sym[n] == '\0' || sym[n] == ' ');
}

const struct ksym *ksyms_find(const struct ksyms *ks, const char *name)
{
	if (!ks)
		return NULL;
	for (size_t i = 0; i < ks->n; i++)
		if (name_eq(ks->syms[i].name, name))
			return &ks->syms[i];
	return NULL;
}

int ksyms_range(const struct ksyms *ks, const char *name, uint64_t *start, uint64_t *end)
{
	const struct ksym *s = ksyms_find(ks, name);
	size_t i;

	if (!s)
		return -1;
	i = (size_t)(s - ks->syms);
	*start = s->addr;
	*end = s->addr + 1;
	for (; i < ks->n; i++) {
		if (ks->syms[i].addr > s->addr) {
			*end = ks->syms[i].addr;
			break;
		}
	}
	if (i == ks->n)
		*end = s->addr + 4096;	/* last symbol: a page is plenty */
	return 0;
}
