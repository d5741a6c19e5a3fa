// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* log/outfile.c - safe output files and whole-line streams (see log/outfile.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log/outfile.h"

/* A line longer than this without '\n' is written as it is. */
#define LINE_MAX_PENDING (1u << 20)

struct lineout {
	int fd;
	bool owned;		/* made here: truncate on error, fsync and close at fclose */
	bool pad;		/* ST_OUT_PAGES */
	bool committed;		/* owned: linked at its path */
	int err;		/* first write error, 0 if none */
	off_t off;		/* bytes written so far (owned files start empty) */
	off_t good;		/* file size up to the end of the last complete line */
	char *pend;		/* bytes not written yet: the start of an unfinished line */
	size_t npend, cappend;
	char *padbuf;		/* pad: the lines of one write with their padding */
	size_t cappad;
	int dirfd;		/* owned: the directory of the path, -1 otherwise */
	char *dirpath;		/* owned: the path of that directory as given, or NULL */
	char *base;		/* owned: the last component of the path */
	char *tmpname;		/* owned without O_TMPFILE: its private name in dirfd */
	FILE *f;		/* the stream (for st_output_error) */
	struct lineout *next;	/* every open stream */
};

static struct lineout *open_streams;

static struct lineout *find(FILE *f)
{
	struct lineout *o;

	for (o = open_streams; o && o->f != f; o = o->next)
		;
	return o;
}

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
	if (o->owned && o->off != o->good && ftruncate(o->fd, o->good) == 0) {
		o->off = o->good;
		lseek(o->fd, o->off, SEEK_SET);
	}
	o->npend = 0;
}

static int pad_room(struct lineout *o, size_t need)
{
	size_t ncap = o->cappad ? o->cappad : 1 << 16;
	char *np;

	if (need <= o->cappad)
		return 0;
	while (ncap < need)
		ncap *= 2;
	np = realloc(o->padbuf, ncap);
	if (!np)
		return -1;
	o->padbuf = np;
	o->cappad = ncap;
	return 0;
}

/*
 * ST_OUT_PAGES: the complete lines p[0..n) as they go to the file from offset
 * o->off, with no line of at most ST_OUT_PAGE bytes across a page boundary.
 * A line that would cross one starts at it: the previous line (when it is in
 * this write) ends with spaces up to the boundary, else a blank line of
 * spaces fills it.  Linux's write(2) stops for a fatal signal only between
 * pages (generic_perform_write(), iomap_write_iter()), so a SIGKILL cuts
 * the file at a line's end.  Returns the buffer (o->padbuf) and its length,
 * or NULL on ENOMEM.
 */
static const char *pad_lines(struct lineout *o, const char *p, size_t n, size_t *outlen)
{
	uint64_t pos = (uint64_t)o->off;
	size_t len = 0, i = 0;
	bool prev = false;

	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t l = nl ? (size_t)(nl - (p + i)) + 1 : n - i;
		size_t left = ST_OUT_PAGE - (size_t)(pos % ST_OUT_PAGE);

		if (pad_room(o, len + l + ST_OUT_PAGE))
			return NULL;
		if (l > left && l <= ST_OUT_PAGE) {
			if (prev) {
				/* the previous line's '\n' moves to the boundary */
				memset(o->padbuf + len - 1, ' ', left);
				o->padbuf[len - 1 + left] = '\n';
			} else {
				memset(o->padbuf + len, ' ', left - 1);
				o->padbuf[len + left - 1] = '\n';
			}
			len += left;
			pos += left;
		}
		memcpy(o->padbuf + len, p + i, l);
		len += l;
		pos += l;
		i += l;
		prev = true;
	}
	*outlen = len;
	return o->padbuf;
}

/* Write pend[0..n) (it ends a line when complete is set). */
static int emit(struct lineout *o, size_t n, bool complete)
{
	off_t start = o->off;
	const char *buf = o->pend;
	size_t len = n;
	int e;

	if (o->pad && complete) {
		buf = pad_lines(o, o->pend, n, &len);
		if (!buf) {
			fail(o, ENOMEM);
			return -1;
		}
	}
	e = write_all(o, buf, len);
	if (e) {
		/* keep the complete lines that did get written */
		const char *nl = memrchr(buf, '\n', (size_t)(o->off - start));

		if (nl)
			o->good = start + (nl - buf) + 1;
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

/* ---- where the file is ------------------------------------------------ */

/* A writer (st_output_create(), here or in another process) holds the
 * regular file base of dirfd: its flock.  Unreadable files cannot be told. */
static bool held_by_writer(int dirfd, const char *base)
{
	int fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	bool busy = false;

	if (fd < 0)
		return false;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode))
		busy = flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
	close(fd);		/* and with it the shared lock, if taken */
	return busy;
}

/* What is at base now may be replaced: 0, or the errno of the refusal. */
static int check_target(int dirfd, const char *base)
{
	struct stat st;

	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : errno;
	if (S_ISLNK(st.st_mode))
		return ELOOP;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (!S_ISREG(st.st_mode))
		return EINVAL;
	if (st.st_nlink > 1)
		return EMLINK;
	if (held_by_writer(dirfd, base))
		return EBUSY;
	return 0;
}

/* A private name in the directory: ".BASE.XXXXXXXX~" (random hex). */
static char *private_name(const char *base)
{
	uint64_t r = 0;
	size_t n = strlen(base) + 32;
	char *s = malloc(n);

	if (!s)
		return NULL;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		r ^= (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid() << 32;
	}
	snprintf(s, n, ".%s.%016llx~", base, (unsigned long long)r);
	return s;
}

/* Link the O_TMPFILE inode at name in dirfd (no replacing).  0 or errno. */
static int link_tmpfile(int fd, int dirfd, const char *name)
{
	char proc[64];

	if (!linkat(fd, "", dirfd, name, AT_EMPTY_PATH))
		return 0;
	if (errno != ENOENT && errno != EPERM && errno != EINVAL)
		return errno;
	/* without CAP_DAC_READ_SEARCH: through /proc */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) ? errno : 0;
}

/* Take the directory's flock, waiting at most 2 s: it is held only for the
 * few system calls of a commit. */
static int lock_dir(int dirfd)
{
	for (int i = 0; i < 200; i++) {
		if (!flock(dirfd, LOCK_EX | LOCK_NB))
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return errno == EBADF || errno == ENOLCK ? 0 : errno;	/* no locks here */
		usleep(10000);
	}
	return EBUSY;
}

static int commit(struct lineout *o)
{
	char *tmp = NULL;
	int e;

	if (!o->owned || o->committed)
		return 0;
	if (o->err)
		return o->err;
	if (fsync(o->fd) && errno != EINVAL && errno != EROFS)
		return errno;
	e = lock_dir(o->dirfd);
	if (e)
		return e;
	e = check_target(o->dirfd, o->base);
	if (e)
		goto out;
	if (o->tmpname) {
		e = renameat(o->dirfd, o->tmpname, o->dirfd, o->base) ? errno : 0;
		if (!e) {
			free(o->tmpname);
			o->tmpname = NULL;
		}
		goto out;
	}
	/* O_TMPFILE: straight to the name when it is free, else through a
	 * private name renamed over the earlier file (atomic) */
	e = link_tmpfile(o->fd, o->dirfd, o->base);
	if (e != EEXIST)
		goto out;
	for (int tries = 0; tries < 16; tries++) {
		free(tmp);
		tmp = private_name(o->base);
		if (!tmp) {
			e = ENOMEM;
			goto out;
		}
		e = link_tmpfile(o->fd, o->dirfd, tmp);
		if (e != EEXIST)
			break;
	}
	if (e)
		goto out;
	if (renameat(o->dirfd, tmp, o->dirfd, o->base)) {
		e = errno;
		unlinkat(o->dirfd, tmp, 0);
	}
out:
	if (!e) {
		o->committed = true;
		/* the new name on disk too; should that fail, the file is in
		 * place all the same and a later fsync of it reports errors */
		(void)fsync(o->dirfd);
	}
	flock(o->dirfd, LOCK_UN);
	free(tmp);
	return e;
}

/* The committed file is still at its path: in its directory, and that
 * directory still where the path leads (not removed, moved away or replaced,
 * by a symlink for one: the path would name another file). */
static int check(struct lineout *o)
{
	struct stat mine, there, d, dp;

	if (!o->owned || !o->committed)
		return 0;
	if (fstat(o->fd, &mine))
		return errno;
	if (mine.st_nlink == 0 ||
	    fstatat(o->dirfd, o->base, &there, AT_SYMLINK_NOFOLLOW) ||
	    there.st_dev != mine.st_dev || there.st_ino != mine.st_ino)
		return ST_OUT_EREMOVED;
	if (o->dirpath && (fstat(o->dirfd, &d) || stat(o->dirpath, &dp) ||
			   d.st_dev != dp.st_dev || d.st_ino != dp.st_ino))
		return ST_OUT_EREMOVED;
	return 0;
}

static int lo_close(void *cookie)
{
	struct lineout *o = cookie;
	int e;

	/* the end of a stream that does not end in '\n' */
	if (!o->err && o->npend && (!o->owned || o->committed))
		emit(o, o->npend, true);
	if (o->owned) {
		if (o->committed) {
			if (!o->err && fsync(o->fd) && errno != EINVAL && errno != EROFS)
				fail(o, errno);
			if (!o->err && (e = check(o)))
				o->err = e;
		} else if (o->tmpname) {
			unlinkat(o->dirfd, o->tmpname, 0);	/* discarded */
		}
		if (close(o->fd) && !o->err && errno != EINTR && o->committed)
			o->err = errno;
		close(o->dirfd);
	}
	e = o->committed || !o->owned ? o->err : 0;
	for (struct lineout **pp = &open_streams; *pp; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	}
	free(o->pend);
	free(o->padbuf);
	free(o->base);
	free(o->dirpath);
	free(o->tmpname);
	free(o);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

static FILE *lineout_new(struct lineout *o)
{
	static const cookie_io_functions_t io = { .write = lo_write, .close = lo_close };
	FILE *f = fopencookie(o, "w", io);

	if (!f)
		return NULL;
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	o->f = f;
	o->next = open_streams;
	open_streams = o;
	return f;
}

int st_output_flush(FILE *f)
{
	struct lineout *o;
	int e;

	if (fflush(f))
		return EOF;
	o = find(f);
	if (!o)
		return 0;
	if (!o->err && (e = check(o)))
		fail(o, e);
	if (o->err) {
		errno = o->err;
		return EOF;
	}
	/* the unfinished line too: not its end, so an error still cuts it off
	 * (not with padding: its offsets are those of whole lines) */
	if (o->npend && !o->pad && emit(o, o->npend, false)) {
		errno = o->err;
		return EOF;
	}
	return 0;
}

int st_output_check(FILE *f)
{
	struct lineout *o = find(f);
	int e;

	if (!o || o->err)
		return o ? (o->err == ST_OUT_EREMOVED ? o->err : 0) : 0;
	e = check(o);
	if (e)
		fail(o, e);
	return e;
}

int st_output_error(FILE *f)
{
	struct lineout *o = find(f);

	return o ? o->err : 0;
}

int st_output_commit(FILE *f)
{
	struct lineout *o;
	int e;

	if (fflush(f))
		return -1;
	o = find(f);
	if (!o)
		return 0;
	e = commit(o);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

/* The file base in the directory dirfd (taken: closed on failure), whose path
 * is dirpath (taken, may be NULL). */
static FILE *create_in(int dirfd, char *dirpath, const char *base, mode_t mode, unsigned flags)
{
	struct lineout *o = calloc(1, sizeof(*o));
	FILE *f;
	int e;

	if (!o) {
		close(dirfd);
		free(dirpath);
		errno = ENOMEM;
		return NULL;
	}
	o->fd = -1;
	o->dirfd = dirfd;
	o->dirpath = dirpath;
	o->owned = true;
	o->pad = flags & ST_OUT_PAGES;
	o->base = strdup(base);
	if (!o->base) {
		e = ENOMEM;
		goto fail;
	}
	if (!*base || strchr(base, '/') || !strcmp(base, ".") || !strcmp(base, "..")) {
		e = EISDIR;
		goto fail;
	}
	e = check_target(o->dirfd, o->base);
	if (e)
		goto fail;
	/* a fresh inode, nameless until the commit */
	if (flags & ST_OUT_NO_TMPFILE) {
		o->fd = -1;
		errno = EOPNOTSUPP;
	} else {
		o->fd = openat(o->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	}
	if (o->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* no O_TMPFILE here (some network and FUSE file systems) */
		for (int tries = 0; o->fd < 0 && tries < 16; tries++) {
			free(o->tmpname);
			o->tmpname = private_name(o->base);
			if (!o->tmpname) {
				e = ENOMEM;
				goto fail;
			}
			o->fd = openat(o->dirfd, o->tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				       O_CLOEXEC | O_NOCTTY, 0600);
			if (o->fd < 0 && errno != EEXIST)
				break;
		}
	}
	if (o->fd < 0) {
		e = errno;
		free(o->tmpname);
		o->tmpname = NULL;
		goto fail;
	}
	/* exactly mode (the umask applied at creation); ours alone until then */
	if (fchmod(o->fd, mode & 0777) || flock(o->fd, LOCK_EX | LOCK_NB)) {
		e = errno;
		goto fail;
	}
	f = lineout_new(o);
	if (!f) {
		e = errno ? errno : ENOMEM;
		goto fail;
	}
	return f;
fail:
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmpname)
		unlinkat(o->dirfd, o->tmpname, 0);
	if (o->dirfd >= 0)
		close(o->dirfd);
	free(o->base);
	free(o->dirpath);
	free(o->tmpname);
	free(o);
	errno = e;
	return NULL;
}

FILE *st_output_create(const char *path, mode_t mode, unsigned flags)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int dirfd, e;

	if (!*path || (slash && !slash[1])) {
		errno = EISDIR;		/* "dir/": no file name */
		return NULL;
	}
	dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	if (!dir) {
		errno = ENOMEM;
		return NULL;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		e = errno;
		free(dir);
		errno = e;
		return NULL;
	}
	return create_in(dirfd, dir, slash ? slash + 1 : path, mode, flags);
}

int st_output_dir(FILE *f, char **dirpath)
{
	struct lineout *o = find(f);
	int fd;

	*dirpath = NULL;
	if (!o || !o->owned) {
		errno = EINVAL;
		return -1;
	}
	if (o->dirpath && !(*dirpath = strdup(o->dirpath))) {
		errno = ENOMEM;
		return -1;
	}
	fd = fcntl(o->dirfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		free(*dirpath);
		*dirpath = NULL;
	}
	return fd;
}

FILE *st_output_create_at(int dirfd, const char *dirpath, const char *base, mode_t mode,
			  unsigned flags)
{
	char *dp = NULL;
	int fd;

	if (dirpath && !(dp = strdup(dirpath))) {
		errno = ENOMEM;
		return NULL;
	}
	fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		free(dp);
		return NULL;
	}
	return create_in(fd, dp, base, mode, flags);
}

FILE *st_open_output_mode(const char *path, mode_t mode)
{
	FILE *f = st_output_create(path, mode, 0);
	int e;

	if (f && st_output_commit(f)) {
		e = errno;
		fclose(f);
		errno = e;
		return NULL;
	}
	return f;
}

FILE *st_open_output(const char *path)
{
	return st_open_output_mode(path, ST_OUTPUT_MODE);
}

FILE *st_output_stream(int fd)
{
	struct lineout *o = calloc(1, sizeof(*o));
	FILE *f;

	if (!o)
		return NULL;
	o->fd = fd;
	o->dirfd = -1;
	f = lineout_new(o);
	if (!f)
		free(o);
	return f;
}

const char *st_output_strerror(int e)
{
	if (e == ELOOP)
		return "it is a symbolic link";
	if (e == EINVAL || e == ENXIO)
		return "it is not a regular file";
	if (e == EMLINK)
		return "it has more than one hard link";
	if (e == EBUSY)
		return "another process is writing it (it holds a lock on it)";
	if (e == ST_OUT_EREMOVED)
		return "it was removed while it was written (the file, or its directory: removed, "
		       "moved away or replaced)";
	if (e == EISDIR)
		return "it is a directory";
	return strerror(e);
}

/* The file behind the output, when it is a regular file. */
static bool out_stat(const char *out, struct stat *st)
{
	if (!out || !strcmp(out, "-"))
		return !fstat(STDOUT_FILENO, st) && S_ISREG(st->st_mode);
	return !stat(out, st) && S_ISREG(st->st_mode);
}

bool st_output_is_input(const char *out, const char *in)
{
	struct stat so, si;
	bool out_std = !out || !strcmp(out, "-");

	if (!out_std && !strcmp(out, in) && strcmp(in, "-"))
		return true;
	if (!out_stat(out, &so))
		return false;
	if (!strcmp(in, "-") ? fstat(STDIN_FILENO, &si) : stat(in, &si))
		return false;
	return S_ISREG(si.st_mode) && si.st_dev == so.st_dev && si.st_ino == so.st_ino;
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
