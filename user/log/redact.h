/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log/redact.h - per-run pseudonyms for kernel addresses (and, with "all", task
 * ids and names), for logs that are to be shared (`--redact`).
 *
 * Kernel pointers give away the kernel's layout (KASLR).  A redacted log
 * replaces every pointer by a pseudonym drawn from a keyed pseudorandom
 * permutation; the 128-bit key is random per run (getrandom(2)) and never
 * written anywhere, so pseudonyms of two runs cannot be linked and cannot be
 * turned back into addresses.  Within a run:
 *
 *   - the same address always gives the same pseudonym, and two different
 *     addresses never give the same one (a permutation, not a hash: a
 *     collision would merge two shrinkers and change the verdicts);
 *   - NULL (0x0), LIST_POISON1 (0xdead000000000100) and LIST_POISON2
 *     (0xdead000000000122) stay as they are;
 *   - an address of the kernel half 0xffff000000000000..0xfffffffffffeffff
 *     gets a pseudonym in the same range (it still reads as a kernel
 *     pointer), any other value one outside it;
 *   - a snapshot's list pointer (next, prev) v becomes
 *     pseudo(v - list_offset) + list_offset, so a redacted `next` still names
 *     the redacted shrinker it points at (docs/event-log.md, header
 *     "list_offset").
 *
 * With ST_REDACT_ALL task names (comm) become "" and task ids pseudonyms: 0
 * stays 0, 1..4194304 (PID_MAX_LIMIT) map onto 1..4194304, larger ids onto
 * 4194305..2^31-1, negative ones stay; distinct tasks stay distinct, so the
 * correlator pairs calls and walks exactly as before.
 *
 * The permutation is a 6-round Feistel network whose round function is
 * SipHash-2-4 keyed with the run's key (cycle walking keeps each domain).
 */
#ifndef ST_REDACT_H
#define ST_REDACT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/siphash.h"	/* st_siphash24() */
#include "log/event.h"

enum st_redact_mode {
	ST_REDACT_NONE = 0,
	ST_REDACT_ADDRS,	/* kernel pointers (shrinker, next, prev, memcg, ...) */
	ST_REDACT_ALL,		/* also comm -> "" and pid -> pseudonym */
};

/* LIST_POISON1 on x86-64: list.next of an entry list_del() has removed. */
#define ST_POISON1 0xdead000000000100ULL

struct st_redact {
	enum st_redact_mode mode;
	uint8_t key[16];
};

/* --redact[=MODE] argument: NULL or "addrs" -> ST_REDACT_ADDRS, "all" ->
 * ST_REDACT_ALL; -1 for anything else. */
int st_redact_mode_parse(const char *arg);
/* "addrs", "all" ("none" for ST_REDACT_NONE): the header's "redacted" value. */
const char *st_redact_mode_name(enum st_redact_mode mode);

/* Set up r for mode.  key: 16 bytes, or NULL for a fresh random key from
 * getrandom(2).  Returns 0, or -1 with errno when no random key can be had. */
int st_redact_init(struct st_redact *r, enum st_redact_mode mode, const uint8_t *key);

/* The pseudonym of a kernel address (see above); v itself when r->mode is NONE. */
uint64_t st_redact_addr(const struct st_redact *r, uint64_t v);
/* The address whose pseudonym is p: the inverse of st_redact_addr() (the key
 * is in memory; the tracer uses it to find its own kernel-side aggregates). */
uint64_t st_redact_unaddr(const struct st_redact *r, uint64_t p);
/* The pseudonym of a list pointer of a snapshot: pseudo(v - list_offset) +
 * list_offset (list_offset in bytes); NULL and the poisons stay. */
uint64_t st_redact_list(const struct st_redact *r, uint64_t v, unsigned list_offset);
/* The pseudonym of a task id (ST_REDACT_ALL; pid itself otherwise). */
int st_redact_pid(const struct st_redact *r, int pid);

/* Redact one event record in place, each field as the field table says
 * (log/event.h, ST_RD_*): shrinker and memcg (st_redact_addr), next and prev
 * (st_redact_list with list_offset), addresses inside the name
 * (st_redact_text), and with ST_REDACT_ALL comm ("") and pid. */
void st_redact_rec(const struct st_redact *r, struct st_rec *rec, unsigned list_offset);

/* Copy the text in[0..inlen) (it ends early at a NUL) to out (outlen bytes,
 * NUL-terminated, cut when full) with every "0x" + 1..16 hex digits token
 * that is not part of a word and whose value is in the kernel half
 * (>= 0xffff000000000000: a kernel address, not an offset like "+0x1a")
 * replaced by its pseudonym (st_redact_addr): addresses inside shrinker
 * names ("scan@0x...") and violation details.  Returns the bytes written without the NUL.  With mode
 * ST_REDACT_NONE the text is copied as it is. */
size_t st_redact_text(const struct st_redact *r, const char *in, size_t inlen, char *out,
		      size_t outlen);


/* `shrinktrace redact [--all] [-o OUT] [--mode OCTAL] FILE` (front/redact_cmd.c):
 * argv[0] is "redact".  Returns the exit status: 0 done, 1 error, 2 usage. */
int redact_main(int argc, char **argv);

#endif /* ST_REDACT_H */
