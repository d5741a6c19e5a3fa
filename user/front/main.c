// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * front/main.c - `shrinktrace`: the live tracer (front/trace.c), and the
 * subcommands `replay` (front/replay.c), `redact` (front/redact_cmd.c) and
 * `help`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/*
 * Descriptors 0, 1 and 2 are open before anything else is: started with one
 * of them closed (`>&-`, `2>&-`), the first file opened would take its
 * number, and the event lines or the summary would be written into the log
 * (or an input read from it).  A closed one is opened on /dev/null.  Returns
 * 0, or -1 when /dev/null cannot be opened (then nothing may be opened).
 */
static int std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (nfd < 0)
			return -1;
		if (nfd != fd) {
			/* a lower one was closed as well and is open now */
			if (dup2(nfd, fd) < 0)
				return -1;
			close(nfd);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (std_fds()) {
		static const char msg[] = "shrinktrace: standard input, output or error is closed "
					  "and /dev/null cannot be opened in its place: start "
					  "shrinktrace with descriptors 0, 1 and 2 open\n";

		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			return 1;
		return 1;
	}
	if (argc > 1 && !strcmp(argv[1], "replay"))
		return replay_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "redact"))
		return redact_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "help"))
		return help_main(argc - 1, argv + 1);
	/* getopt names the program after argv[0] in its errors ("unrecognized
	 * option"): the same name as every other message, wherever it was run from */
	if (argc > 0)
		argv[0] = (char *)"shrinktrace";
	return trace_main(argc, argv);
}
