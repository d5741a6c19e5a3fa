// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * front/main.c - `shrinktrace`: the live tracer (front/trace.c), and the
 * subcommands `replay` (front/replay.c) and `redact` (front/redact_cmd.c).
 */
#include <string.h>

#include "front/replay.h"
#include "front/trace.h"
#include "lib/version.h"
#include "log/redact.h"

const char *argp_program_version = "shrinktrace " ST_VERSION;

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "replay"))
		return replay_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "redact"))
		return redact_main(argc - 1, argv + 1);
	return trace_main(argc, argv);
}
