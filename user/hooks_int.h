/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hooks_int.h - what hooks.c (the phases) and attach.c (phase 5, a hook by
 * trial) share.
 */
#ifndef LA_HOOKS_INT_H
#define LA_HOOKS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "clone.h"
#include "hooks.h"

#define LA_VERIFIER_LOG (1 << 20) /* -v: a clone's verifier log */

/* What the load of phase 2 tells phase 5. */
struct la_load {
	char fe_reason[120]; /* the fentry programs did not load: why */
	int fe_load_err;
};

/* the fentry template of hook hk's lock kind (the plan loads it, the
 * attach clones it) */
static inline enum la_tmpl hooks__fentry_tmpl(const struct la_hook *hk)
{
	return clone__fentry_tmpl(hk->def->lock, hk->def->path.lock);
}

/* -v given (hooks__set_verbose) */
bool hooks__verbose(void);
/* close *fd if open, then -1 */
void hooks__close_fd(int *fd);
/* err (negative or not) as a reason: strerror, with names for the
 * kernel-internal ENOTSUPP and an ambiguous kprobe name */
const char *hooks__errstr(int err, char *buf, size_t len);
/* Phase 5, every hook: fentry else kprobe; how many attached. */
int attach__hooks(struct la_hooks *h, const struct la_attach_opts *o,
		  const struct la_load *l);

#endif
