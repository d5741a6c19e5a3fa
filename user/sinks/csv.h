/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sinks/csv.h - events and violations as CSV (RFC 4180), `--format csv`.
 *
 * One header row (st_csv_columns()), then one row per event of any type (lost
 * included) and one row per violation (type "violation"), in the order they
 * are given (the correlator's timestamp order).  Every field of the
 * shrinktrace/1 log has its column; a field the record does not carry is an
 * empty cell.  Values are written as in the JSON log: ts in ns, pointers as
 * "0x" + lowercase hex, freed of SHRINK_EMPTY as "empty", inferred and
 * deferred as "true" (else empty), certain as "true"/"false" (violations only).  A cell holding a
 * comma, a double quote, CR, LF or another control character is quoted, with
 * '"' doubled.  Rows end in CRLF.  Text is UTF-8: a byte that is not part of
 * valid UTF-8 is written as the character of its Latin-1 reading (as the JSON
 * writer does).
 */
#ifndef ST_OUTPUT_CSV_H
#define ST_OUTPUT_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "log/event.h"

/* The header row (CRLF included): "type", every field of the event log in
 * the field table's order (log/event.h), then kind, walker_pid, walker_comm,
 * certain, detail.  Static storage. */
const char *st_csv_columns(void);

/* Enough for any row (detail: 512 bytes, at most 2 output bytes each, quoted). */
#define ST_CSV_MAX 8192

/* Format one row, CRLF included, NUL-terminated, into buf.  Return the bytes
 * written without the NUL, or -1 when the row does not fit in len or the
 * record is not an event (header, violation, unknown). */
int st_csv_format_rec(char *buf, size_t len, const struct st_rec *r);
int st_csv_format_violation(char *buf, size_t len, const struct st_violation *v);

struct csv_out;

/* A CSV writer on f (borrowed: flushed, never closed, by this writer).  The
 * header row is written with the first row or by csv_out_finish().  NULL on
 * allocation failure. */
struct csv_out *csv_out_new(FILE *f);
void csv_out_event(struct csv_out *c, const struct st_rec *r);
void csv_out_violation(struct csv_out *c, const struct st_violation *v);
/* End of output (or the beginning of a live one): the header row if nothing
 * was written yet. */
void csv_out_finish(struct csv_out *c);
/* The first write error (an errno value), 0 if none. */
int csv_out_error(const struct csv_out *c);
void csv_out_free(struct csv_out *c);

#endif /* ST_OUTPUT_CSV_H */
