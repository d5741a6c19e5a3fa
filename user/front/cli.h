/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * front/cli.h - option values parsed alike by the tracer (front/main.c) and
 * `shrinktrace replay` (front/replay.c).
 */
#ifndef ST_CLI_H
#define ST_CLI_H

#include <argp.h>
#include <stdbool.h>
#include <sys/types.h>

#include "engine/stats.h"

/* A decimal number (strtod(3) syntax, the whole of s) from lo to hi, into
 * *out.  Returns 0, or -1 (*out untouched) for anything else: no digits,
 * trailing characters, out of range, infinite or NaN. */
int cli_parse_number(const char *s, double lo, double hi, double *out);

#include <stdint.h>

/* A time in units of unit_ns nanoseconds (1e9: seconds, 1e6: milliseconds,
 * 1e3: microseconds): a number for cli_parse_number() from 0 to hi units,
 * rounded to the nearest nanosecond (the clock's resolution: the tracer's
 * bpf_ktime_get_ns() and every ts of a log), into *ns.  A value above 0
 * that rounds to 0 ns is refused (-1) rather than read as 0, which means
 * "none" or "the default" to some options; so is 0 when positive is set.
 * The tracer and replay parse their times through this one function. */
int cli_parse_ns(const char *s, double unit_ns, double hi, bool positive, uint64_t *ns);

/* The --sort KEY (stats_sort_from_name()); anything else is a usage error
 * reported with argp_error(), which exits unless the parser has ARGP_NO_EXIT. */
enum stats_sort cli_parse_sort(struct argp_state *state, const char *arg);

/* --mode OCTAL (st_parse_mode(), log/outfile.h) and --redact[=addrs|all]
 * (st_redact_mode_parse(), log/redact.h), for the tracer, replay and redact alike:
 * anything else is a usage error (argp_failure() with ST_USAGE_STATUS). */
mode_t cli_parse_mode(struct argp_state *state, const char *arg);
int cli_parse_redact(struct argp_state *state, const char *arg);

#endif /* ST_CLI_H */
