// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * front/trace.c - `shrinktrace [OPTION...] [-- COMMAND]`: the live tracer.
 *
 * Options become a loader (kernel/loader.c: calibration, attach, ring
 * buffer), a list of sinks (the log, event lines, --top, the summary) and a
 * pipeline (front/pipeline.c) that every event from the ring buffer goes
 * through.  One loop polls the ring buffer, advances the correlator and ticks
 * the sinks until Ctrl-C, the duration, the command's exit or an output
 * error; then it detaches, drains, and finishes the run.
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
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/utsname.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/random.h>

#include "front/cli.h"
#include "front/command.h"
#include "front/pipeline.h"
#include "front/trace.h"
#include "lib/htab.h"
#include "kernel/cgroups.h"
#include "kernel/ksyms.h"
#include "kernel/loader.h"
#include "lib/util.h"
#include "log/outfile.h"
#include "log/redact.h"
#include "sinks/registry.h"
#include "sinks/top.h"

#define EXIT_CLEAN 0
#define EXIT_ERROR 1
#define EXIT_USAGE 2
#define EXIT_VIOLATIONS 3

/* The format of -o FILE without --format: the shrinktrace/1 log. */
#define TRACE_DEFAULT_FORMAT "jsonl"

/* How long a command may take to exit once asked to stop (it is traced
 * meanwhile), before SIGKILL. */
#define COMMAND_GRACE_NS (5ULL * 1000 * 1000 * 1000)

static const char doc[] =
	"shrinktrace -- trace the Linux kernel's slab shrinkers live and catch walks that "
	"reach a shrinker already queued for freeing.\n"
	"\n"
	"  shrinktrace [OPTION...] [-- COMMAND [ARG...]]\n"
	"  shrinktrace replay [OPTION...] FILE...     (see `shrinktrace replay --help`)\n"
	"  shrinktrace redact [--all] [-o OUT] FILE   (pseudonyms for addresses)\n"
	"\n"
	"Prints one line per event (shrinker_alloc, shrinker_register, walk_begin/_end, "
	"shrink_begin/_end, free_begin/_end, rcu_free, lost) and every violation the "
	"correlator finds (use_after_free, walk_onto_queued, free_while_running, stale_next, "
	"double_free, stuck_free). With -- COMMAND, the command is started once the probes "
	"are attached and tracing stops when it exits. `shrinktrace INTERVAL [COUNT]` is "
	"--top INTERVAL, stopping after COUNT tables. Needs root, or exactly CAP_BPF, "
	"CAP_PERFMON and CAP_SYSLOG (CAP_SYSLOG to read addresses from /proc/kallsyms; not "
	"needed when kernel.kptr_restrict=0 and kernel.perf_event_paranoid<=1), and a kernel "
	"with BTF (/sys/kernel/btf/vmlinux)."
	"\v"
	"Backends: for each hook the best mechanism that really loads and attaches is used: "
	"fentry/fexit, then kprobe/kretprobe, then tracepoints (vmscan:mm_shrink_slab_start/_end, "
	"kmem:kmalloc/kfree, with a census of shrinker_list). The banner on stderr says "
	"which mechanism serves each hook and which events this set cannot see.\n"
	"\n"
	"Exit status: 0 clean; 1 error (privileges, BTF, attach, output file, write error); "
	"2 usage error; 3 violations found. With -- COMMAND: 3 for a violation, else the "
	"command's own failure (its exit status, 128+N when killed by signal N; 127 not found, "
	"126 not executable: refused before anything is attached), else 0 (also when the "
	"tracer stopped it).\n"
	"\n"
	"More: man 8 shrinktrace; `shrinktrace help replay`, `shrinktrace help redact`.\n"
	"\n"
	"EXAMPLES:\n"
	"    shrinktrace                     # every event until Ctrl-C, then a summary\n"
	"    shrinktrace -q -d 60 -o t.jsonl # 60 s into a log; violations, summary\n"
	"    shrinktrace --top               # live table of shrinkers, every second\n"
	"    shrinktrace --comm kswapd0 --min-latency 500   # kswapd's calls >= 0.5 ms\n"
	"    shrinktrace --stats-only --top  # a busy machine: aggregated in BPF maps\n"
	"    shrinktrace -o t.jsonl -- sh -c 'echo 2 > /proc/sys/vm/drop_caches'\n"
	"                                    # trace while a command runs\n"
	"    shrinktrace replay t.jsonl      # the report again, from the saved log\n"
	"    shrinktrace redact -o s.jsonl t.jsonl  # a log without kernel addresses";

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
	OPT_CUMULATIVE,
	OPT_BY,
	OPT_STACKS,
	OPT_LAST
};
/* the sinks' own options (sinks/registry.h) have keys of their own */
_Static_assert(OPT_LAST < SINK_OPT_KEY_MIN, "the tracer's option keys reach the sinks'");

static const struct argp_option options[] = {
	{ "output", 'o', "FILE", 0, "Write the event log to FILE (JSON Lines, format "
	  "shrinktrace/1, header first; a new file, mode 0600, that replaces an earlier FILE "
	  "only once tracing has started; never through a symlink; refused while another "
	  "shrinktrace writes FILE)", 0 },
	{ "mode", OPT_MODE, "OCTAL", 0, "Permissions of the -o FILE (default 0600), exactly "
	  "(the umask does not apply)", 0 },
	{ "redact", OPT_REDACT, "WHAT", OPTION_ARG_OPTIONAL, "Replace kernel addresses by "
	  "per-run pseudonyms everywhere (log, event lines, violations, summary), for logs to "
	  "share: --redact or --redact=addrs for pointers only, --redact=all also drops task "
	  "names and replaces task ids. Verdicts are the same as without", 0 },
	{ "format", 'f', "FMT", 0, "Format of the -o FILE: jsonl (default, the shrinktrace/1 "
	  "log), csv (a header row, then one row per event and per violation) or perfetto "
	  "(Chrome trace-event JSON to open in ui.perfetto.dev)", 0 },
	{ "quiet", 'q', NULL, 0, "No per-event lines on stdout (violations and the summary "
	  "are still shown)", 0 },
	{ "wide", 'w', NULL, 0, "Wider event lines (about 170 columns): also the NUMA node, "
	  "the reclaim priority, what count_objects() returned, the deferred work before>after, "
	  "the time counting and scanning, and the shrinker's address of each call", 0 },
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
	{ "cumulative", OPT_CUMULATIVE, NULL, 0, "--top: totals since the start in every frame "
	  "(default: the numbers of the interval since the frame before)", 0 },
	{ "by", OPT_BY, "ROWS", 0, "--top: a row per shrinker (default) or per memcg (cgroup path; "
	  "its walks in the WALKS column; needs per-event mode, not --stats-only)", 0 },
	{ "sort", OPT_SORT, "KEY", 0, "Sort the table of shrinkers (--top and the summary) by "
	  "KEY: time (default), calls, freed, max, p99, zero (calls that freed nothing), name", 0 },
	{ "stats-only", OPT_STATS_ONLY, NULL, 0, "Aggregate do_shrink_slab() calls and walks in "
	  "BPF maps instead of sending one event per call: for busy machines. The log and the "
	  "live lines keep lifecycle events, the first call of each shrinker (to name it) and "
	  "calls that matter to a violation", 0 },
	{ "stacks", OPT_STACKS, NULL, 0, "Record the kernel stack of each walk's caller: a "
	  "stack_id in walk_begin, each distinct stack once in the log (`replay --format folded` "
	  "makes flame graphs of them; a walk hook is needed: fentry or kprobe)", 0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf's messages (verifier logs, attach errors)", 0 },
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
	/* -h as --help (argp only knows -? and --help) */
	{ NULL, 'h', NULL, 0, "Give this help list (as -?, --help)", -1 },
	{ 0 }
};

struct args {
	struct sink_setup *sinks;	/* the table of sinks: their own options */
	const char *output;
	const struct sink_desc *format;	/* of -o (a format row of the table) */
	bool quiet, verbose, no_banner, wide;
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
	bool stacks;		/* --stacks */
	bool cumulative;	/* --cumulative */
	bool by_memcg;		/* --by memcg */
	unsigned count;		/* INTERVAL COUNT: frames, then stop; 0: no limit */
	unsigned npos;		/* positional INTERVAL, COUNT given */
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

	/* digits only: strtoull() would read "-1" as 2^64-1 and skip spaces */
	if (s[0] >= '0' && s[0] <= '9') {
		errno = 0;
		*out = strtoull(s, &end, 10);
		if (!errno && !*end && *out > 0)
			return 0;
		snprintf(why, len, "'%s' is not a cgroup id (1 to 2^64-1) nor a cgroup directory", s);
		return -1;
	}
	if (s[0] == '-' || s[0] == '+') {
		snprintf(why, len, "'%s' is not a cgroup id (1 to 2^64-1) nor a cgroup directory", s);
		return -1;
	}
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
	bool top_bare = a->top_bare;

	a->top_bare = false;
	switch (key) {
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case 'o':
		/* replay and redact read "-" as standard output: here it would
		 * silently be a file named "-" in the current directory */
		if (!strcmp(arg, "-"))
			argp_error(state, "-o -: the tracer's log is a file, not standard output "
				   "(for a file named '-', write ./-)");
		if (!*arg)
			argp_error(state, "-o: an empty FILE name");
		a->output = arg;
		break;
	case ARGP_KEY_INIT:
		sink_setup_argp_init(a->sinks, state);
		return ARGP_ERR_UNKNOWN;
	case 'f': {
		char names[128];

		a->format = sink_format(arg, SINK_LIVE);
		if (!a->format)
			argp_error(state, "--format: '%s' is not one of %s", arg,
				   sink_format_names(SINK_LIVE, names, sizeof(names)));
		break;
	}
	case 'q':
		a->quiet = true;
		break;
	case 'w':
		a->wide = true;
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
		if (cli_parse_ns(arg, 1e9, 1e9, true, &a->stuck_ns))
			argp_error(state, "--stuck-after: '%s' is not a positive number of seconds "
				   "of at least 1 ns (the clock's resolution)", arg);
		break;
	case OPT_WINDOW:
		if (cli_parse_ns(arg, 1e6, 60000, false, &a->window_ns))
			argp_error(state, "--window: '%s' is not a number of milliseconds "
				   "(0, or 1 ns to 60000 ms)", arg);
		break;
	case OPT_NO_BANNER:
		a->no_banner = true;
		break;
	case OPT_TOP:
		a->top = TOP_DEFAULT_INTERVAL;
		a->top_bare = !arg;
		if (arg && cli_parse_number(arg, TOP_MIN_INTERVAL, TOP_MAX_INTERVAL, &a->top))
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
		/* "" would match no name: every call left out, and the log's
		 * header (which names a filter only when it is not empty) would
		 * not even say so */
		if (!*arg)
			argp_error(state, "--shrinker: an empty GLOB matches no shrinker (e.g. "
				   "--shrinker='sb-*')");
		a->shrinker_glob = arg;
		break;
	case OPT_MIN_LATENCY:
		if (cli_parse_ns(arg, 1e3, 1e9, false, &a->min_latency_ns))
			argp_error(state, "--min-latency: '%s' is not a number of microseconds (0, "
				   "or at least 1 ns)", arg);
		break;
	case OPT_STATS_ONLY:
		a->stats_only = true;
		break;
	case OPT_STACKS:
		a->stacks = true;
		break;
	case OPT_CUMULATIVE:
		a->cumulative = true;
		break;
	case OPT_BY:
		if (!strcmp(arg, "memcg"))
			a->by_memcg = true;
		else if (strcmp(arg, "shrinker"))
			argp_error(state, "--by: '%s' is not one of shrinker, memcg", arg);
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
			if (cli_parse_number(arg, TOP_MIN_INTERVAL, TOP_MAX_INTERVAL, &a->top))
				argp_error(state, "--top: '%s' is not an interval in seconds (0.1 to "
					   "86400)", arg);
			break;
		}
		/* `shrinktrace INTERVAL [COUNT]`: --top INTERVAL, COUNT frames (as
		 * biolatency 1 10 does) */
		if ((state->next < 2 || strcmp(state->argv[state->next - 2], "--")) &&
		    *arg && strspn(arg, "0123456789.") == strlen(arg)) {
			if (a->npos == 0) {
				if (cli_parse_number(arg, TOP_MIN_INTERVAL, TOP_MAX_INTERVAL, &a->top))
					argp_error(state, "INTERVAL: '%s' is not a number of seconds "
						   "(0.1 to 86400)", arg);
				a->quiet = true;
			} else if (a->npos == 1) {
				double c;

				if (cli_parse_number(arg, 1, 1e9, &c) || c != (double)(unsigned)c)
					argp_error(state, "COUNT: '%s' is not a number of tables (a "
						   "positive integer)", arg);
				a->count = (unsigned)c;
			} else {
				argp_error(state, "'%s': at most INTERVAL and COUNT come without an "
					   "option (shrinktrace [OPTION...] [INTERVAL [COUNT]])", arg);
			}
			a->npos++;
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
			argp_error(state, "'%s' is not an option: subcommands are replay, redact and help, "
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

static volatile sig_atomic_t stop_signal;	/* the last stop signal (SIGINT, SIGTERM, SIGHUP) */
static volatile sig_atomic_t stop_count;	/* stop signals received */
static volatile sig_atomic_t stop_by_kernel;	/* the last one came from the kernel (SI_KERNEL:
						 * the terminal's ^C or hangup, sent to the whole
						 * foreground process group, the command included) */
static volatile sig_atomic_t child_exited;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	stop_signal = sig;
	stop_count++;
	stop_by_kernel = si && si->si_code == SI_KERNEL;
}

static void on_sigchld(int sig)
{
	(void)sig;
	child_exited = 1;
}

/* ---- preflight ------------------------------------------------------------ */

#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif

/* An integer sysctl (/proc/sys/...), or def when it cannot be read. */
static int read_sysctl(const char *path, int def)
{
	FILE *f = fopen(path, "re");
	int v = def;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = def;
		fclose(f);
	}
	return v;
}

/*
 * The capabilities tracing needs, checked in the effective set (root with a
 * reduced set included): CAP_BPF and CAP_PERFMON to load and attach the
 * programs (CAP_SYS_ADMIN stands for both, as in the kernel's bpf_capable()
 * and perfmon_capable()), and CAP_SYSLOG to see addresses in /proc/kallsyms
 * (kallsyms_show_value(): needed unless kernel.kptr_restrict=0 and
 * kernel.perf_event_paranoid<=1; with kptr_restrict=2 nobody sees them).
 * 0, or -1 with one line in why.
 */
static int check_caps(char *why, size_t len)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	int kptr = read_sysctl("/proc/sys/kernel/kptr_restrict", 1);
	int paranoid = read_sysctl("/proc/sys/kernel/perf_event_paranoid", 2);
	bool need_syslog = !(kptr == 0 && paranoid <= 1);
	char missing[64] = "";
	uint64_t eff;

#define HAS(c) (eff & (1ULL << (c)))
	if (syscall(SYS_capget, &hdr, data)) {
		snprintf(why, len, "cannot read this process's capabilities: %s", strerror(errno));
		return -1;
	}
	eff = ((uint64_t)data[1].effective << 32) | data[0].effective;
	if (kptr >= 2) {
		snprintf(why, len, "kernel.kptr_restrict is %d: /proc/kallsyms shows no addresses to "
			 "anyone, root included: set it to 1 (sysctl kernel.kptr_restrict=1)", kptr);
		return -1;
	}
	if (!HAS(CAP_BPF) && !HAS(CAP_SYS_ADMIN))
		strcat(missing, ", CAP_BPF");
	if (!HAS(CAP_PERFMON) && !HAS(CAP_SYS_ADMIN))
		strcat(missing, ", CAP_PERFMON");
	if (need_syslog && !HAS(CAP_SYSLOG))
		strcat(missing, ", CAP_SYSLOG");
#undef HAS
	if (!missing[0])
		return 0;
	snprintf(why, len, "not permitted to trace: %s missing (CAP_BPF and CAP_PERFMON load and "
		 "attach the programs; CAP_SYSLOG reads addresses from /proc/kallsyms unless "
		 "kernel.kptr_restrict=0 and kernel.perf_event_paranoid<=1, here %d and %d): run as "
		 "root (sudo shrinktrace ...) or grant CAP_BPF, CAP_PERFMON%s", missing + 2, kptr,
		 paranoid, need_syslog ? " and CAP_SYSLOG" : "");
	return -1;
}

/* The signals the tracer handles: blocked around fork(). */
static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
}

/* The id of this tracer run (the log header's "run"): 32 random hex digits. */
static void run_id(char *buf, size_t len)
{
	unsigned char rnd[16] = { 0 };
	uint64_t t = loader_now_ns();

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		/* no entropy: time and pid still tell runs apart */
		memcpy(rnd, &t, sizeof(t));
		t = (uint64_t)getpid();
		memcpy(rnd + 8, &t, sizeof(t));
	}
	for (size_t i = 0; i < sizeof(rnd) && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", rnd[i]);
}

/* ---- the run ---------------------------------------------------------------- */

#define IDLE_WAIT_MS 1000	/* the event loop's longest wait while idle */

/* sink_begin's wake: end the event loop's wait (an eventfd; ctx points at
 * it).  From the HTTP threads: write(2) only. */
static void wake_loop(void *ctx)
{
	uint64_t one = 1;

	if (write(*(const int *)ctx, &one, sizeof(one)) < 0)
		(void)0;	/* EAGAIN: already woken */
}

struct run {
	struct args *a;
	struct pipeline *p;
	struct sinks sinks;
	struct sink *log;	/* the -o FILE's sink, or NULL */
	FILE *out;		/* -o FILE, or NULL */
	FILE *uncommitted;	/* --rotate: the first -o FILE, the sink's, to commit */
	int out_errno;		/* first write error of the log */
	int stdout_errno;	/* a write error of standard output but EPIPE */
	struct loader *l;	/* for stats-only reads of the kernel's maps */
	bool kstats_err;	/* reported once */
	bool finishing;		/* the last merge: unnamed calls count as such */
	struct st_redact red;	/* --redact: every event is redacted before the correlator */
	unsigned red_list_offset;	/* the kernel's list_offset, for next/prev */
	struct cgpaths *cg;	/* cgroup ids -> paths; NULL without a memory controller */
	struct sink *top;	/* --top, or NULL */
	struct htab memcgs;	/* struct memcg_seen: memcgs already described */
	uint64_t cg_tried_ns;	/* when cgpaths_new() last found no hierarchy */
	struct htab stacks;	/* struct htab_node: stack ids already written */
};

struct memcg_seen {
	struct htab_node hn;	/* key: the struct mem_cgroup * (the kernel's, unredacted) */
};

/* The first time an event names a memcg: its cgroup id (read in the kernel)
 * and path (from the cgroup file system) for the correlator and the log. */
static void describe_memcg(struct run *r, uint64_t memcg)
{
	struct memcg_seen *m;
	char path[CORR_MEMCG_PATH_LEN] = "";
	uint64_t id = 0;

	if (!memcg || htab_first(&r->memcgs, memcg))
		return;
	m = calloc(1, sizeof(*m));
	if (!m)
		return;
	m->hn.key = memcg;
	if (htab_add(&r->memcgs, &m->hn)) {
		free(m);
		return;
	}
	if (loader_memcg_id(r->l, memcg, &id))
		id = 0;
	/* the memory controller's hierarchy may have been mounted since the
	 * start (a boot script, a container runtime): look again, at most once
	 * a second */
	if (id && !r->cg) {
		uint64_t now = loader_now_ns();

		if (now - r->cg_tried_ns >= 1000000000ULL) {
			r->cg_tried_ns = now;
			r->cg = cgpaths_new();
		}
	}
	if (id && r->cg && cgpaths_lookup(r->cg, id, path, sizeof(path)))
		path[0] = '\0';
	if (r->red.mode == ST_REDACT_ALL)
		path[0] = '\0';	/* a path can name a user or a service */
	if (pipeline_memcg(r->p, st_redact_addr(&r->red, memcg), id, path))
		fprintf(stderr, "shrinktrace: out of memory in the correlator\n");
}

/* ---- stats-only: the kernel's aggregates ------------------------------- */

/* final: the generation ended or the run ends (an unnamed one is counted
 * under "(unnamed)" now; before, it waits for its name). */
static void set_kernel_call(struct run *r, uint64_t addr, const struct st_call_stat *sum,
			    bool final)
{
	char name[ST_REC_NAME_LEN];
	uint64_t serial;

	/* Not known yet: its first call (written in full) is still in the
	 * reorder window; the next merge gets it. */
	if (corr_lookup(pipeline_corr(r->p), addr, &serial, name, sizeof(name)))
		return;
	if (!pipeline_shrinker_selected(r->p, addr, name))
		return;
	if (stats_set_kernel_call(pipeline_stats(r->p), serial, addr, name, sum, final))
		pipeline_stats_oom(r->p);
}

static void kernel_call_cb(uint64_t addr, const struct st_call_stat *sum, void *ctx)
{
	struct run *r = ctx;

	set_kernel_call(r, st_redact_addr(&r->red, addr), sum, r->finishing);
}

static void kernel_task_cb(uint32_t pid, const struct st_task_stat *sum, void *ctx)
{
	struct run *r = ctx;
	struct st_task_stat t = *sum;

	if (r->red.mode == ST_REDACT_ALL) {
		memset(t.comm, 0, sizeof(t.comm));
		pid = (uint32_t)st_redact_pid(&r->red, (int)pid);
	}
	if (stats_set_kernel_task(pipeline_stats(r->p), pid, &t))
		pipeline_stats_oom(r->p);
}

/* Copy the kernel's call, walk and task aggregates into the statistics (the
 * sinks' refresh before they read them). */
static void merge_kernel_stats(void *ctx)
{
	struct run *r = ctx;
	struct st_walk_stat w[ST_WALK_STAT_N];

	if (loader_read_call_stats(r->l, kernel_call_cb, r) ||
	    loader_read_walk_stats(r->l, w) ||
	    loader_read_task_stats(r->l, kernel_task_cb, r)) {
		if (!r->kstats_err)
			fprintf(stderr, "shrinktrace: reading the kernel's statistics maps failed: "
				"%s; the numbers shown may be stale\n", strerror(errno));
		r->kstats_err = true;
		return;
	}
	stats_set_kernel_walk(pipeline_stats(r->p), w);
}

/* Stats-only: a generation ends (rcu_free): its final totals, and a fresh
 * start for the next one at this address. */
static void on_event(const struct st_rec *rec, const struct corr_event *e, void *ctx)
{
	struct run *r = ctx;
	struct st_call_stat sum;

	(void)e;
	if (rec->type == ST_RCU_FREE && r->a->stats_only && r->l &&
	    !loader_take_call_stats(r->l, st_redact_unaddr(&r->red, rec->shrinker), &sum))
		set_kernel_call(r, rec->shrinker, &sum, true);
}

/* The first walk naming kernel stack id: the stack, symbolised, goes to the
 * sinks (the log's "stack" line) ahead of the walk. */
static void describe_stack(struct run *r, int id)
{
	uint64_t ips[ST_STACK_FRAMES];
	char frames[ST_STACK_TEXT], red[ST_STACK_TEXT];
	struct htab_node *n;
	size_t used = 0;
	int k;

	if (id < 0 || htab_first(&r->stacks, (uint64_t)id))
		return;
	n = calloc(1, sizeof(*n));
	if (!n)
		return;
	n->key = (uint64_t)id;
	if (htab_add(&r->stacks, n)) {
		free(n);
		return;
	}
	k = loader_stack(r->l, id, ips, ST_STACK_FRAMES);
	frames[0] = '\0';
	for (int i = 0; i < k && used < sizeof(frames); i++) {
		char one[ST_STACK_FRAME_LEN];

		loader_symbolise(r->l, ips[i], one, sizeof(one));
		used += (size_t)snprintf(frames + used, sizeof(frames) - used, "%s%s", i ? ";" : "", one);
	}
	if (r->red.mode != ST_REDACT_NONE) {
		st_redact_text(&r->red, frames, strlen(frames), red, sizeof(red));
		pipeline_stack(r->p, id, red);
	} else {
		pipeline_stack(r->p, id, frames);
	}
}

/* Events from the ring buffer go into the pipeline (redacted first). */
static void on_kernel_event(const struct st_rec *rec, void *ctx)
{
	struct run *r = ctx;
	struct st_rec red;

	if ((rec->has & ST_HAS_WALK) && rec->memcg)
		describe_memcg(r, rec->memcg);
	if (rec->has & ST_HAS_STACK)
		describe_stack(r, rec->stack_id);
	if (r->red.mode != ST_REDACT_NONE) {
		red = *rec;
		st_redact_rec(&r->red, &red, r->red_list_offset);
		rec = &red;
	}
	if (pipeline_push(r->p, rec))
		fprintf(stderr, "shrinktrace: out of memory in the correlator\n");
}

/* What the sinks are told of this run (sinks/registry.h); out: the -o FILE. */
static struct sink_args sink_args_of(const struct args *a, FILE *out)
{
	return (struct sink_args){
		.live = true, .format = a->format, .out = out, .out_path = a->output,
		.out_mode = a->mode_set ? a->mode : ST_OUTPUT_MODE, .quiet = a->quiet,
		.wide = a->wide, .stats_only = a->stats_only, .sort = a->sort, .top = a->top,
		.top_flags = (a->cumulative ? TOP_CUMULATIVE : 0) | (a->by_memcg ? TOP_BY_MEMCG : 0),
	};
}

/* The sinks of this run, from the table (sinks/registry.h).  0, or -1 with
 * a message in err. */
static int add_sinks(struct run *r, char *err, size_t len)
{
	struct sink_args sa = sink_args_of(r->a, r->out);
	int ret = sink_setup_open(r->a->sinks, &sa, &r->sinks, &r->log, err, len);

	if (sa.out_taken) {
		/* the log's sink owns the -o FILE from now on (also when a later
		 * sink failed: sinks_free() closes it); committed below */
		r->uncommitted = r->out;
		r->out = NULL;
	}
	r->top = sinks_find(&r->sinks, "top");
	return ret;
}

/* The run; cmd: the -- COMMAND, resolved (NULL none). */
static int trace_run(struct args *a, struct command *cmd)
{
	struct run r = { .a = a };
	struct pipeline_opts po = {
		.corr = {
			.stuck_after_ns = a->stuck_ns ? a->stuck_ns : CORR_DEFAULT_STUCK_NS,
			.reorder_window_ns = a->window_ns != UINT64_MAX ? a->window_ns
									 : CORR_DEFAULT_WINDOW_NS,
		},
		.shrinker_glob = a->shrinker_glob, .kernel_stats = a->stats_only,
		.warn_prefix = "shrinktrace", .live = true, .on_event = on_event, .ctx = &r,
	};
	struct loader_opts lo = { .backend = a->backend, .ringbuf_bytes = a->ringbuf,
				  .verbose = a->verbose, .filter_tgid = a->pid,
				  .filter_cgroup_id = a->cgroup_id,
				  .min_latency_ns = a->min_latency_ns, .stats_only = a->stats_only,
				  .stacks = a->stacks };
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };
	struct sigaction sc = { .sa_handler = on_sigchld, .sa_flags = SA_NOCLDSTOP };
	struct sink_state st = { 0 };
	struct sink_begin b = { 0 };
	struct ksyms *ks = NULL;
	int wake_fd = -1;
	struct utsname un;
	const char *which;
	char err[512], run[40], out_shown[512] = "";
	uint64_t attached = 0, deadline = 0, lost, now, stop_at = 0, kill_at = 0, give_up_at = 0;
	pid_t child = -1;
	int cmd_status = 0, rc = EXIT_CLEAN, n = 0, list_offset, e, wait_ms = 100;
	sig_atomic_t stops_seen = 0;
	bool stopping = false, killed = false, waiting_said = false, cmd_started = false;
	bool cmd_asked = false;	/* the command ended after the tracer asked it to stop */
	bool ring_failed = false;

	if (a->output)
		st_clean_text(out_shown, sizeof(out_shown), a->output);
	/* a debugging and testing knob: small caps of the correlator (README) */
	if (corr_parse_caps(getenv("SHRINKTRACE_CAPS"), &po.corr, err, sizeof(err))) {
		fprintf(stderr, "shrinktrace: SHRINKTRACE_CAPS: %s\n", err);
		return EXIT_USAGE;
	}
	if (st_redact_init(&r.red, a->redact, NULL)) {
		fprintf(stderr, "shrinktrace: --redact: no random key from getrandom(): %s\n",
			strerror(errno));
		return EXIT_ERROR;
	}
	/* From here a stop signal is taken note of, whenever it comes: before
	 * tracing has started it ends the run there (no log, no command). */
	stop_signals(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (cmd)
		sigaction(SIGCHLD, &sc, NULL);
	if (check_caps(err, sizeof(err))) {
		fprintf(stderr, "shrinktrace: %s\n", err);
		return EXIT_ERROR;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "shrinktrace: this kernel has no BTF (/sys/kernel/btf/vmlinux: %s): "
			"use a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian's are)\n",
			strerror(errno));
		return EXIT_ERROR;
	}
	/* The command's process now, before anything is made or attached: a
	 * fork that fails is one line with nothing traced.  It waits for
	 * command_start() once tracing has started. */
	if (cmd && command_fork(cmd, &sa.sa_mask, &stop_signal)) {
		fprintf(stderr, "shrinktrace: cannot start %s: %s: free some memory or processes "
			"(ulimit -u) and try again\n", cmd->shown, strerror(errno));
		return EXIT_ERROR;
	}
	/* The log is made now, so that a bad -o fails before anything is
	 * loaded, but as a fresh file that replaces an earlier one only once
	 * tracing has started (st_output_commit() below): a refused backend or
	 * missing symbols leave an earlier log as it was. */
	if (a->output) {
		r.out = st_output_create(a->output, a->mode_set ? a->mode : ST_OUTPUT_MODE,
					 a->format->flags & SINK_PAGED ? ST_OUT_PAGES : 0);
		if (!r.out) {
			fprintf(stderr, "shrinktrace: cannot write the log %s: %s: choose a writable "
				"path for -o (a regular file, not a symlink)\n", out_shown,
				st_output_strerror(errno));
			return EXIT_ERROR;
		}
	}
	/* what a sink must have before anything is attached (--metrics: its
	 * port, taken or refused here) */
	{
		struct sink_args sargs = sink_args_of(a, r.out);

		if (sink_setup_prepare(a->sinks, &sargs, err, sizeof(err))) {
			fprintf(stderr, "shrinktrace: %s\n", err);
			rc = EXIT_ERROR;
			goto out;
		}
	}
	ks = ksyms_load();
	if (!ks || ksyms_count(ks) == 0) {
		fprintf(stderr, "shrinktrace: cannot read kernel symbols from /proc/kallsyms%s: "
			"run as root (or with CAP_SYSLOG) with kernel.kptr_restrict <= 1\n",
			ks ? " (all addresses are zero)" : "");
		rc = EXIT_ERROR;
		goto out;
	}

	if (add_sinks(&r, err, sizeof(err))) {
		fprintf(stderr, "shrinktrace: %s\n", err);
		rc = EXIT_ERROR;
		goto out;
	}
	if (!(r.p = pipeline_new(&po, &r.sinks))) {
		fprintf(stderr, "shrinktrace: out of memory\n");
		rc = EXIT_ERROR;
		goto out;
	}
	r.cg = cgpaths_new();	/* NULL: memcgs are shown by their cgroup id, until a
				 * hierarchy appears (describe_memcg()) */
	r.cg_tried_ns = loader_now_ns();
	memcpy(lo.filter_comm, a->comm, sizeof(lo.filter_comm));
	/* a scrape wakes the loop, which sleeps up to a second while idle
	 * (without it, a scrape waits for the next 0.1 s tick) */
	wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	lo.wake_fd = wake_fd > 0 ? wake_fd : 0;
	r.l = loader_open(&lo, ks, on_kernel_event, &r, err, sizeof(err));
	if (!r.l) {
		fprintf(stderr, "shrinktrace: %s\n", err);
		rc = EXIT_ERROR;
		goto out;
	}
	if (stop_count) {
		fprintf(stderr, "shrinktrace: stopped (signal %d) before tracing started: nothing "
			"traced%s\n", (int)stop_signal, a->output ? ", no log written" : "");
		goto out;
	}
	/* Tracing has started: the log takes its name now (refused if another
	 * writer took it meanwhile). */
	if ((r.out || r.uncommitted) && st_output_commit(r.out ? r.out : r.uncommitted)) {
		fprintf(stderr, "shrinktrace: cannot write the log %s: %s: choose another -o path\n",
			out_shown, st_output_strerror(errno));
		rc = EXIT_ERROR;
		goto out;
	}
	/* Time zero of the trace (the header's start_ts, the event lines' TIME,
	 * the summary's "s traced"): every probe is attached. */
	attached = loader_now_ns();
	if (!a->no_banner)
		loader_banner(r.l, stderr);
	uname(&un);
	list_offset = loader_shrinker_list_offset();
	if (list_offset > 0)
		r.red_list_offset = (unsigned)list_offset;
	run_id(run, sizeof(run));
	b = (struct sink_begin){
		.kernel = un.release, .backend = loader_backend_summary(r.l), .run_id = run,
		.start_ts = attached, .list_offset = list_offset,
		.redacted = a->redact ? st_redact_mode_name(a->redact) : NULL, .live = true,
		.run = 1, .mode = a->stats_only ? "stats-only" : "events",
		/* under --redact=all neither a task id nor a task name leaves */
		.filter_pid = a->redact == ST_REDACT_ALL && a->pid ?
			      (uint32_t)st_redact_pid(&r.red, (int)a->pid) : a->pid,
		.filter_comm = a->redact == ST_REDACT_ALL && a->comm[0] ? "(redacted)" : a->comm,
		.filter_memcg_id = a->cgroup_id, .filter_min_latency_ns = a->min_latency_ns,
		.filter_shrinker = a->shrinker_glob,
		.wake = wake_fd > 0 ? wake_loop : NULL, .wake_ctx = &wake_fd,
	};
	for (int h = 0; h < ST_NHOOKS && h < SINK_MAX_HOOKS; h++) {
		const struct loader_hook *lh = loader_hook(r.l, (enum st_hook)h);

		b.hook[b.nhooks] = loader_hook_name((enum st_hook)h);
		b.hook_mech[b.nhooks] = loader_backend_name(lh->mech);
		b.hook_target[b.nhooks] = lh->mech && lh->target ? lh->target : "";
		b.nhooks++;
	}
	if (!a->no_banner)
		sink_setup_announce(a->sinks, stderr);
	pipeline_begin(r.p, &b);
	if (a->duration > 0)
		deadline = attached + (uint64_t)(a->duration * 1e9);

	if (cmd) {
		cmd_started = command_start(cmd, &sa.sa_mask, &stop_signal) > 0;
		child = cmd_started ? cmd->pid : 0;
		if (!cmd_started)
			fprintf(stderr, "shrinktrace: stopped (signal %d) before %s was started: it "
				"was not run\n", (int)stop_signal, cmd->shown);
		else
			fprintf(stderr, "shrinktrace: tracing while %s (pid %d) runs; Ctrl-C to stop\n",
				cmd->shown, (int)child);
	} else if (!a->no_banner) {
		fprintf(stderr, "shrinktrace: tracing%s; Ctrl-C to stop\n",
			a->duration > 0 ? " for the given duration" : "");
	}

	st.refresh = a->stats_only ? merge_kernel_stats : NULL;
	st.refresh_ctx = &r;
	/*
	 * One loop: poll, correlate, tick.  A stop (a signal, the duration, an
	 * output error) ends it at once without a command; with one, the
	 * command is asked to stop and tracing goes on while it cleans up, for
	 * at most COMMAND_GRACE_NS, then SIGKILL: the stop signal is passed on
	 * unless the kernel sent it to the whole process group (the terminal's
	 * ^C: the command has it already); a second stop signal kills it.
	 */
	for (;;) {
		bool stop = stop_count != stops_seen;

		now = loader_now_ns();
		if (!stop && !stopping) {
			e = sinks_error(&r.sinks, &which);
			if (e) {
				/* whoever read stdout (the lines, the table) is gone: stop as
				 * on Ctrl-C; a log that cannot be written, or a standard
				 * output that fails otherwise (a full disk): stop, exit 1 */
				if (r.log && e == r.log->ops->error(r.log))
					r.out_errno = e;
				else if (e != EPIPE)
					r.stdout_errno = e;
				stop = true;
			} else if (ring_failed || (deadline && now >= deadline) ||
				   (a->count && r.top && top_sink_frames(r.top) >= a->count)) {
				stop = true;
			}
		}
		if (stop && child <= 0)
			break;
		if (stop && !stopping) {
			stopping = true;
			stops_seen = stop_count;
			if (!stop_signal || !stop_by_kernel)
				kill(child, stop_signal ? (int)stop_signal : SIGTERM);
			stop_at = now;
			kill_at = now + COMMAND_GRACE_NS;
		} else if (stop && stopping && !killed) {
			stops_seen = stop_count;
			kill_at = now;		/* asked twice: now */
		}
		if (stopping && !killed && now >= kill_at) {
			fprintf(stderr, "shrinktrace: %d did not exit %.1f s after it was asked to stop: "
				"killing it\n", (int)child, (double)(now - stop_at) / 1e9);
			kill(child, SIGKILL);
			killed = true;
			give_up_at = now + 1000000000ULL;
		}
		if (stopping && !killed && !waiting_said && now >= stop_at + 1000000000ULL) {
			fprintf(stderr, "shrinktrace: waiting for %d to exit (Ctrl-C again to kill it)\n",
				(int)child);
			waiting_said = true;
		}
		if (killed && now >= give_up_at) {
			cmd_status = -1;	/* not reaped: reported as such */
			cmd->pid = 0;		/* nor waited for at the end */
			cmd_asked = true;
			break;
		}
		/* The wait: 0.1 s while events flow or wait in the reorder window,
		 * --top draws or a command is being stopped (0.02 s); doubling up to
		 * 1 s while nothing happens, so that an idle tracer wakes once a
		 * second, not ten times (a scrape wakes it at once: wake_fd) */
		if (stopping)
			wait_ms = 20;
		else if (r.top || n > 0 || corr_held(pipeline_corr(r.p)))
			wait_ms = 100;
		else if (wait_ms < IDLE_WAIT_MS)
			wait_ms = wait_ms * 2 < IDLE_WAIT_MS ? wait_ms * 2 : IDLE_WAIT_MS;
		if (deadline && !stopping) {
			uint64_t left_ms = deadline > now ? (deadline - now + 999999) / 1000000 : 0;

			if (left_ms < (uint64_t)wait_ms)
				wait_ms = (int)left_ms;
		}
		n = loader_poll(r.l, wait_ms);
		st.loop_wait_ns = (uint64_t)wait_ms * 1000000ULL;
		if (n < 0 && n != -EINTR && !ring_failed) {
			fprintf(stderr, "shrinktrace: reading the ring buffer failed: %s\n",
				strerror(-n));
			rc = EXIT_ERROR;
			ring_failed = true;	/* a stop, at the top of the loop */
			continue;
		}
		now = loader_now_ns();
		pipeline_advance(r.p, now);
		st.now_ns = now;
		st.elapsed_s = (double)(now - attached) / 1e9;
		st.kernel_lost = loader_lost_total(r.l);
		pipeline_tick(r.p, &st);
		if (child > 0 && child_exited) {
			pid_t w = waitpid(child, &cmd_status, WNOHANG);

			if (w == child) {
				int ce = command_exec_error(cmd);

				/* found and executable, and yet (its #! interpreter or
				 * ELF loader missing, a busy or foreign binary, ...) */
				if (ce)
					fprintf(stderr, "shrinktrace: cannot run %s: %s%s\n", cmd->shown,
						strerror(ce), ce == ENOENT ? " (the interpreter its #! "
						"line names, or its ELF loader, is missing): check it "
						"with file(1)" : ": check it with file(1)");
				/* a stop the tracer passed on, or one the command got
				 * with it (the terminal's ^C): a run ended as asked */
				cmd_asked = stopping || stop_count != 0;
				child = 0;
				cmd->pid = 0;
				break;
			}
		}
	}
	/* Detach first, then read what is left and flush the log completely. */
	loader_detach(r.l);
	loader_drain(r.l);
	lost = loader_take_pending_lost(r.l);
	if (lost) {
		struct st_rec lr = { .type = ST_LOST, .has = ST_HAS_COUNT, .ts = loader_now_ns(),
				     .count = lost, .pid = 0 };

		snprintf(lr.comm, sizeof(lr.comm), "shrinktrace");
		on_kernel_event(&lr, &r);
	}
	fflush(stdout);		/* event lines before the summary on a shared terminal */
	st.now_ns = loader_now_ns();
	st.elapsed_s = (double)(st.now_ns - attached) / 1e9;
	st.kernel_lost = loader_lost_total(r.l);
	loader_account(r.l, &st.kernel);
	st.command = cmd_started ? cmd->argv[0] : NULL;
	st.command_status = cmd_status;
	/* a log whose file (or directory) was removed meanwhile is not named */
	if (r.out && st_output_check(r.out) == ST_OUT_EREMOVED)
		r.out_errno = ST_OUT_EREMOVED;
	st.log_path = r.out_errno == ST_OUT_EREMOVED ? NULL : a->output;
	r.finishing = true;
	pipeline_finish(r.p, &st);
	/* 3 for a violation; else the command's own failure, when it ended by
	 * itself (not after the tracer asked it to stop): its exit status, or
	 * 128 + N for signal N */
	if (rc == EXIT_CLEAN && pipeline_violations(r.p))
		rc = EXIT_VIOLATIONS;
	else if (rc == EXIT_CLEAN && cmd_started && !cmd_asked)
		rc = command_exit_status(cmd_status);
out:
	loader_close(r.l);
	if (r.log && !r.out_errno)
		r.out_errno = r.log->ops->error(r.log);
	if (r.out) {
		if (fflush(r.out) && !r.out_errno)
			r.out_errno = errno;
		if (fclose(r.out) && !r.out_errno)
			r.out_errno = errno;
	}
	if (a->output) {
		if (r.out_errno == ST_OUT_EREMOVED) {
			fprintf(stderr, "shrinktrace: the log %s was removed while it was written "
				"(the file, or its directory: removed, moved away or replaced): the trace "
				"stopped and the path does not lead to what was written; choose an -o "
				"path that nothing changes during the trace\n", out_shown);
			rc = EXIT_ERROR;
		} else if (r.out_errno && attached) {
			fprintf(stderr, "shrinktrace: writing the log %s failed: %s: free space or "
				"choose another -o path; the lines written before are complete\n",
				out_shown, strerror(r.out_errno));
			rc = EXIT_ERROR;
		}
	}
	if (r.stdout_errno) {
		fprintf(stderr, "shrinktrace: writing standard output failed: %s: the trace stopped "
			"there; the lines written before are complete\n", strerror(r.stdout_errno));
		rc = EXIT_ERROR;
	}
	fflush(stdout);
	pipeline_free(r.p);
	sinks_free(&r.sinks);	/* the HTTP threads, that write wake_fd, end here */
	if (wake_fd >= 0)
		close(wake_fd);
	ksyms_free(ks);
	cgpaths_free(r.cg);
	htab_each(&r.memcgs, i, me, nx)
		free(container_of(me, struct memcg_seen, hn));
	htab_free(&r.memcgs);
	htab_each(&r.stacks, i, me, nx)
		free(me);
	htab_free(&r.stacks);
	return rc;
}

/* The tracer's argp: its own options and, as argp children, those of the
 * sinks (sinks/registry.h). */
static struct argp trace_argp_of(const struct sink_setup *ss)
{
	return (struct argp){ options, parse_opt, "[INTERVAL [COUNT]] [-- COMMAND [ARG...]]", doc,
			      ss->children, NULL, NULL };
}

void trace_help(void)
{
	char *av[3] = { "shrinktrace", "--help", NULL };
	struct sink_setup ss;
	struct args unused = { .sinks = &ss, .window_ns = UINT64_MAX };
	struct argp argp;

	if (sink_setup_init(&ss, SINK_LIVE)) {
		fprintf(stderr, "shrinktrace: out of memory\n");
		exit(EXIT_ERROR);
	}
	argp = trace_argp_of(&ss);
	argp_parse(&argp, 2, av, ARGP_IN_ORDER, NULL, &unused);	/* prints, exits 0 */
	sink_setup_free(&ss);
}

/* The checks between options, then the run. */
static int trace_args(struct args *a)
{
	struct sink_args sa = sink_args_of(a, NULL);
	char why[512];

	if (a->mode_set && !a->output) {
		fprintf(stderr, "shrinktrace: --mode is the mode of the -o FILE: add -o FILE\n");
		return EXIT_USAGE;
	}
	if ((a->cumulative || a->by_memcg) && a->top == 0) {
		fprintf(stderr, "shrinktrace: --cumulative and --by shape the --top table: add --top "
			"(or INTERVAL)\n");
		return EXIT_USAGE;
	}
	if (a->by_memcg && a->stats_only) {
		fprintf(stderr, "shrinktrace: --by memcg needs each call's memcg: --stats-only "
			"counts calls per shrinker in the kernel; leave one of them out\n");
		return EXIT_USAGE;
	}
	if (sink_setup_check(a->sinks, &sa, why, sizeof(why))) {
		fprintf(stderr, "shrinktrace: %s\n", why);
		return EXIT_USAGE;
	}
	if (strcmp(a->format->format, TRACE_DEFAULT_FORMAT) && !a->output) {
		fprintf(stderr, "shrinktrace: --format %s is the format of the -o FILE: add -o FILE\n",
			a->format->format);
		return EXIT_USAGE;
	}
	/* -- COMMAND: found, or refused, before anything is made or attached */
	if (a->command) {
		struct command cmd;
		int rc = command_resolve(&cmd, a->command, why, sizeof(why));

		if (rc == 0)
			rc = trace_run(a, &cmd);
		else
			fprintf(stderr, "shrinktrace: %s\n", rc < 0 ? "out of memory" : why);
		if (rc < 0)
			rc = EXIT_ERROR;
		command_abandon(&cmd);	/* one never started (a stop, an error) */
		command_free(&cmd);
		return rc;
	}
	return trace_run(a, NULL);
}

int trace_main(int argc, char **argv)
{
	struct sink_setup ss;
	struct args a = { .sinks = &ss, .window_ns = UINT64_MAX };
	struct argp argp;
	int rc;

	command_save_signals();
	if (sink_setup_init(&ss, SINK_LIVE)) {
		fprintf(stderr, "shrinktrace: out of memory\n");
		return EXIT_ERROR;
	}
	a.format = sink_format(TRACE_DEFAULT_FORMAT, SINK_LIVE);
	argp = trace_argp_of(&ss);
	argp_err_exit_status = EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &a))
		rc = EXIT_USAGE;
	else
		rc = trace_args(&a);
	sink_setup_free(&ss);
	return rc;
}
