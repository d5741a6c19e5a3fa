// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* log/outfile.c - safe opening of output files and whole-line streams (see log/outfile.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log/outfile.h"

/* A line longer than this without '\n' is written as it is. */
#define LINE_MAX_PENDING (1u << 20)

struct lineout {
	int fd;
	bool owned;		/* opened here: truncate on error, fsync and close at fclose */
	int err;		/* first write error, 0 if none */
	off_t off;		/* bytes written so far (owned files start empty) */
	off_t good;		/* file size up to the end of the last complete line */
	char *pend;		/* bytes not written yet: the start of an unfinished line */
	size_t npend, cappend;
	FILE *f;		/* the stream (for st_output_error) */
	struct lineout *next;	/* every open stream */
};

static struct lineout *open_streams;

static int write_all(struct lineout *o, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(o->fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (w == 0)
			return EIO;
		o->off += w;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Record the first error; an owned file loses its unfinished last line. */
static void fail(struct lineout *o, int e)
{
	o->err = e;
	if (o->owned && o->off != o->good && ftruncate(o->fd, o->good) == 0)
		o->off = o->good;
	o->npend = 0;
}

/* Write pend[0..n) (it ends a line when complete is set). */
static int emit(struct lineout *o, size_t n, bool complete)
{
	off_t start = o->off;
	int e = write_all(o, o->pend, n);

	if (e) {
		/* keep the complete lines that did get written */
		const char *nl = memrchr(o->pend, '\n', (size_t)(o->off - start));

		if (nl)
			o->good = start + (nl - o->pend) + 1;
		fail(o, e);
		return -1;
	}
	if (complete)
		o->good = o->off;
	memmove(o->pend, o->pend + n, o->npend - n);
	o->npend -= n;
	return 0;
}

static ssize_t lo_write(void *cookie, const char *buf, size_t size)
{
	struct lineout *o = cookie;
	const char *nl;

	if (o->err) {
		errno = o->err;
		return 0;
	}
	if (o->npend + size > o->cappend) {
		size_t ncap = o->cappend ? o->cappend : 1 << 16;
		char *np;

		while (ncap < o->npend + size)
			ncap *= 2;
		np = realloc(o->pend, ncap);
		if (!np) {
			fail(o, ENOMEM);
			errno = ENOMEM;
			return 0;
		}
		o->pend = np;
		o->cappend = ncap;
	}
	memcpy(o->pend + o->npend, buf, size);
	o->npend += size;
	nl = memrchr(o->pend, '\n', o->npend);
	if (nl && emit(o, (size_t)(nl - o->pend) + 1, true)) {
		errno = o->err;
		return 0;
	}
	if (o->npend > LINE_MAX_PENDING && emit(o, o->npend, false)) {
		errno = o->err;
		return 0;
	}
	return (ssize_t)size;
}

static int lo_close(void *cookie)
{
	struct lineout *o = cookie;
	int e;

	/* the end of a stream that does not end in '\n' */
	if (!o->err && o->npend)
		emit(o, o->npend, true);
	if (o->owned) {
		if (!o->err && fsync(o->fd) && errno != EINVAL && errno != EROFS)
			fail(o, errno);
		if (close(o->fd) && !o->err && errno != EINTR)
			o->err = errno;
	}
	e = o->err;
	for (struct lineout **pp = &open_streams; *pp; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	}
	free(o->pend);
	free(o);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

static FILE *lineout_new(int fd, bool owned)
{
	static const cookie_io_functions_t io = { .write = lo_write, .close = lo_close };
	struct lineout *o = calloc(1, sizeof(*o));
	FILE *f;

	if (!o)
		return NULL;
	o->fd = fd;
	o->owned = owned;
	f = fopencookie(o, "w", io);
	if (!f) {
		free(o);
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	o->f = f;
	o->next = open_streams;
	open_streams = o;
	return f;
}

int st_output_flush(FILE *f)
{
	struct lineout *o;

	if (fflush(f))
		return EOF;
	for (o = open_streams; o && o->f != f; o = o->next)
		;
	if (!o)
		return 0;
	if (o->err) {
		errno = o->err;
		return EOF;
	}
	/* the unfinished line too: not its end, so an error still cuts it off */
	if (o->npend && emit(o, o->npend, false)) {
		errno = o->err;
		return EOF;
	}
	return 0;
}

int st_output_error(FILE *f)
{
	for (struct lineout *o = open_streams; o; o = o->next)
		if (o->f == f)
			return o->err;
	return 0;
}

FILE *st_open_output_mode(const char *path, mode_t mode)
{
	struct stat st;
	FILE *f;
	int e;
	/* O_NONBLOCK: opening a FIFO must not wait for a reader.  No O_TRUNC:
	 * nothing is truncated before it is known to be a plain regular file. */
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		      mode & 0777);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		e = EINVAL;		/* reported as "not a regular file" */
		goto fail;
	}
	if (st.st_nlink > 1) {
		e = EMLINK;
		goto fail;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	/* An existing file becomes as a new one would be: ours, with mode. */
	if (geteuid() == 0 && st.st_uid != 0 && fchown(fd, 0, getegid())) {
		e = errno;
		goto fail;
	}
	if (geteuid() != 0 && st.st_uid != geteuid()) {
		e = EPERM;		/* someone else's file: they could read it */
		goto fail;
	}
	if ((st.st_mode & 07777) != (mode & 0777) && fchmod(fd, mode & 0777)) {
		e = errno;
		goto fail;
	}
	if (ftruncate(fd, 0)) {
		e = errno;
		goto fail;
	}
	f = lineout_new(fd, true);
	if (!f) {
		e = errno ? errno : ENOMEM;
		goto fail;
	}
	return f;
fail:
	close(fd);
	errno = e;
	return NULL;
}

FILE *st_open_output(const char *path)
{
	return st_open_output_mode(path, ST_OUTPUT_MODE);
}

FILE *st_output_stream(int fd)
{
	return lineout_new(fd, false);
}

const char *st_output_strerror(int e)
{
	if (e == ELOOP)
		return "it is a symbolic link";
	if (e == EINVAL || e == ENXIO)
		return "it is not a regular file";
	if (e == EMLINK)
		return "it has more than one hard link";
	if (e == EPERM)
		return "cannot set its mode: not its owner";
	return strerror(e);
}

int st_parse_mode(const char *s, mode_t *mode)
{
	unsigned long v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 4 || strspn(s, "01234567") != n)
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 8 + (unsigned long)(s[i] - '0');
	if (v > 0777)
		return -1;
	*mode = (mode_t)v;
	return 0;
}
