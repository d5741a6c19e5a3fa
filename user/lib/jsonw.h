/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * lib/jsonw.h - bounded writer into a caller buffer, with the JSON values the
 * event log (log/writer.c) and the Perfetto export (sinks/perfetto.c) write; the
 * CSV writer (sinks/csv.c) uses its cursor and st_utf8_len().
 *
 * A struct jw appends to a caller buffer and never allocates.  An append
 * that does not fit, with one byte kept for the final NUL, writes nothing
 * and sets ovf; every later append is then ignored, so a caller checks once,
 * at jw_finish().
 */
#ifndef ST_JSONW_H
#define ST_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jw {
	char *p;	/* where the next byte goes */
	size_t left;	/* bytes left in the buffer, the final NUL included */
	size_t n;	/* bytes written so far */
	bool ovf;	/* an append did not fit: the content is unusable */
};

/* Write into buf (len bytes, borrowed).  buf NULL or len 0: overflowed from
 * the start (jw_finish() returns -1). */
void jw_init(struct jw *w, char *buf, size_t len);

/* n bytes of s as they are. */
void jw_raw(struct jw *w, const void *s, size_t n);
/* A NUL-terminated string as it is (no quotes, no escaping). */
void jw_str(struct jw *w, const char *s);
/* A number in decimal. */
void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
/* A pointer as a JSON string: "0x" + lowercase hex, quoted ("0x0" for 0). */
void jw_ptr(struct jw *w, uint64_t v);
/* src (at most max bytes, stops at NUL) escaped as the body of a JSON string,
 * without quotes: '"' and '\\' with a backslash, \n \t \r, other control
 * characters and DEL as \u00XX, valid UTF-8 as is, and every byte that is
 * not part of valid UTF-8 as \u00XX (its Latin-1 reading). */
void jw_esc(struct jw *w, const char *src, size_t max);
/* The same between double quotes: a JSON string value. */
void jw_qstr(struct jw *w, const char *src, size_t max);

/* NUL-terminate.  Returns the bytes written without the NUL, or -1 when
 * something did not fit (the buffer content is then unspecified). */
int jw_finish(struct jw *w);

/* Length of the valid UTF-8 sequence at s (n >= 1 bytes readable): 1 for
 * ASCII, 2 to 4 for a well-formed multi-byte character (no overlong forms,
 * surrogates or code points above U+10FFFF), 0 when s does not start one. */
size_t st_utf8_len(const unsigned char *s, size_t n);

#endif /* ST_JSONW_H */
