// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* front/command.c - the tracer's -- COMMAND (see front/command.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "front/command.h"
#include "lib/util.h"

/* The signals whose disposition the tracer changes (it handles the first
 * four, ignores SIGPIPE), and what it was started with: the command gets
 * those back, and the signal mask too, so that it starts as it would have
 * without the tracer in between (SIG_IGN from nohup or from a shell's
 * background job included; it used to inherit the tracer's SIGPIPE ignored). */
static const int own_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGPIPE };
#define N_OWN_SIGNALS (sizeof(own_signals) / sizeof(own_signals[0]))
static struct sigaction inherited_act[N_OWN_SIGNALS];
static sigset_t inherited_mask;

void command_save_signals(void)
{
	sigprocmask(SIG_SETMASK, NULL, &inherited_mask);
	for (size_t i = 0; i < N_OWN_SIGNALS; i++) {
		sigaction(own_signals[i], NULL, &inherited_act[i]);
		if (inherited_act[i].sa_handler != SIG_IGN) {
			/* exec leaves nothing but SIG_DFL and SIG_IGN */
			memset(&inherited_act[i], 0, sizeof(inherited_act[i]));
			inherited_act[i].sa_handler = SIG_DFL;
		}
	}
}

/* ---- resolve ------------------------------------------------------------------- */

enum verdict { RUNNABLE, MISSING, NOT_RUNNABLE };

/* Can path be exec'ed?  Else what is wrong, in why: "is a directory", "is
 * not executable (...)", or strerror(). */
static enum verdict check_file(const char *path, char *why, size_t len)
{
	struct stat st;

	if (stat(path, &st)) {
		int e = errno;

		snprintf(why, len, "%s", strerror(e));
		return e == ENOENT || e == ENOTDIR || e == ELOOP || e == ENAMETOOLONG ? MISSING
										       : NOT_RUNNABLE;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(why, len, "is a directory");
		return NOT_RUNNABLE;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "is not a regular file");
		return NOT_RUNNABLE;
	}
	/* as root: any execute bit; a noexec mount refuses here too */
	if (access(path, X_OK)) {
		snprintf(why, len, "is not executable (%s)", strerror(errno));
		return NOT_RUNNABLE;
	}
	return RUNNABLE;
}

/* The way out for file, there but not runnable for problem, into buf. */
static const char *way_out(const char *problem, const char *file, char *buf, size_t len)
{
	if (strncmp(problem, "is not executable", 17))
		return "give the path of a program";
	snprintf(buf, len, "make it executable (chmod +x) or name its interpreter (-- sh %s)", file);
	return buf;
}

/* "it is ..." for check_file()'s "is ...", else the problem as it is. */
static const char *it(const char *problem)
{
	return strncmp(problem, "is ", 3) ? "" : "it ";
}

int command_resolve(struct command *c, char **argv, char *why, size_t wlen)
{
	const char *name = argv[0], *dirs;
	char problem[160], cand[PATH_MAX], first[PATH_MAX] = "", first_problem[160] = "";
	char defpath[256], hint[400];
	size_t nargs = 0;

	memset(c, 0, sizeof(*c));
	c->argv = argv;
	c->go_fd = c->err_fd = -1;
	st_clean_text(c->shown, sizeof(c->shown), name);
	if (!name[0]) {
		snprintf(why, wlen, "cannot run '': an empty command name: give a program after --");
		return COMMAND_NOT_FOUND;
	}
	if (strchr(name, '/')) {
		switch (check_file(name, problem, sizeof(problem))) {
		case MISSING:
			snprintf(why, wlen, "cannot run %s: %s: give the path of a program", c->shown,
				 problem);
			return COMMAND_NOT_FOUND;
		case NOT_RUNNABLE:
			snprintf(why, wlen, "cannot run %s: %s%s: %s", c->shown, it(problem), problem,
				 way_out(problem, c->shown, hint, sizeof(hint)));
			return COMMAND_CANNOT_RUN;
		case RUNNABLE:
			break;
		}
		if (strlen(name) >= sizeof(c->path)) {
			snprintf(why, wlen, "cannot run %s: its path is too long", c->shown);
			return COMMAND_NOT_FOUND;
		}
		strcpy(c->path, name);
	} else {
		/* execvp(3): each directory of PATH in turn (an empty one is the
		 * current directory), or the system's default path without PATH;
		 * one that is there but cannot be run is passed over */
		dirs = getenv("PATH");
		if (!dirs) {
			if (!confstr(_CS_PATH, defpath, sizeof(defpath)))
				snprintf(defpath, sizeof(defpath), "/bin:/usr/bin");
			dirs = defpath;
		}
		for (const char *p = dirs;; p++) {
			const char *end = strchrnul(p, ':');
			int n = (int)(end - p);

			if (snprintf(cand, sizeof(cand), "%.*s/%s", n ? n : 1, n ? p : ".", name) <
			    (int)sizeof(cand)) {
				enum verdict v = check_file(cand, problem, sizeof(problem));

				if (v == RUNNABLE)
					break;
				if (v == NOT_RUNNABLE && !first[0]) {
					strcpy(first, cand);
					strcpy(first_problem, problem);
				}
			}
			if (!*end) {
				cand[0] = '\0';
				break;
			}
			p = end;
		}
		if (!cand[0] && first[0]) {
			char shown[256];

			st_clean_text(shown, sizeof(shown), first);
			snprintf(why, wlen, "cannot run %s: %s%s%s: %s", c->shown, shown,
				 it(first_problem)[0] ? " " : ": ", first_problem,
				 way_out(first_problem, shown, hint, sizeof(hint)));
			return COMMAND_CANNOT_RUN;
		}
		if (!cand[0]) {
			snprintf(why, wlen, "cannot run %s: not found in PATH: give its path (-- ./%s) "
				 "or install it", c->shown, c->shown);
			return COMMAND_NOT_FOUND;
		}
		strcpy(c->path, cand);
	}
	/* a file without #! goes to /bin/sh, as execvp(3) does: /bin/sh PATH ARG... */
	while (argv[nargs])
		nargs++;
	c->sh_argv = calloc(nargs + 2, sizeof(*c->sh_argv));
	if (!c->sh_argv)
		return -1;
	c->sh_argv[0] = (char *)"/bin/sh";
	c->sh_argv[1] = c->path;
	for (size_t i = 1; i < nargs; i++)
		c->sh_argv[i + 1] = argv[i];
	return 0;
}

/* ---- fork, start ---------------------------------------------------------------- */

/* The child: wait for the go, then become the command.  Only async-signal-
 * safe calls: the tracer may have threads (the metrics server). */
static void __attribute__((noreturn)) child(struct command *c, int go_rd, int err_wr,
					     pid_t parent)
{
	char go;
	ssize_t n;
	int e;

	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == 0 && getppid() != parent)
		_exit(COMMAND_NOT_FOUND);	/* the tracer is gone already */
	do
		n = read(go_rd, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(COMMAND_NOT_FOUND);	/* no go: the tracer stopped, or died */
	close(go_rd);
	for (size_t i = 0; i < N_OWN_SIGNALS; i++)
		sigaction(own_signals[i], &inherited_act[i], NULL);
	/* a stop signal that came while it waited (blocked) ends it here,
	 * before it runs, unless the command was started with it ignored */
	sigprocmask(SIG_SETMASK, &inherited_mask, NULL);
	execv(c->path, c->argv);
	if (errno == ENOEXEC)
		execv(c->sh_argv[0], c->sh_argv);
	e = errno;
	if (write(err_wr, &e, sizeof(e)) < 0)
		_exit(COMMAND_CANNOT_RUN);
	_exit(e == ENOENT ? COMMAND_NOT_FOUND : COMMAND_CANNOT_RUN);
}

int command_fork(struct command *c, const sigset_t *block, volatile sig_atomic_t *stop)
{
	sigset_t old;
	pid_t parent = getpid();
	int go[2], err[2], e;

	if (pipe2(go, O_CLOEXEC))
		return -1;
	if (pipe2(err, O_CLOEXEC)) {
		e = errno;
		close(go[0]);
		close(go[1]);
		errno = e;
		return -1;
	}
	sigprocmask(SIG_BLOCK, block, &old);
	if (*stop) {
		c->pid = 0;
	} else {
		c->pid = fork();
		if (c->pid == 0) {
			close(go[1]);
			close(err[0]);
			child(c, go[0], err[1], parent);
		}
	}
	e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(go[0]);
	close(err[1]);
	if (c->pid <= 0) {
		close(go[1]);
		close(err[0]);
		if (c->pid < 0) {
			c->pid = 0;
			errno = e;
			return -1;
		}
		return 0;
	}
	c->go_fd = go[1];
	c->err_fd = err[0];
	return 0;
}

int command_start(struct command *c, const sigset_t *block, volatile sig_atomic_t *stop)
{
	sigset_t old;
	bool go;

	if (c->pid <= 0)
		return 0;
	/* no stop signal between the check and the go */
	sigprocmask(SIG_BLOCK, block, &old);
	go = !*stop;
	if (go && write(c->go_fd, "g", 1) != 1) {
		/* it is gone (killed meanwhile): reaped and shown as it ended */
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (!go) {
		command_abandon(c);
		return 0;
	}
	close(c->go_fd);
	c->go_fd = -1;
	return 1;
}

int command_exec_error(struct command *c)
{
	int e = 0;

	if (c->err_fd < 0 || read(c->err_fd, &e, sizeof(e)) != (ssize_t)sizeof(e))
		return 0;
	return e;
}

void command_abandon(struct command *c)
{
	if (c->go_fd >= 0) {
		close(c->go_fd);	/* EOF: the child exits without exec'ing */
		c->go_fd = -1;
	}
	if (c->pid > 0) {
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		c->pid = 0;
	}
}

void command_free(struct command *c)
{
	if (c->go_fd >= 0)
		close(c->go_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->go_fd = c->err_fd = -1;
	free(c->sh_argv);
	c->sh_argv = NULL;
}

int command_exit_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 0;
}
