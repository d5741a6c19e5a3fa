/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fuzz_convert.c - libFuzzer target over `shrinktrace redact` and the CSV
 * conversion of `replay --format csv` (`make fuzz`, issue 15.7).
 *
 * The input is a log.  It is read through fmemopen() by the reader the
 * commands use (user/log/reader.c) and:
 *   1. rewritten by redact_log() (front/redact_cmd.c), with a fixed key, once
 *      per mode (addrs, all), into memory;
 *   2. replayed, the input and each rewritten log, through the correlator
 *      (runs split at a header after events, as replay does);
 *   3. converted to CSV (sinks/csv.c) up to its first second header (the
 *      conversion refuses more), into memory.
 *
 * Oracles beyond ASan/UBSan/LSan and libFuzzer's hang detection:
 *   - redact fails exactly when the reader refuses the input;
 *   - every line redact writes reads back (no ST_PARSE_ERROR), one for each
 *     line of the input that is not blank;
 *   - no kernel address of the input (a run of hex digits, after "0x" or as
 *     %px's 16, whose value is >= 0xffff000000000000) is in what redact
 *     wrote, in either spelling;
 *   - with --all no task name of the input's events is left in a "comm", and no
 *     memcg record keeps its "path";
 *   - the rewritten logs give the same verdicts as the input: the same kinds
 *     and certainty in the same order, the same number of events, per run;
 *   - every CSV row has as many cells as the header row (RFC 4180 quoting).
 *
 * Run inputs by hand: build/fuzz/fuzz_convert FILE...
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/correlate.h"
#include "front/redact_cmd.h"
#include "log/reader.h"
#include "sinks/csv.h"

#define NAME "<fuzz>"

static const uint8_t key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static __attribute__((noreturn)) void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_convert: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

/* ---- verdicts --------------------------------------------------------------- */

struct verdicts {
	char *kinds;		/* one letter per violation: 'a' + kind, upper case when certain */
	size_t n, cap;
	uint64_t events;
	unsigned runs;
};

static void on_violation(const struct st_violation *v, void *ctx)
{
	struct verdicts *vd = ctx;

	if (vd->n + 2 > vd->cap) {
		vd->cap = vd->cap ? vd->cap * 2 : 64;
		vd->kinds = realloc(vd->kinds, vd->cap);
		if (!vd->kinds)
			fail("realloc", NULL);
	}
	vd->kinds[vd->n++] = (char)((v->certain ? 'A' : 'a') + v->kind);
	vd->kinds[vd->n] = '\0';
}

static struct corr *new_corr(struct verdicts *vd)
{
	struct corr_opts o = { .stuck_after_ns = 10ULL * 1000 * 1000 * 1000,
			       .reorder_window_ns = 50ULL * 1000 * 1000 };
	struct corr *c = corr_new(&o, &(struct corr_cbs){ .on_violation = on_violation, .ctx = vd });

	if (!c)
		fail("corr_new", NULL);
	return c;
}

/* Replay buf as `shrinktrace replay` does.  Returns false on a reader error. */
static bool replay(const char *buf, size_t len, struct verdicts *vd)
{
	FILE *f = fmemopen((void *)buf, len, "r");
	struct st_log *lg;
	struct corr *c;
	struct st_rec r;
	char err[512];
	int rc;

	memset(vd, 0, sizeof(*vd));
	vd->runs = 1;
	if (!len)
		return true;
	if (!f || !(lg = st_log_open_stream(f, NAME, err, sizeof(err))))
		fail("fmemopen/st_log_open_stream", NULL);
	st_log_split_runs(lg, true);
	c = new_corr(vd);
	while ((rc = st_log_next(lg, &r)) > 0) {
		if (rc == ST_LOG_NEW_RUN) {
			corr_finish(c);
			corr_free(c);
			c = new_corr(vd);
			vd->runs++;
			on_violation(&(struct st_violation){ .kind = 25 }, vd);	/* a separator */
			continue;
		}
		corr_set_list_offset(c, st_log_list_offset(lg));
		vd->events++;
		if (corr_push(c, &r))
			fail("corr_push", "out of memory");
	}
	corr_finish(c);
	corr_free(c);
	st_log_close(lg);
	fclose(f);
	return rc == 0;
}

/* ---- addresses ---------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Kernel-half values written in hex in buf (after "0x", or 16 bare digits),
 * as the redactor must find them.  Returns how many went into out. */
static size_t kernel_addrs(const char *buf, size_t len, uint64_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n < max;) {
		bool pre = buf[i] == '0' && i + 2 < len && (buf[i + 1] | 0x20) == 'x' &&
			   hexval(buf[i + 2]) >= 0;
		size_t j = pre ? i + 2 : i, z, d;
		uint64_t v = 0;

		if (!pre && hexval(buf[i]) < 0) {
			i++;
			continue;
		}
		while (j < len && hexval(buf[j]) >= 0 &&
		       (pre || j == i || !(buf[j] == '0' && j + 2 < len && (buf[j + 1] | 0x20) == 'x' &&
					     hexval(buf[j + 2]) >= 0)))
			j++;
		d = pre ? i + 2 : i;
		for (z = d; z < j && buf[z] == '0'; z++)
			;
		if (j - z <= 16 && (pre || j - d == 16)) {
			for (size_t k = z; k < j; k++)
				v = (v << 4) | (uint64_t)hexval(buf[k]);
			if (v >= 0xffff000000000000ULL)
				out[n++] = v;
		}
		i = j;
	}
	return n;
}

/* ---- CSV ------------------------------------------------------------------------ */

static void on_event_csv(const struct st_rec *r, const struct corr_event *e, void *ctx)
{
	(void)e;
	csv_out_event(ctx, r);
}

static void on_violation_csv(const struct st_violation *v, void *ctx)
{
	csv_out_violation(ctx, v);
}

/* Cells of each row of an RFC 4180 text; false when a row differs from the first. */
static bool csv_rows_even(const char *b, size_t n)
{
	size_t cells = 1, want = 0;
	bool q = false, first = true;

	for (size_t i = 0; i < n; i++) {
		if (q) {
			if (b[i] == '"') {
				if (i + 1 < n && b[i + 1] == '"')
					i++;
				else
					q = false;
			}
			continue;
		}
		if (b[i] == '"')
			q = true;
		else if (b[i] == ',')
			cells++;
		else if (b[i] == '\n') {
			if (first)
				want = cells;
			else if (cells != want)
				return false;
			first = false;
			cells = 1;
		}
	}
	return !q;
}

static void convert_csv(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size, "r");
	char *out = NULL, err[512];
	size_t outlen = 0;
	FILE *o = open_memstream(&out, &outlen);
	struct csv_out *cw;
	struct st_log *lg;
	struct corr *c;
	struct st_rec r;
	struct corr_opts opts = { .stuck_after_ns = 10ULL * 1000 * 1000 * 1000,
				  .reorder_window_ns = 50ULL * 1000 * 1000 };

	if (!f || !o || !(lg = st_log_open_stream(f, NAME, err, sizeof(err))) || !(cw = csv_out_new(o)))
		fail("fmemopen/open_memstream/csv_out_new", NULL);
	st_log_split_runs(lg, true);
	c = corr_new(&opts, &(struct corr_cbs){ .on_event = on_event_csv,
						.on_violation = on_violation_csv, .ctx = cw });
	if (!c)
		fail("corr_new", NULL);
	for (int rc; (rc = st_log_next(lg, &r)) > 0 && rc != ST_LOG_NEW_RUN;) {
		corr_set_list_offset(c, st_log_list_offset(lg));
		if (corr_push(c, &r))
			fail("corr_push", "out of memory");
	}
	corr_finish(c);
	csv_out_finish(cw);
	corr_free(c);
	if (csv_out_error(cw))
		fail("CSV write error", NULL);
	csv_out_free(cw);
	if (fclose(o))
		fail("open_memstream", NULL);
	if (!csv_rows_even(out, outlen))
		fail("a CSV row has another number of cells than the header", NULL);
	free(out);
	st_log_close(lg);
	fclose(f);
}

/* ---- redact ----------------------------------------------------------------------- */

static void check_redact(const uint8_t *data, size_t size, bool all, bool readable,
			 const struct verdicts *v0, const uint64_t *addrs, size_t naddrs)
{
	FILE *f = fmemopen((void *)data, size, "r"), *o, *back;
	char *out = NULL, err[512], hex[40];
	size_t outlen = 0, in_lines = 0, out_lines = 0;
	struct st_log *lg;
	struct st_log_line l;
	struct verdicts v1;
	int rc;

	o = open_memstream(&out, &outlen);
	if (!f || !o || !(lg = st_log_open_stream(f, NAME, err, sizeof(err))))
		fail("fmemopen/open_memstream/st_log_open_stream", NULL);
	rc = redact_log(lg, o, all, key);
	st_log_close(lg);
	fclose(f);
	if (fclose(o))
		fail("open_memstream", NULL);
	if ((rc == REDACT_OK) != readable)
		fail(readable ? "redact refused a log the reader takes" :
		     "redact took a log the reader refuses", NULL);
	if (rc != REDACT_OK) {
		free(out);
		return;
	}
	/* the lines: each reads back, one per line of the input that is not blank */
	f = fmemopen((void *)data, size, "r");
	lg = st_log_open_stream(f, NAME, err, sizeof(err));
	while (st_log_next_line(lg, &l) > 0)
		in_lines += l.res != ST_PARSE_BLANK;
	st_log_close(lg);
	fclose(f);
	if (outlen) {
		back = fmemopen(out, outlen, "r");
		lg = st_log_open_stream(back, NAME, err, sizeof(err));
		while ((rc = st_log_next_line(lg, &l)) > 0) {
			out_lines++;
			if (all && l.res == ST_PARSE_EVENT && l.rec.comm[0])
				fail("redact --all left a task name", l.rec.comm);
			if (all && l.res == ST_PARSE_MEMCG && l.info.path[0])
				fail("redact --all left a memcg path", l.info.path);
		}
		if (rc < 0)
			fail("a line redact wrote does not read back", st_log_error(lg));
		if (st_log_warning(lg))
			fail("redact wrote a cut line", st_log_warning(lg));
		st_log_close(lg);
		fclose(back);
	}
	if (out_lines != in_lines)
		fail("redact wrote another number of lines", NULL);
	/* no address of the input, in either spelling */
	for (size_t i = 0; i < naddrs; i++) {
		snprintf(hex, sizeof(hex), "%" PRIx64, addrs[i]);
		if (outlen && memmem(out, outlen, hex, strlen(hex)))
			fail("a kernel address of the input is in redact's output", hex);
		snprintf(hex, sizeof(hex), "%" PRIX64, addrs[i]);
		if (outlen && memmem(out, outlen, hex, strlen(hex)))
			fail("a kernel address of the input is in redact's output", hex);
	}
	/* the same verdicts */
	if (!replay(out, outlen, &v1))
		fail("redact's output does not replay", NULL);
	if (v1.events != v0->events || v1.runs != v0->runs || v1.n != v0->n ||
	    (v1.n && memcmp(v1.kinds, v0->kinds, v1.n)))
		fail(all ? "redact --all changed the verdicts" : "redact changed the verdicts",
		     v1.kinds ? v1.kinds : "(none)");
	free(v1.kinds);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t addrs[4096];
	struct verdicts v0;
	size_t naddrs;
	bool readable;

	if (size == 0)
		return 0;
	readable = replay((const char *)data, size, &v0);
	/* only the input's addresses that the redactor is to see: bytes a JSON
	 * string escapes are not the ones it reads, so an input with
	 * backslashes is checked for lines and verdicts only */
	naddrs = memchr(data, '\\', size) ? 0 : kernel_addrs((const char *)data, size, addrs, 4096);
	check_redact(data, size, false, readable, &v0, addrs, naddrs);
	check_redact(data, size, true, readable, &v0, addrs, naddrs);
	if (readable)
		convert_csv(data, size);
	free(v0.kinds);
	return 0;
}
