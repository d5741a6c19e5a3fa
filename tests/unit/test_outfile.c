/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests of the output-file opener and its whole-line streams (user/log/outfile.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "log/outfile.h"

static char dir[64];

static int setup(void **st)
{
	(void)st;
	strcpy(dir, "/tmp/st-test-outfile.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
	char cmd[128];

	(void)st;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static mode_t mode_of(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return st.st_mode & 07777;
}

static void test_parse_mode(void **st)
{
	mode_t m;

	(void)st;
	assert_int_equal(st_parse_mode("600", &m), 0);
	assert_int_equal(m, 0600);
	assert_int_equal(st_parse_mode("0640", &m), 0);
	assert_int_equal(m, 0640);
	assert_int_equal(st_parse_mode("0", &m), 0);
	assert_int_equal(m, 0);
	assert_int_equal(st_parse_mode("0777", &m), 0);
	assert_int_equal(m, 0777);
	assert_int_equal(st_parse_mode("", &m), -1);
	assert_int_equal(st_parse_mode("1777", &m), -1);	/* sticky: no */
	assert_int_equal(st_parse_mode("4755", &m), -1);
	assert_int_equal(st_parse_mode("800", &m), -1);
	assert_int_equal(st_parse_mode("0o600", &m), -1);
	assert_int_equal(st_parse_mode("-600", &m), -1);
	assert_int_equal(st_parse_mode("00600", &m), -1);
	assert_int_equal(st_parse_mode("rw", &m), -1);
}

/* The mode is exactly the one asked for, umask or not, new file or old. */
static void test_modes(void **st)
{
	char p[128];
	mode_t old = umask(077);
	FILE *f;
	int fd;

	(void)st;
	snprintf(p, sizeof(p), "%s/new", dir);
	f = st_open_output_mode(p, 0644);
	assert_non_null(f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(mode_of(p), 0644);	/* umask 077 did not apply */
	umask(old);
	/* an existing world-readable file is reset to 0600 before truncation */
	snprintf(p, sizeof(p), "%s/old", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0666);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 04755), 0);
	assert_int_equal(write(fd, "old content\n", 12), 12);
	close(fd);
	f = st_open_output(p);
	assert_non_null(f);
	assert_int_equal(mode_of(p), 0600);
	fputs("new\n", f);
	assert_int_equal(fclose(f), 0);
	{
		char buf[32] = "";

		fd = open(p, O_RDONLY);
		assert_int_equal(read(fd, buf, sizeof(buf)), 4);
		close(fd);
		assert_string_equal(buf, "new\n");
	}
}

/* Never through a symlink, never a FIFO, never a file with other hard links;
 * the refused file is left as it was. */
static void test_refusals(void **st)
{
	char p[128], q[128];
	struct stat sb;

	(void)st;
	snprintf(p, sizeof(p), "%s/target", dir);
	snprintf(q, sizeof(q), "%s/link", dir);
	assert_int_equal(close(open(p, O_WRONLY | O_CREAT, 0644)), 0);
	assert_int_equal(symlink(p, q), 0);
	errno = 0;
	assert_null(st_open_output(q));
	assert_int_equal(errno, ELOOP);
	assert_string_equal(st_output_strerror(ELOOP), "it is a symbolic link");
	unlink(q);
	assert_int_equal(mkfifo(q, 0600), 0);
	errno = 0;
	assert_null(st_open_output(q));
	assert_string_equal(st_output_strerror(errno), "it is not a regular file");
	unlink(q);
	/* a hard link: truncating it would empty the other name too */
	assert_int_equal(truncate(p, 0), 0);
	assert_int_equal(link(p, q), 0);
	{
		int fd = open(p, O_WRONLY);

		assert_int_equal(write(fd, "x\n", 2), 2);
		close(fd);
	}
	errno = 0;
	assert_null(st_open_output(q));
	assert_int_equal(errno, EMLINK);
	assert_string_equal(st_output_strerror(EMLINK), "it has more than one hard link");
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_size, 2);
	assert_int_equal(sb.st_mode & 0777, 0644);
	unlink(q);
	unlink(p);
}

/* A write error (here EFBIG from RLIMIT_FSIZE, as ENOSPC on a full disk)
 * leaves complete lines only, and fclose reports it. */
static void test_write_error_whole_lines(void **st)
{
	char p[128], line[101], buf[4096];
	struct rlimit old, lim;
	struct sigaction ign = { .sa_handler = SIG_IGN }, oldsa;
	FILE *f;
	int fd, e, n, ok = 1;
	ssize_t got;

	(void)st;
	snprintf(p, sizeof(p), "%s/limited", dir);
	memset(line, 'a', 99);
	line[99] = '\n';
	line[100] = '\0';
	f = st_open_output(p);
	assert_non_null(f);
	setvbuf(f, NULL, _IOFBF, 256);		/* flushes that end mid-line */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	sigaction(SIGXFSZ, &ign, &oldsa);
	lim = old;
	lim.rlim_cur = 1050;			/* room for 10.5 lines */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (n = 0; n < 30 && ok; n++)
		ok = fputs(line, f) >= 0 && fflush(f) == 0;
	e = st_output_error(f);
	assert_int_equal(e, EFBIG);
	errno = 0;
	assert_int_equal(fclose(f), EOF);
	assert_int_equal(errno, EFBIG);
	setrlimit(RLIMIT_FSIZE, &old);
	sigaction(SIGXFSZ, &oldsa, NULL);
	fd = open(p, O_RDONLY);
	got = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(got, 1000);		/* 10 whole lines, not 1050 bytes */
	assert_int_equal(buf[999], '\n');
	unlink(p);

	/* one write of 20 lines cut after 1050 bytes: its first 10 lines stay */
	f = st_open_output(p);
	assert_non_null(f);
	setvbuf(f, NULL, _IOFBF, 4096);
	for (n = 0; n < 20; n++)
		fputs(line, f);
	sigaction(SIGXFSZ, &ign, &oldsa);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(fflush(f), EOF);
	assert_int_equal(st_output_error(f), EFBIG);
	setrlimit(RLIMIT_FSIZE, &old);
	sigaction(SIGXFSZ, &oldsa, NULL);
	assert_int_equal(fclose(f), EOF);
	fd = open(p, O_RDONLY);
	got = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(got, 1000);
	unlink(p);
}

/* A line is written whole, at once, when its '\n' arrives, and the end of the
 * stream without '\n' at fclose. */
static void test_lines_whole(void **st)
{
	char p[128], buf[64] = "";
	struct stat sb;
	FILE *f;
	int fd;

	(void)st;
	snprintf(p, sizeof(p), "%s/lines", dir);
	f = st_open_output(p);
	assert_non_null(f);
	fputs("one\ntw", f);
	assert_int_equal(fflush(f), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_size, 4);	/* "tw" waits for its line's end */
	fputs("o\nthree", f);
	assert_int_equal(fflush(f), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_size, 8);
	/* st_output_flush: the unfinished line too, for a live reader */
	assert_int_equal(st_output_flush(f), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_size, 13);
	assert_int_equal(fclose(f), 0);
	fd = open(p, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 13);
	close(fd);
	assert_string_equal(buf, "one\ntwo\nthree");
	unlink(p);
}

/* Over a pipe whose reader is gone: EPIPE, kept for every later write. */
static void test_stream_epipe(void **st)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, oldsa;
	int fds[2];
	FILE *f;

	(void)st;
	sigaction(SIGPIPE, &ign, &oldsa);
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	f = st_output_stream(fds[1]);
	assert_non_null(f);
	fputs("line\n", f);
	assert_int_equal(fflush(f), EOF);
	assert_int_equal(st_output_error(f), EPIPE);
	fputs("more\n", f);
	assert_int_equal(fflush(f), EOF);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(fclose(f), EOF);
	/* the fd is the caller's: still open */
	assert_true(fcntl(fds[1], F_GETFD) >= 0);
	close(fds[1]);
	sigaction(SIGPIPE, &oldsa, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_mode),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_write_error_whole_lines),
		cmocka_unit_test(test_lines_whole),
		cmocka_unit_test(test_stream_epipe),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
