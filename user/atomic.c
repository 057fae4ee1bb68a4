// SPDX-License-Identifier: GPL-2.0
/*
 * atomic.c - replacing a file whole (reports, metrics textfiles): a
 * temporary beside it, synced, renamed over it, the directory synced
 * (atomic.h)
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "xalloc.h"

/* As open(2) makes a new file: 0666 less the umask (a service's UMask). */
static mode_t new_file_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

/* fill the open temporary file fd (closed here) */
static int write_tmp(int fd, la_atomic_fill fill, void *arg)
{
	/* on the descriptor: the name can be swapped for a symlink by anyone
	 * who may rename entries in the directory */
	FILE *f = fchmod(fd, new_file_mode()) ? NULL : fdopen(fd, "w");
	int err;

	if (!f) {
		err = -errno;
		close(fd);
		return err;
	}
	err = fill(f, arg);
	if (!err && fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

int atomic__save(const char *path, la_atomic_fill fill, void *arg)
{
	char *dir_copy = xstrdup(path), *tmp;
	const char *dir = dirname(dir_copy);
	size_t len = strlen(dir) + 32;
	int fd, dfd, err;

	tmp = xrealloc(NULL, len);
	snprintf(tmp, len, "%s/.lockaudit.XXXXXX", dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = write_tmp(fd, fill, arg);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		goto out;
	}
	/* the rename is durable once the directory is */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd))
		err = -errno;
	if (dfd >= 0)
		close(dfd);
out:
	free(tmp);
	free(dir_copy);
	return err;
}
