/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log/outfile.h - the one way shrinktrace opens a file it writes (-o of the tracer,
 * of `shrinktrace replay` and of `shrinktrace redact`).
 *
 * The streams returned here write whole lines only: what the caller writes
 * goes through stdio's buffer into a line assembler that hands the file
 * descriptor complete '\n'-terminated lines (the text after the last '\n'
 * waits for the rest of its line, or for fclose()).  When a write fails
 * (ENOSPC, EDQUOT, EIO, ...) a file opened by st_open_output*() is truncated
 * back to the end of its last complete line at once, and every later write
 * fails with the same errno: whatever happens afterwards (even SIGKILL), the
 * file holds complete lines only.
 */
#ifndef ST_OUTFILE_H
#define ST_OUTFILE_H

#include <stdio.h>
#include <sys/types.h>

/* The exit status of a usage error (a bad --mode), as of every other. */
#define ST_USAGE_STATUS 2

/* The mode of an output file unless --mode says otherwise. */
#define ST_OUTPUT_MODE 0600

/*
 * Open path for writing: never through a symlink at the final component
 * (O_NOFOLLOW), never truncating or writing something that is not a regular
 * file (a FIFO, a device: refused without blocking), nor a regular file with
 * more than one hard link (it would change the other names' content too).
 * The file gets exactly `mode` (permission bits, <= 0777; the umask does not
 * apply): a new file is created so, an existing one is reset to it before it
 * is truncated, and when run as root an existing file owned by another user
 * is also given to root, so that a log never stays readable by someone the
 * user did not choose.  If the mode cannot be set (not the file's owner) the
 * file is left untouched and NULL is returned (EPERM).
 *
 * Returns a fully buffered whole-line stream (see above) that the caller
 * fcloses; fclose() writes the last bytes, fsyncs the file, closes it and
 * returns EOF with errno set to the first write error, if any.  NULL with
 * errno set on failure (ELOOP: a symlink; EINVAL or ENXIO: not a regular
 * file; EMLINK: more than one hard link; else open(2)'s or fchmod(2)'s).
 */
FILE *st_open_output_mode(const char *path, mode_t mode);

/* st_open_output_mode(path, ST_OUTPUT_MODE). */
FILE *st_open_output(const char *path);

/*
 * A whole-line stream over an fd the caller keeps (standard output): lines
 * are written whole, the first write error is kept and returned by every
 * later write (errno EPIPE once a pipe's reader is gone), nothing is
 * truncated and fclose() does not close fd.  NULL with errno on ENOMEM.
 */
FILE *st_output_stream(int fd);

/* fflush(f), then for a stream returned above also write the start of an
 * unfinished last line (a Perfetto trace's newest record is followed by its
 * ",\n" only when the next one comes), for a reader that follows the file
 * live.  A later write error still cuts the file back to its last complete
 * line.  Returns 0, or EOF with errno set. */
int st_output_flush(FILE *f);

/* The first write error (an errno value) of a stream returned above, 0 if
 * none so far or f is not one of them.  Valid until fclose(f). */
int st_output_error(FILE *f);

/* Words for an st_open_output*() errno: "it is a symbolic link", "it is not a
 * regular file", "it has more than one hard link", "cannot set its mode: not
 * its owner" (EPERM), else strerror(e).  Static storage. */
const char *st_output_strerror(int e);

/* Parse a --mode argument: octal digits only (at most 4, e.g. 600 or 0640),
 * a value <= 0777.  Returns 0 with *mode set, or -1. */
int st_parse_mode(const char *s, mode_t *mode);

#endif /* ST_OUTFILE_H */
