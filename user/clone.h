/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clone.h - one fentry (fexit) program per rule without one program per
 * rule in the object: the template's final instructions and BTF info,
 * captured as libbpf loads it, are loaded again per target function, the
 * rule's slot patched into them (LA_SLOT_MARK).
 */
#ifndef LA_CLONE_H
#define LA_CLONE_H

#include <linux/bpf.h>
#include <stddef.h>

/* The sections of the templates (bpf/lockaudit.bpf.c): handled by
 * clone.c's libbpf program handlers, registered by clone__register(). */
#define LA_SEC_FENTRY_TMPL "fentry.la_tmpl"
#define LA_SEC_FEXIT_TMPL  "fexit.la_tmpl"

/* Register the template sections' handlers (once per process, before the
 * object is opened); 0 or -errno. */
int clone__register(void);

/* Whether the template for this attach type (BPF_TRACE_FENTRY or
 * BPF_TRACE_FEXIT) was captured by the last load. */
int clone__captured(enum bpf_attach_type type);

/*
 * Load a clone of the template for type, attached to func (module: its
 * module, NULL for vmlinux), serving rule slot (patched in; ignored for a
 * template without the mark). A verifier log into log (may be NULL).
 * Returns the program's fd, or -errno with the reason in err.
 */
int clone__load(enum bpf_attach_type type, const char *func, const char *module,
		unsigned int slot, char *log, size_t loglen, char *err,
		size_t errlen);

/* Forget the captured templates (the object they came from is closed). */
void clone__reset(void);

/* Patch the slot marks of n instructions: how many were patched. */
size_t clone__patch(struct bpf_insn *insns, size_t n, unsigned int slot);

#endif
