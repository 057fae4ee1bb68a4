// SPDX-License-Identifier: GPL-2.0
/*
 * procfacts.c - this process's own facts for the process_* metrics: CPU
 * time and start time from /proc/self/stat, boot time from /proc/stat,
 * resident memory from /proc/self/statm.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"

/* the fields of /proc/self/stat after the command name, which may hold
 * spaces and parentheses: from the last ')' on */
static int read_stat(unsigned long long *ticks, unsigned long long *start)
{
	char buf[1024], *p;
	unsigned long long ut, st;
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	/* state(3) ... utime(14) stime(15) ... starttime(22) */
	if (!p || sscanf(p + 1,
			 " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
			 "%llu %*d %*d %*d %*d %*d %*d %llu",
			 &ut, &st, start) != 3)
		return -EINVAL;
	*ticks = ut + st;
	return 0;
}

/* btime: the boot time in seconds since the epoch */
static int read_btime(unsigned long long *btime)
{
	char line[256];
	FILE *f = fopen("/proc/stat", "re");
	int ret = -EINVAL;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %llu", btime) == 1) {
			ret = 0;
			break;
		}
	fclose(f);
	return ret;
}

static int read_rss(unsigned long long *pages)
{
	FILE *f = fopen("/proc/self/statm", "re");
	int ret;

	if (!f)
		return -errno;
	ret = fscanf(f, "%*u %llu", pages) == 1 ? 0 : -EINVAL;
	fclose(f);
	return ret;
}

int procfacts__read(struct la_proc_facts *p)
{
	unsigned long long ticks, start, btime, pages;
	long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	int ret;

	if (hz <= 0 || page <= 0)
		return -EINVAL;
	ret = read_stat(&ticks, &start);
	if (!ret)
		ret = read_btime(&btime);
	if (!ret)
		ret = read_rss(&pages);
	if (ret)
		return ret;
	p->cpu_s = (double)ticks / (double)hz;
	p->start_s = (double)btime + (double)start / (double)hz;
	p->rss_bytes = (uint64_t)pages * (uint64_t)page;
	return 0;
}
