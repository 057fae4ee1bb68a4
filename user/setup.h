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

#include "cmds.h"

struct la_hooks;

/*
 * probes: the checks, then attach whatever attaches; *n says how many did
 * (0 is no failure here). A failure is said.
 */
enum la_err setup__attach(const struct la_opts *o, struct la_hooks *h,
			  size_t *n);
/*
 * run/boot: the checks, then adopt the state pinned under --pin-dir (run:
 * adopt; boot: refuse it) or attach, at least one hook. A failure is said,
 * and then nothing is left attached.
 */
enum la_err setup__hooks(const struct la_opts *o, struct la_hooks *h,
			 bool adopt);
/* How many hooks are attached as fentry and as kprobe. */
void setup__count(const struct la_hooks *h, size_t *nfe, size_t *nkp);

#endif
