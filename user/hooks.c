// SPDX-License-Identifier: GPL-2.0
/*
 * hooks.c - attaching the watch list by trial, in named phases: probe,
 * load, map fds, module records, attach (attach.c: each hook by trial),
 * settings; and detaching
 */
#include <bpf/btf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clone.h"
#include "env.h"
#include "hooks.h"
#include "hooks_int.h"
#include "ksyms.h"
#include "lockaudit.skel.h"

static bool verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	/* attach failures are expected while probing: they become reasons */
	return verbose ? vfprintf(stderr, fmt, ap) : 0;
}

bool hooks__verbose(void)
{
	return verbose;
}

void hooks__set_verbose(bool v)
{
	verbose = v;
	libbpf_set_print(libbpf_print);
}

const char *hooks__attached_name(enum la_attached a)
{
	switch (a) {
	case LA_ATTACHED_FENTRY:
		return "fentry";
	case LA_ATTACHED_KPROBE:
		return "kprobe";
	default:
		return "absent";
	}
}

int hooks__link_fd(const struct la_hook *hk, bool exit)
{
	if (exit)
		return hk->exit_link ? bpf_link__fd(hk->exit_link)
				     : hk->exit_link_fd;
	return hk->link ? bpf_link__fd(hk->link) : hk->link_fd;
}

void hooks__close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

const char *hooks__errstr(int err, char *buf, size_t len)
{
	err = err < 0 ? -err : err;
	if (err == 524) /* kernel-internal ENOTSUPP */
		snprintf(buf, len, "not supported by this kernel (ENOTSUPP)");
	else if (err == EADDRNOTAVAIL) /* a kprobe by an ambiguous name */
		snprintf(buf, len,
			 "several functions have this name (EADDRNOTAVAIL)");
	else
		snprintf(buf, len, "%s", strerror(err));
	return buf;
}

/* Is func in the kernel's BTF (vmlinux, or the module that holds it)? */
static bool func_in_btf(struct btf *vmlinux, const struct ksym *sym,
			const char *func)
{
	struct btf *mod;
	bool found;

	if (!vmlinux)
		return false;
	if (btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC) >= 0)
		return true;
	if (!sym || !sym->module)
		return false;
	mod = btf__load_module_btf(sym->module, vmlinux);
	if (!mod)
		return false;
	found = btf__find_by_name_kind(mod, func, BTF_KIND_FUNC) >= 0;
	btf__free(mod);
	return found;
}

/* Which programs a load has: the templates, and whether any hook needs
 * them. */
struct la_want {
	/* a function each fentry template (by lock kind) attaches to at
	 * load (it watches nothing there), NULL: not loaded */
	const char *tmpl_target[LA_TMPL_FEXIT];
	const char *fe_target; /* any of them: the fexit template's */
	bool kp;
};

static bool want_fentry(const struct la_hook *hk, bool use_fentry)
{
	return use_fentry && hk->in_btf && !hk->fentry_failed;
}

/* a kprobe where fentry cannot be: asked for, not in BTF, or its fentry
 * failed in the load before this one */
static bool want_kprobe(const struct la_hook *hk,
			const struct la_attach_opts *o, bool use_fentry)
{
	return o->mode != LA_MODE_FENTRY && hk->in_kallsyms &&
	       (!use_fentry || !hk->in_btf || hk->fentry_failed);
}

/* More fentry clones than this and the kprobe program is loaded with them
 * (auto): an fentry that does not attach then falls back at once, where
 * another load would verify every clone again. */
#define LA_KPROBE_UPFRONT 16

static void plan(struct la_hooks *h, const struct la_attach_opts *o,
		 bool use_fentry, struct la_want *w)
{
	size_t nfe = 0;

	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < h->nr; i++) {
		struct la_hook *hk = &h->hook[i];

		if (want_fentry(hk, use_fentry)) {
			enum la_tmpl t = hooks__fentry_tmpl(hk);

			nfe++;
			if (!w->fe_target)
				w->fe_target = hk->def->func;
			if (!w->tmpl_target[t])
				w->tmpl_target[t] = hk->def->func;
		}
		w->kp |= want_kprobe(hk, o, use_fentry);
	}
	if (o->mode == LA_MODE_AUTO && nfe > LA_KPROBE_UPFRONT)
		w->kp = true;
}

/* The templates: fentry (per lock kind) and fexit cloned per rule after
 * the load, kprobe and kretprobe attached per rule; each loaded is verified
 * (seconds of a start under emulation): only what is needed. 0 or -errno. */
static int set_templates(struct lockaudit_bpf *s,
			 const struct la_attach_opts *o,
			 const struct la_want *w)
{
	struct bpf_program *fe[LA_TMPL_FEXIT] = {
		[LA_TMPL_DEV] = s->progs.la_fentry_dev,
		[LA_TMPL_MUTEX] = s->progs.la_fentry_mutex,
		[LA_TMPL_RWSEM] = s->progs.la_fentry_rwsem,
	};
	int ret = 0;

	for (size_t t = 0; t < LA_TMPL_FEXIT && !ret; t++) {
		bpf_program__set_autoload(fe[t], w->tmpl_target[t]);
		if (w->tmpl_target[t])
			ret = bpf_program__set_attach_target(fe[t], 0,
							     w->tmpl_target[t]);
	}
	bpf_program__set_autoload(s->progs.la_fexit, w->fe_target && o->races);
	bpf_program__set_autoload(s->progs.la_kprobe, w->kp);
	bpf_program__set_autoload(s->progs.la_kretprobe, w->kp && o->races);
	if (!ret && w->fe_target && o->races)
		ret = bpf_program__set_attach_target(s->progs.la_fexit, 0,
						     w->fe_target);
	return ret;
}

static int open_and_load(struct la_hooks *h, const struct la_attach_opts *o,
			 bool use_fentry, bool have_cast, char *err,
			 size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);
	struct lockaudit_bpf *s;
	struct la_want w;
	size_t i;
	int ret;

	ret = clone__register();
	if (ret) {
		snprintf(err, errlen,
			 "cannot register the template sections: %s",
			 strerror(-ret));
		return ret;
	}
	h->skel = s = lockaudit_bpf__open_opts(&oo);
	if (!s) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s",
			 strerror(errno));
		return ret;
	}
	s->rodata->probe_lock_addr = o->probe_lock_addr;
	s->rodata->text_start = o->text_start;
	s->rodata->text_end = o->text_end;
	s->rodata->have_cast = have_cast;
	/* the full path's keys: one per slot, one for the kprobe program */
	s->rodata->nr_slots = (__u32)h->nr;
	ret = bpf_map__set_max_entries(s->maps.keys, (__u32)h->nr + 1);
	if (ret) {
		snprintf(err, errlen, "cannot size map keys: %s",
			 strerror(-ret));
		return ret;
	}
	for (i = 0; i < h->nr; i++) {
		const struct la_hook_def *d = h->hook[i].def;

		s->rodata->hook_slot[i].arg = d->arg;
		s->rodata->hook_slot[i].lock = d->lock;
		/* const volatile: the skeleton declares it without const */
		memcpy((void *)&s->rodata->hook_slot[i].path, &d->path,
		       sizeof(d->path));
	}
	plan(h, o, use_fentry, &w);
	/* the templates: fentry and fexit cloned per rule after the load,
	 * kprobe and kretprobe attached per rule; each loaded is verified
	 * (seconds of a start under emulation): only what is needed */
	ret = set_templates(s, o, &w);
	if (ret) {
		snprintf(err, errlen, "cannot target fentry: %s",
			 strerror(-ret));
		return ret;
	}
	clone__reset();
	ret = lockaudit_bpf__load(s);
	if (ret)
		snprintf(err, errlen,
			 "cannot load the BPF programs: %s (run with -v for "
			 "the verifier log)",
			 strerror(-ret));
	return ret;
}

#ifdef LA_TESTING
/*
 * Test build only (make ... lockaudit-test): LA_TEST_FILL=map,map fills
 * those hash maps with fake keys (1, 2, ...: no kernel address), so that
 * every insert the programs try fails and its drop counter counts it
 * (tests/e2e/guest.sh phase 5). Filled once the hooks are attached (the
 * last load's maps), before anything is watched: la_test is not loaded yet
 * and nothing else calls in.
 */
static void test_fill_maps(struct la_hooks *h)
{
	const char *list = getenv("LA_TEST_FILL");
	char names[128], *name, *save = NULL;

	if (!list)
		return;
	snprintf(names, sizeof(names), "%s", list);
	for (name = strtok_r(names, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		struct bpf_map *m =
			bpf_object__find_map_by_name(h->skel->obj, name);
		unsigned char key[256] = {0}, val[4096] = {0};
		__u64 i, n = 0;

		if (!m || bpf_map__key_size(m) > sizeof(key) ||
		    bpf_map__key_size(m) < sizeof(i) ||
		    bpf_map__value_size(m) > sizeof(val)) {
			fprintf(stderr, "lockaudit: LA_TEST_FILL: no map %s\n",
				name);
			exit(1);
		}
		for (i = 1;; i++) {
			memcpy(key, &i, sizeof(i));
			if (bpf_map_update_elem(bpf_map__fd(m), key, val,
						BPF_NOEXIST))
				break;
			n++;
		}
		fprintf(stderr,
			"lockaudit: test build: map %s filled (%llu of %u "
			"entries: %s)\n",
			name, (unsigned long long)n, bpf_map__max_entries(m),
			strerror(errno));
	}
}
#endif

/*
 * Phase 1, probe: is each hook in kallsyms and in BTF, and does the kernel
 * have bpf_rdonly_cast (6.2+: cheaper reads in the fentry programs)?
 */
static bool probe_hooks(struct la_hooks *h, const struct ksyms *ks,
			const struct la_attach_opts *o)
{
	struct btf *vmlinux = NULL;
	bool have_cast;

	if (o->kernel_btf)
		vmlinux = btf__load_vmlinux_btf();
	for (size_t i = 0; i < h->nr; i++) {
		struct la_hook *hk = &h->hook[i];
		const struct ksym *sym =
			ksyms__by_name(ks, hk->def->func, NULL);

		hk->in_kallsyms = sym != NULL;
		hk->in_btf = func_in_btf(vmlinux, sym, hk->def->func);
		snprintf(hk->module, sizeof(hk->module), "%s",
			 sym && sym->module ? sym->module : "");
	}
	have_cast =
		vmlinux && btf__find_by_name_kind(vmlinux, "bpf_rdonly_cast",
						  BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	return have_cast;
}

/* Why the fentry programs did not load (fe_reason[0] = 0: they did). */

/* Phase 2, load: fentry and kprobe programs, else kprobes alone. */
static int load(struct la_hooks *h, const struct la_attach_opts *o,
		bool have_cast, struct la_load *l, char *err, size_t errlen)
{
	bool use_fentry = o->mode != LA_MODE_KPROBE && o->kernel_btf;
	char ebuf[80];
	int ret;

	ret = open_and_load(h, o, use_fentry, have_cast, err, errlen);
	if (ret && use_fentry && o->mode == LA_MODE_AUTO) {
		/* an fentry target the verifier refuses: kprobes only */
		snprintf(l->fe_reason, sizeof(l->fe_reason),
			 "fentry programs did not load: %s",
			 hooks__errstr(ret, ebuf, sizeof(ebuf)));
		l->fe_load_err = ret;
		lockaudit_bpf__destroy(h->skel);
		h->skel = NULL;
		use_fentry = false;
		ret = open_and_load(h, o, use_fentry, have_cast, err, errlen);
	}
	if (ret) {
		lockaudit_bpf__destroy(h->skel);
		h->skel = NULL;
	}
	return ret;
}

/* Phase 3: the maps' fds, by the names pin.c pins them as. */
static void map_fds(struct la_hooks *h)
{
	const char *name;
	int *fd;

	for (size_t i = 0; (name = hooks__map(&h->maps, i, &fd)); i++)
		*fd = bpf_map__fd(
			bpf_object__find_map_by_name(h->skel->obj, name));
}

/*
 * Phase 4: module load/unload records; without them only attribution of
 * modules unloaded before the report suffers.
 */
static void attach_module_records(struct la_hooks *h)
{
	h->mod_links[0] = bpf_program__attach(h->skel->progs.la_module_load);
	h->mod_links[1] = bpf_program__attach(h->skel->progs.la_module_free);
	if (!h->mod_links[0] || !h->mod_links[1])
		fprintf(stderr,
			"lockaudit: warning: cannot record module loads (%s); "
			"frames of modules unloaded before the report stay "
			"addresses\n",
			strerror(errno));
	h->attached_boot_ns = env__boot_ns();
	h->attached_real_s = (__u64)time(NULL);
}

/* Is a hook waiting for a kprobe the last load did not have? */
static bool kprobes_wanted(const struct la_hooks *h)
{
	for (size_t i = 0; i < h->nr; i++)
		if (h->hook[i].fentry_failed && !h->hook[i].attached)
			return true;
	return false;
}

/*
 * Phase 6: the settings. Track concurrency only where the exit is hooked:
 * an entry with no exit would stay "inside" for ever.
 */
static int write_settings(struct la_hooks *h, char *err, size_t errlen)
{
	struct la_config cfg = {0};
	__u32 zero = 0;
	int ret;

	for (size_t i = 0; i < h->nr; i++)
		if (hooks__link_fd(&h->hook[i], true) >= 0)
			cfg.races[i / 64] |= 1ULL << (i % 64);
	if (bpf_map_update_elem(h->maps.settings, &zero, &cfg, BPF_ANY)) {
		ret = -errno;
		snprintf(err, errlen, "cannot write the settings map: %s",
			 strerror(-ret));
		return ret;
	}
	return 0;
}

int hooks__attach(struct la_hooks *h, const struct ksyms *ks,
		  const struct la_attach_opts *o, char *err, size_t errlen)
{
	struct la_load l = {0};
	int ret, attached = 0;
	bool have_cast;

	h->probe_lock_addr = o->probe_lock_addr;
	have_cast = probe_hooks(h, ks, o);
	for (size_t i = 0; i < h->nr; i++) {
		struct la_hook *hk = &h->hook[i];

		hk->fentry_failed = false;
		hk->prog_fd = hk->link_fd = -1;
		hk->exit_prog_fd = hk->exit_link_fd = -1;
	}
	/*
	 * Auto: fentry where it can be, a kprobe only where it cannot (every
	 * program loaded is verified: seconds of a start under emulation).
	 * An fentry that loads but does not attach (no trampolines: arm64
	 * before 6.0) is known only by trying: then everything is loaded
	 * again with its kprobe, before anything is counted.
	 */
	for (int pass = 0;; pass++) {
		ret = load(h, o, have_cast, &l, err, errlen);
		if (ret)
			return ret;
		map_fds(h);
		attach_module_records(h);
		attached = attach__hooks(h, o, &l);
		if (pass || !kprobes_wanted(h))
			break;
		hooks__detach(h);
	}
#ifdef LA_TESTING
	test_fill_maps(h);
#endif
	ret = write_settings(h, err, errlen);
	return ret ? ret : attached;
}

bool hooks__tracing_refused(const struct la_hooks *h, char *buf, size_t len)
{
	int fe = 0, kp = 0;
	size_t i, tried = 0;

	for (i = 0; i < h->nr; i++) {
		const struct la_hook *hk = &h->hook[i];

		if (hk->attached)
			return false;
		if (!hk->in_kallsyms)
			continue;
		if (!tried++) {
			fe = hk->fentry_err;
			kp = hk->kprobe_err;
		}
		if (hk->fentry_err != fe || hk->kprobe_err != kp)
			return false;
	}
	/* both ways tried and refused (an fentry-only or kprobe-only run
	 * keeps its per-hook reasons) */
	if (!tried || fe != -EPERM || !kp)
		return false;
	snprintf(buf, len,
		 "this kernel refuses BPF tracing programs (fentry: %s): "
		 "kernel lockdown, an LSM or a seccomp policy; and %s "
		 "(kprobe: %s): look for CONFIG_KPROBES and "
		 "/sys/kernel/security/lockdown; -v or 'lockaudit probes' "
		 "gives the reason per entry point",
		 strerror(-fe),
		 kp == -ENOENT || kp == -EOPNOTSUPP ? "has no kprobes"
						    : "refuses kprobes",
		 strerror(-kp));
	return true;
}

void hooks__detach(struct la_hooks *h)
{
	size_t i;

	for (i = 0; i < h->nr; i++) {
		struct la_hook *hk = &h->hook[i];

		bpf_link__destroy(hk->link);
		hk->link = NULL;
		bpf_link__destroy(hk->exit_link);
		hk->exit_link = NULL;
		hooks__close_fd(&hk->link_fd);
		hooks__close_fd(&hk->exit_link_fd);
		hooks__close_fd(&hk->prog_fd);
		hooks__close_fd(&hk->exit_prog_fd);
	}
	for (i = 0; i < 2; i++) {
		bpf_link__destroy(h->mod_links[i]);
		h->mod_links[i] = NULL;
	}
	if (h->skel) {
		lockaudit_bpf__destroy(h->skel);
		h->skel = NULL;
		clone__reset();
	} else if (h->adopted) {
		int *fd;

		for (i = 0; hooks__map(&h->maps, i, &fd); i++)
			if (*fd >= 0)
				close(*fd);
	}
	memset(&h->maps, -1, sizeof(h->maps));
}
