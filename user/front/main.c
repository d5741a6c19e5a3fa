// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * front/main.c - `shrinktrace`: live tracing of the kernel's slab shrinkers, and
 * `shrinktrace replay` (user/front/replay.c) for saved logs.
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
#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>

#include "front/cli.h"
#include "engine/correlate.h"
#include "log/event.h"
#include "sinks/export.h"
#include "log/writer.h"
#include "kernel/ksyms.h"
#include "kernel/loader.h"
#include "log/outfile.h"
#include "sinks/text.h"
#include "log/redact.h"
#include "front/replay.h"
#include "engine/stats.h"
#include "sinks/top.h"

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
	"  shrinktrace redact [--all] [-o OUT] FILE   (a log with pseudonyms for addresses)\n"
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
	OPT_TOP,
	OPT_SORT,
	OPT_COMM,
	OPT_SHRINKER,
	OPT_MIN_LATENCY,
	OPT_MEMCG,
	OPT_STATS_ONLY,
	OPT_MODE,
	OPT_REDACT,
};

static const struct argp_option options[] = {
	{ "output", 'o', "FILE", 0, "Write the event log to FILE (JSON Lines, format "
	  "shrinktrace/1, header first; mode 0600, never through a symlink)", 0 },
	{ "mode", OPT_MODE, "OCTAL", 0, "Permissions of the -o FILE (default 0600). The file "
	  "gets exactly this mode, an existing file too (it is reset before it is truncated)", 0 },
	{ "redact", OPT_REDACT, "WHAT", OPTION_ARG_OPTIONAL, "Replace kernel addresses by "
	  "per-run pseudonyms everywhere (log, event lines, violations, summary), for logs to "
	  "share: --redact or --redact=addrs for pointers only, --redact=all also drops task "
	  "names and replaces task ids. Verdicts are the same as without", 0 },
	{ "format", 'f', "FMT", 0, "Format of the -o FILE: jsonl (default, the shrinktrace/1 "
	  "log), csv (a header row, then one row per event and per violation) or perfetto "
	  "(Chrome trace-event JSON to open in ui.perfetto.dev)", 0 },
	{ "quiet", 'q', NULL, 0, "No per-event lines on stdout (violations and the summary "
	  "are still shown)", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (decimal allowed)", 0 },
	{ "backend", 'b', "MODE", 0, "auto (default), fentry, kprobe or tracepoint: with a "
	  "fixed MODE only that mechanism is tried for every hook", 0 },
	{ "ringbuf-size", OPT_RINGBUF, "BYTES", 0, "Ring buffer size, a power of two >= 4096; "
	  "K, M and G suffixes (default 8M). Events that do not fit are counted and logged as "
	  "`lost` records", 0 },
	{ "stuck-after", OPT_STUCK, "SECONDS", 0, "Report stuck_free when shrinker_free() has "
	  "not returned after SECONDS of trace time (default 10)", 0 },
	{ "window", OPT_WINDOW, "MS", 0, "Hold events MS milliseconds to put events "
	  "from different CPUs in timestamp order (default 50)", 0 },
	{ "no-banner", OPT_NO_BANNER, NULL, 0, "Do not print the hook banner", 0 },
	{ "top", OPT_TOP, "INTERVAL", OPTION_ARG_OPTIONAL, "Instead of event lines, show the "
	  "table of shrinkers (calls, freed, time, latency) every INTERVAL seconds (default 1, "
	  "decimals allowed, 0.1 to 86400; `--top 0.5` or `--top=0.5`): redrawn in place on a "
	  "terminal, else one timestamped table per interval. Violations go to stderr (on a "
	  "terminal: under the table, and again when it ends)", 0 },
	{ "sort", OPT_SORT, "KEY", 0, "Sort the table of shrinkers (--top and the summary) by "
	  "KEY: time (default), calls, freed, max, p99, zero (calls that freed nothing), name", 0 },
	{ NULL, 0, NULL, 0, "Filters (they select walks and do_shrink_slab() calls for output and "
	  "statistics; shrinker lifecycle events, and any call on a shrinker that is being "
	  "freed, are always traced, so filters never hide a violation):", 1 },
	{ "pid", 'p', "PID", 0, "Only walks and calls made by process PID (all its threads)", 1 },
	{ "comm", OPT_COMM, "NAME", 0, "Only walks and calls made by tasks named NAME (exact, at "
	  "most 15 bytes, as in /proc/PID/comm)", 1 },
	{ "memcg", OPT_MEMCG, "ID|PATH", 0, "Only walks and calls for one memory cgroup: its "
	  "cgroup id (the inode number of its directory, `stat -c %i`) or that directory, "
	  "e.g. /sys/fs/cgroup/system.slice (v1: /sys/fs/cgroup/memory/...)", 1 },
	{ "shrinker", OPT_SHRINKER, "GLOB", 0, "Only calls of shrinkers whose name matches GLOB "
	  "(fnmatch(3), e.g. 'sb-*'); applied in user space, to output and statistics", 1 },
	{ "min-latency", OPT_MIN_LATENCY, "USEC", 0, "Only do_shrink_slab() calls that took at "
	  "least USEC microseconds (decimal allowed); decided in the kernel at the call's return",
	  1 },
	{ "stats-only", OPT_STATS_ONLY, NULL, 0, "Aggregate do_shrink_slab() calls and walks in "
	  "BPF maps instead of sending one event per call: for busy machines. The log and the "
	  "live lines keep lifecycle events, the first call of each shrinker (to name it) and "
	  "calls that matter to a violation", 1 },
	{ "verbose", 'v', NULL, 0, "Show libbpf's messages (verifier logs, attach errors)", 0 },
	{ 0 }
};

struct args {
	const char *output;
	enum st_export_fmt format;	/* of -o */
	bool quiet, verbose, no_banner;
	double duration;	/* seconds, 0: until Ctrl-C / command exit */
	enum st_backend backend;
	uint32_t ringbuf;
	uint64_t stuck_ns, window_ns;
	char **command;		/* NULL-terminated, or NULL */
	double top;		/* --top interval, seconds; 0: no --top */
	bool top_bare;		/* --top without =INTERVAL: the next argument may be it */
	enum stats_sort sort;	/* --sort */
	uint32_t pid;		/* -p, 0: all */
	char comm[16];		/* --comm, "": all */
	uint64_t cgroup_id;	/* --memcg, 0: all */
	const char *shrinker_glob;	/* --shrinker, NULL: all */
	uint64_t min_latency_ns;
	bool stats_only;
	mode_t mode;		/* --mode of -o FILE */
	bool mode_set;
	enum st_redact_mode redact;	/* --redact */
};

/* --memcg ID|PATH: a number is a cgroup id; anything else must be a
 * directory of the cgroup v2 hierarchy, whose inode number is its id. */
static int parse_memcg(const char *s, uint64_t *out, char *why, size_t len)
{
	struct statfs sfs;
	struct stat st;
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (!errno && end != s && !*end && *out > 0)
		return 0;
	if (stat(s, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(why, len, "'%s' is neither a cgroup id nor a cgroup directory", s);
		return -1;
	}
	/* cgroup v2, or the v1 memory controller's hierarchy */
	if (statfs(s, &sfs) || (sfs.f_type != CGROUP2_SUPER_MAGIC &&
				sfs.f_type != CGROUP_SUPER_MAGIC)) {
		snprintf(why, len, "'%s' is not in a cgroup file system (/sys/fs/cgroup, or "
			 "/sys/fs/cgroup/memory with cgroup v1)", s);
		return -1;
	}
	*out = st.st_ino;
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
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	if (*end || v < 4096 || v > (1ULL << 30) || (v & (v - 1)))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct args *a = state->input;
	double sec;
	bool top_bare = a->top_bare;

	a->top_bare = false;
	switch (key) {
	case 'o':
		a->output = arg;
		break;
	case 'f':
		if (st_export_fmt_parse(arg) < 0)
			argp_error(state, "--format: '%s' is not one of jsonl, csv, perfetto", arg);
		a->format = (enum st_export_fmt)st_export_fmt_parse(arg);
		break;
	case 'q':
		a->quiet = true;
		break;
	case 'v':
		a->verbose = true;
		break;
	case 'd':
		if (cli_parse_number(arg, 0, 1e9, &a->duration) || a->duration == 0)
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
				   "and 1G", arg);
		break;
	case OPT_STUCK:
		if (cli_parse_number(arg, 0, 1e9, &sec) || sec == 0)
			argp_error(state, "--stuck-after: '%s' is not a positive number of seconds",
				   arg);
		a->stuck_ns = (uint64_t)(sec * 1e9);
		break;
	case OPT_WINDOW:
		if (cli_parse_number(arg, 0, 60000, &sec))
			argp_error(state, "--window: '%s' is not a number of milliseconds "
				   "(0..60000)", arg);
		a->window_ns = (uint64_t)(sec * 1e6);
		break;
	case OPT_NO_BANNER:
		a->no_banner = true;
		break;
	case OPT_TOP:
		a->top = TOP_DEFAULT_INTERVAL;
		a->top_bare = !arg;
		if (arg && top_parse_interval(arg, &a->top))
			argp_error(state, "--top: '%s' is not an interval in seconds (0.1 to 86400)",
				   arg);
		a->quiet = true;	/* the table replaces the event lines */
		break;
	case OPT_SORT:
		a->sort = cli_parse_sort(state, arg);
		break;
	case 'p': {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || v == 0 || v > INT32_MAX)
			argp_error(state, "--pid: '%s' is not a process id", arg);
		if (kill((pid_t)v, 0) && errno == ESRCH)
			argp_error(state, "--pid: no process %lu is running", v);
		a->pid = (uint32_t)v;
		break;
	}
	case OPT_COMM:
		if (!*arg || strlen(arg) >= sizeof(a->comm))
			argp_error(state, "--comm: '%s' must be 1 to 15 bytes (the kernel keeps "
				   "only 15 of a task's name)", arg);
		strcpy(a->comm, arg);
		break;
	case OPT_MEMCG: {
		char why[320];

		if (parse_memcg(arg, &a->cgroup_id, why, sizeof(why)))
			argp_error(state, "--memcg: %s", why);
		break;
	}
	case OPT_SHRINKER:
		a->shrinker_glob = arg;
		break;
	case OPT_MIN_LATENCY:
		if (cli_parse_number(arg, 0, 1e9, &sec))
			argp_error(state, "--min-latency: '%s' is not a number of microseconds", arg);
		a->min_latency_ns = (uint64_t)(sec * 1e3 + 0.5);
		break;
	case OPT_STATS_ONLY:
		a->stats_only = true;
		break;
	case OPT_REDACT:
		a->redact = (enum st_redact_mode)cli_parse_redact(state, arg);
		break;
	case OPT_MODE:
		a->mode = cli_parse_mode(state, arg);
		a->mode_set = true;
		break;
	case ARGP_KEY_ARG:
		/* `--top 0.5`: a number right after a bare --top is its interval */
		if (top_bare && state->next >= 2 && !strcmp(state->argv[state->next - 2], "--top") &&
		    strspn(arg, "0123456789.") == strlen(arg)) {
			if (top_parse_interval(arg, &a->top))
				argp_error(state, "--top: '%s' is not an interval in seconds (0.1 to "
					   "86400)", arg);
			break;
		}
		/* `--redact all`: not a command named "all" */
		if (state->next >= 2 && !strcmp(state->argv[state->next - 2], "--redact") &&
		    (!strcmp(arg, "all") || !strcmp(arg, "addrs"))) {
			a->redact = (enum st_redact_mode)st_redact_mode_parse(arg);
			break;
		}
		/* A command comes after "--"; a bare word is a typo of an option
		 * value or of a subcommand, not something to exec as root. */
		if (state->next < 2 || strcmp(state->argv[state->next - 2], "--"))
			argp_error(state, "'%s' is not an option: subcommands are replay and redact, "
				   "and a command to trace goes after -- (shrinktrace [OPTION...] -- "
				   "COMMAND)", arg);
		/* Everything after "--" is the command. */
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
	FILE *out;		/* -o FILE, or NULL */
	struct st_export *exp;	/* --format csv/perfetto writer on out, or NULL: JSONL */
	int out_errno;		/* first write error */
	char buf[4096];
	uint64_t violations;
	struct stats *stats;	/* per-shrinker statistics, from on_call/on_walk */
	bool stats_oom;
	struct top *top;	/* --top, or NULL */
	struct loader *l;	/* for stats-only reads of the kernel's maps */
	bool kstats_err;	/* reported once */
	struct st_redact red;	/* --redact: every event is redacted before the correlator */
	unsigned red_list_offset;	/* the kernel's list_offset, for next/prev */
};

static void write_line(struct run *r, const char *line, int len)
{
	if (!r->out || r->out_errno || len <= 0)
		return;
	if (fwrite(line, 1, (size_t)len, r->out) != (size_t)len)
		r->out_errno = errno ? errno : EIO;
}

static void set_kernel_call(struct run *r, uint64_t addr, const struct st_call_stat *sum);
static bool event_selected(const struct run *r, const struct st_rec *rec);

static void on_event(const struct st_rec *rec, void *ctx)
{
	struct run *r = ctx;

	if (rec->type == ST_RCU_FREE && r->a->stats_only && r->l) {
		struct st_call_stat sum;

		/* The generation ends: its final totals, and a fresh start for
		 * the next one at this address. */
		if (!loader_take_call_stats(r->l, st_redact_unaddr(&r->red, rec->shrinker), &sum))
			set_kernel_call(r, rec->shrinker, &sum);
	}
	if (!event_selected(r, rec)) {
		if (rec->has & ST_HAS_NAME)
			text_out_learn_name(r->text, rec->shrinker, rec->name);
		return;
	}
	if (!r->a->quiet)
		text_out_event(r->text, rec);
	else if (rec->has & ST_HAS_NAME)
		text_out_learn_name(r->text, rec->shrinker, rec->name);
	if (r->exp)
		st_export_event(r->exp, rec);
	else
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
	/* Also on stderr, so that a redirected stdout does not hide it; under a
	 * --top drawn on the terminal, below its table and after it ends. */
	{
		char line[TOP_NOTE_LEN];

		snprintf(line, sizeof(line), "shrinktrace: VIOLATION %s on %s (0x%" PRIx64 ")%s: %s",
			 st_vkind_name(v->kind), v->name[0] ? v->name : "?", v->shrinker,
			 v->certain ? "" : " [uncertain: events were lost]", v->detail);
		if (top_on_tty(r->top))
			top_note(r->top, line);
		else
			fprintf(stderr, "%s\n", line);
	}
	if (r->exp)
		st_export_violation(r->exp, v);
	else
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

/* --shrinker GLOB: is the shrinker at addr (named name, "" if unknown yet)
 * selected?  An unknown name is looked up in the correlator. */
static bool shrinker_selected(const struct run *r, uint64_t addr, const char *name)
{
	char buf[ST_REC_NAME_LEN];
	uint64_t serial;

	if (!r->a->shrinker_glob)
		return true;
	if (!name[0] && !corr_lookup(r->corr, addr, &serial, buf, sizeof(buf)))
		name = buf;
	return fnmatch(r->a->shrinker_glob, name, 0) == 0;
}

/* Output and per-event statistics skip the calls --shrinker leaves out; a
 * shrink_begin written late (deferred: it mattered to a violation) stays. */
static bool event_selected(const struct run *r, const struct st_rec *rec)
{
	if (rec->type != ST_SHRINK_BEGIN && rec->type != ST_SHRINK_END)
		return true;
	return rec->deferred ||
	       shrinker_selected(r, rec->shrinker, rec->has & ST_HAS_NAME ? rec->name : "");
}

static void on_call(const struct corr_call *ci, void *ctx)
{
	struct run *r = ctx;

	/* stats-only: the kernel's maps are the source (merge_kernel_stats) */
	if (r->a->stats_only || !shrinker_selected(r, ci->shrinker, ci->name))
		return;
	if (stats_add_call(r->stats, ci))
		r->stats_oom = true;
}

static void on_walk(const struct corr_walk *wi, void *ctx)
{
	struct run *r = ctx;

	if (r->a->stats_only)
		return;
	if (stats_add_walk(r->stats, wi))
		r->stats_oom = true;
}

/* ---- stats-only: the kernel's aggregates ------------------------------- */

static void set_kernel_call(struct run *r, uint64_t addr, const struct st_call_stat *sum)
{
	char name[ST_REC_NAME_LEN];
	uint64_t serial;

	/* Not known yet: its first call (written in full) is still in the
	 * reorder window; the next merge gets it. */
	if (corr_lookup(r->corr, addr, &serial, name, sizeof(name)))
		return;
	if (!shrinker_selected(r, addr, name))
		return;
	if (stats_set_kernel_call(r->stats, serial, addr, name, sum))
		r->stats_oom = true;
}

static void kernel_call_cb(uint64_t addr, const struct st_call_stat *sum, void *ctx)
{
	struct run *r = ctx;

	set_kernel_call(r, st_redact_addr(&r->red, addr), sum);
}

static void kernel_task_cb(uint32_t pid, const struct st_task_stat *sum, void *ctx)
{
	struct run *r = ctx;
	struct st_task_stat t = *sum;

	if (r->red.mode == ST_REDACT_ALL) {
		memset(t.comm, 0, sizeof(t.comm));
		pid = (uint32_t)st_redact_pid(&r->red, (int)pid);
	}
	if (stats_set_kernel_task(r->stats, pid, &t))
		r->stats_oom = true;
}

/* Copy the kernel's call, walk and task aggregates into r->stats. */
static void merge_kernel_stats(struct run *r, struct loader *l)
{
	struct st_walk_stat w;

	if (loader_read_call_stats(l, kernel_call_cb, r) ||
	    loader_read_walk_stats(l, &w) ||
	    loader_read_task_stats(l, kernel_task_cb, r)) {
		if (!r->kstats_err)
			fprintf(stderr, "shrinktrace: reading the kernel's statistics maps failed: "
				"%s; the numbers shown may be stale\n", strerror(errno));
		r->kstats_err = true;
		return;
	}
	stats_set_kernel_walk(r->stats, &w);
}

/* Events from the ring buffer go into the correlator's reorder window. */
static void on_kernel_event(const struct st_rec *rec, void *ctx)
{
	struct run *r = ctx;
	struct st_rec red;

	if (r->red.mode != ST_REDACT_NONE) {
		red = *rec;
		st_redact_rec(&r->red, &red, r->red_list_offset);
		rec = &red;
	}
	if (corr_push(r->corr, rec))
		fprintf(stderr, "shrinktrace: out of memory in the correlator\n");
}

/* A cap of the correlator was reached: once per cap, on stderr. */
static void on_cap(enum corr_cap cap, uint64_t limit, void *ctx)
{
	char buf[256];

	(void)ctx;
	fprintf(stderr, "shrinktrace: warning: %s (counted in the summary)\n",
		corr_cap_warning(cap, limit, buf, sizeof(buf)));
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
	if (r->l)
		loader_print_lifecycle(r->l, stderr);
	fprintf(stderr, "  shrinkers seen: %" PRIu64 "\n", cs->shrinkers_seen);
	fprintf(stderr, "  violations:");
	for (int k = 0; k < ST_V_NKINDS; k++) {
		fprintf(stderr, " %s=%" PRIu64, st_vkind_name((enum st_vkind)k), cs->violations[k]);
		nviol += cs->violations[k];
	}
	fprintf(stderr, "%s\n", nviol ? "" : " (none)");
	for (int k = 0; k < CORR_NCAPS; k++) {
		if (cs->cap_hits[k]) {
			fputs("  ", stderr);
			corr_print_caps(r->corr, stderr);
			break;
		}
	}
	corr_report(r->corr, stderr);
	if (r->stats) {
		struct stats_print_opts so = {
			.sort = r->a->sort, .span_ns = cs->last_ts - cs->first_ts,
			.show_lost = true, .lost = cs->lost,
		};

		fputc('\n', stderr);
		stats_print_report(r->stats, stderr, &so);
		if (r->stats_oom)
			fprintf(stderr, "shrinktrace: out of memory: the statistics are incomplete\n");
		fputc('\n', stderr);
	}
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
				 .on_late = on_late, .ctx = &r,
				 .on_call = on_call, .on_walk = on_walk, .on_cap = on_cap };
	struct loader_opts lo = { .backend = a->backend, .ringbuf_bytes = a->ringbuf,
				  .verbose = a->verbose, .filter_tgid = a->pid,
				  .filter_cgroup_id = a->cgroup_id,
				  .min_latency_ns = a->min_latency_ns, .stats_only = a->stats_only };
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction sc = { .sa_handler = on_sigchld, .sa_flags = SA_NOCLDSTOP };
	struct loader *l = NULL;
	struct ksyms *ks = NULL;
	struct corr_stats cs;
	struct utsname un;
	char err[512];
	uint64_t start, attached = 0, deadline = 0, lost, now;
	pid_t child = -1;
	int cmd_status = 0, err_pipe = -1, rc = EXIT_CLEAN, n, list_offset;

	/* a debugging and testing knob: small caps of the correlator (README) */
	if (corr_parse_caps(getenv("SHRINKTRACE_CAPS"), &co, err, sizeof(err))) {
		fprintf(stderr, "shrinktrace: SHRINKTRACE_CAPS: %s\n", err);
		return EXIT_USAGE;
	}
	if (st_redact_init(&r.red, a->redact, NULL)) {
		fprintf(stderr, "shrinktrace: --redact: no random key from getrandom(): %s\n",
			strerror(errno));
		return EXIT_ERROR;
	}
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
		r.out = st_open_output_mode(a->output, a->mode_set ? a->mode : ST_OUTPUT_MODE);
		if (!r.out) {
			fprintf(stderr, "shrinktrace: cannot write the log %s: %s: choose a writable "
				"path for -o (a regular file, not a symlink)\n", a->output,
				st_output_strerror(errno));
			return EXIT_ERROR;
		}
		if (a->format != ST_EXPORT_JSONL && !(r.exp = st_export_new(a->format, r.out))) {
			fprintf(stderr, "shrinktrace: out of memory\n");
			fclose(r.out);
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
	r.stats = stats_new(NULL);
	if (a->top > 0)
		r.top = top_new(stdout, a->top, a->sort, start);
	if (!r.corr || !r.text || !r.stats || (a->top > 0 && !r.top)) {
		fprintf(stderr, "shrinktrace: out of memory\n");
		rc = EXIT_ERROR;
		goto out;
	}
	memcpy(lo.filter_comm, a->comm, sizeof(lo.filter_comm));
	l = loader_open(&lo, ks, on_kernel_event, &r, err, sizeof(err));
	if (!l) {
		fprintf(stderr, "shrinktrace: %s\n", err);
		rc = EXIT_ERROR;
		goto out;
	}
	r.l = l;
	attached = loader_now_ns();	/* the summary's time: tracing, not loading */
	if (!a->no_banner)
		loader_banner(l, stderr);
	uname(&un);
	list_offset = loader_shrinker_list_offset();
	if (list_offset > 0) {
		corr_set_list_offset(r.corr, (unsigned)list_offset);
		r.red_list_offset = (unsigned)list_offset;
	}
	if (r.exp) {
		st_export_header(r.exp, un.release, loader_backend_summary(l), start);
		st_export_begin(r.exp);
	} else
		write_line(&r, r.buf, st_jsonl_format_header_ext(r.buf, sizeof(r.buf), un.release,
						loader_backend_summary(l), start, list_offset,
						a->redact ? st_redact_mode_name(a->redact) : NULL));
	if (!a->quiet)
		text_out_header(r.text);
	if (a->duration > 0)
		deadline = attached + (uint64_t)(a->duration * 1e9);

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
		if (r.top && top_due(r.top, now)) {
			struct corr_stats ts;
			struct top_state tst;

			if (a->stats_only)
				merge_kernel_stats(&r, l);
			corr_get_stats(r.corr, &ts);
			tst = (struct top_state){
				.elapsed_s = (double)(now - start) / 1e9,
				.span_ns = ts.last_ts - ts.first_ts,
				.backend = loader_backend_summary(l),
				.events = ts.events, .lost = loader_lost_total(l), .late = ts.late,
				.violations = r.violations,
			};
			/* whoever read the table is gone: stop as on Ctrl-C */
			if (top_draw(r.top, r.stats, &tst) && errno == EPIPE)
				break;
		}
		/* Whoever read stdout is gone (| head): stop as on Ctrl-C. */
		if (!a->quiet && (fflush(stdout) || ferror(stdout)) && errno == EPIPE)
			break;
		/* The log is readable while the trace runs: at most one poll late. */
		if (r.out && !r.out_errno && st_output_flush(r.out))
			r.out_errno = errno ? errno : EIO;
		if (r.exp && !r.out_errno)
			r.out_errno = st_export_error(r.exp);
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
		on_kernel_event(&lr, &r);
	}
	corr_finish(r.corr);
	top_end(r.top);		/* back to the normal screen, violations noted there */
	if (a->stats_only)
		merge_kernel_stats(&r, l);
	fflush(stdout);		/* event lines before the summary on a shared terminal */
	corr_get_stats(r.corr, &cs);
	print_summary(&r, &cs, (double)(loader_now_ns() - attached) / 1e9, loader_lost_total(l),
		      a->command ? a->command[0] : NULL, cmd_status);
	if (rc == EXIT_CLEAN && r.violations)
		rc = EXIT_VIOLATIONS;
out:
	loader_close(l);
	if (r.exp) {
		/* close open slices, the trace's closing "]" */
		st_export_finish(r.exp);
		if (!r.out_errno)
			r.out_errno = st_export_error(r.exp);
		st_export_free(r.exp);
	}
	if (r.out) {
		if (fflush(r.out) && !r.out_errno)
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
	top_free(r.top);
	stats_free(r.stats);
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
	if (argc > 1 && !strcmp(argv[1], "redact"))
		return redact_main(argc - 1, argv + 1);
	argp_err_exit_status = EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &a))
		return EXIT_USAGE;
	if (a.mode_set && !a.output) {
		fprintf(stderr, "shrinktrace: --mode is the mode of the -o FILE: add -o FILE\n");
		return EXIT_USAGE;
	}
	if (a.format != ST_EXPORT_JSONL && !a.output) {
		fprintf(stderr, "shrinktrace: --format %s is the format of the -o FILE: add -o FILE\n",
			st_export_fmt_name(a.format));
		return EXIT_USAGE;
	}
	return trace_main(&a);
}
