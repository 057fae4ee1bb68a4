// SPDX-License-Identifier: GPL-2.0
/* env.c - what the running system allows: privileges, BTF, kernel identity */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "env.h"

#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT	  38
#define CAP_BPF_BIT	  39

/* the effective capability set, from /proc/self/status; false if unread */
static bool cap_eff(unsigned long long *eff)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", eff) == 1;
	fclose(f);
	return found;
}

bool env__has_bpf_caps(void)
{
	unsigned long long eff = 0;

	if (!cap_eff(&eff))
		return geteuid() == 0;
	if (eff & (1ULL << CAP_SYS_ADMIN_BIT))
		return true;
	return (eff & (1ULL << CAP_BPF_BIT)) &&
	       (eff & (1ULL << CAP_PERFMON_BIT));
}

bool env__has_sys_admin(void)
{
	unsigned long long eff = 0;

	if (!cap_eff(&eff))
		return geteuid() == 0;
	return eff & (1ULL << CAP_SYS_ADMIN_BIT);
}

bool env__kernel_btf(void)
{
	return access("/sys/kernel/btf/vmlinux", R_OK) == 0;
}

static int why_errno(char *why, size_t len, int err)
{
	snprintf(why, len, "%s", strerror(err));
	return -err;
}

/* What an output may be: a regular file (for events, the caller's own). */
static int check_stat(const struct stat *st, bool own, char *why, size_t len)
{
	if (S_ISLNK(st->st_mode)) {
		snprintf(why, len,
			 "it is a symbolic link (refused: name the file)");
		return -ELOOP;
	}
	if (S_ISDIR(st->st_mode)) {
		snprintf(why, len, "it is a directory");
		return -EISDIR;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, len, "not a regular file (use '-' for stdout)");
		return -EINVAL;
	}
	if (own && st->st_uid != geteuid()) {
		snprintf(why, len, "it is owned by uid %u, not by the caller",
			 (unsigned int)st->st_uid);
		return -EPERM;
	}
	return 0;
}

int env__check_output(const char *path, bool own, char *why, size_t len)
{
	struct stat st;
	char *copy, *tmp;
	size_t n = strlen(path), tlen;
	int fd, err = 0;

	if (!strcmp(path, "-"))
		return 0;
	if (!n)
		return why_errno(why, len, ENOENT);
	if (path[n - 1] == '/') {
		snprintf(why, len, "it names a directory");
		return -EISDIR;
	}
	if (!lstat(path, &st)) {
		err = check_stat(&st, own, why, len);
		if (err)
			return err;
		/* an existing file we could not replace is as bad as no
		 * directory */
		if (access(path, W_OK))
			return why_errno(why, len, errno);
	} else if (errno != ENOENT) {
		return why_errno(why, len, errno);
	}
	copy = strdup(path);
	tlen = n + 32;
	tmp = malloc(tlen);
	if (!copy || !tmp) {
		free(copy);
		free(tmp);
		return why_errno(why, len, ENOMEM);
	}
	snprintf(tmp, tlen, "%s/.lockaudit.XXXXXX", dirname(copy));
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = why_errno(why, len, errno);
	} else {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	free(copy);
	return err;
}

int env__open_output(const char *path, bool own, char *why, size_t len)
{
	struct stat st;
	int fd, err;

	/* O_NONBLOCK: a FIFO put there since the check must not hang us */
	fd = open(path,
		  O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
			  O_CLOEXEC,
		  0666);
	if (fd < 0) {
		if (errno == ELOOP) {
			snprintf(why, len,
				 "it is a symbolic link (refused: "
				 "name the file)");
			return -ELOOP;
		}
		return why_errno(why, len, errno);
	}
	if (fstat(fd, &st))
		err = why_errno(why, len, errno);
	else
		err = check_stat(&st, own, why, len);
	if (!err && fcntl(fd, F_SETFL, 0))
		err = why_errno(why, len, errno);
	/* truncated only now that it is known to be ours to write */
	if (!err && ftruncate(fd, 0))
		err = why_errno(why, len, errno);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* The directory through realpath, plus the last name; NULL if unresolved */
static char *resolved(const char *path)
{
	char *d = strdup(path), *b = strdup(path), *dir = NULL, *out = NULL;

	if (d && b)
		dir = realpath(dirname(d), NULL);
	if (dir && asprintf(&out, "%s/%s", dir, basename(b)) < 0)
		out = NULL;
	free(dir);
	free(d);
	free(b);
	return out;
}

bool env__same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	char *ra, *rb;
	bool same;

	if (!stat(a, &sa) && !stat(b, &sb))
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	ra = resolved(a);
	rb = resolved(b);
	same = ra && rb ? !strcmp(ra, rb) : !strcmp(a, b);
	free(ra);
	free(rb);
	return same;
}

void env__kernel(char *release, size_t rlen, char *arch, size_t alen,
		 char *host, size_t hlen)
{
	struct utsname u;

	if (uname(&u)) {
		snprintf(release, rlen, "unknown");
		snprintf(arch, alen, "unknown");
		snprintf(host, hlen, "unknown");
		return;
	}
	snprintf(release, rlen, "%s", u.release);
	snprintf(arch, alen, "%s", u.machine);
	snprintf(host, hlen, "%s", u.nodename);
}

static unsigned long long clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL +
	       (unsigned long long)ts.tv_nsec;
}

unsigned long long env__boot_ns(void)
{
	return clock_ns(CLOCK_BOOTTIME);
}

unsigned long long env__real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}
