// SPDX-License-Identifier: GPL-2.0
/*
 * fail.c - how a command fails: the one table from error class to exit
 * code, and each failure message said in more than one place.
 */
#include <stdarg.h>
#include <stdio.h>

#include "fail.h"
#include "ksyms.h"
#include "pin.h"

/* Each failure class has its own exit code (README, docs/lockaudit.8). */
static const int exit_codes[LA_NR_ERRS] = {
	[LA_OK] = 0,	       [LA_ERR_FAIL] = 1,    [LA_ERR_USAGE] = 2,
	[LA_ERR_HOOK] = 3,     [LA_ERR_PERM] = 4,    [LA_ERR_NOBTF] = 5,
	[LA_ERR_KPTR] = 6,     [LA_ERR_OUTPUT] = 7,  [LA_ERR_NOHOOKS] = 8,
	[LA_ERR_INPUT] = 9,    [LA_ERR_PINNED] = 10, [LA_ERR_NOTPINNED] = 11,
	[LA_ERR_FOREIGN] = 12,
};

int fail__exit_code(enum la_err e)
{
	return (unsigned int)e < LA_NR_ERRS ? exit_codes[e] : 1;
}

enum la_err fail__say(enum la_err e, const char *fmt, ...)
{
	va_list ap;

	fputs("lockaudit: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return e;
}

enum la_err fail__caps(const char *cmd)
{
	return fail__say(LA_ERR_PERM,
			 "needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): "
			 "run as root, e.g. 'sudo lockaudit %s'",
			 cmd);
}

enum la_err fail__kptr(void)
{
	return fail__say(LA_ERR_KPTR,
			 "kernel addresses are hidden in " LA_KALLSYMS
			 " (kernel.kptr_restrict=2): run 'sysctl "
			 "kernel.kptr_restrict=1' as root");
}

enum la_err fail__oom(void)
{
	return fail__say(LA_ERR_FAIL, "out of memory");
}

enum la_err fail__report_to(const char *path, const char *why)
{
	return fail__say(LA_ERR_OUTPUT, "cannot write the report to '%s': %s",
			 path, why);
}

enum la_err fail__events_to(const char *path, const char *why)
{
	return fail__say(LA_ERR_OUTPUT, "cannot write events to '%s': %s", path,
			 why);
}

enum la_err fail__pin(int ret, const char *err)
{
	return fail__say(ret == PIN_FOREIGN ? LA_ERR_FOREIGN : LA_ERR_FAIL,
			 "%s", err);
}
