/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * front/command.h - the tracer's `-- COMMAND [ARG...]`, started as perf and
 * strace start theirs, in three steps:
 *
 *   resolve  before anything is made or attached: COMMAND is looked up as
 *            execvp(3) would (a name with a '/' as it is, else each
 *            directory of PATH) and must be a regular file we may execute;
 *            otherwise a one-line error and the status a shell would give
 *            (127 not found, 126 found but not runnable), nothing traced
 *   fork     still before anything is attached: a child that waits, with
 *            the tracer's stop signals blocked, for a go on a pipe
 *   start    once tracing has started: the go; the child puts back the
 *            signal dispositions and mask the tracer was started with and
 *            execs the resolved file (through /bin/sh when it has no #!
 *            line, as execvp(3)); an exec that still fails writes its errno
 *            on a close-on-exec pipe (command_exec_error()) and exits 127
 *            (ENOENT) or 126
 *
 * A child that gets no go (a stop before tracing started, an error) exits
 * without running anything when the go pipe closes, the tracer's death
 * included; a started command gets SIGTERM if the tracer dies
 * (PR_SET_PDEATHSIG).
 */
#ifndef ST_COMMAND_H
#define ST_COMMAND_H

#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* Exit statuses of a command that could not be run, as sh(1), env(1) and
 * timeout(1) give them. */
#define COMMAND_NOT_FOUND 127
#define COMMAND_CANNOT_RUN 126

struct command {
	char **argv;			/* borrowed: NULL-terminated, argv[0] the name */
	char path[PATH_MAX];		/* the file to execute (command_resolve()) */
	char **sh_argv;			/* /bin/sh PATH ARG...: for a file without #! */
	pid_t pid;			/* the child, 0 none (not forked, or reaped) */
	int go_fd;			/* the go pipe's write end, -1 */
	int err_fd;			/* the exec error pipe's read end, -1 */
	char shown[256];		/* argv[0] cleaned for messages */
};

/* Remember the signal dispositions and mask the process was started with
 * (before it changes any), for the command to start with them. */
void command_save_signals(void);

/* Find argv[0] and set up c for it (c->argv is argv, borrowed).  0, or the
 * exit status COMMAND_NOT_FOUND or COMMAND_CANNOT_RUN with one line in why
 * (wlen bytes) naming the problem and the way out; -1 on ENOMEM. */
int command_resolve(struct command *c, char **argv, char *why, size_t wlen);

/* Fork the child, which waits for command_start().  The signals of block
 * are blocked from the check of *stop to the end of fork(): with *stop set
 * nothing is forked (0, c->pid 0).  0, or -1 with errno (pipe, fork). */
int command_fork(struct command *c, const sigset_t *block, volatile sig_atomic_t *stop);

/* Let the child exec, unless *stop is set (checked with block blocked):
 * then it is abandoned (command_abandon()) and 0 is returned; else 1.  A
 * child already gone (killed meanwhile) is left to be reaped as exited. */
int command_start(struct command *c, const sigset_t *block, volatile sig_atomic_t *stop);

/* The errno of a failed exec, once the child has exited (0: it exec'ed). */
int command_exec_error(struct command *c);

/* A child that was never started: it exits without running anything; it is
 * reaped here.  No-op when there is none. */
void command_abandon(struct command *c);

/* Close the pipes and free what resolve allocated (not the child). */
void command_free(struct command *c);

/* The tracer's exit status for a command's wait status: its exit status, or
 * 128 + N when killed by signal N. */
int command_exit_status(int wstatus);

#endif /* ST_COMMAND_H */
