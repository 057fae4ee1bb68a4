/* SPDX-License-Identifier: GPL-2.0 */
/*
 * symfresh.h - keeping the kernel's symbols fresh for the collector: when
 * /proc/kallsyms and /proc/modules must be read again, and the kernel's
 * module records added to what they list.
 */
#ifndef LA_SYMFRESH_H
#define LA_SYMFRESH_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "collect_int.h"

struct la_maps;

#define LA_UNKNOWN_MAX 64

struct la_symfresh {
	const char *kallsyms;	    /* path of /proc/kallsyms */
	const char *modules;	    /* path of /proc/modules (NULL: none) */
	const struct la_maps *maps; /* mods, modgen, symnames */
	struct ksyms *ks;	    /* as last read (NULL before) */
	unsigned long modules_sum; /* of /proc/modules when kallsyms was read */
	bool modules_checked;	   /* in this poll round */
	unsigned long long reloaded_ns; /* CLOCK_BOOTTIME of the last read */
	__u64 ks_gen; /* module generation the last kallsyms read saw */
	/* addresses a read with these modules could not name */
	__u64 unknown[LA_UNKNOWN_MAX];
	size_t nr_unknown;
	unsigned long reloads;	    /* reads of kallsyms so far */
	__u64 text_start, text_end; /* _stext, _etext as last read (0: none) */
};

/* The checksum of /proc/modules that moves when kallsyms may have (a
 * module loaded, unloaded or changed state); 0 if path cannot be read. */
unsigned long symfresh__modules_sum(const char *path);

/* Read kallsyms and the module records into s->ks (kept on failure).
 * 0 or -errno (EPERM: kallsyms addresses hidden). */
int symfresh__reload(struct la_symfresh *s);
/*
 * Take ks (ownership: freed here on failure too), kallsyms as read before
 * the programs were attached (setup.c, live-filtered like a reload), with
 * modules_sum the checksum of /proc/modules taken before that read: one
 * read at start-up instead of two. 0 or -errno.
 */
int symfresh__adopt(struct la_symfresh *s, struct ksyms *ks,
		    unsigned long modules_sum);
/* Reread if a module loaded or unloaded since the last read. 0 or -errno. */
int symfresh__refresh(struct la_symfresh *s);
/* A poll round begins: /proc/modules is checked again on the next event. */
void symfresh__new_round(struct la_symfresh *s);
/*
 * Symbolize ips into frames[] as they were at t_ns, in module generation
 * modgen, rereading first when they may be stale.
 */
void symfresh__symbolize(struct la_symfresh *s, const __u64 *ips, size_t n,
			 __u64 modgen, __u64 t_ns, char (*frames)[FRAME_LEN]);
/* Whether some frame at ips (module generation gen) is neither in the core
 * kernel's text nor named by the kernel at site creation (map symnames):
 * only such a frame may need a newer kallsyms read. */
bool symfresh__needs(const struct la_symfresh *s, const __u64 *ips, size_t n,
		     __u64 gen);
void symfresh__free(struct la_symfresh *s);

#endif
