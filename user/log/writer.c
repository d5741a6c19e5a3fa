/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log/writer.c - hand-rolled JSON Lines writer for the shrinktrace/1 log.
 *
 * A bounded cursor (struct jw, lib/jsonw.h) collects the line; every append checks
 * the room left and sets ovf instead of writing past the end.
 */
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
	uint32_t has = r->has;

	if (r->type <= ST_UNKNOWN || r->type >= ST_VIOLATION)
		return -1;
	if (jw_begin(&w, buf, len, st_type_name(r->type)))
		return -1;
	jw_key(&w, "ts");
	jw_u64(&w, r->ts);
	jw_key(&w, "cpu");
	jw_i64(&w, r->cpu);
	jw_key(&w, "pid");
	jw_i64(&w, r->pid);
	jw_kstr(&w, "comm", r->comm, sizeof(r->comm));
	if (r->inferred)
		jw_str(&w, ",\"inferred\":true");
	if (r->deferred)
		jw_str(&w, ",\"deferred\":true");
	if (has & ST_HAS_SHRINKER) {
		jw_key(&w, "shrinker");
		jw_ptr(&w, r->shrinker);
	}
	if (has & ST_HAS_NAME)
		jw_kstr(&w, "name", r->name, sizeof(r->name));
	if (has & ST_HAS_FLAGS) {
		jw_key(&w, "flags");
		jw_u64(&w, r->flags);
	}
	if (has & ST_HAS_ID) {
		jw_key(&w, "id");
		jw_i64(&w, r->id);
	}
	if (has & ST_HAS_WALK) {
		jw_key(&w, "nid");
		jw_i64(&w, r->nid);
		jw_key(&w, "memcg");
		jw_ptr(&w, r->memcg);
		jw_key(&w, "priority");
		jw_i64(&w, r->priority);
	}
	if (has & ST_HAS_NR_TO_SCAN) {
		jw_key(&w, "nr_to_scan");
		jw_u64(&w, r->nr_to_scan);
	}
	if (has & ST_HAS_REFCOUNT) {
		jw_key(&w, "refcount");
		jw_i64(&w, r->refcount);
	}
	if (has & ST_HAS_SNAPSHOT) {
		jw_key(&w, "next");
		jw_ptr(&w, r->next);
		jw_key(&w, "prev");
		jw_ptr(&w, r->prev);
	}
	if (has & ST_HAS_FREED) {
		jw_key(&w, "freed");
		if (r->freed == ST_FREED_EMPTY)
			jw_str(&w, "\"empty\"");
		else
			jw_u64(&w, r->freed);
	}
	if (has & ST_HAS_DURATION) {
		jw_key(&w, "duration_ns");
		jw_u64(&w, r->duration_ns);
	}
	if (has & ST_HAS_COUNT) {
		jw_key(&w, "count");
		jw_u64(&w, r->count);
	}
	if ((has & ST_HAS_EVIDENCE) && st_evidence_name(r->evidence)) {
		jw_key(&w, "evidence");
		jw_raw(&w, "\"", 1);
		jw_str(&w, st_evidence_name(r->evidence));
		jw_raw(&w, "\"", 1);
	}
	if (has & ST_HAS_EARLIEST) {
		jw_key(&w, "earliest_ts");
		jw_u64(&w, r->earliest_ts);
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
	return jw_end(&w, buf);
}
