// SPDX-License-Identifier: GPL-2.0
/*
 * attach.c - phase 5 of hooks.c: each hook attached by trial, its fentry (a
 * clone of its lock kind's template, the exit first with --races) else the
 * kprobe (its slot the cookie) and the kretprobe, and the reason kept when
 * neither would.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clone.h"
#include "hooks.h"
#include "hooks_int.h"
#include "lockaudit.skel.h"

/* Say in the hook's reason that its exit is not hooked (err: why). */
static void exit_not_hooked(struct la_hook *hk, int err)
{
	char ebuf[80];
	size_t n = strlen(hk->reason);

	snprintf(hk->reason + n, sizeof(hk->reason) - n,
		 "%sexit not hooked (%s): no concurrency tracking",
		 n ? "; " : "", hooks__errstr(err, ebuf, sizeof(ebuf)));
}

/*
 * The exit twin (an fexit clone, or the kretprobe after a kprobe) for
 * concurrency tracking. Without it the lock state is still judged: say so
 * and go on.
 */
static void attach_exit(struct la_hooks *h, struct la_hook *hk, bool kretprobe)
{
	char err[160];
	int fd;

	if (kretprobe) {
		hk->exit_link = bpf_program__attach_kprobe(
			h->skel->progs.la_kretprobe, true, hk->def->func);
		if (!hk->exit_link)
			exit_not_hooked(hk, -errno);
		return;
	}
	fd = clone__load(LA_TMPL_FEXIT, hk->def->func,
			 hk->module[0] ? hk->module : NULL, 0, NULL, 0, err,
			 sizeof(err));
	if (fd < 0) {
		exit_not_hooked(hk, fd);
		return;
	}
	hk->exit_prog_fd = fd;
	hk->exit_link_fd = bpf_link_create(fd, 0, BPF_TRACE_FEXIT, NULL);
	if (hk->exit_link_fd < 0) {
		hk->exit_link_fd = -1;
		exit_not_hooked(hk, -errno);
	}
}

/* Forget hook hk's fexit (its fentry did not attach). */
static void detach_exit(struct la_hook *hk)
{
	hooks__close_fd(&hk->exit_link_fd);
	hooks__close_fd(&hk->exit_prog_fd);
}

/*
 * Hook i's fentry: a clone of the template for its function and slot,
 * attached; true if it is, else the reason in hk->reason (*n its length).
 * With --races its exit first: the clone's mark says whether it is hooked
 * (LA_SLOT_RACES: track concurrency), so no call is tracked that no exit
 * will see leave.
 */
static bool attach_clone(struct la_hooks *h, size_t i,
			 const struct la_attach_opts *o, size_t *n)
{
	struct la_hook *hk = &h->hook[i];
	char err[160], ebuf[80], *log = NULL;
	unsigned int mark = (unsigned int)i;
	int fd;

	if (o->races) {
		attach_exit(h, hk, false);
		if (hk->exit_link_fd >= 0)
			mark |= LA_SLOT_RACES;
	}
	if (hooks__verbose())
		log = calloc(1, LA_VERIFIER_LOG);
	fd = clone__load(hooks__fentry_tmpl(hk), hk->def->func,
			 hk->module[0] ? hk->module : NULL, mark, log,
			 log ? LA_VERIFIER_LOG : 0, err, sizeof(err));
	if (fd < 0 && log && log[0])
		fprintf(stderr, "%s: the verifier's log:\n%s\n", hk->def->func,
			log);
	free(log);
	if (fd < 0) {
		hk->fentry_err = fd;
		detach_exit(hk);
		*n = snprintf(hk->reason, sizeof(hk->reason),
			      "fentry: did not load: %s", err);
		return false;
	}
	hk->prog_fd = fd;
	hk->link_fd = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
	if (hk->link_fd < 0) {
		hk->fentry_err = -errno;
		hk->link_fd = -1;
		hooks__close_fd(&hk->prog_fd);
		detach_exit(hk);
		*n = snprintf(
			hk->reason, sizeof(hk->reason), "fentry: %s",
			hooks__errstr(hk->fentry_err, ebuf, sizeof(ebuf)));
		return false;
	}
	hk->attached = LA_ATTACHED_FENTRY;
	return true;
}

/*
 * The fentry of hook slot i, if it is to be tried: true if attached, else
 * the reason why not in hk->reason (*n its length).
 */
static bool attach_fentry(struct la_hooks *h, size_t i,
			  const struct la_attach_opts *o,
			  const struct la_load *l, size_t *n)
{
	struct la_hook *hk = &h->hook[i];

	if (hk->fentry_failed) {
		/* in the load before this one: its reason stands */
		*n = strlen(hk->reason);
	} else if (o->mode == LA_MODE_KPROBE) {
		/* asked for: no reason to give */
	} else if (!o->kernel_btf) {
		*n = snprintf(hk->reason, sizeof(hk->reason),
			      "fentry: kernel exposes no BTF");
	} else if (l->fe_reason[0]) {
		*n = snprintf(hk->reason, sizeof(hk->reason), "%s",
			      l->fe_reason);
		hk->fentry_err = l->fe_load_err;
	} else if (!hk->in_btf) {
		*n = snprintf(hk->reason, sizeof(hk->reason),
			      "fentry: not in BTF");
	} else {
		return attach_clone(h, i, o, n);
	}
	return false;
}

/* The kprobe of hook slot i: true if attached, else the reason why not
 * appended to the n bytes of hk->reason. */
static bool attach_kprobe(struct la_hooks *h, size_t i,
			  const struct la_attach_opts *o, size_t n)
{
	struct la_hook *hk = &h->hook[i];
	char ebuf[80];

	LIBBPF_OPTS(bpf_kprobe_opts, ko, .bpf_cookie = i);

	/* the one kprobe program, its slot the cookie */
	hk->link = bpf_program__attach_kprobe_opts(h->skel->progs.la_kprobe,
						   hk->def->func, &ko);
	if (!hk->link) {
		hk->kprobe_err = -errno;
		snprintf(hk->reason + n, sizeof(hk->reason) - n, "%skprobe: %s",
			 n ? "; " : "",
			 hooks__errstr(-errno, ebuf, sizeof(ebuf)));
		return false;
	}
	hk->attached = LA_ATTACHED_KPROBE;
	if (!o->races)
		return true;
#ifdef __aarch64__
	/* the kretprobe would replace the link register before the entry
	 * kprobe reads the immediate caller from it */
	snprintf(hk->reason + strlen(hk->reason),
		 sizeof(hk->reason) - strlen(hk->reason),
		 "%sexit not hooked (a kretprobe hides the caller on arm64): "
		 "no concurrency tracking",
		 hk->reason[0] ? "; " : "");
#else
	attach_exit(h, hk, true);
#endif
	return true;
}

/* Phase 5: hook slot i, fentry else kprobe; true if attached. */
static bool attach_hook(struct la_hooks *h, size_t i,
			const struct la_attach_opts *o, const struct la_load *l)
{
	struct la_hook *hk = &h->hook[i];
	size_t n = 0;

	hk->attached = LA_ATTACHED_NONE;
	if (!hk->fentry_failed) {
		hk->reason[0] = 0;
		hk->fentry_err = 0;
	}
	hk->kprobe_err = 0;
	if (!hk->in_kallsyms) {
		snprintf(hk->reason, sizeof(hk->reason),
			 "not in kallsyms (not built, or inlined)");
		return false;
	}
	if (attach_fentry(h, i, o, l, &n))
		return true;
	if (o->mode == LA_MODE_FENTRY)
		return false;
	if (bpf_program__fd(h->skel->progs.la_kprobe) < 0) {
		/* not loaded (this load counted on fentry): the next has it */
		hk->fentry_failed = true;
		return false;
	}
	return attach_kprobe(h, i, o, n);
}

/* Phase 5, every hook; how many attached. */
int attach__hooks(struct la_hooks *h, const struct la_attach_opts *o,
		  const struct la_load *l)
{
	int attached = 0;

	for (size_t i = 0; i < h->nr; i++)
		attached += attach_hook(h, i, o, l);
	return attached;
}
