/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * relog FILE... - read shrinktrace/1 logs with the log reader (log/reader.c) and
 * write every header and event again with the log writer (log/writer.c), on
 * standard output.  tests/package/fields.sh collects the field names the writer
 * writes from it, to check that docs/event-log.md names every one.  Not installed.
 * Exit 0, or 1 on a reader error ("FILE:LINE: reason" on stderr).
 */
#include <stdio.h>

#include "log/event.h"
#include "log/reader.h"
#include "log/writer.h"

int main(int argc, char **argv)
{
	static char buf[ST_JSONL_MAX];
	char err[256];
	struct st_rec r;
	int i, n, rc;

	for (i = 1; i < argc; i++) {
		struct st_log *lg = st_log_open(argv[i], err, sizeof(err));

		if (!lg) {
			fprintf(stderr, "relog: %s\n", err);
			return 1;
		}
		n = st_jsonl_format_header(buf, sizeof(buf), st_log_kernel(lg), st_log_backend(lg),
					   st_log_start_ts(lg), (int)st_log_list_offset(lg));
		if (n > 0)
			fputs(buf, stdout);
		while ((rc = st_log_next(lg, &r)) > 0) {
			n = st_jsonl_format_rec(buf, sizeof(buf), &r);
			if (n > 0)
				fputs(buf, stdout);
		}
		if (rc < 0) {
			fprintf(stderr, "%s\n", st_log_error(lg));
			st_log_close(lg);
			return 1;
		}
		st_log_close(lg);
	}
	return 0;
}
