/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log/outfile.h - the one way shrinktrace opens a file it writes (-o of the tracer,
 * of `shrinktrace replay` and of `shrinktrace redact`).
 *
 * A file is never written in place: st_output_create() makes a fresh inode
 * in the target's directory (O_TMPFILE; a private temporary name where the
 * file system has no O_TMPFILE), locked (flock) for as long as it is open,
 * and nothing at the path changes until st_output_commit() links it there,
 * replacing an earlier file atomically (rename(2)).  So:
 *   - nobody else's descriptor, open on an earlier file of that name, ever
 *     sees a byte of the new one, whoever owns the earlier file;
 *   - a run that fails before it commits (a refused backend, no kallsyms, a
 *     malformed input) leaves the earlier file exactly as it was;
 *   - a second writer of the same path is refused (EBUSY) while the first
 *     one holds its file open, at create or, in a race, at commit.
 *
 * The streams returned here write whole lines only: what the caller writes
 * goes through stdio's buffer into a line assembler that hands the file
 * descriptor complete '\n'-terminated lines (the text after the last '\n'
 * waits for the rest of its line, or for fclose()).  When a write fails
 * (ENOSPC, EDQUOT, EIO, ...) a file opened by st_output_create() is truncated
 * back to the end of its last complete line at once, and every later write
 * fails with the same errno.  With ST_OUT_PAGES no line shorter than 4 KiB
 * straddles a 4 KiB boundary of the file (padding, see below): Linux stops a
 * write(2) interrupted by SIGKILL only at such a boundary, so even a SIGKILL
 * leaves complete lines.
 */
#ifndef ST_OUTFILE_H
#define ST_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The exit status of a usage error (a bad --mode), as of every other. */
#define ST_USAGE_STATUS 2

/* The mode of an output file unless --mode says otherwise. */
#define ST_OUTPUT_MODE 0600

/* The page size the padding of ST_OUT_PAGES aligns to (bytes). */
#define ST_OUT_PAGE 4096

/* st_output_create() flags. */
#define ST_OUT_PAGES 1u		/* JSON Lines only: a line that would straddle a 4 KiB
				 * boundary of the file starts at it instead; the bytes
				 * before it are spaces ending the previous line (JSON
				 * whitespace), or, when that line was written by an
				 * earlier write(2), a blank line of spaces (a reader
				 * skips blank lines: docs/event-log.md) */

/* Where a line of len bytes ('\n' included) written at file offset pos ends
 * in a file written with ST_OUT_PAGES, padding included (bytes): for a writer
 * that keeps track of its file's size (--rotate). */
static inline unsigned long long st_output_line_end(unsigned long long pos, unsigned long long len)
{
	unsigned long long left = ST_OUT_PAGE - pos % ST_OUT_PAGE;

	if (len > left && len <= ST_OUT_PAGE)
		pos += left;
	return pos + len;
}

#define ST_OUT_NO_TMPFILE 2u	/* tests: make the file under a private name as on a file
				 * system without O_TMPFILE */

/* Errors beyond open(2)'s (st_output_strerror() words them). */
#define ST_OUT_EBUSY EBUSY	/* another process has the file open for writing (its lock) */
#define ST_OUT_EREMOVED ESTALE	/* st_output_check(): the file is no longer at its path
				 * (not ENOENT: open(2) gives that for a missing directory) */

/*
 * Make a new output file for path, not yet visible there.  Refused (NULL,
 * errno set, nothing changed): a symlink at the final component (ELOOP); a
 * directory (EISDIR); something that is not a regular file, a FIFO or a
 * device (EINVAL); a regular file with more than one hard link (EMLINK: its
 * other names would keep the old content, which is not what anyone asked);
 * a file another writer holds (EBUSY); a directory that cannot be written
 * (open(2)'s errno).  The file gets exactly `mode` (permission bits, <= 0777;
 * the umask does not apply) and belongs to the caller.
 *
 * Returns a fully buffered whole-line stream (see above) that the caller
 * fcloses.  fclose() of a stream that was never committed discards the file
 * (and what was written to it); of a committed one it writes the last bytes,
 * fsyncs, checks the file is still at its path (else ST_OUT_EREMOVED: the file,
 * or its directory, removed, moved away or replaced, e.g. by a symlink), closes
 * and returns EOF with errno set to the first error, if any.
 */
FILE *st_output_create(const char *path, mode_t mode, unsigned flags);

/*
 * The directory where the file of f (a stream from st_output_create()) was
 * made: a new descriptor of it (O_CLOEXEC, the caller closes it), and in
 * *dirpath its path as given (malloc'ed, NULL when none).  -1 with errno
 * (EINVAL for another stream).
 */
int st_output_dir(FILE *f, char **dirpath);

/*
 * st_output_create() of the name base (no '/') in the directory dirfd, that
 * directory itself, never a path resolved again: --rotate's next files go
 * where the first one went even if the directory was moved and its path now
 * leads elsewhere (a symlink put in its place).  dirpath (may be NULL): the
 * path that should still lead to dirfd, for the checks of st_output_check().
 */
FILE *st_output_create_at(int dirfd, const char *dirpath, const char *base, mode_t mode,
			  unsigned flags);

/*
 * Put the file of a stream from st_output_create() at its path: flush, fsync,
 * then link it there in place of any earlier file (under a short flock of the
 * directory, which serialises two writers' commits).  0, or -1 with errno
 * (EBUSY: another writer's file is there now; ELOOP, EISDIR, EINVAL, EMLINK
 * as above for what appeared at the path meanwhile; link/rename's errno); on
 * error the stream stays uncommitted (fclose() discards it).  0 at once for a
 * stream already committed or from st_output_stream().
 */
int st_output_commit(FILE *f);

/* st_output_create(path, mode, 0) and st_output_commit() at once: for outputs
 * that are wanted even when the run fails later. */
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
 * line.  A committed file that is no longer at its path (removed, or its
 * directory) is an error from then on (ST_OUT_EREMOVED).  Returns 0, or EOF
 * with errno set. */
int st_output_flush(FILE *f);

/* A committed file is still at its path: 0, or ST_OUT_EREMOVED (also kept as
 * the stream's error).  0 for other streams. */
int st_output_check(FILE *f);

/* The first write error (an errno value) of a stream returned above, 0 if
 * none so far or f is not one of them.  Valid until fclose(f). */
int st_output_error(FILE *f);

/* Words for an st_output_*() errno: "it is a symbolic link", "it is not a
 * regular file", "it has more than one hard link", "another process is
 * writing it (it holds a lock on it)", "it was removed while it was written
 * (the file or its directory)", "is a directory", else strerror(e).  Static
 * storage. */
const char *st_output_strerror(int e);

/*
 * Is the input `in` (a path, or "-" for standard input) the same file as the
 * output `out` (a path, or NULL or "-" for standard output)?  True for the
 * same name, or the same inode of a regular file (a hard link, a path
 * through a symlink, the file behind a redirection).  Reading a file while
 * writing it would read what is being written, without end.
 */
bool st_output_is_input(const char *out, const char *in);

/* Parse a --mode argument: octal digits only (at most 4, e.g. 600 or 0640),
 * a value <= 0777.  Returns 0 with *mode set, or -1. */
int st_parse_mode(const char *s, mode_t *mode);

#endif /* ST_OUTFILE_H */
