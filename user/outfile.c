// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* outfile.c - safe opening of output files (see outfile.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

FILE *st_open_output(const char *path)
{
	struct stat st;
	FILE *f;
	/* O_NONBLOCK: opening a FIFO must not wait for a reader. */
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		      0600);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;		/* reported as "not a regular file" */
		return NULL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (ftruncate(fd, 0)) {
		int e = errno;

		close(fd);
		errno = e;
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		int e = errno;

		close(fd);
		errno = e;
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	return f;
}

const char *st_output_strerror(int e)
{
	if (e == ELOOP)
		return "it is a symbolic link";
	if (e == EINVAL || e == ENXIO)
		return "it is not a regular file";
	return strerror(e);
}
