// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * front/redact_cmd.c - `shrinktrace redact [--all] [-o OUT] [--mode OCTAL] FILE`:
 * rewrite a shrinktrace/1 log with every kernel address replaced by its
 * per-run pseudonym (log/redact.h), line by line, for sharing.
 *
 * Every line is first checked as `replay` reads it (the same errors, "FILE:LINE:
 * reason"), then rewritten as JSON with its fields in their order:
 *   - header: "redacted": "addrs" or "all" is added;
 *   - "shrinker", "memcg": the address's pseudonym; "next", "prev" of an event:
 *     list pointers (pseudo(v - list_offset) + list_offset, the header's
 *     list_offset); "next" of a violation record names a shrinker: its pseudonym;
 *   - any other string that is a pointer ("0x" + hex) becomes its pseudonym,
 *     and every "0x..." token inside other strings too ("detail" names
 *     shrinkers by address), so fields added to the format later are covered;
 *   - with --all: "comm" and "walker_comm" become "", "pid" and "walker_pid"
 *     pseudonyms, and in "detail" each "NAME (pid N)" loses NAME and gets N's
 *     pseudonym; NAME must be a task name seen in the log so far, else the
 *     whole detail is withheld (replaced by a fixed sentence).
 * The type, kind, shrinker names, kernel release, backend, timestamps and
 * counts are kept.  Blank lines are dropped.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log/reader.h"
#include "log/outfile.h"
#include "front/cli.h"
#include "log/redact.h"

#define RC_CLEAN 0
#define RC_ERROR 1
#define RC_USAGE 2

/* Task names seen so far (--all), for "NAME (pid N)" in details. */
#define COMM_SLOTS (1u << 16)
#define COMM_MAX (COMM_SLOTS / 2)

struct comm_set {
	char (*slot)[ST_REC_COMM_LEN];	/* "" = empty slot */
	size_t n;
};

struct rctx {
	struct st_redact red;
	unsigned list_offset;
	struct comm_set comms;
	bool is_violation;
};

static uint64_t str_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h;
}

/* Is s[0..n) in the set?  With add, put it there (when there is room). */
static bool comm_find(struct comm_set *cs, const char *s, size_t n, bool add)
{
	size_t i;

	if (n == 0 || n >= ST_REC_COMM_LEN)
		return false;
	for (i = str_hash(s, n) & (COMM_SLOTS - 1);; i = (i + 1) & (COMM_SLOTS - 1)) {
		if (!cs->slot[i][0])
			break;
		if (strlen(cs->slot[i]) == n && !memcmp(cs->slot[i], s, n))
			return true;
	}
	if (add && cs->n < COMM_MAX) {
		memcpy(cs->slot[i], s, n);
		cs->slot[i][n] = '\0';
		cs->n++;
	}
	return false;
}

/* ---- string rewriting ---------------------------------------------------- */

struct sbuf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 256;
		char *np;

		while (ncap < b->n + n + 1)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_';
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Every "0x" + 1..16 hex digits token of s (not inside a word) -> pseudonym. */
static void scrub_addrs(const struct rctx *x, const char *s, struct sbuf *out)
{
	size_t i = 0, run = 0, n = strlen(s);

	while (i < n) {
		if (s[i] == '0' && i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
		    (i == 0 || !is_alnum(s[i - 1]))) {
			size_t j = i + 2;
			uint64_t v = 0;
			char tok[24];

			while (j < n && is_hex(s[j]) && j - i - 2 < 17)
				j++;
			if (j > i + 2 && j - i - 2 <= 16 && (j == n || !is_alnum(s[j]))) {
				memcpy(tok, s + i, j - i);
				tok[j - i] = '\0';
				if (!st_parse_ptr(tok, &v)) {
					sb_add(out, s + i - run, run);
					run = 0;
					snprintf(tok, sizeof(tok), "0x%" PRIx64,
						 st_redact_addr(&x->red, v));
					sb_add(out, tok, strlen(tok));
					i = j;
					continue;
				}
			}
		}
		run++;
		i++;
	}
	sb_add(out, s + i - run, run);
}

#define WITHHELD "detail withheld by shrinktrace redact --all: it names a task whose name " \
		 "is not in the log"

/* --all: "NAME (pid N)" -> " (pid P)" with NAME a known task name; returns
 * false when a NAME is not known (the caller withholds the text). */
static bool scrub_tasks(struct rctx *x, const char *s, struct sbuf *out)
{
	size_t n = strlen(s), done = 0;
	const char *p = s;

	while ((p = strstr(p, "(pid ")) != NULL) {
		size_t at = (size_t)(p - s), cut = at, j = at + 5;
		long long pid = 0;
		bool neg = false, found = false;
		char num[32];

		if (s[j] == '-') {
			neg = true;
			j++;
		}
		while (j < n && s[j] >= '0' && s[j] <= '9' && pid < (1LL << 40))
			pid = pid * 10 + (s[j++] - '0');
		if (j == at + 5 + neg || s[j] != ')') {
			p += 5;
			continue;
		}
		/* the name ends with the space before "(pid" */
		if (at == 0 || s[at - 1] != ' ')
			return false;
		for (size_t len = at - 1 < ST_REC_COMM_LEN - 1 ? at - 1 : ST_REC_COMM_LEN - 1;
		     len > 0 && !found; len--) {
			size_t start = at - 1 - len;

			if ((start == 0 || s[start - 1] == ' ') &&
			    comm_find(&x->comms, s + start, len, false)) {
				cut = start;
				found = true;
			}
		}
		if (!found) {
			/* an empty name: "... by  (pid", or at the start */
			if (at - 1 == 0 || s[at - 2] == ' ')
				cut = at - 1;
			else
				return false;
		}
		if (cut < done)
			return false;
		sb_add(out, s + done, cut - done);
		snprintf(num, sizeof(num), " (pid %d)",
			 st_redact_pid(&x->red, neg ? -(int)pid : (int)(pid > INT32_MAX ? INT32_MAX : pid)));
		sb_add(out, num, strlen(num));
		done = j + 1;
		p = s + done;
	}
	sb_add(out, s + done, n - done);
	return true;
}

/* ---- one record ---------------------------------------------------------- */

static bool is_kept_key(const char *k)
{
	static const char *const keep[] = { "type", "kind", "format", "kernel", "backend",
					    "clock", "redacted", "name", NULL };

	for (int i = 0; keep[i]; i++)
		if (!strcmp(k, keep[i]))
			return true;
	return false;
}

static json_object *redact_value(struct rctx *x, const char *key, json_object *v);

/* A string value: a pointer, a task name, a detail, or free text. */
static json_object *redact_string(struct rctx *x, const char *key, const char *s)
{
	struct sbuf b = { 0 };
	json_object *o;
	uint64_t p;

	if (key && x->red.mode == ST_REDACT_ALL && (!strcmp(key, "comm") ||
						    !strcmp(key, "walker_comm")))
		return json_object_new_string("");
	if (!st_parse_ptr(s, &p)) {
		char tok[24];

		if (key && !x->is_violation && (!strcmp(key, "next") || !strcmp(key, "prev")))
			p = st_redact_list(&x->red, p, x->list_offset);
		else
			p = st_redact_addr(&x->red, p);
		snprintf(tok, sizeof(tok), "0x%" PRIx64, p);
		return json_object_new_string(tok);
	}
	scrub_addrs(x, s, &b);
	if (!b.oom && key && !strcmp(key, "detail") && x->red.mode == ST_REDACT_ALL) {
		struct sbuf t = { 0 };

		if (!scrub_tasks(x, b.p ? b.p : "", &t)) {
			free(t.p);
			free(b.p);
			return json_object_new_string(WITHHELD);
		}
		free(b.p);
		b = t;
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	o = json_object_new_string(b.p ? b.p : "");
	free(b.p);
	return o;
}

/* The redacted copy of v (a new reference), NULL on ENOMEM. */
static json_object *redact_value(struct rctx *x, const char *key, json_object *v)
{
	json_object *o;

	switch (json_object_get_type(v)) {
	case json_type_string:
		if (key && is_kept_key(key))
			return json_object_get(v);
		return redact_string(x, key, json_object_get_string(v));
	case json_type_int:
		if (key && x->red.mode == ST_REDACT_ALL &&
		    (!strcmp(key, "pid") || !strcmp(key, "walker_pid"))) {
			int64_t pid = json_object_get_int64(v);

			if (pid >= INT32_MIN && pid <= INT32_MAX)
				return json_object_new_int64(st_redact_pid(&x->red, (int)pid));
		}
		return json_object_get(v);
	case json_type_object:
		o = json_object_new_object();
		if (!o)
			return NULL;
		json_object_object_foreach(v, k, val) {
			json_object *nv = val ? redact_value(x, NULL, val) : NULL;

			if (val && !nv) {
				json_object_put(o);
				return NULL;
			}
			json_object_object_add(o, k, nv);
		}
		return o;
	case json_type_array:
		o = json_object_new_array();
		if (!o)
			return NULL;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);
			json_object *ne = e ? redact_value(x, NULL, e) : NULL;

			if (e && !ne) {
				json_object_put(o);
				return NULL;
			}
			json_object_array_add(o, ne);
		}
		return o;
	default:
		return json_object_get(v);
	}
}

/* Rewrite one checked line (an object) to out.  Returns 0, or -1 on ENOMEM. */
static int redact_line(struct rctx *x, const char *line, size_t len, bool header, FILE *out)
{
	json_tokener *tok = json_tokener_new();
	json_object *in, *res, *t;
	const char *s;
	int ret = -1;

	if (!tok)
		return -1;
	in = json_tokener_parse_ex(tok, line, (int)len);
	json_tokener_free(tok);
	if (!in)
		return -1;
	x->is_violation = json_object_object_get_ex(in, "type", &t) &&
			  json_object_is_type(t, json_type_string) &&
			  !strcmp(json_object_get_string(t), "violation");
	if (x->red.mode == ST_REDACT_ALL && x->is_violation) {
		/* its own task names are known names too */
		static const char *const keys[] = { "comm", "walker_comm" };

		for (int i = 0; i < 2; i++)
			if (json_object_object_get_ex(in, keys[i], &t) &&
			    json_object_is_type(t, json_type_string))
				comm_find(&x->comms, json_object_get_string(t),
					  strlen(json_object_get_string(t)), true);
	}
	res = json_object_new_object();
	if (!res)
		goto out;
	{
		json_object_object_foreach(in, k, v) {
			json_object *nv = v ? redact_value(x, k, v) : NULL;

			if (v && !nv)
				goto out;
			json_object_object_add(res, k, nv);
		}
	}
	if (header)
		json_object_object_add(res, "redacted",
				       json_object_new_string(st_redact_mode_name(x->red.mode)));
	s = json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		goto out;
	fputs(s, out);
	fputc('\n', out);
	ret = 0;
out:
	json_object_put(res);
	json_object_put(in);
	return ret;
}

/* ---- the command --------------------------------------------------------- */

struct redact_args {
	bool all;
	const char *out;
	mode_t mode;
	bool mode_set;
	const char *file;
};

enum { OPT_MODE = 0x5401, OPT_ALL };

static const struct argp_option options[] = {
	{ "all", OPT_ALL, NULL, 0, "Also task names (comm, walker_comm: \"\") and task ids "
	  "(pid, walker_pid: per-run pseudonyms); in a detail text, a task name not seen in "
	  "the log withholds the whole text", 0 },
	{ "output", 'o', "OUT", 0, "Write the redacted log to OUT instead of standard output "
	  "('-'); mode 0600, never through a symlink, never truncating what is not a regular "
	  "file", 0 },
	{ "mode", OPT_MODE, "OCTAL", 0, "Permissions of OUT (default 0600), exactly", 0 },
	/* -h as --help (argp only knows -? and --help) */
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Give this help list", -1 },
	{ 0 }
};

static const char doc[] =
	"Rewrite a shrinktrace/1 log for sharing: every kernel address (shrinker, next, prev, "
	"memcg, addresses inside violation details) becomes a pseudonym, the same one for the "
	"same address throughout the log and different for different addresses, from a key "
	"drawn at random for this run and never written anywhere. NULL, LIST_POISON1 and "
	"LIST_POISON2 stay; a redacted next still points at the redacted shrinker (list_offset "
	"is kept), so `shrinktrace replay` of the result gives the same verdicts.\v"
	"FILE is a log, or '-' for standard input. Malformed input stops with one line "
	"'FILE:LINE: reason' on stderr, as replay does.\n\n"
	"Exit status: 0 done, 1 error (unreadable or malformed input, write error), 2 usage.\n"
	"\n"
	"EXAMPLES:\n"
	"    shrinktrace redact -o s.jsonl t.jsonl        # pseudonyms for addresses\n"
	"    shrinktrace redact --all -o s.jsonl t.jsonl  # task names and ids too\n"
	"    shrinktrace redact - < t.jsonl | gzip > s.jsonl.gz";

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct redact_args *a = state->input;

	switch (key) {
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case OPT_ALL:
		a->all = true;
		break;
	case 'o':
		a->out = arg;
		break;
	case OPT_MODE:
		a->mode = cli_parse_mode(state, arg);
		a->mode_set = true;
		break;
	case ARGP_KEY_ARG:
		if (a->file)
			argp_error(state, "one log FILE at a time ('%s' is a second one)", arg);
		a->file = arg;
		break;
	case ARGP_KEY_NO_ARGS:
		argp_error(state, "no log FILE given (use '-' for standard input)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int redact_main(int argc, char **argv)
{
	struct argp argp = { options, parse_opt, "FILE", doc, NULL, NULL, NULL };
	struct redact_args a = { 0 };
	struct rctx x = { 0 };
	struct st_parse_info info;
	struct st_rec rec;
	char reason[512], **av;
	const char *name;
	char *line = NULL;
	size_t cap = 0;
	uint64_t lineno = 0;
	ssize_t n;
	FILE *in, *out;
	bool to_stdout;
	int rc = RC_CLEAN, werr;

	av = calloc((size_t)argc + 1, sizeof(*av));
	if (!av) {
		fprintf(stderr, "shrinktrace redact: out of memory\n");
		return RC_ERROR;
	}
	memcpy(av, argv, (size_t)argc * sizeof(*av));
	if (argc > 0)
		av[0] = "shrinktrace redact";
	argp_err_exit_status = RC_USAGE;
	if (argp_parse(&argp, argc, av, 0, NULL, &a)) {
		free(av);
		return RC_USAGE;
	}
	free(av);
	to_stdout = !a.out || !strcmp(a.out, "-");
	if (a.mode_set && to_stdout) {
		fprintf(stderr, "shrinktrace redact: --mode is the mode of -o OUT: add -o OUT\n");
		return RC_USAGE;
	}
	if (st_redact_init(&x.red, a.all ? ST_REDACT_ALL : ST_REDACT_ADDRS, NULL)) {
		fprintf(stderr, "shrinktrace redact: no random key from getrandom(): %s\n",
			strerror(errno));
		return RC_ERROR;
	}
	x.comms.slot = calloc(COMM_SLOTS, sizeof(*x.comms.slot));
	if (!x.comms.slot) {
		fprintf(stderr, "shrinktrace redact: out of memory\n");
		return RC_ERROR;
	}
	name = strcmp(a.file, "-") ? a.file : "<stdin>";
	in = strcmp(a.file, "-") ? fopen(a.file, "r") : stdin;
	if (in && in != stdin) {
		struct stat st;

		if (!fstat(fileno(in), &st) && S_ISDIR(st.st_mode)) {
			fclose(in);
			in = NULL;
			errno = EISDIR;
		}
	}
	if (!in) {
		fprintf(stderr, "shrinktrace redact: %s: %s%s\n", a.file, strerror(errno),
			errno == EISDIR ? ": give a log file written by `shrinktrace -o FILE`" : "");
		free(x.comms.slot);
		return RC_ERROR;
	}
	signal(SIGPIPE, SIG_IGN);
	if (to_stdout) {
		fflush(stdout);
		out = st_output_stream(STDOUT_FILENO);
	} else {
		out = st_open_output_mode(a.out, a.mode_set ? a.mode : ST_OUTPUT_MODE);
	}
	if (!out) {
		fprintf(stderr, "shrinktrace redact: cannot write %s: %s: choose a writable path "
			"for -o (a regular file, not a symlink)\n", to_stdout ? "standard output" :
			a.out, st_output_strerror(errno));
		if (in != stdin)
			fclose(in);
		free(x.comms.slot);
		return RC_ERROR;
	}
	while (!ferror(out) && (n = getline(&line, &cap, in)) >= 0) {
		int res;

		lineno++;
		res = st_parse_line_info(line, (size_t)n, &rec, reason, sizeof(reason), &info);
		if (res == ST_PARSE_ERROR) {
			fprintf(stderr, "%s:%" PRIu64 ": %s\n", name, lineno, reason);
			rc = RC_ERROR;
			break;
		}
		if (res == ST_PARSE_BLANK)
			continue;
		if (res == ST_PARSE_HEADER)
			x.list_offset = info.list_offset > 0 ? (unsigned)info.list_offset : 0;
		if (res == ST_PARSE_EVENT && x.red.mode == ST_REDACT_ALL)
			comm_find(&x.comms, rec.comm, strnlen(rec.comm, sizeof(rec.comm)), true);
		if (redact_line(&x, line, (size_t)n, res == ST_PARSE_HEADER, out)) {
			fprintf(stderr, "shrinktrace redact: out of memory\n");
			rc = RC_ERROR;
			break;
		}
	}
	if (rc == RC_CLEAN && ferror(in)) {
		fprintf(stderr, "%s:%" PRIu64 ": read error: %s\n", name, lineno + 1, strerror(errno));
		rc = RC_ERROR;
	}
	free(line);
	if (in != stdin)
		fclose(in);
	fflush(out);
	werr = st_output_error(out);
	if (!werr && ferror(out))
		werr = EIO;
	if (fclose(out) && !werr)
		werr = errno;
	if (werr && !(werr == EPIPE && to_stdout)) {
		fprintf(stderr, "shrinktrace redact: writing %s failed: %s: the lines written before "
			"are complete\n", to_stdout ? "standard output" : a.out, strerror(werr));
		rc = RC_ERROR;
	}
	free(x.comms.slot);
	return rc;
}
