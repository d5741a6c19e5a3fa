// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sinks/csv.c - RFC 4180 rows of events and violations (see sinks/csv.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonw.h"
#include "sinks/csv.h"

/* The columns: "type", every field of the table (log/event.h) in its order,
 * then the violation's own. */
enum col {
	C_TYPE,
	C_FIELD0,				/* + ST_FI_* */
	C_KIND = C_FIELD0 + ST_NFIELDS,
	C_WALKER_PID, C_WALKER_COMM, C_CERTAIN, C_DETAIL, C_NEXT_STATE,
	C_N
};
#define C_(f) (C_FIELD0 + ST_FI_##f)

static const char *const extra_cols[] = { "kind", "walker_pid", "walker_comm", "certain",
					  "detail", "next_state" };
_Static_assert(sizeof(extra_cols) / sizeof(extra_cols[0]) == C_N - C_KIND,
	       "extra_cols and enum col disagree");

/* The cells of one row: numbers are formatted into num[], strings point at
 * the record (bounded by max, they need not be NUL-terminated). */
struct row {
	const char *s[C_N];
	size_t max[C_N];
	char num[C_N][24];
};

static void set_str(struct row *w, enum col c, const char *s, size_t max)
{
	w->s[c] = s;
	w->max[c] = max;
}

static void set_u64(struct row *w, enum col c, uint64_t v)
{
	char *p = w->num[c] + sizeof(w->num[c]);

	*--p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	set_str(w, c, p, sizeof(w->num[c]));
}

static void set_i64(struct row *w, enum col c, int64_t v)
{
	char *p;

	if (v >= 0) {
		set_u64(w, c, (uint64_t)v);
		return;
	}
	set_u64(w, c, (uint64_t)0 - (uint64_t)v);
	p = (char *)w->s[c] - 1;
	*p = '-';
	set_str(w, c, p, sizeof(w->num[c]));
}

static void set_ptr(struct row *w, enum col c, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char *p = w->num[c] + sizeof(w->num[c]);

	*--p = '\0';
	do {
		*--p = hex[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	set_str(w, c, p, sizeof(w->num[c]));
}

static void put_cell(struct jw *o, const char *src, size_t max)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = strnlen(src, max), i = 0;
	bool quote = false;

	for (size_t k = 0; k < n; k++)
		if (s[k] == ',' || s[k] == '"' || s[k] < 0x20 || s[k] == 0x7f) {
			quote = true;
			break;
		}
	if (quote)
		jw_raw(o, "\"", 1);
	while (i < n) {
		size_t l = st_utf8_len(s + i, n - i);

		if (s[i] == '"') {
			jw_raw(o, "\"\"", 2);
			i++;
		} else if (l) {
			jw_raw(o, s + i, l);
			i += l;
		} else {
			/* not valid UTF-8: the character of its Latin-1 reading */
			unsigned char u[2] = { (unsigned char)(0xc0 | (s[i] >> 6)),
					       (unsigned char)(0x80 | (s[i] & 0x3f)) };
			jw_raw(o, u, 2);
			i++;
		}
	}
	if (quote)
		jw_raw(o, "\"", 1);
}

static int emit(char *buf, size_t len, const struct row *w)
{
	struct jw o;

	jw_init(&o, buf, len);
	for (int c = 0; c < C_N; c++) {
		if (c)
			jw_raw(&o, ",", 1);
		if (w->s[c])
			put_cell(&o, w->s[c], w->max[c]);
	}
	jw_raw(&o, "\r\n", 2);
	return jw_finish(&o);
}

static void common(struct row *w, const char *type, uint64_t ts, int cpu, int pid,
		   const char *comm)
{
	memset(w->s, 0, sizeof(w->s));
	set_str(w, C_TYPE, type, 64);
	set_u64(w, C_(ts), ts);
	set_i64(w, C_(cpu), cpu);
	set_i64(w, C_(pid), pid);
	set_str(w, C_(comm), comm, ST_REC_COMM_LEN);
}

int st_csv_format_rec(char *buf, size_t len, const struct st_rec *r)
{
	struct row w;

	if (r->type <= ST_UNKNOWN || r->type >= ST_VIOLATION)
		return -1;
	memset(w.s, 0, sizeof(w.s));
	set_str(&w, C_TYPE, st_type_name(r->type), 64);
	for (int i = 0; i < ST_NFIELDS; i++) {
		const struct st_field *f = &st_fields[i];
		const void *p = st_field_ptr(f, r);
		enum col c = (enum col)(C_FIELD0 + i);

		if (f->ftype == ST_FT_FLAG) {
			if (*(const bool *)p)
				set_str(&w, c, "true", 5);
			continue;
		}
		if (f->has && !(r->has & f->has))
			continue;
		switch (f->ftype) {
		case ST_FT_FREED:
			if (*(const uint64_t *)p == ST_FREED_EMPTY) {
				set_str(&w, c, "empty", 6);
				break;
			}
			/* fall through */
		case ST_FT_U64:
			set_u64(&w, c, *(const uint64_t *)p);
			break;
		case ST_FT_U32:
			set_u64(&w, c, *(const uint32_t *)p);
			break;
		case ST_FT_I32:
			set_i64(&w, c, *(const int *)p);
			break;
		case ST_FT_PTR:
			set_ptr(&w, c, *(const uint64_t *)p);
			break;
		case ST_FT_STR:
			set_str(&w, c, p, f->size);
			break;
		case ST_FT_ENUM:
			if (st_enum_name(f, *(const unsigned *)p))
				set_str(&w, c, st_enum_name(f, *(const unsigned *)p), 32);
			break;
		case ST_FT_FLAG:
			break;
		}
	}
	return emit(buf, len, &w);
}

int st_csv_format_violation(char *buf, size_t len, const struct st_violation *v)
{
	struct row w;

	common(&w, "violation", v->ts, v->cpu, v->pid, v->comm);
	set_str(&w, C_KIND, st_vkind_name(v->kind), 64);
	set_ptr(&w, C_(shrinker), v->shrinker);
	if (v->name[0])
		set_str(&w, C_(name), v->name, sizeof(v->name));
	if (v->has_next)
		set_ptr(&w, C_(next), v->next);
	set_i64(&w, C_WALKER_PID, v->walker_pid);
	if (v->walker_pid)
		set_str(&w, C_WALKER_COMM, v->walker_comm, sizeof(v->walker_comm));
	set_str(&w, C_CERTAIN, v->certain ? "true" : "false", 6);
	set_str(&w, C_DETAIL, v->detail, sizeof(v->detail));
	if (v->next_state == ST_NEXT_QUEUED || v->next_state == ST_NEXT_FREED)
		set_str(&w, C_NEXT_STATE, v->next_state == ST_NEXT_QUEUED ? "queued" : "freed", 8);
	return emit(buf, len, &w);
}

/* The header row, CRLF included, built from the table once. */
static const char *header_row(int *n)
{
	static char row[1024];
	static int len;

	if (!len) {
		struct jw o;

		jw_init(&o, row, sizeof(row));
		jw_str(&o, "type");
		for (int i = 0; i < ST_NFIELDS; i++) {
			jw_raw(&o, ",", 1);
			jw_str(&o, st_fields[i].key);
		}
		for (size_t i = 0; i < sizeof(extra_cols) / sizeof(extra_cols[0]); i++) {
			jw_raw(&o, ",", 1);
			jw_str(&o, extra_cols[i]);
		}
		jw_raw(&o, "\r\n", 2);
		len = jw_finish(&o);
	}
	*n = len;
	return row;
}

const char *st_csv_columns(void)
{
	int n;

	return header_row(&n);
}

struct csv_out {
	FILE *f;
	bool started;
	int err;
	char buf[ST_CSV_MAX];
};

struct csv_out *csv_out_new(FILE *f)
{
	struct csv_out *c = calloc(1, sizeof(*c));

	if (c)
		c->f = f;
	return c;
}

static void write_out(struct csv_out *c, const char *s, int n)
{
	if (c->err || n <= 0)
		return;
	if (!c->started) {
		c->started = true;
		int hn;
		const char *h = header_row(&hn);

		write_out(c, h, hn);
		if (c->err)
			return;
	}
	errno = 0;
	if (fwrite(s, 1, (size_t)n, c->f) != (size_t)n)
		c->err = errno ? errno : EIO;
}

void csv_out_event(struct csv_out *c, const struct st_rec *r)
{
	write_out(c, c->buf, st_csv_format_rec(c->buf, sizeof(c->buf), r));
}

void csv_out_violation(struct csv_out *c, const struct st_violation *v)
{
	write_out(c, c->buf, st_csv_format_violation(c->buf, sizeof(c->buf), v));
}

void csv_out_finish(struct csv_out *c)
{
	if (!c->started) {
		int hn;
		const char *h = header_row(&hn);

		c->started = true;
		write_out(c, h, hn);
	}
}

int csv_out_error(const struct csv_out *c)
{
	return c->err;
}

void csv_out_free(struct csv_out *c)
{
	free(c);
}
