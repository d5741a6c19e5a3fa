/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * front/redact_cmd.h - the rewriter of `shrinktrace redact` (front/redact_cmd.c),
 * for the command and for the fuzz target.
 */
#ifndef ST_REDACT_CMD_H
#define ST_REDACT_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "log/reader.h"

#define REDACT_OK 0
#define REDACT_ERROR 1

/*
 * Rewrite every line of lg to out (JSON Lines) with the addresses (with all:
 * also task names and ids) replaced, as the top of front/redact_cmd.c says.
 * key: the 16-byte key of the pseudonyms, or NULL for a random one.
 * Errors (a malformed line: st_log_error(), out of memory) and a warning for
 * a cut last line go to stderr, one line each.  Returns REDACT_OK or REDACT_ERROR; write errors are the
 * caller's (ferror(out), st_output_error()).
 */
int redact_log(struct st_log *lg, FILE *out, bool all, const uint8_t *key);

#endif /* ST_REDACT_CMD_H */
