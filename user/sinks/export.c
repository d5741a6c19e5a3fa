// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sinks/export.c - dispatch to the CSV and Perfetto writers (see sinks/export.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/export.h"
#include "sinks/csv.h"
#include "sinks/perfetto.h"

struct st_export {
	enum st_export_fmt fmt;
	struct csv_out *csv;
	struct pf_out *pf;
};

static const char *const names[] = {
	[ST_EXPORT_JSONL] = "jsonl",
	[ST_EXPORT_CSV] = "csv",
	[ST_EXPORT_PERFETTO] = "perfetto",
};

int st_export_fmt_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

const char *st_export_fmt_name(enum st_export_fmt fmt)
{
	return (unsigned)fmt < sizeof(names) / sizeof(names[0]) ? names[fmt] : "?";
}

struct st_export *st_export_new(enum st_export_fmt fmt, FILE *f)
{
	struct st_export *e;

	if (fmt != ST_EXPORT_CSV && fmt != ST_EXPORT_PERFETTO) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->fmt = fmt;
	if (fmt == ST_EXPORT_CSV)
		e->csv = csv_out_new(f);
	else
		e->pf = pf_out_new(f);
	if (!e->csv && !e->pf) {
		free(e);
		errno = ENOMEM;
		return NULL;
	}
	return e;
}

void st_export_header(struct st_export *e, const char *kernel, const char *backend,
		      uint64_t start_ts)
{
	if (e->pf)
		pf_out_header(e->pf, kernel, backend, start_ts);
}

void st_export_begin(struct st_export *e)
{
	if (e->csv)
		csv_out_finish(e->csv);		/* the header row, if not yet */
	else
		pf_out_begin(e->pf);
}

void st_export_event(struct st_export *e, const struct st_rec *r)
{
	if (e->csv)
		csv_out_event(e->csv, r);
	else
		pf_out_event(e->pf, r);
}

void st_export_violation(struct st_export *e, const struct st_violation *v)
{
	if (e->csv)
		csv_out_violation(e->csv, v);
	else
		pf_out_violation(e->pf, v);
}

void st_export_finish(struct st_export *e)
{
	if (e->csv)
		csv_out_finish(e->csv);
	else
		pf_out_finish(e->pf);
}

int st_export_error(const struct st_export *e)
{
	return e->csv ? csv_out_error(e->csv) : pf_out_error(e->pf);
}

void st_export_free(struct st_export *e)
{
	if (!e)
		return;
	csv_out_free(e->csv);
	pf_out_free(e->pf);
	free(e);
}
