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
 *   - any other string that is a pointer ("0x" + hex) becomes its pseudonym;
 *     inside every other string (the shrinker "name" too: "scan@0x...";
 *     "detail" names shrinkers by address) every kernel address becomes its
 *     pseudonym, as st_redact_text() finds them (log/redact.h), so fields
 *     added to the format later are covered;
 *   - with --all: "comm" and "walker_comm" become "", "pid" and "walker_pid"
 *     pseudonyms, and in "detail" each "NAME (pid N)" loses NAME and gets N's
 *     pseudonym; NAME must be a task name seen in the log so far, and N a
 *     well-formed task id, else the whole detail is withheld (replaced by a
 *     fixed sentence).
 * Member names go through st_redact_text() too (the format's own names come
 * out as they are).  Timestamps and counts are kept.
 * Blank lines are dropped.  Lines are read by log/reader.c (st_log_next_line():
 * the same limits and errors as replay).
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
#include "front/redact_cmd.h"
#include "lib/htab.h"
#include "lib/util.h"

#define RC_CLEAN 0
#define RC_ERROR 1
#define RC_USAGE 2

/* Task names seen so far (--all), for "NAME (pid N)" in details: the keyed
 * table of lib/htab.h (a log's names cannot be made to collide), at most
 * COMM_MAX of them. */
#define COMM_MAX (1u << 15)

struct comm_ent {
	struct htab_node node;	/* key: htab_hash_str(name) */
	char name[ST_REC_COMM_LEN];
};

struct comm_set {
	struct htab t;
};

struct rctx {
	struct st_redact red;
	unsigned list_offset;
	struct comm_set comms;
	bool is_violation;
};

/* Is s[0..n) in the set?  With add, put it there (when there is room). */
static bool comm_find(struct comm_set *cs, const char *s, size_t n, bool add)
{
	uint64_t h;
	struct comm_ent *e;

	if (n == 0 || n >= ST_REC_COMM_LEN)
		return false;
	h = htab_hash_str(s, n);
	for (struct htab_node *x = htab_first(&cs->t, h); x; x = htab_next(x)) {
		e = container_of(x, struct comm_ent, node);
		if (strlen(e->name) == n && !memcmp(e->name, s, n))
			return true;
	}
	if (add && cs->t.n < COMM_MAX && (e = calloc(1, sizeof(*e)))) {
		memcpy(e->name, s, n);
		e->node.key = h;
		if (htab_add(&cs->t, &e->node))
			free(e);
	}
	return false;
}

static void comm_free(struct comm_set *cs)
{
	htab_each(&cs->t, i, x, nx)
		free(container_of(x, struct comm_ent, node));
	htab_free(&cs->t);
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

/* Every kernel address inside s -> its pseudonym (st_redact_text()). */
static void scrub_addrs(const struct rctx *x, const char *s, struct sbuf *out)
{
	size_t n = strlen(s);
	char *t = malloc(n + 1);

	if (!t) {
		out->oom = true;
		return;
	}
	n = st_redact_text(&x->red, s, n, t, n + 1);
	sb_add(out, t, n);
	free(t);
}

#define WITHHELD "detail withheld by shrinktrace redact --all: it names a task whose name " \
		 "is not in the log"

/* --all: "NAME (pid N)" -> " (pid P)" with NAME a known task name and N a
 * task id (an int, "-2147483648" included); returns false when a "(pid "
 * is anything else, a NAME is not known, or N is no int (the caller
 * withholds the text: a cut or crafted detail keeps no name). */
static bool scrub_tasks(struct rctx *x, const char *s, struct sbuf *out)
{
	size_t n = strlen(s), done = 0;
	const char *p = s;

	while ((p = strstr(p, "(pid ")) != NULL) {
		size_t at = (size_t)(p - s), cut = at, j = at + 5, digits = 0;
		int64_t mag = 0;
		bool neg = false, found = false;
		char num[32];
		int pid;

		if (j < n && s[j] == '-') {
			neg = true;
			j++;
		}
		for (; j < n && s[j] >= '0' && s[j] <= '9'; j++, digits++)
			if (mag <= (int64_t)INT32_MAX + 1)
				mag = mag * 10 + (s[j] - '0');
		if (!digits || j >= n || s[j] != ')' || mag > (int64_t)INT32_MAX + neg)
			return false;
		pid = neg ? (int)-mag : (int)mag;
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
		snprintf(num, sizeof(num), " (pid %d)", st_redact_pid(&x->red, pid));
		sb_add(out, num, strlen(num));
		done = j + 1;
		p = s + done;
	}
	sb_add(out, s + done, n - done);
	return true;
}

/* ---- one record ---------------------------------------------------------- */

static json_object *redact_value(struct rctx *x, const char *key, json_object *v);

/* A member's name, as a text: the format's own names come out as they are,
 * an address hidden in an unknown one does not.  NULL on ENOMEM. */
static char *redact_key(const struct rctx *x, const char *k)
{
	size_t n = strlen(k);
	char *t = malloc(n + 1);

	if (t)
		st_redact_text(&x->red, k, n, t, n + 1);
	return t;
}

/* Add v under the redacted name k.  0, or -1 on ENOMEM. */
static int add_member(const struct rctx *x, json_object *o, const char *k, json_object *v)
{
	char *rk = redact_key(x, k);

	if (!rk) {
		json_object_put(v);
		return -1;
	}
	json_object_object_add(o, rk, v);
	free(rk);
	return 0;
}

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
		/* every string, the format's own words too: they hold no
		 * address, and a crafted one keeps none */
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

			if ((val && !nv) || add_member(x, o, k, nv)) {
				json_object_put(o);
				return NULL;
			}
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

/* --all: what the tracer's --redact=all leaves out beyond comm and pid: the
 * header's filters name a task ("comm": "(redacted)", "pid": its pseudonym)
 * and a memcg record's "path" names a cgroup, often a user's or a job's
 * ("path": "").  0, or -1 on ENOMEM. */
static int all_extra(struct rctx *x, json_object *res, bool header)
{
	json_object *o, *v, *t;

	if (header && json_object_object_get_ex(res, "filters", &o) &&
	    json_object_is_type(o, json_type_object)) {
		if (json_object_object_get_ex(o, "comm", &v) &&
		    (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) > 0)) {
			if (!(t = json_object_new_string("(redacted)")))
				return -1;
			json_object_object_add(o, "comm", t);
		}
		if (json_object_object_get_ex(o, "pid", &v)) {
			int64_t pid = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;

			t = json_object_new_int64(pid >= 0 && pid <= INT32_MAX ?
						  st_redact_pid(&x->red, (int)pid) : 0);
			if (!t)
				return -1;
			json_object_object_add(o, "pid", t);
		}
	}
	if (json_object_object_get_ex(res, "type", &v) && json_object_is_type(v, json_type_string) &&
	    !strcmp(json_object_get_string(v), "memcg") &&
	    json_object_object_get_ex(res, "path", &o)) {
		if (!(t = json_object_new_string("")))
			return -1;
		json_object_object_add(res, "path", t);
	}
	return 0;
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

			if ((v && !nv) || add_member(x, res, k, nv))
				goto out;
		}
	}
	if (x->red.mode == ST_REDACT_ALL && all_extra(x, res, header))
		goto out;
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
	  "('-'): a new file, mode 0600, put in place of an earlier OUT only once complete; "
	  "never through a symlink, never what is not a regular file, never the input FILE", 0 },
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

int redact_log(struct st_log *lg, FILE *out, bool all, const uint8_t *key)
{
	struct rctx x = { 0 };
	struct st_log_line l;
	int rc = REDACT_OK, n = 0;

	if (st_redact_init(&x.red, all ? ST_REDACT_ALL : ST_REDACT_ADDRS, key)) {
		fprintf(stderr, "shrinktrace redact: no random key from getrandom(): %s\n",
			strerror(errno));
		return REDACT_ERROR;
	}
	while (!ferror(out) && (n = st_log_next_line(lg, &l)) > 0) {
		if (l.res == ST_PARSE_BLANK)
			continue;
		if (l.res == ST_PARSE_HEADER)
			x.list_offset = l.info.list_offset > 0 ? (unsigned)l.info.list_offset : 0;
		if (l.res == ST_PARSE_EVENT && x.red.mode == ST_REDACT_ALL)
			comm_find(&x.comms, l.rec.comm, strnlen(l.rec.comm, sizeof(l.rec.comm)), true);
		if (redact_line(&x, l.text, l.len, l.res == ST_PARSE_HEADER, out)) {
			fprintf(stderr, "shrinktrace redact: out of memory\n");
			rc = REDACT_ERROR;
			break;
		}
	}
	if (rc == REDACT_OK && n < 0) {
		fprintf(stderr, "%s\n", st_log_error(lg));
		rc = REDACT_ERROR;
	}
	if (rc == REDACT_OK && st_log_warning(lg))
		fprintf(stderr, "%s\n", st_log_warning(lg));
	comm_free(&x.comms);
	return rc;
}

int redact_main(int argc, char **argv)
{
	struct argp argp = { options, parse_opt, "FILE", doc, NULL, NULL, NULL };
	struct redact_args a = { 0 };
	char err[512], out_shown[512], **av;
	struct st_log *lg;
	FILE *out;
	bool to_stdout;
	int rc, werr;

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
	st_clean_text(out_shown, sizeof(out_shown), to_stdout ? "standard output" : a.out);
	if (a.mode_set && to_stdout) {
		fprintf(stderr, "shrinktrace redact: --mode is the mode of -o OUT: add -o OUT\n");
		return RC_USAGE;
	}
	/* the output is never the input (by name or inode, - included) */
	if (st_output_is_input(a.out, a.file)) {
		char o[256], in[256];

		st_clean_text(o, sizeof(o), to_stdout ? "standard output" : a.out);
		st_clean_text(in, sizeof(in), strcmp(a.file, "-") ? a.file : "standard input");
		fprintf(stderr, "shrinktrace redact: the output (%s) is the input %s: write to "
			"another file\n", o, in);
		return RC_USAGE;
	}
	lg = st_log_open(a.file, err, sizeof(err));
	if (!lg) {
		fprintf(stderr, "shrinktrace redact: %s\n", err);
		return RC_ERROR;
	}
	signal(SIGPIPE, SIG_IGN);
	if (to_stdout) {
		fflush(stdout);
		out = st_output_stream(STDOUT_FILENO);
	} else {
		/* a fresh file, in place of an earlier OUT only once complete */
		out = st_output_create(a.out, a.mode_set ? a.mode : ST_OUTPUT_MODE, 0);
	}
	if (!out) {
		fprintf(stderr, "shrinktrace redact: cannot write %s: %s: choose a writable path "
			"for -o (a regular file, not a symlink)\n", out_shown, st_output_strerror(errno));
		st_log_close(lg);
		return RC_ERROR;
	}
	rc = redact_log(lg, out, a.all, NULL);
	st_log_close(lg);
	fflush(out);
	werr = st_output_error(out);
	if (!werr && ferror(out))
		werr = EIO;
	if (!werr && rc == RC_CLEAN && !to_stdout && st_output_commit(out))
		werr = errno;
	if (fclose(out) && !werr)
		werr = errno;
	if (werr && !(werr == EPIPE && to_stdout)) {
		fprintf(stderr, "shrinktrace redact: writing %s failed: %s%s\n", out_shown,
			to_stdout ? strerror(werr) : st_output_strerror(werr),
			to_stdout ? ": the lines written before are complete" :
			": it is left as it was before");
		rc = RC_ERROR;
	}
	return rc;
}
