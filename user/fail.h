/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fail.h - how a command fails: the error classes, the one table from class
 * to exit code, and each failure message said in more than one place.
 */
#ifndef LA_FAIL_H
#define LA_FAIL_H

/* What went wrong, as the exit code tells it (fail__exit_code). */
enum la_err {
	LA_OK = 0,
	LA_ERR_FAIL,	  /* runtime failure (BPF load, map read, write) */
	LA_ERR_USAGE,	  /* bad command line */
	LA_ERR_HOOK,	  /* unknown hook name */
	LA_ERR_PERM,	  /* missing CAP_BPF/CAP_PERFMON */
	LA_ERR_NOBTF,	  /* no kernel BTF and no --btf */
	LA_ERR_KPTR,	  /* kernel addresses hidden (kptr_restrict) */
	LA_ERR_OUTPUT,	  /* output path not writable, or writing failed */
	LA_ERR_NOHOOKS,	  /* nothing could be attached */
	LA_ERR_INPUT,	  /* report: unreadable or invalid input */
	LA_ERR_PINNED,	  /* boot: state already pinned */
	LA_ERR_NOTPINNED, /* collect: nothing pinned */
	LA_ERR_FOREIGN,	  /* pinned state is not lockaudit's */
	LA_NR_ERRS,
};

/* The process's exit code for a class (documented in README, lockaudit.8). */
int fail__exit_code(enum la_err e);

/* "lockaudit: <message>" on stderr; returns e. */
enum la_err fail__say(enum la_err e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The messages more than one command prints, each with its class. */
enum la_err fail__caps(const char *cmd);
enum la_err fail__kptr(void);
enum la_err fail__oom(void);
/* the JSON report cannot go to path ('-' excluded): why */
enum la_err fail__report_to(const char *path, const char *why);
enum la_err fail__events_to(const char *path, const char *why);
/* a pin__open/pin__remove result > 0 (PIN_FOREIGN) or < 0, reason in err */
enum la_err fail__pin(int ret, const char *err);

#endif
