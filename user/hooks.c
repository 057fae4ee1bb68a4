// SPDX-License-Identifier: GPL-2.0
/*
 * hooks.c - attaching the watch list by trial, in named phases: probe,
 * load, map fds, module records, attach, settings; and detaching
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

#include "env.h"
#include "hooks.h"
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

static struct bpf_program *slot_prog(struct la_hooks *h, const char *kind,
				     size_t slot)
{
	char name[48];

	snprintf(name, sizeof(name), "la_%s_%zu", kind, slot);
	return bpf_object__find_program_by_name(h->skel->obj, name);
}

static const char *errstr(int err, char *buf, size_t len)
{
	err = err < 0 ? -err : err;
	if (err == 524) /* kernel-internal ENOTSUPP */
		snprintf(buf, len, "not supported by this kernel (ENOTSUPP)");
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

static int open_and_load(struct la_hooks *h, const struct la_attach_opts *o,
			 bool use_fentry, bool have_cast, char *err,
			 size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);
	size_t i;
	int ret;

	h->skel = lockaudit_bpf__open_opts(&oo);
	if (!h->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s",
			 strerror(errno));
		return ret;
	}
	h->skel->rodata->probe_lock_addr = o->probe_lock_addr;
	h->skel->rodata->text_start = o->text_start;
	h->skel->rodata->text_end = o->text_end;
	h->skel->rodata->have_cast = have_cast;
	for (i = 0; i < LA_MAX_HOOKS; i++) {
		struct bpf_program *fe = slot_prog(h, "fentry", i);
		struct bpf_program *kp = slot_prog(h, "kprobe", i);
		struct bpf_program *fx = slot_prog(h, "fexit", i);
		struct bpf_program *kr = slot_prog(h, "kretprobe", i);
		struct la_hook *hk = i < h->nr ? &h->hook[i] : NULL;
		bool want_fe = hk && use_fentry && hk->in_btf;
		/* a kprobe where fentry cannot be: asked for, not in BTF, or
		 * its fentry failed to attach in the load before this one */
		bool want_kp =
			hk && o->mode != LA_MODE_FENTRY && hk->in_kallsyms &&
			(!use_fentry || !hk->in_btf || hk->fentry_failed);

		if (!fe || !kp || !fx || !kr) {
			snprintf(err, errlen, "BPF object lacks slot %zu", i);
			return -ENOENT;
		}
		bpf_program__set_autoload(fe, want_fe);
		bpf_program__set_autoload(kp, want_kp);
		/* exits only for --races: each program loaded is verified,
		 * seconds of a start under emulation */
		bpf_program__set_autoload(fx, want_fe && o->races);
		bpf_program__set_autoload(kr, want_kp && o->races);
		if (!hk)
			continue;
		h->skel->rodata->hook_arg[i] = hk->def->arg;
		h->skel->rodata->hook_lock[i] = hk->def->lock;
		/* const volatile: the skeleton declares it without const */
		memcpy((void *)&h->skel->rodata->hook_path[i], &hk->def->path,
		       sizeof(hk->def->path));
		if (want_fe) {
			ret = bpf_program__set_attach_target(fe, 0,
							     hk->def->func);
			if (!ret && o->races)
				ret = bpf_program__set_attach_target(
					fx, 0, hk->def->func);
			if (ret) {
				snprintf(err, errlen,
					 "%s: cannot target fentry: %s",
					 hk->def->func, strerror(-ret));
				return ret;
			}
		}
	}
	ret = lockaudit_bpf__load(h->skel);
	if (ret)
		snprintf(err, errlen,
			 "cannot load the BPF programs: %s (run with -v for "
			 "the verifier log)",
			 strerror(-ret));
	return ret;
}

/*
 * The exit twin (fexit, or kretprobe after a kprobe) for concurrency
 * tracking. Without it the lock state is still judged: say so and go on.
 */
static void attach_exit(struct la_hook *hk, struct bpf_program *prog,
			bool kretprobe)
{
	char ebuf[80];
	size_t n;

	hk->exit_link = kretprobe ? bpf_program__attach_kprobe(prog, true,
							       hk->def->func)
				  : bpf_program__attach(prog);
	if (hk->exit_link)
		return;
	n = strlen(hk->reason);
	snprintf(hk->reason + n, sizeof(hk->reason) - n,
		 "%sexit not hooked (%s): no concurrency tracking",
		 n ? "; " : "", errstr(-errno, ebuf, sizeof(ebuf)));
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
	}
	have_cast =
		vmlinux && btf__find_by_name_kind(vmlinux, "bpf_rdonly_cast",
						  BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	return have_cast;
}

/* Why the fentry programs did not load (fe_reason[0] = 0: they did). */
struct la_load {
	char fe_reason[120]; /* the fentry programs did not load: why */
	int fe_load_err;
};

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
			 errstr(ret, ebuf, sizeof(ebuf)));
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

/*
 * The fentry of hook slot i, if it is to be tried: true if attached, else
 * the reason why not in hk->reason (*n its length).
 */
static bool attach_fentry(struct la_hooks *h, size_t i,
			  const struct la_attach_opts *o,
			  const struct la_load *l, size_t *n)
{
	struct la_hook *hk = &h->hook[i];
	char ebuf[80];

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
		hk->link = bpf_program__attach(slot_prog(h, "fentry", i));
		if (hk->link) {
			hk->attached = LA_ATTACHED_FENTRY;
			if (o->races)
				attach_exit(hk, slot_prog(h, "fexit", i),
					    false);
			return true;
		}
		hk->fentry_err = -errno;
		*n = snprintf(hk->reason, sizeof(hk->reason), "fentry: %s",
			      errstr(-errno, ebuf, sizeof(ebuf)));
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

	hk->link = bpf_program__attach_kprobe(slot_prog(h, "kprobe", i), false,
					      hk->def->func);
	if (!hk->link) {
		hk->kprobe_err = -errno;
		snprintf(hk->reason + n, sizeof(hk->reason) - n, "%skprobe: %s",
			 n ? "; " : "", errstr(-errno, ebuf, sizeof(ebuf)));
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
	attach_exit(hk, slot_prog(h, "kretprobe", i), true);
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
	if (bpf_program__fd(slot_prog(h, "kprobe", i)) < 0) {
		/* not loaded (this load counted on fentry): the next has it */
		hk->fentry_failed = true;
		return false;
	}
	return attach_kprobe(h, i, o, n);
}

/* Phase 5, every hook; how many attached. */
static int attach_hooks(struct la_hooks *h, const struct la_attach_opts *o,
			const struct la_load *l)
{
	int attached = 0;

	for (size_t i = 0; i < h->nr; i++)
		attached += attach_hook(h, i, o, l);
	return attached;
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
		if (h->hook[i].exit_link)
			cfg.races |= 1u << i;
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
	for (size_t i = 0; i < h->nr; i++)
		h->hook[i].fentry_failed = false;
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
		attached = attach_hooks(h, o, &l);
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
		bpf_link__destroy(h->hook[i].link);
		h->hook[i].link = NULL;
		bpf_link__destroy(h->hook[i].exit_link);
		h->hook[i].exit_link = NULL;
	}
	for (i = 0; i < 2; i++) {
		bpf_link__destroy(h->mod_links[i]);
		h->mod_links[i] = NULL;
	}
	if (h->skel) {
		lockaudit_bpf__destroy(h->skel);
		h->skel = NULL;
	} else if (h->adopted) {
		int *fd;

		for (i = 0; hooks__map(&h->maps, i, &fd); i++)
			if (*fd >= 0)
				close(*fd);
	}
	memset(&h->maps, -1, sizeof(h->maps));
}
