/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clone.h - one fentry (fexit) program per rule without one program per
 * rule in the object: a template's final instructions and BTF info,
 * captured as libbpf loads it, are loaded again per target function, the
 * rule's slot patched into them (LA_SLOT_MARK). An fentry template per
 * lock kind (its code for that kind only), one fexit template.
 */
#ifndef LA_CLONE_H
#define LA_CLONE_H

#include <linux/bpf.h>
#include <stddef.h>

#include "lockaudit.h"

/* The templates (bpf/lockaudit.bpf.c: la_fentry_dev, la_fentry_mutex,
 * la_fentry_rwsem, la_fexit), each in a section of its own handled by clone.c's
 * libbpf program handlers, registered by clone__register(). */
enum la_tmpl {
	LA_TMPL_DEV,   /* fentry: LA_LOCK_DEV_MUTEX */
	LA_TMPL_MUTEX, /* fentry: LA_LOCK_PATH, LA_RLOCK_MUTEX */
	LA_TMPL_RWSEM, /* fentry: LA_LOCK_PATH, LA_RLOCK_RWSEM */
	LA_TMPL_FEXIT,
	LA_NR_TMPLS,
};

/* The fentry template of a slot's lock kind and a rule's lock type
 * (la_rule_slot.lock, la_lockpath.lock). */
static inline enum la_tmpl clone__fentry_tmpl(__u32 lock, __u32 rlock)
{
	if (lock != LA_LOCK_PATH)
		return LA_TMPL_DEV;
	return rlock == LA_RLOCK_RWSEM ? LA_TMPL_RWSEM : LA_TMPL_MUTEX;
}

/* Register the template sections' handlers (once per process, before the
 * object is opened); 0 or -errno. */
int clone__register(void);

/* Whether template t was captured by the last load. */
int clone__captured(enum la_tmpl t);

/*
 * Load a clone of template t, attached to func (module: its module, NULL
 * for vmlinux), serving the rule slot in mark (the slot, | LA_SLOT_RACES
 * if its exit is hooked; patched in an fentry template, an fexit has no
 * mark). A verifier log into log (may be NULL). Returns the program's fd,
 * or -errno with the reason in err.
 */
int clone__load(enum la_tmpl t, const char *func, const char *module,
		unsigned int mark, char *log, size_t loglen, char *err,
		size_t errlen);

/* Forget the captured templates (the object they came from is closed). */
void clone__reset(void);

/* Patch the slot marks of n instructions with mark (as clone__load's): how
 * many were patched. */
size_t clone__patch(struct bpf_insn *insns, size_t n, unsigned int mark);

#endif
