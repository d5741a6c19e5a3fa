/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * jsonl.c - hand-rolled JSON Lines writer for the shrinktrace/1 log.
 *
 * A bounded cursor (struct jw) collects the line; every append checks the
 * room left and sets ovf instead of writing past the end.
 */
#include <string.h>

#include "jsonl.h"

struct jw {
	char *p;
	size_t left;	/* bytes left, the final NUL included */
	size_t n;	/* bytes written */
	int ovf;
};

static void jw_raw(struct jw *w, const char *s, size_t n)
{
	if (w->ovf || n >= w->left) {
		w->ovf = 1;
		return;
	}
	memcpy(w->p, s, n);
	w->p += n;
	w->left -= n;
	w->n += n;
}

static void jw_str(struct jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

static void jw_u64(struct jw *w, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jw_raw(w, tmp + i, sizeof(tmp) - i);
}

static void jw_i64(struct jw *w, int64_t v)
{
	if (v < 0) {
		jw_raw(w, "-", 1);
		jw_u64(w, (uint64_t)0 - (uint64_t)v);
	} else {
		jw_u64(w, (uint64_t)v);
	}
}

static void jw_ptr(struct jw *w, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[20];
	int i = sizeof(tmp);

	tmp[--i] = '"';
	do {
		tmp[--i] = hex[v & 15];
		v >>= 4;
	} while (v);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	tmp[--i] = '"';
	jw_raw(w, tmp + i, sizeof(tmp) - i);
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t need;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

static void jw_esc(struct jw *w, const char *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	size_t n = strnlen(src, srclen);
	size_t i = 0, run = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t l;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			run++;
			i++;
			continue;
		}
		jw_raw(w, (const char *)s + i - run, run);
		run = 0;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			jw_raw(w, e, 2);
			i++;
			continue;
		}
		if (c == '\n') { jw_raw(w, "\\n", 2); i++; continue; }
		if (c == '\t') { jw_raw(w, "\\t", 2); i++; continue; }
		if (c == '\r') { jw_raw(w, "\\r", 2); i++; continue; }
		l = c >= 0x80 ? utf8_len(s + i, n - i) : 0;
		if (l) {
			jw_raw(w, (const char *)s + i, l);
			i += l;
			continue;
		}
		/* control char, DEL, or a byte outside valid UTF-8 */
		char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		jw_raw(w, u, 6);
		i++;
	}
	jw_raw(w, (const char *)s + i - run, run);
}

static void jw_key(struct jw *w, const char *key)
{
	jw_raw(w, ",\"", 2);
	jw_str(w, key);
	jw_raw(w, "\":", 2);
}

static void jw_kstr(struct jw *w, const char *key, const char *s, size_t max)
{
	jw_key(w, key);
	jw_raw(w, "\"", 1);
	jw_esc(w, s, max);
	jw_raw(w, "\"", 1);
}

static int jw_end(struct jw *w, char *buf)
{
	jw_raw(w, "}\n", 2);
	if (w->ovf)
		return -1;
	*w->p = '\0';
	(void)buf;
	return (int)w->n;
}

static int jw_begin(struct jw *w, char *buf, size_t len, const char *type)
{
	w->p = buf;
	w->left = len;
	w->n = 0;
	w->ovf = 0;
	if (!buf || len == 0)
		return -1;
	jw_str(w, "{\"type\":\"");
	jw_str(w, type);
	jw_raw(w, "\"", 1);
	return 0;
}

int st_json_escape(char *buf, size_t len, const char *src, size_t srclen)
{
	struct jw w = { buf, len, 0, 0 };

	if (!buf || len == 0)
		return -1;
	jw_esc(&w, src, srclen);
	if (w.ovf)
		return -1;
	*w.p = '\0';
	return (int)w.n;
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
	return jw_end(&w, buf);
}
