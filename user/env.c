// SPDX-License-Identifier: GPL-2.0
/* env.c - what the running system allows: privileges, BTF, kernel identity */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "env.h"

#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT	  38
#define CAP_BPF_BIT	  39

bool env__has_bpf_caps(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	bool found = false;

	if (!f)
		return geteuid() == 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			found = true;
			break;
		}
	fclose(f);
	if (!found)
		return geteuid() == 0;
	if (eff & (1ULL << CAP_SYS_ADMIN_BIT))
		return true;
	return (eff & (1ULL << CAP_BPF_BIT)) &&
	       (eff & (1ULL << CAP_PERFMON_BIT));
}

bool env__kernel_btf(void)
{
	return access("/sys/kernel/btf/vmlinux", R_OK) == 0;
}

int env__check_writable(const char *path)
{
	char *copy, *tmp;
	size_t len;
	int fd, err = 0;

	if (!strcmp(path, "-"))
		return 0;
	if (!path[0])
		return -ENOENT;
	/* an existing file we could not replace is as bad as no directory */
	if (access(path, F_OK) == 0 && access(path, W_OK) != 0)
		return -errno;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	len = strlen(copy) + 32;
	tmp = malloc(len);
	if (!tmp) {
		free(copy);
		return -ENOMEM;
	}
	snprintf(tmp, len, "%s/.lockaudit.XXXXXX", dirname(copy));
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
	} else {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	free(copy);
	return err;
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
