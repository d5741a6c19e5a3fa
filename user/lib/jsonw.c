// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/jsonw.c - bounded JSON writer into a caller buffer (see lib/jsonw.h). */
#include <string.h>

#include "lib/jsonw.h"

static const char hex[] = "0123456789abcdef";

void jw_init(struct jw *w, char *buf, size_t len)
{
	w->p = buf;
	w->left = buf ? len : 0;
	w->n = 0;
	w->ovf = !buf || len == 0;
}

void jw_raw(struct jw *w, const void *s, size_t n)
{
	if (w->ovf || n >= w->left) {
		w->ovf = true;
		return;
	}
	memcpy(w->p, s, n);
	w->p += n;
	w->left -= n;
	w->n += n;
}

void jw_str(struct jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

void jw_u64(struct jw *w, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jw_raw(w, tmp + i, sizeof(tmp) - i);
}

void jw_i64(struct jw *w, int64_t v)
{
	if (v < 0) {
		jw_raw(w, "-", 1);
		jw_u64(w, (uint64_t)0 - (uint64_t)v);
	} else {
		jw_u64(w, (uint64_t)v);
	}
}

void jw_ptr(struct jw *w, uint64_t v)
{
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

size_t st_utf8_len(const unsigned char *s, size_t n)
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

void jw_esc(struct jw *w, const char *src, size_t max)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = strnlen(src, max);
	size_t i = 0, run = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t l;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			run++;
			i++;
			continue;
		}
		jw_raw(w, s + i - run, run);
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
		l = c >= 0x80 ? st_utf8_len(s + i, n - i) : 0;
		if (l) {
			jw_raw(w, s + i, l);
			i += l;
			continue;
		}
		/* control char, DEL, or a byte outside valid UTF-8 */
		char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
		jw_raw(w, u, 6);
		i++;
	}
	jw_raw(w, s + i - run, run);
}

void jw_qstr(struct jw *w, const char *src, size_t max)
{
	jw_raw(w, "\"", 1);
	jw_esc(w, src, max);
	jw_raw(w, "\"", 1);
}

int jw_finish(struct jw *w)
{
	if (w->ovf)
		return -1;
	*w->p = '\0';
	return (int)w->n;
}
