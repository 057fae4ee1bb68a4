/* SPDX-License-Identifier: GPL-2.0 */
/*
 * setup.h - the hooks a command watches through: the checks before loading
 * BPF, in the order a user would fix them, then attaching them or adopting
 * what `lockaudit boot` pinned.
 */
#ifndef LA_SETUP_H
#define LA_SETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmds.h"

struct la_hooks;
struct ksyms;

/* kallsyms as read before attaching, for the collector to take over
 * (collect.h: la_collect_opts.ks), with what else that read gave */
struct la_ksyms_read {
	struct ksyms *ks;
	unsigned long modules_sum; /* /proc/modules, before the read */
	uint64_t addrs[3];	   /* iommu_probe_device_lock, _stext, _etext */
};

/*
 * probes: the checks, then attach whatever attaches; *n says how many did
 * (0 is no failure here). A failure is said.
 */
enum la_err setup__attach(const struct la_opts *o, struct la_hooks *h,
			  size_t *n);
/*
 * run/boot: the checks, then adopt the state pinned under --pin-dir (run:
 * adopt; boot: refuse it) or attach, at least one hook. A failure is said,
 * and then nothing is left attached. out (NULL: none wanted): kallsyms as
 * read for attaching (out->ks NULL when the state was adopted).
 */
enum la_err setup__hooks(const struct la_opts *o, struct la_hooks *h,
			 bool adopt, struct la_ksyms_read *out);
/* How many hooks are attached as fentry and as kprobe. */
void setup__count(const struct la_hooks *h, size_t *nfe, size_t *nkp);

#endif
