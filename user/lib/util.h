/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * lib/util.h - small string helpers shared by every layer: a bounded copy and
 * the one terminal sanitiser.  (Hashing: lib/htab.h.)
 */
#ifndef ST_UTIL_H
#define ST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Copy the string at src into dst (size bytes, size 0: nothing is written)
 * and NUL-terminate it.  At most max bytes of src are read and the copy ends
 * at src's first NUL, so src need not be NUL-terminated within max bytes
 * (pass SIZE_MAX for a NUL-terminated src).  A longer string is cut to
 * size - 1 bytes, at a byte (not a character) boundary. */
void st_copy_str(char *dst, size_t size, const char *src, size_t max);

/* The text of src made safe for a terminal, into dst (size bytes, always
 * NUL-terminated, cut at a character boundary when full): every control
 * character (C0, DEL, and C1 such as U+009B CSI) and every byte that is not
 * part of valid UTF-8 becomes '?', so that a task or shrinker name from the
 * kernel, or a string from a log, can never move the cursor, recolour or
 * retitle root's terminal.  The one sanitiser of every text output (event
 * lines, summary, --top, violations, replay's report).  Returns the bytes
 * written without the NUL. */
size_t st_clean_text(char *dst, size_t size, const char *src);

/* Width of the text outputs' lines (summary, banner), columns: they fit an
 * 80-column terminal. */
#define ST_TEXT_COLS 79

/* Write line (one line, no '\n'; text already cleaned) to f, wrapped at
 * spaces so that no line passes ST_TEXT_COLS columns (a word longer than
 * that stays whole), continuation lines indented by `indent` spaces, then
 * '\n'.  Columns are counted in bytes (the summary's lines are ASCII). */
void st_put_wrapped(FILE *f, const char *line, int indent);

/* a + b, or UINT64_MAX when the sum does not fit: the sums of a log's
 * numbers (freed, nanoseconds, lost events) saturate instead of wrapping,
 * whatever the log holds, and a sum that reached UINT64_MAX stays there. */
static inline uint64_t st_sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* a - b for a sum made by st_sat_add(): a saturated sum stays saturated
 * (what it held is not known), and nothing goes below 0. */
static inline uint64_t st_sat_sub(uint64_t a, uint64_t b)
{
	return a == UINT64_MAX ? a : a >= b ? a - b : 0;
}

#endif /* ST_UTIL_H */
