// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* lib/util.c - small shared helpers (see lib/util.h). */
#include <string.h>

#include "lib/jsonw.h"
#include "lib/util.h"

void st_copy_str(char *dst, size_t size, const char *src, size_t max)
{
	size_t n;

	if (!size)
		return;
	n = strnlen(src, max < size - 1 ? max : size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}


size_t st_clean_text(char *dst, size_t size, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, n = strlen(src);

	if (!size)
		return 0;
	for (size_t i = 0; i < n && o + 1 < size;) {
		size_t l = st_utf8_len(s + i, n - i);

		/* C0 controls and DEL, C1 controls (U+0080..U+009F: "\xc2\x80".."\xc2\x9f",
		 * CSI among them), and bytes that are not UTF-8 */
		if (!l || s[i] < 0x20 || s[i] == 0x7f || (l == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)) {
			dst[o++] = '?';
			i += l ? l : 1;
			continue;
		}
		if (o + l >= size)
			break;
		memcpy(dst + o, s + i, l);
		o += l;
		i += l;
	}
	dst[o] = '\0';
	return o;
}

void st_put_wrapped(FILE *f, const char *line, int indent)
{
	const char *p = line;
	int col = 0;

	for (;;) {
		size_t sp = strspn(p, " ");
		size_t len = strcspn(p + sp, " ");

		if (!len)
			break;		/* the end, or trailing spaces */
		if (col > indent && col + (int)(sp + len) > ST_TEXT_COLS) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else {
			fprintf(f, "%*s", (int)sp, "");
			col += (int)sp;
		}
		fwrite(p + sp, 1, len, f);
		col += (int)len;
		p += sp + len;
	}
	fputc('\n', f);
}
