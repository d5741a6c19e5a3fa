/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests of the tracer's -- COMMAND (front/command.c): found as
 * execvp(3) finds it or refused with 127/126 and one line, a child that
 * runs nothing until the go (and nothing at all when abandoned), an exec
 * that still fails reported through the pipe, a file without #! run by
 * /bin/sh, the exit status rule for wait statuses. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "front/command.h"

static char dir[] = "/tmp/st-test-command.XXXXXX";
static char path_env[512];

static void put(const char *name, const char *text, mode_t mode)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(p, mode), 0);
}

static int setup(void **state)
{
	char p[256];

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	put("ok.sh", "#!/bin/sh\necho \"$@\" > \"$0.ran\"\nexit 7\n", 0755);
	put("noshebang", "echo \"$1\" > \"$0.ran\"\n", 0755);
	put("plain", "#!/bin/sh\n", 0644);
	put("badinterp", "#!/no/such/interpreter\n", 0755);
	snprintf(p, sizeof(p), "%s/adir", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	/* PATH: a directory named like a command first, then the test's */
	snprintf(p, sizeof(p), "%s/sub", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/sub/ok.sh", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(path_env, sizeof(path_env), "%s/sub:%s:/usr/bin:/bin", dir, dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

/* resolve argv0 with PATH set to path_env; the status, why in why. */
static int resolve(struct command *c, const char *argv0, char *why, size_t len)
{
	static char *argv[3];

	argv[0] = (char *)argv0;
	argv[1] = (char *)"arg1";
	argv[2] = NULL;
	setenv("PATH", path_env, 1);
	why[0] = '\0';
	return command_resolve(c, argv, why, len);
}

static void test_resolve(void **state)
{
	struct command c;
	char why[512], p[256];

	(void)state;
	/* on PATH: the directory sub/ok.sh is passed over, as execvp(3) does */
	assert_int_equal(resolve(&c, "ok.sh", why, sizeof(why)), 0);
	snprintf(p, sizeof(p), "%s/ok.sh", dir);
	assert_string_equal(c.path, p);
	command_free(&c);
	assert_int_equal(resolve(&c, "sh", why, sizeof(why)), 0);
	command_free(&c);

	assert_int_equal(resolve(&c, "st-no-such-command", why, sizeof(why)), COMMAND_NOT_FOUND);
	assert_string_equal(why, "cannot run st-no-such-command: not found in PATH: give its path "
			    "(-- ./st-no-such-command) or install it");
	command_free(&c);
	assert_int_equal(resolve(&c, "/no/such/cmd", why, sizeof(why)), COMMAND_NOT_FOUND);
	assert_string_equal(why, "cannot run /no/such/cmd: No such file or directory: give the "
			    "path of a program");
	command_free(&c);
	assert_int_equal(resolve(&c, "", why, sizeof(why)), COMMAND_NOT_FOUND);
	command_free(&c);

	snprintf(p, sizeof(p), "%s/adir", dir);
	assert_int_equal(resolve(&c, p, why, sizeof(why)), COMMAND_CANNOT_RUN);
	assert_non_null(strstr(why, "it is a directory: give the path of a program"));
	command_free(&c);
	assert_int_equal(resolve(&c, "/dev/null", why, sizeof(why)), COMMAND_CANNOT_RUN);
	assert_non_null(strstr(why, "it is not a regular file"));
	command_free(&c);
	snprintf(p, sizeof(p), "%s/plain", dir);
	/* no execute bit: refused, for root too */
	assert_int_equal(resolve(&c, p, why, sizeof(why)), COMMAND_CANNOT_RUN);
	assert_non_null(strstr(why, "it is not executable"));
	assert_non_null(strstr(why, "chmod +x"));
	command_free(&c);
	/* only a file that cannot be run on PATH: named, 126 */
	assert_int_equal(resolve(&c, "plain", why, sizeof(why)), COMMAND_CANNOT_RUN);
	assert_non_null(strstr(why, "/plain is not executable"));
	command_free(&c);
}

static int wait_status(pid_t pid)
{
	int st = -1;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static bool exists(const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static void test_fork_start(void **state)
{
	struct command c;
	sigset_t block;
	volatile sig_atomic_t stop = 0;
	char why[512], p[256];
	pid_t pid;
	int st;

	(void)state;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	snprintf(p, sizeof(p), "%s/ok.sh", dir);
	assert_int_equal(resolve(&c, p, why, sizeof(why)), 0);
	assert_int_equal(command_fork(&c, &block, &stop), 0);
	assert_true(c.pid > 0);
	usleep(100 * 1000);
	assert_false(exists("ok.sh.ran"));	/* it waits for the go */
	pid = c.pid;
	assert_int_equal(command_start(&c, &block, &stop), 1);
	st = wait_status(pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	assert_int_equal(command_exit_status(st), 7);
	assert_int_equal(command_exec_error(&c), 0);
	assert_true(exists("ok.sh.ran"));
	command_free(&c);

	/* abandoned: it exits, nothing ran */
	unlink(p);
	put("ok.sh", "#!/bin/sh\necho \"$@\" > \"$0.ran\"\nexit 7\n", 0755);
	snprintf(p, sizeof(p), "%s/ok.sh.ran", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/ok.sh", dir);
	assert_int_equal(resolve(&c, p, why, sizeof(why)), 0);
	assert_int_equal(command_fork(&c, &block, &stop), 0);
	command_abandon(&c);
	assert_int_equal(c.pid, 0);
	assert_false(exists("ok.sh.ran"));
	command_free(&c);

	/* a stop before the go: not started, reaped, nothing ran */
	assert_int_equal(resolve(&c, p, why, sizeof(why)), 0);
	assert_int_equal(command_fork(&c, &block, &stop), 0);
	stop = SIGINT;
	assert_int_equal(command_start(&c, &block, &stop), 0);
	assert_int_equal(c.pid, 0);
	assert_false(exists("ok.sh.ran"));
	/* and with the stop already there, nothing is forked */
	assert_int_equal(command_fork(&c, &block, &stop), 0);
	assert_int_equal(c.pid, 0);
	command_free(&c);
}

static void test_exec_fails_late(void **state)
{
	struct command c;
	sigset_t block;
	volatile sig_atomic_t stop = 0;
	char why[512], p[256];
	pid_t pid;
	int st;

	(void)state;
	sigemptyset(&block);
	snprintf(p, sizeof(p), "%s/badinterp", dir);
	assert_int_equal(resolve(&c, p, why, sizeof(why)), 0);	/* executable: found */
	assert_int_equal(command_fork(&c, &block, &stop), 0);
	pid = c.pid;
	assert_int_equal(command_start(&c, &block, &stop), 1);
	st = wait_status(pid);
	assert_int_equal(command_exit_status(st), COMMAND_NOT_FOUND);
	assert_int_equal(command_exec_error(&c), ENOENT);
	command_free(&c);

	/* no #!: run by /bin/sh, as execvp(3) does */
	snprintf(p, sizeof(p), "%s/noshebang", dir);
	assert_int_equal(resolve(&c, p, why, sizeof(why)), 0);
	assert_int_equal(command_fork(&c, &block, &stop), 0);
	pid = c.pid;
	assert_int_equal(command_start(&c, &block, &stop), 1);
	st = wait_status(pid);
	assert_int_equal(command_exit_status(st), 0);
	assert_int_equal(command_exec_error(&c), 0);
	assert_true(exists("noshebang.ran"));
	command_free(&c);
}

static void test_exit_status(void **state)
{
	(void)state;
	assert_int_equal(command_exit_status(0), 0);
	assert_int_equal(command_exit_status(7 << 8), 7);
	assert_int_equal(command_exit_status(SIGKILL), 128 + SIGKILL);
	assert_int_equal(command_exit_status(SIGTERM | 0x80), 128 + SIGTERM);	/* core dumped */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_fork_start),
		cmocka_unit_test(test_exec_fails_late),
		cmocka_unit_test(test_exit_status),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
