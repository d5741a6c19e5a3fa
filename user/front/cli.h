/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * front/cli.h - option values parsed alike by the tracer (front/main.c) and
 * `shrinktrace replay` (front/replay.c).
 */
#ifndef ST_CLI_H
#define ST_CLI_H

#include <argp.h>
#include <sys/types.h>

#include "engine/stats.h"

/* A decimal number (strtod(3) syntax, the whole of s) from lo to hi, into
 * *out.  Returns 0, or -1 (*out untouched) for anything else: no digits,
 * trailing characters, out of range, infinite or NaN. */
int cli_parse_number(const char *s, double lo, double hi, double *out);

/* The --sort KEY (stats_sort_from_name()); anything else is a usage error
 * reported with argp_error(), which exits unless the parser has ARGP_NO_EXIT. */
enum stats_sort cli_parse_sort(struct argp_state *state, const char *arg);

/* --mode OCTAL (st_parse_mode(), log/outfile.h) and --redact[=addrs|all]
 * (st_redact_mode_parse(), log/redact.h), for the tracer, replay and redact alike:
 * anything else is a usage error (argp_failure() with ST_USAGE_STATUS). */
mode_t cli_parse_mode(struct argp_state *state, const char *arg);
int cli_parse_redact(struct argp_state *state, const char *arg);

#endif /* ST_CLI_H */
