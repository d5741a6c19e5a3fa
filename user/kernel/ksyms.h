/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * kernel/ksyms.h - kernel symbol table from /proc/kallsyms, for naming shrinkers by
 * their scan_objects callback and for finding function ranges.
 */
#ifndef ST_KSYMS_H
#define ST_KSYMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ksym {
	uint64_t addr;
	const char *name;	/* owned by the table; "func" or "func [module]" */
};

struct ksyms;

/* Parse kallsyms text from f (format "ADDR TYPE NAME [MODULE]").  Keeps text
 * symbols (t/T/w/W) only.  Returns NULL with errno set on allocation failure
 * or read error.  Zero addresses (kptr_restrict) are dropped, so an
 * unprivileged read gives an empty table.  Free with ksyms_free(). */
struct ksyms *ksyms_load_file(FILE *f);

/* ksyms_load_file() on /proc/kallsyms; NULL with errno on failure. */
struct ksyms *ksyms_load(void);

void ksyms_free(struct ksyms *ks);

/* Number of symbols kept. */
size_t ksyms_count(const struct ksyms *ks);

/* The symbol whose range contains addr (the greatest symbol address <= addr),
 * or NULL when addr is below every symbol.  The pointer stays valid until
 * ksyms_free(). */
const struct ksym *ksyms_lookup(const struct ksyms *ks, uint64_t addr);

/* First symbol named exactly name (without module suffix), or NULL. */
const struct ksym *ksyms_find(const struct ksyms *ks, const char *name);

/* [start, end) of the text of function name: end is the next higher symbol
 * address.  Returns 0, or -1 when name is unknown. */
int ksyms_range(const struct ksyms *ks, const char *name, uint64_t *start, uint64_t *end);

#endif /* ST_KSYMS_H */
