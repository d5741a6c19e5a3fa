/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log/writer.c - hand-rolled JSON Lines writer for the shrinktrace/1 log.
 *
 * A bounded cursor (struct jw, lib/jsonw.h) collects the line; every append checks
 * the room left and sets ovf instead of writing past the end.
 */
#include <string.h>

#include "log/writer.h"
#include "lib/jsonw.h"

static void jw_key(struct jw *w, const char *key)
{
	jw_raw(w, ",\"", 2);
	jw_str(w, key);
	jw_raw(w, "\":", 2);
}

static void jw_kstr(struct jw *w, const char *key, const char *s, size_t max)
{
	jw_key(w, key);
	jw_qstr(w, s, max);
}

static int jw_end(struct jw *w, char *buf)
{
	jw_raw(w, "}\n", 2);
	(void)buf;
	return jw_finish(w);
}

static int jw_begin(struct jw *w, char *buf, size_t len, const char *type)
{
	jw_init(w, buf, len);
	if (w->ovf)
		return -1;
	jw_str(w, "{\"type\":\"");
	jw_str(w, type);
	jw_raw(w, "\"", 1);
	return 0;
}

int st_json_escape(char *buf, size_t len, const char *src, size_t srclen)
{
	struct jw w;

	jw_init(&w, buf, len);
	jw_esc(&w, src, srclen);
	return jw_finish(&w);
}

int st_jsonl_format_rec(char *buf, size_t len, const struct st_rec *r)
{
	struct jw w;

	if (r->type <= ST_UNKNOWN || r->type >= ST_VIOLATION)
		return -1;
	if (jw_begin(&w, buf, len, st_type_name(r->type)))
		return -1;
	for (const struct st_field *f = st_fields; f < st_fields + ST_NFIELDS; f++) {
		const void *p = st_field_ptr(f, r);

		if (f->ftype == ST_FT_FLAG) {
			if (*(const bool *)p) {
				jw_key(&w, f->key);
				jw_str(&w, "true");
			}
			continue;
		}
		if (f->has && !(r->has & f->has))
			continue;
		jw_key(&w, f->key);
		switch (f->ftype) {
		case ST_FT_U64:
			jw_u64(&w, *(const uint64_t *)p);
			break;
		case ST_FT_FREED:
			if (*(const uint64_t *)p == ST_FREED_EMPTY)
				jw_str(&w, "\"empty\"");
			else
				jw_u64(&w, *(const uint64_t *)p);
			break;
		case ST_FT_U32:
			jw_u64(&w, *(const uint32_t *)p);
			break;
		case ST_FT_I32:
			jw_i64(&w, *(const int *)p);
			break;
		case ST_FT_PTR:
			jw_ptr(&w, *(const uint64_t *)p);
			break;
		case ST_FT_STR:
			jw_qstr(&w, p, f->size);
			break;
		case ST_FT_ENUM: {
			const char *n = st_enum_name(f, *(const unsigned *)p);

			jw_qstr(&w, n ? n : "", 32);
			break;
		}
		case ST_FT_FLAG:
			break;
		}
	}
	return jw_end(&w, buf);
}

int st_jsonl_format_violation(char *buf, size_t len, const struct st_violation *v)
{
	struct jw w;

	if (jw_begin(&w, buf, len, "violation"))
		return -1;
	jw_key(&w, "ts");
	jw_u64(&w, v->ts);
	jw_key(&w, "cpu");
	jw_i64(&w, v->cpu);
	jw_key(&w, "pid");
	jw_i64(&w, v->pid);
	jw_kstr(&w, "comm", v->comm, sizeof(v->comm));
	jw_key(&w, "kind");
	jw_raw(&w, "\"", 1);
	jw_str(&w, st_vkind_name(v->kind));
	jw_raw(&w, "\"", 1);
	jw_key(&w, "shrinker");
	jw_ptr(&w, v->shrinker);
	if (v->name[0])
		jw_kstr(&w, "name", v->name, sizeof(v->name));
	if (v->has_next) {
		jw_key(&w, "next");
		jw_ptr(&w, v->next);
	}
	if (v->next_state == ST_NEXT_QUEUED || v->next_state == ST_NEXT_FREED)
		jw_kstr(&w, "next_state", v->next_state == ST_NEXT_QUEUED ? "queued" : "freed", 8);
	jw_key(&w, "walker_pid");
	jw_i64(&w, v->walker_pid);
	if (v->walker_pid)
		jw_kstr(&w, "walker_comm", v->walker_comm, sizeof(v->walker_comm));
	jw_str(&w, v->certain ? ",\"certain\":true" : ",\"certain\":false");
	jw_kstr(&w, "detail", v->detail, sizeof(v->detail));
	return jw_end(&w, buf);
}

int st_jsonl_format_header(char *buf, size_t len, const char *kernel,
			   const char *backend, uint64_t start_ts, int list_offset)
{
	return st_jsonl_format_header_ext(buf, len, kernel, backend, start_ts, list_offset, NULL);
}

int st_jsonl_format_header_ext(char *buf, size_t len, const char *kernel, const char *backend,
			       uint64_t start_ts, int list_offset, const char *redacted)
{
	return st_jsonl_format_header_run(buf, len, kernel, backend, start_ts, list_offset,
					  redacted, NULL, 0);
}

int st_jsonl_format_header_run(char *buf, size_t len, const char *kernel, const char *backend,
			       uint64_t start_ts, int list_offset, const char *redacted,
			       const char *run, unsigned part)
{
	struct jw w;

	if (jw_begin(&w, buf, len, "header"))
		return -1;
	jw_str(&w, ",\"format\":\"shrinktrace/1\"");
	jw_kstr(&w, "kernel", kernel ? kernel : "", 256);
	jw_kstr(&w, "backend", backend ? backend : "", 256);
	jw_str(&w, ",\"clock\":\"monotonic\"");
	jw_key(&w, "start_ts");
	jw_u64(&w, start_ts);
	if (list_offset >= 0) {
		jw_key(&w, "list_offset");
		jw_u64(&w, (uint64_t)list_offset);
	}
	if (redacted)
		jw_kstr(&w, "redacted", redacted, 16);
	if (run)
		jw_kstr(&w, "run", run, 39);
	if (part) {
		jw_key(&w, "part");
		jw_u64(&w, part);
	}
	return jw_end(&w, buf);
}

int st_jsonl_format_header_h(char *buf, size_t len, const struct st_header *h)
{
	struct jw w;
	bool filters = h->pid || (h->comm && h->comm[0]) || h->memcg_id || h->min_latency_ns ||
		       (h->shrinker && h->shrinker[0]);

	if (jw_begin(&w, buf, len, "header"))
		return -1;
	jw_str(&w, ",\"format\":\"shrinktrace/1\"");
	jw_kstr(&w, "kernel", h->kernel ? h->kernel : "", 256);
	jw_kstr(&w, "backend", h->backend ? h->backend : "", 256);
	jw_str(&w, ",\"clock\":\"monotonic\"");
	jw_key(&w, "start_ts");
	jw_u64(&w, h->start_ts);
	if (h->list_offset >= 0) {
		jw_key(&w, "list_offset");
		jw_u64(&w, (uint64_t)h->list_offset);
	}
	if (h->redacted)
		jw_kstr(&w, "redacted", h->redacted, 16);
	if (h->run)
		jw_kstr(&w, "run", h->run, 39);
	if (h->part) {
		jw_key(&w, "part");
		jw_u64(&w, h->part);
	}
	if (h->mode)
		jw_kstr(&w, "mode", h->mode, 16);
	if (h->nhooks) {
		jw_str(&w, ",\"hooks\":{");
		for (unsigned i = 0; i < h->nhooks; i++) {
			if (i)
				jw_raw(&w, ",", 1);
			jw_qstr(&w, h->hook[i], 32);
			jw_raw(&w, ":", 1);
			jw_qstr(&w, h->hook_mech[i], 32);
		}
		jw_raw(&w, "}", 1);
	}
	if (filters) {
		bool first = true;

#define FSEP() do { if (!first) jw_raw(&w, ",", 1); first = false; } while (0)
		jw_str(&w, ",\"filters\":{");
		if (h->pid) {
			FSEP();
			jw_str(&w, "\"pid\":");
			jw_u64(&w, h->pid);
		}
		if (h->comm && h->comm[0]) {
			FSEP();
			jw_str(&w, "\"comm\":");
			jw_qstr(&w, h->comm, 16);
		}
		if (h->memcg_id) {
			FSEP();
			jw_str(&w, "\"memcg_id\":");
			jw_u64(&w, h->memcg_id);
		}
		if (h->min_latency_ns) {
			FSEP();
			jw_str(&w, "\"min_latency_ns\":");
			jw_u64(&w, h->min_latency_ns);
		}
		if (h->shrinker && h->shrinker[0]) {
			FSEP();
			jw_str(&w, "\"shrinker\":");
			jw_qstr(&w, h->shrinker, 256);
		}
#undef FSEP
		jw_raw(&w, "}", 1);
	}
	return jw_end(&w, buf);
}

int st_jsonl_format_stack(char *buf, size_t len, int id, const char *frames)
{
	struct jw w;
	const char *p = frames ? frames : "";
	bool first = true;

	if (jw_begin(&w, buf, len, "stack"))
		return -1;
	jw_key(&w, "stack_id");
	jw_i64(&w, id);
	jw_str(&w, ",\"frames\":[");
	while (*p) {
		size_t n = strcspn(p, ";");

		if (n) {
			if (!first)
				jw_str(&w, ",");
			jw_qstr(&w, p, n < ST_STACK_FRAME_LEN ? n : ST_STACK_FRAME_LEN - 1);
			first = false;
		}
		p += n;
		if (*p == ';')
			p++;
	}
	jw_str(&w, "]");
	return jw_end(&w, buf);
}

int st_jsonl_format_memcg(char *buf, size_t len, uint64_t memcg, uint64_t id, const char *path)
{
	struct jw w;

	if (jw_begin(&w, buf, len, "memcg"))
		return -1;
	jw_key(&w, "memcg");
	jw_ptr(&w, memcg);
	jw_key(&w, "memcg_id");
	jw_u64(&w, id);
	jw_kstr(&w, "path", path ? path : "", 4096);
	return jw_end(&w, buf);
}
