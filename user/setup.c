// SPDX-License-Identifier: GPL-2.0
/*
 * setup.c - the hooks a command watches through: the checks before loading
 * BPF, in the order a user would fix them, then attaching them or adopting
 * what `lockaudit boot` pinned.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "hooks.h"
#include "ksyms.h"
#include "pin.h"
#include "setup.h"
#include "symfresh.h"

/* 6.7+: the global lock serialising dev->iommu; judged, not required */
#define PROBE_LOCK "iommu_probe_device_lock"

static enum la_err check_outputs(const struct la_opts *o)
{
	char err[256];

	if (o->json && env__check_output(o->json, false, err, sizeof(err)))
		return fail__report_to(o->json, err);
	if (o->events && env__check_output(o->events, true, err, sizeof(err)))
		return fail__events_to(o->events, err);
	return LA_OK;
}

static enum la_err check_btf(const struct la_opts *o)
{
	if (o->btf && access(o->btf, R_OK))
		return fail__say(LA_ERR_NOBTF, "cannot read BTF file '%s': %s",
				 o->btf, strerror(errno));
	if (!o->btf && !env__kernel_btf())
		return fail__say(
			LA_ERR_NOBTF,
			"kernel exposes no BTF (/sys/kernel/btf/vmlinux): use "
			"a kernel built with CONFIG_DEBUG_INFO_BTF=y, or pass "
			"--btf FILE");
	return LA_OK;
}

/* The names whose addresses attaching needs, read with the symbols */
static const char *const names[] = {PROBE_LOCK, "_stext", "_etext"};

/* The checks every command that loads BPF shares; kr: the kernel's symbols
 * on success, and the addresses of names[]. */
static enum la_err preflight(const struct la_opts *o, struct la_hooks *h,
			     struct la_ksyms_read *kr)
{
	enum la_err ret;
	char err[256];
	struct ksyms **ks = &kr->ks;

	if (hooks__select(h, o->hooks, err, sizeof(err)))
		return fail__say(LA_ERR_HOOK, "%s", err);
	ret = check_outputs(o);
	if (ret)
		return ret;
	if (!env__has_bpf_caps())
		return fail__caps(o->cmd);
	ret = check_btf(o);
	if (ret)
		return ret;
	/* before kallsyms, as symfresh__reload: a module loading meanwhile
	 * moves it, and the collector reads again */
	kr->modules_sum = symfresh__modules_sum(LA_MODULES);
	/* live-filtered as the collector's, which takes it over (run) */
	*ks = ksyms__load_live_addrs(LA_KALLSYMS, LA_MODULES, names, kr->addrs,
				     3);
	if (!*ks && errno == EPERM)
		return fail__kptr();
	if (!*ks)
		return fail__say(LA_ERR_FAIL, "cannot read " LA_KALLSYMS ": %s",
				 strerror(errno));
	return LA_OK;
}

/* Load and attach; *n: how many attached. */
static enum la_err attach(const struct la_opts *o, struct la_hooks *h,
			  const struct la_ksyms_read *kr, size_t *n)
{
	struct la_attach_opts ao = {
		.mode = o->mode,
		.btf_path = o->btf,
		.kernel_btf = env__kernel_btf(),
		.races = o->races,
	};
	char err[256];
	int ret;

	ao.probe_lock_addr = kr->addrs[0];
	ao.text_start = kr->addrs[1];
	ao.text_end = kr->addrs[2];

	hooks__set_verbose(o->verbose);
	ret = hooks__attach(h, kr->ks, &ao, err, sizeof(err));
	if (ret < 0)
		return fail__say(LA_ERR_FAIL, "%s", err);
	*n = (size_t)ret;
	return LA_OK;
}

enum la_err setup__attach(const struct la_opts *o, struct la_hooks *h,
			  size_t *n)
{
	struct la_ksyms_read kr = {0};
	enum la_err ret;

	ret = preflight(o, h, &kr);
	if (ret)
		return ret;
	ret = attach(o, h, &kr, n);
	ksyms__free(kr.ks);
	return ret;
}

/* The state an earlier `lockaudit boot` pinned: adopted (run) or, only
 * once it is shown to be lockaudit's, refused as "already attached". */
static enum la_err adopt_pinned(const struct la_opts *o, struct la_hooks *h,
				bool adopt)
{
	char err[256];
	int ret;

	ret = pin__open(h, o->pin_dir, err, sizeof(err));
	if (ret)
		return fail__pin(ret, err);
	if (!adopt) {
		hooks__detach(h);
		return fail__say(LA_ERR_PINNED,
				 "already attached (state pinned under %s): "
				 "read it with 'lockaudit collect', or detach "
				 "with 'lockaudit collect --detach'",
				 o->pin_dir);
	}
	if (o->hooks || o->mode != LA_MODE_AUTO)
		fprintf(stderr,
			"lockaudit: adopting the hooks pinned under %s; "
			"--hooks/--attach do not apply\n",
			o->pin_dir);
	return LA_OK;
}

/* Nothing attached: why, per hook (with -v, or unless the kernel refuses
 * tracing as a whole: then one line). */
static enum la_err none_attached(const struct la_opts *o, struct la_hooks *h)
{
	char err[256];
	bool refused = hooks__tracing_refused(h, err, sizeof(err));
	size_t i;

	for (i = 0; i < h->nr && (!refused || o->verbose); i++)
		fprintf(stderr, "lockaudit: %s: %s\n", h->hook[i].def->func,
			h->hook[i].reason);
	hooks__detach(h);
	if (refused)
		return fail__say(LA_ERR_NOHOOKS, "%s", err);
	return fail__say(LA_ERR_NOHOOKS, "no entry point could be attached "
					 "(see 'lockaudit probes')");
}

enum la_err setup__hooks(const struct la_opts *o, struct la_hooks *h,
			 bool adopt, struct la_ksyms_read *out)
{
	struct la_ksyms_read kr = {0};
	enum la_err ret;
	size_t n;

	if (out)
		*out = kr;
	ret = preflight(o, h, &kr);
	if (ret)
		return ret;
	if (pin__exists(o->pin_dir)) {
		ksyms__free(kr.ks);
		return adopt_pinned(o, h, adopt);
	}
	ret = attach(o, h, &kr, &n);
	if (!ret && !n)
		ret = none_attached(o, h);
	if (!ret && out)
		*out = kr; /* the caller's now */
	else
		ksyms__free(kr.ks);
	return ret;
}

void setup__count(const struct la_hooks *h, size_t *nfe, size_t *nkp)
{
	size_t i;

	*nfe = *nkp = 0;
	for (i = 0; i < h->nr; i++) {
		*nfe += h->hook[i].attached == LA_ATTACHED_FENTRY;
		*nkp += h->hook[i].attached == LA_ATTACHED_KPROBE;
	}
}
