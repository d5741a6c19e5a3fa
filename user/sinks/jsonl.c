// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sinks/jsonl.c - the event log as a sink (see sinks/jsonl.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "lib/util.h"

#include "log/outfile.h"
#include "log/writer.h"
#include "sinks/jsonl.h"
#include "sinks/registry.h"

struct jsonl_sink {
	struct sink sink;
	FILE *f;
	unsigned flags;
	int err;		/* first write error */
	/* --rotate */
	bool rotating;
	struct jsonl_rotate rot;
	int dirfd;		/* the directory of the first file, -1 until the first rotation */
	char *dirpath;		/* its path as given (for the checks), or NULL */
	uint64_t bytes;		/* in the current file */
	uint64_t hdr_len;	/* its header's */
	unsigned part;
	char run[40];
	struct sink_begin b;	/* for the header of each part */
	char kernel[128], backend[32], redacted[16];
	char buf[ST_JSONL_MAX];
	char hdr[1024];
};

static struct jsonl_sink *js_of(struct sink *s)
{
	return (struct jsonl_sink *)s;
}

static void write_raw(struct jsonl_sink *j, const char *p, int n)
{
	if (j->err || n <= 0 || !j->f)
		return;
	errno = 0;
	if (fwrite(p, 1, (size_t)n, j->f) != (size_t)n)
		j->err = errno ? errno : EIO;
	/* the file's size as ST_OUT_PAGES pads it, line by line */
	for (int i = 0; i < n;) {
		const char *nl = memchr(p + i, '\n', (size_t)(n - i));
		int l = nl ? (int)(nl - (p + i)) + 1 : n - i;

		j->bytes = st_output_line_end(j->bytes, (uint64_t)l);
		i += l;
	}
}

static int header(struct jsonl_sink *j)
{
	const struct sink_begin *b = &j->b;

	struct st_header h = {
		.kernel = b->kernel, .backend = b->backend, .start_ts = b->start_ts,
		.list_offset = b->list_offset, .redacted = b->redacted,
		.run = j->run[0] ? j->run : NULL, .part = j->run[0] ? j->part : 0,
		.mode = b->mode, .nhooks = b->nhooks, .hook = b->hook, .hook_mech = b->hook_mech,
		.pid = b->filter_pid, .comm = b->filter_comm, .memcg_id = b->filter_memcg_id,
		.min_latency_ns = b->filter_min_latency_ns, .shrinker = b->filter_shrinker,
	};

	return st_jsonl_format_header_h(j->hdr, sizeof(j->hdr), &h);
}

static void close_current(struct jsonl_sink *j)
{
	if (!j->f)
		return;
	if (fclose(j->f) && !j->err)
		j->err = errno ? errno : EIO;
	j->f = NULL;
}

/* FILE -> FILE.1 -> ... -> FILE.KEEP, a new FILE with the next part's header.
 * All in the directory the first FILE was made in (its descriptor): the path
 * is never resolved again, so a directory moved away and replaced (by a
 * symlink to /etc, say) cannot lead the renames and the new file elsewhere. */
static void rotate(struct jsonl_sink *j)
{
	char from[4096], to[4096];
	const char *base = strrchr(j->rot.path, '/');

	base = base ? base + 1 : j->rot.path;
	if (j->dirfd < 0 && j->f) {
		j->dirfd = st_output_dir(j->f, &j->dirpath);
		if (j->dirfd < 0) {
			j->err = errno ? errno : EIO;
			return;
		}
	}
	close_current(j);
	if (j->err)
		return;
	for (unsigned k = j->rot.keep; k >= 1; k--) {
		if (k == 1)
			snprintf(from, sizeof(from), "%s", base);
		else
			snprintf(from, sizeof(from), "%s.%u", base, k - 1);
		snprintf(to, sizeof(to), "%s.%u", base, k);
		if (renameat(j->dirfd, from, j->dirfd, to) && errno != ENOENT) {
			j->err = errno;
			return;
		}
	}
	/* a fresh inode, whole lines under SIGKILL too, as the first file */
	j->f = st_output_create_at(j->dirfd, j->dirpath, base, j->rot.mode, ST_OUT_PAGES);
	if (!j->f || st_output_commit(j->f)) {
		j->err = errno ? errno : EIO;
		if (j->f)
			fclose(j->f);
		j->f = NULL;
		return;
	}
	j->bytes = 0;
	j->part++;
	write_raw(j, j->hdr, header(j));
}

static void put(struct jsonl_sink *j, int n)
{
	if (j->err || n <= 0)
		return;
	/* whole lines: a line that would take the file past the size opens the next
	 * file, unless the file holds nothing but its header */
	if (j->rotating && j->bytes + (uint64_t)n > j->rot.max_bytes && j->bytes > j->hdr_len)
		rotate(j);
	write_raw(j, j->buf, n);
}

static void js_begin(struct sink *s, const struct sink_begin *b)
{
	struct jsonl_sink *j = js_of(s);

	if (j->flags & JSONL_VIOLATIONS_ONLY)
		return;
	j->b = *b;
	st_copy_str(j->kernel, sizeof(j->kernel), b->kernel ? b->kernel : "", SIZE_MAX);
	st_copy_str(j->backend, sizeof(j->backend), b->backend ? b->backend : "", SIZE_MAX);
	j->b.kernel = j->kernel;
	j->b.backend = j->backend;
	if (b->redacted) {
		st_copy_str(j->redacted, sizeof(j->redacted), b->redacted, SIZE_MAX);
		j->b.redacted = j->redacted;
	}
	if (b->run_id)
		st_copy_str(j->run, sizeof(j->run), b->run_id, SIZE_MAX);
	j->part = 1;
	j->hdr_len = 0;
	{
		int n = header(j);

		if (n > 0)
			j->hdr_len = (uint64_t)n;
		write_raw(j, j->hdr, n);
	}
}

static void js_event(struct sink *s, const struct sink_event *e)
{
	struct jsonl_sink *j = js_of(s);

	if (!(j->flags & JSONL_VIOLATIONS_ONLY))
		put(j, st_jsonl_format_rec(j->buf, sizeof(j->buf), e->r));
}

static void js_violation(struct sink *s, const struct st_violation *v)
{
	struct jsonl_sink *j = js_of(s);

	put(j, st_jsonl_format_violation(j->buf, sizeof(j->buf), v));
}

static void js_memcg(struct sink *s, uint64_t memcg, uint64_t id, const char *path)
{
	struct jsonl_sink *j = js_of(s);

	if (!(j->flags & JSONL_VIOLATIONS_ONLY))
		put(j, st_jsonl_format_memcg(j->buf, sizeof(j->buf), memcg, id, path));
}

static void js_stack(struct sink *s, int id, const char *frames)
{
	struct jsonl_sink *j = js_of(s);

	if (!(j->flags & JSONL_VIOLATIONS_ONLY))
		put(j, st_jsonl_format_stack(j->buf, sizeof(j->buf), id, frames));
}

/* The log is readable while the trace runs: at most one poll late. */
static void js_tick(struct sink *s, const struct sink_state *st)
{
	struct jsonl_sink *j = js_of(s);

	(void)st;
	if (!j->err && j->f && st_output_flush(j->f))
		j->err = errno ? errno : EIO;
}

static void js_finish(struct sink *s, const struct sink_state *st)
{
	struct jsonl_sink *j = js_of(s);

	js_tick(s, st);
	if (j->rotating)
		close_current(j);
}

static int js_error(const struct sink *s)
{
	const struct jsonl_sink *j = (const struct jsonl_sink *)s;

	return j->err ? j->err : j->f ? st_output_error(j->f) : 0;
}

static void js_free(struct sink *s)
{
	struct jsonl_sink *j = js_of(s);

	if (j->rotating)
		close_current(j);
	if (j->dirfd >= 0)
		close(j->dirfd);
	free(j->dirpath);
	free(s);
}

static const struct sink_ops jsonl_ops = {
	.name = "jsonl", .begin = js_begin, .event = js_event, .violation = js_violation,
	.memcg = js_memcg, .stack = js_stack,
	.tick = js_tick, .finish = js_finish, .error = js_error, .free = js_free,
};

struct sink *jsonl_sink_new(FILE *f, unsigned flags)
{
	struct jsonl_sink *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->sink.ops = &jsonl_ops;
	j->f = f;
	j->flags = flags;
	j->dirfd = -1;
	return &j->sink;
}

struct sink *jsonl_sink_new_rotating(FILE *f, const struct jsonl_rotate *rot)
{
	struct sink *s = jsonl_sink_new(f, 0);
	struct jsonl_sink *j;

	if (!s)
		return NULL;
	j = js_of(s);
	j->rotating = true;
	j->rot = *rot;
	if (j->rot.keep < 1)
		j->rot.keep = 1;
	if (j->rot.max_bytes < JSONL_ROTATE_MIN)
		j->rot.max_bytes = JSONL_ROTATE_MIN;
	return s;
}

int jsonl_parse_rotate(const char *s, struct jsonl_rotate *rot, char *why, size_t len)
{
	unsigned long long v, k = JSONL_ROTATE_DEFAULT_KEEP;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-' || *s == '+')
		goto bad;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	if (*end == ',') {
		const char *ks = end + 1;

		errno = 0;
		k = strtoull(ks, &end, 10);
		if (errno || end == ks || *ks == '-' || *ks == '+' || *end || k < 1 ||
		    k > JSONL_ROTATE_MAX_KEEP) {
			snprintf(why, len, "'%s': KEEP must be a number of files from 1 to %d", s,
				 JSONL_ROTATE_MAX_KEEP);
			return -1;
		}
	} else if (*end) {
		goto bad;
	}
	if (v < JSONL_ROTATE_MIN || v > (1ULL << 50)) {
		snprintf(why, len, "'%s': SIZE must be at least %d bytes (4K)", s, JSONL_ROTATE_MIN);
		return -1;
	}
	rot->max_bytes = v;
	rot->keep = (unsigned)k;
	return 0;
bad:
	snprintf(why, len, "'%s' is not SIZE[,KEEP] (e.g. 100M,5: files of at most 100 MiB, "
		 "5 old ones kept)", s);
	return -1;
}

/* ---- the row of the table of sinks (sinks/registry.h) ----------------------------- */

#define OPT_ROTATE (SINK_OPT_KEY_MIN + 0x10)

extern const struct sink_desc jsonl_sink_desc;

struct jsonl_conf {
	struct jsonl_rotate rotate;	/* --rotate; max_bytes 0: none */
};

static const struct argp_option jsonl_options[] = {
	{ "rotate", OPT_ROTATE, "SIZE[,KEEP]", 0, "Rotate the -o FILE (jsonl) by size: before "
	  "FILE would pass SIZE bytes (K, M, G suffixes; at least 4K) it becomes FILE.1 (FILE.1 "
	  "becomes FILE.2, ... FILE.KEEP; default KEEP 5) and a new FILE begins, with a header "
	  "of the same run and the next part. `shrinktrace replay FILE*` (the files in any "
	  "order) reads them as one run", 0 },
	{ 0 }
};

static error_t jsonl_parse(int key, char *arg, struct argp_state *state)
{
	struct jsonl_conf *c = state->input;
	char why[320];

	if (key != OPT_ROTATE)
		return ARGP_ERR_UNKNOWN;
	if (jsonl_parse_rotate(arg, &c->rotate, why, sizeof(why))) {
		argp_error(state, "--rotate: %s", why);	/* exits, unless ARGP_NO_EXIT */
		return EINVAL;
	}
	return 0;
}

static const struct argp jsonl_argp = { jsonl_options, jsonl_parse, NULL, NULL, NULL, NULL, NULL };

static int jsonl_check(void *conf, const struct sink_args *a, char *why, size_t len)
{
	const struct jsonl_conf *c = conf;

	if (c->rotate.max_bytes && (!a->out_path || a->format != &jsonl_sink_desc)) {
		snprintf(why, len, "--rotate rotates the -o FILE of the jsonl log: add -o FILE (and "
			 "no --format csv/perfetto)");
		return -1;
	}
	return 0;
}

static int jsonl_open(void *conf, struct sink_args *a, const struct sinks *before,
		      struct sink **out, char *err, size_t len)
{
	const struct jsonl_conf *c = conf;

	if (!a->live) {
		/* replay --format jsonl: the violation records alone */
		*out = jsonl_sink_new(a->out, JSONL_VIOLATIONS_ONLY);
	} else if (c->rotate.max_bytes) {
		struct jsonl_rotate rot = c->rotate;

		rot.path = a->out_path;
		rot.mode = a->out_mode;
		*out = jsonl_sink_new_rotating(a->out, &rot);
		a->out_taken = *out != NULL;	/* the sink closes it (and every later file) */
	} else {
		*out = jsonl_sink_new(a->out, 0);
	}
	return *out ? 0 : -1;
}

/* The tracer's -o FILE (the default format) with --rotate; replay --format
 * jsonl. */
const struct sink_desc jsonl_sink_desc = {
	.name = "jsonl", .format = "jsonl", .flags = SINK_LIVE | SINK_REPLAY | SINK_PAGED,
	.conf_size = sizeof(struct jsonl_conf), .argp = &jsonl_argp, .options_in = SINK_LIVE,
	.check = jsonl_check, .open = jsonl_open,
};
