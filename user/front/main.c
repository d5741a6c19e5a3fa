// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * front/main.c - `shrinktrace`: the live tracer (front/trace.c), and the
 * subcommands `replay` (front/replay.c), `redact` (front/redact_cmd.c) and
 * `help`.
 */
#include <stdio.h>
#include <string.h>

#include "front/replay.h"
#include "front/trace.h"
#include "lib/version.h"
#include "log/redact.h"

const char *argp_program_version = "shrinktrace " ST_VERSION;

/* `shrinktrace help [replay|redact]`: the --help of the tracer or of a
 * subcommand, exit 0; another topic is a usage error (2). */
static int help_main(int argc, char **argv)
{
	if (argc > 2) {
		fprintf(stderr, "shrinktrace help: one topic at most (replay or redact)\n");
		return ST_EXIT_USAGE;
	}
	if (argc == 2 && !strcmp(argv[1], "replay"))
		return replay_main(2, (char *[]){ "replay", "--help", NULL });
	if (argc == 2 && !strcmp(argv[1], "redact"))
		return redact_main(2, (char *[]){ "redact", "--help", NULL });
	if (argc == 2) {
		fprintf(stderr, "shrinktrace help: no help on '%s': topics are replay and redact "
			"(or none, for the tracer)\n", argv[1]);
		return ST_EXIT_USAGE;
	}
	trace_help();
	return ST_EXIT_CLEAN;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "replay"))
		return replay_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "redact"))
		return redact_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "help"))
		return help_main(argc - 1, argv + 1);
	return trace_main(argc, argv);
}
