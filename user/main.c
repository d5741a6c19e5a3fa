// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * main.c - `shrinktrace`: live tracing of the kernel's slab shrinkers, and
 * `shrinktrace replay` (user/replay.c) for saved logs.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>

#include "correlate.h"
#include "event.h"
#include "jsonl.h"
#include "ksyms.h"
#include "loader.h"
#include "output_text.h"
#include "replay.h"

#define EXIT_CLEAN 0
#define EXIT_ERROR 1
#define EXIT_USAGE 2
#define EXIT_VIOLATIONS 3

const char *argp_program_version = "shrinktrace 0.1";

static const char doc[] =
	"shrinktrace -- trace the Linux kernel's slab shrinkers live and catch walks that "
	"reach a shrinker already queued for freeing.\n"
	"\n"
	"  shrinktrace [OPTION...] [-- COMMAND [ARG...]]\n"
	"  shrinktrace replay [OPTION...] FILE...     (see `shrinktrace replay --help`)\n"
	"\n"
	"Prints one line per event (shrinker_alloc, shrinker_register, walk_begin/_end, "
	"shrink_begin/_end, free_begin/_end, rcu_free, lost) and every violation the "
	"correlator finds (use_after_free, walk_onto_queued, free_while_running, stale_next, "
	"double_free, stuck_free). With -- COMMAND, the command is started once the probes "
	"are attached and tracing stops when it exits. Needs root (or CAP_BPF + CAP_PERFMON) "
	"and a kernel with BTF (/sys/kernel/btf/vmlinux)."
	"\v"
	"Backends: for each hook the best mechanism that really loads and attaches is used: "
	"fentry/fexit, then kprobe/kretprobe, then tracepoints (vmscan:mm_shrink_slab_start/_end, "
	"kmem:kmalloc/kfree, plus a scan of tracked shrinkers). The banner on stderr says "
	"which mechanism serves each hook and which events this set cannot see.\n"
	"\n"
	"Exit status: 0 clean; 1 error (privileges, BTF, attach, output file, write error); "
	"2 usage error; 3 violations found. With -- COMMAND the command's own exit status "
	"is shown in the summary.";

enum {
	OPT_RINGBUF = 0x100,
	OPT_STUCK,
	OPT_WINDOW,
	OPT_NO_BANNER,
};

static const struct argp_option options[] = {
	{ "output", 'o', "FILE", 0, "Write the event log to FILE (JSON Lines, format "
	  "shrinktrace/1, header first; mode 0600, never through a symlink)", 0 },
	{ "quiet", 'q', NULL, 0, "No per-event lines on stdout (violations and the summary "
	  "are still shown)", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (decimal allowed)", 0 },
	{ "backend", 'b', "MODE", 0, "auto (default), fentry, kprobe or tracepoint: with a "
	  "fixed MODE only that mechanism is tried for every hook", 0 },
	{ "ringbuf-size", OPT_RINGBUF, "BYTES", 0, "Ring buffer size, a power of two >= 4096; "
	  "K and M suffixes (default 8M). Events that do not fit are counted and logged as "
	  "`lost` records", 0 },
	{ "stuck-after", OPT_STUCK, "SECONDS", 0, "Report stuck_free when shrinker_free() has "
	  "not returned after SECONDS of trace time (default 10)", 0 },
	{ "window", OPT_WINDOW, "MS", 0, "Hold events MS milliseconds to put events "
	  "from different CPUs in timestamp order (default 50)", 0 },
	{ "no-banner", OPT_NO_BANNER, NULL, 0, "Do not print the hook banner", 0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf's messages (verifier logs, attach errors)", 0 },
	{ 0 }
};

struct args {
	const char *output;
	bool quiet, verbose, no_banner;
	double duration;	/* seconds, 0: until Ctrl-C / command exit */
	enum st_backend backend;
	uint32_t ringbuf;
	uint64_t stuck_ns, window_ns;
	char **command;		/* NULL-terminated, or NULL */
};

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0 && v <= 1e9))	/* also refuses NaN */
		return -1;
	*out = v;
	return 0;
}

static int parse_size(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	if (*end || v < 4096 || v > (1ULL << 30) || (v & (v - 1)))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct args *a = state->input;
	double sec;

	switch (key) {
	case 'o':
		a->output = arg;
		break;
	case 'q':
		a->quiet = true;
		break;
	case 'v':
		a->verbose = true;
		break;
	case 'd':
		if (parse_seconds(arg, &a->duration) || a->duration == 0)
			argp_error(state, "--duration: '%s' is not a positive number of seconds", arg);
		break;
	case 'b':
		if (!strcmp(arg, "auto"))
			a->backend = ST_BACKEND_AUTO;
		else if (!strcmp(arg, "fentry"))
			a->backend = ST_BACKEND_FENTRY;
		else if (!strcmp(arg, "kprobe"))
			a->backend = ST_BACKEND_KPROBE;
		else if (!strcmp(arg, "tracepoint"))
			a->backend = ST_BACKEND_TRACEPOINT;
		else
			argp_error(state, "--backend: '%s' is not one of auto, fentry, kprobe, "
				   "tracepoint", arg);
		break;
	case OPT_RINGBUF:
		if (parse_size(arg, &a->ringbuf))
			argp_error(state, "--ringbuf-size: '%s' is not a power of two between 4K "
				   "and 1024M", arg);
		break;
	case OPT_STUCK:
		if (parse_seconds(arg, &sec) || sec == 0)
			argp_error(state, "--stuck-after: '%s' is not a positive number of seconds",
				   arg);
		a->stuck_ns = (uint64_t)(sec * 1e9);
		break;
	case OPT_WINDOW:
		if (parse_seconds(arg, &sec) || sec > 60000)
			argp_error(state, "--window: '%s' is not a number of milliseconds "
				   "(0..60000)", arg);
		a->window_ns = (uint64_t)(sec * 1e6);
		break;
	case OPT_NO_BANNER:
		a->no_banner = true;
		break;
	case ARGP_KEY_ARG:
		/* Everything from the first non-option on is the command. */
		a->command = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* ---- run state ---------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t child_exited;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void on_sigchld(int sig)
{
	(void)sig;
	child_exited = 1;
}

struct run {
	struct args *a;
	struct corr *corr;
	struct text_out *text;
	FILE *out;		/* JSONL log, or NULL */
	int out_errno;		/* first write error */
	char buf[4096];
	uint64_t violations;
};

static void write_line(struct run *r, const char *line, int len)
{
	if (!r->out || r->out_errno || len <= 0)
		return;
	if (fwrite(line, 1, (size_t)len, r->out) != (size_t)len)
		r->out_errno = errno ? errno : EIO;
}

static void on_event(const struct st_rec *rec, void *ctx)
{
	struct run *r = ctx;

	if (!r->a->quiet)
		text_out_event(r->text, rec);
	else if (rec->has & ST_HAS_NAME)
		text_out_learn_name(r->text, rec->shrinker, rec->name);
	write_line(r, r->buf, st_jsonl_format_rec(r->buf, sizeof(r->buf), rec));
}

static void on_violation(const struct st_violation *v, void *ctx)
{
	struct run *r = ctx;

	r->violations++;
	if (!r->a->quiet) {
		text_out_violation(r->text, v);
		fflush(stdout);
	}
	/* Also on stderr, so that a redirected stdout does not hide it. */
	fprintf(stderr, "shrinktrace: VIOLATION %s on %s (0x%" PRIx64 ")%s: %s\n",
		st_vkind_name(v->kind), v->name[0] ? v->name : "?", v->shrinker,
		v->certain ? "" : " [uncertain: events were lost]", v->detail);
	write_line(r, r->buf, st_jsonl_format_violation(r->buf, sizeof(r->buf), v));
}

/* An event older than what the reorder window already released: it is still
 * correlated, counted in the summary, and the first few are reported. */
static void on_late(const struct st_rec *rec, uint64_t released_ts, void *ctx)
{
	static unsigned reported;

	(void)ctx;
	if (reported++ < 5)
		fprintf(stderr, "shrinktrace: %s at ts %" PRIu64 " arrived %.3f ms behind events "
			"already released; it is still correlated (raise --window)\n",
			st_type_name(rec->type), rec->ts, (double)(released_ts - rec->ts) / 1e6);
}

/* Events from the ring buffer go into the correlator's reorder window. */
static void on_kernel_event(const struct st_rec *rec, void *ctx)
{
	struct run *r = ctx;

	if (corr_push(r->corr, rec))
		fprintf(stderr, "shrinktrace: out of memory in the correlator\n");
}

/* ---- preflight ------------------------------------------------------------ */

static bool has_caps_for_bpf(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	uint64_t eff;

	if (geteuid() == 0)
		return true;
	if (syscall(SYS_capget, &hdr, data))
		return false;
	eff = ((uint64_t)data[1].effective << 32) | data[0].effective;
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
	return (eff & (1ULL << CAP_BPF)) && (eff & (1ULL << CAP_PERFMON));
}

/* Open the log for writing: never through a symlink at the final path, never
 * truncating something that is not a regular file, mode 0600 when created. */
static FILE *open_output(const char *path)
{
	struct stat st;
	FILE *f;
	/* O_NONBLOCK: opening a FIFO must not wait for a reader. */
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		      0600);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;		/* reported as "not a regular file" */
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (ftruncate(fd, 0)) {
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	return f;
}

static pid_t start_command(char **argv, int *err_pipe_rd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		sigset_t none;
		int e;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		close(p[0]);
		execvp(argv[0], argv);
		e = errno;
		if (write(p[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(p[1]);
	*err_pipe_rd = p[0];
	return pid;
}

/* End the command after the trace stopped: send sig, give it 2 s, then
 * SIGKILL.  Returns true with *status set once it is reaped. */
static bool reap_command(pid_t child, int sig, int *status)
{
	kill(child, sig);
	for (int i = 0; i < 300; i++) {
		pid_t w = waitpid(child, status, WNOHANG);

		if (w == child)
			return true;
		if (w < 0 && errno != EINTR)
			return false;
		if (i == 200) {
			fprintf(stderr, "shrinktrace: %d did not exit 2 s after signal %d: killing it\n",
				(int)child, sig);
			kill(child, SIGKILL);
		}
		usleep(10000);
	}
	return false;
}

static void print_summary(struct run *r, const struct corr_stats *cs, double secs,
			  uint64_t kernel_lost, const char *cmd, int cmd_status)
{
	static const enum st_type order[] = {
		ST_SHRINKER_ALLOC, ST_SHRINKER_REGISTER, ST_WALK_BEGIN, ST_WALK_END,
		ST_SHRINK_BEGIN, ST_SHRINK_END, ST_FREE_BEGIN, ST_FREE_END, ST_RCU_FREE, ST_LOST,
	};
	uint64_t nviol = 0;

	fprintf(stderr, "\nshrinktrace: summary: %.1f s traced, %" PRIu64 " events\n", secs,
		cs->events);
	fprintf(stderr, "  events:");
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		fprintf(stderr, " %s=%" PRIu64, st_type_name(order[i]), cs->by_type[order[i]]);
	fprintf(stderr, "\n  lost: %" PRIu64 " events dropped by the kernel side (ring buffer "
		"full)%s; %" PRIu64 " arrived after the reorder window\n", kernel_lost,
		kernel_lost ? ": raise --ringbuf-size" : "", cs->late);
	fprintf(stderr, "  shrinkers seen: %" PRIu64 "\n", cs->shrinkers_seen);
	fprintf(stderr, "  violations:");
	for (int k = 0; k < ST_V_NKINDS; k++) {
		fprintf(stderr, " %s=%" PRIu64, st_vkind_name((enum st_vkind)k), cs->violations[k]);
		nviol += cs->violations[k];
	}
	fprintf(stderr, "%s\n", nviol ? "" : " (none)");
	corr_report(r->corr, stderr);
	if (cmd) {
		if (cmd_status == -1)
			fprintf(stderr, "  command: %s could not be reaped\n", cmd);
		else if (WIFEXITED(cmd_status))
			fprintf(stderr, "  command: %s exited with status %d\n", cmd,
				WEXITSTATUS(cmd_status));
		else if (WIFSIGNALED(cmd_status))
			fprintf(stderr, "  command: %s killed by signal %d\n", cmd,
				WTERMSIG(cmd_status));
	}
	if (r->a->output)
		fprintf(stderr, "  log: %s\n", r->a->output);
}

static int trace_main(struct args *a)
{
	struct run r = { .a = a };
	struct corr_opts co = {
		.stuck_after_ns = a->stuck_ns ? a->stuck_ns : CORR_DEFAULT_STUCK_NS,
		.reorder_window_ns = a->window_ns != UINT64_MAX ? a->window_ns
								 : CORR_DEFAULT_WINDOW_NS,
	};
	struct corr_cbs cbs = { .on_event = on_event, .on_violation = on_violation,
				 .on_late = on_late, .ctx = &r };
	struct loader_opts lo = { .backend = a->backend, .ringbuf_bytes = a->ringbuf,
				  .verbose = a->verbose };
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction sc = { .sa_handler = on_sigchld, .sa_flags = SA_NOCLDSTOP };
	struct loader *l = NULL;
	struct ksyms *ks = NULL;
	struct corr_stats cs;
	struct utsname un;
	char err[512];
	uint64_t start, deadline = 0, lost, now;
	pid_t child = -1;
	int cmd_status = 0, err_pipe = -1, rc = EXIT_CLEAN, n, list_offset;

	if (!has_caps_for_bpf()) {
		fprintf(stderr, "shrinktrace: not permitted to load BPF programs: run as root "
			"(sudo shrinktrace ...) or grant CAP_BPF and CAP_PERFMON\n");
		return EXIT_ERROR;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "shrinktrace: this kernel has no BTF (/sys/kernel/btf/vmlinux: %s): "
			"use a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian's are)\n",
			strerror(errno));
		return EXIT_ERROR;
	}
	if (a->output) {
		r.out = open_output(a->output);
		if (!r.out) {
			int e = errno;

			fprintf(stderr, "shrinktrace: cannot write the log %s: %s: choose a writable "
				"path for -o (a regular file, not a symlink)\n", a->output,
				e == ELOOP ? "it is a symbolic link" :
				e == EINVAL || e == ENXIO ? "it is not a regular file" : strerror(e));
			return EXIT_ERROR;
		}
	}
	ks = ksyms_load();
	if (!ks || ksyms_count(ks) == 0) {
		fprintf(stderr, "shrinktrace: cannot read kernel symbols from /proc/kallsyms%s: "
			"run as root with kernel.kptr_restrict <= 1\n",
			ks ? " (all addresses are zero)" : "");
		rc = EXIT_ERROR;
		goto out;
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	r.corr = corr_new(&co, &cbs);
	start = loader_now_ns();
	r.text = text_out_new(stdout, start);
	if (!r.corr || !r.text) {
		fprintf(stderr, "shrinktrace: out of memory\n");
		rc = EXIT_ERROR;
		goto out;
	}
	l = loader_open(&lo, ks, on_kernel_event, &r, err, sizeof(err));
	if (!l) {
		fprintf(stderr, "shrinktrace: %s\n", err);
		rc = EXIT_ERROR;
		goto out;
	}
	if (!a->no_banner)
		loader_banner(l, stderr);
	uname(&un);
	list_offset = loader_shrinker_list_offset();
	if (list_offset > 0)
		corr_set_list_offset(r.corr, (unsigned)list_offset);
	write_line(&r, r.buf, st_jsonl_format_header(r.buf, sizeof(r.buf), un.release,
						     loader_backend_summary(l), start, list_offset));
	if (!a->quiet)
		text_out_header(r.text);
	if (a->duration > 0)
		deadline = start + (uint64_t)(a->duration * 1e9);

	if (a->command) {
		sigaction(SIGCHLD, &sc, NULL);
		child = start_command(a->command, &err_pipe);
		if (child < 0) {
			fprintf(stderr, "shrinktrace: cannot start %s: %s\n", a->command[0],
				strerror(errno));
			rc = EXIT_ERROR;
			goto out;
		}
		fprintf(stderr, "shrinktrace: tracing while %s (pid %d) runs; Ctrl-C to stop\n",
			a->command[0], (int)child);
	} else if (!a->no_banner) {
		fprintf(stderr, "shrinktrace: tracing%s; Ctrl-C to stop\n",
			a->duration > 0 ? " for the given duration" : "");
	}

	while (!stop_signal) {
		n = loader_poll(l, 100);
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "shrinktrace: reading the ring buffer failed: %s\n",
				strerror(-n));
			rc = EXIT_ERROR;
			break;
		}
		now = loader_now_ns();
		corr_advance(r.corr, now);
		/* Whoever read stdout is gone (| head): stop as on Ctrl-C. */
		if (!a->quiet && (fflush(stdout) || ferror(stdout)) && errno == EPIPE)
			break;
		/* The log is readable while the trace runs: at most one poll late. */
		if (r.out && !r.out_errno && fflush(r.out))
			r.out_errno = errno ? errno : EIO;
		if (r.out_errno)
			break;
		if (deadline && now >= deadline)
			break;
		if (child > 0 && child_exited) {
			pid_t w = waitpid(child, &cmd_status, WNOHANG);

			if (w == child) {
				int e = 0;

				if (read(err_pipe, &e, sizeof(e)) == (ssize_t)sizeof(e) && e) {
					fprintf(stderr, "shrinktrace: cannot run %s: %s\n",
						a->command[0], strerror(e));
					rc = EXIT_ERROR;
				}
				child = 0;
				break;
			}
		}
	}
	if (child > 0 && !reap_command(child, stop_signal ? (int)stop_signal : SIGTERM,
					&cmd_status))
		cmd_status = -1;	/* not reaped: reported as such */
	/* Detach first, then read what is left and flush the log completely. */
	loader_detach(l);
	loader_drain(l);
	lost = loader_take_pending_lost(l);
	if (lost) {
		struct st_rec lr = { .type = ST_LOST, .has = ST_HAS_COUNT, .ts = loader_now_ns(),
				     .count = lost, .pid = 0 };

		snprintf(lr.comm, sizeof(lr.comm), "shrinktrace");
		corr_push(r.corr, &lr);
	}
	corr_finish(r.corr);
	fflush(stdout);		/* event lines before the summary on a shared terminal */
	corr_get_stats(r.corr, &cs);
	print_summary(&r, &cs, (double)(loader_now_ns() - start) / 1e9, loader_lost_total(l),
		      a->command ? a->command[0] : NULL, cmd_status);
	if (rc == EXIT_CLEAN && r.violations)
		rc = EXIT_VIOLATIONS;
out:
	loader_close(l);
	if (r.out) {
		if (fflush(r.out) && !r.out_errno)
			r.out_errno = errno;
		if (fsync(fileno(r.out)) && errno != EINVAL && !r.out_errno)
			r.out_errno = errno;
		if (fclose(r.out) && !r.out_errno)
			r.out_errno = errno;
		if (r.out_errno) {
			fprintf(stderr, "shrinktrace: writing the log %s failed: %s: free space or "
				"choose another -o path; the lines written before are complete\n",
				a->output, strerror(r.out_errno));
			rc = EXIT_ERROR;
		}
	}
	fflush(stdout);
	if (err_pipe >= 0)
		close(err_pipe);
	text_out_free(r.text);
	corr_free(r.corr);
	ksyms_free(ks);
	return rc;
}

int main(int argc, char **argv)
{
	struct argp argp = { options, parse_opt, "[-- COMMAND [ARG...]]", doc, NULL, NULL, NULL };
	struct args a = { .window_ns = UINT64_MAX };

	if (argc > 1 && !strcmp(argv[1], "replay"))
		return replay_main(argc - 1, argv + 1);
	argp_err_exit_status = EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &a))
		return EXIT_USAGE;
	return trace_main(&a);
}
