/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * outfile.h - the one way shrinktrace opens a file it writes (-o of the tracer
 * and of `shrinktrace replay`).
 */
#ifndef ST_OUTFILE_H
#define ST_OUTFILE_H

#include <stdio.h>

/*
 * Open path for writing: never through a symlink at the final component
 * (O_NOFOLLOW), never truncating or writing something that is not a regular
 * file (a FIFO, a device: refused without blocking), mode 0600 when created,
 * truncated once known to be a regular file.  Returns a fully buffered stream
 * the caller fcloses, or NULL with errno set (ELOOP: a symlink; EINVAL or
 * ENXIO: not a regular file).
 */
FILE *st_open_output(const char *path);

/* Words for an st_open_output() errno: "it is a symbolic link", "it is not a
 * regular file", else strerror(e).  Static storage. */
const char *st_output_strerror(int e);

#endif /* ST_OUTFILE_H */
