// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sinks/perfetto.c - Chrome trace-event JSON for Perfetto (see sinks/perfetto.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/htab.h"
#include "lib/jsonw.h"
#include "sinks/perfetto.h"

#define PF_LINE_MAX 8192	/* one event object: detail (512 bytes, 6 each) + the rest */
#define PF_MAX_DEPTH 16		/* open slices per task; deeper closes them all */
#define PF_MAX_TASKS 65536	/* tracked tasks; then tasks with no open slice are forgotten */
#define PF_LABEL_LEN (ST_REC_NAME_LEN + 32)
#define PF_LIFECYCLE_NAME "shrinker lifecycle (pid 0: inferred, idle)"

enum frame_kind { F_WALK, F_SHRINK };

/* An open slice ("B" written, "E" not yet). */
struct frame {
	enum frame_kind kind;
	uint64_t shrinker;	/* F_SHRINK */
	uint64_t begin_ts;	/* ts of its "B" */
	char name[PF_LABEL_LEN];
};

struct task {
	struct htab_node hn;	/* in p->tasks, key (uint32_t)tid */
	struct task *lnext;	/* p->task_list: in creation order */
	int tid;		/* track id */
	bool named;		/* a thread_name was written */
	char comm[48];		/* the last thread_name written (a comm, or PF_LIFECYCLE_NAME) */
	uint64_t last_ts;	/* newest ts of a B/E/X written on this track */
	unsigned depth;
	struct frame *stack;	/* PF_MAX_DEPTH frames while depth > 0, else NULL */
};

_Static_assert(sizeof(PF_LIFECYCLE_NAME) <= sizeof(((struct task *)0)->comm),
	       "PF_LIFECYCLE_NAME does not fit struct task.comm");

/* Bounded builder of one JSON object. */
struct jb {
	struct jw w;
	bool args;		/* ,"args":{ written */
};

struct pf_out {
	FILE *f;
	int err;
	bool started;		/* "[" and the process metadata written */
	bool finished;
	bool have_base;
	uint64_t base;		/* ts 0 of the trace, ns */
	uint64_t start_ts;	/* from the header, 0 = none */
	uint64_t last_ts;	/* newest ts of anything written */
	uint64_t early_ns;	/* the current event happened this long before base */
	char kernel[64], backend[64];
	struct htab tasks;	/* struct task by tid */
	struct task *task_list;	/* the same, oldest first (deterministic output) */
	struct task **task_tail;
	size_t used;
	uint64_t cur_addr;	/* the shrinker of the event being written */
	const char *cur_name;	/* and its name (borrowed during pf_out_event()) */
	struct jb b;
	char line[PF_LINE_MAX];
};

/* ---- JSON building -------------------------------------------------------- */

/* Microseconds with three decimals since base. */
static void jb_ts(struct jb *b, uint64_t base, uint64_t ts)
{
	char tmp[32];
	uint64_t d = ts >= base ? ts - base : base - ts;

	snprintf(tmp, sizeof(tmp), "%s%" PRIu64 ".%03" PRIu64, ts >= base ? "" : "-",
		 d / 1000, d % 1000);
	jw_str(&b->w, tmp);
}

static void jb_key(struct jb *b, const char *key)
{
	if (!b->args) {
		jw_str(&b->w, ",\"args\":{");
		b->args = true;
	} else {
		jw_raw(&b->w, ",", 1);
	}
	jw_raw(&b->w, "\"", 1);
	jw_str(&b->w, key);
	jw_raw(&b->w, "\":", 2);
}

static void arg_u64(struct jb *b, const char *key, uint64_t v)
{
	jb_key(b, key);
	jw_u64(&b->w, v);
}

static void arg_i64(struct jb *b, const char *key, int64_t v)
{
	jb_key(b, key);
	jw_i64(&b->w, v);
}

static void arg_ptr(struct jb *b, const char *key, uint64_t v)
{
	jb_key(b, key);
	jw_ptr(&b->w, v);
}

static void arg_str(struct jb *b, const char *key, const char *s, size_t max)
{
	jb_key(b, key);
	jw_qstr(&b->w, s, max);
}

static void arg_bool(struct jb *b, const char *key, bool v)
{
	jb_key(b, key);
	jw_str(&b->w, v ? "true" : "false");
}

static void arg_freed(struct jb *b, const char *key, uint64_t freed)
{
	if (freed == ST_FREED_EMPTY)
		arg_str(b, key, "empty", 6);
	else
		arg_u64(b, key, freed);
}

/* ---- output --------------------------------------------------------------- */

static void write_raw(struct pf_out *p, const char *s, size_t n)
{
	if (p->err)
		return;
	errno = 0;
	if (fwrite(s, 1, n, p->f) != n)
		p->err = errno ? errno : EIO;
}

static void obj_open(struct pf_out *p)
{
	p->b.args = false;
	jw_init(&p->b.w, p->line, sizeof(p->line));
}

static void obj_close(struct pf_out *p)
{
	struct jb *b = &p->b;

	if (b->args)
		jw_raw(&b->w, "}", 1);
	jw_raw(&b->w, "}", 1);
	if (b->w.ovf)	/* cannot happen with the bounded fields; never write half an object */
		return;
	/* one whole line per object, the separating comma leading it: the
	 * file ends in a complete line whenever it is flushed */
	write_raw(p, ",", 1);
	write_raw(p, p->line, b->w.n);
	write_raw(p, "\n", 1);
}

/* {"ph":PH,"cat":CAT,"name":NAME,"pid":PF_PID,"tid":TID,"ts":TS ... */
static void obj_begin(struct pf_out *p, const char *ph, const char *cat, const char *name,
		      int tid, uint64_t ts)
{
	struct jb *b = &p->b;

	obj_open(p);
	jw_str(&b->w, "{\"ph\":\"");
	jw_str(&b->w, ph);
	jw_str(&b->w, "\",\"cat\":\"");
	jw_str(&b->w, cat);
	jw_str(&b->w, "\",\"name\":");
	jw_qstr(&b->w, name, PF_LABEL_LEN + 32);
	jw_str(&b->w, ",\"pid\":");
	jw_u64(&b->w, PF_PID);
	jw_str(&b->w, ",\"tid\":");
	jw_i64(&b->w, tid);
	jw_str(&b->w, ",\"ts\":");
	jb_ts(b, p->base, ts);
}

static void start(struct pf_out *p, uint64_t first_ts)
{
	struct jb *b = &p->b;

	if (p->started)
		return;
	p->started = true;
	p->have_base = true;
	p->base = p->start_ts && p->start_ts <= first_ts ? p->start_ts : first_ts;
	write_raw(p, "[\n", 2);
	obj_open(p);
	jw_str(&b->w, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":");
	jw_u64(&b->w, PF_PID);
	jw_str(&b->w, ",\"args\":{\"name\":\"shrinktrace\"");
	b->args = true;
	if (p->kernel[0])
		arg_str(b, "kernel", p->kernel, sizeof(p->kernel));
	if (p->backend[0])
		arg_str(b, "backend", p->backend, sizeof(p->backend));
	arg_u64(b, "base_ts_ns", p->base);
	jw_raw(&b->w, "}}", 2);
	/* the first object has no comma before it */
	if (!b->w.ovf) {
		write_raw(p, p->line, b->w.n);
		write_raw(p, "\n", 1);
	}
}

/* ---- shrinker names --------------------------------------------------------- */

/* The shrinker's name when known (the correlator's, for the event being
 * written), else its address. */
static const char *label(struct pf_out *p, uint64_t addr, char *buf, size_t len)
{
	if (addr == p->cur_addr && p->cur_name && p->cur_name[0])
		return p->cur_name;
	snprintf(buf, len, "0x%" PRIx64, addr);
	return buf;
}

/* ---- tasks ------------------------------------------------------------------ */

/* Forget the tasks with no open slice (a thread_name is written again if
 * they come back). */
static void task_forget_idle(struct pf_out *p)
{
	struct task **pp = &p->task_list;

	p->task_tail = &p->task_list;
	while (*pp) {
		struct task *t = *pp;

		if (t->depth) {
			pp = &t->lnext;
			p->task_tail = pp;
			continue;
		}
		*pp = t->lnext;
		htab_del(&p->tasks, &t->hn);
		free(t->stack);
		free(t);
		p->used--;
	}
}

/* The task of track tid, created when new; NULL when none can be kept. */
static struct task *task_get(struct pf_out *p, int tid)
{
	struct htab_node *e = htab_first(&p->tasks, (uint64_t)(uint32_t)tid);
	struct task *t;

	if (e)
		return container_of(e, struct task, hn);
	if (p->used >= PF_MAX_TASKS) {
		task_forget_idle(p);
		if (p->used >= PF_MAX_TASKS)
			return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->tid = tid;
	t->hn.key = (uint64_t)(uint32_t)tid;
	if (htab_add(&p->tasks, &t->hn)) {
		free(t);
		return NULL;
	}
	*p->task_tail = t;
	p->task_tail = &t->lnext;
	p->used++;
	return t;
}

static void thread_name(struct pf_out *p, struct task *t, const char *name)
{
	struct jb *b = &p->b;

	if (t->named && strncmp(t->comm, name, sizeof(t->comm)) == 0)
		return;
	t->named = true;
	strncpy(t->comm, name, sizeof(t->comm) - 1);
	t->comm[sizeof(t->comm) - 1] = '\0';
	obj_open(p);
	jw_str(&b->w, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":");
	jw_u64(&b->w, PF_PID);
	jw_str(&b->w, ",\"tid\":");
	jw_i64(&b->w, t->tid);
	jw_str(&b->w, ",\"args\":{\"name\":");
	jw_qstr(&b->w, name, 64);
	b->args = true;
	obj_close(p);
}

static const char *frame_cat(enum frame_kind kind)
{
	return kind == F_WALK ? "walk" : "shrink";
}

/*
 * When the "E" of the top frame, wanted at ts, is written: not before
 * anything already written on the track, and strictly after the frame's own
 * "B" (Perfetto sorts ends first among equal timestamps once a trace has "X"
 * slices, so an E at its B's time would come before that B).
 */
static uint64_t end_ts(const struct task *t, uint64_t ts)
{
	uint64_t b = t->stack[t->depth - 1].begin_ts;

	if (ts < t->last_ts)
		ts = t->last_ts;
	return ts > b ? ts : b + 1;
}

/* Begin the "E" object of the top frame (the caller adds args and closes
 * it) and pop the frame.  Returns the E's ts. */
static uint64_t end_top_open(struct pf_out *p, struct task *t, uint64_t ts)
{
	struct frame *f = &t->stack[t->depth - 1];
	uint64_t e = end_ts(t, ts);

	obj_begin(p, "E", frame_cat(f->kind), f->name, t->tid, e);
	t->last_ts = e;
	if (--t->depth == 0) {
		free(t->stack);
		t->stack = NULL;
	}
	return e;
}

/* Close the top frames, down to depth keep, at ts with the arg "unfinished": why. */
static void unwind_to(struct pf_out *p, struct task *t, unsigned keep, uint64_t ts,
		      const char *why)
{
	while (t->depth > keep) {
		end_top_open(p, t, ts);
		arg_str(&p->b, "unfinished", why, 128);
		obj_close(p);
	}
}

/* The arg "moved_ns" when the event had to be written later than it happened. */
static void arg_moved(struct pf_out *p, uint64_t written, uint64_t ts)
{
	uint64_t d = (written > ts ? written - ts : 0) + p->early_ns;

	if (d)
		arg_u64(&p->b, "moved_ns", d);
}

/* Push a frame and begin its "B" object (the caller adds args and closes
 * it); false when it cannot be tracked (nothing written then). */
static bool begin_frame(struct pf_out *p, struct task *t, enum frame_kind kind,
			uint64_t shrinker, const char *name, uint64_t ts)
{
	struct frame *f;
	uint64_t b;

	/* do_shrink_slab() does not directly contain do_shrink_slab(), nor
	 * shrink_slab() shrink_slab(): the end of the open one was not seen */
	if (t->depth && t->stack[t->depth - 1].kind == kind)
		unwind_to(p, t, t->depth - 1, ts, "no end event seen (lost?)");
	if (t->depth == PF_MAX_DEPTH)
		unwind_to(p, t, 0, ts, "too deeply nested");
	if (!t->stack) {
		t->stack = malloc(PF_MAX_DEPTH * sizeof(*t->stack));
		if (!t->stack)
			return false;
	}
	b = ts < t->last_ts ? t->last_ts : ts;
	f = &t->stack[t->depth++];
	*f = (struct frame){ .kind = kind, .shrinker = shrinker, .begin_ts = b };
	snprintf(f->name, sizeof(f->name), "%s", name);
	t->last_ts = b;
	obj_begin(p, "B", frame_cat(kind), name, t->tid, b);
	arg_moved(p, b, ts);
	return true;
}

/* Index + 1 of the newest open frame of kind (and shrinker for F_SHRINK), 0 if none. */
static unsigned find_frame(const struct task *t, enum frame_kind kind, uint64_t shrinker)
{
	for (unsigned i = t->depth; i > 0; i--) {
		const struct frame *f = &t->stack[i - 1];

		if (f->kind == kind && (kind == F_WALK || f->shrinker == shrinker))
			return i;
	}
	return 0;
}

/* Which of an event's fields become args (the field table's ST_OUT_PF*). */
enum args_mode {
	ARGS_BEGIN,	/* a slice's begin or an instant: every ST_OUT_PF field */
	ARGS_END,	/* a slice's end (merged into the slice by Perfetto): not the
			 * slice's key (ST_OUT_PF_KEY, given at its begin), and the
			 * second snapshot as "end_<key>" (ST_OUT_PF_END) */
	ARGS_END_ALONE,	/* an end whose begin was not seen: the key too */
};

static void event_args(struct jb *b, const struct st_rec *r, enum args_mode mode)
{
	for (const struct st_field *f = st_fields; f < st_fields + ST_NFIELDS; f++) {
		const void *v = st_field_ptr(f, r);
		char key[48];
		const char *k = f->key;

		if (!(f->out & ST_OUT_PF))
			continue;
		if (f->ftype == ST_FT_FLAG) {
			if (*(const bool *)v)
				arg_bool(b, k, true);
			continue;
		}
		if (f->has && !(r->has & f->has))
			continue;
		if (mode == ARGS_END && (f->out & ST_OUT_PF_KEY))
			continue;
		if (mode != ARGS_BEGIN && (f->out & ST_OUT_PF_END)) {
			snprintf(key, sizeof(key), "end_%s", f->key);
			k = key;
		}
		switch (f->ftype) {
		case ST_FT_U64:
			arg_u64(b, k, *(const uint64_t *)v);
			break;
		case ST_FT_FREED:
			arg_freed(b, k, *(const uint64_t *)v);
			break;
		case ST_FT_U32:
			arg_u64(b, k, *(const uint32_t *)v);
			break;
		case ST_FT_I32:
			arg_i64(b, k, *(const int *)v);
			break;
		case ST_FT_PTR:
			arg_ptr(b, k, *(const uint64_t *)v);
			break;
		case ST_FT_STR:
			arg_str(b, k, v, f->size);
			break;
		case ST_FT_ENUM:
			if (st_enum_name(f, *(const unsigned *)v))
				arg_str(b, k, st_enum_name(f, *(const unsigned *)v), 32);
			break;
		case ST_FT_FLAG:
			break;
		}
	}
}

/* An instant on track t ("s":"t"). */
static void instant(struct pf_out *p, int tid, const char *cat, const char *name,
		    const struct st_rec *r)
{
	obj_begin(p, "i", cat, name, tid, r->ts);
	jw_str(&p->b.w, ",\"s\":\"t\"");
	arg_moved(p, r->ts, r->ts);
}

static void on_walk_begin(struct pf_out *p, struct task *t, int tid, const struct st_rec *r)
{
	char name[PF_LABEL_LEN];

	snprintf(name, sizeof(name), "shrink_slab nid=%d", r->nid);
	if (!t || !begin_frame(p, t, F_WALK, 0, name, r->ts))
		instant(p, tid, "walk", name, r);
	event_args(&p->b, r, ARGS_BEGIN);
	obj_close(p);
}

static void on_walk_end(struct pf_out *p, struct task *t, int tid, const struct st_rec *r)
{
	unsigned i = t ? find_frame(t, F_WALK, 0) : 0;

	if (!i) {
		instant(p, tid, "walk", "shrink_slab end (begin not seen)", r);
		event_args(&p->b, r, ARGS_END_ALONE);
		obj_close(p);
		return;
	}
	unwind_to(p, t, i, r->ts, "no end event seen (lost?)");
	arg_moved(p, end_top_open(p, t, r->ts), r->ts);
	event_args(&p->b, r, ARGS_END);
	obj_close(p);
}

static void on_shrink_begin(struct pf_out *p, struct task *t, int tid, const struct st_rec *r)
{
	char buf[32];
	const char *name = label(p, r->shrinker, buf, sizeof(buf));

	if (!t || !begin_frame(p, t, F_SHRINK, r->shrinker, name, r->ts))
		instant(p, tid, "shrink", name, r);
	event_args(&p->b, r, ARGS_BEGIN);
	obj_close(p);
}

static void on_shrink_end(struct pf_out *p, struct task *t, int tid, const struct st_rec *r)
{
	unsigned i = t ? find_frame(t, F_SHRINK, r->shrinker) : 0;
	char buf[32], nm[PF_LABEL_LEN];
	uint64_t want, start, end;

	if (i) {
		unwind_to(p, t, i, r->ts, "no end event seen (lost?)");
		arg_moved(p, end_top_open(p, t, r->ts), r->ts);
		event_args(&p->b, r, ARGS_END);
		obj_close(p);
		return;
	}
	if (!t || !(r->has & ST_HAS_DURATION)) {
		snprintf(nm, sizeof(nm), "%s end (begin not seen)",
			 label(p, r->shrinker, buf, sizeof(buf)));
		instant(p, tid, "shrink", nm, r);
		event_args(&p->b, r, ARGS_END_ALONE);
		obj_close(p);
		return;
	}
	/* A complete slice inside whatever is open on the track (strictly
	 * after its "B", see end_ts()), after everything already written on it. */
	want = r->duration_ns <= r->ts ? r->ts - r->duration_ns : 0;
	start = want < t->last_ts ? t->last_ts : want;
	if (start < p->base)	/* began before the trace: the part it saw */
		start = p->base;
	if (t->depth && start <= t->stack[t->depth - 1].begin_ts)
		start = t->stack[t->depth - 1].begin_ts + 1;
	end = r->ts > start ? r->ts : start;
	obj_begin(p, "X", "shrink", label(p, r->shrinker, buf, sizeof(buf)), tid, start);
	jw_str(&p->b.w, ",\"dur\":");
	jb_ts(&p->b, 0, end - start);
	arg_moved(p, start, want);
	event_args(&p->b, r, ARGS_END_ALONE);
	arg_bool(&p->b, "begin_not_seen", true);
	obj_close(p);
	t->last_ts = end;
}

static void on_lifecycle(struct pf_out *p, int tid, const struct st_rec *r)
{
	char buf[32], nm[PF_LABEL_LEN + 32];

	snprintf(nm, sizeof(nm), "%s %s", st_type_name(r->type),
		 label(p, r->shrinker, buf, sizeof(buf)));
	instant(p, tid, "lifecycle", nm, r);
	if (r->pid == 0)
		arg_str(&p->b, "comm", r->comm, sizeof(r->comm));
	event_args(&p->b, r, ARGS_BEGIN);
	obj_close(p);
}

static void on_lost(struct pf_out *p, int tid, const struct st_rec *r)
{
	char nm[64];

	snprintf(nm, sizeof(nm), "lost %" PRIu64 " event%s", r->count, r->count == 1 ? "" : "s");
	obj_begin(p, "i", "lost", nm, tid, r->ts);
	jw_str(&p->b.w, ",\"s\":\"g\"");
	arg_moved(p, r->ts, r->ts);
	event_args(&p->b, r, ARGS_BEGIN);
	obj_close(p);
}

/* ---- public --------------------------------------------------------------------- */

struct pf_out *pf_out_new(FILE *f)
{
	struct pf_out *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->f = f;
	p->task_tail = &p->task_list;
	return p;
}

void pf_out_header(struct pf_out *p, const char *kernel, const char *backend, uint64_t start_ts)
{
	if (p->started)
		return;
	snprintf(p->kernel, sizeof(p->kernel), "%s", kernel ? kernel : "");
	snprintf(p->backend, sizeof(p->backend), "%s", backend ? backend : "");
	p->start_ts = start_ts;
}

void pf_out_begin(struct pf_out *p)
{
	start(p, p->start_ts);
}

void pf_out_event(struct pf_out *p, const struct st_rec *r, const char *name)
{
	int tid = r->pid > 0 ? r->pid : PF_LIFECYCLE_TID;
	struct st_rec early;
	struct task *t;

	if (p->finished || r->type <= ST_UNKNOWN || r->type >= ST_VIOLATION)
		return;
	start(p, r->ts);
	/* never before time zero (a late event older than the first one) */
	p->early_ns = r->ts < p->base ? p->base - r->ts : 0;
	if (p->early_ns) {
		early = *r;
		early.ts = p->base;
		r = &early;
	}
	if (r->ts > p->last_ts)
		p->last_ts = r->ts;
	p->cur_addr = (r->has & ST_HAS_SHRINKER) ? r->shrinker : 0;
	p->cur_name = (r->has & ST_HAS_NAME) && r->name[0] ? r->name : name;
	t = task_get(p, tid);
	if (t)
		thread_name(p, t, tid == PF_LIFECYCLE_TID ? PF_LIFECYCLE_NAME : r->comm);
	switch (r->type) {
	case ST_LOST:
		on_lost(p, tid, r);
		break;
	case ST_WALK_BEGIN:
		on_walk_begin(p, t, tid, r);
		break;
	case ST_WALK_END:
		on_walk_end(p, t, tid, r);
		break;
	case ST_SHRINK_BEGIN:
		on_shrink_begin(p, t, tid, r);
		break;
	case ST_SHRINK_END:
		on_shrink_end(p, t, tid, r);
		break;
	default:
		on_lifecycle(p, tid, r);
		break;
	}
}

void pf_out_violation(struct pf_out *p, const struct st_violation *v)
{
	char buf[32], nm[PF_LABEL_LEN + 32];
	struct jb *b = &p->b;

	if (p->finished)
		return;
	start(p, v->ts);
	if (v->ts > p->last_ts)
		p->last_ts = v->ts;
	p->early_ns = 0;
	p->cur_addr = 0;
	snprintf(nm, sizeof(nm), "VIOLATION %s %s", st_vkind_name(v->kind),
		 v->name[0] ? v->name : label(p, v->shrinker, buf, sizeof(buf)));
	obj_begin(p, "i", "violation", nm, v->pid > 0 ? v->pid : PF_LIFECYCLE_TID,
		  v->ts > p->base ? v->ts : p->base);
	jw_str(&b->w, ",\"s\":\"g\"");
	arg_str(b, "kind", st_vkind_name(v->kind), 32);
	arg_ptr(b, "shrinker", v->shrinker);
	if (v->has_next)
		arg_ptr(b, "next", v->next);
	if (v->next_state == ST_NEXT_QUEUED || v->next_state == ST_NEXT_FREED)
		arg_str(b, "next_state", v->next_state == ST_NEXT_QUEUED ? "queued" : "freed", 8);
	arg_i64(b, "walker_pid", v->walker_pid);
	if (v->walker_pid)
		arg_str(b, "walker_comm", v->walker_comm, sizeof(v->walker_comm));
	arg_bool(b, "certain", v->certain);
	arg_i64(b, "pid", v->pid);
	arg_str(b, "comm", v->comm, sizeof(v->comm));
	arg_i64(b, "cpu", v->cpu);
	arg_str(b, "detail", v->detail, sizeof(v->detail));
	obj_close(p);
}

void pf_out_finish(struct pf_out *p)
{
	if (p->finished)
		return;
	start(p, 0);
	p->early_ns = 0;
	for (struct task *t = p->task_list; t; t = t->lnext)
		if (t->depth)
			unwind_to(p, t, 0, p->last_ts, "trace ended before its end");
	write_raw(p, "]\n", 2);
	p->finished = true;
}

int pf_out_error(const struct pf_out *p)
{
	return p->err;
}

void pf_out_free(struct pf_out *p)
{
	if (!p)
		return;
	for (struct task *t = p->task_list, *nx; t; t = nx) {
		nx = t->lnext;
		free(t->stack);
		free(t);
	}
	htab_free(&p->tasks);
	free(p);
}
